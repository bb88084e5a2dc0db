/* SPDX-License-Identifier: MIT */
/* os_linux.c - what only Linux offers: the /dev/shm directory, nameless
 * objects (O_TMPFILE), OFD locks, process start times and pid namespaces,
 * inotify and futexes, and tmpfs's huge pages */
#define _GNU_SOURCE	/* O_TMPFILE, AT_EMPTY_PATH */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "os.h"

#define SHM_DIR "/dev/shm"

/* Path of "/name" inside SHM_DIR. */
static int shm_path(const char *name, char *buf, size_t len)
{
	int n = snprintf(buf, len, SHM_DIR "%s", name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Field 22 of /proc/PID/stat, the start time in clock ticks after boot,
 * and the one-letter state; false when the file cannot be read. */
static bool proc_start(const char *pid, uint64_t *start, char *state)
{
	char path[64], buf[1024], *p, *end;
	unsigned long long v;
	ssize_t n;
	int fd, i;

	n = snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last
	 * ')', after which the fields are plain numbers. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return false;
	*state = p[2];
	p += 2;
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	/* strtoull, unlike sscanf, tells an out-of-range number. */
	errno = 0;
	v = strtoull(p, &end, 10);
	if (end == p || errno)
		return false;
	*start = v;
	return true;
}

static uint64_t pid_ns(void)
{
	struct stat sb;

	return stat("/proc/self/ns/pid", &sb) == 0 ? (uint64_t)sb.st_ino : 0;
}

void os_self_identity(uint64_t *pid_start, uint64_t *ns)
{
	char state;

	if (!proc_start("self", pid_start, &state))
		*pid_start = 0;
	*ns = pid_ns();
}

/* The sign that a builder lives: a write lock on one byte of its own far
 * past the end of the object, held by the open file description of its
 * handle (an OFD lock), so that it is inherited across fork, dropped when
 * the last descriptor of it is closed or its last holder dies, and seen
 * alike from every pid namespace. A write lock needs a descriptor open
 * for writing: a reader cannot fake one. Each holder (the creator, each
 * writer that attached) takes a byte of its own at random, since write
 * locks of different descriptions on one byte would conflict. */
#define ALIVE_FROM ((off_t)1 << 62)

int os_hold(int fd)
{
	uint64_t r;
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
				    .l_len = 1 };

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return neg_errno();
		fl.l_start = ALIVE_FROM + (off_t)(r >> 3);
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
			return 0;
		if (errno != EAGAIN && errno != EACCES)
			return neg_errno();
		/* Another holder's byte, by chance: another. */
	}
	return -ENOLCK;
}

bool os_holder_gone(int fd, uint64_t pid)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = ALIVE_FROM, .l_len = 0 };

	(void)pid;
	/* Asking takes nothing: it only says whether a read lock of the
	 * whole range would meet a holder's write lock. */
	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return false;	/* cannot tell: assume it lives */
	return fl.l_type == F_UNLCK;
}

int os_create_anon(mode_t mode)
{
	int fd;

	(void)mode;
	/* Made 0600 and set to the caller's mode by the caller; O_RDWR is
	 * what matters here. */
	fd = open(SHM_DIR, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL ||
	    errno == ENOENT)
		return -ENOTSUP;
	return neg_errno();
}

int os_publish(int fd, const char *name)
{
	char from[64], to[sizeof(SHM_DIR) + NAME_BUF];
	int ret = shm_path(name, to, sizeof(to));

	if (ret)
		return ret;
	ret = snprintf(from, sizeof(from), "/proc/self/fd/%d", fd);
	if (ret < 0 || (size_t)ret >= sizeof(from))
		return -ENAMETOOLONG;
	if (linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	/* Without /proc, a privileged process can still link by fd. */
	if (errno == ENOENT &&
	    linkat(fd, "", AT_FDCWD, to, AT_EMPTY_PATH) == 0)
		return 0;
	return neg_errno();
}

/* A name nobody can guess, so that nobody can plant it first: "/.shmseg-"
 * what, then 128 random bits, into priv. */
static int private_name(const char *what, char priv[NAME_BUF])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char r[16];
	int len = snprintf(priv, NAME_BUF, "/.shmseg-%s-", what);
	size_t i, n = len < 0 ? NAME_BUF : (size_t)len;

	if (n + 2 * sizeof(r) >= NAME_BUF)
		return -ENAMETOOLONG;
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return errno == ENOSYS ? -ENOTSUP : neg_errno();
	for (i = 0; i < sizeof(r); i++) {
		priv[n + 2 * i] = digits[r[i] >> 4];
		priv[n + 2 * i + 1] = digits[r[i] & 0xf];
	}
	priv[n + 2 * sizeof(r)] = '\0';
	return 0;
}

