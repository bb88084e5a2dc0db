/* SPDX-License-Identifier: MIT */
/* check_wait.c - shmseg_attach_wait() (lib/wait.c): waiters woken by the
 * name's appearing and by the seal, in processes started by exec (the
 * helper's "wait") and in threads; how each wait ends; what it leaves */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

#define WAITERS 64

static char name[TU_NAME_LEN];

/* What the helper prints for a segment attached: layout, and a hash of
 * the data. */
static void describe(struct shmseg *seg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "rc=0");

	tu_describe(seg, buf + n, len - (size_t)n);
}

struct waiter {
	pid_t pid;
	int in, out;
};

/* Start the helper's "wait NAME MS", as nobody if asked. */
static struct waiter start_waiter(const char *n, const char *ms,
				  bool as_nobody)
{
	char *argv[] = { (char *)tu_helper(), "wait", (char *)n, (char *)ms,
			 NULL };
	struct waiter w;

	w.pid = tu_spawn(argv, as_nobody, &w.in, &w.out);
	ck_assert_int_gt(w.pid, 0);
	return w;
}

/* What the waiter printed, once it is done; its exit code. */
static int end_waiter(struct waiter *w, char *out, size_t len)
{
	int st;

	tu_read(w->out, out, len, false);
	close(w->in);
	close(w->out);
	st = tu_wait(w->pid);
	ck_assert_int_ne(st, -1);
	/* A signal (SIGBUS, say) is a failure of its own. */
	ck_assert_msg(WIFEXITED(st), "the waiter was killed by signal %d",
		      WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return WEXITSTATUS(st);
}

/* How many inotify watches process pid has (from its fdinfo): a waiter
 * on a name that does not exist yet has one. */
static int watches(pid_t pid)
{
	char path[320], link[64], line[256];
	struct dirent *de;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	while (d && (de = readdir(d))) {
		ssize_t n;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid,
			 de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (strcmp(link, "anon_inode:inotify") != 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			found += strncmp(line, "inotify wd:", 11) == 0;
		if (f)
			fclose(f);
	}
	if (d)
		closedir(d);
	return found;
}

static bool watching(pid_t pid)
{
	return watches(pid) > 0;
}

/* Whether process pid waits for the seal of segment n: it maps the object
 * (a waiter maps what it waits on; nothing else in it maps n). */
static bool mapping(pid_t pid, const char *n)
{
	char path[64], line[512], want[TU_NAME_LEN + 16];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	snprintf(want, sizeof(want), "/dev/shm/%s", n);
	f = fopen(path, "r");
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, want);

		found = p && (p[strlen(want)] == '\n' ||
			      p[strlen(want)] == ' ');
	}
	if (f)
		fclose(f);
	return found;
}

/* Wait up to 20 s for pid to be asleep as asked: on the name (watching),
 * or on the seal of n (mapping). */
static void until_waiting(pid_t pid, const char *n, bool on_seal)
{
	int i;

	for (i = 0; i < 20000; i++) {
		if (on_seal ? mapping(pid, n) : watching(pid))
			return;
		usleep(1000);
	}
	ck_abort_msg("waiter %d never waited on %s", (int)pid,
		     on_seal ? "the seal" : "the name");
}

/* A waiter started before the create (it waits on the name, then on the
 * seal), or after it (on the seal), or before a hidden create or a
 * replace (on the name, which appears sealed), or another user's on a
 * segment readable by all (reading is all the watch of /dev/shm and the
 * wait on the word need), returns the segment sealed: what it prints is
 * what this process made. */
START_TEST(waiter_returns_the_sealed_segment)
{
	static const struct {
		const char *how;
		int flags;
		bool before, nobody;
	} cases[] = {
		{ "before the create", 0, true, false },
		{ "between create and seal", 0, false, false },
		{ "before a hidden create", SHMSEG_HIDDEN, true, false },
		{ "before a replace", SHMSEG_REPLACE, true, false },
		{ "as another user", 0, true, true },
	};
	struct shmseg_layout l = tu_layout("<i8", 1, 1000ull);
	char out[512], want[512];
	struct shmseg *seg;
	struct waiter w = { 0 };
	const char *why;

	if (cases[_i].nobody && !tu_can_run_as_nobody(&why)) {
		tu_skip("waiter_returns_the_sealed_segment as another user",
			why);
		return;
	}
	tu_name(name, "sealed");
	if (cases[_i].before) {
		w = start_waiter(name, "20000", cases[_i].nobody);
		until_waiting(w.pid, name, false);
	}
	ck_assert_int_eq(shmseg_create(name, &l, cases[_i].flags, 0644, &seg),
			 0);
	if (!cases[_i].before)
		w = start_waiter(name, "20000", false);
	if (!cases[_i].flags)	/* building under its name: on the seal */
		until_waiting(w.pid, name, true);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_msg(end_waiter(&w, out, sizeof(out)) == 0, "%s: %s",
		      cases[_i].how, out);
	describe(seg, want, sizeof(want));
	ck_assert_str_eq(out, want);
	shmseg_detach(seg);
}
END_TEST

