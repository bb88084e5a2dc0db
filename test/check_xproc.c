/* SPDX-License-Identifier: MIT */
/* check_xproc.c - behaviour across unrelated processes: the reader is the
 * separate program test/helper, started by exec */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "suite.h"

static char name[TU_NAME_LEN];

/* Run the helper with arguments up to a NULL; returns its exit code (or
 * 128 + the signal that ended it). */
static int helper(bool as_nobody, char *out, size_t len, const char *cmd, ...)
{
	char *argv[8] = { (char *)tu_helper(), (char *)cmd };
	va_list ap;
	int st, i = 2;

	va_start(ap, cmd);
	while (i < 7 && (argv[i] = va_arg(ap, char *)))
		i++;
	va_end(ap);
	st = tu_run(argv, as_nobody, NULL, out, len);

	ck_assert_int_ne(st, -1);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* What the helper prints for a segment we hold. */
static void describe(struct shmseg *seg, char *buf, size_t len)
{
	int n = snprintf(buf, len, "rc=0");

	tu_describe(seg, buf + n, len - (size_t)n);
}

/* "rc=0 dtype=..." as the helper prints it after "hold": "after dtype=..." */
static const char *expect_after(const char *want, char *buf, size_t len)
{
	snprintf(buf, len, "after%s", want + strlen("rc=0"));
	return buf;
}

static const struct {
	const char *dtype, *order, *shape, *want;
} layouts[] = {
	{ "<f8", "C", "3x4", "dtype=<f8 ndim=2 shape=3,4 strides=32,8 " },
	{ ">i4", "F", "2x3x4", "dtype=>i4 ndim=3 shape=2,3,4 strides=4,8,24 " },
	{ "<u2", "S", "3x5", "dtype=<u2 ndim=2 shape=3,5 strides=12,2 " },
	{ "<c16", "C", "", "dtype=<c16 ndim=0 shape= strides= " },
	{ "|S5", "C", "7", "dtype=|S5 ndim=1 shape=7 strides=5 " },
};

START_TEST(exec_reader_sees_layout_and_data)
{
	char out[512], want[512];
	struct shmseg *mine;

	tu_name(name, "layout");
	ck_assert_int_eq(helper(false, out, sizeof(out), "make", name,
				layouts[_i].dtype, layouts[_i].order,
				layouts[_i].shape, NULL), 0);
	ck_assert_ptr_nonnull(strstr(out, layouts[_i].want));
	/* The exec'd reader and this process see the same bytes. */
	ck_assert_int_eq(shmseg_attach(name, 0, &mine), 0);
	describe(mine, want, sizeof(want));
	ck_assert_int_eq(helper(false, out, sizeof(out), "read", name, NULL,
				NULL, NULL), 0);
	ck_assert_str_eq(out, want);
	ck_assert_ptr_nonnull(strstr(out, layouts[_i].want));
	shmseg_detach(mine);
}
END_TEST

START_TEST(exec_reader_write_faults)
{
	char out[128];

	tu_name(name, "wfault");
	ck_assert_int_eq(helper(false, out, sizeof(out), "make", name, "<f8",
				"C", "16", NULL), 0);
	ck_assert_int_eq(helper(false, out, sizeof(out), "write", name, NULL,
				NULL, NULL), 42);
	ck_assert_str_eq(out, "attached\nsegv\n");
}
END_TEST

START_TEST(attach_wait_sees_a_later_create_and_seal)
{
	struct shmseg_layout l = tu_layout("<i8", 1, 1000ull);
	char *argv[] = { (char *)tu_helper(), "wait", name, "10000", NULL };
	char out[512], want[512];
	struct shmseg *seg;
	int in, fd;
	pid_t pid;

	tu_name(name, "wait");
	pid = tu_spawn(argv, false, &in, &fd);
	ck_assert_int_gt(pid, 0);
	usleep(100 * 1000);		/* the waiter sees no name yet */
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	usleep(100 * 1000);		/* ...then a building segment */
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	tu_read(fd, out, sizeof(out), false);
	close(in);
	close(fd);
	ck_assert_int_eq(tu_wait(pid), 0);
	describe(seg, want, sizeof(want));
	ck_assert_str_eq(out, want);
	shmseg_detach(seg);
}
END_TEST

START_TEST(another_process_fills_while_building)
{
	struct shmseg_layout l = tu_layout("<f8", 2, 100ull, 7ull);
	struct shmseg *seg;
	const double *d;
	char out[64];
	int i;

	tu_name(name, "fill");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(helper(false, out, sizeof(out), "fill", name, NULL),
			 0);
	ck_assert_str_eq(out, "rc=0\n");
	ck_assert_int_eq(shmseg_seal(seg), 0);
	d = shmseg_data(seg);
	for (i = 0; i < 700; i++)
		ck_assert_double_eq(d[i], i * 0.5);
	/* Once sealed, nobody attaches for writing any more. */
	ck_assert_int_eq(helper(false, out, sizeof(out), "fill", name, NULL),
			 1);
	ck_assert_int_eq(atoi(out + 3), -EPERM);
	shmseg_detach(seg);
}
END_TEST

START_TEST(attach_wait_times_out)
{
	char out[128], expect[32];

	tu_name(name, "timeout");
	ck_assert_int_eq(helper(false, out, sizeof(out), "wait", name, "200",
				NULL, NULL), 1);
	snprintf(expect, sizeof(expect), "rc=%d\n", -ETIMEDOUT);
	ck_assert_str_eq(out, expect);
}
END_TEST

START_TEST(unlink_while_exec_reader_is_attached)
{
	char *argv[] = { (char *)tu_helper(), "hold", name, NULL };
	char out[600], want[512], after[600];
	struct shmseg *seg;
	struct shmseg_stat st;
	int in, fd;
	pid_t pid;

	tu_name(name, "hold");
	ck_assert_int_eq(helper(false, out, sizeof(out), "make", name, "<f4",
				"C", "64x64", NULL), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	describe(seg, want, sizeof(want));
	pid = tu_spawn(argv, false, &in, &fd);
	ck_assert_int_gt(pid, 0);
	tu_read(fd, out, sizeof(out), true);
	ck_assert_str_eq(out, "rc=0\n");
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(write(in, "go\n", 3), 3);
	tu_read(fd, out, sizeof(out), false);
	close(in);
	close(fd);
	ck_assert_int_eq(tu_wait(pid), 0);
	/* Same layout and data after the name is gone. */
	ck_assert_str_eq(out, expect_after(want, after, sizeof(after)));
	shmseg_detach(seg);
}
END_TEST

START_TEST(creator_exit_before_seal_is_stale)
{
	char *argv[] = { (char *)tu_helper(), "build", name, NULL };
	struct shmseg_stat st;
	struct shmseg *seg;
	char out[64];
	int in, fd;
	pid_t pid;

	tu_name(name, "crash");
	pid = tu_spawn(argv, false, &in, &fd);
	ck_assert_int_gt(pid, 0);
	tu_read(fd, out, sizeof(out), true);
	ck_assert_str_eq(out, "rc=0\n");
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	ck_assert_int_eq(st.creator_pid, pid);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -EAGAIN);
	close(in);
	close(fd);
	ck_assert_int_eq(tu_wait(pid), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_STALE);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -EAGAIN);
}
END_TEST

