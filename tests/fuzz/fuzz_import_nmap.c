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

#include "scanner/import_nmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(void *ctx, const struct bph_service *s)
{
	(void)ctx;
	if (s->state != BPH_STATE_OPEN || s->port == 0 || !s->proto)
		abort();
	if (s->tls && strlen(s->tls->cert_sha256) != 64)
		abort();
	for (size_t i = 0; s->ssh && i < s->ssh->n_hostkeys; i++)
		if (strncmp(s->ssh->hostkeys[i].sha256, "SHA256:", 7))
			abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	size_t bad = 0;

	(void)bph_import_is_nmap((const char *)data, size);
	bph_import_nmap((const char *)data, size, check, NULL, &bad, err,
			sizeof(err));
	return 0;
}
