/*
 * tls_session.c - a TLS client over memory BIOs (OpenSSL), shared by the
 * tls and http probes: bytes in, bytes out, no socket, no verification.
 * Contract in tls_session.h.
 */
#include "probes/tls_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "fingerprints/err.h"
#include "fingerprints/tls_hello.h"
#include "fingerprints/x509fp.h"

#define SH_MAX 16384 /* a ServerHello larger than this is not kept */
/* A Certificate message larger than this is not kept (the engine caps a
 * connection's bytes anyway) and the certificate is reported as too big. */
#define CERT_MSG_MAX (1024 * 1024)

struct bph_tls_session {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio;   /* bytes from the server; owned by ssl */
	BIO *wbio;   /* bytes to the server; owned by ssl */
	uint8_t *sh; /* the first ServerHello message, header included */
	size_t sh_len;
	uint8_t *cert; /* the first Certificate message, header included */
	size_t cert_len;
	char error[160];
};

static void keep(uint8_t **dst, size_t *dst_len, const void *buf, size_t len)
{
	*dst = malloc(len);
	if (!*dst)
		return;
	memcpy(*dst, buf, len);
	*dst_len = len;
}

/*
 * Keeps the first received ServerHello (or HelloRetryRequest) and the first
 * Certificate message verbatim: JA3S and the certificate hashes must come
 * from the bytes the server sent. OpenSSL hands TLS 1.3 handshake messages
 * here after decryption, so this works for every version.
 */
static void msg_cb(int write_p, int version, int content_type, const void *buf,
		   size_t len, SSL *ssl, void *arg)
{
	struct bph_tls_session *s = arg;
	const uint8_t *p = buf;

	(void)version;
	(void)ssl;
	if (write_p || content_type != SSL3_RT_HANDSHAKE || len < 4)
		return;
	if (p[0] == 2 && !s->sh && len <= SH_MAX)
		keep(&s->sh, &s->sh_len, buf, len);
	else if (p[0] == 11 && !s->cert && len <= CERT_MSG_MAX)
		keep(&s->cert, &s->cert_len, buf, len);
}

static int setup_ctx(struct bph_tls_session *s)
{
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (!s->ctx)
		return BPH_ERR_CRYPTO;
	SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_security_level(s->ctx, 0);
	if (!SSL_CTX_set_min_proto_version(s->ctx, TLS1_VERSION) ||
	    !SSL_CTX_set_cipher_list(s->ctx, "DEFAULT:@SECLEVEL=0"))
		return BPH_ERR_CRYPTO;
	return 0;
}

static int setup_ssl(struct bph_tls_session *s, const char *sni,
		     const uint8_t *alpn, size_t alpn_len)
{
	s->ssl = SSL_new(s->ctx);
	if (!s->ssl)
		return BPH_ERR_CRYPTO;
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	if (!s->rbio || !s->wbio) {
		BIO_free(s->rbio);
		BIO_free(s->wbio);
		return BPH_ERR_NOMEM;
	}
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_connect_state(s->ssl);
	SSL_set_msg_callback(s->ssl, msg_cb);
	SSL_set_msg_callback_arg(s->ssl, s);
	if (sni && *sni && !SSL_set_tlsext_host_name(s->ssl, sni))
		return BPH_ERR_CRYPTO;
	if (alpn && SSL_set_alpn_protos(s->ssl, alpn, (unsigned)alpn_len) != 0)
		return BPH_ERR_CRYPTO;
	return 0;
}

struct bph_tls_session *
bph_tls_session_new(const char *sni, const uint8_t *alpn, size_t alpn_len)
{
	struct bph_tls_session *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	if (setup_ctx(s) != 0 || setup_ssl(s, sni, alpn, alpn_len) != 0) {
		bph_tls_session_free(s);
		return NULL;
	}
	return s;
}

void bph_tls_session_free(struct bph_tls_session *s)
{
	if (!s)
		return;
	SSL_free(s->ssl); /* frees both BIOs */
	SSL_CTX_free(s->ctx);
	free(s->sh);
	free(s->cert);
	free(s);
}