/* The child of process pid (strace) that runs the helper, once there is
 * one: strace starts others first, to try what the kernel can. */
static pid_t traced_helper(pid_t pid)
{
	char path[64], exe[PATH_MAX], want[PATH_MAX];
	int i;

	ck_assert_ptr_nonnull(realpath(tu_helper(), want));
	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
		 (int)pid);
	for (i = 0; i < 20000; i++) {
		FILE *f = fopen(path, "r");
		int child;

		while (f && fscanf(f, "%d", &child) == 1) {
			char link[64];
			ssize_t n;

			snprintf(link, sizeof(link), "/proc/%d/exe", child);
			n = readlink(link, exe, sizeof(exe) - 1);
			if (n > 0 && (exe[n] = '\0', strcmp(exe, want) == 0)) {
				fclose(f);
				return (pid_t)child;
			}
		}
		if (f)
			fclose(f);
		usleep(1000);
	}
	ck_abort_msg("strace never ran the helper");
	return -1;
}

/* What ended the last wait of the traced waiter: the result of the last
 * call named call in strace's output (in file): a "FUTEX_WAIT_BITSET" on
 * the state word, a "ppoll" on the watch (whose result may come on a line
 * of its own, "<... ppoll resumed>) = 1 ...", as another thread's call
 * came between). */
static void last_call(const char *file, const char *call, char *res,
		      size_t len)
{
	char line[1024];
	FILE *f = fopen(file, "r");

	ck_assert_ptr_nonnull(f);
	res[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		char *eq = strstr(line, ") = ");

		if (strstr(line, call) && eq)
			snprintf(res, len, "%s", eq + 4);
	}
	fclose(f);
}

/* Start the helper's "wait NAME MS" under strace -f, tracing the calls
 * trace names, its output into file (/tmp/NAME.trace); the waiter in *w
 * (its pid strace's), and the helper's own pid returned; 0 without
 * strace, which the caller skips for. */
static pid_t start_traced(const char *calls, const char *ms, char *file,
			  size_t len, struct waiter *w)
{
	char opts[256];
	char *argv[] = { "strace", "-f", "-qq", "-e", (char *)calls, "-o",
			 file, (char *)tu_helper(), "wait", name, (char *)ms,
			 NULL };

	if (system("strace -V >/dev/null 2>&1") != 0)
		return 0;
	snprintf(file, len, "/tmp/%s.trace", name);
	/* LeakSanitizer cannot work under ptrace: off for the traced helper
	 * (each test runs in a process of its own). */
	snprintf(opts, sizeof(opts), "%s%sdetect_leaks=0",
		 getenv("ASAN_OPTIONS") ? getenv("ASAN_OPTIONS") : "",
		 getenv("ASAN_OPTIONS") ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	w->pid = tu_spawn(argv, false, &w->in, &w->out);
	ck_assert_int_gt(w->pid, 0);
	return traced_helper(w->pid);
}

/* The seal wakes a waiter on the seal, and the name's appearing wakes a
 * waiter on the name: the wait that the event ended returned as woken
 * ("= 0"; ppoll: "= 1"), not at its safety net's timeout (ETIMEDOUT;
 * "= 0 (Timeout)"), as strace sees it. */
START_TEST(events_end_the_wait)
{
	struct shmseg_layout l = tu_layout("<i8", 1, 100ull);
	char trace[TU_NAME_LEN + 16], res[256], out[512];
	struct shmseg *seg = NULL;
	struct waiter w;
	pid_t traced;

	tu_name(name, "event");
	if (_i == 0)	/* on the seal */
		ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	traced = start_traced("trace=futex,ppoll", "20000", trace,
			      sizeof(trace), &w);
	if (!traced) {
		tu_skip("events_end_the_wait", "needs strace");
		if (seg)
			shmseg_detach(seg);
		return;
	}
	until_waiting(traced, name, _i == 0);
	usleep(200 * 1000);	/* asleep on it, past a first net */
	if (_i == 1) {
		ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0600,
					       &seg), 0);
	}
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 0);
	last_call(trace, _i == 0 ? "FUTEX_WAIT_BITSET" : "ppoll", res,
		  sizeof(res));
	unlink(trace);
	if (_i == 0)
		ck_assert_str_eq(res, "0\n");
	else
		ck_assert_msg(strncmp(res, "1 (", 3) == 0, "ppoll: %s", res);
	shmseg_detach(seg);
}
END_TEST

