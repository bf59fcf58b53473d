/*
 * http_parse.c - bounded HTTP/1.x response parser (RFC 9112) and the HTML
 * bits bphound fingerprints: title, icon link, printable rendering.
 *
 * The parser is re-run over all bytes received so far on every call; it
 * keeps no state between calls, so a partial response costs one scan and
 * the body is copied only once the response is complete.
 */
#include "fingerprints/http_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "fingerprints/favicon.h"

#define CHUNK_LINE_MAX	 1024 /* chunk-size line with extensions */
#define CHUNK_DIGITS_MAX 15   /* 2^60: no overflow, far above the body cap */
#define INTERIM_MAX	 8    /* 1xx responses skipped before the final one */
#define TITLE_MAX	 1024
#define HREF_MAX	 4096

struct line {
	const uint8_t *p;
	size_t len;  /* without CR LF (or bare LF) */
	size_t next; /* offset just after the LF */
};

/*
 * The line starting at off. A line, LF included, may not exceed max bytes.
 * Returns 0, BPH_ERR_TRUNCATED or BPH_ERR_TOOBIG.
 */
static int next_line(const uint8_t *p, size_t n, size_t off, size_t max,
		     struct line *l)
{
	size_t avail = n - off;
	const uint8_t *lf = memchr(p + off, '\n', avail < max ? avail : max);

