/* SPDX-License-Identifier: MIT */
/* bench_list.c - shmseg_list() over many segments against the floor:
 * readdir + open + pread of 4 KiB + close per entry, interleaved; and
 * the whole `shmctl list` command, a process of its own */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shmseg.h"

static char prefix[64];
static int count;

#include "bench.h"

static void remove_mine(void)
{
	char name[96];
	int i;

	for (i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		shmseg_unlink(name);
	}
}

static int seen(const char *name, const struct shmseg_stat *st, void *arg)
{
	(void)name;
	(void)st;
	++*(int *)arg;
	return 0;
}

static double run_list(int *n)
{
	double t0 = now();

	*n = 0;
	if (shmseg_list(seen, n) != 0)
		exit(1);
	return now() - t0;
}

static double run_floor(int *n)
{
	static char buf[4096];
	double t0 = now();
	struct dirent *de;
	DIR *dir = opendir("/dev/shm");
	int fd;

	*n = 0;
	while ((de = readdir(dir))) {
		if (de->d_type != DT_REG)
			continue;
		fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (pread(fd, buf, sizeof(buf), 0) > 0)
			++*n;
		close(fd);
	}
	closedir(dir);
	return now() - t0;
}

/* `shmctl list`, output to /dev/null, from fork to exit. */
static double run_shmctl(const char *shmctl)
{
	double t0 = now();
	int status, null;
	pid_t pid = fork();

	if (pid == 0) {
		null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) < 0)
			_exit(127);
		execl(shmctl, "shmctl", "list", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) {
		fprintf(stderr, "bench_list: %s list failed\n", shmctl);
		remove_mine();
		exit(1);
	}
	return now() - t0;
}

int main(int argc, char **argv)
{
	struct shmseg_layout l;
	struct shmseg *seg;
	char name[96];
	double a, f, c;
	int i, reps, na, nf;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_list COUNT REPS SHMCTL\n");
		return 2;
	}
	count = 0;
	reps = atoi(argv[2]);
	snprintf(prefix, sizeof(prefix), "shmseg-bench%ld-list-",
		 (long)getpid());
	remove_on_signals();
	l = f8_layout(16);
	for (i = 0; i < atoi(argv[1]); i++) {
		snprintf(name, sizeof(name), "%s%d", prefix, i);
		if (shmseg_create(name, &l, 0, 0600, &seg) || shmseg_seal(seg)) {
			fprintf(stderr, "bench_list: cannot create %s\n", name);
			remove_mine();
			return 1;
		}
		count++;
		shmseg_detach(seg);
	}
	run_list(&na);		/* warm up the directory and inodes */
	run_floor(&nf);
	for (i = 0; i < reps; i++) {	/* A B A B ... */
		a = run_list(&na);
		f = run_floor(&nf);
		c = run_shmctl(argv[3]);
		printf("%.6f %.6f %d %d %.6f\n", a, f, na, nf, c);
	}
	remove_mine();
	return 0;
}
