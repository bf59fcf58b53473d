/*
 * ssh_wire.c - the cleartext part of the SSH transport (RFC 4253 4.2, 6,
 * 7.1; RFC 5656 4; RFC 8731), HASSHServer and host key fingerprints in
 * ssh-keygen -l form. Every read of peer bytes goes through bph_cur.
 */
#include "fingerprints/ssh_wire.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fingerprints/err.h"

#define NAMELIST_MAX  (16 * 1024) /* per KEXINIT name-list */
#define KS_MAX	      (16 * 1024) /* host key blob in a KEX reply */
#define KEX_FIELD_MAX (64 * 1024) /* Q_S / f and signature in a reply */
#define KEYTYPE_MAX   128	  /* key type name inside a blob */
#define OUR_ALG_MAX   256	  /* one algorithm name we offer */

/* Client algorithm lists: broad enough that any server picks one. */
static const char our_ciphers[] =
    "aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,"
    "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,"
    "aes128-cbc,aes256-cbc,3des-cbc";
static const char our_macs[] =
    "hmac-sha2-256,hmac-sha2-512,hmac-sha1,hmac-sha2-256-etm@openssh.com,"
    "hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com";
static const char our_compression[] = "none,zlib@openssh.com,zlib";

static void sbuf_string(struct bph_sbuf *b, const void *p, size_t n)
{
	bph_sbuf_u32(b, (uint32_t)n);
	bph_sbuf_put(b, p, n);
}

static int starts_with_prefix(const uint8_t *p, size_t n, const char *pre)
{
	size_t k = strlen(pre);
	return memcmp(p, pre, n < k ? n : k) == 0;
}

/*
 * Examines the line starting at p (n bytes available). Sets *eol to the
 * offset of its LF or returns BPH_ERR_TRUNCATED when there is none yet.
 */
static int line_end(const uint8_t *p, size_t n, size_t *eol)
{
	const uint8_t *lf = memchr(p, '\n', n);
	const uint8_t *nul = memchr(p, '\0', lf ? (size_t)(lf - p) : n);

	if (nul)
		return BPH_ERR_PROTO; /* OpenSSH rejects NUL in these lines */
	if (!lf)
		return BPH_ERR_TRUNCATED;
	*eol = (size_t)(lf - p);
	return 0;
}

int bph_ssh_find_banner(const uint8_t *p, size_t n, const uint8_t **line,
			size_t *line_len, size_t *consumed)
{
	size_t off = 0, eol;
	int rc;

	while (off < n) {
		if (off >= BPH_SSH_PREBANNER_MAX)
			return BPH_ERR_TOOBIG;
		const uint8_t *l = p + off;
		size_t avail = n - off;
		bool ssh = starts_with_prefix(l, avail, "SSH-");
		if (ssh && avail > BPH_SSH_BANNER_MAX)
			avail = BPH_SSH_BANNER_MAX; /* LF must come by then */
		rc = line_end(l, avail, &eol);
		if (rc == BPH_ERR_TRUNCATED && avail == BPH_SSH_BANNER_MAX &&
		    ssh)
			return BPH_ERR_TOOBIG;
		if (rc == BPH_ERR_TRUNCATED &&
		    off + avail > BPH_SSH_PREBANNER_MAX)
			return BPH_ERR_TOOBIG;
		if (rc)
			return rc;
		if (ssh && avail >= 4) {
			*line = l;
			*line_len =
			    eol > 0 && l[eol - 1] == '\r' ? eol - 1 : eol;
			*consumed = off + eol + 1;
			return 0;
		}
		off += eol + 1;
	}
	return BPH_ERR_TRUNCATED;
}

int bph_ssh_packet_parse(const uint8_t *p, size_t n, const uint8_t **payload,
			 size_t *payload_len, size_t *consumed)
{
	struct bph_cur c = bph_cur_make(p, n);
	uint32_t plen;
	uint8_t padlen;
	int rc = bph_cur_u32(&c, &plen);

	if (rc)
		return rc;
	if (plen > BPH_SSH_PACKET_MAX)
		return BPH_ERR_TOOBIG;
	if (plen < 1)
		return BPH_ERR_FORMAT;
	if (c.len < plen)
		return BPH_ERR_TRUNCATED;
	rc = bph_cur_u8(&c, &padlen);
	if (rc)
		return rc;
	if ((size_t)padlen + 1 > plen)
		return BPH_ERR_FORMAT;
	*payload_len = plen - 1 - padlen;
	*payload = c.p;
	*consumed = 4 + (size_t)plen;
	return 0;
}

