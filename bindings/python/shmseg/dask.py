# SPDX-License-Identifier: MIT
"""One read-only copy of an array per host of a Dask cluster.

``client.scatter(x, broadcast=True)`` gives every worker process a copy
of its own, several a host. :func:`publish` makes one shmseg segment a
host instead, from an array the client holds or from a ``.npy`` file each
host can read, and the workers there attach it::

    import shmseg.dask

    def total(w):                     # a task: w.get() is the array
        return w.get().sum()

    with shmseg.dask.publish(client, x) as w:
        print(client.submit(total, w).result())

The handle ``w`` pickles as the segment's name, shape and dtype, a few
hundred bytes, whatever the size of the array; ``w.get()`` in a task is
the read-only :class:`shmseg.ndarray`, mapped once in each worker process.
The segments go when the block ends (or at :meth:`SharedArray.close`),
when the client closes or its process dies (the scheduler sees it go and
has the workers remove them, moments later), and when the cluster shuts
down. What kills the scheduler or the workers outright (SIGKILL, a crash
of the machine) leaves them in /dev/shm: ``shmctl list`` shows them,
named ``shmseg-dask-...``, and ``shmctl rm NAME...`` removes them (or,
from cron, ``shmctl rm --older-than``).

This module needs Dask's ``distributed`` (Debian: python3-distributed);
``import shmseg`` does not import it.
"""

import contextlib
import errno
import logging
import os
import uuid

try:
    import distributed
except ImportError as e:   # pragma: no cover - depends on the system
    raise ImportError("shmseg.dask needs Dask's distributed (Debian: "
                      "apt-get install python3-distributed)") from e

import numpy

import shmseg

__all__ = ["SharedArray", "publish"]

logger = logging.getLogger(__name__)

# In each worker process: name -> the array it holds of a published
# segment (so that it is attached once, however many tasks use it), and
# the names of the segments this process made, which it removes when its
# worker closes.
_holds = {}
_made = set()


def _hold(name, path=None, mode=0o600):
    """The array of segment name, attached once in this process; a path
    is loaded from where this host has none yet (a host that joined
    after the publish)."""
    a = _holds.get(name)
    if a is not None:
        return a
    try:
        a = shmseg.attach(name)
    except FileNotFoundError:
        if path is None:
            raise FileNotFoundError(
                errno.ENOENT, "not published on this host (it joined the cluster "
                "after the publish, or the worker that made it here has "
                "left): publish it again", name) from None
        try:
            a = shmseg.load(name, path, mode=mode)
            _made.add(name)
        except FileExistsError:      # another worker here was first
            a = shmseg.attach(name)
    _holds[name] = a
    return a


def _forget(name, ended=False, sure=False):
    """Drop this process's hold of segment name, and remove the name from
    this host if this process made it; when the publish ended, also if it
    held it or the name is surely the publish's (sure: a uuid that
    publish chose), for a host whose maker died."""
    held = _holds.pop(name, None) is not None
    made = name in _made
    _made.discard(name)
    if made or ended and (held or sure):
        with contextlib.suppress(FileNotFoundError):
            shmseg.unlink(name)


def _create(name, array, mode):
    """A task on one worker a host: the segment from the array."""
    _holds[name] = a = shmseg.create(name, array, mode=mode)
    _made.add(name)
    return a.shape, a.dtype


def _load(name, path, mode):
    """A task on one worker a host: the segment from the .npy file."""
    _holds[name] = a = shmseg.load(name, path, mode=mode)
    _made.add(name)
    return a.shape, a.dtype


def _attach(name):
    """Run on every worker once the segments are made: hold it now, so
    that the host keeps it for this process even if its maker leaves."""
    with contextlib.suppress(FileNotFoundError):
        _hold(name)


def _adopt(name):
    """Run on one worker of the client's host, whose segment the client
    made: this worker removes it when it closes, as if it had made it."""
    _made.add(name)


def _shm_key(dask_worker=None):
    """Which shared-memory file system this process sees, and its uid:
    the machine's boot id with the device and inode of /dev/shm
    (containers on one machine may each have their own), or else the
    worker's host address (None in the client)."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            boot = f.read().strip()
        st = os.stat("/dev/shm")
        key = (boot, st.st_dev, st.st_ino)
    except OSError:
        key = None
        if dask_worker is not None:
            key = ("host", distributed.comm.get_address_host(
                dask_worker.address))
    return key, os.getuid()


def _here():
    """_shm_key of the client's process."""
    return _shm_key()


