#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The libFuzzer target tests/fuzz/fuzz-check (make fuzz; clang with
# libclang-rt-14-dev) on a seed image stock mkfs.btrfs makes from a small
# directory tree (--rootdir, single metadata, 4 KiB nodes):
#   - every input saved in tests/fuzz/corpus/ (inputs that once crashed
#     the check) replays without a crash, sanitizer report or leak
#   - a short fuzzing run (CHECK_LIBFUZZER_TIME seconds, default 10) finds
#     no crash, hang or leak; a crashing input is kept in tests/out/
#   - the same on a second seed the kernel writes (root and loop devices):
#     snapshots sharing subtrees, so the shared subtree summaries of
#     check/inodes.c get damaged input too
# Skipped with the reason when clang cannot build a libFuzzer program.
# Longer by hand:
#   make fuzz
#   FUZZ_CHECK_IMAGE=seed.img tests/fuzz/fuzz-check -close_fd_mask=3 \
#       -max_len=512 -max_total_time=600 CORPUS-DIR tests/fuzz/corpus

# shellcheck source=tests/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

FUZZER=$TEST_TOP/tests/fuzz/fuzz-check
CORPUS=$TEST_TOP/tests/fuzz/corpus
FUZZ_TIME=${CHECK_LIBFUZZER_TIME:-10}

# Prints why libFuzzer programs cannot be built here, or nothing (and fails).
why_no_libfuzzer() {
	local d
	if ! command -v "${FUZZ_CC:-clang}" >/dev/null 2>&1; then
		echo "no clang (apt-get install clang libclang-rt-14-dev)"
		return 0
	fi
	d=$(mktemp -d "$TEST_WORKDIR/lf.XXXXXX")
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' \
		> "$d/t.c"
	if ! "${FUZZ_CC:-clang}" -fsanitize=fuzzer,address -o "$d/t" "$d/t.c" \
		> /dev/null 2>&1; then
		rm -rf "$d"
		echo "clang cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"
		return 0
	fi
	rm -rf "$d"
	return 1
}

# seed_make DIR: a small tree of files and the seed image made from it.
seed_make() {
	local d=$1 i
	mkdir -p "$d/root/dir/sub" "$d/root/empty"
	for ((i = 0; i < 300; i++)); do
		echo "file $i" > "$d/root/dir/f$i"
	done
	head -c 200000 /dev/urandom > "$d/root/big"
	head -c 3000 /dev/urandom > "$d/root/dir/sub/small"
	ln "$d/root/dir/f1" "$d/root/hard"
	ln -s dir/f2 "$d/root/link"
	truncate -s 64M "$d/seed.img"
	"$STOCK_MKFS" -q -f -n 4096 -m single -d single --rootdir "$d/root" \
		"$d/seed.img" > /dev/null 2>&1
}

# snap_seed_make DIR: a seed the kernel wrote, with snapshots sharing
# subtrees (4 KiB nodes), for check's shared subtree summaries.
snap_seed_make() {
	local d=$1 dev m=$1/snap-mnt i
	truncate -s 64M "$d/snap-seed.img"
	"$STOCK_MKFS" -q -f -n 4096 -m single -d single "$d/snap-seed.img" \
		> /dev/null 2>&1 || return 1
	dev=$(loop_attach "$d/snap-seed.img") || return 1
	fs_mount "$dev" "$m" || { loop_detach "$dev"; return 1; }
	mkdir -p "$m/a" "$m/b"
	for ((i = 0; i < 900; i++)); do
		echo "file $i" > "$m/a/name-of-file-$i"
	done
	for ((i = 0; i < 60; i++)); do
		ln "$m/a/name-of-file-$i" "$m/b/link-$i"
	done
	"$STOCK_BTRFS" -q subvolume snapshot "$m" "$m/s1" &&
	rm -f "$m/a/name-of-file-1"* && touch "$m/s1/b/new" &&
	"$STOCK_BTRFS" -q subvolume snapshot "$m/s1" "$m/s2"
	i=$?
	fs_umount "$m"
	loop_detach "$dev"
	return "$i"
}

