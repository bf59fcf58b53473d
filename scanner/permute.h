/*
 * permute.h - pseudo-random walk over [0, n) by a cyclic multiplicative
 * group modulo a prime (ZMap's method), seeded and shardable.
 *
 * The group Z_p* with p the smallest table prime > n is walked as g^e mod p
 * for consecutive exponents e; values above n are skipped and value v
 * stands for index v - 1. The generator g and the start exponent come from
 * the seed only, so the same seed gives the same order on every machine.
 * Shard i of N walks the contiguous exponent slice
 * [floor(Q*i/N), floor(Q*(i+1)/N)) after the start offset, Q = p - 1; the
 * shards of one seed are disjoint and together cover every index once.
 * The iterator owns nothing and needs no free.
 */
#ifndef BPH_SCANNER_PERMUTE_H
#define BPH_SCANNER_PERMUTE_H

#include <stdbool.h>
#include <stdint.h>

struct bph_perm {
	uint64_t n;	/* indices walked: [0, n) */
	uint64_t p;	/* prime modulus, p > n */
	uint64_t g;	/* primitive root mod p */
	uint64_t cur;	/* next group element, in Montgomery form */
	uint64_t left;	/* exponents left in this shard */
	uint64_t total; /* exponents in this shard */
	uint64_t g_m;	/* g in Montgomery form (cur * g without division) */
	uint64_t pinv;	/* -p^-1 mod 2^64 */
};

/*
 * Prepares a walk over [0, n) for shard shard_index of shard_count.
 * Returns 0, or BPH_ERR_USAGE if n is 0 or above 2^48, shard_count is 0
 * or shard_index >= shard_count.
 */
int bph_perm_init(struct bph_perm *pm, uint64_t n, uint64_t seed,
		  uint32_t shard_index, uint32_t shard_count);

/* Writes the next index and returns true, or returns false when done. */
bool bph_perm_next(struct bph_perm *pm, uint64_t *index);

/*
 * Position in the shard's walk: exponents consumed so far (values above n
 * that were skipped count too). Resuming a scan = bph_perm_init with the
 * same arguments, then bph_perm_seek to a saved position.
 */
uint64_t bph_perm_pos(const struct bph_perm *pm);

/* Skips steps exponents (clamped to what is left) in O(log steps). */
void bph_perm_seek(struct bph_perm *pm, uint64_t steps);

/* x^e mod m for m < 2^63 (exposed for the unit test). */
uint64_t bph_powmod(uint64_t x, uint64_t e, uint64_t m);

/* Table access for the unit test: the i-th prime and the distinct prime
 * factors of p - 1. Returns false past the end of the table. */
bool bph_perm_prime(unsigned i, uint64_t *p, const uint64_t **factors,
		    unsigned *n_factors);

#endif
