#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# libbtrfs-dax against the kernel: build an image with stock mkfs.btrfs,
# fill it through a real mount, write down what the kernel and stock
# btrfs-progs say (stat, lsattr, filefrag, dump-tree, dump-super), unmount,
# and compare with what tests/tools/libbtrfs-probe reads through the public
# API.  Then install into a scratch DESTDIR and build the probe against the
# installed header and library only, via pkg-config.
#
# Output: one "PASS libbtrfs: ..." / "FAIL libbtrfs: ..." line per check,
# or a single "SKIP libbtrfs: reason".  Exit status 1 if any check failed.

set -u
LC_ALL=C
export LC_ALL

top=$(cd "$(dirname "$0")/../.." && pwd)
probe=${LIBBTRFS_PROBE:-$top/tests/tools/libbtrfs-probe}
failures=0
tmp=
mnt=
mounted=

skip() { echo "SKIP libbtrfs: $*"; exit 0; }
pass() { echo "PASS libbtrfs: $*"; }
fail() { echo "FAIL libbtrfs: $*"; failures=$((failures + 1)); }

# check_eq WHAT GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1 (got '$2', want '$3')"
	fi
}

# shellcheck disable=SC2317  # called through the EXIT trap
cleanup() {
	[ -n "$mounted" ] && umount "$mnt" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT

require() {
	[ "$(id -u)" = 0 ] || skip "needs root (mount, loop devices)"
	for t in mkfs.btrfs btrfs mount umount losetup filefrag chattr lsattr \
		 stat fallocate cmp dd awk; do
		command -v "$t" >/dev/null 2>&1 || skip "'$t' not found"
	done
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null
	grep -qw btrfs /proc/filesystems || skip "kernel has no btrfs"
	losetup -f >/dev/null 2>&1 || skip "no free loop device"
	if [ ! -x "$probe" ]; then
		make -C "$top" -s tests/tools/libbtrfs-probe >/dev/null 2>&1 ||
			skip "cannot build tests/tools/libbtrfs-probe"
	fi
}

# Populates the mounted filesystem; every kind of extent and entry the
# library decodes appears at least once.
populate() {
	mkdir "$mnt/dir" "$mnt/many"
	dd if=/dev/urandom of="$mnt/dir/big" bs=1M count=3 status=none
	ln "$mnt/dir/big" "$mnt/dir/big-link"
	head -c 100 /dev/urandom > "$mnt/dir/small"
	truncate -s 8M "$mnt/holey"
	dd if=/dev/urandom of="$mnt/holey" bs=4K count=2 seek=512 \
		conv=notrunc status=none
	dd if=/dev/urandom of="$mnt/holey" bs=4K count=1 seek=1536 \
		conv=notrunc status=none
	touch "$mnt/nocow"
	chattr +C "$mnt/nocow"
	dd if=/dev/urandom of="$mnt/nocow" bs=1M count=1 conv=notrunc status=none
	touch "$mnt/comp"
	chattr +c "$mnt/comp"
	yes 'libbtrfs compressible line' | head -c 1M > "$mnt/comp"
	fallocate -l 1M "$mnt/prealloc"
	ln -s dir/big "$mnt/sym"
	for i in $(seq 1 300); do : > "$mnt/many/f$i"; done
	btrfs -q subvolume create "$mnt/sv" >/dev/null
	dd if=/dev/urandom of="$mnt/sv/file" bs=64K count=1 status=none
	mkdir "$mnt/sv/inner"
	echo deep > "$mnt/sv/inner/deep"
	btrfs -q subvolume create "$mnt/sv/nested" >/dev/null
	dd if=/dev/urandom of="$mnt/sv/nested/f" bs=4K count=4 status=none
	sync
}

paths="/dir /dir/big /dir/big-link /dir/small /holey /nocow /comp /prealloc
/sym /many /many/f1 /many/f150 /many/f300 /sv /sv/file /sv/inner
/sv/inner/deep /sv/nested /sv/nested/f"
files="/dir/big /dir/small /holey /nocow /comp /prealloc /sv/file /sv/nested/f"

# Records the kernel's view under $tmp/k/ before unmounting.
record() {
	local p f
	mkdir "$tmp/k"
	for p in $paths; do
		f=$tmp/k/$(echo "$p" | tr / _)
		stat -c '%i %s %h %f' "$mnt$p" > "$f.stat"
	done
	for p in $files; do
		f=$tmp/k/$(echo "$p" | tr / _)
		filefrag -v "$mnt$p" > "$f.frag" 2>/dev/null
	done
	lsattr -d "$mnt/nocow" | awk '{print $1}' > "$tmp/k/nocow.attr"
	lsattr -d "$mnt/dir/big" | awk '{print $1}' > "$tmp/k/big.attr"
	svid=$(btrfs inspect-internal rootid "$mnt/sv")
	nestedid=$(btrfs inspect-internal rootid "$mnt/sv/nested")
	head -c 4096 "$mnt/dir/big" > "$tmp/k/big.block0"
	dd if="$mnt/holey" bs=4K skip=512 count=1 status=none > "$tmp/k/holey.block"
	head -c 4096 "$mnt/sv/file" > "$tmp/k/svfile.block0"
	head -c 4096 "$mnt/nocow" > "$tmp/k/nocow.block0"
	btrfs subvolume set-default "$svid" "$mnt" >/dev/null
}

make_image() {
	tmp=$(mktemp -d /tmp/libbtrfs-test.XXXXXX) || skip "no temporary directory"
	img=$tmp/img
	mnt=$tmp/mnt
	mkdir "$mnt"
	truncate -s 512M "$img"
	mkfs.btrfs -q -f -L libbtrfs-test "$img" >/dev/null 2>&1 ||
		skip "stock mkfs.btrfs failed"
	mount -o loop "$img" "$mnt" 2>/dev/null || skip "cannot mount a loop device"
	mounted=1
	populate
	record
	umount "$mnt" || { fail "umount"; exit 1; }
	mounted=
}

check_super() {
	local k got want
	"$probe" "$img" super > "$tmp/super" 2>&1
	btrfs inspect-internal dump-super "$img" > "$tmp/dump-super"
	for k in fsid metadata_uuid label generation total_bytes bytes_used \
		 num_devices nodesize sectorsize csum_type compat_flags \
		 compat_ro_flags incompat_flags; do
		got=$(awk -v k="$k" '$1 == k { print $2 }' "$tmp/super")
		want=$(awk -v k="$k" '$1 == k { print $2; exit }' "$tmp/dump-super")
		check_eq "super $k" "$got" "$want"
	done
	got=$(awk '$1 == "dax_layout" || $1 == "has_dax_inodes" { printf "%s ", $2 }' "$tmp/super")
	check_eq "super: stock mkfs has no DAX bits" "$got" "0 0 "
}

check_inodes() {
	local p f
	for p in $paths; do
		f=$tmp/k/$(echo "$p" | tr / _)
		check_eq "stat $p (ino size nlink mode)" \
			"$("$probe" -s 5 "$img" stat "$p")" "$(cat "$f.stat")"
	done
	check_eq "lookup /sv/file enters subvolume $svid" \
		"$("$probe" -s 5 "$img" lookup /sv/file)" "$svid 257"
	check_eq "lookup /sv/nested/f enters subvolume $nestedid" \
		"$("$probe" -s 5 "$img" lookup /sv/nested/f)" "$nestedid 257"
	check_eq "lookup /sv/inner/deep stays in subvolume $svid" \
		"$("$probe" -s 5 "$img" lookup /sv/inner/deep | cut -d' ' -f1)" "$svid"
}

check_flags() {
	local out
	out=$("$probe" -s 5 "$img" flags /nocow)
	case "$(cat "$tmp/k/nocow.attr")" in
	*C*) check_eq "chattr +C file has NODATACOW and NODATASUM" \
		"$(echo "$out" | awk '{print $6, $8}')" "1 1" ;;
	*) fail "lsattr does not show C on the nocow file" ;;
	esac
	check_eq "chattr +C file is not DAX" "$(echo "$out" | awk '{print $4}')" 0
	out=$("$probe" -s 5 "$img" flags /dir/big)
	check_eq "plain file has no NODATACOW" "$(echo "$out" | awk '{print $6}')" 0
	out=$("$probe" -s 5 "$img" flags /comp)
	check_eq "chattr +c file has COMPRESS" "$(echo "$out" | awk '{print $10}')" 1
}

