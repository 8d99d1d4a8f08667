#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# mkfs.btrfs --dax: the layout rules of DAX-DESIGN.md, read back with STOCK
# btrfs-progs so our own reader cannot hide a mistake.
#   - every chunk's logical start and length, every stripe offset and every
#     device extent offset are multiples of 2 MiB
#   - no DATA chunk stripe contains a superblock copy (64 KiB, 64 MiB,
#     256 GiB)
#   - compat_flags has the DAX layout bit (bit 0)
# Plus stock check, the kernel, and the options --dax refuses.

# shellcheck disable=SC2317 # mkfs-basic.sh returns early when sourced
MKFS_TEST_LIB=1
# shellcheck source=tests/cli/mkfs-basic.sh
. "$(dirname "${BASH_SOURCE[0]}")/mkfs-basic.sh"

ALIGN=2097152

# Prints one line per violation of the layout rules; nothing when clean.
dax_layout_violations() {
	local img=$1

	"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$img" | awk -v a="$ALIGN" '
		function sb_in(off, len,   i, sb) {
			split("65536 67108864 274877906944", sb, " ")
			for (i = 1; i <= 3; i++)
				if (sb[i] >= off && sb[i] < off + len)
					return sb[i]
			return -1
		}
		/CHUNK_ITEM/ {
			logical = $6; sub(/\)/, "", logical); logical += 0
			if (logical % a) print "chunk " logical ": logical start not aligned"
		}
		/^\t\tlength / {
			len = $2 + 0; type = $8
			if (len % a) print "chunk " logical ": length " len " not aligned"
		}
		/^\t\t\tstripe [0-9]+ devid/ {
			off = $6 + 0
			if (off % a) print "chunk " logical ": stripe offset " off " not aligned"
			if (type ~ /^DATA/ && sb_in(off, len) >= 0)
				print "data chunk " logical ": stripe " off "+" len " holds superblock copy " sb_in(off, len)
			stripes++
		}
		END { if (!stripes) print "no chunk stripes found" }' ||
		echo "cannot parse the chunk tree"
	"$STOCK_BTRFS" inspect-internal dump-tree -t dev "$img" | awk -v a="$ALIGN" '
		/DEV_EXTENT/ {
			off = $6; sub(/\)/, "", off); off += 0; n++
			if (off % a) print "dev extent " off ": not aligned"
		}
		/chunk_offset/ {
			if ($4 % a) print "dev extent " off ": chunk_offset " $4 " not aligned"
			if ($6 % a) print "dev extent " off ": length " $6 " not aligned"
		}
		END { if (!n) print "no device extents found" }' ||
		echo "cannot parse the device tree"
	# Bit 0 set: the last hex digit is odd (mawk has no bit operations).
	"$STOCK_BTRFS" inspect-internal dump-super "$img" | awk '
		/^compat_flags/ {
			seen = 1
			if (tolower(substr($2, length($2))) !~ /[13579bdf]/)
				print "compat_flags " $2 " lacks the DAX layout bit"
		}
		END { if (!seen) print "no compat_flags in dump-super" }' ||
		echo "cannot parse dump-super"
}

dax_layout_check() {
	local img=$1 what=$2 bad

	bad=$(dax_layout_violations "$img")
	if [ -n "$bad" ]; then
		fail "$what: DAX layout broken"
		printf '%s\n' "$bad" | head -10 | sed 's/^/    /'
		return 1
	fi
	pass "$what: chunks and device extents 2MiB aligned, data clear of superblocks, DAX bit set"
}

dax_make_and_check() {
	local size=$1 kernel=$2
	shift 2
	local what="--dax${*:+ $*} $size" img=$work/img

	new_image "$img" "$size"
	if ! "$MKFS" -q -f --dax "$@" "$img" >"$work/mkfs.out" 2>&1; then
		fail "$what: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
		return 1
	fi
	dax_layout_check "$img" "$what"
	stock_check "$img" "$what" || return 1
	own_dump "$img" "$what"
	[ "$kernel" = yes ] && kernel_test "$img" "$what"
	return 0
}

# The metadata chunk's second copy starting right on the 64 MiB superblock
# (a 930 MiB device): no tree block may sit in that superblock stripe.
dax_super_stripe_test() {
	local img=$work/img what="--dax 930M (metadata copy starts at 64MiB)" blocks

	new_image "$img" 930M
	if ! "$MKFS" -q -f --dax "$img"; then
		fail "$what: mkfs fails"
		return
	fi
	blocks=$("$STOCK_BTRFS" inspect-internal dump-tree -t dev "$img" |
		 grep -c 'DEV_EXTENT 67108864)')
	if [ "$blocks" != 1 ]; then
		skip "$what: layout changed, no device extent at 64MiB"
		return
	fi
	dax_layout_check "$img" "$what"
	stock_check "$img" "$what"
}

