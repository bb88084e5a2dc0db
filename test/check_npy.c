/* SPDX-License-Identifier: MIT */
/* check_npy.c - .npy headers (lib/npy.c): parsing and formatting */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "npy.h"
#include "suite.h"

static unsigned char buf[8192];

/* The .npy header of the given version around dict, padded as NumPy
 * pads it, into buf; its length. */
static size_t make(int version, const char *dict)
{
	return tu_npy_head(buf, version, dict);
}

/* One holding exactly n bytes of text. */
static size_t make_exact(int version, const char *text, size_t n)
{
	return tu_npy_exact(buf, version, text, n);
}

START_TEST(parses_what_numpy_writes)
{
	struct npy_hdr h;
	size_t n;
	int v;

	for (v = 1; v <= 3; v++) {
		n = make(v, "{'descr': '<f8', 'fortran_order': False, "
			 "'shape': (3, 4), }");
		ck_assert_int_eq(npy_size_announced(buf, n), (long)n);
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
	/* An unknown escape keeps its backslash, as in Python: a string,
	 * but no dtype */
	{ "{'descr': '<f\\8', 'fortran_order': False, 'shape': (3,)}",
	  -ENOTSUP },
	{ "{'descr': '<f8, 'fortran_order': False, 'shape': (3,)}", -EILSEQ },
	{ "{'descr': '<f3', 'fortran_order': False, 'shape': (3,)}", -ENOTSUP },
	{ "{'descr': '|O', 'fortran_order': False, 'shape': (3}", -EILSEQ },
	{ "{'descr': '<f8', 'fortran_order': False, "
	  "'shape': (99999999999999999999,)}", -EILSEQ },
	{ "{'descr': '|O', 'fortran_order': False, 'shape': (3,)}", -ENOTSUP },
	{ "{'descr': '|V0', 'fortran_order': False, 'shape': (3,)}",
	  -ENOTSUP },
	{ "{'descr': '<M8[3ns/2]', 'fortran_order': False, 'shape': (3,)}",
	  -ENOTSUP },
	{ "{'descr': [('a', '<i4'), ('o', '|O')], 'fortran_order': False, "
	  "'shape': (3,)}", -ENOTSUP },
	{ "{'descr': [('b', ('|S3', {'a': 'b'}))], 'fortran_order': False, "
	  "'shape': (3,)}", -ENOTSUP },
	{ "{'descr': [('a' '<i4')], 'fortran_order': False, 'shape': (3,)}",
	  -EILSEQ },
	{ "{'descr': [('a', '<i4', (3))], 'fortran_order': False, "
	  "'shape': (3,)}", -EILSEQ },
	{ "{'descr': [('a',)], 'fortran_order': False, 'shape': (3,)}",
	  -EILSEQ },
	{ "{'descr': [(b'a', '<i4')], 'fortran_order': False, 'shape': (3,)}",
	  -EILSEQ },
	{ "{'descr': [('a', '<i4', (2,), 1)], 'fortran_order': False, "
	  "'shape': (3,)}", -EILSEQ },
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
	ck_assert_int_eq(npy_size_announced(buf, 9), -EILSEQ);
	buf[6] = 4;
	ck_assert_int_eq(npy_parse(buf, n, &h), -ENOTSUP);	/* version */
	buf[6] = 1;
	buf[0] = 0x92;
	ck_assert_int_eq(npy_parse(buf, n, &h), -EILSEQ);	/* magic */
	/* version 2 announcing 2 GiB of header text */
	n = make(2, "{}");
	buf[11] = 0x80;
	ck_assert_int_eq(npy_size_announced(buf, n), -EILSEQ);
}
END_TEST

START_TEST(format_matches_numpy)
{
	struct shmseg_layout l = tu_layout("<f8", 2, 3ull, 4ull);
	const char *want = "{'descr': '<f8', 'fortran_order': True, "
			   "'shape': (3, 4), }";
	char out[256];
	long n = npy_format(&l, NULL, true, out, sizeof(out));

	ck_assert_int_eq(n, 128);
	ck_assert_int_eq(memcmp(out, "\x93NUMPY\x01\x00\x76\x00", 10), 0);
	ck_assert_int_eq(memcmp(out + 10, want, strlen(want)), 0);
	ck_assert_int_eq(out[127], '\n');
	ck_assert_int_eq(out[126], ' ');
	ck_assert_int_eq(npy_format(&l, NULL, true, out, 100), -ERANGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("npy");
	TCase *tc = tcase_create("npy");

	tu_init();
	tcase_add_test(tc, parses_what_numpy_writes);
	tcase_add_loop_test(tc, refuses_bad_headers, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_loop_test(tc, reads_around_the_dict_as_numpy_does, 0,
			    (int)(sizeof(around) / sizeof(around[0])));
	tcase_add_test(tc, refuses_bad_preambles);
	tcase_add_test(tc, nul_inside_a_string_is_eilseq);
	tcase_add_test(tc, format_matches_numpy);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
