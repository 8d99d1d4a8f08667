/* SPDX-License-Identifier: GPL-2.0-only */
/* User-facing messages for the front ends: "ERROR: ...", "WARNING: ...". */
#ifndef BTRFS_DAX_MESSAGES_H
#define BTRFS_DAX_MESSAGES_H

#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))

void error(const char *fmt, ...) PRINTF_FMT(1, 2);
void warning(const char *fmt, ...) PRINTF_FMT(1, 2);
/* Printed only when verbose output was asked for. */
void pr_verbose(const char *fmt, ...) PRINTF_FMT(1, 2);
void messages_set_verbose(int level);
int messages_verbose(void);

#endif
