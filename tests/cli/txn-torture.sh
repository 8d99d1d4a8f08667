#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The transaction engine under random load.  On images made by our
# mkfs.btrfs in many configurations, txn-torture inserts, deletes and
# resizes xattr items over many transactions (some aborted), comparing the
# fs tree with its model after every commit.  Then stock `btrfs check` must
# be clean; and a second run that deletes everything at the end must bring
# bytes_used and every block group's usage back to where they started.
# Where the kernel can be used, it mounts a result, reads and writes it,
# and our engine writes again on top of what the kernel wrote.
#
# Two configurations grow the metadata past its first chunk.
#
# TXN_TORTURE_TRANS: transactions per run (default 30).

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init txn-torture

TOOLS=$TEST_TOP/tests/tools
MKFS=$TEST_TOP/mkfs.btrfs
NTRANS=${TXN_TORTURE_TRANS:-30}
dir=$TEST_WORKDIR/txn-torture
mkdir -p "$dir"
NO_KERNEL=$(why_no_kernel)
LOOPS=()

# check_clean DEV: stock check passes and reports nothing.
check_clean() {
	local out
	out=$("$STOCK_BTRFS" check "$1" 2>&1) || {
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	}
	printf '%s\n' "$out" > "$dir/last-check"
	# Devices of other tests come and go while check scans them.
	! printf '%s\n' "$out" | grep -v 'no error found' |
		grep -v '^ERROR: cannot scan /dev/' |
		grep -qiE 'error|warning|wrong|mismatch|corrupt|invalid'
}

# devs_attach FILE...: LOOPS become loop devices over the files (several
# devices: stock check finds the others only among block devices).
devs_attach() {
	local f l
	LOOPS=()
	for f in "$@"; do
		l=$(loop_attach "$f") || { devs_detach; return 1; }
		LOOPS+=("$l")
	done
	"$STOCK_BTRFS" device scan "${LOOPS[@]}" >/dev/null 2>&1
}

devs_detach() {
	local l
	for l in "${LOOPS[@]}"; do
		"$STOCK_BTRFS" device scan --forget "$l" >/dev/null 2>&1
		loop_detach "$l"
	done
	LOOPS=()
}

