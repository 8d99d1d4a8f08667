// SPDX-License-Identifier: GPL-2.0-only
/*
 * The first stage of mkfs: turn command line values into a validated
 * struct mkfs_config.  Nothing here touches a device or prints.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "kernel-shared/csum.h"
#include "mkfs/mkfs.h"

int mkfs_err_set(struct mkfs_err *err, int ret, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return ret;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

/*
 * The features mkfs knows by name.  Unsupported ones are recognised so the
 * user hears "not supported" rather than "unknown".
 */
static const struct mkfs_feature feature_table[] = {
	{ "mixed-bg", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS,
	  true, false, "mixed data and metadata block groups",
	  "2.6.37", "2.6.37", NULL },
	{ "extref", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_EXTENDED_IREF,
	  true, true, "increased hardlink limit per file to 65536",
	  "3.7", "3.12", "3.12" },
	{ "raid56", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_RAID56,
	  true, false, "raid56 extended format", "3.9", NULL, NULL },
	{ "skinny-metadata", FEAT_INCOMPAT,
	  BTRFS_FEATURE_INCOMPAT_SKINNY_METADATA, true, true,
	  "reduced-size metadata extent refs", "3.10", "3.18", "3.18" },
	{ "no-holes", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_NO_HOLES,
	  true, true, "no explicit hole extents for files",
	  "3.14", "4.0", "5.15" },
	{ "raid1c34", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_RAID1C34,
	  true, false, "RAID1 with 3 or 4 copies", "5.5", NULL, NULL },
	{ "zoned", FEAT_INCOMPAT, BTRFS_FEATURE_INCOMPAT_ZONED,
	  false, false, "support zoned devices", "5.12", NULL, NULL },
	{ "block-group-tree", FEAT_COMPAT_RO,
	  BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE, true, false,
	  "block group tree to reduce mount time", "6.1", NULL, NULL },
	{ "quota", FEAT_RUNTIME, 0, false, false,
	  "quota support (qgroups)", "3.4", NULL, NULL },
	{ "free-space-tree", FEAT_RUNTIME,
	  BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE, true, true,
	  "free space tree (space_cache=v2)", "4.5", "4.9", "5.15" },
	{ NULL },
};

const struct mkfs_feature *mkfs_features(void)
{
	return feature_table;
}

static const struct mkfs_feature *feature_find(const char *name, bool runtime)
{
	const struct mkfs_feature *f;

	for (f = feature_table; f->name; f++) {
		if (strcmp(f->name, name))
			continue;
		/* -O also takes the runtime features, as newer stock does. */
		if (runtime && f->kind != FEAT_RUNTIME)
			continue;
		return f;
	}
	return NULL;
}

static u64 *feature_word(struct mkfs_config *cfg, const struct mkfs_feature *f)
{
	return f->kind == FEAT_INCOMPAT ? &cfg->incompat : &cfg->compat_ro;
}

void mkfs_config_init(struct mkfs_config *cfg)
{
	const struct mkfs_feature *f;

	memset(cfg, 0, sizeof(*cfg));
	cfg->meta_profile = BTRFS_BLOCK_GROUP_DUP;
	cfg->data_profile = 0;
	cfg->csum_type = BTRFS_CSUM_TYPE_CRC32;
	cfg->incompat = BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF;
	for (f = feature_table; f->name; f++)
		if (f->deflt)
			*feature_word(cfg, f) |= f->bit;
	cfg->discard = true;
	cfg->verbose = 1;
}

int mkfs_parse_size(const char *str, u64 *ret)
{
	static const char units[] = "kmgtpe";
	unsigned long long num;
	const char *unit;
	char *end;
	int shift = 0;

	if (!str || !isdigit((unsigned char)*str))
		return -EINVAL;
	errno = 0;
	num = strtoull(str, &end, 10);
	if (errno)
		return -ERANGE;
	if (*end) {
		unit = strchr(units, tolower((unsigned char)*end));
		if (!unit)
			return -EINVAL;
		shift = 10 * (int)(unit - units + 1);
		end++;
		if (!strcasecmp(end, "ib") || !strcasecmp(end, "b"))
			end += strlen(end);
		if (*end)
			return -EINVAL;
	}
	if (shift && num > (~0ULL >> shift))
		return -ERANGE;
	*ret = (u64)num << shift;
	return 0;
}

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

