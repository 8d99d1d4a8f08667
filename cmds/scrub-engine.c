// SPDX-License-Identifier: GPL-2.0-only
/*
 * The offline scrub: every superblock copy, every copy of every allocated
 * tree block and every copy of every data extent is read and verified;
 * a damaged copy is rewritten from a good one unless read-only.
 *
 * Tree blocks and data extents come from the extent tree.  Each copy is
 * read by itself from its physical place (never "the first good mirror"),
 * data in large sequential reads of whole runs of extents, with the
 * checksums of a chunk loaded in one pass over the csum tree.  Data without
 * checksums (nodatasum, DAX files) is read whole: a read error is the only
 * damage that can be seen there.
 *
 * RAID5/6 chunks have one copy of their data: a bad data sector or tree
 * block there is rebuilt from the rest of its full stripe (raid56.c), and
 * a last pass recomputes the parity of every full stripe in use and
 * compares it with P and Q on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmds/scrub.h"
#include "kernel-shared/csum.h"
#include "kernel-shared/raid56.h"

/* One read of a run of data extents. */
#define SCRUB_IO_SIZE	(4ULL << 20)
/* How far ahead of the piece being verified the kernel is asked to read. */
#define SCRUB_PREFETCH	(16ULL << 20)
/* Gaps between extents up to this are read through rather than skipped. */
#define SCRUB_GAP_MAX	(1ULL << 20)
/* Physical pieces of one SCRUB_IO_SIZE read (RAID0/10: 64 KiB stripes). */
#define SCRUB_SEGS_MAX	(SCRUB_IO_SIZE / 4096)

#define SCRUB_NAME(id, name) name,
const char *const scrub_counter_names[SC_NR] = { SCRUB_COUNTERS(SCRUB_NAME) };
#undef SCRUB_NAME

struct tree_ext {
	u64 bytenr;
	u64 gen;
	u64 tree;		/* first TREE_BLOCK_REF root, or 0 */
	int level;
};

struct data_ext {
	u64 bytenr, len;
	u64 root, ino;		/* first EXTENT_DATA_REF, or 0 */
	signed char dax;	/* -1: not looked up yet */
};

struct extent_lists {
	struct tree_ext *t;
	u32 nt, at;
	struct data_ext *d;
	u32 nd, ad;
};

/* Where one mirror's read of a piece landed. */
struct read_seg {
	u64 logical, len;
	struct btrfs_device *dev;
	u64 physical;
};

struct mirror_buf {
	u8 *buf;
	u8 *rerr;		/* per sector: the read failed */
	int err;		/* the first read error's errno */
	struct read_seg *segs;
	u32 nsegs;
};

/* Checksums of one chunk's sectors. */
struct chunk_csums {
	u64 start;
	u64 nsectors;
	u8 *sums;
	u8 *have;		/* bitmap */
};

/* The csum tree, walked once in ascending order across all chunks. */
struct csum_cursor {
	struct btrfs_root root;
	struct btrfs_path path;
	bool started, done;
};

/* The inode last looked up for the DAX flag. */
struct dax_cache {
	u64 root, ino;
	bool dax, valid;
	struct btrfs_root fs_root;
	bool root_valid;
};

/* ------------------------------------------------------------ helpers */

struct scrub_dev *scrub_dev_find(struct scrub_ctx *sc, u64 devid)
{
	u32 i;

	for (i = 0; i < sc->nr_devs; i++)
		if (sc->devs[i].devid == devid)
			return &sc->devs[i];
	return NULL;
}

static void dev_count(struct scrub_ctx *sc, u64 devid, enum scrub_counter c,
		      u64 n)
{
	struct scrub_dev *sd = scrub_dev_find(sc, devid);

	if (sd)
		sd->c[c] += n;
}

