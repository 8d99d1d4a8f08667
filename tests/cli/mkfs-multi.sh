#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkfs.btrfs on several devices: every profile on every device count from 1
# to 4 it is valid for, on loop devices (and once on the image files
# themselves).  For each filesystem:
#   - stock mkfs.btrfs on the same devices makes the same chunks: type,
#     length, stripe count and the device of every stripe (only the
#     physical offsets differ: stock leaves holes where its temporary
#     chunks were)
#   - stock `btrfs check` is clean (it finds the other devices by scanning)
#   - our dump-tree prints exactly what stock's prints, given all devices
# and on a subset, the kernel mounts it, a workload runs, scrub finds every
# copy and every parity stripe good, and stock check is clean again.
# RAID1/5/6 filesystems are also mounted with devices missing, which makes
# the kernel rebuild the tree blocks from the other copies or from parity.
# Device counts a profile cannot use, and other bad input, are refused with
# one ERROR line, exit status 1 and every device untouched.
#
# MKFS_QUICK=1 mounts fewer filesystems.

# shellcheck disable=SC2317 # mkfs-basic.sh returns early when sourced
MKFS_TEST_LIB=1
# shellcheck source=tests/cli/mkfs-basic.sh
. "$(dirname "${BASH_SOURCE[0]}")/mkfs-basic.sh"

NDEV=4
IMG_SIZE=${MULTI_IMG_SIZE:-1G}
LOOPS=()
IMGS=()

# The smallest device count of each profile (stock 6.2's table).
declare -A DEVS_MIN=(
	[single]=1 [dup]=1 [raid0]=1 [raid1]=2 [raid10]=2 [raid5]=2
	[raid6]=3 [raid1c3]=3 [raid1c4]=4
)
PROFILES="single dup raid0 raid1 raid10 raid5 raid6 raid1c3 raid1c4"

multi_cleanup() {
	local l

	if mountpoint -q "$mnt" 2>/dev/null; then
		umount "$mnt" 2>/dev/null || umount -l "$mnt"
	fi
	for l in "${LOOPS[@]}"; do
		"$STOCK_BTRFS" device scan --forget "$l" >/dev/null 2>&1
		losetup -d "$l" 2>/dev/null
	done
	rm -rf "$work"
}

multi_setup() {
	local i l

	work_setup
	trap multi_cleanup EXIT
	for ((i = 1; i <= NDEV; i++)); do
		new_image "$work/dev$i.img" "$IMG_SIZE"
		IMGS+=("$work/dev$i.img")
		l=$(losetup -f --show "$work/dev$i.img") || return 1
		LOOPS+=("$l")
	done
}

# One line per chunk, sorted: type, length, stripes, sub stripes, devids.
chunk_shape() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@" 2>/dev/null | awk '
		/CHUNK_ITEM/ { if (line) print line; line = "" }
		/^\t\tlength / { line = $8 " " $2 }
		/num_stripes/ { line = line " stripes " $2 " sub " $4 }
		/^\t\t\tstripe [0-9]+ devid/ { line = line " " $4 }
		END { if (line) print line }' | sort
}

# Stock mkfs.btrfs on the same devices first, then ours: same chunks.
shape_compare() {
	local what=$1 opts=$2 stock=yes
	shift 2

	# shellcheck disable=SC2086
	"$STOCK_MKFS" -q -f $opts "$@" >/dev/null 2>&1 || stock=no
	chunk_shape "$@" >"$work/stock.shape"
	# shellcheck disable=SC2086
	if ! "$MKFS" -q -f $opts "$@" >"$work/mkfs.out" 2>&1; then
		fail "$what: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
		return 1
	fi
	if [ "$stock" = no ]; then
		skip "$what: stock mkfs.btrfs 6.2 refuses it, no chunks to compare"
		return 0
	fi
	chunk_shape "$@" >"$work/ours.shape"
	if [ -s "$work/ours.shape" ] && diff -q "$work/stock.shape" "$work/ours.shape" >/dev/null; then
		pass "$what: the chunks, their sizes and devices are stock's ($(wc -l <"$work/ours.shape") chunks)"
	else
		fail "$what: the chunks differ from stock's"
		diff "$work/stock.shape" "$work/ours.shape" | head -10 | sed 's/^/    /'
		return 1
	fi
}

