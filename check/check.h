/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * State of one `btrfs check` run, shared by the walker and the verifiers.
 *
 * The walker (walk.c) reads every tree once per tree, from the root items
 * loaded in phase 1, and hands each item to the per-item verifiers
 * (items.c, fs-items.c).  They check what one item can tell and append
 * compact records to arrays; the cross-checks (chunks.c, extents.c,
 * free-space.c, csums.c, roots.c) sort those arrays and merge them.  All of
 * it goes through one struct check_ctx passed explicitly.
 */
#ifndef BTRFS_DAX_CHECK_H
#define BTRFS_DAX_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "kernel-shared/ctree.h"
#include "check/problems.h"
#include "check/prefetch.h"

/* A sorted run of records written to the spill file. */
struct spill_run {
	u64 off;
	size_t nr;
};

/*
 * A growable array of fixed-size records.  A spillable one (vec_spillable())
 * keeps at most 'limit' records in memory: check_push() writes the full
 * array to the spill file as a sorted run and starts again, and vec_iter
 * merges the runs back in order.
 */
struct rec_vec {
	void *data;
	size_t nr;
	size_t alloc;
	size_t elem;
	size_t limit;			/* 0: never spills */
	int (*cmp)(const void *, const void *);
	struct spill_run *runs;
	size_t nr_runs;
};

/* The temporary file sorted runs go to; opened (unlinked) on first use. */
struct spill_file {
	int fd;
	u64 size;
	u64 runs;			/* runs written, for tests */
};

#define VEC_INIT(type) { .elem = sizeof(type) }
#define VEC_AT(vec, type, i) (&((type *)(vec)->data)[i])

void *vec_push(struct rec_vec *v);
void vec_free(struct rec_vec *v);
void vec_sort(struct rec_vec *v, int (*cmp)(const void *, const void *));

struct check_ctx;
/* Lets v spill past 'bytes' of records; runs are sorted by cmp. */
void vec_spillable(struct rec_vec *v, size_t bytes,
		   int (*cmp)(const void *, const void *));

/* Reads a vec's records in cmp order, from memory or merged from runs. */
struct rec_iter {
	struct check_ctx *ctx;
	struct rec_vec *v;
	size_t pos;			/* in memory: the next index */
	struct iter_run *runs;		/* merging: one cursor per run */
	size_t *heap;			/* run indexes, smallest head first */
	size_t nr_heap;
	size_t buf_recs;		/* records read from a run at once */
	void *cur;			/* the record handed out last */
};

/* Sorts (or merges) v for reading; false when the check must stop. */
bool vec_iter_start(struct check_ctx *ctx, struct rec_vec *v,
		    struct rec_iter *it);
/* The next record, NULL at the end; valid until the next call. */
const void *vec_iter_next(struct rec_iter *it);
void vec_iter_end(struct rec_iter *it);

/* Tree blocks seen so far: bytenr -> the walk (tree) that saw it last. */
struct block_set {
	struct block_slot *slots;
	size_t mask;
	size_t nr;
};

struct block_slot {
	u64 key;	/* bytenr | 1; 0 marks an empty slot */
	u32 seq;
};

int block_set_init(struct block_set *set);
void block_set_free(struct block_set *set);
/* The slot of bytenr, inserted with seq 0 when new (*is_new set); NULL on ENOMEM. */
struct block_slot *block_set_get(struct block_set *set, u64 bytenr,
				 bool *is_new);

/* One tree to walk: a root item, or the root and chunk trees. */
struct root_rec {
	u64 id;			/* root item objectid */
	u64 offset;		/* root item key offset */
	u64 bytenr;
	u64 generation;
	u64 flags;
	u64 last_snapshot;
	u32 refs;
	u8 level;
	u8 drop_level;
	bool bad;		/* its root block cannot be used */
	bool verify_only;	/* a log tree: blocks verified, nothing recorded */
	struct btrfs_key drop_key;
};

/* One EXTENT_ITEM or METADATA_ITEM. */
struct extent_rec {
	u64 bytenr;
	u64 len;
	u64 refs;
	u64 flags;
	u8 level;		/* tree blocks */
	u8 has_level;
};

enum ref_kind {
	REF_TREE = 1,		/* TREE_BLOCK_REF: root */
	REF_TREE_SHARED,	/* SHARED_BLOCK_REF: parent */
	REF_DATA,		/* EXTENT_DATA_REF: root, ino, offset */
	REF_DATA_SHARED,	/* SHARED_DATA_REF: parent */
};

