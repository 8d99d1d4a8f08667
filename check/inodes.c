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
	/*
	 * Dir indexes and unpaired dir items, in walk order: grouped by
	 * directory, each directory's range sorted when it ends.
	 */
	struct rec_vec entries;		/* struct link_rec */
	struct rec_vec entry_ref;	/* u8: the entry's inode ref was met */
	size_t dir_start;		/* the current directory's first entry */
	u64 last_dir;			/* the directory of the previous range */
	bool entries_unsorted;		/* directories out of order */
	struct rec_vec refs;		/* struct link_rec: refs not absorbed */
	struct link_rec *sort_buf;	/* dir_sort()'s */
	size_t sort_cap;
	u64 hint_dir;			/* the last directory refs named ... */
	size_t hint_start, hint_end;	/* ... and its range of entries, */
	size_t hint_bucket[257];	/* by the top byte of their names */
	struct rec_vec dir_items;	/* struct link_rec: current directory's */
	struct rec_vec inodes;		/* struct ino_rec */
	struct rec_vec pending;		/* struct pending_rec */
	struct rec_vec orphans;		/* u64: inodes with an orphan item */
	struct rec_vec subs;		/* struct subtree_memo *: by lo */
	u64 damage_before;		/* tree block problems when it began */
	bool no_holes;
	bool quota;			/* feed the qgroup counts */
	bool saw_dax;			/* an inode with the DAX flag */
};

struct fs_check *fs_check_get(struct check_ctx *ctx)
{
	static const struct fs_check empty = {
		.csum_need = VEC_INIT(struct csum_need_rec),
		.subvol_entries = VEC_INIT(struct subvol_entry_rec),
		.checked = VEC_INIT(u64),
		.memos = VEC_INIT(struct subtree_memo *),
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

static void memos_free(struct fs_check *fs);

void fs_check_free(struct check_ctx *ctx)
{
	if (!ctx->fs)
		return;
	vec_free(&ctx->fs->csum_need);
	vec_free(&ctx->fs->subvol_entries);
	vec_free(&ctx->fs->checked);
	memos_free(ctx->fs);
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

static u64 hash_mix(u64 h)
{
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 32);
}

/*
 * Identifies a name within a directory (with its length beside it): 48
 * bits of a multiplicative hash, eight bytes a step.
 */
static u64 name_key(const void *name, u32 len)
{
	const u8 *p = name;
	u64 h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 29;
	}
	if (len) {
		/* The tail, a byte at a time: no call for a short copy. */
		for (w = 0; len; len--)
			w = w << 8 | p[len - 1];
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	return hash_mix(h) >> 16;
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

static void scopes_begin(struct walk_state *ws);
static void quota_use(struct walk_state *ws, u64 bytenr, u64 len);

static const struct fs_tree_state fst_empty = {
	.entries = VEC_INIT(struct link_rec),
	.entry_ref = VEC_INIT(u8),
	.refs = VEC_INIT(struct link_rec),
	.dir_items = VEC_INIT(struct link_rec),
	.inodes = VEC_INIT(struct ino_rec),
	.pending = VEC_INIT(struct pending_rec),
	.orphans = VEC_INIT(u64),
	.subs = VEC_INIT(struct subtree_memo *),
};

void inodes_tree_begin(struct walk_state *ws)
{
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
	*ws->fst = fst_empty;
	ws->fst->damage_before = tree_damage(ws->ctx);
	ws->fst->no_holes = ws->ctx->fs_info->sb.incompat_flags &
			    BTRFS_FEATURE_INCOMPAT_NO_HOLES;
	ws->fst->quota = quota_enabled(ws->ctx);
	scopes_begin(ws);
}

void inodes_block(struct walk_state *ws, const struct extent_buffer *eb)
{
	if (ws->fst && ws->fst->quota) {
		quota_use(ws, eb->start, eb->len);
		quota_block_owner(ws->ctx, eb);
	}
}

/* ------------------------------------------------ sorting name records */

/*
 * The order of name records: by directory, name and source, then child,
 * index and the tag's low bits, so that every order of equal records is
 * the same and sorting needs no stability.  Of two dir indexes alike but
 * for the pairing, the paired one, the first read, comes first, as it
 * did when records were kept in the order they were read.
 */
static inline int link_order(const struct link_rec *x, const struct link_rec *y)
{
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->tag >> TAG_SRC_SHIFT != y->tag >> TAG_SRC_SHIFT)
		return x->tag >> TAG_SRC_SHIFT < y->tag >> TAG_SRC_SHIFT ? -1 : 1;
	if (x->child != y->child)
		return x->child < y->child ? -1 : 1;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	/* A dir index paired with its dir item before one that is not. */
	return (x->tag ^ TAG_HAS_DI) < (y->tag ^ TAG_HAS_DI) ? -1 :
	       (x->tag ^ TAG_HAS_DI) > (y->tag ^ TAG_HAS_DI);
}

static void link_insertion(struct link_rec *l, size_t n);

static void link_swap(struct link_rec *a, struct link_rec *b)
{
	struct link_rec t = *a;

	*a = *b;
	*b = t;
}

static void link_sift(struct link_rec *l, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			return;
		if (c + 1 < n && link_order(&l[c], &l[c + 1]) < 0)
			c++;
		if (link_order(&l[i], &l[c]) >= 0)
			return;
		link_swap(&l[i], &l[c]);
		i = c;
	}
}

/* In place, no allocation: quicksort, heapsort past a depth, insertion. */
static void link_sort_depth(struct link_rec *l, size_t n, unsigned int depth)
{
	while (n > 16) {
		struct link_rec pivot;
		size_t i, j, m = n / 2;

		if (!depth--) {
			for (i = n / 2; i-- > 0;)
				link_sift(l, i, n);
			for (i = n; --i > 0;) {
				link_swap(&l[0], &l[i]);
				link_sift(l, 0, i);
			}
			return;
		}
		/* Median of three to l[0], then Hoare's partition. */
		if (link_order(&l[m], &l[0]) < 0)
			link_swap(&l[m], &l[0]);
		if (link_order(&l[n - 1], &l[0]) < 0)
			link_swap(&l[n - 1], &l[0]);
		if (link_order(&l[n - 1], &l[m]) < 0)
			link_swap(&l[n - 1], &l[m]);
		link_swap(&l[0], &l[m]);
		pivot = l[0];
		i = 0;
		j = n;
		for (;;) {
			do
				i++;
			while (i < n && link_order(&l[i], &pivot) < 0);
			do
				j--;
			while (link_order(&pivot, &l[j]) < 0);
			if (i >= j)
				break;
			link_swap(&l[i], &l[j]);
		}
		link_swap(&l[0], &l[j]);
		/* Recurse into the smaller side, loop on the bigger. */
		if (j < n - j - 1) {
			link_sort_depth(l, j, depth);
			l += j + 1;
			n -= j + 1;
		} else {
			link_sort_depth(l + j + 1, n - j - 1, depth);
			n = j;
		}
	}
	link_insertion(l, n);
}

static void link_sort(struct link_rec *l, size_t n)
{
	unsigned int depth = 0;
	size_t m;

	for (m = n; m > 1; m >>= 1)
		depth += 2;
	link_sort_depth(l, n, depth);
}

/* Insertion sort of the few records a group or a tie holds. */
static void link_insertion(struct link_rec *l, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct link_rec t = l[i];
		size_t k = i;

		for (; k > 0 && link_order(&t, &l[k - 1]) < 0; k--)
			l[k] = l[k - 1];
		l[k] = t;
	}
}

