/* SPDX-License-Identifier: MIT */
/* check_header.c - the on-segment header (lib/header.c), on byte buffers */
#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "header.h"
#include "layout.h"
#include "npy.h"
#include "suite.h"

static unsigned char buf[HDR_MAX];

static struct hdr sample(const char *dtype, bool fortran, unsigned ndim, ...)
{
	struct hdr h;
	va_list ap;
	unsigned i;

	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(shmseg_dtype_parse(dtype, &h.layout.dtype), 0);
	h.layout.ndim = ndim;
	va_start(ap, ndim);
	for (i = 0; i < ndim; i++)
		h.layout.shape[i] = va_arg(ap, unsigned long long);
	va_end(ap);
	ck_assert_int_eq(layout_complete(&h.layout, fortran, &h.nbytes), 0);
	h.data_offset = HDR_MIN;
	for (i = 0; i < 16; i++)
		h.uuid[i] = (unsigned char)(i * 17 + 1);
	h.created.tv_sec = 1764000000;
	h.created.tv_nsec = 123456789;
	h.pid = 4242;
	h.pid_start = 987654;
	h.pid_ns = 4026531836u;
	return h;
}

/* Offset of a control-block field's value. */
static size_t field(const char *key)
{
	const char *p = memmem(buf, HDR_MIN, key, strlen(key));

	ck_assert_ptr_nonnull(p);
	return (size_t)(p - (const char *)buf) + strlen(key);
}

/* Write hex digits into a field and make the checksum right again, so
 * that only the semantic checks can refuse the header. */
static void fix_crc(void)
{
	size_t crc_at = field("#checksum=");
	char hex[9];

	snprintf(hex, sizeof(hex), "%08x", hdr_crc(buf, crc_at));
	memcpy(buf + crc_at, hex, 8);
}

static void patch(const char *key, const char *value)
{
	memcpy(buf + field(key), value, strlen(value));
	fix_crc();
}

START_TEST(crc32_is_the_zlib_crc)
{
	ck_assert_uint_eq(crc32_update(0, "123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(crc32_update(crc32_update(0, "1234", 4), "56789",
				       5), 0xcbf43926u);
	ck_assert_uint_eq(crc32_update(0, "", 0), 0);
}
END_TEST

/* The checksum is that of the header as if sealed, zlib's CRC-32: the
 * state word at bytes 4 to 7 is the one part that changes. */
START_TEST(checksum_counts_the_state_word_as_sealed)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;
	unsigned char copy[HDR_MIN];
	size_t at;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	at = field("#checksum=");
	memcpy(copy, buf, sizeof(copy));
	memcpy(copy + 4, "PY\x01\x00", 4);
	ck_assert_uint_eq(hdr_crc(buf, at), crc32_update(0, copy, at));
	ck_assert_uint_eq(hdr_crc(buf, at), strtoul((char *)buf + at, NULL, 16));
	/* Any other state word is refused, though not covered. */
	memcpy(buf + 4, "PY\x02\x00", 4);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	memcpy(buf + 4, "bldg", 4);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	memcpy(buf + 4, "BLDG", 4);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert(!out.sealed);
}
END_TEST

/* Every byte value at every place of a 16-digit field, with the checksum
 * made right: decoded as its digit exactly when it is one of 0-9a-f,
 * refused otherwise (the digits are checked eight at a time). */
START_TEST(hex_fields_take_exactly_lowercase_digits)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;
	unsigned char orig[HDR_MIN];
	char digits[17];
	size_t at;
	unsigned pos, b;

	h.pid = 0x0123456789abcdefull;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	memcpy(orig, buf, sizeof(orig));
	at = field("#pid=");
	for (pos = 0; pos < 16; pos++) {
		for (b = 0; b < 256; b++) {
			bool digit = (b >= '0' && b <= '9') ||
				     (b >= 'a' && b <= 'f');
			int ret;

			memcpy(buf, orig, sizeof(orig));
			buf[at + pos] = (unsigned char)b;
			fix_crc();
			ret = hdr_decode(buf, HDR_MIN, &out);
			ck_assert_msg(ret == (digit ? 0 : -EBADMSG),
				      "byte 0x%02x at %u: %d", b, pos, ret);
			if (!digit)
				continue;
			memcpy(digits, buf + at, 16);
			digits[16] = '\0';
			ck_assert_uint_eq(out.pid, strtoull(digits, NULL, 16));
		}
	}
}
END_TEST

