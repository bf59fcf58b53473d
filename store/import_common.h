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

#endif