int os_take_name(const char *name, char priv[NAME_BUF])
{
	char from[sizeof(SHM_DIR) + NAME_BUF], to[sizeof(SHM_DIR) + NAME_BUF];
	int ret = shm_path(name, from, sizeof(from)), tries;

	/* Taken already, by chance alone: another. */
	for (tries = 0; ret == 0 && tries < 16; tries++) {
		ret = private_name("unlink", priv);
		if (!ret)
			ret = shm_path(priv, to, sizeof(to));
		if (ret)
			return ret;
		if (renameat2(AT_FDCWD, from, AT_FDCWD, to,
			      RENAME_NOREPLACE) == 0)
			return 0;
		/* As shm_unlink() reports a sticky directory's refusal. */
		ret = errno == EPERM ? -EACCES : neg_errno();
		if (ret == -EEXIST)
			ret = 0;
	}
	if (ret == -EINVAL || ret == -ENOSYS)
		return -ENOTSUP;	/* no renameat2 here */
	/* Sixteen random names all taken cannot happen by chance. */
	return ret ? ret : -EIO;
}

int os_publish_private(int fd, char priv[NAME_BUF])
{
	int ret = -EEXIST, tries;

	for (tries = 0; ret == -EEXIST && tries < 16; tries++) {
		ret = private_name("replace", priv);
		if (!ret)
			ret = os_publish(fd, priv);
	}
	return ret;
}

/* Move the object at priv to "/name", with renameat2()'s flags. */
static int move_name(const char *priv, const char *name, unsigned flags)
{
	char from[sizeof(SHM_DIR) + NAME_BUF], to[sizeof(SHM_DIR) + NAME_BUF];
	int ret = shm_path(priv, from, sizeof(from));

	if (!ret)
		ret = shm_path(name, to, sizeof(to));
	if (!ret && renameat2(AT_FDCWD, from, AT_FDCWD, to, flags) < 0)
		ret = neg_errno();
	return ret;
}

int os_replace_name(const char *priv, const char *name)
{
	/* A rename replaces what has the name in one step: every lookup of
	 * the name finds the old object or the new. */
	return move_name(priv, name, 0);
}

int os_give_name(const char *priv, const char *name)
{
	return move_name(priv, name, RENAME_NOREPLACE);
}

bool os_exists(const char *name)
{
	dev_t dev;
	ino_t ino;

	return os_name_identity(name, &dev, &ino) == 0;
}

int os_name_identity(const char *name, dev_t *dev, ino_t *ino)
{
	char path[sizeof(SHM_DIR) + NAME_BUF];
	struct stat sb;
	int ret = shm_path(name, path, sizeof(path));

	if (ret)
		return ret;
	if (fstatat(AT_FDCWD, path, &sb, AT_SYMLINK_NOFOLLOW) < 0)
		return neg_errno();
	*dev = sb.st_dev;
	*ino = sb.st_ino;
	return 0;
}

int os_list(os_each_fn *each, void *arg)
{
	DIR *dir;
	int dfd, fd, ret = 0;

	dir = opendir(SHM_DIR);
	if (!dir)
		return errno == ENOENT ? -ENOTSUP : neg_errno();
	dfd = dirfd(dir);
	while (ret == 0) {
		struct dirent *de;

		errno = 0;
		/* readdir_r is deprecated; readdir is safe on a stream that
		 * this thread alone uses. */
		/* cppcheck-suppress readdirCalled */
		de = readdir(dir);
		if (!de) {
			ret = errno ? neg_errno() : 0;
			break;
		}
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN)
			continue;
		/* Never follow a link planted in the directory; skip what
		 * vanished or what we may not read. */
		fd = openat(dfd, de->d_name,
			    O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOMEM)
				ret = neg_errno();
			continue;
		}
		ret = each(fd, de->d_name, arg);
		close(fd);
	}
	closedir(dir);
	return ret;
}

