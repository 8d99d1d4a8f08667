// SPDX-License-Identifier: GPL-2.0-only
/*
 * Public API: path lookup through DIR_ITEMs, across subvolume boundaries.
 */
#include <errno.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"
#include "libbtrfs/internal.h"

/* Where a walk stands: a directory (or, last, any inode) of one subvolume. */
struct walk {
	u64 start_subvol;
	u64 subvol;
	struct btrfs_root root;
	u64 ino;
	u8 ftype;
};

/*
 * Names whose hashes collide share one DIR_ITEM, their entries packed one
 * after another, so compare every entry's name.
 */
int dax_dir_item_match(const u8 *ptr, u32 size, const char *name, size_t len,
		       struct btrfs_dir_item *found)
{
	u32 cur = 0;

	while (size - cur >= sizeof(struct btrfs_dir_item)) {
		const struct btrfs_dir_item *di = (const void *)(ptr + cur);
		u32 name_len = btrfs_dir_name_len(di);
		u32 this = sizeof(*di) + name_len + btrfs_dir_data_len(di);

		if (this > size - cur)
			return -EUCLEAN;
		if (name_len == len && !memcmp(di + 1, name, len)) {
			memcpy(found, di, sizeof(*di));
			return 0;
		}
		cur += this;
	}
	return -ENOENT;
}

int dax_dir_lookup(struct btrfs_fs_info *fs_info, const struct btrfs_root *root,
		   u64 dir, const char *name, size_t len,
		   struct btrfs_key *location, u8 *ftype)
{
	struct btrfs_key key = { dir, BTRFS_DIR_ITEM_KEY,
				 btrfs_name_hash(name, len) };
	struct btrfs_dir_item di;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, root, &key, &path);
	if (ret > 0)
		ret = -ENOENT;
	if (!ret)
		ret = dax_dir_item_match(
			eb_item_ptr(path.nodes[0], path.slots[0]),
			eb_item_size(path.nodes[0], path.slots[0]),
			name, len, &di);
	if (!ret) {
		btrfs_disk_key_to_cpu(location, &di.location);
		*ftype = btrfs_dir_ftype(&di);
	}
	btrfs_path_release(&path);
	return ret;
}

/* Moves the walk to the top directory of subvolume subvol. */
static int walk_enter_subvol(struct btrfs_fs_info *fs_info, struct walk *w,
			     u64 subvol)
{
	int ret = btrfs_read_root(fs_info, subvol, &w->root, NULL);

	if (ret)
		return ret;
	w->subvol = subvol;
	w->ino = BTRFS_FIRST_FREE_OBJECTID;
	w->ftype = BTRFS_FT_DIR;
	return 0;
}

/* The first item of (objectid, type, *) in root: 0 with its key, or -ENOENT. */
static int first_item_of(struct btrfs_fs_info *fs_info,
			 const struct btrfs_root *root, u64 objectid, u8 type,
			 struct btrfs_key *found, struct btrfs_path *path)
{
	struct btrfs_key key = { objectid, type, 0 };
	int ret = btrfs_search_first(fs_info, root, &key, path);

	if (ret)
		return ret < 0 ? ret : -ENOENT;
	eb_item_key(path->nodes[0], found, path->slots[0]);
	if (found->objectid != objectid || found->type != type)
		return -ENOENT;
	return 0;
}

/* "..": the parent directory, through INODE_REF or, at a subvolume's top, ROOT_BACKREF. */
static int walk_parent(struct btrfs_fs_info *fs_info, struct walk *w)
{
	struct btrfs_key found;
	struct btrfs_path path;
	u64 dirid;
	int ret;

	/* Like "/..", ".." at the top of the starting subvolume stays put. */
	if (w->ino == BTRFS_FIRST_FREE_OBJECTID && w->subvol == w->start_subvol)
		return 0;
	btrfs_path_init(&path);
	if (w->ino != BTRFS_FIRST_FREE_OBJECTID) {
		ret = first_item_of(fs_info, &w->root, w->ino,
				    BTRFS_INODE_REF_KEY, &found, &path);
		if (!ret)
			w->ino = found.offset;
		goto out;
	}
	ret = first_item_of(fs_info, &fs_info->tree_root, w->subvol,
			    BTRFS_ROOT_BACKREF_KEY, &found, &path);
	if (ret)
		goto out;
	if (eb_item_size(path.nodes[0], path.slots[0]) <
	    sizeof(struct btrfs_root_ref)) {
		ret = -EUCLEAN;
		goto out;
	}
	dirid = btrfs_root_ref_dirid(eb_item_ptr_type(path.nodes[0],
				     path.slots[0], struct btrfs_root_ref));
	ret = walk_enter_subvol(fs_info, w, found.offset);
	if (!ret)
		w->ino = dirid;
out:
	btrfs_path_release(&path);
	return ret;
}

/* One path component. */
static int walk_step(struct btrfs_fs_info *fs_info, struct walk *w,
		     const char *name, size_t len)
{
	struct btrfs_key loc;
	u8 ftype;
	int ret;

	if (w->ftype != BTRFS_FT_DIR)
		return -ENOTDIR;
	if (len == 1 && name[0] == '.')
		return 0;
	if (len == 2 && name[0] == '.' && name[1] == '.')
		return walk_parent(fs_info, w);
	if (len > BTRFS_NAME_LEN)
		return -ENAMETOOLONG;
	ret = dax_dir_lookup(fs_info, &w->root, w->ino, name, len, &loc, &ftype);
	if (ret)
		return ret;
	if (loc.type == BTRFS_ROOT_ITEM_KEY)
		return walk_enter_subvol(fs_info, w, loc.objectid);
	if (loc.type != BTRFS_INODE_ITEM_KEY)
		return -EUCLEAN;
	w->ino = loc.objectid;
	w->ftype = ftype;
	return 0;
}

static int walk_path(struct btrfs_fs_info *fs_info, struct walk *w,
		     const char *path)
{
	const char *p = path;
	int ret;

	while (*p) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (!len)
			break;
		ret = walk_step(fs_info, w, p, len);
		if (ret)
			return ret;
		p += len;
	}
	/* "file/" names a directory that is not one. */
	if (p > path && p[-1] == '/' && w->ftype != BTRFS_FT_DIR)
		return -ENOTDIR;
	return 0;
}

int btrfs_dax_lookup(struct btrfs_dax_fs *fs, uint64_t subvol,
		     const char *path, uint64_t *ret_subvol, uint64_t *ret_ino)
{
	struct btrfs_fs_info *fs_info;
	struct walk w;
	int ret;

	if (!fs || !path || path[0] != '/' || !ret_ino)
		return -EINVAL;
	fs_info = dax_begin(fs);
	memset(&w, 0, sizeof(w));
	ret = dax_subvol_resolve(fs_info, subvol, &w.start_subvol);
	if (!ret)
		ret = walk_enter_subvol(fs_info, &w, w.start_subvol);
	if (!ret)
		ret = walk_path(fs_info, &w, path);
	if (ret)
		return dax_fail(fs_info, ret, "cannot look up '%s': %s", path,
				strerror(-ret));
	if (ret_subvol)
		*ret_subvol = w.subvol;
	*ret_ino = w.ino;
	return 0;
}
