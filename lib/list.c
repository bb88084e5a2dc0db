/* SPDX-License-Identifier: MIT */
/* list.c - enumeration of the segments a caller can read */
#include "os.h"
#include "segment.h"

struct list_ctx {
	shmseg_list_fn *fn;
	void *arg;
	int flags;
};

static int list_one(int fd, const char *name, void *arg)
{
	struct list_ctx *ctx = arg;
	struct shmseg_stat st;
	int ret = seg_stat_fd(fd, &st);

	/* Foreign objects and other formats are not ours to report, unless
	 * the caller wants to see everything. */
	if (ret == -EBADMSG || ret == -ENOTSUP)
		return ctx->flags & SHMSEG_LIST_ALL ?
			ctx->fn(name, NULL, ctx->arg) : 0;
	if (ret)
		return ret;
	return ctx->fn(name, &st, ctx->arg);
}

EXPORT int shmseg_list_flags(int flags, shmseg_list_fn *fn, void *arg)
{
	struct list_ctx ctx = { fn, arg, flags };

	if (!fn || (flags & ~SHMSEG_LIST_ALL))
		return -EINVAL;
	return os_list(list_one, &ctx);
}

EXPORT int shmseg_list(shmseg_list_fn *fn, void *arg)
{
	return shmseg_list_flags(0, fn, arg);
}
