/* SPDX-License-Identifier: MIT */
/* import.c - a new sealed segment from a .npy file or from raw bytes,
 * read from a descriptor straight into the segment, or from memory */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "header.h"
#include "layout.h"
#include "npy.h"
#include "os.h"
#include "segment.h"

/* Where a message about the input goes: an import that fails because of
 * its input says so in why; one that fails because of the segment leaves
 * why empty (see shmseg_raw_import(3)). */
struct why {
	char *buf;
	size_t len;
};

/* An error of the input, with its message. */
static int blame_input(const struct why *w, int err, const char *msg)
{
	if (w->buf && w->len)
		snprintf(w->buf, w->len, "%s", msg);
	return err;
}

/* An error from reading the input, in the words of the C library: the
 * library's own texts are about segments (-EAGAIN: "not sealed yet"). */
static int read_failed(const struct why *w, int err)
{
	return blame_input(w, err, strerror(-err));
}

/* Exactly len bytes of the input, read as a stream (it may be a pipe);
 * -ENODATA if it ends first. */
static int read_input(int fd, void *buf, size_t len)
{
	int64_t n = io_read(fd, buf, len, -1);

	if (n < 0)
		return (int)n;
	return (size_t)n < len ? -ENODATA : 0;
}

#define TOO_LONG "the dtype's description is longer than a segment's " \
		 "header holds (%d bytes)"

/* Whether the header of a segment of layout (in Fortran order if fortran,
 * where its strides are zero) and description descr fits in the largest
 * header; an input at fault if not. */
static int header_fits(const struct shmseg_layout *l, bool fortran,
		       const char *descr, const struct why *w)
{
	struct hdr h = { .layout = *l, .descr = descr };
	char msg[96];

	if (!descr)
		return 0;
	h.descr_len = strlen(descr);
	/* A layout that is wrong is said by the create, as for any dtype. */
	if (layout_complete(&h.layout, fortran, &h.nbytes) != 0 ||
	    hdr_size_needed(&h) <= HDR_MAX)
		return 0;
	snprintf(msg, sizeof(msg), TOO_LONG, HDR_MAX);
	return blame_input(w, -ENOTSUP, msg);
}

/* The descr of a header just parsed, checked whole: no name used twice. */
static int checked_whole(struct npy_hdr *h)
{
	struct descr d;

	return descr_canonical(h->descr, NULL, &d, h->why, sizeof(h->why));
}

/* Read and parse the .npy header at fd's offset. Its errors are the
 * input's, but for an array too large to be stored (-EOVERFLOW), which is
 * the segment's as when the header is right and the segment too large. A
 * header cut short is a malformed one. */
static int read_npy_header(int fd, struct npy_hdr *h, char *descr,
			   size_t descr_cap, const struct why *w)
{
	unsigned char pre[NPY_PRE_MAX], *text;
	size_t have;
	long size;
	int ret;

	ret = read_input(fd, pre, NPY_PRE_V1);
	have = ret ? 0 : npy_preamble_len(pre[6]);
	if (have > NPY_PRE_V1)
		ret = read_input(fd, pre + NPY_PRE_V1, have - NPY_PRE_V1);
	if (ret == -ENODATA)
		return blame_input(w, -EILSEQ, shmseg_strerror(-EILSEQ));
	if (ret)
		return read_failed(w, ret);
	size = npy_size_announced(pre, have);
	if (size == -ENOTSUP)
		npy_version_why(pre, h->why, sizeof(h->why));
	if (size < 0)
		return blame_input(w, (int)size, size == -ENOTSUP ? h->why :
				   shmseg_strerror((int)size));
	text = malloc((size_t)size);
	if (!text)
		return -ENOMEM;
	memcpy(text, pre, have);
	ret = read_input(fd, text + have, (size_t)size - have);
	if (ret == -ENODATA)
		ret = -EILSEQ;
	else if (ret)
		ret = read_failed(w, ret);
	else
		ret = npy_parse_descr(text, (size_t)size, h, descr, descr_cap);
	free(text);
	if (ret == -ERANGE) {
		snprintf(h->why, sizeof(h->why), TOO_LONG, HDR_MAX);
		ret = -ENOTSUP;
	}
	if (ret == 0 && !h->plain)
		ret = checked_whole(h);
	if (ret == -ENOTSUP)
		return blame_input(w, ret, h->why);
	if (ret == -EILSEQ)
		return blame_input(w, ret, h->why[0] ? h->why :
				   shmseg_strerror(ret));
	if (ret == 0 && !h->plain)
		ret = header_fits(&h->layout, h->fortran, descr, w);
	return ret;
}

