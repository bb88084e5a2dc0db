/* SPDX-License-Identifier: MIT */
/* helper.c - a separate program the tests exec: reads, writes, waits on or
 * creates segments by name and prints what it saw */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static void describe(struct shmseg *seg)
{
	char buf[1024];

	tu_describe(seg, buf, sizeof(buf));
	fputs(buf, stdout);
}

/* Parse "3x4x5" (or "" for a scalar) into the layout. */
static void parse_shape(const char *s, struct shmseg_layout *l)
{
	char *end;

	l->ndim = 0;
	while (*s && l->ndim < SHMSEG_MAX_NDIM) {
		l->shape[l->ndim++] = strtoull(s, &end, 10);
		s = *end == 'x' ? end + 1 : end;
		if (end == s && *s)
			break;
	}
}

static int cmd_make(char **argv)
{
	/* make NAME DTYPE C|F|S SHAPE [MODE]: create, fill, seal */
	struct shmseg_layout l;
	struct shmseg *seg;
	int flags = 0, ret, i;
	int64_t stride;

	memset(&l, 0, sizeof(l));
	if (shmseg_dtype_parse(argv[1], &l.dtype))
		return 2;
	parse_shape(argv[3], &l);
	if (argv[2][0] == 'F')
		flags |= SHMSEG_FORTRAN;
	if (argv[2][0] == 'S') {
		/* C order with every dimension padded by one element */
		stride = l.dtype.itemsize;
		for (i = (int)l.ndim - 1; i >= 0; i--) {
			l.strides[i] = stride;
			stride *= (int64_t)l.shape[i] + 1;
		}
	}
	ret = shmseg_create(argv[0], &l, flags,
			    argv[4] ? (mode_t)strtol(argv[4], NULL, 8) : 0644,
			    &seg);
	if (ret) {
		printf("rc=%d\n", ret);
		return 1;
	}
	tu_fill(seg);
	ret = shmseg_seal(seg);
	printf("rc=%d", ret);
	describe(seg);
	shmseg_detach(seg);
	return ret ? 1 : 0;
}

/* Print the result of an attach and what it attached. */
static int report(int ret, struct shmseg *seg)
{
	printf("rc=%d", ret);
	if (ret) {
		printf("\n");
		return 1;
	}
	describe(seg);
	shmseg_detach(seg);
	return 0;
}

static int cmd_read(char **argv, int flags)
{
	struct shmseg *seg = NULL;
	int ret = shmseg_attach(argv[0], flags, &seg);

	return report(ret, seg);
}

/* Threads of this process, from /proc/self/task; -1 if unknown. */
static int threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int cmd_wait(char **argv)
{
	struct shmseg *seg = NULL;
	int ret = shmseg_attach_wait(argv[0], 0, atoi(argv[1]), &seg), i;

	ret = report(ret, seg);
	/* The wait's watch is closed by a thread of its own just after:
	 * let it, up to 2 s, rather than exit first. */
	for (i = 0; i < 2000 && threads() > 1; i++)
		usleep(1000);
	return ret;
}

static int cmd_nofutex(char **argv)
{
	/* nofutex NAME MS: wait as "wait" does, on a system that refuses
	 * the wait on a shared futex (FUTEX_WAIT_BITSET, not private) with
	 * ENOSYS, as a seccomp filter makes it; then the CPU time taken */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_futex, 0, 3),
		/* the low 32 bits of the operation */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1]) +
			 (BYTE_ORDER == BIG_ENDIAN ? 4 : 0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAIT_BITSET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };
	struct shmseg *seg = NULL;
	struct rusage ru;
	int ret;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		printf("seccomp: %s\n", strerror(errno));
		return 2;
	}
	ret = shmseg_attach_wait(argv[0], 0, atoi(argv[1]), &seg);
	getrusage(RUSAGE_SELF, &ru);
	printf("cpu_us=%ld ", (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
	       1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	return report(ret, seg);
}

static void on_segv(int sig)
{
	static const char msg[] = "segv\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(42);
}

static int cmd_write(char **argv)
{
	struct shmseg *seg;
	int ret = shmseg_attach(argv[0], 0, &seg);

	if (ret) {
		printf("rc=%d\n", ret);
		return 1;
	}
	printf("attached\n");
	fflush(stdout);
	/* Must fault: the mapping is read-only. Our handler (not a
	 * sanitizer's) reports it, so both builds see the same exit. */
	signal(SIGSEGV, on_segv);
	signal(SIGBUS, on_segv);
	*(volatile unsigned char *)shmseg_data(seg) = 0x55;
	printf("wrote\n");
	return 0;
}

static int cmd_hold(char **argv)
{
	struct shmseg *seg;
	char line[16];
	int ret = shmseg_attach(argv[0], 0, &seg);

	printf("rc=%d\n", ret);
	fflush(stdout);
	if (ret)
		return 1;
	/* The parent unlinks the name meanwhile, then sends a line. */
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	printf("after");
	describe(seg);
	return shmseg_detach(seg) ? 1 : 0;
}

/* Bytes of the mapping that holds p that this process maps with huge
 * pages (PMD entries), from /proc/self/smaps; -1 if it is not found. */
static long long pmd_mapped(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)p;
	long long kb, sum = -1;
	bool in = false;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    memchr(line, '-', strcspn(line, " "))) {
			if (in)
				break;
			in = a >= lo && a < hi;
			if (in)
				sum = 0;
		} else if (in && (sscanf(line, "ShmemPmdMapped: %lld", &kb) == 1 ||
				  sscanf(line, "FilePmdMapped: %lld", &kb) == 1)) {
			sum += kb * 1024;
		}
	}
	fclose(f);
	return sum;
}

