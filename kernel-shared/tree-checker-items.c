// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-item rules of the tree block verifier.
 *
 * Each check gets an item whose offset and size are already known to lie
 * inside the leaf (tree-checker.c), and must read nothing beyond
 * ctx->item[0..ctx->item_size).  Item types without rules are accepted, so
 * newer filesystems stay readable.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"
#include "kernel-shared/tree-checker-internal.h"

#define XATTR_NAME_MAX_LEN	255
#define NR_FILE_EXTENT_TYPES	3
#define NR_COMPRESS_TYPES	4
#define ROOT_ITEM_FLAGS		(BTRFS_ROOT_SUBVOL_RDONLY | BTRFS_ROOT_SUBVOL_DEAD)
#define INODE_FLAGS_KNOWN	(BTRFS_INODE_NODATASUM | BTRFS_INODE_NODATACOW | \
				 BTRFS_INODE_READONLY | BTRFS_INODE_NOCOMPRESS | \
				 BTRFS_INODE_PREALLOC | BTRFS_INODE_SYNC | \
				 BTRFS_INODE_IMMUTABLE | BTRFS_INODE_APPEND | \
				 BTRFS_INODE_NODUMP | BTRFS_INODE_NOATIME | \
				 BTRFS_INODE_DIRSYNC | BTRFS_INODE_COMPRESS | \
				 BTRFS_INODE_ROOT_ITEM_INIT)
/* Chunks are capped so that a stripe number fits in 32 bits. */
#define CHUNK_LENGTH_LIMIT	((u64)UINT32_MAX * BTRFS_STRIPE_LEN)

#define ull(x) ((unsigned long long)(x))

static bool feature_incompat(const struct tc_ctx *ctx, u64 bit)
{
	return (ctx->fs_info->sb.incompat_flags & bit) != 0;
}

static int check_size_exact(struct tc_ctx *ctx, u32 want)
{
	if (ctx->item_size != want)
		return tc_err(ctx, "invalid item size %u, want %u",
			      ctx->item_size, want);
	return 0;
}

static int check_size_min(struct tc_ctx *ctx, u32 min)
{
	if (ctx->item_size < min)
		return tc_err(ctx, "item size %u too small, want at least %u",
			      ctx->item_size, min);
	return 0;
}

/*
 * In subvolume trees every item of an inode follows its inode item, so an
 * item whose predecessor belongs to another inode means a lost inode item.
 */
static int check_prev_ino(struct tc_ctx *ctx)
{
	if (ctx->slot == 0 || !tc_is_fstree(ctx->owner))
		return 0;
	if (ctx->prev_key.objectid != ctx->key.objectid)
		return tc_err(ctx,
			"previous item belongs to inode %llu, missing inode item",
			ull(ctx->prev_key.objectid));
	return 0;
}

/* Keys of inode items and dir entries' locations that point at an inode. */
static int check_inode_location(struct tc_ctx *ctx,
				const struct btrfs_key *loc, const char *what)
{
	u64 id = loc->objectid;

	if ((id < BTRFS_FIRST_FREE_OBJECTID || id > BTRFS_LAST_FREE_OBJECTID) &&
	    id != BTRFS_ROOT_TREE_DIR_OBJECTID && id != BTRFS_FREE_INO_OBJECTID)
		return tc_err(ctx, "invalid %s objectid %llu", what, ull(id));
	if (loc->offset != 0)
		return tc_err(ctx, "invalid %s offset %llu, want 0", what,
			      ull(loc->offset));
	return 0;
}

static int check_dir_location(struct tc_ctx *ctx, const struct btrfs_dir_item *di)
{
	struct btrfs_key loc;

	btrfs_disk_key_to_cpu(&loc, &di->location);
	if (ctx->key.type == BTRFS_XATTR_ITEM_KEY) {
		if (loc.objectid || loc.type || loc.offset)
			return tc_err(ctx, "xattr with non-zero location key");
		return 0;
	}
	if (loc.type == BTRFS_INODE_ITEM_KEY || loc.type == 0)
		return check_inode_location(ctx, &loc, "location key");
	if (loc.type != BTRFS_ROOT_ITEM_KEY)
		return tc_err(ctx, "invalid location key type %u", loc.type);
	/* A subvolume entry must point at a subvolume tree. */
	if (!tc_is_fstree(loc.objectid))
		return tc_err(ctx, "location key points at root %llu, not a subvolume",
			      ull(loc.objectid));
	return 0;
}

static int check_dir_type(struct tc_ctx *ctx, const struct btrfs_dir_item *di)
{
	u8 ftype = btrfs_dir_ftype(di);
	bool xattr_key = ctx->key.type == BTRFS_XATTR_ITEM_KEY;

	if (ftype == BTRFS_FT_UNKNOWN || ftype >= BTRFS_FT_MAX)
		return tc_err(ctx, "invalid dir item type %u", ftype);
	if (xattr_key != (ftype == BTRFS_FT_XATTR))
		return tc_err(ctx, "dir item type %u does not match key type %u",
			      ftype, ctx->key.type);
	return 0;
}

