// SPDX-License-Identifier: GPL-2.0-only
/*
 * Who owns a byte range: logical bytes are looked up in the extent tree
 * (tree block: its tree and level; data: the files that map it, found
 * through the back references and then in every subvolume and snapshot,
 * since snapshots share leaves without refs of their own); physical bytes
 * of one device first become superblock copies, unallocated space, RAID5/6
 * parity or logical ranges through the chunk map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "common/owners.h"

struct resolve {
	struct btrfs_fs_info *fs_info;
	struct btrfs_root extent_root;
	struct owner_list *out;
	u32 alloc;
	/* Every subvolume (FS_TREE included), loaded at the first data extent. */
	u64 *subvols;
	char **subvol_paths;	/* computed when first needed */
	u32 nr_subvols;
	bool subvols_loaded;
	/* Set for a physical query. */
	bool physical;
	u64 devid;
	/* Damaged metadata met while resolving the current piece. */
	bool incomplete;
};

/* An inode that refers to the extent, and the offset in its refs. */
struct candidate {
	u64 ino;
	u64 offset;		/* file offset minus extent offset */
};

struct candidates {
	struct candidate *c;
	u32 nr, alloc;
};

static int grow(void **arr, u32 *alloc, u32 need, size_t size)
{
	u32 n;
	void *tmp;

	if (need <= *alloc)
		return 0;
	n = *alloc ? *alloc * 2 : 8;
	while (n < need)
		n *= 2;
	tmp = realloc(*arr, (size_t)n * size);
	if (!tmp)
		return -ENOMEM;
	*arr = tmp;
	*alloc = n;
	return 0;
}

/*
 * Damaged metadata on the way to one owner must not hide the others: note
 * it and go on.  Running out of memory still fails.
 */
static int tolerate(struct resolve *r, int ret)
{
	if (ret >= 0 || ret == -ENOMEM)
		return ret;
	r->incomplete = true;
	r->fs_info->err[0] = '\0';
	return 0;
}

