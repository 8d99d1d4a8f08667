// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include "common/messages.h"
#include "common/utils.h"

int arg_strtou64(const char *str, u64 *value)
{
	unsigned long long v;
	char *end;

	/* strtoull() would silently wrap "-1" around to the maximum. */
	if (str[0] == '-') {
		error("%s: negative value is invalid", str);
		return -EINVAL;
	}
	errno = 0;
	v = strtoull(str, &end, 0);
	if (*end != '\0') {
		error("%s is not a valid numeric value", str);
		return -EINVAL;
	}
	if (errno == ERANGE || v == ULLONG_MAX) {
		error("%s is too large", str);
		return -EINVAL;
	}
	*value = v;
	return 0;
}
