/* SPDX-License-Identifier: MIT */
/* show.c - shmctl list and shmctl info: what segments there are */
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

struct row {
	const char *name;
	bool foreign;
	struct shmseg_stat st;
	bool paged;			/* pg was found */
	struct shmseg_pages pg;
	char *dtype;			/* as shown (find_dtype()), or NULL */
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int add_row(const char *name, const struct shmseg_stat *st, void *arg)
{
	struct rows *r = arg;
	struct row *v;

	/* Positive: a callback's own reason to stop, here lack of memory. */
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 64;
		v = realloc(r->v, r->cap * sizeof(*v));
		if (!v)
			return 1;
		r->v = v;
	}
	v = &r->v[r->n];
	v->name = strdup(name);
	if (!v->name)
		return 1;	/* nothing to free: not counted yet */
	v->foreign = !st;
	v->paged = false;	/* until find_pages() */
	v->dtype = NULL;	/* until find_dtype() */
	if (st)
		v->st = *st;
	r->n++;
	return 0;
}

static void free_rows(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free((char *)r->v[i].name);
		free(r->v[i].dtype);
	}
	free(r->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
		      ((const struct row *)b)->name);
}

static const char *basis_name(enum shmseg_pages_basis b)
{
	return b == SHMSEG_PAGES_MEASURED ? "measured" :
	       b == SHMSEG_PAGES_POLICY ? "policy" : "unknown";
}

/* A page size short: "2Mi", "4Ki". */
static void fmt_page(uint64_t bytes, char *buf, size_t len)
{
	if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu64 "Mi", bytes >> 20);
	else
		snprintf(buf, len, "%" PRIu64 "Ki", bytes >> 10);
}

/* The pages of r, as JSON members. */
static void json_pages(const struct row *r)
{
	const struct shmseg_pages *pg = &r->pg;

	printf(", \"page_size\": %" PRIu64 ", \"pages_from\": \"%s\", "
	       "\"huge_bytes\": ", pg->page_size, basis_name(pg->basis));
	if (pg->basis == SHMSEG_PAGES_MEASURED)
		printf("%" PRIu64, pg->huge_bytes);
	else
		printf("null");
	printf(", \"huge_page_size\": ");
	if (pg->huge_page_size)
		printf("%" PRIu64, pg->huge_page_size);
	else
		printf("null");
	printf(", \"huge_policy\": ");
	if (pg->policy[0])
		json_string(stdout, pg->policy);
	else
		printf("null");
}

static void json_row(const struct row *r)
{
	const struct shmseg_stat *st = &r->st;
	char dt[SHMSEG_DTYPE_STRLEN], buf[64];
	uint32_t i;

	printf("{\"name\": ");
	json_string(stdout, r->name);
	if (r->foreign) {
		printf(", \"state\": \"foreign\"}");
		return;
	}
	shmseg_dtype_format(&st->layout.dtype, dt, sizeof(dt));
	printf(", \"state\": \"%s\", \"dtype\": ", state_name(st->state));
	json_string(stdout, r->dtype ? r->dtype : dt);
	printf(", \"itemsize\": %" PRIu32, st->layout.dtype.itemsize);
	printf(", \"shape\": [");
	for (i = 0; i < st->layout.ndim; i++)
		printf("%s%" PRIu64, i ? ", " : "", st->layout.shape[i]);
	printf("], \"strides\": [");
	for (i = 0; i < st->layout.ndim; i++)
		printf("%s%" PRId64, i ? ", " : "", st->layout.strides[i]);
	printf("], \"order\": \"%s\", \"nbytes\": %" PRIu64
	       ", \"size\": %" PRIu64 ", \"data_offset\": %" PRIu64,
	       order_name(&st->layout), st->nbytes, st->size,
	       st->size - st->nbytes);
	fmt_uuid(st->uuid, buf, sizeof(buf));
	printf(", \"uuid\": \"%s\", \"creator_pid\": ", buf);
	/* 0: the header's pid was 0 or does not fit pid_t */
	if (st->creator_pid)
		printf("%ld", (long)st->creator_pid);
	else
		printf("null");
	fmt_time(&st->created, buf, sizeof(buf));
	printf(", \"created\": \"%s\", \"mode\": \"%04o\", \"uid\": %lu, "
	       "\"owner\": ", buf, (unsigned)st->mode, (unsigned long)st->uid);
	fmt_user(st->uid, buf, sizeof(buf));
	json_string(stdout, buf);
	printf(", \"gid\": %lu, \"group\": ", (unsigned long)st->gid);
	fmt_group(st->gid, buf, sizeof(buf));
	json_string(stdout, buf);
	if (r->paged)
		json_pages(r);
	printf("}");
}

