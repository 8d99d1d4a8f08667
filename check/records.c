// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compact record arrays and the set of tree blocks seen, plus the check
 * context's life cycle.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "check/check.h"

void *vec_push(struct rec_vec *v)
{
	void *slot;

	if (v->nr == v->alloc) {
		size_t n = v->alloc ? v->alloc * 2 : 256;
		void *data = realloc(v->data, n * v->elem);

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
}

void vec_sort(struct rec_vec *v, int (*cmp)(const void *, const void *))
{
	if (v->nr > 1)
		qsort(v->data, v->nr, v->elem, cmp);
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
	void *slot = vec_push(v);

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

	*ctx = empty;
	ctx->fs_info = fs_info;
	ctx->opts = opts;
	problem_log_init(&ctx->log, opts->json);
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
	block_set_free(&ctx->seen);
	problem_log_free(&ctx->log);
}