static void dev_last_physical(struct scrub_ctx *sc, u64 devid, u64 end)
{
	struct scrub_dev *sd = scrub_dev_find(sc, devid);

	if (sd && end > sd->c[SC_LAST_PHYSICAL])
		sd->c[SC_LAST_PHYSICAL] = end;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void progress(struct scrub_ctx *sc, u64 bytes)
{
	double t;

	sc->done_bytes += bytes;
	if (!sc->progress || !sc->total_bytes)
		return;
	t = now_seconds();
	if (t - sc->last_progress < 0.5)
		return;
	sc->last_progress = t;
	fprintf(stderr, "\rscrub: %llu of %llu MiB (%llu%%)",
		(unsigned long long)(sc->done_bytes >> 20),
		(unsigned long long)(sc->total_bytes >> 20),
		(unsigned long long)(sc->done_bytes * 100 / sc->total_bytes));
	fflush(stderr);
}


/* Writes a repair and makes it durable before it is reported. */
static int dev_write_sync(struct scrub_ctx *sc, u64 devid, const void *buf,
			  u64 len, u64 off)
{
	struct scrub_dev *sd = scrub_dev_find(sc, devid);
	const u8 *p = buf;

	if (!sd || sd->wfd < 0)
		return -EROFS;
	while (len) {
		ssize_t n = pwrite(sd->wfd, p, len, (off_t)off);

		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (u64)n;
		off += (u64)n;
	}
	return fsync(sd->wfd) ? -errno : 0;
}

static struct scrub_err *err_add(struct scrub_ctx *sc)
{
	struct scrub_err *e;

	if (sc->nr_errs == sc->alloc_errs) {
		u32 n = sc->alloc_errs ? sc->alloc_errs * 2 : 64;
		struct scrub_err *p = realloc(sc->errs, n * sizeof(*p));

		if (!p)
			return NULL;
		sc->errs = p;
		sc->alloc_errs = n;
	}
	e = &sc->errs[sc->nr_errs++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* Counts one damaged copy's sectors by how they ended. */
static void fix_count(struct scrub_ctx *sc, u64 devid, enum scrub_fix fix,
		      u64 sectors)
{
	if (fix == SF_FIXED || fix == SF_READONLY)
		dev_count(sc, devid, SC_CORRECTED, sectors);
	else if (fix == SF_NONE || fix == SF_FAILED)
		dev_count(sc, devid, SC_UNCORRECTABLE, sectors);
}

static enum scrub_counter type_counter(enum scrub_err_type t)
{
	if (t == SE_READ)
		return SC_READ_ERRORS;
	if (t == SE_CSUM)
		return SC_CSUM_ERRORS;
	return SC_VERIFY_ERRORS;
}

/* ------------------------------------------------------ the extent tree */

#define LIST_GROW(arr, nr, alloc)					\
	({								\
		int __ret = 0;						\
		if ((nr) == (alloc)) {					\
			u32 __n = (alloc) ? (alloc) * 2 : 1024;		\
			void *__p = realloc((arr), __n * sizeof(*(arr)));	\
			if (__p) {					\
				(arr) = __p;				\
				(alloc) = __n;				\
			} else {					\
				__ret = -ENOMEM;			\
			}						\
		}							\
		__ret;							\
	})

/*
 * The first tree root and the first data owner among an extent item's
 * inline references, through the shared decoder (kernel-shared/backref.c).
 */
static void inline_refs_first(const u8 *item, u32 size, u32 start, u64 *tree,
			      u64 *root, u64 *ino)
{
	struct extent_ref ref;
	u32 cur = start;

	while (extent_inline_ref_next(item, size, &cur, &ref) == 0) {
		if (ref.type == BTRFS_TREE_BLOCK_REF_KEY && tree && !*tree)
			*tree = ref.root;
		if (ref.type == BTRFS_EXTENT_DATA_REF_KEY && root && !*root) {
			*root = ref.root;
			*ino = ref.ino;
		}
	}
}

static int extent_item_add(struct extent_lists *xl,
			   const struct extent_buffer *leaf, int slot,
			   const struct btrfs_key *key)
{
	u32 size = eb_item_size(leaf, slot), start;
	const u8 *p = eb_item_ptr(leaf, slot);
	const struct btrfs_extent_item *ei = (const void *)p;
	struct extent_ref kref;
	u64 flags;

	if (key->type == BTRFS_EXTENT_DATA_REF_KEY && xl->nd &&
	    xl->d[xl->nd - 1].bytenr == key->objectid &&
	    !xl->d[xl->nd - 1].root &&
	    extent_keyed_ref_decode(key, p, size, &kref) == 0) {
		xl->d[xl->nd - 1].root = kref.root;
		xl->d[xl->nd - 1].ino = kref.ino;
		return 0;
	}
	if ((key->type != BTRFS_EXTENT_ITEM_KEY &&
	     key->type != BTRFS_METADATA_ITEM_KEY) || size < sizeof(*ei))
		return 0;
	flags = btrfs_extent_flags(ei);
	start = extent_item_refs_start(key, flags);
	if (start > size)
		return 0;
	if (flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) {
		struct tree_ext *t;
		int level = (int)key->offset;

		if (key->type == BTRFS_EXTENT_ITEM_KEY)
			level = btrfs_tree_block_level((const void *)(ei + 1));
		if (LIST_GROW(xl->t, xl->nt, xl->at))
			return -ENOMEM;
		t = &xl->t[xl->nt++];
		t->bytenr = key->objectid;
		t->gen = btrfs_extent_generation(ei);
		t->level = level;
		t->tree = 0;
		inline_refs_first(p, size, start, &t->tree, NULL, NULL);
	} else if ((flags & BTRFS_EXTENT_FLAG_DATA) &&
		   key->type == BTRFS_EXTENT_ITEM_KEY && key->offset) {
		struct data_ext *d;

		if (LIST_GROW(xl->d, xl->nd, xl->ad))
			return -ENOMEM;
		d = &xl->d[xl->nd++];
		memset(d, 0, sizeof(*d));
		d->bytenr = key->objectid;
		d->len = key->offset;
		d->dax = -1;
		inline_refs_first(p, size, start, NULL, &d->root, &d->ino);
	}
	return 0;
}

static int extents_collect(struct scrub_ctx *sc, struct extent_lists *xl)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	struct btrfs_key key = { 0, 0, 0 };
	struct btrfs_root root;
	struct btrfs_path path;
	int ret;

	ret = btrfs_read_root(fs_info, BTRFS_EXTENT_TREE_OBJECTID, &root, NULL);
	if (ret) {
		snprintf(sc->fatal_msg, sizeof(sc->fatal_msg),
			 "cannot read the extent tree root: %s",
			 fs_info->err[0] ? fs_info->err : strerror(-ret));
		return ret;
	}
	btrfs_path_init(&path);
	ret = btrfs_search_first(fs_info, &root, &key, &path);
	while (ret == 0) {
		eb_item_key(path.nodes[0], &key, path.slots[0]);
		ret = extent_item_add(xl, path.nodes[0], path.slots[0], &key);
		if (ret)
			break;
		ret = btrfs_next_item(fs_info, &path);
	}
	btrfs_path_release(&path);
	if (ret < 0)
		snprintf(sc->fatal_msg, sizeof(sc->fatal_msg),
			 "cannot read all of the extent tree, the scrub is partial: %s",
			 fs_info->err[0] ? fs_info->err : strerror(-ret));
	return ret < 0 ? ret : 0;
}

/* ------------------------------------------------------- superblocks */

static bool super_good(struct scrub_ctx *sc, struct scrub_dev *sd,
		       const struct btrfs_super_block *sb, u64 off,
		       char *why, size_t len)
{
	const struct btrfs_sb_info *info = &sc->fs_info->sb;

	if (btrfs_super_check(sb, off, why, len))
		return false;
	if (memcmp(sb->fsid, info->fsid, BTRFS_FSID_SIZE)) {
		snprintf(why, len, "fsid differs from the filesystem's");
		return false;
	}
	if (btrfs_device_id(&sb->dev_item) != sd->devid) {
		snprintf(why, len, "devid %llu, expected %llu",
			 (unsigned long long)btrfs_device_id(&sb->dev_item),
			 (unsigned long long)sd->devid);
		return false;
	}
	if (btrfs_super_generation(sb) != info->generation) {
		snprintf(why, len, "generation %llu, expected %llu",
			 (unsigned long long)btrfs_super_generation(sb),
			 (unsigned long long)info->generation);
		return false;
	}
	return true;
}

/* A good copy moved to offset 'off': its bytenr and checksum follow. */
static int super_rewrite(struct scrub_ctx *sc, struct scrub_dev *sd,
			 const struct btrfs_super_block *src, u64 off)
{
	struct btrfs_super_block sb = *src;
	u8 csum[BTRFS_CSUM_SIZE];
	int ret;

	btrfs_set_super_bytenr(&sb, off);
	ret = btrfs_csum_data(btrfs_super_csum_type(&sb),
			      (u8 *)&sb + BTRFS_CSUM_SIZE,
			      sizeof(sb) - BTRFS_CSUM_SIZE, csum);
	if (ret)
		return ret;
	memcpy(sb.csum, csum, BTRFS_CSUM_SIZE);
	return dev_write_sync(sc, sd->devid, &sb, sizeof(sb), off);
}

static int supers_scrub_dev(struct scrub_ctx *sc, struct scrub_dev *sd)
{
	struct btrfs_super_block sb[BTRFS_SUPER_MIRROR_MAX];
	char why[BTRFS_SUPER_MIRROR_MAX][160];
	bool ok[BTRFS_SUPER_MIRROR_MAX] = { false };
	int i, n = 0, src = -1, ret;

	for (i = 0; i < BTRFS_SUPER_MIRROR_MAX; i++) {
		u64 off = btrfs_sb_offset(i);

		if (off + BTRFS_SUPER_INFO_SIZE > sd->dev->total_bytes ||
		    off + BTRFS_SUPER_INFO_SIZE > sd->dev->size)
			break;
		n++;
		why[i][0] = '\0';
		ret = btrfs_device_pread(sd->dev, &sb[i], sizeof(sb[i]), off);
		if (ret)
			snprintf(why[i], sizeof(why[i]), "read error: %s",
				 strerror(-ret));
		else
			ok[i] = super_good(sc, sd, &sb[i], off, why[i],
					   sizeof(why[i]));
		if (ok[i] && src < 0)
			src = i;
	}
	for (i = 0; i < n; i++) {
		struct scrub_err *e;

		if (ok[i])
			continue;
		e = err_add(sc);
		if (!e)
			return -ENOMEM;
		e->kind = SE_SUPER;
		e->type = SE_VERIFY;
		e->logical = btrfs_sb_offset(i);
		e->len = BTRFS_SUPER_INFO_SIZE;
		e->copy = i + 1;
		e->devid = sd->devid;
		e->physical = btrfs_sb_offset(i);
		snprintf(e->why, sizeof(e->why), "%s", why[i]);
		sd->c[SC_SUPER_ERRORS]++;
		if (src < 0) {
			e->fix = SF_NONE;
			sd->c[SC_UNCORRECTABLE]++;
		} else if (sc->readonly) {
			e->fix = SF_READONLY;
		} else {
			e->fix = super_rewrite(sc, sd, &sb[src],
					       btrfs_sb_offset(i)) ?
				 SF_FAILED : SF_FIXED;
			if (e->fix == SF_FAILED)
				sd->c[SC_UNCORRECTABLE]++;
		}
	}
	return 0;
}

/* ------------------------------------------------------ RAID5/6 rebuild */

typedef bool (*rebuild_ok_fn)(void *arg, const u8 *buf);

/*
 * Rebuilds [logical, logical+len) of a RAID5/6 chunk (within one stripe
 * piece) into buf from parity: from P, then (RAID6) from Q without P, then
 * taking each other data stripe as bad too.  ok() judges each try.
 */
static bool raid56_try(const struct chunk_map *map, u64 logical, u8 *buf,
		       u64 len, rebuild_ok_fn ok, void *arg)
{
	u32 np = chunk_map_nparity(map), ndata;
	u64 off;
	int also;

	if (!np)
		return false;
	off = logical - map->logical;
	if (off % map->stripe_len + len > map->stripe_len)
		return false;
	if (!raid56_rebuild(map, logical, buf, len, -1) && ok(arg, buf))
		return true;
	if (np < 2)
		return false;
	ndata = map->num_stripes - np;
	if (!raid56_rebuild(map, logical, buf, len, (int)ndata) && ok(arg, buf))
		return true;
	for (also = 0; also < (int)ndata; also++)
		if ((u64)also != (off / map->stripe_len) % ndata &&
		    !raid56_rebuild(map, logical, buf, len, also) && ok(arg, buf))
			return true;
	return false;
}

/* -------------------------------------------------------- tree blocks */

/* Reads copy 'mirror' of [logical, logical+len) into buf. */
static int copy_read(struct btrfs_fs_info *fs_info, const struct chunk_map *map,
		     u64 logical, int mirror, u8 *buf, u64 len,
		     struct btrfs_io_copy *first)
{
	while (len) {
		struct btrfs_io_copy copy;
		u64 contig, n;
		int ret;

		ret = chunk_map_locate(map, logical, mirror, &copy, &contig);
		if (ret)
			return ret;
		if (first) {
			*first = copy;
			first = NULL;
		}
		n = contig < len ? contig : len;
		ret = btrfs_device_pread(copy.stripe->dev, buf, n, copy.physical);
		if (ret)
			return ret;
		buf += n;
		logical += n;
		len -= n;
	}
	return 0;
}

/* Checks one copy; 0 when good, else the error type with why filled. */
static int tree_copy_check(struct scrub_ctx *sc, const struct tree_ext *t,
			   struct extent_buffer *eb, int read_ret,
			   char *why, size_t len)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	struct tree_block_expect expect = {
		.level = t->level,
		.generation = t->gen,
	};

	if (read_ret) {
		snprintf(why, len, "read error: %s", strerror(-read_ret));
		return SE_READ + 1;
	}
	if (tree_block_csum_verify(fs_info, eb->data, eb->len)) {
		snprintf(why, len, "checksum mismatch");
		return SE_CSUM + 1;
	}
	if (tree_block_verify(fs_info, eb, &expect, why, len)) {
		if (!why[0])
			snprintf(why, len, "invalid tree block");
		return SE_VERIFY + 1;
	}
	return 0;
}

struct tree_rebuild_arg {
	struct scrub_ctx *sc;
	const struct tree_ext *t;
	struct extent_buffer *eb;
};

static bool tree_rebuild_ok(void *arg, const u8 *buf)
{
	struct tree_rebuild_arg *a = arg;
	char why[160];

	(void)buf;	/* a->eb->data */
	why[0] = '\0';
	return tree_copy_check(a->sc, a->t, a->eb, 0, why, sizeof(why)) == 0;
}

static int tree_block_scrub(struct scrub_ctx *sc, const struct tree_ext *t,
			    struct extent_buffer **ebs)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	u32 nodesize = fs_info->sb.nodesize;
	u64 sectors = nodesize / fs_info->sb.sectorsize;
	struct chunk_map *map = chunk_map_lookup(fs_info, t->bytenr);
	struct btrfs_io_copy where[BTRFS_MAX_MIRRORS];
	char why[BTRFS_MAX_MIRRORS][160];
	int state[BTRFS_MAX_MIRRORS];
	int i, ncopies, good = -1;

	if (!map)
		return 0;	/* the checker's business; nothing to read */
	ncopies = chunk_map_num_copies(map);
	if (ncopies > BTRFS_MAX_MIRRORS)
		ncopies = BTRFS_MAX_MIRRORS;
	for (i = 0; i < ncopies; i++) {
		int ret;

		memset(&where[i], 0, sizeof(where[i]));
		ebs[i]->start = t->bytenr;
		ebs[i]->len = nodesize;
		why[i][0] = '\0';
		ret = copy_read(fs_info, map, t->bytenr, i, ebs[i]->data,
				nodesize, &where[i]);
		state[i] = tree_copy_check(sc, t, ebs[i], ret, why[i],
					   sizeof(why[i]));
		if (where[i].stripe) {
			u64 devid = where[i].stripe->devid;

			dev_count(sc, devid, SC_TREE_EXTENTS, 1);
			dev_count(sc, devid, SC_TREE_BYTES, nodesize);
			dev_last_physical(sc, devid, where[i].physical + nodesize);
		}
		if (!state[i] && good < 0)
			good = i;
		progress(sc, nodesize);
	}
	if (good < 0 && ncopies == 1 && ncopies < BTRFS_MAX_MIRRORS &&
	    chunk_map_nparity(map)) {
		struct tree_rebuild_arg arg = { sc, t, ebs[1] };

		ebs[1]->start = t->bytenr;
		ebs[1]->len = nodesize;
		if (raid56_try(map, t->bytenr, ebs[1]->data, nodesize,
			       tree_rebuild_ok, &arg))
			good = 1;
	}
	for (i = 0; i < ncopies; i++) {
		struct scrub_err *e;
		u64 devid = where[i].stripe ? where[i].stripe->devid : 0;

		if (!state[i])
			continue;
		e = err_add(sc);
		if (!e)
			return -ENOMEM;
		e->kind = SE_TREE;
		e->type = (enum scrub_err_type)(state[i] - 1);
		e->logical = t->bytenr;
		e->len = nodesize;
		e->copy = i + 1;
		e->devid = devid;
		e->physical = where[i].physical;
		e->level = t->level;
		e->tree = t->tree;
		snprintf(e->why, sizeof(e->why), "%s", why[i]);
		dev_count(sc, devid, type_counter(e->type), sectors);
		if (good < 0)
			e->fix = SF_NONE;
		else if (sc->readonly)
			e->fix = SF_READONLY;
		else if (!where[i].stripe || where[i].stripe->dev == NULL)
			e->fix = SF_FAILED;
		else
			e->fix = dev_write_sync(sc, devid, ebs[good]->data,
						nodesize, where[i].physical) ?
				 SF_FAILED : SF_FIXED;
		fix_count(sc, devid, e->fix, sectors);
	}
	return 0;
}

