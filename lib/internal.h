/* SPDX-License-Identifier: MIT */
/* internal.h - declarations shared between the library's modules */
#ifndef SHMSEG_INTERNAL_H
#define SHMSEG_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shmseg.h"

#define EXPORT __attribute__((visibility("default")))

/* The one place where libc's -1/errno becomes -errno. Negated first and
 * then tested (errno is positive, or 0 where a libc forgot to set it), so
 * that the analyzer of make lint sees the result is never 0: it does not
 * follow a test of errno across the negation. */
static inline int neg_errno(void)
{
	int err = -errno;

	return err < 0 ? err : -EIO;
}

/* v in decimal at the end of out[20]; returns how many digits, which end
 * at out + 20. By hand: header checks run it on every attach and list
 * entry, where snprintf would cost more than the rest of the check. */
static inline size_t u64_decimal(uint64_t v, char out[20])
{
	size_t n = 0;

	do
		out[20 - ++n] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return n;
}

/* ---- name.c ---------------------------------------------------------- */

/* Room for '/', SHMSEG_NAME_MAX bytes and the NUL. */
#define NAME_BUF (SHMSEG_NAME_MAX + 2)

/* Check a user-supplied name; write "/name" into buf. No system call. */
int name_normalize(const char *name, char buf[NAME_BUF]);

/* ---- dtype.c --------------------------------------------------------- */

/* 0 if dt is a dtype this format can carry, else -EINVAL. */
int dtype_check(const struct shmseg_dtype *dt);

/* ---- header.c: the on-segment format, no system calls ----------------- */

#define HDR_MIN		4096		/* a header is whole 4 KiB blocks, */
#define HDR_MAX		65536		/* at most this many bytes */
#define HDR_SIZE	HDR_MIN		/* written where pages are 4 KiB */

/* State words, as the four bytes stored at HDR_STATE_OFF: sealed, they
 * complete the .npy magic "\x93NUMPY\1\0"; building, they break it. */
#define HDR_STATE_OFF      4
#define HDR_STATE_BUILDING "BLDG"
#define HDR_STATE_SEALED   "PY\x01"	/* and the terminating NUL */

struct hdr {
	struct shmseg_layout layout;	/* strides always explicit */
	uint64_t data_offset;		/* = header size */
	uint64_t nbytes;
	unsigned char uuid[16];
	struct timespec created;
	uint64_t pid;
	uint64_t pid_start;		/* creator start time; 0 = unknown */
	uint64_t pid_ns;		/* creator pid namespace; 0 = none */
	bool sealed;
};

/* Size of the whole object: header and data, and a byte more when there
 * is no data, so that the object extends past the header. NumPy maps the
 * data of a .npy file from its offset to the end of the file, which fails
 * when that is nothing. */
static inline uint64_t hdr_object_size(const struct hdr *h)
{
	return h->data_offset + h->nbytes + (h->nbytes == 0);
}

/* Header size announced by the first bytes of buf (the .npy preamble),
 * or -EBADMSG. Needs at least 10 bytes. */
long hdr_size(const void *buf, size_t len);

/* Validate the header in buf (len >= its size) and decode it into h.
 * Returns 0, -EBADMSG or -ENOTSUP. */
int hdr_decode(const void *buf, size_t len, struct hdr *h);
/* The same check on the first len bytes of a header, which may be fewer
 * than its size: all of the control block, with its checksum, must be
 * among them; the padding is checked only as far as they go. For listing,
 * where reading and checking a whole page each time cost 10%. */
#define HDR_PEEK 1024
int hdr_peek(const void *buf, size_t len, struct hdr *h);

/* Encode h into buf of h->data_offset bytes. Returns 0 or -EINVAL. */
int hdr_encode(struct hdr *h, void *buf, size_t len);

/* Fill the strides and nbytes of a layout given for creation: checks the
 * dtype, shape and strides; derives C or Fortran strides when they are all
 * zero. Returns 0, -EINVAL or -EOVERFLOW. */
int layout_complete(struct shmseg_layout *l, bool fortran, uint64_t *nbytes);

/* Check a decoded layout against the data size; 0 or -EBADMSG. */
int layout_check(const struct shmseg_layout *l, uint64_t nbytes);

