// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs scrub start/status: the offline scrub of an unmounted filesystem.
 * The engine is in scrub-engine.c; here are the options, the refusal of
 * mounted filesystems, bad block lists, the output in stock's field names
 * and layout, and the saved status.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "kernel-shared/device-use.h"
#include "cmds/commands.h"
#include "cmds/scrub.h"
#include "cmds/scrub-status.h"
#include "common/format.h"
#include "common/help.h"
#include "common/messages.h"

struct scrub_opts {
	bool readonly, raw, per_dev, json, quiet;
	const char *badblocks;
};

/* ---------------------------------------------------------------- JSON */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void json_counters(FILE *f, const u64 *c, const char *indent)
{
	int i;

	for (i = 0; i < SC_NR; i++)
		fprintf(f, "%s\"%s\": %llu%s\n", indent, scrub_counter_names[i],
			(unsigned long long)c[i], i + 1 < SC_NR ? "," : "");
}

static const char *const err_kind_name[] = { "tree", "data", "super", "parity" };
static const char *const err_type_name[] = { "read", "csum", "verify" };
static const char *const fix_name[] = {
	[SF_NONE] = "uncorrectable", [SF_FIXED] = "fixed",
	[SF_READONLY] = "correctable", [SF_FAILED] = "failed",
	[SF_UNVERIFIED] = "unverified",
};

static void json_err(FILE *f, const struct scrub_err *e, bool last)
{
	fprintf(f, "    { \"kind\": \"%s\", \"error\": \"%s\", \"logical\": %llu, "
		"\"length\": %llu, \"copy\": %d, \"devid\": %llu, \"physical\": %llu, ",
		err_kind_name[e->kind], err_type_name[e->type],
		(unsigned long long)e->logical, (unsigned long long)e->len,
		e->copy, (unsigned long long)e->devid,
		(unsigned long long)e->physical);
	if (e->kind == SE_TREE)
		fprintf(f, "\"level\": %d, \"tree\": %llu, ", e->level,
			(unsigned long long)e->tree);
	fprintf(f, "\"detail\": ");
	json_str(f, e->why);
	fprintf(f, ", \"repair\": \"%s\", \"owners\": ", fix_name[e->fix]);
	if (e->owners_ret)
		fprintf(f, "null");
	else
		owner_list_print_json(f, &e->owners);
	fprintf(f, " }%s\n", last ? "" : ",");
}

static void json_bad(FILE *f, const struct scrub_bad *b, bool last)
{
	fprintf(f, "    { \"devid\": %llu, \"source\": \"%s\", \"start\": %llu, "
		"\"length\": %llu, \"owners\": ", (unsigned long long)b->devid,
		b->source, (unsigned long long)b->start,
		(unsigned long long)b->len);
	if (b->owners_ret)
		fprintf(f, "null");
	else
		owner_list_print_json(f, &b->owners);
	fprintf(f, " }%s\n", last ? "" : ",");
}

static void totals(const struct scrub_dev *devs, u32 n, u64 *c)
{
	u32 i;
	int k;

	memset(c, 0, sizeof(u64) * SC_NR);
	for (i = 0; i < n; i++)
		for (k = 0; k < SC_NR; k++) {
			if (k == SC_LAST_PHYSICAL)
				c[k] = devs[i].c[k] > c[k] ? devs[i].c[k] : c[k];
			else
				c[k] += devs[i].c[k];
		}
}

