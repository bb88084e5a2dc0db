# SPDX-License-Identifier: MIT
"""create, build, attach, stat, list, unlink, load and save in one
process: every dtype, both orders, 0 to 5 dimensions, and the errors."""

import errno
import os
import time

import numpy as np
import pytest

import shmseg

# Every kind the format carries, in both byte orders where it has one.
DTYPES = ["?", "i1", "u1", "<i2", ">i2", "<u4", ">i4", "<i8", ">u8",
          "<f2", ">f4", "<f8", ">f8", "<c8", ">c16", "S1", "S7", "<U1",
          ">U3", "V5"]
SHAPES = [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4, 1), (1, 2, 3, 2, 2)]


def sample(dtype, shape):
    """Array of dtype and shape whose bytes all differ where they can."""
    n = int(np.prod(shape)) * np.dtype(dtype).itemsize
    raw = (np.arange(max(n, 1), dtype=np.uint64) * 2654435761 % 251)
    return np.frombuffer(raw.astype(np.uint8).tobytes()[:n],
                         dtype=dtype).reshape(shape)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES,
                         ids=lambda s: "x".join(map(str, s)) or "0d")
@pytest.mark.parametrize("order", ["C", "F"])
def test_round_trip_bit_for_bit(names, dtype, shape, order):
    a = np.asarray(sample(dtype, shape), order=order)
    name = names()
    b = shmseg.create(name, a)
    c = shmseg.attach(name)
    for x in (b, c):
        assert x.dtype == a.dtype and x.shape == a.shape
        assert x.tobytes(order="A") == a.tobytes(order="A")
        if a.ndim > 1 and a.size > 1 and order == "F":
            assert x.flags.f_contiguous and not x.flags.c_contiguous
        else:
            assert x.flags.c_contiguous
        assert not x.flags.writeable


def test_other_strides_are_copied_in_c_order(name):
    a = np.arange(60.0).reshape(6, 10)[::2, 1::3]
    b = shmseg.create(name, a)
    assert b.flags.c_contiguous and (b == a).all()


def test_writing_raises_numpys_read_only_error(name):
    b = shmseg.create(name, np.zeros(4))
    with pytest.raises(ValueError, match="read-only"):
        b[0] = 1
    with pytest.raises(ValueError):
        b.flags.writeable = True


@pytest.mark.parametrize("dtype", ["O", [("a", "<i4"), ("o", "O")],
                                   {"names": ["a", "b"],
                                    "formats": ["<i4", "<i4"],
                                    "offsets": [4, 0]}],
                         ids=["object", "record-with-object",
                              "out-of-order-fields"])
def test_dtype_it_cannot_hold_is_typeerror_before_anything(name, dtype):
    with pytest.raises(TypeError, match="object arrays hold pointers|"
                       "cannot be held"):
        shmseg.create(name, np.zeros(3, dtype=dtype))
    with pytest.raises(TypeError):
        with shmseg.build(name, 3, dtype):
            pass
    with pytest.raises(FileNotFoundError):
        shmseg.stat(name)


def test_name_taken_is_fileexistserror_and_changes_nothing(name):
    shmseg.create(name, np.arange(3))
    with pytest.raises(FileExistsError) as e:
        shmseg.create(name, np.zeros(5))
    assert e.value.errno == errno.EEXIST
    assert e.value.filename == name
    assert str(e.value.strerror) == "segment exists"
    assert (shmseg.attach(name) == np.arange(3)).all()


def test_bad_names(name):
    with pytest.raises(OSError) as e:
        shmseg.create("a/b", np.zeros(1))
    assert e.value.errno == errno.EINVAL
    with pytest.raises(OSError) as e:
        shmseg.attach("x" * 300)
    assert e.value.errno == errno.ENAMETOOLONG


def test_missing_name_is_filenotfounderror(name):
    with pytest.raises(FileNotFoundError):
        shmseg.attach(name)
    with pytest.raises(FileNotFoundError):
        shmseg.unlink(name)


