// SPDX-License-Identifier: GPL-2.0-only
/*
 * Verifiers of the items of trees that hold files, seen per subvolume in
 * key order: an inode's items follow its inode item, so the inode's flags
 * are known when its xattrs and file extents arrive.
 *
 * This file checks the DAX invariants of DAX-DESIGN.md; inodes.c checks
 * inodes, names and file extents.
 */
#include <string.h>
#include <sys/stat.h>
#include "check/walk.h"

#define DAX_PROP_NAME "btrfs.compression"

static void dax_report(struct walk_state *ws, enum problem_id id,
		       const struct problem_ctx *extra)
{
	struct problem_ctx pctx = *extra;

	pctx.root = ws->root->id;
	pctx.ino = ws->inode.ino;
	check_report(ws->ctx, id, &pctx);
}

static void dax_inode_flags(struct walk_state *ws)
{
	struct inode_state *st = &ws->inode;
	u32 low = btrfs_inode_flags_low(st->flags);
	const char *why = NULL;

	if (low & BTRFS_INODE_COMPRESS)
		why = "COMPRESS is set";
	else if (!S_ISDIR(st->mode) && !(low & BTRFS_INODE_NODATACOW))
		why = "NODATACOW is not set";
	else if (!S_ISDIR(st->mode) && !(low & BTRFS_INODE_NODATASUM))
		why = "NODATASUM is not set";
	if (why)
		dax_report(ws, PR_DAX_INODE_FLAGS, &(struct problem_ctx){
			.flags = st->flags, .str = why });
}

static void inode_item(struct walk_state *ws, const struct extent_buffer *eb,
		       int slot)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);
	struct inode_state *st = &ws->inode;
	struct check_ctx *ctx = ws->ctx;

	if (eb_item_size(eb, slot) < sizeof(*ii))
		return;
	st->have_item = true;
	st->flags = btrfs_inode_flags(ii);
	st->mode = btrfs_inode_mode(ii);
	st->dax = btrfs_inode_flags_ro(st->flags) & BTRFS_INODE_RO_DAX;
	if (!st->dax)
		return;
	dax_inode_flags(ws);
	if (!ctx->any_dax_inode) {
		ctx->any_dax_inode = true;
		ctx->first_dax_root = ws->root->id;
		ctx->first_dax_ino = st->ino;
	}
}

/* An xattr item holds one or more entries whose names hash alike. */
static void xattr_item(struct walk_state *ws, const struct extent_buffer *eb,
		       int slot)
{
	const u8 *p = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot), cur = 0;

	while (cur + sizeof(struct btrfs_dir_item) <= size) {
		const struct btrfs_dir_item *di = (const void *)(p + cur);
		u32 name_len = btrfs_dir_name_len(di);
		u32 len = sizeof(*di) + name_len + btrfs_dir_data_len(di);

		if (len > size - cur)
			return;
		if (name_len == strlen(DAX_PROP_NAME) &&
		    !memcmp(di + 1, DAX_PROP_NAME, name_len)) {
			dax_report(ws, PR_DAX_COMPRESS_PROP,
				   &(struct problem_ctx){ 0 });
			return;
		}
		cur += len;
	}
}

/* The chunk a DAX extent lies in must be SINGLE-profile data. */
static void dax_extent_chunk(struct walk_state *ws, u64 file_offset, u64 disk)
{
	const struct chunk_map *map = chunk_map_lookup(ws->ctx->fs_info, disk);
	u64 type = map ? map->type : 0;

	if (map && (type & BTRFS_BLOCK_GROUP_DATA) &&
	    !(type & BTRFS_BLOCK_GROUP_PROFILE_MASK))
		return;
	dax_report(ws, PR_DAX_EXTENT_PROFILE, &(struct problem_ctx){
		.offset = file_offset, .bytenr = disk, .chunk_flags = type });
}

