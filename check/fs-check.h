/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * State of the subvolume and quota checks that outlives one tree walk.
 * Private to check/inodes.c and check/quota.c.
 */
#ifndef BTRFS_DAX_CHECK_FS_CHECK_H
#define BTRFS_DAX_CHECK_FS_CHECK_H

#include "check/check.h"

/* A data extent of an inode without NODATASUM: it needs checksums. */
struct csum_need_rec {
	u64 bytenr;
	u64 len;
	u64 root;
	u64 ino;
	u64 offset;
};

/* A DIR_INDEX entry that names a subvolume, for the root refs. */
struct subvol_entry_rec {
	u64 tree;
	u64 dirid;
	u64 child;
	u64 index;
	u32 name_crc;
	u16 name_len;
};

struct quota_state;

struct fs_check {
	struct rec_vec csum_need;	/* struct csum_need_rec */
	struct rec_vec subvol_entries;	/* struct subvol_entry_rec */
	struct rec_vec checked;		/* u64: subvolume trees checked */
	struct quota_state *quota;	/* quota.c */
	/* inodes.c: summaries of shared subtrees, by block */
	struct block_set memo_map;	/* slot seq: index into memos + 1 */
	struct rec_vec memos;		/* struct subtree_memo *: all made */
};

/* The state, allocated on first use; NULL (and the check stopped) on ENOMEM. */
struct fs_check *fs_check_get(struct check_ctx *ctx);
void quota_state_free(struct quota_state *q);

#endif
