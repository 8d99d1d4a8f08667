/* SPDX-License-Identifier: GPL-2.0-only */
/* The saved result of the last offline scrub of a filesystem. */
#ifndef BTRFS_DAX_CMDS_SCRUB_STATUS_H
#define BTRFS_DAX_CMDS_SCRUB_STATUS_H

#include <time.h>
#include "cmds/scrub.h"

#define SCRUB_STATUS_DIR "/var/lib/btrfs"

struct scrub_status {
	char fsid[BTRFS_UUID_UNPARSED_SIZE];
	time_t started;
	u64 duration;		/* seconds */
	char status[32];	/* "finished", "interrupted" */
	struct scrub_dev *devs;	/* devid, path, counters */
	u32 nr_devs;
};

void scrub_status_path(const char *fsid, char *out, size_t len);
int scrub_status_save(const struct scrub_status *st);
int scrub_status_load(const char *fsid, struct scrub_status *st);
void scrub_status_free(struct scrub_status *st);

#endif
