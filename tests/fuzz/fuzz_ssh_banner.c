/*
 * fuzz_ssh_banner.c - the SSH identification line finder over arbitrary
 * bytes, with its output invariants.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/ssh_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *line;
	size_t len, used;

	if (bph_ssh_find_banner(data, size, &line, &len, &used) != 0)
		return 0;
	if (used > size || line < data || line + len >= data + used ||
	    len + 2 > BPH_SSH_BANNER_MAX + 1 || memcmp(line, "SSH-", 4) != 0 ||
	    data[used - 1] != '\n')
		abort();
	return 0;
}
