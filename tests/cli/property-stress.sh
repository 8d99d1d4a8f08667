#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Thousands of offline property sets in a row, each its own transaction,
# on the stock mkfs --rootdir image (2000 small files in many/):
#   - a round sets compression on 400 files and removes it again; a second
#     identical round must end with exactly the figures of the first:
#     superblock bytes_used, stock check's "bytes used", the block groups'
#     used bytes and the free space tree's free bytes (nothing leaks);
#   - 200 dax on/off cycles on a directory change none of those figures;
#   - stock check and ours (nothing beyond what it says of the untouched
#     image) pass after every phase.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init property-stress

dir=$TEST_WORKDIR/property-stress
mkdir -p "$dir"
img=$dir/stress.img
FILES=300
DAX_CYCLES=150

# figures: "bytes_used stock-found bg-used fst-free" of the image.
figures() {
	local bu found used free
	bu=$(stock_super_field "$img" bytes_used)
	found=$("$STOCK_BTRFS" check "$img" 2>/dev/null | awk '/bytes used, no error found/ { print $2 }')
	used=$("$STOCK_BTRFS" inspect-internal dump-tree -t extent "$img" 2>/dev/null |
		awk '$1 == "block" && $2 == "group" && $3 == "used" { s += $4 } END { print s + 0 }')
	free=$("$STOCK_BTRFS" inspect-internal dump-tree -t 10 "$img" 2>/dev/null |
		awk '/FREE_SPACE_EXTENT/ { sub(/\)/, "", $6); s += $6 }
		     /FREE_SPACE_BITMAP/ { b++ }
		     END { print (b ? "bitmaps" : s + 0) }')
	echo "$bu ${found:-check-failed} $used $free"
}

checks_pass() {
	"$OUR_BTRFS" check "$img" 2>&1 | grep '^ERROR' | sort > "$dir/our-errors"
	cmp -s "$dir/our-errors" "$dir/base-errors" &&
		"$STOCK_BTRFS" check "$img" > "$dir/last-check" 2>&1
}

# compression_round VALUE: sets it on the first FILES files of many/.
compression_round() {
	local i
	for ((i = 0; i < FILES; i++)); do
		"$OUR_BTRFS" property set --image "$img" \
			"/many/d$((i % 10))/file-$((i / 10))" compression "$1" \
			> "$dir/last" 2>&1 || return 1
	done
}

if ! image_get rootdir; then
	skip "property-stress" "$IMAGE_WHY"
	test_done
fi
cp "${IMAGE_DEVS[0]}" "$img"
"$OUR_BTRFS" check "$img" 2>&1 | grep '^ERROR' | sort > "$dir/base-errors"
t0=$SECONDS
f0=$(figures)
sets=0
for round in 1 2; do
	if ! compression_round zlib; then
		fail "property-stress: compression round $round" "a set failed" "$dir/last"
		test_done
	fi
	mid[round]=$(figures)
	if ! compression_round ""; then
		fail "property-stress: compression removal round $round" "a set failed" "$dir/last"
		test_done
	fi
	end[round]=$(figures)
	sets=$((sets + 2 * FILES))
	if ! checks_pass; then
		fail "property-stress: checks after round $round" "a check fails" "$dir/last-check"
		test_done
	fi
done
if [ "${mid[1]}" = "${mid[2]}" ] && [ "${end[1]}" = "${end[2]}" ] &&
   [[ "${end[2]}" != *check-failed* ]]; then
	pass "property-stress: $sets compression sets, the second round ends where the first did (bytes_used, stock used, bg used, fst free: ${end[2]}; untouched image: $f0)"
else
	fail "property-stress: space leak" "round 1 ${mid[1]} / ${end[1]}, round 2 ${mid[2]} / ${end[2]}"
fi
before=$(figures)
for ((i = 0; i < DAX_CYCLES; i++)); do
	if ! "$OUR_BTRFS" property set --image "$img" /empty-dir dax on > "$dir/last" 2>&1 ||
	   ! "$OUR_BTRFS" property set --image "$img" /empty-dir dax off > "$dir/last" 2>&1; then
		fail "property-stress: dax cycles" "a set failed" "$dir/last"
		test_done
	fi
done
sets=$((sets + 2 * DAX_CYCLES))
after=$(figures)
if [ "$before" = "$after" ] && checks_pass; then
	pass "property-stress: $((2 * DAX_CYCLES)) dax sets leave every figure as it was, checks pass ($sets sets in $((SECONDS - t0)) s)"
else
	fail "property-stress: dax cycles" "figures $before -> $after, or a check fails" "$dir/last-check"
fi
test_done
