// SPDX-License-Identifier: GPL-2.0-only
/*
 * txn-edit: changes items of a filesystem through the transaction engine,
 * for the shell tests.
 *
 *   txn-edit [-l LOG] [-a] [-k] [-M] [-t TREE] IMAGE[,IMAGE...] OP...
 *
 * The operations run in one transaction, committed at the end (-a: aborted
 * instead); "commit" in the list commits and starts the next one.  -k: when
 * an operation fails with -ENOSPC, commit what was done before it.  -M:
 * skip the check that the filesystem is not mounted.
 *   flags=INO:VALUE            set the inode's flags field
 *   setxattr=INO:NAME:VALUE    add or replace one xattr
 *   xattrs=INO:FIRST:COUNT:SIZE      add xattrs user.tFIRST.. with
 *                                    SIZE-byte values
 *   delxattrs=INO:FIRST:COUNT:STEP   delete every STEP-th of those
 *   growxattrs=INO:FIRST:COUNT:SIZE  resize their values to SIZE bytes
 *   rawitem=OBJECTID:TYPE:OFFSET:HEX  insert an item as given, valid or not
 *   tree=ID                    later operations change tree ID (default 5,
 *                              also -t ID)
 *   touch=FIRST:COUNT          bump sequence and transid of the inode items
 *                              of the inodes FIRST.. that exist
 *   inoxattr=FIRST:COUNT:NAME:SIZE   set xattr NAME (SIZE bytes) on them
 *   inodelxattr=FIRST:COUNT:NAME     delete it from them
 *   truncate=INO               drop every file extent item of the inode
 *                              and its data reference, size and nbytes 0
 *   label=TEXT                 the superblock's label
 *   compat_ro=HEX              OR these bits into compat_ro_flags
 *   commit
 *   abort                      abort the transaction, start the next one
 * -l LOG records every write and flush of the run into LOG (txn-replay).
 * Exits 0 on success, 2 when the engine says -ENOSPC, 1 on other errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel-shared/transaction.h"
#include "kernel-shared/csum.h"

struct edit {
	struct btrfs_fs_rw *rw;
	struct btrfs_trans_handle *trans;
	struct btrfs_trans_root *fs;
	u64 tree;
};

static void xattr_name(char *buf, size_t len, unsigned long i)
{
	snprintf(buf, len, "user.t%06lu", i);
}

static void xattr_value(u8 *buf, u32 size, unsigned long i)
{
	u32 k;

	for (k = 0; k < size; k++)
		buf[k] = (u8)('a' + (i + k) % 26);
}

static int xattr_set(struct edit *ed, u64 ino, const char *name,
		     const void *val, u32 vlen)
{
	u32 nlen = (u32)strlen(name);
	u32 size = sizeof(struct btrfs_dir_item) + nlen + vlen;
	struct btrfs_key key = { ino, BTRFS_XATTR_ITEM_KEY,
				 btrfs_crc32c((u32)~1U, name, nlen) };
	struct btrfs_dir_item *di;
	int ret;

	di = calloc(1, size);
	if (!di)
		return -ENOMEM;
	btrfs_set_dir_transid(di, ed->trans->transid);
	btrfs_set_dir_data_len(di, (u16)vlen);
	btrfs_set_dir_name_len(di, (u16)nlen);
	btrfs_set_dir_flags(di, BTRFS_FT_XATTR);
	memcpy(di + 1, name, nlen);
	memcpy((u8 *)(di + 1) + nlen, val, vlen);
	ret = btrfs_insert_item(ed->trans, ed->fs, &key, di, size);
	if (ret == -EEXIST)
		ret = btrfs_update_item(ed->trans, ed->fs, &key, di, size);
	free(di);
	return ret;
}

static int xattr_del(struct edit *ed, u64 ino, const char *name)
{
	struct btrfs_key key = { ino, BTRFS_XATTR_ITEM_KEY,
				 btrfs_crc32c((u32)~1U, name, strlen(name)) };

	return btrfs_delete_item(ed->trans, ed->fs, &key);
}

static int op_flags(struct edit *ed, const char *arg)
{
	unsigned long long ino, val;
	struct btrfs_inode_item item;
	struct btrfs_key key;
	u32 size = sizeof(item);
	int ret;

	if (sscanf(arg, "%llu:%lli", &ino, &val) != 2)
		return -EINVAL;
	key = (struct btrfs_key){ ino, BTRFS_INODE_ITEM_KEY, 0 };
	ret = btrfs_lookup_item_rw(ed->trans, ed->fs, &key, &item, &size);
	if (ret)
		return ret;
	if (size != sizeof(item))
		return -EUCLEAN;
	btrfs_set_inode_flags(&item, val);
	btrfs_set_inode_transid(&item, ed->trans->transid);
	btrfs_set_inode_sequence(&item, btrfs_inode_sequence(&item) + 1);
	return btrfs_update_item(ed->trans, ed->fs, &key, &item, size);
}

static int op_setxattr(struct edit *ed, const char *arg)
{
	char name[256], value[1024];
	unsigned long long ino;

	if (sscanf(arg, "%llu:%255[^:]:%1023[^\n]", &ino, name, value) != 3)
		return -EINVAL;
	return xattr_set(ed, ino, name, value, (u32)strlen(value));
}

static int op_xattrs(struct edit *ed, const char *arg, int mode)
{
	unsigned long long ino;
	unsigned long first, count, size, i;
	char name[64];
	u8 *val;
	int ret = 0;

	if (sscanf(arg, "%llu:%lu:%lu:%lu", &ino, &first, &count, &size) != 4 ||
	    size > 65535)
		return -EINVAL;
	val = malloc(size + 1);
	if (!val)
		return -ENOMEM;
	for (i = first; i < first + count && !ret; i++) {
		xattr_name(name, sizeof(name), i);
		xattr_value(val, (u32)size, i);
		if (mode == 'd') {
			if ((i - first) % (size ? size : 1) == 0)
				ret = xattr_del(ed, ino, name);
		} else {
			ret = xattr_set(ed, ino, name, val, (u32)size);
		}
	}
	free(val);
	return ret;
}

static int op_rawitem(struct edit *ed, const char *arg)
{
	unsigned long long objectid, type, offset;
	char hex[2048];
	u8 data[1024];
	u32 n = 0;
	int pos = 0;

	if (sscanf(arg, "%llu:%llu:%llu:%2047s", &objectid, &type, &offset,
		   hex) != 4 || type > 255)
		return -EINVAL;
	while (hex[pos] && hex[pos + 1] && n < sizeof(data)) {
		unsigned int byte;

		if (sscanf(hex + pos, "%2x", &byte) != 1)
			return -EINVAL;
		data[n++] = (u8)byte;
		pos += 2;
	}
	return btrfs_insert_item(ed->trans, ed->fs,
				 &(struct btrfs_key){ objectid, (u8)type, offset },
				 data, n);
}

static int inode_get(struct edit *ed, u64 ino, struct btrfs_inode_item *item)
{
	struct btrfs_key key = { ino, BTRFS_INODE_ITEM_KEY, 0 };
	u32 size = sizeof(*item);
	int ret;

	ret = btrfs_lookup_item_rw(ed->trans, ed->fs, &key, item, &size);
	if (!ret && size != sizeof(*item))
		ret = -EUCLEAN;
	return ret;
}

static int inode_put(struct edit *ed, u64 ino, struct btrfs_inode_item *item)
{
	struct btrfs_key key = { ino, BTRFS_INODE_ITEM_KEY, 0 };

	btrfs_set_inode_transid(item, ed->trans->transid);
	btrfs_set_inode_sequence(item, btrfs_inode_sequence(item) + 1);
	return btrfs_update_item(ed->trans, ed->fs, &key, item, sizeof(*item));
}

/* touch, inoxattr, inodelxattr over the inodes that exist in a range. */
static int op_inodes(struct edit *ed, const char *arg, int mode)
{
	unsigned long long first, count, ino;
	unsigned long size = 0;
	char name[200] = "";
	struct btrfs_inode_item item;
	u8 *val = NULL;
	int ret = 0, n;

	n = sscanf(arg, "%llu:%llu:%199[^:]:%lu", &first, &count, name, &size);
	if (n < 2 || (mode != 't' && n < 3) || (mode == 'x' && n < 4) ||
	    size > 16384)
		return -EINVAL;
	if (mode == 'x') {
		val = malloc(size + 1);
		if (!val)
			return -ENOMEM;
	}
	for (ino = first; ino < first + count && !ret; ino++) {
		ret = inode_get(ed, ino, &item);
		if (ret == -ENOENT) {
			ret = 0;
			continue;
		}
		if (ret)
			break;
		if (mode == 't') {
			ret = inode_put(ed, ino, &item);
		} else if (mode == 'x') {
			xattr_value(val, (u32)size, (unsigned long)ino);
			ret = xattr_set(ed, ino, name, val, (u32)size);
		} else {
			ret = xattr_del(ed, ino, name);
		}
	}
	free(val);
	return ret;
}