int mkfs_parse_profile(const char *str, u64 *ret)
{
	const struct mkfs_raid_attr *ra;

	for (ra = mkfs_raid_attrs(); ra->name; ra++) {
		if (!strcasecmp(str, ra->name)) {
			*ret = ra->profile;
			return 0;
		}
	}
	return -EINVAL;
}

/* The names stock prints in the summary: "single", "DUP", "RAID1". */
const char *mkfs_profile_name(u64 profile)
{
	return mkfs_raid_attr(profile)->upper;
}

int mkfs_parse_csum(const char *str, u16 *ret)
{
	static const struct {
		const char *name;
		u16 type;
	} names[] = {
		{ "crc32c", BTRFS_CSUM_TYPE_CRC32 },
		{ "xxhash", BTRFS_CSUM_TYPE_XXHASH },
		{ "xxhash64", BTRFS_CSUM_TYPE_XXHASH },
		{ "sha256", BTRFS_CSUM_TYPE_SHA256 },
		{ "blake2", BTRFS_CSUM_TYPE_BLAKE2 },
		{ "blake2b", BTRFS_CSUM_TYPE_BLAKE2 },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		if (!strcasecmp(str, names[i].name)) {
			*ret = names[i].type;
			return 0;
		}
	}
	return -EINVAL;
}

static int feature_apply(struct mkfs_config *cfg, const char *name,
			 bool runtime, struct mkfs_err *err)
{
	const struct mkfs_feature *f;
	bool off = name[0] == '^';

	if (off)
		name++;
	f = feature_find(name, runtime);
	if (!f)
		return mkfs_err_set(err, -EINVAL, "unrecognized %s feature '%s%s'",
				    runtime ? "runtime" : "filesystem",
				    off ? "^" : "", name);
	if (!f->supported && !off)
		return mkfs_err_set(err, -EOPNOTSUPP,
				    "feature '%s' is not supported by this mkfs.btrfs",
				    name);
	if (!f->supported)
		return 0;
	if (off)
		*feature_word(cfg, f) &= ~f->bit;
	else
		*feature_word(cfg, f) |= f->bit;
	return 0;
}

int mkfs_parse_features(struct mkfs_config *cfg, const char *list,
			bool runtime, struct mkfs_err *err)
{
	char *copy, *name, *save = NULL;
	int ret = 0;

	copy = strdup(list);
	if (!copy)
		return mkfs_err_set(err, -ENOMEM, "out of memory");
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		if (!strcmp(name, "list-all")) {
			ret = 1;
			break;
		}
		ret = feature_apply(cfg, name, runtime, err);
		if (ret < 0)
			break;
	}
	free(copy);
	return ret;
}

static bool is_pow2(u64 v)
{
	return v && !(v & (v - 1));
}

