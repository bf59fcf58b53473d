/*
 * x509fp.c - certificate fingerprints and identity fields, via OpenSSL.
 *
 * Hashes are over the DER exactly as received (reference fingerprints.md
 * section 6); text fields come from OpenSSL's own printers so they equal the
 * `openssl x509` CLI output.
 */
#include "fingerprints/x509fp.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

/* The certificate-derived strings of bph_tls_info are filled in a scratch
 * copy first so that t is only touched on success. */
void bph_x509_fields_free(struct bph_tls_info *t)
{
	free(t->subject);
	free(t->issuer);
	free(t->serial);
	free(t->not_before);
	free(t->not_after);
	for (size_t i = 0; i < t->n_san; i++)
		free(t->san[i]);
	free(t->san);
	free(t->key_type);
	free(t->sig_alg);
}

static void cert_fields_move(struct bph_tls_info *dst, struct bph_tls_info *src)
{
	bph_x509_fields_free(dst);
	memcpy(dst->cert_sha256, src->cert_sha256, sizeof(dst->cert_sha256));
	memcpy(dst->cert_sha1, src->cert_sha1, sizeof(dst->cert_sha1));
	memcpy(dst->spki_sha256, src->spki_sha256, sizeof(dst->spki_sha256));
	dst->subject = src->subject;
	dst->issuer = src->issuer;
	dst->serial = src->serial;
	dst->not_before = src->not_before;
	dst->not_after = src->not_after;
	dst->san = src->san;
	dst->n_san = src->n_san;
	dst->self_signed = src->self_signed;
	dst->key_type = src->key_type;
	dst->key_bits = src->key_bits;
	dst->sig_alg = src->sig_alg;
}

static int digest_hex(const EVP_MD *md, const void *p, size_t n, char *hex)
{
	uint8_t buf[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_Digest(p, n, buf, &len, md, NULL) != 1)
		return BPH_ERR_CRYPTO;
	bph_hex(buf, len, hex);
	return 0;
}

static int cert_hashes(const uint8_t *der, size_t len, X509 *x,
		       struct bph_tls_info *t)
{
	unsigned char *spki = NULL;
	int n, rc;

	rc = digest_hex(EVP_sha256(), der, len, t->cert_sha256);
	if (!rc)
		rc = digest_hex(EVP_sha1(), der, len, t->cert_sha1);
	if (rc)
		return rc;
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (n <= 0)
		return BPH_ERR_FORMAT;
	rc = digest_hex(EVP_sha256(), spki, (size_t)n, t->spki_sha256);
	OPENSSL_free(spki);
	return rc;
}

/* RFC 2253 text of a name, as `openssl x509 -nameopt RFC2253`. */
static int name_text(const X509_NAME *name, char **out)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long n;
	int rc = BPH_ERR_NOMEM;

	if (!b)
		return BPH_ERR_NOMEM;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
		rc = BPH_ERR_FORMAT;
		goto out;
	}
	n = BIO_get_mem_data(b, &p);
	*out = bph_strndup_cap(n > 0 ? p : "", n > 0 ? (size_t)n : 0,
			       BPH_X509_NAME_MAX);
	if (*out)
		rc = 0;
out:
	BIO_free(b);
	return rc;
}

/* Lower-case hex of the serial's magnitude, as `openssl x509 -serial`. */
static int serial_text(const ASN1_INTEGER *sn, char **out)
{
	const uint8_t *p = ASN1_STRING_get0_data(sn);
	size_t n = (size_t)ASN1_STRING_length(sn);
	size_t neg = ASN1_STRING_type(sn) == V_ASN1_NEG_INTEGER;
	char *s;

	if (n == 0) {
		*out = strdup("00");
		return *out ? 0 : BPH_ERR_NOMEM;
	}
	if (n > BPH_X509_SERIAL_MAX)
		n = BPH_X509_SERIAL_MAX;
	s = malloc(neg + 2 * n + 1);
	if (!s)
		return BPH_ERR_NOMEM;
	s[0] = '-';
	bph_hex(p, n, s + neg);
	*out = s;
	return 0;
}

/* RFC 3339 UTC; a time OpenSSL cannot read leaves the field NULL. */
static int time_text(const ASN1_TIME *tm, char **out)
{
	struct tm t;
	char buf[32];

	*out = NULL;
	if (!tm || ASN1_TIME_to_tm(tm, &t) != 1)
		return 0;
	if (!strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t))
		return 0;
	*out = strdup(buf);
	return *out ? 0 : BPH_ERR_NOMEM;
}