struct file_extent {
	struct btrfs_key key;
	u64 bytenr;
	u64 num_bytes;
	u64 offset;
};

/* The file extent items of an inode, read from the transaction's view. */
static int file_extents(struct edit *ed, u64 ino, struct file_extent **ret,
			u32 *nr)
{
	struct btrfs_key key = { ino, BTRFS_EXTENT_DATA_KEY, 0 };
	struct file_extent *list = NULL, *fe;
	struct btrfs_path path;
	u32 n = 0;
	int err;

	btrfs_path_init(&path);
	err = btrfs_search_ge_rw(ed->trans, ed->fs, &key, &path);
	while (err == 0) {
		const struct btrfs_file_extent_item *fi;
		struct btrfs_key k;

		eb_item_key(path.nodes[0], &k, path.slots[0]);
		if (k.objectid != ino || k.type != BTRFS_EXTENT_DATA_KEY)
			break;
		fe = realloc(list, (n + 1) * sizeof(*list));
		if (!fe) {
			err = -ENOMEM;
			break;
		}
		list = fe;
		fe = &list[n++];
		memset(fe, 0, sizeof(*fe));
		fe->key = k;
		fi = eb_item_ptr(path.nodes[0], path.slots[0]);
		if (btrfs_file_extent_type(fi) != BTRFS_FILE_EXTENT_INLINE) {
			fe->bytenr = btrfs_file_extent_disk_bytenr(fi);
			fe->num_bytes = btrfs_file_extent_disk_num_bytes(fi);
			fe->offset = btrfs_file_extent_offset(fi);
		}
		err = btrfs_next_item_rw(ed->trans, &path);
	}
	btrfs_path_release(&path);
	*ret = list;
	*nr = n;
	return err < 0 ? err : 0;
}

