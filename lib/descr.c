/* SPDX-License-Identifier: MIT */
/* descr.c - NumPy's description of a dtype (the 'descr' of a .npy header):
 * read as numpy.lib.format.descr_to_dtype() reads it, checked, and written
 * back in one canonical form; no system calls */
#include <stdio.h>
#include <string.h>

#include "descr.h"
#include "dtype.h"

static const char *const unit_names[DT_UNITS] = {
	"", "Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs",
	"as",
};

struct ctx {
	struct lex *x;
	struct descr *d;
	bool full;		/* out, the table or the arena ran out */
};

/* What a type in a description comes to. */
struct tinfo {
	struct shmseg_dtype dt;		/* of one item */
	uint64_t size;			/* bytes, subarrays counted */
	bool record;
	uint8_t unit;
	uint32_t count;
	uint32_t ndim;
	uint64_t shape[SHMSEG_MAX_NDIM];
};

static int refuse(struct ctx *c, const char *why)
{
	if (!c->d->why[0])
		snprintf(c->d->why, sizeof(c->d->why), "%s", why);
	return -ENOTSUP;
}

/* ---- the canonical text -------------------------------------------------- */

static void out_n(struct ctx *c, const char *s, size_t n)
{
	struct descr *d = c->d;
	/* Counted on past the end, so that the length needed is known. */
	size_t room = d->out_len < d->out_cap ? d->out_cap - d->out_len : 0;

	if (d->check) {
		if (n > room || memcmp(d->out + d->out_len, s, n) != 0)
			d->differs = true;
	} else if (d->out) {
		if (n < room)
			memcpy(d->out + d->out_len, s, n);
		else
			c->full = true;
	}
	if (!d->differs)
		d->out_len += n;
}

#define OUT(c, lit) out_n(c, lit, sizeof(lit) - 1)

static void out_u64(struct ctx *c, uint64_t v)
{
	char tmp[20];
	size_t n = u64_decimal(v, tmp);

	out_n(c, tmp + sizeof(tmp) - n, n);
}

/* One character of a name, as Python's repr() writes it in single quotes
 * but with everything past ASCII escaped: the header stays ASCII, which
 * any version of the format can hold. */
static void out_char(struct ctx *c, uint32_t cp)
{
	static const char hexd[] = "0123456789abcdef";
	char buf[10];
	unsigned n, i;

	switch (cp) {
	case '\\': OUT(c, "\\\\"); return;
	case '\'': OUT(c, "\\'"); return;
	case '\t': OUT(c, "\\t"); return;
	case '\n': OUT(c, "\\n"); return;
	case '\r': OUT(c, "\\r"); return;
	default: break;
	}
	if (cp >= 0x20 && cp < 0x7f) {
		buf[0] = (char)cp;
		out_n(c, buf, 1);
		return;
	}
	buf[0] = '\\';
	buf[1] = cp < 0x100 ? 'x' : cp < 0x10000 ? 'u' : 'U';
	n = cp < 0x100 ? 2 : cp < 0x10000 ? 4 : 8;
	for (i = 0; i < n; i++)
		buf[2 + i] = hexd[(cp >> (4 * (n - 1 - i))) & 0xf];
	out_n(c, buf, 2 + n);
}

/* ---- the table ------------------------------------------------------------ */

static struct descr_node *node(struct ctx *c, uint32_t i)
{
	return c->d->node && i < c->d->node_cap ? &c->d->node[i] : NULL;
}

/* Append the UTF-8 of cp to the arena. */
static void arena_char(struct ctx *c, uint32_t cp)
{
	struct descr *d = c->d;
	unsigned char u[4];
	size_t n;

	if (cp < 0x80)
		u[0] = (unsigned char)cp, n = 1;
	else if (cp < 0x800)
		u[0] = (unsigned char)(0xc0 | cp >> 6), n = 2;
	else if (cp < 0x10000)
		u[0] = (unsigned char)(0xe0 | cp >> 12), n = 3;
	else
		u[0] = (unsigned char)(0xf0 | cp >> 18), n = 4;
	for (size_t k = 1; k < n; k++)
		u[k] = (unsigned char)(0x80 | ((cp >> (6 * (n - 1 - k))) & 0x3f));
	if (d->arena && d->arena_len + n <= d->arena_cap)
		memcpy(d->arena + d->arena_len, u, n);
	else if (d->arena)
		c->full = true;
	d->arena_len += n;
}

