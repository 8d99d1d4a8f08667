#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check: the command line, and filesystem states the image catalogue
# does not cover.
#   - options: usage, --repair and the other repair options refused, -s,
#     -b, -p, --check-data-csum, a missing or non-btrfs device; the text
#     output has stock's shape (stdout equal to stock's on an image both
#     call clean); -E (subvolume extents and who shares them) prints what
#     stock prints, on snapshots after a full balance; -Q (qgroup counts,
#     ours and the disk's) prints what stock prints, with a level-1
#     qgroup, healthy and with damaged or inconsistent counts
#   - a mounted filesystem is refused, and checked with --force
#   - relocation: snapshots changed, then a full balance (FULL_BACKREF
#     tree blocks, shared data and block backrefs)
#   - a snapshot deletion the kernel stopped half way (drop_progress)
# Healthy states must show no problem but stock mkfs's stale entries.

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

# cli_case NAME WANT-STATUS GREP-PATTERN ARG...: exit status and a line.
cli_case() {
	local name=$1 want=$2 pattern=$3 out=$TEST_WORKDIR/cli-$$ st
	shift 3
	timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check "$@" > "$out.all" 2>&1 < /dev/null
	st=$?
	if why=$(crash_reason "$st" "$out.all"); then
		fail "$name" "$why" "$out.all"
	elif [ "$st" != "$want" ]; then
		fail "$name" "exit status $st, want $want" "$out.all"
	elif [ -n "$pattern" ] && ! grep -qE -- "$pattern" "$out.all"; then
		fail "$name" "no line matching '$pattern'" "$out.all"
	else
		pass "$name"
	fi
}

# same_as_stock NAME ARG... DEV: stdout, stderr and status equal stock's.
same_as_stock() {
	local name=$1 p=$TEST_WORKDIR/same-$$ so ss
	shift
	timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check "$@" > "$p.o1" 2> "$p.o2" < /dev/null
	so=$?
	timeout -k 10 "$TEST_TIMEOUT" "$STOCK_BTRFS" check "$@" > "$p.s1" 2> "$p.s2" < /dev/null
	ss=$?
	if [ "$so" != "$ss" ]; then
		fail "$name" "exit status $so, stock $ss" "$p.o2"
	elif ! diff "$p.s1" "$p.o1" > "$p.diff"; then
		fail "$name" "stdout differs from stock" "$p.diff"
	elif ! diff "$p.s2" "$p.o2" > "$p.diff"; then
		fail "$name" "stderr differs from stock" "$p.diff"
	else
		pass "$name"
	fi
}

scen_cli() {
	local zero=$TEST_WORKDIR/zeros-$$.img
	cli_case "check cli: no device" 1 "not enough arguments"
	cli_case "check cli: --help" 0 "btrfs check \\[options\\]" --help
	cli_case "check cli: --repair refused" 1 "^ERROR: --repair is not supported" --repair /nonexistent
	cli_case "check cli: --init-csum-tree refused" 1 "^ERROR: --init-csum-tree is not supported" --init-csum-tree /nonexistent
	cli_case "check cli: --init-extent-tree refused" 1 "^ERROR: --init-extent-tree is not supported" --init-extent-tree /nonexistent
	cli_case "check cli: --clear-space-cache refused" 1 "^ERROR: --clear-space-cache is not supported" --clear-space-cache v2 /nonexistent
	cli_case "check cli: --clear-ino-cache refused" 1 "^ERROR: --clear-ino-cache is not supported" --clear-ino-cache /nonexistent
	cli_case "check cli: -E with --json refused" 1 "cannot be used with --json" -E 5 --json /nonexistent
	cli_case "check cli: -Q with --json refused" 1 "cannot be used with --json" -Q --json /nonexistent
	cli_case "check cli: -E 0 refused" 1 "invalid subvolume id" -E 0 /nonexistent
	cli_case "check cli: -E abc refused" 1 "not a valid numeric value" -E abc /nonexistent
	cli_case "check cli: missing device" 1 "^ERROR: .*/nonexistent/device" /nonexistent/device
	truncate -s 64M "$zero"
	cli_case "check cli: not btrfs" 1 "^ERROR: cannot open" "$zero"
	rm -f "$zero"
	if image_get single; then
		same_as_stock "check cli: output as stock (single)" "${IMAGE_DEVS[0]}"
		same_as_stock "check cli: -s 1 as stock (single)" -s 1 "${IMAGE_DEVS[0]}"
		same_as_stock "check cli: --check-data-csum as stock (single)" \
			--check-data-csum "${IMAGE_DEVS[0]}"
		cli_case "check cli: -p" 0 "^\\[7/7\\] checking quota groups.*elapsed" \
			-p "${IMAGE_DEVS[0]}"
	else
		skip "check cli: output as stock" "$IMAGE_WHY"
	fi
	if image_get kernel; then
		expect_only_stale "check cli: -b (kernel)" -b "${IMAGE_DEVS[0]}"
		expect_only_stale "check cli: --check-data-csum (kernel)" \
			--check-data-csum "${IMAGE_DEVS[0]}"
		expect_only_stale "check cli: -p --json (kernel)" -p "${IMAGE_DEVS[0]}"
	fi
}

