#!/bin/sh
# SPDX-License-Identifier: MIT
# huge.sh - make bench's huge-page section, run by run.sh as root in a
# private mount namespace of its own (unshare -m), where it mounts fresh
# tmpfs file systems on /dev/shm: the default one (4 KiB pages) beside
# huge=within_size and huge=advise, in rotated rounds of one run. Each
# round, under each: cp of the .npy file into /dev/shm; shmctl create
# --from of it; a fresh reader's first scan of the segment, in C and with
# NumPy, and the page tables it took; Python's shmseg.create() of the
# array in memory. Then readers' memory and attach latency under each.
# With BENCH_HUGE_GAP=SECONDS, each load waits that long first, idle: on a
# VM that hands free memory back to its host, long enough for the host to
# take back what the round before freed (see README, Huge pages).
# Usage: huge.sh B T NPY ROUNDS
B=$1 T=$2 NPY=$3 ROUNDS=${4:-7}
GAP=${BENCH_HUGE_GAP:-0}
REPORT=/sys/module/page_reporting/parameters/page_reporting_order
S=$B/shmctl
PY=/usr/bin/python3
if [ "$(readlink /proc/self/ns/mnt)" = "$(readlink /proc/$PPID/ns/mnt)" ]; then
	echo "huge.sh: not in a mount namespace of its own; run by make bench" >&2
	exit 1
fi
mount --make-rprivate / 2>/dev/null || mount --make-private /dev/shm
havepy=0
[ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null && [ -d "$B/python/shmseg" ] &&
	havepy=1
nbytes=$(stat -c %s "$NPY")
size=$(( nbytes / 1048576 * 2 + 512 ))m	# a load and a copy at once
POLICIES="never within_size advise"
if [ -r $REPORT ]; then
	echo "(free page reporting: blocks of order $(cat $REPORT) and up, $((4 << $(cat $REPORT))) KiB, go back to the host; each load waits ${GAP} s idle first)"
fi

shm() {
	umount /dev/shm 2>/dev/null
	mount -t tmpfs -o "size=$size,huge=$1" shmseg-bench /dev/shm
}
us() {
	s=$(date +%s%N)
	"$@" >/dev/null || { echo "bench: $* failed" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 ))
}
vmstat() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }

round() {
	pol=$1
	shm "$pol"
	a0=$(vmstat thp_file_alloc); f0=$(vmstat thp_file_fallback)
	c0=$(vmstat compact_stall)
	if [ $((r % 2)) -eq 0 ]; then
		us cp "$NPY" /dev/shm/cp >>"$T/cp.$pol"
		rm /dev/shm/cp
		sleep "$GAP"
		us "$S" create load --from "$NPY" >>"$T/load.$pol"
	else
		sleep "$GAP"
		us "$S" create load --from "$NPY" >>"$T/load.$pol"
		us cp "$NPY" /dev/shm/cp >>"$T/cp.$pol"
		rm /dev/shm/cp
	fi
	"$B/bench/bench_scan" first load >>"$T/scan.$pol" || exit 1
	if [ $havepy = 1 ]; then
		"$PY" test/bench/py_huge.py scan /dev/shm/load >>"$T/npscan.$pol" || exit 1
		rm /dev/shm/load
		PYTHONPATH=$B/python "$PY" test/bench/py_huge.py publish "$NPY" pub \
			>>"$T/pub.$pol" || exit 1
	fi
	rm -f /dev/shm/load
	echo "$(($(vmstat thp_file_alloc) - a0)) $(($(vmstat thp_file_fallback) - f0)) $(($(vmstat compact_stall) - c0))" >>"$T/vm.$pol"
	umount /dev/shm
}

for pol in $POLICIES; do
	: >"$T/cp.$pol"; : >"$T/load.$pol"; : >"$T/scan.$pol"
	: >"$T/npscan.$pol"; : >"$T/pub.$pol"; : >"$T/vm.$pol"
done
r=0
while [ $r -lt "$ROUNDS" ]; do
	# rotated: each policy takes each place in turn
	set -- $POLICIES
	case $((r % 3)) in
	1) set -- "$2" "$3" "$1" ;;
	2) set -- "$3" "$1" "$2" ;;
	esac
	for pol in "$@"; do
		round "$pol"
	done
	r=$((r + 1))
done

