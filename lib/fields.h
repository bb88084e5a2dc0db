/* SPDX-License-Identifier: MIT */
/* fields.h - descriptions checked whole, with the table that needs memory
 * (fields.c) */
#ifndef SHMSEG_FIELDS_H
#define SHMSEG_FIELDS_H

#include "descr.h"

/* Read text (a description, or a bare dtype string) and check it whole:
 * also that no record uses a name or title twice. Returns 0 with the
 * canonical text in *canon (malloc'd; NULL for a plain dtype, all of
 * which d->dtype says) and what it says in d; -EILSEQ (malformed, why in
 * d->why when known), -ENOTSUP (said in d->why) or -ENOMEM. */
int descr_canonical(const char *text, char **canon, struct descr *d);

#endif
