// SPDX-License-Identifier: GPL-2.0-only
/*
 * The tree block verifier on leaves and nodes built in memory: valid blocks
 * of every common kind pass, and each single corruption is caught with the
 * right errno and a message naming the problem.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"
#include "tests/unit/tap.h"

#define NODESIZE	16384
#define SECTORSIZE	4096
#define SUPER_GEN	100
#define BLOCK		30408704ULL

static struct btrfs_fs_info *fs;

static void fs_setup(u16 csum_type)
{
	static const u8 fsid[16] = { 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const u8 ctu[16] = { 0xcc, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };

	free(fs);
	fs = calloc(1, sizeof(*fs));
	memcpy(fs->sb.fsid, fsid, 16);
	memcpy(fs->sb.metadata_uuid, fsid, 16);
	memcpy(fs->sb.chunk_tree_uuid, ctu, 16);
	fs->sb.generation = SUPER_GEN;
	fs->sb.nodesize = NODESIZE;
	fs->sb.sectorsize = SECTORSIZE;
	fs->sb.csum_type = csum_type;
	fs->sb.csum_size = btrfs_csum_type_size(csum_type);
	fs->sb.incompat_flags = BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA |
				BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF |
				BTRFS_FEATURE_INCOMPAT_NO_HOLES;
}

static struct extent_buffer *block_new(int level, u64 owner)
{
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + NODESIZE);
	struct btrfs_header *h = eb_header(eb);

	eb->start = BLOCK;
	eb->len = NODESIZE;
	memcpy(h->fsid, fs->sb.metadata_uuid, 16);
	memcpy(h->chunk_tree_uuid, fs->sb.chunk_tree_uuid, 16);
	btrfs_set_header_bytenr(h, BLOCK);
	btrfs_set_header_flags(h, BTRFS_HEADER_FLAG_WRITTEN |
			       (u64)BTRFS_MIXED_BACKREF_REV << BTRFS_BACKREF_REV_SHIFT);
	btrfs_set_header_generation(h, SUPER_GEN);
	btrfs_set_header_owner(h, owner);
	btrfs_set_header_level(h, level);
	return eb;
}

static struct extent_buffer *block_clone(const struct extent_buffer *eb)
{
	struct extent_buffer *c = malloc(sizeof(*c) + eb->len);

	memcpy(c, eb, sizeof(*c) + eb->len);
	return c;
}

static void block_seal(struct extent_buffer *eb)
{
	u8 csum[BTRFS_CSUM_SIZE];

	btrfs_csum_data(fs->sb.csum_type, eb->data + BTRFS_CSUM_SIZE,
			eb->len - BTRFS_CSUM_SIZE, csum);
	memcpy(eb->data, csum, BTRFS_CSUM_SIZE);
}

/* Append an item; callers add keys in order. */
static void *leaf_add(struct extent_buffer *eb, u64 objectid, u8 type,
		      u64 offset, const void *data, u32 size)
{
	u32 nr = eb_nritems(eb);
	u32 end = nr ? eb_item_offset(eb, nr - 1) : btrfs_leaf_data_size(NODESIZE);
	struct btrfs_item *it = eb_item(eb, nr);
	struct btrfs_key key = { objectid, type, offset };

	btrfs_cpu_key_to_disk(&it->key, &key);
	btrfs_set_raw_item_offset(it, end - size);
	btrfs_set_raw_item_size(it, size);
	btrfs_set_header_nritems(eb_header(eb), nr + 1);
	if (data)
		memcpy(eb_item_ptr(eb, nr), data, size);
	return eb_item_ptr(eb, nr);
}

static void node_add(struct extent_buffer *eb, u64 objectid, u8 type,
		     u64 offset, u64 blockptr, u64 gen)
{
	u32 nr = eb_nritems(eb);
	struct btrfs_key_ptr *kp = eb_key_ptr(eb, nr);
	struct btrfs_key key = { objectid, type, offset };

	btrfs_cpu_key_to_disk(&kp->key, &key);
	btrfs_set_key_ptr_blockptr(kp, blockptr);
	btrfs_set_key_ptr_generation(kp, gen);
	btrfs_set_header_nritems(eb_header(eb), nr + 1);
}

static u64 name_hash(const char *name)
{
	return btrfs_crc32c((u32)~1U, name, strlen(name));
}

