#!/bin/sh
# SPDX-License-Identifier: MIT
# stale_private.sh - run by test_shmctl.sh inside a private /dev/shm,
# since shmctl rm --stale removes every stale segment there is: creators
# killed at random points, some surely while building; then rm --stale
# must remove exactly the stale ones and leave a live creator's building
# segment, sealed segments and foreign files alone
# It mounts over /dev/shm: only where its caller (in_private_shm of
# fixtures.sh) has put a tmpfs of its own there, in a private mount
# namespace; never on the /dev/shm everything else on the machine uses.
. test/fixtures.sh		# private_start, and more
private_start "$1"
P=stale-
trap 'exec 9>&-; rm -rf "$T"' EXIT
state() { "$S" info "$1" 2>/dev/null | sed -n 's/^state: *//p'; }

mkfifo "$T/hold"
exec 9<>"$T/hold"	# never written: creators that wait, wait on
names=""
i=0
while [ $i -lt 20 ]; do
	i=$((i + 1))
	name=${P}dead$i
	names="$names $name"
	if [ $((i % 2)) -eq 0 ]; then	# waits between create and fill
		"$H" churn "$name" 65536 pause <"$T/hold" >"$T/out$i" 9>&- &
		pid=$!
		n=0
		until grep -q created "$T/out$i" 2>/dev/null || [ $n -ge 200 ]; do
			sleep 0.01; n=$((n + 1))
		done
	else				# killed at a random moment
		"$H" churn "$name" 1048576 <"$T/hold" >"$T/out$i" 9>&- &
		pid=$!
		sleep "$(awk -v s="$i" 'BEGIN { srand(s); printf "%.4f", rand() * 0.004 }')"
	fi
	kill -KILL $pid
	wait $pid 2>/dev/null
done
"$H" build "${P}live" <"$T/hold" >"$T/live" 9>&- &
live=$!
n=0
until grep -q rc=0 "$T/live" 2>/dev/null || [ $n -ge 200 ]; do
	sleep 0.01; n=$((n + 1))
done
printf abcd | "$S" create "${P}sealed" --dtype u1 --shape 4 --raw -
printf foreign >"/dev/shm/${P}foreign"

stale=0
for name in $names; do
	st=$(state "$name")
	echo "$name $st" >>"$T/before"
	[ "$st" = stale ] && stale=$((stale + 1))
done
[ $stale -ge 10 ] && ok "creators killed while building leave stale segments ($stale of 20)" ||
	nok "only $stale stale segments of 20"
"$S" list >"$T/list" || nok "shmctl list failed"
listed=$(awk '$2 == "stale"' "$T/list" | wc -l)
[ "$listed" -eq "$stale" ] &&
	ok "shmctl list shows each of them as stale ($listed)" ||
	nok "shmctl list shows $listed stale, stat says $stale: $(cat "$T/list")"

"$S" rm --stale && ok "rm --stale" || nok "rm --stale failed"
bad=0
while read -r name st; do
	if [ "$st" = stale ] && [ -e "/dev/shm/$name" ]; then
		bad=1; nok "rm --stale kept stale $name"
	elif [ "$st" != stale ] && [ -n "$st" ] && [ ! -e "/dev/shm/$name" ]; then
		bad=1; nok "rm --stale removed $st $name"
	fi
done <"$T/before"
[ $bad -eq 0 ] && ok "rm --stale removed exactly the stale segments"
[ "$(state "${P}live")" = building ] &&
	ok "rm --stale left the live creator's building segment" ||
	nok "live building segment gone"
[ "$(state "${P}sealed")" = sealed ] && [ -e "/dev/shm/${P}foreign" ] &&
	ok "rm --stale left sealed segments and foreign files" ||
	nok "sealed or foreign gone"
exec 9>&-
wait $live
