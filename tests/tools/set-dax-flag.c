// SPDX-License-Identifier: GPL-2.0-only
/*
 * set-dax-flag: gives inodes of an unmounted image the DAX flag in place,
 * until a write-side engine can.  For tests only.
 *
 *   set-dax-flag IMAGE LEAF:INO [LEAF:INO...]
 *
 * LEAF is the logical address of the leaf that holds inode INO's
 * INODE_ITEM (the test takes it from stock dump-tree).  In every copy of
 * that leaf bit 57 of the inode's flags field is set (ro_flags bit 25,
 * BTRFS_INODE_RO_DAX) and the block's checksum recomputed; then every
 * superblock copy gets COMPAT_RO_DAX (compat_ro bit 32) and a new
 * checksum.  The engine maps logical to physical addresses; the blocks are
 * read and written raw, so the tool works on blocks the engine's verifier
 * would refuse too.  Single-device images only.  Prints one line per
 * changed block; exits 1 on any failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"

#define DAX_FLAG_BIT	57

static int block_csum_set(u16 csum_type, u8 *data, u32 len)
{
	u8 csum[BTRFS_CSUM_SIZE];
	int ret;

	ret = btrfs_csum_data(csum_type, data + BTRFS_CSUM_SIZE,
			      len - BTRFS_CSUM_SIZE, csum);
	if (ret)
		return ret;
	memcpy(data, csum, BTRFS_CSUM_SIZE);
	return 0;
}

static int io_full(int fd, void *buf, size_t len, u64 off, bool write)
{
	ssize_t n = write ? pwrite(fd, buf, len, (off_t)off) :
			    pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Sets the DAX bit of ino's INODE_ITEM in the leaf image eb. */
static int leaf_patch(struct extent_buffer *eb, u64 ino)
{
	u32 i, nr;

	if (btrfs_header_level(eb_header(eb)) != 0)
		return -EINVAL;
	nr = eb_nritems(eb);
	if (nr > eb->len / sizeof(struct btrfs_item))
		return -EUCLEAN;
	for (i = 0; i < nr; i++) {
		struct btrfs_inode_item *ii;
		struct btrfs_key key;

		eb_item_key(eb, &key, (int)i);
		if (key.objectid != ino || key.type != BTRFS_INODE_ITEM_KEY)
			continue;
		if (eb_item_size(eb, (int)i) < sizeof(*ii) ||
		    sizeof(struct btrfs_header) + eb_item_offset(eb, (int)i) +
		    sizeof(*ii) > eb->len)
			return -EUCLEAN;
		ii = eb_item_ptr_type(eb, (int)i, struct btrfs_inode_item);
		btrfs_set_inode_flags(ii, btrfs_inode_flags(ii) |
				      (1ULL << DAX_FLAG_BIT));
		return 0;
	}
	return -ENOENT;
}

/* Patches one copy of the leaf at (fd, physical). */
static int copy_patch(struct btrfs_fs_info *fs_info, int fd, u64 physical,
		      u64 leaf, u64 ino)
{
	u32 len = fs_info->sb.nodesize;
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + len);
	int ret;

	if (!eb)
		return -ENOMEM;
	eb->start = leaf;
	eb->len = len;
	ret = io_full(fd, eb->data, len, physical, false);
	if (!ret && btrfs_header_bytenr(eb_header(eb)) != leaf)
		ret = -EINVAL;
	if (!ret)
		ret = leaf_patch(eb, ino);
	if (!ret)
		ret = block_csum_set(fs_info->sb.csum_type, eb->data, len);
	if (!ret)
		ret = io_full(fd, eb->data, len, physical, true);
	free(eb);
	return ret;
}