static int cmd_pmd(char **argv)
{
	/* pmd NAME: attach with SHMSEG_POPULATE; the bytes of this process's
	 * mapping that huge pages map, and what it reads */
	struct shmseg *seg = NULL;
	int ret = shmseg_attach(argv[0], SHMSEG_POPULATE, &seg);

	if (ret)
		return report(ret, seg);
	printf("pmd=%lld aligned=%d ", pmd_mapped(shmseg_data(seg)),
	       (int)(((uintptr_t)shmseg_data(seg) - 4096) % (2u << 20) == 0));
	return report(ret, seg);
}

static int cmd_fill(char **argv)
{
	/* fill NAME: attach a building segment read-write and fill it */
	struct shmseg *seg;
	int ret = shmseg_attach(argv[0], SHMSEG_RDWR, &seg);

	printf("rc=%d\n", ret);
	if (ret)
		return 1;
	tu_fill(seg);
	return shmseg_detach(seg) ? 1 : 0;
}

static int cmd_build(char **argv)
{
	/* build NAME: create, then hold it unsealed until stdin closes */
	struct shmseg_layout l = tu_layout("u1", 1, 4096ull);
	struct shmseg *seg;
	char line[16];
	int ret = shmseg_create(argv[0], &l, 0, 0644, &seg);

	printf("rc=%d\n", ret);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin))
		;
	if (ret)
		return 1;
	return shmseg_detach(seg) ? 1 : 0;	/* never sealed */
}

static int cmd_stat(char **argv)
{
	struct shmseg_stat st;
	int ret = shmseg_stat(argv[0], &st);

	printf("rc=%d", ret);
	if (!ret)
		printf(" state=%d mode=%o", st.state, (unsigned)st.mode);
	printf("\n");
	return ret ? 1 : 0;
}

static int cmd_unlink(char **argv)
{
	int ret = shmseg_unlink(argv[0]);

	printf("rc=%d\n", ret);
	return ret ? 1 : 0;
}

static int cmd_peek(char **argv)
{
	/* peek NAME OFFSET: one byte of the data of a sealed segment */
	struct shmseg *seg;
	uint64_t off = strtoull(argv[1], NULL, 0);
	int ret = shmseg_attach(argv[0], 0, &seg);

	printf("rc=%d", ret);
	if (!ret && off < shmseg_nbytes(seg))
		printf(" byte=%u",
		       ((unsigned char *)shmseg_data(seg))[off]);
	printf("\n");
	shmseg_detach(seg);
	return ret ? 1 : 0;
}