static void json_status(FILE *f, const struct scrub_status *st,
			const struct scrub_ctx *sc)
{
	u64 c[SC_NR];
	u32 i;

	totals(st->devs, st->nr_devs, c);
	fprintf(f, "{\n  \"fsid\": \"%s\",\n  \"started\": %lld,\n"
		"  \"duration\": %llu,\n  \"status\": \"%s\",\n",
		st->fsid, (long long)st->started,
		(unsigned long long)st->duration, st->status);
	if (sc)
		fprintf(f, "  \"readonly\": %s,\n", sc->readonly ? "true" : "false");
	fprintf(f, "  \"total\": {\n");
	json_counters(f, c, "    ");
	fprintf(f, "  },\n  \"devices\": [\n");
	for (i = 0; i < st->nr_devs; i++) {
		fprintf(f, "    {\n      \"devid\": %llu,\n      \"path\": ",
			(unsigned long long)st->devs[i].devid);
		json_str(f, st->devs[i].path ? st->devs[i].path : "");
		fprintf(f, ",\n");
		json_counters(f, st->devs[i].c, "      ");
		fprintf(f, "    }%s\n", i + 1 < st->nr_devs ? "," : "");
	}
	fprintf(f, "  ]");
	if (sc) {
		fprintf(f, ",\n  \"errors\": [\n");
		for (i = 0; i < sc->nr_errs; i++)
			json_err(f, &sc->errs[i], i + 1 == sc->nr_errs);
		fprintf(f, "  ],\n  \"badblocks\": [\n");
		for (i = 0; i < sc->nr_bads; i++)
			json_bad(f, &sc->bads[i], i + 1 == sc->nr_bads);
		fprintf(f, "  ]");
	}
	fprintf(f, "\n}\n");
}

/* ---------------------------------------------------------------- text */

static void print_summary(const struct scrub_status *st, const u64 *c,
			  bool raw)
{
	char date[64], size[FORMAT_SIZE_LEN], rate[FORMAT_SIZE_LEN];
	struct tm tm;
	u64 bytes = c[SC_DATA_BYTES] + c[SC_TREE_BYTES];
	u64 errs = c[SC_READ_ERRORS] + c[SC_CSUM_ERRORS] +
		   c[SC_VERIFY_ERRORS] + c[SC_SUPER_ERRORS];
	int i;

	localtime_r(&st->started, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	printf("Scrub started:    %s\n", date);
	printf("Status:           %s\n", st->status);
	printf("Duration:         %llu:%02llu:%02llu\n",
	       (unsigned long long)(st->duration / 3600),
	       (unsigned long long)(st->duration / 60 % 60),
	       (unsigned long long)(st->duration % 60));
	if (raw) {
		for (i = 0; i < SC_NR; i++)
			printf("\t%s: %llu\n", scrub_counter_names[i],
			       (unsigned long long)c[i]);
		return;
	}
	format_size_pretty(bytes, size);
	format_size_pretty(st->duration ? bytes / st->duration : 0, rate);
	printf("Total to scrub:   %s\n", size);
	printf("Rate:             %s/s\n", rate);
	if (!errs) {
		printf("Error summary:    no errors found\n");
	} else {
		printf("Error summary:   ");
		if (c[SC_READ_ERRORS])
			printf(" read=%llu", (unsigned long long)c[SC_READ_ERRORS]);
		if (c[SC_SUPER_ERRORS])
			printf(" super=%llu", (unsigned long long)c[SC_SUPER_ERRORS]);
		if (c[SC_VERIFY_ERRORS])
			printf(" verify=%llu", (unsigned long long)c[SC_VERIFY_ERRORS]);
		if (c[SC_CSUM_ERRORS])
			printf(" csum=%llu", (unsigned long long)c[SC_CSUM_ERRORS]);
		printf("\n  Corrected:      %llu\n  Uncorrectable:  %llu\n"
		       "  Unverified:     %llu\n",
		       (unsigned long long)c[SC_CORRECTED],
		       (unsigned long long)c[SC_UNCORRECTABLE],
		       (unsigned long long)c[SC_UNVERIFIED]);
	}
	format_size_pretty(c[SC_NODATASUM_BYTES], size);
	format_size_pretty(c[SC_DAX_BYTES], rate);
	printf("No checksum:      %s read without checksums, %s of it in DAX files\n",
	       size, rate);
}

static void print_status(const struct scrub_status *st, bool raw, bool per_dev,
			 bool history)
{
	u64 c[SC_NR];
	u32 i;

	if (!per_dev) {
		totals(st->devs, st->nr_devs, c);
		print_summary(st, c, raw);
		return;
	}
	for (i = 0; i < st->nr_devs; i++) {
		printf("\nScrub device %s (id %llu) %s\n",
		       st->devs[i].path ? st->devs[i].path : "",
		       (unsigned long long)st->devs[i].devid,
		       history ? "history" : "done");
		print_summary(st, st->devs[i].c, raw);
	}
}

static void print_bad(const struct scrub_ctx *sc, const struct scrub_bad *b)
{
	struct scrub_dev *sd = scrub_dev_find((struct scrub_ctx *)sc, b->devid);

	printf("bad blocks (%s): devid %llu %s offset %llu len %llu\n",
	       b->source, (unsigned long long)b->devid,
	       sd && sd->path ? sd->path : "", (unsigned long long)b->start,
	       (unsigned long long)b->len);
	if (b->owners_ret)
		printf("\towner: unknown (%s)\n", strerror(-b->owners_ret));
	else
		owner_list_print_text(stdout, &b->owners, "\t");
}

/* ---------------------------------------------------------- bad blocks */

static int bads_add(struct scrub_ctx *sc, u64 devid, const char *source,
		    const struct bad_range *r, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++) {
		struct scrub_bad *b;

		if (sc->nr_bads == sc->alloc_bads) {
			u32 n = sc->alloc_bads ? sc->alloc_bads * 2 : 16;
			struct scrub_bad *p = realloc(sc->bads, n * sizeof(*p));

			if (!p)
				return -ENOMEM;
			sc->bads = p;
			sc->alloc_bads = n;
		}
		b = &sc->bads[sc->nr_bads++];
		memset(b, 0, sizeof(*b));
		b->devid = devid;
		b->source = source;
		b->start = r[i].start;
		b->len = r[i].len;
		b->owners_ret = owners_resolve_physical(sc->fs_info, devid,
							b->start, b->len,
							&b->owners);
	}
	return 0;
}

