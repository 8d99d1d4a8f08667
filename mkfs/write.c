// SPDX-License-Identifier: GPL-2.0-only
/*
 * The last stages: the superblock, the verifier run over every block built
 * in memory, the writes, and a read-back through the engine.
 *
 * Crash safety: the old signatures are gone before anything is written
 * (device.c), the tree blocks are written and flushed on every device, then
 * the superblock copies 1 and 2 of every device, a flush, and the primary
 * copies last, flushed again.  Until the primaries land nothing claims to be
 * a filesystem; once they land every block they point to is already stable.
 *
 * Each device's superblock carries its own device item; everything else in
 * the superblocks is the same on every device.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/csum.h"
#include "mkfs/mkfs.h"

static void sys_array_fill(struct mkfs_fs *fs)
{
	struct btrfs_super_block *sb = &fs->super;
	const struct mkfs_chunk *c = &fs->chunks[MKFS_CHUNK_SYSTEM];
	struct btrfs_key key = {
		BTRFS_FIRST_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, c->logical
	};
	struct btrfs_disk_key dk;
	u32 size = btrfs_chunk_item_size(c->num_stripes);

	btrfs_cpu_key_to_disk(&dk, &key);
	memcpy(sb->sys_chunk_array, &dk, sizeof(dk));
	mkfs_fill_chunk_item(fs, c, (struct btrfs_chunk *)
			     (sb->sys_chunk_array + sizeof(dk)));
	btrfs_set_super_sys_array_size(sb, sizeof(dk) + size);
}

/* Backup slot 0 holds this generation's roots, as a commit would. */
static void backup_fill(struct mkfs_fs *fs)
{
	struct btrfs_root_backup *b = &fs->super.super_roots[0];
	const struct mkfs_tree *t = fs->trees;

	btrfs_set_backup_tree_root(b, mkfs_tree_root(&t[MKFS_TREE_ROOT]));
	btrfs_set_backup_tree_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_tree_root_level(b, t[MKFS_TREE_ROOT].level);
	btrfs_set_backup_chunk_root(b, mkfs_tree_root(&t[MKFS_TREE_CHUNK]));
	btrfs_set_backup_chunk_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_chunk_root_level(b, t[MKFS_TREE_CHUNK].level);
	btrfs_set_backup_extent_root(b, mkfs_tree_root(&t[MKFS_TREE_EXTENT]));
	btrfs_set_backup_extent_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_extent_root_level(b, t[MKFS_TREE_EXTENT].level);
	btrfs_set_backup_fs_root(b, mkfs_tree_root(&t[MKFS_TREE_FS]));
	btrfs_set_backup_fs_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_fs_root_level(b, t[MKFS_TREE_FS].level);
	btrfs_set_backup_dev_root(b, mkfs_tree_root(&t[MKFS_TREE_DEV]));
	btrfs_set_backup_dev_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_dev_root_level(b, t[MKFS_TREE_DEV].level);
	btrfs_set_backup_csum_root(b, mkfs_tree_root(&t[MKFS_TREE_CSUM]));
	btrfs_set_backup_csum_root_gen(b, MKFS_GENERATION);
	btrfs_set_backup_csum_root_level(b, t[MKFS_TREE_CSUM].level);
	btrfs_set_backup_total_bytes(b, fs->total_bytes);
	btrfs_set_backup_bytes_used(b, mkfs_tree_bytes_used(fs));
	btrfs_set_backup_num_devices(b, fs->nr_devs);
}

static void super_geometry(struct mkfs_fs *fs)
{
	struct btrfs_super_block *sb = &fs->super;
	const struct mkfs_config *cfg = fs->cfg;

	btrfs_set_super_total_bytes(sb, fs->total_bytes);
	btrfs_set_super_bytes_used(sb, mkfs_tree_bytes_used(fs));
	btrfs_set_super_num_devices(sb, fs->nr_devs);
	btrfs_set_super_sectorsize(sb, cfg->sectorsize);
	btrfs_set_super_nodesize(sb, cfg->nodesize);
	btrfs_set_super_leafsize(sb, cfg->nodesize);
	btrfs_set_super_stripesize(sb, cfg->sectorsize);
	btrfs_set_super_csum_type(sb, cfg->csum_type);
	btrfs_set_super_compat_flags(sb, cfg->compat);
	btrfs_set_super_compat_ro_flags(sb, cfg->compat_ro);
	btrfs_set_super_incompat_flags(sb, cfg->incompat);
}

