// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests of the write side's building blocks that need no filesystem:
 * the hash map, range sets, leaf primitives (checked with the verifier),
 * the leaf split choice, free space tree thresholds and the write log's
 * file format.  Whole transactions are tested by tests/cli/txn-*.sh.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/csum.h"
#include "tests/unit/tap.h"

#define NODESIZE 4096

static void test_map(void)
{
	struct u64_map map = { 0 };
	u64 i;
	int bad = 0;

	for (i = 1; i <= 5000; i++)
		bad |= u64_map_put(&map, i * 4096, (void *)(uintptr_t)i);
	tap_ok(!bad && map.count == 5000, "map: 5000 keys put");
	for (i = 2; i <= 5000; i += 2)
		bad |= u64_map_del(&map, i * 4096) != (void *)(uintptr_t)i;
	tap_ok(!bad && map.count == 2500, "map: every second key deleted");
	for (i = 1; i <= 5000; i++) {
		void *v = u64_map_get(&map, i * 4096);

		bad |= (i % 2) ? v != (void *)(uintptr_t)i : v != NULL;
	}
	tap_ok(!bad, "map: the rest still found after deletions");
	tap_ok(u64_map_del(&map, 12345) == NULL, "map: deleting a missing key");
	u64_map_free(&map);
}

static bool set_is(const struct range_set *s, const u64 *pairs, u32 n)
{
	u32 i;

	if (s->nr != n)
		return false;
	for (i = 0; i < n; i++)
		if (s->r[i].start != pairs[2 * i] || s->r[i].end != pairs[2 * i + 1])
			return false;
	return true;
}

static void test_ranges(void)
{
	struct range_set s = { 0 };
	static const u64 merged[] = { 0, 300 };
	static const u64 split[] = { 0, 100, 200, 300 };
	static const u64 trimmed[] = { 50, 100, 200, 250 };

	range_set_add(&s, 100, 100);
	range_set_add(&s, 0, 100);
	range_set_add(&s, 200, 100);
	tap_ok(set_is(&s, merged, 1), "ranges: neighbours merge");
	tap_ok(range_set_add(&s, 250, 100) == -EEXIST, "ranges: overlap refused");
	tap_ok(range_set_remove(&s, 100, 100) == 0 && set_is(&s, split, 2),
	       "ranges: removing from the middle splits");
	tap_ok(range_set_remove(&s, 50, 100) == -ENOENT,
	       "ranges: removing what is not there refused");
	range_set_remove(&s, 0, 50);
	range_set_remove(&s, 250, 50);
	tap_ok(set_is(&s, trimmed, 2) && range_set_bytes(&s) == 100,
	       "ranges: trimming both ends");
	tap_ok(range_set_contains(&s, 60, 40) && !range_set_contains(&s, 60, 41),
	       "ranges: containment");
	range_set_free(&s);
}

/* An in-memory filesystem just complete enough for the verifier. */
static struct btrfs_fs_info *fake_fs(void)
{
	struct btrfs_fs_info *fs = calloc(1, sizeof(*fs));

	fs->sb.nodesize = NODESIZE;
	fs->sb.sectorsize = 4096;
	fs->sb.csum_type = BTRFS_CSUM_TYPE_CRC32;
	fs->sb.csum_size = 4;
	fs->sb.generation = 10;
	memset(fs->sb.fsid, 0xab, BTRFS_FSID_SIZE);
	memset(fs->sb.metadata_uuid, 0xab, BTRFS_FSID_SIZE);
	return fs;
}

static struct extent_buffer *fake_leaf(struct btrfs_fs_info *fs)
{
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + NODESIZE);
	struct btrfs_header *h = eb_header(eb);

	eb->start = 1 << 20;
	eb->len = NODESIZE;
	eb->refs = 1;
	memcpy(h->fsid, fs->sb.metadata_uuid, BTRFS_FSID_SIZE);
	btrfs_set_header_bytenr(h, eb->start);
	btrfs_set_header_flags(h, BTRFS_HEADER_FLAG_WRITTEN);
	btrfs_set_header_generation(h, 10);
	btrfs_set_header_owner(h, BTRFS_CSUM_TREE_OBJECTID);
	return eb;
}

/* Layout only: checksum, header, key order, item offsets and sizes. */
static bool leaf_valid(struct btrfs_fs_info *fs, struct extent_buffer *eb)
{
	struct tree_block_expect expect = { .level = 0,
					    .flags = TREE_BLOCK_SKIP_ITEMS };
	char why[256];

	btrfs_csum_data(fs->sb.csum_type, eb->data + BTRFS_CSUM_SIZE,
			eb->len - BTRFS_CSUM_SIZE, eb_header(eb)->csum);
	if (tree_block_verify(fs, eb, &expect, why, sizeof(why))) {
		printf("# %s\n", why);
		return false;
	}
	return true;
}

