/*
 * fuzz_ranges_detect.c - libFuzzer target for kind detection
 * (ranges/parse_detect.c) and the decompressing line reader
 * (ranges/reader.c): any bytes, gzip or bzip2 or not, are detected and
 * then parsed as the detected kind. The first byte is ignored.
 */
#include "tests/fuzz/fuzz_ranges_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bph_kind kinds[] = {BPH_KIND_NONE};
	bph_fuzz_ranges(kinds, 1, data, size);
	return 0;
}