int mkfs_build_super(struct mkfs_fs *fs)
{
	struct btrfs_super_block *sb = &fs->super;
	const struct mkfs_tree *t = fs->trees;
	bool fst = t[MKFS_TREE_FREE_SPACE].present;

	memset(sb, 0, sizeof(*sb));
	memcpy(sb->fsid, fs->fsid, BTRFS_FSID_SIZE);
	btrfs_set_super_bytenr(sb, BTRFS_SUPER_INFO_OFFSET);
	btrfs_set_super_flags(sb, BTRFS_HEADER_FLAG_WRITTEN);
	btrfs_set_super_magic(sb, BTRFS_MAGIC);
	btrfs_set_super_generation(sb, MKFS_GENERATION);
	btrfs_set_super_root(sb, mkfs_tree_root(&t[MKFS_TREE_ROOT]));
	btrfs_set_super_root_level(sb, t[MKFS_TREE_ROOT].level);
	btrfs_set_super_chunk_root(sb, mkfs_tree_root(&t[MKFS_TREE_CHUNK]));
	btrfs_set_super_chunk_root_level(sb, t[MKFS_TREE_CHUNK].level);
	btrfs_set_super_chunk_root_generation(sb, MKFS_GENERATION);
	btrfs_set_super_root_dir(sb, BTRFS_ROOT_TREE_DIR_OBJECTID);
	super_geometry(fs);
	/* (u64)-1 tells the kernel there is no valid v1 space cache. */
	btrfs_set_super_cache_generation(sb, fst ? 0 : (u64)-1);
	btrfs_set_super_uuid_tree_generation(sb, MKFS_GENERATION);
	mkfs_fill_dev_item(fs, 0, &sb->dev_item);
	memcpy(sb->label, fs->cfg->label, BTRFS_LABEL_SIZE);
	sb->label[BTRFS_LABEL_SIZE - 1] = '\0';
	sys_array_fill(fs);
	backup_fill(fs);

	memset(&fs->verify_info, 0, sizeof(fs->verify_info));
	btrfs_super_decode(sb, &fs->verify_info.sb);
	memcpy(fs->verify_info.sb.chunk_tree_uuid, fs->chunk_uuid,
	       BTRFS_UUID_SIZE);
	return 0;
}

/*
 * Copy 'mirror' of the superblock for device 'dev', with its own device
 * item, bytenr and checksum.
 */
static int super_copy_make(const struct mkfs_fs *fs, u32 dev, int mirror,
			   struct btrfs_super_block *out)
{
	*out = fs->super;
	mkfs_fill_dev_item(fs, dev, &out->dev_item);
	btrfs_set_super_bytenr(out, btrfs_sb_offset(mirror));
	return btrfs_csum_data(fs->cfg->csum_type, (u8 *)out + BTRFS_CSUM_SIZE,
			       BTRFS_SUPER_INFO_SIZE - BTRFS_CSUM_SIZE, out->csum);
}

int mkfs_verify_blocks(struct mkfs_fs *fs, struct mkfs_err *err)
{
	struct btrfs_super_block copy;
	char why[512];
	u32 b;
	int i, ret;

	ret = super_copy_make(fs, 0, 0, &copy);
	if (!ret)
		ret = btrfs_super_check(&copy, BTRFS_SUPER_INFO_OFFSET, why,
					sizeof(why));
	if (ret)
		return mkfs_err_set(err, ret, "internal error: the new superblock is invalid: %s",
				    why);
	for (i = 0; i < MKFS_NR_TREES; i++) {
		const struct mkfs_tree *t = &fs->trees[i];

		for (b = 0; t->present && b < t->nr_blocks; b++) {
			struct tree_block_expect expect = {
				.owner = t->objectid,
				.generation = MKFS_GENERATION,
				.level = t->block_level[b],
				.first_key = t->nr_items ? &t->first_key[b] : NULL,
			};

			ret = tree_block_verify(&fs->verify_info, t->blocks[b],
						&expect, why, sizeof(why));
			if (ret)
				return mkfs_err_set(err, ret,
						    "internal error: the verifier rejects a new block: %s",
						    why);
		}
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len, u64 off)
{
	const u8 *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (u64)n;
	}
	return 0;
}

static int flush_all(const struct mkfs_fs *fs, struct mkfs_device *devs,
		     struct mkfs_err *err)
{
	u32 d;

	for (d = 0; d < fs->nr_devs; d++)
		if (fsync(devs[d].fd))
			return mkfs_err_set(err, -errno, "cannot flush '%s': %m",
					    devs[d].path);
	return 0;
}

/* The engine's view of a chunk, to map logical addresses with it. */
static struct chunk_map *chunk_to_map(const struct mkfs_chunk *c)
{
	struct chunk_map *map;
	u32 i;

