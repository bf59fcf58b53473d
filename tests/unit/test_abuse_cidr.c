/*
 * Prefixes and range sets (abuse/cidr.c): parsing, and aggregation
 * against a brute-force reference on random sets of both families. With
 * BPH_AGG_DIR set, every random case is also written there (in.N and
 * out.N) for tests/integration/deny_lists.sh, which checks them against
 * Python's ipaddress.collapse_addresses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abuse/cidr.h"
#include "fingerprints/err.h"

static struct bph_cidr P(const char *s) {
	struct bph_cidr c;
	const char *why = NULL;
	if (bph_cidr_parse(s, &c, &why, NULL))
		fail_msg("%s: %s", s, why);
	return c;
}

static void
test_parse(void **state)
{
	(void)state;
	struct bph_cidr c;
	char out[BPH_CIDR_STRLEN];
	const char *why;
	size_t col;
	c = P("198.18.10.0/24");
	assert_int_equal(c.family, 4);
	assert_int_equal(c.len, 24);
	bph_cidr_format(&c, out);
	assert_string_equal(out, "198.18.10.0/24");
	c = P("198.18.10.7");
	assert_int_equal(c.len, 32);
	c = P("2001:DB8:0:0::/32");
	bph_cidr_format(&c, out);
	assert_string_equal(out, "2001:db8::/32");
	c = P("::/0");
	assert_int_equal(c.len, 0);
	assert_int_equal(bph_cidr_parse("198.18.10.1/24", &c, &why, &col),
			 BPH_ERR_FORMAT);
	assert_int_equal(col, 11);
	assert_non_null(strstr(why, "host bits"));
	assert_int_equal(bph_cidr_parse("198.18.10.0/33", &c, &why, &col),
			 BPH_ERR_FORMAT);
	assert_int_equal(col, 12);
	const char *bad[] = {"",
			     "/24",
			     "198.18.10",
			     "198.18.10.0/",
			     "198.18.10.0/024",
			     "1.2.3.4/2x",
			     "1.2.3.4 ",
			     "::1/129",
			     "example.com",
			     "01.2.3.4",
			     "1.2.3.4/+8",
			     "1.2.3.4//8"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bph_cidr_parse(bad[i], &c, &why, &col),
				 BPH_ERR_FORMAT);
}

static void test_example(void **state)
{
	(void)state;
	/* docs/output.md's example, as collapse_addresses gives it */
	const char *in[] = {"198.51.100.0/25",	 "198.51.100.128/25",
			    "203.0.113.7/32",	 "203.0.113.6/32",
			    "192.0.2.0/24",	 "192.0.2.64/26",
			    "2001:db8:bad::/49", "2001:db8:bad:8000::/49"};
	const char *want[] = {"192.0.2.0/24", "198.51.100.0/24",
			      "203.0.113.6/31", "2001:db8:bad::/48"};
	struct bph_rangeset s = {0};
	struct bph_cidr *out;
	size_t n;
	char buf[BPH_CIDR_STRLEN];
	for (size_t i = 0; i < 8; i++) {
		struct bph_cidr c = P(in[i]);
		assert_int_equal(bph_rangeset_add(&s, &c), 0);
	}
	bph_rangeset_normalize(&s);
	assert_int_equal(bph_rangeset_cidrs(&s, 0, 0, 100, &out, &n), 0);
	assert_int_equal(n, 4);
	for (size_t i = 0; i < n; i++) {
		bph_cidr_format(&out[i], buf);
		assert_string_equal(buf, want[i]);
	}
	free(out);
	/* at most /24 wide: a /23 becomes two /24s */
	struct bph_cidr w = P("198.51.100.0/23");
	bph_rangeset_free(&s);
	bph_rangeset_add(&s, &w);
	bph_rangeset_normalize(&s);
	assert_int_equal(bph_rangeset_cidrs(&s, 24, 48, 100, &out, &n), 0);
	assert_int_equal(n, 2);
	bph_cidr_format(&out[1], buf);
	assert_string_equal(buf, "198.51.101.0/24");
	free(out);
	assert_int_equal(bph_rangeset_cidrs(&s, 32, 48, 100, &out, &n),
			 BPH_ERR_TOOBIG);
	bph_rangeset_free(&s);
}

