// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs property --image: the properties of an unmounted filesystem, read
 * from its committed trees and changed in exactly one transaction per set.
 *
 * The object is a path inside the filesystem, relative to the top-level
 * subvolume (id 5), walked through directory entries and into the
 * subvolumes they name.  Changes follow what the kernel does for the same
 * request: the inode item's flags, transid, sequence and ctime; the
 * "btrfs.compression" xattr; the subvolume's ROOT_ITEM flags; the
 * superblock's label and feature bits.
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/csum.h"
#include "common/messages.h"
#include "cmds/property.h"

/* The inode a path names. */
struct off_obj {
	u64 subvol;
	u64 ino;
	u32 mode;
	u64 flags;
	u64 size;
	u64 nbytes;
	bool top;		/* the top directory of subvolume 5 */
};

struct off_ctx {
	const struct prop_args *args;
	struct btrfs_fs_info *fs_info;	/* the committed trees */
	struct btrfs_fs_rw *rw;		/* set only */
	struct btrfs_trans_handle *trans;
	struct off_obj obj;
	bool told;		/* a rule refused the change and said why */
};

#define PATH_DEPTH_MAX	256
#define DAX_FLAG	((u64)BTRFS_INODE_RO_DAX << 32)

/* A rule refused the change and has printed why. */
static int refuse(struct off_ctx *c, int ret)
{
	c->told = true;
	return ret;
}

/*
 * The entry called name among the entries of a DIR_ITEM or XATTR_ITEM
 * (names whose hashes collide share one item); *len is its size.
 */
static const struct btrfs_dir_item *entry_find(const u8 *ptr, u32 size,
					       const char *name, size_t nlen,
					       u32 *len)
{
	u32 cur = 0;

	while (size - cur >= sizeof(struct btrfs_dir_item)) {
		const struct btrfs_dir_item *di = (const void *)(ptr + cur);
		u32 this = sizeof(*di) + btrfs_dir_name_len(di) +
			   btrfs_dir_data_len(di);

		if (this > size - cur)
			return NULL;
		if (btrfs_dir_name_len(di) == nlen &&
		    !memcmp(di + 1, name, nlen)) {
			if (len)
				*len = this;
			return di;
		}
		cur += this;
	}
	return NULL;
}

/* A copy of the committed item key of tree: 0, -ENOENT or -errno. */
static int item_read(struct btrfs_fs_info *fs_info, u64 tree,
		     const struct btrfs_key *key, u8 **data, u32 *size)
{
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	ret = btrfs_read_root(fs_info, tree, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &root, key, &path);
	if (ret > 0)
		ret = -ENOENT;
	if (!ret) {
		*size = eb_item_size(path.nodes[0], path.slots[0]);
		*data = malloc(*size ? *size : 1);
		if (*data)
			memcpy(*data, eb_item_ptr(path.nodes[0], path.slots[0]),
			       *size);
		else
			ret = -ENOMEM;
	}
	btrfs_path_release(&path);
	return ret;
}

/* Whether tree holds an item (objectid, type, *). */
static int item_exists(struct btrfs_fs_info *fs_info, u64 tree, u64 objectid,
		       u8 type, bool *exists)
{
	struct btrfs_key key = { objectid, type, 0 }, found;
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	ret = btrfs_read_root(fs_info, tree, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &root, &key, &path);
	if (ret > 0 && path.slots[0] >= (int)eb_nritems(path.nodes[0]))
		ret = btrfs_next_item(fs_info, &path) ? 1 : 0;
	else if (ret > 0)
		ret = 0;
	*exists = false;
	if (ret == 0) {
		eb_item_key(path.nodes[0], &found, path.slots[0]);
		*exists = found.objectid == objectid && found.type == type;
	}
	btrfs_path_release(&path);
	return ret < 0 ? ret : 0;
}

