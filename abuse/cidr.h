/*
 * cidr.h - IPv4 and IPv6 prefixes and range sets: parsing, the fewest
 * CIDRs that cover a set (what Python's ipaddress.collapse_addresses
 * returns), subtraction, and the special-purpose ranges no deny list
 * should carry.
 *
 * Both families share one representation: an address is an unsigned
 * 128-bit integer (IPv4 in the low 32 bits) tagged with its family, so
 * the arithmetic is written once. The aggregation is the one of
 * docs/output.md "Deny lists": sort by (family, start), merge ranges
 * that overlap or touch, and cut each merged range into the largest
 * aligned blocks, never shorter than a minimum prefix length.
 */
#ifndef BPH_ABUSE_CIDR_H
#define BPH_ABUSE_CIDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 bph_u128;

/* Longest text form: a full IPv6 address with a /128 suffix. */
#define BPH_CIDR_STRLEN 48

struct bph_cidr {
	uint8_t family; /* 4 or 6 */
	uint8_t len;	/* prefix length: 0..32 or 0..128 */
	bph_u128 addr;	/* network address; host bits are zero */
};

/* An inclusive range [lo, hi] of one family. */
struct bph_iprange {
	uint8_t family;
	bph_u128 lo, hi;
};

/* Address width in bits: 32 or 128. */
unsigned bph_cidr_bits(uint8_t family);

/*
 * Parses "ADDR" (a /32 or /128) or "ADDR/LEN" of either family, the
 * whole string (no spaces). Host bits set below LEN are an error
 * (*col then points at the '/'). On error returns BPH_ERR_FORMAT and,
 * when why is not NULL, a static reason in *why and the 0-based offset of
 * the bad part in *col (col may be NULL).
 */
int bph_cidr_parse(const char *s, struct bph_cidr *out, const char **why,
		   size_t *col);

/* "a.b.c.d/n" or the RFC 5952 form of IPv6 with "/n"; always with the
 * length. out has BPH_CIDR_STRLEN bytes. */
void bph_cidr_format(const struct bph_cidr *c, char *out);
/* The same without "/n" (the address alone). */
void bph_cidr_format_addr(uint8_t family, bph_u128 addr, char *out);

/* Decimal digits of v into out (at least 40 bytes). */
void bph_u128_format(bph_u128 v, char *out);

/* The range a prefix covers. */
struct bph_iprange bph_cidr_range(const struct bph_cidr *c);
/* Number of addresses in c (2^128 saturates to the maximum). */
bph_u128 bph_cidr_size(const struct bph_cidr *c);

/* A growable set of ranges; zero-initialise, free with
 * bph_rangeset_free(). */
struct bph_rangeset {
	struct bph_iprange *r;
	size_t n, cap;
	bool normal; /* sorted, disjoint and not touching */
};

void bph_rangeset_free(struct bph_rangeset *s); /* leaves it empty */
/* Adds a range or a prefix. Returns 0 or BPH_ERR_NOMEM. */
int bph_rangeset_add_range(struct bph_rangeset *s, const struct bph_iprange *r);
int bph_rangeset_add(struct bph_rangeset *s, const struct bph_cidr *c);
/* Sorts by (family, lo) and merges ranges that overlap or touch. */
void bph_rangeset_normalize(struct bph_rangeset *s);
/*
 * Removes from s (normalised first) every address in minus (normalised
 * first; borrowed otherwise). Returns 0 or BPH_ERR_NOMEM (s unchanged).
 */
int bph_rangeset_subtract(struct bph_rangeset *s, struct bph_rangeset *minus);
/* Whether addr of family lies in the normalised set s (binary search). */
bool bph_rangeset_contains(const struct bph_rangeset *s, uint8_t family,
			   bph_u128 addr);

/*
 * The fewest prefixes that cover exactly the normalised set s, in order,
 * none shorter than min_len4 (IPv4) or min_len6 (IPv6): a block that
 * would be wider is cut into blocks of that length. With both 0 this is
 * ipaddress.collapse_addresses. *out is a new array (caller frees; NULL
 * when the set is empty). Returns 0, BPH_ERR_NOMEM or BPH_ERR_TOOBIG
 * (more than max_out prefixes would be written).
 */
int bph_rangeset_cidrs(const struct bph_rangeset *s, unsigned min_len4,
		       unsigned min_len6, size_t max_out, struct bph_cidr **out,
		       size_t *n);

/*
 * Adds the special-purpose ranges to s: the IANA IPv4 and IPv6
 * special-purpose registries (RFC 6890 and its updates: private,
 * loopback, link-local, shared, documentation, benchmarking, multicast,
 * reserved) plus unspecified and IPv4-mapped IPv6. A deny list subtracts
 * them unless the user allows reserved space (the lab lives in
 * 198.18.0.0/15). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_rangeset_add_special(struct bph_rangeset *s);
/* The name of the special-purpose range holding addr, or NULL. */
const char *bph_cidr_special_name(uint8_t family, bph_u128 addr);

#endif
