/* SPDX-License-Identifier: MIT */
/* check_race.c - crashes and races across processes: creators killed at
 * random points, creators racing for one name, readers while the name is
 * removed and made again, listing while segments come and go. Every other
 * process is the exec'd helper program. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

#define CHURN_BYTES "1048576"	/* per segment of the crash test */
#define CRASHES_MAX 100000
#define RACERS 8		/* processes racing for one name */

/* Repetitions: the default, or more from the environment for a soak run
 * (TEST_CRASHES=5000 build/test/check_race). */
static int reps(const char *var, int dflt)
{
	const char *v = getenv(var);
	int n = v ? atoi(v) : dflt;

	return n > 0 && n <= CRASHES_MAX ? n : dflt;
}

/* Start the helper with cmd and up to three arguments (the list ends at
 * the first NULL); pipes in *in, *out. */
static pid_t start3(int *in, int *out, const char *cmd, const char *a1,
		    const char *a2, const char *a3)
{
	char *argv[] = { (char *)tu_helper(), (char *)cmd, (char *)a1,
			 (char *)a2, (char *)a3, NULL };
	pid_t pid = tu_spawn(argv, false, in, out);

	ck_assert_int_gt(pid, 0);
	return pid;
}

static pid_t start(int *in, int *out, const char *cmd, const char *a1,
		   const char *a2)
{
	return start3(in, out, cmd, a1, a2, NULL);
}

/* Outcome of one attach by a reader: 0 when fine, else a message. */
static const char *judge(const char *name, int *sealed)
{
	struct shmseg_stat st;
	struct shmseg *seg;
	const char *why = NULL;
	int ret = shmseg_attach(name, 0, &seg);

	if (ret == -ENOENT || ret == -EAGAIN)
		return NULL;
	if (ret)
		return shmseg_strerror(ret);
	if (shmseg_fstat(seg, &st) != 0 || st.state != SHMSEG_SEALED)
		why = "attached a segment that is not sealed";
	else if (!tu_check_own(seg))
		why = "attached data that is not the segment's own";
	else
		++*sealed;
	shmseg_detach(seg);
	return why;
}

/* The time from start to seal of one creator, in microseconds. */
static uint64_t time_to_seal(void)
{
	char name[TU_NAME_LEN], line[64];
	uint64_t t0 = tu_usec(), t;
	int in, out;
	pid_t pid;

	tu_name(name, "calibrate");
	pid = start(&in, &out, "churn", name, CHURN_BYTES);
	tu_read(out, line, sizeof(line), true);
	ck_assert_str_eq(line, "created\n");
	tu_read(out, line, sizeof(line), true);
	t = tu_usec() - t0;
	ck_assert_str_eq(line, "sealed rc=0\n");
	close(in);
	close(out);
	tu_wait(pid);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	return t;
}

/* A creator is killed with SIGKILL at a random moment between its start
 * and a while after its seal; meanwhile and after, this process attaches.
 * Every attach is -ENOENT, -EAGAIN, or a sealed segment holding its own
 * data. Leftovers are stale, and shmctl info says so. */
