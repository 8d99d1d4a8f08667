#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Times our "btrfs inspect-internal dump-tree IMAGE > /dev/null" against
# stock btrfs-progs on a large image the kernel wrote (about 200,000 files
# in nested directories, some large files, a snapshot).  The image is made
# once and kept; later runs reuse it.  See bench/README.md.
#
#   bench/dump-tree.sh [IMAGE]
#
# Environment (defaults in brackets):
#   BENCH_IMAGE  the image file [/var/tmp/btrfs-dax-bench.img]
#   BENCH_SIZE   its size when made [4G]
#   BENCH_FILES  how many small files it gets [200000]
#   BENCH_RUNS   timed runs of each tool [5]
#   BENCH_TIMER  hyperfine or time [hyperfine when installed]
#   OUR_BTRFS    our btrfs [./btrfs at the top of the tree]
#   STOCK_BTRFS  stock btrfs [/usr/bin/btrfs]
#   STOCK_MKFS   stock mkfs.btrfs [/usr/sbin/mkfs.btrfs]

set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
image=${1:-${BENCH_IMAGE:-/var/tmp/btrfs-dax-bench.img}}
size=${BENCH_SIZE:-4G}
nfiles=${BENCH_FILES:-200000}
runs=${BENCH_RUNS:-5}
timer=${BENCH_TIMER:-}
ours=${OUR_BTRFS:-$top/btrfs}
stock=${STOCK_BTRFS:-/usr/bin/btrfs}
mkfs=${STOCK_MKFS:-/usr/sbin/mkfs.btrfs}
tmp=
mnt=
loop=

# shellcheck source=bench/lib.sh
. "$top/bench/lib.sh"

# ------------------------------------------------------------ the image

check_can_build() {
	[ "$(id -u)" = 0 ] || die "making $image needs root (mount, loop devices)"
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null
	grep -qw btrfs /proc/filesystems || die "the kernel has no btrfs"
	losetup -f >/dev/null 2>&1 || die "no free loop device"
	[ -x "$mkfs" ] || die "stock mkfs.btrfs not found at $mkfs"
}

# fill_small DIR COUNT: small files, 1000 a directory, three levels deep;
# every fourth has a little data (inline), the rest are empty.
fill_small() {
	local root=$1 count=$2 i d
	for ((i = 0; i < count; i++)); do
		if [ $((i % 1000)) -eq 0 ]; then
			d=$root/t$((i / 100000))/h$((i / 10000 % 10))/k$((i / 1000 % 10))
			mkdir -p "$d"
		fi
		if [ $((i % 4)) -eq 0 ]; then
			printf 'file %d\n' "$i" > "$d/f$i"
		else
			: > "$d/f$i"
		fi
	done
}

# fill_large DIR: a few large files, one rewritten in small pieces so it has
# many extents.
fill_large() {
	local dir=$1/large i
	mkdir -p "$dir"
	for i in 1 2 3; do
		head -c 64M /dev/urandom > "$dir/big-$i"
	done
	for ((i = 0; i < 2000; i++)); do
		dd if=/dev/zero of="$dir/big-1" bs=4K count=1 seek=$((i * 7)) \
		   conv=notrunc status=none
		[ $((i % 200)) -eq 0 ] && sync
	done
}

make_image() {
	local t0=$SECONDS
	check_can_build
	echo "making $image ($size, $nfiles files); this takes a minute or two"
	mkdir -p "$(dirname "$image")"
	rm -f "$image" "$image.tmp"
	truncate -s "$size" "$image.tmp" || die "cannot create $image.tmp"
	"$mkfs" -q -f "$image.tmp" >/dev/null || die "mkfs.btrfs failed"
	tmp=$(mktemp -d /tmp/btrfs-dax-bench.XXXXXX)
	mnt=$tmp/mnt
	mkdir "$mnt"
	loop=$(losetup -f --show "$image.tmp") || die "losetup failed"
	mount -t btrfs "$loop" "$mnt" || die "cannot mount $loop"
	"$stock" -q subvolume create "$mnt/data" >/dev/null || die "subvolume create failed"
	fill_small "$mnt/data" "$nfiles"
	fill_large "$mnt/data"
	"$stock" -q subvolume snapshot "$mnt/data" "$mnt/snap" >/dev/null ||
		die "snapshot failed"
	rm -rf "$mnt/snap/t0/h0"
	fill_small "$mnt/snap/new" 5000
	sync
	umount "$mnt" || die "cannot unmount $mnt"
	mnt=
	losetup -d "$loop"
	loop=
	mv "$image.tmp" "$image"
	echo "made $image in $((SECONDS - t0))s"
}

