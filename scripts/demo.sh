#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo, the main job end to end on an image:
#   1. mkfs.btrfs --dax: a pmem-sized filesystem with 2 MiB-aligned chunks;
#   2. the running kernel writes a few files (when root, loop devices and
#      btrfs are available), among them an empty pool file and a directory;
#   3. btrfs property set --image: the DAX flag on the directory and on the
#      empty file, offline, one transaction each;
#   4. btrfs check, the DAX layout report, an offline read-only scrub, and
#      the superblock and fs tree as dump-super / dump-tree print them;
#   5. the kernel again: a kernel without btrfs DAX mounts it read-only only.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
img=${1:-/var/tmp/btrfs-dax-demo.img}
size=${DEMO_SIZE:-4G}
btrfs=$top/btrfs

rm -f "$img"
truncate -s "$size" "$img"
echo "== mkfs.btrfs --dax $img ($size)"
"$top/mkfs.btrfs" --dax -f -L pmem-demo "$img"

kernel=no
if [ "$(id -u)" = 0 ] && grep -qw btrfs /proc/filesystems && losetup -f >/dev/null 2>&1; then
	kernel=yes
fi

if [ $kernel = yes ]; then
	mnt=$(mktemp -d)
	mount -o loop "$img" "$mnt"
	mkdir -p "$mnt/db"
	touch "$mnt/db/pool"
	head -c 3M /dev/urandom > "$mnt/table.bin"
	echo "hello pmem" > "$mnt/README"
	ln -s README "$mnt/link"
	umount "$mnt"
	echo "== the kernel wrote /db, /db/pool (empty), /table.bin, /README, /link"
	echo "== btrfs property set --image $img /db dax on; ... /db/pool dax on"
	"$btrfs" property set --image "$img" /db dax on
	"$btrfs" property set --image "$img" /db/pool dax on
	echo "== btrfs property get --image $img /db/pool dax"
	"$btrfs" property get --image "$img" /db/pool dax
	echo "== btrfs property set --image $img /table.bin dax on (refused: not empty)"
	"$btrfs" property set --image "$img" /table.bin dax on || true
else
	echo "== not root or no loop/btrfs: skipping the kernel write, flagging / offline"
	"$btrfs" property set --image "$img" / dax on
fi

echo "== btrfs property list --image $img /"
"$btrfs" property list --image "$img" /
echo "== btrfs check $img"
"$btrfs" check "$img"
echo "== btrfs inspect-internal dax-report $img"
"$btrfs" inspect-internal dax-report "$img"
echo "== btrfs scrub start -r $img"
BTRFS_DAX_SCRUB_STATUS_DIR=${TMPDIR:-/tmp} "$btrfs" scrub start -r "$img"
echo "== btrfs inspect-internal dump-super -f $img"
"$btrfs" inspect-internal dump-super -f "$img"
echo "== btrfs inspect-internal dump-tree -t fs $img"
"$btrfs" inspect-internal dump-tree -t fs "$img"

if [ $kernel = yes ]; then
	echo "== the running kernel (no btrfs DAX) and COMPAT_RO_DAX:"
	if mount -o loop "$img" "$mnt" 2>/dev/null; then
		echo "   mounted read-write (unexpected)"
		umount "$mnt"
	else
		echo "   read-write mount refused"
	fi
	mount -o loop,ro "$img" "$mnt"
	echo "   read-only mount: $(cat "$mnt/README")"
	umount "$mnt"
	rmdir "$mnt"
fi
