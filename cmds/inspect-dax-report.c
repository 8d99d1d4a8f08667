// SPDX-License-Identifier: GPL-2.0-only
/*
 * btrfs inspect-internal dax-report: how a filesystem is laid out for DAX,
 * which inodes carry the DAX flag, and how much of their data can be
 * mapped with 2 MiB pages.
 *
 * Built on the public libbtrfs-dax API alone, as any outside program could
 * be.  The report lists what breaks the rules of DAX-DESIGN.md as
 * "problem:" lines but does not judge the filesystem: the exit code says
 * only whether the report could be made.  btrfs check is the judge.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cmds/commands.h"
#include "common/help.h"
#include "common/json.h"
#include "common/messages.h"
#include "libbtrfs/btrfs-dax.h"

#define PMD		BTRFS_DAX_PMD_SIZE
#define KIND_MASK	(BTRFS_DAX_CHUNK_DATA | BTRFS_DAX_CHUNK_SYSTEM |	\
			 BTRFS_DAX_CHUNK_METADATA)
#define PROFILE_MASK	(BTRFS_DAX_PROFILE_RAID0 | BTRFS_DAX_PROFILE_RAID1 |	\
			 BTRFS_DAX_PROFILE_DUP | BTRFS_DAX_PROFILE_RAID10 |	\
			 BTRFS_DAX_PROFILE_RAID5 | BTRFS_DAX_PROFILE_RAID6 |	\
			 BTRFS_DAX_PROFILE_RAID1C3 | BTRFS_DAX_PROFILE_RAID1C4)
/* The superblock copies (DAX-DESIGN.md), 4 KiB each. */
static const uint64_t super_offsets[] = { 64ULL << 10, 64ULL << 20, 256ULL << 30 };
#define SUPER_SIZE	4096ULL
/* Room for one problem's text; they are short. */
#define PROBLEM_LEN	200
#define INODE_PROBLEMS_MAX 10

/* A copy of one chunk, stripes included. */
struct chunk_rec {
	struct btrfs_dax_chunk c;
	struct btrfs_dax_stripe *stripes;
	bool aligned;
	uint64_t super_hit;		/* first superblock copy in a data stripe, or 0 */
	uint32_t super_stripe;
};

struct kind_count {
	uint64_t type;			/* kind and profile bits */
	uint64_t count;
};

/* One DAX inode as the walk found it, and what its extents add up to. */
struct inode_rec {
	uint64_t subvol;
	struct btrfs_dax_inode inode;
	char **paths;
	size_t npaths;
	uint64_t extents;
	uint64_t pmd_bytes;		/* in whole 2 MiB windows of aligned extents */
	uint64_t aligned_bytes;		/* in extents with pmd_aligned */
	uint64_t unaligned_bytes;	/* in other extents with data */
	uint64_t ninline, ncompressed, nunsingle, nunmapped;
	uint64_t first_inline, first_compressed, first_unsingle, first_unmapped;
	char problems[INODE_PROBLEMS_MAX][PROBLEM_LEN];
	int nproblems;
};

struct report {
	struct btrfs_dax_fs *fs;
	struct btrfs_dax_super_info si;
	bool json;
	uint64_t page_size;
	uint64_t only_subvol;		/* 0: every subvolume */

	struct chunk_rec *chunks;
	size_t nchunks;
	struct kind_count *kinds;
	size_t nkinds;
	uint64_t aligned_chunks, dev_extents, aligned_dev_extents;
	uint64_t super_chunks, unsingle_chunks;

	bool first_inode;		/* JSON: no comma before the next inode */
	uint64_t dax_inodes, pmd_bytes, problems;
	char (*fs_problems)[PROBLEM_LEN];
	size_t nfs_problems;
	int errors;			/* parts that could not be read */
};

/* ------------------------------------------------------------ strings */

/* Text output keeps one record a line: control bytes and '\' are escaped. */
static void text_str(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", stdout);
		else if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static const char *kind_name(uint64_t type)
{
	switch (type & KIND_MASK) {
	case BTRFS_DAX_CHUNK_DATA:		return "data";
	case BTRFS_DAX_CHUNK_METADATA:		return "metadata";
	case BTRFS_DAX_CHUNK_SYSTEM:		return "system";
	case BTRFS_DAX_CHUNK_DATA | BTRFS_DAX_CHUNK_METADATA:
						return "data+metadata";
	default:				return "unknown";
	}
}

static void format_uuid(const uint8_t u[16], char out[37])
{
	int i, pos = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[pos++] = '-';
		pos += sprintf(out + pos, "%02x", u[i]);
	}
}

