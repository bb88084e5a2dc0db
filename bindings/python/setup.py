# SPDX-License-Identifier: MIT
"""Builds shmseg._ext against an installed libshmseg, found with
pkg-config (the .pc file that make install writes). The static library is
linked in, so the package needs nothing at run time but NumPy. Offline on
Debian 12: ``pip install --no-build-isolation ./bindings/python``."""

import os
import shlex
import subprocess

from setuptools import Extension, setup


def pkg_config(*args):
    """The words pkg-config prints for libshmseg with these options; exits
    saying what to do when libshmseg is not installed."""
    try:
        out = subprocess.run(["pkg-config", *args, "shmseg"], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("shmseg: libshmseg not found by pkg-config; "
                         "run 'make install' first, or set "
                         f"PKG_CONFIG_PATH ({e})")
    return shlex.split(out)


libdir = pkg_config("--variable=libdir")[0]   # sysroot included
static = os.path.join(libdir, "libshmseg.a")
includes = [f[2:] for f in pkg_config("--cflags-only-I")]

setup(ext_modules=[Extension(
    "shmseg._ext", ["shmseg/_ext.c"],
    include_dirs=includes,
    extra_objects=[static] if os.path.exists(static) else [],
    libraries=([] if os.path.exists(static) else ["shmseg"]) +
    ["uuid", "pthread"],
    library_dirs=[] if os.path.exists(static) else [libdir],
    # The library linked in stays inside: only PyInit__ext is exported.
    extra_link_args=["-Wl,--exclude-libs,ALL"],
)])
