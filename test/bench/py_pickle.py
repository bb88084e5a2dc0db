# SPDX-License-Identifier: MIT
# py_pickle.py - the pickling way to hand an array to N worker processes:
# each child receives its own copy through a pipe. Prints the children's
# added PSS in kB (after receipt and a sum, minus before) and the array's
# size in kB.
import sys
import multiprocessing as mp

import numpy as np

from proc import proc_kb


def pss_kb():
    return proc_kb("/proc/self/smaps_rollup", "Pss")


def child(conn):
    before = pss_kb()
    a = conn.recv()
    a.sum()
    conn.send(pss_kb() - before)
    conn.recv()         # hold the copy until every child has measured


def main():
    readers, mib = int(sys.argv[1]), int(sys.argv[2])
    ctx = mp.get_context("fork")
    pipes, procs = [], []
    for _ in range(readers):    # started before the array exists
        mine, theirs = ctx.Pipe()
        p = ctx.Process(target=child, args=(theirs,))
        p.start()
        pipes.append(mine)
        procs.append(p)
    a = np.arange(mib * 131072, dtype=np.float64)
    for c in pipes:
        c.send(a)
    added = sum(c.recv() for c in pipes)
    for c in pipes:
        c.send(None)
    for p in procs:
        p.join()
    print(added, a.nbytes // 1024)


if __name__ == "__main__":
    main()
