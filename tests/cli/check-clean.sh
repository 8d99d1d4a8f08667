#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on healthy images: no false positives.
#   - every image of the catalogue (stock mkfs, kernel workload) is reported
#     for exactly one thing: the stale free space entries stock mkfs 6.2
#     leaves for its deleted temporary chunks (problem fst-no-block-group,
#     one per FREE_SPACE_INFO whose block group does not exist), and
#     nothing else; images without such entries pass with status 0
#   - the summary figures equal stock btrfs check's
#   - --json output is one valid JSON object per line
# Stock's own verdict is printed as an informational line.
#
# Other check-*.sh scripts source this one with CHECK_TEST_LIB=1 for the
# helpers.

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# Skips the whole script when ./btrfs has no check command yet.
check_ready() {
	if "$OUR_BTRFS" check --help 2>&1 | grep -q "not implemented"; then
		skip "$TEST_NAME" "'btrfs check' is not wired into btrfs.c yet"
		exit 0
	fi
}

# run_check PREFIX ARG...: our check with --json; PREFIX.json / PREFIX.err,
# the exit status in CHECK_STATUS.
run_check() {
	local prefix=$1
	shift
	timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check --json "$@" \
		> "$prefix.json" 2> "$prefix.err" < /dev/null
	CHECK_STATUS=$?
}

# json_ids FILE: "id bytenr" of every problem reported, sorted.
json_ids() {
	grep '"type":"problem"' "$1" |
		sed -n 's/.*"id":"\([a-z0-9-]*\)".*/\1/p' | sort
}

# json_bytenrs FILE ID: the bytenr fields of problems ID, sorted.
json_bytenrs() {
	grep "\"id\":\"$2\"" "$1" | sed -n 's/.*"bytenr":\([0-9]*\).*/\1/p' |
		sort -n
}

# Every line must parse as JSON (when python3 is there to say).
json_valid() {
	command -v python3 >/dev/null 2>&1 || return 0
	python3 -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$1" 2>/dev/null
}

# stale_infos DEV...: FREE_SPACE_INFO starts of no chunk, by stock dump-tree.
stale_infos() {
	{
		"$STOCK_BTRFS" inspect-internal dump-tree -t chunk "$@" 2>/dev/null |
			awk '$5 == "CHUNK_ITEM" { sub(/\)/, "", $6); print "chunk", $6 }'
		"$STOCK_BTRFS" inspect-internal dump-tree -t free_space "$@" 2>/dev/null |
			awk '$5 == "FREE_SPACE_INFO" { sub(/\(/, "", $4); print "info", $4 }'
	} | awk '$1 == "chunk" { c[$2] = 1 } $1 == "info" { i[$2] = 1 }
		END { for (s in i) if (!(s in c)) print s }' | sort -n
}

# ids_expected JSON EXPECT: EXPECT is one id, "a|b" (any of them) or "a+b"
# (every one of them).
ids_expected() {
	local id
	if [[ $2 == *+* ]]; then
		for id in ${2//+/ }; do
			json_ids "$1" | grep -qx -- "$id" || return 1
		done
		return 0
	fi
	json_ids "$1" | grep -qxE -- "$2"
}

# damaged_copy NAME IMAGE MODE COPY PREFIX: COPY is IMAGE damaged by
# btrfs-corrupt MODE (its output in PREFIX.inject); else a failure, false.
damaged_copy() {
	cp --sparse=always "$2" "$4" || { fail "$1" "cannot copy"; return 1; }
	if ! "$CORRUPT" "$4" "$3" > "$5.inject" 2>&1; then
		fail "$1" "btrfs-corrupt failed: $(tail -n 1 "$5.inject")"
		rm -f "$4"
		return 1
	fi
}

# damaged_verdict NAME COPY PREFIX EXPECT [CHECK-OPTION...]: our check on
# the damaged COPY reports EXPECT (see ids_expected), exits 1 exactly when
# an error (not only warnings or notes) is reported, writes valid JSON.
damaged_verdict() {
	local name=$1 copy=$2 p=$3 expect=$4 new errors
	shift 4
	run_check "$p" "$@" "$copy"
	new=$(json_ids "$p.json" | sort -u | tr '\n' ' ' | sed 's/ $//')
	errors=$(grep '"type":"problem"' "$p.json" | grep -c '"severity":"error"')
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif ! ids_expected "$p.json" "$expect"; then
		fail "$name" "$expect not reported (got: ${new:-nothing})" "$p.json"
	elif [ "$CHECK_STATUS" != "$([ "$errors" -gt 0 ] && echo 1 || echo 0)" ]; then
		fail "$name" "exit status $CHECK_STATUS with $errors errors" "$p.err"
	elif ! json_valid "$p.json"; then
		fail "$name" "--json output is not valid JSON" "$p.json"
	else
		pass "$name ($new)"
	fi
}

# stock_verdict NAME [ARG...] DEV...: prints stock check's exit status.
# Stock finds the other devices of an image only through loop devices.
stock_verdict() {
	local name=$1 a st l
	local -a opts=() devs=() loops=()
	shift
	for a in "$@"; do
		case "$a" in -*) opts+=("$a") ;; *) devs+=("$a") ;; esac
	done
	if [ "${#devs[@]}" -gt 1 ]; then
		if why_no_kernel >/dev/null; then
			echo "INFO $name: stock btrfs check not run (needs loop devices)"
			return
		fi
		for a in "${devs[@]}"; do
			l=$(loop_attach "$a") && loops+=("$l")
		done
		"$STOCK_BTRFS" device scan "${loops[@]}" > /dev/null 2>&1
		devs=("${loops[0]}")
	fi
	# The braces keep bash's note about a crashing stock off stderr.
	{ timeout -k 10 "$TEST_TIMEOUT" "$STOCK_BTRFS" check "${opts[@]}" \
		"${devs[0]}" > /dev/null 2>&1 < /dev/null; } 2> /dev/null
	st=$?
	for l in "${loops[@]}"; do
		loop_detach "$l"
	done
	echo "INFO $name: stock btrfs check exit status $st"
}

