/* SPDX-License-Identifier: MIT */
/* check_import.c - between files or memory and segments (lib/import.c
 * and lib/export.c): .npy, raw and memory import, .npy export, through
 * pipes and files, and which object an error is blamed on */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

static char name[TU_NAME_LEN];
static unsigned char buf[8192];

/* The .npy header of the given version around dict, into buf. */
static size_t make(int version, const char *dict)
{
	return tu_npy_head(buf, version, dict);
}

/* The read end of a pipe that holds the n bytes at data, and no more:
 * its write end is closed. */
static int fed(const void *data, size_t n)
{
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], data, n), (ssize_t)n);
	close(p[1]);
	return p[0];
}

/* import from a pipe, export to a pipe, compare */
START_TEST(import_and_export_through_pipes)
{
	static const unsigned char data[12] = { 0, 0, 1, 0, 2, 0, 3, 0, 4, 0,
						5, 0 };
	struct shmseg_stat st;
	struct shmseg *seg;
	unsigned char back[200];
	size_t n;
	int p[2];

	n = make(1, "{'descr': '<i2', 'fortran_order': False, "
		 "'shape': (2, 3), }");
	memcpy(buf + n, data, sizeof(data));
	p[0] = fed(buf, n + sizeof(data));
	tu_name(name, "import");
	ck_assert_int_eq(shmseg_npy_import(name, p[0], 0644, &seg), 0);
	close(p[0]);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_uint_eq(st.mode, 0444);
	ck_assert_int_eq(memcmp(shmseg_data(seg), data, 12), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(shmseg_npy_export(seg, p[1]), 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], back, sizeof(back)),
			 (ssize_t)(n + sizeof(data)));
	close(p[0]);
	ck_assert_int_eq(memcmp(back, buf, n + sizeof(data)), 0);
	ck_assert_int_eq(shmseg_npy_export(NULL, 1), -EINVAL);
	shmseg_detach(seg);
}
END_TEST

START_TEST(failed_import_leaves_nothing)
{
	struct shmseg_stat st;
	size_t n;
	int p[2];

	n = make(1, "{'descr': '<i2', 'fortran_order': False, "
		 "'shape': (2, 3), }");
	p[0] = fed(buf, n + 5);
	tu_name(name, "short");
	ck_assert_int_eq(shmseg_npy_import(name, p[0], 0644, NULL), -ENODATA);
	close(p[0]);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	p[0] = fed("", 0);
	ck_assert_int_eq(shmseg_npy_import(name, p[0], 0644, NULL), -EILSEQ);
	close(p[0]);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
}
END_TEST

START_TEST(export_of_strided_segment_is_c_order)
{
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 3ull);
	struct shmseg *seg;
	unsigned char out[256];
	uint16_t *d, want[6] = { 0, 1, 2, 3, 4, 5 };
	ssize_t got;
	int p[2];

	l.strides[0] = 8;	/* rows of 3 padded to 4 */
	l.strides[1] = 2;
	tu_name(name, "strided");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	tu_fill(seg);
	d = shmseg_data(seg);
	ck_assert_uint_eq(d[4], 3);	/* element (1, 0) after the padding */
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(shmseg_npy_export(seg, p[1]), 0);
	close(p[1]);
	got = read(p[0], out, sizeof(out));
	close(p[0]);
	ck_assert_int_eq(got, 128 + 12);
	ck_assert_ptr_nonnull(memmem(out, 128, "'descr': '<u2', 'fortran_order':"
				     " False, 'shape': (2, 3)", 51));
	ck_assert_int_eq(memcmp(out + 128, want, 12), 0);
	shmseg_detach(seg);
}
END_TEST

/* A large input from a regular file is copied in two parts at once (see
 * SPLIT_FROM in lib/segment.c): every element lands in its place, the
 * copy starts at the descriptor's offset and leaves it just past the
 * data, and input missing from either part leaves no segment. */
START_TEST(large_file_import_in_two_parts)
{
	const uint64_t count = (72u << 20) / 4;	/* 72 MiB of uint32 */
	struct shmseg_stat st;
	struct shmseg *seg;
	char tmp[] = "/tmp/shmseg-npy-XXXXXX";
	const uint32_t *d;
	uint32_t *data;
	uint64_t i, wrong = 0;
	size_t n, total;
	int fd;

	n = make(1, "{'descr': '<u4', 'fortran_order': False, "
		 "'shape': (18874368,), }");
	total = 3 + n + count * 4 + 5;
	fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	unlink(tmp);
	data = malloc(count * 4);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < count; i++)
		data[i] = (uint32_t)i ^ 0x5a5a5a5au;
	ck_assert_int_eq(pwrite(fd, "abc", 3, 0), 3);	/* not ours */
	ck_assert_int_eq(pwrite(fd, buf, n, 3), (ssize_t)n);
	ck_assert_int_eq(pwrite(fd, data, count * 4, (off_t)(3 + n)),
			 (ssize_t)(count * 4));
	ck_assert_int_eq(pwrite(fd, "tail.", 5, (off_t)(3 + n + count * 4)), 5);
	ck_assert_int_eq(lseek(fd, 3, SEEK_SET), 3);
	tu_name(name, "large");
	ck_assert_int_eq(shmseg_npy_import(name, fd, 0600, &seg), 0);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), (off_t)(total - 5));
	d = shmseg_data(seg);
	for (i = 0; i < count; i++)
		wrong += d[i] != data[i];
	ck_assert_uint_eq(wrong, 0);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);

	/* Short in the second part, then in the first. */
	ck_assert_int_eq(ftruncate(fd, (off_t)(3 + n + count * 3)), 0);
	ck_assert_int_eq(lseek(fd, 3, SEEK_SET), 3);
	ck_assert_int_eq(shmseg_npy_import(name, fd, 0600, NULL), -ENODATA);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(ftruncate(fd, (off_t)(3 + n + count)), 0);
	ck_assert_int_eq(lseek(fd, 3, SEEK_SET), 3);
	ck_assert_int_eq(shmseg_npy_import(name, fd, 0600, NULL), -ENODATA);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	free(data);
	close(fd);
}
END_TEST

