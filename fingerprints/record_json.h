/*
 * record_json.h - one bph_service <-> one JSON object (jansson), and the
 * JSON Lines writer.
 *
 * Field names follow the output contract in docs/output.md ("ip", "port",
 * "state", "tcp", "tls", "ssh", "http"), plus the extra fields the record
 * model holds ("seen" as Unix seconds, "proto", "banner", "tls.version",
 * ...). Absent sub-objects and empty strings are omitted. Hex is written in
 * lower case.
 *
 * Untrusted strings: jansson only accepts valid UTF-8, so every string from
 * the record goes through bph_text_clean(): each byte that does not start a
 * well-formed UTF-8 sequence becomes U+FFFD; control characters are kept
 * and jansson escapes them as \u00XX. Writing, reading and writing again
 * therefore yields byte-identical JSON.
 */
#ifndef BPH_FINGERPRINTS_RECORD_JSON_H
#define BPH_FINGERPRINTS_RECORD_JSON_H

#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

#include "fingerprints/buf.h"
#include "fingerprints/record.h"

/* Longest string accepted from JSON input; longer ones are cut to this. */
#define BPH_JSON_STR_MAX 65536

/*
 * Returns a new JSON object (caller owns the reference) for s, which it
 * borrows; NULL on allocation failure.
 */
json_t *bph_service_to_json(const struct bph_service *s);

/*
 * Appends to b the text json_dumps(bph_service_to_json(s), JSON_COMPACT |
 * JSON_PRESERVE_ORDER) gives, without building the tree: no NUL, no
 * newline. Both come from one walk of the record (record_json.c), and
 * tests/unit/test_fp_record_text.c compares them byte for byte. Returns
 * 0, BPH_ERR_NOMEM (b->err), or BPH_ERR_FORMAT when seen has no RFC 3339
 * form (where bph_service_to_json returns NULL); b then holds part of a
 * text.
 */
int bph_service_json_text(struct bph_sbuf *b, const struct bph_service *s);

/*
 * Fills *out (which must be zeroed or cleared; the caller frees it with
 * bph_service_clear() on success and failure alike) from j, which it
 * borrows. Unknown fields are ignored; wrong types, bad hex, bad addresses
 * and out-of-range numbers fail. Returns 0, BPH_ERR_FORMAT (message naming
 * the field in err, if err is not NULL) or BPH_ERR_NOMEM.
 */
int bph_service_from_json(const json_t *j, struct bph_service *out, char *err,
			  size_t errlen);

/*
 * Fills *out (zeroed or cleared; the caller frees it with
 * bph_service_clear() on success and failure alike) with in as
 * bph_service_from_json(bph_service_to_json(in)) gives it back, without
 * building the tree: every string cleaned as above and cut at
 * BPH_JSON_STR_MAX bytes, empty strings NULL, NULL entries of san,
 * headers and kexinit "" (kexinit all NULL when none is set), hex lower
 * case, an unknown state BPH_STATE_UNKNOWN, and zero what the JSON form
 * does not carry (tcp when not present, tcp.has_ts, tsval and tsecr,
 * favicon_mmh3 without has_favicon). Returns 0, BPH_ERR_NOMEM, or
 * BPH_ERR_FORMAT where the round trip fails: a fixed field that cleaning
 * makes too long, a hex field that is not hex, more san (4096), headers
 * (1024) or hostkeys (64) than the reader takes, seen outside the years
 * 0 to 9999, a length above LLONG_MAX. tests/unit/test_fp_record_json.c
 * compares the two on hostile records.
 */
int bph_service_normalize(const struct bph_service *in,
			  struct bph_service *out);

/*
 * Writes s as one compact JSON line (bph_service_json_text, then '\n')
 * to f. Returns 0, BPH_ERR_NOMEM, BPH_ERR_FORMAT (seen, as above) or
 * BPH_ERR_IO.
 */
int bph_jsonl_write(FILE *f, const struct bph_service *s);

/* "open", "closed", "filtered" or "unknown". */
const char *bph_state_name(enum bph_port_state st);

#endif
