// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs-corrupt: damages an unmounted image in one precise way, so that a
 * test can check that `btrfs check` reports exactly the matching problem.
 *
 *   btrfs-corrupt [--no-csum] IMAGE... MODE
 *   btrfs-corrupt --list [SET]
 *
 * It finds the item to change with the engine's reader, changes a private
 * copy of the tree block, recomputes the block's checksum (unless
 * --no-csum) and writes every copy of the block (leaf-copy0: the first
 * only).  Superblock modes rewrite every superblock copy on every device.
 * Prints one line saying what it changed; exits 2 when the image has
 * nothing the mode can change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"

struct corrupt {
	struct btrfs_fs_info *fs_info;
	bool no_csum;
	bool first_copy_only;	/* block_write() leaves the other copies */
	/* The item found: a private copy of its leaf. */
	struct extent_buffer *eb;
	int slot;
	struct btrfs_key key;
	u64 want_ino;		/* for is_inode() */
};

/* Picks an item: true to take it. */
typedef bool (*item_pred)(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key);

static struct extent_buffer *eb_copy(const struct extent_buffer *src)
{
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + src->len);

	if (!eb)
		return NULL;
	eb->start = src->start;
	eb->len = src->len;
	eb->refs = 1;
	memcpy(eb->data, src->data, src->len);
	return eb;
}

/* Finds the first (or last) item of 'type' in 'tree' that pred accepts. */
static int item_find(struct corrupt *c, u64 tree, u8 type, item_pred pred,
		     bool last)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	ret = btrfs_read_root(c->fs_info, tree, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.type == type &&
		    (!pred || pred(c, path.nodes[0], path.slots[0], &key))) {
			free(c->eb);
			c->eb = eb_copy(path.nodes[0]);
			c->slot = path.slots[0];
			c->key = key;
			if (!last || !c->eb)
				break;
		}
		ret = btrfs_next_item(c->fs_info, &path);
		if (ret > 0)
			break;
	}
	btrfs_path_release(&path);
	if (ret < 0)
		return ret;
	return c->eb ? 0 : -ENOENT;
}

static void *item_ptr(struct corrupt *c)
{
	return eb_item_ptr(c->eb, c->slot);
}

static int dev_write(struct btrfs_device *dev, const void *buf, size_t len,
		     u64 off)
{
	int fd = open(dev->path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pwrite(fd, buf, len, (off_t)off);
	fsync(fd);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* Writes the modified leaf back, to every copy. */
static int block_write(struct corrupt *c)
{
	struct extent_buffer *eb = c->eb;
	struct chunk_map *map = chunk_map_lookup(c->fs_info, eb->start);
	int m, ret;

	if (!map)
		return -ENOENT;
	if (!c->no_csum)
		btrfs_csum_data(c->fs_info->sb.csum_type, eb->data + BTRFS_CSUM_SIZE,
				eb->len - BTRFS_CSUM_SIZE, eb->data);
	for (m = 0; m < chunk_map_num_copies(map); m++) {
		struct btrfs_io_copy copy;
		u64 contig;

		ret = chunk_map_locate(map, eb->start, m, &copy, &contig);
		if (!ret && contig < eb->len)
			ret = -EINVAL;
		if (!ret)
			ret = dev_write(copy.stripe->dev, eb->data, eb->len,
					copy.physical);
		if (ret)
			return ret;
		if (c->first_copy_only)
			break;
	}
	return 0;
}

/* Rewrites every superblock copy of every device through fn. */
static int super_modify(struct corrupt *c,
			void (*fn)(struct btrfs_super_block *sb), int only_mirror)
{
	struct btrfs_device *dev;
	int i, ret;

	for (dev = c->fs_info->devices; dev; dev = dev->next) {
		for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
			struct btrfs_super_block sb;

			if ((only_mirror >= 0 && i != only_mirror) ||
			    btrfs_sb_offset(i) + BTRFS_SUPER_INFO_SIZE > dev->size ||
			    btrfs_super_read(dev->fd, i, &sb) ||
			    btrfs_super_magic(&sb) != BTRFS_MAGIC)
				continue;
			fn(&sb);
			if (!c->no_csum)
				btrfs_csum_data(btrfs_super_csum_type(&sb),
						(u8 *)&sb + BTRFS_CSUM_SIZE,
						BTRFS_SUPER_INFO_SIZE - BTRFS_CSUM_SIZE,
						sb.csum);
			ret = dev_write(dev, &sb, sizeof(sb), btrfs_sb_offset(i));
			if (ret)
				return ret;
		}
		if (only_mirror >= 0)
			break;
	}
	return 0;
}

/* ---------------------------------------------------------- predicates */

static bool is_data_bg(struct corrupt *c, const struct extent_buffer *eb,
		       int slot, const struct btrfs_key *key)
{
	const struct btrfs_block_group_item *bi = eb_item_ptr(eb, slot);

	return btrfs_block_group_flags(bi) & BTRFS_BLOCK_GROUP_DATA;
}

static bool is_data_extent(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	const struct btrfs_extent_item *ei = eb_item_ptr(eb, slot);

	return btrfs_extent_flags(ei) & BTRFS_EXTENT_FLAG_DATA;
}

/* A data extent whose first inline ref is an EXTENT_DATA_REF. */
static bool has_inline_data_ref(struct corrupt *c,
				const struct extent_buffer *eb, int slot,
				const struct btrfs_key *key)
{
	const u8 *p = eb_item_ptr(eb, slot);

	return is_data_extent(c, eb, slot, key) &&
	       eb_item_size(eb, slot) >= sizeof(struct btrfs_extent_item) + 1 +
				       sizeof(struct btrfs_extent_data_ref) &&
	       p[sizeof(struct btrfs_extent_item)] == BTRFS_EXTENT_DATA_REF_KEY;
}

static bool is_reg_extent(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return eb_item_size(eb, slot) == sizeof(*fe) &&
	       btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_REG &&
	       btrfs_file_extent_disk_bytenr(fe) &&
	       btrfs_file_extent_compression(fe) == BTRFS_COMPRESS_NONE;
}

static bool is_inline_extent(struct corrupt *c, const struct extent_buffer *eb,
			     int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE;
}

static bool is_compressed_extent(struct corrupt *c,
				 const struct extent_buffer *eb, int slot,
				 const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return eb_item_size(eb, slot) == sizeof(*fe) &&
	       btrfs_file_extent_compression(fe) != BTRFS_COMPRESS_NONE;
}

static bool is_compression_prop(struct corrupt *c,
				const struct extent_buffer *eb, int slot,
				const struct btrfs_key *key)
{
	const struct btrfs_dir_item *di = eb_item_ptr(eb, slot);
	const char *name = "btrfs.compression";

	return btrfs_dir_name_len(di) == strlen(name) &&
	       !memcmp(di + 1, name, strlen(name));
}

static bool is_real_fst_extent(struct corrupt *c, const struct extent_buffer *eb,
			       int slot, const struct btrfs_key *key)
{
	/* Not one of the stale entries stock mkfs leaves below 13 MiB. */
	return key->objectid >= 13631488 && key->offset > c->fs_info->sb.sectorsize;
}

static bool is_real_fst_info(struct corrupt *c, const struct extent_buffer *eb,
			     int slot, const struct btrfs_key *key)
{
	return key->objectid >= 13631488;
}

static bool is_empty_file(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);

	return S_ISREG(btrfs_inode_mode(ii)) && btrfs_inode_size(ii) == 0 &&
	       !(btrfs_inode_flags(ii) & BTRFS_INODE_NODATACOW);
}

