// SPDX-License-Identifier: GPL-2.0-only
/*
 * The quota tree (phase 7): its items are well formed and complete.
 *
 * Checked: one status item of version 1 whose generation is the checked
 * commit's (else the kernel itself marks the counts inconsistent), the
 * inconsistent and rescan flags (reported as a warning and a note), an info
 * and a limit item for every qgroup, relations stored in both directions
 * from a lower to a higher level between existing qgroups, and a level-0
 * qgroup for every live subvolume.  The referenced and exclusive counts of
 * every qgroup are recomputed from the tree blocks and data extents each
 * subvolume walk used, when the kernel's accounting is complete: counts
 * marked consistent, no subvolume being deleted.
 */
#include <stdio.h>
#include <stdlib.h>
#include "check/walk.h"
#include "check/fs-check.h"

enum qg_kind {
	QG_INFO = 1,
	QG_LIMIT = 2,
};

struct qg_rec {
	u64 id;
	u64 rfer;		/* info items */
	u64 excl;
	u64 rfer_cmpr;
	u64 excl_cmpr;
	u8 kind;
};

/* A subvolume's use of an extent (tree block or data), for the counts. */
struct qg_use {
	u64 bytenr;
	u64 len;
	u64 root;
};

struct qg_rel {
	u64 src;
	u64 dst;
};

/* An extent simple quotas charge to its owner: 'root' owns it. */
struct sq_owned {
	u64 bytenr;
	u64 len;
	u64 root;
	u64 generation;
};

struct quota_state {
	struct rec_vec groups;		/* struct qg_rec */
	struct rec_vec rels;		/* struct qg_rel */
	struct rec_vec uses;		/* struct qg_use */
	size_t uses_compact;		/* uses.nr that triggers a compaction */
	struct rec_vec owned;		/* struct sq_owned: simple quotas */
	size_t owned_compact;		/* owned.nr that triggers a compaction */
	bool have_status;
	bool have_enable_gen;
	u64 version;
	u64 generation;
	u64 flags;
	u64 rescan;
	u64 enable_gen;			/* simple quotas count extents from it */
};

void quota_state_free(struct quota_state *q)
{
	if (!q)
		return;
	vec_free(&q->groups);
	vec_free(&q->rels);
	vec_free(&q->uses);
	vec_free(&q->owned);
	free(q);
}

static struct quota_state *quota_get(struct check_ctx *ctx)
{
	struct fs_check *fs = fs_check_get(ctx);

	if (!fs)
		return NULL;
	if (!fs->quota) {
		fs->quota = calloc(1, sizeof(*fs->quota));
		if (!fs->quota) {
			check_oom(ctx);
			return NULL;
		}
		fs->quota->groups.elem = sizeof(struct qg_rec);
		fs->quota->rels.elem = sizeof(struct qg_rel);
		fs->quota->uses.elem = sizeof(struct qg_use);
		fs->quota->owned.elem = sizeof(struct sq_owned);
	}
	return fs->quota;
}

static void quota_status(struct quota_state *q, const struct extent_buffer *eb,
			 int slot)
{
	const struct btrfs_qgroup_status_item *si = eb_item_ptr(eb, slot);

	/* The tree checker has seen to the size: 32 bytes at least. */
	if (eb_item_size(eb, slot) < 32)
		return;
	q->have_status = true;
	q->version = btrfs_qgroup_status_version(si);
	q->generation = btrfs_qgroup_status_generation(si);
	q->flags = btrfs_qgroup_status_flags(si);
	q->rescan = btrfs_qgroup_status_rescan(si);
	if (eb_item_size(eb, slot) >= sizeof(*si)) {
		q->have_enable_gen = true;
		q->enable_gen = btrfs_qgroup_status_enable_gen(si);
	}
}