def test_build_seals_on_leaving_the_block(name):
    with shmseg.build(name, (3, 2), "<i4", order="F") as w:
        assert w.flags.writeable
        # Nameless until the seal: nobody sees it half written.
        with pytest.raises(FileNotFoundError):
            shmseg.attach(name)
        w[:] = np.arange(6).reshape(3, 2)
    assert not w.flags.writeable
    a = shmseg.attach(name)
    assert (a == np.arange(6).reshape(3, 2)).all() and a.flags.f_contiguous
    assert shmseg.stat(name).state == "sealed"


def test_build_raising_leaves_nothing(name):
    with pytest.raises(KeyError):
        with shmseg.build(name, 1000, "f8") as w:
            w[:] = 1
            raise KeyError("stop")
    with pytest.raises(FileNotFoundError):
        shmseg.stat(name)
    assert not os.path.exists("/dev/shm/" + name)


def test_stat_says_what_the_header_says(name):
    import datetime
    shmseg.create(name, np.zeros((4, 5), dtype=">u2"), mode=0o640)
    st = shmseg.stat(name)
    assert st.name == name and st.state == "sealed"
    assert st.dtype == np.dtype(">u2") and st.shape == (4, 5)
    assert st.strides == (10, 2) and st.nbytes == 40
    assert st.size == 4096 + 40 and st.mode == 0o440
    assert st.creator_pid == os.getpid() and st.uid == os.geteuid()
    now = datetime.datetime.now(datetime.timezone.utc)
    assert abs((now - st.created).total_seconds()) < 60
    assert st.created.tzinfo is not None
    assert st.uuid.version == 4 or st.uuid.int != 0
    assert name in {s.name for s in shmseg.list()}


def test_corrupt_segment_is_corruptsegmenterror(name):
    with open("/dev/shm/" + name, "wb") as f:
        f.write(b"not a segment" * 400)
    with pytest.raises(shmseg.CorruptSegmentError) as e:
        shmseg.attach(name)
    assert e.value.errno == errno.EBADMSG and isinstance(e.value, OSError)
    assert name not in {s.name for s in shmseg.list()}


def test_load_and_save_through_npy_files(names, tmp_path):
    a = np.arange(24, dtype="<i4").reshape(2, 3, 4)
    np.save(tmp_path / "a.npy", a)
    n = names()
    b = shmseg.load(n, tmp_path / "a.npy", mode=0o644)
    assert (b == a).all() and shmseg.stat(n).mode == 0o444
    shmseg.save(n, tmp_path / "b.npy")
    assert (np.load(tmp_path / "b.npy") == a).all()
    shmseg.save(b[1], tmp_path / "c.npy")
    assert (np.load(tmp_path / "c.npy") == a[1]).all()
    (tmp_path / "bad.npy").write_bytes(b"\x93NUMPY\x01\x00" + b"x" * 50)
    with pytest.raises(OSError) as e:
        shmseg.load(names(), tmp_path / "bad.npy")
    assert e.value.errno == errno.EILSEQ
    assert e.value.filename == str(tmp_path / "bad.npy")
    with pytest.raises(FileExistsError) as e:
        shmseg.load(n, tmp_path / "a.npy")
    assert e.value.filename == n


def test_computed_arrays_are_plain_ndarrays(name):
    b = shmseg.create(name, np.arange(5.0))
    assert type(b) is shmseg.ndarray
    assert type(b + 1) is np.ndarray
    assert type(b[1:]) is shmseg.ndarray
    assert float(b.sum()) == 10.0


