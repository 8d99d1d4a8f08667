// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one walker: streams a tree depth first in key order, reading every
 * block through the engine's verifier, and hands each leaf to the item
 * verifiers.
 *
 * A block is expanded (its pointers and file extents recorded as found
 * references, its bytes counted) on the first visit of the whole check.
 * Snapshots share blocks, so a tree that holds files revisits blocks other
 * trees expanded: those visits only feed the per-inode verifiers, which
 * need each subvolume's own view of its inodes.  Any other revisit means a
 * block is linked twice and is reported.
 */
#include <errno.h>
#include <string.h>
#include "check/walk.h"
#include "check/prefetch.h"

static bool tree_is_shareable(u64 id)
{
	return check_is_fs_tree(id) || id == BTRFS_TREE_RELOC_OBJECTID;
}

static bool owner_valid(u64 tree, u64 owner)
{
	if (tree_is_shareable(tree))
		return tree_is_shareable(owner);
	return owner == tree;
}

static void report_block(struct walk_state *ws, enum problem_id id, u64 bytenr,
			 const struct problem_ctx *extra)
{
	struct problem_ctx pctx = *extra;

	pctx.bytenr = bytenr;
	pctx.root = ws->root->id;
	check_report(ws->ctx, id, &pctx);
}

/* Records the reference a parent node (or the root item) holds on a block. */
static void ref_found_block(struct walk_state *ws, u64 bytenr,
			    const struct walk_level *parent)
{
	struct ref_rec *r = check_push(ws->ctx, &ws->ctx->found);

	if (!r)
		return;
	r->bytenr = bytenr;
	r->count = 1;
	if (!parent) {
		bool reloc = ws->root->id == BTRFS_TREE_RELOC_OBJECTID;

		r->kind = reloc ? REF_TREE_SHARED : REF_TREE;
		r->root = reloc ? bytenr : ws->root->id;
	} else if (parent->full_backref) {
		r->kind = REF_TREE_SHARED;
		r->root = parent->eb->start;
	} else {
		r->kind = REF_TREE;
		r->root = eb_owner(parent->eb);
	}
}

static void account_block(struct check_ctx *ctx, const struct extent_buffer *eb)
{
	struct check_totals *t = &ctx->totals;
	u64 owner = eb_owner(eb);
	u32 nr = eb_nritems(eb);

	t->tree_bytes += eb->len;
	if (tree_is_shareable(owner) || owner == BTRFS_DATA_RELOC_TREE_OBJECTID)
		t->fs_tree_bytes += eb->len;
	if (owner == BTRFS_EXTENT_TREE_OBJECTID)
		t->extent_tree_bytes += eb->len;
	if (eb_level(eb)) {
		t->btree_waste += (u64)(btrfs_node_ptrs_max(eb->len) - nr) *
				  sizeof(struct btrfs_key_ptr);
	} else if (nr == 0) {
		t->btree_waste += btrfs_leaf_data_size(eb->len);
	} else {
		u32 used = eb_item_offset(eb, 0) + eb_item_size(eb, 0) -
			   eb_item_offset(eb, (int)nr - 1) +
			   nr * (u32)sizeof(struct btrfs_item);

		t->btree_waste += btrfs_leaf_data_size(eb->len) - used;
	}
}

/* First visit: header facts, the extent item, the bytes. */
static bool block_expand(struct walk_state *ws, const struct extent_buffer *eb)
{
	struct check_ctx *ctx = ws->ctx;
	u64 gen = eb_generation(eb);
	struct ref_rec *early;

	if (gen > ctx->fs_info->sb.generation)
		report_block(ws, PR_TREE_BLOCK_GENERATION, eb->start,
			     &(struct problem_ctx){ .have = gen,
				.want = ctx->fs_info->sb.generation });
	account_block(ctx, eb);
	if (ctx->extents_ready) {
		block_check_extent(ctx, eb->start, ws->root->id, eb_level(eb));
		return extent_flags_of(ctx, eb->start) &
		       BTRFS_BLOCK_FLAG_FULL_BACKREF;
	}
	early = check_push(ctx, &ctx->early_blocks);
	if (early) {
		early->bytenr = eb->start;
		early->root = ws->root->id;
		early->offset = (u64)eb_level(eb);
	}
	return false;
}

