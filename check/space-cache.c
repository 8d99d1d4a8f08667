// SPDX-License-Identifier: GPL-2.0-only
/*
 * The v1 free space cache against the extent tree (phase 3, filesystems
 * without a free space tree).
 *
 * The kernel (space_cache=v1) keeps, for every block group of 100 MiB or
 * more, a file of the root tree: a header item (FREE_SPACE_OBJECTID, 0,
 * block group start) names the inode and holds the generation and the
 * numbers of entries and bitmaps; the file is pages of 4 KiB, the first
 * starting with one crc32c per page and the generation, then the entries
 * (offset, bytes, type: free bytes or a bitmap's range) packed per page,
 * then one page per bitmap, a bit per sector.
 *
 * It loads a cache only when the superblock's cache generation is the
 * filesystem's, the inode's generation is the header's and not 0, the
 * inode has NODATASUM, the file is not empty and has entries, every page
 * it reads has the right crc, the generation in the file is the header's,
 * no entry is empty or a duplicate, and the free bytes add up to what the
 * block group does not use (its length less used and the superblock
 * copies in it).  Anything else makes it throw the cache away and build
 * it again: reported as a warning.  A cache it would load must list as
 * free exactly the bytes no extent uses, or the kernel would hand out used
 * space: a difference is an error (as stock check reports "cache appears
 * valid but isn't").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/csum.h"
#include "check/check.h"

#define SC_PAGE		4096U
/* Pages a cache file may have: its crcs and generation fit in page 0. */
#define SC_MAX_PAGES	((SC_PAGE - sizeof(u64)) / sizeof(u32))

struct sc_header {
	u64 bg_start;
	u64 ino;
	u64 generation;
	u64 entries;
	u64 bitmaps;
};

struct sc_inode {
	u64 ino;
	u64 generation;
	u64 size;
	u64 flags;
};

struct sc_extent {
	u64 ino;
	u64 file_offset;
	u64 disk_bytenr;	/* 0: a hole */
	u64 offset;		/* into the disk extent */
	u64 num_bytes;
	u8 type;
	u8 compression;
};

struct space_cache {
	struct rec_vec headers;		/* struct sc_header */
	struct rec_vec inodes;		/* struct sc_inode */
	struct rec_vec extents;		/* struct sc_extent */
};

static struct space_cache *sc_get(struct check_ctx *ctx)
{
	struct space_cache *sc = ctx->space_cache;

	if (sc)
		return sc;
	sc = calloc(1, sizeof(*sc));
	if (!sc) {
		check_oom(ctx);
		return NULL;
	}
	sc->headers.elem = sizeof(struct sc_header);
	sc->inodes.elem = sizeof(struct sc_inode);
	sc->extents.elem = sizeof(struct sc_extent);
	ctx->space_cache = sc;
	return sc;
}

void space_cache_free(struct check_ctx *ctx)
{
	struct space_cache *sc = ctx->space_cache;

	if (!sc)
		return;
	vec_free(&sc->headers);
	vec_free(&sc->inodes);
	vec_free(&sc->extents);
	free(sc);
	ctx->space_cache = NULL;
}

static void sc_header_add(struct check_ctx *ctx, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_free_space_header *h = eb_item_ptr(eb, slot);
	struct space_cache *sc;
	struct sc_header *r;

	if (eb_item_size(eb, slot) < sizeof(*h) || !(sc = sc_get(ctx)) ||
	    !(r = check_push(ctx, &sc->headers)))
		return;
	r->bg_start = key->offset;
	r->ino = btrfs_disk_key_objectid(&h->location);
	r->generation = btrfs_free_space_generation(h);
	r->entries = btrfs_free_space_entries(h);
	r->bitmaps = btrfs_free_space_bitmaps(h);
}

static void sc_inode_add(struct check_ctx *ctx, const struct extent_buffer *eb,
			 int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);
	struct space_cache *sc;
	struct sc_inode *r;

	if (eb_item_size(eb, slot) < sizeof(*ii) || !(sc = sc_get(ctx)) ||
	    !(r = check_push(ctx, &sc->inodes)))
		return;
	r->ino = key->objectid;
	r->generation = btrfs_inode_generation(ii);
	r->size = btrfs_inode_size(ii);
	r->flags = btrfs_inode_flags(ii);
}

