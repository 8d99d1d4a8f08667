// SPDX-License-Identifier: GPL-2.0-only
/*
 * mkfs.btrfs: the command line front end.  The only file of mkfs/ that
 * prints; every stage it calls reports through return codes and struct
 * mkfs_err.
 *
 * The pipeline: options -> validated config -> device checks -> chunk plan
 * -> trees in memory, every block verified -> wipe every device -> tree
 * blocks, flush -> superblocks, flush -> read back -> summary.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include "common/messages.h"
#include "kernel-shared/csum.h"
#include "mkfs/mkfs.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1"
#endif
#define PACKAGE_STRING "btrfs-dax-progs v" PACKAGE_VERSION

static const char *const usage_text[] = {
	"usage: mkfs.btrfs [options] <dev> [<dev>...]",
	"",
	"    Create a BTRFS filesystem on devices or regular files",
	"",
	"    Allocation profiles:",
	"    -d|--data PROFILE         data profile: single (default), dup, raid0, raid1, raid1c3, raid1c4, raid10, raid5, raid6",
	"    -m|--metadata PROFILE     metadata profile, the same names: dup (default) on one device, raid1 on several",
	"    -M|--mixed                data and metadata share the same chunks",
	"    Features:",
	"    --csum TYPE",
	"    --checksum TYPE           checksum algorithm to use, crc32c (default), xxhash, sha256, blake2",
	"    -n|--nodesize SIZE        size of btree nodes",
	"    -s|--sectorsize SIZE      data block size (may not be mountable by current kernel)",
	"    -O|--features LIST        comma separated list of filesystem features (use '-O list-all' to list features)",
	"    -R|--runtime-features LIST",
	"                              comma separated list of runtime features (use '-R list-all' to list runtime features)",
	"    -L|--label LABEL          set the filesystem label",
	"    -U|--uuid UUID            specify the filesystem UUID (must be unique)",
	"    --device-uuid UUID        specify the device UUID (one device only)",
	"    --dax                     lay out every chunk for DAX: 2MiB aligned, data chunks clear of superblocks",
	"    --dax-inherit             --dax, and files created in the top directory are DAX files",
	"    Creation:",
	"    -b|--byte-count SIZE      use only SIZE bytes of each device",
	"    -K|--nodiscard            do not perform whole device TRIM",
	"    -f|--force                force overwrite of existing filesystem",
	"    General:",
	"    -q|--quiet                no messages except errors",
	"    -v|--verbose              increase verbosity level, default is 1",
	"    -V|--version              print the mkfs.btrfs version and exit",
	"    --help                    print this help and exit",
	NULL,
};

static void usage(FILE *out)
{
	int i;

	for (i = 0; usage_text[i]; i++)
		fprintf(out, "%s\n", usage_text[i]);
}

/* "1.00GiB" the way stock prints sizes: base 1024, two decimals. */
static void pretty_size(u64 size, char *buf, size_t len)
{
	static const char *const units[] = {
		"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	double v = (double)size;
	int u = 0;

	if (size < 1024) {
		snprintf(buf, len, "%lluB", (unsigned long long)size);
		return;
	}
	while (v >= 1024.0 && u < 6) {
		v /= 1024.0;
		u++;
	}
	snprintf(buf, len, "%.2f%s", v, units[u]);
}

static void list_features(bool runtime)
{
	const struct mkfs_feature *f;

	fprintf(stderr, "%s features available:\n",
		runtime ? "Runtime" : "Filesystem");
	for (f = mkfs_features(); f->name; f++) {
		if (!f->supported || (f->kind == FEAT_RUNTIME) != runtime)
			continue;
		fprintf(stderr, "%-20s- %s (compat=%s", f->name, f->desc,
			f->compat);
		if (f->safe)
			fprintf(stderr, ", safe=%s", f->safe);
		if (f->dflt_ver)
			fprintf(stderr, ", default=%s", f->dflt_ver);
		fprintf(stderr, ")\n");
	}
}

enum {
	OPT_CSUM = 256,
	OPT_DAX,
	OPT_DAX_INHERIT,
	OPT_HELP,
	OPT_SHRINK,
	OPT_DEVICE_UUID,
};

static const struct option long_options[] = {
	{ "byte-count", required_argument, NULL, 'b' },
	{ "csum", required_argument, NULL, OPT_CSUM },
	{ "checksum", required_argument, NULL, OPT_CSUM },
	{ "data", required_argument, NULL, 'd' },
	{ "dax", no_argument, NULL, OPT_DAX },
	{ "dax-inherit", no_argument, NULL, OPT_DAX_INHERIT },
	{ "features", required_argument, NULL, 'O' },
	{ "force", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "label", required_argument, NULL, 'L' },
	{ "leafsize", required_argument, NULL, 'l' },
	{ "metadata", required_argument, NULL, 'm' },
	{ "mixed", no_argument, NULL, 'M' },
	{ "nodesize", required_argument, NULL, 'n' },
	{ "nodiscard", no_argument, NULL, 'K' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "rootdir", required_argument, NULL, 'r' },
	{ "runtime-features", required_argument, NULL, 'R' },
	{ "sectorsize", required_argument, NULL, 's' },
	{ "shrink", no_argument, NULL, OPT_SHRINK },
	{ "uuid", required_argument, NULL, 'U' },
	{ "device-uuid", required_argument, NULL, OPT_DEVICE_UUID },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Exit codes of option parsing: -1 go on, 0 or 1 exit with it. */
static int opt_size32(const char *arg, const char *what, u32 *out)
{
	u64 v;

	if (mkfs_parse_size(arg, &v) || v > 0x80000000ULL) {
		error("invalid %s: '%s'", what, arg);
		return 1;
	}
	*out = (u32)v;
	return -1;
}

static int opt_features(struct mkfs_config *cfg, const char *arg, bool runtime)
{
	struct mkfs_err err = { "" };
	int ret = mkfs_parse_features(cfg, arg, runtime, &err);

	if (ret < 0) {
		error("%s", err.msg);
		return 1;
	}
	if (ret == 1) {
		list_features(runtime);
		return 0;
	}
	return -1;
}

static int opt_profile(const char *arg, u64 *profile, bool *set)
{
	if (mkfs_parse_profile(arg, profile)) {
		error("unknown profile '%s'", arg);
		return 1;
	}
	*set = true;
	return -1;
}

static int opt_label(struct mkfs_config *cfg, const char *arg)
{
	if (strlen(arg) >= BTRFS_LABEL_SIZE) {
		error("label '%s' is too long (max %d)", arg,
		      BTRFS_LABEL_SIZE - 1);
		return 1;
	}
	strcpy(cfg->label, arg);
	return -1;
}

static int opt_uuid(struct mkfs_config *cfg, const char *arg)
{
	if (uuid_parse(arg, cfg->fsid)) {
		error("could not parse UUID: '%s'", arg);
		return 1;
	}
	cfg->fsid_set = true;
	return -1;
}

static int opt_device_uuid(struct mkfs_config *cfg, const char *arg)
{
	if (uuid_parse(arg, cfg->dev_uuid)) {
		error("could not parse device UUID: '%s'", arg);
		return 1;
	}
	cfg->dev_uuid_set = true;
	return -1;
}

static int opt_byte_count(struct mkfs_config *cfg, const char *arg)
{
	if (mkfs_parse_size(arg, &cfg->byte_count) || !cfg->byte_count) {
		error("invalid byte count: '%s'", arg);
		return 1;
	}
	return -1;
}

static int opt_csum(struct mkfs_config *cfg, const char *arg)
{
	if (mkfs_parse_csum(arg, &cfg->csum_type)) {
		error("unknown checksum type '%s'", arg);
		return 1;
	}
	return -1;
}

static int opt_unsupported(const char *what)
{
	error("%s is not supported by this mkfs.btrfs", what);
	return 1;
}

static int opt_one(struct mkfs_config *cfg, int c, const char *arg)
{
	switch (c) {
	case 'b':
		return opt_byte_count(cfg, arg);
	case OPT_CSUM:
		return opt_csum(cfg, arg);
	case 'd':
		return opt_profile(arg, &cfg->data_profile, &cfg->data_profile_set);
	case 'm':
		return opt_profile(arg, &cfg->meta_profile, &cfg->meta_profile_set);
	case OPT_DAX:
		cfg->dax = true;
		return -1;
	case OPT_DAX_INHERIT:
		cfg->dax_inherit = true;
		return -1;
	case 'f':
		cfg->force = true;
		return -1;
	case 'K':
		cfg->discard = false;
		return -1;
	case 'L':
		return opt_label(cfg, arg);
	case 'l':
		error("--leafsize was removed in 6.0, use --nodesize");
		return 1;
	case 'M':
		cfg->mixed = true;
		return -1;
	case 'n':
		cfg->nodesize_set = true;
		return opt_size32(arg, "nodesize", &cfg->nodesize);
	case 's':
		return opt_size32(arg, "sectorsize", &cfg->sectorsize);
	case 'O':
		return opt_features(cfg, arg, false);
	case 'R':
		return opt_features(cfg, arg, true);
	case 'q':
		cfg->verbose = 0;
		return -1;
	case 'v':
		cfg->verbose++;
		return -1;
	case 'U':
		return opt_uuid(cfg, arg);
	case OPT_DEVICE_UUID:
		return opt_device_uuid(cfg, arg);
	case 'r':
		return opt_unsupported("--rootdir");
	case OPT_SHRINK:
		return opt_unsupported("--shrink");
	case 'V':
		printf("mkfs.btrfs, part of %s\n", PACKAGE_STRING);
		return 0;
	case OPT_HELP:
		usage(stdout);
		return 0;
	default:
		usage(stderr);
		return 1;
	}
}

static int parse_args(struct mkfs_config *cfg, int argc, char **argv)
{
	int c, ret;

	while ((c = getopt_long(argc, argv, "b:d:fKl:L:m:Mn:O:qr:R:s:U:vV",
				long_options, NULL)) != -1) {
		ret = opt_one(cfg, c, optarg);
		if (ret >= 0)
			return ret;
	}
	if (optind == argc) {
		usage(stderr);
		return 1;
	}
	if (argc - optind > MKFS_MAX_DEVICES) {
		error("too many devices: %d, this mkfs.btrfs takes at most %d",
		      argc - optind, MKFS_MAX_DEVICES);
		return 1;
	}
	for (; optind < argc; optind++)
		cfg->paths[cfg->nr_devices++] = argv[optind];
	if (cfg->dev_uuid_set && cfg->nr_devices > 1) {
		error("--device-uuid can be used only with one device");
		return 1;
	}
	return -1;
}

/* Checks that need the open device; one error line on failure. */
static int check_device(const struct mkfs_config *cfg,
			const struct mkfs_device *dev, u64 *fs_size)
{
	u64 min = mkfs_min_dev_size(cfg);

	if (cfg->byte_count && cfg->byte_count > dev->size) {
		error("'%s' is smaller than requested size, expected %llu, found %llu",
		      dev->path, (unsigned long long)cfg->byte_count,
		      (unsigned long long)dev->size);
		return 1;
	}
	*fs_size = cfg->byte_count ? cfg->byte_count : dev->size;
	if (*fs_size < min) {
		error("'%s' is too small to make a usable filesystem: %llu bytes, minimum size for each btrfs device is %llu",
		      dev->path, (unsigned long long)*fs_size,
		      (unsigned long long)min);
		return 1;
	}
	if (cfg->dax && dev->is_blockdev && dev->part_start % MKFS_DAX_ALIGN) {
		error("'%s' starts at byte %llu of its disk, not on a 2MiB boundary: DAX needs 2MiB-aligned physical addresses",
		      dev->path, (unsigned long long)dev->part_start);
		return 1;
	}
	return 0;
}

/* Stock's warnings about the profiles for this many devices. */
static void warn_profiles(const struct mkfs_config *cfg, bool ssd)
{
	u64 both = cfg->meta_profile | cfg->data_profile;
	int n = cfg->nr_devices;

	if (both & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6))
		warning("RAID5/6 still has known problems (the write hole among them), use it for testing only");
	if (n > 1 && (both & BTRFS_BLOCK_GROUP_DUP))
		warning("DUP keeps both copies on one device, on several devices RAID1 is the better choice");
	if (n == 3 && (both & BTRFS_BLOCK_GROUP_RAID6))
		warning("RAID6 with only 3 devices is not recommended, RAID1C3 has the same safety");
	if (n == 2 && (both & BTRFS_BLOCK_GROUP_RAID5))
		warning("RAID5 with only 2 devices is not recommended, RAID1 has the same safety");
	if (!mkfs_config_mixed(cfg) && ssd &&
	    (cfg->data_profile & BTRFS_BLOCK_GROUP_DUP))
		warning("data DUP on an SSD: the device may store both copies as one");
	if (mkfs_raid_attr(cfg->meta_profile)->tolerated_failures <
	    mkfs_raid_attr(cfg->data_profile)->tolerated_failures)
		warning("metadata survives fewer device failures than data");
}

static void warn_config(const struct mkfs_config *cfg,
			const struct mkfs_device *devs)
{
	u32 page = (u32)sysconf(_SC_PAGESIZE);
	int i;

	if (cfg->sectorsize != page)
		warning("the filesystem may not be mountable, sectorsize %u doesn't match page size %u",
			cfg->sectorsize, page);
	warn_profiles(cfg, devs[0].ssd);
	for (i = 0; i < cfg->nr_devices && cfg->dax; i++)
		if (devs[i].is_blockdev && devs[i].dax_capable != 1)
			warning("'%s' does not support DAX (queue/dax is not 1): the layout is DAX-ready but files will not be mapped directly",
				devs[i].path);
}

static void print_chunks(const struct mkfs_fs *fs)
{
	int i;

	for (i = 0; i < MKFS_NR_CHUNKS; i++) {
		const struct mkfs_chunk *c = &fs->chunks[i];
		u32 s;

		if (!c->present)
			continue;
		printf("chunk %d: logical %llu length %llu type 0x%llx stripes",
		       i, (unsigned long long)c->logical,
		       (unsigned long long)c->length,
		       (unsigned long long)c->type);
		for (s = 0; s < c->num_stripes; s++)
			printf(" %llu:%llu",
			       (unsigned long long)fs->devs[c->stripes[s].dev].devid,
			       (unsigned long long)c->stripes[s].physical);
		printf("\n");
	}
}

static void print_profile_line(const char *what, u64 profile, u64 bytes)
{
	char size[32];

	pretty_size(bytes, size, sizeof(size));
	printf("  %-18s%-8s %16s\n", what, mkfs_profile_name(profile), size);
}

/* "yes" when every device can do DAX, "n/a" for regular files only. */
static const char *dax_devices_word(const struct mkfs_device *devs, int nr)
{
	int i, files = 0, capable = 0;

	for (i = 0; i < nr; i++) {
		files += devs[i].dax_capable < 0;
		capable += devs[i].dax_capable > 0;
	}
	if (files == nr)
		return nr > 1 ? "n/a (regular files)" : "n/a (regular file)";
	return capable == nr ? "yes" : "no";
}

static void print_dax(const struct mkfs_config *cfg,
		      const struct mkfs_device *devs)
{
	if (!cfg->dax)
		return;
	printf("DAX layout:         yes (2MiB-aligned chunks)\n");
	printf("DAX device:         %s\n",
	       dax_devices_word(devs, cfg->nr_devices));
	if (cfg->dax_inherit)
		printf("DAX inherit:        yes (top directory)\n");
}

static void print_profiles(const struct mkfs_fs *fs)
{
	const struct mkfs_config *cfg = fs->cfg;

	printf("Block group profiles:\n");
	if (fs->chunks[MKFS_CHUNK_DATA].present)
		print_profile_line("Data:", cfg->data_profile,
				   fs->chunks[MKFS_CHUNK_DATA].length);
	if (mkfs_config_mixed(cfg))
		print_profile_line("Data+Metadata:", cfg->data_profile,
				   fs->chunks[MKFS_CHUNK_METADATA].length);
	else
		print_profile_line("Metadata:", cfg->meta_profile,
				   fs->chunks[MKFS_CHUNK_METADATA].length);
	print_profile_line("System:", cfg->meta_profile,
			   fs->chunks[MKFS_CHUNK_SYSTEM].length);
}

static void print_devices(const struct mkfs_fs *fs)
{
	char size[32];
	u32 i;

	printf("Number of devices:  %u\n", fs->nr_devs);
	printf("Devices:\n");
	printf("   ID        SIZE  PATH\n");
	for (i = 0; i < fs->nr_devs; i++) {
		pretty_size(fs->devs[i].total_bytes, size, sizeof(size));
		printf("  %3llu  %10s  %s\n",
		       (unsigned long long)fs->devs[i].devid, size,
		       fs->devs[i].path);
	}
	printf("\n");
}

static void print_summary(const struct mkfs_fs *fs,
			  const struct mkfs_device *devs)
{
	const struct mkfs_config *cfg = fs->cfg;
	char uuid[BTRFS_UUID_UNPARSED_SIZE], size[32], feat[256];

	uuid_unparse(fs->fsid, uuid);
	pretty_size(fs->total_bytes, size, sizeof(size));
	printf("Label:              %s\n", cfg->label[0] ? cfg->label : "(null)");
	printf("UUID:               %s\n", uuid);
	printf("Node size:          %u\n", cfg->nodesize);
	printf("Sector size:        %u\n", cfg->sectorsize);
	printf("Filesystem size:    %s\n", size);
	print_profiles(fs);
	printf("SSD detected:       %s\n", devs[0].ssd ? "yes" : "no");
	printf("Zoned device:       no\n");
	print_dax(cfg, devs);
	mkfs_features_string(cfg, false, feat, sizeof(feat));
	printf("Incompat features:  %s\n", feat);
	mkfs_features_string(cfg, true, feat, sizeof(feat));
	printf("Runtime features:   %s\n", feat);
	printf("Checksum:           %s\n", btrfs_csum_type_name(cfg->csum_type));
	print_devices(fs);
	if (cfg->csum_type == BTRFS_CSUM_TYPE_SHA256)
		printf("NOTE: you may need to manually load kernel module implementing accelerated SHA256 in case\n"
		       "      the generic implementation is built-in, before mount. Check lsmod or /proc/crypto\n\n");
}

/* Everything in memory, every block through the verifier. */
static int build_fs(struct mkfs_fs *fs, struct mkfs_err *err)
{
	int i, ret;

	ret = mkfs_plan_chunks(fs, err);
	if (!ret)
		ret = mkfs_plan_trees(fs, err);
	for (i = 0; i < MKFS_NR_TREES && !ret; i++) {
		if (!fs->trees[i].present)
			continue;
		ret = mkfs_tree_build(fs, &fs->trees[i]);
		if (ret)
			mkfs_err_set(err, ret, "cannot build the trees: %s",
				     strerror(-ret));
	}
	if (!ret)
		ret = mkfs_build_super(fs);
	if (!ret)
		ret = mkfs_verify_blocks(fs, err);
	return ret;
}

static void close_all(struct mkfs_device *devs, int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		mkfs_device_close(&devs[i]);
}

static int write_fs(struct mkfs_fs *fs, struct mkfs_device *devs,
		    const u64 *sizes, struct mkfs_err *err)
{
	const struct mkfs_config *cfg = fs->cfg;
	int i, ret = 0;

	for (i = 0; i < cfg->nr_devices && !ret; i++)
		ret = mkfs_device_wipe(&devs[i], sizes[i], cfg->discard,
				       !cfg->byte_count, err);
	if (!ret)
		ret = mkfs_write_trees(fs, devs, err);
	if (!ret)
		ret = mkfs_write_supers(fs, devs, err);
	close_all(devs, cfg->nr_devices);
	for (i = 0; i < cfg->nr_devices && !ret; i++)
		if (devs[i].is_blockdev)
			(void)mkfs_device_register(devs[i].path);
	if (!ret)
		ret = mkfs_verify_written(cfg->paths, cfg->nr_devices, err);
	return ret;
}

/* Opens and checks every device; one error line on failure. */
static int prepare_devices(const struct mkfs_config *cfg,
			   struct mkfs_device *devs, u64 *sizes)
{
	struct mkfs_err err = { "" };
	int i;

	if (mkfs_devices_distinct(cfg->paths, cfg->nr_devices, &err)) {
		error("%s", err.msg);
		return 1;
	}
	for (i = 0; i < cfg->nr_devices; i++) {
		if (mkfs_device_open(&devs[i], cfg->paths[i], cfg, &err)) {
			error("%s", err.msg);
			return 1;
		}
		if (check_device(cfg, &devs[i], &sizes[i]))
			return 1;
	}
	return 0;
}

static int prepare(struct mkfs_config *cfg, struct mkfs_device *devs,
		   u64 *sizes)
{
	struct mkfs_err err = { "" };

	if (mkfs_config_validate(cfg, &err)) {
		error("%s", err.msg);
		return 1;
	}
	if (cfg->fsid_set && mkfs_uuid_in_use(cfg->fsid)) {
		char uuid[BTRFS_UUID_UNPARSED_SIZE];

		uuid_unparse(cfg->fsid, uuid);
		error("non-unique UUID: %s", uuid);
		return 1;
	}
	if (prepare_devices(cfg, devs, sizes))
		return 1;
	if (btrfs_csum_selftest()) {
		error("checksum self-test failed, refusing to write anything");
		return 1;
	}
	return 0;
}

static void print_trim(const struct mkfs_config *cfg,
		       const struct mkfs_device *devs, const u64 *sizes)
{
	char size[32];
	int i;

	for (i = 0; i < cfg->nr_devices; i++) {
		if (!cfg->discard || !devs[i].is_blockdev)
			continue;
		pretty_size(sizes[i], size, sizeof(size));
		printf("Performing full device TRIM %s (%s) ...\n",
		       devs[i].path, size);
	}
}

int main(int argc, char **argv)
{
	struct mkfs_device devs[MKFS_MAX_DEVICES];
	u64 sizes[MKFS_MAX_DEVICES] = { 0 };
	struct mkfs_err err = { "" };
	struct mkfs_config cfg;
	struct mkfs_fs fs;
	int i, ret;

	for (i = 0; i < MKFS_MAX_DEVICES; i++)
		devs[i].fd = -1;
	mkfs_config_init(&cfg);
	ret = parse_args(&cfg, argc, argv);
	if (ret >= 0)
		return ret;
	if (prepare(&cfg, devs, sizes)) {
		close_all(devs, cfg.nr_devices);
		return 1;
	}
	if (cfg.verbose) {
		printf("%s\nSee mkfs.btrfs(8) for more information.\n\n",
		       PACKAGE_STRING);
		warn_config(&cfg, devs);
	}
	mkfs_fs_init(&fs, &cfg, sizes);
	ret = build_fs(&fs, &err);
	if (!ret && cfg.verbose > 1)
		print_chunks(&fs);
	if (!ret && cfg.verbose)
		print_trim(&cfg, devs, sizes);
	if (!ret)
		ret = write_fs(&fs, devs, sizes, &err);
	if (ret) {
		error("%s", err.msg[0] ? err.msg : strerror(-ret));
		close_all(devs, cfg.nr_devices);
		mkfs_fs_release(&fs);
		return 1;
	}
	if (cfg.verbose)
		print_summary(&fs, devs);
	mkfs_fs_release(&fs);
	return 0;
}
