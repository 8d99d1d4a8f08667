#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs scrub start/status, the offline scrub, on an image made at run time:
# our mkfs with DUP metadata, files written by the kernel through a loop
# mount (checksummed, NODATASUM made DAX by tests/tools/set-dax-flag, a
# compressed file, a file shared by a snapshot).  Expected figures come
# from stock btrfs-progs 6.2 (dump-tree, btrfs-map-logical, check):
#   - clean: no errors; tree_bytes_scrubbed = tree blocks in stock's extent
#     tree x nodesize x copies; data bytes and extents from its EXTENT_ITEMs;
#     nodatasum/dax bytes = the DAX file's extent; status repeats start
#   - one DUP copy of a leaf flipped: found, fixed, both copies equal, our
#     and stock check clean, a second scrub clean; -r leaves the bytes alone
#   - both copies of a leaf flipped: uncorrectable, exit 3, the tree named
#   - checksummed data flipped (plain and compressed): csum error, file named
#   - DAX data flipped: no error (nothing to verify against)
#   - read error injected on the DAX extent (BTRFS_DAX_FAIL_READ test hook):
#     read error, uncorrectable, path and range
#   - --badblocks on metadata, on data shared by a snapshot, on free space
#   - a mounted filesystem is refused; bad arguments fail cleanly

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

OUR_MKFS=$TEST_TOP/mkfs.btrfs
SET_DAX=$TEST_TOP/tests/tools/set-dax-flag
T=scrub

# shellcheck source=tests/scrub-lib.sh
. "$TEST_TOP/tests/scrub-lib.sh"

# json_check NAME WHAT FILE PYTHON: PYTHON sets ok from d, FILE's JSON.
json_check() {
	if ! command -v python3 > /dev/null; then
		skip "$T: $1: $2" "no python3"
		return
	fi
	if python3 -c "import json, sys
d = json.load(open(sys.argv[1]))
$4
sys.exit(0 if ok else 1)" "$3" 2> "$3.py.err"; then
		pass "$T: $1: $2"
	else
		fail "$T: $1: $2" "JSON check failed" "$3"
	fi
}

# phys IMG LOGICAL MIRROR: physical offset of a copy (stock map-logical).
phys() {
	stock_physical "$1" "$2" | awk -v m="$3" 'NR == m { print $2 }'
}

# flip IMG OFFSET: inverts one byte.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf '%b' "$(printf '\\%03o' $((b ^ 0xff)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# ------------------------------------------------------------ the image

# Writes the files through the kernel; "NAME INODE" lines in $work/files.
make_fs() {
	local img=$1 mnt=$work/mnt dev f
	truncate -s 512M "$img"
	"$OUR_MKFS" -q -f -m dup "$img" > "$work/mkfs.log" 2>&1 ||
		{ echo "mkfs fails: $(head -1 "$work/mkfs.log")"; return 1; }
	dev=$(loop_attach "$img") || { echo "losetup failed"; return 1; }
	if ! { fs_mount "$dev" "$mnt" &&
	       head -c 3M /dev/urandom > "$mnt/file" &&
	       mkdir "$mnt/dax" && chattr +C "$mnt/dax" &&
	       dd if=/dev/urandom of="$mnt/dax/big" bs=1M count=2 status=none &&
	       head -c 1M /dev/urandom > "$mnt/shared" &&
	       sync && fs_umount "$mnt" &&
	       fs_mount "$dev" "$mnt" compress=zstd &&
	       yes 'compressible scrub test line' | head -c 1M > "$mnt/comp" &&
	       sync &&
	       "$STOCK_BTRFS" -q subvolume snapshot "$mnt" "$mnt/snap" &&
	       sync; }; then
		fs_umount "$mnt"
		loop_detach "$dev"
		echo "the kernel workload failed"
		return 1
	fi
	: > "$work/files"
	for f in file dax/big shared comp; do
		echo "$f $(stat -c '%i' "$mnt/$f")" >> "$work/files"
	done
	fs_umount "$mnt" && loop_detach "$dev"
}

ino_of() { awk -v f="$1" '$1 == f { print $2 }' "$work/files"; }

# leaf_of IMAGE INO: the fs tree leaf holding INO's inode item.
leaf_of() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "$1" 2>/dev/null |
		awk -v k="key ($2 INODE_ITEM 0)" '
		$1 == "leaf" { leaf = $2 }
		$1 == "item" && index($0, k) { print leaf; exit }'
}

