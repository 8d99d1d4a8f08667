// SPDX-License-Identifier: GPL-2.0-only
/*
 * Usage texts: command help, group listings, and the messages for unknown
 * or ambiguous command names and wrong option or argument counts.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "common/help.h"

/* Where a usage text goes, and how it is laid out. */
struct usage_out {
	FILE *f;
	bool listing;		/* part of a group listing */
};

size_t usage_cmd_name_len(const char *synopsis)
{
	size_t i;

	/* The name ends before the first "<arg>", "[opt]" or " -opt". */
	for (i = 0; synopsis[i] && synopsis[i] != '\n'; i++) {
		char c = synopsis[i];

		if (c == '<' || c == '[' || c == '{')
			break;
		if (c == ' ' && synopsis[i + 1] == '-')
			break;
	}
	while (i > 0 && synopsis[i - 1] == ' ')
		i--;
	return i;
}

static void print_indent(FILE *f, int n)
{
	fprintf(f, "%*s", n, "");
}

/* Print text, starting every line after a '\n' with indent spaces. */
static void print_continued(FILE *f, const char *text, int indent)
{
	for (; *text; text++) {
		fputc(*text, f);
		if (*text == '\n')
			print_indent(f, indent);
	}
}

static void print_synopsis(const struct usage_out *o, const char *synopsis)
{
	if (o->listing) {
		print_indent(o->f, HELP_INDENT);
		print_continued(o->f, synopsis, HELP_INDENT);
	} else {
		fputs("usage: ", o->f);
		print_continued(o->f, synopsis, (int)strlen("usage: "));
	}
	fputc('\n', o->f);
}

/* One HELP_OPT() line: the option column, then the description. */
static void print_option(FILE *f, const char *line)
{
	const char *opt = line + strlen(HELP_OPT_MARK);
	const char *sep = strstr(opt, HELP_OPT_SEP);
	int opt_len = sep ? (int)(sep - opt) : (int)strlen(opt);

	print_indent(f, HELP_INDENT);
	fprintf(f, "%.*s", opt_len, opt);
	if (!sep) {
		fputc('\n', f);
		return;
	}
	/* An option too wide for its column gets a line of its own. */
	if (opt_len > HELP_OPT_WIDTH) {
		fputc('\n', f);
		print_indent(f, HELP_DESC_COLUMN);
	} else {
		print_indent(f, HELP_DESC_COLUMN - HELP_INDENT - opt_len);
	}
	print_continued(f, sep + strlen(HELP_OPT_SEP), HELP_DESC_COLUMN);
	fputc('\n', f);
}

static bool is_option_line(const char *line)
{
	return !strncmp(line, HELP_OPT_MARK, strlen(HELP_OPT_MARK));
}

/* Text lines of descriptions: indented deeper inside listings. */
static void print_text_line(const struct usage_out *o, const char *line)
{
	if (is_option_line(line)) {
		print_option(o->f, line);
		return;
	}
	if (*line)
		print_indent(o->f, o->listing ? 2 * HELP_INDENT : HELP_INDENT);
	fprintf(o->f, "%s\n", line);
}

/* Synopsis and description; with full also long description and options. */
static void print_usage_text(const struct usage_out *o,
			     const char *const *usage, bool full)
{
	if (!usage || !usage[0])
		return;
	print_synopsis(o, *usage++);
	if (!*usage)
		return;
	if (!o->listing)
		fputc('\n', o->f);
	print_text_line(o, *usage++);
	if (!full || !*usage)
		return;

	/* Long description: lines up to the first empty one. */
	if (**usage)
		fputc('\n', o->f);
	while (*usage && **usage)
		print_text_line(o, *usage++);
	if (!*usage)
		return;

	/* Options, after the empty line. */
	usage++;
	fputc('\n', o->f);
	while (*usage)
		print_text_line(o, *usage++);
}

void usage_print(const char *const *usage, bool full, bool err)
{
	struct usage_out o = { .f = err ? stderr : stdout, .listing = false };

	print_usage_text(&o, usage, full);
	fputc('\n', o.f);
}

int cmd_usage(const struct cmd_struct *cmd, bool err)
{
	usage_print(cmd->usage, true, err);
	return err ? 1 : 0;
}

bool cmd_check_help(const struct cmd_struct *cmd, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help"))
		return false;
	cmd_usage(cmd, false);
	return true;
}

int usage_unknown_option(const struct cmd_struct *cmd, char **argv)
{
	const char *synopsis = cmd->usage[0];
	int len = (int)usage_cmd_name_len(synopsis);

	fprintf(stderr, "%.*s: ", len, synopsis);
	/*
	 * getopt leaves optopt 0 for a long option it does not know, and sets
	 * it to the option's value for a missing or unexpected argument.
	 */
	if (optopt > 0 && optopt < 256 && isprint(optopt))
		fprintf(stderr, "invalid option '%c'\n", optopt);
	else if (optopt)
		fprintf(stderr, "invalid use of option '%s'\n", argv[optind - 1]);
	else
		fprintf(stderr, "unrecognized option '%s'\n", argv[optind - 1]);
	fprintf(stderr, "Try '%.*s --help' for more information\n", len,
		synopsis);
	return 1;
}

static void print_cmd_name(FILE *f, const struct cmd_struct *cmd)
{
	const char *synopsis = cmd->usage[0];

	fprintf(f, "%.*s", (int)usage_cmd_name_len(synopsis), synopsis);
}

