// SPDX-License-Identifier: GPL-2.0-only
/*
 * The walker's read-ahead pool.
 *
 * The walker tells the pool each node it puts on its path (prefetch_node())
 * and asks for each child as it steps to it (prefetch_read()).  For every
 * level the pool knows the node there and the slot the walker reads next;
 * workers take the slots after it, deepest level first (the walker's own
 * depth-first order) and at most a window ahead, read and verify them with
 * tree_block_read_ahead() and leave them in a small table.  The walker
 * takes its block from the table, waits when a worker is still reading it,
 * or reads it itself when no worker has started on it.
 *
 * Workers touch no block cache, no reference count but of buffers they
 * made, no check record and no fs_info->err: all of that stays with the
 * walker's thread.  A block a worker could not read or verify is simply
 * read again by the walker through tree_block_read(), which tries the other
 * copies and explains the failure, so the output does not depend on the
 * number of threads.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include "check/prefetch.h"

/* Table slots: the windows below, plus blocks read but no longer wanted. */
#define PF_ENTRIES 64
/* Leaves read ahead of the walker, and nodes at each level above. */
#define PF_LEAF_WINDOW 32
#define PF_NODE_WINDOW 2

enum pf_state { PF_FREE, PF_BUSY, PF_DONE, PF_FAILED };

/* The walker's node at one level, and how far it and the workers are. */
struct pf_level {
	struct extent_buffer *node;	/* a reference of the walker's thread */
	u32 gen;			/* changes with the node */
	int next;			/* the next slot a worker may take */
	int want;			/* the slot the walker reads next */
	int end;
};

struct pf_entry {
	enum pf_state state;
	int level;			/* of the parent node */
	int slot;
	u32 gen;			/* pf_level.gen when it was taken */
	u64 bytenr;
	struct tree_block_expect expect;
	struct btrfs_key first_key;
	/* Its buffer (made and freed by the walker's thread), or NULL. */
	struct extent_buffer *eb;
};

struct prefetch {
	struct btrfs_fs_info *fs_info;
	pthread_mutex_t lock;
	pthread_cond_t work;		/* there may be a slot to read */
	pthread_cond_t ready;		/* a block the walker waits for is read */
	bool stop;
	bool walker_waiting;
	int idle;			/* workers waiting on 'work' */
	int nr_threads;
	pthread_t threads[PREFETCH_MAX_THREADS];
	struct pf_level levels[BTRFS_MAX_LEVEL];
	struct pf_entry entries[PF_ENTRIES];
	/* The walker's: the buffer the next entry it empties gets. */
	struct extent_buffer *spare;
	struct prefetch_stats stats;
};

int prefetch_threads(void)
{
	const char *env = getenv("BTRFS_CHECK_THREADS");
	cpu_set_t set;
	long n;

	if (env && *env) {
		char *end;

		errno = 0;
		n = strtol(env, &end, 10);
		if (errno || *end || n < 1)
			return -EINVAL;
	} else if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		/*
		 * One worker even on one CPU: it waits for the disk while
		 * the walker checks, which a cold cache gains from, and
		 * costs nothing measurable when the blocks are cached.
		 */
		n = CPU_COUNT(&set) < 2 ? 2 : CPU_COUNT(&set);
	} else {
		n = 2;
	}
	return n > PREFETCH_MAX_THREADS ? PREFETCH_MAX_THREADS : (int)n;
}

static int pf_window(int level)
{
	return level == 1 ? PF_LEAF_WINDOW : PF_NODE_WINDOW;
}

/* Nobody will ask for it: its node was replaced or the walker is past it. */
static bool pf_entry_stale(const struct prefetch *pf, const struct pf_entry *e)
{
	const struct pf_level *l = &pf->levels[e->level];

	return e->gen != l->gen || e->slot < l->want;
}

static struct pf_entry *pf_entry_free(struct prefetch *pf)
{
	int i;

	for (i = 0; i < PF_ENTRIES; i++) {
		struct pf_entry *e = &pf->entries[i];

		if (!e->eb)
			continue;
		if (e->state == PF_FREE)
			return e;
		if ((e->state == PF_DONE || e->state == PF_FAILED) &&
		    pf_entry_stale(pf, e)) {
			e->state = PF_FREE;
			return e;
		}
	}
	return NULL;
}

