/* SPDX-License-Identifier: MIT */
/* check_dtype.c - dtype strings (lib/dtype.c) */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "suite.h"

#define NATIVE "<"	/* the test machines are little-endian */

static const struct {
	const char *in;
	const char *canonical;
} good[] = {
	{ "<f8", "<f8" },	{ ">i4", ">i4" },	{ "|u1", "|u1" },
	{ "f8", NATIVE "f8" },	{ "=f4", NATIVE "f4" },	{ "<f2", "<f2" },
	{ ">f16", ">f16" },	{ "c16", NATIVE "c16" },
	{ ">c8", ">c8" },	{ "<c32", "<c32" },
	{ "S10", "|S10" },	{ "<S3", "|S3" },	{ "V16", "|V16" },
	{ "|V1", "|V1" },	{ "<U10", "<U10" },	{ ">U1", ">U1" },
	{ "?", "|b1" },		{ "|?", "|b1" },	{ "b1", "|b1" },
	{ "<i1", "|i1" },	{ "u1", "|u1" },	{ "i8", NATIVE "i8" },
	{ "float64", NATIVE "f8" },	{ "float32", NATIVE "f4" },
	{ "float16", NATIVE "f2" },	{ "int8", "|i1" },
	{ "int16", NATIVE "i2" },	{ "int32", NATIVE "i4" },
	{ "int64", NATIVE "i8" },	{ "uint8", "|u1" },
	{ "uint16", NATIVE "u2" },	{ "uint32", NATIVE "u4" },
	{ "uint64", NATIVE "u8" },	{ "complex64", NATIVE "c8" },
	{ "complex128", NATIVE "c16" },	{ "bool", "|b1" },
	{ "S4294967295", "|S4294967295" },
	/* datetime64 and timedelta64 without a unit (generic): a unit needs
	 * the description (shmseg_create_descr()) */
	{ "M8", NATIVE "M8" },		{ ">M8", ">M8" },
	{ "<m8", "<m8" },
};

START_TEST(parse_then_format_is_canonical)
{
	struct shmseg_dtype dt, again;
	char buf[SHMSEG_DTYPE_STRLEN];
	int n;

	ck_assert_msg(shmseg_dtype_parse(good[_i].in, &dt) == 0, "%s",
		      good[_i].in);
	n = shmseg_dtype_format(&dt, buf, sizeof(buf));
	ck_assert_int_eq(n, (int)strlen(good[_i].canonical));
	ck_assert_str_eq(buf, good[_i].canonical);
	/* The canonical form reads back as the same dtype. */
	ck_assert_int_eq(shmseg_dtype_parse(buf, &again), 0);
	ck_assert_int_eq(again.byteorder, dt.byteorder);
	ck_assert_int_eq(again.kind, dt.kind);
	ck_assert_uint_eq(again.itemsize, dt.itemsize);
}
END_TEST

static const char *const bad[] = {
	"", "<", "f", "f0", "f3", "f08", "i3", "i16", "u0", "b2", "c4", "S",
	"S0", "V0", "U0", "U", "x8", "<<f8", "f8 ", " f8", "|f8", "|i4",
	"float", "Float64", "int", "f-8", "f+8", "S4294967296",
	"U1073741824", "S99999999999", "?1", "<?x", "O", "f8\n",
	"<M8[ns]", "M4", "|M8", "m16", "M",
};

START_TEST(bad_strings_are_einval)
{
	struct shmseg_dtype dt = { 'x', 'x', 77 };

	ck_assert_msg(shmseg_dtype_parse(bad[_i], &dt) == -EINVAL, "%s",
		      bad[_i]);
	/* Nothing is written on failure. */
	ck_assert_int_eq(dt.itemsize, 77);
}
END_TEST

START_TEST(itemsizes_follow_numpy)
{
	struct shmseg_dtype dt;

	ck_assert_int_eq(shmseg_dtype_parse("<U10", &dt), 0);
	ck_assert_int_eq(dt.itemsize, 40);	/* characters of 4 bytes */
	ck_assert_int_eq(shmseg_dtype_parse("c16", &dt), 0);
	ck_assert_int_eq(dt.itemsize, 16);
	ck_assert_int_eq(dt.kind, 'c');
	ck_assert_int_eq(shmseg_dtype_parse("S10", &dt), 0);
	ck_assert_int_eq(dt.itemsize, 10);
	ck_assert_int_eq(dt.byteorder, '|');
}
END_TEST

START_TEST(null_arguments_are_einval)
{
	struct shmseg_dtype dt = { '<', 'f', 8 };
	char buf[SHMSEG_DTYPE_STRLEN];

	ck_assert_int_eq(shmseg_dtype_parse(NULL, &dt), -EINVAL);
	ck_assert_int_eq(shmseg_dtype_parse("f8", NULL), -EINVAL);
	ck_assert_int_eq(shmseg_dtype_format(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(shmseg_dtype_format(&dt, NULL, 8), -EINVAL);
}
END_TEST

START_TEST(format_rejects_non_canonical_structs)
{
	static const struct shmseg_dtype wrong[] = {
		{ '=', 'f', 8 }, { '|', 'f', 8 }, { '<', 'u', 1 },
		{ '<', 'S', 4 }, { '<', 'f', 0 }, { '<', 'q', 8 },
		{ '<', 'U', 6 }, { '>', 'b', 1 }, { 0, 0, 0 },
	};
	char buf[SHMSEG_DTYPE_STRLEN];
	size_t i;

	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		ck_assert_int_eq(shmseg_dtype_format(&wrong[i], buf,
						     sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(format_into_short_buffer_is_erange)
{
	struct shmseg_dtype dt = { '<', 'f', 8 };
	char buf[4];

	ck_assert_int_eq(shmseg_dtype_format(&dt, buf, 4), 3);
	ck_assert_str_eq(buf, "<f8");
	ck_assert_int_eq(shmseg_dtype_format(&dt, buf, 3), -ERANGE);
	ck_assert_int_eq(shmseg_dtype_format(&dt, buf, 0), -ERANGE);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dtype");
	TCase *tc = tcase_create("dtype");

	tu_init();
	tcase_add_loop_test(tc, parse_then_format_is_canonical, 0,
			    (int)(sizeof(good) / sizeof(good[0])));
	tcase_add_loop_test(tc, bad_strings_are_einval, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, itemsizes_follow_numpy);
	tcase_add_test(tc, null_arguments_are_einval);
	tcase_add_test(tc, format_rejects_non_canonical_structs);
	tcase_add_test(tc, format_into_short_buffer_is_erange);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
