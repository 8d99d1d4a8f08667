#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# common/owners.c through tests/tools/owners-probe: who owns a byte range.
# The expected answers come from the kernel and stock btrfs-progs 6.2:
#   - files the kernel wrote (hard links, a hundred long names in
#     INODE_EXTREF items, a reflink, a snapshot sharing the files, a file
#     in a subvolume and in a snapshot of it inside a directory, a
#     compressed file, a block rewritten after the snapshot): for a byte of each, the kernel's own
#     backref walk (logical-resolve -P on the mounted filesystem) gives
#     every (root, inode, file offset), find -inum and subvolid-resolve
#     every path; the logical address comes from filefrag; the physical
#     address from stock btrfs-map-logical, queried again as physical bytes;
#     --json gives the same set
#   - tree blocks from stock dump-tree (leaf and node of the fs tree, a
#     subvolume, the extent tree root): tree id and level, through every
#     DUP copy's physical address from btrfs-map-logical
#   - free space after the last extent of the data chunk, superblock copies
#     at dump-super's bytenr, unallocated device bytes around the device
#     extents of stock's device tree
#   - a bad blocks file (sectors) hitting a file and free space; a malformed
#     line is refused with its line number
#   - sysfs bad blocks: a loop device has none; a fake sysfs tree
#     (BTRFS_DAX_SYSFS_ROOT) for a partition is shifted and clipped
#   - whole chunks of stock images: covered exactly, as many tree blocks
#     as stock lists; the same on fuzzed metadata: no crash
#   - RAID metadata (raid1, raid10, raid6 from the catalogue, as loop
#     devices): every copy's physical address maps back to the block

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init owners

PROBE=$TEST_TOP/tests/tools/owners-probe
T=owners
dir=$TEST_WORKDIR/owners
mkdir -p "$dir"

# expect WHAT GOT WANT
expect() {
	if [ "$2" = "$3" ]; then
		pass "$T: $1"
	else
		fail "$T: $1" "got '$2', want '$3'"
	fi
}

# probe NAME ARG...: runs the probe into $dir/NAME.out/.err; fails NAME on a
# crash or a non-zero exit.
probe() {
	local name=$1 why st
	shift
	run_tool "$dir/$name" "$PROBE" "$@"
	st=$?
	if why=$(crash_reason "$st" "$dir/$name.err"); then
		fail "$T: $name" "$why" "$dir/$name.err"
		return 1
	fi
	if [ "$st" -ne 0 ]; then
		fail "$T: $name" "exit $st: $(head -n 1 "$dir/$name.err")"
		return 1
	fi
}

# data_set FILE: "ROOT INODE OFFSET PATH" of the probe's data lines, sorted.
data_set() {
	sed -n 's/^  data extent [0-9]* len [0-9]*: \(.*\) offset \([0-9]*\) len [0-9]*.* (root \([0-9]*\) inode \([0-9]*\))$/\3 \4 \2 \1/p' "$1" |
		sort -u
}

# json_set FILE: the same from --json output.
json_set() {
	python3 - "$1" <<'EOF' | sort -u
import json, sys
for p in json.load(open(sys.argv[1])):
    for f in p.get("files", []):
        for path in f["paths"]:
            print(f["root"], f["inode"], f["file_offset"], path)
EOF
}

# ------------------------------------------------------------ kernel files

# kernel_oracle MNT LOGICAL: "ROOT INODE OFFSET PATH" for every file the
# kernel's backref walk finds at LOGICAL; the paths are every name of the
# inode that find sees in that subvolume (inode-resolve's buffer is too
# small for a hundred long names).
kernel_oracle() {
	local mnt=$1 ino off root sub p
	"$STOCK_BTRFS" inspect-internal logical-resolve -P "$2" "$mnt" |
	while read -r _ ino _ off _ root; do
		sub=
		if [ "$root" != 5 ]; then
			sub=/$("$STOCK_BTRFS" inspect-internal subvolid-resolve "$root" "$mnt")
		fi
		find "$mnt$sub" -xdev -inum "$ino" |
		while read -r p; do
			echo "$root $ino $off ${p#"$mnt"}"
		done
	done | sort -u
}

# first_extent MNT FILE: "LOGICAL BYTES" of the file's first extent.
first_extent() {
	filefrag -v -b4096 "$1/$2" |
		awk '$1 == "0:" { sub(/\.\..*/, "", $4); print $4 * 4096, $6 * 4096 }'
}

