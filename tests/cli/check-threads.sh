#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check with read-ahead threads: the result must not depend on them.
# On kernel-written images (16 KiB and 4 KiB nodes, four devices with
# mirrored metadata, an unreplayed log tree) and on copies damaged by
# tests/tools/btrfs-corrupt (a bad leaf, a bad first copy of a leaf that
# the second copy stands in for, a wrong owner, wrong references):
#   - text output, --json output and exit status are the same with
#     BTRFS_CHECK_THREADS=2 and 4 as with 1 (no thread is started)
#   - with 1 no block is read ahead; with 4 on the largest image, workers
#     read blocks ahead and the walker used them (the BTRFS_CHECK_STATS
#     line; on small images the walker may well outrun the workers)
#   - a bad leaf is reported, a bad first copy alone is not
#   - pinned to one CPU by taskset, the default is two threads (a worker
#     overlaps the disk reads with the walker's work)
#   - a bad BTRFS_CHECK_THREADS is one clear error, exit status 1

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}

# run_threads PREFIX N DEV...: our check with N threads, text and --json;
# PREFIX.out / .err / .json, both statuses in PREFIX.st.
run_threads() {
	local p=$1 n=$2 st1 st2
	shift 2
	BTRFS_CHECK_THREADS=$n BTRFS_CHECK_STATS=1 timeout -k 10 "$TEST_TIMEOUT" \
		"$OUR_BTRFS" check "$@" > "$p.out" 2> "$p.err" < /dev/null
	st1=$?
	BTRFS_CHECK_THREADS=$n timeout -k 10 "$TEST_TIMEOUT" \
		"$OUR_BTRFS" check --json "$@" > "$p.json" 2> "$p.jerr" < /dev/null
	st2=$?
	echo "$st1 $st2" > "$p.st"
}

# stat_field PREFIX WORD: the number before WORD in the read-ahead stats line.
stat_field() {
	sed -n "s/^check stats: .* \([0-9]*\) $2.*/\1/p" \
		"$1.err" | head -n 1
}

# differs A B: why run B differs from run A, or nothing.
differs() {
	local a=$1 b=$2
	if ! cmp -s "$a.st" "$b.st"; then
		echo "exit status $(cat "$b.st"), with one thread $(cat "$a.st")"
	elif ! cmp -s "$a.out" "$b.out"; then
		diff "$a.out" "$b.out" > "$b.diff"
		echo "stdout differs"
	elif ! diff <(grep -v '^check stats' "$a.err") \
		    <(grep -v '^check stats' "$b.err") > "$b.diff"; then
		echo "stderr differs"
	elif ! cmp -s "$a.json" "$b.json"; then
		diff "$a.json" "$b.json" > "$b.diff"
		echo "--json output differs"
	elif ! cmp -s "$a.jerr" "$b.jerr"; then
		diff "$a.jerr" "$b.jerr" > "$b.diff"
		echo "--json stderr differs"
	fi
}

# threads_same NAME WANT AHEAD DEV...: 1, 2 and 4 threads agree.  WANT:
# "damage" (something besides stale free space entries is reported),
# "clean" (only those) or "" (either).  AHEAD 1: blocks must be read ahead.
threads_same() {
	local name=$1 want=$2 ahead=$3 p=$TEST_WORKDIR/threads-$$ n why ids read used
	shift 3
	for n in 1 2 4; do
		run_threads "$p-$n" "$n" "$@"
	done
	ids=$(json_ids "$p-1.json" | grep -vx fst-no-block-group | sort -u |
		tr '\n' ' ' | sed 's/ $//')
	read=$(stat_field "$p-4" "tree blocks read ahead")
	used=$(stat_field "$p-4" used)
	for n in 1 2 4; do
		if why=$(crash_reason "$(cut -d' ' -f1 "$p-$n.st")" "$p-$n.err"); then
			fail "$name" "$n threads: $why" "$p-$n.err"
			return
		fi
	done
	if why=$(differs "$p-1" "$p-2") && [ -n "$why" ]; then
		fail "$name" "2 threads: $why" "$p-2.diff"
	elif why=$(differs "$p-1" "$p-4") && [ -n "$why" ]; then
		fail "$name" "4 threads: $why" "$p-4.diff"
	elif [ "$(stat_field "$p-1" "tree blocks read ahead")" != 0 ]; then
		fail "$name" "blocks read ahead with one thread" "$p-1.err"
	elif [ "$ahead" = 1 ] && { ! [ "${read:-0}" -gt 0 ] ||
				   ! [ "${used:-0}" -gt 0 ]; }; then
		fail "$name" "4 threads: ${read:-no} blocks read ahead, ${used:-none} used" "$p-4.err"
	elif [ "$want" = damage ] && [ -z "$ids" ]; then
		fail "$name" "the damage was not reported" "$p-1.json"
	elif [ "$want" = clean ] && [ -n "$ids" ]; then
		fail "$name" "reported: $ids" "$p-1.json"
	else
		pass "$name (${ids:-clean}; $used of $read blocks read ahead used)"
	fi
}