# expect_only_stale NAME [OPTION...] DEV...: the stale entries and nothing
# else.
expect_only_stale() {
	local name=$1 p=$TEST_WORKDIR/check-$TEST_NAME-$$ want_ids want_st=0
	local stale got_stale got_ids a
	local -a devs=()
	shift
	for a in "$@"; do
		case "$a" in -*) ;; *) devs+=("$a") ;; esac
	done
	run_check "$p" "$@"
	stale=$(stale_infos "${devs[@]}")
	[ -n "$stale" ] && want_st=1
	got_stale=$(json_bytenrs "$p.json" fst-no-block-group)
	got_ids=$(json_ids "$p.json" | grep -vx fst-no-block-group | sort -u | tr '\n' ' ')
	want_ids=$(echo "$stale" | grep -c .)
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif [ -n "$got_ids" ]; then
		fail "$name" "false positives: $got_ids" "$p.json"
	elif [ "$got_stale" != "$stale" ]; then
		fail "$name" "stale entries reported: $(echo $got_stale), want: $(echo $stale)" "$p.json"
	elif [ "$CHECK_STATUS" != "$want_st" ]; then
		fail "$name" "exit status $CHECK_STATUS, want $want_st" "$p.err"
	elif ! json_valid "$p.json"; then
		fail "$name" "--json output is not valid JSON" "$p.json"
	else
		pass "$name ($want_ids stale free space entries)"
	fi
}

# summary_same NAME DEV: the summary figures equal stock's.
summary_same() {
	local name=$1 dev=$2 p=$TEST_WORKDIR/summary-$TEST_NAME-$$
	timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check "$dev" > "$p.ours" 2> /dev/null
	timeout -k 10 "$TEST_TIMEOUT" "$STOCK_BTRFS" check "$dev" > "$p.stock" 2> /dev/null
	if diff <(sed -n '/^total csum bytes/,$p;s/^found \([0-9]*\) bytes used.*/found \1/p' "$p.ours") \
		<(sed -n '/^total csum bytes/,$p;s/^found \([0-9]*\) bytes used.*/found \1/p' "$p.stock") \
		> "$p.diff"; then
		pass "$name"
	else
		fail "$name" "summary differs from stock" "$p.diff"
	fi
}

clean_image() {
	local name=$1
	if ! image_get "$name"; then
		skip "check clean: $name" "$IMAGE_WHY"
		return
	fi
	expect_only_stale "check clean: $name" "${IMAGE_DEVS[@]}"
	# Stock mkfs 6.2 deletes its temporary chunks at 1 MiB and 5 MiB.
	if [ "$name" = default ] &&
	   [ "$(stale_infos "${IMAGE_DEVS[0]}" | tr '\n' ' ')" != "1048576 5242880 " ]; then
		fail "check clean: default stale entries" \
			"stale free space infos: $(stale_infos "${IMAGE_DEVS[0]}" | tr '\n' ' ')"
	fi
	stock_verdict "check clean: $name" "${IMAGE_DEVS[@]}"
	[ "${#IMAGE_DEVS[@]}" -eq 1 ] &&
		summary_same "check summary as stock: $name" "${IMAGE_DEVS[0]}"
}

clean_main() {
	local name
	test_init check-clean
	check_ready
	for name in $IMAGES_MKFS $IMAGES_KERNEL; do
		clean_image "$name"
	done
	test_done
}

[ "${CHECK_TEST_LIB:-0}" = 1 ] && return 0
clean_main
