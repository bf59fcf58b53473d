/*
 * permute.c - the seeded, shardable walk over [0, n) by a cyclic
 * multiplicative group (ZMap's method): prime table, generator search and
 * the iterator. Design and contract in permute.h.
 */
#include "scanner/permute.h"

#include <stddef.h>

#include "fingerprints/err.h"

#define MAX_FACTORS 8

struct prime_group {
	uint64_t p;
	unsigned n_factors;
	uint64_t factors[MAX_FACTORS]; /* distinct primes dividing p - 1 */
};

/* The smallest prime above 2^k for k = 1..48, with p - 1 factorised. */
static const struct prime_group groups[] = {
    {3ULL, 1, {2ULL}},
    {5ULL, 1, {2ULL}},
    {11ULL, 2, {2ULL, 5ULL}},
    {17ULL, 1, {2ULL}},
    {37ULL, 2, {2ULL, 3ULL}},
    {67ULL, 3, {2ULL, 3ULL, 11ULL}},
    {131ULL, 3, {2ULL, 5ULL, 13ULL}},
    {257ULL, 1, {2ULL}},
    {521ULL, 3, {2ULL, 5ULL, 13ULL}},
    {1031ULL, 3, {2ULL, 5ULL, 103ULL}},
    {2053ULL, 3, {2ULL, 3ULL, 19ULL}},
    {4099ULL, 3, {2ULL, 3ULL, 683ULL}},
    {8209ULL, 3, {2ULL, 3ULL, 19ULL}},
    {16411ULL, 4, {2ULL, 3ULL, 5ULL, 547ULL}},
    {32771ULL, 4, {2ULL, 5ULL, 29ULL, 113ULL}},
    {65537ULL, 1, {2ULL}},
    {131101ULL, 5, {2ULL, 3ULL, 5ULL, 19ULL, 23ULL}},
    {262147ULL, 3, {2ULL, 3ULL, 43691ULL}},
    {524309ULL, 4, {2ULL, 23ULL, 41ULL, 139ULL}},
    {1048583ULL, 4, {2ULL, 29ULL, 101ULL, 179ULL}},
    {2097169ULL, 3, {2ULL, 3ULL, 43691ULL}},
    {4194319ULL, 3, {2ULL, 3ULL, 699053ULL}},
    {8388617ULL, 3, {2ULL, 17ULL, 61681ULL}},
    {16777259ULL, 4, {2ULL, 23ULL, 103ULL, 3541ULL}},
    {33554467ULL, 4, {2ULL, 3ULL, 11ULL, 56489ULL}},
    {67108879ULL, 3, {2ULL, 3ULL, 1242757ULL}},
    {134217757ULL, 3, {2ULL, 3ULL, 1242757ULL}},
    {268435459ULL, 4, {2ULL, 3ULL, 19ULL, 87211ULL}},
    {536870923ULL, 5, {2ULL, 3ULL, 7ULL, 23ULL, 555767ULL}},
    {1073741827ULL, 4, {2ULL, 3ULL, 59ULL, 3033169ULL}},
    {2147483659ULL, 4, {2ULL, 3ULL, 149ULL, 2402107ULL}},
    {4294967311ULL, 5, {2ULL, 3ULL, 5ULL, 131ULL, 364289ULL}},
    {8589934609ULL, 4, {2ULL, 3ULL, 59ULL, 3033169ULL}},
    {17179869209ULL, 4, {2ULL, 83ULL, 1277ULL, 20261ULL}},
    {34359738421ULL, 5, {2ULL, 3ULL, 5ULL, 7ULL, 81808901ULL}},
    {68719476767ULL, 4, {2ULL, 163ULL, 883ULL, 238727ULL}},
    {137438953481ULL, 5, {2ULL, 5ULL, 137ULL, 953ULL, 26317ULL}},
    {274877906951ULL, 4, {2ULL, 5ULL, 35573ULL, 154543ULL}},
    {549755813911ULL, 5, {2ULL, 3ULL, 5ULL, 383ULL, 47846459ULL}},
    {1099511627791ULL, 4, {2ULL, 3ULL, 5ULL, 36650387593ULL}},
    {2199023255579ULL, 3, {2ULL, 277ULL, 3969356057ULL}},
    {4398046511119ULL, 6, {2ULL, 3ULL, 13ULL, 71ULL, 227ULL, 3498493ULL}},
    {8796093022237ULL, 6, {2ULL, 3ULL, 13ULL, 71ULL, 227ULL, 3498493ULL}},
    {17592186044423ULL, 5, {2ULL, 11ULL, 53ULL, 97ULL, 155542661ULL}},
    {35184372088891ULL, 6, {2ULL, 3ULL, 5ULL, 19ULL, 120739ULL, 511243ULL}},
    {70368744177679ULL, 4, {2ULL, 3ULL, 1947973ULL, 6020681ULL}},
    {140737488355333ULL, 6, {2ULL, 3ULL, 11ULL, 19ULL, 331ULL, 18837001ULL}},
    {281474976710677ULL, 5, {2ULL, 3ULL, 7ULL, 1361ULL, 2462081249ULL}},
};

