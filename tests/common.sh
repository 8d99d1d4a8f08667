# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers for tests/cli/*.sh and tests/run-tests.sh.
#
# A test script sources this file, calls test_init NAME, asks for images by
# name (image_get), compares our ./btrfs with stock btrfs-progs
# (compare_output, compare_failure) and ends with test_done.  Every result
# is one line on stdout: "PASS name", "FAIL name (why)" or
# "SKIP name: reason".
#
# Images live under $TEST_WORKDIR/images.  tests/run-tests.sh creates that
# directory once per run and shares it with every script, so each image is
# built once; a script run on its own makes (and removes) its own.  Loop
# devices and mounts are written down in $TEST_WORKDIR so that whoever owns
# the directory can undo them at exit, even after a script was killed.
#
# Environment:
#   OUR_BTRFS         our btrfs (default: ./btrfs at the top of the tree)
#   STOCK_BTRFS       stock btrfs-progs 6.2 btrfs (default /usr/bin/btrfs)
#   STOCK_MKFS        stock mkfs.btrfs (default /usr/sbin/mkfs.btrfs)
#   STOCK_BTRFSTUNE   stock btrfstune (default /usr/bin/btrfstune)
#   STOCK_MAP_LOGICAL stock btrfs-map-logical
#   TEST_WORKDIR      shared scratch directory (set by run-tests.sh)
#   TEST_OUT_DIR      where failures are kept (default tests/out)
#   TEST_VERBOSE      1: show the first lines of each failure's output
#   TEST_SHOW_MAX     ... of at most this many failures a script (10)
#   TEST_TIMEOUT      seconds one run of our tool may take (default 600)
#   TEST_TZ           time zone both tools run in

set -u
export LC_ALL=C
# A zone with an offset and summer time: timestamps must come out in local
# time exactly as stock prints them, not in UTC.
export TZ=${TEST_TZ:-EST5EDT,M3.2.0,M11.1.0}

TEST_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUR_BTRFS=${OUR_BTRFS:-$TEST_TOP/btrfs}
STOCK_BTRFS=${STOCK_BTRFS:-/usr/bin/btrfs}
STOCK_MKFS=${STOCK_MKFS:-/usr/sbin/mkfs.btrfs}
STOCK_BTRFSTUNE=${STOCK_BTRFSTUNE:-/usr/bin/btrfstune}
STOCK_MAP_LOGICAL=${STOCK_MAP_LOGICAL:-/usr/bin/btrfs-map-logical}
TEST_OUT_DIR=${TEST_OUT_DIR:-$TEST_TOP/tests/out}
TEST_VERBOSE=${TEST_VERBOSE:-0}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
TEST_SHOW_MAX=${TEST_SHOW_MAX:-10}
TEST_NAME=${TEST_NAME:-test}
TEST_FAILURES=0

# ---------------------------------------------------------------- results

pass() { echo "PASS $1"; }
skip() { echo "SKIP $1: $2"; }

# fail NAME [WHY [FILE]]: FILE is shown (first 40 lines) when verbose, for
# the first TEST_SHOW_MAX failures.
fail() {
	TEST_FAILURES=$((TEST_FAILURES + 1))
	if [ -n "${2:-}" ]; then
		echo "FAIL $1 ($2)"
	else
		echo "FAIL $1"
	fi
	[ "$TEST_VERBOSE" = 1 ] && [ -n "${3:-}" ] && [ -s "$3" ] || return 0
	if [ "$TEST_FAILURES" -le "$TEST_SHOW_MAX" ]; then
		head -n 40 "$3" | sed 's/^/    /'
	elif [ "$TEST_FAILURES" -eq $((TEST_SHOW_MAX + 1)) ]; then
		echo "    (output of further failures only in ${TEST_OUT_DIR#"$TEST_TOP"/}/)"
	fi
}

test_done() {
	[ "$TEST_FAILURES" -eq 0 ] || exit 1
	exit 0
}

# Turns a result name into a file name.
safe_name() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9._=+-' '_' | cut -c1-150
}

# ------------------------------------------------- scratch dir and cleanup

# Creates $TEST_WORKDIR unless a parent (run-tests.sh) already did; the
# creator removes it at exit.
work_init() {
	if [ -n "${TEST_WORKDIR:-}" ] && [ -d "$TEST_WORKDIR" ]; then
		mkdir -p "$TEST_WORKDIR/images"
		return 0
	fi
	TEST_WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/btrfs-dax-tests.XXXXXX") || {
		echo "cannot create a scratch directory" >&2
		exit 1
	}
	export TEST_WORKDIR
	mkdir -p "$TEST_WORKDIR/images"
	trap work_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # called through the EXIT trap
work_cleanup() {
	[ -n "${TEST_WORKDIR:-}" ] && [ -d "$TEST_WORKDIR" ] || return 0
	local m d
	if [ -f "$TEST_WORKDIR/mounts" ]; then
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done < <(tac "$TEST_WORKDIR/mounts")
	fi
	if [ -f "$TEST_WORKDIR/loops" ]; then
		while read -r d; do
			"$STOCK_BTRFS" device scan --forget "$d" >/dev/null 2>&1
			losetup -d "$d" 2>/dev/null
		done < "$TEST_WORKDIR/loops"
	fi
	rm -rf --one-file-system "$TEST_WORKDIR"
}

