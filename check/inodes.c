// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inodes, names and file extents of one subvolume tree (phase 4).
 *
 * The walker hands every item of the tree in key order, so all items of
 * one inode arrive together after its inode item: what one inode's items
 * say (names, directory sizes, file extents) is checked with a few
 * counters, then forgotten.  What links inodes (a dir item in one inode,
 * the inode ref in another) is kept as one compact record per name and
 * source, sorted and merged when the tree ends; so are the inode numbers,
 * the orphan items (they sort after every inode) and the few checks that
 * depend on them.
 *
 * Trees being deleted and relocation trees are not checked: they are not
 * whole.  A tree whose walk met unreadable blocks gets its per-inode checks
 * but no cross-inode ones, which would only echo the damage.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel-shared/csum.h"
#include "check/walk.h"
#include "check/fs-check.h"

enum link_src {
	LINK_DIR_ITEM = 1,
	LINK_DIR_INDEX,
	LINK_REF,		/* inode ref or extref */
};

/*
 * One name of an inode, as one of its three records states it.  The tag
 * packs, from the top: 48 bits of the name's hash, its length, the source
 * (enum link_src), a flag for dir indexes whose dir item was paired (for
 * dir items: that was paired), a flag for subvolume entries and the type
 * (refs: the type the inode's mode gives).  Sorting by tag sorts by name,
 * then by source.
 */
struct link_rec {
	u64 parent;		/* directory */
	u64 child;		/* inode, or subvolume for a subvolume entry */
	u64 index;		/* 0 for dir items, which carry none */
	u64 tag;
};

#define TAG_NAME_SHIFT	8	/* tag >> TAG_NAME_SHIFT: hash and length */
#define TAG_SRC_SHIFT	6
#define TAG_HAS_DI	(1U << 5)
#define TAG_SUBVOL	(1U << 4)
#define TAG_FTYPE	0xfU

static u64 tag_name(const struct link_rec *l)
{
	return l->tag >> TAG_NAME_SHIFT;
}

static u8 tag_src(const struct link_rec *l)
{
	return (l->tag >> TAG_SRC_SHIFT) & 3;
}

static u8 tag_ftype(const struct link_rec *l)
{
	return l->tag & TAG_FTYPE;
}

static bool tag_has(const struct link_rec *l, u32 flag)
{
	return l->tag & flag;
}

struct ino_rec {
	u64 ino;
	u32 nlink;
	u8 ftype;
};

/* A check that waits for the orphan items: the inode and an offset. */
struct pending_rec {
	u64 ino;
	u64 offset;
	u64 size;
	u8 beyond;		/* data past i_size; else no name and nlink 0 */
};

struct fs_tree_state {
	struct rec_vec links;		/* struct link_rec */
	struct rec_vec dir_items;	/* struct link_rec: current directory's */
	bool dir_items_sorted;
	struct rec_vec inodes;		/* struct ino_rec */
	struct rec_vec pending;		/* struct pending_rec */
	struct rec_vec orphans;		/* u64: inodes with an orphan item */
	u64 damage_before;		/* tree block problems when it began */
	bool no_holes;
	bool quota;			/* feed the qgroup counts */
};

struct fs_check *fs_check_get(struct check_ctx *ctx)
{
	static const struct fs_check empty = {
		.csum_need = VEC_INIT(struct csum_need_rec),
		.subvol_entries = VEC_INIT(struct subvol_entry_rec),
		.checked = VEC_INIT(u64),
	};

	if (!ctx->fs) {
		ctx->fs = malloc(sizeof(*ctx->fs));
		if (!ctx->fs) {
			check_oom(ctx);
			return NULL;
		}
		*ctx->fs = empty;
	}
	return ctx->fs;
}

void fs_check_free(struct check_ctx *ctx)
{
	if (!ctx->fs)
		return;
	vec_free(&ctx->fs->csum_need);
	vec_free(&ctx->fs->subvol_entries);
	vec_free(&ctx->fs->checked);
	quota_state_free(ctx->fs->quota);
	free(ctx->fs);
	ctx->fs = NULL;
}

static u8 mode_ftype(u32 mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return BTRFS_FT_REG_FILE;
	case S_IFDIR:	return BTRFS_FT_DIR;
	case S_IFCHR:	return BTRFS_FT_CHRDEV;
	case S_IFBLK:	return BTRFS_FT_BLKDEV;
	case S_IFIFO:	return BTRFS_FT_FIFO;
	case S_IFSOCK:	return BTRFS_FT_SOCK;
	case S_IFLNK:	return BTRFS_FT_SYMLINK;
	}
	return BTRFS_FT_UNKNOWN;
}