START_TEST(another_uid_cannot_read_a_0600_segment)
{
	char out[128], expect[64];
	const char *why;

	if (!tu_can_run_as_nobody(&why)) {
		tu_skip("another_uid_cannot_read_a_0600_segment", why);
		return;
	}
	tu_name(name, "private");
	ck_assert_int_eq(helper(false, out, sizeof(out), "make", name, "<f8",
				"C", "8", "0600", NULL), 0);
	snprintf(expect, sizeof(expect), "rc=%d\n", -EACCES);
	ck_assert_int_eq(helper(true, out, sizeof(out), "read", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, expect);
	ck_assert_int_eq(helper(true, out, sizeof(out), "stat", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, expect);
	ck_assert_int_eq(helper(true, out, sizeof(out), "wait", name, "0",
				NULL, NULL), 1);
	ck_assert_str_eq(out, expect);
	/* Nor remove it: /dev/shm is sticky. glibc reports EACCES. */
	ck_assert_int_eq(helper(true, out, sizeof(out), "unlink", name, NULL),
			 1);
	ck_assert_str_eq(out, expect);
	/* The owner still can read it. */
	ck_assert_int_eq(helper(false, out, sizeof(out), "read", name, NULL,
				NULL, NULL), 0);
}
END_TEST

START_TEST(sealed_segment_cannot_be_opened_for_write_by_non_root)
{
	char *argv[] = { (char *)tu_helper(), "build", name, NULL };
	char out[256], eperm[64], eacces[64];
	const char *why;
	int in, fd;
	pid_t pid;

	if (!tu_can_run_as_nobody(&why)) {
		tu_skip("sealed_segment_cannot_be_opened_for_write_by_non_root",
			why);
		return;
	}
	snprintf(eperm, sizeof(eperm), "rc=%d\n", -EPERM);
	snprintf(eacces, sizeof(eacces), "rc=%d\n", -EACCES);
	/* Made by root, 0666, sealed: others may read, not write. */
	tu_name(name, "ro-root");
	ck_assert_int_eq(helper(false, out, sizeof(out), "make", name, "<f8",
				"C", "8", "0666", NULL), 0);
	ck_assert_int_eq(helper(true, out, sizeof(out), "read", name, NULL,
				NULL, NULL), 0);
	ck_assert_int_eq(helper(true, out, sizeof(out), "rdwr", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, eperm);
	/* Made by nobody itself: after the seal not even its owner may. */
	tu_name(name, "ro-owner");
	ck_assert_int_eq(helper(true, out, sizeof(out), "make", name, "<f8",
				"C", "8", "0644", NULL), 0);
	ck_assert_int_eq(helper(true, out, sizeof(out), "rdwr", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, eperm);
	ck_assert_int_eq(helper(true, out, sizeof(out), "stat", name, NULL,
				NULL, NULL), 0);
	ck_assert_str_eq(out, "rc=0 state=2 mode=444\n");
	/* Root may open it, but the library still refuses a sealed one. */
	ck_assert_int_eq(helper(false, out, sizeof(out), "rdwr", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, eperm);
	/* Still building, but 0644: the permission bits say no. */
	tu_name(name, "rw-building");
	pid = tu_spawn(argv, false, &in, &fd);
	ck_assert_int_gt(pid, 0);
	tu_read(fd, out, sizeof(out), true);
	ck_assert_str_eq(out, "rc=0\n");
	ck_assert_int_eq(helper(true, out, sizeof(out), "rdwr", name, NULL,
				NULL, NULL), 1);
	ck_assert_str_eq(out, eacces);
	close(in);
	close(fd);
	ck_assert_int_eq(tu_wait(pid), 0);
}
END_TEST

START_TEST(segment_over_4gib_crosses_processes)
{
	/* 5 GiB, sparse: only the pages written use memory. */
	struct shmseg_layout l = tu_layout("|u1", 1, 5ull << 30);
	uint64_t far = (4ull << 30) + 12345;
	char out[64], off[32];
	struct shmseg *seg;
	unsigned char *d;

	tu_name(name, "big");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg),
			 0);
	ck_assert_uint_eq(shmseg_nbytes(seg), 5ull << 30);
	d = shmseg_data(seg);
	d[far] = 0xa5;
	d[(5ull << 30) - 1] = 0x5a;
	ck_assert_int_eq(shmseg_seal(seg), 0);
	snprintf(off, sizeof(off), "%" PRIu64, far);
	ck_assert_int_eq(helper(false, out, sizeof(out), "peek", name, off,
				NULL, NULL), 0);
	ck_assert_str_eq(out, "rc=0 byte=165\n");
	snprintf(off, sizeof(off), "%" PRIu64, (uint64_t)(5ull << 30) - 1);
	ck_assert_int_eq(helper(false, out, sizeof(out), "peek", name, off,
				NULL, NULL), 0);
	ck_assert_str_eq(out, "rc=0 byte=90\n");
	shmseg_detach(seg);
}
END_TEST

START_TEST(full_dev_shm_is_enospc_at_create)
{
	/* In a private mount namespace, a 1 MiB tmpfs on /dev/shm. Only
	 * /dev/shm is made private, which also works inside a chroot; the
	 * new mount then cannot propagate back to the real /dev/shm. */
	char script[1024], out[512], expect[64], why[600];
	char *argv[] = { "unshare", "--mount", "--propagation", "unchanged",
			 "sh", "-c", script, NULL };
	int st;

	tu_name(name, "enospc");
	snprintf(script, sizeof(script),
		 "exec 2>&1; { mount --make-rprivate / 2>/dev/null ||"
		 " mount --make-private /dev/shm; } &&"
		 " mount -t tmpfs -o size=1m shmseg-test /dev/shm || exit 0;"
		 " echo mounted; exec '%s' enospc %s 4194304", tu_helper(),
		 name);
	st = tu_run(argv, false, NULL, out, sizeof(out));
	if (st < 0 || strncmp(out, "mounted\n", 8) != 0) {
		snprintf(why, sizeof(why), "needs root and a private mount "
			 "namespace for /dev/shm: %s",
			 st < 0 ? "cannot run unshare" : strtok(out, "\n"));
		tu_skip("full_dev_shm_is_enospc_at_create", why);
		return;
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(expect, sizeof(expect), "mounted\nrc=%d left=0\n", -ENOSPC);
	ck_assert_str_eq(out, expect);
}
END_TEST

/* shmseg(3) SECURITY: a name taken first by another user (uid 65534, the
 * exec'd helper) is told apart by the owner of what was attached, with
 * the manual's code as printed there; the producer's own segment (_i 1)
 * passes the same code. */
START_TEST(squatted_name_is_refused_by_owner)
{
	uid_t producer_uid = getuid();
	int timeout_ms = 10000, err;
	struct shmseg_stat st;
	struct shmseg *seg;
	char out[256];
	const char *why;

	if (!tu_can_run_as_nobody(&why)) {
		tu_skip("squatted_name_is_refused_by_owner", why);
		return;
	}
	tu_name(name, "squat");
	ck_assert_int_eq(helper(_i == 0, out, sizeof(out), "make", name, "<f8",
				"C", "8", "0644", NULL), 0);

	/* shmseg(3) SECURITY, word for word */
	err = shmseg_attach_wait(name, 0, timeout_ms, &seg);
	if (!err && (shmseg_fstat(seg, &st) || st.uid != producer_uid)) {
		shmseg_detach(seg);	/* not the producer's: refuse */
		err = -EPERM;
	}

	ck_assert_int_eq(err, (_i == 0 ? -EPERM : 0));
	ck_assert_uint_eq(st.uid, (_i == 0 ? 65534 : producer_uid));
	if (!err)
		shmseg_detach(seg);
}
END_TEST

/* The owner shmseg_fstat() gives is that of the object held, not of what
 * the name holds now: the squatter's segment stays the squatter's after
 * the producer has put its own under the name. */
START_TEST(fstat_owner_is_of_the_object_held)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 8ull);
	struct shmseg_stat held, named;
	struct shmseg *seg, *mine;
	char out[256];
	const char *why;

	if (!tu_can_run_as_nobody(&why)) {
		tu_skip("fstat_owner_is_of_the_object_held", why);
		return;
	}
	tu_name(name, "squat-held");
	ck_assert_int_eq(helper(true, out, sizeof(out), "make", name, "<f8",
				"C", "8", "0644", NULL), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &mine), 0);
	ck_assert_int_eq(shmseg_seal(mine), 0);
	ck_assert_int_eq(shmseg_fstat(seg, &held), 0);
	ck_assert_int_eq(shmseg_stat(name, &named), 0);
	ck_assert_uint_eq(held.uid, 65534);
	ck_assert_uint_eq(named.uid, getuid());
	shmseg_detach(mine);
	shmseg_detach(seg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("xproc");
	TCase *tc = tcase_create("xproc");

	tu_init();
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, exec_reader_sees_layout_and_data, 0,
			    (int)(sizeof(layouts) / sizeof(layouts[0])));
	tcase_add_test(tc, exec_reader_write_faults);
	tcase_add_test(tc, attach_wait_sees_a_later_create_and_seal);
	tcase_add_test(tc, attach_wait_times_out);
	tcase_add_test(tc, another_process_fills_while_building);
	tcase_add_test(tc, unlink_while_exec_reader_is_attached);
	tcase_add_test(tc, creator_exit_before_seal_is_stale);
	tcase_add_test(tc, another_uid_cannot_read_a_0600_segment);
	tcase_add_test(tc, sealed_segment_cannot_be_opened_for_write_by_non_root);
	tcase_add_test(tc, segment_over_4gib_crosses_processes);
	tcase_add_test(tc, full_dev_shm_is_enospc_at_create);
	tcase_add_loop_test(tc, squatted_name_is_refused_by_owner, 0, 2);
	tcase_add_test(tc, fstat_owner_is_of_the_object_held);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
