// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copy-on-write B-tree modification: search for modification, item insert,
 * delete, resize, and the leaf and node splits and merges they need.
 *
 * A search with cow copies every block on its path that is not new in this
 * transaction before anything in it changes, so the committed tree is never
 * touched.  Searches that insert split full nodes on the way down (a node
 * with fewer than three free pointers is split before descending), so a
 * leaf split always finds room in its parent.  Deletion removes empty
 * leaves and nodes, merges a small leaf or node into a neighbour under the
 * same parent when the two fit in one block, and collapses a root node
 * left with a single child.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/transaction.h"

static u8 *leaf_data(const struct extent_buffer *leaf)
{
	return (u8 *)leaf->data + sizeof(struct btrfs_header);
}

static u32 leaf_data_end(const struct extent_buffer *leaf)
{
	u32 n = eb_nritems(leaf);

	return n ? eb_item_offset(leaf, (int)n - 1) :
		   btrfs_leaf_data_size(leaf->len);
}

u32 btrfs_leaf_free_space(const struct extent_buffer *leaf)
{
	return leaf_data_end(leaf) -
	       eb_nritems(leaf) * (u32)sizeof(struct btrfs_item);
}

static u32 leaf_used(const struct extent_buffer *leaf)
{
	return btrfs_leaf_data_size(leaf->len) - btrfs_leaf_free_space(leaf);
}

static void set_nritems(struct extent_buffer *eb, u32 n)
{
	btrfs_set_header_nritems(eb_header(eb), n);
}

static void item_shift(struct extent_buffer *leaf, int from, int to,
		       s64 delta)
{
	int i;

	for (i = from; i < to; i++) {
		struct btrfs_item *it = eb_item(leaf, i);

		btrfs_set_raw_item_offset(it, (u32)(btrfs_raw_item_offset(it) +
						    delta));
	}
}

void leaf_insert_item(struct extent_buffer *leaf, int slot,
		      const struct btrfs_key *key, u32 size)
{
	int n = (int)eb_nritems(leaf);
	u32 data_end = leaf_data_end(leaf);
	u32 end = slot == 0 ? btrfs_leaf_data_size(leaf->len) :
			      eb_item_offset(leaf, slot - 1);
	u8 *d = leaf_data(leaf);
	struct btrfs_item *it;

	memmove(d + data_end - size, d + data_end, end - data_end);
	item_shift(leaf, slot, n, -(s64)size);
	memmove(eb_item(leaf, slot + 1), eb_item(leaf, slot),
		(size_t)(n - slot) * sizeof(struct btrfs_item));
	it = eb_item(leaf, slot);
	btrfs_cpu_key_to_disk(&it->key, key);
	btrfs_set_raw_item_offset(it, end - size);
	btrfs_set_raw_item_size(it, size);
	memset(d + end - size, 0, size);
	set_nritems(leaf, (u32)n + 1);
}

void leaf_delete_items(struct extent_buffer *leaf, int slot, int nr)
{
	int n = (int)eb_nritems(leaf);
	u32 data_end = leaf_data_end(leaf);
	u32 first = eb_item_offset(leaf, slot + nr - 1);
	u32 end = eb_item_offset(leaf, slot) + eb_item_size(leaf, slot);
	u32 dsize = end - first;
	u8 *d = leaf_data(leaf);

	memmove(d + data_end + dsize, d + data_end, first - data_end);
	item_shift(leaf, slot + nr, n, dsize);
	memmove(eb_item(leaf, slot), eb_item(leaf, slot + nr),
		(size_t)(n - slot - nr) * sizeof(struct btrfs_item));
	set_nritems(leaf, (u32)(n - nr));
}

void leaf_resize_item(struct extent_buffer *leaf, int slot, u32 new_size,
		      bool from_end)
{
	int n = (int)eb_nritems(leaf);
	u32 old = eb_item_size(leaf, slot);
	u32 off = eb_item_offset(leaf, slot);
	u32 data_end = leaf_data_end(leaf);
	u8 *d = leaf_data(leaf);
	u32 diff;

	if (new_size > old) {
		diff = new_size - old;
		memmove(d + data_end - diff, d + data_end, off + old - data_end);
		item_shift(leaf, slot, n, -(s64)diff);
		memset(d + off + old - diff, 0, diff);
	} else if (from_end) {
		diff = old - new_size;
		memmove(d + data_end + diff, d + data_end,
			off + new_size - data_end);
		item_shift(leaf, slot, n, diff);
	} else {
		diff = old - new_size;
		memmove(d + data_end + diff, d + data_end, off - data_end);
		item_shift(leaf, slot, n, diff);
	}
	btrfs_set_raw_item_size(eb_item(leaf, slot), new_size);
}

