// SPDX-License-Identifier: GPL-2.0-only
/*
 * owners-probe: prints who owns byte ranges of a filesystem, through
 * common/owners.h, for tests/cli/owners.sh.
 *
 *   owners-probe [--json] IMAGE... -- logical START LEN
 *   owners-probe [--json] IMAGE... -- physical DEVID START LEN
 *   owners-probe [--json] IMAGE... -- badblocks DEVID FILE
 *   owners-probe sysfs DEVICE       -> the device's bad ranges, in bytes
 *   owners-probe file FILE          -> the file's bad ranges, in bytes
 *
 * Text output is owner_list_print_text() with two spaces of indent; for
 * badblocks each range first gets a line "range START LEN".  Errors go to
 * stderr with exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common/owners.h"

static int usage(void)
{
	fprintf(stderr, "usage: owners-probe [--json] IMAGE... -- logical START LEN | physical DEVID START LEN | badblocks DEVID FILE\n"
			"       owners-probe sysfs DEVICE | file FILE\n");
	return 1;
}

static int num(const char *s, u64 *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-') {
		fprintf(stderr, "owners-probe: bad number '%s'\n", s);
		return -EINVAL;
	}
	return 0;
}

static void print(const struct owner_list *l, bool json)
{
	if (json)
		owner_list_print_json(stdout, l);
	else
		owner_list_print_text(stdout, l, "  ");
}

static int ranges_print(int ret, struct bad_range *r, u32 nr, const char *err)
{
	u32 i;

	if (ret) {
		fprintf(stderr, "owners-probe: %s\n", err);
		return 1;
	}
	for (i = 0; i < nr; i++)
		printf("%llu %llu\n", (unsigned long long)r[i].start,
		       (unsigned long long)r[i].len);
	free(r);
	return 0;
}

static int query_badblocks(struct btrfs_fs_info *fs_info, u64 devid,
			   const char *file, bool json)
{
	struct owner_list l;
	struct bad_range *r;
	char err[256];
	u32 nr, i;
	int ret = badblocks_read_file(file, &r, &nr, err, sizeof(err));

	if (ret) {
		fprintf(stderr, "owners-probe: %s\n", err);
		return ret;
	}
	if (json)
		fputs("[", stdout);
	for (i = 0; i < nr && !ret; i++) {
		ret = owners_resolve_physical(fs_info, devid, r[i].start,
					      r[i].len, &l);
		if (ret)
			break;
		if (json) {
			printf("%s{\"start\": %llu, \"len\": %llu, \"owners\": ",
			       i ? ",\n" : "\n", (unsigned long long)r[i].start,
			       (unsigned long long)r[i].len);
			owner_list_print_json(stdout, &l);
			fputs("}", stdout);
		} else {
			printf("range %llu %llu\n", (unsigned long long)r[i].start,
			       (unsigned long long)r[i].len);
			print(&l, false);
		}
		owner_list_free(&l);
	}
	if (json)
		fputs("\n]\n", stdout);
	free(r);
	return ret;
}

static int query(struct btrfs_fs_info *fs_info, char **argv, int argc,
		 bool json)
{
	struct owner_list l;
	u64 a, b, c;
	int ret;

	if (argc == 3 && !strcmp(argv[0], "logical")) {
		if (num(argv[1], &a) || num(argv[2], &b))
			return -EINVAL;
		ret = owners_resolve_logical(fs_info, a, b, &l);
	} else if (argc == 4 && !strcmp(argv[0], "physical")) {
		if (num(argv[1], &a) || num(argv[2], &b) || num(argv[3], &c))
			return -EINVAL;
		ret = owners_resolve_physical(fs_info, a, b, c, &l);
	} else if (argc == 3 && !strcmp(argv[0], "badblocks")) {
		if (num(argv[1], &a))
			return -EINVAL;
		return query_badblocks(fs_info, a, argv[2], json);
	} else {
		return usage() ? -EINVAL : 0;
	}
	if (ret)
		return ret;
	print(&l, json);
	owner_list_free(&l);
	return 0;
}

int main(int argc, char **argv)
{
	struct btrfs_open_opts opts;
	struct btrfs_fs_info *fs_info;
	struct bad_range *r = NULL;
	bool json = false;
	char err[256];
	int i = 1, sep, ret;
	u32 nr = 0;

	if (argc == 3 && !strcmp(argv[1], "sysfs")) {
		ret = badblocks_read_sysfs(argv[2], &r, &nr, err, sizeof(err));
		return ranges_print(ret, r, nr, err);
	}
	if (argc == 3 && !strcmp(argv[1], "file")) {
		ret = badblocks_read_file(argv[2], &r, &nr, err, sizeof(err));
		return ranges_print(ret, r, nr, err);
	}
	if (i < argc && !strcmp(argv[i], "--json")) {
		json = true;
		i++;
	}
	for (sep = i; sep < argc && strcmp(argv[sep], "--"); sep++)
		;
	if (sep == i || sep >= argc - 1)
		return usage();
	btrfs_open_opts_init(&opts);
	opts.flags |= BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs((const char *const *)&argv[i], sep - i, &opts,
			    &fs_info);
	if (ret) {
		fprintf(stderr, "owners-probe: cannot open: %s\n", strerror(-ret));
		return 1;
	}
	ret = query(fs_info, &argv[sep + 1], argc - sep - 1, json);
	if (ret && ret != -EINVAL)
		fprintf(stderr, "owners-probe: %s: %s\n", fs_info->err,
			strerror(-ret));
	btrfs_close_fs(fs_info);
	return ret ? 1 : 0;
}
