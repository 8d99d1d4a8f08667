// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-item verifiers: what one item says, recorded compactly for the
 * cross-checks.  The engine's tree checker has already validated sizes and
 * layouts of every item handed here; lengths are still checked before any
 * read so that nothing here can run past an item.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/csum.h"
#include "check/walk.h"

const struct extent_rec *extent_lookup(const struct check_ctx *ctx,
				       u64 bytenr)
{
	const struct extent_rec *e = ctx->extents.data;
	size_t lo = 0, hi = ctx->extents.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (e[mid].bytenr < bytenr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ctx->extents.nr && e[lo].bytenr == bytenr)
		return &e[lo];
	return NULL;
}

u64 extent_flags_of(struct check_ctx *ctx, u64 bytenr)
{
	const struct extent_rec *e = extent_lookup(ctx, bytenr);

	return e ? e->flags : 0;
}

void block_check_extent(struct check_ctx *ctx, u64 bytenr, u64 tree,
			int level)
{
	const struct extent_rec *e = extent_lookup(ctx, bytenr);
	struct problem_ctx pctx = { .bytenr = bytenr, .root = tree,
				    .level = level };
	char why[96];

	if (!e) {
		check_report(ctx, PR_TREE_BLOCK_NO_EXTENT, &pctx);
		return;
	}
	if (!(e->flags & BTRFS_EXTENT_FLAG_TREE_BLOCK))
		snprintf(why, sizeof(why), "it is not flagged as a tree block");
	else if (e->len != ctx->fs_info->sb.nodesize)
		snprintf(why, sizeof(why), "its length is %llu",
			 (unsigned long long)e->len);
	else if (e->has_level && e->level != level)
		snprintf(why, sizeof(why), "its level is %u", e->level);
	else
		return;
	pctx.str = why;
	check_report(ctx, PR_TREE_BLOCK_EXTENT, &pctx);
}

static void ref_add(struct check_ctx *ctx, struct rec_vec *v, u64 bytenr,
		    u8 kind, u64 root, u64 ino, u64 offset, u32 count)
{
	struct ref_rec *r = check_push(ctx, v);

	if (!r)
		return;
	r->bytenr = bytenr;
	r->kind = kind;
	r->root = root;
	r->ino = ino;
	r->offset = offset;
	r->count = count;
}

/* A file extent: its data reference and the data totals, once per leaf. */
static void file_extent_found(struct walk_state *ws,
			      const struct extent_buffer *eb, int slot,
			      const struct btrfs_key *key)
{
	struct check_ctx *ctx = ws->ctx;
	const struct btrfs_file_extent_item *fe =
		eb_item_ptr_type(eb, slot, struct btrfs_file_extent_item);
	u64 disk, disk_len;
	const struct extent_rec *e;
	struct problem_ctx pctx;
	char why[64];

	if (eb_item_size(eb, slot) != sizeof(*fe) ||
	    btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE ||
	    key->offset % ctx->fs_info->sb.sectorsize)
		return;
	disk = btrfs_file_extent_disk_bytenr(fe);
	disk_len = btrfs_file_extent_disk_num_bytes(fe);
	if (!disk)
		return;
	ctx->totals.data_allocated += disk_len;
	ctx->totals.data_referenced += btrfs_file_extent_num_bytes(fe);
	if (ws->leaf_full_backref)
		ref_add(ctx, &ctx->found, disk, REF_DATA_SHARED, eb->start, 0,
			0, 1);
	else
		ref_add(ctx, &ctx->found, disk, REF_DATA, eb_owner(eb),
			key->objectid,
			key->offset - btrfs_file_extent_offset(fe), 1);
	if (!ctx->extents_ready)
		return;
	pctx = (struct problem_ctx){ .root = ws->root->id,
		.ino = key->objectid, .offset = key->offset, .bytenr = disk,
		.len = disk_len, .str = why };
	e = extent_lookup(ctx, disk);
	if (!e) {
		check_report(ctx, PR_DATA_EXTENT_MISSING, &pctx);
		return;
	}
	if (!(e->flags & BTRFS_EXTENT_FLAG_DATA))
		snprintf(why, sizeof(why), "not a data extent");
	else if (e->len != disk_len)
		snprintf(why, sizeof(why), "%llu bytes long",
			 (unsigned long long)e->len);
	else
		return;
	check_report(ctx, PR_DATA_EXTENT_MISMATCH, &pctx);
}

