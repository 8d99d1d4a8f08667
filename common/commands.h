/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The types of a command table: every command and group carries its usage
 * text next to its handler.  A handler gets argv with argv[0] = its own
 * name and returns the process exit code.  The `btrfs` table itself is
 * cmds/commands.h; check/ implements one of its commands with these types.
 */
#ifndef BTRFS_DAX_COMMON_COMMANDS_H
#define BTRFS_DAX_COMMON_COMMANDS_H

#include <stdbool.h>

struct cmd_group;

struct cmd_struct {
	const char *name;
	/* Usage: first line "btrfs group cmd [options] <args>", then the one-line
	 * description, then an empty string and option lines; NULL-terminated. */
	const char *const *usage;
	int (*fn)(const struct cmd_struct *cmd, int argc, char **argv);
	const struct cmd_group *group;	/* set for a command group */
	/* Commands of stock btrfs-progs this project does not implement yet. */
	bool not_implemented;
};

/* A command of stock btrfs-progs that this project does not provide yet. */
#define NOT_IMPLEMENTED_CMD(var, cmd_name, synopsis, desc)			\
	static const char *const var##_usage[] = {			\
		synopsis, desc " (not implemented yet)", NULL		\
	};								\
	static const struct cmd_struct var = {				\
		.name = cmd_name,					\
		.usage = var##_usage,					\
		.not_implemented = true,				\
	}

struct cmd_group {
	const char *const *usage;
	const char *info;
	const struct cmd_struct *const *commands;	/* NULL-terminated */
};

/* Prints the usage text; to stderr with err set, and returns err ? 1 : 0. */
int cmd_usage(const struct cmd_struct *cmd, bool err);
/* Handles --help for a command; returns true if it printed help. */
bool cmd_check_help(const struct cmd_struct *cmd, int argc, char **argv);

#endif
