/*
 * ssh.c - SSH probe: identification banner, server KEXINIT (HASSHServer),
 * and every host key the server offers among ssh-ed25519,
 * ecdsa-sha2-nistp256/384/521 and RSA, one connection per key type as
 * ssh-keyscan does.
 *
 * Per connection: send our identification, read the server's, read its
 * KEXINIT, send a KEXINIT offering one kex (curve25519-sha256, else
 * ecdh-sha2-nistp256) and one host key algorithm, send ECDH_INIT with a
 * fresh ephemeral key, read ECDH_REPLY and fingerprint K_S. The exchange
 * is never completed: bphound needs the key's identity, not a session.
 */
#include "probes/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "fingerprints/err.h"
#include "fingerprints/ssh_wire.h"

#define SSH_ID	     "SSH-2.0-bphound_0.1\r\n"
#define SSH_MAX_ALGS 5
#define SSH_IN_MAX   (BPH_SSH_PREBANNER_MAX + 4 * BPH_SSH_PACKET_MAX)

enum ssh_stage { ST_BANNER, ST_KEXINIT, ST_REPLY, ST_DONE };

struct ssh_priv {
	const struct bph_probe_ctx *ctx;
	char *banner;
	char *kexinit[BPH_KEX_LISTS]; /* from connection 0 */
	bool have_kexinit;
	const char *algs[SSH_MAX_ALGS]; /* host key algorithms to ask for */
	int n_algs;
	struct bph_ssh_hostkey keys[SSH_MAX_ALGS];
	bool have_key[SSH_MAX_ALGS];
	int closed; /* connections over (their exchange done or failed) */
	char *error;
};

struct ssh_conn {
	enum ssh_stage stage;
	struct bph_sbuf in;
	size_t off; /* bytes of in already consumed */
};

/* Host key algorithms we ask for, in order; RSA is one entry, see pick. */
static const char *const want_algs[] = {"ssh-ed25519", "ecdsa-sha2-nistp256",
					"ecdsa-sha2-nistp384",
					"ecdsa-sha2-nistp521"};
static const char *const rsa_algs[] = {"rsa-sha2-512", "rsa-sha2-256",
				       "ssh-rsa"};

/* True if name is an element of the comma-separated name-list. */
static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; p && *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p = e ? e + 1 : NULL;
	}
	return false;
}

static void pick_algs(struct ssh_priv *s, const char *hostkey_list)
{
	for (size_t i = 0; i < sizeof(want_algs) / sizeof(want_algs[0]); i++)
		if (in_list(hostkey_list, want_algs[i]))
			s->algs[s->n_algs++] = want_algs[i];
	for (size_t i = 0; i < sizeof(rsa_algs) / sizeof(rsa_algs[0]); i++) {
		if (in_list(hostkey_list, rsa_algs[i])) {
			s->algs[s->n_algs++] = rsa_algs[i];
			break;
		}
	}
}

static int ssh_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct ssh_priv *s = priv;

	s->ctx = ctx;
	return 0;
}

/* One exchange after the other, as ssh-keyscan does per host: a server
 * that limits unauthenticated connections (MaxStartups) sees one. */
static int ssh_conns(const void *priv)
{
	const struct ssh_priv *s = priv;
	int want = s->closed + 1;

	return s->n_algs > 1 ? (want < s->n_algs ? want : s->n_algs) : 1;
}

static int ssh_start(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	struct ssh_conn *c = conn;

	(void)priv;
	(void)idx;
	bph_sbuf_init(&c->in);
	bph_sbuf_str(io->out, SSH_ID);
	return io->out->err ? BPH_ERR_NOMEM : BPH_PROBE_MORE;
}

static int on_banner(struct ssh_priv *s, struct ssh_conn *c, int idx)
{
	const uint8_t *line;
	size_t line_len, used;
	int rc = bph_ssh_find_banner(c->in.p + c->off, c->in.len - c->off,
				     &line, &line_len, &used);

	if (rc != 0)
		return rc;
	c->off += used;
	c->stage = ST_KEXINIT;
	if (idx == 0 && !s->banner) {
		s->banner = bph_strndup_cap((const char *)line, line_len,
					    BPH_SSH_BANNER_MAX);
		if (!s->banner)
			return BPH_ERR_NOMEM;
	}
	return 0;
}

/* Splits the next packet off the input; BPH_ERR_TRUNCATED: read more. */
static int next_packet(struct ssh_conn *c, const uint8_t **pl, size_t *n)
{
	size_t used;
	int rc = bph_ssh_packet_parse(c->in.p + c->off, c->in.len - c->off, pl,
				      n, &used);

	if (rc == 0) {
		c->off += used;
		if (*n == 0)
			return BPH_ERR_FORMAT;
	}
	return rc;
}