/* A large export to a regular file is written in two parts at once (see
 * SPLIT_FROM in lib/segment.c): at the descriptor's offset, which it
 * leaves just past the file; with O_APPEND, in order at the end. */
START_TEST(large_export_in_two_parts)
{
	const uint64_t count = (72u << 20) / 4;
	struct shmseg_layout l = tu_layout("<u4", 1, count);
	char tmp[] = "/tmp/shmseg-npy-XXXXXX";
	unsigned char head[128];
	struct shmseg *seg;
	uint32_t *d, *back;
	uint64_t i;
	size_t n;
	int fd, pass;

	n = make(1, "{'descr': '<u4', 'fortran_order': False, "
		 "'shape': (18874368,), }");
	ck_assert_uint_eq(n, sizeof(head));
	memcpy(head, buf, n);
	tu_name(name, "export");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg), 0);
	d = shmseg_data(seg);
	for (i = 0; i < count; i++)
		d[i] = (uint32_t)i * 2654435761u;
	ck_assert_int_eq(shmseg_seal(seg), 0);
	back = malloc(count * 4);
	ck_assert_ptr_nonnull(back);
	for (pass = 0; pass < 2; pass++) {
		fd = mkstemp(tmp);
		ck_assert_int_ge(fd, 0);
		unlink(tmp);
		strcpy(tmp + strlen(tmp) - 6, "XXXXXX");
		ck_assert_int_eq(write(fd, "abc", 3), 3);
		if (pass == 1) {	/* appending, from offset 0 */
			ck_assert_int_eq(fcntl(fd, F_SETFL, O_APPEND), 0);
			ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
		}
		ck_assert_int_eq(shmseg_npy_export(seg, fd), 0);
		ck_assert_int_eq(lseek(fd, 0, SEEK_CUR),
				 (off_t)(3 + n + count * 4));
		ck_assert_int_eq(pread(fd, buf, n, 3), (ssize_t)n);
		ck_assert_int_eq(memcmp(buf, head, n), 0);
		ck_assert_int_eq(pread(fd, back, count * 4, (off_t)(3 + n)),
				 (ssize_t)(count * 4));
		ck_assert_int_eq(memcmp(back, d, count * 4), 0);
		close(fd);
	}
	free(back);
	shmseg_detach(seg);
}
END_TEST