static bool is_subvol_root(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	return key->objectid >= BTRFS_FIRST_FREE_OBJECTID &&
	       key->objectid < (u64)-256;
}

static bool any_item(struct corrupt *c, const struct extent_buffer *eb,
		     int slot, const struct btrfs_key *key)
{
	return true;
}

/* Rewrites the located leaf; the mode's change is already in c->eb. */
static int finish(struct corrupt *c, const char *what)
{
	int ret = block_write(c);

	if (!ret)
		printf("%s: leaf %llu slot %d key (%llu %u %llu)\n", what,
		       (unsigned long long)c->eb->start, c->slot,
		       (unsigned long long)c->key.objectid, c->key.type,
		       (unsigned long long)c->key.offset);
	return ret;
}

static void key_set_offset(struct corrupt *c, u64 offset)
{
	btrfs_set_disk_key_offset(&eb_item(c->eb, c->slot)->key, offset);
}

#define BG_TREE(c) (((c)->fs_info->sb.compat_ro_flags & \
		     BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE) ? \
		    BTRFS_BLOCK_GROUP_TREE_OBJECTID : BTRFS_EXTENT_TREE_OBJECTID)

/* --------------------------------------------------------------- modes */

static int mode_fst_bitmap(struct corrupt *c)
{
	u8 *bits;
	u32 i, size;
	int ret = item_find(c, BTRFS_FREE_SPACE_TREE_OBJECTID,
			    BTRFS_FREE_SPACE_BITMAP_KEY, NULL, false);

	if (ret)
		return ret;
	bits = item_ptr(c);
	size = eb_item_size(c->eb, c->slot);
	/* Clear the first free bit: a free sector becomes unaccounted. */
	for (i = 0; i < size && !bits[i]; i++)
		;
	if (i == size)
		return -ENOENT;
	bits[i] &= (u8)(bits[i] - 1);
	return finish(c, "one free bit of a free space bitmap cleared");
}

static int mode_bg_used(struct corrupt *c)
{
	struct btrfs_block_group_item *bi;
	int ret = item_find(c, BG_TREE(c), BTRFS_BLOCK_GROUP_ITEM_KEY,
			    is_data_bg, false);

	if (ret)
		return ret;
	bi = item_ptr(c);
	btrfs_set_block_group_used(bi, btrfs_block_group_used(bi) +
				   c->fs_info->sb.sectorsize);
	return finish(c, "block group used + sectorsize");
}

static int mode_bg_flags(struct corrupt *c)
{
	struct btrfs_block_group_item *bi;
	int ret = item_find(c, BG_TREE(c), BTRFS_BLOCK_GROUP_ITEM_KEY,
			    is_data_bg, false);

	if (ret)
		return ret;
	bi = item_ptr(c);
	btrfs_set_block_group_flags(bi, btrfs_block_group_flags(bi) ^
				    BTRFS_BLOCK_GROUP_DUP);
	return finish(c, "block group flags ^ DUP");
}

static int mode_dev_extent_chunk(struct corrupt *c)
{
	struct btrfs_dev_extent *de;
	int ret = item_find(c, BTRFS_DEV_TREE_OBJECTID, BTRFS_DEV_EXTENT_KEY,
			    NULL, false);

	if (ret)
		return ret;
	de = item_ptr(c);
	btrfs_set_dev_extent_chunk_offset(de, btrfs_dev_extent_chunk_offset(de) +
					  (1ULL << 20));
	return finish(c, "device extent chunk_offset + 1 MiB");
}

static int mode_dev_extent_length(struct corrupt *c)
{
	struct btrfs_dev_extent *de;
	int ret = item_find(c, BTRFS_DEV_TREE_OBJECTID, BTRFS_DEV_EXTENT_KEY,
			    NULL, true);

	if (ret)
		return ret;
	de = item_ptr(c);
	btrfs_set_dev_extent_length(de, btrfs_dev_extent_length(de) +
				    (1ULL << 20));
	return finish(c, "last device extent length + 1 MiB");
}

static int mode_dev_extent_move(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_DEV_TREE_OBJECTID, BTRFS_DEV_EXTENT_KEY,
			    NULL, true);

	if (ret)
		return ret;
	key_set_offset(c, c->key.offset + (2ULL << 20));
	return finish(c, "last device extent moved 2 MiB up");
}

static int mode_dev_item_used(struct corrupt *c)
{
	struct btrfs_dev_item *di;
	int ret = item_find(c, BTRFS_CHUNK_TREE_OBJECTID, BTRFS_DEV_ITEM_KEY,
			    NULL, false);

	if (ret)
		return ret;
	di = item_ptr(c);
	btrfs_set_device_bytes_used(di, btrfs_device_bytes_used(di) +
				    (1ULL << 20));
	return finish(c, "device item bytes_used + 1 MiB");
}

static int mode_extent_refs(struct corrupt *c)
{
	struct btrfs_extent_item *ei;
	int ret = item_find(c, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_EXTENT_ITEM_KEY,
			    is_data_extent, false);

	if (ret)
		return ret;
	ei = item_ptr(c);
	btrfs_set_extent_refs(ei, btrfs_extent_refs(ei) + 1);
	return finish(c, "extent item refs + 1");
}

static int mode_extent_data_ref(struct corrupt *c)
{
	struct btrfs_extent_data_ref *dref;
	int ret = item_find(c, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_EXTENT_ITEM_KEY,
			    has_inline_data_ref, false);

	if (ret)
		return ret;
	dref = (void *)((u8 *)item_ptr(c) + sizeof(struct btrfs_extent_item) + 1);
	btrfs_set_extent_data_ref_objectid(dref,
		btrfs_extent_data_ref_objectid(dref) + 1000000);
	return finish(c, "inline data ref inode + 1000000");
}

static int mode_file_extent_hole(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_EXTENT_DATA_KEY,
			    is_reg_extent, false);

	if (ret)
		return ret;
	btrfs_set_file_extent_disk_bytenr(item_ptr(c), 0);
	return finish(c, "file extent turned into a hole");
}

static int mode_file_extent_len(struct corrupt *c)
{
	struct btrfs_file_extent_item *fe;
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_EXTENT_DATA_KEY,
			    is_reg_extent, false);

	if (ret)
		return ret;
	fe = item_ptr(c);
	btrfs_set_file_extent_disk_num_bytes(fe,
		btrfs_file_extent_disk_num_bytes(fe) + c->fs_info->sb.sectorsize);
	return finish(c, "file extent disk_num_bytes + sectorsize");
}