/* --badblocks FILE for the first device, and every device's sysfs list. */
static int bads_collect(struct scrub_ctx *sc, const char *file)
{
	struct bad_range *r = NULL;
	char err[256] = "";
	u32 nr = 0, i;
	int ret;

	if (file) {
		ret = badblocks_read_file(file, &r, &nr, err, sizeof(err));
		if (ret) {
			error("cannot read bad blocks from '%s': %s", file,
			      err[0] ? err : strerror(-ret));
			return ret;
		}
		ret = bads_add(sc, sc->devs[0].devid, "file", r, nr);
		free(r);
		if (ret)
			return ret;
	}
	for (i = 0; i < sc->nr_devs; i++) {
		r = NULL;
		nr = 0;
		err[0] = '\0';
		ret = badblocks_read_sysfs(sc->devs[i].path, &r, &nr, err,
					   sizeof(err));
		if (ret) {
			warning("cannot read the bad blocks of '%s': %s",
				sc->devs[i].path, err[0] ? err : strerror(-ret));
			continue;
		}
		ret = bads_add(sc, sc->devs[i].devid, "sysfs", r, nr);
		free(r);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---------------------------------------------------------------- start */

static int refuse_mounted(char **paths, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		struct stat st;
		int ret = device_is_mounted(paths[i]);

		/* A directory: most likely a mount point, as stock scrub takes. */
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			ret = 1;
		if (ret > 0) {
			error("'%s' is %s: 'btrfs scrub' of btrfs-dax-progs is the offline scrub of an unmounted filesystem's devices or images",
			      paths[i], S_ISDIR(st.st_mode) ? "a directory" : "mounted");
			error("scrub a mounted filesystem with the kernel's scrub: stock btrfs-progs 'btrfs scrub start <mountpoint>'");
			return 1;
		}
	}
	return 0;
}

static int devs_setup(struct scrub_ctx *sc)
{
	struct btrfs_device *dev;
	u32 n = 0;

	for (dev = sc->fs_info->devices; dev; dev = dev->next)
		n++;
	sc->devs = calloc(n ? n : 1, sizeof(*sc->devs));
	if (!sc->devs)
		return -ENOMEM;
	for (dev = sc->fs_info->devices; dev; dev = dev->next) {
		struct scrub_dev *sd = &sc->devs[sc->nr_devs++];

		sd->devid = dev->devid;
		/* Absolute, so that the status file names it from anywhere. */
		sd->path = dev->path ? realpath(dev->path, NULL) : NULL;
		if (dev->path && !sd->path)
			sd->path = strdup(dev->path);
		if (dev->path && !sd->path)
			return -ENOMEM;
		sd->dev = dev;
		sd->wfd = -1;
	}
	return 0;
}

/* Repairs write through their own descriptors; -r never opens one. */
static int devs_open_write(struct scrub_ctx *sc)
{
	u32 i;

	for (i = 0; i < sc->nr_devs; i++) {
		struct scrub_dev *sd = &sc->devs[i];
		struct stat st;
		int flags = O_RDWR | O_CLOEXEC;

		if (!sd->path)
			continue;
		if (stat(sd->path, &st) == 0 && S_ISBLK(st.st_mode))
			flags |= O_EXCL;
		sd->wfd = open(sd->path, flags);
		if (sd->wfd < 0) {
			error("cannot open '%s' for repairs: %m (use -r to scrub read-only)",
			      sd->path);
			return -errno;
		}
	}
	return 0;
}

static void ctx_free(struct scrub_ctx *sc)
{
	u32 i;

	for (i = 0; i < sc->nr_devs; i++) {
		if (sc->devs[i].wfd >= 0)
			close(sc->devs[i].wfd);
		free(sc->devs[i].path);
	}
	for (i = 0; i < sc->nr_errs; i++)
		owner_list_free(&sc->errs[i].owners);
	for (i = 0; i < sc->nr_bads; i++)
		owner_list_free(&sc->bads[i].owners);
	free(sc->errs);
	free(sc->bads);
	free(sc->devs);
}

static int start_opts_parse(const struct cmd_struct *cmd, int argc, char **argv,
			    struct scrub_opts *o)
{
	enum { OPT_BADBLOCKS = 256, OPT_JSON };
	static const struct option long_opts[] = {
		{ "badblocks", required_argument, NULL, OPT_BADBLOCKS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "BrRdq", long_opts, NULL)) != -1) {
		switch (c) {
		case 'B':
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'r':
			o->readonly = true;
			break;
		case 'R':
			o->raw = true;
			break;
		case 'd':
			o->per_dev = true;
			break;
		case OPT_BADBLOCKS:
			o->badblocks = optarg;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		default:
			usage_unknown_option(cmd, argv);
			return -EINVAL;
		}
	}
	return 0;
}

