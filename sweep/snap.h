/*
 * snap.h - a compact snapshot of one run for the diff: per open service
 * (ip, port) a 64-bit hash of each compared field and of each identity
 * artifact, sorted by (ip, port). About 130 bytes a service, so two runs
 * of a million hosts fit in a few hundred MiB; the values behind a hash
 * are read back from the store only for the services that changed.
 *
 * A hash of 0 means "unknown" (the probe gave no value this time): an
 * unknown field is never reported as a change.
 */
#ifndef BPH_SWEEP_SNAP_H
#define BPH_SWEEP_SNAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

/* Compared fields; their names (bph_snap_field_name) are the names that
 * diff.ignore_fields takes. */
enum bph_snap_field {
	BPH_SF_PROTO = 0,
	BPH_SF_CERT,
	BPH_SF_SPKI,
	BPH_SF_JARM,
	BPH_SF_HOSTKEYS,
	BPH_SF_HASSH,
	BPH_SF_TITLE,
	BPH_SF_BODY,
	BPH_SF_FAVICON,
	BPH_SF_SERVER,
	BPH_SF_TCPSIG,
	BPH_SF_COUNT
};

/* Identity artifacts kept per service: the certificate's SPKI and up to
 * three SSH host keys. */
#define BPH_SNAP_IDS 4

enum bph_id_kind { BPH_ID_SPKI = 1, BPH_ID_HOSTKEY = 2 };

struct bph_snap_svc {
	uint32_t ip; /* host order */
	uint16_t port;
	uint8_t n_ids;
	uint8_t id_kind[BPH_SNAP_IDS]; /* enum bph_id_kind */
	uint64_t h[BPH_SF_COUNT];
	uint64_t ids[BPH_SNAP_IDS];
};

struct bph_snap {
	struct bph_snap_svc *v;
	size_t n, cap;
	int err; /* first error of bph_snap_cb, 0 if none */
};

/* "proto", "tls.cert_sha256", ... ("tls.spki_sha256" is compared as part
 * of the certificate); NULL for an out-of-range value. */
const char *bph_snap_field_name(enum bph_snap_field f);
/* The field named s, or -1. */
int bph_snap_field_parse(const char *s);

/* Hash of (tag, value): never 0. */
uint64_t bph_snap_hash(const char *tag, const char *value);

/*
 * Fills e from s (borrowed). Only ip, port and the hashes are set; the
 * caller decides which records count (open services).
 */
void bph_snap_svc_from(struct bph_snap_svc *e, const struct bph_service *s);

/* Makes room for k more entries (one allocation for a snapshot whose
 * size is known). Returns 0 or BPH_ERR_NOMEM. */
int bph_snap_reserve(struct bph_snap *sn, size_t k);
/* Appends s when it is open. Returns 0 or BPH_ERR_NOMEM. */
int bph_snap_add(struct bph_snap *sn, const struct bph_service *s);
/* bph_service_cb form of bph_snap_add (ctx is the snapshot; an error is
 * kept in sn->err). */
void bph_snap_cb(void *ctx, const struct bph_service *s);
/* Sorts by (ip, port); of duplicates the last added wins. */
void bph_snap_finish(struct bph_snap *sn);
void bph_snap_clear(struct bph_snap *sn); /* NULL-safe */

/* The first entry of ip at or after index from, or sn->n. */
size_t bph_snap_lower(const struct bph_snap *sn, uint32_t ip, uint16_t port);
/* The entry (ip, port), or NULL. */
const struct bph_snap_svc *bph_snap_find(const struct bph_snap *sn, uint32_t ip,
					 uint16_t port);

/*
 * The stored form (store/sweep_store.h "a run's snapshot"): each entry in
 * BPH_SNAP_REC bytes, little-endian (ip, port, n_ids, id kinds, field
 * hashes, identity hashes), BPH_SNAP_CHUNK entries a chunk. A change of
 * the hashes or of this layout takes a new BPH_SNAP_FORMAT: runs stored
 * in another one are read from their records again.
 */
#define BPH_SNAP_FORMAT 1
#define BPH_SNAP_REC                                                           \
	(4 + 2 + 1 + BPH_SNAP_IDS + 8 * (BPH_SF_COUNT + BPH_SNAP_IDS))
#define BPH_SNAP_CHUNK 16384

/* Encodes the n entries of sn from index from into out (n *
 * BPH_SNAP_REC bytes). */
void bph_snap_encode(const struct bph_snap *sn, size_t from, size_t n,
		     unsigned char *out);
/* Appends n encoded entries (len bytes). Returns 0, BPH_ERR_FORMAT (len
 * is not n entries, or an id kind is out of range) or BPH_ERR_NOMEM. */
int bph_snap_decode(struct bph_snap *sn, const void *data, size_t len,
		    size_t n);

#endif
