/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The btrfs on-disk format: constants and packed little-endian structures.
 *
 * This header only describes bytes on disk.  It has no engine state and no
 * helpers beyond the tiny byte-order conversions every user needs.  Field
 * access goes through accessors.h so that byte swapping happens in exactly
 * one place.
 */
#ifndef BTRFS_DAX_ONDISK_H
#define BTRFS_DAX_ONDISK_H

#include <stddef.h>
#include <stdint.h>
#include <endian.h>
#include <sys/types.h>
#include <linux/types.h>	/* __le16/32/64: on-disk little-endian integers */

/* u64 is unsigned long long, so "%llu" prints it everywhere. */
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s64 s64;
typedef __s32 s32;

#define le8_to_cpu(x)	(x)
#define cpu_to_le8(x)	(x)
#define le16_to_cpu(x)	le16toh(x)
#define le32_to_cpu(x)	le32toh(x)
#define le64_to_cpu(x)	le64toh(x)
#define cpu_to_le16(x)	htole16(x)
#define cpu_to_le32(x)	htole32(x)
#define cpu_to_le64(x)	htole64(x)

#define BTRFS_PACKED __attribute__((__packed__))
#define BTRFS_ASSERT_SIZE(type, size) \
	_Static_assert(sizeof(type) == (size), #type " has the wrong on-disk size")

/* Magic, sizes and fixed offsets. */
#define BTRFS_MAGIC			0x4D5F53665248425FULL /* "_BHRfS_M" */
#define BTRFS_SUPER_INFO_OFFSET		65536ULL
#define BTRFS_SUPER_INFO_SIZE		4096
#define BTRFS_SUPER_MIRROR_MAX		3
#define BTRFS_SUPER_MIRROR_SHIFT	12
#define BTRFS_CSUM_SIZE			32
#define BTRFS_FSID_SIZE			16
#define BTRFS_UUID_SIZE			16
#define BTRFS_UUID_UNPARSED_SIZE	37
#define BTRFS_LABEL_SIZE		256
#define BTRFS_SYSTEM_CHUNK_ARRAY_SIZE	2048
#define BTRFS_NUM_BACKUP_ROOTS		4
#define BTRFS_MAX_LEVEL			8
#define BTRFS_NAME_LEN			255
#define BTRFS_MAX_METADATA_BLOCKSIZE	65536
#define BTRFS_STRIPE_LEN		65536ULL
#define BTRFS_DEV_STAT_VALUES_MAX	5
#define BTRFS_CSUM_ITEM_MAX_ENTRIES	0

/* Copy i of the superblock lives at 64 KiB, 64 MiB and 256 GiB. */
static inline u64 btrfs_sb_offset(int mirror)
{
	u64 start = 16 * 1024;

	if (mirror)
		return start << (BTRFS_SUPER_MIRROR_SHIFT * mirror);
	return BTRFS_SUPER_INFO_OFFSET;
}

/* Tree and special object ids. */
#define BTRFS_ROOT_TREE_OBJECTID	1ULL
#define BTRFS_EXTENT_TREE_OBJECTID	2ULL
#define BTRFS_CHUNK_TREE_OBJECTID	3ULL
#define BTRFS_DEV_TREE_OBJECTID		4ULL
#define BTRFS_FS_TREE_OBJECTID		5ULL
#define BTRFS_ROOT_TREE_DIR_OBJECTID	6ULL
#define BTRFS_CSUM_TREE_OBJECTID	7ULL
#define BTRFS_QUOTA_TREE_OBJECTID	8ULL
#define BTRFS_UUID_TREE_OBJECTID	9ULL
#define BTRFS_FREE_SPACE_TREE_OBJECTID	10ULL
#define BTRFS_BLOCK_GROUP_TREE_OBJECTID	11ULL
#define BTRFS_RAID_STRIPE_TREE_OBJECTID	12ULL
#define BTRFS_DEV_STATS_OBJECTID	0ULL
#define BTRFS_BALANCE_OBJECTID		-4ULL
#define BTRFS_ORPHAN_OBJECTID		-5ULL
#define BTRFS_TREE_LOG_OBJECTID		-6ULL
#define BTRFS_TREE_LOG_FIXUP_OBJECTID	-7ULL
#define BTRFS_TREE_RELOC_OBJECTID	-8ULL
#define BTRFS_DATA_RELOC_TREE_OBJECTID	-9ULL
#define BTRFS_EXTENT_CSUM_OBJECTID	-10ULL
#define BTRFS_FREE_SPACE_OBJECTID	-11ULL
#define BTRFS_FREE_INO_OBJECTID		-12ULL
#define BTRFS_MULTIPLE_OBJECTIDS	-255ULL
#define BTRFS_FIRST_FREE_OBJECTID	256ULL
#define BTRFS_LAST_FREE_OBJECTID	-256ULL
#define BTRFS_FIRST_CHUNK_TREE_OBJECTID	256ULL
#define BTRFS_DEV_ITEMS_OBJECTID	1ULL
#define BTRFS_BTREE_INODE_OBJECTID	1ULL
#define BTRFS_EMPTY_SUBVOL_DIR_OBJECTID	2ULL

/* Item types (the middle byte of a key). */
#define BTRFS_INODE_ITEM_KEY		1
#define BTRFS_INODE_REF_KEY		12
#define BTRFS_INODE_EXTREF_KEY		13
#define BTRFS_XATTR_ITEM_KEY		24
#define BTRFS_VERITY_DESC_ITEM_KEY	36
#define BTRFS_VERITY_MERKLE_ITEM_KEY	37
#define BTRFS_ORPHAN_ITEM_KEY		48
#define BTRFS_DIR_LOG_ITEM_KEY		60
#define BTRFS_DIR_LOG_INDEX_KEY		72
#define BTRFS_DIR_ITEM_KEY		84
#define BTRFS_DIR_INDEX_KEY		96
#define BTRFS_EXTENT_DATA_KEY		108
#define BTRFS_CSUM_ITEM_KEY		120
#define BTRFS_EXTENT_CSUM_KEY		128
#define BTRFS_ROOT_ITEM_KEY		132
#define BTRFS_ROOT_BACKREF_KEY		144
#define BTRFS_ROOT_REF_KEY		156
#define BTRFS_EXTENT_ITEM_KEY		168
#define BTRFS_METADATA_ITEM_KEY		169
#define BTRFS_EXTENT_OWNER_REF_KEY	172
#define BTRFS_TREE_BLOCK_REF_KEY	176
#define BTRFS_EXTENT_DATA_REF_KEY	178
#define BTRFS_EXTENT_REF_V0_KEY		180
#define BTRFS_SHARED_BLOCK_REF_KEY	182
#define BTRFS_SHARED_DATA_REF_KEY	184
#define BTRFS_BLOCK_GROUP_ITEM_KEY	192
#define BTRFS_FREE_SPACE_INFO_KEY	198
#define BTRFS_FREE_SPACE_EXTENT_KEY	199
#define BTRFS_FREE_SPACE_BITMAP_KEY	200
#define BTRFS_DEV_EXTENT_KEY		204
#define BTRFS_DEV_ITEM_KEY		216
#define BTRFS_CHUNK_ITEM_KEY		228
#define BTRFS_RAID_STRIPE_KEY		230
#define BTRFS_QGROUP_STATUS_KEY		240
#define BTRFS_QGROUP_INFO_KEY		242
#define BTRFS_QGROUP_LIMIT_KEY		244
#define BTRFS_QGROUP_RELATION_KEY	246
#define BTRFS_BALANCE_ITEM_KEY		248
#define BTRFS_TEMPORARY_ITEM_KEY	248
#define BTRFS_DEV_STATS_KEY		249
#define BTRFS_PERSISTENT_ITEM_KEY	249
#define BTRFS_DEV_REPLACE_KEY		250
#define BTRFS_UUID_KEY_SUBVOL		251
#define BTRFS_UUID_KEY_RECEIVED_SUBVOL	252
#define BTRFS_STRING_ITEM_KEY		253

/* Checksum algorithms. */
#define BTRFS_CSUM_TYPE_CRC32		0
#define BTRFS_CSUM_TYPE_XXHASH		1
#define BTRFS_CSUM_TYPE_SHA256		2
#define BTRFS_CSUM_TYPE_BLAKE2		3

/* Directory entry file types. */
#define BTRFS_FT_UNKNOWN	0
#define BTRFS_FT_REG_FILE	1
#define BTRFS_FT_DIR		2
#define BTRFS_FT_CHRDEV		3
#define BTRFS_FT_BLKDEV		4
#define BTRFS_FT_FIFO		5
#define BTRFS_FT_SOCK		6
#define BTRFS_FT_SYMLINK	7
#define BTRFS_FT_XATTR		8
#define BTRFS_FT_MAX		9
#define BTRFS_FT_ENCRYPTED	0x80

/* Inode flags: low 32 bits of the on-disk flags field. */
#define BTRFS_INODE_NODATASUM		(1U << 0)
#define BTRFS_INODE_NODATACOW		(1U << 1)
#define BTRFS_INODE_READONLY		(1U << 2)
#define BTRFS_INODE_NOCOMPRESS		(1U << 3)
#define BTRFS_INODE_PREALLOC		(1U << 4)
#define BTRFS_INODE_SYNC		(1U << 5)
#define BTRFS_INODE_IMMUTABLE		(1U << 6)
#define BTRFS_INODE_APPEND		(1U << 7)
#define BTRFS_INODE_NODUMP		(1U << 8)
#define BTRFS_INODE_NOATIME		(1U << 9)
#define BTRFS_INODE_DIRSYNC		(1U << 10)
#define BTRFS_INODE_COMPRESS		(1U << 11)
#define BTRFS_INODE_ROOT_ITEM_INIT	(1U << 31)

/* Read-only-compat inode flags: high 32 bits of the on-disk flags field. */
#define BTRFS_INODE_RO_VERITY		(1U << 0)
/* DAX-DESIGN.md: the per-inode DAX flag, same value as FS_DAX_FL. */
#define BTRFS_INODE_RO_DAX		(1U << 25)

static inline u32 btrfs_inode_flags_low(u64 flags)
{
	return (u32)flags;
}

static inline u32 btrfs_inode_flags_ro(u64 flags)
{
	return (u32)(flags >> 32);
}

/* Superblock feature bits. */
#define BTRFS_FEATURE_COMPAT_DAX_LAYOUT			(1ULL << 0)

#define BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE		(1ULL << 0)
#define BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID	(1ULL << 1)
#define BTRFS_FEATURE_COMPAT_RO_VERITY			(1ULL << 2)
#define BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE	(1ULL << 3)
#define BTRFS_FEATURE_COMPAT_RO_DAX			(1ULL << 32)

#define BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF		(1ULL << 0)
#define BTRFS_FEATURE_INCOMPAT_DEFAULT_SUBVOL		(1ULL << 1)
#define BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS		(1ULL << 2)
#define BTRFS_FEATURE_INCOMPAT_COMPRESS_LZO		(1ULL << 3)
#define BTRFS_FEATURE_INCOMPAT_COMPRESS_ZSTD		(1ULL << 4)
#define BTRFS_FEATURE_INCOMPAT_BIG_METADATA		(1ULL << 5)
#define BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF		(1ULL << 6)
#define BTRFS_FEATURE_INCOMPAT_RAID56			(1ULL << 7)
#define BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA		(1ULL << 8)
#define BTRFS_FEATURE_INCOMPAT_NO_HOLES			(1ULL << 9)
#define BTRFS_FEATURE_INCOMPAT_METADATA_UUID		(1ULL << 10)
#define BTRFS_FEATURE_INCOMPAT_RAID1C34			(1ULL << 11)
#define BTRFS_FEATURE_INCOMPAT_ZONED			(1ULL << 12)
#define BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2		(1ULL << 13)
#define BTRFS_FEATURE_INCOMPAT_RAID_STRIPE_TREE		(1ULL << 14)
#define BTRFS_FEATURE_INCOMPAT_SIMPLE_QUOTA		(1ULL << 16)

/* Superblock and tree block header flags. */
#define BTRFS_HEADER_FLAG_WRITTEN		(1ULL << 0)
#define BTRFS_HEADER_FLAG_RELOC			(1ULL << 1)
#define BTRFS_SUPER_FLAG_ERROR			(1ULL << 2)
#define BTRFS_SUPER_FLAG_SEEDING		(1ULL << 32)
#define BTRFS_SUPER_FLAG_METADUMP		(1ULL << 33)
#define BTRFS_SUPER_FLAG_METADUMP_V2		(1ULL << 34)
#define BTRFS_SUPER_FLAG_CHANGING_FSID		(1ULL << 35)
#define BTRFS_SUPER_FLAG_CHANGING_FSID_V2	(1ULL << 36)
#define BTRFS_SUPER_FLAG_CHANGING_BG_TREE	(1ULL << 38)
#define BTRFS_SUPER_FLAG_CHANGING_DATA_CSUM	(1ULL << 39)
#define BTRFS_SUPER_FLAG_CHANGING_META_CSUM	(1ULL << 40)
#define BTRFS_BACKREF_REV_SHIFT			56
#define BTRFS_MIXED_BACKREF_REV			1

/* Extent item flags. */
#define BTRFS_EXTENT_FLAG_DATA		(1ULL << 0)
#define BTRFS_EXTENT_FLAG_TREE_BLOCK	(1ULL << 1)
#define BTRFS_BLOCK_FLAG_FULL_BACKREF	(1ULL << 8)
#define BTRFS_EXTENT_FLAG_SUPER		(1ULL << 48)

/* Block group / chunk type and profile bits. */
#define BTRFS_BLOCK_GROUP_DATA		(1ULL << 0)
#define BTRFS_BLOCK_GROUP_SYSTEM	(1ULL << 1)
#define BTRFS_BLOCK_GROUP_METADATA	(1ULL << 2)
#define BTRFS_BLOCK_GROUP_RAID0		(1ULL << 3)
#define BTRFS_BLOCK_GROUP_RAID1		(1ULL << 4)
#define BTRFS_BLOCK_GROUP_DUP		(1ULL << 5)
#define BTRFS_BLOCK_GROUP_RAID10	(1ULL << 6)
#define BTRFS_BLOCK_GROUP_RAID5		(1ULL << 7)
#define BTRFS_BLOCK_GROUP_RAID6		(1ULL << 8)
#define BTRFS_BLOCK_GROUP_RAID1C3	(1ULL << 9)
#define BTRFS_BLOCK_GROUP_RAID1C4	(1ULL << 10)
#define BTRFS_AVAIL_ALLOC_BIT_SINGLE	(1ULL << 48)
#define BTRFS_SPACE_INFO_GLOBAL_RSV	(1ULL << 49)
#define BTRFS_BLOCK_GROUP_TYPE_MASK	(BTRFS_BLOCK_GROUP_DATA | \
					 BTRFS_BLOCK_GROUP_SYSTEM | \
					 BTRFS_BLOCK_GROUP_METADATA)
