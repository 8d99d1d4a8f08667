#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# The demo: make a pmem-sized image with our mkfs.btrfs --dax, let the
# running kernel write a few files into it (when root and loop devices are
# available), then dump its superblock and trees with our tools.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
img=${1:-/var/tmp/btrfs-dax-demo.img}
size=${DEMO_SIZE:-4G}

rm -f "$img"
truncate -s "$size" "$img"
echo "== mkfs.btrfs --dax $img ($size)"
"$top/mkfs.btrfs" --dax -f -L pmem-demo "$img"

if [ "$(id -u)" = 0 ] && grep -qw btrfs /proc/filesystems && losetup -f >/dev/null 2>&1; then
	mnt=$(mktemp -d)
	mount -o loop "$img" "$mnt"
	mkdir -p "$mnt/db"
	head -c 3M /dev/urandom > "$mnt/db/table.bin"
	echo "hello pmem" > "$mnt/README"
	ln -s README "$mnt/link"
	umount "$mnt"
	rmdir "$mnt"
	echo "== the kernel wrote a few files"
else
	echo "== not root or no loop/btrfs: skipping the kernel write"
fi

echo "== btrfs inspect-internal dump-super -f"
"$top/btrfs" inspect-internal dump-super -f "$img"
echo "== btrfs inspect-internal dump-tree"
"$top/btrfs" inspect-internal dump-tree "$img"
