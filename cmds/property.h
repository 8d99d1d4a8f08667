/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * btrfs property: the property table and value rules shared by the online
 * form (cmds/property.c, ioctls on a mounted filesystem) and the offline
 * form (cmds/property-offline.c, transactions on an unmounted image).
 */
#ifndef BTRFS_DAX_CMDS_PROPERTY_H
#define BTRFS_DAX_CMDS_PROPERTY_H

#include <stdbool.h>

/* Object types, in the order stock btrfs-progs walks them. */
enum prop_object {
	PROP_OBJ_DEV = 1 << 0,
	PROP_OBJ_FS = 1 << 1,
	PROP_OBJ_SUBVOL = 1 << 2,
	PROP_OBJ_INODE = 1 << 3,
};
#define PROP_OBJ_ALL (PROP_OBJ_DEV | PROP_OBJ_FS | PROP_OBJ_SUBVOL | \
		      PROP_OBJ_INODE)

enum prop_id {
	PROP_RO,
	PROP_LABEL,
	PROP_COMPRESSION,
	PROP_DAX,
	PROP_NR
};

struct prop_desc {
	const char *name;
	const char *desc;
	unsigned int types;	/* enum prop_object bits */
};

extern const struct prop_desc prop_table[PROP_NR];

/* The xattr that holds the compression property. */
#define PROP_XATTR_COMPRESSION	"btrfs.compression"
/* A label is at most this long (the superblock field less its NUL). */
#define PROP_LABEL_MAX		255

enum prop_mode { PROP_GET, PROP_SET, PROP_LIST };

/* One command line, parsed. */
struct prop_args {
	enum prop_mode mode;
	unsigned int types;	/* -t, or 0: detect */
	const char *object;
	const char *name;	/* NULL: every property (get) */
	const char *value;	/* set only */
	bool force;
	const char **images;	/* --image, offline form */
	int nr_images;
};

/* Prints a "name  description" line of list. */
void prop_print_help(enum prop_id id);
/*
 * The property named name that applies to one of *types; narrows *types
 * to the one type it applies as.  Prints the error and returns -1 for an
 * unknown name, an incompatible or ambiguous object.
 */
int prop_select(const char *name, unsigned int *types);

/* Value rules; each prints the error and returns -EINVAL. */
int prop_parse_ro(const char *value, bool *ro);
int prop_parse_dax(const char *value, bool *on);
int prop_check_label(const char *value);
/*
 * A compression value as the kernel takes it: "" (no property), "no" or
 * "none" (never compress), or zlib, lzo or zstd with an optional
 * ":LEVEL".  *incompat is set to 'l' for lzo, 'z' for zstd, else 0.
 */
int prop_check_compression(const char *value, char *incompat);

/* The offline form; returns the exit code. */
int prop_offline_run(const struct prop_args *args);

#endif
