/*
 * Importers of other scanners' output. Fixtures (tests/data/import/):
 *   nmap_local.xml    nmap 7.93 -sT -sV --script ssl-cert,ssh-hostkey -oX
 *                     against openssl s_server and sshd on 127.0.0.1;
 *   zgrab_local.ndjson ZGrab2-schema records (zgrab2 is not packaged in
 *                     Debian 12) carrying the same server's certificate
 *                     and ed25519 host key, plus a failed module and a
 *                     certificate that does not parse.
 * Expected values are what `openssl x509 -fingerprint -sha256` and
 * `ssh-keygen -l` printed for those servers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "fingerprints/err.h"
#include "fingerprints/x509fp.h"
#include "store/import_nmap.h"
#include "store/import_zgrab.h"

#define CERT "6fc22b5cb6bb79162ac542bdb5668ea83bb42668b6227f2ec87393484f339205"
#define KEY  "SHA256:e0EOren6SXs+Eu8qXP8kp3EbqzBq6GM+UPg2cpOdyhw"

struct got {
	size_t n;
	uint16_t port[8];
	char cert[8][65], key[8][64], title[8][64], proto[8][8];
	bool https[8];
	long seen[8];
};

static int collect(void *ctx, const struct bph_service *s)
{
	struct got *g = ctx;
	size_t i = g->n++;

	assert_true(i < 8);
	g->port[i] = s->port;
	g->seen[i] = (long)s->seen;
	snprintf(g->proto[i], sizeof(g->proto[i]), "%s", s->proto);
	if (s->tls)
		snprintf(g->cert[i], 65, "%s", s->tls->cert_sha256);
	if (s->ssh && s->ssh->n_hostkeys)
		snprintf(g->key[i], 64, "%s", s->ssh->hostkeys[0].sha256);
	if (s->http) {
		g->https[i] = s->http->tls;
		snprintf(g->title[i], 64, "%s",
			 s->http->title ? s->http->title : "");
	}
	return 0;
}

static char *slurp(const char *name, size_t *len)
{
	char path[1024];
	const char *top = getenv("BPH_SRCDIR");
	snprintf(path, sizeof(path), "%s/tests/data/import/%s", top ? top : ".",
		 name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_nmap_fixture(void **state)
{
	(void)state;
	size_t len, bad = 9;
	char err[256] = "";
	char *xml = slurp("nmap_local.xml", &len);
	struct got g = {0};

	assert_true(bph_import_is_nmap(xml, len));
	assert_int_equal(
	    bph_import_nmap(xml, len, collect, &g, &bad, err, sizeof(err)), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(g.n, 2);
	assert_int_equal(g.port[0], 18022);
	assert_string_equal(g.proto[0], "ssh");
	assert_string_equal(g.key[0], KEY);
	assert_int_equal(g.port[1], 18443);
	assert_string_equal(g.proto[1], "tls");
	assert_string_equal(g.cert[1], CERT);
	assert_int_equal(g.seen[1], 1795723004); /* host starttime */
	free(xml);
}

static void test_nmap_hostile(void **state)
{
	(void)state;
	static const char *const bad_docs[] = {
	    "", "<nmaprun", "<other/>", "{\"ip\": 1}",
	    "<!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
	    "\"&a;&a;&a;&a;&a;&a;&a;&a;\">]><x>&b;</x>"};
	char err[256];
	size_t bad;
	struct got g = {0};

	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++)
		assert_int_equal(bph_import_nmap(bad_docs[i],
						 strlen(bad_docs[i]), collect,
						 &g, &bad, err, sizeof(err)),
				 BPH_ERR_FORMAT);
	/* a broken certificate and key: the port stays, the scripts count */
	const char *doc =
	    "<nmaprun><host starttime=\"5\"><address addr=\"192.0.2.1\" "
	    "addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" portid=\"443\">"
	    "<state state=\"open\"/><script id=\"ssl-cert\"><elem "
	    "key=\"pem\">-----BEGIN CERTIFICATE-----\nAAAA\n-----END "
	    "CERTIFICATE-----\n</elem></script><script id=\"ssh-hostkey\">"
	    "<table><elem key=\"key\">!!!</elem></table></script></port>"
	    "<port protocol=\"tcp\" portid=\"99999\"><state state=\"open\"/>"
	    "</port><port protocol=\"tcp\" portid=\"81\"><state "
	    "state=\"closed\"/></port></ports></host>"
	    "<host><address addr=\"::1\" addrtype=\"ipv6\"/></host></nmaprun>";
	assert_int_equal(bph_import_nmap(doc, strlen(doc), collect, &g, &bad,
					 err, sizeof(err)),
			 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.port[0], 443);
	assert_string_equal(g.cert[0], "");
	assert_int_equal(bad, 3);
}

