#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Times our "btrfs check" against stock "btrfs check --readonly" on a large
# filesystem the kernel wrote (over 500,000 inodes, hard links, thousands of
# extents made by interleaved direct appends, reflinked copies, three
# snapshots changed between each other), cold cache and warm, on all CPUs
# and pinned to one, and prints wall time and peak RSS of each with the
# ratios; "warm 1 thread" is ours on all CPUs without its read-ahead
# threads (BTRFS_CHECK_THREADS=1) against the same stock run as "warm".  The image is made once
# and kept; later runs reuse it.  See bench/README.md.
#
#   bench/check.sh
#
# Environment (defaults in brackets):
#   BENCH_CHECK_DIR   directory of the cached image [/var/tmp/btrfs-dax-bench-check]
#   BENCH_FILES       small files in a new image [500000]
#   BENCH_FRAG_BLOCKS 4 KiB direct appends spread over 8 files [65536]
#   BENCH_RUNS        timed warm runs of each case [3]
#   BENCH_COLD_RUNS   timed cold-cache runs of each tool [1]
#   OUR_BTRFS         our btrfs [./btrfs at the top of the tree]
#   OUR_MKFS          our mkfs.btrfs, to format a new image [./mkfs.btrfs]
#   STOCK_BTRFS       stock btrfs [/usr/bin/btrfs]
#   CC                the compiler for the filler [cc]

set -u
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_CHECK_DIR:-/var/tmp/btrfs-dax-bench-check}
nfiles=${BENCH_FILES:-500000}
nfrag=${BENCH_FRAG_BLOCKS:-65536}
runs=${BENCH_RUNS:-3}
cold_runs=${BENCH_COLD_RUNS:-1}
ours=${OUR_BTRFS:-$top/btrfs}
mkfs=${OUR_MKFS:-$top/mkfs.btrfs}
stock=${STOCK_BTRFS:-/usr/bin/btrfs}
image=$dir/check-$nfiles-$nfrag.img
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
	[ -x "$mkfs" ] || die "our mkfs.btrfs not found at $mkfs (run make)"
	command -v "${CC:-cc}" >/dev/null || die "no C compiler for the filler"
	command -v cp >/dev/null || die "no cp"
}

# change DIR SEED: what happens between two snapshots: a directory goes,
# new files come, a fragmented file is partly rewritten, one is reflinked.
change() {
	local d=$1 s=$2 i
	rm -rf "$d/d0/e$s"
	mkdir -p "$d/new$s"
	"$tmp/check-fill" "$d/new$s" 3000 0 0 || die "the filler failed"
	for ((i = 0; i < 200; i++)); do
		dd if=/dev/urandom of="$d/frag/g$s" bs=4K count=1 \
		   seek=$(((i * 37 + s) % (nfrag / 8))) conv=notrunc status=none
	done
	cp --reflink=always "$d/frag/g$((s + 4))" "$d/frag/copy$s" ||
		die "cp --reflink failed"
}

make_image() {
	local t0=$SECONDS s
	check_can_build
	echo "making $image ($nfiles files, $nfrag fragment blocks); a few minutes"
	mkdir -p "$dir" || die "cannot make $dir"
	rm -f "$image" "$image.tmp"
	tmp=$(mktemp -d /tmp/btrfs-dax-bench-check.XXXXXX)
	"${CC:-cc}" -O2 -o "$tmp/check-fill" "$top/bench/check-fill.c" ||
		die "cannot build the filler"
	truncate -s 16G "$image.tmp" || die "cannot create $image.tmp"
	"$mkfs" -q -f "$image.tmp" >/dev/null || die "mkfs.btrfs failed"
	mnt=$tmp/mnt
	mkdir "$mnt"
	loop=$(losetup -f --show "$image.tmp") || die "losetup failed"
	mount -t btrfs "$loop" "$mnt" || die "cannot mount $loop"
	"$stock" -q subvolume create "$mnt/data" >/dev/null ||
		die "subvolume create failed"
	"$tmp/check-fill" "$mnt/data" "$nfiles" 8 "$nfrag" || die "the filler failed"
	for s in 0 1 2 3; do
		cp --reflink=always "$mnt/data/frag/g$s" "$mnt/data/frag/r$s" ||
			die "cp --reflink failed"
	done
	for s in 1 2 3; do
		sync
		"$stock" -q subvolume snapshot "$mnt/data" "$mnt/snap$s" \
			>/dev/null || die "snapshot failed"
		change "$mnt/data" "$s"
	done
	sync
	umount "$mnt" || die "cannot unmount $mnt"
	mnt=
	losetup -d "$loop"
	loop=
	mv "$image.tmp" "$image"
	echo "made $image in $((SECONDS - t0))s ($(du -h "$image" | cut -f1) used)"
}

# ------------------------------------------------------------ measuring

