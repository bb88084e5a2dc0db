/* SPDX-License-Identifier: MIT */
/* pylit.c - the Python literals of a .npy header: blanks, comments, line
 * joins, numbers and strings, read as Python's tokenizer reads them; no
 * system calls */
#include <string.h>

#include "pylit.h"

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
void lex_ws(struct lex *x)
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
bool lex_tail(struct lex *x)
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
void lex_lead(struct lex *x)
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

bool lex_eat(struct lex *x, char c)
{
	lex_ws(x);
	if (x->p < x->end && *x->p == c) {
		x->p++;
		return true;
	}
	return false;
}

bool lex_word(struct lex *x, const char *w)
{
	size_t n = strlen(w);

	lex_ws(x);
	if ((size_t)(x->end - x->p) >= n && memcmp(x->p, w, n) == 0) {
		x->p += n;
		return true;
	}
	return false;
}

/* A quoted string without escapes or NUL bytes, copied into out. */
bool lex_key(struct lex *x, char *out, size_t len)
{
	const char *start;
	char q;

	lex_ws(x);
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

bool lex_number(struct lex *x, uint64_t *v)
{
	uint64_t n = 0;
	const char *start;

	lex_ws(x);
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
void lex_long(struct lex *x)
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
bool lex_utf8_valid(const unsigned char *s, size_t len)
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


bool lex_str_open(struct lex *x, struct lex_str *s)
{
	lex_ws(x);
	if (x->p >= x->end || (*x->p != '\'' && *x->p != '"'))
		return false;
	s->quote = *x->p++;
	s->backslash = false;
	/* '' followed by a third quote opens a triple-quoted string, which
	 * no writer uses: refused. */
	if (x->end - x->p >= 2 && x->p[0] == s->quote && x->p[1] == s->quote)
		return false;
	return true;
}

/* n hex digits at x->p as a number; -1 if they are not all there. */
static int64_t hex_digits(struct lex *x, unsigned n)
{
	int64_t v = 0;
	unsigned i;

	if (x->end - x->p < (ptrdiff_t)n)
		return -1;
	for (i = 0; i < n; i++) {
		char c = x->p[i];
		int d = c >= '0' && c <= '9' ? c - '0' :
			c >= 'a' && c <= 'f' ? c - 'a' + 10 :
			c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	x->p += n;
	return v;
}

/* One character of the text itself: a byte in Latin-1, or the UTF-8
 * sequence the whole text was checked to be. */
static uint32_t text_char(struct lex *x)
{
	const unsigned char *p = (const unsigned char *)x->p;
	unsigned n, k;
	uint32_t c;

	if (x->latin1 || p[0] < 0x80) {
		x->p++;
		return p[0];
	}
	n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
	c = p[0] & (0x7fu >> n);
	for (k = 1; k < n && x->p + k < x->end; k++)
		c = c << 6 | (p[k] & 0x3fu);
	x->p += k;
	return c;
}

/* After a backslash: the escape's character, 1; a line join inside the
 * string, 0; -1 for one Python refuses or no writer uses. */
static int escape(struct lex *x, struct lex_str *s, uint32_t *cp)
{
	static const char simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	const char *k;
	int64_t v;
	char c;

	if (x->p >= x->end)
		return -1;
	c = *x->p;
	if (c == '\n' || c == '\r') {
		x->p += c == '\r' && x->p + 1 < x->end && x->p[1] == '\n' ? 2 : 1;
		return 0;
	}
	for (k = simple; *k; k += 2)
		if (*k == c) {
			x->p++;
			*cp = (unsigned char)k[1];
			return 1;
		}
	if (c >= '0' && c <= '7') {
		unsigned n = 0;

		for (v = 0; n < 3 && x->p < x->end && *x->p >= '0' &&
		     *x->p <= '7'; n++)
			v = v * 8 + (*x->p++ - '0');
		*cp = (uint32_t)v;
		return 1;
	}
	if (c == 'x' || c == 'u' || c == 'U') {
		x->p++;
		v = hex_digits(x, c == 'x' ? 2 : c == 'u' ? 4 : 8);
		if (v < 0 || v > 0x10ffff)
			return -1;
		*cp = (uint32_t)v;
		return 1;
	}
	if (c == 'N')
		return -1;
	/* Any other: Python keeps the backslash, and the character after
	 * it comes next as itself. */
	s->backslash = true;
	*cp = '\\';
	return 1;
}

int lex_str_next(struct lex *x, struct lex_str *s, uint32_t *cp)
{
	if (s->backslash) {
		s->backslash = false;
		*cp = text_char(x);
		return 1;
	}
	for (;;) {
		int ret;

		if (x->p >= x->end)
			return -1;
		/* A line end or a NUL inside a one-line string: refused. */
		if (*x->p == '\n' || *x->p == '\r' || *x->p == '\0')
			return -1;
		if (*x->p == s->quote) {
			x->p++;
			return 0;
		}
		if (*x->p != '\\') {
			*cp = text_char(x);
			return 1;
		}
		x->p++;
		ret = escape(x, s, cp);
		if (ret)
			return ret;
	}
}
