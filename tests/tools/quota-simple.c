// SPDX-License-Identifier: GPL-2.0-only
/*
 * quota-simple: enables simple quotas on a mounted btrfs, which stock
 * btrfs-progs 6.2 cannot ask the kernel for (`btrfs quota enable --simple`
 * came with 6.7).
 *
 *   quota-simple MOUNTPOINT
 *
 * Exits 0 when the kernel enabled them, 1 with the kernel's reason else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/types.h>

/* From the kernel's uapi linux/btrfs.h; older headers lack the command. */
struct quota_ctl_args {
	__u64 cmd;
	__u64 status;
};

#define QUOTA_IOCTL_MAGIC		0x94
#define QUOTA_CTL_ENABLE_SIMPLE		4
#define IOC_QUOTA_CTL _IOWR(QUOTA_IOCTL_MAGIC, 40, struct quota_ctl_args)

int main(int argc, char **argv)
{
	struct quota_ctl_args args = { .cmd = QUOTA_CTL_ENABLE_SIMPLE };
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: quota-simple MOUNTPOINT\n");
		return 1;
	}
	fd = open(argv[1], O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fprintf(stderr, "quota-simple: cannot open '%s': %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	ret = ioctl(fd, IOC_QUOTA_CTL, &args);
	if (ret < 0)
		fprintf(stderr, "quota-simple: cannot enable simple quotas on '%s': %s\n",
			argv[1], strerror(errno));
	close(fd);
	return ret < 0;
}
