#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man.sh - every public function has a page, every page lints clean,
# every EXAMPLES program compiles
B=${B:-build}
failed=0
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

for f in $(grep -oE '\bshmseg_[a-z0-9_]+[[:space:]]*\(' include/shmseg.h |
	   tr -d ' (' | sort -u); do
	[ -f "man/$f.3" ] && ok "man page for $f" || nok "no man/$f.3"
done

lint=$(mandoc -Tlint -W warning man/*.[135] 2>&1)
[ -z "$lint" ] && ok "mandoc -Tlint is clean" || nok "mandoc -Tlint: $lint"

# Each page's EXAMPLES program, as roff prints it, must compile and link.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for page in man/*.3; do
	[ -L "$page" ] && continue	# an alias of another page
	awk '/^\.SH EXAMPLES/ { ex = 1 } /^\.SH / && !/EXAMPLES/ { ex = 0 }
	     ex && /^\.EE/ { code = 0 } ex && code { print }
	     ex && /^\.EX/ { code = 1 }' "$page" |
		sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
		    -e 's/\\(dq/"/g' -e 's/\\&//g' >"$tmp/ex.c"
	if ! [ -s "$tmp/ex.c" ]; then
		nok "$page has no EXAMPLES program"
	elif cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -Iinclude \
		-o "$tmp/ex" "$tmp/ex.c" "$B/libshmseg.a" -luuid -pthread \
		2>"$tmp/err"; then
		ok "$page EXAMPLES program compiles"
	else
		nok "$page EXAMPLES program does not compile: $(head -5 "$tmp/err")"
	fi
done
exit $failed