static int validate_sizes(struct mkfs_config *cfg, struct mkfs_err *err)
{
	u32 page = (u32)sysconf(_SC_PAGESIZE);

	if (!cfg->sectorsize)
		cfg->sectorsize = page;
	if (!is_pow2(cfg->sectorsize))
		return mkfs_err_set(err, -EINVAL,
				    "invalid sectorsize %u, must be power of 2",
				    cfg->sectorsize);
	if (cfg->sectorsize < 4096 || cfg->sectorsize > 65536)
		return mkfs_err_set(err, -EINVAL,
				    "invalid sectorsize %u, expected range is [4K, 64K]",
				    cfg->sectorsize);
	/* Stock: -M without -n makes tree blocks one sector big. */
	if (!cfg->nodesize && cfg->mixed)
		cfg->nodesize = cfg->sectorsize;
	if (!cfg->nodesize)
		cfg->nodesize = cfg->sectorsize > MKFS_DEFAULT_NODESIZE ?
				cfg->sectorsize : MKFS_DEFAULT_NODESIZE;
	if (cfg->nodesize < cfg->sectorsize)
		return mkfs_err_set(err, -EINVAL,
				    "illegal nodesize %u (smaller than %u)",
				    cfg->nodesize, cfg->sectorsize);
	if (cfg->nodesize > BTRFS_MAX_METADATA_BLOCKSIZE)
		return mkfs_err_set(err, -EINVAL,
				    "illegal nodesize %u (larger than %u)",
				    cfg->nodesize, BTRFS_MAX_METADATA_BLOCKSIZE);
	if (!is_pow2(cfg->nodesize))
		return mkfs_err_set(err, -EINVAL,
				    "illegal nodesize %u (not a power of 2)",
				    cfg->nodesize);
	if ((cfg->mixed ||
	     (cfg->incompat & BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS)) &&
	    cfg->nodesize != cfg->sectorsize)
		return mkfs_err_set(err, -EINVAL,
				    "illegal nodesize %u (not equal to %u for mixed block group)",
				    cfg->nodesize, cfg->sectorsize);
	return 0;
}

static int validate_dev_count(u64 profile, const char *what, int nr,
			      struct mkfs_err *err)
{
	const struct mkfs_raid_attr *ra = mkfs_raid_attr(profile);

	if (nr < ra->devs_min)
		return mkfs_err_set(err, -EINVAL,
				    "unable to create FS with %s profile %s (have %d devices but %d devices are required)",
				    what, ra->upper, nr, ra->devs_min);
	return 0;
}

/*
 * Stock's defaults: DUP metadata on one device, RAID1 on several, SINGLE
 * data; with mixed block groups both SINGLE, and both the same if given.
 */
static int validate_profiles(struct mkfs_config *cfg, struct mkfs_err *err)
{
	int ret;

	if (mkfs_config_mixed(cfg)) {
		if (!cfg->meta_profile_set)
			cfg->meta_profile = 0;
		if (!cfg->data_profile_set)
			cfg->data_profile = 0;
		if (cfg->meta_profile != cfg->data_profile)
			return mkfs_err_set(err, -EINVAL,
					    "with mixed block groups data and metadata profiles must be the same");
	} else if (!cfg->meta_profile_set) {
		cfg->meta_profile = cfg->nr_devices > 1 ?
				    BTRFS_BLOCK_GROUP_RAID1 :
				    BTRFS_BLOCK_GROUP_DUP;
	}
	ret = validate_dev_count(cfg->meta_profile, "metadata",
				 cfg->nr_devices, err);
	if (!ret)
		ret = validate_dev_count(cfg->data_profile, "data",
					 cfg->nr_devices, err);
	return ret;
}

/* Bits the chosen profiles and options imply, as stock sets them. */
static void config_implied_features(struct mkfs_config *cfg)
{
	u64 profiles = cfg->meta_profile | cfg->data_profile;

	cfg->incompat |= BTRFS_FEATURE_INCOMPAT_MIXED_BACKREF;
	if (cfg->mixed)
		cfg->incompat |= BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS;
	if (profiles & (BTRFS_BLOCK_GROUP_RAID5 | BTRFS_BLOCK_GROUP_RAID6))
		cfg->incompat |= BTRFS_FEATURE_INCOMPAT_RAID56;
	if (profiles & (BTRFS_BLOCK_GROUP_RAID1C3 | BTRFS_BLOCK_GROUP_RAID1C4))
		cfg->incompat |= BTRFS_FEATURE_INCOMPAT_RAID1C34;
	if (cfg->compat_ro & BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE)
		cfg->compat_ro |= BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID;
	else
		cfg->compat_ro &= ~BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE_VALID;
	if (cfg->dax)
		cfg->compat |= BTRFS_FEATURE_COMPAT_DAX_LAYOUT;
	if (cfg->dax_inherit)
		cfg->compat_ro |= BTRFS_FEATURE_COMPAT_RO_DAX;
}

