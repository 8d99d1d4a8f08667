// SPDX-License-Identifier: GPL-2.0-only
/*
 * txn-torture: random inserts, deletes and resizes of xattr items of the
 * top directory (inode 256), over many transactions, checked against a
 * model after every commit and abort.
 *
 *   txn-torture [-s SEED] [-t TRANSACTIONS] [-n OPS] [-N NAMES] [-r]
 *               [-T TREE] IMAGE[,IMAGE...]
 *
 *   -s  random seed (default 1)
 *   -t  transactions (default 50); about one in eight is aborted
 *   -n  operations per transaction (default 200)
 *   -N  distinct xattr names (default 3000)
 *   -r  at the end delete every xattr and require the superblock's
 *       bytes_used and every block group's usage to be what they were
 *   -T  the tree whose inode 256 gets the xattrs (default 5; a snapshot's
 *       id to work on blocks it shares)
 *
 * After each commit the items are compared through the read side on the
 * same open filesystem, and every fifth time after closing and reopening
 * it.  Prints one summary line; exits 1 on any difference or error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/csum.h"

#define INO 256ULL

struct slot {
	bool present;
	u32 size;
	u32 seed;
};

struct torture {
	const char *paths[16];
	int npaths;
	struct btrfs_fs_rw *rw;
	struct btrfs_trans_handle *trans;
	struct btrfs_trans_root *fs;
	struct slot *model, *saved;
	u64 tree;		/* the tree changed, 5 unless -T */
	bool *usable;		/* no hash collision with another name */
	u32 nnames;
	u32 max_value;
	u64 rng;
	unsigned long ops[3];
};

static u32 rnd(struct torture *t, u32 n)
{
	t->rng ^= t->rng << 13;
	t->rng ^= t->rng >> 7;
	t->rng ^= t->rng << 17;
	return n ? (u32)(t->rng % n) : 0;
}

static void name_of(char *buf, size_t len, u32 i)
{
	snprintf(buf, len, "user.r%06u", i);
}

static void value_of(u8 *buf, const struct slot *s, u32 i)
{
	u32 k;

	for (k = 0; k < s->size; k++)
		buf[k] = (u8)(s->seed * 131 + k * 7 + i);
}

static int xattr_put(struct torture *t, u32 i, const struct slot *s)
{
	char name[32];
	u32 nlen, size;
	struct btrfs_key key;
	struct btrfs_dir_item *di;
	int ret;

	name_of(name, sizeof(name), i);
	nlen = (u32)strlen(name);
	size = sizeof(*di) + nlen + s->size;
	key = (struct btrfs_key){ INO, BTRFS_XATTR_ITEM_KEY, btrfs_name_hash(name, strlen(name)) };
	di = calloc(1, size);
	if (!di)
		return -ENOMEM;
	btrfs_set_dir_transid(di, t->trans->transid);
	btrfs_set_dir_data_len(di, (u16)s->size);
	btrfs_set_dir_name_len(di, (u16)nlen);
	btrfs_set_dir_flags(di, BTRFS_FT_XATTR);
	memcpy(di + 1, name, nlen);
	value_of((u8 *)(di + 1) + nlen, s, i);
	if (t->model[i].present)
		ret = btrfs_update_item(t->trans, t->fs, &key, di, size);
	else
		ret = btrfs_insert_item(t->trans, t->fs, &key, di, size);
	free(di);
	return ret;
}

static int xattr_drop(struct torture *t, u32 i)
{
	char name[32];
	struct btrfs_key key;

	name_of(name, sizeof(name), i);
	key = (struct btrfs_key){ INO, BTRFS_XATTR_ITEM_KEY, btrfs_name_hash(name, strlen(name)) };
	return btrfs_delete_item(t->trans, t->fs, &key);
}

static u32 random_size(struct torture *t)
{
	u32 r = rnd(t, 10);

	if (r < 6)
		return rnd(t, 200);
	if (r < 9)
		return 200 + rnd(t, 1300);
	return rnd(t, t->max_value + 1);
}

/* One random operation on a random usable name. */
static int one_op(struct torture *t)
{
	u32 i = rnd(t, t->nnames), kind = rnd(t, 100);
	struct slot s;
	int ret;

	while (!t->usable[i])
		i = (i + 1) % t->nnames;
	if (t->model[i].present && kind < 35) {
		ret = xattr_drop(t, i);
		if (!ret)
			t->model[i].present = false;
		t->ops[1]++;
		return ret;
	}
	s.present = true;
	s.size = random_size(t);
	s.seed = rnd(t, 1000000);
	t->ops[t->model[i].present ? 2 : 0]++;
	ret = xattr_put(t, i, &s);
	if (!ret)
		t->model[i] = s;
	return ret;
}

