/* SPDX-License-Identifier: MIT */
/* fuzz_npy.c - libFuzzer target: npy_size_announced() and npy_parse() on any
 * bytes */
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "npy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_size(long ret)
{
	if (ret < 10 && ret != -EILSEQ && ret != -ENOTSUP)
		abort();
}

static void check_parse(int ret)
{
	if (ret != 0 && ret != -EILSEQ && ret != -ENOTSUP && ret != -EOVERFLOW)
		abort();
}

static bool same(const struct npy_hdr *a, const struct npy_hdr *b)
{
	return memcmp(&a->layout.dtype, &b->layout.dtype,
		      sizeof(a->layout.dtype)) == 0 &&
	       a->layout.ndim == b->layout.ndim &&
	       memcmp(a->layout.shape, b->layout.shape,
		      sizeof(a->layout.shape)) == 0 &&
	       a->fortran == b->fortran && a->nbytes == b->nbytes;
}

/* What was accepted formats again, and that parses to the same. */
static void round_trip(const struct npy_hdr *h)
{
	static char buf[4096];
	struct npy_hdr back;
	long n;

	if (layout_check(&h->layout, h->nbytes) != 0)
		abort();
	n = npy_format(&h->layout, NULL, h->fortran, buf, sizeof(buf));
	if (n <= 0 || npy_size_announced(buf, (size_t)n) != n)
		abort();
	if (npy_parse(buf, (size_t)n, &back) != 0 || !same(h, &back))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct npy_hdr h, exact;
	long hsize;
	int ret;

	hsize = npy_size_announced(data, size);
	check_size(hsize);
	ret = npy_parse(data, size, &h);
	check_parse(ret);
	if (ret == 0 && h.header_size != (uint64_t)hsize)
		abort();
	/* Only the header's own bytes count: what follows is data. */
	if (hsize > 0 && (size_t)hsize <= size) {
		if (npy_parse(data, (size_t)hsize, &exact) != ret)
			abort();
		if (ret == 0 && !same(&h, &exact))
			abort();
	} else if (ret == 0) {
		abort();
	}
	if (ret == 0)
		round_trip(&h);
	return 0;
}
