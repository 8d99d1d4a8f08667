#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on damaged subvolume and quota trees and v1 free space caches:
# one damage per problem id of phases 4, 5 (missing checksums) and 7, and of
# the v1 cache in phase 3, made by tests/tools/btrfs-corrupt
# (the modes of its "fs" set) on a copy of one kernel-written image that has
# everything they need: hard links in one directory and across directories,
# enough long names for extended refs, a file unlinked while open (an orphan
# item), a removed directory still open, special files, xattrs, a compressed
# inline extent, nodatacow data, a file split into many extents by punched
# holes, explicit holes (no NO_HOLES), a subvolume with a snapshot, quotas
# with qgroups at levels 1 and 2.  A second image has simple quotas
# (tests/tools/quota-simple enables them; skipped when the kernel cannot),
# the modes of the "squota" set damage it; a third has the v1 free space
# cache (no free space tree, space_cache=v1), for the "v1cache" set.
#   - the image (our mkfs, then the kernel) is clean before the damage:
#     no problem at all, exit status 0
#   - each damaged copy is reported with the mode's problem id, the exit
#     status is 1 exactly when an error (not only warnings or notes) is
#     reported, the JSON is valid, nothing crashes
#   - whether stock btrfs check notices the damage too is printed as INFO
#     (its lowmem mode's verdict too when the original mode sees nothing)

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
OUR_MKFS=${OUR_MKFS:-$TEST_TOP/mkfs.btrfs}
QUOTA_SIMPLE=${QUOTA_SIMPLE:-$TEST_TOP/tests/tools/quota-simple}

# fsc_fill MNT: the kernel writes what the damage modes need.
fsc_fill() {
	local m=$1 i long sv
	mkdir -p "$m/d/sub" "$m/d/empty-dir" "$m/nocow" "$m/z"
	head -c 20000 /dev/urandom > "$m/d/file"
	long=$(printf 'l%.0s' $(seq 200))
	for ((i = 0; i < 100; i++)); do
		ln "$m/d/file" "$m/d/$long-$i"
	done
	for ((i = 0; i < 10; i++)); do
		ln "$m/d/file" "$m/d/short-$i"
	done
	ln "$m/d/file" "$m/d/sub/elsewhere"
	head -c 30000 /dev/urandom > "$m/d/single"
	head -c 5000 /dev/urandom > "$m/d/sub/small"
	mkfifo "$m/d/fifo"
	ln -s single "$m/d/symlink"
	command -v setfattr >/dev/null 2>&1 && setfattr -n user.x -v y "$m/d/single"
	truncate -s 8M "$m/d/sparse"
	printf data | dd of="$m/d/sparse" bs=4096 seek=1000 conv=notrunc status=none
	fallocate -l 1M "$m/d/prealloc"
	chattr +C "$m/nocow"
	head -c 65536 /dev/urandom > "$m/nocow/file"
	"$STOCK_BTRFS" property set "$m/z" compression zlib
	yes abcdefgh | head -c 3000 > "$m/z/inline"
	# Punched holes split one extent into many items, over several leaves.
	head -c 3M /dev/urandom > "$m/d/punched"
	for ((i = 0; i < 380; i++)); do
		fallocate -p -o $((i * 8192 + 4096)) -l 4096 "$m/d/punched"
	done
	"$STOCK_BTRFS" -q subvolume create "$m/sv" || return 1
	printf 'in a subvolume\n' > "$m/sv/file"
	"$STOCK_BTRFS" -q subvolume snapshot "$m/sv" "$m/snap" || return 1
	"$STOCK_BTRFS" quota enable "$m" || return 1
	# Two level-1 qgroups sharing 0/5 under one level-2 qgroup, and the
	# subvolume, whose extents its snapshot shares, in one of them.
	sv=$("$STOCK_BTRFS" inspect-internal rootid "$m/sv") || return 1
	"$STOCK_BTRFS" qgroup create 1/100 "$m" &&
		"$STOCK_BTRFS" qgroup assign 0/5 1/100 "$m"
	"$STOCK_BTRFS" qgroup create 1/101 "$m" &&
		"$STOCK_BTRFS" qgroup assign 0/5 1/101 "$m" &&
		"$STOCK_BTRFS" qgroup assign "0/$sv" 1/101 "$m"
	"$STOCK_BTRFS" qgroup create 2/100 "$m" &&
		"$STOCK_BTRFS" qgroup assign 1/100 2/100 "$m" &&
		"$STOCK_BTRFS" qgroup assign 1/101 2/100 "$m"
	# An assignment may start a rescan; one started before it has ended
	# would miss later relations, so wait for it, then rescan once more.
	"$STOCK_BTRFS" quota rescan -w "$m" > /dev/null
	"$STOCK_BTRFS" quota rescan -W "$m" > /dev/null
	head -c 20000 /dev/urandom > "$m/d/open-unlinked"
	mkdir "$m/open-dir"
	printf 'last\n' > "$m/d/last"
}

