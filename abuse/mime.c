/*
 * mime.c - the .eml writer of abuse reports: address checks, header text
 * as RFC 2047 encoded-words, quoted-printable and base64 parts. The rules
 * are in abuse/mime.h; docs/output.md "Abuse reports" shows a message.
 */
#include "abuse/mime.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"

/* ---- addresses ---- */

static bool atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c));
}

static bool local_ok(const char *s, size_t n)
{
	if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(atext(s[i]) || (s[i] == '.' && s[i + 1] != '.')))
			return false;
	return true;
}

static bool label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* An LDH host name with at least one dot and a TLD of two or more
 * characters that is not all digits. */
static bool domain_ok(const char *s)
{
	size_t n = strlen(s), dots = 0, last = 0;
	bool alpha_tld = false;
	if (n == 0 || n > 253)
		return false;
	for (const char *p = s;; dots++) {
		size_t k = strcspn(p, ".");
		if (!label_ok(p, k))
			return false;
		alpha_tld = strspn(p, "0123456789") < k;
		last = k;
		if (!p[k])
			break;
		p += k + 1;
	}
	return dots >= 1 && alpha_tld && last >= 2;
}

bool bph_mime_addr_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	if (!at || strchr(at + 1, '@') || strlen(s) > 254)
		return false;
	return local_ok(s, (size_t)(at - s)) && domain_ok(at + 1);
}

/* ---- header text ---- */

static bool dropped_cp(unsigned cp)
{
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

static bool control_cp(unsigned cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
	       cp == 0x2028 || cp == 0x2029;
}

char *bph_mime_text(const char *s, size_t max)
{
	char *clean = bph_text_clean(s, BPH_TEXT_UTF8), *out;
	size_t n, w = 0;
	if (!clean)
		return NULL;
	n = strlen(clean);
	out = malloc(n + 1);
	for (size_t i = 0; out && i < n;) {
		unsigned cp = 0;
		size_t k = bph_utf8_decode((const unsigned char *)clean + i,
					   n - i, &cp);
		if (k == 0) /* cannot happen after cleaning */
			k = 1;
		if (dropped_cp(cp)) {
			i += k;
			continue;
		}
		bool space = cp == ' ' || control_cp(cp);
		if (space && (w == 0 || out[w - 1] == ' ')) {
			i += k;
			continue;
		}
		if (w + (space ? 1 : k) > max)
			break;
		if (space)
			out[w++] = ' ';
		else
			memcpy(out + w, clean + i, k), w += k;
		i += k;
	}
	while (out && w && out[w - 1] == ' ')
		w--;
	if (out)
		out[w] = '\0';
	free(clean);
	return out;
}

/* Printable ASCII without anything a reader would decode, in words short
 * enough to fold within 78 columns. */
static bool plain_ascii(const char *s)
{
	size_t word = 0;
	for (const char *p = s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
		word = *p == ' ' ? 0 : word + 1;
		if (word > 60)
			return false;
	}
	return !strstr(s, "=?");
}

/* Appends s as encoded-words of at most 42 bytes of UTF-8 each (56
 * base64 characters, 68 with the delimiters, so "Subject: " and one word
 * fit 78 columns), at *col, folding between words. */
static void encoded_words(struct bph_sbuf *b, const char *s, size_t *col)
{
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t k = 0, cp_len;
		unsigned cp;
		while (
		    i + k < n &&
		    (cp_len = bph_utf8_decode((const unsigned char *)s + i + k,
					      n - i - k, &cp)) &&
		    k + cp_len <= 42)
			k += cp_len;
		if (k == 0)
			k = 1; /* not UTF-8: cannot happen after cleaning */
		char *b64 = bph_mime_base64(s + i, k);
		if (i && *col + 13 + (b64 ? strlen(b64) : 0) > 78) {
			bph_sbuf_str(b, "\r\n ");
			*col = 1;
		} else if (i) {
			bph_sbuf_str(b, " ");
			(*col)++;
		}
		bph_sbuf_str(b, "=?UTF-8?B?");
		bph_sbuf_str(b, b64 ? b64 : "");
		bph_sbuf_str(b, "?=");
		*col += 12 + (b64 ? strlen(b64) : 0);
		free(b64);
		i += k;
	}
}

/* Appends printable ASCII words at *col, folding before a word that would
 * pass 76 columns. */
static void ascii_words(struct bph_sbuf *b, const char *s, size_t *col)
{
	bool first = true;
	for (const char *p = s; *p;) {
		size_t k = strcspn(p, " ");
		if (k) {
			if (!first && *col + 1 + k > 76) {
				bph_sbuf_str(b, "\r\n");
				*col = 0;
			}
			if (!first) {
				bph_sbuf_str(b, " ");
				(*col)++;
			}
			bph_sbuf_put(b, p, k);
			*col += k;
			first = false;
		}
		p += k;
		p += strspn(p, " ");
	}
}

static void header_name(struct bph_sbuf *b, const char *name, size_t *col)
{
	bph_sbuf_str(b, name);
	bph_sbuf_str(b, ": ");
	*col = strlen(name) + 2;
}

void bph_mime_header_text(struct bph_sbuf *b, const char *name,
			  const char *text)
{
	char *t = bph_mime_text(text, 400);
	size_t col;
	header_name(b, name, &col);
	if (t && plain_ascii(t))
		ascii_words(b, t, &col);
	else if (t)
		encoded_words(b, t, &col);
	else
		b->err = BPH_ERR_NOMEM;
	bph_sbuf_str(b, "\r\n");
	free(t);
}