static void dax_file_extent(struct walk_state *ws,
			    const struct extent_buffer *eb, int slot,
			    const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);
	struct problem_ctx pctx = { .offset = key->offset };
	struct dax_extent_rec *r;
	u64 disk;

	if (eb_item_size(eb, slot) < BTRFS_FILE_EXTENT_INLINE_DATA_START)
		return;
	if (btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE) {
		dax_report(ws, PR_DAX_INLINE_EXTENT, &pctx);
		return;
	}
	if (btrfs_file_extent_compression(fe) != BTRFS_COMPRESS_NONE)
		dax_report(ws, PR_DAX_COMPRESSED_EXTENT, &pctx);
	if (eb_item_size(eb, slot) < sizeof(*fe))
		return;
	disk = btrfs_file_extent_disk_bytenr(fe);
	if (!disk)
		return;
	dax_extent_chunk(ws, key->offset, disk);
	r = check_push(ws->ctx, &ws->ctx->dax_extents);
	if (!r)
		return;
	r->bytenr = disk;
	r->len = btrfs_file_extent_disk_num_bytes(fe);
	r->root = ws->root->id;
	r->ino = key->objectid;
	r->offset = key->offset;
}

void fs_item(struct walk_state *ws, const struct extent_buffer *eb, int slot,
	     const struct btrfs_key *key)
{
	struct inode_state *st = &ws->inode;

	if (ws->scopes && !inodes_route(ws, key))
		return;
	if (key->objectid != st->ino) {
		inodes_finish(ws);
		memset(st, 0, sizeof(*st));
		st->ino = key->objectid;
	}
	inodes_item(ws, eb, slot, key);
	if (key->type == BTRFS_INODE_ITEM_KEY) {
		inode_item(ws, eb, slot);
		return;
	}
	if (!st->dax)
		return;
	if (key->type == BTRFS_XATTR_ITEM_KEY)
		xattr_item(ws, eb, slot);
	else if (key->type == BTRFS_EXTENT_DATA_KEY)
		dax_file_extent(ws, eb, slot, key);
}

static int dax_extent_cmp(const void *a, const void *b)
{
	const struct dax_extent_rec *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->offset != y->offset)
		return x->offset < y->offset ? -1 : 1;
	return 0;
}

/* Whether [start, start+len) meets any merged checksum range. */
static bool csum_overlaps(const struct check_ctx *ctx, u64 start, u64 len)
{
	const struct range_rec *r = ctx->csums.data;
	size_t lo = 0, hi = ctx->csums.nr;

	/* The csum ranges are sorted and merged by csums_check(). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].start + r[mid].len <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ctx->csums.nr && r[lo].start < start + len;
}

/*
 * Distinct users of a data extent among the references found in the trees
 * (sorted by extent_check()): inodes, and leaves holding shared references.
 */
static u64 found_users(const struct check_ctx *ctx, u64 bytenr)
{
	const struct ref_rec *r = ctx->found.data;
	size_t lo = 0, hi = ctx->found.nr, i;
	u64 users = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].bytenr < bytenr)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < ctx->found.nr && r[i].bytenr == bytenr; i++)
		if (i == lo || r[i].kind != r[i - 1].kind ||
		    r[i].root != r[i - 1].root || r[i].ino != r[i - 1].ino)
			users++;
	return users;
}

/* One group of records of the same extent, [first, first + n). */
static void dax_extent_group(struct check_ctx *ctx,
			     const struct dax_extent_rec *first, size_t n)
{
	u64 users = n, found, i;
	struct problem_ctx pctx = { .bytenr = first->bytenr, .len = first->len,
				    .root = first->root, .ino = first->ino };

	for (i = 1; i < n; i++)
		if (first[i].root == first[i - 1].root &&
		    first[i].ino == first[i - 1].ino)
			users--;
	if (csum_overlaps(ctx, first->bytenr, first->len))
		check_report(ctx, PR_DAX_CSUM, &pctx);
	found = found_users(ctx, first->bytenr);
	if (found > users)
		users = found;
	if (users > 1) {
		pctx.count = users;
		check_report(ctx, PR_DAX_EXTENT_SHARED, &pctx);
	}
}

/* Cross-checks of DAX inodes against the superblock and the csum tree. */
void dax_check(struct check_ctx *ctx)
{
	const struct dax_extent_rec *r;
	size_t i, start;

	if (ctx->any_dax_inode &&
	    !check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_DAX))
		check_report(ctx, PR_DAX_COMPAT_RO_MISSING, &(struct problem_ctx){
			.root = ctx->first_dax_root, .ino = ctx->first_dax_ino });
	vec_sort(&ctx->dax_extents, dax_extent_cmp);
	r = ctx->dax_extents.data;
	for (start = 0; start < ctx->dax_extents.nr; start = i) {
		for (i = start + 1; i < ctx->dax_extents.nr &&
		     r[i].bytenr == r[start].bytenr; i++)
			;
		dax_extent_group(ctx, &r[start], i - start);
	}
}
