// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening a filesystem for writing, and transactions: start, commit, abort.
 *
 * The commit, in order:
 *   1. run the delayed refs, write the block group items whose usage
 *      changed and the root items of trees whose root moved, again and
 *      again until a round changes nothing (each step can queue work for
 *      the others);
 *   2. checksum every new block, run it through the verifier, write it to
 *      every copy of its chunk, and flush every device;
 *   3. write superblock copies 1 and 2 of every device, flush, then every
 *      primary copy, flush.
 * Until the primary copies land the old superblocks point at the old
 * trees, none of whose blocks was written; afterwards the new trees are
 * complete on disk.  Blocks freed by the transaction become allocatable
 * only after step 3.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/device-use.h"
#include "kernel-shared/block-cache.h"
#include "kernel-shared/csum.h"

/* ---- device I/O, read-write ---- */

static ssize_t rw_pread(void *priv, void *buf, size_t len, u64 off)
{
	return pread((int)(long)priv, buf, len, (off_t)off);
}

static ssize_t rw_pwrite(void *priv, const void *buf, size_t len, u64 off)
{
	return pwrite((int)(long)priv, buf, len, (off_t)off);
}

static int rw_flush(void *priv)
{
	return fsync((int)(long)priv) ? -errno : 0;
}

static void rw_close(void *priv)
{
	close((int)(long)priv);
}

static const struct btrfs_io_ops rw_io_ops = {
	.pread = rw_pread,
	.pwrite = rw_pwrite,
	.flush = rw_flush,
	.close = rw_close,
};


static int devices_flush(struct btrfs_fs_rw *rw)
{
	u32 i;

	for (i = 0; i < rw->nr_devs; i++) {
		struct btrfs_device *dev = rw->devs[i].dev;
		int ret = dev->ops->flush ? dev->ops->flush(dev->io_priv) : 0;

		if (ret) {
			btrfs_err_set(rw->fs_info, "cannot flush '%s': %s",
				      dev->path, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/* ---- refusing what cannot be written safely ---- */

#define RW_COMPAT_RO_KNOWN (BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE | \
			    BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID | \
			    BTRFS_FEATURE_COMPAT_RO_VERITY | \
			    BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE | \
			    BTRFS_FEATURE_COMPAT_RO_DAX)
#define RW_INCOMPAT_REFUSED (BTRFS_FEATURE_INCOMPAT_RAID_STRIPE_TREE | \
			     BTRFS_FEATURE_INCOMPAT_SIMPLE_QUOTA)
#define RW_SUPER_FLAGS_REFUSED (BTRFS_SUPER_FLAG_ERROR | \
				BTRFS_SUPER_FLAG_SEEDING | \
				BTRFS_SUPER_FLAG_METADUMP | \
				BTRFS_SUPER_FLAG_METADUMP_V2 | \
				BTRFS_SUPER_FLAG_CHANGING_FSID | \
				BTRFS_SUPER_FLAG_CHANGING_FSID_V2 | \
				BTRFS_SUPER_FLAG_CHANGING_BG_TREE | \
				BTRFS_SUPER_FLAG_CHANGING_DATA_CSUM | \
				BTRFS_SUPER_FLAG_CHANGING_META_CSUM)

static int refuse(struct btrfs_fs_info *fs_info, int ret, const char *why)
{
	btrfs_err_set(fs_info, "cannot write to this filesystem: %s", why);
	return ret;
}

static int rw_check_features(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	const struct btrfs_sb_info *sb = &fs_info->sb;
	u64 fst = BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE |
		  BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID;
	struct btrfs_root quota;

	if (fs_info->super_mirror != 0)
		return refuse(fs_info, -EUCLEAN,
			"the primary superblock is not the newest valid copy (btrfs rescue super-recover)");
	if (sb->log_root)
		return refuse(fs_info, -EUCLEAN, "it has a log tree to replay");
	if (sb->flags & RW_SUPER_FLAGS_REFUSED)
		return refuse(fs_info, -EOPNOTSUPP,
			      "its superblock flags say it is not a normal filesystem");
	if (sb->compat_ro_flags & ~RW_COMPAT_RO_KNOWN)
		return refuse(fs_info, -EOPNOTSUPP,
			      "it has unknown read-only compatible features");
	if (sb->incompat_flags & RW_INCOMPAT_REFUSED)
		return refuse(fs_info, -EOPNOTSUPP,
			      "raid-stripe-tree and simple quotas are not supported");
	if ((sb->compat_ro_flags & fst) != fst)
		return refuse(fs_info, -EOPNOTSUPP, "it has no valid free space tree");
	if (btrfs_read_root(fs_info, BTRFS_QUOTA_TREE_OBJECTID, &quota, NULL) == 0)
		return refuse(fs_info, -EOPNOTSUPP, "quotas are not supported");
	return 0;
}

static int rw_check_chunks(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	u64 meta = BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_SYSTEM;
	u64 parity = BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6;
	u32 i, s;

	if (fs_info->num_open_devices < fs_info->sb.num_devices)
		return refuse(fs_info, -ENODEV, "a device is missing");
	for (i = 0; i < fs_info->nr_chunks; i++) {
		const struct chunk_map *map = fs_info->chunks[i];

		if ((map->type & meta) && (map->type & parity))
			return refuse(fs_info, -EOPNOTSUPP,
				      "RAID5/6 metadata is not supported");
		for (s = 0; s < map->num_stripes; s++)
			if (!map->stripes[s].dev)
				return refuse(fs_info, -ENODEV,
					      "a device is missing");
	}
	return 0;
}

/* ---- refusing a mounted filesystem ---- */

static int rw_check_mounted(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_device *dev;
	struct device_use use;
	int ret;

	for (dev = fs_info->devices; dev; dev = dev->next) {
		ret = device_use_fd(dev->fd, dev->path, fs_info->sb.fsid, 0, &use);
		if (ret < 0) {
			btrfs_err_set(fs_info, "%s", use.reason);
			return ret;
		}
		if (ret > 0 && device_use_is_mount(use.kind)) {
			btrfs_err_set(fs_info, "'%s' is mounted", dev->path);
			return -EBUSY;
		}
	}
	return 0;
}

/* ---- reopening the devices for writing ---- */

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	if (fstat(a, &sa) || fstat(b, &sb))
		return false;
	if (S_ISBLK(sa.st_mode))
		return S_ISBLK(sb.st_mode) && sa.st_rdev == sb.st_rdev;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* The device's own primary superblock must be the one we opened. */
static int device_super_get(struct btrfs_fs_rw *rw, struct btrfs_device *dev,
			    int fd, struct btrfs_dev_item *item)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_super_block sb;
	char why[256];
	int ret;

	ret = btrfs_super_read(fd, 0, &sb);
	if (!ret)
		ret = btrfs_super_check(&sb, BTRFS_SUPER_INFO_OFFSET, why,
					sizeof(why));
	if (ret || btrfs_super_generation(&sb) != fs_info->sb.generation ||
	    memcmp(sb.fsid, fs_info->sb.fsid, BTRFS_FSID_SIZE) ||
	    btrfs_device_id(&sb.dev_item) != dev->devid) {
		btrfs_err_set(fs_info,
			"cannot write to this filesystem: the primary superblock of '%s' differs from the filesystem's",
			dev->path);
		return -EUCLEAN;
	}
	*item = sb.dev_item;
	return 0;
}

