/*
 * jarm.h - JARM, exactly as salesforce/jarm's jarm.py (BSD-3-Clause).
 *
 * Ten crafted ClientHellos; each reply is reduced to "cipher|version|alpn|exts"
 * and the ten strings are hashed into 62 hex characters. The transport (ten
 * connections, one read of at most BPH_JARM_RECV_MAX bytes each) lives in
 * probes/jarm.c; this module only builds and parses bytes.
 */
#ifndef BPH_FINGERPRINTS_JARM_H
#define BPH_FINGERPRINTS_JARM_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/buf.h"

#define BPH_JARM_PROBES 10
#define BPH_JARM_RECV_MAX 1484
#define BPH_JARM_RESULT_MAX 512 /* one probe's "c|v|a|e" string */

/*
 * Randomness injected into a ClientHello, so tests can reproduce jarm.py's
 * vectors byte for byte. NULL means: fresh random bytes and GREASE values.
 */
struct bph_jarm_rand {
	uint8_t random[32];
	uint8_t session_id[32];
	uint8_t key_share[32];
	uint16_t grease; /* one of 0x0a0a, 0x1a1a, ..., 0xfafa */
};

/*
 * Appends probe number `probe` (0..9, jarm.py's queue order) to out as one
 * TLS record, with `sni` as server_name (jarm.py sends the target string).
 * Returns 0 or a BPH_ERR_* code.
 */
int bph_jarm_build_hello(int probe, const char *sni,
			 const struct bph_jarm_rand *rnd, struct bph_sbuf *out);

/*
 * Reduces one reply (the bytes of the single read; NULL/0 when the
 * connection failed) to jarm.py's per-probe string, e.g. "c02f|0303|h2|ff01-0000".
 * Never fails: anything jarm.py would reject gives "|||".
 */
void bph_jarm_parse_reply(const uint8_t *p, size_t n,
			  char out[BPH_JARM_RESULT_MAX]);

/*
 * Hashes the ten probe strings joined by "," into the 62-char fingerprint.
 * All "|||" gives 62 zeros. Returns 0 or BPH_ERR_FORMAT.
 */
int bph_jarm_hash(const char *raw, char out[63]);

#endif
