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

int ref_rec_cmp(const void *a, const void *b)
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

/*
 * Reads references in order with equal ones summed into one record.  The
 * arrays may have been spilled to a temporary file (records.c): they are
 * only ever read front to back.
 */
struct ref_cursor {
	struct rec_iter it;
	struct ref_rec ahead;		/* the next record, not yet summed */
	bool have_ahead;
};

static bool ref_cursor_start(struct check_ctx *ctx, struct rec_vec *v,
			     struct ref_cursor *c)
{
	const struct ref_rec *r;

	if (!vec_iter_start(ctx, v, &c->it))
		return false;
	r = vec_iter_next(&c->it);
	c->have_ahead = r != NULL;
	if (r)
		c->ahead = *r;
	return true;
}

static bool ref_cursor_next(struct ref_cursor *c, struct ref_rec *out)
{
	const struct ref_rec *r;

	if (!c->have_ahead)
		return false;
	*out = c->ahead;
	while ((r = vec_iter_next(&c->it)) && !ref_rec_cmp(r, out))
		out->count += r->count;
	c->have_ahead = r != NULL;
	if (r)
		c->ahead = *r;
	return true;
}

/* The extent tree declares each backref once. */
static void declared_duplicates(struct check_ctx *ctx)
{
	struct rec_iter it;
	const struct ref_rec *r;
	struct ref_rec prev;
	bool have_prev = false;

	if (!vec_iter_start(ctx, &ctx->declared, &it))
		return;
	while ((r = vec_iter_next(&it))) {
		if (have_prev && !ref_rec_cmp(&prev, r))
			ref_report(ctx, PR_BACKREF_DUPLICATE, r, 0, 0);
		prev = *r;
		have_prev = true;
	}
	vec_iter_end(&it);
}

/* Sorted, distinct extent bytenrs of DAX files: whose found refs to keep. */
struct dax_set {
	u64 *bytenr;
	size_t nr;
};

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int dax_set_build(struct check_ctx *ctx, struct dax_set *set)
{
	size_t i, n = 0;

	set->nr = 0;
	set->bytenr = NULL;
	if (!ctx->dax_extents.nr)
		return 0;
	set->bytenr = malloc(ctx->dax_extents.nr * sizeof(u64));
	if (!set->bytenr)
		return -1;
	for (i = 0; i < ctx->dax_extents.nr; i++)
		set->bytenr[i] = VEC_AT(&ctx->dax_extents,
					struct dax_extent_rec, i)->bytenr;
	qsort(set->bytenr, ctx->dax_extents.nr, sizeof(u64), u64_cmp);
	for (i = 0; i < ctx->dax_extents.nr; i++)
		if (!n || set->bytenr[n - 1] != set->bytenr[i])
			set->bytenr[n++] = set->bytenr[i];
	set->nr = n;
	return 0;
}

static bool dax_set_has(const struct dax_set *set, u64 bytenr)
{
	return set->nr && bsearch(&bytenr, set->bytenr, set->nr, sizeof(u64),
				  u64_cmp);
}

/*
 * The state of the merge: both cursors, the references of the current
 * extent, and the found references dax_check() looks up later.
 */
struct reconcile {
	struct ref_cursor f, d;
	struct ref_rec fcur, dcur;
	bool fvalid, dvalid;
	struct rec_vec fgroup, dgroup;
	struct rec_vec keep;
	struct dax_set dax;
};

/* Takes the current found reference, keeping it when dax_check() needs it. */
static void found_advance(struct check_ctx *ctx, struct reconcile *rc)
{
	if (dax_set_has(&rc->dax, rc->fcur.bytenr)) {
		struct ref_rec *k = check_push(ctx, &rc->keep);

		if (k)
			*k = rc->fcur;
	}
	rc->fvalid = ref_cursor_next(&rc->f, &rc->fcur);
}

