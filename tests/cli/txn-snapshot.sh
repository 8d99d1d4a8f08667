#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Offline edits of trees that share blocks with snapshots.  The kernel
# writes a filesystem (4 KiB nodes, so the fs tree has three levels): small
# files, files with data extents, a hole, a preallocated extent, reflinks
# of a whole file and of part of one, 40 reflinks of one file (more
# references than fit in its extent item), then a snapshot of the top
# subvolume and a snapshot of that snapshot, a subvolume with a snapshot
# of it nested inside, and data written only to the original afterwards.  Then txn-edit changes, one transaction each, the
# original, the first snapshot and the snapshot of the snapshot: inode
# items of every file updated, an xattr set on every inode, then deleted
# again; the same for the subvolume and its snapshot; txn-torture changes the snapshot and then the original at random,
# with aborted transactions among the committed ones.  After every commit:
#   - our check and stock `btrfs check` are clean;
#   - the dump of every tree the transaction did not touch is as it was.
# Also:
#   - blocks the original owned get full back references, some kept as
#     items of their own;
#   - the kernel mounts the result and every file of every subvolume reads
#     back as it was written (sha256);
#   - after the xattrs were set and deleted again twice, the tree blocks
#     reachable from the trees are exactly those with an extent item;
#   - dropping the file extents of a file written after the snapshots frees
#     exactly its data (the kernel's allocated size) and its checksums;
#     dropping those of a file the snapshots share frees nothing until every
#     snapshot and every reflink dropped them, and then exactly the extent;
#     stock check --check-data-csum is clean; the kernel reads what is left,
#     writes and snapshots on top, and we write again;
#   - the same in one transaction on filesystems without skinny metadata
#     and with mixed block groups.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init txn-snapshot

TOOLS=$TEST_TOP/tests/tools
MKFS=$TEST_TOP/mkfs.btrfs
dir=$TEST_WORKDIR/txn-snapshot
mnt=$dir/mnt
mkdir -p "$dir"
NO_KERNEL=$(why_no_kernel)
if [ -n "$NO_KERNEL" ]; then
	skip "txn-snapshot" "$NO_KERNEL"
	exit 0
fi

# check_clean IMAGE: stock check and ours pass and report nothing.
check_clean() {
	local out
	out=$("$STOCK_BTRFS" check "$1" 2>&1) || {
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	}
	printf '%s\n' "$out" > "$dir/last-check"
	printf '%s\n' "$out" | grep -v 'no error found' |
		grep -v '^ERROR: cannot scan /dev/' |
		grep -qiE 'error|warning|wrong|mismatch|corrupt|invalid' && return 1
	"$OUR_BTRFS" check "$1" > "$dir/last-check" 2>&1
}

bytes_used() {
	"$OUR_BTRFS" inspect-internal dump-super "$1" | awk '$1 == "bytes_used" { print $2 }'
}

# data_used IMAGE: the bytes of the data extents in the extent tree.
data_used() {
	"$OUR_BTRFS" inspect-internal dump-tree -t extent "$1" | awk '
	$1 == "item" && $5 == "EXTENT_ITEM" { size = $6; sub(/\)/, "", size); next }
	$1 == "refs" && $NF == "DATA" { sum += size }
	{ size = 0 }
	END { print sum + 0 }'
}

