/* SPDX-License-Identifier: MIT */
/* fields.c - descriptions checked whole and turned into a table of fields,
 * for which memory is needed: the parse itself (descr.c) has none */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

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
	if (ret || !canon || d->plain) {
		free(d->out);
		d->out = NULL;
	}
	if (canon)
		*canon = d->out;
	/* Sizes known, so no -ERANGE: the text did not change between. */
	return ret == -ERANGE ? -EIO : ret;
}

int descr_canonical(const char *text, char **canon, struct descr *d)
{
	int ret = table(text, canon, d);

	free(d->node);
	free(d->arena);
	d->node = NULL;
	d->arena = NULL;
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
	ret = descr_canonical(descr, NULL, &d);
	if ((ret == -EILSEQ || ret == -ENOTSUP) && why && len)
		snprintf(why, len, "%s", d.why[0] ? d.why :
			 "malformed dtype description");
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
