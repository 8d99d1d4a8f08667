// SPDX-License-Identifier: GPL-2.0-only
/*
 * Chunks against device extents and device items, chunks against block
 * groups, and the DAX-aligned layout rules.  Every list is sorted and
 * merged; nothing here looks anything up one record at a time.
 */
#include <string.h>
#include "check/check.h"

#define DAX_ALIGN (2ULL << 20)

u64 chunk_stripe_length(u64 length, u64 type, u32 num_stripes,
			u32 sub_stripes)
{
	u64 data = 1;

	if (type & BTRFS_BLOCK_GROUP_RAID0)
		data = num_stripes;
	else if (type & BTRFS_BLOCK_GROUP_RAID10)
		data = sub_stripes ? num_stripes / sub_stripes : 0;
	else if (type & BTRFS_BLOCK_GROUP_RAID5)
		data = num_stripes > 1 ? num_stripes - 1 : 0;
	else if (type & BTRFS_BLOCK_GROUP_RAID6)
		data = num_stripes > 2 ? num_stripes - 2 : 0;
	return data ? length / data : 0;
}

static int stripe_cmp(const void *a, const void *b)
{
	const struct stripe_rec *x = a, *y = b;

	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	if (x->physical != y->physical)
		return x->physical < y->physical ? -1 : 1;
	return 0;
}

static int dev_extent_cmp(const void *a, const void *b)
{
	const struct dev_extent_rec *x = a, *y = b;

	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	if (x->physical != y->physical)
		return x->physical < y->physical ? -1 : 1;
	return 0;
}

static int dev_cmp(const void *a, const void *b)
{
	const struct dev_rec *x = a, *y = b;

	return x->devid < y->devid ? -1 : x->devid > y->devid;
}

static int chunk_cmp(const void *a, const void *b)
{
	const struct chunk_rec *x = a, *y = b;

	return x->logical < y->logical ? -1 : x->logical > y->logical;
}

