#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs inspect-internal dax-report, checked against answers worked out
# independently from stock btrfs-progs 6.2 output (dump-tree of the chunk,
# device and fs trees) and from the kernel (stat):
#   - ./mkfs.btrfs --dax: the marker, every chunk and device extent aligned
#   - stock mkfs: no marker; chunk counts, unaligned chunks and device
#     extents, data chunks on superblocks or not SINGLE as awk counts them
#   - ./mkfs.btrfs --dax-inherit: "/" is a DAX directory
#   - files the kernel wrote (root, loop devices), flagged DAX offline by
#     tests/tools/set-dax-flag: paths (both names of a hard link), sizes,
#     PMD-mappable bytes from the extent placement, a compressed file as a
#     problem, a DAX file in a subvolume, --subvol
#   - every image of the catalogue in tests/common.sh: no crash, exit 0,
#     the same chunk numbers as stock, valid JSON
#   - what cannot be opened: exit 1 with an ERROR line

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

OUR_MKFS=$TEST_TOP/mkfs.btrfs
SET_DAX=$TEST_TOP/tests/tools/set-dax-flag
PMD=2097152
T=dax-report

# report NAME ARG...: runs our dax-report into $work/NAME.out/.err and
# fails the check NAME when it crashed; the status is in $STATUS.
report() {
	local name=$1 why
	shift
	run_tool "$work/$name" "$OUR_BTRFS" inspect-internal dax-report "$@"
	STATUS=$?
	if why=$(crash_reason "$STATUS" "$work/$name.err"); then
		fail "$T: $name" "$why" "$work/$name.err"
		return 1
	fi
}

# field NAME PREFIX: what follows "PREFIX: " on the first such line of
# report NAME.
field() {
	awk -v p="$2: " 'index($0, p) == 1 { print substr($0, length(p) + 1); exit }' \
		"$work/$1.out"
}

# expect NAME WHAT GOT WANT
expect() {
	if [ "$3" = "$4" ]; then
		pass "$T: $1: $2"
	else
		fail "$T: $1: $2" "got '$3', want '$4'"
	fi
}

# json_valid FILE: true when FILE holds one JSON value (or python3 is missing).
json_valid() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null
}

# ------------------------------------------------ chunk facts from stock

# stock_chunk_facts DEV...: "chunks N aligned A devext M aligned D super S
# unsingle U" from stock dump-tree of the chunk and device trees.
stock_chunk_facts() {
	{
		"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@"
		echo "=== dev tree"
		"$STOCK_BTRFS" inspect-internal dump-tree -t dev "$@"
	} 2>/dev/null | awk -v a="$PMD" '
	# The stripe of chunk c holds a superblock copy when it overlaps one.
	function super_hit(off, len,   i, sb) {
		split("65536 67108864 274877906944", sb, " ")
		for (i = 1; i <= 3; i++)
			if (sb[i] + 4096 > off && sb[i] < off + len)
				return 1
		return 0
	}
	# Per-device bytes of a stripe: length over the data stripes.
	function dev_len(len, prof, n, subs) {
		if (prof == "raid0") return len / n
		if (prof == "raid10") return len / (n / subs)
		if (prof == "raid5") return len / (n - 1)
		if (prof == "raid6") return len / (n - 2)
		return len
	}
	function chunk_end() {
		if (!inchunk) return
		chunks++
		if (ok) aligned++
		if (isdata && hit) supers++
		if (isdata && prof != "single") unsingle++
		inchunk = 0
	}
	/^=== dev tree/ { chunk_end(); dev = 1; next }
	!dev && /CHUNK_ITEM/ {
		chunk_end()
		inchunk = 1
		logical = $6; sub(/\)/, "", logical); logical += 0
		ok = (logical % a == 0); hit = 0
		next
	}
	!dev && inchunk && /^\t\tlength / {
		len = $2 + 0
		if (len % a) ok = 0
		n = split($8, t, "|"); prof = tolower(t[n])
		isdata = ($8 ~ /^DATA/)
		next
	}
	!dev && inchunk && /num_stripes/ { ns = $2 + 0; ss = $4 + 0; next }
	!dev && inchunk && /^\t\t\tstripe [0-9]+ devid/ {
		off = $6 + 0
		if (off % a) ok = 0
		if (super_hit(off, dev_len(len, prof, ns, ss))) hit = 1
		next
	}
	!dev && /^\titem / { chunk_end() }
	dev && /DEV_EXTENT/ { off = $6; sub(/\)/, "", off); devext++; next }
	dev && /chunk_offset/ {
		if (off % a == 0 && $6 % a == 0) devaligned++
	}
	END {
		chunk_end()
		printf "chunks %d aligned %d devext %d aligned %d super %d unsingle %d\n",
			chunks, aligned, devext, devaligned, supers, unsingle
	}'
}

