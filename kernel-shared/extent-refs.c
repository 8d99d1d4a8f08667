// SPDX-License-Identifier: GPL-2.0-only
/*
 * Reference counting of extents: the delayed references of a transaction
 * and running them into the extent tree at commit.
 *
 * Each extent whose item changes has one head (struct btrfs_delayed_ref)
 * holding the distinct back references that change and by how much, the
 * extent flags to set, and for a tree block allocated in this transaction
 * the item to insert.  The commit runs the heads in bytenr order.  For one
 * head, added references go first, then the flags, then the dropped ones,
 * so that an extent is never freed while it gains a reference.
 *
 * The extent item keeps its back references inline, ordered as the kernel
 * orders them (by type, then by root or parent, or for EXTENT_DATA_REF by
 * hash, descending), while the item stays below the kernel's size limit
 * and no keyed back reference item exists; otherwise a new reference gets
 * its own item (the hash-keyed EXTENT_DATA_REF probes on collision).  When
 * the last reference goes, the extent item is deleted, the range returns
 * to the free space tree (pinned until the commit is on disk), the block
 * group and the superblock lose its bytes, and for data its checksums are
 * deleted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/csum.h"

/* ---- the queue ---- */

static struct btrfs_delayed_ref *head_get(struct btrfs_trans_handle *trans,
					  u64 bytenr, bool create)
{
	struct btrfs_delayed_ref *head = u64_map_get(&trans->refs, bytenr);

	if (head || !create)
		return head;
	head = calloc(1, sizeof(*head));
	if (!head)
		return NULL;
	head->bytenr = bytenr;
	if (u64_map_put(&trans->refs, bytenr, head)) {
		free(head);
		return NULL;
	}
	return head;
}

static void head_free(struct btrfs_delayed_ref *head)
{
	if (head)
		free(head->mods);
	free(head);
}

/* A head with nothing left to do goes away. */
static void head_put(struct btrfs_trans_handle *trans,
		     struct btrfs_delayed_ref *head)
{
	if (!head->nr_mods && !head->set_flags && !head->insert)
		head_free(u64_map_del(&trans->refs, head->bytenr));
}

static bool mod_same(const struct btrfs_ref_mod *a, const struct btrfs_ref_mod *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
		return a->root == b->root;
	case BTRFS_EXTENT_DATA_REF_KEY:
		return a->root == b->root && a->ino == b->ino &&
		       a->offset == b->offset;
	default:
		return a->parent == b->parent;
	}
}

/* Adds m to the head, merging it with a change of the same reference. */
static int head_add_mod(struct btrfs_delayed_ref *head,
			const struct btrfs_ref_mod *m)
{
	u32 i;

	for (i = 0; i < head->nr_mods; i++) {
		if (!mod_same(&head->mods[i], m))
			continue;
		head->mods[i].delta += m->delta;
		if (!head->mods[i].delta)
			head->mods[i] = head->mods[--head->nr_mods];
		return 0;
	}
	if (head->nr_mods == head->alloc_mods) {
		u32 n = head->alloc_mods ? head->alloc_mods * 2 : 2;
		struct btrfs_ref_mod *mods = realloc(head->mods, n * sizeof(*mods));

		if (!mods)
			return -ENOMEM;
		head->mods = mods;
		head->alloc_mods = n;
	}
	head->mods[head->nr_mods++] = *m;
	return 0;
}

static int queue_mod(struct btrfs_trans_handle *trans, u64 bytenr,
		     const struct btrfs_ref_mod *m, bool data, u64 num_bytes,
		     int level)
{
	struct btrfs_delayed_ref *head = head_get(trans, bytenr, true);
	int ret;

	if (!head)
		return -ENOMEM;
	if (!head->nr_mods && !head->set_flags && !head->insert) {
		head->data = data;
		head->num_bytes = num_bytes;
		head->level = level;
	} else if (head->data != data ||
		   (data && head->num_bytes != num_bytes) ||
		   (!data && head->level != level)) {
		btrfs_err_set(trans->fs_info,
			      "extent %llu referenced as two different extents",
			      (unsigned long long)bytenr);
		return -EUCLEAN;
	}
	ret = head_add_mod(head, m);
	head_put(trans, head);
	return ret;
}

int btrfs_queue_tree_ref(struct btrfs_trans_handle *trans, u64 bytenr,
			 int level, u8 type, u64 id, s64 delta)
{
	struct btrfs_ref_mod m = { .type = type, .delta = delta };

	if (type == BTRFS_TREE_BLOCK_REF_KEY)
		m.root = id;
	else if (type == BTRFS_SHARED_BLOCK_REF_KEY)
		m.parent = id;
	else
		return -EINVAL;
	return queue_mod(trans, bytenr, &m, false, 0, level);
}

