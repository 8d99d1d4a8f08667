// SPDX-License-Identifier: GPL-2.0-only
/*
 * libbtrfs-probe: prints what the public libbtrfs-dax API sees, in forms the
 * shell test compares with the kernel's and stock btrfs-progs' answers.
 * It uses the installed header only, so it also serves as the pkg-config
 * smoke test's program.
 *
 *   libbtrfs-probe [-s SUBVOL] IMAGE super
 *   libbtrfs-probe [-s SUBVOL] IMAGE lookup PATH    -> "SUBVOL INO"
 *   libbtrfs-probe [-s SUBVOL] IMAGE stat PATH      -> as stat -c '%i %s %h %f'
 *   libbtrfs-probe [-s SUBVOL] IMAGE flags PATH     -> inode flags, decoded
 *   libbtrfs-probe [-s SUBVOL] IMAGE extents PATH   -> one line per extent
 *   libbtrfs-probe IMAGE iter TREE [OBJECTID TYPE OFFSET] -> one line per item
 *
 * -d DEVICE (repeated) adds the other devices of a multi-device filesystem.
 *
 * A failing call prints "error -ERRNO TEXT" on stdout and exits 2.
 */
#if __has_include(<btrfs-dax.h>)
#include <btrfs-dax.h>
#else
#include "libbtrfs/btrfs-dax.h"
#endif
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int fail(struct btrfs_dax_fs *fs, int ret)
{
	printf("error %d %s\n", ret, btrfs_dax_last_error(fs));
	return 2;
}

static void print_uuid(const char *name, const uint8_t *u)
{
	int i;

	printf("%s ", name);
	for (i = 0; i < 16; i++)
		printf("%s%02x", (i == 4 || i == 6 || i == 8 || i == 10) ?
		       "-" : "", u[i]);
	putchar('\n');
}

static int cmd_super(struct btrfs_dax_fs *fs)
{
	struct btrfs_dax_super_info si;
	int ret = btrfs_dax_get_super_info(fs, &si);

	if (ret)
		return fail(fs, ret);
	print_uuid("fsid", si.fsid);
	print_uuid("metadata_uuid", si.metadata_uuid);
	printf("label %s\n", si.label);
	printf("generation %" PRIu64 "\n", si.generation);
	printf("total_bytes %" PRIu64 "\n", si.total_bytes);
	printf("bytes_used %" PRIu64 "\n", si.bytes_used);
	printf("num_devices %" PRIu64 "\n", si.num_devices);
	printf("nodesize %u\nsectorsize %u\ncsum_type %u\n", si.nodesize,
	       si.sectorsize, si.csum_type);
	printf("compat_flags 0x%" PRIx64 "\n", si.compat_flags);
	printf("compat_ro_flags 0x%" PRIx64 "\n", si.compat_ro_flags);
	printf("incompat_flags 0x%" PRIx64 "\n", si.incompat_flags);
	printf("dax_layout %d\nhas_dax_inodes %d\n", si.dax_layout,
	       si.has_dax_inodes);
	return 0;
}

static int path_inode(struct btrfs_dax_fs *fs, uint64_t subvol,
		      const char *path, struct btrfs_dax_inode *inode,
		      uint64_t *sv)
{
	uint64_t ino;
	int ret = btrfs_dax_lookup(fs, subvol, path, sv, &ino);

	if (!ret)
		ret = btrfs_dax_inode_get(fs, *sv, ino, inode);
	return ret;
}

static int print_extent(const struct btrfs_dax_extent *e, void *ctx)
{
	(void)ctx;
	printf("%" PRIu64 " %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
	       " %" PRIu64 " %u %" PRIu64 " %" PRIu64 " %d\n",
	       e->file_offset, e->type, e->disk_bytenr, e->disk_num_bytes,
	       e->extent_offset, e->num_bytes, e->ram_bytes, e->compression,
	       e->devid, e->physical, e->pmd_aligned);
	return 0;
}

static int cmd_path(struct btrfs_dax_fs *fs, uint64_t subvol, const char *cmd,
		    const char *path)
{
	struct btrfs_dax_inode in;
	uint64_t sv;
	int ret = path_inode(fs, subvol, path, &in, &sv);

	if (ret)
		return fail(fs, ret);
	if (!strcmp(cmd, "lookup")) {
		printf("%" PRIu64 " %" PRIu64 "\n", sv, in.ino);
	} else if (!strcmp(cmd, "stat")) {
		printf("%" PRIu64 " %" PRIu64 " %u %x\n", in.ino, in.size,
		       in.nlink, in.mode);
	} else if (!strcmp(cmd, "flags")) {
		printf("flags 0x%" PRIx64 " dax %d nodatacow %d nodatasum %d compress %d\n",
		       in.flags, in.dax, in.nodatacow, in.nodatasum,
		       in.compress);
	} else {
		ret = btrfs_dax_file_extents(fs, sv, in.ino, print_extent, NULL);
		if (ret)
			return fail(fs, ret);
	}
	return 0;
}

static int cmd_iter(struct btrfs_dax_fs *fs, int argc, char **argv)
{
	struct btrfs_dax_key min = { 0, 0, 0 }, key;
	struct btrfs_dax_iter *it;
	uint32_t size;
	int ret;

	if (argc == 4) {
		min.objectid = strtoull(argv[1], NULL, 0);
		min.type = (uint8_t)strtoul(argv[2], NULL, 0);
		min.offset = strtoull(argv[3], NULL, 0);
	}
	ret = btrfs_dax_iter_open(fs, strtoull(argv[0], NULL, 0),
				  argc == 4 ? &min : NULL, &it);
	if (ret)
		return fail(fs, ret);
	while ((ret = btrfs_dax_iter_next(it, &key, NULL, &size)) == 0)
		printf("%" PRIu64 " %u %" PRIu64 " %u\n", key.objectid,
		       key.type, key.offset, size);
	btrfs_dax_iter_close(it);
	return ret < 0 ? fail(fs, ret) : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: libbtrfs-probe [-s SUBVOL] [-d DEVICE]... IMAGE "
		"super|lookup|stat|flags|extents|iter ARGS\n");
	return 1;
}

static int run(struct btrfs_dax_fs *fs, uint64_t subvol, int argc,
	       char **argv)
{
	const char *cmd = argv[0];

	if (!strcmp(cmd, "super") && argc == 1)
		return cmd_super(fs);
	if (!strcmp(cmd, "iter") && (argc == 2 || argc == 5))
		return cmd_iter(fs, argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(cmd, "lookup") || !strcmp(cmd, "stat") ||
			  !strcmp(cmd, "flags") || !strcmp(cmd, "extents")))
		return cmd_path(fs, subvol, cmd, argv[1]);
	return usage();
}

int main(int argc, char **argv)
{
	struct btrfs_dax_fs *fs;
	uint64_t subvol = 0;
	const char *paths[16];
	int opt, ret, npaths = 1;

	while ((opt = getopt(argc, argv, "+s:d:")) != -1) {
		if (opt == 's')
			subvol = strtoull(optarg, NULL, 0);
		else if (opt == 'd' && npaths < 16)
			paths[npaths++] = optarg;
		else
			return usage();
	}
	if (argc - optind < 2)
		return usage();
	paths[0] = argv[optind];
	ret = btrfs_dax_open(paths, npaths, BTRFS_DAX_OPEN_NOSCAN, &fs);
	if (ret)
		return fail(NULL, ret);
	ret = run(fs, subvol, argc - optind - 1, argv + optind + 1);
	btrfs_dax_close(fs);
	return ret;
}
