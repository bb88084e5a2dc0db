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
};

struct rows {
	struct row *v;
	size_t n, cap;
};

static int collect(const char *name, const struct shmseg_stat *st, void *arg)
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
	if (st)
		v->st = *st;
	r->n++;
	return 0;
}

static void free_rows(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free((char *)r->v[i].name);
	free(r->v);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name,
		      ((const struct row *)b)->name);
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
	json_string(stdout, dt);
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
	printf("}");
}

/* A cell fits a name of control characters, \ooo for each byte, and 32
 * dimensions of 20 digits and an x. */
enum { COLS = 10, CELL = 4 * SHMSEG_NAME_MAX + 1 };

/* The text cells of one row of the table, each allocated. */
static int cells(const struct row *r, bool bytes, bool lng, char *c[COLS])
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
		shmseg_dtype_format(&st->layout.dtype, b[2], CELL);
		fmt_shape(&st->layout, "x", b[3], CELL);
		fmt_size(st->nbytes, bytes, b[4], CELL);
		snprintf(b[5], CELL, "%04o", (unsigned)st->mode);
		fmt_user(st->uid, b[6], CELL);
		fmt_time(&st->created, b[7], CELL);
		if (lng) {
			if (st->creator_pid)
				snprintf(b[8], CELL, "%ld",
					 (long)st->creator_pid);
			else
				snprintf(b[8], CELL, "-");	/* unknown */
			fmt_uuid(st->uuid, b[9], CELL);
		}
	}
	for (i = 0; i < COLS; i++)
		if (!(c[i] = strdup(b[i])))
			return -1;
	return 0;
}

static void usage_list(void)
{
	printf("usage: shmctl list [-l] [--json] [--all] [--bytes]\n\n"
	       "One line per segment: name, state, dtype, shape, size, mode, "
	       "owner,\ncreation time.\n\n"
	       "  -l, --long   also the creator's pid and the uuid\n"
	       "  -j, --json   one JSON array, for scripts\n"
	       "  -a, --all    also other objects in the shared-memory "
	       "directory\n"
	       "  -b, --bytes  sizes in bytes, not in binary units\n"
	       "  -h, --help   this help\n");
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "long", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "bytes", no_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const heads[COLS] = {
		"NAME", "STATE", "DTYPE", "SHAPE", "SIZE", "MODE", "OWNER",
		"CREATED", "PID", "UUID",
	};
	bool lng = false, json = false, all = false, bytes = false;
	struct rows r = { 0 };
	char *(*c)[COLS];
	size_t w[COLS] = { 0 }, i;
	int opt, ret, k, ncols;

	while ((opt = next_option(argc, argv, ":ljabh", opts)) != -1) {
		switch (opt) {
		case 'l': lng = true; break;
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'b': bytes = true; break;
		case 'h': usage_list(); return 0;
		}
	}
	if (optind != argc)
		usage_error("list takes no arguments");
	ret = shmseg_list_flags(all ? SHMSEG_LIST_ALL : 0, collect, &r);
	if (ret) {
		warn_obj(NULL, "%s", ret > 0 ? "out of memory" :
			 shmseg_strerror(ret));
		free_rows(&r);
		return 1;
	}
	qsort(r.v, r.n, sizeof(*r.v), by_name);
	if (json) {
		printf("[");
		for (i = 0; i < r.n; i++) {
			printf(i ? ",\n " : "");
			json_row(&r.v[i]);
		}
		printf("]\n");
		free_rows(&r);
		return 0;
	}
	ncols = lng ? COLS : COLS - 2;
	c = calloc(r.n + 1, sizeof(*c));
	for (k = 0; c && k < COLS; k++)
		c[0][k] = strdup(k < ncols ? heads[k] : "");
	for (i = 0; c && i < r.n; i++)
		if (cells(&r.v[i], bytes, lng, c[i + 1]))
			break;
	if (!c || i < r.n) {
		warn_obj(NULL, "out of memory");
		ret = 1;
		goto out;
	}
	for (i = 0; i <= r.n; i++)
		for (k = 0; k < ncols; k++)
			if (c[i][k] && strlen(c[i][k]) > w[k])
				w[k] = strlen(c[i][k]);
	for (i = 0; i <= r.n; i++) {
		for (k = 0; k < ncols; k++) {
			/* SIZE is right-aligned; the last column is not
			 * padded. */
			if (k == 4)
				printf("%*s", (int)w[k], c[i][k]);
			else if (k == ncols - 1)
				printf("%s", c[i][k]);
			else
				printf("%-*s", (int)w[k], c[i][k]);
			printf(k == ncols - 1 ? "\n" : "  ");
		}
	}
out:
	for (i = 0; c && i <= r.n; i++)
		for (k = 0; k < COLS; k++)
			free(c[i][k]);
	free(c);
	free_rows(&r);
	return ret;
}

