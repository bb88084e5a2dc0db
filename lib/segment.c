/* SPDX-License-Identifier: MIT */
/* segment.c - the shared-memory objects: create, seal, attach, detach;
 * the only file that opens, sizes, maps or unlinks them */
#define _GNU_SOURCE	/* MAP_POPULATE */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "fields.h"
#include "header.h"
#include "layout.h"
#include "name.h"
#include "os.h"
#include "segment.h"

struct shmseg {
	unsigned char *base;		/* the whole object, header first */
	size_t size;
	struct hdr hdr;			/* as validated or written by us */
	char *descr;			/* its descr (format 4), or NULL */
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int fd;				/* kept open while writable, else -1 */
	bool writable;
	bool name_at_seal;		/* SHMSEG_HIDDEN: named by the seal */
	bool replace;			/* SHMSEG_REPLACE: over what has it */
	char path[NAME_BUF];		/* "/name" */
	dev_t dev;			/* and the object's identity, */
	ino_t ino;			/* for shmseg_is_current() */
};

#define CREATE_FLAGS (SHMSEG_FORTRAN | SHMSEG_SPARSE | SHMSEG_HIDDEN | \
		      SHMSEG_REPLACE)
#define ATTACH_FLAGS (SHMSEG_RDWR | SHMSEG_POPULATE)

/* A new handle for the segment name, with its path ("/name"); nothing
 * mapped or open yet. */
static int new_handle(const char *name, char path[NAME_BUF],
		      struct shmseg **segp)
{
	int ret = name_normalize(name, path);

	if (ret)
		return ret;
	*segp = calloc(1, sizeof(**segp));
	if (!*segp)
		return -ENOMEM;
	(*segp)->fd = -1;
	memcpy((*segp)->path, path, NAME_BUF);
	return 0;
}

/* Unmap, close and free what a handle holds, as far as it got. */
static int release(struct shmseg *seg)
{
	int ret = 0;

	if (seg->base && munmap(seg->base, seg->size) < 0)
		ret = neg_errno();
	if (seg->fd >= 0)
		close(seg->fd);
	free(seg->descr);
	free(seg);
	return ret;
}

static uint32_t *state_word(const struct shmseg *seg)
{
	return (uint32_t *)(void *)(seg->base + HDR_STATE_OFF);
}

static uint32_t state_value(const char *s)
{
	uint32_t v;

	memcpy(&v, s, sizeof(v));
	return v;
}

/* pread exactly len bytes of an object; fewer means it is shorter than
 * its header says. */
static int read_exact(int fd, void *buf, size_t len, off_t off)
{
	int64_t n = io_read(fd, buf, len, off);

	if (n < 0)
		return (int)n;
	return (size_t)n < len ? -EBADMSG : 0;
}

/* Where the header decoded into h has a descr (format 4), in the buffer
 * that is about to go: checked whole (no name used twice, which the
 * header's own check cannot tell), then copied into *descr if asked for,
 * with h->descr pointing there; else h->descr is NULL. */
static int keep_descr(struct hdr *h, char **descr)
{
	struct descr d;
	char *copy;
	int ret;

	if (!h->descr)
		return 0;
	copy = malloc(h->descr_len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, h->descr, h->descr_len);
	copy[h->descr_len] = '\0';
	ret = descr_canonical(copy, NULL, &d, NULL, 0);
	if (ret || !descr) {
		free(copy);
		h->descr = NULL;
		return ret == -ENOMEM ? ret : ret ? -EBADMSG : 0;
	}
	h->descr = *descr = copy;
	return 0;
}

/* Read the whole header of fd, an object of fsize bytes, and decode it
 * into h; its first have bytes are in first already. One pread covers
 * every header a creator writes; larger ones take a second. */
static int read_header(int fd, off_t fsize, unsigned char first[HDR_MIN],
		       size_t have, struct hdr *h, char **descr)
{
	unsigned char *buf = first;
	long size;
	int ret;

	ret = read_exact(fd, first + have, HDR_MIN - have, (off_t)have);
	if (ret)
		return ret;
	size = hdr_size_announced(first, HDR_MIN);
	if (size < 0)
		return (int)size;
	if (size > fsize)
		return -EBADMSG;
	if (size > HDR_MIN) {
		buf = malloc((size_t)size);
		if (!buf)
			return -ENOMEM;
		memcpy(buf, first, HDR_MIN);
		ret = read_exact(fd, buf + HDR_MIN, (size_t)size - HDR_MIN,
				 HDR_MIN);
	}
	if (!ret)
		ret = hdr_decode(buf, (size_t)size, h);
	if (!ret)
		ret = keep_descr(h, descr);
	if (buf != first)
		free(buf);
	return ret;
}

/* fstat an open object, then read and validate its header: every byte of
 * it for an attach; for stat and list (peek), the first HDR_PEEK bytes
 * where they hold all of the control block (see hdr_peek()), and the rest
 * only where they do not. */
