// SPDX-License-Identifier: GPL-2.0-only
/*
 * RAID5/6 parity against a slow reference (a shift-and-add GF(2^8)
 * multiply, Q summed as g^i * D_i with g^i from repeated multiplication),
 * and every single and double erasure rebuilt for random full stripes of
 * several widths.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tests/unit/tap.h"
#include "kernel-shared/raid56.h"

/* Carry-less multiply, reduced by 0x11d one bit at a time. */
static u8 ref_mul(u8 a, u8 b)
{
	unsigned int acc = 0, aa = a;
	int bit;

	for (bit = 0; bit < 8; bit++)
		if (b & (1u << bit))
			acc ^= aa << bit;
	for (bit = 15; bit >= 8; bit--)
		if (acc & (1u << bit))
			acc ^= 0x11du << (bit - 8);
	return (u8)acc;
}

static void ref_pq(u32 ndata, size_t len, u8 **d, u8 *p, u8 *q)
{
	size_t off;
	u32 i;

	for (off = 0; off < len; off++) {
		u8 pb = 0, qb = 0, g = 1;

		for (i = 0; i < ndata; i++) {
			pb ^= d[i][off];
			qb ^= ref_mul(g, d[i][off]);
			g = ref_mul(g, 2);
		}
		p[off] = pb;
		q[off] = qb;
	}
}

static u32 rng = 12345;

static u8 rnd8(void)
{
	rng = rng * 1103515245u + 12345u;
	return (u8)(rng >> 16);
}

static ssize_t t_pread(void *priv, void *buf, size_t len, u64 off)
{
	return pread((int)(long)priv, buf, len, (off_t)off);
}

static const struct btrfs_io_ops t_ops = { .pread = t_pread };

/*
 * A RAID5 or RAID6 chunk over temporary files: data written where
 * chunk_map_locate() puts it, parity computed by the reference and put
 * at the rotating places (P after the round's data, Q after P).  Then one
 * data stripe piece is destroyed on disk: mirror 0 reads the damage,
 * mirrors 1 and 2 (RAID6) rebuild the original.
 */
static void test_read_rebuild(u32 nstripes, u32 nparity)
{
	const u64 sl = 64 * 1024, rounds = 3;
	u32 ndata = nstripes - nparity, i, r, x;
	u64 len = rounds * ndata * sl, off;
	struct btrfs_fs_info *fs = calloc(1, sizeof(*fs));
	struct btrfs_device *devs = calloc(nstripes, sizeof(*devs));
	struct chunk_map *map = calloc(1, sizeof(*map) +
				       nstripes * sizeof(map->stripes[0]));
	u8 *data = malloc(len), *got = malloc(sl), *p = malloc(sl), *q = malloc(sl);
	u8 *dp[16];
	int fd[16], m, copies_ok, direct_bad = 1, rebuilt_ok = 1;

	map->logical = 1ULL << 30;
	map->length = len;
	map->type = BTRFS_BLOCK_GROUP_DATA |
		    (nparity == 1 ? BTRFS_BLOCK_GROUP_RAID5 : BTRFS_BLOCK_GROUP_RAID6);
	map->stripe_len = sl;
	map->num_stripes = nstripes;
	map->sub_stripes = 1;
	for (i = 0; i < nstripes; i++) {
		char path[] = "/tmp/raid56-XXXXXX";

		fd[i] = mkstemp(path);
		unlink(path);
		devs[i].devid = i + 1;
		devs[i].ops = &t_ops;
		devs[i].io_priv = (void *)(long)fd[i];
		map->stripes[i].devid = i + 1;
		map->stripes[i].physical = (u64)(i + 1) * 1024 * 1024;
		map->stripes[i].dev = &devs[i];
	}
	for (off = 0; off < len; off++)
		data[off] = rnd8();
	for (off = 0; off < len; off += sl) {
		struct btrfs_io_copy c;
		u64 contig;

		chunk_map_locate(map, map->logical + off, 0, &c, &contig);
		if (pwrite(fd[c.stripe->devid - 1], data + off, sl,
			   (off_t)c.physical) != (ssize_t)sl)
			tap_ok(0, "write a data stripe");
	}
	for (r = 0; r < rounds; r++) {
		u8 *pq[2] = { p, q };

		for (i = 0; i < ndata; i++)
			dp[i] = data + (r * ndata + i) * sl;
		ref_pq(ndata, sl, dp, p, q);
		for (i = 0; i < nparity; i++) {
			u32 idx = (r + ndata + i) % nstripes;

			if (pwrite(fd[idx], pq[i], sl,
				   (off_t)(map->stripes[idx].physical + r * sl)) !=
			    (ssize_t)sl)
				tap_ok(0, "write a parity stripe");
		}
	}
	copies_ok = chunk_map_read_mirrors(map) == (int)nparity + 1 &&
		    chunk_map_num_copies(map) == 1;
	tap_ok(copies_ok, "%u stripes, %u parity: %d read mirrors, one placed copy",
	       nstripes, nparity, chunk_map_read_mirrors(map));
	tap_ok(chunk_map_insert(fs, map) == 0, "map inserted");
	fs->devices = &devs[0];
	for (i = 0; i + 1 < nstripes; i++)
		devs[i].next = &devs[i + 1];

	/* every data piece destroyed in turn */
	for (x = 0; x < rounds * ndata; x++) {
		struct btrfs_io_copy c;
		u64 contig, lg = map->logical + x * sl;
		u8 junk[512];

		memset(junk, 0xee, sizeof(junk));
		chunk_map_locate(map, lg, 0, &c, &contig);
		if (pwrite(fd[c.stripe->devid - 1], junk, sizeof(junk),
			   (off_t)(c.physical + 1000)) != (ssize_t)sizeof(junk))
			tap_ok(0, "damage");
		if (btrfs_read_logical(fs, lg, got, sl, 0) ||
		    !memcmp(got, data + x * sl, sl))
			direct_bad = 0;
		for (m = 1; m <= (int)nparity; m++)
			if (btrfs_read_logical(fs, lg + 100, got, sl - 200, m) ||
			    memcmp(got, data + x * sl + 100, sl - 200))
				rebuilt_ok = 0;
		if (pwrite(fd[c.stripe->devid - 1], data + x * sl + 1000,
			   sizeof(junk), (off_t)(c.physical + 1000)) !=
		    (ssize_t)sizeof(junk))
			tap_ok(0, "undo the damage");
	}
	tap_ok(direct_bad, "%u stripes: mirror 0 reads the damaged bytes", nstripes);
	tap_ok(rebuilt_ok, "%u stripes: every rebuilt mirror reads the original", nstripes);
	tap_ok(btrfs_read_logical(fs, map->logical, got, 16, (int)nparity + 1) != 0,
	       "%u stripes: a mirror past the parity is refused", nstripes);
	for (i = 0; i < nstripes; i++)
		close(fd[i]);
	chunk_map_remove(fs, map->logical);
	free(fs->chunks);
	free(fs);
	free(devs);
	free(data);
	free(got);
	free(p);
	free(q);
}