	if (!lf)
		return avail >= max ? BPH_ERR_TOOBIG : BPH_ERR_TRUNCATED;
	l->p = p + off;
	l->len = (size_t)(lf - l->p);
	if (l->len > 0 && l->p[l->len - 1] == '\r')
		l->len--;
	l->next = (size_t)(lf - p) + 1;
	return 0;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Value of a hex digit, -1 for anything else. */
static int hex_val(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 tchar. */
static bool is_tchar(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return true;
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* "HTTP/d.d SP ddd [SP reason]" */
static int parse_status_line(const struct line *l, struct bph_http_resp *r)
{
	const uint8_t *s = l->p;

	if (l->len < 12 || memcmp(s, "HTTP/", 5) != 0 || !is_digit(s[5]) ||
	    s[6] != '.' || !is_digit(s[7]) || s[8] != ' ' || !is_digit(s[9]) ||
	    !is_digit(s[10]) || !is_digit(s[11]))
		return BPH_ERR_FORMAT;
	if (l->len > 12 && s[12] != ' ')
		return BPH_ERR_FORMAT;
	r->status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
	if (r->status < 100)
		return BPH_ERR_FORMAT;
	r->status_line = (const char *)s;
	r->status_line_len = l->len;
	return 0;
}

/*
 * One header line; lines without a valid "token:" are skipped (servers in
 * the wild send them, and a fingerprinter should still read the rest).
 * obs-fold continuation lines are skipped as well.
 */
static int add_header(const struct line *l, struct bph_http_resp *r)
{
	const uint8_t *colon = memchr(l->p, ':', l->len);
	struct bph_http_header *h;
	size_t nl, vs, ve;

	if (!colon || colon == l->p)
		return 0;
	nl = (size_t)(colon - l->p);
	for (size_t i = 0; i < nl; i++)
		if (!is_tchar(l->p[i]))
			return 0;
	if (r->n_headers == BPH_HTTP_MAX_HEADERS)
		return BPH_ERR_TOOBIG;
	vs = nl + 1;
	ve = l->len;
	while (vs < ve && is_ows(l->p[vs]))
		vs++;
	while (ve > vs && is_ows(l->p[ve - 1]))
		ve--;
	h = &r->headers[r->n_headers++];
	h->name = (const char *)l->p;
	h->name_len = nl;
	h->value = (const char *)l->p + vs;
	h->value_len = ve - vs;
	return 0;
}

/* Status line and header section from off; sets r->header_len. */
static int parse_head(const uint8_t *p, size_t n, size_t off,
		      struct bph_http_resp *r)
{
	struct line l;
	int rc;

	if (memcmp(p + off, "HTTP/", n - off < 5 ? n - off : 5) != 0)
		return BPH_ERR_FORMAT; /* not HTTP: fail before waiting */
	rc = next_line(p, n, off, BPH_HTTP_MAX_LINE, &l);
	if (rc == 0)
		rc = parse_status_line(&l, r);
	while (rc == 0) {
		off = l.next;
		rc = next_line(p, n, off, BPH_HTTP_MAX_LINE, &l);
		if (rc)
			break;
		if (l.len == 0) {
			r->header_len = l.next;
			return 0;
		}
		rc = add_header(&l, r);
	}
	return rc;
}

static bool token_eq(const char *s, size_t n, const char *tok)
{
	return strlen(tok) == n && strncasecmp(s, tok, n) == 0;
}

/* True if the last transfer coding of the last TE header is chunked. */
static bool te_chunked(const struct bph_http_header *h)
{
	size_t end = h->value_len, start;

	while (end > 0 &&
	       (is_ows((uint8_t)h->value[end - 1]) || h->value[end - 1] == ','))
		end--;
	start = end;
	while (start > 0 && h->value[start - 1] != ',' &&
	       !is_ows((uint8_t)h->value[start - 1]))
		start--;
	return token_eq(h->value + start, end - start, "chunked");
}

/* Decimal Content-Length; -1 if it is not a plain number. */
static long long parse_length(const struct bph_http_header *h)
{
	long long v = 0;

	if (h->value_len == 0 || h->value_len > 18)
		return -1;
	for (size_t i = 0; i < h->value_len; i++) {
		if (!is_digit((uint8_t)h->value[i]))
			return -1;
		v = v * 10 + (h->value[i] - '0');
	}
	return v;
}

/*
 * Body framing (RFC 9112 6.3): chunked wins over Content-Length; a
 * Content-Length that is not a number, or several that disagree, is
 * ignored and the body runs until the peer closes.
 */
static void framing(struct bph_http_resp *r)
{
	bool cl_bad = false;

	r->content_length = -1;
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct bph_http_header *h = &r->headers[i];
		if (token_eq(h->name, h->name_len, "transfer-encoding")) {
			r->chunked = te_chunked(h);
		} else if (token_eq(h->name, h->name_len, "content-length")) {
			long long v = parse_length(h);
			if (v < 0 ||
			    (r->content_length >= 0 && r->content_length != v))
				cl_bad = true;
			r->content_length = v;
		}
	}
	if (cl_bad)
		r->content_length = -1;
}

static bool no_body_status(int status)
{
	return (status >= 100 && status < 200) || status == 204 ||
	       status == 304;
}

struct dechunk {
	struct bph_sbuf *out; /* NULL: only find where the body ends */
	size_t total;	      /* de-chunked bytes so far */
	bool cut;	      /* capped, malformed or closed early */
};

static void chunk_data(struct dechunk *d, const uint8_t *p, size_t n)
{
	size_t room = BPH_HTTP_MAX_BODY - d->total;

	if (n > room) {
		n = room;
		d->cut = true;
	}
	if (d->out)
		bph_sbuf_put(d->out, p, n);
	d->total += n;
}

/* Hex chunk size, optionally followed by ";ext" or whitespace. */
static int chunk_size(const struct line *l, size_t *size)
{
	size_t i = 0, v = 0;

	for (; i < l->len && i <= CHUNK_DIGITS_MAX; i++) {
		uint8_t c = l->p[i];
		int x = hex_val(c);
		if (x < 0)
			break;
		v = v * 16 + (size_t)x;
	}
	if (i == 0 || i > CHUNK_DIGITS_MAX)
		return BPH_ERR_FORMAT;
	if (i < l->len && l->p[i] != ';' && !is_ows(l->p[i]))
		return BPH_ERR_FORMAT;
	*size = v;
	return 0;
}

/* Skips trailer fields after the last chunk, up to the blank line. */
static int chunk_trailers(const uint8_t *p, size_t n, size_t off)
{
	struct line l;
	int rc;

	for (int i = 0; i <= BPH_HTTP_MAX_HEADERS; i++) {
		rc = next_line(p, n, off, BPH_HTTP_MAX_LINE, &l);
		if (rc || l.len == 0)
			return rc;
		off = l.next;
	}
	return BPH_ERR_TOOBIG;
}

/*
 * Walks chunked data p[0..n). Returns 0 when the body is complete, or ends
 * early for good (d->cut: capped, malformed, closed at eof), and
 * BPH_ERR_TRUNCATED when more bytes are needed.
 */
static int dechunk(const uint8_t *p, size_t n, bool eof, struct dechunk *d)
{
	size_t off = 0, size;
	struct line l;
	int rc;

	for (;;) {
		rc = next_line(p, n, off, CHUNK_LINE_MAX, &l);
		if (rc == 0)
			rc = chunk_size(&l, &size);
		if (rc == 0 && size == 0)
			break;
		if (rc == 0 && size > n - l.next) {
			if (!eof)
				return BPH_ERR_TRUNCATED;
			chunk_data(d, p + l.next,
				   n - l.next); /* closed early */
			d->cut = true;
			return 0;
		}
		if (rc)
			goto out;
		chunk_data(d, p + l.next, size);
		if (d->cut)
			return 0;
		off = l.next + size;
		if (n - off >= 1 && p[off] == '\n')
			off += 1;
		else if (n - off >= 2 && p[off] == '\r' && p[off + 1] == '\n')
			off += 2;
		else if (n - off >= 2 || (n - off == 1 && p[off] != '\r'))
			rc = BPH_ERR_FORMAT;
		else
			rc = BPH_ERR_TRUNCATED;
		if (rc)
			goto out;
	}
	/* last chunk seen: the body is whole, trailers only delay the end */
	rc = chunk_trailers(p, n, l.next);
	if (rc == BPH_ERR_TOOBIG || (rc == BPH_ERR_TRUNCATED && eof))
		rc = 0;
	return rc;
out:
	if (rc == BPH_ERR_TRUNCATED && !eof)
		return rc;
	d->cut = true; /* malformed, oversized chunk line, or closed early */
	return 0;
}

static int body_copy(struct bph_http_resp *r, const uint8_t *p, size_t n)
{
	if (n == 0)
		return 0;
	r->body = malloc(n);
	if (!r->body)
		return BPH_ERR_NOMEM;
	memcpy(r->body, p, n);
	r->body_len = n;
	return 0;
}

static int body_chunked(struct bph_http_resp *r, const uint8_t *p, size_t n,
			bool eof)
{
	struct dechunk d = {NULL, 0, false};
	struct bph_sbuf b;
	int rc = dechunk(p, n, eof, &d);

	if (rc)
		return rc;
	bph_sbuf_init(&b);
	d = (struct dechunk){&b, 0, false};
	dechunk(p, n, eof, &d);
	if (b.err) {
		bph_sbuf_free(&b);
		return BPH_ERR_NOMEM;
	}
	r->body = b.p;
	r->body_len = b.len;
	r->body_truncated = d.cut;
	return 0;
}

/* Body after the header section: p[0..n) are the bytes past it. */
static int parse_body(struct bph_http_resp *r, const uint8_t *p, size_t n,
		      bool eof)
{
	size_t want;

	if (no_body_status(r->status))
		return 0;
	if (r->chunked)
		return body_chunked(r, p, n, eof);
	if (r->content_length >= 0) {
		want = (unsigned long long)r->content_length > BPH_HTTP_MAX_BODY
			   ? BPH_HTTP_MAX_BODY
			   : (size_t)r->content_length;
		if (n < want && !eof)
			return BPH_ERR_TRUNCATED;
		r->body_truncated =
		    n < want || want < (size_t)r->content_length;
		return body_copy(r, p, n < want ? n : want);
	}
	/* no length: until the peer closes, or the cap */
	if (!eof && n < BPH_HTTP_MAX_BODY)
		return BPH_ERR_TRUNCATED;
	r->body_truncated =
	    n > BPH_HTTP_MAX_BODY || (!eof && n == BPH_HTTP_MAX_BODY);
	return body_copy(r, p, n < BPH_HTTP_MAX_BODY ? n : BPH_HTTP_MAX_BODY);
}

int bph_http_parse_response(const uint8_t *p, size_t n, bool eof,
			    struct bph_http_resp *resp)
{
	size_t off = 0;
	int rc;

	bph_http_resp_clear(resp);
	for (int i = 0; i <= INTERIM_MAX; i++) {
		if (n == off)
			return BPH_ERR_TRUNCATED;
		rc = parse_head(p, n, off, resp);
		if (rc)
			return rc;
		framing(resp);
		/* 1xx other than 101 precede the real response: skip them */
		if (resp->status >= 200 || resp->status == 101)
			return parse_body(resp, p + resp->header_len,
					  n - resp->header_len, eof);
		off = resp->header_len;
		bph_http_resp_clear(resp);
	}
	return BPH_ERR_TOOBIG;
}

void bph_http_resp_clear(struct bph_http_resp *resp)
{
	if (!resp)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
	resp->content_length = -1;
}

const struct bph_http_header *bph_http_header_get(const struct bph_http_resp *r,
						  const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; i < r->n_headers; i++)
		if (r->headers[i].name_len == len &&
		    strncasecmp(r->headers[i].name, name, len) == 0)
			return &r->headers[i];
	return NULL;
}

/* Duplicates a header's value; *out stays NULL when it is absent. */
static int dup_header(const struct bph_http_resp *r, const char *name,
		      char **out)
{
	const struct bph_http_header *h = bph_http_header_get(r, name);

	if (!h)
		return 0;
	*out = strndup(h->value, h->value_len);
	return *out ? 0 : BPH_ERR_NOMEM;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;

	out[0] = '\0';
	if (EVP_Digest(p, n, d, &dlen, EVP_sha256(), NULL) == 1 && dlen == 32)
		bph_hex(d, dlen, out);
}

static bool seen_before(const struct bph_http_resp *r, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (r->headers[j].name_len == r->headers[i].name_len &&
		    strncasecmp(r->headers[j].name, r->headers[i].name,
				r->headers[i].name_len) == 0)
			return true;
	return false;
}

/*
 * Header names in order, original case, all of them; and HHHash over the
 * names with case-insensitive duplicates dropped after their first
 * occurrence (python-requests / urllib3 merge them that way).
 */
static int fill_headers(const struct bph_http_resp *r, struct bph_http_info *h)
{
	struct bph_sbuf b;
	int rc = 0;

	h->headers = calloc(r->n_headers ? r->n_headers : 1, sizeof(char *));
	if (!h->headers)
		return BPH_ERR_NOMEM;
	bph_sbuf_init(&b);
	for (size_t i = 0; i < r->n_headers; i++) {
		const struct bph_http_header *hd = &r->headers[i];
		h->headers[i] = strndup(hd->name, hd->name_len);
		if (!h->headers[i])
			rc = BPH_ERR_NOMEM;
		h->n_headers = i + 1;
		if (seen_before(r, i))
			continue;
		if (b.len)
			bph_sbuf_u8(&b, ':');
		bph_sbuf_put(&b, hd->name, hd->name_len);
	}
	if (rc == 0)
		rc = b.err;
	memcpy(h->header_hash, "hhh:1:", 6);
	sha256_hex(b.p, b.len, h->header_hash + 6);
	bph_sbuf_free(&b);
	return rc;
}

int bph_http_info_fill(const struct bph_http_resp *r, struct bph_http_info *h)
{
	int rc;

	h->status = r->status;
	h->body_len = r->body_len;
	h->body_mmh3 = bph_mmh3_signed(r->body, r->body_len);
	sha256_hex(r->body, r->body_len, h->body_sha256);
	h->status_line =
	    strndup(r->status_line ? r->status_line : "", r->status_line_len);
	if (!h->status_line)
		return BPH_ERR_NOMEM;
	rc = dup_header(r, "Server", &h->server);
	if (rc == 0)
		rc = dup_header(r, "X-Powered-By", &h->powered_by);
	if (rc == 0)
		rc = dup_header(r, "Location", &h->location);
	if (rc == 0)
		rc = fill_headers(r, h);
	if (rc == 0 && r->body_len > 0) {
		h->title = bph_html_title(r->body, r->body_len);
		/* NULL means no title; an allocation failure looks the same */
	}
	return rc;
}

/* ---- HTML ---- */

/* Case-insensitive search for needle in p[0..n); offset or n. */
static size_t find_ci(const uint8_t *p, size_t n, size_t from,
		      const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = from; i + k <= n; i++)
		if (strncasecmp((const char *)p + i, needle, k) == 0)
			return i;
	return n;
}

