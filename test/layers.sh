#!/bin/sh
# SPDX-License-Identifier: MIT
# layers.sh - checks that the library's files call only downward, as the
# table in lib/internal.h draws them (its lines that start " * @"), on the
# built objects and on the sources' includes:
#   - a file calls, and includes the header of, only files on lines above
#     its own, or itself;
#   - a pure file calls nothing in the C library but functions that make
#     no system call (PURE_LIBC below);
#   - the OS layer calls nothing of the pure files (it knows nothing of the
#     format), and no pure file calls the OS layer;
#   - every lib/*.c is in the table.
# usage: sh test/layers.sh BUILD_DIR [TABLE]; prints one line per finding
# and exits 1 if there is any. make lint runs it.
B=${1:-build}
TABLE=${2:-lib/internal.h}

# What a pure module may call: copying, comparing and formatting in memory;
# pthread_once for the CRC table; what a compiler or sanitizer adds.
PURE_LIBC='^(mem(cpy|move|set|cmp|chr)|str(chr|rchr|cmp|ncmp|len|nlen|error)|v?snprintf|pthread_once|__stack_chk_fail|__[a-z0-9_]+_chk|__(a|ub)san_[a-z0-9_]+|__sanitizer_[a-z0-9_]+)$'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# line group file..., one row a file: "file line group"
sed -n 's/^ \* @\([a-z]*\)[[:space:]]\{1,\}\(.*\)$/\1 \2/p' "$TABLE" | awk '
	{ n++; for (i = 2; i <= NF && $i ~ /\.c$/; i++) print $i, n, $1 }
' >"$tmp/table"
if [ ! -s "$tmp/table" ]; then
	echo "layers: no table in $TABLE"
	exit 1
fi

fail=0
for src in lib/*.c; do
	f=${src#lib/}
	grep -q "^$f " "$tmp/table" || {
		echo "layers: $src is in no layer of $TABLE"
		fail=1
	}
done

# Symbols: "D file symbol" for what a file defines, "U file symbol" for
# what it needs. Objects are in $B/lib, the portable OS file in $B/portable.
while read -r f line group; do
	o=$B/lib/${f%.c}.o
	[ -f "$o" ] || o=$B/portable/${f%.c}.o
	if [ ! -f "$o" ]; then
		echo "layers: no object for lib/$f (build it first)"
		fail=1
		continue
	fi
	nm -g --defined-only "$o" | awk -v f="$f" 'NF == 3 { print "D", f, $3 }'
	nm -u "$o" | awk -v f="$f" '{ print "U", f, $NF }'
	# Includes of the library's own headers, as "I file header".
	sed -n 's/^#include "\(.*\)".*/\1/p' "lib/$f" |
		awk -v f="$f" '{ print "I", f, $1 }'
done <"$tmp/table" >"$tmp/syms"

awk -v pure_libc="$PURE_LIBC" '
FILENAME == ARGV[1] { line[$1] = $2; group[$1] = $3; next }
$1 == "D" { def[$3] = $2; next }
$1 == "U" { use[++nu] = $2 " " $3; next }
$1 == "I" { inc[++ni] = $2 " " $3; next }
function bad(msg) { print "layers: " msg; failed = 1 }
# May file a (caller) reach file b (callee)?
function allowed(a, b) {
	if (a == b)
		return 1
	if (line[b] >= line[a])
		return 0
	if (group[a] == "os" && group[b] != "os")
		return 0
	if (group[a] == "pure" && group[b] != "pure")
		return 0
	return 1
}
END {
	for (i = 1; i <= nu; i++) {
		split(use[i], u, " ")
		f = u[1]; s = u[2]
		if (s in def) {
			if (!allowed(f, def[s]))
				bad(f " calls " s " of " def[s] \
				    " (layer " line[def[s]] " " group[def[s]] \
				    ", not below " line[f] " " group[f] ")")
		} else if (group[f] == "pure" && s !~ pure_libc) {
			bad(f " is pure but calls " s " of the C library")
		}
	}
	for (i = 1; i <= ni; i++) {
		split(inc[i], u, " ")
		f = u[1]; h = u[2]
		if (h == "internal.h" || h == "shmseg.h")
			continue
		owner = h; sub(/\.h$/, ".c", owner)
		if (h == "os.h") {
			# the header of the OS layer: its first file stands
			# for it
			owner = ""
			for (g in group)
				if (group[g] == "os" && (owner == "" ||
				    line[g] < line[owner]))
					owner = g
			if (group[f] == "os")
				continue
		}
		if (!(owner in line))
			bad(f " includes " h ", the header of no file in the table")
		else if (!allowed(f, owner))
			bad(f " includes " h " (layer " line[owner] " " \
			    group[owner] ", not below " line[f] " " group[f] ")")
	}
	exit failed
}' "$tmp/table" "$tmp/syms" || fail=1

[ $fail -eq 0 ] && echo "layers: $(wc -l <"$tmp/table") files, every call and include downward"
exit $fail