/* The pid that closed the first inotify descriptor the traced process
 * (main thread pid) made, from strace's output in file; 0 if none. */
static int watch_closer(const char *file, int pid)
{
	char line[1024], want[32];
	int by, fd = -1, closer = 0;
	FILE *f = fopen(file, "r");

	ck_assert_ptr_nonnull(f);
	while (!closer && fgets(line, sizeof(line), f)) {
		char *eq = strstr(line, ") = ");

		if (sscanf(line, "%d", &by) != 1)
			continue;
		if (fd < 0 && by == pid && strstr(line, "inotify_init1(") && eq)
			fd = atoi(eq + 4);
		/* "close(3) = 0", or "close(3 <unfinished ...>" where another
		 * thread's call came in between */
		snprintf(want, sizeof(want), " close(%d", fd);
		eq = strstr(line, want);
		if (fd >= 0 && eq && (eq[strlen(want)] == ')' ||
				      eq[strlen(want)] == ' '))
			closer = by;
	}
	fclose(f);
	return closer;
}

/* The waiter's watch is closed by its own thread, never on the waiter's
 * way: neither as the wait moves on to the seal (which may come at once)
 * nor at the timeout (closing takes the kernel up to 15 ms, which made
 * the timeout late by 6 ms in the median). */
START_TEST(watch_closed_by_its_thread)
{
	struct shmseg_layout l = tu_layout("<i8", 1, 100ull);
	char trace[TU_NAME_LEN + 16], out[512];
	struct shmseg *seg = NULL;
	struct waiter w;
	pid_t traced;
	int closer;

	tu_name(name, "closer");
	traced = start_traced("trace=inotify_init1,close", _i ? "20000" : "300",
			      trace, sizeof(trace), &w);
	if (!traced) {
		tu_skip("watch_closed_by_its_thread", "needs strace");
		return;
	}
	until_waiting(traced, name, false);
	if (_i) {
		/* on to the seal, which comes at once */
		ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
		until_waiting(traced, name, true);
		ck_assert_int_eq(shmseg_seal(seg), 0);
	}
	end_waiter(&w, out, sizeof(out));
	closer = watch_closer(trace, (int)traced);
	unlink(trace);
	ck_assert_msg(strncmp(out, _i ? "rc=0 " : "rc=-110", 5) == 0, "%s",
		      out);
	ck_assert_int_ne(closer, 0);
	ck_assert_int_ne(closer, (int)traced);
	if (seg)
		shmseg_detach(seg);
}
END_TEST

/* How many times process pid went to sleep (voluntary context switches of
 * its main thread) over the next ms milliseconds. */
static long wakes_over(pid_t pid, int ms)
{
	char path[64], line[128];
	long n[2] = { -1, -1 };
	int k;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	for (k = 0; k < 2; k++) {
		FILE *f = fopen(path, "r");

		ck_assert_ptr_nonnull(f);
		while (fgets(line, sizeof(line), f))
			sscanf(line, "voluntary_ctxt_switches: %ld", &n[k]);
		fclose(f);
		if (!k)
			usleep((useconds_t)ms * 1000);
	}
	ck_assert_int_ge(n[0], 0);
	return n[1] - n[0];
}

/* A waiter that waits on the name does not poll: over a second and a
 * half it wakes no more often than its safety net and the names that
 * appeared meanwhile in /dev/shm (other tests' too) account for; one
 * that waits on the seal, no more often than its safety net (10, 20, 40
 * ... ms). Polling (release 1.4) woke over 100 times a second. */