# extent_of IMAGE INO: "DISK_BYTENR DISK_LEN" of INO's first extent.
extent_of() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "$1" 2>/dev/null |
		awk -v k="key ($2 EXTENT_DATA " '
		$1 == "item" { inext = index($0, k) > 0 }
		inext && /extent data disk byte/ { print $5, $7; exit }'
}

# stock_figures DEV...: "TREE_BYTES DATA_BYTES DATA_EXTENTS" from stock's
# chunk and extent trees (tests/scrub-figures.awk).
stock_figures() {
	{
		"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@"
		echo "=== extent"
		"$STOCK_BTRFS" inspect-internal dump-tree -t extent "$@"
		echo "=== super"
		"$STOCK_BTRFS" inspect-internal dump-super "$1"
	} 2>/dev/null | awk -f "$TEST_TOP/tests/scrub-figures.awk"
}

# extents_bytes IMAGE INO: the disk bytes of all of INO's extents.
extents_bytes() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "$1" 2>/dev/null |
		awk -v k="key ($2 EXTENT_DATA " '
		$1 == "item" { inext = index($0, k) > 0 }
		inext && /extent data disk byte/ && $5 != 0 && !seen[$5]++ { sum += $7 }
		END { print sum + 0 }'
}

# -------------------------------------------------------------- the tests

test_clean() {
	local img=$1 want tree data dext dax_len
	scrub clean start -R "$img" || return
	expect clean "exit status" "$STATUS" 0 "$work/clean.err"
	read -r tree data dext <<< "$(stock_figures "$img")"
	expect clean "tree_bytes_scrubbed = stock's tree blocks x nodesize x copies" \
		"$(raw clean tree_bytes_scrubbed)" "$tree" "$work/clean.out"
	expect clean "data_bytes_scrubbed = stock's data extents" \
		"$(raw clean data_bytes_scrubbed)" "$data"
	expect clean "data_extents_scrubbed = stock's data extents" \
		"$(raw clean data_extents_scrubbed)" "$dext"
	for want in read_errors csum_errors verify_errors super_errors \
		    uncorrectable_errors corrected_errors; do
		expect clean "$want" "$(raw clean "$want")" 0
	done
	dax_len=$(extents_bytes "$img" "$(ino_of dax/big)")
	expect clean "nodatasum_bytes_read = the DAX file's extent" \
		"$(raw clean nodatasum_bytes_read)" "$dax_len"
	expect clean "dax_bytes_read = the DAX file's extent" \
		"$(raw clean dax_bytes_read)" "$dax_len"
	expect clean "no_csum = its sectors" "$(raw clean no_csum)" \
		"$((dax_len / 4096))"

	scrub clean-status status -R "$img" || return
	expect clean "status -R repeats the counters" \
		"$(grep -P '^\t' "$work/clean-status.out")" \
		"$(grep -P '^\t' "$work/clean.out")"
	scrub clean-json start -r --json "$img" || return
	if command -v python3 > /dev/null &&
	   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(d["total"]["tree_bytes_scrubbed"] != int(sys.argv[2]))' \
		"$work/clean-json.out" "$tree"; then
		pass "$T: clean: --json parses, same tree bytes"
	else
		fail "$T: clean: --json" "invalid or different" "$work/clean-json.out"
	fi
}

test_tree_one_copy() {
	local img=$work/tree1.img leaf p1 p2 sum
	cp "$BASE" "$img"
	leaf=$(leaf_of "$img" "$(ino_of file)")
	p1=$(phys "$img" "$leaf" 1)
	p2=$(phys "$img" "$leaf" 2)
	flip "$img" $((p2 + 300))

	sum=$(sha256sum < "$img")
	scrub tree1-ro start -r "$img" || return
	expect tree1-ro "-r: image bytes identical" "$(sha256sum < "$img")" "$sum"
	expect tree1-ro "-r: exit status (a good copy exists)" "$STATUS" 0
	has tree1-ro "-r: reported as correctable" \
		"^correctable .*: tree block $leaf copy 2\$"

	scrub tree1 start "$img" || return
	expect tree1 "exit status" "$STATUS" 0 "$work/tree1.out"
	has tree1 "error names block, copy, physical" \
		"^error: tree block $leaf level 0 tree 5 copy 2 \(devid 1 physical $p2\): checksum mismatch"
	has tree1 "repair reported" "^fixed: tree block $leaf copy 2\$"
	if cmp -s <(dd if="$img" bs=4096 skip=$((p1 / 4096)) count=4 status=none) \
		  <(dd if="$img" bs=4096 skip=$((p2 / 4096)) count=4 status=none); then
		pass "$T: tree1: both copies equal after the repair"
	else
		fail "$T: tree1: both copies equal after the repair"
	fi
	"$STOCK_BTRFS" check "$img" > "$work/tree1-stock-check.log" 2>&1
	expect tree1 "stock check clean afterwards" "$?" 0 "$work/tree1-stock-check.log"
	"$OUR_BTRFS" check "$img" > "$work/tree1-check.log" 2>&1
	expect tree1 "our check clean afterwards" "$?" 0 "$work/tree1-check.log"
	scrub tree1-again start -R "$img" || return
	expect tree1-again "second scrub: exit status" "$STATUS" 0
	expect tree1-again "second scrub: csum_errors" "$(raw tree1-again csum_errors)" 0
}