/* A sealed segment of one dtype and shape, with the given strides. */
static struct shmseg *strided(const char *dtype, uint64_t rows, uint64_t cols,
			      int64_t s0, int64_t s1)
{
	struct shmseg_layout l = tu_layout(dtype, 2, rows, cols);
	struct shmseg *seg;

	l.strides[0] = s0;
	l.strides[1] = s1;
	tu_name(name, "bound");
	ck_assert_int_eq(shmseg_create(name, &l, SHMSEG_SPARSE, 0600, &seg),
			 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	return seg;
}

/* Export to a non-blocking pipe: the return value, and *out how many bytes
 * came out, which a refusal leaves at 0. */
static int export_to_pipe(const struct shmseg *seg, size_t *out)
{
	int p[2], ret;
	ssize_t n;

	ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
	ret = shmseg_npy_export(seg, p[1]);
	close(p[1]);
	*out = 0;
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		*out += (size_t)n;
	close(p[0]);
	return ret;
}

/* Export a segment of the given layout, expecting want: a refusal before
 * any byte, seen through a non-blocking pipe (which an endless write would
 * fill at once), or success, to /dev/null. */
static void check_export(const char *dtype, uint64_t rows, uint64_t cols,
			 int64_t s0, int64_t s1, int want)
{
	struct shmseg *seg = strided(dtype, rows, cols, s0, s1);
	size_t out;
	int fd;

	if (want) {
		ck_assert_int_eq(export_to_pipe(seg, &out), want);
		ck_assert_uint_eq(out, 0);
	} else {
		fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(shmseg_npy_export(seg, fd), 0);
		close(fd);
	}
	shmseg_detach(seg);
}

/* Elements that overlap (strides of 0) are written out each time: an
 * export stops at 16 times the segment's data or 64 MiB, refusing with
 * -EOVERFLOW before writing anything, and so never runs without end nor
 * overflows 64 bits counting bytes. */
START_TEST(overlapping_export_is_bounded)
{
	struct shmseg *seg;
	size_t out;

	/* One byte as shape (1, 2^62): the unbounded dump of the report. An
	 * endless write would fill the non-blocking pipe: -EAGAIN. */
	check_export("|u1", 1, 1ull << 62, 1, 0, -EOVERFLOW);
	/* 2^64 - 8 bytes, which the header's 128 would wrap past 2^64. */
	check_export("<f8", 1, (1ull << 61) - 1, 8, 0, -EOVERFLOW);

	/* What np.broadcast_to makes, small: a row repeated. */
	seg = strided("<f8", 1000, 3, 0, 8);
	ck_assert_int_eq(export_to_pipe(seg, &out), 0);
	ck_assert_uint_eq(out, 128 + 1000 * 24);
	shmseg_detach(seg);

	/* 64 MiB from one 4 KiB element is allowed, one element more not. */
	check_export("|V4096", 1, 16384, 4096, 0, 0);
	check_export("|V4096", 1, 16385, 4096, 0, -EOVERFLOW);
	/* 16 times 8 MiB of data is allowed, 17 times not. */
	check_export("|V4096", 16, 2048, 0, 4096, 0);
	check_export("|V4096", 17, 2048, 0, 4096, -EOVERFLOW);
}
END_TEST

/* An empty array whose shape, a 0 counted as 1, is larger than NumPy can
 * describe: no .npy header for it, which NumPy would refuse ("array is too
 * big"); the segment itself is the flat view of its bytes. */
START_TEST(export_of_a_shape_numpy_cannot_describe_is_eoverflow)
{
	struct shmseg_layout l = tu_layout("<f8", 3, 0ull, 1ull << 61, 4ull);
	struct shmseg *seg;
	size_t out;

	l.strides[0] = 0;
	l.strides[1] = 32;
	l.strides[2] = 8;
	tu_name(name, "toobig");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_layout_order(shmseg_layout(seg)),
			 SHMSEG_ORDER_NONE);
	ck_assert_int_eq(export_to_pipe(seg, &out), -EOVERFLOW);
	ck_assert_uint_eq(out, 0);
	shmseg_detach(seg);
}
END_TEST

/* What a segment cannot carry, said: the dtype or the version found. */
static const struct {
	const char *dict;
	int version;
	const char *why;
} unsupported[] = {
	{ "{'descr': '<f3', 'fortran_order': False, 'shape': (2,), }", 1,
	  "dtype '<f3': not a NumPy type a segment can carry (see shmseg(5), "
	  "Dtypes)" },
	{ "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", 1,
	  "dtype '|O': object arrays hold pointers, not data" },
	{ "{'descr': '|V0', 'fortran_order': False, 'shape': (2,), }", 2,
	  "dtype '|V0': a dtype of no bytes" },
	{ "{'descr': [('t', '<M8[ns]'), ('o', '|O')], 'fortran_order': False, "
	  "'shape': (2,), }", 3,
	  "dtype '|O': object arrays hold pointers, not data" },
	{ "{'descr': [('b', ('|S3', {'a': 'b'}))], 'fortran_order': False, "
	  "'shape': (2,), }", 1, "a dtype with metadata" },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, "
	  "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
	  "1, 1, 1, 1, 1), }", 1, "more than 32 dimensions" },
};

START_TEST(import_says_what_a_segment_cannot_carry)
{
	char why[128];
	size_t n = make(unsupported[_i].version, unsupported[_i].dict);
	int p[2];

	p[0] = fed(buf, n);
	tu_name(name, "why");
	ck_assert_int_eq(shmseg_npy_import_why(name, p[0], 0600, NULL, why,
					       sizeof(why)), -ENOTSUP);
	close(p[0]);
	ck_assert_str_eq(why, unsupported[_i].why);
	ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
			 -ENOENT);
}
END_TEST

/* The version, found in the preamble, whatever follows; nothing is said
 * of other errors, and a short buffer holds what fits. */
START_TEST(import_says_the_version_found)
{
	static const unsigned char v[][8] = {
		"\x93NUMPY\x01\x01", "\x93NUMPY\xff\xff", "\x93NUMPY\x04\x00",
	};
	static const char *want[] = {
		".npy format version 1.1 is not supported (1.0, 2.0 and 3.0 are)",
		".npy format version 255.255 is not supported (1.0, 2.0 and 3.0 are)",
		".npy format version 4.0 is not supported (1.0, 2.0 and 3.0 are)",
	};
	char why[128], tiny[12];
	size_t i, n;
	int p[2];

	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(pipe(p), 0);
		ck_assert_int_eq(write(p[1], v[i], 8), 8);
		ck_assert_int_eq(write(p[1], "\x76\0\0\0", 4), 4);
		close(p[1]);
		ck_assert_int_eq(shmseg_npy_import_why("x", p[0], 0600, NULL,
						       why, sizeof(why)),
				 -ENOTSUP);
		close(p[0]);
		ck_assert_str_eq(why, want[i]);
	}
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], v[0], 8), 8);
	ck_assert_int_eq(write(p[1], "\x76\0", 2), 2);
	close(p[1]);
	ck_assert_int_eq(shmseg_npy_import_why("x", p[0], 0600, NULL, tiny,
					       sizeof(tiny)), -ENOTSUP);
	close(p[0]);
	ck_assert_str_eq(tiny, ".npy format");
	/* Malformed: the message of the error says it all. */
	n = make(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, }");
	p[0] = fed(buf, n);
	why[0] = 'x';
	ck_assert_int_eq(shmseg_npy_import_why("x", p[0], 0600, NULL, why,
					       sizeof(why)), -EILSEQ);
	close(p[0]);
	ck_assert_str_eq(why, "malformed .npy header");
}
END_TEST