/*
 * One reference to an extent, as the extent tree declares it or as the
 * walker finds it in the trees.  Shared kinds keep the parent in 'root'.
 */
struct ref_rec {
	u64 bytenr;
	u64 root;
	u64 ino;
	u64 offset;
	u32 count;
	u8 kind;
};

struct chunk_rec {
	u64 logical;
	u64 length;
	u64 type;
	u32 num_stripes;
	u32 sub_stripes;
};

struct stripe_rec {
	u64 devid;
	u64 physical;
	u64 logical;		/* its chunk */
	u64 length;		/* bytes of the chunk on this stripe */
	u32 index;
};

struct dev_rec {
	u64 devid;
	u64 total_bytes;
	u64 bytes_used;
	u8 uuid[BTRFS_UUID_SIZE];
};

struct dev_extent_rec {
	u64 devid;
	u64 physical;
	u64 length;
	u64 chunk_offset;
};

struct bg_rec {
	u64 start;
	u64 len;
	u64 used;
	u64 flags;
};

struct fst_info_rec {
	u64 start;
	u64 len;
	u32 extent_count;
	u32 flags;
};

/* A free range from the free space tree, or any [start, start+len). */
struct range_rec {
	u64 start;
	u64 len;
	u8 bitmap;		/* from a FREE_SPACE_BITMAP item */
};

struct root_ref_rec {
	u64 parent;
	u64 child;
	u64 dirid;
	u64 sequence;
	u32 name_crc;
	u16 name_len;
	u8 backref;		/* ROOT_BACKREF rather than ROOT_REF */
};

struct dax_extent_rec {
	u64 bytenr;
	u64 len;
	u64 root;
	u64 ino;
	u64 offset;
};

/* The summary figures stock btrfs check prints. */
struct check_totals {
	u64 bytes_used;
	u64 csum_bytes;
	u64 tree_bytes;
	u64 fs_tree_bytes;
	u64 extent_tree_bytes;
	u64 btree_waste;
	u64 data_allocated;
	u64 data_referenced;
	u64 items;
};

struct check_opts {
	bool json;
	bool progress;
	bool check_data_csum;
	bool force;
	int super_mirror;	/* -1: newest */
	bool backup;
	int backup_root;	/* the backup root used, -1: none */
	u64 mem_budget;		/* bytes of reference records kept in memory */
	u64 subvol_extents;	/* -E: print this subvolume's extents, no check */
	bool qgroup_report;	/* -Q: the qgroup counts only, no problems */
	int threads;		/* the walker and its read-ahead workers; 0: 1 */
};

#define CHECK_MEM_BUDGET_DEFAULT (256ULL << 20)

struct check_ctx {
	struct btrfs_fs_info *fs_info;
	const struct check_opts *opts;
	struct problem_log log;
	int fatal;		/* negative errno that stopped the check */

	struct block_set seen;
	u32 walk_seq;
	struct rec_vec walk_trees;	/* u64: the tree id of each walk seq */

	struct rec_vec roots;		/* struct root_rec, by key */
	struct rec_vec extents;		/* struct extent_rec, by bytenr */
	bool extents_ready;		/* sorted, usable for lookups */
	struct rec_vec declared;	/* struct ref_rec from the extent tree */
	struct rec_vec found;		/* struct ref_rec from the trees */
	struct rec_vec early_blocks;	/* struct ref_rec: blocks seen before extents_ready */
	struct rec_vec chunks;		/* struct chunk_rec */
	struct rec_vec stripes;		/* struct stripe_rec */
	struct rec_vec devs;		/* struct dev_rec */
	struct rec_vec dev_extents;	/* struct dev_extent_rec */
	struct rec_vec bgs;		/* struct bg_rec */
	struct rec_vec fst_infos;	/* struct fst_info_rec */
	struct rec_vec fst_ranges;	/* struct range_rec */
	struct rec_vec csums;		/* struct range_rec */
	struct rec_vec root_refs;	/* struct root_ref_rec */
	struct rec_vec orphans;		/* u64: root ids with an orphan item */
	struct rec_vec dax_extents;	/* struct dax_extent_rec */

	struct fs_check *fs;		/* inodes.c, quota.c: NULL until used */
	struct space_cache *space_cache; /* space-cache.c: NULL until used */
	struct prefetch *prefetch;	/* prefetch.c: while walking, or NULL */
	struct prefetch_stats prefetch_stats;
	struct spill_file spill;

	/* inodes.c, for tests: shared subtrees summed up, kept, taken again */
	u64 subtrees_summed, subtrees_kept, subtrees_taken;

