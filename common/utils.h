/* SPDX-License-Identifier: GPL-2.0-only */
/* Small front-end helpers: parsing command line values. */
#ifndef BTRFS_DAX_UTILS_H
#define BTRFS_DAX_UTILS_H

#include "kernel-shared/ondisk.h"

/*
 * Parse an unsigned number in C syntax (decimal, 0x hex, 0 octal), as
 * stock btrfs-progs accepts it.  Prints an error and returns -EINVAL when
 * the string is negative, not a number, or too large.
 */
int arg_strtou64(const char *str, u64 *value);

#endif
