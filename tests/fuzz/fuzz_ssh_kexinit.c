/*
 * fuzz_ssh_kexinit.c - binary packet split, KEXINIT parse and HASSHServer
 * over arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fingerprints/ssh_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kexinit(const uint8_t *p, size_t n)
{
	char *lists[BPH_KEX_LISTS], *algs = NULL;
	char md5[33];

	if (bph_ssh_kexinit_parse(p, n, lists) == 0 &&
	    bph_hassh_server(lists, &algs, md5) == 0)
		free(algs);
	for (int i = 0; i < BPH_KEX_LISTS; i++)
		free(lists[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *pl;
	size_t pl_len, used;

	kexinit(data, size);
	if (bph_ssh_packet_parse(data, size, &pl, &pl_len, &used) == 0) {
		if (used > size || pl < data || pl + pl_len > data + size)
			abort();
		kexinit(pl, pl_len);
	}
	return 0;
}
