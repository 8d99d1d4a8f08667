// SPDX-License-Identifier: GPL-2.0-only
/*
 * The logical -> physical chunk map, for every profile stock btrfs creates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/raid56.h"

struct btrfs_device *btrfs_device_find(const struct btrfs_fs_info *fs_info,
				       u64 devid)
{
	struct btrfs_device *dev;

	for (dev = fs_info->devices; dev; dev = dev->next)
		if (dev->devid == devid)
			return dev;
	return NULL;
}

/* Index of the first chunk whose logical start is greater than 'logical'. */
static u32 chunk_map_upper_bound(const struct btrfs_fs_info *fs_info,
				 u64 logical)
{
	u32 lo = 0, hi = fs_info->nr_chunks;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (fs_info->chunks[mid]->logical <= logical)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct chunk_map *chunk_map_lookup(const struct btrfs_fs_info *fs_info,
				   u64 logical)
{
	u32 idx = chunk_map_upper_bound(fs_info, logical);
	struct chunk_map *map;

	if (idx == 0)
		return NULL;
	map = fs_info->chunks[idx - 1];
	if (logical - map->logical >= map->length)
		return NULL;
	return map;
}

/*
 * Takes ownership of map.  -EEXIST when an identical chunk is already known
 * (the system chunk array and the chunk tree both list system chunks), and
 * -EUCLEAN when it overlaps a different one.
 */
int chunk_map_insert(struct btrfs_fs_info *fs_info, struct chunk_map *map)
{
	u32 idx = chunk_map_upper_bound(fs_info, map->logical);
	struct chunk_map *prev = idx ? fs_info->chunks[idx - 1] : NULL;
	struct chunk_map *next = idx < fs_info->nr_chunks ?
				 fs_info->chunks[idx] : NULL;

	if (prev && prev->logical == map->logical &&
	    prev->length == map->length)
		return -EEXIST;
	if ((prev && prev->logical + prev->length > map->logical) ||
	    (next && map->logical + map->length > next->logical))
		return -EUCLEAN;
	if (fs_info->nr_chunks == fs_info->alloc_chunks) {
		u32 n = fs_info->alloc_chunks ? fs_info->alloc_chunks * 2 : 64;
		struct chunk_map **tmp;

		tmp = realloc(fs_info->chunks, n * sizeof(*tmp));
		if (!tmp)
			return -ENOMEM;
		fs_info->chunks = tmp;
		fs_info->alloc_chunks = n;
	}
	memmove(&fs_info->chunks[idx + 1], &fs_info->chunks[idx],
		(fs_info->nr_chunks - idx) * sizeof(*fs_info->chunks));
	fs_info->chunks[idx] = map;
	fs_info->nr_chunks++;
	return 0;
}

/* Drops and frees the chunk starting at 'logical', if known. */
void chunk_map_remove(struct btrfs_fs_info *fs_info, u64 logical)
{
	u32 idx = chunk_map_upper_bound(fs_info, logical);

	if (idx == 0 || fs_info->chunks[idx - 1]->logical != logical)
		return;
	idx--;
	free(fs_info->chunks[idx]);
	memmove(&fs_info->chunks[idx], &fs_info->chunks[idx + 1],
		(fs_info->nr_chunks - idx - 1) * sizeof(*fs_info->chunks));
	fs_info->nr_chunks--;
}

static u32 profile_min_stripes(u64 type, u32 *sub_stripes)
{
	*sub_stripes = 1;
	if (type & BTRFS_BLOCK_GROUP_RAID10) {
		*sub_stripes = 2;
		return 2;
	}
	if (type & (BTRFS_BLOCK_GROUP_RAID1 | BTRFS_BLOCK_GROUP_DUP |
		    BTRFS_BLOCK_GROUP_RAID5))
		return 2;
	if (type & BTRFS_BLOCK_GROUP_RAID1C3)
		return 3;
	if (type & (BTRFS_BLOCK_GROUP_RAID1C4))
		return 4;
	if (type & BTRFS_BLOCK_GROUP_RAID6)
		return 3;
	return 1;
}

static bool chunk_stripes_valid(u64 type, u32 num_stripes, u32 sub_stripes)
{
	u64 profile = type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	u32 want_sub;
	u32 min = profile_min_stripes(type, &want_sub);

	if (profile & (profile - 1))
		return false;
	if (num_stripes < min)
		return false;
	if (profile == 0 && num_stripes != 1)
		return false;
	if ((profile & BTRFS_BLOCK_GROUP_DUP) && num_stripes != 2)
		return false;
	if ((profile & BTRFS_BLOCK_GROUP_RAID1) && num_stripes != 2)
		return false;
	if ((profile & BTRFS_BLOCK_GROUP_RAID1C3) && num_stripes != 3)
		return false;
	if ((profile & BTRFS_BLOCK_GROUP_RAID1C4) && num_stripes != 4)
		return false;
	if (profile & BTRFS_BLOCK_GROUP_RAID10)
		return sub_stripes == 2 && num_stripes % 2 == 0;
	return true;
}

/* Decodes and validates one chunk item into a new map (not yet inserted). */
int chunk_map_from_item(struct btrfs_fs_info *fs_info, u64 logical,
			const struct btrfs_chunk *chunk, u32 item_size,
			struct chunk_map **ret)
{
	u32 num_stripes, sub_stripes, i;
	struct chunk_map *map;
	u64 length, stripe_len, type;

	if (item_size < sizeof(*chunk))
		return -EUCLEAN;
	num_stripes = btrfs_chunk_num_stripes(chunk);
	sub_stripes = btrfs_chunk_sub_stripes(chunk);
	length = btrfs_chunk_length(chunk);
	stripe_len = btrfs_chunk_stripe_len(chunk);
	type = btrfs_chunk_type(chunk);
	if (num_stripes == 0 || btrfs_chunk_item_size(num_stripes) != item_size)
		return -EUCLEAN;
	if (length == 0 || stripe_len == 0 ||
	    (stripe_len & (stripe_len - 1)) || logical + length < logical)
		return -EUCLEAN;
	if (!(type & BTRFS_BLOCK_GROUP_TYPE_MASK))
		return -EUCLEAN;
	if (!chunk_stripes_valid(type, num_stripes, sub_stripes))
		return -EUCLEAN;

	map = calloc(1, sizeof(*map) + num_stripes * sizeof(map->stripes[0]));
	if (!map)
		return -ENOMEM;
	map->logical = logical;
	map->length = length;
	map->type = type;
	map->stripe_len = stripe_len;
	map->num_stripes = num_stripes;
	map->sub_stripes = (type & BTRFS_BLOCK_GROUP_RAID10) ? sub_stripes : 1;
	for (i = 0; i < num_stripes; i++) {
		const struct btrfs_stripe *s =
			btrfs_chunk_stripe((struct btrfs_chunk *)chunk, i);

		map->stripes[i].devid = btrfs_stripe_devid(s);
		map->stripes[i].physical = btrfs_stripe_offset(s);
		memcpy(map->stripes[i].dev_uuid, s->dev_uuid, BTRFS_UUID_SIZE);
		map->stripes[i].dev = btrfs_device_find(fs_info,
							map->stripes[i].devid);
	}
	*ret = map;
	return 0;
}

/*
 * Copies readable without reconstruction, each at one physical place:
 * RAID5/6 count one.  chunk_map_read_mirrors() adds the rebuilt ones.
 */
int chunk_map_num_copies(const struct chunk_map *map)
{
	u64 p = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;

	if (p & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1 |
		 BTRFS_BLOCK_GROUP_RAID1C3 | BTRFS_BLOCK_GROUP_RAID1C4))
		return (int)map->num_stripes;
	if (p & BTRFS_BLOCK_GROUP_RAID10)
		return (int)map->sub_stripes;
	return 1;
}