#define RADIX_MIN	64
#define RADIX_MAX	(1U << 16)

/*
 * Sorts the records of one directory (one parent): a byte-wise radix sort
 * on the tag's name and source (no comparisons to mispredict), through
 * a buffer kept for the tree, then the rare records of equal name and
 * source by the whole order.  Big or small ranges go to link_sort().
 */
static void dir_sort(struct fs_tree_state *fst, struct link_rec *l, size_t n)
{
	u32 count[8][256];
	struct link_rec *src = l, *dst, *t;
	size_t i, start;
	unsigned int d;

	if (n < RADIX_MIN || n > RADIX_MAX) {
		link_sort(l, n);
		return;
	}
	if (fst->sort_cap < n) {
		t = realloc(fst->sort_buf, RADIX_MAX * sizeof(*t));
		if (!t) {
			link_sort(l, n);
			return;
		}
		fst->sort_buf = t;
		fst->sort_cap = RADIX_MAX;
	}
	dst = fst->sort_buf;
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++) {
		u64 k = l[i].tag >> TAG_SRC_SHIFT;

		for (d = 0; d < 8; d++)
			count[d][(k >> (8 * d)) & 0xff]++;
	}
	for (d = 0; d < 8; d++) {
		u32 sum = 0, c;
		unsigned int b;

		if (count[d][(src[0].tag >> TAG_SRC_SHIFT >> (8 * d)) & 0xff] == n)
			continue;
		for (b = 0; b < 256; b++) {
			c = count[d][b];
			count[d][b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[count[d][(src[i].tag >> TAG_SRC_SHIFT >> (8 * d)) &
				     0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != l)
		memcpy(l, src, n * sizeof(*l));
	for (start = 0; start < n; start = i) {
		for (i = start + 1; i < n && l[i].tag >> TAG_SRC_SHIFT ==
		     l[start].tag >> TAG_SRC_SHIFT; i++)
			;
		if (i - start > 1)
			link_insertion(&l[start], i - start);
	}
}

/* ------------------------------------------------------- one inode */

static struct link_rec *link_add(struct walk_state *ws, u64 parent,
				 u64 child, u64 index, const void *name,
				 u32 name_len, u8 src, u8 ftype, bool subvol)
{
	struct rec_vec *v = src == LINK_DIR_ITEM ? &ws->fst->dir_items :
			    src == LINK_DIR_INDEX ? &ws->fst->entries :
			    &ws->fst->refs;
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

/*
 * An inode ref whose directory is already read (it sorts before the inode)
 * and holds exactly one entry of its name, a dir index paired with its dir
 * item that agrees with the ref in inode, index and type, needs no record
 * of its own: the entry is marked, and stands for the ref when the tree
 * ends.  'name' is the tag's name bits.  Any other ref is kept.
 */
static bool ref_absorb(struct walk_state *ws, u64 parent, u64 index, u64 name,
		       u8 ftype)
{
	struct fs_tree_state *fst = ws->fst;
	const struct link_rec *e = fst->entries.data;
	size_t lo, n, i, half;
	u64 want = name >> TAG_NAME_SHIFT;
	unsigned int b;
	u8 *mark;

	if (fst->entries_unsorted || parent >= ws->inode.ino || !ftype)
		return false;
	/* The directory's range: that of the previous ref, most often. */
	if (parent != fst->hint_dir || fst->hint_end > fst->dir_start) {
		lo = 0;
		n = fst->dir_start;
		if (!n)
			return false;
		while (n > 1) {
			half = n / 2;
			lo = e[lo + half].parent < parent ? lo + half : lo;
			n -= half;
		}
		lo += e[lo].parent < parent;
		if (lo >= fst->dir_start || e[lo].parent != parent)
			return false;
		for (i = lo; i < fst->dir_start && e[i].parent == parent; i++)
			;
		fst->hint_dir = parent;
		fst->hint_start = lo;
		fst->hint_end = i;
		/* Where each value of the name's top byte begins. */
		for (b = 0; b <= 256; b++) {
			while (lo < i && tag_name(&e[lo]) >> 48 < b)
				lo++;
			fst->hint_bucket[b] = lo;
		}
	}
	/* The first entry of the name, without branches to mispredict. */
	b = (unsigned int)(want >> 48);
	lo = fst->hint_bucket[b];
	n = fst->hint_bucket[b + 1] - lo;
	if (!n)
		return false;
	while (n > 1) {
		half = n / 2;
		lo = tag_name(&e[lo + half]) < want ? lo + half : lo;
		n -= half;
	}
	i = lo + (tag_name(&e[lo]) < want);
	if (i >= fst->hint_end || tag_name(&e[i]) != want)
		return false;
	if (i + 1 < fst->hint_end && tag_name(&e[i + 1]) == want)
		return false;
	if (tag_src(&e[i]) != LINK_DIR_INDEX || !tag_has(&e[i], TAG_HAS_DI) ||
	    tag_has(&e[i], TAG_SUBVOL) || e[i].child != ws->inode.ino ||
	    e[i].index != index || tag_ftype(&e[i]) != ftype)
		return false;
	while (fst->entry_ref.nr <= i)
		if (!check_push(ws->ctx, &fst->entry_ref))
			return false;
	mark = VEC_AT(&fst->entry_ref, u8, i);
	if (*mark)
		return false;
	*mark = 1;
	return true;
}

/* The root directory names itself "..": that name has no dir entry. */
static void ref_name(struct walk_state *ws, u64 parent, u64 index,
		     const void *name, u32 name_len)
{
	struct inode_state *st = &ws->inode;
	u8 ftype;

	st->names++;
	if (parent == st->ino)
		return;
	ftype = st->have_item ? mode_ftype(st->mode) : 0;
	if (ref_absorb(ws, parent, index, name_key(name, name_len) << 16 |
		       (u64)(name_len > 255 ? 255 : name_len) << TAG_NAME_SHIFT,
		       ftype))
		return;
	link_add(ws, parent, st->ino, index, name, name_len, LINK_REF, ftype,
		 false);
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
		hash = btrfs_extref_hash(parent, ref + 1, len);
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

/* A dir index takes the first dir item of its name not taken yet. */
static void dir_index_pair(struct walk_state *ws, struct link_rec *dx,
			   struct link_rec *di, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (tag_has(&di[i], TAG_HAS_DI))
			continue;
		di[i].tag |= TAG_HAS_DI;
		dx->tag |= TAG_HAS_DI;
		if (di[i].child != dx->child)
			fs_report(ws, PR_DIR_ENTRY_LOCATION, &(struct problem_ctx){
				.parent = dx->parent, .ino = di[i].child,
				.owner = dx->child,
				.str = "the dir item and the dir index" });
		return;
	}
}

/*
 * Pairs each dir index of the directory [dx, dx + nx) with a dir item of
 * its name [di, di + ni), both sorted; the dir indexes of one name take
 * theirs in key (index) order.
 */
static void dir_indexes_pair(struct walk_state *ws, struct link_rec *dx,
			     size_t nx, struct link_rec *di, size_t ni)
{
	size_t i = 0, j = 0, a, b, k, m;

	while (i < nx && j < ni) {
		u64 name = tag_name(&dx[i]);

		if (tag_name(&di[j]) < name) {
			j++;
			continue;
		}
		if (tag_name(&di[j]) > name) {
			i++;
			continue;
		}
		for (a = i; i < nx && tag_name(&dx[i]) == name; i++)
			;
		for (b = j; j < ni && tag_name(&di[j]) == name; j++)
			;
		if (i - a == 1) {
			dir_index_pair(ws, &dx[a], &di[b], j - b);
			continue;
		}
		/* Several dir indexes of one name: lowest index first. */
		for (m = 0; m < i - a; m++) {
			struct link_rec *next = NULL;

			for (k = a; k < i; k++) {
				if (tag_has(&dx[k], TAG_HAS_DI))
					continue;
				if (!next || dx[k].index < next->index)
					next = &dx[k];
			}
			if (!next)
				break;
			dir_index_pair(ws, next, &di[b], j - b);
			if (!tag_has(next, TAG_HAS_DI))
				break;
		}
	}
}

/*
 * The directory's entries are all read: its dir indexes (the records from
 * dir_start on) are paired with its dir items, which need no record of
 * their own when matched, and the range is sorted by name.
 */
static void entries_close(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;
	struct link_rec *e, *di = fst->dir_items.data, *l;
	size_t nx = fst->entries.nr - fst->dir_start, i;

	if (nx)
		dir_sort(fst, VEC_AT(&fst->entries, struct link_rec,
				     fst->dir_start), nx);
	if (fst->dir_items.nr) {
		dir_sort(fst, di, fst->dir_items.nr);
		dir_indexes_pair(ws, VEC_AT(&fst->entries, struct link_rec,
					    fst->dir_start), nx,
				 di, fst->dir_items.nr);
		for (i = 0; i < fst->dir_items.nr && !ws->ctx->fatal; i++) {
			if (tag_has(&di[i], TAG_HAS_DI))
				continue;
			l = check_push(ws->ctx, &fst->entries);
			if (l)
				*l = di[i];
		}
		if (fst->entries.nr - fst->dir_start > nx)
			link_sort(VEC_AT(&fst->entries, struct link_rec,
					 fst->dir_start),
				  fst->entries.nr - fst->dir_start);
		fst->dir_items.nr = 0;
	}
	if (fst->entries.nr == fst->dir_start)
		return;
	e = fst->entries.data;
	if (fst->dir_start && e[fst->dir_start].parent <= fst->last_dir)
		fst->entries_unsorted = true;
	fst->last_dir = e[fst->dir_start].parent;
	fst->dir_start = fst->entries.nr;
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
		bool subvol;

		if (total > size - cur)
			break;
		btrfs_disk_key_to_cpu(&loc, &di->location);
		subvol = loc.type == BTRFS_ROOT_ITEM_KEY;
		st->dir_names += len;
		link_add(ws, st->ino, loc.objectid, index ? key->offset : 0,
			 di + 1, len, index ? LINK_DIR_INDEX : LINK_DIR_ITEM,
			 btrfs_dir_ftype(di), subvol);
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
		quota_use(ws, disk, btrfs_file_extent_disk_num_bytes(fe));
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
	inode_rules_extent(ws, fe, key);
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
	if (st->dax)
		ws->fst->saw_dax = true;
	entries_close(ws);
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
		inode_rules_dir(ws);
		return;
	}
	if (st->dir_entries)
		fs_report(ws, PR_DIR_ITEM_NOT_DIR, &pctx);
	if (S_ISREG(st->mode) || S_ISLNK(st->mode))
		file_finish(ws);
}

/* ------------------------------------------------- the whole tree */

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

static const struct ino_rec *subs_ino_find(const struct rec_vec *subs,
					    u64 ino);

/* The inode record of ino in 'inodes' (sorted), or in the subtrees 'subs'. */
static const struct ino_rec *ino_find_in(const struct rec_vec *inodes,
					 const struct rec_vec *subs, u64 ino)
{
	const struct ino_rec *r = inodes->data;
	size_t lo = 0, hi = inodes->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].ino < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < inodes->nr && r[lo].ino == ino)
		return &r[lo];
	return subs->nr ? subs_ino_find(subs, ino) : NULL;
}

static const struct ino_rec *ino_find(const struct fs_tree_state *fst, u64 ino)
{
	return ino_find_in(&fst->inodes, &fst->subs, ino);
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

static bool entry_marked(const struct fs_tree_state *fst, size_t i)
{
	return i < fst->entry_ref.nr && *VEC_AT(&fst->entry_ref, u8, i);
}

/* The inode ref an entry stands for (see ref_absorb()). */
static struct link_rec absorbed_ref(const struct link_rec *e)
{
	struct link_rec r = *e;

	r.tag = (e->tag >> TAG_NAME_SHIFT) << TAG_NAME_SHIFT |
		(u64)LINK_REF << TAG_SRC_SHIFT | tag_ftype(e);
	return r;
}

/* Directory and name of a record, compared. */
static int name_order(const struct link_rec *x, const struct link_rec *y)
{
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return tag_name(x) < tag_name(y) ? -1 : tag_name(x) > tag_name(y);
}

static bool group_push(struct check_ctx *ctx, struct rec_vec *g,
		       const struct link_rec *l)
{
	struct link_rec *slot = check_push(ctx, g);

	if (slot)
		*slot = *l;
	return slot;
}

/* Every record of a tree sorted in one array: the names group by group. */
static void links_check_all(struct walk_state *ws, struct rec_vec *v)
{
	const struct link_rec *l;
	size_t i, start, n;

	link_sort(v->data, v->nr);
	l = v->data;
	n = v->nr;
	for (start = 0; start < n && !ws->ctx->fatal; start = i) {
		for (i = start + 1; i < n && !name_order(&l[i], &l[start]); i++)
			;
		name_group(ws, &l[start], i - start);
	}
}

/* What is done with the records of one name: [g, g + n), in any order. */
typedef void (*group_fn)(struct walk_state *ws, struct link_rec *g, size_t n,
			 void *arg);

/* Checks one name's records against each other. */
static void group_check(struct walk_state *ws, struct link_rec *g, size_t n,
			void *arg)
{
	link_sort(g, n);
	name_group(ws, g, n);
}

/*
 * The sorted entries and the (sorted) refs not absorbed, merged name by
 * name; a marked entry brings its ref back.  fn gets each group.
 */
static void links_merge(struct walk_state *ws, group_fn fn, void *arg)
{
	struct fs_tree_state *fst = ws->fst;
	struct rec_vec group = VEC_INIT(struct link_rec);
	const struct link_rec *e = fst->entries.data, *r;
	size_t i = 0, j = 0, ne = fst->entries.nr, nr = fst->refs.nr;
	struct link_rec first;

	link_sort(fst->refs.data, nr);
	r = fst->refs.data;
	while ((i < ne || j < nr) && !ws->ctx->fatal) {
		/*
		 * A marked entry alone with its name agrees with its ref
		 * (ref_absorb() checked it): name_group() would find nothing.
		 */
		if (i < ne && entry_marked(fst, i) &&
		    (i + 1 == ne || name_order(&e[i + 1], &e[i])) &&
		    (j >= nr || name_order(&e[i], &r[j]) < 0)) {
			i++;
			continue;
		}
		first = j >= nr || (i < ne && name_order(&e[i], &r[j]) <= 0) ?
			e[i] : r[j];
		group.nr = 0;
		for (; i < ne && !name_order(&e[i], &first); i++) {
			group_push(ws->ctx, &group, &e[i]);
			if (entry_marked(fst, i)) {
				struct link_rec a = absorbed_ref(&e[i]);

				group_push(ws->ctx, &group, &a);
			}
		}
		for (; j < nr && !name_order(&r[j], &first); j++)
			group_push(ws->ctx, &group, &r[j]);
		if (ws->ctx->fatal)
			break;
		fn(ws, group.data, group.nr, arg);
	}
	vec_free(&group);
}

/*
 * Every name of the tree checked.  Directories read out of order (a
 * damaged tree) fall back to sorting every record together.
 */
static void links_check(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;
	const struct link_rec *e = fst->entries.data, *r;
	size_t i, ne = fst->entries.nr;
	struct link_rec ref;

	if (!fst->entries_unsorted) {
		links_merge(ws, group_check, NULL);
		return;
	}
	for (i = 0; i < ne && !ws->ctx->fatal; i++) {
		ref = absorbed_ref(&e[i]);
		if (entry_marked(fst, i))
			group_push(ws->ctx, &fst->refs, &ref);
	}
	r = fst->refs.data;
	for (i = 0; i < fst->refs.nr && !ws->ctx->fatal; i++)
		group_push(ws->ctx, &fst->entries, &r[i]);
	if (!ws->ctx->fatal)
		links_check_all(ws, &fst->entries);
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
	vec_free(&fst->entries);
	vec_free(&fst->entry_ref);
	vec_free(&fst->refs);
	free(fst->sort_buf);
	vec_free(&fst->dir_items);
	vec_free(&fst->inodes);
	vec_free(&fst->pending);
	vec_free(&fst->orphans);
	vec_free(&fst->subs);
	free(fst);
}

static void scopes_end(struct walk_state *ws);

void inodes_tree_end(struct walk_state *ws)
{
	struct fs_tree_state *fst = ws->fst;

	if (!fst)
		return;
	scopes_end(ws);
	fst = ws->fst;
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

/* ------------------------------------------------ shared subtrees */

/*
 * Snapshots share subtrees; checking each snapshot's items in full would
 * check the shared ones once per snapshot.  A subtree whose top block is
 * referenced more than once is checked once instead.  The items of its
 * interior, the inodes strictly between the first and the last inode
 * number it holds (the inodes at its edges may go on beyond it), feed
 * records of their own, paired when the subtree ends: a name whose dir
 * entries and inode refs are all inside is checked then.  What is left,
 * names that link the inside to the outside, inodes waiting for an orphan
 * item, orphan items and subvolume entries, is the subtree's summary; it
 * joins the enclosing records as if the items had been read there.  The
 * interior's inode records stay with the summary, for lookups.  A later
 * tree that meets the block again takes the summary and reads only the
 * blocks that hold the edge items.
 *
 * With quotas the summary also lists the extents the subtree uses (its
 * blocks, its files' data), which count again for each tree that takes it.
 * A summary is taken again only when checking the subtree found nothing
 * at all and it holds no DAX inode (whose extents count their users tree
 * by tree).  So a damaged subtree is read in every tree that holds it.
 */
struct subtree_memo {
	u64 bytenr;
	u64 lo, hi;		/* inode numbers of its first and last items */
	size_t id;		/* its index in fs_check.memos, + 1 */
	bool raw;		/* carried unpaired, its entries out of order */
	struct rec_vec entries;	/* struct link_rec, in order */
	struct rec_vec refs;	/* struct link_rec */
	struct rec_vec pending;	/* struct pending_rec */
	struct rec_vec orphans;	/* u64 */
	struct rec_vec subvols;	/* struct subvol_entry_rec */
	struct rec_vec inodes;	/* struct ino_rec of its interior, sorted */
	struct rec_vec subs;	/* struct subtree_memo *: inside it, by lo */
	struct rec_vec uses;	/* struct range_rec: extents, for the qgroups */
};

/* A shared subtree checked for the first time, open around the walk. */
struct scope {
	struct subtree_memo *memo;
	struct fs_tree_state *fst;	/* the records of its interior */
	struct inode_state inode;	/* its inode while another is current */
	u64 problems_before;
	size_t subvols_start;		/* fs_check.subvol_entries then */
};

struct scope_stack {
	struct scope s[BTRFS_MAX_LEVEL];
	int nr;
	int cur;		/* whose records ws holds; -1: the tree's */
	struct fs_tree_state *tree_fst;
	struct inode_state tree_inode;	/* the tree's, while a scope's is in ws */
};

static u64 problems_total(const struct check_ctx *ctx)
{
	u64 n = 0;
	int i;

	for (i = 0; i < SEV_NR; i++)
		n += ctx->log.by_severity[i];
	return n;
}

static void memo_free(struct subtree_memo *m)
{
	vec_free(&m->entries);
	vec_free(&m->refs);
	vec_free(&m->pending);
	vec_free(&m->orphans);
	vec_free(&m->subvols);
	vec_free(&m->inodes);
	vec_free(&m->subs);
	vec_free(&m->uses);
	free(m);
}

static void memos_free(struct fs_check *fs)
{
	size_t i;

	for (i = 0; i < fs->memos.nr; i++)
		memo_free(*VEC_AT(&fs->memos, struct subtree_memo *, i));
	vec_free(&fs->memos);
	block_set_free(&fs->memo_map);
}

static const struct ino_rec *subs_ino_find(const struct rec_vec *subs,
					    u64 ino)
{
	struct subtree_memo *const *m = subs->data;
	size_t lo = 0, hi = subs->nr;

	/* The last subtree whose interior begins below ino. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m[mid]->lo < ino)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || ino >= m[lo - 1]->hi)
		return NULL;
	return ino_find_in(&m[lo - 1]->inodes, &m[lo - 1]->subs, ino);
}

static struct subtree_memo *memo_new(struct check_ctx *ctx, u64 bytenr,
				     u64 lo, u64 hi)
{
	struct fs_check *fs = ctx->fs;
	struct subtree_memo *m, **slot;

	if (!fs->memo_map.slots && block_set_init(&fs->memo_map))
		return NULL;
	m = calloc(1, sizeof(*m));
	slot = m ? check_push(ctx, &fs->memos) : NULL;
	if (!slot) {
		free(m);
		return NULL;
	}
	*slot = m;
	m->id = fs->memos.nr;
	m->bytenr = bytenr;
	m->lo = lo;
	m->hi = hi;
	m->entries = (struct rec_vec)VEC_INIT(struct link_rec);
	m->refs = (struct rec_vec)VEC_INIT(struct link_rec);
	m->pending = (struct rec_vec)VEC_INIT(struct pending_rec);
	m->orphans = (struct rec_vec)VEC_INIT(u64);
	m->subvols = (struct rec_vec)VEC_INIT(struct subvol_entry_rec);
	m->inodes = (struct rec_vec)VEC_INIT(struct ino_rec);
	m->subs = (struct rec_vec)VEC_INIT(struct subtree_memo *);
	m->uses = (struct rec_vec)VEC_INIT(struct range_rec);
	return m;
}

/* The summary of the subtree at bytenr that may be taken again, or NULL. */
static struct subtree_memo *memo_find(struct check_ctx *ctx, u64 bytenr)
{
	struct fs_check *fs = ctx->fs;
	struct block_slot *slot;
	bool is_new;

	if (!fs->memo_map.slots)
		return NULL;
	slot = block_set_get(&fs->memo_map, bytenr, &is_new);
	if (!slot || !slot->seq)
		return NULL;
	return *VEC_AT(&fs->memos, struct subtree_memo *, slot->seq - 1);
}

static void memo_keep(struct check_ctx *ctx, const struct subtree_memo *m)
{
	struct block_slot *slot;
	bool is_new;

	slot = block_set_get(&ctx->fs->memo_map, m->bytenr, &is_new);
	if (slot && !slot->seq)
		slot->seq = (u32)m->id;
}

static void vec_append(struct check_ctx *ctx, struct rec_vec *dst,
		       const struct rec_vec *src)
{
	size_t i;

	for (i = 0; i < src->nr; i++) {
		void *d = check_push(ctx, dst);

		if (!d)
			return;
		memcpy(d, (const char *)src->data + i * src->elem, src->elem);
	}
}

static bool summaries_off(void)
{
	static int off = -1;

	/* For tests: check every snapshot's items in full, as before. */
	if (off < 0)
		off = getenv("BTRFS_CHECK_NO_SUBTREE_SUMMARY") != NULL;
	return off;
}

static void scopes_begin(struct walk_state *ws)
{
	if (summaries_off() || !ws->ctx->extents_ready)
		return;
	ws->scopes = calloc(1, sizeof(*ws->scopes));
	if (!ws->scopes)
		return;
	ws->scopes->cur = -1;
	ws->scopes->tree_fst = ws->fst;
}

/*
 * The tree uses an extent (a tree block, a data extent), for the qgroup
 * counts; so do the subtrees open around the walk, whose summaries say it
 * again for the next tree that takes them.
 */
static void quota_use(struct walk_state *ws, u64 bytenr, u64 len)
{
	struct scope_stack *ss = ws->scopes;
	int i;

	quota_extent_use(ws->ctx, bytenr, len, ws->root->id);
	for (i = 0; ss && i < ss->nr; i++) {
		struct range_rec *u = check_push(ws->ctx, &ss->s[i].memo->uses);

		if (!u)
			return;
		u->start = bytenr;
		u->len = len;
	}
}

/* Makes target t (-1: the tree) the one whose records ws holds. */
static void target_load(struct walk_state *ws, int t)
{
	struct scope_stack *ss = ws->scopes;

	if (t == ss->cur)
		return;
	if (ss->cur < 0)
		ss->tree_inode = ws->inode;
	else if (ss->cur < ss->nr)
		ss->s[ss->cur].inode = ws->inode;
	ws->inode = t < 0 ? ss->tree_inode : ss->s[t].inode;
	ws->fst = t < 0 ? ss->tree_fst : ss->s[t].fst;
	ss->cur = t;
}

/* The inode in ws has all its items: check it and forget it. */
static void inode_done(struct walk_state *ws)
{
	inodes_finish(ws);
	memset(&ws->inode, 0, sizeof(ws->inode));
}

/* Into a subtree's interior, the inode before it is complete. */
static void target_enter(struct walk_state *ws, int t)
{
	if (t > ws->scopes->cur)
		inode_done(ws);
	target_load(ws, t);
}

/* The innermost open subtree whose interior holds inode o; -1: none. */
static int target_of(const struct scope_stack *ss, u64 o)
{
	int t;

	for (t = ss->nr - 1; t >= 0; t--)
		if (o > ss->s[t].memo->lo && o < ss->s[t].memo->hi)
			break;
	return t;
}

/* Adds a subtree's summary to the records in ws, as its items would. */
static void memo_splice(struct walk_state *ws, struct subtree_memo *m,
			bool again)
{
	struct check_ctx *ctx = ws->ctx;
	struct fs_tree_state *fst;
	struct subtree_memo **sub;
	size_t i;

	if (m->entries.nr || m->refs.nr || m->pending.nr) {
		/* The inode before the subtree: its items all came. */
		if (ws->inode.ino)
			inode_done(ws);
	}
	fst = ws->fst;
	if (m->entries.nr) {
		const struct link_rec *e = m->entries.data;

		if (m->raw || (fst->dir_start && e[0].parent <= fst->last_dir))
			fst->entries_unsorted = true;
		vec_append(ctx, &fst->entries, &m->entries);
		fst->last_dir = e[m->entries.nr - 1].parent;
		fst->dir_start = fst->entries.nr;
	}
	vec_append(ctx, &fst->refs, &m->refs);
	vec_append(ctx, &fst->pending, &m->pending);
	vec_append(ctx, &fst->orphans, &m->orphans);
	for (i = 0; again && ctx->fs && i < m->subvols.nr; i++) {
		struct subvol_entry_rec *r = check_push(ctx,
						&ctx->fs->subvol_entries);

		if (!r)
			break;
		*r = *VEC_AT(&m->subvols, struct subvol_entry_rec, i);
		r->tree = ws->root->id;
	}
	for (i = 0; again && ws->scopes->tree_fst->quota && i < m->uses.nr; i++) {
		const struct range_rec *u = VEC_AT(&m->uses, struct range_rec, i);

		quota_use(ws, u->start, u->len);
	}
	sub = check_push(ctx, &fst->subs);
	if (sub)
		*sub = m;
}

/* Whether every record of one name lies in the subtree's interior. */
static bool group_inside(const struct subtree_memo *m,
			 const struct link_rec *g, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (g[i].parent <= m->lo || g[i].parent >= m->hi)
			return false;
		if (tag_src(&g[i]) != LINK_REF && !tag_has(&g[i], TAG_SUBVOL) &&
		    (g[i].child <= m->lo || g[i].child >= m->hi))
			return false;
	}
	return true;
}

/* A name of a subtree's interior: checked if wholly inside, else kept. */
static void group_split(struct walk_state *ws, struct link_rec *g, size_t n,
			void *arg)
{
	struct subtree_memo *m = arg;
	size_t k;

	if (group_inside(m, g, n)) {
		group_check(ws, g, n, NULL);
		return;
	}
	for (k = 0; k < n; k++)
		group_push(ws->ctx, tag_src(&g[k]) == LINK_REF ? &m->refs :
			   &m->entries, &g[k]);
}

/* Everything of a subtree's interior, unpaired, into its summary. */
static void links_carry(struct walk_state *ws, struct subtree_memo *m)
{
	struct fs_tree_state *fst = ws->fst;
	const struct link_rec *e = fst->entries.data;
	size_t i;

	m->raw = true;
	for (i = 0; i < fst->entries.nr && !ws->ctx->fatal; i++) {
		group_push(ws->ctx, &m->entries, &e[i]);
		if (entry_marked(fst, i)) {
			struct link_rec a = absorbed_ref(&e[i]);

			group_push(ws->ctx, &m->refs, &a);
		}
	}
	vec_append(ws->ctx, &m->refs, &fst->refs);
}

static bool ino_sorted(const struct rec_vec *v)
{
	const struct ino_rec *r = v->data;
	size_t i;

	for (i = 1; i < v->nr; i++)
		if (r[i - 1].ino > r[i].ino)
			return false;
	return true;
}

static void vec_move(struct rec_vec *dst, struct rec_vec *src)
{
	*dst = *src;
	*src = (struct rec_vec){ .elem = src->elem };
}

/* The interior is all read: pairs its names and makes its summary. */
static void scope_resolve(struct walk_state *ws, struct scope *s)
{
	struct fs_tree_state *fst = s->fst;
	struct subtree_memo *m = s->memo;
	struct check_ctx *ctx = ws->ctx;
	const struct subvol_entry_rec *v;
	size_t k;

	if (!ino_sorted(&fst->inodes))
		vec_sort(&fst->inodes, ino_cmp);
	/* After damage the tree's names are not checked (see the top). */
	if (fst->entries_unsorted ||
	    tree_damage(ctx) != ws->scopes->tree_fst->damage_before)
		links_carry(ws, m);
	else
		links_merge(ws, group_split, m);
	vec_move(&m->inodes, &fst->inodes);
	vec_move(&m->subs, &fst->subs);
	vec_move(&m->pending, &fst->pending);
	vec_move(&m->orphans, &fst->orphans);
	if (!ctx->fs)
		return;
	v = ctx->fs->subvol_entries.data;
	for (k = s->subvols_start; k < ctx->fs->subvol_entries.nr; k++) {
		if (v[k].dirid > m->lo && v[k].dirid < m->hi &&
		    v[k].tree == ws->root->id) {
			struct subvol_entry_rec *r = check_push(ctx, &m->subvols);

			if (!r)
				break;
			*r = v[k];
			v = ctx->fs->subvol_entries.data;
		}
	}
}

/* Ends the innermost open subtree: its summary joins the records around. */
static void scope_close(struct walk_state *ws)
{
	struct scope_stack *ss = ws->scopes;
	struct check_ctx *ctx = ws->ctx;
	int i = ss->nr - 1;
	struct scope *s = &ss->s[i];
	struct subtree_memo *m = s->memo;
	bool keep;

	target_load(ws, i);
	inode_done(ws);
	scope_resolve(ws, s);
	keep = !ctx->fatal && !m->raw && !s->fst->saw_dax &&
	       problems_total(ctx) == s->problems_before;
	fs_tree_state_free(s->fst);
	s->fst = NULL;
	ss->nr--;
	target_load(ws, i - 1);
	memo_splice(ws, m, false);
	ctx->subtrees_summed++;
	if (keep) {
		memo_keep(ctx, m);
		ctx->subtrees_kept++;
	}
}

/* A skipped subtree's summary, where its interior would have been. */
static void skip_splice(struct walk_state *ws)
{
	struct subtree_memo *m = (struct subtree_memo *)ws->skip;

	ws->skip_spliced = true;
	ws->ctx->subtrees_taken++;
	target_enter(ws, target_of(ws->scopes, m->lo + 1));
	memo_splice(ws, m, true);
}

bool inodes_route(struct walk_state *ws, const struct btrfs_key *key)
{
	struct scope_stack *ss = ws->scopes;
	u64 o = key->objectid;
	int t;

	if (ws->skip) {
		if (o > ws->skip->lo && o < ws->skip->hi)
			return false;
		if (o >= ws->skip->hi && !ws->skip_spliced)
			skip_splice(ws);
	}
	while (ss->nr && o >= ss->s[ss->nr - 1].memo->hi && !ws->ctx->fatal)
		scope_close(ws);
	t = target_of(ss, o);
	if (t != ss->cur)
		target_enter(ws, t);
	return true;
}

/* The inode number of the last item under eb; false if unknown. */
static bool last_objectid(struct walk_state *ws, struct extent_buffer *eb,
			  u64 *ret)
{
	struct btrfs_fs_info *fs_info = ws->ctx->fs_info;
	struct extent_buffer *cur = extent_buffer_get(eb), *child;
	struct btrfs_key key;
	bool ok = false;

	for (;;) {
		u32 n = eb_nritems(cur);
		struct tree_block_expect expect = { .first_key = &key };

		if (!n)
			break;
		if (!eb_level(cur)) {
			eb_item_key(cur, &key, (int)n - 1);
			*ret = key.objectid;
			ok = true;
			break;
		}
		eb_node_key(cur, &key, (int)n - 1);
		expect.level = eb_level(cur) - 1;
		expect.generation = eb_node_ptr_generation(cur, (int)n - 1);
		if (tree_block_read(fs_info, eb_node_blockptr(cur, (int)n - 1),
				    &expect, &child)) {
			/* The walk reports it when it gets there. */
			fs_info->err[0] = '\0';
			break;
		}
		extent_buffer_put(cur);
		cur = child;
	}
	extent_buffer_put(cur);
	return ok;
}

enum subtree_visit subtree_enter(struct walk_state *ws,
				 struct extent_buffer *eb, int kind)
{
	struct scope_stack *ss = ws->scopes;
	struct check_ctx *ctx = ws->ctx;
	const struct extent_rec *e;
	struct subtree_memo *m;
	struct btrfs_key first;
	struct scope *s;
	u64 hi;

	if (ws->skip || ctx->fatal || eb->start == ws->root->bytenr ||
	    !eb_nritems(eb) || ss->nr == BTRFS_MAX_LEVEL)
		return SUB_NONE;
	e = extent_lookup(ctx, eb->start);
	if (!e || e->refs < 2)
		return SUB_NONE;
	m = memo_find(ctx, eb->start);
	if (m) {
		if (kind != 0)
			return SUB_NONE;
		ws->skip = m;
		ws->skip_spliced = false;
		return SUB_SKIP;
	}
	if (eb_level(eb))
		eb_node_key(eb, &first, 0);
	else
		eb_item_key(eb, &first, 0);
	if (!last_objectid(ws, eb, &hi) || hi <= first.objectid + 1)
		return SUB_NONE;
	m = memo_new(ctx, eb->start, first.objectid, hi);
	s = &ss->s[ss->nr];
	s->fst = m ? malloc(sizeof(*s->fst)) : NULL;
	if (!s->fst)
		return SUB_NONE;
	*s->fst = fst_empty;
	s->fst->no_holes = ss->tree_fst->no_holes;
	s->fst->quota = ss->tree_fst->quota;
	s->memo = m;
	memset(&s->inode, 0, sizeof(s->inode));
	s->problems_before = problems_total(ctx);
	s->subvols_start = ctx->fs->subvol_entries.nr;
	ss->nr++;
	return SUB_SCOPE;
}

void subtree_leave(struct walk_state *ws, enum subtree_visit sub, u64 bytenr)
{
	struct scope_stack *ss = ws->scopes;

	if (!ss)
		return;
	if (sub == SUB_SKIP) {
		if (ws->skip && !ws->skip_spliced && !ws->ctx->fatal)
			skip_splice(ws);
		ws->skip = NULL;
		return;
	}
	if (ss->nr && ss->s[ss->nr - 1].memo->bytenr == bytenr &&
	    !ws->ctx->fatal)
		scope_close(ws);
}

bool subtree_edge_child(const struct walk_state *ws,
			const struct extent_buffer *eb, int slot)
{
	const struct subtree_memo *m = ws->skip;
	struct btrfs_key key;
	u64 next = (u64)-1;

	if (!m)
		return true;
	if (slot + 1 < (int)eb_nritems(eb)) {
		eb_node_key(eb, &key, slot + 1);
		next = key.objectid;
	}
	eb_node_key(eb, &key, slot);
	return (key.objectid <= m->lo && next >= m->lo) ||
	       (key.objectid <= m->hi && next >= m->hi);
}

/* The tree is walked: subtrees still open end (or go, if it stopped). */
static void scopes_end(struct walk_state *ws)
{
	struct scope_stack *ss = ws->scopes;

	if (!ss)
		return;
	ws->skip = NULL;
	while (ss->nr && !ws->ctx->fatal)
		scope_close(ws);
	target_load(ws, -1);
	while (ss->nr) {
		ss->nr--;
		fs_tree_state_free(ss->s[ss->nr].fst);
	}
	free(ss);
	ws->scopes = NULL;
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
		e = !fs->subvol_entries.nr ? NULL :
		    bsearch(&key, fs->subvol_entries.data,
			    fs->subvol_entries.nr, sizeof(key),
			    subvol_entry_cmp);
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