# EXTENT_DATA items of inode $2 in tree $1, as the probe prints the first
# eight fields: offset type disk_bytenr disk_num offset num ram compression.
# dump-tree omits ram and compression of a prealloc extent; the kernel
# writes those as disk_num and none.
dump_extents() {
	btrfs inspect-internal dump-tree -t "$1" "$img" | awk -v ino="$2" '
	$1 == "item" && $4 == "(" ino && $5 == "EXTENT_DATA" {
		off = $6; sub(/\)/, "", off); inside = 1; next }
	$1 == "item" { inside = 0 }
	!inside { next }
	$1 == "generation" && $3 == "type" { type = $4 }
	$1 == "inline" { print off, 0, 0, $5, 0, $7, $7, $9; inside = 0 }
	$1 == "extent" && $3 == "disk" { db = $5; dn = $7 }
	$1 == "prealloc" && $3 == "disk" { db = $5; dn = $7 }
	$1 == "prealloc" && $3 == "offset" {
		print off, type, db, dn, $4, $6, dn, 0; inside = 0 }
	$1 == "extent" && $3 == "offset" { eo = $4; nb = $6; rb = $8 }
	$1 == "extent" && $2 == "compression" {
		print off, type, db, dn, eo, nb, rb, $3; inside = 0 }'
}

