/*
 * test_fp_reserved.c - the shared special-purpose table of
 * fingerprints/reserved.h: every row parses with no host bits set, each
 * family's rows are sorted and disjoint, and the IPv4 view covers what
 * zmap's blocklist.conf blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/reserved.h"

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* Host bits of net below len are all zero. */
static bool aligned(const uint8_t net[16], unsigned len, unsigned bits)
{
	for (unsigned i = len; i < bits; i++)
		if (net[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

static void test_rows_parse(void **state)
{
	(void)state;
	size_t n;
	const struct bph_reserved *t = bph_reserved_table(&n);
	uint8_t fam, net[16], prev[16] = {0}, prev_fam = 0;
	unsigned len;
	size_t v4 = 0;

	assert_int_equal(n, 26);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(bph_reserved_prefix(&t[i], &fam, &len, net),
				 0);
		assert_true(aligned(net, len, fam == 6 ? 128 : 32));
		assert_non_null(t[i].name);
		if (fam == 4)
			assert_int_equal(v4++, i); /* IPv4 rows first */
		else
			assert_false(t[i].bogon);
		/* sorted within a family */
		if (i && fam == prev_fam)
			assert_true(memcmp(prev, net, 16) < 0);
		memcpy(prev, net, 16);
		prev_fam = fam;
	}
	assert_int_equal(v4, 15);
	struct bph_reserved bad = {"10.0.0.0", "x", false};
	assert_int_equal(bph_reserved_prefix(&bad, &fam, &len, net),
			 BPH_ERR_FORMAT);
	bad.cidr = "10.0.0.0/33";
	assert_int_equal(bph_reserved_prefix(&bad, &fam, &len, net),
			 BPH_ERR_FORMAT);
}

static void test_v4_view(void **state)
{
	(void)state;
	uint32_t r[32][2];
	size_t n = bph_reserved_v4(r, 32, false);
	uint64_t total = 0;

	assert_int_equal(n, 15);
	for (size_t i = 0; i < n; i++) {
		total += (uint64_t)r[i][1] - r[i][0] + 1;
		if (i)
			assert_true(r[i - 1][1] < r[i][0]); /* disjoint */
	}
	/* zmap's blocklist leaves 3,702,258,432 of 2^32 scannable */
	assert_int_equal(total, (1ULL << 32) - 3702258432ULL);
	assert_int_equal(r[10][0], ip4(198, 18, 0, 0));
	assert_int_equal(r[10][1], ip4(198, 19, 255, 255));
	/* 192.88.99.0/24 is special but not a bogon */
	assert_int_equal(bph_reserved_v4(r, 32, true), 14);
	for (size_t i = 0; i < 14; i++)
		assert_false(r[i][0] == ip4(192, 88, 99, 0));
	/* a short buffer still gets the count */
	assert_int_equal(bph_reserved_v4(r, 2, false), 15);
	assert_int_equal(r[1][0], ip4(10, 0, 0, 0));
}

static void test_v4_has(void **state)
{
	(void)state;
	assert_true(bph_reserved_v4_has(ip4(198, 18, 10, 10)));
	assert_true(bph_reserved_v4_has(ip4(172, 31, 255, 255)));
	assert_false(bph_reserved_v4_has(ip4(172, 32, 0, 0)));
	assert_true(bph_reserved_v4_has(ip4(192, 88, 99, 1)));
	assert_true(bph_reserved_v4_has(ip4(255, 255, 255, 255)));
	assert_false(bph_reserved_v4_has(ip4(198, 20, 0, 0)));
	assert_false(bph_reserved_v4_has(ip4(8, 8, 8, 8)));
	assert_true(bph_reserved_v4_has(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_parse),
	    cmocka_unit_test(test_v4_view),
	    cmocka_unit_test(test_v4_has),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
