/*
 * fuzz_ranges_routing.c - libFuzzer target for the routing and registry
 * parsers of ranges/parse_routing.c (pfx2as, ip2asn, asrel, as2org,
 * delegated): the first byte picks the kind, the rest is the file.
 */
#include "tests/fuzz/fuzz_ranges_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bph_kind kinds[] = {BPH_KIND_PFX2AS, BPH_KIND_IP2ASN,
					      BPH_KIND_ASREL, BPH_KIND_AS2ORG,
					      BPH_KIND_DELEGATED};
	bph_fuzz_ranges(kinds, sizeof(kinds) / sizeof(kinds[0]), data, size);
	return 0;
}