void quota_item(struct walk_state *ws, const struct extent_buffer *eb,
		int slot, const struct btrfs_key *key)
{
	struct quota_state *q = quota_get(ws->ctx);
	struct qg_rec *g;
	struct qg_rel *r;

	if (!q)
		return;
	switch (key->type) {
	case BTRFS_QGROUP_STATUS_KEY:
		quota_status(q, eb, slot);
		break;
	case BTRFS_QGROUP_INFO_KEY:
	case BTRFS_QGROUP_LIMIT_KEY:
		g = check_push(ws->ctx, &q->groups);
		if (!g)
			return;
		g->id = key->offset;
		g->kind = key->type == BTRFS_QGROUP_INFO_KEY ? QG_INFO : QG_LIMIT;
		if (g->kind == QG_INFO &&
		    eb_item_size(eb, slot) >= sizeof(struct btrfs_qgroup_info_item)) {
			const struct btrfs_qgroup_info_item *ii =
				eb_item_ptr(eb, slot);

			g->rfer = btrfs_qgroup_info_rfer(ii);
			g->excl = btrfs_qgroup_info_excl(ii);
			g->rfer_cmpr = btrfs_qgroup_info_rfer_cmpr(ii);
			g->excl_cmpr = btrfs_qgroup_info_excl_cmpr(ii);
		}
		break;
	case BTRFS_QGROUP_RELATION_KEY:
		r = check_push(ws->ctx, &q->rels);
		if (!r)
			return;
		r->src = key->objectid;
		r->dst = key->offset;
		break;
	}
}

