// SPDX-License-Identifier: GPL-2.0-only
/*
 * Opening a filesystem: devices, superblock choice, chunk bootstrap, and the
 * verified, cached tree block reader.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <blkid/blkid.h>
#include <uuid/uuid.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"
#include "kernel-shared/block-cache.h"

void btrfs_err_set(struct btrfs_fs_info *fs_info, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fs_info->err, sizeof(fs_info->err), fmt, ap);
	va_end(ap);
}

void btrfs_open_opts_init(struct btrfs_open_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->super_mirror = -1;
	opts->backup_root = -1;
}

static ssize_t fd_pread(void *priv, void *buf, size_t len, u64 off)
{
	return pread((int)(long)priv, buf, len, (off_t)off);
}

static ssize_t fd_pwrite(void *priv, const void *buf, size_t len, u64 off)
{
	return pwrite((int)(long)priv, buf, len, (off_t)off);
}

static int fd_flush(void *priv)
{
	return fsync((int)(long)priv) ? -errno : 0;
}

static void fd_close(void *priv)
{
	close((int)(long)priv);
}

static const struct btrfs_io_ops fd_io_ops = {
	.pread = fd_pread,
	.pwrite = fd_pwrite,
	.flush = fd_flush,
	.close = fd_close,
};

static int fd_size(int fd, u64 *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size))
			return -errno;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -ENOTBLK;
	*size = (u64)st.st_size;
	return 0;
}

/* Picks the superblock copy of one device: 'mirror', or the newest valid. */
static int device_super_pick(struct btrfs_fs_info *fs_info, int fd, u64 size,
			     const char *path, int mirror,
			     struct btrfs_super_block *out, int *picked)
{
	struct btrfs_super_block sb;
	char why[256] = "";
	int i, ret, first_err = -EINVAL;
	u64 best_gen = 0;
	bool found = false;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 off = btrfs_sb_offset(i);

		if (mirror >= 0 && i != mirror)
			continue;
		if (off + BTRFS_SUPER_INFO_SIZE > size) {
			if (mirror >= 0)
				btrfs_err_set(fs_info,
					"superblock copy %d is beyond the end of '%s'",
					i, path);
			if (mirror >= 0)
				return -ENOENT;
			break;
		}
		ret = btrfs_super_read(fd, i, &sb);
		if (!ret)
			ret = btrfs_super_check(&sb, off, why, sizeof(why));
		if (ret) {
			if (i == 0 || mirror >= 0) {
				first_err = ret;
				btrfs_err_set(fs_info,
					"superblock copy %d on '%s' is invalid: %s",
					i, path, why[0] ? why : strerror(-ret));
			}
			continue;
		}
		if (!found || btrfs_super_generation(&sb) > best_gen) {
			best_gen = btrfs_super_generation(&sb);
			*out = sb;
			*picked = i;
			found = true;
		}
	}
	if (!found) {
		if (!fs_info->err[0])
			btrfs_err_set(fs_info, "no valid btrfs superblock on '%s'",
				      path);
		return first_err;
	}
	return 0;
}

