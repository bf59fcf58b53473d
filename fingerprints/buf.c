/*
 * buf.c - the bounds-checked cursor over untrusted bytes and the growable
 * output buffer; the contracts are in buf.h.
 */
#include "fingerprints/buf.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

int bph_cur_u8(struct bph_cur *c, uint8_t *v)
{
	if (c->len < 1)
		return BPH_ERR_TRUNCATED;
	*v = c->p[0];
	c->p++;
	c->len--;
	return 0;
}

int bph_cur_u16(struct bph_cur *c, uint16_t *v)
{
	if (c->len < 2)
		return BPH_ERR_TRUNCATED;
	*v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	c->len -= 2;
	return 0;
}

int bph_cur_u24(struct bph_cur *c, uint32_t *v)
{
	if (c->len < 3)
		return BPH_ERR_TRUNCATED;
	*v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	c->len -= 3;
	return 0;
}

int bph_cur_u32(struct bph_cur *c, uint32_t *v)
{
	if (c->len < 4)
		return BPH_ERR_TRUNCATED;
	*v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
	     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	c->len -= 4;
	return 0;
}

int bph_cur_bytes(struct bph_cur *c, size_t n, const uint8_t **out)
{
	if (c->len < n)
		return BPH_ERR_TRUNCATED;
	*out = c->p;
	c->p += n;
	c->len -= n;
	return 0;
}

int bph_cur_skip(struct bph_cur *c, size_t n)
{
	const uint8_t *unused;
	return bph_cur_bytes(c, n, &unused);
}

int bph_cur_sub(struct bph_cur *c, size_t n, struct bph_cur *sub)
{
	const uint8_t *p;
	int rc = bph_cur_bytes(c, n, &p);
	if (rc == 0)
		*sub = bph_cur_make(p, n);
	return rc;
}

int bph_cur_string(struct bph_cur *c, size_t max, const uint8_t **s,
		   size_t *len)
{
	struct bph_cur t = *c;
	uint32_t n;
	int rc = bph_cur_u32(&t, &n);

	if (rc)
		return rc;
	if (n > max)
		return BPH_ERR_TOOBIG;
	rc = bph_cur_bytes(&t, n, s);
	if (rc)
		return rc;
	*len = n;
	*c = t;
	return 0;
}

int bph_cur_peek_u8(const struct bph_cur *c, size_t off, uint8_t *v)
{
	if (off >= c->len)
		return BPH_ERR_TRUNCATED;
	*v = c->p[off];
	return 0;
}

int bph_cur_peek_u24(const struct bph_cur *c, size_t off, uint32_t *v)
{
	struct bph_cur t = *c;

	if (off > c->len)
		return BPH_ERR_TRUNCATED;
	t.p += off;
	t.len -= off;
	return bph_cur_u24(&t, v);
}

void bph_sbuf_init(struct bph_sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void bph_sbuf_free(struct bph_sbuf *b)
{
	free(b->p);
	bph_sbuf_init(b);
}

void bph_sbuf_put(struct bph_sbuf *b, const void *p, size_t n)
{
	if (b->err || n == 0)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *np = realloc(b->p, cap);
		if (!np) {
			b->err = BPH_ERR_NOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

void bph_sbuf_u8(struct bph_sbuf *b, uint8_t v)
{
	bph_sbuf_put(b, &v, 1);
}

void bph_sbuf_u16(struct bph_sbuf *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	bph_sbuf_put(b, x, 2);
}

void bph_sbuf_u24(struct bph_sbuf *b, uint32_t v)
{
	uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	bph_sbuf_put(b, x, 3);
}

void bph_sbuf_u32(struct bph_sbuf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16),
			(uint8_t)(v >> 8), (uint8_t)v};
	bph_sbuf_put(b, x, 4);
}

void bph_sbuf_str(struct bph_sbuf *b, const char *s)
{
	bph_sbuf_put(b, s, strlen(s));
}

void bph_sbuf_patch_len(struct bph_sbuf *b, size_t at, int width, size_t v)
{
	if (b->err || at + (size_t)width > b->len)
		return;
	for (int i = width - 1; i >= 0; i--) {
		b->p[at + (size_t)i] = (uint8_t)v;
		v >>= 8;
	}
}

void bph_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}
