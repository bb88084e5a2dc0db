/* SPDX-License-Identifier: MIT */
/* fuzz_descr.c - libFuzzer target: descr_parse() on any bytes, as Latin-1
 * or as UTF-8 (the first byte chooses), with and without its table; what
 * it accepts must be canonical once written, and read back the same */
#include <stdlib.h>
#include <string.h>

#include "descr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_TEXT 16384

static char out[4 * MAX_TEXT + 64], again[4 * MAX_TEXT + 64];
static struct descr_node nodes[MAX_TEXT / 6 + 2];
static char arena[3 * MAX_TEXT + MAX_TEXT / 6 + 2];

static void check_ret(int ret)
{
	if (ret != 0 && ret != -EILSEQ && ret != -ENOTSUP && ret != -ERANGE)
		abort();
}

static bool same(const struct descr *a, const struct descr *b)
{
	return a->dtype.byteorder == b->dtype.byteorder &&
	       a->dtype.kind == b->dtype.kind &&
	       a->dtype.itemsize == b->dtype.itemsize &&
	       a->plain == b->plain && a->nodes == b->nodes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct descr d = { .out = out, .out_cap = sizeof(out) };
	struct descr back = { .out = again, .out_cap = sizeof(again) };
	struct descr table = { 0 };
	struct lex x;
	int ret;

	if (size < 1 || size - 1 > MAX_TEXT)
		return 0;
	x = (struct lex){ .p = (const char *)data + 1,
			  .end = (const char *)data + size,
			  .latin1 = data[0] & 1, .py2_long = data[0] & 2 };
	/* UTF-8 is checked whole before any parse, as npy.c does. */
	if (!x.latin1 && !lex_utf8_valid(data + 1, size - 1))
		return 0;
	ret = descr_parse(&x, &d);
	check_ret(ret);
	if (ret == -ERANGE)
		abort();	/* out is large enough for any text */
	if (ret)
		return 0;
	if (d.out_len != strlen(out) || d.out_len >= sizeof(out))
		abort();
	/* The canonical text: read again, the same, and canonical. */
	x = (struct lex){ .p = out, .end = out + d.out_len };
	if (descr_parse(&x, &back) != 0 || x.p != out + d.out_len ||
	    strcmp(again, out) != 0 || !same(&d, &back))
		abort();
	back = (struct descr){ .out = out, .out_cap = d.out_len, .check = true };
	x = (struct lex){ .p = out, .end = out + d.out_len };
	if (descr_parse(&x, &back) != 0 || back.differs ||
	    back.out_len != d.out_len)
		abort();
	/* With the table: the same. */
	if (d.nodes_peak > sizeof(nodes) / sizeof(nodes[0]) ||
	    d.nodes > d.nodes_peak || d.arena_len > sizeof(arena))
		abort();
	table.node = nodes;
	table.node_cap = d.nodes_peak;
	table.arena = arena;
	table.arena_cap = d.arena_len;
	x = (struct lex){ .p = out, .end = out + d.out_len };
	if (descr_parse(&x, &table) != 0 || !same(&d, &table) ||
	    nodes[0].dtype.itemsize != d.dtype.itemsize)
		abort();
	return 0;
}