/* What pages back the segment of r, measured; paged stays false where
 * that cannot be told: it went meanwhile, or the name now holds another
 * segment than the one listed. */
static void find_pages(struct row *r)
{
	struct shmseg_stat now;

	r->paged = !r->foreign &&
		   shmseg_pages(r->name, SHMSEG_PAGES_MEASURE, &now,
				&r->pg) == 0 &&
		   memcmp(now.uuid, r->st.uuid, sizeof(now.uuid)) == 0;
}

/* The dtype of r as shown: NumPy's dtype string ("<f8", "<M8[ns]"), or a
 * record's description ("[('t', '<M8[ns]'), ('x', '<f8')]"), which the
 * segment's header holds where the summary in its stat does not say all.
 * Left NULL where it cannot be told, the summary then shown: the segment
 * went meanwhile, or its name now holds another. */
static void find_dtype(struct row *r)
{
	const char kind = r->st.layout.dtype.kind;
	char summary[SHMSEG_DTYPE_STRLEN], *d;
	struct shmseg_stat now;
	size_t n;

	if (r->foreign || (kind != 'V' && kind != 'M' && kind != 'm'))
		return;
	/* One look at the name, into room for any description. */
	d = malloc(SHMSEG_DESCR_MAX);
	if (d && shmseg_stat_descr(r->name, &now, d, SHMSEG_DESCR_MAX) >= 0 &&
	    memcmp(now.uuid, r->st.uuid, sizeof(now.uuid)) == 0)
		r->dtype = strdup(d);
	free(d);
	if (!r->dtype)
		return;
	/* A dtype string without its quotes; none at all where it says no
	 * more than the summary (a plain void, '|V5'). */
	n = strlen(r->dtype);
	if (n >= 2 && r->dtype[0] == '\'') {
		memmove(r->dtype, r->dtype + 1, n - 2);
		r->dtype[n - 2] = '\0';
	}
	if (shmseg_dtype_format(&r->st.layout.dtype, summary,
				sizeof(summary)) > 0 &&
	    strcmp(summary, r->dtype) == 0) {
		free(r->dtype);
		r->dtype = NULL;
	}
}

/* The dtype of r as shown, into buf (at most len bytes): find_dtype()'s,
 * or the summary; shortened with "..." past len. */
static void fmt_dtype(const struct row *r, char *buf, size_t len)
{
	if (!r->dtype) {
		shmseg_dtype_format(&r->st.layout.dtype, buf, len);
		return;
	}
	if (snprintf(buf, len, "%s", r->dtype) >= (int)len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

/* ---- shmctl list ------------------------------------------------------ */

struct list_config {
	bool lng;		/* -l: the creator's pid, the uuid, the pages */
	bool json;
	bool all;		/* objects that are not segments too */
	bool bytes;		/* sizes exact, not in binary units */
	bool help;		/* -h: the usage, nothing else */
};

static void usage_list(void)
{
	printf("usage: shmctl list [-l] [--json] [--all] [--bytes]\n\n"
	       "One line per segment: name, state, dtype, shape, size, mode, "
	       "owner,\ncreation time.\n\n"
	       "  -l, --long   also the creator's pid, the uuid and the size of\n"
	       "               the pages that back it (measured)\n"
	       "  -j, --json   one JSON array, for scripts\n"
	       "  -a, --all    also other objects in the shared-memory "
	       "directory\n"
	       "  -b, --bytes  sizes in bytes, not in binary units\n"
	       "  -h, --help   this help\n");
}

static void parse_list_options(int argc, char **argv,
			       struct list_config *cfg)
{
	static const struct option opts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = next_option(argc, argv, ":ljabh", opts,
				&cfg->help)) != -1) {
		switch (c) {
		case 'l':
			cfg->lng = true;
			break;
		case 'j':
			cfg->json = true;
			break;
		case 'a':
			cfg->all = true;
			break;
		case 'b':
			cfg->bytes = true;
			break;
		}
	}
	if (cfg->help)
		return;
	if (optind != argc)
		usage_error("list takes no arguments");
}

