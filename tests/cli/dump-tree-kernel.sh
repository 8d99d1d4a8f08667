#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs inspect-internal dump-tree on images the running kernel wrote into
# (files of every kind, links, xattrs, compression, subvolumes, snapshots,
# send/receive, reflinks, quotas, deletions; nodes several levels deep):
# our output and exit status must be stock btrfs-progs 6.2's.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init dump-tree-kernel

# check_subvolumes NAME: -t with the id of every tree in the root tree.
check_subvolumes() {
	local id
	image_get "$1" || return
	for id in $(stock_tree_ids "${IMAGE_DEVS[@]}"); do
		compare_output "dump-tree -t $id: $1" \
			inspect-internal dump-tree -t "$id" "${IMAGE_DEVS[@]}"
	done
}

# check_all_nodes NAME: -b on every node (level > 0), which covers each
# tree's upper levels one block at a time.
check_all_nodes() {
	local b i=0
	image_get "$1" || return
	for b in $(stock_blocks "${IMAGE_DEVS[@]}" | awk '$1 == "node" { print $2 }'); do
		i=$((i + 1))
		compare_output "dump-tree -b: $1 node $i" \
			inspect-internal dump-tree -b "$b" "${IMAGE_DEVS[@]}"
	done
}

for image in $IMAGES_KERNEL; do
	check_dump_tree "$image"
	check_subvolumes "$image"
	check_all_nodes "$image"
done
test_done
