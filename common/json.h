/* SPDX-License-Identifier: GPL-2.0-only */
/* JSON output helpers shared by the front ends. */
#ifndef BTRFS_DAX_JSON_H
#define BTRFS_DAX_JSON_H

#include <stdio.h>

/*
 * Writes s as a quoted JSON string: valid UTF-8 passes through, quotes and
 * backslashes are escaped, control characters and bytes that are not UTF-8
 * come out as \u00XX.
 */
void json_write_string(FILE *f, const char *s);

#endif
