/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The two crc32c implementations behind btrfs_crc32c(), exposed so tests
 * and benchmarks can exercise each one.  Everything else calls
 * btrfs_crc32c() from csum.h.
 *
 * All of them follow the kernel's crc32c() convention: @crc is the running
 * value, with no inversion on entry or exit.  The standard CRC-32C of a
 * buffer (and the btrfs checksum) is ~f(~0, data, len).
 */
#ifndef BTRFS_DAX_CRC32C_H
#define BTRFS_DAX_CRC32C_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel-shared/ondisk.h"

/* Portable slice-by-8 table implementation; works everywhere. */
u32 btrfs_crc32c_generic(u32 crc, const void *data, size_t len);

/* Whether btrfs_crc32c_sse42() may be called on this CPU. */
bool btrfs_crc32c_sse42_supported(void);
/*
 * The SSE4.2 crc32 instruction, 8 bytes per step.  Call it only when
 * btrfs_crc32c_sse42_supported() says so; on other architectures it falls
 * back to the generic code.
 */
u32 btrfs_crc32c_sse42(u32 crc, const void *data, size_t len);

#endif
