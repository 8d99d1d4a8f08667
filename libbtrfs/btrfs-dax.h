/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * libbtrfs-dax: read access to unmounted btrfs filesystems, with the facts
 * that matter for DAX (direct access to persistent memory).
 *
 * Every function that can fail returns 0 or a negative errno.  Nothing here
 * prints or exits; btrfs_dax_last_error() has the text of the last failure.
 * A handle may be used by one thread at a time.  The library never writes.
 *
 * This is the only installed header.  It is self-contained: it includes no
 * engine header, and every value is in host byte order.
 * Documentation/libbtrfs-dax.rst is the full reference.
 */
#ifndef BTRFS_DAX_H
#define BTRFS_DAX_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An open filesystem and a position in one of its trees; both opaque. */
struct btrfs_dax_fs;
struct btrfs_dax_iter;

/* Flags of btrfs_dax_open(). */
#define BTRFS_DAX_OPEN_NOSCAN		(1U << 0) /* only the devices given */
#define BTRFS_DAX_OPEN_ALLOW_MISSING	(1U << 1) /* open with devices missing */

/* Well-known tree ids for btrfs_dax_iter_open(); subvolumes use their id. */
#define BTRFS_DAX_ROOT_TREE		1
#define BTRFS_DAX_EXTENT_TREE		2
#define BTRFS_DAX_CHUNK_TREE		3
#define BTRFS_DAX_DEV_TREE		4
#define BTRFS_DAX_FS_TREE		5
#define BTRFS_DAX_CSUM_TREE		7
#define BTRFS_DAX_QUOTA_TREE		8
#define BTRFS_DAX_UUID_TREE		9
#define BTRFS_DAX_FREE_SPACE_TREE	10
#define BTRFS_DAX_BLOCK_GROUP_TREE	11
#define BTRFS_DAX_RAID_STRIPE_TREE	12

/* The inode number of every subvolume's top directory. */
#define BTRFS_DAX_SUBVOL_ROOT_INO	256

/* Alignment a PMD (2 MiB page) mapping needs. */
#define BTRFS_DAX_PMD_SIZE		(2ULL << 20)

/* A B-tree key, host order; keys sort by objectid, then type, then offset. */
struct btrfs_dax_key {
	uint64_t objectid;
	uint8_t type;
	uint64_t offset;
};

/* Superblock facts of the copy the library chose (the newest valid one). */
struct btrfs_dax_super_info {
	uint8_t fsid[16];
	uint8_t metadata_uuid[16];	/* equals fsid unless METADATA_UUID */
	char label[256];		/* NUL-terminated */
	uint64_t generation;
	uint64_t total_bytes;
	uint64_t bytes_used;
	uint64_t num_devices;
	uint32_t nodesize;
	uint32_t sectorsize;
	uint16_t csum_type;		/* 0 crc32c, 1 xxhash64, 2 sha256, 3 blake2b */
	uint64_t compat_flags;
	uint64_t compat_ro_flags;
	uint64_t incompat_flags;
	bool dax_layout;		/* COMPAT bit 0: made by mkfs --dax */
	bool has_dax_inodes;		/* COMPAT_RO bit 32: some inode is DAX */
};

/* One inode item. */
struct btrfs_dax_inode {
	uint64_t ino;
	uint32_t mode;			/* type and permission bits, as st_mode */
	uint64_t size;
	uint64_t nbytes;
	uint32_t nlink;
	uint32_t uid;
	uint32_t gid;
	uint64_t rdev;
	uint64_t flags;			/* the whole on-disk field: ro_flags << 32 | flags */
	bool dax;			/* ro_flags bit 25 (on-disk bit 57) */
	bool nodatacow;
	bool nodatasum;
	bool compress;
};

/* File extent types. */
#define BTRFS_DAX_EXTENT_INLINE		0
#define BTRFS_DAX_EXTENT_REG		1
#define BTRFS_DAX_EXTENT_PREALLOC	2

