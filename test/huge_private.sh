#!/bin/sh
# SPDX-License-Identifier: MIT
# huge_private.sh - run by test_huge.sh as root inside a private mount
# namespace, where it mounts tmpfs file systems of its own on /dev/shm,
# one for each huge= policy: a 64 MiB segment made each way the library
# makes one (created and filled through its mapping, imported from a .npy
# file or a pipe, loaded raw, published from memory and built in Python),
# read back by a separate reader attached with SHMSEG_POPULATE, and by
# NumPy: the same data in every case, in huge pages mapped whole where the
# policy gives them, and in no huge page where it does not.
# It mounts over /dev/shm: only where its caller (in_private_shm of
# fixtures.sh) has put a tmpfs of its own there, in a private mount
# namespace; never on the /dev/shm everything else on the machine uses.
. test/fixtures.sh		# private_start, and more
private_start "$1"
trap 'umount /dev/shm 2>/dev/null; rm -rf "$T"' EXIT

N=8388608			# <u8 elements: 64 MiB of data
MB64=67108864

# shm OPTIONS: a fresh, empty tmpfs on /dev/shm
shm() {
	umount /dev/shm 2>/dev/null
	mount -t tmpfs -o "$1" shmseg-huge /dev/shm
}

# made POLICY HOW NAME: the segment NAME, made HOW, read by a separate
# process: its data and, where POLICY gives huge pages, all of it mapped
# with them; and what shmctl info says of its pages.
made() {
	got=$("$H" pmd "$3" 2>&1)
	hash=${got##*hash=}
	pmd=${got#pmd=}
	pmd=${pmd%% *}
	pages=$("$S" info "$3" | sed -n 's/^pages: *//p')
	if [ "$1" = never ]; then
		want_pmd=0
		want_pages="4Ki, measured: none in huge pages, under huge=never"
	else
		want_pmd=$MB64
		want_pages="2Mi, measured: $MB64 bytes (64Mi) in huge pages, under huge=$1"
	fi
	[ "$hash" = "$ref_hash" ] && [ "$pmd" = "$want_pmd" ] &&
	[ "$pages" = "$want_pages" ] &&
	# Aligned to 2 MiB where huge pages may back it; under never,
	# either way (a mapping is so aligned one time in 512, by chance:
	# found failing once in a full run).
	case $got in *aligned=1*) : ;; *) [ "$1" = never ] ;; esac &&
		ok "huge=$1: $2: the data, huge pages mapped whole ($pmd bytes), info says '$pages'" ||
		nok "huge=$1: $2: reader saw '$got', info '$pages'; wanted hash $ref_hash, pmd $want_pmd, '$want_pages'"
}

# numpy_reads POLICY NAME: numpy.load(mmap_mode='r') of the segment's
# file sums it right, and, where POLICY gives huge pages, maps all but
# its first and last 2 MiB with them: NumPy maps from the data's offset,
# so that the huge page holding the header is not whole in its mapping.
numpy_reads() {
	got=$("$PY" - "/dev/shm/$2" <<'PYEOF' 2>&1
import sys, numpy
a = numpy.load(sys.argv[1], mmap_mode="r")
total = int(a.sum(dtype=numpy.uint64))
start = a.ctypes.data
pmd = 0
with open("/proc/self/smaps") as f:
    inside = False
    for line in f:
        head = line.split(" ", 1)[0]
        if "-" in head:
            lo, hi = (int(x, 16) for x in head.split("-"))
            inside = lo <= start < hi
        elif inside and line.startswith(("ShmemPmdMapped:", "FilePmdMapped:")):
            pmd += int(line.split()[1]) * 1024
print(total, pmd)
PYEOF
)
	if [ "$1" = never ]; then want="0"; else want=$((MB64 - 2097152)); fi
	[ "$got" = "$((N * (N - 1) / 2)) $want" ] &&
		ok "huge=$1: NumPy reads it right, $want bytes mapped with huge pages" ||
		nok "huge=$1: NumPy read '$got', wanted '$((N * (N - 1) / 2)) $want'"
}