kernel_files() {
	local mnt=$1
	mkdir "$mnt/dir" "$mnt/c" "$mnt/snapdir"
	head -c 300000 /dev/urandom > "$mnt/dir/file"
	ln "$mnt/dir/file" "$mnt/dir/link"
	ln "$mnt/dir/file" "$mnt/other name"
	cp --reflink=always "$mnt/dir/file" "$mnt/reflink"
	# More long names in one directory than an INODE_REF item holds:
	# the rest go to INODE_EXTREF items.
	mkdir "$mnt/links"
	head -c 50000 /dev/urandom > "$mnt/links/multi"
	for i in $(seq 1 100); do
		ln "$mnt/links/multi" "$mnt/links/$(printf 'n%.0s' $(seq 240))-$i"
	done
	"$STOCK_BTRFS" subvolume create "$mnt/sub" >/dev/null
	mkdir -p "$mnt/sub/d/e"
	head -c 70000 /dev/urandom > "$mnt/sub/d/e/sfile"
	chattr +c "$mnt/c"
	yes compressible | head -c 500000 > "$mnt/c/comp"
	# Enough names for a two-level fs tree.
	(cd "$mnt/dir" && touch $(seq -f 'empty-%g' 400))
	"$STOCK_BTRFS" subvolume snapshot "$mnt" "$mnt/snap" >/dev/null
	"$STOCK_BTRFS" subvolume snapshot "$mnt/sub" "$mnt/snapdir/subsnap" >/dev/null
	sync
	# Changing the leaves after the snapshots turns the snapshots' refs
	# into shared refs (parent leaf, no inode): a rewrite of the file's
	# last block changes the leaf with its file extent items.
	touch "$mnt/dir/file" "$mnt/sub/d/e/sfile" "$mnt/c/comp"
	dd if="$mnt/dir/file" of="$mnt/dir/file" bs=4096 skip=70 seek=70 count=1 \
		conv=notrunc status=none
	sync
}

# check_file NAME LOGICAL BYTES: the probe against the kernel's answer.
check_file() {
	local name=$1 q=$2 len=$3 got want phys
	want=$(cat "$dir/$name.kernel")
	if [ -z "$want" ]; then
		fail "$T: $name: the kernel names no file"
		return
	fi
	probe "$name" "$IMG" -- logical "$q" "$len" || return
	got=$(data_set "$dir/$name.out")
	expect "$name: logical $q: every path and offset" "$got" "$want"
	if command -v python3 >/dev/null 2>&1 &&
	   probe "$name-json" --json "$IMG" -- logical "$q" "$len"; then
		got=$(json_set "$dir/$name-json.out")
		expect "$name: --json" "$got" "$want"
	fi
	phys=$(stock_physical "$IMG" "$q" | awk '{ print $2; exit }')
	if [ -n "$phys" ] && probe "$name-phys" "$IMG" -- physical 1 "$phys" "$len"; then
		got=$(data_set "$dir/$name-phys.out")
		expect "$name: physical $phys" "$got" "$want"
	fi
}

# check_tree_block NAME BYTENR LEVEL TREE: the block and its copies.
check_tree_block() {
	local name=$1 b=$2 want got phys n=0
	want="  metadata: tree $4 ($5) level $3 block $b"
	probe "$name" "$IMG" -- logical "$b" 4096 || return
	got=$(sed 's/ (logical.*//' "$dir/$name.out")
	expect "$name: block $b" "$got" "$want"
	for phys in $(stock_physical "$IMG" "$b" | awk '{ print $2 }'); do
		n=$((n + 1))
		probe "$name-copy$n" "$IMG" -- physical 1 "$phys" 4096 || continue
		got=$(sed 's/ (logical.*//' "$dir/$name-copy$n.out")
		expect "$name: copy at physical $phys" "$got" "$want"
	done
	[ "$n" -ge 2 ] || fail "$T: $name: btrfs-map-logical found $n copies of DUP metadata"
}

# tree_block STOCK-DUMP-ARGS LEVEL: the first block of that level.
tree_block() {
	local level=$1
	shift
	stock_blocks "$@" "$IMG" | awk -v l="$level" '$3 == l { print $2; exit }'
}

