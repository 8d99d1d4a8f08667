// SPDX-License-Identifier: GPL-2.0-only
/*
 * The free space tree against the extent tree: in every block group the
 * free ranges are exactly the bytes no extent uses.  Superblock copies are
 * left out of the comparison: the kernel keeps them out of its in-memory
 * free space but, like mkfs, may list them as free on disk.
 */
#include <stdlib.h>
#include "check/check.h"

static int range_cmp(const void *a, const void *b)
{
	const struct range_rec *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int fst_info_cmp(const void *a, const void *b)
{
	const struct fst_info_rec *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Appends [start, start+len) to a sorted list, merging with its tail. */
void range_append(struct check_ctx *ctx, struct rec_vec *v, u64 start,
			 u64 len)
{
	struct range_rec *last = v->nr ? VEC_AT(v, struct range_rec, v->nr - 1) :
				 NULL;
	struct range_rec *r;

	if (!len)
		return;
	if (last && start <= last->start + last->len) {
		if (start + len > last->start + last->len)
			last->len = start + len - last->start;
		return;
	}
	r = check_push(ctx, v);
	if (r) {
		r->start = start;
		r->len = len;
	}
}

/* The ranges the kernel keeps out of a block group's free space. */
void super_ranges(struct check_ctx *ctx, const struct bg_rec *bg,
			 struct rec_vec *out)
{
	const struct chunk_map *map = chunk_map_lookup(ctx->fs_info, bg->start);
	struct rec_vec tmp = VEC_INIT(struct range_rec);
	u64 end = bg->start + bg->len;
	u32 s;
	int i;

	if (bg->start < BTRFS_SUPER_INFO_OFFSET)
		range_append(ctx, &tmp, bg->start,
			     BTRFS_SUPER_INFO_OFFSET - bg->start);
	for (s = 0; map && s < map->num_stripes; s++) {
		u64 phys0 = map->stripes[s].physical, size, io, nr, off, logical;
		u32 ndata = 1;

		size = chunk_stripe_length(map->length, map->type,
					   map->num_stripes, map->sub_stripes);
		if (map->type & BTRFS_BLOCK_GROUP_RAID5)
			ndata = map->num_stripes - 1;
		else if (map->type & BTRFS_BLOCK_GROUP_RAID6)
			ndata = map->num_stripes - 2;
		io = BTRFS_STRIPE_LEN * ndata;
		for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
			u64 phys = btrfs_sb_offset(i);
			struct range_rec *r;

			if (phys < phys0 || phys - phys0 >= size)
				continue;
			nr = (phys - phys0) / BTRFS_STRIPE_LEN;
			off = (phys - phys0) % BTRFS_STRIPE_LEN;
			if (map->type & (BTRFS_BLOCK_GROUP_RAID0 |
					 BTRFS_BLOCK_GROUP_RAID10))
				nr = (nr * map->num_stripes + s) / map->sub_stripes;
			logical = map->logical + nr * io + off;
			if (logical >= end)
				continue;
			r = check_push(ctx, &tmp);
			if (!r)
				break;
			r->start = logical;
			r->len = logical + io > end ? end - logical : io;
		}
	}
	vec_sort(&tmp, range_cmp);
	for (s = 0; s < tmp.nr; s++)
		range_append(ctx, out, VEC_AT(&tmp, struct range_rec, s)->start,
			     VEC_AT(&tmp, struct range_rec, s)->len);
	vec_free(&tmp);
}

static size_t extent_first_at(const struct check_ctx *ctx, u64 start)
{
	const struct extent_rec *e = ctx->extents.data;
	size_t lo = 0, hi = ctx->extents.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].bytenr < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A cursor over a sorted list of disjoint ranges. */
struct range_cursor {
	const struct range_rec *r;
	size_t nr, i;
};

/* Whether p is covered; lowers *next to where that may change. */
static bool cursor_at(struct range_cursor *c, u64 p, u64 *next)
{
	while (c->i < c->nr && c->r[c->i].start + c->r[c->i].len <= p)
		c->i++;
	if (c->i == c->nr)
		return false;
	if (c->r[c->i].start > p) {
		if (c->r[c->i].start < *next)
			*next = c->r[c->i].start;
		return false;
	}
	if (c->r[c->i].start + c->r[c->i].len < *next)
		*next = c->r[c->i].start + c->r[c->i].len;
	return true;
}

struct bg_space {
	struct rec_vec used, free, skip;
};

/* The problems a stretch free and used, or neither, is reported as. */
struct space_ids {
	enum problem_id free_used, leaked;
};

static void space_report(struct check_ctx *ctx, const struct bg_rec *bg,
			 const struct space_ids *ids, bool used, u64 start,
			 u64 end)
{
	check_report(ctx, used ? ids->free_used : ids->leaked,
		     &(struct problem_ctx){ .bytenr = bg->start, .offset = start,
					    .len = end - start });
}

/* Walks the block group; each stretch must be used or free, not both. */
static void space_compare(struct check_ctx *ctx, const struct bg_rec *bg,
			  const struct bg_space *sp, const struct space_ids *ids)
{
	struct range_cursor u = { sp->used.data, sp->used.nr, 0 };
	struct range_cursor f = { sp->free.data, sp->free.nr, 0 };
	struct range_cursor k = { sp->skip.data, sp->skip.nr, 0 };
	u64 p = bg->start, end = bg->start + bg->len, bad_start = 0;
	int bad = -1;	/* -1 none, 0 leaked, 1 free but used */

	while (p < end) {
		u64 next = end;
		bool in_u = cursor_at(&u, p, &next);
		bool in_f = cursor_at(&f, p, &next);
		bool in_k = cursor_at(&k, p, &next);
		int now = (!in_k && in_u == in_f) ? in_u : -1;

		if (now != bad) {
			if (bad >= 0)
				space_report(ctx, bg, ids, bad, bad_start, p);
			bad = now;
			bad_start = p;
		}
		p = next;
	}
	if (bad >= 0)
		space_report(ctx, bg, ids, bad, bad_start, end);
}

/* Flags and extent count of one info against its entries [first, end). */
static void fst_info_entries(struct check_ctx *ctx,
			     const struct fst_info_rec *info,
			     const struct range_rec *r, size_t n)
{
	bool bitmaps = info->flags & BTRFS_FREE_SPACE_USING_BITMAPS;
	size_t i, nbitmap = 0, runs = 0;

	for (i = 0; i < n; i++) {
		nbitmap += r[i].bitmap;
		if (!i || r[i].start != r[i - 1].start + r[i - 1].len)
			runs++;
	}
	if (nbitmap && nbitmap != n)
		check_report(ctx, PR_FST_FLAGS, &(struct problem_ctx){
			.bytenr = info->start, .flags = info->flags,
			.str = "a mix of bitmaps and extents" });
	else if (n && bitmaps != (nbitmap == n))
		check_report(ctx, PR_FST_FLAGS, &(struct problem_ctx){
			.bytenr = info->start, .flags = info->flags,
			.str = nbitmap ? "bitmaps" : "extents" });
	if (!bitmaps)
		runs = n;
	if (runs != info->extent_count)
		check_report(ctx, PR_FST_EXTENT_COUNT, &(struct problem_ctx){
			.bytenr = info->start, .have = runs,
			.want = info->extent_count });
}

/*
 * Compares the free ranges of a block group (n sorted ranges) with the
 * bytes its extents use: free_used for a stretch both, leaked for neither.
 * The superblock copies are left out.
 */
void bg_free_compare(struct check_ctx *ctx, const struct bg_rec *bg,
		     const struct range_rec *r, size_t n,
		     enum problem_id free_used, enum problem_id leaked)
{
	struct bg_space sp = { VEC_INIT(struct range_rec),
			       VEC_INIT(struct range_rec),
			       VEC_INIT(struct range_rec) };
	const struct space_ids ids = { free_used, leaked };
	const struct extent_rec *e = ctx->extents.data;
	u64 end = bg->start + bg->len;
	size_t i;

	for (i = extent_first_at(ctx, bg->start);
	     i < ctx->extents.nr && e[i].bytenr < end; i++)
		range_append(ctx, &sp.used, e[i].bytenr, e[i].len);
	for (i = 0; i < n; i++)
		range_append(ctx, &sp.free, r[i].start, r[i].len);
	super_ranges(ctx, bg, &sp.skip);
	if (!ctx->fatal)
		space_compare(ctx, bg, &sp, &ids);
	vec_free(&sp.used);
	vec_free(&sp.free);
	vec_free(&sp.skip);
}

static void bg_space_check(struct check_ctx *ctx, const struct bg_rec *bg,
			   const struct fst_info_rec *info,
			   const struct range_rec *r, size_t n)
{
	fst_info_entries(ctx, info, r, n);
	bg_free_compare(ctx, bg, r, n, PR_FST_FREE_USED, PR_FST_LEAKED);
}

static const struct bg_rec *bg_find(const struct check_ctx *ctx, u64 start)
{
	const struct bg_rec *bg = ctx->bgs.data;
	size_t lo = 0, hi = ctx->bgs.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bg[mid].start == start)
			return &bg[mid];
		if (bg[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static void entry_orphan(struct check_ctx *ctx, const struct range_rec *r)
{
	check_report(ctx, PR_FST_ENTRY_ORPHAN, &(struct problem_ctx){
		.key = { r->start, r->bitmap ? BTRFS_FREE_SPACE_BITMAP_KEY :
			 BTRFS_FREE_SPACE_EXTENT_KEY, r->len } });
}

/* The entries of one info: those starting inside it, *ri onwards. */
static size_t entries_of(struct check_ctx *ctx, const struct fst_info_rec *info,
			 size_t *ri)
{
	const struct range_rec *r = ctx->fst_ranges.data;
	size_t first = *ri;
	u64 end = info->start + info->len;

	while (*ri < ctx->fst_ranges.nr && r[*ri].start < end) {
		if (r[*ri].len > end - r[*ri].start)
			entry_orphan(ctx, &r[*ri]);
		(*ri)++;
	}
	return *ri - first;
}

static void block_groups_without_info(struct check_ctx *ctx)
{
	const struct fst_info_rec *info = ctx->fst_infos.data;
	const struct bg_rec *bg = ctx->bgs.data;
	size_t i = 0, j;

	for (j = 0; j < ctx->bgs.nr; j++) {
		while (i < ctx->fst_infos.nr && info[i].start < bg[j].start)
			i++;
		if (i == ctx->fst_infos.nr || info[i].start != bg[j].start)
			check_report(ctx, PR_FST_INFO_MISSING, &(struct problem_ctx){
				.bytenr = bg[j].start, .len = bg[j].len });
	}
}

static void infos_vs_block_groups(struct check_ctx *ctx)
{
	const struct fst_info_rec *info = ctx->fst_infos.data;
	const struct range_rec *r = ctx->fst_ranges.data;
	size_t i, ri = 0;

	for (i = 0; i < ctx->fst_infos.nr && !ctx->fatal; i++) {
		const struct bg_rec *bg = bg_find(ctx, info[i].start);
		size_t first, n;

		/* Entries after the previous info's end and before this one. */
		while (ri < ctx->fst_ranges.nr && r[ri].start < info[i].start)
			entry_orphan(ctx, &r[ri++]);
		first = ri;
		n = entries_of(ctx, &info[i], &ri);
		if (!bg || bg->len != info[i].len) {
			check_report(ctx, PR_FST_NO_BLOCK_GROUP, &(struct problem_ctx){
				.bytenr = info[i].start, .len = info[i].len });
			continue;
		}
		/* No ranges at all: r is NULL, and NULL + 0 is undefined. */
		bg_space_check(ctx, bg, &info[i], n ? &r[first] : NULL, n);
	}
	while (ri < ctx->fst_ranges.nr)
		entry_orphan(ctx, &r[ri++]);
	block_groups_without_info(ctx);
}

/* Needs the block groups sorted (chunks_check) and the extents ready. */
void free_space_check(struct check_ctx *ctx)
{
	if (!check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE)) {
		space_cache_check(ctx);
		return;
	}
	if (!check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID)) {
		check_report(ctx, PR_FST_NOT_VALID, &(struct problem_ctx){ 0 });
		return;
	}
	vec_sort(&ctx->fst_infos, fst_info_cmp);
	vec_sort(&ctx->fst_ranges, range_cmp);
	infos_vs_block_groups(ctx);
}