int bph_ssh_packet_build(const uint8_t *payload, size_t n, struct bph_sbuf *out)
{
	static const uint8_t zeros[16];
	size_t pad;

	if (n > BPH_SSH_PACKET_MAX - 1 - 16)
		return BPH_ERR_TOOBIG;
	/* 4 + 1 + n + pad is a multiple of 8, pad at least 4 */
	pad = 8 - (5 + n) % 8;
	if (pad < 4)
		pad += 8;
	bph_sbuf_u32(out, (uint32_t)(1 + n + pad));
	bph_sbuf_u8(out, (uint8_t)pad);
	bph_sbuf_put(out, payload, n);
	bph_sbuf_put(out, zeros, pad);
	return out->err;
}

static int read_namelist(struct bph_cur *c, char **list)
{
	const uint8_t *s;
	size_t len;
	int rc = bph_cur_string(c, NAMELIST_MAX, &s, &len);

	if (rc)
		return rc;
	if (memchr(s, '\0', len))
		return BPH_ERR_FORMAT;
	*list = strndup((const char *)s, len);
	return *list ? 0 : BPH_ERR_NOMEM;
}

int bph_ssh_kexinit_parse(const uint8_t *payload, size_t n,
			  char *lists[BPH_KEX_LISTS])
{
	struct bph_cur c = bph_cur_make(payload, n);
	uint8_t type, first_follows;
	uint32_t reserved;
	int rc;

	for (int i = 0; i < BPH_KEX_LISTS; i++)
		lists[i] = NULL;
	rc = bph_cur_u8(&c, &type);
	if (rc)
		return rc;
	if (type != BPH_SSH_MSG_KEXINIT)
		return BPH_ERR_PROTO;
	rc = bph_cur_skip(&c, 16); /* cookie */
	for (int i = 0; i < BPH_KEX_LISTS && rc == 0; i++)
		rc = read_namelist(&c, &lists[i]);
	if (rc == 0)
		rc = bph_cur_u8(&c, &first_follows);
	if (rc == 0)
		rc = bph_cur_u32(&c, &reserved);
	return rc;
}

/* One algorithm name: non-empty, printable ASCII, no comma. */
static bool valid_alg(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > OUR_ALG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == ',')
			return false;
	return true;
}

int bph_ssh_kexinit_build(const char *kex, const char *hostkey_alg,
			  struct bph_sbuf *out)
{
	uint8_t cookie[16];
	const char *lists[BPH_KEX_LISTS] = {
	    kex,      hostkey_alg,     our_ciphers,	our_ciphers, our_macs,
	    our_macs, our_compression, our_compression, "",	     "",
	};

	if (!valid_alg(kex) || !valid_alg(hostkey_alg))
		return BPH_ERR_USAGE;
	if (RAND_bytes(cookie, sizeof(cookie)) != 1)
		return BPH_ERR_CRYPTO;
	bph_sbuf_u8(out, BPH_SSH_MSG_KEXINIT);
	bph_sbuf_put(out, cookie, sizeof(cookie));
	for (int i = 0; i < BPH_KEX_LISTS; i++)
		sbuf_string(out, lists[i], strlen(lists[i]));
	bph_sbuf_u8(out, 0);  /* first_kex_packet_follows */
	bph_sbuf_u32(out, 0); /* reserved */
	return out->err;
}

int bph_ssh_ecdh_init_build(const uint8_t *q_c, size_t n, struct bph_sbuf *out)
{
	if (n == 0)
		return BPH_ERR_USAGE;
	if (n > KEX_FIELD_MAX)
		return BPH_ERR_TOOBIG;
	bph_sbuf_u8(out, BPH_SSH_MSG_KEX_ECDH_INIT);
	sbuf_string(out, q_c, n);
	return out->err;
}

