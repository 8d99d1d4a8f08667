#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkfs.btrfs: every configuration makes a filesystem that stock
# `btrfs check` passes, that our own dump-tree reads exactly as stock's does,
# and that the kernel mounts and writes (then check passes again).  Bad input
# gives one ERROR line, exit status 1, and leaves the image untouched.
#
# Prints "PASS mkfs: ...", "FAIL mkfs: ..." or "SKIP mkfs: ..." per case and
# exits 1 when anything failed.  mkfs-dax.sh sources the helpers with
# MKFS_TEST_LIB=1.
#
# Environment: TEST_TMPDIR (default /var/tmp) holds the sparse images;
# MKFS_QUICK=1 runs the kernel workload on fewer configurations.

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MKFS=${MKFS:-$top/mkfs.btrfs}
OUR_BTRFS=$top/btrfs
STOCK_BTRFS=${STOCK_BTRFS:-/usr/bin/btrfs}
STOCK_MKFS=${STOCK_MKFS:-/usr/sbin/mkfs.btrfs}
failures=0

pass() { echo "PASS mkfs: $*"; }
fail() { echo "FAIL mkfs: $*"; failures=$((failures + 1)); }
skip() { echo "SKIP mkfs: $*"; }

work_setup() {
	work=$(mktemp -d "${TEST_TMPDIR:-/var/tmp}/mkfs-test.XXXXXX") || exit 1
	mnt=$work/mnt
	mkdir -p "$mnt"
	trap work_cleanup EXIT
}

work_cleanup() {
	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	rm -rf "$work"
}

# A fresh sparse image of the given size.
new_image() {
	rm -f "$1"
	truncate -s "$2" "$1"
}

# Stock check must exit 0 and say nothing that looks like a problem.
stock_check() {
	local img=$1 what=$2 out

	if ! out=$("$STOCK_BTRFS" check "$img" 2>&1); then
		fail "$what: stock btrfs check exits non-zero"
		printf '%s\n' "$out" | sed 's/^/    /' | head -20
		return 1
	fi
	# Stock check scans every block device; a loop device that another
	# test is detaching answers EIO, which says nothing about this image.
	if printf '%s\n' "$out" | grep -v 'no error found' |
	   grep -v '^ERROR: cannot scan /dev/loop[0-9]*: Input/output error$' |
	   grep -qiE 'error|warning|wrong|mismatch|corrupt|invalid'; then
		fail "$what: stock btrfs check reports problems"
		printf '%s\n' "$out" | sed 's/^/    /' | head -20
		return 1
	fi
	pass "$what: stock btrfs check is clean"
}

# stock_view < OURS: our dump-tree output as stock 6.2 prints it: stock has
# no name for the DAX inode flag (it shows in the hex value alone).
stock_view() {
	sed -e 's/|DAX)$/)/' -e 's/(DAX)$/(none)/'
}

# Our dump-tree must print exactly what stock's prints for the same image.
own_dump() {
	local img=$1 what=$2

	if [ ! -x "$OUR_BTRFS" ]; then
		skip "$what: ./btrfs not built, no read-back with our engine"
		return 0
	fi
	if ! "$OUR_BTRFS" inspect-internal dump-tree "$img" >"$work/ours.txt" 2>&1; then
		fail "$what: ./btrfs inspect-internal dump-tree fails"
		head -5 "$work/ours.txt" | sed 's/^/    /'
		return 1
	fi
	"$STOCK_BTRFS" inspect-internal dump-tree "$img" >"$work/stock.txt" 2>&1
	if ! diff -q <(sed 1d "$work/ours.txt" | stock_view) <(sed 1d "$work/stock.txt") >/dev/null; then
		fail "$what: our dump-tree differs from stock's"
		diff <(sed 1d "$work/ours.txt" | stock_view) <(sed 1d "$work/stock.txt") |
			head -10 | sed 's/^/    /'
		return 1
	fi
	pass "$what: our engine reads it back like stock"
}

# Why the kernel cannot be used here, or nothing when it can.
kernel_skip_reason() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	grep -qw btrfs /proc/filesystems || modprobe btrfs 2>/dev/null
	grep -qw btrfs /proc/filesystems || { echo "no btrfs in the kernel"; return; }
	losetup -f >/dev/null 2>&1 || { echo "no free loop device"; return; }
	command -v mountpoint >/dev/null || echo "no mountpoint(1)"
}

