/* SPDX-License-Identifier: MIT */
/* fuzz_header.c - libFuzzer target: hdr_decode() and hdr_peek() on any bytes */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "header.h"

#define CRC_KEY "#checksum="

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_ret(int ret)
{
	if (ret != 0 && ret != -EBADMSG && ret != -ENOTSUP)
		abort();
}

static bool same(const struct hdr *a, const struct hdr *b)
{
	return memcmp(&a->layout, &b->layout, sizeof(a->layout)) == 0 &&
	       a->nbytes == b->nbytes &&
	       memcmp(a->uuid, b->uuid, sizeof(a->uuid)) == 0;
}

/* What was accepted encodes again, and that decodes to the same. The
 * format has one spelling of each header, so the bytes are the same too,
 * where the input is of a version written (3, or 4 for a dtype that needs
 * its descr); a version 2 header encodes as its version 3 spelling. */
static void round_trip(const uint8_t *data, struct hdr *h)
{
	struct hdr back;
	unsigned char *buf = malloc(h->data_offset);

	if (!buf)
		abort();
	if (hdr_encode(h, buf, h->data_offset) != 0)
		abort();
	if (hdr_decode(buf, h->data_offset, &back) != 0 || !same(h, &back))
		abort();
	if ((memmem(data, h->data_offset, "#shmseg=0003", 12) ||
	     memmem(data, h->data_offset, "#shmseg=0004", 12)) &&
	    memcmp(buf, data, h->data_offset) != 0)
		abort();
	free(buf);
}

/* A peek at the first HDR_PEEK bytes may refuse (the control block need
 * not be among them) but, if it accepts, it says what decode said. */
static void peek_prefix(const uint8_t *data, size_t size, const struct hdr *h)
{
	struct hdr p;
	int ret;

	if (size <= HDR_PEEK)
		return;
	ret = hdr_peek(data, HDR_PEEK, &p);
	check_ret(ret);
	if (ret == 0 && (!same(h, &p) || p.sealed != h->sealed))
		abort();
}

static void check(const uint8_t *data, size_t size)
{
	struct hdr h, p;
	int dec, pk;

	dec = hdr_decode(data, size, &h);
	check_ret(dec);
	pk = hdr_peek(data, size, &p);
	check_ret(pk);
	if (dec == 0) {
		if (pk != 0)
			abort();
		peek_prefix(data, size, &h);
		round_trip(data, &h);
	}
	/* Given the whole header, a peek is the full check: it accepts more
	 * than decode only when the bytes are a prefix of a header. */
	if (pk == 0 && dec != 0 && hdr_size_announced(data, size) <= (long)size)
		abort();
}

/* Nearly every change to a header breaks its checksum, and the checks
 * made after the checksum's would only ever see the seeds: the input is
 * checked again with its checksum made right. */
static void check_fixed_crc(const uint8_t *data, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *key = memmem(data, size, CRC_KEY, strlen(CRC_KEY));
	size_t off, i;
	uint8_t *buf;
	uint32_t crc;

	if (!key)
		return;
	off = (size_t)(key - data) + strlen(CRC_KEY);
	if (size - off < 8 || off < 8)
		return;
	buf = malloc(size);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	crc = hdr_crc(buf, off);
	for (i = 8; i-- > 0; crc >>= 4)
		buf[off + i] = (uint8_t)digits[crc & 0xf];
	if (memcmp(buf, data, size) != 0)
		check(buf, size);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(data, size);
	check_fixed_crc(data, size);
	return 0;
}
