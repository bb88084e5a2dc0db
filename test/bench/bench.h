/* SPDX-License-Identifier: MIT */
/* bench.h - what the benchmark programs share: a clock, and removal of
 * their segments on exit or on a signal */
#ifndef SHMSEG_BENCH_H
#define SHMSEG_BENCH_H

#include <signal.h>
#include <time.h>

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
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

#endif