/* What the raw and memory imports are given: 2 x 3 <u2, one element after
 * another. */
static const unsigned char twelve[12] = "abcdefghijkl";

/* seg holds twelve as 2 x 3 <u2 in C or in Fortran order, sealed with
 * mode. */
static void check_2x3(const struct shmseg *seg, bool fortran, mode_t mode)
{
	const struct shmseg_layout *got = shmseg_layout(seg);
	struct shmseg_stat st;

	ck_assert_int_eq(got->strides[0], fortran ? 2 : 6);
	ck_assert_int_eq(got->strides[1], fortran ? 4 : 2);
	ck_assert_int_eq(shmseg_layout_order(got),
			 fortran ? SHMSEG_ORDER_F : SHMSEG_ORDER_C);
	ck_assert_uint_eq(shmseg_nbytes(seg), 12);
	ck_assert_int_eq(memcmp(shmseg_data(seg), twelve, 12), 0);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_uint_eq(st.mode, mode);
}

/* Raw bytes in C order from a pipe, in Fortran order from a file. */
START_TEST(raw_import_in_either_order)
{
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 3ull);
	struct shmseg *seg;
	char why[128], path[] = "/tmp/shmseg-raw-XXXXXX";
	int p[2], fd;

	p[0] = fed(twelve, sizeof(twelve));
	tu_name(name, "rawc");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0640, &seg, why,
					   sizeof(why)), 0);
	close(p[0]);
	ck_assert_str_eq(why, "");
	check_2x3(seg, false, 0440);
	shmseg_detach(seg);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, twelve, sizeof(twelve)), 12);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	tu_name(name, "rawf");
	ck_assert_int_eq(shmseg_raw_import(name, &l, SHMSEG_FORTRAN, fd, 0600,
					   NULL, NULL, 0), 0);
	close(fd);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	check_2x3(seg, true, 0400);
	shmseg_detach(seg);
}
END_TEST

/* Input of the wrong length: refused with its length, from a file before
 * any copying and from a pipe by the copy; nothing is left. */
START_TEST(raw_import_wants_the_array_exactly)
{
	static const struct {
		size_t len;
		bool pipe;
		int err;
		const char *why;
	} c[] = {
		{ 3, false, -ENODATA,
		  "input is shorter than the array (3 of 8 bytes)" },
		{ 3, true, -ENODATA,
		  "input is shorter than the array (3 of 8 bytes)" },
		{ 0, true, -ENODATA,
		  "input is shorter than the array (0 of 8 bytes)" },
		{ 9, false, -EMSGSIZE, "input is longer than the array (8 bytes)" },
		{ 9, true, -EMSGSIZE, "input is longer than the array (8 bytes)" },
	};
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 2ull);
	struct shmseg_stat st;
	char why[128], path[] = "/tmp/shmseg-raw-XXXXXX";
	size_t i;
	int p[2];

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		if (c[i].pipe) {
			ck_assert_int_eq(pipe(p), 0);
		} else {
			p[0] = p[1] = mkstemp(path);
			ck_assert_int_ge(p[0], 0);
			unlink(path);
			memcpy(path + strlen(path) - 6, "XXXXXX", 6);
		}
		ck_assert_int_eq(write(p[1], "abcdefghi", c[i].len),
				 (ssize_t)c[i].len);
		if (c[i].pipe)
			close(p[1]);
		else
			ck_assert_int_eq(lseek(p[0], 0, SEEK_SET), 0);
		tu_name(name, "rawlen");
		ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600,
						   NULL, why, sizeof(why)),
				 c[i].err);
		close(p[0]);
		ck_assert_str_eq(why, c[i].why);
		ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	}
}
END_TEST

/* A file whose size says nothing of its length (procfs gives 0) is read
 * to its end, as a pipe is. */
START_TEST(raw_import_reads_a_proc_file_to_its_end)
{
	struct shmseg_layout l = tu_layout("S6", 0);
	struct shmseg *seg;
	char why[128];
	int fd = open("/proc/sys/kernel/ostype", O_RDONLY);

	if (fd < 0) {
		tu_skip("raw_import_reads_a_proc_file_to_its_end",
			"no /proc/sys/kernel/ostype");
		return;
	}
	tu_name(name, "rawproc");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, fd, 0600, &seg, why,
					   sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(memcmp(shmseg_data(seg), "Linux\n", 6), 0);
	shmseg_detach(seg);
}
END_TEST

/* A non-blocking input with no more to give yet is no end: after all of
 * the array, its -EAGAIN is the input's, in the C library's words. */
