/*
 * cidr.c - prefixes and range sets of both families: parse, format,
 * normalise, subtract, cut into the fewest prefixes, and the
 * special-purpose ranges. The design is in abuse/cidr.h.
 */
#include "abuse/cidr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/reserved.h"

#define U128_MAX (~(bph_u128)0)

unsigned bph_cidr_bits(uint8_t family)
{
	return family == 6 ? 128 : 32;
}

/* The low k bits set (k in 0..128). */
static bph_u128 low_mask(unsigned k)
{
	return k >= 128 ? U128_MAX : (((bph_u128)1 << k) - 1);
}

static bph_u128 host_mask(const struct bph_cidr *c)
{
	return low_mask(bph_cidr_bits(c->family) - c->len);
}

static int fail(const char **why, size_t *col, const char *msg, size_t at)
{
	if (why)
		*why = msg;
	if (col)
		*col = at;
	return BPH_ERR_FORMAT;
}

static int parse_len(const char *s, unsigned max, unsigned *len)
{
	size_t n = strspn(s, "0123456789");
	if (n == 0 || n > 3 || s[n] || (n > 1 && s[0] == '0'))
		return BPH_ERR_FORMAT;
	*len = (unsigned)atoi(s);
	return *len <= max ? 0 : BPH_ERR_FORMAT;
}

static int parse_addr(const char *s, uint8_t *family, bph_u128 *addr)
{
	unsigned char b[16];
	bph_u128 v = 0;
	int n;
	if (inet_pton(AF_INET, s, b) == 1) {
		*family = 4;
		n = 4;
	} else if (inet_pton(AF_INET6, s, b) == 1) {
		*family = 6;
		n = 16;
	} else {
		return BPH_ERR_FORMAT;
	}
	for (int i = 0; i < n; i++)
		v = (v << 8) | b[i];
	*addr = v;
	return 0;
}

int bph_cidr_parse(const char *s, struct bph_cidr *out, const char **why,
		   size_t *col)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned len;
	if (alen == 0 || alen >= sizeof(buf))
		return fail(why, col, "is not an IPv4 or IPv6 address", 0);
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (parse_addr(buf, &out->family, &out->addr))
		return fail(why, col, "is not an IPv4 or IPv6 address", 0);
	len = bph_cidr_bits(out->family);
	if (slash && parse_len(slash + 1, len, &len))
		return fail(why, col,
			    out->family == 4
				? "has a prefix length not in 0..32"
				: "has a prefix length not in "
				  "0..128",
			    alen + 1);
	out->len = (uint8_t)len;
	if (out->addr & host_mask(out))
		return fail(why, col,
			    "has host bits set below its prefix length", alen);
	return 0;
}

void bph_cidr_format_addr(uint8_t family, bph_u128 addr, char *out)
{
	unsigned char b[16];
	int n = family == 6 ? 16 : 4;
	for (int i = n - 1; i >= 0; i--) {
		b[i] = (unsigned char)(addr & 0xff);
		addr >>= 8;
	}
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, b, out,
		       BPH_CIDR_STRLEN))
		strcpy(out, "?");
}

void bph_cidr_format(const struct bph_cidr *c, char *out)
{
	bph_cidr_format_addr(c->family, c->addr, out);
	size_t n = strlen(out);
	snprintf(out + n, BPH_CIDR_STRLEN - n, "/%u", c->len);
}

void bph_u128_format(bph_u128 v, char *out)
{
	char tmp[40];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + (unsigned)(v % 10));
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

struct bph_iprange bph_cidr_range(const struct bph_cidr *c)
{
	struct bph_iprange r = {c->family, c->addr, c->addr | host_mask(c)};
	return r;
}

bph_u128 bph_cidr_size(const struct bph_cidr *c)
{
	unsigned k = bph_cidr_bits(c->family) - c->len;
	return k >= 128 ? U128_MAX : (bph_u128)1 << k;
}

/* ---- range sets ---- */

void bph_rangeset_free(struct bph_rangeset *s)
{
	free(s->r);
	memset(s, 0, sizeof(*s));
}

int bph_rangeset_add_range(struct bph_rangeset *s, const struct bph_iprange *r)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct bph_iprange *p = realloc(s->r, cap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		s->r = p;
		s->cap = cap;
	}
	s->r[s->n++] = *r;
	s->normal = false;
	return 0;
}

int bph_rangeset_add(struct bph_rangeset *s, const struct bph_cidr *c)
{
	struct bph_iprange r = bph_cidr_range(c);
	return bph_rangeset_add_range(s, &r);
}

static int cmp_range(const void *a, const void *b)
{
	const struct bph_iprange *x = a, *y = b;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return 0;
}

void bph_rangeset_normalize(struct bph_rangeset *s)
{
	size_t w = 0;
	if (s->normal)
		return;
	if (s->n)
		qsort(s->r, s->n, sizeof(*s->r), cmp_range);
	for (size_t i = 0; i < s->n; i++) {
		struct bph_iprange *last = w ? &s->r[w - 1] : NULL;
		/* touching: last->hi + 1 == lo, without overflowing */
		if (last && last->family == s->r[i].family &&
		    (last->hi >= s->r[i].lo || last->hi + 1 == s->r[i].lo)) {
			if (s->r[i].hi > last->hi)
				last->hi = s->r[i].hi;
			continue;
		}
		s->r[w++] = s->r[i];
	}
	s->n = w;
	s->normal = true;
}

/* Appends what is left of r after removing the normalised ranges of m
 * from index *j on (which the caller's sweep advances). */