START_TEST(waiter_sleeps_between_events)
{
	struct shmseg_layout l = tu_layout("u1", 1, 4096ull);
	struct shmseg *seg = NULL;
	char line[128], out[256];
	long wakes, events = 0;
	struct waiter w;
	int ino;

	tu_name(name, "sleeps");
	if (_i == 1)
		ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	w = start_waiter(name, "4000", false);
	until_waiting(w.pid, name, _i == 1);
	/* Count the names that appear meanwhile, as the waiter sees them. */
	ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ck_assert_int_ge(ino, 0);
	ck_assert_int_ge(inotify_add_watch(ino, "/dev/shm",
					   IN_CREATE | IN_MOVED_TO), 0);
	wakes = wakes_over(w.pid, 1500);
	for (;;) {
		char buf[4096];
		ssize_t n = read(ino, buf, sizeof(buf)), off;

		if (n <= 0)
			break;
		for (off = 0; off < n; events++)
			off += (ssize_t)sizeof(struct inotify_event) +
			       ((struct inotify_event *)(buf + off))->len;
	}
	close(ino);
	ck_assert_msg(wakes <= 30 + 2 * events,
		      "waiting on the %s: %ld wake-ups in 1.5 s, %ld names",
		      _i ? "seal" : "name", wakes, events);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 1);
	snprintf(line, sizeof(line), "rc=%d\n", -ETIMEDOUT);
	ck_assert_str_eq(out, line);
	if (seg)
		shmseg_detach(seg);
}
END_TEST

static volatile int churning;

/* Make and remove names in /dev/shm, as fast as it can, while churning. */
static void *churn(void *arg)
{
	char path[TU_NAME_LEN + 16], n[TU_NAME_LEN];
	long *made = arg;

	tu_name(n, "churn");
	tu_path(path, n);
	while (churning) {
		int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);

		if (fd >= 0) {
			close(fd);
			unlink(path);
			++*made;
		}
	}
	return NULL;
}

/* Names made by others in /dev/shm as fast as they can be (tens of
 * thousands a second) wake a waiter on the name only in batches: over a
 * second, a few hundred times at most, not once for each. It still wakes
 * for its own name, made meanwhile. */
START_TEST(names_made_elsewhere_are_read_in_batches)
{
	struct shmseg_layout l = tu_layout("u1", 1, 64ull);
	char out[512], want[512];
	long wakes, made = 0;
	struct shmseg *seg;
	struct waiter w;
	pthread_t t;

	tu_name(name, "batch");
	w = start_waiter(name, "20000", false);
	until_waiting(w.pid, name, false);
	churning = 1;
	ck_assert_int_eq(pthread_create(&t, NULL, churn, &made), 0);
	usleep(100 * 1000);
	wakes = wakes_over(w.pid, 1000);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0600, &seg),
			 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 0);
	churning = 0;
	pthread_join(t, NULL);
	describe(seg, want, sizeof(want));
	ck_assert_str_eq(out, want);
	ck_assert_msg(made > 2000, "only %ld names made", made);
	ck_assert_msg(wakes < 400, "%ld wake-ups in 1 s, %ld names", wakes,
		      made);
	shmseg_detach(seg);
}
END_TEST

/* A creator killed while building leaves the waiter waiting: it ends with
 * -ETIMEDOUT at its timeout (never a signal), as documented, since a
 * successor may still finish the segment; and when one does, a waiter is
 * woken by that successor's seal. */
START_TEST(killed_creator_ends_in_timeout_or_a_successor_seal)
{
	char *argv[] = { (char *)tu_helper(), "build", name, NULL };
	char out[512], want[512], expect[32];
	struct shmseg *seg;
	struct waiter w, w2;
	int in, fd;
	pid_t builder;
	uint64_t t0;

	tu_name(name, "killed");
	builder = tu_spawn(argv, false, &in, &fd);
	ck_assert_int_gt(builder, 0);
	tu_read(fd, out, sizeof(out), true);
	ck_assert_str_eq(out, "rc=0\n");
	t0 = tu_usec();
	w = start_waiter(name, "1500", false);
	w2 = start_waiter(name, "30000", false);
	until_waiting(w.pid, name, true);
	until_waiting(w2.pid, name, true);
	kill(builder, SIGKILL);
	tu_wait(builder);
	close(in);
	close(fd);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 1);
	snprintf(expect, sizeof(expect), "rc=%d\n", -ETIMEDOUT);
	ck_assert_str_eq(out, expect);
	ck_assert_uint_ge(tu_usec() - t0, 1500000);
	/* The successor: attaches the stale segment, fills it, seals it. */
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &seg), 0);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(end_waiter(&w2, out, sizeof(out)), 0);
	describe(seg, want, sizeof(want));
	ck_assert_str_eq(out, want);
	shmseg_detach(seg);
}
END_TEST

