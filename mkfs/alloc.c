// SPDX-License-Identifier: GPL-2.0-only
/*
 * Which chunks a new filesystem gets, how big they are and on which
 * devices their stripes live: the decisions of stock mkfs.btrfs 6.2, so
 * that both programs give the same chunks for the same devices.
 *
 * Stock first builds a filesystem on the first device alone with SINGLE
 * chunks (a 4 MiB system chunk, then metadata and data chunks from its
 * allocator), adds the other devices to the front of its device list, then
 * allocates the chunks of the requested profiles and finally drops the
 * temporary SINGLE chunks they replace.  Its allocator walks the device
 * list from the front, takes every device with enough free bytes, and puts
 * the devices it used back at the front.  All of that decides stripe sizes
 * and devices, so it is replayed here step by step; only the physical
 * offsets are left to layout.c, which packs the final chunks without the
 * holes the temporary ones leave in stock.
 */
#include <errno.h>
#include <string.h>
#include "mkfs/mkfs.h"

static const struct mkfs_raid_attr raid_table[] = {
	/* profile, name, upper, dev_stripes, min, max, sub, copies, parity, tol */
	{ 0, "single", "single", 1, 1, 1, 1, 1, 0, 0 },
	{ BTRFS_BLOCK_GROUP_DUP, "dup", "DUP", 2, 1, 1, 1, 2, 0, 0 },
	{ BTRFS_BLOCK_GROUP_RAID0, "raid0", "RAID0", 1, 1, 0, 1, 1, 0, 0 },
	{ BTRFS_BLOCK_GROUP_RAID1, "raid1", "RAID1", 1, 2, 2, 1, 2, 0, 1 },
	{ BTRFS_BLOCK_GROUP_RAID1C3, "raid1c3", "RAID1C3", 1, 3, 3, 1, 3, 0, 2 },
	{ BTRFS_BLOCK_GROUP_RAID1C4, "raid1c4", "RAID1C4", 1, 4, 4, 1, 4, 0, 3 },
	{ BTRFS_BLOCK_GROUP_RAID10, "raid10", "RAID10", 1, 2, 0, 2, 2, 0, 1 },
	{ BTRFS_BLOCK_GROUP_RAID5, "raid5", "RAID5", 1, 2, 0, 1, 1, 1, 1 },
	{ BTRFS_BLOCK_GROUP_RAID6, "raid6", "RAID6", 1, 3, 0, 1, 1, 2, 2 },
	{ 0, NULL, NULL, 0, 0, 0, 0, 0, 0, 0 },
};

const struct mkfs_raid_attr *mkfs_raid_attrs(void)
{
	return raid_table;
}

const struct mkfs_raid_attr *mkfs_raid_attr(u64 flags)
{
	const struct mkfs_raid_attr *ra;

	flags &= BTRFS_BLOCK_GROUP_PROFILE_MASK;
	for (ra = raid_table + 1; ra->name; ra++)
		if (flags & ra->profile)
			return ra;
	return raid_table;
}

/* Stock's limits on stripes per chunk: what fits a leaf, or the array. */
static u32 max_devs(u32 nodesize)
{
	return (btrfs_leaf_data_size(nodesize) - sizeof(struct btrfs_item) -
		sizeof(struct btrfs_chunk)) / sizeof(struct btrfs_stripe) + 1;
}

static u32 max_devs_sys_chunk(void)
{
	return (BTRFS_SYSTEM_CHUNK_ARRAY_SIZE - 2 * sizeof(struct btrfs_disk_key) -
		2 * sizeof(struct btrfs_chunk)) / sizeof(struct btrfs_stripe) + 1;
}

/* Stock's device list and its picture of each device's allocations. */
struct alloc_sim {
	const struct mkfs_fs *fs;
	u32 order[MKFS_MAX_DEVICES];	/* device indexes, the front first */
	u32 nr;
	u64 used[MKFS_MAX_DEVICES];	/* bytes in device extents */
	u64 total_bytes;		/* the superblock's, at this point */
	u32 num_devices;		/* likewise */
};

