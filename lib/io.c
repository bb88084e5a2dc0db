/* SPDX-License-Identifier: MIT */
/* io.c - the one read loop and the one write loop of the library, and
 * the file size limit checked before writing */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os.h"

/* The most one read or write asks for: Linux moves at most about 2 GiB a
 * call, and a smaller request returns to the loop sooner after a signal. */
#define IO_CHUNK ((size_t)1 << 30)

int64_t io_read(int fd, void *buf, size_t len, off_t off)
{
	unsigned char *p = buf;
	size_t got = 0;

	while (got < len) {
		size_t want = len - got < IO_CHUNK ? len - got : IO_CHUNK;
		ssize_t n = off < 0 ? read(fd, p + got, want) :
			pread(fd, p + got, want, off + (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (int64_t)got;
}

int io_write(int fd, const void *buf, size_t len, off_t off)
{
	const unsigned char *p = buf;
	size_t done = 0;

	while (done < len) {
		size_t want = len - done < IO_CHUNK ? len - done : IO_CHUNK;
		ssize_t n = off < 0 ? write(fd, p + done, want) :
			pwrite(fd, p + done, want, off + (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return neg_errno();
		done += (size_t)n;
	}
	return 0;
}

off_t io_file_position(int fd, bool *append)
{
	struct stat sb;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return -1;
	*append = fcntl(fd, F_GETFL) & O_APPEND;
	return *append ? sb.st_size : lseek(fd, 0, SEEK_CUR);
}

int io_fsize_check(int fd, uint64_t len)
{
	struct rlimit rl;
	uint64_t at = 0;

	if (getrlimit(RLIMIT_FSIZE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return 0;
	if (fd >= 0) {
		bool append;
		off_t cur = io_file_position(fd, &append);

		/* The limit binds only regular files. */
		if (cur < 0)
			return 0;
		at = (uint64_t)cur;
	}
	return len > (uint64_t)rl.rlim_cur || at > (uint64_t)rl.rlim_cur - len ?
		-EFBIG : 0;
}
