// SPDX-License-Identifier: GPL-2.0-only
/*
 * The one verifier every tree block passes before anyone looks at it.
 *
 * tree_block_verify() checks the header (checksum, location, filesystem
 * identity, level, what the parent pointer promised), then the block's
 * layout (key order, item offsets and sizes), then each item's contents
 * (tree-checker-items.c).  Nothing in the block is trusted: every offset
 * and length is checked against the block before it is followed.
 *
 * The rules are the Linux kernel's read-time tree checker's, plus size
 * rules for items the kernel only checks where it uses them and a few
 * header invariants every committed block keeps (its generation against
 * the superblock's and its children's).  Nothing the kernel or stock
 * btrfs-progs write may fail them.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"
#include "kernel-shared/tree-checker-internal.h"

/* Compute the checksum of a tree block; -EIO when it cannot be computed. */
static int block_csum_compute(const struct btrfs_fs_info *fs_info,
			      const u8 *data, u32 len, u8 out[BTRFS_CSUM_SIZE])
{
	u16 size = fs_info->sb.csum_size;

	if (len <= BTRFS_CSUM_SIZE || size == 0 || size > BTRFS_CSUM_SIZE)
		return -EIO;
	if (btrfs_csum_data(fs_info->sb.csum_type, data + BTRFS_CSUM_SIZE,
			    len - BTRFS_CSUM_SIZE, out) < 0)
		return -EIO;
	return 0;
}

int tree_block_csum_verify(const struct btrfs_fs_info *fs_info,
			   const u8 *data, u32 len)
{
	u8 result[BTRFS_CSUM_SIZE];

	if (block_csum_compute(fs_info, data, len, result) < 0)
		return -EIO;
	if (memcmp(result, data, fs_info->sb.csum_size) != 0)
		return -EIO;
	return 0;
}