static int op_truncate(struct edit *ed, const char *arg)
{
	struct btrfs_inode_item item;
	struct file_extent *list;
	unsigned long long ino;
	u32 nr, i;
	int ret;

	if (sscanf(arg, "%llu", &ino) != 1)
		return -EINVAL;
	ret = inode_get(ed, ino, &item);
	if (!ret)
		ret = file_extents(ed, ino, &list, &nr);
	if (ret)
		return ret;
	for (i = 0; i < nr && !ret; i++) {
		struct btrfs_ref_mod m = {
			.type = BTRFS_EXTENT_DATA_REF_KEY,
			.root = ed->fs->root.objectid, .ino = ino,
			.offset = list[i].key.offset - list[i].offset,
			.delta = -1,
		};

		ret = btrfs_delete_item(ed->trans, ed->fs, &list[i].key);
		if (!ret && list[i].bytenr)
			ret = btrfs_queue_data_ref(ed->trans, list[i].bytenr,
						   list[i].num_bytes, &m);
	}
	free(list);
	if (ret)
		return ret;
	btrfs_set_inode_size(&item, 0);
	btrfs_set_inode_nbytes(&item, 0);
	return inode_put(ed, ino, &item);
}

static int op_super(struct edit *ed, const char *op, const char *arg)
{
	struct btrfs_super_block *sb = btrfs_trans_super(ed->trans);
	unsigned long long bits;

	if (!sb)
		return -ENOMEM;
	if (!strncmp(op, "label=", 6)) {
		if (strlen(arg) >= sizeof(sb->label))
			return -EINVAL;
		memset(sb->label, 0, sizeof(sb->label));
		memcpy(sb->label, arg, strlen(arg));
		return 0;
	}
	if (sscanf(arg, "%llx", &bits) != 1)
		return -EINVAL;
	btrfs_set_super_compat_ro_flags(sb, btrfs_super_compat_ro_flags(sb) | bits);
	return 0;
}

static int edit_begin(struct edit *ed)
{
	int ret = btrfs_trans_start(ed->rw, &ed->trans);

	if (!ret)
		ret = btrfs_trans_get_root(ed->trans, ed->tree, &ed->fs);
	return ret;
}