# damaged NAME IMAGE MODE WANT: threads_same on a copy damaged by MODE.
damaged() {
	local name=$1 img=$2 mode=$3 want=$4 copy=$TEST_WORKDIR/threads-$$.img
	cp --sparse=always "$img" "$copy" || { fail "$name" "cannot copy"; return; }
	if "$CORRUPT" "$copy" "$mode" > "$copy.inject" 2>&1; then
		threads_same "$name" "$want" 0 "$copy"
	elif [ $? = 2 ]; then
		skip "$name" "nothing to damage: $(tail -n 1 "$copy.inject")"
	else
		fail "$name" "btrfs-corrupt failed: $(tail -n 1 "$copy.inject")"
	fi
	rm -f "$copy" "$copy.inject"
}

bad_env() {
	local name="check threads: BTRFS_CHECK_THREADS=$1" p=$TEST_WORKDIR/threads-env-$$
	BTRFS_CHECK_THREADS=$1 "$OUR_BTRFS" check "$2" > "$p.out" 2> "$p.err"
	local st=$?
	if [ "$st" != 1 ]; then
		fail "$name" "exit status $st, want 1" "$p.err"
	elif [ "$(grep -c . "$p.err")" != 1 ] ||
	     ! grep -q "BTRFS_CHECK_THREADS" "$p.err"; then
		fail "$name" "not one error line naming the variable" "$p.err"
	else
		pass "$name"
	fi
}

# One CPU, no variable: one thread.
pinned() {
	local name="check threads: one CPU by taskset" p=$TEST_WORKDIR/threads-pin-$$
	if ! command -v taskset >/dev/null 2>&1; then
		skip "$name" "no taskset"
		return
	fi
	env -u BTRFS_CHECK_THREADS BTRFS_CHECK_STATS=1 taskset -c 0 \
		"$OUR_BTRFS" check "$1" > /dev/null 2> "$p.err"
	if ! grep -q '^check stats: 2 threads, ' "$p.err"; then
		fail "$name" "$(grep 'threads' "$p.err")" "$p.err"
	else
		pass "$name"
	fi
}

threads_main() {
	local img name mode want
	test_init check-threads
	check_ready
	if [ ! -x "$CORRUPT" ]; then
		fail "check threads" "$CORRUPT not built"
		test_done
	fi
	if ! image_get kernel; then
		skip "check threads" "$IMAGE_WHY"
		test_done
	fi
	img=${IMAGE_DEVS[0]}
	threads_same "check threads: kernel" clean 1 "$img"
	pinned "$img"
	bad_env 0 "$img"
	bad_env two "$img"
	# btrfs-corrupt sets: copies
	for mode in leaf-garbage:damage leaf-copy0:clean leaf-owner:damage \
		    extent-refs:damage file-extent-hole:damage; do
		want=${mode#*:}
		mode=${mode%:*}
		damaged "check threads: $mode" "$img" "$mode" "$want"
	done
	for name in kernel-4k kernel-raid kernel-log; do
		if image_get "$name"; then
			threads_same "check threads: $name" "" 0 "${IMAGE_DEVS[@]}"
		else
			skip "check threads: $name" "$IMAGE_WHY"
		fi
	done
	test_done
}

threads_main
