#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on damaged images: one damage per problem id, made by
# tests/tools/btrfs-corrupt on a copy of a healthy image.  For each mode:
# the image is clean before (only the stale free space entries of stock
# mkfs), the damage is reported with its problem id in --json output, the
# exit status is 1, and nothing crashes.  Whether stock btrfs check notices
# the same damage is printed as an informational line.

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}

# corrupt_one IMAGE MODE EXPECT [IMAGE-NAME]: damage a copy, expect EXPECT.
corrupt_one() {
	local img=$1 mode=$2 expect=$3 name="check corrupt: $2${4:+ on $4}"
	local copy=$TEST_WORKDIR/corrupt-$$.img p=$TEST_WORKDIR/corrupt-$$
	local -a opts=()
	local new

	[ "$mode" = data-garbage ] && opts=(--check-data-csum)
	cp --sparse=always "$img" "$copy" || { fail "$name" "cannot copy"; return; }
	if ! "$CORRUPT" "$copy" "$mode" > "$p.inject" 2>&1; then
		fail "$name" "btrfs-corrupt failed: $(tail -n 1 "$p.inject")"
		rm -f "$copy"
		return
	fi
	run_check "$p" "${opts[@]}" "$copy"
	new=$(json_ids "$p.json" | grep -vx fst-no-block-group | sort -u |
		tr '\n' ' ' | sed 's/ $//')
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif [ -z "$expect" ] && [ -n "$new" ]; then
		fail "$name" "a valid change reported as: $new" "$p.json"
	elif [ -n "$expect" ] && ! json_ids "$p.json" | grep -qxE "$expect"; then
		fail "$name" "$expect not reported (got: ${new:-nothing})" "$p.json"
	elif [ -n "$expect" ] && [ "$CHECK_STATUS" != 1 ]; then
		fail "$name" "exit status $CHECK_STATUS" "$p.err"
	elif ! json_valid "$p.json"; then
		fail "$name" "--json output is not valid JSON" "$p.json"
	else
		pass "$name (${new:-clean})"
	fi
	stock_verdict "$name" "${opts[@]}" "$copy"
	rm -f "$copy"
}

corrupt_main() {
	local img mode expect
	test_init check-corrupt
	check_ready
	if [ ! -x "$CORRUPT" ]; then
		fail "check corrupt" "$CORRUPT not built"
		test_done
	fi
	if ! image_get kernel; then
		skip "check corrupt" "$IMAGE_WHY"
		test_done
	fi
	img=${IMAGE_DEVS[0]}
	expect_only_stale "check corrupt: baseline" "$img"
	while read -r mode expect; do
		[ "$mode" = fuzz ] && continue
		[ "$expect" = - ] && expect=
		corrupt_one "$img" "$mode" "$expect"
	done < <("$CORRUPT" --list)
	# A mixed block group (data too) over the superblock copy at 64 MiB.
	if image_get kernel-mixed; then
		corrupt_one "${IMAGE_DEVS[0]}" dax-layout dax-data-chunk-super kernel-mixed
	else
		skip "check corrupt: dax-layout on kernel-mixed" "$IMAGE_WHY"
	fi
	test_done
}

corrupt_main
