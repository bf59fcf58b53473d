/*
 * mime.h - writing the .eml files of abuse reports (RFC 5322 messages with
 * RFC 2045-2049 MIME parts), so that nothing from the network or from a
 * registry can add or bend a header.
 *
 * Header rules (docs/output.md "Abuse reports"):
 *  - an address must be a plain addr-spec (dot-atom local part, an LDH
 *    domain with a dot, at most 254 bytes): anything else is refused, never
 *    repaired, and the caller drops it;
 *  - free text (Subject, display names) is cleaned to printable UTF-8 (no
 *    C0 or C1 control, so no CR or LF, no bidi override) and, when it is
 *    not plain printable ASCII, written as RFC 2047 encoded-words
 *    (UTF-8, base64) of at most 75 bytes, folded, never splitting a
 *    character;
 *  - every line ends in CRLF and stays within 78 bytes.
 * Bodies are quoted-printable (text) or base64 (attachments), both with
 * lines of at most 76 bytes, so the boundary ("=_" and hex, which neither
 * encoding can produce) never occurs inside a part.
 */
#ifndef BPH_ABUSE_MIME_H
#define BPH_ABUSE_MIME_H

#include <stdbool.h>
#include <stddef.h>

#include "fingerprints/buf.h"

/* Whether s is an addr-spec bphound writes into a header. */
bool bph_mime_addr_ok(const char *s);

/*
 * A copy of s fit for a header: cleaned to UTF-8 (bph_text_clean), every
 * control character (C0, DEL, C1, U+2028, U+2029) replaced by a space,
 * bidi embedding and override controls dropped, runs of spaces joined, cut
 * to max bytes at a character boundary. A new string (caller frees), NULL
 * on allocation failure.
 */
char *bph_mime_text(const char *s, size_t max);

/*
 * Appends "Name: text" (text through bph_mime_text) to b: as written when
 * it is printable ASCII, else as encoded-words, folded. CRLF ends it.
 */
void bph_mime_header_text(struct bph_sbuf *b, const char *name,
			  const char *text);

/*
 * Appends "Name: display <addr>" (display may be NULL or "": the address
 * alone). Returns 0, or BPH_ERR_FORMAT (nothing appended) when addr is not
 * bph_mime_addr_ok().
 */
int bph_mime_header_addr(struct bph_sbuf *b, const char *name,
			 const char *display, const char *addr);

/* Appends a header whose value bphound made itself (ASCII, no CR/LF:
 * dates, ids, MIME parameters); anything else is replaced by '?'. */
void bph_mime_header_raw(struct bph_sbuf *b, const char *name,
			 const char *value);

/* A fresh boundary "=_bphound_" + 32 hex digits into out (48 bytes).
 * Returns 0 or BPH_ERR_CRYPTO. */
int bph_mime_boundary(char *out);

/*
 * Appends a text/plain UTF-8 part (text cleaned to UTF-8, its LF or CRLF
 * line ends made CRLF) in quoted-printable, after "--boundary".
 */
void bph_mime_part_text(struct bph_sbuf *b, const char *boundary,
			const char *text);

/*
 * Appends an attachment part: ctype (e.g. "application/json"), filename
 * (bphound's own: [A-Za-z0-9._-] only, else replaced by '_'), data in
 * base64.
 */
void bph_mime_part_file(struct bph_sbuf *b, const char *boundary,
			const char *ctype, const char *filename,
			const void *data, size_t len);

/* Appends the closing "--boundary--". */
void bph_mime_end(struct bph_sbuf *b, const char *boundary);

/* Standard base64 of n bytes (no line breaks) as a new string (caller
 * frees); NULL on allocation failure. */
char *bph_mime_base64(const void *p, size_t n);

#endif
