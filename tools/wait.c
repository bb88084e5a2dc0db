/* SPDX-License-Identifier: MIT */
/* wait.c - shmctl wait: block until a segment exists and is sealed */
#include <getopt.h>

#include "common.h"

struct config {
	const char *name;
	int ms;			/* --timeout, or -1: never */
	uid_t owner;		/* --owner, or ANY_OWNER */
	bool help;		/* -h: the usage, nothing else */
};

static void usage(void)
{
	printf("usage: shmctl wait NAME [--timeout SECONDS] [--owner USER]\n\n"
	       "Block until segment NAME exists and is sealed. Exit status 0 "
	       "if it is,\n1 if the time ran out or an error occurred.\n\n"
	       "  -t, --timeout SECONDS  give up after this long (default: "
	       "never)\n"
	       "  -u, --owner USER       fail at once if the segment sealed "
	       "under NAME\n"
	       "                         is not USER's\n"
	       "  -h, --help             this help\n");
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->ms = -1;
	cfg->owner = ANY_OWNER;
	while ((c = next_option(argc, argv, ":t:u:h", opts,
				&cfg->help)) != -1) {
		switch (c) {
		case 't':
			if (parse_seconds(optarg, &cfg->ms))
				usage_error("bad timeout '%s' (seconds)",
					    optarg);
			break;
		case 'u':
			cfg->owner = parse_owner_or_die(optarg);
			break;
		}
	}
	if (cfg->help)
		return;
	cfg->name = only_name(argc, argv);
}

int cmd_wait(int argc, char **argv)
{
	struct config cfg = { 0 };
	struct shmseg *seg;
	int err;

	parse_options(argc, argv, &cfg);
	if (cfg.help) {
		usage();
		return 0;
	}
	err = shmseg_attach_wait(cfg.name, 0, cfg.ms, &seg);
	if (err) {
		warn_err(cfg.name, err);
		return 1;
	}
	/* A sealed segment of another owner ends the wait: it is not
	 * building, and a squatter does not give the name back by itself. */
	if (check_held_owner(cfg.name, seg, cfg.owner))
		return 1;
	shmseg_detach(seg);
	return 0;
}