# our_chunk_facts NAME: the same numbers from report NAME.
our_chunk_facts() {
	local c a d s u
	c=$(field "$1" chunks)
	a=$(field "$1" "chunks 2MiB aligned")
	d=$(field "$1" "dev extents 2MiB aligned")
	s=$(field "$1" "data chunks holding a superblock")
	u=$(field "$1" "data chunks not single")
	echo "chunks $c aligned ${a%% of *} devext ${d##* of } aligned ${d%% of *} super $s unsingle $u"
}

# ------------------------------------------------------------- layouts

test_dax_layout() {
	local img=$work/dax.img n

	truncate -s 2G "$img"
	if ! "$OUR_MKFS" -q -f --dax "$img" > "$work/mkfs.log" 2>&1; then
		fail "$T: mkfs --dax" "mkfs fails: $(head -1 "$work/mkfs.log")"
		return
	fi
	report dax "$img" || return
	expect "mkfs --dax" "exit status" "$STATUS" 0
	expect "mkfs --dax" "marker" "$(field dax "DAX_LAYOUT marker")" yes
	n=$(field dax chunks)
	expect "mkfs --dax" "all chunks aligned" "$(field dax "chunks 2MiB aligned")" "$n of $n"
	expect "mkfs --dax" "numbers as stock sees them" \
		"$(our_chunk_facts dax)" "$(stock_chunk_facts "$img")"
	expect "mkfs --dax" "no problems" "$(grep -c '^problem:' "$work/dax.out")" 0
}

test_stock_layout() {
	local img=$work/stock.img facts unaligned

	truncate -s 2G "$img"
	if ! "$STOCK_MKFS" -q -f "$img" > "$work/mkfs.log" 2>&1; then
		fail "$T: stock mkfs" "mkfs fails: $(head -1 "$work/mkfs.log")"
		return
	fi
	report stock "$img" || return
	expect "stock mkfs" "exit status" "$STATUS" 0
	expect "stock mkfs" "marker" "$(field stock "DAX_LAYOUT marker")" no
	facts=$(stock_chunk_facts "$img")
	expect "stock mkfs" "numbers as stock sees them" "$(our_chunk_facts stock)" "$facts"
	# chunks N aligned A ...: the unaligned ones are listed one a line.
	unaligned=$(echo "$facts" | awk '{ print $2 - $4 }')
	expect "stock mkfs" "unaligned chunks listed" \
		"$(grep -c '^unaligned chunk: ' "$work/stock.out")" "$unaligned"
	[ "$unaligned" -gt 0 ] || fail "$T: stock mkfs: stock mkfs no longer makes unaligned chunks"
}

test_inherit() {
	local img=$work/inherit.img

	truncate -s 1G "$img"
	if ! "$OUR_MKFS" -q -f --dax-inherit "$img" > "$work/mkfs.log" 2>&1; then
		fail "$T: mkfs --dax-inherit" "mkfs fails: $(head -1 "$work/mkfs.log")"
		return
	fi
	report inherit "$img" || return
	expect "--dax-inherit" "exit status" "$STATUS" 0
	expect "--dax-inherit" "COMPAT_RO_DAX" "$(field inherit COMPAT_RO_DAX)" yes
	expect "--dax-inherit" "top directory is DAX" \
		"$(grep '^dax inode: subvol 5 inode 256 ' "$work/inherit.out" | awk '{ print $7, $11, $13, $15 }')" \
		"dir 1 yes yes"
	expect "--dax-inherit" "its path" "$(field inherit "dax path")" "subvol 5 inode 256 /"
	expect "--dax-inherit" "summary" "$(field inherit summary)" \
		"1 DAX inodes, 0 PMD-mappable bytes, 0 problems"
	report inherit-json --json "$img" || return
	if json_valid "$work/inherit-json.out"; then
		pass "$T: --dax-inherit: --json"
	else
		fail "$T: --dax-inherit: --json" "not valid JSON" "$work/inherit-json.out"
	fi
}