/* Appends items [from, from+nr) of src to the end of dst. */
static void leaf_append_items(struct extent_buffer *dst,
			      const struct extent_buffer *src, int from, int nr)
{
	int i;

	for (i = from; i < from + nr; i++) {
		struct btrfs_key key;
		int slot = (int)eb_nritems(dst);
		u32 size = eb_item_size(src, i);

		eb_item_key(src, &key, i);
		leaf_insert_item(dst, slot, &key, size);
		memcpy(eb_item_ptr(dst, slot), eb_item_ptr(src, i), size);
	}
}

static void node_insert_ptr(struct extent_buffer *node, int slot,
			    const struct btrfs_key *key, u64 bytenr, u64 gen)
{
	u32 n = eb_nritems(node);
	struct btrfs_key_ptr *p = eb_key_ptr(node, slot);

	memmove(p + 1, p, (n - (u32)slot) * sizeof(*p));
	btrfs_cpu_key_to_disk(&p->key, key);
	btrfs_set_key_ptr_blockptr(p, bytenr);
	btrfs_set_key_ptr_generation(p, gen);
	set_nritems(node, n + 1);
}

static void node_delete_ptr(struct extent_buffer *node, int slot)
{
	u32 n = eb_nritems(node);
	struct btrfs_key_ptr *p = eb_key_ptr(node, slot);

	memmove(p, p + 1, (n - (u32)slot - 1) * sizeof(*p));
	set_nritems(node, n - 1);
}

static void node_append_ptrs(struct extent_buffer *dst,
			     const struct extent_buffer *src, int from, int nr)
{
	u32 n = eb_nritems(dst);

	memcpy(eb_key_ptr(dst, (int)n), eb_key_ptr(src, from),
	       (size_t)nr * sizeof(struct btrfs_key_ptr));
	set_nritems(dst, n + (u32)nr);
}

static void block_first_key(const struct extent_buffer *eb,
			    struct btrfs_key *key)
{
	memset(key, 0, sizeof(*key));
	if (!eb_nritems(eb))
		return;
	if (eb_level(eb))
		eb_node_key(eb, key, 0);
	else
		eb_item_key(eb, key, 0);
}

