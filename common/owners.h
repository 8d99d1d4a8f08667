/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Who owns a damaged byte range: the superblock, free or unallocated space,
 * a tree block (tree id and level), or a data extent (every file, in every
 * subvolume and snapshot, with the byte range inside the file).  Also the
 * bad block lists that feed it.
 *
 * Library code: functions return 0 or a negative errno and never print,
 * except the two printers.  Reasons for failures go to fs_info->err or to
 * the caller's err buffer.
 */
#ifndef BTRFS_DAX_OWNERS_H
#define BTRFS_DAX_OWNERS_H

#include <stddef.h>
#include <stdio.h>
#include "kernel-shared/ctree.h"

/* A byte range of a file that owns (part of) a data extent. */
struct owner_file {
	u64 root;		/* subvolume/snapshot tree id */
	u64 ino;
	u64 file_offset;	/* file offset where the queried bytes start */
	u64 len;		/* how many of the queried bytes this file maps */
	char **paths;		/* every path of the inode from the filesystem top,
				 * e.g. "/snap1/dir/file" (hard links: several) */
	u32 nr_paths;
	/*
	 * BTRFS_COMPRESS_* of the extent; when not 0 one bad byte spoils the
	 * whole extent, so [file_offset, +len) is every byte of the file the
	 * file extent item maps from it, not just the queried bytes.
	 */
	u8 compression;
};

enum owner_kind {
	OWNER_FREE,		/* allocated chunk, no extent: harmless */
	OWNER_TREE_BLOCK,	/* metadata */
	OWNER_DATA,		/* a data extent */
	OWNER_SUPERBLOCK,	/* a superblock copy (physical ranges only) */
	OWNER_UNALLOCATED,	/* device bytes in no device extent (physical only) */
	OWNER_PARITY,		/* RAID5/6 parity (physical only); logical is the
				 * start of its full stripe */
};

/* One piece of a queried range with a single owner. */
struct owner_piece {
	enum owner_kind kind;
	u64 logical;		/* piece start (0 for SUPERBLOCK/UNALLOCATED) */
	u64 len;
	u64 devid, physical;	/* set when the query was physical */
	u64 extent_start, extent_len;	/* the extent item holding it */
	u64 tree;		/* TREE_BLOCK: owner tree id (header owner) */
	int level;		/* TREE_BLOCK: level */
	u64 chunk_type;		/* BTRFS_BLOCK_GROUP_* flags of the chunk */
	struct owner_file *files;	/* DATA: every file mapping these bytes */
	u32 nr_files;
	/*
	 * Damaged metadata on the way: DATA may miss files (or paths), a
	 * TREE_BLOCK may have tree 0 when neither the block nor its back
	 * references tell the tree.
	 */
	bool incomplete;
};

struct owner_list {
	struct owner_piece *p;
	u32 nr;
};

/* Splits logical [logical, logical+len) into pieces by owner. */
int owners_resolve_logical(struct btrfs_fs_info *fs_info, u64 logical, u64 len,
			   struct owner_list *out);
/* The same for a physical range of one device (device extents -> chunks;
 * superblock copies and unallocated space become their own pieces). */
int owners_resolve_physical(struct btrfs_fs_info *fs_info, u64 devid,
			    u64 physical, u64 len, struct owner_list *out);
void owner_list_free(struct owner_list *l);
/* Human text, one or more lines per piece, and a JSON array of pieces. */
void owner_list_print_text(FILE *f, const struct owner_list *l, const char *indent);
void owner_list_print_json(FILE *f, const struct owner_list *l);

/* Bad block lists, "first-sector count" in 512-byte sectors, one per line. */
struct bad_range {
	u64 start;		/* bytes, relative to the start of the device given */
	u64 len;
};
/* Parses FILE; on a malformed line fails with the line number in err. */
int badblocks_read_file(const char *path, struct bad_range **ret, u32 *nr,
			char *err, size_t errlen);
/* /sys/block/<disk>/badblocks for a block device (a partition: its disk's
 * list, shifted by the partition's start and clipped to the partition).
 * Returns 0 with *nr = 0 when the device has no badblocks file. */
int badblocks_read_sysfs(const char *devpath, struct bad_range **ret, u32 *nr,
			 char *err, size_t errlen);

#endif
