/*
 * ssh_wire.h - the SSH transport bytes bphound reads and writes before any
 * encryption: identification line, binary packets, KEXINIT, ECDH init and
 * reply (RFC 4253, RFC 5656, RFC 8731). Plus HASSHServer
 * (salesforce/hassh, BSD-3-Clause) and OpenSSH host key fingerprints.
 */
#ifndef BPH_FINGERPRINTS_SSH_WIRE_H
#define BPH_FINGERPRINTS_SSH_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "fingerprints/buf.h"
#include "fingerprints/record.h"

#define BPH_SSH_BANNER_MAX    255   /* RFC 4253 4.2, CR LF included */
#define BPH_SSH_PREBANNER_MAX 8192  /* other lines allowed before it */
#define BPH_SSH_PACKET_MAX    35000 /* RFC 4253 6.1 */

#define BPH_SSH_MSG_DISCONNECT	   1
#define BPH_SSH_MSG_KEXINIT	   20
#define BPH_SSH_MSG_KEX_ECDH_INIT  30
#define BPH_SSH_MSG_KEX_ECDH_REPLY 31

/*
 * The ten name-lists of a KEXINIT, in wire order (RFC 4253 7.1; the names
 * follow OpenSSH's enum kex_proposal_name in kex.h). CTOS: client to
 * server, STOC: server to client.
 */
enum bph_kex_list {
	BPH_KEX_ALGS,
	BPH_KEX_HOSTKEY_ALGS,
	BPH_KEX_ENC_CTOS,
	BPH_KEX_ENC_STOC,
	BPH_KEX_MAC_CTOS,
	BPH_KEX_MAC_STOC,
	BPH_KEX_COMP_CTOS,
	BPH_KEX_COMP_STOC,
	BPH_KEX_LANG_CTOS,
	BPH_KEX_LANG_STOC,
	BPH_KEX_LISTS
};
_Static_assert(sizeof(((struct bph_ssh_info *)0)->kexinit) ==
		   BPH_KEX_LISTS * sizeof(char *),
	       "record.h keeps every KEXINIT list");

/*
 * Finds the server identification line ("SSH-...") in the first n bytes the
 * server sent. On success *line and *line_len borrow the line without CR LF and
 * *consumed is the offset just after its LF. Returns 0,
 * BPH_ERR_TRUNCATED (read more), BPH_ERR_TOOBIG (no SSH- line within
 * BPH_SSH_PREBANNER_MAX, or the line is longer than BPH_SSH_BANNER_MAX) or
 * BPH_ERR_PROTO.
 */
int bph_ssh_find_banner(const uint8_t *p, size_t n, const uint8_t **line,
			size_t *line_len, size_t *consumed);

/*
 * Splits one unencrypted binary packet off p. On success *payload borrows the
 * payload and *consumed is the whole packet's size. Returns 0,
 * BPH_ERR_TRUNCATED (read more), BPH_ERR_TOOBIG (packet_length above
 * BPH_SSH_PACKET_MAX, known from the first 4 bytes) or BPH_ERR_FORMAT
 * (padding does not fit). Lenient: the block-size multiple and the 4-byte
 * minimum padding are not demanded of the peer.
 */
int bph_ssh_packet_parse(const uint8_t *p, size_t n, const uint8_t **payload,
			 size_t *payload_len, size_t *consumed);

/*
 * Appends payload as an unencrypted binary packet: zero padding of 4..11
 * bytes so the packet is a multiple of 8. Returns 0, BPH_ERR_TOOBIG or
 * BPH_ERR_NOMEM (out's sticky error).
 */
int bph_ssh_packet_build(const uint8_t *payload, size_t n,
			 struct bph_sbuf *out);

/*
 * Decodes a KEXINIT payload (starting with byte 20) into its ten name-lists
 * (indexed by enum bph_kex_list), verbatim; each lists[i] is heap-allocated and
 * owned by the caller (free all BPH_KEX_LISTS even on error: the function sets
 * them all first, NULL or a string). Name-lists are capped at 16 KiB each
 * (BPH_ERR_TOOBIG) and may not hold NUL (BPH_ERR_FORMAT); a payload that is not
 * KEXINIT gives BPH_ERR_PROTO; the bool + uint32 trailer must be present.
 */
int bph_ssh_kexinit_parse(const uint8_t *payload, size_t n,
			  char *lists[BPH_KEX_LISTS]);

/*
 * Builds our KEXINIT payload offering exactly one kex algorithm and one host
 * key algorithm (as ssh-keyscan does, one connection per key type), a random
 * cookie, broad cipher (aes*-ctr, aes*-gcm, chacha20-poly1305, cbc), MAC
 * (hmac-sha2-256/512, hmac-sha1, their -etm) and compression (none, zlib)
 * lists, no languages. Returns BPH_ERR_USAGE for an empty name or one with
 * a comma or non-printable byte, BPH_ERR_CRYPTO if RAND_bytes fails.
 */
int bph_ssh_kexinit_build(const char *kex, const char *hostkey_alg,
			  struct bph_sbuf *out);

/* Builds an SSH_MSG_KEX_ECDH_INIT payload carrying q_c. */
int bph_ssh_ecdh_init_build(const uint8_t *q_c, size_t n, struct bph_sbuf *out);

/*
 * Extracts K_S (the host key blob) from an SSH_MSG_KEX_ECDH_REPLY payload
 * (also fits KEXDH_REPLY, same number and K_S first). *ks borrows from
 * payload. Q_S and the signature must be present (each capped at 64 KiB,
 * K_S at 16 KiB). The signature is not verified: bphound needs the key's
 * identity, not a session.
 */
int bph_ssh_ecdh_reply_hostkey(const uint8_t *payload, size_t n,
			       const uint8_t **ks, size_t *ks_len);

/*
 * HASSHServer: algs = "kex;enc_s2c;mac_s2c;cmp_s2c" from the lists
 * BPH_KEX_ALGS, BPH_KEX_ENC_STOC, BPH_KEX_MAC_STOC, BPH_KEX_COMP_STOC;
 * md5 = md5(algs) hex. *algs is heap-allocated, owned by the caller.
 */
int bph_hassh_server(char *const lists[BPH_KEX_LISTS], char **algs,
		     char md5[33]);

/*
 * Fills a host key record from a K_S blob: type (the blob's first string),
 * sha256 ("SHA256:" + unpadded base64), md5 ("MD5:aa:bb:..") and bits as
 * ssh-keygen -l prints them. out is overwritten whole; out->type is
 * heap-allocated and owned by the caller; on error out is zeroed. Decoded
 * types (ssh-ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa, ssh-dss and
 * the sk- variants) must be well-formed and fill the blob exactly
 * (BPH_ERR_FORMAT); other types get their hashes with bits 0.
 */
int bph_sshkey_fingerprint(const uint8_t *blob, size_t n,
			   struct bph_ssh_hostkey *out);

#endif
