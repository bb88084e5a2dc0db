/* SPDX-License-Identifier: MIT */
/* check_import.c - between files and segments (lib/import.c and
 * lib/export.c): .npy and raw import, .npy export, through pipes and
 * files, and which object an error is blamed on */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"

static char name[TU_NAME_LEN];
static unsigned char buf[8192];

/* The .npy header of the given version around dict, into buf. */
static size_t make(int version, const char *dict)
{
	return tu_npy_head(buf, version, dict);
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
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n + sizeof(data)),
			 (ssize_t)(n + sizeof(data)));
	close(p[1]);
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
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n + 5), (ssize_t)(n + 5));
	close(p[1]);
	tu_name(name, "short");
	ck_assert_int_eq(shmseg_npy_import(name, p[0], 0644, NULL), -ENODATA);
	close(p[0]);
	ck_assert_int_eq(shmseg_stat(name, &st), -ENOENT);
	ck_assert_int_eq(pipe(p), 0);
	close(p[1]);
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
	{ "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (2,), }", 2,
	  "dtype '<M8[ns]': datetime64 is not supported" },
	{ "{'descr': '>m8[s]', 'fortran_order': False, 'shape': (2,), }", 3,
	  "dtype '>m8[s]': timedelta64 is not supported" },
	{ "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (2,), }",
	  1, "structured dtypes (a list of fields) are not supported" },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, "
	  "1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, "
	  "1, 1, 1, 1, 1), }", 1, "more than 32 dimensions" },
};

START_TEST(import_says_what_a_segment_cannot_carry)
{
	char why[128];
	size_t n = make(unsupported[_i].version, unsupported[_i].dict);
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n), (ssize_t)n);
	close(p[1]);
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
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n), (ssize_t)n);
	close(p[1]);
	why[0] = 'x';
	ck_assert_int_eq(shmseg_npy_import_why("x", p[0], 0600, NULL, why,
					       sizeof(why)), -EILSEQ);
	close(p[0]);
	ck_assert_str_eq(why, "malformed .npy header");
}
END_TEST

/* Raw bytes in C order from a pipe, in Fortran order from a file. */
START_TEST(raw_import_in_either_order)
{
	static const unsigned char data[12] = "abcdefghijkl";
	struct shmseg_layout l = tu_layout("<u2", 2, 2ull, 3ull);
	const struct shmseg_layout *got;
	struct shmseg_stat st;
	struct shmseg *seg;
	char why[128], path[] = "/tmp/shmseg-raw-XXXXXX";
	int p[2], fd;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], data, sizeof(data)), 12);
	close(p[1]);
	tu_name(name, "rawc");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0640, &seg, why,
					   sizeof(why)), 0);
	close(p[0]);
	ck_assert_str_eq(why, "");
	got = shmseg_layout(seg);
	ck_assert_int_eq(got->strides[0], 6);
	ck_assert_int_eq(got->strides[1], 2);
	ck_assert_int_eq(memcmp(shmseg_data(seg), data, 12), 0);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	ck_assert_int_eq(st.state, SHMSEG_SEALED);
	ck_assert_uint_eq(st.mode, 0440);
	shmseg_detach(seg);

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(write(fd, data, sizeof(data)), 12);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	tu_name(name, "rawf");
	ck_assert_int_eq(shmseg_raw_import(name, &l, SHMSEG_FORTRAN, fd, 0600,
					   NULL, NULL, 0), 0);
	close(fd);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	got = shmseg_layout(seg);
	ck_assert_int_eq(got->strides[0], 2);
	ck_assert_int_eq(got->strides[1], 4);
	ck_assert_int_eq(memcmp(shmseg_data(seg), data, 12), 0);
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
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abcd", 4), 4);
	close(p[1]);
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600, NULL,
					   NULL, 0), 0);
	close(p[0]);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abcd", 4), 4);
	close(p[1]);
	strcpy(why, "x");
	ck_assert_int_eq(shmseg_raw_import(name, &l, 0, p[0], 0600, NULL, why,
					   sizeof(why)), -EEXIST);
	close(p[0]);
	ck_assert_str_eq(why, "");
	n = make(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (4,), }");
	memcpy(buf + n, "abcd", 4);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n + 4), (ssize_t)(n + 4));
	close(p[1]);
	strcpy(why, "x");
	ck_assert_int_eq(shmseg_npy_import_why(name, p[0], 0600, NULL, why,
					       sizeof(why)), -EEXIST);
	close(p[0]);
	ck_assert_str_eq(why, "");
	/* An array too large to be stored, whether its header says so or
	 * the segment cannot hold it: the segment's. */
	n = make(1, "{'descr': '<f8', 'fortran_order': False, "
		 "'shape': (4611686018427387904, 4), }");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], buf, n), (ssize_t)n);
	close(p[1]);
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
	suite_add_tcase(s, tc);
	tcase_add_test(large, large_file_import_in_two_parts);
	tcase_add_test(large, large_export_in_two_parts);
	tcase_add_test(large, overlapping_export_is_bounded);
	tcase_add_test(large, raw_import_counts_a_short_file_in_two_halves);
	tcase_set_timeout(large, 120);	/* 72 MiB under valgrind */
	suite_add_tcase(s, large);
	return tu_main(s);
}