/* Every copy of leaf; the device is the image itself (fd). */
static int leaf_set_dax(struct btrfs_fs_info *fs_info, int fd, u64 leaf,
			u64 ino)
{
	struct chunk_map *map = chunk_map_lookup(fs_info, leaf);
	struct btrfs_io_copy copy;
	int i, n, ret;
	u64 contig;

	if (!map) {
		fprintf(stderr, "leaf %llu is outside every chunk\n",
			(unsigned long long)leaf);
		return -ENOENT;
	}
	memset(&copy, 0, sizeof(copy));
	n = chunk_map_num_copies(map);
	for (i = 0; i < n; i++) {
		ret = chunk_map_locate(map, leaf, i, &copy, &contig);
		if (!ret && contig < fs_info->sb.nodesize)
			ret = -EINVAL;
		if (!ret)
			ret = copy_patch(fs_info, fd, copy.physical, leaf, ino);
		if (ret) {
			fprintf(stderr, "leaf %llu copy %d (physical %llu), inode %llu: %s\n",
				(unsigned long long)leaf, i,
				(unsigned long long)copy.physical,
				(unsigned long long)ino, strerror(-ret));
			return ret;
		}
		printf("leaf %llu copy %d physical %llu: inode %llu DAX\n",
		       (unsigned long long)leaf, i,
		       (unsigned long long)copy.physical,
		       (unsigned long long)ino);
	}
	return 0;
}

/* COMPAT_RO_DAX in every superblock copy that fits on the device. */
static int supers_set_compat_ro(int fd, u64 size)
{
	u8 buf[BTRFS_SUPER_INFO_SIZE];
	struct btrfs_super_block *sb = (struct btrfs_super_block *)buf;
	int i, ret;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 off = btrfs_sb_offset(i);

		if (off + BTRFS_SUPER_INFO_SIZE > size)
			break;
		ret = io_full(fd, buf, sizeof(buf), off, false);
		if (ret)
			return ret;
		if (btrfs_super_magic(sb) != BTRFS_MAGIC)
			continue;
		btrfs_set_super_compat_ro_flags(sb, btrfs_super_compat_ro_flags(sb) |
						BTRFS_FEATURE_COMPAT_RO_DAX);
		ret = block_csum_set(btrfs_super_csum_type(sb), buf, sizeof(buf));
		if (!ret)
			ret = io_full(fd, buf, sizeof(buf), off, true);
		if (ret)
			return ret;
		printf("superblock %d: COMPAT_RO_DAX\n", i);
	}
	return 0;
}

static int parse_pair(const char *arg, u64 *leaf, u64 *ino)
{
	char *end;

	errno = 0;
	*leaf = strtoull(arg, &end, 0);
	if (errno || end == arg || *end != ':')
		return -EINVAL;
	arg = end + 1;
	*ino = strtoull(arg, &end, 0);
	if (errno || end == arg || *end)
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct btrfs_fs_info *fs_info = NULL;
	struct btrfs_open_opts opts;
	u64 leaf, ino;
	int fd, i, ret;
	off_t size;

	if (argc < 3) {
		fprintf(stderr, "usage: set-dax-flag IMAGE LEAF:INO [LEAF:INO...]\n");
		return 1;
	}
	btrfs_open_opts_init(&opts);
	opts.flags = BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs((const char *const *)&argv[1], 1, &opts, &fs_info);
	if (ret) {
		fprintf(stderr, "cannot open '%s': %s\n", argv[1],
			fs_info && fs_info->err[0] ? fs_info->err : strerror(-ret));
		btrfs_close_fs(fs_info);
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "cannot open '%s' for writing: %m\n", argv[1]);
		btrfs_close_fs(fs_info);
		return 1;
	}
	for (i = 2; i < argc && !ret; i++) {
		ret = parse_pair(argv[i], &leaf, &ino);
		if (ret)
			fprintf(stderr, "'%s' is not LEAF:INO\n", argv[i]);
		else
			ret = leaf_set_dax(fs_info, fd, leaf, ino);
	}
	size = lseek(fd, 0, SEEK_END);
	if (!ret)
		ret = size < 0 ? -errno : supers_set_compat_ro(fd, (u64)size);
	if (!ret && fsync(fd))
		ret = -errno;
	if (ret)
		fprintf(stderr, "set-dax-flag failed: %s\n", strerror(-ret));
	close(fd);
	btrfs_close_fs(fs_info);
	return ret ? 1 : 0;
}
