# SPDX-License-Identifier: MIT
"""Across processes started by exec: readers of a producer's segment,
waiting for a seal, passing arrays to pools by name, other users, a full
/dev/shm, and mappings given back when the last view goes."""

import concurrent.futures
import errno
import gc
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest

import shmseg
from conftest import python, spawn

PRODUCER = """
import sys, numpy as np, shmseg
a = np.arange(int(sys.argv[2]), dtype='<i8').reshape(-1, 4)
shmseg.create(sys.argv[1], a, mode=0o644)
print('sealed', flush=True)
sys.stdin.readline()          # holds its view until told to go
"""

READER = """
import sys, numpy as np, shmseg
a = shmseg.attach(sys.argv[1], timeout=float(sys.argv[2]))
want = np.arange(a.size, dtype='<i8').reshape(a.shape)
print('ok' if a.dtype == want.dtype and (a == want).all() else 'BAD',
      a.shape, flush=True)
"""


def test_four_readers_before_and_after_the_producer_exits(name):
    p = spawn(PRODUCER, name, 4 * 100000)
    try:
        assert p.stdout.readline().strip() == "sealed"
        for _ in range(2):
            rs = [spawn(READER, name, 0) for _ in range(4)]
            for r in rs:
                out, err = r.communicate(timeout=60)
                assert out.strip() == "ok (100000, 4)", err
            if p.poll() is None:
                p.stdin.write("go\n")
                p.stdin.flush()
                assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_attach_waits_for_a_producer_started_later(name):
    r = spawn(READER, name, 30)
    p = spawn(PRODUCER, name, 400)
    try:
        out, err = r.communicate(timeout=60)
        assert out.strip() == "ok (100, 4)", err
    finally:
        p.stdin.close()
        p.wait(timeout=60)


def test_attach_times_out(name):
    with pytest.raises(TimeoutError) as e:
        shmseg.attach(name, timeout=0.05)
    assert e.value.errno == errno.ETIMEDOUT


# ---- passing by name -------------------------------------------------------

def total(a):
    return float(a.sum()), type(a).__name__


def test_a_view_pickles_as_a_reference(names):
    n = names()
    a = shmseg.create(n, np.arange(1 << 20, dtype="<f8").reshape(1024, 1024))
    for v in (a, a[3:], a.T, a[::7, 5], a[10, 20:30]):
        data = pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)
        assert len(data) < 200   # about 100 bytes and the name
        back = pickle.loads(data)
        assert type(back) is shmseg.ndarray
        assert back.shape == v.shape and (back == v).all()
        assert not back.flags.writeable
    # Memory of its own pickles as data.
    c = a[:2] + 1
    assert len(pickle.dumps(c)) > 2 * 1024 * 8
    # The name now holds another segment: refused.
    data = pickle.dumps(a[0])
    shmseg.unlink(n)
    shmseg.create(n, np.zeros(3))
    with pytest.raises(FileNotFoundError, match="another segment"):
        pickle.loads(data)


def test_spawn_pool_and_executor_get_the_segment_by_name(name):
    a = shmseg.create(name, np.arange(1 << 18, dtype="<f8"))
    want = float(np.arange(1 << 18, dtype="<f8").sum())
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got = pool.map(total, [a, a[: 1 << 17], a])
    assert got[0] == (want, "ndarray") and got[2][0] == want
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as ex:
        assert ex.submit(total, a).result() == (want, "ndarray")


def test_joblib_loky_gets_the_segment_by_name(name):
    joblib = pytest.importorskip("joblib", reason="needs python3-joblib")
    a = shmseg.create(name, np.arange(1 << 18, dtype="<f8"))
    out = joblib.Parallel(n_jobs=2, backend="loky")(
        joblib.delayed(total)(a) for _ in range(3))
    assert out == [(float(a.sum()), "ndarray")] * 3


# ---- mappings ----------------------------------------------------------------

def mapped(addr):
    """Whether /proc/self/maps has a mapping of /dev/shm over addr."""
    with open("/proc/self/maps") as f:
        for line in f:
            lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
            if lo <= addr < hi:
                return "/dev/shm/" in line
    return False