test_policy() {
	pol=$1
	if ! shm "size=1g,huge=$pol" 2>"$T/err"; then
		nok "huge=$pol: mount: $(cat "$T/err")"
		return
	fi
	# Made and filled through its mapping, element i holding i.
	"$H" make ref '<u8' C $N >"$T/out"
	ref_hash=$(sed 's/.*hash=//' "$T/out")
	made "$pol" "created and filled through the mapping" ref
	# The other ways in, from what the first holds.
	"$S" dump ref >"$T/ref.npy"
	tail -c $MB64 "$T/ref.npy" >"$T/ref.raw"
	"$S" create npy --from "$T/ref.npy" &&
		made "$pol" "create --from a .npy file" npy
	"$S" create pipe --from - <"$T/ref.npy" &&
		made "$pol" "create --from a pipe" pipe
	"$S" create raw --dtype '<u8' --shape $N --raw - <"$T/ref.raw" &&
		made "$pol" "create --raw" raw
	"$S" create fromfile --dtype '<u8' --shape $N --raw "$T/ref.raw" &&
		made "$pol" "create --raw from a file" fromfile
	rm -f /dev/shm/npy /dev/shm/pipe /dev/shm/raw /dev/shm/fromfile
	if [ $python = 1 ]; then
		PYTHONPATH=$B/python "$PY" - "$T/ref.npy" <<'PYEOF' || nok "huge=$pol: Python could not publish"
import sys, numpy, shmseg
a = numpy.load(sys.argv[1])
shmseg.create("pycreate", a)
with shmseg.build("pybuild", a.shape, a.dtype) as b:
    b[...] = a
PYEOF
		made "$pol" "shmseg.create() in Python" pycreate
		got=$(PYTHONPATH=$B/python "$PY" -c 'import shmseg, sys
p = shmseg.pages(sys.argv[1])
print(p.page_size, p.basis, p.huge_bytes, p.policy, p.stat.nbytes)' pycreate 2>&1)
		if [ "$pol" = never ]; then
			want="4096 measured 0 huge=never $MB64"
		else
			want="2097152 measured $MB64 huge=$pol $MB64"
		fi
		[ "$got" = "$want" ] &&
			ok "huge=$pol: shmseg.pages() in Python says '$got'" ||
			nok "huge=$pol: shmseg.pages() said '$got', wanted '$want'"
		made "$pol" "shmseg.build() in Python" pybuild
		rm -f /dev/shm/pycreate /dev/shm/pybuild
		numpy_reads "$pol" ref
	fi
	rm -f /dev/shm/ref "$T/ref.npy" "$T/ref.raw"
}

# Under huge=advise the memory is had by faulting it in through the
# mapping, where a full file system would mean SIGBUS: every way of
# making a segment larger than the room left fails cleanly instead, and
# leaves nothing.
test_advise_full() {
	shm "size=32m,huge=advise"
	"$H" make big '<u8' C $N >"$T/out" 2>&1
	rc1=$?
	head -c $MB64 /dev/zero | "$S" create raw --dtype '<u8' --shape $N --raw - 2>"$T/err"
	rc2=$?
	[ $rc1 -eq 1 ] && grep -q '^rc=-28$' "$T/out" && [ $rc2 -eq 1 ] &&
	grep -q "create raw: no space left" "$T/err" &&
	[ -z "$(ls -A /dev/shm)" ] &&
		ok "huge=advise, 32 MiB free: a 64 MiB segment is a clean ENOSPC every way, nothing left" ||
		nok "huge=advise and a full /dev/shm: helper exit $rc1 '$(cat "$T/out")', shmctl exit $rc2 '$(cat "$T/err")', left '$(ls -A /dev/shm)'"
}

# Under huge=advise, with exactly the pages a 64 MiB segment needs left
# in /dev/shm, it is made, faulted in through its mapping, and read back
# whole (the kernel takes base pages where no huge one fits); with one
# page less, it is a clean ENOSPC and nothing is left.
test_advise_to_the_last_page() {
	need=$(( (MB64 + 4096) / 4096 ))
	for free in $need $((need - 1)); do
		shm "size=80m,huge=advise"
		avail=$(stat -f -c %a /dev/shm)
		fallocate -l $(( (avail - free) * 4096 )) /dev/shm/filler
		"$H" make big '<u8' C $N >"$T/out" 2>&1
		rc=$?
		if [ $free -eq $need ]; then
			[ $rc -eq 0 ] && [ "$("$H" read big | sed 's/.*hash=//')" = "$ref_hash" ] &&
				ok "huge=advise, exactly $free pages free: the 64 MiB segment fits, read back whole" ||
				nok "huge=advise, $free pages free: exit $rc '$(cat "$T/out")'"
		else
			[ $rc -eq 1 ] && grep -q '^rc=-28$' "$T/out" &&
			[ "$(ls -A /dev/shm)" = filler ] &&
				ok "huge=advise, $free pages free, one short: a clean ENOSPC, nothing left" ||
				nok "huge=advise, $free pages free: exit $rc '$(cat "$T/out")', left '$(ls -A /dev/shm)'"
		fi
	done
}

# A process that turned huge pages off for itself (PR_SET_THP_DISABLE)
# maps them page by page: shmseg.pages() does not call that a measurement
# of none, it gives the policy's answer (shmseg_pages(3), NOTES).
test_thp_disabled() {
	shm "size=256m,huge=advise"
	"$H" make t '<u8' C $N >/dev/null
	got=$(PYTHONPATH=$B/python "$PY" -c 'import ctypes, shmseg
PR_SET_THP_DISABLE = 41
assert ctypes.CDLL(None).prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) == 0
p = shmseg.pages("t")
print(p.page_size, p.basis, p.huge_bytes)' 2>&1)
	[ "$got" = "2097152 policy None" ] &&
		ok "huge pages turned off for the process: pages() gives the policy's answer, not a measurement of none" ||
		nok "PR_SET_THP_DISABLE and pages(): '$got'"
}

# What shmseg_pages() says is of the mount that holds the segment, read
# from its super block's options alone: a mount source may hold any text,
# ",huge=never" too (and the library must not take the policy from it when
# it makes a segment either); and a name of up to 255 bytes makes a line
# of smaps longer than a line buffer, whose rest must not be read as the
# start of the next mapping's block.
test_pages_edges() {
	umount /dev/shm 2>/dev/null
	mount -t tmpfs -o size=64m,huge=advise 'x,huge=never' /dev/shm
	"$H" make src '<u8' C $((N / 4)) >/dev/null
	got=$("$S" info src | sed -n 's/^pages: *//p')
	want="2Mi, measured: $((MB64 / 4)) bytes (16Mi) in huge pages, under huge=advise"
	[ "$got" = "$want" ] &&
		ok "huge=advise, mounted from 'x,huge=never': in huge pages, info says '$got'" ||
		nok "huge=advise, mounted from 'x,huge=never': info says '$got', wanted '$want'"
	shm "size=64m,huge=advise"
	long=$(printf 'l%.0s' $(seq 1 200))-a-b-c
	"$H" make "$long" '<u8' C $((N / 4)) >/dev/null
	got=$("$S" info "$long" | sed -n 's/^pages: *//p')
	[ "$got" = "$want" ] &&
		ok "huge=advise, a name of $(printf %s "$long" | wc -c) bytes: info says '$got'" ||
		nok "huge=advise, a name of $(printf %s "$long" | wc -c) bytes: info says '$got', wanted '$want'"
	rm -f "/dev/shm/$long"
}

# Under huge=advise, a creator in a pid namespace without its own /proc
# (which reads the mount's policy through the /proc it has) makes a
# segment in huge pages; a reader of another uid maps them whole.
test_pidns_and_other_uid() {
	shm "size=256m,huge=advise"
	if ! unshare -p -f "$H" make pidns '<u8' C $N 0644 >"$T/out" 2>&1; then
		nok "huge=advise: creator in a pid namespace: $(cat "$T/out")"
		return
	fi
	got=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$H" pmd pidns 2>&1)
	case $got in
	"pmd=$MB64 aligned=1 "*"hash=$ref_hash")
		ok "huge=advise: made in a pid namespace without its own /proc, read by another uid: huge pages, mapped whole" ;;
	*)
		nok "huge=advise, pid namespace and another uid: reader saw '$got'" ;;
	esac
}