static void test_whole_space(void **state)
{
	(void)state;
	struct bph_rangeset s = {0};
	struct bph_cidr *out, a = P("::/0"), b = P("0.0.0.0/0");
	size_t n;
	char buf[BPH_CIDR_STRLEN];
	bph_rangeset_add(&s, &a);
	bph_rangeset_add(&s, &b);
	bph_rangeset_add(&s, &a);
	bph_rangeset_normalize(&s);
	assert_int_equal(s.n, 2);
	assert_int_equal(bph_rangeset_cidrs(&s, 0, 0, 10, &out, &n), 0);
	assert_int_equal(n, 2);
	bph_cidr_format(&out[0], buf);
	assert_string_equal(buf, "0.0.0.0/0");
	bph_cidr_format(&out[1], buf);
	assert_string_equal(buf, "::/0");
	free(out);
	/* the top of both spaces, which an off-by-one would wrap */
	bph_rangeset_free(&s);
	struct bph_cidr t4 = P("255.255.255.254/31"), t6 = P("ffff::/16");
	bph_rangeset_add(&s, &t4);
	bph_rangeset_add(&s, &t6);
	struct bph_rangeset m = {0};
	struct bph_cidr m4 = P("255.255.255.255"), m6 = P("ffff:ffff::/32");
	bph_rangeset_add(&m, &m4);
	bph_rangeset_add(&m, &m6);
	assert_int_equal(bph_rangeset_subtract(&s, &m), 0);
	assert_int_equal(bph_rangeset_cidrs(&s, 0, 0, 100, &out, &n), 0);
	assert_int_equal(n, 1 + 16);
	bph_cidr_format(&out[0], buf);
	assert_string_equal(buf, "255.255.255.254/32");
	bph_cidr_format(&out[1], buf);
	assert_string_equal(buf, "ffff::/17");
	bph_cidr_format(&out[n - 1], buf);
	assert_string_equal(buf, "ffff:fffe::/32");
	free(out);
	bph_rangeset_free(&s);
	bph_rangeset_free(&m);
}

static void test_special(void **state)
{
	(void)state;
	struct bph_rangeset s = {0};
	struct bph_cidr c;
	assert_int_equal(bph_rangeset_add_special(&s), 0);
	bph_rangeset_normalize(&s);
	c = P("198.18.10.10");
	assert_true(bph_rangeset_contains(&s, 4, c.addr));
	assert_string_equal(bph_cidr_special_name(4, c.addr),
			    "benchmarking (RFC 2544)");
	c = P("2001:db8::1");
	assert_string_equal(bph_cidr_special_name(6, c.addr),
			    "documentation (RFC 3849)");
	c = P("8.8.8.8");
	assert_false(bph_rangeset_contains(&s, 4, c.addr));
	assert_null(bph_cidr_special_name(4, c.addr));
	c = P("2a00:1450::1");
	assert_false(bph_rangeset_contains(&s, 6, c.addr));
	/* the IPv4 address 8.8.8.8 is not the IPv6 address ::808:808 */
	c = P("::808:808");
	assert_false(bph_rangeset_contains(&s, 6, c.addr));
	bph_rangeset_free(&s);
}

/* ---- random sets against a brute-force reference ---- */

#define UNIVERSE_BITS 12 /* 4096 addresses */
#define UNIVERSE      (1u << UNIVERSE_BITS)

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

struct universe {
	uint8_t family;
	bph_u128 base; /* aligned to UNIVERSE */
	unsigned bits; /* of the family */
	uint8_t in[UNIVERSE];
};

/* The unique fewest-prefix cover: for each address in the set, the
 * largest aligned block holding it that lies wholly in the set and is no
 * wider than 2^maxk. */
static size_t reference(const struct universe *u, unsigned maxk,
			uint32_t *start, unsigned *k_out)
{
	size_t n = 0;
	for (uint32_t a = 0; a < UNIVERSE;) {
		if (!u->in[a]) {
			a++;
			continue;
		}
		unsigned k = 0;
		for (unsigned t = 1; t <= maxk && t <= UNIVERSE_BITS; t++) {
			uint32_t lo = a & ~((1u << t) - 1), hi = lo + (1u << t);
			bool full = lo == a;
			for (uint32_t x = lo; full && x < hi; x++)
				full = u->in[x];
			if (!full)
				break;
			k = t;
		}
		start[n] = a;
		k_out[n++] = k;
		a += 1u << k;
	}
	return n;
}