/*
 * Mirrors btrfs_read_logical() can read, as the kernel counts them: RAID5
 * 2 (direct, rebuilt from P), RAID6 3 (and rebuilt from Q without P).
 */
int chunk_map_read_mirrors(const struct chunk_map *map)
{
	u32 np = chunk_map_nparity(map);

	return np ? 1 + (int)np : chunk_map_num_copies(map);
}

/*
 * Finds where copy 'mirror' of 'logical' lives and how many bytes from there
 * are contiguous on that device (within the chunk).
 */
int chunk_map_locate(const struct chunk_map *map, u64 logical, int mirror,
		     struct btrfs_io_copy *copy, u64 *contiguous)
{
	u64 off, stripe_nr, in_stripe, stripe_off;
	u64 p = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	u32 idx;

	if (logical < map->logical || logical - map->logical >= map->length)
		return -ERANGE;
	if (mirror < 0 || mirror >= chunk_map_num_copies(map))
		return -EINVAL;
	off = logical - map->logical;
	stripe_nr = off / map->stripe_len;
	in_stripe = off % map->stripe_len;

	if (p == 0 || (p & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1 |
			    BTRFS_BLOCK_GROUP_RAID1C3 |
			    BTRFS_BLOCK_GROUP_RAID1C4))) {
		idx = (u32)mirror;
		copy->stripe = (struct map_stripe *)&map->stripes[idx];
		copy->physical = map->stripes[idx].physical + off;
		*contiguous = map->length - off;
		return 0;
	}
	if (p & BTRFS_BLOCK_GROUP_RAID0) {
		idx = (u32)(stripe_nr % map->num_stripes);
		stripe_off = stripe_nr / map->num_stripes;
	} else if (p & BTRFS_BLOCK_GROUP_RAID10) {
		u32 factor = map->num_stripes / map->sub_stripes;

		idx = (u32)(stripe_nr % factor) * map->sub_stripes + (u32)mirror;
		stripe_off = stripe_nr / factor;
	} else {
		u32 ndata = map->num_stripes - chunk_map_nparity(map);
		u64 data_idx = stripe_nr % ndata;

		stripe_off = stripe_nr / ndata;
		idx = (u32)((stripe_off + data_idx) % map->num_stripes);
	}
	copy->stripe = (struct map_stripe *)&map->stripes[idx];
	copy->physical = map->stripes[idx].physical +
			 stripe_off * map->stripe_len + in_stripe;
	*contiguous = map->stripe_len - in_stripe;
	if (*contiguous > map->length - off)
		*contiguous = map->length - off;
	return 0;
}

