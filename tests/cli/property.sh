#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs property, offline (--image) and online:
#   - every property set and read back offline on an image of stock mkfs
#     --rootdir and on one of our mkfs filled by the kernel; after every set
#     our check and stock check pass; what we set is what stock dump-tree,
#     stock `btrfs property` and the kernel (a read-only mount) see;
#   - the kernel mounts read-only and refuses read-write once an inode is
#     DAX (COMPAT_RO_DAX), mounts read-write otherwise; every file's data is
#     the same before and after;
#   - the rules of `dax on` (directories and empty files only, no
#     compression property) and of ro on a received subvolume (-f);
#   - online get/set of ro, label and compression agree with stock on a
#     mounted filesystem, and online `dax on` says the kernel cannot;
#   - errors (missing path, unknown property or value, read-only device,
#     mounted filesystem, full filesystem): one line, exit 1, the image
#     byte for byte unchanged.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init property

TOOLS=$TEST_TOP/tests/tools
MKFS=$TEST_TOP/mkfs.btrfs
dir=$TEST_WORKDIR/property
mnt=$dir/mnt
mkdir -p "$dir"
NO_KERNEL=$(why_no_kernel)

# prop ARG...: our btrfs property, output into $dir/last.
prop() {
	"$OUR_BTRFS" property "$@" > "$dir/last" 2>&1
}

# check_errors IMAGE: the problems our check reports, one per line.
check_errors() {
	"$OUR_BTRFS" check "$1" 2>&1 | grep '^ERROR' | sort
}

# checks_pass IMAGE: stock check finds nothing, and ours nothing beyond
# what it found before the first set (check_base, kept in IMAGE.base:
# stock mkfs 6.2 leaves FREE_SPACE_INFO items of the temporary block
# groups it removes, which our check reports and stock's does not).
checks_pass() {
	local out
	check_errors "$1" > "$dir/our-errors"
	if ! cmp -s "$dir/our-errors" "$1.base"; then
		{ echo "our check, new problems:"; diff "$1.base" "$dir/our-errors"; } > "$dir/last-check"
		return 1
	fi
	out=$("$STOCK_BTRFS" check "$1" 2>&1) || {
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	}
	printf '%s\n' "$out" > "$dir/last-check"
	printf '%s\n' "$out" | grep -q 'no error found' &&
		! printf '%s\n' "$out" | grep -v '^ERROR: cannot scan /dev/' |
			grep -q '^ERROR'
}

# check_base IMAGE: what our check says of the untouched image.
check_base() {
	check_errors "$1" > "$1.base"
}

# set_ok NAME IMAGE ARG...: an offline set that must succeed and leave
# both checks clean.
set_ok() {
	local name=$1 img=$2
	shift 2
	if ! prop set --image "$img" "$@"; then
		fail "property: $name" "set failed" "$dir/last"
		return 1
	fi
	if ! checks_pass "$img"; then
		fail "property: $name" "check fails after the set" "$dir/last-check"
		return 1
	fi
	return 0
}

# get_is NAME IMAGE WANT ARG...: offline get prints exactly WANT.
get_is() {
	local name=$1 img=$2 want=$3 got
	shift 3
	got=$("$OUR_BTRFS" property get --image "$img" "$@" 2>&1)
	[ "$got" = "$want" ] && return 0
	fail "property: $name" "get printed '$got', want '$want'"
	return 1
}

# refused NAME IMAGE PATTERN ARG...: an offline command that must fail
# with one line matching PATTERN and leave the image unchanged.
refused() {
	local name=$1 img=$2 pattern=$3 st n
	shift 3
	cp "$img" "$dir/before.img"
	"$OUR_BTRFS" property "$@" > "$dir/last.out" 2> "$dir/last"
	st=$?
	n=$(wc -l < "$dir/last")
	if [ "$st" -ne 1 ] || [ "$n" -ne 1 ] || [ -s "$dir/last.out" ] ||
	   ! grep -qi -- "$pattern" "$dir/last"; then
		fail "property: refuses $name" "exit $st, $n lines, want 1 line matching '$pattern'" "$dir/last"
	elif [ -z "${REFUSED_MOUNTED:-}" ] && ! cmp -s "$img" "$dir/before.img"; then
		fail "property: refuses $name" "the image changed"
	else
		pass "property: refuses $name: $(cat "$dir/last")"
	fi
}

# stock_xattrs IMAGE NAME: the values stock dump-tree shows for an xattr,
# sorted, on one line.
stock_xattrs() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t fs "$1" 2>/dev/null |
		grep -A1 "name: $2\$" | sed -n 's/^[[:space:]]*data //p' |
		sort | tr '\n' ' '
}