/* Every segment (with all, every object) into r, sorted by name: 0, or 1
 * after saying why not. */
static int collect(bool all, bool pages, struct rows *r)
{
	int err = shmseg_list_flags(all ? SHMSEG_LIST_ALL : 0, add_row, r);
	size_t i;

	if (err) {
		warn_obj(NULL, "%s", err > 0 ? "out of memory" :
			 shmseg_strerror(err));
		return 1;
	}
	qsort(r->v, r->n, sizeof(*r->v), by_name);
	for (i = 0; i < r->n; i++)
		find_dtype(&r->v[i]);
	for (i = 0; pages && i < r->n; i++)
		find_pages(&r->v[i]);
	return 0;
}

static void print_json(const struct rows *r)
{
	size_t i;

	printf("[");
	for (i = 0; i < r->n; i++) {
		printf(i ? ",\n " : "");
		json_row(&r->v[i]);
	}
	printf("]\n");
}

/* Bytes of the dtype shown in a table, "..." counted. */
#define DTYPE_CELL 33

/* A cell fits a name of control characters, \ooo for each byte, and 32
 * dimensions of 20 digits and an x. */
enum { COLS = 11, CELL = 4 * SHMSEG_NAME_MAX + 1 };

/* The text cells of one row of the table, each allocated. */
static int cells(const struct row *r, const struct list_config *cfg,
		 char *c[COLS])
{
	const struct shmseg_stat *st = &r->st;
	char b[COLS][CELL];
	int i;

	for (i = 0; i < COLS; i++)
		b[i][0] = '\0';
	fmt_name(r->name, b[0], CELL);
	if (r->foreign) {
		snprintf(b[1], CELL, "foreign");
	} else {
		snprintf(b[1], CELL, "%s", state_name(st->state));
		/* A record's description, shortened: info has all. */
		fmt_dtype(r, b[2], DTYPE_CELL);
		fmt_shape(&st->layout, "x", b[3], CELL);
		fmt_size(st->nbytes, cfg->bytes, b[4], CELL);
		snprintf(b[5], CELL, "%04o", (unsigned)st->mode);
		fmt_user(st->uid, b[6], CELL);
		fmt_time(&st->created, b[7], CELL);
		if (cfg->lng) {
			if (st->creator_pid)
				snprintf(b[8], CELL, "%ld",
					 (long)st->creator_pid);
			else
				snprintf(b[8], CELL, "-");	/* unknown */
			fmt_uuid(st->uuid, b[9], CELL);
			if (r->paged)
				fmt_page(r->pg.page_size, b[10], CELL);
			else
				snprintf(b[10], CELL, "-");
		}
	}
	for (i = 0; i < COLS; i++)
		if (!(c[i] = strdup(b[i])))
			return -1;
	return 0;
}

/* The table as text: the heads, then a row per segment. */
struct table {
	char *(*cell)[COLS];	/* each allocated */
	size_t n;		/* rows, the heads' included */
	int ncols;		/* shown: PID, UUID and PAGES only with -l */
};