static int load_header(int fd, struct stat *sb, struct hdr *h, bool peek,
		       char **descr)
{
	unsigned char first[HDR_MIN];
	int ret;

	if (fstat(fd, sb) < 0)
		return neg_errno();
	if (!S_ISREG(sb->st_mode) || sb->st_size < HDR_MIN)
		return -EBADMSG;
	_Static_assert(HDR_PEEK <= HDR_MIN, "a peek reads part of a block");
	if (!peek) {
		ret = read_header(fd, sb->st_size, first, 0, h, descr);
	} else {
		/* A description (format 4) is checked whole, on the whole
		 * header: a peek says only that the header is well formed. */
		ret = read_exact(fd, first, HDR_PEEK, 0);
		if (!ret && (hdr_peek(first, HDR_PEEK, h) != 0 || h->descr))
			ret = read_header(fd, sb->st_size, first, HDR_PEEK, h,
					  NULL);
	}
	if (ret)
		return ret;
	/* The object must be exactly header plus data. */
	if ((uint64_t)sb->st_size != hdr_object_size(h))
		return -EBADMSG;
	if ((uint64_t)sb->st_size > SIZE_MAX)
		return -EOVERFLOW;
	/* Pairs with the release store of the sealed state in shmseg_seal():
	 * the data read through the mapping is at least as new as the state
	 * word read above. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return 0;
}

static void fill_stat(const struct hdr *h, uint64_t size, uid_t uid,
		      gid_t gid, mode_t mode, enum shmseg_state state,
		      struct shmseg_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->layout = h->layout;
	st->nbytes = h->nbytes;
	st->size = size;
	st->state = state;
	memcpy(st->uuid, h->uuid, sizeof(st->uuid));
	st->created = h->created;
	st->creator_pid = (h->pid >> (8 * sizeof(pid_t) - 1)) ?
			  0 /* unknown: pid_t cannot hold it */ : (pid_t)h->pid;
	st->uid = uid;
	st->gid = gid;
	st->mode = mode & 07777;
}

/* seg_stat_fd(), and with descr the descr too (malloc'd, or NULL for a
 * plain dtype), for which the whole header is read. */
static int stat_fd(int fd, struct shmseg_stat *st, char **descr)
{
	struct stat sb;
	struct hdr h;
	int ret;

	ret = load_header(fd, &sb, &h, !descr, descr);
	if (ret)
		return ret;
	/* h is whole when load_header() returns 0; the analyzer of make lint
	 * takes its -errno for a possible 0 where stat_path() calls us.
	 * NOLINTBEGIN(clang-analyzer-core.CallAndMessage,clang-analyzer-core.uninitialized.Branch) */
	fill_stat(&h, (uint64_t)sb.st_size, sb.st_uid, sb.st_gid, sb.st_mode,
		  h.sealed ? SHMSEG_SEALED : os_holder_gone(fd, h.pid) ?
		  SHMSEG_STALE : SHMSEG_BUILDING, st);
	/* NOLINTEND(clang-analyzer-core.CallAndMessage,clang-analyzer-core.uninitialized.Branch) */
	return 0;
}

int seg_stat_fd(int fd, struct shmseg_stat *st)
{
	return stat_fd(fd, st, NULL);
}

/* Large objects are mapped at an address aligned to 1 GiB, in address
 * space of their own. Unmapping walks the page tables a range shares with
 * its neighbours: placed below the libraries, as by default, a 1 GiB
 * mapping took 5.6 us to unmap; aligned in free space, 1.8 us. The first
 * large mapping reserves room at an address of the kernel's choosing and
 * aligns itself in it; later ones ask for that address again, which the
 * kernel grants while it is free, at no extra cost. While a mapping holds
 * it, the next reserves afresh (two system calls more) and leaves its own
 * address as the one to ask for. */
#define ALIGN_BIG ((uintptr_t)1 << 30)
#define ALIGN_FROM ((size_t)256 << 20)
static uintptr_t big_hint;

static void *map_aligned(size_t len, int prot, int mflags, int fd)
{
	uintptr_t hint = __atomic_load_n(&big_hint, __ATOMIC_RELAXED);

#if defined(MAP_ANONYMOUS) && defined(MAP_FIXED)
	if (len >= ALIGN_FROM && len <= SIZE_MAX / 2) {
		size_t span, pages, page;
		uintptr_t a, r;
		void *p;

		if (hint) {
			p = mmap((void *)hint, len, prot, mflags, fd, 0);
			if (p == MAP_FAILED || (uintptr_t)p == hint)
				return p;
			/* Taken, by a mapping still held: reserve afresh,
			 * which gives the next ones a new place to ask for. */
			munmap(p, len);
		}
		page = (size_t)sysconf(_SC_PAGESIZE);
		pages = (len + page - 1) / page * page;
		span = pages + ALIGN_BIG;
		p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
		if (p != MAP_FAILED) {
			r = (uintptr_t)p;
			a = (r + ALIGN_BIG - 1) & ~(ALIGN_BIG - 1);
			/* Over our own reservation: nothing else is there. */
			p = mmap((void *)a, len, prot, mflags | MAP_FIXED, fd,
				 0);
			if (p == MAP_FAILED) {
				munmap((void *)r, span);
				return p;
			}
			if (a > r)
				munmap((void *)r, a - r);
			if (r + span > a + pages)
				munmap((void *)(a + pages),
				       r + span - (a + pages));
			__atomic_store_n(&big_hint, a, __ATOMIC_RELAXED);
			return p;
		}
	}
#endif
	(void)hint;
	return mmap(NULL, len, prot, mflags, fd, 0);
}