/* Item payload builders. */

static struct btrfs_inode_item inode_item(u32 mode, u32 nlink)
{
	struct btrfs_inode_item ii;

	memset(&ii, 0, sizeof(ii));
	btrfs_set_inode_generation(&ii, SUPER_GEN - 5);
	btrfs_set_inode_transid(&ii, SUPER_GEN);
	btrfs_set_inode_mode(&ii, mode);
	btrfs_set_inode_nlink(&ii, nlink);
	return ii;
}

static u32 inode_ref(u8 *buf, u64 index, const char *name)
{
	struct btrfs_inode_ref *ref = (void *)buf;
	u32 len = strlen(name);

	btrfs_set_inode_ref_index(ref, index);
	btrfs_set_inode_ref_name_len(ref, len);
	memcpy(ref + 1, name, len);
	return sizeof(*ref) + len;
}

static u32 dir_entry(u8 *buf, u64 ino, u8 loc_type, u8 ftype,
		     const char *name, const char *data)
{
	struct btrfs_dir_item *di = (void *)buf;
	struct btrfs_key loc = { ino, loc_type, loc_type == BTRFS_ROOT_ITEM_KEY ? (u64)-1 : 0 };
	u32 nlen = strlen(name), dlen = data ? strlen(data) : 0;

	memset(di, 0, sizeof(*di));
	if (ftype != BTRFS_FT_XATTR)
		btrfs_cpu_key_to_disk(&di->location, &loc);
	btrfs_set_dir_transid(di, SUPER_GEN);
	btrfs_set_dir_name_len(di, nlen);
	btrfs_set_dir_data_len(di, dlen);
	btrfs_set_dir_flags(di, ftype);
	memcpy(di + 1, name, nlen);
	if (dlen)
		memcpy((u8 *)(di + 1) + nlen, data, dlen);
	return sizeof(*di) + nlen + dlen;
}

static struct btrfs_file_extent_item file_extent(u8 type, u64 bytenr, u64 len)
{
	struct btrfs_file_extent_item fi;

	memset(&fi, 0, sizeof(fi));
	btrfs_set_file_extent_generation(&fi, SUPER_GEN);
	btrfs_set_file_extent_ram_bytes(&fi, len);
	btrfs_set_file_extent_type(&fi, type);
	btrfs_set_file_extent_disk_bytenr(&fi, bytenr);
	btrfs_set_file_extent_disk_num_bytes(&fi, len);
	btrfs_set_file_extent_num_bytes(&fi, len);
	return fi;
}

/* A subvolume leaf: a directory with a file, an xattr and file extents. */
static struct extent_buffer *fs_leaf(void)
{
	struct extent_buffer *eb = block_new(0, BTRFS_FS_TREE_OBJECTID);
	struct btrfs_inode_item ii;
	struct btrfs_file_extent_item fi;
	u8 buf[512];
	u32 n;

	ii = inode_item(S_IFDIR | 0755, 1);
	leaf_add(eb, 256, BTRFS_INODE_ITEM_KEY, 0, &ii, sizeof(ii));
	n = inode_ref(buf, 0, "..");
	leaf_add(eb, 256, BTRFS_INODE_REF_KEY, 256, buf, n);
	n = dir_entry(buf, 257, BTRFS_INODE_ITEM_KEY, BTRFS_FT_REG_FILE, "a", NULL);
	leaf_add(eb, 256, BTRFS_DIR_ITEM_KEY, name_hash("a"), buf, n);
	leaf_add(eb, 256, BTRFS_DIR_INDEX_KEY, 2, buf, n);
	ii = inode_item(S_IFREG | 0644, 1);
	leaf_add(eb, 257, BTRFS_INODE_ITEM_KEY, 0, &ii, sizeof(ii));
	n = inode_ref(buf, 2, "a");
	leaf_add(eb, 257, BTRFS_INODE_REF_KEY, 256, buf, n);
	n = dir_entry(buf, 0, 0, BTRFS_FT_XATTR, "user.x", "value");
	leaf_add(eb, 257, BTRFS_XATTR_ITEM_KEY, name_hash("user.x"), buf, n);
	fi = file_extent(BTRFS_FILE_EXTENT_REG, 13631488, 8192);
	leaf_add(eb, 257, BTRFS_EXTENT_DATA_KEY, 0, &fi, sizeof(fi));
	fi = file_extent(BTRFS_FILE_EXTENT_PREALLOC, 13639680, 4096);
	leaf_add(eb, 257, BTRFS_EXTENT_DATA_KEY, 8192, &fi, sizeof(fi));
	ii = inode_item(S_IFLNK | 0777, 1);
	leaf_add(eb, 258, BTRFS_INODE_ITEM_KEY, 0, &ii, sizeof(ii));
	fi = file_extent(BTRFS_FILE_EXTENT_INLINE, 0, 5);
	memcpy(buf, &fi, BTRFS_FILE_EXTENT_INLINE_DATA_START);
	memcpy(buf + BTRFS_FILE_EXTENT_INLINE_DATA_START, "hello", 5);
	leaf_add(eb, 258, BTRFS_EXTENT_DATA_KEY, 0, buf,
		 BTRFS_FILE_EXTENT_INLINE_DATA_START + 5);
	leaf_add(eb, 258, 110, 0, "future", 6);	/* unknown types pass */
	block_seal(eb);
	return eb;
}

