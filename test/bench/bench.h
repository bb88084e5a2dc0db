/* SPDX-License-Identifier: MIT */
/* bench.h - what the benchmark programs share: a clock, and removal of
 * their segments on exit or on a signal */
#ifndef SHMSEG_BENCH_H
#define SHMSEG_BENCH_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shmseg.h"

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The arrays of the benchmarks: n float64 values in one dimension. */
static inline struct shmseg_layout f8_layout(uint64_t n)
{
	struct shmseg_layout l;

	memset(&l, 0, sizeof(l));
	shmseg_dtype_parse("float64", &l.dtype);
	l.ndim = 1;
	l.shape[0] = n;
	return l;
}

/* Each program defines remove_mine(), which unlinks what it made. */
static void remove_mine(void);

static void on_signal(int sig)
{
	remove_mine();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Ctrl-C or a kill still removes the program's segments. */
static inline void remove_on_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
}

/* Create segment as n float64 values (flags as for shmseg_create),
 * removed again on a signal from then on; prog's message and exit 1 if it
 * cannot be made. */
static inline struct shmseg *create_f8(const char *prog, const char *segment,
				       uint64_t n, int flags)
{
	struct shmseg_layout l = f8_layout(n);
	struct shmseg *seg;

	remove_on_signals();
	if (shmseg_create(segment, &l, flags, 0600, &seg)) {
		fprintf(stderr, "%s: cannot create %s\n", prog, segment);
		exit(1);
	}
	return seg;
}

/* The kB of the line "key" of a /proc file such as /proc/self/status;
 * -1 if it has none. */
static inline long proc_kb(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "r");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			v = atol(line + strlen(key));
			break;
		}
	if (f)
		fclose(f);
	return v;
}

#endif
