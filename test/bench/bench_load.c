/* SPDX-License-Identifier: MIT */
/* bench_load.c - the library's load: shmseg_npy_import() of a .npy file
 * into a sealed segment; prints the microseconds it took, then removes
 * the segment */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "shmseg.h"

static char *name;

#include "bench.h"

static void remove_mine(void)
{
	shmseg_unlink(name);
}

int main(int argc, char **argv)
{
	double t0, t1;
	int fd, ret;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_load FILE.npy NAME\n");
		return 2;
	}
	name = argv[2];
	remove_on_signals();
	t0 = now();
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	ret = shmseg_npy_import(name, fd, 0600, NULL);
	close(fd);
	t1 = now();
	if (ret) {
		fprintf(stderr, "bench_load: %s\n", shmseg_strerror(ret));
		return 1;
	}
	remove_mine();
	printf("%.0f\n", (t1 - t0) * 1e6);
	return 0;
}
