/* SPDX-License-Identifier: MIT */
/* shmctl.c - the command-line manager of shmseg segments: dispatch */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "create", cmd_create, "make a sealed segment from a .npy or raw file" },
	{ "list", cmd_list, "list segments" },
	{ "info", cmd_info, "show everything in a segment's header" },
	{ "rm", cmd_rm, "remove segments" },
	{ "dump", cmd_dump, "write a segment out as a .npy file" },
	{ "wait", cmd_wait, "wait until a segment exists and is sealed" },
	{ NULL, NULL, NULL },
};

static void usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: shmctl COMMAND [OPTION]... [ARG]...\n"
		   "       shmctl --help | --version\n\ncommands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->summary);
	fprintf(f, "\n'shmctl COMMAND --help' describes a command; see also "
		   "shmctl(1).\n");
}

/* Output that could not be written is a failure, as scripts read it:
 * flushed here, where the error can still be told and the status set. */
static int finish(int status)
{
	if (fflush(stdout) != 0) {
		fprintf(stderr, "shmctl: write error: %s\n", strerror(errno));
		return status ? status : 1;
	}
	if (ferror(stdout)) {	/* failed earlier: errno is long gone */
		fprintf(stderr, "shmctl: write error\n");
		return status ? status : 1;
	}
	return status;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return finish(0);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("shmctl (shmseg) %s\n", SHMSEG_VERSION);
		return finish(0);
	}
	for (c = commands; c->name; c++)
		if (strcmp(argv[1], c->name) == 0) {
			cmd_name = c->name;
			return finish(c->fn(argc - 1, argv + 1));
		}
	/* The user's bytes: shown as names are, no control byte raw. */
	fputs("shmctl: unknown command '", stderr);
	put_name(stderr, argv[1]);
	fputs("'\n", stderr);
	usage(stderr);
	return EXIT_USAGE;
}
