#!/bin/sh
# SPDX-License-Identifier: MIT
# test_numpy.sh - numpy.load() reads segments as .npy files; every dtype
# numpy.save stores without pickling makes a segment, through the C library
# and the Python package
B=${B:-build}
PY=/usr/bin/python3
. test/fixtures.sh		# have_package
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "SKIP: numpy.load of segments: no numpy ($PY -c 'import numpy' failed)"
	exit 0
fi
"$PY" test/numpy_check.py "$B/test/helper" || failed=1
"$PY" test/numpy_roundtrip.py "$B/shmctl" "$B/test/helper" || failed=1
# The Python package's part only where it can be imported: a sanitizer
# build's cannot be loaded into Python.
if have_package "$B"; then
	"$PY" test/numpy_dtypes.py "$B/shmctl" "$B/python" || failed=1
else
	"$PY" test/numpy_dtypes.py "$B/shmctl" "" || failed=1
fi
exit ${failed:-0}
