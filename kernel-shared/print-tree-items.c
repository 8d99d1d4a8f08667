// SPDX-License-Identifier: GPL-2.0-only
/*
 * Item bodies in the text format of stock btrfs-progs 6.2 dump-tree.
 *
 * Every printer reads only the bytes of its own item: fixed-size structures
 * are copied with pt_copy(), which zero-fills what a short item lacks, and
 * variable-length items stop at the item's end.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "kernel-shared/print-tree-internal.h"

static bool hide_names(const struct pt_item *it)
{
	return it->mode & PRINT_TREE_HIDE_NAMES;
}

static void print_uuid_line(const char *prefix, const u8 *uuid)
{
	char buf[BTRFS_UUID_UNPARSED_SIZE];

	pt_uuid_str(uuid, buf);
	pt_printf("%s%s\n", prefix, buf);
}

static const char *local_time(struct pt_time_cache *cache, u64 sec)
{
	unsigned int i = (unsigned int)(sec % PT_TIME_SLOTS);
	time_t t = (time_t)sec;
	struct tm tm;

	if (cache->slot[i].valid && cache->slot[i].sec == sec)
		return cache->slot[i].text;
	if (!localtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	strftime(cache->slot[i].text, sizeof(cache->slot[i].text),
		 "%Y-%m-%d %H:%M:%S", &tm);
	cache->slot[i].sec = sec;
	cache->slot[i].valid = true;
	return cache->slot[i].text;
}

static void print_timespec(const struct pt_item *it, const char *prefix,
			   const struct btrfs_timespec *ts)
{
	u64 sec = btrfs_timespec_sec(ts);

	pt_printf("%s%llu.%u (%s)\n", prefix, (unsigned long long)sec,
		     btrfs_timespec_nsec(ts), local_time(it->times, sec));
}

static void print_inode_flags(u64 flags)
{
	static const struct { u32 bit; const char *name; } names[] = {
		{ BTRFS_INODE_NODATASUM, "NODATASUM" },
		{ BTRFS_INODE_NODATACOW, "NODATACOW" },
		{ BTRFS_INODE_READONLY, "READONLY" },
		{ BTRFS_INODE_NOCOMPRESS, "NOCOMPRESS" },
		{ BTRFS_INODE_PREALLOC, "PREALLOC" },
		{ BTRFS_INODE_SYNC, "SYNC" },
		{ BTRFS_INODE_IMMUTABLE, "IMMUTABLE" },
		{ BTRFS_INODE_APPEND, "APPEND" },
		{ BTRFS_INODE_NODUMP, "NODUMP" },
		{ BTRFS_INODE_NOATIME, "NOATIME" },
		{ BTRFS_INODE_DIRSYNC, "DIRSYNC" },
		{ BTRFS_INODE_COMPRESS, "COMPRESS" },
	};
	bool first = true;
	size_t i;

	/*
	 * Like stock 6.2, only these bits get names, and the DAX bit of the
	 * read-only half (stock never meets it); others show in the hex
	 * value alone.
	 */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(btrfs_inode_flags_low(flags) & names[i].bit))
			continue;
		if (!first)
			pt_putc('|');
		pt_puts(names[i].name);
		first = false;
	}
	if (btrfs_inode_flags_ro(flags) & BTRFS_INODE_RO_DAX) {
		if (!first)
			pt_putc('|');
		pt_puts("DAX");
		first = false;
	}
	if (first)
		pt_puts("none");
}

static void print_inode_item(const struct pt_item *it)
{
	struct btrfs_inode_item ii;

	pt_copy(&ii, sizeof(ii), it);
	pt_printf("\t\tgeneration %llu transid %llu size %llu nbytes %llu\n"
		  "\t\tblock group %llu mode %o links %u uid %u gid %u rdev %llu\n"
		  "\t\tsequence %llu flags 0x%llx(",
		  (unsigned long long)btrfs_inode_generation(&ii),
		  (unsigned long long)btrfs_inode_transid(&ii),
		  (unsigned long long)btrfs_inode_size(&ii),
		  (unsigned long long)btrfs_inode_nbytes(&ii),
		  (unsigned long long)btrfs_inode_block_group(&ii),
		  btrfs_inode_mode(&ii), btrfs_inode_nlink(&ii),
		  btrfs_inode_uid(&ii), btrfs_inode_gid(&ii),
		  (unsigned long long)btrfs_inode_rdev(&ii),
		  (unsigned long long)btrfs_inode_sequence(&ii),
		  (unsigned long long)btrfs_inode_flags(&ii));
	print_inode_flags(btrfs_inode_flags(&ii));
	pt_puts(")\n");
	print_timespec(it, "\t\tatime ", &ii.atime);
	print_timespec(it, "\t\tctime ", &ii.ctime);
	print_timespec(it, "\t\tmtime ", &ii.mtime);
	print_timespec(it, "\t\totime ", &ii.otime);
}

