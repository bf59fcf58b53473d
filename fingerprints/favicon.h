/*
 * favicon.h - MurmurHash3 and Shodan's favicon / body hashes.
 *
 * Shodan's http.favicon.hash is mmh3_x86_32(seed 0), signed, over the
 * base64 of the icon with a '\n' after every 76 characters and at the end
 * (Python's base64.encodebytes).
 */
#ifndef BPH_FINGERPRINTS_FAVICON_H
#define BPH_FINGERPRINTS_FAVICON_H

#include <stddef.h>
#include <stdint.h>

/* MurmurHash3_x86_32; blocks read little-endian on every host. */
uint32_t bph_mmh3_x86_32(const void *p, size_t n, uint32_t seed);

/* Signed mmh3 of the raw bytes (Shodan's banner `hash`, http.html_hash). */
int32_t bph_mmh3_signed(const void *p, size_t n);

/*
 * Shodan http.favicon.hash of raw icon bytes; empty input gives 0 (so does
 * an allocation failure for the base64 text).
 */
int32_t bph_favicon_hash(const uint8_t *p, size_t n);

/*
 * Python base64.encodebytes: MIME base64 with '\n' every 76 chars and at the
 * end. Returns a heap string owned by the caller, NULL on allocation failure.
 */
char *bph_base64_mime(const uint8_t *p, size_t n, size_t *out_len);

#endif