/* DAX-DESIGN.md: what a DAX-aligned filesystem needs from the options. */
static int validate_dax(const struct mkfs_config *cfg, struct mkfs_err *err)
{
	u32 page = (u32)sysconf(_SC_PAGESIZE);

	if (cfg->mixed || (cfg->incompat & BTRFS_FEATURE_INCOMPAT_MIXED_GROUPS))
		return mkfs_err_set(err, -EINVAL,
				    "--dax cannot be used with --mixed: DAX data needs its own single chunks");
	if (cfg->data_profile & BTRFS_BLOCK_GROUP_RAID0)
		return mkfs_err_set(err, -EINVAL,
				    "--dax needs data profile single: RAID0 splits every 2MiB page over several devices");
	if (cfg->data_profile)
		return mkfs_err_set(err, -EINVAL,
				    "--dax needs data profile single: with %s the kernel must write every copy, and DAX writes bypass the kernel",
				    mkfs_profile_name(cfg->data_profile));
	if (cfg->sectorsize != page)
		return mkfs_err_set(err, -EINVAL,
				    "--dax needs sectorsize equal to the page size %u, not %u",
				    page, cfg->sectorsize);
	return 0;
}

int mkfs_config_validate(struct mkfs_config *cfg, struct mkfs_err *err)
{
	int ret;

	if (cfg->dax_inherit)
		cfg->dax = true;
	ret = validate_sizes(cfg, err);
	if (!ret)
		ret = validate_profiles(cfg, err);
	if (!ret && cfg->dax)
		ret = validate_dax(cfg, err);
	if (ret)
		return ret;
	if (!btrfs_csum_type_valid(cfg->csum_type))
		return mkfs_err_set(err, -EINVAL, "unsupported checksum type %u",
				    cfg->csum_type);
	if ((cfg->compat_ro & BTRFS_FEATURE_COMPAT_RO_BLOCK_GROUP_TREE) &&
	    !(cfg->compat_ro & BTRFS_FEATURE_COMPAT_RO_FREE_SPACE_TREE))
		return mkfs_err_set(err, -EINVAL,
				    "block group tree requires free space tree enabled");
	config_implied_features(cfg);
	return 0;
}

/*
 * Stock 6.2's formula, kept so both programs accept the same devices: the
 * reserved first megabyte, its temporary chunks, then the real chunks at
 * their smallest sizes.  Mixed block groups: two system chunks' worth plus
 * a global reserve of 1024 tree blocks, twice.
 */
u64 mkfs_min_dev_size(const struct mkfs_config *cfg)
{
	u64 size = SZ_1M + SZ_4M + 2 * SZ_8M;
	u64 meta, data;

	if (mkfs_config_mixed(cfg))
		return 2 * (SZ_4M + ((u64)cfg->nodesize << 10));
	meta = cfg->meta_profile ? SZ_8M + SZ_32M : SZ_8M + SZ_8M;
	if (cfg->meta_profile & BTRFS_BLOCK_GROUP_DUP)
		meta *= 2;
	data = cfg->data_profile ? SZ_64M : SZ_8M;
	if (cfg->data_profile & BTRFS_BLOCK_GROUP_DUP)
		data *= 2;
	return size + meta + data;
}

void mkfs_features_string(const struct mkfs_config *cfg, bool runtime,
			  char *buf, size_t len)
{
	const struct mkfs_feature *f;
	size_t used = 0;

	buf[0] = '\0';
	for (f = feature_table; f->name; f++) {
		u64 word = f->kind == FEAT_INCOMPAT ? cfg->incompat :
						      cfg->compat_ro;

		if ((f->kind == FEAT_RUNTIME) != runtime || !f->bit ||
		    !(word & f->bit))
			continue;
		used += snprintf(buf + used, used < len ? len - used : 0,
				 "%s%s", used ? ", " : "", f->name);
	}
}
