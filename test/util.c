/* SPDX-License-Identifier: MIT */
/* util.c - test fixtures: unique names, cleanup, spawning helpers */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static char prefix[64];
static unsigned counter;
static pid_t owner;			/* the test program, not a child */
static char nobody_dir[64];		/* helper copy that uid 65534 can run */
static char nobody_helper[128];

void tu_cleanup(void)
{
	char path[NAME_MAX + 2];
	struct dirent *de;
	DIR *dir;

	if (!prefix[0])
		return;
	dir = opendir("/dev/shm");
	if (!dir)
		return;
	while ((de = readdir(dir)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
			snprintf(path, sizeof(path), "/%s", de->d_name);
			shm_unlink(path);
		}
	closedir(dir);
}

static void on_signal(int sig)
{
	tu_cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The build tree may sit where uid 65534 cannot go (under /root, say):
 * give it a copy of the helper in a directory of its own. */
static void copy_helper(void)
{
	char buf[65536];
	int in, out = -1;
	ssize_t n;

	snprintf(nobody_dir, sizeof(nobody_dir), "/tmp/shmseg-t%ld-XXXXXX",
		 (long)getpid());
	if (!mkdtemp(nobody_dir) || chmod(nobody_dir, 0755) < 0) {
		nobody_dir[0] = '\0';
		return;
	}
	snprintf(nobody_helper, sizeof(nobody_helper), "%s/helper",
		 nobody_dir);
	in = open(tu_helper(), O_RDONLY);
	if (in >= 0)
		out = open(nobody_helper, O_WRONLY | O_CREAT | O_EXCL, 0755);
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
}

static void remove_helper_copy(void)
{
	if (getpid() != owner || !nobody_dir[0])
		return;
	unlink(nobody_helper);
	rmdir(nobody_dir);
}

void tu_init(void)
{
	/* Inherited by Check's forked children, so their names carry the
	 * pid of the test program that sweeps them. */
	snprintf(prefix, sizeof(prefix), "shmseg-t%ld-", (long)getpid());
	owner = getpid();
	atexit(tu_cleanup);
	if (geteuid() == 0) {
		copy_helper();
		atexit(remove_helper_copy);
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
}

const char *tu_prefix(void)
{
	return prefix;
}

char *tu_name(char buf[TU_NAME_LEN], const char *tag)
{
	snprintf(buf, TU_NAME_LEN, "%s%s-%ld-%u", prefix, tag,
		 (long)getpid(), counter++);
	return buf;
}

char *tu_path(char buf[TU_NAME_LEN + 16], const char *name)
{
	snprintf(buf, TU_NAME_LEN + 16, "/dev/shm/%s", name);
	return buf;
}

struct shmseg_layout tu_layout(const char *dtype, unsigned ndim, ...)
{
	struct shmseg_layout l;
	va_list ap;
	unsigned i;

	memset(&l, 0, sizeof(l));
	if (shmseg_dtype_parse(dtype, &l.dtype) != 0)
		abort();
	l.ndim = ndim;
	va_start(ap, ndim);
	for (i = 0; i < ndim; i++)
		l.shape[i] = va_arg(ap, unsigned long long);
	va_end(ap);
	return l;
}

pid_t tu_spawn(char *const argv[], bool as_nobody, int *in, int *out)
{
	char *nobody[64] = { "setpriv", "--reuid=65534", "--regid=65534",
			     "--clear-groups", "--" };
	char *const *args = argv;
	int pout[2], pin[2];
	size_t i;
	pid_t pid;

	if (as_nobody) {
		for (i = 0; argv[i] && i + 6 < 64; i++)
			nobody[5 + i] = argv[i];
		if (nobody_helper[0] && strcmp(argv[0], tu_helper()) == 0)
			nobody[5] = nobody_helper;
		nobody[5 + i] = NULL;
		args = nobody;
	}
	if (pipe2(pout, O_CLOEXEC) < 0 || pipe2(pin, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		execvp(args[0], args);
		fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	*in = pin[1];
	*out = pout[0];
	return pid;
}

size_t tu_read(int fd, char *out, size_t outlen, bool line)
{
	size_t used = 0;
	ssize_t n;

	while (outlen > 0 && used < outlen - 1) {
		n = read(fd, out + used, line ? 1 : outlen - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (line && out[used - 1] == '\n')
			break;
	}
	if (outlen > 0)
		out[used] = '\0';
	return used;
}

int tu_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

int tu_run(char *const argv[], bool as_nobody, const char *input,
	   char *out, size_t outlen)
{
	int in, fd;
	pid_t pid = tu_spawn(argv, as_nobody, &in, &fd);

	if (pid < 0)
		return -1;
	if (input && write(in, input, strlen(input)) < 0)
		perror("write");
	close(in);
	tu_read(fd, out, outlen, false);
	close(fd);
	return tu_wait(pid);
}

const char *tu_helper(void)
{
	static char path[4096];
	char self[4096];
	ssize_t n;

	if (path[0])
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		abort();
	self[n] = '\0';
	snprintf(path, sizeof(path), "%s/helper", dirname(self));
	return path;
}

const char *tu_shmctl(void)
{
	static char path[4096];
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", tu_helper());
	snprintf(path, sizeof(path), "%s/../shmctl", dirname(dir));
	return path;
}

bool tu_can_run_as_nobody(const char **why)
{
	char *argv[] = { (char *)tu_helper(), "ping", NULL };
	char out[64];
	int st;

	if (geteuid() != 0) {
		*why = "needs root to switch to uid 65534";
		return false;
	}
	st = tu_run(argv, true, NULL, out, sizeof(out));
	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0 ||
	    strcmp(out, "pong\n") != 0) {
		*why = "setpriv cannot run the helper as uid 65534 here";
		return false;
	}
	return true;
}

uint64_t tu_hash(const void *buf, uint64_t len)
{
	const unsigned char *p = buf;
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ull;
	return h;
}

/* Store v at p as the dtype's kind, size and byte order. */
static void store(unsigned char *p, const struct shmseg_dtype *dt,
		  uint64_t i)
{
	unsigned char tmp[32];
	uint32_t k, n = dt->itemsize;
	int64_t s = (int64_t)i;

	memset(tmp, 0, sizeof(tmp));
	switch (dt->kind) {
	case 'b':
		tmp[0] = (unsigned char)(i & 1);
		break;
	case 'i':
	case 'u':
		if (dt->kind == 'i' && (i & 1))
			s = -s;		/* exercise negative values */
		memcpy(tmp, &s, n);	/* little-endian host assumed */
		break;
	case 'f':
		if (n != 4 && n != 8)
			goto pattern;	/* half and quad: bytes, as for V */
		if (n == 4) {
			float f = (float)i * 0.5f;

			memcpy(tmp, &f, 4);
		} else {
			double d = (double)i * 0.5;

			memcpy(tmp, &d, 8);
		}
		break;
	case 'c':
		if (n == 8) {
			float f[2] = { (float)i, -(float)i };

			memcpy(tmp, f, 8);
		} else {
			double d[2] = { (double)i, -(double)i };

			memcpy(tmp, d, 16);
		}
		break;
	case 'U':	/* UCS-4 letters in the dtype's byte order */
		for (k = 0; k < n / 4; k++) {
			unsigned char c = (unsigned char)('a' + (i * 7 + k) % 26);
			bool big = dt->byteorder == '>';

			memset(p + 4 * k, 0, 4);
			p[4 * k + (big ? 3 : 0)] = c;
		}
		return;
	default:	/* S, V: bytes of a pattern, never NUL */
pattern:
		for (k = 0; k < n; k++)
			p[k] = (unsigned char)('a' + (i * 7 + k) % 26);
		return;
	}
	if (dt->byteorder == '>') {
		uint32_t half = dt->kind == 'c' ? n / 2 : n;

		for (k = 0; k < n; k++)
			p[k] = tmp[(k / half) * half + half - 1 - k % half];
	} else {
		memcpy(p, tmp, n);
	}
}

void tu_fill(struct shmseg *seg)
{
	const struct shmseg_layout *l = shmseg_layout(seg);
	unsigned char *base = shmseg_data(seg);
	uint64_t idx[SHMSEG_MAX_NDIM] = { 0 }, i, total = 1;
	unsigned d;

	for (d = 0; d < l->ndim; d++)
		total *= l->shape[d];
	/* Element number i in C order goes where the strides put it. */
	for (i = 0; i < total; i++) {
		int64_t off = 0;

		for (d = 0; d < l->ndim; d++)
			off += (int64_t)idx[d] * l->strides[d];
		store(base + off, &l->dtype, i);
		for (d = l->ndim; d-- > 0;) {
			if (++idx[d] < l->shape[d])
				break;
			idx[d] = 0;
		}
	}
}

/* The pattern's first word: the first 8 bytes of the uuid. */
static uint64_t own_seed(const struct shmseg *seg)
{
	struct shmseg_stat st;
	uint64_t seed = 0;

	if (shmseg_fstat(seg, &st) == 0)
		memcpy(&seed, st.uuid, sizeof(seed));
	return seed;
}

void tu_fill_own(struct shmseg *seg)
{
	uint64_t *w = shmseg_data(seg), n = shmseg_nbytes(seg) / 8, i;
	uint64_t first = own_seed(seg);

	for (i = 0; i < n; i++)
		w[i] = first ^ (i * 0x9e3779b97f4a7c15ull);
}

bool tu_check_own(const struct shmseg *seg)
{
	const uint64_t *w = shmseg_data(seg);
	uint64_t n = shmseg_nbytes(seg) / 8, i, first = own_seed(seg);
	bool same = true;

	for (i = 0; i < n; i++)
		same &= w[i] == (first ^ (i * 0x9e3779b97f4a7c15ull));
	return same && n > 0;
}

uint64_t tu_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

void tu_describe(struct shmseg *seg, char *buf, size_t len)
{
	const struct shmseg_layout *l = shmseg_layout(seg);
	char dt[SHMSEG_DTYPE_STRLEN];
	size_t n;
	unsigned i;

	shmseg_dtype_format(&l->dtype, dt, sizeof(dt));
	n = (size_t)snprintf(buf, len, " dtype=%s ndim=%u shape=", dt,
			     l->ndim);
	for (i = 0; i < l->ndim && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIu64,
				      i ? "," : "", l->shape[i]);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " strides=");
	for (i = 0; i < l->ndim && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRId64,
				      i ? "," : "", l->strides[i]);
	if (n < len)
		snprintf(buf + n, len - n,
			 " nbytes=%" PRIu64 " hash=%016" PRIx64 "\n",
			 shmseg_nbytes(seg),
			 tu_hash(shmseg_data(seg), shmseg_nbytes(seg)));
}

void tu_skip(const char *test, const char *why)
{
	/* Counted by test/run.sh from this exact form. */
	printf("SKIP: %s: %s\n", test, why);
	fflush(stdout);
}

size_t tu_npy_exact(unsigned char *buf, int version, const char *text,
		    size_t n)
{
	size_t pre = version == 1 ? 10 : 12, i;

	memcpy(buf, "\x93NUMPY", 6);
	buf[6] = (unsigned char)version;
	buf[7] = 0;
	for (i = 0; i < pre - 8; i++)
		buf[8 + i] = (unsigned char)((n >> (8 * i)) & 0xff);
	memcpy(buf + pre, text, n);
	return pre + n;
}

size_t tu_npy_head(unsigned char *buf, int version, const char *dict)
{
	size_t pre = version == 1 ? 10 : 12, n = strlen(dict);
	size_t total = (pre + n + 1 + 63) / 64 * 64;
	char text[8192];

	memcpy(text, dict, n);
	memset(text + n, ' ', total - pre - n - 1);
	text[total - pre - 1] = '\n';
	return tu_npy_exact(buf, version, text, total - pre);
}