static json_t *line(const char *text, size_t n)
{
	json_t *j = json_loadb(text, n, 0, NULL);
	assert_non_null(j);
	return j;
}

static void test_zgrab_fixture(void **state)
{
	(void)state;
	size_t len, bad = 9;
	char err[256] = "";
	char *text = slurp("zgrab_local.ndjson", &len);
	char *nl = strchr(text, '\n');
	struct got g = {0};
	json_t *j = line(text, (size_t)(nl - text));

	assert_true(bph_import_is_zgrab(j));
	assert_int_equal(
	    bph_import_zgrab(j, collect, &g, &bad, err, sizeof(err)), 0);
	json_decref(j);
	assert_int_equal(bad, 0);
	assert_int_equal(g.n, 3); /* tls, ssh, https; ftp is not read */
	for (size_t i = 0; i < g.n; i++) {
		if (!strcmp(g.proto[i], "tls")) {
			assert_int_equal(g.port[i], 18443);
			assert_string_equal(g.cert[i], CERT);
		} else if (!strcmp(g.proto[i], "ssh")) {
			assert_int_equal(g.port[i], 22 + 18000);
			assert_string_equal(g.key[i], KEY);
		} else {
			assert_string_equal(g.proto[i], "http");
			assert_int_equal(g.port[i], 443);
			assert_true(g.https[i]);
			assert_string_equal(g.title[i], "Fixture Panel");
			assert_string_equal(g.cert[i], CERT);
			/* 19:56:45+01:00 is 18:56:45Z */
			assert_int_equal(g.seen[i], 1795723000 + 5 - 3600);
		}
	}
	/* second line: a timed-out module and a certificate that is junk */
	memset(&g, 0, sizeof(g));
	j = line(nl + 1, strlen(nl + 1));
	assert_int_equal(
	    bph_import_zgrab(j, collect, &g, &bad, err, sizeof(err)), 0);
	json_decref(j);
	assert_int_equal(g.n, 0);
	assert_int_equal(bad, 1);
	assert_non_null(strstr(err, "data.tls"));
	free(text);
}

static void test_zgrab_hostile(void **state)
{
	(void)state;
	static const char *const docs[] = {
	    "{\"data\": {}}", "{\"ip\": \"::1\", \"data\": {}}",
	    "{\"ip\": \"1.2.3.4\", \"data\": 5}"};
	char err[256];
	size_t bad;
	struct got g = {0};

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		json_t *j = line(docs[i], strlen(docs[i]));
		assert_int_equal(
		    bph_import_zgrab(j, collect, &g, &bad, err, sizeof(err)),
		    BPH_ERR_FORMAT);
		json_decref(j);
	}
	/* bphound's own records are not ZGrab2 records */
	const char *mine = "{\"ip\": \"1.2.3.4\", \"port\": 22, \"data\": {}}";
	json_t *own = line(mine, strlen(mine));
	assert_false(bph_import_is_zgrab(own));
	json_decref(own);
	/* wrong types everywhere: skipped or empty, never a crash */
	const char *odd =
	    "{\"ip\": \"1.2.3.4\", \"data\": {\"ssh\": {\"status\": "
	    "\"success\", \"result\": {\"server_id\": {\"raw\": 7}, "
	    "\"server_key_exchange\": {\"kex_algorithms\": [1, null]}}}, "
	    "\"http\": {\"status\": \"success\", \"result\": {\"response\": "
	    "{\"body\": 3, \"headers\": {\"server\": {}}}}}}}";
	json_t *j = line(odd, strlen(odd));
	assert_int_equal(
	    bph_import_zgrab(j, collect, &g, &bad, err, sizeof(err)), 0);
	json_decref(j);
	assert_int_equal(bad, 1); /* ssh: neither banner nor key */
	assert_int_equal(g.n, 1); /* http with status 0 */
}