static int device_reopen(struct btrfs_fs_rw *rw, struct btrfs_device *dev,
			 struct btrfs_rw_device *out)
{
	struct stat st;
	int flags = O_RDWR | O_CLOEXEC, fd, ret;

	if (fstat(dev->fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		flags |= O_EXCL;
	fd = open(dev->path, flags);
	if (fd < 0) {
		ret = -errno;
		btrfs_err_set(rw->fs_info, "cannot open '%s' for writing: %s",
			      dev->path, strerror(errno));
		return ret;
	}
	/* A read-only block device opens for writing, but refuses writes. */
	if (S_ISBLK(st.st_mode) && !ioctl(fd, BLKROGET, &ret) && ret) {
		close(fd);
		btrfs_err_set(rw->fs_info, "'%s' is a read-only device",
			      dev->path);
		return -EROFS;
	}
	if (!same_file(fd, dev->fd)) {
		close(fd);
		btrfs_err_set(rw->fs_info, "'%s' changed while being opened",
			      dev->path);
		return -EBUSY;
	}
	/* Two of our writers on one filesystem would corrupt it. */
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		btrfs_err_set(rw->fs_info,
			      "'%s' is open for writing by another program",
			      dev->path);
		return -EBUSY;
	}
	ret = device_super_get(rw, dev, fd, &out->dev_item);
	if (ret) {
		close(fd);
		return ret;
	}
	if (dev->ops && dev->ops->close)
		dev->ops->close(dev->io_priv);
	dev->fd = fd;
	dev->ops = &rw_io_ops;
	dev->io_priv = (void *)(long)fd;
	out->dev = dev;
	return 0;
}

static int rw_reopen_devices(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_device *dev;
	int ret;

	rw->devs = calloc(fs_info->num_open_devices, sizeof(*rw->devs));
	if (!rw->devs)
		return -ENOMEM;
	for (dev = fs_info->devices; dev; dev = dev->next) {
		ret = device_reopen(rw, dev, &rw->devs[rw->nr_devs]);
		if (ret)
			return ret;
		rw->nr_devs++;
	}
	return 0;
}

/* ---- trees ---- */

/* Reads the ROOT_ITEM of objectid from the committed root tree. */
static int root_item_read(struct btrfs_fs_info *fs_info, u64 objectid,
			  struct btrfs_trans_root *r)
{
	struct btrfs_key key = { objectid, BTRFS_ROOT_ITEM_KEY, (u64)-1 };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &fs_info->tree_root, &key, &path);
	if (ret >= 0)
		ret = btrfs_prev_item(fs_info, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], &r->item_key, path.slots[0]);
		r->item_size = eb_item_size(path.nodes[0], path.slots[0]);
		if (r->item_key.objectid != objectid ||
		    r->item_key.type != BTRFS_ROOT_ITEM_KEY ||
		    r->item_size < BTRFS_LEGACY_ROOT_ITEM_SIZE)
			ret = 1;
	}
	if (ret == 0) {
		if (r->item_size > sizeof(r->item))
			r->item_size = sizeof(r->item);
		memcpy(&r->item, eb_item_ptr(path.nodes[0], path.slots[0]),
		       r->item_size);
	}
	btrfs_path_release(&path);
	if (ret > 0) {
		btrfs_err_set(fs_info, "no root item for tree %llu",
			      (unsigned long long)objectid);
		return -ENOENT;
	}
	return ret;
}

