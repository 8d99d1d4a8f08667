/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Private to print-tree.c and print-tree-items.c: one item being printed and
 * the small output helpers both files share.
 */
#ifndef BTRFS_DAX_PRINT_TREE_INTERNAL_H
#define BTRFS_DAX_PRINT_TREE_INTERNAL_H

#include <stdio.h>
#include <string.h>
#include "kernel-shared/print-tree.h"

/*
 * Recently formatted local times: localtime_r() and strftime() cost more
 * than the rest of an inode item, and the four times of an inode are
 * usually the same second.
 */
#define PT_TIME_SLOTS	4
struct pt_time_cache {
	struct {
		u64 sec;
		bool valid;
		char text[32];
	} slot[PT_TIME_SLOTS];
};

/* One leaf item; ptr[0..size) is known to lie inside the leaf. */
struct pt_item {
	struct pt_time_cache *times;	/* shared by the items of one leaf */
	const struct btrfs_fs_info *fs_info;
	struct btrfs_key key;
	const u8 *ptr;
	u32 size;
	unsigned int mode;
};

/* Prints the body of one item (everything after its "item N key" line). */
void pt_print_item(const struct pt_item *it);

/*
 * Copies the first bytes of an item into a fixed-size structure and zeroes
 * what the item is too short to hold, so that no printer reads past an item.
 */
static inline void pt_copy(void *dst, size_t len, const struct pt_item *it)
{
	size_t have = it->size < len ? it->size : len;

	memcpy(dst, it->ptr, have);
	memset((u8 *)dst + have, 0, len - have);
}

/*
 * Output.  The dump tools print millions of lines, and glibc's printf is
 * most of their cost: pt_printf() understands only the conversions these
 * files use (d i u x o c s %, the h hh l ll z length modifiers, a '0' flag
 * and a width) and writes to stdout without taking its lock.
 */
void pt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static inline void pt_putc(char c)
{
	putc_unlocked(c, stdout);
}

static inline void pt_puts(const char *s)
{
	while (*s)
		putc_unlocked(*s++, stdout);
}

/* What printf("%.*s", len, s) prints: up to len bytes, stopping at a NUL. */
static inline void pt_put_bytes(const void *s, u32 len)
{
	const char *p = s;

	while (len-- && *p)
		putc_unlocked(*p++, stdout);
}

/* "c0e437cf-221b-4afc-a1ba-25b88be11f66" into out[37]. */
void pt_uuid_str(const u8 *uuid, char *out);

#endif
