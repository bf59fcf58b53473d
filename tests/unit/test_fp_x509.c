/*
 * test_fp_x509.c - bph_x509_fill against the openssl CLI as oracle.
 *
 * Certificates (RSA, EC, ED25519, with SANs, with a hostile subject, CA and
 * leaf) are generated at run time with `openssl req` in a temporary
 * directory; every field is compared with what `openssl x509` prints.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/x509fp.h"
#include "testlib/testlib.h"

static char dir[64];

/* First line of a shell pipeline's output (trailing newline removed). */
__attribute__((format(printf, 3, 4))) static void oracle(char *out, size_t cap,
							 const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = '\0';
	if (!fgets(out, (int)cap, p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
}

static char *path(const char *name)
{
	static char buf[4][160];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static int req(const char *name, const char *newkey, const char *opt,
	       const char *subj, const char *san)
{
	char key[80], pem[80], addext[600];
	char *argv[24];
	int n = 0;

	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(pem, sizeof(pem), "%s.pem", name);
	snprintf(addext, sizeof(addext), "subjectAltName=%s", san ? san : "");
	argv[n++] = "openssl";
	argv[n++] = "req";
	argv[n++] = "-x509";
	argv[n++] = "-utf8";
	argv[n++] = "-nodes";
	argv[n++] = "-days";
	argv[n++] = "30";
	argv[n++] = "-newkey";
	argv[n++] = (char *)newkey;
	if (opt) {
		argv[n++] = "-pkeyopt";
		argv[n++] = (char *)opt;
	}
	argv[n++] = "-subj";
	argv[n++] = (char *)subj;
	if (san) {
		argv[n++] = "-addext";
		argv[n++] = addext;
	}
	argv[n++] = "-keyout";
	argv[n++] = strdup(path(key));
	argv[n++] = "-out";
	argv[n++] = strdup(path(pem));
	argv[n] = NULL;
	int rc = bph_test_run_argv(argv);
	free(argv[n - 1]);
	free(argv[n - 3]);
	return rc;
}

/* leaf signed by ca; subj may equal the CA's subject. */
static int sign_leaf(const char *name, const char *subj, const char *serial)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd),
		 "cd %s && openssl req -new -newkey rsa:2048 -nodes -subj '%s' "
		 "-keyout %s.key -out %s.csr >/dev/null 2>&1 && "
		 "openssl x509 -req -in %s.csr -CA ca.pem -CAkey ca.key "
		 "-set_serial %s -days 30 -out %s.pem >/dev/null 2>&1",
		 dir, subj, name, name, name, serial, name);
	return bph_test_run(cmd);
}

static int group_setup(void **state)
{
	(void)state;
	char cmd[256];
	const char *names[] = {"rsa", "ec",   "ed",   "hostile",
			       "ca",  "leaf", "twin", "negser"};

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		return 0; /* tests skip */
	snprintf(dir, sizeof(dir), "/tmp/bph_x509_XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	if (req("rsa", "rsa:2048", NULL, "/CN=example.com/O=Example Org/C=DE",
		"DNS:example.com,DNS:*.example.org,IP:127.0.0.1,IP:::1,"
		"IP:2001:db8::1:0:0:1,email:a@example.com") ||
	    req("ec", "ec", "ec_paramgen_curve:P-384", "/CN=ec.test", NULL) ||
	    req("ed", "ed25519", NULL, "/CN=ed.test", "DNS:ed.test") ||
	    req("hostile", "ec", "ec_paramgen_curve:P-256",
		"/CN=a\"b<c>d\x01"
		"e\x7f,f\\+g;h=i\\\\j #k/O=caf\xc3\xa9 \xe2\x98\x83/OU= lead",
		"DNS:<script>.example,DNS:a>b&c.example") ||
	    req("ca", "rsa:2048", NULL, "/CN=Test CA/O=BPH", NULL) ||
	    sign_leaf("leaf", "/CN=leaf.test", "0x01ff00") ||
	    sign_leaf("twin", "/CN=Test CA/O=BPH", "0") ||
	    sign_leaf("negser", "/CN=neg.test", "-1234567"))
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(cmd, sizeof(cmd),
			 "openssl x509 -in %s/%s.pem -outform DER -out "
			 "%s/%s.der",
			 dir, names[i], dir, names[i]);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char cmd[128];
	if (dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static size_t load(const char *name, uint8_t *buf, size_t cap)
{
	char file[80];
	snprintf(file, sizeof(file), "%s.der", name);
	FILE *f = fopen(path(file), "rb");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	assert_true(n > 0 && n < cap);
	return n;
}

/* "AB:CD:..." after '=' -> "abcd..." */
static void strip_fp(const char *in, char *out)
{
	const char *p = strchr(in, '=');
	size_t k = 0;
	for (p = p ? p + 1 : in; *p; p++)
		if (*p != ':')
			out[k++] =
			    (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
	out[k] = '\0';
}

static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);
	assert_memory_equal(s, prefix, n);
	return s + n;
}

