# SPDX-License-Identifier: MIT
"""Atomic replace: a new version takes the name over at its seal; readers
that hold the old one keep it, whole, and can ask whether it is current."""

import numpy as np
import pytest

import shmseg
from conftest import python


def test_create_replace_and_is_current(name):
    old = shmseg.create(name, np.arange(10.0))
    assert old.is_current
    new = shmseg.create(name, np.arange(20.0), replace=True)
    assert not old.is_current and new.is_current
    assert (old == np.arange(10.0)).all()      # the old one, whole
    assert shmseg.attach(name).shape == (20,)
    assert old[2:5].is_current is False         # a view asks its segment
    assert np.arange(3).view(shmseg.ndarray).is_current is None


def test_replace_from_another_process(name):
    old = shmseg.create(name, np.zeros(4))
    code = ("import sys, numpy as np, shmseg\n"
            "shmseg.create(sys.argv[1], np.ones(4), replace=True)\n")
    r = python(code, name)
    assert r.returncode == 0, r.stderr
    assert not old.is_current and (old == 0).all()
    assert (shmseg.attach(name) == 1).all()


def test_build_and_load_replace(name, tmp_path):
    shmseg.create(name, np.zeros(3))
    with shmseg.build(name, 3, "<i4", replace=True) as w:
        w[:] = 7
        # until the seal, the name is the old one's
        assert shmseg.stat(name).dtype == np.dtype("<f8")
    assert shmseg.stat(name).dtype == np.dtype("<i4")
    np.save(tmp_path / "x.npy", np.arange(5, dtype="<u2"))
    b = shmseg.load(name, tmp_path / "x.npy", replace=True)
    assert (b == np.arange(5)).all() and shmseg.stat(name).shape == (5,)
    with pytest.raises(FileExistsError):
        shmseg.load(name, tmp_path / "x.npy")


def test_what_may_not_be_replaced(name, helper):
    import os
    import subprocess
    import time
    # a segment still building under the name (made by another program,
    # not hidden): NotSealedError, and nothing made
    builder = subprocess.Popen([helper, "build", name],
                               stdin=subprocess.PIPE,
                               stdout=subprocess.DEVNULL)
    try:
        for _ in range(500):
            if os.path.exists("/dev/shm/" + name):
                break
            time.sleep(0.01)
        with pytest.raises(shmseg.NotSealedError):
            shmseg.create(name, np.zeros(3), replace=True)
        assert shmseg.stat(name).state == "building"
    finally:
        builder.stdin.close()
        builder.wait()
    shmseg.unlink(name)
    # an exception in a replacing build leaves the old one
    shmseg.create(name, np.zeros(3))
    with pytest.raises(RuntimeError):
        with shmseg.build(name, 3, "<i8", replace=True):
            raise RuntimeError("stop")
    assert shmseg.stat(name).dtype == np.dtype("<f8")