static int use_cmp(const void *a, const void *b)
{
	const struct qg_use *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

/* Sorts the uses and keeps one per extent and subvolume. */
static void uses_unique(struct quota_state *q)
{
	struct qg_use *u = q->uses.data;
	size_t i, n = 0;

	vec_sort(&q->uses, use_cmp);
	for (i = 0; i < q->uses.nr; i++)
		if (!n || u[n - 1].bytenr != u[i].bytenr ||
		    u[n - 1].root != u[i].root)
			u[n++] = u[i];
	q->uses.nr = n;
}

void quota_extent_use(struct check_ctx *ctx, u64 bytenr, u64 len, u64 root)
{
	struct quota_state *q = quota_get(ctx);
	struct qg_use *u;

	if (!q)
		return;
	/* Snapshots use the same extents again and again: keep them once. */
	if (q->uses.nr >= q->uses_compact) {
		uses_unique(q);
		q->uses_compact = 2 * q->uses.nr > 65536 ? 2 * q->uses.nr : 65536;
	}
	u = check_push(ctx, &q->uses);
	if (!u)
		return;
	u->bytenr = bytenr;
	u->len = len;
	u->root = root;
}

static bool squota_incompat(const struct check_ctx *ctx)
{
	return ctx->fs_info->sb.incompat_flags &
	       BTRFS_FEATURE_INCOMPAT_SIMPLE_QUOTA;
}

static int owned_cmp(const void *a, const void *b)
{
	const struct sq_owned *x = a, *y = b;

	return x->bytenr < y->bytenr ? -1 : x->bytenr > y->bytenr;
}

/* Sorts the owned extents and keeps one record per extent. */
static void owned_unique(struct quota_state *q)
{
	struct sq_owned *o = q->owned.data;
	size_t i, n = 0;

	vec_sort(&q->owned, owned_cmp);
	for (i = 0; i < q->owned.nr; i++)
		if (!n || o[n - 1].bytenr != o[i].bytenr)
			o[n++] = o[i];
	q->owned.nr = n;
}

static void owned_add(struct check_ctx *ctx, u64 bytenr, u64 len, u64 root,
		      u64 generation)
{
	struct quota_state *q = quota_get(ctx);
	struct sq_owned *o;

	if (!q)
		return;
	/* Blocks shared by snapshots come again and again: keep them once. */
	if (q->owned.nr >= q->owned_compact) {
		owned_unique(q);
		q->owned_compact = 2 * q->owned.nr > 65536 ? 2 * q->owned.nr :
				   65536;
	}
	o = check_push(ctx, &q->owned);
	if (!o)
		return;
	o->bytenr = bytenr;
	o->len = len;
	o->root = root;
	o->generation = generation;
}

/*
 * Simple quotas charge a tree block to the tree that allocated it, its
 * header's owner, from the block's generation on.
 */
void quota_block_owner(struct check_ctx *ctx, const struct extent_buffer *eb)
{
	if (squota_incompat(ctx) && check_is_fs_tree(eb_owner(eb)))
		owned_add(ctx, eb->start, eb->len, eb_owner(eb),
			  eb_generation(eb));
}

/*
 * Simple quotas charge a data extent to the subvolume its owner ref (the
 * first inline ref) names; extents without one predate simple quotas.
 */
void quota_extent_item(struct check_ctx *ctx, const struct btrfs_key *key,
		       const u8 *item, u32 refs_start, u32 size)
{
	const struct btrfs_extent_item *ei = (const void *)item;
	struct extent_ref r;

	if (!squota_incompat(ctx) || key->type != BTRFS_EXTENT_ITEM_KEY ||
	    (btrfs_extent_flags(ei) & BTRFS_EXTENT_FLAG_TREE_BLOCK))
		return;
	if (extent_inline_ref_next(item, size, &refs_start, &r) == 0 &&
	    r.type == BTRFS_EXTENT_OWNER_REF_KEY)
		owned_add(ctx, key->objectid, key->offset, r.root,
			  btrfs_extent_generation(ei));
}

bool quota_enabled(const struct check_ctx *ctx)
{
	size_t i;

	for (i = 0; i < ctx->roots.nr; i++)
		if (VEC_AT(&ctx->roots, struct root_rec, i)->id ==
		    BTRFS_QUOTA_TREE_OBJECTID)
			return true;
	return false;
}

static void qgroup_name(u64 id, char *buf, size_t len)
{
	snprintf(buf, len, "%llu/%llu",
		 (unsigned long long)(id >> BTRFS_QGROUP_LEVEL_SHIFT),
		 (unsigned long long)(id & ((1ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1)));
}

static int qg_cmp(const void *a, const void *b)
{
	const struct qg_rec *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return (int)x->kind - (int)y->kind;
}

static int rel_cmp(const void *a, const void *b)
{
	const struct qg_rel *x = a, *y = b;

	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->dst < y->dst ? -1 : x->dst > y->dst;
}

/* The kinds of item qgroup id has, or 0. */
static u8 qg_kinds(const struct quota_state *q, u64 id)
{
	const struct qg_rec *g = q->groups.data;
	size_t lo = 0, hi = q->groups.nr;
	u8 kinds = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < q->groups.nr && g[lo].id == id; lo++)
		kinds |= g[lo].kind;
	return kinds;
}

static void status_check(struct check_ctx *ctx, const struct quota_state *q)
{
	struct problem_ctx pctx = { 0 };
	char why[96];

	if (!q || !q->have_status) {
		pctx.str = "there is no status item";
		check_report(ctx, PR_QGROUP_STATUS_BAD, &pctx);
		return;
	}
	if (q->version != 1) {
		snprintf(why, sizeof(why), "status item version %llu, want 1",
			 (unsigned long long)q->version);
		pctx.str = why;
		check_report(ctx, PR_QGROUP_STATUS_BAD, &pctx);
	}
	/* Simple quotas are not kept by the commit-time accounting. */
	if ((q->flags & BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT) ||
	    (!(q->flags & BTRFS_QGROUP_STATUS_FLAG_SIMPLE_MODE) &&
	     q->generation != ctx->fs_info->tree_root.generation))
		check_report(ctx, PR_QGROUP_INCONSISTENT, &pctx);
	if (q->flags & BTRFS_QGROUP_STATUS_FLAG_RESCAN) {
		pctx.key.objectid = q->rescan;
		check_report(ctx, PR_QGROUP_RESCAN, &pctx);
	}
}

static void groups_check(struct check_ctx *ctx, struct quota_state *q)
{
	const struct qg_rec *g = q->groups.data;
	char name[48], why[96];
	size_t i;

	for (i = 0; i < q->groups.nr; i++) {
		u8 kinds;

		if (i && g[i].id == g[i - 1].id)
			continue;
		kinds = qg_kinds(q, g[i].id);
		if (kinds == (QG_INFO | QG_LIMIT))
			continue;
		qgroup_name(g[i].id, name, sizeof(name));
		snprintf(why, sizeof(why), "%s has no %s item", name,
			 kinds & QG_INFO ? "limit" : "info");
		check_report(ctx, PR_QGROUP_ITEM_MISSING,
			     &(struct problem_ctx){ .str = why });
	}
}

static void relation_check(struct check_ctx *ctx, struct quota_state *q,
			   const struct qg_rel *r)
{
	struct qg_rel back = { .src = r->dst, .dst = r->src };
	struct problem_ctx pctx = { .key = { r->src, BTRFS_QGROUP_RELATION_KEY,
					     r->dst } };
	u64 lo = r->src < r->dst ? r->src : r->dst;
	u64 hi = r->src < r->dst ? r->dst : r->src;

	if (!bsearch(&back, q->rels.data, q->rels.nr, sizeof(back), rel_cmp))
		check_report(ctx, PR_QGROUP_RELATION_UNPAIRED, &pctx);
	if (r->src > r->dst)
		return;		/* the pair is judged once */
	if (lo >> BTRFS_QGROUP_LEVEL_SHIFT >= hi >> BTRFS_QGROUP_LEVEL_SHIFT)
		pctx.str = "does not go to a higher level";
	else if (!(qg_kinds(q, lo) & QG_INFO) || !(qg_kinds(q, hi) & QG_INFO))
		pctx.str = "names a qgroup that does not exist";
	if (pctx.str)
		check_report(ctx, PR_QGROUP_RELATION_BAD, &pctx);
}

/* Every live subvolume has its level-0 qgroup. */
static void subvols_check(struct check_ctx *ctx, const struct quota_state *q)
{
	size_t i;

	for (i = 0; i < ctx->roots.nr; i++) {
		const struct root_rec *r = VEC_AT(&ctx->roots, struct root_rec, i);

		if (!check_is_fs_tree(r->id) || r->refs == 0 ||
		    r->drop_key.objectid || r->drop_level)
			continue;
		if (!(qg_kinds(q, r->id) & QG_INFO))
			check_report(ctx, PR_QGROUP_SUBVOL_MISSING,
				     &(struct problem_ctx){ .root = r->id });
	}
}

static int u64_cmp(const void *a, const void *b)
{
	const u64 *x = a, *y = b;

	return *x < *y ? -1 : *x > *y;
}

/* Sorts v (of u64) and drops repeats. */
static void u64_unique(struct rec_vec *v)
{
	u64 *x = v->data;
	size_t i, n = 0;

	vec_sort(v, u64_cmp);
	for (i = 0; i < v->nr; i++)
		if (!n || x[n - 1] != x[i])
			x[n++] = x[i];
	v->nr = n;
}

/* Appends the qgroups one level or more below 'id' it has relations to. */
static void qg_children_add(struct check_ctx *ctx, const struct quota_state *q,
			    u64 id, const struct rec_vec *seen,
			    struct rec_vec *next)
{
	const struct qg_rel *r = q->rels.data;
	u64 level = id >> BTRFS_QGROUP_LEVEL_SHIFT;
	size_t lo = 0, hi = q->rels.nr;
	u64 *m;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].src < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < q->rels.nr && r[lo].src == id; lo++) {
		if (r[lo].dst >> BTRFS_QGROUP_LEVEL_SHIFT >= level ||
		    (seen->nr && bsearch(&r[lo].dst, seen->data, seen->nr,
					 sizeof(u64), u64_cmp)))
			continue;
		m = check_push(ctx, next);
		if (!m)
			return;
		*m = r[lo].dst;
	}
}