# make_fs IMAGE [MKFS-OPTION...]: the kernel's workload; sets the ids of
# the two snapshots, inode numbers and sizes.
make_fs() {
	local img=$1 loop m i
	shift
	rm -f "$img"
	truncate -s "${FS_SIZE:-256M}" "$img"
	"$MKFS" -q -f -n 4096 "$@" "$img" > "$dir/mkfs.out" 2>&1 || return 1
	loop=$(loop_attach "$img") || return 1
	if ! fs_mount "$loop" "$mnt" noatime; then
		loop_detach "$loop"
		return 1
	fi
	m=$mnt
	mkdir "$m/small" "$m/data"
	for ((i = 0; i < 1200; i++)); do
		printf 'small file %d\n' "$i" > "$m/small/file-with-a-long-name-$i"
	done
	for ((i = 0; i < 120; i++)); do
		head -c $((4096 * (1 + i % 7))) /dev/urandom > "$m/data/d$i"
	done
	# Enough references to one extent that they cannot all be inline.
	mkdir "$m/clones"
	for ((i = 0; i < 40; i++)); do
		cp --reflink=always "$m/data/d3" "$m/clones/c$i"
		printf 'small file %d\n' "$i" > "$m/clones/s$i"
	done
	head -c 2M /dev/urandom > "$m/big"
	cp --reflink=always "$m/big" "$m/big-clone"
	cp --reflink=always "$m/data/d6" "$m/partial"
	dd if=/dev/urandom of="$m/partial" bs=4K count=1 seek=2 conv=notrunc status=none
	# A subvolume inside, and a snapshot of it.
	"$STOCK_BTRFS" -q subvolume create "$m/sv" || {
		fs_umount "$mnt"; loop_detach "$loop"; return 1
	}
	for ((i = 0; i < 300; i++)); do
		printf 'in the subvolume %d\n' "$i" > "$m/sv/file-$i"
	done
	head -c 64K /dev/urandom > "$m/sv/data"
	"$STOCK_BTRFS" -q subvolume snapshot "$m/sv" "$m/sv/snap" || {
		fs_umount "$mnt"; loop_detach "$loop"; return 1
	}
	truncate -s 1M "$m/holes"
	printf 'after a hole\n' >> "$m/holes"
	fallocate -l 64K "$m/prealloc" 2>/dev/null
	sync
	"$STOCK_BTRFS" -q subvolume snapshot "$m" "$m/snap1" &&
		"$STOCK_BTRFS" -q subvolume snapshot "$m/snap1" "$m/snap2" || {
		fs_umount "$mnt"; loop_detach "$loop"; return 1
	}
	head -c 300K /dev/urandom > "$m/only-orig"
	printf 'changed in the snapshot\n' >> "$m/snap1/small/file-with-a-long-name-7"
	sync
	SNAP1=$("$STOCK_BTRFS" inspect-internal rootid "$m/snap1")
	SNAP2=$("$STOCK_BTRFS" inspect-internal rootid "$m/snap2")
	SV=$("$STOCK_BTRFS" inspect-internal rootid "$m/sv")
	SV_SNAP=$("$STOCK_BTRFS" inspect-internal rootid "$m/sv/snap")
	INO_BIG=$(stat -c %i "$m/big")
	INO_CLONE=$(stat -c %i "$m/big-clone")
	INO_ONLY=$(stat -c %i "$m/only-orig")
	ONLY_BYTES=$(($(stat -c %b "$m/only-orig") * 512))
	BIG_BYTES=$(($(stat -c %b "$m/big") * 512))
	(cd "$m" && find . -type f -exec sha256sum {} + | sort -k2) > "$dir/sums"
	fs_umount "$mnt"
	loop_detach "$loop"
}

# sums_same IMAGE: the kernel reads every file as it was written.
sums_same() {
	local loop ret=1
	loop=$(loop_attach "$1") || return 1
	if fs_mount "$loop" "$mnt" ro; then
		(cd "$mnt" && find . -type f -exec sha256sum {} + | sort -k2) > "$dir/sums.now"
		fs_umount "$mnt" && cmp -s "$dir/sums" "$dir/sums.now" && ret=0
	fi
	loop_detach "$loop"
	return $ret
}

# dump_tree IMAGE TREE: the tree's blocks and items (not the superblock's
# usage figures printed after them).
dump_tree() {
	"$OUR_BTRFS" inspect-internal dump-tree -t "$2" "$1" 2> /dev/null |
		grep -v '^bytes used '
}

# trees_save IMAGE: the dump of the three trees, to compare later.
trees_save() {
	local t
	for t in 5 "$SNAP1" "$SNAP2"; do
		dump_tree "$1" "$t" > "$dir/tree-$t.before"
	done
}

# trees_verify NAME IMAGE TREES-CHANGED: checks are clean and the trees
# not in TREES-CHANGED are as trees_save found them.
trees_verify() {
	local name=$1 img=$2 changed=$3 t
	if ! check_clean "$img"; then
		fail "txn-snapshot: $name" "check is not clean" "$dir/last-check"
		return 1
	fi
	for t in 5 "$SNAP1" "$SNAP2"; do
		case " $changed " in *" $t "*) continue ;; esac
		if ! dump_tree "$img" "$t" | cmp -s - "$dir/tree-$t.before"; then
			fail "txn-snapshot: $name" "tree $t changed, it was not edited"
			return 1
		fi
	done
	pass "txn-snapshot: $name, checks clean, other trees unchanged"
}

