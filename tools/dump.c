/* SPDX-License-Identifier: MIT */
/* dump.c - shmctl dump: a segment out as a .npy file; shmctl wait */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
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

int cmd_dump(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "-", *name;
	struct shmseg *seg;
	int opt, fd, err;

	while ((opt = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'o': out = optarg; break;
		case 'h': usage_dump(); return 0;
		default: usage_error("bad option");
		}
	}
	if (optind != argc - 1)
		usage_error(optind >= argc ? "missing NAME" : "too many arguments");
	name = argv[optind];
	err = shmseg_attach(name, SHMSEG_POPULATE, &seg);
	if (err) {
		warn_err(name, err);
		return 1;
	}
	fd = strcmp(out, "-") == 0 ? 1 :
	     open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		warn_obj(name, "%s: %s", out, strerror(errno));
		shmseg_detach(seg);
		return 1;
	}
	err = shmseg_npy_export(seg, fd);
	if (fd != 1 && close(fd) < 0 && !err)
		err = -errno;
	if (err) {
		warn_obj(name, "%s: %s", out, strerror(-err));
		/* No half-written file is left to be mistaken for a copy. */
		if (fd != 1)
			unlink(out);
	}
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
	int opt, ms = -1, err;

	while ((opt = getopt_long(argc, argv, "t:h", opts, NULL)) != -1) {
		switch (opt) {
		case 't':
			if (parse_seconds(optarg, &ms))
				usage_error("bad timeout '%s' (seconds)",
					    optarg);
			break;
		case 'h': usage_wait(); return 0;
		default: usage_error("bad option");
		}
	}
	if (optind != argc - 1)
		usage_error(optind >= argc ? "missing NAME" : "too many arguments");
	err = shmseg_attach_wait(argv[optind], 0, ms, &seg);
	if (err) {
		warn_err(argv[optind], err);
		return 1;
	}
	shmseg_detach(seg);
	return 0;
}
