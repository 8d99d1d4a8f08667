// SPDX-License-Identifier: GPL-2.0-only
/*
 * Checksum items: they do not overlap and cover only data extents.  With
 * --check-data-csum, every copy of every checksummed sector is read and
 * compared; that reads the csum tree a second time, item by item, because
 * the checksums themselves are too many to keep from the walk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/csum.h"
#include "check/check.h"

/* Reports overlaps and merges the checksum ranges in place. */
static void csum_ranges_merge(struct check_ctx *ctx)
{
	struct range_rec *r = ctx->csums.data;
	size_t i, n = 0;

	/* The walk appends them in key order, which is logical order. */
	for (i = 0; i < ctx->csums.nr; i++) {
		if (n && r[i].start < r[n - 1].start + r[n - 1].len) {
			check_report(ctx, PR_CSUM_OVERLAP, &(struct problem_ctx){
				.bytenr = r[i].start });
			if (r[i].start + r[i].len > r[n - 1].start + r[n - 1].len)
				r[n - 1].len = r[i].start + r[i].len - r[n - 1].start;
			continue;
		}
		if (n && r[i].start == r[n - 1].start + r[n - 1].len) {
			r[n - 1].len += r[i].len;
			continue;
		}
		r[n++] = r[i];
	}
	ctx->csums.nr = n;
}

static void csum_uncovered(struct check_ctx *ctx, u64 start, u64 end)
{
	if (end > start)
		check_report(ctx, PR_CSUM_NO_EXTENT, &(struct problem_ctx){
			.bytenr = start, .len = end - start });
}

/* Every checksummed byte must lie in a data extent (both lists sorted). */
static void csums_vs_extents(struct check_ctx *ctx)
{
	const struct range_rec *r = ctx->csums.data;
	const struct extent_rec *e = ctx->extents.data;
	size_t i, j = 0;

	for (i = 0; i < ctx->csums.nr; i++) {
		u64 p = r[i].start, end = r[i].start + r[i].len;

		while (p < end) {
			while (j < ctx->extents.nr &&
			       (!(e[j].flags & BTRFS_EXTENT_FLAG_DATA) ||
				e[j].bytenr + e[j].len <= p))
				j++;
			if (j == ctx->extents.nr || e[j].bytenr >= end) {
				csum_uncovered(ctx, p, end);
				break;
			}
			csum_uncovered(ctx, p, e[j].bytenr);
			p = e[j].bytenr + e[j].len;
		}
	}
}

#define CSUM_READ_MAX (1U << 20)

/* Reads and checks [logical, +nsect sectors) of every copy. */
static void data_verify(struct check_ctx *ctx, u64 logical, const u8 *csums,
			u32 nsect, u8 *buf)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	u32 ss = fs_info->sb.sectorsize, cs = fs_info->sb.csum_size, i;
	const struct chunk_map *map = chunk_map_lookup(fs_info, logical);
	int copies = map ? chunk_map_num_copies(map) : 1, m;

	for (m = 0; m < copies; m++) {
		struct problem_ctx pctx = { .bytenr = logical, .mirror = m + 1,
					    .len = (u64)nsect * ss };
		int ret = btrfs_read_logical(fs_info, logical, buf,
					     (u64)nsect * ss, m);

		if (ret) {
			pctx.str = strerror(-ret);
			check_report(ctx, PR_DATA_READ_ERROR, &pctx);
			continue;
		}
		for (i = 0; i < nsect; i++) {
			u8 sum[BTRFS_CSUM_SIZE];

			btrfs_csum_data(fs_info->sb.csum_type, buf + (size_t)i * ss,
					ss, sum);
			if (memcmp(sum, csums + (size_t)i * cs, cs)) {
				pctx.bytenr = logical + (u64)i * ss;
				pctx.len = ss;
				check_report(ctx, PR_DATA_CSUM_MISMATCH, &pctx);
			}
		}
	}
}

static void csum_item_verify(struct check_ctx *ctx,
			     const struct extent_buffer *leaf, int slot,
			     u64 logical, u8 *buf)
{
	u32 cs = ctx->fs_info->sb.csum_size, ss = ctx->fs_info->sb.sectorsize;
	u32 n = eb_item_size(leaf, slot) / cs, done = 0;
	const u8 *csums = eb_item_ptr(leaf, slot);

	while (done < n && !ctx->fatal) {
		u32 chunk = n - done;

		if ((u64)chunk * ss > CSUM_READ_MAX)
			chunk = CSUM_READ_MAX / ss;
		data_verify(ctx, logical + (u64)done * ss, csums + (size_t)done * cs,
			    chunk, buf);
		done += chunk;
	}
}

static void data_csums_verify(struct check_ctx *ctx)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	struct btrfs_root root;
	struct btrfs_key key = { BTRFS_EXTENT_CSUM_OBJECTID,
				 BTRFS_EXTENT_CSUM_KEY, 0 };
	struct btrfs_path path;
	u8 *buf = malloc(CSUM_READ_MAX);
	int ret;

	if (!buf) {
		check_oom(ctx);
		return;
	}
	btrfs_path_init(&path);
	ret = btrfs_read_root(fs_info, BTRFS_CSUM_TREE_OBJECTID, &root, NULL);
	if (!ret)
		ret = btrfs_search_slot(fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] && !ctx->fatal &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.type == BTRFS_EXTENT_CSUM_KEY)
			csum_item_verify(ctx, path.nodes[0], path.slots[0],
					 key.offset, buf);
		if (btrfs_next_item(fs_info, &path))
			break;
	}
	btrfs_path_release(&path);
	free(buf);
}

void csums_prepare(struct check_ctx *ctx)
{
	csum_ranges_merge(ctx);
}

void csums_check(struct check_ctx *ctx)
{
	csums_vs_extents(ctx);
	if (ctx->opts->check_data_csum)
		data_csums_verify(ctx);
}
