#!/bin/sh
# SPDX-License-Identifier: MIT
# fuzz.sh - runs the libFuzzer targets named on the command line: "probe"
# says why FUZZ_CC cannot build them, "regress" runs each over its seed
# corpus once, "fuzz" lets each search for FUZZ_SECONDS
B=${B:-build}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
verb=$1
shift

# Prints the reason and fails when FUZZ_CC cannot link a fuzzer.
probe() {
	if ! command -v "$FUZZ_CC" >/dev/null 2>&1; then
		echo "$FUZZ_CC not found (apt-get install clang)"
		return 1
	fi
	mkdir -p "$B/fuzz"
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)' \
		'{ (void)d; (void)n; return 0; }' >"$B/fuzz/probe.c"
	if ! "$FUZZ_CC" -fsanitize=fuzzer,address,undefined \
	     -o "$B/fuzz/probe" "$B/fuzz/probe.c" >/dev/null 2>&1; then
		echo "$FUZZ_CC cannot link -fsanitize=fuzzer,address,undefined" \
		     "(no libFuzzer runtime)"
		return 1
	fi
}

# One run of target $1 over every file of its seed corpus.
regress_one() {
	t=$1
	log=$B/fuzz/regress-$t.log
	n=$(find "test/fuzz/corpus/$t" -type f | wc -l)
	if [ "$n" -eq 0 ]; then
		echo "not ok - fuzz regression: $t (no seed inputs)"
		return 1
	fi
	# Each file run once, as given; no search, nothing written.
	if find "test/fuzz/corpus/$t" -type f | sort |
	   xargs "$B/fuzz/fuzz_$t" >"$log" 2>&1; then
		echo "ok - fuzz regression: $t ($n inputs)"
		return 0
	fi
	echo "not ok - fuzz regression: $t ($n inputs, see $log)"
	grep -E '^(Running:|==[0-9]+==ERROR|SUMMARY)|runtime error' "$log" |
		tail -n 5
	return 1
}

regress() {
	passed=0
	failed=0
	for t; do
		if regress_one "$t"; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	done
	echo "$passed $failed 0" >"$B/fuzz-counts"
	[ "$failed" -eq 0 ]
}

# Target $1 for FUZZ_SECONDS: new inputs go to the scratch corpus (the
# first directory), never to the seeds; crashes to the artifacts.
fuzz_one() {
	t=$1
	log=$B/fuzz/fuzz-$t.log
	mkdir -p "$B/fuzz/corpus-$t" "$B/fuzz/artifacts"
	start=$(date +%s)
	"$B/fuzz/fuzz_$t" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$B/fuzz/artifacts/$t-" \
		"$B/fuzz/corpus-$t" "test/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "fuzz_$t: ${execs:-?} execs in ${secs} s, no crash"
		return 0
	fi
	echo "fuzz_$t: FAILED after ${execs:-?} execs in ${secs} s (see $log)"
	grep -E '^(==[0-9]+==ERROR|SUMMARY)|runtime error|Test unit written' \
		"$log" | tail -n 5
	return 1
}

fuzz() {
	failed=0
	for t; do
		fuzz_one "$t" || failed=1
	done
	[ "$failed" -eq 0 ]
}

case "$verb" in
probe|regress|fuzz)
	"$verb" "$@" ;;
*)
	echo "usage: fuzz.sh probe|regress|fuzz TARGET..." >&2
	exit 2 ;;
esac
