// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad block lists (stubs until the implementation lands).
 */
#include <errno.h>
#include <stdio.h>
#include "common/owners.h"

int badblocks_read_file(const char *path, struct bad_range **ret, u32 *nr,
			char *err, size_t errlen)
{
	*ret = NULL;
	*nr = 0;
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}

int badblocks_read_sysfs(const char *devpath, struct bad_range **ret, u32 *nr,
			 char *err, size_t errlen)
{
	*ret = NULL;
	*nr = 0;
	snprintf(err, errlen, "not implemented");
	return -ENOSYS;
}
