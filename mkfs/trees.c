// SPDX-License-Identifier: GPL-2.0-only
/*
 * The items of every tree of a new filesystem.
 *
 * What a fresh filesystem holds (the same as stock mkfs.btrfs 6.2):
 *   root tree    a root item per tree below, the ROOT_TREE_DIR directory
 *                (inode 6) with its "default" entry naming the fs tree
 *   chunk tree   a device item per device and one chunk item per chunk
 *   dev tree     a device extent per chunk stripe
 *   extent tree  a METADATA_ITEM (or EXTENT_ITEM) with an inline tree block
 *                backref for every tree block; block group items unless
 *                the block group tree holds them
 *   fs tree      the root directory, inode 256, with its ".." ref; with
 *                --dax-inherit it carries the DAX, NODATACOW and NODATASUM
 *                flags, which files created in it inherit
 *   data reloc   the same directory layout as the fs tree
 *   csum tree    empty
 *   uuid tree    the fs tree's uuid mapped to subvolume 5
 *   free space   per block group an info item and its free extents
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel-shared/csum.h"
#include "mkfs/mkfs.h"

int mkfs_tree_add(struct mkfs_tree *t, u64 objectid, u8 type, u64 offset,
		  const void *data, u32 size, void **ret)
{
	struct mkfs_item *item;

	if (t->nr_items == t->alloc_items) {
		u32 n = t->alloc_items ? 2 * t->alloc_items : 16;
		struct mkfs_item *p = realloc(t->items, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->items = p;
		t->alloc_items = n;
	}
	item = &t->items[t->nr_items];
	item->data = calloc(1, size ? size : 1);
	if (!item->data)
		return -ENOMEM;
	if (data)
		memcpy(item->data, data, size);
	item->key.objectid = objectid;
	item->key.type = type;
	item->key.offset = offset;
	item->size = size;
	t->nr_items++;
	if (ret)
		*ret = item->data;
	return 0;
}

static int item_cmp(const void *a, const void *b)
{
	const struct mkfs_item *x = a, *y = b;

	return btrfs_comp_keys(&x->key, &y->key);
}

void mkfs_tree_sort(struct mkfs_tree *t)
{
	if (t->nr_items > 1)
		qsort(t->items, t->nr_items, sizeof(*t->items), item_cmp);
}

void mkfs_tree_free_items(struct mkfs_tree *t)
{
	u32 i;

	for (i = 0; i < t->nr_items; i++)
		free(t->items[i].data);
	t->nr_items = 0;
}

static void timespec_set(struct btrfs_timespec *ts, u64 sec)
{
	btrfs_set_timespec_sec(ts, sec);
	btrfs_set_timespec_nsec(ts, 0);
}

/* A directory inode as mkfs creates them: empty, one link, 0755. */
static void dir_inode_fill(const struct mkfs_fs *fs,
			   struct btrfs_inode_item *ii, u64 nbytes, u64 flags)
{
	memset(ii, 0, sizeof(*ii));
	btrfs_set_inode_flags(ii, flags);
	btrfs_set_inode_generation(ii, MKFS_GENERATION);
	btrfs_set_inode_transid(ii, MKFS_GENERATION);
	btrfs_set_inode_nbytes(ii, nbytes);
	btrfs_set_inode_nlink(ii, 1);
	btrfs_set_inode_mode(ii, S_IFDIR | 0755);
	timespec_set(&ii->atime, fs->now);
	timespec_set(&ii->ctime, fs->now);
	timespec_set(&ii->mtime, fs->now);
	timespec_set(&ii->otime, fs->now);
}

static int inode_ref_add(struct mkfs_tree *t, u64 ino, u64 parent,
			 const char *name)
{
	u16 len = (u16)strlen(name);
	struct btrfs_inode_ref *ref;
	int ret;

	ret = mkfs_tree_add(t, ino, BTRFS_INODE_REF_KEY, parent, NULL,
			    sizeof(*ref) + len, (void **)&ref);
	if (ret)
		return ret;
	btrfs_set_inode_ref_index(ref, 0);
	btrfs_set_inode_ref_name_len(ref, len);
	memcpy(ref + 1, name, len);
	return 0;
}

