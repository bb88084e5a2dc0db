/* SPDX-License-Identifier: MIT */
/* check_descr.c - NumPy's description of a dtype (lib/descr.c, lib/pylit.c,
 * lib/fields.c): canonical forms, refusals, the table of fields, and the
 * calls that make and read segments of such dtypes */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "descr.h"
#include "fields.h"
#include "header.h"
#include "npy.h"
#include "suite.h"

static char name[TU_NAME_LEN];

/* Whether the first 4096 bytes of segment name hold text. */
static bool header_holds(const char *seg, const char *text)
{
	char path[TU_NAME_LEN + 16], buf[4096];
	FILE *f = fopen(tu_path(path, seg), "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return memmem(buf, n, text, strlen(text)) != NULL;
}

/* ---- the parse, and its canonical text ----------------------------------- */

static const struct {
	const char *in, *canonical;
	char byteorder, kind;
	uint32_t itemsize;
	bool plain;
} good[] = {
	{ "'<f8'", "'<f8'", '<', 'f', 8, true },
	{ "float64", "'<f8'", '<', 'f', 8, true },
	{ "'|V5'", "'|V5'", '|', 'V', 5, true },
	{ "<M8[ns]", "'<M8[ns]'", '<', 'M', 8, false },
	{ "'>m8[25s]'", "'>m8[25s]'", '>', 'm', 8, false },
	{ "'<M8[1s]'", "'<M8[s]'", '<', 'M', 8, false },
	{ "'<M8[generic]'", "'<M8'", '<', 'M', 8, false },
	{ "'<M8'", "'<M8'", '<', 'M', 8, false },
	{ "'<M8[\\u03bcs]'", "'<M8[us]'", '<', 'M', 8, false },
	{ "'<m8[2147483647as]'", "'<m8[2147483647as]'", '<', 'm', 8, false },
	{ "[('a', '<i4'), ('b', '<f8', (2, 3))]",
	  "[('a', '<i4'), ('b', '<f8', (2, 3))]", '|', 'V', 52, false },
	/* Python's spacing and trailing commas, and a comment */
	{ "[ ( 'a' , '<i4' , ) , # x\n ]", "[('a', '<i4')]", '|', 'V', 4,
	  false },
	{ "[(\"a\", \"<i4\", 3)]", "[('a', '<i4', (3,))]", '|', 'V', 12,
	  false },
	{ "[('a', '<i4', ())]", "[('a', '<i4')]", '|', 'V', 4, false },
	{ "[('a', '<i4', (0,)), ('b', '|u1')]",
	  "[('a', '<i4', (0,)), ('b', '|u1')]", '|', 'V', 1, false },
	{ "[(('Temp (K)', 'T'), '>f8'), ('', '|V4')]",
	  "[(('Temp (K)', 'T'), '>f8'), ('', '|V4')]", '|', 'V', 12, false },
	{ "[('x', ('<f8', (5,)), (2,))]", "[('x', ('<f8', (5,)), (2,))]",
	  '|', 'V', 80, false },
	{ "[('p', [('x', '<f4'), ('y', '<f4')], (4,))]",
	  "[('p', [('x', '<f4'), ('y', '<f4')], (4,))]", '|', 'V', 32, false },
	/* names: Latin-1 and beyond escaped, so that the text is ASCII */
	{ "[('caf\xc3\xa9', '<i4')]", "[('caf\\xe9', '<i4')]", '|', 'V', 4,
	  false },
	{ "[('\\u540d', '<i4')]", "[('\\u540d', '<i4')]", '|', 'V', 4, false },
	{ "[('\xf0\x9f\x98\x80', '<i4')]", "[('\\U0001f600', '<i4')]", '|',
	  'V', 4, false },
	{ "[(\"it's\", '<i4')]", "[('it\\'s', '<i4')]", '|', 'V', 4, false },
	{ "[('a\\\\b\\n\\t\\x00\\x7f', '<i4')]",
	  "[('a\\\\b\\n\\t\\x00\\x7f', '<i4')]", '|', 'V', 4, false },
	{ "[('\\q', '<i4')]", "[('\\\\q', '<i4')]", '|', 'V', 4, false },
	{ "[('\\101', '<i4')]", "[('A', '<i4')]", '|', 'V', 4, false },
	{ "[('t', '<M8[ns]'), ('d', '>m8[s]', (2,)), ('g', 'M8')]",
	  "[('t', '<M8[ns]'), ('d', '>m8[s]', (2,)), ('g', '<M8')]", '|', 'V',
	  32, false },
	/* strings of no bytes, as fields (numpy.save writes them) */
	{ "[('a', 'S0'), ('u', '>U0'), ('v', 'V0'), ('b', '<i4')]",
	  "[('a', '|S0'), ('u', '>U0'), ('v', '|V0'), ('b', '<i4')]", '|', 'V',
	  4, false },
	{ "[('b', '?'), ('i', 'i1'), ('s', 'S3'), ('u', '<U2')]",
	  "[('b', '|b1'), ('i', '|i1'), ('s', '|S3'), ('u', '<U2')]", '|', 'V',
	  13, false },
};

START_TEST(parse_gives_the_canonical_text)
{
	struct descr d = { 0 };
	char out[256];

	d.out = out;
	d.out_cap = sizeof(out);
	ck_assert_msg(descr_parse_text(good[_i].in, &d) == 0, "%s: %s",
		      good[_i].in, d.why);
	ck_assert_str_eq(out, good[_i].canonical);
	ck_assert_uint_eq(d.out_len, strlen(good[_i].canonical));
	ck_assert_int_eq(d.dtype.byteorder, good[_i].byteorder);
	ck_assert_int_eq(d.dtype.kind, good[_i].kind);
	ck_assert_uint_eq(d.dtype.itemsize, good[_i].itemsize);
	ck_assert_int_eq(d.plain, good[_i].plain);
	/* The canonical text checks as canonical, and reads the same. */
	d = (struct descr){ .out = out, .out_cap = strlen(out), .check = true };
	ck_assert_int_eq(descr_parse_text(good[_i].canonical, &d), 0);
	ck_assert(!d.differs);
	ck_assert_uint_eq(d.dtype.itemsize, good[_i].itemsize);
}
END_TEST

START_TEST(check_finds_text_not_canonical)
{
	static const char *const texts[] = {
		"[('a','<i4')]", "[('a', '<i4'),]", "[(\"a\", '<i4')]",
		"'<M8[1s]'", "[('a', '<i4', 3)]", "[('caf\\xe9', 'i4')]",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *copy = strdup(texts[i]);
		struct descr d = { .out = copy, .out_cap = strlen(copy),
				   .check = true };

		ck_assert_int_eq(descr_parse_text(copy, &d), 0);
		ck_assert_msg(d.differs, "%s", texts[i]);
		free(copy);
	}
}
END_TEST

static const struct {
	const char *in;
	int err;
	const char *why;
} bad[] = {
	{ "'|O'", -ENOTSUP, "dtype '|O': object arrays hold pointers, not "
	  "data" },
	{ "[('a', '<i4'), ('o', '|O')]", -ENOTSUP, "dtype '|O': object "
	  "arrays hold pointers, not data" },
	{ "'|V0'", -ENOTSUP, "dtype '|V0': a dtype of no bytes" },
	{ "[]", -ENOTSUP, "a dtype of no bytes" },
	{ "[('a', '<i4', (0,))]", -ENOTSUP, "a dtype of no bytes" },
	{ "[('b', ('|S3', {'a': 'b'}))]", -ENOTSUP, "a dtype with metadata" },
	{ "('<i4', (2,))", -ENOTSUP, "a subarray dtype for the whole array" },
	{ "[('a', ('<i4', ()))]", -ENOTSUP, "a subarray of shape ()" },
	/* found by fuzz_descr: () around a subarray was taken for a shape,
	 * and a parenthesis written back with no shape in it */
	{ "[('', (([('a', '<i4')], 4,), (),))]", -ENOTSUP, "a subarray of "
	  "shape ()" },
	{ "'<M8[3ns/2]'", -ENOTSUP, "dtype '<M8[3ns/2]': not a NumPy type a "
	  "segment can carry (see shmseg(5), Dtypes)" },
	{ "'<M8[2147483648s]'", -ENOTSUP, "dtype '<M8[2147483648s]': not a "
	  "NumPy type a segment can carry (see shmseg(5), Dtypes)" },
	{ "'|M8'", -ENOTSUP, "dtype '|M8': not a NumPy type a segment can "
	  "carry (see shmseg(5), Dtypes)" },
	{ "[('\\ud800', '<i4')]", -ENOTSUP, "a field name that is not Unicode "
	  "text (a lone surrogate)" },
	{ "[('a', '<f8', (1048576, 1048576))]", -ENOTSUP, "a subarray of more "
	  "than 2^31 - 1 items" },
	{ "[('a', '<f8', (65536,)), ('b', '<f8', (65536, 16384))]", -ENOTSUP,
	  "a dtype of more than 2^31 - 1 bytes" },
	/* NumPy holds dimensions in a C int, even after a 0 (found in
	 * review: they were let through, and NumPy could not read the
	 * segment) */
	{ "[('a', '<i4', (0, 2147483648)), ('b', '|u1')]", -ENOTSUP,
	  "a subarray of more than 2^31 - 1 items" },
	{ "[('a', [], (2147483647, 2147483647)), ('b', '|u1')]", -ENOTSUP,
	  "a subarray of more than 2^31 - 1 items" },
	/* control characters and other non-ASCII in a type string: NumPy's
	 * type numbers, not a type a segment carries (found in review: they
	 * were read as bool) */
	{ "[('a', '\\x01')]", -ENOTSUP, "dtype '?': not a NumPy type a "
	  "segment can carry (see shmseg(5), Dtypes)" },
	{ "[('a', '\\x11')]", -ENOTSUP, "dtype '?': not a NumPy type a "
	  "segment can carry (see shmseg(5), Dtypes)" },
	{ "'\xc3\xa9'", -ENOTSUP, "dtype '?': not a NumPy type a segment "
	  "can carry (see shmseg(5), Dtypes)" },
	{ "'\xce\xbc" "8'", -ENOTSUP, "dtype '?8': not a NumPy type a segment "
	  "can carry (see shmseg(5), Dtypes)" },
	/* NumPy takes any object for a title */
	{ "[((1, 'a'), '<i4')]", -ENOTSUP, "a field title that is not a "
	  "string" },
	{ "'|S0'", -ENOTSUP, "dtype '|S0': a dtype of no bytes" },
	{ "[('a', '<f8', (200000000,)), ('b', '<f8', (200000000,))]",
	  -ENOTSUP, "a dtype of more than 2^31 - 1 bytes" },
	{ "[('a' '<i4')]", -EILSEQ, "" },
	{ "[(b'a', '<i4')]", -EILSEQ, "" },
	{ "[('a',)]", -EILSEQ, "" },
	{ "[('a', '<i4', (2,), 1)]", -EILSEQ, "" },
	{ "[('a', '<i4')", -EILSEQ, "" },
	{ "[('a', '<i4', (3))]", -EILSEQ, "" },
	{ "[('''a''', '<i4')]", -EILSEQ, "" },
	{ "[('\\N{DIGIT ONE}', '<i4')]", -EILSEQ, "" },
	{ "[('a\nb', '<i4')]", -EILSEQ, "" },
	{ "[('a', '<i4')] x", -EILSEQ, "" },
	{ "[('a', '<i4', (-1,))]", -EILSEQ, "" },
};

START_TEST(refusals_say_why)
{
	struct descr d = { 0 };

	ck_assert_msg(descr_parse_text(bad[_i].in, &d) == bad[_i].err,
		      "%s: %d", bad[_i].in, descr_parse_text(bad[_i].in, &d));
	ck_assert_str_eq(d.why, bad[_i].why);
}
END_TEST

/* A .npy header's text is Latin-1 in versions 1 and 2, UTF-8 in 3: the
 * same name either way, and written back escaped. */
START_TEST(npy_versions_decode_names_by_their_encoding)
{
	static unsigned char head[512];
	char out[128];
	struct npy_hdr h;
	size_t n;
	int v;

	for (v = 1; v <= 3; v++) {
		n = tu_npy_head(head, v, v < 3 ?
				"{'descr': [('caf\xe9', '<i4')], "
				"'fortran_order': False, 'shape': (2,), }" :
				"{'descr': [('caf\xc3\xa9', '<i4')], "
				"'fortran_order': False, 'shape': (2,), }");
		ck_assert_int_eq(npy_parse_descr(head, n, &h, out, sizeof(out)),
				 0);
		ck_assert_str_eq(out, "[('caf\\xe9', '<i4')]");
		ck_assert_uint_eq(h.nbytes, 8);
		ck_assert(!h.plain);
	}
	/* Latin-1 0xe9 alone is no UTF-8: a version 3 header refuses it */
	n = tu_npy_head(head, 3, "{'descr': [('caf\xe9', '<i4')], "
			"'fortran_order': False, 'shape': (2,), }");
	ck_assert_int_eq(npy_parse_descr(head, n, &h, out, sizeof(out)),
			 -EILSEQ);
	/* and the canonical text must have room */
	n = tu_npy_head(head, 1, "{'descr': [('caf\xe9', '<i4')], "
			"'fortran_order': False, 'shape': (2,), }");
	ck_assert_int_eq(npy_parse_descr(head, n, &h, out, 8), -ERANGE);
}
END_TEST

/* Nesting: 64 records within each other are carried, 65 are not. */
START_TEST(nesting_is_bounded)
{
	char text[2048];
	size_t n = 0;
	int depth, i;

	for (depth = 64; depth <= 65; depth++) {
		struct descr d = { 0 };

		n = 0;
		for (i = 0; i < depth; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "[('a', ");
		n += (size_t)snprintf(text + n, sizeof(text) - n, "'<i4'");
		for (i = 0; i < depth; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      ")]");
		ck_assert_int_eq(descr_parse_text(text, &d),
				 depth == 64 ? 0 : -ENOTSUP);
	}
}
END_TEST

/* The parse itself cannot tell a name used twice (it keeps no table);
 * descr_canonical(), which every create and attach goes through, does. */
START_TEST(names_used_twice_are_refused)
{
	static const char *const texts[] = {
		"[('a', '<i4'), ('a', '<f8')]",
		"[(('a', 'a'), '<i4')]",
		"[(('t', 'a'), '<i4'), ('t', '<i4')]",
		"[(('t', 'a'), '<i4'), (('t', 'b'), '<i4')]",
		"[('r', [('x', '<i4'), ('y', '<i4'), ('x', '|u1')])]",
	};
	static const char *const fine[] = {
		/* padding is nameless, and so are never twice */
		"[('', '|V1'), ('a', '<i4'), ('', '|V1')]",
		/* the same name in two records */
		"[('x', [('x', '<i4')]), ('y', [('x', '<i4')])]",
	};
	struct descr d;
	char *canon, why[128];
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		ck_assert_msg(descr_canonical(texts[i], &canon, &d, why,
					      sizeof(why)) == -EILSEQ,
			      "%s", texts[i]);
		ck_assert_str_eq(why, "a record in which a field name or "
				 "title is used twice");
	}
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		ck_assert_msg(descr_canonical(fine[i], &canon, &d, NULL, 0) == 0,
			      "%s", fine[i]);
		ck_assert_str_eq(canon, fine[i]);
		free(canon);
	}
}
END_TEST