static int cut_range(struct bph_rangeset *out, struct bph_iprange r,
		     const struct bph_rangeset *m, size_t *j)
{
	while (*j < m->n && cmp_range(&m->r[*j], &r) < 0 &&
	       (m->r[*j].family < r.family || m->r[*j].hi < r.lo))
		(*j)++;
	for (size_t k = *j;
	     k < m->n && m->r[k].family == r.family && m->r[k].lo <= r.hi;
	     k++) {
		const struct bph_iprange *x = &m->r[k];
		if (x->hi < r.lo)
			continue;
		if (x->lo > r.lo) {
			struct bph_iprange left = {r.family, r.lo, x->lo - 1};
			if (bph_rangeset_add_range(out, &left))
				return BPH_ERR_NOMEM;
		}
		if (x->hi >= r.hi)
			return 0;
		r.lo = x->hi + 1;
	}
	return bph_rangeset_add_range(out, &r);
}

int bph_rangeset_subtract(struct bph_rangeset *s, struct bph_rangeset *minus)
{
	struct bph_rangeset out = {0};
	size_t j = 0;
	bph_rangeset_normalize(s);
	bph_rangeset_normalize(minus);
	for (size_t i = 0; i < s->n; i++)
		if (cut_range(&out, s->r[i], minus, &j)) {
			bph_rangeset_free(&out);
			return BPH_ERR_NOMEM;
		}
	free(s->r);
	*s = out;
	s->normal = true;
	return 0;
}

bool bph_rangeset_contains(const struct bph_rangeset *s, uint8_t family,
			   bph_u128 addr)
{
	size_t lo = 0, hi = s->n;
	struct bph_iprange key = {family, addr, addr};
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_range(&s->r[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && s->r[lo - 1].family == family &&
	       s->r[lo - 1].hi >= addr;
}

/* ---- the fewest prefixes ---- */

static unsigned ctz128(bph_u128 v, unsigned bits)
{
	unsigned n = 0;
	if (v == 0)
		return bits;
	if ((uint64_t)v == 0) {
		n = 64;
		v >>= 64;
	}
	return n + (unsigned)__builtin_ctzll((uint64_t)v);
}

struct cidr_vec {
	struct bph_cidr *p;
	size_t n, cap, max;
};

static int push_cidr(struct cidr_vec *v, uint8_t family, bph_u128 addr,
		     unsigned len)
{
	if (v->n == v->max)
		return BPH_ERR_TOOBIG;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct bph_cidr *p = realloc(v->p, cap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		v->p = p;
		v->cap = cap;
	}
	v->p[v->n].family = family;
	v->p[v->n].len = (uint8_t)len;
	v->p[v->n].addr = addr;
	v->n++;
	return 0;
}

/* Cuts [lo, hi] into the largest aligned blocks of at most 2^maxk. */
static int cut_blocks(struct cidr_vec *v, const struct bph_iprange *r,
		      unsigned maxk)
{
	unsigned bits = bph_cidr_bits(r->family);
	bph_u128 lo = r->lo;
	for (;;) {
		unsigned k = ctz128(lo, bits);
		if (k > maxk)
			k = maxk;
		while (k > 0 && lo + low_mask(k) > r->hi)
			k--;
		int rc = push_cidr(v, r->family, lo, bits - k);
		if (rc)
			return rc;
		bph_u128 end = lo + low_mask(k);
		if (end >= r->hi)
			return 0;
		lo = end + 1;
	}
}

int bph_rangeset_cidrs(const struct bph_rangeset *s, unsigned min_len4,
		       unsigned min_len6, size_t max_out, struct bph_cidr **out,
		       size_t *n)
{
	struct cidr_vec v = {NULL, 0, 0, max_out};
	int rc = 0;
	for (size_t i = 0; i < s->n && !rc; i++) {
		unsigned bits = bph_cidr_bits(s->r[i].family);
		unsigned min = s->r[i].family == 6 ? min_len6 : min_len4;
		rc = cut_blocks(&v, &s->r[i], min >= bits ? 0 : bits - min);
	}
	if (rc) {
		free(v.p);
		return rc;
	}
	*out = v.p;
	*n = v.n;
	return 0;
}

/* ---- special-purpose ranges ---- */

/* The table is fingerprints/reserved.c, shared with the scanner. */

int bph_rangeset_add_special(struct bph_rangeset *s)
{
	struct bph_cidr c;
	size_t n;
	const struct bph_reserved *specials = bph_reserved_table(&n);
	for (size_t i = 0; i < n; i++) {
		/* the unit test checks that every row parses */
		if (bph_cidr_parse(specials[i].cidr, &c, NULL, NULL))
			return BPH_ERR_FORMAT;
		if (bph_rangeset_add(s, &c))
			return BPH_ERR_NOMEM;
	}
	return 0;
}

const char *bph_cidr_special_name(uint8_t family, bph_u128 addr)
{
	struct bph_cidr c;
	/* most specific first: 2001:db8::/32 before 2001::/23 */
	const char *best = NULL;
	unsigned best_len = 0;
	size_t n;
	const struct bph_reserved *specials = bph_reserved_table(&n);
	for (size_t i = 0; i < n; i++) {
		if (bph_cidr_parse(specials[i].cidr, &c, NULL, NULL))
			continue;
		struct bph_iprange r = bph_cidr_range(&c);
		if (c.family == family && addr >= r.lo && addr <= r.hi &&
		    (!best || c.len > best_len)) {
			best = specials[i].name;
			best_len = c.len;
		}
	}
	return best;
}
