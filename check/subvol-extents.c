// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs check -E|--subvol-extents SUBVOL: every extent a subvolume uses,
 * with the subvolumes that reach it, in the shape and order stock btrfs
 * check prints them.
 *
 * The references come from two places.  The extent tree declares one per
 * back reference: a root (tree block ref, extent data ref) or a parent
 * block (shared refs).  And each node (level above 0) of a subvolume is
 * said to reference everything below it: every tree block under it and
 * every data extent its leaves point at get a reference with the node as
 * parent.  The roots of an extent are then collected in the order of its
 * references sorted by parent, then root: a root is taken as it is, a
 * parent for the roots of its own references, depth first; each root
 * once, in the order first met.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "check/check.h"

/* One reference: root, or parent (the other 0). */
struct ext_ref {
	u64 bytenr;
	u64 len;
	u64 parent;
	u64 root;
};

struct ext_refs {
	struct rec_vec refs;	/* struct ext_ref */
	struct rec_vec nodes;	/* u64: extent items of level > 0 */
};

/* Deeper than any tree: a loop of shared refs in a damaged extent tree. */
#define RESOLVE_DEPTH_MAX	64

static int ref_add(struct ext_refs *r, u64 bytenr, u64 len, u64 parent,
		   u64 root)
{
	struct ext_ref *ref = vec_push(&r->refs);

	if (!ref)
		return -ENOMEM;
	*ref = (struct ext_ref){ bytenr, len, parent, root };
	return 0;
}

static int ref_cmp(const void *a, const void *b)
{
	const struct ext_ref *x = a, *y = b;

	if (x->bytenr != y->bytenr)
		return x->bytenr < y->bytenr ? -1 : 1;
	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	return x->root < y->root ? -1 : x->root > y->root;
}

/* The first reference of bytenr in the sorted array v[0, nr). */
static const struct ext_ref *ref_first(const struct ext_ref *v, size_t nr,
				       u64 bytenr)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].bytenr < bytenr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nr && v[lo].bytenr == bytenr ? &v[lo] : NULL;
}

/* The back references of one extent item and its keyed refs. */
static int extent_item_refs(struct ext_refs *r, const struct btrfs_key *key,
			    const struct extent_buffer *leaf, int slot,
			    u32 nodesize)
{
	const u8 *item = eb_item_ptr(leaf, slot);
	u32 size = eb_item_size(leaf, slot), cur;
	const struct btrfs_extent_item *ei = (const void *)item;
	u64 len = key->type == BTRFS_METADATA_ITEM_KEY ? nodesize : key->offset;
	struct extent_ref ref;
	int level = 0, ret;
	u64 flags;

	if (size < sizeof(*ei))
		return 0;
	flags = btrfs_extent_flags(ei);
	if (key->type == BTRFS_METADATA_ITEM_KEY)
		level = (int)key->offset;
	else if ((flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) &&
		 size >= sizeof(*ei) + sizeof(struct btrfs_tree_block_info))
		level = btrfs_tree_block_level((const void *)(ei + 1));
	if (level > 0) {
		u64 *node = vec_push(&r->nodes);

		if (!node)
			return -ENOMEM;
		*node = key->objectid;
	}
	cur = extent_item_refs_start(key, flags);
	while ((ret = extent_inline_ref_next(item, size, &cur, &ref)) == 0) {
		if (ref.type == BTRFS_EXTENT_OWNER_REF_KEY)
			continue;
		ret = ref_add(r, key->objectid, len, ref.parent, ref.root);
		if (ret)
			return ret;
	}
	return ret < 0 && ret != -EUCLEAN ? ret : 0;
}