/* Where the canonical text does not fit: -ERANGE, never past the end. */
START_TEST(small_room_is_erange)
{
	const char *text = "[('a', '<i4'), ('b', '<f8', (2, 3))]";
	size_t len = strlen(text), cap;

	for (cap = 0; cap <= len + 1; cap++) {
		char *out = malloc(cap ? cap : 1);
		struct descr d = { .out = out, .out_cap = cap };

		ck_assert_int_eq(descr_parse_text(text, &d),
				 cap > len ? 0 : -ERANGE);
		ck_assert_uint_eq(d.out_len, len);
		free(out);
	}
}
END_TEST

/* ---- the table of fields (shmseg_fields()) ------------------------------ */

START_TEST(fields_of_a_nested_record)
{
	struct shmseg_field *f;
	int n = shmseg_fields("[('', '|V2'), (('Temp', 'T'), '>f8'), "
			      "('r', [('t', '<M8[25s]'), ('a\\x00b', '|u1', "
			      "(2, 3))], (4,)), ('g', '<m8')]", &f);

	ck_assert_int_eq(n, 6);
	/* the element */
	ck_assert_str_eq(f[0].name, "");
	ck_assert_int_eq(f[0].parent, -1);
	ck_assert_uint_eq(f[0].nfields, 3);
	ck_assert_int_eq(f[0].record, 1);
	ck_assert_int_eq(f[0].dtype.kind, 'V');
	ck_assert_uint_eq(f[0].dtype.itemsize, 2 + 8 + 4 * 14 + 8);
	/* 'T', after the padding */
	ck_assert_str_eq(f[1].name, "T");
	ck_assert_str_eq(f[1].title, "Temp");
	ck_assert_uint_eq(f[1].title_len, 4);
	ck_assert_int_eq(f[1].parent, 0);
	ck_assert_uint_eq(f[1].offset, 2);
	ck_assert_int_eq(f[1].dtype.byteorder, '>');
	ck_assert_int_eq(f[1].dtype.kind, 'f');
	ck_assert_uint_eq(f[1].ndim, 0);
	/* 'r', a subarray of four records of 14 bytes */
	ck_assert_str_eq(f[2].name, "r");
	ck_assert_ptr_null(f[2].title);
	ck_assert_uint_eq(f[2].offset, 10);
	ck_assert_int_eq(f[2].record, 1);
	ck_assert_uint_eq(f[2].nfields, 2);
	ck_assert_uint_eq(f[2].dtype.itemsize, 14);
	ck_assert_uint_eq(f[2].ndim, 1);
	ck_assert_uint_eq(f[2].shape[0], 4);
	ck_assert_str_eq(f[3].name, "t");
	ck_assert_int_eq(f[3].parent, 2);
	ck_assert_uint_eq(f[3].offset, 10);
	ck_assert_int_eq(f[3].dtype.kind, 'M');
	ck_assert_str_eq(f[3].unit, "25s");
	/* a name that holds a NUL */
	ck_assert_uint_eq(f[4].name_len, 3);
	ck_assert_mem_eq(f[4].name, "a\0b", 4);
	ck_assert_uint_eq(f[4].offset, 18);
	ck_assert_uint_eq(f[4].ndim, 2);
	ck_assert_uint_eq(f[4].shape[0], 2);
	ck_assert_uint_eq(f[4].shape[1], 3);
	ck_assert_str_eq(f[5].name, "g");
	ck_assert_int_eq(f[5].parent, 0);
	ck_assert_uint_eq(f[5].offset, 66);
	ck_assert_str_eq(f[5].unit, "");
	free(f);
}
END_TEST

