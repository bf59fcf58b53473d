/*
 * test_fp_tls_hello.c - ServerHello decoding and JA3S against the vectors of
 * shared/reference/fingerprints.md 3.1 (verified there with tshark); md5
 * values of other strings were computed with md5sum.
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
#include "fingerprints/tls_hello.h"
#include "testlib/testlib.h"

static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

struct ext {
	uint16_t type;
	const uint8_t *data;
	size_t len;
};

static const uint8_t sv13[] = {0x03, 0x04};
static const uint8_t ks[36] = {0x00, 0x1d, 0x00, 0x20, 0xaa};
static const uint8_t alpn_h2[] = {0x00, 0x03, 0x02, 'h', '2'};
static const uint8_t reneg[] = {0x00};

/* A whole ServerHello handshake message (type, length, body). */
static void build_msg(struct bph_sbuf *b, uint16_t ver, const uint8_t *rnd,
		      uint16_t cipher, const struct ext *e, size_t ne,
		      int with_ext_block)
{
	uint8_t zero[32] = {0};
	size_t at = b->len, eat;

	bph_sbuf_u8(b, 2);
	bph_sbuf_u24(b, 0);
	bph_sbuf_u16(b, ver);
	bph_sbuf_put(
	    b, rnd ? rnd : (const uint8_t *)"0123456789abcdef0123456789abcdef",
	    32);
	bph_sbuf_u8(b, 32);
	bph_sbuf_put(b, zero, 32);
	bph_sbuf_u16(b, cipher);
	bph_sbuf_u8(b, 0);
	if (with_ext_block) {
		eat = b->len;
		bph_sbuf_u16(b, 0);
		for (size_t i = 0; i < ne; i++) {
			bph_sbuf_u16(b, e[i].type);
			bph_sbuf_u16(b, (uint16_t)e[i].len);
			bph_sbuf_put(b, e[i].data, e[i].len);
		}
		bph_sbuf_patch_len(b, eat, 2, b->len - eat - 2);
	}
	bph_sbuf_patch_len(b, at + 1, 3, b->len - at - 4);
	assert_int_equal(b->err, 0);
}

/* Wraps msg into TLS records of at most `frag` bytes each. */
static void wrap(struct bph_sbuf *rec, const struct bph_sbuf *msg, size_t frag)
{
	for (size_t off = 0; off < msg->len; off += frag) {
		size_t k = msg->len - off < frag ? msg->len - off : frag;
		bph_sbuf_u8(rec, 22);
		bph_sbuf_u16(rec, 0x0303);
		bph_sbuf_u16(rec, (uint16_t)k);
		bph_sbuf_put(rec, msg->p + off, k);
	}
}

static void check_ja3s(const struct bph_server_hello *sh, const char *full,
		       const char *md5)
{
	char *got = NULL, h[33];
	assert_int_equal(bph_ja3s(sh, &got, h), 0);
	assert_string_equal(got, full);
	assert_string_equal(h, md5);
	free(got);
}

static void test_ja3s_tls13_vectors(void **state)
{
	(void)state;
	struct ext e[2] = {{43, sv13, 2}, {51, ks, 36}};
	struct ext r[2] = {{51, ks, 36}, {43, sv13, 2}};
	struct bph_sbuf m, rec;
	struct bph_server_hello sh;
	char *s = NULL;

	bph_sbuf_init(&m);
	bph_sbuf_init(&rec);
	build_msg(&m, 0x0303, NULL, 0x1301, e, 2, 1);
	wrap(&rec, &m, 16384);
	assert_int_equal(bph_server_hello_parse_record(rec.p, rec.len, &sh), 0);
	assert_int_equal(sh.legacy_version, 0x0303);
	assert_int_equal(sh.selected_version, 0x0304);
	assert_int_equal(sh.cipher, 0x1301);
	assert_int_equal(sh.n_ext, 2);
	assert_int_equal(sh.is_hrr, 0);
	assert_string_equal(sh.alpn, "");
	check_ja3s(&sh, "771,4865,43-51", "f4febc55ea12b31ae17cfb7e614afda8");
	assert_int_equal(bph_server_hello_ext_string(&sh, &s), 0);
	assert_string_equal(s, "002b-0033");
	free(s);

	m.len = rec.len = 0;
	build_msg(&m, 0x0303, NULL, 0x1301, r, 2, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh), 0);
	check_ja3s(&sh, "771,4865,51-43", "eb1d94daa7e0344597e756a1fb6e7054");
	bph_sbuf_free(&m);
	bph_sbuf_free(&rec);
}

