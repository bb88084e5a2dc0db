#!/bin/sh
# SPDX-License-Identifier: MIT
# test_shmctl.sh - the shmctl tool: every command, option and error path,
# checking output, messages and exit status
B=${B:-build}
S=$B/shmctl
P=shmseg-c$$-			# every name this test makes starts so
. test/scratch.sh		# $T, and cleanup of it and of $P* at exit
. test/fixtures.sh		# write_npy, in_private_shm, patch_header
PY=/usr/bin/python3
failed=0

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

# run CMD...: sets $out, $err and $rc
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# run_to_full CMD...: the same with standard output /dev/full ($out empty)
run_to_full() {
	"$@" >/dev/full 2>"$T/err"
	rc=$?
	out=
	err=$(cat "$T/err")
}

# expect DESC RC [STDERR-SUBSTRING]
expect() {
	if [ "$rc" -ne "$2" ]; then
		nok "$1: exit $rc, wanted $2 (stderr: $err)"
	elif [ -n "${3:-}" ] && ! printf '%s' "$err" | grep -qF -- "$3"; then
		nok "$1: stderr '$err' lacks '$3'"
	else
		ok "$1"
	fi
}

have_numpy() { [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; }

# nobody CMD...: run it as uid 65534 (root only)
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; }

# as_nobody_ok WHAT: whether uid 65534 can run $T/shmctl, a copy of $S where
# it can reach it (the build tree may be under /root); says SKIP if not.
as_nobody_ok() {
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "SKIP: $1: needs root and setpriv"
		return 1
	fi
	cp "$S" "$B/libshmseg.so.1" "$T/" 2>/dev/null
	chmod 755 "$T" "$T/shmctl"
	nobody "$T/shmctl" --version >/dev/null 2>&1 && return 0
	echo "SKIP: $1: uid 65534 cannot run $T/shmctl"
	return 1
}

test_write_errors() {
	if [ ! -w /dev/full ]; then
		echo "SKIP: write errors: no /dev/full"
		return
	fi
	write_npy "$T/a.npy"
	"$S" create "${P}full" --from "$T/a.npy"
	for c in "list" "list --json" "info ${P}full" "info --json ${P}full" \
		 "--help" "--version" "dump ${P}full -o -"; do
		# shellcheck disable=SC2086
		run_to_full "$S" $c
		expect "shmctl $c to a full device: exit 1" 1 \
			"No space left on device"
	done
	"$S" rm "${P}full"
}

# rm --stale removes every stale segment on the machine, so it is tried
# in a private /dev/shm: nobody else's segments are touched.
test_rm_stale_private() {
	in_private_shm test/stale_private.sh "$B" "rm --stale" || return
	printf '%s\n' "$out" | grep -q '^ok - rm --stale removed exactly' ||
		nok "rm --stale in a private /dev/shm did not finish"
}

test_replace_private() {
	in_private_shm test/replace_private.sh "$B" "create --replace" ||
		return
	printf '%s\n' "$out" | grep -q '^ok - 200 replaces' ||
		nok "create --replace in a private /dev/shm did not finish"
}

