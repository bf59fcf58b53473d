/*
 * fuzz_sweep_snap.c - libFuzzer target for bph_snap_decode(), the reader
 * of a run's stored snapshot (sweep/snap.h, table sweep_snaps): any
 * accepted chunk must encode back to the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/snap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_snap sn = {0};
	size_t n = size / BPH_SNAP_REC + (size % 7 == 3); /* also a wrong n */
	unsigned char *back = NULL;

	if (bph_snap_decode(&sn, data, size, n) == 0) {
		if (sn.n != n || !(back = malloc(n * BPH_SNAP_REC + 1)))
			abort();
		bph_snap_encode(&sn, 0, n, back);
		if (n && memcmp(back, data, size))
			abort(); /* not the bytes it read */
	}
	free(back);
	bph_snap_clear(&sn);
	return 0;
}