test_tree_both_copies() {
	local img=$work/tree2.img leaf owner m
	cp "$BASE" "$img"
	# The data reloc tree's only leaf: no other tree is reached through it.
	read -r leaf owner <<< "$(stock_blocks -t data_reloc "$img" | awk '{ print $2, $4; exit }')"
	[ "$owner" = DATA_RELOC_TREE ] && owner=18446744073709551607
	for m in 1 2; do
		flip "$img" $(($(phys "$img" "$leaf" $m) + 300))
	done
	scrub tree2 start "$img" || return
	expect tree2 "exit status" "$STATUS" 3 "$work/tree2.out"
	has tree2 "both copies named with the tree" \
		"^error: tree block $leaf level 0 tree $owner copy 2 "
	has tree2 "uncorrectable" "^uncorrectable: tree block $leaf copy 1\$"
}

# data_flip NAME FILE: flips the second sector of FILE's first extent.
data_flip() {
	local name=$1 file=$2 img=$work/$1.img bytenr p
	cp "$BASE" "$img"
	read -r bytenr _ <<< "$(extent_of "$img" "$(ino_of "$file")")"
	p=$(phys "$img" "$bytenr" 1)
	flip "$img" $((p + 4096 + 10))
	BAD=$((bytenr + 4096))
	IMG=$img
}

test_data() {
	data_flip data file
	scrub data start -R "$IMG" || return
	expect data "exit status (single data: uncorrectable)" "$STATUS" 3 "$work/data.out"
	expect data "csum_errors" "$(raw data csum_errors)" 1
	has data "the bad sector" "^error: data $BAD len 4096 copy 1 .*checksum mismatch"
	has data "the file named" "/file\b"

	data_flip comp comp
	scrub comp start "$IMG" || return
	expect comp "compressed extent: exit status" "$STATUS" 3 "$work/comp.out"
	has comp "compressed extent: the sector" "^error: data $BAD len 4096 copy 1 .*checksum mismatch"
	has comp "compressed extent: the file named" "/comp\b"

	data_flip dax dax/big
	scrub dax start -R "$IMG" || return
	expect dax "DAX data flipped: exit status" "$STATUS" 0 "$work/dax.out"
	expect dax "DAX data flipped: no csum error" "$(raw dax csum_errors)" 0
	expect dax "DAX data flipped: counted as read without checksum" \
		"$(raw dax dax_bytes_read)" "$(raw clean dax_bytes_read)"
}

test_read_error() {
	local img=$BASE bytenr p
	read -r bytenr _ <<< "$(extent_of "$img" "$(ino_of dax/big)")"
	p=$(phys "$img" "$bytenr" 1)
	BTRFS_DAX_FAIL_READ="1:$((p + 8192)):4096" scrub eio start -r -R "$img" ||
		return
	expect eio "exit status" "$STATUS" 3 "$work/eio.out"
	expect eio "read_errors" "$(raw eio read_errors)" 1
	has eio "the sector" "^error: data $((bytenr + 8192)) len 4096 copy 1 \(devid 1 physical $((p + 8192))\): read error"
	has eio "the DAX file named" "/dax/big\b"
	has eio "the range in the file" "8192"
	BTRFS_DAX_FAIL_READ="1:$((p + 8192)):4096" scrub eio-json start -r --json "$img" ||
		return
	json_check eio "--json: the error with the file, its range and the snapshot's path" \
		"$work/eio-json.out" '
e = d["errors"]
ok = len(e) == 1 and e[0]["error"] == "read" and e[0]["repair"] == "uncorrectable"
fs = [f for o in e[0]["owners"] for f in o.get("files", [])]
paths = sorted(p for f in fs for p in f["paths"])
ok = ok and paths == ["/dax/big", "/snap/dax/big"] and all(f["file_offset"] == 8192 and f["len"] == 4096 for f in fs)
ok = ok and d["total"]["read_errors"] == 1'
	BTRFS_DAX_FAIL_READ="garbage" scrub eio-bad start -r "$img"
	expect eio "a malformed hook value fails" "$STATUS" 1
}

