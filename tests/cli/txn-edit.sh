#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The transaction engine's edges, through txn-edit:
#   - an aborted transaction, one that runs out of metadata space, and one
#     with a block the verifier rejects leave the image byte for byte as it
#     was; with -k the work done before -ENOSPC is committed and stock check
#     is clean;
#   - a second writer is refused;
#   - opening for writing is refused, the image untouched, for a mounted
#     filesystem, a missing device, RAID5/6 metadata, no free space tree,
#     quotas, a log tree to replay, a bad primary superblock (blocks
#     shared with a snapshot are written: tests/cli/txn-snapshot.sh);
#   - metadata chunks are allocated when metadata is full (2 MiB aligned
#     under --dax, on two devices with raid1), and the kernel reads across
#     them;
#   - items written by several transactions in one run are all there, and
#     the kernel mounts the result.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init txn-edit

TOOLS=$TEST_TOP/tests/tools
MKFS=$TEST_TOP/mkfs.btrfs
dir=$TEST_WORKDIR/txn-edit
mkdir -p "$dir"
NO_KERNEL=$(why_no_kernel)

check_clean() {
	local out
	out=$("$STOCK_BTRFS" check "$1" 2>&1) || {
		printf '%s\n' "$out" > "$dir/last-check"
		return 1
	}
	printf '%s\n' "$out" > "$dir/last-check"
	! printf '%s\n' "$out" | grep -v 'no error found' |
		grep -v '^ERROR: cannot scan /dev/' |
		grep -qiE 'error|warning|wrong|mismatch|corrupt|invalid'
}

# new_image NAME SIZE MKFS-OPTION...: prints the path of a fresh image.
new_image() {
	local img=$dir/$1.img
	rm -f "$img"
	truncate -s "$2" "$img"
	"$MKFS" -q -f "${@:3}" "$img" > "$dir/$1.mkfs" 2>&1 || return 1
	echo "$img"
}

# edit_status WANT NAME EDIT-ARG...: txn-edit must exit with WANT.
edit_status() {
	local want=$1 name=$2 st
	shift 2
	"$TOOLS/txn-edit" "$@" > "$dir/last-edit" 2>&1
	st=$?
	[ "$st" -eq "$want" ] && return 0
	fail "txn-edit: $name" "txn-edit exits $st, want $want" "$dir/last-edit"
	return 1
}

test_abort() {
	local img
	img=$(new_image abort 256M) || { fail "txn-edit: abort" "mkfs failed"; return; }
	cp "$img" "$img.orig"
	edit_status 0 "abort" -M -a "$img" xattrs=256:0:2000:200 flags=256:1 || return
	if cmp -s "$img" "$img.orig"; then
		pass "txn-edit: an aborted transaction writes nothing"
	else
		fail "txn-edit: abort" "the image changed"
	fi
}

# A block the verifier rejects fails the commit, which writes nothing.
test_verifier() {
	local img
	img=$(new_image verifier 256M) || { fail "txn-edit: verifier" "mkfs failed"; return; }
	cp "$img" "$img.orig"
	edit_status 1 "verifier" -M "$img" xattrs=256:0:300:100 \
		rawitem=256:24:12345:00 || return
	if ! grep -q "fails verification" "$dir/last-edit" ||
	   ! cmp -s "$img" "$img.orig"; then
		fail "txn-edit: verifier" "no verifier message, or the image changed" "$dir/last-edit"
		return
	fi
	pass "txn-edit: a block the verifier rejects aborts the commit, nothing written"
}

test_lock() {
	local img
	img=$(new_image lock 256M) || return
	if ! command -v flock >/dev/null; then
		skip "txn-edit: refuses a second writer" "flock missing"
		return
	fi
	flock -x "$img" "$TOOLS/txn-edit" -M "$img" setxattr=256:user.a:b \
		> "$dir/last-edit" 2>&1
	if [ $? -ne 1 ] || ! grep -q "another program" "$dir/last-edit"; then
		fail "txn-edit: refuses a second writer" "not refused" "$dir/last-edit"
		return
	fi
	pass "txn-edit: refuses a second writer"
}