# Files, deletions, a big file, a snapshot and a reflink, as the kernel
# writes them.
kernel_workload() {
	local avail n big

	avail=$(df -m --output=avail "$mnt" | tail -1)
	if [ "$avail" -gt 700 ]; then
		cp -a /usr/share/doc "$mnt/doc" || return 1
	else
		mkdir -p "$mnt/doc"
		(cd /usr/share && find doc -type f | head -1500 | tar -cf - -T -) |
			tar -C "$mnt" -xf - || return 1
	fi
	n=$(find "$mnt/doc" -type f | wc -l)
	find "$mnt/doc" -type f | awk 'NR % 2 == 0' | xargs -d '\n' -r rm -f || return 1
	avail=$(df -m --output=avail "$mnt" | tail -1)
	big=$((avail / 3))
	[ "$big" -gt 200 ] && big=200
	dd if=/dev/urandom of="$mnt/big" bs=1M count="$big" status=none || return 1
	"$STOCK_BTRFS" subvolume snapshot "$mnt" "$mnt/snap" >/dev/null || return 1
	cp --reflink=always "$mnt/big" "$mnt/big.reflink" || return 1
	sync
	echo "$n files, ${big}MiB file" >"$work/workload.txt"
}

kernel_test() {
	local img=$1 what=$2 reason

	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		skip "$what: kernel mount ($reason)"
		return 0
	fi
	if ! mount -o loop "$img" "$mnt" 2>"$work/mount.err"; then
		fail "$what: the kernel does not mount it: $(head -1 "$work/mount.err")"
		return 1
	fi
	if ! kernel_workload; then
		fail "$what: the kernel workload fails"
		umount "$mnt"
		return 1
	fi
	if ! umount "$mnt"; then
		fail "$what: umount fails"
		return 1
	fi
	pass "$what: the kernel mounts and writes it ($(cat "$work/workload.txt"))"
	stock_check "$img" "$what, after the kernel wrote"
}

# mkfs must succeed quietly; then every read-side check.
make_and_check() {
	local size=$1 kernel=$2
	shift 2
	local what="${*:-default} $size" img=$work/img

	new_image "$img" "$size"
	if ! "$MKFS" -q -f "$@" "$img" >"$work/mkfs.out" 2>&1; then
		fail "$what: mkfs.btrfs $* fails: $(head -1 "$work/mkfs.out")"
		return 1
	fi
	stock_check "$img" "$what" || return 1
	own_dump "$img" "$what"
	[ "$kernel" = yes ] && kernel_test "$img" "$what"
	return 0
}

# Exit status 1, exactly one line on stderr starting "ERROR: ", nothing on
# stdout, and the image byte for byte as before.
expect_refusal() {
	local what=$1 img=$2 before after lines
	shift 2

	before=$(sha256sum <"$img")
	"$MKFS" "$@" >"$work/out" 2>"$work/err"
	local rc=$?
	after=$(sha256sum <"$img")
	lines=$(wc -l <"$work/err")
	if [ $rc -ne 1 ]; then
		fail "$what: exit status $rc, want 1"
	elif [ "$lines" -ne 1 ] || ! grep -q '^ERROR: ' "$work/err"; then
		fail "$what: want one ERROR line, got $lines lines"
		sed 's/^/    /' "$work/err" | head -5
	elif [ -s "$work/out" ]; then
		fail "$what: prints to stdout on refusal"
	elif [ "$before" != "$after" ]; then
		fail "$what: the image changed"
	else
		pass "$what: refused ($(cut -c8- "$work/err"))"
	fi
}

