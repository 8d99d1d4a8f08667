// SPDX-License-Identifier: GPL-2.0-only
/*
 * Geometry: how big each chunk is, where it lives on the device, and the
 * address of every tree block.
 *
 * mkfs writes exactly three chunks (system, metadata, data) and no
 * temporary ones, so each is placed once, at its final address.  Sizes
 * follow stock btrfs-progs 6.2 so both programs make the same filesystem
 * for the same device.  Logical addresses equal the physical address of
 * the first stripe, as in stock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>
#include "mkfs/mkfs.h"

static u64 round_down_u64(u64 v, u64 align)
{
	return v - v % align;
}

static u64 round_up_u64(u64 v, u64 align)
{
	return round_down_u64(v + align - 1, align);
}

void mkfs_fs_init(struct mkfs_fs *fs, const struct mkfs_config *cfg,
		  u64 dev_size)
{
	static const u64 owners[MKFS_NR_TREES] = {
		[MKFS_TREE_CHUNK] = BTRFS_CHUNK_TREE_OBJECTID,
		[MKFS_TREE_ROOT] = BTRFS_ROOT_TREE_OBJECTID,
		[MKFS_TREE_EXTENT] = BTRFS_EXTENT_TREE_OBJECTID,
		[MKFS_TREE_DEV] = BTRFS_DEV_TREE_OBJECTID,
		[MKFS_TREE_FS] = BTRFS_FS_TREE_OBJECTID,
		[MKFS_TREE_CSUM] = BTRFS_CSUM_TREE_OBJECTID,
		[MKFS_TREE_UUID] = BTRFS_UUID_TREE_OBJECTID,
		[MKFS_TREE_FREE_SPACE] = BTRFS_FREE_SPACE_TREE_OBJECTID,
		[MKFS_TREE_DATA_RELOC] = BTRFS_DATA_RELOC_TREE_OBJECTID,
		[MKFS_TREE_BLOCK_GROUP] = BTRFS_BLOCK_GROUP_TREE_OBJECTID,
	};
	int i;

	memset(fs, 0, sizeof(*fs));
	fs->cfg = cfg;
	fs->dev_size = dev_size;
	fs->total_bytes = round_down_u64(dev_size, cfg->sectorsize);
	fs->now = (u64)time(NULL);
	if (cfg->fsid_set)
		memcpy(fs->fsid, cfg->fsid, BTRFS_FSID_SIZE);
	else
		uuid_generate(fs->fsid);
	uuid_generate(fs->dev_uuid);
	uuid_generate(fs->chunk_uuid);
	uuid_generate(fs->fs_root_uuid);
	for (i = 0; i < MKFS_NR_TREES; i++) {
		fs->trees[i].objectid = owners[i];
		fs->trees[i].present = true;
	}
	fs->trees[MKFS_TREE_FREE_SPACE].present =
		!!(cfg->compat_ro & BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE);
	fs->trees[MKFS_TREE_BLOCK_GROUP].present =
		!!(cfg->compat_ro & BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE);
}

void mkfs_fs_release(struct mkfs_fs *fs)
{
	int i;

	for (i = 0; i < MKFS_NR_TREES; i++)
		mkfs_tree_release(&fs->trees[i]);
}

/*
 * Stock btrfs-progs 6.2 chunk sizes.  Single chunks keep the sizes of the
 * chunks stock creates first (4 MiB system, 8 MiB otherwise).  Other
 * profiles get a stripe size capped by a per-type maximum and by a tenth of
 * the filesystem, then raised to a per-type minimum.
 */
static u64 chunk_size_stock(u64 type, u64 profile, u64 total_bytes)
{
	u64 stripe, max_chunk, min_stripe;

	if (!profile)
		return (type & BTRFS_BLOCK_GROUP_SYSTEM) ? SZ_4M : SZ_8M;
	if (type & BTRFS_BLOCK_GROUP_SYSTEM) {
		stripe = SZ_8M;
		max_chunk = 2 * stripe;
		min_stripe = SZ_1M;
	} else if (type & BTRFS_BLOCK_GROUP_DATA) {
		stripe = SZ_1G;
		max_chunk = 10 * stripe;
		min_stripe = SZ_64M;
	} else {
		max_chunk = total_bytes > 50 * SZ_1G ? SZ_1G : SZ_256M;
		stripe = max_chunk;
		min_stripe = SZ_32M;
	}
	if (max_chunk > total_bytes / 10)
		max_chunk = total_bytes / 10;
	/* DUP: both stripes on one device, the chunk holds one copy. */
	if (stripe > max_chunk)
		stripe = round_down_u64(max_chunk / 2, BTRFS_STRIPE_LEN);
	if (stripe < min_stripe)
		stripe = min_stripe;
	return stripe;
}

