/* libFuzzer: bph_x509_fill on arbitrary DER. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/x509fp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_tls_info *t = bph_tls_info_new();

	if (!t)
		return 0;
	if (bph_x509_fill(data, size, t) == 0) {
		if (strlen(t->cert_sha256) != 64 ||
		    strlen(t->spki_sha256) != 64 || !t->subject ||
		    strlen(t->subject) > BPH_X509_NAME_MAX ||
		    t->n_san > BPH_X509_SAN_MAX)
			abort();
		/* a second fill replaces every string without leaking */
		if (bph_x509_fill(data, size, t) != 0)
			abort();
	}
	bph_tls_info_free(t);
	return 0;
}