/*
 * Offset just past the name of the next start tag `name` from `from`
 * (followed by whitespace, '/' or '>'), skipping comments; n if none.
 */
static size_t find_tag(const uint8_t *p, size_t n, size_t from,
		       const char *name)
{
	size_t k = strlen(name);

	for (size_t i = from; i < n; i++) {
		if (p[i] != '<')
			continue;
		if (n - i >= 4 && memcmp(p + i, "<!--", 4) == 0) {
			size_t e = find_ci(p, n, i + 4, "-->");
			if (e == n)
				return n;
			i = e + 2;
			continue;
		}
		if (n - i < k + 2 ||
		    strncasecmp((const char *)p + i + 1, name, k) != 0)
			continue;
		uint8_t c = p[i + 1 + k];
		if (c == '>' || c == '/' || c == ' ' || c == '\t' ||
		    c == '\n' || c == '\r' || c == '\f')
			return i + 1 + k;
	}
	return n;
}

static bool is_html_space(uint32_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static size_t utf8_encode(uint32_t cp, uint8_t out[4])
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* &#NNN; or &#xHH; at p (after "&#"); returns code point, 0 if invalid. */
static uint32_t numeric_ref(const uint8_t *p, size_t n, size_t *used)
{
	bool hex = n > 0 && (p[0] | 0x20) == 'x';
	size_t i = hex ? 1 : 0, start = i;
	uint32_t v = 0;

	for (; i < n && i - start < 8; i++) {
		uint8_t c = p[i];
		int x = hex ? hex_val(c) : is_digit(c) ? c - '0' : -1;
		if (x < 0)
			break;
		v = v * (hex ? 16 : 10) + (uint32_t)x;
	}
	if (i == start || i >= n || p[i] != ';')
		return 0;
	*used = i + 1;
	if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return 0xfffd;
	return v;
}

/*
 * Decodes one character reference at p ('&'). Returns the code point and
 * sets *used, or returns 0 when it is not a reference we know (the '&' is
 * then kept literally).
 */
static uint32_t char_ref(const uint8_t *p, size_t n, size_t *used)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = {
	    {"&amp;", '&'},  {"&lt;", '<'},    {"&gt;", '>'},
	    {"&quot;", '"'}, {"&apos;", '\''}, {"&nbsp;", 0xa0},
	};

	if (n >= 3 && p[1] == '#') {
		uint32_t cp = numeric_ref(p + 2, n - 2, used);
		*used += 2;
		return cp;
	}
	for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t k = strlen(named[i].name);
		if (n >= k &&
		    strncasecmp((const char *)p, named[i].name, k) == 0) {
			*used = k;
			return named[i].cp;
		}
	}
	return 0;
}