int btrfs_queue_data_ref(struct btrfs_trans_handle *trans, u64 bytenr,
			 u64 num_bytes, const struct btrfs_ref_mod *mod)
{
	struct btrfs_ref_mod m = { .type = mod->type, .delta = mod->delta };

	if (mod->type == BTRFS_EXTENT_DATA_REF_KEY) {
		m.root = mod->root;
		m.ino = mod->ino;
		m.offset = mod->offset;
	} else if (mod->type == BTRFS_SHARED_DATA_REF_KEY) {
		m.parent = mod->parent;
	} else {
		return -EINVAL;
	}
	if (!num_bytes)
		return -EINVAL;
	return queue_mod(trans, bytenr, &m, true, num_bytes, 0);
}

int btrfs_queue_block_flags(struct btrfs_trans_handle *trans, u64 bytenr,
			    int level, u64 flags)
{
	struct btrfs_delayed_ref *head = head_get(trans, bytenr, true);

	if (!head)
		return -ENOMEM;
	if (!head->nr_mods && !head->set_flags && !head->insert)
		head->level = level;
	head->set_flags |= flags;
	return 0;
}

int btrfs_queue_new_block(struct btrfs_trans_handle *trans, u64 bytenr,
			  u64 root, int level, const struct btrfs_key *first_key)
{
	struct btrfs_ref_mod m = { .type = BTRFS_TREE_BLOCK_REF_KEY,
				   .root = root, .delta = 1 };
	struct btrfs_delayed_ref *head;
	int ret;

	if (u64_map_get(&trans->refs, bytenr)) {
		btrfs_err_set(trans->fs_info,
			"new tree block %llu has references queued already",
			(unsigned long long)bytenr);
		return -EUCLEAN;
	}
	head = head_get(trans, bytenr, true);
	if (!head)
		return -ENOMEM;
	head->insert = true;
	head->level = level;
	if (first_key)
		head->first_key = *first_key;
	ret = head_add_mod(head, &m);
	if (ret)
		head_free(u64_map_del(&trans->refs, bytenr));
	return ret;
}

bool btrfs_unqueue_new_block(struct btrfs_trans_handle *trans, u64 bytenr,
			     u64 root)
{
	struct btrfs_delayed_ref *head = u64_map_get(&trans->refs, bytenr);

	if (!head || !head->insert || head->set_flags || head->nr_mods != 1 ||
	    head->mods[0].type != BTRFS_TREE_BLOCK_REF_KEY ||
	    head->mods[0].root != root || head->mods[0].delta != 1)
		return false;
	head_free(u64_map_del(&trans->refs, bytenr));
	return true;
}

void btrfs_trans_release_refs(struct btrfs_trans_handle *trans)
{
	u32 i;

	for (i = 0; i < trans->refs.cap; i++)
		head_free(trans->refs.vals[i]);
	u64_map_free(&trans->refs);
	for (i = 0; i < trans->dirty.cap; i++)
		extent_buffer_put(trans->dirty.vals[i]);
	u64_map_free(&trans->dirty);
	range_set_free(&trans->pinned);
}

/* ---- the children of a block ---- */

static int queue_leaf_data_ref(struct btrfs_trans_handle *trans,
			       const struct extent_buffer *leaf, int slot,
			       u64 root, bool full, s64 delta)
{
	const struct btrfs_file_extent_item *fi;
	struct btrfs_ref_mod m = { .delta = delta };
	struct btrfs_key key;
	u64 bytenr;

	eb_item_key(leaf, &key, slot);
	if (key.type != BTRFS_EXTENT_DATA_KEY)
		return 0;
	if (eb_item_size(leaf, slot) < BTRFS_FILE_EXTENT_INLINE_DATA_START)
		return -EUCLEAN;
	fi = eb_item_ptr(leaf, slot);
	if (btrfs_file_extent_type(fi) == BTRFS_FILE_EXTENT_INLINE)
		return 0;
	if (eb_item_size(leaf, slot) < sizeof(*fi))
		return -EUCLEAN;
	bytenr = btrfs_file_extent_disk_bytenr(fi);
	if (!bytenr)
		return 0;	/* a hole */
	if (full) {
		m.type = BTRFS_SHARED_DATA_REF_KEY;
		m.parent = leaf->start;
	} else {
		m.type = BTRFS_EXTENT_DATA_REF_KEY;
		m.root = root;
		m.ino = key.objectid;
		m.offset = key.offset - btrfs_file_extent_offset(fi);
	}
	return btrfs_queue_data_ref(trans, bytenr,
				    btrfs_file_extent_disk_num_bytes(fi), &m);
}

