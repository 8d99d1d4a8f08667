// SPDX-License-Identifier: GPL-2.0-only
/*
 * Chunk mapping on synthetic chunk items: every profile's logical ->
 * physical arithmetic against hand-computed answers, overlap rejection, and
 * real reads through temporary files standing in for devices.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/ctree.h"
#include "tests/unit/tap.h"

#define K64 65536ULL
#define MiB (1024ULL * 1024)

struct chunk_buf {
	struct btrfs_chunk chunk;
	struct btrfs_stripe more[7];
};

/* Builds a chunk item; stripe i lives on devid i+1 at phys[i]. */
static u32 chunk_build(struct chunk_buf *cb, u64 type, u64 length,
		       u32 nstripes, u32 sub, const u64 *phys)
{
	u32 i;

	memset(cb, 0, sizeof(*cb));
	btrfs_set_chunk_length(&cb->chunk, length);
	btrfs_set_chunk_owner(&cb->chunk, BTRFS_EXTENT_TREE_OBJECTID);
	btrfs_set_chunk_stripe_len(&cb->chunk, K64);
	btrfs_set_chunk_type(&cb->chunk, type);
	btrfs_set_chunk_num_stripes(&cb->chunk, (u16)nstripes);
	btrfs_set_chunk_sub_stripes(&cb->chunk, (u16)sub);
	for (i = 0; i < nstripes; i++) {
		struct btrfs_stripe *s = btrfs_chunk_stripe(&cb->chunk, (int)i);

		btrfs_set_stripe_devid(s, i + 1);
		btrfs_set_stripe_offset(s, phys[i]);
	}
	return btrfs_chunk_item_size(nstripes);
}

static struct chunk_map *map_make(struct btrfs_fs_info *fs, u64 logical,
				  u64 type, u64 length, u32 n, u32 sub,
				  const u64 *phys)
{
	struct chunk_buf cb;
	struct chunk_map *map = NULL;
	u32 size = chunk_build(&cb, type, length, n, sub, phys);

	if (chunk_map_from_item(fs, logical, &cb.chunk, size, &map))
		return NULL;
	return map;
}

/* Checks that copy 'mirror' of logical lands on devid at physical. */
static int lands(struct chunk_map *map, u64 logical, int mirror, u64 devid,
		 u64 physical)
{
	struct btrfs_io_copy copy;
	u64 contig;

	if (chunk_map_locate(map, logical, mirror, &copy, &contig))
		return 0;
	return copy.stripe->devid == devid && copy.physical == physical;
}

static void test_simple_profiles(struct btrfs_fs_info *fs)
{
	const u64 phys[4] = { 10 * MiB, 50 * MiB, 90 * MiB, 130 * MiB };
	struct chunk_map *m;

	m = map_make(fs, 1 * 1024 * MiB, BTRFS_BLOCK_GROUP_DATA, 8 * MiB, 1, 1, phys);
	tap_ok(m && chunk_map_num_copies(m) == 1, "single: one copy");
	tap_ok(m && lands(m, 1024 * MiB + 12345, 0, 1, 10 * MiB + 12345),
	       "single: offset carried through");
	free(m);

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_DUP,
		     8 * MiB, 2, 1, phys);
	tap_ok(m && chunk_map_num_copies(m) == 2, "dup: two copies");
	tap_ok(m && lands(m, 3 * MiB, 1, 2, 53 * MiB), "dup: second copy");
	free(m);

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID1C4,
		     8 * MiB, 4, 1, phys);
	tap_ok(m && chunk_map_num_copies(m) == 4, "raid1c4: four copies");
	tap_ok(m && lands(m, 7 * MiB, 3, 4, 137 * MiB), "raid1c4: fourth copy");
	free(m);
}

