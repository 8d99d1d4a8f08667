// SPDX-License-Identifier: GPL-2.0-only
/*
 * The status file of the offline scrub: the last result per filesystem, in
 * $BTRFS_DAX_SCRUB_STATUS_DIR (default /var/lib/btrfs) as
 * scrub-offline.status.<fsid>.  Not stock's scrub.status.<fsid>: the
 * kernel's scrub keeps its own file there, in its own format.
 *
 *   btrfs-dax-progs scrub status 1
 *   fsid <uuid>
 *   started <seconds since the epoch>
 *   duration <seconds>
 *   status finished|interrupted
 *   device <devid> <counter>:<value> ... path:<path to the end of the line>
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmds/scrub-status.h"

#define STATUS_MAGIC "btrfs-dax-progs scrub status 1"

void scrub_status_path(const char *fsid, char *out, size_t len)
{
	const char *dir = getenv("BTRFS_DAX_SCRUB_STATUS_DIR");

	if (!dir || !dir[0])
		dir = SCRUB_STATUS_DIR;
	snprintf(out, len, "%s/scrub-offline.status.%s", dir, fsid);
}

int scrub_status_save(const struct scrub_status *st)
{
	char path[4096], tmp[4200];
	FILE *f;
	u32 i;
	int c, ret = 0;

	scrub_status_path(st->fsid, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp%d", path, (int)getpid());
	if (!getenv("BTRFS_DAX_SCRUB_STATUS_DIR"))
		mkdir(SCRUB_STATUS_DIR, 0755);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	fprintf(f, "%s\nfsid %s\nstarted %lld\nduration %llu\nstatus %s\n",
		STATUS_MAGIC, st->fsid, (long long)st->started,
		(unsigned long long)st->duration, st->status);
	for (i = 0; i < st->nr_devs; i++) {
		fprintf(f, "device %llu", (unsigned long long)st->devs[i].devid);
		for (c = 0; c < SC_NR; c++)
			fprintf(f, " %s:%llu", scrub_counter_names[c],
				(unsigned long long)st->devs[i].c[c]);
		fprintf(f, " path:%s\n", st->devs[i].path ? st->devs[i].path : "");
	}
	if (fflush(f) || fsync(fileno(f)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int device_line_parse(char *line, struct scrub_dev *sd)
{
	char *tok = line, *path = strstr(line, " path:");
	unsigned long long v;
	int c;

	if (!path)
		return -EINVAL;
	*path = '\0';
	sd->path = strdup(path + 6);
	if (!sd->path)
		return -ENOMEM;
	if (sscanf(tok, "device %llu", &v) != 1)
		return -EINVAL;
	sd->devid = v;
	sd->wfd = -1;
	tok = strchr(tok + 7, ' ');
	while (tok && (tok = strchr(tok, ' ')) != NULL) {
		char name[64];

		tok++;
		if (sscanf(tok, "%63[a-z_]:%llu", name, &v) != 2)
			return -EINVAL;
		for (c = 0; c < SC_NR; c++)
			if (!strcmp(name, scrub_counter_names[c]))
				sd->c[c] = v;
	}
	return 0;
}

int scrub_status_load(const char *fsid, struct scrub_status *st)
{
	char path[4096], line[8192], status[32];
	long long started;
	unsigned long long dur;
	FILE *f;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	scrub_status_path(fsid, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(line, sizeof(line), f) || strncmp(line, STATUS_MAGIC,
						     strlen(STATUS_MAGIC))) {
		fclose(f);
		return -EINVAL;
	}
	snprintf(st->fsid, sizeof(st->fsid), "%s", fsid);
	while (!ret && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "started %lld", &started) == 1) {
			st->started = (time_t)started;
		} else if (sscanf(line, "duration %llu", &dur) == 1) {
			st->duration = dur;
		} else if (sscanf(line, "status %31s", status) == 1) {
			snprintf(st->status, sizeof(st->status), "%s", status);
		} else if (!strncmp(line, "device ", 7)) {
			struct scrub_dev *p = realloc(st->devs,
					(st->nr_devs + 1) * sizeof(*p));

			if (!p) {
				ret = -ENOMEM;
				break;
			}
			st->devs = p;
			memset(&p[st->nr_devs], 0, sizeof(*p));
			ret = device_line_parse(line, &p[st->nr_devs]);
			st->nr_devs++;
		}
	}
	fclose(f);
	if (!ret && !st->nr_devs)
		ret = -EINVAL;
	if (ret)
		scrub_status_free(st);
	return ret;
}

void scrub_status_free(struct scrub_status *st)
{
	u32 i;

	for (i = 0; i < st->nr_devs; i++)
		free(st->devs[i].path);
	free(st->devs);
	st->devs = NULL;
	st->nr_devs = 0;
}
