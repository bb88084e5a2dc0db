/* SPDX-License-Identifier: MIT */
/* common.c - messages, option parsers and formatting shared by the
 * shmctl commands */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

const char *cmd_name;

/* A printf format taken as a va_list: checked where the callers are. */
__attribute__((format(printf, 2, 0)))
static void vwarn(const char *obj, const char *fmt, va_list ap)
{
	char *msg = NULL;
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n >= 0 && (msg = malloc((size_t)n + 1)))
		vsnprintf(msg, (size_t)n + 1, fmt, ap);
	/* The object and the message as fmt_name() shows names: paths and
	 * option values in the message are the user's bytes too, and no
	 * control character may reach the terminal. */
	fprintf(stderr, "shmctl: %s", cmd_name ? cmd_name : "");
	if (obj) {
		fputc(' ', stderr);
		put_name(stderr, obj);
	}
	fputs(": ", stderr);
	put_name(stderr, msg ? msg : "out of memory");
	fputc('\n', stderr);
	free(msg);
}

void warn_obj(const char *obj, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(obj, fmt, ap);
	va_end(ap);
}

void warn_err(const char *obj, int err)
{
	warn_obj(obj, "%s", shmseg_strerror(err));
}

void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn(NULL, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'shmctl %s --help'.\n", cmd_name ? cmd_name : "");
	exit(EXIT_USAGE);
}

int next_option(int argc, char **argv, const char *shortopts,
		const struct option *longopts, bool *help)
{
	int c;

	opterr = 0;	/* our own message, not getopt's */
	c = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (c == ':')
		usage_error("option '%s' needs an argument", argv[optind - 1]);
	if (c == '?')
		usage_error("bad option '%s'", argv[optind - 1]);
	if (c == 'h') {
		*help = true;
		return -1;
	}
	return c;
}

const char *only_name(int argc, char **argv)
{
	if (optind != argc - 1)
		usage_error(optind >= argc ? "missing NAME" :
			    "too many arguments");
	return argv[optind];
}

int parse_mode(const char *s, mode_t *mode)
{
	char *end;
	unsigned long v;

	if (!*s || strspn(s, "01234567") != strlen(s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 0777)
		return -1;
	*mode = (mode_t)v;
	return 0;
}

/* "1000x3", "7", or "" for a scalar; every dimension a plain number. */
int parse_shape(const char *s, struct shmseg_layout *l)
{
	const char *p = s;

	l->ndim = 0;
	if (!*s)
		return 0;
	for (;;) {
		uint64_t v = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9') {
			unsigned d = (unsigned)(*p - '0');

			if (v > (UINT64_MAX - d) / 10)
				return -1;
			v = v * 10 + d;
			p++;
		}
		if (p == start || l->ndim == SHMSEG_MAX_NDIM)
			return -1;
		l->shape[l->ndim++] = v;
		if (*p == '\0')
			return 0;
		if (*p != 'x' && *p != ',')
			return -1;
		p++;
	}
}

