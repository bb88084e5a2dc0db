#!/bin/sh
# SPDX-License-Identifier: MIT
# test_edges.sh - the promises of README and the man pages at their edges:
# file size limits here; full or small /dev/shm, pid namespaces and
# handed-off creators in edges_private.sh, inside a private mount
# namespace of its own so that no one else's /dev/shm is touched
B=${B:-build}
S=$B/shmctl
P=shmseg-e$$-			# every name this test makes starts so
. test/scratch.sh		# $T, and cleanup of it and of $P* at exit
. test/fixtures.sh		# u1_npy, in_private_shm, replaced_meanwhile, wait_for
failed=0

ok() { echo "ok - $1"; }
nok() { echo "not ok - $1"; failed=1; }

# Under RLIMIT_FSIZE, making a segment larger than the limit is a clean
# error that blames the segment, never death by SIGXFSZ.
test_file_size_limit() {
	if ! command -v prlimit >/dev/null 2>&1; then
		echo "SKIP: file size limit: no prlimit"
		return
	fi
	u1_npy 2097152 2097152 >"$T/big.npy"
	for how in "--from $T/big.npy" "--from -" \
		   "--dtype u1 --shape 2097152 --raw -"; do
		# shellcheck disable=SC2086
		prlimit --fsize=1000000 "$S" create "${P}fsz" $how \
			<"$T/big.npy" 2>"$T/err"
		rc=$?
		[ $rc -eq 1 ] && [ ! -e "/dev/shm/${P}fsz" ] &&
		grep -q "create ${P}fsz: larger than the file size limit allows" "$T/err" &&
			ok "create $how under a 1 MB file size limit: exit 1, nothing left" ||
			nok "create $how under prlimit --fsize: exit $rc, $(cat "$T/err")"
	done
}

# A segment of an empty array is as memory-mappable by NumPy as a .npy
# file np.save writes for it: the object extends a byte past the header.
test_empty_arrays_map() {
	if ! /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
		echo "SKIP: empty arrays and numpy: no numpy"
		return
	fi
	n=0
	for dt in '<f8' u1 S3 '>i4'; do
		for shape in 0 5x0 0x3; do
			n=$((n + 1))
			"$S" create "${P}empty$n" --dtype "$dt" --shape "$shape" \
				--raw - </dev/null || nok "create $dt $shape"
			got=$(/usr/bin/python3 -c 'import numpy, sys
a = numpy.load(sys.argv[1], mmap_mode="r")
b = numpy.load(sys.argv[1])
print(a.dtype.str, a.shape, b.shape, a.size)' "/dev/shm/${P}empty$n" 2>&1)
			want=$(/usr/bin/python3 -c 'import numpy, sys
print(numpy.dtype(sys.argv[1]).str, *[tuple(int(d) for d in sys.argv[2].split("x"))] * 2, 0)' "$dt" "$shape")
			[ "$got" = "$want" ] &&
				ok "numpy maps an empty $dt array of shape $shape" ||
				nok "numpy and an empty $dt $shape: got '$got', wanted '$want'"
		done
	done
}

# shmctl rm judges NAME a segment, then removes it; a segment made under
# the name in between is not what it judged, and stays.
test_rm_removes_only_what_it_judged() {
	printf abcd | "$S" create "${P}rm" --dtype u1 --shape 4 --raw -
	replaced_meanwhile "${P}rm" "$T/err" "$S" rm "${P}rm" || return
	[ $rc -eq 1 ] && [ "$data" = wxyz ] &&
	grep -q "rm ${P}rm: the name no longer holds the segment judged; not removed" "$T/err" &&
		ok "rm leaves a segment made under the name after it judged the old one" ||
		nok "rm and a replaced name: exit $rc, data '$data'"
	# The private name rm took the name to, from its trace: gone again.
	priv=$(sed -n 's/^renameat2(.*"\/dev\/shm\/\(\.shmseg-unlink-[0-9a-f]*\)".*/\1/p' \
		"$T/strace" | head -n 1)
	[ -n "$priv" ] && [ ! -e "/dev/shm/$priv" ] &&
		ok "rm gave the name back and left no private name" ||
		nok "rm's private name '$priv' left behind, or not seen in its trace"
}

# A failed import never touches the name: its segment never had it (it is
# named only at its seal), and whatever has it now is somebody else's.
test_failed_import_leaves_the_name_alone() {
	if ! command -v strace >/dev/null 2>&1; then
		echo "SKIP: a failed import and the name: no strace"
		return
	fi
	u1_npy 1000000 3000 >"$T/cut.npy"
	mkfifo "$T/in"
	strace -f -o "$T/itrace" -e trace=openat,renameat2,unlink,unlinkat \
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		"$S" create "${P}imp" --from "$T/in" 2>"$T/ierr" &
	exec 9>"$T/in"
	cat "$T/cut.npy" >&9
	wait_for "$T/itrace" O_TMPFILE		# its segment made, nameless
	printf abcd | "$S" create "${P}imp" --dtype u1 --shape 4 --raw -
	exec 9>&-				# the input ends early
	wait $!
	rc=$?
	data=$("$S" dump "${P}imp" | tail -c 4)
	[ $rc -eq 1 ] && [ "$data" = abcd ] &&
		grep -q "input is shorter than its header says" "$T/ierr" &&
		! grep -qE '^[0-9]+ +(renameat2|unlink)' "$T/itrace" &&
		ok "a failed import leaves alone the segment that took the name meanwhile" ||
		nok "failed import: exit $rc, data '$data', $(cat "$T/ierr") $(grep -E 'renameat2|unlink' "$T/itrace")"
	rm -f "$T/in"
}

# The private name rm takes a name to cannot be planted beforehand: 16
# files under the names a pid and a counter would give do not stop it.
test_rm_private_names_cannot_be_planted() {
	printf abcd | "$S" create "${P}plant" --dtype u1 --shape 4 --raw -
	sh -c 'i=0
		while [ $i -lt 16 ]; do
			: >"/dev/shm/.shmseg-unlink-$$-$i"; i=$((i + 1))
		done
		echo $$ >"$3"
		exec "$1" rm "$2"' sh "$S" "${P}plant" "$T/plantpid" 2>"$T/err"
	rc=$?
	pid=$(cat "$T/plantpid")
	i=0
	while [ $i -lt 16 ]; do
		rm -f "/dev/shm/.shmseg-unlink-$pid-$i"; i=$((i + 1))
	done
	[ $rc -eq 0 ] && [ ! -e "/dev/shm/${P}plant" ] &&
		ok "rm is not stopped by private names planted for its pid" ||
		nok "rm with planted private names: exit $rc, $(cat "$T/err")"
}

test_private() {
	in_private_shm test/edges_private.sh "$B" \
		"full /dev/shm, pid namespaces, fork" || return
	[ "$(printf '%s\n' "$out" | grep -c '^ok')" -ge 10 ] ||
		nok "edges in a private /dev/shm did not all run"
}

test_file_size_limit
test_empty_arrays_map
test_rm_removes_only_what_it_judged
test_failed_import_leaves_the_name_alone
test_rm_private_names_cannot_be_planted
test_private
exit $failed