# list_drop FILE LINE: removes LINE from a bookkeeping list.
list_drop() {
	[ -f "$1" ] || return 0
	grep -vxF -- "$2" "$1" > "$1.new"
	mv "$1.new" "$1"
}

# ----------------------------------------------------- loop devices, mounts

# Prints the reason the kernel cannot be used, or nothing (and fails).
why_no_kernel() {
	local t
	if [ "$(id -u)" != 0 ]; then
		echo "needs root (loop devices, mount)"
		return 0
	fi
	for t in losetup mount umount "$STOCK_BTRFS"; do
		command -v "$t" >/dev/null 2>&1 || { echo "'$t' not found"; return 0; }
	done
	grep -qw btrfs /proc/filesystems || modprobe btrfs >/dev/null 2>&1
	if ! grep -qw btrfs /proc/filesystems; then
		echo "the kernel has no btrfs"
		return 0
	fi
	if ! losetup -f >/dev/null 2>&1; then
		echo "no free loop device"
		return 0
	fi
	return 1
}

# loop_attach FILE [LOSETUP-OPTION...]: prints the new loop device.
loop_attach() {
	local dev file=$1
	shift
	dev=$(losetup "$@" -f --show "$file") || return 1
	echo "$dev" >> "$TEST_WORKDIR/loops"
	echo "$dev"
}

loop_detach() {
	"$STOCK_BTRFS" device scan --forget "$1" >/dev/null 2>&1
	losetup -d "$1" && list_drop "$TEST_WORKDIR/loops" "$1"
}

# fs_mount DEV DIR [OPTIONS]
fs_mount() {
	mkdir -p "$2"
	mount -t btrfs ${3:+-o "$3"} "$1" "$2" || return 1
	echo "$2" >> "$TEST_WORKDIR/mounts"
}

fs_umount() {
	umount "$1" && list_drop "$TEST_WORKDIR/mounts" "$1"
}

# --------------------------------------------------------- image catalogue

# Images made by stock mkfs.btrfs only (no root needed).
# shellcheck disable=SC2034  # used by the scripts that source this file
IMAGES_MKFS="default csum-crc32c csum-xxhash csum-sha256 csum-blake2 label
label-max metadata-uuid fsid-changed mixed nodesize-4k nodesize-64k dup
single raid0 raid1 raid10 raid56 raid1c4 quota no-fst holes no-skinny
no-extref bgt big rootdir rootdir-4k"
# Images the running kernel wrote into (root, loop devices, kernel btrfs).
# shellcheck disable=SC2034
IMAGES_KERNEL="kernel kernel-4k kernel-mixed kernel-raid kernel-log"

# image_recipe NAME: sets R_SIZE, R_COUNT, R_MKFS (array), R_TUNE (array),
# R_ROOTDIR (0/1), R_KERNEL (0/1), R_EMPTY (how many extra empty files the
# kernel workload makes: enough gives a 16 KiB fs tree three levels),
# R_GROW (1: mkfs leaves out the last device, the kernel adds it and
# converts the profiles by a balance) and R_LOG (1: the image is copied as a
# crash would leave it, with a log tree).
image_recipe() {
	R_SIZE=256M R_COUNT=1 R_MKFS=() R_TUNE=() R_ROOTDIR=0 R_KERNEL=0 R_EMPTY=0
	R_GROW=0 R_LOG=0
	case "$1" in
	default)	;;
	csum-*)		R_MKFS=(--csum "${1#csum-}") ;;
	label)		R_MKFS=(-L "btrfs dax test label") ;;
	label-max)	R_MKFS=(-L "$(printf 'L%.0s' $(seq 255))") ;;
	metadata-uuid)	R_TUNE=(-m) ;;
	fsid-changed)	R_TUNE=(-f -U 01234567-89ab-cdef-0123-456789abcdef) ;;
	mixed)		R_MKFS=(-M) ;;
	nodesize-4k)	R_MKFS=(-n 4096) ;;
	nodesize-64k)	R_MKFS=(-n 65536) ;;
	dup)		R_MKFS=(-m dup -d dup) ;;
	single)		R_MKFS=(-m single -d single) ;;
	raid0)		R_COUNT=4 R_MKFS=(-m raid1 -d raid0) ;;
	raid1)		R_COUNT=4 R_MKFS=(-m raid1c3 -d raid1) ;;
	raid10)		R_COUNT=4 R_MKFS=(-m raid10 -d raid10) ;;
	raid56)		R_COUNT=4 R_MKFS=(-m raid6 -d raid5) ;;
	raid1c4)	R_COUNT=4 R_MKFS=(-m raid1c4 -d single --csum xxhash) ;;
	quota)		R_MKFS=(-R quota) ;;
	no-fst)		R_MKFS=(-R ^free-space-tree) ;;
	holes)		R_MKFS=(-O ^no-holes) ;;
	no-skinny)	R_MKFS=(-O ^skinny-metadata) ;;
	no-extref)	R_MKFS=(-O ^extref) ;;
	bgt)		R_MKFS=(-O block-group-tree) ;;
	big)		R_SIZE=300G ;;
	rootdir)	R_ROOTDIR=1 R_SIZE=512M ;;
	rootdir-4k)	R_ROOTDIR=1 R_SIZE=512M R_MKFS=(-n 4096 --csum sha256) ;;
	kernel)		R_KERNEL=1 R_SIZE=1G R_EMPTY=40000 ;;
	kernel-4k)	R_KERNEL=1 R_SIZE=1G
			R_MKFS=(-n 4096 --csum xxhash -O "^no-holes,^skinny-metadata") ;;
	kernel-mixed)	R_KERNEL=1 R_SIZE=1G R_MKFS=(-M --csum sha256) ;;
	kernel-raid)	R_KERNEL=1 R_SIZE=512M R_COUNT=4 R_GROW=1
			R_MKFS=(-m raid1c3 -d raid1 --csum blake2) ;;
	kernel-log)	R_KERNEL=1 R_SIZE=512M R_LOG=1 ;;
	*)		return 1 ;;
	esac
}