static void leaf_put(struct extent_buffer *eb, int slot, u64 id, u32 size)
{
	struct btrfs_key key = { id, BTRFS_EXTENT_CSUM_KEY, id };

	leaf_insert_item(eb, slot, &key, size);
	memset(eb_item_ptr(eb, slot), (int)(id & 0xff), size);
}

static bool item_is(const struct extent_buffer *eb, int slot, u64 id, u32 size)
{
	const u8 *p = eb_item_ptr(eb, slot);
	struct btrfs_key key;
	u32 i;

	eb_item_key(eb, &key, slot);
	if (key.objectid != id || eb_item_size(eb, slot) != size)
		return false;
	for (i = 0; i < size; i++)
		if (p[i] != (u8)(id & 0xff))
			return false;
	return true;
}

static void test_leaf(void)
{
	struct btrfs_fs_info *fs = fake_fs();
	struct extent_buffer *eb = fake_leaf(fs);
	u32 before;

	leaf_put(eb, 0, 20, 100);
	leaf_put(eb, 0, 10, 50);
	leaf_put(eb, 2, 40, 10);
	leaf_put(eb, 2, 30, 0);
	tap_ok(eb_nritems(eb) == 4 && leaf_valid(fs, eb) &&
	       item_is(eb, 0, 10, 50) && item_is(eb, 1, 20, 100) &&
	       item_is(eb, 2, 30, 0) && item_is(eb, 3, 40, 10),
	       "leaf: inserts at front, middle and end keep order and data");
	before = btrfs_leaf_free_space(eb);
	leaf_resize_item(eb, 1, 300, true);
	memset((u8 *)eb_item_ptr(eb, 1) + 100, 20, 200);
	tap_ok(leaf_valid(fs, eb) && item_is(eb, 1, 20, 300) &&
	       item_is(eb, 3, 40, 10) && btrfs_leaf_free_space(eb) == before - 200,
	       "leaf: extending an item moves the ones after it");
	leaf_resize_item(eb, 1, 120, true);
	tap_ok(leaf_valid(fs, eb) && item_is(eb, 1, 20, 120) &&
	       item_is(eb, 0, 10, 50), "leaf: truncating from the end");
	leaf_resize_item(eb, 1, 20, false);
	tap_ok(leaf_valid(fs, eb) && item_is(eb, 1, 20, 20) &&
	       item_is(eb, 2, 30, 0), "leaf: truncating from the start");
	leaf_delete_items(eb, 1, 2);
	tap_ok(eb_nritems(eb) == 2 && leaf_valid(fs, eb) &&
	       item_is(eb, 0, 10, 50) && item_is(eb, 1, 40, 10),
	       "leaf: deleting items in the middle");
	leaf_delete_items(eb, 0, 2);
	tap_ok(eb_nritems(eb) == 0 &&
	       btrfs_leaf_free_space(eb) == btrfs_leaf_data_size(NODESIZE),
	       "leaf: deleting everything frees all space");
	free(eb);
	free(fs);
}

static void test_split_point(void)
{
	u32 cap = btrfs_leaf_data_size(NODESIZE);
	u32 even[8] = { 500, 500, 500, 500, 500, 500, 500, 500 };
	u32 big[3] = { 1900, 1900, 100 };
	int m;

	m = leaf_split_point(even, 8, 8, 500, true, cap);
	tap_ok(m == 4 || m == 5, "split: appending to a full leaf splits in the middle (%d)", m);
	m = leaf_split_point(even, 8, 3, 100, false, cap);
	tap_ok(m == 4, "split: growing an item balances the halves (%d)", m);
	m = leaf_split_point(big, 3, 1, 3900, true, cap);
	tap_ok(m < 0, "split: a huge item between big ones needs two splits");
	/* 1900 | 1900 100 1000 is the most even split that fits. */
	m = leaf_split_point(big, 3, 3, 1000, true, cap);
	tap_ok(m == 1, "split: the most even split that fits (%d)", m);
}

static void test_thresholds(void)
{
	struct btrfs_bg small = { .length = 32ULL << 20 };
	struct btrfs_bg large = { .length = 1ULL << 30 };

	fst_set_thresholds(&small, 4096);
	fst_set_thresholds(&large, 4096);
	tap_ok(small.bitmap_high == 44 && small.bitmap_low == 0,
	       "free space tree: 32 MiB group converts above 44 extents");
	tap_ok(large.bitmap_high == 1438 && large.bitmap_low == 1338,
	       "free space tree: 1 GiB group: 1438 up, 1338 down");
}