/* ------------------------------------------------------------- chunks */

static bool aligned(uint64_t v)
{
	return v % PMD == 0;
}

/* The first superblock copy inside [start, start + len), or 0. */
static uint64_t super_in(uint64_t start, uint64_t len)
{
	size_t i;

	for (i = 0; i < sizeof(super_offsets) / sizeof(super_offsets[0]); i++)
		if (super_offsets[i] + SUPER_SIZE > start &&
		    super_offsets[i] < start + len)
			return super_offsets[i];
	return 0;
}

/* Sets aligned and the superblock hit, and counts the device extents. */
static void chunk_classify(struct report *rep, struct chunk_rec *cr)
{
	const struct btrfs_dax_chunk *c = &cr->c;
	uint32_t i;

	cr->aligned = aligned(c->logical) && aligned(c->length);
	for (i = 0; i < c->num_stripes; i++) {
		uint64_t phys = cr->stripes[i].physical;
		uint64_t sb = super_in(phys, c->dev_extent_length);

		cr->aligned = cr->aligned && aligned(phys);
		rep->dev_extents++;
		if (aligned(phys) && aligned(c->dev_extent_length))
			rep->aligned_dev_extents++;
		if ((c->type & BTRFS_DAX_CHUNK_DATA) && sb && !cr->super_hit) {
			cr->super_hit = sb;
			cr->super_stripe = i;
		}
	}
	rep->aligned_chunks += cr->aligned;
	rep->super_chunks += cr->super_hit != 0;
	rep->unsingle_chunks += (c->type & BTRFS_DAX_CHUNK_DATA) && c->profile;
}

static int kind_count_add(struct report *rep, uint64_t type)
{
	struct kind_count *k;
	size_t i;

	type &= KIND_MASK | PROFILE_MASK;
	for (i = 0; i < rep->nkinds; i++) {
		if (rep->kinds[i].type == type) {
			rep->kinds[i].count++;
			return 0;
		}
	}
	k = realloc(rep->kinds, (rep->nkinds + 1) * sizeof(*k));
	if (!k)
		return -ENOMEM;
	rep->kinds = k;
	k[rep->nkinds].type = type;
	k[rep->nkinds].count = 1;
	rep->nkinds++;
	return 0;
}

static int chunk_collect(const struct btrfs_dax_chunk *c, void *ctx)
{
	struct report *rep = ctx;
	struct chunk_rec *cr;

	cr = realloc(rep->chunks, (rep->nchunks + 1) * sizeof(*cr));
	if (!cr)
		return -ENOMEM;
	rep->chunks = cr;
	cr += rep->nchunks;
	memset(cr, 0, sizeof(*cr));
	cr->c = *c;
	cr->stripes = calloc(c->num_stripes, sizeof(*cr->stripes));
	if (!cr->stripes)
		return -ENOMEM;
	memcpy(cr->stripes, c->stripes, c->num_stripes * sizeof(*cr->stripes));
	cr->c.stripes = cr->stripes;
	rep->nchunks++;
	chunk_classify(rep, cr);
	return kind_count_add(rep, c->type);
}

static int kind_cmp(const void *a, const void *b)
{
	const struct kind_count *x = a, *y = b;
	uint64_t kx = x->type & KIND_MASK, ky = y->type & KIND_MASK;

	if (kx != ky)
		return kx < ky ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static int chunks_load(struct report *rep)
{
	int ret = btrfs_dax_chunks(rep->fs, chunk_collect, rep);

	if (ret) {
		error("cannot list the chunks: %s",
		      ret == -ENOMEM ? "out of memory" :
		      btrfs_dax_last_error(rep->fs));
		return ret;
	}
	qsort(rep->kinds, rep->nkinds, sizeof(*rep->kinds), kind_cmp);
	return 0;
}

/* The chunk holding logical address logical, or NULL. */
static const struct chunk_rec *chunk_find(const struct report *rep,
					  uint64_t logical)
{
	size_t lo = 0, hi = rep->nchunks;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct btrfs_dax_chunk *c = &rep->chunks[mid].c;

		if (logical < c->logical)
			hi = mid;
		else if (logical - c->logical >= c->length)
			lo = mid + 1;
		else
			return &rep->chunks[mid];
	}
	return NULL;
}

/* ----------------------------------------------------------- problems */

