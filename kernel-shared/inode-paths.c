// SPDX-License-Identifier: GPL-2.0-only
/*
 * Paths from back references: every name of an inode through its INODE_REF
 * and INODE_EXTREF items, and a subvolume's place in the filesystem through
 * ROOT_BACKREF items.  Shared by the public library and the front ends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"

/* A ref cycle in damaged metadata must end; no real tree is this deep. */
#define PATH_MAX_DEPTH		32768

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
		ret = btrfs_search_first(fs_info, root, &key, &path);
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
	ret = btrfs_search_first(fs_info, root, &key, &path);
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

int btrfs_inode_paths(struct btrfs_fs_info *fs_info,
		      const struct btrfs_root *root, u64 ino,
		      int (*cb)(const char *path, void *ctx), void *ctx)
{
	int ret, cb_ret = 0;

	if (ino == BTRFS_FIRST_FREE_OBJECTID)
		return cb("/", ctx);
	ret = refs_walk(fs_info, root, ino, BTRFS_INODE_REF_KEY, cb, ctx,
			&cb_ret);
	if (!ret && !cb_ret)
		ret = refs_walk(fs_info, root, ino, BTRFS_INODE_EXTREF_KEY,
				cb, ctx, &cb_ret);
	return ret ? ret : cb_ret;
}

static int first_path_cb(const char *path, void *ctx)
{
	char **out = ctx;

	*out = strdup(path);
	return *out ? 1 : -ENOMEM;
}

/* Where subvol is attached: its parent tree, directory and name. */
static int subvol_backref(struct btrfs_fs_info *fs_info, u64 subvol,
			  u64 *parent, u64 *dirid, char *name)
{
	struct btrfs_key key = { subvol, BTRFS_ROOT_BACKREF_KEY, 0 };
	const struct btrfs_root_ref *ref;
	struct btrfs_path path;
	u32 size, len;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_first(fs_info, &fs_info->tree_root, &key, &path);
	if (ret)
		goto out;
	eb_item_key(path.nodes[0], &key, path.slots[0]);
	size = eb_item_size(path.nodes[0], path.slots[0]);
	ref = eb_item_ptr(path.nodes[0], path.slots[0]);
	if (key.objectid != subvol || key.type != BTRFS_ROOT_BACKREF_KEY) {
		ret = 1;
		goto out;
	}
	len = size >= sizeof(*ref) ? btrfs_root_ref_name_len(ref) : 0;
	if (size < sizeof(*ref) || !len || len > BTRFS_NAME_LEN ||
	    len > size - sizeof(*ref)) {
		ret = -EUCLEAN;
		goto out;
	}
	*parent = key.offset;
	*dirid = btrfs_root_ref_dirid(ref);
	memcpy(name, ref + 1, len);
	name[len] = '\0';
out:
	btrfs_path_release(&path);
	return ret;
}

/* Prepends "/<dir path in parent>/name" of one subvolume to *path. */
static int subvol_path_step(struct btrfs_fs_info *fs_info, u64 parent,
			    u64 dirid, const char *name, char **path)
{
	struct btrfs_root root;
	char *dir = NULL, *joined;
	int ret;

	ret = btrfs_read_root(fs_info, parent, &root, NULL);
	if (!ret)
		ret = btrfs_inode_paths(fs_info, &root, dirid, first_path_cb,
					&dir);
	if (ret < 0)
		return ret;
	if (!dir)
		return -ENOENT;
	if (asprintf(&joined, "%s/%s%s", strcmp(dir, "/") ? dir : "", name,
		     *path) < 0)
		joined = NULL;
	free(dir);
	if (!joined)
		return -ENOMEM;
	free(*path);
	*path = joined;
	return 0;
}

int btrfs_subvol_path(struct btrfs_fs_info *fs_info, u64 subvol, char **ret)
{
	char name[BTRFS_NAME_LEN + 1];
	char *path = strdup("");
	u64 parent, dirid;
	int depth = 0, err = 0;

	while (path && subvol != BTRFS_FS_TREE_OBJECTID) {
		if (++depth > PATH_MAX_DEPTH) {
			err = -ELOOP;
			break;
		}
		err = subvol_backref(fs_info, subvol, &parent, &dirid, name);
		if (err > 0)
			err = -ENOENT;
		if (!err)
			err = subvol_path_step(fs_info, parent, dirid, name,
					       &path);
		if (err)
			break;
		subvol = parent;
	}
	if (!path)
		err = -ENOMEM;
	if (err) {
		free(path);
		return err;
	}
	*ret = path;
	return 0;
}
