// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs inspect-internal dump-tree: print tree blocks in the text format of
 * stock btrfs-progs 6.2, line for line, in the same order.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uuid/uuid.h>
#include "cmds/commands.h"
#include "common/help.h"
#include "common/messages.h"
#include "common/utils.h"
#include "kernel-shared/ctree.h"
#include "kernel-shared/print-tree.h"

/*
 * The first line of every dump.  Stock prints its own package version;
 * keeping the same line keeps dumps comparable with stock ones.
 */
#define DUMP_TREE_BANNER	"btrfs-progs v6.2"

/* Large, so that a dump costs few write(2) calls. */
#define DUMP_TREE_STDOUT_BUF	(1U << 20)

/*
 * A dump reads almost every block once; a small cache keeps the paths hot
 * and lets freed blocks be reused instead of growing the heap.
 */
#define DUMP_TREE_CACHE_LIMIT	(32ULL << 20)

struct dump_opts {
	bool extent_only;
	bool device_only;
	bool uuid_only;
	bool roots_only;
	bool root_backups;
	bool noscan;
	u64 tree_id;
	unsigned int mode;	/* PRINT_TREE_* except FOLLOW */
	bool follow;
	u64 *blocks;		/* sorted, unique */
	size_t nr_blocks;
};

/* One ROOT_ITEM of a tree of roots. */
struct root_entry {
	struct btrfs_disk_key key;
	u64 bytenr;
	u64 generation;
	u8 level;
};

struct root_list {
	struct root_entry *v;
	size_t nr;
	size_t alloc;
};

/* The roots stock's open_ctree() loads, as far as they could be read. */
struct dump_ctx {
	struct btrfs_fs_info *fs_info;
	const struct dump_opts *opts;
	struct extent_buffer *tree_root;
	struct extent_buffer *chunk_root;
	struct extent_buffer *log_root;
	struct extent_buffer *bg_root;
	struct root_list roots;		/* of the root tree */
	struct root_list log_roots;	/* of the log root tree */
	int err;		/* first failure, for the exit code */
};

static const char *const dump_tree_usage[] = {
	"btrfs inspect-internal dump-tree [options] <device> [<device> ..]",
	"Dump tree structures from a given device",
	"Dump tree structures from a given device in textual form, expand keys to human",
	"readable equivalents where possible.",
	"Note: contains file names, consider that if you're asked to send the dump",
	"for analysis.",
	"",
	HELP_OPT("-e|--extents", "print only extent info: extent and device trees"),
	HELP_OPT("-d|--device", "print only device info: tree root, chunk and device trees"),
	HELP_OPT("-r|--roots", "print only short root node info"),
	HELP_OPT("-R|--backups", "same as --roots plus print backup root info"),
	HELP_OPT("-u|--uuid", "print only the uuid tree"),
	HELP_OPT("-b|--block <block_num>", "print info from the specified block only can be specified multiple times"),
	HELP_OPT("-t|--tree <tree_id>", "print only tree with the given id (string or number)"),
	HELP_OPT("--follow", "use with -b, to show all children tree blocks of <block_num>"),
	HELP_OPT("--noscan", "do not scan the devices from the filesystem, use only the listed ones"),
	HELP_OPT("--bfs", "breadth-first traversal of the trees, print nodes, then leaves (default)"),
	HELP_OPT("--dfs", "depth-first traversal of the trees"),
	HELP_OPT("--hide-names", "hide filenames/subvolume/xattrs and other name references"),
	HELP_OPT("--csum-headers", "print node checksums stored in headers (metadata)"),
	HELP_OPT("--csum-items", "print checksums stored in checksum items (data)"),
	NULL
};

/*
 * Records a failure for the exit status.  Blocks that live on missing
 * devices do not count: stock exits with 0 for them, after warning about
 * the missing devices.
 */
static void dump_fail(struct dump_ctx *ctx, int err)
{
	if (err == -ENODEV)
		return;
	if (!ctx->err)
		ctx->err = err ? err : -EIO;
}

/*
 * Tree names -t accepts, as stock 6.2: an optional BTRFS_ prefix, one of
 * these (case does not matter, first match wins), then optional _TREE and
 * _OBJECTID suffixes.
 */
