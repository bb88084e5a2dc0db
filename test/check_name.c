/* SPDX-License-Identifier: MIT */
/* check_name.c - name validation (lib/name.c), through the public API */
#include <errno.h>
#include <string.h>

#include "name.h"
#include "suite.h"

START_TEST(normalize_adds_one_leading_slash)
{
	char buf[NAME_BUF];

	ck_assert_int_eq(name_normalize("abc", buf), 0);
	ck_assert_str_eq(buf, "/abc");
	ck_assert_int_eq(name_normalize("/abc", buf), 0);
	ck_assert_str_eq(buf, "/abc");
	ck_assert_int_eq(name_normalize("/.hidden", buf), 0);
	ck_assert_str_eq(buf, "/.hidden");
	ck_assert_int_eq(name_normalize("...", buf), 0);
}
END_TEST

static const char *const bad_names[] = {
	"", "/", "//", "//a", "a/b", "/a/b", "a/", ".", "..", "/.", "/..",
	"../x", "/../x",
};

START_TEST(bad_names_are_einval_everywhere)
{
	const char *name = bad_names[_i];
	struct shmseg_layout l = tu_layout("u1", 1, 8ull);
	struct shmseg_stat st;
	struct shmseg *seg = NULL;
	char buf[NAME_BUF];

	ck_assert_int_eq(name_normalize(name, buf), -EINVAL);
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_attach_wait(name, 0, 0, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_stat(name, &st), -EINVAL);
	ck_assert_int_eq(shmseg_unlink(name), -EINVAL);
	ck_assert_ptr_null(seg);
}
END_TEST

START_TEST(null_name_is_einval)
{
	struct shmseg_stat st;
	struct shmseg *seg;

	ck_assert_int_eq(shmseg_attach(NULL, 0, &seg), -EINVAL);
	ck_assert_int_eq(shmseg_stat(NULL, &st), -EINVAL);
	ck_assert_int_eq(shmseg_unlink(NULL), -EINVAL);
}
END_TEST

START_TEST(name_of_255_bytes_works_256_is_enametoolong)
{
	struct shmseg_layout l = tu_layout("u1", 1, 8ull);
	char name[300], slashed[300];
	struct shmseg *seg;
	size_t used;

	/* The unique prefix, then filler up to exactly 255 bytes. */
	tu_name(name, "long");
	used = strlen(name);
	memset(name + used, 'x', 255 - used);
	name[255] = '\0';
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), 0);
	ck_assert_int_eq(shmseg_seal(seg), 0);
	ck_assert_int_eq(shmseg_detach(seg), 0);
	/* With the slash it is the same object. */
	slashed[0] = '/';
	strcpy(slashed + 1, name);
	ck_assert_int_eq(shmseg_attach(slashed, 0, &seg), 0);
	ck_assert_int_eq(shmseg_detach(seg), 0);
	ck_assert_int_eq(shmseg_unlink(slashed), 0);

	strcat(name, "y");
	ck_assert_int_eq(shmseg_create(name, &l, 0, 0600, &seg), -ENAMETOOLONG);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -ENAMETOOLONG);
	ck_assert_int_eq(shmseg_unlink(name), -ENAMETOOLONG);
	ck_assert_int_eq(name_normalize(slashed, (char[NAME_BUF]){ 0 }), 0);
}
END_TEST

START_TEST(huge_name_is_not_scanned_past_the_limit)
{
	static char huge[1 << 20];
	char buf[NAME_BUF];

	memset(huge, 'a', sizeof(huge) - 1);
	ck_assert_int_eq(name_normalize(huge, buf), -ENAMETOOLONG);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("name");

	tu_init();
	tcase_add_test(tc, normalize_adds_one_leading_slash);
	tcase_add_loop_test(tc, bad_names_are_einval_everywhere, 0,
			    (int)(sizeof(bad_names) / sizeof(bad_names[0])));
	tcase_add_test(tc, null_name_is_einval);
	tcase_add_test(tc, name_of_255_bytes_works_256_is_enametoolong);
	tcase_add_test(tc, huge_name_is_not_scanned_past_the_limit);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
