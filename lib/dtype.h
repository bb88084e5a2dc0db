/* SPDX-License-Identifier: MIT */
/* dtype.h - the dtypes a segment carries (dtype.c); pure */
#ifndef SHMSEG_DTYPE_H
#define SHMSEG_DTYPE_H

#include "internal.h"

/* 0 if dt is a dtype this format can carry, else -EINVAL. */
int dtype_check(const struct shmseg_dtype *dt);
/* The byte order of dt as NumPy writes it: '|' for the types that have
 * none (whatever dt said), this machine's order for '='. */
void dtype_canonical_order(struct shmseg_dtype *dt);

#endif
