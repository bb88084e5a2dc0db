/* SPDX-License-Identifier: MIT */
/* create.c - shmctl create: a sealed segment from a .npy or raw file */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
	bool replace;		/* --replace: take the name over at the seal */
	mode_t mode;
	bool help;		/* -h: the usage, nothing else */
};

static void usage(void)
{
	printf("usage: shmctl create NAME --from FILE.npy|- [--mode MODE] "
	       "[--replace]\n"
	       "       shmctl create NAME --dtype DTYPE --shape SHAPE "
	       "[--order C|F] --raw FILE|- [--mode MODE] [--replace]\n\n"
	       "Make segment NAME from a .npy file, or from raw bytes of the "
	       "given dtype\nand shape (like 1000x3), then seal it.\n\n"
	       "  -f, --from FILE   .npy file to load (- for standard input)\n"
	       "  -r, --raw FILE    raw data to load (- for standard input)\n"
	       "  -t, --dtype DTYPE NumPy dtype: <f8, float32, <M8[ns], or a\n"
	       "                    description: \"[('t', '<M8[ns]'), "
	       "('x', '<f8')]\"\n"
	       "  -s, --shape SHAPE dimensions, like 1000x3 (\"\" for a "
	       "scalar)\n"
	       "  -o, --order C|F   memory order of the raw data (default C)\n"
	       "  -m, --mode MODE   octal permission bits (default 0600)\n"
	       "  -R, --replace     take NAME over from the sealed segment of "
	       "yours that\n"
	       "                    has it, in one step, when the new one is "
	       "sealed\n"
	       "  -h, --help        this help\n");
}

/* The two sources and the options that go with each. */
static void check_sources(struct config *cfg)
{
	char why[128];

	if (!cfg->from == !cfg->raw)
		usage_error("give one of --from and --raw");
	if (cfg->from && (cfg->dtype || cfg->shape))
		usage_error("--dtype and --shape go with --raw; a .npy file "
			    "has its own");
	if (cfg->raw && (!cfg->dtype || !cfg->shape))
		usage_error("--raw needs --dtype and --shape");
	if (cfg->from && cfg->order)
		usage_error("--order goes with --raw; a .npy file has its own");
	if (cfg->raw && shmseg_descr_check(cfg->dtype, why, sizeof(why)))
		usage_error("bad dtype '%s': %s", cfg->dtype, why);
	if (cfg->raw && parse_shape(cfg->shape, &cfg->layout))
		usage_error("bad shape '%s' (like 1000x3)", cfg->shape);
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
		{ "replace", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->mode = 0600;
	while ((c = next_option(argc, argv, ":f:r:t:s:o:m:Rh", opts,
				&cfg->help)) != -1) {
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
		case 'R':
			cfg->replace = true;
			break;
		case 'm':
			if (parse_mode(optarg, &cfg->mode))
				usage_error("bad mode '%s' (octal, at most 0777)",
					    optarg);
			break;
		}
	}
	if (cfg->help)
		return;
	cfg->name = only_name(argc, argv);
	check_sources(cfg);
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

int cmd_create(int argc, char **argv)
{
	struct config cfg = { 0 };
	const char *input;
	char why[128];
	int fd, err, flags;

	parse_options(argc, argv, &cfg);
	if (cfg.help) {
		usage();
		return 0;
	}
	input = cfg.from ? cfg.from : cfg.raw;
	fd = open_input(cfg.name, input);
	if (fd < 0)
		return 1;
	/* Straight from the input into a segment that gets its name only
	 * once sealed: a failure, or a kill, leaves nothing. */
	flags = cfg.replace ? SHMSEG_REPLACE : 0;
	if (cfg.raw)
		err = shmseg_raw_import_descr(cfg.name, cfg.dtype, &cfg.layout,
					      flags | (cfg.fortran ?
						       SHMSEG_FORTRAN : 0),
					      fd, cfg.mode, NULL, why,
					      sizeof(why));
	else
		err = shmseg_npy_import_flags(cfg.name, fd, flags, cfg.mode,
					      NULL, why, sizeof(why));
	/* The library says whose fault it was: the input's, with a message,
	 * or the segment's. */
	if (err && why[0])
		warn_obj(cfg.name, "%s: %s", input, why);
	else if (err)
		warn_err(cfg.name, err);
	if (fd != 0)
		close(fd);
	return err ? 1 : 0;
}
