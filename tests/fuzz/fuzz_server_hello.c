/*
 * libFuzzer: ServerHello record and message parsers, then JA3S and the
 * extension string on whatever parsed; Certificate messages in both framings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/tls_hello.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void derive(const struct bph_server_hello *sh)
{
	char *full = NULL, *ext = NULL, md5[33];

	if (sh->n_ext > BPH_SH_MAX_EXT || memchr(sh->alpn, 0, 256) == NULL)
		abort();
	if (bph_ja3s(sh, &full, md5) == 0 && strlen(md5) != 32)
		abort();
	if (bph_server_hello_ext_string(sh, &ext) == 0 &&
	    strlen(ext) != (sh->n_ext ? sh->n_ext * 5 - 1 : 0))
		abort();
	free(full);
	free(ext);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bph_server_hello sh;

	if (bph_server_hello_parse_record(data, size, &sh) == 0)
		derive(&sh);
	if (bph_server_hello_parse_msg(data, size, &sh) == 0)
		derive(&sh);
	for (int tls13 = 0; tls13 < 2; tls13++) {
		const uint8_t *der;
		size_t len;
		int count;
		if (bph_tls_certificate_leaf(data, size, tls13, &der, &len,
					     &count) == 0 &&
		    (count < 1 || der < data || der + len > data + size))
			abort();
	}
	return 0;
}
