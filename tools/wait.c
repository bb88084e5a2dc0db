/* SPDX-License-Identifier: MIT */
/* wait.c - shmctl wait: block until a segment exists and is sealed */
#include <getopt.h>

#include "common.h"

static void usage_wait(void)
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

int cmd_wait(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "timeout", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uid_t owner = ANY_OWNER;
	struct shmseg *seg;
	const char *name;
	int opt, ms = -1, err;

	while ((opt = next_option(argc, argv, ":t:u:h", opts)) != -1) {
		switch (opt) {
		case 't':
			if (parse_seconds(optarg, &ms))
				usage_error("bad timeout '%s' (seconds)",
					    optarg);
			break;
		case 'u': owner = parse_owner_or_die(optarg); break;
		case 'h': usage_wait(); return 0;
		}
	}
	name = only_name(argc, argv);
	err = shmseg_attach_wait(name, 0, ms, &seg);
	if (err) {
		warn_err(name, err);
		return 1;
	}
	/* A sealed segment of another owner ends the wait: it is not
	 * building, and a squatter does not give the name back by itself. */
	if (check_held_owner(name, seg, owner))
		return 1;
	shmseg_detach(seg);
	return 0;
}
