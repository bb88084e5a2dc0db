/* SPDX-License-Identifier: MIT */
/* check_segment.c - lifecycle, access and validation (lib/segment.c) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "header.h"
#include "suite.h"

static char name[TU_NAME_LEN];

/* The header size creators use here: a page, at least 4096 bytes. */
static uint64_t page_or_4k(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 4096 ? (uint64_t)page : 4096;
}

/* A sealed C-order float64 3x4 segment holding 0.0, 0.5, ... */
static struct shmseg *make_sealed(const char *tag, mode_t mode)
{
	struct shmseg_layout l = tu_layout("<f8", 2, 3ull, 4ull);
	struct shmseg *seg;

	tu_name(name, tag);
	ck_assert_int_eq(shmseg_create(name, &l, 0, mode, &seg), 0);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	return seg;
}

/* Write bytes into the object through /dev/shm, as a corrupter would. */
static void poke(const char *obj, off_t off, const void *bytes, size_t len)
{
	char path[TU_NAME_LEN + 16];
	int fd;

	/* Owners may give themselves write permission back. */
	ck_assert_int_eq(chmod(tu_path(path, obj), 0644), 0);
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

static void peek(const char *obj, off_t off, void *bytes, size_t len)
{
	char path[TU_NAME_LEN + 16];
	int fd = open(tu_path(path, obj), O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, bytes, len, off), (ssize_t)len);
	close(fd);
}

START_TEST(create_fill_seal_attach_reads_the_data)
{
	struct shmseg *seg = make_sealed("rt", 0644), *r;
	const struct shmseg_layout *l;
	const double *d;
	int i;

	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	l = shmseg_layout(r);
	ck_assert_int_eq(l->dtype.kind, 'f');
	ck_assert_int_eq(l->dtype.byteorder, '<');
	ck_assert_uint_eq(l->dtype.itemsize, 8);
	ck_assert_uint_eq(l->ndim, 2);
	ck_assert_uint_eq(l->shape[0], 3);
	ck_assert_uint_eq(l->shape[1], 4);
	ck_assert_int_eq(l->strides[0], 32);
	ck_assert_int_eq(l->strides[1], 8);
	ck_assert_uint_eq(shmseg_nbytes(r), 96);
	d = shmseg_data(r);
	/* page-aligned data */
	ck_assert_uint_eq((uintptr_t)d % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
	for (i = 0; i < 12; i++)
		ck_assert_double_eq(d[i], i * 0.5);
	/* Reader and creator see the same memory. */
	ck_assert_int_eq(memcmp(shmseg_data(seg), d, 96), 0);
	ck_assert_int_eq(shmseg_detach(r), 0);
	ck_assert_int_eq(shmseg_detach(seg), 0);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

START_TEST(fortran_flag_gives_column_major_strides)
{
	struct shmseg_layout l = tu_layout("<i2", 3, 2ull, 3ull, 4ull);
	struct shmseg *seg;

	tu_name(name, "fortran");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_FORTRAN, 0600, &seg),
			 0);
	ck_assert_int_eq(shmseg_layout(seg)->strides[0], 2);
	ck_assert_int_eq(shmseg_layout(seg)->strides[1], 4);
	ck_assert_int_eq(shmseg_layout(seg)->strides[2], 12);
	ck_assert_uint_eq(shmseg_nbytes(seg), 48);
	ck_assert_int_eq(shmseg_detach(seg), 0);
}
END_TEST

START_TEST(explicit_strides_are_kept)
{
	struct shmseg_layout l = tu_layout("<f4", 2, 3ull, 4ull);
	struct shmseg *seg, *r;

	l.strides[0] = 20;
	l.strides[1] = 4;
	tu_name(name, "strided");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_uint_eq(shmseg_nbytes(seg), 56);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_int_eq(shmseg_layout(r)->strides[0], 20);
	ck_assert_int_eq(shmseg_layout(r)->strides[1], 4);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

START_TEST(scalar_and_empty_arrays_work)
{
	struct shmseg_layout l = tu_layout("<c16", 0);
	struct shmseg *seg, *r;

	tu_name(name, "scalar");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_uint_eq(shmseg_nbytes(seg), 16);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_uint_eq(shmseg_layout(r)->ndim, 0);
	shmseg_detach(r);
	shmseg_detach(seg);

	l = tu_layout("|u1", 2, 0ull, 7ull);
	tu_name(name, "empty");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_uint_eq(shmseg_nbytes(seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_uint_eq(shmseg_nbytes(r), 0);
	ck_assert_ptr_nonnull(shmseg_data(r));
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

/* SHMSEG_REPLACE: the new segment is nameless until its seal, which moves
 * it over the sealed segment that has the name; the old one stays whole
 * for those who hold it, and is no longer current. */
START_TEST(replace_takes_the_name_over_at_the_seal)
{
	struct shmseg_layout l = tu_layout("<u8", 1, 512ull);
	struct shmseg *v1, *v2, *rd;
	struct shmseg_stat st1, st2, now;

	tu_name(name, "replace");
	/* nothing has the name: the seal gives it */
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600, &v1), 0);
	ck_assert_int_eq(shmseg_stat(name, &now), -ENOENT);
	tu_fill_own(v1);
	ck_assert_int_eq(shmseg_seal(v1), 0);
	ck_assert_int_eq(shmseg_fstat(v1, &st1), 0);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600, &v2), 0);
	tu_fill_own(v2);
	/* until the seal, the name is the old one's */
	ck_assert_int_eq(shmseg_stat(name, &now), 0);
	ck_assert_mem_eq(now.uuid, st1.uuid, 16);
	ck_assert_int_eq(shmseg_seal(v2), 0);
	ck_assert_int_eq(shmseg_fstat(v2, &st2), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &rd), 0);
	ck_assert_int_eq(shmseg_fstat(rd, &now), 0);
	ck_assert_mem_eq(now.uuid, st2.uuid, 16);
	ck_assert(tu_check_own(rd));
	ck_assert(tu_check_own(v1));
	ck_assert_int_eq(shmseg_is_current(v1), 0);
	ck_assert_int_eq(shmseg_is_current(v2), 1);
	shmseg_detach(rd);
	shmseg_detach(v1);
	shmseg_detach(v2);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