# fsc_image FILE: a fresh image the kernel filled; it is copied while a
# file and a directory, already unlinked, are still open, as a crash would
# leave it.
fsc_image() {
	local img=$1 l mnt=$TEST_WORKDIR/mnt-fsc-$$ ret=0
	rm -f "$img"
	truncate -s 512M "$img"
	"$OUR_MKFS" -f -O ^no-holes "$img" > /dev/null 2>&1 || return 1
	l=$(loop_attach "$img") || return 1
	# Freed blocks are trimmed, so the image file stays small to copy.
	if ! fs_mount "$l" "$mnt" discard=sync; then
		loop_detach "$l"
		return 1
	fi
	fsc_fill "$mnt" > /dev/null 2>&1 || ret=1
	if [ "$ret" = 0 ]; then
		exec 7< "$mnt/d/open-unlinked" 8< "$mnt/open-dir"
		rm "$mnt/d/open-unlinked"
		rmdir "$mnt/open-dir"
		sync
		cp --sparse=always "$img" "$img.open" || ret=1
		exec 7<&- 8<&-
	fi
	fs_umount "$mnt" || ret=1
	loop_detach "$l"
	[ "$ret" = 0 ] && mv "$img.open" "$img"
	return "$ret"
}

# fsq_fill MNT: simple quotas, enabled after some data (not counted), then
# data and tree blocks of several subvolumes: a snapshot that diverges,
# reflinks across subvolumes, overwrites, deletions, compression, qgroups
# at levels 1 and 2, and a deleted subvolume whose snapshot and reflinks
# keep some of its extents (they stay charged to it).
fsq_fill() {
	local m=$1 i sn
	head -c 1M /dev/urandom > "$m/pre"
	"$STOCK_BTRFS" -q subvolume create "$m/presv" || return 1
	head -c 200K /dev/urandom > "$m/presv/f"
	sync
	"$QUOTA_SIMPLE" "$m" || return 2
	head -c 2M /dev/urandom > "$m/after"
	"$STOCK_BTRFS" -q subvolume create "$m/sv" || return 1
	for ((i = 0; i < 200; i++)); do
		head -c $((i * 37 % 9000 + 1)) /dev/urandom > "$m/sv/f$i"
	done
	head -c 3M /dev/urandom > "$m/sv/big"
	mkdir "$m/z"
	"$STOCK_BTRFS" property set "$m/z" compression zstd
	yes hello | head -c 2M > "$m/z/c"
	fallocate -l 1M "$m/sv/prealloc"
	sync
	"$STOCK_BTRFS" -q subvolume snapshot "$m/sv" "$m/snap" || return 1
	head -c 500K /dev/urandom > "$m/snap/new"
	dd if=/dev/urandom of="$m/sv/big" bs=4096 seek=10 count=20 \
		conv=notrunc status=none
	rm "$m"/sv/f1*
	cp --reflink=always "$m/sv/big" "$m/reflink"
	cp --reflink=always "$m/presv/f" "$m/sv/from-before"
	dd if=/dev/urandom of="$m/pre" bs=4096 seek=3 count=2 conv=notrunc \
		status=none
	sn=$("$STOCK_BTRFS" inspect-internal rootid "$m/snap") || return 1
	"$STOCK_BTRFS" qgroup create 1/10 "$m" &&
		"$STOCK_BTRFS" qgroup assign 0/5 1/10 "$m" &&
		"$STOCK_BTRFS" qgroup assign "0/$sn" 1/10 "$m" &&
		"$STOCK_BTRFS" qgroup create 2/10 "$m" &&
		"$STOCK_BTRFS" qgroup assign 1/10 2/10 "$m" || return 1
	sync
	"$STOCK_BTRFS" -q subvolume delete "$m/sv" "$m/presv" || return 1
	"$STOCK_BTRFS" subvolume sync "$m" || return 1
	for ((i = 0; i < 30; i++)); do
		head -c 5000 /dev/urandom > "$m/snap/g$i"
	done
}