#define BTRFS_BLOCK_GROUP_PROFILE_MASK	(BTRFS_BLOCK_GROUP_RAID0 | \
					 BTRFS_BLOCK_GROUP_RAID1 | \
					 BTRFS_BLOCK_GROUP_DUP | \
					 BTRFS_BLOCK_GROUP_RAID10 | \
					 BTRFS_BLOCK_GROUP_RAID5 | \
					 BTRFS_BLOCK_GROUP_RAID6 | \
					 BTRFS_BLOCK_GROUP_RAID1C3 | \
					 BTRFS_BLOCK_GROUP_RAID1C4)

/* File extent types and compression. */
#define BTRFS_FILE_EXTENT_INLINE	0
#define BTRFS_FILE_EXTENT_REG		1
#define BTRFS_FILE_EXTENT_PREALLOC	2
#define BTRFS_COMPRESS_NONE		0
#define BTRFS_COMPRESS_ZLIB		1
#define BTRFS_COMPRESS_LZO		2
#define BTRFS_COMPRESS_ZSTD		3

/* Root item flags. */
#define BTRFS_ROOT_SUBVOL_RDONLY	(1ULL << 0)
#define BTRFS_ROOT_SUBVOL_DEAD		(1ULL << 48)

/* Free space tree. */
#define BTRFS_FREE_SPACE_USING_BITMAPS	(1U << 0)

