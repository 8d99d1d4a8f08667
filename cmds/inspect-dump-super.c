// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs inspect-internal dump-super: print superblock copies in the text
 * format of stock btrfs-progs 6.2, line for line.
 *
 * The superblock is read raw and printed as it is, damaged or not: this
 * is a tool for looking at broken filesystems too.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmds/commands.h"
#include "common/format.h"
#include "common/help.h"
#include "common/messages.h"
#include "common/utils.h"
#include "kernel-shared/accessors.h"
#include "kernel-shared/csum.h"
#include "kernel-shared/print-tree.h"

struct dump_super_opts {
	bool all;
	bool full;
	bool force;
	u64 bytenr;
};

/* Names of flag bits; a bit is either named, known unnamed, or unknown. */
struct flag_name {
	u64 bit;
	const char *name;
	/*
	 * Stock 6.2 knows the name but counts the bit as unknown, and prints
	 * the name only after another one (EXTENT_TREE_V2).
	 */
	bool name_after_others;
};

#define FLAG(b, n)	{ .bit = (b), .name = (n) }
#define FLAG_END	{ .bit = 0 }

static const struct flag_name super_flag_names[] = {
	FLAG(BTRFS_HEADER_FLAG_WRITTEN, "WRITTEN"),
	FLAG(BTRFS_HEADER_FLAG_RELOC, "RELOC"),
	FLAG(BTRFS_SUPER_FLAG_CHANGING_FSID, "CHANGING_FSID"),
	FLAG(BTRFS_SUPER_FLAG_SEEDING, "SEEDING"),
	FLAG(BTRFS_SUPER_FLAG_METADUMP, "METADUMP"),
	FLAG(BTRFS_SUPER_FLAG_METADUMP_V2, "METADUMP_V2"),
	FLAG_END
};
#define SUPER_FLAGS_KNOWN (BTRFS_HEADER_FLAG_WRITTEN |			\
			   BTRFS_HEADER_FLAG_RELOC |			\
			   BTRFS_SUPER_FLAG_CHANGING_FSID |		\
			   BTRFS_SUPER_FLAG_SEEDING |			\
			   BTRFS_SUPER_FLAG_METADUMP |			\
			   BTRFS_SUPER_FLAG_METADUMP_V2)

/* Stock prints no names for compat bits; ours appear only when set. */
static const struct flag_name compat_names[] = {
	FLAG(BTRFS_FEATURE_COMPAT_DAX_LAYOUT, "DAX_LAYOUT"),
	FLAG_END
};
#define COMPAT_KNOWN BTRFS_FEATURE_COMPAT_DAX_LAYOUT

static const struct flag_name compat_ro_names[] = {
	FLAG(BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE, "FREE_SPACE_TREE"),
	FLAG(BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID, "FREE_SPACE_TREE_VALID"),
	FLAG(BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE, "BLOCK_GROUP_TREE"),
	FLAG(BTRFS_FEATURE_COMPAT_RO_DAX, "DAX"),
	FLAG_END
};
/* VERITY is known to stock 6.2 but printed without a name. */
#define COMPAT_RO_KNOWN (BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE |	\
			 BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID | \
			 BTRFS_FEATURE_COMPAT_RO_VERITY |		\
			 BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE |	\
			 BTRFS_FEATURE_COMPAT_RO_DAX)

