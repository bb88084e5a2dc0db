# SPDX-License-Identifier: MIT
"""Fixtures of the shmseg tests: unique segment names, removed at the end
whatever happens, and a way to run Python in a separate process."""

import glob
import itertools
import os
import subprocess
import sys

import pytest

PREFIX = f"shmseg-p{os.getpid()}-"
_count = itertools.count()


def _cleanup():
    for path in glob.glob("/dev/shm/" + PREFIX + "*"):
        try:
            os.unlink(path)
        except OSError:
            pass


@pytest.fixture
def name():
    """A fresh segment name of this test run; every segment of the run is
    removed when the test ends, passed or not."""
    yield f"{PREFIX}{next(_count)}"
    _cleanup()


@pytest.fixture
def names():
    """Make any number of fresh names: names() -> str."""
    yield lambda: f"{PREFIX}{next(_count)}"
    _cleanup()


def python(code, *args, user=None, timeout=60, **kw):
    """Run code in a new interpreter started by exec, with this package on
    its path; returns the CompletedProcess (text, output captured). With
    user, run it as that uid through setpriv."""
    cmd = [sys.executable, "-c", code, *map(str, args)]
    if user is not None:
        cmd = ["setpriv", f"--reuid={user}", f"--regid={user}",
               "--clear-groups", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True,
                          timeout=timeout, **kw)


def spawn(code, *args, **kw):
    """Start code in a new interpreter; the Popen, with pipes."""
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE, text=True, **kw)


@pytest.fixture
def helper():
    """The C test helper of the build tree ($B/test/helper), which makes
    segments as another program would."""
    path = os.path.join(os.environ.get("B", "build"), "test", "helper")
    if not os.access(path, os.X_OK):
        pytest.skip(f"needs the C test helper {path} (make check builds it)")
    return os.path.abspath(path)