static struct owner_piece *piece_add(struct resolve *r, enum owner_kind kind,
				     u64 logical, u64 len)
{
	struct owner_list *l = r->out;
	struct owner_piece *p;

	if (grow((void **)&l->p, &r->alloc, l->nr + 1, sizeof(*l->p)))
		return NULL;
	p = &l->p[l->nr++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->logical = logical;
	p->len = len;
	p->devid = r->physical ? r->devid : 0;
	return p;
}

static int candidate_add(struct candidates *cs, u64 ino, u64 offset)
{
	u32 i;

	for (i = 0; i < cs->nr; i++)
		if (cs->c[i].ino == ino && cs->c[i].offset == offset)
			return 0;
	if (grow((void **)&cs->c, &cs->alloc, cs->nr + 1, sizeof(*cs->c)))
		return -ENOMEM;
	cs->c[cs->nr].ino = ino;
	cs->c[cs->nr].offset = offset;
	cs->nr++;
	return 0;
}

/* A regular or preallocated file extent item's view of disk_bytenr. */
static bool file_extent_points_at(const struct extent_buffer *eb, int slot,
				  u64 bytenr)
{
	const struct btrfs_file_extent_item *fi;
	u8 type;

	if (eb_item_size(eb, slot) < sizeof(*fi))
		return false;
	fi = eb_item_ptr(eb, slot);
	type = btrfs_file_extent_type(fi);
	if (type != BTRFS_FILE_EXTENT_REG && type != BTRFS_FILE_EXTENT_PREALLOC)
		return false;
	return btrfs_file_extent_disk_bytenr(fi) == bytenr;
}

/* A SHARED_DATA_REF: the file extent items of leaf parent that use bytenr. */
static int candidates_from_leaf(struct resolve *r, u64 parent, u64 bytenr,
				struct candidates *cs)
{
	struct tree_block_expect expect = { .level = 0 };
	struct extent_buffer *eb;
	struct btrfs_key key;
	u32 i;
	int ret;

	ret = tree_block_read(r->fs_info, parent, &expect, &eb);
	if (ret)
		return tolerate(r, ret);
	for (i = 0; i < eb_nritems(eb) && !ret; i++) {
		const struct btrfs_file_extent_item *fi = eb_item_ptr(eb, i);

		eb_item_key(eb, &key, i);
		if (key.type != BTRFS_EXTENT_DATA_KEY ||
		    !file_extent_points_at(eb, i, bytenr))
			continue;
		ret = candidate_add(cs, key.objectid,
				    key.offset - btrfs_file_extent_offset(fi));
	}
	extent_buffer_put(eb);
	return ret;
}

static int candidate_from_ref(struct resolve *r, const struct extent_ref *ref,
			      u64 bytenr, struct candidates *cs)
{
	if (ref->type == BTRFS_EXTENT_DATA_REF_KEY)
		return candidate_add(cs, ref->ino, ref->offset);
	if (ref->type == BTRFS_SHARED_DATA_REF_KEY)
		return candidates_from_leaf(r, ref->parent, bytenr, cs);
	return 0;
}

/* The extent item found for a queried byte, with a copy of its item. */
struct extent_hit {
	struct btrfs_key key;
	u64 start, len;
	u64 flags;
	u8 *item;
	u32 size;
	/* Keyed refs following the item. */
	struct extent_ref *refs;
	u32 nr_refs, alloc_refs;
};

static void extent_hit_free(struct extent_hit *h)
{
	free(h->item);
	free(h->refs);
	memset(h, 0, sizeof(*h));
}

static bool is_extent_key(const struct btrfs_key *k)
{
	return k->type == BTRFS_EXTENT_ITEM_KEY ||
	       k->type == BTRFS_METADATA_ITEM_KEY;
}

/* Copies the item at path into h, and the keyed refs after it. */
static int extent_hit_fill(struct resolve *r, struct btrfs_path *path,
			   struct extent_hit *h)
{
	struct extent_buffer *leaf = path->nodes[0];
	struct btrfs_key k;
	struct extent_ref ref;
	int ret;

	eb_item_key(leaf, &h->key, path->slots[0]);
	h->start = h->key.objectid;
	h->len = h->key.type == BTRFS_METADATA_ITEM_KEY ?
		 r->fs_info->sb.nodesize : h->key.offset;
	h->size = eb_item_size(leaf, path->slots[0]);
	if (h->size < sizeof(struct btrfs_extent_item))
		return -EUCLEAN;
	h->item = malloc(h->size);
	if (!h->item)
		return -ENOMEM;
	memcpy(h->item, eb_item_ptr(leaf, path->slots[0]), h->size);
	h->flags = btrfs_extent_flags((const void *)h->item);
	while ((ret = btrfs_next_item(r->fs_info, path)) == 0) {
		leaf = path->nodes[0];
		eb_item_key(leaf, &k, path->slots[0]);
		if (k.objectid != h->start || is_extent_key(&k))
			break;
		if (extent_keyed_ref_decode(&k, eb_item_ptr(leaf, path->slots[0]),
					    eb_item_size(leaf, path->slots[0]),
					    &ref))
			continue;
		if (grow((void **)&h->refs, &h->alloc_refs, h->nr_refs + 1,
			 sizeof(*h->refs)))
			return -ENOMEM;
		h->refs[h->nr_refs++] = ref;
	}
	return ret < 0 ? ret : 0;
}

/*
 * The extent holding byte cur (0, *h filled), or 1 with *next the start of
 * the first extent after cur (limit if none before it).  Extents start at
 * or after chunk_start, the start of cur's chunk.
 */
static int extent_find(struct resolve *r, u64 cur, u64 chunk_start, u64 limit,
		       struct extent_hit *h, u64 *next)
{
	struct btrfs_key key = { cur, (u8)-1, (u64)-1 }, k;
	struct btrfs_path path;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_slot(r->fs_info, &r->extent_root, &key, &path);
	while (ret >= 0) {
		ret = btrfs_prev_item(r->fs_info, &path);
		if (ret)
			break;
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.objectid < chunk_start) {
			ret = 1;
			break;
		}
		if (!is_extent_key(&k))
			continue;
		if (k.objectid + (k.type == BTRFS_METADATA_ITEM_KEY ?
				  r->fs_info->sb.nodesize : k.offset) > cur) {
			ret = extent_hit_fill(r, &path, h);
			goto out;
		}
		ret = 1;
		break;
	}
	if (ret < 0)
		goto out;
	*next = limit;
	key.objectid = cur + 1;
	key.type = 0;
	key.offset = 0;
	ret = btrfs_search_first(r->fs_info, &r->extent_root, &key, &path);
	while (ret == 0) {
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.objectid >= limit)
			break;
		if (is_extent_key(&k)) {
			*next = k.objectid;
			break;
		}
		ret = btrfs_next_item(r->fs_info, &path);
	}
	ret = ret < 0 ? ret : 1;