static int bg_cmp(const void *a, const void *b)
{
	const struct bg_rec *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* A stripe and the device extent at the same place must describe each other. */
static void stripe_match(struct check_ctx *ctx, const struct stripe_rec *s,
			 const struct dev_extent_rec *de)
{
	struct problem_ctx pctx = { .devid = s->devid, .physical = s->physical,
				    .bytenr = s->logical, .index = (int)s->index };

	if (!de) {
		check_report(ctx, PR_CHUNK_NO_DEV_EXTENT, &pctx);
		return;
	}
	if (de->chunk_offset != s->logical) {
		pctx.have = de->chunk_offset;
		check_report(ctx, PR_DEV_EXTENT_WRONG_CHUNK, &pctx);
	} else if (de->length != s->length) {
		pctx.have = de->length;
		pctx.want = s->length;
		check_report(ctx, PR_DEV_EXTENT_LENGTH, &pctx);
	}
}

static void dev_extent_orphan(struct check_ctx *ctx,
			      const struct dev_extent_rec *de)
{
	check_report(ctx, PR_DEV_EXTENT_ORPHAN, &(struct problem_ctx){
		.devid = de->devid, .physical = de->physical, .len = de->length,
		.bytenr = de->chunk_offset });
}

/* Merges stripes with device extents, both sorted by (devid, physical). */
static void stripes_vs_dev_extents(struct check_ctx *ctx)
{
	const struct stripe_rec *s = ctx->stripes.data;
	const struct dev_extent_rec *d = ctx->dev_extents.data;
	size_t i = 0, j = 0;

	while (i < ctx->stripes.nr || j < ctx->dev_extents.nr) {
		int cmp = i == ctx->stripes.nr ? 1 :
			  j == ctx->dev_extents.nr ? -1 :
			  s[i].devid != d[j].devid ?
			  (s[i].devid < d[j].devid ? -1 : 1) :
			  s[i].physical < d[j].physical ? -1 :
			  s[i].physical > d[j].physical;

		if (cmp < 0) {
			stripe_match(ctx, &s[i++], NULL);
		} else if (cmp > 0) {
			dev_extent_orphan(ctx, &d[j++]);
		} else {
			stripe_match(ctx, &s[i++], &d[j++]);
		}
	}
}

/* Per device: extents in order, inside the device, adding up to bytes_used. */
static void dev_extents_per_device(struct check_ctx *ctx)
{
	const struct dev_extent_rec *d = ctx->dev_extents.data;
	const struct dev_rec *dev = ctx->devs.data;
	size_t i = 0, k;

	for (k = 0; k < ctx->devs.nr; k++) {
		u64 sum = 0;

		/* Extents of devices without an item: see stripes_devices(). */
		while (i < ctx->dev_extents.nr && d[i].devid < dev[k].devid)
			i++;
		for (; i < ctx->dev_extents.nr && d[i].devid == dev[k].devid; i++) {
			struct problem_ctx pctx = { .devid = d[i].devid,
				.physical = d[i].physical, .len = d[i].length };

			sum += d[i].length;
			if (d[i].physical + d[i].length > dev[k].total_bytes ||
			    d[i].physical + d[i].length < d[i].physical) {
				pctx.want = dev[k].total_bytes;
				check_report(ctx, PR_DEV_EXTENT_BEYOND_DEVICE, &pctx);
			}
			if (i + 1 < ctx->dev_extents.nr &&
			    d[i + 1].devid == d[i].devid &&
			    d[i].physical + d[i].length > d[i + 1].physical) {
				pctx.offset = d[i + 1].physical;
				check_report(ctx, PR_DEV_EXTENT_OVERLAP, &pctx);
			}
		}
		if (sum != dev[k].bytes_used)
			check_report(ctx, PR_DEVICE_BYTES_USED, &(struct problem_ctx){
				.devid = dev[k].devid, .have = dev[k].bytes_used,
				.want = sum });
	}
}

static bool dev_exists(const struct check_ctx *ctx, u64 devid)
{
	const struct dev_rec *dev = ctx->devs.data;
	size_t lo = 0, hi = ctx->devs.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dev[mid].devid == devid)
			return true;
		if (dev[mid].devid < devid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static void stripes_devices(struct check_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->stripes.nr; i++) {
		const struct stripe_rec *s = VEC_AT(&ctx->stripes,
						    struct stripe_rec, i);

		if (!dev_exists(ctx, s->devid))
			check_report(ctx, PR_DEVICE_NO_ITEM, &(struct problem_ctx){
				.bytenr = s->logical, .index = (int)s->index,
				.devid = s->devid });
	}
}

/* The engine loaded the superblock's system chunks; each must be a chunk. */
static void sys_chunks_check(struct check_ctx *ctx)
{
	const struct btrfs_fs_info *fs_info = ctx->fs_info;
	const struct chunk_rec *c = ctx->chunks.data;
	u32 i;

	for (i = 0; i < fs_info->nr_chunks; i++) {
		const struct chunk_map *m = fs_info->chunks[i];
		size_t j;

		if (!(m->type & BTRFS_BLOCK_GROUP_SYSTEM))
			continue;
		for (j = 0; j < ctx->chunks.nr; j++)
			if (c[j].logical == m->logical)
				break;
		if (j == ctx->chunks.nr || c[j].length != m->length ||
		    c[j].type != m->type || c[j].num_stripes != m->num_stripes)
			check_report(ctx, PR_SYS_CHUNK_MISMATCH,
				     &(struct problem_ctx){ .bytenr = m->logical });
	}
}

static void bg_vs_chunk(struct check_ctx *ctx, const struct chunk_rec *c,
			const struct bg_rec *bg)
{
	if (!bg) {
		check_report(ctx, PR_CHUNK_NO_BLOCK_GROUP, &(struct problem_ctx){
			.bytenr = c->logical, .len = c->length });
		return;
	}
	if (!c) {
		check_report(ctx, PR_BLOCK_GROUP_NO_CHUNK, &(struct problem_ctx){
			.bytenr = bg->start, .len = bg->len });
		return;
	}
	if (bg->len != c->length || bg->flags != c->type)
		check_report(ctx, PR_BLOCK_GROUP_MISMATCH, &(struct problem_ctx){
			.bytenr = bg->start, .len = bg->len, .flags = bg->flags,
			.want = c->length, .chunk_flags = c->type });
}

static void chunks_vs_block_groups(struct check_ctx *ctx)
{
	const struct chunk_rec *c = ctx->chunks.data;
	const struct bg_rec *b = ctx->bgs.data;
	size_t i = 0, j = 0;

	while (i < ctx->chunks.nr || j < ctx->bgs.nr) {
		if (j == ctx->bgs.nr ||
		    (i < ctx->chunks.nr && c[i].logical < b[j].start))
			bg_vs_chunk(ctx, &c[i++], NULL);
		else if (i == ctx->chunks.nr || b[j].start < c[i].logical)
			bg_vs_chunk(ctx, NULL, &b[j++]);
		else
			bg_vs_chunk(ctx, &c[i++], &b[j++]);
	}
}

static bool super_in_range(u64 start, u64 len, u64 *sb)
{
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 off = btrfs_sb_offset(i);

		if (off < start + len && off + BTRFS_SUPER_INFO_SIZE > start) {
			*sb = off;
			return true;
		}
	}
	return false;
}

