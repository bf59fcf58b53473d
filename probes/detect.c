/*
 * detect.c - protocol detection by content: does the server talk first?
 *
 * One connection waits ctx->wait_ms for server-first bytes. "SSH-" means
 * SSH, other bytes mean a generic banner service, silence means a
 * client-first protocol (the engine then tries TLS, then HTTP). finish()
 * stores the verdict in svc->proto ("ssh", "banner" or NULL for silence);
 * a failed connection is recorded in svc->banner->error.
 */
#include "probes/registry.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define DETECT_MAX 64 /* enough to tell "SSH-" from anything else */

struct detect_priv {
	const struct bph_probe_ctx *ctx;
	uint8_t buf[DETECT_MAX];
	size_t len;
	int status; /* on_close status */
};

static int detect_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct detect_priv *d = priv;

	d->ctx = ctx;
	return 0;
}

static int detect_conns(const void *priv)
{
	(void)priv;
	return 1;
}

static int detect_start(void *priv, void *conn, int idx,
			struct bph_probe_io *io)
{
	struct detect_priv *d = priv;

	(void)conn;
	(void)idx;
	io->idle_ms = d->ctx->wait_ms > 0 ? d->ctx->wait_ms : 1;
	return BPH_PROBE_MORE;
}

static int detect_read(void *priv, void *conn, int idx, const uint8_t *p,
		       size_t n, struct bph_probe_io *io)
{
	struct detect_priv *d = priv;
	size_t take = n < DETECT_MAX - d->len ? n : DETECT_MAX - d->len;

	(void)conn;
	(void)idx;
	memcpy(d->buf + d->len, p, take);
	d->len += take;
	/* A prefix of "SSH-" needs more bytes before we can decide. */
	if (d->len < 4 && memcmp(d->buf, "SSH-", d->len) == 0) {
		io->idle_ms = d->ctx->wait_ms > 0 ? d->ctx->wait_ms : 1;
		return BPH_PROBE_MORE;
	}
	return BPH_PROBE_DONE;
}

static int detect_idle(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	(void)priv;
	(void)conn;
	(void)idx;
	(void)io;
	return BPH_PROBE_DONE;
}

static int detect_eof(void *priv, void *conn, int idx)
{
	(void)priv;
	(void)conn;
	(void)idx;
	return BPH_PROBE_DONE;
}

static void detect_close(void *priv, void *conn, int idx, int status)
{
	struct detect_priv *d = priv;

	(void)conn;
	(void)idx;
	d->status = status;
}

static int detect_finish(void *priv, struct bph_service *svc)
{
	struct detect_priv *d = priv;
	const char *proto = NULL;

	if (d->status != 0 && d->len == 0) {
		if (!svc->banner)
			svc->banner = bph_banner_info_new();
		if (!svc->banner)
			return BPH_ERR_NOMEM;
		bph_probe_set_error(&svc->banner->error, d->status, "connect");
		return 0;
	}
	if (d->len >= 4 && memcmp(d->buf, "SSH-", 4) == 0)
		proto = "ssh";
	else if (d->len > 0)
		proto = "banner";
	if (!proto)
		return 0;
	free(svc->proto);
	svc->proto = strdup(proto);
	return svc->proto ? 0 : BPH_ERR_NOMEM;
}

const struct bph_probe bph_probe_detect = {
    .name = "detect",
    .priv_size = sizeof(struct detect_priv),
    .conn_size = 0,
    .init = detect_init,
    .conns = detect_conns,
    .start = detect_start,
    .on_read = detect_read,
    .on_idle = detect_idle,
    .on_eof = detect_eof,
    .on_close = detect_close,
    .finish = detect_finish,
};