/* Check one entry at offset cur; *len returns its length. */
static int check_dir_entry(struct tc_ctx *ctx, u32 cur, u32 *len)
{
	const struct btrfs_dir_item *di = (const void *)(ctx->item + cur);
	u32 max_data = btrfs_leaf_data_size(ctx->nodesize) -
		       sizeof(struct btrfs_item) - sizeof(*di);
	u32 name_len, data_len;
	int ret;

	if (cur + sizeof(*di) > ctx->item_size)
		return tc_err(ctx, "dir item header at %u crosses item end %u",
			      cur, ctx->item_size);
	ret = check_dir_location(ctx, di);
	if (!ret)
		ret = check_dir_type(ctx, di);
	if (ret)
		return ret;
	name_len = btrfs_dir_name_len(di);
	data_len = btrfs_dir_data_len(di);
	if (name_len > BTRFS_NAME_LEN)
		return tc_err(ctx, "dir item name_len %u too long, max %u",
			      name_len, BTRFS_NAME_LEN);
	if (name_len + data_len > max_data)
		return tc_err(ctx, "dir item name and data length %u too long, max %u",
			      name_len + data_len, max_data);
	if (data_len && btrfs_dir_ftype(di) != BTRFS_FT_XATTR)
		return tc_err(ctx, "dir item data_len %u, want 0", data_len);
	*len = sizeof(*di) + name_len + data_len;
	if (cur + *len > ctx->item_size)
		return tc_err(ctx,
			"dir item name_len %u data_len %u beyond item end %u",
			name_len, data_len, ctx->item_size);
	/* Name-hashed keys must carry the hash of every name in the item. */
	if (ctx->key.type != BTRFS_DIR_INDEX_KEY &&
	    btrfs_name_hash(di + 1, name_len) != ctx->key.offset)
		return tc_err(ctx, "name hash 0x%llx does not match key offset",
			      ull(btrfs_name_hash(di + 1, name_len)));
	return 0;
}

static int check_dir_item(struct tc_ctx *ctx)
{
	u32 cur = 0, len = 0;
	int ret;

	ret = check_prev_ino(ctx);
	if (ret)
		return ret;
	while (cur < ctx->item_size) {
		ret = check_dir_entry(ctx, cur, &len);
		if (ret)
			return ret;
		cur += len;
	}
	return 0;
}

static int check_inode_mode(struct tc_ctx *ctx, u32 mode, u32 nlink)
{
	const u32 valid = S_IFMT | S_ISUID | S_ISGID | S_ISVTX | 0777;
	u32 fmt = mode & S_IFMT;

	if (mode & ~valid)
		return tc_err(ctx, "unknown inode mode bits %#o", mode & ~valid);
	/* Most file types are one bit of S_IFMT; these three are two bits. */
	if ((fmt == 0 || (fmt & (fmt - 1))) &&
	    !S_ISLNK(mode) && !S_ISBLK(mode) && !S_ISSOCK(mode))
		return tc_err(ctx, "invalid inode file type %#o", fmt);
	if (S_ISDIR(mode) && nlink > 1)
		return tc_err(ctx, "directory with nlink %u, max 1", nlink);
	return 0;
}

static int check_inode_item(struct tc_ctx *ctx)
{
	const struct btrfs_inode_item *ii = (const void *)ctx->item;
	u64 max_gen = ctx->super_gen + 1;
	u32 flags;
	int ret;

	ret = check_inode_location(ctx, &ctx->key, "inode item key");
	if (!ret)
		ret = check_size_exact(ctx, sizeof(*ii));
	if (ret)
		return ret;
	if (btrfs_inode_generation(ii) > max_gen)
		return tc_err(ctx, "inode generation %llu newer than %llu",
			      ull(btrfs_inode_generation(ii)), ull(max_gen));
	if (btrfs_inode_transid(ii) > max_gen)
		return tc_err(ctx, "inode transid %llu newer than %llu",
			      ull(btrfs_inode_transid(ii)), ull(max_gen));
	ret = check_inode_mode(ctx, btrfs_inode_mode(ii), btrfs_inode_nlink(ii));
	if (ret)
		return ret;
	/* Read-only-compat flags (verity, DAX) are not our business here. */
	flags = btrfs_inode_flags_low(btrfs_inode_flags(ii));
	if (flags & ~INODE_FLAGS_KNOWN)
		return tc_err(ctx, "unknown inode flags 0x%x",
			      flags & ~INODE_FLAGS_KNOWN);
	return 0;
}

static int check_inode_ref(struct tc_ctx *ctx)
{
	const u32 hdr = sizeof(struct btrfs_inode_ref);
	u32 cur = 0, name_len;
	int ret;

	ret = check_prev_ino(ctx);
	if (ret)
		return ret;
	if (ctx->item_size <= hdr)
		return tc_err(ctx, "inode ref item size %u too small, want more than %u",
			      ctx->item_size, hdr);
	while (cur < ctx->item_size) {
		const struct btrfs_inode_ref *ref = (const void *)(ctx->item + cur);

		if (cur + hdr > ctx->item_size)
			return tc_err(ctx, "inode ref at %u crosses item end %u",
				      cur, ctx->item_size);
		name_len = btrfs_inode_ref_name_len(ref);
		if (name_len == 0 || name_len > BTRFS_NAME_LEN)
			return tc_err(ctx, "invalid inode ref name_len %u",
				      name_len);
		if (cur + hdr + name_len > ctx->item_size)
			return tc_err(ctx, "inode ref name_len %u beyond item end %u",
				      name_len, ctx->item_size);
		cur += hdr + name_len;
	}
	return 0;
}

static int check_inode_extref(struct tc_ctx *ctx)
{
	const u32 hdr = sizeof(struct btrfs_inode_extref);
	u32 cur = 0, name_len;
	int ret;

	ret = check_prev_ino(ctx);
	if (ret)
		return ret;
	while (cur < ctx->item_size) {
		const struct btrfs_inode_extref *ref =
			(const void *)(ctx->item + cur);

		if (cur + hdr > ctx->item_size)
			return tc_err(ctx, "inode extref at %u crosses item end %u",
				      cur, ctx->item_size);
		name_len = btrfs_inode_extref_name_len(ref);
		if (cur + hdr + name_len > ctx->item_size)
			return tc_err(ctx,
				"inode extref name_len %u beyond item end %u",
				name_len, ctx->item_size);
		cur += hdr + name_len;
	}
	return 0;
}

static u64 file_extent_end(const struct tc_ctx *ctx, const struct btrfs_key *key,
			   const struct btrfs_file_extent_item *fi)
{
	u64 end;

	if (btrfs_file_extent_type(fi) != BTRFS_FILE_EXTENT_INLINE)
		return key->offset + btrfs_file_extent_num_bytes(fi);
	end = key->offset + btrfs_file_extent_ram_bytes(fi);
	return (end + ctx->sectorsize - 1) & ~((u64)ctx->sectorsize - 1);
}