/*
 * One file extent item.  For an inline extent disk_bytenr, extent_offset
 * and physical are 0, num_bytes and ram_bytes are the data's length in the
 * file and disk_num_bytes its (possibly compressed) length in the item.
 */
struct btrfs_dax_extent {
	uint64_t file_offset;
	uint64_t num_bytes;		/* bytes of the file this item covers */
	uint64_t disk_bytenr;		/* logical address; 0 = hole */
	uint64_t disk_num_bytes;
	uint64_t extent_offset;		/* into the (uncompressed) extent */
	uint64_t ram_bytes;
	uint8_t type;			/* BTRFS_DAX_EXTENT_* */
	uint8_t compression;		/* 0 none, 1 zlib, 2 lzo, 3 zstd */
	uint64_t devid;			/* first copy of the file's first byte */
	uint64_t physical;		/* its byte offset on devid; 0 if unmapped */
	/*
	 * True for an uncompressed extent with data (not inline, not a hole)
	 * whose first byte's logical and physical addresses are both
	 * congruent to file_offset modulo BTRFS_DAX_PMD_SIZE, so every whole
	 * aligned 2 MiB of the file inside it can be one PMD mapping.
	 */
	bool pmd_aligned;
};

/* Opens the filesystem on paths[0..npaths); 0 and *ret, or -errno and *ret = NULL. */
int btrfs_dax_open(const char *const *paths, int npaths, unsigned int flags,
		   struct btrfs_dax_fs **ret);
/* Closes fs and every resource it holds; NULL is allowed. */
void btrfs_dax_close(struct btrfs_dax_fs *fs);
/* Text of fs's last failure ("" if none); with NULL, of this thread's last failed open. */
const char *btrfs_dax_last_error(const struct btrfs_dax_fs *fs);

/* Fills *out with the superblock facts; 0 always (negative errno only for bad arguments). */
int btrfs_dax_get_super_info(struct btrfs_dax_fs *fs,
			     struct btrfs_dax_super_info *out);

/* Starts a walk of tree tree_id at the first key >= *min_key (NULL: the first); 0 or -ENOENT if no such tree. */
int btrfs_dax_iter_open(struct btrfs_dax_fs *fs, uint64_t tree_id,
			const struct btrfs_dax_key *min_key,
			struct btrfs_dax_iter **ret);
/* Returns the next item (item valid until the next call): 0, 1 at the end, or -errno. */
int btrfs_dax_iter_next(struct btrfs_dax_iter *it, struct btrfs_dax_key *key,
			const void **item, uint32_t *size);
/* Ends a walk; NULL is allowed. */
void btrfs_dax_iter_close(struct btrfs_dax_iter *it);

/* Resolves absolute path in subvol (0: the default) without following symlinks; 0, -ENOENT or -ENOTDIR. */
int btrfs_dax_lookup(struct btrfs_dax_fs *fs, uint64_t subvol,
		     const char *path, uint64_t *ret_subvol, uint64_t *ret_ino);
/* Reads inode ino of subvol (0: the default) into *out; 0 or -ENOENT. */
int btrfs_dax_inode_get(struct btrfs_dax_fs *fs, uint64_t subvol, uint64_t ino,
			struct btrfs_dax_inode *out);
/* Calls cb for each file extent of ino in file order; 0, -errno, or cb's first non-zero return. */
int btrfs_dax_file_extents(struct btrfs_dax_fs *fs, uint64_t subvol,
			   uint64_t ino,
			   int (*cb)(const struct btrfs_dax_extent *ext,
				     void *ctx),
			   void *ctx);

/*
 * Layout reports (libbtrfs/report.c): chunks, inode items from the
 * iterator, and the paths of an inode.
 */

/* Key types to look for in iterator walks (the on-disk values). */
#define BTRFS_DAX_INODE_ITEM_KEY	1
#define BTRFS_DAX_ROOT_ITEM_KEY		132
#define BTRFS_DAX_ROOT_BACKREF_KEY	144