/* What NumPy drops as padding: an unnamed field of type void without
 * names, which a subarray is too, even of numbers or of records. */
START_TEST(padding_is_what_numpy_drops)
{
	struct shmseg_field *f;

	ck_assert_int_eq(shmseg_fields("[('', [('a', '<i4')], (2,)), "
				       "('', '<i4', (2,)), ('', '|V4'), "
				       "('', [('c', '<i4')]), ('b', '<i4')]",
				       &f), 4);
	/* the unnamed record that is no subarray stays, with its field */
	ck_assert_str_eq(f[1].name, "");
	ck_assert_int_eq(f[1].record, 1);
	ck_assert_uint_eq(f[1].offset, 20);
	ck_assert_str_eq(f[2].name, "c");
	ck_assert_int_eq(f[2].parent, 1);
	ck_assert_str_eq(f[3].name, "b");
	ck_assert_uint_eq(f[3].offset, 24);
	ck_assert_uint_eq(f[0].nfields, 2);
	free(f);
	/* fields dropped with their padding after the table had them: room
	 * for them all the same (found by fuzz_descr) */
	ck_assert_int_eq(shmseg_fields("[('b', '<i4'), ('', [('x', '<i4'), "
				       "('y', '<i4')], (2,))]", &f), 2);
	ck_assert_str_eq(f[1].name, "b");
	ck_assert_uint_eq(f[0].dtype.itemsize, 20);
	free(f);
}
END_TEST