static int check_file_extent_inline(struct tc_ctx *ctx,
				    const struct btrfs_file_extent_item *fi)
{
	u64 want;

	if (ctx->key.offset != 0)
		return tc_err(ctx, "inline file extent at file offset %llu, want 0",
			      ull(ctx->key.offset));
	/* Compressed inline data has no size to compare with. */
	if (btrfs_file_extent_compression(fi) != BTRFS_COMPRESS_NONE)
		return 0;
	want = BTRFS_FILE_EXTENT_INLINE_DATA_START +
	       btrfs_file_extent_ram_bytes(fi);
	if (ctx->item_size != want)
		return tc_err(ctx, "inline file extent item size %u, want %llu",
			      ctx->item_size, ull(want));
	return 0;
}

static int check_fe_aligned(struct tc_ctx *ctx, u64 value, const char *name)
{
	if (!tc_aligned(value, ctx->sectorsize))
		return tc_err(ctx, "file extent %s %llu not aligned to %u",
			      name, ull(value), ctx->sectorsize);
	return 0;
}

static int check_file_extent_reg(struct tc_ctx *ctx,
				 const struct btrfs_file_extent_item *fi)
{
	const struct btrfs_file_extent_item *prev;
	u64 end;
	int ret;

	ret = check_size_exact(ctx, sizeof(*fi));
	if (!ret)
		ret = check_fe_aligned(ctx, btrfs_file_extent_ram_bytes(fi), "ram_bytes");
	if (!ret)
		ret = check_fe_aligned(ctx, btrfs_file_extent_disk_bytenr(fi), "disk_bytenr");
	if (!ret)
		ret = check_fe_aligned(ctx, btrfs_file_extent_disk_num_bytes(fi), "disk_num_bytes");
	if (!ret)
		ret = check_fe_aligned(ctx, btrfs_file_extent_offset(fi), "offset");
	if (!ret)
		ret = check_fe_aligned(ctx, btrfs_file_extent_num_bytes(fi), "num_bytes");
	if (ret)
		return ret;
	end = ctx->key.offset + btrfs_file_extent_num_bytes(fi);
	if (end < ctx->key.offset)
		return tc_err(ctx, "file extent end overflows, num_bytes %llu",
			      ull(btrfs_file_extent_num_bytes(fi)));
	if (ctx->slot == 0 || ctx->prev_key.objectid != ctx->key.objectid ||
	    ctx->prev_key.type != BTRFS_EXTENT_DATA_KEY)
		return 0;
	/* The previous item passed these same checks, so it is complete. */
	prev = (const void *)ctx->prev_item;
	end = file_extent_end(ctx, &ctx->prev_key, prev);
	if (end > ctx->key.offset)
		return tc_err(ctx, "previous file extent ends at %llu past %llu",
			      ull(end), ull(ctx->key.offset));
	return 0;
}

static int check_file_extent(struct tc_ctx *ctx)
{
	const struct btrfs_file_extent_item *fi = (const void *)ctx->item;
	int ret;

	if (!tc_aligned(ctx->key.offset, ctx->sectorsize))
		return tc_err(ctx, "file offset %llu not aligned to %u",
			      ull(ctx->key.offset), ctx->sectorsize);
	ret = check_prev_ino(ctx);
	if (!ret)
		ret = check_size_min(ctx, BTRFS_FILE_EXTENT_INLINE_DATA_START);
	if (ret)
		return ret;
	if (btrfs_file_extent_type(fi) >= NR_FILE_EXTENT_TYPES)
		return tc_err(ctx, "invalid file extent type %u",
			      btrfs_file_extent_type(fi));
	if (btrfs_file_extent_compression(fi) >= NR_COMPRESS_TYPES)
		return tc_err(ctx, "invalid file extent compression %u",
			      btrfs_file_extent_compression(fi));
	if (btrfs_file_extent_encryption(fi))
		return tc_err(ctx, "invalid file extent encryption %u",
			      btrfs_file_extent_encryption(fi));
	if (btrfs_file_extent_type(fi) == BTRFS_FILE_EXTENT_INLINE)
		return check_file_extent_inline(ctx, fi);
	return check_file_extent_reg(ctx, fi);
}

static int check_csum_item(struct tc_ctx *ctx)
{
	u64 prev_end;

	if (ctx->key.objectid != BTRFS_EXTENT_CSUM_OBJECTID)
		return tc_err(ctx, "csum item objectid %llu, want %llu",
			      ull(ctx->key.objectid),
			      ull(BTRFS_EXTENT_CSUM_OBJECTID));
	if (!tc_aligned(ctx->key.offset, ctx->sectorsize))
		return tc_err(ctx, "csum item offset %llu not aligned to %u",
			      ull(ctx->key.offset), ctx->sectorsize);
	if (ctx->item_size % ctx->csum_size)
		return tc_err(ctx, "csum item size %u not a multiple of %u",
			      ctx->item_size, ctx->csum_size);
	if (ctx->slot == 0 || ctx->prev_key.type != BTRFS_EXTENT_CSUM_KEY)
		return 0;
	prev_end = ctx->prev_key.offset +
		   (u64)(ctx->prev_item_size / ctx->csum_size) * ctx->sectorsize;
	if (prev_end > ctx->key.offset)
		return tc_err(ctx, "previous csum item ends at %llu past %llu",
			      ull(prev_end), ull(ctx->key.offset));
	return 0;
}

static int check_root_key(struct tc_ctx *ctx)
{
	const struct btrfs_key *key = &ctx->key;

	if (key->objectid == 0)
		return tc_err(ctx, "invalid root id 0");
	/* Relocation trees exist only for subvolumes, named by key offset. */
	if (key->objectid == BTRFS_TREE_RELOC_OBJECTID &&
	    !tc_is_fstree(key->offset))
		return tc_err(ctx, "relocation tree for root %llu, not a subvolume",
			      ull(key->offset));
	return 0;
}

