/* SPDX-License-Identifier: MIT */
/* name.h - segment names (name.c); pure */
#ifndef SHMSEG_NAME_H
#define SHMSEG_NAME_H

#include "internal.h"

/* Check a user-supplied name; write "/name" into buf. */
int name_normalize(const char *name, char buf[NAME_BUF]);

#endif
