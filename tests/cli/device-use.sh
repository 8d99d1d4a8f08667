#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One answer to "is this device or image in use" (kernel-shared/device-use.c)
# for mkfs, check and the write engine.  Each case sets the use up through
# the kernel and expects the exact refusal, with the mount point and the
# loop device taken from mount/losetup, and the image left untouched:
#   - an image mounted through a loop device (mkfs, check, property --image)
#   - the same loop device given directly
#   - an image whose loop device something holds O_EXCL (mkfs only: check
#     only reads, as before)
#   - a whole disk one of whose partitions is mounted (mkfs)
#   - an active swap area (mkfs)
# and an image attached to a loop device but neither mounted nor held is
# accepted.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init device-use

OUR_MKFS=$TEST_TOP/mkfs.btrfs
work=$TEST_WORKDIR/device-use
mkdir -p "$work"
T="device-use"

reason=$(why_no_kernel) && { skip "$T" "$reason"; test_done; }

# image_sum: of $img, or of its first $SUM_BYTES (the part the kernel does
# not write while it uses the rest).
image_sum() {
	head -c "${SUM_BYTES:-$(stat -c %s "$img")}" "$img" | md5sum
}

# refused NAME WANT TOOL ARG...: exit 1, WANT on stderr, the image unchanged.
refused() {
	local name=$1 want=$2 before after
	shift 2
	before=$(image_sum)
	"$@" > "$work/out" 2> "$work/err"
	local rc=$?
	after=$(image_sum)
	if [ "$rc" -ne 1 ]; then
		fail "$T: $name" "exit status $rc" "$work/err"
	elif ! grep -qF -- "$want" "$work/err"; then
		fail "$T: $name" "no \"$want\"" "$work/err"
	elif [ "$before" != "$after" ]; then
		fail "$T: $name" "the image changed"
	else
		pass "$T: $name"
	fi
}

img=$work/fs.img
truncate -s 300M "$img"
"$STOCK_MKFS" -q -f "$img" >/dev/null 2>&1 || { fail "$T" "stock mkfs failed"; test_done; }

# Attached, not mounted: nobody uses it.
loop=$(loop_attach "$img") || { fail "$T" "losetup failed"; test_done; }
if "$OUR_MKFS" -q -f "$img" > "$work/out" 2>&1; then
	pass "$T: attached but unused image accepted"
else
	fail "$T: attached but unused image accepted" "mkfs refused" "$work/out"
fi

mnt=$work/mnt
if fs_mount "$loop" "$mnt"; then
	sync -f "$mnt"
	name=$(basename "$(losetup -j "$img" -O NAME -n | head -n 1)")
	refused "mkfs: image mounted through a loop device" \
		"'$img' is mounted on '$mnt' through /dev/$name" "$OUR_MKFS" -f "$img"
	refused "mkfs: the loop device" "'$loop' is mounted on '$mnt'" \
		"$OUR_MKFS" -f "$loop"
	refused "check: image mounted through a loop device" \
		"$img is currently mounted" "$OUR_BTRFS" check "$img"
	refused "property --image: image mounted through a loop device" \
		"'$img' is mounted" "$OUR_BTRFS" property set --image "$img" / label x
	fs_umount "$mnt"
else
	fail "$T: mount" "cannot mount the stock image"
fi

# Held exclusively (as a mount or a RAID layer would) but not mounted.
holder=$work/holder.fifo
mkfifo "$holder"
python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)
print("held", flush=True)
sys.stdin.read()
' "$loop" < "$holder" > "$work/held" &
hold_pid=$!
exec 7> "$holder"
for _ in $(seq 50); do [ -s "$work/held" ] && break; sleep 0.1; done
if [ -s "$work/held" ]; then
	refused "mkfs: image whose loop device is held" \
		"'$img' is in use through /dev/$(basename "$loop")" "$OUR_MKFS" -f "$img"
	if "$OUR_BTRFS" check "$img" > "$work/out" 2>&1; then
		pass "$T: check reads an image whose loop device is held"
	else
		fail "$T: check reads an image whose loop device is held" "refused" "$work/out"
	fi
else
	skip "$T: held loop device" "python3 could not open $loop O_EXCL"
fi
exec 7>&-
wait "$hold_pid" 2>/dev/null
loop_detach "$loop"

# A whole disk with a mounted partition: an MBR with one Linux partition
# from sector 2048, 700000 sectors long.
disk=$work/disk.img
truncate -s 400M "$disk"
printf '\x00\x00\x00\x00\x83\x00\x00\x00\x00\x08\x00\x00\x60\xae\x0a\x00' |
	dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
if dloop=$(loop_attach "$disk" -P); then
	# Without udev the kernel may need asking for the partitions.
	[ -b "${dloop}p1" ] || partx -a "$dloop" >/dev/null 2>&1
fi
if [ -n "${dloop:-}" ] && [ -b "${dloop}p1" ] &&
	"$STOCK_MKFS" -q -f "${dloop}p1" >/dev/null 2>&1 &&
	fs_mount "${dloop}p1" "$work/pmnt"; then
	img=$disk
	SUM_BYTES=$((2048 * 512)) refused "mkfs: disk with a mounted partition" \
		"'$dloop' is mounted on '$work/pmnt'" "$OUR_MKFS" -f "$dloop"
	fs_umount "$work/pmnt"
else
	skip "$T: partition" "cannot attach with partitions or mount"
fi
[ -n "${dloop:-}" ] && loop_detach "$dloop"

# An active swap area.
swap=$work/swap.img
truncate -s 64M "$swap"
if command -v mkswap >/dev/null && sloop=$(loop_attach "$swap") &&
	mkswap "$sloop" >/dev/null 2>&1 && swapon "$sloop" 2>/dev/null; then
	img=$swap
	# The kernel may swap pages out into it, but never over its header.
	SUM_BYTES=4096 refused "mkfs: active swap" "'$sloop' is a swap device" "$OUR_MKFS" -f "$sloop"
	swapoff "$sloop"
else
	skip "$T: swap" "cannot swapon a loop device here"
fi
[ -n "${sloop:-}" ] && loop_detach "$sloop"
rm -rf "$work"
test_done
