/* Longest-prefix match (ranges/ipmap.h) against a brute-force scan of every
 * item, on random nested prefixes and random overlapping ranges, IPv4 and
 * IPv6, with the parent chains; and the address helpers of ranges/ip.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/err.h"
#include "ranges/ip.h"
#include "ranges/ipmap.h"

/* xorshift64*: reproducible random numbers without global state. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

static bph_u128 rnd128(uint64_t *s)
{
	return ((bph_u128)rnd(s) << 64) | rnd(s);
}

/* Innermost covering item: smallest, ties to the later one; -1. */
static int32_t brute(const bph_u128 *f, const bph_u128 *l, size_t n, bph_u128 v)
{
	int32_t best = -1;
	for (size_t i = 0; i < n; i++) {
		if (v < f[i] || v > l[i])
			continue;
		if (best < 0 || l[i] - f[i] <= l[best] - f[best])
			best = (int32_t)i;
	}
	return best;
}

static size_t count_covering(const bph_u128 *f, const bph_u128 *l, size_t n,
			     bph_u128 v)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += v >= f[i] && v <= l[i];
	return c;
}

/* Random prefixes of fam inside base/base_len (so they nest often). */
static void random_prefixes(uint8_t fam, bph_u128 base, unsigned base_len,
			    unsigned max_len, size_t n, uint64_t *seed,
			    bph_u128 *f, bph_u128 *l)
{
	for (size_t i = 0; i < n; i++) {
		unsigned len =
		    base_len + (unsigned)(rnd(seed) % (max_len - base_len + 1));
		bph_u128 v = base;
		unsigned bits = bph_fam_bits(fam);
		bph_u128 r = fam == BPH_FAM_V4 ? (bph_u128)(uint32_t)rnd(seed)
					       : rnd128(seed);
		if (base_len < bits)
			v |= r & ((((bph_u128)1) << (bits - base_len)) - 1);
		struct bph_range x = bph_range_of_prefix(fam, v, len);
		f[i] = x.first;
		l[i] = x.last;
	}
}

static bph_u128 probe_addr(uint8_t fam, const bph_u128 *f, const bph_u128 *l,
			   size_t n, uint64_t *seed)
{
	uint64_t k = rnd(seed);
	bph_u128 r =
	    fam == BPH_FAM_V4 ? (bph_u128)(uint32_t)rnd(seed) : rnd128(seed);
	size_t i = (size_t)(k % n);
	switch (k >> 60 & 3) {
	case 0: /* anywhere */
		return r;
	case 1:
		return f[i];
	case 2:
		return l[i];
	default: /* inside item i */
		return f[i] + (l[i] == f[i] ? 0 : r % (l[i] - f[i] + 1));
	}
}

static void check_map(uint8_t fam, const bph_u128 *f, const bph_u128 *l,
		      size_t n, bool nested, uint64_t *seed)
{
	struct bph_ipmap *m;
	int32_t *parent = malloc(n * sizeof(*parent));

	assert_non_null(parent);
	assert_int_equal(bph_ipmap_build(fam, f, l, n, parent, &m), 0);
	/* every other IPv4 map answers through its direct /24 table */
	if (fam == BPH_FAM_V4 && (rnd(seed) & 1))
		assert_int_equal(bph_ipmap_direct(m), 0);
	for (int k = 0; k < 4000; k++) {
		bph_u128 v = probe_addr(fam, f, l, n, seed);
		int32_t got = bph_ipmap_find(m, v);
		assert_int_equal(got, brute(f, l, n, v));
		if (!nested)
			continue;
		/* the parent chain visits every covering item once */
		size_t chain = 0;
		for (int32_t c = got; c >= 0; c = parent[c]) {
			assert_true(v >= f[c] && v <= l[c]);
			chain++;
		}
		assert_int_equal(chain, count_covering(f, l, n, v));
	}
	bph_ipmap_free(m);
	free(parent);
}

static void test_nested_prefixes_v4(void **state)
{
	uint64_t seed = 0x1234567;
	bph_u128 f[600], l[600];
	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t n = 1 + rnd(&seed) % 600;
		random_prefixes(BPH_FAM_V4, (bph_u128)10u << 24, 8,
				round & 1 ? 32 : 20, n, &seed, f, l);
		check_map(BPH_FAM_V4, f, l, n, true, &seed);
	}
}

static void test_nested_prefixes_v6(void **state)
{
	uint64_t seed = 0x9876543;
	bph_u128 f[600], l[600];
	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t n = 1 + rnd(&seed) % 600;
		bph_u128 base = (bph_u128)0x20010db8u << 96;
		random_prefixes(BPH_FAM_V6, base, 32, round & 1 ? 128 : 48, n,
				&seed, f, l);
		check_map(BPH_FAM_V6, f, l, n, true, &seed);
	}
}