/* Checks one xattr item found by the read side against the model. */
static int check_item(struct torture *t, const struct extent_buffer *leaf,
		      int slot, bool *seen)
{
	const struct btrfs_dir_item *di = eb_item_ptr(leaf, slot);
	u32 nlen = btrfs_dir_name_len(di), vlen = btrfs_dir_data_len(di);
	char name[64];
	unsigned int i;
	u8 *want;
	int bad;

	if (nlen >= sizeof(name) || sizeof(*di) + nlen + vlen !=
				    eb_item_size(leaf, slot))
		return -EUCLEAN;
	memcpy(name, di + 1, nlen);
	name[nlen] = '\0';
	if (sscanf(name, "user.r%06u", &i) != 1 || i >= t->nnames ||
	    !t->model[i].present || seen[i] || t->model[i].size != vlen)
		return -EUCLEAN;
	seen[i] = true;
	want = malloc(vlen + 1);
	if (!want)
		return -ENOMEM;
	value_of(want, &t->model[i], i);
	bad = memcmp(want, (const u8 *)(di + 1) + nlen, vlen);
	free(want);
	return bad ? -EUCLEAN : 0;
}

static int verify_fs(struct torture *t, struct btrfs_fs_info *fs_info)
{
	struct btrfs_key key = { INO, BTRFS_XATTR_ITEM_KEY, 0 }, k;
	struct btrfs_root root;
	struct btrfs_path path;
	bool *seen = calloc(t->nnames, sizeof(*seen));
	u32 i, found = 0, want = 0;
	int ret;

	if (!seen)
		return -ENOMEM;
	btrfs_path_init(&path);
	ret = btrfs_read_root(fs_info, t->tree, &root, NULL);
	if (!ret)
		ret = btrfs_search_slot(fs_info, &root, &key, &path);
	while (ret >= 0 && path.nodes[0] &&
	       path.slots[0] < (int)eb_nritems(path.nodes[0])) {
		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.objectid != INO || k.type != BTRFS_XATTR_ITEM_KEY)
			break;
		ret = check_item(t, path.nodes[0], path.slots[0], seen);
		if (ret)
			break;
		found++;
		ret = btrfs_next_item(fs_info, &path);
		if (ret)
			break;
	}
	btrfs_path_release(&path);
	for (i = 0; i < t->nnames; i++)
		want += t->model[i].present;
	free(seen);
	if (ret > 0)
		ret = 0;
	if (!ret && found != want)
		ret = -EUCLEAN;
	if (ret)
		fprintf(stderr, "txn-torture: items differ from the model: %s (%u of %u found; %s)\n",
			strerror(-ret), found, want, fs_info->err);
	return ret;
}

static int reopen(struct torture *t)
{
	int ret;

	btrfs_close_fs_rw(t->rw);
	ret = btrfs_open_fs_rw(t->paths, t->npaths, BTRFS_RW_SKIP_MOUNT_CHECK,
			       &t->rw);
	if (ret)
		fprintf(stderr, "txn-torture: reopen: %s (%s)\n", strerror(-ret),
			t->rw->fs_info ? t->rw->fs_info->err : "");
	return ret;
}

static int trans_begin(struct torture *t)
{
	int ret = btrfs_trans_start(t->rw, &t->trans);

	if (!ret)
		ret = btrfs_trans_get_root(t->trans, t->tree, &t->fs);
	return ret;
}

static int report(struct torture *t, const char *what, int ret)
{
	fprintf(stderr, "txn-torture: %s: %s (%s)\n", what, strerror(-ret),
		t->rw->fs_info->err);
	return ret;
}

/* One transaction of nops operations, committed or aborted. */
static int one_trans(struct torture *t, u32 nops, bool do_abort)
{
	u32 k;
	int ret;

	memcpy(t->saved, t->model, t->nnames * sizeof(*t->model));
	ret = trans_begin(t);
	for (k = 0; k < nops && !ret; k++)
		ret = one_op(t);
	if (ret)
		return report(t, "operation", ret);
	if (do_abort) {
		btrfs_trans_abort(t->trans);
		memcpy(t->model, t->saved, t->nnames * sizeof(*t->model));
		return 0;
	}
	ret = btrfs_trans_commit(t->trans);
	return ret ? report(t, "commit", ret) : 0;
}

struct usage {
	u64 bytes_used;
	u32 nr_bgs;
	u64 bg_used[256];
	u64 bg_free[256];
};

static void usage_get(const struct btrfs_fs_rw *rw, struct usage *u)
{
	u32 i;

	memset(u, 0, sizeof(*u));
	u->bytes_used = rw->fs_info->sb.bytes_used;
	u->nr_bgs = rw->nr_bgs < 256 ? rw->nr_bgs : 256;
	for (i = 0; i < u->nr_bgs; i++) {
		u->bg_used[i] = rw->bgs[i].used;
		u->bg_free[i] = range_set_bytes(&rw->bgs[i].free);
	}
}

static int delete_all(struct torture *t)
{
	u32 i;
	int ret;

	ret = trans_begin(t);
	for (i = 0; i < t->nnames && !ret; i++) {
		if (!t->model[i].present)
			continue;
		ret = xattr_drop(t, i);
		t->model[i].present = false;
	}
	if (ret)
		return report(t, "delete", ret);
	ret = btrfs_trans_commit(t->trans);
	return ret ? report(t, "commit", ret) : 0;
}