/* ---- waiting --------------------------------------------------------- */

/* The names that appear in the directory: an object made under its name
 * (shm_open), a nameless one linked (a create, a hidden segment's seal),
 * and one renamed over it (a replace). */
#define WATCHED (IN_CREATE | IN_MOVED_TO | IN_ONLYDIR)

/*
 * Closing an inotify descriptor waits until the kernel has retired its
 * watch (an SRCU grace period): measured here 0.1 ms typically and up to
 * 15-24 ms, which would come between a name's appearing and the waiter's
 * return, or after a timeout. So each watch comes with a thread of the
 * library's own, which sleeps until the waiter is done with it and then
 * closes it while the waiter goes on. The thread takes none of the
 * caller's signals; the two share the struct, freed by whichever lets go
 * of it last. Removing the watch alone (inotify_rm_watch) does not wait:
 * the kernel retires it later, by itself.
 */
enum { WATCH_USED, WATCH_CLOSE, WATCH_CLOSED };

struct os_watch {
	int fd;
	int wd;			/* the watch of SHM_DIR, or -1: paused */
	int64_t quiet;		/* ns to let pass after a wake for nothing */
	int64_t missed;		/* when the last such wake was */
	uint32_t done;		/* a futex: WATCH_USED until the waiter ends */
	uint32_t refs;		/* 2 while the thread runs, else 1 */
};

#define QUIET_FIRST 100000LL	/* ns */
#define QUIET_MAX 10000000LL	/* and how recent a wake for nothing counts */

static void watch_put(struct os_watch *w)
{
	if (__atomic_sub_fetch(&w->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(w);
}

static void *watch_retire(void *arg)
{
	struct os_watch *w = arg;
	uint32_t done;

	while ((done = __atomic_load_n(&w->done, __ATOMIC_ACQUIRE)) ==
	       WATCH_USED)
		(void)syscall(SYS_futex, &w->done, FUTEX_WAIT_PRIVATE,
			      WATCH_USED, NULL, NULL, 0);
	if (done == WATCH_CLOSE)
		close(w->fd);
	watch_put(w);
	return NULL;
}

/* Start the thread that closes w's descriptor; false if there is none to
 * be had. Its signal mask is full from its start. With glibc 2.32 or later
 * the caller's is never changed, so that no signal to it is held back
 * meanwhile; elsewhere it is, around the start. */
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 32)
#define MASK_BY_ATTR 1
#endif

static bool watch_thread(struct os_watch *w)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all;
	bool ok;

	if (pthread_attr_init(&attr) != 0)
		return false;
	sigfillset(&all);
	ok = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) == 0 &&
	     pthread_attr_setstacksize(&attr, (size_t)PTHREAD_STACK_MIN +
				       16384) == 0;
#ifdef MASK_BY_ATTR
	ok = ok && pthread_attr_setsigmask_np(&attr, &all) == 0 &&
	     pthread_create(&t, &attr, watch_retire, w) == 0;
#else
	if (ok) {
		sigset_t old;

		pthread_sigmask(SIG_SETMASK, &all, &old);
		ok = pthread_create(&t, &attr, watch_retire, w) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
#endif
	pthread_attr_destroy(&attr);
	return ok;
}

int os_watch_open(struct os_watch **wp)
{
	struct os_watch *w = malloc(sizeof(*w));
	int ret;

	if (!w)
		return -ENOMEM;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		ret = errno == ENOSYS ? -ENOTSUP : neg_errno();
		free(w);
		return ret;
	}
	w->wd = inotify_add_watch(w->fd, SHM_DIR, WATCHED);
	if (w->wd < 0) {
		ret = neg_errno();
		close(w->fd);
		free(w);
		return ret;
	}
	w->quiet = QUIET_FIRST;
	w->missed = 0;
	w->done = WATCH_USED;
	/* Without a thread, the waiter closes it. */
	w->refs = watch_thread(w) ? 2 : 1;
	*wp = w;
	return 0;
}