int btrfs_queue_children_refs(struct btrfs_trans_handle *trans,
			      const struct extent_buffer *eb, u64 root,
			      bool full, s64 delta)
{
	int level = eb_level(eb), i, n = (int)eb_nritems(eb), ret = 0;

	for (i = 0; i < n && !ret; i++) {
		if (level == 0)
			ret = queue_leaf_data_ref(trans, eb, i, root, full, delta);
		else if (full)
			ret = btrfs_queue_tree_ref(trans, eb_node_blockptr(eb, i),
						   level - 1,
						   BTRFS_SHARED_BLOCK_REF_KEY,
						   eb->start, delta);
		else
			ret = btrfs_queue_tree_ref(trans, eb_node_blockptr(eb, i),
						   level - 1,
						   BTRFS_TREE_BLOCK_REF_KEY,
						   root, delta);
	}
	if (ret == -EUCLEAN)
		btrfs_err_set(trans->fs_info,
			      "invalid file extent item in leaf %llu",
			      (unsigned long long)eb->start);
	return ret;
}

/* ---- the extent item, in memory ---- */

/* An extent item copied out of the tree, changed, and written back. */
struct ext_item {
	struct btrfs_key key;
	u8 *buf;		/* room for the largest item */
	u32 size;
	u32 refs_start;		/* where the inline refs begin */
};

static struct btrfs_extent_item *ext_ei(const struct ext_item *it)
{
	return (struct btrfs_extent_item *)it->buf;
}

/* The value inline refs of m's type are ordered by, descending. */
static u64 mod_seq(const struct btrfs_ref_mod *m)
{
	switch (m->type) {
	case BTRFS_TREE_BLOCK_REF_KEY:
		return m->root;
	case BTRFS_EXTENT_DATA_REF_KEY:
		return btrfs_extent_data_ref_hash(m->root, m->ino, m->offset);
	default:
		return m->parent;
	}
}

/*
 * Looks m up among the inline refs: 1 and *pos at it when found, 0 and
 * *pos where it would be inserted when not, <0 for a malformed item.
 */
static int inline_find(const struct ext_item *it, const struct btrfs_ref_mod *m,
		       u32 *pos)
{
	u64 want = mod_seq(m);
	u32 cur = it->refs_start;

	while (cur < it->size) {
		const struct btrfs_extent_inline_ref *iref = (void *)(it->buf + cur);
		u8 type = btrfs_extent_inline_ref_type(iref);
		u32 size = extent_inline_ref_size(type);

		if (!size || cur + size > it->size)
			return -EUCLEAN;
		if (type > m->type)
			break;
		if (type == m->type && type == BTRFS_EXTENT_DATA_REF_KEY) {
			const struct btrfs_extent_data_ref *d = (void *)&iref->offset;

			if (btrfs_extent_data_ref_root(d) == m->root &&
			    btrfs_extent_data_ref_objectid(d) == m->ino &&
			    btrfs_extent_data_ref_offset(d) == m->offset) {
				*pos = cur;
				return 1;
			}
			if (btrfs_extent_data_ref_hash(btrfs_extent_data_ref_root(d),
					  btrfs_extent_data_ref_objectid(d),
					  btrfs_extent_data_ref_offset(d)) < want)
				break;
		} else if (type == m->type) {
			u64 off = btrfs_extent_inline_ref_offset(iref);

			if (off == want) {
				*pos = cur;
				return 1;
			}
			if (off < want)
				break;
		}
		cur += size;
	}
	*pos = cur;
	return 0;
}

/* The count of the inline ref at pos, and where it is kept (NULL: 1). */
static u32 inline_count(const struct ext_item *it, u32 pos, void **count)
{
	struct btrfs_extent_inline_ref *iref = (void *)(it->buf + pos);

	*count = NULL;
	switch (btrfs_extent_inline_ref_type(iref)) {
	case BTRFS_EXTENT_DATA_REF_KEY:
		*count = &iref->offset;
		return btrfs_extent_data_ref_count(*count);
	case BTRFS_SHARED_DATA_REF_KEY:
		*count = iref + 1;
		return btrfs_shared_data_ref_count(*count);
	}
	return 1;
}

static void inline_set_count(const struct ext_item *it, u32 pos, u32 value)
{
	struct btrfs_extent_inline_ref *iref = (void *)(it->buf + pos);

	if (btrfs_extent_inline_ref_type(iref) == BTRFS_EXTENT_DATA_REF_KEY)
		btrfs_set_extent_data_ref_count((void *)&iref->offset, value);
	else
		btrfs_set_shared_data_ref_count((void *)(iref + 1), value);
}