START_TEST(raw_import_of_a_non_blocking_input_that_goes_on_is_eagain)
{
	struct shmseg_layout l = tu_layout("u1", 1, 8ull);
	struct shmseg_stat st;
	char why[128];
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(write(p[1], "abcdefgh", 8), 8);
	tu_name(name, "rawnb");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600, NULL, why,
					   sizeof(why)), -EAGAIN);
	ck_assert_str_eq(why, strerror(EAGAIN));
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* A file far shorter than a large array read in two halves: the count is
 * where the file ends, though the upper half meets the end first. */
START_TEST(raw_import_counts_a_short_file_in_two_halves)
{
	struct shmseg_layout l = tu_layout("u1", 1, 128ull << 20);
	char why[128], path[] = "/tmp/shmseg-raw-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, 10 << 20), 0);
	tu_name(name, "rawhalf");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, fd, 0600, NULL, why,
					   sizeof(why)), -ENODATA);
	close(fd);
	ck_assert_str_eq(why, "input is shorter than the array "
			 "(10485760 of 134217728 bytes)");
}
END_TEST

/* The caller's mistakes, before anything is read. */
START_TEST(raw_import_refuses_what_it_cannot_read)
{
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 2ull);
	char why[16] = "x";

	tu_name(name, "rawbad");
	ck_assert_int_eq(shmseg_raw_import(name, NULL, 0, 0, 0600, NULL, why,
					   sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(shmseg_raw_import(name, &l, SHMSEG_SPARSE, 0, 0600,
					   NULL, NULL, 0), -EINVAL);
	/* Strides of its own: the input is elements one after another. */
	l.strides[0] = 2;
	l.strides[1] = 4;
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, 0, 0600, NULL, NULL,
					   0), -EINVAL);
}
END_TEST

/* Whose fault: an error of the segment leaves why empty, one of the
 * input says what it is. */
START_TEST(import_says_whose_fault_an_error_is)
{
	struct shmseg_layout l = tu_layout("u1", 1, 4ull);
	char why[128];
	size_t n;
	int p[2], dir;

	/* The name is taken: the segment's. */
	tu_name(name, "blame");
	p[0] = fed("abcd", 4);
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600, NULL,
					   NULL, 0), 0);
	close(p[0]);
	p[0] = fed("abcd", 4);
	strcpy(why, "x");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600, NULL, why,
					   sizeof(why)), -EEXIST);
	close(p[0]);
	ck_assert_str_eq(why, "");
	n = make(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }");
	memcpy(buf + n, "abcd", 4);
	p[0] = fed(buf, n + 4);
	strcpy(why, "x");
	ck_assert_int_eq(shmseg_npy_import_why(name, p[0], 0600, NULL, why,
					       sizeof(why)), -EEXIST);
	close(p[0]);
	ck_assert_str_eq(why, "");
	/* An array too large to be stored, whether its header says so or
	 * the segment cannot hold it: the segment's. */
	n = make(1, "{'descr': '<f8', 'fortran_order': False, "
		 "'shape': (4611686018427387904, 4), }");
	p[0] = fed(buf, n);
	strcpy(why, "x");
	ck_assert_int_eq(shmseg_npy_import_why(name, p[0], 0600, NULL, why,
					       sizeof(why)), -EOVERFLOW);
	close(p[0]);
	ck_assert_str_eq(why, "");
	/* A bad name: the segment's too. */
	ck_assert_int_eq(shmseg_raw_import("a/b", &l, 0, 0, 0600, NULL, why,
					   sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "");
	/* An input that cannot be read: the input's, for both. */
	dir = open("/", O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(dir, 0);
	tu_name(name, "blame");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, dir, 0600, NULL, why,
					   sizeof(why)), -EISDIR);
	ck_assert_str_eq(why, "Is a directory");
	ck_assert_int_eq(shmseg_npy_import_why(name, dir, 0600, NULL, why,
					       sizeof(why)), -EISDIR);
	ck_assert_str_eq(why, "Is a directory");
	close(dir);
}
END_TEST

/* Memory in C order and in Fortran order: the layout's strides derived
 * in that order, the bytes as they were given, sealed under the name. */
START_TEST(mem_import_in_either_order)
{
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 3ull);
	struct shmseg *seg;

	tu_name(name, "memc");
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, twelve, 0640, &seg),
			 0);
	check_2x3(seg, false, 0440);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	check_2x3(seg, false, 0440);
	shmseg_detach(seg);

	tu_name(name, "memf");
	ck_assert_int_eq(shmseg_mem_import(name, &l, SHMSEG_FORTRAN, twelve,
					   0600, NULL), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	check_2x3(seg, true, 0400);
	shmseg_detach(seg);
}
END_TEST

/* A 0-d array is one element; an empty one has no bytes, and needs no
 * data at all. */