/* One allocation request as stock sizes it. */
struct alloc_ctl {
	u64 type;
	const struct mkfs_raid_attr *ra;
	u32 num_stripes;
	u32 min_stripes;
	u32 max_stripes;
	u64 stripe_size;
	u64 min_stripe_size;
	u64 max_chunk_size;
};

u32 mkfs_data_stripes(u64 type, u32 num_stripes)
{
	const struct mkfs_raid_attr *ra = mkfs_raid_attr(type);

	if (ra->profile & BTRFS_BLOCK_GROUP_RAID10)
		return num_stripes / ra->sub_stripes;
	if (ra->nparity)
		return num_stripes - ra->nparity;
	if (ra->ncopies > 1)
		return 1;
	return num_stripes;
}

static u64 ctl_chunk_bytes(const struct alloc_ctl *c)
{
	return c->stripe_size * mkfs_data_stripes(c->type, c->num_stripes);
}

/* Sizes by type, for profiled chunks; SINGLE keeps the generic ones. */
static void ctl_init_sizes(struct alloc_ctl *c, const struct alloc_sim *s)
{
	u32 nodesize = s->fs->cfg->nodesize;

	c->stripe_size = SZ_8M;
	c->min_stripe_size = SZ_1M;
	c->max_chunk_size = 4 * c->stripe_size;
	if (!(c->type & BTRFS_BLOCK_GROUP_PROFILE_MASK)) {
		/* no profile bits: the generic sizes above */
	} else if (c->type & BTRFS_BLOCK_GROUP_SYSTEM) {
		c->max_chunk_size = 2 * c->stripe_size;
		c->max_stripes = max_devs_sys_chunk();
	} else if (c->type & BTRFS_BLOCK_GROUP_DATA) {
		c->stripe_size = SZ_1G;
		c->max_chunk_size = 10 * c->stripe_size;
		c->min_stripe_size = SZ_64M;
		c->max_stripes = max_devs(nodesize);
	} else {
		c->max_chunk_size = s->total_bytes > SZ_50G ? SZ_1G : SZ_256M;
		c->stripe_size = c->max_chunk_size;
		c->min_stripe_size = SZ_32M;
		c->max_stripes = max_devs(nodesize);
	}
	/* Never more than a tenth of the filesystem. */
	if (c->max_chunk_size > s->total_bytes / 10)
		c->max_chunk_size = s->total_bytes / 10;
}

static void ctl_init(struct alloc_ctl *c, u64 type, const struct alloc_sim *s)
{
	const struct mkfs_raid_attr *ra = mkfs_raid_attr(type);
	u64 p = ra->profile;

	memset(c, 0, sizeof(*c));
	c->type = type;
	c->ra = ra;
	c->num_stripes = ra->dev_stripes;
	c->min_stripes = ra->devs_min;
	ctl_init_sizes(c, s);
	if (p & BTRFS_BLOCK_GROUP_DUP) {
		c->min_stripes = 2;
	} else if (p & (BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_RAID1C3 |
			BTRFS_BLOCK_GROUP_RAID1C4)) {
		c->num_stripes = c->min_stripes < s->num_devices ?
				 c->min_stripes : s->num_devices;
	} else if (p) {
		c->num_stripes = c->max_stripes < s->num_devices ?
				 c->max_stripes : s->num_devices;
		if (p & BTRFS_BLOCK_GROUP_RAID10)
			c->num_stripes &= ~1U;
	}
}

static void ctl_decide_stripe_size(struct alloc_ctl *c)
{
	if (ctl_chunk_bytes(c) > c->max_chunk_size) {
		c->stripe_size = c->max_chunk_size / c->num_stripes;
		c->stripe_size -= c->stripe_size % BTRFS_STRIPE_LEN;
	}
	if (c->stripe_size < c->min_stripe_size)
		c->stripe_size = c->min_stripe_size;
	c->stripe_size -= c->stripe_size % BTRFS_STRIPE_LEN;
}

/* Free bytes past the reserved first megabyte, as stock counts them. */
static u64 sim_avail(const struct alloc_sim *s, u32 dev)
{
	u64 total = s->fs->devs[dev].total_bytes;

	if (total <= MKFS_RESERVED_START + s->used[dev])
		return 0;
	return total - MKFS_RESERVED_START - s->used[dev];
}