# create --replace: the name goes over to the new segment at its seal;
# what may not be replaced is refused with the reason, and left alone.
test_create_replace() {
	head -c 16 /dev/zero >"$T/z16"
	run "$S" create "${P}rp" --raw "$T/z16" --dtype '<u8' --shape 2 \
		--replace
	expect "create --replace of a name nothing has" 0
	run "$S" create "${P}rp" --raw "$T/z16" --dtype '<f8' --shape 2
	expect "create without --replace of a name taken" 1 "segment exists"
	run "$S" create "${P}rp" --raw "$T/z16" --dtype '<f8' --shape 2 \
		--replace
	expect "create --replace of a sealed segment of one's own" 0
	run "$S" info "${P}rp"
	printf '%s\n' "$out" | grep -q '^dtype: *<f8$' &&
		ok "the name has the new segment" || nok "after replace: $out"
	mkfifo "$T/rhold"
	"$B/test/helper" build "${P}rb" <"$T/rhold" >/dev/null &
	exec 8>"$T/rhold"	# keeps the builder alive
	i=0
	while [ ! -e "/dev/shm/${P}rb" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	run "$S" create "${P}rb" --raw "$T/z16" --dtype '<u8' --shape 2 \
		--replace
	expect "create --replace of a segment still building" 1 \
		"shmctl: create ${P}rb: segment is not sealed yet"
	exec 8>&-
	wait
	printf 'foreign' >"/dev/shm/${P}rf"
	run "$S" create "${P}rf" --raw "$T/z16" --dtype '<u8' --shape 2 \
		--replace
	expect "create --replace of a file that is no segment" 1 \
		"not a shmseg segment"
	[ "$(cat "/dev/shm/${P}rf")" = foreign ] &&
		ok "the file is left alone" || nok "the file was replaced"
	if as_nobody_ok "create --replace of another user's segment"; then
		run nobody "$T/shmctl" create "${P}rp" --raw "$T/z16" \
			--dtype '<u8' --shape 2 --replace
		expect "create --replace of another user's segment" 1 \
			"operation not permitted on this segment"
		run "$S" info "${P}rp"
		printf '%s\n' "$out" | grep -q '^dtype: *<f8$' &&
			ok "another user's replace leaves the segment alone" ||
			nok "after another user's replace: $out"
	fi
	rm -f "/dev/shm/${P}rp" "/dev/shm/${P}rb" "/dev/shm/${P}rf"
}

test_help_and_version() {
	run "$S" --help
	expect "shmctl --help" 0
	printf '%s' "$out" | grep -q 'create' || nok "--help lists create"
	run "$S" --version
	expect "shmctl --version" 0
	[ "$out" = "shmctl (shmseg) 1.5.0" ] || nok "--version says $out"
	run "$S"
	expect "no command is a usage error" 2
	run "$S" frob
	expect "unknown command is a usage error" 2 "unknown command 'frob'"
	run "$S" "$(printf 'fr\033]0;x\007ob')"
	expect "an unknown command is shown escaped" 2 "unknown command 'fr\\033]0;x\\007ob'"
}

# Every command's help, -h and --help alike: its usage on standard output,
# nothing on standard error, exit 0.
test_command_help() {
	for c in create list info rm dump wait; do
		run "$S" $c --help
		expect "shmctl $c --help" 0
		long=$out
		run "$S" $c -h
		expect "shmctl $c -h" 0
		printf '%s' "$out" | grep -q "^usage: shmctl $c" &&
		[ -z "$err" ] && [ "$out" = "$long" ] &&
			ok "shmctl $c -h and --help print its usage, only that" ||
			nok "shmctl $c -h: '$out' (stderr '$err'); --help: '$long'"
	done
}

# Help that cannot be written is a failure, as any other output is: the
# exit status and a message say so.
test_command_help_write_error() {
	if [ ! -w /dev/full ]; then
		echo "SKIP: help to a full device: no /dev/full"
		return
	fi
	for c in create list info rm dump wait; do
		for h in -h --help; do
			run_to_full "$S" $c $h
			expect "shmctl $c $h to a full device" 1 \
				"shmctl: write error: No space left on device"
		done
	done
}

test_create_from_npy() {
	write_npy "$T/a.npy"
	run "$S" create "${P}a" --from "$T/a.npy"
	expect "create --from prints nothing and succeeds" 0
	[ -z "$out$err" ] || nok "create printed '$out$err'"
	run "$S" info "${P}a"
	printf '%s' "$out" | grep -q '^dtype: *<i2$' &&
	printf '%s' "$out" | grep -q '^shape: *(2, 3)$' &&
	printf '%s' "$out" | grep -q '^state: *sealed$' &&
	printf '%s' "$out" | grep -q '^mode: *0400$' &&
		ok "info shows dtype, shape, state and default mode 0600 sealed" ||
		nok "info after create: $out"
	run "$S" create "${P}a" --from "$T/a.npy"
	expect "create of an existing name" 1 "shmctl: create ${P}a: segment exists"
	run "$S" create "${P}b" --from - <"$T/a.npy"
	expect "create --from - reads standard input" 0
	run "$S" create "${P}m" --from "$T/a.npy" --mode 0644
	run "$S" info "${P}m"
	printf '%s' "$out" | grep -q '^mode: *0444$' &&
		ok "--mode 0644 gives 0444 once sealed" || nok "mode: $out"
	run "$S" create "${P}x" --from "$T/missing.npy"
	expect "missing input file" 1 "$T/missing.npy: No such file or directory"
	[ ! -e "/dev/shm/${P}x" ] && ok "nothing left after a missing file" ||
		nok "left /dev/shm/${P}x"
}

test_create_refuses_bad_npy() {
	printf 'not a numpy file at all' >"$T/bad.npy"
	run "$S" create "${P}bad" --from "$T/bad.npy"
	expect "malformed .npy" 1 "malformed .npy header"
	write_npy "$T/a.npy"
	head -c 100 "$T/a.npy" >"$T/short.npy"
	run "$S" create "${P}short" --from "$T/short.npy"
	expect ".npy cut inside its header" 1 "malformed .npy header"
	head -c 130 "$T/a.npy" >"$T/short.npy"
	run "$S" create "${P}short" --from "$T/short.npy"
	expect ".npy cut inside its data" 1 "input is shorter than its header says"
	# What a segment cannot carry is said, naming the dtype or version,
	# from a file or a pipe alike.
	sed "s/'<i2'/'|O' /" "$T/a.npy" >"$T/obj.npy"
	run "$S" create "${P}obj" --from "$T/obj.npy"
	expect "object dtype" 1 "obj.npy: dtype '|O': object arrays hold pointers, not data"
	sed "s/'<i2'/'<f3'/" "$T/a.npy" >"$T/f3.npy"
	run sh -c '"$1" create "$2" --from - <"$3"' sh "$S" "${P}f3" "$T/f3.npy"
	expect "no such float" 1 "-: dtype '<f3': not a NumPy type a segment can carry"
	sed "s/'<i2'/'|V0'/" "$T/a.npy" >"$T/dt.npy"
	run "$S" create "${P}dt" --from "$T/dt.npy"
	expect "void of no bytes" 1 "dtype '|V0': a dtype of no bytes"
	sed "s/'<i2'/[('t', '<M8[s]'), ('o', '|O')]/" "$T/a.npy" >"$T/rec.npy"
	run "$S" create "${P}rec" --from "$T/rec.npy"
	expect "record with an object field" 1 "dtype '|O': object arrays hold pointers, not data"
	sed "s/'<i2'/[('a', '|i1'), ('a', '|i1')]/" "$T/a.npy" >"$T/twice.npy"
	run "$S" create "${P}twice" --from "$T/twice.npy"
	expect "record with a name used twice" 1 "twice.npy: a record in which a field name or title is used twice"
	{ printf '\223NUMPY\001\001'; tail -c +9 "$T/a.npy"; } >"$T/v11.npy"
	run "$S" create "${P}v11" --from "$T/v11.npy"
	expect ".npy version 1.1" 1 ".npy format version 1.1 is not supported (1.0, 2.0 and 3.0 are)"
	sed "s/'shape': (2, 3)/'shape': (2, 3/" "$T/a.npy" >"$T/sh.npy"
	run "$S" create "${P}sh" --from "$T/sh.npy"
	expect "malformed shape" 1 "malformed .npy header"
	for n in bad short obj f3 dt rec twice v11 sh; do
		[ -e "/dev/shm/${P}$n" ] && nok "left /dev/shm/${P}$n"
	done
	ok "nothing left behind by refused .npy files"
}

# A plain copy of a segment file is a .npy file whose header has the
# segment's '#' lines after the dict; NumPy loads it, and so must create.
test_create_from_segment_copy() {
	write_npy "$T/a.npy"
	"$S" create "${P}seg" --from "$T/a.npy" &&
		cp "/dev/shm/${P}seg" "$T/copy.npy" ||
		{ nok "create from a segment copy: no segment to copy"; return; }
	if have_numpy; then
		"$PY" -c 'import numpy, sys
a = numpy.load(sys.argv[1])
sys.exit(a.dtype.str != "<i2" or a.tolist() != [[0, 1, 2], [3, 4, 5]])' \
			"$T/copy.npy" && ok "NumPy loads a copy of a segment" ||
			nok "NumPy does not load the copy of a segment"
	fi
	run "$S" create "${P}seg2" --from "$T/copy.npy"
	expect "create --from a copy of a segment" 0
	run "$S" create "${P}seg3" --from - <"$T/copy.npy"
	expect "create --from - of a copy of a segment" 0
	"$S" dump "${P}seg2" -o "$T/back2.npy"
	"$S" dump "${P}seg3" -o "$T/back3.npy"
	cmp -s "$T/a.npy" "$T/back2.npy" && cmp -s "$T/a.npy" "$T/back3.npy" &&
		ok "the copy's data round-trips" ||
		nok "the segment made from a copy differs from the original"
	# a copy with text on a line after the '#' line is refused, as NumPy
	# does (on the '#' line it would be part of the comment)
	{
		head -c "$(($(wc -c <"$T/copy.npy") - 12 - 2))" "$T/copy.npy"
		printf '\nx'
		tail -c 12 "$T/copy.npy"
	} >"$T/bad.npy"
	run "$S" create "${P}seg4" --from "$T/bad.npy"
	expect "text after the '#' lines is refused" 1 \
		"shmctl: create ${P}seg4: $T/bad.npy: malformed .npy header"
	[ ! -e "/dev/shm/${P}seg4" ] || nok "left /dev/shm/${P}seg4"
	"$S" rm "${P}seg" "${P}seg2" "${P}seg3"
}

test_create_raw() {
	printf 'abcdefgh' >"$T/raw"
	run "$S" create "${P}r" --dtype '<u2' --shape 2x2 --raw "$T/raw"
	expect "create --raw" 0
	run "$S" info "${P}r"
	printf '%s' "$out" | grep -q '^strides: *(4, 2)$' ||
		nok "raw C order strides: $out"
	printf 'abcdefgh' | "$S" create "${P}rf" --dtype uint16 --shape 2x2 \
		--order F --raw -
	run "$S" info "${P}rf"
	printf '%s' "$out" | grep -q '^order: *F$' &&
		ok "create --raw - --order F" || nok "F order: $out"
	run "$S" create "${P}r9" --dtype '<u2' --shape 2x2 --raw - <<EOI
abcdefgh
EOI
	expect "raw input too long" 1 "input is longer than the array (8 bytes)"
	printf 'abc' >"$T/raw3"
	run "$S" create "${P}r3" --dtype '<u2' --shape 2x2 --raw "$T/raw3"
	expect "raw input too short" 1 "input is shorter than the array (3 of 8 bytes)"
	[ ! -e "/dev/shm/${P}r9" ] && [ ! -e "/dev/shm/${P}r3" ] &&
		ok "nothing left by wrong-length raw input" || nok "raw leftovers"
	for shape in 3x-1 0x x3 3xx4 '3 4' 1e3; do
		run "$S" create "${P}rs" --dtype f8 --shape "$shape" --raw "$T/raw"
		expect "bad shape '$shape'" 2 "bad shape '$shape'"
	done
	run "$S" create "${P}rs" --dtype f8 --shape 99999999999x99999999999 \
		--raw "$T/raw"
	expect "overflowing shape" 1 "array size overflows 64 bits"
	run "$S" create "${P}rs" --dtype f9 --shape 2 --raw "$T/raw"
	expect "bad dtype" 2 "bad dtype 'f9'"
	run "$S" create "${P}rs" --dtype f8 --raw "$T/raw"
	expect "--raw without --shape" 2 "--raw needs --dtype and --shape"
	run "$S" create "${P}rs" --from "$T/raw" --raw "$T/raw"
	expect "--from and --raw together" 2 "give one of --from and --raw"
	run "$S" create "${P}rs" --dtype f8 --shape 1 --order X --raw "$T/raw"
	expect "bad --order" 2 "order must be C or F"
	run "$S" create "${P}rs" --dtype f8 --shape 1 --mode 0999 --raw "$T/raw"
	expect "bad --mode" 2 "bad mode '0999'"
	run "$S" create "${P}rs" --dtype xx --shape 3 --raw /nonexistent
	expect "a bad dtype is a usage error before any file is opened" 2 \
		"bad dtype 'xx'"
	run "$S" create "${P}rs" --from
	expect "option without its argument" 2 "option '--from' needs an argument"
	run "$S" create "${P}rs" -f "$T"
	expect "a directory as input names the file" 1 "$T: Is a directory"
	run "$S" create "${P}rs" --from "$T/raw" --order F
	expect "--order with --from" 2 "--order goes with --raw"
	run "$S" create "${P}rs" --bogus
	expect "unknown option" 2 "bad option '--bogus'"
	# short options
	printf 'abcd' >"$T/raw4"
	run "$S" create "${P}rs" -t u1 -s 2x2 -o F -m 0640 -r "$T/raw4"
	expect "short options of create" 0
	run "$S" info "${P}rs"
	printf '%s' "$out" | grep -q '^mode: *0440$' &&
	printf '%s' "$out" | grep -q '^order: *F$' && ok "short options took" ||
		nok "short options: $out"
	"$S" rm "${P}rs"
	run "$S" create "a/b" --dtype u1 --shape 1 --raw "$T/raw"
	expect "bad name" 1 "shmctl: create a/b: Invalid argument"
	run "$S" create
	expect "create without NAME" 2 "missing NAME"
	[ ! -e "/dev/shm/${P}rs" ] || nok "left /dev/shm/${P}rs"
}

test_list_and_states() {
	write_npy "$T/a.npy"
	"$S" create "${P}l1" --from "$T/a.npy" --mode 0644
	"$B/test/helper" build "${P}l2" <"$T/a.npy" >/dev/null   # stale
	mkfifo "$T/hold"
	"$B/test/helper" build "${P}l3" <"$T/hold" >/dev/null &
	holder=$!
	exec 9>"$T/hold"	# keeps the builder alive
	i=0
	while [ ! -e "/dev/shm/${P}l3" ] && [ $i -lt 100 ]; do
		sleep 0.05; i=$((i + 1))
	done
	printf 'foreign' >"/dev/shm/${P}l4"
	run "$S" list
	expect "list" 0
	line() { printf '%s\n' "$out" | grep "^$1 "; }
	line "${P}l1" | grep -q " sealed  *<i2  *2x3  *12  *0444  *$(id -un) " &&
		ok "list shows a sealed segment" || nok "list sealed: $(line "${P}l1")"
	line "${P}l2" | grep -q ' stale ' && ok "list shows a stale segment" ||
		nok "list stale: $(line "${P}l2")"
	line "${P}l3" | grep -q ' building ' &&
		ok "list shows a live building segment" ||
		nok "list building: $(line "${P}l3")"
	[ -z "$(line "${P}l4")" ] && ok "list hides foreign objects" ||
		nok "list foreign"
	printf '%s\n' "$out" | head -1 |
		grep -q '^NAME  *STATE  *DTYPE  *SHAPE  *SIZE  *MODE  *OWNER  *CREATED$' &&
		ok "list header" || nok "list header: $(printf '%s' "$out" | head -1)"
	# columns align: STATE starts at the same offset on every line
	cols=$(printf '%s\n' "$out" | awk '{ print index($0, $2) }' | sort -u |
		wc -l)
	[ "$cols" -eq 1 ] && ok "list columns align" || nok "list columns"
	run "$S" list --all
	line "${P}l4" | grep -q ' foreign' && ok "list --all shows foreign" ||
		nok "list --all: $(line "${P}l4")"
	run "$S" list -la -b
	line "${P}l4" | grep -q ' foreign' && ok "list -la -b" ||
		nok "list -la -b: $(line "${P}l4")"
	run "$S" list -l --bytes
	line "${P}l1" | grep -qE ' 12 .* [0-9]+ +[0-9a-f-]{36} +[0-9]+[KM]i$' &&
		ok "list -l --bytes adds pid, uuid and pages" || nok "list -l: $(line "${P}l1")"
	run "$S" list --json --all
	if have_numpy || [ -x "$PY" ]; then
		printf '%s' "$out" | "$PY" -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
p = sys.argv[1]
assert rows[p + "l1"]["state"] == "sealed", rows[p + "l1"]
assert rows[p + "l1"]["shape"] == [2, 3]
assert rows[p + "l1"]["dtype"] == "<i2"
assert rows[p + "l1"]["mode"] == "0444"
assert "page_size" not in rows[p + "l1"], rows[p + "l1"]
assert rows[p + "l2"]["state"] == "stale"
assert rows[p + "l3"]["state"] == "building"
assert rows[p + "l4"]["state"] == "foreign"
' "$P" && ok "list --json parses and says the states, and measures no pages" ||
			nok "list --json: $out"
		run "$S" list -l --json
		printf '%s' "$out" | "$PY" -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
r = rows[sys.argv[1] + "l1"]
assert r["page_size"] in (4096, 2097152), r
assert r["pages_from"] in ("measured", "policy", "unknown"), r
assert (r["huge_bytes"] is None) == (r["pages_from"] != "measured"), r
' "$P" && ok "list -l --json has the pages" || nok "list -l --json: $out"
	else
		echo "SKIP: list --json parse: no $PY"
	fi
	run "$S" info "${P}l1" -j
	printf '%s' "$out" | "$PY" -m json.tool >/dev/null &&
		ok "info -j parses" || nok "info -j: $out"
	# a name that is not UTF-8 and holds a newline: valid JSON, one line
	bad=$(printf '%sbad\n\377' "$P")
	"$S" create "$bad" --from "$T/a.npy"
	run "$S" list --json
	printf '%s' "$out" | "$PY" -c 'import json, sys; json.load(sys.stdin)' &&
		ok "list --json with a name that is not UTF-8" ||
		nok "list --json with a strange name: $out"
	run "$S" list
	printf '%s\n' "$out" | grep -qF "${P}bad\\012\\377" &&
		ok "list shows control and non-UTF-8 bytes as \\ooo" ||
		nok "list strange name: $out"
	run "$S" info "$bad"
	printf '%s\n' "$out" | grep -qxF "name:         ${P}bad\\012\\377" &&
		ok "info shows them so too" || nok "info strange name: $out"
	"$S" rm "$bad"
	run "$S" info "$bad"
	expect "messages show them so too" 1 "shmctl: info ${P}bad\\012\\377: no such segment"
	run "$S" info "${P}l4"
	expect "info of a foreign object" 1 "not a shmseg segment"
	run "$S" info "${P}none"
	expect "info of a missing name" 1 "shmctl: info ${P}none: no such segment"
	run "$S" list extra
	expect "list takes no arguments" 2

	exec 9>&-
	wait $holder
	run "$S" rm "${P}l4"
	expect "rm refuses a foreign object" 1 "not a shmseg segment"
	[ -e "/dev/shm/${P}l4" ] && ok "foreign object kept" || nok "foreign removed"
	rm -f "/dev/shm/${P}l4"
}

# A pid that pid_t cannot hold is unknown, not a wrapped number; every
# 64-bit #created is an ISO 8601 date, with a sign outside 0000-9999.
test_info_unknown_pid_and_far_dates() {
	if ! [ -x "$PY" ]; then
		echo "SKIP: pid and date display: no $PY to patch headers"
		return
	fi
	write_npy "$T/a.npy"
	"$S" create "${P}h" --from "$T/a.npy"
	for pid in 0000000000000000 0000000080000000 00000000ffffffff \
		   0000000100000001 ffffffffffffffff; do
		patch_header "${P}h" pid $pid
		run "$S" info "${P}h"
		printf '%s\n' "$out" | grep -qxF "creator pid:  unknown" &&
			ok "info: pid $pid is unknown" || nok "info pid $pid: $out"
	done
	patch_header "${P}h" pid 000000007fffffff
	run "$S" info "${P}h"
	printf '%s\n' "$out" | grep -qxF "creator pid:  2147483647" &&
		ok "info: pid 2^31-1 as it is" || nok "info pid 2^31-1: $out"
	while read -r secs want; do
		patch_header "${P}h" created "$secs"
		run "$S" info "${P}h"
		printf '%s\n' "$out" | grep -qxF "created:      $want" &&
			ok "info: created $secs is $want" ||
			nok "info: created $secs: $(printf '%s\n' "$out" |
				grep created)"
	done <<EOI
0000000000000000 1970-01-01T00:00:00Z
ffffffffffffffff 1969-12-31T23:59:59Z
fffffff1886e0900 0001-01-01T00:00:00Z
fffffff1886e08ff 0000-12-31T23:59:59Z
fffffff1868b83ff -0001-12-31T23:59:59Z
fffffff8df7d0c7f 0999-12-31T23:59:59Z
0000003afff4417f 9999-12-31T23:59:59Z
0000003afff44180 +10000-01-01T00:00:00Z
0000000038bb0c00 2000-02-29T00:00:00Z
00000000f4d41f80 2100-03-01T00:00:00Z
00f0c29d868bfd80 +2147483648-01-01T00:00:00Z
7fffffffffffffff +292277026596-12-04T15:30:07Z
8000000000000000 -292277022657-01-27T08:29:52Z
EOI
	# list, list -l and the JSON of both, with an unknown pid
	patch_header "${P}h" pid 0000000080000000
	run "$S" list
	printf '%s\n' "$out" | grep -q "^${P}h .* -292277022657-01-27T08:29:52Z$" &&
		ok "list: a far date" || nok "list far date: $out"
	run "$S" list -l
	printf '%s\n' "$out" |
		grep -qE "^${P}h .* -292277022657-01-27T08:29:52Z +- +[0-9a-f-]{36} +[0-9]+[KM]i$" &&
		ok "list -l: an unknown pid is -" || nok "list -l unknown pid: $out"
	for c in "list --json" "info --json ${P}h"; do
		# shellcheck disable=SC2086
		run "$S" $c
		printf '%s' "$out" | "$PY" -c '
import json, sys
rows = json.load(sys.stdin)
row = [r for r in rows if r["name"] == sys.argv[1]][0] \
	if isinstance(rows, list) else rows
assert row["creator_pid"] is None, row
assert row["created"] == "-292277022657-01-27T08:29:52Z", row
' "${P}h" && ok "$c: unknown pid is null, a far date" || nok "$c: $out"
	done
	"$S" rm "${P}h"
}