static void check_hashes(const char *pem, const struct bph_tls_info *t)
{
	char line[512], want[130];

	oracle(line, sizeof(line),
	       "openssl x509 -noout -fingerprint -sha256 -in %s", pem);
	strip_fp(line, want);
	assert_string_equal(t->cert_sha256, want);
	oracle(line, sizeof(line),
	       "openssl x509 -noout -fingerprint -sha1 -in %s", pem);
	strip_fp(line, want);
	assert_string_equal(t->cert_sha1, want);
	oracle(line, sizeof(line),
	       "openssl x509 -pubkey -noout -in %s | openssl pkey -pubin "
	       "-outform DER | openssl dgst -sha256",
	       pem);
	assert_non_null(strstr(line, "= "));
	assert_string_equal(t->spki_sha256, strstr(line, "= ") + 2);
}

static void check_names_dates(const char *pem, const struct bph_tls_info *t)
{
	char line[4096], want[4096], *sp;

	oracle(line, sizeof(line),
	       "openssl x509 -noout -subject -nameopt RFC2253 -in %s", pem);
	assert_string_equal(t->subject, after(line, "subject="));
	oracle(line, sizeof(line),
	       "openssl x509 -noout -issuer -nameopt RFC2253 -in %s", pem);
	assert_string_equal(t->issuer, after(line, "issuer="));
	oracle(line, sizeof(line), "openssl x509 -noout -serial -in %s", pem);
	snprintf(want, sizeof(want), "%s", after(line, "serial="));
	for (char *c = want; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'F' ? *c + 32 : *c);
	assert_string_equal(t->serial, want);
	oracle(line, sizeof(line),
	       "openssl x509 -noout -startdate -dateopt iso_8601 -in %s", pem);
	snprintf(want, sizeof(want), "%s", after(line, "notBefore="));
	sp = strchr(want, ' ');
	assert_non_null(sp);
	*sp = 'T';
	assert_string_equal(t->not_before, want);
	oracle(line, sizeof(line),
	       "openssl x509 -noout -enddate -dateopt iso_8601 -in %s", pem);
	snprintf(want, sizeof(want), "%s", after(line, "notAfter="));
	sp = strchr(want, ' ');
	assert_non_null(sp);
	*sp = 'T';
	assert_string_equal(t->not_after, want);
	oracle(line, sizeof(line),
	       "openssl x509 -noout -text -in %s | grep -m1 'Signature "
	       "Algorithm:' | sed 's/.*Algorithm: //'",
	       pem);
	assert_string_equal(t->sig_alg, line);
}

/* SANs from `openssl x509 -ext subjectAltName`, DNS and IP only. */
static void check_san(const char *pem, const struct bph_tls_info *t)
{
	char line[4096], ip[64];
	size_t k = 0;
	uint8_t a[16];

	oracle(line, sizeof(line),
	       "openssl x509 -noout -ext subjectAltName -in %s | sed -n 2p",
	       pem);
	for (char *tok = strtok(line, ","); tok; tok = strtok(NULL, ",")) {
		while (*tok == ' ')
			tok++;
		if (!strncmp(tok, "DNS:", 4)) {
			assert_true(k < t->n_san);
			assert_string_equal(t->san[k++], tok + 4);
		} else if (!strncmp(tok, "IP Address:", 11)) {
			int af = strchr(tok + 11, ':') ? AF_INET6 : AF_INET;
			assert_int_equal(inet_pton(af, tok + 11, a), 1);
			assert_non_null(inet_ntop(af, a, ip, sizeof(ip)));
			assert_true(k < t->n_san);
			assert_string_equal(t->san[k++], ip);
		}
	}
	assert_int_equal(k, t->n_san);
}

