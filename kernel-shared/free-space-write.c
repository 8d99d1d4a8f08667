// SPDX-License-Identifier: GPL-2.0-only
/*
 * Free space tree updates, in both of the tree's forms.
 *
 * Each block group has a FREE_SPACE_INFO item (bg start, bg length) with
 * the number of free extents and a flag saying which form the rest uses:
 * FREE_SPACE_EXTENT items (start, length) or FREE_SPACE_BITMAP items
 * (start, length) with one bit per sector, set when the sector is free,
 * each covering BTRFS_FREE_SPACE_BITMAP_BITS sectors (the last one less).
 * As in the kernel, a group switches to bitmaps when its extent count
 * exceeds what the bitmaps would take, and back when the count falls 100
 * below that, and the extent count stays exact in both forms.
 *
 * Every change checks the state it changes: a range that becomes used must
 * be free in the tree and the other way round, else the transaction fails
 * with -EUCLEAN instead of writing a wrong tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/transaction.h"

void fst_set_thresholds(struct btrfs_bg *bg, u32 sectorsize)
{
	u64 range = (u64)sectorsize * BTRFS_FREE_SPACE_BITMAP_BITS;
	u64 nbitmaps = (bg->length + range - 1) / range;
	u64 total = nbitmaps * (sizeof(struct btrfs_item) +
				BTRFS_FREE_SPACE_BITMAP_BITS / 8);
	u64 high = total / sizeof(struct btrfs_item);

	bg->bitmap_high = (u32)high;
	bg->bitmap_low = high > 100 ? (u32)(high - 100) : 0;
}

static u64 bitmap_range(const struct btrfs_trans_handle *trans)
{
	return (u64)trans->fs_info->sb.sectorsize * BTRFS_FREE_SPACE_BITMAP_BITS;
}

/* The key of the bitmap item covering addr. */
static void bitmap_key(const struct btrfs_trans_handle *trans,
		       const struct btrfs_bg *bg, u64 addr, struct btrfs_key *key)
{
	u64 range = bitmap_range(trans);
	u64 start = bg->start + (addr - bg->start) / range * range;
	u64 end = bg->start + bg->length;

	key->objectid = start;
	key->type = BTRFS_FREE_SPACE_BITMAP_KEY;
	key->offset = end - start < range ? end - start : range;
}

static u32 bitmap_bytes(u64 len, u32 sectorsize)
{
	return (u32)((len / sectorsize + 7) / 8);
}

static int fst_corrupt(struct btrfs_trans_handle *trans,
		       const struct btrfs_bg *bg, const char *what)
{
	btrfs_err_set(trans->fs_info,
		      "free space tree of block group %llu: %s",
		      (unsigned long long)bg->start, what);
	return -EUCLEAN;
}

static int info_read(struct btrfs_trans_handle *trans,
		     struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		     u32 *count, u32 *flags)
{
	struct btrfs_key key = { bg->start, BTRFS_FREE_SPACE_INFO_KEY,
				 bg->length };
	struct btrfs_free_space_info info;
	u32 size = sizeof(info);
	int ret;

	ret = btrfs_lookup_item_rw(trans, fst, &key, &info, &size);
	if (ret == -ENOENT || (!ret && size != sizeof(info)))
		return fst_corrupt(trans, bg, "no valid info item");
	if (ret)
		return ret;
	*count = btrfs_free_space_extent_count(&info);
	*flags = btrfs_free_space_flags(&info);
	return 0;
}

static int info_write(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		      u32 count, u32 flags)
{
	struct btrfs_key key = { bg->start, BTRFS_FREE_SPACE_INFO_KEY,
				 bg->length };
	struct btrfs_free_space_info info;

	btrfs_set_free_space_extent_count(&info, count);
	btrfs_set_free_space_flags(&info, flags);
	return btrfs_update_item(trans, fst, &key, &info, sizeof(info));
}

/* ---- bitmap form ---- */

