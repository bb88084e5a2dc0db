/* SPDX-License-Identifier: MIT */
/* npy.h - the header of a NumPy .npy file (npy.c); pure */
#ifndef SHMSEG_NPY_H
#define SHMSEG_NPY_H

#include "internal.h"

/* A .npy file starts with a preamble: the magic, the format version (two
 * bytes, major and minor) and the length of the header text that follows,
 * in two bytes for version 1 and four for versions 2 and 3. */
#define NPY_MAGIC	"\x93NUMPY"
#define NPY_MAGIC_LEN	6
#define NPY_PRE_V1	10
#define NPY_PRE_MAX	12
#define NPY_DICT_MAX	1024	/* longer than any dict of a plain dtype */

/* Bytes of the preamble of a file whose major version is major. */
static inline size_t npy_preamble_len(unsigned char major)
{
	return major == 1 ? NPY_PRE_V1 : NPY_PRE_MAX;
}

/* The length of the header text that a preamble of major version major
 * announces: two bytes for version 1, four for versions 2 and 3,
 * little-endian. */
uint64_t npy_text_len(const unsigned char *pre, unsigned char major);
/* A preamble of major version 1 or 2 announcing textlen bytes, into buf
 * (npy_preamble_len(major) bytes). */
void npy_put_preamble(unsigned char *buf, unsigned char major,
		      uint64_t textlen);

struct npy_hdr {
	struct shmseg_layout layout;	/* strides filled in; the dtype's
					   summary where not plain */
	bool fortran;
	bool plain;			/* the dtype says all of the descr */
	char *descr;			/* the canonical descr (if asked for:
					   npy_parse_descr()), of */
	size_t descr_cap;		/* this room, */
	size_t descr_len;		/* and this length */
	uint64_t header_size;		/* preamble and text: data offset */
	uint64_t nbytes;
	char why[128];			/* on -ENOTSUP: what is not carried;
					   on -EILSEQ, if known, what is
					   wrong */
};

/* "{'descr': ..., 'fortran_order': ..., 'shape': (...), }" for the given
 * fields (descr as the Python literal, "'<f8'"), into buf; returns its
 * length, or 0 when it does not fit. */
size_t npy_dict_text(const char *descr, size_t descr_len, bool fortran,
		     uint32_t ndim, const uint64_t *shape, char *buf,
		     size_t len);
/* Bytes of the whole .npy header (preamble and text) that its preamble
 * announces; needs npy_preamble_len() bytes. -EILSEQ if it is no .npy
 * preamble, -ENOTSUP for a version we do not know. */
long npy_size_announced(const void *buf, size_t len);
/* What npy_size_announced() found unsupported in the preamble, into why. */
void npy_version_why(const void *buf, char *why, size_t len);
/* Parse a whole .npy header: 0, -EILSEQ (malformed), -ENOTSUP (a dtype
 * or version we do not carry, said in h->why) or -EOVERFLOW. */
int npy_parse(const void *buf, size_t len, struct npy_hdr *h);
/* The same, with the canonical text of the descr into out (out_cap bytes,
 * NUL after), also -ERANGE if that is too small. */
int npy_parse_descr(const void *buf, size_t len, struct npy_hdr *h,
		    char *out, size_t out_cap);
/* A .npy header for the layout, padded as NumPy pads; its length, or
 * -ERANGE if it does not fit. descr is the canonical descr, or NULL for
 * the layout's plain dtype. */
long npy_format(const struct shmseg_layout *l, const char *descr,
		bool fortran, char *buf, size_t len);

#endif