static const struct flag_name incompat_names[] = {
	FLAG(BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF, "MIXED_BACKREF"),
	FLAG(BTRFS_FEATURE_INCOMPAT_DEFAULT_SUBVOL, "DEFAULT_SUBVOL"),
	FLAG(BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS, "MIXED_GROUPS"),
	FLAG(BTRFS_FEATURE_INCOMPAT_COMPRESS_LZO, "COMPRESS_LZO"),
	FLAG(BTRFS_FEATURE_INCOMPAT_COMPRESS_ZSTD, "COMPRESS_ZSTD"),
	FLAG(BTRFS_FEATURE_INCOMPAT_BIG_METADATA, "BIG_METADATA"),
	FLAG(BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF, "EXTENDED_IREF"),
	FLAG(BTRFS_FEATURE_INCOMPAT_RAID56, "RAID56"),
	FLAG(BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA, "SKINNY_METADATA"),
	FLAG(BTRFS_FEATURE_INCOMPAT_NO_HOLES, "NO_HOLES"),
	FLAG(BTRFS_FEATURE_INCOMPAT_METADATA_UUID, "METADATA_UUID"),
	FLAG(BTRFS_FEATURE_INCOMPAT_RAID1C34, "RAID1C34"),
	FLAG(BTRFS_FEATURE_INCOMPAT_ZONED, "ZONED"),
	{ .bit = BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2, .name = "EXTENT_TREE_V2",
	  .name_after_others = true },
	FLAG_END
};
#define INCOMPAT_KNOWN ((BTRFS_FEATURE_INCOMPAT_ZONED << 1) - 1)

/*
 * The readable form under a flags line:
 *			( NAME |
 *			  NAME |
 *			  unknown flag: 0x... )
 */
static void print_flag_names(u64 flags, const struct flag_name *names,
			     u64 known)
{
	bool first = true;
	u64 unknown = flags & ~known;

	if (!flags)
		return;
	printf("\t\t\t( ");
	for (; names->bit; names++) {
		if (!(flags & names->bit) || (names->name_after_others && first))
			continue;
		printf(first ? "%s " : "|\n\t\t\t  %s ", names->name);
		first = false;
	}
	if (unknown)
		printf(first ? "unknown flag: 0x%llx " :
			       "|\n\t\t\t  unknown flag: 0x%llx ",
		       (unsigned long long)unknown);
	printf(")\n");
}