START_TEST(round_trip_keeps_every_field)
{
	struct hdr h = sample(">i4", true, 3, 2ull, 3ull, 4ull), out;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_size_announced(buf, HDR_MIN), HDR_MIN);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_mem_eq(&out.layout, &h.layout, sizeof(h.layout));
	ck_assert_mem_eq(out.uuid, h.uuid, 16);
	ck_assert_int_eq(out.created.tv_sec, h.created.tv_sec);
	ck_assert_int_eq(out.created.tv_nsec, h.created.tv_nsec);
	ck_assert_uint_eq(out.pid, 4242);
	ck_assert_uint_eq(out.pid_start, 987654);
	ck_assert_uint_eq(out.pid_ns, 4026531836u);
	ck_assert_uint_eq(out.nbytes, 96);
	ck_assert_uint_eq(out.data_offset, HDR_MIN);
	ck_assert(!out.sealed);
	/* Building, the preamble is no .npy magic; sealed, it is. */
	ck_assert_int_eq(memcmp(buf, "\x93NUMBLDG", 8), 0);
	h.sealed = true;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert(out.sealed);
	ck_assert_int_eq(memcmp(buf, "\x93NUMPY\x01\x00", 8), 0);
	ck_assert_ptr_null(memmem(buf, HDR_MIN, "#state=", 7));
}
END_TEST

START_TEST(npy_dict_says_what_numpy_needs)
{
	struct hdr h = sample("<f8", false, 2, 1000ull, 3ull);
	const char *want = "{'descr': '<f8', 'fortran_order': False, "
			   "'shape': (1000, 3), }";

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(memcmp(buf, h.sealed ? "\x93NUMPY\x01\x00" :
				"\x93NUMBLDG", 8), 0);
	ck_assert_int_eq(buf[8] | buf[9] << 8, HDR_MIN - 10);
	ck_assert_int_eq(memcmp(buf + 10, want, strlen(want)), 0);
	ck_assert_int_eq(buf[HDR_MIN - 1], '\n');

	h = sample("|u1", false, 1, 5ull);
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	want = "{'descr': '|u1', 'fortran_order': False, 'shape': (5,), }";
	ck_assert_int_eq(memcmp(buf + 10, want, strlen(want)), 0);

	h = sample(">c16", false, 0);
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	want = "{'descr': '>c16', 'fortran_order': False, 'shape': (), }";
	ck_assert_int_eq(memcmp(buf + 10, want, strlen(want)), 0);

	h = sample("<i2", true, 2, 4ull, 5ull);
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	want = "{'descr': '<i2', 'fortran_order': True, 'shape': (4, 5), }";
	ck_assert_int_eq(memcmp(buf + 10, want, strlen(want)), 0);
}
END_TEST