static const struct {
	const char *name;
	u64 id;
} tree_names[] = {
	{ "ROOT", BTRFS_ROOT_TREE_OBJECTID },
	{ "EXTENT", BTRFS_EXTENT_TREE_OBJECTID },
	{ "CHUNK", BTRFS_CHUNK_TREE_OBJECTID },
	{ "DEVICE", BTRFS_DEV_TREE_OBJECTID },
	{ "DEV", BTRFS_DEV_TREE_OBJECTID },
	{ "FS", BTRFS_FS_TREE_OBJECTID },
	{ "CSUM", BTRFS_CSUM_TREE_OBJECTID },
	{ "CHECKSUM", BTRFS_CSUM_TREE_OBJECTID },
	{ "QUOTA", BTRFS_QUOTA_TREE_OBJECTID },
	{ "UUID", BTRFS_UUID_TREE_OBJECTID },
	{ "FREE_SPACE", BTRFS_FREE_SPACE_TREE_OBJECTID },
	{ "TREE_LOG_FIXUP", BTRFS_TREE_LOG_FIXUP_OBJECTID },
	{ "TREE_LOG", BTRFS_TREE_LOG_OBJECTID },
	{ "TREE_RELOC", BTRFS_TREE_RELOC_OBJECTID },
	{ "DATA_RELOC", BTRFS_DATA_RELOC_TREE_OBJECTID },
	{ "BLOCK_GROUP_TREE", BTRFS_BLOCK_GROUP_TREE_OBJECTID },
};

static const char *skip_prefix_nocase(const char *str, const char *prefix)
{
	size_t len = strlen(prefix);

	return strncasecmp(str, prefix, len) ? str : str + len;
}

/* 0 when the name is not known; *end points after what was recognized. */
static u64 tree_id_from_name(const char *str, const char **end)
{
	size_t i;

	str = skip_prefix_nocase(str, "BTRFS_");
	for (i = 0; i < sizeof(tree_names) / sizeof(tree_names[0]); i++) {
		size_t len = strlen(tree_names[i].name);

		if (strncasecmp(tree_names[i].name, str, len))
			continue;
		str = skip_prefix_nocase(str + len, "_TREE");
		*end = skip_prefix_nocase(str, "_OBJECTID");
		return tree_names[i].id;
	}
	return 0;
}

static bool is_all_digits(const char *s)
{
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

static int parse_tree_id(const char *arg, u64 *id)
{
	const char *end = NULL;

	if (is_all_digits(arg)) {
		if (arg_strtou64(arg, id))
			return -EINVAL;
	} else {
		*id = tree_id_from_name(arg, &end);
	}
	if (!*id) {
		error("unrecognized tree id: %s", arg);
		return -EINVAL;
	}
	if (end && *end) {
		error("unexpected tree id suffix of '%s': %s", arg, end);
		return -EINVAL;
	}
	return 0;
}

/* Adds a -b block; stock keeps them sorted and warns about repeats. */
static int add_block(struct dump_opts *o, u64 bytenr)
{
	size_t i, pos = 0;
	u64 *grown;

	while (pos < o->nr_blocks && o->blocks[pos] < bytenr)
		pos++;
	if (pos < o->nr_blocks && o->blocks[pos] == bytenr) {
		warning("tree block bytenr %llu is duplicated",
			(unsigned long long)bytenr);
		return 0;
	}
	grown = realloc(o->blocks, (o->nr_blocks + 1) * sizeof(*grown));
	if (!grown) {
		error("failed to record tree block bytenr %llu: %s",
		      (unsigned long long)bytenr, strerror(ENOMEM));
		return -ENOMEM;
	}
	o->blocks = grown;
	for (i = o->nr_blocks; i > pos; i--)
		o->blocks[i] = o->blocks[i - 1];
	o->blocks[pos] = bytenr;
	o->nr_blocks++;
	return 0;
}

enum {
	OPT_FOLLOW = 256,
	OPT_DFS,
	OPT_BFS,
	OPT_NOSCAN,
	OPT_HIDE_NAMES,
	OPT_CSUM_HEADERS,
	OPT_CSUM_ITEMS,
};

static const struct option dump_long_options[] = {
	{ "extents", no_argument, NULL, 'e' },
	{ "device", no_argument, NULL, 'd' },
	{ "roots", no_argument, NULL, 'r' },
	{ "backups", no_argument, NULL, 'R' },
	{ "uuid", no_argument, NULL, 'u' },
	{ "block", required_argument, NULL, 'b' },
	{ "tree", required_argument, NULL, 't' },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "bfs", no_argument, NULL, OPT_BFS },
	{ "dfs", no_argument, NULL, OPT_DFS },
	{ "noscan", no_argument, NULL, OPT_NOSCAN },
	{ "hide-names", no_argument, NULL, OPT_HIDE_NAMES },
	{ "csum-headers", no_argument, NULL, OPT_CSUM_HEADERS },
	{ "csum-items", no_argument, NULL, OPT_CSUM_ITEMS },
	{ NULL, 0, NULL, 0 }
};