bool check_argc_exact(const struct cmd_struct *cmd, int nargs, int expected)
{
	if (nargs == expected)
		return false;
	print_cmd_name(stderr, cmd);
	fprintf(stderr, ": exactly %d argument%s expected, %d given\n",
		expected, expected == 1 ? "" : "s", nargs);
	return true;
}

bool check_argc_min(const struct cmd_struct *cmd, int nargs, int expected)
{
	if (nargs >= expected)
		return false;
	print_cmd_name(stderr, cmd);
	fprintf(stderr, ": not enough arguments: %d but at least %d expected\n",
		nargs, expected);
	return true;
}

bool check_argc_max(const struct cmd_struct *cmd, int nargs, int expected)
{
	if (nargs <= expected)
		return false;
	print_cmd_name(stderr, cmd);
	fprintf(stderr, ": too many arguments: %d but at most %d expected\n",
		nargs, expected);
	return true;
}

/* A group listed inside another one (not-implemented groups included). */
static bool cmd_is_group(const struct cmd_struct *cmd)
{
	return cmd->group != NULL;
}

static bool cmd_lists_commands(const struct cmd_struct *cmd)
{
	return cmd->group && !cmd->not_implemented && cmd->group->commands &&
	       cmd->group->commands[0];
}

/*
 * Every command of a group, nested groups expanded.  Groups are set apart
 * by empty lines; with full, every command is.
 */
static void list_group(const struct usage_out *o, const struct cmd_group *grp,
		       bool full)
{
	bool sep_pending = false;
	int i;

	for (i = 0; grp->commands[i]; i++) {
		const struct cmd_struct *cmd = grp->commands[i];

		if (i && (full || cmd_is_group(cmd) || sep_pending))
			fputc('\n', o->f);
		sep_pending = cmd_is_group(cmd) && !full;
		if (cmd_lists_commands(cmd))
			list_group(o, cmd->group, full);
		else
			print_usage_text(o, cmd->usage, full);
	}
}

static void print_group_synopsis(FILE *f, const struct cmd_group *grp)
{
	const char *const *usage = grp->usage;

	if (!usage || !*usage)
		return;
	fprintf(f, "usage: %s\n", *usage++);
	while (*usage)
		fprintf(f, "   or: %s\n", *usage++);
}

void usage_group(const struct cmd_group *grp, bool full, bool err)
{
	struct usage_out o = { .f = err ? stderr : stdout, .listing = true };

	print_group_synopsis(o.f, grp);
	fputc('\n', o.f);
	list_group(&o, grp, full);
	fputc('\n', o.f);
	if (grp->info)
		fprintf(o.f, "%s\n", grp->info);
}

static const char *cmd_short_info(const struct cmd_struct *cmd)
{
	if (cmd->group && cmd->group->info)
		return cmd->group->info;
	if (cmd->usage && cmd->usage[0] && cmd->usage[1])
		return cmd->usage[1];
	return "";
}

static void list_short(const struct cmd_group *grp, bool groups)
{
	int i;

	for (i = 0; grp->commands[i]; i++) {
		const struct cmd_struct *cmd = grp->commands[i];

		if (cmd_is_group(cmd) == groups)
			printf("  %-16s  %s\n", cmd->name, cmd_short_info(cmd));
	}
}

void usage_group_short(const struct cmd_group *grp)
{
	print_group_synopsis(stdout, grp);
	printf("\nCommand groups:\n");
	list_short(grp, true);
	printf("\nCommands:\n");
	list_short(grp, false);
	putchar('\n');
	fflush(stdout);
	fprintf(stderr,
		"For an overview of a given command use 'btrfs command --help'\n"
		"or 'btrfs [command...] --help --full' to print all available options.\n"
		"Any command name can be shortened as far as it stays unambiguous,\n"
		"however it is recommended to use full command names in scripts.\n"
		"All command groups have their manual page named 'btrfs-<group>'.\n");
}

const struct cmd_struct *cmd_lookup(const struct cmd_group *grp,
				    const char *token, bool *ambiguous)
{
	const struct cmd_struct *found = NULL;
	size_t len = strlen(token);
	int i;

	*ambiguous = false;
	for (i = 0; grp->commands[i]; i++) {
		const struct cmd_struct *cmd = grp->commands[i];

		if (!strcmp(cmd->name, token))
			return cmd;
		if (len && !strncmp(cmd->name, token, len)) {
			if (found)
				*ambiguous = true;
			found = cmd;
		}
	}
	return *ambiguous ? NULL : found;
}

int help_unknown_token(const char *prefix, const char *token,
		       const struct cmd_group *grp)
{
	fflush(stdout);
	fprintf(stderr, "%s: unknown token '%s'\n", prefix, token);
	usage_group(grp, false, true);
	return 1;
}

int help_ambiguous_token(const char *prefix, const char *token,
			 const struct cmd_group *grp)
{
	size_t len = strlen(token);
	int i;

	fflush(stdout);
	fprintf(stderr, "%s: ambiguous token '%s'\n", prefix, token);
	fprintf(stderr, "\nDid you mean one of these ?\n");
	for (i = 0; grp->commands[i]; i++) {
		const char *name = grp->commands[i]->name;

		if (!strncmp(name, token, len))
			fprintf(stderr, "\t%s\n", name);
	}
	return 1;
}