static int map(struct shmseg *seg, int flags)
{
	int prot = PROT_READ | (seg->writable ? PROT_WRITE : 0);
	int mflags = MAP_SHARED;
	void *p;

#ifdef MAP_POPULATE
	if (flags & SHMSEG_POPULATE)
		mflags |= MAP_POPULATE;
#endif
	p = map_aligned(seg->size, prot, mflags, seg->fd);
	if (p == MAP_FAILED)
		return neg_errno();
	seg->base = p;
#ifndef MAP_POPULATE
	if (flags & SHMSEG_POPULATE) {
		long page = sysconf(_SC_PAGESIZE);
		size_t off;

		for (off = 0; off < seg->size; off += (size_t)page)
			(void)*(volatile unsigned char *)(seg->base + off);
	}
#endif
	return 0;
}

/* The header fills whole pages, so that the data starts page-aligned;
 * never less than 4096 bytes, the size NumPy tools expect. */
static uint64_t new_header_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	if (page > HDR_MIN && page <= HDR_MAX && page % HDR_MIN == 0)
		return (uint64_t)page;
	return HDR_MIN;
}

/* Write the header through the descriptor, not the mapping: where its
 * pages are not reserved (a sparse segment) and the file system is full,
 * a store through the mapping would raise SIGBUS; a write says -ENOSPC. */
static int write_header(struct shmseg *seg)
{
	size_t len = (size_t)seg->hdr.data_offset;
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	ret = hdr_encode(&seg->hdr, buf, len);
	if (!ret)
		ret = io_write(seg->fd, buf, len, 0);
	free(buf);
	return ret;
}

/* The header of a new segment: its layout completed, its sizes, and the
 * identity of the segment and of its creator. */
static int new_header(struct hdr *h, const struct shmseg_layout *layout,
		      const char *descr, bool fortran)
{
	uint64_t hsize = new_header_size(), need;
	int ret;

	h->layout = *layout;
	ret = layout_complete(&h->layout, fortran, &h->nbytes);
	if (ret)
		return ret;
	h->descr = descr;
	h->descr_len = descr ? strlen(descr) : 0;
	/* A dtype that needs its descr is in C or Fortran order: NumPy
	 * would see other strides as bytes, and lose it. */
	if (descr && layout_order(&h->layout) == SHMSEG_ORDER_NONE)
		return -EINVAL;
	need = hdr_size_needed(h);
	if (need > HDR_MAX)
		return -ENOTSUP;
	hsize = need > hsize ? (need + hsize - 1) / hsize * hsize : hsize;
	if (hsize > HDR_MAX)
		return -ENOTSUP;
	h->data_offset = hsize;
	if (h->nbytes > (uint64_t)INT64_MAX - hsize ||
	    h->nbytes > SIZE_MAX - hsize)
		return -EOVERFLOW;
	uuid_generate(h->uuid);
	clock_gettime(CLOCK_REALTIME, &h->created);
	h->pid = (uint64_t)getpid();
	os_self_identity(&h->pid_start, &h->pid_ns);
	return 0;
}

/* Where the platform allows, the object is made without a name and named
 * once its header is complete, so no reader can see it half made and a
 * failed create leaves nothing; elsewhere it is made under its name
 * (*by_name). */
static int create_object(const char *path, mode_t mode, bool anon_only,
			 bool *by_name)
{
	int fd = os_create_anon(mode);

	*by_name = false;
	if (fd != -ENOTSUP || anon_only)
		return fd;
	fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, mode);
	if (fd < 0)
		return neg_errno();
	*by_name = true;
	return fd;
}

/* The memory of a new object of seg->size bytes, mapped or not: reserved,
 * so that no store through the mapping can fault for want of it (SIGBUS),
 * unless flags ask for a sparse object; and in huge pages wherever the
 * file system gives them (shmseg(5)). Where it gives them to any page
 * within the object's size, sizing the object first is all it takes, and
 * then reserving it, or writing it, allocates huge pages. Where it gives
 * them only to pages faulted in through a mapping advised for them
 * (huge=advise), the mapping is made and advised, and the memory is
 * faulted in through it at once, which fails with -ENOSPC rather than a
 * signal; even for a sparse import (SEG_WRITTEN), whose writes would
 * otherwise allocate small pages, and whose first page the header's
 * write would take. */
#define HUGE_MIN ((size_t)1 << 20)
static int reserve(struct shmseg *seg, int flags)
{
	struct os_huge huge = { .how = OS_HUGE_NONE };

	if (ftruncate(seg->fd, (off_t)seg->size) < 0)
		return neg_errno();
	/* Smaller than a huge page of any system Linux runs on (1 MiB on
	 * s390x, 2 MiB on x86-64): spare reading /proc. */
	if (seg->size >= HUGE_MIN)
		os_huge(seg->dev, &huge);
	if (huge.how == OS_HUGE_ADVISE && seg->size >= huge.page) {
		int ret = map(seg, 0);

		if (ret)
			return ret;
		os_advise_huge(seg->base, seg->size);
		if ((flags & SHMSEG_SPARSE) && !(flags & SEG_WRITTEN))
			return 0;
		ret = copy_populate(seg->base, seg->size);
		/* Out of room: what was had stays; reserving the rest says
		 * exactly why (-EDQUOT under a quota, say), or succeeds if
		 * room was made meanwhile. */
		if (ret != -ENOTSUP && ret != -ENOSPC)
			return ret;
	}
	if (flags & SHMSEG_SPARSE)
		return 0;
	return -posix_fallocate(seg->fd, 0, (off_t)seg->size);
}

