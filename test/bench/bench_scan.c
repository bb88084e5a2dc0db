/* SPDX-License-Identifier: MIT */
/* bench_scan.c - summing a float64 array in an attached read-only mapping
 * against the same in private memory (both faulted in first), and the
 * first-touch scan of a fresh attach with and without SHMSEG_POPULATE */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmseg.h"
#include "bench.h"

static char name[64];

static void remove_mine(void)
{
	shmseg_unlink(name);
}

static double sum(const double *x, size_t n)
{
	double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i;

	for (i = 0; i + 4 <= n; i += 4) {
		s0 += x[i];
		s1 += x[i + 1];
		s2 += x[i + 2];
		s3 += x[i + 3];
	}
	for (; i < n; i++)
		s0 += x[i];
	return s0 + s1 + s2 + s3;
}

static volatile double sink;

static double timed_sum(const double *x, size_t n)
{
	double t0 = now();

	sink = sum(x, n);
	return now() - t0;
}

/* Attach (with flags), sum once, detach: seconds for attach + sum. */
static double first_touch(int flags, size_t n)
{
	struct shmseg *seg;
	double t0 = now();

	if (shmseg_attach(name, flags, &seg))
		exit(1);
	sink = sum(shmseg_data(seg), n);
	t0 = now() - t0;
	shmseg_detach(seg);
	return t0;
}

/* bench_scan first NAME: a fresh reader of the float64 segment NAME, made
 * by another process: seconds to attach it and sum it all once, and the
 * kB of page tables that took (VmPTE after, less before). */
static int fresh_reader(const char *segment)
{
	struct shmseg *seg;
	long pte = proc_kb("/proc/self/status", "VmPTE:");
	double t0 = now();

	if (shmseg_attach(segment, 0, &seg))
		return 1;
	sink = sum(shmseg_data(seg), shmseg_nbytes(seg) / sizeof(double));
	t0 = now() - t0;
	printf("%.6f %ld\n", t0,
	       proc_kb("/proc/self/status", "VmPTE:") - pte);
	shmseg_detach(seg);
	return 0;
}

int main(int argc, char **argv)
{
	const char *gib = getenv("BENCH_GIB");
	struct shmseg *seg, *r;
	double *priv, *x;
	size_t n, i;
	int rep, reps = argc > 1 ? atoi(argv[1]) : 5;

	if (argc > 2 && strcmp(argv[1], "first") == 0)
		return fresh_reader(argv[2]);
	n = (size_t)((gib ? atof(gib) : 1.0) * (1 << 27));
	snprintf(name, sizeof(name), "shmseg-bench%ld-scan", (long)getpid());
	seg = create_f8("bench_scan", name, n, 0);
	x = shmseg_data(seg);
	for (i = 0; i < n; i++)
		x[i] = (double)(i % 1000);
	if (shmseg_seal(seg) || shmseg_attach(name, 0, &r)) {
		remove_mine();
		return 1;
	}
	priv = malloc(n * sizeof(double));
	if (!priv) {
		remove_mine();
		return 1;
	}
	memcpy(priv, x, n * sizeof(double));
	x = shmseg_data(r);
	timed_sum(x, n);	/* fault both in */
	timed_sum(priv, n);
	/* One line a repetition: mapped, private, first touch, populated. */
	for (rep = 0; rep < reps; rep++)
		printf("%.6f %.6f %.6f %.6f\n", timed_sum(x, n),
		       timed_sum(priv, n), first_touch(0, n),
		       first_touch(SHMSEG_POPULATE, n));
	free(priv);
	shmseg_detach(r);
	shmseg_detach(seg);
	remove_mine();
	return 0;
}