/* 64 waiters on one name, half started before the create and half
 * between create and seal, all return the segment. Where this user has
 * no inotify instance left for some, those poll: they return it too. */
START_TEST(sixty_four_waiters_all_wake)
{
	struct shmseg_layout l = tu_layout("<f4", 2, 64ull, 64ull);
	char out[512], want[512];
	struct waiter w[WAITERS];
	struct shmseg *seg;
	int i, watched = 0;

	tu_name(name, "many");
	for (i = 0; i < WAITERS / 2; i++)
		w[i] = start_waiter(name, "60000", false);
	for (i = 0; i < WAITERS / 2; i++) {
		int k;

		for (k = 0; k < 2000 && !watching(w[i].pid); k++)
			usleep(1000);
		watched += watching(w[i].pid);
	}
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	for (i = WAITERS / 2; i < WAITERS; i++)
		w[i] = start_waiter(name, "60000", false);
	for (i = 0; i < WAITERS; i++)
		until_waiting(w[i].pid, name, true);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	describe(seg, want, sizeof(want));
	for (i = 0; i < WAITERS; i++) {
		ck_assert_int_eq(end_waiter(&w[i], out, sizeof(out)), 0);
		ck_assert_str_eq(out, want);
	}
	shmseg_detach(seg);
	if (watched < WAITERS / 2)
		printf("# %d of %d early waiters had an inotify instance\n",
		       watched, WAITERS / 2);
}
END_TEST

/* Whether this process runs under valgrind (much slower): its preload. */
static bool under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p && strstr(p, "vgpreload");
}

/* The timeout is honoured: never early; and late by less than 2 ms in the
 * median of five (a loaded machine may stall any one of them; closing the
 * watch at the timeout made it 6 ms). For a name that never appears (the
 * wait on the name) and a segment never sealed (the wait on the seal). */
START_TEST(timeout_is_honoured)
{
	struct shmseg_layout l = tu_layout("u1", 1, 4096ull);
	struct shmseg *seg = NULL, *r = NULL;
	uint64_t late[5], t;
	int k, j;

	tu_name(name, "timeout");
	if (_i == 1)
		ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	for (k = 0; k < 5; k++) {
		uint64_t t0 = tu_usec(), took;

		ck_assert_int_eq(shmseg_attach_wait(name, 0, 300, &r),
				 -ETIMEDOUT);
		took = tu_usec() - t0;
		ck_assert_uint_ge(took, 300000);
		late[k] = took - 300000;
		for (j = k; j > 0 && late[j - 1] > late[j]; j--) {
			t = late[j];
			late[j] = late[j - 1];
			late[j - 1] = t;
		}
	}
	ck_assert_ptr_null(r);
	if (under_valgrind())
		tu_skip("timeout_is_honoured (lateness)",
			"under valgrind every step is slow");
	else
		ck_assert_msg(late[2] < 2000 && late[0] < 10000,
			      "late by %" PRIu64 " us at best, %" PRIu64
			      " us in the median", late[0], late[2]);
	if (seg)
		shmseg_detach(seg);
}
END_TEST

/* Descriptors and threads of this process, from /proc/self. */
static int count_in(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - (strcmp(dir, "/proc/self/fd") == 0);	/* d's own */
}

struct publish {
	char name[TU_NAME_LEN];
	struct shmseg *seg;	/* to seal, or NULL: create hidden */
};

static void *publisher(void *arg)
{
	struct shmseg_layout l = tu_layout("u1", 1, 64ull);
	struct publish *p = arg;
	struct shmseg *seg = p->seg;

	usleep(2000);
	if (!seg && shmseg_create(p->name, &l, SHMSEG_HIDDEN, 0600, &seg))
		return NULL;
	shmseg_seal(seg);
	if (!p->seg)
		shmseg_detach(seg);
	return NULL;
}

/* Nothing is left behind, whatever the way out: 1,000 waits, 200 of each
 * of a name never made (timed out on the name), a segment never sealed
 * (timed out on the seal), not a segment (at once), a name that appears
 * sealed (on the name) and a seal (on the seal). The descriptors of this
 * process, and its threads, are as many after as before, once the threads
 * of the watches have closed them, just after each wait (within a second
 * here). */