/*
 * The level-0 qgroups below 'id' (itself at level 0), sorted, into 'out':
 * its children are the relations from it to a lower level, and theirs in
 * turn.  Each qgroup is expanded once, whatever the number of paths to it.
 */
static void qg_members(struct check_ctx *ctx, const struct quota_state *q,
		       u64 id, struct rec_vec *out)
{
	struct rec_vec seen = VEC_INIT(u64), cur = VEC_INIT(u64),
		       next = VEC_INIT(u64);
	u64 *m = check_push(ctx, &cur);
	size_t i;

	if (m)
		*m = id;
	while (cur.nr && !ctx->fatal) {
		next.nr = 0;
		for (i = 0; i < cur.nr; i++) {
			u64 g = *VEC_AT(&cur, u64, i);

			m = check_push(ctx, g >> BTRFS_QGROUP_LEVEL_SHIFT ? &seen :
					    out);
			if (m)
				*m = g;
		}
		u64_unique(&seen);
		for (i = 0; i < cur.nr && !ctx->fatal; i++)
			qg_children_add(ctx, q, *VEC_AT(&cur, u64, i), &seen,
					&next);
		u64_unique(&next);
		vec_free(&cur);
		cur = next;
		next = (struct rec_vec)VEC_INIT(u64);
	}
	u64_unique(out);
	vec_free(&seen);
	vec_free(&cur);
	vec_free(&next);
}

