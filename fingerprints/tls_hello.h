/*
 * tls_hello.h - ServerHello decoding and JA3S.
 *
 * Decodes the ServerHello handshake message once into bph_server_hello; JA3S
 * and the recorded raw fields (for users who compute JA4S elsewhere) are
 * derived from that struct. Definitions: docs/fingerprints.md, JA3S from
 * salesforce/ja3 (BSD-3-Clause).
 */
#ifndef BPH_FINGERPRINTS_TLS_HELLO_H
#define BPH_FINGERPRINTS_TLS_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define BPH_SH_MAX_EXT 64

struct bph_server_hello {
	uint16_t
	    legacy_version; /* ServerHello.legacy_version (0x0303 on 1.3) */
	uint16_t
	    selected_version; /* supported_versions value, or legacy_version */
	uint16_t cipher;
	uint8_t compression;
	uint16_t ext_types[BPH_SH_MAX_EXT]; /* wire order */
	size_t n_ext;			    /* capped at BPH_SH_MAX_EXT */
	char alpn[256]; /* first ALPN protocol if present, else "" */
	int is_hrr;	/* HelloRetryRequest random */
};

/*
 * Parses a ServerHello handshake message: type byte 0x02, 3-byte length,
 * body. Borrows p; bytes after the message are ignored. Fills every field of
 * *out (zeroing it first). Returns 0, BPH_ERR_TRUNCATED (p ends before the
 * declared length) or BPH_ERR_FORMAT (not a ServerHello, session id > 32,
 * a malformed extension block, supported_versions or ALPN, trailing bytes
 * inside the message).
 */
int bph_server_hello_parse_msg(const uint8_t *p, size_t n,
			       struct bph_server_hello *out);

/*
 * Parses the first TLS record(s) of a server's reply and decodes the
 * ServerHello inside (first handshake message of the first record; a
 * ServerHello fragmented over several handshake records is reassembled).
 * Borrows p. Returns 0, BPH_ERR_TRUNCATED (need more bytes), BPH_ERR_PROTO
 * (an alert, not TLS, or the first handshake message is not a ServerHello),
 * BPH_ERR_FORMAT or BPH_ERR_NOMEM (reassembly buffer).
 */
int bph_server_hello_parse_record(const uint8_t *p, size_t n,
				  struct bph_server_hello *out);

/*
 * JA3S: full = "version,cipher,ext-ext-..." in decimal (trailing comma when
 * there are no extensions, as ja3s.py), md5 = md5(full) as lower-case hex.
 * version is legacy_version (771 on TLS 1.3); GREASE is kept, as ja3s.py.
 * Only the first BPH_SH_MAX_EXT extensions count. *full is heap-allocated
 * and owned by the caller. Returns 0, BPH_ERR_NOMEM or BPH_ERR_CRYPTO.
 */
int bph_ja3s(const struct bph_server_hello *sh, char **full, char md5[33]);

/*
 * "002b-0033": extension types as 4 lower-case hex digits, joined by '-'
 * ("" when none). *out is heap-allocated, owned by the caller. Returns 0 or
 * BPH_ERR_NOMEM.
 */
int bph_server_hello_ext_string(const struct bph_server_hello *sh, char **out);

/*
 * Finds the leaf certificate in a Certificate handshake message (type byte
 * 11, 3-byte length, body) exactly as the server sent it, so that hashes
 * are taken over the received DER, never a re-encoding. tls13 says the
 * body starts with a certificate_request_context and each entry carries
 * extensions (RFC 8446 4.4.2). *der borrows from p; *count is the number
 * of certificates in the list. Returns 0, BPH_ERR_TRUNCATED or
 * BPH_ERR_FORMAT (also for an empty list).
 */
int bph_tls_certificate_leaf(const uint8_t *p, size_t n, int tls13,
			     const uint8_t **der, size_t *der_len, int *count);

#endif