static int bin_search(const struct extent_buffer *eb,
		      const struct btrfs_key *key, int *slot)
{
	int lo = 0, hi = (int)eb_nritems(eb);

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		struct btrfs_key k;
		int cmp;

		if (eb_level(eb))
			eb_node_key(eb, &k, mid);
		else
			eb_item_key(eb, &k, mid);
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

/* ---- reading blocks of the transaction's view ---- */

static int trans_block_read(struct btrfs_trans_handle *trans, u64 bytenr,
			    const struct tree_block_expect *expect,
			    struct extent_buffer **ret)
{
	struct extent_buffer *eb = u64_map_get(&trans->dirty, bytenr);

	if (eb) {
		if (expect->level >= 0 && eb_level(eb) != expect->level) {
			btrfs_err_set(trans->fs_info,
				"new tree block %llu has level %d, want %d",
				(unsigned long long)bytenr, eb_level(eb),
				expect->level);
			return -EUCLEAN;
		}
		*ret = extent_buffer_get(eb);
		return 0;
	}
	return tree_block_read(trans->fs_info, bytenr, expect, ret);
}

static int root_node_get(struct btrfs_trans_handle *trans,
			 const struct btrfs_trans_root *root,
			 struct extent_buffer **ret)
{
	struct tree_block_expect expect = {
		.owner = root->root.objectid,
		.generation = root->root.generation,
		.level = root->root.level,
	};

	return trans_block_read(trans, root->root.bytenr, &expect, ret);
}

static int child_read(struct btrfs_trans_handle *trans,
		      const struct extent_buffer *parent, int slot,
		      struct extent_buffer **ret)
{
	struct btrfs_key first;
	struct tree_block_expect expect = {
		.generation = eb_node_ptr_generation(parent, slot),
		.level = eb_level(parent) - 1,
		.first_key = &first,
	};

	eb_node_key(parent, &first, slot);
	return trans_block_read(trans, eb_node_blockptr(parent, slot), &expect,
				ret);
}

static void path_set(struct btrfs_path *path, int level,
		     struct extent_buffer *eb)
{
	extent_buffer_put(path->nodes[level]);
	path->nodes[level] = eb;
}

/* ---- copy-on-write ---- */

/* Trees whose blocks snapshots may share: subvolumes and snapshots. */
static bool root_shareable(const struct btrfs_trans_root *root)
{
	u64 id = root->root.objectid;

	return root->has_item &&
	       (id == BTRFS_FS_TREE_OBJECTID ||
		id == BTRFS_DATA_RELOC_TREE_OBJECTID ||
		(id >= BTRFS_FIRST_FREE_OBJECTID && id <= BTRFS_LAST_FREE_OBJECTID));
}

static int cow_refuse(struct btrfs_trans_handle *trans,
		      const struct btrfs_trans_root *root,
		      const struct extent_buffer *eb, const char *why)
{
	btrfs_err_set(trans->fs_info, "tree block %llu of tree %llu %s",
		      (unsigned long long)eb->start,
		      (unsigned long long)root->root.objectid, why);
	return -EOPNOTSUPP;
}

/*
 * The references of a block about to be copied, as the kernel counts
 * them: a block of a shareable tree written before the tree's last
 * snapshot (or by relocation, or owned by another tree) may have other
 * referrers; any other block has one reference, from its parent or root.
 */
static int cow_refs(struct btrfs_trans_handle *trans,
		    const struct btrfs_trans_root *root,
		    const struct extent_buffer *eb, u64 *refs, u64 *flags)
{
	u64 hflags = btrfs_header_flags(eb_header(eb));
	u64 last_snap;
	int ret;

	*refs = 1;
	*flags = 0;
	if (!root_shareable(root)) {
		if (eb_owner(eb) != root->root.objectid ||
		    (hflags & BTRFS_HEADER_FLAG_RELOC))
			return cow_refuse(trans, root, eb,
					  "is not owned by the tree alone");
		return 0;
	}
	if (btrfs_header_backref_rev(eb_header(eb)) < BTRFS_MIXED_BACKREF_REV)
		return cow_refuse(trans, root, eb,
				  "has old-style back references, not supported");
	last_snap = btrfs_root_last_snapshot(&root->item);
	if (eb_generation(eb) > last_snap && !(hflags & BTRFS_HEADER_FLAG_RELOC) &&
	    eb_owner(eb) == root->root.objectid)
		return 0;
	ret = btrfs_lookup_extent_info(trans, eb->start, eb_level(eb), refs,
				       flags);
	if (!ret && *refs == 0) {
		btrfs_err_set(trans->fs_info,
			      "tree block %llu has no references",
			      (unsigned long long)eb->start);
		ret = -EUCLEAN;
	}
	if (!ret && *refs == 1 && !(*flags & BTRFS_BLOCK_FLAG_FULL_BACKREF) &&
	    eb_owner(eb) != root->root.objectid) {
		btrfs_err_set(trans->fs_info,
			"tree block %llu of tree %llu is owned by tree %llu but referenced once, without full back references",
			(unsigned long long)eb->start,
			(unsigned long long)root->root.objectid,
			(unsigned long long)eb_owner(eb));
		ret = -EUCLEAN;
	}
	return ret;
}

/*
 * Moves the references of a block's children as the kernel's
 * update_ref_for_cow() does when eb is copied for root (the copy has the
 * same children, so eb stands for it).  A block
 * others share keeps its children: if root owned it, its children get
 * references from the old block itself (full back references) and the
 * keyed ones of root now serve the copy; otherwise the copy gets keyed
 * references of its own.  A block with full back references that only
 * root still reaches hands its children over to the copy.  Then the old
 * block loses root's reference, which frees it if it was the last.
 */
static int cow_update_refs(struct btrfs_trans_handle *trans,
			   const struct btrfs_trans_root *root,
			   const struct extent_buffer *eb, u64 refs, u64 flags)
{
	u64 id = root->root.objectid;
	int ret = 0;

	if (refs > 1) {
		if (eb_owner(eb) == id && !(flags & BTRFS_BLOCK_FLAG_FULL_BACKREF)) {
			ret = btrfs_queue_children_refs(trans, eb, id, true, 1);
			if (!ret)
				ret = btrfs_queue_block_flags(trans, eb->start,
					eb_level(eb), BTRFS_BLOCK_FLAG_FULL_BACKREF);
		} else {
			ret = btrfs_queue_children_refs(trans, eb, id, false, 1);
		}
	} else if (flags & BTRFS_BLOCK_FLAG_FULL_BACKREF) {
		ret = btrfs_queue_children_refs(trans, eb, id, false, 1);
		if (!ret)
			ret = btrfs_queue_children_refs(trans, eb, id, true, -1);
	}
	return ret;
}

static void root_point_to(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  const struct extent_buffer *eb)
{
	root->root.bytenr = eb->start;
	root->root.level = (u8)eb_level(eb);
	root->root.generation = trans->transid;
}

/*
 * Copies eb to a new block unless it is new already; parent (NULL for the
 * root block) is pointed at the copy.  *ret gets a reference.
 */
static int cow_block(struct btrfs_trans_handle *trans,
		     struct btrfs_trans_root *root, struct extent_buffer *eb,
		     struct extent_buffer *parent, int pslot,
		     struct extent_buffer **ret)
{
	struct extent_buffer *neb;
	struct btrfs_header *h;
	struct btrfs_key first;
	u64 refs, flags;
	int err;

	if (btrfs_block_is_new(trans, eb)) {
		*ret = extent_buffer_get(eb);
		return 0;
	}
	/*
	 * Refusals, and -ENOSPC from the allocation, come before any change:
	 * the trees stay as they are.
	 */
	err = cow_refs(trans, root, eb, &refs, &flags);
	if (err)
		return err;
	block_first_key(eb, &first);
	err = btrfs_alloc_tree_block(trans, root, eb_level(eb), &first, &neb);
	if (err)
		return err;
	err = cow_update_refs(trans, root, eb, refs, flags);
	if (err) {
		extent_buffer_put(neb);
		return err;
	}
	h = eb_header(neb);
	memcpy(neb->data + sizeof(*h), eb->data + sizeof(*h),
	       eb->len - sizeof(*h));
	btrfs_set_header_nritems(h, eb_nritems(eb));
	if (parent) {
		btrfs_set_key_ptr_blockptr(eb_key_ptr(parent, pslot),
					   neb->start);
		btrfs_set_key_ptr_generation(eb_key_ptr(parent, pslot),
					     trans->transid);
	} else {
		root_point_to(trans, root, neb);
	}
	err = btrfs_free_tree_block(trans, root, eb);
	if (err) {
		extent_buffer_put(neb);
		return err;
	}
	*ret = neb;
	return 0;
}

static int cow_path_level(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  struct btrfs_path *path, int level)
{
	struct extent_buffer *parent = NULL, *neb;
	int pslot = 0, err;

	if (level + 1 < BTRFS_MAX_LEVEL && path->nodes[level + 1]) {
		parent = path->nodes[level + 1];
		pslot = path->slots[level + 1];
	}
	err = cow_block(trans, root, path->nodes[level], parent, pslot, &neb);
	if (err)
		return err;
	path_set(path, level, neb);
	return 0;
}

/* Reads child 'slot' of parent and copies it; *ret gets a reference. */
static int cow_child(struct btrfs_trans_handle *trans,
		     struct btrfs_trans_root *root, struct extent_buffer *parent,
		     int slot, struct extent_buffer **ret)
{
	struct extent_buffer *child;
	int err;

	err = child_read(trans, parent, slot, &child);
	if (err)
		return err;
	err = cow_block(trans, root, child, parent, slot, ret);
	extent_buffer_put(child);
	return err;
}

static void fixup_low_keys(struct btrfs_path *path, int level,
			   const struct btrfs_key *key)
{
	int i;

	for (i = level + 1; i < BTRFS_MAX_LEVEL && path->nodes[i]; i++) {
		btrfs_cpu_key_to_disk(&eb_key_ptr(path->nodes[i],
						  path->slots[i])->key, key);
		if (path->slots[i] != 0)
			break;
	}
}

/* ---- splits ---- */

/* A new root one level up whose only child is path->nodes[level]. */
static int insert_new_root(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *root,
			   struct btrfs_path *path, int level)
{
	struct extent_buffer *child = path->nodes[level];
	struct extent_buffer *node;
	struct btrfs_key key;
	int err;

	if (level + 1 >= BTRFS_MAX_LEVEL) {
		btrfs_err_set(trans->fs_info, "tree %llu is too deep",
			      (unsigned long long)root->root.objectid);
		return -EOVERFLOW;
	}
	block_first_key(child, &key);
	err = btrfs_alloc_tree_block(trans, root, level + 1, &key, &node);
	if (err)
		return err;
	node_insert_ptr(node, 0, &key, child->start, eb_generation(child));
	root_point_to(trans, root, node);
	path_set(path, level + 1, node);
	path->slots[level + 1] = 0;
	return 0;
}

static int split_node(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root, struct btrfs_path *path,
		      int level)
{
	struct extent_buffer *c, *split, *parent;
	struct btrfs_key key;
	int n, mid, err;

	if (!path->nodes[level + 1]) {
		err = insert_new_root(trans, root, path, level);
		if (err)
			return err;
	}
	c = path->nodes[level];
	parent = path->nodes[level + 1];
	n = (int)eb_nritems(c);
	mid = (n + 1) / 2;
	eb_node_key(c, &key, mid);
	err = btrfs_alloc_tree_block(trans, root, level, &key, &split);
	if (err)
		return err;
	node_append_ptrs(split, c, mid, n - mid);
	set_nritems(c, (u32)mid);
	node_insert_ptr(parent, path->slots[level + 1] + 1, &key, split->start,
			trans->transid);
	if (path->slots[level] >= mid) {
		path_set(path, level, split);
		path->slots[level] -= mid;
		path->slots[level + 1]++;
	} else {
		extent_buffer_put(split);
	}
	return 0;
}

int leaf_split_point(const u32 *sizes, int n, int slot, u32 extra,
		     bool insert, u32 capacity)
{
	int nv = insert ? n + 1 : n;
	u64 total = 0, left = 0, best_max = (u64)-1;
	int i, m, best = -1;

	for (i = 0; i < n; i++)
		total += sizes[i];
	total += extra;
	for (m = 1; m < nv; m++) {
		int v = m - 1;
		u64 size, right, worst;

		if (insert)
			size = v < slot ? sizes[v] : v == slot ? extra :
			       sizes[v - 1];
		else
			size = sizes[v] + (v == slot ? extra : 0);
		left += size;
		right = total - left;
		if (left > capacity || right > capacity)
			continue;
		worst = left > right ? left : right;
		if (worst < best_max) {
			best_max = worst;
			best = m;
		}
	}
	return best;
}

/* Where to split path->nodes[0] for ins_len more bytes at its slot. */
static int leaf_choose_split(const struct extent_buffer *leaf, int slot,
			     u32 ins_len, bool insert)
{
	int n = (int)eb_nritems(leaf), i, m;
	u32 *sizes = malloc(((size_t)n + 1) * sizeof(*sizes));

	if (!sizes)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		sizes[i] = eb_item_size(leaf, i) + sizeof(struct btrfs_item);
	m = leaf_split_point(sizes, n, slot, ins_len, insert,
			     btrfs_leaf_data_size(leaf->len));
	free(sizes);
	/* No two-way split has room: cut right before (or after) the item. */
	if (m < 0)
		m = slot > 0 ? slot : 1;
	return m;
}

/* Moves items from m on to a new right sibling; path follows the slot. */
static int split_leaf(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *ins_key, struct btrfs_path *path,
		      u32 ins_len, bool insert)
{
	struct extent_buffer *leaf, *right;
	int slot = path->slots[0], n, m, keep, err;
	bool target_left;
	struct btrfs_key rkey;

	if (!path->nodes[1]) {
		err = insert_new_root(trans, root, path, 0);
		if (err)
			return err;
	}
	leaf = path->nodes[0];
	n = (int)eb_nritems(leaf);
	m = leaf_choose_split(leaf, slot, ins_len, insert);
	if (m < 0)
		return m;
	target_left = slot < m;
	keep = insert && target_left ? m - 1 : m;
	if (insert && !target_left && slot == m)
		rkey = *ins_key;
	else
		eb_item_key(leaf, &rkey, keep);
	err = btrfs_alloc_tree_block(trans, root, 0, &rkey, &right);
	if (err)
		return err;
	leaf_append_items(right, leaf, keep, n - keep);
	if (n > keep)
		leaf_delete_items(leaf, keep, n - keep);
	node_insert_ptr(path->nodes[1], path->slots[1] + 1, &rkey, right->start,
			trans->transid);
	if (target_left) {
		extent_buffer_put(right);
	} else {
		path_set(path, 0, right);
		path->slots[0] = slot - m;
		path->slots[1]++;
	}
	return 0;
}

static int leaf_make_room(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  const struct btrfs_key *key, struct btrfs_path *path,
			  u32 ins_len, bool insert)
{
	int tries, err;

	for (tries = 0; tries < 3; tries++) {
		if (btrfs_leaf_free_space(path->nodes[0]) >= ins_len)
			return 0;
		err = split_leaf(trans, root, key, path, ins_len, insert);
		if (err)
			return err;
	}
	if (btrfs_leaf_free_space(path->nodes[0]) >= ins_len)
		return 0;
	btrfs_err_set(trans->fs_info, "cannot make room for %u bytes in a leaf",
		      ins_len);
	return -EUCLEAN;
}

/* ---- search ---- */

static int node_step(struct btrfs_trans_handle *trans,
		     struct btrfs_trans_root *root, struct btrfs_path *path,
		     int level, int slot, int ins_len)
{
	struct extent_buffer *child;
	u32 max = btrfs_node_ptrs_max(trans->fs_info->sb.nodesize);
	int err;

	path->slots[level] = slot;
	if (ins_len > 0 && eb_nritems(path->nodes[level]) + 3 >= max) {
		err = split_node(trans, root, path, level);
		if (err)
			return err;
	}
	err = child_read(trans, path->nodes[level], path->slots[level], &child);
	if (err)
		return err;
	path_set(path, level - 1, child);
	return 0;
}

int btrfs_search_slot_rw(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root,
			 const struct btrfs_key *key, struct btrfs_path *path,
			 int ins_len, bool cow)
{
	struct extent_buffer *eb;
	int level, slot = 0, cmp, err;

	btrfs_path_release(path);
	if (ins_len && !cow)
		return -EINVAL;
	err = root_node_get(trans, root, &eb);
	if (err)
		return err;
	level = eb_level(eb);
	path->nodes[level] = eb;
	for (;;) {
		if (cow) {
			err = cow_path_level(trans, root, path, level);
			if (err)
				goto fail;
		}
		eb = path->nodes[level];
		cmp = bin_search(eb, key, &slot);
		if (level == 0)
			break;
		if (eb_nritems(eb) == 0) {
			btrfs_err_set(trans->fs_info, "empty node %llu",
				      (unsigned long long)eb->start);
			err = -EUCLEAN;
			goto fail;
		}
		if (cmp && slot > 0)
			slot--;
		err = node_step(trans, root, path, level, slot, ins_len);
		if (err)
			goto fail;
		level--;
	}
	path->slots[0] = slot;
	/* As in the kernel: an item that can never grow that much. */
	if (ins_len > 0 && cmp == 0 &&
	    eb_item_size(eb, slot) + (u32)ins_len >
	    btrfs_max_item_size(trans->fs_info->sb.nodesize)) {
		err = -EOVERFLOW;
		goto fail;
	}
	if (ins_len > 0) {
		err = leaf_make_room(trans, root, key, path, (u32)ins_len,
				     cmp != 0);
		if (err)
			goto fail;
	}
	return cmp != 0;
fail:
	btrfs_path_release(path);
	return err;
}

static int step_child_rw(void *ctx, struct btrfs_path *path, int level)
{
	struct extent_buffer *child;
	int err = child_read(ctx, path->nodes[level], path->slots[level],
			     &child);

	if (err)
		return err;
	path_set(path, level - 1, child);
	return 0;
}

int btrfs_next_item_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_path *path)
{
	return btrfs_path_step(path, true, step_child_rw, trans);
}

