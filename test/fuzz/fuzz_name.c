/* SPDX-License-Identifier: MIT */
/* fuzz_name.c - libFuzzer target: name_normalize() on any string */
#include <stdlib.h>
#include <string.h>

#include "name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* "/name": one leading slash and no other, not "/." or "/..", bounded,
 * and the name itself is kept as it was given. */
static void check_name(const char *str, const char *buf)
{
	size_t len = strnlen(buf, NAME_BUF);

	if (len < 2 || len > SHMSEG_NAME_MAX + 1)
		abort();
	if (buf[0] != '/' || memchr(buf + 1, '/', len - 1))
		abort();
	if (strcmp(buf, "/.") == 0 || strcmp(buf, "/..") == 0)
		abort();
	if (strcmp(buf + 1, str[0] == '/' ? str + 1 : str) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[NAME_BUF], *str = malloc(size + 1);
	int ret;

	if (!str)
		abort();
	memcpy(str, data, size);
	str[size] = '\0';
	ret = name_normalize(str, buf);
	if (ret == 0)
		check_name(str, buf);
	else if (ret != -EINVAL && ret != -ENAMETOOLONG)
		abort();
	free(str);
	return 0;
}
