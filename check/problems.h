/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The checker's one table of problems and its one reporting function.
 *
 * Every problem the checker can find has a stable id (the string shown in
 * brackets in text output and as "id" in JSON), a severity, the phase it
 * belongs to and a message template.  Templates name the fields of a
 * struct problem_ctx in braces ("chunk {bytenr} ..."); the reporter fills
 * them in for text output and emits exactly those fields in JSON, so both
 * forms stay stable and agree.  Ids are never renamed or reused; add new
 * ones at the end of their group.
 */
#ifndef BTRFS_DAX_CHECK_PROBLEMS_H
#define BTRFS_DAX_CHECK_PROBLEMS_H

#include <stdbool.h>
#include <stdio.h>
#include "kernel-shared/ctree.h"

enum problem_severity {
	SEV_INFO,
	SEV_WARNING,
	SEV_ERROR,
	SEV_NR
};

/* Phases as printed: "[N/7] ..." */
enum check_phase {
	PH_OPEN = 0,
	PH_ROOTS = 1,
	PH_EXTENTS = 2,
	PH_FREE_SPACE = 3,
	PH_FS_ROOTS = 4,
	PH_CSUMS = 5,
	PH_ROOT_REFS = 6,
	PH_QUOTA = 7,
};

/* X(enum, id, severity, phase, template) */
#define CHECK_PROBLEMS(X)						\
	/* Opening and whole-filesystem state */			\
	X(PR_CHECK_ABORTED, "check-aborted", SEV_ERROR, PH_OPEN,	\
	  "checking stopped early: {str}")				\
	/* Superblocks */						\
	X(PR_SUPER_COPY_BAD, "super-copy-bad", SEV_ERROR, PH_EXTENTS,	\
	  "superblock copy {mirror} on {dev} is invalid: {str}")	\
	X(PR_SUPER_COPY_MISSING, "super-copy-missing", SEV_WARNING, PH_EXTENTS, \
	  "superblock copy {mirror} on {dev} is missing")		\
	X(PR_SUPER_COPY_FSID, "super-copy-fsid", SEV_ERROR, PH_EXTENTS,	\
	  "superblock copy {mirror} on {dev} belongs to another filesystem (fsid {str})") \
	X(PR_SUPER_COPY_GENERATION, "super-copy-generation", SEV_WARNING, PH_EXTENTS, \
	  "superblock copy {mirror} on {dev} has generation {have}, the checked copy has {want}") \
	X(PR_SUPER_BYTES_USED, "super-bytes-used", SEV_ERROR, PH_EXTENTS, \
	  "superblock bytes_used is {have}, the extent tree accounts for {want}") \
	X(PR_SUPER_NUM_DEVICES, "super-num-devices", SEV_ERROR, PH_EXTENTS, \
	  "superblock num_devices is {have}, the chunk tree has {want} device items") \
	X(PR_SUPER_TOTAL_BYTES, "super-total-bytes", SEV_ERROR, PH_EXTENTS, \
	  "superblock total_bytes {have} is smaller than the devices' total {want}") \
	X(PR_SUPER_DEV_ITEM, "super-dev-item", SEV_ERROR, PH_EXTENTS,	\
	  "superblock of {dev} describes device {devid}, which has no matching device item") \
	/* Root items */						\
	X(PR_ROOT_BLOCK_BAD, "root-block-bad", SEV_ERROR, PH_ROOTS,	\
	  "root block {bytenr} of tree {root}: {str}")				\
	X(PR_ROOT_ITEM_GENERATION, "root-item-generation", SEV_ERROR, PH_ROOTS, \
	  "root item of tree {root} has generation {have}, newer than the superblock's {want}") \
	X(PR_ROOT_TREE_BAD, "root-tree-bad", SEV_ERROR, PH_ROOTS,	\
	  "cannot read the root tree: {str}")				\
	/* Tree blocks */						\
	X(PR_TREE_BLOCK_BAD, "tree-block-bad", SEV_ERROR, PH_EXTENTS,	\
	  "tree block {bytenr} in tree {root}: {str}")			\
	X(PR_TREE_BLOCK_OWNER, "tree-block-owner", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} in tree {root} has owner {owner}")	\
	X(PR_TREE_BLOCK_GENERATION, "tree-block-generation", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} in tree {root} has generation {have}, newer than the superblock's {want}") \
	X(PR_TREE_BLOCK_DUPLICATE, "tree-block-duplicate", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} is reached more than once in tree {root}") \
	X(PR_TREE_BLOCK_CROSS_TREE, "tree-block-cross-tree", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} of tree {root} is also part of tree {owner}") \
	X(PR_ITEM_WRONG_TREE, "item-wrong-tree", SEV_ERROR, PH_EXTENTS, \
	  "leaf {bytenr} of tree {root} holds item {key}, which does not belong in that tree") \
	/* Chunks, devices, block groups */				\
	X(PR_CHUNK_NO_DEV_EXTENT, "chunk-no-dev-extent", SEV_ERROR, PH_EXTENTS, \
	  "chunk {bytenr} stripe {index} has no device extent at device {devid} physical {physical}") \
	X(PR_DEV_EXTENT_WRONG_CHUNK, "dev-extent-wrong-chunk", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} names chunk {have}, but the stripe there belongs to chunk {bytenr}") \
	X(PR_DEV_EXTENT_LENGTH, "dev-extent-length", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} of chunk {bytenr} is {have} bytes long, the chunk's stripes are {want}") \
	X(PR_DEV_EXTENT_ORPHAN, "dev-extent-orphan", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} length {len} belongs to no chunk stripe (it names chunk {bytenr})") \
	X(PR_DEV_EXTENT_OVERLAP, "dev-extent-overlap", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} length {len} overlaps the next one at {offset}") \
	X(PR_DEV_EXTENT_BEYOND_DEVICE, "dev-extent-beyond-device", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} length {len} ends beyond the device size {want}") \
	X(PR_DEVICE_BYTES_USED, "device-bytes-used", SEV_ERROR, PH_EXTENTS, \
	  "device {devid} has bytes_used {have}, its device extents add up to {want}") \
	X(PR_DEVICE_NO_ITEM, "device-no-item", SEV_ERROR, PH_EXTENTS,	\
	  "chunk {bytenr} stripe {index} is on device {devid}, which has no device item") \
	X(PR_DEVICE_TRUNCATED, "device-truncated", SEV_ERROR, PH_EXTENTS, \
	  "device {devid} ({dev}) is {have} bytes, smaller than its size {want} in the device item") \
	X(PR_SYS_CHUNK_MISMATCH, "sys-chunk-mismatch", SEV_ERROR, PH_EXTENTS, \
	  "system chunk {bytenr} in the superblock's chunk array does not match the chunk tree") \
	X(PR_CHUNK_NO_BLOCK_GROUP, "chunk-no-block-group", SEV_ERROR, PH_EXTENTS, \
	  "chunk {bytenr} length {len} has no block group item")	\
	X(PR_BLOCK_GROUP_NO_CHUNK, "block-group-no-chunk", SEV_ERROR, PH_EXTENTS, \
	  "block group {bytenr} length {len} has no chunk")		\
	X(PR_BLOCK_GROUP_MISMATCH, "block-group-mismatch", SEV_ERROR, PH_EXTENTS, \
	  "block group {bytenr} length {len} flags {flags} does not match its chunk (length {want}, flags {chunk_flags})") \
	X(PR_BLOCK_GROUP_USED, "block-group-used", SEV_ERROR, PH_EXTENTS, \
	  "block group {bytenr} has used {have}, its extents add up to {want}") \
	/* Extent tree */						\
	X(PR_EXTENT_OVERLAP, "extent-overlap", SEV_ERROR, PH_EXTENTS,	\
	  "extent {bytenr} length {len} overlaps the next extent at {offset}") \
	X(PR_EXTENT_NO_BLOCK_GROUP, "extent-no-block-group", SEV_ERROR, PH_EXTENTS, \
	  "extent {bytenr} length {len} is not inside one block group") \
	X(PR_EXTENT_WRONG_BLOCK_GROUP, "extent-wrong-block-group", SEV_ERROR, PH_EXTENTS, \
	  "{str} extent {bytenr} length {len} lies in block group {offset} of flags {flags}") \
	X(PR_EXTENT_REFS, "extent-refs", SEV_ERROR, PH_EXTENTS,		\
	  "extent {bytenr} length {len} has refs {want} in its item, its backrefs add up to {have}") \
	X(PR_EXTENT_REF_ORPHAN, "extent-ref-orphan", SEV_ERROR, PH_EXTENTS, \
	  "backref item {key} has no extent item")			\
	X(PR_EXTENT_UNREFERENCED, "extent-unreferenced", SEV_ERROR, PH_EXTENTS, \
	  "extent {bytenr} length {len} is not referenced by any tree") \
	X(PR_TREE_BLOCK_NO_EXTENT, "tree-block-no-extent", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} of tree {root} has no extent item")	\
	X(PR_TREE_BLOCK_EXTENT, "tree-block-extent", SEV_ERROR, PH_EXTENTS, \
	  "tree block {bytenr} of tree {root} (level {level}) has an extent item that does not describe it: {str}") \
	X(PR_DATA_EXTENT_MISSING, "data-extent-missing", SEV_ERROR, PH_EXTENTS, \
	  "file extent of root {root} inode {ino} at offset {offset} points to {bytenr} length {len}, which has no extent item") \
	X(PR_DATA_EXTENT_MISMATCH, "data-extent-mismatch", SEV_ERROR, PH_EXTENTS, \
	  "file extent of root {root} inode {ino} at offset {offset} points to {bytenr} length {len}, but that extent item is {str}") \
	X(PR_BACKREF_MISSING, "backref-missing", SEV_ERROR, PH_EXTENTS,	\
	  "extent {bytenr}: {str} found in the trees has no backref")	\
	X(PR_BACKREF_UNUSED, "backref-unused", SEV_ERROR, PH_EXTENTS,	\
	  "extent {bytenr}: backref {str} has no matching reference in the trees") \
	X(PR_BACKREF_COUNT, "backref-count", SEV_ERROR, PH_EXTENTS,	\
	  "extent {bytenr}: backref {str} counts {want}, the trees hold {have}") \
	X(PR_BACKREF_DUPLICATE, "backref-duplicate", SEV_ERROR, PH_EXTENTS, \
	  "extent {bytenr}: backref {str} is stored more than once")	\
	/* Free space tree */						\
	X(PR_FST_NO_BLOCK_GROUP, "fst-no-block-group", SEV_ERROR, PH_FREE_SPACE, \
	  "free space info {bytenr} length {len} has no corresponding block group") \
	X(PR_FST_INFO_MISSING, "fst-info-missing", SEV_ERROR, PH_FREE_SPACE, \
	  "block group {bytenr} length {len} has no free space info")	\
	X(PR_FST_ENTRY_ORPHAN, "fst-entry-orphan", SEV_ERROR, PH_FREE_SPACE, \
	  "free space entry {key} lies outside the free space info before it") \
	X(PR_FST_EXTENT_COUNT, "fst-extent-count", SEV_ERROR, PH_FREE_SPACE, \
	  "free space info of block group {bytenr} counts {want} free extents, the tree holds {have}") \
	X(PR_FST_FLAGS, "fst-flags", SEV_ERROR, PH_FREE_SPACE,		\
	  "free space info of block group {bytenr} has flags {flags}, but its entries are {str}") \
	X(PR_FST_FREE_USED, "fst-free-used", SEV_ERROR, PH_FREE_SPACE,	\
	  "block group {bytenr}: range {offset} length {len} is free in the free space tree but used by extents") \
	X(PR_FST_LEAKED, "fst-leaked", SEV_ERROR, PH_FREE_SPACE,	\
	  "block group {bytenr}: range {offset} length {len} is neither used by extents nor free") \
	X(PR_FST_NOT_VALID, "fst-not-valid", SEV_WARNING, PH_FREE_SPACE, \
	  "the free space tree is not marked valid; it will be rebuilt at mount and is not checked") \
	/* Free space cache (v1) */					\
	X(PR_SPACE_CACHE_UNUSABLE, "space-cache-unusable", SEV_WARNING, PH_FREE_SPACE, \
	  "free space cache of block group {bytenr} cannot be used, the kernel rebuilds it: {str}") \
	X(PR_SPACE_CACHE_FREE_USED, "space-cache-free-used", SEV_ERROR, PH_FREE_SPACE, \
	  "block group {bytenr}: range {offset} length {len} is free in the free space cache but used by extents") \
	X(PR_SPACE_CACHE_LEAKED, "space-cache-leaked", SEV_ERROR, PH_FREE_SPACE, \
	  "block group {bytenr}: range {offset} length {len} is neither used by extents nor free in the free space cache") \
	/* Fs trees and DAX inodes */					\
	X(PR_DAX_INODE_FLAGS, "dax-inode-flags", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: DAX inode has flags {flags}: {str}") \
	X(PR_DAX_COMPRESS_PROP, "dax-compress-prop", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: DAX inode has a btrfs.compression property") \
	X(PR_DAX_INLINE_EXTENT, "dax-inline-extent", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: DAX inode has an inline extent at offset {offset}") \
	X(PR_DAX_COMPRESSED_EXTENT, "dax-compressed-extent", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: DAX inode has a compressed extent at offset {offset}") \
	X(PR_DAX_EXTENT_PROFILE, "dax-extent-profile", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: DAX extent at offset {offset} ({bytenr}) lies in a chunk of flags {chunk_flags}, not a SINGLE data chunk") \
	X(PR_DAX_CSUM, "dax-csum", SEV_ERROR, PH_FS_ROOTS,		\
	  "root {root} inode {ino}: DAX extent {bytenr} length {len} has checksum items") \
	X(PR_DAX_COMPAT_RO_MISSING, "dax-compat-ro-missing", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} has the DAX flag, but the superblock lacks COMPAT_RO_DAX") \
	X(PR_DAX_EXTENT_SHARED, "dax-extent-shared", SEV_INFO, PH_FS_ROOTS, \
	  "DAX extent {bytenr} length {len} of root {root} inode {ino} is shared ({count} users); the next write copies it once") \
	X(PR_DAX_CHUNK_UNALIGNED, "dax-chunk-unaligned", SEV_ERROR, PH_EXTENTS, \
	  "chunk {bytenr} length {len} is not 2 MiB aligned in a DAX-layout filesystem") \
	X(PR_DAX_DEV_EXTENT_UNALIGNED, "dax-dev-extent-unaligned", SEV_ERROR, PH_EXTENTS, \
	  "device extent at device {devid} physical {physical} is not 2 MiB aligned in a DAX-layout filesystem") \
	X(PR_DAX_DATA_CHUNK_SUPER, "dax-data-chunk-super", SEV_ERROR, PH_EXTENTS, \
	  "data chunk {bytenr} stripe {index} on device {devid} covers the superblock copy at {physical}") \
	/* Checksums */							\
	X(PR_CSUM_NO_EXTENT, "csum-no-extent", SEV_ERROR, PH_CSUMS,	\
	  "checksums for {bytenr} length {len} cover no data extent")	\
	X(PR_CSUM_OVERLAP, "csum-overlap", SEV_ERROR, PH_CSUMS,		\
	  "checksum item at {bytenr} overlaps the one before it")	\
	X(PR_DATA_CSUM_MISMATCH, "data-csum-mismatch", SEV_ERROR, PH_CSUMS, \
	  "data at {bytenr} length {len} (copy {mirror}) does not match its checksums") \
	X(PR_DATA_READ_ERROR, "data-read-error", SEV_ERROR, PH_CSUMS,	\
	  "cannot read data at {bytenr} length {len} (copy {mirror}): {str}") \
	/* Root references */						\
	X(PR_ROOT_REF_UNMATCHED, "root-ref-unmatched", SEV_ERROR, PH_ROOT_REFS, \
	  "{str} of subvolume {root} in {parent} has no matching counterpart") \
	X(PR_ROOT_REF_MISMATCH, "root-ref-mismatch", SEV_ERROR, PH_ROOT_REFS, \
	  "root ref and root backref of subvolume {root} in {parent} disagree: {str}") \
	X(PR_ROOT_REFS_COUNT, "root-refs-count", SEV_ERROR, PH_ROOT_REFS, \
	  "subvolume {root} has refs {want} in its root item, but {have} root backrefs") \
	X(PR_ROOT_ORPHAN_MISSING, "root-orphan-missing", SEV_ERROR, PH_ROOT_REFS, \
	  "subvolume {root} is unlinked (refs 0) but has no orphan item") \
	/* Fs trees: inodes, names, file extents */			\
	X(PR_INODE_ITEM_MISSING, "inode-item-missing", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} has items but no inode item")	\
	X(PR_INODE_NLINK, "inode-nlink", SEV_ERROR, PH_FS_ROOTS,	\
	  "root {root} inode {ino} has nlink {want}, but {have} names") \
	X(PR_INODE_ORPHAN_MISSING, "inode-orphan-missing", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} has no name and nlink 0, but no orphan item") \
	X(PR_INODE_NBYTES, "inode-nbytes", SEV_ERROR, PH_FS_ROOTS,	\
	  "root {root} inode {ino} has nbytes {want}, its file extents add up to {have}") \
	X(PR_DIR_ISIZE, "dir-isize", SEV_ERROR, PH_FS_ROOTS,		\
	  "root {root} directory {ino} has size {want}, its entries add up to {have}") \
	X(PR_DIR_ITEM_NOT_DIR, "dir-item-not-dir", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} is not a directory but has directory entries") \
	X(PR_DIR_INDEX_MISSING, "dir-index-missing", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent} has a dir item for inode {ino} but no dir index") \
	X(PR_DIR_ITEM_MISSING, "dir-item-missing", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent} has dir index {index} for inode {ino} but no dir item") \
	X(PR_DIR_ENTRY_NO_REF, "dir-entry-no-ref", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent} has an entry (index {index}) for inode {ino}, which has no inode ref for it") \
	X(PR_DIR_ENTRY_DANGLING, "dir-entry-dangling", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent} has an entry (index {index}) for inode {ino}, which does not exist") \
	X(PR_INODE_REF_NO_ENTRY, "inode-ref-no-entry", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} has a name (index {index}) in directory {parent} without dir item or dir index") \
	X(PR_INODE_REF_INDEX, "inode-ref-index", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino} has index {have} in directory {parent}, its dir index is {want}") \
	X(PR_DIR_ENTRY_TYPE, "dir-entry-type", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent} lists inode {ino} with type {have}, its mode says {want}") \
	X(PR_DIR_ENTRY_LOCATION, "dir-entry-location", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent}: {str} of one name point to inodes {ino} and {owner}") \
	X(PR_DIR_ENTRY_DUPLICATE, "dir-entry-duplicate", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {parent}: a name of inode {ino} has more than one {str}") \
	X(PR_DIR_INDEX_ENTRIES, "dir-index-entries", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} directory {ino}: dir index {index} holds {count} entries, not one") \
	X(PR_INODE_EXTREF_HASH, "inode-extref-hash", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: extref key offset {have} is not the hash {want} of its name in directory {parent}") \
	X(PR_FILE_EXTENT_OVERLAP, "file-extent-overlap", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: file extent at {offset} overlaps the one before, which ends at {have}") \
	X(PR_FILE_EXTENT_GAP, "file-extent-gap", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: no file extent covers offset {offset} length {len} below the size {want}, and NO_HOLES is not set") \
	X(PR_FILE_EXTENT_INLINE_SIZE, "file-extent-inline-size", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: inline extent holds {have} bytes, more than the sector size {want}") \
	X(PR_FILE_EXTENT_RANGE, "file-extent-range", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: file extent at {offset} uses bytes up to {have} of an extent of {want} bytes") \
	X(PR_FILE_EXTENT_BEYOND_ISIZE, "file-extent-beyond-isize", SEV_ERROR, PH_FS_ROOTS, \
	  "root {root} inode {ino}: data extent at file offset {offset} lies beyond the size {want}") \
	X(PR_FILE_EXTENT_NO_CSUM, "file-extent-no-csum", SEV_ERROR, PH_CSUMS, \
	  "root {root} inode {ino}: data at {bytenr} length {len} (file offset {offset}) has no checksums, but the inode lacks NODATASUM") \
	X(PR_ORPHAN_NO_INODE, "orphan-no-inode", SEV_WARNING, PH_FS_ROOTS, \
	  "root {root}: orphan item for inode {ino}, which does not exist") \
	X(PR_ORPHAN_LINKED, "orphan-linked", SEV_WARNING, PH_FS_ROOTS, \
	  "root {root}: orphan item for inode {ino}, which still has nlink {have}") \
	X(PR_ROOT_DIR_BAD, "root-dir-bad", SEV_ERROR, PH_FS_ROOTS,	\
	  "root {root}: the root directory (inode 256) {str}")		\
	X(PR_ROOT_REF_NO_DIR_ENTRY, "root-ref-no-dir-entry", SEV_ERROR, PH_ROOT_REFS, \
	  "subvolume {root} in {parent}: directory {ino} has no dir item and dir index (index {index}) matching its root ref") \
	/* Quota tree */						\
	X(PR_QGROUP_STATUS_BAD, "qgroup-status-bad", SEV_ERROR, PH_QUOTA, \
	  "quota tree: {str}")						\
	X(PR_QGROUP_INCONSISTENT, "qgroup-inconsistent", SEV_WARNING, PH_QUOTA, \
	  "quota groups are marked inconsistent; the counts are not checked") \
	X(PR_QGROUP_RESCAN, "qgroup-rescan", SEV_INFO, PH_QUOTA,	\
	  "a quota rescan is in progress (at {key}); the counts are not checked") \
	X(PR_QGROUP_ITEM_MISSING, "qgroup-item-missing", SEV_ERROR, PH_QUOTA, \
	  "qgroup {str}")							\
	X(PR_QGROUP_RELATION_UNPAIRED, "qgroup-relation-unpaired", SEV_ERROR, PH_QUOTA, \
	  "qgroup relation {key} has no counterpart in the other direction") \
	X(PR_QGROUP_RELATION_BAD, "qgroup-relation-bad", SEV_ERROR, PH_QUOTA, \
	  "qgroup relation {key} {str}")				\
	X(PR_QGROUP_SUBVOL_MISSING, "qgroup-subvol-missing", SEV_ERROR, PH_QUOTA, \
	  "subvolume {root} has no level-0 qgroup")			\
	X(PR_QGROUP_COUNTS, "qgroup-counts", SEV_ERROR, PH_QUOTA,	\
	  "qgroup {str}")						\
	/* Fs trees, continued */					\
	X(PR_SUBVOL_ENTRY_UNMATCHED, "subvol-entry-unmatched", SEV_ERROR, PH_ROOT_REFS, \
	  "root {root} directory {ino} has an entry (index {index}) for subvolume {owner}, which the root ref of that subvolume in this tree does not describe") \
	X(PR_DIR_NBYTES, "dir-nbytes", SEV_WARNING, PH_FS_ROOTS,	\
	  "root {root} directory {ino} has nbytes {have}, not a multiple of the node size {want}") \
	X(PR_FILE_EXTENT_INLINE_MIXED, "file-extent-inline-mixed", SEV_WARNING, PH_FS_ROOTS, \
	  "root {root} inode {ino}: an inline extent is not the file's only extent, another starts at {offset}")

