#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check never crashes or hangs on damaged metadata: random bytes of
# random tree blocks flipped (checksums fixed, so the damage gets past
# them), with fixed seeds so that a failure can be reproduced:
#   BTRFS_CORRUPT_SEED=N tests/tools/btrfs-corrupt IMAGE fuzz
# CHECK_FUZZ_RUNS (default 40) seeds per image.

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
FUZZ_RUNS=${CHECK_FUZZ_RUNS:-40}

# fuzz_image NAME: every seed on a fresh copy; one result per image.
fuzz_image() {
	local name=$1 copy=$TEST_WORKDIR/fuzz-$$.img p=$TEST_WORKDIR/fuzz-$$
	local seed bad= found=0
	if ! image_get "$name"; then
		skip "check fuzz: $name" "$IMAGE_WHY"
		return
	fi
	for ((seed = 1; seed <= FUZZ_RUNS; seed++)); do
		cp --sparse=always "${IMAGE_DEVS[0]}" "$copy"
		BTRFS_CORRUPT_SEED=$seed "$CORRUPT" "$copy" fuzz > /dev/null 2>&1 ||
			continue
		run_check "$p" "$copy"
		if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
			bad="seed $seed: $why"
			cp "$p.err" "$p.bad"
			break
		fi
		json_ids "$p.json" | grep -qvx fst-no-block-group &&
			found=$((found + 1))
	done
	rm -f "$copy"
	if [ -n "$bad" ]; then
		fail "check fuzz: $name" "$bad" "$p.bad"
	else
		pass "check fuzz: $name ($FUZZ_RUNS seeds, damage found in $found)"
	fi
}

fuzz_main() {
	local name
	test_init check-fuzz
	check_ready
	if [ ! -x "$CORRUPT" ]; then
		fail "check fuzz" "$CORRUPT not built"
		test_done
	fi
	for name in kernel kernel-4k default; do
		fuzz_image "$name"
	done
	test_done
}

fuzz_main
