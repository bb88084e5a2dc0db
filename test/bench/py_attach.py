# SPDX-License-Identifier: MIT
# py_attach.py - the Python way to reach a named array: SharedMemory(name)
# + numpy.ndarray over its buffer + close; microseconds a cycle, one rep
import sys
import time
from multiprocessing import shared_memory, resource_tracker

import numpy as np

name, cycles = sys.argv[1], int(sys.argv[2])
# Python 3.11 registers every SharedMemory it opens with its resource
# tracker, which would unlink the segment at exit: not ours to remove.
resource_tracker.register = lambda *a, **k: None
n = (shared_memory.SharedMemory(name=name).size - 4096) // 8
t0 = time.perf_counter()
for _ in range(cycles):
    shm = shared_memory.SharedMemory(name=name)
    a = np.ndarray((n,), dtype="<f8", buffer=shm.buf, offset=4096)
    del a
    shm.close()
print("%.3f" % ((time.perf_counter() - t0) / cycles * 1e6))