enum problem_id {
#define PR_ENUM(e, id, sev, phase, tmpl) e,
	CHECK_PROBLEMS(PR_ENUM)
#undef PR_ENUM
	PR_NR
};

/*
 * The facts one problem is about.  A template uses a subset; unused fields
 * stay zero.  Strings are copied when a report has to wait for its phase.
 */
struct problem_ctx {
	u64 bytenr;
	u64 len;
	u64 root;
	u64 ino;
	u64 offset;
	u64 parent;
	u64 owner;
	u64 devid;
	u64 physical;
	u64 have;
	u64 want;
	u64 count;
	u64 flags;
	u64 chunk_flags;
	int level;
	int index;
	int mirror;
	struct btrfs_key key;
	const char *dev;
	const char *str;
};

/* The table, for the reporter and for tests of it. */
struct problem_desc {
	const char *id;
	enum problem_severity severity;
	enum check_phase phase;
	const char *tmpl;
};

const struct problem_desc *problem_desc(enum problem_id id);

struct problem_pending;

struct problem_log {
	bool json;
	bool quiet;			/* count problems, print none (-Q) */
	enum check_phase phase;		/* the phase whose line was printed */
	u32 max_per_id;			/* reports shown per id; more are counted */
	u64 counts[PR_NR];
	u64 by_severity[SEV_NR];
	struct problem_pending *queue;	/* reports waiting for their phase */
	size_t nr_queued;
	size_t alloc_queued;
};

void problem_log_init(struct problem_log *log, bool json);
void problem_log_free(struct problem_log *log);
/* Record one problem: print it now, or when its phase line is printed. */
void problem_report(struct problem_log *log, enum problem_id id,
		    const struct problem_ctx *pctx);
/* Note that the line of 'phase' was printed; flushes waiting reports. */
void problem_phase_begin(struct problem_log *log, enum check_phase phase);
/* Print everything still waiting and the counts of reports not shown. */
void problem_log_flush(struct problem_log *log);
/* The JSON summary object's counters: "errors":N,"warnings":N,... */
void problem_json_counts(const struct problem_log *log, FILE *out);
void json_print_string(FILE *out, const char *s);

static inline bool problem_log_failed(const struct problem_log *log)
{
	return log->by_severity[SEV_ERROR] != 0;
}

#endif
