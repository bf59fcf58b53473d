/*
 * detect.c - protocol detection by content: does the server talk first?
 *
 * One connection waits ctx->wait_ms for server-first bytes. "SSH-" means
 * SSH, other bytes mean a generic banner service, silence means a
 * client-first protocol (the engine then tries TLS, then HTTP). finish()
 * stores the verdict in svc->proto ("ssh", "banner" or NULL for silence);
 * a failed connection is recorded in svc->banner->error.
 *
 * Other bytes are only a banner if the server keeps the connection open
 * for SETTLE_MS after them: a server at its connection limit says so and
 * hangs up (sshd's "Exceeded MaxStartups", FTP and SMTP "421"), which is
 * "closed before banner" for the engine to retry. An "SSH-" line after
 * other lines (RFC 4253 4.2) still means SSH.
 */
#include "probes/registry.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

#define DETECT_MAX 256 /* "SSH-" and the lines a server may send first */
#define SETTLE_MS  250 /* other bytes, then no hang-up for this long */

struct detect_priv {
	const struct bph_probe_ctx *ctx;
	uint8_t buf[DETECT_MAX];
	size_t len;
	int status; /* on_close status */
};

/* "SSH-" at the start or at the start of a later line. */
static bool has_ssh_line(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++)
		if ((i == 0 || p[i - 1] == '\n') &&
		    memcmp(p + i, "SSH-", 4) == 0)
			return true;
	return false;
}

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
	if (has_ssh_line(d->buf, d->len) || d->len == DETECT_MAX)
		return BPH_PROBE_DONE;
	/* A prefix of "SSH-" needs more bytes before we can decide. */
	if (d->len < 4 && memcmp(d->buf, "SSH-", d->len) == 0) {
		io->idle_ms = d->ctx->wait_ms > 0 ? d->ctx->wait_ms : 1;
		return BPH_PROBE_MORE;
	}
	io->idle_ms = SETTLE_MS; /* a banner, unless the server hangs up */
	return BPH_PROBE_MORE;
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

/* Bytes that a hang-up follows are a server turning us away, unless they
 * hold an "SSH-" line. */
static bool detect_before_banner(const void *priv, const void *conn, int idx)
{
	const struct detect_priv *d = priv;

	(void)conn;
	(void)idx;
	return !has_ssh_line(d->buf, d->len);
}

static void detect_close(void *priv, void *conn, int idx, int status)
{
	struct detect_priv *d = priv;

	(void)conn;
	(void)idx;
	if (status == BPH_ERR_AGAIN)
		d->len = 0; /* that attempt's bytes were a refusal */
	else
		d->status = status;
}

static int detect_finish(void *priv, struct bph_service *svc)
{
	struct detect_priv *d = priv;
	const char *proto = NULL;

	/* Nothing, or text the server hung up after (a refusal to the end,
	 * such as sshd's "Exceeded MaxStartups"): no protocol to name. */
	if (d->status != 0 && (d->len == 0 || d->status == BPH_ERR_CLOSED ||
			       d->status == BPH_ERR_RESET)) {
		if (!svc->banner)
			svc->banner = bph_banner_info_new();
		if (!svc->banner)
			return BPH_ERR_NOMEM;
		bph_probe_set_error(&svc->banner->error, d->status, "connect");
		return 0;
	}
	if (has_ssh_line(d->buf, d->len))
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
    .before_banner = detect_before_banner,
    .on_close = detect_close,
    .finish = detect_finish,
};