/* Puts list[0..n) in front of the device list, in that order. */
static void sim_to_front(struct alloc_sim *s, const u32 *list, u32 n)
{
	u32 rest[MKFS_MAX_DEVICES], nrest = 0, i, j;

	for (i = 0; i < s->nr; i++) {
		for (j = 0; j < n && list[j] != s->order[i]; j++)
			;
		if (j == n)
			rest[nrest++] = s->order[i];
	}
	memcpy(s->order, list, n * sizeof(*list));
	memcpy(s->order + n, rest, nrest * sizeof(*rest));
}

/*
 * One walk over the device list: the devices with room for a stripe, most
 * recently picked first (stock moves each to the front of a private list).
 * Returns how many stripes they hold.
 */
static u32 sim_pick(const struct alloc_sim *s, const struct alloc_ctl *c,
		    u32 *picked, u32 *npicked, u64 *max_avail)
{
	bool dup = c->type & BTRFS_BLOCK_GROUP_DUP;
	u64 min_free = dup ? 2 * c->stripe_size : c->stripe_size;
	u32 index = 0, i, n = 0;

	*max_avail = 0;
	for (i = 0; i < s->nr && index < c->num_stripes; i++) {
		u32 dev = s->order[i];
		u64 avail = sim_avail(s, dev);

		if (avail >= min_free) {
			memmove(picked + 1, picked, n * sizeof(*picked));
			picked[0] = dev;
			n++;
			index += dup ? 2 : 1;
		} else if (avail > *max_avail) {
			*max_avail = avail;
		}
	}
	*npicked = n;
	return index;
}

/*
 * Stripe i takes the front of the picked list; each device goes to the
 * front of the device list once its last stripe is placed.
 */
static void sim_create(struct alloc_sim *s, const struct alloc_ctl *c,
		       const u32 *picked, u32 npicked, struct mkfs_chunk *out)
{
	bool dup = c->type & BTRFS_BLOCK_GROUP_DUP;
	u32 i, next = 0;

	memset(out, 0, sizeof(*out));
	out->present = true;
	out->type = c->type;
	out->stripe_size = c->stripe_size;
	out->num_stripes = c->num_stripes;
	out->sub_stripes = c->ra->sub_stripes;
	out->length = ctl_chunk_bytes(c);
	for (i = 0; i < c->num_stripes && next < npicked; i++) {
		u32 dev = picked[next];

		out->stripes[i].dev = dev;
		s->used[dev] += c->stripe_size;
		if (!dup || i == c->num_stripes - 1) {
			sim_to_front(s, &dev, 1);
			next++;
		}
	}
}

/* btrfs_alloc_chunk() of stock btrfs-progs, replayed. */
static int sim_alloc(struct alloc_sim *s, u64 type, struct mkfs_chunk *out)
{
	u32 picked[MKFS_MAX_DEVICES], npicked, index;
	struct alloc_ctl c;
	bool looped = false;
	u64 max_avail;

	ctl_init(&c, type, s);
	if (c.num_stripes < c.min_stripes)
		return -ENOSPC;
	for (;;) {
		ctl_decide_stripe_size(&c);
		index = sim_pick(s, &c, picked, &npicked, &max_avail);
		if (index >= c.num_stripes)
			break;
		/* Not enough devices: stock puts them back in front. */
		sim_to_front(s, picked, npicked);
		if (index >= c.min_stripes) {
			c.num_stripes = index;
			if (c.ra->sub_stripes > 1)
				c.num_stripes -= c.num_stripes % c.ra->sub_stripes;
		} else if (!looped && max_avail > 0) {
			c.stripe_size = (type & BTRFS_BLOCK_GROUP_DUP) ?
					max_avail / 2 : max_avail;
		} else {
			return -ENOSPC;
		}
		looped = true;
	}
	sim_create(s, &c, picked, npicked, out);
	return 0;
}

/*
 * make_btrfs(): the 4 MiB system chunk right after the reserved MiB.  Its
 * item says sub_stripes 0, unlike every allocated chunk.
 */
