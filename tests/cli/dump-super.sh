#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs inspect-internal dump-super: our output and exit status must be
# those of stock btrfs-progs 6.2, on images of every mkfs variant (checksum
# types, labels, metadata_uuid, profiles, features, node sizes) and on
# images the kernel wrote into.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init dump-super

SUPER_SETS=("" -f -a "-s 0" "-s 1" "-s 2" "-f -a" "-f -s 1")

# check_super NAME: every option set on the first device, the plain and
# full dump on the others, and all devices in one call.
check_super() {
	local name=$1 opts i
	if ! image_get "$name"; then
		skip "dump-super: $name" "$IMAGE_WHY"
		return
	fi
	for opts in "${SUPER_SETS[@]}"; do
		# shellcheck disable=SC2086  # an option set is a word list
		compare_output "dump-super${opts:+ $opts}: $name" \
			inspect-internal dump-super $opts "${IMAGE_DEVS[0]}"
	done
	[ "${#IMAGE_DEVS[@]}" -gt 1 ] || return
	for ((i = 1; i < ${#IMAGE_DEVS[@]}; i++)); do
		compare_output "dump-super: $name device $i" \
			inspect-internal dump-super "${IMAGE_DEVS[$i]}"
		compare_output "dump-super -f: $name device $i" \
			inspect-internal dump-super -f "${IMAGE_DEVS[$i]}"
	done
	compare_output "dump-super -f: $name all devices" \
		inspect-internal dump-super -f "${IMAGE_DEVS[@]}"
}

for image in $IMAGES_MKFS $IMAGES_KERNEL; do
	check_super "$image"
done
test_done
