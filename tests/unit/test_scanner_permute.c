/* Cyclic-group permutation: exact coverage, shards, determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "scanner/permute.h"

/* Walks every shard of n and checks each index is hit exactly once. */
static void check_cover(uint64_t n, uint32_t shards, uint64_t seed)
{
	uint8_t *hit = calloc(n, 1);
	uint64_t idx, total = 0;
	struct bph_perm pm;

	assert_non_null(hit);
	for (uint32_t s = 0; s < shards; s++) {
		assert_int_equal(bph_perm_init(&pm, n, seed, s, shards), 0);
		assert_true(pm.p > n);
		while (bph_perm_next(&pm, &idx)) {
			assert_true(idx < n);
			if (hit[idx])
				fail_msg("n=%llu shards=%u: index %llu twice",
					 (unsigned long long)n, shards,
					 (unsigned long long)idx);
			hit[idx] = 1;
			total++;
		}
	}
	assert_int_equal(total, n);
	free(hit);
}

static void test_cover_shards(void **state)
{
	(void)state;
	/* targets x ports: tiny, uneven, one above a table prime, large */
	const uint64_t sizes[] = {1,	 2,	3,	5,     7,   16,
				  17,	 100,	255,	256,   257, 1000 * 3,
				  65536, 65537, 131101, 300007};
	const uint32_t shards[] = {1, 2, 3, 7};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (size_t j = 0; j < 4; j++)
			for (uint64_t seed = 1; seed < 4; seed++)
				check_cover(sizes[i], shards[j], seed * 7919);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct bph_perm a, b;
	uint64_t x, y, same_pos = 0, n = 10000;

	assert_int_equal(bph_perm_init(&a, n, 42, 0, 1), 0);
	assert_int_equal(bph_perm_init(&b, n, 42, 0, 1), 0);
	while (bph_perm_next(&a, &x)) {
		assert_true(bph_perm_next(&b, &y));
		assert_int_equal(x, y);
	}
	assert_false(bph_perm_next(&b, &y));
	/* another seed gives another order */
	assert_int_equal(bph_perm_init(&a, n, 42, 0, 1), 0);
	assert_int_equal(bph_perm_init(&b, n, 43, 0, 1), 0);
	for (uint64_t i = 0; i < n; i++) {
		assert_true(bph_perm_next(&a, &x));
		assert_true(bph_perm_next(&b, &y));
		same_pos += x == y;
	}
	assert_true(same_pos < 10);
	/* and it is not the identity */
	assert_int_equal(bph_perm_init(&a, n, 42, 0, 1), 0);
	same_pos = 0;
	for (uint64_t i = 0; bph_perm_next(&a, &x); i++)
		same_pos += x == i;
	assert_true(same_pos < 10);
}

static void test_table(void **state)
{
	(void)state;
	const uint64_t *f;
	unsigned nf;
	uint64_t p, prev = 0;

	for (unsigned i = 0; bph_perm_prime(i, &p, &f, &nf); i++) {
		uint64_t q = p - 1;
		assert_true(p > prev);
		prev = p;
		/* the listed primes are the whole factorisation of p - 1 */
		for (unsigned k = 0; k < nf; k++) {
			assert_int_equal(q % f[k], 0);
			while (q % f[k] == 0)
				q /= f[k];
		}
		assert_int_equal(q, 1);
		/* Fermat test: p behaves as a prime for bases 2..7 */
		for (uint64_t b = 2; b < 8; b++)
			if (b % p)
				assert_int_equal(bph_powmod(b, p - 1, p), 1);
	}
	assert_true(prev > (1ULL << 48));
}

static void test_generator_order(void **state)
{
	(void)state;
	struct bph_perm pm;
	const uint64_t *f;
	unsigned nf;
	uint64_t p;

	/* for large groups check g is a primitive root: g^((p-1)/q) != 1 */
	for (uint64_t n = 1000; n < (1ULL << 47); n *= 7) {
		assert_int_equal(bph_perm_init(&pm, n, n ^ 0x5eed, 0, 1), 0);
		for (unsigned i = 0; bph_perm_prime(i, &p, &f, &nf); i++) {
			if (p != pm.p)
				continue;
			for (unsigned k = 0; k < nf; k++)
				assert_int_not_equal(
				    bph_powmod(pm.g, (p - 1) / f[k], p), 1);
		}
	}
}

/* The Montgomery walk gives exactly g^(start + k) mod p, skipping values
 * above n: each value is the previous times the smallest power of g that
 * lands in [1, n]. */
static void test_matches_powers(void **state)
{
	(void)state;
	const uint64_t sizes[] = {3, 1000, 65537, 1ULL << 40, (1ULL << 48) - 5};

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct bph_perm pm;
		uint64_t idx, v;

		assert_int_equal(bph_perm_init(&pm, sizes[i], 99, 0, 1), 0);
		assert_true(bph_perm_next(&pm, &idx));
		v = idx + 1;
		for (int k = 0; k < 2000 && bph_perm_next(&pm, &idx); k++) {
			do
				v = (uint64_t)((unsigned __int128)v * pm.g %
					       pm.p);
			while (v > pm.n);
			assert_int_equal(idx + 1, v);
		}
	}
}

/* Seeking k steps lands where k calls' worth of exponents would. */
static void test_seek(void **state)
{
	(void)state;
	const uint64_t n = 70000;

	for (uint32_t sh = 0; sh < 3; sh++) {
		struct bph_perm a, b;
		uint64_t x, y;

		assert_int_equal(bph_perm_init(&a, n, 5, sh, 3), 0);
		for (int k = 0; k < 12345; k++)
			assert_true(bph_perm_next(&a, &x));
		assert_int_equal(bph_perm_init(&b, n, 5, sh, 3), 0);
		assert_int_equal(bph_perm_pos(&b), 0);
		bph_perm_seek(&b, bph_perm_pos(&a));
		assert_int_equal(bph_perm_pos(&b), bph_perm_pos(&a));
		while (bph_perm_next(&a, &x)) {
			assert_true(bph_perm_next(&b, &y));
			assert_int_equal(x, y);
		}
		assert_false(bph_perm_next(&b, &y));
		/* seeking past the end clamps */
		bph_perm_seek(&b, 1ULL << 40);
		assert_false(bph_perm_next(&b, &y));
	}
}

static void test_bad_args(void **state)
{
	(void)state;
	struct bph_perm pm;
	assert_int_equal(bph_perm_init(&pm, 0, 1, 0, 1), BPH_ERR_USAGE);
	assert_int_equal(bph_perm_init(&pm, 10, 1, 2, 2), BPH_ERR_USAGE);
	assert_int_equal(bph_perm_init(&pm, 10, 1, 0, 0), BPH_ERR_USAGE);
	assert_int_equal(bph_perm_init(&pm, 1ULL << 50, 1, 0, 1),
			 BPH_ERR_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cover_shards),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_generator_order),
	    cmocka_unit_test(test_matches_powers),
	    cmocka_unit_test(test_seek),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
