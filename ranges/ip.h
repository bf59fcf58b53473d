/*
 * ip.h - IPv4 and IPv6 addresses, prefixes and ranges as integers.
 *
 * Every address is an unsigned 128-bit integer with its family: an IPv4
 * address is held in the low 32 bits, host byte order. A range is
 * [first, last], both inclusive, in one family; a prefix is a range whose
 * bounds are aligned (bph_range_prefix_len() tells). The data files of
 * docs/guide.md ("From a cluster to its networks") hold addresses in
 * these forms; the parsers here never read past the length they are given.
 */
#ifndef BPH_RANGES_IP_H
#define BPH_RANGES_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 bph_u128;

#define BPH_FAM_V4 4
#define BPH_FAM_V6 6

/* Longest text of an address ("ffff:...:ffff"), a prefix and a range,
 * with the terminating NUL. */
#define BPH_ADDR_STRLEN	  46
#define BPH_PREFIX_STRLEN 50
#define BPH_RANGE_STRLEN  96

struct bph_addr {
	uint8_t fam; /* BPH_FAM_V4 or BPH_FAM_V6 */
	bph_u128 v;
};

struct bph_range {
	uint8_t fam;
	bph_u128 first, last; /* first <= last */
};

/*
 * Parses the n bytes at s (no NUL needed) as one IPv4 or IPv6 address.
 * Returns 0 or BPH_ERR_FORMAT.
 */
int bph_addr_parse(const char *s, size_t n, struct bph_addr *a);

/*
 * Parses "addr/len" or a bare address (a /32 or /128) at s (n bytes) into
 * r. Host bits set below the prefix length are cleared and reported in
 * *host_bits (may be NULL); *len (may be NULL) gets the length. Returns 0
 * or BPH_ERR_FORMAT.
 */
int bph_prefix_parse(const char *s, size_t n, struct bph_range *r,
		     unsigned *len, bool *host_bits);

/* Writes a's text (inet_ntop form) into buf (BPH_ADDR_STRLEN bytes). */
void bph_addr_format(uint8_t fam, bph_u128 v, char *buf);

/*
 * Writes r as "addr/len" when it is a prefix, else "first - last", into
 * buf (BPH_RANGE_STRLEN bytes).
 */
void bph_range_format(const struct bph_range *r, char *buf);

/* The prefix length of r when r is exactly one prefix, else -1. */
int bph_range_prefix_len(const struct bph_range *r);

/* The range of prefix v/len in fam (len is capped at the family's width).
 */
struct bph_range bph_range_of_prefix(uint8_t fam, bph_u128 v, unsigned len);

/* Number of addresses in r minus one (fits 128 bits for ::/0). */
static inline bph_u128 bph_range_span(const struct bph_range *r)
{
	return r->last - r->first;
}

/* Bits in fam's addresses: 32 or 128. */
static inline unsigned bph_fam_bits(uint8_t fam)
{
	return fam == BPH_FAM_V4 ? 32u : 128u;
}

/*
 * Splits r into the fewest aligned prefixes, calling fn(v, len, arg) for
 * each in address order; stops at the first non-zero return and returns
 * it (0 when every call returned 0).
 */
int bph_range_prefixes(const struct bph_range *r,
		       int (*fn)(bph_u128 v, unsigned len, void *arg),
		       void *arg);

/* An approximate count of addresses in r, for ratios over IPv6 space. */
double bph_range_size_d(const struct bph_range *r);

#endif