out:
	btrfs_path_release(&path);
	return ret;
}

/* Without a readable header: the level from the item, the tree from refs. */
static void tree_block_owner_from_refs(struct resolve *r,
				       const struct extent_hit *h,
				       struct owner_piece *p)
{
	const struct btrfs_tree_block_info *info;
	struct extent_buffer *eb;
	struct extent_ref ref;
	u32 cur = extent_item_refs_start(&h->key, h->flags), i;
	u64 parent = 0;

	if (h->key.type == BTRFS_METADATA_ITEM_KEY) {
		p->level = (int)h->key.offset;
	} else if (h->size >= sizeof(struct btrfs_extent_item) + sizeof(*info)) {
		info = (const void *)(h->item + sizeof(struct btrfs_extent_item));
		p->level = btrfs_tree_block_level(info);
	}
	while (!p->tree && extent_inline_ref_next(h->item, h->size, &cur,
						  &ref) == 0) {
		if (ref.type == BTRFS_TREE_BLOCK_REF_KEY)
			p->tree = ref.root;
		else if (ref.type == BTRFS_SHARED_BLOCK_REF_KEY)
			parent = ref.parent;
	}
	for (i = 0; i < h->nr_refs && !p->tree; i++) {
		if (h->refs[i].type == BTRFS_TREE_BLOCK_REF_KEY)
			p->tree = h->refs[i].root;
		else if (h->refs[i].type == BTRFS_SHARED_BLOCK_REF_KEY)
			parent = h->refs[i].parent;
	}
	/* A block shared by snapshots: its parent's tree owns it too. */
	if (!p->tree && parent) {
		struct tree_block_expect expect = { .level = p->level + 1 };

		if (tree_block_read(r->fs_info, parent, &expect, &eb) == 0) {
			p->tree = eb_owner(eb);
			extent_buffer_put(eb);
		}
	}
}

static int tree_block_piece(struct resolve *r, const struct extent_hit *h,
			    u64 cur, u64 len)
{
	struct tree_block_expect expect = { .level = -1 };
	struct owner_piece *p = piece_add(r, OWNER_TREE_BLOCK, cur, len);
	struct extent_buffer *eb;

	if (!p)
		return -ENOMEM;
	p->extent_start = h->start;
	p->extent_len = h->len;
	/* Any good copy names the tree; the damaged one may not. */
	if (tree_block_read(r->fs_info, h->start, &expect, &eb) == 0) {
		p->tree = eb_owner(eb);
		p->level = eb_level(eb);
		extent_buffer_put(eb);
		return 0;
	}
	r->fs_info->err[0] = '\0';
	tree_block_owner_from_refs(r, h, p);
	p->incomplete = !p->tree;
	return 0;
}

/* Every subvolume: the FS_TREE and the live ROOT_ITEMs with subvolume ids. */
static int subvols_load(struct resolve *r)
{
	struct btrfs_key key = { BTRFS_FIRST_FREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, 0 };
	struct btrfs_path path;
	u32 alloc = 0;
	int ret;

	if (r->subvols_loaded)
		return 0;
	ret = grow((void **)&r->subvols, &alloc, 1, sizeof(u64));
	if (ret)
		return ret;
	r->subvols[r->nr_subvols++] = BTRFS_FS_TREE_OBJECTID;
	btrfs_path_init(&path);
	ret = btrfs_search_first(r->fs_info, &r->fs_info->tree_root, &key, &path);
	while (ret == 0) {
		struct extent_buffer *leaf = path.nodes[0];
		const struct btrfs_root_item *ri;

		eb_item_key(leaf, &key, path.slots[0]);
		if (key.objectid > BTRFS_LAST_FREE_OBJECTID)
			break;
		ri = eb_item_ptr(leaf, path.slots[0]);
		/* A deleted snapshot waiting for cleanup has no refs. */
		if (key.type == BTRFS_ROOT_ITEM_KEY &&
		    eb_item_size(leaf, path.slots[0]) >= sizeof(*ri) &&
		    btrfs_root_refs(ri) &&
		    r->subvols[r->nr_subvols - 1] != key.objectid) {
			ret = grow((void **)&r->subvols, &alloc,
				   r->nr_subvols + 1, sizeof(u64));
			if (ret)
				break;
			r->subvols[r->nr_subvols++] = key.objectid;
		}
		ret = btrfs_next_item(r->fs_info, &path);
	}
	btrfs_path_release(&path);
	if (ret < 0)
		return ret;
	r->subvol_paths = calloc(r->nr_subvols, sizeof(char *));
	if (!r->subvol_paths)
		return -ENOMEM;
	r->subvols_loaded = true;
	return 0;
}

