// SPDX-License-Identifier: GPL-2.0-only
/*
 * Is a device (or an image file behind a loop device) mounted?
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "check/mount.h"

/* Whether a block device with this number is the source of a mount. */
static int rdev_is_mounted(dev_t rdev)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	if (!f)
		return -errno;
	while (!found && (m = getmntent(f)) != NULL) {
		struct stat st;

		if (m->mnt_fsname[0] != '/' || stat(m->mnt_fsname, &st))
			continue;
		found = S_ISBLK(st.st_mode) && st.st_rdev == rdev;
	}
	endmntent(f);
	return found;
}

/* Reads a small sysfs file into buf without the trailing newline. */
static int sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* The loop device named 'name' backs the file st; is that loop mounted? */
static int loop_backs_mounted(const char *name, const struct stat *file)
{
	char path[PATH_MAX], backing[PATH_MAX], devno[32];
	unsigned int major_nr, minor_nr;
	struct stat st;

	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name);
	if (sysfs_read(path, backing, sizeof(backing)) || stat(backing, &st) ||
	    st.st_dev != file->st_dev || st.st_ino != file->st_ino)
		return 0;
	snprintf(path, sizeof(path), "/sys/block/%s/dev", name);
	if (sysfs_read(path, devno, sizeof(devno)) ||
	    sscanf(devno, "%u:%u", &major_nr, &minor_nr) != 2)
		return 0;
	return rdev_is_mounted(makedev(major_nr, minor_nr));
}

static int file_is_mounted(const struct stat *file)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *de;
	int ret = 0;

	if (!dir)
		return 0;
	while (ret == 0 && (de = readdir(dir)) != NULL)
		if (!strncmp(de->d_name, "loop", 4))
			ret = loop_backs_mounted(de->d_name, file);
	closedir(dir);
	return ret;
}

int device_is_mounted(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		return rdev_is_mounted(st.st_rdev);
	if (S_ISREG(st.st_mode))
		return file_is_mounted(&st);
	return 0;
}
