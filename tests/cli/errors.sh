#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Damaged and wrong input for dump-super and dump-tree: files that are not
# btrfs, empty, truncated, with a garbage or mis-checksummed superblock, with
# corrupted tree blocks, and bad command lines.  Our tool must never crash
# (signal, sanitizer report, timeout).  Where stock fails, ours must fail
# too with an ERROR line (naming the damaged block when there is one); where
# stock's output is well defined (bad usage, a superblock checksum
# mismatch, one good mirror left) it must be the same.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
test_init errors

ERR_DIR=$TEST_WORKDIR/errors
mkdir -p "$ERR_DIR"

# scratch_copy NAME IMAGE-FILE: a private copy to damage; prints its path.
scratch_copy() {
	cp --sparse=always "$2" "$ERR_DIR/$1.img" && echo "$ERR_DIR/$1.img"
}

# overwrite FILE OFFSET: writes stdin over FILE at OFFSET.
overwrite() {
	dd of="$1" bs=4096 seek="$2" oflag=seek_bytes conv=notrunc status=none
}

# corrupt_block FILE LOGICAL [MIRRORS]: 8 bad bytes in the middle of a tree
# block, on every mirror or on the first MIRRORS; the checksum is left.
corrupt_block() {
	local file=$1 logical=$2 max=${3:-99} half n=0 dev phys
	half=$(($(stock_super_field "$file" nodesize) / 2))
	while read -r dev phys; do
		[ "$n" -lt "$max" ] || break
		printf '\xde\xad\xbe\xef\x0b\xad\xf0\x0d' | overwrite "$file" $((phys + half))
		n=$((n + 1))
	done < <(stock_physical "$file" "$logical")
	[ "$n" -gt 0 ]
}

# dump_all NAME FILE PATTERN: dump-super and dump-tree on damaged input.
dump_all() {
	local name=$1 file=$2 pattern=$3
	compare_failure "dump-super: $name" "$pattern" inspect-internal dump-super "$file"
	compare_failure "dump-super -f: $name" "$pattern" inspect-internal dump-super -f "$file"
	compare_failure "dump-super -a: $name" "$pattern" inspect-internal dump-super -a "$file"
	compare_failure "dump-tree: $name" "$pattern" inspect-internal dump-tree "$file"
}

not_btrfs() {
	local f=$ERR_DIR
	head -c 4M /dev/urandom > "$f/random.img"
	truncate -s 4M "$f/zeros.img"
	: > "$f/empty.img"
	dump_all "random data" "$f/random.img" ""
	dump_all "zeros" "$f/zeros.img" ""
	compare_output "dump-super: empty file" inspect-internal dump-super "$f/empty.img"
	compare_output "dump-super -a: empty file" inspect-internal dump-super -a "$f/empty.img"
	compare_failure "dump-tree: empty file" "" inspect-internal dump-tree "$f/empty.img"
	dump_all "missing file" "$f/no-such-file" ""
	dump_all "directory" "$f" ""
	if command -v mkfs.ext4 >/dev/null 2>&1; then
		truncate -s 32M "$f/ext4.img"
		mkfs.ext4 -q -F "$f/ext4.img" >/dev/null 2>&1 && dump_all "ext4" "$f/ext4.img" ""
	fi
}

truncated() {
	local img size
	image_get default || { skip "errors: truncated images" "$IMAGE_WHY"; return; }
	for size in 66K 1M 24M 31M 100M; do
		img=$(scratch_copy "truncated-$size" "${IMAGE_DEVS[0]}")
		truncate -s "$size" "$img"
		compare_failure "dump-tree: image truncated to $size" "" \
			inspect-internal dump-tree "$img"
		compare_failure "dump-tree -t fs: image truncated to $size" "" \
			inspect-internal dump-tree -t fs "$img"
		compare_failure "dump-super -a: image truncated to $size" "" \
			inspect-internal dump-super -a "$img"
	done
	compare_output "dump-super -f: image truncated to 100M" \
		inspect-internal dump-super -f "$ERR_DIR/truncated-100M.img"
}