# stock_view < OURS: our dump-tree output as stock 6.2 prints it: stock has
# no name for the DAX inode flag (it shows in the hex value alone).
stock_view() {
	sed -e 's/|DAX)$/)/' -e 's/(DAX)$/(none)/'
}

# Our dump-tree against stock's, given every device.
multi_dump() {
	local what=$1
	shift

	if ! "$OUR_BTRFS" inspect-internal dump-tree "$@" >"$work/ours.txt" 2>"$work/ours.err"; then
		fail "$what: ./btrfs inspect-internal dump-tree fails"
		head -5 "$work/ours.err" | sed 's/^/    /'
		return 1
	fi
	# stdout only: stock's stderr may carry scan errors of unrelated devices
	"$STOCK_BTRFS" inspect-internal dump-tree "$@" >"$work/stock.txt" 2>"$work/stock.err"
	if ! diff -q <(sed 1d "$work/ours.txt" | stock_view) <(sed 1d "$work/stock.txt") >/dev/null; then
		fail "$what: our dump-tree differs from stock's"
		diff <(sed 1d "$work/ours.txt" | stock_view) <(sed 1d "$work/stock.txt") |
			head -10 | sed 's/^/    /'
		return 1
	fi
	pass "$what: our dump-tree of all devices is stock's"
}

# Mount options naming every device but the first.
device_opts() {
	local opts="" d

	shift
	for d in "$@"; do
		opts="$opts${opts:+,}device=$d"
	done
	echo "${opts:-defaults}"
}

# Some files, one bigger file, a snapshot, a reflink, then scrub.
multi_workload() {
	mkdir -p "$mnt/doc"
	(cd /usr/share && find doc -type f | head -400 | tar -cf - -T -) |
		tar -C "$mnt" -xf - || return 1
	dd if=/dev/urandom of="$mnt/big" bs=1M count=32 status=none || return 1
	"$STOCK_BTRFS" subvolume snapshot "$mnt" "$mnt/snap" >/dev/null || return 1
	cp --reflink=always "$mnt/big" "$mnt/big.reflink" || return 1
	sync
}

# Mount with all devices, work, scrub every copy and parity, check again.
multi_kernel() {
	local what=$1
	shift

	if ! mount -o "$(device_opts "$@")" "$1" "$mnt" 2>"$work/mount.err"; then
		fail "$what: the kernel does not mount it: $(head -1 "$work/mount.err")"
		return 1
	fi
	if ! multi_workload; then
		fail "$what: the kernel workload fails"
		umount "$mnt"
		return 1
	fi
	if ! "$STOCK_BTRFS" scrub start -B "$mnt" >"$work/scrub.out" 2>&1 ||
	   ! grep -q 'no errors found' "$work/scrub.out"; then
		fail "$what: scrub finds errors"
		sed 's/^/    /' "$work/scrub.out" | head -10
		umount "$mnt"
		return 1
	fi
	umount "$mnt" || { fail "$what: umount fails"; return 1; }
	pass "$what: the kernel mounts, writes and scrubs it clean"
	stock_check "$1" "$what, after the kernel wrote"
}

# Mount read-only without the devices at the given indexes: the kernel
# must rebuild what they held from copies or parity.
degraded_mount() {
	local what=$1 drop=$2 keep=() i
	shift 2
	local all=("$@")

	for ((i = 0; i < ${#all[@]}; i++)); do
		case " $drop " in
		*" $i "*) "$STOCK_BTRFS" device scan --forget "${all[$i]}" >/dev/null 2>&1 ;;
		*) keep+=("${all[$i]}") ;;
		esac
	done
	if mount -o "degraded,ro,$(device_opts "${keep[@]}")" "${keep[0]}" "$mnt" \
		2>"$work/mount.err" &&
	   ls "$mnt" >/dev/null && "$STOCK_BTRFS" filesystem df "$mnt" >/dev/null; then
		umount "$mnt"
		pass "$what: mounts without device(s) $drop, rebuilt from the others"
	else
		fail "$what: no degraded mount without device(s) $drop: $(head -1 "$work/mount.err")"
		mountpoint -q "$mnt" && umount "$mnt"
	fi
	"$STOCK_BTRFS" device scan "${all[@]}" >/dev/null 2>&1
}

# Whether this case mounts: all in full runs, a few with MKFS_QUICK=1.
kernel_wanted() {
	local n=$1 opts=$2

	if [ "${MKFS_QUICK:-0}" = 1 ]; then
		case "$n:$opts" in
		"3:" | "4:-m raid10 -d raid10" | "4:-m raid6 -d raid6") return 0 ;;
		esac
		return 1
	fi
	case "$n:$opts" in
	"2:" | "3:" | "4:" | "2:-m dup -d dup" | "3:-m raid0 -d raid0" | \
	"4:-m raid10 -d raid10" | "3:-m raid5 -d raid5" | \
	"4:-m raid6 -d raid6" | "3:-m raid1c3 -d raid1c3" | \
	"4:-m raid1c4 -d raid1c4") return 0 ;;
	esac
	return 1
}