# --dax-inherit: DAX, NODATACOW and NODATASUM on the top directory and the
# COMPAT_RO_DAX bit.  Stock check accepts it; a stock kernel refuses to
# mount it read-write (unknown compat_ro bit) and mounts it read-only.
dax_inherit_test() {
	local img=$work/img what="--dax-inherit 1G" flags ro reason

	new_image "$img" 1G
	if ! "$MKFS" -q -f --dax-inherit "$img" >"$work/mkfs.out" 2>&1; then
		fail "$what: mkfs.btrfs fails: $(head -1 "$work/mkfs.out")"
		return
	fi
	dax_layout_check "$img" "$what"
	stock_check "$img" "$what" || return
	own_dump "$img" "$what"
	ro=$("$STOCK_BTRFS" inspect-internal dump-super "$img" |
	     awk '/^compat_ro_flags/ { print $2 }')
	flags=$("$STOCK_BTRFS" inspect-internal dump-tree -t fs "$img" |
		awk '/key \(256 INODE_ITEM 0\)/ { f = 1 } f && /flags/ { print $4; exit }' |
		sed 's/(.*//')
	if [ -n "$ro" ] && [ -n "$flags" ] && (((ro >> 32) & 1)) &&
	   (((flags >> 57) & 1)) && (((flags & 3) == 3)); then
		pass "$what: compat_ro $ro has DAX, the top directory's flags $flags have DAX, NODATACOW, NODATASUM"
	else
		fail "$what: compat_ro '$ro' or top directory flags '$flags' lack the DAX bits"
	fi
	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		skip "$what: kernel mount ($reason)"
		return
	fi
	if mount -o loop "$img" "$mnt" 2>/dev/null; then
		fail "$what: a stock kernel mounts it read-write"
		umount "$mnt"
	else
		pass "$what: a stock kernel refuses to mount it read-write"
	fi
	if mount -o loop,ro "$img" "$mnt" 2>"$work/mount.err" &&
	   ls -la "$mnt" >/dev/null && stat "$mnt/." >/dev/null; then
		pass "$what: a stock kernel mounts it read-only, the top directory reads"
		umount "$mnt"
	else
		fail "$what: no read-only mount: $(head -1 "$work/mount.err")"
		mountpoint -q "$mnt" && umount "$mnt"
	fi
}

dax_bad_input_tests() {
	local img=$work/bad.img page

	new_image "$img" 300M
	"$STOCK_MKFS" -q -f "$img" >/dev/null 2>&1
	expect_refusal "--dax -d dup" "$img" -f --dax -d dup "$img"
	expect_refusal "--dax -M" "$img" -f --dax -M "$img"
	expect_refusal "--dax-inherit -M" "$img" -f --dax-inherit -M "$img"
	expect_refusal "--dax-inherit -d dup" "$img" -f --dax-inherit -d dup "$img"
	page=$(getconf PAGESIZE)
	expect_refusal "--dax -s $((page * 4))" "$img" -f --dax -s $((page * 4)) "$img"
	expect_refusal "--dax on an existing filesystem without -f" "$img" --dax "$img"
	dax_partition_test
}

# The block device node of partition n of a loop device; without udev
# the node is made here from what sysfs says.
part_node() {
	local name majmin

	name=$(basename "$1")p$2
	if [ -b "/dev/$name" ]; then
		echo "/dev/$name"
		return 0
	fi
	majmin=$(cat "/sys/block/$(basename "$1")/$name/dev" 2>/dev/null) || return 1
	mknod "$work/$name" b "${majmin%%:*}" "${majmin#*:}" || return 1
	echo "$work/$name"
}

# A partition that does not start on a 2 MiB boundary must be refused.
dax_partition_test() {
	local img=$work/part.img reason loop part part2

	reason=$(kernel_skip_reason)
	if [ -n "$reason" ]; then
		skip "--dax on a misaligned partition: $reason"
		return
	fi
	new_image "$img" 700M
	# An MBR: partition 1 at sector 2048 (1 MiB), 128 MiB; partition 2 at
	# sector 266240 (130 MiB), 512 MiB.
	printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x00\x00\x04\x00' |
		dd of="$img" bs=1 seek=446 conv=notrunc status=none
	printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x10\x04\x00\x00\x00\x10\x00' |
		dd of="$img" bs=1 seek=462 conv=notrunc status=none
	printf '\x55\xaa' | dd of="$img" bs=1 seek=510 conv=notrunc status=none
	loop=$(losetup -P -f --show "$img") || { skip "--dax on a misaligned partition: losetup -P fails"; return; }
	sleep 1
	# Some kernels scan no partitions on loop devices; partx adds them.
	[ -e "/sys/block/$(basename "$loop")/$(basename "$loop")p1" ] ||
		partx -a "$loop" 2>/dev/null
	if ! part=$(part_node "$loop" 1) || ! part2=$(part_node "$loop" 2); then
		losetup -d "$loop"
		skip "--dax on a misaligned partition: the kernel shows no partitions on $loop"
		return
	fi
	expect_refusal "--dax on a partition starting at 1MiB" "$part" -f --dax "$part"
	grep -q '2MiB boundary' "$work/err" ||
		fail "--dax on a partition starting at 1MiB: refused for another reason"
	if "$MKFS" -q -f --dax "$part2" && dax_layout_check "$part2" "--dax on a partition starting at 130MiB"; then
		stock_check "$part2" "--dax on a partition starting at 130MiB"
	else
		fail "--dax on a partition starting at 130MiB"
	fi
	losetup -d "$loop"
}

dax_main() {
	local size opts kernel

	if [ ! -x "$MKFS" ]; then
		skip "mkfs.btrfs not built"
		exit 0
	fi
	if [ ! -x "$STOCK_BTRFS" ]; then
		skip "no stock btrfs at $STOCK_BTRFS"
		exit 0
	fi
	if [ "$(getconf PAGESIZE)" != 4096 ]; then
		skip "--dax tests assume 4KiB pages"
		exit 0
	fi
	work_setup
	for size in 300M 1G 10G 300G; do
		while read -r opts; do
			kernel=no
			[ "$size" = 1G ] && kernel=yes
			[ "$size" = 300M ] && [ -z "$opts" ] && kernel=yes
			[ "$size" = 300G ] && [ -n "$opts" ] && continue
			# shellcheck disable=SC2086
			dax_make_and_check "$size" "$kernel" $opts
		done <<-EOF

			-n 4096
			--csum xxhash
			-m single
			-O block-group-tree
		EOF
	done
	dax_super_stripe_test
	dax_inherit_test
	dax_bad_input_tests
	[ "$failures" -eq 0 ] || exit 1
	exit 0
}

dax_main
