/*
 * fuzz_sweep_runidx.c - libFuzzer target for the reader of a run's
 * stored index (sweep/runidx.h, table sweep_index). The input is a
 * sequence of chunks, each framed as a 16-bit little-endian length, an
 * entry count byte and the chunk's bytes; the reader is fed them in order
 * with a watch list holding an address and a title watch, and must end
 * without a leak or an out-of-bounds read whatever they hold.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/graph.h"
#include "sweep/hits.h"
#include "sweep/runidx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char watches[] = "version: 1\nsource: fuzz\nentries:\n"
			      "  - {kind: cidr, value: 198.18.0.0/15}\n"
			      "  - {kind: title, value: Panel}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_watchlist w = {0};
	struct bph_run_state st = {0};
	struct bph_runidx_load L = {.w = &w, .want_graph = true, .state = &st};
	struct bph_runidx_reader *r;
	char err[256];
	bool found = true;
	int rc = 0;

	if (bph_watch_load_mem(&w, "fuzz.yaml", watches, sizeof(watches) - 1,
			       err, sizeof(err)) ||
	    bph_watch_finish(&w))
		abort();
	if (!(r = bph_runidx_reader_new(&L)))
		abort();
	while (!rc && size >= 3) {
		size_t len = (size_t)data[0] | (size_t)data[1] << 8,
		       n = data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		rc = bph_runidx_chunk(r, data, len, n);
		data += len;
		size -= len;
	}
	rc = bph_runidx_end(r, rc, &found);
	if ((rc || !found) && L.g)
		abort(); /* a failed read keeps no graph */
	bph_runidx_load_clear(&L);
	bph_run_state_clear(&st);
	bph_watch_clear(&w);
	return 0;
}