/* The certificate fields of two bph_tls_info equal. */
static void same_cert(const struct bph_tls_info *a,
		      const struct bph_tls_info *b)
{
	const char *const *sa[] = {(const char *const *)&a->subject,
				   (const char *const *)&a->issuer,
				   (const char *const *)&a->serial,
				   (const char *const *)&a->not_before,
				   (const char *const *)&a->not_after,
				   (const char *const *)&a->key_type,
				   (const char *const *)&a->sig_alg};
	const char *const *sb[] = {(const char *const *)&b->subject,
				   (const char *const *)&b->issuer,
				   (const char *const *)&b->serial,
				   (const char *const *)&b->not_before,
				   (const char *const *)&b->not_after,
				   (const char *const *)&b->key_type,
				   (const char *const *)&b->sig_alg};

	for (size_t i = 0; i < sizeof(sa) / sizeof(sa[0]); i++)
		if (*sa[i] || *sb[i])
			assert_string_equal(*sa[i], *sb[i]);
	assert_string_equal(a->cert_sha256, b->cert_sha256);
	assert_string_equal(a->cert_sha1, b->cert_sha1);
	assert_string_equal(a->spki_sha256, b->spki_sha256);
	assert_int_equal(a->n_san, b->n_san);
	for (size_t i = 0; i < a->n_san; i++)
		assert_string_equal(a->san[i], b->san[i]);
	assert_int_equal(a->self_signed, b->self_signed);
	assert_int_equal(a->key_bits, b->key_bits);
}

/* A second certificate: self-signed ed25519, made here. */
static uint8_t *make_cert(size_t *len)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *n = X509_NAME_new();
	unsigned char *der = NULL;
	int l;

	assert_non_null(k);
	assert_non_null(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"second", -1, -1, 0);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, n);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, NULL) > 0);
	l = i2d_X509(x, &der);
	assert_true(l > 0);
	uint8_t *out = malloc((size_t)l);
	memcpy(out, der, (size_t)l);
	*len = (size_t)l;
	OPENSSL_free(der);
	X509_NAME_free(n);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

/* The cache gives what decoding gives: on a miss, on a hit, after its
 * one slot changed hands, and leaves t alone on a DER that is junk. */
static void test_certcache(void **state)
{
	(void)state;
	size_t len, n[2];
	char *text = slurp("zgrab_local.ndjson", &len);
	json_t *j = line(text, (size_t)(strchr(text, '\n') - text));
	static const char *const path[] = {"data",
					   "tls",
					   "result",
					   "handshake_log",
					   "server_certificates",
					   "certificate",
					   "raw"};
	const json_t *v = j;
	for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++)
		v = json_object_get(v, path[i]);
	const char *raw = json_string_value(v);
	assert_non_null(raw);
	uint8_t *der[2] = {bph_import_b64(raw, strlen(raw), 1 << 16, &n[0]),
			   make_cert(&n[1])};
	struct bph_tls_info *ref[2] = {bph_tls_info_new(), bph_tls_info_new()};
	struct bph_tls_info *t = bph_tls_info_new();
	struct bph_certcache *c = bph_certcache_new(1);

	assert_non_null(der[0]);
	assert_non_null(c);
	for (int i = 0; i < 2; i++)
		assert_int_equal(bph_x509_fill(der[i], n[i], ref[i]), 0);
	assert_string_equal(ref[0]->cert_sha256, CERT);
	/* a, a (hit), b (takes the slot), b (hit), a (takes it back) */
	static const int order[] = {0, 0, 1, 1, 0};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		assert_int_equal(
		    bph_certcache_fill(c, der[order[i]], n[order[i]], t), 0);
		same_cert(t, ref[order[i]]);
	}
	uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	assert_int_equal(bph_certcache_fill(c, junk, sizeof(junk), t),
			 BPH_ERR_FORMAT);
	same_cert(t, ref[0]);
	assert_int_equal(bph_certcache_fill(NULL, der[1], n[1], t), 0);
	same_cert(t, ref[1]);
	bph_certcache_free(c);
	bph_certcache_free(NULL);
	for (int i = 0; i < 2; i++) {
		bph_tls_info_free(ref[i]);
		free(der[i]);
	}
	bph_tls_info_free(t);
	json_decref(j);
	free(text);
}

