/* SPDX-License-Identifier: MIT */
/* bench_wait.c - how soon a waiter in another process returns once the
 * seal is called: shmseg_attach_wait() woken by the seal, against the
 * polling of release 1.4 and the floor of a pipe write, rotated round by
 * round; and the CPU time a waiter takes over a long wait
 *
 * usage: bench_wait ROUNDS PREFIX [PYTHON]   latencies, "contender us us"
 *                  a line: from the call, from its return; with PYTHON,
 *                  also a Python waiter (shmseg.attach(timeout=...))
 *        bench_wait cpu MS PREFIX   CPU of waiters over MS, "contender us"
 *        bench_wait waiter HOW MS   (a waiter, exec'd by the above)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmseg.h"

static char made[64][96];
static int nmade;
static const char *self;

#include "bench.h"

static void remove_mine(void)
{
	int i;

	for (i = 0; i < nmade; i++)
		shmseg_unlink(made[i]);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ .tv_sec = ms / 1000,
				      .tv_nsec = (ms % 1000) * 1000000L },
		  NULL);
}

/* Release 1.4's shmseg_attach_wait(), the baseline: try, pause 100 us,
 * doubling to 10 ms, try again. */
static int poll_wait(const char *name, int ms, struct shmseg **seg)
{
	long long deadline = now_ns() + (long long)ms * 1000000;
	long pause = 100000;

	for (;;) {
		int ret = shmseg_attach(name, 0, seg);

		if (ret != -ENOENT && ret != -EAGAIN)
			return ret;
		if (now_ns() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = pause }, NULL);
		pause = pause * 2 > 10000000 ? 10000000 : pause * 2;
	}
}

/* The waiter, a process that lives through the rounds, as a consumer of
 * a pipeline would: for each line "NAME" on its standard input, wait as
 * HOW says (for "pipe", read one more byte), then print when the wait
 * returned (ns), how it ended, and the CPU it has taken so far (us). */
