/* SPDX-License-Identifier: MIT */
/* header.c - encode and validate the segment header held in a byte buffer;
 * makes no system call, so any byte string can be fed to it */
#include <pthread.h>
#include <string.h>

#include "descr.h"
#include "header.h"
#include "layout.h"
#include "npy.h"

/*
 * The header is a .npy version 1.0 header of data_offset bytes (see
 * shmseg(5)): preamble, the NumPy dict and a newline, then the control
 * block as Python comment lines, then spaces up to a final newline. Every
 * number is lowercase hexadecimal of a fixed width; shape and strides have
 * ndim values each. The header is kept short because every attach checks
 * all of it.
 *
 * The state word is bytes 4 to 7 of the preamble: "PY\1\0" once sealed,
 * completing the .npy magic, and "BLDG" before, so that nothing that reads
 * .npy files (NumPy above all) takes a segment for one before its seal.
 */
#define CTL_MAGIC	"#shmseg="
#define FORMAT_VERSION	3	/* written for plain dtypes; 2 is read too */
#define FORMAT_DESCR	4	/* written where the dtype needs the descr */
#define CTL_MAX		1536	/* longer than any control block */
#define STATE_LEN	4

/* ---- CRC-32 (the zlib polynomial), slicing by sixteen ----------------- */

static uint32_t crc_table[16][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	unsigned i, k;

	for (i = 0; i < 256; i++) {
		uint32_t c = i;

		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
		crc_table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (k = 1; k < 16; k++)
			crc_table[k][i] = (crc_table[k - 1][i] >> 8) ^
				crc_table[0][crc_table[k - 1][i] & 0xff];
}

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint32_t c = ~crc;

	pthread_once(&crc_once, crc_init);
	/* Sixteen bytes a round: the 420 or so of a header in half the time
	 * of eight, which shows in listing. */
	while (len >= 16) {
		uint32_t a = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 |
				  (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
		c = crc_table[15][a & 0xff] ^ crc_table[14][(a >> 8) & 0xff] ^
		    crc_table[13][(a >> 16) & 0xff] ^ crc_table[12][a >> 24] ^
		    crc_table[11][p[4]] ^ crc_table[10][p[5]] ^
		    crc_table[9][p[6]] ^ crc_table[8][p[7]] ^
		    crc_table[7][p[8]] ^ crc_table[6][p[9]] ^
		    crc_table[5][p[10]] ^ crc_table[4][p[11]] ^
		    crc_table[3][p[12]] ^ crc_table[2][p[13]] ^
		    crc_table[1][p[14]] ^ crc_table[0][p[15]];
		p += 16;
		len -= 16;
	}
	while (len--)
		c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xff];
	return ~c;
}

/* ---- the codec: one walk both writes and reads the control block ------- */

struct codec {
	unsigned char *buf;
	size_t len;		/* never read or written past */
	size_t pos;
	bool enc;
	bool bad;
};

/* Whether n more bytes fit; once not, nothing more is read or written. */
static bool room(struct codec *c, size_t n)
{
	if (c->bad || n > c->len - c->pos)
		c->bad = true;
	return !c->bad;
}

/* A literal string: written, or compared. */
#define lit(c, s) lit_n(c, s, sizeof(s) - 1)

static void lit_n(struct codec *c, const char *s, size_t n)
{
	if (!room(c, n))
		return;
	if (c->enc)
		memcpy(c->buf + c->pos, s, n);
	else if (memcmp(c->buf + c->pos, s, n) != 0)
		c->bad = true;
	c->pos += n;
}

/* Value + 1 of each lower-case hex digit; 0 for any other byte. */
static const unsigned char hexval[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
	['f'] = 16,
};

/* Eight lowercase hex digits at p as one number, all eight checked in a
 * word at once; false if any byte is not a digit. Every byte is first
 * known to be below 0x80, so adding at most 0x50 to it carries into no
 * other byte, and the top bit of each sum tells whether it reached a
 * bound: '0' (0x30), past '9' (0x3a), 'a' (0x61), past 'f' (0x67). */