/* What may not be replaced: a segment still building (-EAGAIN), what is
 * no segment (-EBADMSG), another user's (-EPERM); refused at the create,
 * and at the seal if the name changed hands meanwhile, leaving the name
 * to what has it. */
START_TEST(replace_refuses_what_it_may_not_replace)
{
	struct shmseg_layout l = tu_layout("<u8", 1, 512ull);
	struct shmseg *b, *r;
	struct shmseg_stat st;
	char path[TU_NAME_LEN + 16];
	int fd;

	tu_name(name, "noreplace");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &b), 0);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600, &r),
			 -EAGAIN);
	ck_assert_int_eq(shmseg_seal(b), 0);
	shmseg_detach(b);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600, &r), 0);
	/* meanwhile the name goes to a segment that is building */
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &b), 0);
	ck_assert_int_eq(shmseg_seal(r), -EAGAIN);
	ck_assert_int_eq(shmseg_is_current(r), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	shmseg_detach(r);
	shmseg_detach(b);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	/* a file that is no segment */
	fd = open(tu_path(path, name), O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not a segment", 13), 13);
	close(fd);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600, &r),
			 -EBADMSG);
	unlink(path);
	/* another user's sealed segment */
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &b), 0);
	ck_assert_int_eq(shmseg_seal(b), 0);
	shmseg_detach(b);
	if (geteuid() != 0) {
		tu_skip("replace_refuses_what_it_may_not_replace",
			"needs root to give a segment to another user");
	} else {
		ck_assert_int_eq(chown(tu_path(path, name), 65534, 65534), 0);
		ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_REPLACE, 0600,
					       &r), -EPERM);
		ck_assert_int_eq(shmseg_stat(name, &st), 0);
		ck_assert_int_eq(st.uid, 65534);
	}
	ck_assert_int_eq(shmseg_unlink(name), 0);
	/* flags an import does not take */
	ck_assert_int_eq(shmseg_npy_import_flags(name, 0, SHMSEG_HIDDEN, 0600,
						 NULL, NULL, 0), -EINVAL);
}
END_TEST

START_TEST(create_of_existing_name_is_eexist_and_leaves_it_alone)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 5ull);
	struct shmseg *seg = make_sealed("exists", 0644), *again = NULL;
	struct shmseg_stat before, after;

	ck_assert_int_eq(shmseg_stat(name, &before), 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &again), -EEXIST);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &again),
			 -EEXIST);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(shmseg_stat(name, &after), 0);
	ck_assert_mem_eq(before.uuid, after.uuid, 16);
	ck_assert_uint_eq(after.nbytes, 96);
	shmseg_detach(seg);
}
END_TEST

START_TEST(missing_name_is_enoent)
{
	struct shmseg_stat st;
	struct shmseg *seg;

	tu_name(name, "missing");
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -ENOENT);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &seg), -ENOENT);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(shmseg_unlink(name), -ENOENT);
}
END_TEST

START_TEST(building_segment_is_eagain_for_readers)
{
	struct shmseg_layout l = tu_layout("<u4", 1, 10ull);
	struct shmseg *seg, *r = NULL, *w;
	struct shmseg_stat st;
	uint32_t *data;

	tu_name(name, "building");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EAGAIN);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, 0, &r), -ETIMEDOUT);
	/* A second writer may help fill while it builds. */
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &w), 0);
	data = shmseg_data(w);
	data[9] = 0xdeadbeef;
	ck_assert_uint_eq(((uint32_t *)shmseg_data(seg))[9], 0xdeadbeef);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	/* Sealed by the creator: the helper's seal is late, and its view
	 * is read-only from then on too, with the mode as it now is. */
	ck_assert_int_eq(shmseg_seal(w), -EALREADY);
	ck_assert_int_eq(shmseg_seal(w), -EALREADY);
	ck_assert_int_eq(shmseg_fstat(w, &st), 0);
	ck_assert_uint_eq(st.mode, 0400);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_int_eq(shmseg_detach(w), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_uint_eq(((uint32_t *)shmseg_data(r))[9], 0xdeadbeef);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

START_TEST(rdwr_attach_of_sealed_segment_is_eperm)
{
	struct shmseg *seg = make_sealed("rdwr", 0644), *w = NULL;

	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &w), -EPERM);
	ck_assert_ptr_null(w);
	shmseg_detach(seg);
}
END_TEST