int btrfs_rw_root_load(struct btrfs_fs_rw *rw, u64 objectid,
		       struct btrfs_trans_root **ret)
{
	struct btrfs_trans_root *r;
	int err;

	for (r = rw->roots; r; r = r->next) {
		if (r->root.objectid == objectid) {
			*ret = r;
			return 0;
		}
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	if (objectid == BTRFS_ROOT_TREE_OBJECTID) {
		r->root = rw->fs_info->tree_root;
	} else if (objectid == BTRFS_CHUNK_TREE_OBJECTID) {
		r->root = rw->fs_info->chunk_root;
	} else {
		err = root_item_read(rw->fs_info, objectid, r);
		if (err) {
			free(r);
			return err;
		}
		r->has_item = true;
		r->root.objectid = objectid;
		r->root.bytenr = btrfs_root_bytenr(&r->item);
		r->root.level = btrfs_root_level(&r->item);
		r->root.generation = btrfs_root_generation(&r->item);
		r->root.fs_info = rw->fs_info;
	}
	r->committed = r->root;
	r->item_tree = r->item_committed = r->item;
	r->next = rw->roots;
	rw->roots = r;
	*ret = r;
	return 0;
}

int btrfs_trans_get_root(struct btrfs_trans_handle *trans, u64 objectid,
			 struct btrfs_trans_root **ret)
{
	return btrfs_rw_root_load(trans->rw, objectid, ret);
}

/* ---- block groups ---- */

struct btrfs_bg *btrfs_bg_lookup(struct btrfs_fs_rw *rw, u64 bytenr)
{
	u32 lo = 0, hi = rw->nr_bgs;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		struct btrfs_bg *bg = &rw->bgs[mid];

		if (bytenr < bg->start)
			hi = mid;
		else if (bytenr - bg->start >= bg->length)
			lo = mid + 1;
		else
			return bg;
	}
	return NULL;
}

static int bg_item_read(struct btrfs_fs_info *fs_info,
			const struct btrfs_root *root, struct btrfs_bg *bg)
{
	struct btrfs_key key = { bg->start, BTRFS_BLOCK_GROUP_ITEM_KEY,
				 bg->length };
	const struct btrfs_block_group_item *item;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, root, &key, &path);
	if (ret == 0 && eb_item_size(path.nodes[0], path.slots[0]) !=
			sizeof(*item))
		ret = 1;
	if (ret == 0) {
		item = eb_item_ptr(path.nodes[0], path.slots[0]);
		bg->used = btrfs_block_group_used(item);
		if (btrfs_block_group_flags(item) != bg->flags ||
		    bg->used > bg->length)
			ret = 1;
	}
	btrfs_path_release(&path);
	if (ret > 0) {
		btrfs_err_set(fs_info,
			      "block group item %llu is missing or invalid",
			      (unsigned long long)bg->start);
		ret = -EUCLEAN;
	}
	return ret;
}

static int bgs_alloc(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	u32 i;

	/* Room for new chunks: pointers to groups must stay valid. */
	rw->alloc_bgs = fs_info->nr_chunks + 256;
	rw->bgs = calloc(rw->alloc_bgs, sizeof(*rw->bgs));
	if (!rw->bgs)
		return -ENOMEM;
	for (i = 0; i < fs_info->nr_chunks; i++) {
		const struct chunk_map *map = fs_info->chunks[i];
		struct btrfs_bg *bg = &rw->bgs[i];

		bg->start = map->logical;
		bg->length = map->length;
		bg->flags = map->type;
		bg->metadata = map->type & BTRFS_BLOCK_GROUP_METADATA;
	}
	rw->nr_bgs = fs_info->nr_chunks;
	return 0;
}