/* Undo a create that failed later. A segment that never got its name
 * (hidden until a seal that did not come) is only detached, and the
 * kernel frees it. Where the platform could not hide it, its name is
 * removed too, but only while the name still holds this very segment:
 * shmseg_unlink_if() touches nothing else. */
static void discard(const char *name, struct shmseg *seg)
{
	struct shmseg_stat mine;

	if (shmseg_fstat(seg, &mine) == 0)
		(void)shmseg_unlink_if(name, &mine);
	shmseg_detach(seg);
}

/* After all of the array, whether the input goes on: 0 at its end,
 * -EMSGSIZE if a byte more can be read, or why reading failed. */
static int input_ends(int fd, uint64_t nbytes, const struct why *w)
{
	unsigned char extra;
	int64_t n = io_read(fd, &extra, 1, -1);
	char msg[96];

	if (n < 0)
		return read_failed(w, (int)n);
	if (n == 0)
		return 0;
	snprintf(msg, sizeof(msg), "input is longer than the array "
		 "(%" PRIu64 " bytes)", nbytes);
	return blame_input(w, -EMSGSIZE, msg);
}

/* Copy nbytes of the input into seg, blaming what goes wrong with the
 * input on it. With exact, the input must end with the array: raw data
 * has nothing else to say where it ends. */
static int fill(struct shmseg *seg, int fd, uint64_t nbytes, bool exact,
		const struct why *w)
{
	struct copy_result got;
	int ret;

	/* From the file into the segment in the kernel where it can; never
	 * through a buffer of the array's size. */
	ret = seg_fill_from_fd(seg, fd, nbytes, &got);
	if (ret == -ENODATA && exact) {
		char msg[96];

		snprintf(msg, sizeof(msg), "input is shorter than the array "
			 "(%" PRIu64 " of %" PRIu64 " bytes)", got.ended_at,
			 nbytes);
		return blame_input(w, ret, msg);
	}
	if (ret == -ENODATA)
		return blame_input(w, ret, shmseg_strerror(ret));
	if (ret && got.input_failed)
		return read_failed(w, ret);
	return !ret && exact ? input_ends(fd, nbytes, w) : ret;
}

/* The start of every import: a segment of the layout (its strides zero,
 * derived in the order of flags), to be filled and then handed to
 * finish(). */
static int start(const char *name, const struct shmseg_layout *layout,
		 const char *descr, int flags, mode_t mode, struct shmseg **seg)
{
	/* Sparse: the writes that fill it allocate the memory, and say
	 * -ENOSPC cleanly when there is none, at no cost of zeroing it
	 * first (unless huge pages need it faulted in: SEG_WRITTEN). Hidden:
	 * named only once sealed, so that a failure, or the death of this
	 * process, leaves nothing behind. */
	return seg_create(name, layout, descr,
			  flags | SHMSEG_SPARSE | SHMSEG_HIDDEN | SEG_WRITTEN,
			  mode, seg);
}

/* The end of every import, after the fill that returned ret: sealed and
 * handed over (*segp, unless segp is NULL), or on any failure discarded. */
static int finish(const char *name, struct shmseg *seg, int ret,
		  struct shmseg **segp)
{
	if (!ret)
		ret = shmseg_seal(seg);
	if (ret) {
		discard(name, seg);
		return ret;
	}
	if (segp)
		*segp = seg;
	else
		shmseg_detach(seg);
	return 0;
}

/* The path of the imports from a descriptor: filled from fd; with exact,
 * the input must end with the array. */
static int import(const char *name, struct shmseg_layout *layout,
		  const char *descr, int flags, int fd, mode_t mode, bool exact,
		  struct shmseg **segp, const struct why *w)
{
	struct shmseg *seg;
	int ret = start(name, layout, descr, flags, mode, &seg);

	if (ret)
		return ret;
	return finish(name, seg, fill(seg, fd, shmseg_nbytes(seg), exact, w),
		      segp);
}

/* The layout of data given in order, one element after another: the
 * caller's, checked to have no strides of its own, which are not what
 * such data holds; flags may ask for Fortran order and a replace, nothing
 * else. */
static int packed_layout(const struct shmseg_layout *layout, int flags,
			 struct shmseg_layout *l)
{
	uint32_t i;