/* Our ephemeral public value for kex (X25519 raw or P-256 uncompressed). */
static int ephemeral_public(const char *kex, uint8_t *q, size_t *qlen)
{
	bool x25519 = strncmp(kex, "curve25519", 10) == 0;
	EVP_PKEY *pk = x25519 ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
			      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	size_t cap = *qlen;
	int ok;

	if (!pk)
		return BPH_ERR_CRYPTO;
	if (x25519)
		ok = EVP_PKEY_get_raw_public_key(pk, q, qlen);
	else
		ok = EVP_PKEY_get_octet_string_param(
		    pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, q, cap, qlen);
	EVP_PKEY_free(pk); /* the private half is wiped and never used */
	return ok == 1 ? 0 : BPH_ERR_CRYPTO;
}

static int send_kex(const char *kex, const char *alg, struct bph_sbuf *out)
{
	struct bph_sbuf pl;
	uint8_t q[133];
	size_t qlen = sizeof(q);
	int rc;

	rc = ephemeral_public(kex, q, &qlen);
	if (rc != 0)
		return rc;
	bph_sbuf_init(&pl);
	rc = bph_ssh_kexinit_build(kex, alg, &pl);
	if (rc == 0)
		rc = bph_ssh_packet_build(pl.p, pl.len, out);
	pl.len = 0;
	if (rc == 0)
		rc = bph_ssh_ecdh_init_build(q, qlen, &pl);
	if (rc == 0)
		rc = bph_ssh_packet_build(pl.p, pl.len, out);
	bph_sbuf_free(&pl);
	return rc;
}

static const char *pick_kex(const char *kex_list)
{
	if (in_list(kex_list, "curve25519-sha256"))
		return "curve25519-sha256";
	if (in_list(kex_list, "curve25519-sha256@libssh.org"))
		return "curve25519-sha256@libssh.org";
	if (in_list(kex_list, "ecdh-sha2-nistp256"))
		return "ecdh-sha2-nistp256";
	return NULL;
}

static int keep_lists(struct ssh_priv *s, char *lists[BPH_KEX_LISTS])
{
	for (int i = 0; i < BPH_KEX_LISTS; i++) {
		s->kexinit[i] = lists[i];
		lists[i] = NULL;
	}
	s->have_kexinit = true;
	pick_algs(s, s->kexinit[BPH_KEX_HOSTKEY_ALGS]);
	return 0;
}

static int on_kexinit(struct ssh_priv *s, struct ssh_conn *c, int idx,
		      const uint8_t *pl, size_t n, struct bph_probe_io *io)
{
	char *lists[BPH_KEX_LISTS] = {0};
	const char *kex;
	int rc = bph_ssh_kexinit_parse(pl, n, lists);

	if (rc == 0 && idx == 0 && !s->have_kexinit)
		rc = keep_lists(s, lists);
	if (rc == 0 && idx >= s->n_algs) {
		/* No host key type we can ask for: KEXINIT is all we get. */
		c->stage = ST_DONE;
		rc = idx == 0 ? 0 : BPH_ERR_PROTO;
		goto out;
	}
	kex = rc == 0 ? pick_kex(s->kexinit[BPH_KEX_ALGS]) : NULL;
	if (rc == 0 && !kex)
		rc = BPH_ERR_PROTO;
	if (rc == 0)
		rc = send_kex(kex, s->algs[idx], io->out);
	if (rc == 0)
		c->stage = ST_REPLY;
out:
	for (int i = 0; i < BPH_KEX_LISTS; i++)
		free(lists[i]);
	return rc;
}

static int on_reply(struct ssh_priv *s, struct ssh_conn *c, int idx,
		    const uint8_t *pl, size_t n)
{
	const uint8_t *ks;
	size_t ks_len;
	int rc = bph_ssh_ecdh_reply_hostkey(pl, n, &ks, &ks_len);

	if (rc == 0)
		rc = bph_sshkey_fingerprint(ks, ks_len, &s->keys[idx]);
	if (rc == 0) {
		s->have_key[idx] = true;
		c->stage = ST_DONE;
	}
	return rc;
}

/* Consumes whole packets; returns MORE, DONE or BPH_ERR_*. */
static int ssh_packets(struct ssh_priv *s, struct ssh_conn *c, int idx,
		       struct bph_probe_io *io)
{
	const uint8_t *pl;
	size_t n;
	int rc = 0;