/*
 * Decides how this visit of a block goes: -1 skip it, 0 a revisit (items
 * only), 1 the first visit.
 */
static int block_visit_kind(struct walk_state *ws,
			    const struct extent_buffer *eb)
{
	struct check_ctx *ctx = ws->ctx;
	struct block_slot *slot;
	bool is_new;
	u64 prev_tree;

	slot = block_set_get(&ctx->seen, eb->start, &is_new);
	if (!slot) {
		check_oom(ctx);
		return -1;
	}
	if (!is_new && slot->seq == ws->seq) {
		report_block(ws, PR_TREE_BLOCK_DUPLICATE, eb->start,
			     &(struct problem_ctx){ 0 });
		return -1;
	}
	prev_tree = is_new || slot->seq >= ctx->walk_trees.nr ? 0 :
		    *VEC_AT(&ctx->walk_trees, u64, slot->seq);
	slot->seq = ws->seq;
	if (is_new)
		return 1;
	if (!ws->fs || !tree_is_shareable(prev_tree)) {
		report_block(ws, PR_TREE_BLOCK_CROSS_TREE, eb->start,
			     &(struct problem_ctx){ .owner = prev_tree });
		return -1;
	}
	return 0;
}

/* The slot a node's walk starts at, leaving out what a drop removed. */
static int node_start_slot(const struct walk_state *ws,
			   const struct extent_buffer *eb)
{
	const struct root_rec *root = ws->root;
	int level = eb_level(eb), lo = 0, hi = (int)eb_nritems(eb);

	if (!root->drop_level || level < root->drop_level)
		return 0;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct btrfs_key key;

		eb_node_key(eb, &key, mid);
		if (btrfs_comp_keys(&key, &root->drop_key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo: the first key >= drop key.  Above the drop level the child
	 * before it still holds keys from the drop key on. */
	if (level > root->drop_level && lo > 0) {
		struct btrfs_key key;

		if (lo == (int)eb_nritems(eb))
			return lo - 1;
		eb_node_key(eb, &key, lo);
		if (btrfs_comp_keys(&key, &root->drop_key) != 0)
			lo--;
	}
	return lo;
}

/*
 * Visits a block just read; takes over the reference.  A node is pushed
 * on the path, a leaf handed to the item verifiers.
 */
static void block_visit(struct walk_state *ws, struct extent_buffer *eb)
{
	int kind = ws->root->verify_only ? 0 : block_visit_kind(ws, eb);
	int level = eb_level(eb);
	bool full_backref = false;
	enum subtree_visit sub = SUB_NONE;

	if (kind < 0)
		goto out_put;
	inodes_block(ws, eb);
	if (!owner_valid(ws->root->id, eb_owner(eb)))
		report_block(ws, PR_TREE_BLOCK_OWNER, eb->start,
			     &(struct problem_ctx){ .owner = eb_owner(eb) });
	if (kind == 1)
		full_backref = block_expand(ws, eb);
	if (ws->scopes)
		sub = subtree_enter(ws, eb, kind);
	if (level == 0) {
		ws->leaf_full_backref = full_backref;
		if (!ws->root->verify_only)
			items_leaf(ws, eb, kind == 1);
		if (sub != SUB_NONE)
			subtree_leave(ws, sub, eb->start);
		goto out_put;
	}
	ws->path[level].eb = eb;
	ws->path[level].slot = node_start_slot(ws, eb);
	if (ws->skip)
		prefetch_node_none(ws->ctx->prefetch, level);
	else
		prefetch_node(ws->ctx->prefetch, eb, ws->path[level].slot);
	ws->path[level].first = kind == 1;
	ws->path[level].full_backref = full_backref;
	ws->path[level].edge = ws->skip != NULL;
	ws->path[level].sub = (u8)sub;
	return;
out_put:
	extent_buffer_put(eb);
}

static void report_read_error(struct walk_state *ws, enum problem_id id,
			      u64 bytenr)
{
	struct btrfs_fs_info *fs_info = ws->ctx->fs_info;

	report_block(ws, id, bytenr, &(struct problem_ctx){
		.str = fs_info->err[0] ? fs_info->err : "cannot read it" });
	fs_info->err[0] = '\0';
}

/* Takes the next child of the node at 'level'; false when it has none. */
static bool node_step(struct walk_state *ws, int level)
{
	struct walk_level *wl = &ws->path[level];
	struct btrfs_key key;
	struct tree_block_expect expect = { .level = level - 1,
					    .first_key = &key };
	struct extent_buffer *child;
	int slot = wl->slot, nr = (int)eb_nritems(wl->eb);
	u64 ptr;

	/* A skipped subtree is read only where its edge items are. */
	while (wl->edge && slot < nr && !subtree_edge_child(ws, wl->eb, slot))
		slot++;
	wl->slot = slot;
	if (slot >= nr)
		return false;
	wl->slot++;
	ptr = eb_node_blockptr(wl->eb, slot);
	expect.generation = eb_node_ptr_generation(wl->eb, slot);
	eb_node_key(wl->eb, &key, slot);
	if (wl->first)
		ref_found_block(ws, ptr, wl);
	if (prefetch_read(ws->ctx->prefetch, ws->ctx->fs_info, level, slot, ptr,
			  &expect, &child)) {
		report_read_error(ws, PR_TREE_BLOCK_BAD, ptr);
		return true;
	}
	block_visit(ws, child);
	return true;
}

static void path_release(struct walk_state *ws)
{
	int i;

	for (i = 0; i < BTRFS_MAX_LEVEL; i++) {
		extent_buffer_put(ws->path[i].eb);
		ws->path[i].eb = NULL;
		ws->path[i].sub = SUB_NONE;
	}
}

/* Depth first from the root block on the path down to the leaves. */
static void walk_nodes(struct walk_state *ws, int top)
{
	int level = top;

	while (level <= top && !ws->ctx->fatal) {
		if (!ws->path[level].eb) {
			level++;
			continue;
		}
		if (!node_step(ws, level)) {
			if (ws->path[level].sub != SUB_NONE)
				subtree_leave(ws, ws->path[level].sub,
					      ws->path[level].eb->start);
			extent_buffer_put(ws->path[level].eb);
			ws->path[level].eb = NULL;
			level++;
			continue;
		}
		/* A child node was pushed one level down. */
		if (level > 1 && ws->path[level - 1].eb)
			level--;
	}
}

static u32 walk_seq_new(struct check_ctx *ctx, u64 tree)
{
	u64 *slot;

	/* Sequence 0 is never used, so a fresh block slot is nobody's. */
	if (!ctx->walk_trees.nr && !check_push(ctx, &ctx->walk_trees))
		return 0;
	slot = check_push(ctx, &ctx->walk_trees);
	if (!slot)
		return 0;
	*slot = tree;
	return (u32)(ctx->walk_trees.nr - 1);
}

int walk_tree(struct check_ctx *ctx, const struct root_rec *root)
{
	struct walk_state ws = { .ctx = ctx, .root = root };
	struct tree_block_expect expect = {
		.generation = root->generation,
		.level = root->level,
	};
	struct extent_buffer *eb;

	if (root->bad || ctx->fatal)
		return ctx->fatal;
	ws.seq = walk_seq_new(ctx, root->id);
	if (!ws.seq)
		return ctx->fatal;
	ws.fs = tree_is_shareable(root->id);
	if (!root->verify_only)
		ref_found_block(&ws, root->bytenr, NULL);
	if (ws.fs && !root->verify_only)
		inodes_tree_begin(&ws);
	if (tree_block_read(ctx->fs_info, root->bytenr, &expect, &eb)) {
		report_read_error(&ws, PR_TREE_BLOCK_BAD, root->bytenr);
		inodes_tree_end(&ws);
		return ctx->fatal;
	}
	block_visit(&ws, eb);
	walk_nodes(&ws, root->level);
	path_release(&ws);
	inodes_tree_end(&ws);
	return ctx->fatal;
}