static u32 chunk_item(u8 *buf, u64 type, u16 num_stripes, u16 sub)
{
	struct btrfs_chunk *c = (void *)buf;
	u16 i;

	memset(buf, 0, btrfs_chunk_item_size(num_stripes));
	btrfs_set_chunk_length(c, 8ULL << 20);
	btrfs_set_chunk_owner(c, BTRFS_EXTENT_TREE_OBJECTID);
	btrfs_set_chunk_stripe_len(c, BTRFS_STRIPE_LEN);
	btrfs_set_chunk_type(c, type);
	btrfs_set_chunk_io_align(c, SECTORSIZE);
	btrfs_set_chunk_io_width(c, SECTORSIZE);
	btrfs_set_chunk_sector_size(c, SECTORSIZE);
	btrfs_set_chunk_num_stripes(c, num_stripes);
	btrfs_set_chunk_sub_stripes(c, sub);
	for (i = 0; i < num_stripes; i++) {
		btrfs_set_stripe_devid(btrfs_chunk_stripe(c, i), 1);
		btrfs_set_stripe_offset(btrfs_chunk_stripe(c, i), (1 + i) << 24);
	}
	return btrfs_chunk_item_size(num_stripes);
}

/* A chunk tree leaf: one device, a single and a DUP chunk. */
static struct extent_buffer *chunk_leaf(void)
{
	struct extent_buffer *eb = block_new(0, BTRFS_CHUNK_TREE_OBJECTID);
	struct btrfs_dev_item dev;
	u8 buf[256];
	u32 n;

	memset(&dev, 0, sizeof(dev));
	btrfs_set_device_id(&dev, 1);
	btrfs_set_device_total_bytes(&dev, 1ULL << 30);
	btrfs_set_device_bytes_used(&dev, 100ULL << 20);
	btrfs_set_device_sector_size(&dev, SECTORSIZE);
	leaf_add(eb, BTRFS_DEV_ITEMS_OBJECTID, BTRFS_DEV_ITEM_KEY, 1, &dev, sizeof(dev));
	n = chunk_item(buf, BTRFS_BLOCK_GROUP_DATA, 1, 1);
	leaf_add(eb, 256, BTRFS_CHUNK_ITEM_KEY, 22020096, buf, n);
	n = chunk_item(buf, BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_DUP, 2, 1);
	leaf_add(eb, 256, BTRFS_CHUNK_ITEM_KEY, 30408704, buf, n);
	block_seal(eb);
	return eb;
}

/* An extent tree leaf: a data extent, a block group, a tree block. */
static struct extent_buffer *extent_leaf(void)
{
	struct extent_buffer *eb = block_new(0, BTRFS_EXTENT_TREE_OBJECTID);
	struct btrfs_block_group_item bg;
	u8 buf[256];
	struct btrfs_extent_item *ei = (void *)buf;
	struct btrfs_extent_inline_ref *iref = (void *)(ei + 1);
	struct btrfs_extent_data_ref *dref = (void *)&iref->offset;

