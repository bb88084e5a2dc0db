# SPDX-License-Identifier: MIT
"""worker.py NAME - attach the array a producer published, and use it."""
import sys

import shmseg

name = sys.argv[1] if len(sys.argv) > 1 else "example-weights"
weights = shmseg.attach(name, timeout=10)        # waits for the seal
print(f"{name}: {weights.shape} {weights.dtype}, sum {weights.sum():.6f}")