degraded_cases() {
	local n=$1 opts=$2 what=$3
	shift 3

	case "$n:$opts" in
	"2:-m raid1 -d raid1")
		degraded_mount "$what" "0" "$@"
		degraded_mount "$what" "1" "$@" ;;
	"3:-m raid5 -d raid5")
		degraded_mount "$what" "0" "$@"
		degraded_mount "$what" "1" "$@"
		degraded_mount "$what" "2" "$@" ;;
	"4:-m raid6 -d raid6")
		degraded_mount "$what" "0 1" "$@"
		degraded_mount "$what" "1 2" "$@"
		degraded_mount "$what" "2 3" "$@"
		degraded_mount "$what" "0 3" "$@" ;;
	esac
}

# One filesystem on the first n loop devices.
multi_case() {
	local n=$1 opts=$2 kernel=$3 reason
	local devs=("${LOOPS[@]:0:n}") what="$n dev${opts:+ $opts}"

	shape_compare "$what" "$opts" "${devs[@]}" || return 1
	stock_check "${devs[0]}" "$what" || return 1
	multi_dump "$what" "${devs[@]}"
	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		skip "$what: kernel mount ($reason)"
		return 0
	fi
	degraded_cases "$n" "$opts" "$what" "${devs[@]}"
	[ "$kernel" = yes ] && multi_kernel "$what" "${devs[@]}"
	return 0
}

profile_matrix() {
	local n p opts kernel

	for ((n = 1; n <= NDEV; n++)); do
		for opts in "" $(for p in $PROFILES; do
			[ "${DEVS_MIN[$p]}" -le "$n" ] && echo "-m_${p}_-d_$p"
		done); do
			opts=${opts//_/ }
			kernel=no
			kernel_wanted "$n" "$opts" && kernel=yes
			multi_case "$n" "$opts" "$kernel"
		done
	done
}

# Other options on several devices.
option_cases() {
	local kernel=yes

	[ "${MKFS_QUICK:-0}" = 1 ] && kernel=no
	multi_case 2 "-M" no
	multi_case 2 "-M -m raid1 -d raid1" "$kernel"
	multi_case 3 "-M -m raid5 -d raid5" no
	multi_case 4 "-m raid1c4 -d raid6 -n 4096 --csum xxhash" no
	multi_case 3 "-O block-group-tree -m raid10 -d raid0" no
	multi_case 2 "-d raid1 -m single" no
}

# Our chunk items of the devices: "logical length type off1 off2 ...".
chunk_places() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@" 2>/dev/null | awk '
		/CHUNK_ITEM/ { if (line) print line; l = $6; sub(/\)/, "", l); line = l }
		/^\t\tlength / { line = line " " $2 " " $8 }
		/^\t\t\tstripe [0-9]+ devid/ { line = line " " $6 }
		END { if (line) print line }'
}

