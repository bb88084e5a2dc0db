/* SPDX-License-Identifier: MIT */
/* fields.h - descriptions checked whole, with the table that needs memory
 * (fields.c) */
#ifndef SHMSEG_FIELDS_H
#define SHMSEG_FIELDS_H

#include "descr.h"

/* Read text (a description, or a bare dtype string) and check it whole:
 * also that no record uses a name or title twice. Returns 0 with the
 * canonical text in *canon unless canon is NULL (malloc'd; NULL for a
 * plain dtype, all of which d->dtype says) and what it says in d; or
 * -EILSEQ (malformed) or -ENOTSUP, saying why in why[0..len) unless why
 * is NULL; or -ENOMEM. */
int descr_canonical(const char *text, char **canon, struct descr *d,
		    char *why, size_t len);

#endif