START_TEST(strided_layout_presents_as_bytes)
{
	struct hdr h = sample("<f4", false, 2, 3ull, 4ull), out;
	const char *want = "{'descr': '|u1', 'fortran_order': False, "
			   "'shape': (60,), }";

	/* Rows padded by one element: neither C nor Fortran order. */
	h.layout.strides[0] = 20;
	h.layout.strides[1] = 4;
	ck_assert_int_eq(layout_complete(&h.layout, false, &h.nbytes), 0);
	ck_assert_uint_eq(h.nbytes, 2 * 20 + 3 * 4 + 4);
	h.nbytes = 60;	/* room for the padding of the last row too */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
	h.nbytes = 56;
	want = "{'descr': '|u1', 'fortran_order': False, 'shape': (56,), }";
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(memcmp(buf + 10, want, strlen(want)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_int_eq(out.layout.strides[0], 20);
	ck_assert_int_eq(layout_order(&out.layout), SHMSEG_ORDER_NONE);
}
END_TEST

START_TEST(widest_header_fits)
{
	struct hdr h, out;
	unsigned i;

	memset(&h, 0, sizeof(h));
	h.layout.dtype = (struct shmseg_dtype){ '|', 'V', UINT32_MAX };
	h.layout.ndim = SHMSEG_MAX_NDIM;
	for (i = 0; i < SHMSEG_MAX_NDIM; i++)
		h.layout.shape[i] = UINT64_MAX;
	h.layout.shape[5] = 0;	/* empty, so any extent is fine */
	ck_assert_int_eq(layout_complete(&h.layout, false, &h.nbytes),
			 -EOVERFLOW);
	for (i = 0; i < SHMSEG_MAX_NDIM; i++) {
		h.layout.shape[i] = i == 5 ? 0 : 18446744073709551615ull;
		h.layout.strides[i] = 1;
	}
	ck_assert_int_eq(layout_complete(&h.layout, false, &h.nbytes), 0);
	ck_assert_uint_eq(h.nbytes, 0);
	h.data_offset = HDR_MIN;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_mem_eq(&out.layout, &h.layout, sizeof(h.layout));
}
END_TEST

START_TEST(larger_header_sizes_decode)
{
	struct hdr h = sample("<u8", false, 1, 7ull), out;

	h.data_offset = 8192;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_size_announced(buf, 10), 8192);
	ck_assert_int_eq(hdr_decode(buf, 8192, &out), 0);
	ck_assert_uint_eq(out.data_offset, 8192);
	/* A buffer shorter than the header announces is refused. */
	ck_assert_int_eq(hdr_decode(buf, 8191, &out), -EBADMSG);
	h.data_offset = 6000;	/* not a multiple of 4096 */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
	h.data_offset = HDR_MAX + HDR_MIN;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* Changing any one byte of a header is detected. */
/* Flip, zero and blank each byte of the header of h in turn: every change
 * is refused (another version number may be unsupported instead). */
static void each_byte_change_refused(struct hdr *h)
{
	static unsigned char orig[HDR_MIN];
	const unsigned char deltas[] = { 0x01, 0x04, 0x20, 0x80, 0xff };
	struct hdr out;
	size_t ver, i, d;
	int ret;

	ck_assert_int_eq(hdr_encode(h, buf, sizeof(buf)), 0);
	ver = field("#shmseg=");
	memcpy(orig, buf, HDR_MIN);
	for (i = 0; i < HDR_MIN; i++) {
		for (d = 0; d < sizeof(deltas) + 2; d++) {
			/* flipped bits, then a '0' and a space in place */
			if (d < sizeof(deltas))
				buf[i] = orig[i] ^ deltas[d];
			else
				buf[i] = d == sizeof(deltas) ? '0' : ' ';
			if (buf[i] == orig[i])
				continue;
			ret = hdr_decode(buf, HDR_MIN, &out);
			if (i >= ver && i < ver + 4 && ret == -ENOTSUP)
				continue;	/* another format version */
			ck_assert_msg(ret == -EBADMSG,
				      "byte %zu ^ %02x: %d", i, deltas[d], ret);
		}
		buf[i] = orig[i];
	}
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
}

START_TEST(every_single_byte_change_is_refused)
{
	struct hdr h = sample("<f8", false, 2, 10ull, 20ull);

	each_byte_change_refused(&h);
}
END_TEST

#define REC "[('t', '<M8[ns]'), ('x', '<f8', (2,)), (('T', 'n'), '|u1')]"

/* A header of format 4: a record's description in the dict. */
static struct hdr record_sample(const char *descr)
{
	struct hdr h = sample("|V25", false, 1, 3ull);

	h.descr = descr;
	h.descr_len = strlen(descr);
	return h;
}

START_TEST(every_single_byte_change_of_format_4_is_refused)
{
	struct hdr h = record_sample(REC);

	each_byte_change_refused(&h);
}
END_TEST

START_TEST(format_4_carries_the_description)
{
	struct hdr h = record_sample(REC), out;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(memmem(buf, HDR_MIN, "{'descr': " REC
				     ", 'fortran_order': False, 'shape': (3,), }"
				     "\n#shmseg=0004 ", strlen(REC) + 66));
	ck_assert_ptr_nonnull(memmem(buf, HDR_MIN, "#dtype=|V00000019 ", 18));
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_uint_eq(out.descr_len, strlen(REC));
	ck_assert_ptr_eq(out.descr, (const char *)buf + 20);
	ck_assert_mem_eq(out.descr, REC, strlen(REC));
	ck_assert_int_eq(out.layout.dtype.kind, 'V');
	ck_assert_uint_eq(out.nbytes, 75);
	/* a peek says the same, and leaves descr pointing into its buffer */
	ck_assert_int_eq(hdr_peek(buf, HDR_PEEK, &out), 0);
	ck_assert_uint_eq(out.descr_len, strlen(REC));
}
END_TEST

/* Bytes changed with the checksum made right again: only the checks of
 * the description itself can refuse them. */
START_TEST(format_4_description_is_checked)
{
	static const struct {
		const char *from, *to;
	} edits[] = {
		{ "('x', '<f8'", "(\"x\", '<f8'" },	/* not canonical */
		{ "', '<f8', (2,)", "','<f8' , (2,)" },	/* spacing */
		{ "'<f8', (2,)", "'<f4', (2,)" },	/* not 25 bytes */
		{ "'|u1')]", "'|O' )]" },		/* an object */
		{ "[('t', '<M8[ns]'), ('x', '<f8', (2,)), (('T', 'n'), '|u1')]",
		  "'<f8'                                                      " },
	};
	struct hdr h = record_sample(REC), out;
	size_t i;

	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *p;

		ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
		ck_assert_uint_eq(strlen(edits[i].from), strlen(edits[i].to));
		p = memmem(buf, HDR_MIN, edits[i].from, strlen(edits[i].from));
		ck_assert_ptr_nonnull(p);
		memcpy(p, edits[i].to, strlen(edits[i].to));
		fix_crc();
		ck_assert_msg(hdr_decode(buf, HDR_MIN, &out) == -EBADMSG,
			      "%s", edits[i].to);
	}
	/* #dtype saying another kind, or order, of the same size */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	patch("#dtype=", "|S");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	h = sample("<M8", false, 1, 3ull);
	h.descr = "'<M8[ns]'";
	h.descr_len = strlen(h.descr);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
		if (i == 0)
			ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
		patch("#dtype=", i == 1 ? ">M" : "<m");
		if (i)
			ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out),
					 -EBADMSG);
	}
	h = record_sample(REC);
	/* the same type of the same size: another dtype, still consistent */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	memcpy(memmem(buf, HDR_MIN, "'<f8'", 5), "'<i8'", 5);
	fix_crc();
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
}
END_TEST

