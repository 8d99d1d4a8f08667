// SPDX-License-Identifier: GPL-2.0-only
/*
 * txn-replay: applies a prefix of a write log made by txn-edit -l onto
 * copies of the original images, as a crash at that point would leave them.
 *
 *   txn-replay LOG info
 *       one line per entry: "INDEX write DEVID OFFSET LENGTH [super N]"
 *       or "INDEX flush DEVID"
 *   txn-replay [-r SEED] [-t] LOG N IMAGE[,IMAGE...]
 *       applies entries 0..N-1; image i is device i+1.
 *       -r  writes after the last flush among them reach the disk or not,
 *           at random (a lost flush: the device may drop or reorder them)
 *       -t  the last entry is written only half (a torn write)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/transaction.h"

static int super_mirror_at(u64 offset, u32 len)
{
	int i;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++)
		if (offset == btrfs_sb_offset(i) && len == BTRFS_SUPER_INFO_SIZE)
			return i;
	return -1;
}

static void info(const struct io_log *log)
{
	u32 i;

	for (i = 0; i < log->nr; i++) {
		const struct io_log_entry *e = &log->e[i];
		int m = super_mirror_at(e->offset, e->len);

		if (e->type == IO_LOG_FLUSH) {
			printf("%u flush %llu\n", i, (unsigned long long)e->devid);
			continue;
		}
		printf("%u write %llu %llu %u", i, (unsigned long long)e->devid,
		       (unsigned long long)e->offset, e->len);
		if (m >= 0)
			printf(" super %d", m);
		putchar('\n');
	}
}

static int write_all(int fd, const u8 *buf, u32 len, u64 off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n <= 0)
			return -EIO;
		buf += n;
		len -= (u32)n;
		off += (u64)n;
	}
	return 0;
}

static int apply(const struct io_log *log, u32 n, const int *fds, int nfds,
		 unsigned int seed, bool tear)
{
	u32 i, last_flush = 0;
	int ret;

	for (i = 0; i < n; i++)
		if (log->e[i].type == IO_LOG_FLUSH)
			last_flush = i + 1;
	srand(seed);
	for (i = 0; i < n; i++) {
		const struct io_log_entry *e = &log->e[i];
		u32 len = e->len;

		if (e->type != IO_LOG_WRITE)
			continue;
		if (e->devid == 0 || e->devid > (u64)nfds)
			return -ENODEV;
		if (seed && i >= last_flush && rand() % 2)
			continue;
		if (tear && i == n - 1)
			len /= 2;
		ret = write_all(fds[e->devid - 1], e->data, len, e->offset);
		if (ret)
			return ret;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct io_log log;
	unsigned int seed = 0;
	bool tear = false;
	int fds[16], nfds = 0, c, ret, i;
	char *p;
	u32 n;

	while ((c = getopt(argc, argv, "r:t")) != -1) {
		if (c == 'r')
			seed = (unsigned int)strtoul(optarg, NULL, 0) | 1U;
		else if (c == 't')
			tear = true;
		else
			return 1;
	}
	if (optind + 2 > argc) {
		fprintf(stderr, "usage: txn-replay LOG info | [-r SEED] [-t] LOG N IMAGE[,IMAGE]\n");
		return 1;
	}
	ret = io_log_load(argv[optind], &log);
	if (ret) {
		fprintf(stderr, "txn-replay: cannot load '%s': %s\n",
			argv[optind], strerror(-ret));
		return 1;
	}
	if (!strcmp(argv[optind + 1], "info")) {
		info(&log);
		io_log_free(&log);
		return 0;
	}
	n = (u32)strtoul(argv[optind + 1], NULL, 0);
	if (optind + 3 > argc || n > log.nr) {
		fprintf(stderr, "txn-replay: bad arguments\n");
		io_log_free(&log);
		return 1;
	}
	for (p = strtok(argv[optind + 2], ","); p && nfds < 16;
	     p = strtok(NULL, ",")) {
		fds[nfds] = open(p, O_WRONLY);
		if (fds[nfds] < 0) {
			fprintf(stderr, "txn-replay: cannot open '%s': %m\n", p);
			return 1;
		}
		nfds++;
	}
	ret = apply(&log, n, fds, nfds, seed, tear);
	for (i = 0; i < nfds; i++)
		if (fsync(fds[i]) || close(fds[i]))
			ret = -EIO;
	io_log_free(&log);
	if (ret)
		fprintf(stderr, "txn-replay: %s\n", strerror(-ret));
	return ret ? 1 : 0;
}