static int feed(struct bph_tls_session *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		int chunk = n > 65536 ? 65536 : (int)n;
		int w = BIO_write(s->rbio, p, chunk);
		if (w <= 0)
			return BPH_ERR_NOMEM;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int drain(struct bph_tls_session *s, struct bph_sbuf *out)
{
	uint8_t tmp[4096];
	int r;

	while ((r = BIO_read(s->wbio, tmp, sizeof(tmp))) > 0)
		bph_sbuf_put(out, tmp, (size_t)r);
	return out->err ? BPH_ERR_NOMEM : 0;
}

static int ssl_fail(struct bph_tls_session *s, int ret, const char *what)
{
	unsigned long e = ERR_peek_last_error();

	if (e)
		ERR_error_string_n(e, s->error, sizeof(s->error));
	else
		snprintf(s->error, sizeof(s->error), "%s failed (ssl error %d)",
			 what, SSL_get_error(s->ssl, ret));
	ERR_clear_error();
	return BPH_ERR_CRYPTO;
}

int bph_tls_session_handshake(struct bph_tls_session *s, const uint8_t *p,
			      size_t n, struct bph_sbuf *out)
{
	int rc, ret, e;

	ERR_clear_error();
	rc = feed(s, p, n);
	if (rc != 0)
		return rc;
	ret = SSL_do_handshake(s->ssl);
	e = SSL_get_error(s->ssl, ret);
	rc = drain(s, out);
	if (rc != 0)
		return rc;
	if (ret == 1)
		return 1;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	return ssl_fail(s, ret, "handshake");
}

int bph_tls_session_write(struct bph_tls_session *s, const void *p, size_t n,
			  struct bph_sbuf *out)
{
	size_t written = 0;

	ERR_clear_error();
	if (n > 0 && SSL_write_ex(s->ssl, p, n, &written) != 1)
		return ssl_fail(s, 0, "write");
	return drain(s, out);
}

int bph_tls_session_read(struct bph_tls_session *s, const uint8_t *p, size_t n,
			 struct bph_sbuf *plain, struct bph_sbuf *out)
{
	uint8_t tmp[16384];
	size_t got;
	int rc, e;

	ERR_clear_error();
	rc = feed(s, p, n);
	if (rc != 0)
		return rc;
	for (;;) {
		if (SSL_read_ex(s->ssl, tmp, sizeof(tmp), &got) == 1) {
			bph_sbuf_put(plain, tmp, got);
			continue;
		}
		e = SSL_get_error(s->ssl, 0);
		break;
	}
	rc = drain(s, out);
	if (rc != 0 || plain->err)
		return rc ? rc : BPH_ERR_NOMEM;
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return 1;
	return ssl_fail(s, 0, "read");
}

/* The leaf's DER as received, from the kept Certificate message. */
static int fill_cert_received(struct bph_tls_session *s, struct bph_tls_info *t)
{
	const uint8_t *der;
	size_t der_len;
	int count;
	int rc = bph_tls_certificate_leaf(s->cert, s->cert_len,
					  SSL_version(s->ssl) == TLS1_3_VERSION,
					  &der, &der_len, &count);

	if (rc != 0)
		return rc;
	t->chain_len = count;
	return bph_x509_fill(der, der_len, t);
}

static int fill_cert(struct bph_tls_session *s, struct bph_tls_info *t)
{
	if (s->cert)
		return fill_cert_received(s, t);
	t->chain_len = 0;
	/* A certificate OpenSSL accepted but whose message was over the cap:
	 * say so rather than hash a re-encoding. */
	return SSL_get0_peer_certificate(s->ssl) ? BPH_ERR_TOOBIG : 0;
}

static int fill_hello(struct bph_tls_session *s, struct bph_tls_info *t)
{
	struct bph_server_hello sh;
	int rc;

	if (!s->sh)
		return 0;
	rc = bph_server_hello_parse_msg(s->sh, s->sh_len, &sh);
	if (rc != 0)
		return rc;
	free(t->ja3s_full);
	t->ja3s_full = NULL;
	rc = bph_ja3s(&sh, &t->ja3s_full, t->ja3s);
	if (rc != 0)
		return rc;
	free(t->sh_extensions);
	t->sh_extensions = NULL;
	return bph_server_hello_ext_string(&sh, &t->sh_extensions);
}

static int replace(char **dst, const char *src, size_t len)
{
	free(*dst);
	*dst = src ? bph_strndup_cap(src, len, 255) : NULL;
	return (src && !*dst) ? BPH_ERR_NOMEM : 0;
}

int bph_tls_session_fill(struct bph_tls_session *s, struct bph_tls_info *t)
{
	const unsigned char *alpn = NULL;
	unsigned int alpn_len = 0;
	const SSL_CIPHER *c = SSL_get_current_cipher(s->ssl);
	const char *v = SSL_get_version(s->ssl);
	const char *cn = c ? SSL_CIPHER_get_name(c) : NULL;
	int rc;

	SSL_get0_alpn_selected(s->ssl, &alpn, &alpn_len);
	rc = replace(&t->version, v, v ? strlen(v) : 0);
	if (rc == 0)
		rc = replace(&t->cipher, cn, cn ? strlen(cn) : 0);
	if (rc == 0 && alpn_len > 0)
		rc = replace(&t->alpn, (const char *)alpn, alpn_len);
	if (rc == 0) {
		/* JA3S does not depend on the certificate: fill both. */
		int rc_cert = fill_cert(s, t);
		rc = fill_hello(s, t);
		if (rc == 0)
			rc = rc_cert;
	}
	return rc;
}

const char *bph_tls_session_error(const struct bph_tls_session *s)
{
	if (!s || !s->error[0])
		return "TLS failure";
	return s->error;
}
