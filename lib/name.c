/* SPDX-License-Identifier: MIT */
/* name.c - validation of segment names, before any system call */
#include <string.h>

#include "name.h"

int name_normalize(const char *name, char buf[NAME_BUF])
{
	size_t len;

	if (!name)
		return -EINVAL;
	if (name[0] == '/')
		name++;
	/* Bounded scan: an unterminated or huge string is never walked past
	 * SHMSEG_NAME_MAX + 1 bytes. */
	len = strnlen(name, SHMSEG_NAME_MAX + 1);
	if (len == 0)
		return -EINVAL;
	if (len > SHMSEG_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len))
		return -EINVAL;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	buf[0] = '/';
	memcpy(buf + 1, name, len + 1);
	return 0;
}
