/* SPDX-License-Identifier: MIT */
/* npy.c - the header of a NumPy .npy file: parsing it as NumPy does,
 * formatting one as NumPy would; no system calls */
#include <stdio.h>
#include <string.h>

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

size_t npy_dict_text(const char *descr, bool fortran, uint32_t ndim,
		     const uint64_t *shape, char *buf, size_t len)
{
	size_t pos = 0;
	bool ok;
	uint32_t i;

	ok = len > 0 && PUT("{'descr': '") &&
	     put(buf, len, &pos, descr, strlen(descr)) &&
	     PUT("', 'fortran_order': ") &&
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

struct lex {
	const char *p, *end;
	bool py2_long;		/* versions 1 and 2: 2L is read as 2 */
};

/* The length of the line end at p: "\n", "\r\n" or a lone "\r", all of
 * which Python takes for a line end in source text; 0 if none. */
static size_t line_end(const struct lex *x, const char *p)
{
	if (p >= x->end || (*p != '\n' && *p != '\r'))
		return 0;
	return *p == '\r' && p + 1 < x->end && p[1] == '\n' ? 2 : 1;
}

/* Blanks within a line: Python's are space, tab and form feed. */
static void skip_blanks(struct lex *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t' ||
				 *x->p == '\f'))
		x->p++;
}

/* A comment runs to the line end; a NUL stops it, for the caller to
 * refuse (Python refuses NUL anywhere in source). */
static void skip_comment(struct lex *x)
{
	if (x->p < x->end && *x->p == '#')
		while (x->p < x->end && *x->p != '\n' && *x->p != '\r' &&
		       *x->p != '\0')
			x->p++;
}

/* A backslash joining the next line to this one. Python refuses one
 * with nothing after it, at the very end of the text. */
static bool skip_join(struct lex *x)
{
	size_t n;

	if (x->p >= x->end || *x->p != '\\')
		return false;
	n = line_end(x, x->p + 1);
	if (n == 0 || x->p + 1 + n == x->end)
		return false;
	x->p += 1 + n;
	return true;
}

/* Blanks and line joins, then a comment: what may fill the rest of a
 * line. Whether a comment was there. */
static bool skip_rest_of_line(struct lex *x)
{
	const char *at;

	do
		skip_blanks(x);
	while (skip_join(x));
	at = x->p;
	skip_comment(x);
	return x->p != at;
}

/* What Python allows between the tokens of the dict, as NumPy reads the
 * header with ast.literal_eval: blanks, comments, line joins and, within
 * brackets, line ends. */
static void skip_ws(struct lex *x)
{
	size_t n;

	do {
		skip_rest_of_line(x);
		n = line_end(x, x->p);
		x->p += n;
	} while (n);
}

/* After the dict: the rest of its line, then whole lines of blanks and
 * comments (a file copied from a segment has the segment's '#' lines
 * there). A last line that the text ends in without a line end must be
 * empty or have a comment: Python refuses "}\n  " in a version 3 header
 * (an unexpected indent), and "}\n\\\n\f" in a version 1 header. */
static bool skip_tail(struct lex *x)
{
	size_t n;

	skip_rest_of_line(x);
	while ((n = line_end(x, x->p)) != 0) {
		const char *line = x->p + n;

		x->p = line;
		if (!skip_rest_of_line(x) && x->p == x->end && x->p != line)
			return false;
	}
	return x->p == x->end;
}

/* Before the dict: the spaces and tabs ast.literal_eval strips, then
 * whole blank or comment lines. The dict's own line may not be indented:
 * Python refuses "\n {". A form feed on the dict's line and line joins,
 * which NumPy reads differently in versions 1 and 3 and no writer puts
 * there, are refused. */
static void skip_lead(struct lex *x)
{
	while (x->p < x->end && (*x->p == ' ' || *x->p == '\t'))
		x->p++;
	for (;;) {
		const char *line = x->p;
		size_t n;

		skip_blanks(x);
		skip_comment(x);
		n = line_end(x, x->p);
		if (n == 0) {
			x->p = line;
			return;
		}
		x->p += n;
	}
}