test_enospc() {
	local img n
	img=$(new_image enospc 128M) || { fail "txn-edit: ENOSPC" "mkfs failed"; return; }
	cp "$img" "$img.orig"
	edit_status 2 "ENOSPC" -M "$img" xattrs=256:0:4000:15000 || return
	if ! cmp -s "$img" "$img.orig"; then
		fail "txn-edit: ENOSPC" "the image changed"
		return
	fi
	pass "txn-edit: ENOSPC leaves the image unchanged"
	edit_status 2 "ENOSPC, -k" -M -k "$img" xattrs=256:0:4000:15000 || return
	n=$("$OUR_BTRFS" inspect-internal dump-tree -t fs "$img" |
		grep -c 'name: user\.t')
	if [ "$n" -lt 100 ] || ! check_clean "$img"; then
		fail "txn-edit: ENOSPC, -k" "$n xattrs kept, or stock check fails" "$dir/last-check"
		return
	fi
	edit_status 2 "ENOSPC, -k again" -M -k "$img" xattrs=256:4000:4000:15000 ||
		return
	if check_clean "$img"; then
		pass "txn-edit: ENOSPC with -k commits the $n xattrs before it, twice"
	else
		fail "txn-edit: ENOSPC, -k again" "stock check fails" "$dir/last-check"
	fi
}

# refused NAME WHY-PATTERN DEVICES [TXN-EDIT-OPTION...]: opening for
# writing must fail saying WHY-PATTERN, and change nothing.
refused() {
	local name=$1 pattern=$2 targets=$3 d
	local -a list
	shift 3
	IFS=, read -r -a list <<< "$targets"
	# A mounted filesystem may be written by the kernel meanwhile.
	for d in "${list[@]}"; do
		rm -f "$d.orig"
		[ -f "$d" ] && [ -z "${REFUSED_MOUNTED:-}" ] && cp "$d" "$d.orig"
	done
	edit_status 1 "refuses: $name" "$@" "$targets" setxattr=256:user.x:y ||
		return
	if ! grep -q -- "$pattern" "$dir/last-edit"; then
		fail "txn-edit: refuses: $name" "no '$pattern' in the message" "$dir/last-edit"
		return
	fi
	for d in "${list[@]}"; do
		if [ -f "$d.orig" ] && ! cmp -s "$d" "$d.orig"; then
			fail "txn-edit: refuses: $name" "$d changed"
			return
		fi
	done
	pass "txn-edit: refuses $name"
}

test_refusals() {
	local img i files=() f
	img=$(new_image no-fst 256M -R ^free-space-tree) &&
		refused "no free space tree" "no valid free space tree" "$img" -M
	for i in 0 1 2 3; do
		rm -f "$dir/raid6.$i"
		truncate -s 300M "$dir/raid6.$i"
		files+=("$dir/raid6.$i")
	done
	"$MKFS" -q -f -m raid6 -d raid5 "${files[@]}" > /dev/null 2>&1 &&
		refused "RAID6 metadata" "RAID5/6 metadata" \
			"$(IFS=,; echo "${files[*]}")" -M
	refused "a missing device" "missing" "$dir/raid6.0" -M
	f=$(make_image txn-quota 256M -R quota) &&
		cp "$f" "$dir/quota.img" &&
		refused "quotas" "quotas are not supported" "$dir/quota.img" -M
	img=$(new_image torn 256M) || return
	# A primary superblock that lost to copy 1 (a torn write).
	dd if=/dev/zero of="$img" bs=1 seek=$((65536 + 2048)) count=2048 \
	   conv=notrunc status=none
	refused "a bad primary superblock" "primary superblock" "$img" -M
}