# ----------------------------------------------- kernel-written DAX files

# Writes the files through a real mount; records "NAME INODE SIZE" lines
# in $work/files.  Prints why it failed.
kernel_files() {
	local img=$1 mnt=$work/mnt dev f
	dev=$(loop_attach "$img") || { echo "losetup failed"; return 1; }
	if ! fs_mount "$dev" "$mnt"; then
		loop_detach "$dev"
		echo "cannot mount the --dax image read-write"
		return 1
	fi
	# One dd write of 4MiB: one extent the allocator can place aligned.
	if ! { mkdir "$mnt/dax" "$mnt/dax/sub" &&
	       chattr +C "$mnt/dax" "$mnt/dax/sub" &&
	       dd if=/dev/urandom of="$mnt/dax/big" bs=4M count=1 status=none &&
	       printf 'small DAX file\n' > "$mnt/dax/small" &&
	       ln "$mnt/dax/small" "$mnt/dax/sub/small-link" &&
	       "$STOCK_BTRFS" -q subvolume create "$mnt/sv" &&
	       mkdir "$mnt/sv/d" && chattr +C "$mnt/sv/d" &&
	       head -c 300K /dev/urandom > "$mnt/sv/d/file" &&
	       sync && fs_umount "$mnt" &&
	       fs_mount "$dev" "$mnt" compress=zstd && mkdir "$mnt/comp" &&
	       yes 'compressible DAX report line' | head -c 1M > "$mnt/comp/text"; }; then
		fs_umount "$mnt"
		loop_detach "$dev"
		echo "the kernel workload failed"
		return 1
	fi
	sync
	: > "$work/files"
	for f in dax/big dax/small dax/sub/small-link comp/text sv/d/file; do
		echo "$f $(stat -c '%i %s' "$mnt/$f")" >> "$work/files"
	done
	fs_umount "$mnt" && loop_detach "$dev"
}

# leaf_of IMAGE TREE INO: the leaf holding INO's inode item, from stock.
leaf_of() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t "$2" "$1" 2>/dev/null |
		awk -v k="key ($3 INODE_ITEM 0)" '
		$1 == "leaf" { leaf = $2 }
		$1 == "item" && index($0, k) { print leaf; exit }'
}

# expected_pmd IMAGE TREE INO SIZE: "ALIGNED PMD" bytes from stock's
# EXTENT_DATA items and chunk tree, with the rule of the library's
# documentation: logical and physical congruent to the file offset.
expected_pmd() {
	{
		"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$1"
		echo "=== fs tree"
		"$STOCK_BTRFS" inspect-internal dump-tree -t "$2" "$1"
	} 2>/dev/null | awk -v ino="$3" -v isize="$4" -v a="$PMD" '
	function flush(   l, phys, i, end, ws, we) {
		if (!inext || !disk) { inext = 0; return }
		inext = 0
		l = disk + off
		phys = -1
		for (i = 1; i <= nc; i++)
			if (l >= cl[i] && l < cl[i] + clen[i])
				phys = cs[i] + (l - cl[i])
		if (comp != 0 || phys < 0 || (l - fo) % a || (phys - fo) % a)
			return
		aligned += nr
		end = fo + nr
		lim = int((isize + 4095) / 4096) * 4096
		if (end > lim) end = lim
		ws = int((fo + a - 1) / a) * a
		we = int(end / a) * a
		if (we > ws) pmd += we - ws
	}
	/^=== fs tree/ { fs = 1; next }
	!fs && /CHUNK_ITEM/ { c = $6; sub(/\)/, "", c); nc++; cl[nc] = c + 0 }
	!fs && /^\t\tlength / { clen[nc] = $2 + 0 }
	!fs && /^\t\t\tstripe 0 devid/ { cs[nc] = $6 + 0 }
	fs && /^\titem / {
		flush()
		if ($4 == "(" ino && $5 == "EXTENT_DATA") {
			inext = 1; fo = $6; sub(/\)/, "", fo); fo += 0
			disk = 0; off = 0; nr = 0; comp = 0
		}
	}
	fs && inext && /extent data disk byte/ { disk = $5 + 0 }
	fs && inext && /extent data offset/ { off = $4 + 0; nr = $6 + 0 }
	fs && inext && /extent compression/ { comp = $3 + 0 }
	END { flush(); printf "%d %d\n", aligned, pmd }'
}

