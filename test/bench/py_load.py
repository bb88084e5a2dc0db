# SPDX-License-Identifier: MIT
# py_load.py - Python's ways to put a .npy file into shared memory, timed
# in microseconds, interpreter start and imports excluded:
#   readinto: SharedMemory(create=True) and readinto() of the file's data
#   numpy:    numpy.load() and a copy into an ndarray over a SharedMemory
import sys
import time
from multiprocessing import shared_memory

import numpy as np
from numpy.lib import format as npf


def readinto(path, name):
    with open(path, "rb") as f:
        major, _ = npf.read_magic(f)
        read_header = (npf.read_array_header_1_0 if major == 1
                       else npf.read_array_header_2_0)
        shape, _, dtype = read_header(f)
        nbytes = int(np.prod(shape)) * dtype.itemsize
        shm = shared_memory.SharedMemory(name=name, create=True, size=nbytes)
        view = shm.buf[:nbytes]
        if f.readinto(view) != nbytes:
            raise SystemExit("py_load: short read")
        view.release()
    return shm


def load_and_copy(path, name):
    a = np.load(path)
    shm = shared_memory.SharedMemory(name=name, create=True, size=a.nbytes)
    b = np.ndarray(a.shape, a.dtype, buffer=shm.buf)
    b[...] = a
    del b
    return shm


def main():
    path, name, how = sys.argv[1:4]
    t0 = time.perf_counter()
    shm = (readinto if how == "readinto" else load_and_copy)(path, name)
    t1 = time.perf_counter()
    shm.close()
    shm.unlink()
    print("%.0f" % ((t1 - t0) * 1e6))


if __name__ == "__main__":
    main()
