/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef BTRFS_DAX_CHECK_MOUNT_H
#define BTRFS_DAX_CHECK_MOUNT_H

/*
 * 1 when the block device at path, or the loop device an image file at
 * path is attached to, is mounted; 0 when not; a negative errno when that
 * cannot be told.
 */
int device_is_mounted(const char *path);

#endif