/* C-contiguous, Fortran-contiguous, or neither (0). */
enum { ORDER_NONE = 0, ORDER_C = 1, ORDER_F = 2 };
int layout_order(const struct shmseg_layout *l);
/* Whether NumPy can describe an array of this dtype and shape: the item
 * size times the dimensions, 0 counted as 1, at most 2^63 - 1. Past that
 * the strides are neither C nor Fortran, and NumPy refuses such a .npy
 * header even for an empty array ("array is too big"). */
bool layout_numpy_sized(const struct shmseg_layout *l);

uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);
/* The checksum of a header whose value starts at crc_pos (at least 8): of
 * the bytes before it, with the state word counted as sealed, since it is
 * the one part that changes. */
uint32_t hdr_crc(const void *buf, size_t crc_pos);

/* ---- npy.c: .npy headers, no system calls in the parser ---------------- */

struct npy_hdr {
	struct shmseg_layout layout;	/* strides filled in */
	bool fortran;
	uint64_t header_size;		/* preamble and text: data offset */
	uint64_t nbytes;
	char why[128];			/* on -ENOTSUP: what is not carried */
};

/* "{'descr': ..., 'fortran_order': ..., 'shape': (...), }" for the given
 * fields, into buf; returns its length, or 0 when it does not fit. */
size_t npy_dict_text(const char *descr, bool fortran, uint32_t ndim,
		     const uint64_t *shape, char *buf, size_t len);
/* Bytes of the whole .npy header announced by its preamble (10 or 12
 * bytes needed), -EILSEQ if it is none, -ENOTSUP for another version. */
long npy_header_size(const void *buf, size_t len);
/* What npy_header_size() found unsupported in the preamble, into why. */
void npy_version_why(const void *buf, char *why, size_t len);
/* Parse a whole .npy header: 0, -EILSEQ (malformed), -ENOTSUP (a dtype
 * or version we do not carry, said in h->why) or -EOVERFLOW. */
int npy_parse(const void *buf, size_t len, struct npy_hdr *h);
/* A .npy header for the layout, padded as NumPy pads; its length. */
long npy_format(const struct shmseg_layout *l, bool fortran, char *buf,
		size_t len);

/* ---- segment.c ------------------------------------------------------- */

/* stat of an already opened object: fstat + header read + validation. */
int seg_stat_fd(int fd, struct shmseg_stat *st);
/* Fill the data of a writable segment with len bytes read from fd, through
 * the object's descriptor rather than the mapping; -ENODATA at an early
 * end of input, -ENOSPC when the file system is full. */
int seg_fill_from_fd(struct shmseg *seg, int fd, uint64_t len);
/* 0 if len more bytes fit under RLIMIT_FSIZE at fd's offset (fd -1: at
 * offset 0 of a new object), else -EFBIG: writing or sizing past the
 * limit would raise SIGXFSZ, which kills by default. Descriptors that are
 * not regular files are not limited. */
int seg_fsize_check(int fd, uint64_t len);
/* Write all of seg's data to fd, from its current offset. */
int seg_drain_to_fd(const struct shmseg *seg, int fd);

/* ---- os_*.c: what differs between platforms ------------------------- */

/* Creator identity recorded in the header. */
void os_self_identity(uint64_t *pid_start, uint64_t *pid_ns);
/* Mark the open object fd as held by a live builder, for as long as a
 * descriptor of this open file description exists (fork included). */
int os_hold(int fd);
/* Whether nobody holds the object fd (opened by anyone) as os_hold()
 * marks it; pid, the creator's, serves where there is no such mark. False
 * when it cannot be told. */
bool os_holder_gone(int fd, uint64_t pid);
/* Open a new, nameless, read-write object to be published later with
 * os_publish(); -ENOTSUP where the platform cannot. */
int os_create_anon(mode_t mode);
/* Give the nameless object fd the name "/name" unless it exists. */
int os_publish(int fd, const char *name);
/* Move "/name" to a new private name, written to priv, in one step: what
 * is taken is exactly what had the name at that instant. -ENOTSUP where
 * the platform cannot. */
int os_take_name(const char *name, char priv[NAME_BUF]);
/* Give the object at priv back the name "/name", unless it exists. */
int os_give_name(const char *priv, const char *name);
/* Whether "/name" exists (a hint only). */
bool os_exists(const char *name);
/* Enumerate: call each(fd, name, arg) for every regular entry, opened
 * read-only without following links. */
typedef int os_each_fn(int fd, const char *name, void *arg);
int os_list(os_each_fn *each, void *arg);

#endif /* SHMSEG_INTERNAL_H */