	while (c->stage != ST_DONE && (rc = next_packet(c, &pl, &n)) == 0) {
		if (pl[0] == BPH_SSH_MSG_DISCONNECT)
			return BPH_ERR_PROTO;
		if (c->stage == ST_KEXINIT && pl[0] == BPH_SSH_MSG_KEXINIT)
			rc = on_kexinit(s, c, idx, pl, n, io);
		else if (c->stage == ST_REPLY &&
			 pl[0] == BPH_SSH_MSG_KEX_ECDH_REPLY)
			rc = on_reply(s, c, idx, pl, n);
		if (rc != 0)
			return rc;
	}
	if (c->stage == ST_DONE)
		return BPH_PROBE_DONE;
	return rc == BPH_ERR_TRUNCATED ? BPH_PROBE_MORE : rc;
}

static int ssh_read(void *priv, void *conn, int idx, const uint8_t *p, size_t n,
		    struct bph_probe_io *io)
{
	struct ssh_priv *s = priv;
	struct ssh_conn *c = conn;
	int rc;

	if (idx < 0 || idx >= SSH_MAX_ALGS)
		return BPH_ERR_USAGE;
	if (c->in.len + n > SSH_IN_MAX)
		return BPH_ERR_TOOBIG;
	bph_sbuf_put(&c->in, p, n);
	if (c->in.err)
		return BPH_ERR_NOMEM;
	if (c->stage == ST_BANNER) {
		rc = on_banner(s, c, idx);
		if (rc != 0)
			return rc == BPH_ERR_TRUNCATED ? BPH_PROBE_MORE : rc;
	}
	return ssh_packets(s, c, idx, io);
}

/* Before the identification line, a hang-up is the server turning us
 * away (sshd past MaxStartups); during the exchange, a protocol failure. */
static bool ssh_before_banner(const void *priv, const void *conn, int idx)
{
	const struct ssh_conn *c = conn;

	(void)priv;
	(void)idx;
	return c->stage == ST_BANNER;
}

static void ssh_close(void *priv, void *conn, int idx, int status)
{
	struct ssh_priv *s = priv;
	struct ssh_conn *c = conn;
	char what[64];

	bph_sbuf_free(&c->in);
	if (status == BPH_ERR_AGAIN)
		return;
	s->closed++;
	if (status == 0 || s->error)
		return;
	snprintf(what, sizeof(what), "%s",
		 idx >= 0 && idx < s->n_algs ? s->algs[idx] : "exchange");
	bph_probe_set_error(&s->error, status, what);
}

static int move_keys(struct ssh_priv *s, struct bph_ssh_info *info)
{
	info->hostkeys = calloc(SSH_MAX_ALGS, sizeof(*info->hostkeys));
	if (!info->hostkeys)
		return BPH_ERR_NOMEM;
	for (int i = 0; i < SSH_MAX_ALGS; i++) {
		if (!s->have_key[i])
			continue;
		info->hostkeys[info->n_hostkeys++] = s->keys[i];
		memset(&s->keys[i], 0, sizeof(s->keys[i]));
		s->have_key[i] = false;
	}
	return 0;
}

static int ssh_finish(void *priv, struct bph_service *svc)
{
	struct ssh_priv *s = priv;
	struct bph_ssh_info *info = bph_ssh_info_new();
	int rc = 0;

	if (!info)
		return BPH_ERR_NOMEM;
	info->banner = s->banner;
	info->error = s->error;
	s->banner = s->error = NULL;
	for (int i = 0; i < BPH_KEX_LISTS; i++) {
		info->kexinit[i] = s->kexinit[i];
		s->kexinit[i] = NULL;
	}
	if (s->have_kexinit)
		rc = bph_hassh_server(info->kexinit,
				      &info->hassh_server_algorithms,
				      info->hassh_server);
	if (rc == 0)
		rc = move_keys(s, info);
	if (rc != 0)
		bph_probe_set_error(&info->error, rc, "finish");
	bph_ssh_info_free(svc->ssh);
	svc->ssh = info;
	return 0;
}

static void ssh_cleanup(void *priv)
{
	struct ssh_priv *s = priv;

	free(s->banner);
	free(s->error);
	for (int i = 0; i < BPH_KEX_LISTS; i++)
		free(s->kexinit[i]);
	for (int i = 0; i < SSH_MAX_ALGS; i++)
		free(s->keys[i].type);
}

const struct bph_probe bph_probe_ssh = {
    .name = "ssh",
    .priv_size = sizeof(struct ssh_priv),
    .conn_size = sizeof(struct ssh_conn),
    .init = ssh_init,
    .conns = ssh_conns,
    .start = ssh_start,
    .on_read = ssh_read,
    .before_banner = ssh_before_banner,
    .on_close = ssh_close,
    .finish = ssh_finish,
    .cleanup = ssh_cleanup,
};