static bool range_has_super(u64 start, u64 len)
{
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 sb = btrfs_sb_offset(i);

		if (sb < start + len && start < sb + BTRFS_SUPER_INFO_SIZE)
			return true;
	}
	return false;
}

/* DAX-DESIGN.md: a data chunk never holds a superblock copy. */
static u64 place_stripe(u64 cursor, u64 len, bool avoid_super, u64 align)
{
	int i;

	while (avoid_super && range_has_super(cursor, len)) {
		for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
			u64 sb = btrfs_sb_offset(i);

			if (sb < cursor + len &&
			    cursor < sb + BTRFS_SUPER_INFO_SIZE)
				cursor = round_up_u64(sb + BTRFS_SUPER_INFO_SIZE,
						      align);
		}
	}
	return cursor;
}

static int plan_one_chunk(struct mkfs_fs *fs, struct mkfs_chunk *c,
			  u64 type, u64 profile, u64 *cursor)
{
	const struct mkfs_config *cfg = fs->cfg;
	u64 align = cfg->dax ? MKFS_DAX_ALIGN : BTRFS_STRIPE_LEN;
	bool avoid = cfg->dax && (type & BTRFS_BLOCK_GROUP_DATA);
	u32 i;

	c->type = type | profile;
	c->length = chunk_size_stock(type, profile, fs->total_bytes);
	c->length = round_down_u64(c->length, align);
	if (!c->length)
		c->length = align;
	c->num_stripes = (profile & BTRFS_BLOCK_GROUP_DUP) ? 2 : 1;
	for (i = 0; i < c->num_stripes; i++) {
		u64 phys = place_stripe(round_up_u64(*cursor, align),
					c->length, avoid, align);

		if (phys + c->length > fs->total_bytes)
			return -ENOSPC;
		c->physical[i] = phys;
		*cursor = phys + c->length;
	}
	c->logical = c->physical[0];
	c->alloc_next = c->logical;
	c->used = 0;
	return 0;
}

int mkfs_plan_chunks(struct mkfs_fs *fs, struct mkfs_err *err)
{
	const struct mkfs_config *cfg = fs->cfg;
	u64 cursor = MKFS_RESERVED_START;
	int ret;

	ret = plan_one_chunk(fs, &fs->chunks[MKFS_CHUNK_SYSTEM],
			     BTRFS_BLOCK_GROUP_SYSTEM, cfg->meta_profile,
			     &cursor);
	if (!ret)
		ret = plan_one_chunk(fs, &fs->chunks[MKFS_CHUNK_METADATA],
				     BTRFS_BLOCK_GROUP_METADATA,
				     cfg->meta_profile, &cursor);
	if (!ret)
		ret = plan_one_chunk(fs, &fs->chunks[MKFS_CHUNK_DATA],
				     BTRFS_BLOCK_GROUP_DATA, cfg->data_profile,
				     &cursor);
	if (ret)
		return mkfs_err_set(err, ret,
				    "'%s' is too small for the chunks this filesystem needs (%llu bytes)",
				    cfg->path, (unsigned long long)fs->total_bytes);
	return 0;
}

const struct mkfs_chunk *mkfs_chunk_of(const struct mkfs_fs *fs, u64 logical)
{
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];

		if (logical >= c->logical && logical - c->logical < c->length)
			return c;
	}
	return NULL;
}

u64 mkfs_dev_bytes_used(const struct mkfs_fs *fs)
{
	u64 used = 0;
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++)
		used += fs->chunks[i].length * fs->chunks[i].num_stripes;
	return used;
}

u64 mkfs_tree_bytes_used(const struct mkfs_fs *fs)
{
	u64 used = 0;
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++)
		used += fs->chunks[i].used;
	return used;
}

/*
 * The kernel keeps the 64 KiB stripe holding a superblock copy out of
 * every block group (exclude_super_stripes()), so no tree block may sit
 * there.  Returns the end of the excluded range overlapping the block, or
 * 0 when the block is clear.
 */
