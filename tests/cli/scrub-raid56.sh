#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The offline scrub and the read path on RAID5 and RAID6: multi-device
# images made by stock mkfs on image files, files written by the kernel
# through loop devices.  Where each stripe lives comes from stock
# btrfs-map-logical (mirror 1: the data stripe, mirror 2: P, mirror 3: Q)
# and the files' extents from stock dump-tree; the damaged bytes are saved
# first, so a repair must give them back exactly.
#   - clean: no errors, no false parity alarm
#   - an fs tree block's data stripe destroyed: our check and dump-tree
#     read through it (parity rebuild); -r leaves the bytes alone; scrub
#     rebuilds it, stock check clean, a second scrub clean
#   - a file's data stripe destroyed: csum error naming the file, rebuilt
#   - a P (and on RAID6 a Q) stripe destroyed: parity error owned by
#     "parity", rewritten
#   - RAID6: two data stripes of one full stripe destroyed: rebuilt
#   - more stripes destroyed than the parity covers: exit 3, file named
#   - at the end the kernel reads every file back identical (sha256)

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

T=scrub-raid56
PROBE=$TEST_TOP/tests/tools/libbtrfs-probe

# shellcheck source=tests/scrub-lib.sh
. "$TEST_TOP/tests/scrub-lib.sh"

images_sum() { cat "${IMGS[@]}" | sha256sum; }

# loops_up / loops_down: the images on loop devices, scanned (LOOPS).
loops_up() {
	local f d
	LOOPS=()
	for f in "${IMGS[@]}"; do
		d=$(loop_attach "$f") || { loops_down; return 1; }
		LOOPS+=("$d")
	done
	"$STOCK_BTRFS" device scan "${LOOPS[@]}" > /dev/null 2>&1
}

loops_down() {
	local d
	for d in "${LOOPS[@]}"; do
		loop_detach "$d"
	done
	LOOPS=()
}

# where LOGICAL MIRROR: "IMAGE PHYSICAL" of a stripe, from stock
# btrfs-map-logical on the loop devices.
where() {
	local dev phys i
	read -r phys dev <<< "$(awk -v m="$2" '$1 == "mirror" && $2 == m { print $6, $NF }' \
		"$work/map.$1")"
	for i in "${!MAPPED[@]}"; do
		if [ "${MAPPED[$i]}" = "$dev" ]; then
			echo "${IMGS[$i]} $phys"
			return 0
		fi
	done
	return 1
}

# map LOGICAL...: runs stock btrfs-map-logical for each (loops up);
# MAPPED keeps the loop devices it named.
map() {
	local l
	MAPPED=("${LOOPS[@]}")
	for l in "$@"; do
		"$STOCK_MAP_LOGICAL" -l "$l" "${LOOPS[0]}" > "$work/map.$l" 2>&1
	done
}

# smash NAME IMAGE PHYSICAL LEN: saves the bytes, then overwrites them.
smash() {
	dd if="$2" of="$work/saved.$1" bs=4096 skip=$(($3 / 4096)) \
		count=$(($4 / 4096)) status=none
	head -c "$4" /dev/urandom |
		dd of="$2" bs=4096 seek=$(($3 / 4096)) conv=notrunc status=none
	echo "$1 $2 $3 $4" >> "$work/smashed"
}

# same NAME: the smashed bytes are back as they were.
same() {
	local img phys len
	read -r _ img phys len <<< "$(awk -v n="$1" '$1 == n' "$work/smashed")"
	cmp -s "$work/saved.$1" <(dd if="$img" bs=4096 skip=$((phys / 4096)) \
		count=$((len / 4096)) status=none)
}

# restore NAME: puts the saved bytes back.
restore() {
	local img phys len
	read -r _ img phys len <<< "$(awk -v n="$1" '$1 == n' "$work/smashed")"
	dd if="$work/saved.$1" of="$img" bs=4096 seek=$((phys / 4096)) \
		conv=notrunc status=none
}