/* ---- strings -------------------------------------------------------------- */

/* A field name or title: its text into the arena (at *at, *len bytes,
 * NUL after) and, quoted, into the canonical text. Whether it is empty. */
static int name_string(struct ctx *c, uint32_t *at, uint32_t *len, bool *empty)
{
	struct lex_str s;
	size_t start = c->d->arena_len;
	uint32_t cp;
	int ret;

	if (!lex_str_open(c->x, &s))
		return -EILSEQ;
	OUT(c, "'");
	while ((ret = lex_str_next(c->x, &s, &cp)) == 1) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return refuse(c, "a field name that is not Unicode "
				      "text (a lone surrogate)");
		out_char(c, cp);
		arena_char(c, cp);
		if (c->d->arena_len - start > DESCR_NAME_MAX)
			return refuse(c, "a field name longer than 1024 "
				      "bytes");
	}
	if (ret < 0)
		return -EILSEQ;
	OUT(c, "'");
	*at = (uint32_t)start;
	*len = (uint32_t)(c->d->arena_len - start);
	*empty = *len == 0;
	arena_char(c, 0);
	return 0;
}

/* "[25s]", "[ns]" or "" after M8 or m8; the unit into t. */
static int parse_unit(const char *s, struct tinfo *t)
{
	uint64_t count = 1;
	size_t n = strlen(s), i, digits = 0;
	unsigned u;

	t->unit = DT_GENERIC;
	t->count = 1;
	if (n == 0)
		return 0;
	if (s[0] != '[' || s[n - 1] != ']')
		return -1;
	s++;
	n -= 2;
	if (n == 7 && memcmp(s, "generic", 7) == 0)
		return 0;
	for (i = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
		if (digits == 0)
			count = 0;
		count = count * 10 + (uint64_t)(s[i] - '0');
		if (count > INT32_MAX)
			return -1;
	}
	for (u = 1; u < DT_UNITS; u++)
		if (strlen(unit_names[u]) == n - i &&
		    memcmp(s + i, unit_names[u], n - i) == 0)
			break;
	if (u == DT_UNITS)
		return -1;
	t->unit = (uint8_t)u;
	t->count = (uint32_t)count;
	return 0;
}

/* A datetime64 or timedelta64 string: "<M8[ns]", ">m8", "M8[25s]". */
static int parse_datetime(const char *s, struct tinfo *t)
{
	char order = '=';

	if (*s && strchr("<>=", *s))
		order = *s++;
	if ((s[0] != 'M' && s[0] != 'm') || s[1] != '8' ||
	    parse_unit(s + 2, t) < 0)
		return -1;
	t->dt.kind = s[0];
	t->dt.itemsize = 8;
	t->dt.byteorder = order;
	dtype_canonical_order(&t->dt);
	return 0;
}

void descr_dtype_why(const char *str, char *why, size_t len)
{
	const char *k = str + (str[0] && strchr("<>|=", str[0]));

	if (*k == 'O')
		snprintf(why, len, "dtype '%.40s': object arrays hold "
			 "pointers, not data", str);
	else if (*k && strchr("SUV", *k) && k[1] == '0' && !k[2])
		snprintf(why, len, "dtype '%.40s': a dtype of no bytes", str);
	else
		snprintf(why, len, "dtype '%.40s': not a NumPy type a "
			 "segment can carry (see shmseg(5), Dtypes)", str);
}