class _Holder:
    """The worker plugin of one publish. Unregistered (the publish ended:
    closed, or its client gone), every worker drops its hold and removes
    the name from its host if it made or held it, or whatever held it if
    the name is a uuid publish chose; a worker that closes drops its hold
    and removes the name if it made it, so that a cluster's shutdown
    leaves nothing. New workers attach (or, for a path, load) at their
    first get()."""

    def __init__(self, name, plugin, sure):
        self.name = name
        self.plugin = plugin
        self.sure = sure

    def teardown(self, worker):
        # Unregistered, the plugin is gone from worker.plugins before its
        # teardown; a closing worker still lists it.
        _forget(self.name, worker.plugins.get(self.plugin) is not self,
                self.sure)


def _client_watch(client_id, prefix):
    """A scheduler plugin that, when the client client_id goes (closed, or
    its connection lost), unregisters the worker plugins whose names start
    with prefix, removing their segments, as the scheduler releases that
    client's futures then. Made here rather than at the top level so that
    it is pickled by value: the scheduler needs distributed, not
    shmseg."""
    from distributed.core import Status
    from distributed.diagnostics.plugin import SchedulerPlugin

    class ClientWatch(SchedulerPlugin):
        def remove_client(self, scheduler, client):
            if client != client_id:
                return
            scheduler.plugins.pop(prefix, None)
            if scheduler.status != Status.running:
                return          # closing: each worker cleans up as it goes
            for name in [n for n in scheduler.worker_plugins
                         if n.startswith(prefix)]:
                del scheduler.worker_plugins[name]
                scheduler.loop.add_callback(
                    scheduler.broadcast, on_error="ignore",
                    msg={"op": "plugin-remove", "name": name})
    return ClientWatch()


class SharedArray:
    """A published array: what :func:`publish` returns and tasks take as
    an argument. :meth:`get` gives the read-only array, in a task or in
    any process of a host that holds it. Pickled, it is the segment's
    name, shape and dtype, never the data. The copy that :func:`publish`
    returned also closes the publish: :meth:`close`, or the end of its
    ``with`` block.

    Attributes: ``name`` (the segments' name, the same on every host),
    ``shape``, ``dtype``, ``nbytes``, ``path`` (the ``.npy`` file it was
    published from, or ``None``), ``mode`` (the segments' permission
    bits), ``creators`` (the address of a worker of each host, which made
    its segment or, on the client's host, adopted it; empty in a task's
    copy).
    """

    def __init__(self, name, shape, dtype, path=None, mode=0o600,
                 client=None, plugin=None, creators=()):
        self.name = name
        self.shape = tuple(shape)
        self.dtype = numpy.dtype(dtype)
        self.path = path
        self.mode = mode
        self.creators = tuple(creators)
        self._client = client
        self._plugin = plugin

    @property
    def nbytes(self):
        """Bytes of array data."""
        return int(numpy.prod(self.shape, dtype=numpy.int64)) * \
            self.dtype.itemsize

    @property
    def closed(self):
        """Whether this publish was closed (always False for a copy)."""
        return self._client is not None and self._plugin is None

    def get(self):
        """The read-only :class:`shmseg.ndarray` of this host's segment,
        attached the first time a process asks and held until the publish
        closes; :class:`FileNotFoundError` where there is none."""
        a = _hold(self.name, self.path, self.mode)
        if a.shape != self.shape or a.dtype != self.dtype:
            raise ValueError(f"{self.name}: the segment holds {a.dtype} "
                             f"{a.shape}, not {self.dtype} {self.shape}")
        return a

    def close(self):
        """Remove the segments from every host and end the publish; the
        workers drop their mappings (arrays still in use stay valid until
        they go). Closing again does nothing."""
        if self._client is None:
            raise RuntimeError("a copy of a published array cannot close "
                               "it: the handle publish() returned does")
        plugin, self._plugin = self._plugin, None
        _forget(self.name)              # a get() in this process too
        if plugin is None or self._client.status != "running":
            return      # closed, or the scheduler saw the client go
        with contextlib.suppress(ValueError):    # unregistered already
            self._client.unregister_worker_plugin(plugin)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __reduce__(self):
        return (SharedArray, (self.name, self.shape, self.dtype.str
                              if self.dtype.fields is None else self.dtype,
                              self.path, self.mode))

    def __dask_tokenize__(self):
        return ("shmseg.dask.SharedArray", self.name)

    def __repr__(self):
        return (f"shmseg.dask.SharedArray(name={self.name!r}, "
                f"shape={self.shape}, dtype={self.dtype.str!r})")