/* Subvolume ids besides BTRFS_DAX_FS_TREE: this range, inclusive. */
#define BTRFS_DAX_FIRST_SUBVOL_ID	256ULL
#define BTRFS_DAX_LAST_SUBVOL_ID	(-256ULL)

/* Kind bits of btrfs_dax_chunk.type (the on-disk block group flags). */
#define BTRFS_DAX_CHUNK_DATA		(1ULL << 0)
#define BTRFS_DAX_CHUNK_SYSTEM		(1ULL << 1)
#define BTRFS_DAX_CHUNK_METADATA	(1ULL << 2)
/* Profile bits of btrfs_dax_chunk.type; none of them set is SINGLE. */
#define BTRFS_DAX_PROFILE_SINGLE	0ULL
#define BTRFS_DAX_PROFILE_RAID0		(1ULL << 3)
#define BTRFS_DAX_PROFILE_RAID1		(1ULL << 4)
#define BTRFS_DAX_PROFILE_DUP		(1ULL << 5)
#define BTRFS_DAX_PROFILE_RAID10	(1ULL << 6)
#define BTRFS_DAX_PROFILE_RAID5		(1ULL << 7)
#define BTRFS_DAX_PROFILE_RAID6		(1ULL << 8)
#define BTRFS_DAX_PROFILE_RAID1C3	(1ULL << 9)
#define BTRFS_DAX_PROFILE_RAID1C4	(1ULL << 10)

/* One stripe of a chunk: where one device extent starts. */
struct btrfs_dax_stripe {
	uint64_t devid;
	uint64_t physical;		/* byte offset on the device */
	bool missing;			/* the device was not found */
};

/* One chunk of the chunk tree. */
struct btrfs_dax_chunk {
	uint64_t logical;
	uint64_t length;		/* logical bytes */
	uint64_t type;			/* kind and profile bits, as on disk */
	uint64_t profile;		/* type's profile bit, 0 for SINGLE */
	uint64_t stripe_len;		/* striping unit (64 KiB) */
	uint64_t dev_extent_length;	/* bytes each stripe takes on its device */
	uint32_t num_stripes;
	uint32_t sub_stripes;
	const struct btrfs_dax_stripe *stripes;	/* num_stripes of them */
};

/*
 * The name of the profile bits in type: "single", "dup", "raid0", "raid1",
 * "raid1c3", "raid1c4", "raid10", "raid5", "raid6", or "unknown" when more
 * than one is set.  The string is static.
 */
const char *btrfs_dax_profile_name(uint64_t type);
/*
 * Calls cb for each chunk of the chunk tree, in logical order; *chunk and
 * its stripes are valid during the call only.  Returns 0, -ENOMEM, or the
 * first non-zero value cb returned (which ends the walk).
 */
int btrfs_dax_chunks(struct btrfs_dax_fs *fs,
		     int (*cb)(const struct btrfs_dax_chunk *chunk, void *ctx),
		     void *ctx);
/*
 * Decodes an INODE_ITEM as btrfs_dax_iter_next() hands it out (item and
 * size; ino is the key's objectid) into *out, like btrfs_dax_inode_get()
 * without a tree search.  Returns 0, or -EUCLEAN when size is too small.
 */
int btrfs_dax_inode_decode(uint64_t ino, const void *item, uint32_t size,
			   struct btrfs_dax_inode *out);
/*
 * Calls cb with every path of inode ino inside subvolume subvol (0: the
 * default), relative to the subvolume's top directory, which is "/": one
 * per name in its INODE_REF and INODE_EXTREF items, so a file with hard
 * links has several and an unlinked one none.  Each parent directory is
 * followed up to the top through its own first ref.  The string is valid
 * during the call only.  Returns 0, -ENOENT when there is no such inode,
 * -ELOOP for a cycle of refs, another -errno, or the first non-zero value
 * cb returned (which ends the walk).
 */
int btrfs_dax_inode_paths(struct btrfs_dax_fs *fs, uint64_t subvol,
			  uint64_t ino,
			  int (*cb)(const char *path, void *ctx), void *ctx);

#ifdef __cplusplus
}
#endif

#endif