	memset(buf, 0, sizeof(buf));
	btrfs_set_extent_refs(ei, 1);
	btrfs_set_extent_generation(ei, SUPER_GEN);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_DATA);
	btrfs_set_extent_inline_ref_type(iref, BTRFS_EXTENT_DATA_REF_KEY);
	btrfs_set_extent_data_ref_root(dref, BTRFS_FS_TREE_OBJECTID);
	btrfs_set_extent_data_ref_objectid(dref, 257);
	btrfs_set_extent_data_ref_offset(dref, 0);
	btrfs_set_extent_data_ref_count(dref, 1);
	leaf_add(eb, 13631488, BTRFS_EXTENT_ITEM_KEY, 8192, buf,
		 sizeof(*ei) + 1 + sizeof(*dref));

	memset(&bg, 0, sizeof(bg));
	btrfs_set_block_group_used(&bg, 1 << 20);
	btrfs_set_block_group_chunk_objectid(&bg, BTRFS_FIRST_CHUNK_TREE_OBJECTID);
	btrfs_set_block_group_flags(&bg, BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_DUP);
	leaf_add(eb, 22020096, BTRFS_BLOCK_GROUP_ITEM_KEY, 8ULL << 20, &bg, sizeof(bg));

	memset(buf, 0, sizeof(buf));
	btrfs_set_extent_refs(ei, 1);
	btrfs_set_extent_generation(ei, SUPER_GEN);
	btrfs_set_extent_flags(ei, BTRFS_EXTENT_FLAG_TREE_BLOCK);
	btrfs_set_extent_inline_ref_type(iref, BTRFS_TREE_BLOCK_REF_KEY);
	btrfs_set_extent_inline_ref_offset(iref, BTRFS_FS_TREE_OBJECTID);
	leaf_add(eb, BLOCK, BTRFS_METADATA_ITEM_KEY, 0, buf, sizeof(*ei) + sizeof(*iref));
	block_seal(eb);
	return eb;
}

/* A root tree leaf with a full and a legacy root item and the default dir. */
static struct extent_buffer *root_leaf(void)
{
	struct extent_buffer *eb = block_new(0, BTRFS_ROOT_TREE_OBJECTID);
	struct btrfs_root_item ri;
	struct btrfs_inode_item ii;
	u8 buf[128];
	u32 n;

	memset(&ri, 0, sizeof(ri));
	btrfs_set_root_generation(&ri, SUPER_GEN);
	btrfs_set_root_bytenr(&ri, BLOCK + NODESIZE);
	btrfs_set_root_refs(&ri, 1);
	leaf_add(eb, BTRFS_EXTENT_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, 0, &ri,
		 BTRFS_LEGACY_ROOT_ITEM_SIZE);
	btrfs_set_root_generation_v2(&ri, SUPER_GEN);
	btrfs_set_root_dirid(&ri, 256);
	leaf_add(eb, BTRFS_FS_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, 0, &ri, sizeof(ri));
	ii = inode_item(S_IFDIR | 0755, 1);
	leaf_add(eb, BTRFS_ROOT_TREE_DIR_OBJECTID, BTRFS_INODE_ITEM_KEY, 0, &ii, sizeof(ii));
	n = dir_entry(buf, BTRFS_FS_TREE_OBJECTID, BTRFS_ROOT_ITEM_KEY, BTRFS_FT_DIR,
		      "default", NULL);
	leaf_add(eb, BTRFS_ROOT_TREE_DIR_OBJECTID, BTRFS_DIR_ITEM_KEY,
		 name_hash("default"), buf, n);
	block_seal(eb);
	return eb;
}

static struct extent_buffer *node_block(void)
{
	struct extent_buffer *eb = block_new(1, BTRFS_FS_TREE_OBJECTID);

	node_add(eb, 256, BTRFS_INODE_ITEM_KEY, 0, BLOCK + NODESIZE, SUPER_GEN - 3);
	node_add(eb, 300, BTRFS_INODE_ITEM_KEY, 0, BLOCK + 2 * NODESIZE, SUPER_GEN);
	node_add(eb, 400, BTRFS_DIR_ITEM_KEY, 5, BLOCK + 3 * NODESIZE, SUPER_GEN - 1);
	block_seal(eb);
	return eb;
}

static char why[BTRFS_ERR_MSG_LEN];

static int verify(const struct extent_buffer *eb,
		  const struct tree_block_expect *expect)
{
	return tree_block_verify(fs, eb, expect, why, sizeof(why));
}

