// SPDX-License-Identifier: GPL-2.0-only
/*
 * Is a device or image file in use?  The answers come from the kernel's
 * own lists: /proc/self/mounts, /proc/swaps, the loop devices' backing
 * files and /sys/fs/btrfs/<fsid>/devices.
 *
 * It lives beside the engine because opening a filesystem for writing
 * must refuse a mounted one whoever the caller is; mkfs, check and scrub
 * ask the same questions and word their own refusals.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "kernel-shared/device-use.h"

int device_sysfs_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int device_sysfs_dirs(dev_t rdev, char *dir, char *disk, bool *is_part)
{
	char link[64], buf[32];

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev),
		 minor(rdev));
	if (!realpath(link, dir))
		return -errno;
	*is_part = device_sysfs_read(dir, "partition", buf, sizeof(buf)) == 0;
	snprintf(disk, PATH_MAX, "%s%s", dir, *is_part ? "/.." : "");
	return 0;
}

static int sysfs_dev_parse(const char *dir, dev_t *out)
{
	char buf[32];
	unsigned int ma, mi;
	int ret;

	ret = device_sysfs_read(dir, "dev", buf, sizeof(buf));
	if (ret)
		return ret;
	if (sscanf(buf, "%u:%u", &ma, &mi) != 2)
		return -EINVAL;
	*out = makedev(ma, mi);
	return 0;
}

/* The whole disk of a partition, or the device itself. */
static dev_t whole_disk(dev_t rdev)
{
	char dir[PATH_MAX], disk[PATH_MAX];
	bool is_part;
	dev_t whole;

	if (device_sysfs_dirs(rdev, dir, disk, &is_part) || !is_part)
		return rdev;
	if (sysfs_dev_parse(disk, &whole))
		return rdev;
	return whole;
}

bool device_loop_backs(dev_t loop, const struct stat *file)
{
	char dir[64], backing[PATH_MAX];
	struct stat st;

	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u", major(loop),
		 minor(loop));
	if (device_sysfs_read(dir, "loop/backing_file", backing, sizeof(backing)) ||
	    stat(backing, &st))
		return false;
	return st.st_dev == file->st_dev && st.st_ino == file->st_ino;
}

/* Undoes the octal escapes of /proc/self/mounts and /proc/swaps in place. */
static void proc_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
					(s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* A mount source block device: is it the target, or on it? */
static enum device_use_kind source_uses(dev_t src, const struct stat *target,
					dev_t *loop)
{
	if (S_ISBLK(target->st_mode)) {
		if (src == target->st_rdev)
			return DEVICE_MOUNTED;
		return whole_disk(src) == target->st_rdev ? DEVICE_PART_MOUNTED :
							    DEVICE_UNUSED;
	}
	/* A loop device over the file, or a partition on one. */
	*loop = src;
	if (device_loop_backs(src, target))
		return DEVICE_LOOP_MOUNTED;
	*loop = whole_disk(src);
	if (*loop != src && device_loop_backs(*loop, target))
		return DEVICE_LOOP_MOUNTED;
	return DEVICE_UNUSED;
}

/* "loopN" of a loop device number, as /sys/block names it. */
static void loop_name(dev_t rdev, char *name, size_t len)
{
	char link[64], dir[PATH_MAX];
	const char *base;

	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major(rdev),
		 minor(rdev));
	if (!realpath(link, dir)) {
		snprintf(name, len, "%u:%u", major(rdev), minor(rdev));
		return;
	}
	base = strrchr(dir, '/');
	snprintf(name, len, "%.63s", base ? base + 1 : dir);
}