/* Inode 256 and its ".." ref: the top directory of a subvolume tree. */
static int subvol_dir_add(const struct mkfs_fs *fs, struct mkfs_tree *t,
			  u64 nbytes, u64 flags)
{
	struct btrfs_inode_item ii;
	int ret;

	dir_inode_fill(fs, &ii, nbytes, flags);
	ret = mkfs_tree_add(t, BTRFS_FIRST_FREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			    0, &ii, sizeof(ii), NULL);
	if (ret)
		return ret;
	return inode_ref_add(t, BTRFS_FIRST_FREE_OBJECTID,
			     BTRFS_FIRST_FREE_OBJECTID, "..");
}

void mkfs_fill_dev_item(const struct mkfs_fs *fs, u32 dev,
			struct btrfs_dev_item *di)
{
	const struct mkfs_fs_dev *d = &fs->devs[dev];
	u32 sectorsize = fs->cfg->sectorsize;

	memset(di, 0, sizeof(*di));
	btrfs_set_device_id(di, d->devid);
	btrfs_set_device_total_bytes(di, d->total_bytes);
	btrfs_set_device_bytes_used(di, mkfs_dev_bytes_used(fs, dev));
	btrfs_set_device_io_align(di, sectorsize);
	btrfs_set_device_io_width(di, sectorsize);
	btrfs_set_device_sector_size(di, sectorsize);
	memcpy(di->uuid, d->uuid, BTRFS_UUID_SIZE);
	memcpy(di->fsid, fs->fsid, BTRFS_FSID_SIZE);
}

void mkfs_fill_chunk_item(const struct mkfs_fs *fs, const struct mkfs_chunk *c,
			  struct btrfs_chunk *item)
{
	u32 i;