struct text_out {
	uint8_t buf[TITLE_MAX + 4];
	size_t len;
	bool space; /* a whitespace run is pending */
	bool full;
};

/* Appends one character; whitespace runs collapse, controls vanish. */
static void text_put(struct text_out *t, uint32_t cp, const uint8_t *raw,
		     size_t rawlen)
{
	uint8_t enc[4];

	if (is_html_space(cp)) {
		t->space = t->len > 0;
		return;
	}
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0 && !raw))
		return;
	if (!raw) {
		rawlen = utf8_encode(cp, enc);
		raw = enc;
	}
	if (t->len + (t->space ? 1 : 0) + rawlen > TITLE_MAX) {
		t->full = true;
		return;
	}
	if (t->space)
		t->buf[t->len++] = ' ';
	t->space = false;
	memcpy(t->buf + t->len, raw, rawlen);
	t->len += rawlen;
}

/* Drops a multi-byte UTF-8 sequence cut short by the cap. */
static void trim_partial_utf8(struct text_out *t)
{
	size_t i = t->len, k = 0;

	while (i > 0 && k < 4 && (t->buf[i - 1] & 0xc0) == 0x80) {
		i--;
		k++;
	}
	if (i == 0 || t->buf[i - 1] < 0xc0)
		return;
	uint8_t lead = t->buf[i - 1];
	size_t need = lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : 1;
	if (k < need)
		t->len = i - 1;
}