# edit_trees NAME IMAGE TREES-CHANGED OP...: one transaction of txn-edit.
edit_trees() {
	local name=$1 img=$2 changed=$3
	shift 3
	trees_save "$img"
	if ! "$TOOLS/txn-edit" -M "$img" "$@" > "$dir/last-edit" 2>&1; then
		fail "txn-snapshot: $name" "txn-edit failed" "$dir/last-edit"
		return 1
	fi
	trees_verify "$name" "$img" "$changed"
}

# blocks_accounted IMAGE: the tree blocks reachable from every tree are
# exactly the blocks with a METADATA_ITEM (no leak, nothing missing).
blocks_accounted() {
	"$OUR_BTRFS" inspect-internal dump-tree "$1" |
		awk '/^(node|leaf) [0-9]+ / { print $2 }' | sort -u > "$dir/reachable"
	"$OUR_BTRFS" inspect-internal dump-tree -t extent "$1" |
		awk '$1 == "item" && $5 == "METADATA_ITEM" { sub(/\(/, "", $4); print $4 }' |
		sort -u > "$dir/items"
	[ -s "$dir/items" ] && cmp -s "$dir/reachable" "$dir/items"
}

# How many inodes to visit: every inode number the workload can have used.
ALL=256:3000

# cycle IMAGE N: an xattr set on every inode of the three trees, and
# deleted again.
cycle() {
	edit_trees "all three: xattrs again ($2)" "$1" "5 $SNAP1 $SNAP2" \
		tree=5 inoxattr=$ALL:user.again:300 tree="$SNAP1" \
		inoxattr=$ALL:user.again:300 tree="$SNAP2" \
		inoxattr=$ALL:user.again:300 &&
	edit_trees "all three: deleted again ($2)" "$1" "5 $SNAP1 $SNAP2" \
		tree=5 inodelxattr=$ALL:user.again tree="$SNAP1" \
		inodelxattr=$ALL:user.again tree="$SNAP2" \
		inodelxattr=$ALL:user.again
}

# shared_refs IMAGE: how many blocks have full back references, how many
# shared back references there are, and how many of them are items of
# their own (keyed, where the extent item had no room or keyed ones).
shared_refs() {
	"$OUR_BTRFS" inspect-internal dump-tree -t extent "$1" | awk '
	/FULL_BACKREF/ { full++ } /shared (data|block) backref/ { shared++ }
	$1 == "item" && $5 ~ /^SHARED_(DATA|BLOCK)_REF$/ { keyed++ }
	END { print full + 0, shared + 0, keyed + 0 }'
}

test_metadata() {
	local img=$dir/meta.img before after a b
	before=$(shared_refs "$img")
	edit_trees "original: inode items and xattrs of every file" "$img" 5 \
		tree=5 touch=$ALL inoxattr=$ALL:user.cow:100 || return
	after=$(shared_refs "$img")
	# The original owned the shared blocks: they keep their children by
	# full back references now.
	read -r -a b <<< "$before"
	read -r -a a <<< "$after"
	if [ "${a[0]}" -gt "${b[0]}" ] && [ "${a[1]}" -gt "${b[1]}" ] &&
	   [ "${a[2]}" -gt "${b[2]}" ]; then
		pass "txn-snapshot: blocks the snapshots share got full back references ($before -> $after)"
	else
		fail "txn-snapshot: sharing" "full back references and shared refs $before -> $after"
	fi
	edit_trees "snapshot: inode items and xattrs" "$img" "$SNAP1" \
		tree="$SNAP1" touch=$ALL inoxattr=$ALL:user.cow:700 || return
	edit_trees "snapshot of the snapshot: inode items and xattrs" "$img" \
		"$SNAP2" tree="$SNAP2" touch=$ALL inoxattr=$ALL:user.cow:40 || return
	edit_trees "a subvolume and its snapshot (nested in it)" "$img" "" \
		tree="$SV" touch=$ALL inoxattr=$ALL:user.sv:80 \
		tree="$SV_SNAP" touch=$ALL inoxattr=$ALL:user.svs:90 || return
	if sums_same "$img"; then
		pass "txn-snapshot: the kernel reads every file of the five trees as written"
	else
		fail "txn-snapshot: file data after the edits" "sha256 differs" "$dir/sums.now"
	fi
	edit_trees "all three: xattrs deleted" "$img" "5 $SNAP1 $SNAP2" \
		tree=5 inodelxattr=$ALL:user.cow tree="$SNAP1" \
		inodelxattr=$ALL:user.cow tree="$SNAP2" \
		inodelxattr=$ALL:user.cow || return
	cycle "$img" 1 || return
	cycle "$img" 2 || return
	if blocks_accounted "$img"; then
		pass "txn-snapshot: every reachable tree block has its extent item, and no other block"
	else
		fail "txn-snapshot: space accounting" "reachable blocks and extent items differ" "$dir/items"
	fi
}