int btrfs_prev_item_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_path *path)
{
	return btrfs_path_step(path, false, step_child_rw, trans);
}

int btrfs_search_ge_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path)
{
	int ret = btrfs_search_slot_rw(trans, root, key, path, 0, false);

	if (ret < 0)
		return ret;
	if (path->slots[0] < (int)eb_nritems(path->nodes[0]))
		return 0;
	return btrfs_next_item_rw(trans, path);
}

int btrfs_search_le_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path)
{
	int ret = btrfs_search_slot_rw(trans, root, key, path, 0, false);

	if (ret <= 0)
		return ret;
	return btrfs_prev_item_rw(trans, path);
}

/* ---- insert and resize ---- */

int btrfs_insert_empty_item(struct btrfs_trans_handle *trans,
			    struct btrfs_trans_root *root,
			    struct btrfs_path *path,
			    const struct btrfs_key *key, u32 size)
{
	u32 need = size + sizeof(struct btrfs_item);
	int ret;

	if (size > btrfs_max_item_size(trans->fs_info->sb.nodesize))
		return -EOVERFLOW;
	ret = btrfs_search_slot_rw(trans, root, key, path, (int)need, true);
	/* The key exists with an item too big to make room next to it. */
	if (ret == -EOVERFLOW) {
		ret = btrfs_search_slot_rw(trans, root, key, path, 0, false);
		btrfs_path_release(path);
		return ret == 0 ? -EEXIST : ret < 0 ? ret : -EOVERFLOW;
	}
	if (ret < 0)
		return ret;
	if (ret == 0) {
		btrfs_path_release(path);
		return -EEXIST;
	}
	leaf_insert_item(path->nodes[0], path->slots[0], key, size);
	if (path->slots[0] == 0)
		fixup_low_keys(path, 0, key);
	return 0;
}