/* Identifies a name within a directory: 48 bits of two crc32c. */
static u64 name_key(const void *name, u32 len)
{
	return ((u64)btrfs_crc32c((u32)~1U, name, len) << 16) ^
	       (btrfs_crc32c(0x9e3779b9U, name, len) & 0xffffU);
}

static bool ino_in_range(u64 ino)
{
	return ino >= BTRFS_FIRST_FREE_OBJECTID &&
	       ino <= BTRFS_LAST_FREE_OBJECTID;
}

static void fs_report(struct walk_state *ws, enum problem_id id,
		      const struct problem_ctx *extra)
{
	struct problem_ctx pctx = *extra;

	pctx.root = ws->root->id;
	check_report(ws->ctx, id, &pctx);
}

static u64 tree_damage(const struct check_ctx *ctx)
{
	return ctx->log.counts[PR_TREE_BLOCK_BAD] +
	       ctx->log.counts[PR_TREE_BLOCK_DUPLICATE] +
	       ctx->log.counts[PR_TREE_BLOCK_CROSS_TREE];
}

void inodes_tree_begin(struct walk_state *ws)
{
	static const struct fs_tree_state empty = {
		.links = VEC_INIT(struct link_rec),
		.dir_items = VEC_INIT(struct link_rec),
		.inodes = VEC_INIT(struct ino_rec),
		.pending = VEC_INIT(struct pending_rec),
		.orphans = VEC_INIT(u64),
	};
	const struct root_rec *r = ws->root;
	struct fs_check *fs;
	u64 *id;

	/* A tree being deleted is only part of itself. */
	if (!check_is_fs_tree(r->id) || r->refs == 0 || r->drop_level ||
	    r->drop_key.objectid)
		return;
	fs = fs_check_get(ws->ctx);
	id = fs ? check_push(ws->ctx, &fs->checked) : NULL;
	ws->fst = id ? malloc(sizeof(*ws->fst)) : NULL;
	if (!ws->fst) {
		if (id)
			check_oom(ws->ctx);
		return;
	}
	*id = r->id;
	*ws->fst = empty;
	ws->fst->damage_before = tree_damage(ws->ctx);
	ws->fst->no_holes = ws->ctx->fs_info->sb.incompat_flags &
			    BTRFS_FEATURE_INCOMPAT_NO_HOLES;
	ws->fst->quota = quota_enabled(ws->ctx);
}

void inodes_block(struct walk_state *ws, const struct extent_buffer *eb)
{
	if (ws->fst && ws->fst->quota)
		quota_extent_use(ws->ctx, eb->start, eb->len, ws->root->id);
}

/* ------------------------------------------------------- one inode */

static struct link_rec *link_add(struct walk_state *ws, u64 parent,
				 u64 child, u64 index, const void *name,
				 u32 name_len, u8 src, u8 ftype, bool subvol)
{
	struct rec_vec *v = src == LINK_DIR_ITEM ? &ws->fst->dir_items :
			    &ws->fst->links;
	struct link_rec *l = check_push(ws->ctx, v);

	if (!l)
		return NULL;
	l->parent = parent;
	l->child = child;
	l->index = index;
	/* Longer names fail the verifier; extrefs could still claim one. */
	l->tag = name_key(name, name_len) << 16 |
		 (u64)(name_len > 255 ? 255 : name_len) << TAG_NAME_SHIFT |
		 (u64)src << TAG_SRC_SHIFT | (subvol ? TAG_SUBVOL : 0) |
		 (ftype & TAG_FTYPE);
	return l;
}

static void inode_item_track(struct walk_state *ws,
			     const struct extent_buffer *eb, int slot)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);
	struct inode_state *st = &ws->inode;
	struct ino_rec *r;

	if (eb_item_size(eb, slot) < sizeof(*ii) || st->have_item)
		return;
	st->have_item = true;
	st->mode = btrfs_inode_mode(ii);
	st->flags = btrfs_inode_flags(ii);
	st->nlink = btrfs_inode_nlink(ii);
	st->size = btrfs_inode_size(ii);
	st->nbytes = btrfs_inode_nbytes(ii);
	r = check_push(ws->ctx, &ws->fst->inodes);
	if (!r)
		return;
	r->ino = st->ino;
	r->nlink = st->nlink;
	r->ftype = mode_ftype(st->mode);
}