#define N_GROUPS (sizeof(groups) / sizeof(groups[0]))

static uint64_t mulmod(uint64_t a, uint64_t b, uint64_t m)
{
	return (uint64_t)((unsigned __int128)a * b % m);
}

uint64_t bph_powmod(uint64_t x, uint64_t e, uint64_t m)
{
	uint64_t r = 1 % m;

	x %= m;
	while (e) {
		if (e & 1)
			r = mulmod(r, x, m);
		x = mulmod(x, x, m);
		e >>= 1;
	}
	return r;
}

/*
 * Montgomery arithmetic with R = 2^64 (p odd, p < 2^49): the walk
 * multiplies by g once per step with two 64x64->128 products and no
 * division (a 128-bit '%' is a library call of ~40-80 cycles).
 */
static uint64_t mont_inv(uint64_t p)
{
	uint64_t x = p; /* Newton: 3 -> 6 -> ... -> 96 correct bits */

	for (int i = 0; i < 5; i++)
		x *= 2 - p * x;
	return (uint64_t)0 - x;
}

static uint64_t mont_redc(unsigned __int128 t, uint64_t p, uint64_t pinv)
{
	uint64_t m = (uint64_t)t * pinv;
	unsigned __int128 u = (t + (unsigned __int128)m * p) >> 64;

	return u >= p ? (uint64_t)(u - p) : (uint64_t)u;
}

static uint64_t mont_in(uint64_t x, uint64_t p)
{
	return (uint64_t)(((unsigned __int128)x << 64) % p);
}

bool bph_perm_prime(unsigned i, uint64_t *p, const uint64_t **factors,
		    unsigned *n_factors)
{
	if (i >= N_GROUPS)
		return false;
	*p = groups[i].p;
	*factors = groups[i].factors;
	*n_factors = groups[i].n_factors;
	return true;
}

/* splitmix64: a deterministic stream from the seed. */
static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static bool is_primitive_root(const struct prime_group *gr, uint64_t g)
{
	for (unsigned i = 0; i < gr->n_factors; i++)
		if (bph_powmod(g, (gr->p - 1) / gr->factors[i], gr->p) == 1)
			return false;
	return true;
}

/* First primitive root at or after a seeded candidate in [2, p-1]. */
static uint64_t pick_generator(const struct prime_group *gr, uint64_t *rng)
{
	uint64_t span = gr->p - 2; /* candidates 2 .. p-1 */
	uint64_t c = 2 + splitmix64(rng) % span;

	while (!is_primitive_root(gr, c))
		c = c + 1 < gr->p ? c + 1 : 2;
	return c;
}

int bph_perm_init(struct bph_perm *pm, uint64_t n, uint64_t seed,
		  uint32_t shard_index, uint32_t shard_count)
{
	const struct prime_group *gr = NULL;
	uint64_t rng = seed, q, off, lo, hi;

	if (n == 0 || shard_count == 0 || shard_index >= shard_count)
		return BPH_ERR_USAGE;
	for (size_t i = 0; i < N_GROUPS && !gr; i++)
		if (groups[i].p > n)
			gr = &groups[i];
	if (!gr)
		return BPH_ERR_USAGE;
	q = gr->p - 1;
	pm->n = n;
	pm->p = gr->p;
	pm->g = pick_generator(gr, &rng);
	off = splitmix64(&rng) % q;
	lo = (uint64_t)((unsigned __int128)q * shard_index / shard_count);
	hi = (uint64_t)((unsigned __int128)q * (shard_index + 1) / shard_count);
	pm->pinv = mont_inv(pm->p);
	pm->g_m = mont_in(pm->g, pm->p);
	pm->cur = mont_in(bph_powmod(pm->g, (off + lo) % q, pm->p), pm->p);
	pm->left = hi - lo;
	pm->total = hi - lo;
	return 0;
}

uint64_t bph_perm_pos(const struct bph_perm *pm)
{
	return pm->total - pm->left;
}

void bph_perm_seek(struct bph_perm *pm, uint64_t steps)
{
	uint64_t gs;

	if (steps > pm->left)
		steps = pm->left;
	gs = mont_in(bph_powmod(pm->g, steps, pm->p), pm->p);
	pm->cur = mont_redc((unsigned __int128)pm->cur * gs, pm->p, pm->pinv);
	pm->left -= steps;
}

bool bph_perm_next(struct bph_perm *pm, uint64_t *index)
{
	while (pm->left > 0) {
		uint64_t v = mont_redc(pm->cur, pm->p, pm->pinv); /* out of R */
		pm->cur = mont_redc((unsigned __int128)pm->cur * pm->g_m, pm->p,
				    pm->pinv);
		pm->left--;
		if (v <= pm->n) {
			*index = v - 1;
			return true;
		}
	}
	return false;
}