# fsc_kernel_image FILE SIZE FILL MKFS_OPTION... : a fresh image (our mkfs)
# the kernel filled through FILL MNT, mounted with $FSC_MOUNT_OPTS; status
# 2 when the kernel cannot do what it needs: it refuses the mount options,
# FILL says so, or the root tree has no item $FSC_HAS names.
fsc_kernel_image() {
	local img=$1 size=$2 fill=$3 l mnt=$TEST_WORKDIR/mnt-fsx-$$ ret=0
	shift 3
	rm -f "$img"
	truncate -s "$size" "$img"
	"$OUR_MKFS" -f "$@" "$img" > /dev/null 2>&1 || return 1
	l=$(loop_attach "$img") || return 1
	if ! fs_mount "$l" "$mnt" "$FSC_MOUNT_OPTS" 2> "$TEST_WORKDIR/fill.log"; then
		echo "the kernel does not mount with -o $FSC_MOUNT_OPTS" \
			>> "$TEST_WORKDIR/fill.log"
		loop_detach "$l"
		return 2
	fi
	"$fill" "$mnt" > "$TEST_WORKDIR/fill.log" 2>&1 || ret=$?
	fs_umount "$mnt" || ret=1
	loop_detach "$l"
	[ "$ret" = 0 ] && [ -n "${FSC_HAS:-}" ] &&
		! "$TEST_TOP/btrfs" inspect-internal dump-tree -t root "$img" 2>/dev/null |
		grep -q "$FSC_HAS" && ret=2 &&
		echo "the kernel wrote no $FSC_HAS item" > "$TEST_WORKDIR/fill.log"
	return "$ret"
}

# fsc_set NAME SET SIZE FILL MKFS_OPTION...: a clean image, then the
# damage modes of set SET on copies of it.
fsc_set() {
	local name=$1 set=$2 size=$3 fill=$4 img=$TEST_WORKDIR/fsx-$$.img
	local ret=0 mode expect
	shift 4
	fsc_kernel_image "$img" "$size" "$fill" "$@" || ret=$?
	if [ "$ret" = 2 ]; then
		skip "check fs corrupt: $name" "$(tail -n 1 "$TEST_WORKDIR/fill.log")"
	elif [ "$ret" != 0 ]; then
		fail "check fs corrupt: $name" "could not build the image" \
			"$TEST_WORKDIR/fill.log"
	else
		FSC_BASELINE_NAME="check fs corrupt: $name baseline" \
			fsc_baseline "$img"
		while read -r mode expect; do
			fsc_one "$img" "$mode" "$expect"
		done < <("$CORRUPT" --list "$set")
	fi
	rm -f "$img"
}

