// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compact record arrays and the set of tree blocks seen, plus the check
 * context's life cycle.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check/check.h"

void *vec_push(struct rec_vec *v)
{
	void *slot;

	if (v->nr == v->alloc) {
		size_t n = v->alloc ? v->alloc * 2 : 256;
		void *data;

		if (v->limit && n > v->limit)
			n = v->limit;
		data = realloc(v->data, n * v->elem);
		if (!data)
			return NULL;
		v->data = data;
		v->alloc = n;
	}
	slot = (char *)v->data + v->nr * v->elem;
	memset(slot, 0, v->elem);
	v->nr++;
	return slot;
}

void vec_free(struct rec_vec *v)
{
	free(v->data);
	v->data = NULL;
	v->nr = v->alloc = 0;
	free(v->runs);
	v->runs = NULL;
	v->nr_runs = 0;
}

/* Records often arrive in order already: then there is nothing to do. */
void vec_sort(struct rec_vec *v, int (*cmp)(const void *, const void *))
{
	const char *p = v->data;
	size_t i;

	for (i = 1; i < v->nr; i++)
		if (cmp(p + (i - 1) * v->elem, p + i * v->elem) > 0)
			break;
	if (i < v->nr)
		qsort(v->data, v->nr, v->elem, cmp);
}

/* ------------------------------------------------------------ spilling */

void vec_spillable(struct rec_vec *v, size_t bytes,
		   int (*cmp)(const void *, const void *))
{
	v->limit = bytes / v->elem ? bytes / v->elem : 1;
	v->cmp = cmp;
}

/* An unlinked temporary file in $TMPDIR (or /tmp). */
static int spill_open(struct spill_file *sp)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/btrfs-check.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			return -errno;
		unlink(path);
	}
	sp->fd = fd;
	return 0;
}

static int spill_write(int fd, const void *buf, size_t len, u64 off)
{
	const char *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ENOSPC;
		p += n;
		len -= (size_t)n;
		off += (u64)n;
	}
	return 0;
}

static int spill_read(int fd, void *buf, size_t len, u64 off)
{
	char *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
		off += (u64)n;
	}
	return 0;
}

/* Stops the check because the spill file failed. */
static void spill_fail(struct check_ctx *ctx, int ret)
{
	char why[128];

	if (ret == -ENOMEM) {
		check_oom(ctx);
		return;
	}
	if (ctx->fatal)
		return;
	ctx->fatal = ret;
	snprintf(why, sizeof(why), "cannot use a temporary file: %s",
		 strerror(-ret));
	check_report(ctx, PR_CHECK_ABORTED, &(struct problem_ctx){ .str = why });
}