/* Records one back reference the extent tree declares. */
static void declared_ref_add(struct check_ctx *ctx, u64 bytenr,
			     const struct extent_ref *r)
{
	switch (r->type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
		ref_add(ctx, &ctx->declared, bytenr, REF_TREE, r->root, 0, 0, 1);
		break;
	case BTRFS_SHARED_BLOCK_REF_KEY:
		ref_add(ctx, &ctx->declared, bytenr, REF_TREE_SHARED, r->parent,
			0, 0, 1);
		break;
	case BTRFS_EXTENT_DATA_REF_KEY:
		ref_add(ctx, &ctx->declared, bytenr, REF_DATA, r->root, r->ino,
			r->offset, r->count);
		break;
	case BTRFS_SHARED_DATA_REF_KEY:
		ref_add(ctx, &ctx->declared, bytenr, REF_DATA_SHARED, r->parent,
			0, 0, r->count);
		break;
	}
}

/* The inline references packed after an extent item's header. */
static void extent_inline_refs(struct check_ctx *ctx, u64 bytenr,
			       const u8 *p, u32 cur, u32 size)
{
	struct extent_ref r;

	while (extent_inline_ref_next(p, size, &cur, &r) == 0)
		declared_ref_add(ctx, bytenr, &r);
}

static void extent_item(struct walk_state *ws, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	struct check_ctx *ctx = ws->ctx;
	const u8 *p = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot);
	const struct btrfs_extent_item *ei = (const void *)p;
	u32 cur = sizeof(*ei);
	struct extent_rec *e;

	if (size < sizeof(*ei))
		return;
	e = check_push(ctx, &ctx->extents);
	if (!e)
		return;
	e->bytenr = key->objectid;
	e->refs = btrfs_extent_refs(ei);
	e->flags = btrfs_extent_flags(ei);
	e->len = key->offset;
	if (key->type == BTRFS_METADATA_ITEM_KEY) {
		e->len = ctx->fs_info->sb.nodesize;
		e->level = (u8)key->offset;
		e->has_level = 1;
	} else if ((e->flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) &&
		   size >= cur + sizeof(struct btrfs_tree_block_info)) {
		const struct btrfs_tree_block_info *info =
			(const void *)(p + cur);

		e->level = btrfs_tree_block_level(info);
		e->has_level = 1;
		cur += sizeof(*info);
	}
	ws->cur_extent = key->objectid;
	ws->cur_extent_valid = true;
	extent_inline_refs(ctx, key->objectid, p, cur, size);
	quota_extent_item(ctx, key, p, cur, size);
}

static void extent_keyed_ref(struct walk_state *ws,
			     const struct extent_buffer *eb, int slot,
			     const struct btrfs_key *key)
{
	struct check_ctx *ctx = ws->ctx;
	struct extent_ref r;

	if (!ws->cur_extent_valid || ws->cur_extent != key->objectid) {
		check_report(ctx, PR_EXTENT_REF_ORPHAN,
			     &(struct problem_ctx){ .key = *key });
		return;
	}
	if (extent_keyed_ref_decode(key, eb_item_ptr(eb, slot),
				    eb_item_size(eb, slot), &r) == 0)
		declared_ref_add(ctx, key->objectid, &r);
}

static void block_group_item(struct check_ctx *ctx,
			     const struct extent_buffer *eb, int slot,
			     const struct btrfs_key *key)
{
	const struct btrfs_block_group_item *bi = eb_item_ptr(eb, slot);
	struct bg_rec *bg;

	if (eb_item_size(eb, slot) < sizeof(*bi))
		return;
	bg = check_push(ctx, &ctx->bgs);
	if (!bg)
		return;
	bg->start = key->objectid;
	bg->len = key->offset;
	bg->used = btrfs_block_group_used(bi);
	bg->flags = btrfs_block_group_flags(bi);
}

