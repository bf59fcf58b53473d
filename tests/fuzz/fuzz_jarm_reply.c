/*
 * libFuzzer: JARM reply reducer (bph_jarm_parse_reply) and, on its output,
 * the fuzzy hash (bph_jarm_hash).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/jarm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char one[BPH_JARM_RESULT_MAX];
	static char raw[10 * BPH_JARM_RESULT_MAX + 16];
	char jarm[63];
	size_t len;
	int rc;

	bph_jarm_parse_reply(data, size, one);
	len = strlen(one);
	if (len >= BPH_JARM_RESULT_MAX)
		abort();
	if (strcmp(one, "|||") != 0 && !memchr(one, '|', len))
		abort();
	/* the reply as probe 1, the others failed */
	memcpy(raw, one, len);
	memcpy(raw + len, ",|||,|||,|||,|||,|||,|||,|||,|||,|||", 37);
	rc = bph_jarm_hash(raw, jarm);
	if (rc == 0 && strlen(jarm) != 62)
		abort();
	if (rc != 0 && rc != BPH_ERR_FORMAT)
		abort();
	return 0;
}
