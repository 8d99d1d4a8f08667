// SPDX-License-Identifier: GPL-2.0-only
/*
 * Geometry: where each chunk's stripes live on the devices, the chunks'
 * logical addresses, and the address of every tree block.
 *
 * alloc.c decides what stock mkfs.btrfs 6.2 would: the chunks, their stripe
 * sizes and their devices.  Here they are packed from the first free
 * megabyte of each device, system first, without the holes stock's
 * temporary chunks leave behind.  A chunk's logical address is the physical
 * address of its first stripe unless an earlier chunk already covers it,
 * so a single-device filesystem maps logical to physical one to one.
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
		  const u64 *sizes)
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
	fs->nr_devs = (u32)cfg->nr_devices;
	for (i = 0; i < cfg->nr_devices; i++) {
		struct mkfs_fs_dev *d = &fs->devs[i];

		d->path = cfg->paths[i];
		d->devid = (u64)i + 1;
		d->total_bytes = round_down_u64(sizes[i], cfg->sectorsize);
		if (cfg->dev_uuid_set)
			memcpy(d->uuid, cfg->dev_uuid, BTRFS_UUID_SIZE);
		else
			uuid_generate(d->uuid);
		fs->total_bytes += d->total_bytes;
	}
	fs->now = (u64)time(NULL);
	if (cfg->fsid_set)
		memcpy(fs->fsid, cfg->fsid, BTRFS_FSID_SIZE);
	else
		uuid_generate(fs->fsid);
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

/*
 * DAX-DESIGN.md: every device extent and chunk length a multiple of 2 MiB.
 * Rounds the stripe down, never below one alignment unit.
 */
static void chunk_align_stripes(struct mkfs_chunk *c, u64 align)
{
	c->stripe_size = round_down_u64(c->stripe_size, align);
	if (!c->stripe_size)
		c->stripe_size = align;
	c->length = c->stripe_size * mkfs_data_stripes(c->type, c->num_stripes);
}

/* Packs the stripes of one chunk after what each device already holds. */
static int place_chunk(struct mkfs_fs *fs, struct mkfs_chunk *c, u64 *cursor,
		       u64 *next_logical)
{
	const struct mkfs_config *cfg = fs->cfg;
	u64 align = cfg->dax ? MKFS_DAX_ALIGN : BTRFS_STRIPE_LEN;
	bool avoid = cfg->dax && (c->type & BTRFS_BLOCK_GROUP_DATA);
	u32 i;

	if (cfg->dax)
		chunk_align_stripes(c, align);
	for (i = 0; i < c->num_stripes; i++) {
		u32 dev = c->stripes[i].dev;
		u64 phys = place_stripe(round_up_u64(cursor[dev], align),
					c->stripe_size, avoid, align);

		if (phys + c->stripe_size > fs->devs[dev].total_bytes)
			return -ENOSPC;
		c->stripes[i].physical = phys;
		cursor[dev] = phys + c->stripe_size;
	}
	c->logical = c->stripes[0].physical;
	if (c->logical < *next_logical)
		c->logical = *next_logical;
	*next_logical = c->logical + c->length;
	c->alloc_next = c->logical;
	c->used = 0;
	return 0;
}

int mkfs_plan_chunks(struct mkfs_fs *fs, struct mkfs_err *err)
{
	u64 cursor[MKFS_MAX_DEVICES], next_logical = MKFS_RESERVED_START;
	u32 i;
	int ret;

	ret = mkfs_alloc_chunks(fs, err);
	if (ret)
		return ret;
	for (i = 0; i < fs->nr_devs; i++)
		cursor[i] = MKFS_RESERVED_START;
	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		struct mkfs_chunk *c = &fs->chunks[i];

		if (!c->present)
			continue;
		ret = place_chunk(fs, c, cursor, &next_logical);
		if (ret)
			return mkfs_err_set(err, ret,
					    "the devices are too small for the chunks this filesystem needs (%llu bytes in all)",
					    (unsigned long long)fs->total_bytes);
	}
	return 0;
}

const struct mkfs_chunk *mkfs_chunk_of(const struct mkfs_fs *fs, u64 logical)
{
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];

		if (c->present && logical >= c->logical &&
		    logical - c->logical < c->length)
			return c;
	}
	return NULL;
}

u64 mkfs_dev_bytes_used(const struct mkfs_fs *fs, u32 dev)
{
	u64 used = 0;
	u32 s;
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];

		for (s = 0; c->present && s < c->num_stripes; s++)
			if (c->stripes[s].dev == dev)
				used += c->stripe_size;
	}
	return used;
}

u64 mkfs_tree_bytes_used(const struct mkfs_fs *fs)
{
	u64 used = 0;
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++)
		if (fs->chunks[i].present)
			used += fs->chunks[i].used;
	return used;
}

/*
 * The logical range the kernel keeps out of the block group for the
 * superblock copy at 'sb' in stripe s (btrfs_rmap_block()): one 64 KiB
 * stripe, or a whole row of data stripes for RAID5/6.  Returns false when
 * the stripe does not hold that copy.
 */
static bool super_stripe_range(const struct mkfs_chunk *c, u32 s, u64 sb,
			       u64 *start, u64 *len)
{
	u64 phys = c->stripes[s].physical, nr, off, io = BTRFS_STRIPE_LEN;
	const struct mkfs_raid_attr *ra = mkfs_raid_attr(c->type);

	if (sb < phys || sb - phys >= c->stripe_size)
		return false;
	nr = (sb - phys) / BTRFS_STRIPE_LEN;
	off = (sb - phys) % BTRFS_STRIPE_LEN;
	if (c->type & (BTRFS_BLOCK_GROUP_RAID0 | BTRFS_BLOCK_GROUP_RAID10))
		nr = (nr * c->num_stripes + s) / c->sub_stripes;
	if (ra->nparity)
		io = BTRFS_STRIPE_LEN * (c->num_stripes - ra->nparity);
	*start = c->logical + nr * io + off;
	*len = io;
	if (*start + *len > c->logical + c->length)
		*len = c->logical + c->length - *start;
	return true;
}

/*
 * No tree block may overlap a range the kernel excludes for a superblock
 * copy (exclude_super_stripes()).  Returns the end of the excluded range
 * overlapping the block, or 0 when the block is clear.
 */
static u64 super_stripe_end(const struct mkfs_chunk *c, u64 logical, u32 len)
{
	u64 start, slen;
	u32 s;
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		for (s = 0; s < c->num_stripes; s++) {
			if (!super_stripe_range(c, s, btrfs_sb_offset(i),
						&start, &slen))
				continue;
			if (logical < start + slen && start < logical + len)
				return start + slen;
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