	if (!layout || (flags & ~(SHMSEG_FORTRAN | SHMSEG_REPLACE)))
		return -EINVAL;
	*l = *layout;
	for (i = 0; i < l->ndim && i < SHMSEG_MAX_NDIM; i++)
		if (l->strides[i] != 0)
			return -EINVAL;
	return 0;
}

EXPORT int shmseg_npy_import_why(const char *name, int fd, mode_t mode,
				 struct shmseg **segp, char *why, size_t len)
{
	return shmseg_npy_import_flags(name, fd, 0, mode, segp, why, len);
}

EXPORT int shmseg_npy_import_flags(const char *name, int fd, int flags,
				   mode_t mode, struct shmseg **segp,
				   char *why, size_t len)
{
	const struct why w = { why, len };
	struct npy_hdr h = { 0 };
	char *descr;
	int ret;

	if (why && len)
		why[0] = '\0';
	if (flags & ~SHMSEG_REPLACE)
		return -EINVAL;
	/* Room for the longest descr a segment's header holds. */
	descr = malloc(HDR_MAX);
	if (!descr)
		return -ENOMEM;
	/* The header comes first, read as a stream: fd may be a pipe. */
	ret = read_npy_header(fd, &h, descr, HDR_MAX, &w);
	/* Strides all zero: derived again, in the file's order. */
	memset(h.layout.strides, 0, sizeof(h.layout.strides));
	if (!ret)
		ret = import(name, &h.layout, h.plain ? NULL : descr,
			     (h.fortran ? SHMSEG_FORTRAN : 0) | flags, fd, mode,
			     false, segp, &w);
	free(descr);
	return ret;
}

EXPORT int shmseg_npy_import(const char *name, int fd, mode_t mode,
			     struct shmseg **segp)
{
	return shmseg_npy_import_why(name, fd, mode, segp, NULL, 0);
}

EXPORT int shmseg_raw_import_descr(const char *name, const char *descr,
				   const struct shmseg_layout *layout,
				   int flags, int fd, mode_t mode,
				   struct shmseg **segp, char *why, size_t len)
{
	const struct why w = { why, len };
	struct shmseg_layout l;
	char *canon = NULL;
	int ret;

	if (why && len)
		why[0] = '\0';
	ret = packed_layout(layout, flags, &l);
	if (!ret)
		ret = seg_descr_layout(descr, &l, &l, &canon, why, len);
	if (!ret)
		ret = header_fits(&l, flags & SHMSEG_FORTRAN, canon, &w);
	if (!ret)
		ret = import(name, &l, canon, flags, fd, mode, true, segp, &w);
	free(canon);
	return ret;
}

EXPORT int shmseg_raw_import(const char *name,
			     const struct shmseg_layout *layout, int flags,
			     int fd, mode_t mode, struct shmseg **segp,
			     char *why, size_t len)
{
	return shmseg_raw_import_descr(name, NULL, layout, flags, fd, mode,
				       segp, why, len);
}

EXPORT int shmseg_mem_import(const char *name,
			     const struct shmseg_layout *layout, int flags,
			     const void *data, mode_t mode,
			     struct shmseg **segp)
{
	return shmseg_mem_import_descr(name, NULL, layout, flags, data, mode,
				       segp);
}

EXPORT int shmseg_mem_import_descr(const char *name, const char *descr,
				   const struct shmseg_layout *layout,
				   int flags, const void *data, mode_t mode,
				   struct shmseg **segp)
{
	struct shmseg_layout l, sized;
	struct shmseg *seg;
	char *canon = NULL;
	uint64_t nbytes;
	int ret = packed_layout(layout, flags, &l);

	if (!ret)
		ret = seg_descr_layout(descr, &l, &l, &canon, NULL, 0);
	if (ret)
		return ret;
	/* data may be NULL only for an array of no bytes, which the layout
	 * tells before anything is created; completed on a copy, since l
	 * goes to the create with its strides zero. */
	sized = l;
	ret = layout_complete(&sized, flags & SHMSEG_FORTRAN, &nbytes);
	if (!ret && !data && nbytes > 0)
		ret = -EINVAL;
	if (!ret)
		ret = start(name, &l, canon, flags, mode, &seg);
	free(canon);
	if (ret)
		return ret;
	return finish(name, seg, seg_fill_from_memory(seg, data, nbytes),
		      segp);
}
