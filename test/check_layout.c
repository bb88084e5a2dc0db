/* SPDX-License-Identifier: MIT */
/* check_layout.c - shapes, strides and sizes (lib/layout.c) */
#include <errno.h>
#include <string.h>

#include "layout.h"
#include "suite.h"

START_TEST(layout_complete_derives_strides)
{
	struct shmseg_layout l = tu_layout("<f8", 3, 2ull, 3ull, 4ull);
	uint64_t n;

	ck_assert_int_eq(layout_complete(&l, false, &n), 0);
	ck_assert_int_eq(l.strides[0], 96);
	ck_assert_int_eq(l.strides[1], 32);
	ck_assert_int_eq(l.strides[2], 8);
	ck_assert_uint_eq(n, 192);
	ck_assert_int_eq(layout_order(&l), SHMSEG_ORDER_C);
	l = tu_layout("<f8", 3, 2ull, 3ull, 4ull);
	ck_assert_int_eq(layout_complete(&l, true, &n), 0);
	ck_assert_int_eq(l.strides[0], 8);
	ck_assert_int_eq(l.strides[1], 16);
	ck_assert_int_eq(l.strides[2], 48);
	ck_assert_int_eq(layout_order(&l), SHMSEG_ORDER_F);
	l = tu_layout("<i4", 2, 0ull, 5ull);
	ck_assert_int_eq(layout_complete(&l, false, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(l.strides[0], 20);
	l = tu_layout("<i4", 0);
	ck_assert_int_eq(layout_complete(&l, false, &n), 0);
	ck_assert_uint_eq(n, 4);
}
END_TEST

START_TEST(layout_complete_refuses_bad_layouts)
{
	struct shmseg_layout l;
	uint64_t n;

	l = tu_layout("<f8", 1, 4ull);
	l.ndim = SHMSEG_MAX_NDIM + 1;
	ck_assert_int_eq(layout_complete(&l, false, &n), -EINVAL);
	l = tu_layout("<f8", 1, 4ull);
	l.dtype.itemsize = 0;
	ck_assert_int_eq(layout_complete(&l, false, &n), -EINVAL);
	l = tu_layout("<f8", 1, 4ull);
	l.dtype.kind = 'O';
	ck_assert_int_eq(layout_complete(&l, false, &n), -EINVAL);
	l = tu_layout("<f8", 1, 4ull);
	l.dtype.byteorder = '|';
	ck_assert_int_eq(layout_complete(&l, false, &n), -EINVAL);
	l = tu_layout("<f8", 2, 4ull, 4ull);
	l.strides[0] = -32;
	l.strides[1] = 8;
	ck_assert_int_eq(layout_complete(&l, false, &n), -EINVAL);
	l.strides[0] = 32;
	ck_assert_int_eq(layout_complete(&l, true, &n), -EINVAL);
	/* 2^61 float64 elements: 2^64 bytes */
	l = tu_layout("<f8", 2, 1ull << 31, 1ull << 30);
	ck_assert_int_eq(layout_complete(&l, false, &n), -EOVERFLOW);
	l = tu_layout("<f8", 1, UINT64_MAX);
	ck_assert_int_eq(layout_complete(&l, false, &n), -EOVERFLOW);
	/* strides whose extent overflows */
	l = tu_layout("<f8", 2, 3ull, 3ull);
	l.strides[0] = INT64_MAX / 2;
	l.strides[1] = 8;
	ck_assert_int_eq(layout_complete(&l, false, &n), -EOVERFLOW);
	/* the same shape, but a byte order written by hand, is fine */
	l = tu_layout("<u1", 1, 3ull);
	l.dtype.byteorder = '<';
	ck_assert_int_eq(layout_complete(&l, false, &n), 0);
	ck_assert_int_eq(l.dtype.byteorder, '|');
	l = tu_layout("<f8", 1, 3ull);
	l.dtype.byteorder = '=';
	ck_assert_int_eq(layout_complete(&l, false, &n), 0);
	ck_assert_int_eq(l.dtype.byteorder, '<');
}
END_TEST

/* shmseg(5): a zero dimension counts as 1, and an item size times that
 * product above 2^63 - 1 makes the strides neither C nor Fortran. */
START_TEST(layout_order_counts_zero_as_one_and_overflow_as_neither)
{
	struct shmseg_layout l = tu_layout("<f8", 3, 0ull, 1ull << 61, 4ull);

	/* 2^66 bytes: neither, whatever the strides */
	l.strides[0] = 0;
	l.strides[1] = 32;
	l.strides[2] = 8;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_NONE);
	ck_assert_int_eq(layout_order(&l), SHMSEG_ORDER_NONE);
	/* 2^63 bytes, one past the limit */
	l.shape[1] = 1ull << 58;
	l.strides[0] = INT64_MIN;	/* what 2^63 would wrap to */
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_NONE);
	/* 2^62 bytes: C, with the first stride as if its 0 were 1 */
	l.shape[1] = 1ull << 57;
	l.strides[0] = 1ll << 62;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_C);
	l.strides[0] = 0;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_NONE);
	/* the same in Fortran order */
	l = tu_layout("<f8", 3, 4ull, 1ull << 57, 0ull);
	l.strides[0] = 8;
	l.strides[1] = 32;
	l.strides[2] = 1ll << 62;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_F);
	l.shape[1] = 1ull << 58;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_NONE);
	/* exactly 2^63 - 1 bytes is still C */
	l = tu_layout("|u1", 1, (uint64_t)INT64_MAX);
	l.strides[0] = 1;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_C);
	l.shape[0] = 1ull << 63;
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_NONE);
	l = tu_layout("<i4", 0);
	ck_assert_int_eq(shmseg_layout_order(&l), SHMSEG_ORDER_C);
}
END_TEST