START_TEST(killed_creators_leave_stale_or_sealed_never_garbage)
{
	static char names[CRASHES_MAX][TU_NAME_LEN];
	const int crashes = reps("TEST_CRASHES", 200);
	char line[64], out_buf[4096];
	int stale = 0, sealed = 0, gone = 0, readers = 0, i, in, out;
	struct shmseg_stat sst;
	uint64_t span, delay, t0;
	const char *why;
	pid_t pid;

	span = time_to_seal() * 3 / 2 + 1;
	srand((unsigned)getpid());
	for (i = 0; i < crashes; i++) {
		/* Half the kills at a random moment from the start to a
		 * while after the seal; a quarter while the creator waits
		 * between create and fill, and a quarter after its seal, so
		 * that both ends are surely met however the timing goes on
		 * a loaded machine. */
		bool paused = i % 4 == 3, done = i % 4 == 1;

		tu_name(names[i], "crash");
		pid = start3(&in, &out, "churn", names[i], CHURN_BYTES,
			     paused ? "pause" : NULL);
		if (paused || done) {
			tu_read(out, line, sizeof(line), true);
			ck_assert_str_eq(line, "created\n");
		}
		if (done) {
			tu_read(out, line, sizeof(line), true);
			ck_assert_str_eq(line, "sealed rc=0\n");
		}
		delay = paused || done ? 0 : (uint64_t)rand() % span;
		t0 = tu_usec();
		do {
			why = judge(names[i], &readers);
			ck_assert_msg(!why, "%s: %s", names[i], why);
		} while (tu_usec() - t0 < delay);
		kill(pid, SIGKILL);
		ck_assert_int_eq(tu_wait(pid), SIGKILL);
		close(in);
		close(out);
		why = judge(names[i], &sealed);
		ck_assert_msg(!why, "%s after the kill: %s", names[i], why);
		switch (shmseg_stat(names[i], &sst)) {
		case -ENOENT:
			ck_assert_msg(!paused && !done, "%s: gone", names[i]);
			gone++;
			names[i][0] = '\0';
			break;
		case 0:
			ck_assert_msg(sst.state == SHMSEG_STALE ||
				      sst.state == SHMSEG_SEALED,
				      "%s: state %d", names[i], sst.state);
			ck_assert_msg(!paused || sst.state == SHMSEG_STALE,
				      "%s: killed while building, but %d",
				      names[i], sst.state);
			ck_assert_msg(!done || sst.state == SHMSEG_SEALED,
				      "%s: killed once sealed, but %d",
				      names[i], sst.state);
			if (sst.state == SHMSEG_STALE) {
				stale++;
			} else {
				ck_assert_int_eq(shmseg_unlink(names[i]), 0);
				names[i][0] = '\0';
			}
			break;
		default:
			ck_abort_msg("%s: stat failed", names[i]);
		}
	}
	fprintf(stderr, "# %d creators killed: %d stale, %d sealed, "
		"%d left nothing; %d sealed attaches meanwhile (span %llu us)\n",
		crashes, stale, sealed, gone, readers,
		(unsigned long long)span);

	/* shmctl says so too. (shmctl rm --stale, which removes every
	 * stale segment there is, is tried in a private /dev/shm by
	 * test/stale_private.sh, so that nobody else's are touched.) */
	for (i = 0; i < crashes; i++) {
		char *info[] = { (char *)tu_shmctl(), "info", names[i], NULL };

		if (!names[i][0])
			continue;
		ck_assert_int_eq(tu_run(info, false, NULL, out_buf,
					sizeof(out_buf)), 0);
		ck_assert_msg(strstr(out_buf, "\nstate:        stale\n"),
			      "%s: %s", names[i], out_buf);
		ck_assert_int_eq(shmseg_unlink(names[i]), 0);
	}
}
END_TEST

/* RACERS processes create one name at the same moment: exactly one wins,
 * the others get -EEXIST, and only the winner's segment exists after. */
START_TEST(racing_creators_one_wins)
{
	int in[RACERS], out[RACERS], won, lost, r, i;
	const int races = reps("TEST_RACES", 20);
	char name[TU_NAME_LEN], line[64];
	struct shmseg *seg;
	pid_t pid[RACERS];

	for (r = 0; r < races; r++) {
		tu_name(name, "race");
		for (i = 0; i < RACERS; i++)
			pid[i] = start(&in[i], &out[i], "race", name,
				       r % 2 ? "1" : "0");
		for (i = 0; i < RACERS; i++)	/* go */
			close(in[i]);
		won = lost = 0;
		for (i = 0; i < RACERS; i++) {
			tu_read(out[i], line, sizeof(line), true);
			close(out[i]);
			ck_assert_int_eq(tu_wait(pid[i]), 0);
			if (strcmp(line, "rc=0\n") == 0)
				won++;
			else if (atoi(line + 3) == -EEXIST)
				lost++;
			else
				ck_abort_msg("racer %d: %s", i, line);
		}
		ck_assert_int_eq(won, 1);
		ck_assert_int_eq(lost, RACERS - 1);
		ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
		ck_assert(tu_check_own(seg));
		shmseg_detach(seg);
		ck_assert_int_eq(shmseg_unlink(name), 0);
	}
	fprintf(stderr, "# %d races of %d creators: one winner each\n", races,
		RACERS);
}
END_TEST