# DAX-DESIGN.md on several devices: 2 MiB alignment everywhere, data
# chunks single and clear of every device's superblock copies.
dax_multi_violations() {
	chunk_places "$@" | awk -v a=2097152 '
		function holds_sb(off, len,   i, sb) {
			split("65536 67108864 274877906944", sb, " ")
			for (i = 1; i <= 3; i++)
				if (sb[i] >= off && sb[i] < off + len)
					return 1
			return 0
		}
		{
			n++
			if ($1 % a || $2 % a) print "chunk " $1 ": start or length not aligned"
			if ($3 ~ /^DATA/ && $3 !~ /single$/) print "chunk " $1 ": data not single"
			stripes = NF - 3
			for (i = 4; i <= NF; i++) {
				if ($i % a) print "chunk " $1 ": stripe at " $i " not aligned"
				if ($3 ~ /^DATA/ && holds_sb($i, $2)) print "chunk " $1 ": data over a superblock"
			}
		}
		END { if (!n) print "no chunks found" }'
}

dax_case() {
	local n=$1 opts=$2 kernel=$3 bad
	local devs=("${LOOPS[@]:0:n}") what="$n dev --dax${opts:+ $opts}"

	# shellcheck disable=SC2086
	if ! "$MKFS" -q -f --dax $opts "${devs[@]}" >"$work/mkfs.out" 2>&1; then
		fail "$what: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
		return 1
	fi
	bad=$(dax_multi_violations "${devs[@]}")
	if [ -n "$bad" ]; then
		fail "$what: DAX layout broken"
		printf '%s\n' "$bad" | head -5 | sed 's/^/    /'
	else
		pass "$what: every chunk and stripe 2MiB aligned, data single and clear of superblocks"
	fi
	stock_check "${devs[0]}" "$what" || return 1
	multi_dump "$what" "${devs[@]}"
	[ "$kernel" = yes ] && [ -z "$(kernel_skip_reason)" ] &&
		multi_kernel "$what" "${devs[@]}"
	return 0
}

# mkfs on the image files (one through its loop device): the reads go
# through the loop devices, whose caches must forget what they held.
file_cases() {
	local l

	if ! "$MKFS" -q -f "${IMGS[0]}" "${IMGS[1]}" "${IMGS[2]}" >"$work/mkfs.out" 2>&1; then
		fail "3 image files: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
	else
		for l in "${LOOPS[@]}"; do blockdev --flushbufs "$l"; done
		stock_check "${LOOPS[0]}" "3 image files" &&
			multi_dump "3 image files" "${IMGS[0]}" "${IMGS[1]}" "${IMGS[2]}"
	fi
	if ! "$MKFS" -q -f -m raid1 -d raid1 -b 600M "${LOOPS[0]}" "${IMGS[1]}" >"$work/mkfs.out" 2>&1; then
		fail "loop device and image file, -b 600M: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
		return
	fi
	for l in "${LOOPS[@]}"; do blockdev --flushbufs "$l"; done
	stock_check "${LOOPS[0]}" "loop device and image file, -b 600M"
	if [ "$("$STOCK_BTRFS" inspect-internal dump-tree -t chunk "${LOOPS[0]}" "${LOOPS[1]}" |
	       grep -c 'devid [12] total_bytes 629145600 ')" = 2 ]; then
		pass "-b 600M limits every device to 600MiB, as stock does"
	else
		fail "-b 600M does not limit both devices to 600MiB"
	fi
}

# Exit status 1, one ERROR line, nothing on stdout, every image unchanged.
expect_multi_refusal() {
	local what=$1 nimg=$2 rc before after lines i
	shift 2
	local imgs=("${@:1:nimg}")
	shift "$nimg"

	before=$(for i in "${imgs[@]}"; do sha256sum <"$i"; done)
	"$MKFS" "$@" >"$work/out" 2>"$work/err"
	rc=$?
	after=$(for i in "${imgs[@]}"; do sha256sum <"$i"; done)
	lines=$(wc -l <"$work/err")
	if [ $rc -ne 1 ]; then
		fail "$what: exit status $rc, want 1"
	elif [ "$lines" -ne 1 ] || ! grep -q '^ERROR: ' "$work/err"; then
		fail "$what: want one ERROR line, got $lines lines"
		sed 's/^/    /' "$work/err" | head -5
	elif [ -s "$work/out" ]; then
		fail "$what: prints to stdout on refusal"
	elif [ "$before" != "$after" ]; then
		fail "$what: a device changed"
	else
		pass "$what: refused ($(cut -c8- "$work/err"))"
	fi
}