static void decode_text(const uint8_t *p, size_t n, struct text_out *t)
{
	size_t used;

	for (size_t i = 0; i < n && !t->full; i += used) {
		uint32_t cp = 0;
		used = 1;
		if (p[i] == '&')
			cp = char_ref(p + i, n - i, &used);
		if (cp)
			text_put(t, cp, NULL, 0);
		else if (p[i] >= 0x80)
			text_put(t, p[i], p + i, 1); /* raw byte, kept as is */
		else
			text_put(t, p[i], NULL, 0);
		if (!cp)
			used = 1;
	}
	if (t->full)
		trim_partial_utf8(t);
}

char *bph_html_title(const uint8_t *body, size_t n)
{
	struct text_out *t;
	size_t start, end;
	const uint8_t *gt;
	char *out;

	start = find_tag(body, n, 0, "title");
	if (start == n)
		return NULL;
	gt = memchr(body + start, '>', n - start);
	if (!gt)
		return NULL;
	start = (size_t)(gt - body) + 1;
	/* RCDATA: runs to </title, or to the end of what we have */
	end = find_ci(body, n, start, "</title");
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	decode_text(body + start, end - start, t);
	out = strndup((const char *)t->buf, t->len);
	free(t);
	return out;
}

struct attr {
	const uint8_t *name, *val;
	size_t name_len, val_len;
};

/*
 * Reads the next attribute of a tag from *i; returns false at '>' or the
 * end. Values may be "double", 'single' or unquoted.
 */
