// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rules on one inode's items that stock btrfs check keeps and the kernel
 * follows when it writes, beyond what the items add up to (inodes.c).
 *
 * - A directory's nbytes: the kernel keeps 0 for the directories it makes,
 *   mkfs (stock and ours) writes the node size for the top directory, and
 *   neither the kernel nor stock check uses it.  Stock check in lowmem
 *   mode warns when it is not a multiple of the node size; so does this.
 * - An inline extent is the whole file: the kernel writes one only at file
 *   offset 0 when the file fits in it, and (6.x) turns it into a regular
 *   extent before it adds any other (a write, a preallocation, a hole) to
 *   the file.  The block verifier already rejects an inline extent at
 *   another offset, as the kernel's tree checker does.  An inline extent
 *   followed by other extent items of the same inode is reported as a
 *   warning: the kernel reads such a file, older kernels could leave one
 *   (an inline extent with a preallocated range after it), and stock
 *   check 6.2 says nothing about it in either mode.
 */
#include "check/walk.h"

static void rule_report(struct walk_state *ws, enum problem_id id,
			struct problem_ctx pctx)
{
	pctx.root = ws->root->id;
	pctx.ino = ws->inode.ino;
	check_report(ws->ctx, id, &pctx);
}

/* One file extent item (its header is known to be there), in key order. */
void inode_rules_extent(struct walk_state *ws,
			const struct btrfs_file_extent_item *fe,
			const struct btrfs_key *key)
{
	struct inode_state *st = &ws->inode;

	if (btrfs_file_extent_type(fe) == BTRFS_FILE_EXTENT_INLINE) {
		st->inline_seen = true;
		return;
	}
	/* Keys sort by offset and an inline extent is at 0: it came first. */
	if (!st->inline_seen || st->inline_mixed)
		return;
	st->inline_mixed = true;
	rule_report(ws, PR_FILE_EXTENT_INLINE_MIXED,
		    (struct problem_ctx){ .offset = key->offset });
}

/* A directory whose items are all seen. */
void inode_rules_dir(struct walk_state *ws)
{
	u32 nodesize = ws->ctx->fs_info->sb.nodesize;
	u64 nbytes = ws->inode.nbytes;

	if (nodesize && nbytes % nodesize)
		rule_report(ws, PR_DIR_NBYTES, (struct problem_ctx){
			.have = nbytes, .want = nodesize });
}