START_TEST(seal_twice_is_ealready)
{
	struct shmseg *seg = make_sealed("twice", 0644), *r;

	ck_assert_int_eq(shmseg_seal(seg), -EALREADY);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_int_eq(shmseg_seal(r), -EALREADY);
	ck_assert_int_eq(shmseg_seal(NULL), -EINVAL);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

START_TEST(seal_removes_write_bits_and_keeps_the_rest)
{
	struct shmseg *seg = make_sealed("mode", 0664);
	struct shmseg_stat st;
	char path[TU_NAME_LEN + 16];
	struct stat sb;

	ck_assert_int_eq(stat(tu_path(path, name), &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0444);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_uint_eq(st.mode, 0444);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	shmseg_detach(seg);
}
END_TEST

START_TEST(mode_is_exact_whatever_the_umask)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 1ull);
	char path[TU_NAME_LEN + 16];
	struct shmseg *seg;
	struct stat sb;

	umask(077);
	tu_name(name, "umask");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	ck_assert_int_eq(stat(tu_path(path, name), &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0644);
	shmseg_detach(seg);
}
END_TEST

/* Handles of the tests that end in SIGSEGV: reachable, not leaked. */
static struct shmseg *volatile faulting[2];

START_TEST(creator_view_is_read_only_after_seal)
{
	struct shmseg *seg = faulting[0] = make_sealed("rofault", 0644);

	/* Runs in Check's child: the write must raise SIGSEGV, plainly,
	 * not through a sanitizer's handler. */
	signal(SIGSEGV, SIG_DFL);
	((volatile double *)shmseg_data(seg))[0] = 1.0;
}
END_TEST

START_TEST(reader_view_is_read_only)
{
	struct shmseg *seg = faulting[0] = make_sealed("rofault2", 0644), *r;

	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	faulting[1] = r;
	signal(SIGSEGV, SIG_DFL);
	((volatile double *)shmseg_data(r))[0] = 1.0;
	shmseg_detach(seg);
}
END_TEST

START_TEST(bad_arguments_are_einval)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	struct shmseg_stat st;
	struct shmseg *seg;

	tu_name(name, "args");
	ck_assert_int_eq(shmseg_create(name, NULL, 0, 0600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, 0x40, 0600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_RDWR, 0600, &seg),
			 -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 01600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 04600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_attach(name, 0x1, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_attach(name, 0, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, -2, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_stat(name, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_fstat(NULL, &st), -EINVAL);
	ck_assert_int_eq(shmseg_detach(NULL), 0);
	ck_assert_ptr_null(shmseg_data(NULL));
	ck_assert_ptr_null(shmseg_layout(NULL));
	ck_assert_uint_eq(shmseg_nbytes(NULL), 0);
	/* None of this left an object behind. */
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
}
END_TEST

START_TEST(bad_layouts_fail_and_leave_nothing)
{
	struct shmseg_layout l;
	struct shmseg_stat st;
	struct shmseg *seg;

	tu_name(name, "badlayout");
	l = tu_layout("<f8", 1, 4ull);
	l.ndim = 33;
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -EINVAL);
	l = tu_layout("<f8", 1, 4ull);
	l.dtype.itemsize = 0;
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -EINVAL);
	l = tu_layout("<f8", 1, 4ull);
	l.dtype.kind = 'O';
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -EINVAL);
	l = tu_layout("<f8", 2, 4ull, 4ull);
	l.strides[0] = -32;
	l.strides[1] = 8;
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -EINVAL);
	l.strides[0] = 32;
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_FORTRAN, 0600, &seg),
			 -EINVAL);
	l = tu_layout("<f8", 3, 1ull << 30, 1ull << 30, 1ull << 3);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg),
			 -EOVERFLOW);
	/* fits in int64 as data, but not once the header is added */
	l = tu_layout("|u1", 1, (uint64_t)INT64_MAX);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg),
			 -EOVERFLOW);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
}
END_TEST

START_TEST(stat_and_fstat_describe_the_segment)
{
	struct shmseg_layout l = tu_layout(">i8", 2, 5ull, 6ull);
	struct shmseg_stat st, fst;
	struct timespec now;
	struct shmseg *seg;

	tu_name(name, "stat");
	clock_gettime(CLOCK_REALTIME, &now);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_FORTRAN, 0640, &seg),
			 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	ck_assert_uint_eq(st.nbytes, 240);
	ck_assert_uint_eq(st.size, page_or_4k() + 240);
	ck_assert_uint_eq(st.mode, 0640);
	ck_assert_uint_eq(st.uid, geteuid());
	ck_assert_uint_eq(st.gid, getegid());
	ck_assert_int_eq(st.creator_pid, getpid());
	ck_assert_int_le(llabs((long long)(st.created.tv_sec - now.tv_sec)), 5);
	ck_assert_int_eq(st.layout.dtype.byteorder, '>');
	ck_assert_int_eq(st.layout.strides[1], 40);
	ck_assert_int_eq(shmseg_fstat(seg, &fst), 0);
	ck_assert_mem_eq(fst.uuid, st.uuid, 16);
	ck_assert_mem_eq(&fst.layout, &st.layout, sizeof(st.layout));
	ck_assert_int_eq(fst.state, SHMSEG_BUILDING);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_uint_eq(st.mode, 0440);
	ck_assert_int_eq(shmseg_fstat(seg, &fst), 0);
	ck_assert_int_eq(fst.state, SHMSEG_SEALED);
	ck_assert_uint_eq(fst.mode, 0440);
	shmseg_detach(seg);
}
END_TEST

START_TEST(uuids_differ_between_segments)
{
	struct shmseg *a = make_sealed("uuid", 0600), *b;
	struct shmseg_stat sa, sb;
	static const unsigned char zero[16];

	b = make_sealed("uuid", 0600);
	ck_assert_int_eq(shmseg_fstat(a, &sa), 0);
	ck_assert_int_eq(shmseg_fstat(b, &sb), 0);
	ck_assert_int_ne(memcmp(sa.uuid, sb.uuid, 16), 0);
	ck_assert_int_ne(memcmp(sa.uuid, zero, 16), 0);
	shmseg_detach(a);
	shmseg_detach(b);
}
END_TEST

START_TEST(dead_creator_makes_a_stale_segment)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 10ull);
	struct shmseg_stat st;
	struct shmseg *seg;
	pid_t pid;

	tu_name(name, "stale");
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		/* detach does not seal: the segment stays building */
		_exit(shmseg_create(name, &l, 0, 0600, &seg) ||
		      shmseg_detach(seg) ? 1 : 0);
	ck_assert_int_eq(tu_wait(pid), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_STALE);
	ck_assert_int_eq(st.creator_pid, pid);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -EAGAIN);
}
END_TEST

/* Whether a building segment is stale is the creator's lock, never its
 * pid: a header naming a dead pid, another start time or another pid
 * namespace changes nothing while the handle lives; once it is gone the
 * segment is stale whatever the header says. */
