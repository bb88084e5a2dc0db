/* SPDX-License-Identifier: MIT */
/* os_linux.c - what only Linux offers: the /dev/shm directory, nameless
 * objects (O_TMPFILE), OFD locks, process start times and pid namespaces */
#define _GNU_SOURCE	/* O_TMPFILE, AT_EMPTY_PATH */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
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

int os_take_name(const char *name, char priv[NAME_BUF])
{
	static const char digits[] = "0123456789abcdef";
	char from[sizeof(SHM_DIR) + NAME_BUF], to[sizeof(SHM_DIR) + NAME_BUF];
	unsigned char r[16];
	int ret = shm_path(name, from, sizeof(from)), tries;
	size_t i;

	/* A name nobody can guess, so that nobody can plant it first: 128
	 * random bits. Taken already, by chance alone: another. */
	for (tries = 0; ret == 0 && tries < 16; tries++) {
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return errno == ENOSYS ? -ENOTSUP : neg_errno();
		memcpy(priv, "/.shmseg-unlink-", 16);
		for (i = 0; i < sizeof(r); i++) {
			priv[16 + 2 * i] = digits[r[i] >> 4];
			priv[17 + 2 * i] = digits[r[i] & 0xf];
		}
		priv[16 + 2 * sizeof(r)] = '\0';
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

int os_give_name(const char *priv, const char *name)
{
	char from[sizeof(SHM_DIR) + NAME_BUF], to[sizeof(SHM_DIR) + NAME_BUF];
	int ret = shm_path(priv, from, sizeof(from));

	if (!ret)
		ret = shm_path(name, to, sizeof(to));
	if (!ret && renameat2(AT_FDCWD, from, AT_FDCWD, to,
			      RENAME_NOREPLACE) < 0)
		ret = neg_errno();
	return ret;
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