# The stock mkfs --rootdir image: no kernel involved at all.
test_stock_rootdir() {
	local img=$dir/rootdir.img ok=1
	if ! image_get rootdir; then
		skip "property: stock mkfs --rootdir image" "$IMAGE_WHY"
		return
	fi
	cp "${IMAGE_DEVS[0]}" "$img"
	check_base "$img"
	[ -z "$NO_KERNEL" ] && hash_image "$img" > "$dir/rootdir.before"
	prop list --image "$img" /
	if [ "$(cut -c1-20 "$dir/last" | tr -d ' ' | tr '\n' ' ')" != "ro label compression dax " ]; then
		fail "property: list of /" "$(tr '\n' ' ' < "$dir/last")"
		ok=0
	fi
	set_ok "label (stock mkfs)" "$img" / label "offline label" || ok=0
	"$STOCK_BTRFS" inspect-internal dump-super -a "$img" > "$dir/supers" 2>&1
	if [ "$(grep -c '^label[[:space:]]*offline label$' "$dir/supers")" -ne \
	     "$(grep -c '^superblock: bytenr=' "$dir/supers")" ]; then
		fail "property: label in every superblock copy" "stock dump-super -a disagrees" "$dir/supers"
		ok=0
	fi
	set_ok "compression zlib on a file (stock mkfs)" "$img" /a/inline compression zlib &&
		get_is "get compression" "$img" "compression=zlib" /a/inline compression || ok=0
	set_ok "compression zstd:3 on a directory (stock mkfs)" "$img" /a compression zstd:3 || ok=0
	if [ "$(stock_xattrs "$img" btrfs.compression)" != "zlib zstd:3 " ]; then
		fail "property: stock dump-tree sees the xattrs" "$(stock_xattrs "$img" btrfs.compression)"
		ok=0
	fi
	if ! "$STOCK_BTRFS" inspect-internal dump-super "$img" | grep -q COMPRESS_ZSTD; then
		fail "property: compression zstd sets the COMPRESS_ZSTD incompat bit"
		ok=0
	fi
	set_ok "dax on an empty directory (stock mkfs)" "$img" /empty-dir dax on &&
		get_is "get dax" "$img" "dax=on" /empty-dir dax || ok=0
	if ! "$OUR_BTRFS" inspect-internal dump-tree -t fs "$img" |
		grep -q 'flags 0x200000000000003(NODATASUM|NODATACOW|DAX)'; then
		fail "property: dump-tree names the DAX flag"
		ok=0
	fi
	if ! "$OUR_BTRFS" inspect-internal dump-super "$img" | grep -q '^[[:space:]|(]*DAX'; then
		fail "property: dump-super names COMPAT_RO_DAX"
		ok=0
	fi
	refused "dax on a non-empty file" "$img" "empty file" set --image "$img" /tiny dax on
	refused "dax on a compressed file" "$img" "compression" set --image "$img" /a dax on
	refused "dax on a symlink" "$img" "symbolic link" set --image "$img" /symlink dax on
	refused "dax on a FIFO" "$img" "FIFO" set --image "$img" /fifo dax on
	refused "a path through a file" "$img" "not a directory" get --image "$img" /tiny/x
	refused "compression on a DAX directory" "$img" "NODATACOW" set --image "$img" /empty-dir compression lzo
	set_ok "compression none (stock mkfs)" "$img" /a compression "" &&
		get_is "compression removed" "$img" "" /a compression || ok=0
	set_ok "dax off (stock mkfs)" "$img" /empty-dir dax off || ok=0
	if ! "$OUR_BTRFS" inspect-internal dump-tree -t fs "$img" |
		grep -q 'flags 0x3(NODATASUM|NODATACOW)'; then
		fail "property: dax off keeps NODATACOW and NODATASUM"
		ok=0
	fi
	[ "$ok" = 1 ] && pass "property: every property offline on a stock mkfs --rootdir image"
	[ -n "$NO_KERNEL" ] && return
	hash_image "$img" > "$dir/rootdir.after"
	if [ -s "$dir/rootdir.after" ] && cmp -s "$dir/rootdir.before" "$dir/rootdir.after"; then
		pass "property: $(wc -l < "$dir/rootdir.after") files of the stock image read back byte-identical by the kernel"
	else
		fail "property: file data of the stock image" "the kernel reads different data, or cannot mount it"
	fi
}

# hash_image IMAGE: hash_files of a read-only mount of the image.
hash_image() {
	local loop
	loop=$(loop_attach "$1") || return 1
	if fs_mount "$loop" "$mnt" ro; then
		hash_files "$mnt"
		fs_umount "$mnt"
	fi
	loop_detach "$loop"
}

