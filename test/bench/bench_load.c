/* SPDX-License-Identifier: MIT */
/* bench_load.c - the library's load: shmseg_npy_import() of a .npy file
 * into a sealed segment; prints the microseconds it took, then removes
 * the segment. With "floor", the least any load into /dev/shm can take:
 * writing as many bytes from a buffer already in cache to a new object.
 * With "mem", shmseg_mem_import() of a raw file's data already in memory,
 * as a binding publishes an array it holds. */
#define _GNU_SOURCE	/* MAP_POPULATE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmseg.h"

static char *name;

#include "bench.h"

static void remove_mine(void)
{
	shmseg_unlink(name);
}

/* Write size bytes of a 1 MiB buffer to a new object: microseconds. */
static int floor_write(const char *file)
{
	const size_t chunk = 1u << 20;
	char path[128];
	struct stat sb;
	unsigned char *buf = malloc(chunk);
	double t0, t1;
	off_t at;
	int fd;

	if (!buf || stat(file, &sb) < 0)
		return 1;
	memset(buf, 1, chunk);
	snprintf(path, sizeof(path), "/%s", name);
	t0 = now();
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		return 1;
	for (at = 0; at < sb.st_size; at += (off_t)chunk)
		if (pwrite(fd, buf, chunk, at) != (ssize_t)chunk) {
			remove_mine();
			return 1;
		}
	close(fd);
	t1 = now();
	shm_unlink(path);
	printf("%.0f\n", (t1 - t0) * 1e6);
	free(buf);
	return 0;
}

/* The end of a timed load that returned ret, after secs: its
 * microseconds printed, and the segment removed. */
static int loaded(int ret, double secs)
{
	if (ret) {
		fprintf(stderr, "bench_load: %s\n", shmseg_strerror(ret));
		return 1;
	}
	remove_mine();
	printf("%.0f\n", secs * 1e6);
	return 0;
}

/* shmseg_mem_import() of the float64 data of a raw file, already in
 * memory: its pages in the page cache, mapped and faulted in first (not
 * timed). Not read into memory of the program's own: on a VM whose host
 * takes freed memory back, the first touch of a page it took costs more
 * than the copy, and that second GiB left the segment's pages to pay it
 * (0.4 s became 1.4 to 5.2 s in make bench on the VM of README.md); so
 * every load writes into fresh pages alike. Microseconds. */
static int mem_import(const char *file)
{
	struct shmseg_layout l;
	struct stat sb;
	void *data = MAP_FAILED;
	double t0, t1;
	int fd = open(file, O_RDONLY | O_CLOEXEC), ret;

	if (fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size > 0)
		data = mmap(NULL, (size_t)sb.st_size, PROT_READ,
			    MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (fd >= 0)
		close(fd);
	if (data == MAP_FAILED) {
		fprintf(stderr, "bench_load: cannot map %s\n", file);
		return 1;
	}
	l = f8_layout((uint64_t)sb.st_size / 8);
	t0 = now();
	ret = shmseg_mem_import(name, &l, 0, data, 0600, NULL);
	t1 = now();
	munmap(data, (size_t)sb.st_size);
	return loaded(ret, t1 - t0);
}

int main(int argc, char **argv)
{
	double t0, t1;
	int fd, ret;

	if (argc == 4 && (strcmp(argv[1], "floor") == 0 ||
			  strcmp(argv[1], "mem") == 0)) {
		name = argv[3];
		remove_on_signals();
		return argv[1][0] == 'f' ? floor_write(argv[2]) :
			mem_import(argv[2]);
	}
	if (argc != 3) {
		fprintf(stderr, "usage: bench_load [floor] FILE.npy NAME\n"
			"       bench_load mem FILE.raw NAME\n");
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
	return loaded(ret, t1 - t0);
}
