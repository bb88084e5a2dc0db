/* SPDX-License-Identifier: MIT */
/* util.h - test fixtures: unique names, cleanup, spawning helpers */
#ifndef SHMSEG_TEST_UTIL_H
#define SHMSEG_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmseg.h"

#define TU_NAME_LEN 128

/* Start of every test program: fixes the name prefix (with the pid) and
 * arranges that every object with that prefix is removed at exit. */
void tu_init(void);
/* Remove every object this test program created (prefix match only). */
void tu_cleanup(void);
/* A fresh unique name "shmseg-t<pid>-<tag>-<n>", without '/'. */
char *tu_name(char buf[TU_NAME_LEN], const char *tag);
/* The prefix of every name this test program makes: "shmseg-t<pid>-". */
const char *tu_prefix(void);
/* Path of the object in /dev/shm. */
char *tu_path(char buf[TU_NAME_LEN + 16], const char *name);

/* Layout from a dtype string and dims (ndim of them). */
struct shmseg_layout tu_layout(const char *dtype, unsigned ndim, ...);

/* Start argv with pipes to its stdin (*in) and stdout (*out). */
pid_t tu_spawn(char *const argv[], bool as_nobody, int *in, int *out);
/* Read up to outlen-1 bytes (or one line) from fd; NUL terminated. */
size_t tu_read(int fd, char *out, size_t outlen, bool line);
/* waitpid, returning the status or -1. */
int tu_wait(pid_t pid);
/* Run argv (argv[0] a path); with as_nobody, as uid/gid 65534 through
 * setpriv. Captures up to outlen-1 bytes of stdout into out (NUL
 * terminated). Returns the wait status, or -1 if it could not start. */
int tu_run(char *const argv[], bool as_nobody, const char *input,
	   char *out, size_t outlen);
/* Path of the helper program beside the running test. */
const char *tu_helper(void);
/* Path of shmctl in the build tree, beside test/ where the helper is. */
const char *tu_shmctl(void);
/* Whether processes can be run as nobody here; *why says why not. */
bool tu_can_run_as_nobody(const char **why);
/* A segment as the helper prints it after "rc=0": " dtype=... ndim=...
 * shape=... strides=... nbytes=... hash=...\n", the hash of its data;
 * into buf. */
void tu_describe(struct shmseg *seg, char *buf, size_t len);
/* FNV-1a of len bytes. */
uint64_t tu_hash(const void *buf, uint64_t len);
/* Fill a writable segment: element number i (C order) holds i (i * 0.5
 * for floats, -i for odd signed, i + -i j for complex, letters for S, U, V),
 * placed through the layout's strides. */
void tu_fill(struct shmseg *seg);
/* Fill a writable segment of whole uint64_t words with a pattern drawn
 * from its uuid, so that a reader can tell the data belongs to the header
 * it attached (and not to an earlier or later segment of the same name). */
void tu_fill_own(struct shmseg *seg);
/* Whether seg's data is what tu_fill_own() wrote for its uuid. */
bool tu_check_own(const struct shmseg *seg);
/* A .npy header of the given version (1, 2 or 3) holding exactly n bytes
 * of text, into buf; its length. */
size_t tu_npy_exact(unsigned char *buf, int version, const char *text,
		    size_t n);
/* The .npy header of the given version around dict, padded as NumPy pads
 * it (at most 8192 bytes in all), into buf; its length. */
size_t tu_npy_head(unsigned char *buf, int version, const char *dict);
/* Microseconds on the monotonic clock. */
uint64_t tu_usec(void);
/* Report a skipped test with its reason. */
void tu_skip(const char *test, const char *why);

#endif
