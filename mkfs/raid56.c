// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parity of RAID5/6 metadata rows.  mkfs writes whole rows (every data
 * stripe of one stripe number, zero where no tree block lies, plus parity),
 * so nothing already on the devices enters the parity.
 *
 * P is the XOR of the data stripes.  Q is the RAID6 syndrome the kernel
 * uses: the sum of g^i * D_i over the data stripes in logical order, in
 * GF(2^8) with generator g = 2 and the polynomial x^8+x^4+x^3+x^2+1 (0x11d).
 */
#include <string.h>
#include "mkfs/mkfs.h"

/* Multiplies by g = 2 in GF(2^8). */
static u8 gf_mul2(u8 v)
{
	return (u8)((v << 1) ^ ((v & 0x80) ? 0x1d : 0));
}

void mkfs_raid56_parity(u8 *const *data, u32 ndata, u8 *p, u8 *q, size_t len)
{
	size_t i;
	u32 d;

	for (i = 0; i < len; i++) {
		u8 x = 0, y = 0;

		/* Horner's rule from the highest data stripe down. */
		for (d = ndata; d-- > 0;) {
			x ^= data[d][i];
			y = gf_mul2(y) ^ data[d][i];
		}
		p[i] = x;
		if (q)
			q[i] = y;
	}
}