/* ja3s.py keeps the comma when there are no extensions. */
static void test_ja3s_trailing_comma(void **state)
{
	(void)state;
	struct bph_sbuf m;
	struct bph_server_hello sh;
	char *s = NULL;

	bph_sbuf_init(&m);
	build_msg(&m, 0x0303, NULL, 0xc02f, NULL, 0, 0);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh), 0);
	assert_int_equal(sh.n_ext, 0);
	assert_int_equal(sh.selected_version, 0x0303);
	check_ja3s(&sh, "771,49199,", "174e7e4992a63f6d419626d97363adb8");
	assert_int_equal(bph_server_hello_ext_string(&sh, &s), 0);
	assert_string_equal(s, "");
	free(s);

	/* an empty extension block gives the same string */
	m.len = 0;
	build_msg(&m, 0x0303, NULL, 0xc02f, NULL, 0, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh), 0);
	check_ja3s(&sh, "771,49199,", "174e7e4992a63f6d419626d97363adb8");
	bph_sbuf_free(&m);
}

static void test_tls12_alpn_and_fragments(void **state)
{
	(void)state;
	struct ext e[2] = {{0xff01, reneg, 1}, {16, alpn_h2, 5}};
	struct bph_sbuf m, rec;
	struct bph_server_hello sh;

	bph_sbuf_init(&m);
	bph_sbuf_init(&rec);
	build_msg(&m, 0x0301, NULL, 0x002f, e, 2, 1);
	/* ServerHello split over records of 1, 3 and 7 bytes, then more */
	for (size_t frag = 1; frag <= 7; frag += 2) {
		rec.len = 0;
		wrap(&rec, &m, frag);
		/* a following Certificate record must not disturb parsing */
		bph_sbuf_put(&rec, "\x16\x03\x03\x00\x01\x0b", 6);
		memset(&sh, 0x55, sizeof(sh));
		assert_int_equal(
		    bph_server_hello_parse_record(rec.p, rec.len, &sh), 0);
		assert_int_equal(sh.legacy_version, 0x0301);
		assert_int_equal(sh.selected_version, 0x0301);
		assert_string_equal(sh.alpn, "h2");
		check_ja3s(&sh, "769,47,65281-16",
			   "f45ea7404297a41839027bf2ddf5ccbe");
		/* every strict prefix needs more bytes */
		for (size_t cut = 0; cut < rec.len - 6; cut++)
			assert_int_equal(
			    bph_server_hello_parse_record(rec.p, cut, &sh),
			    BPH_ERR_TRUNCATED);
	}
	bph_sbuf_free(&m);
	bph_sbuf_free(&rec);
}

static void test_hello_retry_request(void **state)
{
	(void)state;
	static const uint8_t ks_hrr[] = {0x00, 0x17};
	struct ext e[2] = {{43, sv13, 2}, {51, ks_hrr, 2}};
	struct bph_sbuf m;
	struct bph_server_hello sh;

	bph_sbuf_init(&m);
	build_msg(&m, 0x0303, hrr_random, 0x1302, e, 2, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh), 0);
	assert_int_equal(sh.is_hrr, 1);
	assert_int_equal(sh.selected_version, 0x0304);
	assert_int_equal(sh.cipher, 0x1302);
	bph_sbuf_free(&m);
}