START_TEST(fields_of_a_plain_dtype)
{
	struct shmseg_field *f;

	ck_assert_int_eq(shmseg_fields("<M8[ns]", &f), 1);
	ck_assert_int_eq(f[0].dtype.kind, 'M');
	ck_assert_str_eq(f[0].unit, "ns");
	ck_assert_int_eq(f[0].record, 0);
	free(f);
	ck_assert_int_eq(shmseg_fields("float32", &f), 1);
	ck_assert_uint_eq(f[0].dtype.itemsize, 4);
	free(f);
	ck_assert_int_eq(shmseg_fields("|O", &f), -ENOTSUP);
	ck_assert_int_eq(shmseg_fields("[('a', '<i4')", &f), -EINVAL);
	ck_assert_int_eq(shmseg_fields("[('a', '<i4'), ('a', '<i4')]", &f),
			 -EINVAL);
	ck_assert_int_eq(shmseg_fields(NULL, &f), -EINVAL);
	ck_assert_int_eq(shmseg_fields("<f8", NULL), -EINVAL);
}
END_TEST

START_TEST(check_says_why)
{
	char why[128];

	ck_assert_int_eq(shmseg_descr_check("[('t', '<M8[ns]')]", why,
					    sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(shmseg_descr_check("[('o', '|O')]", why, sizeof(why)),
			 -ENOTSUP);
	ck_assert_str_eq(why, "dtype '|O': object arrays hold pointers, not "
			 "data");
	ck_assert_int_eq(shmseg_descr_check("[('a', '<i4'), ('a', '<i4')]",
					    why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "a record in which a field name or title is "
			 "used twice");
	ck_assert_int_eq(shmseg_descr_check("[(", why, sizeof(why)), -EINVAL);
	ck_assert_str_eq(why, "malformed dtype description");
	/* a short buffer: the reason cut, NUL-terminated; none at all */
	ck_assert_int_eq(shmseg_descr_check("|O", why, 6), -ENOTSUP);
	ck_assert_str_eq(why, "dtype");
	ck_assert_int_eq(shmseg_descr_check("|O", NULL, 0), -ENOTSUP);
	ck_assert_int_eq(shmseg_descr_check(NULL, why, sizeof(why)), -EINVAL);
}
END_TEST

/* ---- segments of such dtypes ---------------------------------------------- */

#define REC "[('t', '<M8[ns]'), ('x', '<f8', (2,)), ('n', '|u1'), ('', '|V7')]"

START_TEST(create_attach_and_read_the_descr)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 3), got;
	struct shmseg_stat st;
	struct shmseg *seg, *rd;
	char buf[256];

	tu_name(name, "rec");
	l.dtype.kind = 'x';	/* ignored: the description says */
	ck_assert_int_eq(shmseg_create_descr(name, "[('t','<M8[ns]'), "
					     "('x', '<f8', 2), ('n', 'u1'), "
					     "('', 'V7')]", &l, 0, 0600,
					     &seg), 0);
	got = *shmseg_layout(seg);
	ck_assert_int_eq(got.dtype.kind, 'V');
	ck_assert_int_eq(got.dtype.byteorder, '|');
	ck_assert_uint_eq(got.dtype.itemsize, 32);
	ck_assert_uint_eq(shmseg_nbytes(seg), 96);
	memset(shmseg_data(seg), 0xab, 96);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_descr(seg, NULL, 0), (int)strlen(REC));
	ck_assert_int_eq(shmseg_descr(seg, buf, sizeof(buf)), (int)strlen(REC));
	ck_assert_str_eq(buf, REC);
	ck_assert_int_eq(shmseg_descr(seg, buf, strlen(REC)), -ERANGE);
	ck_assert_int_eq(shmseg_descr(NULL, buf, sizeof(buf)), -EINVAL);
	shmseg_detach(seg);

	ck_assert_int_eq(shmseg_attach(name, 0, &rd), 0);
	ck_assert_int_eq(shmseg_descr(rd, buf, sizeof(buf)), (int)strlen(REC));
	ck_assert_str_eq(buf, REC);
	ck_assert_uint_eq(shmseg_layout(rd)->strides[0], 32);
	ck_assert_int_eq(((unsigned char *)shmseg_data(rd))[95], 0xab);
	shmseg_detach(rd);
	ck_assert_int_eq(shmseg_stat_descr(name, &st, buf, sizeof(buf)),
			 (int)strlen(REC));
	ck_assert_str_eq(buf, REC);
	ck_assert_uint_eq(st.layout.dtype.itemsize, 32);
	ck_assert_int_eq(shmseg_stat_descr(name, NULL, buf, 4), -ERANGE);
	/* The header: format 4, its dict the description. */
	ck_assert(header_holds(name, "{'descr': " REC ", 'fortran_order': "
			       "False, 'shape': (3,), }\n#shmseg=0004 "));
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

/* A plain dtype, however given, makes a segment of format 3, which
 * readers before this release read too. */
START_TEST(plain_descr_keeps_format_3)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 3);
	struct shmseg *seg;
	char buf[256];

	tu_name(name, "plain");
	ck_assert_int_eq(shmseg_create_descr(name, "[('x', '<f8')][0:0] ",
					     &l, 0, 0600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_create_descr(name, "float64", &l, 0, 0600,
					     &seg), 0);
	ck_assert_int_eq(shmseg_descr(seg, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "'<f8'");
	ck_assert_int_eq(shmseg_seal(seg), 0);
	shmseg_detach(seg);
	ck_assert(header_holds(name, "{'descr': '<f8', 'fortran_order': "
			       "False, 'shape': (3,), }\n#shmseg=0003 "));
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

/* A datetime given as a struct shmseg_dtype alone has no unit: generic. */
START_TEST(datetime_by_struct_is_generic)
{
	struct shmseg_layout l = tu_layout("<M8", 1, 2);
	struct shmseg *seg;
	char buf[64];

	tu_name(name, "generic");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_descr(seg, buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "'<M8'");
	ck_assert_int_eq(shmseg_seal(seg), 0);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_int_eq(shmseg_layout(seg)->dtype.kind, 'M');
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

START_TEST(refused_descriptions_leave_nothing)
{
	struct shmseg_layout l = tu_layout("|u1", 2, 3, 4);
	struct shmseg *seg;
	char *big;
	size_t i, n = 0;

	tu_name(name, "refused");
	ck_assert_int_eq(shmseg_create_descr(name, "|O", &l, 0, 0600, &seg),
			 -ENOTSUP);
	ck_assert_int_eq(shmseg_create_descr(name, "[('a', '<i4')", &l, 0,
					     0600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_create_descr(name, "[('a', '<i4'), "
					     "('a', '<i4')]", &l, 0, 0600,
					     &seg), -EINVAL);
	/* strides of neither order: NumPy would see bytes, and lose it */
	l.strides[0] = 64;
	l.strides[1] = 8;
	ck_assert_int_eq(shmseg_create_descr(name, "[('a', '<i4'), "
					     "('b', '<i4')]", &l, 0, 0600,
					     &seg), -EINVAL);
	l.strides[0] = l.strides[1] = 0;
	/* a description longer than a header holds */
	big = malloc(HDR_MAX + 64);
	ck_assert_ptr_nonnull(big);
	n += (size_t)sprintf(big, "[");
	for (i = 0; n < HDR_MAX; i++)
		n += (size_t)sprintf(big + n, "%s('f%zu', '<i4')", i ? ", " : "",
				     i);
	sprintf(big + n, "]");
	ck_assert_int_eq(shmseg_create_descr(name, big, &l, 0, 0600, &seg),
			 -ENOTSUP);
	free(big);
	ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
			 -ENOENT);
}
END_TEST

/* A long description: the header grows by whole pages, past 4096 bytes;
 * the data stays page-aligned; everything reads back. */
START_TEST(long_descr_grows_the_header)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 5);
	struct shmseg_stat st;
	struct shmseg *seg;
	char *text, *back;
	long page = sysconf(_SC_PAGESIZE);
	size_t i, n = 0, need;
	int len;

	text = malloc(32768);
	back = malloc(32768);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_nonnull(back);
	n += (size_t)sprintf(text, "[");
	for (i = 0; i < 1500; i++)
		n += (size_t)sprintf(text + n, "%s('field%zu', '<i2')",
				     i ? ", " : "", i);
	sprintf(text + n, "]");
	tu_name(name, "long");
	ck_assert_int_eq(shmseg_create_descr(name, text, &l, 0, 0600, &seg),
			 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
	/* The smallest multiple of the page size that holds the preamble,
	 * the dict and its newline, the control block of one dimension
	 * (271 + 2 * 16 bytes, shmseg(5)) and the final newline. */
	need = 10 + strlen("{'descr': ") + strlen(text) +
	       strlen(", 'fortran_order': False, 'shape': (5,), }") + 1 +
	       303 + 1;
	ck_assert_uint_eq(st.size - st.nbytes,
			  (need + (size_t)page - 1) / (size_t)page * (size_t)page);
	ck_assert_uint_gt(st.size - st.nbytes, 4096);
	ck_assert_uint_eq(shmseg_nbytes(seg), 5 * 3000);
	len = shmseg_descr(seg, back, 32768);
	ck_assert_int_eq(len, (int)strlen(text));
	ck_assert_str_eq(back, text);
	ck_assert_int_lt(len, SHMSEG_DESCR_MAX);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	free(text);
	free(back);
}
END_TEST

/* Around the end of the first page: a description a byte longer than
 * fits moves the data a page on, and each one reads back. */
START_TEST(header_size_at_the_page_boundary)
{
	struct shmseg_layout l = tu_layout("|u1", 1, 5);
	const char *tail = ", 'fortran_order': False, 'shape': (5,), }";
	/* 201 fields of 2 bytes */
	struct shmseg_stat st;
	struct shmseg *seg;
	char text[4200], back[4200];
	size_t k, need, size, seen4096 = 0, seen8192 = 0;

	tu_name(name, "edge");
	for (k = 250; k < 350; k++) {
		size_t i, n = 0;

		/* 200 fields of 17 bytes, then one whose name is k bytes */
		for (i = 0; i < 200; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n,
					      "%s('f%03zu', '<i2')",
					      i ? ", " : "[", i);
		snprintf(text + n, sizeof(text) - n, ", ('%0*d', '<i2')]",
			 (int)k, 7);
		need = 10 + strlen("{'descr': ") + strlen(text) + strlen(tail) +
		       1 + 303 + 1;
		ck_assert_int_eq(shmseg_create_descr(name, text, &l, 0, 0600,
						     &seg), 0);
		ck_assert_int_eq(shmseg_seal(seg), 0);
		shmseg_detach(seg);
		ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
		ck_assert_int_eq(shmseg_fstat(seg, &st), 0);
		ck_assert_int_eq(shmseg_descr(seg, back, sizeof(back)),
				 (int)strlen(text));
		shmseg_detach(seg);
		size = (size_t)(st.size - st.nbytes);
		ck_assert_uint_eq(size, need <= 4096 ? 4096 : 8192);
		seen4096 += size == 4096;
		seen8192 += size == 8192;
		ck_assert_int_eq(shmseg_unlink(name), 0);
	}
	ck_assert_uint_gt(seen4096, 0);
	ck_assert_uint_gt(seen8192, 0);
}
END_TEST

START_TEST(memory_and_raw_imports_take_a_descr)
{
	static const unsigned char data[2 * 9] = { 1, 0, 0, 0, 0, 0, 0, 0, 7,
						   2, 0, 0, 0, 0, 0, 0, 0, 9 };
	struct shmseg_layout l = tu_layout("|u1", 1, 2);
	struct shmseg *seg;
	char why[128], buf[64];
	int p[2];

	tu_name(name, "mem");
	ck_assert_int_eq(shmseg_mem_import_descr(name, "[('t', '<M8[s]'), "
						 "('c', '|u1')]", &l, 0, data,
						 0600, &seg), 0);
	ck_assert_int_eq(shmseg_descr(seg, buf, sizeof(buf)), 31);
	ck_assert_mem_eq(shmseg_data(seg), data, sizeof(data));
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);

	tu_name(name, "raw");
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], data, sizeof(data)), (ssize_t)sizeof(data));
	close(p[1]);
	ck_assert_int_eq(shmseg_raw_import_descr(name, "[('t', '<M8[s]'), "
						 "('c', '|u1')]", &l, 0, p[0],
						 0600, &seg, why, sizeof(why)),
			 0);
	close(p[0]);
	ck_assert_str_eq(why, "");
	ck_assert_mem_eq(shmseg_data(seg), data, sizeof(data));
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	/* a description refused: said as the input's fault */
	ck_assert_int_eq(shmseg_raw_import_descr(name, "[('o', '|O')]", &l, 0,
						 0, 0600, NULL, why,
						 sizeof(why)), -ENOTSUP);
	ck_assert_str_eq(why, "dtype '|O': object arrays hold pointers, not "
			 "data");
	ck_assert_int_eq(shmseg_mem_import_descr(name, "[", &l, 0, data, 0600,
						 NULL), -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("descr");
	TCase *tc = tcase_create("descr");

	tu_init();
	tcase_add_loop_test(tc, parse_gives_the_canonical_text, 0,
			    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_test(tc, check_finds_text_not_canonical);
	tcase_add_loop_test(tc, refusals_say_why, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, npy_versions_decode_names_by_their_encoding);
	tcase_add_test(tc, nesting_is_bounded);
	tcase_add_test(tc, names_used_twice_are_refused);
	tcase_add_test(tc, small_room_is_erange);
	tcase_add_test(tc, fields_of_a_nested_record);
	tcase_add_test(tc, padding_is_what_numpy_drops);
	tcase_add_test(tc, fields_of_a_plain_dtype);
	tcase_add_test(tc, check_says_why);
	tcase_add_test(tc, create_attach_and_read_the_descr);
	tcase_add_test(tc, plain_descr_keeps_format_3);
	tcase_add_test(tc, datetime_by_struct_is_generic);
	tcase_add_test(tc, refused_descriptions_leave_nothing);
	tcase_add_test(tc, long_descr_grows_the_header);
	tcase_add_test(tc, header_size_at_the_page_boundary);
	tcase_add_test(tc, memory_and_raw_imports_take_a_descr);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
