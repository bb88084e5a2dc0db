# SPDX-License-Identifier: MIT
"""The examples of bindings/python/examples run as README shows them: a
producer, then workers in processes of their own, all agreeing."""

import os

from conftest import python

HERE = os.path.join(os.path.dirname(__file__), "..", "examples")


def run(script, *args):
    with open(os.path.join(HERE, script)) as f:
        return python(f.read(), *args)


def test_producer_and_workers_agree(name):
    p = run("producer.py", name)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"{name}: (1000, 3) float64, sum ")
    for _ in range(3):
        w = run("worker.py", name)
        assert w.returncode == 0, w.stderr
        assert w.stdout == p.stdout