static void start_report(struct scrub_ctx *sc, const struct scrub_status *st,
			 const struct scrub_opts *o)
{
	u32 i;

	if (o->json) {
		json_status(stdout, st, sc);
		return;
	}
	if (o->quiet)
		return;
	for (i = 0; i < sc->nr_errs; i++)
		scrub_err_print(stdout, &sc->errs[i]);
	printf("scrub done for %s\n", st->fsid);
	print_status(st, o->raw, o->per_dev, false);
	for (i = 0; i < sc->nr_bads; i++)
		print_bad(sc, &sc->bads[i]);
}

static int scrub_start(struct scrub_ctx *sc, const struct scrub_opts *o,
		       struct scrub_status *st)
{
	const char *spec = getenv("BTRFS_DAX_FAIL_READ");
	char err[256];
	time_t t0 = time(NULL);
	int ret;

	if (spec && spec[0]) {
		ret = scrub_failread_install(sc->fs_info, spec, err, sizeof(err));
		if (ret) {
			error("%s", err);
			return ret;
		}
	}
	ret = scrub_run(sc);
	if (ret && sc->fatal_msg[0])
		error("%s", sc->fatal_msg);
	format_uuid(sc->fs_info->sb.fsid, st->fsid);
	st->started = t0;
	st->duration = (u64)(time(NULL) - t0);
	snprintf(st->status, sizeof(st->status), "%s",
		 ret ? "interrupted" : "finished");
	st->devs = sc->devs;
	st->nr_devs = sc->nr_devs;
	return ret;
}

