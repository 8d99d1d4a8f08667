// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs-corrupt: damages an unmounted image in one precise way, so that a
 * test can check that `btrfs check` reports exactly the matching problem.
 *
 *   btrfs-corrupt [--no-csum] IMAGE... MODE
 *   btrfs-corrupt --list [SET]
 *   btrfs-corrupt --sets
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
#include "kernel-shared/block-cache.h"

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
static int item_find_key(struct corrupt *c, u64 tree, u64 from, u8 type,
			 item_pred pred, bool last)
{
	struct btrfs_key key = { from, 0, 0 };
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

static int item_find(struct corrupt *c, u64 tree, u8 type, item_pred pred,
		     bool last)
{
	return item_find_key(c, tree, 0, type, pred, last);
}

static int item_find_from(struct corrupt *c, u64 tree, u64 from, u8 type,
			  item_pred pred)
{
	return item_find_key(c, tree, from, type, pred, false);
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

/*
 * The fs modes damage tree 5, or the subvolume BTRFS_CORRUPT_FS_TREE names,
 * from inode BTRFS_CORRUPT_MIN_INO on (0: the first).
 */
static int fs_find(struct corrupt *c, u8 type, item_pred pred)
{
	const char *tree = getenv("BTRFS_CORRUPT_FS_TREE");
	const char *min = getenv("BTRFS_CORRUPT_MIN_INO");

	free(c->eb);
	c->eb = NULL;
	return item_find_from(c, tree ? strtoull(tree, NULL, 0) :
			      BTRFS_FS_TREE_OBJECTID,
			      min ? strtoull(min, NULL, 0) : 0, type, pred);
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

static int mode_fs_dir_nbytes(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_INODE_ITEM_KEY, is_subdir);

	if (ret)
		return ret;
	btrfs_set_inode_nbytes(item_ptr(c), c->fs_info->sb.nodesize / 2);
	return finish(c, "directory nbytes set to half the node size");
}

/* An uncompressed inline extent, the last item of its inode in the leaf. */
static bool is_plain_inline_last(struct corrupt *c,
				 const struct extent_buffer *eb, int slot,
				 const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);
	struct btrfs_key next;

	if (btrfs_file_extent_type(fe) != BTRFS_FILE_EXTENT_INLINE ||
	    btrfs_file_extent_compression(fe) != BTRFS_COMPRESS_NONE)
		return false;
	if ((u32)slot + 1 == eb_nritems(eb))
		return true;
	eb_item_key(eb, &next, slot + 1);
	return next.objectid != key->objectid;
}

/* ... in a leaf with room for one more file extent item. */
static bool is_plain_inline_room(struct corrupt *c,
				 const struct extent_buffer *eb, int slot,
				 const struct btrfs_key *key)
{
	u32 nr = eb_nritems(eb);
	u32 used = nr * sizeof(struct btrfs_item);

	return is_plain_inline_last(c, eb, slot, key) &&
	       eb_item_offset(eb, nr - 1) >= used + sizeof(struct btrfs_item) +
					     sizeof(struct btrfs_file_extent_item);
}

static int item_insert(struct corrupt *c, int slot, const struct btrfs_key *key,
		       u32 size, void **ptr);

static int mode_fs_inline_mixed(struct corrupt *c)
{
	struct btrfs_file_extent_item *fe;
	u32 ss = c->fs_info->sb.sectorsize;
	struct btrfs_key key;
	void *data;
	int ret = fs_find(c, BTRFS_EXTENT_DATA_KEY, is_plain_inline_room);

	if (ret)
		return ret;
	key = c->key;
	key.offset = ss;
	ret = item_insert(c, c->slot + 1, &key, sizeof(*fe), &data);
	if (ret)
		return ret;
	/* A hole: no data, nothing else in the filesystem changes. */
	fe = data;
	btrfs_set_file_extent_generation(fe, eb_generation(c->eb));
	btrfs_set_file_extent_type(fe, BTRFS_FILE_EXTENT_REG);
	btrfs_set_file_extent_num_bytes(fe, ss);
	btrfs_set_file_extent_ram_bytes(fe, ss);
	return finish(c, "hole file extent added after an inline extent");
}

static int mode_fs_inline_offset(struct corrupt *c)
{
	int ret = fs_find(c, BTRFS_EXTENT_DATA_KEY, is_plain_inline_last);

	if (ret)
		return ret;
	key_set_offset(c, c->fs_info->sb.sectorsize);
	return finish(c, "inline extent moved to file offset sectorsize");
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

static bool is_level2_info(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	return key->offset >> BTRFS_QGROUP_LEVEL_SHIFT == 2;
}

static int mode_qgroup_upper_counts(struct corrupt *c)
{
	struct btrfs_qgroup_info_item *ii;
	int ret = item_find(c, BTRFS_QUOTA_TREE_OBJECTID, BTRFS_QGROUP_INFO_KEY,
			    is_level2_info, false);

	if (ret)
		return ret;
	ii = item_ptr(c);
	btrfs_set_qgroup_info_excl(ii, btrfs_qgroup_info_excl(ii) +
				   c->fs_info->sb.nodesize);
	return finish(c, "level-2 qgroup exclusive + nodesize");
}

/* A data extent item whose first inline ref is an owner ref. */
static bool has_owner_ref(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	const struct btrfs_extent_item *ei = eb_item_ptr(eb, slot);
	const struct btrfs_extent_inline_ref *iref = (const void *)(ei + 1);

	return eb_item_size(eb, slot) >= sizeof(*ei) + sizeof(*iref) &&
	       !(btrfs_extent_flags(ei) & BTRFS_EXTENT_FLAG_TREE_BLOCK) &&
	       btrfs_extent_inline_ref_type(iref) == BTRFS_EXTENT_OWNER_REF_KEY;
}

/* Simple quotas: the owner ref of a data extent names another subvolume. */
static int mode_squota_owner(struct corrupt *c)
{
	struct btrfs_extent_inline_ref *iref;
	u64 root;
	int ret = item_find(c, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_EXTENT_ITEM_KEY,
			    has_owner_ref, false);

	if (ret)
		return ret;
	iref = (void *)((struct btrfs_extent_item *)item_ptr(c) + 1);
	root = btrfs_extent_inline_ref_offset(iref);
	btrfs_set_extent_inline_ref_offset(iref, root == BTRFS_FS_TREE_OBJECTID ?
					   BTRFS_FIRST_FREE_OBJECTID :
					   BTRFS_FS_TREE_OBJECTID);
	return finish(c, "data extent owner ref names another subvolume");
}

/* ------------------------------------------ v1 free space cache */

#define CACHE_PAGE 4096U

/* A cache header with entries but no bitmaps: one page holds them all. */
static bool is_cache_header(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	const struct btrfs_free_space_header *h = eb_item_ptr(eb, slot);

	return key->objectid == BTRFS_FREE_SPACE_OBJECTID &&
	       eb_item_size(eb, slot) >= sizeof(*h) &&
	       btrfs_free_space_entries(h) && !btrfs_free_space_bitmaps(h);
}

static bool is_ino_item(struct corrupt *c, const struct extent_buffer *eb,
			int slot, const struct btrfs_key *key)
{
	return key->objectid == c->want_ino && key->offset == 0;
}

/* Writes buf to every copy of logical [logical, +len). */
static int data_write(struct corrupt *c, u64 logical, const void *buf, u32 len)
{
	struct chunk_map *map = chunk_map_lookup(c->fs_info, logical);
	int m, ret = -ENOENT;

	for (m = 0; map && m < chunk_map_num_copies(map); m++) {
		struct btrfs_io_copy copy;
		u64 contig;

		ret = chunk_map_locate(map, logical, m, &copy, &contig);
		if (!ret && contig < len)
			ret = -EINVAL;
		if (!ret)
			ret = dev_write(copy.stripe->dev, buf, len, copy.physical);
		if (ret)
			break;
	}
	return ret;
}

/*
 * An entry of a block group's v1 cache moves one sector down, over the
 * used (or superblock) sector before it: the kernel merges adjacent free
 * ranges, so that sector is not free.  The page's crc is made right again
 * and the free bytes still add up, so the kernel would load the cache and
 * hand that sector out.
 */
/* Reads page 0 of the first v1 cache file with entries only. */
static int cache_page0(struct corrupt *c, u8 *page, u64 *bg, u64 *disk,
		       u32 *pages)
{
	const struct btrfs_free_space_header *h;
	struct btrfs_file_extent_item *fe;
	u64 size;
	int ret;

	ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, 0, is_cache_header, false);
	if (ret)
		return ret;
	h = item_ptr(c);
	*bg = c->key.offset;
	c->want_ino = btrfs_disk_key_objectid(&h->location);
	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_INODE_ITEM_KEY,
			is_ino_item, false);
	if (ret)
		return ret;
	size = btrfs_inode_size(item_ptr(c));
	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_EXTENT_DATA_KEY,
			is_ino_item, false);
	if (ret)
		return ret;
	fe = item_ptr(c);
	*disk = btrfs_file_extent_disk_bytenr(fe) + btrfs_file_extent_offset(fe);
	*pages = (u32)((size + CACHE_PAGE - 1) / CACHE_PAGE);
	if (!btrfs_file_extent_disk_bytenr(fe) || !*pages ||
	    *pages * sizeof(u32) + sizeof(u64) +
	    sizeof(struct btrfs_free_space_entry) > CACHE_PAGE)
		return -ENOENT;
	return btrfs_read_logical(c->fs_info, *disk, page, CACHE_PAGE, 0);
}