# hash_files MNT: "sha256  path" of every regular file.
hash_files() {
	(cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# The kernel fills an image of our mkfs, we change it offline, the kernel
# reads it back.
test_kernel_roundtrip() {
	local img=$dir/ours.img loop st
	if [ -n "$NO_KERNEL" ]; then
		skip "property: kernel round trip" "$NO_KERNEL"
		return
	fi
	rm -f "$img"
	truncate -s 256M "$img"
	"$MKFS" -q -f "$img" > /dev/null 2>&1 || { fail "property: kernel round trip" "mkfs failed"; return; }
	loop=$(loop_attach "$img") || return
	fs_mount "$loop" "$mnt" || { loop_detach "$loop"; fail "property: kernel round trip" "mount failed"; return; }
	mkdir "$mnt/db" "$mnt/plain"
	touch "$mnt/db/empty" "$mnt/empty"
	garbage_bytes 50000 7 > "$mnt/plain/data"
	head -c 300000 /dev/urandom > "$mnt/random"
	"$STOCK_BTRFS" -q subvolume create "$mnt/sv" > /dev/null
	mkdir "$mnt/sv/dir"
	touch "$mnt/sv/dir/new"
	head -c 100000 /dev/urandom > "$mnt/sv/data"
	hash_files "$mnt" > "$dir/hash.before"
	fs_umount "$mnt"
	loop_detach "$loop"
	check_base "$img"
	checks_pass "$img" || { fail "property: kernel round trip" "the image fails check before any set" "$dir/last-check"; return; }

	set_ok "ro true (kernel-made subvolume)" "$img" /sv ro true || return
	set_ok "label (our mkfs)" "$img" / label roundtrip || return
	set_ok "compression lzo (our mkfs)" "$img" /plain compression lzo || return
	get_is "get of a subvolume" "$img" "ro=true" /sv || return
	# Still no DAX inode: the kernel mounts read-write and sees it all.
	loop=$(loop_attach "$img") || return
	if fs_mount "$loop" "$mnt"; then
		st="$("$STOCK_BTRFS" property get "$mnt/sv" ro) $("$STOCK_BTRFS" property get "$mnt" label) $("$STOCK_BTRFS" property get "$mnt/plain" compression)"
		fs_umount "$mnt"
		if [ "$st" = "ro=true label=roundtrip compression=lzo" ]; then
			pass "property: the kernel mounts read-write and stock reads ro, label, compression"
		else
			fail "property: kernel view" "stock property get on the mount: $st"
		fi
	else
		fail "property: read-write mount without DAX" "the kernel refuses it"
	fi
	loop_detach "$loop"
	set_ok "ro false" "$img" /sv ro false || return
	set_ok "dax on a kernel-made directory" "$img" /db dax on || return
	set_ok "dax on an empty file in a subvolume" "$img" /sv/dir/new dax on || return
	set_ok "dax on an empty file" "$img" /empty dax on || return
	refused "dax on a kernel-written file" "$img" "has data" set --image "$img" /random dax on
	loop=$(loop_attach "$img") || return
	if fs_mount "$loop" "$mnt" 2>/dev/null; then
		fs_umount "$mnt"
		fail "property: read-write mount with DAX" "the kernel mounted read-write with COMPAT_RO_DAX set"
	elif fs_mount "$loop" "$mnt" ro; then
		hash_files "$mnt" > "$dir/hash.after"
		st=$(lsattr -d "$mnt/db" 2>/dev/null | cut -c1-22)
		fs_umount "$mnt"
		if ! cmp -s "$dir/hash.before" "$dir/hash.after"; then
			fail "property: data unchanged" "file hashes differ"
		elif [[ "$st" != *C* ]]; then
			fail "property: dax sets NODATACOW" "lsattr of the DAX directory: $st"
		else
			pass "property: DAX image mounts read-only only, $(wc -l < "$dir/hash.after") files byte-identical, the DAX directory is NODATACOW"
		fi
	else
		fail "property: read-only mount with DAX" "the kernel refuses it"
	fi
	loop_detach "$loop"
}

# A received subvolume: ro false needs -f, which clears received_uuid.
test_received() {
	local img loop n
	if [ -n "$NO_KERNEL" ]; then
		skip "property: received subvolume" "$NO_KERNEL"
		return
	fi
	img=$dir/recv.img
	rm -f "$img"
	truncate -s 256M "$img"
	"$STOCK_MKFS" -q -f "$img" > /dev/null 2>&1 || return
	loop=$(loop_attach "$img") || return
	fs_mount "$loop" "$mnt" || { loop_detach "$loop"; return; }
	"$STOCK_BTRFS" -q subvolume create "$mnt/src" > /dev/null
	echo data > "$mnt/src/file"
	"$STOCK_BTRFS" -q subvolume snapshot -r "$mnt/src" "$mnt/snap" > /dev/null
	mkdir "$mnt/recv"
	"$STOCK_BTRFS" -q send "$mnt/snap" 2>/dev/null |
		"$STOCK_BTRFS" -q receive "$mnt/recv" > /dev/null 2>&1
	fs_umount "$mnt"
	loop_detach "$loop"
	check_base "$img"
	if ! "$STOCK_BTRFS" inspect-internal dump-tree -t uuid "$img" 2>/dev/null |
		grep -q RECEIVED_SUBVOL; then
		skip "property: received subvolume" "send/receive made no received subvolume"
		return
	fi
	get_is "received subvolume is ro" "$img" "ro=true" /recv/snap ro || return
	refused "ro false on a received subvolume without -f" "$img" "received" \
		set --image "$img" /recv/snap ro false
	set_ok "ro false -f on a received subvolume" "$img" -f /recv/snap ro false || return
	n=$("$STOCK_BTRFS" inspect-internal dump-tree -t uuid "$img" 2>/dev/null | grep -c RECEIVED_SUBVOL)
	if [ "$n" -eq 0 ] && get_is "received subvolume now rw" "$img" "ro=false" /recv/snap ro; then
		pass "property: ro false -f clears received_uuid and its uuid tree entry"
	else
		fail "property: ro false -f" "$n RECEIVED_SUBVOL uuid items left"
	fi
}

# Online: ours and stock on the same mounted filesystem.
test_online() {
	local img=$dir/online.img loop a b ok=1 args
	if [ -n "$NO_KERNEL" ]; then
		skip "property: online" "$NO_KERNEL"
		return
	fi
	rm -f "$img"
	truncate -s 256M "$img"
	"$STOCK_MKFS" -q -f -L online "$img" > /dev/null 2>&1 || return
	loop=$(loop_attach "$img") || return
	fs_mount "$loop" "$mnt" || { loop_detach "$loop"; return; }
	mkdir "$mnt/d"
	echo x > "$mnt/f"
	"$STOCK_BTRFS" -q subvolume create "$mnt/sv" > /dev/null
	# Ours sets, stock reads; then stock sets and ours reads.
	"$OUR_BTRFS" property set "$mnt/sv" ro true &&
	"$OUR_BTRFS" property set "$mnt" label "set by ours" &&
	"$OUR_BTRFS" property set "$mnt/f" compression zstd:2 || ok=0
	a=$("$STOCK_BTRFS" property get "$mnt/sv" ro; "$STOCK_BTRFS" property get "$mnt" label; "$STOCK_BTRFS" property get "$mnt/f")
	[ "$a" = "$(printf 'ro=true\nlabel=set by ours\ncompression=zstd:2')" ] || ok=0
	"$STOCK_BTRFS" property set "$mnt/sv" ro false
	"$STOCK_BTRFS" property set "$mnt/d" compression lzo
	for args in "$mnt" "$mnt/sv" "$mnt/d" "$mnt/f" "$loop" "$mnt/sv ro" "$mnt label" \
		    "-t s $mnt" "-t f $mnt label" "$mnt/f ro" "$mnt/f bogus" "-t x $mnt" \
		    "$mnt/d compression"; do
		# shellcheck disable=SC2086  # the arguments are split on purpose
		a=$("$STOCK_BTRFS" property get $args 2>&1; echo "status $?")
		# shellcheck disable=SC2086
		b=$("$OUR_BTRFS" property get $args 2>&1; echo "status $?")
		if [ "$a" != "$b" ]; then
			fail "property: online get $args" "stock: ${a//$'\n'/ }, ours: ${b//$'\n'/ }"
			ok=0
		fi
	done
	a=$("$STOCK_BTRFS" property list "$mnt/sv")
	b=$("$OUR_BTRFS" property list "$mnt/sv" | grep -v '^dax ')
	[ "$a" = "$b" ] || { fail "property: online list" "differs from stock"; ok=0; }
	"$OUR_BTRFS" property set "$mnt/f" compression bogus 2> "$dir/last"
	grep -q "failed to set compression" "$dir/last" || ok=0
	[ "$ok" = 1 ] && pass "property: online ro, label, compression agree with stock"
	touch "$mnt/empty"
	"$OUR_BTRFS" property set "$mnt/empty" dax on > "$dir/last.out" 2> "$dir/last"
	a=$?
	if [ "$a" -eq 1 ] && [ "$(wc -l < "$dir/last")" -eq 1 ] &&
	   grep -q "does not support DAX on btrfs (FS_IOC_FSSETXATTR: Operation not supported).*--image $loop /empty dax on" "$dir/last"; then
		pass "property: online dax on: $(cat "$dir/last")"
	elif grep -q "FS_IOC_FSSETXATTR" "$dir/last"; then
		fail "property: online dax on" "exit $a" "$dir/last"
	else
		fail "property: online dax on" "exit $a, no EOPNOTSUPP message" "$dir/last"
	fi
	b=$("$OUR_BTRFS" property get "$mnt/empty" dax 2>&1)
	if [ "$b" = "$(printf 'dax=off\ndax_active=off')" ]; then
		pass "property: online get dax"
	else
		fail "property: online get dax" "$b"
	fi
	# The kernel writes a mounted filesystem, so no byte comparison here.
	REFUSED_MOUNTED=1 refused "a mounted filesystem" "$img" "mounted" set --image "$img" /f compression zlib
	REFUSED_MOUNTED=1 refused "a mounted device" "$img" "mounted\|busy" set --image "$loop" /f compression zlib
	fs_umount "$mnt"
	loop_detach "$loop"
}

# One line, exit 1, image unchanged for every kind of bad request.
test_errors() {
	local img=$dir/errors.img loop st
	rm -f "$img"
	truncate -s 256M "$img"
	"$MKFS" -q -f "$img" > /dev/null 2>&1 || return
	check_base "$img"
	refused "a missing path" "$img" "cannot find" set --image "$img" /nope compression zlib
	refused "an unknown property" "$img" "unknown property" set --image "$img" / colour blue
	refused "a bad ro value" "$img" "invalid value" set --image "$img" / ro maybe
	refused "a bad compression value" "$img" "invalid value" set --image "$img" / compression zip
	refused "a bad dax value" "$img" "invalid value" set --image "$img" / dax yes
	refused "a too long label" "$img" "too long" set --image "$img" / label "$(printf 'x%.0s' $(seq 256))"
	refused "ro on a non-subvolume" "$img" "not compatible" set --image "$img" -t i / ro true
	refused "a missing image" "$img" "cannot open" set --image "$dir/none.img" / label x
	rm -f "$dir/s16k.img"
	truncate -s 256M "$dir/s16k.img"
	if "$STOCK_MKFS" -q -f -s 16384 "$dir/s16k.img" > /dev/null 2>&1; then
		refused "dax with 16 KiB sectors" "$dir/s16k.img" "sector size (16384)" \
			set --image "$dir/s16k.img" / dax on
	fi
	if [ -n "$NO_KERNEL" ]; then
		skip "property: refuses a read-only device" "$NO_KERNEL"
	else
		loop=$(loop_attach "$img" -r) || return
		refused "a read-only device" "$img" "read-only device" set --image "$loop" / label x
		loop_detach "$loop"
		# An unmounted device object: label through the superblock.
		loop=$(loop_attach "$img") || return
		"$OUR_BTRFS" property set "$loop" label "via device" &&
			[ "$("$STOCK_BTRFS" property get "$loop" label)" = "label=via device" ] &&
			[ "$("$OUR_BTRFS" property get "$loop")" = "label=via device" ]
		st=$?
		loop_detach "$loop"
		if [ "$st" -eq 0 ] && checks_pass "$img"; then
			pass "property: label of an unmounted device, as stock reads it"
		else
			fail "property: label of an unmounted device" "set, stock get or check failed" "$dir/last-check"
		fi
	fi
	test_enospc
}

# A filesystem whose metadata is full: txn-edit fills it with xattrs in
# ever smaller transactions (a big one stops early, keeping room for its
# own commit), until even one more leaf does not fit.
test_enospc() {
	local img=$dir/full.img n=0 batch full
	rm -f "$img"
	truncate -s 128M "$img"
	"$MKFS" -q -f "$img" > /dev/null 2>&1 || return
	for batch in 100 10 1; do
		full=0
		while [ "$full" -lt 2 ]; do
			"$TOOLS/txn-edit" -M -k "$img" xattrs=256:$n:$batch:15000 > /dev/null 2>&1
			[ $? -eq 2 ] && full=$((full + 1))
			n=$((n + batch))
		done
	done
	refused "a full filesystem" "$img" "not enough free metadata space" \
		set --image "$img" / compression zstd
}

test_stock_rootdir
test_kernel_roundtrip
test_received
test_online
test_errors
test_done