START_TEST(liveness_is_the_lock_not_the_pid)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 10ull);
	struct shmseg_stat st;
	struct shmseg *seg;
	char head[HDR_MIN];
	struct hdr h;
	pid_t pid;

	tu_name(name, "alive");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);

	pid = fork();
	if (pid == 0)
		_exit(0);
	tu_wait(pid);
	peek(name, 0, head, sizeof(head));
	ck_assert_int_eq(hdr_decode(head, sizeof(head), &h), 0);
	h.pid = (uint64_t)pid;		/* dead */
	h.pid_start += 1;
	ck_assert_int_eq(hdr_encode(&h, head, sizeof(head)), 0);
	poke(name, 0, head, sizeof(head));
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	h.pid_ns += 1;
	ck_assert_int_eq(hdr_encode(&h, head, sizeof(head)), 0);
	poke(name, 0, head, sizeof(head));
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);

	/* Our own pid, alive, but the handle gone: stale. */
	h.pid = (uint64_t)getpid();
	h.pid_ns -= 1;
	ck_assert_int_eq(hdr_encode(&h, head, sizeof(head)), 0);
	poke(name, 0, head, sizeof(head));
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_STALE);
}
END_TEST

/* A reader, with read permission only, cannot make a dead creator's
 * segment look alive: read locks anywhere, OFD or classic, count for
 * nothing, and a write lock needs a descriptor open for writing. */
START_TEST(readers_locks_do_not_fake_a_live_creator)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 10ull);
	struct flock rd0 = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			     .l_start = 0, .l_len = 1 };
	struct flock rdall = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	struct flock rdfar = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			       .l_start = (off_t)1 << 62, .l_len = 0 };
	struct flock wr = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = (off_t)1 << 62, .l_len = 1 };
	char path[TU_NAME_LEN + 16];
	struct shmseg_stat st;
	struct shmseg *seg;
	int fd, classic;

	tu_name(name, "fake");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	shmseg_detach(seg);
	fd = open(tu_path(path, name), O_RDONLY);
	classic = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ge(classic, 0);
	ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &rd0), 0);
	ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &rdfar), 0);
	ck_assert_int_eq(fcntl(classic, F_SETLK, &rdall), 0);
	ck_assert_int_eq(fcntl(fd, F_OFD_SETLK, &wr), -1);
	ck_assert_int_eq(errno, EBADF);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_STALE);
	close(classic);
	close(fd);
}
END_TEST

/* A writer attached read-write keeps a segment alive too: it may seal. */
START_TEST(rdwr_attacher_keeps_a_segment_alive)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 10ull);
	struct shmseg_stat st;
	struct shmseg *seg, *w;

	tu_name(name, "alive");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &w), 0);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	ck_assert_int_eq(shmseg_seal(w), 0);
	shmseg_detach(w);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
}
END_TEST

/* Its name removed while it was built, a segment is not sealed: -EIDRM,
 * and nothing changes, so the caller knows it published nothing. */
START_TEST(seal_after_the_name_was_removed_is_eidrm)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	struct shmseg_stat st;
	struct shmseg *seg;

	tu_name(name, "idrm");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_seal(seg), -EIDRM);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	ck_assert_uint_eq(st.mode, 0644);
	((double *)shmseg_data(seg))[0] = 1.0;	/* still writable */
	ck_assert_int_eq(shmseg_seal(seg), -EIDRM);
	shmseg_detach(seg);
}
END_TEST

/* Every byte of the header of a real segment, changed through /dev/shm,
 * makes attach and stat refuse the segment. */
START_TEST(corrupt_header_bytes_are_refused)
{
	struct shmseg *seg = make_sealed("corrupt", 0644), *r;
	unsigned char orig[HDR_MIN], bad;
	struct shmseg_stat st;
	size_t i;
	int ret;

	peek(name, 0, orig, sizeof(orig));
	for (i = 0; i < HDR_MIN; i++) {
		bad = orig[i] ^ 0x04;
		poke(name, (off_t)i, &bad, 1);
		ret = shmseg_attach(name, 0, &r);
		ck_assert_msg(ret == -EBADMSG || ret == -ENOTSUP,
			      "byte %zu: %d", i, ret);
		/* Stat reads only the first HDR_PEEK bytes when they hold
		 * the control block: padding past them goes unseen. */
		ck_assert_int_eq(shmseg_stat(name, &st),
				 i < HDR_PEEK ? ret : 0);
		poke(name, (off_t)i, &orig[i], 1);
	}
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

/* Threads attaching a large segment at once race for the one address
 * map_aligned() hints at: each still gets an aligned mapping of its own,
 * with the right data. */
static void *attach_large_loop(void *arg)
{
	const uint64_t n = 512ull << 20;
	struct shmseg *r;
	const unsigned char *d;
	int i;

	for (i = 0; i < 200; i++) {
		if (shmseg_attach(arg, 0, &r) != 0)
			return "attach failed";
		d = shmseg_data(r);
		if (d[n - 1] != 0xa5 ||
		    ((uintptr_t)d - page_or_4k()) % (1u << 30) != 0) {
			shmseg_detach(r);
			return "wrong data or not aligned";
		}
		shmseg_detach(r);
	}
	return NULL;
}

START_TEST(threads_attach_a_large_segment)
{
	const uint64_t n = 512ull << 20;
	struct shmseg_layout l = tu_layout("|u1", 1, n);
	struct shmseg *seg;
	pthread_t t[4];
	void *ret;
	int i;

	tu_name(name, "bigthreads");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg), 0);
	((unsigned char *)shmseg_data(seg))[n - 1] = 0xa5;
	ck_assert_int_eq(shmseg_seal(seg), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, attach_large_loop,
						name), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_msg(!ret, "%s", (char *)ret);
	}
	shmseg_detach(seg);
}
END_TEST

