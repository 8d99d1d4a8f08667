/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The write side of the engine: a filesystem opened read-write, transactions,
 * copy-on-write B-tree modification, metadata allocation and commit.
 *
 * Crash consistency rests on three rules, the kernel's:
 *   - a tree block reachable from the committed superblock is never written:
 *     every modified block is copied to a block that was free in the
 *     committed state (copy-on-write);
 *   - a block freed in a transaction is not reused before that transaction
 *     has committed (it is "pinned");
 *   - the superblock is written only after every new block is on stable
 *     storage, and it is the only thing that makes the new trees reachable.
 * A transaction that fails before the superblock write therefore leaves the
 * filesystem as it was.  See Documentation/ch-transactions.rst.
 *
 * Updates of the extent tree, the free space tree and the block group items
 * caused by allocating and freeing tree blocks, and by the reference count
 * changes of blocks and data extents shared with snapshots, are queued as
 * delayed references and run at commit, until no more are produced.
 *
 * Every function returns 0 or a negative errno and never prints; the reason
 * of a failure worth telling is in fs_info->err.
 */
#ifndef BTRFS_DAX_TRANSACTION_H
#define BTRFS_DAX_TRANSACTION_H

#include <stdbool.h>
#include "kernel-shared/ctree.h"

/* ---- small containers (extent-alloc.c) ---- */

/* A hash map from a non-zero u64 to a non-NULL pointer. */
struct u64_map {
	u64 *keys;
	void **vals;
	u32 cap;		/* a power of two, or 0 */
	u32 count;
};

int u64_map_put(struct u64_map *map, u64 key, void *val);
void *u64_map_get(const struct u64_map *map, u64 key);
/* Removes the key; returns its value or NULL. */
void *u64_map_del(struct u64_map *map, u64 key);
void u64_map_free(struct u64_map *map);
/* Every value, in no particular order, into a new array (free() it). */
int u64_map_values(const struct u64_map *map, void ***ret, u32 *nr);

/* A set of disjoint byte ranges [start, end), sorted. */
struct range {
	u64 start;
	u64 end;
};

struct range_set {
	struct range *r;
	u32 nr;
	u32 alloc;
};

/* Adds a range, merging neighbours; -EEXIST if it overlaps the set. */
int range_set_add(struct range_set *set, u64 start, u64 len);
/* Removes a range that lies entirely in the set; -ENOENT otherwise. */
int range_set_remove(struct range_set *set, u64 start, u64 len);
bool range_set_contains(const struct range_set *set, u64 start, u64 len);
bool range_set_overlaps(const struct range_set *set, u64 start, u64 len);
u64 range_set_bytes(const struct range_set *set);
void range_set_free(struct range_set *set);

/* ---- the filesystem opened read-write (transaction.c) ---- */

/* A block group as the allocator and the commit see it. */
struct btrfs_bg {
	u64 start;
	u64 length;
	u64 flags;
	u64 used;		/* with this transaction's processed refs */
	u64 used_committed;
	bool dirty;		/* used differs from the item in the tree */
	bool metadata;		/* tree blocks are allocated here */
	bool pending;		/* new chunk whose items are not in the trees */
	struct range_set free;	/* metadata groups: free and not pinned */
	u32 bitmap_high;	/* free space tree form thresholds */
	u32 bitmap_low;
};

/* A tree that a transaction may modify. */
struct btrfs_trans_root {
	struct btrfs_root root;		/* the current root block */
	struct btrfs_root committed;	/* as of the last commit */
	struct btrfs_key item_key;	/* its ROOT_ITEM in the root tree */
	struct btrfs_root_item item;	/* the item as it should be */
	struct btrfs_root_item item_tree;	/* as the root tree holds it now */
	struct btrfs_root_item item_committed;	/* as of the last commit */
	u32 item_size;
	bool has_item;			/* false for the root and chunk trees */
	struct btrfs_trans_root *next;
};

