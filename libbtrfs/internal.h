/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private glue between the files of libbtrfs/ and its unit test.  Not
 * installed; the symbols below are hidden from the shared library.
 */
#ifndef BTRFS_DAX_LIB_INTERNAL_H
#define BTRFS_DAX_LIB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel-shared/ctree.h"
#include "libbtrfs/btrfs-dax.h"

#define DAX_HIDDEN __attribute__((visibility("hidden")))

struct btrfs_dax_fs {
	struct btrfs_fs_info *fs_info;
};

/* Forgets the previous call's error text; every API entry point calls it. */
static inline struct btrfs_fs_info *dax_begin(struct btrfs_dax_fs *fs)
{
	fs->fs_info->err[0] = '\0';
	return fs->fs_info;
}

/* Records a message unless the engine already left one; returns ret. */
DAX_HIDDEN int dax_fail(struct btrfs_fs_info *fs_info, int ret,
			const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The kernel's btrfs_name_hash(): the key offset of a DIR_ITEM. */

/*
 * The PMD rule: the first byte's logical and physical addresses are both
 * congruent to its file offset modulo BTRFS_DAX_PMD_SIZE.
 */
DAX_HIDDEN bool dax_pmd_congruent(u64 file_offset, u64 logical, u64 physical);

/* Finds name among the entries of one DIR_ITEM: 0, -ENOENT or -EUCLEAN. */
DAX_HIDDEN int dax_dir_item_match(const u8 *ptr, u32 size, const char *name,
				  size_t len, struct btrfs_dir_item *found);

/* Finds name in directory dir: its location key and file type. */
DAX_HIDDEN int dax_dir_lookup(struct btrfs_fs_info *fs_info,
			      const struct btrfs_root *root, u64 dir,
			      const char *name, size_t len,
			      struct btrfs_key *location, u8 *ftype);

/* Turns subvol 0 into the default subvolume's id and checks the range. */
DAX_HIDDEN int dax_subvol_resolve(struct btrfs_fs_info *fs_info, u64 subvol,
				  u64 *ret);
/* Loads the root of subvol (0: the default). */
DAX_HIDDEN int dax_subvol_root(struct btrfs_fs_info *fs_info, u64 subvol,
			       struct btrfs_root *root);

#endif
