// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fills a directory of a mounted btrfs quickly for bench/check.sh: many
 * small files (empty, inline and one-extent), hard links, and a few files
 * written by interleaved 4 KiB direct appends so each append is its own
 * extent.  Not part of the tools; built by the bench script.
 *
 *   check-fill DIR FILES FRAG_FILES FRAG_BLOCKS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PER_DIR 1000

static void die(const char *what, const char *path)
{
	fprintf(stderr, "check-fill: %s %s: %s\n", what, path, strerror(errno));
	exit(1);
}

static void write_file(const char *path, const char *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("cannot create", path);
	if (len && write(fd, buf, len) != (ssize_t)len)
		die("cannot write", path);
	close(fd);
}

/* File i of the small ones: mostly empty, some inline, some one extent. */
static void small_file(const char *dir, long i, const char *data)
{
	char path[4200];
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f%ld", dir, i);
	if (i % 4 == 1)
		len = 40 + (size_t)(i % 200);		/* inline */
	else if (i % 32 == 2)
		len = 8192 + (size_t)(i % 7) * 4096;	/* a regular extent */
	write_file(path, data + (i % 512), len);
}

static void fill_small(const char *root, long count)
{
	static char data[64 * 1024];
	char dir[2048], alias[4096], target[4096];
	long i;

	for (i = 0; i < (long)sizeof(data); i++)
		data[i] = (char)('a' + (i * 7 + i / 13) % 26);
	for (i = 0; i < count; i++) {
		if (i % PER_DIR == 0) {
			snprintf(dir, sizeof(dir), "%s/d%ld", root, i / 100000);
			if (mkdir(dir, 0755) && errno != EEXIST)
				die("cannot make", dir);
			snprintf(dir, sizeof(dir), "%s/d%ld/e%ld", root,
				 i / 100000, i / PER_DIR % 100);
			if (mkdir(dir, 0755) && errno != EEXIST)
				die("cannot make", dir);
		}
		small_file(dir, i, data);
		/* Every 50th file gets a second name in the same directory. */
		if (i % 50 == 7) {
			snprintf(target, sizeof(target), "%s/f%ld", dir, i);
			snprintf(alias, sizeof(alias), "%s/l%ld", dir, i);
			if (link(target, alias))
				die("cannot link", alias);
		}
	}
}

/*
 * Appends 4 KiB blocks round-robin to 'files' files with O_DIRECT: the
 * allocator places them interleaved, so no two appends of a file merge
 * into one extent.
 */
static void fill_fragmented(const char *root, int files, long blocks)
{
	char path[4096];
	int *fds = calloc((size_t)files, sizeof(*fds));
	void *buf;
	long b;
	int f;

	if (!fds || posix_memalign(&buf, 4096, 4096))
		die("out of memory", "");
	snprintf(path, sizeof(path), "%s/frag", root);
	if (mkdir(path, 0755) && errno != EEXIST)
		die("cannot make", path);
	for (f = 0; f < files; f++) {
		snprintf(path, sizeof(path), "%s/frag/g%d", root, f);
		fds[f] = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
		if (fds[f] < 0)
			die("cannot create", path);
	}
	for (b = 0; b < blocks; b++) {
		f = (int)(b % files);
		memset(buf, (int)(b & 0xff), 4096);
		((long *)buf)[0] = b;
		if (write(fds[f], buf, 4096) != 4096)
			die("cannot write", "a fragmented file");
	}
	for (f = 0; f < files; f++)
		close(fds[f]);
	free(fds);
	free(buf);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: check-fill DIR FILES FRAG_FILES FRAG_BLOCKS\n");
		return 2;
	}
	fill_small(argv[1], atol(argv[2]));
	if (atoi(argv[3]) > 0)
		fill_fragmented(argv[1], atoi(argv[3]), atol(argv[4]));
	return 0;
}
