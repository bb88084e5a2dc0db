/* SPDX-License-Identifier: MIT */
/* pylit.h - the Python literals of a .npy header, read as NumPy reads them
 * with ast.literal_eval (pylit.c); pure */
#ifndef SHMSEG_PYLIT_H
#define SHMSEG_PYLIT_H

#include "internal.h"

/* Text being read: from p to end. */
struct lex {
	const char *p, *end;
	bool py2_long;		/* versions 1 and 2: 2L is read as 2 */
	bool latin1;		/* versions 1 and 2: a byte is a character;
				   version 3: UTF-8, checked whole before */
};

/* What Python allows between tokens within brackets: blanks, comments,
 * line joins and line ends. */
void lex_ws(struct lex *x);
/* After the dict: the rest of its line, then whole lines of blanks and
 * comments; whether that reaches the end. */
bool lex_tail(struct lex *x);
/* Before the dict: what ast.literal_eval strips, and blank lines. */
void lex_lead(struct lex *x);
/* After lex_ws(), the character c or the word w: whether it was there
 * (and is now passed). */
bool lex_eat(struct lex *x, char c);
bool lex_word(struct lex *x, const char *w);
/* A quoted string without escapes or NUL bytes, copied into out. */
bool lex_key(struct lex *x, char *out, size_t len);
/* A decimal number, as Python 3 writes one (no leading zeros). */
bool lex_number(struct lex *x, uint64_t *v);
/* A Python 2 long's L after a number (versions 1 and 2). */
void lex_long(struct lex *x);
/* Whether s holds only well-formed UTF-8, as Python's strict decoder
 * takes it. */
bool lex_utf8_valid(const unsigned char *s, size_t len);

/* A string literal with Python's escapes, one character at a time:
 * lex_str_open() passes the opening quote (after lex_ws()), then each
 * lex_str_next() gives a code point in *cp and returns 1, or passes the
 * closing quote and returns 0, or returns -1 on what Python refuses (or
 * what no writer of a .npy file puts in a string: \N{...}, a prefix). */
struct lex_str {
	char quote;
	bool backslash;		/* an unknown escape: its backslash given,
				   the next character still to come */
};
bool lex_str_open(struct lex *x, struct lex_str *s);
int lex_str_next(struct lex *x, struct lex_str *s, uint32_t *cp);

#endif
