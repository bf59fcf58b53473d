/*
 * tls_hello.c - ServerHello decoding (RFC 8446 4.1.3, RFC 5246 7.4.1.3) and
 * JA3S as salesforce/ja3's ja3s.py defines it (BSD-3-Clause).
 */
#include "fingerprints/tls_hello.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

#define TLS_CT_ALERT		   21
#define TLS_CT_HANDSHAKE	   22
#define TLS_HS_SERVER_HELLO	   2
#define TLS_EXT_ALPN		   16
#define TLS_EXT_SUPPORTED_VERSIONS 43
#define TLS_RECORD_MAX		   (16384 + 2048) /* TLSCiphertext bound */
/* 2+32+1+32+2+1+2+65535: the largest well-formed ServerHello body */
#define TLS_SH_BODY_MAX 65607

/* SHA-256("HelloRetryRequest"), RFC 8446 4.1.3 */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c,
    0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb,
    0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* ALPN in a ServerHello: exactly one protocol name (RFC 7301 3.1). */
static int sh_alpn(struct bph_cur *c, struct bph_server_hello *out)
{
	struct bph_cur list;
	uint16_t list_len;
	uint8_t name_len;
	const uint8_t *name;

	if (bph_cur_u16(c, &list_len) || bph_cur_sub(c, list_len, &list) ||
	    bph_cur_u8(&list, &name_len) || name_len == 0 ||
	    bph_cur_bytes(&list, name_len, &name) || list.len || c->len)
		return BPH_ERR_FORMAT;
	memcpy(out->alpn, name, name_len);
	out->alpn[name_len] = '\0';
	return 0;
}

static int sh_extension(uint16_t type, struct bph_cur *data,
			struct bph_server_hello *out)
{
	uint16_t v;

	if (out->n_ext < BPH_SH_MAX_EXT)
		out->ext_types[out->n_ext++] = type;
	if (type == TLS_EXT_SUPPORTED_VERSIONS) {
		if (bph_cur_u16(data, &v) || data->len)
			return BPH_ERR_FORMAT;
		out->selected_version = v;
	} else if (type == TLS_EXT_ALPN) {
		return sh_alpn(data, out);
	}
	return 0;
}

static int sh_extensions(struct bph_cur *c, struct bph_server_hello *out)
{
	struct bph_cur exts, data;
	uint16_t len, type, elen;
	int rc;

	if (bph_cur_u16(c, &len) || bph_cur_sub(c, len, &exts) || c->len)
		return BPH_ERR_FORMAT;
	while (exts.len) {
		if (bph_cur_u16(&exts, &type) || bph_cur_u16(&exts, &elen) ||
		    bph_cur_sub(&exts, elen, &data))
			return BPH_ERR_FORMAT;
		rc = sh_extension(type, &data, out);
		if (rc)
			return rc;
	}
	return 0;
}

/* The ServerHello body; its length is known, so any shortfall is FORMAT. */
static int sh_body(struct bph_cur *c, struct bph_server_hello *out)
{
	const uint8_t *random;
	uint8_t sid_len;

	memset(out, 0, sizeof(*out));
	if (bph_cur_u16(c, &out->legacy_version) ||
	    bph_cur_bytes(c, 32, &random) || bph_cur_u8(c, &sid_len) ||
	    sid_len > 32 || bph_cur_skip(c, sid_len) ||
	    bph_cur_u16(c, &out->cipher) || bph_cur_u8(c, &out->compression))
		return BPH_ERR_FORMAT;
	out->selected_version = out->legacy_version;
	out->is_hrr = !memcmp(random, hrr_random, 32);
	if (c->len == 0) /* pre-TLS 1.2 servers may omit the extensions */
		return 0;
	return sh_extensions(c, out);
}

int bph_server_hello_parse_msg(const uint8_t *p, size_t n,
			       struct bph_server_hello *out)
{
	struct bph_cur c = bph_cur_make(p, n), body;
	uint8_t type;
	uint32_t len;

	if (bph_cur_u8(&c, &type) || bph_cur_u24(&c, &len))
		return BPH_ERR_TRUNCATED;
	if (type != TLS_HS_SERVER_HELLO || len > TLS_SH_BODY_MAX)
		return BPH_ERR_FORMAT;
	if (bph_cur_sub(&c, len, &body))
		return BPH_ERR_TRUNCATED;
	return sh_body(&body, out);
}

/* One record header; *frag is the handshake fragment it carries. */
static int sh_record(struct bph_cur *c, struct bph_cur *frag)
{
	uint8_t type;
	uint16_t version, len;

	if (bph_cur_u8(c, &type))
		return BPH_ERR_TRUNCATED;
	if (type != TLS_CT_HANDSHAKE)
		return BPH_ERR_PROTO; /* alert (21) or not TLS at all */
	if (bph_cur_u16(c, &version) || bph_cur_u16(c, &len))
		return BPH_ERR_TRUNCATED;
	if (version >> 8 != 3)
		return BPH_ERR_PROTO;
	if (len == 0 || len > TLS_RECORD_MAX)
		return BPH_ERR_FORMAT;
	return bph_cur_sub(c, len, frag);
}

/*
 * A ServerHello split over several handshake records: concatenate the
 * fragments until the message is complete.
 */