/* A control block longer than HDR_PEEK: stat reads the whole header. */
START_TEST(stat_of_a_32_dimension_segment)
{
	struct shmseg_layout l = tu_layout("<u2", 1, 1ull);
	struct shmseg_stat st;
	struct shmseg *seg;
	unsigned i;

	l.ndim = SHMSEG_MAX_NDIM;
	for (i = 0; i < l.ndim; i++)
		l.shape[i] = i == 0 ? 3 : 1;
	tu_name(name, "ndim32");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_uint_eq(st.layout.ndim, SHMSEG_MAX_NDIM);
	ck_assert_uint_eq(st.layout.shape[0], 3);
	ck_assert_uint_eq(st.layout.strides[0], 2);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	shmseg_detach(seg);
}
END_TEST

START_TEST(truncated_or_extended_object_is_ebadmsg)
{
	static const off_t sizes[] = { 0, 9, 100, 4095, 4096, 4096 + 95,
				       4096 + 97, 8192 };
	struct shmseg *seg = make_sealed("trunc", 0644), *r;
	char path[TU_NAME_LEN + 16];
	struct shmseg_stat st;
	size_t i;

	tu_path(path, name);
	ck_assert_int_eq(chmod(path, 0644), 0);
	shmseg_detach(seg);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ck_assert_int_eq(truncate(path, sizes[i]), 0);
		ck_assert_msg(shmseg_attach(name, 0, &r) == -EBADMSG,
			      "size %lld", (long long)sizes[i]);
		ck_assert_int_eq(shmseg_stat(name, &st), -EBADMSG);
	}
}
END_TEST

START_TEST(foreign_objects_are_ebadmsg)
{
	static const char npy[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', "
		"'fortran_order': False, 'shape': (3,), }";
	char path[TU_NAME_LEN + 16], junk[8192];
	struct shmseg_stat st;
	struct shmseg *r;
	int fd;

	/* an empty object, as a crashed foreign creator leaves */
	tu_name(name, "foreign");
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBADMSG);
	/* a plain .npy file copied into /dev/shm */
	memset(junk, ' ', sizeof(junk));
	memcpy(junk, npy, sizeof(npy) - 1);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 0), sizeof(junk));
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_stat(name, &st), -EBADMSG);
	close(fd);
	/* a directory */
	tu_name(name, "dir");
	ck_assert_int_eq(mkdir(tu_path(path, name), 0700), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_stat(name, &st), -EBADMSG);
	ck_assert_int_eq(rmdir(path), 0);
}
END_TEST

START_TEST(fifo_under_the_name_is_ebadmsg_not_a_hang)
{
	char path[TU_NAME_LEN + 16];
	struct shmseg_stat st;
	struct shmseg *r;

	/* Anyone may plant a FIFO in /dev/shm; opening one must not block. */
	tu_name(name, "fifo");
	ck_assert_int_eq(mkfifo(tu_path(path, name), 0666), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_stat(name, &st), -EBADMSG);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, 1000, &r), -EBADMSG);
	ck_assert_int_eq(unlink(path), 0);
}
END_TEST

START_TEST(seal_of_an_overwritten_state_is_ebadmsg_and_changes_nothing)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	char path[TU_NAME_LEN + 16], *state;
	struct shmseg *seg;
	struct stat sb;

	tu_name(name, "badstate");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	/* The creator's mapping includes the header: scribble on it. */
	state = (char *)shmseg_data(seg) - HDR_MIN + HDR_STATE_OFF;
	ck_assert_int_eq(memcmp(state, "BLDG", 4), 0);
	memcpy(state, "XXXX", 4);
	ck_assert_int_eq(shmseg_seal(seg), -EBADMSG);
	ck_assert_int_eq(stat(tu_path(path, name), &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 07777, 0644);
	/* The view is still writable: nothing changed. */
	((double *)shmseg_data(seg))[0] = 1.0;
	memcpy(state, "BLDG", 4);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	shmseg_detach(seg);
}
END_TEST

START_TEST(hidden_segment_gets_its_name_at_seal)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	struct shmseg_stat st;
	struct shmseg *seg, *r, *other;
	pid_t pid;

	tu_name(name, "hidden");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0644, &seg),
			 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &r), -ENOENT);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);
	tu_fill(seg);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_double_eq(((double *)shmseg_data(r))[3], 1.5);
	shmseg_detach(r);
	shmseg_detach(seg);

	/* Detached, or dead, before the seal: nothing is left. */
	tu_name(name, "hidden-gone");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0644, &seg),
			 0);
	ck_assert_int_eq(shmseg_detach(seg), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	pid = fork();
	if (pid == 0)
		_exit(shmseg_create(name, &l, SHMSEG_HIDDEN, 0644, &seg) ? 1 :
		      0);
	ck_assert_int_eq(tu_wait(pid), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);

	/* The name taken meanwhile: the seal says so and leaves the other
	 * segment alone. */
	tu_name(name, "hidden-taken");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0644, &seg),
			 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &other), 0);
	ck_assert_int_eq(shmseg_seal(seg), -EEXIST);
	ck_assert_int_eq(shmseg_seal(seg), -EALREADY);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_BUILDING);	/* the other one */
	shmseg_detach(other);
	shmseg_detach(seg);
}
END_TEST

