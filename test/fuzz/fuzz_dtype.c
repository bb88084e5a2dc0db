/* SPDX-License-Identifier: MIT */
/* fuzz_dtype.c - libFuzzer target: shmseg_dtype_parse() on any string */
#include <stdlib.h>
#include <string.h>

#include "dtype.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical string of what was accepted parses to the same dtype. */
static void round_trip(const struct shmseg_dtype *dt)
{
	struct shmseg_dtype back;
	char buf[SHMSEG_DTYPE_STRLEN];
	int n;

	if (dtype_check(dt) != 0)
		abort();
	n = shmseg_dtype_format(dt, buf, sizeof(buf));
	if (n <= 0 || (size_t)n != strlen(buf))
		abort();
	if (shmseg_dtype_parse(buf, &back) != 0)
		abort();
	if (back.byteorder != dt->byteorder || back.kind != dt->kind ||
	    back.itemsize != dt->itemsize)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmseg_dtype dt;
	char *str = malloc(size + 1);
	int ret;

	if (!str)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	ret = shmseg_dtype_parse(str, &dt);
	if (ret != 0 && ret != -EINVAL)
		abort();
	if (ret == 0)
		round_trip(&dt);
	free(str);
	return 0;
}