/* Verify and expect failure with errno err and text containing each needle. */
static void expect_fail(const struct extent_buffer *eb,
			const struct tree_block_expect *expect, int err,
			const char *prefix, const char *needle, const char *what)
{
	int ret = verify(eb, expect);

	tap_ok(ret == err && strstr(why, prefix) && strstr(why, needle),
	       "%s: ret %d, \"%s\"", what, ret, why);
}

static void test_valid_blocks(void)
{
	static const u16 types[] = { BTRFS_CSUM_TYPE_CRC32, BTRFS_CSUM_TYPE_XXHASH,
				     BTRFS_CSUM_TYPE_SHA256, BTRFS_CSUM_TYPE_BLAKE2 };
	struct extent_buffer *blocks[5];
	struct btrfs_key first = { 256, BTRFS_INODE_ITEM_KEY, 0 };
	struct tree_block_expect ex = {
		.owner = BTRFS_FS_TREE_OBJECTID, .generation = SUPER_GEN,
		.level = 0, .first_key = &first,
	};
	size_t t;
	int i;

	for (t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		fs_setup(types[t]);
		blocks[0] = fs_leaf();
		blocks[1] = chunk_leaf();
		blocks[2] = extent_leaf();
		blocks[3] = root_leaf();
		blocks[4] = node_block();
		for (i = 0; i < 5; i++) {
			tap_ok(verify(blocks[i], NULL) == 0 && why[0] == '\0',
			       "csum %s: valid block %d passes%s%s",
			       btrfs_csum_type_name(types[t]), i, why[0] ? ": " : "", why);
			tap_ok(tree_block_csum_verify(fs, blocks[i]->data, NODESIZE) == 0,
			       "csum %s: block %d checksum verifies",
			       btrfs_csum_type_name(types[t]), i);
		}
		tap_ok(verify(blocks[0], &ex) == 0, "leaf matches what its parent promised");
		ex.level = 1;
		tap_ok(verify(blocks[4], &ex) == 0, "node matches what its parent promised");
		ex.level = 0;
		for (i = 0; i < 5; i++)
			free(blocks[i]);
	}
	fs_setup(BTRFS_CSUM_TYPE_CRC32);
}

static void test_header_corruption(void)
{
	struct extent_buffer *good = fs_leaf(), *eb;

	eb = block_clone(good);
	eb->data[200] ^= 1;
	expect_fail(eb, NULL, -EIO, "bad tree block 30408704", "checksum mismatch, have 0x", "bad csum");
	tap_ok(tree_block_csum_verify(fs, eb->data, NODESIZE) == -EIO, "bad csum: csum_verify -EIO");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_bytenr(eb_header(eb), 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block 30408704",
		    "bytenr mismatch, have 0 want 30408704", "bad bytenr");
	free(eb);

	eb = block_clone(good);
	eb_header(eb)->fsid[3] ^= 0x40;
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "fsid mismatch", "bad fsid");
	free(eb);

	eb = block_clone(good);
	eb_header(eb)->chunk_tree_uuid[0] = 0;
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "chunk tree uuid mismatch", "bad chunk tree uuid");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_level(eb_header(eb), BTRFS_MAX_LEVEL);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "level 8 too high", "level too high");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_generation(eb_header(eb), SUPER_GEN + 2);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "newer than superblock generation", "generation from the future");
	btrfs_set_header_generation(eb_header(eb), SUPER_GEN + 1);
	block_seal(eb);
	tap_ok(verify(eb, NULL) == 0, "generation one past the superblock (log tree) passes");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_flags(eb_header(eb), 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "WRITTEN not set", "unwritten block");
	free(eb);

	eb = block_clone(good);
	eb->len = 4096;
	tap_ok(verify(eb, NULL) == -EINVAL && strstr(why, "cannot verify"),
	       "block length unlike nodesize: -EINVAL, \"%s\"", why);
	free(eb);
	free(good);
}

