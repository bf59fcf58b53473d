/*
 * import_zgrab.h - ZGrab2 JSON output into bphound service records.
 *
 * ZGrab2 writes one JSON object per target: {"ip": ..., "data": {NAME:
 * {"status", "protocol", "port", "timestamp", "result": {...}}}}. Modules
 * read (by "protocol", else by NAME):
 *   tls:  result.handshake_log.server_certificates.certificate.raw (DER,
 *         base64) -> certificate hashes, SPKI and fields (bph_x509_fill);
 *   ssh:  result.server_id.raw (banner), result.key_exchange.
 *         server_host_key.raw (key blob, base64) -> SHA256/MD5 as
 *         ssh-keygen prints them, result.server_key_exchange -> the
 *         KEXINIT lists and HASSHServer;
 *   http: result.response: status_code, status_line, headers.server[0],
 *         body -> title and body_sha256 over the body text as received by
 *         ZGrab2 (it may truncate long bodies); an https request also
 *         yields the certificate of request.tls_log.
 * The port is the module's "port", else 443 (tls, https), 22 (ssh) or 80
 * (http). Modules whose status is not "success" are skipped. HTTP header
 * order is not in ZGrab2's output, so no header_hash is made.
 */
#ifndef BPH_STORE_IMPORT_ZGRAB_H
#define BPH_STORE_IMPORT_ZGRAB_H

#include <stddef.h>

#include <jansson.h>

#include "store/import_common.h"

/* Whether j (one parsed line) looks like a ZGrab2 record. */
int bph_import_is_zgrab(const json_t *j);

/*
 * Calls cb(ctx, s) for each usable module of one ZGrab2 record j
 * (borrowed). *bad counts modules skipped because they did not parse (a
 * message for the last goes into err). Returns 0, BPH_ERR_FORMAT (no IPv4
 * "ip" or no "data" object; err says why), BPH_ERR_NOMEM, or the
 * callback's error.
 */
int bph_import_zgrab(const json_t *j, bph_import_cb cb, void *ctx, size_t *bad,
		     char *err, size_t errlen);

/* bph_import_zgrab decoding certificates through cc (may be NULL; one per
 * thread, store/import_common.h): the same records. */
int bph_import_zgrab_cc(const json_t *j, struct bph_certcache *cc,
			bph_import_cb cb, void *ctx, size_t *bad, char *err,
			size_t errlen);

#endif
