// SPDX-License-Identifier: GPL-2.0-only
/*
 * chunk_map_reverse() against chunk_map_locate() on synthetic chunks of
 * every profile: each copy of each logical sector maps back to itself, and
 * every sector of every device extent is either exactly one logical sector
 * (located back to the same place) or, for RAID5/6, parity -- as many
 * parity sectors as a full stripe has parity stripes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "tests/unit/tap.h"

#define K64 65536ULL
#define SECTOR 4096ULL

static struct chunk_map *map_new(u64 type, u32 n, u32 sub, u64 length)
{
	struct chunk_map *map = calloc(1, sizeof(*map) +
				       n * sizeof(map->stripes[0]));
	u32 i;

	if (!map)
		return NULL;
	map->logical = 1ULL << 30;
	map->length = length;
	map->type = type;
	map->stripe_len = K64;
	map->num_stripes = n;
	map->sub_stripes = sub;
	for (i = 0; i < n; i++) {
		map->stripes[i].devid = i + 1;
		/* DUP: both stripes on devid 1, apart. */
		if (type & BTRFS_BLOCK_GROUP_DUP)
			map->stripes[i].devid = 1;
		map->stripes[i].physical = (1ULL << 20) + i * (length + K64);
	}
	return map;
}

/* Every copy of every logical sector comes back. */
static bool forward_back(const struct chunk_map *map)
{
	u64 off, logical, contig, back, n;
	struct btrfs_io_copy copy;
	int m, copies = chunk_map_num_copies(map);

	for (off = 0; off < map->length; off += SECTOR) {
		for (m = 0; m < copies; m++) {
			if (chunk_map_locate(map, map->logical + off, m, &copy,
					     &contig))
				return false;
			if (chunk_map_reverse(map, (u32)(copy.stripe - map->stripes),
					      copy.physical - copy.stripe->physical,
					      &back, &n) != 0)
				return false;
			logical = map->logical + off;
			if (back != logical || n < SECTOR)
				return false;
		}
	}
	return true;
}

/* Every device sector: data that locates back to it, or parity. */
static bool backward_forward(const struct chunk_map *map, u64 *parity)
{
	u64 size = chunk_map_stripe_size(map), off, logical, n, contig;
	struct btrfs_io_copy copy;
	u32 idx;
	int m, ret, copies = chunk_map_num_copies(map);
	bool found;

	*parity = 0;
	for (idx = 0; idx < map->num_stripes; idx++) {
		for (off = 0; off < size; off += SECTOR) {
			ret = chunk_map_reverse(map, idx, off, &logical, &n);
			if (ret == 1) {
				(*parity)++;
				continue;
			}
			if (ret)
				return false;
			found = false;
			for (m = 0; m < copies && !found; m++)
				found = !chunk_map_locate(map, logical, m, &copy,
							  &contig) &&
					copy.stripe == &map->stripes[idx] &&
					copy.physical == map->stripes[idx].physical + off;
			/* RAID5/6 data has one copy: the stripe it sits on. */
			if (!found)
				return false;
		}
	}
	return true;
}

static void check_profile(const char *name, u64 type, u32 n, u32 sub,
			  u64 length, u32 nparity)
{
	struct chunk_map *map = map_new(type | BTRFS_BLOCK_GROUP_DATA, n, sub,
					length);
	u64 parity, size;

	if (!tap_ok(map != NULL, "%s: map", name))
		return;
	size = chunk_map_stripe_size(map);
	tap_ok(forward_back(map), "%s x%u: every copy of every sector maps back",
	       name, n);
	tap_ok(backward_forward(map, &parity),
	       "%s x%u: every device sector maps to data that locates back, or parity",
	       name, n);
	tap_ok(parity == (u64)nparity * (size / SECTOR),
	       "%s x%u: %u device extent(s) worth of parity sectors", name, n,
	       nparity);
	tap_ok(chunk_map_reverse(map, 0, size, &parity, &size) == -ERANGE,
	       "%s: beyond the device extent is refused", name);
	free(map);
}

int main(void)
{
	u64 len = 12 * K64;

	check_profile("single", 0, 1, 1, len, 0);
	check_profile("dup", BTRFS_BLOCK_GROUP_DUP, 2, 1, len, 0);
	check_profile("raid1", BTRFS_BLOCK_GROUP_RAID1, 2, 1, len, 0);
	check_profile("raid1c3", BTRFS_BLOCK_GROUP_RAID1C3, 3, 1, len, 0);
	check_profile("raid1c4", BTRFS_BLOCK_GROUP_RAID1C4, 4, 1, len, 0);
	check_profile("raid0", BTRFS_BLOCK_GROUP_RAID0, 3, 1, len, 0);
	check_profile("raid0", BTRFS_BLOCK_GROUP_RAID0, 4, 1, len, 0);
	check_profile("raid10", BTRFS_BLOCK_GROUP_RAID10, 4, 2, len, 0);
	check_profile("raid10", BTRFS_BLOCK_GROUP_RAID10, 6, 2, len, 0);
	check_profile("raid5", BTRFS_BLOCK_GROUP_RAID5, 3, 1, len, 1);
	check_profile("raid5", BTRFS_BLOCK_GROUP_RAID5, 4, 1, len, 1);
	check_profile("raid6", BTRFS_BLOCK_GROUP_RAID6, 4, 1, len, 2);
	check_profile("raid6", BTRFS_BLOCK_GROUP_RAID6, 5, 1, 15 * K64, 2);
	return tap_done();
}
