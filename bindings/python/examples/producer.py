# SPDX-License-Identifier: MIT
"""producer.py NAME - publish an array under NAME for any process to read.

Run it, then ``python3 worker.py NAME`` in as many other processes as you
like; they map the same memory, read-only, without copying it.
"""
import sys

import numpy as np
import shmseg

name = sys.argv[1] if len(sys.argv) > 1 else "example-weights"
weights = np.random.default_rng(1).random((1000, 3))
shmseg.create(name, weights, mode=0o644)         # sealed: readable by all
print(f"{name}: {weights.shape} {weights.dtype}, sum {weights.sum():.6f}")
