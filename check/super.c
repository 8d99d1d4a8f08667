// SPDX-License-Identifier: GPL-2.0-only
/*
 * Superblocks: every copy present on every device is valid and belongs to
 * this filesystem; the checked copy's totals agree with the trees.
 */
#include <string.h>
#include "common/format.h"
#include "check/check.h"

static const struct dev_rec *dev_find(const struct check_ctx *ctx, u64 devid)
{
	size_t i;

	for (i = 0; i < ctx->devs.nr; i++) {
		const struct dev_rec *d = VEC_AT(&ctx->devs, struct dev_rec, i);

		if (d->devid == devid)
			return d;
	}
	return NULL;
}

/* One copy of one device. */
static void super_copy_check(struct check_ctx *ctx,
			     const struct btrfs_device *dev, int mirror)
{
	const struct btrfs_super_block *ref = &ctx->fs_info->super_copy;
	/* The fsid the device was opened with (a seed device has its own). */
	const u8 *want_fsid = dev->fsid;
	struct btrfs_super_block sb;
	u64 off = btrfs_sb_offset(mirror);
	struct problem_ctx pctx = { .mirror = mirror, .dev = dev->path };
	char why[256] = "", fsid[FORMAT_UUID_LEN];

	if (off + BTRFS_SUPER_INFO_SIZE > dev->size)
		return;
	if (btrfs_super_read(dev->fd, mirror, &sb)) {
		pctx.str = "cannot read it";
		check_report(ctx, PR_SUPER_COPY_BAD, &pctx);
		return;
	}
	if (btrfs_super_magic(&sb) != BTRFS_MAGIC) {
		/* The kernel writes only copies that end before total_bytes. */
		if (off + BTRFS_SUPER_INFO_SIZE < dev->total_bytes)
			check_report(ctx, PR_SUPER_COPY_MISSING, &pctx);
		return;
	}
	if (btrfs_super_check(&sb, off, why, sizeof(why))) {
		pctx.str = why;
		check_report(ctx, PR_SUPER_COPY_BAD, &pctx);
		return;
	}
	if (memcmp(sb.fsid, want_fsid, BTRFS_FSID_SIZE)) {
		format_uuid(sb.fsid, fsid);
		pctx.str = fsid;
		check_report(ctx, PR_SUPER_COPY_FSID, &pctx);
		return;
	}
	if (btrfs_super_generation(&sb) != btrfs_super_generation(ref)) {
		pctx.have = btrfs_super_generation(&sb);
		pctx.want = btrfs_super_generation(ref);
		check_report(ctx, PR_SUPER_COPY_GENERATION, &pctx);
	}
}

/* The device item a device's superblock carries must be in the chunk tree. */
static void super_dev_item_check(struct check_ctx *ctx,
				 const struct btrfs_device *dev)
{
	const struct dev_rec *d = dev_find(ctx, dev->devid);
	struct problem_ctx pctx = { .devid = dev->devid, .dev = dev->path };

	if (!d || memcmp(d->uuid, dev->uuid, BTRFS_UUID_SIZE)) {
		check_report(ctx, PR_SUPER_DEV_ITEM, &pctx);
		return;
	}
	if (dev->size < d->total_bytes) {
		pctx.have = dev->size;
		pctx.want = d->total_bytes;
		check_report(ctx, PR_DEVICE_TRUNCATED, &pctx);
	}
}

static void super_totals_check(struct check_ctx *ctx)
{
	const struct btrfs_sb_info *sb = &ctx->fs_info->sb;
	u64 total = 0, used = 0, sb_used = sb->bytes_used;
	int backup = ctx->opts->backup_root;
	size_t i;

	/* Checking an older tree root: its backup slot has its totals. */
	if (backup >= 0 && backup < BTRFS_NUM_BACKUP_ROOTS)
		sb_used = btrfs_backup_bytes_used(
				&ctx->fs_info->super_copy.super_roots[backup]);

	for (i = 0; i < ctx->devs.nr; i++)
		total += VEC_AT(&ctx->devs, struct dev_rec, i)->total_bytes;
	for (i = 0; i < ctx->extents.nr; i++)
		used += VEC_AT(&ctx->extents, struct extent_rec, i)->len;
	ctx->totals.bytes_used = used;
	if (sb->num_devices != ctx->devs.nr)
		check_report(ctx, PR_SUPER_NUM_DEVICES, &(struct problem_ctx){
			.have = sb->num_devices, .want = ctx->devs.nr });
	if (sb->total_bytes < total)
		check_report(ctx, PR_SUPER_TOTAL_BYTES, &(struct problem_ctx){
			.have = sb->total_bytes, .want = total });
	if (sb_used != used)
		check_report(ctx, PR_SUPER_BYTES_USED, &(struct problem_ctx){
			.have = sb_used, .want = used });
}

void super_check(struct check_ctx *ctx)
{
	const struct btrfs_device *dev;
	int mirror;

	for (dev = ctx->fs_info->devices; dev; dev = dev->next) {
		if (!dev->path || dev->fd < 0)
			continue;
		for (mirror = 0; mirror < BTRFS_SUPER_MIRROR_MAX; mirror++)
			super_copy_check(ctx, dev, mirror);
		super_dev_item_check(ctx, dev);
	}
	super_totals_check(ctx);
}