/* Quota. */
#define BTRFS_QGROUP_LEVEL_SHIFT		48
#define BTRFS_QGROUP_STATUS_FLAG_ON		(1ULL << 0)
#define BTRFS_QGROUP_STATUS_FLAG_RESCAN		(1ULL << 1)
#define BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT	(1ULL << 2)
#define BTRFS_QGROUP_STATUS_FLAG_SIMPLE_MODE	(1ULL << 3)
#define BTRFS_QGROUP_LIMIT_MAX_RFER		(1ULL << 0)
#define BTRFS_QGROUP_LIMIT_MAX_EXCL		(1ULL << 1)
#define BTRFS_QGROUP_LIMIT_RSV_RFER		(1ULL << 2)
#define BTRFS_QGROUP_LIMIT_RSV_EXCL		(1ULL << 3)

/* Balance item flags (the ones dump-tree names). */
#define BTRFS_BALANCE_DATA		(1ULL << 0)
#define BTRFS_BALANCE_SYSTEM		(1ULL << 1)
#define BTRFS_BALANCE_METADATA		(1ULL << 2)

/* Structures.  Sizes are part of the format and asserted below. */

struct btrfs_disk_key {
	__le64 objectid;
	u8 type;
	__le64 offset;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_disk_key, 17);

struct btrfs_header {
	u8 csum[BTRFS_CSUM_SIZE];
	u8 fsid[BTRFS_FSID_SIZE];
	__le64 bytenr;
	__le64 flags;
	u8 chunk_tree_uuid[BTRFS_UUID_SIZE];
	__le64 generation;
	__le64 owner;
	__le32 nritems;
	u8 level;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_header, 101);