/* Format 3 carries no datetime (a unit needs the description), and
 * format 4 no plain dtype; nor may a description go with strides of
 * neither order, which NumPy would see as bytes. */
START_TEST(formats_keep_to_their_dtypes)
{
	struct hdr h = sample("<M8", false, 1, 3ull), out;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	h = sample("<f8", false, 1, 3ull);
	h.descr = "'<f8'";
	h.descr_len = 5;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	h = record_sample(REC);
	h.layout.strides[0] = 32;
	h.nbytes = 25 + 2 * 32;
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), -EINVAL);
}
END_TEST

START_TEST(version_zero_is_enotsup)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;

	/* First thing in a fresh process: no earlier decode left a value
	 * behind that could stand in for the one read. */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	patch("#shmseg=", "0000");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -ENOTSUP);
}
END_TEST

START_TEST(zero_checksum_is_checked)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;
	size_t at;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	at = field("#checksum=");
	memcpy(buf + at, "00000000", 8);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
}
END_TEST

START_TEST(other_format_version_is_enotsup)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	patch("#shmseg=", "0001");	/* the first, different format */
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -ENOTSUP);
	patch("#shmseg=", "0005");	/* one to come */
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -ENOTSUP);
	patch("#shmseg=", "0000");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -ENOTSUP);
	patch("#shmseg=", "00x1");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
}
END_TEST