static int bit_test(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		    u64 addr, bool *bit)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	u8 buf[BTRFS_FREE_SPACE_BITMAP_BITS / 8];
	struct btrfs_key key;
	u32 size = sizeof(buf);
	u64 nr;
	int ret;

	bitmap_key(trans, bg, addr, &key);
	ret = btrfs_lookup_item_rw(trans, fst, &key, buf, &size);
	if (ret == -ENOENT ||
	    (!ret && size != bitmap_bytes(key.offset, ss)))
		return fst_corrupt(trans, bg, "missing or invalid bitmap item");
	if (ret)
		return ret;
	nr = (addr - key.objectid) / ss;
	*bit = buf[nr / 8] & (1U << (nr % 8));
	return 0;
}

/* Sets (free) or clears (used) the bits of [start, end) in one item. */
static int bits_flip_one(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
			 u64 *cur, u64 end, bool set)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	struct btrfs_path path;
	struct btrfs_key key;
	u64 stop, nr;
	u8 *p;
	int ret;

	bitmap_key(trans, bg, *cur, &key);
	stop = key.objectid + key.offset < end ? key.objectid + key.offset : end;
	btrfs_path_init(&path);
	ret = btrfs_search_slot_rw(trans, fst, &key, &path, 0, true);
	if (ret == 0 && eb_item_size(path.nodes[0], path.slots[0]) !=
			bitmap_bytes(key.offset, ss))
		ret = 1;
	if (ret) {
		btrfs_path_release(&path);
		return ret < 0 ? ret :
		       fst_corrupt(trans, bg, "missing or invalid bitmap item");
	}
	p = eb_item_ptr(path.nodes[0], path.slots[0]);
	for (nr = (*cur - key.objectid) / ss; nr < (stop - key.objectid) / ss;
	     nr++) {
		u8 mask = (u8)(1U << (nr % 8));

		if (!!(p[nr / 8] & mask) == set) {
			btrfs_path_release(&path);
			return fst_corrupt(trans, bg, set ?
				"freeing a range that is free" :
				"allocating a range that is not free");
		}
		p[nr / 8] ^= mask;
	}
	btrfs_path_release(&path);
	*cur = stop;
	return 0;
}

static int bitmap_modify(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
			 u64 start, u64 len, bool set, int *delta)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	u64 end = start + len, cur = start;
	bool prev = false, next = false;
	int ret = 0;

	if (start > bg->start)
		ret = bit_test(trans, fst, bg, start - ss, &prev);
	if (!ret && end < bg->start + bg->length)
		ret = bit_test(trans, fst, bg, end, &next);
	while (!ret && cur < end)
		ret = bits_flip_one(trans, fst, bg, &cur, end, set);
	if (ret)
		return ret;
	/* Free neighbours on both sides: one extent splits or two join. */
	if (prev && next)
		*delta = set ? -1 : 1;
	else if (!prev && !next)
		*delta = set ? 1 : -1;
	else
		*delta = 0;
	return 0;
}

/* ---- extent form ---- */

static int extent_insert(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *fst, u64 start, u64 len)
{
	struct btrfs_key key = { start, BTRFS_FREE_SPACE_EXTENT_KEY, len };

	return btrfs_insert_item(trans, fst, &key, NULL, 0);
}

static int extent_delete(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *fst, u64 start, u64 len)
{
	struct btrfs_key key = { start, BTRFS_FREE_SPACE_EXTENT_KEY, len };

	return btrfs_delete_item(trans, fst, &key);
}

/* The free extent item holding [start, end); 1 if there is none. */
static int extent_covering(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *fst,
			   const struct btrfs_bg *bg, u64 start, u64 end,
			   struct btrfs_key *found)
{
	struct btrfs_key key = { start, BTRFS_FREE_SPACE_EXTENT_KEY, (u64)-1 };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_le_rw(trans, fst, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], found, path.slots[0]);
		if (found->type != BTRFS_FREE_SPACE_EXTENT_KEY ||
		    found->objectid < bg->start ||
		    found->objectid + found->offset < end)
			ret = 1;
	}
	btrfs_path_release(&path);
	return ret;
}

static int extent_remove(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
			 u64 start, u64 len, int *delta)
{
	u64 end = start + len, ext_end;
	struct btrfs_key ext;
	int ret;

	ret = extent_covering(trans, fst, bg, start, end, &ext);
	if (ret)
		return ret < 0 ? ret : fst_corrupt(trans, bg,
				"allocating a range that is not free");
	ret = extent_delete(trans, fst, ext.objectid, ext.offset);
	if (ret)
		return ret;
	*delta = -1;
	ext_end = ext.objectid + ext.offset;
	if (ext.objectid < start) {
		ret = extent_insert(trans, fst, ext.objectid,
				    start - ext.objectid);
		(*delta)++;
	}
	if (!ret && ext_end > end) {
		ret = extent_insert(trans, fst, end, ext_end - end);
		(*delta)++;
	}
	return ret;
}