static int mode_fst_extent(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_FREE_SPACE_TREE_OBJECTID,
			    BTRFS_FREE_SPACE_EXTENT_KEY, is_real_fst_extent, false);

	if (ret)
		return ret;
	key_set_offset(c, c->key.offset - c->fs_info->sb.sectorsize);
	return finish(c, "free space extent - sectorsize");
}

static int mode_fst_count(struct corrupt *c)
{
	struct btrfs_free_space_info *fi;
	int ret = item_find(c, BTRFS_FREE_SPACE_TREE_OBJECTID,
			    BTRFS_FREE_SPACE_INFO_KEY, is_real_fst_info, false);

	if (ret)
		return ret;
	fi = item_ptr(c);
	btrfs_set_free_space_extent_count(fi,
		btrfs_free_space_extent_count(fi) + 1);
	return finish(c, "free space info extent_count + 1");
}

static bool is_inode(struct corrupt *c, const struct extent_buffer *eb,
		     int slot, const struct btrfs_key *key)
{
	return key->objectid == c->want_ino;
}

/* The inode flags of 'ino' in the top-level subvolume, or 0. */
static u64 inode_flags_of(struct corrupt *c, u64 ino)
{
	struct btrfs_key key = { ino, BTRFS_INODE_ITEM_KEY, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	u64 flags = 0;

	btrfs_path_init(&path);
	if (!btrfs_read_root(c->fs_info, BTRFS_FS_TREE_OBJECTID, &root, NULL) &&
	    btrfs_search_slot(c->fs_info, &root, &key, &path) == 0)
		flags = btrfs_inode_flags(eb_item_ptr_type(path.nodes[0],
					  path.slots[0], struct btrfs_inode_item));
	btrfs_path_release(&path);
	return flags;
}

static bool is_csummed_extent(struct corrupt *c, const struct extent_buffer *eb,
			      int slot, const struct btrfs_key *key)
{
	return is_reg_extent(c, eb, slot, key) &&
	       !(inode_flags_of(c, key->objectid) & BTRFS_INODE_NODATASUM);
}

static void sb_set_compat_ro_dax(struct btrfs_super_block *sb)
{
	btrfs_set_super_compat_ro_flags(sb, btrfs_super_compat_ro_flags(sb) |
					BTRFS_FEATURE_COMPAT_RO_DAX);
}

static void sb_set_dax_layout(struct btrfs_super_block *sb)
{
	btrfs_set_super_compat_flags(sb, btrfs_super_compat_flags(sb) |
				     BTRFS_FEATURE_COMPAT_DAX_LAYOUT);
}

static void sb_bytes_used_bump(struct btrfs_super_block *sb)
{
	btrfs_set_super_bytes_used(sb, btrfs_super_bytes_used(sb) +
				   btrfs_super_sectorsize(sb));
}

static void sb_csum_break(struct btrfs_super_block *sb)
{
	sb->csum[0] ^= 0xff;
}

#define DAX_FLAGS ((u64)BTRFS_INODE_RO_DAX << 32 | BTRFS_INODE_NODATACOW | \
		   BTRFS_INODE_NODATASUM)

/* Sets flags on inode c->want_ino of the top-level subvolume. */
static int inode_flags_add(struct corrupt *c, u64 flags, bool compat)
{
	struct btrfs_inode_item *ii;
	int ret;

	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			is_inode, false);
	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_inode_flags(ii, btrfs_inode_flags(ii) | flags);
	ret = finish(c, "inode flags set");
	if (!ret && compat)
		ret = super_modify(c, sb_set_compat_ro_dax, -1);
	return ret;
}

/* DAX flags on the inode owning the first item pred picks. */
static int dax_on_item_owner(struct corrupt *c, u8 type, item_pred pred,
			     u64 flags, bool compat)
{
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, type, pred, false);

	if (ret)
		return ret;
	c->want_ino = c->key.objectid;
	return inode_flags_add(c, flags, compat);
}

static int mode_dax_valid(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_INODE_ITEM_KEY, is_empty_file,
				 DAX_FLAGS, true);
}

static int mode_dax_no_compat(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_INODE_ITEM_KEY, is_empty_file,
				 DAX_FLAGS, false);
}

static int mode_dax_flags(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_INODE_ITEM_KEY, is_empty_file,
				 (u64)BTRFS_INODE_RO_DAX << 32, true);
}

static int mode_dax_inline(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_EXTENT_DATA_KEY, is_inline_extent,
				 DAX_FLAGS, true);
}

static int mode_dax_csum(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_EXTENT_DATA_KEY, is_csummed_extent,
				 DAX_FLAGS, true);
}

static int mode_dax_compressed(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_EXTENT_DATA_KEY, is_compressed_extent,
				 DAX_FLAGS, true);
}

static int mode_dax_prop(struct corrupt *c)
{
	return dax_on_item_owner(c, BTRFS_XATTR_ITEM_KEY, is_compression_prop,
				 DAX_FLAGS, true);
}

static int mode_dax_layout(struct corrupt *c)
{
	int ret = super_modify(c, sb_set_dax_layout, -1);

	if (!ret)
		printf("superblocks: COMPAT_DAX_LAYOUT set\n");
	return ret;
}

static int mode_super_bytes_used(struct corrupt *c)
{
	int ret = super_modify(c, sb_bytes_used_bump, -1);

	if (!ret)
		printf("superblocks: bytes_used + sectorsize\n");
	return ret;
}

static int mode_super_mirror(struct corrupt *c)
{
	bool no_csum = c->no_csum;
	int ret;

	c->no_csum = true;
	ret = super_modify(c, sb_csum_break, 1);
	c->no_csum = no_csum;
	if (!ret)
		printf("superblock copy 1 of the first device: checksum broken\n");
	return ret;
}

/* The first leaf of the top-level subvolume that is not its root. */
static bool is_nonroot_leaf(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	struct btrfs_root root;

	return !btrfs_read_root(c->fs_info, BTRFS_FS_TREE_OBJECTID, &root, NULL) &&
	       root.bytenr != eb->start;
}

static int mode_leaf_garbage(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			    is_nonroot_leaf, false);

	if (ret)
		return ret;
	c->no_csum = true;
	c->eb->data[c->eb->len - 1] ^= 0x5a;
	return finish(c, "last byte of a leaf flipped, checksum left stale");
}

/* A bad first copy the reader must pass over for the good second one. */
static int mode_leaf_copy0(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			    is_nonroot_leaf, false);
	struct chunk_map *map;

	if (ret)
		return ret;
	map = chunk_map_lookup(c->fs_info, c->eb->start);
	if (!map || chunk_map_num_copies(map) < 2)
		return -ENOENT;
	c->no_csum = true;
	c->first_copy_only = true;
	c->eb->data[c->eb->len - 1] ^= 0x5a;
	return finish(c, "last byte of the first copy of a leaf flipped, checksum left stale");
}