/* The object of a new segment, marked as held, with its mode, size and
 * header, mapped; what is done stays done on failure, for undo_create(). */
static int build_object(struct shmseg *seg, const char *path, int flags,
			mode_t mode, bool *by_name)
{
	int ret = create_object(path, mode, flags & SHMSEG_REPLACE, by_name);
	struct stat sb;

	if (ret < 0)
		return ret;
	seg->fd = ret;
	if (fstat(seg->fd, &sb) < 0)
		return neg_errno();
	seg->dev = sb.st_dev;
	seg->ino = sb.st_ino;
	/* The sign that its creator lives, for as long as the handle does. */
	ret = os_hold(seg->fd);
	/* The mode is exactly what the caller asked for, umask aside. */
	if (!ret && fchmod(seg->fd, mode) < 0)
		ret = neg_errno();
	if (!ret)
		ret = reserve(seg, flags);
	if (!ret)
		ret = write_header(seg);
	return ret || seg->base ? ret : map(seg, 0);
}


static int replaceable(const char *path);

int seg_create(const char *name, const struct shmseg_layout *layout,
	       const char *descr, int flags, mode_t mode, struct shmseg **segp)
{
	char generic[8];
	char path[NAME_BUF];
	struct shmseg *seg;
	bool by_name = false;
	int ret;

	if (!layout || !segp || (flags & ~(CREATE_FLAGS | SEG_WRITTEN)) ||
	    (mode & ~0777u))
		return -EINVAL;
	ret = new_handle(name, path, &seg);
	if (ret)
		return ret;
	seg->writable = true;
	/* A datetime given by its struct shmseg_dtype alone: generic. */
	if (!descr && (layout->dtype.kind == 'M' || layout->dtype.kind == 'm') &&
	    descr_of_dtype(&layout->dtype, generic, sizeof(generic)) > 0)
		descr = generic;
	seg->descr = descr ? strdup(descr) : NULL;
	if (descr && !seg->descr)
		ret = -ENOMEM;
	else
		ret = new_header(&seg->hdr, layout, seg->descr,
				 flags & SHMSEG_FORTRAN);
	/* Past RLIMIT_FSIZE, sizing the object would raise SIGXFSZ, which
	 * kills by default: refuse before trying. */
	if (!ret) {
		seg->size = (size_t)hdr_object_size(&seg->hdr);
		ret = io_fsize_check(-1, seg->size);
	}
	/* Fail early, before reserving gigabytes, on a name already taken
	 * (naming it checks again, atomically), or for a replace on a name
	 * that may not be replaced (the seal checks again). */
	if (!ret && (flags & SHMSEG_REPLACE))
		ret = replaceable(path);
	else if (!ret && os_exists(path))
		ret = -EEXIST;
	if (!ret)
		ret = build_object(seg, path, flags, mode, &by_name);
	if (!ret && !by_name && (flags & (SHMSEG_HIDDEN | SHMSEG_REPLACE))) {
		/* Nobody can see it before the seal; if this process dies
		 * first, the kernel frees it with the last descriptor. */
		seg->name_at_seal = true;
		seg->replace = flags & SHMSEG_REPLACE;
	} else if (!ret && !by_name) {
		ret = os_publish(seg->fd, path);
	}
	if (ret) {
		if (by_name)
			shm_unlink(path);
		release(seg);
		return ret;
	}
	seg->uid = geteuid();
	seg->gid = getegid();
	seg->mode = mode;
	*segp = seg;
	return 0;
}

EXPORT int shmseg_create(const char *name, const struct shmseg_layout *layout,
			 int flags, mode_t mode, struct shmseg **segp)
{
	if (flags & SEG_WRITTEN)
		return -EINVAL;
	return seg_create(name, layout, NULL, flags, mode, segp);
}

int seg_descr_layout(const char *descr, const struct shmseg_layout *layout,
		     struct shmseg_layout *l, char **canon, char *why,
		     size_t len)
{
	struct descr d;
	int ret;

	*canon = NULL;
	if (!layout)
		return -EINVAL;
	*l = *layout;
	if (!descr)
		return 0;
	ret = descr_canonical(descr, canon, &d, why, len);
	if (ret)
		return ret == -EILSEQ ? -EINVAL : ret;
	l->dtype = d.dtype;
	return 0;
}

EXPORT int shmseg_create_descr(const char *name, const char *descr,
			       const struct shmseg_layout *layout, int flags,
			       mode_t mode, struct shmseg **segp)
{
	struct shmseg_layout l;
	char *canon;
	int ret;

	if (flags & SEG_WRITTEN)
		return -EINVAL;
	ret = seg_descr_layout(descr, layout, &l, &canon, NULL, 0);
	if (!ret)
		ret = seg_create(name, &l, canon, flags, mode, segp);
	free(canon);
	return ret;
}

/* The descr of a plain dtype, or the one given, as a C string into buf;
 * its length, or -ERANGE. With buf NULL and len 0, only its length. */