static int trees_scrub(struct scrub_ctx *sc, const struct extent_lists *xl)
{
	struct extent_buffer *ebs[BTRFS_MAX_MIRRORS] = { NULL };
	u32 i;
	int ret = 0;

	for (i = 0; i < BTRFS_MAX_MIRRORS; i++) {
		ebs[i] = calloc(1, sizeof(*ebs[i]) + sc->fs_info->sb.nodesize);
		if (!ebs[i]) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (i = 0; i < xl->nt && !ret; i++)
		ret = tree_block_scrub(sc, &xl->t[i], ebs);
out:
	for (i = 0; i < BTRFS_MAX_MIRRORS; i++)
		free(ebs[i]);
	return ret;
}

/* ------------------------------------------------------- checksums */

static int csum_cursor_init(struct scrub_ctx *sc, struct csum_cursor *cur)
{
	struct btrfs_key key = {
		BTRFS_EXTENT_CSUM_OBJECTID, BTRFS_EXTENT_CSUM_KEY, 0
	};
	int ret;

	memset(cur, 0, sizeof(*cur));
	btrfs_path_init(&cur->path);
	ret = btrfs_read_root(sc->fs_info, BTRFS_CSUM_TREE_OBJECTID, &cur->root,
			      NULL);
	if (ret == -ENOENT) {
		cur->done = true;
		return 0;
	}
	if (ret)
		return ret;
	ret = btrfs_search_first(sc->fs_info, &cur->root, &key, &cur->path);
	if (ret < 0)
		return ret;
	cur->done = ret > 0;
	cur->started = true;
	return 0;
}

/* Fills cc from every csum item overlapping the chunk; items that reach
 * into the next chunk stay under the cursor. */
static int csums_load(struct scrub_ctx *sc, struct csum_cursor *cur,
		      const struct chunk_map *map, struct chunk_csums *cc)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	u32 ss = fs_info->sb.sectorsize, cs = fs_info->sb.csum_size;
	u64 cend = map->logical + map->length;

	cc->start = map->logical;
	cc->nsectors = map->length / ss;
	memset(cc->have, 0, (cc->nsectors + 7) / 8);
	while (!cur->done) {
		struct extent_buffer *leaf = cur->path.nodes[0];
		int slot = cur->path.slots[0];
		struct btrfs_key key;
		u64 n, s, first, last;
		const u8 *sums;
		int ret;

		eb_item_key(leaf, &key, slot);
		if (key.objectid != BTRFS_EXTENT_CSUM_OBJECTID ||
		    key.type != BTRFS_EXTENT_CSUM_KEY) {
			cur->done = true;
			break;
		}
		n = eb_item_size(leaf, slot) / cs;
		if (key.offset >= cend)
			break;
		sums = eb_item_ptr(leaf, slot);
		first = key.offset > map->logical ? key.offset : map->logical;
		last = key.offset + n * ss;
		if (last > cend)
			last = cend;
		for (s = first; s + ss <= last; s += ss) {
			u64 idx = (s - map->logical) / ss;

			memcpy(cc->sums + idx * cs,
			       sums + (s - key.offset) / ss * cs, cs);
			cc->have[idx / 8] |= (u8)(1U << (idx % 8));
		}
		if (key.offset + n * ss > cend)
			break;
		ret = btrfs_next_item(fs_info, &cur->path);
		if (ret < 0)
			return ret;
		if (ret > 0)
			cur->done = true;
	}
	return 0;
}