stock_check() {
	local ret
	loops_up || return 1
	"$STOCK_BTRFS" check "${LOOPS[0]}" > "$work/$1.stock-check" 2>&1
	ret=$?
	loops_down
	return $ret
}

# ------------------------------------------------------------ the image

make_fs() {
	local prof=$1 n=$2 i mnt=$work/mnt
	IMGS=()
	for ((i = 0; i < n; i++)); do
		truncate -s 160M "$work/$prof.$i"
		IMGS+=("$work/$prof.$i")
	done
	"$STOCK_MKFS" -q -f -m "$prof" -d "$prof" "${IMGS[@]}" \
		> "$work/mkfs.log" 2>&1 || { echo "stock mkfs failed"; return 1; }
	loops_up || { echo "losetup failed"; return 1; }
	if ! { fs_mount "${LOOPS[0]}" "$mnt" &&
	       head -c 3M /dev/urandom > "$mnt/a" &&
	       head -c 1M /dev/urandom > "$mnt/b" &&
	       mkdir "$mnt/d" &&
	       for i in $(seq 300); do echo "small file $i" > "$mnt/d/f$i"; done &&
	       sync &&
	       (cd "$mnt" && find . -type f | sort | xargs sha256sum) > "$work/sums" &&
	       stat -c '%i' "$mnt/a" > "$work/ino.a" &&
	       stat -c '%i %s %h %f' "$mnt/d/f300" > "$work/stat.f300" &&
	       fs_umount "$mnt"; }; then
		fs_umount "$mnt" 2>/dev/null
		loops_down
		echo "the kernel workload failed"
		return 1
	fi
	loops_down
}

# The disk bytenr of file NAME's first extent (stock dump-tree).
file_extent() {
	local ino
	ino=$(cat "$work/ino.$1")
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "${IMGS[@]}" 2>/dev/null |
		awk -v k="key ($ino EXTENT_DATA " '
		$1 == "item" { inext = index($0, k) > 0 }
		inext && /extent data disk byte/ { print $5; exit }'
}

# chunk_start LOGICAL: the start of the chunk holding LOGICAL (stock
# dump-tree of the chunk tree).
chunk_start() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "${IMGS[@]}" 2>/dev/null |
		awk -v l="$1" '
		/CHUNK_ITEM/ { s = $6; sub(/\)/, "", s) }
		$1 == "length" && s != "" && l >= s + 0 && l < s + $2 { print s; exit }'
}

# The fs tree's root block (stock dump-tree).
fs_root_block() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "${IMGS[@]}" 2>/dev/null |
		awk '$1 == "leaf" || $1 == "node" { print $2; exit }'
}

# ------------------------------------------------------------ the tests

