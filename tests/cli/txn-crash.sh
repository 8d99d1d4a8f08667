#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Crash consistency of the transaction engine.  txn-edit runs transactions
# on a copy of an image made by our mkfs.btrfs and logs every write and
# flush; txn-replay then applies parts of the log onto copies of the image
# as it was before, the way a crash could leave them:
#   - every prefix ending at a flush or a superblock write, and random ones;
#   - the writes since the last flush, each lost or not at random (a device
#     that never got to flush its cache);
#   - every superblock write torn in half.
# One transaction allocates a metadata chunk, so the chunk tree, the dev
# tree and the superblock's chunk root change with everything else.  One
# (with the kernel) changes a subvolume and its snapshot where they share
# blocks, and frees data extents.
# One changes the label with an inode's flags.
# Each result must pass stock `btrfs check` (with --super 1 when the primary
# superblock is the torn one), and its fs tree must hold exactly the items
# from before or from after the transaction.
#
# TXN_CRASH_RANDOM: random prefixes per log (default 30); TXN_CRASH_LOST:
# random outcomes per lost flush (default 8).

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init txn-crash

TOOLS=$TEST_TOP/tests/tools
MKFS=$TEST_TOP/mkfs.btrfs
NRANDOM=${TXN_CRASH_RANDOM:-30}
NLOST=${TXN_CRASH_LOST:-8}
dir=$TEST_WORKDIR/txn-crash
mkdir -p "$dir"

# fs_state IMAGE: the items of the fs tree (and of the trees in
# STATE_TREES), without block addresses or layout, and the superblock's
# label and feature bits.
fs_state() {
	local t
	for t in fs ${STATE_TREES:-}; do
		"$OUR_BTRFS" inspect-internal dump-tree -t "$t" "$1" 2>/dev/null
	done | awk '
	/^\titem [0-9]+ key / {
		sub(/^\titem [0-9]+ /, ""); sub(/ itemoff [0-9]+/, ""); print; next
	}
	/^\t\t/ { print }'
	"$OUR_BTRFS" inspect-internal dump-super "$1" 2>/dev/null |
		grep -E '^(label|compat_ro_flags|incompat_flags)[[:space:]]'
}

# check_clean IMAGE [OPTION...]: stock check passes and reports nothing
# (with --super, nothing but the bad primary it does not use).
check_clean() {
	local img=$1 out allow='^$'
	shift
	[ "${1:-}" = --super ] && allow='ERROR: superblock checksum mismatch'
	out=$("$STOCK_BTRFS" check "$@" "$img" 2>&1) || {
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	}
	# Devices of other tests come and go while check scans them.
	if printf '%s\n' "$out" | grep -v 'no error found' | grep -vx "$allow" |
	   grep -v '^ERROR: cannot scan /dev/' |
	   grep -qiE 'error|warning|wrong|mismatch|corrupt|invalid'; then
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	fi
}

# replay_one LOG N ORIG OLD NEW [OPTION...]: prints why it fails, if it does.
replay_one() {
	local log=$1 n=$2 orig=$3 old=$4 new=$5 img=$dir/work.img state
	shift 5
	cp --sparse=always "$orig" "$img" || { echo "cannot copy"; return 1; }
	if ! "$TOOLS/txn-replay" "$@" "$log" "$n" "$img" 2>&1; then
		echo "replay failed"
		return 1
	fi
	# A torn primary leaves the filesystem to its copy 1, from which
	# `btrfs rescue super-recover` restores it.
	if [ "${1:-}" = -t ] && sed -n "${n}p" "$log.info" | grep -q 'super 0$'; then
		if ! check_clean "$img" --super 1; then
			echo "stock check --super 1 fails: $(grep -m1 -iE 'error|wrong|mismatch' "$dir/last-check")"
			return 1
		fi
		"$STOCK_BTRFS" rescue super-recover -y "$img" > "$dir/last-recover" 2>&1
	fi
	if ! check_clean "$img"; then
		echo "stock check fails: $(grep -m1 -iE 'error|wrong|mismatch' "$dir/last-check")"
		return 1
	fi
	state=$(fs_state "$img")
	if [ "$state" != "$(cat "$old")" ] && [ "$state" != "$(cat "$new")" ]; then
		printf '%s\n' "$state" > "$dir/last-state"
		echo "fs tree is neither the old nor the new state"
		return 1
	fi
}

