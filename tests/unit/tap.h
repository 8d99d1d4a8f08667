/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * A tiny TAP producer for the C unit tests.  Each test binary prints
 * "ok N - name" / "not ok N - name" lines and a final plan, and exits 1 when
 * anything failed, so tests/run-tests.sh can count results.
 */
#ifndef BTRFS_DAX_TAP_H
#define BTRFS_DAX_TAP_H

#include <stdio.h>
#include <stdarg.h>

static int tap_count;
static int tap_failed;

static inline __attribute__((format(printf, 2, 3)))
int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	return cond;
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed ? 1 : 0;
}

#endif