struct btrfs_item {
	struct btrfs_disk_key key;
	__le32 offset;
	__le32 size;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_item, 25);

struct btrfs_key_ptr {
	struct btrfs_disk_key key;
	__le64 blockptr;
	__le64 generation;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_key_ptr, 33);

struct btrfs_dev_item {
	__le64 devid;
	__le64 total_bytes;
	__le64 bytes_used;
	__le32 io_align;
	__le32 io_width;
	__le32 sector_size;
	__le64 type;
	__le64 generation;
	__le64 start_offset;
	__le32 dev_group;
	u8 seek_speed;
	u8 bandwidth;
	u8 uuid[BTRFS_UUID_SIZE];
	u8 fsid[BTRFS_UUID_SIZE];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dev_item, 98);

struct btrfs_stripe {
	__le64 devid;
	__le64 offset;
	u8 dev_uuid[BTRFS_UUID_SIZE];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_stripe, 32);

/* A chunk item is followed by num_stripes - 1 further stripes. */
struct btrfs_chunk {
	__le64 length;
	__le64 owner;
	__le64 stripe_len;
	__le64 type;
	__le32 io_align;
	__le32 io_width;
	__le32 sector_size;
	__le16 num_stripes;
	__le16 sub_stripes;
	struct btrfs_stripe stripe;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_chunk, 80);

