// SPDX-License-Identifier: GPL-2.0-only
/*
 * The generated accessors: byte order on disk, field placement, and the
 * leaf/node helpers of ctree.h on a hand-built block.
 */
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "tests/unit/tap.h"

static void test_byte_order(void)
{
	struct btrfs_inode_item ii;
	const u8 *raw = (const u8 *)&ii;
	const u8 want[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };

	memset(&ii, 0, sizeof(ii));
	btrfs_set_inode_size(&ii, 0x0102030405060708ULL);
	tap_ok(!memcmp(raw + 16, want, 8), "inode size stored little-endian at byte 16");
	tap_ok(btrfs_inode_size(&ii) == 0x0102030405060708ULL, "inode size reads back");
	btrfs_set_inode_mode(&ii, 040755);
	tap_ok(raw[52] == 0xed && raw[53] == 0x41, "mode at byte 52");
	btrfs_set_inode_flags(&ii, (u64)BTRFS_INODE_RO_DAX << 32 | BTRFS_INODE_NODATACOW);
	tap_ok(raw[64] == 0x02 && raw[71] == 0x02,
	       "DAX is bit 57 of the flags field, NODATACOW bit 1");
	tap_ok(btrfs_inode_flags_ro(btrfs_inode_flags(&ii)) == BTRFS_INODE_RO_DAX,
	       "ro_flags half carries DAX");
}

static void test_super_fields(void)
{
	struct btrfs_super_block *sb = calloc(1, sizeof(*sb));
	const u8 *raw = (const u8 *)sb;

	btrfs_set_super_magic(sb, BTRFS_MAGIC);
	tap_ok(!memcmp(raw + 64, "_BHRfS_M", 8), "magic spells _BHRfS_M at byte 64");
	btrfs_set_super_csum_type(sb, BTRFS_CSUM_TYPE_BLAKE2);
	tap_ok(raw[196] == 3, "csum_type at byte 196");
	btrfs_set_super_compat_ro_flags(sb, BTRFS_FEATURE_COMPAT_RO_DAX);
	tap_ok(raw[180 + 4] == 1, "COMPAT_RO_DAX is bit 32 of compat_ro_flags");
	tap_ok(offsetof(struct btrfs_super_block, sys_chunk_array) == 811,
	       "sys_chunk_array at byte 811");
	free(sb);
}

/* A 4 KiB leaf with two items packed from the end. */
static void test_leaf_helpers(void)
{
	struct extent_buffer *eb = calloc(1, sizeof(*eb) + 4096);
	struct btrfs_item *it;
	struct btrfs_key key;
	u32 data_end = btrfs_leaf_data_size(4096);

	eb->len = 4096;
	btrfs_set_header_nritems(eb_header(eb), 2);
	it = eb_item(eb, 0);
	btrfs_set_disk_key_objectid(&it->key, 256);
	btrfs_set_disk_key_type(&it->key, BTRFS_INODE_ITEM_KEY);
	btrfs_set_raw_item_offset(it, data_end - 160);
	btrfs_set_raw_item_size(it, 160);
	it = eb_item(eb, 1);
	btrfs_set_disk_key_objectid(&it->key, 256);
	btrfs_set_disk_key_type(&it->key, BTRFS_INODE_REF_KEY);
	btrfs_set_disk_key_offset(&it->key, 256);
	btrfs_set_raw_item_offset(it, data_end - 160 - 12);
	btrfs_set_raw_item_size(it, 12);

	tap_ok(eb_nritems(eb) == 2, "nritems");
	eb_item_key(eb, &key, 1);
	tap_ok(key.objectid == 256 && key.type == BTRFS_INODE_REF_KEY &&
	       key.offset == 256, "item key decoded");
	tap_ok((u8 *)eb_item_ptr(eb, 0) == eb->data + 4096 - 160,
	       "first item's data ends at the end of the leaf");
	tap_ok((u8 *)eb_item(eb, 1) == eb->data + 101 + 25, "item array after the header");
	free(eb);
}

static void test_key_compare(void)
{
	struct btrfs_key a = { 256, 1, 0 }, b = { 256, 12, 0 }, c = { 257, 0, 0 };
	struct btrfs_key d = { 256, 1, (u64)-1 };

	tap_ok(btrfs_comp_keys(&a, &b) < 0 && btrfs_comp_keys(&b, &c) < 0,
	       "keys order by objectid, then type");
	tap_ok(btrfs_comp_keys(&d, &a) > 0 && btrfs_comp_keys(&a, &a) == 0,
	       "then by offset, unsigned");
}

int main(void)
{
	test_byte_order();
	test_super_fields();
	test_leaf_helpers();
	test_key_compare();
	return tap_done();
}