struct path_collect {
	const char *prefix;
	struct owner_file *file;
	u32 alloc;
};

static int path_collect_cb(const char *path, void *ctx)
{
	struct path_collect *pc = ctx;
	struct owner_file *f = pc->file;
	char *s;

	if (grow((void **)&f->paths, &pc->alloc, f->nr_paths + 1, sizeof(char *)))
		return -ENOMEM;
	if (asprintf(&s, "%s%s", pc->prefix, path) < 0)
		return -ENOMEM;
	f->paths[f->nr_paths++] = s;
	return 0;
}

/* Fills f->paths: the subvolume's own path, then each name of the inode. */
static int file_paths(struct resolve *r, u32 sv, const struct btrfs_root *root,
		      struct owner_file *f)
{
	struct path_collect pc = { NULL, f, 0 };
	int ret;

	if (!r->subvol_paths[sv]) {
		ret = btrfs_subvol_path(r->fs_info, r->subvols[sv],
					&r->subvol_paths[sv]);
		/* Detached (being deleted) or unreadable: name the tree. */
		if (ret && ret != -ENOENT && tolerate(r, ret))
			return ret;
		if (ret && asprintf(&r->subvol_paths[sv], "<subvolume %llu>",
				    (unsigned long long)r->subvols[sv]) < 0) {
			r->subvol_paths[sv] = NULL;
			return -ENOMEM;
		}
	}
	pc.prefix = r->subvol_paths[sv];
	ret = btrfs_inode_paths(r->fs_info, root, f->ino, path_collect_cb, &pc);
	return tolerate(r, ret < 0 ? ret : 0);
}

/* The queried extent bytes [q0, q1), relative to the extent's start. */
struct data_query {
	u64 bytenr;
	u64 q0, q1;
	struct owner_piece *piece;
	u32 alloc_files;
};

/* One file extent item using the extent: the file range it gives. */
static int data_item_match(struct resolve *r, struct data_query *dq, u32 sv,
			   const struct btrfs_root *root,
			   const struct btrfs_key *key,
			   const struct btrfs_file_extent_item *fi)
{
	struct owner_piece *p = dq->piece;
	u64 eo = btrfs_file_extent_offset(fi);
	u64 nb = btrfs_file_extent_num_bytes(fi);
	u8 comp = btrfs_file_extent_compression(fi);
	struct owner_file *f;
	u64 o0, o1, i;

	if (comp) {
		o0 = eo;
		o1 = eo + nb;
	} else {
		o0 = dq->q0 > eo ? dq->q0 : eo;
		o1 = dq->q1 < eo + nb ? dq->q1 : eo + nb;
		if (o0 >= o1)
			return 0;
	}
	for (i = 0; i < p->nr_files; i++) {
		f = &p->files[i];
		if (f->root == root->objectid && f->ino == key->objectid &&
		    f->file_offset == key->offset + (o0 - eo))
			return 0;
	}
	if (grow((void **)&p->files, &dq->alloc_files, p->nr_files + 1,
		 sizeof(*p->files)))
		return -ENOMEM;
	f = &p->files[p->nr_files++];
	memset(f, 0, sizeof(*f));
	f->root = root->objectid;
	f->ino = key->objectid;
	f->file_offset = key->offset + (o0 - eo);
	f->len = o1 - o0;
	f->compression = comp;
	return file_paths(r, sv, root, f);
}