/*
 * Moves the first extent entry of a v1 cache that can move (not at the
 * group's start) one sector down, and fixes the page's crc: a used sector
 * is listed free, the entry's last free sector is not.
 */
static int mode_cache_entry(struct corrupt *c)
{
	struct btrfs_free_space_entry *e;
	u32 ss = c->fs_info->sb.sectorsize, pages, crc, off;
	u64 bg, disk;
	u8 page[CACHE_PAGE];
	int ret = cache_page0(c, page, &bg, &disk, &pages);

	if (ret)
		return ret;
	for (off = pages * sizeof(u32) + sizeof(u64);; off += sizeof(*e)) {
		if (off + sizeof(*e) > CACHE_PAGE)
			return -ENOENT;
		e = (void *)(page + off);
		if (!btrfs_free_space_entry_bytes(e))
			return -ENOENT;
		if (btrfs_free_space_entry_type(e) ==
		    BTRFS_FREE_SPACE_CACHE_EXTENT &&
		    btrfs_free_space_entry_offset(e) >= bg + ss)
			break;
	}
	btrfs_set_free_space_entry_offset(e, btrfs_free_space_entry_offset(e) - ss);
	crc = cpu_to_le32(~btrfs_crc32c(~0U, page + pages * sizeof(u32),
					CACHE_PAGE - pages * sizeof(u32)));
	memcpy(page, &crc, sizeof(crc));
	ret = data_write(c, disk, page, CACHE_PAGE);
	if (!ret)
		printf("free space cache of block group %llu: an entry one sector down\n",
		       (unsigned long long)bg);
	return ret;
}

/* The first entry of a v1 cache changes, its page's crc does not. */
static int mode_cache_crc(struct corrupt *c)
{
	u64 bg, disk;
	u32 pages;
	u8 page[CACHE_PAGE];
	int ret = cache_page0(c, page, &bg, &disk, &pages);

	if (ret)
		return ret;
	page[pages * sizeof(u32) + sizeof(u64)] ^= 0x10;
	ret = data_write(c, disk, page, CACHE_PAGE);
	if (!ret)
		printf("free space cache of block group %llu: first entry changed, crc not\n",
		       (unsigned long long)bg);
	return ret;
}

/* The header of a block group's v1 cache names another generation. */
static int mode_cache_generation(struct corrupt *c)
{
	struct btrfs_free_space_header *h;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, 0, is_cache_header,
			    false);

	if (ret)
		return ret;
	h = item_ptr(c);
	btrfs_set_free_space_generation(h, btrfs_free_space_generation(h) + 1);
	return finish(c, "free space cache header generation + 1");
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

/* --------------------------------------- more modes: the older problem ids */

/*
 * These modes damage the image that tests/cli/check-corrupt2.sh makes (set
 * "more": our mkfs with 4 KiB nodes, then the kernel writes thousands of
 * small files, so the subvolume, extent and checksum trees have several
 * leaves and the subvolume tree has a level-2 root), or the DAX-layout
 * image of the same script (set "more-dax"), or its image of many chunks
 * (set "more-chunks": the device tree has two leaves).
 */

/* A leaf copy and, when the leaf is not the root, a copy of its parent. */
struct leaf_at {
	struct extent_buffer *parent;
	int pslot;
};

static void leaf_at_free(struct leaf_at *at)
{
	free(at->parent);
	at->parent = NULL;
}

/*
 * Like item_find(), over items of every type; the parent of the leaf
 * found is copied into *at when at is not NULL.
 */