static void inline_insert(struct ext_item *it, u32 pos,
			  const struct btrfs_ref_mod *m)
{
	u32 size = extent_inline_ref_size(m->type);
	struct btrfs_extent_inline_ref *iref = (void *)(it->buf + pos);

	memmove(it->buf + pos + size, it->buf + pos, it->size - pos);
	it->size += size;
	memset(iref, 0, size);
	btrfs_set_extent_inline_ref_type(iref, m->type);
	switch (m->type) {
	case BTRFS_EXTENT_DATA_REF_KEY: {
		struct btrfs_extent_data_ref *d = (void *)&iref->offset;

		btrfs_set_extent_data_ref_root(d, m->root);
		btrfs_set_extent_data_ref_objectid(d, m->ino);
		btrfs_set_extent_data_ref_offset(d, m->offset);
		btrfs_set_extent_data_ref_count(d, (u32)m->delta);
		break;
	}
	case BTRFS_SHARED_DATA_REF_KEY:
		btrfs_set_extent_inline_ref_offset(iref, m->parent);
		btrfs_set_shared_data_ref_count((void *)(iref + 1), (u32)m->delta);
		break;
	default:
		btrfs_set_extent_inline_ref_offset(iref, mod_seq(m));
	}
}

static void inline_remove(struct ext_item *it, u32 pos)
{
	u8 type = btrfs_extent_inline_ref_type((void *)(it->buf + pos));
	u32 size = extent_inline_ref_size(type);

	memmove(it->buf + pos, it->buf + pos + size, it->size - pos - size);
	it->size -= size;
}

/* ---- reading and writing the extent item ---- */

static int ext_root(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root **ext)
{
	return btrfs_trans_get_root(trans, BTRFS_EXTENT_TREE_OBJECTID, ext);
}

static int extent_corrupt(struct btrfs_trans_handle *trans, u64 bytenr,
			  const char *why)
{
	btrfs_err_set(trans->fs_info, "extent %llu: %s",
		      (unsigned long long)bytenr, why);
	return -EUCLEAN;
}

/* The key of the extent item at bytenr (EXTENT_ITEM or METADATA_ITEM). */
static int extent_key_find(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *ext, u64 bytenr,
			   struct btrfs_key *found)
{
	struct btrfs_key key = { bytenr, BTRFS_EXTENT_ITEM_KEY, 0 };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_ge_rw(trans, ext, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], found, path.slots[0]);
		if (found->objectid != bytenr ||
		    (found->type != BTRFS_EXTENT_ITEM_KEY &&
		     found->type != BTRFS_METADATA_ITEM_KEY))
			ret = 1;
	}
	btrfs_path_release(&path);
	return ret > 0 ? extent_corrupt(trans, bytenr, "no extent item") : ret;
}

/* Reads the extent item of head (its key found once) into it. */
static int ext_read(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *ext,
		    const struct btrfs_delayed_ref *head, struct ext_item *it)
{
	u32 size = trans->fs_info->sb.nodesize;
	u64 flags;
	int ret;

	if (!it->key.objectid) {
		ret = extent_key_find(trans, ext, head->bytenr, &it->key);
		if (ret)
			return ret;
	}
	ret = btrfs_lookup_item_rw(trans, ext, &it->key, it->buf, &size);
	if (ret)
		return ret == -ENOENT ?
		       extent_corrupt(trans, head->bytenr, "no extent item") : ret;
	it->size = size;
	if (size < sizeof(struct btrfs_extent_item))
		return extent_corrupt(trans, head->bytenr, "extent item too small");
	flags = btrfs_extent_flags(ext_ei(it));
	if (head->data != !!(flags & BTRFS_EXTENT_FLAG_DATA) ||
	    head->data == !!(flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) ||
	    (head->data && (it->key.type != BTRFS_EXTENT_ITEM_KEY ||
			    it->key.offset != head->num_bytes)))
		return extent_corrupt(trans, head->bytenr,
				      "extent item does not match its use");
	it->refs_start = sizeof(struct btrfs_extent_item);
	if (it->key.type == BTRFS_EXTENT_ITEM_KEY && !head->data)
		it->refs_start += sizeof(struct btrfs_tree_block_info);
	if (it->refs_start > size)
		return extent_corrupt(trans, head->bytenr, "extent item too small");
	return 0;
}

static int ext_write(struct btrfs_trans_handle *trans,
		     struct btrfs_trans_root *ext, const struct ext_item *it)
{
	return btrfs_update_item(trans, ext, &it->key, it->buf, it->size);
}

/* The kernel's limit for an extent item that gains an inline ref. */
static u32 ext_max_size(const struct btrfs_fs_info *fs_info)
{
	return (btrfs_leaf_data_size(fs_info->sb.nodesize) >> 4) -
	       (u32)sizeof(struct btrfs_item);
}

/* Does any keyed back reference item of the extent exist? */
static int keyed_refs_exist(struct btrfs_trans_handle *trans,
			    struct btrfs_trans_root *ext, u64 bytenr)
{
	struct btrfs_key key = { bytenr, BTRFS_METADATA_ITEM_KEY + 1, 0 };
	struct btrfs_key found;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_ge_rw(trans, ext, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], &found, path.slots[0]);
		ret = found.objectid == bytenr &&
		      found.type < BTRFS_BLOCK_GROUP_ITEM_KEY;
	} else if (ret == 1) {
		ret = 0;
	}
	btrfs_path_release(&path);
	return ret;
}

