// SPDX-License-Identifier: GPL-2.0-only
/*
 * A btrfs_io_ops wrapper that records every write and flush, in order, for
 * crash tests: replaying a prefix of the log onto a copy of the original
 * image gives the image as a crash at that point would have left it.
 *
 * The log file: the magic "BTRFSIOLOG1\n", a le32 entry count, then per
 * entry le32 type, le32 length, le64 devid, le64 offset and the data.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kernel-shared/transaction.h"

#define IO_LOG_MAGIC "BTRFSIOLOG1\n"

struct io_log_dev {
	const struct btrfs_io_ops *ops;
	void *priv;
	struct io_log *log;
	u64 devid;
};

static void log_record(struct io_log_dev *ld, enum io_log_type type,
		       const void *buf, u32 len, u64 off)
{
	struct io_log *log = ld->log;
	struct io_log_entry *e;

	if (log->nr == log->alloc) {
		u32 n = log->alloc ? log->alloc * 2 : 256;
		struct io_log_entry *p = realloc(log->e, n * sizeof(*p));

		if (!p) {
			log->err = -ENOMEM;
			return;
		}
		log->e = p;
		log->alloc = n;
	}
	e = &log->e[log->nr];
	memset(e, 0, sizeof(*e));
	e->type = type;
	e->devid = ld->devid;
	e->offset = off;
	e->len = len;
	if (len) {
		e->data = malloc(len);
		if (!e->data) {
			log->err = -ENOMEM;
			return;
		}
		memcpy(e->data, buf, len);
	}
	log->nr++;
}

static ssize_t log_pread(void *priv, void *buf, size_t len, u64 off)
{
	struct io_log_dev *ld = priv;

	return ld->ops->pread(ld->priv, buf, len, off);
}

static ssize_t log_pwrite(void *priv, const void *buf, size_t len, u64 off)
{
	struct io_log_dev *ld = priv;
	ssize_t n = ld->ops->pwrite(ld->priv, buf, len, off);

	if (n > 0)
		log_record(ld, IO_LOG_WRITE, buf, (u32)n, off);
	return n;
}

static int log_flush(void *priv)
{
	struct io_log_dev *ld = priv;
	int ret = ld->ops->flush ? ld->ops->flush(ld->priv) : 0;

	if (!ret)
		log_record(ld, IO_LOG_FLUSH, NULL, 0, 0);
	return ret;
}

static int log_discard(void *priv, u64 off, u64 len)
{
	struct io_log_dev *ld = priv;

	return ld->ops->discard ? ld->ops->discard(ld->priv, off, len) :
				  -EOPNOTSUPP;
}

static void log_close(void *priv)
{
	struct io_log_dev *ld = priv;

	if (ld->ops->close)
		ld->ops->close(ld->priv);
	free(ld);
}

static const struct btrfs_io_ops log_io_ops = {
	.pread = log_pread,
	.pwrite = log_pwrite,
	.flush = log_flush,
	.discard = log_discard,
	.close = log_close,
};

int io_log_attach(struct btrfs_fs_info *fs_info, struct io_log *log)
{
	struct btrfs_device *dev;

	for (dev = fs_info->devices; dev; dev = dev->next) {
		struct io_log_dev *ld = calloc(1, sizeof(*ld));

		if (!ld)
			return -ENOMEM;
		ld->ops = dev->ops;
		ld->priv = dev->io_priv;
		ld->log = log;
		ld->devid = dev->devid;
		dev->ops = &log_io_ops;
		dev->io_priv = ld;
	}
	return 0;
}

static int put_u32(FILE *f, u32 v)
{
	__le32 le = cpu_to_le32(v);

	return fwrite(&le, sizeof(le), 1, f) == 1 ? 0 : -EIO;
}

static int put_u64(FILE *f, u64 v)
{
	__le64 le = cpu_to_le64(v);

	return fwrite(&le, sizeof(le), 1, f) == 1 ? 0 : -EIO;
}

int io_log_save(const struct io_log *log, const char *path)
{
	FILE *f;
	u32 i;
	int ret;

	if (log->err)
		return log->err;
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	ret = fwrite(IO_LOG_MAGIC, strlen(IO_LOG_MAGIC), 1, f) == 1 ? 0 : -EIO;
	if (!ret)
		ret = put_u32(f, log->nr);
	for (i = 0; i < log->nr && !ret; i++) {
		const struct io_log_entry *e = &log->e[i];

		ret = put_u32(f, e->type);
		if (!ret)
			ret = put_u32(f, e->len);
		if (!ret)
			ret = put_u64(f, e->devid);
		if (!ret)
			ret = put_u64(f, e->offset);
		if (!ret && e->len && fwrite(e->data, e->len, 1, f) != 1)
			ret = -EIO;
	}
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

static int get_u32(FILE *f, u32 *v)
{
	__le32 le;

	if (fread(&le, sizeof(le), 1, f) != 1)
		return -EIO;
	*v = le32_to_cpu(le);
	return 0;
}

static int get_u64(FILE *f, u64 *v)
{
	__le64 le;

	if (fread(&le, sizeof(le), 1, f) != 1)
		return -EIO;
	*v = le64_to_cpu(le);
	return 0;
}

static int load_entry(FILE *f, struct io_log_entry *e)
{
	u32 type;
	int ret;

	ret = get_u32(f, &type);
	if (!ret)
		ret = get_u32(f, &e->len);
	if (!ret)
		ret = get_u64(f, &e->devid);
	if (!ret)
		ret = get_u64(f, &e->offset);
	if (ret)
		return ret;
	if ((type != IO_LOG_WRITE && type != IO_LOG_FLUSH) ||
	    e->len > (64U << 20))
		return -EINVAL;
	e->type = type;
	if (!e->len)
		return 0;
	e->data = malloc(e->len);
	if (!e->data)
		return -ENOMEM;
	return fread(e->data, e->len, 1, f) == 1 ? 0 : -EIO;
}

int io_log_load(const char *path, struct io_log *log)
{
	char magic[sizeof(IO_LOG_MAGIC)];
	FILE *f;
	u32 nr, i;
	int ret;

	memset(log, 0, sizeof(*log));
	f = fopen(path, "rb");
	if (!f)
		return -errno;
	ret = fread(magic, strlen(IO_LOG_MAGIC), 1, f) == 1 &&
	      !memcmp(magic, IO_LOG_MAGIC, strlen(IO_LOG_MAGIC)) ? 0 : -EINVAL;
	if (!ret)
		ret = get_u32(f, &nr);
	if (!ret) {
		log->e = calloc(nr ? nr : 1, sizeof(*log->e));
		ret = log->e ? 0 : -ENOMEM;
	}
	for (i = 0; !ret && i < nr; i++) {
		log->alloc = log->nr = i + 1;
		ret = load_entry(f, &log->e[i]);
	}
	fclose(f);
	if (ret)
		io_log_free(log);
	return ret;
}

void io_log_free(struct io_log *log)
{
	u32 i;

	for (i = 0; i < log->nr; i++)
		free(log->e[i].data);
	free(log->e);
	memset(log, 0, sizeof(*log));
}
