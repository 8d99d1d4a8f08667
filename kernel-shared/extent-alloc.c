// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tree block allocation and the delayed references that record it.
 *
 * Allocating or freeing a tree block only changes memory: the block's range
 * leaves (or, after the commit, rejoins) its block group's free ranges, and
 * a reference change is queued.  The commit runs the queue: it inserts or
 * deletes the block's extent item, moves the range in the free space tree
 * and adjusts the block group's usage.  Those tree updates allocate and free
 * blocks too, which queues more references; the commit runs the queue again
 * until it stays empty.
 *
 * A block allocated and freed before its reference ran was never visible to
 * anyone: both changes cancel and the range is free again at once.  A block
 * of the committed trees, once freed, is pinned: it must keep its contents
 * until the commit that stops referencing it is on disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/transaction.h"

/* Blocks kept free for the commit beyond one per block changed. */
#define BTRFS_COMMIT_RESERVE_BLOCKS 64

/* ---- u64 -> pointer hash map ---- */

static u32 map_hash(u64 key, u32 cap)
{
	return (u32)((key * 0x9E3779B97F4A7C15ULL) >> 32) & (cap - 1);
}

static int map_grow(struct u64_map *map)
{
	struct u64_map bigger = { 0 };
	u32 i;

	bigger.cap = map->cap ? map->cap * 2 : 64;
	bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
	bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -ENOMEM;
	}
	for (i = 0; i < map->cap; i++)
		if (map->vals[i])
			u64_map_put(&bigger, map->keys[i], map->vals[i]);
	free(map->keys);
	free(map->vals);
	*map = bigger;
	return 0;
}

int u64_map_put(struct u64_map *map, u64 key, void *val)
{
	u32 i;

	if ((map->count + 1) * 2 > map->cap) {
		int ret = map_grow(map);

		if (ret)
			return ret;
	}
	for (i = map_hash(key, map->cap); map->vals[i];
	     i = (i + 1) & (map->cap - 1)) {
		if (map->keys[i] == key) {
			map->vals[i] = val;
			return 0;
		}
	}
	map->keys[i] = key;
	map->vals[i] = val;
	map->count++;
	return 0;
}

static int map_find(const struct u64_map *map, u64 key)
{
	u32 i;

	if (!map->cap)
		return -1;
	for (i = map_hash(key, map->cap); map->vals[i];
	     i = (i + 1) & (map->cap - 1))
		if (map->keys[i] == key)
			return (int)i;
	return -1;
}

void *u64_map_get(const struct u64_map *map, u64 key)
{
	int i = map_find(map, key);

	return i < 0 ? NULL : map->vals[i];
}

/* Linear probing: pull later entries of the cluster back over the hole. */
void *u64_map_del(struct u64_map *map, u64 key)
{
	int found = map_find(map, key);
	u32 hole, j, mask = map->cap - 1;
	void *val;

	if (found < 0)
		return NULL;
	val = map->vals[found];
	hole = (u32)found;
	map->vals[hole] = NULL;
	map->count--;
	for (j = (hole + 1) & mask; map->vals[j]; j = (j + 1) & mask) {
		u32 home = map_hash(map->keys[j], map->cap);

		/* Move j into the hole unless its home lies in (hole, j]. */
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			map->keys[hole] = map->keys[j];
			map->vals[hole] = map->vals[j];
			map->vals[j] = NULL;
			hole = j;
		}
	}
	return val;
}

void u64_map_free(struct u64_map *map)
{
	free(map->keys);
	free(map->vals);
	memset(map, 0, sizeof(*map));
}

int u64_map_values(const struct u64_map *map, void ***ret, u32 *nr)
{
	void **vals = malloc(((size_t)map->count + 1) * sizeof(*vals));
	u32 i, n = 0;

	if (!vals)
		return -ENOMEM;
	for (i = 0; i < map->cap; i++)
		if (map->vals[i])
			vals[n++] = map->vals[i];
	*ret = vals;
	*nr = n;
	return 0;
}

/* ---- range sets ---- */