struct btrfs_rw_device {
	struct btrfs_device *dev;
	struct btrfs_dev_item dev_item;	/* for its superblock, current */
	struct btrfs_dev_item dev_item_committed;
	struct range_set alloc;		/* physical ranges of device extents */
};

struct btrfs_trans_handle;

struct btrfs_fs_rw {
	struct btrfs_fs_info *fs_info;
	struct btrfs_rw_device *devs;
	u32 nr_devs;
	struct btrfs_trans_root *roots;
	struct btrfs_bg *bgs;		/* sorted by start */
	u32 nr_bgs;
	u32 alloc_bgs;			/* new chunks only append */
	u64 bytes_used;			/* committed superblock bytes_used */
	int backup_index;		/* the next backup root slot */
	bool broken;			/* a commit failed while writing supers */
	struct btrfs_trans_handle *trans;	/* the running one, or NULL */
};

/* Open options for btrfs_open_fs_rw(). */
#define BTRFS_RW_SKIP_MOUNT_CHECK	(1U << 0)	/* tests on private copies */

/*
 * Opens every device O_RDWR after refusing a mounted filesystem, a missing
 * device and anything the write side cannot keep consistent (a log tree to
 * replay, RAID5/6 metadata, quotas, no free space tree, superblock copies
 * that disagree).  *ret is set even on failure, so that fs_info->err can
 * be read; btrfs_close_fs_rw() it either way.
 */
int btrfs_open_fs_rw(const char *const *paths, int npaths, unsigned int flags,
		     struct btrfs_fs_rw **ret);
/* Aborts a running transaction and closes everything. */
void btrfs_close_fs_rw(struct btrfs_fs_rw *rw);
/* The block group holding logical address bytenr, or NULL. */
struct btrfs_bg *btrfs_bg_lookup(struct btrfs_fs_rw *rw, u64 bytenr);
/* Reads block group usage and free space again from the committed trees. */
int btrfs_bgs_load(struct btrfs_fs_rw *rw);

/* ---- transactions (transaction.c) ---- */

/*
 * One queued change of one back reference of an extent: a keyed reference
 * (TREE_BLOCK_REF of a tree, EXTENT_DATA_REF of a tree, inode and file
 * offset minus the extent offset) or a shared one (SHARED_BLOCK_REF,
 * SHARED_DATA_REF of the tree block holding the pointer).
 */
struct btrfs_ref_mod {
	u8 type;		/* the back reference key type */
	u64 root;		/* TREE_BLOCK_REF, EXTENT_DATA_REF */
	u64 parent;		/* SHARED_BLOCK_REF, SHARED_DATA_REF */
	u64 ino;		/* EXTENT_DATA_REF */
	u64 offset;		/* EXTENT_DATA_REF */
	s64 delta;		/* references added (> 0) or dropped */
};

/* The queued changes of one extent's item (the kernel's ref head). */
struct btrfs_delayed_ref {
	u64 bytenr;
	u64 num_bytes;		/* data extents */
	int level;		/* tree blocks */
	bool data;
	bool insert;		/* a tree block allocated in this transaction */
	u64 set_flags;		/* extent flags to set (FULL_BACKREF) */
	struct btrfs_key first_key;	/* for non-skinny tree_block_info */
	struct btrfs_ref_mod *mods;	/* one per distinct reference */
	u32 nr_mods;
	u32 alloc_mods;
};

/* A chunk allocated in this transaction. */
struct btrfs_new_chunk {
	u64 logical;
	u64 stripe_size;
	struct btrfs_chunk *item;	/* the chunk item, as it will be */
	u32 item_size;
	bool created;		/* its items are in the trees */
};

