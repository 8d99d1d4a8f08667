// SPDX-License-Identifier: GPL-2.0-only
/*
 * The inspect-internal command group.  Commands of stock btrfs-progs that
 * need a mounted filesystem or are not written yet are listed so that
 * their names resolve, and say that they are not implemented.
 */
#include <stddef.h>
#include "cmds/commands.h"

NOT_IMPLEMENTED_CMD(cmd_inode_resolve, "inode-resolve",
	"btrfs inspect-internal inode-resolve [-v] <inode> <path>",
	"Find the paths of an inode number");
NOT_IMPLEMENTED_CMD(cmd_logical_resolve, "logical-resolve",
	"btrfs inspect-internal logical-resolve [-Pvo] [-s bufsize] <logical> <path>",
	"Find the files that use a logical address");
NOT_IMPLEMENTED_CMD(cmd_subvolid_resolve, "subvolid-resolve",
	"btrfs inspect-internal subvolid-resolve <subvolid> <path>",
	"Find the path of a subvolume id");
NOT_IMPLEMENTED_CMD(cmd_rootid, "rootid",
	"btrfs inspect-internal rootid <path>",
	"Print the id of the subvolume that contains a path");
NOT_IMPLEMENTED_CMD(cmd_map_swapfile, "map-swapfile",
	"btrfs inspect-internal map-swapfile <file>",
	"Print where a swap file starts on disk and its resume offset");
NOT_IMPLEMENTED_CMD(cmd_min_dev_size, "min-dev-size",
	"btrfs inspect-internal min-dev-size [options] <path>",
	"Print the size a device could be shrunk to");
NOT_IMPLEMENTED_CMD(cmd_tree_stats, "tree-stats",
	"btrfs inspect-internal tree-stats [options] <device>",
	"Print statistics of the trees");

static const char *const inspect_usage[] = {
	"btrfs inspect-internal <command> <args>",
	NULL
};

static const struct cmd_struct *const inspect_commands[] = {
	&cmd_inode_resolve,
	&cmd_logical_resolve,
	&cmd_subvolid_resolve,
	&cmd_rootid,
	&cmd_map_swapfile,
	&cmd_min_dev_size,
	&cmd_struct_inspect_dump_tree,
	&cmd_struct_inspect_dump_super,
	&cmd_struct_inspect_dax_report,
	&cmd_tree_stats,
	NULL
};

static const struct cmd_group inspect_group = {
	.usage = inspect_usage,
	.info = "query various internal information",
	.commands = inspect_commands,
};

const struct cmd_struct cmd_struct_inspect = {
	.name = "inspect-internal",
	.usage = inspect_usage,
	.group = &inspect_group,
};
