#!/bin/sh
# SPDX-License-Identifier: MIT
# edges_private.sh - run by test_edges.sh as root inside a private mount
# namespace, where it mounts small tmpfs file systems of its own on
# /dev/shm: promises at the edges an outsider tries first. A /dev/shm full
# to the last page, a sparse segment larger than the memory left, a
# creator in a pid namespace without its own /proc, a creator that hands
# its handle to a child and exits, NumPy as the reader of a segment still
# being built or of an empty array
# It mounts over /dev/shm: only where its caller (in_private_shm of
# fixtures.sh) has put a tmpfs of its own there, in a private mount
# namespace; never on the /dev/shm everything else on the machine uses.
. test/fixtures.sh		# private_start, and more
private_start "$1"
P=edge-
trap 'exec 9>&-; umount /dev/shm 2>/dev/null; rm -rf "$T"' EXIT
have_numpy() { [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; }

# shm SIZE: a fresh, empty tmpfs of SIZE on /dev/shm
shm() {
	umount /dev/shm 2>/dev/null
	mount -t tmpfs -o "size=$1" shmseg-edge /dev/shm
}

# free_pages N: fill /dev/shm so that exactly N pages are left
free_pages() {
	avail=$(stat -f -c %a /dev/shm)
	bs=$(stat -f -c %S /dev/shm)
	fallocate -l $(((avail - $1) * bs)) /dev/shm/filler
	[ "$(stat -f -c %a /dev/shm)" -eq "$1" ] ||
		nok "could not leave exactly $1 pages free"
}


left() { ls -A /dev/shm | grep -v '^filler$' | tr '\n' ' '; }

# A segment of 2x3 <i2 takes two pages: its header and its data. With 0
# or 1 page left, every way of making one fails cleanly and leaves
# nothing; with 2 it fits to the last page, and reads back whole.
test_full_shm() {
	write_npy "$T/a.npy"
	for free in 0 1 2; do
		shm 1m
		free_pages $free
		"$S" create "${P}file" --from "$T/a.npy" 2>"$T/err1"
		rc1=$?
		"$S" create "${P}pipe" --from - <"$T/a.npy" 2>"$T/err2"
		rc2=$?
		head -c 12 /dev/zero | "$S" create "${P}raw" --dtype '<i2' \
			--shape 2x3 --raw - 2>"$T/err3"
		rc3=$?
		"$H" sparse "${P}sparse" 12 >"$T/sparse" 2>&1
		rc4=$?
		got="$rc1 $rc2 $rc3 $rc4 $(cat "$T/sparse")"
		if [ $free -lt 2 ]; then
			# A sparse create needs only its header page; its seal
			# then fails and leaves it building, for its creator
			# to remove.
			want="1 1 1 0 create=-28"
			[ $free -eq 1 ] &&
				want="1 1 1 0 create=0 seal=-28 state=1" &&
				rm -f "/dev/shm/${P}sparse"
			[ "$got" = "$want" ] &&
			grep -q "create ${P}file: no space left for the segment" "$T/err1" &&
			grep -q "create ${P}pipe: no space left for the segment" "$T/err2" &&
			grep -q "create ${P}raw: no space left for the segment" "$T/err3" &&
			[ -z "$(left)" ] &&
				ok "$free pages free: create --from FILE, --from -, --raw fail with ENOSPC and leave nothing; a sparse create or seal fails with ENOSPC" ||
				nok "$free pages free: got '$got', left '$(left)', $(cat "$T/err1" "$T/err2" "$T/err3")"
		else
			[ "$rc1" = 0 ] && [ "$(left)" = "${P}file " ] &&
			"$H" read "${P}file" >/dev/null &&
				ok "2 pages free: a two-page segment fits to the last page and reads back" ||
				nok "2 pages free: got '$got', left '$(left)'"
		fi
	done
}

# A sparse segment larger than the memory left cannot be sealed: the seal
# reserves its holes, fails with ENOSPC and leaves it building. One that
# fits is reserved whole at its seal, so that readers of it never fault,
# however full /dev/shm becomes afterwards.
test_sealed_sparse_never_faults() {
	shm 8m
	out=$("$H" sparse "${P}big" 67108864)
	[ "$out" = "create=0 seal=-28 state=1" ] &&
		ok "sparse 64 MiB in 8 MiB: the seal fails with ENOSPC, still building" ||
		nok "sparse 64 MiB in 8 MiB: $out"
	shm 8m
	out=$("$H" sparse "${P}fits" 4194304)
	[ "$out" = "create=0 seal=0 state=2" ] || nok "sparse 4 MiB in 8 MiB: $out"
	cat /dev/zero >/dev/shm/filler 2>/dev/null	# to the last page
	"$H" read "${P}fits" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] &&
		ok "a sealed sparse segment reads whole on a full /dev/shm" ||
		nok "reading a sealed sparse segment on a full /dev/shm: exit $rc"
	if have_numpy; then
		"$PY" -c 'import numpy, sys
a = numpy.load(sys.argv[1], mmap_mode="r")
assert a.sum() == 0 and a.size == 4194304' "/dev/shm/${P}fits" 2>"$T/err"
		rc=$?
		[ $rc -eq 0 ] &&
			ok "numpy reads a sealed sparse segment whole on a full /dev/shm" ||
			nok "numpy on a full /dev/shm: exit $rc $(cat "$T/err")"
	fi
}

