#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs inspect-internal dump-tree on images made by stock mkfs.btrfs 6.2
# (every checksum type, profile, feature and node size, and trees filled by
# mkfs --rootdir): our output and exit status must be stock's.  Also every
# way of naming a tree that -t accepts or rejects.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init dump-tree

# Names and numbers for -t: accepted spellings, near misses, out of range.
TREE_NAMES=(root extent chunk dev fs csum quota uuid free_space free-space
	data_reloc data-reloc tree_log tree-log tree_log_fixup block-group
	block_group ROOT Root root_tree ROOT_TREE BTRFS_ROOT_TREE_OBJECTID
	fs_tree fs-tree FS_TREE_OBJECTID BTRFS_CSUM_TREE 1 2 3 4 5 6 7 8 9 10 11
	12 05 0x5 0 -5 -1 5x " 5" "" 256 257 18446744073709551607
	18446744073709551615 18446744073709551616 bogus)

check_tree_names() {
	local t
	if ! image_get "$1"; then
		skip "dump-tree -t names: $1" "$IMAGE_WHY"
		return
	fi
	for t in "${TREE_NAMES[@]}"; do
		compare_output "dump-tree -t '$t': $1" \
			inspect-internal dump-tree -t "$t" "${IMAGE_DEVS[@]}"
	done
}

check_tree_names default
check_tree_names rootdir
for image in $IMAGES_MKFS; do
	check_dump_tree "$image"
done
test_done