START_TEST(mem_import_of_0d_and_empty_arrays)
{
	struct shmseg_layout scalar = tu_layout("<f8", 0);
	struct shmseg_layout empty = tu_layout("<f4", 2, 0ull, 3ull);
	const double x = 2.5;
	struct shmseg_stat st;
	struct shmseg *seg;
	int64_t stride0;
	int i;

	tu_name(name, "mem0d");
	ck_assert_int_eq(shmseg_mem_import(name, &scalar, 0, &x, 0644, NULL),
			 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_uint_eq(shmseg_layout(seg)->ndim, 0);
	ck_assert_uint_eq(shmseg_nbytes(seg), 8);
	ck_assert_double_eq(*(const double *)shmseg_data(seg), 2.5);
	shmseg_detach(seg);

	/* NULL, then a pointer that is not read, in both orders. */
	for (i = 0; i < 4; i++) {
		tu_name(name, "memempty");
		ck_assert_int_eq(shmseg_mem_import(name, &empty,
						   i & 1 ? SHMSEG_FORTRAN : 0,
						   i < 2 ? NULL : &x, 0644,
						   &seg), 0);
		ck_assert_uint_eq(shmseg_nbytes(seg), 0);
		stride0 = shmseg_layout(seg)->strides[0];
		ck_assert_int_eq(stride0, i & 1 ? 4 : 12);
		shmseg_detach(seg);
		ck_assert_int_eq(shmseg_stat(name, &st), 0);
		ck_assert_int_eq(st.state, SHMSEG_SEALED);
	}
}
END_TEST

/* The caller's mistakes: refused before anything is created. */
START_TEST(mem_import_refuses_bad_arguments)
{
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 2ull);
	struct shmseg_layout huge = tu_layout("<f8", 2, 1ull << 62, 4ull);
	struct shmseg_layout deep = l;
	static const unsigned char data[8] = "abcdefgh";
	struct shmseg *seg = (struct shmseg *)&l;	/* left alone */
	char longname[300];

	tu_name(name, "membad");
	ck_assert_int_eq(shmseg_mem_import(name, NULL, 0, data, 0600, &seg),
			 -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(name, &l, SHMSEG_SPARSE, data, 0600,
					   &seg), -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(name, &l, SHMSEG_HIDDEN, data, 0600,
					   &seg), -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0x100, data, 0600, &seg),
			 -EINVAL);
	/* No data for an array of 8 bytes. */
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, NULL, 0600, &seg),
			 -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, data, 01000, &seg),
			 -EINVAL);
	deep.ndim = SHMSEG_MAX_NDIM + 1;
	ck_assert_int_eq(shmseg_mem_import(name, &deep, 0, data, 0600, &seg),
			 -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(name, &huge, 0, NULL, 0600, &seg),
			 -EOVERFLOW);
	ck_assert_int_eq(shmseg_mem_import("a/b", &l, 0, data, 0600, &seg),
			 -EINVAL);
	ck_assert_int_eq(shmseg_mem_import(NULL, &l, 0, data, 0600, &seg),
			 -EINVAL);
	memset(longname, 'x', 256);
	longname[256] = '\0';
	ck_assert_int_eq(shmseg_mem_import(longname, &l, 0, data, 0600, &seg),
			 -ENAMETOOLONG);
	/* Strides of its own: the data is elements one after another. */
	l.strides[0] = 2;
	l.strides[1] = 4;
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, data, 0600, &seg),
			 -EINVAL);
	ck_assert_ptr_eq(seg, (struct shmseg *)&l);
	ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
			 -ENOENT);
}
END_TEST

/* A name taken, by a sealed segment or by one still building: -EEXIST,
 * and the segment there is as it was. */
START_TEST(mem_import_of_a_taken_name_is_eexist)
{
	struct shmseg_layout l = tu_layout("u1", 1, 4ull);
	struct shmseg_stat before, after;
	struct shmseg *seg, *building;
	char other[TU_NAME_LEN];

	tu_name(name, "memtaken");
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, "abcd", 0644, NULL), 0);
	ck_assert_int_eq(shmseg_stat(name, &before), 0);
	seg = NULL;
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, "wxyz", 0644, &seg),
			 -EEXIST);
	ck_assert_ptr_null(seg);
	ck_assert_int_eq(shmseg_stat(name, &after), 0);
	ck_assert_int_eq(memcmp(after.uuid, before.uuid, 16), 0);
	ck_assert_uint_eq(after.mode, 0444);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_int_eq(memcmp(shmseg_data(seg), "abcd", 4), 0);
	shmseg_detach(seg);

	tu_name(other, "memtaken");
	ck_assert_int_eq(shmseg_create(other, &l, 0, 0600, &building), 0);
	ck_assert_int_eq(shmseg_fstat(building, &before), 0);
	ck_assert_int_eq(shmseg_mem_import(other, &l, 0, "wxyz", 0644, NULL),
			 -EEXIST);
	ck_assert_int_eq(shmseg_stat(other, &after), 0);
	ck_assert_int_eq(memcmp(after.uuid, before.uuid, 16), 0);
	ck_assert_int_eq(after.state, SHMSEG_BUILDING);
	shmseg_detach(building);
}
END_TEST

/* Imports from memory in many threads at once, as a binding that lets go
 * of its interpreter lock makes them: each gets its own segment, and of
 * those racing for one name, exactly one wins, with its own data. */
#define MEM_THREADS 8
#define MEM_EACH 8

struct mem_job {
	char names[MEM_EACH][TU_NAME_LEN];
	const char *shared;
	unsigned char data[4096];
	int ret[MEM_EACH], shared_ret;
};