run_profile() {
	local prof=$1 n=$2 root a img phys sum l0 l1 p pq cs nd sn
	T=scrub-raid56-$prof
	: > "$work/smashed"
	if ! make_fs "$prof" "$n" > "$work/why"; then
		skip "$T" "$(cat "$work/why")"
		return
	fi
	root=$(fs_root_block)
	a=$(file_extent a)
	if [ -z "$root" ] || [ -z "$a" ]; then
		fail "$T: setup" "no fs tree root or extent of a in stock dump-tree"
		return
	fi
	# Two data stripe pieces of a in one full stripe: the first piece of
	# a full stripe inside a's 3 MiB extent, and the next one.
	cs=$(chunk_start "$a")
	if [ -z "$cs" ]; then
		fail "$T: setup" "no chunk holds $a in stock's chunk tree"
		return
	fi
	nd=$((n - 1))
	[ "$prof" = raid6 ] && nd=$((n - 2))
	sn=$(((a - cs + 65535) / 65536))
	while [ $((sn % nd)) != 0 ]; do sn=$((sn + 1)); done
	l0=$((cs + sn * 65536))
	l1=$((l0 + 65536))
	loops_up || { fail "$T: losetup"; return; }
	map "$root" "$l0" "$l1"
	loops_down
	"$OUR_BTRFS" inspect-internal dump-tree -t fs "${IMGS[@]}" > "$work/dump.before" 2>&1
	"$OUR_BTRFS" check "${IMGS[@]}" > "$work/check.before" 2>&1
	echo "exit $?" >> "$work/check.before"

	scrub clean start -R || return
	expect clean "exit status" "$STATUS" 0 "$work/clean.out"
	for p in csum_errors verify_errors read_errors uncorrectable_errors; do
		expect clean "$p" "$(raw clean $p)" 0 "$work/clean.out"
	done

	# the fs tree root's data stripe
	read -r img phys <<< "$(where "$root" 1)"
	smash meta "$img" "$phys" 16384
	"$OUR_BTRFS" inspect-internal dump-tree -t fs "${IMGS[@]}" > "$work/dump.after" 2> /dev/null
	expect meta "dump-tree reads the fs tree through the parity" \
		"$(sha256sum < "$work/dump.after")" "$(sha256sum < "$work/dump.before")" \
		"$work/dump.after"
	# (our check's verdict on the undamaged image is the reference: it
	# must find nothing more)
	"$OUR_BTRFS" check "${IMGS[@]}" > "$work/meta.check" 2>&1
	echo "exit $?" >> "$work/meta.check"
	expect meta "our check reads through the damage: same report as before" \
		"$(diff "$work/check.before" "$work/meta.check" > "$work/meta.check.diff"; echo $?)" 0 \
		"$work/meta.check.diff"
	# libbtrfs (tests/tools/libbtrfs-probe) reads through it too: the
	# kernel's stat of a file
	if [ -x "$PROBE" ]; then
		"$PROBE" $(printf -- '-d %s ' "${IMGS[@]:1}") "${IMGS[0]}" \
			stat /d/f300 > "$work/meta.probe" 2>&1
		expect meta "libbtrfs reads through the damage: stat as the kernel's" \
			"$(cat "$work/meta.probe")" "$(cat "$work/stat.f300")" "$work/meta.probe"
	fi
	sum=$(images_sum)
	scrub meta-ro start -r || return
	expect meta-ro "-r: bytes identical" "$(images_sum)" "$sum"
	has meta-ro "-r: correctable" "^correctable .*: tree block $root copy 1\$"
	expect meta-ro "-r: the parity of the unrepaired block is not blamed" \
		"$(grep -c '^error: parity' "$work/meta-ro.out")" 0 "$work/meta-ro.out"
	scrub meta start || return
	expect meta "exit status" "$STATUS" 0 "$work/meta.out"
	has meta "error names the block" "^error: tree block $root .*tree 5 copy 1"
	has meta "fixed" "^fixed: tree block $root copy 1\$"
	same meta && pass "$T: meta: the stripe's bytes are back" ||
		fail "$T: meta: the stripe's bytes are back"
	stock_check meta
	expect meta "stock check clean afterwards" "$?" 0 "$work/meta.stock-check"
	scrub meta-again start -R || return
	expect meta-again "second scrub clean" \
		"$(raw meta-again csum_errors)/$(raw meta-again verify_errors)" 0/0

	# a data stripe of file a
	read -r img phys <<< "$(where "$l0" 1)"
	smash data "$img" "$phys" 8192
	scrub data start || return
	expect data "exit status" "$STATUS" 0 "$work/data.out"
	has data "csum error on copy 1" "^error: data $l0 len 8192 copy 1 .*checksum mismatch"
	has data "the file is named" "/a[ ,(]"
	has data "fixed" "^fixed: data $l0 len 8192 copy 1"
	same data && pass "$T: data: the stripe's bytes are back" ||
		fail "$T: data: the stripe's bytes are back"
	scrub data-again start -R || return
	expect data-again "second scrub clean" \
		"$(raw data-again csum_errors)/$(raw data-again verify_errors)" 0/0

	# the P stripe (and the Q stripe) of a's first full stripe
	for p in 2 3; do
		[ "$p" = 3 ] && [ "$prof" != raid6 ] && continue
		read -r img phys <<< "$(where "$l0" "$p")"
		if [ -z "$phys" ]; then
			fail "$T: parity$p" "stock map-logical printed no mirror $p" "$work/map.$l0"
			continue
		fi
		pq=P
		[ "$p" = 3 ] && pq=Q
		smash "parity$p" "$img" "$phys" 4096
		sum=$(images_sum)
		scrub "parity$p-ro" start -r || return
		expect "parity$p-ro" "-r: bytes identical" "$(images_sum)" "$sum"
		scrub "parity$p" start || return
		expect "parity$p" "exit status" "$STATUS" 0 "$work/parity$p.out"
		has "parity$p" "parity error at the smashed place" \
			"^error: parity $pq of full stripe .* \(devid [0-9]+ physical $phys\): $pq does not match"
		has "parity$p" "owner is parity" "parity: full stripe at logical"
		has "parity$p" "fixed" "^fixed: parity $pq devid [0-9]+ physical $phys len 4096"
		same "parity$p" && pass "$T: parity$p: the parity is back" ||
			fail "$T: parity$p: the parity is back"
		scrub "parity$p-again" start -R || return
		expect "parity$p-again" "second scrub clean" \
			"$(raw "parity$p-again" verify_errors)" 0
	done

	# two data stripes of one full stripe (RAID6 rebuilds them; RAID5
	# cannot: uncorrectable, exit 3, the file named)
	read -r img phys <<< "$(where "$l0" 1)"
	smash two0 "$img" "$phys" 4096
	read -r img phys <<< "$(where "$l1" 1)"
	smash two1 "$img" "$phys" 4096
	if [ "$prof" = raid6 ]; then
		scrub two start -R || return
		expect two "exit status" "$STATUS" 0 "$work/two.out"
		expect two "csum errors" "$(raw two csum_errors)" 2
		{ same two0 && same two1; } && pass "$T: two: both stripes rebuilt" ||
			fail "$T: two: both stripes rebuilt"
		# three: beyond RAID6
		read -r img phys <<< "$(where "$l0" 1)"
		smash three0 "$img" "$phys" 4096
		read -r img phys <<< "$(where "$l1" 1)"
		smash three1 "$img" "$phys" 4096
		read -r img phys <<< "$(where "$l0" 2)"
		smash three2 "$img" "$phys" 4096
		scrub three start || return
		expect three "exit status: uncorrectable" "$STATUS" 3 "$work/three.out"
		has three "uncorrectable data named" "^uncorrectable: data $l0 "
		has three "the file is named" "/a[ ,(]"
		restore three0; restore three1; restore three2
	else
		scrub two start || return
		expect two "exit status: uncorrectable" "$STATUS" 3 "$work/two.out"
		has two "uncorrectable data named" "^uncorrectable: data $l0 "
		has two "the file is named" "/a[ ,(]"
		restore two0; restore two1
	fi
	scrub final start -R || return
	expect final "clean at the end" \
		"$(raw final csum_errors)/$(raw final verify_errors)/$(raw final uncorrectable_errors)" 0/0/0

	# the kernel reads every file back
	loops_up || { fail "$T: losetup"; return; }
	if fs_mount "${LOOPS[0]}" "$work/mnt" ro; then
		(cd "$work/mnt" && sha256sum -c --quiet "$work/sums") > "$work/sums.log" 2>&1
		expect kernel "files read back identical" "$?" 0 "$work/sums.log"
		fs_umount "$work/mnt"
	else
		fail "$T: kernel mount after the repairs"
	fi
	loops_down
	rm -f "${IMGS[@]}"
}

test_init "$T"
if why=$(why_no_kernel); then
	skip "$T" "$why"
	test_done
fi
[ -x "$STOCK_MAP_LOGICAL" ] || { skip "$T" "no $STOCK_MAP_LOGICAL"; test_done; }
work=${KEEP_WORK:-$TEST_WORKDIR/$T}
mkdir -p "$work"
run_profile raid5 3
run_profile raid6 4
test_done