/* Names as stock dump-super prints them ("blake2", not "blake2b"). */
static const char *csum_type_name(u16 type)
{
	static const char *const names[] = {
		[BTRFS_CSUM_TYPE_CRC32] = "crc32c",
		[BTRFS_CSUM_TYPE_XXHASH] = "xxhash64",
		[BTRFS_CSUM_TYPE_SHA256] = "sha256",
		[BTRFS_CSUM_TYPE_BLAKE2] = "blake2",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return btrfs_csum_type_name(type);
}

static void print_csum(const struct btrfs_super_block *sb)
{
	u16 type = btrfs_super_csum_type(sb);
	bool valid = btrfs_csum_type_valid(type);
	u32 size = valid ? btrfs_csum_type_size(type) : BTRFS_CSUM_SIZE;
	u8 result[BTRFS_CSUM_SIZE];
	u32 i;

	printf("csum_type\t\t%hu (%s)\n", type,
	       valid ? csum_type_name(type) : "INVALID");
	printf("csum_size\t\t%u\n", size);
	printf("csum\t\t\t0x");
	for (i = 0; i < size; i++)
		printf("%02x", sb->csum[i]);
	if (!valid) {
		printf(" [UNKNOWN CSUM TYPE OR SIZE]\n");
		return;
	}
	btrfs_csum_data(type, (const u8 *)sb + BTRFS_CSUM_SIZE,
			BTRFS_SUPER_INFO_SIZE - BTRFS_CSUM_SIZE, result);
	printf(memcmp(result, sb->csum, size) ? " [DON'T MATCH]\n" :
						" [match]\n");
}

/* Bytes of an on-disk string field, unprintable ones as '.'. */
static void print_bytes(const char *s, size_t max, bool stop_at_nul)
{
	size_t i;

	for (i = 0; i < max && (!stop_at_nul || s[i]); i++)
		putchar(isprint((unsigned char)s[i]) ? s[i] : '.');
}

static bool has_metadata_uuid(const struct btrfs_super_block *sb)
{
	return btrfs_super_incompat_flags(sb) &
	       BTRFS_FEATURE_INCOMPAT_METADATA_UUID;
}

static void print_identity(const struct btrfs_super_block *sb)
{
	char uuid[FORMAT_UUID_LEN];

	printf("bytenr\t\t\t%llu\n", btrfs_super_bytenr(sb));
	printf("flags\t\t\t0x%llx\n", btrfs_super_flags(sb));
	print_flag_names(btrfs_super_flags(sb), super_flag_names,
			 SUPER_FLAGS_KNOWN);
	printf("magic\t\t\t");
	print_bytes((const char *)&sb->magic, sizeof(sb->magic), false);
	printf(btrfs_super_magic(sb) == BTRFS_MAGIC ? " [match]\n" :
						      " [DON'T MATCH]\n");
	format_uuid(sb->fsid, uuid);
	printf("fsid\t\t\t%s\n", uuid);
	if (has_metadata_uuid(sb))
		format_uuid(sb->metadata_uuid, uuid);
	printf("metadata_uuid\t\t%s\n", uuid);
	printf("label\t\t\t");
	print_bytes(sb->label, BTRFS_LABEL_SIZE, true);
	putchar('\n');
}

static void print_geometry(const struct btrfs_super_block *sb)
{
	printf("generation\t\t%llu\n", btrfs_super_generation(sb));
	printf("root\t\t\t%llu\n", btrfs_super_root(sb));
	printf("sys_array_size\t\t%u\n", btrfs_super_sys_array_size(sb));
	printf("chunk_root_generation\t%llu\n",
	       btrfs_super_chunk_root_generation(sb));
	printf("root_level\t\t%u\n", btrfs_super_root_level(sb));
	printf("chunk_root\t\t%llu\n", btrfs_super_chunk_root(sb));
	printf("chunk_root_level\t%u\n", btrfs_super_chunk_root_level(sb));
	printf("log_root\t\t%llu\n", btrfs_super_log_root(sb));
	printf("log_root_transid (deprecated)\t%llu\n",
	       btrfs_super_log_root_transid(sb));
	printf("log_root_level\t\t%u\n", btrfs_super_log_root_level(sb));
	printf("total_bytes\t\t%llu\n", btrfs_super_total_bytes(sb));
	printf("bytes_used\t\t%llu\n", btrfs_super_bytes_used(sb));
	printf("sectorsize\t\t%u\n", btrfs_super_sectorsize(sb));
	printf("nodesize\t\t%u\n", btrfs_super_nodesize(sb));
	printf("leafsize (deprecated)\t%u\n", btrfs_super_leafsize(sb));
	printf("stripesize\t\t%u\n", btrfs_super_stripesize(sb));
	printf("root_dir\t\t%llu\n", btrfs_super_root_dir(sb));
	printf("num_devices\t\t%llu\n", btrfs_super_num_devices(sb));
}

static void print_features(const struct btrfs_super_block *sb)
{
	u64 compat = btrfs_super_compat_flags(sb);

	printf("compat_flags\t\t0x%llx\n", compat);
	/* Stock images (no DAX_LAYOUT) print exactly as stock does. */
	if (compat & BTRFS_FEATURE_COMPAT_DAX_LAYOUT)
		print_flag_names(compat, compat_names, COMPAT_KNOWN);
	printf("compat_ro_flags\t\t0x%llx\n", btrfs_super_compat_ro_flags(sb));
	print_flag_names(btrfs_super_compat_ro_flags(sb), compat_ro_names,
			 COMPAT_RO_KNOWN);
	printf("incompat_flags\t\t0x%llx\n", btrfs_super_incompat_flags(sb));
	print_flag_names(btrfs_super_incompat_flags(sb), incompat_names,
			 INCOMPAT_KNOWN);
	printf("cache_generation\t%llu\n", btrfs_super_cache_generation(sb));
	printf("uuid_tree_generation\t%llu\n",
	       btrfs_super_uuid_tree_generation(sb));
}

static void print_dev_item(const struct btrfs_super_block *sb)
{
	const struct btrfs_dev_item *dev = &sb->dev_item;
	const u8 *fsid = has_metadata_uuid(sb) ? sb->metadata_uuid : sb->fsid;
	char uuid[FORMAT_UUID_LEN];

	format_uuid(dev->uuid, uuid);
	printf("dev_item.uuid\t\t%s\n", uuid);
	format_uuid(dev->fsid, uuid);
	printf("dev_item.fsid\t\t%s %s\n", uuid,
	       memcmp(dev->fsid, fsid, BTRFS_FSID_SIZE) ? "[DON'T MATCH]" :
							  "[match]");
	printf("dev_item.type\t\t%llu\n", btrfs_device_type(dev));
	printf("dev_item.total_bytes\t%llu\n", btrfs_device_total_bytes(dev));
	printf("dev_item.bytes_used\t%llu\n", btrfs_device_bytes_used(dev));
	printf("dev_item.io_align\t%u\n", btrfs_device_io_align(dev));
	printf("dev_item.io_width\t%u\n", btrfs_device_io_width(dev));
	printf("dev_item.sector_size\t%u\n", btrfs_device_sector_size(dev));
	printf("dev_item.devid\t\t%llu\n", btrfs_device_id(dev));
	printf("dev_item.dev_group\t%u\n", btrfs_device_group(dev));
	printf("dev_item.seek_speed\t%u\n", btrfs_device_seek_speed(dev));
	printf("dev_item.bandwidth\t%u\n", btrfs_device_bandwidth(dev));
	printf("dev_item.generation\t%llu\n", btrfs_device_generation(dev));
}

/*
 * The system chunk array: (disk key, chunk item) pairs.  Damage stops the
 * walk with an error, after what could be printed.
 */
static void print_sys_chunk_array(const struct btrfs_super_block *sb)
{
	u32 size = btrfs_super_sys_array_size(sb);
	const u8 *array = sb->sys_chunk_array;
	u32 offset = 0;
	u32 len = 0;
	int item;

	if (size > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE) {
		error("sys_array_size %u shouldn't exceed %u bytes", size,
		      BTRFS_SYSTEM_CHUNK_ARRAY_SIZE);
		return;
	}
	for (item = 0; offset < size; item++) {
		const struct btrfs_disk_key *key;
		const struct btrfs_chunk *chunk;
		u16 num_stripes;

		len = sizeof(*key);
		if (offset + len > size)
			goto short_array;
		key = (const struct btrfs_disk_key *)(array + offset);
		offset += len;
		printf("\titem %d ", item);
		btrfs_print_key(key);
		putchar('\n');
		if (btrfs_disk_key_type(key) != BTRFS_CHUNK_ITEM_KEY) {
			error("unexpected item type %u in sys_array at offset %u",
			      btrfs_disk_key_type(key), offset);
			return;
		}
		/* At least the chunk with its first stripe. */
		len = btrfs_chunk_item_size(1);
		if (offset + len > size)
			goto short_array;
		chunk = (const struct btrfs_chunk *)(array + offset);
		num_stripes = btrfs_chunk_num_stripes(chunk);
		if (!num_stripes) {
			error("invalid number of stripes %u in sys_array at offset %u",
			      num_stripes, offset);
			return;
		}
		len = btrfs_chunk_item_size(num_stripes);
		if (offset + len > size)
			goto short_array;
		btrfs_print_chunk(chunk, len);
		offset += len;
	}
	return;

short_array:
	error("sys_array too short to read %u bytes at offset %u", len, offset);
}

static void print_backup_root(const char *name, const char *sep, u64 bytenr,
			      u64 gen, u8 level)
{
	printf("\t\t%s:%s%llu\tgen: %llu\tlevel: %u\n", name, sep, bytenr, gen,
	       level);
}

static void print_backup_roots(const struct btrfs_super_block *sb)
{
	/* With extent-tree-v2 the extent root slot holds the block group root. */
	const char *extent_slot =
		btrfs_super_incompat_flags(sb) &
		BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2 ?
		"backup_block_group_root" : "backup_extent_root";
	int i;

	for (i = 0; i < BTRFS_NUM_BACKUP_ROOTS; i++) {
		const struct btrfs_root_backup *b = &sb->super_roots[i];

		/* A slot never written has neither a root nor a generation. */
		if (!btrfs_backup_tree_root(b) && !btrfs_backup_tree_root_gen(b))
			continue;
		printf("\tbackup %d:\n", i);
		print_backup_root("backup_tree_root", "\t",
				  btrfs_backup_tree_root(b),
				  btrfs_backup_tree_root_gen(b),
				  btrfs_backup_tree_root_level(b));
		print_backup_root("backup_chunk_root", "\t",
				  btrfs_backup_chunk_root(b),
				  btrfs_backup_chunk_root_gen(b),
				  btrfs_backup_chunk_root_level(b));
		print_backup_root(extent_slot, "\t",
				  btrfs_backup_extent_root(b),
				  btrfs_backup_extent_root_gen(b),
				  btrfs_backup_extent_root_level(b));
		print_backup_root("backup_fs_root", "\t\t",
				  btrfs_backup_fs_root(b),
				  btrfs_backup_fs_root_gen(b),
				  btrfs_backup_fs_root_level(b));
		print_backup_root("backup_dev_root", "\t",
				  btrfs_backup_dev_root(b),
				  btrfs_backup_dev_root_gen(b),
				  btrfs_backup_dev_root_level(b));
		/* Stock 6.2 drops the "backup_" prefix on this one. */
		print_backup_root("csum_root", "\t",
				  btrfs_backup_csum_root(b),
				  btrfs_backup_csum_root_gen(b),
				  btrfs_backup_csum_root_level(b));
		printf("\t\tbackup_total_bytes:\t%llu\n",
		       btrfs_backup_total_bytes(b));
		printf("\t\tbackup_bytes_used:\t%llu\n",
		       btrfs_backup_bytes_used(b));
		printf("\t\tbackup_num_devices:\t%llu\n\n",
		       btrfs_backup_num_devices(b));
	}
}

static void print_superblock(const struct btrfs_super_block *sb, bool full)
{
	print_csum(sb);
	print_identity(sb);
	print_geometry(sb);
	print_features(sb);
	print_dev_item(sb);
	if (!full)
		return;
	printf("sys_chunk_array[%d]:\n", BTRFS_SYSTEM_CHUNK_ARRAY_SIZE);
	print_sys_chunk_array(sb);
	printf("backup_roots[%d]:\n", BTRFS_NUM_BACKUP_ROOTS);
	print_backup_roots(sb);
}

/*
 * Read and print the superblock at bytenr.  A copy that lies wholly past
 * the end of the device is skipped silently.  Returns 0 or 1 (failure).
 */
static int dump_one(const char *path, int fd, u64 bytenr,
		    const struct dump_super_opts *opts)
{
	struct btrfs_super_block sb;
	ssize_t n;

	n = pread(fd, &sb, sizeof(sb), (off_t)bytenr);
	if (n == 0)
		return 0;
	if (n < 0) {
		error("failed to read the superblock on %s at %llu: %m", path,
		      (unsigned long long)bytenr);
		return 1;
	}
	if (n != (ssize_t)sizeof(sb)) {
		error("failed to read the superblock on %s at %llu: short read, %zd of %zu bytes",
		      path, (unsigned long long)bytenr, n, sizeof(sb));
		return 1;
	}
	printf("superblock: bytenr=%llu, device=%s\n",
	       (unsigned long long)bytenr, path);
	printf("---------------------------------------------------------\n");
	if (btrfs_super_magic(&sb) != BTRFS_MAGIC && !opts->force) {
		error("bad magic on superblock on %s at %llu (use --force to dump it anyway)",
		      path, (unsigned long long)bytenr);
		return 1;
	}
	print_superblock(&sb, opts->full);
	return 0;
}

static int dump_device(const char *path, const struct dump_super_opts *opts)
{
	int ret = 0;
	int fd;
	int i;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		error("cannot open %s: %m", path);
		return 1;
	}
	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 bytenr = opts->all ? btrfs_sb_offset(i) : opts->bytenr;

		ret = dump_one(path, fd, bytenr, opts);
		if (ret)
			break;
		putchar('\n');
		if (!opts->all)
			break;
	}
	close(fd);
	return ret;
}

