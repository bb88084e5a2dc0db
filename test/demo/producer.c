/* SPDX-License-Identifier: MIT */
/* producer.c - makes a named 1000 x 3 float64 array and seals it */
#include <shmseg.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct shmseg_layout layout = { .ndim = 2, .shape = { 1000, 3 } };
	struct shmseg *seg;
	double *x;
	int err, i;

	if (argc != 2) {
		fprintf(stderr, "usage: producer NAME\n");
		return 2;
	}
	shmseg_dtype_parse("float64", &layout.dtype);
	err = shmseg_create(argv[1], &layout, 0, 0644, &seg);
	if (err) {
		fprintf(stderr, "producer: %s: %s\n", argv[1],
			shmseg_strerror(err));
		return 1;
	}
	x = shmseg_data(seg);
	for (i = 0; i < 1000 * 3; i++)
		x[i] = i * 0.5;
	err = shmseg_seal(seg);		/* publish: read-only from now on */
	if (err) {
		fprintf(stderr, "producer: seal: %s\n", shmseg_strerror(err));
		shmseg_unlink(argv[1]);
		return 1;
	}
	printf("producer: %s sealed, %llu bytes\n", argv[1],
	       (unsigned long long)shmseg_nbytes(seg));
	shmseg_detach(seg);		/* the segment outlives us */
	return 0;
}