static int mounts_scan(const struct stat *target, struct device_use *use)
{
	char line[2 * PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	struct stat st;
	dev_t loop = 0;
	FILE *f;

	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (use->kind == DEVICE_UNUSED && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s %4095s", src, dst) != 2)
			continue;
		proc_unescape(src);
		proc_unescape(dst);
		if (src[0] != '/' || stat(src, &st) || !S_ISBLK(st.st_mode))
			continue;
		use->kind = source_uses(st.st_rdev, target, &loop);
		if (use->kind != DEVICE_UNUSED)
			snprintf(use->where, sizeof(use->where), "%s", dst);
	}
	fclose(f);
	if (use->kind == DEVICE_LOOP_MOUNTED)
		loop_name(loop, use->loop, sizeof(use->loop));
	return 0;
}

static bool swap_uses(const struct stat *target)
{
	char line[PATH_MAX + 128], name[PATH_MAX];
	struct stat st;
	bool found = false;
	FILE *f;

	f = fopen("/proc/swaps", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%4095s", name) != 1 || name[0] != '/')
			continue;
		proc_unescape(name);
		if (stat(name, &st))
			continue;
		found = (S_ISBLK(st.st_mode) && S_ISBLK(target->st_mode) &&
			 st.st_rdev == target->st_rdev) ||
			(S_ISREG(st.st_mode) && S_ISREG(target->st_mode) &&
			 st.st_dev == target->st_dev && st.st_ino == target->st_ino);
	}
	fclose(f);
	return found;
}

/* A loop device over the file that something holds exclusively. */
static void loops_held(const struct stat *target, struct device_use *use)
{
	char node[PATH_MAX];
	struct dirent *de;
	dev_t rdev;
	DIR *d;
	int fd;

	d = opendir("/sys/block");
	if (!d)
		return;
	while (use->kind == DEVICE_UNUSED && (de = readdir(d))) {
		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(node, sizeof(node), "/sys/block/%s", de->d_name);
		if (sysfs_dev_parse(node, &rdev) || !device_loop_backs(rdev, target))
			continue;
		snprintf(node, sizeof(node), "/dev/%s", de->d_name);
		fd = open(node, O_RDONLY | O_EXCL | O_CLOEXEC);
		if (fd >= 0)
			close(fd);
		else if (errno == EBUSY)
			use->kind = DEVICE_LOOP_HELD;
		if (use->kind == DEVICE_LOOP_HELD)
			snprintf(use->loop, sizeof(use->loop), "%.63s", de->d_name);
	}
	closedir(d);
}

/* The kernel lists the devices of a mounted btrfs under its fsid. */
static bool fsid_lists(const unsigned char *fsid, const struct stat *target)
{
	char path[256];
	struct dirent *de;
	bool found = false;
	dev_t rdev;
	DIR *dir;
	int i, n;

	n = snprintf(path, sizeof(path), "/sys/fs/btrfs/");
	for (i = 0; i < 16; i++)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "%s%02x",
			      (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "",
			      fsid[i]);
	snprintf(path + n, sizeof(path) - (size_t)n, "/devices");
	dir = opendir(path);
	if (!dir)
		return false;
	while (!found && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/block/%.64s", de->d_name);
		if (sysfs_dev_parse(path, &rdev))
			continue;
		found = S_ISBLK(target->st_mode) ? rdev == target->st_rdev :
						   device_loop_backs(rdev, target);
	}
	closedir(dir);
	return found;
}

static void reason_set(struct device_use *use, const char *path)
{
	switch (use->kind) {
	case DEVICE_MOUNTED:
	case DEVICE_PART_MOUNTED:
		snprintf(use->reason, sizeof(use->reason), "'%s' is mounted on '%s'",
			 path, use->where);
		break;
	case DEVICE_LOOP_MOUNTED:
		snprintf(use->reason, sizeof(use->reason),
			 "'%s' is mounted on '%s' through /dev/%s", path,
			 use->where, use->loop);
		break;
	case DEVICE_LOOP_HELD:
		snprintf(use->reason, sizeof(use->reason),
			 "'%s' is in use through /dev/%s", path, use->loop);
		break;
	case DEVICE_SWAP:
		snprintf(use->reason, sizeof(use->reason), "'%s' is a swap device",
			 path);
		break;
	case DEVICE_FS_MEMBER:
		snprintf(use->reason, sizeof(use->reason),
			 "'%s' is a device of a mounted btrfs", path);
		break;
	case DEVICE_UNUSED:
		use->reason[0] = '\0';
		break;
	}
}

static int device_use_stat(const struct stat *st, const char *path,
			   const unsigned char *fsid, unsigned int flags,
			   struct device_use *use)
{
	int ret;

	memset(use, 0, sizeof(*use));
	if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
		return 0;
	if ((flags & DEVICE_USE_SWAP) && swap_uses(st))
		use->kind = DEVICE_SWAP;
	if (use->kind == DEVICE_UNUSED) {
		ret = mounts_scan(st, use);
		if (ret) {
			snprintf(use->reason, sizeof(use->reason),
				 "cannot check mount status of '%s': %s", path,
				 strerror(-ret));
			return ret;
		}
	}
	if (use->kind == DEVICE_UNUSED && S_ISREG(st->st_mode) &&
	    (flags & DEVICE_USE_HELD))
		loops_held(st, use);
	if (use->kind == DEVICE_UNUSED && fsid && fsid_lists(fsid, st))
		use->kind = DEVICE_FS_MEMBER;
	reason_set(use, path);
	return use->kind != DEVICE_UNUSED;
}

int device_use_path(const char *path, unsigned int flags, struct device_use *use)
{
	struct stat st;
	int ret;

	if (stat(path, &st)) {
		ret = -errno;
		memset(use, 0, sizeof(*use));
		snprintf(use->reason, sizeof(use->reason), "cannot open '%s': %s",
			 path, strerror(-ret));
		return ret;
	}
	return device_use_stat(&st, path, NULL, flags, use);
}

int device_use_fd(int fd, const char *path, const unsigned char *fsid,
		  unsigned int flags, struct device_use *use)
{
	struct stat st;
	int ret;

	if (fstat(fd, &st)) {
		ret = -errno;
		memset(use, 0, sizeof(*use));
		snprintf(use->reason, sizeof(use->reason), "cannot stat '%s': %s",
			 path, strerror(-ret));
		return ret;
	}
	return device_use_stat(&st, path, fsid, flags, use);
}

bool device_use_is_mount(enum device_use_kind kind)
{
	return kind == DEVICE_MOUNTED || kind == DEVICE_LOOP_MOUNTED ||
	       kind == DEVICE_FS_MEMBER;
}

int device_is_mounted(const char *path)
{
	struct device_use use;
	int ret;

	ret = device_use_path(path, 0, &use);
	if (ret <= 0)
		return ret;
	return device_use_is_mount(use.kind);
}
