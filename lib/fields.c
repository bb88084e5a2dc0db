/* SPDX-License-Identifier: MIT */
/* fields.c - descriptions checked whole and turned into a table of fields,
 * for which memory is needed: the parse itself (descr.c) has none */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

/* A name or title of a record in the table, for sorting. */
struct key {
	uint32_t parent;
	uint32_t len;
	const char *s;
};

static int by_key(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->parent != y->parent)
		return x->parent < y->parent ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->s, y->s, x->len);
}

/* NumPy refuses a record in which a name or title is used twice: sorted,
 * the keys of each record side by side, so that many fields cost no more
 * than sorting them. 0, -EILSEQ (said in d->why) or -ENOMEM. */
static int names_distinct(struct descr *d)
{
	struct key *k = malloc(2 * (size_t)d->nodes * sizeof(*k));
	size_t n = 0, i;
	int ret = 0;

	if (!k)
		return -ENOMEM;
	for (i = 1; i < d->nodes; i++) {
		const struct descr_node *f = &d->node[i];

		k[n++] = (struct key){ f->parent, f->name_len,
				       d->arena + f->name };
		if (f->title != DESCR_NONE)
			k[n++] = (struct key){ f->parent, f->title_len,
					       d->arena + f->title };
	}
	qsort(k, n, sizeof(*k), by_key);
	for (i = 1; i < n && !ret; i++)
		if (by_key(&k[i - 1], &k[i]) == 0)
			ret = -EILSEQ;
	free(k);
	if (ret)
		snprintf(d->why, sizeof(d->why), "a record in which a field "
			 "name or title is used twice");
	return ret;
}

/* Parse text into a table in memory of its own, in d (freed by the
 * caller: d->node, d->arena); *canon as descr_canonical() gives it, if
 * canon is not NULL. */
static int table(const char *text, char **canon, struct descr *d)
{
	struct descr count = { 0 };
	int ret;

	memset(d, 0, sizeof(*d));
	/* First without memory: whether it is one, and the sizes. */
	ret = descr_parse_text(text, &count);
	if (ret) {
		memcpy(d->why, count.why, sizeof(d->why));
		return ret;
	}
	d->node_cap = count.nodes_peak;
	d->arena_cap = count.arena_len;
	d->out_cap = count.out_len + 1;
	d->node = calloc(d->node_cap, sizeof(*d->node));
	d->arena = malloc(d->arena_cap);
	d->out = canon ? malloc(d->out_cap) : NULL;
	if (!d->node || !d->arena || (canon && !d->out))
		ret = -ENOMEM;
	else
		ret = descr_parse_text(text, d);
	if (!ret)
		ret = names_distinct(d);
	if (ret || !canon || d->plain) {
		free(d->out);
		d->out = NULL;
	}
	if (canon)
		*canon = d->out;
	/* Sizes known, so no -ERANGE: the text did not change between. */
	return ret == -ERANGE ? -EIO : ret;
}

int descr_canonical(const char *text, char **canon, struct descr *d,
		    char *why, size_t len)
{
	int ret = table(text, canon, d);

	free(d->node);
	free(d->arena);
	d->node = NULL;
	d->arena = NULL;
	if ((ret == -EILSEQ || ret == -ENOTSUP) && why && len)
		snprintf(why, len, "%s", d->why[0] ? d->why :
			 "malformed dtype description");
	return ret;
}

EXPORT int shmseg_descr_check(const char *descr, char *why, size_t len)
{
	struct descr d;
	int ret;

	if (why && len)
		why[0] = '\0';
	if (!descr)
		return -EINVAL;
	ret = descr_canonical(descr, NULL, &d, why, len);
	return ret == -EILSEQ ? -EINVAL : ret;
}

EXPORT int shmseg_fields(const char *descr, struct shmseg_field **fieldsp)
{
	struct shmseg_field *f;
	struct descr d;
	char *names;
	uint32_t i;
	int ret;

	if (!descr || !fieldsp)
		return -EINVAL;
	ret = table(descr, NULL, &d);
	if (ret == -EILSEQ)
		ret = -EINVAL;
	if (ret == 0 && d.nodes > INT32_MAX)
		ret = -EOVERFLOW;
	/* One block: the table, then the names. */
	f = ret ? NULL : calloc(1, d.nodes * sizeof(*f) + d.arena_len);
	if (!ret && !f)
		ret = -ENOMEM;
	if (ret) {
		free(d.node);
		free(d.arena);
		return ret;
	}
	names = (char *)(f + d.nodes);
	memcpy(names, d.arena, d.arena_len);
	for (i = 0; i < d.nodes; i++) {
		const struct descr_node *n = &d.node[i];

		f[i].name = names + n->name;
		f[i].name_len = n->name_len;
		f[i].title = n->title == DESCR_NONE ? NULL : names + n->title;
		f[i].title_len = n->title == DESCR_NONE ? 0 : n->title_len;
		f[i].parent = n->parent == DESCR_NONE ? -1 : (int32_t)n->parent;
		f[i].nfields = n->nfields;
		f[i].offset = n->offset;
		f[i].dtype = n->dtype;
		f[i].record = n->record;
		if (n->dtype.kind == 'M' || n->dtype.kind == 'm')
			(void)descr_unit_text(n->unit, n->count, f[i].unit,
					      sizeof(f[i].unit));
		f[i].ndim = n->ndim;
		memcpy(f[i].shape, n->shape, sizeof(f[i].shape));
	}
	free(d.node);
	free(d.arena);
	*fieldsp = f;
	return (int)d.nodes;
}