# A creator that forks and exits while its child keeps the handle (the
# daemon's way) is alive: not stale, not removed by rm --stale, and the
# child's seal publishes the segment.
test_handoff_to_a_child() {
	shm 16m
	mkfifo "$T/in"
	"$H" handoff "${P}hand" <"$T/in" >"$T/hand" &
	exec 9>"$T/in"
	wait $!
	wait_for "$T/hand" "handed"
	st=$("$S" info "${P}hand" | sed -n 's/^state: *//p')
	"$S" rm --stale
	[ "$st" = building ] && [ -e "/dev/shm/${P}hand" ] &&
		ok "creator forked and exited, the child holds it: building, and rm --stale leaves it" ||
		nok "handed-off segment: state '$st', $(ls -A /dev/shm)"
	echo go >&9
	exec 9>&-
	wait_for "$T/hand" "sealed"
	"$S" wait "${P}hand" --timeout 5 &&
	grep -q "sealed rc=0" "$T/hand" &&
		ok "the child's seal publishes the handed-off segment" ||
		nok "handed-off seal: $(cat "$T/hand")"
	rm -f "$T/in"
}

# A creator in a pid namespace whose /proc is still the parent's (unshare
# -p -f without --mount-proc) is alive to readers inside and outside the
# namespace; once it exits, its segment is stale to both.
test_pid_namespace_without_proc() {
	shm 16m
	mkfifo "$T/ns"
	# LeakSanitizer reads /proc/PID/task of its own pid, which without a
	# /proc of the namespace is some other process or none: off in here.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	unshare -p -f sh -c '
		"$1" build "$2" <"$3" >"$4" &
		n=0
		until grep -q rc=0 "$4" 2>/dev/null || [ $n -ge 500 ]; do
			sleep 0.01; n=$((n + 1))
		done
		echo "inside: $("$5" info "$2" | sed -n "s/^state: *//p")"
		"$5" rm --stale
		echo "inside after rm --stale: $(ls /dev/shm)"
		wait' sh "$H" "${P}ns" "$T/ns" "$T/build" "$S" >"$T/nsout" 2>&1 &
	ns=$!
	exec 9>"$T/ns"
	wait_for "$T/nsout" "after rm"
	outside=$("$S" info "${P}ns" | sed -n 's/^state: *//p')
	exec 9>&-
	wait $ns
	after=$("$S" info "${P}ns" | sed -n 's/^state: *//p')
	want=$(printf 'inside: building\ninside after rm --stale: %sns' "$P")
	[ "$(cat "$T/nsout")" = "$want" ] && [ "$outside" = building ] &&
	[ "$after" = stale ] &&
		ok "creator in a pid namespace without its own /proc: building inside and out while alive, stale once gone" ||
		nok "pid namespace: inside '$(cat "$T/nsout")', outside '$outside', after '$after'"
	rm -f "$T/ns"
}

# A replace made in a pid namespace without its own /proc: the seal links
# the nameless object by /proc/self/fd, which there is the parent
# namespace's view, or by its descriptor; the name goes over all the same,
# and a reader outside the namespace holding the old version keeps it.
test_replace_in_pid_namespace_without_proc() {
	shm 16m
	head -c 64 /dev/zero | "$S" create "${P}nsr" --raw - --dtype '<u8' \
		--shape 8 || nok "create ${P}nsr"
	mkfifo "$T/nsr"
	"$PY" -c '
import mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
m = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
print(m[4096:4160] == bytes(64), flush=True)
sys.stdin.readline()
print(m[4096:4160] == bytes(64), flush=True)' "/dev/shm/${P}nsr" \
		<"$T/nsr" >"$T/nsrold" &
	reader=$!
	exec 9>"$T/nsr"
	wait_for "$T/nsrold" True
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	unshare -p -f sh -c '
		head -c 64 /dev/urandom | "$1" create "$2" --raw - \
			--dtype "<u8" --shape 8 --replace; echo "rc=$?"' \
		sh "$S" "${P}nsr" >"$T/nsrout" 2>&1
	exec 9>&-
	wait $reader
	new=$(od -An -tx1 -j 4096 -N 64 "/dev/shm/${P}nsr" | tr -d ' \n')
	[ "$(cat "$T/nsrout")" = "rc=0" ] &&
	[ "$(cat "$T/nsrold")" = "$(printf 'True\nTrue')" ] &&
	[ "$new" != "$(printf '%0128d' 0)" ] &&
	[ "$(ls -A /dev/shm | grep -c shmseg-replace)" = 0 ] &&
		ok "create --replace in a pid namespace without its own /proc: the name goes over, the old version kept by its reader, no private name left" ||
		nok "replace in a pid namespace: '$(cat "$T/nsrout")', old reader '$(cat "$T/nsrold")', data $new"
	rm -f "$T/nsr" "/dev/shm/${P}nsr"
}