def test_a_segment_still_building_is_notsealederror(name, helper):
    import subprocess
    p = subprocess.Popen([helper, "build", name], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "rc=0"
        with pytest.raises(shmseg.NotSealedError) as e:
            shmseg.attach(name)
        assert e.value.errno == errno.EAGAIN
        assert isinstance(e.value, BlockingIOError)
        assert e.value.strerror == "segment is not sealed yet"
        assert shmseg.stat(name).state == "building"
    finally:
        p.stdin.close()
        p.wait()


def test_memory_the_kernel_cannot_read_is_efault_not_sigbus(name, tmp_path):
    path = tmp_path / "gone.bin"
    path.write_bytes(b"\1" * (1 << 20))
    m = np.memmap(path, dtype="u1", mode="r", shape=(1 << 20,))
    os.truncate(path, 0)          # its pages are gone: a touch is SIGBUS
    with pytest.raises(OSError) as e:
        shmseg.create(name, m)
    assert e.value.errno == errno.EFAULT
    assert not os.path.exists("/dev/shm/" + name)


def test_every_public_name_has_a_docstring():
    for n in shmseg.__all__:
        doc = getattr(shmseg, n).__doc__
        assert doc and len(doc.strip()) > 20, n
    assert shmseg.__doc__ and shmseg.__version__


# ---- what an outside review found ------------------------------------------

def test_views_made_inside_build_are_read_only_after_it(name):
    with shmseg.build(name, (4, 3), "f8") as g:
        v, t, w = g[1:], g.T, g.view("i8")
        v[0, 0] = 1
    for x in (g, v, t, w):
        assert not x.flags.writeable
        with pytest.raises(ValueError):
            x[0, 0] = 5          # NumPy's error, not a SIGSEGV
    with pytest.raises(ValueError):
        v.flags.writeable = True


def test_a_seal_that_fails_leaves_no_writable_buffer(name):
    with pytest.raises(FileExistsError):
        with shmseg.build(name, 4, "f8") as g:
            shmseg.create(name, np.zeros(3))     # takes the name first
    assert not g.flags.writeable
    with pytest.raises(ValueError):
        g.flags.writeable = True
    with pytest.raises(TypeError, match="read-only"):
        memoryview(g.base).cast("B")[0:1] = b"x"


def test_reductions_give_numpy_scalars(name):
    a = shmseg.create(name, np.arange(6.0).reshape(2, 3))
    for x in (a.sum(), a.max(), a.mean(), np.sum(a), a[0, 0] + a[1, 1]):
        assert isinstance(x, np.floating), type(x)
    assert {a.max(): 1}[5.0] == 1
    assert isinstance(a.any(), np.bool_)
    assert type(a.sum(axis=0)) is np.ndarray


def test_names_with_a_nul_are_refused(name):
    with pytest.raises(ValueError, match="NUL"):
        shmseg.create(name + "\0x", np.zeros(2))
    for f in (shmseg.attach, shmseg.stat, shmseg.unlink):
        with pytest.raises(ValueError):
            f(name + "\0x")
    assert not os.path.exists("/dev/shm/" + name)


def test_names_that_are_not_utf8_round_trip(name):
    odd = name + "\udcff"            # the byte 0xff, as os.listdir gives it
    shmseg.create(odd, np.arange(3))
    assert os.path.exists(os.fsencode("/dev/shm/" + odd))
    assert odd in {s.name for s in shmseg.list()}
    assert shmseg.stat(odd).shape == (3,)
    assert (shmseg.attach(odd) == np.arange(3)).all()
    shmseg.unlink(odd)


def test_timeouts_are_checked(name):
    shmseg.create(name, np.zeros(2))
    for bad in (-0.001, -1, float("nan")):
        with pytest.raises(ValueError):
            shmseg.attach(name + "x", timeout=bad)
    for bad in ("1", True):
        with pytest.raises(TypeError):
            shmseg.attach(name + "x", timeout=bad)
    assert shmseg.attach(name, timeout=1e9).shape == (2,)   # no overflow


def test_ctrl_c_during_create_leaves_nothing(name):
    import signal
    import threading

    class Stop(Exception):
        pass

    def stop(*_):
        raise Stop()
    old = signal.signal(signal.SIGUSR1, stop)
    big = np.ones(1 << 26)                          # 512 MiB, ~0.2 s
    try:
        threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGUSR1)).start()
        with pytest.raises(Stop):
            shmseg.create(name, big)
            time.sleep(1)        # the signal came after: fail below
    finally:
        signal.signal(signal.SIGUSR1, old)
    assert not os.path.exists("/dev/shm/" + name)


