// SPDX-License-Identifier: GPL-2.0-only
/*
 * Public API for layout reports: the chunk list, decoding inode items handed
 * out by the iterator, and the paths of an inode.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "libbtrfs/internal.h"

/* The public header repeats some on-disk values. */
_Static_assert(BTRFS_DAX_INODE_ITEM_KEY == BTRFS_INODE_ITEM_KEY &&
	       BTRFS_DAX_ROOT_ITEM_KEY == BTRFS_ROOT_ITEM_KEY &&
	       BTRFS_DAX_ROOT_BACKREF_KEY == BTRFS_ROOT_BACKREF_KEY &&
	       BTRFS_DAX_FIRST_SUBVOL_ID == BTRFS_FIRST_FREE_OBJECTID &&
	       BTRFS_DAX_LAST_SUBVOL_ID == BTRFS_LAST_FREE_OBJECTID,
	       "key types and subvolume ids");
_Static_assert(BTRFS_DAX_CHUNK_DATA == BTRFS_BLOCK_GROUP_DATA &&
	       BTRFS_DAX_CHUNK_SYSTEM == BTRFS_BLOCK_GROUP_SYSTEM &&
	       BTRFS_DAX_CHUNK_METADATA == BTRFS_BLOCK_GROUP_METADATA,
	       "chunk kind bits");
_Static_assert(BTRFS_DAX_PROFILE_RAID0 == BTRFS_BLOCK_GROUP_RAID0 &&
	       BTRFS_DAX_PROFILE_RAID1 == BTRFS_BLOCK_GROUP_RAID1 &&
	       BTRFS_DAX_PROFILE_DUP == BTRFS_BLOCK_GROUP_DUP &&
	       BTRFS_DAX_PROFILE_RAID10 == BTRFS_BLOCK_GROUP_RAID10 &&
	       BTRFS_DAX_PROFILE_RAID5 == BTRFS_BLOCK_GROUP_RAID5 &&
	       BTRFS_DAX_PROFILE_RAID6 == BTRFS_BLOCK_GROUP_RAID6 &&
	       BTRFS_DAX_PROFILE_RAID1C3 == BTRFS_BLOCK_GROUP_RAID1C3 &&
	       BTRFS_DAX_PROFILE_RAID1C4 == BTRFS_BLOCK_GROUP_RAID1C4,
	       "chunk profile bits");

const char *btrfs_dax_profile_name(uint64_t type)
{
	return btrfs_profile_name(type);
}

/* Fills *out from map; stripes[] must have room for map->num_stripes. */
static void chunk_export(const struct chunk_map *map,
			 struct btrfs_dax_stripe *stripes,
			 struct btrfs_dax_chunk *out)
{
	u32 i;

	memset(out, 0, sizeof(*out));
	out->logical = map->logical;
	out->length = map->length;
	out->type = map->type;
	out->profile = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	out->stripe_len = map->stripe_len;
	out->dev_extent_length = chunk_map_stripe_size(map);
	out->num_stripes = map->num_stripes;
	out->sub_stripes = map->sub_stripes;
	for (i = 0; i < map->num_stripes; i++) {
		stripes[i].devid = map->stripes[i].devid;
		stripes[i].physical = map->stripes[i].physical;
		stripes[i].missing = !map->stripes[i].dev ||
				     !map->stripes[i].dev->path;
	}
	out->stripes = stripes;
}

int btrfs_dax_chunks(struct btrfs_dax_fs *fs,
		     int (*cb)(const struct btrfs_dax_chunk *chunk, void *ctx),
		     void *ctx)
{
	struct btrfs_dax_stripe *stripes = NULL;
	struct btrfs_fs_info *fs_info;
	struct btrfs_dax_chunk chunk;
	u32 i, max = 0;
	int ret = 0;

	if (!fs || !cb)
		return -EINVAL;
	fs_info = dax_begin(fs);
	for (i = 0; i < fs_info->nr_chunks; i++)
		if (fs_info->chunks[i]->num_stripes > max)
			max = fs_info->chunks[i]->num_stripes;
	if (max) {
		stripes = calloc(max, sizeof(*stripes));
		if (!stripes)
			return dax_fail(fs_info, -ENOMEM, "out of memory");
	}
	for (i = 0; i < fs_info->nr_chunks && !ret; i++) {
		chunk_export(fs_info->chunks[i], stripes, &chunk);
		ret = cb(&chunk, ctx);
	}
	free(stripes);
	return ret;
}

int btrfs_dax_inode_decode(uint64_t ino, const void *item, uint32_t size,
			   struct btrfs_dax_inode *out)
{
	const struct btrfs_inode_item *ii = item;
	u64 flags;

	if (!item || !out)
		return -EINVAL;
	if (size < sizeof(*ii))
		return -EUCLEAN;
	flags = btrfs_inode_flags(ii);
	memset(out, 0, sizeof(*out));
	out->ino = ino;
	out->mode = btrfs_inode_mode(ii);
	out->size = btrfs_inode_size(ii);
	out->nbytes = btrfs_inode_nbytes(ii);
	out->nlink = btrfs_inode_nlink(ii);
	out->uid = btrfs_inode_uid(ii);
	out->gid = btrfs_inode_gid(ii);
	out->rdev = btrfs_inode_rdev(ii);
	out->flags = flags;
	out->dax = !!(btrfs_inode_flags_ro(flags) & BTRFS_INODE_RO_DAX);
	out->nodatacow = !!(flags & BTRFS_INODE_NODATACOW);
	out->nodatasum = !!(flags & BTRFS_INODE_NODATASUM);
	out->compress = !!(flags & BTRFS_INODE_COMPRESS);
	return 0;
}

int btrfs_dax_inode_paths(struct btrfs_dax_fs *fs, uint64_t subvol,
			  uint64_t ino,
			  int (*cb)(const char *path, void *ctx), void *ctx)
{
	struct btrfs_dax_inode inode;
	struct btrfs_fs_info *fs_info;
	struct btrfs_root root;
	int ret;

	if (!fs || !cb)
		return -EINVAL;
	ret = btrfs_dax_inode_get(fs, subvol, ino, &inode);
	if (ret)
		return ret;
	fs_info = fs->fs_info;
	ret = dax_subvol_root(fs_info, subvol, &root);
	if (ret)
		return ret;
	ret = btrfs_inode_paths(fs_info, &root, ino, cb, ctx);
	if (ret < 0)
		return dax_fail(fs_info, ret,
				"cannot resolve the paths of inode %llu of subvolume %llu: %s",
				(unsigned long long)ino,
				(unsigned long long)root.objectid,
				strerror(-ret));
	return ret;
}