# fsv_fill MNT: the v1 free space cache of block groups of 100 MiB or more
# (the kernel caches no smaller ones), fragmented enough for bitmaps.
fsv_fill() {
	local m=$1 i
	mkdir "$m/d"
	for ((i = 0; i < 1500; i++)); do
		head -c $((i % 7 * 4096 + 100)) /dev/zero > "$m/d/f$i"
	done
	sync
	rm "$m"/d/f*[13579]
	head -c 8M /dev/urandom > "$m/big"
	sync
	"$STOCK_BTRFS" -q subvolume snapshot "$m" "$m/snap" || return 1
	rm "$m"/snap/d/f*[26]
	dd if=/dev/urandom of="$m/big" bs=4096 seek=100 count=50 conv=notrunc \
		status=none
}

# Simple quotas (stock btrfs check 6.2 does not open a filesystem with the
# SIMPLE_QUOTA incompat flag: its verdict is 1 throughout, the kernel's own
# counts on the clean image are what ours are compared with) and the v1
# free space cache.
# btrfs-corrupt sets: squota v1cache
fsc_sets() {
	if [ ! -x "$QUOTA_SIMPLE" ]; then
		fail "check fs corrupt: simple quotas" "$QUOTA_SIMPLE not built"
	else
		# commit=1: the cleaner drops deleted subvolumes at once.
		FSC_MOUNT_OPTS=discard=sync,commit=1 fsc_set "simple quotas" \
			squota 512M fsq_fill
	fi
	FSC_MOUNT_OPTS=space_cache=v1 FSC_HAS="FREE_SPACE UNTYPED" \
		fsc_set "v1 space cache" v1cache 2G fsv_fill -R ^free-space-tree
}

# fsc_one IMAGE MODE EXPECT: damage a copy, expect EXPECT.
fsc_one() {
	local img=$1 mode=$2 expect=$3 name="check fs corrupt: $2"
	local copy=$TEST_WORKDIR/fsc-$$.img p=$TEST_WORKDIR/fsc-$$
	damaged_copy "$name" "$img" "$mode" "$copy" "$p" || return
	damaged_verdict "$name" "$copy" "$p" "$expect"
	fsc_stock "$name" "$copy"
	rm -f "$copy"
}

# fsc_stock NAME IMAGE: stock check's verdict; when its original mode sees
# nothing, its lowmem mode's too (some rules only lowmem keeps).
fsc_stock() {
	local out
	out=$(stock_verdict "$1" "$2")
	echo "$out"
	case "$out" in
	*"exit status 0") stock_verdict "$1 (lowmem)" --mode=lowmem "$2" ;;
	esac
}

# The undamaged image: not a single problem, exit status 0.
fsc_baseline() {
	local name=${FSC_BASELINE_NAME:-check fs corrupt: baseline} ids
	local p=$TEST_WORKDIR/fsc-base-$$
	run_check "$p" "$1"
	ids=$(json_ids "$p.json" | sort -u | tr '\n' ' ')
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif [ -n "$ids" ] || [ "$CHECK_STATUS" != 0 ]; then
		fail "$name" "exit status $CHECK_STATUS, reported: $ids" "$p.json"
	else
		pass "$name"
	fi
	fsc_stock "$name" "$1"
}

fsc_main() {
	local img why mode expect
	test_init check-fs-corrupt
	check_ready
	if [ ! -x "$CORRUPT" ]; then
		fail "check fs corrupt" "$CORRUPT not built"
		test_done
	fi
	if why=$(why_no_kernel); then
		skip "check fs corrupt" "$why"
		test_done
	fi
	img=$TEST_WORKDIR/fsc-base-$$.img
	if ! fsc_image "$img"; then
		fail "check fs corrupt" "could not build the image"
		rm -f "$img" "$img.open"
		test_done
	fi
	fsc_baseline "$img"
	while read -r mode expect; do
		fsc_one "$img" "$mode" "$expect"
	done < <("$CORRUPT" --list fs)
	rm -f "$img"
	fsc_sets
	test_done
}

fsc_main