int btrfs_bgs_load(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	u64 id = BTRFS_EXTENT_TREE_OBJECTID, sum = 0;
	struct btrfs_root root;
	u32 i;
	int ret;

	if (!rw->bgs) {
		ret = bgs_alloc(rw);
		if (ret)
			return ret;
	}
	if (fs_info->sb.compat_ro_flags & BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE)
		id = BTRFS_BLOCK_GROUP_TREE_OBJECTID;
	ret = btrfs_read_root(fs_info, id, &root, NULL);
	for (i = 0; i < rw->nr_bgs && !ret; i++) {
		struct btrfs_bg *bg = &rw->bgs[i];

		bg->dirty = false;
		ret = bg_item_read(fs_info, &root, bg);
		bg->used_committed = bg->used;
		sum += bg->used;
		/* Tree blocks live in metadata and system groups. */
		if (!ret && (bg->metadata ||
			     (bg->flags & BTRFS_BLOCK_GROUP_SYSTEM)))
			ret = fst_load_committed(rw, bg);
	}
	if (!ret && sum != fs_info->sb.bytes_used)
		ret = refuse(fs_info, -EUCLEAN,
			     "block group usage does not add up to the superblock's bytes_used (btrfs check)");
	return ret;
}

/* ---- open and close ---- */

static int rw_load_roots(struct btrfs_fs_rw *rw)
{
	static const u64 ids[] = {
		BTRFS_ROOT_TREE_OBJECTID, BTRFS_EXTENT_TREE_OBJECTID,
		BTRFS_DEV_TREE_OBJECTID, BTRFS_FS_TREE_OBJECTID,
		BTRFS_CSUM_TREE_OBJECTID, BTRFS_FREE_SPACE_TREE_OBJECTID,
	};
	struct btrfs_trans_root *r;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ret = btrfs_rw_root_load(rw, ids[i], &r);
		if (ret)
			return ret;
	}
	if (rw->fs_info->sb.compat_ro_flags &
	    BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE)
		return btrfs_rw_root_load(rw, BTRFS_BLOCK_GROUP_TREE_OBJECTID, &r);
	return 0;
}

/* The kernel writes the next backup after the one of this generation. */
static int backup_index_find(const struct btrfs_fs_info *fs_info)
{
	int i;

	for (i = 0; i < BTRFS_NUM_BACKUP_ROOTS; i++)
		if (btrfs_backup_tree_root_gen(&fs_info->super_copy.super_roots[i]) ==
		    fs_info->sb.generation)
			return (i + 1) % BTRFS_NUM_BACKUP_ROOTS;
	return 0;
}

int btrfs_open_fs_rw(const char *const *paths, int npaths, unsigned int flags,
		     struct btrfs_fs_rw **ret)
{
	struct btrfs_open_opts opts;
	struct btrfs_fs_rw *rw;
	int err;

	*ret = rw = calloc(1, sizeof(*rw));
	if (!rw)
		return -ENOMEM;
	btrfs_open_opts_init(&opts);
	err = btrfs_open_fs(paths, npaths, &opts, &rw->fs_info);
	if (err)
		return err;
	err = rw_check_features(rw);
	if (!err)
		err = rw_check_chunks(rw);
	if (!err && !(flags & BTRFS_RW_SKIP_MOUNT_CHECK))
		err = rw_check_mounted(rw);
	if (!err)
		err = rw_reopen_devices(rw);
	if (!err)
		err = btrfs_dev_extents_load(rw);
	if (!err)
		err = rw_load_roots(rw);
	if (!err)
		err = btrfs_bgs_load(rw);
	rw->bytes_used = rw->fs_info->sb.bytes_used;
	rw->backup_index = backup_index_find(rw->fs_info);
	return err;
}

void btrfs_close_fs_rw(struct btrfs_fs_rw *rw)
{
	struct btrfs_trans_root *r, *next;
	u32 i;

	if (!rw)
		return;
	if (rw->trans)
		btrfs_trans_abort(rw->trans);
	for (r = rw->roots; r; r = next) {
		next = r->next;
		free(r);
	}
	for (i = 0; i < rw->nr_bgs; i++)
		range_set_free(&rw->bgs[i].free);
	free(rw->bgs);
	for (i = 0; i < rw->nr_devs; i++)
		range_set_free(&rw->devs[i].alloc);
	free(rw->devs);
	btrfs_close_fs(rw->fs_info);
	free(rw);
}

/* ---- transactions ---- */