/* ---- keyed back references ---- */

struct keyed_ref {
	struct btrfs_key key;
	u8 data[sizeof(struct btrfs_extent_data_ref)];
	u32 size;
	u32 count;
};

static bool dref_matches(const struct btrfs_extent_data_ref *d,
			 const struct btrfs_ref_mod *m)
{
	return btrfs_extent_data_ref_root(d) == m->root &&
	       btrfs_extent_data_ref_objectid(d) == m->ino &&
	       btrfs_extent_data_ref_offset(d) == m->offset;
}

/* The EXTENT_DATA_REF item of m, probing past hash collisions. */
static int keyed_data_find(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *ext, u64 bytenr,
			   const struct btrfs_ref_mod *m, struct keyed_ref *k)
{
	struct btrfs_key key = { bytenr, BTRFS_EXTENT_DATA_REF_KEY,
				 mod_seq(m) };
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_ge_rw(trans, ext, &key, &path);
	while (ret == 0) {
		const struct extent_buffer *leaf = path.nodes[0];
		int slot = path.slots[0];

		eb_item_key(leaf, &k->key, slot);
		if (k->key.objectid != bytenr ||
		    k->key.type != BTRFS_EXTENT_DATA_REF_KEY) {
			ret = 1;
			break;
		}
		if (eb_item_size(leaf, slot) != sizeof(struct btrfs_extent_data_ref)) {
			ret = extent_corrupt(trans, bytenr, "bad data ref item");
			break;
		}
		if (dref_matches(eb_item_ptr(leaf, slot), m)) {
			k->size = sizeof(struct btrfs_extent_data_ref);
			memcpy(k->data, eb_item_ptr(leaf, slot), k->size);
			k->count = btrfs_extent_data_ref_count((void *)k->data);
			break;
		}
		ret = btrfs_next_item_rw(trans, &path);
	}
	btrfs_path_release(&path);
	return ret;
}

/* 0 and k filled when m's keyed item exists, 1 when not. */
static int keyed_find(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *ext, u64 bytenr,
		      const struct btrfs_ref_mod *m, struct keyed_ref *k)
{
	u32 size = sizeof(k->data);
	int ret;

	if (m->type == BTRFS_EXTENT_DATA_REF_KEY)
		return keyed_data_find(trans, ext, bytenr, m, k);
	k->key = (struct btrfs_key){ bytenr, m->type, mod_seq(m) };
	ret = btrfs_lookup_item_rw(trans, ext, &k->key, k->data, &size);
	if (ret)
		return ret == -ENOENT ? 1 : ret;
	k->size = size;
	k->count = 1;
	if (m->type == BTRFS_SHARED_DATA_REF_KEY) {
		if (size != sizeof(struct btrfs_shared_data_ref))
			return extent_corrupt(trans, bytenr, "bad shared data ref item");
		k->count = btrfs_shared_data_ref_count((void *)k->data);
	} else if (size) {
		return extent_corrupt(trans, bytenr, "bad tree block ref item");
	}
	return 0;
}

static int keyed_set_count(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *ext, struct keyed_ref *k,
			   u32 count)
{
	if (!count)
		return btrfs_delete_item(trans, ext, &k->key);
	if (k->key.type == BTRFS_EXTENT_DATA_REF_KEY)
		btrfs_set_extent_data_ref_count((void *)k->data, count);
	else
		btrfs_set_shared_data_ref_count((void *)k->data, count);
	return btrfs_update_item(trans, ext, &k->key, k->data, k->size);
}

static int keyed_insert(struct btrfs_trans_handle *trans,
			struct btrfs_trans_root *ext, u64 bytenr,
			const struct btrfs_ref_mod *m)
{
	struct btrfs_key key = { bytenr, m->type, mod_seq(m) };
	struct btrfs_extent_data_ref d;
	struct btrfs_shared_data_ref s;
	int ret, tries;

	switch (m->type) {
	case BTRFS_SHARED_DATA_REF_KEY:
		btrfs_set_shared_data_ref_count(&s, (u32)m->delta);
		return btrfs_insert_item(trans, ext, &key, &s, sizeof(s));
	case BTRFS_EXTENT_DATA_REF_KEY:
		break;
	default:
		return btrfs_insert_item(trans, ext, &key, NULL, 0);
	}
	btrfs_set_extent_data_ref_root(&d, m->root);
	btrfs_set_extent_data_ref_objectid(&d, m->ino);
	btrfs_set_extent_data_ref_offset(&d, m->offset);
	btrfs_set_extent_data_ref_count(&d, (u32)m->delta);
	/* A collision takes the next free offset, as in the kernel. */
	for (tries = 0; tries < 1024; tries++, key.offset++) {
		ret = btrfs_insert_item(trans, ext, &key, &d, sizeof(d));
		if (ret != -EEXIST)
			return ret;
	}
	return extent_corrupt(trans, bytenr, "too many data ref hash collisions");
}

