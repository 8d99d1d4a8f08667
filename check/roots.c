// SPDX-License-Identifier: GPL-2.0-only
/*
 * Root items (phase 1): the list of trees the walker streams, each root
 * block checked against its root item.  Root references (phase 6): every
 * ROOT_REF has its ROOT_BACKREF, and a subvolume's refs count matches.
 */
#include <errno.h>
#include <string.h>
#include "check/check.h"

static struct root_rec *root_add(struct check_ctx *ctx, struct rec_vec *v,
				 u64 id, u64 bytenr, u64 generation, u8 level)
{
	struct root_rec *r = check_push(ctx, v);

	if (!r)
		return NULL;
	r->id = id;
	r->bytenr = bytenr;
	r->generation = generation;
	r->level = level;
	r->refs = 1;
	return r;
}

static void root_from_item(struct check_ctx *ctx, struct rec_vec *v,
			   const struct btrfs_key *key,
			   const struct extent_buffer *eb, int slot)
{
	struct btrfs_root_item item = { 0 };
	u32 size = eb_item_size(eb, slot);
	struct root_rec *r;

	if (size < BTRFS_LEGACY_ROOT_ITEM_SIZE)
		return;
	memcpy(&item, eb_item_ptr(eb, slot),
	       size < sizeof(item) ? size : sizeof(item));
	r = root_add(ctx, v, key->objectid, btrfs_root_bytenr(&item),
		     btrfs_root_generation(&item), btrfs_root_level(&item));
	if (!r)
		return;
	r->offset = key->offset;
	r->flags = btrfs_root_flags(&item);
	r->refs = btrfs_root_refs(&item);
	r->last_snapshot = btrfs_root_last_snapshot(&item);
	r->drop_level = btrfs_root_drop_level(&item);
	btrfs_disk_key_to_cpu(&r->drop_key, &item.drop_progress);
}

/* Reads the ROOT_ITEMs of a tree of roots with the engine's iterator. */
static int root_items_read(struct check_ctx *ctx, const struct btrfs_root *tree,
			   struct rec_vec *v)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, tree, &key, &path);
	while (ret >= 0 && !ctx->fatal) {
		struct extent_buffer *leaf = path.nodes[0];

		if (!leaf || path.slots[0] >= (int)eb_nritems(leaf))
			break;
		eb_item_key(leaf, &key, path.slots[0]);
		if (key.type == BTRFS_ROOT_ITEM_KEY)
			root_from_item(ctx, v, &key, leaf, path.slots[0]);
		ret = btrfs_next_item(fs_info, &path);
		if (ret > 0)
			break;
	}
	btrfs_path_release(&path);
	if (ret < 0)
		check_report(ctx, PR_ROOT_TREE_BAD, &(struct problem_ctx){
			.str = fs_info->err[0] ? fs_info->err : strerror(-ret) });
	return ret < 0 ? ret : 0;
}

/* The root block must be what its root item promises. */
static void root_block_check(struct check_ctx *ctx, struct root_rec *r)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	struct tree_block_expect expect = { .generation = r->generation,
					    .level = r->level };
	struct problem_ctx pctx = { .bytenr = r->bytenr, .root = r->id };
	struct extent_buffer *eb;
	u64 super_gen = fs_info->sb.generation;

	if (r->generation > super_gen) {
		pctx.have = r->generation;
		pctx.want = super_gen;
		check_report(ctx, PR_ROOT_ITEM_GENERATION, &pctx);
	}
	fs_info->err[0] = '\0';
	if (tree_block_read(fs_info, r->bytenr, &expect, &eb)) {
		pctx.str = fs_info->err[0] ? fs_info->err : "cannot read it";
		check_report(ctx, PR_ROOT_BLOCK_BAD, &pctx);
		r->bad = true;
		return;
	}
	if (eb_owner(eb) != r->id &&
	    r->id != BTRFS_TREE_RELOC_OBJECTID) {
		pctx.str = "its owner is another tree";
		check_report(ctx, PR_ROOT_BLOCK_BAD, &pctx);
	}
	extent_buffer_put(eb);
}

int roots_load(struct check_ctx *ctx)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	const struct btrfs_root *tr = &fs_info->tree_root;
	const struct btrfs_root *cr = &fs_info->chunk_root;
	size_t i;
	int ret;

	if (!root_add(ctx, &ctx->roots, BTRFS_ROOT_TREE_OBJECTID, tr->bytenr,
		      tr->generation, tr->level) ||
	    !root_add(ctx, &ctx->roots, BTRFS_CHUNK_TREE_OBJECTID, cr->bytenr,
		      cr->generation, cr->level))
		return ctx->fatal;
	ret = root_items_read(ctx, &fs_info->tree_root, &ctx->roots);
	for (i = 0; i < ctx->roots.nr; i++)
		root_block_check(ctx, VEC_AT(&ctx->roots, struct root_rec, i));
	return ctx->fatal ? ctx->fatal : ret;
}

