/*
 * svcjson.h - the parts of a service record that sweep events carry in
 * "before" and "after" (docs/output.md "Sweep events"). Every string from
 * the network goes through bph_text_clean() first, so the JSON is valid
 * UTF-8 whatever the host sent; jansson escapes quotes and controls.
 * Each function returns a new reference (caller owns it), or NULL on
 * allocation failure.
 */
#ifndef BPH_SWEEP_SVCJSON_H
#define BPH_SWEEP_SVCJSON_H

#include <stdbool.h>

#include <jansson.h>

#include "fingerprints/record.h"

/* A cleaned JSON string of s (NULL gives ""). */
json_t *bph_sj_str(const char *s);

/* {"proto", "tls": {...}, "ssh": {...}, "http": {...}}: what a port.open
 * or port.closed shows of the service. */
json_t *bph_sj_service(const struct bph_service *s);

/* {"cert_sha256", "spki_sha256", "subject", "issuer", "not_after"}. */
json_t *bph_sj_cert(const struct bph_tls_info *t);

/* [{"type", "sha256"}...] sorted by sha256. */
json_t *bph_sj_hostkeys(const struct bph_ssh_info *s);

/*
 * {"title", "body_sha256", "favicon_mmh3", "server"} of h, leaving out
 * the fields whose ignore flag is set (indexed by enum bph_snap_field).
 */
json_t *bph_sj_http(const struct bph_http_info *h, const bool *ignore);

/* [p1, p2, ...] */
json_t *bph_sj_ports(const uint16_t *ports, size_t n);

#endif
