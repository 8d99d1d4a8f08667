/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The engine's in-memory view of a filesystem: keys, tree block buffers,
 * paths, devices, the chunk map and the per-filesystem state.
 *
 * Every function returns 0 or a negative errno and never prints, except
 * where a comment says otherwise.  Errors worth telling the user are
 * recorded in fs_info->err (see btrfs_err_set()).
 */
#ifndef BTRFS_DAX_CTREE_H
#define BTRFS_DAX_CTREE_H

#include <stdbool.h>
#include <string.h>
#include "kernel-shared/ondisk.h"
#include "kernel-shared/accessors.h"

/* Host-order key. */
struct btrfs_key {
	u64 objectid;
	u8 type;
	u64 offset;
};

static inline void btrfs_disk_key_to_cpu(struct btrfs_key *cpu,
					 const struct btrfs_disk_key *disk)
{
	cpu->objectid = btrfs_disk_key_objectid(disk);
	cpu->type = btrfs_disk_key_type(disk);
	cpu->offset = btrfs_disk_key_offset(disk);
}

static inline void btrfs_cpu_key_to_disk(struct btrfs_disk_key *disk,
					 const struct btrfs_key *cpu)
{
	btrfs_set_disk_key_objectid(disk, cpu->objectid);
	btrfs_set_disk_key_type(disk, cpu->type);
	btrfs_set_disk_key_offset(disk, cpu->offset);
}

int btrfs_comp_keys(const struct btrfs_key *a, const struct btrfs_key *b);

/*
 * One tree block in memory.  data[] holds the whole node (len bytes) exactly
 * as on disk.  A buffer handed out by tree_block_read() has passed the
 * verifier unless it was read with TREE_BLOCK_NOVERIFY.
 */
struct extent_buffer {
	u64 start;
	u32 len;
	int refs;
	struct extent_buffer *hash_next;
	struct extent_buffer *lru_prev, *lru_next;
	u8 data[];
};

static inline struct btrfs_header *eb_header(const struct extent_buffer *eb)
{
	return (struct btrfs_header *)eb->data;
}

static inline u32 eb_nritems(const struct extent_buffer *eb)
{
	return btrfs_header_nritems(eb_header(eb));
}

static inline int eb_level(const struct extent_buffer *eb)
{
	return btrfs_header_level(eb_header(eb));
}

static inline u64 eb_owner(const struct extent_buffer *eb)
{
	return btrfs_header_owner(eb_header(eb));
}

static inline u64 eb_generation(const struct extent_buffer *eb)
{
	return btrfs_header_generation(eb_header(eb));
}

/* Leaf access. */
static inline struct btrfs_item *eb_item(const struct extent_buffer *eb,
					 int slot)
{
	return (struct btrfs_item *)(eb->data + sizeof(struct btrfs_header)) +
	       slot;
}

static inline u32 eb_item_size(const struct extent_buffer *eb, int slot)
{
	return btrfs_raw_item_size(eb_item(eb, slot));
}

static inline u32 eb_item_offset(const struct extent_buffer *eb, int slot)
{
	return btrfs_raw_item_offset(eb_item(eb, slot));
}

/* Item data; offsets are relative to the end of the header. */
static inline void *eb_item_ptr(const struct extent_buffer *eb, int slot)
{
	return (void *)(eb->data + sizeof(struct btrfs_header) +
			eb_item_offset(eb, slot));
}

#define eb_item_ptr_type(eb, slot, type) ((type *)eb_item_ptr(eb, slot))

static inline void eb_item_key(const struct extent_buffer *eb,
			       struct btrfs_key *key, int slot)
{
	btrfs_disk_key_to_cpu(key, &eb_item(eb, slot)->key);
}

/* Node access. */
static inline struct btrfs_key_ptr *eb_key_ptr(const struct extent_buffer *eb,
					       int slot)
{
	return (struct btrfs_key_ptr *)(eb->data + sizeof(struct btrfs_header)) +
	       slot;
}

