# SPDX-License-Identifier: GPL-2.0-only
#
# What the offline scrub must read, worked out from stock btrfs-progs
# output alone: input is stock `dump-tree -t chunk`, a line "=== extent",
# stock `dump-tree -t extent`, a line "=== super", stock `dump-super`.
# Prints "TREE_BYTES DATA_BYTES DATA_EXTENTS": every tree block and data
# extent times the copies of its chunk (DUP and RAID1*: every stripe,
# RAID10: sub_stripes, others: one; RAID5/6 parity is not read).
function copies(l,   i) {
	for (i = 1; i <= n; i++)
		if (l >= cl[i] && l < cl[i] + clen[i])
			return cc[i]
	return 0
}
/^=== extent/ { part = "extent"; next }
/^=== super/ { part = "super"; next }
part == "" && /CHUNK_ITEM/ { c = $6; sub(/\)/, "", c); n++; cl[n] = c + 0 }
part == "" && /^\t\tlength / { clen[n] = $2 + 0; prof = $8 }
part == "" && /num_stripes/ {
	if (prof ~ /RAID10/)
		cc[n] = $4 + 0
	else if (prof ~ /DUP|RAID1/)
		cc[n] = $2 + 0
	else
		cc[n] = 1
}
part == "extent" && $1 == "item" && ($5 == "METADATA_ITEM" || $5 == "EXTENT_ITEM") {
	key = $4; sub(/\(/, "", key); key += 0
	len = $6; sub(/\)/, "", len); len += 0
	kind = $5
	next
}
part == "extent" && /flags TREE_BLOCK/ && kind != "" { tb[key] = 1; kind = ""; next }
part == "extent" && /flags DATA/ && kind == "EXTENT_ITEM" {
	data += len * copies(key); dext += copies(key); kind = ""
}
part == "super" && $1 == "nodesize" { ns = $2 }
END {
	for (b in tb)
		tree += ns * copies(b + 0)
	printf "%d %d %d\n", tree, data, dext
}
