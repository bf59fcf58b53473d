/*
 * jarm.c - JARM transport: ten connections, one ClientHello each.
 *
 * Semantics follow salesforce's jarm.py with one documented difference in
 * how a reply is read. jarm.py makes a single recv(1484); TCP may split the
 * reply, so this probe keeps reading until the first TLS record is complete
 * (5-byte header plus its length), the peer closes, or 1484 bytes arrived,
 * and hands every byte received so far (at most 1484) to
 * bph_jarm_parse_reply. Failure semantics as jarm.py: a timeout on any of
 * the ten connections makes the whole fingerprint 62 zeros; a refused or
 * reset connection (or any other error) gives "|||" for that probe only.
 * The ten connections may run concurrently.
 */
#include "probes/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/jarm.h"

struct jarm_priv {
	const struct bph_probe_ctx *ctx;
	char result[BPH_JARM_PROBES][BPH_JARM_RESULT_MAX];
	int done[BPH_JARM_PROBES];
	int timed_out;
};

struct jarm_conn {
	uint8_t buf[BPH_JARM_RECV_MAX];
	size_t len;
};

static int jarm_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct jarm_priv *j = priv;

	j->ctx = ctx;
	for (int i = 0; i < BPH_JARM_PROBES; i++)
		snprintf(j->result[i], BPH_JARM_RESULT_MAX, "|||");
	return 0;
}

static int jarm_conns(const void *priv)
{
	(void)priv;
	return BPH_JARM_PROBES;
}

static int jarm_start(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	struct jarm_priv *j = priv;

	(void)conn;
	if (idx < 0 || idx >= BPH_JARM_PROBES)
		return BPH_ERR_USAGE;
	int rc = bph_jarm_build_hello(idx, j->ctx->sni, NULL, io->out);
	return rc < 0 ? rc : BPH_PROBE_MORE;
}

/* True once the first record is complete or the read cap is reached. */
static int reply_complete(const struct jarm_conn *c)
{
	size_t rec;

	if (c->len >= BPH_JARM_RECV_MAX)
		return 1;
	if (c->len < 5)
		return 0;
	rec = 5 + ((size_t)c->buf[3] << 8 | c->buf[4]);
	return c->len >= rec;
}

static int jarm_read(void *priv, void *conn, int idx, const uint8_t *p,
		     size_t n, struct bph_probe_io *io)
{
	struct jarm_conn *c = conn;
	size_t room = BPH_JARM_RECV_MAX - c->len;

	(void)priv;
	(void)idx;
	(void)io;
	if (n > room)
		n = room;
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return reply_complete(c) ? BPH_PROBE_DONE : BPH_PROBE_MORE;
}

static int jarm_eof(void *priv, void *conn, int idx)
{
	(void)priv;
	(void)conn;
	(void)idx;
	return BPH_PROBE_DONE; /* parse whatever arrived, as recv() would */
}

static void jarm_close(void *priv, void *conn, int idx, int status)
{
	struct jarm_priv *j = priv;
	struct jarm_conn *c = conn;

	if (idx < 0 || idx >= BPH_JARM_PROBES || status == BPH_ERR_AGAIN)
		return;
	j->done[idx] = 1;
	if (status == BPH_ERR_TIMEOUT)
		j->timed_out = 1;
	if (status == 0)
		bph_jarm_parse_reply(c->buf, c->len, j->result[idx]);
	else
		snprintf(j->result[idx], BPH_JARM_RESULT_MAX, "|||");
}

static int jarm_raw(const struct jarm_priv *j, struct bph_sbuf *raw)
{
	for (int i = 0; i < BPH_JARM_PROBES; i++) {
		if (i > 0)
			bph_sbuf_put(raw, ",", 1);
		if (j->timed_out)
			bph_sbuf_str(raw, "|||");
		else
			bph_sbuf_str(raw, j->result[i]);
	}
	bph_sbuf_u8(raw, 0);
	return raw->err ? BPH_ERR_NOMEM : 0;
}

static int jarm_finish(void *priv, struct bph_service *svc)
{
	struct jarm_priv *j = priv;
	struct bph_sbuf raw;
	int rc;

	if (!svc->tls)
		svc->tls = bph_tls_info_new();
	if (!svc->tls)
		return BPH_ERR_NOMEM;
	bph_sbuf_init(&raw);
	rc = jarm_raw(j, &raw);
	if (rc == 0) {
		/* Where jarm.py's jarm_hash would raise, keep only the raw. */
		if (bph_jarm_hash((const char *)raw.p, svc->tls->jarm) != 0)
			svc->tls->jarm[0] = '\0';
		free(svc->tls->jarm_raw);
		svc->tls->jarm_raw = (char *)raw.p;
		raw.p = NULL;
	}
	bph_sbuf_free(&raw);
	return rc;
}

const struct bph_probe bph_probe_jarm = {
    .name = "jarm",
    .priv_size = sizeof(struct jarm_priv),
    .conn_size = sizeof(struct jarm_conn),
    .init = jarm_init,
    .conns = jarm_conns,
    .start = jarm_start,
    .on_read = jarm_read,
    .on_eof = jarm_eof,
    .on_close = jarm_close,
    .finish = jarm_finish,
};
