#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - make bench: each figure with its baseline from the same run
# (A B A B ..., the median of the repetitions), and the ratio
B=${B:-build}
GIB=${BENCH_GIB:-1}
export BENCH_GIB=$GIB
P=shmseg-bench$$-
T=$(mktemp -d)
cleanup() {
	for f in /dev/shm/"$P"*; do
		[ -e "$f" ] && rm -f "$f"
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

echo "shmseg benchmarks, BENCH_GIB=$GIB, $(nproc) cores, $(uname -sr)"
echo
echo "== 1. attach latency (10000 cycles a repetition, 7 repetitions)"
"$B/bench/bench_attach" create "${P}attach" || exit 1
PY=/usr/bin/python3
havepy=0
[ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null && havepy=1
: >"$T/att"; : >"$T/floor"; : >"$T/py"
for i in 1 2 3 4 5 6 7; do	# A B C A B C ...
	"$B/bench/bench_attach" rep "${P}attach" >"$T/rep" || exit 1
	awk '{ print $1 }' "$T/rep" >>"$T/att"
	awk '{ print $2 }' "$T/rep" >>"$T/floor"
	[ $havepy = 1 ] && "$PY" test/bench/py_attach.py "${P}attach" 2000 >>"$T/py"
done
# ustats FILE WHAT: median/min/max of microsecond values
ustats() {
	sort -n "$T/$1" | awk -v what="$2" '{ v[NR] = $1 }
		END { printf "%-34s median %8.2f  min %8.2f  max %8.2f us\n",
		      what, v[int((NR + 1) / 2)], v[1], v[NR] }'
}
umedian() { sort -n "$T/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
vmin() { sort -n "$T/$1" | head -n 1; }
ustats floor "floor: shm_open+fstat+mmap+close"
ustats att "shmseg attach+layout+detach"
ratio=$(awk -v a="$(umedian att)" -v f="$(umedian floor)" 'BEGIN { printf "%.2f", a / f }')
echo "target attach <= 1.25x the floor: $(awk -v r="$ratio" 'BEGIN { print (r <= 1.25) ? "met" : "MISSED" }') (${ratio}x)"
if [ $havepy = 1 ]; then
	ustats py "Python SharedMemory+ndarray+close"
	ratio=$(awk -v a="$(umedian att)" -v p="$(umedian py)" 'BEGIN { printf "%.2f", p / a }')
	echo "target attach >= 2x faster than Python: $(awk -v r="$ratio" 'BEGIN { print (r >= 2) ? "met" : "MISSED" }') (${ratio}x)"
else
	echo "Python SharedMemory: skipped: no numpy ($PY)"
fi
rm -f "/dev/shm/${P}attach"

# Seconds taken by a command, to the nanosecond.
secs() {
	s=$(date +%s%N)
	"$@" >/dev/null || { echo "bench: $* failed" >&2; exit 1; }
	e=$(date +%s%N)
	echo $(( (e - s) / 1000 ))
}

# stats NAME BASE-NAME: median/min/max of the microsecond lists in files
stats() {
	sort -n "$T/$1" | awk -v what="$2" -v gib="$GIB" '
		{ v[NR] = $1 }
		END { m = v[int((NR + 1) / 2)]
		      printf "%-34s median %8.3f  min %8.3f  max %8.3f s  %7.2f GB/s\n",
			what, m / 1e6, v[1] / 1e6, v[NR] / 1e6,
			gib * 1.073741824 / (m / 1e6) }'
}
median() { sort -n "$T/$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
vmin() { sort -n "$T/$1" | head -n 1; }

echo
echo "== 2. load: .npy file (in the page cache) -> sealed segment"
NPY=$T/in.npy
# header for float64 (N,), then N*8 bytes of data
N=$(awk -v g="$GIB" 'BEGIN { printf "%d", g * 134217728 }')
dict="{'descr': '<f8', 'fortran_order': False, 'shape': ($N,), }"
pad=$(( 128 - 10 - ${#dict} - 1 ))
{
	printf '\223NUMPY\001\000v\000%s%*s\n' "$dict" "$pad" ''
	head -c $((N * 8)) /dev/zero | tr '\0' '\1'
} >"$NPY"
cat "$NPY" >/dev/null
: >"$T/load"; : >"$T/lib"; : >"$T/cp"; : >"$T/pyr"; : >"$T/pyn"
for i in 1 2 3 4 5 6 7 8 9; do	# A B C D E A B C D E ...
	secs "$B/shmctl" create "${P}load" --from "$NPY" >>"$T/load"
	rm -f "/dev/shm/${P}load"
	"$B/bench/bench_load" "$NPY" "${P}lib" >>"$T/lib" || exit 1
	secs cp "$NPY" "/dev/shm/${P}cp" >>"$T/cp"
	rm -f "/dev/shm/${P}cp"
	if [ $havepy = 1 ]; then
		"$PY" test/bench/py_load.py "$NPY" "${P}py" readinto >>"$T/pyr" || exit 1
		"$PY" test/bench/py_load.py "$NPY" "${P}py" numpy >>"$T/pyn" || exit 1
	fi
done
stats cp "cp file.npy /dev/shm/x"
stats load "shmctl create --from"
stats lib "shmseg_npy_import()"
ratio=$(awk -v a="$(median cp)" -v b="$(median load)" 'BEGIN { printf "%.2f", a / b }')
echo "target load >= 1.3x cp throughput: $(awk -v r="$ratio" 'BEGIN { print (r >= 1.3) ? "met" : "MISSED" }') (${ratio}x by median; $(awk -v a="$(vmin cp)" -v b="$(vmin load)" 'BEGIN { printf "%.2f", a / b }')x by minimum)"
if [ $havepy = 1 ]; then
	stats pyr "Python SharedMemory+readinto"
	stats pyn "Python numpy.load+copy"
	best=$(awk -v r="$(median pyr)" -v n="$(median pyn)" 'BEGIN { print (r < n) ? r : n }')
	ratio=$(awk -v p="$best" -v b="$(median load)" 'BEGIN { printf "%.2f", p / b }')
	echo "target load >= 2x Python's best: $(awk -v r="$ratio" 'BEGIN { print (r >= 2) ? "met" : "MISSED" }') (${ratio}x)"
else
	echo "Python loads: skipped: no numpy ($PY)"
fi

echo
echo "== 3. dump: segment -> .npy file on tmpfs"
"$B/shmctl" create "${P}dump" --from "$NPY"
: >"$T/dump"; : >"$T/cpd"
for i in 1 2 3 4 5 6 7 8 9; do
	secs "$B/shmctl" dump "${P}dump" -o "/dev/shm/${P}out" >>"$T/dump"
	rm -f "/dev/shm/${P}out"
	secs cp "/dev/shm/${P}dump" "/dev/shm/${P}out" >>"$T/cpd"
	rm -f "/dev/shm/${P}out"
done
stats cpd "cp /dev/shm/x out"
stats dump "shmctl dump -o"
ratio=$(awk -v a="$(median cpd)" -v b="$(median dump)" 'BEGIN { printf "%.2f", a / b }')
rm -f "/dev/shm/${P}dump"
echo "target dump >= 0.9x cp throughput: $(awk -v r="$ratio" 'BEGIN { print (r >= 0.9) ? "met" : "MISSED" }') (${ratio}x)"

echo
echo "== 4. readers' memory: 4 readers of a 2 GiB array, each sums all of it"
"$B/bench/bench_readers" 4 >"$T/rd" || exit 1
awk '{ how = ($1 == "shmseg") ? "shmseg, 4 exec'"'"'d readers" : "fork copy-on-write, parent + 4"
       printf "%-34s total PSS %10d kB  array %10d kB  %.3fx  VmPTE of one %d kB\n", how, $3, $4, $3 / $4, $5 }' "$T/rd"
awk '$1 == "shmseg" { printf "target readers PSS <= 1.05x the array: %s (%.3fx)\n", ($3 / $4 <= 1.05) ? "met" : "MISSED", $3 / $4 }' "$T/rd"
if [ $havepy = 1 ]; then
	"$PY" test/bench/py_pickle.py 4 256 >"$T/pk" || exit 1
	awk '{ printf "%-34s added PSS %10d kB  array %10d kB  %.3fx  (256 MiB, for contrast)\n", "pickled to 4 Python children", $1, $2, $1 / $2 }' "$T/pk"
else
	echo "pickling to children: skipped: no numpy ($PY)"
fi

echo
echo "== 5. scan: sum every float64 of the array (7 repetitions, interleaved)"
"$B/bench/bench_scan" 7 >"$T/scan" || exit 1
awk '{ print $1 * 1e6 }' "$T/scan" >"$T/smap"
awk '{ print $2 * 1e6 }' "$T/scan" >"$T/spriv"
awk '{ print $3 * 1e6 }' "$T/scan" >"$T/sfirst"
awk '{ print $4 * 1e6 }' "$T/scan" >"$T/spop"
ustats spriv "private memory, faulted in"
ustats smap "attached mapping, faulted in"
ratio=$(awk -v m="$(umedian smap)" -v p="$(umedian spriv)" 'BEGIN { printf "%.2f", p / m }')
echo "target scan of a mapping >= 0.95x private memory: $(awk -v r="$ratio" 'BEGIN { print (r >= 0.95) ? "met" : "MISSED" }') (${ratio}x)"
ustats sfirst "attach + first-touch scan"
ustats spop "attach POPULATE + first scan"

echo
echo "== 6. list: 10000 segments (7 repetitions, interleaved with the floor)"
"$B/bench/bench_list" 10000 7 "$B/shmctl" >"$T/list" || exit 1
awk '{ print $1 * 1e6 }' "$T/list" >"$T/lst"
awk '{ print $2 * 1e6 }' "$T/list" >"$T/lfl"
awk '$3 < 10000 || $4 < 10000 { bad = 1 } END { exit bad }' "$T/list" ||
	echo "bench: shmseg_list did not see all 10000 segments" >&2
ustats lfl "floor: readdir+open+pread 4K+close"
ustats lst "shmseg_list"
ratio=$(awk -v a="$(umedian lst)" -v f="$(umedian lfl)" 'BEGIN { printf "%.2f", a / f }')
echo "target shmseg_list <= 1.3x the floor: $(awk -v r="$ratio" 'BEGIN { print (r <= 1.3) ? "met" : "MISSED" }') (${ratio}x)"
awk '{ print $5 * 1e6 }' "$T/list" >"$T/lcmd"
ustats lcmd "shmctl list >/dev/null (a process)"
echo "(shmctl list, against the floor: $(awk -v a="$(umedian lcmd)" -v f="$(umedian lfl)" 'BEGIN { printf "%.2f", a / f }')x; no target)"

