/* SPDX-License-Identifier: MIT */
/* bench_readers.c - memory of N readers of one array: each attaches by
 * name (exec'd, unrelated) and sums every element; their total PSS against
 * the array size, and each one's page tables. Baseline: fork, with the
 * array in the parent's private memory, shared copy-on-write */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmseg.h"
#include "bench.h"

static char name[64];

static void remove_mine(void)
{
	if (name[0])
		shmseg_unlink(name);
}

/* kB of a "Key:   N kB" line in a /proc file. */
static volatile double sink;

static void sum(const double *x, size_t n)
{
	double s = 0;
	size_t i;

	for (i = 0; i < n; i++)
		s += x[i];
	sink = s;
}

/* A reader: sum, say so, wait until all are done, report, wait to end. */
static void reader_report(void)
{
	char line[8];

	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		exit(1);
	printf("%ld %ld\n", proc_kb("/proc/self/smaps_rollup", "Pss:"),
	       proc_kb("/proc/self/status", "VmPTE:"));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
}

/* The fork baseline's array, in the parent's private memory. */
static double *cow;
static size_t cow_n;

static void cow_reader(void)
{
	sum(cow, cow_n);
	reader_report();
}

struct child {
	pid_t pid;
	FILE *in, *out;
};

/* Start n children running fn (fork) or this program (exec). */
static void start(struct child *c, int n, char **argv,
		  void (*fn)(void))
{
	int i, pin[2], pout[2];

	fflush(stdout);	/* nothing of ours for a child to write again */
	for (i = 0; i < n; i++) {
		if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0)
			exit(1);
		c[i].pid = fork();
		if (c[i].pid == 0) {
			/* Forked, the earlier children's pipes are open here
			 * too: closed, so they see their end of input. */
			for (int k = 0; k < i; k++) {
				close(fileno(c[k].in));
				close(fileno(c[k].out));
			}
			dup2(pin[0], 0);
			dup2(pout[1], 1);
			close(pin[1]);
			close(pout[0]);
			if (fn) {
				fn();
				_exit(0);
			}
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		close(pin[0]);
		close(pout[1]);
		c[i].in = fdopen(pin[1], "w");
		c[i].out = fdopen(pout[0], "r");
	}
}

/* Once all are ready, ask each for its PSS and page tables: totals; with
 * self, this process's PSS too, taken while the children still live. */
static void measure(struct child *c, int n, bool self, long *pss,
		    long *pte_max)
{
	char line[64];
	long p, t;
	int i;

	for (i = 0; i < n; i++)
		if (!fgets(line, sizeof(line), c[i].out) ||
		    strcmp(line, "ready\n") != 0)
			exit(1);
	*pss = 0;
	*pte_max = 0;
	for (i = 0; i < n; i++) {
		fputs("m\n", c[i].in);
		fflush(c[i].in);
	}
	for (i = 0; i < n; i++) {
		if (!fgets(line, sizeof(line), c[i].out) ||
		    sscanf(line, "%ld %ld", &p, &t) != 2)
			exit(1);
		*pss += p;
		if (t > *pte_max)
			*pte_max = t;
	}
	if (self)
		*pss += proc_kb("/proc/self/smaps_rollup", "Pss:");
	for (i = 0; i < n; i++) {
		fclose(c[i].in);
		fclose(c[i].out);
		waitpid(c[i].pid, NULL, 0);
	}
}

int main(int argc, char **argv)
{
	const char *gib = getenv("BENCH_GIB");
	struct child c[16];
	struct shmseg *seg;
	char *args[4];
	long pss, pte, kb;
	size_t n, i;
	int readers;

	if (argc == 3 && strcmp(argv[1], "read") == 0) {
		if (shmseg_attach(argv[2], 0, &seg))
			return 1;
		sum(shmseg_data(seg), shmseg_nbytes(seg) / sizeof(double));
		reader_report();
		return 0;
	}
	readers = argc > 1 ? atoi(argv[1]) : 4;
	if (readers < 1 || readers > 16)
		return 2;
	n = (size_t)((gib ? atof(gib) : 1.0) * 2 * (1 << 27));	/* 2 GiB */
	kb = (long)(n * sizeof(double) / 1024);
	snprintf(name, sizeof(name), "shmseg-bench%ld-readers", (long)getpid());
	seg = create_f8("bench_readers", name, n, 0);
	for (i = 0; i < n; i++)
		((double *)shmseg_data(seg))[i] = (double)(i & 1023);
	if (shmseg_seal(seg))
		return 1;
	shmseg_detach(seg);	/* the creator holds none of it */

	args[0] = argv[0];
	args[1] = "read";
	args[2] = name;
	args[3] = NULL;
	start(c, readers, args, NULL);
	measure(c, readers, false, &pss, &pte);
	printf("shmseg %d %ld %ld %ld\n", readers, pss, kb, pte);
	remove_mine();
	name[0] = '\0';

	/* Fork: only children of the array's owner can share it this way;
	 * the owner's PSS counts, as it holds its share of every page. */
	cow = malloc(n * sizeof(double));
	if (!cow)
		return 1;
	cow_n = n;
	for (i = 0; i < n; i++)
		cow[i] = (double)(i & 1023);
	start(c, readers, NULL, cow_reader);
	measure(c, readers, true, &pss, &pte);
	printf("fork %d %ld %ld %ld\n", readers, pss, kb, pte);
	free(cow);
	return 0;
}