/* Writes the records in memory as one sorted run and empties the vec. */
static int vec_spill(struct check_ctx *ctx, struct rec_vec *v)
{
	struct spill_file *sp = &ctx->spill;
	struct spill_run *runs;
	int ret;

	if (!v->nr)
		return 0;
	if (sp->fd < 0) {
		ret = spill_open(sp);
		if (ret)
			return ret;
	}
	runs = realloc(v->runs, (v->nr_runs + 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	v->runs = runs;
	vec_sort(v, v->cmp);
	ret = spill_write(sp->fd, v->data, v->nr * v->elem, sp->size);
	if (ret)
		return ret;
	runs[v->nr_runs].off = sp->size;
	runs[v->nr_runs].nr = v->nr;
	v->nr_runs++;
	sp->size += (u64)v->nr * v->elem;
	sp->runs++;
	v->nr = 0;
	return 0;
}

/* One run being merged: what is left of it in the file, and a buffer. */
struct iter_run {
	u64 off;
	size_t left;
	char *buf;
	size_t buf_nr;
	size_t buf_pos;
};

/* Reads at most 64 KiB of each run at a time. */
#define ITER_BUF_BYTES (64U << 10)

static const void *run_head(const struct rec_iter *it, size_t r)
{
	const struct iter_run *ir = &it->runs[r];

	return ir->buf + ir->buf_pos * it->v->elem;
}

static bool heap_less(const struct rec_iter *it, size_t a, size_t b)
{
	int c = it->v->cmp(run_head(it, a), run_head(it, b));

	return c < 0 || (c == 0 && a < b);
}

static void heap_down(struct rec_iter *it, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i, t;

		if (l < it->nr_heap && heap_less(it, it->heap[l], it->heap[m]))
			m = l;
		if (l + 1 < it->nr_heap &&
		    heap_less(it, it->heap[l + 1], it->heap[m]))
			m = l + 1;
		if (m == i)
			return;
		t = it->heap[i];
		it->heap[i] = it->heap[m];
		it->heap[m] = t;
		i = m;
	}
}

/* Reads the next records of a run; buf_nr is 0 at its end. */
static int run_fill(struct rec_iter *it, struct iter_run *ir)
{
	size_t n = ir->left < it->buf_recs ? ir->left : it->buf_recs;
	size_t elem = it->v->elem;
	int ret;

	ir->buf_pos = 0;
	ir->buf_nr = n;
	if (!n)
		return 0;
	ret = spill_read(it->ctx->spill.fd, ir->buf, n * elem, ir->off);
	ir->off += (u64)n * elem;
	ir->left -= n;
	return ret;
}

/* Sets up the k-way merge of a vec's runs; its memory is freed first. */
static int iter_merge_start(struct rec_iter *it)
{
	struct rec_vec *v = it->v;
	size_t r, share;
	int ret;

	ret = vec_spill(it->ctx, v);
	if (ret)
		return ret;
	free(v->data);
	v->data = NULL;
	v->alloc = 0;
	/* The buffers together stay within the vec's own budget. */
	share = v->limit / v->nr_runs;
	it->buf_recs = share ? share : 1;
	if (it->buf_recs * v->elem > ITER_BUF_BYTES)
		it->buf_recs = ITER_BUF_BYTES / v->elem ? ITER_BUF_BYTES / v->elem : 1;
	it->runs = calloc(v->nr_runs, sizeof(*it->runs));
	it->heap = calloc(v->nr_runs, sizeof(*it->heap));
	it->cur = malloc(v->elem);
	if (!it->runs || !it->heap || !it->cur)
		return -ENOMEM;
	for (r = 0; r < v->nr_runs; r++) {
		struct iter_run *ir = &it->runs[r];

		ir->off = v->runs[r].off;
		ir->left = v->runs[r].nr;
		ir->buf = malloc(it->buf_recs * v->elem);
		if (!ir->buf)
			return -ENOMEM;
		ret = run_fill(it, ir);
		if (ret)
			return ret;
		if (ir->buf_nr)
			it->heap[it->nr_heap++] = r;
	}
	for (r = it->nr_heap / 2; r-- > 0;)
		heap_down(it, r);
	return 0;
}

bool vec_iter_start(struct check_ctx *ctx, struct rec_vec *v,
		    struct rec_iter *it)
{
	int ret;

	memset(it, 0, sizeof(*it));
	it->ctx = ctx;
	it->v = v;
	if (!v->nr_runs) {
		if (v->cmp)
			vec_sort(v, v->cmp);
		return true;
	}
	ret = iter_merge_start(it);
	if (ret) {
		spill_fail(ctx, ret);
		vec_iter_end(it);
		return false;
	}
	return true;
}

const void *vec_iter_next(struct rec_iter *it)
{
	struct iter_run *ir;
	size_t top;
	int ret;

	if (!it->runs)
		return it->pos < it->v->nr ?
		       (char *)it->v->data + it->pos++ * it->v->elem : NULL;
	if (!it->nr_heap)
		return NULL;
	top = it->heap[0];
	ir = &it->runs[top];
	memcpy(it->cur, run_head(it, top), it->v->elem);
	if (++ir->buf_pos == ir->buf_nr) {
		ret = run_fill(it, ir);
		if (ret) {
			spill_fail(it->ctx, ret);
			it->nr_heap = 0;
			return NULL;
		}
		if (!ir->buf_nr)
			it->heap[0] = it->heap[--it->nr_heap];
	}
	heap_down(it, 0);
	return it->cur;
}

void vec_iter_end(struct rec_iter *it)
{
	size_t r;

	if (it->runs)
		for (r = 0; r < it->v->nr_runs; r++)
			free(it->runs[r].buf);
	free(it->runs);
	free(it->heap);
	free(it->cur);
	it->runs = NULL;
	it->heap = NULL;
	it->cur = NULL;
	it->nr_heap = 0;
}

int block_set_init(struct block_set *set)
{
	set->mask = (1U << 16) - 1;
	set->nr = 0;
	set->slots = calloc(set->mask + 1, sizeof(*set->slots));
	return set->slots ? 0 : -ENOMEM;
}

void block_set_free(struct block_set *set)
{
	free(set->slots);
	set->slots = NULL;
}

static size_t block_hash(u64 key, size_t mask)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
}

