/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * mkfs.btrfs internals, shared by the files of mkfs/ only.
 *
 * The program is a pipeline, one stage per file:
 *   options.c  command line values -> validated struct mkfs_config
 *   device.c   the targets: open, size, safety checks, wiping, sysfs facts
 *   alloc.c    profiles; chunk sizes and devices as stock's allocator picks
 *   layout.c   geometry: chunk places, tree block addresses
 *   trees.c    the items of every tree
 *   build.c    items -> checksummed tree blocks in memory
 *   write.c    superblocks, verification and the writes themselves
 *   raid56.c   RAID5/6 parity of the metadata written
 *   main.c     the command line front end; the only file that prints
 *
 * Every function returns 0 or a negative errno.  Where the user needs to
 * know more than the errno says, the reason goes into a struct mkfs_err.
 */
#ifndef BTRFS_DAX_MKFS_H
#define BTRFS_DAX_MKFS_H

#include <stdbool.h>
#include <stddef.h>
#include "kernel-shared/ctree.h"

#define SZ_64K	(64ULL << 10)
#define SZ_1M	(1ULL << 20)
#define SZ_2M	(2ULL << 20)
#define SZ_4M	(4ULL << 20)
#define SZ_8M	(8ULL << 20)
#define SZ_32M	(32ULL << 20)
#define SZ_64M	(64ULL << 20)
#define SZ_256M	(256ULL << 20)
#define SZ_1G	(1ULL << 30)
#define SZ_50G	(50ULL << 30)

/* DAX-DESIGN.md: the alignment of every chunk of a --dax filesystem. */
#define MKFS_DAX_ALIGN		SZ_2M
/* The first megabyte of a device is never allocated. */
#define MKFS_RESERVED_START	SZ_1M
#define MKFS_DEFAULT_NODESIZE	16384U
#define MKFS_GENERATION		1ULL

/* Why a stage failed, in words for the user. */
struct mkfs_err {
	char msg[512];
};