/* What a parent pointer promised about the block. */
static void test_expectations(void)
{
	struct extent_buffer *good = fs_leaf();
	struct btrfs_key other = { 257, BTRFS_INODE_ITEM_KEY, 0 };
	struct tree_block_expect ex = { .level = -1 };

	ex.level = 1;
	expect_fail(good, &ex, -EUCLEAN, "bad tree block", "level mismatch, have 0 want 1", "wrong level");
	ex.level = -1;
	ex.generation = SUPER_GEN - 1;
	expect_fail(good, &ex, -EUCLEAN, "bad tree block", "generation mismatch", "wrong generation");
	ex.generation = 0;
	ex.owner = BTRFS_EXTENT_TREE_OBJECTID;
	expect_fail(good, &ex, -EUCLEAN, "bad tree block", "owner mismatch, have 5 want 2", "wrong owner");
	ex.owner = 257;
	tap_ok(verify(good, &ex) == 0, "snapshot sharing a block of subvolume 5 passes");
	ex.owner = BTRFS_TREE_RELOC_OBJECTID;
	tap_ok(verify(good, &ex) == 0, "relocation tree owner is not checked");
	ex.owner = 0;
	ex.first_key = &other;
	expect_fail(good, &ex, -EUCLEAN, "bad tree block", "first key mismatch", "wrong first key");
	free(good);
}

static void test_leaf_layout(void)
{
	struct extent_buffer *good = fs_leaf(), *eb;
	struct btrfs_disk_key k;

	eb = block_clone(good);
	k = eb_item(eb, 7)->key;
	eb_item(eb, 7)->key = eb_item(eb, 8)->key;
	eb_item(eb, 8)->key = k;
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 8",
		    "key out of order, (257 108 0) after (257 108 8192)", "swapped keys");
	free(eb);

	eb = block_clone(good);
	btrfs_set_raw_item_offset(eb_item(eb, 3), eb_item_offset(eb, 3) + 8);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 3",
		    "overlaps the previous item", "overlapping items");
	free(eb);

	eb = block_clone(good);
	btrfs_set_raw_item_size(eb_item(eb, 0), eb_item_size(eb, 0) + 40);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 0",
		    "past the leaf end", "item past the leaf end");
	free(eb);

	eb = block_clone(good);
	btrfs_set_raw_item_offset(eb_item(eb, 2), 0xfffffff0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 2",
		    "past the leaf end", "item offset near 4 GiB");
	free(eb);

	eb = block_clone(good);
	btrfs_set_raw_item_offset(eb_item(eb, 6), eb_item_offset(eb, 6) - 4);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 6", "leaves a gap", "gap between items");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_nritems(eb_header(eb), 0x7fffffff);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block 30408704",
		    "nritems 2147483647 too large for a leaf", "huge nritems");
	free(eb);

	/* Two items whose data runs into the item array. */
	eb = block_new(0, BTRFS_CSUM_TREE_OBJECTID);
	leaf_add(eb, 1, 100, 0, NULL, btrfs_leaf_data_size(NODESIZE) - 40);
	leaf_add(eb, 1, 100, 1, NULL, 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 0",
		    "item data at 40 overlaps the item array ending at 50",
		    "item data over the item array");
	free(eb);

	eb = block_new(0, BTRFS_FS_TREE_OBJECTID);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "tree 5 must never be empty", "empty fs tree");
	btrfs_set_header_owner(eb_header(eb), BTRFS_CSUM_TREE_OBJECTID);
	block_seal(eb);
	tap_ok(verify(eb, NULL) == 0, "empty csum tree passes");
	free(eb);
	free(good);
}

static void test_node(void)
{
	struct extent_buffer *good = node_block(), *eb;

	eb = block_clone(good);
	btrfs_set_key_ptr_blockptr(eb_key_ptr(eb, 2), 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad node 30408704 slot 2", "null block pointer", "null pointer");
	free(eb);

	eb = block_clone(good);
	btrfs_set_key_ptr_blockptr(eb_key_ptr(eb, 1), BLOCK + 512);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad node 30408704 slot 1", "not aligned", "unaligned pointer");
	free(eb);

	eb = block_clone(good);
	btrfs_set_key_ptr_generation(eb_key_ptr(eb, 0), SUPER_GEN + 1);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad node 30408704 slot 0",
		    "pointer generation 101 newer than block generation 100", "child newer than parent");
	free(eb);

	eb = block_clone(good);
	btrfs_set_disk_key_objectid(&eb_key_ptr(eb, 1)->key, 500);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad node 30408704 slot 2", "key out of order", "node key order");
	free(eb);

	eb = block_clone(good);
	btrfs_set_header_nritems(eb_header(eb), 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "invalid nritems 0 for a node", "empty node");
	btrfs_set_header_nritems(eb_header(eb), btrfs_node_ptrs_max(NODESIZE) + 1);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad tree block", "invalid nritems 494 for a node", "overfull node");
	free(eb);
	free(good);
}

