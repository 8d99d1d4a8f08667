// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: btrfs check, in process, on a seed image whose tree
 * blocks the input damages.  Built by `make fuzz` (clang only).
 *
 *   FUZZ_CHECK_IMAGE=seed.img tests/fuzz/fuzz-check -close_fd_mask=3 [CORPUS]
 *
 * The seed is read once; its tree blocks are found by scanning it for
 * blocks whose header carries the filesystem's fsid and a valid checksum
 * (so a seed with single metadata is the useful kind).  Each input is
 *
 *   byte 0        flags: 1 keep the checksums wrong, 2 --check-data-csum,
 *                 4 --json, 8 a tiny memory budget (spilling), 16 the
 *                 first record damages the primary superblock
 *   then records  u16 block index, u16 offset, u8 length (1..16), bytes
 *
 * Block index and offset wrap around; at most 16 records.  The damaged
 * blocks get their checksum recomputed (unless flag 1), are written to an
 * in-memory copy of the image (a memfd), the check runs on it with its
 * output going wherever stdout and stderr go (-close_fd_mask=3 closes
 * them), and the blocks are put back.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kernel-shared/csum.h"
#include "check/check.h"

#define MAX_EDITS 16

static u8 *image;
static size_t image_len;
static u64 *blocks;		/* file offsets of tree blocks, then the super */
static size_t nr_blocks;
static u32 nodesize;
static u16 csum_type;
static int work_fd = -1;
static char work_path[64];

static void die(const char *why)
{
	fprintf(stderr, "fuzz-check: %s\n", why);
	exit(1);
}

static void image_load(const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		die("cannot open FUZZ_CHECK_IMAGE");
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 ||
	    fseek(f, 0, SEEK_SET))
		die("cannot size the seed image");
	image_len = (size_t)len;
	image = malloc(image_len);
	if (!image || fread(image, 1, image_len, f) != image_len)
		die("cannot read the seed image");
	fclose(f);
}

static bool block_is_tree(const struct btrfs_super_block *sb, size_t off)
{
	const struct btrfs_header *h = (const void *)(image + off);
	u8 csum[BTRFS_CSUM_SIZE];

	if (memcmp(h->fsid, sb->fsid, BTRFS_FSID_SIZE) &&
	    memcmp(h->fsid, sb->metadata_uuid, BTRFS_FSID_SIZE))
		return false;
	if (btrfs_csum_data(csum_type, image + off + BTRFS_CSUM_SIZE,
			    nodesize - BTRFS_CSUM_SIZE, csum))
		return false;
	return !memcmp(csum, h->csum, btrfs_csum_type_size(csum_type));
}

static void blocks_find(void)
{
	const struct btrfs_super_block *sb;
	size_t off;

	if (image_len < BTRFS_SUPER_INFO_OFFSET + sizeof(*sb))
		die("the seed image is too small");
	sb = (const void *)(image + BTRFS_SUPER_INFO_OFFSET);
	nodesize = le32_to_cpu(sb->nodesize);
	csum_type = le16_to_cpu(sb->csum_type);
	if (nodesize < 4096 || nodesize > 65536 || (nodesize & (nodesize - 1)) ||
	    !btrfs_csum_type_valid(csum_type))
		die("the seed image has no usable superblock");
	blocks = malloc((image_len / nodesize + 2) * sizeof(*blocks));
	if (!blocks)
		die("out of memory");
	for (off = 0; off + nodesize <= image_len; off += nodesize)
		if (off != BTRFS_SUPER_INFO_OFFSET && block_is_tree(sb, off))
			blocks[nr_blocks++] = off;
	if (!nr_blocks)
		die("no tree blocks found in the seed image");
	blocks[nr_blocks] = BTRFS_SUPER_INFO_OFFSET;
}

/* Bytes of block b: a tree block, or the superblock. */
static size_t block_size(size_t b)
{
	return b == nr_blocks ? BTRFS_SUPER_INFO_SIZE : nodesize;
}

static void write_at(const void *buf, size_t len, u64 off)
{
	if (pwrite(work_fd, buf, len, (off_t)off) != (ssize_t)len)
		die("cannot write the working image");
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *path = getenv("FUZZ_CHECK_IMAGE");

	if (!path)
		die("set FUZZ_CHECK_IMAGE to a seed image");
	image_load(path);
	blocks_find();
	work_fd = memfd_create("fuzz-check", MFD_CLOEXEC);
	if (work_fd < 0)
		die("memfd_create failed");
	write_at(image, image_len, 0);
	snprintf(work_path, sizeof(work_path), "/proc/self/fd/%d", work_fd);
	fprintf(stderr, "fuzz-check: %zu tree blocks of %u bytes in the seed\n",
		nr_blocks, nodesize);
	return 0;
}

struct edit {
	size_t block;
	u8 *buf;
};

/* The edited copy of block b, made on first use; NULL past MAX_EDITS. */
static u8 *edit_block(struct edit *edits, int *n, size_t b)
{
	int i;

	for (i = 0; i < *n; i++)
		if (edits[i].block == b)
			return edits[i].buf;
	if (*n == MAX_EDITS)
		return NULL;
	edits[*n].block = b;
	edits[*n].buf = malloc(block_size(b));
	if (!edits[*n].buf)
		return NULL;
	memcpy(edits[*n].buf, image + blocks[b], block_size(b));
	return edits[(*n)++].buf;
}

static void run_check(u8 flags)
{
	struct check_opts opts;
	struct btrfs_open_opts open_opts;
	const char *paths[] = { work_path };

	check_opts_init(&opts, &open_opts);
	opts.check_data_csum = flags & 2;
	opts.json = flags & 4;
	if (flags & 8)
		opts.mem_budget = 512;
	check_devices(paths, 1, &opts, &open_opts);
	fflush(stdout);
	fflush(stderr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct edit edits[MAX_EDITS];
	int n = 0, i;
	size_t p = 1;
	u8 flags;

	if (!size)
		return 0;
	flags = data[0];
	while (p + 5 <= size) {
		size_t b = (data[p] | (size_t)data[p + 1] << 8) % nr_blocks;
		size_t off;
		size_t len = data[p + 4] % 16 + 1;
		u8 *buf;

		if ((flags & 16) && p == 1)
			b = nr_blocks;
		off = (data[p + 2] | (size_t)data[p + 3] << 8) % block_size(b);
		p += 5;
		if (len > size - p)
			len = size - p;
		if (len > block_size(b) - off)
			len = block_size(b) - off;
		buf = edit_block(edits, &n, b);
		if (!buf)
			break;
		memcpy(buf + off, data + p, len);
		p += len;
	}
	for (i = 0; i < n; i++) {
		size_t len = block_size(edits[i].block);

		if (!(flags & 1))
			btrfs_csum_data(csum_type, edits[i].buf + BTRFS_CSUM_SIZE,
					len - BTRFS_CSUM_SIZE, edits[i].buf);
		write_at(edits[i].buf, len, blocks[edits[i].block]);
	}
	run_check(flags);
	for (i = 0; i < n; i++) {
		write_at(image + blocks[edits[i].block],
			 block_size(edits[i].block), blocks[edits[i].block]);
		free(edits[i].buf);
	}
	return 0;
}
