# SPDX-License-Identifier: MIT
# numpy_dtypes.py - every dtype numpy.save stores without pickling, taken
# from NumPy's own format tests (numpy/lib/tests/test_format.py, read at run
# time) and from datetime64, timedelta64 and record dtypes of every kind:
# through shmctl create --from (the C library's .npy import) to
# numpy.load(mmap_mode='r'); shmctl dump back to numpy.load; shmctl create
# --raw --dtype DESCR (the C API with a description); and, where the Python
# package is built, shmseg.create, shmseg.build, attach in another process
# and pickling by name. Everything compared bit for bit, dtype included.
# What stays refused is refused with the reason.
# usage: numpy_dtypes.py SHMCTL [PYTHONPATH of the package, or ""]
import json
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np
from numpy.lib import format as npformat

shmctl, pypath = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""
prefix = "shmseg-dt%d-" % os.getpid()
failed = 0
counts = {}


def check(desc, good, detail=""):
    global failed
    print(("ok - " if good else "not ok - ") + desc +
          ("" if good else ": " + detail))
    if not good:
        failed += 1


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, **kw)


# ---- the cases ----------------------------------------------------------

cases = []          # (id, family, array)


def add(cid, family, a):
    cases.append((cid, family, a))
    counts[family] = counts.get(family, 0) + 1


try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from numpy.lib.tests import test_format as tf
except ImportError as e:    # pragma: no cover - NumPy without its tests
    print("SKIP: NumPy's format tests: %s (Debian ships them with "
          "python3-numpy)" % e)
    tf = None


def params(fn, argname):
    """The values pytest would give argname of NumPy's test fn."""
    for m in getattr(fn, "pytestmark", []):
        if m.name == "parametrize" and m.args[0].split(",")[0].strip() == \
                argname:
            return [p[0] if isinstance(p, tuple) else p for p in m.args[1]]
    raise LookupError("%s has no parameter %s" % (fn.__name__, argname))


refused_objects = []
if tf is not None:
    for i, a in enumerate(tf.basic_arrays):
        if a.dtype.hasobject:
            refused_objects.append(("basic%d" % i, a))
        else:
            add("basic%d" % i, "test_format basic_arrays", a)
    for i, a in enumerate(tf.record_arrays):
        add("record%d" % i, "test_format record_arrays", a)
    for i, dt in enumerate(params(tf.test_descr_to_dtype, "dt")):
        a = np.zeros(3, dt)
        add("descr_to_dtype%d" % i, "test_format test_descr_to_dtype", a)
    for i, dt in enumerate(params(tf.test_load_padded_dtype, "dt")):
        a = np.zeros(3, dt)
        if dt.names:
            for k in range(3):
                a[k] = k + 5
        add("padded%d" % i, "test_format test_load_padded_dtype", a)
    for i, (dt, fail) in enumerate(
            m for m in [p for p in getattr(tf.test_metadata_dtype,
                                           "pytestmark")
                        if p.name == "parametrize"][0].args[1]):
        a = np.ones(10, dtype=dt)
        if fail:
            # NumPy writes the metadata and refuses to load it
            refused_objects.append(("metadata%d" % i, a))
        else:
            add("metadata%d" % i, "test_format test_metadata_dtype", a)
    # test_unicode_field_names and test_header_growth_axis build their
    # dtypes inline; the same dtypes here
    add("unicode_names", "test_format test_unicode_field_names",
        np.array([(1, 3), (1, 2), (1, 3), (1, 2)],
                 dtype=[("int", int), ("\u6574\u5f62", int)]))
    for sp in (22, 23, 24):
        add("space_name%d" % sp, "test_format test_header_growth_axis",
            np.zeros((3, 2), dtype=[(" " * sp, "<i8")]))

# datetime64 and timedelta64: every unit, both byte orders, a count
units = ["", "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps",
         "fs", "as", "25s", "7D", "3us"]
