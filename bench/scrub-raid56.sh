#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scrub of a RAID6 filesystem (data and metadata) on BENCH_DEVS image
# files, side by side:
#   ours    btrfs scrub start -r -R IMAGE... (offline: every data stripe
#           verified, then every full stripe's P and Q recomputed)
#   kernel  stock btrfs scrub start -B -R on a loop mount of the same images
# Page cache is dropped before each.  Figures: wall time, and MB/s of the
# data and tree bytes each one reports as scrubbed.  Needs root.
#
#   bench/scrub-raid56.sh
#
# Environment (defaults in brackets):
#   BENCH_DIR      where the images are kept and reused [/var/tmp/btrfs-dax-raid56-bench]
#   BENCH_DEVS     number of devices [4]
#   BENCH_SIZE_MB  size of each [2048]
#   BENCH_DATA_MB  files the kernel writes when the images are made [1024]
#                  (the kernel scrub needs free space: keep it well below
#                  the usable size, (BENCH_DEVS - 2) x BENCH_SIZE_MB, since it sets
#                  each block group read-only and may need a new one)
#   OUR_BTRFS, STOCK_BTRFS, STOCK_MKFS

set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/var/tmp/btrfs-dax-raid56-bench}
ndev=${BENCH_DEVS:-4}
size_mb=${BENCH_SIZE_MB:-2048}
data_mb=${BENCH_DATA_MB:-1024}
ours=${OUR_BTRFS:-$top/btrfs}
stock=${STOCK_BTRFS:-/usr/bin/btrfs}
stock_mkfs=${STOCK_MKFS:-/usr/sbin/mkfs.btrfs}
tmp=$(mktemp -d /tmp/bench-raid56.XXXXXX)
mnt=
loops=()
imgs=()

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (drop_caches, loop mounts)"
export BTRFS_DAX_SCRUB_STATUS_DIR=$tmp
[ -x "$ours" ] || die "$ours not built"
command -v bc > /dev/null || die "bc not found"
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null
grep -qw btrfs /proc/filesystems || die "the kernel has no btrfs"

for ((i = 0; i < ndev; i++)); do
	imgs+=("$dir/dev$i.img")
done

attach() {
	local f l
	for f in "${imgs[@]}"; do
		l=$(losetup -f --show "$f") || die "losetup failed"
		loops+=("$l")
	done
	"$stock" device scan "${loops[@]}" > /dev/null 2>&1
	mnt=$tmp/mnt
	mkdir -p "$mnt"
	mount -t btrfs "${loops[0]}" "$mnt" || die "cannot mount"
}

detach() {
	local l
	[ -n "$mnt" ] && umount "$mnt" && mnt=
	for l in "${loops[@]}"; do
		"$stock" device scan --forget "$l" > /dev/null 2>&1
		losetup -d "$l"
	done
	loops=()
}

make_images() {
	local i
	echo "making ${ndev} x ${size_mb} MiB RAID6 images in $dir, ${data_mb} MiB of files"
	mkdir -p "$dir"
	for f in "${imgs[@]}"; do
		rm -f "$f"
		truncate -s "${size_mb}M" "$f"
	done
	"$stock_mkfs" -q -f -m raid6 -d raid6 "${imgs[@]}" > /dev/null 2>&1 ||
		die "stock mkfs failed"
	attach
	for ((i = 0; i < data_mb / 64; i++)); do
		head -c 64M /dev/urandom > "$mnt/f$i" || die "write failed"
	done
	sync
	detach
}

[ -f "${imgs[ndev - 1]}" ] || make_images

drop_caches
t_ours=$(elapsed "$ours" scrub start -r -R "${imgs[@]}")
cp "$tmp/out" "$tmp/ours.out"
b_ours=$(scrubbed_bytes "$tmp/ours.out")

attach
drop_caches
t_kern=$(elapsed "$stock" scrub start -B -R "$mnt")
cp "$tmp/out" "$tmp/kernel.out"
b_kern=$(scrubbed_bytes "$tmp/kernel.out")
detach

echo "RAID6 on ${ndev} x ${size_mb} MiB image files, $(nproc) CPUs"
printf '%-36s %12s %9s %10s\n' "" "bytes" "seconds" "MB/s"
printf '%-36s %12d %9.2f %10.1f\n' "ours: btrfs scrub start -r" \
	"$b_ours" "$t_ours" "$(mbps "$b_ours" "$t_ours")"
printf '%-36s %12d %9.2f %10.1f\n' "kernel: btrfs scrub start -B" \
	"$b_kern" "$t_kern" "$(mbps "$b_kern" "$t_kern")"
printf 'ours / kernel wall time: %.2f\n' "$(echo "$t_ours / $t_kern" | bc -l)"