/*
 * The file extent items of (ino, refs at offset) in one subvolume that use
 * the extent.  They sit at file offsets offset + extent offset, below
 * offset + ram_bytes, which the first of them tells.
 */
static int data_scan_inode(struct resolve *r, struct data_query *dq, u32 sv,
			   const struct btrfs_root *root,
			   const struct candidate *c)
{
	struct btrfs_key key = { c->ino, BTRFS_EXTENT_DATA_KEY, c->offset };
	struct btrfs_file_extent_item fi;
	struct btrfs_path path;
	u64 end = (u64)-1;
	int ret;

	btrfs_path_init(&path);
	ret = btrfs_search_first(r->fs_info, root, &key, &path);
	while (ret == 0) {
		struct extent_buffer *leaf = path.nodes[0];

		eb_item_key(leaf, &key, path.slots[0]);
		if (key.objectid != c->ino || key.type != BTRFS_EXTENT_DATA_KEY ||
		    key.offset >= end)
			break;
		if (file_extent_points_at(leaf, path.slots[0], dq->bytenr)) {
			memcpy(&fi, eb_item_ptr(leaf, path.slots[0]), sizeof(fi));
			if (c->offset + btrfs_file_extent_ram_bytes(&fi) > c->offset)
				end = c->offset + btrfs_file_extent_ram_bytes(&fi);
			if (key.offset - btrfs_file_extent_offset(&fi) == c->offset) {
				ret = data_item_match(r, dq, sv, root, &key, &fi);
				if (ret)
					break;
			}
		}
		ret = btrfs_next_item(r->fs_info, &path);
	}
	btrfs_path_release(&path);
	return tolerate(r, ret < 0 ? ret : 0);
}

static int data_candidates(struct resolve *r, const struct extent_hit *h,
			   struct candidates *cs)
{
	struct extent_ref ref;
	u32 cur = extent_item_refs_start(&h->key, h->flags), i;
	int ret;

	while ((ret = extent_inline_ref_next(h->item, h->size, &cur, &ref)) == 0) {
		ret = candidate_from_ref(r, &ref, h->start, cs);
		if (ret)
			return ret;
	}
	if (ret < 0 && tolerate(r, ret))
		return ret;
	for (i = 0; i < h->nr_refs; i++) {
		ret = candidate_from_ref(r, &h->refs[i], h->start, cs);
		if (ret)
			return ret;
	}
	return 0;
}

static int owner_file_cmp(const void *a, const void *b)
{
	const struct owner_file *x = a, *y = b;

	if (x->root != y->root)
		return x->root < y->root ? -1 : 1;
	if (x->ino != y->ino)
		return x->ino < y->ino ? -1 : 1;
	if (x->file_offset != y->file_offset)
		return x->file_offset < y->file_offset ? -1 : 1;
	return 0;
}

static int data_piece(struct resolve *r, const struct extent_hit *h, u64 cur,
		      u64 len)
{
	struct candidates cs = { NULL, 0, 0 };
	struct data_query dq;
	struct btrfs_root root;
	u32 sv, i;
	int ret;

	dq.piece = piece_add(r, OWNER_DATA, cur, len);
	if (!dq.piece)
		return -ENOMEM;
	dq.piece->extent_start = h->start;
	dq.piece->extent_len = h->len;
	dq.bytenr = h->start;
	dq.q0 = cur - h->start;
	dq.q1 = dq.q0 + len;
	dq.alloc_files = 0;
	r->incomplete = false;
	ret = data_candidates(r, h, &cs);
	if (!ret)
		ret = subvols_load(r);
	for (sv = 0; !ret && cs.nr && sv < r->nr_subvols; sv++) {
		ret = btrfs_read_root(r->fs_info, r->subvols[sv], &root, NULL);
		if (ret) {
			ret = ret == -ENOENT ? 0 : tolerate(r, ret);
			continue;
		}
		for (i = 0; !ret && i < cs.nr; i++)
			ret = data_scan_inode(r, &dq, sv, &root, &cs.c[i]);
	}
	free(cs.c);
	dq.piece->incomplete = r->incomplete;
	if (dq.piece->nr_files > 1)
		qsort(dq.piece->files, dq.piece->nr_files,
		      sizeof(*dq.piece->files), owner_file_cmp);
	return ret;
}

