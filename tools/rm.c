/* SPDX-License-Identifier: MIT */
/* rm.c - shmctl rm: remove segments by name, or every stale one */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct config {
	char **names;		/* the NAME operands */
	int nnames;
	bool stale;		/* --stale: every stale segment too */
	bool force;
	bool help;		/* -h: the usage, nothing else */
};

static void usage(void)
{
	printf("usage: shmctl rm [-f] NAME...\n"
	       "       shmctl rm --stale [-f] [NAME...]\n\n"
	       "Remove the names of segments; processes that have them "
	       "attached keep\nworking until they detach. Objects that are "
	       "not segments, or that\nthe caller cannot read, are refused.\n\n"
	       "  -s, --stale  also every stale segment (building, creator "
	       "gone)\n"
	       "  -f, --force  ignore names that do not exist\n"
	       "  -h, --help   this help\n");
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = next_option(argc, argv, ":sfh", opts, &cfg->help)) != -1) {
		switch (c) {
		case 's':
			cfg->stale = true;
			break;
		case 'f':
			cfg->force = true;
			break;
		}
	}
	if (cfg->help)
		return;
	if (optind == argc && !cfg->stale)
		usage_error("missing NAME");
	cfg->names = argv + optind;
	cfg->nnames = argc - optind;
}

/* Remove one name if it is a segment; 0 or 1 for the exit status. */
static int rm_one(const char *name, bool force)
{
	struct shmseg_stat st;
	int err = shmseg_stat(name, &st);

	if (err == -ENOENT && force)
		return 0;
	if (err == -EBADMSG || err == -ENOTSUP) {
		warn_obj(name, "not a shmseg segment of this version; "
			 "not removed");
		return 1;
	}
	/* Not even an object we may not read: we could not tell whether
	 * it is a segment. */
	if (err) {
		warn_err(name, err);
		return 1;
	}
	/* Only what was just judged a segment: not whatever took the name
	 * since. */
	err = shmseg_unlink_if(name, &st);
	if (err == -ENOENT && force)
		return 0;
	if (err) {
		warn_err(name, err);
		return 1;
	}
	return 0;
}

struct stale {
	char **names;
	struct shmseg_stat *st;
	size_t n, cap;
};

static int collect_stale(const char *name, const struct shmseg_stat *st,
			 void *arg)
{
	struct stale *s = arg;
	struct shmseg_stat *w;
	char **v;

	if (st->state != SHMSEG_STALE)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		v = realloc(s->names, s->cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->names = v;
		w = realloc(s->st, s->cap * sizeof(*w));
		if (!w)
			return -ENOMEM;
		s->st = w;
	}
	s->st[s->n] = *st;
	s->names[s->n] = strdup(name);
	return s->names[s->n++] ? 0 : -ENOMEM;
}

/* Remove every stale segment; 0 or 1 for the exit status. */
static int rm_stale(void)
{
	struct stale s = { 0 };
	int ret = 0, err = shmseg_list(collect_stale, &s);
	size_t i;

	if (err) {
		warn_err(NULL, err);
		ret = 1;
	}
	/* Stale was decided a moment ago: each is removed only if its name
	 * still holds that segment, still stale. One that went or changed
	 * meanwhile is no longer ours to remove. */
	for (i = 0; i < s.n; i++) {
		err = shmseg_unlink_if(s.names[i], &s.st[i]);
		if (err && err != -ENOENT && err != -ECANCELED) {
			warn_err(s.names[i], err);
			ret = 1;
		}
		free(s.names[i]);
	}
	free(s.names);
	free(s.st);
	return ret;
}

int cmd_rm(int argc, char **argv)
{
	struct config cfg = { 0 };
	int ret = 0, i;

	parse_options(argc, argv, &cfg);
	if (cfg.help) {
		usage();
		return 0;
	}
	/* Keep going across operands; the status says if any failed. */
	for (i = 0; i < cfg.nnames; i++)
		ret |= rm_one(cfg.names[i], cfg.force);
	if (cfg.stale)
		ret |= rm_stale();
	return ret;
}
