# SPDX-License-Identifier: MIT
# fixtures.sh - sourced by the shell tests: what more than one of them
# makes or runs the same way

# write_npy FILE: a small .npy file without NumPy: <i2, shape (2, 3),
# values 0..5.
write_npy() {
	{
		printf '\223NUMPY\001\000v\000'
		printf "{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }"
		printf '%*s\n' 58 ''
		printf '\000\000\001\000\002\000\003\000\004\000\005\000'
	} >"$1"
}

# u1_npy N DATA: a .npy file of N <u1 values on standard output, with
# the first DATA bytes of its data (0s): fewer than N makes a file cut
# short. The header is padded to 128 bytes, as NumPy pads it.
u1_npy() {
	dict="{'descr': '<u1', 'fortran_order': False, 'shape': ($1,), }"
	printf '\223NUMPY\001\000v\000%s%*s\n' "$dict" $((128 - 11 - ${#dict})) ''
	head -c "$2" /dev/zero
}

# wait_for FILE TEXT: until FILE holds TEXT (a grep pattern), 5 s at most
wait_for() {
	n=0
	until grep -q "$2" "$1" 2>/dev/null || [ $n -ge 500 ]; do
		sleep 0.01; n=$((n + 1))
	done
}

# start_delayed OUT CMD...: CMD in the background under strace, each
# rename and unlink held back a second at its entry, strace's trace in
# OUT ($! is strace); returns once the first of them is held, so that the
# caller can change a name meanwhile. LeakSanitizer cannot work under
# ptrace: it is off for CMD.
start_delayed() {
	sd_out=$1
	shift
	strace -o "$sd_out" -e trace=renameat2,unlink \
		-e inject=renameat2,unlink:delay_enter=1000000 \
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		"$@" &
	wait_for "$sd_out" 'renameat2\|unlink'
}

# replaced_meanwhile NAME ERR CMD...: CMD, which judges segment NAME and
# removes it, under start_delayed (strace's trace in $T/strace), its
# standard error in ERR; while its rename is held, NAME is removed and made
# again: a new segment of 4 bytes, "wxyz". Sets rc, CMD's status, and data,
# the last 4 bytes NAME holds after ("wxyz" if the new segment stayed).
# Uses $S and $T. Without strace, says SKIP and returns 1.
replaced_meanwhile() {
	if ! command -v strace >/dev/null 2>&1; then
		echo "SKIP: $1 replaced while rm holds it: no strace"
		return 1
	fi
	rm_name=$1
	rm_err=$2
	shift 2
	start_delayed "$T/strace" "$@" 2>"$rm_err"
	rm -f "/dev/shm/$rm_name"
	printf wxyz | "$S" create "$rm_name" --dtype u1 --shape 4 --raw -
	wait $!
	rc=$?
	data=$("$S" dump "$rm_name" | tail -c 4)
}

# in_private_shm SCRIPT ARG WHAT: sh SCRIPT ARG in a private mount
# namespace with a tmpfs of its own on /dev/shm, so that nobody else's
# segments are touched; its output is passed on and its "not ok" lines
# count as failures (through nok and $failed). Where that namespace cannot
# be had (not root), WHAT is reported skipped. Returns 1 when skipped.
in_private_shm() {
	out=$(unshare --mount --propagation unchanged sh -c '
		{ mount --make-rprivate / 2>/dev/null ||
		  mount --make-private /dev/shm; } &&
		mount -t tmpfs -o size=64m shmseg-test /dev/shm || exit 0
		echo mounted
		exec sh "$1" "$2"' sh "$1" "$2" 2>&1)
	case $out in
	mounted*) ;;
	*)	echo "SKIP: $3: needs root and a private mount namespace: $out"
		return 1 ;;
	esac
	out=$(printf '%s\n' "$out" | sed 1d)
	printf '%s\n' "$out"
	printf '%s\n' "$out" | grep -q '^not ok' && failed=1
	return 0
}

# patch_header NAME KEY DIGITS: put DIGITS at the start of the value of
# #KEY= in the header of sealed segment NAME and make the checksum right
# again: a header as another implementation may write it (shmseg(5)). $PY
# runs it.
patch_header() {
	chmod u+w "/dev/shm/$1" && "$PY" -c '
import sys, zlib
path, key, value = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
with open(path, "r+b") as f:
    h = bytearray(f.read(4096))
    at = h.index(b" #" + key + b"=") + len(key) + 3
    h[at:at + len(value)] = value
    crc = h.index(b" #checksum=") + 11
    h[crc:crc + 8] = b"%08x" % zlib.crc32(bytes(h[:crc]))
    f.seek(0)
    f.write(h)
' "/dev/shm/$1" "$2" "$3" && chmod u-w "/dev/shm/$1"
}

# private_start B: how every script that in_private_shm runs starts. It
# mounts over /dev/shm, so it refuses to run unless its caller has put a
# tmpfs of its own there, in a private mount namespace; never on the
# /dev/shm everything else on the machine uses. Sets B, S (shmctl), H (the
# test helper), PY, T (a scratch directory, for the caller to remove), ok
# and nok.
private_start() {
	if ! grep -q '^shmseg-test /dev/shm ' /proc/self/mounts; then
		echo "not ok - $0 runs only inside in_private_shm (test/fixtures.sh): /dev/shm is not its private tmpfs"
		exit 1
	fi
	B=$1
	S=$B/shmctl
	H=$B/test/helper
	PY=/usr/bin/python3
	T=$(mktemp -d)
	ok() { echo "ok - $1"; }
	nok() { echo "not ok - $1"; }
}

# have_package B: whether /usr/bin/python3 can import NumPy and the
# package built in B/python (a sanitizer build's cannot be loaded)
have_package() {
	PYTHONPATH=$1/python /usr/bin/python3 -c 'import numpy, shmseg' \
		>/dev/null 2>&1
}
