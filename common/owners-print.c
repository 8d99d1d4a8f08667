// SPDX-License-Identifier: GPL-2.0-only
/*
 * Text and JSON output of an owner list (common/owners.h).
 */
#include <stdio.h>
#include "common/owners.h"
#include "common/json.h"

static const char *tree_name(u64 tree)
{
	switch (tree) {
	case BTRFS_ROOT_TREE_OBJECTID:		return "root tree";
	case BTRFS_EXTENT_TREE_OBJECTID:	return "extent tree";
	case BTRFS_CHUNK_TREE_OBJECTID:		return "chunk tree";
	case BTRFS_DEV_TREE_OBJECTID:		return "device tree";
	case BTRFS_FS_TREE_OBJECTID:		return "fs tree";
	case BTRFS_CSUM_TREE_OBJECTID:		return "checksum tree";
	case BTRFS_QUOTA_TREE_OBJECTID:		return "quota tree";
	case BTRFS_UUID_TREE_OBJECTID:		return "uuid tree";
	case BTRFS_FREE_SPACE_TREE_OBJECTID:	return "free space tree";
	case BTRFS_BLOCK_GROUP_TREE_OBJECTID:	return "block group tree";
	case BTRFS_RAID_STRIPE_TREE_OBJECTID:	return "raid stripe tree";
	case BTRFS_TREE_LOG_OBJECTID:		return "log tree";
	case BTRFS_TREE_RELOC_OBJECTID:		return "relocation tree";
	case BTRFS_DATA_RELOC_TREE_OBJECTID:	return "data relocation tree";
	}
	if (tree >= BTRFS_FIRST_FREE_OBJECTID && tree <= BTRFS_LAST_FREE_OBJECTID)
		return "subvolume";
	return "unknown tree";
}

static const char *kind_key(enum owner_kind kind)
{
	switch (kind) {
	case OWNER_FREE:	return "free";
	case OWNER_TREE_BLOCK:	return "tree_block";
	case OWNER_DATA:	return "data";
	case OWNER_SUPERBLOCK:	return "superblock";
	case OWNER_UNALLOCATED:	return "unallocated";
	case OWNER_PARITY:	return "parity";
	}
	return "unknown";
}

static const char *chunk_kind(u64 type)
{
	if (type & BTRFS_BLOCK_GROUP_DATA)
		return type & BTRFS_BLOCK_GROUP_METADATA ? "mixed" : "data";
	if (type & BTRFS_BLOCK_GROUP_METADATA)
		return "metadata";
	if (type & BTRFS_BLOCK_GROUP_SYSTEM)
		return "system";
	return "none";
}

static int super_mirror_of(u64 offset)
{
	int m;

	for (m = 0; m < BTRFS_SUPER_MIRROR_MAX; m++)
		if (btrfs_sb_offset(m) == offset)
			return m;
	return -1;
}

static unsigned long long ull(u64 v)
{
	return (unsigned long long)v;
}

/* Where the piece is: logical, and the device bytes for a physical query. */
static void text_where(FILE *f, const struct owner_piece *p)
{
	if (p->kind != OWNER_SUPERBLOCK && p->kind != OWNER_UNALLOCATED)
		fprintf(f, "logical %llu len %llu", ull(p->logical), ull(p->len));
	else
		fprintf(f, "len %llu", ull(p->len));
	if (p->devid)
		fprintf(f, " devid %llu physical %llu", ull(p->devid),
			ull(p->physical));
}

static void text_data(FILE *f, const struct owner_piece *p, const char *indent)
{
	u32 i, j;

	if (p->incomplete) {
		fprintf(f, "%sdata extent %llu len %llu: damaged metadata, more files may use it (",
			indent, ull(p->extent_start), ull(p->extent_len));
		text_where(f, p);
		fputs(")\n", f);
	} else if (!p->nr_files) {
		fprintf(f, "%sdata extent %llu len %llu: no file uses these bytes, harmless (",
			indent, ull(p->extent_start), ull(p->extent_len));
		text_where(f, p);
		fputs(")\n", f);
		return;
	}
	for (i = 0; i < p->nr_files; i++) {
		const struct owner_file *o = &p->files[i];

		for (j = 0; j < o->nr_paths || (j == 0 && !o->nr_paths); j++)
			fprintf(f, "%sdata extent %llu len %llu: %s offset %llu len %llu%s (root %llu inode %llu)\n",
				indent, ull(p->extent_start), ull(p->extent_len),
				o->nr_paths ? o->paths[j] : "(no path)",
				ull(o->file_offset), ull(o->len),
				o->compression ? " compressed, whole extent" : "",
				ull(o->root), ull(o->ino));
	}
}