	map = calloc(1, sizeof(*map) + c->num_stripes * sizeof(map->stripes[0]));
	if (!map)
		return NULL;
	map->logical = c->logical;
	map->length = c->length;
	map->type = c->type;
	map->stripe_len = BTRFS_STRIPE_LEN;
	map->num_stripes = c->num_stripes;
	map->sub_stripes = c->sub_stripes;
	/* devid holds the index of the device in mkfs_fs.devs. */
	for (i = 0; i < c->num_stripes; i++) {
		map->stripes[i].devid = c->stripes[i].dev;
		map->stripes[i].physical = c->stripes[i].physical;
	}
	return map;
}

/* Each block goes to every copy its chunk's profile keeps. */
static int write_block(const struct chunk_map *map, struct mkfs_device *devs,
		       const struct extent_buffer *eb)
{
	int copies = chunk_map_num_copies(map), m, ret;

	for (m = 0; m < copies; m++) {
		struct btrfs_io_copy copy;
		u64 contig;

		ret = chunk_map_locate(map, eb->start, m, &copy, &contig);
		if (!ret && contig < eb->len)
			ret = -EFAULT;
		if (!ret)
			ret = write_full(devs[copy.stripe->devid].fd, eb->data,
					 eb->len, copy.physical);
		if (ret)
			return ret;
	}
	return 0;
}

/* Copies the built blocks lying in [start, start + len) into buf. */
static bool row_fill(const struct mkfs_fs *fs, u64 start, u64 len, u8 *buf)
{
	bool any = false;
	u32 b;
	int i;

	memset(buf, 0, len);
	for (i = 0; i < MKFS_NR_TREES; i++) {
		const struct mkfs_tree *t = &fs->trees[i];

		for (b = 0; t->present && b < t->nr_blocks; b++) {
			const struct extent_buffer *eb = t->blocks[b];

			if (eb->start < start || eb->start - start >= len)
				continue;
			memcpy(buf + (eb->start - start), eb->data, eb->len);
			any = true;
		}
	}
	return any;
}

/*
 * Row r of a RAID5/6 chunk: data stripe k on stripe (r + k) mod n, then P
 * and Q, as the kernel rotates them.
 */
static int write_row(const struct mkfs_chunk *c, struct mkfs_device *devs,
		     u64 r, u8 *buf, u32 ndata, u32 nparity)
{
	u8 *data[MKFS_MAX_DEVICES];
	u32 k;
	int ret = 0;

	for (k = 0; k < ndata + nparity; k++)
		data[k] = buf + k * BTRFS_STRIPE_LEN;
	mkfs_raid56_parity(data, ndata, data[ndata],
			   nparity > 1 ? data[ndata + 1] : NULL, BTRFS_STRIPE_LEN);
	for (k = 0; k < ndata + nparity && !ret; k++) {
		const struct mkfs_stripe *s = &c->stripes[(r + k) % c->num_stripes];

		ret = write_full(devs[s->dev].fd, data[k], BTRFS_STRIPE_LEN,
				 s->physical + r * BTRFS_STRIPE_LEN);
	}
	return ret;
}

/* Whole rows, so no stale device contents enter the parity. */
static int write_raid56_chunk(const struct mkfs_fs *fs,
			      const struct mkfs_chunk *c,
			      struct mkfs_device *devs)
{
	u32 nparity = mkfs_raid_attr(c->type)->nparity;
	u32 ndata = c->num_stripes - nparity;
	u64 row_len = BTRFS_STRIPE_LEN * ndata, r;
	u64 rows = (c->alloc_next - c->logical + row_len - 1) / row_len;
	u8 *buf;
	int ret = 0;

	buf = malloc(BTRFS_STRIPE_LEN * c->num_stripes);
	if (!buf)
		return -ENOMEM;
	for (r = 0; r < rows && !ret; r++)
		if (row_fill(fs, c->logical + r * row_len, row_len, buf))
			ret = write_row(c, devs, r, buf, ndata, nparity);
	free(buf);
	return ret;
}

static int write_chunk_blocks(const struct mkfs_fs *fs,
			      const struct mkfs_chunk *c,
			      struct mkfs_device *devs)
{
	struct chunk_map *map;
	u32 b;
	int i, ret = 0;

	if (mkfs_raid_attr(c->type)->nparity)
		return write_raid56_chunk(fs, c, devs);
	map = chunk_to_map(c);
	if (!map)
		return -ENOMEM;
	for (i = 0; i < MKFS_NR_TREES && !ret; i++) {
		const struct mkfs_tree *t = &fs->trees[i];

		for (b = 0; t->present && b < t->nr_blocks && !ret; b++)
			if (mkfs_chunk_of(fs, t->bytenr[b]) == c)
				ret = write_block(map, devs, t->blocks[b]);
	}
	free(map);
	return ret;
}