	memset(item, 0, btrfs_chunk_item_size(c->num_stripes));
	btrfs_set_chunk_length(item, c->length);
	btrfs_set_chunk_owner(item, BTRFS_EXTENT_TREE_OBJECTID);
	btrfs_set_chunk_stripe_len(item, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_type(item, c->type);
	btrfs_set_chunk_io_align(item, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_io_width(item, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_sector_size(item, fs->cfg->sectorsize);
	btrfs_set_chunk_num_stripes(item, (u16)c->num_stripes);
	btrfs_set_chunk_sub_stripes(item, (u16)c->sub_stripes);
	/* Stripes past the first lie beyond the struct: copy them in whole. */
	for (i = 0; i < c->num_stripes; i++) {
		const struct mkfs_fs_dev *d = &fs->devs[c->stripes[i].dev];
		struct btrfs_stripe s;

		btrfs_set_stripe_devid(&s, d->devid);
		btrfs_set_stripe_offset(&s, c->stripes[i].physical);
		memcpy(s.dev_uuid, d->uuid, BTRFS_UUID_SIZE);
		memcpy((u8 *)item + offsetof(struct btrfs_chunk, stripe) +
		       i * sizeof(s), &s, sizeof(s));
	}
}

static int fill_chunk_tree(struct mkfs_fs *fs)
{
	struct mkfs_tree *t = &fs->trees[MKFS_TREE_CHUNK];
	struct btrfs_dev_item di;
	int i, ret = 0;
	u32 d;

	for (d = 0; d < fs->nr_devs && !ret; d++) {
		mkfs_fill_dev_item(fs, d, &di);
		ret = mkfs_tree_add(t, BTRFS_DEV_ITEMS_OBJECTID,
				    BTRFS_DEV_ITEM_KEY, fs->devs[d].devid,
				    &di, sizeof(di), NULL);
	}
	for (i = 0; i < MKFS_NR_CHUNKS && !ret; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];
		void *item;

		if (!c->present)
			continue;
		ret = mkfs_tree_add(t, BTRFS_FIRST_CHUNK_TREE_OBJECTID,
				    BTRFS_CHUNK_ITEM_KEY, c->logical, NULL,
				    btrfs_chunk_item_size(c->num_stripes), &item);
		if (!ret)
			mkfs_fill_chunk_item(fs, c, item);
	}
	return ret;
}

static int fill_dev_tree(struct mkfs_fs *fs)
{
	struct mkfs_tree *t = &fs->trees[MKFS_TREE_DEV];
	struct btrfs_dev_extent de;
	u32 s;
	int i, ret;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];

		if (!c->present)
			continue;
		memset(&de, 0, sizeof(de));
		btrfs_set_dev_extent_chunk_tree(&de, BTRFS_CHUNK_TREE_OBJECTID);
		btrfs_set_dev_extent_chunk_objectid(&de,
					BTRFS_FIRST_CHUNK_TREE_OBJECTID);
		btrfs_set_dev_extent_chunk_offset(&de, c->logical);
		btrfs_set_dev_extent_length(&de, c->stripe_size);
		memcpy(de.chunk_tree_uuid, fs->chunk_uuid, BTRFS_UUID_SIZE);
		for (s = 0; s < c->num_stripes; s++) {
			ret = mkfs_tree_add(t, fs->devs[c->stripes[s].dev].devid,
					    BTRFS_DEV_EXTENT_KEY,
					    c->stripes[s].physical, &de,
					    sizeof(de), NULL);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* The uuid tree key splits the uuid into two little-endian halves. */
static int fill_uuid_tree(struct mkfs_fs *fs)
{
	struct mkfs_tree *t = &fs->trees[MKFS_TREE_UUID];
	__le64 halves[2], subvol = cpu_to_le64(BTRFS_FS_TREE_OBJECTID);

	memcpy(halves, fs->fs_root_uuid, sizeof(halves));
	return mkfs_tree_add(t, le64_to_cpu(halves[0]), BTRFS_UUID_KEY_SUBVOL,
			     le64_to_cpu(halves[1]), &subvol, sizeof(subvol),
			     NULL);
}

int mkfs_fill_static_trees(struct mkfs_fs *fs)
{
	u32 nodesize = fs->cfg->nodesize;
	u64 top_flags = 0;
	int ret;

	/* DAX-DESIGN.md: DAX implies NODATACOW and NODATASUM. */
	if (fs->cfg->dax_inherit)
		top_flags = BTRFS_INODE_NODATACOW | BTRFS_INODE_NODATASUM |
			    ((u64)BTRFS_INODE_RO_DAX << 32);
	ret = fill_chunk_tree(fs);
	if (!ret)
		ret = fill_dev_tree(fs);
	/* Stock gives the top directory nbytes = nodesize; kept alike. */
	if (!ret)
		ret = subvol_dir_add(fs, &fs->trees[MKFS_TREE_FS], nodesize,
				     top_flags);
	if (!ret)
		ret = subvol_dir_add(fs, &fs->trees[MKFS_TREE_DATA_RELOC], 0, 0);
	if (!ret)
		ret = fill_uuid_tree(fs);
	mkfs_tree_sort(&fs->trees[MKFS_TREE_CHUNK]);
	mkfs_tree_sort(&fs->trees[MKFS_TREE_DEV]);
	mkfs_tree_sort(&fs->trees[MKFS_TREE_FS]);
	mkfs_tree_sort(&fs->trees[MKFS_TREE_DATA_RELOC]);
	return ret;
}

static void root_item_fill(const struct mkfs_fs *fs, const struct mkfs_tree *t,
			   struct btrfs_root_item *ri)
{
	u32 nodesize = fs->cfg->nodesize;
	bool subvol = t->objectid == BTRFS_FS_TREE_OBJECTID ||
		      t->objectid == BTRFS_DATA_RELOC_TREE_OBJECTID;

	memset(ri, 0, sizeof(*ri));
	btrfs_set_inode_generation(&ri->inode, MKFS_GENERATION);
	btrfs_set_inode_size(&ri->inode, 3);
	btrfs_set_inode_nlink(&ri->inode, 1);
	btrfs_set_inode_nbytes(&ri->inode, nodesize);
	btrfs_set_inode_mode(&ri->inode, S_IFDIR | 0755);
	btrfs_set_root_generation(ri, MKFS_GENERATION);
	btrfs_set_root_generation_v2(ri, MKFS_GENERATION);
	btrfs_set_root_dirid(ri, subvol ? BTRFS_FIRST_FREE_OBJECTID : 0);
	btrfs_set_root_bytenr(ri, mkfs_tree_root(t));
	btrfs_set_root_bytes_used(ri, (u64)nodesize * t->nr_blocks);
	btrfs_set_root_refs(ri, 1);
	btrfs_set_root_level(ri, t->level);
	if (t->objectid == BTRFS_FS_TREE_OBJECTID) {
		memcpy(ri->uuid, fs->fs_root_uuid, BTRFS_UUID_SIZE);
		timespec_set(&ri->ctime, fs->now);
		timespec_set(&ri->otime, fs->now);
	}
}

/* ROOT_TREE_DIR: the directory whose "default" entry names the fs tree. */
static int root_dir_add(struct mkfs_fs *fs, struct mkfs_tree *t)
{
	static const char name[] = "default";
	const u16 len = sizeof(name) - 1;
	struct btrfs_inode_item ii;
	struct btrfs_dir_item *di;
	struct btrfs_key loc = {
		BTRFS_FS_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, (u64)-1
	};
	int ret;

	dir_inode_fill(fs, &ii, fs->cfg->nodesize, 0);
	ret = mkfs_tree_add(t, BTRFS_ROOT_TREE_DIR_OBJECTID,
			    BTRFS_INODE_ITEM_KEY, 0, &ii, sizeof(ii), NULL);
	if (!ret)
		ret = inode_ref_add(t, BTRFS_ROOT_TREE_DIR_OBJECTID,
				    BTRFS_ROOT_TREE_DIR_OBJECTID, "..");
	if (!ret)
		ret = inode_ref_add(t, BTRFS_FS_TREE_OBJECTID,
				    BTRFS_ROOT_TREE_DIR_OBJECTID, name);
	if (!ret)
		ret = mkfs_tree_add(t, BTRFS_ROOT_TREE_DIR_OBJECTID,
				    BTRFS_DIR_ITEM_KEY, btrfs_name_hash(name, len),
				    NULL, sizeof(*di) + len, (void **)&di);
	if (ret)
		return ret;
	btrfs_cpu_key_to_disk(&di->location, &loc);
	btrfs_set_dir_transid(di, MKFS_GENERATION);
	btrfs_set_dir_data_len(di, 0);
	btrfs_set_dir_name_len(di, len);
	btrfs_set_dir_flags(di, BTRFS_FT_DIR);
	memcpy(di + 1, name, len);
	return 0;
}

int mkfs_fill_root_tree(struct mkfs_fs *fs)
{
	struct mkfs_tree *t = &fs->trees[MKFS_TREE_ROOT];
	struct btrfs_root_item ri;
	int i, ret;

	mkfs_tree_free_items(t);
	for (i = 0; i < MKFS_NR_TREES; i++) {
		const struct mkfs_tree *sub = &fs->trees[i];

		if (!sub->present || i == MKFS_TREE_ROOT || i == MKFS_TREE_CHUNK)
			continue;
		root_item_fill(fs, sub, &ri);
		ret = mkfs_tree_add(t, sub->objectid, BTRFS_ROOT_ITEM_KEY, 0,
				    &ri, sizeof(ri), NULL);
		if (ret)
			return ret;
	}
	ret = root_dir_add(fs, t);
	mkfs_tree_sort(t);
	return ret;
}

/* One extent item with its inline backref for a tree block. */
static int tree_block_extent_add(struct mkfs_fs *fs, struct mkfs_tree *ext,
				 const struct mkfs_tree *t, u32 b)
{
	bool skinny = fs->cfg->incompat & BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA;
	u32 size = sizeof(struct btrfs_extent_item) +
		   sizeof(struct btrfs_extent_inline_ref);
	struct btrfs_extent_inline_ref *iref;
	struct btrfs_extent_item *ei;
	u8 *p;
	int ret;

	if (!skinny)
		size += sizeof(struct btrfs_tree_block_info);
	ret = mkfs_tree_add(ext, t->bytenr[b],
			    skinny ? BTRFS_METADATA_ITEM_KEY : BTRFS_EXTENT_ITEM_KEY,
			    skinny ? t->block_level[b] : fs->cfg->nodesize,
			    NULL, size, (void **)&p);
	if (ret)
		return ret;
	ei = (struct btrfs_extent_item *)p;
	btrfs_set_extent_refs(ei, 1);
	btrfs_set_extent_generation(ei, MKFS_GENERATION);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_TREE_BLOCK);
	p += sizeof(*ei);
	if (!skinny) {
		struct btrfs_tree_block_info *info = (void *)p;

		btrfs_cpu_key_to_disk(&info->key, &t->first_key[b]);
		btrfs_set_tree_block_level(info, t->block_level[b]);
		p += sizeof(*info);
	}
	iref = (struct btrfs_extent_inline_ref *)p;
	btrfs_set_extent_inline_ref_type(iref, BTRFS_TREE_BLOCK_REF_KEY);
	btrfs_set_extent_inline_ref_offset(iref, t->objectid);
	return 0;
}

static int block_group_add(struct mkfs_tree *t, const struct mkfs_chunk *c)
{
	struct btrfs_block_group_item bg;

	memset(&bg, 0, sizeof(bg));
	btrfs_set_block_group_used(&bg, c->used);
	btrfs_set_block_group_chunk_objectid(&bg, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	btrfs_set_block_group_flags(&bg, c->type);
	return mkfs_tree_add(t, c->logical, BTRFS_BLOCK_GROUP_ITEM_KEY,
			     c->length, &bg, sizeof(bg), NULL);
}

int mkfs_fill_extent_trees(struct mkfs_fs *fs)
{
	struct mkfs_tree *ext = &fs->trees[MKFS_TREE_EXTENT];
	struct mkfs_tree *bgt = &fs->trees[MKFS_TREE_BLOCK_GROUP];
	struct mkfs_tree *bg_home = bgt->present ? bgt : ext;
	u32 b;
	int i, ret = 0;

	mkfs_tree_free_items(ext);
	mkfs_tree_free_items(bgt);
	for (i = 0; i < MKFS_NR_TREES && !ret; i++) {
		const struct mkfs_tree *t = &fs->trees[i];

		if (!t->present)
			continue;
		for (b = 0; b < t->nr_blocks && !ret; b++)
			ret = tree_block_extent_add(fs, ext, t, b);
	}
	for (i = 0; i < MKFS_NR_CHUNKS && !ret; i++)
		if (fs->chunks[i].present)
			ret = block_group_add(bg_home, &fs->chunks[i]);
	mkfs_tree_sort(ext);
	mkfs_tree_sort(bgt);
	return ret;
}

static int u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Every tree block address inside the chunk, sorted. */
static int chunk_blocks(const struct mkfs_fs *fs, const struct mkfs_chunk *c,
			u64 **ret, u32 *nr)
{
	u32 n = 0, cap = 0, b;
	u64 *list = NULL;
	int i;

	for (i = 0; i < MKFS_NR_TREES; i++)
		if (fs->trees[i].present)
			cap += fs->trees[i].nr_blocks;
	list = malloc((cap ? cap : 1) * sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (i = 0; i < MKFS_NR_TREES; i++) {
		const struct mkfs_tree *t = &fs->trees[i];

		for (b = 0; t->present && b < t->nr_blocks; b++)
			if (mkfs_chunk_of(fs, t->bytenr[b]) == c)
				list[n++] = t->bytenr[b];
	}
	qsort(list, n, sizeof(*list), u64_cmp);
	*ret = list;
	*nr = n;
	return 0;
}

/* The info item and free extents of one block group. */
static int free_space_add(struct mkfs_fs *fs, struct mkfs_tree *t,
			  const struct mkfs_chunk *c)
{
	struct btrfs_free_space_info *info;
	u64 *blocks, cur = c->logical, end = c->logical + c->length;
	u32 nr, i, count = 0;
	int ret;

	ret = chunk_blocks(fs, c, &blocks, &nr);
	if (ret)
		return ret;
	ret = mkfs_tree_add(t, c->logical, BTRFS_FREE_SPACE_INFO_KEY, c->length,
			    NULL, sizeof(*info), (void **)&info);
	for (i = 0; i <= nr && !ret; i++) {
		u64 next = i < nr ? blocks[i] : end;

		if (next > cur) {
			ret = mkfs_tree_add(t, cur, BTRFS_FREE_SPACE_EXTENT_KEY,
					    next - cur, NULL, 0, NULL);
			count++;
		}
		cur = next + fs->cfg->nodesize;
	}
	free(blocks);
	if (ret)
		return ret;
	/* The tree's array may have moved, the item data has not. */
	btrfs_set_free_space_extent_count(info, count);
	btrfs_set_free_space_flags(info, 0);
	return 0;
}

int mkfs_fill_free_space_tree(struct mkfs_fs *fs)
{
	struct mkfs_tree *t = &fs->trees[MKFS_TREE_FREE_SPACE];
	int i, ret = 0;

	mkfs_tree_free_items(t);
	if (!t->present)
		return 0;
	for (i = 0; i < MKFS_NR_CHUNKS && !ret; i++)
		if (fs->chunks[i].present)
			ret = free_space_add(fs, t, &fs->chunks[i]);
	mkfs_tree_sort(t);
	return ret;
}