START_TEST(nothing_left_over_a_thousand_waits)
{
	struct shmseg_layout l = tu_layout("u1", 1, 64ull);
	char building[TU_NAME_LEN], plain[TU_NAME_LEN], missing[TU_NAME_LEN];
	char path[TU_NAME_LEN + 16];
	struct shmseg *hold, *r;
	int fds, threads, i, k, fd;

	tu_name(building, "left-b");
	tu_name(plain, "left-p");
	tu_name(missing, "left-m");
	ck_assert_int_eq(shmseg_create(building, &l, 0, 0600, &hold), 0);
	fd = open(tu_path(path, plain), O_CREAT | O_EXCL | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not a segment", 13), 13);
	close(fd);
	fds = count_in("/proc/self/fd");
	threads = count_in("/proc/self/task");
	for (i = 0; i < 1000; i++) {
		struct publish p = { .seg = NULL };
		pthread_t t;

		switch (i % 5) {
		case 0:
			ck_assert_int_eq(shmseg_attach_wait(missing, 0, 1, &r),
					 -ETIMEDOUT);
			break;
		case 1:
			ck_assert_int_eq(shmseg_attach_wait(building, 0, 1,
							    &r), -ETIMEDOUT);
			break;
		case 2:
			ck_assert_int_eq(shmseg_attach_wait(plain, 0, 1000,
							    &r), -EBADMSG);
			break;
		default:
			tu_name(p.name, "left-s");
			if (i % 5 == 4)
				ck_assert_int_eq(shmseg_create(p.name, &l, 0,
							       0600, &p.seg),
						 0);
			ck_assert_int_eq(pthread_create(&t, NULL, publisher,
							&p), 0);
			ck_assert_int_eq(shmseg_attach_wait(p.name, 0, 10000,
							    &r), 0);
			pthread_join(t, NULL);
			shmseg_detach(r);
			if (p.seg)
				shmseg_detach(p.seg);
			ck_assert_int_eq(shmseg_unlink(p.name), 0);
		}
	}
	for (k = 0; k < 1000 && (count_in("/proc/self/fd") != fds ||
				 count_in("/proc/self/task") != threads); k++)
		usleep(1000);
	ck_assert_int_eq(count_in("/proc/self/fd"), fds);
	ck_assert_int_eq(count_in("/proc/self/task"), threads);
	shmseg_detach(hold);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

struct threaded {
	struct shmseg *seg;
	int ret;
};

static void *wait_thread(void *arg)
{
	struct threaded *t = arg;

	t->ret = shmseg_attach_wait(name, 0, 30000, &t->seg);
	return NULL;
}

/* Threads of one process waiting on one name, half from before the create
 * and half from after it, all get the segment, each a handle of its own. */
START_TEST(threads_waiting_on_one_name_all_wake)
{
	struct shmseg_layout l = tu_layout("<u2", 1, 5000ull);
	struct threaded t[16];
	pthread_t th[16];
	struct shmseg *seg;
	int i, k;

	tu_name(name, "threads");
	for (i = 0; i < 16; i++) {
		if (i == 8) {
			/* the first eight on the name: eight watches */
			for (k = 0; k < 20000 && watches(getpid()) < 8; k++)
				usleep(1000);
			ck_assert_int_eq(shmseg_create(name, &l, 0, 0600,
						       &seg), 0);
		}
		t[i].seg = NULL;
		ck_assert_int_eq(pthread_create(&th[i], NULL, wait_thread,
						&t[i]), 0);
	}
	usleep(100 * 1000);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	for (i = 0; i < 16; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_int_eq(t[i].ret, 0);
		ck_assert_ptr_ne(t[i].seg, seg);
		ck_assert_uint_eq(tu_hash(shmseg_data(t[i].seg), 10000),
				  tu_hash(shmseg_data(seg), 10000));
		shmseg_detach(t[i].seg);
	}
	shmseg_detach(seg);
}
END_TEST

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static void *send_usr1(void *arg)
{
	usleep(50 * 1000);
	pthread_kill(*(pthread_t *)arg, SIGUSR1);
	return NULL;
}

/* With SHMSEG_INTR, a signal whose handler runs ends the wait: -EINTR,
 * on the name (with names made elsewhere meanwhile too, between whose
 * reads it naps) and on the seal; without it, the wait goes on to its end.
 * SHMSEG_INTR is a flag of the wait alone; the arguments are checked as
 * an attach checks them. */
START_TEST(intr_flag_ends_the_wait_at_a_signal)
{
	struct shmseg_layout l = tu_layout("u1", 1, 64ull);
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no restart */
	struct shmseg *seg = NULL, *r = NULL;
	char path[SHMSEG_NAME_MAX + 8];
	pthread_t self = pthread_self(), t, ct;
	long made = 0;
	uint64_t t0;

	tu_name(name, "intr");
	sigaction(SIGUSR1, &sa, NULL);
	if (_i == 1)
		ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	if (_i == 2) {
		/* names made elsewhere meanwhile: it naps between reads */
		churning = 1;
		ck_assert_int_eq(pthread_create(&ct, NULL, churn, &made), 0);
		usleep(100 * 1000);
	}
	handled = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, send_usr1, &self), 0);
	t0 = tu_usec();
	ck_assert_int_eq(shmseg_attach_wait(name, SHMSEG_INTR, 20000, &r),
			 -EINTR);
	ck_assert_uint_lt(tu_usec() - t0, 20000000);
	pthread_join(t, NULL);
	ck_assert_int_eq(handled, 1);
	if (_i == 2) {
		churning = 0;
		pthread_join(ct, NULL);
		ck_assert_int_gt(made, 100);
	}
	ck_assert_int_eq(pthread_create(&t, NULL, send_usr1, &self), 0);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, 400, &r), -ETIMEDOUT);
	pthread_join(t, NULL);
	ck_assert_int_eq(handled, 2);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_INTR, &r), -EINVAL);
	ck_assert_int_eq(shmseg_attach_wait(name, 0x80, 0, &r), -EINVAL);
	/* NULL for the handle is -EINVAL before the name is looked at, as
	 * for shmseg_attach(), even a name too long. */
	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	ck_assert_int_eq(shmseg_attach(path, 0, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_attach_wait(path, 0, 0, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_attach_wait(path, 0, 0, &r), -ENAMETOOLONG);
	if (seg)
		shmseg_detach(seg);
}
END_TEST

/* A segment truncated while a waiter waits on its seal: the waiter never
 * reads the word itself (the kernel does), so no SIGBUS; it finds out at
 * its next look and says -EBADMSG, as an attach would. */
START_TEST(truncated_while_waiting_is_ebadmsg_not_sigbus)
{
	struct shmseg_layout l = tu_layout("u1", 1, 100000ull);
	char path[TU_NAME_LEN + 16], out[128], expect[32];
	struct shmseg *seg;
	struct waiter w;
	int fd;

	tu_name(name, "trunc");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	w = start_waiter(name, "10000", false);
	until_waiting(w.pid, name, true);
	fd = open(tu_path(path, name), O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	close(fd);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 1);
	snprintf(expect, sizeof(expect), "rc=%d\n", -EBADMSG);
	ck_assert_str_eq(out, expect);
	shmseg_detach(seg);
}
END_TEST

/* The name removed and made again while a waiter waits on the old
 * segment's seal; or a third party that seals without waking anyone (it
 * stores the sealed state, and nothing else). Either way the waiter
 * returns the segment sealed under the name, at its safety net's pace. */
START_TEST(waiter_finds_what_no_event_told)
{
	struct shmseg_layout l = tu_layout("<i4", 1, 700ull);
	struct shmseg_layout l2 = tu_layout("<i4", 1, 333ull);
	char path[TU_NAME_LEN + 16], out[512], want[512];
	struct shmseg *seg, *again = NULL;
	struct waiter w;
	int fd;

	tu_name(name, "noevent");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	tu_fill(seg);
	w = start_waiter(name, "20000", false);
	until_waiting(w.pid, name, true);
	if (_i == 0) {
		ck_assert_int_eq(shmseg_unlink(name), 0);
		ck_assert_int_eq(shmseg_create(name, &l2, 0, 0644, &again), 0);
		tu_fill(again);
		ck_assert_int_eq(shmseg_seal(again), 0);
		describe(again, want, sizeof(want));
	} else {
		/* The state word only: "PY\1\0" over "BLDG". */
		fd = open(tu_path(path, name), O_RDWR);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(pwrite(fd, "PY\1", 4, 4), 4);
		close(fd);
		describe(seg, want, sizeof(want));
	}
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 0);
	ck_assert_str_eq(out, want);
	shmseg_detach(seg);
	if (again)
		shmseg_detach(again);
}
END_TEST