test_badblocks() {
	local img=$BASE leaf p meta shared free
	leaf=$(leaf_of "$img" "$(ino_of file)")
	meta=$(phys "$img" "$leaf" 1)
	read -r shared _ <<< "$(extent_of "$img" "$(ino_of shared)")"
	shared=$(phys "$img" "$shared" 1)
	# The last sector of the last data chunk is free.
	free=$("$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$img" 2>/dev/null |
		awk '/^\t\tlength / { len = $2; data = ($8 ~ /^DATA/) }
		     /stripe 0 devid/ && data { p = $6 + len - 4096 }
		     END { print p }')
	printf '%d 8\n%d 8\n%d 8\n' $((meta / 512)) $((shared / 512)) \
		$((free / 512)) > "$work/bad.list"
	scrub bad start -r --badblocks "$work/bad.list" "$img" || return
	expect bad "exit status" "$STATUS" 0 "$work/bad.err"
	has bad "metadata range listed" "^bad blocks \(file\): devid 1 .* offset $meta len 4096"
	has bad "the shared file's path" "^\s.*/shared\b"
	has bad "the snapshot's path" "/snap/shared\b"
	has bad "free space range listed" "offset $free len 4096"
	scrub bad-json start -r --json --badblocks "$work/bad.list" "$img" || return
	json_check bad "--json: three ranges: metadata, shared data, free" \
		"$work/bad-json.out" '
b = d["badblocks"]
kinds = [[o["kind"] for o in x["owners"]] for x in b]
ok = len(b) == 3 and all(x["source"] == "file" for x in b)
ok = ok and kinds[0] == ["tree_block"] and kinds[1] == ["data"] and kinds[2] == ["free"]'
	printf 'not a number\n' > "$work/bad2.list"
	scrub bad2 start -r --badblocks "$work/bad2.list" "$img"
	expect bad "malformed list: exit status" "$STATUS" 1
}

test_super() {
	local img=$work/super.img sum
	cp "$BASE" "$img"
	flip "$img" $((64 * 1048576 + 0x40 + 3))
	sum=$(sha256sum < "$img")
	scrub super-ro start -r -R "$img" || return
	expect super-ro "-r: super_errors" "$(raw super-ro super_errors)" 1
	expect super-ro "-r: image bytes identical" "$(sha256sum < "$img")" "$sum"
	scrub super start "$img" || return
	expect super "exit status" "$STATUS" 0 "$work/super.out"
	has super "the copy named" "^error: superblock copy 2 \(devid 1 offset 67108864\)"
	has super "repair reported" "^fixed: superblock copy 2 devid 1\$"
	"$STOCK_BTRFS" inspect-internal dump-super -s 1 "$img" > "$work/super-dump.log" 2>&1
	expect super "stock dump-super -s 1 accepts the rewritten copy" \
		"$(grep -cE '^csum\s.*\[match\]|^bytenr\s+67108864$' "$work/super-dump.log")" 2 "$work/super-dump.log"
	"$STOCK_BTRFS" check "$img" > "$work/super-check.log" 2>&1
	expect super "stock check clean afterwards" "$?" 0 "$work/super-check.log"
	scrub super-again start -R "$img" || return
	expect super-again "second scrub: super_errors" "$(raw super-again super_errors)" 0
}

# DUP data: a bad checksummed copy is rewritten from the good one.
test_dup_data() {
	local img=$work/dupdata.img dev bytenr p1 p2
	truncate -s 512M "$img"
	if ! "$OUR_MKFS" -q -f -m dup -d dup "$img" > "$work/dupdata-mkfs.log" 2>&1; then
		skip "$T: dup data" "our mkfs has no -d dup: $(head -1 "$work/dupdata-mkfs.log")"
		return
	fi
	dev=$(loop_attach "$img") || { fail "$T: dup data" "losetup failed"; return; }
	if ! { fs_mount "$dev" "$work/mnt3" &&
	       head -c 1M /dev/urandom > "$work/mnt3/f" && sync &&
	       ino=$(stat -c %i "$work/mnt3/f") && fs_umount "$work/mnt3"; }; then
		fs_umount "$work/mnt3"
		loop_detach "$dev"
		fail "$T: dup data" "kernel workload failed"
		return
	fi
	loop_detach "$dev"
	read -r bytenr _ <<< "$(extent_of "$img" "$ino")"
	p1=$(phys "$img" "$bytenr" 1)
	p2=$(phys "$img" "$bytenr" 2)
	flip "$img" $((p1 + 12288 + 7))
	scrub dupdata start -R "$img" || return
	expect dupdata "exit status" "$STATUS" 0 "$work/dupdata.out"
	expect dupdata "csum_errors" "$(raw dupdata csum_errors)" 1
	expect dupdata "corrected_errors" "$(raw dupdata corrected_errors)" 1
	has dupdata "repair reported" "^fixed: data $((bytenr + 12288)) len 4096 copy 1\$"
	if cmp -s <(dd if="$img" bs=4096 skip=$((p1 / 4096)) count=256 status=none) \
		  <(dd if="$img" bs=4096 skip=$((p2 / 4096)) count=256 status=none); then
		pass "$T: dupdata: both copies equal after the repair"
	else
		fail "$T: dupdata: both copies equal after the repair"
	fi
	scrub dupdata-again start -R "$img" || return
	expect dupdata-again "second scrub: csum_errors" "$(raw dupdata-again csum_errors)" 0
}

test_mounted() {
	local img=$work/mounted.img dev sum
	cp "$BASE" "$img"
	dev=$(loop_attach "$img") || { fail "$T: mounted" "losetup failed"; return; }
	if ! fs_mount "$dev" "$work/mnt2" ro; then
		loop_detach "$dev"
		fail "$T: mounted" "cannot mount"
		return
	fi
	sum=$(sha256sum < "$img")
	scrub mounted start "$img"
	expect mounted "image of a mounted fs: exit status" "$STATUS" 1
	local has_err
	has_err=$(grep -c "kernel's scrub" "$work/mounted.err")
	expect mounted "points to the kernel's scrub" "$has_err" 1 "$work/mounted.err"
	scrub mounted-dev start -r "$dev"
	expect mounted "loop device of a mounted fs: exit status" "$STATUS" 1
	scrub mounted-dir start -r "$work/mnt2"
	expect mounted "mount point: exit status" "$STATUS" 1
	expect mounted "mount point: points to the kernel's scrub" \
		"$(grep -c "kernel's scrub" "$work/mounted-dir.err")" 1 "$work/mounted-dir.err"
	fs_umount "$work/mnt2"
	loop_detach "$dev"
	expect mounted "nothing written" "$(sha256sum < "$img")" "$sum"
}

test_bad_args() {
	scrub noexist start -r "$work/does-not-exist"
	expect args "missing image: exit status" "$STATUS" 1
	expect args "missing image: one ERROR line" "$(grep -c ERROR "$work/noexist.err")" 1
	head -c 1M /dev/zero > "$work/zero.img"
	scrub zero start -r "$work/zero.img"
	expect args "not btrfs: exit status" "$STATUS" 1
	scrub nostatus status "$work/zero.img"
	expect args "status of no fs: exit status" "$STATUS" 1
}

test_init "$T"
work=$TEST_WORKDIR/scrub
mkdir -p "$work"
export BTRFS_DAX_SCRUB_STATUS_DIR=$work/status
mkdir -p "$BTRFS_DAX_SCRUB_STATUS_DIR"
test_bad_args
if why=$(why_no_kernel); then
	skip "$T: kernel-written images" "$why"
	test_done
fi
BASE=$work/base.img
if ! why=$(make_fs "$BASE"); then
	fail "$T: image" "$why"
	test_done
fi
leaf=$(leaf_of "$BASE" "$(ino_of dax/big)")
if ! "$SET_DAX" "$BASE" "$leaf:$(ino_of dax/big)" > "$work/set-dax.log" 2>&1; then
	fail "$T: set-dax-flag" "fails" "$work/set-dax.log"
	test_done
fi
test_clean "$BASE"
test_tree_one_copy
test_tree_both_copies
test_data
test_read_error
test_badblocks
test_super
test_dup_data
test_mounted
test_done