# C1 controls (U+0080-U+009F; CSI, U+009B, starts terminal commands) are
# control characters: \ooo for each byte, as ls -b shows them, in list,
# info and messages, and \u escapes in JSON. Other UTF-8 stays as it is.
test_c1_controls_escaped() {
	write_npy "$T/a.npy"
	csi=$(printf '%sc1\302\233x' "$P")
	pad=$(printf '%sc1\302\200\302\237' "$P")
	e=$(printf '%s\303\251' "$P")
	long=$P'L'
	for i in $(seq 115); do long=$long$(printf '\302\233'); done
	for n in "$csi" "$pad" "$e" "$long"; do
		"$S" create "$n" --from "$T/a.npy" || nok "create $n"
	done
	raw=$(printf '\302[\200-\237]')
	run "$S" list -l
	printf '%s\n' "$out" | grep -q "^${P}c1\\\\302\\\\233x  " &&
	printf '%s\n' "$out" | grep -q "^${P}c1\\\\302\\\\200\\\\302\\\\237  " &&
		ok "list shows C1 controls as \\ooo" || nok "list C1: $out"
	printf '%s\n' "$out" | LC_ALL=C grep -q "$raw" &&
		nok "list lets a C1 control through: $out" ||
		ok "list lets no C1 control through"
	printf '%s\n' "$out" | grep -qF "$e  " &&
		ok "list keeps other UTF-8 as it is" || nok "list UTF-8: $out"
	printf '%s\n' "$out" | grep -q "^${P}L\(\\\\302\\\\233\)\{115\}  " &&
		ok "list shows the longest escaped name whole" ||
		nok "list long name: $out"
	run "$S" info "$csi"
	printf '%s\n' "$out" | grep -qxF "name:         ${P}c1\\302\\233x" &&
		ok "info shows C1 controls as \\ooo" || nok "info C1: $out"
	run "$S" info "$e"
	printf '%s\n' "$out" | grep -qxF "name:         $e" &&
		ok "info keeps other UTF-8 as it is" || nok "info UTF-8: $out"
	run "$S" info "${csi}none"
	expect "messages show C1 controls as \\ooo" 1 \
		"shmctl: info ${P}c1\\302\\233xnone: no such segment"
	run "$S" create "${P}x" --from "$T/no$(printf '\302\233')file"
	expect "paths in messages too" 1 "$T/no\\302\\233file: No such file"
	printf '%s' "$err" | LC_ALL=C grep -q "$raw" &&
		nok "a message lets a C1 control through: $err" ||
		ok "messages let no C1 control through"
	run "$S" list --json
	printf '%s' "$out" | LC_ALL=C grep -q "$raw" &&
		nok "list --json lets a C1 control through" ||
		ok "list --json gives C1 controls as \\u escapes"
	if [ -x "$PY" ]; then
		printf '%s' "$out" | "$PY" -c '
import json, sys
names = {r["name"] for r in json.load(sys.stdin)}
p = sys.argv[1]
assert p + "c1\x9bx" in names and p + "c1\x80\x9f" in names, names
assert p + "\xe9" in names and p + "L" + "\x9b" * 115 in names, names
' "$P" && ok "list --json names parse back" || nok "list --json C1: $out"
	fi
	for n in "$csi" "$pad" "$e" "$long"; do
		"$S" rm "$n"
	done
}