int btrfs_trans_start(struct btrfs_fs_rw *rw, struct btrfs_trans_handle **ret)
{
	struct btrfs_trans_handle *trans;

	if (rw->broken) {
		btrfs_err_set(rw->fs_info,
			      "an earlier commit failed half-way; reopen the filesystem");
		return -EIO;
	}
	if (rw->trans)
		return -EBUSY;
	trans = calloc(1, sizeof(*trans));
	if (!trans)
		return -ENOMEM;
	trans->rw = rw;
	trans->fs_info = rw->fs_info;
	trans->transid = rw->fs_info->sb.generation + 1;
	trans->bytes_used = rw->bytes_used;
	rw->trans = trans;
	*ret = trans;
	return 0;
}

static void trans_end(struct btrfs_trans_handle *trans)
{
	u32 i;

	trans->rw->trans = NULL;
	btrfs_trans_release_refs(trans);
	for (i = 0; i < trans->nr_chunks; i++)
		free(trans->chunks[i].item);
	free(trans->chunks);
	free(trans->super);
	free(trans);
}

struct btrfs_super_block *btrfs_trans_super(struct btrfs_trans_handle *trans)
{
	if (!trans->super) {
		trans->super = malloc(sizeof(*trans->super));
		if (trans->super)
			*trans->super = trans->fs_info->super_copy;
	}
	return trans->super;
}

/* A root item changed without a block of its tree changing (flags). */
static bool root_items_changed(const struct btrfs_trans_handle *trans)
{
	const struct btrfs_trans_root *r;

	for (r = trans->rw->roots; r; r = r->next)
		if (r->has_item && memcmp(&r->item, &r->item_tree, r->item_size))
			return true;
	return false;
}

void btrfs_trans_abort(struct btrfs_trans_handle *trans)
{
	struct btrfs_fs_rw *rw = trans->rw;
	struct btrfs_trans_root *r;
	char err[BTRFS_ERR_MSG_LEN];

	for (r = rw->roots; r; r = r->next) {
		r->root = r->committed;
		r->item = r->item_tree = r->item_committed;
	}
	btrfs_chunks_abort(trans);
	trans_end(trans);
	/* Keep the reason of the failure, not of the reload. */
	memcpy(err, rw->fs_info->err, sizeof(err));
	if (btrfs_bgs_load(rw))
		rw->broken = true;
	memcpy(rw->fs_info->err, err, sizeof(err));
}

/* Brings the root items in line with the trees' current roots. */
static int update_root_items(struct btrfs_trans_handle *trans, bool *changed)
{
	struct btrfs_trans_root *tree_root, *r;
	int ret;

	ret = btrfs_trans_get_root(trans, BTRFS_ROOT_TREE_OBJECTID, &tree_root);
	if (ret)
		return ret;
	for (r = trans->rw->roots; r; r = r->next) {
		if (!r->has_item)
			continue;
		btrfs_set_root_bytenr(&r->item, r->root.bytenr);
		btrfs_set_root_level(&r->item, r->root.level);
		btrfs_set_root_generation(&r->item, r->root.generation);
		if (r->item_size >= offsetof(struct btrfs_root_item, uuid))
			btrfs_set_root_generation_v2(&r->item, r->root.generation);
		if (!memcmp(&r->item, &r->item_tree, r->item_size))
			continue;
		ret = btrfs_update_item(trans, tree_root, &r->item_key, &r->item,
					r->item_size);
		if (ret)
			return ret;
		r->item_tree = r->item;
		*changed = true;
	}
	return 0;
}

/* The superblock's generation must be the root tree's root block's. */
static int root_tree_cow(struct btrfs_trans_handle *trans, bool *changed)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_trans_root *tree_root;
	struct btrfs_path path;
	int ret;

	ret = btrfs_trans_get_root(trans, BTRFS_ROOT_TREE_OBJECTID, &tree_root);
	if (ret)
		return ret;
	if (u64_map_get(&trans->dirty, tree_root->root.bytenr))
		return 0;
	btrfs_path_init(&path);
	ret = btrfs_search_slot_rw(trans, tree_root, &key, &path, 0, true);
	btrfs_path_release(&path);
	*changed = true;
	return ret < 0 ? ret : 0;
}

static int commit_settle(struct btrfs_trans_handle *trans)
{
	int rounds = 0, ret;
	bool changed;

	do {
		bool had_refs = trans->refs.count > 0, bgs = false, roots = false;

		if (++rounds > 100) {
			btrfs_err_set(trans->fs_info, "commit does not settle");
			return -ELOOP;
		}
		ret = btrfs_create_pending_chunks(trans);
		if (!ret)
			ret = btrfs_run_delayed_refs(trans);
		if (!ret)
			ret = btrfs_create_pending_chunks(trans);
		if (!ret)
			ret = btrfs_write_dirty_bgs(trans, &bgs);
		if (!ret)
			ret = update_root_items(trans, &roots);
		if (!ret)
			ret = root_tree_cow(trans, &roots);
		if (ret)
			return ret;
		changed = had_refs || bgs || roots || trans->refs.count;
	} while (changed);
	for (rounds = 0; rounds < (int)trans->nr_chunks; rounds++) {
		if (!trans->chunks[rounds].created) {
			btrfs_err_set(trans->fs_info,
				      "internal error: a new chunk has no items");
			return -EUCLEAN;
		}
	}
	return 0;
}