static inline void eb_node_key(const struct extent_buffer *eb,
			       struct btrfs_key *key, int slot)
{
	btrfs_disk_key_to_cpu(key, &eb_key_ptr(eb, slot)->key);
}

static inline u64 eb_node_blockptr(const struct extent_buffer *eb, int slot)
{
	return btrfs_key_ptr_blockptr(eb_key_ptr(eb, slot));
}

static inline u64 eb_node_ptr_generation(const struct extent_buffer *eb,
					 int slot)
{
	return btrfs_key_ptr_generation(eb_key_ptr(eb, slot));
}

static inline u32 btrfs_leaf_data_size(u32 nodesize)
{
	return nodesize - sizeof(struct btrfs_header);
}

static inline u32 btrfs_node_ptrs_max(u32 nodesize)
{
	return btrfs_leaf_data_size(nodesize) / sizeof(struct btrfs_key_ptr);
}

/* Block I/O behind an ops table, so tests can inject faults. */
struct btrfs_io_ops {
	ssize_t (*pread)(void *priv, void *buf, size_t len, u64 off);
	ssize_t (*pwrite)(void *priv, const void *buf, size_t len, u64 off);
	int (*flush)(void *priv);
	int (*discard)(void *priv, u64 off, u64 len);
	void (*close)(void *priv);
};

struct btrfs_device {
	struct btrfs_device *next;
	u64 devid;
	u8 uuid[BTRFS_UUID_SIZE];
	u8 fsid[BTRFS_FSID_SIZE];
	u64 total_bytes;	/* from the device item */
	u64 size;		/* the file or block device's real size */
	char *path;		/* NULL when the device is missing */
	int fd;
	const struct btrfs_io_ops *ops;
	void *io_priv;
};

/*
 * Reads or writes all of [off, off+len) through the device's I/O ops,
 * retrying short transfers; 0, -ENODEV without a device, or -errno.
 */
int btrfs_device_pread(struct btrfs_device *dev, void *buf, u64 len, u64 off);
int btrfs_device_pwrite(struct btrfs_device *dev, const void *buf, u64 len,
			u64 off);

/* "single", "dup", "raid0", ... for a chunk type, or "unknown". */
const char *btrfs_profile_name(u64 type);

/* One mirror/stripe of a chunk. */
struct map_stripe {
	u64 devid;
	u64 physical;
	u8 dev_uuid[BTRFS_UUID_SIZE];
	struct btrfs_device *dev;	/* NULL when missing */
};

struct chunk_map {
	u64 logical;
	u64 length;
	u64 type;
	u64 stripe_len;
	u32 num_stripes;
	u32 sub_stripes;
	struct map_stripe stripes[];
};

/* Where one logical range lands: up to num_copies physical copies. */
#define BTRFS_MAX_MIRRORS 4
struct btrfs_io_copy {
	struct map_stripe *stripe;
	u64 physical;
};

/* A loaded tree root. */
struct btrfs_root {
	u64 objectid;
	u64 bytenr;
	u64 generation;
	u8 level;
	struct btrfs_fs_info *fs_info;
};

/* A position in a tree: nodes[0] is the leaf. */
struct btrfs_path {
	struct extent_buffer *nodes[BTRFS_MAX_LEVEL];
	int slots[BTRFS_MAX_LEVEL];
	int lowest_level;
};

/* Facts of the superblock, decoded once and validated. */
struct btrfs_sb_info {
	u8 fsid[BTRFS_FSID_SIZE];
	u8 metadata_uuid[BTRFS_FSID_SIZE];
	u8 chunk_tree_uuid[BTRFS_UUID_SIZE];
	u64 generation;
	u64 root;
	u8 root_level;
	u64 chunk_root;
	u8 chunk_root_level;
	u64 chunk_root_generation;
	u64 log_root;
	u8 log_root_level;
	u64 total_bytes;
	u64 bytes_used;
	u64 num_devices;
	u32 sectorsize;
	u32 nodesize;
	u32 stripesize;
	u16 csum_type;
	u16 csum_size;
	u64 compat_flags;
	u64 compat_ro_flags;
	u64 incompat_flags;
	u64 flags;
	u64 cache_generation;
	u64 uuid_tree_generation;
};