static void dax_layout_check(struct check_ctx *ctx)
{
	size_t i;
	u64 sb;

	if (!(ctx->fs_info->sb.compat_flags & BTRFS_FEATURE_COMPAT_DAX_LAYOUT))
		return;
	for (i = 0; i < ctx->chunks.nr; i++) {
		const struct chunk_rec *c = VEC_AT(&ctx->chunks, struct chunk_rec, i);

		if (c->logical % DAX_ALIGN || c->length % DAX_ALIGN)
			check_report(ctx, PR_DAX_CHUNK_UNALIGNED, &(struct problem_ctx){
				.bytenr = c->logical, .len = c->length });
	}
	for (i = 0; i < ctx->dev_extents.nr; i++) {
		const struct dev_extent_rec *d = VEC_AT(&ctx->dev_extents,
						       struct dev_extent_rec, i);

		if (d->physical % DAX_ALIGN)
			check_report(ctx, PR_DAX_DEV_EXTENT_UNALIGNED,
				     &(struct problem_ctx){ .devid = d->devid,
							    .physical = d->physical });
	}
	for (i = 0; i < ctx->stripes.nr; i++) {
		const struct stripe_rec *s = VEC_AT(&ctx->stripes, struct stripe_rec, i);
		const struct chunk_map *m = chunk_map_lookup(ctx->fs_info, s->logical);

		if (m && (m->type & BTRFS_BLOCK_GROUP_DATA) &&
		    super_in_range(s->physical, s->length, &sb))
			check_report(ctx, PR_DAX_DATA_CHUNK_SUPER, &(struct problem_ctx){
				.bytenr = s->logical, .index = (int)s->index,
				.devid = s->devid, .physical = sb });
	}
}

/* Sorts the chunk-side records; extents_check() and others rely on it. */
void chunks_check(struct check_ctx *ctx)
{
	vec_sort(&ctx->chunks, chunk_cmp);
	vec_sort(&ctx->stripes, stripe_cmp);
	vec_sort(&ctx->dev_extents, dev_extent_cmp);
	vec_sort(&ctx->devs, dev_cmp);
	vec_sort(&ctx->bgs, bg_cmp);
	sys_chunks_check(ctx);
	stripes_devices(ctx);
	stripes_vs_dev_extents(ctx);
	dev_extents_per_device(ctx);
	chunks_vs_block_groups(ctx);
	dax_layout_check(ctx);
}
