#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The include lines keep to the layers (scripts/check-layering.sh): the
# tree passes, and a scratch copy of it with one planted violation per rule
# fails with exactly those violations reported.

# shellcheck source=tests/common.sh
. "$(dirname "$0")/../common.sh"
# Needs neither stock btrfs-progs nor a build: no test_init.
TEST_NAME=layering
work_init

CHECKER=$TEST_TOP/scripts/check-layering.sh
out=$TEST_OUT_DIR/layering
mkdir -p "$out"

if "$CHECKER" "$TEST_TOP" > "$out/tree.txt" 2>&1; then
	pass "layering: the tree"
else
	fail "layering: the tree" "$(wc -l < "$out/tree.txt") violations" "$out/tree.txt"
fi

# plant FILE INCLUDE: a source file of the scratch tree with one include.
plant() {
	mkdir -p "$(dirname "$scratch/$1")"
	printf '// SPDX-License-Identifier: GPL-2.0-only\n#include <stdio.h>\n#include %s\n' \
		"$2" > "$scratch/$1"
}

scratch=$TEST_WORKDIR/layering
rm -rf "$scratch"
mkdir -p "$scratch"
(cd "$TEST_TOP" && find kernel-shared libbtrfs common mkfs check cmds btrfs.c \
	-name '*.[ch]' -print0 | xargs -0 cp --parents -t "$scratch")

# Each of these breaks one rule and must be reported (file:line 3).
bad=(
	'kernel-shared/planted.c|"common/messages.h"'
	'kernel-shared/planted.h|<cmds/commands.h>'
	'libbtrfs/planted.c|"common/utils.h"'
	'common/planted.h|"cmds/commands.h"'
	'mkfs/planted.c|"check/check.h"'
	'cmds/planted.c|"libbtrfs/internal.h"'
	'check/planted.c|"../cmds/scrub.h"'
	'check/planted2.c|"mkfs/mkfs.h"'
)
# These keep to the rules and must not be.
good=(
	'mkfs/fine.c|"libbtrfs/btrfs-dax.h"'
	'cmds/fine.c|"kernel-shared/ctree.h"'
	'check/fine.c|"walk.h"'
	'libbtrfs/fine.c|"btrfs-dax.h"'
	'common/fine.c|"../kernel-shared/ondisk.h"'
	'tests/unit/fine.c|"check/walk.h"'
)
for entry in "${bad[@]}" "${good[@]}"; do
	plant "${entry%%|*}" "${entry#*|}"
done

"$CHECKER" "$scratch" > "$out/planted.txt" 2>&1
rc=$?
if [ "$rc" -eq 1 ]; then
	pass "layering: planted violations fail the check"
else
	fail "layering: planted violations fail the check" "exit status $rc" "$out/planted.txt"
fi
for entry in "${bad[@]}"; do
	if grep -q "^${entry%%|*}:3: " "$out/planted.txt"; then
		pass "layering: caught ${entry%%|*} including ${entry#*|}"
	else
		fail "layering: caught ${entry%%|*} including ${entry#*|}" "not reported" \
			"$out/planted.txt"
	fi
done
n=$(wc -l < "$out/planted.txt")
if [ "$n" -eq "${#bad[@]}" ]; then
	pass "layering: nothing else reported"
else
	fail "layering: nothing else reported" "$n lines for ${#bad[@]} violations" \
		"$out/planted.txt"
fi
rm -rf "$scratch"
test_done