static int extent_piece(struct resolve *r, const struct extent_hit *h, u64 cur,
			u64 len)
{
	if (h->flags & BTRFS_EXTENT_FLAG_TREE_BLOCK)
		return tree_block_piece(r, h, cur, len);
	return data_piece(r, h, cur, len);
}

/* Pieces of [logical, +len) inside one chunk; physical: where it starts. */
static int resolve_in_chunk(struct resolve *r, const struct chunk_map *map,
			    u64 logical, u64 len, u64 physical)
{
	u64 cur = logical, end = logical + len, next, piece_end;
	u32 first = r->out->nr, i;
	int ret = 0;

	while (cur < end && !ret) {
		struct extent_hit h;

		memset(&h, 0, sizeof(h));
		ret = extent_find(r, cur, map->logical, end, &h, &next);
		if (ret < 0) {
			extent_hit_free(&h);
			break;
		}
		if (ret == 0) {
			piece_end = h.start + h.len < end ? h.start + h.len : end;
			ret = extent_piece(r, &h, cur, piece_end - cur);
		} else {
			piece_end = next;
			ret = piece_add(r, OWNER_FREE, cur, piece_end - cur) ?
			      0 : -ENOMEM;
		}
		extent_hit_free(&h);
		cur = piece_end;
	}
	for (i = first; i < r->out->nr; i++) {
		r->out->p[i].chunk_type = map->type;
		if (r->physical)
			r->out->p[i].physical = physical +
						(r->out->p[i].logical - logical);
	}
	return ret;
}

static int resolve_init(struct resolve *r, struct btrfs_fs_info *fs_info,
			struct owner_list *out)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->fs_info = fs_info;
	r->out = out;
	out->p = NULL;
	out->nr = 0;
	ret = btrfs_read_root(fs_info, BTRFS_EXTENT_TREE_OBJECTID,
			      &r->extent_root, NULL);
	if (ret)
		btrfs_err_set(fs_info, "cannot read the extent tree: %s",
			      strerror(-ret));
	return ret;
}

static int resolve_done(struct resolve *r, int ret)
{
	u32 i;

	for (i = 0; i < r->nr_subvols && r->subvol_paths; i++)
		free(r->subvol_paths[i]);
	free(r->subvol_paths);
	free(r->subvols);
	if (ret) {
		if (!r->fs_info->err[0])
			btrfs_err_set(r->fs_info, "cannot resolve owners: %s",
				      strerror(-ret));
		owner_list_free(r->out);
	}
	return ret;
}

static int resolve_logical(struct resolve *r, u64 logical, u64 len)
{
	u64 cur = logical, end = logical + len, n;
	int ret = 0;

	while (cur < end && !ret) {
		const struct chunk_map *map = chunk_map_lookup(r->fs_info, cur);

		if (!map) {
			btrfs_err_set(r->fs_info, "logical %llu is in no chunk",
				      (unsigned long long)cur);
			return -ENOENT;
		}
		n = map->logical + map->length - cur;
		if (n > end - cur)
			n = end - cur;
		ret = resolve_in_chunk(r, map, cur, n, 0);
		cur += n;
	}
	return ret;
}

int owners_resolve_logical(struct btrfs_fs_info *fs_info, u64 logical, u64 len,
			   struct owner_list *out)
{
	struct resolve r;
	int ret;

	if (!len || logical + len < logical) {
		out->p = NULL;
		out->nr = 0;
		btrfs_err_set(fs_info, "invalid range %llu+%llu",
			      (unsigned long long)logical,
			      (unsigned long long)len);
		return -EINVAL;
	}
	ret = resolve_init(&r, fs_info, out);
	if (!ret)
		ret = resolve_logical(&r, logical, len);
	return resolve_done(&r, ret);
}

/* Copy 'mirror' of the superblock on dev, or 0 when the device is too small. */
static u64 super_copy_at(const struct btrfs_device *dev, int mirror)
{
	u64 off = btrfs_sb_offset(mirror);
	u64 size = dev->total_bytes ? dev->total_bytes : dev->size;

	return off + BTRFS_SUPER_INFO_SIZE <= size ? off : 0;
}