int descr_unit_text(uint8_t unit, uint32_t count, char *buf, size_t len)
{
	int n;

	if (unit == DT_GENERIC || unit >= DT_UNITS)
		n = snprintf(buf, len, "%s", "");
	else if (count == 1)
		n = snprintf(buf, len, "%s", unit_names[unit]);
	else
		n = snprintf(buf, len, "%u%s", count, unit_names[unit]);
	return n < 0 || (size_t)n >= len ? -ERANGE : n;
}

/* The canonical dtype string of t: "<f8", "<M8[25s]". */
static int typestr_of(const struct tinfo *t, char *buf, size_t len)
{
	char unit[24];
	int n;

	if (t->dt.itemsize == 0) {	/* "|S0": no struct shmseg_dtype */
		n = snprintf(buf, len, "%c%c0", t->dt.byteorder, t->dt.kind);
		return n < 0 || (size_t)n >= len ? -ERANGE : n;
	}
	if (t->dt.kind != 'M' && t->dt.kind != 'm')
		return shmseg_dtype_format(&t->dt, buf, len);
	if (descr_unit_text(t->unit, t->count, unit, sizeof(unit)) < 0)
		return -ERANGE;
	n = snprintf(buf, len, unit[0] ? "%c%c8[%s]" : "%c%c8%s",
		     t->dt.byteorder, t->dt.kind, unit);
	return n < 0 || (size_t)n >= len ? -ERANGE : n;
}

/* A string type of no bytes, "|S0", "<U0" or "|V0", as a field of a record
 * may be (numpy.save writes them for empty strings); whether str is one. */
static bool no_bytes(const char *str, struct tinfo *t)
{
	char order = '=';

	if (*str && strchr("<>|=", *str))
		order = *str++;
	if (!*str || !strchr("SUV", str[0]) || strcmp(str + 1, "0") != 0)
		return false;
	t->dt.kind = str[0];
	t->dt.itemsize = 0;
	/* Ordered as NumPy writes them: only U has a byte order. */
	if (str[0] != 'U')
		t->dt.byteorder = '|';
	else if (order != '|')
		t->dt.byteorder = order;
	else
		return false;
	dtype_canonical_order(&t->dt);	/* '=' is this machine's */
	return true;
}

/* A dtype string, as numpy.dtype() takes it, of the kinds a segment
 * carries; written back as NumPy's dtype.str. One of no bytes only as a
 * field, not as the whole dtype (top). */
static int dtype_string(struct ctx *c, struct tinfo *t, bool top)
{
	struct lex_str s;
	char str[48], canon[48];
	bool odd = false, unit = false;
	size_t n = 0;
	uint32_t cp;
	int ret;

	if (!lex_str_open(c->x, &s))
		return -EILSEQ;
	while ((ret = lex_str_next(c->x, &s, &cp)) == 1) {
		unit |= cp == '[';
		/* NumPy takes "us" for microseconds also as "\u03bcs"; nothing
		 * else past printable ASCII is a type a segment carries (NumPy
		 * takes a control character for a type number, which no writer
		 * of .npy files puts there). */
		if (cp == 0x3bc && unit) {
			cp = 'u';
		} else if (cp < 0x20 || cp > 0x7e) {
			odd = true;
			cp = '?';
		}
		if (n + 1 < sizeof(str))
			str[n] = (char)cp;
		n++;
	}
	if (ret < 0)
		return -EILSEQ;
	str[n < sizeof(str) ? n : sizeof(str) - 1] = '\0';
	memset(t, 0, sizeof(*t));
	if (odd || n >= sizeof(str) ||
	    (parse_datetime(str, t) != 0 &&
	     shmseg_dtype_parse(str, &t->dt) != 0 &&
	     (top || !no_bytes(str, t)))) {
		descr_dtype_why(str, c->d->why, sizeof(c->d->why));
		return -ENOTSUP;
	}
	t->size = t->dt.itemsize;
	if (typestr_of(t, canon, sizeof(canon)) < 0)
		return -EILSEQ;
	OUT(c, "'");
	out_n(c, canon, strlen(canon));
	OUT(c, "'");
	return 0;
}