/* Find the item with this key type, for corrupting item contents. */
static void *find_item(struct extent_buffer *eb, u8 type, int nth, int *slot)
{
	struct btrfs_key key;
	u32 i;

	for (i = 0; i < eb_nritems(eb); i++) {
		eb_item_key(eb, &key, i);
		if (key.type == type && nth-- == 0) {
			*slot = i;
			return eb_item_ptr(eb, i);
		}
	}
	return NULL;
}

static void test_fs_items(void)
{
	struct extent_buffer *eb;
	struct btrfs_dir_item *di;
	struct btrfs_inode_item *ii;
	struct btrfs_file_extent_item *fi;
	int slot;

	eb = fs_leaf();
	di = find_item(eb, BTRFS_DIR_ITEM_KEY, 0, &slot);
	btrfs_set_dir_name_len(di, 200);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 2 key (256 84 ",
		    "dir item name_len 200 data_len 0 beyond item end 31", "dir name_len beyond item");
	free(eb);

	eb = fs_leaf();
	di = find_item(eb, BTRFS_DIR_INDEX_KEY, 0, &slot);
	btrfs_set_dir_flags(di, BTRFS_FT_MAX);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 3", "invalid dir item type 9", "dir item type");
	free(eb);

	eb = fs_leaf();
	di = find_item(eb, BTRFS_DIR_ITEM_KEY, 0, &slot);
	((u8 *)(di + 1))[0] = 'b';
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 2", "name hash", "dir item name hash");
	free(eb);

	eb = fs_leaf();
	ii = find_item(eb, BTRFS_INODE_ITEM_KEY, 0, &slot);
	btrfs_set_inode_nlink(ii, 2);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 0", "directory with nlink 2", "directory hard link");
	free(eb);

	eb = fs_leaf();
	ii = find_item(eb, BTRFS_INODE_ITEM_KEY, 1, &slot);
	btrfs_set_inode_mode(ii, 0644);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 4", "invalid inode file type", "inode without file type");
	free(eb);

	eb = fs_leaf();
	fi = find_item(eb, BTRFS_EXTENT_DATA_KEY, 0, &slot);
	btrfs_set_file_extent_disk_bytenr(fi, 13631488 + 100);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 7", "disk_bytenr 13631588 not aligned", "unaligned file extent");
	free(eb);

	eb = fs_leaf();
	fi = find_item(eb, BTRFS_EXTENT_DATA_KEY, 0, &slot);
	btrfs_set_file_extent_num_bytes(fi, 3 * SECTORSIZE);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 8", "previous file extent ends at 12288", "overlapping file extents");
	free(eb);
}

/* TREE_BLOCK_SKIP_ITEMS skips item contents but never the layout. */
static void test_skip_items(void)
{
	struct tree_block_expect skip = { .level = -1,
					  .flags = TREE_BLOCK_SKIP_ITEMS };
	struct extent_buffer *eb;
	struct btrfs_dir_item *di;
	int slot;

	eb = fs_leaf();
	di = find_item(eb, BTRFS_DIR_INDEX_KEY, 0, &slot);
	btrfs_set_dir_flags(di, BTRFS_FT_MAX);
	block_seal(eb);
	tap_ok(tree_block_verify(fs, eb, &skip, why, sizeof(why)) == 0,
	       "skip-items accepts a bad dir item type");
	btrfs_set_raw_item_size(eb_item(eb, 0), eb_item_size(eb, 0) + 1);
	block_seal(eb);
	tap_ok(tree_block_verify(fs, eb, &skip, why, sizeof(why)) == -EUCLEAN,
	       "skip-items still rejects a broken item layout");
	free(eb);
}