int bph_ssh_ecdh_reply_hostkey(const uint8_t *payload, size_t n,
			       const uint8_t **ks, size_t *ks_len)
{
	struct bph_cur c = bph_cur_make(payload, n);
	const uint8_t *s, *q;
	size_t len, qlen;
	uint8_t type;
	int rc = bph_cur_u8(&c, &type);

	if (rc)
		return rc;
	if (type != BPH_SSH_MSG_KEX_ECDH_REPLY)
		return BPH_ERR_PROTO;
	rc = bph_cur_string(&c, KS_MAX, &s, &len);
	if (rc)
		return rc;
	if (len == 0)
		return BPH_ERR_FORMAT;
	/* Q_S (or DH f) and the signature must be present and bounded. */
	rc = bph_cur_string(&c, KEX_FIELD_MAX, &q, &qlen);
	if (rc == 0)
		rc = bph_cur_string(&c, KEX_FIELD_MAX, &q, &qlen);
	if (rc)
		return rc;
	*ks = s;
	*ks_len = len;
	return 0;
}

int bph_hassh_server(char *const lists[BPH_KEX_LISTS], char **algs,
		     char md5[33])
{
	static const enum bph_kex_list idx[4] = {BPH_KEX_ALGS, BPH_KEX_ENC_STOC,
						 BPH_KEX_MAC_STOC,
						 BPH_KEX_COMP_STOC};
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	struct bph_sbuf b;
	int rc;

	*algs = NULL;
	md5[0] = '\0';
	for (int i = 0; i < 4; i++)
		if (!lists[idx[i]])
			return BPH_ERR_USAGE;
	bph_sbuf_init(&b);
	for (int i = 0; i < 4; i++) {
		if (i)
			bph_sbuf_u8(&b, ';');
		bph_sbuf_str(&b, lists[idx[i]]);
	}
	bph_sbuf_u8(&b, '\0');
	rc = b.err;
	if (rc)
		goto out;
	if (EVP_Digest(b.p, b.len - 1, dig, &dlen, EVP_md5(), NULL) != 1) {
		rc = BPH_ERR_CRYPTO;
		goto out;
	}
	bph_hex(dig, dlen, md5);
	*algs = (char *)b.p;
	b.p = NULL;
out:
	bph_sbuf_free(&b);
	return rc;
}

/* Number of significant bits in a big-endian unsigned magnitude. */
static int mpint_bits(const uint8_t *p, size_t n)
{
	size_t i = 0;
	int bits;

	while (i < n && p[i] == 0)
		i++;
	if (i == n)
		return 0;
	bits = (int)((n - i - 1) * 8);
	for (uint8_t v = p[i]; v; v >>= 1)
		bits++;
	return bits;
}

/* ssh-dss: string p, q, g, y; the size is that of p. */
static int dss_bits(struct bph_cur *c, int *bits)
{
	const uint8_t *v[4];
	size_t len[4];
	int rc = 0;

	for (int i = 0; i < 4 && rc == 0; i++)
		rc = bph_cur_string(c, KS_MAX, &v[i], &len[i]);
	if (rc)
		return rc;
	*bits = mpint_bits(v[0], len[0]);
	return *bits > 0 ? 0 : BPH_ERR_FORMAT;
}

/* ssh-rsa: string e, string n; the size is that of n. */
static int rsa_bits(struct bph_cur *c, int *bits)
{
	const uint8_t *e, *m;
	size_t elen, mlen;
	int rc = bph_cur_string(c, KS_MAX, &e, &elen);

	if (rc == 0)
		rc = bph_cur_string(c, KS_MAX, &m, &mlen);
	if (rc)
		return rc;
	if (mlen > 0 && (m[0] & 0x80))
		return BPH_ERR_FORMAT; /* negative modulus */
	*bits = mpint_bits(m, mlen);
	return *bits > 0 ? 0 : BPH_ERR_FORMAT;
}

/* ecdsa-sha2-<curve>[...]: the blob repeats the curve name, then Q. */
static int ecdsa_bits(struct bph_cur *c, const char *curve, int *bits)
{
	static const struct {
		const char *name;
		int bits;
		size_t qlen; /* uncompressed point 04 || X || Y */
	} curves[] = {
	    {"nistp256", 256, 65},
	    {"nistp384", 384, 97},
	    {"nistp521", 521, 133},
	};
	const uint8_t *id, *q;
	size_t idlen, qlen;
	int rc = bph_cur_string(c, KEYTYPE_MAX, &id, &idlen);

	if (rc == 0)
		rc = bph_cur_string(c, KS_MAX, &q, &qlen);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		size_t k = strlen(curves[i].name);
		if (strncmp(curve, curves[i].name, k) != 0 ||
		    (curve[k] != '\0' &&
		     strcmp(curve + k, "@openssh.com") != 0))
			continue;
		if (idlen != k || memcmp(id, curves[i].name, k) != 0 ||
		    qlen != curves[i].qlen)
			return BPH_ERR_FORMAT;
		*bits = curves[i].bits;
		return 0;
	}
	return BPH_ERR_FORMAT;
}

