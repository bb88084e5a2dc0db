/* SPDX-License-Identifier: MIT */
/* descr.h - NumPy's description of a dtype, the 'descr' of a .npy header:
 * read, checked and written back in one canonical form (descr.c); pure */
#ifndef SHMSEG_DESCR_H
#define SHMSEG_DESCR_H

#include "internal.h"
#include "pylit.h"

#define DESCR_DEPTH	64		/* lists, or tuples, within each other */
#define DESCR_NAME_MAX	1024		/* bytes of a field name, in UTF-8 */
#define DESCR_NONE	UINT32_MAX

/* Datetime units, in NumPy's order; DT_GENERIC for none. */
enum { DT_GENERIC, DT_Y, DT_M, DT_W, DT_D, DT_h, DT_m, DT_s, DT_ms, DT_us,
       DT_ns, DT_ps, DT_fs, DT_as, DT_UNITS };

/* One node of a description, as the table (if asked for) holds it: the
 * element itself first, then each field, depth first. Padding (an unnamed
 * void field, which NumPy drops) is not in the table. */
struct descr_node {
	uint32_t parent;		/* DESCR_NONE for the element */
	uint32_t nfields;		/* a record: its fields in the table */
	uint32_t name, name_len;	/* in the arena, UTF-8, NUL after */
	uint32_t title, title_len;	/* title DESCR_NONE: none */
	uint64_t offset;		/* from the start of the element */
	struct shmseg_dtype dtype;	/* of one item; V: record or bytes */
	bool record;
	uint8_t unit;			/* M and m: DT_* */
	uint32_t count;			/* M and m: units per tick */
	uint32_t ndim;			/* a subarray's, nested ones joined */
	uint64_t shape[SHMSEG_MAX_NDIM];
};

struct descr {
	/* What the description says. */
	struct shmseg_dtype dtype;	/* the element: V and its size for a
					   record, M or m with a unit */
	bool plain;			/* a type the old formats carry too */
	uint32_t nodes;			/* how many the table has */
	uint32_t nodes_peak;		/* how many it needs room for: a
					   padding field's are dropped after
					   they were made */
	size_t arena_len;		/* bytes its names need */
	/* Optional: the table, for the fields and for the check that names
	 * and titles are distinct (which needs it). */
	struct descr_node *node;
	size_t node_cap;
	char *arena;
	size_t arena_cap;
	/* The canonical text: written into out (out_cap bytes, NUL after),
	 * or with check, compared with the out_cap bytes there. */
	char *out;
	size_t out_cap, out_len;
	bool check;
	bool differs;			/* check: out is not canonical */
	char why[128];			/* what is refused, and why */
};

/* Read one description at x (any Python literal NumPy writes for a dtype:
 * a dtype string, or a list of fields). Returns 0; -EILSEQ if it is not
 * one; -ENOTSUP for one that a segment does not carry (why says which);
 * -ERANGE if out, the table or the arena is too small. */
int descr_parse(struct lex *x, struct descr *d);
/* The same on a C string: a description, or a bare dtype string
 * ("<M8[ns]", "float64") as a convenience. */
int descr_parse_text(const char *text, struct descr *d);
/* The canonical text of a plain dtype: "'<f8'"; its length, or -EINVAL. */
int descr_of_dtype(const struct shmseg_dtype *dt, char *buf, size_t len);
/* A datetime unit as NumPy writes it in brackets: "ns", "25s"; "" for
 * generic. Its length, or -ERANGE. */
int descr_unit_text(uint8_t unit, uint32_t count, char *buf, size_t len);
/* Why a dtype string is not one a segment carries, into why. */
void descr_dtype_why(const char *str, char *why, size_t len);

#endif