# The line of report NAME about inode INO of subvolume SV, word by word
# after "dax inode: subvol SV inode INO".
inode_line() {
	awk -v p="dax inode: subvol $2 inode $3 " 'index($0, p) == 1 {
		print substr($0, length(p) + 1); exit }' "$work/$1.out"
}

# word LINE KEY: the value after KEY in "KEY VALUE KEY VALUE ...".
word() {
	echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }'
}

test_kernel() {
	local img=$work/kernel.img why leaf ino size line want sv_leaf
	local big small comp svfile

	if why=$(why_no_kernel); then
		skip "$T: kernel-written DAX files" "$why"
		return
	fi
	truncate -s 1G "$img"
	if ! "$OUR_MKFS" -q -f --dax "$img" > "$work/mkfs.log" 2>&1; then
		fail "$T: kernel" "mkfs --dax fails: $(head -1 "$work/mkfs.log")"
		return
	fi
	if ! why=$(kernel_files "$img"); then
		fail "$T: kernel" "$why"
		return
	fi
	big=$(awk '$1 == "dax/big" { print $2 }' "$work/files")
	small=$(awk '$1 == "dax/small" { print $2 }' "$work/files")
	comp=$(awk '$1 == "comp/text" { print $2 }' "$work/files")
	svfile=$(awk '$1 == "sv/d/file" { print $2 }' "$work/files")
	local -a pairs=()
	for ino in "$big" "$small" "$comp"; do
		leaf=$(leaf_of "$img" fs "$ino")
		pairs+=("$leaf:$ino")
	done
	sv_leaf=$(leaf_of "$img" 256 "$svfile")
	pairs+=("$sv_leaf:$svfile")
	if ! "$SET_DAX" "$img" "${pairs[@]}" > "$work/set-dax.log" 2>&1; then
		fail "$T: kernel" "set-dax-flag ${pairs[*]} fails" "$work/set-dax.log"
		return
	fi
	kernel_readonly "$img"
	report kernel "$img" || return
	expect "kernel" "exit status with problems" "$STATUS" 0
	expect "kernel" "COMPAT_RO_DAX" "$(field kernel COMPAT_RO_DAX)" yes

	line=$(inode_line kernel 5 "$big")
	size=$(awk '$1 == "dax/big" { print $3 }' "$work/files")
	expect "kernel" "4MiB file: size as stat" "$(word "$line" size)" "$size"
	expect "kernel" "4MiB file: path" \
		"$(grep -c "^dax path: subvol 5 inode $big /dax/big\$" "$work/kernel.out")" 1
	want=$(expected_pmd "$img" fs "$big" "$size")
	expect "kernel" "4MiB file: aligned and PMD bytes from its placement" \
		"$(word "$line" aligned-bytes) $(word "$line" pmd-bytes)" "$want"
	[ "$want" = "4194304 4194304" ] ||
		echo "note: the kernel placed the 4MiB file unaligned ($want)"
	expect "kernel" "4MiB file: NODATACOW, NODATASUM" \
		"$(word "$line" nodatacow) $(word "$line" nodatasum)" "yes yes"

	line=$(inode_line kernel 5 "$small")
	size=$(awk '$1 == "dax/small" { print $3 }' "$work/files")
	expect "kernel" "hard link: size as stat" "$(word "$line" size)" "$size"
	expect "kernel" "hard link: both paths" \
		"$(grep "^dax path: subvol 5 inode $small " "$work/kernel.out" | awk '{ print $NF }' | sort | tr '\n' ' ')" \
		"/dax/small /dax/sub/small-link "
	expect "kernel" "hard link: paths count" "$(word "$line" paths)" 2

	line=$(inode_line kernel 5 "$comp")
	expect "kernel" "compressed file: counted" "$(word "$line" compressed) $(word "$line" aligned-bytes)" \
		"$(expected_compressed "$img" "$comp") 0"
	expect "kernel" "compressed file: problem line" \
		"$(grep -c "^problem: subvol 5 inode $comp /comp/text: [0-9]* compressed extent" "$work/kernel.out")" 1

	line=$(inode_line kernel 256 "$svfile")
	size=$(awk '$1 == "sv/d/file" { print $3 }' "$work/files")
	expect "kernel" "subvolume file: size as stat" "$(word "$line" size)" "$size"
	expect "kernel" "subvolume file: path" \
		"$(grep -c "^dax path: subvol 256 inode $svfile /d/file\$" "$work/kernel.out")" 1
	expect "kernel" "summary" "$(field kernel summary | awk '{ print $1, $4 }')" \
		"4 $(expected_pmd "$img" fs "$big" "$(awk '$1 == "dax/big" { print $3 }' "$work/files")" | awk '{ print $2 }')"
	test_kernel_options "$img" "$svfile"
}

