/* SPDX-License-Identifier: MIT */
/* rm.c - shmctl rm: remove segments by name, every stale one, or every one
 * older than an age */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

struct config {
	char **names;		/* the NAME operands */
	int nnames;
	bool stale;		/* --stale: every stale segment too */
	bool aged;		/* --older-than: those older, only */
	int64_t older;		/* its seconds */
	uid_t owner;		/* --owner, or ANY_OWNER */
	bool dry_run;
	bool force;
	bool help;		/* -h: the usage, nothing else */
};

static void usage(void)
{
	printf("usage: shmctl rm [-f] NAME...\n"
	       "       shmctl rm --stale [-f] [NAME...]\n"
	       "       shmctl rm --older-than DURATION [--owner USER] "
	       "[--dry-run] [-f] [NAME...]\n\n"
	       "Remove the names of segments; processes that have them "
	       "attached keep\nworking until they detach. Objects that are "
	       "not segments, or that\nthe caller cannot read, are refused.\n\n"
	       "  -s, --stale                also every stale segment "
	       "(building, creator\n"
	       "                             gone)\n"
	       "  -o, --older-than DURATION  only segments created more than "
	       "DURATION ago\n"
	       "                             (90, 90s, 30m, 12h, 7d), in any "
	       "state: all of\n"
	       "                             them, or those among the NAMEs\n"
	       "  -u, --owner USER           with --older-than: only USER's\n"
	       "  -n, --dry-run              with --older-than: print their "
	       "names, remove none\n"
	       "  -f, --force                ignore names that do not exist\n"
	       "  -h, --help                 this help\n");
}

static void parse_options(int argc, char **argv, struct config *cfg)
{
	static const struct option opts[] = {
		{ "stale", no_argument, NULL, 's' },
		{ "older-than", required_argument, NULL, 'o' },
		{ "owner", required_argument, NULL, 'u' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->owner = ANY_OWNER;
	while ((c = next_option(argc, argv, ":so:u:nfh", opts,
				&cfg->help)) != -1) {
		switch (c) {
		case 's':
			cfg->stale = true;
			break;
		case 'o':
			if (parse_duration(optarg, &cfg->older))
				usage_error("bad duration '%s' (as 90, 90s, "
					    "30m, 12h or 7d)", optarg);
			cfg->aged = true;
			break;
		case 'u':
			cfg->owner = parse_owner_or_die(optarg);
			break;
		case 'n':
			cfg->dry_run = true;
			break;
		case 'f':
			cfg->force = true;
			break;
		}
	}
	if (cfg->help)
		return;
	/* Names mean "these too" to --stale and "only among these" to
	 * --older-than; together, neither reading would be the obvious one,
	 * nor would AND or OR of the two choices. */
	if (cfg->stale && cfg->aged)
		usage_error("give one of --stale and --older-than");
	if (cfg->owner != ANY_OWNER && !cfg->aged)
		usage_error("--owner goes with --older-than");
	if (cfg->dry_run && !cfg->aged)
		usage_error("--dry-run goes with --older-than");
	if (optind == argc && !cfg->stale && !cfg->aged)
		usage_error("missing NAME");
	cfg->names = argv + optind;
	cfg->nnames = argc - optind;
}

/* Read NAME's header into st, to judge it before it is removed: 0, 1 after
 * saying why it cannot be, or -1 for a name that does not exist under
 * force, which is nothing to say. */
static int judge(const char *name, bool force, struct shmseg_stat *st)
{
	int err = shmseg_stat(name, st);

	if (err == -ENOENT && force)
		return -1;
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
	return 0;
}

/* Remove one name if it is a segment; 0 or 1 for the exit status. */
static int rm_one(const char *name, bool force)
{
	struct shmseg_stat st;
	int err, ret = judge(name, force, &st);

	if (ret)
		return ret > 0;
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

/* What --stale and --older-than choose. */
struct select {
	bool stale;		/* only stale segments */
	bool aged;		/* only those created before the cutoff */
	int64_t cut_sec;	/* now less --older-than */
	long cut_nsec;
	uid_t owner;		/* only this user's, or ANY_OWNER */
};

/* The cutoff of sel: now, less secs. Where that is before any time a
 * header can hold, the earliest of them, before which nothing was made. */
static void set_cutoff(struct select *sel, int64_t secs)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if ((int64_t)now.tv_sec < INT64_MIN + secs) {
		sel->cut_sec = INT64_MIN;
		sel->cut_nsec = 0;
		return;
	}
	sel->cut_sec = (int64_t)now.tv_sec - secs;
	sel->cut_nsec = now.tv_nsec;
}

static bool selected(const struct shmseg_stat *st, const struct select *sel)
{
	int64_t sec = (int64_t)st->created.tv_sec;

	if (sel->stale && st->state != SHMSEG_STALE)
		return false;
	/* Strictly older: made before the cutoff, to the nanosecond. One
	 * made in the future (the clock set back since) is older than
	 * nothing. */
	if (sel->aged && !(sec < sel->cut_sec || (sec == sel->cut_sec &&
	    st->created.tv_nsec < sel->cut_nsec)))
		return false;
	return sel->owner == ANY_OWNER || st->uid == sel->owner;
}

/* The segments chosen, each with the stat it was chosen by. */
struct picked {
	const struct select *sel;
	struct pick {
		char *name;
		struct shmseg_stat st;
	} *v;
	size_t n, cap;
};

static int add(struct picked *p, const char *name,
	       const struct shmseg_stat *st)
{
	size_t cap = p->cap ? 2 * p->cap : 16;
	struct pick *v;

	/* The room grows only once it is had: the names path goes on after
	 * a failure, into the same p. */
	if (p->n == p->cap) {
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	/* As list shows it, whichever way it was given. */
	p->v[p->n].name = strdup(name + (name[0] == '/'));
	if (!p->v[p->n].name)
		return -ENOMEM;
	p->v[p->n++].st = *st;
	return 0;
}

static int collect(const char *name, const struct shmseg_stat *st,
		   void *arg)
{
	struct picked *p = arg;

	return selected(st, p->sel) ? add(p, name, st) : 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct pick *)a)->name,
		      ((const struct pick *)b)->name);
}

