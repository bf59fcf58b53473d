/*
 * test_fp_jarm.c - JARM builder, reply reducer and hash against the vectors
 * of shared/reference/fingerprints.md section 1.8 and Appendix A, plus a live
 * run of the ten probes against `openssl s_server` on 127.0.0.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "fingerprints/jarm.h"
#include "testlib/testlib.h"

#define EMPTY_TAIL "e3b0c44298fc1c149afbf4c8996fb924"

static const char openssl_default_raw[] =
    "0033|0303||ff01-0001-0023-0017,009d|0303||ff01-0001-0023-0017,"
    "009f|0303||ff01-0001-0023-0017,c013|0303||ff01-0001-000b-0023-0017,"
    "c013|0303||ff01-0001-000b-0023-0017,|||,1302|0303||002b-0033,"
    "1303|0303||002b-0033,|||,|||";
static const char openssl_default_jarm[] =
    "07d14d16d21d21d00042d43d000000aa99ce74e2c6d013c745aa52b5cc042d";

static FILE *open_data(const char *name)
{
	const char *src = getenv("BPH_SRCDIR");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/data/%s", src ? src : ".", name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	return f;
}

/* Appendix A: all ten probes, byte for byte, and their sha256. */
static void test_build_appendix_a(void **state)
{
	(void)state;
	struct bph_jarm_rand rnd;
	static char line[8192];
	static uint8_t want[2048];
	int seen = 0;
	FILE *f = open_data("jarm_clienthello_vectors.txt");

	memset(&rnd, 0, sizeof(rnd));
	rnd.grease = 0x0a0a;
	while (fgets(line, sizeof(line), f)) {
		int probe;
		unsigned len;
		char sha[65], hex[4096], got[65];
		struct bph_sbuf b;
		if (line[0] == '#')
			continue;
		assert_int_equal(
		    sscanf(line, "%d %u %64s %4095s", &probe, &len, sha, hex),
		    4);
		size_t n = bph_test_unhex(hex, want, sizeof(want));
		assert_int_equal(n, len);
		bph_sbuf_init(&b);
		assert_int_equal(
		    bph_jarm_build_hello(probe - 1, "example.com", &rnd, &b),
		    0);
		assert_int_equal(b.len, len);
		assert_memory_equal(b.p, want, len);
		bph_test_sha256_hex(b.p, b.len, got);
		assert_string_equal(got, sha);
		bph_sbuf_free(&b);
		seen++;
	}
	fclose(f);
	assert_int_equal(seen, BPH_JARM_PROBES);
}

/* Appending keeps earlier bytes; random mode still gives valid lengths. */
static void test_build_append_and_random(void **state)
{
	(void)state;
	struct bph_sbuf b;
	bph_sbuf_init(&b);
	bph_sbuf_str(&b, "xy");
	assert_int_equal(bph_jarm_build_hello(9, "example.com", NULL, &b), 0);
	assert_int_equal(b.len, 2 + 440);
	assert_memory_equal(b.p, "xy", 2);
	assert_int_equal(b.p[2], 0x16);
	assert_int_equal(b.p[5] << 8 | b.p[6], 440 - 5);
	/* GREASE cipher is one of 0a0a..fafa */
	assert_int_equal(b.p[2 + 78] & 0x0f, 0x0a);
	assert_int_equal(b.p[2 + 78], b.p[2 + 79]);
	bph_sbuf_free(&b);

	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(bph_jarm_build_hello(0, longname, NULL, &b),
			 BPH_ERR_TOOBIG);
	assert_int_equal(bph_jarm_build_hello(10, "x", NULL, &b),
			 BPH_ERR_USAGE);
	assert_int_equal(bph_jarm_build_hello(-1, "x", NULL, &b),
			 BPH_ERR_USAGE);
	bph_sbuf_free(&b);
}

static void expect_hash(const char *raw, const char *want)
{
	char out[63];
	assert_int_equal(bph_jarm_hash(raw, out), 0);
	assert_string_equal(out, want);
}

static void test_hash_vectors(void **state)
{
	(void)state;
	expect_hash("|||,|||,|||,|||,|||,|||,|||,|||,|||,|||",
		    "00000000000000000000000000000000000000000000000000000000"
		    "000000");
	expect_hash(openssl_default_raw, openssl_default_jarm);
	expect_hash("c02f|0303|h2|ff01-0000-0001-000b-0023-0010,"
		    "c02f|0303|h2|ff01-0000-0001-000b-0023-0010,"
		    "|||,|||,|||,|||,1301|0303|h2|002b-0033,"
		    "1301|0303|h2|002b-0033,|||,1301|0303|h2|002b-0033",
		    "29d29d00000000000041d41d00041d2773f43a56aadbbacf13b2540e"
		    "69398e");
}