/* Looks name up in directory dir of subvol: its location and file type. */
static int dir_lookup(struct btrfs_fs_info *fs_info, u64 subvol, u64 dir,
		      const char *name, size_t len, struct btrfs_key *loc,
		      u8 *ftype)
{
	struct btrfs_key key = { dir, BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name, len) };
	const struct btrfs_dir_item *di;
	u8 *data;
	u32 size;
	int ret;

	ret = item_read(fs_info, subvol, &key, &data, &size);
	if (ret)
		return ret;
	di = entry_find(data, size, name, len, NULL);
	if (di) {
		btrfs_disk_key_to_cpu(loc, &di->location);
		*ftype = btrfs_dir_ftype(di);
	}
	free(data);
	return di ? 0 : -ENOENT;
}

/* Walks path from the top of subvolume 5; ".." goes back lexically. */
static int path_walk(struct btrfs_fs_info *fs_info, const char *path,
		     u64 *subvol, u64 *ino)
{
	struct { u64 subvol, ino; } stack[PATH_DEPTH_MAX];
	u64 sv = BTRFS_FS_TREE_OBJECTID, cur = BTRFS_FIRST_FREE_OBJECTID;
	u8 ftype = BTRFS_FT_DIR;
	int depth = 0, ret;

	while (*path) {
		const char *end;
		size_t len;
		struct btrfs_key loc;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		end = strchrnul(path, '/');
		len = (size_t)(end - path);
		if (ftype != BTRFS_FT_DIR)
			return -ENOTDIR;
		if (len == 2 && !memcmp(path, "..", 2)) {
			if (depth) {
				depth--;
				sv = stack[depth].subvol;
				cur = stack[depth].ino;
			}
		} else if (len != 1 || path[0] != '.') {
			if (depth == PATH_DEPTH_MAX)
				return -ENAMETOOLONG;
			ret = dir_lookup(fs_info, sv, cur, path, len, &loc,
					 &ftype);
			if (ret)
				return ret;
			stack[depth].subvol = sv;
			stack[depth++].ino = cur;
			if (loc.type == BTRFS_ROOT_ITEM_KEY) {
				sv = loc.objectid;
				cur = BTRFS_FIRST_FREE_OBJECTID;
			} else if (loc.type == BTRFS_INODE_ITEM_KEY) {
				cur = loc.objectid;
			} else {
				return -EUCLEAN;
			}
		}
		path = end;
	}
	*subvol = sv;
	*ino = cur;
	return 0;
}

static int obj_load(struct off_ctx *c, const char *path)
{
	struct off_obj *o = &c->obj;
	struct btrfs_inode_item ii;
	struct btrfs_key key;
	u8 *data;
	u32 size;
	int ret;

	ret = path_walk(c->fs_info, path, &o->subvol, &o->ino);
	if (!ret) {
		key = (struct btrfs_key){ o->ino, BTRFS_INODE_ITEM_KEY, 0 };
		ret = item_read(c->fs_info, o->subvol, &key, &data, &size);
	}
	if (ret == -ENOENT || ret == -ENOTDIR) {
		error("cannot find '%s' in the filesystem on '%s': %s", path,
		      c->args->images[0], strerror(-ret));
		return ret;
	}
	if (ret) {
		error("cannot look up '%s' in '%s': %s", path,
		      c->args->images[0],
		      c->fs_info->err[0] ? c->fs_info->err : strerror(-ret));
		return ret;
	}
	if (size < sizeof(ii)) {
		free(data);
		error("the inode item of '%s' is too small", path);
		return -EUCLEAN;
	}
	memcpy(&ii, data, sizeof(ii));
	free(data);
	o->mode = btrfs_inode_mode(&ii);
	o->flags = btrfs_inode_flags(&ii);
	o->size = btrfs_inode_size(&ii);
	o->nbytes = btrfs_inode_nbytes(&ii);
	o->top = o->subvol == BTRFS_FS_TREE_OBJECTID &&
		 o->ino == BTRFS_FIRST_FREE_OBJECTID;
	return 0;
}

