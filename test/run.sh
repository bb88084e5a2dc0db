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

for t in "$@"; do
	$WRAP "$B/test/$t" >"$log" 2>&1
	rc=$?
	cat "$log"
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
