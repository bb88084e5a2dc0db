/* SPDX-License-Identifier: MIT */
/* npy.c - the header of a NumPy .npy file: parsing it as NumPy does,
 * formatting one as NumPy would; no system calls */
#include <stdio.h>
#include <string.h>

#include "descr.h"
#include "layout.h"
#include "npy.h"

#define NPY_ALIGN	64		/* NumPy pads headers to this */
#define NPY_TEXT_MAX	(1 << 20)	/* longest header text we read */

/* ---- the dict, as text ------------------------------------------------ */

/* Append s (n bytes) at *pos if it fits; false once it does not. */
static bool put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
	if (n >= len - *pos)
		return false;
	memcpy(buf + *pos, s, n);
	*pos += n;
	return true;
}

/* Append v in decimal. */
static bool put_u64(char *buf, size_t len, size_t *pos, uint64_t v)
{
	char tmp[20];
	size_t n = u64_decimal(v, tmp);

	return put(buf, len, pos, tmp + sizeof(tmp) - n, n);
}

#define PUT(lit) put(buf, len, &pos, lit, sizeof(lit) - 1)

size_t npy_dict_text(const char *descr, size_t descr_len, bool fortran,
		     uint32_t ndim, const uint64_t *shape, char *buf, size_t len)
{
	size_t pos = 0;
	bool ok;
	uint32_t i;

	ok = len > 0 && PUT("{'descr': ") &&
	     put(buf, len, &pos, descr, descr_len) &&
	     PUT(", 'fortran_order': ") &&
	     (fortran ? PUT("True") : PUT("False")) && PUT(", 'shape': (");
	for (i = 0; ok && i < ndim; i++)
		ok = (i == 0 || PUT(", ")) && put_u64(buf, len, &pos, shape[i]);
	ok = ok && (ndim != 1 || PUT(",")) && PUT("), }");
	if (!ok)
		return 0;
	buf[pos] = '\0';
	return pos;
}

/* ---- parsing ---------------------------------------------------------- */

uint64_t npy_text_len(const unsigned char *pre, unsigned char major)
{
	uint64_t n = 0;
	size_t i;

	for (i = npy_preamble_len(major); i-- > 8;)
		n = n << 8 | pre[i];
	return n;
}

void npy_put_preamble(unsigned char *buf, unsigned char major,
		      uint64_t textlen)
{
	size_t i;

	memcpy(buf, NPY_MAGIC, NPY_MAGIC_LEN);
	buf[6] = major;
	buf[7] = 0;
	for (i = 8; i < npy_preamble_len(major); i++, textlen >>= 8)
		buf[i] = (unsigned char)(textlen & 0xff);
}