/* The root directory names itself "..": that name has no dir entry. */
static void ref_name(struct walk_state *ws, u64 parent, u64 index,
		     const void *name, u32 name_len)
{
	struct inode_state *st = &ws->inode;

	st->names++;
	if (parent == st->ino)
		return;
	link_add(ws, parent, st->ino, index, name, name_len, LINK_REF,
		 st->have_item ? mode_ftype(st->mode) : 0, false);
}

static void inode_ref(struct walk_state *ws, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	const u8 *p = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot), cur = 0;

	while (cur + sizeof(struct btrfs_inode_ref) <= size) {
		const struct btrfs_inode_ref *ref = (const void *)(p + cur);
		u32 len = btrfs_inode_ref_name_len(ref);

		if (len > size - cur - sizeof(*ref))
			return;
		ref_name(ws, key->offset, btrfs_inode_ref_index(ref), ref + 1,
			 len);
		cur += sizeof(*ref) + len;
	}
}

static void inode_extref(struct walk_state *ws, const struct extent_buffer *eb,
			 int slot, const struct btrfs_key *key)
{
	const u8 *p = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot), cur = 0;

	while (cur + sizeof(struct btrfs_inode_extref) <= size) {
		const struct btrfs_inode_extref *ref = (const void *)(p + cur);
		u32 len = btrfs_inode_extref_name_len(ref);
		u64 parent = btrfs_inode_extref_parent(ref), hash;

		if (len > size - cur - sizeof(*ref))
			return;
		/* The kernel's extref hash: crc32c seeded with the parent. */
		hash = btrfs_crc32c((u32)parent, ref + 1, len);
		if (hash != key->offset)
			fs_report(ws, PR_INODE_EXTREF_HASH, &(struct problem_ctx){
				.ino = key->objectid, .parent = parent,
				.have = key->offset, .want = hash });
		ref_name(ws, parent, btrfs_inode_extref_index(ref), ref + 1, len);
		cur += sizeof(*ref) + len;
	}
}

static void subvol_entry_add(struct walk_state *ws, u64 child, u64 index,
			     const void *name, u32 name_len)
{
	struct fs_check *fs = ws->ctx->fs;
	struct subvol_entry_rec *r = fs ? check_push(ws->ctx,
						     &fs->subvol_entries) : NULL;

	if (!r)
		return;
	r->tree = ws->root->id;
	r->dirid = ws->inode.ino;
	r->child = child;
	r->index = index;
	r->name_crc = btrfs_crc32c(0, name, name_len);
	r->name_len = (u16)name_len;
}

static int link_cmp(const void *a, const void *b);

/*
 * Pairs a dir index with the dir item of its name.  A directory's dir
 * items all come before its dir indexes, so only they are held (for the
 * directory being read); the matched ones need no record of their own.
 */
static void dir_index_pair(struct walk_state *ws, struct link_rec *dx)
{
	struct fs_tree_state *fst = ws->fst;
	struct link_rec *di = fst->dir_items.data;
	size_t lo = 0, hi = fst->dir_items.nr;

	if (!fst->dir_items_sorted) {
		vec_sort(&fst->dir_items, link_cmp);
		di = fst->dir_items.data;
		fst->dir_items_sorted = true;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (tag_name(&di[mid]) < tag_name(dx))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < fst->dir_items.nr && tag_name(&di[lo]) == tag_name(dx);
	     lo++) {
		if (tag_has(&di[lo], TAG_HAS_DI))
			continue;
		di[lo].tag |= TAG_HAS_DI;
		dx->tag |= TAG_HAS_DI;
		if (di[lo].child != dx->child)
			fs_report(ws, PR_DIR_ENTRY_LOCATION, &(struct problem_ctx){
				.parent = dx->parent, .ino = di[lo].child,
				.owner = dx->child,
				.str = "the dir item and the dir index" });
		return;
	}
}

/* The dir items no dir index matched join the tree's records. */
static void dir_items_flush(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;
	size_t i;

	for (i = 0; i < fst->dir_items.nr && !ws->ctx->fatal; i++) {
		const struct link_rec *di = VEC_AT(&fst->dir_items,
						   struct link_rec, i);
		struct link_rec *l;

		if (tag_has(di, TAG_HAS_DI))
			continue;
		l = check_push(ws->ctx, &fst->links);
		if (l)
			*l = *VEC_AT(&fst->dir_items, struct link_rec, i);
	}
	fst->dir_items.nr = 0;
	fst->dir_items_sorted = false;
}