static int check_root_gen(struct tc_ctx *ctx, u64 gen, const char *what)
{
	if (gen > ctx->super_gen + 1)
		return tc_err(ctx, "root %s %llu newer than %llu", what,
			      ull(gen), ull(ctx->super_gen + 1));
	return 0;
}

static int check_root_item(struct tc_ctx *ctx)
{
	struct btrfs_root_item ri;
	int ret;

	ret = check_root_key(ctx);
	if (ret)
		return ret;
	if (ctx->item_size != sizeof(ri) &&
	    ctx->item_size != BTRFS_LEGACY_ROOT_ITEM_SIZE)
		return tc_err(ctx, "invalid root item size %u, want %zu or %zu",
			      ctx->item_size, sizeof(ri),
			      (size_t)BTRFS_LEGACY_ROOT_ITEM_SIZE);
	/* A legacy item reads as a full one whose newer fields are zero. */
	memset(&ri, 0, sizeof(ri));
	memcpy(&ri, ctx->item, ctx->item_size);
	ret = check_root_gen(ctx, btrfs_root_generation(&ri), "generation");
	if (!ret)
		ret = check_root_gen(ctx, btrfs_root_generation_v2(&ri), "generation_v2");
	if (!ret)
		ret = check_root_gen(ctx, btrfs_root_last_snapshot(&ri), "last_snapshot");
	if (ret)
		return ret;
	if (!tc_aligned(btrfs_root_bytenr(&ri), ctx->sectorsize))
		return tc_err(ctx, "root bytenr %llu not aligned to %u",
			      ull(btrfs_root_bytenr(&ri)), ctx->sectorsize);
	if (btrfs_root_level(&ri) >= BTRFS_MAX_LEVEL ||
	    btrfs_root_drop_level(&ri) >= BTRFS_MAX_LEVEL)
		return tc_err(ctx, "invalid root level %u drop_level %u, max %u",
			      btrfs_root_level(&ri), btrfs_root_drop_level(&ri),
			      BTRFS_MAX_LEVEL - 1);
	/* An interrupted snapshot deletion never stops at the leaf level. */
	if (btrfs_disk_key_objectid(&ri.drop_progress) &&
	    btrfs_root_drop_level(&ri) == 0)
		return tc_err(ctx, "root drop_level 0 with drop progress set");
	if (btrfs_root_flags(&ri) & ~ROOT_ITEM_FLAGS)
		return tc_err(ctx, "unknown root flags 0x%llx",
			      ull(btrfs_root_flags(&ri) & ~ROOT_ITEM_FLAGS));
	return 0;
}

static int check_root_ref(struct tc_ctx *ctx)
{
	const struct btrfs_root_ref *ref = (const void *)ctx->item;
	u32 name_len;

	if (ctx->item_size <= sizeof(*ref))
		return tc_err(ctx, "root ref item size %u too small, want more than %zu",
			      ctx->item_size, sizeof(*ref));
	name_len = btrfs_root_ref_name_len(ref);
	if (name_len > BTRFS_NAME_LEN)
		return tc_err(ctx, "root ref name_len %u too long, max %u",
			      name_len, BTRFS_NAME_LEN);
	return check_size_exact(ctx, sizeof(*ref) + name_len);
}

/* Roots that may own data extents: subvolumes, data relocation, v1 cache. */
static bool data_ref_root_valid(u64 root)
{
	return tc_is_fstree(root) || root == BTRFS_DATA_RELOC_TREE_OBJECTID ||
	       root == BTRFS_ROOT_TREE_OBJECTID;
}

static int check_data_ref(struct tc_ctx *ctx,
			  const struct btrfs_extent_data_ref *dref)
{
	u64 root = btrfs_extent_data_ref_root(dref);
	u64 objectid = btrfs_extent_data_ref_objectid(dref);
	u64 offset = btrfs_extent_data_ref_offset(dref);

	if (!data_ref_root_valid(root))
		return tc_err(ctx, "invalid data ref root %llu", ull(root));
	if (objectid < BTRFS_FIRST_FREE_OBJECTID ||
	    objectid > BTRFS_LAST_FREE_OBJECTID)
		return tc_err(ctx, "invalid data ref objectid %llu", ull(objectid));
	if (!tc_aligned(offset, ctx->sectorsize))
		return tc_err(ctx, "data ref offset %llu not aligned to %u",
			      ull(offset), ctx->sectorsize);
	if (btrfs_extent_data_ref_count(dref) == 0)
		return tc_err(ctx, "data ref with count 0");
	return 0;
}

/* Where inline refs are ordered by: type, then descending sequence. */
struct inline_ref_order {
	u8 type;
	u64 seq;
	u64 refs;
};

/* Check one inline ref of known type and size; add its refs to order. */
static int check_inline_ref(struct tc_ctx *ctx,
			    const struct btrfs_extent_inline_ref *iref,
			    struct inline_ref_order *order)
{
	u8 type = btrfs_extent_inline_ref_type(iref);
	u64 offset = btrfs_extent_inline_ref_offset(iref);
	const struct btrfs_extent_data_ref *dref = (const void *)&iref->offset;
	const struct btrfs_shared_data_ref *sref = (const void *)(iref + 1);
	u64 seq = offset;
	int ret;

