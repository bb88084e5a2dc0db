# SPDX-License-Identifier: MIT
# numpy_check.py - every segment is a .npy file: numpy.load() on /dev/shm
# reads what the C helper wrote, for many dtypes, both orders, 0-d to 5-d
import os
import subprocess
import sys

import numpy as np

helper = sys.argv[1]
prefix = "shmseg-np%d-" % os.getpid()
failed = 0


def expected(dtype, shape):
    """Mirror of tu_fill(): element number i in C order."""
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    i = np.arange(n, dtype=np.int64)
    kind = dtype.kind
    if kind == "b":
        vals = (i & 1).astype(bool)
    elif kind == "i":
        vals = np.where(i % 2 == 1, -i, i).astype(dtype)
    elif kind == "u":
        vals = i.astype(dtype)
    elif kind == "f" and dtype.itemsize in (4, 8):
        vals = (i * 0.5).astype(dtype)
    elif kind == "c":
        vals = np.empty(n, dtype=dtype)
        vals.real = i
        vals.imag = -i.astype(np.float64)   # -0.0 for 0, as C writes it
    elif kind in "SVf":     # and half/quad floats: a byte pattern
        raw = bytes(ord("a") + (j * 7 + k) % 26
                    for j in range(n) for k in range(dtype.itemsize))
        vals = np.frombuffer(raw, dtype=dtype)
    elif kind == "U":
        chars = dtype.itemsize // 4
        vals = np.array(["".join(chr(ord("a") + (j * 7 + k) % 26)
                                 for k in range(chars)) for j in range(n)],
                        dtype=dtype)
    return vals.reshape(shape)


def check(desc, ok):
    global failed
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok:
        failed += 1


cases = []
for dt in ["<f8", ">f8", "<f4", ">i4", "<i2", "|i1", "|u1", "<u8", ">u2",
           "|b1", "<c16", ">c8", "|S5", "<U3", ">U2", "|V4", "<f2"]:
    cases.append((dt, "C", (3, 4)))
    cases.append((dt, "F", (3, 4)))
for shape in [(), (7,), (2, 3, 4), (2, 1, 3, 2, 2)]:
    for order in "CF":
        cases.append(("<i8", order, shape))
cases.append((">f4", "F", (2, 3, 2, 3, 2)))
cases.append(("<f8", "C", (0, 5)))

n = 0
try:
    for dt, order, shape in cases:
        n += 1
        name = "%s%d" % (prefix, n)
        shape_arg = "x".join(str(d) for d in shape)
        desc = "numpy.load %s %s %s" % (dt, order, shape)
        r = subprocess.run([helper, "make", name, dt, order, shape_arg],
                           capture_output=True, text=True)
        if r.returncode != 0:
            check(desc + ": helper failed: " + r.stdout + r.stderr, False)
            continue
        path = "/dev/shm/" + name
        want = expected(np.dtype(dt), shape)
        if want.size == 0:
            # NumPy cannot memory-map an empty array (any .npy file)
            a = np.load(path)
            check(desc + " (empty, no mmap)", a.shape == shape and
                  a.dtype == np.dtype(dt))
            os.unlink(path)
            continue
        a = np.load(path, mmap_mode="r")
        ok = (a.dtype == np.dtype(dt) and a.dtype.str == np.dtype(dt).str
              and a.shape == shape
              and (order == "C" or len(shape) < 2 or
                   (a.flags.f_contiguous and not a.flags.c_contiguous))
              and a.tobytes() == want.tobytes()
              and a.tobytes(order="A") == want.tobytes(order=order))
        check(desc, ok)
        b = np.load(path)          # plain read, no mmap
        check(desc + " (no mmap)", b.tobytes() == want.tobytes())
        del a
        os.unlink(path)

    # Neither C nor Fortran order: NumPy sees the data region as bytes.
    name = prefix + "strided"
    r = subprocess.run([helper, "make", name, "<u2", "S", "3x5"],
                       capture_output=True, text=True)
    a = np.load("/dev/shm/" + name, mmap_mode="r")
    # rows of 5 elements padded to 6, the last row unpadded
    check("strided segment reads as |u1 bytes",
          a.dtype == np.uint8 and a.shape == (2 * 12 + 5 * 2,)
          and "nbytes=34" in r.stdout)
    full = np.lib.stride_tricks.as_strided(
        np.frombuffer(a.tobytes(), dtype="<u2"), shape=(3, 5),
        strides=(12, 2))
    check("strided segment values through its strides",
          np.array_equal(full, np.arange(15, dtype="<u2").reshape(3, 5)))
finally:
    for f in os.listdir("/dev/shm"):
        if f.startswith(prefix):
            os.unlink("/dev/shm/" + f)

sys.exit(1 if failed else 0)
