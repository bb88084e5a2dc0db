/* SPDX-License-Identifier: MIT */
/* bench_attach.c - attach + layout + detach against the syscall floor
 * (shm_open, fstat, mmap, munmap, close), interleaved in one run */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "shmseg.h"

#define CYCLES 10000
#define REPS 7

static char name[64];

static void cleanup(int sig)
{
	shmseg_unlink(name);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Microseconds per cycle of shmseg_attach + shmseg_layout + detach. */
static double run_shmseg(void)
{
	double t0 = now();
	struct shmseg *seg;
	int i;

	for (i = 0; i < CYCLES; i++) {
		if (shmseg_attach(name, 0, &seg) != 0 || !shmseg_layout(seg))
			exit(1);
		shmseg_detach(seg);
	}
	return (now() - t0) / CYCLES * 1e6;
}

/* The floor: what any attach must do, with no validation at all. */
static double run_floor(void)
{
	char path[80];
	double t0 = now();
	struct stat sb;
	void *p;
	int i, fd;

	snprintf(path, sizeof(path), "/%s", name);
	for (i = 0; i < CYCLES; i++) {
		fd = shm_open(path, O_RDONLY, 0);
		if (fd < 0 || fstat(fd, &sb) < 0)
			exit(1);
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED)
			exit(1);
		munmap(p, (size_t)sb.st_size);
		close(fd);
	}
	return (now() - t0) / CYCLES * 1e6;
}

static void report(const char *what, double *v, double base, const char *b)
{
	qsort(v, REPS, sizeof(*v), cmp);
	printf("%-34s median %8.2f  min %8.2f  max %8.2f us", what, v[REPS / 2],
	       v[0], v[REPS - 1]);
	if (base > 0)
		printf("   %.2fx %s", v[REPS / 2] / base, b);
	printf("\n");
}

int main(void)
{
	const char *gib = getenv("BENCH_GIB");
	struct shmseg_layout l;
	struct shmseg *seg;
	double a[REPS], f[REPS], ratio;
	int i;

	memset(&l, 0, sizeof(l));
	shmseg_dtype_parse("float64", &l.dtype);
	l.ndim = 1;
	l.shape[0] = (uint64_t)((gib ? atof(gib) : 1.0) * (1 << 27));
	snprintf(name, sizeof(name), "shmseg-bench%ld-attach", (long)getpid());
	signal(SIGINT, cleanup);
	signal(SIGTERM, cleanup);
	/* Sparse: attach touches no data page, so its size is all that
	 * matters, not its contents. */
	if (shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg) ||
	    shmseg_seal(seg)) {
		fprintf(stderr, "bench_attach: cannot create %s\n", name);
		return 1;
	}
	run_shmseg();	/* warm up */
	run_floor();
	for (i = 0; i < REPS; i++) {	/* A B A B ... */
		a[i] = run_shmseg();
		f[i] = run_floor();
	}
	report("attach floor (open+fstat+mmap)", f, 0, "");
	qsort(f, REPS, sizeof(*f), cmp);
	report("shmseg attach+layout+detach", a, f[REPS / 2], "the floor");
	ratio = a[REPS / 2] / f[REPS / 2];
	printf("target attach <= 1.25x floor: %s (%.2fx)\n",
	       ratio <= 1.25 ? "met" : "MISSED", ratio);
	shmseg_detach(seg);
	cleanup(0);
	return 0;
}
