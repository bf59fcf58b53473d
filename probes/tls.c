/*
 * tls.c - TLS handshake probe: version, cipher, ALPN, leaf certificate,
 * chain length, JA3S and ServerHello extensions.
 *
 * finish() hints svc->proto: "ssh" when the reply began with "SSH-" (a late
 * server-first banner), "tls" when the handshake failed although the reply
 * began with a TLS record header (a broken or hostile TLS server).
 *
 * One connection; OpenSSL runs over memory BIOs (probes/tls_session.h), so
 * the probe only turns received bytes into bytes to send. The ClientHello
 * offers ALPN h2 and http/1.1 so the server's ALPN choice is visible.
 */
#include "probes/registry.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "probes/tls_session.h"

static const uint8_t tls_alpn[] = {2,	'h', '2', 8,   'h', 't',
				   't', 'p', '/', '1', '.', '1'};

struct tls_priv {
	const struct bph_probe_ctx *ctx;
	struct bph_tls_info *info; /* moved into svc->tls by finish */
	int status;
	uint8_t first[4]; /* the server's first bytes, for a late SSH banner */
	size_t n_first;
};

struct tls_conn {
	struct bph_tls_session *sess;
};

static int tls_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct tls_priv *t = priv;

	t->ctx = ctx;
	t->info = bph_tls_info_new();
	return t->info ? 0 : BPH_ERR_NOMEM;
}

static int tls_conns(const void *priv)
{
	(void)priv;
	return 1;
}

static int tls_step(struct tls_priv *t, struct tls_conn *c, const uint8_t *p,
		    size_t n, struct bph_probe_io *io)
{
	int rc = bph_tls_session_handshake(c->sess, p, n, io->out);

	if (rc == 0)
		return BPH_PROBE_MORE;
	if (rc < 0) {
		if (rc == BPH_ERR_CRYPTO && t->info && !t->info->error)
			t->info->error = strdup(bph_tls_session_error(c->sess));
		return rc;
	}
	rc = t->info ? bph_tls_session_fill(c->sess, t->info) : BPH_ERR_NOMEM;
	if (rc < 0)
		bph_probe_set_error(&t->info->error, rc, "certificate");
	return BPH_PROBE_DONE;
}

static int tls_start(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	struct tls_priv *t = priv;
	struct tls_conn *c = conn;

	(void)idx;
	c->sess = bph_tls_session_new(t->ctx->sni, tls_alpn, sizeof(tls_alpn));
	if (!c->sess)
		return BPH_ERR_CRYPTO;
	return tls_step(t, c, NULL, 0, io);
}

static int tls_read(void *priv, void *conn, int idx, const uint8_t *p, size_t n,
		    struct bph_probe_io *io)
{
	struct tls_priv *t = priv;

	(void)idx;
	for (size_t i = 0; i < n && t->n_first < sizeof(t->first); i++)
		t->first[t->n_first++] = p[i];
	return tls_step(priv, conn, p, n, io);
}

static void tls_close(void *priv, void *conn, int idx, int status)
{
	struct tls_priv *t = priv;
	struct tls_conn *c = conn;

	(void)idx;
	if (status != BPH_ERR_AGAIN)
		t->status = status;
	bph_tls_session_free(c->sess);
	c->sess = NULL;
}

static int tls_finish(void *priv, struct bph_service *svc)
{
	struct tls_priv *t = priv;

	if (!t->info)
		return BPH_ERR_NOMEM;
	if (t->status != 0)
		bph_probe_set_error(&t->info->error, t->status, "handshake");
	if (!t->info->version && t->n_first == 4 &&
	    memcmp(t->first, "SSH-", 4) == 0) {
		/* A server-first SSH banner that came after detect's wait. */
		free(svc->proto);
		svc->proto = strdup("ssh");
	} else if (!t->info->version && t->n_first >= 2 &&
		   (t->first[0] == 0x15 || t->first[0] == 0x16) &&
		   t->first[1] == 0x03) {
		/* TLS records (alert or handshake) but no handshake: the
		 * server speaks TLS and broke it; say so, the error stays. */
		free(svc->proto);
		svc->proto = strdup("tls");
	}
	bph_tls_info_free(svc->tls);
	svc->tls = t->info;
	t->info = NULL;
	return 0;
}

static void tls_cleanup(void *priv)
{
	struct tls_priv *t = priv;

	bph_tls_info_free(t->info);
	t->info = NULL;
}

const struct bph_probe bph_probe_tls = {
    .name = "tls",
    .priv_size = sizeof(struct tls_priv),
    .conn_size = sizeof(struct tls_conn),
    .init = tls_init,
    .conns = tls_conns,
    .start = tls_start,
    .on_read = tls_read,
    .on_close = tls_close,
    .finish = tls_finish,
    .cleanup = tls_cleanup,
};
