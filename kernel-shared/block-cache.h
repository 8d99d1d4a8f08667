/* SPDX-License-Identifier: GPL-2.0-only */
/* A bounded cache of verified tree blocks, keyed by logical address. */
#ifndef BTRFS_DAX_BLOCK_CACHE_H
#define BTRFS_DAX_BLOCK_CACHE_H

#include "kernel-shared/ctree.h"

int block_cache_init(struct block_cache *cache, u64 limit);
void block_cache_destroy(struct block_cache *cache);
/* Returns a new reference, or NULL. */
struct extent_buffer *block_cache_lookup(struct block_cache *cache, u64 bytenr);
/*
 * The cache takes its own reference; the caller keeps theirs.  A buffer
 * cached before at the same address is dropped.
 */
void block_cache_insert(struct block_cache *cache, struct extent_buffer *eb);

/* Drops the buffer cached at bytenr, if any. */
void block_cache_forget(struct block_cache *cache, u64 bytenr);

#endif
