/* SPDX-License-Identifier: MIT */
/* create.c - shmctl create: a sealed segment from a .npy or raw file */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

struct config {
	struct shmseg_layout layout;	/* with --raw */
	const char *name;
	const char *from;	/* .npy input */
	const char *raw;	/* raw input */
	const char *dtype;
	const char *shape;
	const char *order;
	bool fortran;
	mode_t mode;
};

static void usage(void)
{
	printf("usage: shmctl create NAME --from FILE.npy|- [--mode MODE]\n"
	       "       shmctl create NAME --dtype DTYPE --shape SHAPE "
	       "[--order C|F] --raw FILE|- [--mode MODE]\n\n"
	       "Make segment NAME from a .npy file, or from raw bytes of the "
	       "given dtype\nand shape (like 1000x3), then seal it.\n\n"
	       "  -f, --from FILE   .npy file to load (- for standard input)\n"
	       "  -r, --raw FILE    raw data to load (- for standard input)\n"
	       "  -t, --dtype DTYPE NumPy dtype: <f8, float32, S10, ...\n"
	       "  -s, --shape SHAPE dimensions, like 1000x3 (\"\" for a "
	       "scalar)\n"
	       "  -o, --order C|F   memory order of the raw data (default C)\n"
	       "  -m, --mode MODE   octal permission bits (default 0600)\n"
	       "  -h, --help        this help\n");
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "raw", required_argument, NULL, 'r' },
		{ "dtype", required_argument, NULL, 't' },
		{ "shape", required_argument, NULL, 's' },
		{ "order", required_argument, NULL, 'o' },
		{ "mode", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->mode = 0600;
	while ((c = next_option(argc, argv, ":f:r:t:s:o:m:h", opts)) != -1) {
		switch (c) {
		case 'f':
			cfg->from = optarg;
			break;
		case 'r':
			cfg->raw = optarg;
			break;
		case 't':
			cfg->dtype = optarg;
			break;
		case 's':
			cfg->shape = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "C") != 0 &&
			    strcmp(optarg, "F") != 0)
				usage_error("order must be C or F, not '%s'",
					    optarg);
			cfg->order = optarg;
			cfg->fortran = optarg[0] == 'F';
			break;
		case 'm':
			if (parse_mode(optarg, &cfg->mode))
				usage_error("bad mode '%s' (octal, at most 0777)",
					    optarg);
			break;
		case 'h':
			usage();
			exit(0);
		}
	}
	cfg->name = only_name(argc, argv);
	if (!cfg->from == !cfg->raw)
		usage_error("give one of --from and --raw");
	if (cfg->from && (cfg->dtype || cfg->shape))
		usage_error("--dtype and --shape go with --raw; a .npy file "
			    "has its own");
	if (cfg->raw && (!cfg->dtype || !cfg->shape))
		usage_error("--raw needs --dtype and --shape");
	if (cfg->from && cfg->order)
		usage_error("--order goes with --raw; a .npy file has its own");
	if (cfg->raw && shmseg_dtype_parse(cfg->dtype, &cfg->layout.dtype))
		usage_error("bad dtype '%s'", cfg->dtype);
	if (cfg->raw && parse_shape(cfg->shape, &cfg->layout))
		usage_error("bad shape '%s' (like 1000x3)", cfg->shape);
}

