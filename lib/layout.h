/* SPDX-License-Identifier: MIT */
/* layout.h - shapes, strides and sizes (layout.c); pure */
#ifndef SHMSEG_LAYOUT_H
#define SHMSEG_LAYOUT_H

#include "internal.h"

/* Fill the strides and nbytes of a layout given for creation: checks the
 * dtype, shape and strides; derives C or Fortran strides when they are all
 * zero. Returns 0, -EINVAL or -EOVERFLOW. */
int layout_complete(struct shmseg_layout *l, bool fortran, uint64_t *nbytes);
/* Check a decoded layout against the data size; 0 or -EBADMSG. */
int layout_check(const struct shmseg_layout *l, uint64_t nbytes);
/* SHMSEG_ORDER_C, _F or _NONE, by the rule of shmseg(5). */
int layout_order(const struct shmseg_layout *l);
/* Whether NumPy can describe an array of this dtype and shape: the item
 * size times the dimensions, 0 counted as 1, at most 2^63 - 1. Past that
 * the strides are neither C nor Fortran, and NumPy refuses such a .npy
 * header even for an empty array ("array is too big"). */
bool layout_numpy_sized(const struct shmseg_layout *l);
/* Bytes of all the elements one after another (0 if there are none) into
 * *bytes, or -EOVERFLOW if that is more than limit. */
int layout_packed_size(const struct shmseg_layout *l, uint64_t limit,
		       uint64_t *bytes);

#endif