bad_super() {
	local img
	image_get default || { skip "errors: damaged superblocks" "$IMAGE_WHY"; return; }
	img=$(scratch_copy garbage-super "${IMAGE_DEVS[0]}")
	garbage_bytes 4096 7 | overwrite "$img" 65536
	dump_all "garbage superblock" "$img" ""
	compare_output "dump-super -s 1: garbage primary superblock" \
		inspect-internal dump-super -s 1 "$img"
	img=$(scratch_copy garbage-after-magic "${IMAGE_DEVS[0]}")
	garbage_bytes 3000 8 | overwrite "$img" $((65536 + 72))
	dump_all "garbage after the superblock magic" "$img" ""
	img=$(scratch_copy super-csum "${IMAGE_DEVS[0]}")
	printf '\x55' | overwrite "$img" $((65536 + 0x48))
	compare_output "dump-super: superblock checksum mismatch" \
		inspect-internal dump-super "$img"
	compare_output "dump-super -f -a: superblock checksum mismatch" \
		inspect-internal dump-super -f -a "$img"
	compare_failure "dump-tree: superblock checksum mismatch" "" \
		inspect-internal dump-tree "$img"
}

# bad_blocks IMAGE: corrupted tree blocks of a one-device image.
bad_blocks() {
	local name=$1 src img root chunk leaf
	image_get "$name" || { skip "errors: corrupted blocks of $name" "$IMAGE_WHY"; return; }
	src=${IMAGE_DEVS[0]}
	root=$(stock_super_field "$src" root)
	chunk=$(stock_super_field "$src" chunk_root)
	leaf=$(stock_blocks -t extent "$src" | awk '$1 == "leaf" { print $2; exit }')

	img=$(scratch_copy "$name-leaf" "$src")
	corrupt_block "$img" "$leaf"
	compare_failure "dump-tree: $name extent leaf $leaf corrupted" "$leaf" \
		inspect-internal dump-tree "$img"
	compare_failure "dump-tree -t extent: $name extent leaf $leaf corrupted" "$leaf" \
		inspect-internal dump-tree -t extent "$img"
	compare_failure "dump-tree -b: $name extent leaf $leaf corrupted" "$leaf" \
		inspect-internal dump-tree -b "$leaf" "$img"

	img=$(scratch_copy "$name-mirror" "$src")
	corrupt_block "$img" "$leaf" 1
	compare_output "dump-tree: $name extent leaf corrupted on one mirror" \
		inspect-internal dump-tree "$img"
	compare_output "dump-tree -b: $name extent leaf corrupted on one mirror" \
		inspect-internal dump-tree -b "$leaf" "$img"

	img=$(scratch_copy "$name-root" "$src")
	corrupt_block "$img" "$root"
	compare_failure "dump-tree: $name root tree $root corrupted" "$root" \
		inspect-internal dump-tree "$img"

	img=$(scratch_copy "$name-chunk" "$src")
	corrupt_block "$img" "$chunk"
	compare_failure "dump-tree: $name chunk root $chunk corrupted" "$chunk" \
		inspect-internal dump-tree "$img"
	misplaced_block "$name" "$src"
}

# misplaced_block NAME SRC: a valid block copied over another one, so its
# checksum is right but its bytenr is not.
misplaced_block() {
	local name=$1 src=$2 img from to phys tphys size
	from=$(stock_blocks -t fs "$src" | awk '{ print $2; exit }')
	to=$(stock_blocks -t csum "$src" | awk '{ print $2; exit }')
	size=$(stock_super_field "$src" nodesize)
	img=$(scratch_copy "$name-misplaced" "$src")
	read -r _ phys < <(stock_physical "$src" "$from")
	while read -r _ tphys; do
		dd if="$src" bs="$size" skip=$((phys / size)) count=1 status=none |
			overwrite "$img" "$tphys"
	done < <(stock_physical "$src" "$to")
	compare_failure "dump-tree -t csum: $name block $from copied over $to" "$to" \
		inspect-internal dump-tree -t csum "$img"
}

