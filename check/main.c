// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs check: read-only consistency check of an unmounted filesystem.
 *
 * The output has the shape of stock btrfs-progs 6.2: the opening lines and
 * the summary on stdout, the seven phase lines and the problems found on
 * stderr.  With --json, stdout carries one JSON object per problem and a
 * summary object instead.  The exit status is 1 when any error was found.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "common/commands.h"
#include "common/format.h"
#include "common/help.h"
#include "common/messages.h"
#include "common/utils.h"
#include "check/check.h"
#include "kernel-shared/device-use.h"

/*
 * Each tree is streamed once and snapshots are walked one after another,
 * so a large block cache mostly holds blocks that will not be read again
 * before they are evicted: a small one is as fast and keeps memory low.
 */
#define CHECK_CACHE_LIMIT (4ULL << 20)

struct check_args {
	struct check_opts opts;
	struct btrfs_open_opts open;
	const char *repair;	/* a repair option given, refused */
};

enum {
	OPT_READONLY = 256, OPT_REPAIR, OPT_FORCE, OPT_JSON, OPT_DATA_CSUM,
	OPT_CHUNK_ROOT, OPT_MODE, OPT_MEM_BUDGET, OPT_INIT_CSUM,
	OPT_INIT_EXTENT, OPT_CLEAR_CACHE, OPT_CLEAR_INO_CACHE,
};

/* SIZE with an optional K, M, G or T suffix (powers of 1024). */
static int parse_mem_budget(const char *arg, u64 *ret)
{
	static const char units[] = "kmgt";
	unsigned long long num;
	const char *unit;
	char *end;
	int shift = 0;

	errno = 0;
	num = strtoull(arg, &end, 10);
	if (errno || end == arg || *arg == '-') {
		error("invalid memory budget: %s", arg);
		return 1;
	}
	if (*end) {
		unit = strchr(units, tolower((unsigned char)*end));
		if (!unit || (end[1] && strcasecmp(end + 1, "ib") &&
			      strcasecmp(end + 1, "b"))) {
			error("invalid memory budget: %s", arg);
			return 1;
		}
		shift = 10 * (int)(unit - units + 1);
	}
	if (num > (~0ULL >> shift) || !num) {
		error("invalid memory budget: %s", arg);
		return 1;
	}
	*ret = (u64)num << shift;
	return 0;
}

void check_opts_init(struct check_opts *opts, struct btrfs_open_opts *open)
{
	memset(opts, 0, sizeof(*opts));
	opts->super_mirror = -1;
	opts->backup_root = -1;
	btrfs_open_opts_init(open);
	open->cache_limit = CHECK_CACHE_LIMIT;
}

static int parse_super(const char *arg, struct check_args *args)
{
	u64 num;

	if (arg_strtou64(arg, &num))
		return 1;
	if (num >= BTRFS_SUPER_MIRROR_MAX) {
		error("super mirror should be less than %d", BTRFS_SUPER_MIRROR_MAX);
		return 1;
	}
	args->open.super_mirror = (int)num;
	args->opts.super_mirror = (int)num;
	printf("using SB copy %llu, bytenr %llu\n", (unsigned long long)num,
	       (unsigned long long)btrfs_sb_offset((int)num));
	return 0;
}

static int parse_one(const struct cmd_struct *cmd, char **argv, int c,
		     struct check_args *args)
{
	switch (c) {
	case 's':
		return parse_super(optarg, args);
	case 'b':
		args->opts.backup = true;
		return 0;
	case 'p':
		args->opts.progress = true;
		return 0;
	case 'r':
		return arg_strtou64(optarg, &args->open.tree_root_bytenr) ? 1 : 0;
	case OPT_CHUNK_ROOT:
		return arg_strtou64(optarg, &args->open.chunk_root_bytenr) ? 1 : 0;
	case OPT_READONLY:
	case OPT_MODE:	/* one mode only; accepted for compatibility */
		return 0;
	case OPT_REPAIR:
		args->repair = "--repair";
		return 0;
	case OPT_INIT_CSUM:
		args->repair = "--init-csum-tree";
		return 0;
	case OPT_INIT_EXTENT:
		args->repair = "--init-extent-tree";
		return 0;
	case OPT_CLEAR_CACHE:
		args->repair = "--clear-space-cache";
		return 0;
	case OPT_CLEAR_INO_CACHE:
		args->repair = "--clear-ino-cache";
		return 0;
	case 'Q':
		args->opts.qgroup_report = true;
		return 0;
	case 'E':
		if (arg_strtou64(optarg, &args->opts.subvol_extents))
			return 1;
		if (!args->opts.subvol_extents) {
			error("invalid subvolume id: %s", optarg);
			return 1;
		}
		return 0;
	case OPT_FORCE:
		args->opts.force = true;
		return 0;
	case OPT_JSON:
		args->opts.json = true;
		return 0;
	case OPT_DATA_CSUM:
		args->opts.check_data_csum = true;
		return 0;
	case OPT_MEM_BUDGET:
		return parse_mem_budget(optarg, &args->opts.mem_budget);
	}
	return usage_unknown_option(cmd, argv);
}