START_TEST(unlink_keeps_existing_mappings)
{
	struct shmseg *seg = make_sealed("unlink", 0644), *r;
	struct shmseg_stat st;
	uint64_t before;

	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	before = tu_hash(shmseg_data(r), shmseg_nbytes(r));
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_uint_eq(tu_hash(shmseg_data(r), 96), before);
	ck_assert_uint_eq(tu_hash(shmseg_data(seg), 96), before);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

START_TEST(mapping_survives_fork)
{
	struct shmseg *seg = make_sealed("fork", 0644), *r;
	uint64_t want;
	pid_t pid;

	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	want = tu_hash(shmseg_data(r), shmseg_nbytes(r));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(tu_hash(shmseg_data(r), shmseg_nbytes(r)) == want &&
		      shmseg_detach(r) == 0 && shmseg_detach(seg) == 0 ? 0 : 1);
	ck_assert_int_eq(tu_wait(pid), 0);
	ck_assert_uint_eq(tu_hash(shmseg_data(r), shmseg_nbytes(r)), want);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

static void *attach_loop(void *arg)
{
	const char *n = arg;
	struct shmseg *r;
	int i;

	for (i = 0; i < 500; i++) {
		if (shmseg_attach(n, 0, &r) != 0)
			return (void *)1;
		if (((const double *)shmseg_data(r))[11] != 5.5)
			return (void *)1;
		shmseg_detach(r);
	}
	return NULL;
}

START_TEST(threads_attach_independently)
{
	struct shmseg *seg = make_sealed("threads", 0644);
	pthread_t t[4];
	void *ret;
	int i;

	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, attach_loop,
						name), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	shmseg_detach(seg);
}
END_TEST

/* Large mappings are placed 1 GiB-aligned (see map_aligned() in
 * lib/segment.c), several held at once too, each in a place of its own. */
START_TEST(large_mappings_are_aligned_and_apart)
{
	const uint64_t n = 512ull << 20;
	struct shmseg_layout l = tu_layout("|u1", 1, n);
	struct shmseg *seg, *r[3];
	unsigned char *d;
	uintptr_t a[3];
	int i, j;

	tu_name(name, "big");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg),
			 0);
	d = shmseg_data(seg);
	d[0] = 0x5a;
	d[n - 1] = 0xa5;
	ck_assert_int_eq(shmseg_seal(seg), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(shmseg_attach(name, 0, &r[i]), 0);
		d = shmseg_data(r[i]);
		ck_assert_uint_eq(d[0], 0x5a);
		ck_assert_uint_eq(d[n - 1], 0xa5);
		a[i] = (uintptr_t)d;
	}
	for (i = 0; i < 3; i++) {
		/* Held at once, each still gets an aligned place. */
		ck_assert_uint_eq((a[i] - page_or_4k()) % (1u << 30), 0);
		for (j = 0; j < 3; j++)
			ck_assert(i == j || a[i] + n <= a[j] || a[j] + n <= a[i]);
	}
	for (i = 0; i < 3; i++)
		shmseg_detach(r[i]);
	shmseg_detach(seg);
	/* Alone again: aligned, whether reserved afresh or at the hint. */
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(shmseg_attach(name, 0, &r[0]), 0);
		d = shmseg_data(r[0]);
		ck_assert_uint_eq(((uintptr_t)d - page_or_4k()) %
				  (1u << 30), 0);
		ck_assert_uint_eq(d[n - 1], 0xa5);
		shmseg_detach(r[0]);
	}
}
END_TEST

/* Resident size, in KiB, of the mapping that contains addr. */
static long mapping_rss_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	bool in = false;
	long rss = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "Rss: %ld kB", &rss) == 1)
			break;
	}
	fclose(f);
	return rss;
}

START_TEST(attach_touches_no_page_unless_populate)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 64ull << 20);
	struct shmseg_stat st;
	struct shmseg *seg, *r;

	tu_name(name, "rss");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_int_eq(mapping_rss_kb(shmseg_data(r)), 0);
	/* Nor does asking a reader's handle what it holds: faulting the
	 * header page in made an attach and fstat cost three times an
	 * attach (the page tables to tear down at the detach). */
	ck_assert_int_eq(shmseg_fstat(r, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_int_eq(mapping_rss_kb(shmseg_data(r)), 0);
	shmseg_detach(r);
	/* MAP_POPULATE is best effort (its failures are not reported): once,
	 * with two make check runs at once, one page was short (65536 kB);
	 * 25 runs under memory churn did not do it again. All but a few
	 * pages must be there; without the flag there are none. */
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_POPULATE, &r), 0);
	ck_assert_int_ge(mapping_rss_kb(shmseg_data(r)), (64 << 10) + 4 - 64);
	ck_assert_int_le(mapping_rss_kb(shmseg_data(r)), (64 << 10) + 4);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

/* A handle knows whether its name still holds it: removed, replaced by
 * another segment, or not yet given (hidden until the seal). */
START_TEST(is_current_follows_the_name)
{
	struct shmseg_layout l = tu_layout("<i4", 1, 16ull);
	struct shmseg *c, *r, *again, *h;
	char path[TU_NAME_LEN + 16];

	tu_name(name, "current");
	ck_assert_int_eq(shmseg_is_current(NULL), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_HIDDEN, 0600, &c), 0);
	ck_assert_int_eq(shmseg_is_current(c), 0);	/* nameless yet */
	ck_assert_int_eq(shmseg_seal(c), 0);
	ck_assert_int_eq(shmseg_is_current(c), 1);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_int_eq(shmseg_is_current(r), 1);
	/* Removed: neither is current; made again: only the new one. */
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_is_current(r), 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &again), 0);
	ck_assert_int_eq(shmseg_is_current(again), 1);	/* building, named */
	ck_assert_int_eq(shmseg_is_current(r), 0);
	ck_assert_int_eq(shmseg_is_current(c), 0);
	ck_assert_int_eq(shmseg_seal(again), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &h), 0);
	ck_assert_int_eq(shmseg_is_current(h), 1);
	/* A link planted under the name to the very object is not it: the
	 * name is not the object's. */
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(symlink("/dev/shm/x", tu_path(path, name)), 0);
	ck_assert_int_eq(shmseg_is_current(h), 0);
	ck_assert_int_eq(unlink(path), 0);
	shmseg_detach(h);
	shmseg_detach(again);
	shmseg_detach(r);
	shmseg_detach(c);
}
END_TEST

