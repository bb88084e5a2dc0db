# SPDX-License-Identifier: MIT
# proc.py - what the Python bench scripts read of /proc


def proc_kb(path, key):
    """The kB of the line starting "key:" of a /proc file such as
    /proc/self/status, or -1 if it has none."""
    with open(path) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1