static bool hex8(const unsigned char *p, uint32_t *out)
{
	const uint64_t ones = 0x0101010101010101ull, top = ones * 0x80;
	uint64_t x, digit, letter, n;

	memcpy(&x, p, 8);		/* p[0] in the low byte, as below */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	if (x & top)
		return false;
	digit = (x + ones * 0x50) & ~(x + ones * 0x46) & top;
	letter = (x + ones * 0x1f) & ~(x + ones * 0x19) & top;
	if ((digit | letter) != top)
		return false;
	/* The value of each digit in its byte, first digit in byte 0... */
	n = (x & ones * 0x0f) + (letter >> 7) * 9;
	/* ...then pairs of digits, of bytes, of 16-bit halves, first the
	 * most significant. */
	n = (n & 0x000f000f000f000full) << 4 | (n & 0x0f000f000f000f00ull) >> 8;
	n = (n & 0x000000ff000000ffull) << 8 | (n & 0x00ff000000ff0000ull) >> 16;
	*out = (uint32_t)((n & 0xffffull) << 16 | (n & 0xffff00000000ull) >> 32);
	return true;
}

static void hex(struct codec *c, uint64_t *v, unsigned width)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char *p = c->buf + c->pos;
	uint64_t x = 0;
	unsigned i;

	if (!room(c, width))
		return;
	if (c->enc) {
		x = *v;
		for (i = width; i-- > 0; x >>= 4)
			p[i] = (unsigned char)digits[x & 0xf];
	} else if (width % 8 == 0) {
		/* Most fields: eight digits at a time. */
		for (i = 0; i < width; i += 8) {
			uint32_t w = 0;

			if (!hex8(p + i, &w))
				c->bad = true;
			x = x << 32 | w;
		}
		*v = x;
	} else {
		unsigned bad = 0;

		/* No test per digit: a look-up in the table, and one test
		 * at the end whether any byte was not a digit. */
		for (i = 0; i < width; i++) {
			unsigned d = hexval[p[i]];

			bad |= d == 0;
			x = x << 4 | ((d - 1) & 0xf);
		}
		if (bad)
			c->bad = true;
		*v = x;
	}
	c->pos += width;
}

static void chr(struct codec *c, char *v)
{
	if (!room(c, 1))
		return;
	if (c->enc)
		c->buf[c->pos] = (unsigned char)*v;
	else
		*v = (char)c->buf[c->pos];
	c->pos++;
}

/* Narrowing copies between the codec's uint64_t and the fields. */
#define FIELD(c, field, width) do {				\
		uint64_t v_ = (uint64_t)(field);		\
		hex(c, &v_, width);				\
		if (!(c)->enc)					\
			(field) = (__typeof__(field))v_;	\
	} while (0)

/* What follows each value: a space in format 3, where the control block is
 * one comment line, a newline in format 2, where it was a line a field.
 * NumPy before 1.25 reads a .npy header with Python's tokenizer, which
 * counts the indentation of each line a character at a time: format 2's
 * padding, a line of some 3700 spaces, made numpy.load of a segment cost
 * 2.8 times that of a plain .npy; on format 3's one line the spaces cost
 * nothing. */
static char separator(uint64_t version)
{
	return version == 2 ? '\n' : ' ';
}

/* A separator, then a key. */
#define key(c, sep, k) do {		\
		lit_n(c, &(sep), 1);	\
		lit(c, k);		\
	} while (0)

/* Walk the control block from c->pos; returns the offset of the checksum
 * value. */