int btrfs_insert_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key, const void *data, u32 size)
{
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_insert_empty_item(trans, root, &path, key, size);
	if (!ret && size)
		memcpy(eb_item_ptr(path.nodes[0], path.slots[0]), data, size);
	btrfs_path_release(&path);
	return ret;
}

int btrfs_extend_item(struct btrfs_trans_handle *trans,
		      struct btrfs_path *path, u32 new_size)
{
	struct extent_buffer *leaf = path->nodes[0];
	int slot = path->slots[0];
	u32 old = eb_item_size(leaf, slot);

	if (!btrfs_block_is_new(trans, leaf) || new_size < old)
		return -EINVAL;
	if (new_size > btrfs_max_item_size(leaf->len))
		return -EOVERFLOW;
	if (btrfs_leaf_free_space(leaf) < new_size - old)
		return -ENOSPC;
	leaf_resize_item(leaf, slot, new_size, true);
	return 0;
}

int btrfs_truncate_item(struct btrfs_trans_handle *trans,
			struct btrfs_path *path, u32 new_size, bool from_end)
{
	struct extent_buffer *leaf = path->nodes[0];
	int slot = path->slots[0];

	if (!btrfs_block_is_new(trans, leaf) ||
	    new_size > eb_item_size(leaf, slot))
		return -EINVAL;
	leaf_resize_item(leaf, slot, new_size, from_end);
	return 0;
}