static void test_errors(void **state)
{
	(void)state;
	static const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
	static const uint8_t http[] = "HTTP/1.1 400 Bad Request\r\n";
	static const uint8_t ssl2[] = {22, 2, 0, 0, 4, 2, 0, 0, 0};
	static const uint8_t cert_first[] = {22, 3, 3, 0, 4, 11, 0, 0, 0};
	static const uint8_t empty_rec[] = {22, 3, 3, 0, 0};
	struct ext bad_sv[1] = {{43, sv13, 1}};
	struct ext bad_alpn[1] = {{16, alpn_h2, 4}};
	struct bph_sbuf m;
	struct bph_server_hello sh;

	assert_int_equal(
	    bph_server_hello_parse_record(alert, sizeof(alert), &sh),
	    BPH_ERR_PROTO);
	assert_int_equal(
	    bph_server_hello_parse_record(http, sizeof(http) - 1, &sh),
	    BPH_ERR_PROTO);
	assert_int_equal(bph_server_hello_parse_record(ssl2, sizeof(ssl2), &sh),
			 BPH_ERR_PROTO);
	assert_int_equal(
	    bph_server_hello_parse_record(cert_first, sizeof(cert_first), &sh),
	    BPH_ERR_PROTO);
	assert_int_equal(
	    bph_server_hello_parse_record(empty_rec, sizeof(empty_rec), &sh),
	    BPH_ERR_FORMAT);
	assert_int_equal(bph_server_hello_parse_record(NULL, 0, &sh),
			 BPH_ERR_TRUNCATED);

	bph_sbuf_init(&m);
	build_msg(&m, 0x0303, NULL, 0x1301, bad_sv, 1, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh),
			 BPH_ERR_FORMAT);
	m.len = 0;
	build_msg(&m, 0x0303, NULL, 0x1301, bad_alpn, 1, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh),
			 BPH_ERR_FORMAT);
	m.len = 0;
	build_msg(&m, 0x0303, NULL, 0x1301, NULL, 0, 1);
	m.p[38] = 33; /* session id longer than 32 */
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh),
			 BPH_ERR_FORMAT);
	m.p[38] = 32;
	m.p[0] = 1; /* not a ServerHello */
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh),
			 BPH_ERR_FORMAT);
	m.p[0] = 2;
	bph_sbuf_u8(&m, 0); /* trailing byte inside the declared length */
	m.p[3]++;
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len - 1, &sh),
			 BPH_ERR_TRUNCATED);
	bph_sbuf_free(&m);
}

/* More extensions than BPH_SH_MAX_EXT: the first 64 are kept. */
static void test_extension_cap(void **state)
{
	(void)state;
	struct ext e[70];
	struct bph_sbuf m;
	struct bph_server_hello sh;
	char *s = NULL;

	for (int i = 0; i < 70; i++)
		e[i] = (struct ext){(uint16_t)(1000 + i), NULL, 0};
	bph_sbuf_init(&m);
	build_msg(&m, 0x0303, NULL, 0x1301, e, 70, 1);
	assert_int_equal(bph_server_hello_parse_msg(m.p, m.len, &sh), 0);
	assert_int_equal(sh.n_ext, BPH_SH_MAX_EXT);
	assert_int_equal(sh.ext_types[63], 1063);
	assert_int_equal(bph_server_hello_ext_string(&sh, &s), 0);
	assert_int_equal(strlen(s), 64 * 5 - 1);
	assert_memory_equal(s, "03e8-03e9-", 10);
	free(s);
	bph_sbuf_free(&m);
}

/* ---- live: real ServerHellos from openssl s_server, tshark as oracle ---- */

static int live_setup(void **state)
{
	static struct bph_test_tls lv;

	*state = &lv;
	return bph_test_tls_setup(&lv, "/tmp/bph_sh_XXXXXX",
				  "ec -pkeyopt ec_paramgen_curve:P-256",
				  "openssl tshark");
}

static int live_teardown(void **state)
{
	return bph_test_tls_teardown(*state);
}