long npy_size_announced(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t text;

	if (len < NPY_PRE_V1 || memcmp(p, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
		return -EILSEQ;
	if ((p[6] != 1 && p[6] != 2 && p[6] != 3) || p[7] != 0)
		return -ENOTSUP;	/* a .npy version we do not know */
	if (len < npy_preamble_len(p[6]))
		return -EILSEQ;
	text = npy_text_len(p, p[6]);
	if (p[6] != 1 && text > NPY_TEXT_MAX)
		return -EILSEQ;
	return (long)(npy_preamble_len(p[6]) + text);
}

void npy_version_why(const void *buf, char *why, size_t len)
{
	const unsigned char *p = buf;

	snprintf(why, len, ".npy format version %u.%u is not supported "
		 "(1.0, 2.0 and 3.0 are)", p[6], p[7]);
}

/* "(3, 4)", "(5,)", "()" */
static int shape(struct lex *x, struct shmseg_layout *l)
{
	if (!lex_eat(x, '('))
		return -EILSEQ;
	l->ndim = 0;
	if (lex_eat(x, ')'))
		return 0;
	for (;;) {
		if (l->ndim == SHMSEG_MAX_NDIM)
			return -ENOTSUP;	/* more dimensions than we carry */
		if (!lex_number(x, &l->shape[l->ndim++]))
			return -EILSEQ;
		if (x->py2_long)
			lex_long(x);
		if (lex_eat(x, ')'))
			return l->ndim == 1 ? -EILSEQ : 0;	/* (5) is no tuple */
		if (!lex_eat(x, ','))
			return -EILSEQ;
		if (lex_eat(x, ')'))
			return 0;
	}
}

/* The descr: its canonical text into h->descr (if given), its dtype into
 * the layout. A dtype string a segment does not carry is said in *later,
 * once the rest of the header is known to be well formed; within a list,
 * at once. */
static int descr(struct lex *x, struct npy_hdr *h, int *later)
{
	struct descr d = { .out = h->descr, .out_cap = h->descr_cap };
	bool string;
	int ret;

	lex_ws(x);
	string = x->p < x->end && (*x->p == '\'' || *x->p == '"');
	ret = descr_parse(x, &d);
	if (ret == -ENOTSUP || (ret == -EILSEQ && d.why[0]))
		snprintf(h->why, sizeof(h->why), "%s", d.why);
	if (ret == -ENOTSUP && string) {
		*later = ret;
		return 0;
	}
	if (ret)
		return ret;
	h->layout.dtype = d.dtype;
	h->plain = d.plain;
	h->descr_len = d.out_len;
	return 0;
}

int npy_parse(const void *buf, size_t len, struct npy_hdr *h)
{
	return npy_parse_descr(buf, len, h, NULL, 0);
}

int npy_parse_descr(const void *buf, size_t len, struct npy_hdr *h,
		    char *out, size_t out_cap)
{
	enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
	long size = npy_size_announced(buf, len);
	const unsigned char *p = buf;
	struct lex x;
	char key[16];
	unsigned seen = 0;
	int ret, dtype_err = 0;

	h->why[0] = '\0';
	if (size == -ENOTSUP)
		npy_version_why(buf, h->why, sizeof(h->why));
	if (size < 0)
		return (int)size;
	if ((size_t)size > len)
		return -EILSEQ;
	memset(h, 0, sizeof(*h));
	h->descr = out;
	h->descr_cap = out_cap;
	h->header_size = (uint64_t)size;
	x.p = (const char *)p + npy_preamble_len(p[6]);
	x.end = (const char *)p + size;
	x.py2_long = p[6] != 3;
	x.latin1 = p[6] != 3;
	/* Versions 1 and 2 are Latin-1, where every byte is a character. */
	if (p[6] == 3 && !lex_utf8_valid((const unsigned char *)x.p,
				     (size_t)(x.end - x.p)))
		return -EILSEQ;
	lex_lead(&x);
	if (x.p >= x.end || *x.p++ != '{')
		return -EILSEQ;
	while (!lex_eat(&x, '}')) {
		if (!lex_key(&x, key, sizeof(key)) || !lex_eat(&x, ':'))
			return -EILSEQ;
		if (strcmp(key, "descr") == 0 && !(seen & DESCR)) {
			seen |= DESCR;
			ret = descr(&x, h, &dtype_err);
			if (ret)
				return ret;
		} else if (strcmp(key, "fortran_order") == 0 &&
			   !(seen & FORTRAN)) {
			seen |= FORTRAN;
			if (lex_word(&x, "True"))
				h->fortran = true;
			else if (!lex_word(&x, "False"))
				return -EILSEQ;
		} else if (strcmp(key, "shape") == 0 && !(seen & SHAPE)) {
			seen |= SHAPE;
			ret = shape(&x, &h->layout);
			if (ret == -ENOTSUP)
				snprintf(h->why, sizeof(h->why),
					 "more than %d dimensions",
					 SHMSEG_MAX_NDIM);
			if (ret)
				return ret;
		} else {
			return -EILSEQ;	/* unknown or repeated key */
		}
		if (!lex_eat(&x, ',')) {
			if (!lex_eat(&x, '}'))
				return -EILSEQ;
			break;
		}
	}
	if (!lex_tail(&x) || seen != (DESCR | FORTRAN | SHAPE))
		return -EILSEQ;
	if (dtype_err)
		return dtype_err;
	ret = layout_complete(&h->layout, h->fortran, &h->nbytes);
	return ret == -EINVAL ? -EILSEQ : ret;
}

/* ---- formatting --------------------------------------------------------- */

long npy_format(const struct shmseg_layout *l, const char *descr,
		bool fortran, char *buf, size_t len)
{
	char plain[SHMSEG_DTYPE_STRLEN + 2];
	size_t n, pre, total, dlen;

	if (!descr) {
		if (descr_of_dtype(&l->dtype, plain, sizeof(plain)) < 0)
			return -EINVAL;
		descr = plain;
	}
	if (!layout_numpy_sized(l))
		return -EOVERFLOW;
	/* Written in place after the longest preamble, and moved back by
	 * two bytes for version 1.0, whose length field is two bytes. */
	if (len < NPY_PRE_MAX)
		return -ERANGE;
	dlen = strlen(descr);
	n = npy_dict_text(descr, dlen, fortran, l->ndim, l->shape,
			  buf + NPY_PRE_MAX, len - NPY_PRE_MAX);
	if (n == 0)
		return -ERANGE;
	/* Version 1.0 while the header length fits in 16 bits. */
	pre = NPY_PRE_V1;
	total = (pre + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	if (total - pre > 0xffff) {
		pre = NPY_PRE_MAX;
		total = (pre + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	}
	if (total > len)
		return -ERANGE;
	memmove(buf + pre, buf + NPY_PRE_MAX, n);
	npy_put_preamble((unsigned char *)buf, pre == NPY_PRE_V1 ? 1 : 2,
			 total - pre);
	memset(buf + pre + n, ' ', total - pre - n - 1);
	buf[total - 1] = '\n';
	return (long)total;
}
