#!/bin/sh
# SPDX-License-Identifier: MIT
# layers.sh - checks that the library's files call only downward, as the
# table in lib/internal.h draws them (its lines that start " * @"), on the
# built objects and on the sources' includes:
#   - a file calls, and includes the header of, only files on lines above
#     its own, or itself; so does the header of each file (lib/X.h is
#     X.c's, lib/os.h the OS layer's);
#   - a pure file calls nothing in the C library but functions that make
#     no system call (PURE_LIBC below);
#   - the OS layer calls nothing of the pure files (it knows nothing of the
#     format), and no pure file calls the OS layer;
#   - every lib/*.c is in the table.
# usage: sh test/layers.sh BUILD_DIR [TABLE]; prints one line per finding
# and exits 1 if there is any. make lint runs it. LIB names the source
# directory (lib), for test_build.sh to try it on a doctored copy.
B=${1:-build}
LIB=${LIB:-lib}
TABLE=${2:-$LIB/internal.h}

# What a pure module may call: copying, comparing and formatting in memory,
# and their fortified forms; pthread_once, for the CRC table (a futex only
# when threads race to the first checksum); what a sanitizer adds.
PURE_LIBC='^(__)?(mem(cpy|move|set|cmp|chr)|str(chr|rchr|cmp|ncmp|len|nlen)|v?snprintf)(_chk)?$|^(pthread_once|__stack_chk_fail|__(a|ub)san_[a-z0-9_]+|__sanitizer_[a-z0-9_]+)$'

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
for src in "$LIB"/*.c; do
	f=${src#"$LIB"/}
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
		echo "layers: no object for lib/$f (build it first)" >&2
		echo "X"
		continue
	fi
	nm -g --defined-only "$o" | awk -v f="$f" 'NF == 3 { print "D", f, $3 }'
	nm -u "$o" | awk -v f="$f" '{ print "U", f, $NF }'
	# Includes of the library's own headers, as "I file header".
	sed -n 's/^#include "\(.*\)".*/\1/p' "$LIB/$f" |
		awk -v f="$f" '{ print "I", f, $1 }'
done <"$tmp/table" >"$tmp/syms"
grep -q '^X$' "$tmp/syms" && fail=1
# The headers' includes, as their owners': "H header included".
for h in "$LIB"/*.h; do
	sed -n 's/^#include "\(.*\)".*/\1/p' "$h" |
		awk -v h="${h#"$LIB"/}" '{ print "H", h, $1 }'
done >>"$tmp/syms"

awk -v pure_libc="$PURE_LIBC" '
FILENAME == ARGV[1] { line[$1] = $2; group[$1] = $3; next }
$1 == "D" { def[$3] = $2; next }
$1 == "U" { use[++nu] = $2 " " $3; next }
$1 == "I" { inc[++ni] = $2 " " $3; next }
$1 == "H" { hinc[++nh] = $2 " " $3; next }
function bad(msg) { print "layers: " msg; failed = 1 }
# The file a header belongs to: X.h to X.c, os.h to the first file of the
# OS layer (all of which share it); "" for one of no file.
function owner_of(h,    o, g) {
	if (h == "os.h") {
		o = ""
		for (g in group)
			if (group[g] == "os" && (o == "" || line[g] < line[o]))
				o = g
		return o
	}
	o = h; sub(/\.h$/, ".c", o)
	return (o in line) ? o : ""
}
# May file f include header h?
function may_include(f, h,    o) {
	if (h == "internal.h" || h == "shmseg.h")
		return 1
	if (h == "os.h" && group[f] == "os")
		return 1
	o = owner_of(h)
	if (o == "") {
		bad(f " includes " h ", the header of no file in the table")
		return 1
	}
	return allowed(f, o)
}
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
		if (!may_include(u[1], u[2]))
			bad(u[1] " includes " u[2] " (of " owner_of(u[2]) \
			    ", layer " line[owner_of(u[2])] ", not below " \
			    line[u[1]] " " group[u[1]] ")")
	}
	for (i = 1; i <= nh; i++) {
		split(hinc[i], u, " ")
		if (u[1] == "internal.h") {
			if (u[2] != "shmseg.h")
				bad("internal.h includes " u[2])
			continue
		}
		f = owner_of(u[1])
		if (f == "")
			bad("lib/" u[1] " is the header of no file in the table")
		else if (!may_include(f, u[2]))
			bad(u[1] " includes " u[2] " (of " owner_of(u[2]) \
			    ", not below " f ")")
	}
	exit failed
}' "$tmp/table" "$tmp/syms" || fail=1

[ $fail -eq 0 ] && echo "layers: $(wc -l <"$tmp/table") files, every call and include downward"
exit $fail