/* Limits the block cache; blocks beyond it are evicted least-recent first. */
#define BTRFS_BLOCK_CACHE_DEFAULT (256ULL << 20)

struct block_cache {
	struct extent_buffer **hash;
	u32 nbuckets;
	struct extent_buffer *lru_head, *lru_tail;	/* head = most recent */
	u64 bytes;
	u64 limit;
};

#define BTRFS_ERR_MSG_LEN 512

struct btrfs_fs_info {
	struct btrfs_super_block super_copy;	/* the chosen copy, raw */
	struct btrfs_sb_info sb;
	int super_mirror;			/* which copy was chosen */
	struct btrfs_device *devices;
	u32 num_open_devices;

	struct chunk_map **chunks;		/* sorted by logical */
	u32 nr_chunks;
	u32 alloc_chunks;

	struct block_cache cache;

	struct btrfs_root tree_root;
	struct btrfs_root chunk_root;

	/* The last error's text, for front ends to print. */
	char err[BTRFS_ERR_MSG_LEN];
};

/* Open options. */
#define BTRFS_OPEN_NOSCAN	(1U << 0)	/* do not look for more devices */
#define BTRFS_OPEN_SUPER_ONLY	(1U << 1)	/* stop after the superblock */
#define BTRFS_OPEN_PARTIAL	(1U << 2)	/* tolerate a bad root tree */
#define BTRFS_OPEN_ALLOW_MISSING (1U << 3)	/* tolerate missing devices */

struct btrfs_open_opts {
	unsigned int flags;
	int super_mirror;	/* -1: newest valid copy */
	int backup_root;	/* -1: the superblock's own roots */
	u64 cache_limit;	/* 0: BTRFS_BLOCK_CACHE_DEFAULT */
	u64 tree_root_bytenr;	/* non-zero: use this tree root instead */
	u64 chunk_root_bytenr;	/* non-zero: use this chunk root instead */
};

void btrfs_open_opts_init(struct btrfs_open_opts *opts);
int btrfs_open_fs(const char *const *paths, int npaths,
		  const struct btrfs_open_opts *opts,
		  struct btrfs_fs_info **ret);
void btrfs_close_fs(struct btrfs_fs_info *fs_info);

