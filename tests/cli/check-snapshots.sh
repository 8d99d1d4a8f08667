#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# btrfs check on snapshots that share subtrees.  Check reads a subtree that
# several trees share once and sums it up; later trees take the summary
# instead of its items (check/inodes.c, "shared subtrees").  It must find
# exactly what reading every tree in full finds (BTRFS_CHECK_NO_SUBTREE_SUMMARY
# turns the summaries off).  On a kernel-written image (4 KiB nodes, so the
# trees are three levels deep; thousands of files, hard links across
# directories, a snapshot, a snapshot of the snapshot, each changed after):
#   - the image is clean, and summaries were taken again (BTRFS_CHECK_STATS):
#     the shortcut is really used
#   - text output, --json output and exit status are the same with the
#     summaries and without
#   - on copies damaged by tests/tools/btrfs-corrupt in the original tree,
#     in a snapshot's own blocks and in blocks a snapshot shares, the damage
#     is reported and the output is again the same both ways
#   - on copies with random bytes of random tree blocks changed (checksums
#     fixed): no crash, and the same output both ways
#   - with quotas enabled (a level-1 qgroup too): clean and the same both
#     ways, summaries taken again; qgroup counts damaged: reported, the
#     same both ways

CHECK_TEST_LIB=1
# shellcheck source=tests/cli/check-clean.sh
. "$(dirname "${BASH_SOURCE[0]}")/check-clean.sh"

CORRUPT=${CORRUPT:-$TEST_TOP/tests/tools/btrfs-corrupt}
OUR_MKFS=${OUR_MKFS:-$TEST_TOP/mkfs.btrfs}

# snap_fill MNT: the original tree, its snapshots, changes in each.
snap_fill() {
	local m=$1 d f
	mkdir -p "$m/t"
	for ((d = 0; d < 24; d++)); do
		mkdir "$m/t/d$d"
		for ((f = 0; f < 160; f++)); do
			printf '%s\n' "$d/$f" > "$m/t/d$d/file-with-a-longer-name-$f"
		done
	done
	for ((f = 0; f < 40; f++)); do
		ln "$m/t/d3/file-with-a-longer-name-$f" "$m/t/d17/link-$f"
	done
	head -c 200000 /dev/urandom > "$m/t/d5/big"
	"$STOCK_BTRFS" -q subvolume snapshot "$m" "$m/snap1" || return 1
	rm -rf "$m/t/d7"
	for ((f = 0; f < 300; f++)); do
		printf 'new %s\n' "$f" > "$m/t/d11/after-$f"
	done
	mv "$m/t/d2/file-with-a-longer-name-9" "$m/t/d20/moved"
	"$STOCK_BTRFS" -q subvolume snapshot "$m/snap1" "$m/snap2" || return 1
	mkdir "$m/snap1/t/fresh"
	for ((f = 0; f < 400; f++)); do
		printf 'snap %s\n' "$f" > "$m/snap1/t/fresh/x-$f"
	done
	ln "$m/snap1/t/d9/file-with-a-longer-name-1" "$m/snap1/t/fresh/hard"
	rm -f "$m/snap1/t/d13/file-with-a-longer-name-"1*
	touch "$m/snap2/t/d1/in-snap2"
	sync
}

# both PREFIX IMAGE: our check with and without summaries, text and --json.
both() {
	local p=$1 img=$2 v
	for v in sum full; do
		local -a env=(BTRFS_CHECK_STATS=1)
		[ "$v" = full ] && env+=(BTRFS_CHECK_NO_SUBTREE_SUMMARY=1)
		env "${env[@]}" timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check \
			"$img" > "$p.$v.out" 2> "$p.$v.err" < /dev/null
		echo $? > "$p.$v.st"
		env "${env[@]}" timeout -k 10 "$TEST_TIMEOUT" "$OUR_BTRFS" check \
			--json "$img" > "$p.$v.json" 2> /dev/null < /dev/null
		echo $? >> "$p.$v.st"
	done
}

# taken PREFIX: how many summaries were taken again with them on.
taken() {
	sed -n 's/.* \([0-9]*\) taken again$/\1/p' "$1.sum.err"
}

