# SPDX-License-Identifier: MIT
# numpy_roundtrip.py - NumPy saves, shmctl create --from loads, shmctl dump
# writes back, NumPy compares bit for bit; and a C-filled segment dumped
import os
import subprocess
import sys
import tempfile

import numpy as np

shmctl, helper = sys.argv[1], sys.argv[2]
prefix = "shmseg-rt%d-" % os.getpid()
failed = 0


def check(desc, ok):
    global failed
    print(("ok - " if ok else "not ok - ") + desc)
    if not ok:
        failed += 1


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, **kw)


# every kind and item size the library carries, in both byte orders
dtypes = ["|b1", "|i1", "|u1", "|S7", "|V5"]
for kind, sizes in (("i", (2, 4, 8)), ("u", (2, 4, 8)), ("f", (2, 4, 8, 16)),
                    ("c", (8, 16, 32)), ("U", (4, 12))):
    for size in sizes:
        for order in "<>":
            count = size // 4 if kind == "U" else size
            dtypes.append("%s%s%d" % (order, kind, count))
shapes = [(), (0,), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 2, 2), (0, 3)]
rng = np.random.default_rng(7)
tmp = tempfile.mkdtemp()
n = 0
try:
    for dt in dtypes:
        for shape in shapes:
            for order in "CF":
                if order == "F" and len(shape) < 2:
                    continue
                n += 1
                name = "%s%d" % (prefix, n)
                size = int(np.prod(shape, dtype=np.int64))
                raw = rng.integers(0, 256, size * np.dtype(dt).itemsize,
                                   dtype=np.uint8).tobytes()
                a = np.frombuffer(raw, dtype=dt).reshape(shape)
                a = np.asfortranarray(a) if order == "F" else a
                src = os.path.join(tmp, "in.npy")
                back = os.path.join(tmp, "out.npy")
                np.save(src, a)
                desc = "round trip %s %s %s" % (dt, order, shape)
                r = run(shmctl, "create", name, "--from", src)
                if r.returncode:
                    check(desc + ": create: " + r.stderr.decode(), False)
                    continue
                r = run(shmctl, "dump", name, "-o", back)
                os.unlink("/dev/shm/" + name)
                if r.returncode:
                    check(desc + ": dump: " + r.stderr.decode(), False)
                    continue
                b = np.load(back)
                check(desc, b.dtype.str == a.dtype.str and b.shape == a.shape
                      and (order == "C" or len(shape) < 2 or
                           b.flags.f_contiguous)
                      and b.tobytes(order="A") == a.tobytes(order="A"))

    # .npy format versions 2.0 and 3.0 load as well.
    for version in ((1, 0), (2, 0), (3, 0)):
        a = np.arange(24, dtype=">f4").reshape(2, 3, 4)
        src = os.path.join(tmp, "v.npy")
        with open(src, "wb") as f:
            np.lib.format.write_array(f, a, version=version)
        name = "%sv%d" % (prefix, version[0])
        r = run(shmctl, "create", name, "--from", src)
        b = np.load("/dev/shm/" + name, mmap_mode="r") \
            if r.returncode == 0 else None
        check(".npy version %d.%d loads" % version,
              b is not None and np.array_equal(b, a) and b.dtype == a.dtype)
        del b
        os.unlink("/dev/shm/" + name) if r.returncode == 0 else None

    # From standard input, and to standard output.
    a = np.arange(20, dtype="<i4").reshape(4, 5)
    src = os.path.join(tmp, "in.npy")
    np.save(src, a)
    name = prefix + "pipe"
    with open(src, "rb") as f:
        r = run(shmctl, "create", name, "--from", "-", stdin=f)
    out = run(shmctl, "dump", name).stdout
    os.unlink("/dev/shm/" + name)
    back = os.path.join(tmp, "pipe.npy")
    with open(back, "wb") as f:
        f.write(out)
    check("create --from - and dump to standard output",
          r.returncode == 0 and np.array_equal(np.load(back), a))

    # A C program fills segments (C, F and padded strides); dump; NumPy
    # checks the values element by element.
    for order, shape in (("C", "3x4"), ("F", "3x4"), ("S", "3x5"),
                         ("S", "2x3x4")):
        name = "%sc%s%s" % (prefix, order, shape)
        r = run(helper, "make", name, "<f8", order, shape)
        out = os.path.join(tmp, "c.npy")
        d = run(shmctl, "dump", name, "-o", out)
        os.unlink("/dev/shm/" + name)
        dims = tuple(int(x) for x in shape.split("x"))
        want = (np.arange(int(np.prod(dims))) * 0.5).reshape(dims)
        b = np.load(out) if d.returncode == 0 else None
        check("dump of a C-filled %s %s segment has its values" %
              (order, shape), r.returncode == 0 and b is not None and
              np.array_equal(b, want) and
              (order != "F" or b.flags.f_contiguous))
finally:
    for f in os.listdir("/dev/shm"):
        if f.startswith(prefix):
            os.unlink("/dev/shm/" + f)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)

sys.exit(1 if failed else 0)