static int mode_leaf_owner(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			    is_nonroot_leaf, false);

	if (ret)
		return ret;
	btrfs_set_header_owner(eb_header(c->eb), BTRFS_CSUM_TREE_OBJECTID);
	return finish(c, "leaf owner set to the csum tree");
}

static int mode_root_backref(struct corrupt *c)
{
	struct btrfs_root_ref *rr;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_BACKREF_KEY,
			    NULL, false);

	if (ret)
		return ret;
	rr = item_ptr(c);
	btrfs_set_root_ref_sequence(rr, btrfs_root_ref_sequence(rr) + 1);
	return finish(c, "root backref sequence + 1");
}

static int mode_root_refs(struct corrupt *c)
{
	struct btrfs_root_item *ri;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
			    is_subvol_root, false);

	if (ret)
		return ret;
	ri = item_ptr(c);
	btrfs_set_root_refs(ri, btrfs_root_refs(ri) + 1);
	return finish(c, "subvolume root item refs + 1");
}

static int mode_csum_move(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_CSUM_TREE_OBJECTID, BTRFS_EXTENT_CSUM_KEY,
			    any_item, true);

	if (ret)
		return ret;
	key_set_offset(c, c->key.offset + (1ULL << 40));
	return finish(c, "last checksum item moved 1 TiB up");
}

/* Overwrites the first sector of the data the first checksum covers. */
static int mode_data_garbage(struct corrupt *c)
{
	struct chunk_map *map;
	struct btrfs_io_copy copy;
	u8 buf[512];
	u64 contig;
	int ret = item_find(c, BTRFS_CSUM_TREE_OBJECTID, BTRFS_EXTENT_CSUM_KEY,
			    any_item, false);

	if (ret)
		return ret;
	map = chunk_map_lookup(c->fs_info, c->key.offset);
	if (!map)
		return -ENOENT;
	ret = chunk_map_locate(map, c->key.offset, 0, &copy, &contig);
	if (ret)
		return ret;
	memset(buf, 0xa5, sizeof(buf));
	ret = dev_write(copy.stripe->dev, buf, sizeof(buf), copy.physical);
	if (!ret)
		printf("data at %llu (copy 1) overwritten\n",
		       (unsigned long long)c->key.offset);
	return ret;
}


/* Tree blocks by their extent items, for the fuzz mode. */
static bool is_tree_block_item(struct corrupt *c, const struct extent_buffer *eb,
			       int slot, const struct btrfs_key *key)
{
	const struct btrfs_extent_item *ei = eb_item_ptr(eb, slot);

	return btrfs_extent_flags(ei) & BTRFS_EXTENT_FLAG_TREE_BLOCK;
}

static u64 fuzz_next(u64 *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return *state >> 33;
}

/* Counts tree blocks; picks the n-th (n < count) when pick is set. */
static int fuzz_pick(struct corrupt *c, u64 n, u64 *count)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	int ret = btrfs_read_root(c->fs_info, BTRFS_EXTENT_TREE_OBJECTID, &root,
				  NULL);

	*count = 0;
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if ((key.type == BTRFS_METADATA_ITEM_KEY ||
		     (key.type == BTRFS_EXTENT_ITEM_KEY &&
		      is_tree_block_item(c, path.nodes[0], path.slots[0], &key))) &&
		    (*count)++ == n)
			c->key = key;
		ret = btrfs_next_item(c->fs_info, &path);
		if (ret > 0)
			break;
	}
	btrfs_path_release(&path);
	return ret < 0 ? ret : 0;
}

/*
 * Flips a few bytes of a random tree block (BTRFS_CORRUPT_SEED picks it)
 * and fixes its checksum, so that the damage reaches past the checksum.
 */
static int mode_fuzz(struct corrupt *c)
{
	const char *env = getenv("BTRFS_CORRUPT_SEED");
	u64 state = env ? strtoull(env, NULL, 0) : 1, count, i, nflip;
	struct extent_buffer *eb;
	int ret = fuzz_pick(c, (u64)-1, &count);

	if (ret || !count)
		return ret ? ret : -ENOENT;
	ret = fuzz_pick(c, fuzz_next(&state) % count, &count);
	if (!ret)
		ret = tree_block_read(c->fs_info, c->key.objectid, NULL, &eb);
	if (ret)
		return ret;
	c->eb = eb_copy(eb);
	extent_buffer_put(eb);
	if (!c->eb)
		return -ENOMEM;
	nflip = 1 + fuzz_next(&state) % 8;
	for (i = 0; i < nflip; i++) {
		u64 off = fuzz_next(&state) % 4 ? sizeof(struct btrfs_header) +
			  fuzz_next(&state) % (c->eb->len - sizeof(struct btrfs_header)) :
			  BTRFS_CSUM_SIZE + fuzz_next(&state) %
			  (sizeof(struct btrfs_header) - BTRFS_CSUM_SIZE);

		c->eb->data[off] ^= (u8)(1 + fuzz_next(&state) % 255);
	}
	c->slot = -1;
	return finish(c, "fuzzed");
}

/* ------------------------------------------- subvolume and quota modes */

/* Removes item c->slot (never slot 0: its key is in the parent node). */
static int item_delete(struct corrupt *c)
{
	struct extent_buffer *eb = c->eb;
	u32 nr = eb_nritems(eb), size = eb_item_size(eb, c->slot);
	u32 off = eb_item_offset(eb, c->slot), end = eb_item_offset(eb, nr - 1);
	u8 *data = eb->data + sizeof(struct btrfs_header);
	u32 i;

	if (c->slot == 0 || nr < 2)
		return -ENOENT;
	/* The data of the items after it sit below it: move them up. */
	memmove(data + end + size, data + end, off - end);
	for (i = c->slot + 1; i < nr; i++)
		btrfs_set_raw_item_offset(eb_item(eb, i),
					  eb_item_offset(eb, i) + size);
	memmove(eb_item(eb, c->slot), eb_item(eb, c->slot + 1),
		(nr - c->slot - 1) * sizeof(struct btrfs_item));
	btrfs_set_header_nritems(eb_header(eb), nr - 1);
	return 0;
}

/* Grows item c->slot by n bytes at its end; *tail points at them. */
static int item_extend(struct corrupt *c, u32 n, u8 **tail)
{
	struct extent_buffer *eb = c->eb;
	u32 nr = eb_nritems(eb), size = eb_item_size(eb, c->slot);
	u32 off = eb_item_offset(eb, c->slot), end = eb_item_offset(eb, nr - 1);
	u8 *data = eb->data + sizeof(struct btrfs_header);
	u32 free_start = nr * sizeof(struct btrfs_item);
	u32 i;

	if (end < free_start + n)
		return -ENOSPC;
	memmove(data + end - n, data + end, off + size - end);
	for (i = c->slot; i < nr; i++)
		btrfs_set_raw_item_offset(eb_item(eb, i),
					  eb_item_offset(eb, i) - n);
	btrfs_set_raw_item_size(eb_item(eb, c->slot), size + n);
	*tail = data + off - n + size;
	return 0;
}

