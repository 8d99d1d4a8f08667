# SPDX-License-Identifier: GPL-2.0-only
# shellcheck shell=bash
#
# What the bench scripts share.  Sourced after a script has set its
# variables: $tmp (a directory to remove, or empty), $mnt (a mount point to
# unmount, or empty) and $loop (a loop device to detach, or empty); a
# script with several loop devices defines detach() instead.

die() {
	echo "bench: $*" >&2
	exit 1
}

# shellcheck disable=SC2317  # called through the EXIT trap
bench_cleanup() {
	[ -n "${mnt:-}" ] && umount "$mnt" 2>/dev/null
	if declare -F detach > /dev/null; then
		detach
	elif [ -n "${loop:-}" ]; then
		losetup -d "$loop" 2>/dev/null
	fi
	[ -n "${tmp:-}" ] && rm -rf --one-file-system "$tmp"
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

drop_caches() {
	sync
	echo 3 > /proc/sys/vm/drop_caches
}

# elapsed CMD...: runs CMD (output in $tmp/out, $tmp/err), prints the wall
# time in seconds.
elapsed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" > "$tmp/out" 2> "$tmp/err" || echo "bench: '$*' failed: $(head -1 "$tmp/err")" >&2
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}

# scrubbed_bytes FILE: data and tree bytes a `scrub start -R` output counts.
scrubbed_bytes() {
	awk '$1 == "data_bytes_scrubbed:" { d = $2 } $1 == "tree_bytes_scrubbed:" { t = $2 }
	     END { print d + t }' "$1"
}

# mbps BYTES SECONDS
mbps() { echo "$1 / $2 / 1000000" | bc -l; }
