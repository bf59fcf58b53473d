/*
 * test_fp_favicon.c - mmh3 vectors (reference 5.1), base64.encodebytes
 * layout, and a cross-check against Debian's Digest::MurmurHash3::PurePerl
 * and MIME::Base64 run through popen (an independent implementation).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fingerprints/favicon.h"

static void test_mmh3_vectors(void **state)
{
	(void)state;
	assert_int_equal(bph_mmh3_signed("", 0), 0);
	assert_int_equal(bph_mmh3_signed("foo", 3), -156908512);
	assert_int_equal(bph_mmh3_signed("hello", 5), 613153351);
	assert_int_equal(bph_mmh3_signed("SOMETHING", 9), -82460412);
	/* unsigned form of "foo", as Digest::MurmurHash3 prints it */
	assert_true(bph_mmh3_x86_32("foo", 3, 0) == 4138058784u);
}

static void test_favicon_zeros(void **state)
{
	uint8_t z[100] = {0};
	(void)state;
	assert_int_equal(bph_favicon_hash(z, sizeof(z)), -1140816753);
	assert_int_equal(bph_favicon_hash(NULL, 0), 0);
}

static void check_b64(const char *in, const char *want)
{
	size_t len = 0;
	char *got = bph_base64_mime((const uint8_t *)in, strlen(in), &len);
	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(len, strlen(want));
	free(got);
}

static void test_base64_layout(void **state)
{
	uint8_t b57[57], b58[58];
	size_t len;
	char *s;
	(void)state;

	check_b64("", "");
	check_b64("f", "Zg==\n");
	check_b64("fo", "Zm8=\n");
	check_b64("foo", "Zm9v\n");
	check_b64("foobar", "Zm9vYmFy\n");
	/* 57 bytes are exactly 76 characters: one line with its trailing \n */
	memset(b57, 0xff, sizeof(b57));
	s = bph_base64_mime(b57, sizeof(b57), &len);
	assert_non_null(s);
	assert_int_equal(len, 77);
	assert_int_equal(s[76], '\n');
	assert_null(strchr(s, '=')); /* no padding for a multiple of 3 */
	free(s);
	/* 58 bytes: a full line, then "/w==\n" */
	memset(b58, 0xff, sizeof(b58));
	s = bph_base64_mime(b58, sizeof(b58), &len);
	assert_non_null(s);
	assert_int_equal(len, 77 + 5);
	assert_string_equal(s + 77, "/w==\n");
	free(s);
}

/* Deterministic xorshift32 so a failure is reproducible. */
static uint32_t xs32(uint32_t *st)
{
	uint32_t x = *st;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *st = x;
}

/* Runs the Perl oracle on hex-encoded bytes; returns its unsigned output. */
static int perl_oracle(const uint8_t *p, size_t n, const char *expr, char *out,
		       size_t outsz)
{
	size_t cmdsz = 2 * n + 512;
	char *cmd = malloc(cmdsz);
	size_t o;
	FILE *f;
	int rc = -1;

	assert_non_null(cmd);
	o = (size_t)snprintf(cmd, cmdsz,
			     "perl -MDigest::MurmurHash3::PurePerl=murmur32 "
			     "-MMIME::Base64 -e 'my $d = pack(\"H*\", "
			     "$ARGV[0]); print %s' '",
			     expr);
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(cmd + o, cmdsz - o, "%02x", p[i]);
	snprintf(cmd + o, cmdsz - o, "'");
	f = popen(cmd, "r");
	if (f) {
		size_t got = fread(out, 1, outsz - 1, f);
		out[got] = '\0';
		rc = pclose(f) == 0 ? 0 : -1;
	}
	free(cmd);
	return rc;
}

static void cross_check(const uint8_t *p, size_t n)
{
	char out[4096];
	uint8_t ascii[1000];
	unsigned long long u;
	char *mine;
	int rc;

	rc = perl_oracle(p, n, "murmur32(encode_base64($d))", out, sizeof(out));
	assert_int_equal(rc, 0);
	u = strtoull(out, NULL, 10);
	assert_true(u <= 0xffffffffull);
	assert_int_equal(bph_favicon_hash(p, n),
			 (int32_t)(u >= 0x80000000ull
				       ? (long long)u - 0x100000000ll
				       : (long long)u));

	/*
	 * The Perl module UTF-8-encodes its key first, so the raw seeded
	 * check runs on the 7-bit projection of the same bytes.
	 */
	for (size_t i = 0; i < n; i++)
		ascii[i] = p[i] & 0x7f;
	rc =
	    perl_oracle(ascii, n, "murmur32($d, 0x9747b28c)", out, sizeof(out));
	assert_int_equal(rc, 0);
	assert_true(strtoull(out, NULL, 10) ==
		    bph_mmh3_x86_32(ascii, n, 0x9747b28cu));

	rc = perl_oracle(p, n, "encode_base64($d)", out, sizeof(out));
	assert_int_equal(rc, 0);
	mine = bph_base64_mime(p, n, NULL);
	assert_non_null(mine);
	assert_string_equal(mine, out);
	free(mine);
}

static void test_cross_check_perl(void **state)
{
	static const size_t lens[] = {0, 1, 2, 3, 4, 56, 57, 58, 114, 1000};
	uint8_t buf[1000];
	uint32_t st = 0x2545f491u;
	(void)state;

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (size_t j = 0; j < lens[i]; j++)
			buf[j] = (uint8_t)xs32(&st);
		cross_check(buf, lens[i]);
	}
	for (int r = 0; r < 8; r++) {
		size_t n = xs32(&st) % sizeof(buf);
		for (size_t j = 0; j < n; j++)
			buf[j] = (uint8_t)xs32(&st);
		cross_check(buf, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mmh3_vectors),
	    cmocka_unit_test(test_favicon_zeros),
	    cmocka_unit_test(test_base64_layout),
	    cmocka_unit_test(test_cross_check_perl),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