# ------------------------------------------------------------ measuring

# same_output: both tools must print the same; a warning otherwise.
same_output() {
	local d
	d=$(mktemp -d /tmp/btrfs-dax-bench.XXXXXX)
	"$stock" inspect-internal dump-tree "$image" > "$d/stock" 2>/dev/null
	"$ours" inspect-internal dump-tree "$image" > "$d/ours" 2>/dev/null
	if cmp -s "$d/stock" "$d/ours"; then
		echo "outputs identical ($(wc -l < "$d/stock") lines)"
	else
		echo "WARNING: the outputs differ; first difference:"
		diff "$d/stock" "$d/ours" | head -n 6
	fi
	rm -rf "$d"
}

# peak_rss TOOL: the largest peak RSS (KiB) of a few runs, by GNU time.
peak_rss() {
	local i kib max=0
	for ((i = 0; i < 3; i++)); do
		kib=$(/usr/bin/time -f '%M' "$1" inspect-internal dump-tree "$image" \
			2>&1 >/dev/null | tail -n 1)
		[ "$kib" -gt "$max" ] 2>/dev/null && max=$kib
	done
	echo "$max"
}

# seconds_hyperfine: "stock-mean ours-mean" measured by hyperfine.
seconds_hyperfine() {
	local csv
	csv=$(mktemp /tmp/btrfs-dax-bench.XXXXXX)
	hyperfine --style basic --warmup 1 --runs "$runs" --export-csv "$csv" \
		-n stock "$stock inspect-internal dump-tree '$image' > /dev/null" \
		-n ours "$ours inspect-internal dump-tree '$image' > /dev/null" >&2
	awk -F, '$1 == "stock" { s = $2 } $1 == "ours" { o = $2 }
		END { print s, o }' "$csv"
	rm -f "$csv"
}

# seconds_time TOOL: mean wall time of $runs runs (after one warm-up).
seconds_time() {
	local i total=0 t
	"$1" inspect-internal dump-tree "$image" > /dev/null 2>&1
	for ((i = 0; i < runs; i++)); do
		t=$(/usr/bin/time -f '%e' "$1" inspect-internal dump-tree "$image" \
			2>&1 >/dev/null | tail -n 1)
		total=$(awk -v a="$total" -v b="$t" 'BEGIN { print a + b }')
	done
	awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.3f\n", t / n }'
}

report() {
	local s_sec=$1 o_sec=$2 s_rss=$3 o_rss=$4
	awk -v ss="$s_sec" -v os="$o_sec" -v sr="$s_rss" -v orss="$o_rss" 'BEGIN {
		printf "%-6s %12s %14s\n", "tool", "seconds", "peak RSS MiB"
		printf "%-6s %12.3f %14.1f\n", "stock", ss, sr / 1024
		printf "%-6s %12.3f %14.1f\n", "ours", os, orss / 1024
		if (os > 0)
			printf "speed ratio stock/ours: %.2fx\n", ss / os
		if (orss > 0)
			printf "memory ratio stock/ours: %.2fx\n", sr / orss
	}'
}

main() {
	local s_sec o_sec s_rss o_rss
	[ -x "$ours" ] || die "our btrfs not found at $ours (run make)"
	[ -x "$stock" ] || die "stock btrfs not found at $stock"
	[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
	if [ -f "$image" ]; then
		echo "using $image (remove it to make a new one)"
	else
		make_image
	fi
	same_output
	if [ -z "$timer" ]; then
		timer='time'
		command -v hyperfine >/dev/null 2>&1 && timer=hyperfine
	fi
	if [ "$timer" = hyperfine ]; then
		echo "timing with hyperfine, $runs runs each"
		read -r s_sec o_sec < <(seconds_hyperfine)
	else
		echo "timing with /usr/bin/time, $runs runs each"
		s_sec=$(seconds_time "$stock")
		o_sec=$(seconds_time "$ours")
	fi
	s_rss=$(peak_rss "$stock")
	o_rss=$(peak_rss "$ours")
	report "$s_sec" "$o_sec" "$s_rss" "$o_rss"
}

main
