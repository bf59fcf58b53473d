/*
 * fuzz_import_zgrab.c - libFuzzer target for bph_import_zgrab(): any JSON
 * must import or be refused without crashing, leaking or reading out of
 * bounds; every service handed out must be open with a protocol, and
 * carry hashes of the documented lengths.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/import_zgrab.h"
#include "tests/fuzz/fuzz_service_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t bad = 0;
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	if (!j)
		return 0;
	(void)bph_import_is_zgrab(j);
	bph_import_zgrab(j, bph_fuzz_check_service, NULL, &bad, err,
			 sizeof(err));
	json_decref(j);
	return 0;
}
