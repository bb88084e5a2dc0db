/* SPDX-License-Identifier: MIT */
/* check_npy.c - .npy headers (lib/npy.c): parsing, formatting, import and
 * export through file descriptors */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "suite.h"

static char name[TU_NAME_LEN];
static unsigned char buf[8192];

/* A .npy header of the given version holding exactly n bytes of text. */
static size_t make_exact(int version, const char *text, size_t n)
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

/* A .npy header of the given version around dict text, padded as NumPy
 * pads it. */
static size_t make(int version, const char *dict)
{
	size_t pre = version == 1 ? 10 : 12, n = strlen(dict);
	size_t total = (pre + n + 1 + 63) / 64 * 64;
	char text[sizeof(buf)];

	memcpy(text, dict, n);
	memset(text + n, ' ', total - pre - n - 1);
	text[total - pre - 1] = '\n';
	return make_exact(version, text, total - pre);
}

START_TEST(parses_what_numpy_writes)
{
	struct npy_hdr h;
	size_t n;
	int v;

	for (v = 1; v <= 3; v++) {
		n = make(v, "{'descr': '<f8', 'fortran_order': False, "
			 "'shape': (3, 4), }");
		ck_assert_int_eq(npy_header_size(buf, n), (long)n);
		ck_assert_int_eq(npy_parse(buf, n, &h), 0);
		ck_assert_int_eq(h.layout.dtype.kind, 'f');
		ck_assert_uint_eq(h.layout.ndim, 2);
		ck_assert_uint_eq(h.layout.shape[1], 4);
		ck_assert(!h.fortran);
		ck_assert_uint_eq(h.nbytes, 96);
		ck_assert_uint_eq(h.header_size, n);
	}
	n = make(1, "{\"shape\": (5,), \"fortran_order\": True, "
		 "\"descr\": \">i2\"}");
	ck_assert_int_eq(npy_parse(buf, n, &h), 0);
	ck_assert(h.fortran);
	ck_assert_uint_eq(h.layout.ndim, 1);
	ck_assert_int_eq(h.layout.dtype.byteorder, '>');
	n = make(1, "{'descr': '<f4', 'fortran_order': False, "
		 "'shape': (2L, 3L), }");	/* as Python 2 wrote it */
	ck_assert_int_eq(npy_parse(buf, n, &h), 0);
	ck_assert_uint_eq(h.layout.shape[1], 3);
	n = make(1, "{'descr':'|b1','fortran_order':False,'shape':()}");
	ck_assert_int_eq(npy_parse(buf, n, &h), 0);
	ck_assert_uint_eq(h.layout.ndim, 0);
	ck_assert_uint_eq(h.nbytes, 1);
	n = make(1, "{'descr': '<U3', 'fortran_order': False, "
		 "'shape': (0, 2,), }");
	ck_assert_int_eq(npy_parse(buf, n, &h), 0);
	ck_assert_uint_eq(h.layout.dtype.itemsize, 12);
	ck_assert_uint_eq(h.nbytes, 0);
}
END_TEST

static const struct {
	const char *dict;
	int err;
} bad[] = {
	{ "", -EILSEQ },
	{ "{}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), "
	  "'shape': (3,)}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), "
	  "'extra': 1}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': Maybe, 'shape': (3,)}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3)}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (-3,)}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3,,)}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4]}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)} x",
	  -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), ,}",
	  -EILSEQ },
	{ "{'descr': '<f8' 'fortran_order': False, 'shape': (3,)}", -EILSEQ },
	{ "{'descr': '<f\\8', 'fortran_order': False, 'shape': (3,)}",
	  -EILSEQ },
	{ "{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}", -EILSEQ },
	{ "{'descr': '<f3', 'fortran_order': False, 'shape': (3,)}", -ENOTSUP },
	{ "{'descr': '|O', 'fortran_order': False, 'shape': (3}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (99999999999999999999,)}", -EILSEQ },
	{ "{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", -ENOTSUP },
	{ "{'descr': '<M8[ns]', 'fortran_order': False, 'shape': (3,)}",
	  -ENOTSUP },
	{ "{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (3,)}",
	  -ENOTSUP },
	{ "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
	  "1,1,1,1)}", -ENOTSUP },
	{ "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (4294967296, 4294967296)}", -EOVERFLOW },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (0003,)}",
	  -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 00)}",
	  -EILSEQ },
};