/* The object types of the path, like stock detects them on a mount. */
static unsigned int obj_types(const struct off_obj *o)
{
	unsigned int types = PROP_OBJ_INODE;

	if (o->ino == BTRFS_FIRST_FREE_OBJECTID)
		types |= PROP_OBJ_SUBVOL;
	if (o->top)
		types |= PROP_OBJ_FS;
	return types;
}

/* The compression xattr's value: 0 and *value (free it), or -ENOENT. */
static int compression_read(struct off_ctx *c, char **value)
{
	const char *name = PROP_XATTR_COMPRESSION;
	size_t nlen = strlen(name);
	struct btrfs_key key = { c->obj.ino, BTRFS_XATTR_ITEM_KEY,
				 btrfs_name_hash(name, nlen) };
	const struct btrfs_dir_item *di;
	u8 *data;
	u32 size, vlen;
	int ret;

	ret = item_read(c->fs_info, c->obj.subvol, &key, &data, &size);
	if (ret)
		return ret;
	di = entry_find(data, size, name, nlen, NULL);
	ret = -ENOENT;
	if (di) {
		vlen = btrfs_dir_data_len(di);
		*value = malloc(vlen + 1);
		ret = *value ? 0 : -ENOMEM;
		if (*value) {
			memcpy(*value, (const u8 *)(di + 1) + nlen, vlen);
			(*value)[vlen] = '\0';
		}
	}
	free(data);
	return ret;
}

static int subvol_item(struct off_ctx *c, struct btrfs_root_item *item)
{
	struct btrfs_root root;
	int ret;

	memset(item, 0, sizeof(*item));
	ret = btrfs_read_root(c->fs_info, c->obj.subvol, &root, item);
	if (ret)
		error("cannot read the root item of subvolume %llu: %s",
		      (unsigned long long)c->obj.subvol, strerror(-ret));
	return ret;
}

/* Prints one property; named: asked for by name. */
static int off_get(struct off_ctx *c, enum prop_id id, bool named)
{
	const struct btrfs_super_block *sb = &c->fs_info->super_copy;
	struct btrfs_root_item item;
	char *value;
	int ret = 0;

	switch (id) {
	case PROP_RO:
		ret = subvol_item(c, &item);
		if (!ret)
			printf("ro=%s\n", btrfs_root_flags(&item) &
			       BTRFS_ROOT_SUBVOL_RDONLY ? "true" : "false");
		break;
	case PROP_LABEL:
		printf("label=%.*s\n", (int)strnlen(sb->label, BTRFS_LABEL_SIZE),
		       sb->label);
		break;
	case PROP_COMPRESSION:
		ret = compression_read(c, &value);
		if (!ret) {
			printf("compression=%s\n", value);
			free(value);
		} else if (ret == -ENOENT) {
			ret = 0;
		} else {
			error("cannot read the compression property: %s",
			      strerror(-ret));
		}
		break;
	case PROP_DAX:
		if (named || (c->obj.flags & DAX_FLAG))
			printf("dax=%s\n", c->obj.flags & DAX_FLAG ? "on" : "off");
		break;
	default:
		break;
	}
	return ret;
}

/* ---- changes, each inside the one transaction ---- */

/* Sets and clears inode flags the way the kernel's flag ioctls do. */
static int inode_update(struct off_ctx *c, u64 set, u64 clear)
{
	struct btrfs_key key = { c->obj.ino, BTRFS_INODE_ITEM_KEY, 0 };
	struct btrfs_trans_root *r;
	struct btrfs_inode_item ii;
	struct timespec now;
	u32 size = sizeof(ii);
	int ret;

	ret = btrfs_trans_get_root(c->trans, c->obj.subvol, &r);
	if (!ret)
		ret = btrfs_lookup_item_rw(c->trans, r, &key, &ii, &size);
	if (ret)
		return ret;
	if (size != sizeof(ii))
		return -EUCLEAN;
	clock_gettime(CLOCK_REALTIME, &now);
	btrfs_set_inode_flags(&ii, (btrfs_inode_flags(&ii) | set) & ~clear);
	btrfs_set_inode_transid(&ii, c->trans->transid);
	btrfs_set_inode_sequence(&ii, btrfs_inode_sequence(&ii) + 1);
	btrfs_set_timespec_sec(&ii.ctime, (u64)now.tv_sec);
	btrfs_set_timespec_nsec(&ii.ctime, (u32)now.tv_nsec);
	return btrfs_update_item(c->trans, r, &key, &ii, size);
}