/* -s/--super N, or a byte offset for the old -s <bytenr> syntax. */
static int parse_super_arg(const char *arg, struct dump_super_opts *opts)
{
	u64 value;

	if (arg_strtou64(arg, &value))
		return 1;
	if (value >= BTRFS_SUPER_MIRROR_MAX) {
		warning("deprecated use of -s <bytenr> with %llu, assuming --bytenr",
			(unsigned long long)value);
		opts->bytenr = value;
	} else {
		opts->bytenr = btrfs_sb_offset((int)value);
	}
	opts->all = false;
	return 0;
}

/* The deprecated -i <super>. */
static int parse_mirror_arg(const char *arg, struct dump_super_opts *opts)
{
	u64 value;

	warning("option -i is deprecated, please use -s or --super");
	if (arg_strtou64(arg, &value))
		return 1;
	if (value >= BTRFS_SUPER_MIRROR_MAX) {
		error("super mirror too big: %llu >= %d",
		      (unsigned long long)value, BTRFS_SUPER_MIRROR_MAX);
		return 1;
	}
	opts->bytenr = btrfs_sb_offset((int)value);
	return 0;
}

enum { OPT_BYTENR = 257 };

static int parse_options(const struct cmd_struct *cmd, int argc, char **argv,
			 struct dump_super_opts *opts)
{
	static const struct option long_opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "bytenr", required_argument, NULL, OPT_BYTENR },
		{ "full", no_argument, NULL, 'f' },
		{ "force", no_argument, NULL, 'F' },
		{ "super", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	/* "+": options end at the first device name, as in stock. */
	while ((c = getopt_long(argc, argv, "+fFai:s:", long_opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			opts->all = true;
			break;
		case 'f':
			opts->full = true;
			break;
		case 'F':
			opts->force = true;
			break;
		case 'i':
			if (parse_mirror_arg(optarg, opts))
				return 1;
			break;
		case 's':
			if (parse_super_arg(optarg, opts))
				return 1;
			break;
		case OPT_BYTENR:
			if (arg_strtou64(optarg, &opts->bytenr))
				return 1;
			opts->all = false;
			break;
		default:
			return usage_unknown_option(cmd, argv);
		}
	}
	return 0;
}

static int cmd_inspect_dump_super(const struct cmd_struct *cmd, int argc,
				  char **argv)
{
	struct dump_super_opts opts = { .bytenr = btrfs_sb_offset(0) };
	int ret;
	int i;

	ret = parse_options(cmd, argc, argv, &opts);
	if (ret)
		return ret;
	if (check_argc_min(cmd, argc - optind, 1))
		return 1;
	for (i = optind; i < argc; i++) {
		ret = dump_device(argv[i], &opts);
		if (ret)
			break;
	}
	return ret;
}

static const char *const cmd_inspect_dump_super_usage[] = {
	"btrfs inspect-internal dump-super [options] device [device...]",
	"Print superblocks of devices as text",
	"",
	HELP_OPT("-f|--full", "also print the system chunk array and the backup roots"),
	HELP_OPT("-a|--all", "print every superblock copy of each device"),
	HELP_OPT("-s|--super <super>", "print superblock copy <super> (0, 1 or 2)"),
	HELP_OPT("-F|--force", "print superblocks even when their magic is wrong"),
	HELP_OPT("--bytenr <offset>", "read the superblock at byte <offset> instead"),
	"",
	"Deprecated syntax:",
	HELP_OPT("-s <bytenr>", "a value other than 0, 1 or 2 is taken as --bytenr"),
	HELP_OPT("-i <super>", "the same as -s|--super <super>"),
	NULL
};

const struct cmd_struct cmd_struct_inspect_dump_super = {
	.name = "dump-super",
	.usage = cmd_inspect_dump_super_usage,
	.fn = cmd_inspect_dump_super,
};
