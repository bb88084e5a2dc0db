# SPDX-License-Identifier: MIT
# py_huge.py - the Python figures of make bench's huge-page section, each
# a separate process so that it starts with no mapping of its own:
#   scan PATH:           numpy.load(PATH, mmap_mode='r').sum() of a fresh
#                        reader: seconds, and kB of page tables it took
#   publish NPY NAME:    shmseg.create(NAME, array in memory): seconds
import sys
import time

import numpy as np

from proc import proc_kb


def vmpte_kb():
    return proc_kb("/proc/self/status", "VmPTE")


def scan(path):
    before = vmpte_kb()
    t0 = time.perf_counter()
    a = np.load(path, mmap_mode="r")
    a.sum()
    t = time.perf_counter() - t0
    print(f"{t:.6f} {vmpte_kb() - before}")


def publish(npy, name):
    import shmseg
    a = np.load(npy)
    t0 = time.perf_counter()
    shmseg.create(name, a)
    print(f"{time.perf_counter() - t0:.6f}")
    shmseg.unlink(name)


if __name__ == "__main__":
    if sys.argv[1] == "scan":
        scan(sys.argv[2])
    else:
        publish(sys.argv[2], sys.argv[3])
