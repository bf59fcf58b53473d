/*
 * http_parse.h - HTTP/1.x response parsing and HTML extraction.
 *
 * The parser is incremental over a bounded buffer: call it after each read
 * with all bytes so far; it says whether the response is complete. Header
 * lines, header count and body size are capped.
 */
#ifndef BPH_FINGERPRINTS_HTTP_PARSE_H
#define BPH_FINGERPRINTS_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

#define BPH_HTTP_MAX_HEADERS 100
#define BPH_HTTP_MAX_LINE 8192
#define BPH_HTTP_MAX_BODY (1024 * 1024)

struct bph_http_header {
	const char *name; /* borrowed from the caller's buffer, not NUL-terminated */
	size_t name_len;
	const char *value;
	size_t value_len;
};

struct bph_http_resp {
	int status;
	const char *status_line; /* borrowed, without CR LF */
	size_t status_line_len;
	struct bph_http_header headers[BPH_HTTP_MAX_HEADERS];
	size_t n_headers;
	size_t header_len;  /* bytes up to and including the blank line */
	bool chunked;
	long long content_length; /* -1 if absent */
	uint8_t *body;      /* heap, de-chunked, owned by the resp; free with _clear */
	size_t body_len;
	bool body_truncated; /* hit BPH_HTTP_MAX_BODY */
};

/*
 * Parses p[0..n). eof says the peer closed. Returns 0 when the response is
 * complete (at eof a body without length ends there), BPH_ERR_TRUNCATED when
 * more bytes are needed, BPH_ERR_FORMAT/BPH_ERR_TOOBIG when it never will be.
 * resp borrows p for header pointers; call bph_http_resp_clear() after.
 */
int bph_http_parse_response(const uint8_t *p, size_t n, bool eof,
			    struct bph_http_resp *resp);
void bph_http_resp_clear(struct bph_http_resp *resp);

/* Case-insensitive header lookup; NULL if absent. */
const struct bph_http_header *bph_http_header_get(const struct bph_http_resp *r,
						  const char *name);

/*
 * Fills status, status_line, server, powered_by, location, headers, HHHash,
 * title, body_sha256, body_mmh3 and body_len of h from a parsed response.
 */
int bph_http_info_fill(const struct bph_http_resp *r, struct bph_http_info *h);

/*
 * Inner text of the first <title> element, entity-decoded (&amp; &lt; &gt;
 * &quot; &#39; &#NNN; &#xHH;), control characters removed, surrounding
 * whitespace trimmed, at most 1024 bytes. NULL when there is none.
 */
char *bph_html_title(const uint8_t *body, size_t n);

/* href of the first <link rel="icon"> / "shortcut icon"; NULL if none. */
char *bph_html_icon_href(const uint8_t *body, size_t n);

/*
 * Renders bytes as printable text (\xNN for the rest, \r \n \t kept as
 * escapes) for the generic banner, capped at max output bytes.
 */
char *bph_printable(const uint8_t *p, size_t n, size_t max);

#endif