static bool csum_have(const struct chunk_csums *cc, u64 logical, u32 ss)
{
	u64 idx = (logical - cc->start) / ss;

	return idx < cc->nsectors && (cc->have[idx / 8] & (1U << (idx % 8)));
}

/* ------------------------------------------------------ DAX inodes */

static bool inode_is_dax(struct scrub_ctx *sc, struct dax_cache *dc, u64 root,
			 u64 ino)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	struct btrfs_key key = { ino, BTRFS_INODE_ITEM_KEY, 0 };
	struct btrfs_path path;
	bool dax = false;

	if (dc->valid && dc->root == root && dc->ino == ino)
		return dc->dax;
	if (!dc->root_valid || dc->fs_root.objectid != root) {
		dc->root_valid = !btrfs_read_root(fs_info, root, &dc->fs_root,
						  NULL);
		if (!dc->root_valid)
			return false;
	}
	btrfs_path_init(&path);
	if (btrfs_search_slot(fs_info, &dc->fs_root, &key, &path) == 0 &&
	    eb_item_size(path.nodes[0], path.slots[0]) >=
	    sizeof(struct btrfs_inode_item)) {
		const struct btrfs_inode_item *ii =
			eb_item_ptr(path.nodes[0], path.slots[0]);

		dax = btrfs_inode_flags_ro(btrfs_inode_flags(ii)) &
		      BTRFS_INODE_RO_DAX;
	}
	btrfs_path_release(&path);
	dc->root = root;
	dc->ino = ino;
	dc->dax = dax;
	dc->valid = true;
	return dax;
}

/* Whether the file owning data extent d is a DAX file. */
static bool data_ext_dax(struct scrub_ctx *sc, struct dax_cache *dc,
			 struct data_ext *d)
{
	if (d->dax >= 0)
		return d->dax;
	if (!d->root) {
		/* Only shared refs: ask the owner resolution. */
		struct owner_list l = { NULL, 0 };
		u32 i;

		if (!owners_resolve_logical(sc->fs_info, d->bytenr,
					    sc->fs_info->sb.sectorsize, &l))
			for (i = 0; i < l.nr && !d->root; i++)
				if (l.p[i].kind == OWNER_DATA && l.p[i].nr_files) {
					d->root = l.p[i].files[0].root;
					d->ino = l.p[i].files[0].ino;
				}
		owner_list_free(&l);
	}
	d->dax = d->root && inode_is_dax(sc, dc, d->root, d->ino);
	return d->dax;
}