/*
 * What device byte cur is: a superblock copy (returns 1, *start), inside
 * stripe *idx of chunk *map (returns 2), or nothing (returns 0).  *next is
 * where the next superblock copy or device extent starts (or limit).
 */
static int physical_classify(struct resolve *r, const struct btrfs_device *dev,
			     u64 cur, u64 limit, u64 *start,
			     const struct chunk_map **ret_map, u32 *idx,
			     u64 *next)
{
	struct btrfs_fs_info *fs_info = r->fs_info;
	int m, found = 0;
	u32 c, s;

	*next = limit;
	for (m = 0; m < BTRFS_SUPER_MIRROR_MAX; m++) {
		u64 off = super_copy_at(dev, m);

		if (!off)
			continue;
		if (cur >= off && cur < off + BTRFS_SUPER_INFO_SIZE) {
			*start = off;
			*next = off + BTRFS_SUPER_INFO_SIZE;
			return 1;
		}
		if (off > cur && off < *next)
			*next = off;
	}
	for (c = 0; c < fs_info->nr_chunks; c++) {
		const struct chunk_map *map = fs_info->chunks[c];
		u64 size = chunk_map_stripe_size(map);

		for (s = 0; s < map->num_stripes; s++) {
			u64 phys = map->stripes[s].physical;

			if (map->stripes[s].devid != r->devid)
				continue;
			if (!found && cur >= phys && cur - phys < size) {
				*ret_map = map;
				*idx = s;
				found = 2;
			} else if (phys > cur && phys < *next) {
				*next = phys;
			}
		}
	}
	return found;
}

static int resolve_physical(struct resolve *r, const struct btrfs_device *dev,
			    u64 physical, u64 len)
{
	u64 cur = physical, end = physical + len, next, start = 0, logical, n;
	const struct chunk_map *map = NULL;
	struct owner_piece *p;
	u32 idx = 0;
	int what, ret = 0;

	while (cur < end && !ret) {
		what = physical_classify(r, dev, cur, end, &start, &map, &idx,
					 &next);
		if (what == 2) {
			ret = chunk_map_reverse(map, idx, cur - map->stripes[idx].physical,
						&logical, &n);
			if (ret < 0)
				break;
			if (n > next - cur)
				n = next - cur;
			if (ret == 0) {
				ret = resolve_in_chunk(r, map, logical, n, cur);
				cur += n;
				continue;
			}
			p = piece_add(r, OWNER_PARITY, logical, n);
			if (p)
				p->chunk_type = map->type;
		} else {
			n = next - cur;
			p = piece_add(r, what ? OWNER_SUPERBLOCK : OWNER_UNALLOCATED,
				      0, n);
			if (p && what) {
				p->extent_start = start;
				p->extent_len = BTRFS_SUPER_INFO_SIZE;
			}
		}
		if (!p)
			return -ENOMEM;
		p->physical = cur;
		ret = 0;
		cur += n;
	}
	return ret;
}

int owners_resolve_physical(struct btrfs_fs_info *fs_info, u64 devid,
			    u64 physical, u64 len, struct owner_list *out)
{
	const struct btrfs_device *dev = btrfs_device_find(fs_info, devid);
	struct resolve r;
	int ret;

	out->p = NULL;
	out->nr = 0;
	if (!len || physical + len < physical) {
		btrfs_err_set(fs_info, "invalid range %llu+%llu",
			      (unsigned long long)physical,
			      (unsigned long long)len);
		return -EINVAL;
	}
	if (!dev) {
		btrfs_err_set(fs_info, "no device with devid %llu",
			      (unsigned long long)devid);
		return -ENODEV;
	}
	ret = resolve_init(&r, fs_info, out);
	r.physical = true;
	r.devid = devid;
	if (!ret)
		ret = resolve_physical(&r, dev, physical, len);
	return resolve_done(&r, ret);
}

void owner_list_free(struct owner_list *l)
{
	u32 i, j, k;

	for (i = 0; i < l->nr; i++) {
		struct owner_piece *p = &l->p[i];

		for (j = 0; j < p->nr_files; j++) {
			for (k = 0; k < p->files[j].nr_paths; k++)
				free(p->files[j].paths[k]);
			free(p->files[j].paths);
		}
		free(p->files);
	}
	free(l->p);
	l->p = NULL;
	l->nr = 0;
}