# same NAME PREFIX: the two runs agree; prints why not.
same() {
	local p=$2 why
	for v in sum full; do
		if why=$(crash_reason "$(head -n 1 "$p.$v.st")" "$p.$v.err"); then
			echo "$v: $why"
			return 1
		fi
	done
	if ! cmp -s "$p.sum.st" "$p.full.st"; then
		echo "exit statuses $(tr '\n' ' ' < "$p.sum.st")with summaries, $(tr '\n' ' ' < "$p.full.st")without"
	elif ! diff "$p.full.out" "$p.sum.out" > "$p.diff"; then
		echo "stdout differs:"; head -n 20 "$p.diff"
	elif ! diff <(grep -v '^check stats' "$p.full.err") \
		    <(grep -v '^check stats' "$p.sum.err") > "$p.diff"; then
		echo "stderr differs:"; head -n 20 "$p.diff"
	elif ! diff "$p.full.json" "$p.sum.json" > "$p.diff"; then
		echo "--json output differs:"; head -n 20 "$p.diff"
	else
		return 0
	fi
	return 1
}

# snap_tree IMAGE NAME: the subvolume id of NAME, from stock dump-tree.
snap_tree() {
	"$STOCK_BTRFS" inspect-internal dump-tree -t root "$1" 2>/dev/null |
		awk -v name="$2" '$5 == "ROOT_REF" { id = $6; sub(/\)/, "", id) }
			/root ref key/ && $NF == name && id { print id; exit }'
}

snap_main() {
	local img mnt dev p why n mode tree where copy s1 s2 first_new
	test_init check-snapshots
	check_ready
	if why=$(why_no_kernel); then
		skip "check snapshots" "$why"
		test_done
	fi
	img=$TEST_WORKDIR/snap-$$.img
	mnt=$TEST_WORKDIR/snap-$$-mnt
	p=$TEST_WORKDIR/snap-$$
	truncate -s 512M "$img"
	if ! "$OUR_MKFS" -q -f -n 4096 "$img" > "$p.mkfs" 2>&1; then
		fail "check snapshots: mkfs" "our mkfs failed" "$p.mkfs"
		test_done
	fi
	dev=$(loop_attach "$img") && fs_mount "$dev" "$mnt" || {
		fail "check snapshots: mount" "cannot mount the image"
		test_done
	}
	if ! snap_fill "$mnt" > "$p.fill" 2>&1; then
		fail "check snapshots: fill" "the kernel workload failed" "$p.fill"
	fi
	# New inodes of snap1 (made after it was taken) come after this one.
	first_new=$(stat -c %i "$mnt/t/d5/big")
	fs_umount "$mnt"
	loop_detach "$dev"
	s1=$(snap_tree "$img" snap1)
	s2=$(snap_tree "$img" snap2)
	if [ -z "$s1" ] || [ -z "$s2" ]; then
		fail "check snapshots: subvolume ids" "snap1 '$s1' snap2 '$s2' not found"
		test_done
	fi

	both "$p" "$img"
	n=$(taken "$p")
	if why=$(same "check snapshots: clean" "$p"); then
		if [ "$(head -n 1 "$p.sum.st")" != 0 ]; then
			fail "check snapshots: clean" "exit status $(head -n 1 "$p.sum.st")" "$p.sum.out"
		elif ! [ "${n:-0}" -gt 0 ] 2>/dev/null; then
			fail "check snapshots: clean" "no subtree summary was taken again" "$p.sum.err"
		else
			pass "check snapshots: clean, same output with and without summaries ($n taken again)"
		fi
	else
		fail "check snapshots: clean" "$why"
	fi

	if [ ! -x "$CORRUPT" ]; then
		fail "check snapshots: damaged" "$CORRUPT not built"
		test_done
	fi
	copy=$TEST_WORKDIR/snap-$$-copy.img
	# MODE TREE MIN-INO: the damage, in which tree, from which inode on.
	while read -r mode tree where; do
		local tid=5 min=0 name
		case "$tree" in snap1) tid=$s1 ;; snap2) tid=$s2 ;; esac
		[ "$where" = own ] && min=$((first_new + 1))
		name="check snapshots: $mode in $tree${where:+ ($where blocks)}"
		cp --sparse=always "$img" "$copy" || { fail "$name" "cannot copy"; continue; }
		if ! BTRFS_CORRUPT_FS_TREE=$tid BTRFS_CORRUPT_MIN_INO=$min \
		     "$CORRUPT" "$copy" "fs-$mode" > "$p.corrupt" 2>&1; then
			fail "$name" "btrfs-corrupt fs-$mode failed" "$p.corrupt"
			continue
		fi
		both "$p.d" "$copy"
		if ! why=$(same "$name" "$p.d"); then
			fail "$name" "$why"
		elif [ "$(head -n 1 "$p.d.sum.st")" = 0 ]; then
			fail "$name" "the damage was not reported" "$p.d.sum.out"
		else
			pass "$name: same with and without summaries:$(json_ids "$p.d.sum.json" | sort -u | tr '\n' ' ')"
		fi
		rm -f "$p".d.*
	done <<-EOF
	del-dir-index 5 shared
	del-inode-ref 5 shared
	nlink snap1 shared
	del-dir-index snap1 own
	del-dir-item snap1 own
	del-inode-ref snap1 own
	ref-index snap1 own
	entry-type snap1 own
	entry-location snap1 own
	ref-name snap1 own
	dir-isize snap1 own
	del-dir-item snap2 shared
	ref-index snap2 shared
	entry-type snap2 shared
	EOF
	# Random bytes of random tree blocks (checksums fixed): no crash, and
	# the same findings both ways.
	local seed diffs=0 runs=0
	for ((seed = 1; seed <= 24; seed++)); do
		cp --sparse=always "$img" "$copy" || break
		BTRFS_CORRUPT_SEED=$seed "$CORRUPT" "$copy" fuzz > /dev/null 2>&1 ||
			continue
		both "$p.r" "$copy"
		runs=$((runs + 1))
		if ! why=$(same "random damage $seed" "$p.r"); then
			diffs=$((diffs + 1))
			fail "check snapshots: random damage, seed $seed" "$why"
		fi
		rm -f "$p".r.*
	done
	if [ "$runs" -lt 12 ]; then
		fail "check snapshots: random damage" "only $runs of 24 damaged copies made"
	elif [ "$diffs" = 0 ]; then
		pass "check snapshots: $runs randomly damaged copies, same with and without summaries"
	fi
	snap_quota "$img" "$p"
	rm -f "$copy" "$img" "$p".*
	test_done
}