# Data extents merged the way FIEMAP merges them: "file logical length".
merge_probe_extents() {
	awk '$2 != 0 && $3 != 0 {
		lo = $3 + ($8 == 0 ? $5 : 0)
		if (n && $1 == pf + pl && lo == plo + pl && $2 == pt && $8 == 0) {
			pl += $6; next }
		if (n) print pf, plo, pl
		pf = $1; plo = lo; pl = $6; pt = $2; n = 1 }
	END { if (n) print pf, plo, pl }'
}

frag_extents() {
	awk '/blocks of [0-9]+ bytes/ { for (i = 1; i <= NF; i++)
			if ($i == "of") bs = $(i + 1) }
	/^ *[0-9]+:/ && !/inline/ {
		gsub(/[:.]+/, " "); print $2 * bs, $4 * bs, $6 * bs }' "$1"
}

check_extents() {
	local p f tree ino got want
	for p in $files; do
		f=$tmp/k/$(echo "$p" | tr / _)
		read -r tree ino <<< "$("$probe" -s 5 "$img" lookup "$p")"
		"$probe" -s 5 "$img" extents "$p" > "$f.probe"
		got=$(cut -d' ' -f1-8 "$f.probe")
		want=$(dump_extents "$tree" "$ino")
		if [ -n "$want" ] && [ "$got" = "$want" ]; then
			pass "extents of $p match dump-tree ($(wc -l < "$f.probe") items)"
		else
			fail "extents of $p differ from dump-tree: got [$got] want [$want]"
		fi
		[ "$p" = /comp ] && continue
		check_eq "extents of $p match filefrag -v" \
			"$(merge_probe_extents < "$f.probe")" "$(frag_extents "$f.frag")"
	done
	got=$(awk '$8 != 0' "$tmp/k/_comp.probe" | wc -l)
	if [ "$got" -gt 0 ]; then
		pass "compressed extents reported ($got)"
	else
		fail "no compressed extent found in /comp"
	fi
	got=$(awk '$2 == 2' "$tmp/k/_prealloc.probe" | wc -l)
	check_eq "fallocate gives one prealloc extent" "$got" 1
	got=$(awk '$2 == 0 { print $4 }' "$tmp/k/_dir_small.probe")
	check_eq "100-byte file is inline" "$got" 100
}

