/* SPDX-License-Identifier: MIT */
/* dtype.c - NumPy dtype strings: parsing, canonical formatting, checks */
#include <string.h>

#include "dtype.h"

static char native_order(void)
{
	const uint16_t one = 1;

	return *(const unsigned char *)&one ? '<' : '>';
}

/* Whether the dtype has no byte order in NumPy's view ('|'). */
static bool orderless(char kind, uint32_t itemsize)
{
	return kind == 'S' || kind == 'V' || itemsize == 1;
}

static bool size_ok(char kind, uint32_t n)
{
	switch (kind) {
	case 'b':
		return n == 1;
	case 'i':
	case 'u':
		return n == 1 || n == 2 || n == 4 || n == 8;
	case 'f':
		return n == 2 || n == 4 || n == 8 || n == 16;
	case 'c':
		return n == 8 || n == 16 || n == 32;
	case 'S':
	case 'V':
		return n >= 1;
	case 'U':
		return n >= 4 && n % 4 == 0;
	case 'M':	/* datetime64 and timedelta64, their unit aside */
	case 'm':
		return n == 8;
	default:
		return false;
	}
}

int dtype_check(const struct shmseg_dtype *dt)
{
	if (!size_ok(dt->kind, dt->itemsize))
		return -EINVAL;
	if (orderless(dt->kind, dt->itemsize))
		return dt->byteorder == '|' ? 0 : -EINVAL;
	return dt->byteorder == '<' || dt->byteorder == '>' ? 0 : -EINVAL;
}

void dtype_canonical_order(struct shmseg_dtype *dt)
{
	if (orderless(dt->kind, dt->itemsize))
		dt->byteorder = '|';
	else if (dt->byteorder == '=')
		dt->byteorder = native_order();
}

static const struct {
	const char *name;
	char kind;
	uint32_t itemsize;
} names[] = {
	{ "bool", 'b', 1 },
	{ "int8", 'i', 1 },	{ "int16", 'i', 2 },
	{ "int32", 'i', 4 },	{ "int64", 'i', 8 },
	{ "uint8", 'u', 1 },	{ "uint16", 'u', 2 },
	{ "uint32", 'u', 4 },	{ "uint64", 'u', 8 },
	{ "float16", 'f', 2 },	{ "float32", 'f', 4 },
	{ "float64", 'f', 8 },
	{ "complex64", 'c', 8 },	{ "complex128", 'c', 16 },
};

/* Decimal count of at most 10 digits, no sign, no leading zero. */
static int parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (s[0] < '1' || s[0] > '9')
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

EXPORT int shmseg_dtype_parse(const char *str, struct shmseg_dtype *dt)
{
	struct shmseg_dtype d;
	char order = '=';
	uint64_t count;
	size_t i;

	if (!str || !dt)
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(str, names[i].name) == 0) {
			d.kind = names[i].kind;
			d.itemsize = names[i].itemsize;
			goto done;
		}
	}
	if (str[0] != '\0' && strchr("<>|=", str[0]))
		order = *str++;
	if (strcmp(str, "?") == 0) {
		d.kind = 'b';
		d.itemsize = 1;
		goto done;
	}
	if (str[0] == '\0' || !strchr("biufcSUVMm", str[0]))
		return -EINVAL;
	d.kind = str[0];
	if (parse_count(str + 1, &count))
		return -EINVAL;
	if (d.kind == 'U')	/* NumPy counts UCS-4 characters */
		count *= 4;
	if (count > UINT32_MAX)
		return -EINVAL;
	d.itemsize = (uint32_t)count;
done:
	if (!size_ok(d.kind, d.itemsize))
		return -EINVAL;
	if (order == '|' && !orderless(d.kind, d.itemsize))
		return -EINVAL;
	d.byteorder = order;
	dtype_canonical_order(&d);
	*dt = d;
	return 0;
}

EXPORT int shmseg_dtype_format(const struct shmseg_dtype *dt, char *buf,
			       size_t len)
{
	char digits[20];
	uint32_t count;
	size_t n;

	if (!dt || !buf || dtype_check(dt))
		return -EINVAL;
	count = dt->kind == 'U' ? dt->itemsize / 4 : dt->itemsize;
	n = u64_decimal(count, digits);
	if (n + 3 > len)
		return -ERANGE;
	buf[0] = dt->byteorder;
	buf[1] = dt->kind;
	memcpy(buf + 2, digits + sizeof(digits) - n, n);
	buf[2 + n] = '\0';
	return (int)n + 2;
}