static void *mem_import_loop(void *arg)
{
	struct mem_job *j = arg;
	struct shmseg_layout l = tu_layout("u1", 1, 4096ull);
	int i;

	for (i = 0; i < MEM_EACH; i++)
		j->ret[i] = shmseg_mem_import(j->names[i], &l, 0, j->data,
					      0600, NULL);
	j->shared_ret = shmseg_mem_import(j->shared, &l, 0, j->data, 0600,
					  NULL);
	return NULL;
}

START_TEST(mem_import_from_many_threads)
{
	static struct mem_job job[MEM_THREADS];
	pthread_t t[MEM_THREADS];
	struct shmseg *seg;
	int i, k, won = -1;

	tu_name(name, "memrace");
	for (i = 0; i < MEM_THREADS; i++) {
		for (k = 0; k < MEM_EACH; k++)
			tu_name(job[i].names[k], "memthr");
		job[i].shared = name;
		memset(job[i].data, 'a' + i, sizeof(job[i].data));
	}
	for (i = 0; i < MEM_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, mem_import_loop,
						&job[i]), 0);
	for (i = 0; i < MEM_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (i = 0; i < MEM_THREADS; i++) {
		for (k = 0; k < MEM_EACH; k++) {
			ck_assert_int_eq(job[i].ret[k], 0);
			ck_assert_int_eq(shmseg_attach(job[i].names[k], 0,
						       &seg), 0);
			ck_assert_int_eq(memcmp(shmseg_data(seg), job[i].data,
						4096), 0);
			shmseg_detach(seg);
		}
		if (job[i].shared_ret == 0) {
			ck_assert_int_eq(won, -1);
			won = i;
		} else {
			ck_assert_int_eq(job[i].shared_ret, -EEXIST);
		}
	}
	ck_assert_int_ge(won, 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_int_eq(memcmp(shmseg_data(seg), job[won].data, 4096), 0);
	shmseg_detach(seg);
}
END_TEST

/* 72 MiB from memory is written in two halves at once (SPLIT_FROM in
 * lib/copy.c): bit for bit, in either order. */
START_TEST(large_mem_import_in_two_parts)
{
	const uint64_t count = (72u << 20) / 4;
	struct shmseg_layout l = tu_layout("<u4", 2, count / 1024, 1024ull);
	struct shmseg *seg;
	uint32_t *data;
	uint64_t i;

	data = malloc(count * 4);
	ck_assert_ptr_nonnull(data);
	for (i = 0; i < count; i++)
		data[i] = (uint32_t)i * 2654435761u;
	tu_name(name, "memlarge");
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, data, 0600, &seg), 0);
	ck_assert_int_eq(memcmp(shmseg_data(seg), data, count * 4), 0);
	shmseg_detach(seg);
	tu_name(name, "memlarge");
	ck_assert_int_eq(shmseg_mem_import(name, &l, SHMSEG_FORTRAN, data,
					   0600, &seg), 0);
	ck_assert_int_eq(memcmp(shmseg_data(seg), data, count * 4), 0);
	shmseg_detach(seg);
	free(data);
}
END_TEST

/* Data the kernel cannot read, as in a mapping of a file cut short since
 * (what a NumPy memmap may be): -EFAULT from the write, no SIGBUS, and
 * nothing left; in one part and in two. */
START_TEST(mem_import_of_unreadable_data_is_efault)
{
	static const uint64_t sizes[] = { 1ull << 20, 72ull << 20 };
	char tmp[] = "/tmp/shmseg-mem-XXXXXX";
	const void *data;
	size_t i;
	int fd = mkstemp(tmp);

	ck_assert_int_ge(fd, 0);
	unlink(tmp);
	for (i = 0; i < 2; i++) {
		struct shmseg_layout l = tu_layout("u1", 1, sizes[i]);

		ck_assert_int_eq(ftruncate(fd, (off_t)sizes[i]), 0);
		data = mmap(NULL, sizes[i], PROT_READ, MAP_SHARED, fd, 0);
		ck_assert_ptr_ne(data, MAP_FAILED);
		ck_assert_int_eq(ftruncate(fd, (off_t)sizes[i] / 4), 0);
		tu_name(name, "memfault");
		ck_assert_int_eq(shmseg_mem_import(name, &l, 0, data, 0600,
						   NULL), -EFAULT);
		ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
				 -ENOENT);
		munmap((void *)data, sizes[i]);
	}
	close(fd);
}
END_TEST

/* In a private mount namespace, with a 1 MiB tmpfs on /dev/shm: an
 * import of 4 MiB, and one of 72 MiB (two halves), each -ENOSPC, never
 * SIGBUS, and after them the file system is as empty as it was. Run in a
 * child, which says on out what came of it; its exit status, 2 for
 * "cannot". */