static void sim_first_system_chunk(struct alloc_sim *s, struct mkfs_chunk *out)
{
	memset(out, 0, sizeof(*out));
	out->present = true;
	out->type = BTRFS_BLOCK_GROUP_SYSTEM;
	out->stripe_size = SZ_4M;
	out->length = SZ_4M;
	out->num_stripes = 1;
	out->sub_stripes = 0;
	out->stripes[0].dev = 0;
	s->used[0] += SZ_4M;
}

static const char *chunk_type_name(u64 type)
{
	if ((type & BTRFS_BLOCK_GROUP_DATA) && (type & BTRFS_BLOCK_GROUP_METADATA))
		return "data/metadata";
	if (type & BTRFS_BLOCK_GROUP_DATA)
		return "data";
	if (type & BTRFS_BLOCK_GROUP_METADATA)
		return "metadata";
	return "system";
}

static int sim_alloc_named(struct alloc_sim *s, u64 type,
			   struct mkfs_chunk *out, struct mkfs_err *err)
{
	int ret = sim_alloc(s, type, out);

	if (ret == -ENOSPC)
		return mkfs_err_set(err, ret,
				    "not enough free space to allocate the %s %s chunk",
				    chunk_type_name(type),
				    mkfs_raid_attr(type)->upper);
	return ret;
}

/* The SINGLE chunks stock makes on the first device before the others. */
static int sim_first_device(struct alloc_sim *s, bool mixed,
			    struct mkfs_chunk tmp[MKFS_NR_CHUNKS],
			    struct mkfs_err *err)
{
	u64 meta = BTRFS_BLOCK_GROUP_METADATA;
	int ret;

	s->nr = 1;
	s->order[0] = 0;
	s->num_devices = 1;
	s->total_bytes = s->fs->devs[0].total_bytes;
	sim_first_system_chunk(s, &tmp[MKFS_CHUNK_SYSTEM]);
	if (mixed)
		meta |= BTRFS_BLOCK_GROUP_DATA;
	ret = sim_alloc_named(s, meta, &tmp[MKFS_CHUNK_METADATA], err);
	if (!ret && !mixed)
		ret = sim_alloc_named(s, BTRFS_BLOCK_GROUP_DATA,
				      &tmp[MKFS_CHUNK_DATA], err);
	return ret;
}

int mkfs_alloc_chunks(struct mkfs_fs *fs, struct mkfs_err *err)
{
	const struct mkfs_config *cfg = fs->cfg;
	struct mkfs_chunk tmp[MKFS_NR_CHUNKS];
	struct mkfs_chunk *chunks = fs->chunks;
	bool mixed = mkfs_config_mixed(cfg);
	struct alloc_sim s;
	u64 meta = BTRFS_BLOCK_GROUP_METADATA | cfg->meta_profile;
	u32 i;
	int ret;

	memset(&s, 0, sizeof(s));
	memset(tmp, 0, sizeof(tmp));
	s.fs = fs;
	ret = sim_first_device(&s, mixed, tmp, err);
	/* btrfs_add_to_fsid() puts each new device at the front. */
	for (i = 1; i < fs->nr_devs; i++) {
		sim_to_front(&s, &i, 1);
		s.nr++;
		s.num_devices++;
		s.total_bytes += fs->devs[i].total_bytes;
	}
	memcpy(chunks, tmp, sizeof(tmp));
	if (!ret && cfg->meta_profile) {
		ret = sim_alloc_named(&s, BTRFS_BLOCK_GROUP_SYSTEM |
				      cfg->meta_profile,
				      &chunks[MKFS_CHUNK_SYSTEM], err);
		if (mixed)
			meta |= BTRFS_BLOCK_GROUP_DATA;
		if (!ret)
			ret = sim_alloc_named(&s, meta,
					      &chunks[MKFS_CHUNK_METADATA], err);
	}
	if (!ret && !mixed && cfg->data_profile)
		ret = sim_alloc_named(&s, BTRFS_BLOCK_GROUP_DATA |
				      cfg->data_profile,
				      &chunks[MKFS_CHUNK_DATA], err);
	return ret;
}
