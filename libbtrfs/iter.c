// SPDX-License-Identifier: GPL-2.0-only
/*
 * Public API: walking the items of any tree in key order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "libbtrfs/internal.h"

struct btrfs_dax_iter {
	struct btrfs_dax_fs *fs;
	struct btrfs_root root;
	struct btrfs_path path;
	bool returned;		/* the item under path was handed out */
	bool done;
};

int btrfs_dax_iter_open(struct btrfs_dax_fs *fs, uint64_t tree_id,
			const struct btrfs_dax_key *min_key,
			struct btrfs_dax_iter **ret)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_fs_info *fs_info;
	struct btrfs_dax_iter *it;
	int err;

	if (!fs || !ret)
		return -EINVAL;
	*ret = NULL;
	fs_info = dax_begin(fs);
	it = calloc(1, sizeof(*it));
	if (!it)
		return dax_fail(fs_info, -ENOMEM, "out of memory");
	it->fs = fs;
	btrfs_path_init(&it->path);
	err = btrfs_read_root(fs_info, tree_id, &it->root, NULL);
	if (err) {
		dax_fail(fs_info, err, "cannot read tree %llu: %s",
			 (unsigned long long)tree_id, strerror(-err));
		goto out_free;
	}
	if (min_key) {
		key.objectid = min_key->objectid;
		key.type = min_key->type;
		key.offset = min_key->offset;
	}
	err = btrfs_search_first(fs_info, &it->root, &key, &it->path);
	if (err < 0)
		goto out_free;
	it->done = err > 0;
	*ret = it;
	return 0;

out_free:
	btrfs_dax_iter_close(it);
	return err;
}

int btrfs_dax_iter_next(struct btrfs_dax_iter *it, struct btrfs_dax_key *key,
			const void **item, uint32_t *size)
{
	struct btrfs_fs_info *fs_info;
	const struct extent_buffer *leaf;
	struct btrfs_key k;
	int slot, ret;

	if (!it)
		return -EINVAL;
	fs_info = dax_begin(it->fs);
	if (it->done)
		return 1;
	if (it->returned) {
		ret = btrfs_next_item(fs_info, &it->path);
		if (ret) {
			it->done = ret > 0;
			return ret;
		}
	}
	leaf = it->path.nodes[0];
	slot = it->path.slots[0];
	if (slot >= (int)eb_nritems(leaf))
		return dax_fail(fs_info, -EUCLEAN, "empty leaf %llu in tree %llu",
				(unsigned long long)leaf->start,
				(unsigned long long)it->root.objectid);
	it->returned = true;
	eb_item_key(leaf, &k, slot);
	if (key) {
		key->objectid = k.objectid;
		key->type = k.type;
		key->offset = k.offset;
	}
	if (item)
		*item = eb_item_ptr(leaf, slot);
	if (size)
		*size = eb_item_size(leaf, slot);
	return 0;
}

void btrfs_dax_iter_close(struct btrfs_dax_iter *it)
{
	if (!it)
		return;
	btrfs_path_release(&it->path);
	free(it);
}