void os_watch_pause(struct os_watch *w)
{
	if (w->wd >= 0)
		(void)inotify_rm_watch(w->fd, w->wd);
	w->wd = -1;
}

int os_watch_resume(struct os_watch *w)
{
	if (w->wd >= 0)
		return 0;
	w->wd = inotify_add_watch(w->fd, SHM_DIR, WATCHED);
	return w->wd < 0 ? neg_errno() : 1;
}

void os_watch_close(struct os_watch *w, bool now)
{
	bool thread = __atomic_load_n(&w->refs, __ATOMIC_ACQUIRE) == 2;

	if (now || !thread)
		close(w->fd);
	if (!thread) {
		free(w);
		return;
	}
	__atomic_store_n(&w->done, now ? WATCH_CLOSED : WATCH_CLOSE,
			 __ATOMIC_RELEASE);
	(void)syscall(SYS_futex, &w->done, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
		      0);
	watch_put(w);
}

/* Read every event queued on w: 1 if one may be about the entry called
 * entry, or the kernel dropped some (the queue overflowed); -EIDRM if the
 * watch ended (the directory was removed or unmounted); 0 if none of them
 * matters. Events of a watch removed by os_watch_pause() are passed over. */
static int watch_drain(struct os_watch *w, const char *entry)
{
	union {
		char buf[4096];
		struct inotify_event align;
	} u;
	int ret = 0;

	for (;;) {
		ssize_t n = read(w->fd, u.buf, sizeof(u.buf)), off;

		if (n < 0)
			return errno == EAGAIN ? ret : errno == EINTR ?
			       -EINTR : neg_errno();
		for (off = 0; off < n;) {
			struct inotify_event ev;

			memcpy(&ev, u.buf + off, sizeof(ev));
			off += (ssize_t)(sizeof(ev) + ev.len);
			if (ev.mask & IN_Q_OVERFLOW)
				ret = 1;
			if (ev.wd != w->wd)
				continue;
			if (ev.mask & (IN_IGNORED | IN_UNMOUNT))
				return -EIDRM;
			if (ev.len && strncmp(u.buf + off - ev.len, entry,
					      ev.len) == 0)
				ret = 1;
		}
	}
}

/* Sleep until deadline, or for ns if that comes first: 0, or -EINTR if
 * a signal handler ran meanwhile. */
static int nap(int64_t ns, int64_t deadline)
{
	int64_t until = os_now() + ns;
	struct timespec at;

	if (until > deadline)
		until = deadline;
	at.tv_sec = (time_t)(until / 1000000000);
	at.tv_nsec = (long)(until % 1000000000);
	return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL) ==
	       EINTR ? -EINTR : 0;
}

int os_watch_wait(struct os_watch *w, const char *name, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = w->fd, .events = POLLIN };
		int64_t left = deadline - os_now();
		struct timespec ts;
		int ret;

		if (left <= 0)
			return 0;
		ts.tv_sec = (time_t)(left / 1000000000);
		ts.tv_nsec = (long)(left % 1000000000);
		ret = ppoll(&p, 1, &ts, NULL);
		if (ret < 0)
			return errno == EINTR ? -EINTR : neg_errno();
		if (ret == 0)
			return 0;
		/* "/name": the entry is what follows the slash. */
		ret = watch_drain(w, name + 1);
		if (ret)
			return ret;
		/* Woken for other names only. Where they keep coming (the
		 * last such wake less than 10 ms ago), let them gather a
		 * while before the next read, rather than wake for each: 0.1
		 * ms, doubling up to 10 ms. */
		left = os_now();
		if (left - w->missed > QUIET_MAX)
			w->quiet = QUIET_FIRST;
		else if (w->quiet <= QUIET_MAX / 2)
			w->quiet *= 2;
		w->missed = left;
		if (nap(w->quiet, deadline) == -EINTR)
			return -EINTR;
	}
}

/* The futex calls: on a word of a shared mapping, never FUTEX_PRIVATE,
 * so that the kernel keys them by the object and its offset, alike in
 * every process that maps it, wherever. */