/* Every reference the extent tree declares. */
static int extent_tree_refs(struct btrfs_fs_info *fs_info, struct ext_refs *r)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	u64 bytenr = 0, len = 0;
	int ret;

	ret = btrfs_read_root(fs_info, BTRFS_EXTENT_TREE_OBJECTID, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		const struct extent_buffer *leaf = path.nodes[0];
		struct extent_ref ref;

		eb_item_key(leaf, &key, path.slots[0]);
		if (key.type == BTRFS_EXTENT_ITEM_KEY ||
		    key.type == BTRFS_METADATA_ITEM_KEY) {
			bytenr = key.objectid;
			len = key.type == BTRFS_METADATA_ITEM_KEY ?
			      fs_info->sb.nodesize : key.offset;
			ret = extent_item_refs(r, &key, leaf, path.slots[0],
					       fs_info->sb.nodesize);
		} else if (key.objectid == bytenr &&
			   key.type >= BTRFS_TREE_BLOCK_REF_KEY &&
			   key.type <= BTRFS_SHARED_DATA_REF_KEY &&
			   !extent_keyed_ref_decode(&key,
					eb_item_ptr(leaf, path.slots[0]),
					eb_item_size(leaf, path.slots[0]), &ref)) {
			ret = ref_add(r, bytenr, len, ref.parent, ref.root);
		} else {
			ret = 0;
		}
		if (ret)
			break;
		ret = btrfs_next_item(fs_info, &path);
		if (ret > 0) {
			ret = 0;
			break;
		}
	}
	btrfs_path_release(&path);
	return ret < 0 ? ret : 0;
}

/* The data extents of a leaf, referenced by 'parent'. */
static int leaf_refs(struct ext_refs *r, const struct extent_buffer *eb,
		     u64 parent)
{
	u32 i, nr = eb_nritems(eb);
	struct btrfs_key key;
	int ret;

	for (i = 0; i < nr; i++) {
		const struct btrfs_file_extent_item *fe;

		eb_item_key(eb, &key, (int)i);
		if (key.type != BTRFS_EXTENT_DATA_KEY ||
		    eb_item_size(eb, (int)i) < sizeof(*fe))
			continue;
		fe = eb_item_ptr(eb, (int)i);
		if (btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE ||
		    !btrfs_file_extent_disk_bytenr(fe))
			continue;
		ret = ref_add(r, btrfs_file_extent_disk_bytenr(fe),
			      btrfs_file_extent_disk_num_bytes(fe), parent, 0);
		if (ret)
			return ret;
	}
	return 0;
}

/* Everything under the node 'parent', referenced by it; takes over eb. */
static int implied_refs(struct btrfs_fs_info *fs_info, struct ext_refs *r,
			struct extent_buffer *eb, u64 parent)
{
	u32 i, nr = eb_nritems(eb);
	int ret = 0;

	if (eb->start != parent)
		ret = ref_add(r, eb->start, fs_info->sb.nodesize, parent, 0);
	if (!ret && !eb_level(eb))
		ret = leaf_refs(r, eb, parent);
	for (i = 0; !ret && eb_level(eb) && i < nr; i++) {
		struct btrfs_key key;
		struct tree_block_expect expect = { .first_key = &key };
		struct extent_buffer *child;

		eb_node_key(eb, &key, (int)i);
		expect.level = eb_level(eb) - 1;
		expect.generation = eb_node_ptr_generation(eb, (int)i);
		ret = tree_block_read(fs_info, eb_node_blockptr(eb, (int)i),
				      &expect, &child);
		if (!ret)
			ret = implied_refs(fs_info, r, child, parent);
	}
	extent_buffer_put(eb);
	return ret;
}

/* The tree a block belongs to, by its first references; 0 if unknown. */
static u64 block_root(const struct ext_ref *v, size_t nr, u64 bytenr)
{
	int depth;

	for (depth = 0; depth < RESOLVE_DEPTH_MAX; depth++) {
		const struct ext_ref *ref = ref_first(v, nr, bytenr);

		if (!ref)
			return 0;
		if (ref->root)
			return ref->root;
		if (ref->parent == bytenr)
			return BTRFS_TREE_RELOC_OBJECTID;
		bytenr = ref->parent;
	}
	return 0;
}

