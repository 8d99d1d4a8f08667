// SPDX-License-Identifier: GPL-2.0-only
/*
 * The `btrfs` front end: global options, then command groups and commands
 * looked up in tables by name or unambiguous prefix.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmds/commands.h"
#include "common/help.h"
#include "common/messages.h"

/* Groups and commands of stock btrfs-progs that are not written yet. */
#define NOT_IMPLEMENTED_GROUP(var, grp_name, info_text, desc)		\
	static const char *const var##_usage[] = {			\
		"btrfs " grp_name " <command> [<args>]",		\
		desc " (not implemented yet)", NULL			\
	};								\
	static const struct cmd_struct *const var##_commands[] = { NULL }; \
	static const struct cmd_group var##_group = {			\
		.usage = var##_usage,					\
		.info = info_text " (not implemented yet)",	\
		.commands = var##_commands,				\
	};								\
	static const struct cmd_struct var = {				\
		.name = grp_name,					\
		.usage = var##_usage,					\
		.group = &var##_group,					\
		.not_implemented = true,				\
	}

NOT_IMPLEMENTED_GROUP(cmd_balance, "balance",
	"balance data across devices, or change block groups using filters",
	"Move chunks between devices or convert their profiles");
NOT_IMPLEMENTED_GROUP(cmd_device, "device",
	"manage and query devices in the filesystem",
	"Add, remove, scan and query devices");
NOT_IMPLEMENTED_GROUP(cmd_filesystem, "filesystem",
	"overall filesystem tasks and information",
	"Show, resize, label and query whole filesystems");
NOT_IMPLEMENTED_GROUP(cmd_qgroup, "qgroup", "manage quota groups",
	"Create, assign, limit and show quota groups");
NOT_IMPLEMENTED_GROUP(cmd_quota, "quota", "manage filesystem quota settings",
	"Enable, disable and rescan quotas");
NOT_IMPLEMENTED_CMD(cmd_receive, "receive", "btrfs receive [options] <mount>",
	"Receive subvolumes from a send stream");
NOT_IMPLEMENTED_GROUP(cmd_replace, "replace",
	"replace a device in the filesystem",
	"Replace a device of a mounted filesystem");
NOT_IMPLEMENTED_GROUP(cmd_rescue, "rescue",
	"toolbox for specific rescue operations",
	"Repair specific kinds of damage");
NOT_IMPLEMENTED_CMD(cmd_restore, "restore",
	"btrfs restore [options] <device> <path>",
	"Copy files out of a damaged, unmounted filesystem");
NOT_IMPLEMENTED_CMD(cmd_send, "send", "btrfs send [options] <subvol> [<subvol>...]",
	"Write a stream describing subvolumes to stdout");
NOT_IMPLEMENTED_GROUP(cmd_subvolume, "subvolume",
	"manage subvolumes: create, delete, list, etc",
	"Create, delete, list and snapshot subvolumes");

static const struct cmd_group btrfs_group;

static const char *const cmd_help_usage[] = {
	"btrfs help [--full]",
	"Display help information",
	"",
	HELP_OPT("--full", "print the complete help of every command"),
	NULL
};

static int cmd_help_fn(const struct cmd_struct *cmd, int argc, char **argv)
{
	bool full = argc > 1 && !strcmp(argv[1], "--full");

	usage_group(&btrfs_group, full, false);
	return 0;
}

static const struct cmd_struct cmd_help = {
	.name = "help",
	.usage = cmd_help_usage,
	.fn = cmd_help_fn,
};

static const char *const cmd_version_usage[] = {
	"btrfs version",
	"Display the btrfs-dax-progs version",
	NULL
};

static int cmd_version_fn(const struct cmd_struct *cmd, int argc, char **argv)
{
	printf("%s\n", BTRFS_DAX_PROGS_VERSION);
	return 0;
}

static const struct cmd_struct cmd_version = {
	.name = "version",
	.usage = cmd_version_usage,
	.fn = cmd_version_fn,
};

static const char *const btrfs_usage[] = {
	"btrfs [global] <group> [<group>...] <command> [<args>]\n"
	"\n"
	"Global options:\n"
	"  --format <format> output format of the subcommand (only text)\n"
	"  -v|--verbose      increase verbosity of the subcommand\n"
	"  -q|--quiet        print only errors\n"
	"\n"
	"Options for the main command only:\n"
	"  --help            print condensed help for all subcommands\n"
	"  --version         print version string",
	NULL
};

