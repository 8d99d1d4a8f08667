// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tree block cache: a hash table for lookup and an LRU list for eviction.
 * The cache holds one reference on each buffer it lists; a buffer evicted
 * while a path still uses it lives on until that reference is dropped.
 */
#include <errno.h>
#include <stdlib.h>
#include "kernel-shared/block-cache.h"

#define CACHE_BUCKETS 65536

int block_cache_init(struct block_cache *cache, u64 limit)
{
	cache->hash = calloc(CACHE_BUCKETS, sizeof(*cache->hash));
	if (!cache->hash)
		return -ENOMEM;
	cache->nbuckets = CACHE_BUCKETS;
	cache->lru_head = cache->lru_tail = NULL;
	cache->bytes = 0;
	cache->limit = limit;
	return 0;
}

static u32 bucket_of(const struct block_cache *cache, u64 bytenr)
{
	u64 h = (bytenr >> 12) * 0x9E3779B97F4A7C15ULL;

	return (u32)(h >> 40) & (cache->nbuckets - 1);
}

static void lru_unlink(struct block_cache *cache, struct extent_buffer *eb)
{
	if (eb->lru_prev)
		eb->lru_prev->lru_next = eb->lru_next;
	else
		cache->lru_head = eb->lru_next;
	if (eb->lru_next)
		eb->lru_next->lru_prev = eb->lru_prev;
	else
		cache->lru_tail = eb->lru_prev;
	eb->lru_prev = eb->lru_next = NULL;
}

static void lru_push_front(struct block_cache *cache, struct extent_buffer *eb)
{
	eb->lru_prev = NULL;
	eb->lru_next = cache->lru_head;
	if (cache->lru_head)
		cache->lru_head->lru_prev = eb;
	cache->lru_head = eb;
	if (!cache->lru_tail)
		cache->lru_tail = eb;
}

static void hash_unlink(struct block_cache *cache, struct extent_buffer *eb)
{
	struct extent_buffer **pp = &cache->hash[bucket_of(cache, eb->start)];

	while (*pp && *pp != eb)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = eb->hash_next;
	eb->hash_next = NULL;
}

static void cache_evict(struct block_cache *cache, struct extent_buffer *eb)
{
	hash_unlink(cache, eb);
	lru_unlink(cache, eb);
	cache->bytes -= eb->len;
	extent_buffer_put(eb);
}

struct extent_buffer *block_cache_lookup(struct block_cache *cache, u64 bytenr)
{
	struct extent_buffer *eb;

	if (!cache->hash)
		return NULL;
	for (eb = cache->hash[bucket_of(cache, bytenr)]; eb; eb = eb->hash_next) {
		if (eb->start == bytenr) {
			lru_unlink(cache, eb);
			lru_push_front(cache, eb);
			return extent_buffer_get(eb);
		}
	}
	return NULL;
}

void block_cache_forget(struct block_cache *cache, u64 bytenr)
{
	struct extent_buffer *eb;

	if (!cache->hash)
		return;
	for (eb = cache->hash[bucket_of(cache, bytenr)]; eb; eb = eb->hash_next) {
		if (eb->start == bytenr) {
			cache_evict(cache, eb);
			return;
		}
	}
}

void block_cache_insert(struct block_cache *cache, struct extent_buffer *eb)
{
	u32 b = bucket_of(cache, eb->start);

	if (!cache->hash)
		return;
	/* An address reused after a commit: the old block is gone. */
	block_cache_forget(cache, eb->start);
	eb->hash_next = cache->hash[b];
	cache->hash[b] = extent_buffer_get(eb);
	lru_push_front(cache, eb);
	cache->bytes += eb->len;
	while (cache->bytes > cache->limit && cache->lru_tail &&
	       cache->lru_tail != eb)
		cache_evict(cache, cache->lru_tail);
}

void block_cache_destroy(struct block_cache *cache)
{
	while (cache->lru_head)
		cache_evict(cache, cache->lru_head);
	free(cache->hash);
	cache->hash = NULL;
}

struct extent_buffer *extent_buffer_get(struct extent_buffer *eb)
{
	if (eb)
		eb->refs++;
	return eb;
}

void extent_buffer_put(struct extent_buffer *eb)
{
	if (eb && --eb->refs == 0)
		free(eb);
}