# fuzz_run PREFIX ARG...: the fuzzer with its output in PREFIX.log.
fuzz_run() {
	local p=$1
	shift
	FUZZ_CHECK_IMAGE=${SEED:-$TEST_WORKDIR/libfuzzer/seed.img} timeout -k 10 \
		$((FUZZ_TIME + 120)) "$FUZZER" -close_fd_mask=3 -timeout=20 \
		-rss_limit_mb=2560 "$@" > "$p.log" 2>&1 < /dev/null
}

# fuzz_failure NAME PREFIX: the crash line and the input, kept in tests/out.
fuzz_failure() {
	local name=$1 p=$2 base a
	base=$TEST_OUT_DIR/$(safe_name "$name")
	mkdir -p "$TEST_OUT_DIR"
	cp "$p.log" "$base.log"
	for a in "$p".art-*; do
		[ -f "$a" ] && cp "$a" "$base.${a##*.art-}"
	done
	fail "$name" "$(grep -m1 -E 'ERROR: |runtime error|deadly signal|timeout' "$p.log"); see ${base#"$TEST_TOP"/}.*" "$p.log"
}

# fuzz_for NAME PREFIX CORPUS-DIR...: FUZZ_TIME seconds of fuzzing.
fuzz_for() {
	local name=$1 p=$2
	shift 2
	if ! fuzz_run "$p" -artifact_prefix="$p.art-" -max_len=512 \
	     -max_total_time="$FUZZ_TIME" "$@"; then
		fuzz_failure "$name" "$p"
	else
		pass "$name ($(grep -o 'Done [0-9]* runs' "$p.log" | cut -d' ' -f2) inputs)"
	fi
}

libfuzzer_main() {
	local why d=$TEST_WORKDIR/libfuzzer st n
	local -a dirs
	test_init check-libfuzzer
	if why=$(why_no_libfuzzer); then
		skip "check libfuzzer" "$why"
		test_done
	fi
	if ! make -s -C "$TEST_TOP" fuzz > "$TEST_WORKDIR/libfuzzer-make.log" 2>&1; then
		fail "check libfuzzer: make fuzz" "build failed" "$TEST_WORKDIR/libfuzzer-make.log"
		test_done
	fi
	mkdir -p "$d/corpus"
	if ! seed_make "$d"; then
		fail "check libfuzzer: seed image" "stock mkfs.btrfs --rootdir failed"
		test_done
	fi
	n=$(find "$CORPUS" -type f 2>/dev/null | wc -l)
	if [ "$n" -gt 0 ]; then
		fuzz_run "$d/replay" -artifact_prefix="$d/replay.art-" -runs=1 \
			$(find "$CORPUS" -type f | sort)
		st=$?
		if [ "$st" != 0 ]; then
			fuzz_failure "check libfuzzer: corpus replay" "$d/replay"
		else
			pass "check libfuzzer: corpus replay ($n inputs)"
		fi
	else
		skip "check libfuzzer: corpus replay" "no inputs in tests/fuzz/corpus"
	fi
	dirs=("$d/corpus")
	[ -d "$CORPUS" ] && dirs+=("$CORPUS")
	fuzz_for "check libfuzzer: ${FUZZ_TIME}s of fuzzing" "$d/fuzz" "${dirs[@]}"
	if why=$(why_no_kernel); then
		skip "check libfuzzer: snapshot seed" "$why"
	elif ! snap_seed_make "$d"; then
		fail "check libfuzzer: snapshot seed" "the kernel could not make it"
	else
		mkdir -p "$d/snap-corpus"
		SEED=$d/snap-seed.img fuzz_for \
			"check libfuzzer: ${FUZZ_TIME}s on a seed with snapshots" \
			"$d/snapfuzz" "$d/snap-corpus"
	fi
	test_done
}

libfuzzer_main
