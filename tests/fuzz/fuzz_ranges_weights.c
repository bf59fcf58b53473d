/*
 * fuzz_ranges_weights.c - libFuzzer target for the YAML list weights of
 * `bphound rank --weights` (ranges/weights.c): any bytes parse or are
 * refused with a message; every weight kept is a finite non-negative
 * number with a non-empty name.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ranges/weights.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_weights w;
	char err[256];

	if (bph_weights_parse((const char *)data, size, "fuzz", &w, err,
			      sizeof(err)) != 0)
		return 0;
	for (size_t i = 0; i < w.n; i++)
		if (!w.v[i].name[0] || !isfinite(w.v[i].impact) ||
		    w.v[i].impact < 0)
			abort();
	bph_weights_free(&w);
	return 0;
}