START_TEST(populate_and_sparse_flags_work)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 1ull << 20);
	struct shmseg *seg, *r;

	tu_name(name, "populate");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg), 0);
	((double *)shmseg_data(seg))[(1 << 20) - 1] = 42.0;
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_POPULATE, &r), 0);
	ck_assert_double_eq(((double *)shmseg_data(r))[(1 << 20) - 1], 42.0);
	shmseg_detach(r);
	shmseg_detach(seg);
}
END_TEST

/* Under RLIMIT_FSIZE, a create, an import or an export that would pass
 * the limit fails with -EFBIG before the kernel raises SIGXFSZ, whose
 * default action would kill this process; nothing is left behind. */
START_TEST(file_size_limit_is_efbig_not_sigxfsz)
{
	struct shmseg_layout big = tu_layout("<f8", 1, 1ull << 20);
	struct rlimit old, low;
	struct shmseg *seg, *src;
	char tmp[] = "/tmp/shmseg-fsize-XXXXXX", other[TU_NAME_LEN];
	struct stat sb;
	int fd;

	/* The source, made before the limit: a 1 MiB sealed segment. */
	tu_name(name, "fsz");
	ck_assert_int_eq(shmseg_create(name, &big, 0, 0600, &src), 0);
	ck_assert_int_eq(shmseg_seal(src), 0);
	fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	unlink(tmp);
	ck_assert_int_eq(shmseg_npy_export(src, fd), 0);

	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	low = old;
	low.rlim_cur = 1000000;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
	tu_name(other, "fsz");
	ck_assert_int_eq(shmseg_create(other, &big, 0, 0600, &seg), -EFBIG);
	ck_assert_int_eq(shmseg_create(other, &big, SHMSEG_SPARSE, 0600, &seg),
			 -EFBIG);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(shmseg_npy_import(other, fd, 0600, NULL), -EFBIG);
	ck_assert_int_eq(shmseg_stat(other, &(struct shmseg_stat){ 0 }),
			 -ENOENT);
	/* An export that would pass the limit writes nothing. */
	ck_assert_int_eq(ftruncate(fd, 0), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_int_eq(shmseg_npy_export(src, fd), -EFBIG);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	close(fd);
	shmseg_detach(src);
}
END_TEST

/* How many private names of judged removals /dev/shm holds: none is
 * left by those of a test. */
static int private_names(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		n += strncmp(de->d_name, ".shmseg-unlink-", 15) == 0;
	closedir(d);
	return n;
}

START_TEST(unlink_if_removes_only_what_was_judged)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 4ull);
	struct shmseg_stat judged, st;
	struct shmseg *a, *b, *r;
	int before = private_names();

	a = make_sealed("judged", 0644);
	ck_assert_int_eq(shmseg_stat(name, &judged), 0);
	ck_assert_int_eq(shmseg_unlink_if(name, &judged), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(shmseg_unlink_if(name, &judged), -ENOENT);
	shmseg_detach(a);

	/* Judged, then replaced under the same name: the new one stays. */
	a = make_sealed("judged", 0644);
	ck_assert_int_eq(shmseg_stat(name, &judged), 0);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &b), 0);
	ck_assert_int_eq(shmseg_seal(b), 0);
	ck_assert_int_eq(shmseg_unlink_if(name, &judged), -ECANCELED);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), 0);
	ck_assert_int_eq(shmseg_fstat(r, &st), 0);
	ck_assert_int_ne(memcmp(st.uuid, judged.uuid, 16), 0);
	shmseg_detach(r);
	shmseg_detach(a);
	shmseg_detach(b);

	/* Judged stale, then a writer attached: alive again, not removed. */
	tu_name(name, "judged");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &a), 0);
	shmseg_detach(a);
	ck_assert_int_eq(shmseg_stat(name, &judged), 0);
	ck_assert_int_eq(judged.state, SHMSEG_STALE);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &b), 0);
	ck_assert_int_eq(shmseg_unlink_if(name, &judged), -ECANCELED);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	shmseg_detach(b);
	ck_assert_int_eq(shmseg_unlink_if(name, &judged), 0);

	ck_assert_int_eq(shmseg_unlink_if(name, NULL), -EINVAL);
	ck_assert_int_eq(shmseg_unlink_if("a/b", &judged), -EINVAL);
	ck_assert_int_eq(private_names(), before);
}
END_TEST

START_TEST(strerror_names_every_case)
{
	static const int codes[] = { EAGAIN, EBADMSG, EEXIST, ENOENT, ENOTSUP,
				     ETIMEDOUT, EOVERFLOW, ENOSPC, EALREADY,
				     ENAMETOOLONG, EACCES, EPERM, EINVAL,
				     ENOMEM, ELOOP, EILSEQ, ENODATA, EIDRM,
				     EFBIG, ECANCELED };
	size_t i;

	ck_assert_str_eq(shmseg_strerror(-EBADMSG),
			 "not a shmseg segment, or its header is corrupt");
	ck_assert_str_eq(shmseg_strerror(-EAGAIN), "segment is not sealed yet");
	ck_assert_str_eq(shmseg_strerror(-EINVAL), strerror(EINVAL));
	ck_assert_str_eq(shmseg_strerror(-ELOOP),
			 "a symbolic link; not followed");
	ck_assert_str_eq(shmseg_strerror(-ENOTSUP),
			 "unsupported format version or dtype");
	ck_assert_str_eq(shmseg_strerror(0), "success");
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_ptr_nonnull(shmseg_strerror(-codes[i]));
		ck_assert_str_eq(shmseg_strerror(-codes[i]),
				 shmseg_strerror(codes[i]));
	}
	ck_assert_ptr_nonnull(shmseg_strerror(-99999));
	ck_assert_str_eq(shmseg_strerror(INT_MIN), "unknown error");
}
END_TEST