/* ---- shapes --------------------------------------------------------------- */

static int dim(struct ctx *c, uint64_t *v)
{
	if (!lex_number(c->x, v))
		return -EILSEQ;
	if (c->x->py2_long)
		lex_long(c->x);
	return 0;
}

/* A subarray's shape, "(2, 3)", "(3,)", "()" or a bare number, put before
 * the dimensions t has (those of a subarray within it) and written back as
 * a tuple, after ", " unless it is empty. */
static int shape(struct ctx *c, struct tinfo *t)
{
	uint64_t v[SHMSEG_MAX_NDIM], size = t->size, count;
	uint32_t n = 0, i;
	int ret;

	if (!lex_eat(c->x, '(')) {
		ret = dim(c, &v[n++]);
		if (ret)
			return ret;
	} else {
		while (!lex_eat(c->x, ')')) {
			if (n == SHMSEG_MAX_NDIM)
				return refuse(c, "a subarray of more than 32 "
					      "dimensions");
			ret = dim(c, &v[n++]);
			if (ret)
				return ret;
			if (lex_eat(c->x, ')')) {
				if (n == 1)	/* (3) is a number, not a tuple */
					return -EILSEQ;
				break;
			}
			if (!lex_eat(c->x, ','))
				return -EILSEQ;
		}
	}
	if (n == 0)
		return 0;
	if (n + t->ndim > SHMSEG_MAX_NDIM)
		return refuse(c, "a subarray of more than 32 dimensions");
	memmove(t->shape + n, t->shape, t->ndim * sizeof(t->shape[0]));
	memcpy(t->shape, v, n * sizeof(v[0]));
	t->ndim += n;
	/* NumPy holds each dimension, and their product, in a C int. */
	for (i = 0, count = 1; i < t->ndim; i++) {
		if (t->shape[i] > INT32_MAX ||
		    (t->shape[i] && count > INT32_MAX / t->shape[i]))
			return refuse(c, "a subarray of more than 2^31 - 1 "
				      "items");
		count *= t->shape[i];
	}
	OUT(c, ", (");
	for (i = 0; i < n; i++) {
		if (i)
			OUT(c, ", ");
		out_u64(c, v[i]);
		if (v[i] && size > INT32_MAX / v[i])
			return refuse(c, "a dtype of more than 2^31 - 1 bytes");
		size *= v[i];
	}
	if (n == 1)
		OUT(c, ",");
	OUT(c, ")");
	t->size = size;
	return 0;
}

/* The shape that ends a tuple, after its comma: a shape (a metadata dict
 * there is refused), an optional comma, the closing parenthesis. */
static int last_shape(struct ctx *c, struct tinfo *t)
{
	int ret;

	lex_ws(c->x);
	if (c->x->p < c->x->end && *c->x->p == '{')
		return refuse(c, "a dtype with metadata");
	ret = shape(c, t);
	if (ret)
		return ret;
	(void)lex_eat(c->x, ',');
	return lex_eat(c->x, ')') ? 0 : -EILSEQ;
}

/* ---- types and records ------------------------------------------------- */

/* The grammar is recursive, and so are these three, to DESCR_DEPTH levels
 * at most: record() and type() refuse any deeper.
 * NOLINTBEGIN(misc-no-recursion) */
static int record(struct ctx *c, unsigned depth, uint64_t base, uint32_t self,
		  struct tinfo *t);

/* A field's type: a dtype string, a list of fields, or (type, shape). The
 * type is that of the field self, at offset base of the element. */
static int type(struct ctx *c, unsigned depth, uint64_t base, uint32_t self,
		struct tinfo *t)
{
	uint32_t inner;
	int ret;