static int tree_scan(struct corrupt *c, u64 tree, item_pred pred, bool last,
		     struct leaf_at *at)
{
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	free(c->eb);
	c->eb = NULL;
	ret = btrfs_read_root(c->fs_info, tree, &root, NULL);
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (pred(c, path.nodes[0], path.slots[0], &key)) {
			free(c->eb);
			c->eb = eb_copy(path.nodes[0]);
			c->slot = path.slots[0];
			c->key = key;
			if (at) {
				leaf_at_free(at);
				if (path.nodes[1]) {
					at->parent = eb_copy(path.nodes[1]);
					at->pslot = path.slots[1];
				}
			}
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

/* Writes another block copy (a parent) with the same checksum rules. */
static int block_write_eb(struct corrupt *c, struct extent_buffer *eb)
{
	struct extent_buffer *keep = c->eb;
	int ret;

	c->eb = eb;
	ret = block_write(c);
	c->eb = keep;
	return ret;
}

/* finish(), and the engine forgets the block: later finds see the change. */
static int finish_fresh(struct corrupt *c, const char *what)
{
	int ret = finish(c, what);

	if (!ret)
		block_cache_forget(&c->fs_info->cache, c->eb->start);
	return ret;
}

/* Is the leaf the root of its tree (no parent key to keep in step)? */
static bool leaf_is_root(struct corrupt *c, u64 tree)
{
	struct btrfs_root root;

	return !btrfs_read_root(c->fs_info, tree, &root, NULL) &&
	       root.bytenr == c->eb->start;
}

/* Inserts an item at 'slot' of c->eb, zeroed; *ptr: its data. */
static int item_insert(struct corrupt *c, int slot, const struct btrfs_key *key,
		       u32 size, void **ptr)
{
	struct extent_buffer *eb = c->eb;
	u32 nr = eb_nritems(eb), i;
	u32 data_size = btrfs_leaf_data_size(eb->len);
	u32 top = slot > 0 ? eb_item_offset(eb, slot - 1) : data_size;
	u32 end = nr ? eb_item_offset(eb, (int)nr - 1) : data_size;
	u8 *data = eb->data + sizeof(struct btrfs_header);
	struct btrfs_item *it;

	if (slot < 0 || (u32)slot > nr)
		return -EINVAL;
	if (end < (nr + 1) * sizeof(struct btrfs_item) + size)
		return -ENOSPC;
	/* The data of the items from 'slot' on sit below 'top': move them. */
	memmove(data + end - size, data + end, top - end);
	for (i = slot; i < nr; i++)
		btrfs_set_raw_item_offset(eb_item(eb, (int)i),
					  eb_item_offset(eb, (int)i) - size);
	memmove(eb_item(eb, slot + 1), eb_item(eb, slot),
		(nr - slot) * sizeof(struct btrfs_item));
	it = eb_item(eb, slot);
	btrfs_cpu_key_to_disk(&it->key, key);
	btrfs_set_raw_item_offset(it, top - size);
	btrfs_set_raw_item_size(it, size);
	btrfs_set_header_nritems(eb_header(eb), nr + 1);
	*ptr = data + top - size;
	memset(*ptr, 0, size);
	c->slot = slot;
	c->key = *key;
	return 0;
}

/* Shrinks item c->slot to 'size' bytes, keeping its first bytes. */
static int item_shrink(struct corrupt *c, u32 size)
{
	struct extent_buffer *eb = c->eb;
	u32 nr = eb_nritems(eb), old = eb_item_size(eb, c->slot);
	u32 off = eb_item_offset(eb, c->slot), end = eb_item_offset(eb, nr - 1);
	u8 *data = eb->data + sizeof(struct btrfs_header);
	u32 n = old - size, i;

	if (size > old)
		return -EINVAL;
	/* The kept bytes move up to the item's end, and the items after. */
	memmove(data + off + n, data + off, size);
	memmove(data + end + n, data + end, off - end);
	for (i = c->slot; i < nr; i++)
		btrfs_set_raw_item_offset(eb_item(eb, (int)i),
					  eb_item_offset(eb, (int)i) + n);
	btrfs_set_raw_item_size(eb_item(eb, c->slot), size);
	return 0;
}

/* Deletes c->slot, whatever the slot (the leaf has two items or more). */
static void item_remove_raw(struct corrupt *c)
{
	struct extent_buffer *eb = c->eb;
	u32 nr = eb_nritems(eb), size = eb_item_size(eb, c->slot);
	u32 off = eb_item_offset(eb, c->slot), end = eb_item_offset(eb, nr - 1);
	u8 *data = eb->data + sizeof(struct btrfs_header);
	u32 i;

	memmove(data + end + size, data + end, off - end);
	for (i = c->slot + 1; i < nr; i++)
		btrfs_set_raw_item_offset(eb_item(eb, (int)i),
					  eb_item_offset(eb, (int)i) + size);
	memmove(eb_item(eb, c->slot), eb_item(eb, c->slot + 1),
		(nr - c->slot - 1) * sizeof(struct btrfs_item));
	btrfs_set_header_nritems(eb_header(eb), nr - 1);
}

/* Deletes c->slot; slot 0 only when the leaf is the root of 'tree'. */
static int item_remove(struct corrupt *c, u64 tree)
{
	if (eb_nritems(c->eb) < 2 || (c->slot == 0 && !leaf_is_root(c, tree)))
		return -ENOENT;
	item_remove_raw(c);
	return 0;
}

/* The slot where 'key' belongs in c->eb. */
static int slot_for(const struct extent_buffer *eb, const struct btrfs_key *key)
{
	int i, nr = (int)eb_nritems(eb);

	for (i = 0; i < nr; i++) {
		struct btrfs_key k;

		eb_item_key(eb, &k, i);
		if (btrfs_comp_keys(&k, key) > 0)
			break;
	}
	return i;
}

/* Inserts an item where 'key' belongs in 'tree' (not in front of a leaf). */
static int item_place(struct corrupt *c, u64 tree, const struct btrfs_key *key,
		      u32 size, void **ptr)
{
	struct btrfs_root root;
	struct btrfs_path path;
	int ret = btrfs_read_root(c->fs_info, tree, &root, NULL), slot = 0;

	free(c->eb);
	c->eb = NULL;
	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, key, &path);
	if (ret == 0)
		ret = -EEXIST;
	else if (ret > 0 && path.nodes[0] &&
		 (path.slots[0] > 0 || !path.nodes[1])) {
		c->eb = eb_copy(path.nodes[0]);
		slot = path.slots[0];
		ret = c->eb ? 0 : -ENOMEM;
	} else if (ret > 0) {
		ret = -ENOENT;
	}
	btrfs_path_release(&path);
	return ret ? ret : item_insert(c, slot, key, size, ptr);
}

/*
 * Inserts an item of 'type' at a logical address no chunk covers: the start
 * of each gap between chunks, then the end of the last chunk, until a leaf
 * has room.  offset 0: the key offset is the rest of the gap, at most 1 MiB
 * (a block group's length).
 */
static int gap_place(struct corrupt *c, u64 tree, u8 type, u64 offset,
		     u32 size, void **ptr)
{
	struct btrfs_fs_info *fs = c->fs_info;
	int ret = -ENOENT;
	u32 i;

	for (i = 0; i < fs->nr_chunks; i++) {
		u64 start = fs->chunks[i]->logical + fs->chunks[i]->length;
		u64 end = i + 1 < fs->nr_chunks ? fs->chunks[i + 1]->logical :
			  start + (1ULL << 30);
		struct btrfs_key key = { start, type, offset };

		if (end <= start)
			continue;
		if (!offset)
			key.offset = end - start < (1ULL << 20) ? end - start :
				     1ULL << 20;
		ret = item_place(c, tree, &key, size, ptr);
		if (ret != -ENOSPC && ret != -ENOENT)
			break;
	}
	return ret;
}

/* The extent item of 'bytenr' in the extent tree: its refs, or 0. */
static u64 extent_refs_at(struct corrupt *c, u64 bytenr)
{
	struct btrfs_key key = { bytenr, BTRFS_EXTENT_ITEM_KEY, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	u64 refs = 0;
	int ret;

	if (btrfs_read_root(c->fs_info, BTRFS_EXTENT_TREE_OBJECTID, &root, NULL))
		return 0;
	btrfs_path_init(&path);
	ret = btrfs_search_first(c->fs_info, &root, &key, &path);
	if (ret == 0) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		if (key.objectid == bytenr && key.type == BTRFS_EXTENT_ITEM_KEY)
			refs = btrfs_extent_refs(eb_item_ptr(path.nodes[0],
							     path.slots[0]));
	}
	btrfs_path_release(&path);
	return refs;
}

static void sb_zero(struct btrfs_super_block *sb)
{
	memset(sb, 0, sizeof(*sb));
}

/* A copy of another filesystem: its fsid everywhere it is named. */
static void sb_other_fsid(struct btrfs_super_block *sb)
{
	sb->fsid[0] ^= 0x5a;
	sb->dev_item.fsid[0] ^= 0x5a;
}

/* A copy the last transaction did not reach. */
static void sb_older(struct btrfs_super_block *sb)
{
	u64 gen = btrfs_super_generation(sb) - 1;

	btrfs_set_super_generation(sb, gen);
	if (btrfs_super_chunk_root_generation(sb) > gen)
		btrfs_set_super_chunk_root_generation(sb, gen);
}

static void sb_total_shrink(struct btrfs_super_block *sb)
{
	btrfs_set_super_total_bytes(sb, btrfs_super_total_bytes(sb) - (1ULL << 20));
}

static void sb_dev_uuid(struct btrfs_super_block *sb)
{
	sb->dev_item.uuid[0] ^= 0x5a;
}

static void sb_fst_invalid(struct btrfs_super_block *sb)
{
	btrfs_set_super_compat_ro_flags(sb, btrfs_super_compat_ro_flags(sb) &
		~(u64)BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID);
}

/* The first chunk of the superblock's system chunk array: METADATA too. */
static void sb_sys_chunk_type(struct btrfs_super_block *sb)
{
	struct btrfs_chunk *chunk = (struct btrfs_chunk *)(sb->sys_chunk_array +
					sizeof(struct btrfs_disk_key));

	btrfs_set_chunk_type(chunk, btrfs_chunk_type(chunk) |
			     BTRFS_BLOCK_GROUP_METADATA);
}

static int super_mode(struct corrupt *c, void (*fn)(struct btrfs_super_block *),
		      int mirror, const char *what)
{
	int ret = super_modify(c, fn, mirror);

	if (!ret)
		printf("%s\n", what);
	return ret;
}

static int mode_super_missing(struct corrupt *c)
{
	bool no_csum = c->no_csum;
	int ret;

	c->no_csum = true;
	ret = super_mode(c, sb_zero, 1, "superblock copy 1 zeroed");
	c->no_csum = no_csum;
	return ret;
}

static int mode_super_fsid(struct corrupt *c)
{
	return super_mode(c, sb_other_fsid, 1,
			  "superblock copy 1: fsid of another filesystem");
}

static int mode_super_older(struct corrupt *c)
{
	return super_mode(c, sb_older, 1, "superblock copy 1: generation - 1");
}

static int mode_super_total(struct corrupt *c)
{
	return super_mode(c, sb_total_shrink, -1,
			  "superblocks: total_bytes - 1 MiB");
}

static int mode_super_dev_uuid(struct corrupt *c)
{
	return super_mode(c, sb_dev_uuid, -1,
			  "superblocks: device uuid of the dev_item changed");
}

static int mode_fst_not_valid(struct corrupt *c)
{
	return super_mode(c, sb_fst_invalid, -1,
			  "superblocks: FREE_SPACE_TREE_VALID cleared");
}

static int mode_sys_chunk(struct corrupt *c)
{
	return super_mode(c, sb_sys_chunk_type, -1, "superblocks: first system "
			  "chunk of the array typed METADATA too");
}

/* A device item for devid 2, as a device add that stopped half way. */
static int mode_dev_item_extra(struct corrupt *c)
{
	struct btrfs_dev_item *di;
	struct btrfs_key key = { BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 2 };
	void *p;
	int ret = item_find(c, BTRFS_CHUNK_TREE_OBJECTID, BTRFS_DEV_ITEM_KEY,
			    NULL, true);

	if (ret)
		return ret;
	if (c->key.offset >= 2)
		return -ENOENT;
	ret = item_insert(c, c->slot + 1, &key, sizeof(*di), &p);
	if (ret)
		return ret;
	di = p;
	memcpy(di, eb_item_ptr(c->eb, c->slot - 1), sizeof(*di));
	btrfs_set_device_id(di, 2);
	btrfs_set_device_bytes_used(di, 0);
	di->uuid[0] ^= 0x5a;
	return finish(c, "device item for devid 2 added");
}

/* The (first) image file is cut to 'size' bytes, as a shrunk partition. */
static int device_cut(struct corrupt *c, u64 size)
{
	struct btrfs_device *dev = c->fs_info->devices;

	if (!dev || truncate(dev->path, (off_t)size))
		return dev ? -errno : -ENOENT;
	printf("%s truncated to %llu bytes\n", dev->path,
	       (unsigned long long)size);
	return 0;
}

static int mode_device_shrink(struct corrupt *c)
{
	return device_cut(c, c->fs_info->devices->size - (1ULL << 20));
}

static bool is_dev_extent(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_DEV_EXTENT_KEY;
}

/* The end of the last device extent of device 1. */
static int dev_extents_end(struct corrupt *c, u64 *end)
{
	int ret = tree_scan(c, BTRFS_DEV_TREE_OBJECTID, is_dev_extent, true, NULL);

	if (ret)
		return ret;
	*end = c->key.offset +
	       btrfs_dev_extent_length(eb_item_ptr(c->eb, c->slot));
	return 0;
}

/* A device extent of no chunk, as a chunk removal would leave behind. */
static int mode_dev_extent_orphan(struct corrupt *c)
{
	struct btrfs_dev_extent *de;
	struct btrfs_key key;
	void *p;
	u64 end;
	int ret = dev_extents_end(c, &end);

	if (ret)
		return ret;
	key = (struct btrfs_key){ c->key.objectid, BTRFS_DEV_EXTENT_KEY, end };
	if (end + (1ULL << 20) > c->fs_info->devices->size)
		return -ENOENT;
	ret = item_insert(c, c->slot + 1, &key, sizeof(*de), &p);
	if (ret)
		return ret;
	de = p;
	memcpy(de, eb_item_ptr(c->eb, c->slot - 1), sizeof(*de));
	btrfs_set_dev_extent_chunk_offset(de, 1ULL << 40);
	btrfs_set_dev_extent_length(de, 1ULL << 20);
	return finish(c, "device extent of no chunk added after the last one");
}

/* The device item says the device ends inside its last device extent. */
static int mode_dev_item_small(struct corrupt *c)
{
	struct btrfs_dev_item *di;
	u64 end;
	int ret = dev_extents_end(c, &end);

	free(c->eb);
	c->eb = NULL;
	if (!ret)
		ret = item_find(c, BTRFS_CHUNK_TREE_OBJECTID, BTRFS_DEV_ITEM_KEY,
				NULL, false);
	if (ret)
		return ret;
	di = item_ptr(c);
	btrfs_set_device_total_bytes(di, end - (1ULL << 20));
	if (btrfs_device_bytes_used(di) > end - (1ULL << 20))
		return -ENOENT;
	return finish(c, "device item total_bytes inside the last device extent");
}

static bool is_data_chunk(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	struct btrfs_chunk *ch = eb_item_ptr(eb, slot);

	return btrfs_chunk_type(ch) & BTRFS_BLOCK_GROUP_DATA;
}

static int mode_stripe_devid(struct corrupt *c)
{
	struct btrfs_chunk *ch;
	int ret = item_find(c, BTRFS_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY,
			    is_data_chunk, true);

	if (ret)
		return ret;
	ch = item_ptr(c);
	btrfs_set_stripe_devid(btrfs_chunk_stripe(ch, 0), 7);
	return finish(c, "last data chunk: stripe 0 on devid 7");
}

/* Root items: the data relocation tree's, a tree no mount needs. */
static bool is_reloc_root(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	return key->objectid == BTRFS_DATA_RELOC_TREE_OBJECTID;
}

static bool is_uuid_root(struct corrupt *c, const struct extent_buffer *eb,
			 int slot, const struct btrfs_key *key)
{
	return key->objectid == BTRFS_UUID_TREE_OBJECTID;
}

/* The root item of the uuid tree (the kernel's) lost its last update. */
static int mode_root_gen_old(struct corrupt *c)
{
	struct btrfs_root_item *ri;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
			    is_uuid_root, false);