/* Sends JARM probe `probe` and reads the first record (at most 4096). */
static size_t exchange(uint16_t port, int probe, uint8_t *buf, size_t cap)
{
	struct bph_sbuf b;
	size_t got;

	bph_sbuf_init(&b);
	assert_int_equal(bph_jarm_build_hello(probe, "localhost", NULL, &b), 0);
	got = bph_test_tls_exchange(port, b.p, b.len, buf, cap);
	bph_sbuf_free(&b);
	return got;
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

/* One Ethernet/IPv4/TCP frame from port 443 carrying p, as a pcap file. */
static void write_pcap(const char *path, const uint8_t *p, size_t n)
{
	uint8_t hdr[54] = {0};
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	put32(f, 0xa1b2c3d4);
	put32(f, 0x00040002); /* version 2.4, little-endian fields */
	put32(f, 0);
	put32(f, 0);
	put32(f, 65535);
	put32(f, 1); /* Ethernet */
	put32(f, 0);
	put32(f, 0);
	put32(f, (uint32_t)(54 + n));
	put32(f, (uint32_t)(54 + n));
	hdr[12] = 0x08; /* IPv4 */
	hdr[14] = 0x45;
	hdr[16] = (uint8_t)((40 + n) >> 8), hdr[17] = (uint8_t)(40 + n);
	hdr[22] = 64, hdr[23] = 6; /* TTL, TCP */
	hdr[26] = 127, hdr[29] = 1, hdr[30] = 127, hdr[33] = 1;
	hdr[34] = 443 >> 8, hdr[35] = 443 & 255; /* sport 443 */
	hdr[36] = 0xc3, hdr[37] = 0x50;		 /* dport 50000 */
	hdr[41] = 1;				 /* seq 1 */
	hdr[46] = 0x50, hdr[47] = 0x18;		 /* len 20, PSH|ACK */
	hdr[48] = 0xff, hdr[49] = 0xff;
	fwrite(hdr, 1, sizeof(hdr), f);
	fwrite(p, 1, n, f);
	fclose(f);
}

/* tshark's "ja3s_full\tja3s" for the ServerHello in path. */
static void tshark_ja3s(const char *path, char *out, size_t cap)
{
	char cmd[512];
	FILE *pp;

	snprintf(cmd, sizeof(cmd),
		 "tshark -r %s -Y tls.handshake.type==2 -T fields "
		 "-e tls.handshake.ja3s_full -e tls.handshake.ja3s 2>/dev/null",
		 path);
	pp = popen(cmd, "r");
	assert_non_null(pp);
	out[0] = '\0';
	if (!fgets(out, (int)cap, pp))
		out[0] = '\0';
	pclose(pp);
	out[strcspn(out, "\n")] = '\0';
}

static void live_compare(struct bph_test_tls *lv, int probe,
			 uint16_t want_version)
{
	static uint8_t buf[4096];
	struct bph_server_hello sh;
	char path[128], want[256], got[256], md5[33], *full = NULL;
	size_t n = exchange(lv->port, probe, buf, sizeof(buf));

	assert_int_equal(bph_server_hello_parse_record(buf, n, &sh), 0);
	assert_int_equal(sh.selected_version, want_version);
	assert_int_equal(bph_ja3s(&sh, &full, md5), 0);
	snprintf(got, sizeof(got), "%s\t%s", full, md5);
	free(full);
	snprintf(path, sizeof(path), "%s/sh%d.pcap", lv->dir, probe);
	write_pcap(path, buf, n);
	tshark_ja3s(path, want, sizeof(want));
	print_message("probe %d: ours %s, tshark %s\n", probe + 1, got, want);
	assert_string_equal(got, want);
}

static void test_live_ja3s_vs_tshark(void **state)
{
	struct bph_test_tls *lv = *state;

	if (!lv->dir[0])
		skip();
	bph_test_tls_start(lv, "");
	live_compare(lv, 0, 0x0303); /* TLS 1.2 with extensions */
	live_compare(lv, 6, 0x0304); /* TLS 1.3: 43-51 */
	bph_test_tls_stop(lv);
	bph_test_tls_start(lv, "-no_tls1_3");
	live_compare(lv, 6, 0x0303);
	live_compare(lv, 1, 0x0303);
}

/* Certificate messages: TLS 1.2 (bare list) and TLS 1.3 (context, entry
 * extensions); the leaf is the first entry's bytes, borrowed in place. */
static void test_certificate_leaf(void **state)
{
	(void)state;
	static const uint8_t tls12[] = {
	    11, 0, 0,  13,		 /* Certificate, body 13 */
	    0,	0, 10,			 /* list 10 */
	    0,	0, 3,  0xaa, 0xbb, 0xcc, /* leaf */
	    0,	0, 1,  0xdd,		 /* issuer */
	};
	static const uint8_t tls13[] = {
	    11, 0,    0,    23, /* Certificate, body 23 */
	    2,	0x01, 0x02,	/* request context */
	    0,	0,    17,	/* list 17 */
	    0,	0,    2,    0x30, 0x31, 0,
	    4,	0,    5,    0,	  0,	   /* leaf + 1 extension */
	    0,	0,    1,    0x32, 0,	0, /* second, no extensions */
	};
	const uint8_t *der = NULL;
	size_t len = 0;
	int count = 0;

	assert_int_equal(bph_tls_certificate_leaf(tls12, sizeof(tls12), 0, &der,
						  &len, &count),
			 0);
	assert_int_equal(count, 2);
	assert_int_equal(len, 3);
	assert_ptr_equal(der, tls12 + 10);
	assert_int_equal(bph_tls_certificate_leaf(tls13, sizeof(tls13), 1, &der,
						  &len, &count),
			 0);
	assert_int_equal(count, 2);
	assert_int_equal(len, 2);
	assert_ptr_equal(der, tls13 + 13);
	/* The wrong framing for the version does not parse. */
	assert_int_not_equal(bph_tls_certificate_leaf(tls13, sizeof(tls13), 0,
						      &der, &len, &count),
			     0);
	/* Every truncation fails cleanly. */
	for (size_t n = 0; n < sizeof(tls12); n++)
		assert_int_not_equal(
		    bph_tls_certificate_leaf(tls12, n, 0, &der, &len, &count),
		    0);
	for (size_t n = 0; n < sizeof(tls13); n++)
		assert_int_not_equal(
		    bph_tls_certificate_leaf(tls13, n, 1, &der, &len, &count),
		    0);
}

static void test_certificate_errors(void **state)
{
	(void)state;
	static const uint8_t empty[] = {11, 0, 0, 3, 0, 0, 0};
	static const uint8_t zero_len[] = {11, 0, 0, 6, 0, 0, 3, 0, 0, 0};
	static const uint8_t not_cert[] = {2, 0, 0, 3, 0, 0, 0};
	static const uint8_t lying[] = {11, 0, 0, 7, 0, 0, 4, 0, 0, 9, 0xaa};
	const uint8_t *der;
	size_t len;
	int count;

	assert_int_equal(bph_tls_certificate_leaf(empty, sizeof(empty), 0, &der,
						  &len, &count),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_tls_certificate_leaf(zero_len, sizeof(zero_len), 0,
						  &der, &len, &count),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_tls_certificate_leaf(not_cert, sizeof(not_cert), 0,
						  &der, &len, &count),
			 BPH_ERR_FORMAT);
	assert_int_not_equal(bph_tls_certificate_leaf(lying, sizeof(lying), 0,
						      &der, &len, &count),
			     0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ja3s_tls13_vectors),
	    cmocka_unit_test(test_ja3s_trailing_comma),
	    cmocka_unit_test(test_tls12_alpn_and_fragments),
	    cmocka_unit_test(test_hello_retry_request),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_extension_cap),
	    cmocka_unit_test(test_certificate_leaf),
	    cmocka_unit_test(test_certificate_errors),
	    cmocka_unit_test_setup_teardown(test_live_ja3s_vs_tshark,
					    live_setup, live_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