# Waiters across a pid namespace without its own /proc (unshare -p -f
# without --mount-proc), on a /dev/shm mounted just before: one inside
# waits on a segment made outside, woken by the name and then by the seal;
# one outside waits on a hidden segment made inside, woken as it is
# named. Neither needs /proc: inotify, a futex and the object's mapping.
test_wait_in_pid_namespace_without_proc() {
	shm 16m
	mkfifo "$T/wn"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	unshare -p -f "$H" wait "${P}wa" 30000 >"$T/wa" 2>&1 &
	wa=$!
	sleep 0.3			# asleep on the name
	"$H" churn "${P}wa" 4096 pause <"$T/wn" >"$T/churn" &
	churn=$!
	exec 9>"$T/wn"
	wait_for "$T/churn" created
	sleep 0.3			# asleep on the seal
	echo go >&9
	wait $wa
	exec 9>&-
	wait $churn
	"$H" wait "${P}wb" 30000 >"$T/wb" 2>&1 &
	wb=$!
	sleep 0.3
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	unshare -p -f sh -c 'head -c 64 /dev/zero |
		"$1" create "$2" --raw - --dtype "<u8" --shape 8' \
		sh "$S" "${P}wb" >"$T/wbc" 2>&1
	wait $wb
	grep -q '^rc=0 dtype=<u8 ndim=1 shape=512 ' "$T/wa" &&
	grep -q '^rc=0 dtype=<u8 ndim=1 shape=8 ' "$T/wb" &&
		ok "waiters across a pid namespace without its own /proc wake at the name and at the seal" ||
		nok "waiting across a pid namespace: inside '$(cat "$T/wa")', outside '$(cat "$T/wb")' '$(cat "$T/wbc")'"
	rm -f "$T/wn" "/dev/shm/${P}wa" "/dev/shm/${P}wb"
}

# NumPy must not load what shmseg refuses: a segment still being built,
# or one whose creator died before the seal. At the seal it loads.
test_numpy_refuses_unsealed() {
	have_numpy || { echo "SKIP: numpy and unsealed segments: no numpy"; return; }
	shm 16m
	mkfifo "$T/b"
	"$H" build "${P}bld" <"$T/b" >"$T/bld" &
	bld=$!
	exec 9>"$T/b"
	wait_for "$T/bld" "rc=0"
	cat >"$T/load.py" <<'EOF'
import sys, numpy
for mode in (None, "r"):
    try:
        numpy.load(sys.argv[1], mmap_mode=mode)
        print("loaded")
    except ValueError:
        print("refused")
EOF
	a=$("$PY" "$T/load.py" "/dev/shm/${P}bld" | tr '\n' ' ')
	exec 9>&-
	wait $bld			# exits without a seal: stale
	b=$("$PY" "$T/load.py" "/dev/shm/${P}bld" | tr '\n' ' ')
	[ "$a" = "refused refused " ] && [ "$b" = "refused refused " ] &&
		ok "numpy.load refuses a building and a stale segment, with and without mmap_mode" ||
		nok "numpy.load of unsealed segments: building '$a', stale '$b'"
	rm -f "$T/b"
}

# rm --stale judges a segment stale, then removes it; a sealed segment
# made under the name in between is not what it judged, and stays.
test_rm_stale_removes_only_what_it_judged() {
	shm 16m
	"$H" build "${P}st" </dev/null >/dev/null	# exits unsealed: stale
	replaced_meanwhile "${P}st" "$T/err" "$S" rm --stale || return
	[ $rc -eq 0 ] && [ "$data" = wxyz ] && [ "$(left)" = "${P}st " ] &&
		ok "rm --stale leaves a segment made under the name after it judged the old one stale" ||
		nok "rm --stale and a replaced name: exit $rc, data '$data', left '$(left)'"
}

test_full_shm
test_rm_stale_removes_only_what_it_judged
test_sealed_sparse_never_faults
test_handoff_to_a_child
test_pid_namespace_without_proc
test_replace_in_pid_namespace_without_proc
test_wait_in_pid_namespace_without_proc
test_numpy_refuses_unsealed