	switch (type) {
	case BTRFS_EXTENT_OWNER_REF_KEY:
		/* Simple quota owner; not a reference. */
		break;
	case BTRFS_TREE_BLOCK_REF_KEY:
		order->refs++;
		break;
	case BTRFS_SHARED_BLOCK_REF_KEY:
	case BTRFS_SHARED_DATA_REF_KEY:
		if (!tc_aligned(offset, ctx->sectorsize))
			return tc_err(ctx, "inline ref parent %llu not aligned to %u",
				      ull(offset), ctx->sectorsize);
		if (type == BTRFS_SHARED_BLOCK_REF_KEY) {
			order->refs++;
			break;
		}
		if (btrfs_shared_data_ref_count(sref) == 0)
			return tc_err(ctx, "shared data ref with count 0");
		order->refs += btrfs_shared_data_ref_count(sref);
		break;
	case BTRFS_EXTENT_DATA_REF_KEY:
		ret = check_data_ref(ctx, dref);
		if (ret)
			return ret;
		seq = btrfs_extent_data_ref_hash(btrfs_extent_data_ref_root(dref),
					   btrfs_extent_data_ref_objectid(dref),
					   btrfs_extent_data_ref_offset(dref));
		order->refs += btrfs_extent_data_ref_count(dref);
		break;
	}
	if (type < order->type || (type == order->type && seq > order->seq))
		return tc_err(ctx, "inline ref type %u seq 0x%llx out of order after type %u seq 0x%llx",
			      type, ull(seq), order->type, ull(order->seq));
	order->type = type;
	order->seq = seq;
	return 0;
}

static int check_inline_refs(struct tc_ctx *ctx, u32 cur, u64 total_refs)
{
	struct inline_ref_order order = { .type = 0, .seq = UINT64_MAX };
	const struct btrfs_extent_inline_ref *iref;
	u32 size;
	int ret;

	while (cur < ctx->item_size) {
		iref = (const void *)(ctx->item + cur);
		if (cur + sizeof(*iref) > ctx->item_size)
			return tc_err(ctx, "inline ref at %u crosses item end %u",
				      cur, ctx->item_size);
		size = extent_inline_ref_size(btrfs_extent_inline_ref_type(iref));
		if (size == 0)
			return tc_err(ctx, "unknown inline ref type %u",
				      btrfs_extent_inline_ref_type(iref));
		if (cur + size > ctx->item_size)
			return tc_err(ctx, "inline ref of %u bytes at %u crosses item end %u",
				      size, cur, ctx->item_size);
		ret = check_inline_ref(ctx, iref, &order);
		if (ret)
			return ret;
		cur += size;
	}
	if (order.refs > total_refs)
		return tc_err(ctx, "extent refs %llu less than inline refs %llu",
			      ull(total_refs), ull(order.refs));
	return 0;
}

/* The key of an extent or metadata item, checked against its flags. */
static int check_extent_key(struct tc_ctx *ctx, u64 flags)
{
	const struct btrfs_key *key = &ctx->key;

	if (flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) {
		if (key->type == BTRFS_EXTENT_ITEM_KEY &&
		    key->offset != ctx->nodesize)
			return tc_err(ctx, "tree block extent length %llu, want %u",
				      ull(key->offset), ctx->nodesize);
		return 0;
	}
	if (key->type != BTRFS_EXTENT_ITEM_KEY)
		return tc_err(ctx, "data extent with key type %u", key->type);
	if (!tc_aligned(key->offset, ctx->sectorsize))
		return tc_err(ctx, "data extent length %llu not aligned to %u",
			      ull(key->offset), ctx->sectorsize);
	if (flags & BTRFS_BLOCK_FLAG_FULL_BACKREF)
		return tc_err(ctx, "data extent with FULL_BACKREF flag");
	return 0;
}

static int check_extent_prev(struct tc_ctx *ctx)
{
	const struct btrfs_key *prev = &ctx->prev_key;
	u64 prev_end;

	if (prev->type != BTRFS_EXTENT_ITEM_KEY &&
	    prev->type != BTRFS_METADATA_ITEM_KEY)
		return 0;
	prev_end = prev->objectid + (prev->type == BTRFS_METADATA_ITEM_KEY ?
				     ctx->nodesize : prev->offset);
	if (prev_end > ctx->key.objectid)
		return tc_err(ctx, "previous extent (%llu %u %llu) overlaps this one",
			      ull(prev->objectid), prev->type, ull(prev->offset));
	return 0;
}

static int check_extent_item(struct tc_ctx *ctx)
{
	const struct btrfs_extent_item *ei = (const void *)ctx->item;
	const struct btrfs_tree_block_info *info = (const void *)(ei + 1);
	bool metadata = ctx->key.type == BTRFS_METADATA_ITEM_KEY;
	u32 cur = sizeof(*ei);
	u64 flags, kinds;
	int ret;

	if (metadata && !feature_incompat(ctx, BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA))
		return tc_err(ctx, "metadata item without SKINNY_METADATA feature");
	if (!tc_aligned(ctx->key.objectid, ctx->sectorsize))
		return tc_err(ctx, "extent bytenr %llu not aligned to %u",
			      ull(ctx->key.objectid), ctx->sectorsize);
	if (metadata && ctx->key.offset >= BTRFS_MAX_LEVEL)
		return tc_err(ctx, "metadata item level %llu, max %u",
			      ull(ctx->key.offset), BTRFS_MAX_LEVEL - 1);
	ret = check_size_min(ctx, sizeof(*ei));
	if (ret)
		return ret;
	if (btrfs_extent_generation(ei) > ctx->super_gen + 1)
		return tc_err(ctx, "extent generation %llu newer than %llu",
			      ull(btrfs_extent_generation(ei)),
			      ull(ctx->super_gen + 1));
	flags = btrfs_extent_flags(ei);
	kinds = flags & (BTRFS_EXTENT_FLAG_DATA | BTRFS_EXTENT_FLAG_TREE_BLOCK);
	if (kinds != BTRFS_EXTENT_FLAG_DATA && kinds != BTRFS_EXTENT_FLAG_TREE_BLOCK)
		return tc_err(ctx, "extent flags 0x%llx, want exactly one of DATA and TREE_BLOCK",
			      ull(flags));
	ret = check_extent_key(ctx, flags);
	if (ret)
		return ret;
	if ((flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) && !metadata) {
		cur += sizeof(*info);
		if (cur > ctx->item_size)
			return tc_err(ctx, "tree block info crosses item end %u",
				      ctx->item_size);
		if (btrfs_tree_block_level(info) >= BTRFS_MAX_LEVEL)
			return tc_err(ctx, "tree block info level %u, max %u",
				      btrfs_tree_block_level(info), BTRFS_MAX_LEVEL - 1);
	}
	ret = check_inline_refs(ctx, cur, btrfs_extent_refs(ei));
	if (ret)
		return ret;
	return check_extent_prev(ctx);
}

