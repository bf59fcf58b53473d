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

/*
 * Fills the certificate fields of t (cert_sha256, cert_sha1, spki_sha256,
 * subject, issuer, serial, validity, SANs, key type and bits, signature
 * algorithm, self_signed) from one DER certificate. Borrows der. Strings
 * already present in t are replaced. Returns 0, BPH_ERR_FORMAT when the DER
 * does not parse, or BPH_ERR_NOMEM.
 */
int bph_x509_fill(const uint8_t *der, size_t len, struct bph_tls_info *t);

#endif