static int item_resize_to(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  const struct btrfs_key *key, struct btrfs_path *path,
			  u32 size)
{
	u32 cur;
	int ret;

	ret = btrfs_search_slot_rw(trans, root, key, path, 0, true);
	if (ret)
		return ret < 0 ? ret : -ENOENT;
	cur = eb_item_size(path->nodes[0], path->slots[0]);
	if (size < cur)
		return btrfs_truncate_item(trans, path, size, true);
	if (size == cur)
		return 0;
	if (size > btrfs_max_item_size(trans->fs_info->sb.nodesize))
		return -EOVERFLOW;
	ret = btrfs_search_slot_rw(trans, root, key, path, (int)(size - cur),
				   true);
	if (ret)
		return ret < 0 ? ret : -ENOENT;
	return btrfs_extend_item(trans, path, size);
}

int btrfs_update_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key, const void *data, u32 size)
{
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = item_resize_to(trans, root, key, &path, size);
	if (!ret && size)
		memcpy(eb_item_ptr(path.nodes[0], path.slots[0]), data, size);
	btrfs_path_release(&path);
	return ret;
}

int btrfs_lookup_item_rw(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root,
			 const struct btrfs_key *key, void *buf, u32 *size)
{
	struct btrfs_path path;
	u32 have;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot_rw(trans, root, key, &path, 0, false);
	if (ret) {
		btrfs_path_release(&path);
		return ret < 0 ? ret : -ENOENT;
	}
	have = eb_item_size(path.nodes[0], path.slots[0]);
	memcpy(buf, eb_item_ptr(path.nodes[0], path.slots[0]),
	       have < *size ? have : *size);
	*size = have;
	btrfs_path_release(&path);
	return 0;
}

