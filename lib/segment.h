/* SPDX-License-Identifier: MIT */
/* segment.h - what segment.c offers the modules above it */
#ifndef SHMSEG_SEGMENT_H
#define SHMSEG_SEGMENT_H

#include "internal.h"

/* shmseg_create(), and with flags that the library alone may give:
 * SEG_WRITTEN, for a segment that will be filled through its descriptor
 * (seg_fill_from_*), with SHMSEG_SPARSE: its memory is then allocated by
 * those writes, unless huge pages need it faulted in first. */
#define SEG_WRITTEN 0x10000
int seg_create(const char *name, const struct shmseg_layout *layout,
	       const char *descr, int flags, mode_t mode, struct shmseg **segp);
/* The layout for a create from a description given by a caller (or NULL):
 * layout's, with the dtype the description says, into l; its canonical
 * text into *canon (malloc'd), NULL for a plain dtype. -EINVAL for a
 * malformed one, -ENOTSUP for one a segment does not carry, said in why
 * (len bytes) unless it is NULL. */
int seg_descr_layout(const char *descr, const struct shmseg_layout *layout,
		     struct shmseg_layout *l, char **canon, char *why,
		     size_t len);
/* The canonical descr of seg's dtype (format 4), or NULL for a plain one. */
const char *seg_descr(const struct shmseg *seg);
/* stat of an already opened object: fstat, header read and validation. */
int seg_stat_fd(int fd, struct shmseg_stat *st);
/* Fill the data of a writable segment with len bytes read from fd, through
 * the object's descriptor rather than the mapping; -ENODATA at an early
 * end of input, -ENOSPC when the file system is full. res says how far it
 * got, and whether reading fd failed. */
struct copy_result;
int seg_fill_from_fd(struct shmseg *seg, int fd, uint64_t len,
		     struct copy_result *res);
/* Fill the data of a writable segment with len bytes of memory at data,
 * through the object's descriptor as seg_fill_from_fd() does. */
int seg_fill_from_memory(struct shmseg *seg, const void *data, uint64_t len);
/* Write all of seg's data to fd, from its current offset. */
int seg_drain_to_fd(const struct shmseg *seg, int fd);

/* For shmseg_attach_wait(), after shmseg_attach() found the segment name
 * being built: map what the name holds and wait for its seal, or until
 * deadline (os_now()'s clock); then finish the attach of that object, as
 * shmseg_attach() would with flags. 1: attached, the handle in *segp; 0:
 * look again by name (sealed or not, it changed); -ETIMEDOUT; -EINTR: a
 * signal handler ran; -ENOTSUP: it cannot wait so, and the caller polls;
 * or what new_handle() returns for a bad name. */
int seg_attach_at_seal(const char *name, int flags, int64_t deadline,
		       struct shmseg **segp);

#endif
