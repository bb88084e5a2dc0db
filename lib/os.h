/* SPDX-License-Identifier: MIT */
/* os.h - the OS layer: reads and writes (io.c), bulk copies (copy.c), and
 * what differs between platforms (os_linux.c, os_posix.c); it knows
 * nothing of the segment format */
#ifndef SHMSEG_OS_H
#define SHMSEG_OS_H

#include <time.h>

#include "internal.h"

/* ---- io.c ------------------------------------------------------------ */

/* Read len bytes from fd at offset off, or from its current offset if off
 * is -1, retrying after signals and short reads; fewer only at the end of
 * the input, for the caller to say what that means. Returns how many, or
 * -errno. */
int64_t io_read(int fd, void *buf, size_t len, off_t off);
/* Write all len bytes to fd, at offset off or, if off is -1, at its
 * current offset. Returns 0 or -errno. */
int io_write(int fd, const void *buf, size_t len, off_t off);
/* If fd is a regular file, where its next read or write happens: its
 * offset, or with O_APPEND (*append set) its end; otherwise -1. */
off_t io_file_position(int fd, bool *append);
/* 0 if len more bytes fit under RLIMIT_FSIZE at fd's offset (fd -1: at
 * offset 0 of a new object), else -EFBIG: writing or sizing past the
 * limit would raise SIGXFSZ, which kills by default. Descriptors that are
 * not regular files are not limited. */
int io_fsize_check(int fd, uint64_t len);

/* ---- copy.c ---------------------------------------------------------- */

/* How a copy_in() that failed went: whether reading fd failed (an error,
 * or -ENODATA at its early end) rather than writing obj; and on -ENODATA,
 * how many bytes fd held, from where the copy started. */
struct copy_result {
	uint64_t ended_at;
	bool input_failed;
};
/* Copy len bytes from fd, from its current offset, into the file obj at
 * offset at, through obj's descriptor rather than a mapping; -ENODATA at
 * an early end of input. On success fd's offset ends just past them. */
int copy_in(int obj, off_t at, int fd, uint64_t len, struct copy_result *res);
/* Write len bytes of memory at data (a mapping or not) to fd, from its
 * current offset. */
int copy_out(const unsigned char *data, int fd, uint64_t len);
/* os_populate() of [p, p+len), in two halves at once where it is large. */
int copy_populate(void *p, size_t len);

/* ---- os_*.c ---------------------------------------------------------- */

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
/* Give the nameless object fd a private name no one can guess, written
 * to priv: a step towards os_replace_name(). */
int os_publish_private(int fd, char priv[NAME_BUF]);
/* Move the object at priv to "/name", in one step replacing whatever had
 * that name. -EPERM where the directory forbids it (sticky: another
 * user's object). */
int os_replace_name(const char *priv, const char *name);
/* Give the object at priv back the name "/name", unless it exists. */
int os_give_name(const char *priv, const char *name);
/* Whether "/name" exists (a hint only). */
bool os_exists(const char *name);
/* The device and inode of what "/name" is, without following a link;
 * -ENOTSUP where there is no directory of the objects to look in. */
int os_name_identity(const char *name, dev_t *dev, ino_t *ino);
/* Enumerate: call each(fd, name, arg) for every regular entry, opened
 * read-only without following links. */
typedef int os_each_fn(int fd, const char *name, void *arg);
int os_list(os_each_fn *each, void *arg);

/* ---- waiting (os_*.c) -------------------------------------------------- */

/* Nanoseconds on CLOCK_MONOTONIC, the clock of every deadline below. */
static inline int64_t os_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
/* A watch on the directory of the objects, for names that appear in it
 * (made there, linked there, or renamed there). */
struct os_watch;
/* Start one, in *w. -ENOTSUP where the platform cannot; any other error
 * (no inotify instance left: -EMFILE) says it cannot now. */
int os_watch_open(struct os_watch **w);
/* Wait on it until a name appears that may be "/name" (or the kernel
 * dropped events), or until deadline. 1: look again; 0: deadline reached;
 * -EINTR: a signal handler ran; any other error: the watch is no use any
 * more (-EIDRM: the directory went away). Names that keep appearing
 * elsewhere are read in batches, up to 10 ms apart. */
int os_watch_wait(struct os_watch *w, const char *name, int64_t deadline);
/* Stop watching for a while, at no cost, keeping w; and start again: 1
 * where it was stopped, after which the caller looks again (what appeared
 * meanwhile was not seen), 0 where it was not, or -errno. */
void os_watch_pause(struct os_watch *w);
int os_watch_resume(struct os_watch *w);
/* End it. Closing its descriptor waits until the kernel has retired the
 * watch (0.1 ms, at times 15 ms): with now, it is closed before this
 * returns; otherwise by a thread started with the watch, where one could
 * be, within that while after it returns. */
void os_watch_close(struct os_watch *w, bool now);
/* Wait while the 32-bit word at word, in a shared mapping, holds val,
 * until os_wake_word() on it (from any process mapping the same object)
 * or deadline. 0: woken, or it holds something else (look again);
 * -ETIMEDOUT; -EINTR: a signal handler ran; -EFAULT: its page is gone (the
 * object was truncated; the word is never read from user space, so this
 * is an error, not SIGBUS); -ENOTSUP where the platform cannot. */
int os_wait_word(const uint32_t *word, uint32_t val, int64_t deadline);
/* Wake every process and thread waiting in os_wait_word() on the word. */
void os_wake_word(uint32_t *word);

/* How the file system of device dev gives huge pages to its objects, by
 * its mount's huge= option unless the system's shmem_enabled overrides
 * it (deny, force). */
enum os_huge_how {
	OS_HUGE_NONE,		/* no huge pages (or it cannot be told) */
	OS_HUGE_ADVISE,		/* to pages faulted in through a mapping
				 * advised MADV_HUGEPAGE, and no others */
	OS_HUGE_ALWAYS,		/* to any page within the object's size */
};
struct os_huge {
	enum os_huge_how how;
	size_t page;		/* bytes of a huge page; 0: none here */
	char policy[32];	/* the setting read: "huge=advise", ...; "" */
};
void os_huge(dev_t dev, struct os_huge *h);
/* Advise the mapping [p, p+len) for huge pages (a hint only). */
void os_advise_huge(void *p, size_t len);
/* Allocate the memory behind the writable shared mapping [p, p+len) by
 * faulting it in: -ENOSPC where the file system is full, never SIGBUS;
 * -ENOTSUP where the system cannot (the caller reserves it otherwise). */
int os_populate(void *p, size_t len);
/* Bytes of the mapping [p, p+len) that huge pages of page bytes back now,
 * counted without allocating anything (holes are left alone); -ENOTSUP
 * where it cannot be told (no /proc; huge pages turned off for this
 * process). */
int64_t os_huge_count(void *p, size_t len, size_t page);

#endif