/* Arbitrary ranges that overlap without nesting: the innermost is still
 * the smallest covering one. */
static void test_overlapping_ranges(void **state)
{
	uint64_t seed = 0xfeed;
	bph_u128 f[300], l[300];
	(void)state;
	for (int round = 0; round < 20; round++) {
		size_t n = 1 + rnd(&seed) % 300;
		for (size_t i = 0; i < n; i++) {
			uint32_t a = (uint32_t)rnd(&seed) % 5000,
				 b = (uint32_t)rnd(&seed) % 5000;
			f[i] = a < b ? a : b;
			l[i] = a < b ? b : a;
		}
		check_map(BPH_FAM_V4, f, l, n, false, &seed);
	}
}

/* The ends of the address space, duplicates and an empty map. */
static void test_edges(void **state)
{
	(void)state;
	bph_u128 f[3] = {0, 0, 0xffffff00u},
		 l[3] = {0xffffffffu, 0xffffffffu, 0xffffffffu};
	int32_t parent[3];
	struct bph_ipmap *m;

	assert_int_equal(bph_ipmap_build(BPH_FAM_V4, f, l, 3, parent, &m), 0);
	assert_int_equal(bph_ipmap_find4(m, 0), 1); /* duplicate: later */
	assert_int_equal(bph_ipmap_find4(m, 0xffffffffu), 2);
	assert_int_equal(parent[2], 1);
	assert_int_equal(parent[1], 0);
	assert_int_equal(parent[0], -1);
	bph_ipmap_free(m);

	assert_int_equal(bph_ipmap_build(BPH_FAM_V4, f, l, 0, NULL, &m), 0);
	assert_int_equal(bph_ipmap_find4(m, 12345), -1);
	bph_ipmap_free(m);

	bph_u128 f6 = 0, l6 = ~(bph_u128)0;
	assert_int_equal(bph_ipmap_build(BPH_FAM_V6, &f6, &l6, 1, NULL, &m), 0);
	assert_int_equal(bph_ipmap_find(m, ~(bph_u128)0), 0);
	bph_ipmap_free(m);
}

static int collect(bph_u128 v, unsigned len, void *arg)
{
	char **out = arg, a[BPH_ADDR_STRLEN];
	size_t used = strlen(*out);
	bph_addr_format(v > 0xffffffffu ? BPH_FAM_V6 : BPH_FAM_V4, v, a);
	snprintf(*out + used, 256 - used, "%s%s/%u", used ? " " : "", a, len);
	return 0;
}

static void test_addresses(void **state)
{
	struct bph_range r;
	struct bph_addr a;
	unsigned len;
	bool host;
	char buf[BPH_RANGE_STRLEN], out[256] = "", *p = out;
	(void)state;

	assert_int_equal(bph_prefix_parse("192.0.2.77/24", 13, &r, &len, &host),
			 0);
	assert_true(host);
	assert_int_equal(len, 24);
	bph_range_format(&r, buf);
	assert_string_equal(buf, "192.0.2.0/24");
	assert_int_equal(bph_prefix_parse("2001:db8::/32", 13, &r, NULL, NULL),
			 0);
	bph_range_format(&r, buf);
	assert_string_equal(buf, "2001:db8::/32");
	assert_int_equal(bph_range_prefix_len(&r), 32);
	assert_int_equal(bph_prefix_parse("192.0.2.0/33", 12, &r, NULL, NULL),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_prefix_parse("192.0.2.0/", 10, &r, NULL, NULL),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_addr_parse("300.1.1.1", 9, &a), BPH_ERR_FORMAT);
	assert_int_equal(bph_addr_parse("0.0.0.0/0", 9, &a), BPH_ERR_FORMAT);
	assert_int_equal(bph_prefix_parse("0.0.0.0/0", 9, &r, NULL, NULL), 0);
	assert_true(r.first == 0 && r.last == 0xffffffffu);

	r = (struct bph_range){BPH_FAM_V4, 0xc0000201u, 0xc0000206u};
	bph_range_format(&r, buf);
	assert_string_equal(buf, "192.0.2.1 - 192.0.2.6");
	assert_int_equal(bph_range_prefixes(&r, collect, &p), 0);
	assert_string_equal(
	    out, "192.0.2.1/32 192.0.2.2/31 192.0.2.4/31 192.0.2.6/32");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nested_prefixes_v4),
	    cmocka_unit_test(test_nested_prefixes_v6),
	    cmocka_unit_test(test_overlapping_ranges),
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_addresses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