# The reported physical address must hold the file's bytes.
check_physical() {
	local p want phys
	for p in /dir/big:big.block0 /sv/file:svfile.block0 /nocow:nocow.block0 \
		 /holey:holey.block; do
		want=$tmp/k/${p#*:}
		p=${p%%:*}
		phys=$("$probe" -s 5 "$img" extents "$p" | awk '$3 != 0 { print $10; exit }')
		if [ -n "$phys" ] && dd if="$img" bs=4096 skip=$((phys / 4096)) \
			count=1 status=none | cmp -s - "$want"; then
			pass "physical address of $p holds its data"
		else
			fail "physical address '$phys' of $p does not hold its data"
		fi
	done
}

# pmd_aligned must follow the documented rule on every data extent.
check_pmd() {
	local bad
	bad=$(cat "$tmp"/k/*.probe | awk '
	function mod2m(x) { x = x % 2097152; return x < 0 ? x + 2097152 : x }
	$2 != 0 && $3 != 0 {
		lo = $3 + ($8 == 0 ? $5 : 0)
		want = ($8 == 0 && mod2m(lo - $1) == 0 && mod2m($10 - $1) == 0)
		if (want != $11) print }')
	check_eq "pmd_aligned follows the 2 MiB congruence rule" "$bad" ""
	check_eq "1 MiB nocow extent at a 16 MiB boundary is pmd_aligned" \
		"$("$probe" -s 5 "$img" extents /nocow | awk '{print $11}')" \
		"$("$probe" -s 5 "$img" extents /nocow | awk '{
			print ($3 % 2097152 == 0 && $10 % 2097152 == 0) ? 1 : 0 }')"
}

check_lookup_errors() {
	local big
	big=$("$probe" -s 5 "$img" lookup /dir/big)
	check_eq "lookup of a missing name is -ENOENT" \
		"$("$probe" -s 5 "$img" lookup /nope | cut -d' ' -f1-2)" "error -2"
	check_eq "lookup through a file is -ENOTDIR" \
		"$("$probe" -s 5 "$img" lookup /dir/small/x | cut -d' ' -f1-2)" "error -20"
	check_eq "lookup through a symlink is -ENOTDIR" \
		"$("$probe" -s 5 "$img" lookup /sym/x | cut -d' ' -f1-2)" "error -20"
	check_eq "lookup of 'file/' is -ENOTDIR" \
		"$("$probe" -s 5 "$img" lookup /dir/big/ | cut -d' ' -f1-2)" "error -20"
	check_eq "lookup with . and .. across a subvolume" \
		"$("$probe" -s 5 "$img" lookup /sv/nested/../../dir/./big)" "$big"
	check_eq "lookup of /.. stays at the top" \
		"$("$probe" -s 5 "$img" lookup /..)" "5 256"
	check_eq "lookup of /sv/nested/.. is the subvolume top" \
		"$("$probe" -s 5 "$img" lookup /sv/nested/..)" "$svid 256"
	check_eq "default subvolume (set-default) resolves to $svid" \
		"$("$probe" "$img" lookup /)" "$svid 256"
	check_eq "path in the default subvolume" \
		"$("$probe" "$img" lookup /file)" "$svid 257"
	check_eq "subvolume given by id" \
		"$("$probe" -s "$nestedid" "$img" lookup /f)" "$nestedid 257"
	check_eq "missing subvolume is -ENOENT" \
		"$("$probe" -s 4242 "$img" lookup / | cut -d' ' -f1-2)" "error -2"
}

# Item keys of a tree as dump-tree prints them, with type names as numbers.
dump_keys() {
	btrfs inspect-internal dump-tree -t "$1" "$img" | awk '
	BEGIN { t["INODE_ITEM"] = 1; t["INODE_REF"] = 12; t["XATTR_ITEM"] = 24;
		t["DIR_ITEM"] = 84; t["DIR_INDEX"] = 96; t["EXTENT_DATA"] = 108 }
	$1 == "item" && $3 == "key" {
		o = $4; sub(/\(/, "", o); k = $6; sub(/\)/, "", k)
		print o, ($5 in t) ? t[$5] : $5, k, $10 }'
}

check_iter() {
	local t got want
	check_eq "iterating the FS tree gives dump-tree's keys and sizes" \
		"$("$probe" "$img" iter 5)" "$(dump_keys 5)"
	check_eq "iterating subvolume $svid gives dump-tree's keys" \
		"$("$probe" "$img" iter "$svid")" "$(dump_keys "$svid")"
	for t in 1 2 3 4 7 9 10; do
		got=$("$probe" "$img" iter $t | wc -l)
		want=$(btrfs inspect-internal dump-tree -t $t "$img" |
		       grep -cE '^[[:space:]]+item [0-9]+ key')
		check_eq "tree $t has $want items" "$got" "$want"
	done
	read -r _ ino <<< "$("$probe" -s 5 "$img" lookup /dir/big)"
	check_eq "iteration from a minimum key" \
		"$("$probe" "$img" iter 5 "$ino" 108 0 | head -n 1)" "$ino 108 0 53"
	read -r _ ino <<< "$("$probe" -s 5 "$img" lookup /many/f150)"
	check_eq "iteration from a key in a middle leaf" \
		"$("$probe" "$img" iter 5 "$ino" 1 0 | head -n 1)" "$ino 1 0 160"
	check_eq "iteration from a key in a middle leaf runs to the end" \
		"$("$probe" "$img" iter 5 "$ino" 1 0 | wc -l)" \
		"$(dump_keys 5 | awk -v i="$ino" '$1 >= i' | wc -l)"
	check_eq "iteration past the last key is empty" \
		"$("$probe" "$img" iter 5 0xffffffffffffffff 255 0)" ""
	check_eq "a missing tree is -ENOENT" \
		"$("$probe" "$img" iter 4242 | cut -d' ' -f1-2)" "error -2"
}

# make install into a scratch root, then build and run the probe with only
# the installed header and library, found through pkg-config.
# $flags and --cflags are word lists on purpose.
# shellcheck disable=SC2046,SC2086
check_pkgconfig() {
	local dest=$tmp/dest prefix pcdir flags
	if ! command -v pkg-config >/dev/null 2>&1; then
		echo "# libbtrfs: no pkg-config, smoke test not run"
		return
	fi
	if ! make -C "$top" -s install DESTDIR="$dest" > "$tmp/install.log" 2>&1; then
		fail "make install DESTDIR=... ($(tail -n 1 "$tmp/install.log"))"
		return
	fi
	prefix=$(sed -n 's/^prefix=//p' "$top/libbtrfs/libbtrfs-dax.pc")
	pcdir=$tmp/pc
	mkdir -p "$pcdir"
	sed "s|^prefix=.*|prefix=$dest$prefix|" \
		"$dest$prefix/lib/pkgconfig/libbtrfs-dax.pc" > "$pcdir/libbtrfs-dax.pc"
	flags=$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags --libs --static libbtrfs-dax)
	# A sanitized library needs its runtime in the program too.
	flags="$(make -C "$top" -s print-sanitize-flags) $flags"
	check_eq "installed header includes no project header" \
		"$(grep -c '#include "' "$dest$prefix/include/btrfs-dax/btrfs-dax.h")" 0
	mkdir "$tmp/build"
	printf '#include <btrfs-dax.h>\nint main(void) { return 0; }\n' \
		> "$tmp/build/alone.c"
	if ${CC:-cc} -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only \
		$(PKG_CONFIG_PATH=$pcdir pkg-config --cflags libbtrfs-dax) \
		"$tmp/build/alone.c" > "$tmp/cc.log" 2>&1; then
		pass "installed header compiles alone as C99 -pedantic"
	else
		fail "installed header alone: $(head -n 3 "$tmp/cc.log")"
	fi
	cp "$top/tests/tools/libbtrfs-probe.c" "$tmp/build/"
	if (cd "$tmp/build" && ${CC:-cc} -Wall -Wextra -Werror -o probe \
		libbtrfs-probe.c $flags) > "$tmp/cc.log" 2>&1; then
		pass "probe builds against the installed copy via pkg-config"
	else
		fail "probe does not build via pkg-config: $(head -n 3 "$tmp/cc.log")"
		return
	fi
	check_eq "installed-copy probe reads the image" \
		"$(LD_LIBRARY_PATH=$dest$prefix/lib "$tmp/build/probe" -s 5 "$img" lookup /dir/big)" \
		"$("$probe" -s 5 "$img" lookup /dir/big)"
}

require
make_image
check_super
check_inodes
check_flags
check_extents
check_physical
check_pmd
check_lookup_errors
check_iter
check_pkgconfig
[ "$failures" -eq 0 ] || exit 1
exit 0