static int parse_options(const struct cmd_struct *cmd, int argc, char **argv,
			 struct check_args *args)
{
	const char *env;
	static const struct option long_opts[] = {
		{ "super", required_argument, NULL, 's' },
		{ "backup", no_argument, NULL, 'b' },
		{ "progress", no_argument, NULL, 'p' },
		{ "tree-root", required_argument, NULL, 'r' },
		{ "chunk-root", required_argument, NULL, OPT_CHUNK_ROOT },
		{ "readonly", no_argument, NULL, OPT_READONLY },
		{ "repair", no_argument, NULL, OPT_REPAIR },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "check-data-csum", no_argument, NULL, OPT_DATA_CSUM },
		{ "mode", required_argument, NULL, OPT_MODE },
		{ "mem-budget", required_argument, NULL, OPT_MEM_BUDGET },
		{ "subvol-extents", required_argument, NULL, 'E' },
		{ "qgroup-report", no_argument, NULL, 'Q' },
		{ "init-csum-tree", no_argument, NULL, OPT_INIT_CSUM },
		{ "init-extent-tree", no_argument, NULL, OPT_INIT_EXTENT },
		{ "clear-space-cache", required_argument, NULL, OPT_CLEAR_CACHE },
		{ "clear-ino-cache", no_argument, NULL, OPT_CLEAR_INO_CACHE },
		{ NULL, 0, NULL, 0 }
	};
	int c, ret;

	check_opts_init(&args->opts, &args->open);
	env = getenv("BTRFS_CHECK_MEM_BUDGET");
	if (env && *env && parse_mem_budget(env, &args->opts.mem_budget))
		return 1;
	args->opts.threads = prefetch_threads();
	if (args->opts.threads < 0) {
		error("invalid BTRFS_CHECK_THREADS: %s", getenv("BTRFS_CHECK_THREADS"));
		return 1;
	}
	while ((c = getopt_long(argc, argv, "s:bpr:E:Q", long_opts, NULL)) != -1) {
		ret = parse_one(cmd, argv, c, args);
		if (ret)
			return ret;
	}
	return 0;
}

/* The newest backup root that is not the current commit, as stock picks. */
static int backup_pick(const char *const *paths, int n,
		       struct btrfs_open_opts *open)
{
	struct btrfs_open_opts o = *open;
	struct btrfs_fs_info *fs_info;
	u64 best_gen = 0;
	int i, best = -1, ret;

	o.flags |= BTRFS_OPEN_SUPER_ONLY;
	ret = btrfs_open_fs(paths, n, &o, &fs_info);
	if (!ret) {
		const struct btrfs_super_block *sb = &fs_info->super_copy;

		for (i = 0; i < BTRFS_NUM_BACKUP_ROOTS; i++) {
			u64 gen = btrfs_backup_tree_root_gen(&sb->super_roots[i]);

			if (gen != btrfs_super_generation(sb) && gen > best_gen) {
				best_gen = gen;
				best = i;
			}
		}
	}
	btrfs_close_fs(fs_info);
	if (best < 0) {
		error("no usable backup root found");
		return 1;
	}
	open->backup_root = best;
	return 0;
}

static int mount_check(const char *const *paths, int n, bool force)
{
	int i, ret;

	for (i = 0; i < n; i++) {
		ret = device_is_mounted(paths[i]);
		if (ret < 0 && !force) {
			error("could not check mount status of %s: %s", paths[i],
			      strerror(-ret));
			return 1;
		}
		if (ret > 0 && !force) {
			error("%s is currently mounted, use --force if you really intend to check the filesystem",
			      paths[i]);
			return 1;
		}
		if (ret)
			warning(ret > 0 ?
				"filesystem mounted, continuing because of --force" :
				"cannot check mount status, continuing because of --force");
	}
	return 0;
}