static void sc_extent_add(struct check_ctx *ctx, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);
	struct space_cache *sc;
	struct sc_extent *r;

	if (eb_item_size(eb, slot) < BTRFS_FILE_EXTENT_INLINE_DATA_START ||
	    !(sc = sc_get(ctx)) || !(r = check_push(ctx, &sc->extents)))
		return;
	memset(r, 0, sizeof(*r));
	r->ino = key->objectid;
	r->file_offset = key->offset;
	r->type = btrfs_file_extent_type(fe);
	r->compression = btrfs_file_extent_compression(fe);
	if (r->type == BTRFS_FILE_EXTENT_INLINE ||
	    eb_item_size(eb, slot) < sizeof(*fe))
		return;		/* not readable here: the file reads as bad */
	r->disk_bytenr = btrfs_file_extent_disk_bytenr(fe);
	r->offset = btrfs_file_extent_offset(fe);
	r->num_bytes = btrfs_file_extent_num_bytes(fe);
}

/* One item of the root tree: the caches' headers, inodes and extents. */
void space_cache_item(struct check_ctx *ctx, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	if (check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE))
		return;
	if (key->objectid == BTRFS_FREE_SPACE_OBJECTID && key->type == 0)
		sc_header_add(ctx, eb, slot, key);
	else if (key->objectid < BTRFS_FIRST_FREE_OBJECTID ||
		 key->objectid > BTRFS_LAST_FREE_OBJECTID)
		return;
	else if (key->type == BTRFS_INODE_ITEM_KEY)
		sc_inode_add(ctx, eb, slot, key);
	else if (key->type == BTRFS_EXTENT_DATA_KEY)
		sc_extent_add(ctx, eb, slot, key);
}

static int u64_key_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static int sc_extent_cmp(const void *a, const void *b)
{
	const struct sc_extent *x = a, *y = b;

	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	return x->file_offset < y->file_offset ? -1 :
	       x->file_offset > y->file_offset;
}

