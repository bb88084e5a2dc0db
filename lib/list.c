/* SPDX-License-Identifier: MIT */
/* list.c - enumeration of the segments a caller can read */
#include "internal.h"

struct list_ctx {
	shmseg_list_fn *fn;
	void *arg;
};

static int list_one(int fd, const char *name, void *arg)
{
	struct list_ctx *ctx = arg;
	struct shmseg_stat st;
	int ret = seg_stat_fd(fd, &st);

	/* Foreign objects and other formats are not ours to report. */
	if (ret == -EBADMSG || ret == -ENOTSUP)
		return 0;
	if (ret)
		return ret;
	return ctx->fn(name, &st, ctx->arg);
}

EXPORT int shmseg_list(shmseg_list_fn *fn, void *arg)
{
	struct list_ctx ctx = { fn, arg };

	if (!fn)
		return -EINVAL;
	return os_list(list_one, &ctx);
}
