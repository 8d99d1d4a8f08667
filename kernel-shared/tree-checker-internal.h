/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to tree-checker.c and tree-checker-items.c: the state one
 * verification carries around and the per-item entry point.
 */
#ifndef BTRFS_DAX_TREE_CHECKER_INTERNAL_H
#define BTRFS_DAX_TREE_CHECKER_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel-shared/ctree.h"

/* One verification of one tree block. */
struct tc_ctx {
	const struct btrfs_fs_info *fs_info;
	const struct extent_buffer *eb;
	char *why;
	size_t why_len;

	u32 sectorsize;
	u32 nodesize;
	u16 csum_size;
	u64 super_gen;
	u64 owner;		/* header owner */
	unsigned int flags;	/* TREE_BLOCK_* from the caller's expectations */

	/* The item being checked; slot is -1 for header problems. */
	int slot;
	struct btrfs_key key;
	const u8 *item;		/* item_size bytes, known to lie inside eb */
	u32 item_size;

	/* The previous slot, valid when slot > 0. */
	struct btrfs_key prev_key;
	const u8 *prev_item;
	u32 prev_item_size;
};

/*
 * Record a problem of the current block (and slot, if any) in ctx->why and
 * return -EUCLEAN.
 */
int tc_err(struct tc_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Check the contents of the item at ctx->slot; 0 or -EUCLEAN. */
int tc_check_item(struct tc_ctx *ctx);

/* Trees that hold files: the top-level subvolume and every other one. */
static inline bool tc_is_fstree(u64 rootid)
{
	if (rootid == BTRFS_FS_TREE_OBJECTID)
		return true;
	/* Negative ids are special trees; ids with a level are qgroups. */
	return (s64)rootid >= (s64)BTRFS_FIRST_FREE_OBJECTID &&
	       (rootid >> BTRFS_QGROUP_LEVEL_SHIFT) == 0;
}

static inline bool tc_aligned(u64 value, u32 alignment)
{
	return (value & ((u64)alignment - 1)) == 0;
}

#endif
