/*
 * certcache.c - an import's memory of decoded certificates: each distinct
 * DER is decoded by OpenSSL once (bph_x509_fill, most of a ZGrab2 import's
 * CPU) and its fields copied for every later record that carries it. A
 * fixed table keyed by the DER's SHA-256, one per parser thread. Contract
 * in store/import_common.h; figures in docs/performance.md ("Store").
 */
#include "store/import_common.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/sha.h>

#include "fingerprints/err.h"
#include "fingerprints/x509fp.h"

struct slot {
	uint8_t key[SHA256_DIGEST_LENGTH];
	size_t len;
	struct bph_tls_info *t; /* the certificate fields only; NULL: empty */
};

struct bph_certcache {
	struct slot *slots;
	size_t n;
};

struct bph_certcache *bph_certcache_new(size_t slots)
{
	struct bph_certcache *c = calloc(1, sizeof(*c));

	if (c && slots && !(c->slots = calloc(slots, sizeof(*c->slots)))) {
		free(c);
		return NULL;
	}
	if (c)
		c->n = slots;
	return c;
}

void bph_certcache_free(struct bph_certcache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		bph_tls_info_free(c->slots[i].t);
	free(c->slots);
	free(c);
}

/* A copy of s (NULL stays NULL) into *d; false when out of memory. */
static bool dup_str(char **d, const char *s)
{
	*d = s ? strdup(s) : NULL;
	return !s || *d;
}

/* The certificate fields of src copied into n (zeroed by the caller). */
static int fields_copy(struct bph_tls_info *n, const struct bph_tls_info *src)
{
	bool ok = dup_str(&n->subject, src->subject) &&
		  dup_str(&n->issuer, src->issuer) &&
		  dup_str(&n->serial, src->serial) &&
		  dup_str(&n->not_before, src->not_before) &&
		  dup_str(&n->not_after, src->not_after) &&
		  dup_str(&n->key_type, src->key_type) &&
		  dup_str(&n->sig_alg, src->sig_alg);

	if (ok && src->n_san &&
	    (ok = (n->san = calloc(src->n_san, sizeof(*n->san))) != NULL))
		for (; n->n_san < src->n_san && ok; n->n_san++)
			ok = dup_str(&n->san[n->n_san], src->san[n->n_san]);
	memcpy(n->cert_sha256, src->cert_sha256, sizeof(n->cert_sha256));
	memcpy(n->cert_sha1, src->cert_sha1, sizeof(n->cert_sha1));
	memcpy(n->spki_sha256, src->spki_sha256, sizeof(n->spki_sha256));
	n->self_signed = src->self_signed;
	n->key_bits = src->key_bits;
	return ok ? 0 : BPH_ERR_NOMEM;
}

/* The cached fields into t, replacing its own; t untouched on error. */
static int give(struct bph_tls_info *t, const struct bph_tls_info *src)
{
	struct bph_tls_info n;
	int rc;

	memset(&n, 0, sizeof(n));
	if ((rc = fields_copy(&n, src))) {
		bph_x509_fields_free(&n);
		return rc;
	}
	bph_x509_fields_free(t);
	memcpy(t->cert_sha256, n.cert_sha256, sizeof(n.cert_sha256));
	memcpy(t->cert_sha1, n.cert_sha1, sizeof(n.cert_sha1));
	memcpy(t->spki_sha256, n.spki_sha256, sizeof(n.spki_sha256));
	t->subject = n.subject;
	t->issuer = n.issuer;
	t->serial = n.serial;
	t->not_before = n.not_before;
	t->not_after = n.not_after;
	t->san = n.san;
	t->n_san = n.n_san;
	t->self_signed = n.self_signed;
	t->key_type = n.key_type;
	t->key_bits = n.key_bits;
	t->sig_alg = n.sig_alg;
	return 0;
}

int bph_certcache_fill(struct bph_certcache *c, const uint8_t *der, size_t len,
		       struct bph_tls_info *t)
{
	uint8_t key[SHA256_DIGEST_LENGTH];
	struct bph_tls_info *fresh;
	struct slot *sl;
	uint64_t h;
	int rc;

	if (!c || !c->n || !der || !len || !t)
		return bph_x509_fill(der, len, t);
	SHA256(der, len, key);
	memcpy(&h, key, sizeof(h));
	sl = &c->slots[h % c->n];
	if (sl->t && sl->len == len && !memcmp(sl->key, key, sizeof(key)))
		return give(t, sl->t);
	if (!(fresh = bph_tls_info_new()))
		return BPH_ERR_NOMEM;
	if ((rc = bph_x509_fill(der, len, fresh)) || (rc = give(t, fresh))) {
		bph_tls_info_free(fresh); /* a DER that does not parse is not
					     remembered: it is rare */
		return rc;
	}
	bph_tls_info_free(sl->t); /* the slot's older certificate goes */
	sl->t = fresh;
	sl->len = len;
	memcpy(sl->key, key, sizeof(key));
	return 0;
}