# test_torture: random xattr inserts, deletes and resizes on the top
# directory of the first snapshot, some transactions aborted, checked
# against a model after each (txn-torture), then the same on the original.
test_torture() {
	local img=$dir/torture.img t
	cp --sparse=always "$dir/meta.orig.img" "$img"
	for t in "$SNAP1" 5; do
		trees_save "$img"
		if ! "$TOOLS/txn-torture" -s 7 -t 12 -n 150 -T "$t" "$img" \
				> "$dir/last-edit" 2>&1; then
			fail "txn-snapshot: torture of tree $t" "txn-torture failed" "$dir/last-edit"
			return
		fi
		trees_verify "torture of tree $t ($(head -n 1 "$dir/last-edit"))" \
			"$img" "$t" || return
	done
}

# csum_bytes IMAGE: the bytes of checksum items (crc32c: 4 a sector).
csum_bytes() {
	"$OUR_BTRFS" inspect-internal dump-tree -t csum "$1" | awk '
	$1 == "item" && $5 == "EXTENT_CSUM" { sum += $NF }
	END { print sum + 0 }'
}

# expect_freed NAME IMAGE BYTES OP...: the edit frees exactly BYTES of data
# and their checksums.
expect_freed() {
	local name=$1 img=$2 want=$3 before after changed csum0 csum1
	shift 3
	changed=$(printf '%s\n' "$@" | sed -n 's/^tree=//p' | tr '\n' ' ')
	before=$(data_used "$img")
	csum0=$(csum_bytes "$img")
	edit_trees "$name" "$img" "$changed" "$@" || return 1
	after=$(data_used "$img")
	csum1=$(csum_bytes "$img")
	if [ $((before - after)) -ne "$want" ]; then
		fail "txn-snapshot: $name" "$((before - after)) bytes freed, want $want"
		return 1
	fi
	if [ $((csum0 - csum1)) -ne $((want / 4096 * 4)) ]; then
		fail "txn-snapshot: $name" "$((csum0 - csum1)) bytes of checksums deleted, want $((want / 4096 * 4))"
		return 1
	fi
	pass "txn-snapshot: $name frees $want bytes"
}

test_data() {
	local img=$dir/data.img loop
	expect_freed "data written after the snapshots dropped" "$img" \
		"$ONLY_BYTES" tree=5 truncate="$INO_ONLY" || return
	expect_freed "a shared file dropped from the original" "$img" 0 \
		tree=5 truncate="$INO_BIG" truncate="$INO_CLONE" || return
	expect_freed "the file dropped from both snapshots, its reflink kept" \
		"$img" 0 tree="$SNAP1" truncate="$INO_BIG" tree="$SNAP2" \
		truncate="$INO_BIG" || return
	expect_freed "the last reflinks dropped" "$img" "$BIG_BYTES" \
		tree="$SNAP1" truncate="$INO_CLONE" tree="$SNAP2" \
		truncate="$INO_CLONE" || return
	# What the kernel must see now: those files empty, the rest unchanged.
	awk '$2 != "./only-orig" && $2 != "./big" && $2 != "./big-clone" &&
	     $2 != "./snap1/big" && $2 != "./snap1/big-clone" &&
	     $2 != "./snap2/big" && $2 != "./snap2/big-clone"' "$dir/sums" \
		> "$dir/sums.kept"
	e3b=$(sha256sum < /dev/null | cut -d' ' -f1)
	for f in only-orig big big-clone snap1/big snap1/big-clone snap2/big \
		 snap2/big-clone; do
		echo "$e3b  ./$f"
	done >> "$dir/sums.kept"
	sort -k2 "$dir/sums.kept" > "$dir/sums"
	if sums_same "$img"; then
		pass "txn-snapshot: the kernel reads the dropped files empty and the rest as written"
	else
		fail "txn-snapshot: file data after dropping extents" "sha256 differs" "$dir/sums.now"
		return
	fi
	if "$STOCK_BTRFS" check --check-data-csum "$img" > "$dir/last-check" 2>&1; then
		pass "txn-snapshot: stock check verifies the data checksums left"
	else
		fail "txn-snapshot: data checksums" "stock check --check-data-csum fails" "$dir/last-check"
	fi
	loop=$(loop_attach "$img") || return
	if fs_mount "$loop" "$mnt" noatime; then
		head -c 500K /dev/urandom > "$mnt/snap1/after-us"
		"$STOCK_BTRFS" -q subvolume snapshot "$mnt/snap1" "$mnt/snap3"
		sync
		fs_umount "$mnt"
	fi
	loop_detach "$loop"
	edit_trees "our edit on top of the kernel's snapshot" "$img" "$SNAP1" \
		tree="$SNAP1" touch=$ALL inoxattr=$ALL:user.last:50
}

