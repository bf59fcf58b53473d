/*
 * fuzz_ssh_kex_reply.c - SSH_MSG_KEX_ECDH_REPLY host key extraction and
 * host key fingerprinting over arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/ssh_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fingerprint(const uint8_t *p, size_t n)
{
	struct bph_ssh_hostkey hk;

	if (bph_sshkey_fingerprint(p, n, &hk) == 0) {
		if (!hk.type || strncmp(hk.sha256, "SHA256:", 7) != 0)
			abort();
		free(hk.type);
	} else if (hk.type) {
		abort(); /* nothing is owned after an error */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *ks;
	size_t ks_len;

	if (bph_ssh_ecdh_reply_hostkey(data, size, &ks, &ks_len) == 0) {
		if (ks < data || ks + ks_len > data + size)
			abort();
		fingerprint(ks, ks_len);
	}
	fingerprint(data, size);
	return 0;
}
