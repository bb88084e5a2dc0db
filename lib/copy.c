/* SPDX-License-Identifier: MIT */
/* copy.c - bulk copies between a file and a shared-memory object, in two
 * threads where that pays, and memory faulted in the same way */
#define _GNU_SOURCE	/* MADV_POPULATE_READ */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "os.h"

/* One part of a copy: bytes [from, to) of the copy, at fd offset at + from
 * with pread/pwrite, or in sequence with read/write when at is -1. Copied
 * into an object, they go to obj at obj_at + from; copied out of a
 * mapping, they come from data + from. */
struct part {
	const unsigned char *data;
	int *failed;		/* shared by the parts: stop early */
	uint64_t from, to;
	uint64_t ended_at;	/* where fd ended, if it did */
	off_t at;
	off_t obj_at;
	int fd;
	int obj;
	int ret;
	bool read_failed;	/* ret is from reading fd */
};

#define PART_CHUNK ((size_t)1 << 20)

/* Whether this part is to stop: it failed, or the other did. The end of
 * the input met by the upper part does not stop the lower one, which
 * finds where it really ends if that is below. */
static bool stopped(struct part *p)
{
	if (p->ret && !(p->ret == -ENODATA && p->from > 0))
		__atomic_store_n(p->failed, 1, __ATOMIC_RELAXED);
	return p->ret || __atomic_load_n(p->failed, __ATOMIC_RELAXED);
}

static size_t chunk(const struct part *p, uint64_t at)
{
	return p->to - at < PART_CHUNK ? (size_t)(p->to - at) : PART_CHUNK;
}

/* Into the object: read a chunk, write it to the object. */
static void *fill_part(void *arg)
{
	struct part *f = arg;
	unsigned char *buf = malloc(PART_CHUNK);
	uint64_t at = f->from;

	f->ret = buf ? 0 : -ENOMEM;
	while (at < f->to && !stopped(f)) {
		size_t want = chunk(f, at);
		int64_t n = io_read(f->fd, buf, want,
				    f->at < 0 ? -1 : f->at + (off_t)at);

		if (n <= 0) {
			f->ret = n < 0 ? (int)n : -ENODATA;
			f->read_failed = true;
		} else {
			f->ret = io_write(f->obj, buf, (size_t)n,
					  f->obj_at + (off_t)at);
		}
		at += n > 0 ? (uint64_t)n : 0;
		/* Fewer bytes than asked: the input ends here. */
		if (n >= 0 && (size_t)n < want)
			f->ended_at = at;
	}
	free(buf);
	return NULL;
}

/* Out of a mapping: fault a chunk of it in, write it. The page
 * faults then happen here, not inside the write, where the other part's
 * write would wait for them under the output's inode lock. */
static void *drain_part(void *arg)
{
	struct part *d = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uint64_t at = d->from;

	d->ret = 0;
	while (at < d->to && !stopped(d)) {
		const unsigned char *p = d->data + at;
		size_t want = chunk(d, at);

#ifdef MADV_POPULATE_READ
		/* Only a speed-up: where it fails, the write faults. */
		uintptr_t lo = (uintptr_t)p & ~(page - 1);

		(void)madvise((void *)lo, (uintptr_t)p + want - lo,
			      MADV_POPULATE_READ);
#else
		(void)page;
#endif
		d->ret = io_write(d->fd, p, want,
				  d->at < 0 ? -1 : d->at + (off_t)at);
		at += want;
	}
	return NULL;
}

/* Copies this large, at offsets of a regular file, run in two halves at
 * once. Writes to one file take its inode lock in turn, so the second
 * thread gains what happens outside the writes (reads of the input, page
 * faults): measured 10-20%, and no more with 4 threads than with 2. */
#define SPLIT_FROM (64ull << 20)

/* Run fn over the len bytes that proto describes: where split and len
 * is large, in two halves at once, part[0] here and part[1] in a thread
 * of the library's own; otherwise all in part[0]. Returns whether there
 * were two. */
static bool run_parts(struct part proto, uint64_t len, bool split,
		      void *(*fn)(void *), struct part part[2])
{
	pthread_t other;
	bool two = false;

	proto.from = 0;
	proto.to = len;
	part[0] = part[1] = proto;
	if (split && len >= SPLIT_FROM && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		sigset_t all, old;

		/* Split at a whole chunk. */
		part[0].to = part[1].from = len / 2 & ~(uint64_t)(PART_CHUNK - 1);
		/* The library's thread takes none of the caller's signals. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		two = pthread_create(&other, NULL, fn, &part[1]) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!two)
			part[0].to = len;
	}
	fn(&part[0]);
	if (two)
		pthread_join(other, NULL);
	return two;
}

/* Run the copy that proto describes over len bytes with fn, starting at
 * fd's current offset; on success fd's offset ends just past them, as
 * after read or write. */
static int copy_parts(struct part proto, uint64_t len, void *(*fn)(void *),
		      struct part *end)
{
	struct part part[2];
	int failed = 0;
	bool append = false, two;

	/* At offsets in a regular file; not with O_APPEND, where Linux
	 * writes every pwrite at the end, nor where the offsets would not
	 * fit an off_t. */
	proto.at = io_file_position(proto.fd, &append);
	if (append || (proto.at >= 0 && len > (uint64_t)(INT64_MAX - proto.at)))
		proto.at = -1;
	proto.failed = &failed;
	proto.ended_at = UINT64_MAX;
	two = run_parts(proto, len, proto.at >= 0, fn, part);
	/* What the caller learns: a failure of either, the first reading
	 * that found the end of fd. */
	if (!part[0].ret && two && part[1].ret)
		part[0].read_failed = part[1].read_failed;
	if (two && part[1].ended_at < part[0].ended_at)
		part[0].ended_at = part[1].ended_at;
	*end = part[0];
	if (part[0].ret || (two && part[1].ret))
		return part[0].ret ? part[0].ret : part[1].ret;
	if (proto.at >= 0 && lseek(proto.fd, proto.at + (off_t)len, SEEK_SET) < 0)
		return neg_errno();
	return 0;
}

int copy_in(int obj, off_t at, int fd, uint64_t len, struct copy_result *res)
{
	struct part end;
	int ret;

	/* Writes to the descriptor allocate tmpfs pages directly, without a
	 * page fault each, and a full file system is a clean -ENOSPC. Whole
	 * pages a write: sendfile() from a file whose data starts mid-page
	 * (a .npy header is 128 bytes) writes each page in two parts, and
	 * tmpfs zeroes a page written in part; measured 12% slower. */
	ret = copy_parts((struct part){ .fd = fd, .obj = obj, .obj_at = at },
			 len, fill_part, &end);
	res->ended_at = end.ended_at;
	res->input_failed = ret && end.read_failed;
	return ret;
}

static void *populate_part(void *arg)
{
	struct part *p = arg;

	p->ret = os_populate((unsigned char *)p->data + p->from,
			     (size_t)(p->to - p->from));
	return NULL;
}

int copy_populate(void *p, size_t len)
{
	struct part part[2];
	bool two = run_parts((struct part){ .data = p }, len, true,
			     populate_part, part);

	/* Faulting memory in is where a VM's host may take its time to
	 * give back what it reclaimed: two threads halve that wait. */
	return part[0].ret || !two ? part[0].ret : part[1].ret;
}

int copy_out(const unsigned char *data, int fd, uint64_t len)
{
	struct part end;

	return copy_parts((struct part){ .fd = fd, .data = data }, len,
			  drain_part, &end);
}