/* Format 2, as 1.1.0 wrote it (a line a field), reads as it did: the same
 * header with a newline for each separator is format 2's. A format-2
 * number on a format-3 header, or the reverse, is refused. */
START_TEST(format_2_headers_still_decode)
{
	struct hdr h = sample(">i4", true, 3, 2ull, 0ull, 5ull), out;
	char *p;
	int seps = 0;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	/* One line: the dict's newline and the final one alone. */
	ck_assert_ptr_eq(memchr(buf + field("#shmseg="), '\n',
				HDR_MIN - 1 - field("#shmseg=")), NULL);
	ck_assert_int_eq(buf[HDR_MIN - 1], '\n');
	patch("#shmseg=", "0002");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	for (p = (char *)buf + field("#shmseg=");
	     (p = memmem(p, HDR_MIN - (size_t)(p - (char *)buf), " #", 2));
	     p++, seps++)
		*p = '\n';
	ck_assert_int_eq(seps, 12);
	buf[field("#checksum=") + 8] = '\n';
	fix_crc();
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_int_eq(memcmp(&out.layout, &h.layout, sizeof(h.layout)), 0);
	ck_assert_int_eq(memcmp(out.uuid, h.uuid, 16), 0);
	ck_assert_uint_eq(out.pid, h.pid);
	patch("#shmseg=", "0003");
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
}
END_TEST

/* Headers whose checksum is right but whose content is not. */
static const struct {
	const char *key;
	const char *value;
} inconsistent[] = {
	{ "#ndim=", "21" },			/* 33 > SHMSEG_MAX_NDIM */
	{ "#ndim=", "03" },			/* more than the values */
	{ "#dtype=<f", "00000000" },		/* itemsize 0 */
	{ "#dtype=<", "q" },			/* unknown kind */
	{ "#dtype=", "|" },			/* '|' on a multi-byte type */
	{ "#dtype=<f", "00000003" },		/* no 3-byte float */
	{ "#nbytes=", "0000000000000641" },	/* one byte too many */
	{ "#nbytes=", "000000000000063f" },	/* one byte short */
	{ "#nbytes=", "7ffffffffffff000" },	/* overflows with offset */
	{ "#offset=", "0000000000002000" },	/* not the header size */
	{ "#strides=", "00000000000000a1" },	/* reaches past the data */
	{ "#strides=", "8000000000000000" },	/* negative */
	{ "#shape=", "ffffffffffffffff" },	/* product overflows */
	{ "#created=", "0000000000000000.3b9aca00" },	/* 1e9 ns */
	{ "#ndim=", "01" },			/* fewer than the values */
};

START_TEST(inconsistent_contents_are_ebadmsg)
{
	struct hdr h = sample("<f8", false, 2, 10ull, 20ull), out;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	patch(inconsistent[_i].key, inconsistent[_i].value);
	ck_assert_msg(hdr_decode(buf, HDR_MIN, &out) == -EBADMSG, "%s%s",
		      inconsistent[_i].key, inconsistent[_i].value);
}
END_TEST

START_TEST(negative_stride_of_an_empty_array_is_ebadmsg)
{
	struct hdr h = sample("<f8", false, 2, 0ull, 20ull), out;

	/* Padded rows, so that NumPy sees bytes whatever the strides. */
	h.layout.strides[0] = 200;
	ck_assert_int_eq(layout_complete(&h.layout, false, &h.nbytes), 0);
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	patch("#strides=", "ffffffffffffff38");	/* -200 */
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
}
END_TEST

START_TEST(npy_dict_disagreeing_with_control_block_is_ebadmsg)
{
	struct hdr h = sample("<f8", false, 2, 10ull, 20ull), out;
	char *p;

	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	p = memmem(buf, HDR_MIN, "(10, 20)", 8);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "(20, 10)", 8);
	patch("#shmseg=", "0003");	/* recompute the checksum only */
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
}
END_TEST