bad_input_tests() {
	local img=$work/bad.img reason

	new_image "$img" 300M
	"$STOCK_MKFS" -q -f "$img" >/dev/null 2>&1
	expect_refusal "unknown -d value" "$img" -f -d raid7 "$img"
	expect_refusal "unknown -m value" "$img" -f -m triple "$img"
	expect_refusal "existing filesystem without -f" "$img" "$img"
	new_image "$work/small.img" 100M
	expect_refusal "device too small" "$work/small.img" -f "$work/small.img"
	expect_refusal "-b larger than the device" "$img" -f -b 1G "$img"
	expect_refusal "unknown feature" "$img" -f -O no-such-feature "$img"
	expect_refusal "-m raid1 on one device" "$img" -f -m raid1 "$img"
	expect_refusal "-d raid5 on one device" "$img" -f -d raid5 "$img"
	expect_refusal "-M with a 16KiB nodesize" "$img" -f -M -n 16384 "$img"
	expect_refusal "-M -m dup -d single" "$img" -f -M -m dup "$img"
	expect_refusal "-O mixed-bg without -M keeps 16KiB nodes" "$img" -f -O mixed-bg "$img"
	expect_refusal "--device-uuid that is not a UUID" "$img" -f --device-uuid xyz "$img"
	new_image "$work/second.img" 300M
	expect_refusal "--device-uuid with two devices" "$img" -f \
		--device-uuid 6d2e0f4a-1b3c-4d5e-8f60-718293a4b5c6 "$img" "$work/second.img"

	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		skip "mounted image: $reason"
	elif mount -o loop "$img" "$mnt"; then
		# The kernel's own first commit after mounting must not count
		# as a change made by mkfs.
		sync -f "$mnt"
		expect_refusal "image mounted through a loop device" "$img" -f "$img"
		umount "$mnt"
	else
		fail "mounted image: cannot mount the stock image"
	fi

	if [ "$(id -u)" = 0 ] && chattr +i "$img" 2>/dev/null; then
		expect_refusal "immutable image" "$img" -f "$img"
		chattr -i "$img"
	elif [ "$(id -u)" != 0 ]; then
		chmod 444 "$img"
		expect_refusal "read-only image" "$img" -f "$img"
		chmod 644 "$img"
	else
		skip "read-only image: chattr +i not supported here"
	fi
}

# The table without the random uuid, and only the first device row: stock
# 6.2 lists the device twice when given -U.
summary_lines() {
	local out

	out=$(cat)
	printf '%s\n' "$out" | sed -n '/^Label:/,/^   ID /p' | grep -v '^UUID:'
	printf '%s\n' "$out" | sed -n '/^   ID /,$p' | sed -n 2p
}

# Our summary table is stock's line for line.
summary_compare() {
	local img=$1
	shift

	"$STOCK_MKFS" -f "$@" "$img" 2>/dev/null >"$work/stock.out"
	"$MKFS" -f "$@" "$img" 2>/dev/null >"$work/ours.out"
	summary_lines <"$work/stock.out" >"$work/stock.sum"
	summary_lines <"$work/ours.out" >"$work/ours.sum"
	if [ -s "$work/ours.sum" ] && diff -q "$work/stock.sum" "$work/ours.sum" >/dev/null; then
		pass "summary table of '$*' is stock's"
	else
		fail "summary table of '$*' differs from stock's"
		diff "$work/stock.sum" "$work/ours.sum" | head -10 | sed 's/^/    /'
	fi
}

# Options that change what is printed or written, beyond the matrix.
option_tests() {
	local img=$work/opt.img

	new_image "$img" 1G
	if "$MKFS" -q -f -L mkfs-test -U 0b5e7d3c-1111-4222-8333-444455556666 \
		-b 600M -K "$img" &&
	   "$STOCK_BTRFS" inspect-internal dump-super "$img" | grep -q 'label[[:space:]]*mkfs-test$' &&
	   "$STOCK_BTRFS" inspect-internal dump-super "$img" | grep -q '^fsid[[:space:]]*0b5e7d3c-1111-4222-8333-444455556666' &&
	   "$STOCK_BTRFS" inspect-internal dump-super "$img" | grep -q '^total_bytes[[:space:]]*629145600$'; then
		pass "-L -U -b -K are written to the superblock"
	else
		fail "-L -U -b -K: superblock does not show them"
	fi
	stock_check "$img" "-L -U -b -K"
	if "$MKFS" -q -f --device-uuid 6d2e0f4a-1b3c-4d5e-8f60-718293a4b5c6 "$img" &&
	   "$STOCK_BTRFS" inspect-internal dump-super "$img" |
		grep -q '^dev_item.uuid[[:space:]]*6d2e0f4a-1b3c-4d5e-8f60-718293a4b5c6$'; then
		pass "--device-uuid is written to the device item"
	else
		fail "--device-uuid: the device item does not carry it"
	fi
	stock_check "$img" "--device-uuid"
	summary_compare "$img" -L mkfs-test -b 600M
	summary_compare "$img" -m single -d dup --csum xxhash -n 4096
	summary_compare "$img" --csum sha256
	summary_compare "$img" -M
	summary_compare "$img" -M -m dup -d dup -b 900M
	if [ "$("$MKFS" -V)" = "mkfs.btrfs, part of btrfs-dax-progs v0.1" ]; then
		pass "-V"
	else
		fail "-V prints '$("$MKFS" -V)'"
	fi
	if "$MKFS" -O list-all 2>&1 | grep -q '^no-holes  *- ' &&
	   "$MKFS" -R list-all 2>&1 | grep -q '^free-space-tree  *- '; then
		pass "-O list-all and -R list-all"
	else
		fail "-O list-all / -R list-all"
	fi
}