static int put_descr(const struct hdr *h, const char *descr, char *buf,
		     size_t len)
{
	char plain[SHMSEG_DTYPE_STRLEN + 2];
	size_t n;

	if (!descr) {
		if (descr_of_dtype(&h->layout.dtype, plain, sizeof(plain)) < 0)
			return -EINVAL;
		descr = plain;
	}
	n = strlen(descr);
	if (n > INT32_MAX)
		return -EOVERFLOW;
	if (!buf && len == 0)
		return (int)n;
	if (!buf || n >= len)
		return -ERANGE;
	memcpy(buf, descr, n + 1);
	return (int)n;
}

/* A description is held in the header, with the rest of its dict. */
_Static_assert(SHMSEG_DESCR_MAX >= HDR_MAX, "SHMSEG_DESCR_MAX fits any");

const char *seg_descr(const struct shmseg *seg)
{
	return seg ? seg->descr : NULL;
}

EXPORT int shmseg_descr(const struct shmseg *seg, char *buf, size_t len)
{
	if (!seg)
		return -EINVAL;
	return put_descr(&seg->hdr, seg->descr, buf, len);
}

int seg_fill_from_fd(struct shmseg *seg, int fd, uint64_t len,
		     struct copy_result *res)
{
	*res = (struct copy_result){ 0 };
	if (!seg->writable || len > seg->hdr.nbytes)
		return -EINVAL;
	return copy_in(seg->fd, (off_t)seg->hdr.data_offset, fd, len, res);
}

int seg_fill_from_memory(struct shmseg *seg, const void *data, uint64_t len)
{
	if (!seg->writable || len > seg->hdr.nbytes)
		return -EINVAL;
	/* copy_out() writes at the descriptor's offset, which is this
	 * handle's own: no other thread moves it. */
	if (lseek(seg->fd, (off_t)seg->hdr.data_offset, SEEK_SET) < 0)
		return neg_errno();
	return copy_out(data, seg->fd, len);
}

int seg_drain_to_fd(const struct shmseg *seg, int fd)
{
	return copy_out(seg->base + seg->hdr.data_offset, fd,
			seg->hdr.nbytes);
}

/* The name a hidden segment gets at its seal: linked under it unless the
 * name exists; or for a replace, moved over whatever has it, if that may
 * be replaced. The move is one rename(2), so that every lookup of the name
 * finds the old segment or the new; but it needs a name to move from,
 * private, which a crash between the two steps would leave behind. */
static int seal_name(struct shmseg *seg)
{
	char priv[NAME_BUF];
	int ret;

	if (!seg->replace)
		return os_publish(seg->fd, seg->path);
	ret = os_publish_private(seg->fd, priv);
	if (ret)
		return ret;
	/* Checked again: the name may have changed hands since create. A
	 * builder that makes a segment under it in between (not hidden)
	 * loses the name, and its seal says so (-EIDRM). */
	ret = replaceable(seg->path);
	if (!ret)
		ret = os_replace_name(priv, seg->path);
	if (ret)
		shm_unlink(priv);
	return ret;
}

/* Make this handle's view read-only and drop its descriptor, keeping the
 * object's mode as it is now for shmseg_fstat(). */
static int freeze(struct shmseg *seg)
{
	struct stat sb;

	if (mprotect(seg->base, seg->size, PROT_READ) < 0)
		return neg_errno();
	if (fstat(seg->fd, &sb) == 0)
		seg->mode = sb.st_mode & 07777;
	seg->hdr.sealed = true;
	seg->writable = false;
	close(seg->fd);
	seg->fd = -1;
	return 0;
}

EXPORT int shmseg_seal(struct shmseg *seg)
{
	uint32_t building = state_value(HDR_STATE_BUILDING);
	uint32_t sealed = state_value(HDR_STATE_SEALED);
	uint32_t expect;
	struct stat sb;
	int ret, frozen;

	if (!seg)
		return -EINVAL;
	if (!seg->writable)
		return -EALREADY;
	/* Sealed through another handle: this view is done too. */
	expect = __atomic_load_n(state_word(seg), __ATOMIC_ACQUIRE);
	if (expect == sealed) {
		ret = freeze(seg);
		return ret ? ret : -EALREADY;
	}
	if (expect != building)
		return -EBADMSG;
	if (fstat(seg->fd, &sb) < 0)
		return neg_errno();
	/* Its name was removed while it was built: sealed, it would be
	 * published nowhere, and the caller must know. */
	if (!seg->name_at_seal && sb.st_nlink == 0)
		return -EIDRM;
	/* Pages never written (a sparse segment) are reserved now: a read
	 * of a hole of a sealed segment must never fault for want of memory
	 * (SIGBUS), since no reader can know that it is sparse. */
	if ((uint64_t)sb.st_blocks * 512 < seg->size) {
		ret = -posix_fallocate(seg->fd, 0, (off_t)seg->size);
		if (ret)
			return ret;
	}
	/* Permissions first: if the caller may not change them, nothing
	 * changes. Once sealed, the object's mode keeps every writer out. */
	if (fchmod(seg->fd, sb.st_mode & 07777 & ~0222u) < 0)
		return neg_errno();
	/* Release: every write to the data happens before the state reads
	 * sealed, for any process that reads it with acquire ordering. */
	if (!__atomic_compare_exchange_n(state_word(seg), &expect, sealed,
					 false, __ATOMIC_RELEASE,
					 __ATOMIC_ACQUIRE)) {
		if (expect != sealed) {
			/* Overwritten meanwhile: give the mode back. */
			(void)fchmod(seg->fd, sb.st_mode & 07777);
			return -EBADMSG;
		}
		ret = freeze(seg);	/* lost a race with another sealer */
		return ret ? ret : -EALREADY;
	}
	/* Whoever waits for the seal on the word wakes now
	 * (shmseg_attach_wait()); whoever waits for a hidden segment's name
	 * wakes as it appears, sealed, or not at all. */
	os_wake_word(state_word(seg));
	ret = seg->name_at_seal ? seal_name(seg) : 0;
	if (ret == 0)
		seg->name_at_seal = false;
	frozen = freeze(seg);
	return frozen ? frozen : ret;
}

