/* SPDX-License-Identifier: MIT */
/* reader.c - attaches a named array read-only and sums it; -u unlinks it */
#include <shmseg.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	const struct shmseg_layout *l;
	struct shmseg *seg;
	char dtype[SHMSEG_DTYPE_STRLEN];
	const double *x;
	double sum = 0;
	uint64_t i, n;
	int err, unlink_after = argc == 3 && strcmp(argv[1], "-u") == 0;
	const char *name = argv[argc - 1];

	if (argc != 2 && !unlink_after) {
		fprintf(stderr, "usage: reader [-u] NAME\n");
		return 2;
	}
	/* Wait up to 5 s for the producer to create and seal it. */
	err = shmseg_attach_wait(name, 0, 5000, &seg);
	if (err) {
		fprintf(stderr, "reader: %s: %s\n", name, shmseg_strerror(err));
		return 1;
	}
	l = shmseg_layout(seg);
	shmseg_dtype_format(&l->dtype, dtype, sizeof(dtype));
	if (strcmp(dtype + 1, "f8") != 0) {
		fprintf(stderr, "reader: %s: want float64, got %s\n", name, dtype);
		shmseg_detach(seg);
		return 1;
	}
	x = shmseg_data(seg);
	n = shmseg_nbytes(seg) / sizeof(double);
	for (i = 0; i < n; i++)
		sum += x[i];
	printf("reader: %s is %s, shape %llu x %llu, sum %.1f\n", name, dtype,
	       (unsigned long long)l->shape[0],
	       (unsigned long long)l->shape[1], sum);
	shmseg_detach(seg);
	if (unlink_after && (err = shmseg_unlink(name))) {
		fprintf(stderr, "reader: unlink %s: %s\n", name,
			shmseg_strerror(err));
		return 1;
	}
	return 0;
}
