/*
 * fuzz_service_check.h - the invariant every importer's output must keep,
 * shared by the import fuzzers (a bph_import callback): an open service on
 * a real port with a protocol, and hashes of the documented lengths.
 */
#ifndef BPH_FUZZ_SERVICE_CHECK_H
#define BPH_FUZZ_SERVICE_CHECK_H

#include <stdlib.h>
#include <string.h>

#include "fingerprints/record.h"

static inline int bph_fuzz_check_service(void *ctx, const struct bph_service *s)
{
	(void)ctx;
	if (s->state != BPH_STATE_OPEN || s->port == 0 || !s->proto)
		abort();
	if (s->tls && strlen(s->tls->cert_sha256) != 64)
		abort();
	if (s->http && s->http->body_len && strlen(s->http->body_sha256) != 64)
		abort();
	for (size_t i = 0; s->ssh && i < s->ssh->n_hostkeys; i++)
		if (strncmp(s->ssh->hostkeys[i].sha256, "SHA256:", 7))
			abort();
	return 0;
}

#endif