/*
 * The same bytes in use, and in every block group used + free as before
 * (blocks may have moved between groups; groups of chunks allocated
 * meanwhile stay, with all their bytes accounted for).
 */
static int check_usage(struct torture *t, const struct usage *before)
{
	struct usage after;
	u64 sum = 0;
	bool same;
	u32 i;

	usage_get(t->rw, &after);
	same = after.bytes_used == before->bytes_used &&
	       after.nr_bgs >= before->nr_bgs;
	for (i = 0; i < after.nr_bgs && same; i++) {
		u64 want = i < before->nr_bgs ?
			   before->bg_used[i] + before->bg_free[i] :
			   t->rw->bgs[i].length;

		same = after.bg_used[i] + after.bg_free[i] == want;
		sum += after.bg_used[i];
	}
	if (!same || sum != after.bytes_used) {
		fprintf(stderr, "txn-torture: space usage differs after deleting everything: bytes_used %llu, was %llu\n",
			(unsigned long long)after.bytes_used,
			(unsigned long long)before->bytes_used);
		return -EUCLEAN;
	}
	return 0;
}

static int torture_init(struct torture *t)
{
	u32 nodesize = t->rw->fs_info->sb.nodesize, i, j;
	char name[32];
	u64 *hash;

	t->model = calloc(t->nnames, sizeof(*t->model));
	t->saved = calloc(t->nnames, sizeof(*t->saved));
	t->usable = calloc(t->nnames, sizeof(*t->usable));
	if (!t->model || !t->saved || !t->usable)
		return -ENOMEM;
	t->max_value = btrfs_max_item_size(nodesize) -
		       sizeof(struct btrfs_dir_item) - 12;
	hash = calloc(t->nnames, sizeof(*hash));
	if (!hash)
		return -ENOMEM;
	for (i = 0; i < t->nnames; i++) {
		t->usable[i] = true;
		name_of(name, sizeof(name), i);
		hash[i] = btrfs_name_hash(name, strlen(name));
	}
	/* Names sharing a hash would share an item; leave them out. */
	for (i = 0; i < t->nnames; i++)
		for (j = i + 1; j < t->nnames; j++)
			if (hash[i] == hash[j])
				t->usable[i] = t->usable[j] = false;
	free(hash);
	return 0;
}

static int run(struct torture *t, u32 ntrans, u32 nops, bool remove_all)
{
	struct usage before;
	u32 n;
	int ret;

	ret = torture_init(t);
	if (ret)
		return ret;
	usage_get(t->rw, &before);
	for (n = 0; n < ntrans; n++) {
		ret = one_trans(t, nops, rnd(t, 8) == 0);
		if (!ret)
			ret = verify_fs(t, t->rw->fs_info);
		if (!ret && n % 5 == 4) {
			ret = reopen(t);
			if (!ret)
				ret = verify_fs(t, t->rw->fs_info);
		}
		if (ret)
			return ret;
	}
	if (!remove_all)
		return 0;
	ret = delete_all(t);
	if (!ret)
		ret = verify_fs(t, t->rw->fs_info);
	if (!ret)
		ret = check_usage(t, &before);
	return ret;
}

int main(int argc, char **argv)
{
	struct torture t = { .nnames = 3000, .rng = 1,
			     .tree = BTRFS_FS_TREE_OBJECTID };
	u32 ntrans = 50, nops = 200;
	bool remove_all = false;
	char *p;
	int c, ret;

	while ((c = getopt(argc, argv, "s:t:n:N:rT:")) != -1) {
		switch (c) {
		case 'T': t.tree = strtoull(optarg, NULL, 0); break;
		case 's': t.rng = strtoull(optarg, NULL, 0) * 2654435761ULL + 1; break;
		case 't': ntrans = (u32)strtoul(optarg, NULL, 0); break;
		case 'n': nops = (u32)strtoul(optarg, NULL, 0); break;
		case 'N': t.nnames = (u32)strtoul(optarg, NULL, 0); break;
		case 'r': remove_all = true; break;
		default: return 1;
		}
	}
	if (optind >= argc || !t.nnames) {
		fprintf(stderr, "usage: txn-torture [-s SEED] [-t N] [-n N] [-N N] [-r] [-T TREE] IMAGE[,IMAGE]\n");
		return 1;
	}
	for (p = strtok(argv[optind], ","); p && t.npaths < 16; p = strtok(NULL, ","))
		t.paths[t.npaths++] = p;
	ret = btrfs_open_fs_rw(t.paths, t.npaths, BTRFS_RW_SKIP_MOUNT_CHECK,
			       &t.rw);
	if (ret)
		report(&t, "open", ret);
	else
		ret = run(&t, ntrans, nops, remove_all);
	printf("%s: %u transactions, %lu inserts, %lu deletes, %lu updates, %u block groups\n",
	       ret ? "FAILED" : "ok", ntrans, t.ops[0], t.ops[1], t.ops[2],
	       t.rw && t.rw->fs_info ? t.rw->nr_bgs : 0);
	btrfs_close_fs_rw(t.rw);
	free(t.model);
	free(t.saved);
	free(t.usable);
	return ret ? 1 : 0;
}