static inline u32 btrfs_chunk_item_size(u32 num_stripes)
{
	return sizeof(struct btrfs_chunk) +
	       sizeof(struct btrfs_stripe) * (num_stripes - 1);
}

struct btrfs_root_backup {
	__le64 tree_root;
	__le64 tree_root_gen;
	__le64 chunk_root;
	__le64 chunk_root_gen;
	__le64 extent_root;
	__le64 extent_root_gen;
	__le64 fs_root;
	__le64 fs_root_gen;
	__le64 dev_root;
	__le64 dev_root_gen;
	__le64 csum_root;
	__le64 csum_root_gen;
	__le64 total_bytes;
	__le64 bytes_used;
	__le64 num_devices;
	__le64 unused_64[4];
	u8 tree_root_level;
	u8 chunk_root_level;
	u8 extent_root_level;
	u8 fs_root_level;
	u8 dev_root_level;
	u8 csum_root_level;
	u8 unused_8[10];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_root_backup, 168);

struct btrfs_super_block {
	u8 csum[BTRFS_CSUM_SIZE];
	u8 fsid[BTRFS_FSID_SIZE];
	__le64 bytenr;
	__le64 flags;
	__le64 magic;
	__le64 generation;
	__le64 root;
	__le64 chunk_root;
	__le64 log_root;
	__le64 log_root_transid;
	__le64 total_bytes;
	__le64 bytes_used;
	__le64 root_dir_objectid;
	__le64 num_devices;
	__le32 sectorsize;
	__le32 nodesize;
	__le32 leafsize;
	__le32 stripesize;
	__le32 sys_chunk_array_size;
	__le64 chunk_root_generation;
	__le64 compat_flags;
	__le64 compat_ro_flags;
	__le64 incompat_flags;
	__le16 csum_type;
	u8 root_level;
	u8 chunk_root_level;
	u8 log_root_level;
	struct btrfs_dev_item dev_item;
	char label[BTRFS_LABEL_SIZE];
	__le64 cache_generation;
	__le64 uuid_tree_generation;
	u8 metadata_uuid[BTRFS_FSID_SIZE];
	__le64 nr_global_roots;
	__le64 reserved[27];
	u8 sys_chunk_array[BTRFS_SYSTEM_CHUNK_ARRAY_SIZE];
	struct btrfs_root_backup super_roots[BTRFS_NUM_BACKUP_ROOTS];
	u8 padding[565];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_super_block, BTRFS_SUPER_INFO_SIZE);