/*
 * Sets (value) or removes (NULL) one xattr, keeping the entries of other
 * names that share its item.
 */
static int xattr_write(struct off_ctx *c, const char *name, const char *value)
{
	size_t nlen = strlen(name), vlen = value ? strlen(value) : 0;
	struct btrfs_key key = { c->obj.ino, BTRFS_XATTR_ITEM_KEY,
				 btrfs_name_hash(name, nlen) };
	u32 max = btrfs_max_item_size(c->fs_info->sb.nodesize);
	u32 osize = max, nsize = 0, cur = 0;
	struct btrfs_trans_root *r;
	struct btrfs_dir_item *di;
	u8 *old, *new;
	int ret;

	old = malloc(max);
	new = malloc(max + sizeof(*di) + nlen + vlen);
	ret = old && new ? btrfs_trans_get_root(c->trans, c->obj.subvol, &r) :
			   -ENOMEM;
	if (!ret)
		ret = btrfs_lookup_item_rw(c->trans, r, &key, old, &osize);
	if (ret == -ENOENT) {
		osize = 0;
		ret = 0;
	}
	if (ret || osize > max)
		goto out;
	while (osize - cur >= sizeof(*di)) {
		const struct btrfs_dir_item *e = (const void *)(old + cur);
		u32 this = sizeof(*e) + btrfs_dir_name_len(e) +
			   btrfs_dir_data_len(e);

		if (this > osize - cur) {
			ret = -EUCLEAN;
			goto out;
		}
		if (btrfs_dir_name_len(e) != nlen || memcmp(e + 1, name, nlen)) {
			memcpy(new + nsize, e, this);
			nsize += this;
		}
		cur += this;
	}
	if (value) {
		di = (struct btrfs_dir_item *)(new + nsize);
		memset(di, 0, sizeof(*di));
		btrfs_set_dir_transid(di, c->trans->transid);
		btrfs_set_dir_data_len(di, (u16)vlen);
		btrfs_set_dir_name_len(di, (u16)nlen);
		btrfs_set_dir_flags(di, BTRFS_FT_XATTR);
		memcpy(di + 1, name, nlen);
		memcpy((u8 *)(di + 1) + nlen, value, vlen);
		nsize += sizeof(*di) + nlen + vlen;
	}
	if (nsize > max)
		ret = -E2BIG;
	else if (!nsize && osize)
		ret = btrfs_delete_item(c->trans, r, &key);
	else if (nsize && osize)
		ret = btrfs_update_item(c->trans, r, &key, new, nsize);
	else if (nsize)
		ret = btrfs_insert_item(c->trans, r, &key, new, nsize);
out:
	free(old);
	free(new);
	return ret;
}

static int set_label(struct off_ctx *c, const char *value)
{
	struct btrfs_super_block *sb;

	if (prop_check_label(value))
		return refuse(c, -EINVAL);
	sb = btrfs_trans_super(c->trans);
	if (!sb)
		return -ENOMEM;
	memset(sb->label, 0, sizeof(sb->label));
	memcpy(sb->label, value, strlen(value));
	return 0;
}

static bool uuid_is_zero(const u8 *uuid)
{
	int i;

	for (i = 0; i < BTRFS_UUID_SIZE; i++)
		if (uuid[i])
			return false;
	return true;
}