/* Returns 0, or the exit code for a bad command line. */
static int parse_options(const struct cmd_struct *cmd, int argc, char **argv,
			 struct dump_opts *o)
{
	unsigned int traverse = PRINT_TREE_BFS;
	u64 bytenr;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "deb:rRut:", dump_long_options,
				NULL)) >= 0) {
		switch (c) {
		case 'e': o->extent_only = true; break;
		case 'd': o->device_only = true; break;
		case 'r': o->roots_only = true; break;
		case 'u': o->uuid_only = true; break;
		case 'R':
			o->roots_only = true;
			o->root_backups = true;
			break;
		case 'b':
			if (arg_strtou64(optarg, &bytenr) || add_block(o, bytenr))
				return 1;
			break;
		case 't':
			if (parse_tree_id(optarg, &o->tree_id))
				return 1;
			break;
		case OPT_FOLLOW: o->follow = true; break;
		case OPT_DFS: traverse = PRINT_TREE_DFS; break;
		case OPT_BFS: traverse = PRINT_TREE_BFS; break;
		case OPT_NOSCAN: o->noscan = true; break;
		case OPT_HIDE_NAMES: o->mode |= PRINT_TREE_HIDE_NAMES; break;
		case OPT_CSUM_HEADERS: o->mode |= PRINT_TREE_CSUM_HEADERS; break;
		case OPT_CSUM_ITEMS: o->mode |= PRINT_TREE_CSUM_ITEMS; break;
		default:
			return usage_unknown_option(cmd, argv);
		}
	}
	o->mode |= traverse;
	if (check_argc_min(cmd, argc - optind, 1))
		return 1;
	return 0;
}

/*
 * The checks stock makes on device arguments before it prints anything:
 * each must exist and carry a btrfs superblock.  Like stock, the type
 * check looks at the first device each time.
 */
static int scan_devices(int argc, char **argv, int first)
{
	struct btrfs_open_opts opts;
	int i, ret;

	btrfs_open_opts_init(&opts);
	opts.flags = BTRFS_OPEN_SUPER_ONLY | BTRFS_OPEN_NOSCAN;
	for (i = first; i < argc; i++) {
		const char *path = argv[i];
		struct btrfs_fs_info *fs_info = NULL;
		struct stat st;

		if (stat(argv[first], &st) < 0)
			error("invalid argument %s: %m", path);
		else if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
			error("not a block device or regular file: %s", path);
		if (access(path, R_OK) < 0) {
			error("cannot open %s: %m", path);
			return -EINVAL;
		}
		ret = btrfs_open_fs(&path, 1, &opts, &fs_info);
		if (ret)
			error("device scan %s: %s", path,
			      fs_info && fs_info->err[0] ? fs_info->err :
			      strerror(-ret));
		btrfs_close_fs(fs_info);
		if (ret)
			return ret;
	}
	return 0;
}

static struct extent_buffer *read_root_block(struct dump_ctx *ctx, u64 bytenr,
					     u64 generation, int level,
					     const char *what)
{
	struct tree_block_expect expect = {
		.generation = generation,
		.level = level,
	};
	struct extent_buffer *eb;
	int ret;

	ret = btrfs_read_block_for_print(ctx->fs_info, bytenr, &expect, &eb);
	if (ret) {
		error("cannot read %s at %llu: %s", what,
		      (unsigned long long)bytenr, ctx->fs_info->err[0] ?
		      ctx->fs_info->err : strerror(-ret));
		dump_fail(ctx, ret);
		return NULL;
	}
	return eb;
}

static int root_list_add(struct root_list *list,
			 const struct btrfs_disk_key *key, const u8 *item,
			 u32 size)
{
	struct btrfs_root_item ri;
	struct root_entry *e;

	if (list->nr == list->alloc) {
		size_t alloc = list->alloc ? list->alloc * 2 : 64;
		struct root_entry *v = realloc(list->v, alloc * sizeof(*v));

		if (!v)
			return -ENOMEM;
		list->v = v;
		list->alloc = alloc;
	}
	memset(&ri, 0, sizeof(ri));
	memcpy(&ri, item, size < sizeof(ri) ? size : sizeof(ri));
	e = &list->v[list->nr++];
	e->key = *key;
	e->bytenr = btrfs_root_bytenr(&ri);
	e->generation = btrfs_root_generation(&ri);
	e->level = btrfs_root_level(&ri);
	return 0;
}