	lex_ws(c->x);
	if (c->x->p < c->x->end && *c->x->p == '[')
		return record(c, depth + 1, base, self, t);
	if (!lex_eat(c->x, '('))
		return dtype_string(c, t, false);
	if (depth + 1 > DESCR_DEPTH)
		return refuse(c, "types nested more than 64 deep");
	OUT(c, "(");
	ret = type(c, depth + 1, base, self, t);
	if (ret)
		return ret;
	if (!lex_eat(c->x, ','))
		return -EILSEQ;
	inner = t->ndim;
	ret = last_shape(c, t);
	if (ret)
		return ret;
	/* ('<i4', ()) is just '<i4', which no writer puts so: refused
	 * rather than written back differently. (Counted by what this
	 * tuple added: the type within may have dimensions of its own.) */
	if (t->ndim == inner)
		return refuse(c, "a subarray of shape ()");
	OUT(c, ")");
	return 0;
}

/* One field: (name, type) or (name, type, shape); name may be
 * (title, name). */
static int field(struct ctx *c, unsigned depth, uint64_t at, uint32_t parent,
		 uint64_t *size)
{
	uint32_t self = c->d->nodes++, name = 0, name_len = 0;
	uint32_t title = DESCR_NONE, title_len = 0;
	struct descr_node *n;
	struct tinfo t;
	bool empty = false, titled = false;
	int ret;

	if (c->d->nodes > c->d->nodes_peak)
		c->d->nodes_peak = c->d->nodes;
	if (!lex_eat(c->x, '('))
		return -EILSEQ;
	OUT(c, "(");
	if (lex_eat(c->x, '(')) {
		titled = true;
		lex_ws(c->x);
		/* NumPy takes any object for a title; a segment, strings. */
		if (c->x->p < c->x->end && *c->x->p != '\'' && *c->x->p != '"')
			return refuse(c, "a field title that is not a string");
		OUT(c, "(");
		ret = name_string(c, &title, &title_len, &empty);
		if (ret)
			return ret;
		if (!lex_eat(c->x, ','))
			return -EILSEQ;
		OUT(c, ", ");
		ret = name_string(c, &name, &name_len, &empty);
		if (ret)
			return ret;
		(void)lex_eat(c->x, ',');
		if (!lex_eat(c->x, ')'))
			return -EILSEQ;
		OUT(c, ")");
	} else {
		ret = name_string(c, &name, &name_len, &empty);
		if (ret)
			return ret;
	}
	if (!lex_eat(c->x, ','))
		return -EILSEQ;
	OUT(c, ", ");
	ret = type(c, depth, at, self, &t);
	if (ret)
		return ret;
	if (lex_eat(c->x, ',')) {
		if (!lex_eat(c->x, ')')) {
			ret = last_shape(c, &t);
			if (ret)
				return ret;
		}
	} else if (!lex_eat(c->x, ')')) {
		return -EILSEQ;
	}
	OUT(c, ")");
	*size = t.size;
	/* Padding, which NumPy drops: an unnamed field whose dtype has the
	 * type void and no names, which is a void that is not a record, or
	 * any subarray (even of a record, or of numbers). It goes from the
	 * table with whatever fields were within it. */
	if (!titled && empty &&
	    ((t.dt.kind == 'V' && !t.record) || t.ndim > 0)) {
		c->d->nodes = self;
		return 0;
	}
	n = node(c, self);
	if (n) {
		n->parent = parent;
		n->name = name;
		n->name_len = name_len;
		n->title = title;
		n->title_len = title_len;
		n->offset = at;
		n->dtype = t.dt;
		n->record = t.record;
		n->unit = t.unit;
		n->count = t.count;
		n->ndim = t.ndim;
		memcpy(n->shape, t.shape, sizeof(n->shape));
	} else if (c->d->node) {
		c->full = true;
	}
	n = node(c, parent);
	if (n)
		n->nfields++;
	return 0;
}

/* A list of fields, the type of field self at offset base. */
static int record(struct ctx *c, unsigned depth, uint64_t base, uint32_t self,
		  struct tinfo *t)
{
	uint64_t size = 0, one;
	bool next = false;