int parse_seconds(const char *s, int *ms)
{
	char *end;
	double v;

	/* Decimal only: strtod would also take hex, inf and nan. */
	if (!*s || strspn(s, "0123456789.") != strlen(s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 2000000.0)
		return -1;
	*ms = (int)(v * 1000.0 + 0.5);
	return 0;
}

int parse_duration(const char *s, int64_t *secs)
{
	size_t n = strspn(s, "0123456789");
	const char *unit = s + n;
	unsigned long long v;
	int64_t scale;
	char *end;

	/* Digits and at most one letter: no sign, space or fraction, which
	 * strtoull would take or stop at. */
	if (n == 0 || (*unit && unit[1]))
		return -1;
	switch (*unit) {
	case '\0':
	case 's':
		scale = 1;
		break;
	case 'm':
		scale = 60;
		break;
	case 'h':
		scale = 3600;
		break;
	case 'd':
		scale = 86400;
		break;
	default:
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end != unit || v > (unsigned long long)(INT64_MAX / scale))
		return -1;
	*secs = (int64_t)v * scale;
	return 0;
}

int parse_owner(const char *s, uid_t *uid)
{
	/* not reentrant, as for fmt_user(): the ID is copied out at once */
	/* cppcheck-suppress getpwnamCalled */
	struct passwd *pw = getpwnam(s);
	unsigned long long v;
	char *end;

	/* The name first, as chown(1) takes it: a user may be called 1000. */
	if (pw) {
		*uid = pw->pw_uid;
		return 0;
	}
	if (!*s || strspn(s, "0123456789") != strlen(s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v >= ANY_OWNER)
		return -1;
	*uid = (uid_t)v;
	return 0;
}

uid_t parse_owner_or_die(const char *s)
{
	uid_t uid;

	if (parse_owner(s, &uid))
		usage_error("unknown user '%s'", s);
	return uid;
}

int check_owner(const char *obj, const struct shmseg_stat *st, uid_t owner)
{
	char has[64], want[64];

	if (owner == ANY_OWNER || st->uid == owner)
		return 0;
	fmt_user(st->uid, has, sizeof(has));
	fmt_user(owner, want, sizeof(want));
	warn_obj(obj, "owned by %s (uid %lu), not %s", has,
		 (unsigned long)st->uid, want);
	return -1;
}

int check_held_owner(const char *name, struct shmseg *seg, uid_t owner)
{
	struct shmseg_stat st;
	int err = shmseg_fstat(seg, &st);

	if (err)
		warn_err(name, err);
	if (err || check_owner(name, &st, owner)) {
		shmseg_detach(seg);
		return -1;
	}
	return 0;
}

void fmt_size(uint64_t bytes, bool exact, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double v = (double)bytes;
	int u = -1;

	if (exact || bytes < 1024) {
		snprintf(buf, len, "%" PRIu64, bytes);
		return;
	}
	/* Once at least: bytes >= 1024 here, so u ends >= 0. */
	do {
		v /= 1024;
		u++;
	} while (v >= 1024 && u < 5);
	snprintf(buf, len, v < 10 ? "%.1f%ci" : "%.0f%ci", v, units[u]);
}

/* ISO 8601 in UTC for every time a header can hold: gmtime_r fails once
 * the year passes INT_MAX, so the date is computed here, in the proleptic
 * Gregorian calendar that ISO 8601 uses (the days-to-date steps of Howard
 * Hinnant's civil_from_days). Years outside 0000-9999 take a sign, as in
 * ISO 8601's expanded representation. */
void fmt_time(const struct timespec *t, char *buf, size_t len)
{
	int64_t secs = (int64_t)t->tv_sec, day = secs / 86400;
	int64_t sod = secs % 86400, era, doe, yoe, doy, mp, year;
	unsigned month, mday;

	if (sod < 0) {
		sod += 86400;
		day--;
	}
	day += 719468;		/* from 1970-01-01 to 0000-03-01 */
	era = (day >= 0 ? day : day - 146096) / 146097;	/* 400 years */
	doe = day - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1 */
	mp = (5 * doy + 2) / 153;
	mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	year = yoe + era * 400 + (month <= 2);
	snprintf(buf, len, year >= 0 && year <= 9999 ?
		 "%04" PRId64 "-%02u-%02uT%02u:%02u:%02uZ" :
		 "%+05" PRId64 "-%02u-%02uT%02u:%02u:%02uZ", year, month, mday,
		 (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60),
		 (unsigned)(sod % 60));
}

void fmt_shape(const struct shmseg_layout *l, const char *sep, char *buf,
	       size_t len)
{
	size_t n = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < l->ndim && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%" PRIu64,
				      i ? sep : "", l->shape[i]);
	if (l->ndim == 0)
		snprintf(buf, len, "()");
}

/* getpwuid and getgrgid are not reentrant; shmctl is single-threaded and
 * copies the name out at once, where the _r forms would need a buffer
 * sized by trial. */
void fmt_user(uid_t uid, char *buf, size_t len)
{
	/* cppcheck-suppress getpwuidCalled */
	struct passwd *pw = getpwuid(uid);

	if (pw)
		snprintf(buf, len, "%s", pw->pw_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)uid);
}

