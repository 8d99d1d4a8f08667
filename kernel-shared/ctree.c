// SPDX-License-Identifier: GPL-2.0-only
/*
 * Read-only B-tree search and iteration.
 */
#include <errno.h>
#include <string.h>
#include "kernel-shared/ctree.h"

int btrfs_comp_keys(const struct btrfs_key *a, const struct btrfs_key *b)
{
	if (a->objectid != b->objectid)
		return a->objectid < b->objectid ? -1 : 1;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	if (a->offset != b->offset)
		return a->offset < b->offset ? -1 : 1;
	return 0;
}

void btrfs_path_init(struct btrfs_path *path)
{
	memset(path, 0, sizeof(*path));
}

void btrfs_path_release(struct btrfs_path *path)
{
	int i;

	for (i = 0; i < BTRFS_MAX_LEVEL; i++) {
		extent_buffer_put(path->nodes[i]);
		path->nodes[i] = NULL;
		path->slots[i] = 0;
	}
}

static void eb_key_at(const struct extent_buffer *eb, int slot,
		      struct btrfs_key *key)
{
	if (eb_level(eb))
		eb_node_key(eb, key, slot);
	else
		eb_item_key(eb, key, slot);
}

/* Binary search in one block: 0 and the slot if found, else 1 and the
 * slot of the first key greater than 'key'. */
static int eb_bin_search(const struct extent_buffer *eb,
			 const struct btrfs_key *key, int *slot)
{
	int lo = 0, hi = (int)eb_nritems(eb);

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct btrfs_key k;
		int cmp;

		eb_key_at(eb, mid, &k);
		cmp = btrfs_comp_keys(&k, key);
		if (cmp < 0) {
			lo = mid + 1;
		} else if (cmp > 0) {
			hi = mid;
		} else {
			*slot = mid;
			return 0;
		}
	}
	*slot = lo;
	return 1;
}

/* Reads child 'slot' of the node at path->nodes[level]. */
static int read_child(struct btrfs_fs_info *fs_info, struct btrfs_path *path,
		      int level, int slot)
{
	const struct extent_buffer *parent = path->nodes[level];
	struct btrfs_key first;
	struct tree_block_expect expect = {
		.owner = 0,
		.generation = eb_node_ptr_generation(parent, slot),
		.level = level - 1,
		.first_key = &first,
	};
	struct extent_buffer *child;
	int ret;

	eb_node_key(parent, &first, slot);
	ret = tree_block_read(fs_info, eb_node_blockptr(parent, slot), &expect,
			      &child);
	if (ret)
		return ret;
	extent_buffer_put(path->nodes[level - 1]);
	path->nodes[level - 1] = child;
	path->slots[level] = slot;
	return 0;
}

static int read_root_block(struct btrfs_fs_info *fs_info,
			   const struct btrfs_root *root,
			   struct extent_buffer **eb)
{
	struct tree_block_expect expect = {
		.owner = root->objectid == BTRFS_CHUNK_TREE_OBJECTID ?
			 root->objectid : 0,
		.generation = root->generation,
		.level = root->level,
	};

	return tree_block_read(fs_info, root->bytenr, &expect, eb);
}

int btrfs_search_slot(struct btrfs_fs_info *fs_info,
		      const struct btrfs_root *root,
		      const struct btrfs_key *key, struct btrfs_path *path)
{
	struct extent_buffer *eb;
	int level, slot = 0, ret;

	btrfs_path_release(path);
	ret = read_root_block(fs_info, root, &eb);
	if (ret)
		return ret;
	level = eb_level(eb);
	path->nodes[level] = eb;
	while (level > 0) {
		ret = eb_bin_search(path->nodes[level], key, &slot);
		if (ret && slot > 0)
			slot--;
		if (eb_nritems(path->nodes[level]) == 0) {
			btrfs_err_set(fs_info, "empty node %llu",
				      (unsigned long long)path->nodes[level]->start);
			return -EUCLEAN;
		}
		ret = read_child(fs_info, path, level, slot);
		if (ret)
			return ret;
		level--;
	}
	ret = eb_bin_search(path->nodes[0], key, &slot);
	path->slots[0] = slot;
	if (ret && slot >= (int)eb_nritems(path->nodes[0]) && slot > 0) {
		/* Land on the first item of the next leaf, if any. */
		path->slots[0] = slot - 1;
		if (btrfs_next_item(fs_info, path) != 0)
			path->slots[0] = slot;
	}
	return ret;
}