static int mem_import_into_small_dev_shm(int out, const void *data)
{
	struct shmseg_layout small = tu_layout("u1", 1, 4ull << 20);
	struct shmseg_layout big = tu_layout("u1", 1, 72ull << 20);
	struct statvfs vfs;
	struct dirent *de;
	int a, b, left = 0;
	DIR *dir;

	if (unshare(CLONE_NEWNS) < 0) {
		dprintf(out, "unshare: %s", strerror(errno));
		return 2;
	}
	/* Only /dev/shm made private where / cannot be (a chroot): the new
	 * mount then cannot propagate back to the real one. */
	if ((mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0 &&
	     mount("none", "/dev/shm", "none", MS_PRIVATE, NULL) < 0) ||
	    mount("shmseg-test", "/dev/shm", "tmpfs", 0, "size=1m") < 0) {
		dprintf(out, "mount: %s", strerror(errno));
		return 2;
	}
	a = shmseg_mem_import("full-small", &small, 0, data, 0600, NULL);
	b = shmseg_mem_import("full-big", &big, 0, data, 0600, NULL);
	dir = opendir("/dev/shm");
	while (dir && (de = readdir(dir)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			left++;
	if (dir)
		closedir(dir);
	if (statvfs("/dev/shm", &vfs) < 0)
		return 1;
	dprintf(out, "small=%d big=%d left=%d used=%llu", a, b, left,
		(unsigned long long)(vfs.f_blocks - vfs.f_bfree));
	return 0;
}

START_TEST(mem_import_into_a_full_dev_shm_is_enospc)
{
	char got[256] = "", want[128], why[320];
	unsigned char *data = malloc(72u << 20);
	ssize_t n;
	pid_t pid;
	int p[2], st;

	ck_assert_ptr_nonnull(data);
	memset(data, 0x5a, 72u << 20);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		st = mem_import_into_small_dev_shm(p[1], data);
		free(data);
		_exit(st);
	}
	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = '\0';
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	free(data);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 2) {
		snprintf(why, sizeof(why), "needs root and a private mount "
			 "namespace for /dev/shm: %s", got);
		tu_skip("mem_import_into_a_full_dev_shm_is_enospc", why);
		return;
	}
	/* Killed by a signal where the data went through the mapping. */
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		      "child wait status %#x", st);
	snprintf(want, sizeof(want), "small=%d big=%d left=0 used=0", -ENOSPC,
		 -ENOSPC);
	ck_assert_str_eq(got, want);
}
END_TEST

/* Under RLIMIT_FSIZE an import that would pass it is -EFBIG, before the
 * kernel raises SIGXFSZ (its default action kills), and leaves nothing. */
START_TEST(mem_import_past_the_file_size_limit_is_efbig)
{
	struct shmseg_layout l = tu_layout("u1", 1, 1ull << 20);
	struct rlimit old, low;
	unsigned char *data = calloc(1, 1u << 20);

	ck_assert_ptr_nonnull(data);
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	low = old;
	low.rlim_cur = 1000000;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &low), 0);
	tu_name(name, "memfsz");
	ck_assert_int_eq(shmseg_mem_import(name, &l, 0, data, 0600, NULL),
			 -EFBIG);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
			 -ENOENT);
	free(data);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("import");
	TCase *tc = tcase_create("import");
	TCase *large = tcase_create("large");

	tu_init();
	tcase_add_test(tc, import_and_export_through_pipes);
	tcase_add_test(tc, failed_import_leaves_nothing);
	tcase_add_test(tc, export_of_strided_segment_is_c_order);
	tcase_add_test(tc, export_of_a_shape_numpy_cannot_describe_is_eoverflow);
	tcase_add_loop_test(tc, import_says_what_a_segment_cannot_carry, 0,
			    (int)(sizeof(unsupported) / sizeof(unsupported[0])));
	tcase_add_test(tc, import_says_the_version_found);
	tcase_add_test(tc, raw_import_in_either_order);
	tcase_add_test(tc, raw_import_wants_the_array_exactly);
	tcase_add_test(tc, raw_import_refuses_what_it_cannot_read);
	tcase_add_test(tc, import_says_whose_fault_an_error_is);
	tcase_add_test(tc, raw_import_reads_a_proc_file_to_its_end);
	tcase_add_test(tc, raw_import_of_a_non_blocking_input_that_goes_on_is_eagain);
	tcase_add_test(tc, mem_import_in_either_order);
	tcase_add_test(tc, mem_import_of_0d_and_empty_arrays);
	tcase_add_test(tc, mem_import_refuses_bad_arguments);
	tcase_add_test(tc, mem_import_of_a_taken_name_is_eexist);
	tcase_add_test(tc, mem_import_from_many_threads);
	tcase_add_test(tc, mem_import_past_the_file_size_limit_is_efbig);
	suite_add_tcase(s, tc);
	tcase_add_test(large, large_file_import_in_two_parts);
	tcase_add_test(large, large_export_in_two_parts);
	tcase_add_test(large, overlapping_export_is_bounded);
	tcase_add_test(large, raw_import_counts_a_short_file_in_two_halves);
	tcase_add_test(large, large_mem_import_in_two_parts);
	tcase_add_test(large, mem_import_of_unreadable_data_is_efault);
	tcase_add_test(large, mem_import_into_a_full_dev_shm_is_enospc);
	tcase_set_timeout(large, 120);	/* 72 MiB under valgrind */
	suite_add_tcase(s, large);
	return tu_main(s);
}
