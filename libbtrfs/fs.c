// SPDX-License-Identifier: GPL-2.0-only
/*
 * Public API: opening and closing a filesystem, error text, superblock facts
 * and subvolume resolution.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/ctree.h"
#include "libbtrfs/internal.h"

/*
 * A failed open has no handle to keep its message in.  Keeping it per
 * thread lets callers that open in parallel each see their own.
 */
static __thread char open_err[BTRFS_ERR_MSG_LEN];

#define DAX_OPEN_ALL_FLAGS (BTRFS_DAX_OPEN_NOSCAN | BTRFS_DAX_OPEN_ALLOW_MISSING)

int dax_fail(struct btrfs_fs_info *fs_info, int ret, const char *fmt, ...)
{
	va_list ap;

	if (fs_info->err[0])
		return ret;
	va_start(ap, fmt);
	vsnprintf(fs_info->err, sizeof(fs_info->err), fmt, ap);
	va_end(ap);
	return ret;
}

static unsigned int open_flags_to_engine(unsigned int flags)
{
	unsigned int out = 0;

	if (flags & BTRFS_DAX_OPEN_NOSCAN)
		out |= BTRFS_OPEN_NOSCAN;
	if (flags & BTRFS_DAX_OPEN_ALLOW_MISSING)
		out |= BTRFS_OPEN_ALLOW_MISSING;
	return out;
}

/* Opens through the engine and proves the root tree and FS tree readable. */
static int open_engine(const char *const *paths, int npaths,
		       unsigned int flags, struct btrfs_fs_info **ret)
{
	struct btrfs_open_opts opts;
	struct btrfs_root root;
	int err;

	btrfs_open_opts_init(&opts);
	opts.flags = open_flags_to_engine(flags);
	err = btrfs_open_fs(paths, npaths, &opts, ret);
	if (!err)
		err = btrfs_read_root(*ret, BTRFS_FS_TREE_OBJECTID, &root, NULL);
	if (err && *ret && !(*ret)->err[0])
		btrfs_err_set(*ret, "cannot open '%s': %s", paths[0],
			      strerror(-err));
	return err;
}

int btrfs_dax_open(const char *const *paths, int npaths, unsigned int flags,
		   struct btrfs_dax_fs **ret)
{
	struct btrfs_fs_info *fs_info = NULL;
	struct btrfs_dax_fs *fs;
	int err;

	open_err[0] = '\0';
	if (!ret)
		return -EINVAL;
	*ret = NULL;
	if (!paths || npaths <= 0 || (flags & ~DAX_OPEN_ALL_FLAGS)) {
		snprintf(open_err, sizeof(open_err), "invalid arguments");
		return -EINVAL;
	}
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		snprintf(open_err, sizeof(open_err), "out of memory");
		return -ENOMEM;
	}
	err = open_engine(paths, npaths, flags, &fs_info);
	if (err) {
		snprintf(open_err, sizeof(open_err), "%s",
			 fs_info ? fs_info->err : strerror(-err));
		btrfs_close_fs(fs_info);
		free(fs);
		return err;
	}
	fs->fs_info = fs_info;
	*ret = fs;
	return 0;
}

void btrfs_dax_close(struct btrfs_dax_fs *fs)
{
	if (!fs)
		return;
	btrfs_close_fs(fs->fs_info);
	free(fs);
}

const char *btrfs_dax_last_error(const struct btrfs_dax_fs *fs)
{
	if (!fs)
		return open_err;
	return fs->fs_info->err;
}

int btrfs_dax_get_super_info(struct btrfs_dax_fs *fs,
			     struct btrfs_dax_super_info *out)
{
	const struct btrfs_sb_info *sb;

	if (!fs || !out)
		return -EINVAL;
	sb = &dax_begin(fs)->sb;
	memset(out, 0, sizeof(*out));
	memcpy(out->fsid, sb->fsid, sizeof(out->fsid));
	memcpy(out->metadata_uuid, sb->metadata_uuid, sizeof(out->metadata_uuid));
	memcpy(out->label, fs->fs_info->super_copy.label, sizeof(out->label) - 1);
	out->generation = sb->generation;
	out->total_bytes = sb->total_bytes;
	out->bytes_used = sb->bytes_used;
	out->num_devices = sb->num_devices;
	out->nodesize = sb->nodesize;
	out->sectorsize = sb->sectorsize;
	out->csum_type = sb->csum_type;
	out->compat_flags = sb->compat_flags;
	out->compat_ro_flags = sb->compat_ro_flags;
	out->incompat_flags = sb->incompat_flags;
	out->dax_layout = !!(sb->compat_flags & BTRFS_FEATURE_COMPAT_DAX_LAYOUT);
	out->has_dax_inodes = !!(sb->compat_ro_flags & BTRFS_FEATURE_COMPAT_RO_DAX);
	return 0;
}

static bool subvol_id_valid(u64 subvol)
{
	return subvol == BTRFS_FS_TREE_OBJECTID ||
	       (subvol >= BTRFS_FIRST_FREE_OBJECTID &&
		subvol <= BTRFS_LAST_FREE_OBJECTID);
}

/*
 * Like the kernel's get_default_subvol_objectid(): the "default" entry of
 * the root tree directory, or the top-level subvolume when it is missing.
 */
int dax_subvol_resolve(struct btrfs_fs_info *fs_info, u64 subvol, u64 *ret)
{
	u64 dir = btrfs_super_root_dir(&fs_info->super_copy);
	struct btrfs_key location;
	u8 ftype;
	int err;

	if (subvol) {
		*ret = subvol;
	} else {
		err = dax_dir_lookup(fs_info, &fs_info->tree_root, dir,
				     "default", 7, &location, &ftype);
		if (err && err != -ENOENT)
			return dax_fail(fs_info, err,
					"cannot read the default subvolume: %s",
					strerror(-err));
		*ret = err ? BTRFS_FS_TREE_OBJECTID : location.objectid;
	}
	if (!subvol_id_valid(*ret))
		return dax_fail(fs_info, -EINVAL,
				"%llu is not a subvolume id",
				(unsigned long long)*ret);
	return 0;
}

int dax_subvol_root(struct btrfs_fs_info *fs_info, u64 subvol,
		    struct btrfs_root *root)
{
	int err = dax_subvol_resolve(fs_info, subvol, &subvol);

	if (err)
		return err;
	err = btrfs_read_root(fs_info, subvol, root, NULL);
	if (err)
		return dax_fail(fs_info, err, "cannot read subvolume %llu: %s",
				(unsigned long long)subvol, strerror(-err));
	return 0;
}