static int cmd_scrub_start(const struct cmd_struct *cmd, int argc, char **argv)
{
	struct scrub_opts o = { 0 };
	struct scrub_ctx sc;
	struct scrub_status st;
	struct btrfs_open_opts oo;
	u64 c[SC_NR];
	int ret, npaths;

	memset(&sc, 0, sizeof(sc));
	memset(&st, 0, sizeof(st));
	if (start_opts_parse(cmd, argc, argv, &o))
		return 1;
	if (check_argc_min(cmd, argc - optind, 1))
		return 1;
	npaths = argc - optind;
	if (refuse_mounted(argv + optind, npaths))
		return 1;
	btrfs_open_opts_init(&oo);
	ret = btrfs_open_fs((const char *const *)(argv + optind), npaths, &oo,
			    &sc.fs_info);
	if (ret) {
		error("cannot open the filesystem: %s",
		      sc.fs_info && sc.fs_info->err[0] ? sc.fs_info->err :
		      strerror(-ret));
		btrfs_close_fs(sc.fs_info);
		return 1;
	}
	sc.readonly = o.readonly;
	sc.progress = !o.json && isatty(STDERR_FILENO);
	ret = devs_setup(&sc);
	if (!ret) {
		u32 i;

		/* Devices found by the scan may be mounted too. */
		for (i = 0; i < sc.nr_devs && !ret; i++)
			ret = sc.devs[i].path ?
			      refuse_mounted(&sc.devs[i].path, 1) : 0;
		if (ret)
			goto out;
	}
	if (!ret && !o.readonly)
		ret = devs_open_write(&sc);
	if (ret) {
		ret = 1;
		goto out;
	}
	ret = scrub_start(&sc, &o, &st);
	if (bads_collect(&sc, o.badblocks) && !ret)
		ret = -EINVAL;
	if (scrub_status_save(&st)) {
		char path[4096];

		scrub_status_path(st.fsid, path, sizeof(path));
		warning("cannot save the scrub status to '%s': %m", path);
	}
	start_report(&sc, &st, &o);
	totals(sc.devs, sc.nr_devs, c);
	/* Damage found outweighs a scrub that could not read everything. */
	if (c[SC_UNCORRECTABLE])
		ret = 3;
	else if (ret)
		ret = 1;
out:
	ctx_free(&sc);
	btrfs_close_fs(sc.fs_info);
	return ret;
}

/* --------------------------------------------------------------- status */

static int cmd_scrub_status(const struct cmd_struct *cmd, int argc, char **argv)
{
	enum { OPT_JSON = 256 };
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 }
	};
	struct btrfs_fs_info *fs_info = NULL;
	struct btrfs_open_opts oo;
	struct scrub_status st;
	char fsid[FORMAT_UUID_LEN], path[4096];
	bool raw = false, per_dev = false, json = false;
	int c, ret;

	while ((c = getopt_long(argc, argv, "Rd", long_opts, NULL)) != -1) {
		if (c == 'R')
			raw = true;
		else if (c == 'd')
			per_dev = true;
		else if (c == OPT_JSON)
			json = true;
		else
			return usage_unknown_option(cmd, argv);
	}
	if (check_argc_exact(cmd, argc - optind, 1))
		return 1;
	btrfs_open_opts_init(&oo);
	oo.flags = BTRFS_OPEN_SUPER_ONLY | BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs((const char *const *)(argv + optind), 1, &oo,
			    &fs_info);
	if (ret) {
		error("cannot read the superblock of '%s': %s", argv[optind],
		      fs_info && fs_info->err[0] ? fs_info->err : strerror(-ret));
		btrfs_close_fs(fs_info);
		return 1;
	}
	format_uuid(fs_info->sb.fsid, fsid);
	btrfs_close_fs(fs_info);
	ret = scrub_status_load(fsid, &st);
	if (ret) {
		scrub_status_path(fsid, path, sizeof(path));
		if (ret == -ENOENT)
			error("no offline scrub of %s has been recorded ('%s' does not exist)",
			      fsid, path);
		else
			error("cannot read the scrub status '%s': %s", path,
			      strerror(-ret));
		return 1;
	}
	if (json) {
		json_status(stdout, &st, NULL);
	} else {
		printf("UUID:             %s\n", st.fsid);
		print_status(&st, raw, per_dev, true);
	}
	scrub_status_free(&st);
	return 0;
}