static void test_log_file(void)
{
	char path[] = "/tmp/test-txn-log.XXXXXX";
	struct io_log log = { 0 }, back;
	u8 data[3] = { 1, 2, 3 };
	int fd = mkstemp(path), ret;

	close(fd);
	log.e = calloc(2, sizeof(*log.e));
	log.nr = log.alloc = 2;
	log.e[0] = (struct io_log_entry){ IO_LOG_WRITE, 2, 65536, 3, malloc(3) };
	memcpy(log.e[0].data, data, 3);
	log.e[1] = (struct io_log_entry){ IO_LOG_FLUSH, 2, 0, 0, NULL };
	ret = io_log_save(&log, path);
	if (!ret)
		ret = io_log_load(path, &back);
	tap_ok(!ret && back.nr == 2 && back.e[0].type == IO_LOG_WRITE &&
	       back.e[0].devid == 2 && back.e[0].offset == 65536 &&
	       back.e[0].len == 3 && !memcmp(back.e[0].data, data, 3) &&
	       back.e[1].type == IO_LOG_FLUSH, "write log: saved and loaded");
	if (!ret)
		io_log_free(&back);
	io_log_free(&log);
	unlink(path);
}

/* The delayed ref queue merges changes of one reference and drops heads
 * that cancel out; a new block is forgotten only while nothing else
 * refers to it. */
static void test_ref_queue(void)
{
	struct btrfs_fs_info *fs_info = calloc(1, sizeof(*fs_info));
	struct btrfs_trans_handle trans = { .fs_info = fs_info };
	struct btrfs_ref_mod m = { .type = BTRFS_EXTENT_DATA_REF_KEY,
				   .root = 5, .ino = 257, .offset = 0, .delta = 1 };
	struct btrfs_delayed_ref *head;
	struct btrfs_key first = { 256, BTRFS_INODE_ITEM_KEY, 0 };
	int ret;

	ret = btrfs_queue_data_ref(&trans, 1 << 20, 8192, &m);
	ret = ret ?: btrfs_queue_data_ref(&trans, 1 << 20, 8192, &m);
	m.type = BTRFS_SHARED_DATA_REF_KEY;
	m.parent = 65536;
	ret = ret ?: btrfs_queue_data_ref(&trans, 1 << 20, 8192, &m);
	head = u64_map_get(&trans.refs, 1 << 20);
	tap_ok(!ret && head && head->nr_mods == 2 && head->data &&
	       head->num_bytes == 8192 && head->mods[0].delta == 2,
	       "ref queue: changes of one data reference merge");
	m.delta = -1;
	ret = btrfs_queue_data_ref(&trans, 1 << 20, 8192, &m);
	m.type = BTRFS_EXTENT_DATA_REF_KEY;
	m.delta = -2;
	ret = ret ?: btrfs_queue_data_ref(&trans, 1 << 20, 8192, &m);
	tap_ok(!ret && !u64_map_get(&trans.refs, 1 << 20),
	       "ref queue: a head whose changes cancel goes away");
	ret = btrfs_queue_data_ref(&trans, 2 << 20, 4096, &m);
	ret = ret ?: btrfs_queue_tree_ref(&trans, 2 << 20, 0,
					  BTRFS_TREE_BLOCK_REF_KEY, 5, 1);
	tap_ok(ret == -EUCLEAN, "ref queue: one extent as data and tree block is refused");
	ret = btrfs_queue_new_block(&trans, 3 << 20, 5, 0, &first);
	tap_ok(!ret && btrfs_unqueue_new_block(&trans, 3 << 20, 5) &&
	       !u64_map_get(&trans.refs, 3 << 20),
	       "ref queue: a new block freed at once is forgotten");
	ret = btrfs_queue_new_block(&trans, 4 << 20, 5, 1, &first);
	ret = ret ?: btrfs_queue_tree_ref(&trans, 4 << 20, 1,
					  BTRFS_SHARED_BLOCK_REF_KEY, 65536, 1);
	tap_ok(!ret && !btrfs_unqueue_new_block(&trans, 4 << 20, 5) &&
	       u64_map_get(&trans.refs, 4 << 20),
	       "ref queue: a new block with another reference is kept");
	ret = btrfs_queue_block_flags(&trans, 5 << 20, 1,
				      BTRFS_BLOCK_FLAG_FULL_BACKREF);
	head = u64_map_get(&trans.refs, 5 << 20);
	tap_ok(!ret && head && head->set_flags == BTRFS_BLOCK_FLAG_FULL_BACKREF &&
	       head->level == 1, "ref queue: flags to set are kept");
	btrfs_trans_release_refs(&trans);
	free(fs_info);
}

int main(void)
{
	test_map();
	test_ranges();
	test_leaf();
	test_split_point();
	test_thresholds();
	test_log_file();
	test_ref_queue();
	return tap_done();
}