/* Adds root to the roots of an extent (u64, in the order met) once. */
static int root_set_add(struct rec_vec *s, u64 root)
{
	u64 *slot;
	size_t i;

	for (i = 0; i < s->nr; i++)
		if (*VEC_AT(s, u64, i) == root)
			return 0;
	slot = vec_push(s);
	if (!slot)
		return -ENOMEM;
	*slot = root;
	return 0;
}

/* The roots the references [ref, ...) of one extent lead to. */
static int roots_of(const struct rec_vec *refs, const struct ext_ref *ref,
		    struct rec_vec *s, int depth)
{
	const struct ext_ref *v = refs->data, *end = v + refs->nr;
	u64 bytenr = ref->bytenr;
	int ret = 0;

	if (depth > RESOLVE_DEPTH_MAX)
		return 0;
	for (; !ret && ref < end && ref->bytenr == bytenr; ref++) {
		const struct ext_ref *up;

		if (ref->root) {
			if (check_is_fs_tree(ref->root))
				ret = root_set_add(s, ref->root);
		} else if (ref->parent != bytenr) {
			up = ref_first(v, refs->nr, ref->parent);
			if (up)
				ret = roots_of(refs, up, s, depth + 1);
		}
	}
	return ret;
}

static int all_refs(struct btrfs_fs_info *fs_info, struct ext_refs *r)
{
	size_t i, n, nodes;
	struct ext_ref *v;
	int ret;

	ret = extent_tree_refs(fs_info, r);
	if (ret)
		return ret;
	vec_sort(&r->refs, ref_cmp);
	/* The roots of the nodes come from the extent tree's refs alone. */
	nodes = r->refs.nr;
	for (i = 0; i < r->nodes.nr; i++) {
		struct tree_block_expect expect = { .level = -1 };
		struct extent_buffer *eb;
		u64 node = *VEC_AT(&r->nodes, u64, i);
		/* The sorted first 'nodes'; implied_refs() may move refs.data. */
		u64 root = block_root(r->refs.data, nodes, node);

		if (!check_is_fs_tree(root))
			continue;
		ret = tree_block_read(fs_info, node, &expect, &eb);
		if (!ret)
			ret = implied_refs(fs_info, r, eb, node);
		if (ret)
			return ret;
	}
	vec_sort(&r->refs, ref_cmp);
	v = r->refs.data;
	for (i = 0, n = 0; i < r->refs.nr; i++)
		if (!n || ref_cmp(&v[n - 1], &v[i]))
			v[n++] = v[i];
	r->refs.nr = n;
	return 0;
}

int subvol_extents_print(struct btrfs_fs_info *fs_info, u64 subvol, FILE *out)
{
	struct ext_refs r = { .refs = VEC_INIT(struct ext_ref),
			      .nodes = VEC_INIT(u64) };
	struct rec_vec s = VEC_INIT(u64);
	size_t i = 0, k;
	int ret;

	ret = all_refs(fs_info, &r);
	if (!ret)
		fprintf(out, "Offset\t\tLen\tRoot Refs\tRoots\n");
	while (!ret && i < r.refs.nr) {
		const struct ext_ref *v = r.refs.data, *first = &v[i];

		s.nr = 0;
		ret = roots_of(&r.refs, first, &s, 0);
		while (i < r.refs.nr && v[i].bytenr == first->bytenr)
			i++;
		for (k = 0; !ret && k < s.nr && *VEC_AT(&s, u64, k) != subvol; k++)
			;
		if (ret || k == s.nr)
			continue;
		fprintf(out, "%llu\t%llu\t%zu\t",
			(unsigned long long)first->bytenr,
			(unsigned long long)first->len, s.nr);
		for (k = 0; k < s.nr; k++)
			fprintf(out, "%llu ",
				(unsigned long long)*VEC_AT(&s, u64, k));
		fputc('\n', out);
	}
	vec_free(&s);
	vec_free(&r.refs);
	vec_free(&r.nodes);
	return ret;
}