static int waiter(const char *how, int ms)
{
	char line[128];

	setvbuf(stdout, NULL, _IONBF, 0);
	while (fgets(line, sizeof(line), stdin)) {
		struct shmseg *seg = NULL;
		struct rusage ru;
		long long t;
		int ret;

		line[strcspn(line, "\n")] = '\0';
		if (strcmp(how, "pipe") == 0)
			ret = getchar() == 'x' ? 0 : -EIO;
		else if (strcmp(how, "poll") == 0)
			ret = poll_wait(line, ms, &seg);
		else
			ret = shmseg_attach_wait(line, 0, ms, &seg);
		t = now_ns();
		getrusage(RUSAGE_SELF, &ru);
		printf("%lld %d %ld\n", t, ret,
		       (long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		       1000000 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
		shmseg_detach(seg);
	}
	return 0;
}

struct child {
	pid_t pid;
	FILE *to;	/* its standard input */
	FILE *from;	/* its standard output */
};

/* The Python waiter, as the C one: shmseg.attach(name, timeout=...). */
static const char py_waiter[] =
	"import resource, sys, time, shmseg\n"
	"for line in sys.stdin:\n"
	"    try:\n"
	"        a, ret = shmseg.attach(line.strip(), timeout=5), 0\n"
	"    except OSError as e:\n"
	"        a, ret = None, -e.errno\n"
	"    t = time.clock_gettime_ns(time.CLOCK_MONOTONIC)\n"
	"    ru = resource.getrusage(resource.RUSAGE_SELF)\n"
	"    print(t, ret, int((ru.ru_utime + ru.ru_stime) * 1e6), "
	"flush=True)\n"
	"    del a\n";
static const char *python;	/* its interpreter, if asked for */

static struct child spawn(const char *how, int ms)
{
	int o[2], i[2];
	char arg[16];
	struct child c;

	if (pipe2(o, O_CLOEXEC) < 0 || pipe2(i, O_CLOEXEC) < 0)
		exit(1);
	snprintf(arg, sizeof(arg), "%d", ms);
	c.pid = fork();
	if (c.pid < 0)
		exit(1);
	if (c.pid == 0) {
		/* The copies lose O_CLOEXEC; the pipes of other waiters
		 * keep it, so that each sees the end of its input. */
		dup2(i[0], 0);
		dup2(o[1], 1);
		if (strcmp(how, "python") == 0)
			execl(python, python, "-c", py_waiter, (char *)NULL);
		else
			execl(self, self, "waiter", how, arg, (char *)NULL);
		_exit(127);
	}
	close(i[0]);
	close(o[1]);
	c.to = fdopen(i[1], "w");
	c.from = fdopen(o[0], "r");
	if (!c.to || !c.from)
		exit(1);
	setvbuf(c.to, NULL, _IONBF, 0);
	return c;
}

/* What the waiter printed for its last wait: when it returned, with
 * *ret how (0, or -errno), and its CPU so far, in us. */
static long long answer(struct child *c, int *ret, long *cpu)
{
	long long t;

	if (fscanf(c->from, "%lld %d %ld", &t, ret, cpu) != 3) {
		fprintf(stderr, "bench_wait: a waiter died\n");
		remove_mine();
		exit(1);
	}
	return t;
}

static void done(struct child *c)
{
	int status;

	fclose(c->to);
	fclose(c->from);
	waitpid(c->pid, &status, 0);
}

static struct shmseg *make(const char *name, int flags)
{
	struct shmseg *seg = create_f8("bench_wait", name, 4096, flags);

	snprintf(made[nmade++ % 64], sizeof(made[0]), "%s", name);
	return seg;
}

/* The waiter's settling time: long enough for it to be asleep, and for
 * the polling one to have reached its longest pause, as in any wait
 * longer than a few tens of milliseconds. */
#define SETTLE_MS 30

/* One round of contender how, its waiter c: the us from the call of the
 * seal (or of the pipe write) to the wait's return, in *call, and from
 * the seal's (the write's) return, in *ret, which is less than 0 when the
 * waiter was back first. */
static int one(const char *how, struct child *c, const char *name,
	       double *call, double *back)
{
	struct shmseg *seg = NULL;
	long long t0, t1, t;
	long cpu;
	int ret;

	fprintf(c->to, "%s\n", name);
	sleep_ms(SETTLE_MS);
	if (strcmp(how, "pipe") == 0) {
		t0 = now_ns();
		fputc('x', c->to);
		t1 = now_ns();
	} else {
		if (strcmp(how, "building") == 0 ||
		    strcmp(how, "poll") == 0 ||
		    strcmp(how, "python") == 0) {
			/* waiting since the create: made just after */
			seg = make(name, 0);
			sleep_ms(SETTLE_MS);
		} else {
			/* waiting from before the create: "before",
			 * "quick" (sealed at once after the create),
			 * "hidden" (named as it is sealed) */
			seg = make(name, strcmp(how, "hidden") == 0 ?
				   SHMSEG_HIDDEN : 0);
			if (strcmp(how, "before") == 0)
				sleep_ms(SETTLE_MS);
		}
		t0 = now_ns();
		if (shmseg_seal(seg))
			exit(1);
		t1 = now_ns();
	}
	t = answer(c, &ret, &cpu);
	if (seg) {
		shmseg_detach(seg);
		shmseg_unlink(name);
	}
	*call = (double)(t - t0) / 1e3;
	*back = (double)(t - t1) / 1e3;
	return ret;
}

/* The last, "python", only when an interpreter is given. */
static const char *const contenders[] = { "building", "before", "quick",
					  "hidden", "poll", "pipe", "python" };
#define NCONT_MAX (int)(sizeof(contenders) / sizeof(contenders[0]))

/* CPU of each kind of waiter over ms: for a name never made, and for a
 * segment never sealed; all four at once, each in its own process. */
static int cpu(int ms, const char *prefix)
{
	static const char *const how[] = { "event", "poll", "event", "poll" };
	struct shmseg *seg;
	struct child c[4];
	char name[96];
	long us[4], before;
	int i, ret;

	snprintf(name, sizeof(name), "%sbuilt", prefix);
	seg = make(name, 0);
	for (i = 0; i < 4; i++) {
		c[i] = spawn(how[i], ms);
		/* What starting took, to subtract: a wait of no time. */
		fprintf(c[i].to, "%snone\n", prefix);
	}
	for (i = 0; i < 4; i++) {
		answer(&c[i], &ret, &us[i]);
		snprintf(name, sizeof(name), "%s%s", prefix,
			 i < 2 ? "never" : "built");
		fprintf(c[i].to, "%s\n", name);
	}
	for (i = 0; i < 4; i++) {
		before = us[i];
		answer(&c[i], &ret, &us[i]);
		if (ret != -ETIMEDOUT) {
			fprintf(stderr, "bench_wait: waiter %d: %d\n", i, ret);
			remove_mine();
			return 1;
		}
		printf("%s-%s %ld\n", how[i], i < 2 ? "name" : "seal",
		       us[i] - before);
		done(&c[i]);
	}
	shmseg_detach(seg);
	remove_mine();
	return 0;
}

int main(int argc, char **argv)
{
	struct child c[NCONT_MAX];
	char name[96];
	int rounds, r, k, n = NCONT_MAX - 1;

	self = "/proc/self/exe";
	if (argc == 4 && strcmp(argv[1], "waiter") == 0)
		return waiter(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "cpu") == 0)
		return cpu(atoi(argv[2]), argv[3]);
	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: bench_wait ROUNDS PREFIX [PYTHON] | "
				"cpu MS PREFIX\n");
		return 2;
	}
	if (argc == 4) {
		python = argv[3];
		n++;
	}
	rounds = atoi(argv[1]);
	for (k = 0; k < n; k++)
		c[k] = spawn(contenders[k], 5000);
	for (r = 0; r < rounds; r++)
		for (k = 0; k < n; k++) {
			int i = (r + k) % n;
			double call, back;

			snprintf(name, sizeof(name), "%s%d-%d", argv[2], r, i);
			if (one(contenders[i], &c[i], name, &call, &back)) {
				fprintf(stderr, "bench_wait: %s failed\n",
					contenders[i]);
				remove_mine();
				return 1;
			}
			printf("%s %.1f %.1f\n", contenders[i], call, back);
		}
	for (k = 0; k < n; k++)
		done(&c[k]);
	return 0;
}