/* ------------------------------------------------------------- data */

/* Reads one mirror of [pos, pos+len); sectors that fail are marked. */
static void mirror_read(struct scrub_ctx *sc, const struct chunk_map *map,
			int mirror, u64 pos, u64 len, struct mirror_buf *mb)
{
	u32 ss = sc->fs_info->sb.sectorsize;
	u64 cur = pos;

	mb->nsegs = 0;
	mb->err = 0;
	memset(mb->rerr, 0, len / ss);
	while (cur < pos + len) {
		struct btrfs_io_copy copy;
		struct read_seg *seg;
		u64 contig, n, s;
		int ret;

		if (chunk_map_locate(map, cur, mirror, &copy, &contig) ||
		    mb->nsegs == SCRUB_SEGS_MAX) {
			memset(mb->rerr + (cur - pos) / ss, 1,
			       (pos + len - cur) / ss);
			mb->err = EIO;
			return;
		}
		n = contig < pos + len - cur ? contig : pos + len - cur;
		seg = &mb->segs[mb->nsegs++];
		seg->logical = cur;
		seg->len = n;
		seg->dev = copy.stripe->dev;
		seg->physical = copy.physical;
		ret = btrfs_device_pread(seg->dev, mb->buf + (cur - pos), n,
				    copy.physical);
		/* A failed large read: find the sectors that fail. */
		for (s = 0; ret && s < n; s += ss) {
			int r = btrfs_device_pread(seg->dev, mb->buf + (cur - pos) + s,
					      ss, copy.physical + s);

			if (r) {
				mb->rerr[(cur - pos + s) / ss] = 1;
				if (!mb->err)
					mb->err = -r;
			}
		}
		cur += n;
	}
}

static const struct read_seg *seg_find(const struct mirror_buf *mb, u64 logical)
{
	u32 i;

	for (i = 0; i < mb->nsegs; i++)
		if (logical >= mb->segs[i].logical &&
		    logical < mb->segs[i].logical + mb->segs[i].len)
			return &mb->segs[i];
	return NULL;
}

/* Records a bad data sector, merged with the copy's previous one (*open,
 * an index in sc->errs or -1) when they are adjacent and alike. */
static int data_err_note(struct scrub_ctx *sc, s64 *open,
			 enum scrub_err_type type, enum scrub_fix fix,
			 u64 logical, int mirror, const struct read_seg *seg,
			 int read_errno)
{
	u32 ss = sc->fs_info->sb.sectorsize;
	u64 devid = seg && seg->dev ? seg->dev->devid : 0;
	u64 phys = seg ? seg->physical + (logical - seg->logical) : 0;
	struct scrub_err *e = *open >= 0 ? &sc->errs[*open] : NULL;

	dev_count(sc, devid, type_counter(type), 1);
	fix_count(sc, devid, fix, 1);
	if (e && e->type == type && e->fix == fix && e->devid == devid &&
	    e->logical + e->len == logical && e->physical + e->len == phys) {
		e->len += ss;
		return 0;
	}
	e = err_add(sc);
	if (!e)
		return -ENOMEM;
	e->kind = SE_DATA;
	e->type = type;
	e->fix = fix;
	e->logical = logical;
	e->len = ss;
	e->copy = mirror + 1;
	e->devid = devid;
	e->physical = phys;
	if (type == SE_READ)
		snprintf(e->why, sizeof(e->why), "read error: %s",
			 strerror(read_errno ? read_errno : EIO));
	else
		snprintf(e->why, sizeof(e->why), "checksum mismatch");
	*open = sc->nr_errs - 1;
	return 0;
}

struct data_rebuild_arg {
	struct btrfs_fs_info *fs_info;
	const u8 *want;		/* NULL: no checksum, any rebuild will do */
};

static bool data_rebuild_ok(void *arg, const u8 *buf)
{
	struct data_rebuild_arg *a = arg;
	u8 got[BTRFS_CSUM_SIZE];

	if (!a->want)
		return true;
	return !btrfs_csum_data(a->fs_info->sb.csum_type, buf,
				a->fs_info->sb.sectorsize, got) &&
	       !memcmp(got, a->want, a->fs_info->sb.csum_size);
}

/* Verifies (and repairs) the sectors [from, to) of one extent in a piece. */
static int data_sectors_check(struct scrub_ctx *sc, struct dax_cache *dc,
			      const struct chunk_map *map,
			      struct data_ext *d, const struct chunk_csums *cc,
			      struct mirror_buf *mbs, int ncopies, u64 pos,
			      u64 from, u64 to, s64 *open)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	u32 ss = fs_info->sb.sectorsize, cs = fs_info->sb.csum_size;
	u16 ctype = fs_info->sb.csum_type;
	u8 *rebuilt = NULL;
	const u8 *src;
	u64 s;
	int m, ret;

	for (s = from; s < to; s += ss) {
		u64 off = s - pos, idx = off / ss;
		bool has = csum_have(cc, s, ss);
		int st[BTRFS_MAX_MIRRORS], good = -1;
		const u8 *want = cc->sums + (s - cc->start) / ss * cs;

		for (m = 0; m < ncopies; m++) {
			u8 got[BTRFS_CSUM_SIZE];

			st[m] = 0;
			if (mbs[m].rerr[idx])
				st[m] = SE_READ + 1;
			else if (has &&
				 (btrfs_csum_data(ctype, mbs[m].buf + off, ss, got) ||
				  memcmp(got, want, cs)))
				st[m] = SE_CSUM + 1;
			if (!st[m] && good < 0)
				good = m;
		}
		src = good >= 0 ? mbs[good].buf + off : NULL;
		if (good < 0 && ncopies == 1 && chunk_map_nparity(map)) {
			struct data_rebuild_arg arg = {
				fs_info, has ? want : NULL
			};

			if (!rebuilt)
				rebuilt = malloc(ss);
			if (!rebuilt)
				return -ENOMEM;
			if (raid56_try(map, s, rebuilt, ss, data_rebuild_ok,
				       &arg))
				src = rebuilt;
		}
		for (m = 0; m < ncopies; m++) {
			const struct read_seg *seg = seg_find(&mbs[m], s);
			u64 devid = seg && seg->dev ? seg->dev->devid : 0;
			enum scrub_fix fix;

			if (!st[m]) {
				if (!has) {
					dev_count(sc, devid, SC_NO_CSUM, 1);
					dev_count(sc, devid, SC_NODATASUM_BYTES, ss);
					if (data_ext_dax(sc, dc, d))
						dev_count(sc, devid, SC_DAX_BYTES, ss);
				}
				continue;
			}
			if (!src)
				fix = SF_NONE;
			else if (sc->readonly)
				fix = SF_READONLY;
			else if (!seg || !seg->dev)
				fix = SF_FAILED;
			else
				fix = dev_write_sync(sc, devid, src, ss,
					seg->physical + (s - seg->logical)) ?
				      SF_FAILED : SF_FIXED;
			ret = data_err_note(sc, &open[m], (enum scrub_err_type)(st[m] - 1),
					    fix, s, m, seg, mbs[m].err);
			if (ret) {
				free(rebuilt);
				return ret;
			}
		}
	}
	free(rebuilt);
	return 0;
}

