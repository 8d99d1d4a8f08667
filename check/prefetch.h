/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Read-ahead for the walker: worker threads read and verify the children
 * of the nodes on the walker's path just ahead of it, so that on a second
 * core the walker mostly finds its next block ready.  Private to check/.
 *
 * Every function takes a NULL pool (one thread: no read-ahead) and then
 * does what the walker would do without it.
 */
#ifndef BTRFS_DAX_CHECK_PREFETCH_H
#define BTRFS_DAX_CHECK_PREFETCH_H

#include "kernel-shared/ctree.h"

struct prefetch;

struct prefetch_stats {
	u64 read;		/* blocks workers read and verified */
	u64 used;		/* of those, the walker's */
};

/* Most threads (the walker included) a check uses. */
#define PREFETCH_MAX_THREADS 8

/*
 * Threads to use, the walker included: BTRFS_CHECK_THREADS from the
 * environment when set, else the CPUs this process may run on, at least 2
 * (a worker overlaps the disk reads with the walker's work); at most
 * PREFETCH_MAX_THREADS.  -EINVAL when the variable is not a positive number.
 */
int prefetch_threads(void);

/*
 * Starts threads - 1 workers reading blocks of fs_info; NULL for one
 * thread or when they cannot be started (the walk then reads everything
 * itself).  Nothing may change the fs_info's chunk map or devices until
 * prefetch_stop().
 */
struct prefetch *prefetch_start(struct btrfs_fs_info *fs_info, int threads);
/* Stops the workers and frees the pool; adds its counts to *stats. */
void prefetch_stop(struct prefetch *pf, struct prefetch_stats *stats);

/*
 * The walker put node eb on its path: its children from slot 'start' on
 * will be read in order.  This replaces the node it had at eb's level.
 */
void prefetch_node(struct prefetch *pf, struct extent_buffer *eb, int start);

/*
 * The walker put a node at 'level' whose children it reads only here and
 * there (a shared subtree it skips): nothing is read ahead at that level.
 */
void prefetch_node_none(struct prefetch *pf, int level);

/*
 * tree_block_read() of child 'slot' of the node at 'level' (the one last
 * given to prefetch_node() at that level), with the same result: the block
 * read ahead when there is one, else read now.  Later slots of that node
 * are read ahead; earlier ones will not be wanted.
 */
int prefetch_read(struct prefetch *pf, struct btrfs_fs_info *fs_info,
		  int level, int slot, u64 bytenr,
		  const struct tree_block_expect *expect,
		  struct extent_buffer **ret);

#endif
