// SPDX-License-Identifier: GPL-2.0-only
/*
 * Items -> tree blocks.  A tree is packed bottom-up: sorted items fill
 * leaves greedily, then each level of nodes points at the level below,
 * until one block is left, the root.  Block i of a tree is a leaf for
 * i < nr_leaves, then come the nodes level by level; the root is last.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/csum.h"
#include "mkfs/mkfs.h"

static u32 leaf_capacity(u32 nodesize)
{
	return btrfs_leaf_data_size(nodesize);
}

/* Splits the items into leaves; fills t->leaf_start and t->nr_leaves. */
static int shape_leaves(struct mkfs_tree *t, u32 nodesize)
{
	u32 cap = leaf_capacity(nodesize), used = 0, i, n = 0;
	u32 *starts;

	starts = realloc(t->leaf_start, (t->nr_items + 2) * sizeof(*starts));
	if (!starts)
		return -ENOMEM;
	t->leaf_start = starts;
	starts[0] = 0;
	for (i = 0; i < t->nr_items; i++) {
		u32 cost = sizeof(struct btrfs_item) + t->items[i].size;

		if (cost > cap)
			return -EOVERFLOW;
		if (used + cost > cap) {
			starts[++n] = i;
			used = 0;
		}
		used += cost;
	}
	t->nr_leaves = n + 1;
	starts[t->nr_leaves] = t->nr_items;
	return 0;
}

static u32 div_round_up(u32 a, u32 b)
{
	return (a + b - 1) / b;
}

/* Blocks needed above nr_leaves leaves; sets t->level. */
static u32 count_nodes(struct mkfs_tree *t, u32 ptrs)
{
	u32 below = t->nr_leaves, total = 0;

	t->level = 0;
	while (below > 1) {
		below = div_round_up(below, ptrs);
		total += below;
		t->level++;
	}
	return total;
}

static int shape_arrays(struct mkfs_tree *t, u32 nr_blocks)
{
	u64 *bytenr;
	u8 *lvl;
	struct btrfs_key *keys;

	if (nr_blocks == t->nr_blocks && t->bytenr)
		return 0;
	bytenr = realloc(t->bytenr, nr_blocks * sizeof(*bytenr));
	if (bytenr)
		t->bytenr = bytenr;
	lvl = realloc(t->block_level, nr_blocks * sizeof(*lvl));
	if (lvl)
		t->block_level = lvl;
	keys = realloc(t->first_key, nr_blocks * sizeof(*keys));
	if (keys)
		t->first_key = keys;
	if (!bytenr || !lvl || !keys)
		return -ENOMEM;
	memset(t->bytenr, 0, nr_blocks * sizeof(*bytenr));
	t->nr_blocks = nr_blocks;
	return 0;
}

int mkfs_tree_shape(struct mkfs_tree *t, u32 nodesize)
{
	u32 ptrs = btrfs_node_ptrs_max(nodesize);
	u32 i, level, first = 0, count, below_first = 0;
	int ret;

	ret = shape_leaves(t, nodesize);
	if (ret)
		return ret;
	ret = shape_arrays(t, t->nr_leaves + count_nodes(t, ptrs));
	if (ret)
		return ret;
	for (i = 0; i < t->nr_leaves; i++) {
		t->block_level[i] = 0;
		memset(&t->first_key[i], 0, sizeof(t->first_key[i]));
		if (t->leaf_start[i] < t->nr_items)
			t->first_key[i] = t->items[t->leaf_start[i]].key;
	}
	count = t->nr_leaves;
	for (level = 1; level <= t->level; level++) {
		u32 n = div_round_up(count, ptrs);

		below_first = first;
		first += count;
		for (i = 0; i < n; i++) {
			t->block_level[first + i] = (u8)level;
			t->first_key[first + i] =
				t->first_key[below_first + i * ptrs];
		}
		count = n;
	}
	return 0;
}

static struct extent_buffer *block_alloc(u64 bytenr, u32 nodesize)
{
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + nodesize);

	if (!eb)
		return NULL;
	eb->start = bytenr;
	eb->len = nodesize;
	eb->refs = 1;
	return eb;
}

static void header_fill(const struct mkfs_fs *fs, const struct mkfs_tree *t,
			struct extent_buffer *eb, u32 nritems, u8 level)
{
	struct btrfs_header *h = eb_header(eb);

