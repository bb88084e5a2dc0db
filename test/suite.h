/* SPDX-License-Identifier: MIT */
/* suite.h - the main() every Check test program shares */
#ifndef SHMSEG_TEST_SUITE_H
#define SHMSEG_TEST_SUITE_H

#include <check.h>

#include "util.h"

/* Run one suite; the exit status says whether all of it passed. */
static inline int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	tu_cleanup();
	return failed ? 1 : 0;
}

#endif
