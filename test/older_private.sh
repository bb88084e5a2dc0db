#!/bin/sh
# SPDX-License-Identifier: MIT
# older_private.sh - run by test_shmctl.sh inside a private /dev/shm,
# since shmctl rm --older-than without names removes every old segment
# there is: exactly the segments older than the age go, in any state, and
# only those of --owner, only among the names given, never one made under
# a name after it was judged, never one dated in the future
# It mounts over /dev/shm: only where its caller (in_private_shm of
# fixtures.sh) has put a tmpfs of its own there, in a private mount
# namespace; never on the /dev/shm everything else on the machine uses.
. test/fixtures.sh		# private_start, patch_header, replaced_meanwhile
private_start "$1"
trap 'exec 8>&- 9>&-; rm -rf "$T"' EXIT

# run CMD...: sets $out, $err and $rc
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# the objects in /dev/shm, on one line
left() { LC_ALL=C ls -A /dev/shm | tr '\n' ' '; }
# words: the arguments as lines, as rm --dry-run prints names
words() { printf '%s\n' "$@"; }
sealed() { printf abcd | "$S" create "$1" --dtype u1 --shape 4 --raw -; }
# building NAME FD: a live creator holds NAME building until FD closes
building() {
	"$H" build "$1" <"$T/hold$2" >"$T/$1.out" 8>&- 9>&- &
	wait_for "$T/$1.out" rc=0
}
# aged NAME SECONDS: NAME's header says it was made SECONDS ago
aged() {
	patch_header "$1" created "$(printf '%016x' $(($(date +%s) - $2)))"
}
# empty: nothing in /dev/shm, the creators of the last test gone
empty() {
	exec 8>&- 9>&-
	wait
	rm -f /dev/shm/* /dev/shm/.[!.]*
}
mkfifo "$T/hold8" "$T/hold9"

# Made, 2 s apart, in real time: the first batch (sealed, building with
# its creator alive, stale) is older than 1 s, the second not yet. The
# second is made and judged in well under the second that 1s leaves it.
test_first_batch_goes() {
	exec 8<>"$T/hold8"
	sealed a1
	sealed a2
	building abld 8
	"$H" build astl </dev/null >/dev/null	# its creator gone: stale
	printf foreign >/dev/shm/afile
	sleep 2
	exec 9<>"$T/hold9"
	sealed b1
	building bbld 9
	before=$(left)
	run "$S" rm --older-than 1s --dry-run
	[ $rc -eq 0 ] && [ "$out" = "$(words a1 a2 abld astl)" ] &&
		[ -z "$err" ] && [ "$(left)" = "$before" ] &&
		ok "rm --older-than 1s --dry-run lists the first batch, removes nothing" ||
		nok "rm --older-than 1s --dry-run: exit $rc, '$out', '$err', left '$(left)'"
	run "$S" rm --older-than 1s
	[ $rc -eq 0 ] && [ -z "$out$err" ] && [ "$(left)" = "afile b1 bbld " ] &&
		ok "rm --older-than 1s removes exactly the first batch, sealed, building or stale, silently" ||
		nok "rm --older-than 1s: exit $rc, '$out$err', left '$(left)'"
	"$S" info bbld | grep -qx 'state: *building' &&
		ok "the second batch's live building segment stays building" ||
		nok "bbld: $("$S" info bbld 2>&1)"
	empty
}

# The rest is dated by the header: made two days ago, as far as rm can
# tell, so that no test depends on how long the others take.
test_owner_and_names() {
	them=$(id -nu 65534 2>/dev/null || echo 65534)
	for n in o1 o2 orepl theirs y1; do
		sealed $n
	done
	for n in o1 o2 orepl theirs; do
		aged $n 172800
	done
	chown 65534 /dev/shm/theirs
	printf foreign >/dev/shm/ofile
	run "$S" rm --older-than 1d -n
	[ $rc -eq 0 ] && [ "$out" = "$(words o1 o2 orepl theirs)" ] &&
		ok "rm --older-than 1d -n: the segments dated two days ago, by name" ||
		nok "rm --older-than 1d -n: exit $rc, '$out', '$err'"
	run "$S" rm --older-than 1d -n theirs y1 /o1
	[ $rc -eq 0 ] && [ "$out" = "$(words o1 theirs)" ] &&
		ok "with names: only among them, as list shows names" ||
		nok "rm --older-than 1d -n NAMES: exit $rc, '$out', '$err'"
	run "$S" rm --older-than 1d -n -u 65534
	[ $rc -eq 0 ] && [ "$out" = theirs ] &&
		ok "-u 65534: only that uid's" || nok "-u 65534: '$out', '$err'"
	run "$S" rm --older-than 1d -n --owner root
	[ $rc -eq 0 ] && [ "$out" = "$(words o1 o2 orepl)" ] &&
		ok "--owner root: only root's" || nok "--owner root: '$out', '$err'"
	run "$S" rm --older-than 1d --owner "$them"
	[ $rc -eq 0 ] && [ -z "$out$err" ] &&
		[ "$(left)" = "o1 o2 ofile orepl y1 " ] &&
		ok "rm --older-than --owner $them removes theirs, none of root's" ||
		nok "--owner $them: exit $rc, '$out$err', left '$(left)'"
	run "$S" rm --older-than 1d o1 y1
	[ $rc -eq 0 ] && [ -z "$out$err" ] &&
		[ "$(left)" = "o2 ofile orepl y1 " ] &&
		ok "rm --older-than 1d o1 y1 removes o1 only" ||
		nok "rm --older-than 1d o1 y1: exit $rc, '$out$err', left '$(left)'"
	run "$S" rm --older-than 1d nosuch o2 ofile
	[ $rc -eq 1 ] && [ -z "$out" ] && [ "$err" = "shmctl: rm nosuch: no such segment
shmctl: rm ofile: not a shmseg segment of this version; not removed" ] &&
		[ "$(left)" = "ofile orepl y1 " ] &&
		ok "a missing name and a foreign object are errors, exit 1; the others go on" ||
		nok "missing and foreign: exit $rc, '$out', '$err', left '$(left)'"
	run "$S" rm --older-than 1d -f nosuch
	[ $rc -eq 0 ] && [ -z "$out$err" ] &&
		ok "-f: a missing name is not an error" ||
		nok "-f nosuch: exit $rc, '$out$err'"
}

# rm --older-than judges orepl old, then removes it; a segment made under
# the name in between is not what it judged, and stays, without an error.
test_replaced_meanwhile() {
	replaced_meanwhile orepl "$T/err" "$S" rm --older-than 1d orepl || return
	[ $rc -eq 0 ] && [ "$data" = wxyz ] && [ ! -s "$T/err" ] &&
		[ "$(left)" = "ofile orepl y1 " ] &&
		ok "rm --older-than leaves a segment made under the name after it judged the old one" ||
		nok "rm --older-than and a replaced name: exit $rc, data '$data', $(cat "$T/err"), left '$(left)'"
}

# Dated 2^63-1 seconds after 1970: older than nothing, not even 0s. Dated
# 2^63 seconds before: older than the longest duration, where now less it
# is still a time a header can hold.
test_far_dates() {
	sealed fut
	sealed past
	patch_header fut created 7fffffffffffffff
	patch_header past created 8000000000000000
	run "$S" rm --older-than 0 -n
	[ $rc -eq 0 ] && [ "$out" = "$(words orepl past y1)" ] &&
		ok "--older-than 0: all but the one made in the future" ||
		nok "--older-than 0 -n: exit $rc, '$out', '$err'"
	run "$S" rm --older-than 9223372036854775807 -n
	[ $rc -eq 0 ] && [ "$out" = past ] &&
		ok "--older-than 2^63-1 seconds: the one made 2^63 seconds before 1970" ||
		nok "--older-than 2^63-1 -n: exit $rc, '$out', '$err'"
	run "$S" rm --older-than 0
	[ $rc -eq 0 ] && [ -z "$out$err" ] && [ "$(left)" = "fut ofile " ] &&
		ok "rm --older-than 0 leaves only the future and the foreign" ||
		nok "rm --older-than 0: exit $rc, '$out$err', left '$(left)'"
}

test_first_batch_goes
test_owner_and_names
test_replaced_meanwhile
test_far_dates
empty
ok "rm --older-than in a private /dev/shm: done"
