/*
 * x509fp.h - certificate fingerprints from the exact DER bytes received.
 *
 * Hashes are taken over the DER as sent (never re-encoded), so they equal
 * `openssl x509 -fingerprint -sha256` without colons, lower-cased.
 */
#ifndef BPH_FINGERPRINTS_X509FP_H
#define BPH_FINGERPRINTS_X509FP_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

/* Caps on attacker-controlled text (bytes, without the NUL). */
#define BPH_X509_NAME_MAX    1024 /* subject, issuer (RFC 2253 text) */
#define BPH_X509_SAN_MAX     256  /* SAN entries kept */
#define BPH_X509_SAN_LEN_MAX 255  /* one DNS name */
#define BPH_X509_SERIAL_MAX  64	  /* serial bytes (RFC 5280: at most 20) */

/*
 * Fills the certificate fields of t (cert_sha256, cert_sha1, spki_sha256,
 * subject, issuer, serial, validity, SANs, key type and bits, signature
 * algorithm, self_signed) from one DER certificate of exactly len bytes.
 * Borrows der. Strings already present in t are replaced; on error t is left
 * untouched. Other fields of t (version, ja3s, jarm, chain_len, ...) are
 * never touched.
 *
 * Values: hashes are lower-case hex of the DER as received and of
 * i2d_X509_PUBKEY (the SPKI); subject/issuer as `openssl x509 -nameopt
 * RFC2253` (control and non-ASCII bytes escaped by OpenSSL); serial as
 * `openssl x509 -serial`, lower-cased ("-" prefix when negative); validity
 * "2026-01-02T03:04:05Z" (NULL when OpenSSL cannot read the time); SANs are
 * DNS names as sent and IP addresses as inet_ntop text; key_type is OpenSSL's
 * key type name ("RSA", "EC", "ED25519", "RSA-PSS", ...) and key_bits
 * EVP_PKEY_get_bits (256 for ED25519), or the algorithm OID name and 0 for
 * keys OpenSSL cannot load; sig_alg is the OID long name; self_signed means
 * X509_check_issued(cert, cert) == X509_V_OK and the signature verifies with
 * the certificate's own key. Clears the thread's OpenSSL error queue.
 * Returns 0, BPH_ERR_FORMAT (NULL/empty input, DER does not parse, trailing
 * bytes), BPH_ERR_CRYPTO or BPH_ERR_NOMEM.
 */
int bph_x509_fill(const uint8_t *der, size_t len, struct bph_tls_info *t);

/*
 * Frees the strings bph_x509_fill sets in t (subject, issuer, serial,
 * validity, SANs, key_type, sig_alg), without clearing the pointers; the
 * caller overwrites or drops t. The rest of t is untouched.
 */
void bph_x509_fields_free(struct bph_tls_info *t);

#endif
