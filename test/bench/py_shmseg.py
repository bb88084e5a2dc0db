# SPDX-License-Identifier: MIT
# py_shmseg.py GIB - section 7 of make bench: the Python package against
# what Python users reach for instead. Each figure is a median over rounds
# in which the contenders take turns at going first; ratios are of medians
# from the same run. Run with PYTHONPATH holding the built package.
import gc
import os
import pickle
import subprocess
import sys
import time
from multiprocessing import get_context, resource_tracker, shared_memory

import numpy as np

import shmseg

P = f"shmseg-pybench{os.getpid()}-"


def median(v):
    v = sorted(v)
    return v[(len(v) - 1) // 2]


def line(what, v, unit="s", scale=1.0):
    print(f"{what:<42} median {median(v) * scale:9.3f}  min "
          f"{min(v) * scale:9.3f}  max {max(v) * scale:9.3f} {unit}")


def target(what, ratio, goal, more_is_better=True):
    met = ratio >= goal if more_is_better else ratio <= goal
    print(f"target {what}: {'met' if met else 'MISSED'} ({ratio:.2f}x)")


def rotate(rounds, contenders):
    """Run each contender once a round, a different one first each round;
    returns {name: [results]}."""
    names = list(contenders)
    out = {n: [] for n in names}
    for r in range(rounds):
        k = r % len(names)
        for n in names[k:] + names[:k]:
            out[n].append(contenders[n]())
    return out


# ---- 1. publish -------------------------------------------------------------

PUBLISH = r"""
import os, sys, time, numpy as np
how, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = np.arange(n, dtype=np.float64)          # the live array, in memory
t = time.perf_counter()
if how == "shmseg":
    import shmseg
    shmseg.create(name, a)
elif how == "shm":
    from multiprocessing import shared_memory, resource_tracker
    resource_tracker.register = lambda *x, **k: None
    s = shared_memory.SharedMemory(name=name, create=True, size=a.nbytes)
    np.ndarray(a.shape, a.dtype, buffer=s.buf)[...] = a
    s.close()
else:
    with open("/dev/shm/" + name, "wb") as f:
        np.save(f, a)
t = time.perf_counter() - t
with open("/proc/self/status") as f:
    hwm = [int(l.split()[1]) for l in f if l.startswith("VmHWM:")][0]
print(t, hwm)
"""


def publish(gib, rounds):
    n = int(gib * (1 << 27))
    res = {}

    def run(how):
        def go():
            name = P + "pub"
            out = subprocess.run([sys.executable, "-c", PUBLISH, how, name,
                                  str(n)], capture_output=True, text=True,
                                 check=True).stdout.split()
            os.unlink("/dev/shm/" + name)
            return float(out[0]), int(out[1])
        return go
    res = rotate(rounds, {"shmseg": run("shmseg"), "shm": run("shm"),
                          "save": run("save")})
    print(f"== 7.1 publish a live {gib:g} GiB float64 array "
          f"({rounds} rounds, rotated)")
    t = {k: [x[0] for x in v] for k, v in res.items()}
    line("shmseg.create", t["shmseg"])
    line("SharedMemory(create) + copy", t["shm"])
    line("np.save to /dev/shm", t["save"])
    print("SharedArray: not measured (not packaged for Debian; no PyPI "
          "here)")
    target("publish >= 2x SharedMemory+copy",
           median(t["shm"]) / median(t["shmseg"]), 2.0)
    target("publish >= 1.0x np.save to /dev/shm",
           median(t["save"]) / median(t["shmseg"]), 1.0)
    kb = n * 8 // 1024
    hwm = median([x[1] for x in res["shmseg"]])
    print(f"peak RSS of the shmseg producer: {hwm} kB, the array and the "
          f"segment {2 * kb} kB ({hwm / (2 * kb):.3f}x)")
    target("producer peak <= array + segment", hwm / (2 * kb), 1.0,
           more_is_better=False)


# ---- 2. attach ----------------------------------------------------------------

def attach(name, shape, reps, k):
    # A reader's SharedMemory must not register the name: the tracker
    # would remove the segment when this process exits.
    register = resource_tracker.register
    resource_tracker.register = lambda *x, **kw: None
    try:
        _attach(name, shape, reps, k)
    finally:
        resource_tracker.register = register


def _attach(name, shape, reps, k):
    def first():
        gc.collect()
        t = time.perf_counter_ns()
        for _ in range(k):
            a = shmseg.attach(name)
            del a           # the last view: unmapped, next is a first
        return (time.perf_counter_ns() - t) / k / 1000

    def repeat():
        held = shmseg.attach(name)
        t = time.perf_counter_ns()
        for _ in range(k):
            a = shmseg.attach(name)
            del a
        t = (time.perf_counter_ns() - t) / k / 1000
        del held
        return t

    def shm():
        t = time.perf_counter_ns()
        for _ in range(k):
            s = shared_memory.SharedMemory(name=name)
            a = np.ndarray(shape, np.float64, buffer=s.buf, offset=4096)
            del a
            s.close()
        return (time.perf_counter_ns() - t) / k / 1000

    def npload():
        t = time.perf_counter_ns()
        for _ in range(k):
            a = np.load("/dev/shm/" + name, mmap_mode="r")
            del a
        return (time.perf_counter_ns() - t) / k / 1000
    res = rotate(reps, {"first": first, "repeat": repeat, "shm": shm,
                        "npload": npload})
    print(f"== 7.2 attach to a read-only ndarray and release ({k} a "
          f"repetition, {reps} repetitions, rotated)")
    line("shmseg.attach, first (no view held)", res["first"], "us")
    line("shmseg.attach, segment already held", res["repeat"], "us")
    line("SharedMemory(name) + ndarray + close", res["shm"], "us")
    line("np.load(mmap_mode='r')", res["npload"], "us")
    target("first attach >= 1.0x SharedMemory's",
           median(res["shm"]) / median(res["first"]), 1.0)
    target("repeated attach >= 3x SharedMemory's",
           median(res["shm"]) / median(res["repeat"]), 3.0)


# ---- 3. workers ---------------------------------------------------------------

def pss():
    """Total PSS of this process, and PSS of its /dev/shm mappings, kB."""
    total = shm_kb = 0
    inshm = False
    with open("/proc/self/smaps") as f:
        for ln in f:
            if ln[0] in "0123456789abcdef" and "-" in ln.split()[0]:
                inshm = "/dev/shm/" in ln
            elif ln.startswith("Pss:"):
                v = int(ln.split()[1])
                total += v
                shm_kb += v if inshm else 0
    return total, shm_kb


_barrier = None


def _init(barrier):
    global _barrier
    _barrier = barrier


def work(a):
    """A worker's task: sum the array, and say what memory that took once
    every worker has it (each holds it until all have measured)."""
    s = float(np.asarray(a).sum())
    _barrier.wait()
    m = pss()
    _barrier.wait()
    return s, m


def workers(name, gib, n=4):
    a = shmseg.attach(name)
    per_task = len(pickle.dumps(a, protocol=pickle.HIGHEST_PROTOCOL))
    ctx = get_context("spawn")
    with ctx.Pool(n, _init, (ctx.Barrier(n),)) as pool:
        pool.map(float, [1] * n)             # the workers are up
        t = time.perf_counter()
        out = pool.map(work, [a] * n, chunksize=1)
        t = time.perf_counter() - t
    total = sum(o[1][0] for o in out)
    seg = sum(o[1][1] for o in out)
    kb = a.nbytes // 1024
    print(f"== 7.3 {n} spawn workers get the {gib:g} GiB array as a "
          "Pool.map argument and sum it")
    print(f"bytes pickled per task                     {per_task}  "
          f"(the array: {a.nbytes})")
    target("bytes per task <= 1 KiB", 1024 / per_task, 1.0)
    print(f"workers' total PSS {total} kB, of which the segment {seg} kB; "
          f"the array {kb} kB ({total / kb:.3f}x); {t:.3f} s for the map")
    target("workers' total PSS <= 1.05x the array", total / kb, 1.05,
           more_is_better=False)
    small = np.arange(1 << 25, dtype=np.float64)      # 256 MiB
    with ctx.Pool(n, _init, (ctx.Barrier(n),)) as pool:
        pool.map(float, [1] * n)
        t = time.perf_counter()
        pool.map(work, [small] * n, chunksize=1)
        t = time.perf_counter() - t
    print(f"plain ndarray, 256 MiB, for contrast: "
          f"{len(pickle.dumps(small))} bytes per task, {t:.3f} s for the "
          "map")


# ---- 4. numpy.load --------------------------------------------------------------

def npload(reps, k):
    a = np.arange(3000.0).reshape(1000, 3)
    seg = P + "npl"
    shmseg.create(seg, a)
    plain = "/dev/shm/" + P + "plain.npy"
    np.save(plain, a)

    def run(path):
        def go():
            t = time.perf_counter_ns()
            for _ in range(k):
                np.load(path, mmap_mode="r")
            return (time.perf_counter_ns() - t) / k / 1000
        return go
    try:
        res = rotate(reps, {"seg": run("/dev/shm/" + seg),
                            "plain": run(plain)})
    finally:
        shmseg.unlink(seg)
        os.unlink(plain)
    print(f"== 7.4 numpy.load(mmap_mode='r') of a 1000x3 float64 "
          f"(NumPy {np.__version__}; {k} a repetition, {reps}, rotated)")
    line("a segment", res["seg"], "us")
    line("a plain .npy of the same array", res["plain"], "us")
    target("load of a segment <= 1.2x a plain .npy",
           median(res["seg"]) / median(res["plain"]), 1.2,
           more_is_better=False)


def main():
    gib = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    publish(gib, 5)
    print()
    name = P + "big"
    a = shmseg.create(name, np.arange(int(gib * (1 << 27)), dtype="f8"))
    shape = a.shape
    del a
    try:
        attach(name, shape, 7, 2000)
        print()
        workers(name, gib)
    finally:
        shmseg.unlink(name)
    print()
    npload(7, 300)


if __name__ == "__main__":
    main()
