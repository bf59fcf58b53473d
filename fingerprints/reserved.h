/*
 * reserved.h - the IANA special-purpose address ranges (RFC 6890 and the
 * registries it created), one table for every part of bphound that must
 * keep away from them: the scanner never sends to them, a deny list never
 * carries them, asinfo counts what an AS originates in them (bogons).
 *
 * IPv4 rows are those of zmap's blocklist.conf; the IPv6 rows those of
 * IANA's IPv6 special-purpose registry that are not globally reachable.
 * docs/output.md "Deny lists" lists them for users.
 */
#ifndef BPH_FINGERPRINTS_RESERVED_H
#define BPH_FINGERPRINTS_RESERVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bph_reserved {
	const char *cidr; /* "198.18.0.0/15", "fc00::/7" */
	const char *name; /* what it is, with its RFC */
	bool bogon;	  /* IPv4: no AS should originate it (Team Cymru's
			     bogon list); always false for IPv6 rows */
};

/* The table (IPv4 rows first, each family's rows disjoint and sorted);
 * its length in *n. Static storage, never NULL. */
const struct bph_reserved *bph_reserved_table(size_t *n);

/*
 * Parses row r into family (4 or 6), prefix length and the network
 * address in network byte order (IPv4 in net[0..3], the rest zero).
 * Returns 0, or BPH_ERR_FORMAT if the row does not parse (the unit test
 * checks that none does).
 */
int bph_reserved_prefix(const struct bph_reserved *r, uint8_t *family,
			unsigned *len, uint8_t net[16]);

/*
 * The IPv4 rows as inclusive host-order ranges [first, last], for the
 * caller that works with 32-bit addresses. Writes at most cap ranges to
 * out (bogons_only: only rows with bogon set) and returns how many rows
 * there are.
 */
size_t bph_reserved_v4(uint32_t (*out)[2], size_t cap, bool bogons_only);

/* True when ip (host order) lies in an IPv4 row. */
bool bph_reserved_v4_has(uint32_t ip);

#endif
