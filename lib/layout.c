/* SPDX-License-Identifier: MIT */
/* layout.c - shapes, strides and sizes: completing a layout for creation,
 * checking a decoded one, telling its order; no system calls */
#include <string.h>

#include "dtype.h"
#include "layout.h"

/* a * b, or false on overflow past limit */
static bool mul_ok(uint64_t a, uint64_t b, uint64_t limit, uint64_t *out)
{
	if (a != 0 && b > limit / a)
		return false;
	*out = a * b;
	return true;
}

/* Contiguous strides in the given order; false when they overflow. */
static bool contiguous_strides(const struct shmseg_layout *l, bool fortran,
			       int64_t *strides, uint64_t *nbytes)
{
	uint64_t acc = l->dtype.itemsize;
	bool empty = false;
	uint32_t k;

	for (k = 0; k < l->ndim; k++) {
		uint32_t i = fortran ? k : l->ndim - 1 - k;
		uint64_t n = l->shape[i];

		strides[i] = (int64_t)acc;
		if (n == 0)
			empty = true;
		/* A zero dimension empties the array but the strides of the
		 * others still have to be representable. */
		if (!mul_ok(acc, n ? n : 1, INT64_MAX, &acc))
			return false;
	}
	*nbytes = empty ? 0 : acc;
	return true;
}

/* Bytes spanned by the elements; false on overflow or negative strides. */
static bool strided_extent(const struct shmseg_layout *l, uint64_t *extent)
{
	uint64_t sum = l->dtype.itemsize, term;
	uint32_t i;

	for (i = 0; i < l->ndim; i++)
		if (l->strides[i] < 0)
			return false;
	for (i = 0; i < l->ndim; i++)
		if (l->shape[i] == 0) {
			*extent = 0;
			return true;
		}
	for (i = 0; i < l->ndim; i++) {
		if (!mul_ok(l->shape[i] - 1, (uint64_t)l->strides[i],
			    INT64_MAX, &term) || term > INT64_MAX - sum)
			return false;
		sum += term;
	}
	*extent = sum;
	return true;
}

bool layout_numpy_sized(const struct shmseg_layout *l)
{
	int64_t s[SHMSEG_MAX_NDIM];
	uint64_t n;

	return contiguous_strides(l, false, s, &n);
}

int layout_order(const struct shmseg_layout *l)
{
	int64_t s[SHMSEG_MAX_NDIM];
	uint64_t n;
	size_t len = l->ndim * sizeof(s[0]);

	if (contiguous_strides(l, false, s, &n) &&
	    memcmp(s, l->strides, len) == 0)
		return SHMSEG_ORDER_C;
	if (contiguous_strides(l, true, s, &n) &&
	    memcmp(s, l->strides, len) == 0)
		return SHMSEG_ORDER_F;
	return SHMSEG_ORDER_NONE;
}

/* The library's own decision, exported, so that tools and other readers
 * never keep a copy of the rule that could drift from it. */
EXPORT int shmseg_layout_order(const struct shmseg_layout *layout)
{
	if (!layout || layout->ndim > SHMSEG_MAX_NDIM ||
	    layout->dtype.itemsize == 0)
		return -EINVAL;
	return layout_order(layout);
}

int layout_complete(struct shmseg_layout *l, bool fortran, uint64_t *nbytes)
{
	bool derive = true;
	uint32_t i;

	if (l->ndim > SHMSEG_MAX_NDIM)
		return -EINVAL;
	/* Accept what a caller may reasonably write by hand: '=' for native,
	 * any order for one-byte and string types. */
	dtype_canonical_order(&l->dtype);
	if (dtype_check(&l->dtype))
		return -EINVAL;
	for (i = l->ndim; i < SHMSEG_MAX_NDIM; i++) {
		l->shape[i] = 0;
		l->strides[i] = 0;
	}
	for (i = 0; i < l->ndim; i++)
		if (l->strides[i] != 0)
			derive = false;
	if (derive)
		return contiguous_strides(l, fortran, l->strides, nbytes) ?
			0 : -EOVERFLOW;
	if (fortran)
		return -EINVAL;
	for (i = 0; i < l->ndim; i++)
		if (l->strides[i] < 0)
			return -EINVAL;
	return strided_extent(l, nbytes) ? 0 : -EOVERFLOW;
}

int layout_check(const struct shmseg_layout *l, uint64_t nbytes)
{
	uint64_t extent;
	uint32_t i;

	if (l->ndim > SHMSEG_MAX_NDIM || dtype_check(&l->dtype))
		return -EBADMSG;
	for (i = l->ndim; i < SHMSEG_MAX_NDIM; i++)
		if (l->shape[i] != 0 || l->strides[i] != 0)
			return -EBADMSG;
	if (!strided_extent(l, &extent) || extent != nbytes)
		return -EBADMSG;
	return 0;
}

int layout_packed_size(const struct shmseg_layout *l, uint64_t limit,
		       uint64_t *bytes)
{
	uint32_t d;

	*bytes = l->dtype.itemsize;
	for (d = 0; d < l->ndim; d++)
		if (l->shape[d] == 0) {
			*bytes = 0;
			return 0;
		}
	/* *bytes stays within limit, so no product overflows. */
	for (d = 0; d < l->ndim; d++) {
		if (l->shape[d] > limit / *bytes)
			return -EOVERFLOW;
		*bytes *= l->shape[d];
	}
	return 0;
}