static int fs_find(struct corrupt *c, u8 type, item_pred pred)
{
	free(c->eb);
	c->eb = NULL;
	return item_find(c, BTRFS_FS_TREE_OBJECTID, type, pred, false);
}

static u32 mode_of(const struct extent_buffer *eb, int slot)
{
	return btrfs_inode_mode(eb_item_ptr_type(eb, slot,
						 struct btrfs_inode_item));
}

static bool is_linked_file(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);

	return S_ISREG(btrfs_inode_mode(ii)) && btrfs_inode_nlink(ii) == 1 &&
	       btrfs_inode_size(ii) > 2 * c->fs_info->sb.sectorsize &&
	       !(btrfs_inode_flags(ii) & BTRFS_INODE_NODATASUM) && slot > 0;
}

static bool is_subdir(struct corrupt *c, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	return S_ISDIR(mode_of(eb, slot)) &&
	       key->objectid > BTRFS_FIRST_FREE_OBJECTID &&
	       btrfs_inode_size(eb_item_ptr(eb, slot)) > 0;
}

static bool is_nocow_file(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);

	return S_ISREG(btrfs_inode_mode(ii)) && btrfs_inode_size(ii) > 0 &&
	       (btrfs_inode_flags(ii) & BTRFS_INODE_NODATASUM) &&
	       !(btrfs_inode_flags_ro(btrfs_inode_flags(ii)) & BTRFS_INODE_RO_DAX);
}

static bool is_root_dir(struct corrupt *c, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	return key->objectid == BTRFS_FIRST_FREE_OBJECTID;
}

/* A dir entry (one per item) of a regular file, not in slot 0. */
static bool is_file_entry(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_dir_item *di = eb_item_ptr(eb, slot);

	return slot > 0 && btrfs_dir_ftype(di) == BTRFS_FT_REG_FILE &&
	       eb_item_size(eb, slot) == sizeof(*di) + btrfs_dir_name_len(di);
}

static bool is_subvol_entry(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	const struct btrfs_dir_item *di = eb_item_ptr(eb, slot);

	return btrfs_disk_key_type(&di->location) == BTRFS_ROOT_ITEM_KEY;
}

/* An inode ref of one name whose inode has one link, not in slot 0. */
static bool is_single_ref(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_ref *ref = eb_item_ptr(eb, slot);
	struct btrfs_key prev;

	if (slot == 0 || key->offset == key->objectid ||
	    eb_item_size(eb, slot) != sizeof(*ref) + btrfs_inode_ref_name_len(ref))
		return false;
	eb_item_key(eb, &prev, slot - 1);
	return prev.objectid == key->objectid &&
	       prev.type == BTRFS_INODE_ITEM_KEY &&
	       S_ISREG(mode_of(eb, slot - 1)) &&
	       btrfs_inode_nlink(eb_item_ptr(eb, slot - 1)) == 1;
}

/* A fifo whose items all sit in this leaf, after slot 0. */
static bool is_whole_fifo(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	u32 nr = eb_nritems(eb);
	struct btrfs_key next;
	u32 i;

	if (slot == 0 || !S_ISFIFO(mode_of(eb, slot)))
		return false;
	for (i = slot + 1; i < nr; i++) {
		eb_item_key(eb, &next, (int)i);
		if (next.objectid != key->objectid)
			return true;
	}
	return false;
}

static bool is_hole(struct corrupt *c, const struct extent_buffer *eb,
		    int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return slot > 0 && eb_item_size(eb, slot) == sizeof(*fe) &&
	       btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_REG &&
	       !btrfs_file_extent_disk_bytenr(fe) && key->offset > 0;
}

static bool is_compressed_inline(struct corrupt *c,
				 const struct extent_buffer *eb, int slot,
				 const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE &&
	       btrfs_file_extent_compression(fe) != BTRFS_COMPRESS_NONE;
}

static bool is_reg_or_hole(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return eb_item_size(eb, slot) == sizeof(*fe) &&
	       btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_REG &&
	       btrfs_file_extent_compression(fe) == BTRFS_COMPRESS_NONE;
}

static bool is_big_file(struct corrupt *c, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	return is_linked_file(c, eb, slot, key) &&
	       btrfs_inode_size(eb_item_ptr(eb, slot)) >= (1U << 20);
}

/* The last regular extent or hole of a leaf, continued by the next leaf. */
static int find_extent_at_leaf_end(struct corrupt *c)
{
	struct btrfs_key key = { 0, 0, 0 }, prev = { 0, 0, 0 };
	struct extent_buffer *prev_eb = NULL;
	struct btrfs_root root;
	struct btrfs_path path;
	int prev_slot = 0, ret;

	ret = btrfs_read_root(c->fs_info, BTRFS_FS_TREE_OBJECTID, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (path.slots[0] == 0 && prev_eb &&
		    key.type == BTRFS_EXTENT_DATA_KEY &&
		    prev.type == BTRFS_EXTENT_DATA_KEY &&
		    prev.objectid == key.objectid &&
		    is_reg_or_hole(c, prev_eb, prev_slot, &prev)) {
			c->eb = eb_copy(prev_eb);
			c->slot = prev_slot;
			c->key = prev;
			break;
		}
		free(prev_eb);
		prev_eb = path.slots[0] == (int)eb_nritems(path.nodes[0]) - 1 ?
			  eb_copy(path.nodes[0]) : NULL;
		prev_slot = path.slots[0];
		prev = key;
		ret = btrfs_next_item(c->fs_info, &path);
		if (ret > 0)
			break;
	}
	free(prev_eb);
	btrfs_path_release(&path);
	if (ret < 0)
		return ret;
	return c->eb ? 0 : -ENOENT;
}

static int mode_fs_nlink(struct corrupt *c)
{
	struct btrfs_inode_item *ii;
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_linked_file);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_inode_nlink(ii, btrfs_inode_nlink(ii) + 1);
	return finish(c, "inode nlink + 1");
}

static int mode_fs_inode_item(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_linked_file);

	if (ret)
		return ret;
	btrfs_set_disk_key_type(&eb_item(c->eb, c->slot)->key, 0);
	return finish(c, "inode item key type set to 0");
}

static int mode_fs_nbytes(struct corrupt *c)
{
	struct btrfs_inode_item *ii;
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_linked_file);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_inode_nbytes(ii, btrfs_inode_nbytes(ii) +
			       c->fs_info->sb.sectorsize);
	return finish(c, "inode nbytes + sectorsize");
}

static int mode_fs_beyond_isize(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_big_file);

	if (ret)
		return ret;
	btrfs_set_inode_size(item_ptr(c), 1);
	return finish(c, "inode size set to 1");
}

