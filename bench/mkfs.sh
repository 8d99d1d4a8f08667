#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Wall time and peak memory of our mkfs.btrfs against stock mkfs.btrfs on
# the same sparse images, in one run:
#
#   bash bench/mkfs.sh [runs]
#
# Each tool formats a 1 GiB and a 1 TiB sparse image, and four 256 GiB
# images with RAID10, 'runs' times (default 5); the table shows the median
# wall time and the largest peak RSS.
# BENCH_TMPDIR (default /var/tmp) must hold sparse files.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
ours=${MKFS:-$top/mkfs.btrfs}
stock=${STOCK_MKFS:-/usr/sbin/mkfs.btrfs}
runs=${1:-5}
dir=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/mkfs-bench.XXXXXX")
trap 'rm -rf "$dir"' EXIT

for tool in "$ours" "$stock" /usr/bin/time; do
	if [ ! -x "$tool" ]; then
		echo "missing $tool" >&2
		exit 1
	fi
done

# Prints "<median seconds> <median ms> <max KiB>" over the runs.  time(1)
# reports hundredths of a second, too coarse for mkfs, so the
# milliseconds come from the clock around the same command.
measure() {
	local tool=$1 size=$2 ndev=$3 opts=$4 i d t0 t1
	local imgs=()

	for ((d = 0; d < ndev; d++)); do
		imgs+=("$dir/img$d")
	done
	: >"$dir/times"
	for ((i = 0; i < runs; i++)); do
		rm -f "${imgs[@]}"
		truncate -s "$size" "${imgs[@]}"
		t0=$(date +%s%N)
		# shellcheck disable=SC2086
		/usr/bin/time -o "$dir/one" -f '%e %M' "$tool" -q -f $opts "${imgs[@]}" \
			>/dev/null 2>&1
		t1=$(date +%s%N)
		echo "$(cat "$dir/one") $(((t1 - t0) / 1000))" >>"$dir/times"
	done
	awk -v n="$runs" '
		{ t[NR] = $1; us[NR] = $3; if ($2 > m) m = $2 }
		END {
			asort_n(t, n); asort_n(us, n)
			mid = int((n + 1) / 2)
			printf "%.2f %.1f %d\n", t[mid], us[mid] / 1000, m
		}
		function asort_n(a, k,   i, j, x) {
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
					x = a[j]; a[j] = a[j - 1]; a[j - 1] = x
				}
		}' "$dir/times"
}

printf '%-16s %-6s %9s %9s %15s\n' devices tool "time (s)" "wall (ms)" "peak RSS (KiB)"
for spec in 1G:1: 1T:1: 256G:4:-m_raid10_-d_raid10; do
	IFS=: read -r size ndev opts <<<"$spec"
	opts=${opts//_/ }
	label="${ndev}x$size${opts:+ raid10}"
	for name in ours stock; do
		if [ "$name" = ours ]; then tool=$ours; else tool=$stock; fi
		read -r secs ms kib < <(measure "$tool" "$size" "$ndev" "$opts")
		printf '%-16s %-6s %9s %9s %15s\n' "$label" "$name" "$secs" "$ms" "$kib"
	done
done
