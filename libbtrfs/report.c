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

/* A ref cycle in damaged metadata must end; no real tree is this deep. */
#define PATH_MAX_DEPTH		32768

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
	switch (type & BTRFS_BLOCK_GROUP_PROFILE_MASK) {
	case 0:				return "single";
	case BTRFS_BLOCK_GROUP_DUP:	return "dup";
	case BTRFS_BLOCK_GROUP_RAID0:	return "raid0";
	case BTRFS_BLOCK_GROUP_RAID1:	return "raid1";
	case BTRFS_BLOCK_GROUP_RAID1C3:	return "raid1c3";
	case BTRFS_BLOCK_GROUP_RAID1C4:	return "raid1c4";
	case BTRFS_BLOCK_GROUP_RAID10:	return "raid10";
	case BTRFS_BLOCK_GROUP_RAID5:	return "raid5";
	case BTRFS_BLOCK_GROUP_RAID6:	return "raid6";
	default:			return "unknown";
	}
}

/* Stripes that hold data rather than copies or parity. */
static u32 chunk_data_stripes(const struct chunk_map *map)
{
	u64 p = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;

	if (p & BTRFS_BLOCK_GROUP_RAID0)
		return map->num_stripes;
	if (p & BTRFS_BLOCK_GROUP_RAID10)
		return map->num_stripes / map->sub_stripes;
	if (p & BTRFS_BLOCK_GROUP_RAID5)
		return map->num_stripes - 1;
	if (p & BTRFS_BLOCK_GROUP_RAID6)
		return map->num_stripes - 2;
	return 1;
}

/* Fills *out from map; stripes[] must have room for map->num_stripes. */
static void chunk_export(const struct chunk_map *map,
			 struct btrfs_dax_stripe *stripes,
			 struct btrfs_dax_chunk *out)
{
	u32 i, ndata = chunk_data_stripes(map);

	memset(out, 0, sizeof(*out));
	out->logical = map->logical;
	out->length = map->length;
	out->type = map->type;
	out->profile = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	out->stripe_len = map->stripe_len;
	out->dev_extent_length = ndata ? map->length / ndata : map->length;
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

/*
 * A path built from its end towards "/": the text is buf[start..len), and
 * prepending moves start down, growing the buffer at its front as needed.
 */
struct path_buf {
	char *buf;
	size_t len;
	size_t start;
};

static int path_prepend(struct path_buf *pb, const char *s, size_t n)
{
	if (pb->start < n) {
		size_t grow = pb->len + n + 256;
		char *nbuf = malloc(pb->len + grow);

		if (!nbuf)
			return -ENOMEM;
		if (pb->len > pb->start)
			memcpy(nbuf + grow + pb->start, pb->buf + pb->start,
			       pb->len - pb->start);
		free(pb->buf);
		pb->buf = nbuf;
		pb->start += grow;
		pb->len += grow;
	}
	pb->start -= n;
	memcpy(pb->buf + pb->start, s, n);
	return 0;
}

/* One name of an inode: the directory it is in and the name there. */
struct ref_name {
	u64 parent;
	u16 len;
	const char *name;
};

/*
 * Decodes entry *cur of an INODE_REF (parent is the key offset) or
 * INODE_EXTREF item and advances *cur; -EUCLEAN if it overruns the item.
 */
static int ref_entry(const u8 *item, u32 size, u8 type, u64 key_offset,
		     u32 *cur, struct ref_name *out)
{
	u32 left = size - *cur, hdr;

	if (type == BTRFS_INODE_REF_KEY) {
		const struct btrfs_inode_ref *ref = (const void *)(item + *cur);

		hdr = sizeof(*ref);
		if (left < hdr)
			return -EUCLEAN;
		out->parent = key_offset;
		out->len = btrfs_inode_ref_name_len(ref);
	} else {
		const struct btrfs_inode_extref *ext = (const void *)(item + *cur);

		hdr = sizeof(*ext);
		if (left < hdr)
			return -EUCLEAN;
		out->parent = btrfs_inode_extref_parent(ext);
		out->len = btrfs_inode_extref_name_len(ext);
	}
	if (out->len == 0 || out->len > left - hdr)
		return -EUCLEAN;
	out->name = (const char *)item + *cur + hdr;
	*cur += hdr + out->len;
	return 0;
}

/*
 * The directory dir lives in and its name there, from dir's first
 * INODE_REF or else INODE_EXTREF.  A directory has one name only.
 */
static int dir_parent(struct btrfs_fs_info *fs_info,
		      const struct btrfs_root *root, u64 dir,
		      struct path_buf *pb, u64 *parent)
{
	static const u8 types[] = { BTRFS_INODE_REF_KEY, BTRFS_INODE_EXTREF_KEY };
	struct btrfs_path path;
	struct btrfs_key key;
	struct ref_name rn;
	unsigned int i;
	u32 cur = 0;
	int ret = -ENOENT;