/* Where the system refuses the wait on the word (a seccomp filter makes
 * it ENOSYS here; a platform without futexes), the waiter polls instead:
 * over a second on a segment never sealed it takes little CPU, where one
 * that took the refusal for a wake spun at 95% of a core; and it still
 * returns the segment when it is sealed. */
START_TEST(no_futex_polls_and_never_spins)
{
	char *argv[] = { (char *)tu_helper(), "nofutex", name, "1000", NULL };
	struct shmseg_layout l = tu_layout("u1", 1, 4096ull);
	char out[512], want[512], expect[32];
	struct shmseg *seg;
	struct waiter w;
	long cpu;

	if (under_valgrind()) {
		tu_skip("no_futex_polls_and_never_spins",
			"a seccomp filter of the program's own under valgrind");
		return;
	}
	tu_name(name, "nofutex");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	w.pid = tu_spawn(argv, false, &w.in, &w.out);
	ck_assert_int_gt(w.pid, 0);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 1);
	ck_assert_int_eq(sscanf(out, "cpu_us=%ld ", &cpu), 1);
	snprintf(expect, sizeof(expect), "rc=%d\n", -ETIMEDOUT);
	ck_assert_str_eq(strchr(out, ' ') + 1, expect);
	ck_assert_msg(cpu < 200000, "%ld us of CPU over a 1 s wait", cpu);
	argv[3] = "20000";
	w.pid = tu_spawn(argv, false, &w.in, &w.out);
	ck_assert_int_gt(w.pid, 0);
	usleep(300 * 1000);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(end_waiter(&w, out, sizeof(out)), 0);
	describe(seg, want, sizeof(want));
	ck_assert_str_eq(strchr(out, ' ') + 1, want);
	shmseg_detach(seg);
}
END_TEST