/* Collects the references of one extent from both sides. */
static void groups_take(struct check_ctx *ctx, struct reconcile *rc, u64 bytenr)
{
	struct ref_rec *r;

	rc->fgroup.nr = 0;
	rc->dgroup.nr = 0;
	while (rc->fvalid && rc->fcur.bytenr < bytenr)
		found_advance(ctx, rc);
	while (rc->fvalid && rc->fcur.bytenr == bytenr) {
		r = check_push(ctx, &rc->fgroup);
		if (r)
			*r = rc->fcur;
		found_advance(ctx, rc);
	}
	while (rc->dvalid && rc->dcur.bytenr < bytenr)
		rc->dvalid = ref_cursor_next(&rc->d, &rc->dcur);
	while (rc->dvalid && rc->dcur.bytenr == bytenr) {
		r = check_push(ctx, &rc->dgroup);
		if (r)
			*r = rc->dcur;
		rc->dvalid = ref_cursor_next(&rc->d, &rc->dcur);
	}
}

/* Compares the references of one extent, both sides sorted. */
static void extent_refs_compare(struct check_ctx *ctx, const struct rec_vec *fv,
				const struct rec_vec *dv)
{
	const struct ref_rec *f = fv->data, *d = dv->data;
	size_t fi = 0, di = 0;

	while (fi < fv->nr || di < dv->nr) {
		int cmp = fi == fv->nr ? 1 : di == dv->nr ? -1 :
			  ref_rec_cmp(&f[fi], &d[di]);

		if (cmp < 0) {
			ref_report(ctx, PR_BACKREF_MISSING, &f[fi++], 0, 0);
		} else if (cmp > 0) {
			ref_report(ctx, PR_BACKREF_UNUSED, &d[di++], 0, 0);
		} else {
			if (f[fi].count != d[di].count)
				ref_report(ctx, PR_BACKREF_COUNT, &d[di],
					   f[fi].count, d[di].count);
			fi++;
			di++;
		}
	}
}

static void extent_reconcile(struct check_ctx *ctx, const struct extent_rec *e,
			     const struct reconcile *rc)
{
	struct problem_ctx pctx = { .bytenr = e->bytenr, .len = e->len };
	u64 sum = 0;
	size_t i;

	for (i = 0; i < rc->dgroup.nr; i++)
		sum += VEC_AT(&rc->dgroup, struct ref_rec, i)->count;
	if (sum != e->refs) {
		pctx.have = sum;
		pctx.want = e->refs;
		check_report(ctx, PR_EXTENT_REFS, &pctx);
	}
	/* References to missing extents were reported by the walk. */
	if (!rc->fgroup.nr)
		check_report(ctx, PR_EXTENT_UNREFERENCED, &pctx);
	else
		extent_refs_compare(ctx, &rc->fgroup, &rc->dgroup);
}

/*
 * One merge pass over the sorted extent items and both reference streams.
 * Afterwards ctx->found holds only the references of DAX files' extents,
 * which is all dax_check() looks up.
 */
static void refs_reconcile(struct check_ctx *ctx)
{
	struct reconcile rc = { .fgroup = VEC_INIT(struct ref_rec),
				.dgroup = VEC_INIT(struct ref_rec),
				.keep = VEC_INIT(struct ref_rec) };
	size_t i;

	declared_duplicates(ctx);
	if (dax_set_build(ctx, &rc.dax)) {
		check_oom(ctx);
		return;
	}
	if (!ref_cursor_start(ctx, &ctx->found, &rc.f))
		goto out_free;
	if (!ref_cursor_start(ctx, &ctx->declared, &rc.d))
		goto out_end_found;
	rc.fvalid = ref_cursor_next(&rc.f, &rc.fcur);
	rc.dvalid = ref_cursor_next(&rc.d, &rc.dcur);
	for (i = 0; i < ctx->extents.nr && !ctx->fatal; i++) {
		const struct extent_rec *e = VEC_AT(&ctx->extents,
						    struct extent_rec, i);

		groups_take(ctx, &rc, e->bytenr);
		extent_reconcile(ctx, e, &rc);
	}
	while (rc.fvalid && !ctx->fatal)
		found_advance(ctx, &rc);
	vec_iter_end(&rc.d.it);
out_end_found:
	vec_iter_end(&rc.f.it);
out_free:
	vec_free(&ctx->declared);
	vec_free(&ctx->found);
	ctx->found = rc.keep;
	rc.keep.data = NULL;
	vec_free(&rc.keep);
	vec_free(&rc.fgroup);
	vec_free(&rc.dgroup);
	free(rc.dax.bytenr);
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