static int ed25519_bits(struct bph_cur *c, int *bits)
{
	const uint8_t *pk;
	size_t len;
	int rc = bph_cur_string(c, KS_MAX, &pk, &len);

	if (rc)
		return rc;
	if (len != 32)
		return BPH_ERR_FORMAT;
	*bits = 256;
	return 0;
}

/* Decodes the fields after the type name; 0 bits for unknown types. */
static int key_bits_fields(const char *type, struct bph_cur *c, int *bits)
{
	*bits = 0;
	if (strcmp(type, "ssh-rsa") == 0)
		return rsa_bits(c, bits);
	if (strcmp(type, "ssh-dss") == 0)
		return dss_bits(c, bits);
	if (strcmp(type, "ssh-ed25519") == 0 ||
	    strcmp(type, "sk-ssh-ed25519@openssh.com") == 0)
		return ed25519_bits(c, bits);
	if (strncmp(type, "ecdsa-sha2-", 11) == 0)
		return ecdsa_bits(c, type + 11, bits);
	if (strncmp(type, "sk-ecdsa-sha2-", 14) == 0)
		return ecdsa_bits(c, type + 14, bits);
	return 0;
}

/* Security keys append their application string ("ssh:"). */
static int sk_application(struct bph_cur *c)
{
	const uint8_t *app;
	size_t len;

	return bph_cur_string(c, KEYTYPE_MAX, &app, &len);
}

/*
 * Key size as sshkey_size() reports it; 0 for types we do not decode. A
 * decoded key must fill the blob exactly, as sshkey_from_blob() demands.
 */
static int key_bits(const char *type, struct bph_cur *c, int *bits)
{
	int rc = key_bits_fields(type, c, bits);

	if (rc == 0 && *bits > 0 && strncmp(type, "sk-", 3) == 0)
		rc = sk_application(c);
	if (rc == 0 && *bits > 0 && c->len != 0)
		rc = BPH_ERR_FORMAT;
	return rc;
}

static int fill_hashes(const uint8_t *blob, size_t n,
		       struct bph_ssh_hostkey *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char b64[64];
	int k;

	if (EVP_Digest(blob, n, d, &dlen, EVP_sha256(), NULL) != 1)
		return BPH_ERR_CRYPTO;
	k = EVP_EncodeBlock((unsigned char *)b64, d, (int)dlen);
	while (k > 0 && b64[k - 1] == '=')
		k--;
	memcpy(out->sha256, "SHA256:", 7);
	memcpy(out->sha256 + 7, b64, (size_t)k); /* k is 43 for SHA-256 */
	out->sha256[7 + k] = '\0';
	if (EVP_Digest(blob, n, d, &dlen, EVP_md5(), NULL) != 1)
		return BPH_ERR_CRYPTO;
	memcpy(out->md5, "MD5:", 4);
	for (unsigned int i = 0; i < dlen; i++) {
		bph_hex(d + i, 1, out->md5 + 4 + 3 * i);
		out->md5[4 + 3 * i + 2] = i + 1 < dlen ? ':' : '\0';
	}
	return 0;
}

int bph_sshkey_fingerprint(const uint8_t *blob, size_t n,
			   struct bph_ssh_hostkey *out)
{
	struct bph_cur c = bph_cur_make(blob, n);
	const uint8_t *t;
	size_t tlen;
	char *type = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = bph_cur_string(&c, KEYTYPE_MAX, &t, &tlen);
	if (rc)
		goto out;
	for (size_t i = 0; i < tlen; i++)
		if (t[i] <= ' ' || t[i] > '~')
			rc = BPH_ERR_FORMAT;
	if (rc || tlen == 0) {
		rc = BPH_ERR_FORMAT;
		goto out;
	}
	type = strndup((const char *)t, tlen);
	if (!type) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	rc = key_bits(type, &c, &out->bits);
	if (rc == 0)
		rc = fill_hashes(blob, n, out);
	if (rc == 0) {
		out->type = type;
		type = NULL;
	}
out:
	free(type);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}
