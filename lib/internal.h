/* SPDX-License-Identifier: MIT */
/* internal.h - what every module of the library shares, and how the
 * modules are layered */
#ifndef SHMSEG_INTERNAL_H
#define SHMSEG_INTERNAL_H

/*
 * The library is in layers, and a file calls (and includes the header of)
 * only files on lines above its own in this table; make lint checks it on
 * the built objects (test/layers.sh reads the lines that start "@"):
 *
 * @pure name.c dtype.c pylit.c	names, dtype strings, Python literals
 * @pure descr.c			NumPy's description of a dtype
 * @pure layout.c			shapes, strides and sizes
 * @pure npy.c			the .npy header: parse and format
 * @pure header.c			the segment header: encode, validate
 * @os   io.c os_linux.c os_posix.c	reads, writes, the platform
 * @os   copy.c			bulk copies, in two threads
 * @io   error.c fields.c		messages (strerror may read catalogs);
 *				descriptions checked whole, in memory
 * @io   segment.c			create, seal, attach, stat, unlink
 * @io   list.c import.c export.c wait.c	listing; .npy and raw files;
 *				waiting for a name and its seal
 *
 * Pure modules make no system call, so that the fuzz targets link them
 * alone and any bytes can be fed to them. The OS layer (os.h) knows
 * nothing of the format and calls nothing of the pure modules; the I/O
 * modules above put the two together. Only segment.c calls shm_open,
 * ftruncate, mmap and shm_unlink; os_linux.c works on /dev/shm directly
 * where only Linux can (nameless objects, links, renames, the listing,
 * whose callback, passed down by list.c, is the one call that goes up), and
 * watches it and the state words of segments for waiters.
 */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmseg.h"

#define EXPORT __attribute__((visibility("default")))

/* Room for '/', SHMSEG_NAME_MAX bytes and the NUL. */
#define NAME_BUF (SHMSEG_NAME_MAX + 2)

/* The one place where libc's -1/errno becomes -errno. Negated first and
 * then tested (errno is positive, or 0 where a libc forgot to set it), so
 * that the analyzer of make lint sees the result is never 0: it does not
 * follow a test of errno across the negation. */
static inline int neg_errno(void)
{
	int err = -errno;

	return err < 0 ? err : -EIO;
}

/* v in decimal at the end of out[20]; returns how many digits, which end
 * at out + 20. By hand: header checks run it on every attach and list
 * entry, where snprintf would cost more than the rest of the check. */
static inline size_t u64_decimal(uint64_t v, char out[20])
{
	size_t n = 0;

	do
		out[20 - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return n;
}

#endif /* SHMSEG_INTERNAL_H */