def publish(client, source, *, name=None, prefix="shmseg-dask-",
            mode=0o600):
    """Publish ``source`` once on each host of ``client``'s cluster, for
    its workers to read; returns a :class:`SharedArray`.

    ``source`` is an array, which is sent to one worker a host (not to
    every worker) that makes the segment from it, or the path of a
    ``.npy`` file that every host reads at that path (a shared file
    system), loaded there by one worker a host. On the client's own host
    the client makes the segment from the array itself, sending nothing.
    The other workers of each host attach that host's segment. A host is
    a shared-memory file system (/dev/shm): workers that see the same one
    share a segment.

    The segments are named ``name``, by default ``prefix`` and a uuid, new
    at each publish; ``mode`` is their permission bits. Errors on any host
    (:class:`FileExistsError`, ``OSError(ENOSPC)``, a bad file) are raised
    here, after every segment made was removed. The publish ends at
    :meth:`SharedArray.close` or the end of its ``with`` block, when the
    client closes or its connection is lost, and when the cluster shuts
    down; each removes the segments.
    """
    if isinstance(source, (str, bytes, os.PathLike)):
        path, array = os.path.abspath(os.fsdecode(source)), None
    else:
        path, array = None, numpy.asarray(source)
        shmseg._descr(array.dtype)  # a dtype it cannot hold: TypeError now
    sure = name is None
    if sure:
        name = f"{prefix}{uuid.uuid4().hex}"
    watch = f"shmseg.dask-{client.id}-"
    plugin = watch + name
    try:
        client.register_scheduler_plugin(_client_watch(client.id, watch),
                                         name=watch, idempotent=True)
    except Exception as e:   # e.g. distributed.scheduler.pickle off
        logger.warning("shmseg.dask: no clean-up when the client goes "
                       "(%s): close %s yourself", e, name)
    # From before the first segment is made to the end, a worker plugin
    # stands for the publish: its end removes them all.
    client.register_worker_plugin(_Holder(name, plugin, sure), name=plugin)
    local = data = None
    try:
        hosts, uids = {}, {}
        for addr, (key, uid) in sorted(client.run(_shm_key).items()):
            hosts.setdefault(key, addr)
            uids.setdefault(key, set()).add(uid)
        if not hosts:
            raise ValueError("the cluster has no workers")
        creators = sorted(hosts.values())
        layouts = set()
        here, uid = _here()
        if array is not None and here in hosts and uids[here] == {uid}:
            # The client's own host: made here, sending nothing, and
            # adopted by a worker there, which removes it when it closes.
            a = shmseg.create(name, array, mode=mode)
            layouts.add((a.shape, a.dtype))
            local = hosts.pop(here)
            del a
            client.run(_adopt, name, workers=[local])
        if array is not None and hosts:
            data = client.scatter(array, workers=sorted(hosts.values()),
                                  broadcast=True, hash=False)
        task, arg = (_create, data) if array is not None else (_load, path)
        made = [client.submit(task, name, arg, mode, workers=[w],
                              allow_other_workers=False, pure=False)
                for w in sorted(hosts.values())]
        distributed.wait(made)       # all done, before any error is raised
        layouts.update(client.gather(made))
        del made, data
        if len(layouts) > 1:
            raise ValueError(f"{path}: the hosts read different arrays "
                             f"there: {sorted(map(str, layouts))}")
        (shape, dtype), = layouts
        client.run(_attach, name)
    except BaseException:
        with contextlib.suppress(Exception):
            client.unregister_worker_plugin(plugin)
        if local is not None:
            with contextlib.suppress(OSError):
                shmseg.unlink(name)
        raise
    return SharedArray(name, shape, dtype, path, mode, client, plugin,
                       creators)