# Under huge=advise, the memory faulted in by two threads: a file size
# limit refuses first (EFBIG, never SIGXFSZ), and signals arriving all the
# while (a timer every millisecond, with a handler) change nothing.
test_advise_limits_and_signals() {
	shm "size=512m,huge=advise"
	prlimit --fsize=1000000 "$S" create fsz --dtype '<u8' --shape $N \
		--raw /dev/zero 2>"$T/err"
	rc=$?
	[ $rc -eq 1 ] && grep -q 'larger than the file size limit allows' "$T/err" &&
	[ -z "$(ls -A /dev/shm)" ] &&
		ok "huge=advise under prlimit --fsize: exit 1, nothing left" ||
		nok "huge=advise under prlimit --fsize: exit $rc, '$(cat "$T/err")'"
	[ $python = 1 ] || return
	got=$(PYTHONPATH=$B/python "$PY" -c 'import numpy, shmseg, signal
ticks = []
signal.signal(signal.SIGALRM, lambda *a: ticks.append(1))
signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
try:
    a = numpy.arange(8388608, dtype="<u8")
    for i in range(4):
        shmseg.create("sig%d" % i, a)
finally:
    signal.setitimer(signal.ITIMER_REAL, 0)
print(len(ticks) > 0)' 2>&1)
	bad=""
	for i in 0 1 2 3; do
		case $("$H" pmd sig$i) in
		"pmd=$MB64 "*"hash=$ref_hash") ;;
		*) bad="$bad sig$i" ;;
		esac
	done
	[ "$got" = True ] && [ -z "$bad" ] &&
		ok "huge=advise, a timer signal every millisecond during 4 creates: all made whole, in huge pages" ||
		nok "huge=advise and signals: '$got', wrong:$bad"
}

