// SPDX-License-Identifier: GPL-2.0-only
/*
 * Keys, block headers, leaves and tree walks in the text format of stock
 * btrfs-progs 6.2 dump-tree.  Item bodies are in print-tree-items.c.
 *
 * Output goes through stdio only; the caller decides how stdout is buffered.
 * Blocks that cannot be read are reported on stderr as "ERROR: ...".
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>
#include "kernel-shared/print-tree-internal.h"

static void pt_message(const char *prefix, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "ERROR: ..." or "WARNING: ..." on stderr, after what stdout holds so far. */
static void pt_message(const char *prefix, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs(prefix, stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Bytes into stdout's buffer; putc_unlocked() is a store and a compare. */
static void put_run(const char *p, size_t len)
{
	while (len--)
		putc_unlocked(*p++, stdout);
}

/* An integer in base 8, 10 or 16 (lower case), padded to width. */
static void put_number(u64 v, unsigned int base, bool negative, int width,
		       bool zero)
{
	char buf[32];
	char *p = buf + sizeof(buf);
	int len;

	/* Constant divisors let the compiler multiply instead of divide. */
	if (base == 10) {
		do {
			*--p = (char)('0' + v % 10);
			v /= 10;
		} while (v);
	} else if (base == 16) {
		do {
			*--p = "0123456789abcdef"[v & 15];
			v >>= 4;
		} while (v);
	} else {
		do {
			*--p = (char)('0' + (v & 7));
			v >>= 3;
		} while (v);
	}
	len = (int)(buf + sizeof(buf) - p) + negative;
	if (zero && negative)
		pt_putc('-');
	for (; len < width; len++)
		pt_putc(zero ? '0' : ' ');
	if (!zero && negative)
		pt_putc('-');
	put_run(p, (size_t)(buf + sizeof(buf) - p));
}

/* Length modifiers pt_printf() knows. */
enum pt_len { PT_HH, PT_H, PT_INT, PT_L, PT_LL, PT_Z };

static const char *parse_len(const char *fmt, enum pt_len *len)
{
	*len = PT_INT;
	if (fmt[0] == 'h') {
		*len = fmt[1] == 'h' ? PT_HH : PT_H;
		return fmt + (fmt[1] == 'h' ? 2 : 1);
	}
	if (fmt[0] == 'l') {
		*len = fmt[1] == 'l' ? PT_LL : PT_L;
		return fmt + (fmt[1] == 'l' ? 2 : 1);
	}
	if (fmt[0] == 'z') {
		*len = PT_Z;
		return fmt + 1;
	}
	return fmt;
}

static u64 arg_unsigned(va_list *ap, enum pt_len len)
{
	switch (len) {
	case PT_HH:	return (unsigned char)va_arg(*ap, unsigned int);
	case PT_H:	return (unsigned short)va_arg(*ap, unsigned int);
	case PT_INT:	return va_arg(*ap, unsigned int);
	case PT_L:	return va_arg(*ap, unsigned long);
	case PT_LL:	return va_arg(*ap, unsigned long long);
	case PT_Z:	return va_arg(*ap, size_t);
	}
	return 0;
}

static s64 arg_signed(va_list *ap, enum pt_len len)
{
	switch (len) {
	case PT_HH:	return (signed char)va_arg(*ap, int);
	case PT_H:	return (short)va_arg(*ap, int);
	case PT_INT:	return va_arg(*ap, int);
	case PT_L:	return va_arg(*ap, long);
	case PT_LL:	return va_arg(*ap, long long);
	case PT_Z:	return (s64)va_arg(*ap, size_t);
	}
	return 0;
}

/* One conversion after its '%'; returns where the format goes on. */
static const char *put_conversion(const char *fmt, va_list *ap)
{
	bool zero = false;
	int width = 0;
	enum pt_len len;
	s64 sv;

	if (*fmt == '0') {
		zero = true;
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9')
		width = width * 10 + (*fmt++ - '0');
	fmt = parse_len(fmt, &len);
	switch (*fmt) {
	case 'd':
	case 'i':
		sv = arg_signed(ap, len);
		put_number(sv < 0 ? -(u64)sv : (u64)sv, 10, sv < 0, width, zero);
		break;
	case 'u':
		put_number(arg_unsigned(ap, len), 10, false, width, zero);
		break;
	case 'x':
		put_number(arg_unsigned(ap, len), 16, false, width, zero);
		break;
	case 'o':
		put_number(arg_unsigned(ap, len), 8, false, width, zero);
		break;
	case 'c':
		pt_putc((char)va_arg(*ap, int));
		break;
	case 's':
		pt_puts(va_arg(*ap, const char *));
		break;
	case '%':
		pt_putc('%');
		break;
	default:
		return fmt;	/* not one of ours: print nothing for it */
	}
	return fmt + 1;
}

void pt_printf(const char *fmt, ...)
{
	const char *lit = fmt;
	va_list ap;

	va_start(ap, fmt);
	while (*fmt) {
		if (*fmt != '%') {
			fmt++;
			continue;
		}
		put_run(lit, (size_t)(fmt - lit));
		fmt = put_conversion(fmt + 1, &ap);
		lit = fmt;
	}
	put_run(lit, (size_t)(fmt - lit));
	va_end(ap);
}

void pt_uuid_str(const u8 *uuid, char *out)
{
	uuid_unparse(uuid, out);
}

/* Key type names stock 6.2 knows; the rest print as UNKNOWN.<n>. */
static const char *const key_type_names[256] = {
	[BTRFS_INODE_ITEM_KEY]		= "INODE_ITEM",
	[BTRFS_INODE_REF_KEY]		= "INODE_REF",
	[BTRFS_INODE_EXTREF_KEY]	= "INODE_EXTREF",
	[BTRFS_XATTR_ITEM_KEY]		= "XATTR_ITEM",
	[BTRFS_VERITY_DESC_ITEM_KEY]	= "VERITY_DESC_ITEM",
	[BTRFS_VERITY_MERKLE_ITEM_KEY]	= "VERITY_MERKLE_ITEM",
	[BTRFS_ORPHAN_ITEM_KEY]		= "ORPHAN_ITEM",
	[BTRFS_DIR_LOG_ITEM_KEY]	= "DIR_LOG_ITEM",
	[BTRFS_DIR_LOG_INDEX_KEY]	= "DIR_LOG_INDEX",
	[BTRFS_DIR_ITEM_KEY]		= "DIR_ITEM",
	[BTRFS_DIR_INDEX_KEY]		= "DIR_INDEX",
	[BTRFS_EXTENT_DATA_KEY]		= "EXTENT_DATA",
	[BTRFS_CSUM_ITEM_KEY]		= "CSUM_ITEM",
	[BTRFS_EXTENT_CSUM_KEY]		= "EXTENT_CSUM",
	[BTRFS_ROOT_ITEM_KEY]		= "ROOT_ITEM",
	[BTRFS_ROOT_BACKREF_KEY]	= "ROOT_BACKREF",
	[BTRFS_ROOT_REF_KEY]		= "ROOT_REF",
	[BTRFS_EXTENT_ITEM_KEY]		= "EXTENT_ITEM",
	[BTRFS_METADATA_ITEM_KEY]	= "METADATA_ITEM",
	[BTRFS_TREE_BLOCK_REF_KEY]	= "TREE_BLOCK_REF",
	[BTRFS_EXTENT_DATA_REF_KEY]	= "EXTENT_DATA_REF",
	[BTRFS_EXTENT_REF_V0_KEY]	= "EXTENT_REF_V0",
	[BTRFS_SHARED_BLOCK_REF_KEY]	= "SHARED_BLOCK_REF",
	[BTRFS_SHARED_DATA_REF_KEY]	= "SHARED_DATA_REF",
	[BTRFS_BLOCK_GROUP_ITEM_KEY]	= "BLOCK_GROUP_ITEM",
	[BTRFS_FREE_SPACE_INFO_KEY]	= "FREE_SPACE_INFO",
	[BTRFS_FREE_SPACE_EXTENT_KEY]	= "FREE_SPACE_EXTENT",
	[BTRFS_FREE_SPACE_BITMAP_KEY]	= "FREE_SPACE_BITMAP",
	[BTRFS_DEV_EXTENT_KEY]		= "DEV_EXTENT",
	[BTRFS_DEV_ITEM_KEY]		= "DEV_ITEM",
	[BTRFS_CHUNK_ITEM_KEY]		= "CHUNK_ITEM",
	[BTRFS_QGROUP_STATUS_KEY]	= "QGROUP_STATUS",
	[BTRFS_QGROUP_INFO_KEY]		= "QGROUP_INFO",
	[BTRFS_QGROUP_LIMIT_KEY]	= "QGROUP_LIMIT",
	[BTRFS_QGROUP_RELATION_KEY]	= "QGROUP_RELATION",
	[BTRFS_TEMPORARY_ITEM_KEY]	= "TEMPORARY_ITEM",
	[BTRFS_PERSISTENT_ITEM_KEY]	= "PERSISTENT_ITEM",
	[BTRFS_DEV_REPLACE_KEY]		= "DEV_REPLACE",
	[BTRFS_UUID_KEY_SUBVOL]		= "UUID_KEY_SUBVOL",
	[BTRFS_UUID_KEY_RECEIVED_SUBVOL] = "UUID_KEY_RECEIVED_SUBVOL",
	[BTRFS_STRING_ITEM_KEY]		= "STRING_ITEM",
};

void btrfs_print_key_type(u64 objectid, u8 type)
{
	if (type == 0 && objectid == BTRFS_FREE_SPACE_OBJECTID)
		pt_puts("UNTYPED");
	else if (key_type_names[type])
		pt_puts(key_type_names[type]);
	else
		pt_printf("UNKNOWN.%d", type);
}

static const char *objectid_name(u64 objectid, u8 type)
{
	switch (objectid) {
	case BTRFS_ROOT_TREE_OBJECTID:
		/* DEV_ITEMS shares the value 1 with the root tree. */
		return type == BTRFS_DEV_ITEM_KEY ? "DEV_ITEMS" : "ROOT_TREE";
	case BTRFS_EXTENT_TREE_OBJECTID:	return "EXTENT_TREE";
	case BTRFS_CHUNK_TREE_OBJECTID:		return "CHUNK_TREE";
	case BTRFS_DEV_TREE_OBJECTID:		return "DEV_TREE";
	case BTRFS_FS_TREE_OBJECTID:		return "FS_TREE";
	case BTRFS_ROOT_TREE_DIR_OBJECTID:	return "ROOT_TREE_DIR";
	case BTRFS_CSUM_TREE_OBJECTID:		return "CSUM_TREE";
	case BTRFS_BALANCE_OBJECTID:		return "BALANCE";
	case BTRFS_ORPHAN_OBJECTID:		return "ORPHAN";
	case BTRFS_TREE_LOG_OBJECTID:		return "TREE_LOG";
	case BTRFS_TREE_LOG_FIXUP_OBJECTID:	return "LOG_FIXUP";
	case BTRFS_TREE_RELOC_OBJECTID:		return "TREE_RELOC";
	case BTRFS_DATA_RELOC_TREE_OBJECTID:	return "DATA_RELOC_TREE";
	case BTRFS_EXTENT_CSUM_OBJECTID:	return "EXTENT_CSUM";
	case BTRFS_FREE_SPACE_OBJECTID:		return "FREE_SPACE";
	case BTRFS_FREE_INO_OBJECTID:		return "FREE_INO";
	case BTRFS_QUOTA_TREE_OBJECTID:		return "QUOTA_TREE";
	case BTRFS_UUID_TREE_OBJECTID:		return "UUID_TREE";
	case BTRFS_FREE_SPACE_TREE_OBJECTID:	return "FREE_SPACE_TREE";
	case BTRFS_MULTIPLE_OBJECTIDS:		return "MULTIPLE";
	case BTRFS_BLOCK_GROUP_TREE_OBJECTID:	return "BLOCK_GROUP_TREE";
	case (u64)-1:				return "-1";
	case BTRFS_FIRST_CHUNK_TREE_OBJECTID:
		return type == BTRFS_CHUNK_ITEM_KEY ? "FIRST_CHUNK_TREE" : NULL;
	}
	return NULL;
}

static void print_qgroupid(u64 qgroupid)
{
	pt_printf("%u/%llu", (unsigned int)(qgroupid >> BTRFS_QGROUP_LEVEL_SHIFT),
		  (unsigned long long)(qgroupid &
				    ((1ULL << BTRFS_QGROUP_LEVEL_SHIFT) - 1)));
}

void btrfs_print_objectid(u64 objectid, u8 type)
{
	const char *name;

	switch (type) {
	case BTRFS_PERSISTENT_ITEM_KEY:
		if (objectid == BTRFS_DEV_STATS_OBJECTID)
			pt_puts("DEV_STATS");
		else
			pt_printf("%llu", (unsigned long long)objectid);
		return;
	case BTRFS_DEV_EXTENT_KEY:
		pt_printf("%llu", (unsigned long long)objectid);
		return;
	case BTRFS_QGROUP_RELATION_KEY:
		print_qgroupid(objectid);
		return;
	case BTRFS_UUID_KEY_SUBVOL:
	case BTRFS_UUID_KEY_RECEIVED_SUBVOL:
		pt_printf("0x%016llx", (unsigned long long)objectid);
		return;
	}
	name = objectid_name(objectid, type);
	if (name)
		pt_puts(name);
	else
		pt_printf("%llu", (unsigned long long)objectid);
}

void btrfs_print_key(const struct btrfs_disk_key *disk_key)
{
	u64 objectid = btrfs_disk_key_objectid(disk_key);
	u8 type = btrfs_disk_key_type(disk_key);
	u64 offset = btrfs_disk_key_offset(disk_key);

	pt_puts("key (");
	btrfs_print_objectid(objectid, type);
	pt_putc(' ');
	btrfs_print_key_type(objectid, type);
	pt_putc(' ');
	switch (type) {
	case BTRFS_QGROUP_RELATION_KEY:
	case BTRFS_QGROUP_INFO_KEY:
	case BTRFS_QGROUP_LIMIT_KEY:
		print_qgroupid(offset);
		break;
	case BTRFS_UUID_KEY_SUBVOL:
	case BTRFS_UUID_KEY_RECEIVED_SUBVOL:
		pt_printf("0x%016llx", (unsigned long long)offset);
		break;
	case BTRFS_ROOT_ITEM_KEY:
		/* A reloc tree's offset is the id of the tree it relocates. */
		if (objectid == BTRFS_TREE_RELOC_OBJECTID)
			btrfs_print_objectid(offset, type);
		else
			pt_printf("%llu", (unsigned long long)offset);
		break;
	default:
		if (offset == (u64)-1)
			pt_puts("-1");
		else
			pt_printf("%llu", (unsigned long long)offset);
	}
	pt_putc(')');
}

/* Upper-case profile names as stock 6.2 prints them; its single is lower. */
static const char *bg_profile_name(u64 flags)
{
	if (flags & BTRFS_BLOCK_GROUP_RAID10)
		return "RAID10";
	if (flags & BTRFS_BLOCK_GROUP_RAID1)
		return "RAID1";
	if (flags & BTRFS_BLOCK_GROUP_RAID1C3)
		return "RAID1C3";
	if (flags & BTRFS_BLOCK_GROUP_RAID1C4)
		return "RAID1C4";
	if (flags & BTRFS_BLOCK_GROUP_DUP)
		return "DUP";
	if (flags & BTRFS_BLOCK_GROUP_RAID0)
		return "RAID0";
	if (flags & BTRFS_BLOCK_GROUP_RAID5)
		return "RAID5";
	if (flags & BTRFS_BLOCK_GROUP_RAID6)
		return "RAID6";
	return "single";
}

void btrfs_bg_flags_to_str(u64 flags, char *buf, size_t len)
{
	/*
	 * Stock joins DATA and METADATA with '|' but never puts one before
	 * SYSTEM; the profile always follows after a '|'.
	 */
	snprintf(buf, len, "%s%s%s%s|%s",
		 flags & BTRFS_BLOCK_GROUP_DATA ? "DATA" : "",
		 (flags & BTRFS_BLOCK_GROUP_DATA) &&
		 (flags & BTRFS_BLOCK_GROUP_METADATA) ? "|" : "",
		 flags & BTRFS_BLOCK_GROUP_METADATA ? "METADATA" : "",
		 flags & BTRFS_BLOCK_GROUP_SYSTEM ?
		 ((flags & BTRFS_BLOCK_GROUP_DATA) ? "|SYSTEM" : "SYSTEM") : "",
		 bg_profile_name(flags));
}

static void print_header_flags(u64 flags)
{
	if ((flags & BTRFS_HEADER_FLAG_WRITTEN) && (flags & BTRFS_HEADER_FLAG_RELOC))
		pt_puts("WRITTEN|RELOC");
	else if (flags & BTRFS_HEADER_FLAG_WRITTEN)
		pt_puts("WRITTEN");
	else if (flags & BTRFS_HEADER_FLAG_RELOC)
		pt_puts("RELOC");
}

static u32 node_ptrs_max(const struct extent_buffer *eb)
{
	return btrfs_node_ptrs_max(eb->len);
}

/* One item header, or NULL when the item array runs off the block. */
static const struct btrfs_item *leaf_item(const struct extent_buffer *eb,
					  u32 slot)
{
	u64 end = sizeof(struct btrfs_header) +
		  (u64)(slot + 1) * sizeof(struct btrfs_item);

	if (end > eb->len)
		return NULL;
	return eb_item(eb, (int)slot);
}

/* A leaf's free space, computed as stock does from its first and last item. */
static int leaf_free_space(const struct extent_buffer *eb)
{
	u32 nr = eb_nritems(eb);
	u32 data_size = btrfs_leaf_data_size(eb->len);
	const struct btrfs_item *first, *last;
	int used;

	if (!nr)
		return (int)data_size;
	first = leaf_item(eb, 0);
	last = leaf_item(eb, nr - 1);
	used = (int)(nr * sizeof(struct btrfs_item));
	if (first)
		used += (int)(btrfs_raw_item_offset(first) +
			      btrfs_raw_item_size(first));
	if (last)
		used -= (int)btrfs_raw_item_offset(last);
	return (int)data_size - used;
}

static void print_header(const struct btrfs_fs_info *fs_info,
			 const struct extent_buffer *eb, unsigned int mode)
{
	const struct btrfs_header *h = eb_header(eb);
	u64 flags = btrfs_header_flags(h);
	u32 nr = btrfs_header_nritems(h);
	int level = btrfs_header_level(h);
	char fsid[BTRFS_UUID_UNPARSED_SIZE], chunk[BTRFS_UUID_UNPARSED_SIZE];

	if (level)
		pt_printf("node %llu level %d items %u free space %u generation %llu owner ",
			  (unsigned long long)eb->start, level, nr,
			  node_ptrs_max(eb) - nr,
			  (unsigned long long)btrfs_header_generation(h));
	else
		pt_printf("leaf %llu items %u free space %d generation %llu owner ",
			  (unsigned long long)btrfs_header_bytenr(h), nr,
			  leaf_free_space(eb),
			  (unsigned long long)btrfs_header_generation(h));
	btrfs_print_objectid(btrfs_header_owner(h), 0);
	pt_printf("\n%s %llu flags 0x%llx(", level ? "node" : "leaf",
		  (unsigned long long)btrfs_header_bytenr(h),
		  (unsigned long long)(flags & ~(0xffULL << BTRFS_BACKREF_REV_SHIFT)));
	print_header_flags(flags);
	pt_printf(") backref revision %d", (int)(flags >> BTRFS_BACKREF_REV_SHIFT));
	if (mode & PRINT_TREE_CSUM_HEADERS) {
		u16 i;

		pt_puts(" csum 0x");
		for (i = 0; i < fs_info->sb.csum_size && i < BTRFS_CSUM_SIZE; i++)
			pt_printf("%02x", h->csum[i]);
	}
	pt_uuid_str(h->fsid, fsid);
	pt_uuid_str(h->chunk_tree_uuid, chunk);
	pt_printf("\nfs uuid %s\nchunk uuid %s\n", fsid, chunk);
}

static void print_node(const struct btrfs_fs_info *fs_info,
		       const struct extent_buffer *eb, unsigned int mode)
{
	u32 nr = eb_nritems(eb);
	u32 max = node_ptrs_max(eb);
	u32 i;

	if (nr > max)
		pt_message("WARNING: ",
			   "node nr_items corrupted, has %u limit %u, continue anyway",
			   nr, max);
	print_header(fs_info, eb, mode);
	for (i = 0; i < nr && i < max; i++) {
		const struct btrfs_key_ptr *kp = eb_key_ptr(eb, (int)i);

		pt_putc('\t');
		btrfs_print_key(&kp->key);
		pt_printf(" block %llu gen %llu\n",
			  (unsigned long long)btrfs_key_ptr_blockptr(kp),
			  (unsigned long long)btrfs_key_ptr_generation(kp));
	}
}

static void print_leaf_items(const struct btrfs_fs_info *fs_info,
			     const struct extent_buffer *eb, unsigned int mode)
{
	u32 data_size = btrfs_leaf_data_size(eb->len);
	u32 nr = eb_nritems(eb);
	struct pt_time_cache times;
	struct pt_item it = {
		.times = &times, .fs_info = fs_info, .mode = mode,
	};
	u32 i;

	memset(&times, 0, sizeof(times));
	for (i = 0; i < nr; i++) {
		const struct btrfs_item *item = leaf_item(eb, i);
		u32 off, size;

		if (!item) {
			pt_message("ERROR: ",
				   "leaf %llu slot %u item header lies beyond the block",
				   (unsigned long long)eb->start, i);
			pt_message("ERROR: ", "skip remaining slots");
			break;
		}
		off = btrfs_raw_item_offset(item);
		size = btrfs_raw_item_size(item);
		if (off > data_size || (u64)off + size > data_size) {
			pt_message("ERROR: ",
				   "leaf %llu slot %u pointer invalid, offset %u size %u leaf data limit %u",
				   (unsigned long long)btrfs_header_bytenr(eb_header(eb)),
				   i, off, size, data_size);
			pt_message("ERROR: ", "skip remaining slots");
			break;
		}
		pt_printf("\titem %u ", i);
		btrfs_print_key(&item->key);
		pt_printf(" itemoff %u itemsize %u\n", off, size);
		btrfs_disk_key_to_cpu(&it.key, &item->key);
		it.ptr = eb->data + sizeof(struct btrfs_header) + off;
		it.size = size;
		pt_print_item(&it);
	}
}

void btrfs_print_leaf(struct btrfs_fs_info *fs_info,
		      const struct extent_buffer *eb, unsigned int mode)
{
	if (eb_level(eb)) {
		print_node(fs_info, eb, mode);
		return;
	}
	print_header(fs_info, eb, mode);
	print_leaf_items(fs_info, eb, mode);
}


int btrfs_read_block_for_print(struct btrfs_fs_info *fs_info, u64 bytenr,
			       const struct tree_block_expect *expect,
			       struct extent_buffer **ret)
{
	struct tree_block_expect lenient = { .level = -1 };
	int err;

	/*
	 * Stock dump-tree prints blocks whose item contents are wrong, so
	 * accept a copy whose checksum, header and layout are right.
	 */
	if (expect)
		lenient = *expect;
	lenient.flags |= TREE_BLOCK_LENIENT;
	*ret = NULL;
	fs_info->err[0] = '\0';
	err = tree_block_read(fs_info, bytenr, &lenient, ret);
	if (err == 1) {
		pt_message("WARNING: ", "printing tree block %llu although it failed verification: %s",
			   (unsigned long long)bytenr, fs_info->err);
		err = 0;
	}
	return err;
}

/*
 * The error worth reporting of two: the first, except that damage outranks
 * a block whose device is missing (the user was already told about that).
 */
static int worse_error(int ret, int err)
{
	if (!ret || (ret == -ENODEV && err && err != -ENODEV))
		return err;
	return ret;
}

/* Reads child 'slot' of 'parent' as stock's read_node_slot() does. */
static int read_child(struct btrfs_fs_info *fs_info,
		      const struct extent_buffer *parent, int slot,
		      struct extent_buffer **ret)
{
	struct tree_block_expect expect = {
		.owner = 0,	/* shared blocks keep the owner that wrote them */
		.generation = eb_node_ptr_generation(parent, slot),
		.level = eb_level(parent) - 1,
	};
	u64 bytenr = eb_node_blockptr(parent, slot);
	int err;

	err = btrfs_read_block_for_print(fs_info, bytenr, &expect, ret);
	if (err)
		pt_message("ERROR: ", "cannot read tree block %llu (slot %d of node %llu): %s",
			   (unsigned long long)bytenr, slot,
			   (unsigned long long)parent->start,
			   fs_info->err[0] ? fs_info->err : strerror(-err));
	return err;
}

/*
 * A path of blocks from a root node down to one level, always positioned on
 * the leftmost block not yet printed at that level.
 */
struct level_walk {
	struct extent_buffer *nodes[BTRFS_MAX_LEVEL];
	int slots[BTRFS_MAX_LEVEL];
	int lowest;
	int top;
};

static void level_walk_release(struct level_walk *w, int below)
{
	int i;

	for (i = 0; i < below; i++) {
		if (w->nodes[i])
			extent_buffer_put(w->nodes[i]);
		w->nodes[i] = NULL;
		w->slots[i] = 0;
	}
}

/* Descends from nodes[from] to nodes[lowest] through slot 0 each time. */
static int level_walk_descend(struct btrfs_fs_info *fs_info,
			      struct level_walk *w, int from)
{
	int i, ret;

	for (i = from; i > w->lowest; i--) {
		w->slots[i] = 0;
		if (eb_nritems(w->nodes[i]) == 0)
			return -ENOENT;
		ret = read_child(fs_info, w->nodes[i], 0, &w->nodes[i - 1]);
		if (ret)
			return ret;
		w->slots[i - 1] = 0;
	}
	return 0;
}

/* Moves to the next block at the lowest level: 0, 1 at the end, or <0. */
static int level_walk_next(struct btrfs_fs_info *fs_info, struct level_walk *w)
{
	int level = w->lowest + 1;
	struct extent_buffer *next;
	int slot, ret;

	while (level <= w->top) {
		slot = w->slots[level] + 1;
		if ((u32)slot < eb_nritems(w->nodes[level]) &&
		    (u32)slot < btrfs_node_ptrs_max(w->nodes[level]->len))
			break;
		level++;
	}
	if (level > w->top)
		return 1;
	ret = read_child(fs_info, w->nodes[level], slot, &next);
	if (ret)
		return ret;
	level_walk_release(w, level);
	w->slots[level] = slot;
	w->nodes[level - 1] = next;
	return level_walk_descend(fs_info, w, level - 1);
}

/* Every block below 'root', level by level, each level in key order. */
static int print_children_bfs(struct btrfs_fs_info *fs_info,
			      struct extent_buffer *root, unsigned int mode)
{
	struct level_walk w;
	int level, ret = 0;

	memset(&w, 0, sizeof(w));
	w.top = eb_level(root);
	if (w.top >= BTRFS_MAX_LEVEL)
		return -EUCLEAN;
	w.nodes[w.top] = extent_buffer_get(root);
	for (level = w.top - 1; level >= 0; level--) {
		level_walk_release(&w, w.top);
		w.lowest = level;
		ret = level_walk_descend(fs_info, &w, w.top);
		while (!ret) {
			btrfs_print_leaf(fs_info, w.nodes[level], mode);
			ret = level_walk_next(fs_info, &w);
		}
		if (ret < 0)
			break;
		ret = 0;
	}
	level_walk_release(&w, BTRFS_MAX_LEVEL);
	return ret == -ENOENT ? 0 : ret;
}

static int print_children_dfs(struct btrfs_fs_info *fs_info,
			      struct extent_buffer *eb, unsigned int mode)
{
	u32 nr = eb_nritems(eb), max = node_ptrs_max(eb);
	int level = eb_level(eb);
	int ret = 0;
	u32 i;

	for (i = 0; i < nr && i < max; i++) {
		struct tree_block_expect expect = {
			.generation = eb_node_ptr_generation(eb, (int)i),
			.level = -1,
		};
		struct extent_buffer *next;
		u64 bytenr = eb_node_blockptr(eb, (int)i);
		int err;

		err = btrfs_read_block_for_print(fs_info, bytenr, &expect, &next);
		if (err) {
			pt_message("ERROR: ", "failed to read %llu in tree %llu: %s",
				   (unsigned long long)bytenr,
				   (unsigned long long)eb_owner(eb),
				   fs_info->err[0] ? fs_info->err : strerror(-err));
			ret = worse_error(ret, err);
			continue;
		}
		if (eb_level(next) != level - 1) {
			pt_message("WARNING: ",
				   "eb corrupted: parent bytenr %llu slot %d level %d child bytenr %llu level has %d expect %d, skipping the slot",
				   (unsigned long long)btrfs_header_bytenr(eb_header(eb)),
				   (int)i, level,
				   (unsigned long long)btrfs_header_bytenr(eb_header(next)),
				   eb_level(next), level - 1);
			extent_buffer_put(next);
			continue;
		}
		err = btrfs_print_tree_checked(fs_info, next, mode);
		ret = worse_error(ret, err);
		extent_buffer_put(next);
	}
	return ret;
}

int btrfs_print_tree_checked(struct btrfs_fs_info *fs_info,
			     struct extent_buffer *eb, unsigned int mode)
{
	bool dfs = (mode & PRINT_TREE_DFS) && !(mode & PRINT_TREE_BFS);

	btrfs_print_leaf(fs_info, eb, mode);
	if (!eb_level(eb) || !(mode & PRINT_TREE_FOLLOW))
		return 0;
	if (dfs)
		return print_children_dfs(fs_info, eb, mode);
	/* Below the root, BFS prints each block on its own. */
	return print_children_bfs(fs_info, eb,
				  mode & ~(PRINT_TREE_FOLLOW | PRINT_TREE_DFS));
}

void btrfs_print_tree(struct btrfs_fs_info *fs_info, struct extent_buffer *eb,
		      unsigned int mode)
{
	btrfs_print_tree_checked(fs_info, eb, mode);
}

int btrfs_print_tree_leaves(struct btrfs_fs_info *fs_info,
			    struct extent_buffer *eb, unsigned int mode)
{
	u32 nr, i;
	int level, ret = 0;

	if (!eb_level(eb)) {
		btrfs_print_leaf(fs_info, eb, mode);
		return 0;
	}
	level = eb_level(eb);
	nr = eb_nritems(eb);
	for (i = 0; i < nr && i < node_ptrs_max(eb); i++) {
		struct tree_block_expect expect = {
			.generation = eb_node_ptr_generation(eb, (int)i),
			.level = -1,
		};
		struct extent_buffer *next;
		int err;

		err = btrfs_read_block_for_print(fs_info,
						 eb_node_blockptr(eb, (int)i),
						 &expect, &next);
		if (err) {
			pt_message("ERROR: ", "cannot read tree block %llu: %s",
				   (unsigned long long)eb_node_blockptr(eb, (int)i),
				   fs_info->err[0] ? fs_info->err : strerror(-err));
			ret = worse_error(ret, err);
			continue;
		}
		if (eb_level(next) != level - 1) {
			/* Stock gives up on the rest of this node. */
			pt_message("WARNING: ",
				   "eb corrupted: item %d eb level %d next level %d, skipping the rest",
				   (int)i, eb_level(next), level);
			extent_buffer_put(next);
			break;
		}
		err = btrfs_print_tree_leaves(fs_info, next, mode);
		ret = worse_error(ret, err);
		extent_buffer_put(next);
	}
	return ret;
}
