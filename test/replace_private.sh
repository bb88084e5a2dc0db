#!/bin/sh
# SPDX-License-Identifier: MIT
# replace_private.sh - run by test_shmctl.sh inside a private /dev/shm,
# whose use it measures: 200 versions of one name published with
# --replace while readers hold some of the old ones; each reader keeps its
# version whole, and once all have let go, /dev/shm holds one copy
# It mounts over /dev/shm: only where its caller (in_private_shm of
# fixtures.sh) has put a tmpfs of its own there, in a private mount
# namespace; never on the /dev/shm everything else on the machine uses.
. test/fixtures.sh		# private_start, and more
private_start "$1"
trap 'rm -rf "$T"' EXIT
# Bytes in use on the tmpfs now.
used() { stat -f -c '%b %f %S' /dev/shm | awk '{ print ($1 - $2) * $3 }'; }

base=$(used)
head -c 1048576 /dev/urandom >"$T/v0"
"$S" create rep --raw "$T/v0" --dtype '<u8' --shape 131072 || nok "create rep"
one=$(( $(used) - base ))
# Three readers, started by exec, hold the first version (each its own
# process, as a service's workers would) while 200 versions follow.
mkfifo "$T/hold"
exec 9<>"$T/hold"
for i in 1 2 3; do
	"$PY" -c '
import hashlib, mmap, os, sys
fd = os.open("/dev/shm/rep", os.O_RDONLY)
data = mmap.mmap(fd, 0, prot=mmap.PROT_READ)	# held, as a reader holds it
os.close(fd)
print(hashlib.sha256(data[4096:]).hexdigest(), flush=True)
sys.stdin.readline()
print(hashlib.sha256(data[4096:]).hexdigest(), flush=True)
' <"$T/hold" >"$T/r$i" 9>&- &
done
n=0
until [ "$(cat "$T"/r1 "$T"/r2 "$T"/r3 2>/dev/null | wc -l)" -ge 3 ] ||
      [ $n -ge 500 ]; do
	sleep 0.01; n=$((n + 1))
done
v=1
while [ $v -le 200 ]; do
	head -c 1048576 /dev/urandom | "$S" create rep --raw - --dtype '<u8' \
		--shape 131072 --replace || nok "replace $v"
	v=$((v + 1))
done
held=$(( $(used) - base ))
printf 'x\nx\nx\n' >&9
exec 9>&-
wait
want=$(sha256sum "$T/v0" | cut -d' ' -f1)
for i in 1 2 3; do
	[ "$(sed -n 1p "$T/r$i")" = "$want" ] &&
	[ "$(sed -n 2p "$T/r$i")" = "$want" ] ||
		nok "reader $i: its version changed under it: $(cat "$T/r$i")"
done
after=$(( $(used) - base ))
[ "$one" -gt 1048576 ] && [ "$held" -eq $((2 * one)) ] &&
[ "$after" -eq "$one" ] &&
	ok "200 replaces: the first version kept whole by its 3 readers ($held bytes for two copies while they held it), one copy once they let go ($after bytes)" ||
	nok "replace: one copy $one bytes, $held while held, $after after"
[ "$(ls -A /dev/shm)" = "rep" ] &&
	ok "nothing left in /dev/shm but the name: no private names of the replaces" ||
	nok "left in /dev/shm: $(ls -A /dev/shm)"
