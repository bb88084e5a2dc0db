#!/bin/sh
# SPDX-License-Identifier: MIT
# test_numpy.sh - numpy.load() reads segments as .npy files
B=${B:-build}
PY=/usr/bin/python3
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "SKIP: numpy.load of segments: no numpy ($PY -c 'import numpy' failed)"
	exit 0
fi
"$PY" test/numpy_check.py "$B/test/helper" || failed=1
"$PY" test/numpy_roundtrip.py "$B/shmctl" "$B/test/helper" || failed=1
exit ${failed:-0}