check_metadata() {
	local b
	b=$(tree_block 0 -t fs)
	[ -n "$b" ] && check_tree_block fs-leaf "$b" 0 5 "fs tree"
	b=$(tree_block 1 -t fs)
	if [ -n "$b" ]; then
		check_tree_block fs-node "$b" 1 5 "fs tree"
	else
		fail "$T: fs tree node" "stock shows no level 1 block"
	fi
	b=$(tree_block 0 -t 256)
	[ -n "$b" ] && check_tree_block subvol-leaf "$b" 0 256 subvolume
	b=$("$STOCK_BTRFS" inspect-internal dump-tree -t extent "$IMG" 2>/dev/null |
		awk '$1 == "leaf" || $1 == "node" { print $2; exit }')
	[ -n "$b" ] && check_tree_block extent-root "$b" \
		"$(stock_blocks -t extent "$IMG" | awk -v b="$b" '$2 == b { print $3 }')" \
		2 "extent tree"
}

# fs_only_block: "BYTENR LEVEL" of a tree block whose one back reference
# is the fs tree, from stock dump-tree of the extent tree.
fs_only_block() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t extent "$IMG" 2>/dev/null | awk '
	function flush() { if (b != "" && n == 1 && fs) { print b, l; found = 1; exit } }
	/^\titem / { flush(); b = "" }
	/METADATA_ITEM/ { b = $4; sub(/\(/, "", b); l = $6; sub(/\)/, "", l); n = 0; fs = 0 }
	/backref/ { n++; if ($0 ~ /tree block backref root FS_TREE$/) fs = 1 }
	END { if (!found) flush() }'
}

# Both copies of a tree block destroyed: the tree and level still come
# from the extent tree.
check_unreadable() {
	local img=$dir/broken.img b l phys got
	read -r b l < <(fs_only_block)
	if [ -z "$b" ]; then
		fail "$T: unreadable block" "stock shows no block referenced by the fs tree only"
		return
	fi
	cp "$IMG" "$img"
	for phys in $(stock_physical "$IMG" "$b" | awk '{ print $2 }'); do
		dd if=/dev/zero of="$img" bs=4096 seek=$((phys / 4096)) count=1 \
			conv=notrunc status=none
	done
	probe unreadable "$img" -- logical "$b" 4096 || return
	got=$(sed 's/ (logical.*//' "$dir/unreadable.out")
	expect "both copies of block $b zeroed: owner from the extent tree" \
		"$got" "  metadata: tree 5 (fs tree) level $l block $b"
	rm -f "$img"
}