/*
 * The log trees of an fsync not yet replayed: their blocks are verified,
 * but they are outside the extent tree and the free space accounting, as
 * the kernel keeps them until the next mount replays them.
 */
void roots_walk_log(struct check_ctx *ctx)
{
	const struct btrfs_sb_info *sb = &ctx->fs_info->sb;
	struct rec_vec logs = VEC_INIT(struct root_rec);
	struct btrfs_root tree = { .objectid = BTRFS_TREE_LOG_OBJECTID,
				   .bytenr = sb->log_root,
				   .level = sb->log_root_level,
				   .fs_info = ctx->fs_info };
	struct root_rec *r;
	size_t i;

	if (!sb->log_root)
		return;
	r = root_add(ctx, &logs, BTRFS_TREE_LOG_OBJECTID, sb->log_root, 0,
		     sb->log_root_level);
	if (!r)
		return;
	r->verify_only = true;
	walk_tree(ctx, r);
	root_items_read(ctx, &tree, &logs);
	for (i = 1; i < logs.nr && !ctx->fatal; i++) {
		r = VEC_AT(&logs, struct root_rec, i);
		r->verify_only = true;
		walk_tree(ctx, r);
	}
	vec_free(&logs);
}

static int root_ref_cmp(const void *a, const void *b)
{
	const struct root_ref_rec *x = a, *y = b;

	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return (int)x->backref - (int)y->backref;
}

static bool root_ref_same(const struct root_ref_rec *a,
			  const struct root_ref_rec *b)
{
	return a->dirid == b->dirid && a->sequence == b->sequence &&
	       a->name_len == b->name_len && a->name_crc == b->name_crc;
}

/* Pairs ROOT_REF with ROOT_BACKREF; counts backrefs per subvolume. */
static void root_refs_pair(struct check_ctx *ctx)
{
	const struct root_ref_rec *r = ctx->root_refs.data;
	size_t i = 0, n = ctx->root_refs.nr;

	while (i < n) {
		struct problem_ctx pctx = { .root = r[i].child,
					    .parent = r[i].parent };
		bool pair = i + 1 < n && r[i + 1].child == r[i].child &&
			    r[i + 1].parent == r[i].parent &&
			    !r[i].backref && r[i + 1].backref;

		if (!pair) {
			pctx.str = r[i].backref ? "root backref" : "root ref";
			check_report(ctx, PR_ROOT_REF_UNMATCHED, &pctx);
			i++;
			continue;
		}
		if (!root_ref_same(&r[i], &r[i + 1])) {
			pctx.str = "directory, sequence or name differ";
			check_report(ctx, PR_ROOT_REF_MISMATCH, &pctx);
		}
		i += 2;
	}
}

static u64 backrefs_of(const struct check_ctx *ctx, u64 child)
{
	const struct root_ref_rec *r = ctx->root_refs.data;
	u64 n = 0;
	size_t i;

	for (i = 0; i < ctx->root_refs.nr; i++)
		if (r[i].child == child && r[i].backref)
			n++;
	return n;
}

static bool has_orphan(const struct check_ctx *ctx, u64 id)
{
	size_t i;

	for (i = 0; i < ctx->orphans.nr; i++)
		if (*VEC_AT(&ctx->orphans, u64, i) == id)
			return true;
	return false;
}

void roots_check_refs(struct check_ctx *ctx)
{
	size_t i;

	vec_sort(&ctx->root_refs, root_ref_cmp);
	root_refs_pair(ctx);
	for (i = 0; i < ctx->roots.nr; i++) {
		const struct root_rec *r = VEC_AT(&ctx->roots, struct root_rec, i);
		struct problem_ctx pctx = { .root = r->id };
		u64 n;

		if (!check_is_fs_tree(r->id) || r->id == BTRFS_FS_TREE_OBJECTID)
			continue;
		n = backrefs_of(ctx, r->id);
		if (r->refs == 0 && n == 0) {
			if (!has_orphan(ctx, r->id))
				check_report(ctx, PR_ROOT_ORPHAN_MISSING, &pctx);
			continue;
		}
		if (n != r->refs) {
			pctx.have = n;
			pctx.want = r->refs;
			check_report(ctx, PR_ROOT_REFS_COUNT, &pctx);
		}
	}
}