static int oracle_bits(const char *pem)
{
	char line[256];
	oracle(line, sizeof(line),
	       "openssl x509 -noout -text -in %s | grep -o 'Public-Key: "
	       "([0-9]* bit)' | tr -dc 0-9",
	       pem);
	return atoi(line);
}

static struct bph_tls_info *fill(const char *name)
{
	static uint8_t der[16384];
	size_t n = load(name, der, sizeof(der));
	struct bph_tls_info *t = bph_tls_info_new();
	char file[80];

	assert_non_null(t);
	assert_int_equal(bph_x509_fill(der, n, t), 0);
	snprintf(file, sizeof(file), "%s.pem", name);
	check_hashes(path(file), t);
	check_names_dates(path(file), t);
	check_san(path(file), t);
	return t;
}

static void test_rsa_with_sans(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	struct bph_tls_info *t = fill("rsa");
	assert_string_equal(t->subject, "C=DE,O=Example Org,CN=example.com");
	assert_int_equal(t->n_san, 5); /* email is not recorded */
	assert_string_equal(t->san[0], "example.com");
	assert_string_equal(t->san[1], "*.example.org");
	assert_string_equal(t->san[2], "127.0.0.1");
	assert_string_equal(t->san[3], "::1");
	assert_string_equal(t->san[4], "2001:db8::1:0:0:1");
	assert_string_equal(t->key_type, "RSA");
	assert_int_equal(t->key_bits, 2048);
	assert_int_equal(t->key_bits, oracle_bits(path("rsa.pem")));
	assert_string_equal(t->sig_alg, "sha256WithRSAEncryption");
	assert_true(t->self_signed);
	bph_tls_info_free(t);
}

static void test_ec_and_ed25519(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	struct bph_tls_info *t = fill("ec");
	assert_string_equal(t->key_type, "EC");
	assert_int_equal(t->key_bits, 384);
	assert_int_equal(t->key_bits, oracle_bits(path("ec.pem")));
	assert_string_equal(t->sig_alg, "ecdsa-with-SHA256");
	assert_int_equal(t->n_san, 0);
	assert_null(t->san);
	assert_true(t->self_signed);
	bph_tls_info_free(t);

	t = fill("ed");
	assert_string_equal(t->key_type, "ED25519");
	assert_int_equal(t->key_bits, 256); /* EVP_PKEY_get_bits */
	assert_string_equal(t->sig_alg, "ED25519");
	assert_int_equal(t->n_san, 1);
	assert_true(t->self_signed);
	bph_tls_info_free(t);
}

/* Quotes, <, >, DEL, a control byte, RFC 2253 specials, UTF-8. */
static void test_hostile_subject(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	struct bph_tls_info *t = fill("hostile");
	for (const char *c = t->subject; *c; c++)
		assert_true((unsigned char)*c >= 0x20 &&
			    (unsigned char)*c < 0x7f);
	assert_string_equal(t->subject,
			    "OU=\\ lead,O=caf\\C3\\A9 \\E2\\98\\83,"
			    "CN=a\\\"b\\<c\\>d\\01e\\7F\\,f\\+g\\;h=i\\\\j #k");
	assert_string_equal(t->san[0], "<script>.example");
	assert_string_equal(t->san[1], "a>b&c.example");
	bph_tls_info_free(t);
}

