# SPDX-License-Identifier: MIT
# py_dask.py GIB [ROUNDS [PREFIX]] - section 9 of make bench: a GIB
# float64 array handed to the 4 worker processes of a Dask LocalCluster
# by shmseg.dask.publish (made by the client on its own host, or sent to
# one worker as for any other host) and by client.scatter(x,
# broadcast=True), in rounds in which they take turns at going first: the
# time until every worker has read it, and the workers' memory while all
# of them hold it. The array is random, as weights are (Dask's lz4
# compresses an arange, which makes scatter several times slower); its
# segments are named PREFIX.... Run with PYTHONPATH holding the built
# package.
import math
import os
import sys
import time

import numpy as np

from proc import proc_kb

try:
    import dask
    import distributed
except ImportError:
    print("skipped: no Dask distributed for this Python "
          "(python3-distributed)")
    sys.exit(0)

import shmseg.dask

P = sys.argv[3] if len(sys.argv) > 3 else f"shmseg-pybench{os.getpid()}-"
WORKERS = 4


def median(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2]


def line(what, v, unit, fmt="9.3f"):
    print(f"{what:<44} median {median(v):{fmt}}  min {min(v):{fmt}}  "
          f"max {max(v):{fmt}} {unit}")


def first(a):
    """A worker's first task: one element, read."""
    a = a.get() if isinstance(a, shmseg.dask.SharedArray) else a
    return float(a[-1])


def total(a):
    """A worker's second task: sum all of it."""
    a = a.get() if isinstance(a, shmseg.dask.SharedArray) else a
    return float(a.sum())


def held(dask_worker):
    """Keys in the worker's memory (a scattered copy left is one)."""
    return list(dask_worker.data)


class Bench:
    def __init__(self, client, x):
        self.client = client
        self.x = x
        self.sum = float(x.sum())
        self.pids = client.run(os.getpid)
        self.workers = sorted(self.pids)

    def pss(self, key="Pss"):
        """Total of key over the workers' smaps_rollup, kB."""
        return sum(proc_kb(f"/proc/{p}/smaps_rollup", key)
                   for p in self.pids.values())

    def on_each(self, fn, arg):
        c = self.client
        return c.gather([c.submit(fn, arg, workers=[w], pure=False,
                                  allow_other_workers=False)
                         for w in self.workers])

    def settle(self, n):
        """Wait until the workers hold n keys between them: what the last
        round released is gone."""
        for _ in range(500):
            keys = self.client.run(held)
            if sum(map(len, keys.values())) == n:
                return
            time.sleep(0.01)
        raise RuntimeError(f"the workers kept what they were given: {keys}")

    def round(self, how):
        self.settle(0)
        before = self.pss()
        t = time.perf_counter()
        if how == "scatter":
            h = self.client.scatter(self.x, broadcast=True, hash=False)
        elif how == "sent":
            # As for a host the client is not on: sent to one worker.
            here, shmseg.dask._here = shmseg.dask._here, lambda: (None, 0)
            try:
                h = shmseg.dask.publish(self.client, self.x, prefix=P)
            finally:
                shmseg.dask._here = here
        else:
            h = shmseg.dask.publish(self.client, self.x, prefix=P)
        got = self.on_each(first, h)
        ready = time.perf_counter() - t
        sums = self.on_each(total, h)
        assert got == [float(self.x[-1])] * WORKERS, got
        assert all(math.isclose(s, self.sum, rel_tol=1e-12) for s in sums)
        self.settle(WORKERS if how == "scatter" else 0)
        after, shm = self.pss(), self.pss("Pss_Shmem")
        if how != "scatter":
            h.close()
        del h
        return ready, after - before, after, shm


def main():
    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    n = int(gib * (1 << 27))
    kb = n * 8 // 1024
    avail = proc_kb("/proc/meminfo", "MemAvailable")
    contenders = ["shmseg", "sent", "scatter"]
    if (WORKERS + 2) * kb > avail:
        print(f"scatter: skipped, {WORKERS} copies and the client's need "
              f"{(WORKERS + 1) * kb} kB, {avail} kB available")
        contenders = ["shmseg", "sent"]
    x = np.random.default_rng(1).random(n)
    # No memory limit: Dask counts the pages of a mapping a worker has
    # read in its memory, shared or not, and would pause or restart it.
    # The active memory manager off: on (Dask's default), it drops the
    # copies a broadcast made beyond one within 2 s, while tasks that
    # would read them may still come.
    dask.config.set({"distributed.scheduler.active-memory-manager.start":
                     False})
    with distributed.LocalCluster(n_workers=WORKERS, processes=True,
                                  threads_per_worker=1, memory_limit=0,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        b = Bench(client, x)
        # Imports and first connections in every worker, for both.
        for how in contenders:
            Bench(client, x[:1000]).round(how)
        res = {c: [] for c in contenders}
        for r in range(rounds):
            k = r % len(contenders)
            for how in contenders[k:] + contenders[:k]:
                res[how].append(b.round(how))
    names = {"shmseg": "shmseg.dask.publish",
             "sent": "the same, sent to one worker",
             "scatter": "client.scatter(x, broadcast=True)"}
    print(f"== 9.1 a {gib:g} GiB float64 array to {WORKERS} Dask worker "
          f"processes (LocalCluster, distributed {distributed.__version__})"
          f", {rounds} rounds, rotated")
    print("until every worker has read it (publish, then a task on each):")
    for how in contenders:
        line(names[how], [v[0] for v in res[how]], "s")
    ready = {how: median([v[0] for v in res[how]]) for how in contenders}
    if "scatter" in res:
        a, b = (ready["scatter"] / ready[k] for k in ("shmseg", "sent"))
        print(f"(by medians, scatter takes {a:.2f}x shmseg.dask's time, "
              f"{b:.2f}x when it is sent)")
    print(f"workers' PSS added while all {WORKERS} hold it and have summed "
          f"it (the array: {kb} kB):")
    for how in contenders:
        line(names[how], [v[1] / kb for v in res[how]], "x the array")
    for how in contenders[:2]:
        add = median([v[1] for v in res[how]])
        tot = median([v[2] for v in res[how]])
        shm = median([v[3] for v in res[how]])
        print(f"{names[how]}: {add} kB added, of which shared memory "
              f"{shm} kB; the workers' total PSS {tot} kB, {tot - add} kB "
              "of it before (interpreters, NumPy, Dask)")
        print(f"target workers' total PSS <= 1.1x the array: "
              f"{'met' if tot <= 1.1 * kb else 'MISSED'} ({tot / kb:.3f}x); "
              f"the PSS added, the array's share: {add / kb:.3f}x")
    add = median([v[1] for v in res["shmseg"]])
    if "scatter" in res:
        sc = median([v[1] for v in res["scatter"]])
        print(f"scatter: {sc} kB added, {sc / kb:.2f}x the array, "
              f"{sc / add:.2f}x shmseg.dask's; total "
              f"{median([v[2] for v in res['scatter']])} kB")


if __name__ == "__main__":
    main()
