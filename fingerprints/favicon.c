/*
 * favicon.c - MurmurHash3_x86_32 (Austin Appleby's public-domain algorithm,
 * written here from its description) and Shodan's favicon hash.
 */
#include "fingerprints/favicon.h"

#include <stdlib.h>
#include <string.h>

#define MMH3_C1 0xcc9e2d51u
#define MMH3_C2 0x1b873593u

static uint32_t rotl32(uint32_t x, int r)
{
	return (x << r) | (x >> (32 - r));
}

static uint32_t mix_k(uint32_t k)
{
	k *= MMH3_C1;
	k = rotl32(k, 15);
	return k * MMH3_C2;
}

static uint32_t fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* Blocks are read little-endian on every host, as Python's mmh3 on x86. */
static uint32_t load_le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

uint32_t bph_mmh3_x86_32(const void *p, size_t n, uint32_t seed)
{
	const uint8_t *d = p;
	size_t nblocks = n / 4;
	uint32_t h = seed;
	uint32_t k = 0;

	for (size_t i = 0; i < nblocks; i++) {
		h ^= mix_k(load_le32(d + 4 * i));
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64u;
	}
	const uint8_t *tail = d + 4 * nblocks;
	switch (n & 3) {
	case 3:
		k ^= (uint32_t)tail[2] << 16;
		/* fall through */
	case 2:
		k ^= (uint32_t)tail[1] << 8;
		/* fall through */
	case 1:
		k ^= tail[0];
		h ^= mix_k(k);
	}
	h ^= (uint32_t)n;
	return fmix32(h);
}

int32_t bph_mmh3_signed(const void *p, size_t n)
{
	uint32_t u = bph_mmh3_x86_32(p, n, 0);
	int32_t s;
	memcpy(&s, &u, sizeof(s)); /* two's complement reinterpretation */
	return s;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encodes 1..3 input bytes as 4 characters with '=' padding. */
static void b64_quad(const uint8_t *in, size_t k, char out[4])
{
	uint32_t v = (uint32_t)in[0] << 16;
	if (k > 1)
		v |= (uint32_t)in[1] << 8;
	if (k > 2)
		v |= in[2];
	out[0] = b64_alphabet[(v >> 18) & 63];
	out[1] = b64_alphabet[(v >> 12) & 63];
	out[2] = k > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
	out[3] = k > 2 ? b64_alphabet[v & 63] : '=';
}

char *bph_base64_mime(const uint8_t *p, size_t n, size_t *out_len)
{
	size_t chars = (n + 2) / 3 * 4;
	size_t lines = (chars + 75) / 76;
	char *out = malloc(chars + lines + 1);
	size_t o = 0, col = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		b64_quad(p + i, n - i < 3 ? n - i : 3, out + o);
		o += 4;
		col += 4;
		if (col == 76) { /* 76 is a multiple of 4: lines end on quads */
			out[o++] = '\n';
			col = 0;
		}
	}
	if (col > 0)
		out[o++] = '\n';
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return out;
}

int32_t bph_favicon_hash(const uint8_t *p, size_t n)
{
	size_t len;
	char *b64;
	int32_t h;

	if (n == 0)
		return 0;
	b64 = bph_base64_mime(p, n, &len);
	if (!b64)
		return 0;
	h = bph_mmh3_signed(b64, len);
	free(b64);
	return h;
}