/* What sel chooses: among names if there are any (each judged as rm_one()
 * does), or among every segment the caller can read. 0, or 1 if any could
 * not be judged, or not all could be listed. */
static int pick(const struct select *sel, char **names, int nnames,
		bool force, struct picked *p)
{
	struct shmseg_stat st;
	int ret = 0, err, i;

	p->sel = sel;
	if (nnames == 0) {
		err = shmseg_list(collect, p);
		if (err) {
			warn_err(NULL, err);
			ret = 1;
		}
	}
	for (i = 0; i < nnames; i++) {
		err = judge(names[i], force, &st);
		if (err == 0 && selected(&st, sel) && add(p, names[i], &st)) {
			warn_err(names[i], -ENOMEM);
			err = 1;
		}
		ret |= err > 0;
	}
	if (p->n)	/* none: p->v may be NULL, which qsort may not take */
		qsort(p->v, p->n, sizeof(*p->v), by_name);
	return ret;
}

/* Remove what sel chooses, in name order, or with dry_run print its names;
 * 0 or 1 for the exit status. */
static int rm_selected(const struct select *sel, char **names, int nnames,
		       bool force, bool dry_run)
{
	struct picked p = { 0 };
	int ret = pick(sel, names, nnames, force, &p), err;
	size_t i;

	/* Chosen a moment ago: each is removed only if its name still
	 * holds that segment (still stale, if it was), as
	 * shmseg_unlink_if() checks after taking the name away in one step.
	 * One that went or changed meanwhile is no longer ours to remove. */
	for (i = 0; i < p.n; i++) {
		if (dry_run) {
			put_name(stdout, p.v[i].name);
			putchar('\n');
		} else {
			err = shmseg_unlink_if(p.v[i].name, &p.v[i].st);
			if (err && err != -ENOENT && err != -ECANCELED) {
				warn_err(p.v[i].name, err);
				ret = 1;
			}
		}
		free(p.v[i].name);
	}
	free(p.v);
	return ret;
}

int cmd_rm(int argc, char **argv)
{
	struct config cfg = { 0 };
	struct select sel = { 0 };
	int ret = 0, i;

	parse_options(argc, argv, &cfg);
	if (cfg.help) {
		usage();
		return 0;
	}
	if (cfg.aged) {
		sel.aged = true;
		sel.owner = cfg.owner;
		set_cutoff(&sel, cfg.older);
		return rm_selected(&sel, cfg.names, cfg.nnames, cfg.force,
				   cfg.dry_run);
	}
	/* Keep going across operands; the status says if any failed. */
	for (i = 0; i < cfg.nnames; i++)
		ret |= rm_one(cfg.names[i], cfg.force);
	if (cfg.stale) {
		sel.stale = true;
		sel.owner = ANY_OWNER;
		ret |= rm_selected(&sel, NULL, 0, false, false);
	}
	return ret;
}