# "TYPE length" per chunk, sorted, as stock dump-tree reads them.
chunk_sizes() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$1" |
		awk '/^\t\tlength / { print $8, $2 }' | sort
}

# Stock mkfs.btrfs on the same image, then ours: the same chunk sizes.
chunk_size_tests() {
	local img=$work/size.img spec size opts

	for spec in 60M:-m_single 200M: 300M: 1G: 10G: 100G: 1G:-d_dup \
		    10G:-d_dup 1G:-d_raid0 30M:-M 60M:-M 1G:-M 1G:-M_-m_dup_-d_dup \
		    600M:-m_single_-d_dup 200G:-m_single 1G:-O_mixed-bg_-n_4096; do
		size=${spec%%:*}
		opts=${spec#*:}
		opts=${opts//_/ }
		new_image "$img" "$size"
		# shellcheck disable=SC2086
		"$STOCK_MKFS" -q -f $opts "$img" >/dev/null 2>&1 ||
			{ fail "chunk sizes $size $opts: stock mkfs fails"; continue; }
		chunk_sizes "$img" >"$work/stock.sizes"
		# shellcheck disable=SC2086
		"$MKFS" -q -f $opts "$img" ||
			{ fail "chunk sizes $size $opts: mkfs fails"; continue; }
		chunk_sizes "$img" >"$work/ours.sizes"
		if diff -q "$work/stock.sizes" "$work/ours.sizes" >/dev/null; then
			pass "chunks of a $size device${opts:+ with $opts} are stock's: $(tr '\n' ' ' <"$work/ours.sizes")"
		else
			fail "chunks of a $size device${opts:+ with $opts} differ from stock's"
			diff "$work/stock.sizes" "$work/ours.sizes" | sed 's/^/    /'
		fi
	done
}

basic_main() {
	local size opts kernel

	if [ ! -x "$MKFS" ]; then
		skip "mkfs.btrfs not built"
		exit 0
	fi
	if [ ! -x "$STOCK_BTRFS" ]; then
		skip "no stock btrfs at $STOCK_BTRFS"
		exit 0
	fi
	work_setup
	for size in 300M 1G 10G; do
		while read -r opts; do
			kernel=no
			[ "$size" = 1G ] && kernel=yes
			[ -z "$opts" ] && [ "${MKFS_QUICK:-0}" = 0 ] && kernel=yes
			[ "${MKFS_QUICK:-0}" = 1 ] && [ -n "$opts" ] && kernel=no
			# shellcheck disable=SC2086
			make_and_check "$size" "$kernel" $opts
		done <<-EOF

			-n 4096
			-n 65536
			--csum xxhash
			--csum sha256
			--csum blake2
			-m single
			-d dup
			-O block-group-tree
			-O ^no-holes
			-O ^skinny-metadata
			-R ^free-space-tree
			-n 4096 -O block-group-tree
			-M
			-M -m dup -d dup
			-d raid0
		EOF
	done
	chunk_size_tests
	option_tests
	bad_input_tests
	[ "$failures" -eq 0 ] || exit 1
	exit 0
}

[ "${MKFS_TEST_LIB:-0}" = 1 ] && return 0
basic_main
