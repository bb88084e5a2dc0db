# SPDX-License-Identifier: MIT
"""shmseg.dask on a LocalCluster of four worker processes: one segment a
host, mapped once by every worker, handles pickled by name, and nothing
left after a close, a client's end (closed or killed) or a cluster's."""

import glob
import os
import pickle
import signal
import time

import numpy as np
import pytest

import shmseg
from conftest import PREFIX, python

distributed = pytest.importorskip(
    "distributed", reason="shmseg.dask needs Dask's distributed "
    "(Debian: python3-distributed)")
import shmseg.dask  # noqa: E402 - after the skip

P = PREFIX + "dask-"
MIB64 = (64 << 20) // 8        # float64 items in 64 MiB


@pytest.fixture(scope="module")
def cluster():
    """Four worker processes, one thread each: one host."""
    with distributed.LocalCluster(n_workers=4, processes=True,
                                  threads_per_worker=1,
                                  dashboard_address=None) as c:
        yield c


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def prefix(names):
    """The prefix of this test's segments, which the names fixture removes
    at the end whatever happens."""
    return P


@pytest.fixture(params=["here", "sent"])
def how(request, monkeypatch):
    """Publish an array the two ways: made by the client, on its own host
    ("here"), or sent to a worker that makes it, as for any other host
    ("sent": the client is told it shares no /dev/shm with them)."""
    if request.param == "sent":
        monkeypatch.setattr(shmseg.dask, "_here", lambda: (None, None))
    return request.param


def segments():
    return sorted(glob.glob("/dev/shm/" + P + "*"))


def gone(path, seconds=10):
    """Whether path is gone within seconds (the scheduler removes the
    segments of a client that went in the background)."""
    deadline = time.monotonic() + seconds
    while os.path.lexists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def on_every_worker(client, fn, *args):
    """fn(*args) as a task on each worker; the results in worker order."""
    workers = sorted(client.scheduler_info()["workers"])
    return client.gather([client.submit(fn, *args, workers=[w],
                                        allow_other_workers=False,
                                        pure=False) for w in workers])


def look(w):
    """A task: sum the array, and say which file backs it in this process
    (the inode: a segment made unnamed is mapped as "/dev/shm/#INODE
    (deleted)") and how many mappings of that file there are."""
    a = w.get()
    start = a.__array_interface__["data"][0]
    with open("/proc/self/maps") as f:
        maps = [line.split() for line in f]
    inode = None
    for p in maps:
        lo, hi = (int(x, 16) for x in p[0].split("-"))
        if lo <= start < hi:
            dev, inode = p[3], int(p[4])
    n = sum(1 for p in maps if inode and p[3] == dev and int(p[4]) == inode)
    return {"pid": os.getpid(), "sum": float(a.sum()), "maps": n,
            "inode": inode, "same": w.get() is a,
            "type": type(a).__name__, "writeable": a.flags.writeable}


def stored(dask_worker):
    """How many keys the worker holds data of."""
    return len(dask_worker.data)


def holds(name):
    """Whether this worker process holds segment name."""
    return name in shmseg.dask._holds


def test_one_segment_a_host_mapped_once_by_every_worker(client, prefix,
                                                        how):
    x = np.arange(MIB64, dtype=np.float64)
    with shmseg.dask.publish(client, x, prefix=prefix) as w:
        assert segments() == ["/dev/shm/" + w.name]
        assert len(w.creators) == 1             # a LocalCluster: one host
        pids = client.run(os.getpid)
        maker = shmseg.stat(w.name).creator_pid
        assert maker == (os.getpid() if how == "here"
                         else pids[w.creators[0]])
        assert (w.shape, w.dtype, w.nbytes) == (x.shape, x.dtype, 64 << 20)
        inode = os.stat("/dev/shm/" + w.name).st_ino
        for _ in range(2):                       # attached once, not twice
            out = on_every_worker(client, look, w)
            assert len({o["pid"] for o in out}) == 4
            for o in out:
                assert o["sum"] == float(x.sum())
                assert o["inode"] == inode and o["maps"] == 1, o
                assert o["same"] and o["type"] == "ndarray"
                assert not o["writeable"]
        assert segments() == ["/dev/shm/" + w.name]
        # The copy sent to the maker is let go of (moments after).
        deadline = time.monotonic() + 10
        while sum(client.run(stored).values()) and \
                time.monotonic() < deadline:
            time.sleep(0.02)
        assert sum(client.run(stored).values()) == 0


