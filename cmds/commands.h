/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The `btrfs` command table; the types are in common/commands.h.
 */
#ifndef BTRFS_DAX_COMMANDS_H
#define BTRFS_DAX_COMMANDS_H

#include "common/commands.h"

extern const struct cmd_struct cmd_struct_check;
extern const struct cmd_struct cmd_struct_inspect;
extern const struct cmd_struct cmd_struct_inspect_dump_super;
extern const struct cmd_struct cmd_struct_inspect_dump_tree;
extern const struct cmd_struct cmd_struct_inspect_dax_report;
extern const struct cmd_struct cmd_struct_scrub;
extern const struct cmd_struct cmd_struct_property;

#endif
