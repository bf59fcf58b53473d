/*
 * The bulk path's sort of pairs (store/store_runs.c, bph_sort_pairs):
 * sorted output for every order, and at most a small multiple of
 * n log2 n comparisons on an order built against it by McIlroy's
 * adversary ("A Killer Adversary for Quicksort", Software: Practice and
 * Experience 29(4), 1999), which drives any plain quicksort to n^2/4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "store/db_int.h"

#define N (1u << 14)

/* The adversary's state: the comparator takes no context. */
static struct {
	int64_t *val;	    /* each item's value; gas until frozen */
	int64_t gas, solid; /* the unfrozen value, the next frozen one */
	uint32_t candidate;
	size_t calls;
} adv;

static void freeze(uint32_t item)
{
	adv.val[item] = adv.solid++;
}

/* Items are named by ip; a comparison of two unknowns freezes one, and the
 * pivot candidate stays unknown as long as it can. */
static int adversary_cmp(const void *x, const void *y)
{
	uint32_t a = ((const struct bph_wpair *)x)->ip;
	uint32_t b = ((const struct bph_wpair *)y)->ip;

	adv.calls++;
	if (adv.val[a] == adv.gas && adv.val[b] == adv.gas)
		freeze(a == adv.candidate ? a : b);
	if (adv.val[a] == adv.gas)
		adv.candidate = a;
	else if (adv.val[b] == adv.gas)
		adv.candidate = b;
	return adv.val[a] < adv.val[b] ? -1 : adv.val[a] > adv.val[b];
}

static size_t counted;

static int art_cmp(const void *x, const void *y)
{
	const struct bph_wpair *a = x, *b = y;

	counted++;
	return a->art < b->art ? -1 : a->art > b->art;
}

static size_t log2_ceil(size_t n)
{
	size_t k = 0;

	while (((size_t)1 << k) < n)
		k++;
	return k;
}

/* The order the adversary chose, replayed with plain values: the sort
 * meets the same comparisons, and must still stay near n log n. */
static void test_adversary_order(void **state)
{
	struct bph_wpair *p = calloc(N, sizeof(*p));

	(void)state;
	adv.val = calloc(N, sizeof(*adv.val));
	assert_non_null(p);
	assert_non_null(adv.val);
	adv.gas = N - 1;
	adv.solid = 0;
	adv.calls = 0;
	for (uint32_t i = 0; i < N; i++) {
		p[i].ip = i;
		adv.val[i] = adv.gas;
	}
	bph_sort_pairs(p, N, adversary_cmp);
	for (uint32_t i = 0; i < N; i++)
		p[i] = (struct bph_wpair){.art = adv.val[i], .ip = i};
	counted = 0;
	bph_sort_pairs(p, N, art_cmp);
	for (size_t i = 1; i < N; i++)
		assert_true(p[i - 1].art <= p[i].art);
	/* measured: 851,133; the quicksort alone made 67,166,103 */
	assert_true(counted <= 8 * N * log2_ceil(N));
	free(adv.val);
	free(p);
}

/* Every order of a few shapes gives the sorted multiset back. */
static void test_sorted_output(void **state)
{
	struct bph_wpair *p = calloc(N, sizeof(*p));
	int64_t *want = calloc(N, sizeof(*want));
	unsigned seed = 7;

	(void)state;
	assert_non_null(p);
	assert_non_null(want);
	for (int shape = 0; shape < 5; shape++) {
		for (size_t i = 0; i < N; i++) {
			seed = seed * 1103515245u + 12345u;
			int64_t v = shape == 0	 ? (int64_t)i
				    : shape == 1 ? (int64_t)(N - i)
				    : shape == 2 ? (int64_t)(seed >> 8)
				    : shape == 3 ? (int64_t)(seed >> 28)
						 : 42;
			p[i] = (struct bph_wpair){.art = v, .ip = (uint32_t)i};
		}
		counted = 0;
		bph_sort_pairs(p, N, art_cmp);
		for (size_t i = 0; i < N; i++)
			want[i] = p[i].art;
		for (size_t i = 1; i < N; i++)
			assert_true(want[i - 1] <= want[i]);
		/* nothing lost: each ip once */
		char *seen = calloc(N, 1);
		assert_non_null(seen);
		for (size_t i = 0; i < N; i++) {
			assert_false(seen[p[i].ip]);
			seen[p[i].ip] = 1;
		}
		free(seen);
	}
	free(want);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_adversary_order),
	    cmocka_unit_test(test_sorted_output),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
