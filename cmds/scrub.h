/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The offline scrub shared by cmds/scrub*.c: counters in stock's names, the
 * errors found, and the engine that finds (and repairs) them.
 */
#ifndef BTRFS_DAX_CMDS_SCRUB_H
#define BTRFS_DAX_CMDS_SCRUB_H

#include <stdbool.h>
#include <stdio.h>
#include "kernel-shared/ctree.h"
#include "common/owners.h"

/* The counters, in the order stock prints them, then ours. */
#define SCRUB_COUNTERS(X)						\
	X(DATA_EXTENTS, "data_extents_scrubbed")			\
	X(TREE_EXTENTS, "tree_extents_scrubbed")			\
	X(DATA_BYTES, "data_bytes_scrubbed")				\
	X(TREE_BYTES, "tree_bytes_scrubbed")				\
	X(READ_ERRORS, "read_errors")					\
	X(CSUM_ERRORS, "csum_errors")					\
	X(VERIFY_ERRORS, "verify_errors")				\
	X(NO_CSUM, "no_csum")						\
	X(CSUM_DISCARDS, "csum_discards")				\
	X(SUPER_ERRORS, "super_errors")					\
	X(MALLOC_ERRORS, "malloc_errors")				\
	X(UNCORRECTABLE, "uncorrectable_errors")			\
	X(UNVERIFIED, "unverified_errors")				\
	X(CORRECTED, "corrected_errors")				\
	X(LAST_PHYSICAL, "last_physical")				\
	X(NODATASUM_BYTES, "nodatasum_bytes_read")			\
	X(DAX_BYTES, "dax_bytes_read")

#define SCRUB_ENUM(id, name) SC_##id,
enum scrub_counter { SCRUB_COUNTERS(SCRUB_ENUM) SC_NR };
#undef SCRUB_ENUM

extern const char *const scrub_counter_names[SC_NR];

struct scrub_dev {
	u64 devid;
	char *path;
	struct btrfs_device *dev;	/* NULL in a loaded status */
	int wfd;			/* for repairs, -1 when read-only */
	u64 c[SC_NR];
};

enum scrub_err_kind { SE_TREE, SE_DATA, SE_SUPER, SE_PARITY };
enum scrub_err_type { SE_READ, SE_CSUM, SE_VERIFY };
enum scrub_fix {
	SF_NONE,		/* no good copy: uncorrectable */
	SF_FIXED,		/* rewritten from a good copy */
	SF_READONLY,		/* a good copy exists, not written (-r) */
	SF_FAILED,		/* the rewrite failed */
	SF_UNVERIFIED,		/* no checksum: nothing to repair from */
};

/* One damaged copy of a range. */
struct scrub_err {
	enum scrub_err_kind kind;
	enum scrub_err_type type;
	u64 logical, len;	/* SE_SUPER: the copy's offset and size;
				 * SE_PARITY: the full stripe's logical
				 * start and the bad parity's length */
	int copy;		/* 1-based copy number, as users count;
				 * SE_PARITY: 1 for P, 2 for Q */
	u64 devid, physical;
	int level;		/* SE_TREE */
	u64 tree;		/* SE_TREE: from the extent item, or 0 */
	char why[512];
	enum scrub_fix fix;
	struct owner_list owners;
	int owners_ret;		/* owners_resolve_*() result */
};

/* One bad block range and who owns it. */
struct scrub_bad {
	u64 devid;
	const char *source;	/* "file" or "sysfs" */
	u64 start, len;
	struct owner_list owners;
	int owners_ret;
};

struct scrub_ctx {
	struct btrfs_fs_info *fs_info;
	bool readonly;
	bool progress;		/* a line on stderr */
	/* Events are printed as they are found, unless json. */
	FILE *report;		/* NULL: do not print events */
	struct scrub_dev *devs;
	u32 nr_devs;
	struct scrub_err *errs;
	u32 nr_errs, alloc_errs;
	struct scrub_bad *bads;
	u32 nr_bads, alloc_bads;
	u64 total_bytes;	/* what will be read, for the progress line */
	u64 done_bytes;
	double last_progress;
	int fatal;		/* -errno: could not run (partly) */
	char fatal_msg[1024];
};

/* scrub-engine.c */
int scrub_run(struct scrub_ctx *sc);
struct scrub_dev *scrub_dev_find(struct scrub_ctx *sc, u64 devid);
void scrub_err_print(FILE *f, const struct scrub_err *e);

/* scrub-failread.c: the test hook BTRFS_DAX_FAIL_READ. */
int scrub_failread_install(struct btrfs_fs_info *fs_info, const char *spec,
			   char *err, size_t errlen);

#endif