static bool next_attr(const uint8_t *p, size_t n, size_t *i, struct attr *a)
{
	size_t j = *i;

	while (j < n && (is_html_space(p[j]) || p[j] == '/'))
		j++;
	if (j >= n || p[j] == '>')
		return false;
	a->name = p + j;
	while (j < n && !is_html_space(p[j]) && p[j] != '=' && p[j] != '>' &&
	       p[j] != '/')
		j++;
	a->name_len = (size_t)(p + j - a->name);
	a->val = p + j;
	a->val_len = 0;
	while (j < n && is_html_space(p[j]))
		j++;
	if (j < n && p[j] == '=') {
		j++;
		while (j < n && is_html_space(p[j]))
			j++;
		uint8_t q = j < n && (p[j] == '"' || p[j] == '\'') ? p[j] : 0;
		j += q ? 1 : 0;
		a->val = p + j;
		while (j < n &&
		       (q ? p[j] != q : !is_html_space(p[j]) && p[j] != '>'))
			j++;
		a->val_len = (size_t)(p + j - a->val);
		j += q && j < n ? 1 : 0;
	}
	*i = j;
	return true;
}

/* True if the space-separated rel value holds the token "icon". */
static bool rel_has_icon(const uint8_t *v, size_t n)
{
	size_t i = 0;

	while (i < n) {
		while (i < n && is_html_space(v[i]))
			i++;
		size_t s = i;
		while (i < n && !is_html_space(v[i]))
			i++;
		if (i - s == 4 &&
		    strncasecmp((const char *)v + s, "icon", 4) == 0)
			return true;
	}
	return false;
}

/* href, entity-decoded (&amp; is common in URLs), trimmed. */
static char *decode_href(const uint8_t *v, size_t n)
{
	struct bph_sbuf b;
	size_t used;
	uint8_t enc[4];

	bph_sbuf_init(&b);
	for (size_t i = 0; i < n; i += used) {
		uint32_t cp = 0;
		used = 1;
		if (v[i] == '&')
			cp = char_ref(v + i, n - i, &used);
		if (cp)
			bph_sbuf_put(&b, enc, utf8_encode(cp, enc));
		else if (v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
			bph_sbuf_u8(&b, v[i]); /* URLs drop tabs and newlines */
		if (!cp)
			used = 1;
	}
	bph_sbuf_u8(&b, '\0');
	if (b.err) {
		bph_sbuf_free(&b);
		return NULL;
	}
	char *s = (char *)b.p, *e = s + b.len - 1;
	while (*s == ' ' || *s == '\f')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\f'))
		e--;
	char *out = strndup(s, (size_t)(e - s));
	bph_sbuf_free(&b);
	return out;
}

char *bph_html_icon_href(const uint8_t *body, size_t n)
{
	size_t i = 0;

	while ((i = find_tag(body, n, i, "link")) < n) {
		const uint8_t *href = NULL;
		size_t href_len = 0;
		bool icon = false;
		struct attr a;
		while (next_attr(body, n, &i, &a)) {
			if (token_eq((const char *)a.name, a.name_len, "rel"))
				icon = rel_has_icon(a.val, a.val_len);
			else if (token_eq((const char *)a.name, a.name_len,
					  "href") &&
				 !href) {
				href = a.val;
				href_len = a.val_len;
			}
		}
		if (icon && href && href_len > 0 && href_len <= HREF_MAX)
			return decode_href(href, href_len);
	}
	return NULL;
}

/* Bytes one input byte takes in bph_printable's output. */
static size_t esc_len(uint8_t c)
{
	if (c == '\\' || c == '\r' || c == '\n' || c == '\t')
		return 2;
	return c >= 0x20 && c < 0x7f ? 1 : 4;
}

char *bph_printable(const uint8_t *p, size_t n, size_t max)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0, cap = 0;
	char *out;

	for (size_t i = 0; i < n && cap + esc_len(p[i]) <= max; i++)
		cap += esc_len(p[i]);
	out = malloc(cap + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; o < cap; i++) {
		uint8_t c = p[i];
		if (esc_len(c) == 1) {
			out[o++] = (char)c;
			continue;
		}
		out[o++] = '\\';
		if (c == '\\' || c == '\r' || c == '\n' || c == '\t') {
			out[o++] = c == '\\'   ? '\\'
				   : c == '\r' ? 'r'
				   : c == '\n' ? 'n'
					       : 't';
			continue;
		}
		out[o++] = 'x';
		out[o++] = hexd[c >> 4];
		out[o++] = hexd[c & 15];
	}
	out[o] = '\0';
	return out;
}