	if (ret)
		return ret;
	ri = item_ptr(c);
	if (btrfs_root_generation(ri) < 2)
		return -ENOENT;
	btrfs_set_root_generation(ri, btrfs_root_generation(ri) - 1);
	return finish(c, "uuid tree root item generation - 1");
}

static int mode_root_gen_new(struct corrupt *c)
{
	struct btrfs_root_item *ri;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
			    is_reloc_root, false);

	if (ret)
		return ret;
	ri = item_ptr(c);
	btrfs_set_root_generation(ri, c->fs_info->sb.generation + 1);
	return finish(c, "data relocation root item generation = super + 1");
}

static bool is_extent_root(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	return key->objectid == BTRFS_EXTENT_TREE_OBJECTID &&
	       key->type == BTRFS_ROOT_ITEM_KEY;
}

/*
 * Deletes the extent tree's root item, the first key of the root tree; the
 * key of that leaf in its parent follows when the parent is the root.
 */
static int mode_root_item_gone(struct corrupt *c)
{
	struct leaf_at at = { NULL, 0 };
	struct btrfs_key first;
	int ret = tree_scan(c, BTRFS_ROOT_TREE_OBJECTID, is_extent_root, false,
			    &at);

	if (!ret && at.parent && c->slot == 0) {
		if (at.parent->start != c->fs_info->tree_root.bytenr ||
		    eb_nritems(c->eb) < 2) {
			ret = -ENOENT;
		} else {
			item_remove_raw(c);
			eb_item_key(c->eb, &first, 0);
			btrfs_cpu_key_to_disk(&eb_key_ptr(at.parent, at.pslot)->key,
					      &first);
			ret = block_write_eb(c, at.parent);
		}
	} else if (!ret) {
		ret = item_remove(c, BTRFS_ROOT_TREE_OBJECTID);
	}
	leaf_at_free(&at);
	return ret ? ret : finish(c, "extent tree root item deleted");
}

/* The data relocation tree's root item names the uuid tree's root block. */
static int mode_root_shared(struct corrupt *c)
{
	struct btrfs_root_item *ri;
	struct btrfs_root other;
	int ret = btrfs_read_root(c->fs_info, BTRFS_UUID_TREE_OBJECTID, &other,
				  NULL);

	if (!ret)
		ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
				is_reloc_root, false);
	if (ret)
		return ret;
	ri = item_ptr(c);
	btrfs_set_root_bytenr(ri, other.bytenr);
	btrfs_set_root_generation(ri, other.generation);
	btrfs_set_root_level(ri, other.level);
	return finish(c, "data relocation root item points to the uuid tree's root");
}

/*
 * The uuid tree's root block and its root item: generation super + 1, as
 * if a transaction the superblock never recorded had written them.
 */
static int mode_leaf_gen_new(struct corrupt *c)
{
	u64 gen = c->fs_info->sb.generation + 1, bytenr;
	struct extent_buffer *eb, *copy;
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
			    is_uuid_root, false);

	if (ret)
		return ret;
	bytenr = btrfs_root_bytenr(item_ptr(c));
	btrfs_set_root_generation(item_ptr(c), gen);
	ret = finish_fresh(c, "uuid tree root item generation super + 1");
	if (!ret)
		ret = tree_block_read(c->fs_info, bytenr, NULL, &eb);
	if (ret)
		return ret;
	copy = eb_copy(eb);
	extent_buffer_put(eb);
	if (!copy)
		return -ENOMEM;
	btrfs_set_header_generation(eb_header(copy), gen);
	ret = block_write_eb(c, copy);
	if (!ret)
		printf("block %llu: generation super + 1\n",
		       (unsigned long long)bytenr);
	free(copy);
	return ret;
}

/*
 * One leaf reached from two nodes.  Of two neighbouring children A and B
 * of a level-2 root, A gets a last pointer to B's first leaf, whose key
 * sorts after every key of A; or, when A is full, B gets a first pointer
 * to A's last leaf and the root's key of B becomes that leaf's first key.
 * Every node stays sorted and every pointer's key is its block's first.
 */