static int mode_fs_dir_isize(struct corrupt *c)
{
	struct btrfs_inode_item *ii;
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_subdir);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_inode_size(ii, btrfs_inode_size(ii) + 2);
	return finish(c, "directory size + 2");
}

static int mode_fs_dir_not_dir(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_subdir);

	if (ret)
		return ret;
	btrfs_set_inode_mode(item_ptr(c), S_IFREG | 0644);
	return finish(c, "directory mode set to a regular file");
}

static int mode_fs_root_dir(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_root_dir);

	if (ret)
		return ret;
	btrfs_set_inode_mode(item_ptr(c), S_IFREG | 0644);
	return finish(c, "root directory mode set to a regular file");
}

static int mode_fs_no_csum(struct corrupt *c)
{
	struct btrfs_inode_item *ii;
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_nocow_file);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_inode_flags(ii, btrfs_inode_flags(ii) & ~(u64)BTRFS_INODE_NODATASUM);
	return finish(c, "NODATASUM cleared on a nodatacow file");
}

static int mode_fs_del_dir_index(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, is_file_entry);

	if (!ret)
		ret = item_delete(c);
	return ret ? ret : finish(c, "dir index deleted");
}

static int mode_fs_del_dir_item(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_DIR_ITEM_KEY, is_file_entry);

	if (!ret)
		ret = item_delete(c);
	return ret ? ret : finish(c, "dir item deleted");
}

static int mode_fs_del_inode_ref(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_REF_KEY, is_single_ref);

	if (!ret)
		ret = item_delete(c);
	return ret ? ret : finish(c, "inode ref deleted");
}

static int mode_fs_del_inode(struct corrupt *c)
{
	u64 ino;
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_whole_fifo);

	if (ret)
		return ret;
	ino = c->key.objectid;
	while (!ret && c->slot < (int)eb_nritems(c->eb)) {
		struct btrfs_key key;

		eb_item_key(c->eb, &key, c->slot);
		if (key.objectid != ino)
			break;
		ret = item_delete(c);
	}
	return ret ? ret : finish(c, "every item of a fifo deleted");
}

static int mode_fs_ref_name(struct corrupt *c)
{
	struct btrfs_inode_ref *ref;
	int ret = fs_find(c, BTRFS_INODE_REF_KEY, is_single_ref);

	if (ret)
		return ret;
	ref = item_ptr(c);
	((u8 *)(ref + 1))[0] ^= 0x01;
	return finish(c, "first byte of an inode ref's name flipped");
}

static int mode_fs_ref_index(struct corrupt *c)
{
	struct btrfs_inode_ref *ref;
	int ret = fs_find(c, BTRFS_INODE_REF_KEY, is_single_ref);

	if (ret)
		return ret;
	ref = item_ptr(c);
	btrfs_set_inode_ref_index(ref, btrfs_inode_ref_index(ref) + 1000);
	return finish(c, "inode ref index + 1000");
}

static int mode_fs_entry_type(struct corrupt *c)
{
	struct btrfs_dir_item *di;
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, is_file_entry);

	if (ret)
		return ret;
	di = item_ptr(c);
	btrfs_set_dir_flags(di, BTRFS_FT_FIFO);
	return finish(c, "dir index type set to fifo");
}

static int mode_fs_entry_location(struct corrupt *c)
{
	struct btrfs_dir_item *di;
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, is_file_entry);

	if (ret)
		return ret;
	di = item_ptr(c);
	btrfs_set_disk_key_objectid(&di->location,
		btrfs_disk_key_objectid(&di->location) + 1);
	return finish(c, "dir index location + 1");
}

/* Another dir index of the same directory, inode and name length. */
static int twin_entry(const struct extent_buffer *eb, int slot,
		      const struct btrfs_key *key)
{
	const struct btrfs_dir_item *di = eb_item_ptr(eb, slot);
	int i;

	for (i = 0; i < (int)eb_nritems(eb); i++) {
		const struct btrfs_dir_item *o = eb_item_ptr(eb, i);
		struct btrfs_key k;

		eb_item_key(eb, &k, i);
		if (i != slot && k.objectid == key->objectid &&
		    k.type == BTRFS_DIR_INDEX_KEY &&
		    btrfs_dir_name_len(o) == btrfs_dir_name_len(di) &&
		    btrfs_disk_key_objectid(&o->location) ==
		    btrfs_disk_key_objectid(&di->location) &&
		    memcmp(o + 1, di + 1, btrfs_dir_name_len(di)))
			return i;
	}
	return -1;
}

static bool has_twin(struct corrupt *c, const struct extent_buffer *eb,
		     int slot, const struct btrfs_key *key)
{
	return is_file_entry(c, eb, slot, key) && twin_entry(eb, slot, key) >= 0;
}

static int mode_fs_entry_dup(struct corrupt *c)
{
	struct btrfs_dir_item *di;
	const struct btrfs_dir_item *twin;
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, has_twin);

	if (ret)
		return ret;
	di = item_ptr(c);
	twin = eb_item_ptr(c->eb, twin_entry(c->eb, c->slot, &c->key));
	memcpy(di + 1, twin + 1, btrfs_dir_name_len(di));
	return finish(c, "dir index renamed as another name of its inode");
}

static int mode_fs_index_entries(struct corrupt *c)
{
	u32 size;
	u8 *tail;
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, is_file_entry);

	if (ret)
		return ret;
	size = eb_item_size(c->eb, c->slot);
	ret = item_extend(c, size, &tail);
	if (ret)
		return ret;
	memcpy(tail, tail - size, size);
	return finish(c, "dir index entry doubled");
}

static int mode_fs_extref_hash(struct corrupt *c)
{
	struct btrfs_inode_extref *ref;
	int ret = fs_find(c, BTRFS_INODE_EXTREF_KEY, NULL);

	if (ret)
		return ret;
	ref = item_ptr(c);
	btrfs_set_inode_extref_parent(ref, btrfs_inode_extref_parent(ref) + 1);
	return finish(c, "inode extref parent + 1");
}

static int mode_fs_overlap(struct corrupt *c)
{
	struct btrfs_file_extent_item *fe;
	int ret = find_extent_at_leaf_end(c);

	if (ret)
		return ret;
	fe = item_ptr(c);
	btrfs_set_file_extent_num_bytes(fe, btrfs_file_extent_num_bytes(fe) +
					2 * c->fs_info->sb.sectorsize);
	return finish(c, "last file extent of a leaf: num_bytes + 2 sectors");
}

static int mode_fs_gap(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_EXTENT_DATA_KEY, is_hole);

	if (!ret)
		ret = item_delete(c);
	return ret ? ret : finish(c, "hole file extent deleted");
}

static int mode_fs_inline_size(struct corrupt *c)
{
	struct btrfs_file_extent_item *fe;
	int ret = fs_find(c, BTRFS_EXTENT_DATA_KEY, is_compressed_inline);

	if (ret)
		return ret;
	fe = item_ptr(c);
	btrfs_set_file_extent_ram_bytes(fe, 2 * c->fs_info->sb.sectorsize);
	return finish(c, "compressed inline extent ram_bytes = 2 sectors");
}