u32 chunk_map_data_stripes(const struct chunk_map *map)
{
	u64 p = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;

	if (p & BTRFS_BLOCK_GROUP_RAID0)
		return map->num_stripes;
	if (p & BTRFS_BLOCK_GROUP_RAID10)
		return map->num_stripes / map->sub_stripes;
	if (p & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6))
		return map->num_stripes - chunk_map_nparity(map);
	return 1;
}

u64 chunk_map_stripe_size(const struct chunk_map *map)
{
	u32 ndata = chunk_map_data_stripes(map);

	return ndata ? map->length / ndata : map->length;
}

/*
 * The inverse of chunk_map_locate(): stripe 'idx' of a striped profile
 * holds stripe_len-sized pieces in rounds; round r of RAID0 holds logical
 * stripe r * n + idx, RAID10 r * (n / sub) + idx / sub, and RAID5/6 round r
 * rotates its data and parity pieces by r.
 */
int chunk_map_reverse(const struct chunk_map *map, u32 idx, u64 off,
		      u64 *logical, u64 *contiguous)
{
	u64 p = map->type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	u64 size = chunk_map_stripe_size(map);
	u64 round, in_stripe, stripe_nr;
	u32 ndata = chunk_map_data_stripes(map), pos;

	if (idx >= map->num_stripes || off >= size)
		return -ERANGE;
	if (p == 0 || (p & (BTRFS_BLOCK_GROUP_DUP | BTRFS_BLOCK_GROUP_RAID1 |
			    BTRFS_BLOCK_GROUP_RAID1C3 |
			    BTRFS_BLOCK_GROUP_RAID1C4))) {
		*logical = map->logical + off;
		*contiguous = size - off;
		return 0;
	}
	round = off / map->stripe_len;
	in_stripe = off % map->stripe_len;
	*contiguous = map->stripe_len - in_stripe;
	if (*contiguous > size - off)
		*contiguous = size - off;
	if (p & BTRFS_BLOCK_GROUP_RAID0) {
		stripe_nr = round * map->num_stripes + idx;
	} else if (p & BTRFS_BLOCK_GROUP_RAID10) {
		stripe_nr = round * ndata + idx / map->sub_stripes;
	} else {
		pos = (u32)((idx + map->num_stripes -
			     round % map->num_stripes) % map->num_stripes);
		if (pos >= ndata) {
			*logical = map->logical + round * ndata * map->stripe_len;
			return 1;
		}
		stripe_nr = round * ndata + pos;
	}
	*logical = map->logical + stripe_nr * map->stripe_len + in_stripe;
	return 0;
}