static int device_add(struct btrfs_fs_info *fs_info, const char *path,
		      const struct btrfs_open_opts *opts, bool is_first)
{
	struct btrfs_super_block sb;
	struct btrfs_device *dev, **tail;
	int fd, ret, picked = 0;
	u64 size;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		btrfs_err_set(fs_info, "cannot open '%s': %s", path,
			      strerror(errno));
		return ret;
	}
	ret = fd_size(fd, &size);
	if (ret) {
		btrfs_err_set(fs_info, "cannot get the size of '%s': %s", path,
			      strerror(-ret));
		goto out_close;
	}
	ret = device_super_pick(fs_info, fd, size, path,
				is_first ? opts->super_mirror : -1, &sb,
				&picked);
	if (ret)
		goto out_close;
	if (!is_first &&
	    memcmp(sb.fsid, fs_info->super_copy.fsid, BTRFS_FSID_SIZE)) {
		btrfs_err_set(fs_info, "'%s' belongs to another filesystem",
			      path);
		ret = -EXDEV;
		goto out_close;
	}
	if (btrfs_device_find(fs_info, btrfs_device_id(&sb.dev_item))) {
		ret = 0;	/* the same device given twice, or found by scan */
		goto out_close;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev || !(dev->path = strdup(path))) {
		free(dev);
		ret = -ENOMEM;
		goto out_close;
	}
	dev->devid = btrfs_device_id(&sb.dev_item);
	memcpy(dev->uuid, sb.dev_item.uuid, BTRFS_UUID_SIZE);
	memcpy(dev->fsid, sb.fsid, BTRFS_FSID_SIZE);
	dev->total_bytes = btrfs_device_total_bytes(&sb.dev_item);
	dev->size = size;
	dev->fd = fd;
	dev->ops = &fd_io_ops;
	dev->io_priv = (void *)(long)fd;
	for (tail = &fs_info->devices; *tail; tail = &(*tail)->next)
		;
	*tail = dev;
	fs_info->num_open_devices++;
	if (is_first ||
	    (opts->super_mirror < 0 && btrfs_super_generation(&sb) >
				       fs_info->sb.generation)) {
		fs_info->super_copy = sb;
		fs_info->super_mirror = picked;
		btrfs_super_decode(&sb, &fs_info->sb);
	}
	return 0;

out_close:
	close(fd);
	return ret;
}

/* Finds the other devices of this filesystem through libblkid. */
static void devices_scan(struct btrfs_fs_info *fs_info,
			 const struct btrfs_open_opts *opts)
{
	char uuid[BTRFS_UUID_UNPARSED_SIZE];
	blkid_dev_iterate iter;
	blkid_cache cache;
	blkid_dev bdev;

	if (blkid_get_cache(&cache, "/dev/null") < 0)
		return;
	blkid_probe_all(cache);
	uuid_unparse(fs_info->super_copy.fsid, uuid);
	iter = blkid_dev_iterate_begin(cache);
	blkid_dev_set_search(iter, "UUID", uuid);
	while (blkid_dev_next(iter, &bdev) == 0) {
		char err_save[BTRFS_ERR_MSG_LEN];

		bdev = blkid_verify(cache, bdev);
		if (!bdev)
			continue;
		memcpy(err_save, fs_info->err, sizeof(err_save));
		/* A scanned device that fails to open is simply not used. */
		device_add(fs_info, blkid_dev_devname(bdev), opts, false);
		memcpy(fs_info->err, err_save, sizeof(err_save));
	}
	blkid_dev_iterate_end(iter);
	blkid_put_cache(cache);
}

/* Loads the system chunks listed in the superblock. */
static int sys_array_load(struct btrfs_fs_info *fs_info)
{
	struct btrfs_super_block *sb = &fs_info->super_copy;
	u32 size = btrfs_super_sys_array_size(sb);
	u32 cur = 0;

	while (cur < size) {
		struct btrfs_disk_key *dkey;
		struct btrfs_chunk *chunk;
		struct chunk_map *map;
		u32 num_stripes, len;
		int ret;

		if (size - cur < sizeof(*dkey) + sizeof(*chunk))
			goto bad;
		dkey = (struct btrfs_disk_key *)(sb->sys_chunk_array + cur);
		chunk = (struct btrfs_chunk *)(dkey + 1);
		if (btrfs_disk_key_type(dkey) != BTRFS_CHUNK_ITEM_KEY)
			goto bad;
		num_stripes = btrfs_chunk_num_stripes(chunk);
		if (num_stripes == 0 || num_stripes > 256)
			goto bad;
		len = btrfs_chunk_item_size(num_stripes);
		if (size - cur - sizeof(*dkey) < len)
			goto bad;
		ret = chunk_map_from_item(fs_info, btrfs_disk_key_offset(dkey),
					  chunk, len, &map);
		if (ret)
			goto bad;
		ret = chunk_map_insert(fs_info, map);
		if (ret) {
			free(map);
			if (ret != -EEXIST)
				goto bad;
		}
		cur += sizeof(*dkey) + len;
	}
	return 0;
bad:
	btrfs_err_set(fs_info, "invalid system chunk array at offset %u", cur);
	return -EUCLEAN;
}