/* With one descriptor left to the process, the watch takes it: the
 * attach then fails with EMFILE, the waiter closes its watch and polls,
 * and still returns the segment, which an exec'd helper makes later. */
START_TEST(last_descriptor_goes_to_the_attach)
{
	char *argv[] = { "sh", "-c", "sleep 0.3; exec \"$0\" make \"$1\" u1 C 8",
			 (char *)tu_helper(), name, NULL };
	struct rlimit rl, old;
	struct shmseg *r = NULL;
	int in, out, fd, ret;
	pid_t pid;

	tu_name(name, "lastfd");
	pid = tu_spawn(argv, false, &in, &out);
	ck_assert_int_gt(pid, 0);
	/* The lowest free descriptor: the only one left below the limit. */
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	getrlimit(RLIMIT_NOFILE, &old);
	rl = old;
	rl.rlim_cur = (rlim_t)fd + 1;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ret = shmseg_attach_wait(name, 0, 20000, &r);
	setrlimit(RLIMIT_NOFILE, &old);
	ck_assert_int_eq(ret, 0);
	ck_assert_uint_eq(shmseg_nbytes(r), 8);
	shmseg_detach(r);
	close(in);
	close(out);
	ck_assert_int_eq(tu_wait(pid), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wait");
	TCase *tc = tcase_create("wait");

	tu_init();
	tcase_set_timeout(tc, 180);
	tcase_add_loop_test(tc, waiter_returns_the_sealed_segment, 0, 5);
	tcase_add_loop_test(tc, events_end_the_wait, 0, 2);
	tcase_add_loop_test(tc, watch_closed_by_its_thread, 0, 2);
	tcase_add_loop_test(tc, waiter_sleeps_between_events, 0, 2);
	tcase_add_test(tc, names_made_elsewhere_are_read_in_batches);
	tcase_add_test(tc, killed_creator_ends_in_timeout_or_a_successor_seal);
	tcase_add_test(tc, sixty_four_waiters_all_wake);
	tcase_add_loop_test(tc, timeout_is_honoured, 0, 2);
	tcase_add_test(tc, nothing_left_over_a_thousand_waits);
	tcase_add_test(tc, threads_waiting_on_one_name_all_wake);
	tcase_add_loop_test(tc, intr_flag_ends_the_wait_at_a_signal, 0, 3);
	tcase_add_test(tc, truncated_while_waiting_is_ebadmsg_not_sigbus);
	tcase_add_loop_test(tc, waiter_finds_what_no_event_told, 0, 2);
	tcase_add_test(tc, last_descriptor_goes_to_the_attach);
	tcase_add_test(tc, no_futex_polls_and_never_spins);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