test_rm() {
	write_npy "$T/a.npy"
	"$S" create "${P}d1" --from "$T/a.npy"
	"$S" create "${P}d2" --from "$T/a.npy"
	run "$S" rm "${P}d1" "${P}none" "${P}d2"
	expect "rm goes on past a missing name" 1 "shmctl: rm ${P}none: no such segment"
	[ ! -e "/dev/shm/${P}d1" ] && [ ! -e "/dev/shm/${P}d2" ] &&
		ok "rm removed the others" || nok "rm left segments"
	run "$S" rm -f "${P}none"
	expect "rm -f of a missing name" 0
	[ -z "$out$err" ] || nok "rm -f printed '$out$err'"
	run "$S" rm
	expect "rm without NAME" 2 "missing NAME"
}

# rm --older-than's usage errors, each with a NAME of ours, so that even
# a duration taken wrongly could remove nothing else: exit 2, the message,
# the segment still there. The longest durations are 2^63-1 seconds.
test_rm_older_usage() {
	printf abcd | "$S" create "${P}u" --dtype u1 --shape 4 --raw -
	for d in '' x -1 +1 ' 1' '1 ' 1.5 1e3 0x10 1S 1w 1ss s 1d2 \
		 9223372036854775808 153722867280912931m 2562047788015216h \
		 106751991167301d 99999999999999999999999; do
		run "$S" rm --older-than "$d" "${P}u"
		expect "rm --older-than '$d' is a usage error" 2 \
			"shmctl: rm: bad duration '$d' (as 90, 90s, 30m, 12h or 7d)"
	done
	for d in 90 90s 30m 12h 7d 9223372036854775807 \
		 153722867280912930m 2562047788015215h 106751991167300d; do
		run "$S" rm -o "$d" -n "${P}u"
		[ $rc -eq 0 ] && [ -z "$out$err" ] ||
			nok "rm -o $d -n of a new segment: exit $rc, '$out$err'"
	done
	ok "rm -o takes 90, 90s, 30m, 12h, 7d and up to 2^63-1 seconds"
	run "$S" rm --stale --older-than 1d "${P}u"
	expect "--stale with --older-than" 2 \
		"shmctl: rm: give one of --stale and --older-than"
	run "$S" rm --owner root "${P}u"
	expect "--owner without --older-than" 2 \
		"shmctl: rm: --owner goes with --older-than"
	run "$S" rm --dry-run "${P}u"
	expect "--dry-run without --older-than" 2 \
		"shmctl: rm: --dry-run goes with --older-than"
	run "$S" rm -o 1d -u "no-such-user-$$" "${P}u"
	expect "rm -o -u of an unknown user" 2 \
		"shmctl: rm: unknown user 'no-such-user-$$'"
	run "$S" rm "${P}u" --older-than
	expect "--older-than without its argument" 2 \
		"option '--older-than' needs an argument"
	[ -e "/dev/shm/${P}u" ] && ok "no usage error removed anything" ||
		nok "a usage error removed ${P}u"
	"$S" rm "${P}u"
}