/* ---------------------------------------------------------------- table */

static const char *const cmd_scrub_start_usage[] = {
	"btrfs scrub start [-BdqrR] [--badblocks <file>] [--json] <device>|<image> [...]",
	"Scrub an unmounted filesystem offline",
	"Read every superblock copy, every copy of every tree block and of every",
	"data extent, verify checksums, and rewrite damaged copies from good ones.",
	"Data without checksums (nodatasum, DAX files) is read whole: read errors",
	"are reported with the files they hit.  A mounted filesystem is refused:",
	"use the kernel's scrub (stock 'btrfs scrub start <mountpoint>') there.",
	"",
	HELP_OPT("-B", "do not background (always the case)"),
	HELP_OPT("-d", "print statistics per device"),
	HELP_OPT("-q", "print nothing on stdout (the exit status tells)"),
	HELP_OPT("-r", "read-only: report, never write"),
	HELP_OPT("-R", "print raw statistics"),
	HELP_OPT("--badblocks <file>", "bad block list of the first device: 'first-sector count' lines, 512-byte sectors"),
	HELP_OPT("--json", "print the result as one JSON object"),
	NULL
};

static const struct cmd_struct cmd_scrub_start_struct = {
	.name = "start",
	.usage = cmd_scrub_start_usage,
	.fn = cmd_scrub_start,
};

static const char *const cmd_scrub_status_usage[] = {
	"btrfs scrub status [-dR] [--json] <device>|<image>",
	"Show the result of the last offline scrub",
	"Read from $BTRFS_DAX_SCRUB_STATUS_DIR (default /var/lib/btrfs)",
	"/scrub-offline.status.<fsid>.",
	"",
	HELP_OPT("-d", "print statistics per device"),
	HELP_OPT("-R", "print raw statistics"),
	HELP_OPT("--json", "print the result as one JSON object"),
	NULL
};

static const struct cmd_struct cmd_scrub_status_struct = {
	.name = "status",
	.usage = cmd_scrub_status_usage,
	.fn = cmd_scrub_status,
};

NOT_IMPLEMENTED_CMD(cmd_scrub_cancel, "cancel",
	"btrfs scrub cancel <path>|<device>",
	"Cancel a running scrub (the offline scrub runs in the foreground)");
NOT_IMPLEMENTED_CMD(cmd_scrub_resume, "resume",
	"btrfs scrub resume [-BdqrR] <path>|<device>",
	"Resume a cancelled scrub");
NOT_IMPLEMENTED_CMD(cmd_scrub_limit, "limit",
	"btrfs scrub limit [options] <path>",
	"Show or set scrub limits on devices of a mounted filesystem");

static const char *const scrub_usage[] = {
	"btrfs scrub <command> [options] <device>|<image>",
	NULL
};

static const struct cmd_struct *const scrub_commands[] = {
	&cmd_scrub_start_struct,
	&cmd_scrub_cancel,
	&cmd_scrub_resume,
	&cmd_scrub_status_struct,
	&cmd_scrub_limit,
	NULL
};

static const struct cmd_group scrub_group = {
	.usage = scrub_usage,
	.info = "verify checksums of data and metadata, offline",
	.commands = scrub_commands,
};

const struct cmd_struct cmd_struct_scrub = {
	.name = "scrub",
	.usage = scrub_usage,
	.group = &scrub_group,
};