/* Asks the kernel to start reading [logical, logical+len) of a mirror, so
 * that the disk works while the previous piece is verified. */
static void mirror_prefetch(const struct chunk_map *map, int mirror,
			    u64 logical, u64 len)
{
	while (len) {
		struct btrfs_io_copy copy;
		u64 contig, n;

		if (chunk_map_locate(map, logical, mirror, &copy, &contig) ||
		    !copy.stripe->dev || copy.stripe->dev->fd < 0)
			return;
		n = contig < len ? contig : len;
		posix_fadvise(copy.stripe->dev->fd, (off_t)copy.physical,
			      (off_t)n, POSIX_FADV_WILLNEED);
		logical += n;
		len -= n;
	}
}

/* Scrubs data extents d[first, last) as one run, in SCRUB_IO_SIZE pieces. */
static int data_run_scrub(struct scrub_ctx *sc, struct dax_cache *dc,
			  const struct chunk_map *map, struct data_ext *d,
			  u32 first, u32 last, const struct chunk_csums *cc,
			  struct mirror_buf *mbs)
{
	int ncopies = chunk_map_num_copies(map), m, ret;
	u64 rs = d[first].bytenr, re = d[last - 1].bytenr + d[last - 1].len;
	s64 open[BTRFS_MAX_MIRRORS] = { -1, -1, -1, -1 };
	u32 k = first, i;
	u64 pos;

	if (ncopies > BTRFS_MAX_MIRRORS)
		ncopies = BTRFS_MAX_MIRRORS;
	for (i = first; i < last; i++) {
		for (m = 0; m < ncopies; m++) {
			struct btrfs_io_copy copy;
			u64 contig;

			if (chunk_map_locate(map, d[i].bytenr, m, &copy, &contig))
				continue;
			dev_count(sc, copy.stripe->devid, SC_DATA_EXTENTS, 1);
			dev_count(sc, copy.stripe->devid, SC_DATA_BYTES, d[i].len);
		}
	}
	for (pos = rs; pos < re; pos += SCRUB_IO_SIZE) {
		u64 len = re - pos < SCRUB_IO_SIZE ? re - pos : SCRUB_IO_SIZE;
		u64 ahead = pos + len, alen = SCRUB_PREFETCH;

		if (pos == rs)
			ahead = pos, alen += len;
		if (ahead + alen > re)
			alen = re > ahead ? re - ahead : 0;
		for (m = 0; m < ncopies; m++) {
			if (alen)
				mirror_prefetch(map, m, ahead, alen);
			mirror_read(sc, map, m, pos, len, &mbs[m]);
			for (i = 0; i < mbs[m].nsegs; i++)
				if (mbs[m].segs[i].dev)
					dev_last_physical(sc, mbs[m].segs[i].dev->devid,
						mbs[m].segs[i].physical +
						mbs[m].segs[i].len);
		}
		while (k < last && d[k].bytenr + d[k].len <= pos)
			k++;
		for (i = k; i < last && d[i].bytenr < pos + len; i++) {
			u64 from = d[i].bytenr > pos ? d[i].bytenr : pos;
			u64 to = d[i].bytenr + d[i].len;

			if (to > pos + len)
				to = pos + len;
			ret = data_sectors_check(sc, dc, map, &d[i], cc, mbs,
						 ncopies,
						 pos, from, to, open);
			if (ret)
				return ret;
			progress(sc, (to - from) * (u64)ncopies);
		}
	}
	return 0;
}

static int datas_scrub(struct scrub_ctx *sc, struct extent_lists *xl)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	u32 ss = fs_info->sb.sectorsize, cs = fs_info->sb.csum_size;
	struct mirror_buf mbs[BTRFS_MAX_MIRRORS];
	struct chunk_csums cc = { 0 };
	struct csum_cursor cur;
	struct dax_cache dc = { 0 };
	u32 c, di = 0;
	int m, ret;

	memset(mbs, 0, sizeof(mbs));
	ret = csum_cursor_init(sc, &cur);
	if (ret) {
		snprintf(sc->fatal_msg, sizeof(sc->fatal_msg),
			 "cannot read the checksum tree: %s", strerror(-ret));
		return ret;
	}
	for (m = 0; m < BTRFS_MAX_MIRRORS; m++) {
		if (posix_memalign((void **)&mbs[m].buf, 4096, SCRUB_IO_SIZE) ||
		    !(mbs[m].rerr = malloc(SCRUB_IO_SIZE / ss)) ||
		    !(mbs[m].segs = calloc(SCRUB_SEGS_MAX, sizeof(*mbs[m].segs)))) {
			ret = -ENOMEM;
			goto out;
		}
	}
	for (c = 0; c < fs_info->nr_chunks && di < xl->nd && !ret; c++) {
		const struct chunk_map *map = fs_info->chunks[c];
		u64 cend = map->logical + map->length;
		u64 nsec = map->length / ss;

		if (!(map->type & BTRFS_BLOCK_GROUP_DATA))
			continue;
		while (di < xl->nd && xl->d[di].bytenr < map->logical)
			di++;	/* outside any data chunk: the checker's job */
		if (di == xl->nd || xl->d[di].bytenr >= cend)
			continue;
		free(cc.sums);
		free(cc.have);
		cc.sums = malloc(nsec * cs + 1);
		cc.have = malloc((nsec + 7) / 8 + 1);
		if (!cc.sums || !cc.have) {
			ret = -ENOMEM;
			break;
		}
		ret = csums_load(sc, &cur, map, &cc);
		if (ret) {
			snprintf(sc->fatal_msg, sizeof(sc->fatal_msg),
				 "cannot read the checksum tree: %s",
				 strerror(-ret));
			break;
		}
		while (!ret && di < xl->nd && xl->d[di].bytenr < cend) {
			u32 dj = di + 1;
			u64 end = xl->d[di].bytenr + xl->d[di].len;

			if (end > cend) {
				di++;	/* crosses its chunk: not ours to read */
				continue;
			}
			while (dj < xl->nd && xl->d[dj].bytenr >= end &&
			       xl->d[dj].bytenr - end <= SCRUB_GAP_MAX &&
			       xl->d[dj].bytenr + xl->d[dj].len <= cend) {
				end = xl->d[dj].bytenr + xl->d[dj].len;
				dj++;
			}
			ret = data_run_scrub(sc, &dc, map, xl->d, di, dj, &cc, mbs);
			di = dj;
		}
	}
