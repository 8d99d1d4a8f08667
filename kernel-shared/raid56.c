// SPDX-License-Identifier: GPL-2.0-only
/*
 * RAID5/6 parity generation and reconstruction, and reads of a RAID5/6
 * chunk that rebuild a data stripe from the others.
 *
 * The arithmetic is GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11d) with
 * generator 2.  Q is computed by Horner's rule from the highest data block
 * down, multiplying by 2 eight bytes at a time.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/raid56.h"

static u8 gf_exp[512];
static u8 gf_log[256];
static bool gf_ready;

static void gf_init(void)
{
	unsigned int i, x = 1;

	if (gf_ready)
		return;
	for (i = 0; i < 255; i++) {
		gf_exp[i] = (u8)x;
		gf_exp[i + 255] = (u8)x;
		gf_log[x] = (u8)i;
		x <<= 1;
		if (x & 0x100)
			x ^= 0x11d;
	}
	gf_exp[510] = gf_exp[0];
	gf_exp[511] = gf_exp[1];
	gf_ready = true;
}

u8 raid56_gf_mul(u8 a, u8 b)
{
	gf_init();
	if (!a || !b)
		return 0;
	return gf_exp[gf_log[a] + gf_log[b]];
}

static u8 gf_inv(u8 a)
{
	gf_init();
	return gf_exp[255 - gf_log[a]];
}

/* g^n */
static u8 gf_pow2(u32 n)
{
	gf_init();
	return gf_exp[n % 255];
}

/* Every byte of w multiplied by 2. */
static inline u64 mul2_word(u64 w)
{
	u64 hi = w & 0x8080808080808080ULL;
	u64 red = (hi >> 7) * 0x1d;

	return ((w << 1) & 0xfefefefefefefefeULL) ^ red;
}