static void text_piece(FILE *f, const struct owner_piece *p, const char *indent)
{
	switch (p->kind) {
	case OWNER_DATA:
		text_data(f, p, indent);
		return;
	case OWNER_TREE_BLOCK:
		fprintf(f, "%smetadata: tree %llu (%s) level %d block %llu (",
			indent, ull(p->tree), p->tree ? tree_name(p->tree) :
			"not found", p->level, ull(p->extent_start));
		break;
	case OWNER_FREE:
		fprintf(f, "%sfree space: harmless (", indent);
		break;
	case OWNER_UNALLOCATED:
		fprintf(f, "%sunallocated: harmless (", indent);
		break;
	case OWNER_SUPERBLOCK:
		fprintf(f, "%ssuperblock: copy %d at %llu (", indent,
			super_mirror_of(p->extent_start), ull(p->extent_start));
		break;
	case OWNER_PARITY:
		fprintf(f, "%s%s parity: full stripe at logical %llu (", indent,
			btrfs_profile_name(p->chunk_type), ull(p->logical));
		break;
	}
	text_where(f, p);
	fputs(")\n", f);
}

void owner_list_print_text(FILE *f, const struct owner_list *l,
			   const char *indent)
{
	u32 i;

	for (i = 0; i < l->nr; i++)
		text_piece(f, &l->p[i], indent ? indent : "");
}

static void json_files(FILE *f, const struct owner_piece *p)
{
	u32 i, j;

	fputs(", \"files\": [", f);
	for (i = 0; i < p->nr_files; i++) {
		const struct owner_file *o = &p->files[i];

		fprintf(f, "%s{\"root\": %llu, \"inode\": %llu, \"file_offset\": %llu, \"len\": %llu, \"compressed\": %s, \"paths\": [",
			i ? ", " : "", ull(o->root), ull(o->ino),
			ull(o->file_offset), ull(o->len),
			o->compression ? "true" : "false");
		for (j = 0; j < o->nr_paths; j++) {
			if (j)
				fputs(", ", f);
			json_write_string(f, o->paths[j]);
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

static void json_piece(FILE *f, const struct owner_piece *p)
{
	fprintf(f, "{\"kind\": \"%s\", \"logical\": %llu, \"len\": %llu",
		kind_key(p->kind), ull(p->logical), ull(p->len));
	if (p->devid)
		fprintf(f, ", \"devid\": %llu, \"physical\": %llu",
			ull(p->devid), ull(p->physical));
	if (p->chunk_type)
		fprintf(f, ", \"chunk_type\": \"%s\", \"chunk_profile\": \"%s\"",
			chunk_kind(p->chunk_type), btrfs_profile_name(p->chunk_type));
	switch (p->kind) {
	case OWNER_TREE_BLOCK:
		fprintf(f, ", \"block\": %llu, \"tree\": %llu, \"tree_name\": \"%s\", \"level\": %d, \"incomplete\": %s",
			ull(p->extent_start), ull(p->tree),
			p->tree ? tree_name(p->tree) : "not found", p->level,
			p->incomplete ? "true" : "false");
		break;
	case OWNER_DATA:
		fprintf(f, ", \"extent_start\": %llu, \"extent_len\": %llu, \"incomplete\": %s",
			ull(p->extent_start), ull(p->extent_len),
			p->incomplete ? "true" : "false");
		json_files(f, p);
		break;
	case OWNER_SUPERBLOCK:
		fprintf(f, ", \"copy\": %d, \"offset\": %llu",
			super_mirror_of(p->extent_start), ull(p->extent_start));
		break;
	default:
		break;
	}
	fputc('}', f);
}

void owner_list_print_json(FILE *f, const struct owner_list *l)
{
	u32 i;

	fputc('[', f);
	for (i = 0; i < l->nr; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		json_piece(f, &l->p[i]);
	}
	fputs(l->nr ? "\n]\n" : "]\n", f);
}