# measure MODE PIN TOOL ARGS...: "seconds KiB cpu-seconds" of one run; MODE cold drops
# the page cache first; PIN 1 runs it on CPU 0 only.
measure() {
	local mode=$1 pin=$2 out
	shift 2
	out=$(mktemp /tmp/btrfs-dax-bench-check.XXXXXX)
	[ "$mode" = cold ] && drop_caches
	if [ "$pin" = 1 ]; then
		/usr/bin/time -f '%e %M %U %S' -o "$out" taskset -c 0 "$@" >/dev/null 2>&1
	else
		/usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >/dev/null 2>&1
	fi
	tail -n 1 "$out" | awk '{ print $1, $2, $3 + $4 }'
	rm -f "$out"
}

# series MODE PIN RUNS TOOL ARGS...: "median-seconds max-KiB median-cpu"
# over RUNS runs.
series() {
	local mode=$1 pin=$2 n=$3 i f t c m
	shift 3
	f=$(mktemp /tmp/btrfs-dax-bench-check.XXXXXX)
	for ((i = 0; i < n; i++)); do
		measure "$mode" "$pin" "$@"
	done > "$f"
	t=$(sort -n -k1,1 "$f" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	c=$(sort -n -k3,3 "$f" | awk '{ v[NR] = $3 } END { print v[int((NR + 1) / 2)] }')
	m=$(awk '$2 > m { m = $2 } END { print m }' "$f")
	rm -f "$f"
	echo "$t $m $c"
}

# sanity: both tools run once (this also warms the cache); shows their verdicts.
sanity() {
	local d rc_s rc_o
	d=$(mktemp -d /tmp/btrfs-dax-bench-check.XXXXXX)
	"$stock" check --readonly "$image" > "$d/stock" 2>&1
	rc_s=$?
	"$ours" check "$image" > "$d/ours" 2>&1
	rc_o=$?
	echo "stock: exit $rc_s, $(grep -m1 '^found' "$d/stock")"
	echo "ours:  exit $rc_o, $(grep -m1 '^found' "$d/ours")"
	if [ "$rc_s" != 0 ] || [ "$rc_o" != 0 ]; then
		echo "WARNING: not both clean; first lines of the problems:"
		grep -E '^(ERROR|WARNING|error)' "$d/stock" | head -n 3 | sed 's/^/  stock: /'
		grep -E '^(ERROR|WARNING|error)' "$d/ours" | head -n 3 | sed 's/^/  ours:  /'
	fi
	rm -rf "$d"
}

# row CASE STOCK-S STOCK-KIB STOCK-CPU OURS-S OURS-KIB OURS-CPU
row() {
	awk -v c="$1" -v ss="$2" -v sr="$3" -v sc="$4" -v os="$5" -v orss="$6" \
	    -v oc="$7" 'BEGIN {
		printf "%-13s %7.2f %7.2f %6.2fx %7.2f %7.2f %6.2fx %9.1f %8.1f %6.2fx\n",
			c, ss, os, (os > 0 ? ss / os : 0), sc, oc,
			(oc > 0 ? sc / oc : 0), sr / 1024, orss / 1024,
			(orss > 0 ? sr / orss : 0)
	}'
}

main() {
	local s o cold=1
	[ -x "$ours" ] || die "our btrfs not found at $ours (run make)"
	[ -x "$stock" ] || die "stock btrfs not found at $stock"
	[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time)"
	command -v taskset >/dev/null || die "taskset not found (util-linux)"
	if [ -f "$image" ]; then
		echo "using $image (remove it to make a new one)"
	else
		make_image
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "not root: cannot drop caches, cold runs left out"
		cold=0
	fi
	sanity
	echo "cold: $cold_runs run(s) each after dropping caches;" \
	     "warm: median of $runs runs"
	echo "wall and CPU (user + system) seconds, peak RSS MiB; ratios are stock/ours"
	printf "%-13s %7s %7s %7s %7s %7s %7s %9s %8s %7s\n" case stock-s ours-s \
		speed stock-c ours-c cpu stock-MiB ours-MiB memory
	if [ "$cold" = 1 ]; then
		s=$(series cold 0 "$cold_runs" "$stock" check --readonly "$image")
		o=$(series cold 0 "$cold_runs" "$ours" check "$image")
		row cold $s $o
		s=$(series cold 1 "$cold_runs" "$stock" check --readonly "$image")
		o=$(series cold 1 "$cold_runs" "$ours" check "$image")
		row "cold 1 core" $s $o
	fi
	"$ours" check "$image" >/dev/null 2>&1
	s=$(series warm 0 "$runs" "$stock" check --readonly "$image")
	o=$(series warm 0 "$runs" "$ours" check "$image")
	row warm $s $o
	o=$(series warm 0 "$runs" env BTRFS_CHECK_THREADS=1 "$ours" check "$image")
	row "warm 1 thread" $s $o
	s=$(series warm 1 "$runs" "$stock" check --readonly "$image")
	o=$(series warm 1 "$runs" "$ours" check "$image")
	row "warm 1 core" $s $o
	echo "above 1 means ours is faster or smaller"
}

main