# README's way to turn huge pages on for a /dev/shm already in use:
# segments made after the remount get them, the one made before keeps
# its pages and its data.
test_remount() {
	shm "size=256m"
	"$H" make before '<u8' C $N >/dev/null
	if ! mount -o remount,huge=advise /dev/shm 2>"$T/err"; then
		nok "mount -o remount,huge=advise /dev/shm: $(cat "$T/err")"
		return
	fi
	"$H" make after '<u8' C $N >/dev/null
	before=$("$H" pmd before)
	after=$("$H" pmd after)
	case "$before $after" in
	"pmd=0 "*"hash=$ref_hash pmd=$MB64 "*"hash=$ref_hash")
		ok "remount,huge=advise: a segment made after it is in huge pages, one made before keeps 4 KiB pages and its data" ;;
	*)
		nok "remount,huge=advise: before '$before', after '$after'" ;;
	esac
}

python=1
if ! have_package "$B"; then
	python=0
	echo "SKIP: huge pages through Python and NumPy: /usr/bin/python3 cannot import numpy and $B/python's shmseg (not built, or a sanitizer build)"
fi
for pol in never within_size advise; do
	test_policy $pol
done
test_remount
test_advise_limits_and_signals
test_pidns_and_other_uid
[ $python = 1 ] && test_thp_disabled
test_advise_full
test_advise_to_the_last_page
test_pages_edges