/* Index of the first range ending after 'pos'. */
static u32 range_find(const struct range_set *set, u64 pos)
{
	u32 lo = 0, hi = set->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (set->r[mid].end <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int range_insert_at(struct range_set *set, u32 i, u64 start, u64 end)
{
	if (set->nr == set->alloc) {
		u32 n = set->alloc ? set->alloc * 2 : 16;
		struct range *r = realloc(set->r, n * sizeof(*r));

		if (!r)
			return -ENOMEM;
		set->r = r;
		set->alloc = n;
	}
	memmove(&set->r[i + 1], &set->r[i], (set->nr - i) * sizeof(*set->r));
	set->r[i].start = start;
	set->r[i].end = end;
	set->nr++;
	return 0;
}

static void range_delete_at(struct range_set *set, u32 i)
{
	memmove(&set->r[i], &set->r[i + 1], (set->nr - i - 1) * sizeof(*set->r));
	set->nr--;
}

bool range_set_overlaps(const struct range_set *set, u64 start, u64 len)
{
	u32 i = range_find(set, start);

	return i < set->nr && set->r[i].start < start + len;
}

bool range_set_contains(const struct range_set *set, u64 start, u64 len)
{
	u32 i = range_find(set, start);

	return i < set->nr && set->r[i].start <= start &&
	       set->r[i].end >= start + len;
}

int range_set_add(struct range_set *set, u64 start, u64 len)
{
	u64 end = start + len;
	u32 i;

	if (!len)
		return 0;
	if (range_set_overlaps(set, start, len))
		return -EEXIST;
	/* Ranges ending exactly at start sort before i; merge with them. */
	i = range_find(set, start);
	if (i > 0 && set->r[i - 1].end == start) {
		set->r[i - 1].end = end;
		if (i < set->nr && set->r[i].start == end) {
			set->r[i - 1].end = set->r[i].end;
			range_delete_at(set, i);
		}
		return 0;
	}
	if (i < set->nr && set->r[i].start == end) {
		set->r[i].start = start;
		return 0;
	}
	return range_insert_at(set, i, start, end);
}

int range_set_remove(struct range_set *set, u64 start, u64 len)
{
	u64 end = start + len;
	u32 i = range_find(set, start);
	struct range *r;

	if (!range_set_contains(set, start, len))
		return -ENOENT;
	r = &set->r[i];
	if (r->start == start && r->end == end) {
		range_delete_at(set, i);
	} else if (r->start == start) {
		r->start = end;
	} else if (r->end == end) {
		r->end = start;
	} else {
		u64 old_end = r->end;

		r->end = start;
		return range_insert_at(set, i + 1, end, old_end);
	}
	return 0;
}

u64 range_set_bytes(const struct range_set *set)
{
	u64 sum = 0;
	u32 i;

	for (i = 0; i < set->nr; i++)
		sum += set->r[i].end - set->r[i].start;
	return sum;
}

void range_set_free(struct range_set *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

/* ---- allocation ---- */

bool btrfs_block_is_new(const struct btrfs_trans_handle *trans,
			const struct extent_buffer *eb)
{
	return u64_map_get(&trans->dirty, eb->start) == eb;
}

/*
 * As the kernel does, keep the 64 KiB stripe that holds a superblock copy
 * on any copy of the block (and everything below the primary) out of use.
 */
static bool block_near_super(const struct btrfs_fs_info *fs_info, u64 logical,
			     u32 len)
{
	const struct chunk_map *map = chunk_map_lookup(fs_info, logical);
	int copies, mirror, i;

	if (!map || logical < BTRFS_SUPER_INFO_OFFSET)
		return true;
	copies = chunk_map_num_copies(map);
	for (mirror = 0; mirror < copies; mirror++) {
		struct btrfs_io_copy copy;
		u64 contig;

		if (chunk_map_locate(map, logical, mirror, &copy, &contig))
			return true;
		for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
			u64 sb = btrfs_sb_offset(i);

			if (copy.physical < sb + BTRFS_STRIPE_LEN &&
			    copy.physical + len > sb)
				return true;
		}
	}
	return false;
}

static u64 round_up_to(u64 v, u64 align)
{
	return (v + align - 1) & ~(align - 1);
}

/* First fit in one block group: sector aligned, within one stripe. */
static bool bg_find_block(const struct btrfs_fs_info *fs_info,
			  const struct btrfs_bg *bg, u64 *ret)
{
	u32 nodesize = fs_info->sb.nodesize;
	u32 i;

	for (i = 0; i < bg->free.nr; i++) {
		u64 cand = round_up_to(bg->free.r[i].start, fs_info->sb.sectorsize);

		while (cand + nodesize <= bg->free.r[i].end) {
			if (cand / BTRFS_STRIPE_LEN !=
			    (cand + nodesize - 1) / BTRFS_STRIPE_LEN ||
			    block_near_super(fs_info, cand, nodesize)) {
				cand = round_up_to(cand + 1, BTRFS_STRIPE_LEN);
				continue;
			}
			*ret = cand;
			return true;
		}
	}
	return false;
}

static bool bg_allocatable(const struct btrfs_bg *bg)
{
	return bg->metadata && !(bg->flags & BTRFS_BLOCK_GROUP_SYSTEM);
}

/*
 * Running the refs at commit copies extent tree leaves of about as many
 * blocks as the transaction allocated and freed; keep that much free.
 */
static bool reserve_ok(struct btrfs_trans_handle *trans)
{
	const struct btrfs_fs_rw *rw = trans->rw;
	u64 want, have = 0;
	u32 i;

	if (trans->committing)
		return true;
	/* One queued extent change per new block, freed block, data extent. */
	want = (u64)trans->fs_info->sb.nodesize *
	       (BTRFS_COMMIT_RESERVE_BLOCKS + trans->refs.count +
		trans->pinned.nr);
	for (i = 0; i < rw->nr_bgs && have <= want; i++)
		if (bg_allocatable(&rw->bgs[i]))
			have += range_set_bytes(&rw->bgs[i].free);
	return have > want;
}

static bool find_block(struct btrfs_trans_handle *trans, bool system,
		       u64 *ret)
{
	struct btrfs_fs_rw *rw = trans->rw;
	u32 i;

	for (i = 0; i < rw->nr_bgs; i++) {
		const struct btrfs_bg *bg = &rw->bgs[i];
		bool ok = system ? (bg->flags & BTRFS_BLOCK_GROUP_SYSTEM) :
				   bg_allocatable(bg);

		if (ok && bg_find_block(trans->fs_info, bg, ret))
			return true;
	}
	return false;
}

/*
 * Chunk tree blocks come from system block groups, all others from
 * metadata ones; a metadata chunk is allocated when those are full.
 */
static int alloc_range(struct btrfs_trans_handle *trans, bool system,
		       u64 *ret)
{
	u32 nodesize = trans->fs_info->sb.nodesize;
	int tries, err = 0;

	for (tries = 0; tries < 2 && !err; tries++) {
		if ((system || reserve_ok(trans)) &&
		    find_block(trans, system, ret))
			return range_set_remove(&btrfs_bg_lookup(trans->rw, *ret)->free,
						*ret, nodesize);
		if (system || tries)
			break;
		err = btrfs_chunk_alloc(trans);
	}
	if (err && err != -ENOSPC)
		return err;
	btrfs_err_set(trans->fs_info, system ?
		      "no free space for a chunk tree block in the system block groups" :
		      "metadata is full and no chunk can be allocated");
	return -ENOSPC;
}

static void header_init(struct btrfs_trans_handle *trans,
			struct extent_buffer *eb, u64 owner, int level)
{
	const struct btrfs_sb_info *sb = &trans->fs_info->sb;
	struct btrfs_header *h = eb_header(eb);

	memset(eb->data, 0, eb->len);
	memcpy(h->fsid, sb->metadata_uuid, BTRFS_FSID_SIZE);
	memcpy(h->chunk_tree_uuid, sb->chunk_tree_uuid, BTRFS_UUID_SIZE);
	btrfs_set_header_bytenr(h, eb->start);
	btrfs_set_header_flags(h, BTRFS_HEADER_FLAG_WRITTEN |
			       ((u64)BTRFS_MIXED_BACKREF_REV << BTRFS_BACKREF_REV_SHIFT));
	btrfs_set_header_generation(h, trans->transid);
	btrfs_set_header_owner(h, owner);
	btrfs_set_header_level(h, (u8)level);
}

static void root_used_add(struct btrfs_trans_root *root, s64 delta)
{
	if (root->has_item)
		btrfs_set_root_bytes_used(&root->item,
			btrfs_root_bytes_used(&root->item) + (u64)delta);
}

int btrfs_alloc_tree_block(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *root, int level,
			   const struct btrfs_key *first_key,
			   struct extent_buffer **ret)
{
	u32 nodesize = trans->fs_info->sb.nodesize;
	struct extent_buffer *eb;
	u64 bytenr;
	int err;

	err = alloc_range(trans,
			  root->root.objectid == BTRFS_CHUNK_TREE_OBJECTID,
			  &bytenr);
	if (err)
		return err;
	eb = calloc(1, sizeof(*eb) + nodesize);
	if (!eb) {
		err = -ENOMEM;
		goto out_unalloc;
	}
	eb->start = bytenr;
	eb->len = nodesize;
	eb->refs = 1;
	header_init(trans, eb, root->root.objectid, level);
	err = btrfs_queue_new_block(trans, bytenr, root->root.objectid, level,
				    first_key);
	if (err)
		goto out_free;
	err = u64_map_put(&trans->dirty, bytenr, eb);
	if (err) {
		btrfs_unqueue_new_block(trans, bytenr, root->root.objectid);
		goto out_free;
	}
	root_used_add(root, nodesize);
	*ret = extent_buffer_get(eb);
	return 0;
out_free:
	free(eb);
out_unalloc:
	range_set_add(&btrfs_bg_lookup(trans->rw, bytenr)->free, bytenr,
		      nodesize);
	return err;
}

int btrfs_free_tree_block(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  const struct extent_buffer *eb)
{
	u32 nodesize = trans->fs_info->sb.nodesize;
	struct extent_buffer *mine = u64_map_get(&trans->dirty, eb->start);
	struct btrfs_bg *bg = btrfs_bg_lookup(trans->rw, eb->start);

	if (!bg)
		return -EUCLEAN;
	root_used_add(root, -(s64)nodesize);
	if (mine) {
		u64_map_del(&trans->dirty, eb->start);
		extent_buffer_put(mine);
		/* Never visible to anyone: free again at once. */
		if (btrfs_unqueue_new_block(trans, eb->start,
					    root->root.objectid))
			return range_set_add(&bg->free, eb->start, nodesize);
	}
	/* Pinned when the reference runs, if it was the last one. */
	return btrfs_queue_tree_ref(trans, eb->start, eb_level(eb),
				    BTRFS_TREE_BLOCK_REF_KEY,
				    root->root.objectid, -1);
}

static int bg_item_write(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root, struct btrfs_bg *bg)
{
	struct btrfs_key key = { bg->start, BTRFS_BLOCK_GROUP_ITEM_KEY,
				 bg->length };
	struct btrfs_block_group_item *item;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot_rw(trans, root, &key, &path, 0, true);
	if (ret == 0 && eb_item_size(path.nodes[0], path.slots[0]) !=
			sizeof(*item))
		ret = 1;
	if (ret == 0) {
		item = eb_item_ptr_type(path.nodes[0], path.slots[0],
					struct btrfs_block_group_item);
		btrfs_set_block_group_used(item, bg->used);
		bg->dirty = false;
	} else if (ret > 0) {
		btrfs_err_set(trans->fs_info,
			      "block group item %llu is missing or invalid",
			      (unsigned long long)bg->start);
		ret = -EUCLEAN;
	}
	btrfs_path_release(&path);
	return ret;
}

int btrfs_write_dirty_bgs(struct btrfs_trans_handle *trans, bool *changed)
{
	struct btrfs_fs_rw *rw = trans->rw;
	struct btrfs_trans_root *root;
	u64 id = BTRFS_EXTENT_TREE_OBJECTID;
	u32 i;
	int ret;

	*changed = false;
	if (trans->fs_info->sb.compat_ro_flags &
	    BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE)
		id = BTRFS_BLOCK_GROUP_TREE_OBJECTID;
	ret = btrfs_trans_get_root(trans, id, &root);
	if (ret)
		return ret;
	for (i = 0; i < rw->nr_bgs; i++) {
		if (!rw->bgs[i].dirty || rw->bgs[i].pending)
			continue;
		ret = bg_item_write(trans, root, &rw->bgs[i]);
		if (ret)
			return ret;
		*changed = true;
	}
	return 0;
}

/* ---- chunk allocation ---- */

/* The kernel's chunk sizing (volumes.c, space-info.c). */
#define DEV_RESERVED_START	(1ULL << 20)	/* never allocated */
#define DAX_CHUNK_ALIGN		(2ULL << 20)	/* DAX-DESIGN.md */
#define CHUNK_SIZE_ROUND	(16ULL << 20)
#define META_CHUNK_MAX		(256ULL << 20)
#define META_CHUNK_MAX_BIG	(1ULL << 30)	/* above BIG_FS */
#define BIG_FS			(50ULL << 30)
#define STRIPE_SIZE_MAX		(1ULL << 30)

/* The kernel's btrfs_raid_array, for the profiles written here. */
struct raid_info {
	u64 profile;
	u8 dev_stripes;
	u8 devs_min;
	u8 devs_max;		/* 0: any number */
	u8 devs_increment;
	u8 ncopies;
	u8 sub_stripes;
};

static const struct raid_info raid_infos[] = {
	{ 0,				1, 1, 1, 1, 1, 1 },
	{ BTRFS_BLOCK_GROUP_DUP,	2, 1, 1, 1, 2, 1 },
	{ BTRFS_BLOCK_GROUP_RAID0,	1, 1, 0, 1, 1, 1 },
	{ BTRFS_BLOCK_GROUP_RAID1,	1, 2, 2, 2, 2, 1 },
	{ BTRFS_BLOCK_GROUP_RAID1C3,	1, 3, 3, 3, 3, 1 },
	{ BTRFS_BLOCK_GROUP_RAID1C4,	1, 4, 4, 4, 4, 1 },
	{ BTRFS_BLOCK_GROUP_RAID10,	1, 2, 0, 2, 2, 2 },
};

static const struct raid_info *raid_info_of(u64 type)
{
	u64 profile = type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	size_t i;

	for (i = 0; i < sizeof(raid_infos) / sizeof(raid_infos[0]); i++)
		if (raid_infos[i].profile == profile)
			return &raid_infos[i];
	return NULL;
}

struct dev_hole {
	struct btrfs_rw_device *d;
	u64 offset;
	u64 avail;
};

/* The first hole of 'want' bytes past the first MiB, else the largest. */
static void dev_find_hole(struct btrfs_rw_device *d, u64 want, u64 align,
			  struct dev_hole *h)
{
	u64 end = d->dev->total_bytes, cur = round_up_to(DEV_RESERVED_START, align);
	u32 i;

	h->d = d;
	h->offset = h->avail = 0;
	for (i = 0; i <= d->alloc.nr && cur < end; i++) {
		u64 stop = i < d->alloc.nr ? d->alloc.r[i].start : end;

		if (stop > end)
			stop = end;
		if (stop > cur && stop - cur >= want) {
			h->offset = cur;
			h->avail = want;
			return;
		}
		if (stop > cur && stop - cur > h->avail) {
			h->offset = cur;
			h->avail = stop - cur;
		}
		if (i < d->alloc.nr && d->alloc.r[i].end > cur)
			cur = round_up_to(d->alloc.r[i].end, align);
	}
}

static int hole_cmp(const void *a, const void *b)
{
	const struct dev_hole *x = a, *y = b;

	return x->avail > y->avail ? -1 : x->avail < y->avail;
}

/* The layout of a new chunk, decided the way the kernel does. */
struct chunk_plan {
	u64 type;
	const struct raid_info *ri;
	struct dev_hole holes[BTRFS_MAX_MIRRORS * 8];
	u32 ndevs;
	u64 stripe_size;
	u64 length;
	u64 logical;
};

static bool fs_dax_layout(const struct btrfs_fs_info *fs_info)
{
	return fs_info->sb.compat_flags & BTRFS_FEATURE_COMPAT_DAX_LAYOUT;
}

static int plan_devices(struct btrfs_fs_rw *rw, struct chunk_plan *plan)
{
	const struct raid_info *ri = plan->ri;
	u64 align = fs_dax_layout(rw->fs_info) ? DAX_CHUNK_ALIGN : BTRFS_STRIPE_LEN;
	u64 max_stripe = rw->fs_info->sb.total_bytes > BIG_FS ?
			 META_CHUNK_MAX_BIG : META_CHUNK_MAX;
	u32 i, n = 0;

	for (i = 0; i < rw->nr_devs && n < sizeof(plan->holes) /
					  sizeof(plan->holes[0]); i++) {
		dev_find_hole(&rw->devs[i], max_stripe * ri->dev_stripes, align,
			      &plan->holes[n]);
		if (plan->holes[n].avail >= BTRFS_STRIPE_LEN * ri->dev_stripes)
			n++;
	}
	qsort(plan->holes, n, sizeof(plan->holes[0]), hole_cmp);
	n -= n % ri->devs_increment;
	if (ri->devs_max && n > ri->devs_max)
		n = ri->devs_max;
	if (n < ri->devs_min)
		return -ENOSPC;
	plan->ndevs = n;
	return 0;
}

static int plan_size(struct btrfs_fs_rw *rw, struct chunk_plan *plan)
{
	const struct btrfs_fs_info *fs_info = rw->fs_info;
	const struct raid_info *ri = plan->ri;
	u64 align = fs_dax_layout(fs_info) ? DAX_CHUNK_ALIGN : BTRFS_STRIPE_LEN;
	u64 max_chunk = fs_info->sb.total_bytes > BIG_FS ?
			META_CHUNK_MAX_BIG : META_CHUNK_MAX;
	u32 data_stripes = plan->ndevs * ri->dev_stripes / ri->ncopies;
	const struct chunk_map *last = fs_info->chunks[fs_info->nr_chunks - 1];
	u64 stripe;

	if (max_chunk > fs_info->sb.total_bytes / 10)
		max_chunk = fs_info->sb.total_bytes / 10;
	stripe = plan->holes[plan->ndevs - 1].avail / ri->dev_stripes;
	if (stripe * data_stripes > max_chunk &&
	    round_up_to(max_chunk / data_stripes, CHUNK_SIZE_ROUND) < stripe)
		stripe = round_up_to(max_chunk / data_stripes, CHUNK_SIZE_ROUND);
	if (stripe > STRIPE_SIZE_MAX)
		stripe = STRIPE_SIZE_MAX;
	stripe &= ~(align - 1);
	if (stripe < 4ULL * fs_info->sb.nodesize || stripe < align)
		return -ENOSPC;
	plan->stripe_size = stripe;
	plan->length = stripe * data_stripes;
	plan->logical = round_up_to(last->logical + last->length,
				    fs_dax_layout(fs_info) ? DAX_CHUNK_ALIGN : 1);
	return 0;
}

static struct btrfs_chunk *chunk_item_build(const struct btrfs_fs_info *fs_info,
					    const struct chunk_plan *plan,
					    u32 *size)
{
	const struct raid_info *ri = plan->ri;
	u32 nstripes = plan->ndevs * ri->dev_stripes, i, s;
	struct btrfs_chunk *c;

	*size = btrfs_chunk_item_size(nstripes);
	c = calloc(1, *size);
	if (!c)
		return NULL;
	btrfs_set_chunk_length(c, plan->length);
	btrfs_set_chunk_owner(c, BTRFS_EXTENT_TREE_OBJECTID);
	btrfs_set_chunk_stripe_len(c, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_type(c, plan->type);
	btrfs_set_chunk_io_align(c, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_io_width(c, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_sector_size(c, fs_info->sb.sectorsize);
	btrfs_set_chunk_num_stripes(c, (u16)nstripes);
	btrfs_set_chunk_sub_stripes(c, ri->sub_stripes);
	for (i = 0; i < plan->ndevs; i++) {
		const struct btrfs_device *dev = plan->holes[i].d->dev;

		for (s = 0; s < ri->dev_stripes; s++) {
			struct btrfs_stripe *st =
				btrfs_chunk_stripe(c, (int)(i * ri->dev_stripes + s));

			btrfs_set_stripe_devid(st, dev->devid);
			btrfs_set_stripe_offset(st, plan->holes[i].offset +
					       s * plan->stripe_size);
			memcpy(st->dev_uuid, dev->uuid, BTRFS_UUID_SIZE);
		}
	}
	return c;
}

static struct btrfs_rw_device *rw_device(struct btrfs_fs_rw *rw, u64 devid)
{
	u32 i;

	for (i = 0; i < rw->nr_devs; i++)
		if (rw->devs[i].dev->devid == devid)
			return &rw->devs[i];
	return NULL;
}

/* Claims (or with add false, gives back) the chunk's device extents. */
static void chunk_claim(struct btrfs_fs_rw *rw, const struct btrfs_new_chunk *nc,
			bool add)
{
	u16 i, n = btrfs_chunk_num_stripes(nc->item);

	for (i = 0; i < n; i++) {
		struct btrfs_stripe *st = btrfs_chunk_stripe(nc->item, i);
		struct btrfs_rw_device *d = rw_device(rw, btrfs_stripe_devid(st));
		u64 used = btrfs_device_bytes_used(&d->dev_item);

		/* Only memory can fail here; an abort undoes what was done. */
		if (add)
			range_set_add(&d->alloc, btrfs_stripe_offset(st),
				      nc->stripe_size);
		else
			range_set_remove(&d->alloc, btrfs_stripe_offset(st),
					 nc->stripe_size);
		btrfs_set_device_bytes_used(&d->dev_item, add ?
			used + nc->stripe_size : used - nc->stripe_size);
	}
}

/* Makes the chunk usable now: its map, its device extents, its group. */
static int chunk_register(struct btrfs_trans_handle *trans,
			  struct btrfs_new_chunk *nc, u64 type)
{
	struct btrfs_fs_rw *rw = trans->rw;
	struct range_set space = { 0 };
	struct chunk_map *map;
	struct btrfs_bg *bg;
	int ret;

	/* The reader's own decoder checks what we are about to write. */
	ret = chunk_map_from_item(rw->fs_info, nc->logical, nc->item,
				  nc->item_size, &map);
	if (ret)
		return ret;
	ret = range_set_add(&space, nc->logical, map->length);
	if (!ret)
		ret = chunk_map_insert(rw->fs_info, map);
	if (ret) {
		free(map);
		range_set_free(&space);
		return ret == -EEXIST ? -EUCLEAN : ret;
	}
	trans->nr_chunks++;
	bg = &rw->bgs[rw->nr_bgs++];
	memset(bg, 0, sizeof(*bg));
	bg->start = nc->logical;
	bg->length = map->length;
	bg->flags = type;
	bg->metadata = true;
	bg->pending = true;
	bg->free = space;
	fst_set_thresholds(bg, rw->fs_info->sb.sectorsize);
	chunk_claim(rw, nc, true);
	return 0;
}

static const struct btrfs_bg *metadata_bg(const struct btrfs_fs_rw *rw)
{
	u32 i;

	for (i = 0; i < rw->nr_bgs; i++)
		if (bg_allocatable(&rw->bgs[i]))
			return &rw->bgs[i];
	return NULL;
}

int btrfs_chunk_alloc(struct btrfs_trans_handle *trans)
{
	struct btrfs_fs_rw *rw = trans->rw;
	const struct btrfs_bg *model = metadata_bg(rw);
	struct btrfs_new_chunk *nc;
	struct chunk_plan plan = { 0 };
	int ret;

	if (!model || rw->nr_bgs >= rw->alloc_bgs)
		return -ENOSPC;
	plan.type = model->flags;
	plan.ri = raid_info_of(plan.type);
	if (!plan.ri)
		return -EOPNOTSUPP;
	ret = plan_devices(rw, &plan);
	if (!ret)
		ret = plan_size(rw, &plan);
	if (ret)
		return ret;
	nc = realloc(trans->chunks, (trans->nr_chunks + 1) * sizeof(*nc));
	if (!nc)
		return -ENOMEM;
	trans->chunks = nc;
	nc = &trans->chunks[trans->nr_chunks];
	memset(nc, 0, sizeof(*nc));
	nc->logical = plan.logical;
	nc->stripe_size = plan.stripe_size;
	nc->item = chunk_item_build(rw->fs_info, &plan, &nc->item_size);
	if (!nc->item)
		return -ENOMEM;
	ret = chunk_register(trans, nc, plan.type);
	if (ret)
		free(nc->item);
	return ret;
}

/* ---- the items of new chunks ---- */

static int dev_extent_insert(struct btrfs_trans_handle *trans,
			     struct btrfs_trans_root *dev_root,
			     const struct btrfs_stripe *st, u64 logical,
			     u64 length)
{
	struct btrfs_key key = { btrfs_stripe_devid(st), BTRFS_DEV_EXTENT_KEY,
				 btrfs_stripe_offset(st) };
	struct btrfs_dev_extent de;

	memset(&de, 0, sizeof(de));
	btrfs_set_dev_extent_chunk_tree(&de, BTRFS_CHUNK_TREE_OBJECTID);
	btrfs_set_dev_extent_chunk_objectid(&de, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	btrfs_set_dev_extent_chunk_offset(&de, logical);
	btrfs_set_dev_extent_length(&de, length);
	memcpy(de.chunk_tree_uuid, trans->fs_info->sb.chunk_tree_uuid,
	       BTRFS_UUID_SIZE);
	return btrfs_insert_item(trans, dev_root, &key, &de, sizeof(de));
}

/* The device item's bytes_used follows the device extents. */
static int dev_item_update(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *chunk_root, u64 devid)
{
	struct btrfs_key key = { BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY,
				 devid };
	struct btrfs_rw_device *d = rw_device(trans->rw, devid);
	struct btrfs_dev_item item;
	u32 size = sizeof(item);
	int ret;

	ret = btrfs_lookup_item_rw(trans, chunk_root, &key, &item, &size);
	if (ret || size != sizeof(item) || !d) {
		btrfs_err_set(trans->fs_info, "device item %llu is missing",
			      (unsigned long long)devid);
		return ret && ret != -ENOENT ? ret : -EUCLEAN;
	}
	btrfs_set_device_bytes_used(&item, btrfs_device_bytes_used(&d->dev_item));
	return btrfs_update_item(trans, chunk_root, &key, &item, size);
}

static int chunk_tree_items(struct btrfs_trans_handle *trans, u32 idx)
{
	struct btrfs_new_chunk nc = trans->chunks[idx];
	struct btrfs_key key = { BTRFS_FIRST_CHUNK_TREE_OBJECTID,
				 BTRFS_CHUNK_ITEM_KEY, nc.logical };
	struct btrfs_trans_root *chunk_root, *dev_root;
	u16 i, n = btrfs_chunk_num_stripes(nc.item);
	int ret;

	ret = btrfs_trans_get_root(trans, BTRFS_CHUNK_TREE_OBJECTID, &chunk_root);
	if (!ret)
		ret = btrfs_trans_get_root(trans, BTRFS_DEV_TREE_OBJECTID,
					   &dev_root);
	if (!ret)
		ret = btrfs_insert_item(trans, chunk_root, &key, nc.item,
					nc.item_size);
	for (i = 0; i < n && !ret; i++)
		ret = dev_extent_insert(trans, dev_root,
					btrfs_chunk_stripe(nc.item, i),
					nc.logical, nc.stripe_size);
	for (i = 0; i < n && !ret; i++) {
		u64 devid = btrfs_stripe_devid(btrfs_chunk_stripe(nc.item, i));

		if (i == 0 || devid != btrfs_stripe_devid(
				btrfs_chunk_stripe(nc.item, i - 1)))
			ret = dev_item_update(trans, chunk_root, devid);
	}
	return ret;
}

static int chunk_group_items(struct btrfs_trans_handle *trans, u64 logical)
{
	struct btrfs_bg *bg = btrfs_bg_lookup(trans->rw, logical);
	struct btrfs_key key = { logical, BTRFS_BLOCK_GROUP_ITEM_KEY, 0 };
	struct btrfs_free_space_info info;
	struct btrfs_block_group_item item;
	struct btrfs_trans_root *root, *fst;
	u64 id = BTRFS_EXTENT_TREE_OBJECTID;
	int ret;

	if (trans->fs_info->sb.compat_ro_flags &
	    BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE)
		id = BTRFS_BLOCK_GROUP_TREE_OBJECTID;
	ret = btrfs_trans_get_root(trans, id, &root);
	if (!ret)
		ret = btrfs_trans_get_root(trans, BTRFS_FREE_SPACE_TREE_OBJECTID,
					   &fst);
	if (ret)
		return ret;
	key.offset = bg->length;
	btrfs_set_block_group_used(&item, bg->used);
	btrfs_set_block_group_chunk_objectid(&item,
					     BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	btrfs_set_block_group_flags(&item, bg->flags);
	ret = btrfs_insert_item(trans, root, &key, &item, sizeof(item));
	btrfs_set_free_space_extent_count(&info, 1);
	btrfs_set_free_space_flags(&info, 0);
	key.type = BTRFS_FREE_SPACE_INFO_KEY;
	if (!ret)
		ret = btrfs_insert_item(trans, fst, &key, &info, sizeof(info));
	key.type = BTRFS_FREE_SPACE_EXTENT_KEY;
	if (!ret)
		ret = btrfs_insert_item(trans, fst, &key, NULL, 0);
	return ret;
}

int btrfs_create_pending_chunks(struct btrfs_trans_handle *trans)
{
	u32 i;
	int ret;

	/* Inserting may allocate further chunks, appended to the list. */
	for (i = 0; i < trans->nr_chunks; i++) {
		u64 logical = trans->chunks[i].logical;

		if (trans->chunks[i].created)
			continue;
		trans->chunks[i].created = true;
		ret = chunk_tree_items(trans, i);
		if (!ret)
			ret = chunk_group_items(trans, logical);
		if (ret)
			return ret;
		btrfs_bg_lookup(trans->rw, logical)->pending = false;
	}
	return 0;
}

void btrfs_chunks_abort(struct btrfs_trans_handle *trans)
{
	struct btrfs_fs_rw *rw = trans->rw;
	u32 i;

	for (i = trans->nr_chunks; i-- > 0;) {
		struct btrfs_new_chunk *nc = &trans->chunks[i];

		chunk_claim(rw, nc, false);
		chunk_map_remove(rw->fs_info, nc->logical);
		range_set_free(&rw->bgs[rw->nr_bgs - 1].free);
		rw->nr_bgs--;
		free(nc->item);
	}
	for (i = 0; i < rw->nr_devs; i++)
		rw->devs[i].dev_item = rw->devs[i].dev_item_committed;
	free(trans->chunks);
	trans->chunks = NULL;
	trans->nr_chunks = 0;
}

static int dev_extent_load(struct btrfs_fs_rw *rw,
			   const struct extent_buffer *leaf, int slot)
{
	const struct btrfs_dev_extent *de = eb_item_ptr(leaf, slot);
	struct btrfs_rw_device *d;
	struct btrfs_key key;
	u64 len;

	eb_item_key(leaf, &key, slot);
	if (key.type != BTRFS_DEV_EXTENT_KEY)
		return 0;
	d = rw_device(rw, key.objectid);
	if (!d || eb_item_size(leaf, slot) != sizeof(*de))
		return -EUCLEAN;
	len = btrfs_dev_extent_length(de);
	if (key.offset + len > d->dev->total_bytes || key.offset + len < len)
		return -EUCLEAN;
	return range_set_add(&d->alloc, key.offset, len) == -EEXIST ?
	       -EUCLEAN : 0;
}

int btrfs_dev_extents_load(struct btrfs_fs_rw *rw)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_path path;
	struct btrfs_root root;
	u32 i;
	int ret;

	for (i = 0; i < rw->nr_devs; i++) {
		range_set_free(&rw->devs[i].alloc);
		rw->devs[i].dev_item_committed = rw->devs[i].dev_item;
	}
	btrfs_path_init(&path);
	ret = btrfs_read_root(fs_info, BTRFS_DEV_TREE_OBJECTID, &root, NULL);
	if (!ret)
		ret = btrfs_search_slot(fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		ret = dev_extent_load(rw, path.nodes[0], path.slots[0]);
		if (!ret)
			ret = btrfs_next_item(fs_info, &path);
		if (ret)
			break;
	}
	btrfs_path_release(&path);
	if (ret < 0)
		btrfs_err_set(fs_info, "invalid device extents in the dev tree");
	return ret < 0 ? ret : 0;
}
