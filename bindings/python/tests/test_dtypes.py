# SPDX-License-Identifier: MIT
"""Every dtype numpy.save stores without pickling: datetime64 and
timedelta64 with their units, records with names, titles, offsets,
padding, nesting and subarrays; attach gives the exact dtype back, in this
process and in another."""

import pickle

import numpy as np
import pytest

import shmseg
from conftest import python

TRADES = np.dtype([("ts", "<M8[ns]"), ("price", "<f8"), ("qty", "<i4")],
                  align=True)

DTYPES = {
    "datetime-ns": np.dtype("<M8[ns]"),
    "timedelta-25s-big": np.dtype(">m8[25s]"),
    "datetime-generic": np.dtype("M8"),
    "trades-aligned": TRADES,
    "offsets": np.dtype({"names": ["a", "b"], "formats": ["<i2", ">f8"],
                         "offsets": [2, 8], "itemsize": 24}),
    "nested-subarray": np.dtype([("pos", "<f4", (3,)),
                                 ("inner", [("t", "<m8[us]"),
                                            ("c", "|S2")], (2,))]),
    "titles-unicode": np.dtype({"names": ["T", "\u540d"],
                                "formats": ["<f8", "|u1"],
                                "titles": ["Temperature (K)", None]}),
}


def filled(dtype, shape=(5,)):
    a = np.zeros(shape, dtype)
    a.view(np.uint8).reshape(-1)[:] = np.arange(a.nbytes) % 251
    return a


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_create_and_attach_give_the_exact_dtype(name, dtype):
    a = filled(dtype)
    s = shmseg.create(name, a)
    b = shmseg.attach(name)
    for x in (s, b):
        assert x.dtype == dtype and x.dtype.descr == dtype.descr
        assert x.tobytes() == a.tobytes()
    assert shmseg.stat(name).dtype == dtype
    assert [st.dtype for st in shmseg.list() if st.name == name] == [dtype]


@pytest.mark.parametrize("dtype", DTYPES.values(), ids=DTYPES.keys())
def test_build_in_place(name, dtype):
    a = filled(dtype, (2, 3))
    with shmseg.build(name, a.shape, dtype, order="F") as w:
        assert w.dtype == dtype
        w[...] = a
    b = shmseg.attach(name)
    assert b.dtype == dtype and b.flags.f_contiguous
    assert (b.view(np.dtype((np.void, dtype.itemsize))) ==
            w.view(np.dtype((np.void, dtype.itemsize)))).all()


def test_another_process_and_pickling_by_name(name):
    a = filled(TRADES, (4,))
    shmseg.create(name, a)
    code = ("import pickle, sys, shmseg\n"
            "b = shmseg.attach(sys.argv[1])\n"
            "print(b.dtype.names, b.dtype.itemsize, "
            "[b.dtype.fields[f][1] for f in b.dtype.names])\n"
            "print(pickle.dumps(b[1:3]).hex())\n")
    r = python(code, name)
    assert r.returncode == 0, r.stderr
    head, p = r.stdout.split()[:-1], bytes.fromhex(r.stdout.split()[-1])
    assert " ".join(head) == "('ts', 'price', 'qty') 24 [0, 8, 16]"
    # pickled as a reference: a few hundred bytes, whatever the array
    assert len(p) < 1000
    v = pickle.loads(p)
    assert isinstance(v, shmseg.ndarray) and v.dtype == TRADES
    assert v.tobytes() == a[1:3].tobytes()


def test_a_field_view_pickles_by_reference(name):
    a = filled(TRADES, (6,))
    b = shmseg.create(name, a)
    ts = b["ts"]
    back = pickle.loads(pickle.dumps(ts))
    assert isinstance(back, shmseg.ndarray)
    assert back.dtype == np.dtype("<M8[ns]")
    assert (back == a["ts"]).all()


def test_too_long_a_description_is_typeerror_and_quick(name):
    # 40,000 fields: refused, with the reason, before anything is made;
    # the check of names sorts them, so that it takes no time to speak of
    dt = np.dtype([("f%d" % i, "|b1") for i in range(40000)])
    for make in (lambda: shmseg.create(name, np.zeros(1, dt)),
                 lambda: shmseg.build(name, 1, dt).__enter__()):
        with pytest.raises(TypeError, match="longer than a segment's "
                           "header holds"):
            make()
    with pytest.raises(FileNotFoundError):
        shmseg.stat(name)


def test_control_characters_are_no_type(name):
    # NumPy reads '\x01' as a type number; a segment refuses it rather
    # than take it for bool
    import numpy.lib.format as fmt
    for descr in ("[('a', '\\x01')]", "'\\xe9'"):
        assert shmseg._ext.dtype_why(descr).startswith("dtype '?'")
    assert fmt.descr_to_dtype([("a", "\x01")]) == np.dtype([("a", "i1")])