# The snapshot's leaf behind a shared data ref destroyed: the files the
# kernel named in the fs tree are still all there, nothing is invented,
# and the answer says it may be incomplete.
check_damaged_shared() {
	local img=$dir/broken2.img e p="" phys got name q len
	# Which refs the kernel makes shared depends on which tree copied a
	# leaf first: take the first queried extent that has one.
	for name in file multi comp sfile; do
		e=$(awk '/^  data extent/ { print $3; exit }' "$dir/$name.out")
		p=$("$STOCK_BTRFS" inspect-internal dump-tree -t extent "$IMG" | awk -v e="$e" '
			/^\titem / { cur = ($4 == "(" e) }
			cur && /shared data backref parent/ { print $5; exit }')
		[ -n "$p" ] && break
	done
	if [ -z "$p" ]; then
		fail "$T: damaged shared leaf" "no queried extent has a shared data ref"
		return
	fi
	cp "$IMG" "$img"
	for phys in $(stock_physical "$IMG" "$p" | awk '{ print $2 }'); do
		dd if=/dev/zero of="$img" bs=4096 seek=$((phys / 4096)) count=1 \
			conv=notrunc status=none
	done
	read -r q len < "$dir/$name.query"
	probe damaged-shared "$img" -- logical "$q" "$len" || return
	data_set "$dir/damaged-shared.out" > "$dir/damaged-shared.set"
	got=$(grep '^5 ' "$dir/$name.kernel" | comm -23 - "$dir/damaged-shared.set" | wc -l)
	expect "$name: leaf $p destroyed: every fs tree file still named" "$got" 0
	got=$(comm -13 "$dir/$name.kernel" "$dir/damaged-shared.set" | wc -l)
	expect "$name: leaf $p destroyed: no invented owner" "$got" 0
	got=$(grep -c 'damaged metadata, more files may use it' "$dir/damaged-shared.out")
	expect "$name: leaf $p destroyed: said to be incomplete" "$got" 1
	rm -f "$img"
}

# The data chunk's first byte after its last extent.
free_logical() {
	local chunk cs cl
	chunk=$("$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$IMG" 2>/dev/null | awk '
		/CHUNK_ITEM/ { sub(/\)/, "", $6); start = $6 }
		/type DATA/ { print start, $2; exit }')
	read -r cs cl <<< "$chunk"
	"$STOCK_BTRFS" inspect-internal dump-tree -t extent "$IMG" 2>/dev/null |
	awk -v s="$cs" -v l="$cl" '
		/EXTENT_ITEM/ { sub(/\(/, "", $4); sub(/\)/, "", $6)
			if ($4 >= s && $4 < s + l && $4 + $6 > end) end = $4 + $6 }
		END { if (end && end + 4096 <= s + l) print end }'
}

check_free() {
	local f got
	f=$(free_logical)
	if [ -z "$f" ]; then
		fail "$T: free space" "no free byte found in the data chunk"
		return
	fi
	probe free "$IMG" -- logical "$f" 4096 || return
	got=$(cat "$dir/free.out")
	expect "free space at logical $f" "$got" \
		"  free space: harmless (logical $f len 4096)"
}

check_device_space() {
	local m off got first last size
	for m in 0 1; do
		off=$("$STOCK_BTRFS" inspect-internal dump-super -s "$m" "$IMG" |
			awk '$1 == "bytenr" { print $2 }')
		probe "super$m" "$IMG" -- physical 1 "$off" 4096 || continue
		got=$(cat "$dir/super$m.out")
		expect "superblock copy $m" "$got" \
			"  superblock: copy $m at $off (len 4096 devid 1 physical $off)"
	done
	read -r first last < <("$STOCK_BTRFS" inspect-internal dump-tree -t dev "$IMG" |
		awk '/DEV_EXTENT/ { sub(/\)/, "", $6); off = $6 }
		     /length/ && off != "" { if (first == "") first = off
			if (off + $NF > last) last = off + $NF; off = "" }
		     END { print first, last }')
	off=$("$STOCK_BTRFS" inspect-internal dump-super "$IMG" | awk '$1 == "bytenr" { print $2 }')
	probe below-first "$IMG" -- physical 1 0 "$first" || return
	got=$(awk '{ print $1 }' "$dir/below-first.out" | tr '\n' ' ')
	expect "before the first device extent at $first" "$got" \
		"unallocated: superblock: unallocated: "
	got=$(sed -n 2p "$dir/below-first.out")
	expect "the superblock inside it" "$got" \
		"  superblock: copy 0 at $off (len 4096 devid 1 physical $off)"
	size=$(stat -c %s "$IMG")
	if [ "$last" -lt "$size" ]; then
		probe after-last "$IMG" -- physical 1 "$last" 4096 || return
		got=$(cat "$dir/after-last.out")
		expect "after the last device extent" "$got" \
			"  unallocated: harmless (len 4096 devid 1 physical $last)"
	fi
}

check_badblocks() {
	local q=$1 f phys fphys chunk got cs cl
	phys=$(stock_physical "$IMG" "$q" | awk '{ print $2; exit }')
	f=$(free_logical)
	# SINGLE data: the chunk's stripe offset plus the offset in the chunk.
	chunk=$("$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$IMG" 2>/dev/null | awk '
		/CHUNK_ITEM/ { sub(/\)/, "", $6); start = $6 }
		/type DATA/ { data = 1 }
		data && /stripe 0/ { print start, $6; exit }')
	read -r cs cl <<< "$chunk"
	fphys=$((f - cs + cl))
	printf '%s 8\n\n  %s 1\n' $((phys / 512)) $((fphys / 512)) > "$dir/bad.list"
	probe badblocks "$IMG" -- badblocks 1 "$dir/bad.list" || return
	got=$(grep -c '^range ' "$dir/badblocks.out")
	expect "badblocks: two ranges" "$got" 2
	got=$(data_set "$dir/badblocks.out")
	expect "badblocks: the file's paths" "$got" "$(cat "$dir/file.kernel")"
	got=$(grep -c "free space: harmless (logical $f len 512 devid 1 physical $fphys)" \
		"$dir/badblocks.out")
	expect "badblocks: free space" "$got" 1
	printf '1 8\n\n2 x\n' > "$dir/bad2.list"
	run_tool "$dir/badblocks-bad" "$PROBE" "$IMG" -- badblocks 1 "$dir/bad2.list"
	got="$? $(grep -c 'bad2.list:3: malformed' "$dir/badblocks-bad.err")"
	expect "badblocks: malformed line 3 refused" "$got" "1 1"
}

# A partition in a fake sysfs tree: its disk's list, shifted and clipped.
check_sysfs() {
	local dev=$1 fake=$dir/sysfs mm got
	probe sysfs-loop sysfs "$dev" || return
	expect "sysfs: $dev has no bad blocks" "$(cat "$dir/sysfs-loop.out")" ""
	mm=$(stat -c '%t %T' "$dev" | { read -r a b; echo $((16#$a)):$((16#$b)); })
	mkdir -p "$fake/dev/block" "$fake/devices/disk/part"
	echo 1 > "$fake/devices/disk/part/partition"
	echo 2048 > "$fake/devices/disk/part/start"
	echo 4096 > "$fake/devices/disk/part/size"
	printf '100 8\n2040 16\n6000 200\n3000 8\n' > "$fake/devices/disk/badblocks"
	ln -s ../../devices/disk/part "$fake/dev/block/$mm"
	BTRFS_DAX_SYSFS_ROOT=$fake probe sysfs-part sysfs "$dev" || return
	got=$(tr '\n' ' ' < "$dir/sysfs-part.out")
	expect "sysfs: partition ranges" "$got" \
		"0 $((8 * 512)) $(((6000 - 2048) * 512)) $(((2048 + 4096 - 6000) * 512)) $(((3000 - 2048) * 512)) 4096 "
	rm "$fake/dev/block/$mm"
	ln -s ../../devices/disk "$fake/dev/block/$mm"
	BTRFS_DAX_SYSFS_ROOT=$fake probe sysfs-disk sysfs "$dev" || return
	got=$(tr '\n' ' ' < "$dir/sysfs-disk.out")
	expect "sysfs: whole disk ranges" "$got" \
		"51200 4096 1044480 8192 3072000 102400 1536000 4096 "
}

check_kernel() {
	local why mnt=$dir/mnt dev q len name
	if why=$(why_no_kernel); then
		skip "$T: kernel-written files" "$why"
		return
	fi
	IMG=$dir/kernel.img
	truncate -s 256M "$IMG"
	"$STOCK_MKFS" -q -f "$IMG" >/dev/null 2>&1 || { fail "$T: mkfs"; return; }
	dev=$(loop_attach "$IMG") || { fail "$T: losetup"; return; }
	fs_mount "$dev" "$mnt" || { fail "$T: mount"; loop_detach "$dev"; return; }
	kernel_files "$mnt"
	for name in file:dir/file sfile:sub/d/e/sfile comp:c/comp \
		    multi:links/multi tail:dir/file; do
		read -r q len < <(first_extent "$mnt" "${name#*:}")
		case ${name%%:*} in
		comp)	len=4096 ;;
		# The block rewritten after the snapshot: only it still uses it.
		tail)	q=$((q + 70 * 4096)) len=4096 ;;
		# A byte inside the extent, so the file offsets are not all 0.
		*)	q=$((q + 4096)) len=8192 ;;
		esac
		echo "$q $len" > "$dir/${name%%:*}.query"
		kernel_oracle "$mnt" "$q" > "$dir/${name%%:*}.kernel"
	done
	fs_umount "$mnt"
	loop_detach "$dev"
	for name in file sfile comp multi tail; do
		read -r q len < "$dir/$name.query"
		check_file "$name" "$q" "$len"
	done
	read -r q len < "$dir/file.query"
	got=$("$STOCK_BTRFS" inspect-internal dump-tree -t extent "$IMG" |
		grep -c 'shared data backref')
	[ "$got" -gt 0 ] || fail "$T: shared data refs" "stock dump-tree shows none: the snapshot case is not tested"
	got=$("$STOCK_BTRFS" inspect-internal dump-tree -t fs "$IMG" | grep -c INODE_EXTREF)
	[ "$got" -gt 0 ] || fail "$T: extended refs" "stock dump-tree shows no INODE_EXTREF: the case is not tested"
	got=$(grep -c "/links/n*-[0-9]* offset 4096 len 8192 (root 5 " "$dir/multi.out")
	expect "multi: all 100 long hard link names" "$got" 100
	got=$(sed -n 's|^  data extent .*: /dir/file offset .* (root 5 \(inode [0-9]*\))$|\1|p' "$dir/file.out")
	got="$(grep -c "(root 5 $got)" "$dir/tail.out") $(grep -c '/snap/dir/file offset' "$dir/tail.out")"
	expect "tail: the rewritten block: not the fs tree's file, the snapshot's" "$got" "0 1"
	got=$(grep -c "dir/file offset 4096 len 8192 " "$dir/file.out")
	expect "file: queried length" "$got" 2
	got=$(grep -c 'compressed, whole extent' "$dir/comp.out")
	expect "comp: the whole compressed extent" "$got" 2
	check_metadata
	check_unreadable
	check_damaged_shared
	check_free
	check_device_space
	check_badblocks "$q"
	dev=$(loop_attach "$IMG" -r) || { fail "$T: losetup"; return; }
	check_sysfs "$dev"
	loop_detach "$dev"
}

# ------------------------------------------------- RAID metadata, reversed

# meta_full_stripe DEV: bytes of data in one full stripe of the metadata
# chunk when it is RAID5/6 (stripe_len times the data stripes), else 0.
meta_full_stripe() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$1" 2>/dev/null | awk '
		/type METADATA/ { sl = $6; p = ($NF ~ /RAID6/) ? 2 : ($NF ~ /RAID5/) ? 1 : 0 }
		/num_stripes/ && sl { print p ? sl * ($2 - p) : 0; exit }'
}

check_raid() {
	local name=$1 b phys devpath devid mirror n=0 got full x
	local -a loops=()
	if ! image_get "$name"; then
		skip "$T: $name" "$IMAGE_WHY"
		return
	fi
	for f in "${IMAGE_DEVS[@]}"; do
		loops+=("$(loop_attach "$f" -r)") || break
	done
	"$STOCK_BTRFS" device scan "${loops[@]}" >/dev/null 2>&1
	full=$(meta_full_stripe "${loops[0]}")
	for b in $(stock_blocks -t fs "${loops[0]}" | awk '{ print $2 }' | head -n 3) \
		 $(stock_blocks -t extent "${loops[0]}" | awk '{ print $2 }' | head -n 3); do
		"$STOCK_MAP_LOGICAL" -l "$b" "${loops[0]}" 2>/dev/null |
			awk '$1 == "mirror" { print $2, $6, $NF }' > "$dir/$name.map"
		while read -r mirror phys devpath; do
			devid=$("$STOCK_BTRFS" inspect-internal dump-super "$devpath" |
				awk '$1 == "dev_item.devid" { print $2 }')
			n=$((n + 1))
			probe "$name-$n" "${IMAGE_DEVS[@]}" -- physical "$devid" "$phys" 4096 ||
				continue
			got=$(sed 's/ (logical.*//' "$dir/$name-$n.out")
			# RAID5/6: stock's further mirrors are the parity stripes.
			if [ "$full" != 0 ] && [ "$mirror" -gt 1 ]; then
				x=$(echo "$got" | sed -n 's/^  raid[56] parity: full stripe at logical \([0-9]*\)$/\1/p')
				if [ -n "$x" ] && [ "$x" -le "$b" ] && [ "$b" -lt $((x + full)) ]; then
					pass "$T: $name: devid $devid physical $phys is parity of block $b"
				else
					fail "$T: $name: devid $devid physical $phys is parity of block $b" "got '$got'"
				fi
				continue
			fi
			case "$got" in
			"  metadata: tree "*" level "*" block $b") pass "$T: $name: devid $devid physical $phys is block $b" ;;
			*) fail "$T: $name: devid $devid physical $phys is block $b" "got '$got'" ;;
			esac
		done < "$dir/$name.map"
	done
	for l in "${loops[@]}"; do
		loop_detach "$l"
	done
	[ "$n" -gt 0 ] || fail "$T: $name" "btrfs-map-logical mapped no block"
}