struct phase_clock {
	enum check_phase phase;
	const char *text;
	time_t start;
};

static const char *const phase_text[] = {
	[PH_ROOTS] = "checking root items",
	[PH_EXTENTS] = "checking extents",
	[PH_FS_ROOTS] = "checking fs roots",
	[PH_ROOT_REFS] = "checking root refs",
};

static void phase_begin(struct check_ctx *ctx, struct phase_clock *pc,
			enum check_phase phase, const char *text)
{
	pc->phase = phase;
	pc->text = text ? text : phase_text[phase];
	pc->start = time(NULL);
	if (!ctx->opts->progress && !ctx->opts->qgroup_report)
		fprintf(stderr, "[%d/7] %s\n", (int)phase, pc->text);
	problem_phase_begin(&ctx->log, phase);
}

static void phase_end(struct check_ctx *ctx, const struct phase_clock *pc)
{
	/* With --json, stdout carries JSON only. */
	FILE *out = ctx->opts->json ? stderr : stdout;
	long s = (long)(time(NULL) - pc->start);
	char line[64];

	if (!ctx->opts->progress || ctx->opts->qgroup_report)
		return;
	snprintf(line, sizeof(line), "[%d/7] %s", (int)pc->phase, pc->text);
	fprintf(out, "%-46s (%ld:%02ld:%02ld elapsed, %llu items checked)\n",
		line, s / 3600, s / 60 % 60, s % 60,
		(unsigned long long)ctx->totals.items);
	fflush(out);
}

static const struct root_rec *root_find(const struct check_ctx *ctx, u64 id)
{
	size_t i;

	for (i = 0; i < ctx->roots.nr; i++)
		if (VEC_AT(&ctx->roots, struct root_rec, i)->id == id)
			return VEC_AT(&ctx->roots, struct root_rec, i);
	return NULL;
}

/* Every tree once: the extent tree first, so the others can use it. */
static void walk_all(struct check_ctx *ctx)
{
	const struct root_rec *extent = root_find(ctx, BTRFS_EXTENT_TREE_OBJECTID);
	size_t i;

	ctx->prefetch = prefetch_start(ctx->fs_info, ctx->opts->threads);
	if (extent)
		walk_tree(ctx, extent);
	else
		check_report(ctx, PR_ROOT_TREE_BAD, &(struct problem_ctx){
			.str = "the extent tree has no root item" });
	extents_prepare(ctx);
	for (i = 0; i < ctx->roots.nr && !ctx->fatal; i++) {
		const struct root_rec *r = VEC_AT(&ctx->roots, struct root_rec, i);

		if (r != extent)
			walk_tree(ctx, r);
	}
	roots_walk_log(ctx);
	prefetch_stop(ctx->prefetch, &ctx->prefetch_stats);
	ctx->prefetch = NULL;
}

static void run_phases(struct check_ctx *ctx)
{
	bool fst = check_has_compat_ro(ctx, BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE);
	struct phase_clock pc;

	phase_begin(ctx, &pc, PH_ROOTS, NULL);
	roots_load(ctx);
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_EXTENTS, NULL);
	if (!ctx->fatal) {
		walk_all(ctx);
		super_check(ctx);
		chunks_check(ctx);
		extents_check(ctx);
		csums_prepare(ctx);
	}
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_FREE_SPACE, fst ? "checking free space tree" :
		    "checking free space cache");
	if (!ctx->fatal)
		free_space_check(ctx);
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_FS_ROOTS, NULL);
	if (!ctx->fatal) {
		dax_check(ctx);
		fs_roots_check(ctx);
	}
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_CSUMS, ctx->opts->check_data_csum ?
		    "checking csums against data" :
		    "checking only csums items (without verifying data)");
	if (!ctx->fatal) {
		csums_check(ctx);
		fs_csums_check(ctx);
	}
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_ROOT_REFS, NULL);
	if (!ctx->fatal)
		roots_check_refs(ctx);
	phase_end(ctx, &pc);
	phase_begin(ctx, &pc, PH_QUOTA, quota_enabled(ctx) ?
		    "checking quota groups" :
		    "checking quota groups skipped (not enabled on this FS)");
	if (!ctx->fatal && quota_enabled(ctx))
		quota_check(ctx);
	phase_end(ctx, &pc);
	problem_log_flush(&ctx->log);
}