/* ---- deletion ---- */

static int rebalance_node(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  struct btrfs_path *path, int level, int removed);

/*
 * Frees path->nodes[level - 1] and removes its pointer (the slot in
 * path->slots[level]) from path->nodes[level].
 */
static int remove_child(struct btrfs_trans_handle *trans,
			struct btrfs_trans_root *root, struct btrfs_path *path,
			int level)
{
	int slot = path->slots[level];
	int err;

	err = btrfs_free_tree_block(trans, root, path->nodes[level - 1]);
	if (err)
		return err;
	node_delete_ptr(path->nodes[level], slot);
	return rebalance_node(trans, root, path, level, slot);
}

/* While the root is a node with one child, that child becomes the root. */
static int collapse_root(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root)
{
	while (root->root.level > 0) {
		struct extent_buffer *top, *child;
		int err;

		err = root_node_get(trans, root, &top);
		if (err)
			return err;
		if (eb_nritems(top) != 1) {
			extent_buffer_put(top);
			return 0;
		}
		err = cow_child(trans, root, top, 0, &child);
		if (!err) {
			root_point_to(trans, root, child);
			err = btrfs_free_tree_block(trans, root, top);
			extent_buffer_put(child);
		}
		extent_buffer_put(top);
		if (err)
			return err;
	}
	return 0;
}