static size_t walk(struct codec *c, struct hdr *h, uint64_t *version,
		   uint64_t *crc)
{
	size_t crc_pos, i;
	char sep;

	lit(c, CTL_MAGIC);
	hex(c, version, 4);
	sep = separator(*version);
	key(c, sep, "#uuid=");
	/* Two runs of 16 digits, not 16 of 2: this walk is most of the cost
	 * of listing. */
	for (i = 0; i < 16; i += 8) {
		uint64_t v = 0;
		unsigned b;

		for (b = 0; c->enc && b < 8; b++)
			v = v << 8 | h->uuid[i + b];
		hex(c, &v, 16);
		for (b = 0; !c->enc && b < 8; b++)
			h->uuid[i + b] = (unsigned char)(v >> (56 - 8 * b));
	}
	key(c, sep, "#created=");
	FIELD(c, h->created.tv_sec, 16);
	lit(c, ".");
	FIELD(c, h->created.tv_nsec, 8);
	key(c, sep, "#pid=");
	hex(c, &h->pid, 16);
	key(c, sep, "#start=");
	hex(c, &h->pid_start, 16);
	key(c, sep, "#pidns=");
	hex(c, &h->pid_ns, 16);
	key(c, sep, "#dtype=");
	chr(c, &h->layout.dtype.byteorder);
	chr(c, &h->layout.dtype.kind);
	FIELD(c, h->layout.dtype.itemsize, 8);
	key(c, sep, "#ndim=");
	FIELD(c, h->layout.ndim, 2);
	if (h->layout.ndim > SHMSEG_MAX_NDIM)
		c->bad = true;
	key(c, sep, "#shape=");
	for (i = 0; i < h->layout.ndim && !c->bad; i++) {
		if (i)
			lit(c, ",");
		hex(c, &h->layout.shape[i], 16);
	}
	key(c, sep, "#strides=");
	for (i = 0; i < h->layout.ndim && !c->bad; i++) {
		if (i)
			lit(c, ",");
		FIELD(c, h->layout.strides[i], 16);
	}
	key(c, sep, "#offset=");
	hex(c, &h->data_offset, 16);
	key(c, sep, "#nbytes=");
	hex(c, &h->nbytes, 16);
	key(c, sep, "#checksum=");
	crc_pos = c->pos;
	hex(c, crc, 8);
	lit_n(c, &sep, 1);
	return crc_pos;
}

uint32_t hdr_crc(const void *buf, size_t crc_pos)
{
	/* Sixteen bytes, of which eight count: cppcheck follows the
	 * sixteen-byte loop of crc32_update() whatever the length. */
	static const unsigned char sealed[16] = {
		0x93, 'N', 'U', 'M', 'P', 'Y', 0x01, 0x00,
	};
	uint32_t crc = crc32_update(0, sealed, HDR_STATE_OFF + STATE_LEN);

	return crc32_update(crc, (const unsigned char *)buf + HDR_STATE_OFF +
			    STATE_LEN, crc_pos - HDR_STATE_OFF - STATE_LEN);
}

/* ---- the NumPy view --------------------------------------------------- */

/* The .npy dict for h, written at buf (up to len bytes). Returns its
 * length, or 0 when it does not fit. */
static size_t dict_of(const struct hdr *h, char *buf, size_t len)
{
	const struct shmseg_layout *l = &h->layout;
	char plain[SHMSEG_DTYPE_STRLEN + 2];
	int order = layout_order(l), n;

	/* Neither C nor Fortran order: NumPy sees the data as bytes. (Not
	 * for a dtype that needs its descr: a create refuses those.) */
	if (order == SHMSEG_ORDER_NONE)
		return h->descr ? 0 : npy_dict_text("'|u1'", 5, false, 1,
						    &h->nbytes, buf, len);
	if (h->descr)
		return npy_dict_text(h->descr, h->descr_len,
				     order == SHMSEG_ORDER_F && l->ndim > 1,
				     l->ndim, l->shape, buf, len);
	n = descr_of_dtype(&l->dtype, plain, sizeof(plain));
	if (n < 0)
		return 0;
	return npy_dict_text(plain, (size_t)n,
			     order == SHMSEG_ORDER_F && l->ndim > 1, l->ndim,
			     l->shape, buf, len);
}

/* The dict for h with an empty descr: what follows the descr in it. */
static size_t dict_tail(const struct hdr *h, char *buf, size_t len)
{
	struct hdr empty = *h;

	empty.descr = "";
	empty.descr_len = 0;
	return dict_of(&empty, buf, len);
}

#define DICT_HEAD "{'descr': "
#define DICT_HEAD_LEN (sizeof(DICT_HEAD) - 1)

/* In format 4, the dict of h at p (n bytes, up to the newline): its descr
 * canonical and of the dtype the control block says, then the rest as
 * dict_of() writes it. h->descr is set to the descr in p. */
