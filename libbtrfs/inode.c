// SPDX-License-Identifier: GPL-2.0-only
/*
 * Public API: inode items and file extents, with where the data really is
 * and whether it can be mapped with 2 MiB pages.
 */
#include <errno.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "libbtrfs/internal.h"

bool dax_pmd_congruent(u64 file_offset, u64 logical, u64 physical)
{
	/* Unsigned differences wrap modulo 2^64, a multiple of 2 MiB. */
	return (logical - file_offset) % BTRFS_DAX_PMD_SIZE == 0 &&
	       (physical - file_offset) % BTRFS_DAX_PMD_SIZE == 0;
}

int btrfs_dax_inode_get(struct btrfs_dax_fs *fs, uint64_t subvol, uint64_t ino,
			struct btrfs_dax_inode *out)
{
	struct btrfs_key key = { ino, BTRFS_INODE_ITEM_KEY, 0 };
	struct btrfs_fs_info *fs_info;
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	if (!fs || !out)
		return -EINVAL;
	fs_info = dax_begin(fs);
	ret = dax_subvol_root(fs_info, subvol, &root);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &root, &key, &path);
	if (ret > 0)
		ret = -ENOENT;
	if (!ret)
		ret = btrfs_dax_inode_decode(ino,
				eb_item_ptr(path.nodes[0], path.slots[0]),
				eb_item_size(path.nodes[0], path.slots[0]), out);
	btrfs_path_release(&path);
	if (ret)
		return dax_fail(fs_info, ret, "cannot read inode %llu of subvolume %llu: %s",
				(unsigned long long)ino,
				(unsigned long long)root.objectid, strerror(-ret));
	return 0;
}

/* Where the first copy of the file's first byte is, and the PMD rule. */
static void extent_locate(const struct btrfs_fs_info *fs_info,
			  struct btrfs_dax_extent *ext)
{
	u64 logical = ext->disk_bytenr;
	struct btrfs_io_copy copy;
	struct chunk_map *map;
	u64 contig;

	/* A compressed extent's offset points into the decompressed data. */
	if (ext->compression == BTRFS_COMPRESS_NONE)
		logical += ext->extent_offset;
	map = chunk_map_lookup(fs_info, logical);
	if (!map || chunk_map_locate(map, logical, 0, &copy, &contig))
		return;
	ext->devid = copy.stripe->devid;
	ext->physical = copy.physical;
	/* Striped profiles break the data into 64 KiB pieces: no PMD. */
	ext->pmd_aligned = ext->compression == BTRFS_COMPRESS_NONE &&
			   contig >= ext->num_bytes &&
			   dax_pmd_congruent(ext->file_offset, logical,
					     ext->physical);
}

static int extent_decode(const struct btrfs_fs_info *fs_info,
			 const struct btrfs_key *key,
			 const struct btrfs_file_extent_item *fi, u32 size,
			 struct btrfs_dax_extent *ext)
{
	memset(ext, 0, sizeof(*ext));
	if (size < BTRFS_FILE_EXTENT_INLINE_DATA_START)
		return -EUCLEAN;
	ext->file_offset = key->offset;
	ext->type = btrfs_file_extent_type(fi);
	ext->compression = btrfs_file_extent_compression(fi);
	ext->ram_bytes = btrfs_file_extent_ram_bytes(fi);
	if (ext->type == BTRFS_FILE_EXTENT_INLINE) {
		ext->num_bytes = ext->ram_bytes;
		ext->disk_num_bytes = size - BTRFS_FILE_EXTENT_INLINE_DATA_START;
		return 0;
	}
	if (ext->type > BTRFS_FILE_EXTENT_PREALLOC || size < sizeof(*fi))
		return -EUCLEAN;
	ext->disk_bytenr = btrfs_file_extent_disk_bytenr(fi);
	ext->disk_num_bytes = btrfs_file_extent_disk_num_bytes(fi);
	ext->extent_offset = btrfs_file_extent_offset(fi);
	ext->num_bytes = btrfs_file_extent_num_bytes(fi);
	if (ext->disk_bytenr)
		extent_locate(fs_info, ext);
	return 0;
}

/*
 * Calls cb for every EXTENT_DATA item of ino.  A non-zero return of cb ends
 * the walk and lands in *cb_ret; the return value is the walk's own.
 */
static int extents_walk(struct btrfs_fs_info *fs_info,
			const struct btrfs_root *root, u64 ino,
			int (*cb)(const struct btrfs_dax_extent *, void *),
			void *ctx, int *cb_ret)
{
	struct btrfs_key key = { ino, BTRFS_EXTENT_DATA_KEY, 0 };
	struct btrfs_dax_extent ext;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_first(fs_info, root, &key, &path);
	while (ret == 0) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.objectid != ino || key.type != BTRFS_EXTENT_DATA_KEY)
			break;
		ret = extent_decode(fs_info, &key,
				    eb_item_ptr(path.nodes[0], path.slots[0]),
				    eb_item_size(path.nodes[0], path.slots[0]),
				    &ext);
		if (ret) {
			dax_fail(fs_info, ret,
				 "bad file extent item (%llu EXTENT_DATA %llu)",
				 (unsigned long long)ino,
				 (unsigned long long)key.offset);
			break;
		}
		*cb_ret = cb(&ext, ctx);
		if (*cb_ret)
			break;
		ret = btrfs_next_item(fs_info, &path);
	}
	btrfs_path_release(&path);
	return ret < 0 ? ret : 0;
}

int btrfs_dax_file_extents(struct btrfs_dax_fs *fs, uint64_t subvol,
			   uint64_t ino,
			   int (*cb)(const struct btrfs_dax_extent *ext,
				     void *ctx),
			   void *ctx)
{
	struct btrfs_dax_inode inode;
	struct btrfs_fs_info *fs_info;
	struct btrfs_root root;
	int ret, cb_ret = 0;

	if (!fs || !cb)
		return -EINVAL;
	/* Also tells a missing inode (-ENOENT) from one without extents. */
	ret = btrfs_dax_inode_get(fs, subvol, ino, &inode);
	if (ret)
		return ret;
	fs_info = fs->fs_info;
	ret = dax_subvol_root(fs_info, subvol, &root);
	if (!ret)
		ret = extents_walk(fs_info, &root, ino, cb, ctx, &cb_ret);
	if (ret)
		return dax_fail(fs_info, ret, "cannot read the extents of inode %llu: %s",
				(unsigned long long)ino, strerror(-ret));
	return cb_ret;
}