START_TEST(refuses_bad_headers)
{
	struct npy_hdr h;
	size_t n = make(1, bad[_i].dict);

	ck_assert_msg(npy_parse(buf, n, &h) == bad[_i].err, "%s: %d",
		      bad[_i].dict, npy_parse(buf, n, &h));
}
END_TEST

/* A NUL inside a quoted key or value: Python refuses it, and a parser
 * that copied the string and compared it as a C string would read
 * 'descr\0x' as 'descr' and '<f8\0zz' as '<f8' (found by fuzz_npy). */
START_TEST(nul_inside_a_string_is_eilseq)
{
	static const char *dicts[] = {
		"{'descr': '<f8@zz', 'fortran_order': False, 'shape': (3,)}",
		"{'descr@x': '<f8', 'fortran_order': False, 'shape': (3,)}",
		"{'descr': \"<f8@\", 'fortran_order': False, 'shape': (3,)}",
	};
	struct npy_hdr h;
	size_t i, n;
	unsigned char *at;

	for (i = 0; i < sizeof(dicts) / sizeof(dicts[0]); i++) {
		n = make(1, dicts[i]);
		at = memchr(buf, '@', n);
		ck_assert_ptr_nonnull(at);
		*at = '\0';
		ck_assert_msg(npy_parse(buf, n, &h) == -EILSEQ, "%s: %d",
			      dicts[i], npy_parse(buf, n, &h));
	}
	/* Without the NUL, the same headers are fine or merely unknown. */
	n = make(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,)}");
	ck_assert_int_eq(npy_parse(buf, n, &h), 0);
}
END_TEST

/* What NumPy's reader (ast.literal_eval over the header text) accepts
 * around the dict, and what it refuses, each checked against numpy.load
 * of the same bytes: err12 for versions 1 and 2 (Latin-1 text, Python 2
 * longs), err3 for version 3 (UTF-8). */