# The kernel's own work: a snapshot shares blocks, a crash leaves a log.
test_kernel() {
	local img loop mnt=$dir/mnt
	if [ -n "$NO_KERNEL" ]; then
		skip "txn-edit: mounted, snapshots, log tree" "$NO_KERNEL"
		return
	fi
	img=$(new_image mounted 256M) || return
	loop=$(loop_attach "$img") || return
	if ! fs_mount "$loop" "$mnt"; then
		loop_detach "$loop"
		fail "txn-edit: refuses mounted" "the kernel does not mount our mkfs"
		return
	fi
	REFUSED_MOUNTED=1 refused "a mounted filesystem (image file)" \
		"is mounted" "$img"
	REFUSED_MOUNTED=1 refused "a mounted filesystem (loop device)" \
		"mounted\\|busy" "$loop"
	"$STOCK_BTRFS" -q subvolume snapshot "$mnt" "$mnt/snap" >/dev/null
	fs_umount "$mnt"
	loop_detach "$loop"
	if edit_status 0 "blocks shared with a snapshot" -M "$img" \
		setxattr=256:user.x:y && check_clean "$img"; then
		pass "txn-edit: writes blocks shared with a snapshot"
	else
		fail "txn-edit: blocks shared with a snapshot" "check fails" "$dir/last-check"
	fi
	if ! image_get kernel-log; then
		skip "txn-edit: refuses a log tree" "$IMAGE_WHY"
	elif [ "$(stock_super_field "${IMAGE_DEVS[0]}" log_root)" = 0 ]; then
		skip "txn-edit: refuses a log tree" "the kernel-log image has none this time"
	else
		cp "${IMAGE_DEVS[0]}" "$dir/log.img"
		refused "a log tree to replay" "log tree" "$dir/log.img" -M
	fi
}

# chunks_aligned IMAGE ALIGN: every chunk's start, length and stripes.
chunks_aligned() {
	"$OUR_BTRFS" inspect-internal dump-tree -t chunk "$1" | awk -v a="$2" '
	/CHUNK_ITEM/ { sub(/\)/, "", $6); if ($6 % a) bad++ }
	$1 == "length" && $2 % a { bad++ }
	$1 == "stripe" && $6 % a { bad++ }
	END { exit bad > 0 }'
}

# fill_chunks NAME SIZE DEVICES MKFS-OPTION...: metadata grows past its
# first chunk; sets FILL_DEVS (files) and FILL_N (chunks after).
fill_chunks() {
	local name=$1 size=$2 n=$3 i list
	shift 3
	FILL_DEVS=()
	for ((i = 0; i < n; i++)); do
		rm -f "$dir/$name.$i"
		truncate -s "$size" "$dir/$name.$i"
		FILL_DEVS+=("$dir/$name.$i")
	done
	"$MKFS" -q -f "$@" "${FILL_DEVS[@]}" > "$dir/$name.mkfs" 2>&1 || return 1
	list=$(IFS=,; echo "${FILL_DEVS[*]}")
	"$TOOLS/txn-edit" -M -k "$list" xattrs=256:0:2500:15000 \
		> "$dir/last-edit" 2>&1
	FILL_N=$("$OUR_BTRFS" inspect-internal dump-tree -t chunk \
		"${FILL_DEVS[@]}" | grep -c 'METADATA')
}