# image_files NAME: the image's file names, one per line.
image_files() {
	local i dir=$TEST_WORKDIR/images
	if [ "$R_COUNT" -eq 1 ]; then
		echo "$dir/$1.img"
		return
	fi
	for ((i = 0; i < R_COUNT; i++)); do
		echo "$dir/$1.$i.img"
	done
}

# image_get NAME: sets IMAGE_DEVS (array) to the files of a catalogued
# image, building it first if this run has not.  On failure sets IMAGE_WHY
# and returns 1.
image_get() {
	IMAGE_DEVS=() IMAGE_WHY=
	if ! image_recipe "$1"; then
		IMAGE_WHY="no recipe for image '$1'"
		return 1
	fi
	image_ensure "$1"
}

# make_image NAME SIZE [MKFS-OPTION...]: an image outside the catalogue,
# made once per run by stock mkfs.btrfs; prints its path.
make_image() {
	R_SIZE=$2 R_COUNT=1 R_MKFS=("${@:3}") R_TUNE=() R_ROOTDIR=0 R_KERNEL=0
	R_EMPTY=0 R_GROW=0 R_LOG=0
	image_ensure "$1" || { echo "$IMAGE_WHY" >&2; return 1; }
	echo "${IMAGE_DEVS[0]}"
}

# image_ensure NAME: builds image NAME from the loaded recipe unless this
# run already did (or failed to).
image_ensure() {
	local name=$1 dir=$TEST_WORKDIR/images
	mapfile -t IMAGE_DEVS < <(image_files "$name")
	[ -f "$dir/$name.ok" ] && return 0
	# Scripts may run in parallel: one builds, the others wait for it.
	(
		flock 9
		[ -f "$dir/$name.ok" ] || [ -f "$dir/$name.fail" ] && exit 0
		local t0=$SECONDS why
		if why=$(image_build "$name" 2>>"$dir/$name.log"); then
			echo "$name $((SECONDS - t0))" > "$dir/$name.time"
			touch "$dir/$name.ok"
		else
			echo "$why" > "$dir/$name.fail"
		fi
	) 9> "$dir/$name.lock"
	if [ ! -f "$dir/$name.ok" ]; then
		IMAGE_WHY=$(cat "$dir/$name.fail" 2>/dev/null)
		IMAGE_WHY=${IMAGE_WHY:-could not build image $name}
		return 1
	fi
}

# image_build NAME: the recipe is loaded; prints why it failed.
image_build() {
	local name=$1 f why
	local -a devs opts=("${R_MKFS[@]}")
	if [ "$R_KERNEL" = 1 ] && why=$(why_no_kernel); then
		echo "$why"
		return 1
	fi
	mapfile -t devs < <(image_files "$name")
	for f in "${devs[@]}"; do
		rm -f "$f"
		truncate -s "$R_SIZE" "$f" || { echo "cannot create $f"; return 1; }
	done
	if [ "$R_ROOTDIR" = 1 ]; then
		rootdir_populate "$TEST_WORKDIR/images/$name.root"
		opts+=(--rootdir "$TEST_WORKDIR/images/$name.root")
	fi
	if [ "$R_GROW" = 1 ]; then
		image_mkfs "$name" "${opts[@]}" -- "${devs[@]:0:${#devs[@]}-1}" || return 1
	else
		image_mkfs "$name" "${opts[@]}" -- "${devs[@]}" || return 1
	fi
	if [ "$R_KERNEL" = 1 ]; then
		kernel_workload "${devs[@]}" || return 1
	fi
}