	if (depth > DESCR_DEPTH)
		return refuse(c, "records nested more than 64 deep");
	if (!lex_eat(c->x, '['))
		return -EILSEQ;
	OUT(c, "[");
	while (!lex_eat(c->x, ']')) {
		int ret;

		if (next)
			OUT(c, ", ");
		next = true;
		ret = field(c, depth, base + size, self, &one);
		if (ret)
			return ret;
		size += one;
		if (size > INT32_MAX)
			return refuse(c, "a dtype of more than 2^31 - 1 bytes");
		if (!lex_eat(c->x, ',')) {
			if (!lex_eat(c->x, ']'))
				return -EILSEQ;
			break;
		}
	}
	OUT(c, "]");
	memset(t, 0, sizeof(*t));
	t->dt.byteorder = '|';
	t->dt.kind = 'V';
	t->dt.itemsize = (uint32_t)size;
	t->size = size;
	t->record = true;
	return 0;
}
/* NOLINTEND(misc-no-recursion) */

/* ---- public to the library ---------------------------------------------- */

int descr_parse(struct lex *x, struct descr *d)
{
	struct ctx c = { .x = x, .d = d };
	struct descr_node *root;
	struct tinfo t;
	int ret;

	d->nodes = d->nodes_peak = 1;	/* the element itself */
	d->arena_len = 0;
	d->out_len = 0;
	d->differs = false;
	d->why[0] = '\0';
	root = node(&c, 0);
	if (root)
		memset(root, 0, sizeof(*root));
	arena_char(&c, 0);	/* the element's name: "" at 0 */
	if (root)
		root->parent = root->title = DESCR_NONE;
	else if (d->node)
		c.full = true;
	lex_ws(x);
	if (x->p < x->end && *x->p == '(')
		return refuse(&c, "a subarray dtype for the whole array");
	ret = x->p < x->end && *x->p == '[' ? record(&c, 1, 0, 0, &t) :
	      dtype_string(&c, &t, true);
	if (ret)
		return ret;
	if (t.size == 0)
		return refuse(&c, "a dtype of no bytes");
	d->dtype = t.dt;
	d->plain = !t.record && t.dt.kind != 'M' && t.dt.kind != 'm';
	if (root) {
		root->dtype = t.dt;
		root->record = t.record;
		root->unit = t.unit;
		root->count = t.count;
	}
	if (d->out && !d->check && !c.full)
		d->out[d->out_len] = '\0';
	return c.full ? -ERANGE : 0;
}

int descr_parse_text(const char *text, struct descr *d)
{
	size_t len = strlen(text), i = 0;
	struct lex x = { .p = text, .end = text + len, .latin1 = false };
	char quoted[64];
	int ret;

	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	/* A bare dtype string: read as if quoted. */
	if (i < len && !strchr("'\"[(", text[i])) {
		ret = snprintf(quoted, sizeof(quoted), "'%s'", text + i);
		if (ret < 0 || (size_t)ret >= sizeof(quoted) ||
		    strchr(text + i, '\'') || strchr(text + i, '\\')) {
			descr_dtype_why(text + i, d->why, sizeof(d->why));
			return -ENOTSUP;
		}
		x.p = quoted;
		x.end = quoted + ret;
	}
	if (!lex_utf8_valid((const unsigned char *)x.p, (size_t)(x.end - x.p)))
		return -EILSEQ;
	ret = descr_parse(&x, d);
	if (ret)
		return ret;
	lex_ws(&x);
	return x.p == x.end ? 0 : -EILSEQ;
}

int descr_of_dtype(const struct shmseg_dtype *dt, char *buf, size_t len)
{
	char s[SHMSEG_DTYPE_STRLEN];
	int n = shmseg_dtype_format(dt, s, sizeof(s)), m;

	if (n < 0)
		return -EINVAL;
	m = snprintf(buf, len, "'%s'", s);
	return m < 0 || (size_t)m >= len ? -ERANGE : m;
}