static int open_input(const char *name, const char *path)
{
	int fd;

	if (strcmp(path, "-") == 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		warn_obj(name, "%s: %s", path, strerror(errno));
	return fd;
}

/* Read exactly len bytes; returns how many were read before the end, or
 * -1 after a read error. */
static int64_t read_up_to(int fd, unsigned char *p, uint64_t len)
{
	uint64_t got = 0;

	while (got < len) {
		size_t want = len - got > (1u << 30) ? 1u << 30 : len - got;
		ssize_t n = read(fd, p + got, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (uint64_t)n;
	}
	return (int64_t)got;
}

static int create_raw(const struct config *cfg, int fd)
{
	struct shmseg_layout l;
	struct shmseg_stat mine;
	struct shmseg *seg;
	char extra, size[32];
	int64_t got;
	int err;

	l = cfg->layout;
	/* Hidden until sealed: a failure, or a kill, leaves nothing. */
	err = shmseg_create(cfg->name, &l, SHMSEG_HIDDEN |
			    (cfg->fortran ? SHMSEG_FORTRAN : 0), cfg->mode, &seg);
	if (err) {
		warn_err(cfg->name, err);
		return 1;
	}
	fmt_size(shmseg_nbytes(seg), true, size, sizeof(size));
	got = read_up_to(fd, shmseg_data(seg), shmseg_nbytes(seg));
	if (got < 0)
		warn_obj(cfg->name, "%s: %s", cfg->raw, strerror(errno));
	else if ((uint64_t)got < shmseg_nbytes(seg))
		warn_obj(cfg->name, "%s: input is shorter than the array "
			 "(%lld of %s bytes)", cfg->raw, (long long)got, size);
	else if (read_up_to(fd, (unsigned char *)&extra, 1) != 0)
		warn_obj(cfg->name, "%s: input is longer than the array "
			 "(%s bytes)", cfg->raw, size);
	else if ((err = shmseg_seal(seg)) != 0)
		warn_err(cfg->name, err);
	else
		return shmseg_detach(seg) ? 1 : 0;
	/* Nothing is left of a failed create: the name is removed only if
	 * it is still ours (where the platform could not hide it). */
	if (shmseg_fstat(seg, &mine) == 0)
		(void)shmseg_unlink_if(cfg->name, &mine);
	shmseg_detach(seg);
	return 1;
}

/* Whether an error of shmseg_npy_import() is the segment's, to be named
 * alone, rather than the input's, named by its file. The input is only
 * read, and it may be anything (a pipe, a socket, a file on NFS) with any
 * read error; the segment is an object the library makes, sizes, writes,
 * seals and names in the shared-memory file system, which fails in the
 * ways listed here and no other. None of these comes from a read: a
 * read-only or full file system, a size limit or a quota is met only by
 * writing. EINVAL is the name's (the descriptor is one open(2) gave for
 * reading) and EOVERFLOW an array too large to be stored. */
static bool segment_error(int err)
{
	switch (-err) {
	case EEXIST:		/* the name is taken */
	case EINVAL:		/* the name is not valid */
	case ENAMETOOLONG:
	case ELOOP:
	case ENOENT:		/* the seal could not link the name */
	case EIDRM:		/* the name was removed before the seal */
	case EACCES:		/* creating in /dev/shm */
	case EPERM:
	case EROFS:
	case ENOSPC:		/* allocating and writing the segment */
	case EDQUOT:
	case EFBIG:
	case EOVERFLOW:
	case EINTR:
	case EMFILE:
	case ENFILE:
	case ENOMEM:
	case EBADMSG:		/* the seal */
	case EALREADY:
		return true;
	default:
		return false;
	}
}

int cmd_create(int argc, char **argv)
{
	struct config cfg = { 0 };
	int fd, ret;

	parse_options(argc, argv, &cfg);
	fd = open_input(cfg.name, cfg.from ? cfg.from : cfg.raw);
	if (fd < 0)
		return 1;
	if (cfg.raw) {
		ret = create_raw(&cfg, fd);
	} else {
		char why[128];
		int err = shmseg_npy_import_why(cfg.name, fd, cfg.mode, NULL,
						why, sizeof(why));

		if (err && segment_error(err))
			warn_err(cfg.name, err);
		else if (err)
			warn_obj(cfg.name, "%s: %s", cfg.from,
				 why[0] ? why : shmseg_strerror(err));
		ret = err ? 1 : 0;
	}
	if (fd != 0)
		close(fd);
	return ret;
}
