/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Printing of tree blocks and items in the exact text format of stock
 * btrfs-progs 6.2 `btrfs inspect-internal dump-tree`.  Everything goes to
 * stdout.
 */
#ifndef BTRFS_DAX_PRINT_TREE_H
#define BTRFS_DAX_PRINT_TREE_H

#include "kernel-shared/ctree.h"

/* Modes for btrfs_print_tree(). */
#define PRINT_TREE_FOLLOW	(1U << 0)	/* descend into children */
#define PRINT_TREE_BFS		(1U << 1)	/* breadth-first (default) */
#define PRINT_TREE_DFS		(1U << 2)	/* depth-first */
#define PRINT_TREE_CSUM_HEADERS	(1U << 3)	/* print header checksums */
#define PRINT_TREE_CSUM_ITEMS	(1U << 4)	/* print checksum item contents */
#define PRINT_TREE_HIDE_NAMES	(1U << 5)	/* "HIDDEN" instead of names */

/* "key (FIRST_CHUNK_TREE CHUNK_ITEM 22020096)" without a newline. */
void btrfs_print_key(const struct btrfs_disk_key *key);
/* The objectid as stock prints it in a key, e.g. "EXTENT_TREE", "256". */
void btrfs_print_objectid(u64 objectid, u8 type);
/*
 * "DATA|DUP", "METADATA|RAID1", "SYSTEM|single": stock 6.2 spells the single
 * profile in lower case and always prints a profile.
 */
void btrfs_bg_flags_to_str(u64 flags, char *buf, size_t len);
/* One chunk item's body, as in a chunk tree leaf (two tabs of indent). */
void btrfs_print_chunk(const struct btrfs_chunk *chunk, u32 item_size);
/* One device item's body, as in a chunk tree leaf. */
void btrfs_print_dev_item(const struct btrfs_dev_item *dev);
/* A leaf or node header plus all its items/pointers. */
void btrfs_print_leaf(struct btrfs_fs_info *fs_info,
		      const struct extent_buffer *eb, unsigned int mode);
/* A node or leaf and, with PRINT_TREE_FOLLOW, everything below it. */
void btrfs_print_tree(struct btrfs_fs_info *fs_info,
		      struct extent_buffer *eb, unsigned int mode);
/*
 * btrfs_print_tree() that also tells whether every block below could be
 * read: 0, or a negative errno (after printing "ERROR: ..." to stderr for
 * each block that failed).  -ENODEV only when every failure was a block on
 * a missing device.
 */
int btrfs_print_tree_checked(struct btrfs_fs_info *fs_info,
			     struct extent_buffer *eb, unsigned int mode);
/* The leaves only, in key order, as `dump-tree --extents` prints a tree. */
int btrfs_print_tree_leaves(struct btrfs_fs_info *fs_info,
			    struct extent_buffer *eb, unsigned int mode);
/*
 * Reads a tree block to print it.  A block the verifier accepts comes from
 * the block cache.  Stock dump-tree skips the checks of item contents, so a
 * block the verifier rejects is still handed out (uncached, after a
 * "WARNING: ..." on stderr) when one of its copies passes the checks stock
 * keeps: checksum, bytenr, fsid, the level and generation asked for, and a
 * sound structure (sorted keys, items packed inside the block).
 */
int btrfs_read_block_for_print(struct btrfs_fs_info *fs_info, u64 bytenr,
			       const struct tree_block_expect *expect,
			       struct extent_buffer **ret);
/* "ROOT_ITEM", "UNKNOWN.77": the name stock gives a key type. */
void btrfs_print_key_type(u64 objectid, u8 type);

#endif
