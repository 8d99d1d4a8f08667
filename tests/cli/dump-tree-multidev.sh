#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# dump-tree of filesystems on several devices, given all of them, some of
# them, in another order, with and without --noscan, and as loop devices
# that only a device scan finds.  Stock btrfs-progs 6.2 still exits 0 when
# devices are missing and prints "warning, device N is missing" on stdout;
# whatever it does, our tool must do the same, except that RAID5/6 stripes
# of a missing device are rebuilt from parity (stock gives up there).

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init dump-tree-multidev

MULTI_IMAGES="raid0 raid1 raid10 raid56 raid1c4 kernel-raid"

# check_subsets NAME: the image's devices in other combinations.
check_subsets() {
	local name=$1 n i
	local -a d=("${IMAGE_DEVS[@]}") rev=()
	n=${#d[@]}
	for ((i = n - 1; i >= 0; i--)); do
		rev+=("${d[$i]}")
	done
	compare_output "dump-tree: $name devices reversed" \
		inspect-internal dump-tree "${rev[@]}"
	compare_output "dump-tree --noscan: $name all devices" \
		inspect-internal dump-tree --noscan "${d[@]}"
	compare_output "dump-tree --noscan: $name first device only" \
		inspect-internal dump-tree --noscan "${d[0]}"
	compare_output "dump-tree: $name first device only" \
		inspect-internal dump-tree "${d[0]}"
	compare_output "dump-tree --noscan: $name last device only" \
		inspect-internal dump-tree --noscan "${d[n - 1]}"
	if [ "$name" = raid56 ]; then
		degraded_raid56 "${d[@]}"
	else
		compare_output "dump-tree --noscan: $name without device 1" \
			inspect-internal dump-tree --noscan "${d[0]}" "${d[@]:2}"
	fi
	compare_output "dump-tree -t chunk --noscan: $name two devices" \
		inspect-internal dump-tree -t chunk --noscan "${d[0]}" "${d[1]}"
	compare_output "dump-tree -d: $name first device twice" \
		inspect-internal dump-tree -d "${d[0]}" "${d[0]}"
}

# degraded_raid56 DEV...: without device 1, RAID5/6 stripes that lived there
# are rebuilt from parity, as the kernel's degraded mount reads them; stock
# 6.2 prints the warning and gives up.  So the whole filesystem must come
# out as stock prints it from every device, after the same warning.
degraded_raid56() {
	local name="dump-tree --noscan: raid56 without device 1 (rebuilt from parity)"
	local out=$TEST_WORKDIR/degraded-raid56
	"$STOCK_BTRFS" inspect-internal dump-tree --noscan "$@" > "$out.stock" 2>/dev/null
	run_tool "$out" "$OUR_BTRFS" inspect-internal dump-tree --noscan "$1" "${@:3}"
	if [ $? != 0 ]; then
		fail "$name" "exit status not 0" "$out.err"
	elif ! grep -q '^warning, device 2 is missing' "$out.out"; then
		fail "$name" "no missing device warning" "$out.out"
	elif ! cmp -s "$out.stock" <(grep -v '^warning, device 2 is missing' "$out.out"); then
		fail "$name" "differs from stock's dump of every device" "$out.out"
	else
		pass "$name"
	fi
}

# check_scan NAME: the devices as read-only loop devices; given only the
# first, both tools must find the others by scanning.
check_scan() {
	local name=$1 f l
	local -a loops=()
	for f in "${IMAGE_DEVS[@]}"; do
		l=$(loop_attach "$f" -r) || break
		loops+=("$l")
	done
	if [ "${#loops[@]}" -eq "${#IMAGE_DEVS[@]}" ]; then
		compare_output "dump-tree: $name first loop device, scanning" \
			inspect-internal dump-tree "${loops[0]}"
		compare_output "dump-tree --noscan: $name first loop device" \
			inspect-internal dump-tree --noscan "${loops[0]}"
		compare_output "dump-tree -e: $name all loop devices" \
			inspect-internal dump-tree -e "${loops[@]}"
	else
		fail "dump-tree: $name loop devices" "losetup failed"
	fi
	for l in "${loops[@]}"; do
		loop_detach "$l"
	done
}

if why=$(why_no_kernel); then
	scan_why=$why
else
	scan_why=
fi
for image in $MULTI_IMAGES; do
	if ! image_get "$image"; then
		skip "dump-tree multi-device: $image" "$IMAGE_WHY"
		continue
	fi
	check_subsets "$image"
	if [ -n "$scan_why" ]; then
		skip "dump-tree device scan: $image" "$scan_why"
	else
		check_scan "$image"
	fi
done
test_done