static int root_list_add_leaf(struct root_list *list,
			      const struct extent_buffer *leaf)
{
	u32 data_size = btrfs_leaf_data_size(leaf->len);
	u32 nr = eb_nritems(leaf);
	u32 i;
	int ret;

	if (nr > data_size / sizeof(struct btrfs_item))
		nr = data_size / sizeof(struct btrfs_item);
	for (i = 0; i < nr; i++) {
		const struct btrfs_item *item = eb_item(leaf, (int)i);
		u32 off = btrfs_raw_item_offset(item);
		u32 size = btrfs_raw_item_size(item);

		if (btrfs_disk_key_type(&item->key) != BTRFS_ROOT_ITEM_KEY)
			continue;
		if ((u64)off + size > data_size)
			break;
		ret = root_list_add(list, &item->key,
				    leaf->data + sizeof(struct btrfs_header) + off,
				    size);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * Every ROOT_ITEM of a tree of roots, in key order.  Like stock, the walk
 * ends at the first block that cannot be read.
 */
static int root_list_collect(struct dump_ctx *ctx, struct extent_buffer *eb,
			     struct root_list *list)
{
	int level = eb_level(eb);
	u32 nr = eb_nritems(eb);
	u32 i;
	int ret;

	if (!level)
		return root_list_add_leaf(list, eb);
	if (nr > btrfs_node_ptrs_max(eb->len))
		nr = btrfs_node_ptrs_max(eb->len);
	for (i = 0; i < nr; i++) {
		struct tree_block_expect expect = {
			.generation = eb_node_ptr_generation(eb, (int)i),
			.level = level - 1,
		};
		struct extent_buffer *child;
		u64 bytenr = eb_node_blockptr(eb, (int)i);

		ret = btrfs_read_block_for_print(ctx->fs_info, bytenr, &expect,
						 &child);
		if (ret) {
			error("cannot read ROOT_ITEM from tree %llu: block %llu: %s",
			      (unsigned long long)eb_owner(eb),
			      (unsigned long long)bytenr,
			      ctx->fs_info->err[0] ? ctx->fs_info->err :
			      strerror(-ret));
			return ret;
		}
		ret = root_list_collect(ctx, child, list);
		extent_buffer_put(child);
		if (ret)
			return ret;
	}
	return 0;
}

/* The newest root item of a tree, as stock looks a tree up. */
static const struct root_entry *root_list_find(const struct root_list *list,
					       u64 objectid)
{
	size_t i;

	for (i = list->nr; i-- > 0;)
		if (btrfs_disk_key_objectid(&list->v[i].key) == objectid)
			return &list->v[i];
	return NULL;
}

static struct extent_buffer *read_tree_by_id(struct dump_ctx *ctx, u64 id,
					     const char *what)
{
	const struct root_entry *e = root_list_find(&ctx->roots, id);

	if (!e) {
		error("cannot find the %s", what);
		dump_fail(ctx, -ENOENT);
		return NULL;
	}
	return read_root_block(ctx, e->bytenr, e->generation, e->level, what);
}

/* A tree stock's open_ctree() cannot do without; false when unreadable. */
static bool tree_readable(struct dump_ctx *ctx, u64 id, const char *what)
{
	struct extent_buffer *eb = read_tree_by_id(ctx, id, what);

	if (!eb)
		return false;
	extent_buffer_put(eb);
	return true;
}

/*
 * Reads the roots stock's open_ctree() reads.  Like stock, a dump of whole
 * trees needs the root tree, the device tree, the block group tree where
 * there is one, and the top-level subvolume; returns -EIO without them.
 */
static int load_roots(struct dump_ctx *ctx)
{
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	const struct btrfs_sb_info *sb = &fs_info->sb;
	int ret;

	ctx->tree_root = read_root_block(ctx, fs_info->tree_root.bytenr,
					 fs_info->tree_root.generation,
					 fs_info->tree_root.level, "the root tree");
	if (!ctx->tree_root)
		return -EIO;
	ctx->chunk_root = read_root_block(ctx, fs_info->chunk_root.bytenr,
					  fs_info->chunk_root.generation,
					  fs_info->chunk_root.level,
					  "the chunk tree");
	ret = root_list_collect(ctx, ctx->tree_root, &ctx->roots);
	if (ret)
		dump_fail(ctx, ret);
	if (!tree_readable(ctx, BTRFS_DEV_TREE_OBJECTID, "device tree"))
		return -EIO;
	if (sb->compat_ro_flags & BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE) {
		ctx->bg_root = read_tree_by_id(ctx,
					       BTRFS_BLOCK_GROUP_TREE_OBJECTID,
					       "block group tree");
		if (!ctx->bg_root)
			return -EIO;
	}
	if (sb->log_root) {
		ctx->log_root = read_root_block(ctx, sb->log_root,
						sb->generation + 1,
						sb->log_root_level,
						"the log root tree");
		if (ctx->log_root) {
			ret = root_list_collect(ctx, ctx->log_root,
						&ctx->log_roots);
			if (ret)
				dump_fail(ctx, ret);
		}
	}
	if (!tree_readable(ctx, BTRFS_FS_TREE_OBJECTID, "fs tree"))
		return -EIO;
	return 0;
}

static void put_roots(struct dump_ctx *ctx)
{
	struct extent_buffer **ebs[] = {
		&ctx->tree_root, &ctx->chunk_root, &ctx->log_root, &ctx->bg_root,
	};
	size_t i;

	for (i = 0; i < sizeof(ebs) / sizeof(ebs[0]); i++) {
		if (*ebs[i])
			extent_buffer_put(*ebs[i]);
		*ebs[i] = NULL;
	}
	free(ctx->roots.v);
	free(ctx->log_roots.v);
}

static void print_whole_tree(struct dump_ctx *ctx, struct extent_buffer *eb)
{
	int ret = btrfs_print_tree_checked(ctx->fs_info, eb,
					   ctx->opts->mode | PRINT_TREE_FOLLOW);

	if (ret)
		dump_fail(ctx, ret);
}

static void dump_blocks(struct dump_ctx *ctx)
{
	const struct dump_opts *o = ctx->opts;
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	unsigned int mode = o->mode | (o->follow ? PRINT_TREE_FOLLOW : 0);
	size_t i;

	for (i = 0; i < o->nr_blocks; i++) {
		struct tree_block_expect expect = { .level = -1 };
		struct extent_buffer *eb;
		u64 bytenr = o->blocks[i];
		int ret;

		if (bytenr % fs_info->sb.sectorsize) {
			error("tree block bytenr %llu is not aligned to sectorsize %u",
			      (unsigned long long)bytenr, fs_info->sb.sectorsize);
			dump_fail(ctx, -EINVAL);
			continue;
		}
		ret = btrfs_read_block_for_print(fs_info, bytenr, &expect, &eb);
		if (ret) {
			error("failed to read tree block %llu: %s",
			      (unsigned long long)bytenr, fs_info->err[0] ?
			      fs_info->err : strerror(-ret));
			dump_fail(ctx, ret);
			continue;
		}
		ret = btrfs_print_tree_checked(fs_info, eb, mode);
		if (ret)
			dump_fail(ctx, ret);
		extent_buffer_put(eb);
	}
}

/* What stock calls each tree when it walks the root items. */
static const char *tree_label(u64 objectid)
{
	switch (objectid) {
	case BTRFS_ROOT_TREE_OBJECTID:		return "root";
	case BTRFS_EXTENT_TREE_OBJECTID:	return "extent";
	case BTRFS_CHUNK_TREE_OBJECTID:		return "chunk";
	case BTRFS_DEV_TREE_OBJECTID:		return "device";
	case BTRFS_FS_TREE_OBJECTID:		return "fs";
	case BTRFS_ROOT_TREE_DIR_OBJECTID:	return "directory";
	case BTRFS_CSUM_TREE_OBJECTID:		return "checksum";
	case BTRFS_ORPHAN_OBJECTID:		return "orphan";
	case BTRFS_TREE_LOG_OBJECTID:		return "log";
	case BTRFS_TREE_LOG_FIXUP_OBJECTID:	return "log fixup";
	case BTRFS_TREE_RELOC_OBJECTID:		return "reloc";
	case BTRFS_DATA_RELOC_TREE_OBJECTID:	return "data reloc";
	case BTRFS_EXTENT_CSUM_OBJECTID:	return "extent checksum";
	case BTRFS_QUOTA_TREE_OBJECTID:		return "quota";
	case BTRFS_UUID_TREE_OBJECTID:		return "uuid";
	case BTRFS_FREE_SPACE_TREE_OBJECTID:	return "free space";
	case BTRFS_MULTIPLE_OBJECTIDS:		return "multiple";
	case BTRFS_BLOCK_GROUP_TREE_OBJECTID:	return "block group";
	}
	return "file";
}

/* Whether the filters -e, -d and -u leave this tree out. */
static bool tree_skipped(const struct dump_opts *o, u64 objectid)
{
	bool skip = o->extent_only || o->device_only || o->uuid_only;

	switch (objectid) {
	case BTRFS_EXTENT_TREE_OBJECTID:
		return skip && (o->device_only || o->uuid_only);
	case BTRFS_DEV_TREE_OBJECTID:
		return skip && o->uuid_only;
	case BTRFS_UUID_TREE_OBJECTID:
		return skip && (o->extent_only || o->device_only);
	case BTRFS_ROOT_TREE_DIR_OBJECTID:
		return false;
	}
	return skip;
}

/* One ROOT_ITEM of the root tree (or log root tree) and its tree. */
static void dump_root_item(struct dump_ctx *ctx, const struct root_entry *e)
{
	const struct dump_opts *o = ctx->opts;
	struct tree_block_expect expect = { .level = -1 };
	u64 objectid = btrfs_disk_key_objectid(&e->key);
	struct extent_buffer *eb;
	int ret;

	/* Stock reads the block before it looks at the filters. */
	ret = btrfs_read_block_for_print(ctx->fs_info, e->bytenr, &expect, &eb);
	if (ret) {
		error("cannot read the root of tree %llu at %llu: %s",
		      (unsigned long long)objectid,
		      (unsigned long long)e->bytenr,
		      ctx->fs_info->err[0] ? ctx->fs_info->err : strerror(-ret));
		dump_fail(ctx, ret);
		return;
	}
	if ((o->tree_id && objectid != o->tree_id) ||
	    tree_skipped(o, objectid))
		goto out;
	printf("%s tree ", tree_label(objectid));
	btrfs_print_key(&e->key);
	if (o->extent_only) {
		putchar('\n');
		ret = btrfs_print_tree_leaves(ctx->fs_info, eb, o->mode);
		if (ret)
			dump_fail(ctx, ret);
	} else if (o->roots_only) {
		printf(" %llu level %d\n", (unsigned long long)eb->start,
		       eb_level(eb));
	} else {
		fputs(" \n", stdout);
		print_whole_tree(ctx, eb);
	}
out:
	extent_buffer_put(eb);
}

static void dump_root_items(struct dump_ctx *ctx, const struct root_list *list)
{
	size_t i;

	for (i = 0; i < list->nr; i++)
		dump_root_item(ctx, &list->v[i]);
}

static void print_backup_roots(const struct btrfs_super_block *sb)
{
	bool v2 = btrfs_super_incompat_flags(sb) &
		  BTRFS_FEATURE_INCOMPAT_EXTENT_TREE_V2;
	int i;

	for (i = 0; i < BTRFS_NUM_BACKUP_ROOTS; i++) {
		const struct btrfs_root_backup *b = &sb->super_roots[i];

		printf("btrfs root backup slot %d\n"
		       "\ttree root gen %llu block %llu\n"
		       "\t\t%s gen %llu block %llu\n"
		       "\t\tchunk root gen %llu block %llu\n"
		       "\t\tdevice root gen %llu block %llu\n"
		       "\t\tcsum root gen %llu block %llu\n"
		       "\t\tfs root gen %llu block %llu\n"
		       "\t\t%llu used %llu total %llu devices\n", i,
		       (unsigned long long)btrfs_backup_tree_root_gen(b),
		       (unsigned long long)btrfs_backup_tree_root(b),
		       v2 ? "block group root" : "extent root",
		       (unsigned long long)btrfs_backup_extent_root_gen(b),
		       (unsigned long long)btrfs_backup_extent_root(b),
		       (unsigned long long)btrfs_backup_chunk_root_gen(b),
		       (unsigned long long)btrfs_backup_chunk_root(b),
		       (unsigned long long)btrfs_backup_dev_root_gen(b),
		       (unsigned long long)btrfs_backup_dev_root(b),
		       (unsigned long long)btrfs_backup_csum_root_gen(b),
		       (unsigned long long)btrfs_backup_csum_root(b),
		       (unsigned long long)btrfs_backup_fs_root_gen(b),
		       (unsigned long long)btrfs_backup_fs_root(b),
		       (unsigned long long)btrfs_backup_bytes_used(b),
		       (unsigned long long)btrfs_backup_total_bytes(b),
		       (unsigned long long)btrfs_backup_num_devices(b));
	}
}

/* The root, chunk and log trees stock prints before the others. */
static void dump_top_trees(struct dump_ctx *ctx)
{
	const struct dump_opts *o = ctx->opts;

	if (o->roots_only) {
		if (ctx->tree_root)
			printf("root tree: %llu level %d\n",
			       (unsigned long long)ctx->tree_root->start,
			       eb_level(ctx->tree_root));
		if (ctx->chunk_root)
			printf("chunk tree: %llu level %d\n",
			       (unsigned long long)ctx->chunk_root->start,
			       eb_level(ctx->chunk_root));
		if (ctx->log_root)
			printf("log root tree: %llu level %d\n",
			       (unsigned long long)ctx->log_root->start,
			       eb_level(ctx->log_root));
		return;
	}
	if (ctx->tree_root) {
		fputs("root tree\n", stdout);
		print_whole_tree(ctx, ctx->tree_root);
	}
	if (ctx->chunk_root) {
		fputs("chunk tree\n", stdout);
		print_whole_tree(ctx, ctx->chunk_root);
	}
	if (ctx->log_root) {
		fputs("log root tree\n", stdout);
		print_whole_tree(ctx, ctx->log_root);
	}
}

/* -t for the trees no root item points to; true when handled. */
static bool dump_special_tree(struct dump_ctx *ctx)
{
	static const struct {
		u64 id;
		const char *title;
		const char *what;
	} special[] = {
		{ BTRFS_ROOT_TREE_OBJECTID, "root tree", "root tree" },
		{ BTRFS_CHUNK_TREE_OBJECTID, "chunk tree", "chunk tree" },
		{ BTRFS_TREE_LOG_OBJECTID, "log root tree", "log root tree" },
		{ BTRFS_BLOCK_GROUP_TREE_OBJECTID, "block group tree",
		  "block group tree" },
	};
	struct extent_buffer *ebs[] = {
		ctx->tree_root, ctx->chunk_root, ctx->log_root, ctx->bg_root,
	};
	size_t i;

	for (i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		if (ctx->opts->tree_id != special[i].id)
			continue;
		if (!ebs[i]) {
			/* Stock says so and still exits with 0. */
			error("cannot print %s, invalid pointer", special[i].what);
			return true;
		}
		printf("%s\n", special[i].title);
		print_whole_tree(ctx, ebs[i]);
		return true;
	}
	return false;
}

static void dump_trees(struct dump_ctx *ctx)
{
	const struct dump_opts *o = ctx->opts;
	struct btrfs_fs_info *fs_info = ctx->fs_info;
	char uuid[BTRFS_UUID_UNPARSED_SIZE];

	if (!(o->extent_only || o->uuid_only || o->tree_id))
		dump_top_trees(ctx);
	if (dump_special_tree(ctx))
		return;
	dump_root_items(ctx, &ctx->roots);
	dump_root_items(ctx, &ctx->log_roots);
	if (o->extent_only || o->device_only || o->uuid_only)
		return;
	if (o->root_backups)
		print_backup_roots(&fs_info->super_copy);
	uuid_unparse(fs_info->super_copy.fsid, uuid);
	printf("total bytes %llu\nbytes used %llu\nuuid %s\n",
	       (unsigned long long)btrfs_super_total_bytes(&fs_info->super_copy),
	       (unsigned long long)btrfs_super_bytes_used(&fs_info->super_copy),
	       uuid);
}

/* Devices already reported missing, so that each is reported once. */
struct missing_devs {
	u64 *ids;
	size_t nr;
};

static void warn_if_missing(const struct btrfs_fs_info *fs_info,
			    struct missing_devs *seen, u64 devid)
{
	const struct btrfs_device *dev = btrfs_device_find(fs_info, devid);
	u64 *grown;
	size_t i;

	if (dev && dev->path)
		return;
	for (i = 0; i < seen->nr; i++)
		if (seen->ids[i] == devid)
			return;
	grown = realloc(seen->ids, (seen->nr + 1) * sizeof(*grown));
	if (!grown)
		return;
	seen->ids = grown;
	seen->ids[seen->nr++] = devid;
	/* Stock prints this on stdout while it loads the chunks. */
	printf("warning, device %llu is missing\n", (unsigned long long)devid);
}

/*
 * Names the devices the system chunks live on that are not open, as stock
 * does while it loads the superblock's system chunk array.  Devices known
 * from device items are added quietly, so chunks of the chunk tree never
 * warn.
 */
static void print_missing_devices(const struct btrfs_fs_info *fs_info)
{
	const struct btrfs_super_block *sb = &fs_info->super_copy;
	u32 size = btrfs_super_sys_array_size(sb);
	struct missing_devs seen = { 0 };
	u32 cur = 0, s;

	if (size > BTRFS_SYSTEM_CHUNK_ARRAY_SIZE)
		size = BTRFS_SYSTEM_CHUNK_ARRAY_SIZE;
	while (size - cur >= sizeof(struct btrfs_disk_key) +
			    sizeof(struct btrfs_chunk)) {
		const struct btrfs_chunk *chunk = (const void *)
			(sb->sys_chunk_array + cur + sizeof(struct btrfs_disk_key));
		u32 n = btrfs_chunk_num_stripes(chunk);
		u32 len = sizeof(struct btrfs_disk_key) +
			  btrfs_chunk_item_size(n ? n : 1);

		if (!n || len > size - cur)
			break;
		for (s = 0; s < n; s++)
			warn_if_missing(fs_info, &seen,
					btrfs_stripe_devid(&chunk->stripe + s));
		cur += len;
	}
	free(seen.ids);
}

static int open_fs(struct dump_ctx *ctx, int argc, char **argv, int first)
{
	struct btrfs_open_opts opts;
	int ret;

	btrfs_open_opts_init(&opts);
	opts.flags = BTRFS_OPEN_PARTIAL | BTRFS_OPEN_ALLOW_MISSING;
	opts.cache_limit = DUMP_TREE_CACHE_LIMIT;
	/* Stock reads the primary superblock only. */
	opts.super_mirror = 0;
	if (ctx->opts->noscan)
		opts.flags |= BTRFS_OPEN_NOSCAN;
	ret = btrfs_open_fs((const char *const *)(argv + first), argc - first,
			    &opts, &ctx->fs_info);
	if (ctx->fs_info)
		print_missing_devices(ctx->fs_info);
	if (ret) {
		error("unable to open %s: %s", argv[first],
		      ctx->fs_info && ctx->fs_info->err[0] ?
		      ctx->fs_info->err : strerror(-ret));
		btrfs_close_fs(ctx->fs_info);
		ctx->fs_info = NULL;
	}
	return ret;
}

static int cmd_inspect_dump_tree(const struct cmd_struct *cmd, int argc,
				 char **argv)
{
	struct dump_opts opts = { 0 };
	struct dump_ctx ctx = { .opts = &opts };
	int ret;

	/*
	 * glibc ignores the size unless it is given the buffer.  The buffer
	 * stays with stdout until the process exits, so it is never freed.
	 */
	fflush(stdout);
	setvbuf(stdout, malloc(DUMP_TREE_STDOUT_BUF), _IOFBF,
		DUMP_TREE_STDOUT_BUF);
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	if (cmd_check_help(cmd, argc, argv))
		return 0;
	ret = parse_options(cmd, argc, argv, &opts);
	if (ret)
		goto out;
	ret = scan_devices(argc, argv, optind);
	if (ret) {
		ret = 1;
		goto out;
	}
	printf("%s\n", DUMP_TREE_BANNER);
	ret = open_fs(&ctx, argc, argv, optind);
	if (ret) {
		/* Stock exits with 0 when devices are missing. */
		ret = ret == -ENODEV ? 0 : 1;
		goto out;
	}
	if (opts.nr_blocks) {
		dump_blocks(&ctx);
	} else {
		if (load_roots(&ctx))
			error("unable to open %s", argv[optind]);
		else
			dump_trees(&ctx);
	}
	put_roots(&ctx);
	btrfs_close_fs(ctx.fs_info);
	ret = ctx.err ? 1 : 0;
out:
	free(opts.blocks);
	if (fflush(stdout) && !ret)
		ret = 1;
	return ret;
}

const struct cmd_struct cmd_struct_inspect_dump_tree = {
	.name = "dump-tree",
	.usage = dump_tree_usage,
	.fn = cmd_inspect_dump_tree,
};