static inline u64 load64(const u8 *p)
{
	u64 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void store64(u8 *p, u64 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline u8 mul2_byte(u8 b)
{
	return (u8)((b << 1) ^ ((b & 0x80) ? 0x1d : 0));
}

void raid56_gen_pq(u32 ndata, size_t len, u8 *const *data, u8 *p, u8 *q)
{
	size_t off = 0;
	u32 i;

	for (; off + 8 <= len; off += 8) {
		u64 pw = 0, qw = 0;

		for (i = ndata; i-- > 0;) {
			u64 d = load64(data[i] + off);

			pw ^= d;
			qw = mul2_word(qw) ^ d;
		}
		store64(p + off, pw);
		if (q)
			store64(q + off, qw);
	}
	for (; off < len; off++) {
		u8 pb = 0, qb = 0;

		for (i = ndata; i-- > 0;) {
			pb ^= data[i][off];
			qb = (u8)(mul2_byte(qb) ^ data[i][off]);
		}
		p[off] = pb;
		if (q)
			q[off] = qb;
	}
}

/* dst = dst * c, byte by byte. */
static void buf_scale(u8 *dst, size_t len, u8 c)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = raid56_gf_mul(dst[i], c);
}

/*
 * Rebuilds data block x from P: D_x = P ^ sum of the other data.
 */
static void recover_from_p(u32 ndata, size_t len, u8 *const *b, u32 x)
{
	size_t off;
	u32 i;

	memcpy(b[x], b[ndata], len);
	for (i = 0; i < ndata; i++) {
		if (i == x)
			continue;
		for (off = 0; off + 8 <= len; off += 8)
			store64(b[x] + off, load64(b[x] + off) ^ load64(b[i] + off));
		for (; off < len; off++)
			b[x][off] ^= b[i][off];
	}
}

/*
 * The syndromes with data blocks x and y taken as zero: into px (when not
 * NULL) the xor of the others and into qx their Q.  y may equal x.
 */
static int partial_pq(u32 ndata, size_t len, u8 *const *b, u32 x, u32 y,
		      u8 *px, u8 *qx)
{
	u8 **d = calloc(ndata, sizeof(*d));
	u8 *zero = calloc(1, len ? len : 1);
	u8 *pscratch = px ? NULL : malloc(len ? len : 1);
	u32 i;

	if (!d || !zero || (!px && !pscratch)) {
		free(d);
		free(zero);
		free(pscratch);
		return -ENOMEM;
	}
	for (i = 0; i < ndata; i++)
		d[i] = (i == x || i == y) ? zero : b[i];
	raid56_gen_pq(ndata, len, d, px ? px : pscratch, qx);
	free(d);
	free(zero);
	free(pscratch);
	return 0;
}

int raid56_recover(u32 ndata, u32 nparity, size_t len, u8 *const *blocks,
		   int fail_a, int fail_b)
{
	u32 np = ndata, nq = ndata + 1, x, y;
	u8 *px = NULL, *qx = NULL;
	size_t off;
	int ret = 0;

	if (nparity < 1 || nparity > 2 || ndata < 1 || fail_a < 0)
		return -EINVAL;
	if (fail_b == fail_a)
		fail_b = -1;
	if (fail_b >= 0 && fail_b < fail_a) {
		int t = fail_a;

		fail_a = fail_b;
		fail_b = t;
	}
	if ((u32)fail_a >= ndata + nparity ||
	    (fail_b >= 0 && ((u32)fail_b >= ndata + nparity || nparity < 2)))
		return -EINVAL;
	x = (u32)fail_a;

	if (fail_b < 0) {
		if (x < ndata) {
			recover_from_p(ndata, len, blocks, x);
			return 0;
		}
		/* Only parity failed: regenerate it. */
		if (x == np || nparity == 1) {
			u8 *q = nparity == 2 ? malloc(len ? len : 1) : NULL;

			if (nparity == 2 && !q)
				return -ENOMEM;
			raid56_gen_pq(ndata, len, blocks, blocks[np], q);
			free(q);
			return 0;
		}
		px = malloc(len ? len : 1);
		if (!px)
			return -ENOMEM;
		raid56_gen_pq(ndata, len, blocks, px, blocks[nq]);
		free(px);
		return 0;
	}
	y = (u32)fail_b;
	if (x == np && y == nq) {
		raid56_gen_pq(ndata, len, blocks, blocks[np], blocks[nq]);
		return 0;
	}
	if (x < ndata && y == nq) {
		recover_from_p(ndata, len, blocks, x);
		qx = malloc(len ? len : 1);
		if (!qx)
			return -ENOMEM;
		raid56_gen_pq(ndata, len, blocks, qx, blocks[nq]);
		free(qx);
		return 0;
	}
	qx = malloc(len ? len : 1);
	if (!qx)
		return -ENOMEM;
	if (x < ndata && y == np) {
		/* From Q: g^x * D_x = Q ^ Q(without x). */
		ret = partial_pq(ndata, len, blocks, x, x, NULL, qx);
		if (ret)
			goto out;
		for (off = 0; off < len; off++)
			blocks[x][off] = blocks[nq][off] ^ qx[off];
		buf_scale(blocks[x], len, gf_inv(gf_pow2(x)));
		/* and P again from the whole data */
		raid56_gen_pq(ndata, len, blocks, blocks[np], NULL);
		goto out;
	}
	/* Two data blocks: D_x + D_y = Pxy, g^x D_x + g^y D_y = Qxy. */
	px = malloc(len ? len : 1);
	if (!px) {
		ret = -ENOMEM;
		goto out;
	}
	ret = partial_pq(ndata, len, blocks, x, y, px, qx);
	if (ret)
		goto out;
	{
		u8 gx = gf_pow2(x), gy = gf_pow2(y);
		u8 inv = gf_inv(gx ^ gy);

		for (off = 0; off < len; off++) {
			u8 pxy = blocks[np][off] ^ px[off];
			u8 qxy = blocks[nq][off] ^ qx[off];
			u8 dx = raid56_gf_mul(qxy ^ raid56_gf_mul(gy, pxy), inv);

			blocks[x][off] = dx;
			blocks[y][off] = dx ^ pxy;
		}
	}
out:
	free(px);
	free(qx);
	return ret;
}

u32 chunk_map_nparity(const struct chunk_map *map)
{
	if (map->type & BTRFS_BLOCK_GROUP_RAID5)
		return 1;
	if (map->type & BTRFS_BLOCK_GROUP_RAID6)
		return 2;
	return 0;
}

void raid56_place(const struct chunk_map *map, u64 round, u32 pos,
		  struct btrfs_io_copy *copy)
{
	u32 idx = (u32)((round + pos) % map->num_stripes);

	copy->stripe = (struct map_stripe *)&map->stripes[idx];
	copy->physical = map->stripes[idx].physical + round * map->stripe_len;
}


int raid56_rebuild(const struct chunk_map *map, u64 logical, u8 *buf,
		   u64 len, int also)
{
	u32 nparity = chunk_map_nparity(map);
	u32 ndata = map->num_stripes - nparity, nb = map->num_stripes, i;
	u64 off, stripe_nr, in_stripe, round;
	u32 target;
	u8 **blocks;
	u8 *mem;
	int ret = 0;

	if (!nparity || logical < map->logical ||
	    logical - map->logical >= map->length)
		return -EINVAL;
	off = logical - map->logical;
	stripe_nr = off / map->stripe_len;
	in_stripe = off % map->stripe_len;
	if (in_stripe + len > map->stripe_len)
		return -EINVAL;
	round = stripe_nr / ndata;
	target = (u32)(stripe_nr % ndata);
	if (also >= (int)nb || (u32)also == target)
		also = -1;
	if (also >= 0 && nparity < 2)
		return -EINVAL;

	blocks = calloc(nb, sizeof(*blocks));
	mem = malloc(nb * len);
	if (!blocks || !mem) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nb; i++)
		blocks[i] = (i == target) ? buf : mem + i * len;
	for (i = 0; i < nb; i++) {
		struct btrfs_io_copy c;

		if (i == target || (int)i == also)
			continue;
		raid56_place(map, round, i, &c);
		ret = btrfs_device_pread(c.stripe->dev, blocks[i], len,
				     c.physical + in_stripe);
		if (ret)
			goto out;
	}
	ret = raid56_recover(ndata, nparity, len, blocks, (int)target, also);
out:
	free(blocks);
	free(mem);
	return ret;
}

int raid56_read_rebuild(struct btrfs_fs_info *fs_info,
			const struct chunk_map *map, u64 logical, u8 *buf,
			u64 len, int mirror)
{
	u32 nparity = chunk_map_nparity(map);

	(void)fs_info;
	if (!nparity || mirror < 1 || (u32)mirror > nparity)
		return -EINVAL;
	return raid56_rebuild(map, logical, buf, len,
			      mirror == 2 ? (int)(map->num_stripes - nparity) : -1);
}