static int mode_leaf_twice(struct corrupt *c)
{
	struct extent_buffer *r = NULL, *a = NULL, *b = NULL, *copy = NULL;
	struct btrfs_root root;
	struct btrfs_key kx;
	u32 na, nb, max;
	int nr = 0, ret = btrfs_read_root(c->fs_info, BTRFS_FS_TREE_OBJECTID,
					  &root, NULL);

	if (!ret)
		ret = tree_block_read(c->fs_info, root.bytenr, NULL, &r);
	if (!ret && (eb_level(r) < 2 || eb_nritems(r) < 2))
		ret = -ENOENT;
	if (!ret) {
		nr = (int)eb_nritems(r);
		ret = tree_block_read(c->fs_info, eb_node_blockptr(r, nr - 2),
				      NULL, &a);
	}
	if (!ret)
		ret = tree_block_read(c->fs_info, eb_node_blockptr(r, nr - 1),
				      NULL, &b);
	if (ret)
		goto out;
	na = eb_nritems(a);
	nb = eb_nritems(b);
	max = btrfs_node_ptrs_max(a->len);
	if (na < max) {
		copy = eb_copy(a);
		if (copy) {
			memcpy(eb_key_ptr(copy, (int)na), eb_key_ptr(b, 0),
			       sizeof(struct btrfs_key_ptr));
			btrfs_set_header_nritems(eb_header(copy), na + 1);
			ret = block_write_eb(c, copy);
		}
	} else if (nb < max) {
		copy = eb_copy(b);
		if (copy) {
			memmove(eb_key_ptr(copy, 1), eb_key_ptr(copy, 0),
				nb * sizeof(struct btrfs_key_ptr));
			memcpy(eb_key_ptr(copy, 0), eb_key_ptr(a, (int)na - 1),
			       sizeof(struct btrfs_key_ptr));
			btrfs_set_header_nritems(eb_header(copy), nb + 1);
			ret = block_write_eb(c, copy);
			free(copy);
			copy = ret ? NULL : eb_copy(r);
			eb_node_key(a, &kx, (int)na - 1);
			if (copy) {
				btrfs_cpu_key_to_disk(&eb_key_ptr(copy, nr - 1)->key,
						      &kx);
				ret = block_write_eb(c, copy);
			}
		}
	} else {
		ret = -ENOSPC;
		goto out;
	}
	if (!copy && !ret)
		ret = -ENOMEM;
	if (!ret)
		printf("nodes %llu and %llu: both point to one leaf\n",
		       (unsigned long long)a->start, (unsigned long long)b->start);
	free(copy);
out:
	extent_buffer_put(r);
	extent_buffer_put(a);
	extent_buffer_put(b);
	return ret;
}

/* A dev extent item copied into the root tree, after the dev tree's root item. */
static int mode_item_wrong_tree(struct corrupt *c)
{
	struct btrfs_key key;
	struct btrfs_dev_extent de;
	void *p;
	int ret = item_find(c, BTRFS_DEV_TREE_OBJECTID, BTRFS_DEV_EXTENT_KEY,
			    NULL, false);

	if (ret)
		return ret;
	memcpy(&de, item_ptr(c), sizeof(de));
	key = (struct btrfs_key){ BTRFS_DEV_TREE_OBJECTID, BTRFS_DEV_EXTENT_KEY,
				  c->key.offset };
	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, NULL,
			false);
	if (ret)
		return ret;
	ret = item_insert(c, slot_for(c->eb, &key), &key, sizeof(de), &p);
	if (ret)
		return ret;
	memcpy(p, &de, sizeof(de));
	return finish(c, "a device extent item copied into the root tree");
}

static bool is_data_bg_item(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_BLOCK_GROUP_ITEM_KEY && slot > 0 &&
	       is_data_bg(c, eb, slot, key);
}

static int mode_bg_gone(struct corrupt *c)
{
	int ret = tree_scan(c, BG_TREE(c), is_data_bg_item, true, NULL);

	if (!ret)
		ret = item_remove(c, BG_TREE(c));
	return ret ? ret : finish(c, "last data block group item deleted");
}

static int mode_bg_extra(struct corrupt *c)
{
	struct btrfs_block_group_item *bi;
	void *p;
	int ret = gap_place(c, BG_TREE(c), BTRFS_BLOCK_GROUP_ITEM_KEY, 0,
			    sizeof(*bi), &p);

	if (ret)
		return ret;
	bi = p;
	btrfs_set_block_group_flags(bi, BTRFS_BLOCK_GROUP_DATA);
	btrfs_set_block_group_chunk_objectid(bi, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	return finish(c, "block group item of no chunk added");
}

/*
 * Calls fn on each pair of neighbouring leaves of 'tree' until it returns
 * non-zero; fn gets copies it may change and write.
 */
static int leaf_pairs(struct corrupt *c, u64 tree,
		      int (*fn)(struct corrupt *c, struct extent_buffer *prev,
				struct extent_buffer *next, struct leaf_at *at))
{
	struct btrfs_key key = { 0, 0, 0 };
	struct extent_buffer *prev = NULL;
	struct btrfs_root root;
	struct btrfs_path path;
	int ret = btrfs_read_root(c->fs_info, tree, &root, NULL), done = 0;

	if (ret)
		return ret;
	btrfs_path_init(&path);
	ret = btrfs_search_slot(c->fs_info, &root, &key, &path);
	while (ret >= 0 && !done && path.nodes[0]) {
		if (path.slots[0] == 0 && prev) {
			struct extent_buffer *next = eb_copy(path.nodes[0]);
			struct leaf_at at = { NULL, path.slots[1] };

			at.parent = path.nodes[1] ? eb_copy(path.nodes[1]) : NULL;
			done = next && at.parent ? fn(c, prev, next, &at) : -ENOMEM;
			free(next);
			leaf_at_free(&at);
		}
		if (path.slots[0] == (int)eb_nritems(path.nodes[0]) - 1) {
			free(prev);
			prev = eb_copy(path.nodes[0]);
		}
		ret = btrfs_next_item(c->fs_info, &path);
		if (ret > 0)
			break;
	}
	free(prev);
	btrfs_path_release(&path);
	if (ret < 0)
		return ret;
	return done < 0 ? done : done ? 0 : -ENOENT;
}

/* The last data extent item of prev grows into the first extent of next. */
static int extent_overlap_pair(struct corrupt *c, struct extent_buffer *prev,
			       struct extent_buffer *next, struct leaf_at *at)
{
	struct btrfs_key k, first;
	int i;

	eb_item_key(next, &first, 0);
	if (first.type != BTRFS_EXTENT_ITEM_KEY &&
	    first.type != BTRFS_METADATA_ITEM_KEY)
		return 0;
	for (i = (int)eb_nritems(prev) - 1; i >= 0; i--) {
		eb_item_key(prev, &k, i);
		if (k.type == BTRFS_EXTENT_ITEM_KEY ||
		    k.type == BTRFS_METADATA_ITEM_KEY)
			break;
	}
	if (i < 0 || k.type != BTRFS_EXTENT_ITEM_KEY ||
	    !is_data_extent(c, prev, i, &k))
		return 0;
	btrfs_set_disk_key_offset(&eb_item(prev, i)->key, first.objectid -
				  k.objectid + c->fs_info->sb.sectorsize);
	c->eb = eb_copy(prev);
	c->slot = i;
	c->key = k;
	return c->eb ? 1 : -ENOMEM;
}

static int mode_extent_overlap(struct corrupt *c)
{
	int ret = leaf_pairs(c, BTRFS_EXTENT_TREE_OBJECTID, extent_overlap_pair);

	return ret ? ret : finish(c, "last data extent of a leaf grown into "
				  "the next leaf's first");
}

/* The last csum item of prev grows by one sector past the next's start. */
static int csum_overlap_pair(struct corrupt *c, struct extent_buffer *prev,
			     struct extent_buffer *next, struct leaf_at *at)
{
	u32 cs = c->fs_info->sb.csum_size, ss = c->fs_info->sb.sectorsize;
	struct btrfs_key k, first;
	u64 end;
	u32 n;
	u8 *tail;
	int ret;

	eb_item_key(next, &first, 0);
	eb_item_key(prev, &k, (int)eb_nritems(prev) - 1);
	if (first.type != BTRFS_EXTENT_CSUM_KEY || k.type != BTRFS_EXTENT_CSUM_KEY)
		return 0;
	end = k.offset + (u64)(eb_item_size(prev, (int)eb_nritems(prev) - 1) /
			       cs) * ss;
	if (first.offset < end || (first.offset - end) / ss > 32)
		return 0;
	n = (u32)((first.offset - end) / ss + 1) * cs;
	c->eb = eb_copy(prev);
	if (!c->eb)
		return -ENOMEM;
	c->slot = (int)eb_nritems(prev) - 1;
	c->key = k;
	ret = item_extend(c, n, &tail);
	if (ret == -ENOSPC) {
		free(c->eb);
		c->eb = NULL;
		return 0;
	}
	if (ret)
		return ret;
	/* The checksums of the next item's first sectors, as a copy would. */
	memcpy(tail + n - cs, eb_item_ptr(next, 0), cs);
	return 1;
}

static int mode_csum_overlap(struct corrupt *c)
{
	int ret = leaf_pairs(c, BTRFS_CSUM_TREE_OBJECTID, csum_overlap_pair);

	return ret ? ret : finish(c, "last csum item of a leaf grown into the "
				  "next leaf's first");
}

/*
 * The last device extent of a leaf grows 1 MiB into the first of the next
 * leaf, of the same device (the verifier would refuse an overlap inside one
 * leaf).
 */
static int dev_overlap_pair(struct corrupt *c, struct extent_buffer *prev,
			    struct extent_buffer *next, struct leaf_at *at)
{
	struct btrfs_key k, first;
	int last = (int)eb_nritems(prev) - 1;

	eb_item_key(next, &first, 0);
	eb_item_key(prev, &k, last);
	if (first.type != BTRFS_DEV_EXTENT_KEY || k.type != BTRFS_DEV_EXTENT_KEY ||
	    first.objectid != k.objectid)
		return 0;
	btrfs_set_dev_extent_length(eb_item_ptr(prev, last),
				    first.offset - k.offset + (1ULL << 20));
	c->eb = eb_copy(prev);
	c->slot = last;
	c->key = k;
	return c->eb ? 1 : -ENOMEM;
}

static int mode_dev_extent_overlap(struct corrupt *c)
{
	int ret = leaf_pairs(c, BTRFS_DEV_TREE_OBJECTID, dev_overlap_pair);

	return ret ? ret : finish(c, "last device extent of a leaf grown 1 MiB "
				  "into the next leaf's first");
}

/* An extent item where no chunk (no block group) is, with one data ref. */
static int mode_extent_far(struct corrupt *c)
{
	struct btrfs_extent_item *ei;
	struct btrfs_extent_inline_ref *iref;
	struct btrfs_extent_data_ref *dref;
	u32 size = sizeof(*ei) + 1 + sizeof(*dref);
	void *p;
	int ret = gap_place(c, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_EXTENT_ITEM_KEY,
			    c->fs_info->sb.sectorsize, size, &p);

	if (ret)
		return ret;
	ei = p;
	btrfs_set_extent_refs(ei, 1);
	btrfs_set_extent_generation(ei, c->fs_info->sb.generation);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_DATA);
	iref = (void *)(ei + 1);
	btrfs_set_extent_inline_ref_type(iref, BTRFS_EXTENT_DATA_REF_KEY);
	dref = (void *)((u8 *)iref + 1);
	btrfs_set_extent_data_ref_root(dref, BTRFS_FS_TREE_OBJECTID);
	btrfs_set_extent_data_ref_objectid(dref, BTRFS_FIRST_FREE_OBJECTID);
	btrfs_set_extent_data_ref_count(dref, 1);
	return finish(c, "data extent item added where no chunk is");
}

