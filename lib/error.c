/* SPDX-License-Identifier: MIT */
/* error.c - messages for the negative errno values the library returns */
#include <limits.h>
#include <string.h>

#include "internal.h"

/* Codes whose meaning in this library is narrower than the errno text. */
static const struct {
	int err;
	const char *msg;
} messages[] = {
	{ EAGAIN,	"segment is not sealed yet" },
	{ EBADMSG,	"not a shmseg segment, or its header is corrupt" },
	{ EEXIST,	"segment exists" },
	{ ENOENT,	"no such segment" },
	{ ENOTSUP,	"unsupported format version or dtype" },
	{ EILSEQ,	"malformed .npy header" },
	{ ENODATA,	"input is shorter than its header says" },
	{ EMSGSIZE,	"input is longer than the array" },
	{ ETIMEDOUT,	"timed out waiting for the segment" },
	{ EOVERFLOW,	"array size overflows 64 bits" },
	{ ENOSPC,	"no space left for the segment" },
	{ EALREADY,	"segment is already sealed" },
	{ ENAMETOOLONG,	"segment name too long" },
	{ EACCES,	"permission denied" },
	{ EPERM,	"operation not permitted on this segment" },
	{ ELOOP,	"a symbolic link; not followed" },
	{ EIDRM,	"its name was removed before the seal" },
	{ EFBIG,	"larger than the file size limit allows" },
	{ ECANCELED,	"the name no longer holds the segment judged; not "
			"removed" },
	{ EROFS,	"the shared-memory file system is read-only" },
	{ EBUSY,	"another process holds a lease on it" },
};

EXPORT const char *shmseg_strerror(int err)
{
	long e = err < 0 ? -(long)err : err;	/* INT_MIN too */
	size_t i;

	if (err == 0)
		return "success";
	if (e > INT_MAX)
		return "unknown error";
	for (i = 0; i < sizeof(messages) / sizeof(messages[0]); i++)
		if (messages[i].err == e)
			return messages[i].msg;
	/* glibc and the BSDs return static text for every known errno. */
	return strerror((int)e);
}