static int merge_node(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root, struct btrfs_path *path,
		      int level)
{
	struct extent_buffer *parent = path->nodes[level + 1];
	struct extent_buffer *node = path->nodes[level], *sib;
	u32 max = btrfs_node_ptrs_max(node->len);
	u32 limit = max - max / 4;
	int pslot = path->slots[level + 1], err;

	if (pslot > 0) {
		err = cow_child(trans, root, parent, pslot - 1, &sib);
		if (err)
			return err;
		if (eb_nritems(sib) + eb_nritems(node) <= limit) {
			node_append_ptrs(sib, node, 0, (int)eb_nritems(node));
			extent_buffer_put(sib);
			return remove_child(trans, root, path, level + 1);
		}
		extent_buffer_put(sib);
	}
	if (pslot + 1 >= (int)eb_nritems(parent))
		return 0;
	err = cow_child(trans, root, parent, pslot + 1, &sib);
	if (err)
		return err;
	if (eb_nritems(sib) + eb_nritems(node) > limit) {
		extent_buffer_put(sib);
		return 0;
	}
	node_append_ptrs(node, sib, 0, (int)eb_nritems(sib));
	path_set(path, level, sib);
	path->slots[level + 1] = pslot + 1;
	return remove_child(trans, root, path, level + 1);
}

/* After a pointer was removed from path->nodes[level] at 'removed'. */
static int rebalance_node(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  struct btrfs_path *path, int level, int removed)
{
	struct extent_buffer *node = path->nodes[level];
	u32 n = eb_nritems(node);
	struct btrfs_key key;

	if (level + 1 >= BTRFS_MAX_LEVEL || !path->nodes[level + 1]) {
		if (n == 0) {
			btrfs_err_set(trans->fs_info,
				"root node of tree %llu became empty",
				(unsigned long long)root->root.objectid);
			return -EUCLEAN;
		}
		return collapse_root(trans, root);
	}
	if (n == 0)
		return remove_child(trans, root, path, level + 1);
	if (removed == 0) {
		eb_node_key(node, &key, 0);
		fixup_low_keys(path, level, &key);
	}
	if (n < btrfs_node_ptrs_max(node->len) / 4)
		return merge_node(trans, root, path, level);
	return 0;
}

static int merge_leaf(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root, struct btrfs_path *path)
{
	struct extent_buffer *parent = path->nodes[1];
	struct extent_buffer *leaf = path->nodes[0], *sib;
	u32 cap = btrfs_leaf_data_size(leaf->len);
	int pslot = path->slots[1], err;

	if (pslot > 0) {
		err = cow_child(trans, root, parent, pslot - 1, &sib);
		if (err)
			return err;
		if (leaf_used(sib) + leaf_used(leaf) <= cap) {
			leaf_append_items(sib, leaf, 0, (int)eb_nritems(leaf));
			extent_buffer_put(sib);
			return remove_child(trans, root, path, 1);
		}
		extent_buffer_put(sib);
	}
	if (pslot + 1 >= (int)eb_nritems(parent))
		return 0;
	err = cow_child(trans, root, parent, pslot + 1, &sib);
	if (err)
		return err;
	if (leaf_used(sib) + leaf_used(leaf) > cap) {
		extent_buffer_put(sib);
		return 0;
	}
	leaf_append_items(leaf, sib, 0, (int)eb_nritems(sib));
	path_set(path, 0, sib);
	path->slots[1] = pslot + 1;
	return remove_child(trans, root, path, 1);
}

int btrfs_del_items(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *root, struct btrfs_path *path,
		    int slot, int nr)
{
	struct extent_buffer *leaf = path->nodes[0];
	struct btrfs_key key;
	int err = 0;

	if (!leaf || !btrfs_block_is_new(trans, leaf) || nr <= 0 ||
	    slot + nr > (int)eb_nritems(leaf)) {
		err = -EINVAL;
		goto out;
	}
	leaf_delete_items(leaf, slot, nr);
	if (!path->nodes[1])
		goto out;
	if (eb_nritems(leaf) == 0) {
		err = remove_child(trans, root, path, 1);
		goto out;
	}
	if (slot == 0) {
		eb_item_key(leaf, &key, 0);
		fixup_low_keys(path, 0, &key);
	}
	if (leaf_used(leaf) < btrfs_leaf_data_size(leaf->len) / 3)
		err = merge_leaf(trans, root, path);
out:
	btrfs_path_release(path);
	return err;
}

int btrfs_delete_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key)
{
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot_rw(trans, root, key, &path, -1, true);
	if (ret) {
		btrfs_path_release(&path);
		return ret < 0 ? ret : -ENOENT;
	}
	return btrfs_del_items(trans, root, &path, path.slots[0], 1);
}