# replay_points NAME WHAT LOG ORIG OLD NEW OPTS POINT...: one result for
# all points; OPTS is a word list given to txn-replay ('-' for none).
replay_points() {
	local name=$1 what=$2 log=$3 orig=$4 old=$5 new=$6 opts=$7 p why
	local -a o=()
	shift 7
	[ "$opts" = - ] || read -r -a o <<< "$opts"
	for p in "$@"; do
		if ! why=$(replay_one "$log" "$p" "$orig" "$old" "$new" "${o[@]}"); then
			fail "txn-crash: $name $what" "at entry $p: $why" "$dir/last-check"
			return 1
		fi
	done
	pass "txn-crash: $name $what ($# points)"
}

# crash_matrix NAME LOG ORIG OLD NEW: every kind of crash point of a log.
crash_matrix() {
	local name=$1 log=$2 orig=$3 old=$4 new=$5 nr i k seed=1 prev=0 why
	local -a flushes=() supers=() random=() lost=()
	"$TOOLS/txn-replay" "$log" info > "$log.info" || {
		fail "txn-crash: $name" "cannot read the log"
		return
	}
	nr=$(wc -l < "$log.info")
	mapfile -t flushes < <(awk '$2 == "flush" { print $1 + 1 }' "$log.info")
	mapfile -t supers < <(awk '$6 == "super" { print $1 + 1 }' "$log.info")
	for ((i = 0; i < NRANDOM; i++)); do
		random+=($(( (RANDOM * 32768 + RANDOM) % (nr + 1) )))
	done
	replay_points "$name" "prefixes at flushes and superblocks" "$log" \
		"$orig" "$old" "$new" - 0 "${flushes[@]}" "${supers[@]}" "$nr"
	replay_points "$name" "random prefixes" "$log" "$orig" "$old" "$new" \
		- "${random[@]}"
	replay_points "$name" "torn superblock writes" "$log" "$orig" "$old" \
		"$new" -t "${supers[@]}"
	# Up to each flush, the writes issued since the one before may be lost.
	for i in "${flushes[@]}"; do
		[ $((i - 1)) -gt "$prev" ] && lost+=($((i - 1)))
		prev=$i
	done
	for i in "${lost[@]}"; do
		for ((k = 0; k < NLOST; k++)); do
			if ! why=$(replay_one "$log" "$i" "$orig" "$old" "$new" \
					      -r "$seed"); then
				fail "txn-crash: $name lost flushes" \
				     "writes before entry $i, seed $seed: $why" \
				     "$dir/last-check"
				return
			fi
			seed=$((seed + 1))
		done
	done
	pass "txn-crash: $name lost flushes ($((${#lost[@]} * NLOST)) points)"
}

# edit NAME FROM OP...: a logged transaction on a copy of FROM; sets
# EDIT_IMG, EDIT_LOG and the two states EDIT_OLD, EDIT_NEW.
edit() {
	local name=$1 from=$2
	shift 2
	EDIT_IMG=$dir/$name.img EDIT_LOG=$dir/$name.log
	EDIT_OLD=$dir/$name.old EDIT_NEW=$dir/$name.new
	cp --sparse=always "$from" "$EDIT_IMG"
	fs_state "$from" > "$EDIT_OLD"
	if ! "$TOOLS/txn-edit" -l "$EDIT_LOG" "$EDIT_IMG" "$@" 2> "$dir/$name.err"; then
		fail "txn-crash: $name" "txn-edit failed: $(head -n 1 "$dir/$name.err")"
		return 1
	fi
	fs_state "$EDIT_IMG" > "$EDIT_NEW"
	if cmp -s "$EDIT_OLD" "$EDIT_NEW"; then
		fail "txn-crash: $name" "the transaction changed nothing"
		return 1
	fi
	if ! check_clean "$EDIT_IMG"; then
		fail "txn-crash: $name" "stock check fails after the commit" "$dir/last-check"
		return 1
	fi
	pass "txn-crash: $name commits, stock check clean"
}

# scenario NAME MKFS-OPTIONS...: two transactions on a fresh image, the
# first one growing the fs tree by splits, the second shrinking it.
scenario() {
	local name=$1 base=$dir/$1.base.img
	shift
	rm -f "$base"
	truncate -s 128M "$base"
	if ! "$MKFS" -q -f "$@" "$base" > "$dir/$name.mkfs" 2>&1; then
		fail "txn-crash: $name" "mkfs.btrfs $* failed" "$dir/$name.mkfs"
		return
	fi
	edit "$name-insert" "$base" flags=256:0x100 xattrs=256:0:2000:100 ||
		return
	crash_matrix "$name-insert" "$EDIT_LOG" "$base" "$EDIT_OLD" "$EDIT_NEW"
	edit "$name-delete" "$dir/$name-insert.img" delxattrs=256:0:2000:3 \
		growxattrs=256:1:600:40 flags=256:0 || return
	crash_matrix "$name-delete" "$EDIT_LOG" "$dir/$name-insert.img" \
		"$EDIT_OLD" "$EDIT_NEW"
}

