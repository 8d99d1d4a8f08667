// SPDX-License-Identifier: GPL-2.0-only
/*
 * The parts of libbtrfs-dax that need no image: the DIR_ITEM name hash
 * against values stock mkfs.btrfs and the kernel wrote, the PMD rule,
 * matching a name among colliding dir entries, and argument and error
 * handling of the public API.  tests/cli/libbtrfs.sh covers real images.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/csum.h"
#include "libbtrfs/internal.h"
#include "tests/unit/tap.h"

#define MiB (1024ULL * 1024)

/* Key offsets of DIR_ITEMs as printed by stock btrfs inspect-internal dump-tree. */
static const struct {
	const char *name;
	u64 hash;
} known_hashes[] = {
	{ "default", 2378154706ULL },	/* root tree dir item of every mkfs */
	{ "dir", 481053471ULL },
	{ "nocow", 1713006341ULL },
	{ "holey", 2901741616ULL },
	{ "sv", 3250315169ULL },
	{ "small", 3107154202ULL },
	{ "big", 3904007803ULL },
};

static void test_name_hash(void)
{
	size_t i;

	for (i = 0; i < sizeof(known_hashes) / sizeof(known_hashes[0]); i++) {
		const char *n = known_hashes[i].name;

		tap_ok(btrfs_name_hash(n, strlen(n)) == known_hashes[i].hash,
		       "name hash of '%s' is %llu", n,
		       (unsigned long long)known_hashes[i].hash);
	}
}

static void test_pmd_rule(void)
{
	tap_ok(dax_pmd_congruent(0, 16 * MiB, 16 * MiB),
	       "pmd: aligned file offset, logical and physical");
	tap_ok(!dax_pmd_congruent(0, 13 * MiB, 13 * MiB),
	       "pmd: odd MiB logical address is not aligned");
	tap_ok(dax_pmd_congruent(1 * MiB, 3 * MiB, 5 * MiB),
	       "pmd: congruent modulo 2 MiB is enough");
	tap_ok(!dax_pmd_congruent(1 * MiB, 3 * MiB, 4 * MiB),
	       "pmd: physical address off by 1 MiB breaks it");
	tap_ok(!dax_pmd_congruent(2 * MiB, 4 * MiB + 4096, 4 * MiB + 4096),
	       "pmd: 4 KiB shift breaks it");
	tap_ok(dax_pmd_congruent(6 * MiB, 2 * MiB, 4 * MiB),
	       "pmd: logical below the file offset still congruent");
	tap_ok(!dax_pmd_congruent(6 * MiB, 2 * MiB, 4 * MiB + 512),
	       "pmd: sub-page physical shift breaks it");
}

/* Appends one dir entry (no data) to buf at *len. */
static void dir_entry_add(u8 *buf, u32 *len, const char *name, u64 ino,
			  u16 data_len)
{
	struct btrfs_dir_item di;
	struct btrfs_key loc = { ino, BTRFS_INODE_ITEM_KEY, 0 };
	size_t n = strlen(name);

	memset(&di, 0, sizeof(di));
	btrfs_cpu_key_to_disk(&di.location, &loc);
	btrfs_set_dir_name_len(&di, (u16)n);
	btrfs_set_dir_data_len(&di, data_len);
	btrfs_set_dir_flags(&di, BTRFS_FT_REG_FILE);
	memcpy(buf + *len, &di, sizeof(di));
	memcpy(buf + *len + sizeof(di), name, n);
	memset(buf + *len + sizeof(di) + n, 'x', data_len);
	*len += (u32)(sizeof(di) + n + data_len);
}

static void test_dir_item_match(void)
{
	struct btrfs_dir_item found;
	u8 buf[256];
	u32 len = 0;
	int ret;

	dir_entry_add(buf, &len, "first", 300, 0);
	dir_entry_add(buf, &len, "second", 301, 7);
	dir_entry_add(buf, &len, "third", 302, 0);

	ret = dax_dir_item_match(buf, len, "third", 5, &found);
	tap_ok(ret == 0 && btrfs_disk_key_objectid(&found.location) == 302,
	       "collision: third packed entry found past one with data");
	ret = dax_dir_item_match(buf, len, "second", 6, &found);
	tap_ok(ret == 0 && btrfs_disk_key_objectid(&found.location) == 301,
	       "collision: middle entry found");
	tap_ok(dax_dir_item_match(buf, len, "fourth", 6, &found) == -ENOENT,
	       "collision: missing name is -ENOENT");
	tap_ok(dax_dir_item_match(buf, len, "thir", 4, &found) == -ENOENT,
	       "collision: a prefix does not match");
	tap_ok(dax_dir_item_match(buf, len - 2, "third", 5, &found) == -EUCLEAN,
	       "collision: entry running past the item is -EUCLEAN");
	tap_ok(dax_dir_item_match(buf, 10, "first", 5, &found) == -ENOENT,
	       "collision: item shorter than one entry matches nothing");
}

static void test_api_errors(void)
{
	const char *missing[] = { "/nonexistent/libbtrfs-test-image" };
	char tmpl[] = "/tmp/test-libbtrfs-XXXXXX";
	struct btrfs_dax_fs *fs = (struct btrfs_dax_fs *)1;
	const char *paths[1] = { tmpl };
	int fd, ret;

	ret = btrfs_dax_open(NULL, 0, 0, &fs);
	tap_ok(ret == -EINVAL && fs == NULL, "open: no paths is -EINVAL");
	tap_ok(strlen(btrfs_dax_last_error(NULL)) > 0,
	       "open: failure explained by last_error(NULL)");
	ret = btrfs_dax_open(missing, 1, 1U << 31, &fs);
	tap_ok(ret == -EINVAL, "open: unknown flag is -EINVAL");
	ret = btrfs_dax_open(missing, 1, 0, &fs);
	tap_ok(ret < 0 && fs == NULL, "open: missing file fails (%d)", ret);
	tap_ok(strlen(btrfs_dax_last_error(NULL)) > 0,
	       "open: missing file explained: %s", btrfs_dax_last_error(NULL));

	fd = mkstemp(tmpl);
	if (fd >= 0 && ftruncate(fd, 1 << 20) == 0) {
		ret = btrfs_dax_open(paths, 1, BTRFS_DAX_OPEN_NOSCAN, &fs);
		tap_ok(ret < 0 && fs == NULL, "open: zeroed file fails (%d)", ret);
		tap_ok(strlen(btrfs_dax_last_error(NULL)) > 0,
		       "open: zeroed file explained: %s",
		       btrfs_dax_last_error(NULL));
	} else {
		tap_ok(0, "open: cannot make a temporary file");
	}
	if (fd >= 0) {
		close(fd);
		unlink(tmpl);
	}
	btrfs_dax_close(NULL);
	btrfs_dax_iter_close(NULL);
	tap_ok(btrfs_dax_iter_next(NULL, NULL, NULL, NULL) == -EINVAL,
	       "iter_next: NULL iterator is -EINVAL");
	tap_ok(btrfs_dax_lookup(NULL, 0, "/", NULL, NULL) == -EINVAL,
	       "lookup: NULL handle is -EINVAL");
}

int main(void)
{
	test_name_hash();
	test_pmd_rule();
	test_dir_item_match();
	test_api_errors();
	return tap_done();
}
