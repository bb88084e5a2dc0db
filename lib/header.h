/* SPDX-License-Identifier: MIT */
/* header.h - the segment header, in a byte buffer (header.c); pure */
#ifndef SHMSEG_HEADER_H
#define SHMSEG_HEADER_H

#include <time.h>

#include "internal.h"

#define HDR_MIN		4096		/* a header is whole 4 KiB blocks, */
#define HDR_MAX		65536		/* at most this many bytes */

/* State words, as the four bytes stored at HDR_STATE_OFF: sealed, they
 * complete the .npy magic "\x93NUMPY\1\0"; building, they break it. */
#define HDR_STATE_OFF      4
#define HDR_STATE_BUILDING "BLDG"
#define HDR_STATE_SEALED   "PY\x01"	/* and the terminating NUL */

struct hdr {
	struct shmseg_layout layout;	/* strides always explicit */
	uint64_t data_offset;		/* = the header's size */
	uint64_t nbytes;
	unsigned char uuid[16];
	struct timespec created;
	uint64_t pid;
	uint64_t pid_start;		/* creator start time; 0 = unknown */
	uint64_t pid_ns;		/* creator pid namespace; 0 = none */
	bool sealed;
	const char *descr;		/* format 4: NumPy's descr, canonical
					   (descr_len bytes); else NULL */
	size_t descr_len;
};

/* Size of the whole object: header and data, and a byte more when there
 * is no data, so that the object extends past the header. NumPy maps the
 * data of a .npy file from its offset to the end of the file, which fails
 * when that is nothing. */
static inline uint64_t hdr_object_size(const struct hdr *h)
{
	return h->data_offset + h->nbytes + (h->nbytes == 0);
}

/* Size of the header that the first bytes of buf (the .npy preamble)
 * announce, or -EBADMSG. Needs at least 10 bytes. */
long hdr_size_announced(const void *buf, size_t len);

/* Validate the header in buf (len >= its size) and decode it into h; in
 * format 4, h->descr points into buf. Returns 0, -EBADMSG or -ENOTSUP. */
int hdr_decode(const void *buf, size_t len, struct hdr *h);
/* The same check on the first len bytes of a header, which may be fewer
 * than its size: all of the control block, with its checksum, must be
 * among them; the padding is checked only as far as they go. For listing,
 * where reading and checking a whole page each time cost 10%. */
#define HDR_PEEK 1024
int hdr_peek(const void *buf, size_t len, struct hdr *h);

/* The fewest bytes a header for h takes (a multiple of HDR_MIN), which may
 * be more than HDR_MAX; h->data_offset need not be set. */
uint64_t hdr_size_needed(const struct hdr *h);

/* Encode h into buf of h->data_offset bytes. Returns 0 or -EINVAL. */
int hdr_encode(struct hdr *h, void *buf, size_t len);

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
/* The checksum of a header whose value starts at crc_pos (at least 8): of
 * the bytes before it, with the state word counted as sealed, since it is
 * the one part that changes. */
uint32_t hdr_crc(const void *buf, size_t crc_pos);

#endif