static void extent_tree_item(struct walk_state *ws,
			     const struct extent_buffer *eb, int slot,
			     const struct btrfs_key *key)
{
	switch (key->type) {
	case BTRFS_EXTENT_ITEM_KEY:
	case BTRFS_METADATA_ITEM_KEY:
		extent_item(ws, eb, slot, key);
		break;
	case BTRFS_TREE_BLOCK_REF_KEY:
	case BTRFS_SHARED_BLOCK_REF_KEY:
	case BTRFS_EXTENT_DATA_REF_KEY:
	case BTRFS_SHARED_DATA_REF_KEY:
		extent_keyed_ref(ws, eb, slot, key);
		break;
	case BTRFS_BLOCK_GROUP_ITEM_KEY:
		block_group_item(ws->ctx, eb, slot, key);
		break;
	}
}

static void chunk_item(struct check_ctx *ctx, const struct extent_buffer *eb,
		       int slot, const struct btrfs_key *key)
{
	struct btrfs_chunk *c = eb_item_ptr_type(eb, slot, struct btrfs_chunk);
	u32 size = eb_item_size(eb, slot), i, n;
	struct chunk_rec *cr;

	if (size < sizeof(*c))
		return;
	n = btrfs_chunk_num_stripes(c);
	if (n == 0 || btrfs_chunk_item_size(n) > size)
		return;
	cr = check_push(ctx, &ctx->chunks);
	if (!cr)
		return;
	cr->logical = key->offset;
	cr->length = btrfs_chunk_length(c);
	cr->type = btrfs_chunk_type(c);
	cr->num_stripes = n;
	cr->sub_stripes = btrfs_chunk_sub_stripes(c);
	for (i = 0; i < n; i++) {
		struct stripe_rec *s = check_push(ctx, &ctx->stripes);

		if (!s)
			return;
		s->devid = btrfs_stripe_devid(btrfs_chunk_stripe(c, (int)i));
		s->physical = btrfs_stripe_offset(btrfs_chunk_stripe(c, (int)i));
		s->logical = key->offset;
		s->length = chunk_stripe_length(cr->length, cr->type, n,
						cr->sub_stripes);
		s->index = i;
	}
}

static void chunk_tree_item(struct check_ctx *ctx,
			    const struct extent_buffer *eb, int slot,
			    const struct btrfs_key *key)
{
	const struct btrfs_dev_item *di = eb_item_ptr(eb, slot);
	struct dev_rec *d;

	if (key->type == BTRFS_CHUNK_ITEM_KEY) {
		chunk_item(ctx, eb, slot, key);
		return;
	}
	if (key->type != BTRFS_DEV_ITEM_KEY ||
	    eb_item_size(eb, slot) < sizeof(*di))
		return;
	d = check_push(ctx, &ctx->devs);
	if (!d)
		return;
	d->devid = btrfs_device_id(di);
	d->total_bytes = btrfs_device_total_bytes(di);
	d->bytes_used = btrfs_device_bytes_used(di);
	memcpy(d->uuid, di->uuid, BTRFS_UUID_SIZE);
}

static void dev_extent_item(struct check_ctx *ctx,
			    const struct extent_buffer *eb, int slot,
			    const struct btrfs_key *key)
{
	const struct btrfs_dev_extent *de = eb_item_ptr(eb, slot);
	struct dev_extent_rec *r;

	if (key->type != BTRFS_DEV_EXTENT_KEY ||
	    eb_item_size(eb, slot) < sizeof(*de))
		return;
	r = check_push(ctx, &ctx->dev_extents);
	if (!r)
		return;
	r->devid = key->objectid;
	r->physical = key->offset;
	r->length = btrfs_dev_extent_length(de);
	r->chunk_offset = btrfs_dev_extent_chunk_offset(de);
}

static void range_add(struct check_ctx *ctx, struct rec_vec *v, u64 start,
		      u64 len, bool bitmap)
{
	struct range_rec *r = check_push(ctx, v);

	if (!r)
		return;
	r->start = start;
	r->len = len;
	r->bitmap = bitmap;
}

