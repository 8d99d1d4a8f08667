#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Scrub throughput on a multi-GiB image the kernel wrote, side by side:
#   raw     dd iflag=direct bs=4M of the whole image file (the ceiling)
#   ours    btrfs scrub start -r IMAGE (offline, this project)
#   kernel  stock btrfs scrub start -B -R on a loop mount of the same image
# Page cache is dropped before each (echo 3 > /proc/sys/vm/drop_caches).
# MB/s is bytes read / wall time; for the scrubs, bytes read are their own
# data_bytes_scrubbed + tree_bytes_scrubbed.  Needs root.
#
#   bench/scrub.sh [IMAGE]
#
# Environment (defaults in brackets):
#   BENCH_IMAGE  the image [/var/tmp/btrfs-dax-scrub-bench.img], made once:
#                the file filled with random bytes (so the raw read reads
#                real blocks, not holes), our mkfs, then the kernel writes
#                BENCH_DATA_MB of files (a quarter in a NODATASUM directory)
#   BENCH_SIZE_MB  image size when made [4096]
#   BENCH_DATA_MB  data written when made [3072]
#   OUR_BTRFS, OUR_MKFS, STOCK_BTRFS

set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-${BENCH_IMAGE:-/var/tmp/btrfs-dax-scrub-bench.img}}
size_mb=${BENCH_SIZE_MB:-4096}
data_mb=${BENCH_DATA_MB:-3072}
ours=${OUR_BTRFS:-$top/btrfs}
our_mkfs=${OUR_MKFS:-$top/mkfs.btrfs}
stock=${STOCK_BTRFS:-/usr/bin/btrfs}
tmp=$(mktemp -d /tmp/bench-scrub.XXXXXX)
mnt=
loop=

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (drop_caches, loop mounts)"
export BTRFS_DAX_SCRUB_STATUS_DIR=$tmp
[ -x "$ours" ] || die "$ours not built"
grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null
grep -qw btrfs /proc/filesystems || die "the kernel has no btrfs"

mount_image() {
	loop=$(losetup -f --show "$image") || die "losetup failed"
	mnt=$tmp/mnt
	mkdir -p "$mnt"
	mount -t btrfs "$loop" "$mnt" || die "cannot mount $image"
}

umount_image() {
	umount "$mnt" && mnt=
	losetup -d "$loop" && loop=
}

make_image() {
	local i n each
	echo "making $image: ${size_mb} MiB, ${data_mb} MiB of files"
	dd if=/dev/urandom of="$image" bs=4M count=$((size_mb / 4)) status=none ||
		die "cannot write $image"
	"$our_mkfs" -q -f "$image" || die "mkfs failed"
	mount_image
	mkdir "$mnt/nodatasum" && chattr +C "$mnt/nodatasum"
	each=256
	n=$((data_mb / each))
	for ((i = 0; i < n; i++)); do
		if ((i % 4 == 3)); then
			f=$mnt/nodatasum/f$i
		else
			f=$mnt/f$i
		fi
		head -c $((each << 20)) /dev/urandom > "$f" || die "write failed"
	done
	sync
	umount_image
}

[ -f "$image" ] || make_image
command -v bc > /dev/null || die "bc not found"

drop_caches
t_raw=$(elapsed dd if="$image" of=/dev/null bs=4M iflag=direct)
b_raw=$(stat -c %s "$image")

drop_caches
t_ours=$(elapsed "$ours" scrub start -r -R "$image")
cp "$tmp/out" "$tmp/ours.out"
b_ours=$(scrubbed_bytes "$tmp/ours.out")

mount_image
drop_caches
t_kern=$(elapsed "$stock" scrub start -B -R "$mnt")
cp "$tmp/out" "$tmp/kernel.out"
b_kern=$(scrubbed_bytes "$tmp/kernel.out")
umount_image

r_raw=$(mbps "$b_raw" "$t_raw")
r_ours=$(mbps "$b_ours" "$t_ours")
r_kern=$(mbps "$b_kern" "$t_kern")

echo "image: $image ($((b_raw >> 20)) MiB), $(nproc) CPUs"
printf '%-32s %12s %9s %10s %14s\n' "" "bytes" "seconds" "MB/s" "vs raw read"
printf '%-32s %12d %9.2f %10.1f %13.1f%%\n' "raw read (dd iflag=direct 4M)" \
	"$b_raw" "$t_raw" "$r_raw" 100
printf '%-32s %12d %9.2f %10.1f %13.1f%%\n' "ours: btrfs scrub start -r" \
	"$b_ours" "$t_ours" "$r_ours" "$(echo "100 * $r_ours / $r_raw" | bc -l)"
printf '%-32s %12d %9.2f %10.1f %13.1f%%\n' "kernel: btrfs scrub start -B" \
	"$b_kern" "$t_kern" "$r_kern" "$(echo "100 * $r_kern / $r_raw" | bc -l)"
printf 'ours / kernel throughput: %.2f\n' "$(echo "$r_ours / $r_kern" | bc -l)"
printf 'ours: nodatasum bytes read %s, of them DAX %s\n' \
	"$(awk '$1 == "nodatasum_bytes_read:" { print $2 }' "$tmp/ours.out")" \
	"$(awk '$1 == "dax_bytes_read:" { print $2 }' "$tmp/ours.out")"