int tc_err(struct tc_ctx *ctx, const char *fmt, ...)
{
	const struct extent_buffer *eb = ctx->eb;
	va_list ap;
	int n;

	if (!ctx->why || ctx->why_len == 0)
		return -EUCLEAN;
	if (ctx->slot < 0)
		n = snprintf(ctx->why, ctx->why_len, "bad tree block %llu: ",
			     (unsigned long long)eb->start);
	else if (!ctx->item)
		n = snprintf(ctx->why, ctx->why_len, "bad %s %llu slot %d: ",
			     eb_level(eb) == 0 ? "leaf" : "node",
			     (unsigned long long)eb->start, ctx->slot);
	else
		n = snprintf(ctx->why, ctx->why_len,
			     "bad leaf %llu slot %d key (%llu %u %llu): ",
			     (unsigned long long)eb->start, ctx->slot,
			     (unsigned long long)ctx->key.objectid,
			     ctx->key.type,
			     (unsigned long long)ctx->key.offset);
	if (n < 0 || (size_t)n >= ctx->why_len)
		return -EUCLEAN;
	va_start(ap, fmt);
	vsnprintf(ctx->why + n, ctx->why_len - n, fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

static void csum_to_hex(char *buf, const u8 *csum, u16 size)
{
	static const char digits[] = "0123456789abcdef";
	u16 i;

	for (i = 0; i < size; i++) {
		buf[2 * i] = digits[csum[i] >> 4];
		buf[2 * i + 1] = digits[csum[i] & 0xf];
	}
	buf[2 * size] = '\0';
}

static int check_csum(struct tc_ctx *ctx)
{
	const u8 *data = ctx->eb->data;
	u8 result[BTRFS_CSUM_SIZE];
	char have[2 * BTRFS_CSUM_SIZE + 1];
	char want[2 * BTRFS_CSUM_SIZE + 1];

	if (block_csum_compute(ctx->fs_info, data, ctx->eb->len, result) < 0) {
		tc_err(ctx, "cannot compute checksum of type %u",
		       ctx->fs_info->sb.csum_type);
		return -EIO;
	}
	if (memcmp(result, data, ctx->csum_size) == 0)
		return 0;
	csum_to_hex(have, data, ctx->csum_size);
	csum_to_hex(want, result, ctx->csum_size);
	tc_err(ctx, "checksum mismatch, have 0x%s want 0x%s", have, want);
	return -EIO;
}

static bool uuid_is_zero(const u8 *uuid)
{
	static const u8 zero[BTRFS_UUID_SIZE];

	return memcmp(uuid, zero, BTRFS_UUID_SIZE) == 0;
}

/*
 * The header's fsid must be the filesystem's metadata uuid.  Blocks still
 * on a seed device of a sprouted filesystem carry the seed's fsid instead,
 * which is the fsid of one of the devices and not the sprout's own.
 */
static bool fsid_known(const struct btrfs_fs_info *fs_info, const u8 *fsid)
{
	const struct btrfs_device *dev;

	if (memcmp(fsid, fs_info->sb.metadata_uuid, BTRFS_FSID_SIZE) == 0)
		return true;
	if (uuid_is_zero(fsid) ||
	    memcmp(fsid, fs_info->sb.fsid, BTRFS_FSID_SIZE) == 0)
		return false;
	for (dev = fs_info->devices; dev; dev = dev->next)
		if (memcmp(fsid, dev->fsid, BTRFS_FSID_SIZE) == 0)
			return true;
	return false;
}

static void uuid_to_str(const u8 *uuid, char *out)
{
	static const char digits[] = "0123456789abcdef";
	int i, n = 0;

	for (i = 0; i < BTRFS_UUID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = digits[uuid[i] >> 4];
		out[n++] = digits[uuid[i] & 0xf];
	}
	out[n] = '\0';
}

static int check_identity(struct tc_ctx *ctx)
{
	const struct btrfs_header *h = eb_header(ctx->eb);
	const struct btrfs_sb_info *sb = &ctx->fs_info->sb;
	char have[BTRFS_UUID_UNPARSED_SIZE], want[BTRFS_UUID_UNPARSED_SIZE];

	if (btrfs_header_bytenr(h) != ctx->eb->start)
		return tc_err(ctx, "bytenr mismatch, have %llu want %llu",
			      (unsigned long long)btrfs_header_bytenr(h),
			      (unsigned long long)ctx->eb->start);
	if (!fsid_known(ctx->fs_info, h->fsid)) {
		uuid_to_str(h->fsid, have);
		uuid_to_str(sb->metadata_uuid, want);
		return tc_err(ctx, "fsid mismatch, have %s want %s", have,
			      want);
	}
	if (!uuid_is_zero(sb->chunk_tree_uuid) &&
	    memcmp(h->chunk_tree_uuid, sb->chunk_tree_uuid,
		   BTRFS_UUID_SIZE) != 0) {
		uuid_to_str(h->chunk_tree_uuid, have);
		uuid_to_str(sb->chunk_tree_uuid, want);
		return tc_err(ctx, "chunk tree uuid mismatch, have %s want %s",
			      have, want);
	}
	return 0;
}

/*
 * The owner a parent promised.  Log and relocation trees hold blocks owned
 * by other ids, and snapshots share blocks between subvolumes, so for those
 * only the kind of tree can be checked.
 */
static int check_owner(struct tc_ctx *ctx, u64 want)
{
	if (want == 0 || want == BTRFS_TREE_LOG_OBJECTID ||
	    want == BTRFS_TREE_RELOC_OBJECTID)
		return 0;
	if (tc_is_fstree(want)) {
		if (!tc_is_fstree(ctx->owner))
			return tc_err(ctx,
				"owner mismatch, have %llu want a subvolume tree",
				(unsigned long long)ctx->owner);
		return 0;
	}
	if (ctx->owner != want)
		return tc_err(ctx, "owner mismatch, have %llu want %llu",
			      (unsigned long long)ctx->owner,
			      (unsigned long long)want);
	return 0;
}

static int check_expect(struct tc_ctx *ctx,
			const struct tree_block_expect *expect)
{
	int level = eb_level(ctx->eb);
	u64 gen = eb_generation(ctx->eb);

	if (!expect)
		return 0;
	if (expect->level >= 0 && level != expect->level)
		return tc_err(ctx, "level mismatch, have %d want %d", level,
			      expect->level);
	if (expect->generation && gen != expect->generation)
		return tc_err(ctx, "generation mismatch, have %llu want %llu",
			      (unsigned long long)gen,
			      (unsigned long long)expect->generation);
	return check_owner(ctx, expect->owner);
}

static int check_header(struct tc_ctx *ctx,
			const struct tree_block_expect *expect)
{
	const struct btrfs_header *h = eb_header(ctx->eb);
	int level = eb_level(ctx->eb);
	u64 gen = eb_generation(ctx->eb);
	int ret;

	ret = check_identity(ctx);
	if (ret < 0)
		return ret;
	if (level >= BTRFS_MAX_LEVEL)
		return tc_err(ctx, "level %d too high, max %d", level,
			      BTRFS_MAX_LEVEL - 1);
	ret = check_expect(ctx, expect);
	if (ret < 0)
		return ret;
	/* A log tree is written one transaction ahead of the superblock. */
	if (gen > ctx->super_gen + 1)
		return tc_err(ctx,
			"generation %llu newer than superblock generation %llu",
			(unsigned long long)gen,
			(unsigned long long)ctx->super_gen);
	if (!(btrfs_header_flags(h) & BTRFS_HEADER_FLAG_WRITTEN))
		return tc_err(ctx, "header flag WRITTEN not set");
	return 0;
}

static void first_key(const struct extent_buffer *eb, struct btrfs_key *key)
{
	if (eb_level(eb) == 0)
		eb_item_key(eb, key, 0);
	else
		eb_node_key(eb, key, 0);
}

static int check_first_key(struct tc_ctx *ctx,
			   const struct tree_block_expect *expect)
{
	const struct btrfs_key *want;
	struct btrfs_key have;

	if (!expect || !expect->first_key)
		return 0;
	want = expect->first_key;
	if (eb_nritems(ctx->eb) == 0)
		return tc_err(ctx, "block is empty, want first key (%llu %u %llu)",
			      (unsigned long long)want->objectid, want->type,
			      (unsigned long long)want->offset);
	first_key(ctx->eb, &have);
	if (btrfs_comp_keys(&have, want) != 0)
		return tc_err(ctx,
			"first key mismatch, have (%llu %u %llu) want (%llu %u %llu)",
			(unsigned long long)have.objectid, have.type,
			(unsigned long long)have.offset,
			(unsigned long long)want->objectid, want->type,
			(unsigned long long)want->offset);
	return 0;
}

static int check_node_slot(struct tc_ctx *ctx, int slot)
{
	const struct extent_buffer *eb = ctx->eb;
	u64 ptr = eb_node_blockptr(eb, slot);
	u64 ptr_gen = eb_node_ptr_generation(eb, slot);
	u64 gen = eb_generation(eb);

	ctx->slot = slot;
	eb_node_key(eb, &ctx->key, slot);
	if (slot > 0 && btrfs_comp_keys(&ctx->prev_key, &ctx->key) >= 0)
		return tc_err(ctx,
			"key out of order, (%llu %u %llu) after (%llu %u %llu)",
			(unsigned long long)ctx->key.objectid, ctx->key.type,
			(unsigned long long)ctx->key.offset,
			(unsigned long long)ctx->prev_key.objectid,
			ctx->prev_key.type,
			(unsigned long long)ctx->prev_key.offset);
	if (ptr == 0)
		return tc_err(ctx, "null block pointer");
	if (!tc_aligned(ptr, ctx->sectorsize))
		return tc_err(ctx,
			"block pointer %llu not aligned to sectorsize %u",
			(unsigned long long)ptr, ctx->sectorsize);
	/* A child is written no later than the parent that points to it. */
	if (ptr_gen > gen)
		return tc_err(ctx,
			"pointer generation %llu newer than block generation %llu",
			(unsigned long long)ptr_gen, (unsigned long long)gen);
	ctx->prev_key = ctx->key;
	return 0;
}

static int check_node(struct tc_ctx *ctx)
{
	u32 nritems = eb_nritems(ctx->eb);
	u32 max = btrfs_node_ptrs_max(ctx->nodesize);
	u32 slot;
	int ret;

	if (nritems == 0 || nritems > max)
		return tc_err(ctx, "invalid nritems %u for a node, want 1..%u",
			      nritems, max);
	for (slot = 0; slot < nritems; slot++) {
		ret = check_node_slot(ctx, slot);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/*
 * An empty leaf can only be the root of a tree that may be empty.  Leaves
 * of a relocation tree carry the owner of the subvolume they were copied
 * from, so their owner says nothing about the tree they are in.
 */
static int check_empty_leaf(struct tc_ctx *ctx)
{
	const struct btrfs_header *h = eb_header(ctx->eb);
	u64 owner = ctx->owner;

	if (btrfs_header_flags(h) & BTRFS_HEADER_FLAG_RELOC)
		return 0;
	if (owner == 0)
		return tc_err(ctx, "empty leaf with owner 0");
	if (owner == BTRFS_ROOT_TREE_OBJECTID ||
	    owner == BTRFS_CHUNK_TREE_OBJECTID ||
	    owner == BTRFS_DEV_TREE_OBJECTID ||
	    owner == BTRFS_FS_TREE_OBJECTID ||
	    owner == BTRFS_DATA_RELOC_TREE_OBJECTID)
		return tc_err(ctx, "tree %llu must never be empty",
			      (unsigned long long)owner);
	if (owner == BTRFS_EXTENT_TREE_OBJECTID &&
	    !(ctx->fs_info->sb.incompat_flags &
	      BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2))
		return tc_err(ctx, "tree %llu must never be empty",
			      (unsigned long long)owner);
	return 0;
}

/*
 * Item data is packed from the end of the leaf downwards: item 0 ends at
 * the end of the leaf and every later item ends where the one before it
 * begins, so no item can reach past the leaf.  The last item's data must
 * also stay clear of the item array growing from the front.
 */
static int check_item_layout(struct tc_ctx *ctx, int slot, u32 nritems)
{
	const struct extent_buffer *eb = ctx->eb;
	u32 data_size = btrfs_leaf_data_size(ctx->nodesize);
	u32 offset = eb_item_offset(eb, slot);
	u64 end = (u64)offset + eb_item_size(eb, slot);
	u64 want_end = slot == 0 ? data_size : eb_item_offset(eb, slot - 1);
	u64 array_end = (u64)nritems * sizeof(struct btrfs_item);

	if (end > data_size)
		return tc_err(ctx, "item data [%u, %llu) past the leaf end %u",
			      offset, (unsigned long long)end, data_size);
	if (end > want_end)
		return tc_err(ctx,
			"item data [%u, %llu) overlaps the previous item at %llu",
			offset, (unsigned long long)end,
			(unsigned long long)want_end);
	if (end < want_end)
		return tc_err(ctx, "item data [%u, %llu) leaves a gap before %llu",
			      offset, (unsigned long long)end,
			      (unsigned long long)want_end);
	if (offset < array_end)
		return tc_err(ctx,
			"item data at %u overlaps the item array ending at %llu",
			offset, (unsigned long long)array_end);
	return 0;
}

static int check_leaf_slot(struct tc_ctx *ctx, int slot, u32 nritems)
{
	const struct extent_buffer *eb = ctx->eb;
	int ret;

	ctx->slot = slot;
	ctx->item = NULL;
	eb_item_key(eb, &ctx->key, slot);
	/* No item has type 0 at objectid 0, so slot 0 compares with zero. */
	if (btrfs_comp_keys(&ctx->prev_key, &ctx->key) >= 0)
		return tc_err(ctx,
			"key out of order, (%llu %u %llu) after (%llu %u %llu)",
			(unsigned long long)ctx->key.objectid, ctx->key.type,
			(unsigned long long)ctx->key.offset,
			(unsigned long long)ctx->prev_key.objectid,
			ctx->prev_key.type,
			(unsigned long long)ctx->prev_key.offset);
	ret = check_item_layout(ctx, slot, nritems);
	if (ret < 0)
		return ret;
	ctx->item = eb_item_ptr(eb, slot);
	ctx->item_size = eb_item_size(eb, slot);
	if (!(ctx->flags & TREE_BLOCK_SKIP_ITEMS)) {
		ret = tc_check_item(ctx);
		if (ret < 0)
			return ret;
	}
	ctx->prev_key = ctx->key;
	ctx->prev_item = ctx->item;
	ctx->prev_item_size = ctx->item_size;
	return 0;
}

static int check_leaf(struct tc_ctx *ctx)
{
	u32 nritems = eb_nritems(ctx->eb);
	u32 max = btrfs_leaf_data_size(ctx->nodesize) /
		  sizeof(struct btrfs_item);
	u32 slot;
	int ret;

	if (nritems > max)
		return tc_err(ctx, "nritems %u too large for a leaf, max %u",
			      nritems, max);
	if (nritems == 0)
		return check_empty_leaf(ctx);
	memset(&ctx->prev_key, 0, sizeof(ctx->prev_key));
	for (slot = 0; slot < nritems; slot++) {
		ret = check_leaf_slot(ctx, slot, nritems);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The filesystem geometry the rules depend on; bad values are our bug. */
static int check_geometry(struct tc_ctx *ctx)
{
	const struct btrfs_sb_info *sb = &ctx->fs_info->sb;

	if (ctx->eb->len != sb->nodesize ||
	    sb->nodesize < sizeof(struct btrfs_header) +
			   sizeof(struct btrfs_key_ptr) ||
	    sb->nodesize > BTRFS_MAX_METADATA_BLOCKSIZE ||
	    sb->sectorsize == 0 ||
	    (sb->sectorsize & (sb->sectorsize - 1)) != 0 ||
	    sb->csum_size == 0 || sb->csum_size > BTRFS_CSUM_SIZE) {
		if (ctx->why && ctx->why_len)
			snprintf(ctx->why, ctx->why_len,
				 "cannot verify tree block %llu: block length %u, nodesize %u, sectorsize %u, csum size %u",
				 (unsigned long long)ctx->eb->start,
				 ctx->eb->len, sb->nodesize, sb->sectorsize,
				 sb->csum_size);
		return -EINVAL;
	}
	return 0;
}

int tree_block_verify(const struct btrfs_fs_info *fs_info,
		      const struct extent_buffer *eb,
		      const struct tree_block_expect *expect,
		      char *why, size_t why_len)
{
	struct tc_ctx ctx = {
		.fs_info = fs_info,
		.eb = eb,
		.why = why,
		.why_len = why_len,
		.sectorsize = fs_info->sb.sectorsize,
		.nodesize = fs_info->sb.nodesize,
		.csum_size = fs_info->sb.csum_size,
		.super_gen = fs_info->sb.generation,
		.flags = expect ? expect->flags : 0,
		.slot = -1,
	};
	int ret;

	if (why && why_len)
		why[0] = '\0';
	ret = check_geometry(&ctx);
	if (ret < 0)
		return ret;
	ret = check_csum(&ctx);
	if (ret < 0)
		return ret;
	ctx.owner = eb_owner(eb);
	ret = check_header(&ctx, expect);
	if (ret < 0)
		return ret;
	if (eb_level(eb) == 0)
		ret = check_leaf(&ctx);
	else
		ret = check_node(&ctx);
	if (ret < 0)
		return ret;
	ctx.slot = -1;
	ctx.item = NULL;
	return check_first_key(&ctx, expect);
}