/*
 * The free extents touching [start, end) on the left (*left_len bytes
 * ending at start) and right (*right_len bytes from end); 1 on overlap.
 */
static int extent_neighbours(struct btrfs_trans_handle *trans,
			     struct btrfs_trans_root *fst,
			     const struct btrfs_bg *bg, u64 start, u64 end,
			     u64 *left_len, u64 *right_len)
{
	struct btrfs_key key = { start, BTRFS_FREE_SPACE_EXTENT_KEY, 0 };
	u64 bg_end = bg->start + bg->length;
	struct btrfs_path path;
	struct btrfs_key k;
	int ret;

	*left_len = *right_len = 0;
	btrfs_path_init(&path);
	ret = btrfs_search_le_rw(trans, fst, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.type == BTRFS_FREE_SPACE_EXTENT_KEY &&
		    k.objectid >= bg->start) {
			if (k.objectid + k.offset > start)
				ret = 2;
			else if (k.objectid + k.offset == start)
				*left_len = k.offset;
		}
	}
	if (ret >= 0 && ret != 2)
		ret = btrfs_search_ge_rw(trans, fst, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.type == BTRFS_FREE_SPACE_EXTENT_KEY && k.objectid < bg_end) {
			if (k.objectid < end)
				ret = 2;
			else if (k.objectid == end)
				*right_len = k.offset;
		}
	}
	btrfs_path_release(&path);
	if (ret < 0)
		return ret;
	return ret == 2;
}

static int extent_add(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		      u64 start, u64 len, int *delta)
{
	u64 end = start + len, left, right;
	int ret;

	ret = extent_neighbours(trans, fst, bg, start, end, &left, &right);
	if (ret)
		return ret < 0 ? ret : fst_corrupt(trans, bg,
				"freeing a range that is free");
	*delta = 1;
	if (left) {
		ret = extent_delete(trans, fst, start - left, left);
		(*delta)--;
	}
	if (!ret && right) {
		ret = extent_delete(trans, fst, end, right);
		(*delta)--;
	}
	if (!ret)
		ret = extent_insert(trans, fst, start - left, left + len + right);
	return ret;
}

/* ---- conversion between the forms ---- */

/* One bit per sector of the group, set where free. */
struct fst_bits {
	u8 *bits;
	u64 nbits;
};

static void bits_set_range(struct fst_bits *b, u64 first, u64 nr)
{
	u64 i;

	for (i = first; i < first + nr && i < b->nbits; i++)
		b->bits[i / 8] |= (u8)(1U << (i % 8));
}

static bool bits_get(const struct fst_bits *b, u64 i)
{
	return b->bits[i / 8] & (1U << (i % 8));
}

/* Deletes every extent item of the group, recording them in b. */
static int extents_take(struct btrfs_trans_handle *trans,
			struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
			struct fst_bits *b, u32 *found)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	struct btrfs_key key = { bg->start, BTRFS_FREE_SPACE_EXTENT_KEY, 0 };
	struct btrfs_path path;
	struct btrfs_key k;
	int ret;

	*found = 0;
	btrfs_path_init(&path);
	for (;;) {
		ret = btrfs_search_ge_rw(trans, fst, &key, &path);
		if (ret)
			break;
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		btrfs_path_release(&path);
		if (k.type != BTRFS_FREE_SPACE_EXTENT_KEY ||
		    k.objectid >= bg->start + bg->length)
			break;
		bits_set_range(b, (k.objectid - bg->start) / ss, k.offset / ss);
		(*found)++;
		ret = btrfs_delete_item(trans, fst, &k);
		if (ret)
			return ret;
	}
	btrfs_path_release(&path);
	return ret < 0 ? ret : 0;
}