static bool eat(struct lex *x, char c)
{
	skip_ws(x);
	if (x->p < x->end && *x->p == c) {
		x->p++;
		return true;
	}
	return false;
}

static bool eat_word(struct lex *x, const char *w)
{
	size_t n = strlen(w);

	skip_ws(x);
	if ((size_t)(x->end - x->p) >= n && memcmp(x->p, w, n) == 0) {
		x->p += n;
		return true;
	}
	return false;
}

/* A quoted string without escapes or NUL bytes, copied into out. */
static bool string(struct lex *x, char *out, size_t len)
{
	const char *start;
	char q;

	skip_ws(x);
	if (x->p >= x->end || (*x->p != '\'' && *x->p != '"'))
		return false;
	q = *x->p++;
	start = x->p;
	/* No escapes, and no NUL, which Python refuses in source and
	 * which would end the copy early as a C string. */
	while (x->p < x->end && *x->p != q && *x->p != '\\' && *x->p != '\0')
		x->p++;
	if (x->p >= x->end || *x->p != q || (size_t)(x->p - start) >= len)
		return false;
	memcpy(out, start, (size_t)(x->p - start));
	out[x->p - start] = '\0';
	x->p++;
	return true;
}

static bool number(struct lex *x, uint64_t *v)
{
	uint64_t n = 0;
	const char *start;

	skip_ws(x);
	start = x->p;
	while (x->p < x->end && *x->p >= '0' && *x->p <= '9') {
		unsigned d = (unsigned)(*x->p - '0');

		if (n > (UINT64_MAX - d) / 10)
			return false;
		n = n * 10 + d;
		x->p++;
	}
	/* Python 3 refuses leading zeros ("0003"), and so does NumPy. */
	if (x->p == start || (*start == '0' && x->p - start > 1))
		return false;
	*v = n;
	return true;
}

/* Python 2 wrote long integers with an L: (2L, 3L). In versions 1 and
 * 2, NumPy drops an L that follows a number, also one set apart by
 * blanks or a line join (not by a line end or a comment). */
static void skip_long(struct lex *x)
{
	const char *was = x->p;

	do
		skip_blanks(x);
	while (skip_join(x));
	if (x->p < x->end && *x->p == 'L')
		x->p++;
	else
		x->p = was;
}

/* Whether s holds only well-formed UTF-8, as Python's strict decoder
 * takes it: no overlong forms, no surrogates, nothing past U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t c;

	while (i < len) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			n = 2, c = s[i] & 0x1fu;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			n = 3, c = s[i] & 0x0fu;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			n = 4, c = s[i] & 0x07u;
		else
			return false;
		if (len - i < n)
			return false;
		for (k = 1; k < n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (s[i + k] & 0x3fu);
		}
		if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
		    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return false;
		i += n;
	}
	return true;
}

void npy_version_why(const void *buf, char *why, size_t len)
{
	const unsigned char *p = buf;

	snprintf(why, len, ".npy format version %u.%u is not supported "
		 "(1.0, 2.0 and 3.0 are)", p[6], p[7]);
}

/* Why a descr that parses as a string is not a dtype we carry. */
static void dtype_why(const char *descr, char *why, size_t len)
{
	const char *k = descr + (descr[0] && strchr("<>|=", descr[0]));

	if (*k == 'O')
		snprintf(why, len, "dtype '%.40s': object arrays hold "
			 "pointers, not data", descr);
	else if (*k == 'M' || *k == 'm')
		snprintf(why, len, "dtype '%.40s': %s is not supported",
			 descr, *k == 'M' ? "datetime64" : "timedelta64");
	else
		snprintf(why, len, "dtype '%.40s': not a NumPy type a "
			 "segment can carry (see shmseg(5), Dtypes)", descr);
}

