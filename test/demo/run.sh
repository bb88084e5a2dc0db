#!/bin/sh
# SPDX-License-Identifier: MIT
# run.sh - the demo: a producer makes and seals a named array; an unrelated
# reader process attaches it by name, then removes it; numpy reads it too
set -e
bin=$1
name=shmseg-demo-$$
trap 'rm -f "/dev/shm/$name"' EXIT
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
echo "== reader again, then unlink"
"$bin/reader" -u "$name"
test ! -e "/dev/shm/$name" && echo "== $name is gone"