out:
	btrfs_path_release(&cur.path);
	free(cc.sums);
	free(cc.have);
	for (m = 0; m < BTRFS_MAX_MIRRORS; m++) {
		free(mbs[m].buf);
		free(mbs[m].rerr);
		free(mbs[m].segs);
	}
	return ret;
}

/* ---------------------------------------------------- RAID5/6 parity */

/* Marks the pieces of [logical, logical+len) in a chunk's round map. */
static void round_mark(const struct chunk_map *map, u8 *mark, u32 ss,
		       u64 logical, u64 len, u8 val)
{
	u32 ndata = chunk_map_data_stripes(map);
	u64 spr = map->stripe_len / ss, end = logical + len, l;

	if (logical < map->logical)
		logical = map->logical;
	if (end > map->logical + map->length)
		end = map->logical + map->length;
	for (l = logical - logical % ss; l < end; l += ss) {
		u64 off = l - map->logical, stripe_nr = off / map->stripe_len;
		u64 idx = stripe_nr / ndata * spr +
			  off % map->stripe_len / ss;

		if (mark[idx] < val)
			mark[idx] = val;
	}
}

/* Notes a run [k0, k1) of bad sectors of parity block 'which' (1 P, 2 Q). */
static int parity_err(struct scrub_ctx *sc, const struct chunk_map *map,
		      u64 round, int which, u32 k0, u32 k1,
		      enum scrub_err_type type, const u8 *good, int read_errno)
{
	u32 ss = sc->fs_info->sb.sectorsize;
	u32 ndata = chunk_map_data_stripes(map);
	struct btrfs_io_copy c;
	struct scrub_err *e;
	u64 devid, n = (u64)(k1 - k0) * ss;

	raid56_place(map, round, ndata + (u32)which - 1, &c);
	devid = c.stripe->devid;
	e = err_add(sc);
	if (!e)
		return -ENOMEM;
	e->kind = SE_PARITY;
	e->type = type;
	e->logical = map->logical + round * ndata * map->stripe_len;
	e->len = n;
	e->copy = which;
	e->devid = devid;
	e->physical = c.physical + (u64)k0 * ss;
	if (type == SE_READ)
		snprintf(e->why, sizeof(e->why), "read error: %s",
			 strerror(read_errno ? read_errno : EIO));
	else
		snprintf(e->why, sizeof(e->why),
			 "%s does not match the data stripes",
			 which == 1 ? "P" : "Q");
	dev_count(sc, devid, type_counter(type), k1 - k0);
	if (sc->readonly)
		e->fix = SF_READONLY;
	else if (!c.stripe->dev)
		e->fix = SF_FAILED;
	else
		e->fix = dev_write_sync(sc, devid, good + (u64)k0 * ss, n,
					e->physical) ? SF_FAILED : SF_FIXED;
	fix_count(sc, devid, e->fix, k1 - k0);
	return 0;
}

/*
 * Checks the parity of one full stripe: the sectors marked 1 (used, their
 * data good) of P and Q against the parity computed from the data.
 */