static int mode_fs_extent_range(struct corrupt *c)
{
	struct btrfs_file_extent_item *fe;
	int ret = fs_find(c, BTRFS_EXTENT_DATA_KEY, is_reg_extent);

	if (ret)
		return ret;
	fe = item_ptr(c);
	btrfs_set_file_extent_offset(fe, btrfs_file_extent_offset(fe) +
				     btrfs_file_extent_disk_num_bytes(fe));
	return finish(c, "file extent offset + disk_num_bytes");
}

static bool is_orphan(struct corrupt *c, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	return key->objectid == BTRFS_ORPHAN_OBJECTID;
}

static bool is_any_linked(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_inode_item *ii = eb_item_ptr(eb, slot);

	return btrfs_inode_nlink(ii) > 0 && key->objectid <= BTRFS_LAST_FREE_OBJECTID;
}

/* Moves the last orphan item of the top-level tree to inode 'to'. */
static int orphan_move(struct corrupt *c, u64 to)
{
	int ret;

	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_ORPHAN_ITEM_KEY,
			is_orphan, true);
	if (ret)
		return ret;
	if (to <= c->key.offset)
		return -ENOENT;
	key_set_offset(c, to);
	return finish(c, "orphan item moved to another inode");
}

static int mode_fs_orphan_gone(struct corrupt *c)
{
	return orphan_move(c, 1ULL << 40);
}

static int mode_fs_orphan_linked(struct corrupt *c)
{
	int ret;

	/* The inode with a link and the highest number. */
	ret = item_find(c, BTRFS_FS_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			is_any_linked, true);
	if (ret)
		return ret;
	return orphan_move(c, c->key.objectid);
}

static int mode_fs_root_ref_entry(struct corrupt *c)
{
	struct btrfs_dir_item *di;
	int ret = fs_find(c, BTRFS_DIR_INDEX_KEY, is_subvol_entry);

	if (ret)
		return ret;
	di = item_ptr(c);
	((u8 *)(di + 1))[0] ^= 0x01;
	return finish(c, "first byte of a subvolume's dir index name flipped");
}

static bool is_level0_info(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	return slot > 0 && key->offset >= BTRFS_FIRST_FREE_OBJECTID &&
	       !(key->offset >> BTRFS_QGROUP_LEVEL_SHIFT);
}

static bool is_upper_info(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	return slot > 0 && (key->offset >> BTRFS_QGROUP_LEVEL_SHIFT);
}

static bool not_first(struct corrupt *c, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	return slot > 0;
}

static int quota_delete(struct corrupt *c, u8 type, item_pred pred,
			const char *what)
{
	int ret = item_find(c, BTRFS_QUOTA_TREE_OBJECTID, type, pred, false);

	if (!ret)
		ret = item_delete(c);
	return ret ? ret : finish(c, what);
}

static int mode_qgroup_limit(struct corrupt *c)
{
	return quota_delete(c, BTRFS_QGROUP_LIMIT_KEY, not_first,
			    "qgroup limit item deleted");
}

static int mode_qgroup_relation(struct corrupt *c)
{
	return quota_delete(c, BTRFS_QGROUP_RELATION_KEY, not_first,
			    "qgroup relation item deleted");
}

static int mode_qgroup_subvol(struct corrupt *c)
{
	return quota_delete(c, BTRFS_QGROUP_INFO_KEY, is_level0_info,
			    "level-0 qgroup info item deleted");
}

static int mode_qgroup_upper(struct corrupt *c)
{
	return quota_delete(c, BTRFS_QGROUP_INFO_KEY, is_upper_info,
			    "higher-level qgroup info item deleted");
}

static int quota_status_set(struct corrupt *c, u64 flags, u64 version)
{
	struct btrfs_qgroup_status_item *si;
	int ret = item_find(c, BTRFS_QUOTA_TREE_OBJECTID,
			    BTRFS_QGROUP_STATUS_KEY, NULL, false);

	if (ret)
		return ret;
	si = item_ptr(c);
	btrfs_set_qgroup_status_flags(si, btrfs_qgroup_status_flags(si) | flags);
	if (version)
		btrfs_set_qgroup_status_version(si, version);
	return finish(c, "qgroup status item changed");
}

static bool is_top_info(struct corrupt *c, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	return key->offset == BTRFS_FS_TREE_OBJECTID;
}

static int mode_qgroup_counts(struct corrupt *c)
{
	struct btrfs_qgroup_info_item *ii;
	int ret = item_find(c, BTRFS_QUOTA_TREE_OBJECTID, BTRFS_QGROUP_INFO_KEY,
			    is_top_info, false);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_qgroup_info_rfer(ii, btrfs_qgroup_info_rfer(ii) +
				   c->fs_info->sb.nodesize);
	return finish(c, "qgroup 0/5 referenced + nodesize");
}

static int mode_qgroup_version(struct corrupt *c)
{
	return quota_status_set(c, 0, 2);
}

static int mode_qgroup_inconsistent(struct corrupt *c)
{
	return quota_status_set(c, BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT, 0);
}

static int mode_qgroup_rescan(struct corrupt *c)
{
	return quota_status_set(c, BTRFS_QGROUP_STATUS_FLAG_RESCAN, 0);
}

struct mode {
	const char *name;
	int (*fn)(struct corrupt *c);
	/* The problem id btrfs check must report; alternatives split by '|'. */
	const char *expect;
	/*
	 * "fs": needs the image tests/cli/check-fs-corrupt.sh makes;
	 * "copies": metadata with two copies or more.
	 */
	const char *set;
};

