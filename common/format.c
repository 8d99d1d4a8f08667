// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>
#include "common/format.h"

void format_uuid(const u8 uuid[BTRFS_UUID_SIZE], char out[FORMAT_UUID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char *p = out;
	int i;

	for (i = 0; i < BTRFS_UUID_SIZE; i++) {
		/* Dashes after bytes 4, 6, 8 and 10: the 8-4-4-4-12 groups. */
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = hex[uuid[i] >> 4];
		*p++ = hex[uuid[i] & 0xf];
	}
	*p = '\0';
}

void format_size_pretty(u64 size, char out[FORMAT_SIZE_LEN])
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	unsigned int unit = 0;
	u64 whole = size;

	/* Pick the largest unit that leaves at least 1 before the point. */
	while (whole >= 1024 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		whole >>= 10;
		unit++;
	}
	if (unit == 0) {
		snprintf(out, FORMAT_SIZE_LEN, "%llu.00B", (unsigned long long)size);
		return;
	}
	snprintf(out, FORMAT_SIZE_LEN, "%.2f%s",
		 (double)size / (double)(1ULL << (10 * unit)), units[unit]);
}
