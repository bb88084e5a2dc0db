#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - the demo: a producer makes and seals a named array; an unrelated
# reader process attaches it by name, then removes it; numpy reads it too;
# then the same from Python with the shmseg package
set -e
bin=$1
name=shmseg-demo-$$
trap 'rm -f "/dev/shm/$name" "/dev/shm/$name-py"' EXIT
echo "== starting a reader first: it waits for the name to appear"
"$bin/reader" "$name" &
reader=$!
sleep 0.2
echo "== producer: create, fill, seal"
"$bin/producer" "$name"
wait $reader
echo "== /dev/shm/$name is also a .npy file"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	/usr/bin/python3 -c "import numpy as np; a = np.load('/dev/shm/$name', mmap_mode='r'); print('numpy:', a.dtype, a.shape, 'sum', a.sum())"
else
	echo "(python3-numpy not installed: skipping numpy.load)"
fi
echo "== shmctl list"
"$bin/../shmctl" list
echo "== reader again, then unlink"
"$bin/reader" -u "$name"
test ! -e "/dev/shm/$name" && echo "== $name is gone"
pkg=$bin/../python
if [ -d "$pkg/shmseg" ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
	echo "== from Python: a producer publishes a live array, two workers attach it"
	ex=bindings/python/examples
	PYTHONPATH=$pkg /usr/bin/python3 $ex/worker.py "$name-py" | sed 's/^/worker 1: /' &
	w=$!
	sleep 0.2
	PYTHONPATH=$pkg /usr/bin/python3 $ex/producer.py "$name-py" | sed 's/^/producer: /'
	wait $w
	PYTHONPATH=$pkg /usr/bin/python3 $ex/worker.py "$name-py" | sed 's/^/worker 2: /'
else
	echo "(the Python package is not built, or no NumPy: skipping the Python demo)"
fi