static void fs_problem(struct report *rep, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Filesystem-wide problems are kept for the end of the report. */
static void fs_problem(struct report *rep, const char *fmt, ...)
{
	char (*p)[PROBLEM_LEN];
	va_list ap;

	rep->problems++;
	p = realloc(rep->fs_problems, (rep->nfs_problems + 1) * sizeof(*p));
	if (!p)
		return;
	rep->fs_problems = p;
	va_start(ap, fmt);
	vsnprintf(p[rep->nfs_problems], PROBLEM_LEN, fmt, ap);
	va_end(ap);
	rep->nfs_problems++;
}

static void inode_problem(struct inode_rec *ir, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void inode_problem(struct inode_rec *ir, const char *fmt, ...)
{
	va_list ap;

	if (ir->nproblems >= INODE_PROBLEMS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(ir->problems[ir->nproblems++], PROBLEM_LEN, fmt, ap);
	va_end(ap);
}

/* "1 inline extent at file offset 0", "3 inline extents, the first at ..." */
static void extent_problem(struct inode_rec *ir, uint64_t n, uint64_t first,
			   const char *what, const char *where)
{
	if (n == 1)
		inode_problem(ir, "1 %s extent%s at file offset %" PRIu64,
			      what, where, first);
	else if (n)
		inode_problem(ir, "%" PRIu64 " %s extents%s, the first at file offset %" PRIu64,
			      n, what, where, first);
}

static const char *mode_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:	return "file";
	case S_IFDIR:	return "dir";
	case S_IFLNK:	return "symlink";
	case S_IFIFO:	return "fifo";
	case S_IFSOCK:	return "socket";
	case S_IFCHR:	return "chardev";
	case S_IFBLK:	return "blockdev";
	default:	return "unknown";
	}
}

/* The rules of DAX-DESIGN.md for one inode. */
static void inode_judge(struct inode_rec *ir)
{
	const struct btrfs_dax_inode *in = &ir->inode;

	if (!S_ISREG(in->mode) && !S_ISDIR(in->mode))
		inode_problem(ir, "DAX flag on a %s", mode_name(in->mode));
	if (!in->nodatacow)
		inode_problem(ir, "DAX inode without NODATACOW");
	/* Like chattr +C, a directory passes on NODATASUM without having it. */
	if (!in->nodatasum && !S_ISDIR(in->mode))
		inode_problem(ir, "DAX inode without NODATASUM");
	if (in->compress)
		inode_problem(ir, "DAX inode with the COMPRESS flag");
	extent_problem(ir, ir->ninline, ir->first_inline, "inline", "");
	extent_problem(ir, ir->ncompressed, ir->first_compressed, "compressed", "");
	extent_problem(ir, ir->nunsingle, ir->first_unsingle, "",
		       " in a data chunk that is not SINGLE");
	extent_problem(ir, ir->nunmapped, ir->first_unmapped, "",
		       " outside every chunk");
}

/* Layout promises of DAX_LAYOUT, and what any DAX inode needs. */
static void fs_judge(struct report *rep)
{
	if (rep->dax_inodes && !rep->si.has_dax_inodes)
		fs_problem(rep, "DAX inodes present but COMPAT_RO_DAX is not set");
	if ((rep->dax_inodes || rep->si.dax_layout) &&
	    rep->si.sectorsize != rep->page_size)
		fs_problem(rep, "sectorsize %u differs from the page size %" PRIu64,
			   rep->si.sectorsize, rep->page_size);
	if (!rep->si.dax_layout)
		return;
	if (rep->aligned_chunks != rep->nchunks)
		fs_problem(rep, "DAX_LAYOUT set but %zu chunks are not 2MiB aligned",
			   rep->nchunks - (size_t)rep->aligned_chunks);
	if (rep->aligned_dev_extents != rep->dev_extents)
		fs_problem(rep, "DAX_LAYOUT set but %" PRIu64 " device extents are not 2MiB aligned",
			   rep->dev_extents - rep->aligned_dev_extents);
	if (rep->super_chunks)
		fs_problem(rep, "DAX_LAYOUT set but %" PRIu64 " data chunks hold a superblock copy",
			   rep->super_chunks);
}

/* ------------------------------------------------- filesystem, chunks */

static void text_header(const struct report *rep)
{
	const struct btrfs_dax_super_info *si = &rep->si;
	char uuid[37];

	format_uuid(si->fsid, uuid);
	printf("fsid: %s\nlabel: ", uuid);
	text_str(si->label);
	printf("\ndevices: %" PRIu64 "\n", si->num_devices);
	printf("sectorsize: %u\npage size: %" PRIu64 "\n", si->sectorsize,
	       rep->page_size);
	printf("DAX_LAYOUT marker: %s\n", yes_no(si->dax_layout));
	printf("COMPAT_RO_DAX: %s\n", yes_no(si->has_dax_inodes));
}

static void json_header(const struct report *rep)
{
	const struct btrfs_dax_super_info *si = &rep->si;
	char uuid[37];

	format_uuid(si->fsid, uuid);
	printf("{\n  \"fsid\": \"%s\",\n  \"label\": ", uuid);
	json_write_string(stdout, si->label);
	printf(",\n  \"devices\": %" PRIu64 ",\n", si->num_devices);
	printf("  \"sectorsize\": %u,\n  \"page_size\": %" PRIu64 ",\n",
	       si->sectorsize, rep->page_size);
	printf("  \"dax_layout\": %s,\n", json_bool(si->dax_layout));
	printf("  \"compat_ro_dax\": %s,\n", json_bool(si->has_dax_inodes));
}

/* "logical L length N data single stripes 1:P 2:P" */
static void text_chunk(const char *what, const struct chunk_rec *cr)
{
	const struct btrfs_dax_chunk *c = &cr->c;
	uint32_t i;

	printf("%s: logical %" PRIu64 " length %" PRIu64 " %s %s stripes",
	       what, c->logical, c->length, kind_name(c->type),
	       btrfs_dax_profile_name(c->type));
	for (i = 0; i < c->num_stripes; i++)
		printf(" %" PRIu64 ":%" PRIu64, cr->stripes[i].devid,
		       cr->stripes[i].physical);
	if (cr->super_hit)
		printf(" superblock %" PRIu64, cr->super_hit);
	putchar('\n');
}

enum chunk_filter { CHUNK_UNALIGNED, CHUNK_SUPER, CHUNK_UNSINGLE };

static bool chunk_matches(const struct chunk_rec *cr, enum chunk_filter f)
{
	switch (f) {
	case CHUNK_UNALIGNED:
		return !cr->aligned;
	case CHUNK_SUPER:
		return cr->super_hit != 0;
	default:
		return (cr->c.type & BTRFS_DAX_CHUNK_DATA) && cr->c.profile;
	}
}

static void text_chunk_list(const struct report *rep, const char *what,
			    enum chunk_filter f)
{
	size_t i;

	for (i = 0; i < rep->nchunks; i++)
		if (chunk_matches(&rep->chunks[i], f))
			text_chunk(what, &rep->chunks[i]);
}

static void text_chunks(const struct report *rep)
{
	size_t i;

	printf("chunks: %zu\n", rep->nchunks);
	for (i = 0; i < rep->nkinds; i++)
		printf("chunks %s %s: %" PRIu64 "\n",
		       kind_name(rep->kinds[i].type),
		       btrfs_dax_profile_name(rep->kinds[i].type),
		       rep->kinds[i].count);
	printf("chunks 2MiB aligned: %" PRIu64 " of %zu\n",
	       rep->aligned_chunks, rep->nchunks);
	printf("dev extents 2MiB aligned: %" PRIu64 " of %" PRIu64 "\n",
	       rep->aligned_dev_extents, rep->dev_extents);
	text_chunk_list(rep, "unaligned chunk", CHUNK_UNALIGNED);
	printf("data chunks holding a superblock: %" PRIu64 "\n",
	       rep->super_chunks);
	text_chunk_list(rep, "data chunk holding a superblock", CHUNK_SUPER);
	printf("data chunks not single: %" PRIu64 "\n", rep->unsingle_chunks);
	text_chunk_list(rep, "data chunk not single", CHUNK_UNSINGLE);
}

static void json_chunk(const struct chunk_rec *cr, bool first)
{
	const struct btrfs_dax_chunk *c = &cr->c;
	uint32_t i;

	printf("%s\n      { \"logical\": %" PRIu64 ", \"length\": %" PRIu64
	       ", \"type\": \"%s\", \"profile\": \"%s\", \"dev_extent_length\": %" PRIu64
	       ", \"aligned\": %s, \"stripes\": [",
	       first ? "" : ",", c->logical, c->length, kind_name(c->type),
	       btrfs_dax_profile_name(c->type), c->dev_extent_length,
	       json_bool(cr->aligned));
	for (i = 0; i < c->num_stripes; i++)
		printf("%s{ \"devid\": %" PRIu64 ", \"physical\": %" PRIu64 " }",
		       i ? ", " : " ", cr->stripes[i].devid,
		       cr->stripes[i].physical);
	printf(" ]");
	if (cr->super_hit)
		printf(", \"superblock\": %" PRIu64 ", \"superblock_stripe\": %u",
		       cr->super_hit, cr->super_stripe);
	printf(" }");
}

static void json_chunk_list(const struct report *rep, const char *name,
			    enum chunk_filter f, bool last)
{
	bool first = true;
	size_t i;

	printf("    \"%s\": [", name);
	for (i = 0; i < rep->nchunks; i++) {
		if (!chunk_matches(&rep->chunks[i], f))
			continue;
		json_chunk(&rep->chunks[i], first);
		first = false;
	}
	printf("%s]%s\n", first ? "" : "\n    ", last ? "" : ",");
}

static void json_chunks(const struct report *rep)
{
	size_t i;

	printf("  \"chunks\": {\n    \"count\": %zu,\n    \"by_profile\": [",
	       rep->nchunks);
	for (i = 0; i < rep->nkinds; i++)
		printf("%s\n      { \"type\": \"%s\", \"profile\": \"%s\", \"count\": %" PRIu64 " }",
		       i ? "," : "", kind_name(rep->kinds[i].type),
		       btrfs_dax_profile_name(rep->kinds[i].type),
		       rep->kinds[i].count);
	printf("%s],\n", rep->nkinds ? "\n    " : "");
	printf("    \"aligned\": %" PRIu64 ",\n", rep->aligned_chunks);
	printf("    \"dev_extents\": %" PRIu64 ",\n", rep->dev_extents);
	printf("    \"dev_extents_aligned\": %" PRIu64 ",\n",
	       rep->aligned_dev_extents);
	printf("    \"data_holding_superblock_count\": %" PRIu64 ",\n",
	       rep->super_chunks);
	printf("    \"data_not_single_count\": %" PRIu64 ",\n",
	       rep->unsingle_chunks);
	json_chunk_list(rep, "unaligned", CHUNK_UNALIGNED, false);
	json_chunk_list(rep, "data_holding_superblock", CHUNK_SUPER, false);
	json_chunk_list(rep, "data_not_single", CHUNK_UNSINGLE, true);
	printf("  },\n  \"dax_inodes\": [");
}

/* --------------------------------------------------------- DAX inodes */

static void text_inode(const struct inode_rec *ir)
{
	const struct btrfs_dax_inode *in = &ir->inode;
	const char *first = ir->npaths ? ir->paths[0] : "(no path)";
	size_t i;
	int p;

	printf("dax inode: subvol %" PRIu64 " inode %" PRIu64 " %s size %" PRIu64
	       " paths %zu", ir->subvol, in->ino, mode_name(in->mode),
	       in->size, ir->npaths);
	if (S_ISREG(in->mode))
		printf(" extents %" PRIu64 " pmd-bytes %" PRIu64
		       " aligned-bytes %" PRIu64 " unaligned-bytes %" PRIu64
		       " inline %" PRIu64 " compressed %" PRIu64,
		       ir->extents, ir->pmd_bytes, ir->aligned_bytes,
		       ir->unaligned_bytes, ir->ninline, ir->ncompressed);
	printf(" nodatacow %s nodatasum %s\n", yes_no(in->nodatacow),
	       yes_no(in->nodatasum));
	for (i = 0; i < ir->npaths; i++) {
		printf("dax path: subvol %" PRIu64 " inode %" PRIu64 " ",
		       ir->subvol, in->ino);
		text_str(ir->paths[i]);
		putchar('\n');
	}
	for (p = 0; p < ir->nproblems; p++) {
		printf("problem: subvol %" PRIu64 " inode %" PRIu64 " ",
		       ir->subvol, in->ino);
		text_str(first);
		printf(": %s\n", ir->problems[p]);
	}
}

static void json_inode(struct report *rep, const struct inode_rec *ir)
{
	const struct btrfs_dax_inode *in = &ir->inode;
	size_t i;
	int p;

	printf("%s\n    { \"subvol\": %" PRIu64 ", \"inode\": %" PRIu64
	       ", \"type\": \"%s\", \"size\": %" PRIu64 ", \"paths\": [",
	       rep->first_inode ? "" : ",", ir->subvol, in->ino,
	       mode_name(in->mode), in->size);
	rep->first_inode = false;
	for (i = 0; i < ir->npaths; i++) {
		printf(i ? ", " : " ");
		json_write_string(stdout, ir->paths[i]);
	}
	printf(" ],\n      \"nodatacow\": %s, \"nodatasum\": %s",
	       json_bool(in->nodatacow), json_bool(in->nodatasum));
	if (S_ISREG(in->mode))
		printf(",\n      \"extents\": %" PRIu64 ", \"pmd_bytes\": %" PRIu64
		       ", \"aligned_bytes\": %" PRIu64 ", \"unaligned_bytes\": %" PRIu64
		       ", \"inline\": %" PRIu64 ", \"compressed\": %" PRIu64,
		       ir->extents, ir->pmd_bytes, ir->aligned_bytes,
		       ir->unaligned_bytes, ir->ninline, ir->ncompressed);
	printf(",\n      \"problems\": [");
	for (p = 0; p < ir->nproblems; p++) {
		printf(p ? ", " : " ");
		json_write_string(stdout, ir->problems[p]);
	}
	printf("%s] }", ir->nproblems ? " " : "");
}

static int path_collect(const char *path, void *ctx)
{
	struct inode_rec *ir = ctx;
	char **p = realloc(ir->paths, (ir->npaths + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	ir->paths = p;
	p[ir->npaths] = strdup(path);
	if (!p[ir->npaths])
		return -ENOMEM;
	ir->npaths++;
	return 0;
}

struct extent_ctx {
	const struct report *rep;
	struct inode_rec *ir;
};

/*
 * Bytes of [start, start + len) in whole aligned 2 MiB windows that also
 * end inside the file: a PMD fault needs the window below i_size.
 */
static uint64_t pmd_window_bytes(uint64_t start, uint64_t len, uint64_t isize,
				 uint64_t page)
{
	uint64_t end = len > UINT64_MAX - start ? UINT64_MAX : start + len;
	uint64_t limit = isize > UINT64_MAX - page ? UINT64_MAX :
			 (isize + page - 1) / page * page;
	uint64_t ws, we;

	if (end > limit)
		end = limit;
	if (start > UINT64_MAX - (PMD - 1))
		return 0;
	ws = (start + PMD - 1) / PMD * PMD;
	we = end / PMD * PMD;
	return we > ws ? we - ws : 0;
}

/* Counts one extent into its inode's numbers. */
static int extent_tally(const struct btrfs_dax_extent *e, void *ctx)
{
	struct extent_ctx *ec = ctx;
	struct inode_rec *ir = ec->ir;
	const struct chunk_rec *cr;

	if (e->type != BTRFS_DAX_EXTENT_INLINE && !e->disk_bytenr)
		return 0;	/* a hole */
	ir->extents++;
	if (e->type == BTRFS_DAX_EXTENT_INLINE) {
		if (!ir->ninline++)
			ir->first_inline = e->file_offset;
	} else if (!e->devid) {
		if (!ir->nunmapped++)
			ir->first_unmapped = e->file_offset;
	} else {
		cr = chunk_find(ec->rep, e->disk_bytenr);
		if (cr && cr->c.profile && !ir->nunsingle++)
			ir->first_unsingle = e->file_offset;
	}
	if (e->compression && !ir->ncompressed++)
		ir->first_compressed = e->file_offset;
	if (!e->pmd_aligned) {
		ir->unaligned_bytes += e->num_bytes;
		return 0;
	}
	ir->aligned_bytes += e->num_bytes;
	ir->pmd_bytes += pmd_window_bytes(e->file_offset, e->num_bytes,
					  ir->inode.size, ec->rep->page_size);
	return 0;
}

/* Paths and extents of one DAX inode; a part that cannot be read is an error. */
static void inode_examine(struct report *rep, struct inode_rec *ir)
{
	struct extent_ctx ec = { rep, ir };
	int ret;

	ret = btrfs_dax_inode_paths(rep->fs, ir->subvol, ir->inode.ino,
				    path_collect, ir);
	if (ret) {
		error("cannot resolve the paths of inode %" PRIu64 " in subvolume %" PRIu64 ": %s",
		      ir->inode.ino, ir->subvol,
		      ret == -ENOMEM ? "out of memory" : btrfs_dax_last_error(rep->fs));
		rep->errors++;
	}
	if (S_ISREG(ir->inode.mode)) {
		ret = btrfs_dax_file_extents(rep->fs, ir->subvol, ir->inode.ino,
					     extent_tally, &ec);
		if (ret) {
			error("cannot read the extents of inode %" PRIu64 " in subvolume %" PRIu64 ": %s",
			      ir->inode.ino, ir->subvol,
			      btrfs_dax_last_error(rep->fs));
			rep->errors++;
		}
	}
	inode_judge(ir);
}

static void inode_report(struct report *rep, uint64_t subvol,
			 const struct btrfs_dax_inode *in)
{
	struct inode_rec *ir = calloc(1, sizeof(*ir));
	size_t i;

	if (!ir) {
		error("out of memory");
		rep->errors++;
		return;
	}
	ir->subvol = subvol;
	ir->inode = *in;
	inode_examine(rep, ir);
	rep->dax_inodes++;
	rep->pmd_bytes += ir->pmd_bytes;
	rep->problems += (uint64_t)ir->nproblems;
	if (rep->json)
		json_inode(rep, ir);
	else
		text_inode(ir);
	for (i = 0; i < ir->npaths; i++)
		free(ir->paths[i]);
	free(ir->paths);
	free(ir);
}

/* -------------------------------------------------------- subvolumes */

struct id_list {
	uint64_t *ids;
	size_t n;
};

static int id_add(struct id_list *l, uint64_t id)
{
	uint64_t *p = realloc(l->ids, (l->n + 1) * sizeof(*p));

	if (!p)
		return -ENOMEM;
	l->ids = p;
	p[l->n++] = id;
	return 0;
}

/*
 * The top-level subvolume and every subvolume with a ROOT_ITEM and a
 * ROOT_BACKREF; a deleted one not yet cleaned up has lost its backref.
 */
static int subvols_list(struct report *rep, struct id_list *out)
{
	struct btrfs_dax_key key = { BTRFS_DAX_FIRST_SUBVOL_ID, 0, 0 };
	struct btrfs_dax_iter *it;
	uint64_t with_root = 0;
	int ret;

	ret = id_add(out, BTRFS_DAX_FS_TREE);
	if (!ret)
		ret = btrfs_dax_iter_open(rep->fs, BTRFS_DAX_ROOT_TREE, &key, &it);
	while (!ret) {
		ret = btrfs_dax_iter_next(it, &key, NULL, NULL);
		if (ret || key.objectid > BTRFS_DAX_LAST_SUBVOL_ID)
			break;
		if (key.type == BTRFS_DAX_ROOT_ITEM_KEY)
			with_root = key.objectid;
		else if (key.type == BTRFS_DAX_ROOT_BACKREF_KEY &&
			 with_root == key.objectid) {
			ret = id_add(out, key.objectid);
			with_root = 0;
		}
	}
	btrfs_dax_iter_close(it);
	if (ret < 0)
		error("cannot list the subvolumes: %s",
		      ret == -ENOMEM ? "out of memory" : btrfs_dax_last_error(rep->fs));
	return ret < 0 ? ret : 0;
}

/*
 * Reports every inode of subvol with the DAX flag as the walk of its tree
 * finds it; the item is decoded before other calls use the handle.
 * Returns 0, or -errno when the walk broke off.
 */
static int subvol_report(struct report *rep, uint64_t subvol)
{
	struct btrfs_dax_iter *it;
	struct btrfs_dax_inode in;
	struct btrfs_dax_key key;
	const void *item;
	uint32_t size;
	int ret;

	ret = btrfs_dax_iter_open(rep->fs, subvol, NULL, &it);
	while (!ret) {
		ret = btrfs_dax_iter_next(it, &key, &item, &size);
		if (ret || key.type != BTRFS_DAX_INODE_ITEM_KEY)
			continue;
		ret = btrfs_dax_inode_decode(key.objectid, item, size, &in);
		if (!ret && in.dax)
			inode_report(rep, subvol, &in);
	}
	btrfs_dax_iter_close(it);
	if (ret < 0)
		error("cannot walk subvolume %" PRIu64 ": %s", subvol,
		      ret == -EUCLEAN && !*btrfs_dax_last_error(rep->fs) ?
		      "bad inode item" : btrfs_dax_last_error(rep->fs));
	return ret < 0 ? ret : 0;
}

static void inodes_report(struct report *rep)
{
	struct id_list subvols = { NULL, 0 };
	size_t i;

	rep->first_inode = true;
	if (!rep->json)
		printf("dax inodes:\n");
	if (rep->only_subvol) {
		if (subvol_report(rep, rep->only_subvol))
			rep->errors++;
		return;
	}
	if (subvols_list(rep, &subvols))
		rep->errors++;
	for (i = 0; i < subvols.n; i++)
		if (subvol_report(rep, subvols.ids[i]))
			rep->errors++;
	free(subvols.ids);
}

/* -------------------------------------------------------------- end */

static void text_tail(const struct report *rep)
{
	size_t i;

	for (i = 0; i < rep->nfs_problems; i++)
		printf("problem: %s\n", rep->fs_problems[i]);
	printf("summary: %" PRIu64 " DAX inodes, %" PRIu64 " PMD-mappable bytes, %"
	       PRIu64 " problems\n", rep->dax_inodes, rep->pmd_bytes,
	       rep->problems);
}

static void json_tail(const struct report *rep)
{
	size_t i;

	printf("%s],\n  \"problems\": [", rep->first_inode ? "" : "\n  ");
	for (i = 0; i < rep->nfs_problems; i++) {
		printf(i ? ", " : " ");
		json_write_string(stdout, rep->fs_problems[i]);
	}
	printf("%s],\n", rep->nfs_problems ? " " : "");
	printf("  \"summary\": { \"dax_inodes\": %" PRIu64
	       ", \"pmd_mappable_bytes\": %" PRIu64 ", \"problems\": %" PRIu64
	       " }\n}\n", rep->dax_inodes, rep->pmd_bytes, rep->problems);
}

static void report_free(struct report *rep)
{
	size_t i;

	for (i = 0; i < rep->nchunks; i++)
		free(rep->chunks[i].stripes);
	free(rep->chunks);
	free(rep->kinds);
	free(rep->fs_problems);
}

/* Everything after a successful open; 0, or 1 when a part could not be read. */
static int report_run(struct report *rep)
{
	struct btrfs_dax_iter *it;
	int ret;

	btrfs_dax_get_super_info(rep->fs, &rep->si);
	if (chunks_load(rep))
		return 1;
	if (rep->only_subvol) {
		ret = btrfs_dax_iter_open(rep->fs, rep->only_subvol, NULL, &it);
		btrfs_dax_iter_close(it);
		if (ret) {
			error("cannot read subvolume %" PRIu64 ": %s",
			      rep->only_subvol, btrfs_dax_last_error(rep->fs));
			return 1;
		}
	}
	if (rep->json) {
		json_header(rep);
		json_chunks(rep);
	} else {
		text_header(rep);
		text_chunks(rep);
	}
	inodes_report(rep);
	fs_judge(rep);
	if (rep->json)
		json_tail(rep);
	else
		text_tail(rep);
	return rep->errors ? 1 : 0;
}

/* ---------------------------------------------------------- command */

enum { OPT_JSON = 257, OPT_SUBVOL };

static int parse_subvol(const char *arg, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' ||
	    (v != BTRFS_DAX_FS_TREE &&
	     (v < BTRFS_DAX_FIRST_SUBVOL_ID || v > BTRFS_DAX_LAST_SUBVOL_ID))) {
		error("invalid subvolume id '%s'", arg);
		return -EINVAL;
	}
	*ret = v;
	return 0;
}

static int parse_options(const struct cmd_struct *cmd, int argc, char **argv,
			 struct report *rep)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "subvol", required_argument, NULL, OPT_SUBVOL },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			rep->json = true;
			break;
		case OPT_SUBVOL:
			if (parse_subvol(optarg, &rep->only_subvol))
				return 1;
			break;
		default:
			return usage_unknown_option(cmd, argv);
		}
	}
	return 0;
}

