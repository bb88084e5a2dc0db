/* SPDX-License-Identifier: MIT */
/* bench_attach.c - attach + layout + detach against the syscall floor
 * (shm_open, fstat, mmap, munmap, close), interleaved in one run; with the
 * creator gone, or still holding its mapping in another process */
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

static char name[64];

#include "bench.h"

static void remove_mine(void)
{
	shmseg_unlink(name);
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

int main(int argc, char **argv)
{
	const char *gib = getenv("BENCH_GIB");
	struct shmseg *seg;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_attach create|hold|rep NAME\n");
		return 2;
	}
	snprintf(name, sizeof(name), "%s", argv[2]);
	if (strcmp(argv[1], "rep") == 0) {
		/* One repetition of each, A then B; microseconds a cycle. */
		double a = run_shmseg(), f = run_floor();

		printf("%.3f %.3f\n", a, f);
		return 0;
	}
	/* Sparse: attach touches no data page, so its size is all that
	 * matters, not its contents. */
	seg = create_f8("bench_attach", name,
			(uint64_t)((gib ? atof(gib) : 1.0) * (1 << 27)),
			SHMSEG_SPARSE);
	if (shmseg_seal(seg)) {
		fprintf(stderr, "bench_attach: cannot seal %s\n", name);
		remove_mine();
		return 1;
	}
	if (strcmp(argv[1], "hold") == 0) {
		/* The producer that keeps running: its sealed handle, and so
		 * its mapping, held until standard input ends. */
		char line[16];

		printf("ready\n");
		fflush(stdout);
		while (fgets(line, sizeof(line), stdin))
			;
		shmseg_detach(seg);
		remove_mine();
		return 0;
	}
	shmseg_detach(seg);
	run_shmseg();	/* warm up */
	run_floor();
	return 0;
}