# kernel_blocks: a node and a leaf in the middle of a kernel-written fs tree.
kernel_blocks() {
	local src img node leaf
	image_get kernel || { skip "errors: corrupted kernel fs tree" "$IMAGE_WHY"; return; }
	src=${IMAGE_DEVS[0]}
	node=$(stock_blocks -t fs "$src" | awk '$1 == "node" { print $2; exit }')
	leaf=$(stock_blocks -t fs "$src" | awk '$1 == "leaf" { b[n++] = $2 } END { print b[int(n / 2)] }')
	img=$(scratch_copy kernel-leaf "$src")
	corrupt_block "$img" "$leaf"
	compare_failure "dump-tree -t fs: kernel fs leaf corrupted" "$leaf" \
		inspect-internal dump-tree -t fs "$img"
	compare_failure "dump-tree: kernel fs leaf corrupted" "$leaf" \
		inspect-internal dump-tree "$img"
	compare_failure "dump-tree --dfs: kernel fs leaf corrupted" "$leaf" \
		inspect-internal dump-tree --dfs "$img"
	[ -n "$node" ] || return
	img=$(scratch_copy kernel-node "$src")
	corrupt_block "$img" "$node"
	compare_failure "dump-tree -t fs: kernel fs node corrupted" "$node" \
		inspect-internal dump-tree -t fs "$img"
	compare_failure "dump-tree -b --follow: kernel fs node corrupted" "$node" \
		inspect-internal dump-tree -b "$node" --follow "$img"
}

bad_usage() {
	local img data
	image_get default || { skip "errors: bad usage" "$IMAGE_WHY"; return; }
	img=${IMAGE_DEVS[0]}
	compare_output "dump-tree: no device" inspect-internal dump-tree
	compare_output "dump-tree -t: no argument" inspect-internal dump-tree "$img" -t
	compare_output "dump-tree --bogus" inspect-internal dump-tree --bogus "$img"
	compare_output "dump-tree --follow without -b" inspect-internal dump-tree --follow "$img"
	compare_output "dump-tree -b abc" inspect-internal dump-tree -b abc "$img"
	compare_output "dump-tree -b -1" inspect-internal dump-tree -b -1 "$img"
	compare_output "dump-tree -e -d" inspect-internal dump-tree -e -d "$img"
	compare_output "dump-tree -t fs -b" inspect-internal dump-tree -t fs -b \
		"$(stock_super_field "$img" root)" "$img"
	compare_output "dump-tree --bfs --dfs" inspect-internal dump-tree --bfs --dfs "$img"
	compare_failure "dump-tree -b 4096: not a tree block" "4096" \
		inspect-internal dump-tree -b 4096 "$img"
	compare_failure "dump-tree -b 1: unaligned" "" \
		inspect-internal dump-tree -b 1 "$img"
	compare_failure "dump-tree -b past the end" "" \
		inspect-internal dump-tree -b 1099511627776 "$img"
	compare_output "dump-super: no device" inspect-internal dump-super
	compare_output "dump-super --bogus" inspect-internal dump-super --bogus "$img"
	compare_output "dump-super -s 3" inspect-internal dump-super -s 3 "$img"
	compare_output "dump-super -s abc" inspect-internal dump-super -s abc "$img"
	compare_output "dump-super -s 65536" inspect-internal dump-super -s 65536 "$img"
	compare_output "dump-super -s 67108864" inspect-internal dump-super -s 67108864 "$img"
	compare_output "dump-super -s 12345" inspect-internal dump-super -s 12345 "$img"
	compare_output "dump-super -a -s 1" inspect-internal dump-super -a -s 1 "$img"
	image_get kernel || return
	data=$("$STOCK_BTRFS" inspect-internal dump-tree -t fs "${IMAGE_DEVS[0]}" |
		awk '$1 == "extent" && $3 == "disk" && $5 > 0 { print $5; exit }')
	compare_failure "dump-tree -b: a data extent" "" \
		inspect-internal dump-tree -b "$data" "${IMAGE_DEVS[0]}"
}

not_btrfs
truncated
bad_super
bad_blocks default
bad_blocks nodesize-64k
kernel_blocks
bad_usage
test_done