struct btrfs_timespec {
	__le64 sec;
	__le32 nsec;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_timespec, 12);

struct btrfs_inode_item {
	__le64 generation;
	__le64 transid;
	__le64 size;
	__le64 nbytes;
	__le64 block_group;
	__le32 nlink;
	__le32 uid;
	__le32 gid;
	__le32 mode;
	__le64 rdev;
	__le64 flags;
	__le64 sequence;
	__le64 reserved[4];
	struct btrfs_timespec atime;
	struct btrfs_timespec ctime;
	struct btrfs_timespec mtime;
	struct btrfs_timespec otime;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_inode_item, 160);

struct btrfs_inode_ref {
	__le64 index;
	__le16 name_len;
	/* name follows */
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_inode_ref, 10);

struct btrfs_inode_extref {
	__le64 parent_objectid;
	__le64 index;
	__le16 name_len;
	/* name follows */
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_inode_extref, 18);

struct btrfs_dir_item {
	struct btrfs_disk_key location;
	__le64 transid;
	__le16 data_len;
	__le16 name_len;
	u8 type;
	/* name, then data_len bytes of data, follow */
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dir_item, 30);

struct btrfs_dir_log_item {
	__le64 end;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dir_log_item, 8);

struct btrfs_root_item {
	struct btrfs_inode_item inode;
	__le64 generation;
	__le64 root_dirid;
	__le64 bytenr;
	__le64 byte_limit;
	__le64 bytes_used;
	__le64 last_snapshot;
	__le64 flags;
	__le32 refs;
	struct btrfs_disk_key drop_progress;
	u8 drop_level;
	u8 level;
	/* Fields below exist only in items of the full size. */
	__le64 generation_v2;
	u8 uuid[BTRFS_UUID_SIZE];
	u8 parent_uuid[BTRFS_UUID_SIZE];
	u8 received_uuid[BTRFS_UUID_SIZE];
	__le64 ctransid;
	__le64 otransid;
	__le64 stransid;
	__le64 rtransid;
	struct btrfs_timespec ctime;
	struct btrfs_timespec otime;
	struct btrfs_timespec stime;
	struct btrfs_timespec rtime;
	__le64 reserved[8];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_root_item, 439);
#define BTRFS_LEGACY_ROOT_ITEM_SIZE offsetof(struct btrfs_root_item, generation_v2)

struct btrfs_root_ref {
	__le64 dirid;
	__le64 sequence;
	__le16 name_len;
	/* name follows */
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_root_ref, 18);

struct btrfs_file_extent_item {
	__le64 generation;
	__le64 ram_bytes;
	u8 compression;
	u8 encryption;
	__le16 other_encoding;
	u8 type;
	/* Inline extents store their data from here on. */
	__le64 disk_bytenr;
	__le64 disk_num_bytes;
	__le64 offset;
	__le64 num_bytes;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_file_extent_item, 53);
#define BTRFS_FILE_EXTENT_INLINE_DATA_START \
	offsetof(struct btrfs_file_extent_item, disk_bytenr)

struct btrfs_extent_item {
	__le64 refs;
	__le64 generation;
	__le64 flags;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_extent_item, 24);