def test_save_of_a_reinterpreting_view_saves_the_view(name, tmp_path):
    a = shmseg.create(name, np.arange(4.0))
    for v in (a.view("<i8"), a.view(">f8")):
        shmseg.save(v, tmp_path / "v.npy")
        b = np.load(tmp_path / "v.npy")
        assert b.dtype == v.dtype and (b == v).all()


def test_save_that_fails_names_the_file_and_leaves_nothing(name, tmp_path):
    import stat
    shmseg.create(name, np.zeros(1 << 20))
    out = tmp_path / "sub"
    out.mkdir()
    with pytest.raises(OSError) as e:
        shmseg.save(name, "/dev/full")
    assert e.value.errno == errno.ENOSPC
    assert e.value.filename == "/dev/full"
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)   # left alone


def test_refusal_of_another_segment_has_errno_and_name(names):
    import pickle
    n = names()
    data = pickle.dumps(shmseg.create(n, np.zeros(3)))
    shmseg.unlink(n)
    shmseg.create(n, np.zeros(3))
    with pytest.raises(FileNotFoundError) as e:
        pickle.loads(data)
    assert e.value.errno == errno.ENOENT and e.value.filename == n


def test_the_built_array_pickles_by_name_after_the_seal(name):
    import pickle
    with shmseg.build(name, (100, 100), "f8") as g:
        g[:] = 2
        assert len(pickle.dumps(g)) > 80000      # writable: by value
    data = pickle.dumps(g)
    assert len(data) < 200
    assert (pickle.loads(data) == 2).all()


def test_record_views_keep_their_fields(name):
    import pickle
    a = shmseg.create(name, np.arange(4.0))
    r = a.view([("x", "<f8"), ("y", "<f8")])
    b = pickle.loads(pickle.dumps(r))
    assert b.dtype == r.dtype and (b["y"] == [1.0, 3.0]).all()


def test_modes_and_shapes_are_checked(name):
    for bad in (-1, 0o1000, 2 ** 33 + 0o644):
        with pytest.raises(ValueError):
            shmseg.create(name, np.zeros(1), mode=bad)
    with pytest.raises(TypeError):
        with shmseg.build(name, (2.7,), "f8"):
            pass
    with pytest.raises(ValueError):
        with shmseg.build(name, (2, -1), "f8"):
            pass
    with shmseg.build(name, np.array([2, 3]), "f8") as g:
        g[:] = 1
    assert shmseg.attach(name).shape == (2, 3)


def test_a_masked_array_is_refused_not_unmasked(name):
    with pytest.raises(TypeError, match="mask"):
        shmseg.create(name, np.ma.masked_array([1, 2], mask=[0, 1]))
    assert not os.path.exists("/dev/shm/" + name)


def test_pages_of_a_small_segment_are_base_pages(name):
    import mmap
    shmseg.create(name, np.arange(10))
    for measure in (True, False):
        pg = shmseg.pages(name, measure=measure)
        assert pg.name == name and pg.page_size == mmap.PAGESIZE
        assert pg.stat.uuid == shmseg.stat(name).uuid
        assert pg.basis in ("measured", "policy", "unknown")
        if pg.basis == "measured":
            assert measure and pg.huge_bytes == 0
        else:
            assert pg.huge_bytes is None
        assert (pg.policy is None) == (pg.basis == "unknown")
        assert "page_size=" in repr(pg)


def test_pages_of_what_is_no_segment(name):
    with pytest.raises(FileNotFoundError):
        shmseg.pages(name)
    with open("/dev/shm/" + name, "wb") as f:
        f.write(b"not a segment" * 400)
    with pytest.raises(shmseg.CorruptSegmentError):
        shmseg.pages(name)
