#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - runs the Check programs named on the command line and the shell
# tests in $SH_TESTS; prints every result and one closing count line
B=${B:-build}
COUNTS=${COUNTS:-$B/test-counts}
# WRAP runs each Check program under a tool, e.g. valgrind.
passed=0
failed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The tests that check a write to a read-only view ends the process with
# SIGSEGV do so on purpose; under valgrind, its report of that end reads
# as a crash. Those reports, and only those (the faulting test named in
# the stack), are replaced by one line; Check still counts the outcome.
EXPECTED_SEGV='creator_view_is_read_only_after_seal_fn|reader_view_is_read_only_fn'
quiet_expected_segv() {
	awk -v expected="$EXPECTED_SEGV" '
		function flush() {
			if (n && blk ~ /signal 11 \(SIGSEGV\)/ && blk ~ expected)
				print "(valgrind: the SIGSEGV a read-only view test expects)"
			else
				for (i = 1; i <= n; i++) print l[i]
			n = 0; blk = ""
		}
		/^==[0-9]+==/ {
			pid = substr($0, 1, index(substr($0, 3), "==") + 3)
			if (pid != last) flush()
			last = pid
			l[++n] = $0; blk = blk "\n" $0; next
		}
		{ flush(); print }
		END { flush() }'
}

for t in "$@"; do
	$WRAP "$B/test/$t" >"$log" 2>&1
	rc=$?
	if [ -n "$WRAP" ]; then
		quiet_expected_segv <"$log"
	else
		cat "$log"
	fi
	line=$(grep -E 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" |
		tail -n 1)
	if [ -z "$line" ]; then
		echo "FAIL: $t: exited $rc without a Check summary"
		failed=$((failed + 1))
		continue
	fi
	# "Checks: N, Failures: F, Errors: E" -> N F E
	set -- $(echo "$line" |
		sed 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/')
	n=$1 f=$2 e=$3
	s=$(grep -c '^SKIP: ' "$log")
	passed=$((passed + n - f - e - s))
	failed=$((failed + f + e))
	skipped=$((skipped + s))
	if [ "$rc" -ne 0 ] && [ $((f + e)) -eq 0 ]; then
		echo "FAIL: $t: exited $rc"
		failed=$((failed + 1))
	fi
done

for sh in $SH_TESTS; do
	B=$B sh "test/$sh" >"$log" 2>&1
	rc=$?
	cat "$log"
	passed=$((passed + $(grep -c '^ok - ' "$log")))
	failed=$((failed + $(grep -c '^not ok - ' "$log")))
	skipped=$((skipped + $(grep -c '^SKIP: ' "$log")))
	if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' "$log"; then
		echo "FAIL: $sh: exited $rc"
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed, $skipped skipped"
echo "$passed $failed $skipped" >"$COUNTS"
[ "$failed" -eq 0 ]
