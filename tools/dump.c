/* SPDX-License-Identifier: MIT */
/* dump.c - shmctl dump: a segment out as a .npy file; shmctl wait */
#define _XOPEN_SOURCE 700	/* realpath */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void usage_dump(void)
{
	printf("usage: shmctl dump NAME [-o FILE.npy|-]\n\n"
	       "Write the array of sealed segment NAME as a .npy file, to "
	       "standard output\nby default.\n\n"
	       "  -o, --output FILE  the file to write (- for standard "
	       "output)\n"
	       "  -h, --help         this help\n");
}

static int write_in_place(const struct shmseg *seg, const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = shmseg_npy_export(seg, fd);
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* Write the segment to path. A regular file is written under a temporary
 * name beside it and renamed over path only when complete: a failure
 * leaves nothing half-written, and never removes what was there. */
static int write_out(const struct shmseg *seg, const char *path)
{
	char tmp[PATH_MAX + 8], real[PATH_MAX];
	struct stat sb;
	mode_t mask;
	int fd, err, n;

	if (strcmp(path, "-") == 0)
		return shmseg_npy_export(seg, 1);
	/* Through a link, to what it names: the link stays a link. */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		if (!realpath(path, real) || stat(real, &sb) < 0 ||
		    !S_ISREG(sb.st_mode))
			return write_in_place(seg, path);
		path = real;
	} else if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		return write_in_place(seg, path);	/* a device, a pipe */
	}
	n = snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	mask = umask(0);
	umask(mask);
	err = fchmod(fd, 0666 & ~mask) < 0 ? -errno : 0;
	if (!err)
		err = shmseg_npy_export(seg, fd);
	if (close(fd) < 0 && !err)
		err = -errno;
	if (!err && rename(tmp, path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "-", *name;
	struct shmseg *seg;
	int opt, err;

	while ((opt = next_option(argc, argv, ":o:h", opts)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'h': usage_dump(); return 0;
		}
	}
	name = only_name(argc, argv);
	err = shmseg_attach(name, 0, &seg);
	if (err) {
		warn_err(name, err);
		return 1;
	}
	err = write_out(seg, out);
	if (err == -EOVERFLOW)
		warn_obj(name, "its elements overlap: written out, the array "
			 "would pass the export bound (see shmseg_npy_export(3))");
	else if (err)
		warn_obj(name, "%s: %s", out, strerror(-err));
	shmseg_detach(seg);
	return err ? 1 : 0;
}

static void usage_wait(void)
{
	printf("usage: shmctl wait NAME [--timeout SECONDS]\n\n"
	       "Block until segment NAME exists and is sealed. Exit status 0 "
	       "if it is,\n1 if the time ran out or an error occurred.\n\n"
	       "  -t, --timeout SECONDS  give up after this long (default: "
	       "never)\n"
	       "  -h, --help             this help\n");
}

int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct shmseg *seg;
	const char *name;
	int opt, ms = -1, err;

	while ((opt = next_option(argc, argv, ":t:h", opts)) != -1) {
		switch (opt) {
		case 't':
			if (parse_seconds(optarg, &ms))
				usage_error("bad timeout '%s' (seconds)",
					    optarg);
			break;
		case 'h': usage_wait(); return 0;
		}
	}
	name = only_name(argc, argv);
	err = shmseg_attach_wait(name, 0, ms, &seg);
	if (err) {
		warn_err(name, err);
		return 1;
	}
	shmseg_detach(seg);
	return 0;
}