/* 0, or -1 when out of memory; free_table() frees what was made either
 * way. */
static int make_table(const struct rows *r, const struct list_config *cfg,
		      struct table *t)
{
	static const char *const heads[COLS] = {
		"NAME", "STATE", "DTYPE", "SHAPE", "SIZE", "MODE", "OWNER",
		"CREATED", "PID", "UUID", "PAGES",
	};
	size_t i;
	int k;

	t->ncols = cfg->lng ? COLS : COLS - 3;
	t->cell = calloc(r->n + 1, sizeof(*t->cell));
	if (!t->cell)
		return -1;
	t->n = r->n + 1;
	for (k = 0; k < COLS; k++)
		if (!(t->cell[0][k] = strdup(k < t->ncols ? heads[k] : "")))
			return -1;
	for (i = 0; i < r->n; i++)
		if (cells(&r->v[i], cfg, t->cell[i + 1]))
			return -1;
	return 0;
}

static void free_table(struct table *t)
{
	size_t i;
	int k;

	for (i = 0; i < t->n; i++)
		for (k = 0; k < COLS; k++)
			free(t->cell[i][k]);
	free(t->cell);
}

/* Each column as wide as its widest cell. */
static void put_table(const struct table *t)
{
	size_t w[COLS] = { 0 }, i;
	int k;

	for (i = 0; i < t->n; i++)
		for (k = 0; k < t->ncols; k++)
			if (strlen(t->cell[i][k]) > w[k])
				w[k] = strlen(t->cell[i][k]);
	for (i = 0; i < t->n; i++) {
		for (k = 0; k < t->ncols; k++) {
			/* SIZE is right-aligned; the last column is not
			 * padded. */
			if (k == 4)
				printf("%*s", (int)w[k], t->cell[i][k]);
			else if (k == t->ncols - 1)
				printf("%s", t->cell[i][k]);
			else
				printf("%-*s", (int)w[k], t->cell[i][k]);
			printf(k == t->ncols - 1 ? "\n" : "  ");
		}
	}
}

/* 0, or 1 after saying why not. */
static int print_table(const struct rows *r, const struct list_config *cfg)
{
	struct table t = { 0 };
	int ret = 0;

	if (make_table(r, cfg, &t)) {
		warn_obj(NULL, "out of memory");
		ret = 1;
	} else {
		put_table(&t);
	}
	free_table(&t);
	return ret;
}

int cmd_list(int argc, char **argv)
{
	struct list_config cfg = { 0 };
	struct rows r = { 0 };
	int ret;

	parse_list_options(argc, argv, &cfg);
	if (cfg.help) {
		usage_list();
		return 0;
	}
	ret = collect(cfg.all, cfg.lng, &r);
	if (!ret && cfg.json)
		print_json(&r);
	else if (!ret)
		ret = print_table(&r, &cfg);
	free_rows(&r);
	return ret;
}

/* ---- shmctl info ------------------------------------------------------ */

struct info_config {
	const char *name;
	uid_t owner;		/* --owner, or ANY_OWNER */
	bool json;
	bool help;		/* -h: the usage, nothing else */
};

static void usage_info(void)
{
	printf("usage: shmctl info NAME [--json] [--owner USER]\n\n"
	       "Everything in the header of segment NAME.\n\n"
	       "  -j, --json        one JSON object\n"
	       "  -u, --owner USER  refuse a segment USER does not own\n"
	       "  -h, --help        this help\n");
}

