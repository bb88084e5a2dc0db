# SPDX-License-Identifier: MIT
"""attach(timeout=...) across processes started by exec: woken by the
name's appearing and by the seal, in one call of the library; Ctrl-C and
other signals while waiting; the timeout; threads."""

import contextlib
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import shmseg
from conftest import spawn

WAITER = """
import signal, sys, numpy as np, shmseg
got = []
signal.signal(signal.SIGUSR1, lambda *a: got.append(1))
a = shmseg.attach(sys.argv[1], timeout=float(sys.argv[2]))
print('ok', a.dtype.str, a.shape, int(a.astype('<i8').sum()),
      'handled', len(got), flush=True)
"""


def inotify_fds(pid):
    """How many inotify descriptors process pid has: one for each wait on
    a name that does not exist yet."""
    fds, n = f"/proc/{pid}/fd", 0
    for fd in os.listdir(fds):
        try:
            n += os.readlink(f"{fds}/{fd}") == "anon_inode:inotify"
        except OSError:
            pass                      # closed meanwhile
    return n


def watching(pid):
    """Whether process pid waits for a name to appear."""
    return inotify_fds(pid) > 0


def mapping(pid, name):
    """Whether process pid waits for the seal of name (it maps it)."""
    with open(f"/proc/{pid}/maps") as f:
        return any(line.rstrip("\n").split(" ")[-1] == "/dev/shm/" + name
                   or f"/dev/shm/{name} " in line for line in f)


def until(pred, *args):
    for _ in range(20000):
        if pred(*args):
            return
        time.sleep(0.001)
    raise AssertionError(f"{pred.__name__}{args} never came true")


def finish(p, timeout=60):
    out, err = p.communicate(timeout=timeout)
    return p.returncode, out.strip(), err


def test_waiter_wakes_as_create_names_the_segment(name):
    w = spawn(WAITER, name, 60)
    try:
        until(watching, w.pid)
        shmseg.create(name, np.arange(12, dtype="<i4").reshape(3, 4))
        assert finish(w)[:2] == (0, "ok <i4 (3, 4) 66 handled 0")
    finally:
        w.kill()


def test_waiter_wakes_as_build_seals(name):
    w = spawn(WAITER, name, 60)
    try:
        until(watching, w.pid)
        with shmseg.build(name, (5,), "<u2") as a:
            a[:] = [1, 2, 3, 4, 5]
        assert finish(w)[:2] == (0, "ok <u2 (5,) 15 handled 0")
    finally:
        w.kill()


def churn(helper, name):
    """The C helper: makes name at once under its name, building, and
    fills and seals it on a line of input."""
    p = subprocess.Popen([helper, "churn", name, "4096", "pause"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         text=True)
    assert p.stdout.readline() == "created\n"
    return p


def test_waiter_on_a_building_segment_wakes_at_its_seal(name, helper):
    with asleep(name, helper, "seal", 60) as (w, maker):
        seal(maker)
        rc, out, err = finish(w)
        assert rc == 0 and out.startswith("ok <u8 (512,) "), err


@contextlib.contextmanager
def asleep(name, helper, on, timeout):
    """A waiter on name, seen asleep on the name, or (on="seal") on the
    seal of a segment the C helper builds: yields it and that helper (or
    None); ends both, whatever happens."""
    maker = churn(helper, name) if on == "seal" else None
    w = spawn(WAITER, name, timeout)
    try:
        if maker:
            until(mapping, w.pid, name)
        else:
            until(watching, w.pid)
        yield w, maker
    finally:
        w.kill()
        if maker:
            maker.stdin.close()
            maker.wait(timeout=60)


def seal(maker):
    maker.stdin.write("go\n")
    maker.stdin.flush()
    assert maker.stdout.readline() == "sealed rc=0\n"


@pytest.mark.parametrize("on", ["name", "seal"])
def test_ctrl_c_ends_the_wait_at_once(name, helper, on):
    with asleep(name, helper, on, 3600) as (w, _):
        w.send_signal(signal.SIGINT)
        rc, out, err = finish(w, timeout=30)
        assert rc != 0 and out == ""
        assert "KeyboardInterrupt" in err


@pytest.mark.parametrize("on", ["name", "seal"])
def test_a_handler_that_returns_leaves_the_wait_going(name, helper, on):
    with asleep(name, helper, on, 60) as (w, maker):
        w.send_signal(signal.SIGUSR1)
        time.sleep(0.2)
        assert w.poll() is None          # still waiting
        if maker:
            seal(maker)
        else:
            shmseg.create(name, np.ones(4, dtype="<f8"))
        rc, out, err = finish(w)
        assert rc == 0 and out.endswith("handled 1"), err


@pytest.mark.parametrize("on", ["name", "seal"])
def test_timeout_is_never_cut_short(name, helper, on):
    maker = churn(helper, name) if on == "seal" else None
    try:
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            shmseg.attach(name, timeout=0.3)
        assert time.monotonic() - t0 >= 0.3
    finally:
        if maker:
            maker.stdin.close()
            maker.wait(timeout=60)


def test_threads_waiting_on_one_name_all_get_it(name):
    got = []

    def wait():
        got.append(shmseg.attach(name, timeout=60))

    ts = [threading.Thread(target=wait) for _ in range(8)]
    for t in ts:
        t.start()
    until(lambda: inotify_fds(os.getpid()) >= 8)
    shmseg.create(name, np.arange(6.0))
    for t in ts:
        t.join(timeout=60)
    assert len(got) == 8
    assert all((a == np.arange(6.0)).all() for a in got)