static void random_prefixes(struct universe *u, struct bph_rangeset *s,
			    uint64_t *x, FILE *log)
{
	size_t count = 1 + rnd(x) % 40;
	memset(u->in, 0, sizeof(u->in));
	for (size_t i = 0; i < count; i++) {
		unsigned k = (unsigned)(rnd(x) % 8); /* up to /24-ish */
		if (rnd(x) % 3 == 0)
			k = 0;
		uint32_t a = (uint32_t)(rnd(x) % UNIVERSE) & ~((1u << k) - 1);
		struct bph_cidr c = {u->family, (uint8_t)(u->bits - k),
				     u->base + a};
		char buf[BPH_CIDR_STRLEN];
		for (uint32_t y = a; y < a + (1u << k); y++)
			u->in[y] = 1;
		assert_int_equal(bph_rangeset_add(s, &c), 0);
		if (log) {
			bph_cidr_format(&c, buf);
			fprintf(log, "%s\n", buf);
		}
	}
}

static FILE *case_file(const char *what, uint8_t family, int i)
{
	const char *dir = getenv("BPH_AGG_DIR");
	char path[512];
	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s.v%u.%d", dir, what, family, i);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	return f;
}

static void check_case(struct universe *u, uint64_t *x, int i, unsigned min)
{
	static uint32_t start[UNIVERSE];
	static unsigned ks[UNIVERSE];
	struct bph_rangeset s = {0};
	struct bph_cidr *out;
	size_t n;
	FILE *in = min ? NULL : case_file("in", u->family, i);
	FILE *log = min ? NULL : case_file("out", u->family, i);
	random_prefixes(u, &s, x, in);
	bph_rangeset_normalize(&s);
	unsigned maxk = min ? u->bits - min : u->bits;
	assert_int_equal(bph_rangeset_cidrs(&s, u->family == 4 ? min : 0,
					    u->family == 6 ? min : 0,
					    UNIVERSE + 1, &out, &n),
			 0);
	size_t want = reference(u, maxk, start, ks);
	assert_int_equal(n, want);
	for (size_t j = 0; j < n; j++) {
		assert_true(out[j].addr == u->base + start[j]);
		assert_int_equal(out[j].len, u->bits - ks[j]);
		if (log) {
			char buf[BPH_CIDR_STRLEN];
			bph_cidr_format(&out[j], buf);
			fprintf(log, "%s\n", buf);
		}
	}
	free(out);
	bph_rangeset_free(&s);
	if (in)
		fclose(in);
	if (log)
		fclose(log);
}

static void test_random_collapse(void **state)
{
	(void)state;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct universe *u = calloc(1, sizeof(*u));
	struct bph_cidr v4 = P("10.20.0.0/20"), v6 = P("2001:db8:1::f000/116");
	assert_non_null(u);
	for (int i = 0; i < 300; i++) {
		bool six = i % 2;
		u->family = six ? 6 : 4;
		u->bits = six ? 128 : 32;
		u->base = six ? v6.addr : v4.addr;
		check_case(u, &x, i, 0);
		check_case(u, &x, i, six ? 124 : 28); /* at most 16 wide */
	}
	free(u);
}

/* Subtraction against the same bitmaps. */
static void test_random_subtract(void **state)
{
	(void)state;
	uint64_t x = 12345;
	struct universe *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
	struct bph_cidr v4 = P("10.20.0.0/20");
	assert_non_null(a);
	assert_non_null(b);
	for (int i = 0; i < 200; i++) {
		struct bph_rangeset sa = {0}, sb = {0};
		a->family = b->family = 4;
		a->bits = b->bits = 32;
		a->base = b->base = v4.addr;
		random_prefixes(a, &sa, &x, NULL);
		random_prefixes(b, &sb, &x, NULL);
		assert_int_equal(bph_rangeset_subtract(&sa, &sb), 0);
		for (uint32_t y = 0; y < UNIVERSE; y++)
			assert_int_equal(
			    bph_rangeset_contains(&sa, 4, v4.addr + y),
			    a->in[y] && !b->in[y]);
		assert_false(bph_rangeset_contains(&sa, 4, v4.addr - 1));
		assert_false(bph_rangeset_contains(&sa, 6, v4.addr));
		bph_rangeset_free(&sa);
		bph_rangeset_free(&sb);
	}
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_example),
	    cmocka_unit_test(test_whole_space),
	    cmocka_unit_test(test_special),
	    cmocka_unit_test(test_random_collapse),
	    cmocka_unit_test(test_random_subtract),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