# rm --help prints the lines of shmctl(1)'s SYNOPSIS for rm, exactly.
test_rm_usage_is_the_synopsis() {
	if ! command -v man >/dev/null 2>&1; then
		echo "SKIP: rm's usage against shmctl(1): no man"
		return
	fi
	want=$(MANWIDTH=200 man -l man/shmctl.1 2>/dev/null |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/s/^ *\(shmctl rm .*\)/\1/p')
	got=$("$S" rm --help | sed -n 's/^\(usage:\)* *\(shmctl rm .*\)/\2/p')
	[ -n "$want" ] && [ "$got" = "$want" ] &&
		ok "rm --help prints the SYNOPSIS lines of shmctl(1) for rm" ||
		nok "rm --help: '$got'; shmctl(1): '$want'"
}

# rm --older-than without names removes every old segment there is, so it
# is tried in a private /dev/shm: nobody else's segments are touched.
test_rm_older_private() {
	in_private_shm test/older_private.sh "$B" "rm --older-than" || return
	printf '%s\n' "$out" | grep -q '^ok - rm --older-than in a private /dev/shm: done' ||
		nok "rm --older-than in a private /dev/shm did not finish"
}

test_dump_and_wait() {
	write_npy "$T/a.npy"
	"$S" create "${P}w" --from "$T/a.npy"
	run "$S" dump "${P}w" -o "$T/back.npy"
	expect "dump -o" 0
	cmp -s "$T/a.npy" "$T/back.npy" &&
		ok "dump writes the same bytes as NumPy would" ||
		nok "dump differs from the input"
	"$S" dump "${P}w" >"$T/stdout.npy"
	cmp -s "$T/a.npy" "$T/stdout.npy" && ok "dump to standard output" ||
		nok "dump to stdout"
	run "$S" dump "${P}w" -o "$T/nodir/x.npy"
	expect "dump to an impossible path" 1 "$T/nodir/x.npy: No such file"
	run "$S" dump "${P}none" -o "$T/none.npy"
	expect "dump of a missing name" 1 "no such segment"
	[ ! -e "$T/none.npy" ] && ok "no file made for a missing segment" ||
		nok "dump made a file"
	run "$S" wait "${P}w" --timeout 1
	expect "wait for a sealed segment" 0
	run "$S" wait "${P}late" --timeout 0.2
	expect "wait times out" 1 "timed out waiting for the segment"
	( sleep 0.3; "$S" create "${P}late" --from "$T/a.npy" ) &
	run "$S" wait "${P}late" --timeout 10
	expect "wait sees a later create" 0
	wait
	# It sleeps on the name (an inotify watch) until the create names
	# the segment; it does not poll.
	"$S" wait "${P}ev" --timeout 20 >"$T/ev" 2>&1 &
	waiter=$!
	n=0
	until ls -l "/proc/$waiter/fd" 2>/dev/null | grep -q 'anon_inode:inotify' ||
	      [ $n -ge 500 ]; do
		sleep 0.01; n=$((n + 1))
	done
	watched=$(ls -l "/proc/$waiter/fd" 2>/dev/null | grep -c 'anon_inode:inotify')
	"$S" create "${P}ev" --from "$T/a.npy"
	wait $waiter
	rc=$?
	[ "$watched" = 1 ] && [ $rc -eq 0 ] && [ ! -s "$T/ev" ] &&
		ok "wait sleeps on an inotify watch until the create names the segment" ||
		nok "wait on an event: watch $watched, exit $rc, '$(cat "$T/ev")'"
	run "$S" wait "${P}w" --timeout x
	expect "bad --timeout" 2 "bad timeout 'x'"
	run "$S" wait "${P}w" -t 0x10
	expect "hex --timeout is refused" 2 "bad timeout '0x10'"
	run "$S" wait "${P}w" -t 0.5
	expect "wait -t" 0
	# a link to a file: the file is written, the link stays
	: >"$T/target.npy"
	ln -s "$T/target.npy" "$T/link.npy"
	run "$S" dump "${P}w" -o "$T/link.npy"
	[ -L "$T/link.npy" ] && cmp -s "$T/a.npy" "$T/target.npy" &&
		ok "dump through a symbolic link writes its target" ||
		nok "dump through a link"
	# a failed dump leaves the old file as it was
	printf 'old' >"$T/old.npy"
	run "$S" dump "${P}none" -o "$T/old.npy"
	[ "$(cat "$T/old.npy")" = old ] && ok "failed dump keeps the old file" ||
		nok "failed dump touched the old file"
}

test_permissions() {
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "SKIP: shmctl permissions: needs root and setpriv"
		return
	fi
	write_npy "$T/a.npy"
	"$S" create "${P}p" --from "$T/a.npy"		# 0600 by default
	cp "$S" "$B/libshmseg.so.1" "$T/" 2>/dev/null
	chmod 755 "$T" "$T/shmctl"
	if ! nobody \
		"$T/shmctl" --version >/dev/null 2>&1; then
		echo "SKIP: shmctl permissions: uid 65534 cannot run $T/shmctl"
		return
	fi
	run nobody \
		"$T/shmctl" info "${P}p"
	expect "another uid cannot read a 0600 segment" 1 "permission denied"
	run nobody "$T/shmctl" rm "${P}p"
	expect "another uid cannot remove it" 1 "permission denied"
	[ -e "/dev/shm/${P}p" ] && ok "segment still there" || nok "removed"

	# A 0644 segment, once sealed 0444: others read it, and that is all.
	"$S" create "${P}sec" --from "$T/a.npy" --mode 0644
	run nobody "$T/shmctl" info "${P}sec"
	expect "another uid reads a 0644 segment" 0
	nobody "$T/shmctl" dump "${P}sec" -o - >"$T/theirs.npy" 2>"$T/err"
	rc=$?
	[ "$rc" -eq 0 ] && "$S" dump "${P}sec" -o "$T/mine.npy" &&
		cmp -s "$T/theirs.npy" "$T/mine.npy" &&
		ok "another uid dumps it" || nok "another uid dumps it: $(cat "$T/err")"
	size=$(stat -c %s "/dev/shm/${P}sec")
	run nobody truncate -s 0 "/dev/shm/${P}sec"
	[ "$rc" -ne 0 ] && [ "$(stat -c %s "/dev/shm/${P}sec")" = "$size" ] &&
		ok "another uid cannot truncate it" || nok "truncated by another uid"
	run nobody sh -c "printf x >>/dev/shm/${P}sec"
	[ "$rc" -ne 0 ] && [ "$(stat -c %s "/dev/shm/${P}sec")" = "$size" ] &&
		ok "another uid cannot write to it" || nok "written by another uid"
	run nobody "$T/shmctl" rm "${P}sec"
	expect "another uid cannot remove it (sticky /dev/shm)" 1 \
		"permission denied"
	run nobody rm -f "/dev/shm/${P}sec"
	[ -e "/dev/shm/${P}sec" ] && ok "nor can rm(1) as that uid" ||
		nok "removed by another uid"
}

# Bad names are refused before any system call touches /dev/shm.
test_bad_names_touch_nothing() {
	if ! command -v strace >/dev/null; then
		echo "SKIP: bad names touch nothing: no strace"
		return
	fi
	long=$(printf '%0256d' 0)
	for n in "a/b" "/a/b" ".." "." "/.." "" "$long" "../etc/passwd"; do
		strace -f -qq -e trace=%file -o "$T/trace" "$S" info "$n" \
			>/dev/null 2>"$T/err"
		rc=$?
		if [ "$rc" -ne 1 ] && [ "$rc" -ne 2 ]; then
			nok "bad name '$n': exit $rc"
		elif grep -q 'dev/shm' "$T/trace"; then
			nok "bad name '$n' reached /dev/shm: $(grep dev/shm "$T/trace")"
		else
			ok "bad name '$n' refused before any system call"
		fi
	done
}

# Symbolic links planted in /dev/shm are never followed.
test_symlinks_not_followed() {
	write_npy "$T/a.npy"
	"$S" create "${P}target" --from "$T/a.npy"
	printf 'secret' >"$T/secret"
	ln -s "/dev/shm/${P}target" "/dev/shm/${P}link"
	ln -s "$T/secret" "/dev/shm/${P}out"
	run "$S" list --all
	printf '%s\n' "$out" | grep -q "^${P}link \|^${P}out " &&
		nok "list shows a symbolic link: $out" ||
		ok "list skips symbolic links"
	for l in link out; do
		run "$S" info "${P}$l"
		expect "info does not follow ${P}$l" 1 "symbolic link"
		run "$S" dump "${P}$l" -o "$T/got.npy"
		expect "dump does not follow ${P}$l" 1 "symbolic link"
		run "$S" rm "${P}$l"
		expect "rm does not follow ${P}$l" 1 "symbolic link"
	done
	[ -L "/dev/shm/${P}link" ] && [ -e "/dev/shm/${P}target" ] &&
		[ "$(cat "$T/secret")" = secret ] &&
		ok "links, the segment and the file are untouched" ||
		nok "something was removed or changed"
	rm -f "/dev/shm/${P}link" "/dev/shm/${P}out"
}

test_create_full_dev_shm() {
	# 4 MiB of <i2 zeros, into a private 1 MiB tmpfs on /dev/shm
	{
		printf '\223NUMPY\001\000v\000'
		printf "{'descr': '<i2', 'fortran_order': False, 'shape': (2097152,), }"
		printf '%*s\n' 54 ''
		head -c 4194304 /dev/zero
	} >"$T/big.npy"
	out=$(unshare --mount --propagation unchanged sh -c '
		{ mount --make-rprivate / 2>/dev/null ||
		  mount --make-private /dev/shm; } &&
		mount -t tmpfs -o size=1m shmseg-test /dev/shm || exit 0
		echo mounted
		"$1" create big --from "$2"
		echo "rc=$? left=$(ls -A /dev/shm | wc -l)"' sh "$S" "$T/big.npy" 2>&1)
	case $out in
	mounted*) ;;
	*)	echo "SKIP: create on a full /dev/shm: needs root and a private mount namespace: $out"
		return ;;
	esac
	expected=$(printf 'mounted\nshmctl: create big: no space left for the segment\nrc=1 left=0')
	[ "$out" = "$expected" ] &&
		ok "create --from on a full /dev/shm: clean error, nothing left" ||
		nok "full /dev/shm: $out"
}

# Errors of writing the segment name the segment, never the input file:
# a read-only or full /dev/shm (in a private mount namespace), a file size
# limit. Errors of reading the input still name the input.
test_create_blames_the_segment() {
	write_npy "$T/a.npy"
	{
		printf '\223NUMPY\001\000v\000'
		printf "{'descr': '<i2', 'fortran_order': False, 'shape': (2097152,), }"
		printf '%*s\n' 54 ''
		head -c 4194304 /dev/zero
	} >"$T/big.npy"
	run "$S" create "${P}dir" --from "$T"
	expect "a directory as input is the input's error" 1 \
		"shmctl: create ${P}dir: $T: Is a directory"
	if command -v prlimit >/dev/null; then
		run prlimit --fsize=1000000 "$S" create "${P}fbig" \
			--from "$T/big.npy"
		expect "a file size limit is the segment's error" 1 \
			"shmctl: create ${P}fbig: larger than the file size limit allows"
		[ ! -e "/dev/shm/${P}fbig" ] || nok "left /dev/shm/${P}fbig"
	else
		echo "SKIP: create under a file size limit: no prlimit"
	fi
	out=$(unshare --mount --propagation unchanged sh -c '
		{ mount --make-rprivate / 2>/dev/null ||
		  mount --make-private /dev/shm; } &&
		mount -t tmpfs -o ro,size=1m shmseg-test /dev/shm || exit 0
		echo mounted
		"$1" create ro --from "$2"
		echo "rc=$?"
		mount -o remount,rw,size=1m /dev/shm || exit 0
		"$1" create full --from - <"$3"
		echo "rc=$? left=$(ls -A /dev/shm | wc -l)"' \
		sh "$S" "$T/a.npy" "$T/big.npy" 2>&1)
	case $out in
	mounted*) ;;
	*)	echo "SKIP: create on a read-only /dev/shm: needs root and a private mount namespace: $out"
		return ;;
	esac
	expected=$(printf '%s\n' mounted \
		"shmctl: create ro: the shared-memory file system is read-only" \
		rc=1 "shmctl: create full: no space left for the segment" \
		"rc=1 left=0")
	[ "$out" = "$expected" ] &&
		ok "a read-only or full /dev/shm is the segment's error" ||
		nok "read-only or full /dev/shm: $out"
}

