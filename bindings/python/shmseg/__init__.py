# SPDX-License-Identifier: MIT
"""Named, sealed, read-only NumPy arrays in shared memory.

One process publishes an array under a name; any other process that knows
the name attaches it read-only and zero-copy, with its dtype, shape and
strides read from the segment itself::

    import numpy as np, shmseg
    shmseg.create("weights", np.random.rand(1000, 3))   # producer

    w = shmseg.attach("weights")                        # any other process
    print(w.sum())

Arrays from :func:`create` and :func:`attach`, and views of them, pickle as
a reference to the segment (a few hundred bytes), so process pools hand
them to workers without copying the data.

Errors are :class:`OSError` subclasses with the library's message:
:class:`FileExistsError`, :class:`FileNotFoundError`,
:class:`PermissionError`, :class:`TimeoutError`, :class:`NotSealedError`
(EAGAIN) and :class:`CorruptSegmentError` (EBADMSG). Any dtype that
``numpy.save`` stores without pickling can be held: numbers, strings,
datetime64 and timedelta64 with their units, and records (structured
dtypes) with their field names, titles, offsets, byte orders and
subarrays. A dtype a segment cannot hold (objects) is a
:class:`TypeError`, raised before anything is created.
"""

import ast
import contextlib
import datetime
import functools
import errno as _errno
import math
import operator
import os
import stat as stat_module
import time
import uuid as _uuid
import weakref

try:
    import numpy
except ImportError as e:   # pragma: no cover - depends on the system
    raise ImportError("shmseg needs NumPy at run time (Debian: "
                      "apt-get install python3-numpy)") from e

from . import _ext
from ._ext import CorruptSegmentError, NotSealedError

__all__ = [
    "CorruptSegmentError", "NotSealedError", "Pages", "Stat", "attach",
    "build", "create", "list", "load", "ndarray", "pages", "save", "stat",
    "unlink",
]
__version__ = _ext.VERSION

_STATES = {_ext.BUILDING: "building", _ext.SEALED: "sealed",
           _ext.STALE: "stale"}
_BASES = {_ext.PAGES_UNKNOWN: "unknown", _ext.PAGES_POLICY: "policy",
          _ext.PAGES_MEASURED: "measured"}