static void usage_info(void)
{
	printf("usage: shmctl info NAME [--json] [--owner USER]\n\n"
	       "Everything in the header of segment NAME.\n\n"
	       "  -j, --json        one JSON object\n"
	       "  -u, --owner USER  refuse a segment USER does not own\n"
	       "  -h, --help        this help\n");
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "owner", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct row r = { 0 };
	char dt[SHMSEG_DTYPE_STRLEN], buf[64], shown[4 * SHMSEG_NAME_MAX + 8];
	uid_t owner = ANY_OWNER;
	bool json = false;
	uint32_t i;
	int opt, err;

	while ((opt = next_option(argc, argv, ":ju:h", opts)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'u': owner = parse_owner_or_die(optarg); break;
		case 'h': usage_info(); return 0;
		}
	}
	r.name = only_name(argc, argv);
	err = shmseg_stat(r.name, &r.st);
	if (err) {
		warn_err(r.name, err);
		return 1;
	}
	/* The stat printed below: a second look by name could find another
	 * object. */
	if (check_owner(r.name, &r.st, owner))
		return 1;
	if (json) {
		json_row(&r);
		printf("\n");
		return 0;
	}
	shmseg_dtype_format(&r.st.layout.dtype, dt, sizeof(dt));
	fmt_name(r.name, shown, sizeof(shown));
	printf("name:         %s\n", shown);
	fmt_uuid(r.st.uuid, buf, sizeof(buf));
	printf("uuid:         %s\n", buf);
	printf("state:        %s\n", state_name(r.st.state));
	printf("dtype:        %s\n", dt);
	/* Printed as it goes: 32 dimensions do not fit a small buffer. */
	printf("shape:        (");
	for (i = 0; i < r.st.layout.ndim; i++)
		printf("%s%" PRIu64, i ? ", " : "", r.st.layout.shape[i]);
	printf("%s)\nstrides:      (", r.st.layout.ndim == 1 ? "," : "");
	for (i = 0; i < r.st.layout.ndim; i++)
		printf("%s%" PRId64, i ? ", " : "", r.st.layout.strides[i]);
	printf("%s)\n", r.st.layout.ndim == 1 ? "," : "");
	printf("order:        %s\n", order_name(&r.st.layout));
	printf("nbytes:       %" PRIu64 "\n", r.st.nbytes);
	printf("data offset:  %" PRIu64 "\n", r.st.size - r.st.nbytes);
	printf("size:         %" PRIu64 "\n", r.st.size);
	if (r.st.creator_pid)
		printf("creator pid:  %ld\n", (long)r.st.creator_pid);
	else
		printf("creator pid:  unknown\n");
	fmt_time(&r.st.created, buf, sizeof(buf));
	printf("created:      %s\n", buf);
	printf("mode:         %04o\n", (unsigned)r.st.mode);
	fmt_user(r.st.uid, buf, sizeof(buf));
	printf("owner:        %s\n", buf);
	fmt_group(r.st.gid, buf, sizeof(buf));
	printf("group:        %s\n", buf);
	return 0;
}
