// SPDX-License-Identifier: GPL-2.0-only
/*
 * Bad block lists: "first-sector count" lines in 512-byte sectors, from a
 * file or from the kernel's badblocks attribute of a disk in sysfs.
 *
 * The sysfs root is /sys; the environment variable BTRFS_DAX_SYSFS_ROOT
 * replaces it, so that tests can feed a fake tree to the same code.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "common/owners.h"

#define SECTOR_SHIFT	9

struct range_vec {
	struct bad_range *r;
	u32 nr, alloc;
};

static int range_push(struct range_vec *v, u64 start, u64 len)
{
	if (v->nr == v->alloc) {
		u32 n = v->alloc ? v->alloc * 2 : 16;
		struct bad_range *tmp = realloc(v->r, n * sizeof(*tmp));

		if (!tmp)
			return -ENOMEM;
		v->r = tmp;
		v->alloc = n;
	}
	v->r[v->nr].start = start;
	v->r[v->nr].len = len;
	v->nr++;
	return 0;
}

/* Parses one unsigned decimal number at *p and skips blanks after it. */
static bool parse_num(const char **p, u64 *val)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return false;
	errno = 0;
	*val = strtoull(*p, &end, 10);
	if (errno)
		return false;
	*p = end;
	while (**p == ' ' || **p == '\t')
		(*p)++;
	return true;
}

/* One line: blank (0, nothing), a range (1), or malformed (-EINVAL). */
static int parse_line(const char *line, u64 *sector, u64 *count)
{
	const char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\n' || *p == '\0')
		return 0;
	if (!parse_num(&p, sector) || !parse_num(&p, count))
		return -EINVAL;
	if (*p != '\n' && *p != '\0')
		return -EINVAL;
	if (*count == 0 || *sector > (UINT64_MAX >> SECTOR_SHIFT) ||
	    *count > (UINT64_MAX >> SECTOR_SHIFT) - *sector)
		return -EINVAL;
	return 1;
}

/*
 * Reads sector ranges from f; keeps the part of each inside the window of
 * win_len sectors at win_start, relative to it, in bytes.
 */
static int ranges_read(FILE *f, const char *name, u64 win_start, u64 win_len,
		       struct range_vec *v, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0;
	u32 lineno = 0;
	u64 s, c, e;
	int ret = 0;

	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		ret = parse_line(line, &s, &c);
		if (ret < 0) {
			snprintf(err, errlen,
				 "%s:%u: malformed line, want \"first-sector count\"",
				 name, lineno);
			break;
		}
		if (ret == 0)
			continue;
		ret = 0;
		e = s + c;
		if (e <= win_start || s >= win_start + win_len)
			continue;
		if (s < win_start)
			s = win_start;
		if (e > win_start + win_len)
			e = win_start + win_len;
		ret = range_push(v, (s - win_start) << SECTOR_SHIFT,
				 (e - s) << SECTOR_SHIFT);
		if (ret) {
			snprintf(err, errlen, "out of memory");
			break;
		}
	}
	if (!ret && ferror(f)) {
		ret = -EIO;
		snprintf(err, errlen, "cannot read '%s': %s", name,
			 strerror(EIO));
	}
	free(line);
	return ret;
}

static int ranges_read_path(const char *path, u64 win_start, u64 win_len,
			    struct bad_range **ret, u32 *nr, char *err,
			    size_t errlen)
{
	struct range_vec v = { NULL, 0, 0 };
	FILE *f = fopen(path, "r");
	int r;

	*ret = NULL;
	*nr = 0;
	if (!f) {
		r = -errno;
		snprintf(err, errlen, "cannot open '%s': %s", path,
			 strerror(errno));
		return r;
	}
	r = ranges_read(f, path, win_start, win_len, &v, err, errlen);
	fclose(f);
	if (r) {
		free(v.r);
		return r;
	}
	*ret = v.r;
	*nr = v.nr;
	return 0;
}

int badblocks_read_file(const char *path, struct bad_range **ret, u32 *nr,
			char *err, size_t errlen)
{
	return ranges_read_path(path, 0, UINT64_MAX >> SECTOR_SHIFT, ret, nr, err,
				errlen);
}

/* Reads one number from a sysfs attribute file. */
static int sysfs_read_u64(const char *dir, const char *attr, u64 *val)
{
	char path[PATH_MAX + 64];
	unsigned long long v;
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	ret = fscanf(f, "%llu", &v) == 1 ? 0 : -EINVAL;
	fclose(f);
	if (!ret)
		*val = v;
	return ret;
}

int badblocks_read_sysfs(const char *devpath, struct bad_range **ret, u32 *nr,
			 char *err, size_t errlen)
{
	const char *root = getenv("BTRFS_DAX_SYSFS_ROOT");
	char link[PATH_MAX], dir[PATH_MAX], file[PATH_MAX + 16], *slash;
	u64 start = 0, size = UINT64_MAX >> SECTOR_SHIFT;
	struct stat st;

	*ret = NULL;
	*nr = 0;
	if (stat(devpath, &st)) {
		int r = -errno;

		snprintf(err, errlen, "cannot stat '%s': %s", devpath,
			 strerror(errno));
		return r;
	}
	if (!S_ISBLK(st.st_mode))
		return 0;
	snprintf(link, sizeof(link), "%s/dev/block/%u:%u", root ? root : "/sys",
		 major(st.st_rdev), minor(st.st_rdev));
	if (!realpath(link, dir))
		return 0;
	/* A partition: its disk is the parent directory and keeps the list. */
	snprintf(file, sizeof(file), "%s/partition", dir);
	if (access(file, F_OK) == 0) {
		if (sysfs_read_u64(dir, "start", &start) ||
		    sysfs_read_u64(dir, "size", &size)) {
			snprintf(err, errlen, "cannot read the start and size of partition '%s'",
				 dir);
			return -EINVAL;
		}
		slash = strrchr(dir, '/');
		if (!slash || slash == dir)
			return 0;
		*slash = '\0';
	}
	snprintf(file, sizeof(file), "%s/badblocks", dir);
	if (access(file, F_OK))
		return 0;
	return ranges_read_path(file, start, size, ret, nr, err, errlen);
}