static void test_ca_leaf_twin(void **state)
{
	(void)state;
	if (!dir[0])
		skip();
	struct bph_tls_info *t = fill("ca");
	assert_true(t->self_signed);
	bph_tls_info_free(t);

	t = fill("leaf");
	assert_false(t->self_signed);
	assert_string_equal(t->issuer, "O=BPH,CN=Test CA");
	assert_string_equal(t->serial, "01ff00");
	bph_tls_info_free(t);

	/* same name as its issuer, but signed by the CA's key */
	t = fill("twin");
	assert_string_equal(t->subject, t->issuer);
	assert_false(t->self_signed);
	assert_string_equal(t->serial, "00");
	bph_tls_info_free(t);

	t = fill("negser");
	assert_string_equal(t->serial, "-12d687");
	bph_tls_info_free(t);
}

/* Replacement of earlier values; errors leave t untouched. */
static void test_replace_and_errors(void **state)
{
	(void)state;
	static uint8_t der[16384], bad[16385];
	struct bph_tls_info *t;
	char keep[65];
	size_t n;

	if (!dir[0])
		skip();
	t = fill("rsa");
	n = load("ec", der, sizeof(der));
	assert_int_equal(bph_x509_fill(der, n, t), 0);
	assert_string_equal(t->key_type, "EC");
	assert_int_equal(t->n_san, 0);
	memcpy(keep, t->cert_sha256, sizeof(keep));

	memcpy(bad, der, n);
	bad[n] = 0;
	assert_int_equal(bph_x509_fill(bad, n + 1, t), BPH_ERR_FORMAT);
	assert_int_equal(bph_x509_fill(der, n - 1, t), BPH_ERR_FORMAT);
	assert_int_equal(bph_x509_fill(der + 1, n - 1, t), BPH_ERR_FORMAT);
	assert_int_equal(bph_x509_fill(der, 0, t), BPH_ERR_FORMAT);
	assert_int_equal(bph_x509_fill(NULL, 10, t), BPH_ERR_FORMAT);
	memset(bad, 0x30, 64);
	assert_int_equal(bph_x509_fill(bad, 64, t), BPH_ERR_FORMAT);
	assert_string_equal(t->cert_sha256, keep);
	assert_string_equal(t->key_type, "EC");
	bph_tls_info_free(t);
}

/* A certificate built here with oversized names and SAN list. */
static size_t build_big(uint8_t **der)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	char ou[61], dns[401];

	assert_non_null(pk);
	memset(ou, 'o', 60);
	ou[60] = '\0';
	for (int i = 0; i < 40; i++)
		X509_NAME_add_entry_by_txt(nm, "OU", MBSTRING_ASC,
					   (unsigned char *)ou, -1, -1, 0);
	for (int i = 0; i < 300; i++) {
		GENERAL_NAME *g = GENERAL_NAME_new();
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();
		int len =
		    i == 0 ? 400 : snprintf(dns, sizeof(dns), "h%d.test", i);
		if (i == 0)
			memset(dns, 'a', 400);
		ASN1_STRING_set(s, dns, len);
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	assert_true(X509_sign(x, pk, NULL) > 0);
	*der = NULL;
	int n = i2d_X509(x, der);
	assert_true(n > 0);
	GENERAL_NAMES_free(gens);
	X509_NAME_free(nm);
	X509_free(x);
	EVP_PKEY_free(pk);
	return (size_t)n;
}

static void test_caps(void **state)
{
	(void)state;
	uint8_t *der;
	size_t n = build_big(&der);
	struct bph_tls_info *t = bph_tls_info_new();

	assert_int_equal(bph_x509_fill(der, n, t), 0);
	assert_int_equal(strlen(t->subject), BPH_X509_NAME_MAX);
	assert_int_equal(strlen(t->issuer), BPH_X509_NAME_MAX);
	assert_int_equal(t->n_san, BPH_X509_SAN_MAX);
	assert_int_equal(strlen(t->san[0]), BPH_X509_SAN_LEN_MAX);
	assert_string_equal(t->san[1], "h1.test");
	assert_string_equal(t->serial, "07");
	assert_true(t->self_signed);
	bph_tls_info_free(t);
	OPENSSL_free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rsa_with_sans),
	    cmocka_unit_test(test_ec_and_ed25519),
	    cmocka_unit_test(test_hostile_subject),
	    cmocka_unit_test(test_ca_leaf_twin),
	    cmocka_unit_test(test_replace_and_errors),
	    cmocka_unit_test(test_caps),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