void fmt_group(gid_t gid, char *buf, size_t len)
{
	/* cppcheck-suppress getgrgidCalled */
	struct group *gr = getgrgid(gid);

	if (gr)
		snprintf(buf, len, "%s", gr->gr_name);
	else
		snprintf(buf, len, "%lu", (unsigned long)gid);
}

void fmt_uuid(const unsigned char u[16], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", u[0], u[1], u[2], u[3], u[4], u[5],
		 u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		 u[15]);
}

const char *state_name(enum shmseg_state state)
{
	switch (state) {
	case SHMSEG_BUILDING:
		return "building";
	case SHMSEG_SEALED:
		return "sealed";
	case SHMSEG_STALE:
		return "stale";
	}
	return "?";
}

const char *order_name(const struct shmseg_layout *l)
{
	/* The library decides: its rule, with its overflow limit, is the
	 * one shmseg(5) states. */
	switch (shmseg_layout_order(l)) {
	case SHMSEG_ORDER_C:
		return "C";
	case SHMSEG_ORDER_F:
		return "F";
	}
	return "strided";
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* no overlong forms, no surrogates, nothing past U+10FFFF */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

/* The code point of the control character (C0, DEL or C1) that is the
 * UTF-8 sequence of k bytes at s, or -1. */
static int control_char(const unsigned char *s, size_t k)
{
	if (k == 1 && (*s < 0x20 || *s == 0x7f))
		return *s;
	if (k == 2 && s[0] == 0xc2 && s[1] < 0xa0)	/* U+0080-U+009F */
		return s[1];
	return -1;
}

void json_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	fputc('"', f);
	while (*s) {
		size_t n = utf8_len(s);
		int ctl = control_char(s, n);

		if (n == 0) {
			fputs("\\ufffd", f);	/* not UTF-8: JSON cannot say it */
			s++;
		} else if (*s == '"' || *s == '\\') {
			fprintf(f, "\\%c", *s++);
		} else if (ctl >= 0) {
			/* JSON allows C1 raw, but a terminal acts on it */
			fprintf(f, "\\u%04x", (unsigned)ctl);
			s += n;
		} else {
			fwrite(s, 1, n, f);
			s += n;
		}
	}
	fputc('"', f);
}

/* Room for one character as shown: \ooo\ooo, a C1 control, is the
 * longest. */
#define SHOWN_MAX 9

/* The next character of s as shown: a control character, a backslash or
 * a byte that is not UTF-8 as \ooo for each of its bytes, as ls -b shows
 * them, any other UTF-8 sequence as it is, whatever the locale. Writes it
 * to out as a string and returns how many bytes of s it took. */
static size_t shown_char(const unsigned char *s, char out[SHOWN_MAX])
{
	size_t k = utf8_len(s);

	if (k == 0 || *s == '\\' || control_char(s, k) >= 0) {
		size_t i, n = 0;

		k = k ? k : 1;
		for (i = 0; i < k; i++)
			n += (size_t)snprintf(out + n, SHOWN_MAX - n, "\\%03o",
					      s[i]);
	} else {
		memcpy(out, s, k);
		out[k] = '\0';
	}
	return k;
}

void fmt_name(const char *name, char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)name;
	char one[SHOWN_MAX];
	size_t n = 0;

	buf[0] = '\0';
	while (*s) {
		size_t k = shown_char(s, one), m = strlen(one);

		if (n + m >= len)
			break;		/* cut before a whole character */
		memcpy(buf + n, one, m + 1);
		n += m;
		s += k;
	}
}

void put_name(FILE *f, const char *name)
{
	const unsigned char *s = (const unsigned char *)name;
	char one[SHOWN_MAX];

	while (*s) {
		s += shown_char(s, one);
		fputs(one, f);
	}
}
