/*
 * coverage.c - a run's covered address ranges and ports, their text form
 * and membership tests (contract in sweep/coverage.h).
 */
#include "sweep/coverage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"

int bph_coverage_add_range(struct bph_coverage *c, uint32_t lo, uint32_t hi)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		void *r = realloc(c->r, cap * sizeof(*c->r));
		if (!r)
			return BPH_ERR_NOMEM;
		c->r = r;
		c->cap = cap;
	}
	c->r[c->n][0] = lo;
	c->r[c->n][1] = hi;
	c->n++;
	return 0;
}

int bph_coverage_add_port(struct bph_coverage *c, uint16_t port)
{
	uint16_t *p = realloc(c->ports, (c->n_ports + 1) * sizeof(*p));

	if (!p)
		return BPH_ERR_NOMEM;
	c->ports = p;
	c->ports[c->n_ports++] = port;
	return 0;
}

static int cmp_range(const void *x, const void *y)
{
	const uint32_t *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int cmp_port(const void *x, const void *y)
{
	const uint16_t *a = x, *b = y;
	return (int)*a - (int)*b;
}

void bph_coverage_finish(struct bph_coverage *c)
{
	size_t o = 0;

	if (c->n)
		qsort(c->r, c->n, sizeof(*c->r), cmp_range);
	for (size_t i = 0; i < c->n; i++) {
		if (o && (uint64_t)c->r[o - 1][1] + 1 >= c->r[i][0]) {
			if (c->r[i][1] > c->r[o - 1][1])
				c->r[o - 1][1] = c->r[i][1];
			continue;
		}
		c->r[o][0] = c->r[i][0];
		c->r[o][1] = c->r[i][1];
		o++;
	}
	c->n = o;
	o = 0;
	if (c->n_ports)
		qsort(c->ports, c->n_ports, sizeof(*c->ports), cmp_port);
	for (size_t i = 0; i < c->n_ports; i++)
		if (!o || c->ports[o - 1] != c->ports[i])
			c->ports[o++] = c->ports[i];
	c->n_ports = o;
}

void bph_coverage_clear(struct bph_coverage *c)
{
	if (!c)
		return;
	free(c->r);
	free(c->ports);
	memset(c, 0, sizeof(*c));
}

int bph_ipv4_parse(const char *s, size_t len, uint32_t *ip)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned n = 0, digits = 0;
		if (part && (i >= len || s[i++] != '.'))
			return BPH_ERR_FORMAT;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
			if (digits && n == 0)
				return BPH_ERR_FORMAT; /* leading zero */
			n = n * 10 + (unsigned)(s[i] - '0');
			if (n > 255)
				return BPH_ERR_FORMAT;
		}
		if (!digits)
			return BPH_ERR_FORMAT;
		v = v << 8 | n;
	}
	if (i != len)
		return BPH_ERR_FORMAT;
	*ip = v;
	return 0;
}

static int parse_prefix(const char *s, unsigned *bits)
{
	char *end;

	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 2)
		return BPH_ERR_FORMAT;
	*bits = (unsigned)strtoul(s, &end, 10);
	return *bits <= 32 ? 0 : BPH_ERR_FORMAT;
}

int bph_spec_parse(const char *s, uint32_t *lo, uint32_t *hi, const char **why)
{
	const char *slash = strchr(s, '/'), *dash = strchr(s, '-');
	unsigned bits;

	*why = "not an IPv4 address, a.b.c.d/nn or a.b.c.d-e.f.g.h";
	if (slash && !dash) {
		if (bph_ipv4_parse(s, (size_t)(slash - s), lo) ||
		    parse_prefix(slash + 1, &bits))
			return BPH_ERR_FORMAT;
		uint32_t mask = bits ? ~0u << (32 - bits) : 0;
		*why = "host bits are set after the prefix length";
		if (*lo & ~mask)
			return BPH_ERR_FORMAT;
		*hi = *lo | ~mask;
		return 0;
	}
	if (dash && !slash) {
		if (bph_ipv4_parse(s, (size_t)(dash - s), lo) ||
		    bph_ipv4_parse(dash + 1, strlen(dash + 1), hi))
			return BPH_ERR_FORMAT;
		*why = "range ends before it starts";
		return *lo <= *hi ? 0 : BPH_ERR_FORMAT;
	}
	if (slash || dash || bph_ipv4_parse(s, strlen(s), lo))
		return BPH_ERR_FORMAT;
	*hi = *lo;
	return 0;
}

static int parse_ranges(struct bph_coverage *c, const char *ranges)
{
	char *copy = strdup(ranges), *save = NULL;
	const char *why;
	uint32_t lo, hi;
	int rc = copy ? 0 : BPH_ERR_NOMEM;

	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !rc;
	     t = strtok_r(NULL, ",", &save))
		rc = bph_spec_parse(t, &lo, &hi, &why)
			 ? BPH_ERR_FORMAT
			 : bph_coverage_add_range(c, lo, hi);
	free(copy);
	return rc;
}

static int parse_ports(struct bph_coverage *c, const char *ports)
{
	const char *p = ports;

	while (*p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (end == p || v < 1 || v > 65535 || (*end && *end != ','))
			return BPH_ERR_FORMAT;
		if (bph_coverage_add_port(c, (uint16_t)v))
			return BPH_ERR_NOMEM;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int bph_coverage_parse(struct bph_coverage *c, const char *ranges,
		       const char *ports)
{
	int rc = 0;

	c->all = !ranges;
	if (ranges)
		rc = parse_ranges(c, ranges);
	if (!rc && ports)
		rc = parse_ports(c, ports);
	if (!rc)
		bph_coverage_finish(c);
	return rc;
}

char *bph_coverage_ranges_str(const struct bph_coverage *c)
{
	size_t cap = c->n * 32 + 1, o = 0;
	char *s = malloc(cap), a[16], b[16];

	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < c->n; i++) {
		bph_ip_str(c->r[i][0], a);
		bph_ip_str(c->r[i][1], b);
		o += (size_t)snprintf(s + o, cap - o, "%s%s%s%s", i ? "," : "",
				      a, c->r[i][0] == c->r[i][1] ? "" : "-",
				      c->r[i][0] == c->r[i][1] ? "" : b);
	}
	return s;
}

char *bph_coverage_ports_str(const struct bph_coverage *c)
{
	size_t cap = c->n_ports * 6 + 1, o = 0;
	char *s = malloc(cap);

	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < c->n_ports; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s%u", i ? "," : "",
				      c->ports[i]);
	return s;
}

bool bph_coverage_has_ip(const struct bph_coverage *c, uint32_t ip)
{
	size_t lo = 0, hi = c->n;

	if (c->all)
		return true;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->r[mid][1] < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->n && c->r[lo][0] <= ip;
}

bool bph_coverage_has(const struct bph_coverage *c, uint32_t ip, uint16_t port)
{
	if (c->all)
		return true;
	if (!c->n_ports ||
	    !bsearch(&port, c->ports, c->n_ports, sizeof(*c->ports), cmp_port))
		return false;
	return bph_coverage_has_ip(c, ip);
}

uint64_t bph_coverage_addresses(const struct bph_coverage *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += (uint64_t)c->r[i][1] - c->r[i][0] + 1;
	return n;
}