static void summary_text(const struct check_ctx *ctx)
{
	const struct check_totals *t = &ctx->totals;

	printf("found %llu bytes used, %s\n", (unsigned long long)t->bytes_used,
	       problem_log_failed(&ctx->log) ? "error(s) found" :
					       "no error found");
	printf("total csum bytes: %llu\n", (unsigned long long)t->csum_bytes);
	printf("total tree bytes: %llu\n", (unsigned long long)t->tree_bytes);
	printf("total fs tree bytes: %llu\n",
	       (unsigned long long)t->fs_tree_bytes);
	printf("total extent tree bytes: %llu\n",
	       (unsigned long long)t->extent_tree_bytes);
	printf("btree space waste bytes: %llu\n",
	       (unsigned long long)t->btree_waste);
	printf("file data blocks allocated: %llu\n referenced %llu\n",
	       (unsigned long long)t->data_allocated,
	       (unsigned long long)t->data_referenced);
}

static void summary_json(const struct check_ctx *ctx, const char *device)
{
	const struct check_totals *t = &ctx->totals;
	char uuid[FORMAT_UUID_LEN];

	format_uuid(ctx->fs_info->sb.fsid, uuid);
	printf("{\"type\":\"summary\",\"device\":");
	json_print_string(stdout, device);
	printf(",\"uuid\":\"%s\",", uuid);
	problem_json_counts(&ctx->log, stdout);
	printf(",\"bytes_used\":%llu,\"total_csum_bytes\":%llu,\"total_tree_bytes\":%llu,"
	       "\"total_fs_tree_bytes\":%llu,\"total_extent_tree_bytes\":%llu,"
	       "\"btree_space_waste_bytes\":%llu,\"data_bytes_allocated\":%llu,"
	       "\"data_bytes_referenced\":%llu}\n",
	       (unsigned long long)t->bytes_used,
	       (unsigned long long)t->csum_bytes,
	       (unsigned long long)t->tree_bytes,
	       (unsigned long long)t->fs_tree_bytes,
	       (unsigned long long)t->extent_tree_bytes,
	       (unsigned long long)t->btree_waste,
	       (unsigned long long)t->data_allocated,
	       (unsigned long long)t->data_referenced);
}

/* Opened filesystem: run the check, print the summary; the exit code. */
static int check_fs(struct btrfs_fs_info *fs_info, const struct check_opts *opts,
		    const char *device)
{
	struct check_ctx ctx;
	char uuid[FORMAT_UUID_LEN];
	int ret;

	format_uuid(fs_info->sb.fsid, uuid);
	if (!opts->json)
		printf("Checking filesystem on %s\nUUID: %s\n", device, uuid);
	fflush(stdout);
	if (opts->subvol_extents) {
		printf("Print extent state for subvolume %llu on %s\nUUID: %s\n",
		       (unsigned long long)opts->subvol_extents, device, uuid);
		ret = subvol_extents_print(fs_info, opts->subvol_extents,
					   stdout);
		if (ret)
			error("cannot read the subvolume trees: %s",
			      fs_info->err[0] ? fs_info->err : strerror(-ret));
		return ret ? 1 : 0;
	}
	if (opts->qgroup_report)
		printf("Print quota groups for %s\nUUID: %s\n", device, uuid);
	if (check_ctx_init(&ctx, fs_info, opts)) {
		error("cannot start the check: out of memory");
		check_ctx_free(&ctx);
		return 1;
	}
	run_phases(&ctx);
	if (opts->qgroup_report) {
		/* The walk gives the counts; what else it found is not said. */
		fflush(stdout);
		ret = ctx.fatal ? 1 : quota_report(&ctx, stdout);
		if (ctx.fatal)
			error("cannot count the qgroups: %s", strerror(-ctx.fatal));
		check_ctx_free(&ctx);
		return ret;
	}
	/* For tests: whether the reference records went through a file. */
	if (getenv("BTRFS_CHECK_STATS")) {
		fprintf(stderr, "check stats: %llu sorted runs spilled, %llu bytes; shared subtrees: %llu summed up, %llu kept, %llu taken again\n",
			(unsigned long long)ctx.spill.runs,
			(unsigned long long)ctx.spill.size,
			(unsigned long long)ctx.subtrees_summed,
			(unsigned long long)ctx.subtrees_kept,
			(unsigned long long)ctx.subtrees_taken);
		fprintf(stderr, "check stats: %d threads, %llu tree blocks read ahead, %llu used\n",
			opts->threads > 1 ? opts->threads : 1,
			(unsigned long long)ctx.prefetch_stats.read,
			(unsigned long long)ctx.prefetch_stats.used);
	}
	if (opts->json)
		summary_json(&ctx, device);
	else
		summary_text(&ctx);
	ret = problem_log_failed(&ctx.log) ? 1 : 0;
	check_ctx_free(&ctx);
	return ret;
}