int os_wait_word(const uint32_t *word, uint32_t val, int64_t deadline)
{
	struct timespec at = { .tv_sec = (time_t)(deadline / 1000000000),
			       .tv_nsec = (long)(deadline % 1000000000) };

	/* FUTEX_WAIT_BITSET: the deadline is absolute, on CLOCK_MONOTONIC. */
	if (syscall(SYS_futex, word, FUTEX_WAIT_BITSET, val, &at, NULL,
		    FUTEX_BITSET_MATCH_ANY) == 0 || errno == EAGAIN)
		return 0;
	if (errno == ENOSYS)
		return -ENOTSUP;
	return neg_errno();	/* -ETIMEDOUT, -EINTR, -EFAULT */
}

void os_wake_word(uint32_t *word)
{
	(void)syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* ---- huge pages ------------------------------------------------------ */

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"

/* The first line of a small file of sysfs or procfs, NUL-terminated and
 * without its newline; false if it cannot be read. */
static bool read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* The word in brackets of a sysfs choice ("always [never] deny"), copied
 * to out; false if there is none. */
static bool chosen(const char *line, char *out, size_t len)
{
	const char *a = strchr(line, '['), *b = a ? strchr(a, ']') : NULL;

	if (!b || (size_t)(b - a - 1) >= len)
		return false;
	memcpy(out, a + 1, (size_t)(b - a - 1));
	out[b - a - 1] = '\0';
	return true;
}

/* The huge= option of the tmpfs mount whose device is dev, from
 * /proc/self/mountinfo: "never" where it has none, "" if dev is no tmpfs
 * mount listed there (or the list cannot be read). A line is
 * "ID PARENT MAJ:MIN ROOT POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER",
 * and the huge= option is among the super block's options, the last
 * field: never looked for in SOURCE, which the mounter names at will
 * ("x,huge=always" is a valid source), the kernel escaping only white
 * space and backslashes in it. A line longer than the buffer is skipped
 * whole, not read as several. */
static void mount_huge(dev_t dev, char *out, size_t len)
{
	static const char *const known[] = { "never", "always",
					     "within_size", "advise", NULL };
	char want[48], line[4096];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool rest = false;

	out[0] = '\0';
	if (!f)
		return;
	snprintf(want, sizeof(want), " %u:%u ", major(dev), minor(dev));
	while (fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') != NULL || feof(f);
		char *at, *sep, *super, *opt;
		const char *const *k;
		size_t n;

		if (rest || !whole) {
			rest = !whole;	/* the rest of a long line: skip */
			continue;
		}
		line[strcspn(line, "\n")] = '\0';
		/* MAJ:MIN is the third field: ID and PARENT are numbers. */
		at = strstr(line, want);
		sep = at ? strstr(at, " - ") : NULL;
		if (!sep || strncmp(sep, " - tmpfs ", 9) != 0)
			continue;
		super = strrchr(sep + 9, ' ');
		if (!super)
			continue;
		super++;
		snprintf(out, len, "never");
		for (opt = super; opt; opt = strchr(opt, ',')) {
			opt += *opt == ',';
			if (strncmp(opt, "huge=", 5) != 0)
				continue;
			opt += 5;
			n = strcspn(opt, ",");
			/* Only a value the kernel may print. */
			for (k = known; *k; k++)
				if (strlen(*k) == n && strncmp(opt, *k, n) == 0)
					snprintf(out, len, "%s", *k);
		}
	}
	fclose(f);
}

void os_huge(dev_t dev, struct os_huge *h)
{
	char line[128], word[16], mnt[16], *end;
	unsigned long long page;

	*h = (struct os_huge){ .how = OS_HUGE_NONE };
	/* No such directory: a kernel without transparent huge pages. */
	if (!read_line(THP_DIR "hpage_pmd_size", line, sizeof(line)))
		return;
	errno = 0;
	page = strtoull(line, &end, 10);
	if (end == line || *end || errno || page == 0 || page > SIZE_MAX)
		return;
	h->page = (size_t)page;
	/* No tmpfs, no huge pages; and no telling without /proc. */
	mount_huge(dev, mnt, sizeof(mnt));
	if (!mnt[0])
		return;
	/* deny and force, for emergencies and tests, override every mount;
	 * the other values apply to the kernel's own internal mount only. */
	if (read_line(THP_DIR "shmem_enabled", line, sizeof(line)) &&
	    chosen(line, word, sizeof(word)) &&
	    (strcmp(word, "deny") == 0 || strcmp(word, "force") == 0)) {
		snprintf(h->policy, sizeof(h->policy), "shmem_enabled=%s",
			 word);
		h->how = word[0] == 'f' ? OS_HUGE_ALWAYS : OS_HUGE_NONE;
		return;
	}
	snprintf(h->policy, sizeof(h->policy), "huge=%s", mnt);
	if (strcmp(mnt, "advise") == 0)
		h->how = OS_HUGE_ADVISE;
	else if (strcmp(mnt, "always") == 0 ||
		 strcmp(mnt, "within_size") == 0)
		h->how = OS_HUGE_ALWAYS;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_READ 22	/* Linux 5.14; older headers lack them */
#define MADV_POPULATE_WRITE 23
#endif

void os_advise_huge(void *p, size_t len)
{
	/* Only a hint: where it means nothing, nothing is lost. */
	(void)madvise(p, len, MADV_HUGEPAGE);
}

int os_populate(void *p, size_t len)
{
	if (madvise(p, len, MADV_POPULATE_WRITE) == 0)
		return 0;
	/* A page that cannot be had makes the kernel return EFAULT where a
	 * store would have raised SIGBUS: on a file system, a full one. */
	if (errno == EFAULT)
		return -ENOSPC;
	/* Before Linux 5.14 the advice is unknown: the caller does it the
	 * old way. */
	if (errno == EINVAL)
		return -ENOTSUP;
	/* Out of memory, or a fatal signal; a page of memory found broken
	 * (EHWPOISON) is an I/O error, as for a read. */
	return errno == ENOMEM || errno == EINTR ? neg_errno() : -EIO;
}

/* The kB of "key:" in the block of /proc/self/smaps for the mapping that
 * starts at p, summed over keys; -1 if it is not found. */
static int64_t smaps_kb(const void *p, const char *const *keys)
{
	char want[32], line[256];
	FILE *f = fopen("/proc/self/smaps", "re");
	bool in = false, rest = false;
	int64_t kb = -1;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	while (fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') != NULL || feof(f);
		const char *const *k;

		/* The rest of a line longer than the buffer (a mapping's
		 * line names its file: up to 4 KiB), which could look like a
		 * new block's start: skipped. */
		if (rest) {
			rest = !whole;
			continue;
		}
		rest = !whole;
		if (!in) {
			in = strncmp(line, want, strlen(want)) == 0;
			if (in)
				kb = 0;
			continue;
		}
		/* The next mapping's block starts with its address range,
		 * a first word with '-' in it, where the others have none. */
		if (memchr(line, '-', strcspn(line, " ")))
			break;
		for (k = keys; *k; k++)
			if (strncmp(line, *k, strlen(*k)) == 0)
				kb += strtoll(line + strlen(*k), NULL, 10);
	}
	fclose(f);
	return kb;
}

int64_t os_huge_count(void *p, size_t len, size_t page)
{
	static const char *const keys[] = { "ShmemPmdMapped:",
					    "FilePmdMapped:", NULL };
	size_t small = (size_t)sysconf(_SC_PAGESIZE), off;
	int64_t kb;

	/* A process that turned huge pages off for itself maps even huge
	 * ones page by page: it cannot tell. */
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) > 0)
		return -ENOTSUP;

	/* One page of each huge page's range, mapped in: where a huge page
	 * backs it, the kernel maps all of it at once. A page that does not
	 * exist (a hole, mincore says) is not touched, which would allocate
	 * it. */
	for (off = 0; off + page <= len; off += page) {
		unsigned char in;

		if (mincore((char *)p + off, small, &in) < 0)
			return neg_errno();
		if ((in & 1) &&
		    madvise((char *)p + off, small, MADV_POPULATE_READ) < 0)
			return errno == EINVAL ? -ENOTSUP : neg_errno();
	}
	kb = smaps_kb(p, keys);
	return kb < 0 ? -ENOTSUP : kb * 1024;
}
