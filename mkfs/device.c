// SPDX-License-Identifier: GPL-2.0-only
/*
 * The target device: is it safe to overwrite, how big is it, what does
 * sysfs say about it, and erasing what was there before.
 *
 * Every check runs before the first write.  A refusal leaves the device
 * exactly as it was.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include "kernel-shared/device-use.h"
#include "mkfs/mkfs.h"

/* Refuses a device or image that is mounted, swap, or held by a loop device. */
static int check_in_use(const char *path, struct mkfs_err *err)
{
	struct device_use use;
	int ret;

	ret = device_use_path(path, DEVICE_USE_SWAP | DEVICE_USE_HELD, &use);
	if (ret < 0)
		return mkfs_err_set(err, ret, "%s", use.reason);
	if (ret > 0)
		return mkfs_err_set(err, -EBUSY, "%s", use.reason);
	return 0;
}

/* Finds a filesystem or partition table signature with libblkid. */
static int check_signature(const char *path, struct mkfs_err *err)
{
	const char *type = NULL;
	blkid_probe pr;
	int ret;

	pr = blkid_new_probe_from_filename(path);
	if (!pr)
		return mkfs_err_set(err, -EIO,
				    "cannot probe '%s' for an existing filesystem, use -f to overwrite it anyway",
				    path);
	if (blkid_probe_get_size(pr) == 0) {
		blkid_free_probe(pr);
		return 0;
	}
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_enable_superblocks(pr, 1);
	ret = blkid_do_fullprobe(pr);
	if (ret == 0 && !blkid_probe_lookup_value(pr, "TYPE", &type, NULL))
		ret = mkfs_err_set(err, -EEXIST,
				   "'%s' appears to contain an existing filesystem (%s), use the -f option to force overwrite",
				   path, type);
	else if (ret == 0 && !blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
		ret = mkfs_err_set(err, -EEXIST,
				   "'%s' appears to contain a partition table (%s), use the -f option to force overwrite",
				   path, type);
	else if (ret == 0)
		ret = mkfs_err_set(err, -EEXIST,
				   "'%s' appears to contain something according to blkid, use the -f option to force overwrite",
				   path);
	else if (ret < 0)
		ret = mkfs_err_set(err, -EIO,
				   "cannot probe '%s' for an existing filesystem, use -f to overwrite it anyway",
				   path);
	else
		ret = 0;
	blkid_free_probe(pr);
	return ret;
}

static void sysfs_facts(struct mkfs_device *dev)
{
	char dir[PATH_MAX], disk[PATH_MAX], buf[64];
	bool is_part;

	dev->dax_capable = -1;
	if (!dev->is_blockdev || device_sysfs_dirs(dev->rdev, dir, disk, &is_part))
		return;
	if (!device_sysfs_read(disk, "queue/rotational", buf, sizeof(buf)))
		dev->ssd = buf[0] == '0';
	dev->dax_capable = !device_sysfs_read(disk, "queue/dax", buf, sizeof(buf)) &&
			   buf[0] == '1';
	if (is_part && !device_sysfs_read(dir, "start", buf, sizeof(buf)))
		dev->part_start = strtoull(buf, NULL, 10) * 512;
}

static int device_size(struct mkfs_device *dev, const struct stat *st,
		       struct mkfs_err *err)
{
	if (!dev->is_blockdev) {
		dev->size = (u64)st->st_size;
		return 0;
	}
	if (ioctl(dev->fd, BLKGETSIZE64, &dev->size))
		return mkfs_err_set(err, -errno, "cannot get the size of '%s': %m",
				    dev->path);
	return 0;
}

int mkfs_device_open(struct mkfs_device *dev, const char *path,
		     const struct mkfs_config *cfg, struct mkfs_err *err)
{
	int flags = O_RDWR | O_CLOEXEC;
	struct stat st;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->fd = -1;
	dev->path = path;
	if (stat(path, &st))
		return mkfs_err_set(err, -errno, "cannot open '%s': %m", path);
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return mkfs_err_set(err, -EINVAL,
				    "'%s' is neither a regular file nor a block device",
				    path);
	dev->is_blockdev = S_ISBLK(st.st_mode);
	dev->rdev = st.st_rdev;
	ret = check_in_use(path, err);
	if (!ret && !cfg->force)
		ret = check_signature(path, err);
	if (ret)
		return ret;
	/* O_EXCL on a block device fails while anything holds it. */
	if (dev->is_blockdev)
		flags |= O_EXCL;
	dev->fd = open(path, flags);
	if (dev->fd < 0)
		return mkfs_err_set(err, -errno, "cannot open '%s' for writing: %m",
				    path);
	ret = device_size(dev, &st, err);
	if (ret)
		return ret;
	sysfs_facts(dev);
	return 0;
}

void mkfs_device_close(struct mkfs_device *dev)
{
	if (dev->fd >= 0)
		close(dev->fd);
	dev->fd = -1;
}

static bool stat_same(const struct stat *a, const struct stat *b)
{
	if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
		return a->st_rdev == b->st_rdev;
	if (S_ISREG(a->st_mode) && S_ISREG(b->st_mode))
		return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
	if (S_ISBLK(a->st_mode))
		return device_loop_backs(a->st_rdev, b);
	return device_loop_backs(b->st_rdev, a);
}

int mkfs_devices_distinct(const char *const *paths, int nr,
			  struct mkfs_err *err)
{
	struct stat st[MKFS_MAX_DEVICES];
	int i, j;

	for (i = 0; i < nr; i++) {
		if (stat(paths[i], &st[i]))
			return mkfs_err_set(err, -errno, "cannot open '%s': %m",
					    paths[i]);
		for (j = 0; j < i; j++)
			if (stat_same(&st[i], &st[j]))
				return mkfs_err_set(err, -EINVAL,
						    "'%s' and '%s' are the same device, each device can be given once",
						    paths[j], paths[i]);
	}
	return 0;
}

/*
 * The kernel ABI of BTRFS_IOC_SCAN_DEV; <linux/btrfs.h> itself redefines
 * names of kernel-shared/ondisk.h.
 */
struct scan_dev_args {
	int64_t fd;
	char name[4088];
};
#define SCAN_DEV_IOCTL _IOW(0x94, 4, struct scan_dev_args)

/*
 * The kernel learns the device belongs to the new filesystem, so a
 * multi-device mount finds all of them without a scan.
 */
int mkfs_device_register(const char *path)
{
	struct scan_dev_args args;
	int fd, ret = 0;

	fd = open("/dev/btrfs-control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&args, 0, sizeof(args));
	snprintf(args.name, sizeof(args.name), "%s", path);
	if (ioctl(fd, SCAN_DEV_IOCTL, &args) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int zero_range(int fd, u64 off, u64 len)
{
	static const u8 zeros[65536];

	while (len) {
		size_t n = len < sizeof(zeros) ? (size_t)len : sizeof(zeros);
		ssize_t w = pwrite(fd, zeros, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (u64)w;
		len -= (u64)w;
	}
	return 0;
}

/* TRIM for block devices, hole punching for files; both optional. */
static void discard_range(struct mkfs_device *dev, u64 len)
{
	if (dev->is_blockdev) {
		u64 range[2] = { 0, len };

		(void)ioctl(dev->fd, BLKDISCARD, range);
		return;
	}
	(void)fallocate(dev->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			(off_t)len);
}

/* Erases every signature libblkid knows, wherever it lives. */
static int blkid_wipe(struct mkfs_device *dev)
{
	blkid_probe pr;
	int ret = 0;

	pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, dev->fd, 0, 0)) {
		blkid_free_probe(pr);
		return -EIO;
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (blkid_do_probe(pr) == 0) {
		if (blkid_do_wipe(pr, 0)) {
			ret = -EIO;
			break;
		}
	}
	blkid_free_probe(pr);
	return ret;
}

int mkfs_device_wipe(struct mkfs_device *dev, u64 fs_size, bool discard,
		     bool zero_end, struct mkfs_err *err)
{
	int i, ret;

	if (discard)
		discard_range(dev, fs_size);
	ret = blkid_wipe(dev);
	if (ret)
		return mkfs_err_set(err, ret, "cannot erase old signatures on '%s'",
				    dev->path);
	/* The reserved first megabyte holds boot code, labels, the primary. */
	ret = zero_range(dev->fd, 0, MKFS_RESERVED_START);
	for (i = 1; i < BTRFS_SUPER_MIRROR_MAX && !ret; i++)
		if (btrfs_sb_offset(i) + BTRFS_SUPER_INFO_SIZE <= dev->size)
			ret = zero_range(dev->fd, btrfs_sb_offset(i),
					 BTRFS_SUPER_INFO_SIZE);
	/* Backup GPT headers and RAID labels live at the end. */
	if (!ret && zero_end && dev->size > 2 * SZ_1M)
		ret = zero_range(dev->fd, dev->size - SZ_1M, SZ_1M);
	if (!ret && fsync(dev->fd))
		ret = -errno;
	if (ret)
		return mkfs_err_set(err, ret, "cannot erase old signatures on '%s': %s",
				    dev->path, strerror(-ret));
	return 0;
}

bool mkfs_uuid_in_use(const u8 *fsid)
{
	char str[BTRFS_UUID_UNPARSED_SIZE];
	blkid_cache cache;
	bool found;

	if (blkid_get_cache(&cache, "/dev/null") < 0)
		return false;
	blkid_probe_all(cache);
	uuid_unparse(fsid, str);
	found = blkid_find_dev_with_tag(cache, "UUID", str) != NULL;
	blkid_put_cache(cache);
	return found;
}
