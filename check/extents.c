// SPDX-License-Identifier: GPL-2.0-only
/*
 * The extent tree against the trees: extents do not overlap, sit inside a
 * block group of the right type that accounts for them, and the backrefs
 * each extent item declares are exactly the references the walker found.
 *
 * Both sides are arrays of struct ref_rec; after sorting by (extent, kind,
 * root or parent, inode, offset) and summing duplicates, one merge pass
 * over the sorted extent items compares them.
 */
#include <stdio.h>
#include <stdlib.h>
#include "check/check.h"

static int extent_cmp(const void *a, const void *b)
{
	const struct extent_rec *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct ref_rec *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

static void ref_describe(const struct ref_rec *r, char *buf, size_t len)
{
	unsigned long long root = r->root, ino = r->ino, off = r->offset;

	switch (r->kind) {
	case REF_TREE:
		snprintf(buf, len, "tree block ref of root %llu", root);
		break;
	case REF_TREE_SHARED:
		snprintf(buf, len, "shared tree block ref of parent %llu", root);
		break;
	case REF_DATA:
		snprintf(buf, len, "data ref of root %llu inode %llu offset %llu",
			 root, ino, off);
		break;
	default:
		snprintf(buf, len, "shared data ref of parent %llu", root);
		break;
	}
}

static void ref_report(struct check_ctx *ctx, enum problem_id id,
		       const struct ref_rec *r, u64 have, u64 want)
{
	char desc[128];

	ref_describe(r, desc, sizeof(desc));
	check_report(ctx, id, &(struct problem_ctx){ .bytenr = r->bytenr,
		.str = desc, .have = have, .want = want });
}

/* Sorts and sums equal references; duplicates are reported when asked. */
static void refs_merge(struct check_ctx *ctx, struct rec_vec *v, bool report)
{
	struct ref_rec *r = v->data;
	size_t i, n = 0;

	vec_sort(v, ref_cmp);
	for (i = 0; i < v->nr; i++) {
		if (n && !ref_cmp(&r[n - 1], &r[i])) {
			if (report)
				ref_report(ctx, PR_BACKREF_DUPLICATE, &r[i], 0, 0);
			r[n - 1].count += r[i].count;
			continue;
		}
		r[n++] = r[i];
	}
	v->nr = n;
}

/* Sorts the extent items and checks the blocks walked before they were. */
void extents_prepare(struct check_ctx *ctx)
{
	size_t i;

	vec_sort(&ctx->extents, extent_cmp);
	ctx->extents_ready = true;
	for (i = 0; i < ctx->early_blocks.nr; i++) {
		const struct ref_rec *b = VEC_AT(&ctx->early_blocks,
						 struct ref_rec, i);

		block_check_extent(ctx, b->bytenr, b->root, (int)b->offset);
	}
	vec_free(&ctx->early_blocks);
}

/* Compares the references of one extent: found[*fi..], declared[*di..]. */
static void extent_refs_compare(struct check_ctx *ctx,
				const struct extent_rec *e, size_t *fi,
				size_t *di)
{
	const struct ref_rec *f = ctx->found.data, *d = ctx->declared.data;
	size_t nf = ctx->found.nr, nd = ctx->declared.nr;

	while ((*fi < nf && f[*fi].bytenr == e->bytenr) ||
	       (*di < nd && d[*di].bytenr == e->bytenr)) {
		bool has_f = *fi < nf && f[*fi].bytenr == e->bytenr;
		bool has_d = *di < nd && d[*di].bytenr == e->bytenr;
		int cmp = !has_f ? 1 : !has_d ? -1 : ref_cmp(&f[*fi], &d[*di]);

		if (cmp < 0) {
			ref_report(ctx, PR_BACKREF_MISSING, &f[*fi], 0, 0);
			(*fi)++;
		} else if (cmp > 0) {
			ref_report(ctx, PR_BACKREF_UNUSED, &d[*di], 0, 0);
			(*di)++;
		} else {
			if (f[*fi].count != d[*di].count)
				ref_report(ctx, PR_BACKREF_COUNT, &d[*di],
					   f[*fi].count, d[*di].count);
			(*fi)++;
			(*di)++;
		}
	}
}

static bool refs_of(const struct rec_vec *v, size_t i, u64 bytenr)
{
	return i < v->nr && VEC_AT(v, struct ref_rec, i)->bytenr == bytenr;
}

static u64 declared_sum(const struct check_ctx *ctx, size_t di, u64 bytenr)
{
	u64 sum = 0;

	for (; refs_of(&ctx->declared, di, bytenr); di++)
		sum += VEC_AT(&ctx->declared, struct ref_rec, di)->count;
	return sum;
}

static void refs_reconcile(struct check_ctx *ctx)
{
	size_t i, fi = 0, di = 0;

	refs_merge(ctx, &ctx->found, false);
	refs_merge(ctx, &ctx->declared, true);
	for (i = 0; i < ctx->extents.nr && !ctx->fatal; i++) {
		const struct extent_rec *e = VEC_AT(&ctx->extents,
						    struct extent_rec, i);
		struct problem_ctx pctx = { .bytenr = e->bytenr, .len = e->len };
		u64 sum;

		/* References to missing extents were reported by the walk. */
		while (fi < ctx->found.nr &&
		       VEC_AT(&ctx->found, struct ref_rec, fi)->bytenr < e->bytenr)
			fi++;
		while (di < ctx->declared.nr &&
		       VEC_AT(&ctx->declared, struct ref_rec, di)->bytenr < e->bytenr)
			di++;
		sum = declared_sum(ctx, di, e->bytenr);
		if (sum != e->refs) {
			pctx.have = sum;
			pctx.want = e->refs;
			check_report(ctx, PR_EXTENT_REFS, &pctx);
		}
		if (!refs_of(&ctx->found, fi, e->bytenr)) {
			check_report(ctx, PR_EXTENT_UNREFERENCED, &pctx);
			while (refs_of(&ctx->declared, di, e->bytenr))
				di++;
			continue;
		}
		extent_refs_compare(ctx, e, &fi, &di);
	}
	vec_free(&ctx->declared);
}

static void extents_overlap(struct check_ctx *ctx)
{
	const struct extent_rec *e = ctx->extents.data;
	size_t i;

	for (i = 0; i + 1 < ctx->extents.nr; i++)
		if (e[i].bytenr + e[i].len > e[i + 1].bytenr)
			check_report(ctx, PR_EXTENT_OVERLAP, &(struct problem_ctx){
				.bytenr = e[i].bytenr, .len = e[i].len,
				.offset = e[i + 1].bytenr });
}

/* An extent in its block group: the type must fit.  Returns its bytes. */
static u64 extent_in_bg(struct check_ctx *ctx, const struct extent_rec *e,
			const struct bg_rec *bg)
{
	bool data = e->flags & BTRFS_EXTENT_FLAG_DATA;
	u64 want = data ? BTRFS_BLOCK_GROUP_DATA :
		   BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_SYSTEM;

	if (!(bg->flags & want))
		check_report(ctx, PR_EXTENT_WRONG_BLOCK_GROUP, &(struct problem_ctx){
			.str = data ? "data" : "tree block", .bytenr = e->bytenr,
			.len = e->len, .offset = bg->start, .flags = bg->flags });
	return e->len;
}

/* Sweeps extents and block groups, both sorted, summing each group's use. */
static void extents_vs_block_groups(struct check_ctx *ctx)
{
	const struct extent_rec *e = ctx->extents.data;
	const struct bg_rec *bg = ctx->bgs.data;
	u64 *used = calloc(ctx->bgs.nr + 1, sizeof(*used));
	size_t i, j = 0;

	if (!used) {
		check_oom(ctx);
		return;
	}
	for (i = 0; i < ctx->extents.nr; i++) {
		while (j < ctx->bgs.nr && bg[j].start + bg[j].len <= e[i].bytenr)
			j++;
		if (j < ctx->bgs.nr && bg[j].start <= e[i].bytenr &&
		    e[i].len <= bg[j].start + bg[j].len - e[i].bytenr)
			used[j] += extent_in_bg(ctx, &e[i], &bg[j]);
		else
			check_report(ctx, PR_EXTENT_NO_BLOCK_GROUP,
				     &(struct problem_ctx){ .bytenr = e[i].bytenr,
							    .len = e[i].len });
	}
	for (j = 0; j < ctx->bgs.nr; j++)
		if (used[j] != bg[j].used)
			check_report(ctx, PR_BLOCK_GROUP_USED, &(struct problem_ctx){
				.bytenr = bg[j].start, .have = bg[j].used,
				.want = used[j] });
	free(used);
}

/* Needs chunks_check() first: the block groups must be sorted. */
void extents_check(struct check_ctx *ctx)
{
	extents_overlap(ctx);
	extents_vs_block_groups(ctx);
	refs_reconcile(ctx);
}
