// SPDX-License-Identifier: GPL-2.0-only
/*
 * RAID5/6 parity against a slow reference (a shift-and-add GF(2^8)
 * multiply, Q summed as g^i * D_i with g^i from repeated multiplication),
 * and every single and double erasure rebuilt for random full stripes of
 * several widths.
 */
#include <stdlib.h>
#include <string.h>
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
	return tap_done();
}