/* Removes subvol from the uuid tree's RECEIVED_SUBVOL entry of uuid. */
static int uuid_received_drop(struct off_ctx *c, const u8 *uuid)
{
	struct btrfs_trans_root *ut;
	struct btrfs_key key;
	__le64 half[2], ids[512];
	u32 size = sizeof(ids), i, n = 0;
	int ret;

	ret = btrfs_trans_get_root(c->trans, BTRFS_UUID_TREE_OBJECTID, &ut);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	memcpy(half, uuid, sizeof(half));
	key = (struct btrfs_key){ le64toh(half[0]),
				  BTRFS_UUID_KEY_RECEIVED_SUBVOL,
				  le64toh(half[1]) };
	ret = btrfs_lookup_item_rw(c->trans, ut, &key, ids, &size);
	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	if (size > sizeof(ids) || size % sizeof(ids[0]))
		return -EUCLEAN;
	for (i = 0; i < size / sizeof(ids[0]); i++)
		if (le64toh(ids[i]) != c->obj.subvol)
			ids[n++] = ids[i];
	if (n == size / sizeof(ids[0]))
		return 0;
	if (!n)
		return btrfs_delete_item(c->trans, ut, &key);
	return btrfs_update_item(c->trans, ut, &key, ids, n * sizeof(ids[0]));
}

/* Returns 1 when nothing is to change. */
static int set_ro(struct off_ctx *c, const char *value)
{
	struct btrfs_trans_root *r;
	struct btrfs_root_item *item;
	bool ro, is_ro, received;
	u64 flags;
	int ret;

	if (prop_parse_ro(value, &ro))
		return refuse(c, -EINVAL);
	ret = btrfs_trans_get_root(c->trans, c->obj.subvol, &r);
	if (ret)
		return ret;
	item = &r->item;
	flags = btrfs_root_flags(item);
	is_ro = flags & BTRFS_ROOT_SUBVOL_RDONLY;
	received = r->item_size > offsetof(struct btrfs_root_item, ctransid) &&
		   !uuid_is_zero(item->received_uuid);
	if (is_ro == ro)
		return 1;
	if (is_ro && received) {
		if (!c->args->force) {
			error("cannot make a received subvolume read-write, its received_uuid is used by incremental send; use -f to do it anyway and clear received_uuid, or make a snapshot instead");
			return refuse(c, -EPERM);
		}
		ret = uuid_received_drop(c, item->received_uuid);
		if (ret)
			return ret;
		/* What SET_RECEIVED_SUBVOL with a zero uuid does. */
		memset(item->received_uuid, 0, BTRFS_UUID_SIZE);
		btrfs_set_root_stransid(item, 0);
		btrfs_set_root_rtransid(item, 0);
		memset(&item->stime, 0, sizeof(item->stime));
		memset(&item->rtime, 0, sizeof(item->rtime));
	} else if (received) {
		warning("subvolume %llu is read-write but has a received_uuid, incremental send from it is unreliable",
			(unsigned long long)c->obj.subvol);
	}
	flags = ro ? flags | BTRFS_ROOT_SUBVOL_RDONLY :
		     flags & ~BTRFS_ROOT_SUBVOL_RDONLY;
	btrfs_set_root_flags(item, flags);
	return 0;
}

/* Inodes of a read-only subvolume stay as they are, as on a mount. */
static int inode_writable(struct off_ctx *c)
{
	struct btrfs_root_item item;
	int ret = subvol_item(c, &item);

	if (ret)
		return refuse(c, ret);
	if (btrfs_root_flags(&item) & BTRFS_ROOT_SUBVOL_RDONLY) {
		error("'%s' is in a read-only subvolume", c->args->object);
		return refuse(c, -EROFS);
	}
	return 0;
}

static const char *mode_name(u32 mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device file";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file or directory";
}