/* cipher_bytes and version_byte, observed through the first 3 characters. */
static void test_hash_cipher_version_bytes(void **state)
{
	(void)state;
	static const struct {
		const char *probe, *fuzzy;
	} v[] = {
	    {"abcd|0304||", "46e"}, {"0004|0300||", "01a"},
	    {"c02f|0301||", "29b"}, {"1305|0302||", "45c"},
	    {"|0303||", "00d"},	    {"1301|||", "410"},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		char raw[256], want[63];
		snprintf(raw, sizeof(raw),
			 "%s,|||,|||,|||,|||,|||,|||,|||,|||,|||", v[i].probe);
		snprintf(want, sizeof(want), "%s%s%s", v[i].fuzzy,
			 "000000000000000000000000000", EMPTY_TAIL);
		expect_hash(raw, want);
	}
}

/* Where jarm.py's jarm_hash() raises, or would not give 62 characters. */
static void test_hash_errors(void **state)
{
	(void)state;
	char out[63];
	const char *bad[] = {
	    "0033|0309||,|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "0033|030a||,|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "0033|03||,|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "0033|0303|,|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "|||,|||,|||,|||,|||,|||,|||,|||,|||,|||,|||",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bph_jarm_hash(bad[i], out), BPH_ERR_FORMAT);
		assert_string_equal(out, "");
	}
}

static const char parse_vector[] =
    "1603030064020000600303111111111111111111111111111111111111111111"
    "1111111111111111111111202222222222222222222222222222222222222222"
    "222222222222222222222222c02f000018ff0100010000000000001000050003"
    "026832000b00020100";

static void expect_reply(const uint8_t *p, size_t n, const char *want)
{
	char out[BPH_JARM_RESULT_MAX];
	bph_jarm_parse_reply(p, n, out);
	assert_string_equal(out, want);
}

static void test_parse_vector(void **state)
{
	(void)state;
	uint8_t d[256];
	size_t n = bph_test_unhex(parse_vector, d, sizeof(d));
	assert_int_equal(n, 105);
	expect_reply(d, n, "c02f|0303|h2|ff01-0000-0010-000b");
}

/*
 * Truncations and quirks, worked out from read_packet() and
 * extract_extension_info() (reference 1.6): offsets for this record are
 * counter = 32 (data[43]), cipher at 76, extension length at 79, first
 * extension at 81, record length 0x64.
 */
static void test_parse_quirks(void **state)
{
	(void)state;
	uint8_t d[256];
	size_t n = bph_test_unhex(parse_vector, d, sizeof(d));

	expect_reply(NULL, 0, "|||");
	expect_reply(d, 0, "|||");
	expect_reply(d, 5, "|||");	    /* data[5] IndexError */
	expect_reply(d, 43, "|||");	    /* data[43] IndexError */
	expect_reply(d, 76, "|0303||");	    /* empty cipher slice */
	expect_reply(d, 77, "c0|0303||");   /* short cipher slice */
	expect_reply(d, 79, "c02f|0303||"); /* data[79] IndexError -> "|" */
	expect_reply(d, 80, "c02f|0303||"); /* 1-byte length 0: no loop */
	expect_reply(d, 83, "|||"); /* ext length slice empty: ValueError */
	expect_reply(d, 84, "|||");
	expect_reply(d, 86, "|||");
	expect_reply(d, n - 1, "c02f|0303|h2|ff01-0000-0010-000b");

	uint8_t q[256];
	memcpy(q, d, n);
	q[0] = 21; /* alert */
	expect_reply(q, n, "|||");
	q[0] = 23;
	expect_reply(q, n, "|||");
	memcpy(q, d, n);
	q[5] = 11;
	expect_reply(q, n, "|||");
	memcpy(q, d, n);
	q[79] = 0x0b; /* data[counter+47] == 11 */
	expect_reply(q, n, "c02f|0303||");
	memcpy(q, d, n);
	/* data[counter+50:counter+53] == 0e ac 0b */
	q[82] = 0x0e, q[83] = 0xac, q[84] = 0x0b;
	expect_reply(q, n, "c02f|0303||");
	memcpy(q, d, n);
	q[4] = 74; /* counter+42 >= server_hello_length */
	expect_reply(q, n, "c02f|0303||");
	q[4] = 75;
	expect_reply(q, n, "c02f|0303|h2|ff01-0000-0010-000b");
	memcpy(q, d, n);
	q[97] = 0xff; /* ALPN "\xff2": UnicodeDecodeError */
	expect_reply(q, n, "|||");
	memcpy(q, d, n);
	q[97] = 0xc3, q[98] = 0xa9; /* ALPN "\xc3\xa9" = e-acute */
	expect_reply(q, n, "c02f|0303|\xc3\xa9|ff01-0000-0010-000b");
	memcpy(q, d, n);
	q[93] = 0x00; /* ALPN length 0: "".decode() AttributeError */
	expect_reply(q, n, "|||");
	memcpy(q, d, n);
	q[43] = 31; /* a shorter session id shifts every offset */
	expect_reply(q, n, "22c0|0303||");

	/*
	 * 1484-byte cap: an extension block that claims 1900 bytes runs past
	 * the single recv(1484) and raises; without the cap the zero padding
	 * would parse as 0000 extensions.
	 */
	static uint8_t big[3000];
	memset(big, 0, sizeof(big));
	memcpy(big, d, n);
	expect_reply(big, sizeof(big), "c02f|0303|h2|ff01-0000-0010-000b");
	big[79] = 1900 >> 8, big[80] = 1900 & 255;
	expect_reply(big, sizeof(big), "|||");
}

