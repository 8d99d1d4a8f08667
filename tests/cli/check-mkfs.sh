#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on images made by our mkfs.btrfs: no problem at all (our
# mkfs leaves no stale free space entries), exit status 0, for a range of
# options including --dax and --dax-inherit, and again after the kernel
# wrote the common workload into the plain and the --dax image.

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

OUR_MKFS=${OUR_MKFS:-$TEST_TOP/mkfs.btrfs}

MKFS_CONFIGS=("" "--dax" "--dax-inherit" "-n 4096" "-M" "-m single -d single"
	"-d dup" "--csum xxhash" "--csum blake2" "-O ^no-holes"
	"-R ^free-space-tree" "-O block-group-tree" "-O ^skinny-metadata")

# expect_clean NAME DEV...: not a single problem, exit status 0.
expect_clean() {
	local name=$1 p=$TEST_WORKDIR/check-mkfs-$$ ids
	shift
	run_check "$p" "$@"
	ids=$(json_ids "$p.json" | sort -u | tr '\n' ' ')
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif [ -n "$ids" ]; then
		fail "$name" "reported: $ids" "$p.json"
	elif [ "$CHECK_STATUS" != 0 ]; then
		fail "$name" "exit status $CHECK_STATUS" "$p.err"
	else
		pass "$name"
	fi
	stock_verdict "$name" "$@"
}

# mkfs_image FILE [OPTION...]: our mkfs on a fresh 1 GiB file.
mkfs_image() {
	local f=$1
	shift
	rm -f "$f"
	truncate -s 1G "$f" &&
		"$OUR_MKFS" -f "$@" "$f" > "$f.log" 2>&1
}

# The kernel writes the workload; the image must stay clean.
kernel_round() {
	local opts=$1 f=$TEST_WORKDIR/check-mkfs-kernel-$$.img l mnt
	local name="check our mkfs${opts:+ $opts} + kernel workload"
	local -a o
	read -r -a o <<< "$opts"

	if why=$(why_no_kernel); then
		skip "$name" "$why"
		return
	fi
	if ! mkfs_image "$f" "${o[@]}"; then
		fail "$name" "mkfs failed: $(head -n 1 "$f.log")"
		return
	fi
	mnt=$TEST_WORKDIR/mnt-check-mkfs-$$
	l=$(loop_attach "$f") || { skip "$name" "losetup failed"; return; }
	if fs_mount "$l" "$mnt"; then
		workload "$mnt" 1 > /dev/null 2>&1
		sync
		fs_umount "$mnt"
	fi
	loop_detach "$l"
	expect_clean "$name" "$f"
	rm -f "$f" "$f.log"
}

mkfs_main() {
	local opts f=$TEST_WORKDIR/check-mkfs-$$.img n
	local -a o
	test_init check-mkfs
	check_ready
	if [ ! -x "$OUR_MKFS" ]; then
		skip "check our mkfs" "$OUR_MKFS not built"
		test_done
	fi
	for opts in "${MKFS_CONFIGS[@]}"; do
		read -r -a o <<< "$opts"
		if ! mkfs_image "$f" "${o[@]}"; then
			fail "check our mkfs $opts" "mkfs failed: $(head -n 1 "$f.log")"
			continue
		fi
		expect_clean "check our mkfs${opts:+ $opts}" "$f"
	done
	for n in 2 3; do
		local -a devs=()
		for ((i = 0; i < n; i++)); do
			devs+=("$TEST_WORKDIR/check-mkfs-$$.$i.img")
			rm -f "${devs[i]}"
			truncate -s 1G "${devs[i]}"
		done
		if "$OUR_MKFS" -f -m raid1 -d raid1 "${devs[@]}" > "$f.log" 2>&1; then
			expect_clean "check our mkfs raid1 on $n devices" "${devs[@]}"
		else
			fail "check our mkfs raid1 on $n devices" "mkfs failed: $(head -n 1 "$f.log")"
		fi
		rm -f "${devs[@]}"
	done
	rm -f "$f" "$f.log"
	kernel_round ""
	kernel_round "--dax"
	test_done
}

mkfs_main
