/*
 * fuzz_import_nmap.c - libFuzzer target for bph_import_nmap(): any bytes
 * must parse or be refused without crashing, leaking or reading out of
 * bounds; every service handed out must be open, on a real port, and
 * carry hashes of the documented lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/import_nmap.h"
#include "tests/fuzz/fuzz_service_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t bad = 0;

	(void)bph_import_is_nmap((const char *)data, size);
	bph_import_nmap((const char *)data, size, bph_fuzz_check_service, NULL,
			&bad, err, sizeof(err));
	return 0;
}