/* ---- one reference change ---- */

static int mod_add(struct btrfs_trans_handle *trans,
		   struct btrfs_trans_root *ext,
		   const struct btrfs_delayed_ref *head, struct ext_item *it,
		   const struct btrfs_ref_mod *m)
{
	bool counted = m->type == BTRFS_EXTENT_DATA_REF_KEY ||
		       m->type == BTRFS_SHARED_DATA_REF_KEY;
	struct btrfs_extent_item *ei = ext_ei(it);
	struct keyed_ref k;
	void *cnt;
	u32 pos;
	int ret;

	if (!counted && m->delta != 1)
		return extent_corrupt(trans, head->bytenr,
				      "tree block referenced twice by one owner");
	ret = inline_find(it, m, &pos);
	if (ret < 0)
		return extent_corrupt(trans, head->bytenr, "bad inline ref");
	if (ret == 1) {
		if (!counted)
			return extent_corrupt(trans, head->bytenr,
				"tree block referenced twice by one owner");
		inline_set_count(it, pos, inline_count(it, pos, &cnt) +
				 (u32)m->delta);
	} else {
		ret = keyed_find(trans, ext, head->bytenr, m, &k);
		if (ret < 0)
			return ret;
		if (ret == 0 && !counted)
			return extent_corrupt(trans, head->bytenr,
				"tree block referenced twice by one owner");
		if (ret == 0) {
			ret = keyed_set_count(trans, ext, &k,
					      k.count + (u32)m->delta);
		} else {
			ret = keyed_refs_exist(trans, ext, head->bytenr);
			if (ret == 0 && it->size + extent_inline_ref_size(m->type) <
					ext_max_size(trans->fs_info))
				inline_insert(it, pos, m);
			else if (ret >= 0)
				ret = keyed_insert(trans, ext, head->bytenr, m);
		}
		if (ret < 0)
			return ret;
	}
	btrfs_set_extent_refs(ei, btrfs_extent_refs(ei) + (u64)m->delta);
	return ext_write(trans, ext, it);
}

/* Drops -m->delta references; *freed when they were the last. */
static int mod_drop(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *ext,
		    const struct btrfs_delayed_ref *head, struct ext_item *it,
		    const struct btrfs_ref_mod *m, bool *freed)
{
	struct btrfs_extent_item *ei = ext_ei(it);
	u32 drop = (u32)-m->delta, have, pos;
	struct keyed_ref k;
	void *cnt;
	int ret;

	if (btrfs_extent_refs(ei) < drop)
		return extent_corrupt(trans, head->bytenr,
				      "dropping more references than it has");
	ret = inline_find(it, m, &pos);
	if (ret < 0)
		return extent_corrupt(trans, head->bytenr, "bad inline ref");
	if (ret == 1) {
		have = inline_count(it, pos, &cnt);
		if (have < drop)
			return extent_corrupt(trans, head->bytenr,
					      "dropping more references than it has");
		if (have == drop)
			inline_remove(it, pos);
		else
			inline_set_count(it, pos, have - drop);
	} else {
		ret = keyed_find(trans, ext, head->bytenr, m, &k);
		if (ret < 0)
			return ret;
		if (ret > 0 || k.count < drop)
			return extent_corrupt(trans, head->bytenr,
					      "dropping a back reference it does not have");
		ret = keyed_set_count(trans, ext, &k, k.count - drop);
		if (ret)
			return ret;
	}
	btrfs_set_extent_refs(ei, btrfs_extent_refs(ei) - drop);
	if (btrfs_extent_refs(ei))
		return ext_write(trans, ext, it);
	if (it->size != it->refs_start)
		return extent_corrupt(trans, head->bytenr,
				      "no references left but back references");
	*freed = true;
	return btrfs_delete_item(trans, ext, &it->key);
}

/* ---- freeing an extent ---- */