START_TEST(foreign_and_truncated_buffers_are_ebadmsg)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;
	static const char npy[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', "
		"'fortran_order': False, 'shape': (3,), }";

	memset(buf, 0, HDR_MIN);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	ck_assert_int_eq(hdr_size_announced(buf, HDR_MIN), -EBADMSG);
	/* A plain .npy file: right preamble, no control block. */
	memset(buf, ' ', HDR_MIN);
	memcpy(buf, npy, sizeof(npy) - 1);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	buf[8] = (HDR_MIN - 10) & 0xff;
	buf[9] = (HDR_MIN - 10) >> 8;
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	/* the dict's newline so late that the control block cannot fit */
	buf[HDR_MIN - 3] = '\n';
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	memcpy(buf + HDR_MIN - 2, "#s", 2);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), -EBADMSG);
	/* .npy version 2 preamble */
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	buf[6] = 2;
	ck_assert_int_eq(hdr_size_announced(buf, HDR_MIN), -EBADMSG);
	ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
	ck_assert_int_eq(hdr_size_announced(buf, 9), -EBADMSG);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN - 1, &out), -EBADMSG);
	ck_assert_int_eq(hdr_decode(buf, 100, &out), -EBADMSG);
	ck_assert_int_eq(hdr_decode(buf, 0, &out), -EBADMSG);
}
END_TEST

START_TEST(random_bytes_never_decode)
{
	struct hdr h = sample("<f8", false, 1, 3ull), out;
	unsigned seed = 12345;
	size_t i, round;

	/* Keep the preamble valid so that the checks further in are fed. */
	for (round = 0; round < 2000; round++) {
		ck_assert_int_eq(hdr_encode(&h, buf, sizeof(buf)), 0);
		for (i = 0; i < 8; i++) {
			seed = seed * 1103515245u + 12345u;
			buf[10 + (seed >> 8) % (HDR_MIN - 10)] =
				(unsigned char)(seed >> 20);
		}
		ck_assert_int_ne(hdr_decode(buf, HDR_MIN, &out), 0);
	}
}
END_TEST

/* A sealed segment with header h under a fresh name: encoded by the
 * library, but written by hand, as another implementation may. */
static void store_segment(char name[TU_NAME_LEN], struct hdr *h)
{
	char path[TU_NAME_LEN + 16];
	int fd;

	h->sealed = true;
	ck_assert_int_eq(hdr_encode(h, buf, sizeof(buf)), 0);
	fd = open(tu_path(path, tu_name(name, "hdr")),
		  O_WRONLY | O_CREAT | O_EXCL, 0444);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, h->data_offset), h->data_offset);
	ck_assert_int_eq(ftruncate(fd, (off_t)(h->data_offset + h->nbytes)),
			 0);
	ck_assert_int_eq(close(fd), 0);
}

/* shmseg(5) allows 16 digits of pid; pid_t (32 bits on Linux) cannot hold
 * them all, and a wrapped number would name some other process. */
/* A description that NumPy refuses for a name used twice passes the
 * header's own check, which keeps no table; attaching such a segment,
 * its stat, or reading its description, is refused whole: another writer
 * made it. */
START_TEST(name_used_twice_is_refused_at_attach)
{
	struct hdr h = record_sample("[('t', '<M8[ns]'), ('t', '<f8', (2,)), "
				     "(('T', 'n'), '|u1')]"), out;
	struct shmseg *seg;
	char name[TU_NAME_LEN], descr[256];

	store_segment(name, &h);
	ck_assert_int_eq(hdr_decode(buf, HDR_MIN, &out), 0);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), -EBADMSG);
	ck_assert_int_eq(shmseg_stat_descr(name, NULL, descr, sizeof(descr)),
			 -EBADMSG);
	/* stat and list say the same: not a segment (found in review: they
	 * peeked at the header, which said nothing of the names) */
	ck_assert_int_eq(shmseg_stat(name, &(struct shmseg_stat){ 0 }),
			 -EBADMSG);
	ck_assert_int_eq(shmseg_unlink(name), 0);
	h = record_sample(REC);
	store_segment(name, &h);
	ck_assert_int_eq(shmseg_attach(name, 0, &seg), 0);
	shmseg_detach(seg);
	ck_assert_int_eq(shmseg_unlink(name), 0);
}
END_TEST

