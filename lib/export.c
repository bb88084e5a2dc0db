/* SPDX-License-Identifier: MIT */
/* export.c - a segment written out as a .npy file */
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "npy.h"
#include "os.h"
#include "segment.h"

/* Strides of 0 (what np.broadcast_to makes) let a few bytes of segment
 * stand for many elements, and the file holds each one: shape (1, 2**62)
 * over one byte would be an endless file. An export writes at most this
 * many times the segment's data, or this much if that is more. */
#define EXPORT_RATIO	16
#define EXPORT_FLOOR	(64ull << 20)
#define GATHER_BUF	((size_t)1 << 20)

/* Bytes of the array's elements written one after another, into *bytes;
 * -EOVERFLOW past the bound above, or past what a .npy file after head
 * bytes of header can hold (NumPy refuses sizes over 2^63 - 1). */
static int gathered_size(const struct shmseg_layout *l, uint64_t nbytes,
			 uint64_t head, uint64_t *bytes)
{
	uint64_t limit = (uint64_t)INT64_MAX - head;

	if (nbytes <= limit / EXPORT_RATIO)
		limit = nbytes * EXPORT_RATIO;
	if (limit < EXPORT_FLOOR)
		limit = EXPORT_FLOOR;
	return layout_packed_size(l, limit, bytes);
}

/* Write the count elements of an array neither C- nor Fortran-ordered, in
 * C order, through buf of cap bytes. */
static int write_gathered(const struct shmseg_layout *l,
			  const unsigned char *data, uint64_t count, int fd,
			  unsigned char *buf, size_t cap)
{
	uint64_t idx[SHMSEG_MAX_NDIM] = { 0 }, i;
	size_t used = 0, item = l->dtype.itemsize;
	int ret = 0;
	uint32_t d;

	for (i = 0; i < count && !ret; i++) {
		int64_t off = 0;

		for (d = 0; d < l->ndim; d++)
			off += (int64_t)idx[d] * l->strides[d];
		if (used + item > cap) {
			ret = io_write(fd, buf, used, -1);
			used = 0;
		}
		memcpy(buf + used, data + off, item);
		used += item;
		/* The next index in C order: the last dimension fastest. */
		for (d = l->ndim; d-- > 0;) {
			if (++idx[d] < l->shape[d])
				break;
			idx[d] = 0;
		}
	}
	return ret ? ret : io_write(fd, buf, used, -1);
}

/* An array whose data is in C or Fortran order: the header, then the data
 * as it is. */
static int export_ordered(const struct shmseg *seg, const char *head,
			  size_t n, int fd)
{
	int ret = io_fsize_check(fd, (uint64_t)n + shmseg_nbytes(seg));

	if (!ret)
		ret = io_write(fd, head, n, -1);
	return ret ? ret : seg_drain_to_fd(seg, fd);
}

/* Any other array: its elements gathered in C order through a buffer,
 * made before anything is written. */
static int export_gathered(const struct shmseg *seg, const char *head,
			   size_t n, int fd)
{
	const struct shmseg_layout *l = shmseg_layout(seg);
	size_t cap = l->dtype.itemsize > GATHER_BUF ? l->dtype.itemsize :
						     GATHER_BUF;
	unsigned char *buf;
	uint64_t bytes;
	int ret;

	ret = gathered_size(l, shmseg_nbytes(seg), n, &bytes);
	if (ret)
		return ret;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	ret = io_fsize_check(fd, (uint64_t)n + bytes);
	if (!ret)
		ret = io_write(fd, head, n, -1);
	if (!ret)
		ret = write_gathered(l, shmseg_data(seg),
				     bytes / l->dtype.itemsize, fd, buf, cap);
	free(buf);
	return ret;
}

EXPORT int shmseg_npy_export(const struct shmseg *seg, int fd)
{
	const struct shmseg_layout *l = shmseg_layout(seg);
	const char *descr = seg_descr(seg);
	size_t cap;
	char *head;
	int order, ret;
	long n;

	if (!seg)
		return -EINVAL;
	/* Room for the dict of the longest shape, and the descr. */
	cap = NPY_DICT_MAX + 128 + (descr ? strlen(descr) : 0);
	head = malloc(cap);
	if (!head)
		return -ENOMEM;
	order = layout_order(l);
	n = npy_format(l, descr, order == SHMSEG_ORDER_F && l->ndim > 1, head,
		       cap);
	if (n < 0)
		ret = (int)n;
	else if (order == SHMSEG_ORDER_NONE)
		ret = export_gathered(seg, head, (size_t)n, fd);
	else
		ret = export_ordered(seg, head, (size_t)n, fd);
	free(head);
	return ret;
}