/* Two exec'd readers that attach a name over and over ("watch") and say
 * what they found. */
struct watchers {
	int in[2], out[2];
	pid_t pid[2];
	struct {
		unsigned long ok, enoent, eagain, bad, other, versions;
	} n[2];
};

static void watch_start(struct watchers *w, const char *name, const char *ms)
{
	int i;

	for (i = 0; i < 2; i++)
		w->pid[i] = start(&w->in[i], &w->out[i], "watch", name, ms);
}

/* Their counts, once they are done; every attach that succeeded found a
 * whole sealed segment (bad), and nothing failed otherwise (other). */
static void watch_end(struct watchers *w)
{
	char sum[128];
	int i, last;

	for (i = 0; i < 2; i++) {
		tu_read(w->out[i], sum, sizeof(sum), true);
		close(w->in[i]);
		close(w->out[i]);
		ck_assert_int_eq(tu_wait(w->pid[i]), 0);
		fprintf(stderr, "# reader %d: %s", i, sum);
		ck_assert_int_eq(sscanf(sum, "ok=%lu enoent=%lu eagain=%lu "
					"bad=%lu other=%lu last=%d versions=%lu",
					&w->n[i].ok, &w->n[i].enoent,
					&w->n[i].eagain, &w->n[i].bad,
					&w->n[i].other, &last,
					&w->n[i].versions), 7);
		ck_assert_msg(w->n[i].bad == 0 && w->n[i].other == 0,
			      "reader %d: %s", i, sum);
		ck_assert_uint_gt(w->n[i].ok, 0);
	}
}

/* Two exec'd readers attach over and over while a creator makes the name,
 * seals it, removes it and makes it again, and a remover unlinks it
 * whenever it is there: each attach fails cleanly or sees one whole
 * segment, never a mix of two. */
START_TEST(readers_while_the_name_is_removed_and_made_again)
{
	char name[TU_NAME_LEN], line[128], rline[128];
	unsigned long cycles, failed, removed;
	int cin, cout, xin, xout;
	struct watchers w;
	pid_t creator, remover;

	tu_name(name, "again");
	creator = start(&cin, &cout, "recreate", name, "65536");
	remover = start(&xin, &xout, "remove", name, NULL);
	watch_start(&w, name, "1500");
	watch_end(&w);
	close(cin);
	close(xin);
	tu_read(cout, line, sizeof(line), true);
	tu_read(xout, rline, sizeof(rline), true);
	close(cout);
	close(xout);
	ck_assert_int_eq(tu_wait(creator), 0);
	ck_assert_int_eq(tu_wait(remover), 0);
	ck_assert_int_eq(sscanf(line, "cycles=%lu failed=%lu", &cycles,
				&failed), 2);
	ck_assert_uint_eq(failed, 0);
	ck_assert_uint_gt(cycles, 10);
	ck_assert_int_eq(sscanf(rline, "removed=%lu failed=%lu", &removed,
				&failed), 2);
	ck_assert_uint_eq(failed, 0);
	fprintf(stderr, "# creator: %s# remover: %s", line, rline);
	shmseg_unlink(name);	/* if the creator stopped between steps */
}
END_TEST

/* Two exec'd readers attach over and over while a third process publishes
 * 1000 new versions of the name with SHMSEG_REPLACE: every attach finds a
 * whole sealed segment, never nothing (ENOENT) and never a mix; a reader
 * that holds the first version keeps reading it, intact, and is told it
 * is no longer current. */
