/*
 * ip.c - address, prefix and range conversions for the data files
 * (contracts in ranges/ip.h). Text goes through inet_pton/inet_ntop on a
 * bounded copy, so no parser here reads past the length it was given.
 */
#include "ranges/ip.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "fingerprints/err.h"

static bph_u128 mask_of(uint8_t fam, unsigned len)
{
	unsigned bits = bph_fam_bits(fam);
	bph_u128 all = fam == BPH_FAM_V4 ? (bph_u128)0xffffffffu : ~(bph_u128)0;
	if (len >= bits)
		return all;
	/* host bits below the prefix */
	return all & ~((((bph_u128)1) << (bits - len)) - 1);
}

int bph_addr_parse(const char *s, size_t n, struct bph_addr *a)
{
	char buf[BPH_ADDR_STRLEN];
	uint8_t b[16];

	if (n == 0 || n >= sizeof(buf))
		return BPH_ERR_FORMAT;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (memchr(buf, ':', n)) {
		if (inet_pton(AF_INET6, buf, b) != 1)
			return BPH_ERR_FORMAT;
		a->fam = BPH_FAM_V6;
		a->v = 0;
		for (int i = 0; i < 16; i++)
			a->v = (a->v << 8) | b[i];
		return 0;
	}
	if (inet_pton(AF_INET, buf, b) != 1)
		return BPH_ERR_FORMAT;
	a->fam = BPH_FAM_V4;
	a->v = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
	return 0;
}

static int parse_len(const char *s, size_t n, unsigned max, unsigned *len)
{
	unsigned v = 0;

	if (n == 0 || n > 3)
		return BPH_ERR_FORMAT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return BPH_ERR_FORMAT;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > max)
		return BPH_ERR_FORMAT;
	*len = v;
	return 0;
}

int bph_prefix_parse(const char *s, size_t n, struct bph_range *r,
		     unsigned *len, bool *host_bits)
{
	const char *slash = memchr(s, '/', n);
	struct bph_addr a;
	unsigned l;

	if (bph_addr_parse(s, slash ? (size_t)(slash - s) : n, &a))
		return BPH_ERR_FORMAT;
	l = bph_fam_bits(a.fam);
	if (slash && parse_len(slash + 1, n - (size_t)(slash - s) - 1,
			       bph_fam_bits(a.fam), &l))
		return BPH_ERR_FORMAT;
	*r = bph_range_of_prefix(a.fam, a.v, l);
	if (host_bits)
		*host_bits = r->first != a.v;
	if (len)
		*len = l;
	return 0;
}

struct bph_range bph_range_of_prefix(uint8_t fam, bph_u128 v, unsigned len)
{
	bph_u128 m = mask_of(fam, len);
	bph_u128 all = mask_of(fam, bph_fam_bits(fam));
	struct bph_range r = {.fam = fam, .first = v & m};

	r.last = r.first | (all & ~m);
	return r;
}

void bph_addr_format(uint8_t fam, bph_u128 v, char *buf)
{
	uint8_t b[16];

	if (fam == BPH_FAM_V4) {
		uint32_t x = (uint32_t)v;
		b[0] = (uint8_t)(x >> 24);
		b[1] = (uint8_t)(x >> 16);
		b[2] = (uint8_t)(x >> 8);
		b[3] = (uint8_t)x;
		inet_ntop(AF_INET, b, buf, BPH_ADDR_STRLEN);
		return;
	}
	for (int i = 15; i >= 0; i--) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
	inet_ntop(AF_INET6, b, buf, BPH_ADDR_STRLEN);
}

int bph_range_prefix_len(const struct bph_range *r)
{
	bph_u128 span = r->last - r->first;
	unsigned bits = bph_fam_bits(r->fam);

	/* span + 1 must be a power of two and first aligned to it */
	if ((span & (span + 1)) != 0 || (r->first & span) != 0)
		return -1;
	unsigned host = 0;
	while (host < 128 && ((span >> host) & 1))
		host++;
	return (int)(bits - host);
}

void bph_range_format(const struct bph_range *r, char *buf)
{
	char a[BPH_ADDR_STRLEN], b[BPH_ADDR_STRLEN];
	int len = bph_range_prefix_len(r);

	bph_addr_format(r->fam, r->first, a);
	if (len >= 0) {
		snprintf(buf, BPH_RANGE_STRLEN, "%s/%d", a, len);
		return;
	}
	bph_addr_format(r->fam, r->last, b);
	snprintf(buf, BPH_RANGE_STRLEN, "%s - %s", a, b);
}

/* The largest aligned block starting at v that ends at or before last. */
static unsigned block_len(uint8_t fam, bph_u128 v, bph_u128 last)
{
	unsigned bits = bph_fam_bits(fam), len = bits;

	while (len > 0) {
		bph_u128 size = ((bph_u128)1) << (bits - len + 1);
		if (bits - len + 1 >= 128 || (v & (size - 1)) != 0 ||
		    v + (size - 1) > last || v + (size - 1) < v)
			break;
		len--;
	}
	if (len == 1 && bits == 128 && v == 0 && last == ~(bph_u128)0)
		return 0;
	return len;
}

int bph_range_prefixes(const struct bph_range *r,
		       int (*fn)(bph_u128 v, unsigned len, void *arg),
		       void *arg)
{
	bph_u128 v = r->first;

	for (;;) {
		unsigned len = block_len(r->fam, v, r->last);
		int rc = fn(v, len, arg);
		if (rc)
			return rc;
		unsigned host = bph_fam_bits(r->fam) - len;
		if (host >= 128)
			return 0;
		bph_u128 end = v + ((((bph_u128)1) << host) - 1);
		if (end >= r->last)
			return 0;
		v = end + 1;
	}
}

double bph_range_size_d(const struct bph_range *r)
{
	return (double)(r->last - r->first) + 1.0;
}