# scen_fs NAME FN: a fresh 1 GiB stock filesystem, mounted, FN MNT run on
# it, unmounted; IMAGE holds its path.
scen_fs() {
	local name=$1 fn=$2 l mnt=$TEST_WORKDIR/mnt-scen-$$ ret=0
	IMAGE=$TEST_WORKDIR/scen-$name-$$.img
	rm -f "$IMAGE"
	truncate -s 1G "$IMAGE"
	# shellcheck disable=SC2086  # an option list
	"$STOCK_MKFS" -f ${SCEN_MKFS_OPTS:-} "$IMAGE" > /dev/null 2>&1 || return 1
	l=$(loop_attach "$IMAGE") || return 1
	if fs_mount "$l" "$mnt" "${SCEN_MOUNT_OPTS:-}"; then
		"$fn" "$mnt" > /dev/null 2>&1 || ret=1
		fs_umount "$mnt" || ret=1
	else
		ret=1
	fi
	loop_detach "$l"
	return "$ret"
}

fill_balance() {
	local m=$1 i
	mkdir "$m/d"
	for ((i = 0; i < 300; i++)); do
		head -c 20000 /dev/urandom > "$m/d/f$i"
	done
	"$STOCK_BTRFS" subvolume snapshot "$m" "$m/s1"
	"$STOCK_BTRFS" subvolume snapshot "$m" "$m/s2"
	for ((i = 0; i < 300; i += 3)); do echo x >> "$m/d/f$i"; done
	for ((i = 1; i < 300; i += 5)); do echo y >> "$m/s1/d/f$i"; done
	cp --reflink=always "$m/d/f7" "$m/s2/clone"
	sync
	"$STOCK_BTRFS" balance start --full-balance "$m"
	for ((i = 2; i < 300; i += 7)); do rm -f "$m/s2/d/f$i"; done
}

# Deletes a snapshot and its big subvolume, and unmounts (in the caller)
# as soon as the committed root tree shows the deletion under way.
fill_drop() {
	local m=$1 d i
	"$STOCK_BTRFS" subvolume create "$m/big"
	for ((d = 0; d < 600; d++)); do
		mkdir "$m/big/$d"
		(cd "$m/big/$d" && touch $(seq 1000))
	done
	sync
	"$STOCK_BTRFS" subvolume snapshot "$m/big" "$m/snap"
	sync
	for ((d = 0; d < 600; d += 3)); do touch "$m/big/$d/5"; done
	sync
	"$STOCK_BTRFS" subvolume delete "$m/snap"
	"$STOCK_BTRFS" subvolume delete "$m/big"
	sync
	for ((i = 0; i < 500; i++)); do
		drop_in_progress "$IMAGE" && break
		sleep 0.02
	done
}

# The root tree shows a deletion in progress: a drop level above 0.
drop_in_progress() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t root "$1" 2>/dev/null |
		grep -q 'drop_level [1-9]'
}

scen_drop() {
	local name="check scenario: snapshot deletion stopped half way" try
	for try in 1 2 3; do
		SCEN_MOUNT_OPTS=commit=1 scen_fs drop fill_drop || continue
		if drop_in_progress "$IMAGE"; then
			expect_only_stale "$name" "$IMAGE"
			stock_verdict "$name" "$IMAGE"
			rm -f "$IMAGE"
			return
		fi
		rm -f "$IMAGE"
	done
	skip "$name" "the kernel never stopped a deletion half way here"
}

fill_quota() {
	local m=$1 i
	"$STOCK_BTRFS" quota enable "$m" || return 1
	"$STOCK_BTRFS" subvolume create "$m/sv" || return 1
	for ((i = 0; i < 50; i++)); do
		head -c $((i * 3000 + 100)) /dev/urandom > "$m/sv/f$i"
	done
	"$STOCK_BTRFS" subvolume snapshot "$m/sv" "$m/sn" || return 1
	head -c 300000 /dev/urandom > "$m/sv/after"
	rm -f "$m/sn/f1"*
	"$STOCK_BTRFS" qgroup create 1/1 "$m" &&
	"$STOCK_BTRFS" qgroup assign --no-rescan 0/256 1/1 "$m" &&
	"$STOCK_BTRFS" qgroup assign --no-rescan 0/257 1/1 "$m" &&
	"$STOCK_BTRFS" quota rescan -w "$m"
}