/* A dir item (entries of one name hash) or a dir index (one entry). */
static void dir_entries(struct walk_state *ws, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	const u8 *p = eb_item_ptr(eb, slot);
	u32 size = eb_item_size(eb, slot), cur = 0, n = 0;
	bool index = key->type == BTRFS_DIR_INDEX_KEY;
	struct inode_state *st = &ws->inode;

	st->dir_entries = true;
	while (cur + sizeof(struct btrfs_dir_item) <= size) {
		const struct btrfs_dir_item *di = (const void *)(p + cur);
		u32 len = btrfs_dir_name_len(di);
		u32 total = sizeof(*di) + len + btrfs_dir_data_len(di);
		struct btrfs_key loc;
		struct link_rec *l;
		bool subvol;

		if (total > size - cur)
			break;
		btrfs_disk_key_to_cpu(&loc, &di->location);
		subvol = loc.type == BTRFS_ROOT_ITEM_KEY;
		st->dir_names += len;
		l = link_add(ws, st->ino, loc.objectid,
			     index ? key->offset : 0, di + 1, len,
			     index ? LINK_DIR_INDEX : LINK_DIR_ITEM,
			     btrfs_dir_ftype(di), subvol);
		if (l && index)
			dir_index_pair(ws, l);
		if (index && subvol)
			subvol_entry_add(ws, loc.objectid, key->offset, di + 1,
					 len);
		cur += total;
		n++;
	}
	if (index && n > 1)
		fs_report(ws, PR_DIR_INDEX_ENTRIES, &(struct problem_ctx){
			.ino = st->ino, .index = (int)key->offset, .count = n });
}

static void csum_need_add(struct walk_state *ws, u64 bytenr, u64 len,
			  u64 offset)
{
	struct fs_check *fs = ws->ctx->fs;
	struct csum_need_rec *r = fs ? check_push(ws->ctx, &fs->csum_need) :
				  NULL;

	if (!r)
		return;
	r->bytenr = bytenr;
	r->len = len;
	r->root = ws->root->id;
	r->ino = ws->inode.ino;
	r->offset = offset;
}

static u64 sector_up(const struct walk_state *ws, u64 v)
{
	u64 ss = ws->ctx->fs_info->sb.sectorsize;

	return (v + ss - 1) / ss * ss;
}

/* A regular or preallocated extent: range, checksums, i_size. */
static u64 file_extent_reg(struct walk_state *ws,
			   const struct btrfs_file_extent_item *fe,
			   const struct btrfs_key *key)
{
	struct inode_state *st = &ws->inode;
	u64 disk = btrfs_file_extent_disk_bytenr(fe);
	u64 num = btrfs_file_extent_num_bytes(fe);
	u64 off = btrfs_file_extent_offset(fe);
	bool compressed = btrfs_file_extent_compression(fe) != BTRFS_COMPRESS_NONE;
	u64 whole = compressed ? btrfs_file_extent_ram_bytes(fe) :
			btrfs_file_extent_disk_num_bytes(fe);
	bool prealloc = btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_PREALLOC;

	if (!disk)
		return num;
	st->found_bytes += num;
	if (ws->fst->quota)
		quota_extent_use(ws->ctx, disk,
				 btrfs_file_extent_disk_num_bytes(fe),
				 ws->root->id);
	if (off + num > whole || off + num < off)
		fs_report(ws, PR_FILE_EXTENT_RANGE, &(struct problem_ctx){
			.ino = st->ino, .offset = key->offset,
			.have = off + num, .want = whole });
	if (!prealloc && !st->beyond && key->offset >= sector_up(ws, st->size))
		st->beyond = key->offset + 1;
	if (prealloc || !ws->leaf_first ||
	    (btrfs_inode_flags_low(st->flags) & BTRFS_INODE_NODATASUM))
		return num;
	if (compressed)
		csum_need_add(ws, disk, btrfs_file_extent_disk_num_bytes(fe),
			      key->offset);
	else
		csum_need_add(ws, disk + off, num, key->offset);
	return num;
}

