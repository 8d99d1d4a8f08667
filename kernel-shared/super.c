// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblock reading, validation and decoding.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/ctree.h"
#include "kernel-shared/csum.h"

int btrfs_super_read(int fd, int mirror, struct btrfs_super_block *sb)
{
	ssize_t n;

	if (mirror < 0 || mirror >= BTRFS_SUPER_MIRROR_MAX)
		return -EINVAL;
	n = pread(fd, sb, sizeof(*sb), (off_t)btrfs_sb_offset(mirror));
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(*sb))
		return -ENOENT;
	return 0;
}

static bool is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

#define SB_BAD(...) do { snprintf(why, why_len, __VA_ARGS__); return -EUCLEAN; } while (0)

static int super_check_sizes(const struct btrfs_super_block *sb,
			     char *why, size_t why_len)
{
	u32 sectorsize = btrfs_super_sectorsize(sb);
	u32 nodesize = btrfs_super_nodesize(sb);

	if (!is_pow2(sectorsize) || sectorsize < 4096 || sectorsize > 65536)
		SB_BAD("invalid sectorsize %u", sectorsize);
	if (!is_pow2(nodesize) || nodesize < sectorsize ||
	    nodesize > BTRFS_MAX_METADATA_BLOCKSIZE)
		SB_BAD("invalid nodesize %u", nodesize);
	if (btrfs_super_root(sb) % sectorsize)
		SB_BAD("tree root %llu not aligned to sectorsize %u",
		       (unsigned long long)btrfs_super_root(sb), sectorsize);
	if (btrfs_super_chunk_root(sb) % sectorsize)
		SB_BAD("chunk root %llu not aligned to sectorsize %u",
		       (unsigned long long)btrfs_super_chunk_root(sb),
		       sectorsize);
	if (btrfs_super_log_root(sb) % sectorsize)
		SB_BAD("log root %llu not aligned to sectorsize %u",
		       (unsigned long long)btrfs_super_log_root(sb), sectorsize);
	return 0;
}

static int super_check_fields(const struct btrfs_super_block *sb,
			      char *why, size_t why_len)
{
	u32 sys = btrfs_super_sys_array_size(sb);

	if (btrfs_super_root_level(sb) >= BTRFS_MAX_LEVEL)
		SB_BAD("tree root level too big: %u >= %d",
		       btrfs_super_root_level(sb), BTRFS_MAX_LEVEL);
	if (btrfs_super_chunk_root_level(sb) >= BTRFS_MAX_LEVEL)
		SB_BAD("chunk root level too big: %u >= %d",
		       btrfs_super_chunk_root_level(sb), BTRFS_MAX_LEVEL);
	if (btrfs_super_log_root_level(sb) >= BTRFS_MAX_LEVEL)
		SB_BAD("log root level too big: %u >= %d",
		       btrfs_super_log_root_level(sb), BTRFS_MAX_LEVEL);
	if (btrfs_super_num_devices(sb) == 0)
		SB_BAD("number of devices is 0");
	if (sys > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
		SB_BAD("system chunk array too big: %u > %d", sys,
		       BTRFS_SYSTEM_CHUNK_ARRAY_SIZE);
	if (sys < sizeof(struct btrfs_disk_key) + sizeof(struct btrfs_chunk))
		SB_BAD("system chunk array too small: %u", sys);
	if (btrfs_super_generation(sb) < btrfs_super_chunk_root_generation(sb))
		SB_BAD("chunk root generation %llu newer than superblock %llu",
		       (unsigned long long)btrfs_super_chunk_root_generation(sb),
		       (unsigned long long)btrfs_super_generation(sb));
	if (memcmp(sb->metadata_uuid, sb->dev_item.fsid, BTRFS_FSID_SIZE) &&
	    memcmp(sb->fsid, sb->dev_item.fsid, BTRFS_FSID_SIZE))
		SB_BAD("device fsid does not match the filesystem");
	return 0;
}

/*
 * Validates one superblock copy found at expect_bytenr.  Returns -EINVAL for
 * "not btrfs" (bad magic), -EIO for a checksum mismatch, -EUCLEAN for a bad
 * field, with the reason in why.
 */
int btrfs_super_check(const struct btrfs_super_block *sb, u64 expect_bytenr,
		      char *why, size_t why_len)
{
	u16 type = btrfs_super_csum_type(sb);
	u8 csum[BTRFS_CSUM_SIZE];
	int ret;

	if (btrfs_super_magic(sb) != BTRFS_MAGIC) {
		snprintf(why, why_len, "bad magic");
		return -EINVAL;
	}
	if (!btrfs_csum_type_valid(type)) {
		snprintf(why, why_len, "unsupported checksum type %u", type);
		return -EUCLEAN;
	}
	ret = btrfs_csum_data(type, (const u8 *)sb + BTRFS_CSUM_SIZE,
			      BTRFS_SUPER_INFO_SIZE - BTRFS_CSUM_SIZE, csum);
	if (ret) {
		snprintf(why, why_len, "cannot compute the checksum");
		return ret;
	}
	if (memcmp(csum, sb->csum, btrfs_csum_type_size(type))) {
		snprintf(why, why_len, "checksum mismatch");
		return -EIO;
	}
	if (btrfs_super_bytenr(sb) != expect_bytenr)
		SB_BAD("bytenr mismatch, have %llu want %llu",
		       (unsigned long long)btrfs_super_bytenr(sb),
		       (unsigned long long)expect_bytenr);
	ret = super_check_sizes(sb, why, why_len);
	if (ret)
		return ret;
	return super_check_fields(sb, why, why_len);
}

/* Decodes the host-order facts; the superblock must have passed the check. */
int btrfs_super_decode(const struct btrfs_super_block *sb,
		       struct btrfs_sb_info *info)
{
	memset(info, 0, sizeof(*info));
	memcpy(info->fsid, sb->fsid, BTRFS_FSID_SIZE);
	if (btrfs_super_incompat_flags(sb) & BTRFS_FEATURE_INCOMPAT_METADATA_UUID)
		memcpy(info->metadata_uuid, sb->metadata_uuid, BTRFS_FSID_SIZE);
	else
		memcpy(info->metadata_uuid, sb->fsid, BTRFS_FSID_SIZE);
	info->generation = btrfs_super_generation(sb);
	info->root = btrfs_super_root(sb);
	info->root_level = btrfs_super_root_level(sb);
	info->chunk_root = btrfs_super_chunk_root(sb);
	info->chunk_root_level = btrfs_super_chunk_root_level(sb);
	info->chunk_root_generation = btrfs_super_chunk_root_generation(sb);
	info->log_root = btrfs_super_log_root(sb);
	info->log_root_level = btrfs_super_log_root_level(sb);
	info->total_bytes = btrfs_super_total_bytes(sb);
	info->bytes_used = btrfs_super_bytes_used(sb);
	info->num_devices = btrfs_super_num_devices(sb);
	info->sectorsize = btrfs_super_sectorsize(sb);
	info->nodesize = btrfs_super_nodesize(sb);
	info->stripesize = btrfs_super_stripesize(sb);
	info->csum_type = btrfs_super_csum_type(sb);
	info->csum_size = btrfs_csum_type_size(info->csum_type);
	info->compat_flags = btrfs_super_compat_flags(sb);
	info->compat_ro_flags = btrfs_super_compat_ro_flags(sb);
	info->incompat_flags = btrfs_super_incompat_flags(sb);
	info->flags = btrfs_super_flags(sb);
	info->cache_generation = btrfs_super_cache_generation(sb);
	info->uuid_tree_generation = btrfs_super_uuid_tree_generation(sb);
	return 0;
}