#define DICT "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"
#define TEXT(s) s, sizeof(s) - 1
static const struct {
	const char *text;
	size_t len;
	int err12, err3;
} around[] = {
	/* a copy of a segment: its control block is '#' lines */
	{ TEXT(DICT "\n#shmseg=0001\n#uuid=86739ccab8f7\n" "      \n"), 0, 0 },
	{ TEXT(DICT "  # a comment on the dict's line\n"), 0, 0 },
	{ TEXT(DICT "#\n# a\n\n   # b\n\t# c\n"), 0, 0 },
	{ TEXT(DICT "\n# no line end at the end"), 0, 0 },
	{ TEXT(DICT "\t\t\n\t\n"), 0, 0 },
	{ TEXT(DICT "\f\n\f# form feeds\n\f\n"), 0, 0 },
	{ TEXT(DICT "\r"), 0, 0 },
	{ TEXT(DICT "\r\n# a\r\n# b\r\n"), 0, 0 },
	{ TEXT(DICT "\r# a\r# b\r"), 0, 0 },
	{ TEXT(DICT "\n# caf\xc3\xa9 \xe2\x80\xa8 \xf0\x9f\x98\x80\n"), 0, 0 },
	{ TEXT(DICT "\n# \x01\x1b[31m\v\x7f\n"), 0, 0 },
	{ TEXT(DICT "# " DICT "\n"), 0, 0 },
	{ TEXT(DICT " \\\n   \n"), 0, 0 },
	{ TEXT(DICT " \\\n# a join, then a comment\n"), 0, 0 },
	{ TEXT(DICT " \\\r\n \\\r \n"), 0, 0 },
	{ TEXT(DICT " \\\n "), 0, 0 },
	{ TEXT(DICT "\n  \\\n  # c\n"), 0, 0 },
	{ TEXT(DICT " # a backslash in a comment joins nothing \\\n"), 0, 0 },
	{ TEXT("  \n# before the dict\r\n\t# too\n\f\n" DICT "\n"), 0, 0 },
	{ TEXT("{'descr': '<f8', # c\n 'fortran_order' # c\r: False,\f \\\n"
	       " 'shape': (3 # c\n,), } # c"), 0, 0 },
	/* Latin-1 in versions 1 and 2, not UTF-8 */
	{ TEXT(DICT "\n# caf\xe9 \xff\x80\x85\n"), 0, -EILSEQ },
	{ TEXT(DICT "\n# \xed\xa0\x80\n"), 0, -EILSEQ },	/* surrogate */
	{ TEXT(DICT "\n# \xc0\xaf\n"), 0, -EILSEQ },		/* overlong */
	{ TEXT(DICT "\n# \xf4\x90\x80\x80\n"), 0, -EILSEQ },	/* > 10FFFF */
	{ TEXT(DICT "\n# \xe2\x80"), 0, -EILSEQ },		/* cut short */
	/* Python 2 longs, which NumPy drops only from versions 1 and 2 */
	{ TEXT("{'descr': '<f8', 'fortran_order': False, 'shape': (3L,), }"),
	  0, -EILSEQ },
	{ TEXT("{'descr': '<f8', 'fortran_order': False, "
	       "'shape': (3 \\\n\fL # c\n,), }"), 0, -EILSEQ },
	{ TEXT("{'descr': '<f8', 'fortran_order': False, 'shape': (3\nL,), }"),
	  -EILSEQ, -EILSEQ },
	{ TEXT("{'descr': '<f8', 'fortran_order': False, "
	       "'shape': (3 # c\nL,), }"), -EILSEQ, -EILSEQ },
	{ TEXT("{'descr': '<f8', 'fortran_order': False, 'shape': (3LL,), }"),
	  -EILSEQ, -EILSEQ },
	/* refused by NumPy too */
	{ TEXT(DICT "\n# a comment, then code\nx\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\n# a comment, then code\n  x\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\n# a lone CR ends a comment\rx\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " x # c\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\n" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\n# c\n" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " \\\n" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT ";\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT ",\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " \\\n"), -EILSEQ, -EILSEQ },	/* a join at the end */
	{ TEXT(DICT " \\\r\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "# c\n\\\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " \\"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " \\ \n"), -EILSEQ, -EILSEQ },	/* not a join */
	{ TEXT(DICT "\n \\\n "), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\v\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\x1a\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT " \xa0\n"), -EILSEQ, -EILSEQ },	/* NBSP, Latin-1 */
	{ TEXT(DICT " \xc2\xa0\n"), -EILSEQ, -EILSEQ },	/* NBSP, UTF-8 */
	{ TEXT(DICT "\x00"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "# \x00 NUL in a comment\n"), -EILSEQ, -EILSEQ },
	{ TEXT("# \x00\n" DICT), -EILSEQ, -EILSEQ },
	{ TEXT("\n  " DICT "\n"), -EILSEQ, -EILSEQ },	/* indented */
	{ TEXT("# c\n " DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT("\v" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT("{'descr': '<f8', \\ \n 'fortran_order': False, "
	       "'shape': (3,), }"), -EILSEQ, -EILSEQ },
	/* An indented last line without a line end: version 3 refuses it,
	 * versions 1 and 2 do not; refused in all. */
	{ TEXT(DICT "\n  "), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "# c\n\t"), -EILSEQ, -EILSEQ },
	/* NumPy takes these, in some versions; no writer makes them, and
	 * they are refused rather than read as one version or the other. */
	{ TEXT("\f" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT("\\\n" DICT "\n"), -EILSEQ, -EILSEQ },
	{ TEXT(DICT "\n\f"), -EILSEQ, -EILSEQ },
};

START_TEST(reads_around_the_dict_as_numpy_does)
{
	struct npy_hdr h;
	size_t n;
	int v, want, got;

	for (v = 1; v <= 3; v++) {
		n = make_exact(v, around[_i].text, around[_i].len);
		want = v == 3 ? around[_i].err3 : around[_i].err12;
		got = npy_parse(buf, n, &h);
		ck_assert_msg(got == want, "version %d, case %d: %d, not %d",
			      v, _i, got, want);
		if (got == 0) {
			ck_assert_uint_eq(h.header_size, n);
			ck_assert_uint_eq(h.layout.ndim, 1);
			ck_assert_uint_eq(h.layout.shape[0], 3);
			ck_assert_uint_eq(h.nbytes, 24);
		}
	}
}
END_TEST

START_TEST(refuses_bad_preambles)
{
	struct npy_hdr h;
	size_t n = make(1, "{'descr': '<f8', 'fortran_order': False, "
			"'shape': (3,)}");

	ck_assert_int_eq(npy_parse(buf, n - 1, &h), -EILSEQ);	/* short */
	ck_assert_int_eq(npy_header_size(buf, 9), -EILSEQ);
	buf[6] = 4;
	ck_assert_int_eq(npy_parse(buf, n, &h), -ENOTSUP);	/* version */
	buf[6] = 1;
	buf[0] = 0x92;
	ck_assert_int_eq(npy_parse(buf, n, &h), -EILSEQ);	/* magic */
	/* version 2 announcing 2 GiB of header text */
	n = make(2, "{}");
	buf[11] = 0x80;
	ck_assert_int_eq(npy_header_size(buf, n), -EILSEQ);
}
END_TEST

START_TEST(format_matches_numpy)
{
	struct shmseg_layout l = tu_layout("<f8", 2, 3ull, 4ull);
	const char *want = "{'descr': '<f8', 'fortran_order': True, "
			   "'shape': (3, 4), }";
	char out[256];
	long n = npy_format(&l, true, out, sizeof(out));

	ck_assert_int_eq(n, 128);
	ck_assert_int_eq(memcmp(out, "\x93NUMPY\x01\x00\x76\x00", 10), 0);
	ck_assert_int_eq(memcmp(out + 10, want, strlen(want)), 0);
	ck_assert_int_eq(out[127], '\n');
	ck_assert_int_eq(out[126], ' ');
	ck_assert_int_eq(npy_format(&l, true, out, 100), -ERANGE);
}
END_TEST

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
	ck_assert_str_eq(why, "");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("npy");
	TCase *tc = tcase_create("npy");
	TCase *large = tcase_create("large");

	tu_init();
	tcase_add_test(tc, parses_what_numpy_writes);
	tcase_add_loop_test(tc, refuses_bad_headers, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, reads_around_the_dict_as_numpy_does, 0,
			    (int)(sizeof(around) / sizeof(around[0])));
	tcase_add_test(tc, refuses_bad_preambles);
	tcase_add_test(tc, nul_inside_a_string_is_eilseq);
	tcase_add_test(tc, format_matches_numpy);
	tcase_add_test(tc, import_and_export_through_pipes);
	tcase_add_test(tc, failed_import_leaves_nothing);
	tcase_add_test(tc, export_of_strided_segment_is_c_order);
	suite_add_tcase(s, tc);
	tcase_add_test(large, large_file_import_in_two_parts);
	tcase_add_test(large, large_export_in_two_parts);
	tcase_add_test(large, overlapping_export_is_bounded);
	tcase_add_test(tc, export_of_a_shape_numpy_cannot_describe_is_eoverflow);
	tcase_add_loop_test(tc, import_says_what_a_segment_cannot_carry, 0,
			    (int)(sizeof(unsupported) / sizeof(unsupported[0])));
	tcase_add_test(tc, import_says_the_version_found);
	tcase_set_timeout(large, 120);	/* 72 MiB under valgrind */
	suite_add_tcase(s, large);
	return tu_main(s);
}
