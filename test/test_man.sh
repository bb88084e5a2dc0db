#!/bin/sh
# SPDX-License-Identifier: MIT
# test_man.sh - every public function has a page, every page lints clean,
# every EXAMPLES program compiles
B=${B:-build}
failed=0
. test/fixtures.sh		# wait_for
ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

for f in $(grep -oE '\bshmseg_[a-z0-9_]+[[:space:]]*\(' include/shmseg.h |
	   tr -d ' (' | sort -u); do
	[ -f "man/$f.3" ] && ok "man page for $f" || nok "no man/$f.3"
done

# man -M man reads the pages of the source tree: each one is linked from
# the directory of its section.
unlinked=""
for f in man/*.[135]; do
	p=${f#man/}
	[ -e "man/man${p##*.}/$p" ] || unlinked="$unlinked $p"
done
[ -z "$unlinked" ] && ok "every page is linked from man/manN for man -M man" ||
	nok "pages not linked from man/manN:$unlinked"

# shmseg(3) states the version macros: the header's, not an old one.
v=$(sed -n 's/^#define SHMSEG_VERSION "\(.*\)"$/\1/p' include/shmseg.h)
nums=$(echo "$v" | sed 's/\([0-9]*\)\.\([0-9]*\)\.\([0-9]*\)/(\1, \2 and \3)/')
grep -qF "\\(dq$v\\(dq" man/shmseg.3 && grep -qF "$nums" man/shmseg.3 &&
	ok "shmseg(3) states version $v" || nok "shmseg(3) does not state version $v $nums"

# groff, which man uses, warns of what mandoc lets pass (a table wider
# than the line): every page renders without a warning at 80 and 60
# columns, as man shows it.
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
	warned=""
	for page in man/*.[135]; do
		[ -L "$page" ] && continue
		for w in 80 60; do
			out=$(MANWIDTH=$w man --warnings -l "$page" 2>&1 >/dev/null)
			[ -z "$out" ] || warned="$warned
$page at $w columns: $out"
		done
	done
	[ -z "$warned" ] && ok "man renders every page without a warning at 80 and 60 columns" ||
		nok "groff warnings:$warned"
else
	echo "SKIP: groff warnings: no man or groff (apt-get install man-db)"
fi

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
# The SECURITY snippet of shmseg(3) is, line for line, code that
# check_xproc.c runs (squatted_name_is_refused_by_owner).
missing=$(awk '/^\.SH SECURITY/,/^\.SH EXAMPLES/' man/shmseg.3 |
	awk '/^\.EX/ { f = 1; next } /^\.EE/ { f = 0 } f && NF' |
	sed -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" -e 's/^[[:space:]]*//' |
	while IFS= read -r line; do
		grep -qF -- "$line" test/check_xproc.c || printf '%s\n' "$line"
	done)
[ -z "$missing" ] && ok "shmseg(3) SECURITY snippet is the code check_xproc runs" ||
	nok "shmseg(3) SECURITY snippet lines not in check_xproc.c: $missing"

# The Python reader of shmseg(5), as printed, reads a sealed segment and
# refuses a building one: what a third\-party implementer starts from.
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	awk '/^import ast, mmap/,/^\.EE/' man/shmseg.5 | grep -v '^\.EE' |
		sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
		    -e 's/\\(dq/"/g' -e 's/\\&//g' >"$tmp/attach.py"
	seg=shmseg-m$$-ex
	"$B/test/helper" make "$seg" '<f8' C 3x4 >/dev/null
	got=$(/usr/bin/python3 "$tmp/attach.py" "$seg" 2>&1 | head -n 1)
	rm -f "/dev/shm/$seg"
	mkfifo "$tmp/hold"
	"$B/test/helper" build "$seg" <"$tmp/hold" >"$tmp/build" &
	exec 9>"$tmp/hold"
	wait_for "$tmp/build" rc=0
	building=$(/usr/bin/python3 "$tmp/attach.py" "$seg" 2>&1 | tail -n 1)
	exec 9>&-
	wait
	rm -f "/dev/shm/$seg"
	[ "$got" = "float64 (3, 4) (32, 8)" ] &&
	[ "$building" = "BlockingIOError: not sealed yet, try again" ] &&
		ok "shmseg(5) Python reader reads a sealed segment, refuses a building one" ||
		nok "shmseg(5) Python reader: sealed '$got', building '$building'"
	# A record of format 0004, as in the worked example.
	head -c 48 /dev/zero | "$B/shmctl" create "$seg" --raw - --shape 2 \
		--dtype "[('ts', '<M8[ns]'), ('price', '<f8'), ('qty', '<i4'), ('', '|V4')]"
	got=$(/usr/bin/python3 "$tmp/attach.py" "$seg" 2>&1 | head -n 1)
	rm -f "/dev/shm/$seg"
	want="{'names': ['ts', 'price', 'qty'], 'formats': ['<M8[ns]', '<f8', '<i4'], 'offsets': [0, 8, 16], 'itemsize': 24} (2,) (24,)"
	[ "$got" = "$want" ] &&
		ok "shmseg(5) Python reader reads a record segment of format 0004" ||
		nok "shmseg(5) Python reader, record: '$got'"
else
	echo "SKIP: shmseg(5) Python reader: no numpy"
fi
exit $failed