static struct block_slot *block_set_find(struct block_slot *slots, size_t mask,
					 u64 key)
{
	size_t i = block_hash(key, mask);

	while (slots[i].key && slots[i].key != key)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Doubles the table when it is half full. */
static int block_set_grow(struct block_set *set)
{
	size_t mask = set->mask * 2 + 1, i;
	struct block_slot *slots = calloc(mask + 1, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i <= set->mask; i++)
		if (set->slots[i].key)
			*block_set_find(slots, mask, set->slots[i].key) =
				set->slots[i];
	free(set->slots);
	set->slots = slots;
	set->mask = mask;
	return 0;
}

struct block_slot *block_set_get(struct block_set *set, u64 bytenr,
				 bool *is_new)
{
	u64 key = bytenr | 1;
	struct block_slot *slot;

	if ((set->nr + 1) * 2 > set->mask && block_set_grow(set))
		return NULL;
	slot = block_set_find(set->slots, set->mask, key);
	*is_new = !slot->key;
	if (*is_new) {
		slot->key = key;
		slot->seq = 0;
		set->nr++;
	}
	return slot;
}

void check_oom(struct check_ctx *ctx)
{
	if (ctx->fatal)
		return;
	ctx->fatal = -ENOMEM;
	check_report(ctx, PR_CHECK_ABORTED,
		     &(struct problem_ctx){ .str = "out of memory" });
}

void *check_push(struct check_ctx *ctx, struct rec_vec *v)
{
	void *slot;
	int ret;

	if (v->limit && v->nr == v->limit) {
		ret = vec_spill(ctx, v);
		if (ret) {
			spill_fail(ctx, ret);
			return NULL;
		}
	}
	slot = vec_push(v);

	if (!slot)
		check_oom(ctx);
	return slot;
}

bool check_is_fs_tree(u64 id)
{
	if (id == BTRFS_FS_TREE_OBJECTID)
		return true;
	return (s64)id >= (s64)BTRFS_FIRST_FREE_OBJECTID &&
	       (id >> BTRFS_QGROUP_LEVEL_SHIFT) == 0;
}

int check_ctx_init(struct check_ctx *ctx, struct btrfs_fs_info *fs_info,
		   const struct check_opts *opts)
{
	static const struct check_ctx empty = {
		.walk_trees = VEC_INIT(u64),
		.roots = VEC_INIT(struct root_rec),
		.extents = VEC_INIT(struct extent_rec),
		.declared = VEC_INIT(struct ref_rec),
		.found = VEC_INIT(struct ref_rec),
		.early_blocks = VEC_INIT(struct ref_rec),
		.chunks = VEC_INIT(struct chunk_rec),
		.stripes = VEC_INIT(struct stripe_rec),
		.devs = VEC_INIT(struct dev_rec),
		.dev_extents = VEC_INIT(struct dev_extent_rec),
		.bgs = VEC_INIT(struct bg_rec),
		.fst_infos = VEC_INIT(struct fst_info_rec),
		.fst_ranges = VEC_INIT(struct range_rec),
		.csums = VEC_INIT(struct range_rec),
		.root_refs = VEC_INIT(struct root_ref_rec),
		.orphans = VEC_INIT(u64),
		.dax_extents = VEC_INIT(struct dax_extent_rec),
	};
	u64 budget = opts->mem_budget ? opts->mem_budget :
		     CHECK_MEM_BUDGET_DEFAULT;

	*ctx = empty;
	ctx->fs_info = fs_info;
	ctx->opts = opts;
	ctx->spill.fd = -1;
	/* The two biggest arrays, the references, share the budget. */
	vec_spillable(&ctx->found, (size_t)(budget / 2), ref_rec_cmp);
	vec_spillable(&ctx->declared, (size_t)(budget / 2), ref_rec_cmp);
	problem_log_init(&ctx->log, opts->json);
	ctx->log.quiet = opts->qgroup_report;
	return block_set_init(&ctx->seen);
}

void check_ctx_free(struct check_ctx *ctx)
{
	struct rec_vec *vecs[] = {
		&ctx->walk_trees, &ctx->roots, &ctx->extents, &ctx->declared,
		&ctx->found, &ctx->early_blocks, &ctx->chunks, &ctx->stripes,
		&ctx->devs, &ctx->dev_extents, &ctx->bgs, &ctx->fst_infos,
		&ctx->fst_ranges, &ctx->csums, &ctx->root_refs, &ctx->orphans,
		&ctx->dax_extents,
	};
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		vec_free(vecs[i]);
	fs_check_free(ctx);
	space_cache_free(ctx);
	block_set_free(&ctx->seen);
	if (ctx->spill.fd >= 0)
		close(ctx->spill.fd);
	ctx->spill.fd = -1;
	problem_log_free(&ctx->log);
}