static int check_descr_dict(const unsigned char *p, size_t n, struct hdr *h)
{
	char tail[NPY_DICT_MAX];
	struct lex x = { .p = (const char *)p + DICT_HEAD_LEN,
			 .end = (const char *)p + n };
	struct descr d = { .out = (char *)p + DICT_HEAD_LEN, .check = true };
	size_t t;

	if (n < DICT_HEAD_LEN || memcmp(p, DICT_HEAD, DICT_HEAD_LEN) != 0)
		return -EBADMSG;
	d.out_cap = n - DICT_HEAD_LEN;
	if (descr_parse(&x, &d) != 0 || d.differs || d.plain ||
	    x.p != d.out + d.out_len ||
	    d.dtype.kind != h->layout.dtype.kind ||
	    d.dtype.byteorder != h->layout.dtype.byteorder ||
	    d.dtype.itemsize != h->layout.dtype.itemsize)
		return -EBADMSG;
	h->descr = d.out;
	h->descr_len = d.out_len;
	t = dict_tail(h, tail, sizeof(tail));
	if (t == 0 || d.out_len + t != n ||
	    memcmp(x.p, tail + DICT_HEAD_LEN, t - DICT_HEAD_LEN) != 0)
		return -EBADMSG;
	return 0;
}

/* Whether p[0..len) is all spaces; a word at a time, as this runs over
 * most of every header on every attach. */
static bool all_spaces(const unsigned char *p, size_t len)
{
	const uint64_t spaces = 0x2020202020202020ull;
	uint64_t acc = 0, a, b, c, d;

	/* Four words a round, in independent lanes. */
	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		acc |= (a ^ spaces) | (b ^ spaces) | (c ^ spaces) |
		       (d ^ spaces);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&a, p, 8);
		acc |= a ^ spaces;
	}
	for (; len > 0; p++, len--)
		acc |= *p ^ 0x20u;
	return acc == 0;
}

/* ---- public to the library --------------------------------------------- */

long hdr_size_announced(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	long size;

	/* The magic up to the state word: "\x93NUM". */
	if (len < NPY_PRE_V1 || memcmp(p, NPY_MAGIC, HDR_STATE_OFF) != 0 ||
	    (memcmp(p + HDR_STATE_OFF, HDR_STATE_SEALED, STATE_LEN) != 0 &&
	     memcmp(p + HDR_STATE_OFF, HDR_STATE_BUILDING, STATE_LEN) != 0))
		return -EBADMSG;
	/* Always a version 1.0 preamble; bytes 6 and 7 are the state's. */
	size = NPY_PRE_V1 + (long)npy_text_len(p, 1);
	if (size < HDR_MIN || size > HDR_MAX || size % HDR_MIN != 0)
		return -EBADMSG;
	return size;
}

int hdr_encode(struct hdr *h, void *buf, size_t len)
{
	struct codec c = { .buf = buf, .enc = true };
	uint64_t version = h->descr ? FORMAT_DESCR : FORMAT_VERSION, crc = 0;
	size_t dict, crc_pos, size = h->data_offset;

	if (size < HDR_MIN || size > HDR_MAX || size % HDR_MIN || len < size ||
	    layout_check(&h->layout, h->nbytes))
		return -EINVAL;
	memset(buf, ' ', size);
	npy_put_preamble(c.buf, 1, size - NPY_PRE_V1);
	/* Four bytes of the segment, not a C string: no NUL wanted.
	 * NOLINTNEXTLINE(bugprone-not-null-terminated-result) */
	memcpy(c.buf + HDR_STATE_OFF,
	       h->sealed ? HDR_STATE_SEALED : HDR_STATE_BUILDING, STATE_LEN);
	dict = dict_of(h, (char *)c.buf + NPY_PRE_V1, size - NPY_PRE_V1 - 1);
	if (dict == 0)
		return -EINVAL;
	c.buf[NPY_PRE_V1 + dict] = '\n';	/* over the dict's NUL */
	c.pos = NPY_PRE_V1 + dict + 1;
	c.len = size - 1;		/* the last byte is the final newline */
	crc_pos = walk(&c, h, &version, &crc);
	if (c.bad)
		return -EINVAL;
	c.buf[size - 1] = '\n';
	crc = hdr_crc(buf, crc_pos);
	c.pos = crc_pos;
	hex(&c, &crc, 8);
	return 0;
}