/* A data extent of one sector, with one inline data ref, refs 1. */
static bool is_small_data_extent(struct corrupt *c, const struct extent_buffer *eb,
				 int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_EXTENT_ITEM_KEY &&
	       key->offset == c->fs_info->sb.sectorsize &&
	       has_inline_data_ref(c, eb, slot, key) &&
	       eb_item_size(eb, slot) == sizeof(struct btrfs_extent_item) + 1 +
					 sizeof(struct btrfs_extent_data_ref) &&
	       btrfs_extent_refs(eb_item_ptr(eb, slot)) == 1;
}

/* A data extent rewritten as the skinny extent item of a level-0 tree block. */
static int mode_extent_as_block(struct corrupt *c)
{
	struct btrfs_extent_item *ei;
	struct btrfs_extent_inline_ref *iref;
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_small_data_extent,
			    false, NULL);

	if (ret)
		return ret;
	ret = item_shrink(c, sizeof(*ei) + sizeof(*iref));
	if (ret)
		return ret;
	ei = item_ptr(c);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_TREE_BLOCK);
	iref = (void *)(ei + 1);
	btrfs_set_extent_inline_ref_type(iref, BTRFS_TREE_BLOCK_REF_KEY);
	btrfs_set_extent_inline_ref_offset(iref, BTRFS_FS_TREE_OBJECTID);
	btrfs_set_disk_key_type(&eb_item(c->eb, c->slot)->key,
				BTRFS_METADATA_ITEM_KEY);
	btrfs_set_disk_key_offset(&eb_item(c->eb, c->slot)->key, 0);
	return finish(c, "data extent item turned into a tree block's");
}

/* A keyed shared data ref of no extent, where no chunk is. */
static int mode_ref_orphan(struct corrupt *c)
{
	void *p;
	int ret = gap_place(c, BTRFS_EXTENT_TREE_OBJECTID,
			    BTRFS_SHARED_DATA_REF_KEY, 1ULL << 30,
			    sizeof(struct btrfs_shared_data_ref), &p);

	if (ret)
		return ret;
	btrfs_set_shared_data_ref_count(p, 1);
	return finish(c, "shared data ref of no extent added");
}

static bool is_metadata_item(struct corrupt *c, const struct extent_buffer *eb,
			     int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_METADATA_ITEM_KEY && slot > 0 && key->offset == 0;
}

static int mode_block_item_gone(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_metadata_item,
			    true, NULL);

	if (!ret)
		ret = item_remove(c, BTRFS_EXTENT_TREE_OBJECTID);
	return ret ? ret : finish(c, "extent item of a leaf deleted");
}

static int mode_block_item_level(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_metadata_item,
			    true, NULL);

	if (ret)
		return ret;
	key_set_offset(c, 1);
	return finish(c, "extent item of a leaf says level 1");
}

static bool is_data_item(struct corrupt *c, const struct extent_buffer *eb,
			 int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_EXTENT_ITEM_KEY && slot > 0 &&
	       is_data_extent(c, eb, slot, key);
}

static int mode_data_item_gone(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_data_item, true,
			    NULL);

	if (!ret)
		ret = item_remove(c, BTRFS_EXTENT_TREE_OBJECTID);
	return ret ? ret : finish(c, "data extent item deleted");
}

/* Adds a keyed data ref after the extent item c->slot; refs + count. */
static int keyed_data_ref_add(struct corrupt *c, u64 root, u64 ino, u64 off)
{
	struct btrfs_extent_data_ref *dref;
	struct btrfs_extent_item *ei = item_ptr(c);
	struct btrfs_key key = { c->key.objectid, BTRFS_EXTENT_DATA_REF_KEY,
				 btrfs_extent_data_ref_hash(root, ino, off) };
	void *p;
	int ret;

	btrfs_set_extent_refs(ei, btrfs_extent_refs(ei) + 1);
	ret = item_insert(c, c->slot + 1, &key, sizeof(*dref), &p);
	if (ret)
		return ret;
	dref = p;
	btrfs_set_extent_data_ref_root(dref, root);
	btrfs_set_extent_data_ref_objectid(dref, ino);
	btrfs_set_extent_data_ref_offset(dref, off);
	btrfs_set_extent_data_ref_count(dref, 1);
	return 0;
}

static const struct btrfs_extent_data_ref *inline_dref(struct corrupt *c)
{
	return (const void *)((u8 *)item_ptr(c) +
			      sizeof(struct btrfs_extent_item) + 1);
}

static int mode_backref_dup(struct corrupt *c)
{
	const struct btrfs_extent_data_ref *d;
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_small_data_extent,
			    false, NULL);

	if (ret)
		return ret;
	d = inline_dref(c);
	ret = keyed_data_ref_add(c, btrfs_extent_data_ref_root(d),
				 btrfs_extent_data_ref_objectid(d),
				 btrfs_extent_data_ref_offset(d));
	return ret ? ret : finish(c, "inline data ref also stored as a keyed ref");
}

static int mode_backref_extra(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_small_data_extent,
			    false, NULL);

	if (!ret)
		ret = keyed_data_ref_add(c, BTRFS_FS_TREE_OBJECTID, 1000000, 0);
	return ret ? ret : finish(c, "keyed data ref of inode 1000000 added");
}