int mkfs_write_trees(struct mkfs_fs *fs, struct mkfs_device *devs,
		     struct mkfs_err *err)
{
	int i, ret;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];

		if (!c->present || c->alloc_next == c->logical)
			continue;
		ret = write_chunk_blocks(fs, c, devs);
		if (ret)
			return mkfs_err_set(err, ret,
					    "cannot write the tree blocks of chunk %llu: %s",
					    (unsigned long long)c->logical,
					    strerror(-ret));
	}
	return flush_all(fs, devs, err);
}

static int write_super_copy(struct mkfs_fs *fs, struct mkfs_device *devs,
			    u32 dev, int mirror, struct mkfs_err *err)
{
	struct btrfs_super_block copy;
	int ret;

	if (btrfs_sb_offset(mirror) + BTRFS_SUPER_INFO_SIZE >
	    fs->devs[dev].total_bytes)
		return 0;
	ret = super_copy_make(fs, dev, mirror, &copy);
	if (!ret)
		ret = write_full(devs[dev].fd, &copy, sizeof(copy),
				 btrfs_sb_offset(mirror));
	if (ret)
		return mkfs_err_set(err, ret,
				    "cannot write superblock copy %d to '%s': %s",
				    mirror, devs[dev].path, strerror(-ret));
	return 0;
}

int mkfs_write_supers(struct mkfs_fs *fs, struct mkfs_device *devs,
		      struct mkfs_err *err)
{
	int mirror, ret = 0;
	u32 d;

	for (mirror = BTRFS_SUPER_MIRROR_MAX - 1; mirror > 0 && !ret; mirror--)
		for (d = 0; d < fs->nr_devs && !ret; d++)
			ret = write_super_copy(fs, devs, d, mirror, err);
	if (!ret)
		ret = flush_all(fs, devs, err);
	for (d = 0; d < fs->nr_devs && !ret; d++)
		ret = write_super_copy(fs, devs, d, 0, err);
	if (!ret)
		ret = flush_all(fs, devs, err);
	return ret;
}

/* Visits every item of one tree, which reads every block of it. */
static int walk_tree(struct btrfs_fs_info *fs_info, const struct btrfs_root *root,
		     u64 *nr_items)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, root, &key, &path);
	while (ret >= 0) {
		if (path.slots[0] < (int)eb_nritems(path.nodes[0]))
			(*nr_items)++;
		ret = btrfs_next_item(fs_info, &path);
		if (ret > 0) {
			ret = 0;
			break;
		}
	}
	btrfs_path_release(&path);
	return ret;
}

static int walk_all_trees(struct btrfs_fs_info *fs_info, u64 *nr_items)
{
	static const u64 ids[] = {
		BTRFS_ROOT_TREE_OBJECTID, BTRFS_CHUNK_TREE_OBJECTID,
		BTRFS_EXTENT_TREE_OBJECTID, BTRFS_DEV_TREE_OBJECTID,
		BTRFS_FS_TREE_OBJECTID, BTRFS_CSUM_TREE_OBJECTID,
		BTRFS_UUID_TREE_OBJECTID, BTRFS_FREE_SPACE_TREE_OBJECTID,
		BTRFS_DATA_RELOC_TREE_OBJECTID, BTRFS_BLOCK_GROUP_TREE_OBJECTID,
	};
	struct btrfs_root root;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		ret = btrfs_read_root(fs_info, ids[i], &root, NULL);
		if (ret == -ENOENT && (ids[i] == BTRFS_FREE_SPACE_TREE_OBJECTID ||
				       ids[i] == BTRFS_BLOCK_GROUP_TREE_OBJECTID))
			continue;
		if (!ret)
			ret = walk_tree(fs_info, &root, nr_items);
		if (ret)
			return ret;
	}
	return 0;
}

int mkfs_verify_written(const char *const *paths, int nr,
			struct mkfs_err *err)
{
	struct btrfs_open_opts opts;
	struct btrfs_fs_info *fs_info;
	u64 nr_items = 0;
	int ret;

	btrfs_open_opts_init(&opts);
	opts.flags |= BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs(paths, nr, &opts, &fs_info);
	if (!ret)
		ret = walk_all_trees(fs_info, &nr_items);
	if (ret)
		mkfs_err_set(err, ret, "the new filesystem on '%s' does not read back: %s",
			     paths[0], fs_info && fs_info->err[0] ? fs_info->err :
			     strerror(-ret));
	if (fs_info)
		btrfs_close_fs(fs_info);
	return ret;
}
