/* SPDX-License-Identifier: MIT */
/* import.c - a new sealed segment from a .npy file or from raw bytes,
 * read from a descriptor straight into the segment */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* An error of the input, with its message: msg, or the library's text
 * for err where there is nothing more to say (msg NULL). */
static int blame_input(const struct why *w, int err, const char *msg)
{
	if (w->buf && w->len)
		snprintf(w->buf, w->len, "%s", msg ? msg : shmseg_strerror(err));
	return err;
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

/* Read and parse the .npy header at fd's offset; every error is the
 * input's. A header cut short is a malformed one. */
static int read_npy_header(int fd, struct npy_hdr *h, const struct why *w)
{
	unsigned char pre[NPY_PRE_MAX], *text;
	size_t have;
	long size;
	int ret;

	ret = read_input(fd, pre, NPY_PRE_V1);
	have = ret ? 0 : npy_preamble_len(pre[6]);
	if (have > NPY_PRE_V1)
		ret = read_input(fd, pre + NPY_PRE_V1, have - NPY_PRE_V1);
	if (ret)
		return blame_input(w, ret == -ENODATA ? -EILSEQ : ret, NULL);
	size = npy_size_announced(pre, have);
	if (size == -ENOTSUP) {
		npy_version_why(pre, h->why, sizeof(h->why));
		return blame_input(w, -ENOTSUP, h->why);
	}
	if (size < 0)
		return blame_input(w, (int)size, NULL);
	text = malloc((size_t)size);
	if (!text)
		return -ENOMEM;
	memcpy(text, pre, have);
	ret = read_input(fd, text + have, (size_t)size - have);
	if (!ret)
		ret = npy_parse(text, (size_t)size, h);
	free(text);
	if (ret == -ENOTSUP)
		return blame_input(w, ret, h->why);
	return ret ? blame_input(w, ret == -ENODATA ? -EILSEQ : ret, NULL) : 0;
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

/* The error of a raw input of have bytes for an array of want, if any. */
static int wrong_length(const struct why *w, uint64_t have, uint64_t want)
{
	char msg[96];

	if (have < want) {
		snprintf(msg, sizeof(msg), "input is shorter than the array "
			 "(%" PRIu64 " of %" PRIu64 " bytes)", have, want);
		return blame_input(w, -ENODATA, msg);
	}
	if (have > want) {
		snprintf(msg, sizeof(msg), "input is longer than the array "
			 "(%" PRIu64 " bytes)", want);
		return blame_input(w, -EMSGSIZE, msg);
	}
	return 0;
}

/* A raw input must hold the array and nothing more. Where it is a file
 * of known size, that is checked before any copying; elsewhere (a pipe)
 * by the copy, and a byte read after it. */
static int raw_size_check(int fd, uint64_t nbytes, const struct why *w)
{
	struct stat sb;
	off_t at;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	at = lseek(fd, 0, SEEK_CUR);
	if (at < 0 || at > sb.st_size)
		return 0;
	return wrong_length(w, (uint64_t)(sb.st_size - at), nbytes);
}

/* Whether the input holds more than its array: a byte more can be read. */
static bool input_goes_on(int fd)
{
	unsigned char extra;

	return io_read(fd, &extra, 1, -1) == 1;
}

/* Copy nbytes of the input into seg; an error of the input is blamed
 * on it, with how much it held where that is what is wrong. */
static int fill(struct shmseg *seg, int fd, uint64_t nbytes, bool raw,
		const struct why *w)
{
	struct copy_result got;
	int ret;

	/* From the file into the segment in the kernel where it can; never
	 * through a buffer of the array's size. */
	ret = seg_fill_from_fd(seg, fd, nbytes, &got);
	if (ret == -ENODATA && raw)
		return wrong_length(w, got.copied, nbytes);
	if (ret && got.input_failed)
		return blame_input(w, ret, NULL);
	if (!ret && raw && input_goes_on(fd))
		return wrong_length(w, nbytes + 1, nbytes);
	return ret;
}

/* The path of both imports: a segment of the layout (its strides zero,
 * derived in the order of flags), filled from fd and sealed. A raw input
 * must end with the array. */
static int import(const char *name, struct shmseg_layout *layout, int flags,
		  int fd, mode_t mode, bool raw, struct shmseg **segp,
		  const struct why *w)
{
	struct shmseg *seg;
	int ret;

	/* Sparse: the writes below allocate the memory, and say -ENOSPC
	 * cleanly when there is none, at no cost of zeroing it first.
	 * Hidden: named only once sealed, so that a failure, or the death of
	 * this process, leaves nothing behind. */
	ret = shmseg_create(name, layout, flags | SHMSEG_SPARSE | SHMSEG_HIDDEN,
			    mode, &seg);
	if (ret)
		return ret;
	ret = raw ? raw_size_check(fd, shmseg_nbytes(seg), w) : 0;
	if (!ret)
		ret = fill(seg, fd, shmseg_nbytes(seg), raw, w);
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

EXPORT int shmseg_npy_import_why(const char *name, int fd, mode_t mode,
				 struct shmseg **segp, char *why, size_t len)
{
	const struct why w = { why, len };
	struct npy_hdr h = { 0 };
	int ret;

	if (why && len)
		why[0] = '\0';
	/* The header comes first, read as a stream: fd may be a pipe. */
	ret = read_npy_header(fd, &h, &w);
	if (ret)
		return ret;
	/* Strides all zero: derived again, in the file's order. */
	memset(h.layout.strides, 0, sizeof(h.layout.strides));
	return import(name, &h.layout, h.fortran ? SHMSEG_FORTRAN : 0, fd,
		      mode, false, segp, &w);
}

EXPORT int shmseg_npy_import(const char *name, int fd, mode_t mode,
			     struct shmseg **segp)
{
	return shmseg_npy_import_why(name, fd, mode, segp, NULL, 0);
}

EXPORT int shmseg_raw_import(const char *name,
			     const struct shmseg_layout *layout, int flags,
			     int fd, mode_t mode, struct shmseg **segp,
			     char *why, size_t len)
{
	const struct why w = { why, len };
	struct shmseg_layout l;
	uint32_t i;

	if (why && len)
		why[0] = '\0';
	if (!layout || (flags & ~SHMSEG_FORTRAN))
		return -EINVAL;
	/* The data comes in order, one element after another: strides of
	 * the caller's own are not what the input holds. */
	l = *layout;
	for (i = 0; i < l.ndim && i < SHMSEG_MAX_NDIM; i++)
		if (l.strides[i] != 0)
			return -EINVAL;
	return import(name, &l, flags, fd, mode, true, segp, &w);
}