/* Open an existing object. O_NONBLOCK: a FIFO planted under the name must
 * not block the caller; it is refused later as not a segment. A socket
 * cannot be opened at all (ENXIO): not a segment either. A file under
 * another process's lease fails with EWOULDBLOCK, which must not read as
 * -EAGAIN, a segment not sealed yet, that shmseg_attach_wait() waits on. */
static int open_object(const char *path, bool rdwr)
{
	int fd = shm_open(path, (rdwr ? O_RDWR : O_RDONLY) | O_NONBLOCK, 0);

	if (fd >= 0)
		return fd;
	if (errno == ENXIO)
		return -EBADMSG;
	return errno == EWOULDBLOCK ? -EBUSY : neg_errno();
}

/* Why a read-write open was refused: a sealed segment has no write bits
 * left, which is -EPERM to the caller like for root; otherwise the
 * permission bits themselves, -EACCES. */
static int why_not_writable(const char *path)
{
	struct stat sb;
	struct hdr h = { .sealed = false };	/* analyzer: see seg_stat_fd() */
	int fd = open_object(path, false), ret = -EACCES;

	if (fd < 0)
		return -EACCES;
	if (load_header(fd, &sb, &h, false, NULL) == 0 && h.sealed)
		ret = -EPERM;
	close(fd);
	return ret;
}

/* Check what seg->fd is: a segment in the state the handle is for
 * (sealed to read, building to write); and take its size, owner, mode
 * and identity. */
static int check_segment(struct shmseg *seg)
{
	struct stat sb;
	int ret = load_header(seg->fd, &sb, &seg->hdr, false, &seg->descr);

	if (ret)
		return ret;
	if (seg->writable && seg->hdr.sealed)
		return -EPERM;
	if (!seg->writable && !seg->hdr.sealed)
		return -EAGAIN;
	seg->size = (size_t)sb.st_size;
	seg->uid = sb.st_uid;
	seg->gid = sb.st_gid;
	seg->mode = sb.st_mode & 07777;
	seg->dev = sb.st_dev;
	seg->ino = sb.st_ino;
	return 0;
}

/* Open "/name" at path for seg and check what is there. */
static int open_segment(struct shmseg *seg, const char *path)
{
	seg->fd = open_object(path, seg->writable);
	if (seg->fd < 0) {
		int ret = seg->fd == -EACCES && seg->writable ?
			  why_not_writable(path) : seg->fd;

		seg->fd = -1;
		return ret;
	}
	return check_segment(seg);
}

/* Once mapped: a reader needs no descriptor, since the mapping holds the
 * object; a writer keeps it, to mark the segment as held. */
static int finish_attach(struct shmseg *seg)
{
	if (!seg->writable) {
		close(seg->fd);
		seg->fd = -1;
		return 0;
	}
	/* Sealed between the header read and the mapping: a writer must not
	 * get in after the seal. Read through the mapping, pairing with the
	 * seal's release. */
	if (__atomic_load_n(state_word(seg), __ATOMIC_ACQUIRE) !=
	    state_value(HDR_STATE_BUILDING))
		return -EPERM;
	/* A writer may seal: while it holds its handle, the segment is not
	 * stale. */
	return os_hold(seg->fd);
}

EXPORT int shmseg_attach(const char *name, int flags, struct shmseg **segp)
{
	char path[NAME_BUF];
	struct shmseg *seg;
	int ret;

	if (!segp || (flags & ~ATTACH_FLAGS))
		return -EINVAL;
	ret = new_handle(name, path, &seg);
	if (ret)
		return ret;
	seg->writable = flags & SHMSEG_RDWR;
	ret = open_segment(seg, path);
	if (!ret)
		ret = map(seg, flags);
	if (!ret)
		ret = finish_attach(seg);
	if (ret) {
		release(seg);
		return ret;
	}
	*segp = seg;
	return 0;
}

int seg_attach_at_seal(const char *name, int flags, int64_t deadline,
		       struct shmseg **segp)
{
	char path[NAME_BUF];
	struct shmseg *seg;
	struct stat sb;
	size_t mapped;
	int ret = new_handle(name, path, &seg);