static int parity_round(struct scrub_ctx *sc, const struct chunk_map *map,
			u64 round, const u8 *mark, u8 **blk, u8 **want)
{
	u32 ss = sc->fs_info->sb.sectorsize;
	u32 np = chunk_map_nparity(map), ndata = map->num_stripes - np, i;
	u32 spr = (u32)(map->stripe_len / ss), k, k0;
	int perr[2] = { 0, 0 }, ret, w;

	for (i = 0; i < map->num_stripes; i++) {
		struct btrfs_io_copy c;

		raid56_place(map, round, i, &c);
		ret = btrfs_device_pread(c.stripe->dev, blk[i], map->stripe_len,
				    c.physical);
		if (ret && i < ndata)
			return 0;	/* the data pass reported it */
		if (ret)
			perr[i - ndata] = -ret;
		dev_last_physical(sc, c.stripe->devid,
				  c.physical + map->stripe_len);
	}
	raid56_gen_pq(ndata, map->stripe_len, blk, want[0],
		      np > 1 ? want[1] : NULL);
	for (w = 0; w < (int)np; w++) {
		const u8 *have = blk[ndata + (u32)w];

		if (perr[w]) {
			for (k = 0; k < spr && mark[k] != 1; k++)
				;
			if (k == spr)
				continue;
			ret = parity_err(sc, map, round, w + 1, 0, spr, SE_READ,
					 want[w], perr[w]);
			if (ret)
				return ret;
			continue;
		}
		for (k = 0; k < spr;) {
			if (mark[k] != 1 ||
			    !memcmp(have + (u64)k * ss, want[w] + (u64)k * ss, ss)) {
				k++;
				continue;
			}
			k0 = k;
			while (k < spr && mark[k] == 1 &&
			       memcmp(have + (u64)k * ss, want[w] + (u64)k * ss, ss))
				k++;
			ret = parity_err(sc, map, round, w + 1, k0, k, SE_VERIFY,
					 want[w], 0);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/*
 * After the data and tree blocks: the parity of every full stripe of every
 * RAID5/6 chunk that holds used bytes, where the data is good (or was
 * repaired).  A damaged data stripe makes its parity look wrong too, so
 * the sectors with unrepaired data are left out.
 */
static int parity_scrub(struct scrub_ctx *sc, const struct extent_lists *xl)
{
	struct btrfs_fs_info *fs_info = sc->fs_info;
	u32 ss = fs_info->sb.sectorsize, c, i;
	int ret = 0;

	for (c = 0; c < fs_info->nr_chunks && !ret; c++) {
		const struct chunk_map *map = fs_info->chunks[c];
		u32 np = chunk_map_nparity(map), ndata, spr;
		u64 nrounds, r, cend = map->logical + map->length;
		u8 *mark, *mem, **blk, *want[2];

		if (!np || map->stripe_len % ss)
			continue;
		ndata = map->num_stripes - np;
		spr = (u32)(map->stripe_len / ss);
		nrounds = (map->length + ndata * map->stripe_len - 1) /
			  (ndata * map->stripe_len);
		mark = calloc(nrounds * spr, 1);
		mem = malloc((map->num_stripes + 2) * map->stripe_len);
		blk = calloc(map->num_stripes, sizeof(*blk));
		if (!mark || !mem || !blk) {
			free(mark);
			free(mem);
			free(blk);
			return -ENOMEM;
		}
		for (i = 0; i < map->num_stripes; i++)
			blk[i] = mem + i * map->stripe_len;
		want[0] = mem + map->num_stripes * map->stripe_len;
		want[1] = want[0] + map->stripe_len;
		for (i = 0; i < xl->nt; i++)
			if (xl->t[i].bytenr >= map->logical &&
			    xl->t[i].bytenr < cend)
				round_mark(map, mark, ss, xl->t[i].bytenr,
					   fs_info->sb.nodesize, 1);
		for (i = 0; i < xl->nd; i++)
			if (xl->d[i].bytenr >= map->logical &&
			    xl->d[i].bytenr < cend)
				round_mark(map, mark, ss, xl->d[i].bytenr,
					   xl->d[i].len, 1);
		for (i = 0; i < sc->nr_errs; i++) {
			const struct scrub_err *e = &sc->errs[i];

			if ((e->kind == SE_TREE || e->kind == SE_DATA) &&
			    e->fix != SF_FIXED && e->logical >= map->logical &&
			    e->logical < cend)
				round_mark(map, mark, ss, e->logical, e->len, 2);
		}
		for (r = 0; r < nrounds && !ret; r++) {
			u32 k;

			for (k = 0; k < spr && mark[r * spr + k] != 1; k++)
				;
			if (k < spr)
				ret = parity_round(sc, map, r, mark + r * spr,
						   blk, want);
			progress(sc, 0);
		}
		free(mark);
		free(mem);
		free(blk);
	}
	return ret;
}

/* ------------------------------------------------------------ the run */

static void owners_resolve_all(struct scrub_ctx *sc)
{
	u32 i;

	for (i = 0; i < sc->nr_errs; i++) {
		struct scrub_err *e = &sc->errs[i];

		if (e->kind == SE_SUPER || e->kind == SE_PARITY)
			e->owners_ret = owners_resolve_physical(sc->fs_info,
					e->devid, e->physical, e->len, &e->owners);
		else
			e->owners_ret = owners_resolve_logical(sc->fs_info,
					e->logical, e->len, &e->owners);
	}
}

static u64 total_to_read(struct scrub_ctx *sc, const struct extent_lists *xl)
{
	u64 total = 0;
	u32 i;

	for (i = 0; i < xl->nt; i++) {
		struct chunk_map *map = chunk_map_lookup(sc->fs_info, xl->t[i].bytenr);

		if (map)
			total += (u64)sc->fs_info->sb.nodesize *
				 (u64)chunk_map_num_copies(map);
	}
	for (i = 0; i < xl->nd; i++) {
		struct chunk_map *map = chunk_map_lookup(sc->fs_info, xl->d[i].bytenr);

		if (map)
			total += xl->d[i].len * (u64)chunk_map_num_copies(map);
	}
	return total;
}

int scrub_run(struct scrub_ctx *sc)
{
	struct extent_lists xl = { 0 };
	u32 i;
	int ret, walk_ret;

	for (i = 0; i < sc->nr_devs; i++)
		if (sc->devs[i].dev && sc->devs[i].dev->fd >= 0)
			posix_fadvise(sc->devs[i].dev->fd, 0, 0,
				      POSIX_FADV_SEQUENTIAL);
	walk_ret = extents_collect(sc, &xl);
	if (walk_ret == -ENOMEM)
		goto out;
	sc->total_bytes = total_to_read(sc, &xl);
	sc->last_progress = now_seconds();
	ret = 0;
	for (i = 0; i < sc->nr_devs && !ret; i++)
		if (sc->devs[i].dev)
			ret = supers_scrub_dev(sc, &sc->devs[i]);
	if (!ret)
		ret = trees_scrub(sc, &xl);
	if (!ret)
		ret = datas_scrub(sc, &xl);
	if (!ret)
		ret = parity_scrub(sc, &xl);
	owners_resolve_all(sc);
	if (sc->progress)
		fprintf(stderr, "\r%*s\r", 60, "");
	if (ret == -ENOMEM)
		for (i = 0; i < sc->nr_devs; i++)
			sc->devs[i].c[SC_MALLOC_ERRORS]++;
	if (ret && !sc->fatal_msg[0])
		snprintf(sc->fatal_msg, sizeof(sc->fatal_msg), "scrub failed: %s",
			 strerror(-ret));
	if (!ret)
		ret = walk_ret;
	free(xl.t);
	free(xl.d);
	return ret;
out:
	free(xl.t);
	free(xl.d);
	return walk_ret;
}

/* ------------------------------------------------------------ printing */

static const char *const fix_text[] = {
	[SF_NONE] = "uncorrectable",
	[SF_FIXED] = "fixed",
	[SF_READONLY] = "correctable (read-only, not rewritten)",
	[SF_FAILED] = "uncorrectable (rewrite failed)",
	[SF_UNVERIFIED] = "unverified",
};

void scrub_err_print(FILE *f, const struct scrub_err *e)
{
	const char *where = e->kind == SE_TREE ? "tree block" :
			    e->kind == SE_PARITY ? "parity" :
			    e->kind == SE_DATA ? "data" : "superblock";

	if (e->kind == SE_SUPER)
		fprintf(f, "error: superblock copy %d (devid %llu offset %llu): %s\n",
			e->copy, (unsigned long long)e->devid,
			(unsigned long long)e->physical, e->why);
	else if (e->kind == SE_PARITY)
		fprintf(f, "error: parity %s of full stripe %llu len %llu (devid %llu physical %llu): %s\n",
			e->copy == 1 ? "P" : "Q",
			(unsigned long long)e->logical,
			(unsigned long long)e->len,
			(unsigned long long)e->devid,
			(unsigned long long)e->physical, e->why);
	else if (e->kind == SE_TREE)
		fprintf(f, "error: tree block %llu level %d tree %llu copy %d (devid %llu physical %llu): %s\n",
			(unsigned long long)e->logical, e->level,
			(unsigned long long)e->tree, e->copy,
			(unsigned long long)e->devid,
			(unsigned long long)e->physical, e->why);
	else
		fprintf(f, "error: data %llu len %llu copy %d (devid %llu physical %llu): %s\n",
			(unsigned long long)e->logical,
			(unsigned long long)e->len, e->copy,
			(unsigned long long)e->devid,
			(unsigned long long)e->physical, e->why);
	if (e->owners_ret)
		fprintf(f, "\towner: unknown (%s)\n", strerror(-e->owners_ret));
	else
		owner_list_print_text(f, &e->owners, "\t");
	if (e->kind == SE_SUPER)
		fprintf(f, "%s: superblock copy %d devid %llu\n", fix_text[e->fix],
			e->copy, (unsigned long long)e->devid);
	else if (e->kind == SE_PARITY)
		fprintf(f, "%s: parity %s devid %llu physical %llu len %llu\n",
			fix_text[e->fix], e->copy == 1 ? "P" : "Q",
			(unsigned long long)e->devid,
			(unsigned long long)e->physical,
			(unsigned long long)e->len);
	else if (e->kind == SE_TREE)
		fprintf(f, "%s: %s %llu copy %d\n", fix_text[e->fix], where,
			(unsigned long long)e->logical, e->copy);
	else
		fprintf(f, "%s: %s %llu len %llu copy %d\n", fix_text[e->fix],
			where, (unsigned long long)e->logical,
			(unsigned long long)e->len, e->copy);
}
