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
#define BPH_HTTP_MAX_LINE    8192
#define BPH_HTTP_MAX_BODY    (1024 * 1024)

struct bph_http_header {
	/* borrowed from the caller's buffer, not NUL-terminated */
	const char *name;
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
	size_t header_len; /* bytes up to and including the blank line */
	bool chunked;
	long long content_length; /* -1 if absent */
	/* heap, de-chunked, owned by the resp; free with _clear */
	uint8_t *body;
	size_t body_len;
	/* body incomplete: hit BPH_HTTP_MAX_BODY, peer closed before the
	 * declared length, or a malformed chunk ended it */
	bool body_truncated;
};

/*
 * Parses p[0..n). eof says the peer closed. Returns 0 when the response is
 * complete (at eof a body without length ends there), BPH_ERR_TRUNCATED when
 * more bytes are needed (at eof: the head never completed),
 * BPH_ERR_FORMAT (not an HTTP/1.x status line, known from the first bytes)
 * or BPH_ERR_TOOBIG (header line, header count, interim 1xx count) when it
 * never will be. resp must be zeroed (or cleared) before the first call;
 * each call first releases what the previous one left. resp borrows p for
 * header pointers; call bph_http_resp_clear() after.
 *
 * Lenient where servers in the wild are sloppy: bare LF line ends; header
 * lines without a valid "token:" and obs-fold lines are skipped; an invalid
 * or conflicting Content-Length is ignored (body until close); a short
 * body at eof, or a malformed chunk, ends the body with body_truncated.
 * 1xx responses (but 101) before the final one are skipped; 1xx, 204 and
 * 304 have no body. Content codings (gzip) are not undone.
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
 * h is fresh (bph_http_info_new); the strings it gets are owned by h, also
 * after an error (BPH_ERR_NOMEM). headers lists every name in response
 * order, original case, duplicates included; HHHash ("hhh:1:" + sha256 hex
 * of the names joined by ':') keeps a name only at its first
 * case-insensitive occurrence, as python-requests does.
 */
int bph_http_info_fill(const struct bph_http_resp *r, struct bph_http_info *h);

/*
 * Inner text of the first <title> element (outside comments), entity-decoded
 * (&amp; &lt; &gt; &quot; &apos; &nbsp; &#NNN; &#xHH;; invalid numbers give
 * U+FFFD, unknown entities stay literal), control characters removed, runs
 * of ASCII whitespace collapsed to one space and trimmed (as a browser's
 * document.title), at most 1024 bytes, never splitting a UTF-8 sequence
 * at the cap. Like a browser, a missing </title> runs to the end of the
 * body, and tags inside are text. Bytes that are not valid UTF-8 are kept
 * as they are (the JSON writer cleans them). Heap string owned by the
 * caller; "" for an empty title; NULL when there is none (or no memory).
 */
char *bph_html_title(const uint8_t *body, size_t n);

/*
 * href of the first <link> whose rel holds the token "icon" ("icon",
 * "shortcut icon"), with double, single or no quotes, entity-decoded and
 * trimmed; at most 4096 bytes. Heap string owned by the caller; NULL if
 * none.
 */
char *bph_html_icon_href(const uint8_t *body, size_t n);

/*
 * Renders bytes as printable text for the generic banner: printable ASCII
 * as is, backslash as \\, CR LF TAB as \r \n \t, the rest as \xNN.
 * At most max output bytes (an escape is never cut). Heap string owned by
 * the caller; NULL on allocation failure.
 */
char *bph_printable(const uint8_t *p, size_t n, size_t max);

#endif