static int chunk_tree_leaf_load(struct btrfs_fs_info *fs_info,
				struct extent_buffer *leaf)
{
	u32 i, nr = eb_nritems(leaf);

	for (i = 0; i < nr; i++) {
		struct btrfs_key key;
		struct chunk_map *map;
		int ret;

		eb_item_key(leaf, &key, (int)i);
		if (key.type == BTRFS_DEV_ITEM_KEY) {
			struct btrfs_dev_item *di =
				eb_item_ptr_type(leaf, (int)i, struct btrfs_dev_item);
			struct btrfs_device *dev =
				btrfs_device_find(fs_info, btrfs_device_id(di));

			if (dev)
				dev->total_bytes = btrfs_device_total_bytes(di);
			continue;
		}
		if (key.type != BTRFS_CHUNK_ITEM_KEY)
			continue;
		ret = chunk_map_from_item(fs_info, key.offset,
			eb_item_ptr_type(leaf, (int)i, struct btrfs_chunk),
			eb_item_size(leaf, (int)i), &map);
		if (ret) {
			btrfs_err_set(fs_info,
				"invalid chunk item at logical %llu in leaf %llu",
				(unsigned long long)key.offset,
				(unsigned long long)leaf->start);
			return ret;
		}
		ret = chunk_map_insert(fs_info, map);
		if (ret) {
			free(map);
			if (ret == -EEXIST)
				continue;
			btrfs_err_set(fs_info,
				"chunk at logical %llu overlaps another chunk",
				(unsigned long long)key.offset);
			return ret;
		}
	}
	return 0;
}

/* Reads the whole chunk tree into the chunk map. */
static int chunk_tree_load(struct btrfs_fs_info *fs_info)
{
	struct btrfs_root *root = &fs_info->chunk_root;
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_path path;
	struct extent_buffer *last = NULL;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, root, &key, &path);
	if (ret < 0)
		goto out;
	ret = 0;
	while (1) {
		struct extent_buffer *leaf = path.nodes[0];

		if (leaf != last && leaf) {
			ret = chunk_tree_leaf_load(fs_info, leaf);
			if (ret)
				break;
			last = leaf;
		}
		path.slots[0] = (int)eb_nritems(leaf) - 1;
		if (path.slots[0] < 0)
			path.slots[0] = 0;
		ret = btrfs_next_item(fs_info, &path);
		if (ret) {
			ret = ret > 0 ? 0 : ret;
			break;
		}
		last = NULL;
	}
out:
	btrfs_path_release(&path);
	return ret;
}

static void roots_from_super(struct btrfs_fs_info *fs_info,
			     const struct btrfs_open_opts *opts)
{
	const struct btrfs_super_block *sb = &fs_info->super_copy;

	fs_info->tree_root.objectid = BTRFS_ROOT_TREE_OBJECTID;
	fs_info->tree_root.bytenr = fs_info->sb.root;
	fs_info->tree_root.level = fs_info->sb.root_level;
	fs_info->tree_root.generation = fs_info->sb.generation;
	fs_info->tree_root.fs_info = fs_info;
	fs_info->chunk_root.objectid = BTRFS_CHUNK_TREE_OBJECTID;
	fs_info->chunk_root.bytenr = fs_info->sb.chunk_root;
	fs_info->chunk_root.level = fs_info->sb.chunk_root_level;
	fs_info->chunk_root.generation = fs_info->sb.chunk_root_generation;
	fs_info->chunk_root.fs_info = fs_info;
	if (opts->backup_root >= 0 && opts->backup_root < BTRFS_NUM_BACKUP_ROOTS) {
		const struct btrfs_root_backup *b =
			&sb->super_roots[opts->backup_root];

		fs_info->tree_root.bytenr = btrfs_backup_tree_root(b);
		fs_info->tree_root.level = btrfs_backup_tree_root_level(b);
		fs_info->tree_root.generation = btrfs_backup_tree_root_gen(b);
		fs_info->chunk_root.bytenr = btrfs_backup_chunk_root(b);
		fs_info->chunk_root.level = btrfs_backup_chunk_root_level(b);
		fs_info->chunk_root.generation = btrfs_backup_chunk_root_gen(b);
	}
	if (opts->tree_root_bytenr) {
		fs_info->tree_root.bytenr = opts->tree_root_bytenr;
		fs_info->tree_root.generation = 0;
	}
	if (opts->chunk_root_bytenr) {
		fs_info->chunk_root.bytenr = opts->chunk_root_bytenr;
		fs_info->chunk_root.generation = 0;
	}
}