bad_input_cases() {
	local r=() i p n
	for i in 1 2 3; do
		new_image "$work/r$i.img" 150M
		"$STOCK_MKFS" -q -f "$work/r$i.img" >/dev/null 2>&1
		r+=("$work/r$i.img")
	done
	for p in raid1 raid10 raid5 raid6 raid1c3 raid1c4; do
		n=$((DEVS_MIN[$p] - 1))
		expect_multi_refusal "-m $p on $n device(s)" "$n" "${r[@]:0:n}" \
			-f -m "$p" "${r[@]:0:n}"
		expect_multi_refusal "-d $p on $n device(s)" "$n" "${r[@]:0:n}" \
			-f -d "$p" "${r[@]:0:n}"
	done
	expect_multi_refusal "-M with different profiles" 2 "${r[@]:0:2}" \
		-f -M -m raid1 -d single "${r[@]:0:2}"
	expect_multi_refusal "-M -n 16384" 2 "${r[@]:0:2}" -f -M -n 16384 "${r[@]:0:2}"
	expect_multi_refusal "--dax -d raid1" 2 "${r[@]:0:2}" -f --dax -d raid1 "${r[@]:0:2}"
	expect_multi_refusal "--dax -d raid0" 2 "${r[@]:0:2}" -f --dax -d raid0 "${r[@]:0:2}"
	expect_multi_refusal "one device given twice" 2 "${r[@]:0:2}" \
		-f "${r[0]}" "${r[1]}" "${r[0]}"
	expect_multi_refusal "a missing device among others" 2 "${r[@]:0:2}" \
		-f "${r[0]}" "${r[1]}" "$work/no-such-device"
	new_image "$work/small.img" 60M
	expect_multi_refusal "a device too small among others" 3 "${r[0]}" "${r[1]}" \
		"$work/small.img" -f -d raid1 "${r[0]}" "${r[1]}" "$work/small.img"
	expect_multi_refusal "existing filesystems without -f" 2 "${r[@]:0:2}" \
		"${r[0]}" "${r[1]}"
	expect_multi_refusal "an image file and its own loop device" 1 "${IMGS[3]}" \
		-f "${IMGS[3]}" "${LOOPS[3]}"
}

# Stock's summary table, device rows included, for several devices.
summary_cases() {
	local opts

	for opts in "" "-m raid10 -d raid5" "-M -m raid1 -d raid1" "-m raid1c4 -d raid1c3"; do
		# shellcheck disable=SC2086
		"$STOCK_MKFS" -f $opts "${LOOPS[@]}" 2>/dev/null |
			sed -n '/^Label:/,$p' | grep -v '^UUID:' >"$work/stock.sum"
		# shellcheck disable=SC2086
		"$MKFS" -f $opts "${LOOPS[@]}" 2>/dev/null |
			sed -n '/^Label:/,$p' | grep -v '^UUID:' >"$work/ours.sum"
		if [ -s "$work/ours.sum" ] && diff -q "$work/stock.sum" "$work/ours.sum" >/dev/null; then
			pass "summary table of '$opts' on 4 devices is stock's"
		else
			fail "summary table of '$opts' on 4 devices differs from stock's"
			diff "$work/stock.sum" "$work/ours.sum" | head -10 | sed 's/^/    /'
		fi
	done
}

multi_main() {
	local reason

	if [ ! -x "$MKFS" ] || [ ! -x "$OUR_BTRFS" ]; then
		skip "mkfs.btrfs or btrfs not built"
		exit 0
	fi
	if [ ! -x "$STOCK_BTRFS" ] || [ ! -x "$STOCK_MKFS" ]; then
		skip "no stock btrfs-progs"
		exit 0
	fi
	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		# Stock check finds the other devices only among block devices.
		skip "several devices: $reason"
		exit 0
	fi
	multi_setup || { fail "cannot attach $NDEV loop devices"; exit 1; }
	profile_matrix
	option_cases
	dax_case 3 "" yes
	dax_case 4 "-m raid10" no
	dax_case 4 "-m raid6 --dax-inherit" no
	file_cases
	summary_cases
	bad_input_cases
	[ "$failures" -eq 0 ] || exit 1
	exit 0
}

multi_main