static int set_compression(struct off_ctx *c, const char *value)
{
	u64 set = 0, clear = BTRFS_INODE_COMPRESS | BTRFS_INODE_NOCOMPRESS;
	struct btrfs_super_block *sb;
	char incompat;
	int ret;

	if (prop_check_compression(value, &incompat))
		return refuse(c, -EINVAL);
	if (!S_ISREG(c->obj.mode) && !S_ISDIR(c->obj.mode)) {
		error("compression applies to regular files and directories, '%s' is %s",
		      c->args->object, mode_name(c->obj.mode));
		return refuse(c, -EINVAL);
	}
	if (*value && (c->obj.flags & (BTRFS_INODE_NODATACOW |
				       BTRFS_INODE_NODATASUM))) {
		error("'%s' has NODATACOW or NODATASUM (DAX and nodatacow files cannot be compressed)",
		      c->args->object);
		return refuse(c, -EINVAL);
	}
	ret = inode_writable(c);
	if (ret)
		return ret;
	if (!strcmp(value, "no") || !strcmp(value, "none"))
		set = BTRFS_INODE_NOCOMPRESS;
	else if (*value)
		set = BTRFS_INODE_COMPRESS;
	clear &= ~set;
	if (incompat) {
		sb = btrfs_trans_super(c->trans);
		if (!sb)
			return -ENOMEM;
		btrfs_set_super_incompat_flags(sb, btrfs_super_incompat_flags(sb) |
			(incompat == 'l' ? BTRFS_FEATURE_INCOMPAT_COMPRESS_LZO :
					   BTRFS_FEATURE_INCOMPAT_COMPRESS_ZSTD));
	}
	ret = xattr_write(c, PROP_XATTR_COMPRESSION, *value ? value : NULL);
	if (!ret)
		ret = inode_update(c, set, clear);
	return ret;
}

/* The reasons `dax on` is refused; 0 when it may be set. */
static int dax_on_allowed(struct off_ctx *c)
{
	long page = sysconf(_SC_PAGESIZE);
	const struct off_obj *o = &c->obj;
	const char *path = c->args->object;
	bool extents;
	char *value;
	int ret;

	if (page > 0 && c->fs_info->sb.sectorsize != (u32)page) {
		error("DAX needs the sector size (%u) to equal the page size (%ld)",
		      c->fs_info->sb.sectorsize, page);
		return refuse(c, -EOPNOTSUPP);
	}
	if (!S_ISREG(o->mode) && !S_ISDIR(o->mode)) {
		error("DAX applies to directories and empty regular files, '%s' is %s",
		      path, mode_name(o->mode));
		return refuse(c, -EINVAL);
	}
	if (S_ISREG(o->mode)) {
		ret = item_exists(c->fs_info, o->subvol, o->ino,
				  BTRFS_EXTENT_DATA_KEY, &extents);
		if (ret)
			return ret;
		if (o->size || o->nbytes || extents) {
			error("DAX can only be set on an empty file, '%s' has data (size %llu)",
			      path, (unsigned long long)o->size);
			return refuse(c, -EINVAL);
		}
	}
	ret = compression_read(c, &value);
	if (!ret) {
		error("'%s' has the compression property '%s'; DAX files cannot be compressed (set compression \"\" first)",
		      path, value);
		free(value);
		return refuse(c, -EINVAL);
	}
	if (ret != -ENOENT)
		return ret;
	return inode_writable(c);
}

static int set_dax(struct off_ctx *c, const char *value)
{
	struct btrfs_super_block *sb;
	bool on;
	int ret;

	if (prop_parse_dax(value, &on))
		return refuse(c, -EINVAL);
	if (!on) {
		ret = inode_writable(c);
		return ret ? ret : inode_update(c, 0, DAX_FLAG);
	}
	ret = dax_on_allowed(c);
	if (ret)
		return ret;
	sb = btrfs_trans_super(c->trans);
	if (!sb)
		return -ENOMEM;
	btrfs_set_super_compat_ro_flags(sb, btrfs_super_compat_ro_flags(sb) |
					BTRFS_FEATURE_COMPAT_RO_DAX);
	return inode_update(c, DAX_FLAG | BTRFS_INODE_NODATACOW |
			    BTRFS_INODE_NODATASUM, BTRFS_INODE_COMPRESS);
}