struct btrfs_extent_item_v0 {
	__le32 refs;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_extent_item_v0, 4);

struct btrfs_tree_block_info {
	struct btrfs_disk_key key;
	u8 level;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_tree_block_info, 18);

struct btrfs_extent_inline_ref {
	u8 type;
	__le64 offset;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_extent_inline_ref, 9);

struct btrfs_extent_data_ref {
	__le64 root;
	__le64 objectid;
	__le64 offset;
	__le32 count;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_extent_data_ref, 28);

struct btrfs_shared_data_ref {
	__le32 count;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_shared_data_ref, 4);

struct btrfs_extent_owner_ref {
	__le64 root_id;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_extent_owner_ref, 8);

struct btrfs_block_group_item {
	__le64 used;
	__le64 chunk_objectid;
	__le64 flags;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_block_group_item, 24);

struct btrfs_dev_extent {
	__le64 chunk_tree;
	__le64 chunk_objectid;
	__le64 chunk_offset;
	__le64 length;
	u8 chunk_tree_uuid[BTRFS_UUID_SIZE];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dev_extent, 48);

struct btrfs_free_space_info {
	__le32 extent_count;
	__le32 flags;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_free_space_info, 8);

/* The v1 space cache header, still found in old root trees. */
struct btrfs_free_space_header {
	struct btrfs_disk_key location;
	__le64 generation;
	__le64 num_entries;
	__le64 num_bitmaps;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_free_space_header, 41);

/* An entry of a v1 space cache file: free bytes, or a bitmap's range. */
#define BTRFS_FREE_SPACE_CACHE_EXTENT	1
#define BTRFS_FREE_SPACE_CACHE_BITMAP	2

struct btrfs_free_space_entry {
	__le64 offset;
	__le64 bytes;
	__u8 type;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_free_space_entry, 17);

struct btrfs_qgroup_status_item {
	__le64 version;
	__le64 generation;
	__le64 flags;
	__le64 rescan;
	/* Present only with simple quotas. */
	__le64 enable_gen;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_qgroup_status_item, 40);

struct btrfs_qgroup_info_item {
	__le64 generation;
	__le64 rfer;
	__le64 rfer_cmpr;
	__le64 excl;
	__le64 excl_cmpr;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_qgroup_info_item, 40);

struct btrfs_qgroup_limit_item {
	__le64 flags;
	__le64 max_rfer;
	__le64 max_excl;
	__le64 rsv_rfer;
	__le64 rsv_excl;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_qgroup_limit_item, 40);

struct btrfs_disk_balance_args {
	__le64 profiles;
	__le64 usage;		/* or usage_min (low 32) / usage_max (high 32) */
	__le64 devid;
	__le64 pstart;
	__le64 pend;
	__le64 vstart;
	__le64 vend;
	__le64 target;
	__le64 flags;
	__le64 limit;		/* or limit_min (low 32) / limit_max (high 32) */
	__le32 stripes_min;
	__le32 stripes_max;
	__le64 unused[6];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_disk_balance_args, 136);

struct btrfs_balance_item {
	__le64 flags;
	struct btrfs_disk_balance_args data;
	struct btrfs_disk_balance_args meta;
	struct btrfs_disk_balance_args sys;
	__le64 unused[4];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_balance_item, 448);

struct btrfs_dev_stats_item {
	__le64 values[BTRFS_DEV_STAT_VALUES_MAX];
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dev_stats_item, 40);

struct btrfs_dev_replace_item {
	__le64 src_devid;
	__le64 cursor_left;
	__le64 cursor_right;
	__le64 cont_reading_from_srcdev_mode;
	__le64 replace_state;
	__le64 time_started;
	__le64 time_stopped;
	__le64 num_write_errors;
	__le64 num_uncorrectable_read_errors;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_dev_replace_item, 72);

struct btrfs_verity_descriptor_item {
	__le64 size;
	__le64 reserved[2];
	u8 encryption;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_verity_descriptor_item, 25);

struct btrfs_raid_stride {
	__le64 devid;
	__le64 physical;
} BTRFS_PACKED;
BTRFS_ASSERT_SIZE(struct btrfs_raid_stride, 16);

#endif
