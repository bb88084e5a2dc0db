/* SPDX-License-Identifier: MIT */
/* check_list.c - enumeration (lib/list.c, lib/os_linux.c) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "suite.h"

static char name[TU_NAME_LEN];

struct seen {
	const char *prefix;
	char names[16][TU_NAME_LEN];
	int states[16];
	int count;
	int stop_after;
};

static int collect(const char *n, const struct shmseg_stat *st, void *arg)
{
	struct seen *s = arg;

	if (strncmp(n, s->prefix, strlen(s->prefix)) != 0)
		return 0;
	ck_assert_int_lt(s->count, 16);
	snprintf(s->names[s->count], TU_NAME_LEN, "%s", n);
	s->states[s->count++] = st->state;
	return s->stop_after && s->count == s->stop_after ? 77 : 0;
}

static int state_of(const struct seen *s, const char *n)
{
	int i;

	for (i = 0; i < s->count; i++)
		if (strcmp(s->names[i], n) == 0)
			return s->states[i];
	return 0;
}

START_TEST(list_reports_ours_with_their_states)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	char sealed[TU_NAME_LEN + 16], building[TU_NAME_LEN + 16];
	char stale[TU_NAME_LEN + 16];
	char foreign[TU_NAME_LEN + 16], dir[TU_NAME_LEN + 16];
	char link[TU_NAME_LEN + 16], foreign2[TU_NAME_LEN + 16];
	char prefix[TU_NAME_LEN], path[TU_NAME_LEN + 16];
	char target[TU_NAME_LEN + 16];
	struct seen s = { 0 };
	struct shmseg *a, *b, *c;
	pid_t pid;
	int fd;

	/* Unique prefix for this test's names. */
	tu_name(prefix, "list");
	snprintf(sealed, sizeof(sealed), "%s-sealed", prefix);
	snprintf(building, sizeof(building), "%s-building", prefix);
	snprintf(stale, sizeof(stale), "%s-stale", prefix);
	snprintf(foreign, sizeof(foreign), "%s-foreign", prefix);
	snprintf(dir, sizeof(dir), "%s-dir", prefix);
	snprintf(link, sizeof(link), "%s-link", prefix);
	snprintf(foreign2, sizeof(foreign2), "%s-fifo", prefix);
	s.prefix = prefix;

	ck_assert_int_eq(shmseg_create(sealed, &l, 0, 0644, &a), 0);
	ck_assert_int_eq(shmseg_seal(a), 0);
	ck_assert_int_eq(shmseg_create(building, &l, 0, 0644, &b), 0);
	pid = fork();
	if (pid == 0)
		_exit(shmseg_create(stale, &l, 0, 0644, &c) ||
		      shmseg_detach(c) ? 1 : 0);
	ck_assert_int_eq(tu_wait(pid), 0);
	fd = shm_open(foreign, O_RDWR | O_CREAT | O_EXCL, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	close(fd);
	ck_assert_int_eq(mkdir(tu_path(path, dir), 0755), 0);
	/* a FIFO is neither opened for long nor reported */
	ck_assert_int_eq(mkfifo(tu_path(path, foreign2), 0666), 0);
	/* a link to a real segment is never followed */
	ck_assert_int_eq(symlink(tu_path(target, sealed),
				 tu_path(path, link)), 0);

	ck_assert_int_eq(shmseg_list(collect, &s), 0);
	ck_assert_int_eq(s.count, 3);
	ck_assert_int_eq(state_of(&s, sealed), SHMSEG_SEALED);
	ck_assert_int_eq(state_of(&s, building), SHMSEG_BUILDING);
	ck_assert_int_eq(state_of(&s, stale), SHMSEG_STALE);

	/* A non-zero return stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.prefix = prefix;
	s.stop_after = 2;
	ck_assert_int_eq(shmseg_list(collect, &s), 77);
	ck_assert_int_eq(s.count, 2);

	unlink(tu_path(path, link));
	unlink(tu_path(path, foreign2));
	rmdir(tu_path(path, dir));
	shmseg_detach(a);
	shmseg_detach(b);
}
END_TEST

static int count_all(const char *n, const struct shmseg_stat *st, void *arg)
{
	(void)n;
	(void)st;
	++*(int *)arg;
	return 0;
}

START_TEST(list_reports_running_out_of_descriptors)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	struct shmseg *a;
	struct rlimit rl;
	int fd, n = 0;

	/* One segment at least, so that an entry has to be opened. */
	tu_name(name, "emfile");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &a), 0);
	ck_assert_int_eq(shmseg_seal(a), 0);
	fd = dup(0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* No descriptor left for the directory... */
	rl.rlim_cur = (rlim_t)fd;
	rl.rlim_max = (rlim_t)fd + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getenv("LD_PRELOAD") &&
	    strstr(getenv("LD_PRELOAD"), "vgpreload")) {
		tu_skip("list_reports_running_out_of_descriptors",
			"valgrind keeps the descriptor limit to itself");
		shmseg_detach(a);
		return;
	}
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(shmseg_list(count_all, &n), -EMFILE);
	/* ...or just one, for the directory but not its entries. */
	rl.rlim_cur = (rlim_t)fd + 1;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	ck_assert_int_eq(shmseg_list(count_all, &n), -EMFILE);
	ck_assert_int_eq(n, 0);
	shmseg_detach(a);
}
END_TEST

START_TEST(list_needs_a_callback)
{
	ck_assert_int_eq(shmseg_list(NULL, NULL), -EINVAL);
}
END_TEST

START_TEST(list_skips_what_the_caller_cannot_read)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	char priv[TU_NAME_LEN + 16], pub[TU_NAME_LEN + 16];
	char prefix[TU_NAME_LEN];
	char *argv[] = { (char *)tu_helper(), "list", prefix, NULL };
	char out[1024], want[512];
	struct shmseg *a, *b;
	const char *why;

	if (!tu_can_run_as_nobody(&why)) {
		tu_skip("list_skips_what_the_caller_cannot_read", why);
		return;
	}
	tu_name(prefix, "perm");
	snprintf(priv, sizeof(priv), "%s-0600", prefix);
	snprintf(pub, sizeof(pub), "%s-0644", prefix);
	ck_assert_int_eq(shmseg_create(priv, &l, 0, 0600, &a), 0);
	ck_assert_int_eq(shmseg_seal(a), 0);
	ck_assert_int_eq(shmseg_create(pub, &l, 0, 0644, &b), 0);
	ck_assert_int_eq(shmseg_seal(b), 0);
	ck_assert_int_eq(tu_run(argv, true, NULL, out, sizeof(out)), 0);
	snprintf(want, sizeof(want), "%s %d\nrc=0\n", pub, SHMSEG_SEALED);
	ck_assert_str_eq(out, want);
	shmseg_detach(a);
	shmseg_detach(b);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("list");
	TCase *tc = tcase_create("list");

	tu_init();
	tcase_add_test(tc, list_reports_ours_with_their_states);
	tcase_add_test(tc, list_needs_a_callback);
	tcase_add_test(tc, list_reports_running_out_of_descriptors);
	tcase_add_test(tc, list_skips_what_the_caller_cannot_read);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