/* The bytes of a name, clamped to the 255 stock reads and to the item. */
static void print_name(const struct pt_item *it, u32 off, u32 len)
{
	if (len > BTRFS_NAME_LEN)
		len = BTRFS_NAME_LEN;
	if (off >= it->size)
		return;
	if (len > it->size - off)
		len = it->size - off;
	pt_put_bytes(it->ptr + off, len);
}

static void print_inode_ref(const struct pt_item *it)
{
	u32 cur = 0;

	while (cur < it->size) {
		struct btrfs_inode_ref ref;
		u32 name_len;

		if (it->size - cur < sizeof(ref))
			break;
		memcpy(&ref, it->ptr + cur, sizeof(ref));
		name_len = btrfs_inode_ref_name_len(&ref);
		pt_printf("\t\tindex %llu namelen %u ",
			  (unsigned long long)btrfs_inode_ref_index(&ref), name_len);
		if (hide_names(it)) {
			pt_puts("name: HIDDEN\n");
		} else {
			pt_puts("name: ");
			print_name(it, cur + sizeof(ref), name_len);
			pt_putc('\n');
		}
		cur += sizeof(ref) + name_len;
	}
}

static void print_inode_extref(const struct pt_item *it)
{
	u32 cur = 0;

	while (cur < it->size) {
		struct btrfs_inode_extref ref;
		u32 name_len;

		if (it->size - cur < sizeof(ref))
			break;
		memcpy(&ref, it->ptr + cur, sizeof(ref));
		name_len = btrfs_inode_extref_name_len(&ref);
		pt_printf("\t\tindex %llu parent %llu namelen %u ",
			  (unsigned long long)btrfs_inode_extref_index(&ref),
			  (unsigned long long)btrfs_inode_extref_parent(&ref),
			  name_len);
		if (hide_names(it)) {
			pt_puts("name: HIDDEN\n");
		} else {
			pt_puts("name: ");
			print_name(it, cur + sizeof(ref), name_len);
			pt_putc('\n');
		}
		cur += sizeof(ref) + name_len;
	}
}