class Stat:
    """What a segment's header and its object say, without mapping it.

    Attributes: ``name``, ``state`` (``'building'``, ``'sealed'`` or
    ``'stale'``), ``dtype`` (:class:`numpy.dtype`), ``shape``, ``strides``
    (bytes), ``nbytes`` (of array data), ``size`` (of the whole object),
    ``uuid`` (:class:`uuid.UUID`), ``created`` (aware
    :class:`datetime.datetime`, UTC), ``creator_pid``, ``uid``, ``gid``,
    ``mode`` (permission bits).
    """

    __slots__ = ("name", "state", "dtype", "shape", "strides", "nbytes",
                 "size", "uuid", "created", "creator_pid", "uid", "gid",
                 "mode")

    def __init__(self, name, t):
        (state, (typestr, shape, strides), self.nbytes, self.size, uid,
         sec, nsec, self.creator_pid, self.uid, self.gid, self.mode) = t
        self.name = name
        self.state = _STATES.get(state, str(state))
        self.dtype = _dtype(typestr)
        self.shape = shape
        self.strides = strides
        self.uuid = _uuid.UUID(bytes=uid)
        epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        try:
            self.created = epoch + datetime.timedelta(
                seconds=sec, microseconds=nsec // 1000)
        except OverflowError:
            self.created = None   # beyond what datetime can show

    def __repr__(self):
        return (f"shmseg.Stat(name={self.name!r}, state={self.state!r}, "
                f"dtype={self.dtype.str!r}, shape={self.shape}, "
                f"nbytes={self.nbytes}, uuid={str(self.uuid)!r})")


def _array(seg, cls=None):
    """The whole array of a segment (an _ext.Segment, which exports its
    data as a buffer and is freed, unmapped, with the last array over
    it)."""
    typestr, shape, strides = seg.layout
    return numpy.ndarray.__new__(cls or ndarray, shape, _dtype(typestr),
                                 buffer=seg, strides=strides)


@functools.lru_cache(maxsize=256)
def _dtype(text):
    """The dtype of a layout or stat: a type string ('<f8'), or NumPy's
    description of it as the segment holds it (a Python literal, as in a
    .npy header), read as numpy.load reads one."""
    if text[:1] in ("'", "["):
        return numpy.lib.format.descr_to_dtype(ast.literal_eval(text))
    return numpy.dtype(text)


def _segment_of(a):
    """The segment whose memory array a lies in, or None."""
    b = a
    while b is not None:
        if isinstance(b, _ext.Segment):
            return b
        b = getattr(b, "base", None)
    return None


def _extent(a):
    """Lowest and highest byte address (exclusive) that array a touches;
    None when it has no elements."""
    if a.size == 0:
        return None
    lo = hi = a.__array_interface__["data"][0]
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


class ndarray(numpy.ndarray):
    """A NumPy array over a segment, returned by :func:`create` and
    :func:`attach`: read-only, zero-copy, and pickled as a reference to
    the segment (name, uuid, offset, shape, strides, dtype) rather than as
    its data. Unpickling attaches the segment again, and refuses if the
    name now holds another one. Views (slices, transposes) that lie inside
    the segment pickle the same way; arrays computed from it are plain
    :class:`numpy.ndarray` with memory of their own."""

    def __array_wrap__(self, out, context=None, *args):
        # New memory (a ufunc's result) is an ordinary array, and a 0-d
        # result a scalar, as for any array (NumPy 2 says which it wants
        # in return_scalar; NumPy 1 does not, and wants the scalar).
        if _segment_of(out) is None:
            out = out.view(numpy.ndarray)
            if out.ndim == 0 and (args[0] if args else True):
                return out[()]
        return out

    @property
    def is_current(self):
        """Whether the segment's name still refers to the segment this
        array lies in: False once it was removed or replaced (a new
        version published with ``replace=True``), True until then. Cheap:
        one ``stat`` of the name. None for an array over no segment."""
        seg = _segment_of(self)
        return None if seg is None else seg.current()

    def __reduce__(self):
        seg = _segment_of(self)
        ext = _extent(self)
        # The type string, or for a record view the dtype itself.
        dt = self.dtype.str if self.dtype.fields is None else self.dtype
        if seg is not None and ext is not None and not seg.writable:
            start = seg.address
            if start <= ext[0] and ext[1] <= start + seg.nbytes:
                offset = self.__array_interface__["data"][0] - start
                return (_rebuild, (seg.name, seg.uuid, offset, self.shape,
                                   self.strides, dt))
        if seg is not None and self.size == 0 and not seg.writable:
            return (_rebuild, (seg.name, seg.uuid, 0, self.shape,
                               self.strides, dt))
        return self.view(numpy.ndarray).__reduce__()


# name -> the segment this process holds under it, for repeated attaches;
# an entry goes when the last array over it does.
_held = weakref.WeakValueDictionary()


def _held_segment(name):
    """The held segment of name, if the name still holds it."""
    seg = _held.get(name)
    return seg if seg is not None and seg.current() else None


# The longest wait one call of the library takes, in milliseconds. A
# signal ends the call (SHMSEG_INTR) so that Python runs its handler; one
# that comes in the moment between two of its sleeps is handled, but the
# call sleeps on, for this long at most.
_WAIT_STEP_MS = 1000


def _wait_attach(name, populate, timeout):
    """Attach name, waiting up to timeout seconds for it to appear and be
    sealed: in calls of shmseg_attach_wait() of a second at most, woken by
    the events themselves, which come back (None) when a signal arrives,
    so that Python runs its handler (Ctrl-C raises KeyboardInterrupt) and
    then waits on for what time is left."""
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError("timeout must be None or a number of seconds")
    if not timeout >= 0:      # NaN too
        raise ValueError("timeout must be None or at least 0")
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ms = _WAIT_STEP_MS if left == float("inf") else \
            max(0, min(_WAIT_STEP_MS, math.ceil(left * 1000)))
        try:
            seg = _ext.attach(name, populate, ms, True)
        except TimeoutError:
            if time.monotonic() >= deadline:
                raise
            continue
        if seg is not None:
            return seg


def _attach_segment(name, timeout=None, populate=False):
    seg = _held_segment(name)
    if seg is not None:
        return seg
    if timeout is None:
        seg = _ext.attach(name, populate, 0, False)
    else:
        seg = _wait_attach(name, populate, timeout)
    _held[name] = seg
    return seg


def _rebuild(name, uuid, offset, shape, strides, typestr):
    """Unpickle a view of a segment: attach it (reusing a held mapping)
    and check it is the same segment."""
    dtype = numpy.dtype(typestr)
    if dtype.hasobject:
        raise TypeError("a segment never holds Python objects")
    seg = _attach_segment(name)
    if seg.uuid != uuid:
        raise FileNotFoundError(
            _errno.ENOENT,
            f"the name now holds another segment (uuid "
            f"{_uuid.UUID(bytes=seg.uuid)}, not {_uuid.UUID(bytes=uuid)})",
            name)
    return numpy.ndarray.__new__(ndarray, shape, dtype, buffer=seg,
                                 offset=offset, strides=strides)


def _descr(dtype):
    """NumPy's description of dtype, as numpy.save writes it in a .npy
    header (its type string, or for a record its fields), or TypeError if
    a segment cannot hold it."""
    dtype = numpy.dtype(dtype)
    if dtype.hasobject:
        raise TypeError(f"dtype {dtype!s}: object arrays hold pointers, "
                        "not data; a segment cannot hold them")
    if dtype.subdtype is not None:
        raise TypeError(f"dtype {dtype!s} is a subarray: give its shape "
                        "as part of the array's")
    if dtype.names is None:
        descr = dtype.str
    else:
        try:
            descr = repr(dtype.descr)
        except ValueError as e:     # overlapping or out-of-order fields
            raise TypeError(f"dtype {dtype!s} cannot be held by a "
                            f"segment: {e}") from None
    why = _ext.dtype_why(descr)
    if why is not None:
        raise TypeError(f"dtype {dtype!s} cannot be held by a segment: "
                        f"{why}")
    return descr


@contextlib.contextmanager
def _too_long(dtype):
    """A create refused for its dtype (ENOTSUP: its description does not
    fit a segment's header) is the dtype's fault: a TypeError."""
    try:
        yield
    except OSError as e:
        if e.errno != _errno.ENOTSUP:
            raise
        raise TypeError(f"dtype {numpy.dtype(dtype)!s:.60} cannot be held "
                        "by a segment: its description is longer than a "
                        "segment's header holds (65536 bytes)") from None


def _mode(mode):
    mode = operator.index(mode)
    if not 0 <= mode <= 0o777:
        raise ValueError(f"mode {mode:#o}: permission bits, 0 to 0o777")
    return mode


def create(name, array, *, mode=0o600, replace=False):
    """Publish a copy of ``array`` as the sealed segment ``name``.

    A C- or Fortran-contiguous array keeps its order; any other is copied
    in C order. The segment gets its name only when it is sealed, so no
    reader sees it half written, and a failure leaves nothing. ``mode``
    is the permission bits (0644 lets other users read it); the seal
    removes the write bits. Returns the read-only :class:`ndarray` over
    the new segment. Raises :class:`FileExistsError` if the name is taken,
    :class:`TypeError` for a dtype a segment cannot hold, and
    ``OSError(ENOSPC)`` when /dev/shm is full.

    With ``replace``, the new segment takes the name over at its seal, in
    one step, from the sealed segment of yours that has it (or takes the
    name if nothing has it): readers attaching by name get the old or the
    new, never nothing; those holding the old keep it, intact, until they
    let it go (:attr:`ndarray.is_current` then says False). Replacing a
    segment still being built is :class:`NotSealedError`, another user's
    :class:`PermissionError`.
    """
    mode = _mode(mode)
    if isinstance(array, numpy.ma.MaskedArray):
        raise TypeError("a masked array would lose its mask: publish its "
                        ".data and .mask as two segments")
    a = numpy.asarray(array)
    typestr = _descr(a.dtype)
    fortran = a.ndim > 1 and a.flags.f_contiguous and \
        not a.flags.c_contiguous
    if not fortran and not a.flags.c_contiguous:
        a = numpy.ascontiguousarray(a)
    # Written through the segment's descriptor, in two threads for large
    # arrays, without the GIL; named at the seal, nothing left on failure.
    with _too_long(a.dtype):
        seg = _ext.mem_import(name, typestr, tuple(a.shape), fortran,
                              a if fortran else a.reshape(-1) if a.ndim
                              else a.reshape(1), mode, bool(replace))
    _held[name] = seg
    return _array(seg)


class _Building(ndarray):
    """The array build() yields: views of it are noted, so that all of
    them are made read-only at the seal, when the mapping becomes so (a
    write through a view still writable would be a SIGSEGV)."""

    def __array_finalize__(self, obj):
        views = getattr(obj, "_views", None)
        if views is not None and _segment_of(self) is not None:
            self._views = views
            if len(views) >= 1024:     # drop the views gone since
                views[:] = [v for v in views if v() is not None]
            views.append(weakref.ref(self))


@contextlib.contextmanager
def build(name, shape, dtype, *, order="C", mode=0o600, replace=False):
    """Build the segment ``name`` in place: a context manager that yields
    a writable array of ``shape`` and ``dtype`` (``order`` ``'C'`` or
    ``'F'``) backed by the new segment. Leaving the block seals it (the
    name appears then, read-only); an exception removes it, leaving
    nothing. The yielded array is made read-only at the seal; do not keep
    writable views of it past the block. ``replace`` as for :func:`create`.
    """
    if order not in ("C", "F"):
        raise ValueError("order must be 'C' or 'F'")
    try:
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        shape = (operator.index(shape),)
    if any(n < 0 for n in shape):
        raise ValueError(f"negative dimension in shape {shape}")
    mode = _mode(mode)
    with _too_long(dtype):
        seg = _ext.create(name, _descr(dtype), shape, order == "F", mode,
                          bool(replace))
    a = _array(seg, _Building)
    a._views = [weakref.ref(a)]
    try:
        yield a
        seg.seal()
    except BaseException:
        seg.discard()
        raise
    finally:
        for ref in a._views:
            v = ref()
            if v is not None:
                v.flags.writeable = False
    _held[name] = seg


def attach(name, *, timeout=None, populate=False):
    """The sealed segment ``name`` as a read-only :class:`ndarray`, zero
    copy, its dtype, shape and strides from the segment's header.

    ``timeout`` (seconds) waits for the name to appear and be sealed,
    woken by those events themselves (no polling), and raises
    :class:`TimeoutError` when it runs out; signal handlers run meanwhile
    (Ctrl-C raises :class:`KeyboardInterrupt`). ``None`` does not wait
    (:class:`NotSealedError` for a segment still being built,
    :class:`FileNotFoundError` for no such name), ``float('inf')`` waits
    for ever. ``populate`` maps every page in
    at once. Attaching a segment this process already holds reuses its
    mapping, once the name is seen to still hold it.
    """
    return _array(_attach_segment(name, timeout, populate))


def stat(name):
    """The :class:`Stat` of segment ``name``, without mapping it."""
    return Stat(name, _ext.stat(name))


class Pages:
    """Which pages back a segment's memory, and how that is known.

    Attributes: ``name``; ``page_size``, bytes per page behind most of it
    (4096, or a huge page's 2 MiB on x86-64); ``basis``, how that is known:
    ``'measured'`` (counted just now), ``'policy'`` (from the file
    system's ``huge=`` policy) or ``'unknown'`` (no huge pages for shared
    memory here, or no telling); ``huge_bytes``, bytes of it in huge pages
    when measured, else ``None``; ``huge_page_size``, bytes of a huge page
    here, ``None`` if there are none; ``policy``, the setting that decides
    (``'huge=advise'``, ``'shmem_enabled=deny'``, ...) or ``None``; and
    ``stat``, the :class:`Stat` of the same segment.
    """

    __slots__ = ("name", "page_size", "basis", "huge_bytes",
                 "huge_page_size", "policy", "stat")

    def __init__(self, name, t):
        st, (self.page_size, huge, size, basis, policy) = t
        self.name = name
        self.basis = _BASES.get(basis, str(basis))
        self.huge_bytes = huge if self.basis == "measured" else None
        self.huge_page_size = size or None
        self.policy = policy or None
        self.stat = Stat(name, st)

    def __repr__(self):
        return (f"shmseg.Pages(name={self.name!r}, "
                f"page_size={self.page_size}, basis={self.basis!r}, "
                f"huge_bytes={self.huge_bytes}, policy={self.policy!r})")


def pages(name, *, measure=True):
    """The :class:`Pages` of segment ``name``: which pages back it, base
    or huge, and how that is known. With ``measure`` (the default) the
    huge pages are counted, mapping the segment read-only for a moment
    (about a system call for each 2 MiB); otherwise the answer is the
    file system's policy alone. See shmseg_pages(3).
    """
    return Pages(name, _ext.pages(name, bool(measure)))


def list():   # noqa: A001 - the API's name
    """A :class:`Stat` for every segment the caller can read."""
    return [Stat(n, t) for n, t in _ext.list()]


def unlink(name):
    """Remove the name ``name``; arrays attached to it stay valid until
    they are gone."""
    _ext.unlink(name)


def load(name, path, *, mode=0o600, replace=False):
    """Create the sealed segment ``name`` from the ``.npy`` file at
    ``path`` (the library's import: straight from the file, nothing left
    on failure). Returns the read-only :class:`ndarray`. Errors about the
    file name ``path``; errors about the segment name ``name``.
    ``replace`` as for :func:`create`.
    """
    mode = _mode(mode)
    with open(path, "rb") as f:
        seg = _ext.npy_import(name, f.fileno(), mode, os.fspath(path),
                              bool(replace))
    _held[name] = seg
    return _array(seg)


def save(name_or_array, path):
    """Write a segment (by name, or an array over all of one) to ``path``
    as a ``.npy`` file; any other array is written with
    :func:`numpy.save`."""
    if isinstance(name_or_array, str):
        seg = _attach_segment(name_or_array)
    else:
        a = name_or_array
        seg = _segment_of(a)
        whole = seg is not None and _array(seg)
        if seg is None or _extent(a) != _extent(whole) or \
                a.shape != whole.shape or a.strides != whole.strides or \
                a.dtype != whole.dtype:
            with open(path, "wb") as f:
                numpy.save(f, numpy.asarray(a).view(numpy.ndarray))
            return
    existed = os.path.lexists(path)
    with open(path, "wb") as f:
        try:
            seg.export(f, os.fspath(path))
        except BaseException:
            # Nothing half written is left: a file made here is removed,
            # one that was there emptied; anything else (a device, a
            # pipe) is left alone.
            if stat_module.S_ISREG(os.fstat(f.fileno()).st_mode):
                with contextlib.suppress(OSError):
                    if existed:
                        f.truncate(0)
                    else:
                        os.unlink(path)
            raise