static int chunks_bootstrap(struct btrfs_fs_info *fs_info,
			    const struct btrfs_open_opts *opts)
{
	struct tree_block_expect expect = {
		.owner = BTRFS_CHUNK_TREE_OBJECTID,
		.generation = fs_info->chunk_root.generation,
		.level = opts->chunk_root_bytenr ? -1 : fs_info->chunk_root.level,
	};
	struct extent_buffer *eb;
	int ret;

	ret = sys_array_load(fs_info);
	if (ret)
		return ret;
	ret = tree_block_read(fs_info, fs_info->chunk_root.bytenr, &expect, &eb);
	if (ret)
		return ret;
	memcpy(fs_info->sb.chunk_tree_uuid, eb_header(eb)->chunk_tree_uuid,
	       BTRFS_UUID_SIZE);
	fs_info->chunk_root.level = (u8)eb_level(eb);
	extent_buffer_put(eb);
	return chunk_tree_load(fs_info);
}

static int fs_check_features(struct btrfs_fs_info *fs_info)
{
	if (fs_info->sb.incompat_flags & BTRFS_FEATURE_INCOMPAT_ZONED) {
		btrfs_err_set(fs_info,
			"zoned filesystems are not supported by btrfs-dax-progs");
		return -EOPNOTSUPP;
	}
	if (fs_info->sb.incompat_flags & BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2) {
		btrfs_err_set(fs_info,
			"extent-tree-v2 filesystems are not supported by btrfs-dax-progs");
		return -EOPNOTSUPP;
	}
	return 0;
}

int btrfs_open_fs(const char *const *paths, int npaths,
		  const struct btrfs_open_opts *opts,
		  struct btrfs_fs_info **ret_fs)
{
	struct btrfs_fs_info *fs_info;
	int i, ret;

	*ret_fs = NULL;
	fs_info = calloc(1, sizeof(*fs_info));
	if (!fs_info)
		return -ENOMEM;
	*ret_fs = fs_info;
	ret = block_cache_init(&fs_info->cache, opts->cache_limit ?
			       opts->cache_limit : BTRFS_BLOCK_CACHE_DEFAULT);
	if (ret)
		return ret;
	for (i = 0; i < npaths; i++) {
		ret = device_add(fs_info, paths[i], opts, i == 0);
		if (ret)
			return ret;
	}
	if (opts->flags & BTRFS_OPEN_SUPER_ONLY)
		return 0;
	ret = fs_check_features(fs_info);
	if (ret)
		return ret;
	if (!(opts->flags & BTRFS_OPEN_NOSCAN) &&
	    fs_info->num_open_devices < fs_info->sb.num_devices)
		devices_scan(fs_info, opts);
	if (fs_info->num_open_devices < fs_info->sb.num_devices &&
	    !(opts->flags & BTRFS_OPEN_ALLOW_MISSING)) {
		btrfs_err_set(fs_info,
			"missing devices: filesystem has %llu, found %u",
			(unsigned long long)fs_info->sb.num_devices,
			fs_info->num_open_devices);
		return -ENODEV;
	}
	roots_from_super(fs_info, opts);
	return chunks_bootstrap(fs_info, opts);
}