int mkfs_err_set(struct mkfs_err *err, int ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- options.c: the validated configuration ---- */

/* Where a feature's bit lives in the superblock. */
enum mkfs_feature_kind {
	FEAT_INCOMPAT,
	FEAT_COMPAT_RO,
	FEAT_RUNTIME,		/* -R features: stored as compat_ro bits */
};

struct mkfs_feature {
	const char *name;
	enum mkfs_feature_kind kind;
	u64 bit;
	bool supported;		/* this mkfs can create it */
	bool deflt;		/* on unless turned off */
	const char *desc;
	const char *compat;	/* first kernel that mounts it */
	const char *safe;	/* NULL: not stated */
	const char *dflt_ver;	/* NULL: not a default */
};

/* The feature table, terminated by an entry with a NULL name. */
const struct mkfs_feature *mkfs_features(void);

/* Stock btrfs-progs has no fixed limit; 32 keeps every array small. */
#define MKFS_MAX_DEVICES	32

struct mkfs_config {
	const char *paths[MKFS_MAX_DEVICES];
	int nr_devices;
	u64 byte_count;		/* -b, per device, 0 for the whole device */
	u32 nodesize;		/* 0 until resolved */
	u32 sectorsize;
	bool nodesize_set;
	u64 meta_profile;	/* BTRFS_BLOCK_GROUP_* profile bits, 0: single */
	u64 data_profile;
	bool meta_profile_set;
	bool data_profile_set;
	u16 csum_type;
	u64 incompat;
	u64 compat_ro;
	u64 compat;
	char label[BTRFS_LABEL_SIZE];
	u8 fsid[BTRFS_FSID_SIZE];
	bool fsid_set;
	u8 dev_uuid[BTRFS_UUID_SIZE];	/* --device-uuid, one device only */
	bool dev_uuid_set;
	bool force;
	bool discard;
	bool dax;
	bool dax_inherit;	/* the top directory gets the DAX flag */
	bool mixed;		/* -M given */
	int verbose;		/* 0: quiet, 1: default, 2+: verbose */
};

/*
 * Mixed block groups (-M).  As in stock, -O mixed-bg alone only sets the
 * feature bit: the chunks stay separate, the node size must still be the
 * sector size.
 */
static inline bool mkfs_config_mixed(const struct mkfs_config *cfg)
{
	return cfg->mixed;
}

void mkfs_config_init(struct mkfs_config *cfg);
int mkfs_parse_size(const char *str, u64 *ret);
/* "single" -> 0, "dup" -> DUP, raid names -> their bits; -EINVAL else. */
int mkfs_parse_profile(const char *str, u64 *ret);
const char *mkfs_profile_name(u64 profile);
int mkfs_parse_csum(const char *str, u16 *ret);
/*
 * Applies "a,^b,c" to cfg.  Returns 1 when the list holds "list-all", or
 * a negative errno with err filled for an unknown or unsupported name.
 */
int mkfs_parse_features(struct mkfs_config *cfg, const char *list,
			bool runtime, struct mkfs_err *err);
/* Checks everything that does not need the device; fills in defaults. */
int mkfs_config_validate(struct mkfs_config *cfg, struct mkfs_err *err);
/* Stock btrfs-progs' minimum size of each device for the chosen profiles. */
u64 mkfs_min_dev_size(const struct mkfs_config *cfg);
/* The enabled features, comma separated, for the summary. */
void mkfs_features_string(const struct mkfs_config *cfg, bool runtime,
			  char *buf, size_t len);

/* ---- alloc.c: profiles and stock's chunk allocator ---- */

/* What a profile needs and gives (the btrfs format's RAID table). */
struct mkfs_raid_attr {
	u64 profile;		/* BTRFS_BLOCK_GROUP_* bit, 0 for single */
	const char *name;	/* "raid1" */
	const char *upper;	/* "RAID1", stock spells single lower case */
	u8 dev_stripes;		/* stripes per device in one chunk */
	u8 devs_min;
	u8 devs_max;		/* 0: as many as there are */
	u8 sub_stripes;
	u8 ncopies;
	u8 nparity;
	u8 tolerated_failures;
};

/* The attributes of the profile in 'flags', or of single. */
const struct mkfs_raid_attr *mkfs_raid_attr(u64 flags);
/* Every profile, terminated by an entry with a NULL name. */
const struct mkfs_raid_attr *mkfs_raid_attrs(void);
/* length = stripe_size * this, for a chunk of 'type' with num_stripes. */
u32 mkfs_data_stripes(u64 type, u32 num_stripes);

struct mkfs_fs;
/*
 * Decides every chunk's type, stripe size and devices the way stock
 * mkfs.btrfs 6.2 does, temporary chunks and device list rotation included.
 * Leaves the physical places to mkfs_plan_chunks().
 */
int mkfs_alloc_chunks(struct mkfs_fs *fs, struct mkfs_err *err);

/* ---- device.c: the target devices ---- */

struct mkfs_device {
	const char *path;
	int fd;
	bool is_blockdev;
	u64 size;		/* bytes of the file or block device */
	dev_t rdev;		/* block devices only */
	/* Facts for the summary and --dax. */
	bool ssd;
	int dax_capable;	/* 1 yes, 0 no, -1 not a block device */
	u64 part_start;		/* partition start in bytes, 0 if whole */
};

/* Runs every check that needs no write access, then opens for writing. */
int mkfs_device_open(struct mkfs_device *dev, const char *path,
		     const struct mkfs_config *cfg, struct mkfs_err *err);
void mkfs_device_close(struct mkfs_device *dev);
/*
 * Refuses a device given twice, also under another name or as a loop
 * device over a file that is given too.
 */
int mkfs_devices_distinct(const char *const *paths, int nr,
			  struct mkfs_err *err);
/* Discards (unless told not to) and erases old signatures. */
int mkfs_device_wipe(struct mkfs_device *dev, u64 fs_size, bool discard,
		     bool zero_end, struct mkfs_err *err);
/* Tells the kernel about a new btrfs block device, as stock does. */
int mkfs_device_register(const char *path);
/* A filesystem with this uuid is known to libblkid already. */
bool mkfs_uuid_in_use(const u8 *fsid);

/* ---- layout.c: chunks and tree block addresses ---- */

struct mkfs_stripe {
	u32 dev;		/* index into mkfs_fs.devs */
	u64 physical;
};

struct mkfs_chunk {
	bool present;
	u64 logical;
	u64 length;
	u64 type;		/* BTRFS_BLOCK_GROUP_* type and profile */
	u64 stripe_size;	/* bytes of each device extent */
	u32 num_stripes;
	u32 sub_stripes;
	struct mkfs_stripe stripes[MKFS_MAX_DEVICES];
	u64 used;		/* tree block bytes allocated in it */
	u64 alloc_next;		/* next logical address to try */
};

enum mkfs_chunk_index {
	MKFS_CHUNK_SYSTEM,
	MKFS_CHUNK_METADATA,	/* DATA|METADATA with mixed block groups */
	MKFS_CHUNK_DATA,	/* absent with mixed block groups */
	MKFS_NR_CHUNKS,
};

/* The trees mkfs writes, in the order their blocks are allocated. */
enum mkfs_tree_index {
	MKFS_TREE_CHUNK,
	MKFS_TREE_ROOT,
	MKFS_TREE_EXTENT,
	MKFS_TREE_DEV,
	MKFS_TREE_FS,
	MKFS_TREE_CSUM,
	MKFS_TREE_UUID,
	MKFS_TREE_FREE_SPACE,
	MKFS_TREE_DATA_RELOC,
	MKFS_TREE_BLOCK_GROUP,
	MKFS_NR_TREES,
};

/* One item of a tree under construction. */
struct mkfs_item {
	struct btrfs_key key;
	u32 size;
	u8 *data;
};

struct mkfs_tree {
	u64 objectid;		/* the owner written into every block */
	bool present;		/* this filesystem has the tree */
	struct mkfs_item *items;
	u32 nr_items;
	u32 alloc_items;
	/* Shape: leaves, then each level of nodes; the root is last. */
	u32 nr_blocks;
	u32 nr_leaves;
	u8 level;
	u32 *leaf_start;	/* nr_leaves + 1 item indexes */
	u64 *bytenr;		/* nr_blocks addresses */
	u8 *block_level;	/* nr_blocks levels */
	struct btrfs_key *first_key;	/* nr_blocks first keys */
	struct extent_buffer **blocks;	/* built blocks */
};

static inline u64 mkfs_tree_root(const struct mkfs_tree *t)
{
	return t->bytenr[t->nr_blocks - 1];
}

/* One device of the filesystem; devid is its index plus one. */
struct mkfs_fs_dev {
	const char *path;
	u64 devid;
	u64 total_bytes;	/* the device's bytes in the filesystem */
	u8 uuid[BTRFS_UUID_SIZE];
};

/* Everything about the filesystem being made. */
struct mkfs_fs {
	const struct mkfs_config *cfg;
	u32 nr_devs;
	struct mkfs_fs_dev devs[MKFS_MAX_DEVICES];
	u64 total_bytes;	/* the sum over the devices */
	u8 fsid[BTRFS_FSID_SIZE];
	u8 chunk_uuid[BTRFS_UUID_SIZE];
	u8 fs_root_uuid[BTRFS_UUID_SIZE];
	u64 now;
	struct mkfs_chunk chunks[MKFS_NR_CHUNKS];
	struct mkfs_tree trees[MKFS_NR_TREES];
	struct btrfs_super_block super;
	struct btrfs_fs_info verify_info;	/* for tree_block_verify() */
};

/* sizes[i]: bytes of device i to use; rounded down to the sector size. */
void mkfs_fs_init(struct mkfs_fs *fs, const struct mkfs_config *cfg,
		  const u64 *sizes);
void mkfs_fs_release(struct mkfs_fs *fs);
/* Chooses chunk sizes and devices and places them on the devices. */
int mkfs_plan_chunks(struct mkfs_fs *fs, struct mkfs_err *err);
/* Builds every tree's items and gives every tree block its address. */
int mkfs_plan_trees(struct mkfs_fs *fs, struct mkfs_err *err);
/* Chunk of a logical address, or NULL. */
const struct mkfs_chunk *mkfs_chunk_of(const struct mkfs_fs *fs, u64 logical);
/* Bytes of device extents on device 'dev' (an index). */
u64 mkfs_dev_bytes_used(const struct mkfs_fs *fs, u32 dev);
u64 mkfs_tree_bytes_used(const struct mkfs_fs *fs);

/* ---- trees.c: item contents ---- */

int mkfs_tree_add(struct mkfs_tree *t, u64 objectid, u8 type, u64 offset,
		  const void *data, u32 size, void **ret);
void mkfs_tree_sort(struct mkfs_tree *t);
void mkfs_tree_free_items(struct mkfs_tree *t);
/* Trees whose items do not depend on tree block addresses. */
int mkfs_fill_static_trees(struct mkfs_fs *fs);
/* Trees whose items describe tree block addresses. */
int mkfs_fill_root_tree(struct mkfs_fs *fs);
int mkfs_fill_extent_trees(struct mkfs_fs *fs);
int mkfs_fill_free_space_tree(struct mkfs_fs *fs);
void mkfs_fill_dev_item(const struct mkfs_fs *fs, u32 dev,
			struct btrfs_dev_item *di);
/* item must have room for btrfs_chunk_item_size(c->num_stripes) bytes. */
void mkfs_fill_chunk_item(const struct mkfs_fs *fs, const struct mkfs_chunk *c,
			  struct btrfs_chunk *item);

/* ---- build.c: blocks ---- */

/*
 * Packs the (sorted) items into leaves and nodes: sets nr_leaves,
 * nr_blocks, level and every block's level and first key.  Addresses are
 * left alone when the block count did not change.
 */
int mkfs_tree_shape(struct mkfs_tree *t, u32 nodesize);
/* Builds and checksums the blocks of one tree; addresses must be set. */
int mkfs_tree_build(struct mkfs_fs *fs, struct mkfs_tree *t);
void mkfs_tree_release(struct mkfs_tree *t);

/* ---- write.c: superblock and I/O ---- */

int mkfs_build_super(struct mkfs_fs *fs);
/* Runs every built block through the verifier. */
int mkfs_verify_blocks(struct mkfs_fs *fs, struct mkfs_err *err);
/* devs[i] is the open device of fs->devs[i]. */
int mkfs_write_trees(struct mkfs_fs *fs, struct mkfs_device *devs,
		     struct mkfs_err *err);
int mkfs_write_supers(struct mkfs_fs *fs, struct mkfs_device *devs,
		      struct mkfs_err *err);
/* Re-opens the written filesystem and walks every tree. */
int mkfs_verify_written(const char *const *paths, int nr,
			struct mkfs_err *err);

/* ---- raid56.c: parity ---- */

/* P (XOR) and, when q is not NULL, the RAID6 Q syndrome of ndata strips. */
void mkfs_raid56_parity(u8 *const *data, u32 ndata, u8 *p, u8 *q, size_t len);

#endif
