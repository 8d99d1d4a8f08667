#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Runs the test suite: every C unit test (tests/unit/test-*) and every shell
# test (tests/cli/*.sh).  Each result is one line "PASS name", "FAIL name" or
# "SKIP name: reason"; the last line is "N passed, N failed".  Exits 1 if
# anything failed.
#
#   tests/run-tests.sh [-v] [-j N] [FILTER...]
#
#   FILTER  run only the tests whose name (test-csum, dump-tree, ...)
#           contains one of these strings
#   -v      show the first lines of each failure's output (or TEST_VERBOSE=1)
#   -j N    run up to N shell tests at once (default 1, or TEST_JOBS)
#
# The output of failures is kept under tests/out/.  Images are made once per
# run in a scratch directory shared by all shell tests and removed at exit,
# with anything still mounted or attached.

set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=tests/common.sh
. "$top/tests/common.sh"

verbose=${TEST_VERBOSE:-0}
jobs=${TEST_JOBS:-1}
filters=()
passed=0
failed=0
skipped=0

usage() {
	sed -n '4,18s/^# \{0,1\}//p' "$0"
	exit "$1"
}

parse_args() {
	while [ $# -gt 0 ]; do
		case "$1" in
		-v) verbose=1 ;;
		-j) jobs=${2:-1}; shift ;;
		-j*) jobs=${1#-j} ;;
		-h|--help) usage 0 ;;
		-*) echo "unknown option '$1'" >&2; usage 1 >&2 ;;
		*) filters+=("$1") ;;
		esac
		shift
	done
	export TEST_VERBOSE=$verbose
}

# selected NAME: true when no filter is given or one matches.
selected() {
	local f
	[ "${#filters[@]}" -eq 0 ] && return 0
	for f in "${filters[@]}"; do
		case "$1" in *"$f"*) return 0 ;; esac
	done
	return 1
}

# count LINE: echoes a result line and counts it.
count() {
	case "$1" in
	PASS\ *) passed=$((passed + 1)) ;;
	FAIL\ *) failed=$((failed + 1)) ;;
	SKIP\ *) skipped=$((skipped + 1)) ;;
	esac
	echo "$1"
}

# show FILE: the first lines of a failure's output, when verbose.
show() {
	[ "$verbose" = 1 ] && [ -s "$1" ] && head -n 40 "$1" | sed 's/^/    /'
	return 0
}

# ------------------------------------------------------------ unit tests

# A unit test binary is one result; its TAP lines are kept in tests/out.
run_unit() {
	local name=$1 bin=$top/tests/unit/$1 log=$TEST_OUT_DIR/$1.log status
	local planned ran bad
	if [ ! -x "$bin" ]; then
		count "FAIL $name (not built: run make)"
		return
	fi
	# The braces keep bash's own "Segmentation fault" note off the terminal.
	{ (cd "$top" && timeout -k 10 "$TEST_TIMEOUT" "$bin") > "$log" 2>&1 < /dev/null; } 2>/dev/null
	status=$?
	planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | tail -n 1)
	ran=$(grep -cE '^(not )?ok [0-9]+' "$log")
	bad=$(grep -cE '^not ok [0-9]+' "$log")
	if why=$(crash_reason "$status" "$log"); then
		:
	elif [ "$bad" -gt 0 ]; then
		why="$bad of $ran checks failed"
	elif [ "$status" -ne 0 ]; then
		why="exit status $status"
	elif [ -z "$planned" ] || [ "$planned" -ne "$ran" ]; then
		why="ran $ran checks, plan says ${planned:-nothing}"
	else
		count "PASS $name"
		rm -f "$log"
		return
	fi
	count "FAIL $name ($why)"
	if [ "$verbose" = 1 ]; then
		grep -E '^not ok' "$log" > "$log.fails"
		[ -s "$log.fails" ] || cp "$log" "$log.fails"
		show "$log.fails"
		rm -f "$log.fails"
	fi
}

run_units() {
	local src name
	for src in "$top"/tests/unit/test-*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		selected "$name" && run_unit "$name"
	done
}

# ------------------------------------------------------------ shell tests

# run_script NAME: runs tests/cli/NAME.sh, prints its result lines (the rest
# only when verbose) and a FAIL if it died without reporting one.
run_script() {
	local name=$1 script=$top/tests/cli/$1.sh err=$TEST_OUT_DIR/$1.stderr
	local line status=none nres=0 nfail=0 t0=$SECONDS
	while IFS= read -r line; do
		case "$line" in
		"__status "*) status=${line#__status } ;;
		PASS\ *|SKIP\ *) nres=$((nres + 1)); echo "$line" ;;
		FAIL\ *) nres=$((nres + 1)); nfail=$((nfail + 1)); echo "$line" ;;
		*) [ "$verbose" = 1 ] && echo "$line" ;;
		esac
	done < <(cd "$top" && bash "$script" 2> "$err" < /dev/null; echo "__status $?")
	if why=$(crash_reason "${status/none/1}" "$err"); then
		echo "FAIL $name (script: $why)"
	elif [ "$status" != 0 ] && [ "$nfail" -eq 0 ]; then
		echo "FAIL $name (script exited with status $status)"
	elif [ "$nres" -eq 0 ]; then
		echo "FAIL $name (script reported nothing)"
	else
		[ -s "$err" ] || rm -f "$err"
		[ "$verbose" = 1 ] && echo "# $name: $((SECONDS - t0))s"
		return 0
	fi
	show "$err"
}

# Runs the selected scripts, $jobs at a time; output of each script comes
# out whole, in order.
run_scripts() {
	local script name n line
	local -a names=() pids=()
	for script in "$top"/tests/cli/*.sh; do
		[ -e "$script" ] || continue
		name=$(basename "$script" .sh)
		selected "$name" && names+=("$name")
	done
	if [ "$jobs" -le 1 ]; then
		for name in "${names[@]}"; do
			while IFS= read -r line; do
				count "$line"
			done < <(run_script "$name")
		done
		return
	fi
	for name in "${names[@]}"; do
		run_script "$name" > "$TEST_WORKDIR/script.$name" &
		pids+=($!)
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
	done
	for n in "${!names[@]}"; do
		wait "${pids[$n]}"
		while IFS= read -r line; do
			count "$line"
		done < "$TEST_WORKDIR/script.${names[$n]}"
	done
}

main() {
	local t0=$SECONDS
	parse_args "$@"
	rm -rf "$TEST_OUT_DIR"
	mkdir -p "$TEST_OUT_DIR"
	work_init
	run_units
	run_scripts
	if [ "$verbose" = 1 ]; then
		echo "# $((SECONDS - t0))s in all"
		cat "$TEST_WORKDIR"/images/*.time 2>/dev/null | awk '
			{ n++; s += $2 } END { if (n) printf "# %d images made in %ds\n", n, s }'
	fi
	[ "$failed" -gt 0 ] && echo "failures are kept in ${TEST_OUT_DIR#"$top"/}/"
	echo "$skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

main "$@"