static void file_extent(struct walk_state *ws, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);
	struct inode_state *st = &ws->inode;
	u32 ss = ws->ctx->fs_info->sb.sectorsize;
	u64 len, end;

	if (eb_item_size(eb, slot) < BTRFS_FILE_EXTENT_INLINE_DATA_START)
		return;
	if (btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE) {
		len = btrfs_file_extent_ram_bytes(fe);
		st->found_bytes += len;
		if (len > ss)
			fs_report(ws, PR_FILE_EXTENT_INLINE_SIZE,
				  &(struct problem_ctx){ .ino = st->ino,
					.have = len, .want = ss });
		len = sector_up(ws, len);
	} else if (eb_item_size(eb, slot) < sizeof(*fe)) {
		return;
	} else {
		len = file_extent_reg(ws, fe, key);
	}
	if (key->offset < st->extent_end)
		fs_report(ws, PR_FILE_EXTENT_OVERLAP, &(struct problem_ctx){
			.ino = st->ino, .offset = key->offset,
			.have = st->extent_end });
	else if (key->offset > st->extent_end && !ws->fst->no_holes &&
		 st->extent_end < st->size && !st->gap_reported) {
		st->gap_reported = true;
		fs_report(ws, PR_FILE_EXTENT_GAP, &(struct problem_ctx){
			.ino = st->ino, .offset = st->extent_end,
			.len = key->offset - st->extent_end, .want = st->size });
	}
	end = key->offset + len;
	if (end > st->extent_end)
		st->extent_end = end;
}

void inodes_item(struct walk_state *ws, const struct extent_buffer *eb,
		 int slot, const struct btrfs_key *key)
{
	u64 *orphan;

	if (!ws->fst)
		return;
	if (key->objectid == BTRFS_ORPHAN_OBJECTID &&
	    key->type == BTRFS_ORPHAN_ITEM_KEY) {
		orphan = check_push(ws->ctx, &ws->fst->orphans);
		if (orphan)
			*orphan = key->offset;
		return;
	}
	if (!ino_in_range(key->objectid))
		return;
	switch (key->type) {
	case BTRFS_INODE_ITEM_KEY:
		inode_item_track(ws, eb, slot);
		break;
	case BTRFS_INODE_REF_KEY:
		inode_ref(ws, eb, slot, key);
		break;
	case BTRFS_INODE_EXTREF_KEY:
		inode_extref(ws, eb, slot, key);
		break;
	case BTRFS_DIR_ITEM_KEY:
	case BTRFS_DIR_INDEX_KEY:
		dir_entries(ws, eb, slot, key);
		break;
	case BTRFS_EXTENT_DATA_KEY:
		file_extent(ws, eb, slot, key);
		break;
	}
}

static void pending_add(struct walk_state *ws, u64 offset, bool beyond)
{
	struct pending_rec *p = check_push(ws->ctx, &ws->fst->pending);

	if (!p)
		return;
	p->ino = ws->inode.ino;
	p->offset = offset;
	p->size = ws->inode.size;
	p->beyond = beyond;
}

/* What the items of a regular file or symlink add up to. */
static void file_finish(struct walk_state *ws)
{
	struct inode_state *st = &ws->inode;
	struct problem_ctx pctx = { .ino = st->ino };

	if (st->nbytes != st->found_bytes) {
		pctx.have = st->found_bytes;
		pctx.want = st->nbytes;
		fs_report(ws, PR_INODE_NBYTES, &pctx);
	}
	if (!ws->fst->no_holes && S_ISREG(st->mode) && !st->gap_reported &&
	    st->extent_end < st->size) {
		pctx.offset = st->extent_end;
		pctx.len = sector_up(ws, st->size) - st->extent_end;
		pctx.want = st->size;
		fs_report(ws, PR_FILE_EXTENT_GAP, &pctx);
	}
	if (st->beyond)
		pending_add(ws, st->beyond - 1, true);
}

/* The inode's items are all seen: check what they add up to. */
void inodes_finish(struct walk_state *ws)
{
	struct inode_state *st = &ws->inode;
	struct problem_ctx pctx = { .ino = st->ino };

	if (!ws->fst || !ino_in_range(st->ino))
		return;
	dir_items_flush(ws);
	if (!st->have_item) {
		fs_report(ws, PR_INODE_ITEM_MISSING, &pctx);
		return;
	}
	if (st->nlink == 0 && st->names == 0) {
		pending_add(ws, 0, false);
	} else if (st->nlink != st->names) {
		pctx.have = st->names;
		pctx.want = st->nlink;
		fs_report(ws, PR_INODE_NLINK, &pctx);
	}
	if (S_ISDIR(st->mode)) {
		if (st->size != st->dir_names) {
			pctx.have = st->dir_names;
			pctx.want = st->size;
			fs_report(ws, PR_DIR_ISIZE, &pctx);
		}
		return;
	}
	if (st->dir_entries)
		fs_report(ws, PR_DIR_ITEM_NOT_DIR, &pctx);
	if (S_ISREG(st->mode) || S_ISLNK(st->mode))
		file_finish(ws);
}

