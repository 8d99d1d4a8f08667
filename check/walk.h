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
	bool edge;		/* in a skipped subtree: edge children only */
	u8 sub;			/* enum subtree_visit of the block */
};

/* The inode whose items the fs-tree verifiers are looking at. */
struct inode_state {
	u64 ino;
	u64 flags;
	u32 mode;
	bool have_item;
	bool dax;

	/* inodes.c: what the inode item says and what its items add up to */
	u32 nlink;
	u64 size;
	u64 nbytes;
	u64 names;		/* inode ref and extref entries */
	u64 dir_names;		/* name bytes of its dir items and dir indexes */
	u64 found_bytes;	/* nbytes as its file extents count them */
	u64 extent_end;		/* end of the file extents so far */
	u64 beyond;		/* first data extent past i_size, +1; 0: none */
	bool dir_entries;	/* it has dir items or dir indexes */
	bool gap_reported;

	/* inode-rules.c */
	bool inline_seen;	/* it has an inline file extent */
	bool inline_mixed;	/* ... and another file extent, reported */
};

struct fs_tree_state;
struct scope_stack;
struct subtree_memo;

/* How a block of a tree that holds files is visited (inodes.c). */
enum subtree_visit {
	SUB_NONE,
	SUB_SCOPE,	/* a shared subtree checked once, summed up on leaving */
	SUB_SKIP,	/* a subtree checked before: its summary stands in */
};

struct walk_state {
	struct check_ctx *ctx;
	const struct root_rec *root;
	u32 seq;
	bool fs;			/* a tree that holds files */
	struct walk_level path[BTRFS_MAX_LEVEL];

	/* The leaf being handed to the item verifiers. */
	bool leaf_full_backref;
	bool leaf_first;		/* its first visit in this check */

	/* Extent tree: the extent item keyed backrefs belong to. */
	u64 cur_extent;
	bool cur_extent_valid;

	struct inode_state inode;
	/* inodes.c: names and inodes of the subvolume being walked, or NULL */
	struct fs_tree_state *fst;
	/* inodes.c: shared subtrees open around the walk, or NULL */
	struct scope_stack *scopes;
	const struct subtree_memo *skip;	/* the subtree being skipped */
	bool skip_spliced;			/* its summary is in */
};

/* fs-items.c: one item of a tree that holds files, on every visit. */
void fs_item(struct walk_state *ws, const struct extent_buffer *eb, int slot,
	     const struct btrfs_key *key);

/* inodes.c: inode and directory consistency of one subvolume tree. */
void inodes_tree_begin(struct walk_state *ws);
void inodes_tree_end(struct walk_state *ws);
void inodes_item(struct walk_state *ws, const struct extent_buffer *eb,
		 int slot, const struct btrfs_key *key);
void inodes_finish(struct walk_state *ws);

/* inodes.c: a tree block of the subvolume being walked, on every visit */
void inodes_block(struct walk_state *ws, const struct extent_buffer *eb);

/* inode-rules.c: rules on one inode that stock check and the kernel keep. */
void inode_rules_extent(struct walk_state *ws,
			const struct btrfs_file_extent_item *fe,
			const struct btrfs_key *key);
void inode_rules_dir(struct walk_state *ws);
/*
 * inodes.c: snapshots share subtrees.  The items of a shared subtree are
 * checked on its first visit; what links them to the rest of the tree is
 * kept as its summary, which later trees take instead of its items.
 */
enum subtree_visit subtree_enter(struct walk_state *ws,
				 struct extent_buffer *eb, int kind);
void subtree_leave(struct walk_state *ws, enum subtree_visit sub,
		   u64 bytenr);
/* A child of a node of a skipped subtree that holds its edge items. */
bool subtree_edge_child(const struct walk_state *ws,
			const struct extent_buffer *eb, int slot);
/* fs_item(): false for an item a skipped subtree's summary stands for. */
bool inodes_route(struct walk_state *ws, const struct btrfs_key *key);

/* quota.c: one item of the quota tree. */
void quota_item(struct walk_state *ws, const struct extent_buffer *eb,
		int slot, const struct btrfs_key *key);
/* quota.c: subvolume 'root' uses extent [bytenr, +len): for the counts. */
void quota_extent_use(struct check_ctx *ctx, u64 bytenr, u64 len, u64 root);
/* quota.c: simple quotas, a tree block of a subvolume (any visit) */
void quota_block_owner(struct check_ctx *ctx, const struct extent_buffer *eb);
/* quota.c: simple quotas, an extent item whose inline refs start at refs_start */
void quota_extent_item(struct check_ctx *ctx, const struct btrfs_key *key,
		       const u8 *item, u32 refs_start, u32 size);

#endif
