// SPDX-License-Identifier: GPL-2.0-only
/*
 * Extent back references, inline in an extent item or keyed after it,
 * decoded into one host-order form.
 */
#include <errno.h>
#include <string.h>
#include "kernel-shared/ctree.h"

u32 extent_item_refs_start(const struct btrfs_key *key, u64 flags)
{
	u32 start = sizeof(struct btrfs_extent_item);

	if (key->type == BTRFS_EXTENT_ITEM_KEY &&
	    (flags & BTRFS_EXTENT_FLAG_TREE_BLOCK))
		start += sizeof(struct btrfs_tree_block_info);
	return start;
}

u32 extent_inline_ref_size(u8 type)
{
	switch (type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
	case BTRFS_SHARED_BLOCK_REF_KEY:
	case BTRFS_EXTENT_OWNER_REF_KEY:
		return sizeof(struct btrfs_extent_inline_ref);
	case BTRFS_SHARED_DATA_REF_KEY:
		return sizeof(struct btrfs_extent_inline_ref) +
		       sizeof(struct btrfs_shared_data_ref);
	case BTRFS_EXTENT_DATA_REF_KEY:
		/* The data ref takes the place of the offset field. */
		return offsetof(struct btrfs_extent_inline_ref, offset) +
		       sizeof(struct btrfs_extent_data_ref);
	}
	return 0;
}

int extent_inline_ref_next(const u8 *item, u32 size, u32 *cur,
			   struct extent_ref *ref)
{
	const struct btrfs_extent_inline_ref *iref;
	const struct btrfs_extent_data_ref *dref;
	u32 left, need;

	if (*cur >= size)
		return 1;
	left = size - *cur;
	iref = (const void *)(item + *cur);
	if (left < sizeof(*iref))
		return -EUCLEAN;
	memset(ref, 0, sizeof(*ref));
	ref->type = btrfs_extent_inline_ref_type(iref);
	ref->count = 1;
	need = extent_inline_ref_size(ref->type);
	if (!need || left < need)
		return -EUCLEAN;
	switch (ref->type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
	case BTRFS_EXTENT_OWNER_REF_KEY:
		ref->root = btrfs_extent_inline_ref_offset(iref);
		break;
	case BTRFS_SHARED_BLOCK_REF_KEY:
		ref->parent = btrfs_extent_inline_ref_offset(iref);
		break;
	case BTRFS_SHARED_DATA_REF_KEY:
		ref->parent = btrfs_extent_inline_ref_offset(iref);
		ref->count = btrfs_shared_data_ref_count((const void *)(iref + 1));
		break;
	case BTRFS_EXTENT_DATA_REF_KEY:
		dref = (const void *)&iref->offset;
		ref->root = btrfs_extent_data_ref_root(dref);
		ref->ino = btrfs_extent_data_ref_objectid(dref);
		ref->offset = btrfs_extent_data_ref_offset(dref);
		ref->count = btrfs_extent_data_ref_count(dref);
		break;
	}
	*cur += need;
	return 0;
}

int extent_keyed_ref_decode(const struct btrfs_key *key, const u8 *item,
			    u32 size, struct extent_ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->type = key->type;
	ref->count = 1;
	switch (key->type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
		ref->root = key->offset;
		return 0;
	case BTRFS_SHARED_BLOCK_REF_KEY:
		ref->parent = key->offset;
		return 0;
	case BTRFS_SHARED_DATA_REF_KEY:
		if (size < sizeof(struct btrfs_shared_data_ref))
			return -EUCLEAN;
		ref->parent = key->offset;
		ref->count = btrfs_shared_data_ref_count((const void *)item);
		return 0;
	case BTRFS_EXTENT_DATA_REF_KEY: {
		const struct btrfs_extent_data_ref *dref = (const void *)item;

		if (size < sizeof(*dref))
			return -EUCLEAN;
		ref->root = btrfs_extent_data_ref_root(dref);
		ref->ino = btrfs_extent_data_ref_objectid(dref);
		ref->offset = btrfs_extent_data_ref_offset(dref);
		ref->count = btrfs_extent_data_ref_count(dref);
		return 0;
	}
	}
	return 1;
}