/* A display name: atoms as written, other printable ASCII quoted, the
 * rest encoded. */
static void phrase(struct bph_sbuf *b, const char *t, size_t *col)
{
	bool atoms = true;
	for (const char *p = t; *p; p++)
		atoms &= *p == ' ' || atext(*p);
	if (!plain_ascii(t)) {
		encoded_words(b, t, col);
		return;
	}
	if (atoms) {
		bph_sbuf_str(b, t);
		*col += strlen(t);
		return;
	}
	bph_sbuf_u8(b, '"');
	for (const char *p = t; *p; p++) {
		if (*p == '"' || *p == '\\')
			bph_sbuf_u8(b, '\\');
		bph_sbuf_u8(b, (uint8_t)*p);
	}
	bph_sbuf_u8(b, '"');
	*col += strlen(t) + 2;
}

int bph_mime_header_addr(struct bph_sbuf *b, const char *name,
			 const char *display, const char *addr)
{
	char *t = NULL;
	size_t col;
	if (!bph_mime_addr_ok(addr))
		return BPH_ERR_FORMAT;
	if (display && !(t = bph_mime_text(display, 200)))
		return BPH_ERR_NOMEM;
	header_name(b, name, &col);
	if (t && *t) {
		phrase(b, t, &col);
		if (col + strlen(addr) + 3 > 76)
			bph_sbuf_str(b, "\r\n");
		bph_sbuf_str(b, " <");
		bph_sbuf_str(b, addr);
		bph_sbuf_str(b, ">");
	} else {
		bph_sbuf_str(b, addr);
	}
	bph_sbuf_str(b, "\r\n");
	free(t);
	return 0;
}

void bph_mime_header_raw(struct bph_sbuf *b, const char *name,
			 const char *value)
{
	bph_sbuf_str(b, name);
	bph_sbuf_str(b, ": ");
	for (const char *p = value; *p; p++)
		bph_sbuf_u8(b, *p >= 0x20 && *p <= 0x7e ? (uint8_t)*p : '?');
	bph_sbuf_str(b, "\r\n");
}

int bph_mime_boundary(char *out)
{
	unsigned char r[16];
	char hex[33];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return BPH_ERR_CRYPTO;
	bph_hex(r, sizeof(r), hex);
	snprintf(out, 48, "=_bphound_%s", hex);
	return 0;
}

/* ---- parts ---- */

static void part_start(struct bph_sbuf *b, const char *boundary)
{
	bph_sbuf_str(b, "\r\n--");
	bph_sbuf_str(b, boundary);
	bph_sbuf_str(b, "\r\n");
}

/* Quoted-printable of one line (no line end in it), soft-broken at 76. */
static void qp_line(struct bph_sbuf *b, const unsigned char *p, size_t n)
{
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		char tok[4];
		bool last = i + 1 == n;
		if (p[i] >= 33 && p[i] <= 126 && p[i] != '=')
			snprintf(tok, sizeof(tok), "%c", p[i]);
		else if ((p[i] == ' ' || p[i] == '\t') && !last)
			snprintf(tok, sizeof(tok), "%c", p[i]);
		else
			snprintf(tok, sizeof(tok), "=%02X", p[i]);
		if (col + strlen(tok) > 75) {
			bph_sbuf_str(b, "=\r\n");
			col = 0;
		}
		bph_sbuf_str(b, tok);
		col += strlen(tok);
	}
	bph_sbuf_str(b, "\r\n");
}

void bph_mime_part_text(struct bph_sbuf *b, const char *boundary,
			const char *text)
{
	char *t = bph_text_clean(text, BPH_TEXT_UTF8);
	part_start(b, boundary);
	bph_sbuf_str(b, "Content-Type: text/plain; charset=utf-8\r\n"
			"Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	if (!t) {
		b->err = BPH_ERR_NOMEM;
		return;
	}
	for (const char *p = t; *p;) {
		size_t n = strcspn(p, "\n");
		size_t k = n && p[n - 1] == '\r' ? n - 1 : n;
		qp_line(b, (const unsigned char *)p, k);
		p += n + (p[n] == '\n');
	}
	free(t);
}

static void safe_name(struct bph_sbuf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') ||
			  (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
			  *p == '_';
		bph_sbuf_u8(b, ok ? (uint8_t)*p : '_');
	}
}

void bph_mime_part_file(struct bph_sbuf *b, const char *boundary,
			const char *ctype, const char *filename,
			const void *data, size_t len)
{
	char *b64 = bph_mime_base64(data, len);
	part_start(b, boundary);
	bph_mime_header_raw(b, "Content-Type", ctype);
	bph_sbuf_str(b, "Content-Disposition: attachment; filename=\"");
	safe_name(b, filename);
	bph_sbuf_str(b, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	if (!b64) {
		b->err = BPH_ERR_NOMEM;
		return;
	}
	for (size_t i = 0, n = strlen(b64); i < n; i += 76) {
		bph_sbuf_put(b, b64 + i, n - i < 76 ? n - i : 76);
		bph_sbuf_str(b, "\r\n");
	}
	free(b64);
}

void bph_mime_end(struct bph_sbuf *b, const char *boundary)
{
	bph_sbuf_str(b, "\r\n--");
	bph_sbuf_str(b, boundary);
	bph_sbuf_str(b, "--\r\n");
}

char *bph_mime_base64(const void *p, size_t n)
{
	char *out;
	if (n > (SIZE_MAX / 4) * 3 - 3 || n > INT32_MAX / 2)
		return NULL;
	out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
	return out;
}
