/* SPDX-License-Identifier: GPL-2.0-only */
/* Text formatting shared by the front ends: UUIDs and sizes. */
#ifndef BTRFS_DAX_FORMAT_H
#define BTRFS_DAX_FORMAT_H

#include <stddef.h>
#include "kernel-shared/ondisk.h"

/* Room for a formatted UUID including the terminating NUL. */
#define FORMAT_UUID_LEN		BTRFS_UUID_UNPARSED_SIZE

/* "01234567-89ab-cdef-0123-456789abcdef", lower case. */
void format_uuid(const u8 uuid[BTRFS_UUID_SIZE], char out[FORMAT_UUID_LEN]);

/* Room for any size formatted by format_size_pretty(). */
#define FORMAT_SIZE_LEN		32

/*
 * Binary-prefixed size with two decimals as stock btrfs-progs prints it:
 * "0.00B", "512.00B", "1.00KiB", "1.50GiB", "16.00EiB".
 */
void format_size_pretty(u64 size, char out[FORMAT_SIZE_LEN]);

#endif