static int mode_backref_count(struct corrupt *c)
{
	struct btrfs_extent_data_ref *d;
	struct btrfs_extent_item *ei;
	int ret = tree_scan(c, BTRFS_EXTENT_TREE_OBJECTID, is_small_data_extent,
			    false, NULL);

	if (ret)
		return ret;
	ei = item_ptr(c);
	d = (void *)inline_dref(c);
	btrfs_set_extent_data_ref_count(d, btrfs_extent_data_ref_count(d) + 1);
	btrfs_set_extent_refs(ei, btrfs_extent_refs(ei) + 1);
	return finish(c, "inline data ref count + 1, refs + 1");
}

/* A file extent that is the only user of its whole data extent. */
static bool is_sole_extent(struct corrupt *c, const struct extent_buffer *eb,
			   int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return key->type == BTRFS_EXTENT_DATA_KEY && slot > 0 &&
	       is_reg_extent(c, eb, slot, key) &&
	       !btrfs_file_extent_offset(fe) &&
	       btrfs_file_extent_num_bytes(fe) ==
	       btrfs_file_extent_disk_num_bytes(fe) &&
	       extent_refs_at(c, btrfs_file_extent_disk_bytenr(fe)) == 1;
}

static int mode_extent_unref(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_FS_TREE_OBJECTID, is_sole_extent, false,
			    NULL);

	if (ret)
		return ret;
	btrfs_set_file_extent_disk_bytenr(item_ptr(c), 0);
	btrfs_set_file_extent_disk_num_bytes(item_ptr(c), 0);
	return finish(c, "the only file extent of a data extent made a hole");
}

static bool is_real_info_item(struct corrupt *c, const struct extent_buffer *eb,
			      int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_FREE_SPACE_INFO_KEY && slot > 0 &&
	       btrfs_free_space_extent_count(eb_item_ptr(eb, slot)) > 0 &&
	       !(btrfs_free_space_flags(eb_item_ptr(eb, slot)) &
		 BTRFS_FREE_SPACE_USING_BITMAPS);
}

static int mode_fst_info_gone(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_FREE_SPACE_TREE_OBJECTID, is_real_info_item,
			    false, NULL);

	if (!ret)
		ret = item_remove(c, BTRFS_FREE_SPACE_TREE_OBJECTID);
	return ret ? ret : finish(c, "free space info deleted");
}

static int mode_fst_flags(struct corrupt *c)
{
	struct btrfs_free_space_info *fi;
	int ret = tree_scan(c, BTRFS_FREE_SPACE_TREE_OBJECTID, is_real_info_item,
			    false, NULL);

	if (ret)
		return ret;
	fi = item_ptr(c);
	btrfs_set_free_space_flags(fi, btrfs_free_space_flags(fi) |
				   BTRFS_FREE_SPACE_USING_BITMAPS);
	return finish(c, "free space info flagged USING_BITMAPS over extents");
}

/* A free space extent with a used sector right before it, in its leaf. */
static bool is_fst_extent_after_used(struct corrupt *c,
				     const struct extent_buffer *eb, int slot,
				     const struct btrfs_key *key)
{
	struct btrfs_key prev;
	u64 prev_end;

	if (key->type != BTRFS_FREE_SPACE_EXTENT_KEY || slot == 0)
		return false;
	eb_item_key(eb, &prev, slot - 1);
	prev_end = prev.objectid +
		   (prev.type == BTRFS_FREE_SPACE_EXTENT_KEY ? prev.offset : 0);
	return prev_end + c->fs_info->sb.sectorsize <= key->objectid;
}

static int mode_fst_free_used(struct corrupt *c)
{
	u32 ss = c->fs_info->sb.sectorsize;
	int ret = tree_scan(c, BTRFS_FREE_SPACE_TREE_OBJECTID,
			    is_fst_extent_after_used, false, NULL);

	if (ret)
		return ret;
	btrfs_set_disk_key_objectid(&eb_item(c->eb, c->slot)->key,
				    c->key.objectid - ss);
	key_set_offset(c, c->key.offset + ss);
	return finish(c, "free space extent starts one (used) sector earlier");
}

static bool is_fst_extent(struct corrupt *c, const struct extent_buffer *eb,
			  int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_FREE_SPACE_EXTENT_KEY && slot > 0;
}

static int mode_fst_entry_long(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_FREE_SPACE_TREE_OBJECTID, is_fst_extent,
			    true, NULL);

	if (ret)
		return ret;
	key_set_offset(c, c->key.offset + (1ULL << 30));
	return finish(c, "last free space extent + 1 GiB, past its block group");
}

static bool is_root_backref(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	return key->type == BTRFS_ROOT_BACKREF_KEY;
}

static int mode_root_backref_gone(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_ROOT_TREE_OBJECTID, is_root_backref, false,
			    NULL);

	if (!ret)
		ret = item_remove(c, BTRFS_ROOT_TREE_OBJECTID);
	return ret ? ret : finish(c, "root backref deleted");
}

static bool is_ref_of(struct corrupt *c, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key)
{
	return (key->type == BTRFS_ROOT_BACKREF_KEY &&
		key->objectid == c->want_ino) ||
	       (key->type == BTRFS_ROOT_REF_KEY && key->offset == c->want_ino);
}

/*
 * A subvolume deleted without its orphan item: root item refs 0, its root
 * ref and root backref gone.
 */
static int mode_subvol_lost(struct corrupt *c)
{
	int ret = item_find(c, BTRFS_ROOT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY,
			    is_subvol_root, true), i;

	if (ret)
		return ret;
	btrfs_set_root_refs(item_ptr(c), 0);
	ret = finish_fresh(c, "subvolume root item refs 0");
	c->want_ino = c->key.objectid;
	for (i = 0; !ret && i < 2; i++) {
		ret = tree_scan(c, BTRFS_ROOT_TREE_OBJECTID, is_ref_of, false, NULL);
		if (!ret)
			ret = item_remove(c, BTRFS_ROOT_TREE_OBJECTID);
		if (!ret)
			ret = finish_fresh(c, "its root ref deleted");
	}
	return ret;
}

/* A nocow file whose data extent another file shares (a reflink). */
static bool is_shared_nocow(struct corrupt *c, const struct extent_buffer *eb,
			    int slot, const struct btrfs_key *key)
{
	const struct btrfs_file_extent_item *fe = eb_item_ptr(eb, slot);

	return key->type == BTRFS_EXTENT_DATA_KEY &&
	       is_reg_extent(c, eb, slot, key) &&
	       (inode_flags_of(c, key->objectid) & BTRFS_INODE_NODATASUM) &&
	       extent_refs_at(c, btrfs_file_extent_disk_bytenr(fe)) > 1;
}

static int mode_dax_shared(struct corrupt *c)
{
	int ret = tree_scan(c, BTRFS_FS_TREE_OBJECTID, is_shared_nocow, false,
			    NULL);

	if (ret)
		return ret;
	c->want_ino = c->key.objectid;
	return inode_flags_add(c, DAX_FLAGS, true);
}

/* Cuts the image inside the data of the last checksum item. */
static int mode_data_cut(struct corrupt *c)
{
	struct chunk_map *map;
	struct btrfs_io_copy copy;
	u64 contig, logical;
	int ret = item_find(c, BTRFS_CSUM_TREE_OBJECTID, BTRFS_EXTENT_CSUM_KEY,
			    any_item, true);

	if (ret)
		return ret;
	logical = c->key.offset + (u64)(eb_item_size(c->eb, c->slot) /
		  c->fs_info->sb.csum_size) * c->fs_info->sb.sectorsize -
		  c->fs_info->sb.sectorsize;
	map = chunk_map_lookup(c->fs_info, logical);
	if (!map)
		return -ENOENT;
	ret = chunk_map_locate(map, logical, 0, &copy, &contig);
	if (ret)
		return ret;
	return device_cut(c, copy.physical);
}

/*
 * DAX layout: the last device extent and its chunk's stripe move 1 MiB up,
 * the data with them, so only the alignment is wrong.
 */