/* ---- writing the new blocks ---- */

static bool hits_super(u64 physical, u64 len)
{
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 off = btrfs_sb_offset(i);

		if (physical < off + BTRFS_SUPER_INFO_SIZE && physical + len > off)
			return true;
	}
	return false;
}

/* Writes [logical, logical+len) to every copy of its chunk. */
static int logical_write(struct btrfs_fs_info *fs_info, u64 logical,
			 const u8 *buf, u32 len)
{
	struct chunk_map *map = chunk_map_lookup(fs_info, logical);
	int copies, mirror, ret;

	if (!map || logical + len > map->logical + map->length ||
	    (map->type & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6))) {
		btrfs_err_set(fs_info, "cannot write tree block %llu",
			      (unsigned long long)logical);
		return -EUCLEAN;
	}
	copies = chunk_map_num_copies(map);
	for (mirror = 0; mirror < copies; mirror++) {
		u32 off = 0;

		while (off < len) {
			struct btrfs_io_copy copy;
			u64 n;

			ret = chunk_map_locate(map, logical + off, mirror, &copy,
					       &n);
			if (ret)
				return ret;
			if (n > len - off)
				n = len - off;
			if (hits_super(copy.physical, n)) {
				btrfs_err_set(fs_info,
					"tree block %llu would overwrite a superblock",
					(unsigned long long)logical);
				return -EUCLEAN;
			}
			ret = btrfs_device_pwrite(copy.stripe->dev, buf + off, n,
					   copy.physical);
			if (ret) {
				btrfs_err_set(fs_info,
					"cannot write tree block %llu: %s",
					(unsigned long long)logical,
					strerror(-ret));
				return ret;
			}
			off += (u32)n;
		}
	}
	return 0;
}

/* Children that are new too must match what their parent says. */
static int check_new_children(struct btrfs_trans_handle *trans,
			      const struct extent_buffer *eb)
{
	u32 i;

	if (eb_level(eb) == 0)
		return 0;
	for (i = 0; i < eb_nritems(eb); i++) {
		struct extent_buffer *child =
			u64_map_get(&trans->dirty, eb_node_blockptr(eb, (int)i));
		struct btrfs_key want, have = { 0, 0, 0 };

		if (!child)
			continue;
		eb_node_key(eb, &want, (int)i);
		if (eb_nritems(child) && eb_level(child))
			eb_node_key(child, &have, 0);
		else if (eb_nritems(child))
			eb_item_key(child, &have, 0);
		if (eb_level(child) != eb_level(eb) - 1 ||
		    eb_generation(child) != eb_node_ptr_generation(eb, (int)i) ||
		    btrfs_comp_keys(&want, &have)) {
			btrfs_err_set(trans->fs_info,
				"internal error: node %llu slot %u does not match block %llu",
				(unsigned long long)eb->start, i,
				(unsigned long long)child->start);
			return -EUCLEAN;
		}
	}
	return 0;
}

/* Checksums a new block and runs it through the verifier. */
static int block_finish(struct btrfs_trans_handle *trans,
			struct extent_buffer *eb)
{
	struct btrfs_fs_info *fs_info = trans->fs_info;
	struct tree_block_expect expect = {
		.owner = eb_owner(eb),
		.generation = trans->transid,
		.level = -1,
	};
	char why[256];
	int ret;

	ret = btrfs_csum_data(fs_info->sb.csum_type, eb->data + BTRFS_CSUM_SIZE,
			      eb->len - BTRFS_CSUM_SIZE, eb_header(eb)->csum);
	if (ret)
		return ret;
	ret = tree_block_verify(fs_info, eb, &expect, why, sizeof(why));
	if (ret) {
		btrfs_err_set(fs_info,
			      "internal error: a new tree block fails verification: %s",
			      why);
		return ret;
	}
	return check_new_children(trans, eb);
}

