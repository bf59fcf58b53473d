/*
 * tls_session.h - a TLS client over memory BIOs: bytes in, bytes out.
 *
 * Shared by the tls probe (handshake and certificate) and the http probe
 * (HTTPS). The session never touches a socket: the caller feeds it the
 * bytes the server sent and sends whatever it appends to `out`. No
 * certificate verification; TLS 1.0 to 1.3 where OpenSSL permits.
 */
#ifndef BPH_PROBES_TLS_SESSION_H
#define BPH_PROBES_TLS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/buf.h"
#include "fingerprints/record.h"

struct bph_tls_session;

/*
 * Creates a client session sending sni (NULL: none) and offering the ALPN
 * protocols in alpn (wire format, NULL: no ALPN). Borrows both for the call.
 * Returns NULL on allocation or OpenSSL failure.
 */
struct bph_tls_session *
bph_tls_session_new(const char *sni, const uint8_t *alpn, size_t alpn_len);

/* Frees the session and everything it owns; NULL-safe. */
void bph_tls_session_free(struct bph_tls_session *s);

/*
 * Feeds p[0..n) (NULL/0 to start) and advances the handshake, appending the
 * bytes to send to out. Returns 1 when the handshake is complete, 0 when it
 * needs more bytes, BPH_ERR_CRYPTO (OpenSSL gave up: alert, bad message) or
 * BPH_ERR_NOMEM.
 */
int bph_tls_session_handshake(struct bph_tls_session *s, const uint8_t *p,
			      size_t n, struct bph_sbuf *out);

/* Encrypts p[0..n) after the handshake; the records go to out. */
int bph_tls_session_write(struct bph_tls_session *s, const void *p, size_t n,
			  struct bph_sbuf *out);

/*
 * Feeds p[0..n) after the handshake and appends the decrypted bytes to
 * plain (and any protocol bytes to send to out). Returns 0, 1 when the peer
 * sent close_notify, or BPH_ERR_CRYPTO / BPH_ERR_NOMEM.
 */
int bph_tls_session_read(struct bph_tls_session *s, const uint8_t *p, size_t n,
			 struct bph_sbuf *plain, struct bph_sbuf *out);

/*
 * Writes what the handshake revealed into t: version, cipher, ALPN, the
 * leaf's fingerprints (bph_x509_fill over the DER), chain_len, JA3S and
 * sh_extensions from the raw ServerHello. Returns 0 or BPH_ERR_*.
 */
int bph_tls_session_fill(struct bph_tls_session *s, struct bph_tls_info *t);

/*
 * A static or session-owned description of the last failure (valid until
 * the next call on s), never NULL.
 */
const char *bph_tls_session_error(const struct bph_tls_session *s);

#endif