static void test_helpers(void **state)
{
	(void)state;
	size_t n = 0;
	uint8_t *p = bph_import_b64("aGk=", 4, 16, &n);
	assert_non_null(p);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "hi", 2);
	free(p);
	assert_null(bph_import_b64("aGk", 3, 16, &n));
	assert_null(bph_import_b64("aGVsbG8gd29ybGQh", 16, 4, &n));
	assert_int_equal(bph_import_time("2026-11-26T19:56:40Z"), 1795723000);
	assert_int_equal(bph_import_time("2026-11-26T19:56:40.123-00:30"),
			 1795723000 + 1800);
	assert_int_equal(bph_import_time("yesterday"), 0);
	assert_int_equal(bph_import_time(NULL), 0);
}

/* der as PEM text (heap, NUL-terminated). */
static char *to_pem(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	assert_non_null(x);
	assert_true(PEM_write_bio_X509(b, x) == 1);
	n = BIO_get_mem_data(b, &data);
	out = calloc(1, (size_t)n + 1);
	memcpy(out, data, (size_t)n);
	BIO_free(b);
	X509_free(x);
	return out;
}

/* nmap XML through the certificate cache (store/import_nmap.c): the
 * fixture's certificate and a second one alternating over five hosts,
 * then a broken one, each port with the hash decoding gives. */
static void test_nmap_certs(void **state)
{
	(void)state;
	size_t len, dlen, bad = 0;
	char *xml = slurp("nmap_local.xml", &len), err[256] = "";
	char *a = strstr(xml, "<elem key=\"pem\">"), *doc, *pem[3];
	uint8_t *der = make_cert(&dlen);
	struct bph_tls_info *ref = bph_tls_info_new();
	struct got g = {0};
	FILE *f;

	assert_non_null(a);
	a += strlen("<elem key=\"pem\">");
	pem[0] = strndup(a, (size_t)(strstr(a, "</elem>") - a));
	pem[1] = to_pem(der, dlen);
	pem[2] = strdup("-----BEGIN CERTIFICATE-----\nAAAA\n"
			"-----END CERTIFICATE-----\n");
	assert_int_equal(bph_x509_fill(der, dlen, ref), 0);
	static const int which[] = {0, 1, 0, 1, 0, 2};
	f = open_memstream(&doc, &dlen);
	fputs("<nmaprun>", f);
	for (size_t i = 0; i < 6; i++)
		fprintf(f,
			"<host starttime=\"5\"><address addr=\"192.0.2.%zu\" "
			"addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" "
			"portid=\"443\"><state state=\"open\"/><script "
			"id=\"ssl-cert\"><elem key=\"pem\">%s</elem></script>"
			"</port></ports></host>",
			i + 1, pem[which[i]]);
	fputs("</nmaprun>", f);
	fclose(f);
	assert_int_equal(bph_import_nmap(doc, strlen(doc), collect, &g, &bad,
					 err, sizeof(err)),
			 0);
	assert_int_equal(g.n, 6);
	assert_int_equal(bad, 1);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(g.cert[i], which[i] == 0 ? CERT
					       : which[i] == 1
						   ? ref->cert_sha256
						   : "");
	for (int i = 0; i < 3; i++)
		free(pem[i]);
	free(doc);
	free(der);
	free(xml);
	bph_tls_info_free(ref);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nmap_fixture),
	    cmocka_unit_test(test_nmap_hostile),
	    cmocka_unit_test(test_zgrab_fixture),
	    cmocka_unit_test(test_zgrab_hostile),
	    cmocka_unit_test(test_certcache),
	    cmocka_unit_test(test_nmap_certs),
	    cmocka_unit_test(test_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