static int bitmaps_put(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		       const struct fst_bits *b)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	u64 cur = bg->start, end = bg->start + bg->length;
	int ret = 0;

	while (cur < end && !ret) {
		struct btrfs_key key;
		u64 first = (cur - bg->start) / ss, i;
		u32 size;
		u8 *buf;

		bitmap_key(trans, bg, cur, &key);
		size = bitmap_bytes(key.offset, ss);
		buf = calloc(1, size);
		if (!buf)
			return -ENOMEM;
		for (i = 0; i < key.offset / ss; i++)
			if (bits_get(b, first + i))
				buf[i / 8] |= (u8)(1U << (i % 8));
		ret = btrfs_insert_item(trans, fst, &key, buf, size);
		free(buf);
		cur += key.offset;
	}
	return ret;
}

static int bitmaps_take(struct btrfs_trans_handle *trans,
			struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
			struct fst_bits *b)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	u64 cur = bg->start, end = bg->start + bg->length;
	u8 buf[BTRFS_FREE_SPACE_BITMAP_BITS / 8];
	int ret = 0;

	while (cur < end && !ret) {
		struct btrfs_key key;
		u64 first = (cur - bg->start) / ss, i;
		u32 size = sizeof(buf);

		bitmap_key(trans, bg, cur, &key);
		ret = btrfs_lookup_item_rw(trans, fst, &key, buf, &size);
		if (!ret && size != bitmap_bytes(key.offset, ss))
			return fst_corrupt(trans, bg, "invalid bitmap item");
		if (ret)
			return ret == -ENOENT ?
			       fst_corrupt(trans, bg, "missing bitmap item") : ret;
		for (i = 0; i < key.offset / ss; i++)
			if (buf[i / 8] & (1U << (i % 8)))
				bits_set_range(b, first + i, 1);
		ret = btrfs_delete_item(trans, fst, &key);
		cur += key.offset;
	}
	return ret;
}

static int extents_put(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		       const struct fst_bits *b, u32 *count)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	u64 i = 0, run;
	int ret = 0;

	*count = 0;
	while (i < b->nbits && !ret) {
		if (!bits_get(b, i)) {
			i++;
			continue;
		}
		for (run = i; run < b->nbits && bits_get(b, run); run++)
			;
		ret = extent_insert(trans, fst, bg->start + i * ss,
				    (run - i) * ss);
		(*count)++;
		i = run;
	}
	return ret;
}

static int fst_convert(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *fst, const struct btrfs_bg *bg,
		       u32 count, u32 flags)
{
	u32 ss = trans->fs_info->sb.sectorsize;
	struct fst_bits b = { .nbits = bg->length / ss };
	u32 found = count;
	int ret;

	b.bits = calloc(1, (size_t)(b.nbits + 7) / 8);
	if (!b.bits)
		return -ENOMEM;
	if (flags & BTRFS_FREE_SPACE_USING_BITMAPS) {
		ret = bitmaps_take(trans, fst, bg, &b);
		if (!ret)
			ret = extents_put(trans, fst, bg, &b, &found);
		flags &= ~BTRFS_FREE_SPACE_USING_BITMAPS;
	} else {
		ret = extents_take(trans, fst, bg, &b, &found);
		if (!ret)
			ret = bitmaps_put(trans, fst, bg, &b);
		flags |= BTRFS_FREE_SPACE_USING_BITMAPS;
	}
	free(b.bits);
	if (!ret && found != count)
		ret = fst_corrupt(trans, bg, "extent count does not match");
	if (!ret)
		ret = info_write(trans, fst, bg, count, flags);
	return ret;
}

static int fst_modify(struct btrfs_trans_handle *trans, struct btrfs_bg *bg,
		      u64 start, u64 len, bool make_free)
{
	struct btrfs_trans_root *fst;
	u32 count, flags;
	int delta = 0, ret;

	ret = btrfs_trans_get_root(trans, BTRFS_FREE_SPACE_TREE_OBJECTID, &fst);
	if (!ret)
		ret = info_read(trans, fst, bg, &count, &flags);
	if (ret)
		return ret;
	if (flags & BTRFS_FREE_SPACE_USING_BITMAPS)
		ret = bitmap_modify(trans, fst, bg, start, len, make_free,
				    &delta);
	else if (make_free)
		ret = extent_add(trans, fst, bg, start, len, &delta);
	else
		ret = extent_remove(trans, fst, bg, start, len, &delta);
	if (ret)
		return ret;
	if ((s64)count + delta < 0)
		return fst_corrupt(trans, bg, "extent count underflow");
	count = (u32)((s64)count + delta);
	ret = info_write(trans, fst, bg, count, flags);
	if (ret)
		return ret;
	if ((!(flags & BTRFS_FREE_SPACE_USING_BITMAPS) &&
	     count > bg->bitmap_high) ||
	    ((flags & BTRFS_FREE_SPACE_USING_BITMAPS) && count < bg->bitmap_low))
		ret = fst_convert(trans, fst, bg, count, flags);
	return ret;
}