	memcpy(h->fsid, fs->fsid, BTRFS_FSID_SIZE);
	memcpy(h->chunk_tree_uuid, fs->chunk_uuid, BTRFS_UUID_SIZE);
	btrfs_set_header_bytenr(h, eb->start);
	btrfs_set_header_flags(h, BTRFS_HEADER_FLAG_WRITTEN |
			       ((u64)BTRFS_MIXED_BACKREF_REV <<
				BTRFS_BACKREF_REV_SHIFT));
	btrfs_set_header_generation(h, MKFS_GENERATION);
	btrfs_set_header_owner(h, t->objectid);
	btrfs_set_header_nritems(h, nritems);
	btrfs_set_header_level(h, level);
}

/* Item headers grow from the front, item data from the back. */
static void leaf_fill(const struct mkfs_fs *fs, const struct mkfs_tree *t,
		      struct extent_buffer *eb, u32 leaf)
{
	u32 first = t->leaf_start[leaf], last = t->leaf_start[leaf + 1];
	u32 data_end = leaf_capacity(eb->len), i;

	header_fill(fs, t, eb, last - first, 0);
	for (i = first; i < last; i++) {
		const struct mkfs_item *it = &t->items[i];
		struct btrfs_item *hdr = eb_item(eb, (int)(i - first));

		data_end -= it->size;
		btrfs_cpu_key_to_disk(&hdr->key, &it->key);
		btrfs_set_raw_item_offset(hdr, data_end);
		btrfs_set_raw_item_size(hdr, it->size);
		memcpy(eb->data + sizeof(struct btrfs_header) + data_end,
		       it->data, it->size);
	}
}

static void node_fill(const struct mkfs_fs *fs, const struct mkfs_tree *t,
		      struct extent_buffer *eb, u32 first_child, u32 nr, u8 level)
{
	u32 i;

	header_fill(fs, t, eb, nr, level);
	for (i = 0; i < nr; i++) {
		struct btrfs_key_ptr *kp = eb_key_ptr(eb, (int)i);

		btrfs_cpu_key_to_disk(&kp->key, &t->first_key[first_child + i]);
		btrfs_set_key_ptr_blockptr(kp, t->bytenr[first_child + i]);
		btrfs_set_key_ptr_generation(kp, MKFS_GENERATION);
	}
}

static int block_csum(const struct mkfs_fs *fs, struct extent_buffer *eb)
{
	u8 csum[BTRFS_CSUM_SIZE];
	int ret;

	ret = btrfs_csum_data(fs->cfg->csum_type, eb->data + BTRFS_CSUM_SIZE,
			      eb->len - BTRFS_CSUM_SIZE, csum);
	if (ret)
		return ret;
	memcpy(eb->data, csum, BTRFS_CSUM_SIZE);
	return 0;
}

/* Fills the node blocks of every level above the leaves. */
static void nodes_fill(const struct mkfs_fs *fs, struct mkfs_tree *t)
{
	u32 ptrs = btrfs_node_ptrs_max(fs->cfg->nodesize);
	u32 below_first = 0, count = t->nr_leaves, first = 0, i;
	u8 level;

	for (level = 1; level <= t->level; level++) {
		u32 n = div_round_up(count, ptrs);

		below_first = first;
		first += count;
		for (i = 0; i < n; i++) {
			u32 child = below_first + i * ptrs;
			u32 nr = count - i * ptrs < ptrs ? count - i * ptrs : ptrs;

			node_fill(fs, t, t->blocks[first + i], child, nr, level);
		}
		count = n;
	}
}

int mkfs_tree_build(struct mkfs_fs *fs, struct mkfs_tree *t)
{
	u32 nodesize = fs->cfg->nodesize, i;
	int ret;

	t->blocks = calloc(t->nr_blocks, sizeof(*t->blocks));
	if (!t->blocks)
		return -ENOMEM;
	for (i = 0; i < t->nr_blocks; i++) {
		t->blocks[i] = block_alloc(t->bytenr[i], nodesize);
		if (!t->blocks[i])
			return -ENOMEM;
	}
	for (i = 0; i < t->nr_leaves; i++)
		leaf_fill(fs, t, t->blocks[i], i);
	nodes_fill(fs, t);
	for (i = 0; i < t->nr_blocks; i++) {
		ret = block_csum(fs, t->blocks[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void mkfs_tree_release(struct mkfs_tree *t)
{
	u32 i;

	mkfs_tree_free_items(t);
	free(t->items);
	if (t->blocks)
		for (i = 0; i < t->nr_blocks; i++)
			free(t->blocks[i]);
	free(t->blocks);
	free(t->leaf_start);
	free(t->bytenr);
	free(t->block_level);
	free(t->first_key);
	memset(t, 0, sizeof(*t));
}