void btrfs_err_set(struct btrfs_fs_info *fs_info, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Superblocks (disk-io.c). */
int btrfs_super_read(int fd, int mirror, struct btrfs_super_block *sb);
int btrfs_super_check(const struct btrfs_super_block *sb, u64 expect_bytenr,
		      char *why, size_t why_len);
int btrfs_super_decode(const struct btrfs_super_block *sb,
		       struct btrfs_sb_info *info);

/* Chunk mapping (volumes.c). */
int chunk_map_insert(struct btrfs_fs_info *fs_info, struct chunk_map *map);
struct chunk_map *chunk_map_lookup(const struct btrfs_fs_info *fs_info,
				   u64 logical);
void chunk_map_remove(struct btrfs_fs_info *fs_info, u64 logical);
int chunk_map_from_item(struct btrfs_fs_info *fs_info, u64 logical,
			const struct btrfs_chunk *chunk, u32 item_size,
			struct chunk_map **ret);
int chunk_map_num_copies(const struct chunk_map *map);
/* Mirrors btrfs_read_logical() takes: RAID5 2, RAID6 3 (parity rebuilds). */
int chunk_map_read_mirrors(const struct chunk_map *map);
/* Physical location of copy 'mirror' (0-based) of [logical, logical+len). */
int chunk_map_locate(const struct chunk_map *map, u64 logical, int mirror,
		     struct btrfs_io_copy *copy, u64 *contiguous);
/* Stripes holding data rather than copies or parity (1 for mirrors). */
u32 chunk_map_data_stripes(const struct chunk_map *map);
/* Bytes each stripe (device extent) of map takes on its device. */
u64 chunk_map_stripe_size(const struct chunk_map *map);
/*
 * What byte 'off' into stripe 'idx' (its device extent) holds: 0 with its
 * logical address, or 1 for RAID5/6 parity with *logical the start of its
 * full stripe; *contiguous is how many bytes from there map on in step.
 * -ERANGE when off is beyond the device extent.
 */
int chunk_map_reverse(const struct chunk_map *map, u32 idx, u64 off,
		      u64 *logical, u64 *contiguous);
int btrfs_read_logical(struct btrfs_fs_info *fs_info, u64 logical, void *buf,
		       u64 len, int mirror);
struct btrfs_device *btrfs_device_find(const struct btrfs_fs_info *fs_info,
				       u64 devid);

/* Tree blocks (disk-io.c, tree-checker.c). */

/* Verify the checksum, header and layout, but not the items' contents. */
#define TREE_BLOCK_SKIP_ITEMS	(1U << 0)
/*
 * For dump tools: when no copy passes the full verifier, accept a copy that
 * passes with TREE_BLOCK_SKIP_ITEMS.  tree_block_read() then returns 1 with
 * the verifier's complaint in fs_info->err, and does not cache the block.
 */
#define TREE_BLOCK_LENIENT	(1U << 1)

struct tree_block_expect {
	u64 owner;		/* 0: any */
	u64 generation;		/* 0: any */
	int level;		/* -1: any */
	const struct btrfs_key *first_key;	/* NULL: any */
	unsigned int flags;	/* TREE_BLOCK_* */
};

/* 0, or 1 for a block accepted under TREE_BLOCK_LENIENT, or -errno. */
int tree_block_read(struct btrfs_fs_info *fs_info, u64 bytenr,
		    const struct tree_block_expect *expect,
		    struct extent_buffer **ret);
/* A buffer of len bytes for the block at bytenr, one reference; NULL: ENOMEM. */
struct extent_buffer *extent_buffer_new(u64 bytenr, u32 len);
/*
 * For read-ahead threads: reads copy 0 of a tree block into eb (from
 * extent_buffer_new() with len the nodesize, not cached, not shared) and
 * runs the full verifier, without the block cache and without recording
 * any error, so several threads may call it at once as long as nothing
 * changes the fs_info (its chunk map and devices) meanwhile.  0, or -errno:
 * the caller then reads the block with tree_block_read(), which tries every
 * copy and explains a failure.
 */
int tree_block_read_ahead(struct btrfs_fs_info *fs_info, u64 bytenr,
			  const struct tree_block_expect *expect,
			  struct extent_buffer *eb);
/*
 * tree_block_read() given 'ready', the same block already read and
 * verified under the same expectations by tree_block_read_ahead(): it is
 * cached and returned instead of reading the disk (a copy already cached
 * wins, exactly as tree_block_read() would find it).  Takes over the
 * reference to ready.
 */
int tree_block_read_ready(struct btrfs_fs_info *fs_info, u64 bytenr,
			  const struct tree_block_expect *expect,
			  struct extent_buffer *ready,
			  struct extent_buffer **ret);
/*
 * Buffer references are counted without atomics: only one thread may get
 * and put references (buffers from tree_block_read_ahead() are handed over
 * whole).
 */
void extent_buffer_put(struct extent_buffer *eb);
struct extent_buffer *extent_buffer_get(struct extent_buffer *eb);

int tree_block_verify(const struct btrfs_fs_info *fs_info,
		      const struct extent_buffer *eb,
		      const struct tree_block_expect *expect,
		      char *why, size_t why_len);
int tree_block_csum_verify(const struct btrfs_fs_info *fs_info,
			   const u8 *data, u32 len);

/* Search and iteration (ctree.c). */
void btrfs_path_init(struct btrfs_path *path);
void btrfs_path_release(struct btrfs_path *path);
/* Returns 0 if found, 1 if not (path at the insertion point), <0 on error. */
int btrfs_search_slot(struct btrfs_fs_info *fs_info,
		      const struct btrfs_root *root,
		      const struct btrfs_key *key, struct btrfs_path *path);
/* 0: moved, 1: no more items, <0: error. */
int btrfs_next_item(struct btrfs_fs_info *fs_info, struct btrfs_path *path);
int btrfs_prev_item(struct btrfs_fs_info *fs_info, struct btrfs_path *path);
/*
 * Reads child path->slots[level] of path->nodes[level] into
 * path->nodes[level - 1]; 0 or a negative errno.
 */
typedef int (*btrfs_child_reader)(void *ctx, struct btrfs_path *path,
				  int level);
/*
 * The one item-to-item step of a path, forward or back, for the read side
 * and for a transaction's view of a tree (which reads children its own
 * way).  0: moved, 1: no more items, <0: error.
 */
int btrfs_path_step(struct btrfs_path *path, bool forward,
		    btrfs_child_reader read_child_fn, void *ctx);
/* Positions path at the first item >= key: 0, 1 if there is none, or -errno. */
int btrfs_search_first(struct btrfs_fs_info *fs_info,
		       const struct btrfs_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path);
/* Loads a root from the root tree by objectid (highest offset). */
int btrfs_read_root(struct btrfs_fs_info *fs_info, u64 objectid,
		    struct btrfs_root *root, struct btrfs_root_item *item);

/* Extent back references (backref.c). */

/* One back reference of an extent, inline or keyed, in host order. */
struct extent_ref {
	u8 type;	/* BTRFS_*_REF_KEY */
	u64 root;	/* TREE_BLOCK_REF, EXTENT_DATA_REF, EXTENT_OWNER_REF */
	u64 parent;	/* SHARED_BLOCK_REF, SHARED_DATA_REF: the parent block */
	u64 ino;	/* EXTENT_DATA_REF: the inode */
	u64 offset;	/* EXTENT_DATA_REF: file offset minus extent offset */
	u32 count;	/* data refs: how many file extent items; else 1 */
};

/* Where the inline refs of an EXTENT_ITEM/METADATA_ITEM with flags start. */
u32 extent_item_refs_start(const struct btrfs_key *key, u64 flags);
/* Bytes of an inline ref of this type, 0 for an unknown type. */
u32 extent_inline_ref_size(u8 type);
/*
 * Decodes the inline ref at item[*cur] and moves *cur past it: 0, 1 when
 * *cur is at the item's end, -EUCLEAN for an unknown type or an overrun.
 */
int extent_inline_ref_next(const u8 *item, u32 size, u32 *cur,
			   struct extent_ref *ref);
/* Decodes a keyed ref item: 0, 1 when key is not a ref type, -EUCLEAN. */
int extent_keyed_ref_decode(const struct btrfs_key *key, const u8 *item,
			    u32 size, struct extent_ref *ref);

/* Paths from back references (inode-paths.c). */

/*
 * Calls cb with every path of inode ino in root, relative to the tree's top
 * directory ("/"): one per name in its INODE_REF and INODE_EXTREF items,
 * each parent directory followed up through its first ref.  Returns 0,
 * -ELOOP for a cycle of refs, another -errno, or the first non-zero value
 * cb returned (which ends the walk).
 */
int btrfs_inode_paths(struct btrfs_fs_info *fs_info,
		      const struct btrfs_root *root, u64 ino,
		      int (*cb)(const char *path, void *ctx), void *ctx);
/*
 * The path of subvolume subvol from the top of the filesystem (the FS_TREE),
 * through ROOT_BACKREF items: "" for the FS_TREE itself, "/a/snap" for a
 * subvolume "snap" in directory "/a".  *ret is malloc'ed.  -ENOENT when a
 * subvolume on the way has no backref (being deleted).
 */
int btrfs_subvol_path(struct btrfs_fs_info *fs_info, u64 subvol, char **ret);

#endif