/* A UNIX socket under the name cannot be opened (ENXIO): -EBADMSG, as any
 * other object that is not a segment. A file under another process's
 * write lease fails a non-blocking open with EWOULDBLOCK: -EBUSY at once,
 * not -EAGAIN ("not sealed yet"), which shmseg_attach_wait() waits on. */
START_TEST(socket_and_leased_file_are_not_segments_being_built)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char path[TU_NAME_LEN + 16], c = 'n';
	struct shmseg_stat st;
	struct shmseg *r;
	int sock, ready[2], hold[2];
	uint64_t t0;
	pid_t pid;

	tu_name(name, "sock");
	ck_assert_uint_lt(strlen(tu_path(path, name)), sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(bind(sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_attach(name, SHMSEG_RDWR, &r), -EBADMSG);
	ck_assert_int_eq(shmseg_stat(name, &st), -EBADMSG);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, 1000, &r), -EBADMSG);
	close(sock);
	ck_assert_int_eq(unlink(path), 0);

	/* The lease is held by a child that owns the file; it removes the
	 * file and exits once hold[] is closed, also if this test dies. */
	tu_name(name, "lease");
	tu_path(path, name);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(hold), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CREAT | O_EXCL, 0600);

		signal(SIGIO, SIG_IGN);	/* a lease break's signal kills */
		close(hold[1]);
		if (fd >= 0 && fcntl(fd, F_SETLEASE, F_WRLCK) == 0)
			c = 'y';
		if (write(ready[1], &c, 1) == 1)
			while (read(hold[0], &c, 1) > 0)
				;	/* until closed */
		unlink(path);
		_exit(0);
	}
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	if (c == 'y') {
		ck_assert_int_eq(shmseg_attach(name, 0, &r), -EBUSY);
		ck_assert_int_eq(shmseg_stat(name, &st), -EBUSY);
		t0 = tu_usec();
		ck_assert_int_eq(shmseg_attach_wait(name, 0, 5000, &r), -EBUSY);
		ck_assert_uint_lt(tu_usec() - t0, 1000000);
		ck_assert_str_eq(shmseg_strerror(-EBUSY),
				 "another process holds a lease on it");
	}
	close(hold[1]);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	if (c != 'y')
		tu_skip("socket_and_leased_file_are_not_segments_being_built",
			"no write lease here (fs.leases-enable?)");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("segment");
	TCase *tc = tcase_create("segment");

	tu_init();
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, create_fill_seal_attach_reads_the_data);
	tcase_add_test(tc, fortran_flag_gives_column_major_strides);
	tcase_add_test(tc, explicit_strides_are_kept);
	tcase_add_test(tc, scalar_and_empty_arrays_work);
	tcase_add_test(tc, create_of_existing_name_is_eexist_and_leaves_it_alone);
	tcase_add_test(tc, replace_takes_the_name_over_at_the_seal);
	tcase_add_test(tc, replace_refuses_what_it_may_not_replace);
	tcase_add_test(tc, missing_name_is_enoent);
	tcase_add_test(tc, building_segment_is_eagain_for_readers);
	tcase_add_test(tc, rdwr_attach_of_sealed_segment_is_eperm);
	tcase_add_test(tc, seal_twice_is_ealready);
	tcase_add_test(tc, seal_removes_write_bits_and_keeps_the_rest);
	tcase_add_test(tc, mode_is_exact_whatever_the_umask);
	tcase_add_test_raise_signal(tc, creator_view_is_read_only_after_seal,
				    SIGSEGV);
	tcase_add_test_raise_signal(tc, reader_view_is_read_only, SIGSEGV);
	tcase_add_test(tc, bad_arguments_are_einval);
	tcase_add_test(tc, bad_layouts_fail_and_leave_nothing);
	tcase_add_test(tc, stat_and_fstat_describe_the_segment);
	tcase_add_test(tc, uuids_differ_between_segments);
	tcase_add_test(tc, dead_creator_makes_a_stale_segment);
	tcase_add_test(tc, liveness_is_the_lock_not_the_pid);
	tcase_add_test(tc, rdwr_attacher_keeps_a_segment_alive);
	tcase_add_test(tc, readers_locks_do_not_fake_a_live_creator);
	tcase_add_test(tc, seal_after_the_name_was_removed_is_eidrm);
	tcase_add_test(tc, corrupt_header_bytes_are_refused);
	tcase_add_test(tc, truncated_or_extended_object_is_ebadmsg);
	tcase_add_test(tc, foreign_objects_are_ebadmsg);
	tcase_add_test(tc, fifo_under_the_name_is_ebadmsg_not_a_hang);
	tcase_add_test(tc, seal_of_an_overwritten_state_is_ebadmsg_and_changes_nothing);
	tcase_add_test(tc, hidden_segment_gets_its_name_at_seal);
	tcase_add_test(tc, unlink_keeps_existing_mappings);
	tcase_add_test(tc, mapping_survives_fork);
	tcase_add_test(tc, threads_attach_independently);
	tcase_add_test(tc, large_mappings_are_aligned_and_apart);
	tcase_add_test(tc, stat_of_a_32_dimension_segment);
	tcase_add_test(tc, threads_attach_a_large_segment);
	tcase_add_test(tc, attach_touches_no_page_unless_populate);
	tcase_add_test(tc, is_current_follows_the_name);
	tcase_add_test(tc, populate_and_sparse_flags_work);
	tcase_add_test(tc, strerror_names_every_case);
	tcase_add_test(tc, file_size_limit_is_efbig_not_sigxfsz);
	tcase_add_test(tc, unlink_if_removes_only_what_was_judged);
	tcase_add_test(tc, socket_and_leased_file_are_not_segments_being_built);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