# expected_compressed IMAGE INO: compressed EXTENT_DATA items of INO.
expected_compressed() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "$1" 2>/dev/null | awk -v ino="$2" '
		/^\titem / { mine = ($4 == "(" ino && $5 == "EXTENT_DATA") }
		mine && /extent compression/ && $3 != 0 { n++ }
		END { print n + 0 }'
}

# The flagged image: stock kernels mount it read-only only (DAX-DESIGN.md)
# and read the files, which also proves the rewritten checksums right.
kernel_readonly() {
	local img=$1 dev mnt=$work/mnt-ro size
	dev=$(loop_attach "$img") || return
	if fs_mount "$dev" "$mnt" 2>/dev/null; then
		fail "$T: kernel: flagged image refused read-write" "it mounted"
		fs_umount "$mnt"
	else
		pass "$T: kernel: flagged image refused read-write"
	fi
	if fs_mount "$dev" "$mnt" ro; then
		size=$(stat -c %s "$mnt/dax/big")
		if cat "$mnt/dax/big" "$mnt/comp/text" > /dev/null &&
		   [ "$size" = 4194304 ]; then
			pass "$T: kernel: flagged image mounts read-only, files read"
		else
			fail "$T: kernel: flagged image read-only" "cannot read the files"
		fi
		fs_umount "$mnt"
	else
		fail "$T: kernel: flagged image read-only" "mount -o ro fails"
	fi
	loop_detach "$dev"
}

test_kernel_options() {
	local img=$1 svfile=$2 n

	report kernel-json --json "$img" || return
	if json_valid "$work/kernel-json.out"; then
		pass "$T: kernel: --json"
	else
		fail "$T: kernel: --json" "not valid JSON" "$work/kernel-json.out"
	fi
	report kernel-sv --subvol 256 "$img" || return
	n=$(grep -c '^dax inode: ' "$work/kernel-sv.out")
	expect "kernel" "--subvol 256: its inode only" \
		"$n $(grep -c "^dax inode: subvol 256 inode $svfile " "$work/kernel-sv.out")" "1 1"
	report kernel-nosv --subvol 999 "$img" || return
	expect "kernel" "--subvol of a missing subvolume fails" \
		"$STATUS $(grep -c '^ERROR: ' "$work/kernel-nosv.err")" "1 1"
}

# ----------------------------------- paths in a big kernel-written tree