/* One SAN entry as text, or NULL *out for types we do not record. */
static int san_entry(const GENERAL_NAME *g, char **out)
{
	const ASN1_STRING *s;
	char ip[INET6_ADDRSTRLEN];
	int len;

	*out = NULL;
	if (g->type == GEN_DNS) {
		s = g->d.dNSName;
		len = ASN1_STRING_length(s);
		*out = bph_strndup_cap((const char *)ASN1_STRING_get0_data(s),
				       len > 0 ? (size_t)len : 0,
				       BPH_X509_SAN_LEN_MAX);
		return *out ? 0 : BPH_ERR_NOMEM;
	}
	if (g->type != GEN_IPADD)
		return 0;
	s = g->d.iPAddress;
	len = ASN1_STRING_length(s);
	if ((len != 4 && len != 16) ||
	    !inet_ntop(len == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(s),
		       ip, sizeof(ip)))
		return 0;
	*out = strdup(ip);
	return *out ? 0 : BPH_ERR_NOMEM;
}

static int san_list(X509 *x, struct bph_tls_info *t)
{
	GENERAL_NAMES *gens =
	    X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int count = gens ? sk_GENERAL_NAME_num(gens) : 0, rc = 0;

	if (count <= 0)
		goto out;
	t->san =
	    calloc(count < BPH_X509_SAN_MAX ? (size_t)count : BPH_X509_SAN_MAX,
		   sizeof(*t->san));
	if (!t->san) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	for (int i = 0; i < count && t->n_san < BPH_X509_SAN_MAX; i++) {
		char *s;
		rc = san_entry(sk_GENERAL_NAME_value(gens, i), &s);
		if (rc)
			goto out;
		if (s)
			t->san[t->n_san++] = s;
	}
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

/* Key type ("RSA", "EC", "ED25519", ...) and size; unknown keys give the
 * algorithm's OID name and 0 bits. */
static int key_info(X509 *x, struct bph_tls_info *t)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	ASN1_OBJECT *alg = NULL;
	char buf[128];

	if (pk && EVP_PKEY_get0_type_name(pk)) {
		t->key_type = strdup(EVP_PKEY_get0_type_name(pk));
		t->key_bits = EVP_PKEY_get_bits(pk);
	} else {
		X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL,
				       X509_get_X509_PUBKEY(x));
		if (!alg || OBJ_obj2txt(buf, sizeof(buf), alg, 0) <= 0)
			snprintf(buf, sizeof(buf), "unknown");
		t->key_type = strdup(buf);
		t->key_bits = 0;
	}
	return t->key_type ? 0 : BPH_ERR_NOMEM;
}

/* Long name of the signature algorithm, or its dotted OID. */
static int sig_alg(X509 *x, struct bph_tls_info *t)
{
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj = NULL;
	char buf[128];

	X509_get0_signature(NULL, &alg, x);
	if (alg)
		X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (!obj || OBJ_obj2txt(buf, sizeof(buf), obj, 0) <= 0)
		snprintf(buf, sizeof(buf), "unknown");
	t->sig_alg = strdup(buf);
	return t->sig_alg ? 0 : BPH_ERR_NOMEM;
}

static bool is_self_signed(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);

	return pk && X509_check_issued(x, x) == X509_V_OK &&
	       X509_verify(x, pk) == 1;
}

static int cert_text(X509 *x, struct bph_tls_info *t)
{
	int rc;

	rc = name_text(X509_get_subject_name(x), &t->subject);
	if (!rc)
		rc = name_text(X509_get_issuer_name(x), &t->issuer);
	if (!rc)
		rc = serial_text(X509_get0_serialNumber(x), &t->serial);
	if (!rc)
		rc = time_text(X509_get0_notBefore(x), &t->not_before);
	if (!rc)
		rc = time_text(X509_get0_notAfter(x), &t->not_after);
	if (!rc)
		rc = san_list(x, t);
	if (!rc)
		rc = key_info(x, t);
	if (!rc)
		rc = sig_alg(x, t);
	return rc;
}

int bph_x509_fill(const uint8_t *der, size_t len, struct bph_tls_info *t)
{
	struct bph_tls_info n;
	const unsigned char *p = der;
	X509 *x = NULL;
	int rc = BPH_ERR_FORMAT;

	memset(&n, 0, sizeof(n));
	if (!der || !t || len == 0 || len > LONG_MAX)
		goto out;
	x = d2i_X509(NULL, &p, (long)len);
	if (!x || p != der + len) /* trailing bytes: not one DER cert */
		goto out;
	rc = cert_hashes(der, len, x, &n);
	if (!rc)
		rc = cert_text(x, &n);
	if (rc)
		goto out;
	n.self_signed = is_self_signed(x);
	cert_fields_move(t, &n);
	memset(&n, 0, sizeof(n));
out:
	bph_x509_fields_free(&n);
	X509_free(x);
	ERR_clear_error(); /* leave no parse errors behind for other callers */
	return rc;
}