struct btrfs_trans_handle {
	struct btrfs_fs_rw *rw;
	struct btrfs_fs_info *fs_info;
	u64 transid;
	struct u64_map dirty;		/* bytenr -> extent_buffer, new blocks */
	struct u64_map refs;		/* bytenr -> btrfs_delayed_ref */
	struct range_set pinned;	/* freed, reusable after the commit */
	u64 bytes_used;			/* superblock bytes_used, running */
	bool committing;		/* may use the commit reserve */
	struct btrfs_new_chunk *chunks;
	u32 nr_chunks;
	struct btrfs_super_block *super;	/* see btrfs_trans_super() */
};

/* Starts a transaction: generation = superblock generation + 1. */
int btrfs_trans_start(struct btrfs_fs_rw *rw, struct btrfs_trans_handle **ret);
/*
 * Writes everything and the superblocks.  On failure the transaction is
 * aborted; unless rw->broken is set, the filesystem on disk is unchanged.
 */
int btrfs_trans_commit(struct btrfs_trans_handle *trans);
/* Forgets every change of the transaction. */
void btrfs_trans_abort(struct btrfs_trans_handle *trans);
/*
 * The superblock this transaction commits, for changing fields such as the
 * label or feature bits: a copy of the committed one made on first call,
 * NULL without memory.  The commit still sets the generation, the roots,
 * bytes_used and the backup roots, and writes it to every copy on every
 * device; an abort forgets it.
 */
struct btrfs_super_block *btrfs_trans_super(struct btrfs_trans_handle *trans);
/* The tree 'objectid', loaded on first use. */
int btrfs_trans_get_root(struct btrfs_trans_handle *trans, u64 objectid,
			 struct btrfs_trans_root **ret);
/* Looks a loaded tree up in the list, or loads it from the committed root
 * tree (used at open time, outside any transaction). */
int btrfs_rw_root_load(struct btrfs_fs_rw *rw, u64 objectid,
		       struct btrfs_trans_root **ret);

/*
 * ---- B-tree modification (ctree-write.c) ----
 *
 * After -ENOSPC, -EEXIST, -ENOENT or -EOVERFLOW the trees are valid and
 * the transaction may still be committed; after any other error, abort it.
 */

/*
 * Like btrfs_search_slot(), on the transaction's view of the tree.  With
 * cow, every block on the path is copied unless it is new in this
 * transaction.  ins_len > 0: make room for that many bytes in the leaf (a
 * new item's data plus its header, or the growth of an existing item),
 * splitting nodes and leaves.  ins_len < 0: the caller will delete.
 * Returns 0 if the key was found, 1 if not (the slot is the insertion
 * point, possibly past the last item of the leaf), <0 on error.
 */
int btrfs_search_slot_rw(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root,
			 const struct btrfs_key *key, struct btrfs_path *path,
			 int ins_len, bool cow);
/* 0: moved, 1: no more items, <0: error.  Read-only steps. */
int btrfs_next_item_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_path *path);
int btrfs_prev_item_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_path *path);
/* The first item >= key (1: none), or the last item <= key (1: none). */
int btrfs_search_ge_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path);
int btrfs_search_le_rw(struct btrfs_trans_handle *trans,
		       struct btrfs_trans_root *root,
		       const struct btrfs_key *key, struct btrfs_path *path);

/* Inserts an item of 'size' zero bytes; the path points at it. -EEXIST. */
int btrfs_insert_empty_item(struct btrfs_trans_handle *trans,
			    struct btrfs_trans_root *root,
			    struct btrfs_path *path,
			    const struct btrfs_key *key, u32 size);
int btrfs_insert_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key, const void *data, u32 size);
/*
 * Deletes nr items from path->slots[0] on of a path searched with
 * ins_len < 0 and cow.  Empty leaves are removed and small ones merged
 * with a neighbour.  The path is released.
 */
int btrfs_del_items(struct btrfs_trans_handle *trans,
		    struct btrfs_trans_root *root, struct btrfs_path *path,
		    int slot, int nr);
/* Looks key up and deletes it; -ENOENT if absent. */
int btrfs_delete_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key);
/*
 * Grows the item at path->slots[0] to new_size (zero-filled at its end).
 * The path must come from a search with ins_len >= the growth and cow.
 */