/* ---- live oracle: the ten probes against openssl s_server ---- */

static int live_setup(void **state)
{
	static struct bph_test_tls lv;

	*state = &lv;
	return bph_test_tls_setup(&lv, "/tmp/bph_jarm_XXXXXX", "rsa:2048",
				  "openssl");
}

static int live_teardown(void **state)
{
	return bph_test_tls_teardown(*state);
}

/*
 * One probe as jarm.py sends it. Reads until the first record is complete
 * (the recommended robust form of jarm.py's single recv), at most 1484.
 */
static void one_probe(uint16_t port, int probe, char out[BPH_JARM_RESULT_MAX])
{
	uint8_t buf[BPH_JARM_RECV_MAX];
	size_t got;
	struct bph_sbuf b;

	bph_sbuf_init(&b);
	assert_int_equal(bph_jarm_build_hello(probe, "127.0.0.1", NULL, &b), 0);
	got = bph_test_tls_exchange(port, b.p, b.len, buf, sizeof(buf));
	bph_sbuf_free(&b);
	bph_jarm_parse_reply(buf, got, out);
}

static void live_jarm(struct bph_test_tls *lv, char *raw, size_t cap,
		      char jarm[63])
{
	raw[0] = '\0';
	for (int i = 0; i < BPH_JARM_PROBES; i++) {
		char one[BPH_JARM_RESULT_MAX];
		one_probe(lv->port, i, one);
		if (i)
			strncat(raw, ",", cap - strlen(raw) - 1);
		strncat(raw, one, cap - strlen(raw) - 1);
	}
	assert_int_equal(bph_jarm_hash(raw, jarm), 0);
}

static void test_live_openssl_default(void **state)
{
	struct bph_test_tls *lv = *state;
	char raw[4096], jarm[63];

	if (!lv->dir[0])
		skip();
	bph_test_tls_start(lv, "");
	live_jarm(lv, raw, sizeof(raw), jarm);
	bph_test_tls_stop(lv);
	assert_string_equal(raw, openssl_default_raw);
	assert_string_equal(jarm, openssl_default_jarm);
}

/*
 * -no_tls1_3: the 1.3 probes must now negotiate TLS 1.2 suites (no 13xx
 * cipher, no supported_versions); the 1.2 probes are unchanged.
 */
static void test_live_openssl_no_tls13(void **state)
{
	struct bph_test_tls *lv = *state;
	char raw[4096], jarm[63];

	if (!lv->dir[0])
		skip();
	bph_test_tls_start(lv, "-no_tls1_3");
	live_jarm(lv, raw, sizeof(raw), jarm);
	bph_test_tls_stop(lv);
	print_message("no_tls1_3 raw: %s\njarm: %s\n", raw, jarm);
	assert_non_null(strstr(raw, "0033|0303||ff01-0001-0023-0017,009d|"));
	assert_null(strstr(raw, "002b"));
	assert_null(strstr(raw, "|13"));
	assert_memory_equal(jarm, openssl_default_jarm, 15);
}

/*
 * -alpn h2,http/1.1: s_server picks its own first match, so probes offering
 * h2 get "h2"; RARE_APLN probes (4, 5) share no protocol and s_server answers
 * with alert 120 (no_application_protocol, checked with s_client -alpn hq),
 * which is "|||"; TLS 1.3 probes carry ALPN in EncryptedExtensions, which
 * JARM does not see.
 */
static void test_live_openssl_alpn(void **state)
{
	struct bph_test_tls *lv = *state;
	char raw[4096], jarm[63];

	if (!lv->dir[0])
		skip();
	bph_test_tls_start(lv, "-alpn h2,http/1.1");
	live_jarm(lv, raw, sizeof(raw), jarm);
	bph_test_tls_stop(lv);
	print_message("alpn raw: %s\njarm: %s\n", raw, jarm);
	assert_non_null(strstr(raw, "0033|0303|h2|"));
	assert_non_null(strstr(raw, "009d|0303|h2|"));
	assert_non_null(
	    strstr(raw, "|0303|h2|ff01-0001-0023-0010-0017,|||,|||,"));
	assert_non_null(strstr(raw, "1302|0303||002b-0033"));
	assert_string_not_equal(jarm, openssl_default_jarm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build_appendix_a),
	    cmocka_unit_test(test_build_append_and_random),
	    cmocka_unit_test(test_hash_vectors),
	    cmocka_unit_test(test_hash_cipher_version_bytes),
	    cmocka_unit_test(test_hash_errors),
	    cmocka_unit_test(test_parse_vector),
	    cmocka_unit_test(test_parse_quirks),
	    cmocka_unit_test_setup_teardown(test_live_openssl_default,
					    live_setup, live_teardown),
	    cmocka_unit_test_setup_teardown(test_live_openssl_no_tls13,
					    live_setup, live_teardown),
	    cmocka_unit_test_setup_teardown(test_live_openssl_alpn, live_setup,
					    live_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