int check_devices(const char *const *paths, int n,
		  const struct check_opts *opts,
		  const struct btrfs_open_opts *open)
{
	struct btrfs_fs_info *fs_info;
	int ret;

	ret = btrfs_open_fs(paths, n, open, &fs_info);
	if (ret) {
		error("cannot open file system: %s",
		      fs_info && fs_info->err[0] ? fs_info->err : strerror(-ret));
		btrfs_close_fs(fs_info);
		return 1;
	}
	ret = check_fs(fs_info, opts, paths[0]);
	btrfs_close_fs(fs_info);
	return ret;
}

static int cmd_check(const struct cmd_struct *cmd, int argc, char **argv)
{
	struct check_args args = { 0 };
	const char *const *paths;
	int n, ret;

	ret = parse_options(cmd, argc, argv, &args);
	if (ret)
		return ret;
	if (args.repair) {
		error("%s is not supported by btrfs-dax-progs yet; the check is read-only",
		      args.repair);
		return 1;
	}
	if ((args.opts.subvol_extents || args.opts.qgroup_report) &&
	    args.opts.json) {
		error("%s prints a report; it cannot be used with --json",
		      args.opts.subvol_extents ? "--subvol-extents" :
		      "--qgroup-report");
		return 1;
	}
	if (check_argc_min(cmd, argc - optind, 1))
		return 1;
	paths = (const char *const *)&argv[optind];
	n = argc - optind;
	if (!args.opts.json)
		printf("Opening filesystem to check...\n");
	if (mount_check(paths, n, args.opts.force))
		return 1;
	if (args.opts.backup && backup_pick(paths, n, &args.open))
		return 1;
	args.opts.backup_root = args.open.backup_root;
	return check_devices(paths, n, &args.opts, &args.open);
}

static const char *const cmd_check_usage[] = {
	"btrfs check [options] <device> [<device>...]",
	"Check structural integrity of a filesystem (unmounted).",
	"Check structural integrity of an unmounted filesystem, read-only.",
	"Every problem found is printed with a stable id in brackets.",
	"",
	"Starting point selection:",
	HELP_OPT("-s|--super <superblock>", "use this superblock copy"),
	HELP_OPT("-b|--backup", "use the first valid backup root copy"),
	HELP_OPT("-r|--tree-root <bytenr>", "use the given bytenr for the tree root"),
	HELP_OPT("--chunk-root <bytenr>", "use the given bytenr for the chunk tree root"),
	"",
	"Operation modes:",
	HELP_OPT("--readonly", "run in read-only mode (the default and only mode)"),
	HELP_OPT("--repair", "not supported yet; refused"),
	HELP_OPT("--force", "check even if the filesystem is mounted"),
	HELP_OPT("--mode <MODE>", "accepted for compatibility; there is one mode"),
	"",
	"Check and reporting options:",
	HELP_OPT("--check-data-csum", "verify checksums of data blocks"),
	HELP_OPT("--json", "print problems and the summary as JSON objects"),
	HELP_OPT("-p|--progress", "indicate progress"),
	HELP_OPT("--mem-budget <SIZE>", "memory for reference records before they spill to a temporary file (default 256M)"),
	HELP_OPT("-Q|--qgroup-report", "print a report on qgroup consistency"),
	HELP_OPT("-E|--subvol-extents <subvolid>", "print subvolume extents and sharing state"),
	"",
	"Repair options (not supported yet; refused):",
	HELP_OPT("--init-csum-tree", "create a new CRC tree"),
	HELP_OPT("--init-extent-tree", "create a new extent tree"),
	HELP_OPT("--clear-space-cache v1|v2", "clear space cache for v1 or v2"),
	HELP_OPT("--clear-ino-cache", "clear ino cache leftover items"),
	NULL
};

const struct cmd_struct cmd_struct_check = {
	.name = "check",
	.usage = cmd_check_usage,
	.fn = cmd_check,
};