# test_variant NAME MKFS-OPTION...: the original and both snapshots
# edited in one transaction, shared and unshared data dropped, on another
# kind of filesystem.
test_variant() {
	local name=$1 img=$dir/variant.img before after
	shift
	if ! make_fs "$img" "$@"; then
		fail "txn-snapshot: $name" "the kernel workload failed"
		return
	fi
	before=$(data_used "$img")
	edit_trees "$name: the three trees in one transaction" "$img" \
		"5 $SNAP1 $SNAP2" tree=5 touch=$ALL inoxattr=$ALL:user.v:64 \
		truncate="$INO_ONLY" truncate="$INO_BIG" tree="$SNAP1" \
		touch=$ALL inoxattr=$ALL:user.v:64 tree="$SNAP2" \
		truncate="$INO_BIG" || return
	after=$(data_used "$img")
	if [ $((before - after)) -ne "$ONLY_BYTES" ]; then
		fail "txn-snapshot: $name" "$((before - after)) bytes of data freed, want $ONLY_BYTES"
		return
	fi
	awk -v o=./only-orig -v b=./big -v b2=./snap2/big \
		'$2 == o || $2 == b || $2 == b2 {
			$1 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"; $2 = " " $2 }
		{ print }' "$dir/sums" | sed 's/   \./  ./' | sort -k2 > "$dir/sums.v"
	mv "$dir/sums.v" "$dir/sums"
	if sums_same "$img"; then
		pass "txn-snapshot: $name: data freed exactly, the kernel reads every file as expected"
	else
		fail "txn-snapshot: $name" "sha256 differs" "$dir/sums.now"
	fi
}

# test_enospc: metadata runs out in the middle of a transaction on the
# snapshot: without -k nothing is written, with -k what was done before
# is committed and clean.
test_enospc() {
	local img=$dir/enospc.img
	if ! FS_SIZE=128M make_fs "$img"; then
		fail "txn-snapshot: ENOSPC" "the kernel workload failed"
		return
	fi
	cp "$img" "$img.orig"
	"$TOOLS/txn-edit" -M "$img" tree="$SNAP1" touch=$ALL \
		xattrs=256:0:20000:1500 > "$dir/last-edit" 2>&1
	if [ $? -ne 2 ] || ! cmp -s "$img" "$img.orig"; then
		fail "txn-snapshot: ENOSPC" "no ENOSPC, or the image changed" "$dir/last-edit"
		return
	fi
	trees_save "$img"
	"$TOOLS/txn-edit" -M -k "$img" tree="$SNAP1" touch=$ALL \
		xattrs=256:0:20000:1500 > "$dir/last-edit" 2>&1
	if [ $? -ne 2 ]; then
		fail "txn-snapshot: ENOSPC, -k" "no ENOSPC" "$dir/last-edit"
		return
	fi
	trees_verify "ENOSPC on a snapshot: nothing written, with -k the work before it committed" \
		"$img" "$SNAP1"
}

test_enospc
test_variant "no skinny metadata" -O ^skinny-metadata
test_variant "mixed block groups" --mixed
if ! make_fs "$dir/meta.img"; then
	fail "txn-snapshot" "the kernel workload failed"
	test_done
fi
cp --sparse=always "$dir/meta.img" "$dir/data.img"
cp --sparse=always "$dir/meta.img" "$dir/meta.orig.img"
cp "$dir/sums" "$dir/sums.orig"
levels=$(dump_tree "$dir/meta.img" 5 |
	awk '/^node / { print $4; exit } /^leaf / { print 0; exit }')
if [ "${levels:-0}" -lt 2 ]; then
	fail "txn-snapshot" "the fs tree has root level ${levels:-?}, want at least 2"
fi
test_metadata
test_torture
cp "$dir/sums.orig" "$dir/sums"
test_data
test_done