	if (ret)
		return ret;
	/* Whatever it holds, mapped whole it holds a header's room: the
	 * word's page exists. */
	seg->fd = open_object(path, false);
	if (seg->fd < 0 || fstat(seg->fd, &sb) < 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size < HDR_MIN || (uint64_t)sb.st_size > SIZE_MAX)
		goto again;	/* gone, or worse: the attach by name says */
	mapped = seg->size = (size_t)sb.st_size;
	/* Populated, if asked, once sealed: not at each look. */
	if (map(seg, 0)) {
		release(seg);
		return -ENOTSUP;	/* no room to map it: poll instead */
	}
	/* The word is never read here, only by the kernel, so that an object
	 * truncated meanwhile is -EFAULT rather than SIGBUS. Sealed since the
	 * attach by name, it does not hold building: no wait. */
	ret = os_wait_word(state_word(seg), state_value(HDR_STATE_BUILDING),
			   deadline);
	if (ret == -EFAULT)
		goto again;	/* truncated: the attach by name says so */
	if (ret) {
		/* -ETIMEDOUT, -EINTR; or no waiting so (no futex here, or
		 * one that refuses): poll, never spin. */
		release(seg);
		return ret == -ETIMEDOUT || ret == -EINTR ? ret : -ENOTSUP;
	}
	/* Woken: checked as any attach, on the object mapped, which the
	 * name held while it was built. */
	ret = check_segment(seg);
	if (!ret && seg->size != mapped)
		ret = -EBADMSG;
	seg->size = mapped;	/* what release() unmaps */
	if (!ret && (flags & SHMSEG_POPULATE)) {
		munmap(seg->base, seg->size);
		seg->base = NULL;
		ret = map(seg, flags);
	}
	if (!ret)
		ret = finish_attach(seg);
	if (!ret) {
		*segp = seg;
		return 1;
	}
again:
	release(seg);
	return 0;
}

EXPORT int shmseg_detach(struct shmseg *seg)
{
	return seg ? release(seg) : 0;
}

EXPORT int shmseg_unlink(const char *name)
{
	char path[NAME_BUF];
	int ret = name_normalize(name, path);

	if (ret)
		return ret;
	return shm_unlink(path) < 0 ? neg_errno() : 0;
}

/* stat of the object "/name" at path. */
static int stat_path(const char *path, struct shmseg_stat *st)
{
	int fd = open_object(path, false), ret;

	if (fd < 0)
		return fd;
	ret = seg_stat_fd(fd, st);
	close(fd);
	return ret;
}

/* Whether what has the name "/name" at path may be replaced by a segment
 * of the caller's: nothing, or a sealed segment the caller owns. -EAGAIN
 * for one not sealed yet (building, or stale), -EPERM for another user's
 * (or one the caller cannot read), -EBADMSG for what is no segment. */
static int replaceable(const char *path)
{
	struct shmseg_stat st;
	int ret = stat_path(path, &st);

	if (ret == -ENOENT)
		return 0;
	if (ret == -EACCES)
		return -EPERM;
	if (ret)
		return ret;
	if (st.uid != geteuid())
		return -EPERM;
	return st.state == SHMSEG_SEALED ? 0 : -EAGAIN;
}

/* 0 if path holds the segment judged: the same segment (uuid), and, if it
 * was judged stale, stale still (a writer may have attached since);
 * -ECANCELED if it holds anything else, a segment or not; otherwise why
 * it could not be looked at. */
static int still_judged(const char *path, const struct shmseg_stat *judged)
{
	struct shmseg_stat now;
	int ret = stat_path(path, &now);

	if (ret == -EBADMSG || ret == -ENOTSUP || ret == -EOVERFLOW)
		return -ECANCELED;	/* something, not the segment */
	if (ret)
		return ret;
	return memcmp(now.uuid, judged->uuid, sizeof(now.uuid)) == 0 &&
	       (judged->state != SHMSEG_STALE || now.state == SHMSEG_STALE) ?
		0 : -ECANCELED;
}

EXPORT int shmseg_unlink_if(const char *name, const struct shmseg_stat *judged)
{
	char path[NAME_BUF], priv[NAME_BUF];
	int ret;

	if (!judged)
		return -EINVAL;
	ret = name_normalize(name, path);
	if (ret)
		return ret;
	/* First a look under the name: what is not the segment judged is
	 * not touched at all. */
	ret = still_judged(path, judged);
	if (ret)
		return ret;
	/* Then the name is taken away from whatever has it now in one step,
	 * checked again under a name nobody else uses, and removed only if
	 * it is still what was judged; otherwise it gets its name back. */
	ret = os_take_name(path, priv);
	if (ret == -ENOTSUP)	/* no way to: the short race of NOTES */
		return shm_unlink(path) < 0 ? neg_errno() : 0;
	if (ret)
		return ret;
	if (still_judged(priv, judged) == 0)
		return shm_unlink(priv) < 0 ? neg_errno() : 0;
	/* Not what was judged: put back. If the name was taken again in
	 * between, this one keeps the private name (see NOTES); either way
	 * nothing was removed. */
	(void)os_give_name(priv, path);
	return -ECANCELED;
}

/* The device and inode of the object "/name" at path, by opening it:
 * where there is no directory to look in. */
static int identity_by_open(const char *path, dev_t *dev, ino_t *ino)
{
	struct stat sb;
	int fd = open_object(path, false), ret = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &sb) < 0) {
		ret = neg_errno();
	} else {
		*dev = sb.st_dev;
		*ino = sb.st_ino;
	}
	close(fd);
	return ret;
}