/* "(3, 4)", "(5,)", "()" */
static int shape(struct lex *x, struct shmseg_layout *l)
{
	if (!eat(x, '('))
		return -EILSEQ;
	l->ndim = 0;
	if (eat(x, ')'))
		return 0;
	for (;;) {
		if (l->ndim == SHMSEG_MAX_NDIM)
			return -ENOTSUP;	/* more dimensions than we carry */
		if (!number(x, &l->shape[l->ndim++]))
			return -EILSEQ;
		if (x->py2_long)
			skip_long(x);
		if (eat(x, ')'))
			return l->ndim == 1 ? -EILSEQ : 0;	/* (5) is no tuple */
		if (!eat(x, ','))
			return -EILSEQ;
		if (eat(x, ')'))
			return 0;
	}
}

int npy_parse(const void *buf, size_t len, struct npy_hdr *h)
{
	enum { DESCR = 1, FORTRAN = 2, SHAPE = 4 };
	long size = npy_size_announced(buf, len);
	const unsigned char *p = buf;
	struct lex x;
	char key[16], descr[64];
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
	h->header_size = (uint64_t)size;
	x.p = (const char *)p + npy_preamble_len(p[6]);
	x.end = (const char *)p + size;
	x.py2_long = p[6] != 3;
	/* Versions 1 and 2 are Latin-1, where every byte is a character. */
	if (p[6] == 3 && !utf8_valid((const unsigned char *)x.p,
				     (size_t)(x.end - x.p)))
		return -EILSEQ;
	skip_lead(&x);
	if (x.p >= x.end || *x.p++ != '{')
		return -EILSEQ;
	while (!eat(&x, '}')) {
		if (!string(&x, key, sizeof(key)) || !eat(&x, ':'))
			return -EILSEQ;
		if (strcmp(key, "descr") == 0 && !(seen & DESCR)) {
			seen |= DESCR;
			skip_ws(&x);
			/* A list describes a structured dtype. */
			if (x.p < x.end && *x.p == '[') {
				snprintf(h->why, sizeof(h->why),
					 "structured dtypes (a list of fields) "
					 "are not supported");
				return -ENOTSUP;
			}
			if (!string(&x, descr, sizeof(descr)))
				return -EILSEQ;
			/* object, datetime...: said once the syntax is known
			 * to be right */
			if (shmseg_dtype_parse(descr, &h->layout.dtype)) {
				dtype_err = -ENOTSUP;
				dtype_why(descr, h->why, sizeof(h->why));
			}
		} else if (strcmp(key, "fortran_order") == 0 &&
			   !(seen & FORTRAN)) {
			seen |= FORTRAN;
			if (eat_word(&x, "True"))
				h->fortran = true;
			else if (!eat_word(&x, "False"))
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
		if (!eat(&x, ',')) {
			if (!eat(&x, '}'))
				return -EILSEQ;
			break;
		}
	}
	if (!skip_tail(&x) || seen != (DESCR | FORTRAN | SHAPE))
		return -EILSEQ;
	if (dtype_err)
		return dtype_err;
	ret = layout_complete(&h->layout, h->fortran, &h->nbytes);
	return ret == -EINVAL ? -EILSEQ : ret;
}

/* ---- formatting --------------------------------------------------------- */

long npy_format(const struct shmseg_layout *l, bool fortran, char *buf,
		size_t len)
{
	char descr[SHMSEG_DTYPE_STRLEN], dict[NPY_DICT_MAX];
	size_t n, pre, total;

	if (shmseg_dtype_format(&l->dtype, descr, sizeof(descr)) < 0)
		return -EINVAL;
	if (!layout_numpy_sized(l))
		return -EOVERFLOW;
	n = npy_dict_text(descr, fortran, l->ndim, l->shape, dict,
			  sizeof(dict));
	if (n == 0)
		return -EINVAL;
	/* Version 1.0 while the header length fits in 16 bits. */
	pre = NPY_PRE_V1;
	total = (pre + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	if (total - pre > 0xffff) {
		pre = NPY_PRE_MAX;
		total = (pre + n + 1 + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
	}
	if (total > len)
		return -ERANGE;
	npy_put_preamble((unsigned char *)buf, pre == NPY_PRE_V1 ? 1 : 2,
			 total - pre);
	memcpy(buf + pre, dict, n);
	memset(buf + pre + n, ' ', total - pre - n - 1);
	buf[total - 1] = '\n';
	return (long)total;
}