static int eb_cmp(const void *a, const void *b)
{
	const struct extent_buffer *x = *(void *const *)a;
	const struct extent_buffer *y = *(void *const *)b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int blocks_write(struct btrfs_trans_handle *trans, void **list, u32 nr)
{
	u32 i;
	int ret;

	qsort(list, nr, sizeof(*list), eb_cmp);
	for (i = 0; i < nr; i++) {
		ret = block_finish(trans, list[i]);
		if (ret)
			return ret;
	}
	for (i = 0; i < nr; i++) {
		struct extent_buffer *eb = list[i];

		ret = logical_write(trans->fs_info, eb->start, eb->data, eb->len);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- the superblock ---- */

static const struct btrfs_root *backup_root(struct btrfs_trans_handle *trans,
					    u64 id)
{
	static const struct btrfs_root none;
	struct btrfs_trans_root *r;

	return btrfs_trans_get_root(trans, id, &r) ? &none : &r->root;
}

static void backup_fill(struct btrfs_trans_handle *trans,
			struct btrfs_super_block *sb)
{
	struct btrfs_root_backup *b = &sb->super_roots[trans->rw->backup_index];
	const struct btrfs_root *r;

	memset(b, 0, sizeof(*b));
	r = backup_root(trans, BTRFS_ROOT_TREE_OBJECTID);
	btrfs_set_backup_tree_root(b, r->bytenr);
	btrfs_set_backup_tree_root_gen(b, r->generation);
	btrfs_set_backup_tree_root_level(b, r->level);
	btrfs_set_backup_chunk_root(b, btrfs_super_chunk_root(sb));
	btrfs_set_backup_chunk_root_gen(b, btrfs_super_chunk_root_generation(sb));
	btrfs_set_backup_chunk_root_level(b, btrfs_super_chunk_root_level(sb));
	r = backup_root(trans, BTRFS_EXTENT_TREE_OBJECTID);
	btrfs_set_backup_extent_root(b, r->bytenr);
	btrfs_set_backup_extent_root_gen(b, r->generation);
	btrfs_set_backup_extent_root_level(b, r->level);
	r = backup_root(trans, BTRFS_FS_TREE_OBJECTID);
	btrfs_set_backup_fs_root(b, r->bytenr);
	btrfs_set_backup_fs_root_gen(b, r->generation);
	btrfs_set_backup_fs_root_level(b, r->level);
	r = backup_root(trans, BTRFS_DEV_TREE_OBJECTID);
	btrfs_set_backup_dev_root(b, r->bytenr);
	btrfs_set_backup_dev_root_gen(b, r->generation);
	btrfs_set_backup_dev_root_level(b, r->level);
	r = backup_root(trans, BTRFS_CSUM_TREE_OBJECTID);
	btrfs_set_backup_csum_root(b, r->bytenr);
	btrfs_set_backup_csum_root_gen(b, r->generation);
	btrfs_set_backup_csum_root_level(b, r->level);
	btrfs_set_backup_total_bytes(b, btrfs_super_total_bytes(sb));
	btrfs_set_backup_bytes_used(b, btrfs_super_bytes_used(sb));
	btrfs_set_backup_num_devices(b, btrfs_super_num_devices(sb));
}

static int super_build(struct btrfs_trans_handle *trans,
		       struct btrfs_super_block *sb)
{
	struct btrfs_fs_info *fs_info = trans->fs_info;
	struct btrfs_trans_root *tree_root, *r;
	int ret;

	ret = btrfs_trans_get_root(trans, BTRFS_ROOT_TREE_OBJECTID, &tree_root);
	if (ret)
		return ret;
	*sb = trans->super ? *trans->super : fs_info->super_copy;
	for (r = trans->rw->roots; r; r = r->next) {
		if (r->root.objectid != BTRFS_CHUNK_TREE_OBJECTID)
			continue;
		btrfs_set_super_chunk_root(sb, r->root.bytenr);
		btrfs_set_super_chunk_root_level(sb, r->root.level);
		btrfs_set_super_chunk_root_generation(sb, r->root.generation);
	}
	btrfs_set_super_generation(sb, trans->transid);
	btrfs_set_super_root(sb, tree_root->root.bytenr);
	btrfs_set_super_root_level(sb, tree_root->root.level);
	btrfs_set_super_bytes_used(sb, trans->bytes_used);
	/* The kernel keeps a uuid tree that is in sync marked so. */
	if (btrfs_super_uuid_tree_generation(sb) == fs_info->sb.generation)
		btrfs_set_super_uuid_tree_generation(sb, trans->transid);
	backup_fill(trans, sb);
	return 0;
}

static int super_write_copy(struct btrfs_fs_info *fs_info,
			    const struct btrfs_rw_device *d,
			    const struct btrfs_super_block *sb, int mirror)
{
	struct btrfs_super_block copy = *sb;
	u64 off = btrfs_sb_offset(mirror);
	int ret;

	copy.dev_item = d->dev_item;
	btrfs_set_super_bytenr(&copy, off);
	ret = btrfs_csum_data(btrfs_super_csum_type(&copy),
			      (u8 *)&copy + BTRFS_CSUM_SIZE,
			      BTRFS_SUPER_INFO_SIZE - BTRFS_CSUM_SIZE, copy.csum);
	if (!ret)
		ret = btrfs_device_pwrite(d->dev, &copy, sizeof(copy), off);
	if (ret)
		btrfs_err_set(fs_info, "cannot write superblock copy %d of '%s': %s",
			      mirror, d->dev->path, strerror(-ret));
	return ret;
}

/* Copies 1 and 2 first, the primaries last, each stage flushed. */
static int supers_write(struct btrfs_trans_handle *trans,
			const struct btrfs_super_block *sb)
{
	struct btrfs_fs_rw *rw = trans->rw;
	int pass, mirror, ret;
	u32 d;

	for (pass = 0; pass < 2; pass++) {
		for (d = 0; d < rw->nr_devs; d++) {
			for (mirror = pass ? 0 : 1;
			     mirror < (pass ? 1 : BTRFS_SUPER_MIRROR_MAX);
			     mirror++) {
				if (btrfs_sb_offset(mirror) + BTRFS_SUPER_INFO_SIZE >=
				    rw->devs[d].dev->total_bytes)
					continue;
				ret = super_write_copy(rw->fs_info, &rw->devs[d],
						       sb, mirror);
				if (ret)
					return ret;
			}
		}
		ret = devices_flush(rw);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- commit ---- */

static void commit_finish(struct btrfs_trans_handle *trans,
			  const struct btrfs_super_block *sb, void **list,
			  u32 nr)
{
	struct btrfs_fs_rw *rw = trans->rw;
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_dev_item dev_item = fs_info->super_copy.dev_item;
	u8 chunk_uuid[BTRFS_UUID_SIZE];
	struct btrfs_trans_root *r;
	u32 i;

	for (i = 0; i < trans->pinned.nr; i++) {
		const struct range *p = &trans->pinned.r[i];
		struct btrfs_bg *bg = btrfs_bg_lookup(rw, p->start);

		if (bg)
			range_set_add(&bg->free, p->start, p->end - p->start);
	}
	for (r = rw->roots; r; r = r->next) {
		r->committed = r->root;
		r->item_committed = r->item_tree = r->item;
	}
	for (i = 0; i < rw->nr_bgs; i++)
		rw->bgs[i].used_committed = rw->bgs[i].used;
	rw->bytes_used = trans->bytes_used;
	for (i = 0; i < rw->nr_devs; i++) {
		rw->devs[i].dev_item_committed = rw->devs[i].dev_item;
		if (rw->devs[i].dev->devid == btrfs_device_id(&dev_item))
			dev_item = rw->devs[i].dev_item;
	}
	fs_info->super_copy = *sb;
	fs_info->super_copy.dev_item = dev_item;
	memcpy(chunk_uuid, fs_info->sb.chunk_tree_uuid, BTRFS_UUID_SIZE);
	btrfs_super_decode(&fs_info->super_copy, &fs_info->sb);
	memcpy(fs_info->sb.chunk_tree_uuid, chunk_uuid, BTRFS_UUID_SIZE);
	fs_info->tree_root.bytenr = btrfs_super_root(sb);
	fs_info->tree_root.level = btrfs_super_root_level(sb);
	fs_info->tree_root.generation = trans->transid;
	fs_info->chunk_root.bytenr = btrfs_super_chunk_root(sb);
	fs_info->chunk_root.level = btrfs_super_chunk_root_level(sb);
	fs_info->chunk_root.generation = btrfs_super_chunk_root_generation(sb);
	/* These replace any stale block cached at a reused address. */
	for (i = 0; i < nr; i++)
		block_cache_insert(&fs_info->cache, list[i]);
	rw->backup_index = (rw->backup_index + 1) % BTRFS_NUM_BACKUP_ROOTS;
	trans_end(trans);
}

int btrfs_trans_commit(struct btrfs_trans_handle *trans)
{
	struct btrfs_fs_rw *rw = trans->rw;
	struct btrfs_super_block sb;
	void **list = NULL;
	u32 nr = 0;
	int ret;

	/* Nothing changed; a new chunk counts, even with no block in it. */
	if (!trans->dirty.count && !trans->refs.count && !trans->nr_chunks &&
	    !trans->super && !root_items_changed(trans)) {
		trans_end(trans);
		return 0;
	}
	trans->committing = true;
	ret = commit_settle(trans);
	if (!ret)
		ret = u64_map_values(&trans->dirty, &list, &nr);
	if (!ret)
		ret = blocks_write(trans, list, nr);
	if (!ret)
		ret = devices_flush(rw);
	if (!ret)
		ret = super_build(trans, &sb);
	if (ret)
		goto abort;
	ret = supers_write(trans, &sb);
	if (ret) {
		rw->broken = true;
		goto abort;
	}
	commit_finish(trans, &sb, list, nr);
	free(list);
	return 0;
abort:
	free(list);
	btrfs_trans_abort(trans);
	return ret;
}