static int mode_dax_dev_unaligned(struct corrupt *c)
{
	struct btrfs_chunk *ch;
	struct btrfs_dev_extent *de;
	u64 phys, len, chunk, off;
	struct btrfs_device *dev = c->fs_info->devices;
	u8 *buf;
	int ret = dev_extents_end(c, &phys), i;

	if (ret)
		return ret;
	de = item_ptr(c);
	phys = c->key.offset;
	len = btrfs_dev_extent_length(de);
	chunk = btrfs_dev_extent_chunk_offset(de);
	if (phys + len + (1ULL << 20) > dev->size)
		return -ENOENT;
	key_set_offset(c, phys + (1ULL << 20));
	ret = finish_fresh(c, "last device extent moved 1 MiB up");
	if (ret)
		return ret;
	free(c->eb);
	c->eb = NULL;
	ret = item_find(c, BTRFS_CHUNK_TREE_OBJECTID, BTRFS_CHUNK_ITEM_KEY, NULL,
			true);
	if (ret)
		return ret;
	if (c->key.offset != chunk)
		return -ENOENT;
	ch = item_ptr(c);
	if (btrfs_chunk_num_stripes(ch) != 1 ||
	    (btrfs_chunk_type(ch) & BTRFS_BLOCK_GROUP_SYSTEM))
		return -ENOENT;
	btrfs_set_stripe_offset(btrfs_chunk_stripe(ch, 0), phys + (1ULL << 20));
	buf = malloc(1U << 20);
	if (!buf)
		return -ENOMEM;
	/* Back to front: the ranges overlap. */
	for (i = (int)(len >> 20) - 1; i >= 0 && !ret; i--) {
		off = phys + ((u64)i << 20);
		if (pread(dev->fd, buf, 1U << 20, (off_t)off) != 1 << 20)
			ret = -EIO;
		else
			ret = dev_write(dev, buf, 1U << 20, off + (1ULL << 20));
	}
	free(buf);
	return ret ? ret : finish(c, "its chunk's stripe moved with it");
}

struct mode {
	const char *name;
	int (*fn)(struct corrupt *c);
	/* The problem id btrfs check must report; alternatives split by '|'. */
	const char *expect;
	/*
	 * "fs", "squota", "v1cache": need the images check-fs-corrupt.sh
	 * makes; "copies": metadata with two copies or more.
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
	{ "fs-dir-nbytes", mode_fs_dir_nbytes, "dir-nbytes", "fs" },
	{ "fs-inline-mixed", mode_fs_inline_mixed, "file-extent-inline-mixed", "fs" },
	{ "fs-inline-offset", mode_fs_inline_offset, "tree-block-bad", "fs" },
	{ "qgroup-version", mode_qgroup_version, "qgroup-status-bad", "fs" },
	{ "qgroup-inconsistent", mode_qgroup_inconsistent, "qgroup-inconsistent", "fs" },
	{ "qgroup-rescan", mode_qgroup_rescan, "qgroup-rescan", "fs" },
	{ "qgroup-limit", mode_qgroup_limit, "qgroup-item-missing", "fs" },
	{ "qgroup-relation", mode_qgroup_relation, "qgroup-relation-unpaired", "fs" },
	{ "qgroup-subvol", mode_qgroup_subvol, "qgroup-subvol-missing", "fs" },
	{ "qgroup-counts", mode_qgroup_counts, "qgroup-counts", "fs" },
	{ "qgroup-upper", mode_qgroup_upper, "qgroup-relation-bad", "fs" },
	{ "leaf-copy0", mode_leaf_copy0, "", "copies" },
	{ "qgroup-upper-counts", mode_qgroup_upper_counts, "qgroup-counts", "fs" },
	/* A usable cache's entries add up to the group's free bytes: a used
	 * sector listed free goes with a free one left out. */
	{ "v1-cache-entry", mode_cache_entry,
	  "space-cache-free-used+space-cache-leaked", "v1cache" },
	{ "v1-cache-crc", mode_cache_crc, "space-cache-unusable", "v1cache" },
	{ "v1-cache-generation", mode_cache_generation, "space-cache-unusable", "v1cache" },
	{ "squota-counts", mode_qgroup_counts, "qgroup-counts", "squota" },
	{ "squota-upper-counts", mode_qgroup_upper_counts, "qgroup-counts", "squota" },
	{ "squota-owner", mode_squota_owner, "qgroup-counts", "squota" },
	/* Set "more": tests/cli/check-corrupt2.sh, the older problem ids. */
	{ "super-missing", mode_super_missing, "super-copy-missing", "more" },
	{ "super-fsid", mode_super_fsid, "super-copy-fsid", "more" },
	{ "super-older", mode_super_older, "super-copy-generation", "more" },
	{ "super-total", mode_super_total, "super-total-bytes", "more" },
	{ "super-dev-uuid", mode_super_dev_uuid, "super-dev-item", "more" },
	{ "dev-item-extra", mode_dev_item_extra, "super-num-devices", "more" },
	{ "device-shrink", mode_device_shrink, "device-truncated", "more" },
	{ "root-gen-old", mode_root_gen_old, "root-block-bad", "more" },
	{ "root-gen-new", mode_root_gen_new, "root-item-generation", "more" },
	{ "root-item-gone", mode_root_item_gone, "root-tree-bad", "more" },
	{ "root-shared", mode_root_shared, "tree-block-cross-tree", "more" },
	{ "leaf-gen-new", mode_leaf_gen_new, "tree-block-generation", "more" },
	{ "leaf-twice", mode_leaf_twice, "tree-block-duplicate", "more" },
	{ "item-wrong-tree", mode_item_wrong_tree, "item-wrong-tree", "more" },
	{ "dev-extent-orphan", mode_dev_extent_orphan, "dev-extent-orphan", "more" },
	{ "dev-item-small", mode_dev_item_small, "dev-extent-beyond-device", "more" },
	{ "stripe-devid", mode_stripe_devid, "device-no-item", "more" },
	{ "sys-chunk", mode_sys_chunk, "sys-chunk-mismatch", "more" },
	{ "bg-gone", mode_bg_gone, "chunk-no-block-group", "more" },
	{ "bg-extra", mode_bg_extra, "block-group-no-chunk", "more" },
	{ "extent-overlap", mode_extent_overlap, "extent-overlap", "more" },
	{ "extent-far", mode_extent_far, "extent-no-block-group", "more" },
	{ "extent-as-block", mode_extent_as_block, "extent-wrong-block-group", "more" },
	{ "ref-orphan", mode_ref_orphan, "extent-ref-orphan", "more" },
	{ "block-item-gone", mode_block_item_gone, "tree-block-no-extent", "more" },
	{ "block-item-level", mode_block_item_level, "tree-block-extent", "more" },
	{ "data-item-gone", mode_data_item_gone, "data-extent-missing", "more" },
	{ "backref-dup", mode_backref_dup, "backref-duplicate", "more" },
	{ "backref-extra", mode_backref_extra, "backref-unused", "more" },
	{ "backref-count", mode_backref_count, "backref-count", "more" },
	{ "extent-unref", mode_extent_unref, "extent-unreferenced", "more" },
	{ "fst-info-gone", mode_fst_info_gone, "fst-info-missing", "more" },
	{ "fst-entry-long", mode_fst_entry_long, "fst-entry-orphan", "more" },
	{ "fst-flags", mode_fst_flags, "fst-flags", "more" },
	{ "fst-free-used", mode_fst_free_used, "fst-free-used", "more" },
	{ "fst-not-valid", mode_fst_not_valid, "fst-not-valid", "more" },
	{ "csum-overlap", mode_csum_overlap, "csum-overlap", "more" },
	{ "data-cut", mode_data_cut, "data-read-error", "more" },
	{ "root-backref-gone", mode_root_backref_gone, "root-ref-unmatched", "more" },
	{ "subvol-lost", mode_subvol_lost, "root-orphan-missing", "more" },
	{ "dax-shared", mode_dax_shared, "dax-extent-shared", "more" },
	{ "dax-dev-unaligned", mode_dax_dev_unaligned, "dax-dev-extent-unaligned",
	  "more-dax" },
	{ "dev-extent-overlap", mode_dev_extent_overlap, "dev-extent-overlap",
	  "more-chunks" },
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

/* The names of the sets, "-" for the catalogue image's. */
static void sets_list(void)
{
	size_t i, j;

	for (i = 0; i < NR_MODES; i++) {
		for (j = 0; j < i; j++)
			if (modes[i].set == modes[j].set ||
			    (modes[i].set && modes[j].set &&
			     !strcmp(modes[i].set, modes[j].set)))
				break;
		if (j == i)
			printf("%s\n", modes[i].set ? modes[i].set : "-");
	}
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
	if (argc == 2 && !strcmp(argv[1], "--sets")) {
		sets_list();
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--no-csum")) {
		c.no_csum = true;
		first++;
	}
	if (argc - first < 2 || !(mode = mode_find(argv[argc - 1]))) {
		fprintf(stderr, "usage: btrfs-corrupt [--no-csum] IMAGE... MODE\n"
			"       btrfs-corrupt --list [SET]\n"
			"       btrfs-corrupt --sets\n");
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