def test_a_task_carries_a_few_hundred_bytes(client, prefix):
    with shmseg.dask.publish(client, np.zeros(MIB64), prefix=prefix) as w:
        assert len(pickle.dumps(w)) < 300
        assert len(distributed.protocol.pickle.dumps(w)) < 300
        back = pickle.loads(pickle.dumps(w))
        assert (back.name, back.shape, back.dtype) == \
            (w.name, w.shape, w.dtype)
        f = client.submit(look, w, pure=False)
        f.result()

        def spec(dask_scheduler, key):
            return len(dask_scheduler.tasks[key].run_spec["args"])
        # What the scheduler holds and sends for the task's arguments.
        assert client.run_on_scheduler(spec, key=f.key) < 300
        del f


def test_publish_from_a_npy_path(client, prefix, tmp_path):
    x = np.arange(MIB64, dtype="<i8").reshape(-1, 8)
    np.save(tmp_path / "x.npy", x)
    with shmseg.dask.publish(client, tmp_path / "x.npy",
                             prefix=prefix) as w:
        assert w.path == str(tmp_path / "x.npy")
        assert (w.shape, w.dtype) == (x.shape, x.dtype)
        assert segments() == ["/dev/shm/" + w.name]
        out = on_every_worker(client, look, w)
        assert {o["sum"] for o in out} == {float(x.sum())}
        assert len({o["inode"] for o in out}) == 1
    assert segments() == []


def test_the_end_of_the_block_removes_it_from_every_worker(client, prefix):
    with shmseg.dask.publish(client, np.ones(1000), prefix=prefix) as w:
        on_every_worker(client, look, w)
        assert all(client.run(holds, w.name).values())
        assert shmseg.dask._holds == {}         # the client holds nothing
    assert segments() == []
    assert not any(client.run(holds, w.name).values())
    assert w.closed
    w.close()                                   # again: nothing
    with pytest.raises(FileNotFoundError):
        client.submit(look, w, pure=False).result()


def test_a_copy_cannot_close_it(client, prefix):
    with shmseg.dask.publish(client, np.ones(10), prefix=prefix) as w:
        with pytest.raises(RuntimeError):
            pickle.loads(pickle.dumps(w)).close()
        assert not w.closed
        assert segments() == ["/dev/shm/" + w.name]


def test_two_publishes_coexist(client, prefix):
    a, b = np.arange(1000.0), np.arange(2000.0) * 2
    wa = shmseg.dask.publish(client, a, prefix=prefix)
    with shmseg.dask.publish(client, b, prefix=prefix) as wb:
        assert wa.name != wb.name
        assert segments() == sorted(["/dev/shm/" + wa.name,
                                     "/dev/shm/" + wb.name])
        assert {o["sum"] for o in on_every_worker(client, look, wa)} == \
            {a.sum()}
        assert {o["sum"] for o in on_every_worker(client, look, wb)} == \
            {b.sum()}
        assert (wa.get() == a).all()            # in the client, its host
        assert wa.name in shmseg.dask._holds
        wa.close()
        assert wa.name not in shmseg.dask._holds
        assert segments() == ["/dev/shm/" + wb.name]
        assert {o["sum"] for o in on_every_worker(client, look, wb)} == \
            {b.sum()}
    assert segments() == []