static int run_op(struct edit *ed, const char *op)
{
	const char *arg = strchr(op, '=');
	int ret;

	arg = arg ? arg + 1 : "";
	if (!strcmp(op, "commit")) {
		ret = btrfs_trans_commit(ed->trans);
		ed->trans = NULL;
		return ret ? ret : edit_begin(ed);
	}
	if (!strcmp(op, "abort")) {
		btrfs_trans_abort(ed->trans);
		ed->trans = NULL;
		return edit_begin(ed);
	}
	if (!strncmp(op, "flags=", 6))
		return op_flags(ed, arg);
	if (!strncmp(op, "setxattr=", 9))
		return op_setxattr(ed, arg);
	if (!strncmp(op, "xattrs=", 7) || !strncmp(op, "growxattrs=", 11))
		return op_xattrs(ed, arg, 'a');
	if (!strncmp(op, "delxattrs=", 10))
		return op_xattrs(ed, arg, 'd');
	if (!strncmp(op, "rawitem=", 8))
		return op_rawitem(ed, arg);
	if (!strncmp(op, "tree=", 5)) {
		ed->tree = strtoull(arg, NULL, 0);
		return btrfs_trans_get_root(ed->trans, ed->tree, &ed->fs);
	}
	if (!strncmp(op, "touch=", 6))
		return op_inodes(ed, arg, 't');
	if (!strncmp(op, "inoxattr=", 9))
		return op_inodes(ed, arg, 'x');
	if (!strncmp(op, "inodelxattr=", 12))
		return op_inodes(ed, arg, 'd');
	if (!strncmp(op, "truncate=", 9))
		return op_truncate(ed, arg);
	if (!strncmp(op, "label=", 6) || !strncmp(op, "compat_ro=", 10))
		return op_super(ed, op, arg);
	return -EINVAL;
}

static int split_paths(char *list, const char **paths, int max)
{
	int n = 0;
	char *p;

	for (p = strtok(list, ","); p && n < max; p = strtok(NULL, ","))
		paths[n++] = p;
	return n;
}

static int fail(struct edit *ed, const char *what, int ret)
{
	fprintf(stderr, "txn-edit: %s: %s (%s)\n", what, strerror(-ret),
		ed->rw && ed->rw->fs_info ? ed->rw->fs_info->err : "");
	return ret == -ENOSPC ? 2 : 1;
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *paths[16];
	struct io_log log = { 0 };
	struct edit ed = { 0 };
	int c, i, n, ret, status = 0;
	bool abort_at_end = false, keep = false;
	unsigned int flags = 0;

	ed.tree = BTRFS_FS_TREE_OBJECTID;
	while ((c = getopt(argc, argv, "l:akMt:")) != -1) {
		if (c == 't')
			ed.tree = strtoull(optarg, NULL, 0);
		else if (c == 'l')
			log_path = optarg;
		else if (c == 'a')
			abort_at_end = true;
		else if (c == 'k')
			keep = true;
		else if (c == 'M')
			flags |= BTRFS_RW_SKIP_MOUNT_CHECK;
		else
			return 1;
	}
	if (optind + 1 > argc) {
		fprintf(stderr, "usage: txn-edit [-l LOG] [-a] [-k] [-M] [-t TREE] IMAGE[,IMAGE] OP...\n");
		return 1;
	}
	n = split_paths(argv[optind], paths, 16);
	ret = btrfs_open_fs_rw(paths, n, flags, &ed.rw);
	if (ret) {
		status = fail(&ed, "open", ret);
		goto out;
	}
	if (log_path && (ret = io_log_attach(ed.rw->fs_info, &log))) {
		status = fail(&ed, "log", ret);
		goto out;
	}
	ret = edit_begin(&ed);
	for (i = optind + 1; i < argc && !ret; i++) {
		ret = run_op(&ed, argv[i]);
		if (ret)
			status = fail(&ed, argv[i], ret);
	}
	if (ret == -ENOSPC && keep && ed.trans)
		ret = 0;
	if (!ret && abort_at_end) {
		btrfs_trans_abort(ed.trans);
	} else if (!ret) {
		ret = btrfs_trans_commit(ed.trans);
		if (ret)
			status = fail(&ed, "commit", ret);
	}
	if (log_path && (ret = io_log_save(&log, log_path)))
		status = fail(&ed, "save log", ret);
out:
	btrfs_close_fs_rw(ed.rw);
	io_log_free(&log);
	return status;
}
