/*
 * reserved.c - the one table of IANA special-purpose address ranges and
 * its two views (parsed prefixes, IPv4 host-order ranges). Contract and
 * sources in fingerprints/reserved.h.
 */
#include "fingerprints/reserved.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

static const struct bph_reserved table[] = {
    {"0.0.0.0/8", "this network (RFC 791)", true},
    {"10.0.0.0/8", "private (RFC 1918)", true},
    {"100.64.0.0/10", "shared address space (RFC 6598)", true},
    {"127.0.0.0/8", "loopback (RFC 1122)", true},
    {"169.254.0.0/16", "link local (RFC 3927)", true},
    {"172.16.0.0/12", "private (RFC 1918)", true},
    {"192.0.0.0/24", "IETF protocol assignments (RFC 6890)", true},
    {"192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)", true},
    /* deprecated, but still announced by the last 6to4 relays */
    {"192.88.99.0/24", "6to4 relay anycast (RFC 7526)", false},
    {"192.168.0.0/16", "private (RFC 1918)", true},
    {"198.18.0.0/15", "benchmarking (RFC 2544)", true},
    {"198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)", true},
    {"203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)", true},
    {"224.0.0.0/4", "multicast (RFC 5771)", true},
    {"240.0.0.0/4", "reserved (RFC 1112)", true},
    {"::/127", "unspecified and loopback (RFC 4291)", false},
    {"::ffff:0:0/96", "IPv4-mapped (RFC 4291)", false},
    {"64:ff9b:1::/48", "local-use IPv4/IPv6 translation (RFC 8215)", false},
    {"100::/64", "discard-only (RFC 6666)", false},
    {"2001::/23", "IETF protocol assignments (RFC 2928)", false},
    {"2001:db8::/32", "documentation (RFC 3849)", false},
    {"3fff::/20", "documentation (RFC 9637)", false},
    {"5f00::/16", "segment routing SIDs (RFC 9602)", false},
    {"fc00::/7", "unique local (RFC 4193)", false},
    {"fe80::/10", "link local (RFC 4291)", false},
    {"ff00::/8", "multicast (RFC 4291)", false},
};

#define N_ROWS (sizeof(table) / sizeof(table[0]))

const struct bph_reserved *bph_reserved_table(size_t *n)
{
	*n = N_ROWS;
	return table;
}

int bph_reserved_prefix(const struct bph_reserved *r, uint8_t *family,
			unsigned *len, uint8_t net[16])
{
	char addr[64];
	const char *slash = strchr(r->cidr, '/');
	size_t n = slash ? (size_t)(slash - r->cidr) : 0;
	char *end;

	if (!slash || n >= sizeof(addr))
		return BPH_ERR_FORMAT;
	memcpy(addr, r->cidr, n);
	addr[n] = '\0';
	memset(net, 0, 16);
	*family = strchr(addr, ':') ? 6 : 4;
	if (inet_pton(*family == 6 ? AF_INET6 : AF_INET, addr, net) != 1)
		return BPH_ERR_FORMAT;
	unsigned long l = strtoul(slash + 1, &end, 10);
	if (*end || end == slash + 1 || l > (*family == 6 ? 128u : 32u))
		return BPH_ERR_FORMAT;
	*len = (unsigned)l;
	return 0;
}

/* Row r as a host-order IPv4 range; false for IPv6 or a bad row. */
static bool v4_range(const struct bph_reserved *r, uint32_t *first,
		     uint32_t *last)
{
	uint8_t fam, net[16];
	unsigned len;

	if (bph_reserved_prefix(r, &fam, &len, net) || fam != 4)
		return false;
	uint32_t a = (uint32_t)net[0] << 24 | (uint32_t)net[1] << 16 |
		     (uint32_t)net[2] << 8 | net[3];
	uint32_t host = len == 0 ? 0xffffffffu : (1u << (32 - len)) - 1;
	*first = a & ~host;
	*last = a | host;
	return true;
}

size_t bph_reserved_v4(uint32_t (*out)[2], size_t cap, bool bogons_only)
{
	size_t k = 0;
	uint32_t first, last;

	for (size_t i = 0; i < N_ROWS; i++) {
		if (bogons_only && !table[i].bogon)
			continue;
		if (!v4_range(&table[i], &first, &last))
			continue;
		if (k < cap) {
			out[k][0] = first;
			out[k][1] = last;
		}
		k++;
	}
	return k;
}

bool bph_reserved_v4_has(uint32_t ip)
{
	uint32_t first, last;

	for (size_t i = 0; i < N_ROWS; i++)
		if (v4_range(&table[i], &first, &last) && ip >= first &&
		    ip <= last)
			return true;
	return false;
}