/* The next level with a slot within 'window / div' of the walker. */
static struct pf_level *pf_level_behind(struct prefetch *pf, int div)
{
	int level;

	for (level = 1; level < BTRFS_MAX_LEVEL; level++) {
		struct pf_level *l = &pf->levels[level];
		int window = pf_window(level) / div;

		if (l->node && l->next < l->end &&
		    l->next < l->want + (window ? window : 1))
			return l;
	}
	return NULL;
}

/* Takes the next slot to read into a table entry, deepest level first. */
static struct pf_entry *pf_pick(struct prefetch *pf)
{
	struct pf_level *l = pf_level_behind(pf, 1);
	struct pf_entry *e;

	if (!l)
		return NULL;
	e = pf_entry_free(pf);
	if (!e)
		return NULL;
	e->level = (int)(l - pf->levels);
	e->slot = l->next++;
	e->gen = l->gen;
	e->bytenr = eb_node_blockptr(l->node, e->slot);
	eb_node_key(l->node, &e->first_key, e->slot);
	e->expect = (struct tree_block_expect){
		.generation = eb_node_ptr_generation(l->node, e->slot),
		.level = e->level - 1,
		.first_key = &e->first_key,
	};
	e->state = PF_BUSY;
	return e;
}

static void *pf_worker(void *arg)
{
	struct prefetch *pf = arg;
	struct pf_entry *e;
	int ret;

	pthread_mutex_lock(&pf->lock);
	while (!pf->stop) {
		e = pf_pick(pf);
		if (!e) {
			pf->idle++;
			pthread_cond_wait(&pf->work, &pf->lock);
			pf->idle--;
			continue;
		}
		/* More than one worker's share: wake another. */
		if (pf->idle && pf_level_behind(pf, 1))
			pthread_cond_signal(&pf->work);
		pthread_mutex_unlock(&pf->lock);
		/* e is BUSY: only this thread uses it until it is not. */
		ret = tree_block_read_ahead(pf->fs_info, e->bytenr, &e->expect,
					    e->eb);
		pthread_mutex_lock(&pf->lock);
		if (!ret)
			pf->stats.read++;
		e->state = ret ? PF_FAILED : PF_DONE;
		if (pf->walker_waiting)
			pthread_cond_broadcast(&pf->ready);
	}
	pthread_mutex_unlock(&pf->lock);
	return NULL;
}

struct prefetch *prefetch_start(struct btrfs_fs_info *fs_info, int threads)
{
	struct prefetch *pf;
	int i;

	if (threads <= 1)
		return NULL;
	pf = calloc(1, sizeof(*pf));
	if (!pf)
		return NULL;
	pf->fs_info = fs_info;
	for (i = 0; i < PF_ENTRIES; i++) {
		pf->entries[i].eb = extent_buffer_new(0, fs_info->sb.nodesize);
		if (!pf->entries[i].eb)
			goto out_free;
	}
	if (pthread_mutex_init(&pf->lock, NULL))
		goto out_free;
	if (pthread_cond_init(&pf->work, NULL))
		goto out_lock;
	if (pthread_cond_init(&pf->ready, NULL))
		goto out_work;
	for (i = 0; i < threads - 1 && i < PREFETCH_MAX_THREADS; i++) {
		if (pthread_create(&pf->threads[i], NULL, pf_worker, pf))
			break;
		pthread_setname_np(pf->threads[i], "check-readahead");
		pf->nr_threads++;
	}
	if (pf->nr_threads)
		return pf;
	pthread_cond_destroy(&pf->ready);
out_work:
	pthread_cond_destroy(&pf->work);
out_lock:
	pthread_mutex_destroy(&pf->lock);
out_free:
	for (i = 0; i < PF_ENTRIES; i++)
		free(pf->entries[i].eb);
	free(pf);
	return NULL;
}

void prefetch_stop(struct prefetch *pf, struct prefetch_stats *stats)
{
	int i;

	if (!pf)
		return;
	pthread_mutex_lock(&pf->lock);
	pf->stop = true;
	pthread_cond_broadcast(&pf->work);
	pthread_mutex_unlock(&pf->lock);
	for (i = 0; i < pf->nr_threads; i++)
		pthread_join(pf->threads[i], NULL);
	for (i = 0; i < PF_ENTRIES; i++)
		free(pf->entries[i].eb);
	free(pf->spare);
	for (i = 0; i < BTRFS_MAX_LEVEL; i++)
		extent_buffer_put(pf->levels[i].node);
	if (stats) {
		stats->read += pf->stats.read;
		stats->used += pf->stats.used;
	}
	pthread_cond_destroy(&pf->ready);
	pthread_cond_destroy(&pf->work);
	pthread_mutex_destroy(&pf->lock);
	free(pf);
}