static void test_striped_profiles(struct btrfs_fs_info *fs)
{
	const u64 phys[4] = { 10 * MiB, 50 * MiB, 90 * MiB, 130 * MiB };
	struct chunk_map *m;

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID0,
		     8 * MiB, 2, 1, phys);
	tap_ok(m && lands(m, 0, 0, 1, 10 * MiB), "raid0: stripe 0 on dev 1");
	tap_ok(m && lands(m, K64 + 5, 0, 2, 50 * MiB + 5), "raid0: stripe 1 on dev 2");
	tap_ok(m && lands(m, 2 * K64, 0, 1, 10 * MiB + K64), "raid0: stripe 2 wraps");
	tap_ok(m && chunk_map_locate(m, 0, 1, &(struct btrfs_io_copy){0},
				     &(u64){0}) == -EINVAL,
	       "raid0: no second copy");
	free(m);

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID10,
		     8 * MiB, 4, 2, phys);
	tap_ok(m && chunk_map_num_copies(m) == 2, "raid10: two copies");
	tap_ok(m && lands(m, 0, 1, 2, 50 * MiB), "raid10: stripe 0 mirror on dev 2");
	tap_ok(m && lands(m, K64, 0, 3, 90 * MiB), "raid10: stripe 1 on dev 3");
	tap_ok(m && lands(m, 2 * K64 + 7, 1, 2, 50 * MiB + K64 + 7),
	       "raid10: stripe 2 mirror wraps to dev 2");
	free(m);

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID5,
		     8 * MiB, 3, 1, phys);
	tap_ok(m && lands(m, 0, 0, 1, 10 * MiB), "raid5: first data stripe");
	tap_ok(m && lands(m, K64, 0, 2, 50 * MiB), "raid5: second data stripe");
	tap_ok(m && lands(m, 2 * K64, 0, 2, 50 * MiB + K64),
	       "raid5: parity rotates, next full stripe starts on dev 2");
	tap_ok(m && lands(m, 3 * K64, 0, 3, 90 * MiB + K64),
	       "raid5: then dev 3");
	free(m);

	m = map_make(fs, 0, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID6,
		     8 * MiB, 4, 1, phys);
	tap_ok(m && lands(m, 2 * K64, 0, 2, 50 * MiB + K64),
	       "raid6: second full stripe starts on dev 2");
	free(m);
}

static void test_invalid_items(struct btrfs_fs_info *fs)
{
	const u64 phys[4] = { 0, 0, 0, 0 };
	struct chunk_buf cb;
	struct chunk_map *m = NULL;
	u32 size;

	size = chunk_build(&cb, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_DUP,
			   8 * MiB, 3, 1, phys);
	tap_ok(chunk_map_from_item(fs, 0, &cb.chunk, size, &m) == -EUCLEAN,
	       "dup with three stripes rejected");
	size = chunk_build(&cb, BTRFS_BLOCK_GROUP_DATA, 8 * MiB, 1, 1, phys);
	tap_ok(chunk_map_from_item(fs, 0, &cb.chunk, size - 1, &m) == -EUCLEAN,
	       "item size not matching stripes rejected");
	size = chunk_build(&cb, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID0 |
			   BTRFS_BLOCK_GROUP_RAID1, 8 * MiB, 2, 1, phys);
	tap_ok(chunk_map_from_item(fs, 0, &cb.chunk, size, &m) == -EUCLEAN,
	       "two profile bits rejected");
	size = chunk_build(&cb, 0, 8 * MiB, 1, 1, phys);
	tap_ok(chunk_map_from_item(fs, 0, &cb.chunk, size, &m) == -EUCLEAN,
	       "chunk without a type rejected");
}