# check_files NAME FILE...: stock check of an image of one or more files.
check_files() {
	local name=$1 ok=0
	shift
	if [ $# -eq 1 ]; then
		check_clean "$1"
		return
	fi
	devs_attach "$@" || return 2
	check_clean "${LOOPS[0]}" || ok=1
	devs_detach
	return $ok
}

# copy_image BASE N TAG: copies BASE.0..N-1 to TAG.0..; prints the list
# joined by commas.
copy_image() {
	local base=$1 n=$2 tag=$3 i list=
	for ((i = 0; i < n; i++)); do
		cp --sparse=always "$base.$i" "$tag.$i"
		list+=${list:+,}$tag.$i
	done
	echo "$list"
}

# torture NAME DEVICES SIZE MKFS-OPTION...
torture() {
	local name=$1 n=$2 size=$3 base=$dir/$1 i files=() list out
	shift 3
	for ((i = 0; i < n; i++)); do
		rm -f "$base.$i"
		truncate -s "$size" "$base.$i"
		files+=("$base.$i")
	done
	if ! "$MKFS" -q -f "$@" "${files[@]}" > "$dir/$name.mkfs" 2>&1; then
		fail "txn-torture: $name" "mkfs.btrfs $* failed" "$dir/$name.mkfs"
		return
	fi
	if [ "$n" -gt 1 ] && [ -n "$NO_KERNEL" ]; then
		skip "txn-torture: $name" "stock check of several devices needs loop devices: $NO_KERNEL"
		return
	fi
	# shellcheck disable=SC2086  # TORTURE_ARGS is a word list
	torture_run "$name" "$(copy_image "$base" "$n" "$dir/$name-a")" \
		-s 1 -t "$NTRANS" -n 300 ${TORTURE_ARGS:-} || return
	# shellcheck disable=SC2086
	torture_run "$name, everything deleted" \
		"$(copy_image "$base" "$n" "$dir/$name-b")" \
		-s 2 -t $((NTRANS / 2)) -n 300 -r ${TORTURE_ARGS:-} || return
	[ "$name" = dup-4k ] && kernel_round "$name" "$dir/$name-a.0"
}

# torture_run NAME LIST TORTURE-OPTION...: one run and a stock check.
torture_run() {
	local name=$1 list=$2 out ret
	local -a devs
	shift 2
	IFS=, read -r -a devs <<< "$list"
	if ! out=$("$TOOLS/txn-torture" "$@" "$list" 2>&1); then
		printf '%s\n' "$out" > "$dir/last-torture"
		fail "txn-torture: $name" "$(tail -n 2 "$dir/last-torture" | head -n 1)" \
		     "$dir/last-torture"
		return 1
	fi
	check_files "$name" "${devs[@]}"
	ret=$?
	if [ "$ret" -eq 2 ]; then
		skip "txn-torture: $name" "cannot attach loop devices"
		return 1
	elif [ "$ret" -ne 0 ]; then
		fail "txn-torture: $name" "stock check is not clean" "$dir/last-check"
		return 1
	fi
	pass "txn-torture: $name (${out##*: })"
}

# kernel_round NAME IMAGE: the kernel reads and writes what we wrote, then
# we write on top of what the kernel wrote.
kernel_round() {
	local name=$1 img=$2 mnt=$dir/mnt n i
	if [ -n "$NO_KERNEL" ] || ! command -v setfattr >/dev/null; then
		skip "txn-torture: $name, kernel round trip" "${NO_KERNEL:-setfattr missing}"
		return
	fi
	mkdir -p "$mnt"
	devs_attach "$img" || { skip "txn-torture: $name, kernel round trip" "losetup failed"; return; }
	if ! fs_mount "${LOOPS[0]}" "$mnt" 2> "$dir/last-mount"; then
		devs_detach
		fail "txn-torture: $name, kernel round trip" "the kernel does not mount it" "$dir/last-mount"
		return
	fi
	n=$(getfattr -d -m '^user\.r' "$mnt" 2>/dev/null | grep -c '^user\.r')
	for ((i = 0; i < 300; i++)); do
		setfattr -n "user.kernel$i" -v "written by the kernel $i" "$mnt"
	done
	fs_umount "$mnt"
	devs_detach
	if [ "$n" -lt 1 ] || ! check_clean "$img"; then
		fail "txn-torture: $name, kernel round trip" "the kernel saw $n xattrs, or check fails" "$dir/last-check"
		return
	fi
	if ! "$TOOLS/txn-edit" -M "$img" xattrs=256:0:500:700 \
			delxattrs=256:0:500:2 > "$dir/last-edit" 2>&1 ||
	   ! check_clean "$img"; then
		fail "txn-torture: $name, kernel round trip" "our write after the kernel's fails" "$dir/last-edit"
		return
	fi
	pass "txn-torture: $name, kernel round trip ($n xattrs seen by the kernel)"
}

torture default 1 256M
torture dup-4k 1 128M -n 4096
torture single-8k-no-skinny 1 256M -m single -n 8192 -O ^skinny-metadata
torture mixed 1 256M -M
torture block-group-tree 1 256M -O block-group-tree -n 4096
torture dax 1 512M --dax -n 4096 --csum xxhash
torture raid1 2 300M -m raid1 -d raid1
torture raid10 4 300M -m raid10 -d raid0 -n 4096 --csum sha256
torture raid1c3 3 300M -m raid1c3 -n 4096
# Enough items to outgrow the first metadata chunk.
TORTURE_ARGS="-N 20000 -n 3000 -t 12" torture new-chunks 1 300M
TORTURE_ARGS="-N 20000 -n 3000 -t 12" torture new-chunks-raid1 2 300M -m raid1
test_done
