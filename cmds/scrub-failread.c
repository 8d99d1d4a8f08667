// SPDX-License-Identifier: GPL-2.0-only
/*
 * TEST HOOK ONLY: BTRFS_DAX_FAIL_READ=DEVID:START:LEN[,DEVID:START:LEN...]
 * makes every read that touches one of these device byte ranges fail with
 * EIO, as a media error on pmem would.  Device-mapper's "error" target is
 * the real thing but is not available everywhere the tests run; this
 * wraps the devices' I/O ops the way kernel-shared/io-log.c does.  Only
 * `btrfs scrub start` reads the variable, after the filesystem is open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds/scrub.h"
#include "common/utils.h"

#define FAIL_RANGES_MAX 16

struct fail_range {
	u64 devid, start, len;
};

struct fail_dev {
	const struct btrfs_io_ops *ops;
	void *priv;
	u64 devid;
	struct fail_range r[FAIL_RANGES_MAX];
	int nr;
};

static ssize_t fail_pread(void *priv, void *buf, size_t len, u64 off)
{
	struct fail_dev *fd = priv;
	int i;

	for (i = 0; i < fd->nr; i++) {
		const struct fail_range *r = &fd->r[i];

		if (r->devid == fd->devid && off < r->start + r->len &&
		    r->start < off + len) {
			errno = EIO;
			return -1;
		}
	}
	return fd->ops->pread(fd->priv, buf, len, off);
}

static ssize_t fail_pwrite(void *priv, const void *buf, size_t len, u64 off)
{
	struct fail_dev *fd = priv;

	return fd->ops->pwrite(fd->priv, buf, len, off);
}

static int fail_flush(void *priv)
{
	struct fail_dev *fd = priv;

	return fd->ops->flush ? fd->ops->flush(fd->priv) : 0;
}

static void fail_close(void *priv)
{
	struct fail_dev *fd = priv;

	if (fd->ops->close)
		fd->ops->close(fd->priv);
	free(fd);
}

static const struct btrfs_io_ops fail_io_ops = {
	.pread = fail_pread,
	.pwrite = fail_pwrite,
	.flush = fail_flush,
	.close = fail_close,
};

static int spec_parse(const char *spec, struct fail_range *r, int *nr)
{
	char *copy = strdup(spec), *tok, *save = NULL;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	*nr = 0;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		char *a = strchr(tok, ':'), *b = a ? strchr(a + 1, ':') : NULL;

		if (!b || *nr == FAIL_RANGES_MAX) {
			ret = -EINVAL;
			break;
		}
		*a = *b = '\0';
		if (arg_strtou64(tok, &r[*nr].devid) ||
		    arg_strtou64(a + 1, &r[*nr].start) ||
		    arg_strtou64(b + 1, &r[*nr].len) || !r[*nr].len)
			ret = -EINVAL;
		else
			(*nr)++;
	}
	free(copy);
	return ret;
}

int scrub_failread_install(struct btrfs_fs_info *fs_info, const char *spec,
			   char *err, size_t errlen)
{
	struct fail_range r[FAIL_RANGES_MAX];
	struct btrfs_device *dev;
	int nr, ret;

	ret = spec_parse(spec, r, &nr);
	if (ret) {
		snprintf(err, errlen,
			 "invalid BTRFS_DAX_FAIL_READ '%s', want DEVID:START:LEN[,...]",
			 spec);
		return ret;
	}
	for (dev = fs_info->devices; dev; dev = dev->next) {
		struct fail_dev *fd = calloc(1, sizeof(*fd));

		if (!fd)
			return -ENOMEM;
		fd->ops = dev->ops;
		fd->priv = dev->io_priv;
		fd->devid = dev->devid;
		memcpy(fd->r, r, sizeof(r));
		fd->nr = nr;
		dev->ops = &fail_io_ops;
		dev->io_priv = fd;
	}
	return 0;
}
