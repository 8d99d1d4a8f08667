/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Usage texts and command line helpers for the `btrfs` front end.
 *
 * A usage text (struct cmd_struct.usage) is a NULL-terminated array:
 *   [0]  the synopsis, "btrfs group cmd [options] <args>"; a '\n' inside it
 *        starts another synopsis line
 *   [1]  a one-line description
 *   then optional long description lines, ended by an empty string,
 *   then option lines: HELP_OPT("-f|--full", "what it does") entries and
 *   free text lines ("" for a blank line, headings).
 *
 * Option lines are laid out in two columns like stock btrfs-progs: the
 * option padded to HELP_OPT_WIDTH columns, the description after it.  A
 * '\n' inside the description continues it on a new line in the
 * description column.
 *
 * Commands parse their options with getopt_long(); the dispatcher resets
 * optind and clears opterr, and an unknown option is reported with
 * usage_unknown_option().
 */
#ifndef BTRFS_DAX_HELP_H
#define BTRFS_DAX_HELP_H

#include <stdbool.h>
#include <stddef.h>
#include "common/commands.h"

#define HELP_OPT_MARK		"\x1e"
#define HELP_OPT_SEP		"\x1f"
#define HELP_OPT(opt, desc)	HELP_OPT_MARK opt HELP_OPT_SEP desc

/* Layout of option lines: indent, option column, where descriptions start. */
#define HELP_INDENT		4
#define HELP_OPT_WIDTH		25
#define HELP_DESC_COLUMN	(HELP_INDENT + HELP_OPT_WIDTH + 1)

/* Version string printed by `btrfs --version` and `btrfs version`. */
#define BTRFS_DAX_PROGS_VERSION	"btrfs-dax-progs v0.1"

/*
 * Length of the command name at the start of a synopsis ("btrfs
 * inspect-internal dump-super" out of "btrfs inspect-internal dump-super
 * [options] device"): up to the first argument or option.
 */
size_t usage_cmd_name_len(const char *synopsis);

/* Print the usage text of a command; long: with descriptions and options. */
void usage_print(const char *const *usage, bool full, bool err);

/*
 * Report an option getopt_long() did not accept (its return '?') and
 * return the exit code 1.  argv is the one passed to getopt_long().
 */
int usage_unknown_option(const struct cmd_struct *cmd, char **argv);

/*
 * Argument count checks.  They print "btrfs group cmd: not enough
 * arguments: ..." and return true when the count is wrong.
 */
bool check_argc_exact(const struct cmd_struct *cmd, int nargs, int expected);
bool check_argc_min(const struct cmd_struct *cmd, int nargs, int expected);
bool check_argc_max(const struct cmd_struct *cmd, int nargs, int expected);

/* Group listings (btrfs.c). */
void usage_group(const struct cmd_group *grp, bool full, bool err);
void usage_group_short(const struct cmd_group *grp);

/*
 * Find the command named by token in grp: an exact name or an unambiguous
 * prefix.  Returns NULL and sets *ambiguous when more than one matches.
 */
const struct cmd_struct *cmd_lookup(const struct cmd_group *grp,
				    const char *token, bool *ambiguous);
/* "prefix: unknown token 'x'" plus the group's usage; returns 1. */
int help_unknown_token(const char *prefix, const char *token,
		       const struct cmd_group *grp);
/* "prefix: ambiguous token 'x'" plus the candidates; returns 1. */
int help_ambiguous_token(const char *prefix, const char *token,
			 const struct cmd_group *grp);

#endif