# ------------------------------------------ whole chunks of stock images

# check_chunks NAME: every chunk resolved whole: no crash, the pieces cover
# it exactly, and as many tree blocks as stock's extent tree lists there.
check_chunks() {
	local name=$1 start len want got
	if ! image_get "$name"; then
		skip "$T: $name chunks" "$IMAGE_WHY"
		return
	fi
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk --noscan "${IMAGE_DEVS[@]}" 2>/dev/null |
		awk '/CHUNK_ITEM/ { s = $6; sub(/\)/, "", s) } /length/ && s != "" { print s, $2; s = "" }' \
		> "$dir/$name.chunks"
	"$STOCK_BTRFS" inspect-internal dump-tree -t extent --noscan "${IMAGE_DEVS[@]}" 2>/dev/null |
		awk '/(METADATA|EXTENT)_ITEM/ { b = $4; sub(/\(/, "", b) }
		     /flags .*TREE_BLOCK/ { print b }' > "$dir/$name.blocks"
	while read -r start len; do
		probe "$name-$start" --json "${IMAGE_DEVS[@]}" -- logical "$start" "$len" ||
			continue
		want=$(awk -v s="$start" -v l="$len" '$1 >= s && $1 < s + l { n++ } END { print l, n + 0 }' \
			"$dir/$name.blocks")
		got=$(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(sum(x["len"] for x in p), len([x for x in p if x["kind"] == "tree_block"]))' \
			"$dir/$name-$start.out")
		expect "$name: chunk $start: bytes covered, tree blocks" "$got" "$want"
	done < "$dir/$name.chunks"
}

check_errors() {
	local got
	run_tool "$dir/err-nochunk" "$PROBE" "$IMG" -- logical 0 4096
	got="$? $(grep -c 'logical 0 is in no chunk' "$dir/err-nochunk.err")"
	expect "a logical address in no chunk is refused" "$got" "1 1"
	run_tool "$dir/err-devid" "$PROBE" "$IMG" -- physical 9 0 4096
	got="$? $(grep -c 'no device with devid 9' "$dir/err-devid.err")"
	expect "an unknown devid is refused" "$got" "1 1"
}

# Damaged metadata (tests/tools/btrfs-corrupt fuzz: random bytes of random
# tree blocks, checksums fixed): resolving every chunk and the device's
# first 128 MiB never crashes or hangs.  OWNERS_FUZZ_RUNS seeds (20).
check_fuzz() {
	local copy=$dir/fuzz.img seed start len st why bad="" n=0
	if ! image_get rootdir; then
		skip "$T: fuzz" "$IMAGE_WHY"
		return
	fi
	for ((seed = 1; seed <= ${OWNERS_FUZZ_RUNS:-20}; seed++)); do
		cp --sparse=always "${IMAGE_DEVS[0]}" "$copy"
		BTRFS_CORRUPT_SEED=$seed "$TEST_TOP/tests/tools/btrfs-corrupt" \
			"$copy" fuzz > /dev/null 2>&1 || continue
		while read -r start len; do
			run_tool "$dir/fuzz" "$PROBE" "$copy" -- logical "$start" "$len"
			st=$?
			n=$((n + 1))
			if why=$(crash_reason "$st" "$dir/fuzz.err"); then
				bad="seed $seed, logical $start: $why"
				break 2
			fi
		done < "$dir/rootdir.chunks"
		run_tool "$dir/fuzz" "$PROBE" "$copy" -- physical 1 0 $((128 << 20))
		st=$?
		if why=$(crash_reason "$st" "$dir/fuzz.err"); then
			bad="seed $seed, physical: $why"
			break
		fi
	done
	rm -f "$copy"
	if [ -n "$bad" ]; then
		fail "$T: fuzz" "$bad" "$dir/fuzz.err"
	elif [ "$n" -eq 0 ]; then
		fail "$T: fuzz" "no damaged image was made"
	else
		pass "$T: fuzz: $n chunk queries on damaged metadata, no crash"
	fi
}

IMG=$(make_image owners-small 256M) && check_errors
if command -v python3 >/dev/null 2>&1; then
	for i in default no-skinny mixed dup raid56 rootdir; do
		check_chunks "$i"
	done
	check_fuzz
else
	skip "$T: whole chunks" "python3 not found"
fi
check_kernel
if why=$(why_no_kernel); then
	skip "$T: RAID metadata" "$why"
else
	for r in raid0 raid10 raid56; do
		check_raid "$r"
	done
fi
test_done