int fst_remove_range(struct btrfs_trans_handle *trans, struct btrfs_bg *bg,
		     u64 start, u64 len)
{
	return fst_modify(trans, bg, start, len, false);
}

int fst_add_range(struct btrfs_trans_handle *trans, struct btrfs_bg *bg,
		  u64 start, u64 len)
{
	return fst_modify(trans, bg, start, len, true);
}

/* ---- loading the committed state ---- */

static int load_bitmap_item(struct btrfs_bg *bg, const struct extent_buffer *leaf,
			    int slot, const struct btrfs_key *key, u32 ss)
{
	const u8 *p = eb_item_ptr(leaf, slot);
	u64 nbits = key->offset / ss, i = 0, run;
	int ret = 0;

	if (eb_item_size(leaf, slot) != bitmap_bytes(key->offset, ss))
		return -EUCLEAN;
	while (i < nbits && !ret) {
		if (!(p[i / 8] & (1U << (i % 8)))) {
			i++;
			continue;
		}
		for (run = i; run < nbits && (p[run / 8] & (1U << (run % 8)));
		     run++)
			;
		ret = range_set_add(&bg->free, key->objectid + i * ss,
				    (run - i) * ss);
		i = run;
	}
	return ret;
}

static int load_items(struct btrfs_fs_info *fs_info, struct btrfs_path *path,
		      struct btrfs_bg *bg)
{
	u32 ss = fs_info->sb.sectorsize;
	u64 end = bg->start + bg->length;
	struct btrfs_key k;
	int ret;

	while ((ret = btrfs_next_item(fs_info, path)) == 0) {
		eb_item_key(path->nodes[0], &k, path->slots[0]);
		if (k.objectid >= end ||
		    (k.type != BTRFS_FREE_SPACE_EXTENT_KEY &&
		     k.type != BTRFS_FREE_SPACE_BITMAP_KEY))
			break;
		if (k.objectid < bg->start || k.objectid + k.offset > end)
			return -EUCLEAN;
		if (k.type == BTRFS_FREE_SPACE_EXTENT_KEY)
			ret = range_set_add(&bg->free, k.objectid, k.offset);
		else
			ret = load_bitmap_item(bg, path->nodes[0],
					       path->slots[0], &k, ss);
		if (ret)
			return ret == -EEXIST ? -EUCLEAN : ret;
	}
	return ret < 0 ? ret : 0;
}

int fst_load_committed(struct btrfs_fs_rw *rw, struct btrfs_bg *bg)
{
	struct btrfs_fs_info *fs_info = rw->fs_info;
	struct btrfs_key key = { bg->start, BTRFS_FREE_SPACE_INFO_KEY,
				 bg->length };
	const struct btrfs_free_space_info *info;
	struct btrfs_root root;
	struct btrfs_path path;
	u32 count = 0;
	int ret;

	range_set_free(&bg->free);
	fst_set_thresholds(bg, fs_info->sb.sectorsize);
	ret = btrfs_read_root(fs_info, BTRFS_FREE_SPACE_TREE_OBJECTID, &root,
			      NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &root, &key, &path);
	if (ret == 0 && eb_item_size(path.nodes[0], path.slots[0]) !=
			sizeof(*info))
		ret = -EUCLEAN;
	if (ret == 0) {
		info = eb_item_ptr(path.nodes[0], path.slots[0]);
		count = btrfs_free_space_extent_count(info);
		ret = load_items(fs_info, &path, bg);
	}
	btrfs_path_release(&path);
	if (ret == 0 && bg->free.nr != count)
		ret = -EUCLEAN;
	if (ret)
		btrfs_err_set(fs_info,
			"free space tree of block group %llu is missing or inconsistent",
			(unsigned long long)bg->start);
	return ret > 0 ? -EUCLEAN : ret;
}