static void print_dir_type(u8 type)
{
	static const char *const names[] = {
		[BTRFS_FT_REG_FILE] = "FILE",
		[BTRFS_FT_DIR] = "DIR",
		[BTRFS_FT_CHRDEV] = "CHRDEV",
		[BTRFS_FT_BLKDEV] = "BLKDEV",
		[BTRFS_FT_FIFO] = "FIFO",
		[BTRFS_FT_SOCK] = "SOCK",
		[BTRFS_FT_SYMLINK] = "SYMLINK",
		[BTRFS_FT_XATTR] = "XATTR",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		pt_puts(names[type]);
	else
		pt_printf("DIR_ITEM.%u", type);
}

static void print_dir_item(const struct pt_item *it)
{
	u32 cur = 0;

	while (cur < it->size) {
		struct btrfs_dir_item di;
		u32 name_len, data_len;

		if (it->size - cur < sizeof(di))
			break;
		memcpy(&di, it->ptr + cur, sizeof(di));
		name_len = btrfs_dir_name_len(&di);
		data_len = btrfs_dir_data_len(&di);
		pt_puts("\t\tlocation ");
		btrfs_print_key(&di.location);
		pt_puts(" type ");
		print_dir_type(btrfs_dir_flags(&di));
		pt_printf("\n\t\ttransid %llu data_len %u name_len %u\n",
			  (unsigned long long)btrfs_dir_transid(&di), data_len,
			  name_len);
		if (hide_names(it)) {
			pt_puts("\t\tname: HIDDEN\n");
		} else {
			pt_puts("\t\tname: ");
			print_name(it, cur + sizeof(di), name_len);
			pt_putc('\n');
		}
		if (data_len) {
			if (hide_names(it)) {
				pt_puts("\t\tdata HIDDEN\n");
			} else {
				pt_puts("\t\tdata ");
				print_name(it, cur + sizeof(di) + name_len,
					   data_len);
				pt_putc('\n');
			}
		}
		cur += sizeof(di) + name_len + data_len;
	}
}

static void print_root_item(const struct pt_item *it)
{
	struct btrfs_root_item ri;
	struct btrfs_disk_key drop;

	pt_copy(&ri, sizeof(ri), it);
	pt_printf("\t\tgeneration %llu root_dirid %llu bytenr %llu byte_limit %llu bytes_used %llu\n"
		  "\t\tlast_snapshot %llu flags 0x%llx(%s) refs %u\n"
		  "\t\tdrop_progress ",
		  (unsigned long long)btrfs_root_generation(&ri),
		  (unsigned long long)btrfs_root_dirid(&ri),
		  (unsigned long long)btrfs_root_bytenr(&ri),
		  (unsigned long long)btrfs_root_byte_limit(&ri),
		  (unsigned long long)btrfs_root_bytes_used(&ri),
		  (unsigned long long)btrfs_root_last_snapshot(&ri),
		  (unsigned long long)btrfs_root_flags(&ri),
		  btrfs_root_flags(&ri) & BTRFS_ROOT_SUBVOL_RDONLY ? "RDONLY" : "none",
		  btrfs_root_refs(&ri));
	drop = ri.drop_progress;
	btrfs_print_key(&drop);
	pt_printf(" drop_level %hhu\n\t\tlevel %hhu generation_v2 %llu\n",
		  btrfs_root_drop_level(&ri), btrfs_root_level(&ri),
		  (unsigned long long)btrfs_root_generation_v2(&ri));
	/* Stock takes equal generations as the sign of a full-size item. */
	if (btrfs_root_generation(&ri) != btrfs_root_generation_v2(&ri))
		return;
	print_uuid_line("\t\tuuid ", ri.uuid);
	print_uuid_line("\t\tparent_uuid ", ri.parent_uuid);
	print_uuid_line("\t\treceived_uuid ", ri.received_uuid);
	pt_printf("\t\tctransid %llu otransid %llu stransid %llu rtransid %llu\n",
		  (unsigned long long)btrfs_root_ctransid(&ri),
		  (unsigned long long)btrfs_root_otransid(&ri),
		  (unsigned long long)btrfs_root_stransid(&ri),
		  (unsigned long long)btrfs_root_rtransid(&ri));
	print_timespec(it, "\t\tctime ", &ri.ctime);
	print_timespec(it, "\t\totime ", &ri.otime);
	print_timespec(it, "\t\tstime ", &ri.stime);
	print_timespec(it, "\t\trtime ", &ri.rtime);
}

static void print_root_ref(const struct pt_item *it, const char *tag)
{
	struct btrfs_root_ref ref;

	pt_copy(&ref, sizeof(ref), it);
	/* Stock 6.2 prints subvolume names even with --hide-names. */
	pt_printf("\t\troot %s key dirid %llu sequence %llu name ", tag,
		  (unsigned long long)btrfs_root_ref_dirid(&ref),
		  (unsigned long long)btrfs_root_ref_sequence(&ref));
	print_name(it, sizeof(ref), btrfs_root_ref_name_len(&ref));
	pt_putc('\n');
}

static const char *compress_name(u8 type, char *buf, size_t len)
{
	switch (type) {
	case BTRFS_COMPRESS_NONE:	return "none";
	case BTRFS_COMPRESS_ZLIB:	return "zlib";
	case BTRFS_COMPRESS_LZO:	return "lzo";
	case BTRFS_COMPRESS_ZSTD:	return "zstd";
	}
	snprintf(buf, len, "UNKNOWN.%d", type);
	return buf;
}

static const char *file_extent_type_name(u8 type)
{
	switch (type) {
	case BTRFS_FILE_EXTENT_INLINE:		return "inline";
	case BTRFS_FILE_EXTENT_PREALLOC:	return "prealloc";
	case BTRFS_FILE_EXTENT_REG:		return "regular";
	}
	return "unknown";
}

static void print_file_extent(const struct pt_item *it)
{
	struct btrfs_file_extent_item fi;
	u8 type, comp;
	char buf[24];
	const char *comp_str;

	pt_copy(&fi, sizeof(fi), it);
	type = btrfs_file_extent_type(&fi);
	comp = btrfs_file_extent_compression(&fi);
	comp_str = compress_name(comp, buf, sizeof(buf));
	pt_printf("\t\tgeneration %llu type %hhu (%s)\n",
		  (unsigned long long)btrfs_file_extent_generation(&fi), type,
		  file_extent_type_name(type));
	if (type == BTRFS_FILE_EXTENT_INLINE) {
		pt_printf("\t\tinline extent data size %u ram_bytes %llu compression %hhu (%s)\n",
			  it->size - (u32)BTRFS_FILE_EXTENT_INLINE_DATA_START,
			  (unsigned long long)btrfs_file_extent_ram_bytes(&fi),
			  comp, comp_str);
		return;
	}
	if (type == BTRFS_FILE_EXTENT_PREALLOC) {
		pt_printf("\t\tprealloc data disk byte %llu nr %llu\n"
			  "\t\tprealloc data offset %llu nr %llu\n",
			  (unsigned long long)btrfs_file_extent_disk_bytenr(&fi),
			  (unsigned long long)btrfs_file_extent_disk_num_bytes(&fi),
			  (unsigned long long)btrfs_file_extent_offset(&fi),
			  (unsigned long long)btrfs_file_extent_num_bytes(&fi));
		return;
	}
	pt_printf("\t\textent data disk byte %llu nr %llu\n"
		  "\t\textent data offset %llu nr %llu ram %llu\n"
		  "\t\textent compression %hhu (%s)\n",
		  (unsigned long long)btrfs_file_extent_disk_bytenr(&fi),
		  (unsigned long long)btrfs_file_extent_disk_num_bytes(&fi),
		  (unsigned long long)btrfs_file_extent_offset(&fi),
		  (unsigned long long)btrfs_file_extent_num_bytes(&fi),
		  (unsigned long long)btrfs_file_extent_ram_bytes(&fi),
		  comp, comp_str);
}

static void print_extent_flags(u64 flags)
{
	if (flags & BTRFS_EXTENT_FLAG_DATA)
		pt_puts("DATA");
	if (flags & BTRFS_EXTENT_FLAG_TREE_BLOCK)
		pt_puts(flags & BTRFS_EXTENT_FLAG_DATA ? "|TREE_BLOCK" : "TREE_BLOCK");
	/* Stock puts the separator before FULL_BACKREF unconditionally. */
	if (flags & BTRFS_BLOCK_FLAG_FULL_BACKREF)
		pt_puts("|FULL_BACKREF");
}

/* One inline backref; returns its size, or 0 for a type stock stops at. */
static u32 print_inline_ref(const u8 *p, u32 avail)
{
	u8 buf[sizeof(struct btrfs_extent_inline_ref) +
	       sizeof(struct btrfs_extent_data_ref)];
	const struct btrfs_extent_inline_ref *iref = (const void *)buf;
	const struct btrfs_extent_data_ref *dref = (const void *)(buf + 1);
	const struct btrfs_shared_data_ref *sref =
		(const void *)(buf + sizeof(*iref));
	u64 offset;

	memset(buf, 0, sizeof(buf));
	memcpy(buf, p, avail < sizeof(buf) ? avail : sizeof(buf));
	offset = btrfs_extent_inline_ref_offset(iref);
	switch (btrfs_extent_inline_ref_type(iref)) {
	case BTRFS_TREE_BLOCK_REF_KEY:
		pt_puts("\t\ttree block backref root ");
		btrfs_print_objectid(offset, 0);
		pt_putc('\n');
		return sizeof(*iref);
	case BTRFS_SHARED_BLOCK_REF_KEY:
		pt_printf("\t\tshared block backref parent %llu\n",
			  (unsigned long long)offset);
		return sizeof(*iref);
	case BTRFS_EXTENT_DATA_REF_KEY:
		pt_puts("\t\textent data backref root ");
		btrfs_print_objectid(btrfs_extent_data_ref_root(dref), 0);
		pt_printf(" objectid %llu offset %llu count %u\n",
			  (unsigned long long)btrfs_extent_data_ref_objectid(dref),
			  (unsigned long long)btrfs_extent_data_ref_offset(dref),
			  btrfs_extent_data_ref_count(dref));
		return 1 + sizeof(*dref);
	case BTRFS_SHARED_DATA_REF_KEY:
		pt_printf("\t\tshared data backref parent %llu count %u\n",
			  (unsigned long long)offset,
			  btrfs_shared_data_ref_count(sref));
		return sizeof(*iref) + sizeof(*sref);
	}
	return 0;
}

static void print_extent_item(const struct pt_item *it, bool metadata)
{
	struct btrfs_extent_item ei;
	u64 flags;
	u32 cur;

	if (it->size < sizeof(ei))
		return;
	memcpy(&ei, it->ptr, sizeof(ei));
	flags = btrfs_extent_flags(&ei);
	pt_printf("\t\trefs %llu gen %llu flags ",
		  (unsigned long long)btrfs_extent_refs(&ei),
		  (unsigned long long)btrfs_extent_generation(&ei));
	print_extent_flags(flags);
	pt_putc('\n');
	cur = sizeof(ei);
	if ((flags & BTRFS_EXTENT_FLAG_TREE_BLOCK) && !metadata) {
		struct btrfs_tree_block_info info;
		u32 have = it->size - cur;

		memset(&info, 0, sizeof(info));
		memcpy(&info, it->ptr + cur, have < sizeof(info) ? have : sizeof(info));
		pt_puts("\t\ttree block ");
		btrfs_print_key(&info.key);
		pt_printf(" level %d\n", btrfs_tree_block_level(&info));
		cur += sizeof(info);
	} else if (metadata) {
		pt_printf("\t\ttree block skinny level %d\n", (int)it->key.offset);
	}
	while (cur < it->size) {
		u32 len = print_inline_ref(it->ptr + cur, it->size - cur);

		if (!len)
			break;
		cur += len;
	}
}

static void print_extent_data_ref(const struct pt_item *it)
{
	struct btrfs_extent_data_ref ref;

	pt_copy(&ref, sizeof(ref), it);
	pt_puts("\t\textent data backref root ");
	btrfs_print_objectid(btrfs_extent_data_ref_root(&ref), 0);
	pt_printf(" objectid %llu offset %llu count %u\n",
		  (unsigned long long)btrfs_extent_data_ref_objectid(&ref),
		  (unsigned long long)btrfs_extent_data_ref_offset(&ref),
		  btrfs_extent_data_ref_count(&ref));
}

static void print_shared_data_ref(const struct pt_item *it)
{
	struct btrfs_shared_data_ref ref;

	pt_copy(&ref, sizeof(ref), it);
	pt_printf("\t\tshared data backref count %u\n",
		  btrfs_shared_data_ref_count(&ref));
}

static void print_extent_csum(const struct pt_item *it)
{
	u32 csum_size = it->fs_info->sb.csum_size;
	u32 sectorsize = it->fs_info->sb.sectorsize;
	u64 start = it->key.offset;
	u32 count, size, i;
	int per_line, on_line;

	if (!csum_size)
		csum_size = BTRFS_CSUM_SIZE;
	count = it->size / csum_size;
	size = count * sectorsize;
	pt_printf("\t\trange start %llu end %llu length %u\n",
		  (unsigned long long)start, (unsigned long long)(start + size),
		  size);
	if (!(it->mode & PRINT_TREE_CSUM_ITEMS))
		return;
	/* One line holds 4 crc32c, 2 xxhash64 or 1 sha256/blake2b sum. */
	per_line = BTRFS_CSUM_SIZE / (int)csum_size / 2;
	if (per_line < 1)
		per_line = 1;
	on_line = 0;
	for (i = 0; i < count; i++) {
		const u8 *csum = it->ptr + (size_t)i * csum_size;
		u32 b;

		if (on_line == per_line) {
			pt_puts("\n\t\t");
			on_line = 0;
		} else {
			pt_puts(i ? " " : "\t\t");
		}
		pt_printf("[%llu] 0x", (unsigned long long)start);
		for (b = 0; b < csum_size; b++)
			pt_printf("%02x", csum[b]);
		start += sectorsize;
		on_line++;
	}
	pt_putc('\n');
}

static void print_block_group(const struct pt_item *it)
{
	struct btrfs_block_group_item bg;
	char flags[64];

	pt_copy(&bg, sizeof(bg), it);
	btrfs_bg_flags_to_str(btrfs_block_group_flags(&bg), flags, sizeof(flags));
	pt_printf("\t\tblock group used %llu chunk_objectid %llu flags %s\n",
		  (unsigned long long)btrfs_block_group_used(&bg),
		  (unsigned long long)btrfs_block_group_chunk_objectid(&bg), flags);
}

static void print_free_space_info(const struct pt_item *it)
{
	struct btrfs_free_space_info info;

	pt_copy(&info, sizeof(info), it);
	pt_printf("\t\tfree space info extent count %u flags %u\n",
		  btrfs_free_space_extent_count(&info),
		  btrfs_free_space_flags(&info));
}

static void print_free_space_header(const struct pt_item *it)
{
	struct btrfs_free_space_header h;

	pt_copy(&h, sizeof(h), it);
	pt_puts("\t\tlocation ");
	btrfs_print_key(&h.location);
	pt_printf("\n\t\tcache generation %llu entries %llu bitmaps %llu\n",
		  (unsigned long long)btrfs_free_space_generation(&h),
		  (unsigned long long)btrfs_free_space_entries(&h),
		  (unsigned long long)btrfs_free_space_bitmaps(&h));
}

static void print_dev_extent(const struct pt_item *it)
{
	struct btrfs_dev_extent de;
	char uuid[BTRFS_UUID_UNPARSED_SIZE];

	pt_copy(&de, sizeof(de), it);
	pt_uuid_str(de.chunk_tree_uuid, uuid);
	pt_printf("\t\tdev extent chunk_tree %llu\n"
		  "\t\tchunk_objectid %llu chunk_offset %llu length %llu\n"
		  "\t\tchunk_tree_uuid %s\n",
		  (unsigned long long)btrfs_dev_extent_chunk_tree(&de),
		  (unsigned long long)btrfs_dev_extent_chunk_objectid(&de),
		  (unsigned long long)btrfs_dev_extent_chunk_offset(&de),
		  (unsigned long long)btrfs_dev_extent_length(&de), uuid);
}

void btrfs_print_dev_item(const struct btrfs_dev_item *dev)
{
	char uuid[BTRFS_UUID_UNPARSED_SIZE], fsid[BTRFS_UUID_UNPARSED_SIZE];

	pt_uuid_str(dev->uuid, uuid);
	pt_uuid_str(dev->fsid, fsid);
	pt_printf("\t\tdevid %llu total_bytes %llu bytes_used %llu\n"
		  "\t\tio_align %u io_width %u sector_size %u type %llu\n"
		  "\t\tgeneration %llu start_offset %llu dev_group %u\n"
		  "\t\tseek_speed %hhu bandwidth %hhu\n"
		  "\t\tuuid %s\n"
		  "\t\tfsid %s\n",
		  (unsigned long long)btrfs_device_id(dev),
		  (unsigned long long)btrfs_device_total_bytes(dev),
		  (unsigned long long)btrfs_device_bytes_used(dev),
		  btrfs_device_io_align(dev), btrfs_device_io_width(dev),
		  btrfs_device_sector_size(dev),
		  (unsigned long long)btrfs_device_type(dev),
		  (unsigned long long)btrfs_device_generation(dev),
		  (unsigned long long)btrfs_device_start_offset(dev),
		  btrfs_device_group(dev), btrfs_device_seek_speed(dev),
		  btrfs_device_bandwidth(dev), uuid, fsid);
}

void btrfs_print_chunk(const struct btrfs_chunk *chunk, u32 item_size)
{
	struct btrfs_chunk head;
	char flags[64];
	u16 num_stripes;
	u32 i;

	memset(&head, 0, sizeof(head));
	memcpy(&head, chunk, item_size < sizeof(head) ? item_size : sizeof(head));
	num_stripes = btrfs_chunk_num_stripes(&head);
	if (num_stripes < 1) {
		pt_printf("invalid num_stripes: %u\n", num_stripes);
		return;
	}
	if (btrfs_chunk_item_size(num_stripes) > item_size) {
		pt_puts("\t\tchunk item invalid\n");
		return;
	}
	btrfs_bg_flags_to_str(btrfs_chunk_type(&head), flags, sizeof(flags));
	pt_printf("\t\tlength %llu owner %llu stripe_len %llu type %s\n"
		  "\t\tio_align %u io_width %u sector_size %u\n"
		  "\t\tnum_stripes %hu sub_stripes %hu\n",
		  (unsigned long long)btrfs_chunk_length(&head),
		  (unsigned long long)btrfs_chunk_owner(&head),
		  (unsigned long long)btrfs_chunk_stripe_len(&head), flags,
		  btrfs_chunk_io_align(&head), btrfs_chunk_io_width(&head),
		  btrfs_chunk_sector_size(&head), num_stripes,
		  btrfs_chunk_sub_stripes(&head));
	for (i = 0; i < num_stripes; i++) {
		const struct btrfs_stripe *s = &chunk->stripe + i;
		char uuid[BTRFS_UUID_UNPARSED_SIZE];

		pt_uuid_str(s->dev_uuid, uuid);
		pt_printf("\t\t\tstripe %u devid %llu offset %llu\n"
			  "\t\t\tdev_uuid %s\n", i,
			  (unsigned long long)btrfs_stripe_devid(s),
			  (unsigned long long)btrfs_stripe_offset(s), uuid);
	}
}

static void print_qgroup_status(const struct pt_item *it)
{
	struct btrfs_qgroup_status_item st;
	u64 flags;

	pt_copy(&st, sizeof(st), it);
	flags = btrfs_qgroup_status_flags(&st);
	pt_printf("\t\tversion %llu generation %llu flags %s%s%s scan %llu\n",
		  (unsigned long long)btrfs_qgroup_status_version(&st),
		  (unsigned long long)btrfs_qgroup_status_generation(&st),
		  flags & BTRFS_QGROUP_STATUS_FLAG_ON ? "ON" : "OFF",
		  flags & BTRFS_QGROUP_STATUS_FLAG_RESCAN ? "|SCANNING" : "",
		  flags & BTRFS_QGROUP_STATUS_FLAG_INCONSISTENT ? "|INCONSISTENT" : "",
		  (unsigned long long)btrfs_qgroup_status_rescan(&st));
}

static void print_qgroup_info(const struct pt_item *it)
{
	struct btrfs_qgroup_info_item qi;

	pt_copy(&qi, sizeof(qi), it);
	pt_printf("\t\tgeneration %llu\n"
		  "\t\treferenced %llu referenced_compressed %llu\n"
		  "\t\texclusive %llu exclusive_compressed %llu\n",
		  (unsigned long long)btrfs_qgroup_info_generation(&qi),
		  (unsigned long long)btrfs_qgroup_info_rfer(&qi),
		  (unsigned long long)btrfs_qgroup_info_rfer_cmpr(&qi),
		  (unsigned long long)btrfs_qgroup_info_excl(&qi),
		  (unsigned long long)btrfs_qgroup_info_excl_cmpr(&qi));
}

static void print_qgroup_limit(const struct pt_item *it)
{
	struct btrfs_qgroup_limit_item ql;

	pt_copy(&ql, sizeof(ql), it);
	pt_printf("\t\tflags %llx\n"
		  "\t\tmax_referenced %lld max_exclusive %lld\n"
		  "\t\trsv_referenced %lld rsv_exclusive %lld\n",
		  (unsigned long long)btrfs_qgroup_limit_flags(&ql),
		  (long long)btrfs_qgroup_limit_max_rfer(&ql),
		  (long long)btrfs_qgroup_limit_max_excl(&ql),
		  (long long)btrfs_qgroup_limit_rsv_rfer(&ql),
		  (long long)btrfs_qgroup_limit_rsv_excl(&ql));
}

static void print_uuid_item(const struct pt_item *it)
{
	u32 cur;

	if (it->size & (sizeof(u64) - 1)) {
		pt_printf("btrfs: uuid item with illegal size %lu!\n",
			  (unsigned long)it->size);
		return;
	}
	for (cur = 0; cur < it->size; cur += sizeof(u64)) {
		__le64 id;

		memcpy(&id, it->ptr + cur, sizeof(id));
		pt_printf("\t\tsubvol_id %llu\n", (unsigned long long)le64_to_cpu(id));
	}
}

static void print_dev_stats(const struct pt_item *it)
{
	const u32 known = BTRFS_DEV_STAT_VALUES_MAX * sizeof(__le64);
	struct btrfs_dev_stats_item st;
	u32 i;

	pt_copy(&st, sizeof(st), it);
	pt_printf("\t\tdevice stats\n"
		  "\t\twrite_errs %llu read_errs %llu flush_errs %llu corruption_errs %llu generation %llu\n",
		  (unsigned long long)le64_to_cpu(st.values[0]),
		  (unsigned long long)le64_to_cpu(st.values[1]),
		  (unsigned long long)le64_to_cpu(st.values[2]),
		  (unsigned long long)le64_to_cpu(st.values[3]),
		  (unsigned long long)le64_to_cpu(st.values[4]));
	if (it->size <= known)
		return;
	/* Stock ends this line without a newline. */
	pt_printf("\t\tunknown stats item bytes %u", it->size - known);
	for (i = BTRFS_DEV_STAT_VALUES_MAX; i * sizeof(__le64) < it->size; i++) {
		__le64 v = 0;
		u32 off = i * sizeof(__le64);
		u32 have = it->size - off;

		memcpy(&v, it->ptr + off, have < sizeof(v) ? have : sizeof(v));
		pt_printf("\t\tunknown item %u offset %zu value %llu\n", i,
			  (size_t)off, (unsigned long long)le64_to_cpu(v));
	}
}

static void print_persistent_item(const struct pt_item *it)
{
	pt_puts("\t\tpersistent item objectid ");
	btrfs_print_objectid(it->key.objectid, BTRFS_PERSISTENT_ITEM_KEY);
	pt_printf(" offset %llu\n", (unsigned long long)it->key.offset);
	if (it->key.objectid == BTRFS_DEV_STATS_OBJECTID)
		print_dev_stats(it);
	else
		pt_printf("\t\tunknown persistent item objectid %llu\n",
			  (unsigned long long)it->key.objectid);
}

static void print_balance_args(const struct btrfs_disk_balance_args *ba)
{
	u64 usage = btrfs_balance_args_usage(ba);
	u64 limit = btrfs_balance_args_limit(ba);

	pt_printf("\t\tprofiles %llu devid %llu target %llu flags %llu\n"
		  "\t\tusage_min %u usage_max %u pstart %llu pend %llu\n"
		  "\t\tvstart %llu vend %llu limit_min %u limit_max %u\n"
		  "\t\tstripes_min %u stripes_max %u\n",
		  (unsigned long long)btrfs_balance_args_profiles(ba),
		  (unsigned long long)btrfs_balance_args_devid(ba),
		  (unsigned long long)btrfs_balance_args_target(ba),
		  (unsigned long long)btrfs_balance_args_flags(ba),
		  (u32)usage, (u32)(usage >> 32),
		  (unsigned long long)btrfs_balance_args_pstart(ba),
		  (unsigned long long)btrfs_balance_args_pend(ba),
		  (unsigned long long)btrfs_balance_args_vstart(ba),
		  (unsigned long long)btrfs_balance_args_vend(ba),
		  (u32)limit, (u32)(limit >> 32),
		  btrfs_balance_args_stripes_min(ba),
		  btrfs_balance_args_stripes_max(ba));
}

static void print_balance_item(const struct pt_item *it)
{
	struct btrfs_balance_item bi;

	pt_copy(&bi, sizeof(bi), it);
	pt_printf("\t\tbalance status flags %llu\n\t\tDATA\n",
		  (unsigned long long)btrfs_balance_flags(&bi));
	print_balance_args(&bi.data);
	pt_puts("\t\tMETADATA\n");
	print_balance_args(&bi.meta);
	pt_puts("\t\tSYSTEM\n");
	print_balance_args(&bi.sys);
}

/* Stock 6.2's id for the root of a checksum tree being converted. */
#define PT_CSUM_TREE_TMP_OBJECTID	13ULL

static void print_temporary_item(const struct pt_item *it)
{
	pt_puts("\t\ttemporary item objectid ");
	btrfs_print_objectid(it->key.objectid, BTRFS_TEMPORARY_ITEM_KEY);
	pt_printf(" offset %llu\n", (unsigned long long)it->key.offset);
	if (it->key.objectid == BTRFS_BALANCE_OBJECTID)
		print_balance_item(it);
	else if (it->key.objectid == PT_CSUM_TREE_TMP_OBJECTID)
		pt_printf("\t\tcsum tree tmp root %llu\n",
			  (unsigned long long)it->key.offset);
	else
		pt_printf("\t\tunknown temporary item objectid %llu\n",
			  (unsigned long long)it->key.objectid);
}

static void print_chunk_item(const struct pt_item *it)
{
	struct btrfs_chunk head;

	if (it->size >= sizeof(head)) {
		btrfs_print_chunk((const struct btrfs_chunk *)it->ptr, it->size);
		return;
	}
	pt_copy(&head, sizeof(head), it);
	btrfs_print_chunk(&head, it->size);
}

static void print_dev_item(const struct pt_item *it)
{
	struct btrfs_dev_item dev;

	pt_copy(&dev, sizeof(dev), it);
	btrfs_print_dev_item(&dev);
}

static void print_dir_log(const struct pt_item *it)
{
	struct btrfs_dir_log_item dl;

	pt_copy(&dl, sizeof(dl), it);
	pt_printf("\t\tdir log end %llu\n", (unsigned long long)btrfs_dir_log_end(&dl));
}

static void print_string_item(const struct pt_item *it)
{
	pt_puts("\t\titem data ");
	pt_put_bytes(it->ptr, it->size);
	pt_putc('\n');
}

typedef void (*pt_item_fn)(const struct pt_item *it);

static void print_metadata_item(const struct pt_item *it)
{
	print_extent_item(it, true);
}

static void print_plain_extent_item(const struct pt_item *it)
{
	print_extent_item(it, false);
}

static void print_root_ref_item(const struct pt_item *it)
{
	print_root_ref(it, "ref");
}

static void print_root_backref_item(const struct pt_item *it)
{
	print_root_ref(it, "backref");
}

static const pt_item_fn item_printers[256] = {
	[BTRFS_INODE_ITEM_KEY]		= print_inode_item,
	[BTRFS_INODE_REF_KEY]		= print_inode_ref,
	[BTRFS_INODE_EXTREF_KEY]	= print_inode_extref,
	[BTRFS_DIR_ITEM_KEY]		= print_dir_item,
	[BTRFS_DIR_INDEX_KEY]		= print_dir_item,
	[BTRFS_XATTR_ITEM_KEY]		= print_dir_item,
	[BTRFS_DIR_LOG_INDEX_KEY]	= print_dir_log,
	[BTRFS_DIR_LOG_ITEM_KEY]	= print_dir_log,
	[BTRFS_ROOT_ITEM_KEY]		= print_root_item,
	[BTRFS_ROOT_REF_KEY]		= print_root_ref_item,
	[BTRFS_ROOT_BACKREF_KEY]	= print_root_backref_item,
	[BTRFS_EXTENT_ITEM_KEY]		= print_plain_extent_item,
	[BTRFS_METADATA_ITEM_KEY]	= print_metadata_item,
	[BTRFS_EXTENT_DATA_REF_KEY]	= print_extent_data_ref,
	[BTRFS_SHARED_DATA_REF_KEY]	= print_shared_data_ref,
	[BTRFS_EXTENT_CSUM_KEY]		= print_extent_csum,
	[BTRFS_EXTENT_DATA_KEY]		= print_file_extent,
	[BTRFS_BLOCK_GROUP_ITEM_KEY]	= print_block_group,
	[BTRFS_FREE_SPACE_INFO_KEY]	= print_free_space_info,
	[BTRFS_CHUNK_ITEM_KEY]		= print_chunk_item,
	[BTRFS_DEV_ITEM_KEY]		= print_dev_item,
	[BTRFS_DEV_EXTENT_KEY]		= print_dev_extent,
	[BTRFS_QGROUP_STATUS_KEY]	= print_qgroup_status,
	[BTRFS_QGROUP_INFO_KEY]		= print_qgroup_info,
	[BTRFS_QGROUP_LIMIT_KEY]	= print_qgroup_limit,
	[BTRFS_UUID_KEY_SUBVOL]		= print_uuid_item,
	[BTRFS_UUID_KEY_RECEIVED_SUBVOL] = print_uuid_item,
	[BTRFS_STRING_ITEM_KEY]		= print_string_item,
	[BTRFS_PERSISTENT_ITEM_KEY]	= print_persistent_item,
	[BTRFS_TEMPORARY_ITEM_KEY]	= print_temporary_item,
};

/* Items whose body is one fixed line. */
static const char *const item_lines[256] = {
	[BTRFS_ORPHAN_ITEM_KEY]		= "\t\torphan item\n",
	[BTRFS_TREE_BLOCK_REF_KEY]	= "\t\ttree block backref\n",
	[BTRFS_SHARED_BLOCK_REF_KEY]	= "\t\tshared block backref\n",
	[BTRFS_EXTENT_REF_V0_KEY]	= "\t\textent ref v0 (deprecated)\n",
	[BTRFS_CSUM_ITEM_KEY]		= "\t\tcsum item\n",
	[BTRFS_FREE_SPACE_EXTENT_KEY]	= "\t\tfree space extent\n",
	[BTRFS_FREE_SPACE_BITMAP_KEY]	= "\t\tfree space bitmap\n",
};

void pt_print_item(const struct pt_item *it)
{
	u8 type = it->key.type;

	if (type == 0 && it->key.objectid == BTRFS_FREE_SPACE_OBJECTID)
		print_free_space_header(it);
	if (item_printers[type])
		item_printers[type](it);
	else if (item_lines[type])
		pt_puts(item_lines[type]);
}