static void test_chunk_items(void)
{
	struct extent_buffer *eb;
	struct btrfs_chunk *chunk;
	u8 buf[256];
	u32 n;
	int slot;

	eb = chunk_leaf();
	chunk = find_item(eb, BTRFS_CHUNK_ITEM_KEY, 1, &slot);
	btrfs_set_chunk_num_stripes(chunk, 1);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 2", "does not match num_stripes 1", "chunk size vs stripes");
	free(eb);

	/* A DUP chunk with one stripe, its item sized to match. */
	eb = block_new(0, BTRFS_CHUNK_TREE_OBJECTID);
	n = chunk_item(buf, BTRFS_BLOCK_GROUP_METADATA | BTRFS_BLOCK_GROUP_DUP, 1, 1);
	leaf_add(eb, 256, BTRFS_CHUNK_ITEM_KEY, 30408704, buf, n);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 0",
		    "chunk num_stripes 1 sub_stripes 1 invalid for profile 0x20",
		    "DUP chunk with one stripe");
	free(eb);

	eb = block_new(0, BTRFS_CHUNK_TREE_OBJECTID);
	n = chunk_item(buf, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID10, 4, 1);
	leaf_add(eb, 256, BTRFS_CHUNK_ITEM_KEY, 30408704, buf, n);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 0", "invalid for profile 0x40",
		    "RAID10 chunk with sub_stripes 1");
	free(eb);

	eb = block_new(0, BTRFS_CHUNK_TREE_OBJECTID);
	n = chunk_item(buf, BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_METADATA, 1, 1);
	leaf_add(eb, 256, BTRFS_CHUNK_ITEM_KEY, 30408704, buf, n);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 0", "without MIXED_GROUPS",
		    "mixed chunk without the feature");
	fs->sb.incompat_flags |= BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS;
	tap_ok(verify(eb, NULL) == 0, "mixed chunk with the feature passes");
	fs->sb.incompat_flags &= ~BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS;
	free(eb);
}

static void test_extent_items(void)
{
	struct extent_buffer *eb;
	struct btrfs_extent_inline_ref *iref;
	int slot;

	eb = extent_leaf();
	find_item(eb, BTRFS_METADATA_ITEM_KEY, 0, &slot);
	iref = (void *)((u8 *)eb_item_ptr(eb, slot) + sizeof(struct btrfs_extent_item));
	btrfs_set_extent_inline_ref_type(iref, 99);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "bad leaf 30408704 slot 2 key (30408704 169 0)",
		    "unknown inline ref type 99", "bad inline ref type");
	free(eb);

	eb = extent_leaf();
	find_item(eb, BTRFS_EXTENT_ITEM_KEY, 0, &slot);
	btrfs_set_extent_refs((void *)eb_item_ptr(eb, slot), 0);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 0", "extent refs 0 less than inline refs 1", "too few refs");
	free(eb);

	eb = extent_leaf();
	find_item(eb, BTRFS_BLOCK_GROUP_ITEM_KEY, 0, &slot);
	btrfs_set_block_group_flags((void *)eb_item_ptr(eb, slot),
				    BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_RAID1 |
				    BTRFS_BLOCK_GROUP_DUP);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 1", "several profiles", "block group with two profiles");
	free(eb);

	eb = extent_leaf();
	fs->sb.incompat_flags &= ~BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA;
	expect_fail(eb, NULL, -EUCLEAN, "slot 2", "without SKINNY_METADATA", "metadata item without the feature");
	fs->sb.incompat_flags |= BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA;
	free(eb);
}

static void test_root_items(void)
{
	struct extent_buffer *eb;
	struct btrfs_dir_item *di;
	int slot;

	eb = root_leaf();
	find_item(eb, BTRFS_ROOT_ITEM_KEY, 1, &slot);
	btrfs_set_root_level((void *)eb_item_ptr(eb, slot), BTRFS_MAX_LEVEL);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 1", "invalid root level 8", "root level too high");
	free(eb);

	eb = root_leaf();
	find_item(eb, BTRFS_DIR_ITEM_KEY, 0, &slot);
	di = eb_item_ptr(eb, slot);
	btrfs_set_disk_key_objectid(&di->location, BTRFS_EXTENT_TREE_OBJECTID);
	block_seal(eb);
	expect_fail(eb, NULL, -EUCLEAN, "slot 3", "not a subvolume", "dir item pointing at the extent tree");
	free(eb);
}

int main(void)
{
	fs_setup(BTRFS_CSUM_TYPE_CRC32);
	test_valid_blocks();
	test_header_corruption();
	test_expectations();
	test_leaf_layout();
	test_node();
	test_fs_items();
	test_skip_items();
	test_chunk_items();
	test_extent_items();
	test_root_items();
	free(fs);
	return tap_done();
}