/* Deletes the checksums of [start, start+len), splitting items. */
static int csums_delete(struct btrfs_trans_handle *trans, u64 start, u64 len)
{
	const struct btrfs_sb_info *sb = &trans->fs_info->sb;
	struct btrfs_key key = { BTRFS_EXTENT_CSUM_OBJECTID,
				 BTRFS_EXTENT_CSUM_KEY, start + len - 1 };
	struct btrfs_trans_root *csum;
	struct btrfs_path path;
	u8 *buf;
	int ret;

	ret = btrfs_trans_get_root(trans, BTRFS_CSUM_TREE_OBJECTID, &csum);
	if (ret)
		return ret;
	buf = malloc(sb->nodesize);
	if (!buf)
		return -ENOMEM;
	btrfs_path_init(&path);
	for (;;) {
		struct btrfs_key found;
		u32 size;
		u64 end;

		ret = btrfs_search_le_rw(trans, csum, &key, &path);
		if (ret)
			break;
		eb_item_key(path.nodes[0], &found, path.slots[0]);
		size = eb_item_size(path.nodes[0], path.slots[0]);
		end = found.offset + (u64)(size / sb->csum_size) * sb->sectorsize;
		if (found.objectid != BTRFS_EXTENT_CSUM_OBJECTID ||
		    found.type != BTRFS_EXTENT_CSUM_KEY || end <= start) {
			ret = 1;
			break;
		}
		memcpy(buf, eb_item_ptr(path.nodes[0], path.slots[0]), size);
		btrfs_path_release(&path);
		ret = btrfs_delete_item(trans, csum, &found);
		if (!ret && found.offset < start)
			ret = btrfs_insert_item(trans, csum, &found, buf,
				(u32)((start - found.offset) / sb->sectorsize *
				      sb->csum_size));
		if (!ret && end > start + len) {
			u64 skip = (start + len - found.offset) / sb->sectorsize *
				   sb->csum_size;
			struct btrfs_key tail = found;

			tail.offset = start + len;
			ret = btrfs_insert_item(trans, csum, &tail, buf + skip,
						size - (u32)skip);
		}
		if (ret)
			break;
	}
	btrfs_path_release(&path);
	free(buf);
	return ret < 0 ? ret : 0;
}

static int extent_free(struct btrfs_trans_handle *trans,
		       const struct btrfs_delayed_ref *head)
{
	struct btrfs_bg *bg = btrfs_bg_lookup(trans->rw, head->bytenr);
	u64 len = head->data ? head->num_bytes : trans->fs_info->sb.nodesize;
	int ret;

	if (!bg || bg->used < len || head->bytenr + len > bg->start + bg->length)
		return extent_corrupt(trans, head->bytenr,
				      "outside its block group's usage");
	if (head->data) {
		ret = csums_delete(trans, head->bytenr, len);
		if (ret)
			return ret;
		if (!bg->bitmap_high)
			fst_set_thresholds(bg, trans->fs_info->sb.sectorsize);
	}
	ret = fst_add_range(trans, bg, head->bytenr, len);
	if (ret)
		return ret;
	bg->used -= len;
	bg->dirty = true;
	trans->bytes_used -= len;
	/* Committed trees may still point here until the commit lands. */
	return range_set_add(&trans->pinned, head->bytenr, len);
}

/* ---- running a head ---- */

static bool fs_skinny(const struct btrfs_fs_info *fs_info)
{
	return fs_info->sb.incompat_flags &
	       BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA;
}

/*
 * The extent item of a new tree block, with the head's first reference
 * inline; the caller applies the others.
 */
static int new_block_insert(struct btrfs_trans_handle *trans,
			    struct btrfs_trans_root *ext,
			    const struct btrfs_delayed_ref *head,
			    struct ext_item *it)
{
	const struct btrfs_ref_mod *m = &head->mods[0];
	bool skinny = fs_skinny(trans->fs_info);
	u32 nodesize = trans->fs_info->sb.nodesize;
	struct btrfs_bg *bg = btrfs_bg_lookup(trans->rw, head->bytenr);
	struct btrfs_extent_item *ei = ext_ei(it);
	int ret;

	if (!bg || !head->nr_mods || m->delta != 1 ||
	    (m->type != BTRFS_TREE_BLOCK_REF_KEY &&
	     m->type != BTRFS_SHARED_BLOCK_REF_KEY))
		return extent_corrupt(trans, head->bytenr,
				      "new tree block without its reference");
	it->key = (struct btrfs_key){ head->bytenr,
		skinny ? BTRFS_METADATA_ITEM_KEY : BTRFS_EXTENT_ITEM_KEY,
		skinny ? (u64)head->level : nodesize };
	memset(it->buf, 0, sizeof(*ei) + sizeof(struct btrfs_tree_block_info));
	btrfs_set_extent_refs(ei, 1);
	btrfs_set_extent_generation(ei, trans->transid);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_TREE_BLOCK |
			       head->set_flags);
	it->refs_start = it->size = sizeof(*ei);
	if (!skinny) {
		struct btrfs_tree_block_info *info = (void *)(it->buf + it->size);

		btrfs_cpu_key_to_disk(&info->key, &head->first_key);
		btrfs_set_tree_block_level(info, (u8)head->level);
		it->refs_start = it->size += sizeof(*info);
	}
	inline_insert(it, it->size, m);
	ret = btrfs_insert_item(trans, ext, &it->key, it->buf, it->size);
	if (ret == -EEXIST)
		return extent_corrupt(trans, head->bytenr,
				      "extent item for a new tree block exists");
	if (!ret)
		ret = fst_remove_range(trans, bg, head->bytenr, nodesize);
	bg->used += nodesize;
	bg->dirty = true;
	trans->bytes_used += nodesize;
	return ret;
}