/* A free space bitmap: one bit per sector, set when the sector is free. */
static void fst_bitmap(struct check_ctx *ctx, const struct extent_buffer *eb,
		       int slot, const struct btrfs_key *key)
{
	const u8 *bits = eb_item_ptr(eb, slot);
	u32 sectorsize = ctx->fs_info->sb.sectorsize;
	u64 nbits = key->offset / sectorsize, i, run = 0;

	if (nbits > (u64)eb_item_size(eb, slot) * 8)
		nbits = (u64)eb_item_size(eb, slot) * 8;
	for (i = 0; i <= nbits; i++) {
		bool set = i < nbits && (bits[i / 8] & (1U << (i % 8)));

		if (set) {
			run++;
			continue;
		}
		if (run)
			range_add(ctx, &ctx->fst_ranges,
				  key->objectid + (i - run) * sectorsize,
				  run * sectorsize, true);
		run = 0;
	}
}

static void fst_item(struct check_ctx *ctx, const struct extent_buffer *eb,
		     int slot, const struct btrfs_key *key)
{
	const struct btrfs_free_space_info *fi = eb_item_ptr(eb, slot);
	struct fst_info_rec *r;

	if (key->type == BTRFS_FREE_SPACE_EXTENT_KEY) {
		range_add(ctx, &ctx->fst_ranges, key->objectid, key->offset,
			  false);
		return;
	}
	if (key->type == BTRFS_FREE_SPACE_BITMAP_KEY) {
		fst_bitmap(ctx, eb, slot, key);
		return;
	}
	if (key->type != BTRFS_FREE_SPACE_INFO_KEY ||
	    eb_item_size(eb, slot) < sizeof(*fi))
		return;
	r = check_push(ctx, &ctx->fst_infos);
	if (!r)
		return;
	r->start = key->objectid;
	r->len = key->offset;
	r->extent_count = btrfs_free_space_extent_count(fi);
	r->flags = btrfs_free_space_flags(fi);
}

static void root_tree_item(struct check_ctx *ctx,
			   const struct extent_buffer *eb, int slot,
			   const struct btrfs_key *key)
{
	const struct btrfs_root_ref *rr = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot);
	struct root_ref_rec *r;
	u64 *orphan;
	u16 len;

	space_cache_item(ctx, eb, slot, key);
	if (key->type == BTRFS_ORPHAN_ITEM_KEY &&
	    key->objectid == BTRFS_ORPHAN_OBJECTID) {
		orphan = check_push(ctx, &ctx->orphans);
		if (orphan)
			*orphan = key->offset;
		return;
	}
	if ((key->type != BTRFS_ROOT_REF_KEY &&
	     key->type != BTRFS_ROOT_BACKREF_KEY) || size < sizeof(*rr))
		return;
	len = btrfs_root_ref_name_len(rr);
	if (sizeof(*rr) + len > size)
		return;
	r = check_push(ctx, &ctx->root_refs);
	if (!r)
		return;
	r->backref = key->type == BTRFS_ROOT_BACKREF_KEY;
	r->parent = r->backref ? key->offset : key->objectid;
	r->child = r->backref ? key->objectid : key->offset;
	r->dirid = btrfs_root_ref_dirid(rr);
	r->sequence = btrfs_root_ref_sequence(rr);
	r->name_len = len;
	r->name_crc = btrfs_crc32c(0, rr + 1, len);
}