EXPORT int shmseg_is_current(const struct shmseg *seg)
{
	dev_t dev = 0;
	ino_t ino = 0;
	int ret;

	if (!seg)
		return -EINVAL;
	/* While the handle maps the object, its inode lives, and no other
	 * object can have its number: the same number is the same object. */
	ret = os_name_identity(seg->path, &dev, &ino);
	if (ret == -ENOTSUP)
		ret = identity_by_open(seg->path, &dev, &ino);
	if (ret == -ENOENT || ret == -EBADMSG)	/* gone, or not an object */
		return 0;
	if (ret)
		return ret;
	return dev == seg->dev && ino == seg->ino;
}

EXPORT void *shmseg_data(const struct shmseg *seg)
{
	return seg ? seg->base + seg->hdr.data_offset : NULL;
}

EXPORT const struct shmseg_layout *shmseg_layout(const struct shmseg *seg)
{
	return seg ? &seg->hdr.layout : NULL;
}

EXPORT uint64_t shmseg_nbytes(const struct shmseg *seg)
{
	return seg ? seg->hdr.nbytes : 0;
}

EXPORT int shmseg_stat(const char *name, struct shmseg_stat *st)
{
	char path[NAME_BUF];
	int ret;

	if (!st)
		return -EINVAL;
	ret = name_normalize(name, path);
	return ret ? ret : stat_path(path, st);
}

/* The object called name, opened read-only; its descriptor, or -errno. */
static int open_name(const char *name)
{
	char path[NAME_BUF];
	int ret = name_normalize(name, path);

	return ret ? ret : open_object(path, false);
}

EXPORT int shmseg_stat_descr(const char *name, struct shmseg_stat *st,
			     char *buf, size_t len)
{
	struct shmseg_stat own;
	char *descr = NULL;
	struct hdr h;
	int fd = open_name(name), ret;

	if (fd < 0)
		return fd;
	if (!st)
		st = &own;
	ret = stat_fd(fd, st, &descr);
	close(fd);
	if (!ret) {
		h.layout = st->layout;
		ret = put_descr(&h, descr, buf, len);
	}
	free(descr);
	return ret;
}

/* The pages behind the object fd (see shmseg_pages()). */
static int pages_of(int fd, int flags, struct shmseg_pages *pg)
{
	uint64_t base = (uint64_t)sysconf(_SC_PAGESIZE);
	struct os_huge huge;
	struct stat sb;
	size_t size;
	int64_t n;
	void *p;

	if (fstat(fd, &sb) < 0)
		return neg_errno();
	os_huge(sb.st_dev, &huge);
	*pg = (struct shmseg_pages){
		.page_size = base,
		.huge_page_size = huge.page,
		.basis = SHMSEG_PAGES_UNKNOWN,
	};
	memcpy(pg->policy, huge.policy, sizeof(pg->policy));
	if (!huge.page || !huge.policy[0])
		return 0;
	size = (size_t)sb.st_size;
	pg->basis = SHMSEG_PAGES_POLICY;
	/* Under huge=advise, as the library itself asks for them. */
	if (huge.how != OS_HUGE_NONE && size >= huge.page)
		pg->page_size = huge.page;
	if (!(flags & SHMSEG_PAGES_MEASURE))
		return 0;
	/* A measurement that cannot be made (no room to map it, no /proc)
	 * leaves the policy's answer. */
	p = map_aligned(size, PROT_READ, MAP_SHARED, fd);
	if (p == MAP_FAILED)
		return 0;
	n = os_huge_count(p, size, huge.page);
	munmap(p, size);
	if (n < 0)
		return 0;
	pg->basis = SHMSEG_PAGES_MEASURED;
	pg->huge_bytes = (uint64_t)n;
	pg->page_size = n > 0 && (uint64_t)n >= size / 2 ? huge.page : base;
	return 0;
}

EXPORT int shmseg_pages(const char *name, int flags, struct shmseg_stat *st,
			struct shmseg_pages *pg)
{
	struct shmseg_stat own;
	int fd, ret;

	if (!pg || (flags & ~SHMSEG_PAGES_MEASURE))
		return -EINVAL;
	fd = open_name(name);
	if (fd < 0)
		return fd;
	/* A segment, and one that can be told about. */
	ret = seg_stat_fd(fd, st ? st : &own);
	if (!ret)
		ret = pages_of(fd, flags, pg);
	close(fd);
	return ret;
}

EXPORT int shmseg_fstat(const struct shmseg *seg, struct shmseg_stat *st)
{
	struct stat sb;
	bool sealed;
	mode_t mode;

	if (!seg || !st)
		return -EINVAL;
	/* The state word is the one field that changes after create, and
	 * only while a writable handle exists: a handle that is not writable
	 * was sealed when it was made, or at its own seal. Only a writable
	 * one reads it, then, through the mapping; a reader's first touch of
	 * the mapping would fault its header page in, which made an attach
	 * and fstat cost three times an attach alone. */
	sealed = !seg->writable ||
		 __atomic_load_n(state_word(seg), __ATOMIC_ACQUIRE) ==
		 state_value(HDR_STATE_SEALED);
	/* A writable handle still has its descriptor: the mode as it is now,
	 * whoever sealed. */
	mode = seg->fd >= 0 && fstat(seg->fd, &sb) == 0 ? sb.st_mode : seg->mode;
	/* A handle still writable is held by this very process: never
	 * stale. */
	fill_stat(&seg->hdr, seg->size, seg->uid, seg->gid, mode,
		  sealed ? SHMSEG_SEALED : SHMSEG_BUILDING, st);
	return 0;
}
