#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every problem id of check/problems.h has a test case that expects it, so
# the checker's table cannot grow a problem nobody has ever seen reported.
#   - an id is covered by a mode of tests/tools/btrfs-corrupt whose expected
#     id it is alone or with others that must all be reported ("a+b"; an
#     "a|b" alternative covers neither), in a set of
#     modes that some tests/cli script runs ("$CORRUPT" --list [SET])
#   - or by a script named in SCRIPT_CASES below that expects it itself
#     (its name must appear in that script)
#   - or it is in ALLOWED below, with the reason no damage to an image can
#     produce it; an allowed id that is covered after all, or that the table
#     no longer has, is an error too, so the list stays true
#   - every set of modes btrfs-corrupt has is run by some script
# Prints the uncovered ids; "tests/cli/check-coverage.sh --list" prints
# every id with what covers it, without testing.

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
PROBLEMS=${PROBLEMS:-$TEST_TOP/check/problems.h}

# Ids expected by a test script directly, not through a btrfs-corrupt mode:
# "SCRIPT ID".
SCRIPT_CASES="
check-clean.sh fst-no-block-group
check-corrupt.sh dax-data-chunk-super
check-scenarios.sh dax-extent-profile
check-spill.sh check-aborted
"

# Ids no damage to an image can produce: "ID REASON", one a line (none
# now: check-aborted, out of memory or a failing spill file, is not in the
# image either, but check-spill.sh makes the spill file fail).
ALLOWED="
"

# The problem ids of the table, in order.
table_ids() {
	sed -n 's/^[[:space:]]*X(PR_[A-Z0-9_]*, "\([a-z0-9-]*\)".*/\1/p' "$PROBLEMS"
}

# The sets of modes the scripts run: "-" for the default set.  A script
# that names its sets through a variable says which in a comment line
# "# btrfs-corrupt sets: SET...".
run_sets() {
	{
		grep -ho '"\$CORRUPT" --list[^)<]*' "$TEST_TOP"/tests/cli/*.sh |
			awk '{ gsub(/"/, ""); print (NF > 2 ? $3 : "-") }'
		sed -n 's/^[[:space:]]*# btrfs-corrupt sets: //p' "$TEST_TOP"/tests/cli/*.sh |
			tr ' ' '\n'
	} | grep -v '^\$' | grep . | sort -u
}

# "ID HOW" for every id some mode of a run set expects alone.
mode_cases() {
	local set
	for set in $(run_sets); do
		if [ "$set" = - ]; then
			"$CORRUPT" --list
		else
			"$CORRUPT" --list "$set"
		fi | awk -v s="$set" '$2 !~ /\|/ && $2 != "-" {
			n = split($2, ids, "+")
			for (i = 1; i <= n; i++)
				print ids[i], "btrfs-corrupt mode " $1 " (set " s ")" }'
	done
}

script_cases() {
	local script id
	while read -r script id; do
		[ -n "$script" ] || continue
		grep -qw -- "$id" "$TEST_TOP/tests/cli/$script" &&
			echo "$id $script"
	done <<< "$SCRIPT_CASES"
}

allowed_ids() {
	awk 'NF { print $1 }' <<< "$ALLOWED"
}

cov_main() {
	local cases ids id uncovered="" stale="" n=0 nmodes nscript nallowed set how
	test_init check-coverage
	if [ ! -x "$CORRUPT" ]; then
		fail "check coverage" "$CORRUPT not built"
		test_done
	fi
	ids=$(table_ids)
	cases=$( { mode_cases; script_cases; } | sort -u)
	if [ "${1:-}" = --list ]; then
		for id in $ids; do
			echo "$id: $( { awk -v i="$id" '$1 == i { $1 = ""; print }' <<< "$cases"
				awk -v i="$id" '$1 == i { $1 = ""; print "allowed:" $0 }' <<< "$ALLOWED"
				} | sed 's/^ //' | paste -sd';' -)"
		done
		exit 0
	fi
	for id in $ids; do
		n=$((n + 1))
		if awk -v i="$id" '$1 == i { f = 1 } END { exit !f }' <<< "$cases"; then
			allowed_ids | grep -qx -- "$id" && stale="$stale $id(covered)"
		elif ! allowed_ids | grep -qx -- "$id"; then
			uncovered="$uncovered $id"
		fi
	done
	for id in $(allowed_ids); do
		grep -qx -- "$id" <<< "$ids" || stale="$stale $id(not in the table)"
	done
	nmodes=$(mode_cases | awk '{ print $1 }' | sort -u | grep -c .)
	nscript=$(script_cases | grep -c .)
	nallowed=$(allowed_ids | grep -c .)
	if [ "$n" -lt 50 ]; then
		fail "check coverage: table" "only $n ids read from $PROBLEMS"
	elif [ -n "$uncovered" ]; then
		fail "check coverage: every id has a case" "no case expects:$uncovered"
	else
		how="$nmodes by btrfs-corrupt modes, $nscript by scripts"
		pass "check coverage: every id has a case ($n ids: $how, $nallowed allowed)"
	fi
	if [ -n "$stale" ]; then
		fail "check coverage: allow-list" "stale entries:$stale"
	else
		pass "check coverage: allow-list"
	fi
	# Every set of modes is run by some script.
	for set in $("$CORRUPT" --sets); do
		if ! run_sets | grep -qx -- "$set"; then
			fail "check coverage: set $set" "no test script runs it"
		fi
	done
	test_done
}

cov_main "$@"