START_TEST(stat_says_0_for_a_pid_that_pid_t_cannot_hold)
{
	static const struct {
		uint64_t pid;
		pid_t want;
	} cases[] = {
		{ 0, 0 }, { 1, 1 }, { 2147483647u, 2147483647 },
		{ 2147483648u, 0 }, { 4294967295u, 0 }, { 4294967296u, 0 },
		{ 1ull << 63, 0 }, { UINT64_MAX, 0 },
	};
	struct shmseg_stat st;
	char name[TU_NAME_LEN];
	size_t i;

	ck_assert_uint_eq(sizeof(pid_t), 4);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hdr h = sample("<f8", false, 1, 3ull);

		h.pid = cases[i].pid;
		store_segment(name, &h);
		ck_assert_int_eq(shmseg_stat(name, &st), 0);
		ck_assert_msg(st.creator_pid == cases[i].want,
			      "pid %llx: %ld", (unsigned long long)h.pid,
			      (long)st.creator_pid);
		ck_assert_int_eq(shmseg_unlink(name), 0);
	}
}
END_TEST

/* Any 64-bit #created is valid, and comes out as it went in. */
START_TEST(stat_keeps_created_at_the_extremes)
{
	static const int64_t secs[] = {
		INT64_MIN, -62167219201ll, -62135596800ll, 253402300800ll,
		INT64_MAX,
	};
	struct shmseg_stat st;
	char name[TU_NAME_LEN];
	size_t i;

	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		struct hdr h = sample("<f8", false, 1, 3ull);

		h.created.tv_sec = (time_t)secs[i];
		h.created.tv_nsec = 999999999;
		store_segment(name, &h);
		ck_assert_int_eq(shmseg_stat(name, &st), 0);
		ck_assert_int_eq(st.created.tv_sec, secs[i]);
		ck_assert_int_eq(st.created.tv_nsec, 999999999);
		ck_assert_int_eq(shmseg_unlink(name), 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("header");
	TCase *tc = tcase_create("header");

	tu_init();
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, crc32_is_the_zlib_crc);
	tcase_add_test(tc, round_trip_keeps_every_field);
	tcase_add_test(tc, hex_fields_take_exactly_lowercase_digits);
	tcase_add_test(tc, checksum_counts_the_state_word_as_sealed);
	tcase_add_test(tc, npy_dict_says_what_numpy_needs);
	tcase_add_test(tc, strided_layout_presents_as_bytes);
	tcase_add_test(tc, widest_header_fits);
	tcase_add_test(tc, larger_header_sizes_decode);
	tcase_add_test(tc, every_single_byte_change_is_refused);
	tcase_add_test(tc, every_single_byte_change_of_format_4_is_refused);
	tcase_add_test(tc, format_4_carries_the_description);
	tcase_add_test(tc, format_4_description_is_checked);
	tcase_add_test(tc, formats_keep_to_their_dtypes);
	tcase_add_test(tc, name_used_twice_is_refused_at_attach);
	tcase_add_test(tc, version_zero_is_enotsup);
	tcase_add_test(tc, zero_checksum_is_checked);
	tcase_add_test(tc, other_format_version_is_enotsup);
	tcase_add_test(tc, format_2_headers_still_decode);
	tcase_add_loop_test(tc, inconsistent_contents_are_ebadmsg, 0,
			    (int)(sizeof(inconsistent) /
				  sizeof(inconsistent[0])));
	tcase_add_test(tc, negative_stride_of_an_empty_array_is_ebadmsg);
	tcase_add_test(tc, npy_dict_disagreeing_with_control_block_is_ebadmsg);
	tcase_add_test(tc, foreign_and_truncated_buffers_are_ebadmsg);
	tcase_add_test(tc, random_bytes_never_decode);
	tcase_add_test(tc, stat_says_0_for_a_pid_that_pid_t_cannot_hold);
	tcase_add_test(tc, stat_keeps_created_at_the_extremes);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
