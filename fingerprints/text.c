/*
 * text.c - cleaning strings that came from the network (UTF-8 repair,
 * control characters escaped) for the record's writers and the terminal.
 * Contract in text.h.
 */
#include "fingerprints/text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

static bool cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Second-byte bounds that rule out overlongs, surrogates and > U+10FFFF. */
static void second_bounds(unsigned char lead, unsigned char *lo,
			  unsigned char *hi)
{
	*lo = 0x80;
	*hi = 0xbf;
	if (lead == 0xe0)
		*lo = 0xa0;
	else if (lead == 0xed)
		*hi = 0x9f;
	else if (lead == 0xf0)
		*lo = 0x90;
	else if (lead == 0xf4)
		*hi = 0x8f;
}

size_t bph_utf8_decode(const unsigned char *p, size_t n, unsigned *cp)
{
	unsigned char lo, hi;
	size_t len;
	unsigned v;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		v = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		v = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		v = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	second_bounds(p[0], &lo, &hi);
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (!cont(p[i]))
			return 0;
		v = (v << 6) | (p[i] & 0x3f);
	}
	*cp = v;
	return len;
}

static bool xml_char(unsigned cp)
{
	if (cp < 0x20)
		return cp == 0x09 || cp == 0x0a || cp == 0x0d;
	return cp != 0xfffe && cp != 0xffff;
}

/*
 * Length of the sequence at p (at least 1 when n > 0); *ok tells whether
 * it may be copied. An ill-formed byte is a sequence of length 1; a
 * well-formed character XML forbids is replaced as a whole.
 */
static size_t next_seq(const unsigned char *p, size_t n,
		       enum bph_text_mode mode, bool *ok)
{
	unsigned cp = 0;
	size_t len = bph_utf8_decode(p, n, &cp);

	*ok = len && (mode != BPH_TEXT_XML || xml_char(cp));
	return len ? len : 1;
}

/* Bytes at the start of p (n in all) that are clean one by one for mode
 * without decoding: ASCII, and in XML mode not a forbidden control. */
static size_t plain_run(const unsigned char *p, size_t n,
			enum bph_text_mode mode)
{
	size_t i = 0;

	if (mode == BPH_TEXT_XML)
		while (i < n && p[i] < 0x80 &&
		       (p[i] >= 0x20 || p[i] == 0x09 || p[i] == 0x0a ||
			p[i] == 0x0d))
			i++;
	else
		while (i < n && p[i] < 0x80)
			i++;
	return i;
}

bool bph_text_is_clean(const char *s, enum bph_text_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;
	bool ok = true;

	while (n > 0 && ok) {
		size_t len = plain_run(p, n, mode);
		if (len) {
			p += len;
			n -= len;
			continue;
		}
		len = next_seq(p, n, mode, &ok);
		p += len;
		n -= len;
	}
	return ok;
}

char *bph_text_clean(const char *s, enum bph_text_mode mode)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s ? strlen(s) : 0;
	char *out = malloc(3 * n + 1); /* each byte grows to at most 3 */
	size_t o = 0;

	if (!out)
		return NULL;
	while (n > 0) {
		bool ok;
		size_t len = plain_run(p, n, mode);
		if (len) {
			memcpy(out + o, p, len);
			o += len;
			p += len;
			n -= len;
			continue;
		}
		len = next_seq(p, n, mode, &ok);
		memcpy(out + o, ok ? (const char *)p : replacement,
		       ok ? len : 3);
		o += ok ? len : 3;
		p += len;
		n -= len;
	}
	out[o] = '\0';
	return out;
}

bool bph_text_escaped_cp(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape jansson's dump writes for cp (< 0x80), or NULL when it
 * writes the character itself. */
static const char *json_escape(unsigned cp, char buf[8])
{
	switch (cp) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\b':
		return "\\b";
	case '\f':
		return "\\f";
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	default:
		break;
	}
	if (cp >= 0x20)
		return NULL;
	snprintf(buf, 8, "\\u%04X", cp);
	return buf;
}

/* Bytes at the start of p (n in all) that JSON writes as they are
 * without decoding: printable ASCII but '"' and '\\'. Eight at a time
 * while it can (no byte < 0x20, >= 0x80, '"' or '\\' in the word). */
static size_t json_plain_run(const unsigned char *p, size_t n)
{
	const uint64_t ones = 0x0101010101010101ULL, high = ones * 0x80;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t w, q, b;
		memcpy(&w, p + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		if (((w - ones * 0x20) | w | ((q - ones) & ~q) |
		     ((b - ones) & ~b)) &
		    high)
			break;
	}
	while (i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
	       p[i] != '\\')
		i++;
	return i;
}

void bph_json_quote(const char *s, bph_text_put put, void *ctx)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t n = strlen(s);
	char buf[8];

	put(ctx, "\"", 1);
	while (n > 0) {
		size_t plain = json_plain_run(p, n);
		if (plain) { /* part of the run */
			p += plain;
			n -= plain;
			continue;
		}
		unsigned cp = *p;
		size_t len = bph_utf8_decode(p, n, &cp);
		const char *esc = !len	      ? replacement
				  : cp < 0x80 ? json_escape(cp, buf)
					      : NULL;
		if (esc) { /* the run before, then the escape */
			put(ctx, (const char *)run, (size_t)(p - run));
			put(ctx, esc, strlen(esc));
			run = p + (len ? len : 1);
		}
		p += len ? len : 1;
		n -= len ? len : 1;
	}
	put(ctx, (const char *)run, (size_t)(p - run));
	put(ctx, "\"", 1);
}

size_t bph_json_int_str(long long v, char buf[24])
{
	char tmp[24], *p = tmp + sizeof(tmp);
	unsigned long long u =
	    v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v;
	size_t n;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(buf, p, n);
	buf[n] = '\0';
	return n;
}

void bph_print_text(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);

	while (n > 0) {
		unsigned cp = 0;
		size_t len = bph_utf8_decode(p, n, &cp);
		if (!len)
			fprintf(out, "\\x%02x", *p); /* not UTF-8: the byte */
		else if (cp == '\\' || (cp < 0x80 && bph_text_escaped_cp(cp)))
			fprintf(out, "\\x%02x", cp);
		else if (bph_text_escaped_cp(cp))
			fprintf(out, "\\u%04x", cp);
		else
			fwrite(p, 1, len, out);
		p += len ? len : 1;
		n -= len ? len : 1;
	}
}
