/*
 * fuzz_ranges_lists.c - libFuzzer target for the deny-list parsers of
 * ranges/parse_lists.c (drop, asndrop, netset, plain, feodo, dshield):
 * the first byte picks the kind, the rest is the file.
 */
#include "tests/fuzz/fuzz_ranges_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bph_kind kinds[] = {
	    BPH_KIND_DROP,  BPH_KIND_ASNDROP, BPH_KIND_NETSET,
	    BPH_KIND_PLAIN, BPH_KIND_FEODO,   BPH_KIND_DSHIELD};
	bph_fuzz_ranges(kinds, sizeof(kinds) / sizeof(kinds[0]), data, size);
	return 0;
}
