#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check with a tiny memory budget: the reference records spill to a
# temporary file in sorted runs that are merged back, and the result must
# not change.  On a kernel-written image and on copies damaged in the
# extent references (tests/tools/btrfs-corrupt):
#   - text output, --json output and exit status are the same with
#     --mem-budget 4K (or BTRFS_CHECK_MEM_BUDGET) as with the default
#   - with the budget, runs were written (BTRFS_CHECK_STATS); without, none
#   - the temporary file is unlinked: $TMPDIR is empty afterwards
#   - a $TMPDIR that cannot be written is one clear error, exit status 1

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}

# check_text PREFIX [ENV=VALUE...] -- ARG...: our check, text and --json;
# PREFIX.out / .err / .json, statuses in PREFIX.st.
check_text() {
	local p=$1 st1 st2
	local -a envs=()
	shift
	while [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	env "${envs[@]}" BTRFS_CHECK_STATS=1 TMPDIR="$p.tmp" timeout -k 10 \
		"$TEST_TIMEOUT" "$OUR_BTRFS" check "$@" > "$p.out" 2> "$p.err" < /dev/null
	st1=$?
	env "${envs[@]}" TMPDIR="$p.tmp" timeout -k 10 "$TEST_TIMEOUT" \
		"$OUR_BTRFS" check --json "$@" > "$p.json" 2> /dev/null < /dev/null
	st2=$?
	echo "$st1 $st2" > "$p.st"
}

# spilled PREFIX: the number of runs the stats line reports.
spilled() {
	sed -n 's/^check stats: \([0-9]*\) sorted runs spilled.*/\1/p' "$1.err"
}

# spill_same NAME IMAGE HOW: default against a 4 KiB budget given by HOW
# (option, env; damaged: env, and a problem must be reported).
spill_same() {
	local name=$1 img=$2 how=$3 a=$TEST_WORKDIR/spill-$$-a b=$TEST_WORKDIR/spill-$$-b
	local -a env_b=() opt_b=()
	mkdir -p "$a.tmp" "$b.tmp"
	if [ "$how" != option ]; then
		env_b=(BTRFS_CHECK_MEM_BUDGET=4K)
	else
		opt_b=(--mem-budget 4K)
	fi
	check_text "$a" -- "$img"
	check_text "$b" "${env_b[@]}" -- "${opt_b[@]}" "$img"
	if why=$(crash_reason "$(cut -d' ' -f1 "$b.st")" "$b.err"); then
		fail "$name" "$why" "$b.err"
	elif [ "$(spilled "$a")" != 0 ]; then
		fail "$name" "the default budget spilled on a small image" "$a.err"
	elif ! [ "$(spilled "$b")" -gt 1 ] 2>/dev/null; then
		fail "$name" "no runs spilled with a 4K budget" "$b.err"
	elif ! cmp -s "$a.st" "$b.st"; then
		fail "$name" "exit status $(cat "$b.st"), without a budget $(cat "$a.st")"
	elif ! cmp -s "$a.out" "$b.out"; then
		diff "$a.out" "$b.out" > "$b.diff"
		fail "$name" "stdout differs" "$b.diff"
	elif ! diff <(grep -v '^check stats' "$a.err") \
		    <(grep -v '^check stats' "$b.err") > "$b.diff"; then
		fail "$name" "stderr differs" "$b.diff"
	elif ! cmp -s "$a.json" "$b.json"; then
		diff "$a.json" "$b.json" > "$b.diff"
		fail "$name" "--json output differs" "$b.diff"
	elif [ "$how" = damaged ] &&
	     ! json_ids "$b.json" | grep -qvx fst-no-block-group; then
		fail "$name" "the damage was not reported" "$b.json"
	elif [ -n "$(ls -A "$b.tmp")" ]; then
		fail "$name" "files left in TMPDIR: $(ls -A "$b.tmp" | head -n 3)"
	else
		pass "$name ($(spilled "$b") runs, exit $(cut -d' ' -f1 "$b.st"):$(json_ids "$b.json" | sort -u | tr '\n' ' '))"
	fi
	rm -rf "$a".* "$b".*
}

# A TMPDIR that does not exist: the check stops with one clear error.
spill_no_tmpdir() {
	local name="check spill: TMPDIR missing" img=$1 p=$TEST_WORKDIR/spill-$$-t
	TMPDIR=$TEST_WORKDIR/no/such/dir timeout -k 10 "$TEST_TIMEOUT" \
		"$OUR_BTRFS" check --mem-budget 4K "$img" > "$p.out" 2> "$p.err" < /dev/null
	CHECK_STATUS=$?
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif [ "$CHECK_STATUS" != 1 ]; then
		fail "$name" "exit status $CHECK_STATUS, want 1" "$p.err"
	elif ! grep -q 'cannot use a temporary file.*\[check-aborted\]' "$p.err"; then
		fail "$name" "no error about the temporary file" "$p.err"
	else
		pass "$name"
	fi
	rm -f "$p".*
}

spill_bad_option() {
	local name="check spill: bad --mem-budget" img=$1 p=$TEST_WORKDIR/spill-$$-o v
	for v in 0 -1 12Q abc; do
		"$OUR_BTRFS" check --mem-budget "$v" "$img" > "$p.out" 2> "$p.err" < /dev/null
		CHECK_STATUS=$?
		if [ "$CHECK_STATUS" != 1 ] || ! grep -q 'invalid memory budget' "$p.err"; then
			fail "$name" "--mem-budget $v: exit $CHECK_STATUS" "$p.err"
			rm -f "$p".*
			return
		fi
	done
	pass "$name"
	rm -f "$p".*
}

spill_main() {
	local img copy mode
	test_init check-spill
	check_ready
	if ! image_get kernel; then
		skip "check spill" "$IMAGE_WHY"
		test_done
	fi
	img=${IMAGE_DEVS[0]}
	spill_same "check spill: kernel image, --mem-budget" "$img" option
	spill_same "check spill: kernel image, BTRFS_CHECK_MEM_BUDGET" "$img" env
	spill_no_tmpdir "$img"
	spill_bad_option "$img"
	if [ ! -x "$CORRUPT" ]; then
		fail "check spill: damaged" "$CORRUPT not built"
		test_done
	fi
	copy=$TEST_WORKDIR/spill-$$.img
	for mode in extent-refs extent-data-ref file-extent-hole; do
		cp --sparse=always "$img" "$copy" || { fail "check spill: $mode" "cannot copy"; continue; }
		if ! "$CORRUPT" "$copy" "$mode" > /dev/null 2>&1; then
			fail "check spill: $mode" "btrfs-corrupt $mode failed"
			continue
		fi
		spill_same "check spill: damaged by $mode" "$copy" damaged
	done
	rm -f "$copy"
	test_done
}

spill_main