void btrfs_close_fs(struct btrfs_fs_info *fs_info)
{
	struct btrfs_device *dev, *next;
	u32 i;

	if (!fs_info)
		return;
	block_cache_destroy(&fs_info->cache);
	for (i = 0; i < fs_info->nr_chunks; i++)
		free(fs_info->chunks[i]);
	free(fs_info->chunks);
	for (dev = fs_info->devices; dev; dev = next) {
		next = dev->next;
		if (dev->ops && dev->ops->close)
			dev->ops->close(dev->io_priv);
		free(dev->path);
		free(dev);
	}
	free(fs_info);
}

static int expect_check(const struct btrfs_fs_info *fs_info,
			const struct extent_buffer *eb,
			const struct tree_block_expect *expect,
			char *why, size_t len)
{
	struct btrfs_key key;

	if (!expect)
		return 0;
	if (expect->level >= 0 && eb_level(eb) != expect->level) {
		snprintf(why, len, "bad tree block %llu: level mismatch, have %d want %d",
			 (unsigned long long)eb->start, eb_level(eb), expect->level);
		return -EUCLEAN;
	}
	if (expect->generation && eb_generation(eb) != expect->generation) {
		snprintf(why, len, "bad tree block %llu: generation mismatch, have %llu want %llu",
			 (unsigned long long)eb->start,
			 (unsigned long long)eb_generation(eb),
			 (unsigned long long)expect->generation);
		return -EUCLEAN;
	}
	if (expect->first_key && eb_nritems(eb)) {
		if (eb_level(eb))
			eb_node_key(eb, &key, 0);
		else
			eb_item_key(eb, &key, 0);
		if (btrfs_comp_keys(&key, expect->first_key)) {
			snprintf(why, len, "bad tree block %llu: first key mismatch",
				 (unsigned long long)eb->start);
			return -EUCLEAN;
		}
	}
	return 0;
}

/* Reads copy after copy until one passes the verifier. */
static int tree_block_read_mirrors(struct btrfs_fs_info *fs_info, u64 bytenr,
				   const struct tree_block_expect *expect,
				   struct extent_buffer *eb)
{
	struct chunk_map *map = chunk_map_lookup(fs_info, bytenr);
	char why[256] = "";
	int copies, mirror, ret = -EIO, first_ret = 0;

	if (!map) {
		btrfs_err_set(fs_info,
			"tree block %llu is not inside any chunk",
			(unsigned long long)bytenr);
		return -ENOENT;
	}
	copies = chunk_map_read_mirrors(map);
	for (mirror = 0; mirror < copies; mirror++) {
		ret = btrfs_read_logical(fs_info, bytenr, eb->data, eb->len,
					 mirror);
		if (ret) {
			snprintf(why, sizeof(why),
				 "cannot read tree block %llu: %s",
				 (unsigned long long)bytenr, strerror(-ret));
		} else {
			ret = tree_block_verify(fs_info, eb, expect, why,
						sizeof(why));
		}
		if (!ret)
			return 0;
		if (!first_ret) {
			first_ret = ret;
			btrfs_err_set(fs_info, "%s", why);
		}
	}
	return first_ret;
}

/*
 * The full verifier refused every copy: retry checking only the checksum,
 * header and layout.  The block is not cached, so no later reader mistakes
 * it for a verified one; the first complaint stays in fs_info->err.
 */
static int tree_block_read_lenient(struct btrfs_fs_info *fs_info, u64 bytenr,
				   const struct tree_block_expect *expect,
				   struct extent_buffer *eb,
				   struct extent_buffer **ret_eb, int full_ret)
{
	struct tree_block_expect relaxed = *expect;
	char why[BTRFS_ERR_MSG_LEN];

