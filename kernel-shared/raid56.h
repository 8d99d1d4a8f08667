/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * RAID5/6 parity: P is the xor of the data stripes, Q the Reed-Solomon
 * syndrome sum(g^i * D_i) over GF(2^8) with polynomial 0x11d and g = 2,
 * as the kernel lays them out.  Blocks are indexed 0..ndata-1 for data,
 * ndata for P and ndata + 1 for Q.
 */
#ifndef BTRFS_DAX_RAID56_H
#define BTRFS_DAX_RAID56_H

#include <stddef.h>
#include "kernel-shared/ctree.h"

/* GF(2^8) product, from log/exp tables. */
u8 raid56_gf_mul(u8 a, u8 b);

/* Computes P (and Q when q is not NULL) of ndata blocks of len bytes. */
void raid56_gen_pq(u32 ndata, size_t len, u8 *const *data, u8 *p, u8 *q);

/*
 * Rebuilds blocks[fail_a] and blocks[fail_b] (fail_b -1 for one) in place
 * from the others; blocks has ndata + nparity entries.  -EINVAL when more
 * blocks failed than nparity can rebuild.
 */
int raid56_recover(u32 ndata, u32 nparity, size_t len, u8 *const *blocks,
		   int fail_a, int fail_b);

/* Parity stripes of a chunk: 1 for RAID5, 2 for RAID6, else 0. */
u32 chunk_map_nparity(const struct chunk_map *map);

/*
 * Where block 'pos' (0..ndata-1 data, ndata P, ndata+1 Q) of full stripe
 * 'round' starts on its device.
 */
void raid56_place(const struct chunk_map *map, u64 round, u32 pos,
		  struct btrfs_io_copy *copy);

/*
 * Rebuilds [logical, logical+len) (within one stripe_len piece) of a
 * RAID5/6 chunk from the other blocks of its full stripe, taking block
 * 'also' (a position as above, -1 for none) as failed too.
 */
int raid56_rebuild(const struct chunk_map *map, u64 logical, u8 *buf,
		   u64 len, int also);

/*
 * Reads [logical, logical+len) of a RAID5/6 chunk (within one stripe_len
 * piece) by rebuilding it from the other stripes: mirror 1 from P, mirror 2
 * (RAID6) from Q without P.
 */
int raid56_read_rebuild(struct btrfs_fs_info *fs_info,
			const struct chunk_map *map, u64 logical, u8 *buf,
			u64 len, int mirror);

#endif