int btrfs_extend_item(struct btrfs_trans_handle *trans,
		      struct btrfs_path *path, u32 new_size);
/* Shrinks the item, dropping bytes at its end (from_end) or start. */
int btrfs_truncate_item(struct btrfs_trans_handle *trans,
			struct btrfs_path *path, u32 new_size, bool from_end);
/*
 * Replaces an existing item's contents, resizing it if needed.  -ENOENT
 * if the key is absent.
 */
int btrfs_update_item(struct btrfs_trans_handle *trans,
		      struct btrfs_trans_root *root,
		      const struct btrfs_key *key, const void *data, u32 size);
/* Copies up to *size bytes of an item out; *size becomes its size. */
int btrfs_lookup_item_rw(struct btrfs_trans_handle *trans,
			 struct btrfs_trans_root *root,
			 const struct btrfs_key *key, void *buf, u32 *size);

/* Free bytes in a leaf. */
u32 btrfs_leaf_free_space(const struct extent_buffer *leaf);
/* The largest item data a leaf can hold. */
static inline u32 btrfs_max_item_size(u32 nodesize)
{
	return btrfs_leaf_data_size(nodesize) - sizeof(struct btrfs_item);
}

/* Leaf and node primitives on one buffer, exposed for the unit tests. */
void leaf_insert_item(struct extent_buffer *leaf, int slot,
		      const struct btrfs_key *key, u32 size);
void leaf_delete_items(struct extent_buffer *leaf, int slot, int nr);
void leaf_resize_item(struct extent_buffer *leaf, int slot, u32 new_size,
		      bool from_end);
/*
 * Where to split a leaf of n items (sizes[] with headers) when item
 * 'slot' grows by 'extra' bytes (insert: a new item of 'extra' bytes at
 * 'slot').  Returns the number of virtual items that stay left, or -1
 * when no two-way split leaves room.
 */
int leaf_split_point(const u32 *sizes, int n, int slot, u32 extra,
		     bool insert, u32 capacity);

/* ---- tree blocks and delayed refs (extent-alloc.c) ---- */

/*
 * A new, empty, dirty tree block for root at level.  Outside the commit,
 * -ENOSPC comes early enough to leave room for the commit's own updates:
 * the trees stay valid and the transaction can still be committed.
 */
int btrfs_alloc_tree_block(struct btrfs_trans_handle *trans,
			   struct btrfs_trans_root *root, int level,
			   const struct btrfs_key *first_key,
			   struct extent_buffer **ret);
/* Frees a block of root (queues a drop, or undoes a same-transaction
 * allocation). */
int btrfs_free_tree_block(struct btrfs_trans_handle *trans,
			  struct btrfs_trans_root *root,
			  const struct extent_buffer *eb);
/* The block was allocated in this transaction (and is to be written). */
bool btrfs_block_is_new(const struct btrfs_trans_handle *trans,
			const struct extent_buffer *eb);
/* ---- reference counting (extent-refs.c) ---- */

/*
 * Queues delta references of type TREE_BLOCK_REF (id: the tree) or
 * SHARED_BLOCK_REF (id: the parent block) to the tree block at bytenr.
 */
int btrfs_queue_tree_ref(struct btrfs_trans_handle *trans, u64 bytenr,
			 int level, u8 type, u64 id, s64 delta);
/*
 * Queues delta references of type EXTENT_DATA_REF (root, ino, offset) or
 * SHARED_DATA_REF (parent) to the data extent [bytenr, bytenr+num_bytes).
 */
int btrfs_queue_data_ref(struct btrfs_trans_handle *trans, u64 bytenr,
			 u64 num_bytes, const struct btrfs_ref_mod *mod);
/* Queues setting extent flags (FULL_BACKREF) of a tree block. */
int btrfs_queue_block_flags(struct btrfs_trans_handle *trans, u64 bytenr,
			    int level, u64 flags);