def test_the_name_can_be_given(client, name):
    with shmseg.dask.publish(client, np.ones(10), name=name) as w:
        assert w.name == name and shmseg.stat(name).shape == (10,)
    assert not os.path.exists("/dev/shm/" + name)


def test_errors_leave_nothing(client, name, prefix, tmp_path, how):
    def plugins(dask_scheduler):
        return sorted(n for n in dask_scheduler.worker_plugins
                      if n.startswith("shmseg.dask"))
    shmseg.create(name, np.ones(3))
    with pytest.raises(FileExistsError):
        shmseg.dask.publish(client, np.zeros(3), name=name)
    assert shmseg.attach(name).sum() == 3       # not the publish's
    with pytest.raises(FileNotFoundError):
        shmseg.dask.publish(client, tmp_path / "none.npy", prefix=prefix)
    with pytest.raises(TypeError):
        shmseg.dask.publish(client, np.array([None]), prefix=prefix)
    assert segments() == []
    assert client.run_on_scheduler(plugins) == []
    assert not any(client.run(holds, name).values())


def test_closing_the_client_removes_them(cluster, prefix):
    with distributed.Client(cluster) as c:
        w = shmseg.dask.publish(c, np.ones(1000), prefix=prefix)
        on_every_worker(c, look, w)
    assert gone("/dev/shm/" + w.name)


KILLED = """
import os, signal, sys, numpy as np, distributed, shmseg.dask
c = distributed.Client(sys.argv[1])
w = shmseg.dask.publish(c, np.ones(1000), prefix=sys.argv[2])
print(w.name, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_client_leaves_nothing(cluster, client, prefix):
    p = python(KILLED, cluster.scheduler_address, prefix)
    assert p.returncode == -9, p.stderr
    assert p.stdout.startswith(prefix)
    assert gone("/dev/shm/" + p.stdout.strip())
    assert not any(client.run(holds, p.stdout.strip()).values())


def test_a_host_whose_workers_all_died_is_cleaned_at_the_close(client,
                                                               prefix):
    # SIGKILL: no teardown runs; the nannies start new workers, which
    # hold nothing. The close still removes the segment, whose name is a
    # uuid of the publish's own.
    with shmseg.dask.publish(client, np.ones(1000), prefix=prefix) as w:
        on_every_worker(client, look, w)
        old = client.run(os.getpid)
        for pid in old.values():
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            now = set(client.scheduler_info()["workers"])
            if len(now) == 4 and not now & set(old):
                break
            assert time.monotonic() < deadline, now
            time.sleep(0.1)
        assert not any(client.run(holds, w.name).values())
        assert segments() == ["/dev/shm/" + w.name]
        assert {o["sum"] for o in on_every_worker(client, look, w)} == \
            {1000.0}
        client.run(shmseg.dask._forget, w.name)   # and drop them again
    assert segments() == []


def test_shutting_the_cluster_down_removes_them(prefix, how):
    # Client() starts a cluster of its own and closes it first, when the
    # workers cannot be reached through the scheduler any more: each
    # worker that made a segment removes it as it closes.
    with distributed.Client(n_workers=2, processes=True,
                            threads_per_worker=1,
                            dashboard_address=None) as c:
        w = shmseg.dask.publish(c, np.ones(1000), prefix=prefix)
        on_every_worker(c, look, w)
    assert segments() == []


def test_import_shmseg_does_not_import_distributed():
    p = python("import sys, shmseg; print('distributed' in sys.modules)")
    assert p.stdout.strip() == "False", p.stderr


def test_every_public_name_has_a_docstring():
    for n in shmseg.dask.__all__:
        obj = getattr(shmseg.dask, n)
        assert obj.__doc__, n
        for m in vars(obj) if isinstance(obj, type) else ():
            if not m.startswith("_"):
                assert getattr(obj, m).__doc__, f"{n}.{m}"
    assert shmseg.dask.__doc__