/* The first of a sorted vec whose leading u64 is >= key (its index). */
static size_t first_at(const struct rec_vec *v, u64 key)
{
	size_t lo = 0, hi = v->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (*(const u64 *)((const u8 *)v->data + mid * v->elem) < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Reads the cache file of inode ino, len bytes, into buf; why on failure. */
static int sc_file_read(struct check_ctx *ctx, const struct space_cache *sc,
			u64 ino, u8 *buf, u64 len, const char **why)
{
	const struct sc_extent *e = sc->extents.data;
	size_t i = first_at(&sc->extents, ino);

	memset(buf, 0, len);
	for (; i < sc->extents.nr && e[i].ino == ino; i++) {
		u64 start = e[i].file_offset, n = e[i].num_bytes;

		if (start >= len)
			break;
		if (e[i].type == BTRFS_FILE_EXTENT_INLINE || e[i].compression) {
			*why = "its file has an inline or compressed extent";
			return -EINVAL;
		}
		/* Holes and preallocated ranges read as zeroes. */
		if (e[i].type != BTRFS_FILE_EXTENT_REG || !e[i].disk_bytenr)
			continue;
		if (n > len - start)
			n = len - start;
		if (btrfs_read_logical(ctx->fs_info, e[i].disk_bytenr + e[i].offset,
				       buf + start, n, 0)) {
			*why = "its file cannot be read";
			return -EIO;
		}
	}
	return 0;
}

static bool sc_page_crc_ok(const u8 *buf, u32 pages, u32 index)
{
	u32 skip = index ? 0 : pages * sizeof(u32);
	u32 want, have;

	memcpy(&want, buf + index * sizeof(u32), sizeof(want));
	have = cpu_to_le32(~btrfs_crc32c(~0U, buf + (u64)index * SC_PAGE + skip,
					 SC_PAGE - skip));
	return want == have;
}

/* What one cache file says: its free ranges, in file order. */
struct sc_load {
	struct rec_vec free;		/* struct range_rec */
	u64 total;
	const char *why;		/* set: the kernel would not use it */
	char buf[96];
};

static void sc_bitmap(struct check_ctx *ctx, struct sc_load *ld, u64 start,
		      const u8 *page)
{
	u32 unit = ctx->fs_info->sb.sectorsize, bit;

	for (bit = 0; bit < SC_PAGE * 8; bit++) {
		struct range_rec *r;

		if (!(page[bit / 8] & (1U << (bit % 8))))
			continue;
		r = check_push(ctx, &ld->free);
		if (!r)
			return;
		r->start = start + (u64)bit * unit;
		r->len = unit;
		r->bitmap = 1;
		ld->total += unit;
	}
}

/* Decodes the entries and bitmaps of a file of 'pages' pages in buf. */
static void sc_decode(struct check_ctx *ctx, struct sc_load *ld,
		      const struct sc_header *h, const u8 *buf, u32 pages)
{
	u64 gen, entries = h->entries, nbitmaps = 0, *bitmaps = NULL;
	u32 page = 0, pos = pages * sizeof(u32) + sizeof(u64), i;
	const u32 esize = sizeof(struct btrfs_free_space_entry);

	memcpy(&gen, buf + pages * sizeof(u32), sizeof(gen));
	if (!sc_page_crc_ok(buf, pages, 0)) {
		ld->why = "page 0 has a wrong crc";
		return;
	}
	if (le64_to_cpu(gen) != h->generation) {
		ld->why = "the generation in its file is not the header's";
		return;
	}
	bitmaps = calloc(entries < SC_PAGE ? entries + 1 : SC_PAGE, sizeof(u64));
	if (!bitmaps) {
		check_oom(ctx);
		return;
	}
	for (; entries && !ld->why; entries--) {
		const struct btrfs_free_space_entry *e;
		struct range_rec *r;

		if (SC_PAGE - pos < esize) {
			if (++page >= pages || !sc_page_crc_ok(buf, pages, page)) {
				ld->why = "an entry page is missing or has a wrong crc";
				break;
			}
			pos = 0;
		}
		e = (const void *)(buf + (u64)page * SC_PAGE + pos);
		pos += esize;
		if (!btrfs_free_space_entry_bytes(e)) {
			ld->why = "an entry is empty";
		} else if (btrfs_free_space_entry_type(e) ==
			   BTRFS_FREE_SPACE_CACHE_EXTENT) {
			r = check_push(ctx, &ld->free);
			if (!r)
				break;
			r->start = btrfs_free_space_entry_offset(e);
			r->len = btrfs_free_space_entry_bytes(e);
			r->bitmap = 0;
			ld->total += r->len;
		} else if (nbitmaps < h->bitmaps && nbitmaps < SC_PAGE) {
			bitmaps[nbitmaps++] = btrfs_free_space_entry_offset(e);
		} else {
			ld->why = "it has more bitmaps than its header says";
		}
	}
	/* The bitmaps follow, a page each, from the page after the entries. */
	for (i = 0; i < nbitmaps && !ld->why && !ctx->fatal; i++) {
		if (++page >= pages || !sc_page_crc_ok(buf, pages, page)) {
			ld->why = "a bitmap page is missing or has a wrong crc";
			break;
		}
		sc_bitmap(ctx, ld, bitmaps[i], buf + (u64)page * SC_PAGE);
	}
	free(bitmaps);
}

static int range_start_cmp(const void *a, const void *b)
{
	const struct range_rec *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* No two entries start at one offset (the kernel drops the cache). */
static bool sc_duplicates(const struct sc_load *ld)
{
	const struct range_rec *r = ld->free.data;
	size_t i;

	for (i = 1; i < ld->free.nr; i++)
		if (r[i].start == r[i - 1].start && !r[i].bitmap &&
		    !r[i - 1].bitmap)
			return true;
	return false;
}

static u64 super_bytes(struct check_ctx *ctx, const struct bg_rec *bg)
{
	struct rec_vec sup = VEC_INIT(struct range_rec);
	u64 total = 0;
	size_t i;

	super_ranges(ctx, bg, &sup);
	for (i = 0; i < sup.nr; i++)
		total += VEC_AT(&sup, struct range_rec, i)->len;
	vec_free(&sup);
	return total;
}

/* Loads the cache of bg as the kernel would; ld->why when it would not. */
static void sc_load(struct check_ctx *ctx, const struct space_cache *sc,
		    const struct bg_rec *bg, const struct sc_header *h,
		    struct sc_load *ld)
{
	const struct sc_inode *in = NULL;
	size_t i = first_at(&sc->inodes, h->ino);
	u64 pages, want;
	u8 *buf;

	if (i < sc->inodes.nr && VEC_AT(&sc->inodes, struct sc_inode, i)->ino ==
				 h->ino)
		in = VEC_AT(&sc->inodes, struct sc_inode, i);
	/* What the kernel skips without a word, or converts: not loaded. */
	if (!in || !in->size || !in->generation || !h->entries ||
	    !(btrfs_inode_flags_low(in->flags) & BTRFS_INODE_NODATASUM)) {
		ld->why = "";
		return;
	}
	if (in->generation != h->generation) {
		ld->why = "the generation of its inode is not the header's";
		return;
	}
	pages = (in->size + SC_PAGE - 1) / SC_PAGE;
	if (pages > SC_MAX_PAGES) {
		ld->why = "its file is too large for its crcs";
		return;
	}
	buf = malloc(pages * SC_PAGE);
	if (!buf) {
		check_oom(ctx);
		return;
	}
	if (!sc_file_read(ctx, sc, h->ino, buf, pages * SC_PAGE, &ld->why))
		sc_decode(ctx, ld, h, buf, (u32)pages);
	free(buf);
	if (ld->why || ctx->fatal)
		return;
	vec_sort(&ld->free, range_start_cmp);
	if (sc_duplicates(ld)) {
		ld->why = "two entries start at one offset";
		return;
	}
	want = bg->len - bg->used - super_bytes(ctx, bg);
	if (bg->used + super_bytes(ctx, bg) > bg->len || ld->total != want) {
		snprintf(ld->buf, sizeof(ld->buf),
			 "its free bytes add up to %llu, the block group has %llu free",
			 (unsigned long long)ld->total, (unsigned long long)want);
		ld->why = ld->buf;
	}
}

static const struct sc_header *sc_header_of(const struct space_cache *sc,
					    u64 bg_start)
{
	size_t i = first_at(&sc->headers, bg_start);

	if (i < sc->headers.nr &&
	    VEC_AT(&sc->headers, struct sc_header, i)->bg_start == bg_start)
		return VEC_AT(&sc->headers, struct sc_header, i);
	return NULL;
}

static void sc_check_bg(struct check_ctx *ctx, const struct space_cache *sc,
			const struct bg_rec *bg)
{
	const struct sc_header *h = sc_header_of(sc, bg->start);
	struct sc_load ld = { .free = VEC_INIT(struct range_rec) };
	struct rec_vec merged = VEC_INIT(struct range_rec);
	size_t i;

	if (!h)
		return;
	sc_load(ctx, sc, bg, h, &ld);
	if (ld.why && ld.why[0])
		check_report(ctx, PR_SPACE_CACHE_UNUSABLE, &(struct problem_ctx){
			.bytenr = bg->start, .str = ld.why });
	if (!ld.why && !ctx->fatal) {
		for (i = 0; i < ld.free.nr; i++)
			range_append(ctx, &merged,
				     VEC_AT(&ld.free, struct range_rec, i)->start,
				     VEC_AT(&ld.free, struct range_rec, i)->len);
		bg_free_compare(ctx, bg, merged.nr ? merged.data : NULL,
				merged.nr, PR_SPACE_CACHE_FREE_USED,
				PR_SPACE_CACHE_LEAKED);
	}
	vec_free(&merged);
	vec_free(&ld.free);
}

/* Needs the block groups sorted (chunks_check) and the extents ready. */
void space_cache_check(struct check_ctx *ctx)
{
	const struct btrfs_sb_info *sb = &ctx->fs_info->sb;
	struct space_cache *sc = ctx->space_cache;
	size_t i;

	/* A cache generation that is not the filesystem's clears them all. */
	if (!sc || sb->cache_generation != sb->generation ||
	    sb->cache_generation == (u64)-1)
		return;
	vec_sort(&sc->headers, u64_key_cmp);
	vec_sort(&sc->inodes, u64_key_cmp);
	vec_sort(&sc->extents, sc_extent_cmp);
	for (i = 0; i < ctx->bgs.nr && !ctx->fatal; i++)
		sc_check_bg(ctx, sc, VEC_AT(&ctx->bgs, struct bg_rec, i));
}
