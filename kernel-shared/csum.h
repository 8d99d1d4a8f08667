/* SPDX-License-Identifier: GPL-2.0-only */
/* The one checksum dispatch for metadata, superblocks and data. */
#ifndef BTRFS_DAX_CSUM_H
#define BTRFS_DAX_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel-shared/ondisk.h"

/* Size in bytes of a checksum of this type, or 0 for an unknown type. */
u16 btrfs_csum_type_size(u16 csum_type);
/* "crc32c", "xxhash64", "sha256", "blake2b", or NULL for an unknown type. */
const char *btrfs_csum_type_name(u16 csum_type);
bool btrfs_csum_type_valid(u16 csum_type);

/* Fills out[0..size) and zeroes the rest up to BTRFS_CSUM_SIZE. */
int btrfs_csum_data(u16 csum_type, const void *data, size_t len,
		    u8 out[BTRFS_CSUM_SIZE]);

/* crc32c (Castagnoli), hardware-accelerated when the CPU allows. */
u32 btrfs_crc32c(u32 seed, const void *data, size_t len);
/* The name of the implementation picked at run time ("sse4.2", "generic"). */
const char *btrfs_crc32c_impl(void);

/*
 * The format's hashes, crc32c without the final inversion: of a name in a
 * DIR_ITEM or XATTR_ITEM key (seeded with ~1), of an INODE_EXTREF key
 * (seeded with the parent directory), and of an EXTENT_DATA_REF key.
 */
u64 btrfs_name_hash(const void *name, size_t len);
u64 btrfs_extref_hash(u64 parent, const void *name, size_t len);
u64 btrfs_extent_data_ref_hash(u64 root, u64 objectid, u64 offset);

/* Known-answer tests of every algorithm; 0 when all pass, -EIO otherwise. */
int btrfs_csum_selftest(void);

#endif
