/*
 * uuid.c - version 4 and version 5 UUIDs (RFC 9562 sections 5.4 and
 * 5.5) over OpenSSL's RAND_bytes and SHA-1. Contracts in abuse/uuid.h.
 */
#include "abuse/uuid.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fingerprints/err.h"

const unsigned char bph_uuid_ns_bphound[16] = {
    0x05, 0xa1, 0x33, 0x4e, 0xaf, 0xa6, 0x50, 0xe8,
    0x8a, 0xf1, 0x7f, 0x73, 0xcd, 0x2b, 0x88, 0x73,
};

static void format(const unsigned char b[16], char *out)
{
	snprintf(out, BPH_UUID_STRLEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
		 b[10], b[11], b[12], b[13], b[14], b[15]);
}

int bph_uuid4(char *out)
{
	unsigned char b[16];
	if (RAND_bytes(b, sizeof(b)) != 1)
		return BPH_ERR_CRYPTO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	format(b, out);
	return 0;
}

int bph_uuid5(const unsigned char ns[16], const char *name, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
		 EVP_DigestUpdate(ctx, ns, 16) &&
		 EVP_DigestUpdate(ctx, name, strlen(name)) &&
		 EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return BPH_ERR_CRYPTO;
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	format(md, out);
	return 0;
}
