#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on damaged images, the older problem ids (superblocks, root
# items, tree blocks, chunks and devices, block groups, the extent, free
# space and checksum trees, root references, DAX): one damage per id, made
# by tests/tools/btrfs-corrupt (the modes of its sets "more" and
# "more-dax") on a copy of one of two images:
#   - "more": our mkfs with 4 KiB nodes, then the kernel writes about 2000
#     one-sector files and deletes every other one of the last ~700 (so
#     the subvolume tree has a level-2 root, the extent and checksum trees
#     several leaves, and the last leaves have room), a nodatacow file and
#     a reflinked copy of it, a subvolume
#   - "more-dax": our mkfs --dax, nothing written
#   - "more-chunks": our mkfs with 4 KiB nodes on a sparse 100 GiB file,
#     then the kernel preallocates 56 GiB (nothing is written: the image
#     stays small), so 56 data chunks make a device tree of two leaves
# For each:
#   - the image is clean before the damage: no problem at all, status 0
#   - each damaged copy is reported with the mode's problem id, the exit
#     status is 1 exactly when an error (not only warnings or notes) is
#     reported, the JSON is valid, nothing crashes
#   - whether stock btrfs check notices the damage too is printed as INFO,
#     and how many of the damaged images it fails at the end
# Modes named data-* are checked with --check-data-csum.

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
# Damaged images checked, and how many of them stock check failed.
CC2_DAMAGED=0
CC2_STOCK_FOUND=0
OUR_MKFS=${OUR_MKFS:-$TEST_TOP/mkfs.btrfs}

# cc2_fill MNT: what the modes of set "more" need.
cc2_fill() {
	local m=$1
	mkdir -p "$m/many" "$m/nocow" || return 1
	# One process writes ~2000 files of one sector each (not inline).
	head -c 8M /dev/urandom | (cd "$m/many" && split -b 4000 -a 4 - f) ||
		return 1
	# Every other one of the last ~700 goes: their leaves get room for
	# the items the damage adds.
	rm -f "$m"/many/fa[cd]?[acegikmoqsuwy]
	chattr +C "$m/nocow"
	head -c 65536 /dev/urandom > "$m/nocow/file"
	cp --reflink=always "$m/nocow/file" "$m/nocow/clone" || return 1
	"$STOCK_BTRFS" -q subvolume create "$m/sv" || return 1
	printf 'in a subvolume\n' > "$m/sv/file"
}

# cc2_image FILE: the image of set "more".
cc2_image() {
	local img=$1 l mnt=$TEST_WORKDIR/mnt-cc2-$$ ret=0
	rm -f "$img"
	truncate -s 512M "$img"
	"$OUR_MKFS" -f -n 4096 "$img" > /dev/null 2>&1 || return 1
	l=$(loop_attach "$img") || return 1
	# Freed blocks are trimmed, so the image file stays small to copy.
	if ! fs_mount "$l" "$mnt" discard=sync; then
		loop_detach "$l"
		return 1
	fi
	cc2_fill "$mnt" > /dev/null 2>&1 || ret=1
	fs_umount "$mnt" || ret=1
	loop_detach "$l"
	return "$ret"
}

# cc2_chunks_image FILE: the image of set "more-chunks".
cc2_chunks_image() {
	local img=$1 l mnt=$TEST_WORKDIR/mnt-cc2-$$ ret=0
	rm -f "$img"
	truncate -s 100G "$img"
	"$OUR_MKFS" -f -n 4096 "$img" > /dev/null 2>&1 || return 1
	l=$(loop_attach "$img") || return 1
	if ! fs_mount "$l" "$mnt"; then
		loop_detach "$l"
		return 1
	fi
	fallocate -l 56G "$mnt/prealloc" || ret=1
	fs_umount "$mnt" || ret=1
	loop_detach "$l"
	return "$ret"
}

# cc2_one IMAGE MODE EXPECT: damage a copy, expect EXPECT.
cc2_one() {
	local img=$1 mode=$2 expect=$3 name="check corrupt2: $2"
	local copy=$TEST_WORKDIR/cc2-$$.img p=$TEST_WORKDIR/cc2-$$ verdict
	local -a opts=()
	case "$mode" in data-*) opts=(--check-data-csum) ;; esac
	damaged_copy "$name" "$img" "$mode" "$copy" "$p" || return
	damaged_verdict "$name" "$copy" "$p" "$expect" "${opts[@]}"
	verdict=$(stock_verdict "$name" "${opts[@]}" "$copy")
	echo "$verdict"
	CC2_DAMAGED=$((CC2_DAMAGED + 1))
	[ "${verdict##* }" = 1 ] && CC2_STOCK_FOUND=$((CC2_STOCK_FOUND + 1))
	rm -f "$copy"
}

# cc2_baseline NAME IMAGE: not a single problem, exit status 0.
cc2_baseline() {
	local name="check corrupt2: baseline $1" p=$TEST_WORKDIR/cc2-base-$$ ids
	run_check "$p" --check-data-csum "$2"
	ids=$(json_ids "$p.json" | sort -u | tr '\n' ' ')
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
		return 1
	elif [ -n "$ids" ] || [ "$CHECK_STATUS" != 0 ]; then
		fail "$name" "exit status $CHECK_STATUS, reported: $ids" "$p.json"
		return 1
	fi
	pass "$name"
	stock_verdict "$name" --check-data-csum "$2"
}

# cc2_set NAME IMAGE < MODES: every mode listed on stdin on copies of IMAGE.
cc2_set() {
	local mode expect
	cc2_baseline "$1" "$2" || return
	while read -r mode expect; do
		cc2_one "$2" "$mode" "$expect"
	done
}

cc2_main() {
	local img why
	test_init check-corrupt2
	check_ready
	if [ ! -x "$CORRUPT" ]; then
		fail "check corrupt2" "$CORRUPT not built"
		test_done
	fi
	img=$TEST_WORKDIR/cc2-dax-$$.img
	truncate -s 256M "$img"
	if "$OUR_MKFS" -q -f --dax "$img" > /dev/null 2>&1; then
		cc2_set more-dax "$img" < <("$CORRUPT" --list more-dax)
	else
		fail "check corrupt2: more-dax" "our mkfs --dax failed"
	fi
	rm -f "$img"
	if why=$(why_no_kernel); then
		skip "check corrupt2: more" "$why"
		test_done
	fi
	img=$TEST_WORKDIR/cc2-base-$$.img
	if cc2_image "$img"; then
		cc2_set more "$img" < <("$CORRUPT" --list more)
	else
		fail "check corrupt2: more" "could not build the image"
	fi
	rm -f "$img"
	img=$TEST_WORKDIR/cc2-chunks-$$.img
	if cc2_chunks_image "$img"; then
		cc2_set more-chunks "$img" < <("$CORRUPT" --list more-chunks)
	else
		fail "check corrupt2: more-chunks" "could not build the image"
	fi
	rm -f "$img"
	echo "INFO check corrupt2: stock btrfs check exits 1 on $CC2_STOCK_FOUND of" \
		"$CC2_DAMAGED damaged images"
	test_done
}

cc2_main
