/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef BTRFS_DAX_KERNEL_SHARED_DEVICE_USE_H
#define BTRFS_DAX_KERNEL_SHARED_DEVICE_USE_H

/*
 * Is a device or image file in use: mounted, a loop device over it mounted
 * or held exclusively, a swap area, a device of a mounted btrfs?  mkfs, the
 * checker, scrub and the write engine ask this one module, each keeping the
 * kinds of use it refuses.
 */
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

enum device_use_kind {
	DEVICE_UNUSED = 0,
	DEVICE_MOUNTED,		/* the block device is a mount source */
	DEVICE_PART_MOUNTED,	/* a partition on the block device is */
	DEVICE_LOOP_MOUNTED,	/* a loop device over the file is */
	DEVICE_LOOP_HELD,	/* a loop device over the file is held O_EXCL */
	DEVICE_SWAP,		/* an active swap area */
	DEVICE_FS_MEMBER,	/* sysfs lists it under a mounted btrfs's fsid */
};

/* Optional probes; mount sources are always looked at. */
#define DEVICE_USE_SWAP		(1U << 0)
/* Opens loop devices O_EXCL for a moment: only before overwriting. */
#define DEVICE_USE_HELD		(1U << 1)

struct device_use {
	enum device_use_kind kind;
	char where[PATH_MAX];	/* the mount point, when mounted */
	char loop[64];		/* "loopN", for the loop kinds */
	char reason[2 * PATH_MAX + 128];	/* "'<path>' is mounted on ..." */
};

/*
 * Fill 'use' for the device or image at path.  Returns 1 when in use, 0
 * when not, a negative errno when that cannot be told (reason says why).
 */
int device_use_path(const char *path, unsigned int flags, struct device_use *use);

/*
 * The same for an open device; a non-NULL fsid (16 bytes) also asks
 * whether the kernel lists it as a device of that mounted btrfs.
 */
int device_use_fd(int fd, const char *path, const unsigned char *fsid,
		  unsigned int flags, struct device_use *use);

/* Whether the kinds of use a writer must refuse include this one. */
bool device_use_is_mount(enum device_use_kind kind);

/*
 * 1 when the block device at path, or a loop device over the image file at
 * path, is mounted; 0 when not; a negative errno when that cannot be told.
 */
int device_is_mounted(const char *path);

/* Small sysfs helpers the device probes of mkfs share. */
int device_sysfs_read(const char *dir, const char *name, char *buf, size_t len);
int device_sysfs_dirs(dev_t rdev, char *dir, char *disk, bool *is_part);
bool device_loop_backs(dev_t loop, const struct stat *file);

#endif
