#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Checks that #include lines keep to the layers of the tree:
#
#   kernel-shared/   kernel-shared/ (and system headers)
#   libbtrfs/        kernel-shared/, libbtrfs/
#   common/          kernel-shared/, common/
#   mkfs/ check/ cmds/ and the top-level btrfs.c (front ends):
#                    kernel-shared/, common/, their own directory,
#                    libbtrfs/btrfs-dax.h (the public API only)
#   tests/ bench/    anything
#
# So no front end reads another's private headers, common/ never depends on
# a front end, and the engine and the library stand on their own.
#
#   scripts/check-layering.sh [TOP]
#
# Prints one line "file:line: includes 'x': rule" per violation and exits 1
# when there is any; TOP defaults to the tree this script is in.

set -u
top=${1:-$(cd "$(dirname "$0")/.." && pwd)}
LAYERS="kernel-shared libbtrfs common mkfs check cmds tests bench"

# allowed LAYER TARGET: may a file of LAYER include TARGET (a path from top)?
allowed() {
	local layer=$1 target=$2 dir=${2%%/*}
	case "$layer" in
	tests | bench) return 0 ;;
	kernel-shared) [ "$dir" = kernel-shared ] ;;
	libbtrfs) [ "$dir" = kernel-shared ] || [ "$dir" = libbtrfs ] ;;
	common) [ "$dir" = kernel-shared ] || [ "$dir" = common ] ;;
	*)
		[ "$dir" = kernel-shared ] || [ "$dir" = common ] ||
			[ "$dir" = "$layer" ] || [ "$target" = libbtrfs/btrfs-dax.h ]
		;;
	esac
}

# rule LAYER: the rule as printed with a violation.
rule() {
	case "$1" in
	kernel-shared) echo "kernel-shared/ includes only kernel-shared/" ;;
	libbtrfs) echo "libbtrfs/ includes only kernel-shared/ and libbtrfs/" ;;
	common) echo "common/ includes only kernel-shared/ and common/" ;;
	*) echo "front end $1 includes only kernel-shared/, common/, its own directory and libbtrfs/btrfs-dax.h" ;;
	esac
}

# resolve FILE INC QUOTED: the included path relative to top, or "" for a
# system header.
resolve() {
	local file=$1 inc=$2 quoted=$3 dir path part out=()
	dir=$(dirname "$file")
	if [ "$quoted" = 1 ] && { [ "${inc#*/}" = "$inc" ] ||
		[ "${inc#../}" != "$inc" ] || [ "${inc#./}" != "$inc" ]; }; then
		path="$dir/$inc"	# relative to the including file
	else
		path=$inc		# relative to -I. (top)
	fi
	IFS=/ read -r -a parts <<< "$path"
	for part in "${parts[@]}"; do
		case "$part" in
		. | "") ;;
		..) [ "${#out[@]}" -gt 0 ] && unset 'out[${#out[@]}-1]' ;;
		*) out+=("$part") ;;
		esac
	done
	path=$(IFS=/; echo "${out[*]}")
	# A system header unless it names a file of the tree's layers.
	case " $LAYERS " in
	*" ${path%%/*} "*) echo "$path" ;;
	*) [ "$quoted" = 1 ] && [ "${path#*/}" = "$path" ] && [ -e "$top/$path" ] &&
		echo "$path" ;;
	esac
}

INCLUDE_RE='^[[:space:]]*#[[:space:]]*include[[:space:]]*([<"])([^>"]+)[>"]'
violations=0
cd "$top" || exit 2
while IFS= read -r file; do
	layer=${file%%/*}
	[ "$layer" = "$file" ] && layer=cmds	# btrfs.c: the cmds front end
	while IFS=: read -r line text; do
		[[ "$text" =~ $INCLUDE_RE ]] || continue
		inc=${BASH_REMATCH[2]}
		quoted=0
		[ "${BASH_REMATCH[1]}" = '"' ] && quoted=1
		target=$(resolve "$file" "$inc" "$quoted")
		[ -n "$target" ] || continue
		allowed "$layer" "$target" && continue
		echo "$file:$line: includes '$inc': $(rule "$layer")"
		violations=$((violations + 1))
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include' "$file")
done < <(find . -name '*.[ch]' -not -path './.git/*' | sed 's|^\./||' | sort)
[ "$violations" -eq 0 ] || exit 1
exit 0