/* One transaction: the change, then the commit (or nothing at all). */
static int off_set(struct off_ctx *c, enum prop_id id)
{
	const char *value = c->args->value;
	int ret;

	ret = btrfs_trans_start(c->rw, &c->trans);
	if (ret) {
		error("cannot start a transaction: %s",
		      c->fs_info->err[0] ? c->fs_info->err : strerror(-ret));
		return ret;
	}
	if (id == PROP_RO)
		ret = set_ro(c, value);
	else if (id == PROP_LABEL)
		ret = set_label(c, value);
	else if (id == PROP_COMPRESSION)
		ret = set_compression(c, value);
	else
		ret = set_dax(c, value);
	if (ret) {
		btrfs_trans_abort(c->trans);
		c->trans = NULL;
		if (ret == 1)
			return 0;
		goto fail;
	}
	ret = btrfs_trans_commit(c->trans);
	c->trans = NULL;
	if (!ret)
		return 0;
fail:
	/* Rules already said why; the engine's failures are told here. */
	if (ret == -ENOSPC)
		error("not enough free metadata space to set %s on '%s', nothing was changed",
		      prop_table[id].name, c->args->object);
	else if (!c->told)
		error("cannot set %s on '%s': %s", prop_table[id].name,
		      c->args->object,
		      c->fs_info->err[0] ? c->fs_info->err : strerror(-ret));
	return ret;
}

static int off_open(struct off_ctx *c)
{
	const struct prop_args *a = c->args;
	struct btrfs_open_opts opts;
	int ret;

	if (a->mode == PROP_SET) {
		ret = btrfs_open_fs_rw(a->images, a->nr_images, 0, &c->rw);
		c->fs_info = c->rw ? c->rw->fs_info : NULL;
	} else {
		btrfs_open_opts_init(&opts);
		ret = btrfs_open_fs(a->images, a->nr_images, &opts, &c->fs_info);
	}
	if (ret)
		error("cannot open '%s': %s", a->images[0],
		      c->fs_info && c->fs_info->err[0] ? c->fs_info->err :
							 strerror(-ret));
	return ret;
}

static void off_close(struct off_ctx *c)
{
	if (c->rw)
		btrfs_close_fs_rw(c->rw);
	else
		btrfs_close_fs(c->fs_info);
}

/* Every property that applies, as stock's get and list walk them. */
static int off_all(struct off_ctx *c, unsigned int types)
{
	int id, ret = 0;

	for (id = 0; id < PROP_NR && !ret; id++) {
		if (!(prop_table[id].types & types))
			continue;
		if (c->args->mode == PROP_LIST)
			prop_print_help((enum prop_id)id);
		else
			ret = off_get(c, (enum prop_id)id, false);
	}
	return ret;
}

int prop_offline_run(const struct prop_args *args)
{
	struct off_ctx c = { .args = args };
	unsigned int types;
	int id, ret;

	ret = off_open(&c);
	if (!ret)
		ret = obj_load(&c, args->object);
	if (ret)
		goto out;
	types = args->types ? args->types : obj_types(&c.obj);
	if ((types & PROP_OBJ_SUBVOL) && c.obj.ino != BTRFS_FIRST_FREE_OBJECTID) {
		error("'%s' is not a subvolume", args->object);
		ret = -EINVAL;
		goto out;
	}
	if (!args->name) {
		ret = off_all(&c, types);
		goto out;
	}
	id = prop_select(args->name, &types);
	if (id < 0) {
		ret = -EINVAL;
		goto out;
	}
	if (args->mode == PROP_GET)
		ret = off_get(&c, (enum prop_id)id, true);
	else
		ret = off_set(&c, (enum prop_id)id);
out:
	off_close(&c);
	return ret ? 1 : 0;
}