static int cmd_enospc(char **argv)
{
	/* enospc NAME BYTES, inside a private tmpfs on /dev/shm: the create
	 * must fail with -ENOSPC and leave the directory empty */
	struct shmseg_layout l = tu_layout("u1", 1, strtoull(argv[1], NULL, 0));
	struct shmseg *seg;
	struct dirent *de;
	int ret = shmseg_create(argv[0], &l, 0, 0600, &seg), left = 0;
	DIR *dir = opendir("/dev/shm");

	while (dir && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			left++;
	if (dir)
		closedir(dir);
	printf("rc=%d left=%d\n", ret, left);
	if (!ret)
		shmseg_detach(seg);
	return 0;
}

static int cmd_sparse(char **argv)
{
	/* sparse NAME BYTES: create with SHMSEG_SPARSE, write nothing, seal;
	 * print both results and the state it is left in */
	struct shmseg_layout l = tu_layout("u1", 1, strtoull(argv[1], NULL, 0));
	struct shmseg_stat st = { 0 };
	struct shmseg *seg;
	int ret = shmseg_create(argv[0], &l, SHMSEG_SPARSE, 0644, &seg), seal;

	printf("create=%d", ret);
	if (!ret) {
		seal = shmseg_seal(seg);
		shmseg_fstat(seg, &st);
		printf(" seal=%d state=%d", seal, st.state);
		shmseg_detach(seg);
	}
	printf("\n");
	return 0;
}

static int cmd_handoff(char **argv)
{
	/* handoff NAME: create, fork and exit at once; the child keeps the
	 * handle, and at a line on stdin fills, seals and says so */
	struct shmseg_layout l = tu_layout("<u8", 1, 512ull);
	struct shmseg *seg;
	char line[16];
	pid_t pid;
	int ret = shmseg_create(argv[0], &l, 0, 0644, &seg);

	if (ret) {
		printf("rc=%d\n", ret);
		return 1;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0) {
		/* What the exit does anyway, done here so that the leak
		 * checker sees no handle left: the child's descriptor keeps
		 * the lock, which belongs to the open file they share. */
		shmseg_detach(seg);
		printf("handed to %d\n", (int)pid);
		return 0;
	}
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	tu_fill_own(seg);
	ret = shmseg_seal(seg);
	printf("sealed rc=%d\n", ret);
	shmseg_detach(seg);
	return ret ? 1 : 0;
}

static int print_name(const char *n, const struct shmseg_stat *st,
		      void *prefix)
{
	if (strncmp(n, prefix, strlen(prefix)) == 0)
		printf("%s %d\n", n, st->state);
	return 0;
}

static int cmd_list(char **argv)
{
	/* list PREFIX: the segments this caller may see, ours only */
	int ret = shmseg_list(print_name, argv[0]);

	printf("rc=%d\n", ret);
	return ret ? 1 : 0;
}

/* Wait until the test closes our standard input. */
static void until_eof(void)
{
	char line[16];

	while (fgets(line, sizeof(line), stdin))
		;
}

static int cmd_churn(char **argv)
{
	/* churn NAME BYTES [pause]: create under the name at once (not
	 * hidden), say so, with pause wait for a line, fill with the uuid's
	 * pattern, seal, say so and hold on until stdin closes. The test
	 * kills it at a random moment, or while it waits. */
	struct shmseg_layout l = tu_layout("<u8", 1,
					   strtoull(argv[1], NULL, 0) / 8);
	struct shmseg *seg;
	char line[16];
	int ret = shmseg_create(argv[0], &l, 0, 0644, &seg);

	if (ret) {
		printf("rc=%d\n", ret);
		return 1;
	}
	printf("created\n");
	if (argv[2] && strcmp(argv[2], "pause") == 0 &&
	    !fgets(line, sizeof(line), stdin))
		return 1;
	tu_fill_own(seg);
	ret = shmseg_seal(seg);
	printf("sealed rc=%d\n", ret);
	until_eof();
	shmseg_detach(seg);
	return ret ? 1 : 0;
}

static int cmd_race(char **argv)
{
	/* race NAME HIDDEN: at the end of stdin (all racers at once), create
	 * NAME, and if that works fill and seal it; print the result */
	struct shmseg_layout l = tu_layout("<u8", 1, 4096ull);
	struct shmseg *seg;
	int ret;

	until_eof();
	ret = shmseg_create(argv[0], &l, atoi(argv[1]) ? SHMSEG_HIDDEN : 0,
			    0644, &seg);
	if (ret == 0) {
		tu_fill_own(seg);
		ret = shmseg_seal(seg);
		shmseg_detach(seg);
	}
	printf("rc=%d\n", ret);
	return 0;
}

static int cmd_recreate(char **argv)
{
	/* recreate NAME BYTES: until stdin closes, create NAME (hidden every
	 * other time), fill, seal, detach and unlink it again (unless a
	 * remover did so first) */
	struct shmseg_layout l = tu_layout("<u8", 1,
					   strtoull(argv[1], NULL, 0) / 8);
	struct pollfd in = { .fd = 0, .events = POLLIN };
	unsigned long cycles = 0, failed = 0;
	struct shmseg *seg;
	int ret;

	while (poll(&in, 1, 0) == 0) {
		ret = shmseg_create(argv[0], &l,
				    cycles % 2 ? SHMSEG_HIDDEN : 0, 0644, &seg);
		if (ret == 0) {
			tu_fill_own(seg);
			ret = shmseg_seal(seg);
			shmseg_detach(seg);
		}
		/* A remover may have been first, before the seal (which then
		 * says so) or after it: fine. */
		if (ret == -EIDRM)
			ret = 0;
		else if (ret == 0 &&
			 (ret = shmseg_unlink(argv[0])) == -ENOENT)
			ret = 0;
		failed += ret != 0;
		cycles++;
	}
	printf("cycles=%lu failed=%lu\n", cycles, failed);
	return 0;
}

static int cmd_replace(char **argv)
{
	/* replace NAME BYTES COUNT: publish NAME, say "first", and at a line
	 * on stdin publish COUNT new versions of it with SHMSEG_REPLACE, each
	 * filled with its own data and sealed; the last one is left */
	struct shmseg_layout l = tu_layout("<u8", 1,
					   strtoull(argv[1], NULL, 0) / 8);
	unsigned long n = strtoul(argv[2], NULL, 0), i, failed = 0;
	uint64_t t0 = tu_usec();
	struct shmseg *seg;
	int ret;

	for (i = 0; i <= n; i++) {
		ret = shmseg_create(argv[0], &l, i ? SHMSEG_REPLACE : 0, 0644,
				    &seg);
		if (ret == 0) {
			tu_fill_own(seg);
			ret = shmseg_seal(seg);
			shmseg_detach(seg);
		}
		failed += ret != 0;
		if (i == 0) {
			char go[8];

			printf("first\n");
			fflush(stdout);
			if (!fgets(go, sizeof(go), stdin))
				return 1;
			t0 = tu_usec();
		}
	}
	printf("replaced=%lu failed=%lu us=%llu\n", n, failed,
	       (unsigned long long)(tu_usec() - t0));
	return 0;
}

static int cmd_remove(char **argv)
{
	/* remove NAME: until stdin closes, unlink NAME whenever it is there */
	struct pollfd in = { .fd = 0, .events = POLLIN };
	unsigned long removed = 0, failed = 0;
	int ret;

	while (poll(&in, 1, 0) == 0) {
		ret = shmseg_unlink(argv[0]);
		removed += ret == 0;
		failed += ret != 0 && ret != -ENOENT;
	}
	printf("removed=%lu failed=%lu\n", removed, failed);
	return 0;
}

static int cmd_watch(char **argv)
{
	/* watch NAME MS: attach NAME over and over for MS milliseconds; a
	 * segment attached must be sealed and hold its own data; counts the
	 * times it found another segment than the attach before */
	uint64_t end = tu_usec() + strtoull(argv[1], NULL, 0) * 1000;
	unsigned long ok = 0, enoent = 0, eagain = 0, bad = 0, other = 0;
	unsigned long versions = 0;
	unsigned char seen[16] = { 0 };
	struct shmseg_stat st;
	struct shmseg *seg;
	int ret, last = 0;

	while (tu_usec() < end) {
		ret = shmseg_attach(argv[0], 0, &seg);
		if (ret == 0) {
			if (shmseg_fstat(seg, &st) == 0 &&
			    st.state == SHMSEG_SEALED && tu_check_own(seg))
				ok++;
			else
				bad++;
			if (memcmp(seen, st.uuid, sizeof(seen)) != 0) {
				memcpy(seen, st.uuid, sizeof(seen));
				versions++;
			}
			shmseg_detach(seg);
		} else if (ret == -ENOENT) {
			enoent++;
		} else if (ret == -EAGAIN) {
			eagain++;
		} else {
			other++;
			last = ret;
		}
	}
	printf("ok=%lu enoent=%lu eagain=%lu bad=%lu other=%lu last=%d "
	       "versions=%lu\n", ok, enoent, eagain, bad, other, last,
	       versions);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int args;
		int (*fn)(char **argv);
	} cmds[] = {
		{ "make", 4, cmd_make },	{ "wait", 2, cmd_wait },
		{ "write", 1, cmd_write },	{ "hold", 1, cmd_hold },
		{ "build", 1, cmd_build },	{ "stat", 1, cmd_stat },
		{ "peek", 2, cmd_peek },	{ "enospc", 2, cmd_enospc },
		{ "list", 1, cmd_list },	{ "fill", 1, cmd_fill },
		{ "unlink", 1, cmd_unlink },	{ "churn", 2, cmd_churn },
		{ "race", 2, cmd_race },	{ "recreate", 2, cmd_recreate },
		{ "watch", 2, cmd_watch },	{ "remove", 1, cmd_remove },
		{ "sparse", 2, cmd_sparse },	{ "handoff", 1, cmd_handoff },
		{ "pmd", 1, cmd_pmd },		{ "replace", 3, cmd_replace },
		{ "nofutex", 2, cmd_nofutex },
	};
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		return 2;
	if (strcmp(argv[1], "ping") == 0) {
		printf("pong\n");
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "read") == 0)
		return cmd_read(argv + 2, 0);
	if (argc >= 3 && strcmp(argv[1], "rdwr") == 0)
		return cmd_read(argv + 2, SHMSEG_RDWR);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(argv[1], cmds[i].name) == 0 &&
		    argc - 2 >= cmds[i].args)
			return cmds[i].fn(argv + 2);
	fprintf(stderr, "helper: bad command\n");
	return 2;
}