static u64 super_stripe_end(const struct mkfs_chunk *c, u64 logical, u32 len)
{
	u32 s;
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 sb = btrfs_sb_offset(i);

		for (s = 0; s < c->num_stripes; s++) {
			u64 start;

			if (sb < c->physical[s] || sb - c->physical[s] >= c->length)
				continue;
			start = c->logical + round_down_u64(sb - c->physical[s],
							    BTRFS_STRIPE_LEN);
			if (logical < start + BTRFS_STRIPE_LEN &&
			    start < logical + len)
				return start + BTRFS_STRIPE_LEN;
		}
	}
	return 0;
}

static int chunk_alloc_block(struct mkfs_chunk *c, u32 nodesize, u64 *ret)
{
	for (;;) {
		u64 start = c->alloc_next;
		u64 skip;

		if (start + nodesize > c->logical + c->length)
			return -ENOSPC;
		skip = super_stripe_end(c, start, nodesize);
		if (skip) {
			c->alloc_next = skip;
			continue;
		}
		c->alloc_next = start + nodesize;
		c->used += nodesize;
		*ret = start;
		return 0;
	}
}

static int alloc_tree_blocks(struct mkfs_fs *fs)
{
	u32 nodesize = fs->cfg->nodesize;
	u32 b;
	int i, ret;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		fs->chunks[i].alloc_next = fs->chunks[i].logical;
		fs->chunks[i].used = 0;
	}
	for (i = 0; i < MKFS_NR_TREES; i++) {
		struct mkfs_tree *t = &fs->trees[i];
		struct mkfs_chunk *c = &fs->chunks[i == MKFS_TREE_CHUNK ?
						   MKFS_CHUNK_SYSTEM :
						   MKFS_CHUNK_METADATA];

		if (!t->present)
			continue;
		for (b = 0; b < t->nr_blocks; b++) {
			ret = chunk_alloc_block(c, nodesize, &t->bytenr[b]);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static bool tree_depends_on_layout(int i)
{
	return i == MKFS_TREE_ROOT || i == MKFS_TREE_EXTENT ||
	       i == MKFS_TREE_FREE_SPACE || i == MKFS_TREE_BLOCK_GROUP;
}

/* One round: addresses from the current shapes, then the dependent trees. */
static int plan_round(struct mkfs_fs *fs, bool *changed)
{
	u32 before[MKFS_NR_TREES];
	int i, ret;

	for (i = 0; i < MKFS_NR_TREES; i++)
		before[i] = fs->trees[i].nr_blocks;
	ret = alloc_tree_blocks(fs);
	if (ret)
		return ret;
	ret = mkfs_fill_root_tree(fs);
	if (!ret)
		ret = mkfs_fill_free_space_tree(fs);
	if (!ret)
		ret = mkfs_fill_extent_trees(fs);
	for (i = 0; i < MKFS_NR_TREES && !ret; i++) {
		if (fs->trees[i].present && tree_depends_on_layout(i))
			ret = mkfs_tree_shape(&fs->trees[i], fs->cfg->nodesize);
	}
	*changed = false;
	for (i = 0; i < MKFS_NR_TREES; i++)
		if (before[i] != fs->trees[i].nr_blocks)
			*changed = true;
	return ret;
}

/*
 * The extent tree lists every tree block, itself included, and the free
 * space tree describes the space they leave, so their sizes feed back into
 * the layout.  Repeat until nothing moves; it settles in a few rounds
 * because item counts grow far slower than block capacity.
 */
int mkfs_plan_trees(struct mkfs_fs *fs, struct mkfs_err *err)
{
	bool changed = true;
	int i, round, stable = 0, ret;

	ret = mkfs_fill_static_trees(fs);
	for (i = 0; i < MKFS_NR_TREES && !ret; i++)
		if (fs->trees[i].present)
			ret = mkfs_tree_shape(&fs->trees[i], fs->cfg->nodesize);
	if (ret)
		return mkfs_err_set(err, ret, "cannot lay out the trees: %s",
				    strerror(-ret));
	/*
	 * Two quiet rounds in a row: the second fills every item from
	 * addresses and first keys that no longer move.
	 */
	for (round = 0; round < 16 && stable < 2; round++) {
		ret = plan_round(fs, &changed);
		stable = changed ? 0 : stable + 1;
		if (ret == -ENOSPC)
			return mkfs_err_set(err, ret,
					    "the metadata chunks are too small for the initial trees");
		if (ret)
			return mkfs_err_set(err, ret, "cannot lay out the trees: %s",
					    strerror(-ret));
	}
	if (stable < 2)
		return mkfs_err_set(err, -ELOOP,
				    "the tree layout does not settle");
	return 0;
}