# Names the kernel wrote into the catalogue's "kernel" image: a file with
# over a hundred hard links (extended refs among them) and names with
# control characters and UTF-8, flagged DAX offline in a copy.  The
# expected paths come from find(1) on a read-only mount.
test_paths() {
	local img=$work/paths.img mnt=$work/mnt-paths dev why target nl euro
	local got want

	if why=$(why_no_kernel); then
		skip "$T: paths" "$why"
		return
	fi
	if ! image_get kernel; then
		skip "$T: paths" "$IMAGE_WHY"
		return
	fi
	cp --sparse=always "${IMAGE_DEVS[0]}" "$img"
	dev=$(loop_attach "$img" -r) || { fail "$T: paths" "losetup failed"; return; }
	if ! fs_mount "$dev" "$mnt" ro; then
		loop_detach "$dev"
		fail "$T: paths" "cannot mount the kernel image"
		return
	fi
	target=$(stat -c %i "$mnt/links/target")
	nl=$(stat -c %i "$mnt/names/$(printf 'new\nline')")
	euro=$(stat -c %i "$mnt/names/$(printf 'caf\xc3\xa9-\xe2\x82\xac')")
	(cd "$mnt" && find . -xdev -inum "$target") | sed 's/^\.//' | sort > "$work/paths.want"
	fs_umount "$mnt"
	loop_detach "$dev"
	if ! "$SET_DAX" "$img" "$(leaf_of "$img" fs "$target"):$target" \
	     "$(leaf_of "$img" fs "$nl"):$nl" "$(leaf_of "$img" fs "$euro"):$euro" \
	     > "$work/set-dax.log" 2>&1; then
		fail "$T: paths" "set-dax-flag fails" "$work/set-dax.log"
		return
	fi
	report paths "$img" || return
	expect "paths" "exit status" "$STATUS" 0
	grep "^dax path: subvol 5 inode $target " "$work/paths.out" |
		cut -d' ' -f7- | sort > "$work/paths.got"
	if [ "$(wc -l < "$work/paths.want")" -gt 100 ] &&
	   cmp -s "$work/paths.got" "$work/paths.want"; then
		pass "$T: paths: $(wc -l < "$work/paths.want") hard links as find sees them"
	else
		fail "$T: paths: hard links as find sees them" \
			"$(wc -l < "$work/paths.got") paths, find has $(wc -l < "$work/paths.want")"
	fi
	got=$(grep "^dax path: subvol 5 inode $nl " "$work/paths.out" | cut -d' ' -f7-)
	expect "paths" "control character escaped" "$got" '/names/new\x0aline'
	got=$(grep "^dax path: subvol 5 inode $euro " "$work/paths.out" | cut -d' ' -f7-)
	want=$(printf '/names/caf\xc3\xa9-\xe2\x82\xac')
	expect "paths" "UTF-8 name as it is" "$got" "$want"
	report paths-json --json "$img" || return
	if ! command -v python3 >/dev/null 2>&1; then
		skip "$T: paths: --json names" "no python3"
		return
	fi
	got=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
for i in r["dax_inodes"]:
    if i["subvol"] == 5 and i["inode"] == int(sys.argv[2]):
        print(repr(i["paths"]))' "$work/paths-json.out" "$nl")
	expect "paths" "--json: control character decodes back" "$got" "['/names/new\\nline']"
}

# -------------------------------------------------- the image catalogue

test_catalogue() {
	local name facts

	for name in $IMAGES_MKFS $IMAGES_KERNEL; do
		if ! image_get "$name"; then
			skip "$T: catalogue $name" "$IMAGE_WHY"
			continue
		fi
		report "cat-$name" "${IMAGE_DEVS[@]}" || continue
		if [ "$STATUS" != 0 ]; then
			fail "$T: catalogue $name" "exit status $STATUS" "$work/cat-$name.err"
			continue
		fi
		facts=$(stock_chunk_facts "${IMAGE_DEVS[@]}")
		expect "catalogue $name" "chunk numbers as stock sees them" \
			"$(our_chunk_facts "cat-$name")" "$facts"
		expect "catalogue $name" "no DAX inodes" \
			"$(field "cat-$name" summary | awk '{ print $1 }')" 0
		report "cat-$name-json" --json "${IMAGE_DEVS[@]}" || continue
		if [ "$STATUS" = 0 ] && json_valid "$work/cat-$name-json.out"; then
			pass "$T: catalogue $name: --json"
		else
			fail "$T: catalogue $name: --json" "status $STATUS or not valid JSON" \
				"$work/cat-$name-json.out"
		fi
	done
}

# --------------------------------------------------------------- errors

test_errors() {
	report missing "$work/does-not-exist"
	expect "errors" "missing file: exit 1 with ERROR" \
		"$STATUS $(grep -c '^ERROR: ' "$work/missing.err")" "1 1"
	head -c 2M /dev/zero > "$work/zero.img"
	report zero "$work/zero.img"
	expect "errors" "not a filesystem: exit 1 with ERROR" \
		"$STATUS $(grep -c '^ERROR: ' "$work/zero.err")" "1 1"
	report noargs
	expect "errors" "no device: exit 1" "$STATUS" 1
	report badsv --subvol 7 "$work/zero.img"
	expect "errors" "--subvol 7 refused" \
		"$STATUS $(grep -c "invalid subvolume id '7'" "$work/badsv.err")" "1 1"
}

test_init "$T"
work=$TEST_WORKDIR/dax-report
rm -rf "$work"
mkdir -p "$work"
if [ ! -x "$SET_DAX" ]; then
	make -C "$TEST_TOP" -s tests/tools/set-dax-flag >/dev/null 2>&1 || {
		fail "$T: build tests/tools/set-dax-flag"
		test_done
	}
fi
test_errors
test_dax_layout
test_stock_layout
test_inherit
test_kernel
test_paths
test_catalogue
test_done