/* One loop for whole reads and writes through a device's I/O ops. */
static int device_io(struct btrfs_device *dev, void *buf, u64 len, u64 off,
		     bool write)
{
	u8 *p = buf;

	if (!dev || !dev->ops || (write && !dev->ops->pwrite))
		return -ENODEV;
	while (len) {
		ssize_t n = write ? dev->ops->pwrite(dev->io_priv, p, len, off) :
				    dev->ops->pread(dev->io_priv, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno ? -errno : -EIO;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (u64)n;
		off += (u64)n;
	}
	return 0;
}

int btrfs_device_pread(struct btrfs_device *dev, void *buf, u64 len, u64 off)
{
	return device_io(dev, buf, len, off, false);
}

int btrfs_device_pwrite(struct btrfs_device *dev, const void *buf, u64 len,
			u64 off)
{
	return device_io(dev, (void *)buf, len, off, true);
}

/*
 * Reads [logical, logical+len) from copy 'mirror'; may span chunks.  For
 * RAID5/6 mirrors 1 and 2 rebuild the data from P and from Q.
 */
int btrfs_read_logical(struct btrfs_fs_info *fs_info, u64 logical, void *buf,
		       u64 len, int mirror)
{
	u8 *p = buf;

	while (len) {
		struct chunk_map *map = chunk_map_lookup(fs_info, logical);
		struct btrfs_io_copy copy;
		u64 contig;
		int ret;

		if (!map)
			return -ENOENT;
		if (mirror > 0 && chunk_map_nparity(map)) {
			u64 off = logical - map->logical;

			contig = map->stripe_len - off % map->stripe_len;
			if (contig > map->length - off)
				contig = map->length - off;
			if (contig > len)
				contig = len;
			ret = raid56_read_rebuild(fs_info, map, logical, p,
						  contig, mirror);
			if (ret)
				return ret;
			p += contig;
			logical += contig;
			len -= contig;
			continue;
		}
		ret = chunk_map_locate(map, logical, mirror, &copy, &contig);
		if (ret)
			return ret;
		if (contig > len)
			contig = len;
		ret = btrfs_device_pread(copy.stripe->dev, p, contig, copy.physical);
		if (ret)
			return ret;
		p += contig;
		logical += contig;
		len -= contig;
	}
	return 0;
}

const char *btrfs_profile_name(u64 type)
{
	switch (type & BTRFS_BLOCK_GROUP_PROFILE_MASK) {
	case 0:				return "single";
	case BTRFS_BLOCK_GROUP_DUP:	return "dup";
	case BTRFS_BLOCK_GROUP_RAID0:	return "raid0";
	case BTRFS_BLOCK_GROUP_RAID1:	return "raid1";
	case BTRFS_BLOCK_GROUP_RAID1C3:	return "raid1c3";
	case BTRFS_BLOCK_GROUP_RAID1C4:	return "raid1c4";
	case BTRFS_BLOCK_GROUP_RAID10:	return "raid10";
	case BTRFS_BLOCK_GROUP_RAID5:	return "raid5";
	case BTRFS_BLOCK_GROUP_RAID6:	return "raid6";
	}
	return "unknown";
}