/* ------------------------------------------------- the whole tree */

static int link_cmp(const void *a, const void *b)
{
	const struct link_rec *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->tag >> TAG_SRC_SHIFT != y->tag >> TAG_SRC_SHIFT)
		return x->tag >> TAG_SRC_SHIFT < y->tag >> TAG_SRC_SHIFT ? -1 : 1;
	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	return 0;
}

static int ino_cmp(const void *a, const void *b)
{
	const struct ino_rec *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static const struct ino_rec *ino_find(const struct fs_tree_state *fst, u64 ino)
{
	const struct ino_rec *r = fst->inodes.data;
	size_t lo = 0, hi = fst->inodes.nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < fst->inodes.nr && r[lo].ino == ino ? &r[lo] : NULL;
}

static bool u64_find(const struct rec_vec *v, u64 x)
{
	const u64 *a = v->data;
	size_t lo = 0, hi = v->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->nr && a[lo] == x;
}

/* A dir entry without inode ref: dangling, or an inode missing a name. */
static void entry_without_ref(struct walk_state *ws, const struct link_rec *e)
{
	struct problem_ctx pctx = { .parent = e->parent, .ino = e->child,
				    .index = (int)e->index };

	if (ino_find(ws->fst, e->child))
		fs_report(ws, PR_DIR_ENTRY_NO_REF, &pctx);
	else
		fs_report(ws, PR_DIR_ENTRY_DANGLING, &pctx);
}

/* The dir item, dir index and inode ref of one name must agree. */
static void name_check(struct walk_state *ws, const struct link_rec *di,
		       const struct link_rec *dx, const struct link_rec *ref)
{
	const struct link_rec *e = dx ? dx : di;
	struct problem_ctx pctx = { .parent = e ? e->parent : ref->parent };

	/* A dir index and the dir item it was paired with disagree. */
	if (dx && tag_has(dx, TAG_HAS_DI) && di) {
		pctx.ino = di->child;
		pctx.str = "dir item";
		fs_report(ws, PR_DIR_ENTRY_DUPLICATE, &pctx);
	}
	if (dx && tag_has(dx, TAG_HAS_DI))
		di = dx;
	if (di && !dx) {
		pctx.ino = di->child;
		fs_report(ws, PR_DIR_INDEX_MISSING, &pctx);
	} else if (dx && !di) {
		pctx.ino = dx->child;
		pctx.index = (int)dx->index;
		fs_report(ws, PR_DIR_ITEM_MISSING, &pctx);
	}
	if (e && tag_has(e, TAG_SUBVOL)) {
		if (tag_ftype(e) != BTRFS_FT_DIR) {
			pctx.ino = e->child;
			pctx.have = tag_ftype(e);
			pctx.want = BTRFS_FT_DIR;
			fs_report(ws, PR_DIR_ENTRY_TYPE, &pctx);
		}
		return;
	}
	if (!ref) {
		entry_without_ref(ws, e);
		return;
	}
	pctx.ino = ref->child;
	pctx.index = (int)ref->index;
	if (!e) {
		fs_report(ws, PR_INODE_REF_NO_ENTRY, &pctx);
		return;
	}
	if (e->child != ref->child) {
		pctx.ino = e->child;
		pctx.owner = ref->child;
		pctx.str = "the dir entry and the inode ref";
		fs_report(ws, PR_DIR_ENTRY_LOCATION, &pctx);
		return;
	}
	if (dx && dx->index != ref->index) {
		pctx.have = ref->index;
		pctx.want = dx->index;
		fs_report(ws, PR_INODE_REF_INDEX, &pctx);
	}
	if (tag_ftype(ref) && tag_ftype(e) != tag_ftype(ref)) {
		pctx.have = tag_ftype(e);
		pctx.want = tag_ftype(ref);
		fs_report(ws, PR_DIR_ENTRY_TYPE, &pctx);
	}
}

/* The records of one name in one directory: [g, g + n), sorted by source. */
static void name_group(struct walk_state *ws, const struct link_rec *g,
		       size_t n)
{
	const struct link_rec *by_src[LINK_REF + 1] = { NULL };
	static const char *const what[LINK_REF + 1] = {
		[LINK_DIR_ITEM] = "dir item", [LINK_DIR_INDEX] = "dir index",
		[LINK_REF] = "inode ref",
	};
	static const char *const two[LINK_REF + 1] = {
		[LINK_DIR_ITEM] = "two dir items",
		[LINK_DIR_INDEX] = "two dir indexes",
		[LINK_REF] = "two inode refs",
	};
	bool reported = false;
	size_t i;

	for (i = 0; i < n; i++) {
		u8 src = tag_src(&g[i]);
		const struct link_rec *first = by_src[src];

		if (!first) {
			by_src[src] = &g[i];
			continue;
		}
		if (reported)
			continue;
		reported = true;
		if (first->child == g[i].child)
			fs_report(ws, PR_DIR_ENTRY_DUPLICATE, &(struct problem_ctx){
				.parent = g[i].parent, .ino = g[i].child,
				.str = what[src] });
		else
			fs_report(ws, PR_DIR_ENTRY_LOCATION, &(struct problem_ctx){
				.parent = g[i].parent, .ino = first->child,
				.owner = g[i].child, .str = two[src] });
	}
	name_check(ws, by_src[LINK_DIR_ITEM], by_src[LINK_DIR_INDEX],
		   by_src[LINK_REF]);
}

static void links_check(struct walk_state *ws)
{
	const struct link_rec *l;
	size_t i, start, n;

	vec_sort(&ws->fst->links, link_cmp);
	l = ws->fst->links.data;
	n = ws->fst->links.nr;
	for (start = 0; start < n && !ws->ctx->fatal; start = i) {
		for (i = start + 1; i < n && l[i].parent == l[start].parent &&
		     tag_name(&l[i]) == tag_name(&l[start]); i++)
			;
		name_group(ws, &l[start], i - start);
	}
}

/* Orphan items against the inodes, and the checks that waited for them. */
static void orphans_check(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;
	const struct pending_rec *p = fst->pending.data;
	size_t i;

	vec_sort(&fst->orphans, u64_cmp);
	for (i = 0; i < fst->orphans.nr; i++) {
		u64 ino = *VEC_AT(&fst->orphans, u64, i);
		const struct ino_rec *r = ino_find(fst, ino);

		if (!r)
			fs_report(ws, PR_ORPHAN_NO_INODE,
				  &(struct problem_ctx){ .ino = ino });
		else if (r->nlink)
			fs_report(ws, PR_ORPHAN_LINKED, &(struct problem_ctx){
				.ino = ino, .have = r->nlink });
	}
	for (i = 0; i < fst->pending.nr; i++) {
		if (u64_find(&fst->orphans, p[i].ino))
			continue;
		if (p[i].beyond)
			fs_report(ws, PR_FILE_EXTENT_BEYOND_ISIZE,
				  &(struct problem_ctx){ .ino = p[i].ino,
					.offset = p[i].offset, .want = p[i].size });
		else
			fs_report(ws, PR_INODE_ORPHAN_MISSING,
				  &(struct problem_ctx){ .ino = p[i].ino });
	}
}

static void root_dir_check(struct walk_state *ws)
{
	const struct ino_rec *r = ino_find(ws->fst, BTRFS_FIRST_FREE_OBJECTID);
	const char *why = NULL;

	if (!r)
		why = "does not exist";
	else if (r->ftype != BTRFS_FT_DIR)
		why = "is not a directory";
	if (why)
		fs_report(ws, PR_ROOT_DIR_BAD, &(struct problem_ctx){ .str = why });
}

static void fs_tree_state_free(struct fs_tree_state *fst)
{
	vec_free(&fst->links);
	vec_free(&fst->dir_items);
	vec_free(&fst->inodes);
	vec_free(&fst->pending);
	vec_free(&fst->orphans);
	free(fst);
}

void inodes_tree_end(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;

	if (!fst)
		return;
	inodes_finish(ws);
	memset(&ws->inode, 0, sizeof(ws->inode));
	if (!ws->ctx->fatal && tree_damage(ws->ctx) == fst->damage_before) {
		vec_sort(&fst->inodes, ino_cmp);
		root_dir_check(ws);
		links_check(ws);
		orphans_check(ws);
	}
	fs_tree_state_free(fst);
	ws->fst = NULL;
}

/* ------------------------------------------ after every tree: phase 4-6 */

static int subvol_entry_cmp(const void *a, const void *b)
{
	const struct subvol_entry_rec *x = a, *y = b;

	if (x->tree != y->tree)
		return x->tree < y->tree ? -1 : 1;
	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	if (x->dirid != y->dirid)
		return x->dirid < y->dirid ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Every root ref names a dir index (and so a dir item) in its parent. */
static void root_refs_vs_entries(struct check_ctx *ctx, struct fs_check *fs)
{
	const struct root_ref_rec *r = ctx->root_refs.data;
	size_t i;

	vec_sort(&fs->subvol_entries, subvol_entry_cmp);
	vec_sort(&fs->checked, u64_cmp);
	for (i = 0; i < ctx->root_refs.nr; i++) {
		struct subvol_entry_rec key = { .tree = r[i].parent,
			.child = r[i].child, .dirid = r[i].dirid,
			.index = r[i].sequence };
		const struct subvol_entry_rec *e;

		if (r[i].backref || !u64_find(&fs->checked, r[i].parent))
			continue;
		e = bsearch(&key, fs->subvol_entries.data, fs->subvol_entries.nr,
			    sizeof(key), subvol_entry_cmp);
		if (e && e->name_len == r[i].name_len &&
		    e->name_crc == r[i].name_crc)
			continue;
		check_report(ctx, PR_ROOT_REF_NO_DIR_ENTRY, &(struct problem_ctx){
			.root = r[i].child, .parent = r[i].parent,
			.ino = r[i].dirid, .index = (int)r[i].sequence });
	}
}

/*
 * A subvolume entry in the tree that holds the subvolume's root ref must be
 * the one the ref describes.  Snapshots copy entries of nested subvolumes
 * whose root refs stay with the original: those trees hold no ref for them.
 */
static void entries_vs_root_refs(struct check_ctx *ctx, struct fs_check *fs)
{
	const struct subvol_entry_rec *e = fs->subvol_entries.data;
	const struct root_ref_rec *r = ctx->root_refs.data;
	size_t i, j;

	for (i = 0; i < fs->subvol_entries.nr; i++) {
		bool ref = false, match = false;

		for (j = 0; j < ctx->root_refs.nr && !match; j++) {
			if (r[j].backref || r[j].parent != e[i].tree ||
			    r[j].child != e[i].child)
				continue;
			ref = true;
			match = r[j].dirid == e[i].dirid &&
				r[j].sequence == e[i].index &&
				r[j].name_len == e[i].name_len &&
				r[j].name_crc == e[i].name_crc;
		}
		if (ref && !match)
			check_report(ctx, PR_SUBVOL_ENTRY_UNMATCHED,
				     &(struct problem_ctx){ .root = e[i].tree,
					.ino = e[i].dirid, .owner = e[i].child,
					.index = (int)e[i].index });
	}
}

void fs_roots_check(struct check_ctx *ctx)
{
	if (!ctx->fs)
		return;
	root_refs_vs_entries(ctx, ctx->fs);
	entries_vs_root_refs(ctx, ctx->fs);
}

static int csum_need_cmp(const void *a, const void *b)
{
	const struct csum_need_rec *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Data of inodes without NODATASUM lies inside the checksum ranges (merged
 * and sorted by csums_prepare()); both lists are swept in order.
 */
void fs_csums_check(struct check_ctx *ctx)
{
	const struct range_rec *c = ctx->csums.data;
	const struct csum_need_rec *r;
	size_t i, j = 0;

	if (!ctx->fs)
		return;
	vec_sort(&ctx->fs->csum_need, csum_need_cmp);
	r = ctx->fs->csum_need.data;
	for (i = 0; i < ctx->fs->csum_need.nr; i++) {
		while (j < ctx->csums.nr && c[j].start + c[j].len <= r[i].bytenr)
			j++;
		if (j < ctx->csums.nr && c[j].start <= r[i].bytenr &&
		    c[j].start + c[j].len >= r[i].bytenr + r[i].len)
			continue;
		check_report(ctx, PR_FILE_EXTENT_NO_CSUM, &(struct problem_ctx){
			.root = r[i].root, .ino = r[i].ino, .offset = r[i].offset,
			.bytenr = r[i].bytenr, .len = r[i].len });
	}
	vec_free(&ctx->fs->csum_need);
}