/* Wakes a worker when a window has room for a good batch of reads. */
static void pf_kick(struct prefetch *pf)
{
	if (pf->idle && pf_level_behind(pf, 2))
		pthread_cond_signal(&pf->work);
}

/* Level 'level' reads ahead the children of eb from 'start' on (none: NULL). */
static void pf_level_set(struct prefetch *pf, int level,
			 struct extent_buffer *eb, int start)
{
	struct extent_buffer *old;
	struct pf_level *l;

	if (!pf || level <= 0 || level >= BTRFS_MAX_LEVEL)
		return;
	l = &pf->levels[level];
	pthread_mutex_lock(&pf->lock);
	old = l->node;
	l->node = eb ? extent_buffer_get(eb) : NULL;
	l->gen++;
	l->next = l->want = eb ? start : 0;
	l->end = eb ? (int)eb_nritems(eb) : 0;
	pf_kick(pf);
	pthread_mutex_unlock(&pf->lock);
	extent_buffer_put(old);
}

void prefetch_node(struct prefetch *pf, struct extent_buffer *eb, int start)
{
	pf_level_set(pf, eb_level(eb), eb, start);
}

void prefetch_node_none(struct prefetch *pf, int level)
{
	pf_level_set(pf, level, NULL, 0);
}

static bool pf_entry_matches(const struct pf_entry *e, u64 bytenr,
			     const struct tree_block_expect *expect)
{
	const struct tree_block_expect *x = &e->expect;

	return e->bytenr == bytenr && x->generation == expect->generation &&
	       x->level == expect->level && x->owner == expect->owner &&
	       x->flags == expect->flags &&
	       (expect->first_key ?
		!btrfs_comp_keys(x->first_key, expect->first_key) :
		!x->first_key);
}

/* Takes the block of child 'slot' at 'level' if a worker read it. */
static struct extent_buffer *pf_take(struct prefetch *pf, int level, int slot,
				     u64 bytenr,
				     const struct tree_block_expect *expect)
{
	struct pf_level *l = &pf->levels[level];
	struct extent_buffer *eb = NULL;
	struct pf_entry *e = NULL;
	int i;

	for (i = 0; i < PF_ENTRIES; i++) {
		struct pf_entry *c = &pf->entries[i];

		if (c->state != PF_FREE && c->level == level &&
		    c->gen == l->gen && c->slot == slot) {
			e = c;
			break;
		}
	}
	if (e) {
		while (e->state == PF_BUSY) {
			pf->walker_waiting = true;
			pthread_cond_wait(&pf->ready, &pf->lock);
		}
		pf->walker_waiting = false;
		/* Else the walker reads it itself, and explains a failure. */
		if (e->state == PF_DONE && pf->spare &&
		    pf_entry_matches(e, bytenr, expect)) {
			eb = e->eb;
			e->eb = pf->spare;
			pf->spare = NULL;
			pf->stats.used++;
		}
		e->state = PF_FREE;
	} else if (l->next <= slot) {
		/* The walker reads it now: workers go on after it. */
		l->next = slot + 1;
	}
	l->want = slot + 1;
	pf_kick(pf);
	return eb;
}

int prefetch_read(struct prefetch *pf, struct btrfs_fs_info *fs_info,
		  int level, int slot, u64 bytenr,
		  const struct tree_block_expect *expect,
		  struct extent_buffer **ret)
{
	struct extent_buffer *eb;

	if (!pf || level <= 0 || level >= BTRFS_MAX_LEVEL || !expect)
		return tree_block_read(fs_info, bytenr, expect, ret);
	if (!pf->spare)
		pf->spare = extent_buffer_new(0, fs_info->sb.nodesize);
	pthread_mutex_lock(&pf->lock);
	eb = pf_take(pf, level, slot, bytenr, expect);
	pthread_mutex_unlock(&pf->lock);
	if (!eb)
		return tree_block_read(fs_info, bytenr, expect, ret);
	return tree_block_read_ready(fs_info, bytenr, expect, eb, ret);
}