for kind in "Mm":
    for order in "<>":
        for unit in units:
            dt = np.dtype("%s%s8%s" % (order, kind, "[%s]" % unit
                                       if unit else ""))
            a = np.arange(-3, 9, dtype="<i8").astype(dt).reshape(3, 4)
            add("%s%s%s" % (kind, "le" if order == "<" else "be",
                            unit or "generic"), "datetime and timedelta", a)
add("datetime_fortran", "datetime and timedelta",
    np.asfortranarray(np.arange(6).astype("<M8[ns]").reshape(2, 3)))

# records of every shape the issue names
rec = np.dtype([("ts", "<M8[ns]"), ("price", "<f8"), ("qty", "<i4")])
add("trades", "records", np.zeros(7, rec))
add("trades_aligned", "records",
    np.zeros(7, np.dtype([("ts", "<M8[ns]"), ("price", "<f8"),
                          ("qty", "<i4")], align=True)))
add("offsets", "records",
    np.zeros(4, np.dtype({"names": ["a", "b"], "formats": ["<i2", ">f8"],
                          "offsets": [2, 8], "itemsize": 24})))
add("nested", "records",
    np.zeros((2, 3), [("x", "<i4", (2,)),
                      ("info", [("v", "<c16"), ("y", ">f8"),
                                ("deep", [("n", "|S2"), ("w", "<u4", (2,))])])]))
add("subarray", "records",
    np.zeros(5, [("pos", "<f4", (3,)), ("m", ">f8", (2, 3)), ("id", "<u8")]))
add("struct_in_subarray", "records",
    np.zeros(3, [("p", [("x", "<f4"), ("y", "<f4")], (4,))]))
add("titles", "records",
    np.zeros(3, np.dtype({"names": ["T", "inner"],
                          "formats": ["<f8", [(("t2", "n2"), "|u1")]],
                          "titles": ["Temperature (K)", None]})))
add("endian_mix", "records",
    np.zeros(3, [("a", "<i4"), ("b", ">i4"), ("c", "|u1"), ("d", ">c8"),
                 ("s", "|S3"), ("u", ">U2"), ("t", ">m8[s]", (2,)),
                 ("v", "|V3"), ("q", "?")]))
add("names_escaped", "records",
    np.zeros(2, [("caf\u00e9", "<i4"), ("it's", "<i4"),
                 ("a'b\"c", "<i4"), ("a\\b\nc\td\r", "<i4"),
                 ("\x00\x7f\x85\xa0", "<i4"), ("\u2028\ufeff", "<i4"),
                 ("\U0001f600", "<i4")]))
deep = "<i4"
for _ in range(64):
    deep = [("a", deep)]
add("nested64", "records", np.zeros(2, deep))
add("empty_record_array", "records", np.zeros((0, 3), rec))
add("scalar_record", "records", np.zeros((), rec))
add("fortran_record", "records", np.asfortranarray(np.zeros((3, 4), rec)))

# Fill every case with bytes that are not all zero, so that a field in
# the wrong place shows.
rng = np.random.default_rng(14)
filled = []
for cid, family, a in cases:
    a = np.array(a, copy=True, order="K")
    if a.dtype.names or a.dtype.kind in "Mm":
        raw = rng.integers(0, 256, a.nbytes, dtype=np.uint8)
        flat = a.reshape(-1, order="A") if a.ndim else a.reshape(1)
        flat.view(np.uint8)[...] = raw.reshape(flat.view(np.uint8).shape) \
            if flat.size else raw[:0]
    filled.append((cid, family, a))
cases = filled


def same(a, b):
    return b.dtype == a.dtype and b.shape == a.shape and \
        b.dtype.descr == a.dtype.descr and \
        b.tobytes(order="A") == a.tobytes(order="A")


# ---- through shmctl (the C library) ----------------------------------------

