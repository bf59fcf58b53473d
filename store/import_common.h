/*
 * import_common.h - what the importers of other scanners' output share:
 * they turn each open service they find into a struct bph_service and
 * hand it to a callback (the store, a test, a fuzzer).
 */
#ifndef BPH_STORE_IMPORT_COMMON_H
#define BPH_STORE_IMPORT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fingerprints/record.h"

/*
 * Receives one service (borrowed: valid during the call only). Returns 0
 * to go on, or a negative BPH_ERR_* that stops the import and is returned
 * by the importer.
 */
typedef int (*bph_import_cb)(void *ctx, const struct bph_service *s);

/*
 * Decodes standard base64 text of len bytes (whitespace skipped, at most
 * max output bytes). Returns a heap buffer owned by the caller with its
 * length in *out_len, or NULL (bad input, too long, no memory).
 */
uint8_t *bph_import_b64(const char *text, size_t len, size_t max,
			size_t *out_len);

/* Parses "2026-11-26T19:56:40" with an optional fraction and "Z" or a
 * numeric offset; returns Unix time, or 0 when it cannot. */
time_t bph_import_time(const char *s);

/*
 * A parser thread's memory of decoded certificates (store/certcache.c):
 * `slots` certificates at most (a fixed table keyed by the DER's SHA-256;
 * a newer certificate takes an older one's slot). NULL when out of
 * memory; free with bph_certcache_free (NULL is a no-op).
 */
struct bph_certcache;
struct bph_certcache *bph_certcache_new(size_t slots);
void bph_certcache_free(struct bph_certcache *c);

/*
 * bph_x509_fill (fingerprints/x509fp.h) with the same results and errors,
 * decoding a DER c holds already only once: its fields are copied from
 * c. c may be NULL (every call decodes). Not thread-safe: one c per
 * thread.
 */
int bph_certcache_fill(struct bph_certcache *c, const uint8_t *der, size_t len,
		       struct bph_tls_info *t);

#endif