/*
 * The counts of one qgroup: every extent one of its subvolumes uses is
 * referenced, counted once; it is exclusive when no other subvolume uses
 * it.  The subvolumes of a qgroup above level 0 are the level-0 qgroups
 * below it through any chain of relations, each counted once, as the
 * kernel's accounting walks every qgroup a subvolume's qgroup reaches.
 */
static void qg_counts_of(struct check_ctx *ctx, const struct quota_state *q,
			 u64 id, u64 *rfer, u64 *excl)
{
	struct rec_vec members = VEC_INIT(u64);
	const struct qg_use *u = q->uses.data;
	size_t i, j;

	*rfer = *excl = 0;
	qg_members(ctx, q, id, &members);
	for (i = 0; i < q->uses.nr && members.nr; i = j) {
		size_t in = 0, n;

		for (j = i; j < q->uses.nr && u[j].bytenr == u[i].bytenr; j++)
			if (bsearch(&u[j].root, members.data, members.nr,
				    sizeof(u64), u64_cmp))
				in++;
		n = j - i;
		if (in)
			*rfer += u[i].len;
		if (in == n)
			*excl += u[i].len;
	}
	vec_free(&members);
}

/*
 * Simple quotas: a qgroup's referenced and exclusive bytes are both the
 * bytes of the extents its subvolumes own, allocated since simple quotas
 * were enabled.  Each extent has one owner, so no extent counts twice.
 */
static void sq_counts_of(struct check_ctx *ctx, const struct quota_state *q,
			 u64 id, u64 *rfer, u64 *excl)
{
	struct rec_vec members = VEC_INIT(u64);
	const struct sq_owned *o = q->owned.data;
	size_t i;

	*rfer = 0;
	qg_members(ctx, q, id, &members);
	for (i = 0; i < q->owned.nr && members.nr; i++)
		if (o[i].generation >= q->enable_gen &&
		    bsearch(&o[i].root, members.data, members.nr, sizeof(u64),
			    u64_cmp))
			*rfer += o[i].len;
	*excl = *rfer;
	vec_free(&members);
}

static bool simple_mode(const struct quota_state *q)
{
	return q->flags & BTRFS_QGROUP_STATUS_FLAG_SIMPLE_MODE;
}

/*
 * Whether the trees are as the kernel's accounting left them: no subvolume
 * being deleted, no damage, counts marked consistent.  The accounting of
 * simple quotas is done at every commit, whatever the status generation,
 * and needs the generation it was enabled at; a relocation charges blocks
 * to the tree being relocated, which is not kept track of here.
 */
static bool counts_checkable(const struct check_ctx *ctx,
			     const struct quota_state *q)
{
	bool simple = simple_mode(q);
	size_t i;

	if (!q->have_status || q->version != 1 ||
	    (q->flags & (BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT |
			 BTRFS_QGROUP_STATUS_FLAG_RESCAN)) ||
	    (simple && (!q->have_enable_gen || !squota_incompat(ctx))) ||
	    (!simple && q->generation != ctx->fs_info->tree_root.generation) ||
	    ctx->log.by_severity[SEV_ERROR])
		return false;
	for (i = 0; i < ctx->roots.nr; i++) {
		const struct root_rec *r = VEC_AT(&ctx->roots, struct root_rec, i);

		if (check_is_fs_tree(r->id) &&
		    (r->refs == 0 || r->drop_level || r->drop_key.objectid ||
		     r->bad))
			return false;
		if (simple && r->id == BTRFS_TREE_RELOC_OBJECTID)
			return false;
	}
	return true;
}

static bool root_live(const struct check_ctx *ctx, u64 id)
{
	size_t i;

	for (i = 0; i < ctx->roots.nr; i++)
		if (VEC_AT(&ctx->roots, struct root_rec, i)->id == id)
			return check_is_fs_tree(id);
	return false;
}