int main(void)
{
	static const u32 widths[] = { 1, 2, 3, 4, 5, 8, 13 };
	/* odd length: the byte tail after the 8-byte words */
	const size_t len = 4096 + 13;
	unsigned int w, a, b;
	int mul_ok = 1;

	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++)
			if (raid56_gf_mul((u8)a, (u8)b) != ref_mul((u8)a, (u8)b))
				mul_ok = 0;
	tap_ok(mul_ok, "GF(2^8) multiply table matches shift-and-add");

	for (w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
		u32 nd = widths[w], nb = nd + 2, i;
		u8 *orig[16], *blk[16], *rp = malloc(len), *rq = malloc(len);
		int pq_ok, all_ok = 1, r5_ok = 1;

		for (i = 0; i < nb; i++) {
			size_t k;

			orig[i] = malloc(len);
			blk[i] = malloc(len);
			for (k = 0; k < len; k++)
				orig[i][k] = rnd8();
		}
		raid56_gen_pq(nd, len, orig, orig[nd], orig[nd + 1]);
		ref_pq(nd, len, orig, rp, rq);
		pq_ok = !memcmp(rp, orig[nd], len) && !memcmp(rq, orig[nd + 1], len);
		tap_ok(pq_ok, "%u data stripes: P and Q match the reference", nd);

		/* Every single and double erasure, RAID6. */
		for (a = 0; a < nb; a++) {
			for (b = a; b < nb; b++) {
				for (i = 0; i < nb; i++)
					memcpy(blk[i], orig[i], len);
				memset(blk[a], 0xa5, len);
				memset(blk[b], 0x5a, len);
				if (raid56_recover(nd, 2, len, blk, (int)a,
						   a == b ? -1 : (int)b)) {
					all_ok = 0;
					continue;
				}
				for (i = 0; i < nb; i++)
					if (memcmp(blk[i], orig[i], len))
						all_ok = 0;
			}
		}
		tap_ok(all_ok, "%u data stripes: RAID6 every single and double erasure rebuilt",
		       nd);
		/* RAID5: every single erasure from P alone */
		for (a = 0; a <= nd; a++) {
			for (i = 0; i <= nd; i++)
				memcpy(blk[i], orig[i], len);
			memset(blk[a], 0x33, len);
			if (raid56_recover(nd, 1, len, blk, (int)a, -1)) {
				r5_ok = 0;
				continue;
			}
			for (i = 0; i <= nd; i++)
				if (memcmp(blk[i], orig[i], len))
					r5_ok = 0;
		}
		tap_ok(r5_ok, "%u data stripes: RAID5 every single erasure rebuilt", nd);
		tap_ok(nd < 2 || raid56_recover(nd, 1, len, blk, 0, 1) != 0,
		       "%u data stripes: RAID5 refuses two erasures", nd);
		for (i = 0; i < nb; i++) {
			free(orig[i]);
			free(blk[i]);
		}
		free(rp);
		free(rq);
	}
	test_read_rebuild(3, 1);
	test_read_rebuild(5, 1);
	test_read_rebuild(4, 2);
	test_read_rebuild(6, 2);
	return tap_done();
}