	btrfs_path_init(&path);
	for (i = 0; i < sizeof(types) && ret == -ENOENT; i++) {
		key.objectid = dir;
		key.type = types[i];
		key.offset = 0;
		btrfs_path_release(&path);
		ret = dax_search_first(fs_info, root, &key, &path);
		if (ret > 0)
			ret = -ENOENT;
		if (ret)
			continue;
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.objectid != dir || key.type != types[i]) {
			ret = -ENOENT;
			continue;
		}
		ret = ref_entry(eb_item_ptr(path.nodes[0], path.slots[0]),
				eb_item_size(path.nodes[0], path.slots[0]),
				key.type, key.offset, &cur, &rn);
		if (!ret)
			ret = path_prepend(pb, rn.name, rn.len);
		if (!ret)
			ret = path_prepend(pb, "/", 1);
		if (!ret)
			*parent = rn.parent;
	}
	btrfs_path_release(&path);
	return ret;
}

/* Calls cb with "/" + the path of dir + "/" + name. */
static int path_emit(struct btrfs_fs_info *fs_info,
		     const struct btrfs_root *root, const struct ref_name *rn,
		     int (*cb)(const char *path, void *ctx), void *ctx,
		     int *cb_ret)
{
	struct path_buf pb = { NULL, 0, 0 };
	u64 dir = rn->parent;
	int depth = 0, ret;

	ret = path_prepend(&pb, "", 1);
	if (!ret)
		ret = path_prepend(&pb, rn->name, rn->len);
	if (!ret)
		ret = path_prepend(&pb, "/", 1);
	while (!ret && dir != BTRFS_FIRST_FREE_OBJECTID) {
		if (++depth > PATH_MAX_DEPTH)
			ret = -ELOOP;
		else
			ret = dir_parent(fs_info, root, dir, &pb, &dir);
	}
	if (!ret)
		*cb_ret = cb(pb.buf + pb.start, ctx);
	free(pb.buf);
	return ret;
}

/*
 * Calls path_emit() for every name in every item of one ref type.  The
 * item is copied: path_emit() searches the tree while the walk goes on.
 */
static int refs_walk(struct btrfs_fs_info *fs_info,
		     const struct btrfs_root *root, u64 ino, u8 type,
		     int (*cb)(const char *path, void *ctx), void *ctx,
		     int *cb_ret)
{
	struct btrfs_key key = { ino, type, 0 };
	struct btrfs_path path;
	struct ref_name rn;
	u8 *copy = malloc(fs_info->sb.nodesize);
	u32 size, cur;
	int ret;

	if (!copy)
		return -ENOMEM;
	btrfs_path_init(&path);
	ret = dax_search_first(fs_info, root, &key, &path);
	while (ret == 0 && !*cb_ret) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.objectid != ino || key.type != type)
			break;
		size = eb_item_size(path.nodes[0], path.slots[0]);
		if (size > fs_info->sb.nodesize) {
			ret = -EUCLEAN;
			break;
		}
		memcpy(copy, eb_item_ptr(path.nodes[0], path.slots[0]), size);
		for (cur = 0; cur < size && !ret && !*cb_ret;) {
			ret = ref_entry(copy, size, type, key.offset, &cur, &rn);
			if (!ret)
				ret = path_emit(fs_info, root, &rn, cb, ctx,
						cb_ret);
		}
		if (!ret && !*cb_ret)
			ret = btrfs_next_item(fs_info, &path);
	}
	btrfs_path_release(&path);
	free(copy);
	return ret < 0 ? ret : 0;
}

int btrfs_dax_inode_paths(struct btrfs_dax_fs *fs, uint64_t subvol,
			  uint64_t ino,
			  int (*cb)(const char *path, void *ctx), void *ctx)
{
	struct btrfs_dax_inode inode;
	struct btrfs_fs_info *fs_info;
	struct btrfs_root root;
	int ret, cb_ret = 0;

	if (!fs || !cb)
		return -EINVAL;
	ret = btrfs_dax_inode_get(fs, subvol, ino, &inode);
	if (ret)
		return ret;
	if (ino == BTRFS_FIRST_FREE_OBJECTID)
		return cb("/", ctx);
	fs_info = fs->fs_info;
	ret = dax_subvol_root(fs_info, subvol, &root);
	if (ret)
		return ret;
	ret = refs_walk(fs_info, &root, ino, BTRFS_INODE_REF_KEY, cb, ctx,
			&cb_ret);
	if (!ret && !cb_ret)
		ret = refs_walk(fs_info, &root, ino, BTRFS_INODE_EXTREF_KEY,
				cb, ctx, &cb_ret);
	if (ret)
		return dax_fail(fs_info, ret,
				"cannot resolve the paths of inode %llu of subvolume %llu: %s",
				(unsigned long long)ino,
				(unsigned long long)root.objectid,
				strerror(-ret));
	return cb_ret;
}