# snap_quota IMAGE PREFIX: the same with quotas, whose counts are per tree:
# the summaries carry the extents their subtree uses.
snap_quota() {
	local img=$1 p=$2 q=$2-quota.img dev mnt=$2-qmnt why n name
	cp --sparse=always "$img" "$q" || { fail "check snapshots: quota" "cannot copy"; return; }
	dev=$(loop_attach "$q") && fs_mount "$dev" "$mnt" || {
		fail "check snapshots: quota" "cannot mount the copy"
		return
	}
	if ! { "$STOCK_BTRFS" quota enable "$mnt" &&
	       "$STOCK_BTRFS" quota rescan -w "$mnt" &&
	       "$STOCK_BTRFS" qgroup create 1/1 "$mnt" &&
	       "$STOCK_BTRFS" qgroup assign --no-rescan 0/5 1/1 "$mnt" &&
	       "$STOCK_BTRFS" quota rescan -w "$mnt"; } > "$p.q" 2>&1; then
		fail "check snapshots: quota" "enabling quotas failed" "$p.q"
	fi
	fs_umount "$mnt"
	loop_detach "$dev"
	both "$p.q" "$q"
	n=$(taken "$p.q")
	name="check snapshots: quotas"
	if ! why=$(same "$name" "$p.q"); then
		fail "$name" "$why"
	elif [ "$(head -n 1 "$p.q.sum.st")" != 0 ]; then
		fail "$name" "exit status $(head -n 1 "$p.q.sum.st")" "$p.q.sum.out"
	elif ! [ "${n:-0}" -gt 0 ] 2>/dev/null; then
		fail "$name" "no subtree summary was taken again" "$p.q.sum.err"
	else
		pass "$name: clean, same output with and without summaries ($n taken again)"
	fi
	name="check snapshots: quotas, qgroup counts damaged"
	if ! "$CORRUPT" "$q" qgroup-counts > "$p.q.corrupt" 2>&1; then
		fail "$name" "btrfs-corrupt qgroup-counts failed" "$p.q.corrupt"
	else
		both "$p.q" "$q"
		if ! why=$(same "$name" "$p.q"); then
			fail "$name" "$why"
		elif ! json_ids "$p.q.sum.json" | grep -qx qgroup-counts; then
			fail "$name" "qgroup-counts not reported" "$p.q.sum.out"
		else
			pass "$name: same with and without summaries"
		fi
	fi
	rm -f "$q" "$p".q.*
}

snap_main