START_TEST(readers_never_miss_a_replaced_name)
{
	char name[TU_NAME_LEN], line[128], first[16];
	unsigned long replaced, failed;
	unsigned long long us;
	int cin, cout, i;
	struct watchers w;
	struct shmseg *old;
	pid_t creator;

	tu_name(name, "replace");
	creator = start3(&cin, &cout, "replace", name, "65536", "1000");
	tu_read(cout, first, sizeof(first), true);
	ck_assert_str_eq(first, "first\n");
	ck_assert_int_eq(shmseg_attach(name, 0, &old), 0);
	ck_assert(tu_check_own(old));
	watch_start(&w, name, "1000");
	/* The readers under way (their first attaches, not a guarantee: the
	 * versions they report show how many replaces they saw), go. */
	usleep(50000);
	ck_assert_int_eq(write(cin, "go\n", 3), 3);
	tu_read(cout, line, sizeof(line), true);
	watch_end(&w);
	close(cin);
	close(cout);
	ck_assert_int_eq(tu_wait(creator), 0);
	ck_assert_int_eq(sscanf(line, "replaced=%lu failed=%lu us=%llu",
				&replaced, &failed, &us), 3);
	ck_assert_uint_eq(replaced, 1000);
	ck_assert_uint_eq(failed, 0);
	for (i = 0; i < 2; i++) {
		ck_assert_uint_eq(w.n[i].enoent, 0);
		ck_assert_uint_eq(w.n[i].eagain, 0);
		/* it saw the name change hands, many times over */
		ck_assert_uint_gt(w.n[i].versions, 10);
	}
	/* The first version, 1000 versions later: whole, not current. */
	ck_assert(tu_check_own(old));
	ck_assert_int_eq(shmseg_is_current(old), 0);
	shmseg_detach(old);
	fprintf(stderr, "# replacer: %s", line);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

static int count(const char *name, const struct shmseg_stat *st, void *n)
{
	(void)name;
	(void)st;
	++*(unsigned long *)n;
	return 0;
}

/* Listing while two processes make and remove segments: never an error
 * (a name that vanishes between the directory and the open is skipped). */
START_TEST(list_while_segments_come_and_go)
{
	char name[2][TU_NAME_LEN], line[128];
	unsigned long seen = 0, lists = 0;
	int in[2], out[2], i, ret;
	uint64_t end;
	pid_t pid[2];

	for (i = 0; i < 2; i++) {
		tu_name(name[i], "come");
		pid[i] = start(&in[i], &out[i], "recreate", name[i], "4096");
	}
	end = tu_usec() + 1500000;
	while (tu_usec() < end) {
		ret = shmseg_list_flags(SHMSEG_LIST_ALL, count, &seen);
		ck_assert_msg(ret == 0, "shmseg_list: %s", shmseg_strerror(ret));
		lists++;
	}
	for (i = 0; i < 2; i++) {
		close(in[i]);
		tu_read(out[i], line, sizeof(line), true);
		close(out[i]);
		ck_assert_int_eq(tu_wait(pid[i]), 0);
		ck_assert_msg(strstr(line, "failed=0"), "%s", line);
		shmseg_unlink(name[i]);
	}
	fprintf(stderr, "# %lu lists, %lu entries seen\n", lists, seen);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("race");
	TCase *tc = tcase_create("race");

	tu_init();
	tcase_set_timeout(tc, 300);	/* many processes, under valgrind */
	tcase_add_test(tc, killed_creators_leave_stale_or_sealed_never_garbage);
	tcase_add_test(tc, racing_creators_one_wins);
	tcase_add_test(tc, readers_while_the_name_is_removed_and_made_again);
	tcase_add_test(tc, readers_never_miss_a_replaced_name);
	tcase_add_test(tc, list_while_segments_come_and_go);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