static const struct cmd_struct *const btrfs_commands[] = {
	&cmd_balance,
	&cmd_struct_check,
	&cmd_device,
	&cmd_filesystem,
	&cmd_struct_inspect,
	&cmd_struct_property,
	&cmd_qgroup,
	&cmd_quota,
	&cmd_receive,
	&cmd_replace,
	&cmd_rescue,
	&cmd_restore,
	&cmd_struct_scrub,
	&cmd_send,
	&cmd_subvolume,
	&cmd_help,
	&cmd_version,
	NULL
};

static const struct cmd_group btrfs_group = {
	.usage = btrfs_usage,
	.info = "Use --help as an argument for information on a specific group or command.",
	.commands = btrfs_commands,
};

static int run_not_implemented(const struct cmd_struct *cmd, const char *prefix,
			       int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--help"))
		return cmd_usage(cmd, false);
	error("'%s %s' is not implemented by btrfs-dax-progs yet", prefix,
	      cmd->name);
	return 1;
}

static int run_command(const struct cmd_struct *cmd, int argc, char **argv)
{
	if (cmd_check_help(cmd, argc, argv))
		return 0;
	argv[0] = (char *)cmd->name;
	/* Commands parse their options from a fresh getopt state. */
	optind = 1;
	opterr = 0;
	return cmd->fn(cmd, argc, argv);
}

/*
 * Resolve argv[0] in grp and run it.  prefix is what the user typed to get
 * here, in full names ("btrfs inspect-internal").
 */
static int dispatch(const struct cmd_group *grp, const char *prefix, int argc,
		    char **argv)
{
	const struct cmd_struct *cmd;
	bool ambiguous;
	char sub_prefix[256];

	if (argc < 1) {
		usage_group(grp, false, false);
		return 1;
	}
	if (!strcmp(argv[0], "--help")) {
		usage_group(grp, argc > 1 && !strcmp(argv[1], "--full"), false);
		return 0;
	}
	cmd = cmd_lookup(grp, argv[0], &ambiguous);
	if (ambiguous)
		return help_ambiguous_token(prefix, argv[0], grp);
	if (!cmd)
		return help_unknown_token(prefix, argv[0], grp);
	if (cmd->not_implemented || (!cmd->group && !cmd->fn))
		return run_not_implemented(cmd, prefix, argc, argv);
	if (!cmd->group)
		return run_command(cmd, argc, argv);
	snprintf(sub_prefix, sizeof(sub_prefix), "%s %s", prefix, cmd->name);
	return dispatch(cmd->group, sub_prefix, argc - 1, argv + 1);
}

/*
 * Options before the first group name.  Returns the index of the first
 * argument after them, or -1 when the process should exit with *ret.
 */
static int parse_global_options(int argc, char **argv, int *ret)
{
	int verbose = 0;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i];

		if (!strcmp(arg, "--help")) {
			usage_group(&btrfs_group,
				    i + 1 < argc && !strcmp(argv[i + 1], "--full"),
				    false);
			*ret = 0;
			return -1;
		} else if (!strcmp(arg, "--version")) {
			printf("%s\n", BTRFS_DAX_PROGS_VERSION);
			*ret = 0;
			return -1;
		} else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose")) {
			verbose++;
		} else if (!strcmp(arg, "-q") || !strcmp(arg, "--quiet")) {
			verbose = -1;
		} else if (!strcmp(arg, "--format") ||
			   !strncmp(arg, "--format=", strlen("--format="))) {
			const char *fmt = arg[strlen("--format")] == '=' ?
					  arg + strlen("--format=") : argv[++i];

			if (!fmt) {
				error("option --format needs an argument");
				*ret = 1;
				return -1;
			}
			if (strcmp(fmt, "text")) {
				error("output format %s is not supported", fmt);
				*ret = 1;
				return -1;
			}
		} else if (!strcmp(arg, "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "Unknown global option: %s\n", arg);
			*ret = 129;
			return -1;
		}
	}
	messages_set_verbose(verbose);
	return i;
}

int main(int argc, char **argv)
{
	int ret = 0;
	int first;

	first = parse_global_options(argc, argv, &ret);
	if (first < 0)
		return ret;
	if (first >= argc) {
		usage_group_short(&btrfs_group);
		return 1;
	}
	ret = dispatch(&btrfs_group, "btrfs", argc - first, argv + first);
	fflush(stdout);
	return ret;
}