test_chunks() {
	local n loop mnt=$dir/mnt
	if fill_chunks chunk-dup 512M 1 && [ "$FILL_N" -ge 2 ] &&
	   check_clean "${FILL_DEVS[0]}"; then
		pass "txn-edit: a metadata chunk is allocated when metadata is full ($FILL_N metadata chunks)"
	else
		fail "txn-edit: chunk allocation" "$FILL_N metadata chunks, or check fails" "$dir/last-check"
	fi
	if fill_chunks chunk-dax 600M 1 --dax && [ "$FILL_N" -ge 2 ] &&
	   chunks_aligned "${FILL_DEVS[0]}" 2097152 && check_clean "${FILL_DEVS[0]}"; then
		pass "txn-edit: new chunks of a --dax filesystem are 2 MiB aligned"
	else
		fail "txn-edit: chunk allocation, --dax" "$FILL_N metadata chunks, misaligned, or check fails" "$dir/last-check"
	fi
	if [ -n "$NO_KERNEL" ]; then
		skip "txn-edit: chunk allocation, raid1 and the kernel" "$NO_KERNEL"
		return
	fi
	loop=$(loop_attach "$dir/chunk-dup.0") || return
	n=0
	if fs_mount "$loop" "$mnt" ro; then
		n=$(getfattr -d -m '^user\.' "$mnt" 2>/dev/null | grep -c '^user\.')
		fs_umount "$mnt"
	fi
	loop_detach "$loop"
	if [ "$n" -eq 2500 ]; then
		pass "txn-edit: the kernel reads all 2500 xattrs across the new chunk"
	else
		fail "txn-edit: chunk allocation" "the kernel reads $n xattrs, want 2500"
	fi
	fill_chunks chunk-raid1 300M 2 -m raid1 -d raid1 || return
	FILL_LOOPS=()
	for n in "${FILL_DEVS[@]}"; do
		FILL_LOOPS+=("$(loop_attach "$n")")
	done
	"$STOCK_BTRFS" device scan "${FILL_LOOPS[@]}" >/dev/null 2>&1
	if [ "$FILL_N" -ge 2 ] && check_clean "${FILL_LOOPS[0]}"; then
		pass "txn-edit: chunk allocation on two raid1 devices"
	else
		fail "txn-edit: chunk allocation, raid1" "$FILL_N metadata chunks, or check fails" "$dir/last-check"
	fi
	for n in "${FILL_LOOPS[@]}"; do
		loop_detach "$n"
	done
}

test_several() {
	local img n loop mnt=$dir/mnt
	img=$(new_image several 256M -n 4096) || return
	edit_status 0 "several transactions" -M "$img" xattrs=256:0:1000:300 \
		commit delxattrs=256:0:1000:2 commit growxattrs=256:1:400:900 \
		commit flags=256:0x100 setxattr=256:user.last:done || return
	n=$("$OUR_BTRFS" inspect-internal dump-tree -t fs "$img" |
		grep -c 'name: user\.')
	if [ "$n" -ne 701 ] || ! check_clean "$img"; then
		fail "txn-edit: several transactions" "$n xattrs, want 701, or check fails" "$dir/last-check"
		return
	fi
	pass "txn-edit: several transactions in one run"
	[ -n "$NO_KERNEL" ] && return
	loop=$(loop_attach "$img") || return
	if fs_mount "$loop" "$mnt" ro; then
		n=$(getfattr -d -m '^user\.' "$mnt" 2>/dev/null | grep -c '^user\.')
		fs_umount "$mnt"
	fi
	loop_detach "$loop"
	if [ "$n" -eq 701 ]; then
		pass "txn-edit: the kernel reads the 701 xattrs"
	else
		fail "txn-edit: several transactions" "the kernel reads $n xattrs"
	fi
}

# Replacing items as big as a 4 KiB leaf holds once: the insert finds the
# key and no room beside it, and must say it exists (the update follows).
test_big_items() {
	local img n
	img=$(new_image big-items 128M -n 4096) || return
	edit_status 0 "big items" -M "$img" xattrs=256:0:300:3000 || return
	edit_status 0 "big items replaced" -M "$img" xattrs=256:0:300:3500 || return
	n=$("$OUR_BTRFS" inspect-internal dump-tree -t fs "$img" |
		grep -c 'data_len 3500')
	if [ "$n" -eq 300 ] && check_clean "$img"; then
		pass "txn-edit: items filling a 4 KiB leaf are replaced"
	else
		fail "txn-edit: big items" "$n of 300 replaced, or check fails" "$dir/last-check"
	fi
}

test_abort
test_big_items
test_verifier
test_lock
test_enospc
test_refusals
test_kernel
test_chunks
test_several
test_done