/* TREE_BLOCK_REF, SHARED_BLOCK_REF and SHARED_DATA_REF items. */
static int check_keyed_ref(struct tc_ctx *ctx)
{
	const struct btrfs_shared_data_ref *sref = (const void *)ctx->item;
	bool shared_data = ctx->key.type == BTRFS_SHARED_DATA_REF_KEY;
	int ret;

	ret = check_size_exact(ctx, shared_data ? sizeof(*sref) : 0);
	if (ret)
		return ret;
	if (shared_data && btrfs_shared_data_ref_count(sref) == 0)
		return tc_err(ctx, "shared data ref with count 0");
	if (!tc_aligned(ctx->key.objectid, ctx->sectorsize))
		return tc_err(ctx, "backref bytenr %llu not aligned to %u",
			      ull(ctx->key.objectid), ctx->sectorsize);
	if (ctx->key.type != BTRFS_TREE_BLOCK_REF_KEY &&
	    !tc_aligned(ctx->key.offset, ctx->sectorsize))
		return tc_err(ctx, "backref parent %llu not aligned to %u",
			      ull(ctx->key.offset), ctx->sectorsize);
	return 0;
}

static int check_keyed_data_ref(struct tc_ctx *ctx)
{
	const u32 dsize = sizeof(struct btrfs_extent_data_ref);
	u32 cur;
	int ret;

	if (ctx->item_size % dsize)
		return tc_err(ctx, "data ref item size %u not a multiple of %u",
			      ctx->item_size, dsize);
	if (!tc_aligned(ctx->key.objectid, ctx->sectorsize))
		return tc_err(ctx, "backref bytenr %llu not aligned to %u",
			      ull(ctx->key.objectid), ctx->sectorsize);
	/* Hash collisions move refs to other keys, so no hash check. */
	for (cur = 0; cur < ctx->item_size; cur += dsize) {
		ret = check_data_ref(ctx, (const void *)(ctx->item + cur));
		if (ret)
			return ret;
	}
	return 0;
}

static int check_block_group(struct tc_ctx *ctx)
{
	const struct btrfs_block_group_item *bg = (const void *)ctx->item;
	u64 flags, type, profile;
	int ret;

	if (ctx->key.offset == 0)
		return tc_err(ctx, "block group of length 0");
	ret = check_size_exact(ctx, sizeof(*bg));
	if (ret)
		return ret;
	/* With extent tree v2 this names a global root instead. */
	if (!feature_incompat(ctx, BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2) &&
	    btrfs_block_group_chunk_objectid(bg) != BTRFS_FIRST_CHUNK_TREE_OBJECTID)
		return tc_err(ctx, "block group chunk objectid %llu, want %llu",
			      ull(btrfs_block_group_chunk_objectid(bg)),
			      ull(BTRFS_FIRST_CHUNK_TREE_OBJECTID));
	if (btrfs_block_group_used(bg) > ctx->key.offset)
		return tc_err(ctx, "block group used %llu larger than length %llu",
			      ull(btrfs_block_group_used(bg)), ull(ctx->key.offset));
	flags = btrfs_block_group_flags(bg);
	profile = flags & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	if (profile & (profile - 1))
		return tc_err(ctx, "block group with several profiles 0x%llx",
			      ull(profile));
	type = flags & BTRFS_BLOCK_GROUP_TYPE_MASK;
	if (type != BTRFS_BLOCK_GROUP_DATA && type != BTRFS_BLOCK_GROUP_METADATA &&
	    type != BTRFS_BLOCK_GROUP_SYSTEM &&
	    type != (BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_METADATA))
		return tc_err(ctx, "invalid block group type 0x%llx", ull(type));
	return 0;
}

/* Stripe count rules of each profile. */
static int check_chunk_stripes(struct tc_ctx *ctx, u64 type, u16 num, u16 sub)
{
	u64 profile = type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	bool ok;

	switch (profile) {
	case 0:				ok = num == 1; break;
	case BTRFS_BLOCK_GROUP_DUP:	ok = num == 2; break;
	case BTRFS_BLOCK_GROUP_RAID1:	ok = num == 2; break;
	case BTRFS_BLOCK_GROUP_RAID1C3:	ok = num == 3; break;
	case BTRFS_BLOCK_GROUP_RAID1C4:	ok = num == 4; break;
	case BTRFS_BLOCK_GROUP_RAID10:	ok = sub == 2 && num >= 2; break;
	case BTRFS_BLOCK_GROUP_RAID5:	ok = num >= 2; break;
	case BTRFS_BLOCK_GROUP_RAID6:	ok = num >= 3; break;
	default:			ok = num >= 1; break;
	}
	if (!ok)
		return tc_err(ctx, "chunk num_stripes %u sub_stripes %u invalid for profile 0x%llx",
			      num, sub, ull(profile));
	return 0;
}

static int check_chunk_type(struct tc_ctx *ctx, u64 type)
{
	const u64 known = BTRFS_BLOCK_GROUP_TYPE_MASK |
			  BTRFS_BLOCK_GROUP_PROFILE_MASK;
	u64 profile = type & BTRFS_BLOCK_GROUP_PROFILE_MASK;
	u64 kind = type & BTRFS_BLOCK_GROUP_TYPE_MASK;

	if (type & ~known)
		return tc_err(ctx, "unknown chunk type bits 0x%llx",
			      ull(type & ~known));
	if (profile & (profile - 1))
		return tc_err(ctx, "chunk with several profiles 0x%llx",
			      ull(profile));
	if (kind == 0)
		return tc_err(ctx, "chunk type 0x%llx has no data, metadata or system bit",
			      ull(type));
	if ((kind & BTRFS_BLOCK_GROUP_SYSTEM) && kind != BTRFS_BLOCK_GROUP_SYSTEM)
		return tc_err(ctx, "system chunk with data or metadata type 0x%llx",
			      ull(type));
	if (kind == (BTRFS_BLOCK_GROUP_DATA | BTRFS_BLOCK_GROUP_METADATA) &&
	    !feature_incompat(ctx, BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS))
		return tc_err(ctx, "mixed chunk type 0x%llx without MIXED_GROUPS feature",
			      ull(type));
	return 0;
}