static int sh_reassemble(struct bph_cur c, struct bph_server_hello *out)
{
	struct bph_sbuf msg;
	struct bph_cur frag, m;
	uint8_t type;
	uint32_t body;
	size_t need = 4;
	int rc;

	bph_sbuf_init(&msg);
	while (msg.len < need) {
		rc = sh_record(&c, &frag);
		if (rc)
			goto out;
		bph_sbuf_put(&msg, frag.p, frag.len);
		if (msg.err) {
			rc = msg.err;
			goto out;
		}
		m = bph_cur_make(msg.p, msg.len);
		if (bph_cur_peek_u8(&m, 0, &type) == 0 &&
		    bph_cur_peek_u24(&m, 1, &body) == 0) {
			need = 4 + (size_t)body;
			rc = BPH_ERR_PROTO;
			if (type != TLS_HS_SERVER_HELLO)
				goto out;
			rc = BPH_ERR_FORMAT;
			if (need > 4 + TLS_SH_BODY_MAX)
				goto out;
		}
	}
	rc = bph_server_hello_parse_msg(msg.p, need, out);
out:
	bph_sbuf_free(&msg);
	return rc;
}

int bph_server_hello_parse_record(const uint8_t *p, size_t n,
				  struct bph_server_hello *out)
{
	struct bph_cur c = bph_cur_make(p, n), frag;
	uint32_t len;
	uint8_t type;
	int rc;

	rc = sh_record(&c, &frag);
	if (rc)
		return rc;
	if (bph_cur_peek_u8(&frag, 0, &type) || type != TLS_HS_SERVER_HELLO)
		return BPH_ERR_PROTO;
	if (bph_cur_peek_u24(&frag, 1, &len) == 0) {
		if (len <= frag.len - 4)
			return bph_server_hello_parse_msg(frag.p, 4 + len, out);
	}
	return sh_reassemble(bph_cur_make(p, n), out);
}

int bph_ja3s(const struct bph_server_hello *sh, char **full, char md5[33])
{
	struct bph_sbuf b;
	char num[16];
	uint8_t md[16];
	int rc = BPH_ERR_NOMEM;

	*full = NULL;
	md5[0] = '\0';
	bph_sbuf_init(&b);
	snprintf(num, sizeof(num), "%u,%u,", sh->legacy_version, sh->cipher);
	bph_sbuf_str(&b, num);
	for (size_t i = 0; i < sh->n_ext && i < BPH_SH_MAX_EXT; i++) {
		snprintf(num, sizeof(num), i ? "-%u" : "%u", sh->ext_types[i]);
		bph_sbuf_str(&b, num);
	}
	bph_sbuf_u8(&b, 0);
	if (b.err)
		goto out;
	rc = BPH_ERR_CRYPTO;
	if (EVP_Digest(b.p, b.len - 1, md, NULL, EVP_md5(), NULL) != 1)
		goto out;
	bph_hex(md, 16, md5);
	*full = (char *)b.p;
	bph_sbuf_init(&b);
	rc = 0;
out:
	bph_sbuf_free(&b);
	return rc;
}

int bph_server_hello_ext_string(const struct bph_server_hello *sh, char **out)
{
	struct bph_sbuf b;
	char hex[8];

	*out = NULL;
	bph_sbuf_init(&b);
	for (size_t i = 0; i < sh->n_ext && i < BPH_SH_MAX_EXT; i++) {
		snprintf(hex, sizeof(hex), i ? "-%04x" : "%04x",
			 sh->ext_types[i]);
		bph_sbuf_str(&b, hex);
	}
	bph_sbuf_u8(&b, 0);
	if (b.err) {
		bph_sbuf_free(&b);
		return BPH_ERR_NOMEM;
	}
	*out = (char *)b.p;
	return 0;
}

/* One CertificateEntry; the DER of the first is kept. */
static int cert_entry(struct bph_cur *list, int tls13, const uint8_t **der,
		      size_t *der_len)
{
	uint32_t len;
	uint16_t ext_len;
	int rc = bph_cur_u24(list, &len);

	if (rc == 0 && len == 0)
		rc = BPH_ERR_FORMAT;
	if (rc == 0) {
		*der_len = len;
		rc = bph_cur_bytes(list, len, der);
	}
	if (rc == 0 && tls13) {
		rc = bph_cur_u16(list, &ext_len);
		if (rc == 0)
			rc = bph_cur_skip(list, ext_len);
	}
	return rc;
}

int bph_tls_certificate_leaf(const uint8_t *p, size_t n, int tls13,
			     const uint8_t **der, size_t *der_len, int *count)
{
	struct bph_cur c = bph_cur_make(p, n), body, list;
	uint8_t type, ctx_len;
	uint32_t body_len, list_len;
	const uint8_t *entry;
	size_t entry_len;
	int rc;

	*count = 0;
	rc = bph_cur_u8(&c, &type);
	if (rc == 0 && type != 11)
		return BPH_ERR_FORMAT;
	if (rc == 0)
		rc = bph_cur_u24(&c, &body_len);
	if (rc == 0)
		rc = bph_cur_sub(&c, body_len, &body);
	if (rc == 0 && tls13) {
		rc = bph_cur_u8(&body, &ctx_len);
		if (rc == 0)
			rc = bph_cur_skip(&body, ctx_len);
	}
	if (rc == 0)
		rc = bph_cur_u24(&body, &list_len);
	if (rc == 0)
		rc = bph_cur_sub(&body, list_len, &list);
	while (rc == 0 && list.len > 0) {
		rc = cert_entry(&list, tls13, &entry, &entry_len);
		if (rc == 0 && (*count)++ == 0) {
			*der = entry;
			*der_len = entry_len;
		}
	}
	if (rc == 0 && *count == 0)
		rc = BPH_ERR_FORMAT;
	return rc == BPH_ERR_TRUNCATED && *count ? BPH_ERR_FORMAT : rc;
}