/*
 * The reference count and flags of a tree block's extent item, with the
 * changes queued so far.
 */
int btrfs_lookup_extent_info(struct btrfs_trans_handle *trans, u64 bytenr,
			     int level, u64 *refs, u64 *flags);
/*
 * Queues a reference of 'delta' from tree 'root' (full: from block
 * eb->start) to every child of eb: the tree blocks of a node, the data
 * extents of a leaf's file extent items (holes and inline ones have none).
 */
int btrfs_queue_children_refs(struct btrfs_trans_handle *trans,
			      const struct extent_buffer *eb, u64 root,
			      bool full, s64 delta);
/* A tree block allocated for root: its item is inserted at commit. */
int btrfs_queue_new_block(struct btrfs_trans_handle *trans, u64 bytenr,
			  u64 root, int level, const struct btrfs_key *first_key);
/* Forgets a new block's queued item if nothing else refers to it yet;
 * true if it did (the block was never visible). */
bool btrfs_unqueue_new_block(struct btrfs_trans_handle *trans, u64 bytenr,
			     u64 root);
/* Runs the queued refs until none are left. */
int btrfs_run_delayed_refs(struct btrfs_trans_handle *trans);
/* Writes changed block group items; *changed says if any was. */
int btrfs_write_dirty_bgs(struct btrfs_trans_handle *trans, bool *changed);
/* Frees everything queued, for an abort or the end of a commit. */
void btrfs_trans_release_refs(struct btrfs_trans_handle *trans);

/* ---- chunk allocation (chunk-alloc in extent-alloc.c) ---- */

/*
 * Allocates a metadata chunk of the profile the metadata has, as the
 * kernel sizes and places them (2 MiB aligned under COMPAT_DAX_LAYOUT):
 * the chunk map and an empty block group now, the items at commit.
 */
int btrfs_chunk_alloc(struct btrfs_trans_handle *trans);
/* Inserts the items of the chunks allocated so far. */
int btrfs_create_pending_chunks(struct btrfs_trans_handle *trans);
/* Forgets the chunks of an aborted transaction. */
void btrfs_chunks_abort(struct btrfs_trans_handle *trans);
/* The device extents of the committed dev tree into each device. */
int btrfs_dev_extents_load(struct btrfs_fs_rw *rw);

/* ---- the free space tree (free-space-write.c) ---- */

/* Sectors one bitmap item covers. */
#define BTRFS_FREE_SPACE_BITMAP_BITS	(256 * 8)

/* Marks [start, start+len) of the block group used / free in the tree. */
int fst_remove_range(struct btrfs_trans_handle *trans, struct btrfs_bg *bg,
		     u64 start, u64 len);
int fst_add_range(struct btrfs_trans_handle *trans, struct btrfs_bg *bg,
		  u64 start, u64 len);
/* The kernel's thresholds for converting between the two forms. */
void fst_set_thresholds(struct btrfs_bg *bg, u32 sectorsize);
/* Reads the committed free space of a block group into bg->free. */
int fst_load_committed(struct btrfs_fs_rw *rw, struct btrfs_bg *bg);

/* ---- write logging for tests (io-log.c) ---- */

enum io_log_type {
	IO_LOG_WRITE = 1,
	IO_LOG_FLUSH = 2,
};

struct io_log_entry {
	enum io_log_type type;
	u64 devid;
	u64 offset;
	u32 len;
	u8 *data;
};

struct io_log {
	struct io_log_entry *e;
	u32 nr;
	u32 alloc;
	int err;		/* a record could not be kept */
};

/* Wraps every device's I/O so that writes and flushes are recorded. */
int io_log_attach(struct btrfs_fs_info *fs_info, struct io_log *log);
int io_log_save(const struct io_log *log, const char *path);
int io_log_load(const char *path, struct io_log *log);
void io_log_free(struct io_log *log);

#endif