# chunk NAME: a transaction big enough to allocate a metadata chunk.
chunk() {
	local name=$1 base=$dir/$1.base.img n
	rm -f "$base"
	truncate -s 128M "$base"
	if ! "$MKFS" -q -f -n 4096 "$base" > "$dir/$name.mkfs" 2>&1; then
		fail "txn-crash: $name" "mkfs.btrfs failed" "$dir/$name.mkfs"
		return
	fi
	edit "$name" "$base" xattrs=256:0:7000:1500 || return
	n=$("$OUR_BTRFS" inspect-internal dump-tree -t chunk "$EDIT_IMG" |
		grep -c CHUNK_ITEM)
	if [ "$n" -ne 4 ]; then
		fail "txn-crash: $name" "$n chunks after the transaction, want 4"
		return
	fi
	crash_matrix "$name" "$EDIT_LOG" "$base" "$EDIT_OLD" "$EDIT_NEW"
}

# snapshot NAME: the kernel writes files and snapshots the top subvolume;
# one transaction changes blocks the original and the snapshot share
# (inode items, xattrs, and the file extents of a shared file dropped
# from the snapshot and of a file written after it from the original).
snapshot() {
	local name=$1 base=$dir/$1.base.img loop m=$dir/mnt i snap ino_s ino_o
	local why
	why=$(why_no_kernel) && { skip "txn-crash: $name" "$why"; return; }
	rm -f "$base"
	truncate -s 128M "$base"
	"$MKFS" -q -f -n 4096 "$base" > "$dir/$name.mkfs" 2>&1 &&
		loop=$(loop_attach "$base") || {
		fail "txn-crash: $name" "mkfs.btrfs or losetup failed"
		return
	}
	if ! fs_mount "$loop" "$m" noatime; then
		loop_detach "$loop"
		fail "txn-crash: $name" "the kernel does not mount the image"
		return
	fi
	mkdir "$m/d"
	for ((i = 0; i < 400; i++)); do
		printf '%d\n' "$i" > "$m/d/small-file-$i"
	done
	for ((i = 0; i < 40; i++)); do
		head -c $((4096 * (1 + i % 3))) /dev/urandom > "$m/d/data-$i"
	done
	head -c 256K /dev/urandom > "$m/shared"
	sync
	"$STOCK_BTRFS" -q subvolume snapshot "$m" "$m/snap"
	head -c 64K /dev/urandom > "$m/after"
	sync
	snap=$("$STOCK_BTRFS" inspect-internal rootid "$m/snap")
	ino_s=$(stat -c %i "$m/shared")
	ino_o=$(stat -c %i "$m/after")
	fs_umount "$m"
	loop_detach "$loop"
	STATE_TREES=$snap
	edit "$name" "$base" touch=256:1000 inoxattr=256:1000:user.c:40 \
		truncate="$ino_o" tree="$snap" touch=256:1000 \
		inoxattr=256:1000:user.s:60 truncate="$ino_s" || {
		STATE_TREES=
		return
	}
	crash_matrix "$name" "$EDIT_LOG" "$base" "$EDIT_OLD" "$EDIT_NEW"
	STATE_TREES=
}

# super NAME: a superblock field changed with an inode's flags, as by btrfs
# property.  Not COMPAT_RO_DAX, the same path: stock super-recover, which
# restores a torn primary here, refuses to write a filesystem with a
# read-only compatible bit it does not know.
super() {
	local name=$1 base=$dir/$1.base.img
	rm -f "$base"
	truncate -s 128M "$base"
	if ! "$MKFS" -q -f "$base" > "$dir/$name.mkfs" 2>&1; then
		fail "txn-crash: $name" "mkfs.btrfs failed" "$dir/$name.mkfs"
		return
	fi
	edit "$name" "$base" label=crash-test flags=256:0x3 || return
	crash_matrix "$name" "$EDIT_LOG" "$base" "$EDIT_OLD" "$EDIT_NEW"
}

scenario dup-4k -n 4096
scenario single-16k -m single
chunk new-chunk
snapshot snapshot-shared
super super-fields
test_done