# col FILE N: column N of FILE, one value a line
col() { awk -v n="$2" '{ print $n }' "$T/$1"; }
# med/lo/hi of a column of values, given on standard input
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
lo() { sort -n | head -n 1; }
hi() { sort -n | tail -n 1; }
# line WHAT FILE N UNIT SCALE: median [min-max] of column N, scaled
line() {
	m=$(col "$2" "$3" | med); l=$(col "$2" "$3" | lo); h=$(col "$2" "$3" | hi)
	awk -v w="$1" -v m="$m" -v l="$l" -v h="$h" -v u="$4" -v s="$5" \
		'BEGIN { printf "%-44s median %9.3f  [%9.3f - %9.3f] %s\n", w, m * s, l * s, h * s, u }'
}
for pol in $POLICIES; do
	echo "-- /dev/shm huge=$pol ($ROUNDS rounds)"
	line "cp file.npy /dev/shm/x" "cp.$pol" 1 s 1e-6
	line "shmctl create --from" "load.$pol" 1 s 1e-6
	line "fresh reader: attach + first scan (C)" "scan.$pol" 1 ms 1e3
	line "  its page tables (VmPTE grown by)" "scan.$pol" 2 kB 1
	if [ $havepy = 1 ]; then
		line "fresh reader: numpy.load(mmap_mode='r').sum()" "npscan.$pol" 1 ms 1e3
		line "  its page tables (VmPTE grown by)" "npscan.$pol" 2 kB 1
		line "Python shmseg.create() from memory" "pub.$pol" 1 s 1
	fi
	awk '{ a += $1; f += $2; c += $3 } END {
		printf "%-44s %d allocated, %d fell back to 4 KiB; %d compaction stalls\n",
		"  huge pages over the rounds:", a, f, c }' "$T/vm.$pol"
done

# ratio A B: median of A over median of B
ratio() {
	awk -v a="$(col "$1" 1 | med)" -v b="$(col "$2" 1 | med)" 'BEGIN { printf "%.2f", a / b }'
}
verdict() { awk -v r="$1" -v t="$2" -v d="$3" 'BEGIN { print ((d == "ge") ? (r >= t) : (r <= t)) ? "met" : "MISSED" }'; }
echo "-- targets"
for pol in within_size advise; do
	x=$(ratio scan.never "scan.$pol")
	echo "target first scan (C) >= 2x faster under huge=$pol than 4 KiB pages: $(verdict "$x" 2 ge) (${x}x)"
	if [ $havepy = 1 ]; then
		x=$(ratio npscan.never "npscan.$pol")
		echo "target first scan (NumPy) >= 2x faster under huge=$pol: $(verdict "$x" 2 ge) (${x}x)"
	fi
	pte=$(col "scan.$pol" 2 | med)
	gib=$(awk -v n="$nbytes" 'BEGIN { printf "%.2f", n / 1073741824 }')
	per=$(awk -v p="$pte" -v g="$gib" 'BEGIN { printf "%.0f", p / g }')
	echo "target reader's page tables <= 16 kB per GiB under huge=$pol: $(verdict "$per" 16 le) (${pte} kB for $gib GiB; 4 KiB pages: $(col scan.never 2 | med) kB)"
	x=$(ratio cp.never "load.$pol")
	echo "target load under huge=$pol >= 1.5x cp into default /dev/shm: $(verdict "$x" 1.5 ge) (${x}x)"
	x=$(ratio "cp.$pol" "load.$pol")
	echo "target load under huge=$pol >= 1.0x cp into the same: $(verdict "$x" 1.0 ge) (${x}x)"
	worst=$(awk -v h="$(col "load.$pol" 1 | hi)" -v m="$(col "load.never" 1 | med)" 'BEGIN { printf "%.2f", h / m }')
	echo "target no load under huge=$pol slower than 2x the 4 KiB median: $(verdict "$worst" 2 le) (slowest round ${worst}x)"
	if [ $havepy = 1 ]; then
		x=$(ratio pub.never "pub.$pol")
		echo "(Python shmseg.create() from memory under huge=$pol: ${x}x as fast as with 4 KiB pages)"
	fi
done

echo "-- readers' memory: 4 readers of a 2 GiB array, each sums all of it"
for pol in never advise; do
	shm "$pol"
	"$B/bench/bench_readers" 4 >"$T/rd" || exit 1
	awk -v p="$pol" '$1 == "shmseg" { printf "%-44s total PSS %9d kB  array %9d kB  %.3fx  VmPTE of one %d kB\n", "huge=" p ", 4 exec'"'"'d readers", $3, $4, $3 / $4, $5 }' "$T/rd"
	umount /dev/shm
done

echo "-- attach latency of a 1 GiB segment (10000 cycles a repetition, 7 repetitions)"
for pol in never advise; do
	shm "$pol"
	"$B/bench/bench_attach" create att || exit 1
	: >"$T/att"
	for i in 1 2 3 4 5 6 7; do
		"$B/bench/bench_attach" rep att >>"$T/att" || exit 1
	done
	a=$(col att 1 | med); f=$(col att 2 | med)
	x=$(awk -v a="$a" -v f="$f" 'BEGIN { printf "%.2f", a / f }')
	echo "huge=$pol: attach $a us, floor $f us: target <= 1.25x the floor: $(verdict "$x" 1.25 le) (${x}x)"
	umount /dev/shm
done