# -Q prints what stock prints: healthy, then with the counts damaged.
scen_qgroup_report() {
	local corrupt=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt} m
	if ! scen_fs quota fill_quota; then
		fail "check cli: -Q" "could not build the image"
		rm -f "$IMAGE"
		return
	fi
	same_as_stock "check cli: -Q as stock (quotas, snapshot, level 1)" -Q "$IMAGE"
	same_as_stock "check cli: -E 257 as stock (quotas)" -E 257 "$IMAGE"
	for m in qgroup-counts qgroup-inconsistent; do
		if "$corrupt" "$IMAGE" "$m" > /dev/null 2>&1; then
			same_as_stock "check cli: -Q as stock, $m" -Q "$IMAGE"
		else
			fail "check cli: -Q, $m" "btrfs-corrupt $m failed"
		fi
	done
	rm -f "$IMAGE"
}

fill_file() {
	head -c 1M /dev/urandom > "$1/file"
}

# A DAX inode whose data sits in a DUP data chunk.
scen_dax_profile() {
	local name="check scenario: DAX extent in a DUP data chunk"
	local p=$TEST_WORKDIR/dax-profile-$$
	local corrupt=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
	if ! SCEN_MKFS_OPTS="-d dup" scen_fs dup fill_file ||
	   ! "$corrupt" "$IMAGE" dax-csum > /dev/null 2>&1; then
		fail "$name" "could not build the image"
		rm -f "$IMAGE"
		return
	fi
	run_check "$p" "$IMAGE"
	if why=$(crash_reason "$CHECK_STATUS" "$p.err"); then
		fail "$name" "$why" "$p.err"
	elif ! json_ids "$p.json" | grep -qx dax-extent-profile; then
		fail "$name" "dax-extent-profile not reported" "$p.json"
	else
		pass "$name"
	fi
	stock_verdict "$name" "$IMAGE"
	rm -f "$IMAGE"
}

# Every problem id of the table is described in the manual page.
scen_doc() {
	local doc=$TEST_TOP/Documentation/btrfs-check.rst id missing=
	for id in $(sed -n 's/.*X(PR_[A-Z_0-9]*, "\([a-z0-9-]*\)".*/\1/p' \
		    "$TEST_TOP/check/problems.h"); do
		grep -q -- "^$id\b\|\*\*$id\*\*\|\b$id\b" "$doc" 2>/dev/null ||
			missing+=" $id"
	done
	if [ -n "$missing" ]; then
		fail "check manual lists every problem id" "missing:$missing"
	else
		pass "check manual lists every problem id"
	fi
}

scen_mounted() {
	local name="check scenario: mounted" copy=$TEST_WORKDIR/mounted-$$.img l
	local mnt=$TEST_WORKDIR/mnt-mounted-$$
	image_get kernel || { skip "$name" "$IMAGE_WHY"; return; }
	cp --sparse=always "${IMAGE_DEVS[0]}" "$copy"
	l=$(loop_attach "$copy") || { skip "$name" "losetup failed"; return; }
	if ! fs_mount "$l" "$mnt" ro; then
		skip "$name" "cannot mount"
		loop_detach "$l"
		return
	fi
	cli_case "$name: image file refused" 1 "is currently mounted" "$copy"
	cli_case "$name: loop device refused" 1 "is currently mounted" "$l"
	cli_case "$name: --force" 1 "continuing because of --force" --force "$copy"
	fs_umount "$mnt"
	loop_detach "$l"
	rm -f "$copy"
}

scen_main() {
	local why id
	test_init check-scenarios
	check_ready
	scen_doc
	scen_cli
	if why=$(why_no_kernel); then
		skip "check scenarios with the kernel" "$why"
		test_done
	fi
	scen_mounted
	if scen_fs balance fill_balance; then
		expect_only_stale "check scenario: snapshots and full balance" "$IMAGE"
		stock_verdict "check scenario: snapshots and full balance" "$IMAGE"
		# Extents shared by the snapshots, full backrefs after the balance.
		for id in 5 256 257 300; do
			same_as_stock "check cli: -E $id as stock (snapshots, balance)" \
				-E "$id" "$IMAGE"
		done
	else
		fail "check scenario: snapshots and full balance" "could not build the image"
	fi
	rm -f "$IMAGE"
	scen_qgroup_report
	scen_dax_profile
	scen_drop
	test_done
}

scen_main