static int check_chunk_geometry(struct tc_ctx *ctx,
				const struct btrfs_chunk *chunk)
{
	u64 logical = ctx->key.offset;
	u64 length = btrfs_chunk_length(chunk);

	if (!tc_aligned(logical, ctx->sectorsize))
		return tc_err(ctx, "chunk start %llu not aligned to %u",
			      ull(logical), ctx->sectorsize);
	if (btrfs_chunk_sector_size(chunk) != ctx->sectorsize)
		return tc_err(ctx, "chunk sector_size %u, want %u",
			      btrfs_chunk_sector_size(chunk), ctx->sectorsize);
	if (length == 0 || !tc_aligned(length, ctx->sectorsize))
		return tc_err(ctx, "invalid chunk length %llu", ull(length));
	if (logical + length < logical)
		return tc_err(ctx, "chunk end overflows, length %llu", ull(length));
	if (btrfs_chunk_stripe_len(chunk) != BTRFS_STRIPE_LEN)
		return tc_err(ctx, "chunk stripe_len %llu, want %llu",
			      ull(btrfs_chunk_stripe_len(chunk)), BTRFS_STRIPE_LEN);
	if (length >= CHUNK_LENGTH_LIMIT)
		return tc_err(ctx, "chunk length %llu too large, limit %llu",
			      ull(length), ull(CHUNK_LENGTH_LIMIT));
	return 0;
}

static int check_chunk_item(struct tc_ctx *ctx)
{
	const struct btrfs_chunk *chunk = (const void *)ctx->item;
	u16 num, sub;
	u64 type;
	int ret;

	ret = check_size_min(ctx, sizeof(*chunk));
	if (ret)
		return ret;
	num = btrfs_chunk_num_stripes(chunk);
	sub = btrfs_chunk_sub_stripes(chunk);
	type = btrfs_chunk_type(chunk);
	if (num == 0)
		return tc_err(ctx, "chunk with num_stripes 0");
	if (ctx->item_size != btrfs_chunk_item_size(num))
		return tc_err(ctx, "chunk item size %u does not match num_stripes %u, want %u",
			      ctx->item_size, num, btrfs_chunk_item_size(num));
	ret = check_chunk_geometry(ctx, chunk);
	if (!ret)
		ret = check_chunk_type(ctx, type);
	if (!ret)
		ret = check_chunk_stripes(ctx, type, num, sub);
	return ret;
}

static int check_dev_item(struct tc_ctx *ctx)
{
	const struct btrfs_dev_item *dev = (const void *)ctx->item;
	int ret;

	if (ctx->key.objectid != BTRFS_DEV_ITEMS_OBJECTID)
		return tc_err(ctx, "dev item objectid %llu, want %llu",
			      ull(ctx->key.objectid), ull(BTRFS_DEV_ITEMS_OBJECTID));
	ret = check_size_exact(ctx, sizeof(*dev));
	if (ret)
		return ret;
	if (btrfs_device_id(dev) != ctx->key.offset)
		return tc_err(ctx, "dev item devid %llu does not match key",
			      ull(btrfs_device_id(dev)));
	/* total_bytes may be 0 while a device is removed, so only this. */
	if (btrfs_device_bytes_used(dev) > btrfs_device_total_bytes(dev))
		return tc_err(ctx, "dev item bytes_used %llu larger than total_bytes %llu",
			      ull(btrfs_device_bytes_used(dev)),
			      ull(btrfs_device_total_bytes(dev)));
	return 0;
}

static int check_dev_extent(struct tc_ctx *ctx)
{
	const struct btrfs_dev_extent *de = (const void *)ctx->item;
	const struct btrfs_dev_extent *prev = (const void *)ctx->prev_item;
	int ret;

	ret = check_size_exact(ctx, sizeof(*de));
	if (ret)
		return ret;
	if (btrfs_dev_extent_chunk_tree(de) != BTRFS_CHUNK_TREE_OBJECTID ||
	    btrfs_dev_extent_chunk_objectid(de) != BTRFS_FIRST_CHUNK_TREE_OBJECTID)
		return tc_err(ctx, "dev extent chunk tree %llu objectid %llu, want %llu %llu",
			      ull(btrfs_dev_extent_chunk_tree(de)),
			      ull(btrfs_dev_extent_chunk_objectid(de)),
			      ull(BTRFS_CHUNK_TREE_OBJECTID),
			      ull(BTRFS_FIRST_CHUNK_TREE_OBJECTID));
	if (!tc_aligned(ctx->key.offset, ctx->sectorsize) ||
	    !tc_aligned(btrfs_dev_extent_chunk_offset(de), ctx->sectorsize) ||
	    !tc_aligned(btrfs_dev_extent_length(de), ctx->sectorsize))
		return tc_err(ctx, "dev extent offset %llu chunk %llu length %llu not aligned to %u",
			      ull(ctx->key.offset),
			      ull(btrfs_dev_extent_chunk_offset(de)),
			      ull(btrfs_dev_extent_length(de)), ctx->sectorsize);
	if (ctx->slot == 0 || ctx->prev_key.objectid != ctx->key.objectid ||
	    ctx->prev_key.type != ctx->key.type)
		return 0;
	if (ctx->prev_key.offset + btrfs_dev_extent_length(prev) > ctx->key.offset)
		return tc_err(ctx, "dev extent overlaps the previous one at %llu length %llu",
			      ull(ctx->prev_key.offset),
			      ull(btrfs_dev_extent_length(prev)));
	return 0;
}