# A socket under a segment's name is not a segment; a file under another
# process's write lease is reported at once, not waited on as a segment
# still being built.
test_socket_and_leased_file() {
	if [ ! -x "$PY" ]; then
		echo "SKIP: socket and leased file: no $PY"
		return
	fi
	"$PY" -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "/dev/shm/${P}sock"
	run "$S" info "${P}sock"
	expect "info of a socket" 1 \
		"shmctl: info ${P}sock: not a shmseg segment, or its header is corrupt"
	run timeout 10 "$S" wait "${P}sock"
	expect "wait on a socket" 1 \
		"shmctl: wait ${P}sock: not a shmseg segment, or its header is corrupt"
	rm -f "/dev/shm/${P}sock"
	# The holder owns the file, ignores the SIGIO of a lease break, and
	# says "leased" once it holds the lease.
	"$PY" -c 'import fcntl, os, signal, sys, time
signal.signal(signal.SIGIO, signal.SIG_IGN)
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT | os.O_EXCL, 0o600)
fcntl.fcntl(fd, 1024, fcntl.F_WRLCK)	# F_SETLEASE
print("leased", flush=True)
time.sleep(60)' "/dev/shm/${P}lease" >"$T/lease" 2>&1 &
	holder=$!
	i=0
	while [ ! -s "$T/lease" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ "$(cat "$T/lease")" != leased ]; then
		echo "SKIP: leased file: no write lease here: $(cat "$T/lease")"
	else
		run timeout 10 "$S" info "${P}lease"
		expect "info of a leased file" 1 \
			"shmctl: info ${P}lease: another process holds a lease on it"
		run timeout 10 "$S" wait "${P}lease"
		expect "wait on a leased file returns at once" 1 \
			"shmctl: wait ${P}lease: another process holds a lease on it"
	fi
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	rm -f "/dev/shm/${P}lease"
}

test_create_killed_leaves_nothing() {
	write_npy "$T/a.npy"
	# the header, then a pause in the middle of the data
	{ head -c 131 "$T/a.npy"; sleep 2; } | "$S" create "${P}k" --from - &
	sleep 0.5
	kill -TERM $! 2>/dev/null	# $!: shmctl, the last of the pipeline
	wait 2>/dev/null
	[ ! -e "/dev/shm/${P}k" ] &&
		ok "create --from killed halfway leaves nothing" ||
		nok "killed create left /dev/shm/${P}k"
	{ printf 'abc'; sleep 2; } |
		"$S" create "${P}k2" --dtype u1 --shape 8 --raw - &
	sleep 0.5
	kill -KILL $! 2>/dev/null
	wait 2>/dev/null
	[ ! -e "/dev/shm/${P}k2" ] &&
		ok "create --raw killed halfway leaves nothing" ||
		nok "killed create left /dev/shm/${P}k2"
}

# make_strided NAME DTYPE ITEMSIZE SHAPE0 SHAPE1 STRIDE0 STRIDE1: a sealed
# segment with explicit strides, which shmctl cannot make, through the C
# API from Python (ctypes, no NumPy); 0644, data left as zeros.
make_strided() {
	"$PY" - "$B/libshmseg.so.1" "$@" <<'PYEOF'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
name, kind, size = sys.argv[2], sys.argv[3].encode(), int(sys.argv[4])
dims = [int(v) for v in sys.argv[5:9]]
class Dtype(ctypes.Structure):
    _fields_ = [("byteorder", ctypes.c_char), ("kind", ctypes.c_char),
                ("itemsize", ctypes.c_uint32)]
class Layout(ctypes.Structure):
    _fields_ = [("dtype", Dtype), ("ndim", ctypes.c_uint32),
                ("shape", ctypes.c_uint64 * 32),
                ("strides", ctypes.c_int64 * 32)]
l = Layout()
l.dtype = Dtype(b"|" if size == 1 else b"<", kind, size)
l.ndim = 2
l.shape[0], l.shape[1], l.strides[0], l.strides[1] = dims
seg = ctypes.c_void_p()
rc = lib.shmseg_create(name.encode(), ctypes.byref(l), 0, 0o644,
                       ctypes.byref(seg))
if rc == 0:
    rc = lib.shmseg_seal(seg)
    lib.shmseg_detach(seg)
sys.exit(1 if rc else 0)
PYEOF
}

# A segment of one byte seen as shape (1, 2^62): dump refuses at once what
# would be an endless file, and writes nothing; a small broadcast dumps.
test_dump_overlapping_is_bounded() {
	if ! [ -x "$PY" ] || ! make_strided "${P}ov" u 1 1 4611686018427387904 1 0
	then
		echo "SKIP: dump of overlapping elements: $PY cannot load $B/libshmseg.so.1 (no Python, or a sanitizer build) to make the segment"
		return
	fi
	# timeout: without the bound, these would write for ever
	start=$(date +%s%N)
	run timeout 10 "$S" dump "${P}ov" -o "$T/ov.npy"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	expect "dump of overlapping elements past the bound" 1 \
		"dump ${P}ov: its elements overlap"
	[ "$ms" -lt 2000 ] && [ -z "$(ls -A "$T" | grep '^ov\.npy')" ] &&
		ok "refused in $ms ms, nothing left in its directory" ||
		nok "refusal took $ms ms or left: $(ls -A "$T")"
	run sh -c 'timeout 10 "$1" dump "$2" | wc -c' sh "$S" "${P}ov"
	[ "$out" = 0 ] && ok "nothing written to standard output either" ||
		nok "wrote $out bytes to standard output"
	make_strided "${P}bc" f 8 1000 3 0 8
	run "$S" dump "${P}bc" -o "$T/bc.npy"
	expect "dump of a small broadcast" 0
	[ "$(stat -c %s "$T/bc.npy")" = $((128 + 24000)) ] &&
		ok "a row repeated 1000 times, written out" ||
		nok "broadcast dump has $(stat -c %s "$T/bc.npy") bytes"
}

# dump -o writes as "> FILE" may: each kind of output, written whole, and
# a failed write leaves nothing new and the old file as it was.
test_dump_output_kinds() {
	write_npy "$T/a.npy"
	"$S" create "${P}o" --from "$T/a.npy"
	# an old regular file, longer than the dump: replaced whole, by a
	# new file with the old one's mode
	head -c 100000 /dev/zero >"$T/old.npy"
	chmod 640 "$T/old.npy"
	ino=$(stat -c %i "$T/old.npy")
	run "$S" dump "${P}o" -o "$T/old.npy"
	cmp -s "$T/a.npy" "$T/old.npy" &&
		[ "$(stat -c %a "$T/old.npy")" = 640 ] &&
		[ "$(stat -c %i "$T/old.npy")" != "$ino" ] &&
		ok "dump replaces a regular file whole, keeping its mode" ||
		nok "dump over a regular file: rc $rc, $(stat -c '%a %s' "$T/old.npy")"
	# a link to nothing: its target is made, as by the shell
	ln -s "$T/made.npy" "$T/dangling"
	run "$S" dump "${P}o" -o "$T/dangling"
	[ -L "$T/dangling" ] && cmp -s "$T/a.npy" "$T/made.npy" &&
		ok "dump through a link to nothing makes its target" ||
		nok "dump through a dangling link: rc $rc, $err"
	# /dev/stdout: a pipe, then a file
	run sh -c '"$1" dump "$2" -o /dev/stdout | cat >"$3"' sh "$S" "${P}o" \
		"$T/piped.npy"
	cmp -s "$T/a.npy" "$T/piped.npy" && ok "dump -o /dev/stdout to a pipe" ||
		nok "dump -o /dev/stdout to a pipe: $err"
	"$S" dump "${P}o" -o /dev/stdout >"$T/redir.npy"
	cmp -s "$T/a.npy" "$T/redir.npy" && ok "dump -o /dev/stdout to a file" ||
		nok "dump -o /dev/stdout to a file"
	# a named pipe is written in place
	mkfifo "$T/fifo"
	cat "$T/fifo" >"$T/fromfifo.npy" &
	run "$S" dump "${P}o" -o "$T/fifo"
	wait
	[ "$rc" -eq 0 ] && [ -p "$T/fifo" ] && cmp -s "$T/a.npy" "$T/fromfifo.npy" &&
		ok "dump -o a named pipe" || nok "dump -o a named pipe: rc $rc, $err"
	# past RLIMIT_FSIZE: the output is blamed, nothing is left, an old
	# file stays as it was
	head -c 8192 /dev/zero | "$S" create "${P}o8k" --dtype u1 --shape 8192 \
		--raw -
	printf 'old' >"$T/kept.npy"
	for f in new.npy kept.npy; do
		run prlimit --fsize=1000 "$S" dump "${P}o8k" -o "$T/$f"
		expect "dump -o $f past RLIMIT_FSIZE" 1 \
			"dump ${P}o8k: $T/$f: File too large"
	done
	[ ! -e "$T/new.npy" ] && [ "$(cat "$T/kept.npy")" = old ] &&
		[ -z "$(ls -A "$T" | grep '\.npy\.')" ] &&
		ok "nothing left, the old file kept" ||
		nok "after RLIMIT_FSIZE: $(ls -A "$T")"
}