static void counts_check(struct check_ctx *ctx, struct quota_state *q)
{
	const struct qg_rec *g = q->groups.data;
	char name[48], why[160];
	size_t i;

	bool simple = simple_mode(q);

	if (!counts_checkable(ctx, q))
		return;
	if (simple)
		owned_unique(q);
	else
		uses_unique(q);
	for (i = 0; i < q->groups.nr; i++) {
		u64 level = g[i].id >> BTRFS_QGROUP_LEVEL_SHIFT, rfer, excl;

		/* What a deleted subvolume owns stays charged to it. */
		if (g[i].kind != QG_INFO ||
		    (!simple && level == 0 && !root_live(ctx, g[i].id)))
			continue;
		if (simple)
			sq_counts_of(ctx, q, g[i].id, &rfer, &excl);
		else
			qg_counts_of(ctx, q, g[i].id, &rfer, &excl);
		if (ctx->fatal)
			return;
		if (rfer == g[i].rfer && excl == g[i].excl)
			continue;
		qgroup_name(g[i].id, name, sizeof(name));
		snprintf(why, sizeof(why),
			 "%s has referenced %llu exclusive %llu, the trees give %llu and %llu",
			 name, (unsigned long long)g[i].rfer,
			 (unsigned long long)g[i].excl, (unsigned long long)rfer,
			 (unsigned long long)excl);
		check_report(ctx, PR_QGROUP_COUNTS,
			     &(struct problem_ctx){ .str = why });
	}
}

void quota_check(struct check_ctx *ctx)
{
	struct quota_state *q = ctx->fs ? ctx->fs->quota : NULL;
	size_t i;

	status_check(ctx, q);
	if (!q)
		return;
	vec_sort(&q->groups, qg_cmp);
	vec_sort(&q->rels, rel_cmp);
	groups_check(ctx, q);
	for (i = 0; i < q->rels.nr; i++)
		relation_check(ctx, q, VEC_AT(&q->rels, struct qg_rel, i));
	subvols_check(ctx, q);
	counts_check(ctx, q);
}

/* One count of -Q: ours, the disk's, and their difference when they differ. */
static void report_field(FILE *out, const char *what, u64 ours, u64 disk,
			 u64 disk_cmpr)
{
	fprintf(out, "our:\t\t%s %llu %s compressed %llu\n", what,
		(unsigned long long)ours, what, (unsigned long long)ours);
	fprintf(out, "disk:\t\t%s %llu %s compressed %llu\n", what,
		(unsigned long long)disk, what, (unsigned long long)disk_cmpr);
	if (ours != disk)
		fprintf(out, "diff:\t\t%s %lld %s compressed %lld\n", what,
			(long long)(ours - disk), what, (long long)(ours - disk));
}

int quota_report(struct check_ctx *ctx, FILE *out)
{
	struct quota_state *q = ctx->fs ? ctx->fs->quota : NULL;
	const struct qg_rec *g;
	bool rescan, skip, differ = false;
	size_t i;

	if (!q || !quota_enabled(ctx))
		return 0;
	rescan = q->flags & BTRFS_QGROUP_STATUS_FLAG_RESCAN;
	skip = rescan || (q->flags & BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT);
	if (rescan)
		fprintf(out, "Qgroup rescan is running, a difference in qgroup counts is expected\n");
	else if (skip)
		/* Stock's words, spelling and all, for scripts that match them. */
		fprintf(out, "Rescan hasn't been initialzied, a difference in qgroup accounting is expected\n");
	vec_sort(&q->groups, qg_cmp);
	vec_sort(&q->rels, rel_cmp);
	if (simple_mode(q))
		owned_unique(q);
	else
		uses_unique(q);
	g = q->groups.data;
	for (i = 0; i < q->groups.nr && !ctx->fatal; i++) {
		u64 rfer, excl;

		if (g[i].kind != QG_INFO)
			continue;
		if (simple_mode(q))
			sq_counts_of(ctx, q, g[i].id, &rfer, &excl);
		else
			qg_counts_of(ctx, q, g[i].id, &rfer, &excl);
		fprintf(out, "Counts for qgroup id: %llu/%llu %s\n",
			(unsigned long long)(g[i].id >> BTRFS_QGROUP_LEVEL_SHIFT),
			(unsigned long long)(g[i].id &
					     ((1ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1)),
			rfer != g[i].rfer || excl != g[i].excl ?
			"are different" : "");
		report_field(out, "referenced", rfer, g[i].rfer, g[i].rfer_cmpr);
		report_field(out, "exclusive", excl, g[i].excl, g[i].excl_cmpr);
		differ |= rfer != g[i].rfer || excl != g[i].excl;
	}
	return differ && !skip ? 1 : 0;
}
