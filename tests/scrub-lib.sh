# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# Helpers of the scrub tests (tests/cli/scrub*.sh), sourced after
# tests/common.sh.  They name their cases "$T: ..." and keep outputs under
# $work; IMGS holds image files every scrub gets after its arguments (the
# devices of a multi-device image), empty by default.

IMGS=()

# expect NAME WHAT GOT WANT [FILE]: GOT equals WANT.
expect() {
	if [ "$3" = "$4" ]; then
		pass "$T: $1: $2"
	else
		fail "$T: $1: $2" "got '$3', want '$4'" "${5:-}"
	fi
}

# scrub NAME ARG...: our scrub into $work/NAME.out/.err; status in STATUS.
# shellcheck disable=SC2154  # $work is set by the sourcing script
scrub() {
	local name=$1 why
	shift
	run_tool "$work/$name" "$OUR_BTRFS" scrub "$@" "${IMGS[@]}"
	STATUS=$?
	if why=$(crash_reason "$STATUS" "$work/$name.err"); then
		fail "$T: $name" "$why" "$work/$name.err"
		return 1
	fi
}

# raw NAME COUNTER: a counter of a -R run.
raw() {
	awk -v k="$2:" '$1 == k { print $2; exit }' "$work/$1.out"
}

# has NAME WHAT REGEX: the output of run NAME has a line matching REGEX.
has() {
	if grep -qE -- "$3" "$work/$1.out"; then
		pass "$T: $1: $2"
	else
		fail "$T: $1: $2" "no line matching '$3'" "$work/$1.out"
	fi
}