# dump -o never writes where "> FILE" by the same user is refused: not
# through a link another user planted in a sticky directory
# (fs.protected_symlinks), not over another user's file there
# (fs.protected_regular), not over a read-only file.
test_dump_refused_where_shell_is() {
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		echo "SKIP: dump refused where the shell is: needs root and setpriv"
		return
	fi
	write_npy "$T/a.npy"
	"$S" create "${P}x" --from "$T/a.npy" --mode 0644
	cp "$S" "$B/libshmseg.so.1" "$T/" 2>/dev/null
	chmod 755 "$T" "$T/shmctl"
	mkdir -m 1777 "$T/sticky"
	printf 'secret' >"$T/victim"

	# Where the machine has these protections off, they are turned on for
	# these checks (stricter only) and back off after them.
	for p in protected_symlinks protected_regular; do
		if [ "$(cat /proc/sys/fs/$p 2>/dev/null)" = 0 ] &&
		   echo 1 >/proc/sys/fs/$p 2>/dev/null; then
			restore="$restore $p"
		fi
	done
	if [ "$(cat /proc/sys/fs/protected_symlinks 2>/dev/null)" != 1 ]; then
		echo "SKIP: dump through a planted link: fs.protected_symlinks is not 1, so the shell would follow it too"
	else
		nobody ln -s "$T/victim" "$T/sticky/out.npy"
		run sh -c 'printf x >"$1"' sh "$T/sticky/out.npy"
		[ "$rc" -ne 0 ] || nok "the shell wrote through the planted link"
		run "$S" dump "${P}x" -o "$T/sticky/out.npy"
		expect "dump through a planted link is refused" 1 \
			"$T/sticky/out.npy: Permission denied"
		[ "$(cat "$T/victim")" = secret ] && [ -L "$T/sticky/out.npy" ] &&
			[ "$(ls -A "$T/sticky")" = out.npy ] &&
			ok "its target untouched, nothing left beside the link" ||
			nok "planted link: its target or the directory changed: $(ls -A "$T/sticky")"
		rm -f "$T/sticky/out.npy"
	fi

	if [ "$(cat /proc/sys/fs/protected_regular 2>/dev/null || echo 0)" = 0 ]
	then
		echo "SKIP: dump over another user's file in a sticky directory: fs.protected_regular is 0"
	else
		nobody sh -c 'printf theirs >"$1"' sh "$T/sticky/theirs.npy"
		run "$S" dump "${P}x" -o "$T/sticky/theirs.npy"
		expect "dump over another user's file in a sticky directory" 1 \
			"Permission denied"
		[ "$(cat "$T/sticky/theirs.npy")" = theirs ] &&
			ok "their file untouched" || nok "their file was written"
	fi
	for p in $restore; do
		echo 0 >/proc/sys/fs/$p
	done
	restore=

	# no sysctl needed: a read-only file, in its owner's own directory
	mkdir "$T/own"
	chown 65534:65534 "$T/own"
	nobody sh -c 'printf ro >"$1" && chmod 444 "$1"' sh "$T/own/ro.npy"
	run nobody sh -c 'printf x >"$1"' sh "$T/own/ro.npy"
	[ "$rc" -ne 0 ] || nok "the shell wrote a read-only file"
	run nobody "$T/shmctl" dump "${P}x" -o "$T/own/ro.npy"
	expect "dump over a read-only file is refused" 1 \
		"$T/own/ro.npy: Permission denied"
	[ "$(cat "$T/own/ro.npy")" = ro ] && [ "$(ls -A "$T/own")" = ro.npy ] &&
		ok "the read-only file untouched" ||
		nok "the read-only file or its directory changed: $(ls -A "$T/own")"
	# another user's file that root may write: in place, still theirs
	run "$S" dump "${P}x" -o "$T/own/ro.npy"
	cmp -s "$T/a.npy" "$T/own/ro.npy" &&
		[ "$(stat -c %U "$T/own/ro.npy")" = "$(stat -c %U "$T/own")" ] &&
		ok "another user's file, written by root, stays theirs" ||
		nok "root's dump over another's file: rc $rc, $err"
}

# dump_slowly SIGNAL-OPTION FILE: dump ${P}slow to FILE in the background
# with each write delayed by strace, so that the temporary file lives for
# a second or two; its pid in $T/pid, strace's in $spid; returns once the
# temporary file exists. LeakSanitizer cannot work under ptrace.
dump_slowly() {
	rm -f "$T/pid"
	strace -f -qq -o /dev/null -e trace=write,pwrite64 \
		-e inject=write,pwrite64:delay_enter=200000 \
		env "$1" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		sh -c 'echo $$ >"$1"; exec "$2" dump "$3" -o "$4"' \
		sh "$T/pid" "$S" "${P}slow" "$2" &
	spid=$!
	i=0
	until [ -s "$T/pid" ] && ls "$2".* >/dev/null 2>&1; do
		i=$((i + 1))
		[ "$i" -lt 200 ] || break
		sleep 0.05
	done
}