def test_the_mapping_goes_with_the_last_view(name):
    a = shmseg.create(name, np.zeros(1 << 16))
    addr = a.__array_interface__["data"][0]
    v = a[5:]
    b = shmseg.attach(name)
    assert b.__array_interface__["data"][0] == addr   # the same mapping
    assert mapped(addr)
    del a, b
    gc.collect()
    assert mapped(addr)   # v still holds it
    del v
    gc.collect()
    assert not mapped(addr)


def test_a_writer_cannot_get_in(name):
    shmseg.create(name, np.zeros(8))
    r = python("import shmseg, sys\n"
               "a = shmseg.attach(sys.argv[1])\n"
               "try:\n    a[0] = 1\nexcept ValueError as e:\n"
               "    print('refused', e)\n", name)
    assert r.stdout.startswith("refused"), r.stderr


# ---- other users, a full /dev/shm ---------------------------------------------

NOBODY = 65534


def can_run_as_nobody():
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return "needs root and setpriv"
    r = python("import shmseg", user=NOBODY)
    return None if r.returncode == 0 else \
        "user nobody cannot import the package from here: " + \
        r.stderr.strip().splitlines()[-1]


def test_another_user_reads_0644_and_not_0600(names):
    why = can_run_as_nobody()
    if why:
        pytest.skip(why)
    open_, closed = names(), names()
    shmseg.create(open_, np.arange(5), mode=0o644)
    shmseg.create(closed, np.arange(5), mode=0o600)
    code = ("import shmseg, sys\n"
            "try:\n    print(int(shmseg.attach(sys.argv[1]).sum()))\n"
            "except PermissionError as e:\n    print('EACCES', e.errno)\n")
    assert python(code, open_, user=NOBODY).stdout.strip() == "10"
    assert python(code, closed, user=NOBODY).stdout.strip() == \
        f"EACCES {errno.EACCES}"


FULL = """
import errno, os, sys, numpy as np, shmseg
name = sys.argv[1]
try:
    shmseg.create(name, np.ones(4 << 20))       # 32 MiB in 8 MiB
except OSError as e:
    print('ENOSPC' if e.errno == errno.ENOSPC else 'errno %d' % e.errno)
try:
    with shmseg.build(name, 4 << 20, 'f8') as w:
        w[:] = 1
    print('built')
except OSError as e:
    print('ENOSPC' if e.errno == errno.ENOSPC else 'errno %d' % e.errno)
print(sorted(os.listdir('/dev/shm')))
"""


def test_a_full_dev_shm_is_enospc_and_leaves_nothing(name):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a private /dev/shm")
    # In a mount namespace of its own, with an 8 MiB tmpfs on /dev/shm
    # (made private alone where / cannot be, as in a chroot).
    r = subprocess.run(
        ["unshare", "--mount", "--propagation", "unchanged", "sh", "-c",
         "{ mount --make-rprivate / 2>/dev/null || "
         "mount --make-private /dev/shm; } && "
         "mount -t tmpfs -o size=8m tmpfs /dev/shm && "
         "exec \"$0\" -c \"$1\" \"$2\"", sys.executable, FULL, name],
        capture_output=True, text=True, timeout=120)
    assert r.stdout.splitlines() == ["ENOSPC", "ENOSPC", "[]"], r.stderr


def test_a_forked_child_reads_and_attaches(name):
    a = shmseg.create(name, np.arange(5.0))
    pid = os.fork()
    if pid == 0:
        try:
            ok = (a == np.arange(5.0)).all() and \
                (shmseg.attach(name) == a).all()
        finally:
            os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_a_file_size_limit_is_efbig_not_sigxfsz(name):
    code = ("import errno, resource, sys, numpy as np, shmseg\n"
            "resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))\n"
            "try:\n    shmseg.create(sys.argv[1], np.ones(1 << 20))\n"
            "except OSError as e:\n    print(errno.errorcode[e.errno])\n")
    r = python(code, name)
    assert r.returncode == 0 and r.stdout.strip() == "EFBIG", r.stderr
    assert not os.path.exists("/dev/shm/" + name)