	bool any_dax_inode;
	u64 first_dax_root, first_dax_ino;
	struct check_totals totals;
};

static inline void check_report(struct check_ctx *ctx, enum problem_id id,
				const struct problem_ctx *pctx)
{
	problem_report(&ctx->log, id, pctx);
}

/* main.c: the defaults of the command's options. */
void check_opts_init(struct check_opts *opts, struct btrfs_open_opts *open);
/*
 * main.c: opens the filesystem and checks it as the command does, printing
 * on stdout and stderr (but without the mount test); the exit status.
 */
int check_devices(const char *const *paths, int n,
		  const struct check_opts *opts,
		  const struct btrfs_open_opts *open);

/* subvol-extents.c: -E, the extents subvol uses and who shares them. */
int subvol_extents_print(struct btrfs_fs_info *fs_info, u64 subvol, FILE *out);

/* Records that memory ran out; the check stops at the next opportunity. */
void check_oom(struct check_ctx *ctx);
/* vec_push() that stops the check on ENOMEM. */
void *check_push(struct check_ctx *ctx, struct rec_vec *v);

int check_ctx_init(struct check_ctx *ctx, struct btrfs_fs_info *fs_info,
		   const struct check_opts *opts);
void check_ctx_free(struct check_ctx *ctx);

static inline bool check_has_compat_ro(const struct check_ctx *ctx, u64 bit)
{
	return (ctx->fs_info->sb.compat_ro_flags & bit) != 0;
}

/* Trees that hold files (and whose blocks snapshots share). */
bool check_is_fs_tree(u64 id);

/* walk.c */
int walk_tree(struct check_ctx *ctx, const struct root_rec *root);

/* items.c: verifiers of single items and of block headers */
struct walk_state;
void items_leaf(struct walk_state *ws, const struct extent_buffer *eb,
		bool first);
u64 extent_flags_of(struct check_ctx *ctx, u64 bytenr);
const struct extent_rec *extent_lookup(const struct check_ctx *ctx,
				       u64 bytenr);
void block_check_extent(struct check_ctx *ctx, u64 bytenr, u64 tree,
			int level);

/* roots.c */
int roots_load(struct check_ctx *ctx);
void roots_walk_log(struct check_ctx *ctx);
void roots_check_refs(struct check_ctx *ctx);

/* super.c */
void super_check(struct check_ctx *ctx);

/* chunks.c */
void chunks_check(struct check_ctx *ctx);
u64 chunk_stripe_length(u64 length, u64 type, u32 num_stripes,
			u32 sub_stripes);

/* extents.c */
int ref_rec_cmp(const void *a, const void *b);
void extents_prepare(struct check_ctx *ctx);
void extents_check(struct check_ctx *ctx);

/* free-space.c */
void free_space_check(struct check_ctx *ctx);
/* Appends [start, start+len) to a sorted list of ranges, merging. */
void range_append(struct check_ctx *ctx, struct rec_vec *v, u64 start,
		  u64 len);
/* Appends the ranges the kernel keeps out of bg's free space, sorted. */
void super_ranges(struct check_ctx *ctx, const struct bg_rec *bg,
		  struct rec_vec *out);
void bg_free_compare(struct check_ctx *ctx, const struct bg_rec *bg,
		     const struct range_rec *r, size_t n,
		     enum problem_id free_used, enum problem_id leaked);

/* space-cache.c: the v1 free space cache (phase 3) */
struct space_cache;
void space_cache_item(struct check_ctx *ctx, const struct extent_buffer *eb,
		      int slot, const struct btrfs_key *key);
void space_cache_check(struct check_ctx *ctx);
void space_cache_free(struct check_ctx *ctx);

/* fs-items.c */
void dax_check(struct check_ctx *ctx);

/* inodes.c: phase 4 and the file extents without checksums (phase 5) */
void fs_roots_check(struct check_ctx *ctx);
void fs_csums_check(struct check_ctx *ctx);
void fs_check_free(struct check_ctx *ctx);

/* quota.c: phase 7; false when quotas are not enabled */
bool quota_enabled(const struct check_ctx *ctx);
void quota_check(struct check_ctx *ctx);
/* quota.c, -Q: every qgroup's counts, ours and the disk's; 1 if they differ. */
int quota_report(struct check_ctx *ctx, FILE *out);

/* csums.c: csums_prepare() merges the ranges dax_check() uses */
void csums_prepare(struct check_ctx *ctx);
void csums_check(struct check_ctx *ctx);

#endif