tmp = tempfile.mkdtemp()
names = []
try:
    for cid, family, a in cases:
        name = prefix + cid
        src = os.path.join(tmp, "in.npy")
        back = os.path.join(tmp, "out.npy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Stored array in format 3.0"
            np.save(src, a)
        r = run(shmctl, "create", name, "--from", src)
        if r.returncode:
            check("%s %s: create --from" % (family, cid), False,
                  r.stderr.decode())
            continue
        names.append(name)
        b = np.load("/dev/shm/" + name, mmap_mode="r")
        ok = same(a, b)
        del b
        r = run(shmctl, "dump", name, "-o", back)
        ok = ok and r.returncode == 0 and same(a, np.load(back))
        # The C API with the description: raw bytes, --dtype DESCR.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # metadata, not carried
            descr = repr(npformat.dtype_to_descr(a.dtype))
        fortran = a.ndim > 1 and a.flags.f_contiguous and \
            not a.flags.c_contiguous
        raw = os.path.join(tmp, "in.raw")
        with open(raw, "wb") as f:
            f.write(a.tobytes(order="F" if fortran else "C"))
        rname = name + "-raw"
        r = run(shmctl, "create", rname, "--raw", raw, "--dtype", descr,
                "--shape", "x".join(str(n) for n in a.shape),
                "--order", "F" if fortran else "C")
        if r.returncode == 0:
            names.append(rname)
            b = np.load("/dev/shm/" + rname, mmap_mode="r")
            ok = ok and same(a, b)
            del b
        check("%s %s (%s, shape %s): create --from, load, dump, "
              "create --raw --dtype" % (family, cid, str(a.dtype)[:60],
                                        a.shape),
              ok and r.returncode == 0, r.stderr.decode())

    # What stays refused, with the reason.
    for cid, a in refused_objects:
        src = os.path.join(tmp, "obj.npy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.save(src, a, allow_pickle=True)
        r = run(shmctl, "create", prefix + cid, "--from", src)
        err = r.stderr.decode()
        check("refused: %s (%s)" % (cid, str(a.dtype)[:50]),
              r.returncode == 1 and not os.path.exists("/dev/shm/" + prefix
                                                       + cid) and
              ("object arrays hold pointers, not data" in err or
               "a dtype with metadata" in err), err)
    if tf is not None:
        # test_version_2_0 and test_huge_header: a description longer than
        # a segment's header (a .npy 1.0 header, at most 64 KiB) holds.
        for cid, a in (("v2_500_fields",
                        np.ones(3, [(("%d" % i) * 100, float)
                                    for i in range(500)])),
                       ("huge_header", np.array(1, "i," * 10000 + "i"))):
            src = os.path.join(tmp, "big.npy")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                np.save(src, a)
            r = run(shmctl, "create", prefix + cid, "--from", src)
            check("refused: %s, description too long for a header" % cid,
                  r.returncode == 1 and b"longer than a segment's header "
                  b"holds (65536 bytes)" in r.stderr, r.stderr.decode())

    # Long descriptions: the header grows past 8192 bytes, where numpy.load
    # wants max_header_size (as README and shmseg(5) say), up to the
    # largest header, 65536 bytes, which 2833 fields of 23 characters
    # fill to its last byte but 10; one field more is refused.
    for cid, nfields, size in (("long", 460, 8192), ("longer", 470, 12288),
                               ("longest", 2833, 65536),
                               ("too_long", 2834, None)):
        a = np.zeros(4, [("%010d" % i, "|u1") for i in range(nfields)]
                     if nfields > 1000 else
                     [("f%03d" % i, "<i2") for i in range(nfields)])
        a.view(np.uint8)[...] = np.arange(a.nbytes) % 253
        src = os.path.join(tmp, "long.npy")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # "Stored array in format 2.0"
            np.save(src, a)
        name = prefix + cid
        r = run(shmctl, "create", name, "--from", src)
        if size is None:
            check("a description of %d fields, %d characters, is refused "
                  "for a header" % (nfields, len(repr(a.dtype.descr))),
                  r.returncode == 1 and b"longer than a segment's header "
                  b"holds" in r.stderr, r.stderr.decode())
            continue
        names.append(name)
        got = os.path.getsize("/dev/shm/" + name) - a.nbytes
        try:
            np.load("/dev/shm/" + name, mmap_mode="r")
            default = "loads"
        except ValueError as e:
            default = "refused" if "max_header_size" in str(e) else str(e)
        b = np.load("/dev/shm/" + name, mmap_mode="r", max_header_size=65536)
        check("a description of %d characters: a header of %d bytes, "
              "numpy.load %s it by default and reads it with "
              "max_header_size=65536" % (len(repr(a.dtype.descr)), size,
                                         default),
              r.returncode == 0 and got == size and same(a, b) and
              default == ("loads" if size <= 8192 else "refused"),
              "%s, header %d, default %s" % (r.stderr.decode(), got,
                                              default))
        del b
finally:
    for n in names:
        if os.path.exists("/dev/shm/" + n):
            os.unlink("/dev/shm/" + n)

# ---- through the Python package --------------------------------------------

CHILD = r"""
import hashlib, json, pickle, sys
import numpy as np, shmseg
out = []
for name, descr in json.load(sys.stdin):
    a = shmseg.attach(name)
    want = np.lib.format.descr_to_dtype(eval(descr))
    out.append([name, a.dtype == want and a.dtype.descr == want.descr,
                hashlib.sha256(a.tobytes(order="A")).hexdigest()])
    # a view of the array, pickled by reference, for the parent
    out[-1].append(pickle.dumps(a[...]).hex())
json.dump(out, sys.stdout)
"""

if not pypath:
    print("SKIP: the same cases through the Python package: it cannot be "
          "imported (not built, or a sanitizer build, which Python cannot "
          "load)")
else:
    import hashlib
    import pickle
    sys.path.insert(0, pypath)
    import shmseg
    made = []
    try:
        todo = []
        for cid, family, a in cases:
            name = prefix + "py-" + cid
            try:
                shmseg.create(name, a)
            except Exception as e:      # reported as a failure below
                check("python %s %s: create" % (family, cid), False, repr(e))
                continue
            made.append(name)
            bname = name + "-b"
            order = "F" if a.ndim > 1 and a.flags.f_contiguous and \
                not a.flags.c_contiguous else "C"
            with shmseg.build(bname, a.shape, a.dtype, order=order) as w:
                # as raw items: an assignment of records leaves their
                # padding alone, and the comparison is of every byte
                raw = np.dtype((np.void, a.dtype.itemsize))
                w.view(raw)[...] = a.view(raw)
            made.append(bname)
            todo.append((cid, family, a, name, bname))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")     # metadata, not carried
            descr = {n: repr(npformat.dtype_to_descr(a.dtype))
                     for _, _, a, name, bname in todo
                     for n in (name, bname)}
        env = dict(os.environ, PYTHONPATH=pypath)
        r = run(sys.executable, "-c", CHILD, env=env,
                input=json.dumps(sorted(descr.items())).encode())
        seen = {row[0]: row for row in json.loads(r.stdout or b"[]")}
        for cid, family, a, name, bname in todo:
            want = hashlib.sha256(a.tobytes(order="A")).hexdigest()
            ok = True
            for n in (name, bname):
                row = seen.get(n)
                ok = ok and row is not None and row[1] and row[2] == want
                if row is not None:
                    back = pickle.loads(bytes.fromhex(row[3]))
                    ok = ok and isinstance(back, shmseg.ndarray) and \
                        same(a, back)
            check("python %s %s: create, build, attach in another process, "
                  "pickle by name" % (family, cid), ok,
                  r.stderr.decode()[-300:])
    finally:
        for n in made:
            if os.path.exists("/dev/shm/" + n):
                os.unlink("/dev/shm/" + n)

for f in os.listdir(tmp):
    os.unlink(os.path.join(tmp, f))
os.rmdir(tmp)
print("# cases by family: " + ", ".join("%s %d" % kv
                                        for kv in sorted(counts.items())))
sys.exit(1 if failed else 0)