static int mod_cmp(const void *a, const void *b)
{
	const struct btrfs_ref_mod *x = a, *y = b;

	/* Additions first; otherwise keep a stable, reproducible order. */
	if ((x->delta > 0) != (y->delta > 0))
		return x->delta > 0 ? -1 : 1;
	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	if (mod_seq(x) != mod_seq(y))
		return mod_seq(x) < mod_seq(y) ? -1 : 1;
	return 0;
}

static int head_run(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *ext, struct btrfs_delayed_ref *head,
		    u8 *buf)
{
	struct ext_item it = { .buf = buf };
	bool freed = false;
	u32 i = 0;
	int ret;

	if (head->insert) {
		ret = new_block_insert(trans, ext, head, &it);
		i = 1;
	} else {
		ret = ext_read(trans, ext, head, &it);
	}
	if (ret)
		return ret;
	if (head->nr_mods > i)
		qsort(head->mods + i, head->nr_mods - i, sizeof(*head->mods),
		      mod_cmp);
	for (; i < head->nr_mods && head->mods[i].delta > 0 && !ret; i++)
		ret = mod_add(trans, ext, head, &it, &head->mods[i]);
	if (!ret && head->set_flags && !head->insert) {
		btrfs_set_extent_flags(ext_ei(&it),
			btrfs_extent_flags(ext_ei(&it)) | head->set_flags);
		ret = ext_write(trans, ext, &it);
	}
	for (; i < head->nr_mods && !ret; i++) {
		if (freed)
			return extent_corrupt(trans, head->bytenr,
					      "references dropped after the last one");
		ret = mod_drop(trans, ext, head, &it, &head->mods[i], &freed);
	}
	if (!ret && freed)
		ret = extent_free(trans, head);
	return ret;
}

static int head_cmp(const void *a, const void *b)
{
	const struct btrfs_delayed_ref *x = *(void *const *)a;
	const struct btrfs_delayed_ref *y = *(void *const *)b;

	return x->bytenr < y->bytenr ? -1 : x->bytenr > y->bytenr;
}

/* Runs the heads queued so far; running them may queue more. */
static int refs_run_batch(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *ext)
{
	void **batch;
	u8 *buf;
	u32 nr, i;
	int ret;

	buf = malloc(trans->fs_info->sb.nodesize);
	if (!buf)
		return -ENOMEM;
	ret = u64_map_values(&trans->refs, &batch, &nr);
	if (ret) {
		free(buf);
		return ret;
	}
	u64_map_free(&trans->refs);
	qsort(batch, nr, sizeof(*batch), head_cmp);
	/* A new group's items must exist before its blocks' refs run. */
	for (i = 0; i < nr && !ret; i++) {
		ret = btrfs_create_pending_chunks(trans);
		if (!ret)
			ret = head_run(trans, ext, batch[i], buf);
	}
	for (i = 0; i < nr; i++)
		head_free(batch[i]);
	free(batch);
	free(buf);
	return ret;
}

int btrfs_run_delayed_refs(struct btrfs_trans_handle *trans)
{
	struct btrfs_trans_root *ext;
	int ret, rounds = 0;

	ret = ext_root(trans, &ext);
	if (ret)
		return ret;
	while (trans->refs.count) {
		if (++rounds > 1000) {
			btrfs_err_set(trans->fs_info,
				      "delayed references do not settle");
			return -ELOOP;
		}
		ret = refs_run_batch(trans, ext);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- looking up a tree block's references ---- */

int btrfs_lookup_extent_info(struct btrfs_trans_handle *trans, u64 bytenr,
			     int level, u64 *refs, u64 *flags)
{
	struct btrfs_delayed_ref probe = { .bytenr = bytenr, .level = level };
	const struct btrfs_delayed_ref *head = u64_map_get(&trans->refs, bytenr);
	struct btrfs_trans_root *ext;
	struct ext_item it = { 0 };
	s64 count;
	u32 i;
	int ret;

	ret = ext_root(trans, &ext);
	if (ret)
		return ret;
	it.buf = malloc(trans->fs_info->sb.nodesize);
	if (!it.buf)
		return -ENOMEM;
	ret = ext_read(trans, ext, &probe, &it);
	if (!ret) {
		count = (s64)btrfs_extent_refs(ext_ei(&it));
		*flags = btrfs_extent_flags(ext_ei(&it));
		for (i = 0; head && i < head->nr_mods; i++)
			count += head->mods[i].delta;
		if (head)
			*flags |= head->set_flags;
		if (count < 0)
			ret = extent_corrupt(trans, bytenr,
					     "fewer than no references");
		*refs = (u64)(count < 0 ? 0 : count);
	}
	free(it.buf);
	return ret;
}