# A dump ended by SIGHUP, SIGINT or SIGTERM while it writes leaves no
# temporary file (nor a new file, and an old one as it was), and dies of
# that signal; one the caller ignores stays ignored.
test_dump_killed_leaves_nothing() {
	if ! command -v strace >/dev/null ||
	   ! strace -qq -o /dev/null true 2>/dev/null; then
		echo "SKIP: dump killed leaves nothing: strace cannot run here"
		return
	fi
	# 8 MiB: eight writes of 1 MiB, 0.2 s each
	head -c 8388608 /dev/zero |
		"$S" create "${P}slow" --dtype u1 --shape 8388608 --raw -
	printf 'old' >"$T/old2.npy"
	for s in HUP:129:new2.npy INT:130:new2.npy TERM:143:old2.npy; do
		sig=${s%%:*}; want=${s#*:}; want=${want%%:*}; f=${s##*:}
		dump_slowly --default-signal="$sig" "$T/$f"
		kill -"$sig" "$(cat "$T/pid")"
		{ wait "$spid"; } 2>/dev/null	# no "Terminated" from sh
		rc=$?
		left=$(ls -A "$T" | grep "^$f\.")
		[ "$rc" -eq "$want" ] && [ -z "$left" ] &&
			ok "dump ended by SIG$sig: exit $rc, no temporary file" ||
			nok "dump ended by SIG$sig: exit $rc, left '$left'"
	done
	[ ! -e "$T/new2.npy" ] && [ "$(cat "$T/old2.npy")" = old ] &&
		ok "no new file, the old file as it was" ||
		nok "signals left $(ls -A "$T")"
	dump_slowly --ignore-signal=HUP "$T/nohup.npy"
	kill -HUP "$(cat "$T/pid")"
	wait "$spid"
	rc=$?
	[ "$rc" -eq 0 ] && [ "$(stat -c %s "$T/nohup.npy")" = $((8388608 + 128)) ] &&
		ok "an ignored SIGHUP stays ignored: the dump completes" ||
		nok "ignored SIGHUP: exit $rc, $(ls -A "$T")"
}

# A file that replaces another is never open to more users than the one
# it replaces, not even while it is written, and ends with its group and
# mode (its temporary file was 0644 from the umask for a moment, and took
# the caller's group).
test_dump_replacing_keeps_it_private() {
	if ! command -v strace >/dev/null || [ "$(id -u)" -ne 0 ] ||
	   ! getent group nogroup >/dev/null; then
		echo "SKIP: dump replacing a private file: needs strace, root and group nogroup"
		return
	fi
	[ -e "/dev/shm/${P}slow" ] || head -c 8388608 /dev/zero |
		"$S" create "${P}slow" --dtype u1 --shape 8388608 --raw -
	printf 'old' >"$T/priv.npy"
	chmod 0600 "$T/priv.npy"
	# Its fchmod held back a second: the mode it was created with shows.
	strace -f -qq -o /dev/null -e trace=fchmod \
		-e inject=fchmod:delay_enter=1000000 \
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		"$S" dump "${P}slow" -o "$T/priv.npy" &
	spid=$!
	i=0
	until ls "$T"/priv.npy.* >/dev/null 2>&1 || [ $i -ge 500 ]; do
		sleep 0.01; i=$((i + 1))
	done
	during=$(stat -c %a "$T"/priv.npy.* 2>&1 | head -n 1)
	wait "$spid"
	[ "$during" = 600 ] && [ "$(stat -c %a "$T/priv.npy")" = 600 ] &&
		[ "$(stat -c %s "$T/priv.npy")" = $((8388608 + 128)) ] &&
		ok "a 0600 file replaced by dump is 0600 while written and after" ||
		nok "dump over a 0600 file: $during while written, $(stat -c %a "$T/priv.npy") after"
	printf 'old' >"$T/grp.npy"
	chgrp nogroup "$T/grp.npy"
	chmod 0640 "$T/grp.npy"
	run "$S" dump "${P}slow" -o "$T/grp.npy"
	[ "$rc" -eq 0 ] &&
		[ "$(stat -c %G:%a "$T/grp.npy")" = nogroup:640 ] &&
		ok "a file replaced by dump keeps its group" ||
		nok "dump over a nogroup 0640 file: exit $rc, $(stat -c %G:%a "$T/grp.npy")"
}

# A name another user took first (uid 65534, 0644, as a squatter would):
# wait, info and dump --owner refuse it, exit 1, saying who owns it, and
# dump writes nothing; wait fails at once rather than time out. Given its
# real owner, or root's own segment, they succeed. An unknown user is a
# usage error before any segment is looked at.
test_owner_refuses_squatter() {
	as_nobody_ok "--owner" || return
	write_npy "$T/a.npy"
	nobody "$T/shmctl" create "${P}squat" --from - --mode 0644 <"$T/a.npy"
	"$S" create "${P}mine" --from "$T/a.npy" --mode 0644
	them=$(id -nu 65534 2>/dev/null || echo 65534)
	me=$(id -nu 0)
	why="owned by $them (uid 65534), not $me"
	for c in "wait ${P}squat --timeout 5" "info ${P}squat" \
		 "info --json ${P}squat" "dump ${P}squat" \
		 "dump ${P}squat -o $T/squat.npy"; do
		for o in "--owner $me" "-u 0"; do
			# shellcheck disable=SC2086
			run "$S" $c $o
			expect "$c $o: another user's segment refused" 1 \
				"shmctl: ${c%% *} ${P}squat: $why"
			[ -z "$out" ] || nok "$c $o printed '$out'"
		done
	done
	left=$(find "$T" -name 'squat.npy*')
	[ -z "$left" ] && ok "a refused dump -o leaves no file" ||
		nok "a refused dump -o left $left"
	for c in wait info dump; do
		run "$S" $c "${P}squat" --owner "$them"
		expect "$c --owner $them: its owner's segment" 0
		run "$S" $c "${P}mine" -u "$me"
		expect "$c -u $me: root's own segment" 0
	done
	"$S" dump "${P}squat" -u 65534 -o "$T/theirs.npy" &&
		cmp -s "$T/a.npy" "$T/theirs.npy" &&
		ok "dump -u 65534 writes the segment" || nok "dump -u 65534"
	for c in wait info dump; do
		run "$S" $c "${P}none" --owner "no-such-user-$$"
		expect "$c --owner of an unknown user: usage error" 2 \
			"shmctl: $c: unknown user 'no-such-user-$$'"
	done
	# the name is not there yet: --owner still waits
	(sleep 0.3; "$S" create "${P}later" --from "$T/a.npy") &
	run "$S" wait "${P}later" --owner "$me" --timeout 10
	wait $!
	expect "wait --owner waits for a name not yet there" 0
}

# The owner checked is that of the object attached (for info: of the
# header shown): the name is looked up once, not again for the check.
test_owner_checked_on_what_was_attached() {
	if ! command -v strace >/dev/null ||
	   ! strace -qq -o /dev/null true 2>/dev/null; then
		echo "SKIP: --owner checked on what was attached: strace cannot run here"
		return
	fi
	write_npy "$T/a.npy"
	"$S" create "${P}once" --from "$T/a.npy"
	for c in wait info dump; do
		strace -f -qq -e trace=%file -o "$T/trace" \
			env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
			"$S" $c "${P}once" --owner 0 >/dev/null 2>&1
		n=$(grep -c "/dev/shm/${P}once\"" "$T/trace")
		[ "$n" -eq 1 ] && ok "$c --owner looks up the name once" ||
			nok "$c --owner looked up the name $n times"
	done
}

# Records and datetimes: create --raw --dtype takes NumPy's description;
# info, list and --json show it (list shortened); dump writes it back.
test_records_and_datetimes() {
	rec="[('ts', '<M8[ns]'), ('price', '<f8'), ('qty', '<i4'), ('', '|V4')]"
	head -c 72 /dev/zero >"$T/rec.raw"
	run "$S" create "${P}rec" --raw "$T/rec.raw" --dtype "$rec" --shape 3
	expect "create --raw --dtype with a record's description" 0
	head -c 16 /dev/zero | "$S" create "${P}ts" --raw - --dtype '>m8[25s]' \
		--shape 2
	run "$S" info "${P}rec"
	printf '%s\n' "$out" | grep -qxF "dtype:        $rec" &&
	printf '%s\n' "$out" | grep -qx 'itemsize: *24' &&
	printf '%s\n' "$out" | grep -qx 'shape: *(3,)' &&
		ok "info shows a record's description in full, and its item size" ||
		nok "info of a record: $out"
	run "$S" info "${P}ts"
	printf '%s\n' "$out" | grep -qx 'dtype: *>m8\[25s\]' &&
		ok "info shows a timedelta with its unit" || nok "info of m8: $out"
	run "$S" list
	printf '%s\n' "$out" | grep -q "^${P}rec  *sealed  *\[('ts', '<M8\[ns\]'), ('price',\.\.\.  *3 " &&
	printf '%s\n' "$out" | grep -q "^${P}ts  *sealed  *>m8\[25s\]  *2 " &&
		ok "list shows the description, shortened to 32 characters" ||
		nok "list: $out"
	run "$S" list --json
	printf '%s' "$out" | /usr/bin/python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
r, t = rows[sys.argv[1] + "rec"], rows[sys.argv[1] + "ts"]
assert r["dtype"] == sys.argv[2] and r["itemsize"] == 24, r
assert t["dtype"] == ">m8[25s]" and t["itemsize"] == 8, t' "$P" "$rec" &&
		ok "list --json gives the description in full, and the item size" ||
		nok "list --json: $out"
	run "$S" dump "${P}rec" -o "$T/rec.npy"
	head -c 128 "$T/rec.npy" | grep -qF "{'descr': $rec, 'fortran_order': False, 'shape': (3,), }" &&
		ok "dump writes the description" || nok "dump of a record: rc $rc $err"
	# What a segment cannot carry, named, with the reason; nothing left.
	run "$S" create "${P}obj" --raw "$T/rec.raw" --dtype "[('o', '|O')]" \
		--shape 9
	expect "--dtype of an object field" 2 "shmctl: create: bad dtype '[('o', '|O')]': dtype '|O': object arrays hold pointers, not data"
	run "$S" create "${P}obj" --raw "$T/rec.raw" --dtype "[('a', '<i4'" \
		--shape 18
	expect "--dtype malformed" 2 "malformed dtype description"
	run "$S" create "${P}obj" --raw "$T/rec.raw" --dtype "<M8[ns]" \
		--shape 10
	expect "--raw with a datetime, shorter input" 1 "rec.raw: input is shorter than the array (72 of 80 bytes)"
	[ ! -e "/dev/shm/${P}obj" ] && ok "nothing left by refused dtypes" ||
		nok "left /dev/shm/${P}obj"
	"$S" rm "${P}rec" "${P}ts"
}

test_help_and_version
test_command_help
test_records_and_datetimes
test_command_help_write_error
test_create_killed_leaves_nothing
test_create_full_dev_shm
test_create_blames_the_segment
test_create_from_npy
test_create_refuses_bad_npy
test_create_from_segment_copy
test_create_raw
test_list_and_states
test_info_unknown_pid_and_far_dates
test_c1_controls_escaped
test_rm
test_dump_and_wait
test_permissions
test_bad_names_touch_nothing
test_symlinks_not_followed
test_socket_and_leased_file
test_write_errors
test_rm_stale_private
test_replace_private
test_create_replace
test_rm_older_usage
test_rm_usage_is_the_synopsis
test_rm_older_private
test_dump_overlapping_is_bounded
test_dump_output_kinds
test_dump_refused_where_shell_is
test_dump_killed_leaves_nothing
test_dump_replacing_keeps_it_private
test_owner_refuses_squatter
test_owner_checked_on_what_was_attached
exit $failed