static void parse_info_options(int argc, char **argv,
			       struct info_config *cfg)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "owner", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	cfg->owner = ANY_OWNER;
	while ((c = next_option(argc, argv, ":ju:h", opts, &cfg->help)) != -1) {
		switch (c) {
		case 'j':
			cfg->json = true;
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

/* The pages line of info: the size, and how it is known. */
static void print_pages(const struct shmseg_pages *pg)
{
	char size[32];

	fmt_page(pg->page_size, size, sizeof(size));
	printf("pages:        %s", size);
	if (pg->basis == SHMSEG_PAGES_MEASURED) {
		char huge[32], all[32];

		fmt_size(pg->huge_bytes, false, huge, sizeof(huge));
		fmt_size(pg->huge_bytes, true, all, sizeof(all));
		if (pg->huge_bytes)
			printf(", measured: %s bytes (%s) in huge pages",
			       all, huge);
		else
			printf(", measured: none in huge pages");
		printf(", under %s\n", pg->policy);
	} else if (pg->basis == SHMSEG_PAGES_POLICY) {
		printf(", by the policy %s\n", pg->policy);
	} else if (pg->huge_page_size) {
		printf(" (where huge pages are concerned, no telling)\n");
	} else {
		printf(" (no huge pages for shared memory here, or no /sys "
		       "to tell)\n");
	}
}

/* The header, a field a line. */
static void print_info(const struct row *r)
{
	const struct shmseg_stat *st = &r->st;
	char dt[SHMSEG_DTYPE_STRLEN], buf[64], shown[4 * SHMSEG_NAME_MAX + 8];
	uint32_t i;

	shmseg_dtype_format(&st->layout.dtype, dt, sizeof(dt));
	fmt_name(r->name, shown, sizeof(shown));
	printf("name:         %s\n", shown);
	fmt_uuid(st->uuid, buf, sizeof(buf));
	printf("uuid:         %s\n", buf);
	printf("state:        %s\n", state_name(st->state));
	printf("dtype:        %s\n", r->dtype ? r->dtype : dt);
	if (r->dtype)
		printf("itemsize:     %" PRIu32 "\n", st->layout.dtype.itemsize);
	/* Printed as it goes: 32 dimensions do not fit a small buffer. */
	printf("shape:        (");
	for (i = 0; i < st->layout.ndim; i++)
		printf("%s%" PRIu64, i ? ", " : "", st->layout.shape[i]);
	printf("%s)\nstrides:      (", st->layout.ndim == 1 ? "," : "");
	for (i = 0; i < st->layout.ndim; i++)
		printf("%s%" PRId64, i ? ", " : "", st->layout.strides[i]);
	printf("%s)\n", st->layout.ndim == 1 ? "," : "");
	printf("order:        %s\n", order_name(&st->layout));
	printf("nbytes:       %" PRIu64 "\n", st->nbytes);
	printf("data offset:  %" PRIu64 "\n", st->size - st->nbytes);
	printf("size:         %" PRIu64 "\n", st->size);
	if (st->creator_pid)
		printf("creator pid:  %ld\n", (long)st->creator_pid);
	else
		printf("creator pid:  unknown\n");
	fmt_time(&st->created, buf, sizeof(buf));
	printf("created:      %s\n", buf);
	printf("mode:         %04o\n", (unsigned)st->mode);
	fmt_user(st->uid, buf, sizeof(buf));
	printf("owner:        %s\n", buf);
	fmt_group(st->gid, buf, sizeof(buf));
	printf("group:        %s\n", buf);
	if (r->paged)
		print_pages(&r->pg);
}

int cmd_info(int argc, char **argv)
{
	struct info_config cfg = { 0 };
	struct row r = { 0 };
	int err;

	parse_info_options(argc, argv, &cfg);
	if (cfg.help) {
		usage_info();
		return 0;
	}
	r.name = cfg.name;
	/* The pages, and the stat, of one object: one look at the name. */
	err = shmseg_pages(r.name, SHMSEG_PAGES_MEASURE, &r.st, &r.pg);
	r.paged = !err;
	if (err) {
		warn_err(r.name, err);
		return 1;
	}
	/* The stat printed below: a second look by name could find another
	 * object. */
	if (check_owner(r.name, &r.st, cfg.owner))
		return 1;
	find_dtype(&r);
	if (cfg.json) {
		json_row(&r);
		printf("\n");
	} else {
		print_info(&r);
	}
	free(r.dtype);
	return 0;
}
