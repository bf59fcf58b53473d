/*
 * fuzz_ranges_rpsl.c - libFuzzer target for the RPSL dump parser of
 * ranges/parse_rpsl.c (inetnum, inet6num, organisation, role, irt,
 * aut-num; continuation lines; bounded objects). The first byte is
 * ignored (one kind).
 */
#include "tests/fuzz/fuzz_ranges_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bph_kind kinds[] = {BPH_KIND_RPSL};
	bph_fuzz_ranges(kinds, 1, data, size);
	return 0;
}