static int check_raid_stripe(struct tc_ctx *ctx)
{
	if (!tc_aligned(ctx->key.objectid, ctx->sectorsize))
		return tc_err(ctx, "raid stripe extent %llu not aligned to %u",
			      ull(ctx->key.objectid), ctx->sectorsize);
	if (!feature_incompat(ctx, BTRFS_FEATURE_INCOMPAT_RAID_STRIPE_TREE))
		return tc_err(ctx, "raid stripe extent without RAID_STRIPE_TREE feature");
	return 0;
}

static int check_free_space_bitmap(struct tc_ctx *ctx)
{
	u64 bits = ctx->key.offset / ctx->sectorsize;
	u64 want = (bits + 7) / 8;

	if (ctx->item_size != want)
		return tc_err(ctx, "free space bitmap size %u, want %llu",
			      ctx->item_size, ull(want));
	return 0;
}

static int check_qgroup_status(struct tc_ctx *ctx)
{
	const struct btrfs_qgroup_status_item *st;
	u32 min = offsetof(struct btrfs_qgroup_status_item, enable_gen);

	/* Simple quotas appended enable_gen. */
	if (feature_incompat(ctx, BTRFS_FEATURE_INCOMPAT_SIMPLE_QUOTA))
		min = sizeof(*st);
	return check_size_min(ctx, min);
}

/* Items whose only rule is their size, by key type. */
static int check_fixed_size(struct tc_ctx *ctx)
{
	switch (ctx->key.type) {
	case BTRFS_ORPHAN_ITEM_KEY:
	case BTRFS_FREE_SPACE_EXTENT_KEY:
	case BTRFS_QGROUP_RELATION_KEY:
		return check_size_exact(ctx, 0);
	case BTRFS_DIR_LOG_ITEM_KEY:
	case BTRFS_DIR_LOG_INDEX_KEY:
		return check_size_exact(ctx, sizeof(struct btrfs_dir_log_item));
	case BTRFS_FREE_SPACE_INFO_KEY:
		return check_size_exact(ctx, sizeof(struct btrfs_free_space_info));
	case BTRFS_QGROUP_INFO_KEY:
		return check_size_exact(ctx, sizeof(struct btrfs_qgroup_info_item));
	case BTRFS_QGROUP_LIMIT_KEY:
		return check_size_exact(ctx, sizeof(struct btrfs_qgroup_limit_item));
	}
	return 0;
}

/* Items keyed by a special objectid in a shared key type. */
static int check_special_items(struct tc_ctx *ctx)
{
	u64 objectid = ctx->key.objectid;

	switch (ctx->key.type) {
	case BTRFS_TEMPORARY_ITEM_KEY:
		if (objectid == BTRFS_BALANCE_OBJECTID)
			return check_size_exact(ctx, sizeof(struct btrfs_balance_item));
		return 0;
	case BTRFS_PERSISTENT_ITEM_KEY:
		/* Older and newer kernels may keep fewer or more counters. */
		if (objectid == BTRFS_DEV_STATS_OBJECTID && ctx->item_size % 8)
			return tc_err(ctx, "dev stats item size %u not a multiple of 8",
				      ctx->item_size);
		return 0;
	case BTRFS_DEV_REPLACE_KEY:
		return check_size_exact(ctx, sizeof(struct btrfs_dev_replace_item));
	case BTRFS_UUID_KEY_SUBVOL:
	case BTRFS_UUID_KEY_RECEIVED_SUBVOL:
		if (ctx->item_size % sizeof(__le64))
			return tc_err(ctx, "uuid item size %u not a multiple of 8",
				      ctx->item_size);
		return 0;
	}
	return check_fixed_size(ctx);
}

int tc_check_item(struct tc_ctx *ctx)
{
	switch (ctx->key.type) {
	case BTRFS_INODE_ITEM_KEY:
		return check_inode_item(ctx);
	case BTRFS_INODE_REF_KEY:
		return check_inode_ref(ctx);
	case BTRFS_INODE_EXTREF_KEY:
		return check_inode_extref(ctx);
	case BTRFS_XATTR_ITEM_KEY:
	case BTRFS_DIR_ITEM_KEY:
	case BTRFS_DIR_INDEX_KEY:
		return check_dir_item(ctx);
	case BTRFS_EXTENT_DATA_KEY:
		return check_file_extent(ctx);
	case BTRFS_EXTENT_CSUM_KEY:
		return check_csum_item(ctx);
	case BTRFS_ROOT_ITEM_KEY:
		return check_root_item(ctx);
	case BTRFS_ROOT_REF_KEY:
	case BTRFS_ROOT_BACKREF_KEY:
		return check_root_ref(ctx);
	case BTRFS_EXTENT_ITEM_KEY:
	case BTRFS_METADATA_ITEM_KEY:
		return check_extent_item(ctx);
	case BTRFS_TREE_BLOCK_REF_KEY:
	case BTRFS_SHARED_BLOCK_REF_KEY:
	case BTRFS_SHARED_DATA_REF_KEY:
		return check_keyed_ref(ctx);
	case BTRFS_EXTENT_DATA_REF_KEY:
		return check_keyed_data_ref(ctx);
	case BTRFS_BLOCK_GROUP_ITEM_KEY:
		return check_block_group(ctx);
	case BTRFS_FREE_SPACE_BITMAP_KEY:
		return check_free_space_bitmap(ctx);
	case BTRFS_DEV_EXTENT_KEY:
		return check_dev_extent(ctx);
	case BTRFS_DEV_ITEM_KEY:
		return check_dev_item(ctx);
	case BTRFS_CHUNK_ITEM_KEY:
		return check_chunk_item(ctx);
	case BTRFS_RAID_STRIPE_KEY:
		return check_raid_stripe(ctx);
	case BTRFS_QGROUP_STATUS_KEY:
		return check_qgroup_status(ctx);
	}
	return check_special_items(ctx);
}