static const struct mode modes[] = {
	{ "bg-used", mode_bg_used, "block-group-used", NULL },
	{ "bg-flags", mode_bg_flags, "block-group-mismatch", NULL },
	{ "dev-extent-chunk", mode_dev_extent_chunk, "dev-extent-wrong-chunk", NULL },
	{ "dev-extent-length", mode_dev_extent_length, "dev-extent-length", NULL },
	{ "dev-extent-move", mode_dev_extent_move, "chunk-no-dev-extent", NULL },
	{ "dev-item-used", mode_dev_item_used, "device-bytes-used", NULL },
	{ "extent-refs", mode_extent_refs, "extent-refs", NULL },
	{ "extent-data-ref", mode_extent_data_ref, "backref-missing", NULL },
	{ "file-extent-hole", mode_file_extent_hole,
	  "extent-unreferenced|backref-unused|backref-count", NULL },
	{ "file-extent-len", mode_file_extent_len, "data-extent-mismatch", NULL },
	{ "fst-extent", mode_fst_extent, "fst-leaked", NULL },
	{ "fst-count", mode_fst_count, "fst-extent-count", NULL },
	{ "fst-bitmap", mode_fst_bitmap, "fst-leaked", NULL },
	{ "dax-valid", mode_dax_valid, "", NULL },
	{ "dax-no-compat", mode_dax_no_compat, "dax-compat-ro-missing", NULL },
	{ "dax-flags", mode_dax_flags, "dax-inode-flags", NULL },
	{ "dax-inline", mode_dax_inline, "dax-inline-extent", NULL },
	{ "dax-csum", mode_dax_csum, "dax-csum", NULL },
	{ "dax-compressed", mode_dax_compressed, "dax-compressed-extent", NULL },
	{ "dax-prop", mode_dax_prop, "dax-compress-prop", NULL },
	{ "dax-layout", mode_dax_layout, "dax-chunk-unaligned", NULL },
	{ "super-bytes-used", mode_super_bytes_used, "super-bytes-used", NULL },
	{ "super-mirror", mode_super_mirror, "super-copy-bad", NULL },
	{ "leaf-garbage", mode_leaf_garbage, "tree-block-bad", NULL },
	{ "leaf-owner", mode_leaf_owner, "tree-block-owner", NULL },
	{ "root-backref", mode_root_backref, "root-ref-mismatch", NULL },
	{ "root-refs", mode_root_refs, "root-refs-count", NULL },
	{ "csum-move", mode_csum_move, "csum-no-extent", NULL },
	{ "data-garbage", mode_data_garbage, "data-csum-mismatch", NULL },
	{ "fuzz", mode_fuzz, "", NULL },
	{ "fs-nlink", mode_fs_nlink, "inode-nlink", "fs" },
	{ "fs-inode-item", mode_fs_inode_item, "inode-item-missing", "fs" },
	{ "fs-nbytes", mode_fs_nbytes, "inode-nbytes", "fs" },
	{ "fs-dir-isize", mode_fs_dir_isize, "dir-isize", "fs" },
	{ "fs-dir-not-dir", mode_fs_dir_not_dir, "dir-item-not-dir", "fs" },
	{ "fs-del-dir-index", mode_fs_del_dir_index, "dir-index-missing", "fs" },
	{ "fs-del-dir-item", mode_fs_del_dir_item, "dir-item-missing", "fs" },
	{ "fs-del-inode-ref", mode_fs_del_inode_ref, "dir-entry-no-ref", "fs" },
	{ "fs-del-inode", mode_fs_del_inode, "dir-entry-dangling", "fs" },
	{ "fs-ref-index", mode_fs_ref_index, "inode-ref-index", "fs" },
	{ "fs-entry-type", mode_fs_entry_type, "dir-entry-type", "fs" },
	{ "fs-entry-location", mode_fs_entry_location, "dir-entry-location", "fs" },
	{ "fs-entry-dup", mode_fs_entry_dup, "dir-entry-duplicate", "fs" },
	{ "fs-index-entries", mode_fs_index_entries, "dir-index-entries", "fs" },
	{ "fs-ref-name", mode_fs_ref_name, "inode-ref-no-entry", "fs" },
	{ "fs-extref-hash", mode_fs_extref_hash, "inode-extref-hash", "fs" },
	{ "fs-overlap", mode_fs_overlap, "file-extent-overlap", "fs" },
	{ "fs-gap", mode_fs_gap, "file-extent-gap", "fs" },
	{ "fs-inline-size", mode_fs_inline_size, "file-extent-inline-size", "fs" },
	{ "fs-extent-range", mode_fs_extent_range, "file-extent-range", "fs" },
	{ "fs-beyond-isize", mode_fs_beyond_isize, "file-extent-beyond-isize", "fs" },
	{ "fs-no-csum", mode_fs_no_csum, "file-extent-no-csum", "fs" },
	{ "fs-orphan-missing", mode_fs_orphan_gone, "inode-orphan-missing", "fs" },
	{ "fs-orphan-no-inode", mode_fs_orphan_gone, "orphan-no-inode", "fs" },
	{ "fs-orphan-linked", mode_fs_orphan_linked, "orphan-linked", "fs" },
	{ "fs-root-dir", mode_fs_root_dir, "root-dir-bad", "fs" },
	{ "fs-root-ref-entry", mode_fs_root_ref_entry, "root-ref-no-dir-entry", "fs" },
	{ "fs-subvol-entry", mode_fs_root_ref_entry, "subvol-entry-unmatched", "fs" },
	{ "qgroup-version", mode_qgroup_version, "qgroup-status-bad", "fs" },
	{ "qgroup-inconsistent", mode_qgroup_inconsistent, "qgroup-inconsistent", "fs" },
	{ "qgroup-rescan", mode_qgroup_rescan, "qgroup-rescan", "fs" },
	{ "qgroup-limit", mode_qgroup_limit, "qgroup-item-missing", "fs" },
	{ "qgroup-relation", mode_qgroup_relation, "qgroup-relation-unpaired", "fs" },
	{ "qgroup-subvol", mode_qgroup_subvol, "qgroup-subvol-missing", "fs" },
	{ "qgroup-counts", mode_qgroup_counts, "qgroup-counts", "fs" },
	{ "qgroup-upper", mode_qgroup_upper, "qgroup-relation-bad", "fs" },
	{ "leaf-copy0", mode_leaf_copy0, "", "copies" },
};

#define NR_MODES (sizeof(modes) / sizeof(modes[0]))

/* The modes of one set: NULL for the catalogue image's. */
static void modes_list(const char *set)
{
	size_t i;

	for (i = 0; i < NR_MODES; i++)
		if (set ? modes[i].set && !strcmp(set, modes[i].set) :
			  !modes[i].set)
			printf("%s %s\n", modes[i].name,
			       modes[i].expect[0] ? modes[i].expect : "-");
}

static const struct mode *mode_find(const char *name)
{
	size_t i;

	for (i = 0; i < NR_MODES; i++)
		if (!strcmp(modes[i].name, name))
			return &modes[i];
	return NULL;
}

int main(int argc, char **argv)
{
	struct corrupt c = { 0 };
	struct btrfs_open_opts opts;
	const struct mode *mode;
	int first = 1, ret;

	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "--list")) {
		modes_list(argc == 3 ? argv[2] : NULL);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--no-csum")) {
		c.no_csum = true;
		first++;
	}
	if (argc - first < 2 || !(mode = mode_find(argv[argc - 1]))) {
		fprintf(stderr, "usage: btrfs-corrupt [--no-csum] IMAGE... MODE\n"
			"       btrfs-corrupt --list [fs|copies]\n");
		return 1;
	}
	btrfs_open_opts_init(&opts);
	opts.flags = BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs((const char *const *)&argv[first], argc - first - 1,
			    &opts, &c.fs_info);
	if (!ret)
		ret = mode->fn(&c);
	if (ret)
		fprintf(stderr, "btrfs-corrupt: %s: %s%s%s\n", mode->name,
			strerror(-ret), c.fs_info && c.fs_info->err[0] ? ": " : "",
			c.fs_info ? c.fs_info->err : "");
	free(c.eb);
	btrfs_close_fs(c.fs_info);
	return ret == -ENOENT ? 2 : ret ? 1 : 0;
}
