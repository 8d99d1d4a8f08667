#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs scrub start -r on every image of the catalogue in tests/common.sh
# (every profile incl. RAID0/1/10/5/6/1C4 on four devices, mixed block
# groups, every checksum type, node sizes, kernel-written images): clean
# images give exit 0, no error, and tree and data bytes equal to what stock
# dump-tree's extent and chunk trees say must be read; never a crash.

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

T=scrub-images

stock_figures() {
	{
		"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@"
		echo "=== extent"
		"$STOCK_BTRFS" inspect-internal dump-tree -t extent "$@"
		echo "=== super"
		"$STOCK_BTRFS" inspect-internal dump-super "$1"
	} 2>/dev/null | awk -f "$TEST_TOP/tests/scrub-figures.awk"
}

raw() {
	awk -v k="$2:" '$1 == k { print $2; exit }' "$1"
}

scrub_image() {
	local name=$1 out why tree data dext got errs c
	if ! image_get "$name"; then
		skip "$T: $name" "$IMAGE_WHY"
		return
	fi
	out=$work/$name
	run_tool "$out" "$OUR_BTRFS" scrub start -r -R "${IMAGE_DEVS[@]}"
	c=$?
	if why=$(crash_reason "$c" "$out.err"); then
		fail "$T: $name" "$why" "$out.err"
		return
	fi
	read -r tree data dext <<< "$(stock_figures "${IMAGE_DEVS[@]}")"
	errs=0
	for k in read_errors csum_errors verify_errors super_errors \
		 uncorrectable_errors; do
		errs=$((errs + $(raw "$out.out" "$k")))
	done
	got="$c $errs $(raw "$out.out" tree_bytes_scrubbed) $(raw "$out.out" data_bytes_scrubbed) $(raw "$out.out" data_extents_scrubbed)"
	if [ "$got" = "0 0 $tree $data $dext" ]; then
		pass "$T: $name"
	else
		fail "$T: $name" "exit, errors, tree, data bytes, data extents: got '$got', want '0 0 $tree $data $dext'" "$out.out"
	fi
}

# check WHAT GOT WANT [FILE]
check() {
	if [ "$2" = "$3" ]; then
		pass "$T: $1"
	else
		fail "$T: $1" "got '$2', want '$3'" "${4:-}"
	fi
}

# -d: one block per device, the devices' counters add up to the total.
test_per_device() {
	local out=$work/per-dev want got
	if ! image_get raid10; then
		skip "$T: -d" "$IMAGE_WHY"
		return
	fi
	run_tool "$out" "$OUR_BTRFS" scrub start -r -R -d "${IMAGE_DEVS[@]}"
	got=$(grep -c '^Scrub device .* (id [0-9]*) done$' "$out.out")
	check "-d: four devices" "$got" 4 "$out.out"
	got=$(awk '$1 == "tree_bytes_scrubbed:" { s += $2 } END { print s }' "$out.out")
	want=$(stock_figures "${IMAGE_DEVS[@]}" | awk '{ print $1 }')
	check "-d: device tree bytes add up to stock's" "$got" "$want" "$out.out"
	run_tool "$out-q" "$OUR_BTRFS" scrub start -r -q "${IMAGE_DEVS[@]}"
	got="$? $(wc -c < "$out-q.out")"
	check "-q: silent, exit 0" "$got" "0 0" "$out-q.out"
}

# fuzz_image NAME: tree blocks fuzzed with their checksums fixed
# (tests/tools/btrfs-corrupt fuzz, fixed seeds): scrub -r never crashes,
# exits 0, 1 or 3 (-r never writing is checked in scrub.sh).
fuzz_image() {
	local name=$1 copy=$work/fuzz.img p=$work/fuzz seed bad='' runs=0 c why
	if ! image_get "$name"; then
		skip "$T: fuzz $name" "$IMAGE_WHY"
		return
	fi
	for ((seed = 1; seed <= ${SCRUB_FUZZ_RUNS:-20}; seed++)); do
		cp --sparse=always "${IMAGE_DEVS[0]}" "$copy"
		BTRFS_CORRUPT_SEED=$seed "$TEST_TOP/tests/tools/btrfs-corrupt" \
			"$copy" fuzz > /dev/null 2>&1 || continue
		runs=$((runs + 1))
		run_tool "$p" "$OUR_BTRFS" scrub start -r --json "$copy"
		c=$?
		if why=$(crash_reason "$c" "$p.err"); then
			bad="seed $seed: $why"
		elif [ "$c" != 0 ] && [ "$c" != 1 ] && [ "$c" != 3 ]; then
			bad="seed $seed: exit status $c"
		fi
		[ -n "$bad" ] && break
	done
	rm -f "$copy"
	if [ -n "$bad" ]; then
		fail "$T: fuzz $name" "$bad" "$p.err"
	else
		pass "$T: fuzz $name ($runs damaged images)"
	fi
}

test_init "$T"
work=$TEST_WORKDIR/scrub-images
mkdir -p "$work"
export BTRFS_DAX_SCRUB_STATUS_DIR=$work
for img in $IMAGES_MKFS $IMAGES_KERNEL; do
	scrub_image "$img"
done
test_per_device
for img in default dup nodesize-4k; do
	fuzz_image "$img"
done
test_done