START_TEST(layout_order_of_no_layout_is_einval)
{
	struct shmseg_layout l = tu_layout("<f8", 1, 3ull);

	ck_assert_int_eq(shmseg_layout_order(NULL), -EINVAL);
	l.ndim = SHMSEG_MAX_NDIM + 1;
	ck_assert_int_eq(shmseg_layout_order(&l), -EINVAL);
	l.ndim = 1;
	l.dtype.itemsize = 0;
	ck_assert_int_eq(shmseg_layout_order(&l), -EINVAL);
}
END_TEST

/* shmctl info NAME [--json]; its output in out. */
static void shmctl_info(const char *name, bool json, char *out, size_t len)
{
	char *argv[] = { (char *)tu_shmctl(), "info", (char *)name,
			 json ? "--json" : NULL, NULL };

	ck_assert_int_eq(tu_run(argv, false, NULL, out, len), 0);
}

/* The example of shmseg(5) made for real: shmctl, which once had its own
 * copy of the rule without the limit, says strided as the library does. */
START_TEST(shmctl_says_an_overflowing_layout_is_strided)
{
	struct shmseg_layout l = tu_layout("<f8", 3, 0ull, 1ull << 61, 4ull);
	struct shmseg_stat st;
	struct shmseg *seg;
	char name[TU_NAME_LEN], out[8192];

	l.strides[1] = 32;
	l.strides[2] = 8;
	tu_name(name, "order");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0644, &seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_detach(seg), 0);
	ck_assert_int_eq(shmseg_stat(name, &st), 0);
	ck_assert_int_eq(shmseg_layout_order(&st.layout), SHMSEG_ORDER_NONE);
	shmctl_info(name, false, out, sizeof(out));
	ck_assert_msg(strstr(out, "\norder:        strided\n"), "%s", out);
	shmctl_info(name, true, out, sizeof(out));
	ck_assert_msg(strstr(out, "\"order\": \"strided\""), "%s", out);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

/* Bytes of the elements one after another, bounded by a limit. */
START_TEST(packed_size_counts_elements_up_to_a_limit)
{
	struct shmseg_layout l = tu_layout("<f8", 2, 3ull, 4ull);
	uint64_t n = 1;

	ck_assert_int_eq(layout_packed_size(&l, 96, &n), 0);
	ck_assert_uint_eq(n, 96);
	ck_assert_int_eq(layout_packed_size(&l, 95, &n), -EOVERFLOW);
	/* Strides do not matter: overlapping elements count each time. */
	l.strides[0] = 0;
	l.strides[1] = 0;
	ck_assert_int_eq(layout_packed_size(&l, 96, &n), 0);
	ck_assert_uint_eq(n, 96);
	/* An empty array has none, whatever the other dimensions. */
	l = tu_layout("<f8", 3, 0ull, 1ull << 62, 1ull << 62);
	ck_assert_int_eq(layout_packed_size(&l, 1, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* Past the limit at the first step or the last; none wraps. */
	l = tu_layout("<f8", 2, 1ull << 62, 4ull);
	ck_assert_int_eq(layout_packed_size(&l, UINT64_MAX, &n), -EOVERFLOW);
	l = tu_layout("u1", 0);
	ck_assert_int_eq(layout_packed_size(&l, 1, &n), 0);
	ck_assert_uint_eq(n, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layout");
	TCase *tc = tcase_create("layout");

	tu_init();
	tcase_add_test(tc, layout_complete_derives_strides);
	tcase_add_test(tc, layout_complete_refuses_bad_layouts);
	tcase_add_test(tc, layout_order_counts_zero_as_one_and_overflow_as_neither);
	tcase_add_test(tc, layout_order_of_no_layout_is_einval);
	tcase_add_test(tc, shmctl_says_an_overflowing_layout_is_strided);
	tcase_add_test(tc, packed_size_counts_elements_up_to_a_limit);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