int btrfs_search_first(struct btrfs_fs_info *fs_info,
		       const struct btrfs_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path)
{
	int ret = btrfs_search_slot(fs_info, root, key, path);

	if (ret < 0)
		return ret;
	if (!path->nodes[0] || path->slots[0] >= (int)eb_nritems(path->nodes[0]))
		return 1;
	return 0;
}

int btrfs_path_step(struct btrfs_path *path, bool forward,
		    btrfs_child_reader read_child_fn, void *ctx)
{
	int nr, level;

	if (!path->nodes[0])
		return 1;
	nr = (int)eb_nritems(path->nodes[0]);
	if (forward && path->slots[0] + 1 < nr) {
		path->slots[0]++;
		return 0;
	}
	if (!forward && path->slots[0] > 0 && nr > 0) {
		/* A slot past the end (an insertion point) steps to the last. */
		path->slots[0] = path->slots[0] > nr ? nr - 1 : path->slots[0] - 1;
		return 0;
	}
	for (level = 1; level < BTRFS_MAX_LEVEL && path->nodes[level]; level++) {
		int slot = path->slots[level];

		if (forward ? slot + 1 >= (int)eb_nritems(path->nodes[level]) :
			      slot <= 0)
			continue;
		path->slots[level] = forward ? slot + 1 : slot - 1;
		/* Down the new subtree, along its left or right edge. */
		for (; level > 0; level--) {
			int ret = read_child_fn(ctx, path, level);

			if (ret)
				return ret;
			path->slots[level - 1] = forward ? 0 :
				(int)eb_nritems(path->nodes[level - 1]) - 1;
		}
		return 0;
	}
	return 1;
}

static int step_child(void *ctx, struct btrfs_path *path, int level)
{
	return read_child(ctx, path, level, path->slots[level]);
}

int btrfs_next_item(struct btrfs_fs_info *fs_info, struct btrfs_path *path)
{
	return btrfs_path_step(path, true, step_child, fs_info);
}

int btrfs_prev_item(struct btrfs_fs_info *fs_info, struct btrfs_path *path)
{
	return btrfs_path_step(path, false, step_child, fs_info);
}

int btrfs_read_root(struct btrfs_fs_info *fs_info, u64 objectid,
		    struct btrfs_root *root, struct btrfs_root_item *item)
{
	struct btrfs_key key = { objectid, BTRFS_ROOT_ITEM_KEY, (u64)-1 };
	struct btrfs_root_item local;
	struct btrfs_path path;
	struct btrfs_key found;
	u32 size;
	int ret;

	if (objectid == BTRFS_ROOT_TREE_OBJECTID) {
		*root = fs_info->tree_root;
		return 0;
	}
	if (objectid == BTRFS_CHUNK_TREE_OBJECTID) {
		*root = fs_info->chunk_root;
		return 0;
	}
	if (!item)
		item = &local;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &fs_info->tree_root, &key, &path);
	if (ret < 0)
		goto out;
	ret = btrfs_prev_item(fs_info, &path);
	if (ret) {
		ret = ret < 0 ? ret : -ENOENT;
		goto out;
	}
	eb_item_key(path.nodes[0], &found, path.slots[0]);
	if (found.objectid != objectid || found.type != BTRFS_ROOT_ITEM_KEY) {
		ret = -ENOENT;
		goto out;
	}
	size = eb_item_size(path.nodes[0], path.slots[0]);
	if (size > sizeof(*item))
		size = sizeof(*item);
	memset(item, 0, sizeof(*item));
	memcpy(item, eb_item_ptr(path.nodes[0], path.slots[0]), size);
	root->objectid = objectid;
	root->bytenr = btrfs_root_bytenr(item);
	root->level = btrfs_root_level(item);
	root->generation = btrfs_root_generation(item);
	root->fs_info = fs_info;
	ret = 0;
out:
	btrfs_path_release(&path);
	return ret;
}