static void test_map_insert(struct btrfs_fs_info *fs)
{
	const u64 phys[1] = { 0 };
	struct chunk_map *a = map_make(fs, 100 * MiB, BTRFS_BLOCK_GROUP_DATA, 10 * MiB, 1, 1, phys);
	struct chunk_map *b = map_make(fs, 120 * MiB, BTRFS_BLOCK_GROUP_DATA, 10 * MiB, 1, 1, phys);
	struct chunk_map *dup = map_make(fs, 100 * MiB, BTRFS_BLOCK_GROUP_DATA, 10 * MiB, 1, 1, phys);
	struct chunk_map *over = map_make(fs, 105 * MiB, BTRFS_BLOCK_GROUP_DATA, 10 * MiB, 1, 1, phys);

	tap_ok(chunk_map_insert(fs, b) == 0 && chunk_map_insert(fs, a) == 0,
	       "insert out of order");
	tap_ok(chunk_map_insert(fs, dup) == -EEXIST, "same chunk twice is -EEXIST");
	tap_ok(chunk_map_insert(fs, over) == -EUCLEAN, "overlap is -EUCLEAN");
	tap_ok(chunk_map_lookup(fs, 100 * MiB) == a &&
	       chunk_map_lookup(fs, 110 * MiB - 1) == a, "lookup inside first");
	tap_ok(chunk_map_lookup(fs, 110 * MiB) == NULL, "lookup in the gap");
	tap_ok(chunk_map_lookup(fs, 125 * MiB) == b, "lookup inside second");
	tap_ok(chunk_map_lookup(fs, 99 * MiB) == NULL, "lookup before all");
	chunk_map_remove(fs, 100 * MiB);
	tap_ok(chunk_map_lookup(fs, 105 * MiB) == NULL &&
	       chunk_map_lookup(fs, 125 * MiB) == b && fs->nr_chunks == 1,
	       "remove drops only the chunk asked for");
	free(dup);
	free(over);
}

static ssize_t t_pread(void *priv, void *buf, size_t len, u64 off)
{
	return pread((int)(long)priv, buf, len, (off_t)off);
}

static const struct btrfs_io_ops t_ops = { .pread = t_pread };

/* Two files as devices of a RAID0 chunk; a read across stripes. */
static void test_read_logical(struct btrfs_fs_info *fs)
{
	char path[2][32] = { "/tmp/chunkmap-XXXXXX", "/tmp/chunkmap-XXXXXX" };
	struct btrfs_device devs[2];
	const u64 phys[2] = { MiB, 2 * MiB };
	static u8 stripe[K64], got[2 * K64];
	struct chunk_map *m;
	int i, fd[2];
	bool ok;

	memset(devs, 0, sizeof(devs));
	for (i = 0; i < 2; i++) {
		fd[i] = mkstemp(path[i]);
		unlink(path[i]);
		memset(stripe, 'A' + i, sizeof(stripe));
		if (pwrite(fd[i], stripe, sizeof(stripe), (off_t)phys[i]) !=
		    (ssize_t)sizeof(stripe))
			tap_ok(0, "write device %d", i);
		devs[i].devid = (u64)i + 1;
		devs[i].ops = &t_ops;
		devs[i].io_priv = (void *)(long)fd[i];
		devs[i].next = i == 0 ? &devs[1] : NULL;
	}
	fs->devices = &devs[0];
	m = map_make(fs, 500 * MiB, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID0,
		     4 * MiB, 2, 1, phys);
	tap_ok(m && chunk_map_insert(fs, m) == 0, "raid0 map inserted");
	tap_ok(btrfs_read_logical(fs, 500 * MiB + K64 / 2, got, K64, 0) == 0,
	       "read across a stripe boundary");
	ok = true;
	for (i = 0; i < (int)K64; i++)
		ok &= got[i] == (i < (int)K64 / 2 ? 'A' : 'B');
	tap_ok(ok, "first half from dev 1, second half from dev 2");
	tap_ok(btrfs_read_logical(fs, 900 * MiB, got, 16, 0) == -ENOENT,
	       "read outside every chunk is -ENOENT");
	close(fd[0]);
	close(fd[1]);
	fs->devices = NULL;
}

int main(void)
{
	struct btrfs_fs_info *fs = calloc(1, sizeof(*fs));
	u32 i;

	test_simple_profiles(fs);
	test_striped_profiles(fs);
	test_invalid_items(fs);
	test_map_insert(fs);
	for (i = 0; i < fs->nr_chunks; i++)
		free(fs->chunks[i]);
	fs->nr_chunks = 0;
	test_read_logical(fs);
	for (i = 0; i < fs->nr_chunks; i++)
		free(fs->chunks[i]);
	free(fs->chunks);
	free(fs);
	return tap_done();
}
