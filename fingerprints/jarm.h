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

#define BPH_JARM_PROBES	  10
#define BPH_JARM_RECV_MAX 1484
/*
 * One probe's "c|v|a|e" string with its NUL. A 1484-byte reply can decode to
 * about 3.3 KB (a long ALPN plus ~360 extension types), hence 4096.
 */
#define BPH_JARM_RESULT_MAX 4096

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
 * With rnd == NULL the random, session id, key share and GREASE value come
 * from RAND_bytes. Returns 0, BPH_ERR_USAGE (probe out of range, NULL sni or
 * out), BPH_ERR_TOOBIG (sni longer than 255 bytes), BPH_ERR_CRYPTO or
 * BPH_ERR_NOMEM (out->err).
 */
int bph_jarm_build_hello(int probe, const char *sni,
			 const struct bph_jarm_rand *rnd, struct bph_sbuf *out);

/*
 * Reduces one reply (the bytes of the single read; NULL/0 when the
 * connection failed) to jarm.py's per-probe string, e.g.
 * "c02f|0303|h2|ff01-0000". Borrows p; only the first BPH_JARM_RECV_MAX bytes
 * are looked at, as jarm.py's single recv(1484). Never fails: anything jarm.py
 * would reject gives "|||". Quirks are reproduced (index by p[43], the 0e ac 0b
 * / 0f f0 0b heuristics, short slices, strict UTF-8 ALPN). One unavoidable
 * difference: NUL bytes inside a decoded ALPN are dropped (a C string cannot
 * hold them).
 */
void bph_jarm_parse_reply(const uint8_t *p, size_t n,
			  char out[BPH_JARM_RESULT_MAX]);

/*
 * Hashes the ten probe strings joined by "," into the 62-char fingerprint.
 * All "|||" gives 62 zeros. Returns 0, BPH_ERR_USAGE (raw NULL),
 * BPH_ERR_CRYPTO, or BPH_ERR_FORMAT wherever jarm.py's jarm_hash() would
 * raise (a probe with fewer than 4 fields, a version whose 4th character is
 * not 0-5) or would not give 62 characters (not exactly 10 probes, e.g. an
 * ALPN containing ","). On error out is "".
 */
int bph_jarm_hash(const char *raw, char out[63]);

#endif
