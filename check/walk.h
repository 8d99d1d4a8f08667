/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The walker's state while it streams one tree, as the per-item verifiers
 * see it.  Private to check/.
 */
#ifndef BTRFS_DAX_CHECK_WALK_H
#define BTRFS_DAX_CHECK_WALK_H

#include "check/check.h"

struct walk_level {
	struct extent_buffer *eb;
	int slot;
	bool first;		/* first visit: the block's references count */
	bool full_backref;	/* its extent item has FULL_BACKREF */
};

/* The inode whose items the fs-tree verifiers are looking at. */
struct inode_state {
	u64 ino;
	u64 flags;
	u32 mode;
	bool have_item;
	bool dax;
};

struct walk_state {
	struct check_ctx *ctx;
	const struct root_rec *root;
	u32 seq;
	bool fs;			/* a tree that holds files */
	struct walk_level path[BTRFS_MAX_LEVEL];

	/* The leaf being handed to the item verifiers. */
	bool leaf_full_backref;

	/* Extent tree: the extent item keyed backrefs belong to. */
	u64 cur_extent;
	bool cur_extent_valid;

	struct inode_state inode;
};

/* fs-items.c: one item of a tree that holds files, on every visit. */
void fs_item(struct walk_state *ws, const struct extent_buffer *eb, int slot,
	     const struct btrfs_key *key);

#endif