/* Item types that live in exactly one kind of tree; 0: anywhere. */
static u64 item_home_tree(const struct check_ctx *ctx, u8 type)
{
	switch (type) {
	case BTRFS_CHUNK_ITEM_KEY:
	case BTRFS_DEV_ITEM_KEY:
		return BTRFS_CHUNK_TREE_OBJECTID;
	case BTRFS_EXTENT_ITEM_KEY:
	case BTRFS_METADATA_ITEM_KEY:
	case BTRFS_TREE_BLOCK_REF_KEY:
	case BTRFS_SHARED_BLOCK_REF_KEY:
	case BTRFS_EXTENT_DATA_REF_KEY:
	case BTRFS_SHARED_DATA_REF_KEY:
		return BTRFS_EXTENT_TREE_OBJECTID;
	case BTRFS_BLOCK_GROUP_ITEM_KEY:
		return check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE) ?
		       BTRFS_BLOCK_GROUP_TREE_OBJECTID :
		       BTRFS_EXTENT_TREE_OBJECTID;
	case BTRFS_ROOT_ITEM_KEY:
	case BTRFS_ROOT_REF_KEY:
	case BTRFS_ROOT_BACKREF_KEY:
		return BTRFS_ROOT_TREE_OBJECTID;
	case BTRFS_DEV_EXTENT_KEY:
		return BTRFS_DEV_TREE_OBJECTID;
	case BTRFS_FREE_SPACE_INFO_KEY:
	case BTRFS_FREE_SPACE_EXTENT_KEY:
	case BTRFS_FREE_SPACE_BITMAP_KEY:
		return BTRFS_FREE_SPACE_TREE_OBJECTID;
	case BTRFS_EXTENT_CSUM_KEY:
		return BTRFS_CSUM_TREE_OBJECTID;
	}
	return 0;
}

/* Records what items of this tree's kind say; false for misplaced ones. */
static bool item_by_tree(struct walk_state *ws, const struct extent_buffer *eb,
			 int slot, const struct btrfs_key *key)
{
	struct check_ctx *ctx = ws->ctx;
	u64 tree = ws->root->id, home = item_home_tree(ctx, key->type);

	if (home && home != tree)
		return false;
	if (tree == BTRFS_EXTENT_TREE_OBJECTID)
		extent_tree_item(ws, eb, slot, key);
	else if (tree == BTRFS_BLOCK_GROUP_TREE_OBJECTID &&
		 key->type == BTRFS_BLOCK_GROUP_ITEM_KEY)
		block_group_item(ctx, eb, slot, key);
	else if (tree == BTRFS_CHUNK_TREE_OBJECTID)
		chunk_tree_item(ctx, eb, slot, key);
	else if (tree == BTRFS_DEV_TREE_OBJECTID)
		dev_extent_item(ctx, eb, slot, key);
	else if (tree == BTRFS_CSUM_TREE_OBJECTID &&
		 key->type == BTRFS_EXTENT_CSUM_KEY)
		range_add(ctx, &ctx->csums, key->offset,
			  (u64)(eb_item_size(eb, slot) / ctx->fs_info->sb.csum_size) *
			  ctx->fs_info->sb.sectorsize, false);
	else if (tree == BTRFS_FREE_SPACE_TREE_OBJECTID)
		fst_item(ctx, eb, slot, key);
	else if (tree == BTRFS_ROOT_TREE_OBJECTID)
		root_tree_item(ctx, eb, slot, key);
	else if (tree == BTRFS_QUOTA_TREE_OBJECTID)
		quota_item(ws, eb, slot, key);
	return true;
}

static void item_first_visit(struct walk_state *ws,
			     const struct extent_buffer *eb, int slot,
			     const struct btrfs_key *key)
{
	if (key->type == BTRFS_EXTENT_CSUM_KEY)
		ws->ctx->totals.csum_bytes += eb_item_size(eb, slot);
	if (key->type == BTRFS_EXTENT_DATA_KEY)
		file_extent_found(ws, eb, slot, key);
	if (!item_by_tree(ws, eb, slot, key))
		check_report(ws->ctx, PR_ITEM_WRONG_TREE, &(struct problem_ctx){
			.bytenr = eb->start, .root = ws->root->id,
			.key = *key });
}

void items_leaf(struct walk_state *ws, const struct extent_buffer *eb,
		bool first)
{
	u32 i, nr = eb_nritems(eb);
	struct btrfs_key key;

	ws->leaf_first = first;
	for (i = 0; i < nr && !ws->ctx->fatal; i++) {
		eb_item_key(eb, &key, (int)i);
		if (first)
			item_first_visit(ws, eb, (int)i, &key);
		if (ws->fs)
			fs_item(ws, eb, (int)i, &key);
	}
	ws->ctx->totals.items += nr;
}