	relaxed.flags |= TREE_BLOCK_SKIP_ITEMS;
	memcpy(why, fs_info->err, sizeof(why));
	if (tree_block_read_mirrors(fs_info, bytenr, &relaxed, eb)) {
		memcpy(fs_info->err, why, sizeof(why));
		free(eb);
		return full_ret;
	}
	memcpy(fs_info->err, why, sizeof(why));
	*ret_eb = eb;
	return 1;
}

struct extent_buffer *extent_buffer_new(u64 bytenr, u32 len)
{
	struct extent_buffer *eb = malloc(sizeof(*eb) + len);

	if (!eb)
		return NULL;
	memset(eb, 0, sizeof(*eb));
	eb->start = bytenr;
	eb->len = len;
	eb->refs = 1;
	return eb;
}

/*
 * tree_block_read(), where 'ready' (or NULL) is the block already read and
 * verified under the same expectations, used instead of reading it when it
 * is not cached.  Takes over the reference to ready.
 */
static int tree_block_get(struct btrfs_fs_info *fs_info, u64 bytenr,
			  const struct tree_block_expect *expect,
			  struct extent_buffer *ready,
			  struct extent_buffer **ret_eb)
{
	struct extent_buffer *eb;
	char why[256];
	int ret;

	*ret_eb = NULL;
	if (bytenr % fs_info->sb.sectorsize) {
		btrfs_err_set(fs_info,
			"tree block %llu is not aligned to sectorsize %u",
			(unsigned long long)bytenr, fs_info->sb.sectorsize);
		extent_buffer_put(ready);
		return -EUCLEAN;
	}
	eb = block_cache_lookup(&fs_info->cache, bytenr);
	if (eb) {
		extent_buffer_put(ready);
		ret = expect_check(fs_info, eb, expect, why, sizeof(why));
		if (ret) {
			btrfs_err_set(fs_info, "%s", why);
			extent_buffer_put(eb);
			return ret;
		}
		*ret_eb = eb;
		return 0;
	}
	if (ready) {
		block_cache_insert(&fs_info->cache, ready);
		*ret_eb = ready;
		return 0;
	}
	/* The read fills the data, or the buffer is thrown away. */
	eb = extent_buffer_new(bytenr, fs_info->sb.nodesize);
	if (!eb)
		return -ENOMEM;
	ret = tree_block_read_mirrors(fs_info, bytenr, expect, eb);
	if (ret && expect && (expect->flags & TREE_BLOCK_LENIENT) &&
	    ret != -ENOMEM && ret != -ENOENT)
		return tree_block_read_lenient(fs_info, bytenr, expect, eb,
					       ret_eb, ret);
	if (ret) {
		free(eb);
		return ret;
	}
	block_cache_insert(&fs_info->cache, eb);
	*ret_eb = eb;
	return 0;
}

int tree_block_read(struct btrfs_fs_info *fs_info, u64 bytenr,
		    const struct tree_block_expect *expect,
		    struct extent_buffer **ret_eb)
{
	return tree_block_get(fs_info, bytenr, expect, NULL, ret_eb);
}

int tree_block_read_ahead(struct btrfs_fs_info *fs_info, u64 bytenr,
			  const struct tree_block_expect *expect,
			  struct extent_buffer *eb)
{
	int ret;

	if (eb->len != fs_info->sb.nodesize || bytenr % fs_info->sb.sectorsize ||
	    !chunk_map_lookup(fs_info, bytenr))
		return -EUCLEAN;
	eb->start = bytenr;
	/* Copy 0 only: a failure is left for tree_block_read() to explain. */
	ret = btrfs_read_logical(fs_info, bytenr, eb->data, eb->len, 0);
	if (!ret)
		ret = tree_block_verify(fs_info, eb, expect, NULL, 0);
	return ret;
}

int tree_block_read_ready(struct btrfs_fs_info *fs_info, u64 bytenr,
			  const struct tree_block_expect *expect,
			  struct extent_buffer *ready,
			  struct extent_buffer **ret_eb)
{
	return tree_block_get(fs_info, bytenr, expect, ready, ret_eb);
}