# image_mkfs NAME MKFS-OPTIONS... -- FILES...
image_mkfs() {
	local name=$1 log=$TEST_WORKDIR/images/$1.mkfs
	shift
	local -a opts=()
	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	if ! "$STOCK_MKFS" -f "${opts[@]}" "$@" > "$log" 2>&1; then
		echo "stock mkfs.btrfs ${opts[*]} failed: $(grep -m1 ERROR "$log")"
		return 1
	fi
	if [ "${#R_TUNE[@]}" -gt 0 ] &&
	   ! "$STOCK_BTRFSTUNE" "${R_TUNE[@]}" "$1" >> "$log" 2>&1 < /dev/null; then
		echo "stock btrfstune ${R_TUNE[*]} failed: $(tail -n 1 "$log")"
		return 1
	fi
}

# ------------------------------------------------ contents without kernel

# Deterministic bytes that look random: garbage_bytes COUNT [SEED].
garbage_bytes() {
	local n=$1 x=${2:-12345} i hex fmt=
	for ((i = 0; i < n; i++)); do
		x=$(((x * 1103515245 + 12345) & 0x7fffffff))
		printf -v hex '\\x%02x' $(((x >> 16) & 0xff))
		fmt+=$hex
		if [ ${#fmt} -ge 4096 ]; then
			# shellcheck disable=SC2059  # the format is the data
			printf "$fmt"
			fmt=
		fi
	done
	# shellcheck disable=SC2059
	printf "$fmt"
}

# A tree for mkfs --rootdir: the kinds of files mkfs can copy.
rootdir_populate() {
	local dir=$1 d i
	rm -rf "$dir"
	mkdir -p "$dir/a/b/c/d" "$dir/many" "$dir/empty-dir"
	printf 'x' > "$dir/tiny"
	printf '%2000s' inline > "$dir/a/inline"
	printf '%4096s' block > "$dir/a/b/block"
	garbage_bytes 70000 1 > "$dir/a/b/c/random"
	head -c 3M /dev/zero | tr '\0' 'z' > "$dir/a/b/c/d/big"
	truncate -s 5M "$dir/sparse"
	printf 'middle' | dd of="$dir/sparse" bs=4096 seek=300 conv=notrunc status=none
	ln "$dir/a/inline" "$dir/hardlink"
	ln -s a/b/c/d/big "$dir/symlink"
	ln -s "$(printf 'long-target-%.0s' $(seq 80))" "$dir/long-symlink"
	mkfifo "$dir/fifo" 2>/dev/null
	if command -v setfattr >/dev/null 2>&1; then
		setfattr -n user.test -v value "$dir/tiny" 2>/dev/null
		setfattr -n user.dir -v "$(printf '%300s' v)" "$dir/a" 2>/dev/null
	fi
	for d in 0 1 2 3 4 5 6 7 8 9; do
		mkdir "$dir/many/d$d"
		for ((i = 0; i < 200; i++)); do
			printf '%s\n' "$d/$i" > "$dir/many/d$d/file-$i"
		done
	done
}

# ---------------------------------------------------- the kernel workload

# kernel_workload FILE...: loop-mounts the filesystem on these image files
# (all its devices), lets the kernel write the workload, unmounts and
# detaches.  Prints why it failed.
kernel_workload() {
	local name mnt d l mopts='' ret=0 grow=${R_GROW:-0} log=${R_LOG:-0}
	local -a loops=() members
	name=$(basename "$1" .img)
	mnt=$TEST_WORKDIR/mnt-$name
	for d in "$@"; do
		l=$(loop_attach "$d") || { echo "losetup $d failed"; return 1; }
		loops+=("$l")
	done
	members=("${loops[@]:0:${#loops[@]}-grow}")
	for d in "${members[@]:1}"; do
		mopts+=${mopts:+,}device=$d
	done
	[ "$log" = 1 ] && mopts+=${mopts:+,}commit=300
	if ! fs_mount "${loops[0]}" "$mnt" "$mopts"; then
		echo "cannot mount ${loops[0]} (btrfs on a loop device)"
		ret=1
	else
		if [ "$log" = 1 ]; then
			workload_light "$mnt" >&2 && wl_log "$mnt" "$1" >&2 || ret=1
		else
			workload "$mnt" >&2 || ret=$?
		fi
		[ "$grow" = 1 ] && { wl_grow "$mnt" "${loops[-1]}" >&2 || ret=1; }
		sync
		fs_umount "$mnt" || { echo "cannot unmount $mnt"; ret=1; }
	fi
	for d in "${loops[@]}"; do
		loop_detach "$d"
	done
	[ "$log" = 1 ] && [ "$ret" -eq 0 ] && mv "$1.crash" "$1"
	[ "$ret" -eq 0 ] || echo "the kernel workload on $name failed"
	return "$ret"
}

# workload MNT: every kind of item the kernel writes, quickly.
workload() {
	local m=$1
	wl_files "$m" || return 1
	wl_names "$m"
	wl_links "$m"
	wl_xattrs "$m"
	wl_special "$m"
	wl_compress "$m"
	wl_subvols "$m" || return 1
	wl_reflinks "$m"
	wl_send "$m"
	wl_many "$m"
	wl_empty "$m" "${R_EMPTY:-0}"
	wl_quota "$m"
	sync
	wl_delete "$m"
}

# wl_grow MNT DEVICE: adds a device, then a balance converts the profiles,
# so chunks and device extents are the kernel's, not mkfs'.
wl_grow() {
	"$STOCK_BTRFS" device add -f "$2" "$1" || return 1
	"$STOCK_BTRFS" balance start -dconvert=raid10 -mconvert=raid1c4 "$1"
}

# wl_log MNT FILE: after a commit, changes made durable by fsync only; then
# FILE is copied as a crash would leave it (FILE.crash), with a log tree.
wl_log() {
	local m=$1/log
	mkdir -p "$m/dir"
	printf 'old\n' > "$m/renamed"
	printf 'old\n' > "$m/dir/unlinked"
	sync
	head -c 100K /dev/urandom | dd of="$m/fsynced" conv=fsync status=none
	printf 'more\n' >> "$m/renamed"
	mv "$m/renamed" "$m/new-name"
	fsync_file "$m/new-name"
	ln "$m/fsynced" "$m/fsynced-link"
	command -v setfattr >/dev/null 2>&1 && setfattr -n user.logged -v 1 "$m/fsynced"
	fsync_file "$m/fsynced"
	rm "$m/dir/unlinked"
	printf 'x' > "$m/dir/new"
	fsync_file "$m/dir/new"
	fsync_file "$m/dir"
	cp --sparse=always "$2" "$2.crash"
}

# fsync_file PATH: fsync(2) on a file or directory, changing nothing.
fsync_file() {
	dd if=/dev/null of="$1" conv=notrunc,fsync status=none 2>/dev/null ||
		python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)' "$1"
}

# workload_light MNT: files, links and xattrs only; nothing that waits for
# the next transaction commit (deleting a subvolume does).
workload_light() {
	wl_files "$1" || return 1
	wl_names "$1"
	wl_links "$1"
	wl_xattrs "$1"
	wl_compress "$1"
}

# Regular files: inline, one block, a few MiB, sparse, preallocated,
# nodatacow, many small extents.
wl_files() {
	local m=$1/files i
	mkdir -p "$m/l1/l2/l3/l4" || return 1
	printf 'x' > "$m/one-byte"
	printf '%100s' a > "$m/l1/hundred"
	printf '%2048s' b > "$m/l1/l2/max-inline"
	printf '%4096s' c > "$m/l1/l2/l3/block"
	head -c 65537 /dev/urandom > "$m/l1/l2/l3/l4/odd-size"
	head -c 1200000 /dev/urandom > "$m/big-1m"
	head -c 3M /dev/urandom > "$m/big-3m"
	truncate -s 16M "$m/sparse"
	dd if=/dev/urandom of="$m/sparse" bs=4K count=1 seek=256 conv=notrunc status=none
	dd if=/dev/urandom of="$m/sparse" bs=4K count=3 seek=2304 conv=notrunc status=none
	fallocate -l 2M "$m/prealloc" 2>/dev/null
	fallocate -l 1M "$m/prealloc-partial" 2>/dev/null &&
		dd if=/dev/urandom of="$m/prealloc-partial" bs=4K count=1 seek=64 \
		   conv=notrunc status=none
	touch "$m/nocow"
	chattr +C "$m/nocow" 2>/dev/null
	head -c 1M /dev/urandom > "$m/nocow"
	for ((i = 0; i < 64; i++)); do
		dd if=/dev/urandom of="$m/fragmented" bs=4K count=1 seek=$((i * 2)) \
		   conv=notrunc oflag=sync status=none
	done
}

# Names that are long, spaced, non-ASCII or contain control characters.
wl_names() {
	local m=$1/names
	mkdir -p "$m"
	: > "$m/$(printf 'n%.0s' $(seq 255))"
	: > "$m/with space"
	: > "$m/$(printf 'caf\xc3\xa9-\xe2\x82\xac')"
	: > "$m/$(printf 'tab\there')"
	: > "$m/$(printf 'new\nline')"
	: > "$m/$(printf 'bad-utf8-\xff\xfe')"
	: > "$m/percent-%s-%n"
}

# Hard links, including enough long names in one directory to need
# extended inode refs.
wl_links() {
	local m=$1/links i long
	mkdir -p "$m/other"
	printf 'linked\n' > "$m/target"
	ln "$m/target" "$m/same-dir"
	ln "$m/target" "$m/other/other-dir"
	long=$(printf 'h%.0s' $(seq 200))
	for ((i = 0; i < 100; i++)); do
		ln "$m/target" "$m/$long-$i" 2>/dev/null || break
	done
}

wl_xattrs() {
	local m=$1/xattrs
	mkdir -p "$m"
	command -v setfattr >/dev/null 2>&1 || {
		echo "warning: setfattr missing, no xattrs in the image" >&2
		return 0
	}
	printf 'file\n' > "$m/file"
	setfattr -n user.small -v value "$m/file"
	setfattr -n user.empty "$m/file"
	setfattr -n user.big -v "$(printf '%3000s' big)" "$m/file"
	setfattr -n trusted.secret -v 0x00ff00ff "$m/file"
	setfattr -n user.on-dir -v dir "$m"
	ln -s file "$m/link"
	setfattr -h -n trusted.on-link -v link "$m/link"
}

# Symbolic links, a fifo, device nodes and a socket.
wl_special() {
	local m=$1/special
	mkdir -p "$m"
	ln -s ../files/big-3m "$m/symlink"
	ln -s "$(printf 'very-long-target-%.0s' $(seq 100))" "$m/long-symlink"
	ln -s /nonexistent "$m/dangling"
	mkfifo "$m/fifo"
	mknod "$m/char" c 1 3
	mknod "$m/block" b 7 250
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$m/socket" 2>/dev/null
	fi
}

# Compressed files: a directory per algorithm (property), chattr +c.
wl_compress() {
	local m=$1/compress alg
	mkdir -p "$m"
	for alg in zstd zlib lzo; do
		mkdir "$m/$alg"
		"$STOCK_BTRFS" property set "$m/$alg" compression "$alg"
		yes "compressible $alg text line" | head -c 2M > "$m/$alg/text"
		yes "$alg" | head -c 8K > "$m/$alg/small"
		head -c 300K /dev/urandom > "$m/$alg/random"
	done
	touch "$m/chattr-c"
	chattr +c "$m/chattr-c" 2>/dev/null
	yes 'chattr c' | head -c 1M > "$m/chattr-c"
}

# Subvolumes, a nested one, snapshots (one read-only) changed afterwards.
wl_subvols() {
	local m=$1
	"$STOCK_BTRFS" -q subvolume create "$m/sv" || return 1
	mkdir "$m/sv/dir"
	head -c 200K /dev/urandom > "$m/sv/dir/data"
	printf 'inline\n' > "$m/sv/small"
	"$STOCK_BTRFS" -q subvolume create "$m/sv/nested" || return 1
	printf 'nested\n' > "$m/sv/nested/file"
	"$STOCK_BTRFS" -q subvolume snapshot "$m/sv" "$m/snap" || return 1
	"$STOCK_BTRFS" -q subvolume snapshot -r "$m" "$m/snap-ro-top" || return 1
	printf 'changed after the snapshot\n' >> "$m/sv/small"
	head -c 100K /dev/urandom > "$m/snap/new-in-snapshot"
	rm -f "$m/snap/dir/data"
	"$STOCK_BTRFS" -q subvolume create "$m/doomed" || return 1
	head -c 500K /dev/urandom > "$m/doomed/file"
}

# A read-only snapshot sent and received: received_uuid, stransid, rtransid
# and a RECEIVED_SUBVOL uuid item.
wl_send() {
	local m=$1
	"$STOCK_BTRFS" -q subvolume snapshot -r "$m/sv" "$m/sv-ro" || return 0
	mkdir "$m/received"
	"$STOCK_BTRFS" -q send "$m/sv-ro" 2>/dev/null |
		"$STOCK_BTRFS" -q receive "$m/received" >/dev/null 2>&1
}

# Reflinks: whole-file clones, across subvolumes, then partly rewritten.
wl_reflinks() {
	local m=$1
	mkdir -p "$m/reflinks"
	cp --reflink=always "$m/files/big-3m" "$m/reflinks/clone" || return 0
	cp --reflink=always "$m/files/big-3m" "$m/sv/clone" 2>/dev/null
	cp --reflink=always "$m/files/big-1m" "$m/reflinks/clone-1m"
	dd if=/dev/urandom of="$m/reflinks/clone" bs=4K count=2 seek=100 \
	   conv=notrunc status=none
}

# A few thousand small files (deep fs trees) and 4 KiB files whose deletion
# fragments the free space.
wl_many() {
	local m=$1/many d i
	mkdir -p "$m"
	for ((d = 0; d < 30; d++)); do
		mkdir "$m/dir-$d"
		for ((i = 0; i < 100; i++)); do
			printf '%s\n' "file $d $i" > "$m/dir-$d/small-$i"
		done
	done
	mkdir "$m/blocks"
	for ((i = 0; i < 1500; i++)); do
		printf '%4096s' "$i" > "$m/blocks/b-$i"
	done
}

# wl_empty MNT COUNT: empty files, 1000 a directory.
wl_empty() {
	local m=$1/empty i
	[ "$2" -gt 0 ] || return 0
	mkdir -p "$m"
	for ((i = 0; i < $2; i++)); do
		[ $((i % 1000)) -eq 0 ] && mkdir "$m/d$((i / 1000))"
		: > "$m/d$((i / 1000))/empty-file-with-a-longer-name-$i"
	done
}

# Quotas: enabled, a limit, a higher-level qgroup with a member.
wl_quota() {
	local m=$1 id
	"$STOCK_BTRFS" quota enable "$m" || return 0
	"$STOCK_BTRFS" qgroup limit 100M "$m/sv"
	id=$("$STOCK_BTRFS" inspect-internal rootid "$m/sv")
	"$STOCK_BTRFS" qgroup create 1/100 "$m"
	"$STOCK_BTRFS" qgroup assign "0/$id" 1/100 "$m"
	"$STOCK_BTRFS" quota rescan -W "$m" >/dev/null
}

# Deletions: every other 4 KiB file, some small files, a directory tree,
# a subvolume.
wl_delete() {
	local m=$1 i
	for ((i = 0; i < 1500; i += 2)); do
		rm -f "$m/many/blocks/b-$i"
	done
	for ((i = 0; i < 100; i += 3)); do
		rm -f "$m/many/dir-7/small-$i"
	done
	rm -rf "$m/many/dir-29"
	"$STOCK_BTRFS" -q subvolume delete "$m/doomed"
	sync
}

# ------------------------------------------------------------ comparisons

# run_tool PREFIX TOOL ARG...: stdout/stderr into PREFIX.out/.err.
run_tool() {
	local prefix=$1
	shift
	timeout -k 10 "$TEST_TIMEOUT" "$@" > "$prefix.out" 2> "$prefix.err" < /dev/null
}

# Prints why our run counts as a crash, or nothing (and fails).
crash_reason() {
	local status=$1 err=$2
	if [ "$status" -eq 124 ]; then
		echo "timed out after ${TEST_TIMEOUT}s"
	elif [ "$status" -gt 128 ] && [ "$status" -le 192 ]; then
		echo "killed by signal $((status - 128))"
	elif grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: [A-Za-z]+Sanitizer' "$err"; then
		echo "sanitizer report"
	else
		return 1
	fi
}

# keep_failure NAME ARG...: copies both runs to $TEST_OUT_DIR; prints the
# file worth showing first.
keep_failure() {
	local name=$1 base
	shift
	base=$TEST_OUT_DIR/$(safe_name "$name")
	mkdir -p "$TEST_OUT_DIR"
	printf '%q ' btrfs "$@" > "$base.cmd"
	echo >> "$base.cmd"
	cp "$TEST_WORKDIR/run-$TEST_NAME.stock.out" "$base.stock.out"
	cp "$TEST_WORKDIR/run-$TEST_NAME.stock.err" "$base.stock.err"
	cp "$TEST_WORKDIR/run-$TEST_NAME.ours.out" "$base.ours.out"
	cp "$TEST_WORKDIR/run-$TEST_NAME.ours.err" "$base.ours.err"
	{
		cat "$base.cmd"
		echo "exit status: stock $RUN_STOCK, ours $RUN_OURS"
		echo "--- ours stderr (first lines)"
		head -n 25 "$base.ours.err"
		echo "--- stdout: diff -u stock ours"
		diff -u --label stock --label ours "$base.stock.out" "$base.ours.out" |
			head -n 5000
	} > "$base.diff"
	echo "$base.diff"
}

# run_both ARG...: runs stock and ours; statuses in RUN_STOCK, RUN_OURS.
run_both() {
	run_tool "$TEST_WORKDIR/run-$TEST_NAME.stock" "$STOCK_BTRFS" "$@"
	RUN_STOCK=$?
	run_tool "$TEST_WORKDIR/run-$TEST_NAME.ours" "$OUR_BTRFS" "$@"
	RUN_OURS=$?
}

# compare_output NAME ARG...: our btrfs must print the same stdout and
# exit with the same status as stock, given the same arguments.
compare_output() {
	local name=$1 why file
	shift
	run_both "$@"
	if why=$(crash_reason "$RUN_OURS" "$TEST_WORKDIR/run-$TEST_NAME.ours.err"); then
		:
	elif [ "$RUN_OURS" != "$RUN_STOCK" ]; then
		why="exit status $RUN_OURS, stock $RUN_STOCK"
	elif ! cmp -s "$TEST_WORKDIR/run-$TEST_NAME.stock.out" "$TEST_WORKDIR/run-$TEST_NAME.ours.out"; then
		why="stdout differs"
	else
		pass "$name"
		return 0
	fi
	file=$(keep_failure "$name" "$@")
	fail "$name" "$why" "$file"
	return 1
}

# compare_failure NAME PATTERN ARG...: for damaged input.  Our tool must not
# crash; when stock fails it must fail too with an ERROR line; PATTERN (if
# not empty, e.g. the damaged block's bytenr) must appear in our stderr.
# Stock sometimes reports damage and still exits 0: then either status is
# accepted as long as the damage is reported.
compare_failure() {
	local name=$1 pattern=$2 why file err=$TEST_WORKDIR/run-$TEST_NAME.ours.err
	shift 2
	run_both "$@"
	if why=$(crash_reason "$RUN_OURS" "$err"); then
		:
	elif [ "$RUN_STOCK" -ne 0 ] && [ "$RUN_OURS" -eq 0 ]; then
		why="exit status 0, stock $RUN_STOCK"
	elif [ "$RUN_OURS" -ne 0 ] && ! grep -q ERROR "$err"; then
		why="failed without an ERROR line"
	elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" "$err"; then
		why="stderr does not mention '$pattern'"
	else
		pass "$name"
		return 0
	fi
	file=$(keep_failure "$name" "$@")
	fail "$name" "$why" "$file"
	return 1
}

# ---------------------------------------------------- reading stock output

# stock_blocks ARG...: "leaf|node BYTENR LEVEL OWNER" for every tree block
# in stock's dump-tree output with these arguments.
stock_blocks() {
	"$STOCK_BTRFS" inspect-internal dump-tree "$@" 2>/dev/null | awk '
	$1 == "leaf" && $3 == "items" { print "leaf", $2, 0, $NF }
	$1 == "node" && $3 == "level" { print "node", $2, $4, $NF }'
}

# stock_super_field DEV FIELD: a value from stock dump-super.
stock_super_field() {
	"$STOCK_BTRFS" inspect-internal dump-super "$1" 2>/dev/null |
		awk -v f="$2" '$1 == f { print $2; exit }'
}

# stock_physical DEV LOGICAL: "DEVICE PHYSICAL" of every mirror (one
# device images only).
stock_physical() {
	"$STOCK_MAP_LOGICAL" -l "$2" "$1" 2>/dev/null |
		awk '$1 == "mirror" { print $NF, $6 }'
}

# ------------------------------------------------------ dump-tree checks

# Option sets every image's dump-tree is compared with.
DUMP_TREE_SETS=("" -e -d -r -u --bfs --dfs --csum-headers --csum-items
	--noscan "-t root" "-t extent" "-t chunk" "-t dev" "-t fs" "-t csum"
	"-t quota" "-t uuid" "-t free_space" "-t data_reloc" "-t block-group"
	"-t 256" "-e --dfs" "-t fs --dfs" "-t fs --csum-headers"
	"-t csum --csum-items" "-t extent --bfs")

# check_dump_tree NAME: dump-tree of the image with every option set, and
# of single tree blocks.
check_dump_tree() {
	local name=$1 opts
	if ! image_get "$name"; then
		skip "dump-tree: $name" "$IMAGE_WHY"
		return
	fi
	for opts in "${DUMP_TREE_SETS[@]}"; do
		# shellcheck disable=SC2086  # an option set is a word list
		compare_output "dump-tree${opts:+ $opts}: $name" \
			inspect-internal dump-tree $opts "${IMAGE_DEVS[@]}"
	done
	check_dump_blocks "$name"
}

# check_dump_blocks NAME: -b with the superblock's roots, a node and a leaf
# from stock's own output, alone, repeated and with --follow.
check_dump_blocks() {
	local name=$1 root chunk node leaf
	local -a devs=("${IMAGE_DEVS[@]}")
	root=$(stock_super_field "${devs[0]}" root)
	chunk=$(stock_super_field "${devs[0]}" chunk_root)
	node=$(stock_blocks "${devs[@]}" | awk '$1 == "node" { print $2; exit }')
	leaf=$(stock_blocks "${devs[@]}" | awk '$1 == "leaf" { b = $2 } END { print b }')
	dump_block "$name" "root" -b "$root"
	dump_block "$name" "root" -b "$root" --follow
	dump_block "$name" "root" -b "$root" --follow --dfs
	dump_block "$name" "chunk root" -b "$chunk" --follow
	dump_block "$name" "root and chunk root" -b "$root" -b "$chunk"
	dump_block "$name" "last leaf" -b "$leaf"
	dump_block "$name" "last leaf" -b "$leaf" --follow
	if [ -n "$node" ]; then
		dump_block "$name" "first node" -b "$node"
		dump_block "$name" "first node" -b "$node" --follow
		dump_block "$name" "first node" -b "$node" --follow --dfs
	fi
}

# dump_block NAME WHAT OPTION...: one -b comparison.
dump_block() {
	local name=$1 what=$2
	shift 2
	compare_output "dump-tree $*: $name $what" \
		inspect-internal dump-tree "$@" "${IMAGE_DEVS[@]}"
}

# stock_tree_ids DEV...: the ids of every tree in the root tree.
stock_tree_ids() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t root "$@" 2>/dev/null |
		awk '$1 == "item" && $5 == "ROOT_ITEM" { sub(/\(/, "", $4); print $4 }' |
		sort -u
}

# ------------------------------------------------------------------ setup

# test_init NAME: checks the tools, prepares the scratch directory.
test_init() {
	TEST_NAME=$1
	if [ ! -x "$STOCK_BTRFS" ] || [ ! -x "$STOCK_MKFS" ]; then
		skip "$TEST_NAME" "stock btrfs-progs not found ($STOCK_BTRFS, $STOCK_MKFS)"
		exit 0
	fi
	if [ ! -x "$OUR_BTRFS" ]; then
		fail "$TEST_NAME" "$OUR_BTRFS not built"
		exit 1
	fi
	work_init
}