static int cmd_inspect_dax_report(const struct cmd_struct *cmd, int argc,
				  char **argv)
{
	struct report rep;
	long page;
	int ret;

	memset(&rep, 0, sizeof(rep));
	ret = parse_options(cmd, argc, argv, &rep);
	if (ret)
		return ret;
	if (check_argc_min(cmd, argc - optind, 1))
		return 1;
	page = sysconf(_SC_PAGESIZE);
	rep.page_size = page > 0 ? (uint64_t)page : 4096;
	ret = btrfs_dax_open((const char *const *)&argv[optind], argc - optind,
			     0, &rep.fs);
	if (ret) {
		/* The library's text names the device and what is wrong. */
		if (*btrfs_dax_last_error(NULL))
			error("%s", btrfs_dax_last_error(NULL));
		else
			error("cannot open '%s': %s", argv[optind],
			      strerror(-ret));
		return 1;
	}
	ret = report_run(&rep);
	btrfs_dax_close(rep.fs);
	report_free(&rep);
	if (fflush(stdout) || ferror(stdout)) {
		error("cannot write the report: %m");
		ret = 1;
	}
	return ret;
}

static const char *const cmd_inspect_dax_report_usage[] = {
	"btrfs inspect-internal dax-report [options] device [device...]",
	"Report the DAX layout of a filesystem and its DAX inodes",
	"Chunk alignment to 2MiB, data chunks holding a superblock copy or not",
	"SINGLE, and every inode with the DAX flag: its paths, and how much of",
	"its data can be mapped with 2MiB pages.  Rule violations are listed as",
	"'problem:' lines; they do not change the exit status.",
	"",
	HELP_OPT("--json", "print the report as one JSON object"),
	HELP_OPT("--subvol <id>", "report the DAX inodes of subvolume <id> only"),
	NULL
};

const struct cmd_struct cmd_struct_inspect_dax_report = {
	.name = "dax-report",
	.usage = cmd_inspect_dax_report_usage,
	.fn = cmd_inspect_dax_report,
};