/* The check of hdr_decode(), or with whole false that of hdr_peek(). */
static int decode(const void *buf, size_t len, struct hdr *h, bool whole)
{
	struct codec c = { .buf = (unsigned char *)buf, .enc = false };
	const unsigned char *p = buf, *nl;
	char dict[NPY_DICT_MAX];
	uint64_t version = 0, crc = 0;
	size_t crc_pos, n;
	long size = hdr_size_announced(buf, len);
	bool all;

	if (size < 0 || (whole && (size_t)size > len))
		return -EBADMSG;
	all = (size_t)size <= len;	/* the whole header is in buf */
	c.len = all ? (size_t)size - 1 : len;
	/* The dict ends at the first newline; the control block follows. */
	nl = memchr(p + NPY_PRE_V1, '\n', c.len - NPY_PRE_V1);
	if (!nl)
		return -EBADMSG;
	/* The version decides how the rest reads: check it first. */
	c.pos = (size_t)(nl - p) + 1;
	lit(&c, CTL_MAGIC);
	hex(&c, &version, 4);
	if (c.bad)
		return -EBADMSG;
	if (version != FORMAT_VERSION && version != 2 &&
	    version != FORMAT_DESCR)
		return -ENOTSUP;

	memset(h, 0, sizeof(*h));
	c.pos = (size_t)(nl - p) + 1;
	crc_pos = walk(&c, h, &version, &crc);
	if (c.bad || hdr_crc(buf, crc_pos) != crc)
		return -EBADMSG;

	/* The bytes are as a creator wrote them; now check what they say.
	 * hdr_size_announced() has checked the state word is one of the two. */
	h->sealed = memcmp(p + HDR_STATE_OFF, HDR_STATE_SEALED,
			   STATE_LEN) == 0;
	if (h->data_offset != (uint64_t)size ||
	    h->created.tv_nsec >= 1000000000L ||
	    layout_check(&h->layout, h->nbytes) ||
	    h->nbytes > (uint64_t)INT64_MAX - h->data_offset)
		return -EBADMSG;
	if (!all_spaces(p + c.pos, c.len - c.pos) || (all && p[c.len] != '\n'))
		return -EBADMSG;
	/* The NumPy dict must say exactly what the control block says. */
	if (version == FORMAT_DESCR)
		return check_descr_dict(p + NPY_PRE_V1,
					(size_t)(nl - p) - NPY_PRE_V1, h);
	/* Before format 4, only the plain dtypes. */
	if (h->layout.dtype.kind == 'M' || h->layout.dtype.kind == 'm')
		return -EBADMSG;
	n = dict_of(h, dict, sizeof(dict));
	if (n == 0 || n != (size_t)(nl - p) - NPY_PRE_V1 ||
	    memcmp(p + NPY_PRE_V1, dict, n) != 0)
		return -EBADMSG;
	return 0;
}

/* Bytes of the control block of h, separator after the checksum
 * included: the walk that writes it, into a scratch buffer. */
static size_t ctl_len(const struct hdr *h)
{
	unsigned char buf[CTL_MAX];
	struct codec c = { .buf = buf, .len = sizeof(buf), .enc = true };
	struct hdr copy = *h;
	uint64_t version = FORMAT_DESCR, crc = 0;

	(void)walk(&c, &copy, &version, &crc);
	return c.bad ? CTL_MAX : c.pos;
}

uint64_t hdr_size_needed(const struct hdr *h)
{
	char tail[NPY_DICT_MAX];
	size_t t;
	uint64_t n;

	/* A plain dtype's header fits in the smallest. */
	if (!h->descr)
		return HDR_MIN;
	t = dict_tail(h, tail, sizeof(tail));
	if (t == 0)
		return UINT64_MAX;
	/* The dict, its newline, the control block as it will be written
	 * (its length does not depend on the values), the final newline. */
	n = NPY_PRE_V1 + t + h->descr_len + 1 + ctl_len(h) + 1;
	return (n + HDR_MIN - 1) / HDR_MIN * HDR_MIN;
}

int hdr_decode(const void *buf, size_t len, struct hdr *h)
{
	return decode(buf, len, h, true);
}

int hdr_peek(const void *buf, size_t len, struct hdr *h)
{
	return decode(buf, len, h, false);
}
