/*
 * banner.c - generic banner grab.
 *
 * Reads what the server sends first within ctx->wait_ms; on silence sends
 * "\r\n\r\n" once and waits again. Reading stops after BANNER_MAX bytes,
 * at EOF, or when the server has been quiet for BANNER_QUIET_MS after its
 * last bytes. The record holds a printable rendering (bph_printable) and
 * the sha256 of the raw bytes.
 */
#include "probes/registry.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/err.h"
#include "fingerprints/http_parse.h"

#define BANNER_MAX	4096
#define BANNER_TEXT_MAX 16384
#define BANNER_QUIET_MS 300

struct banner_priv {
	const struct bph_probe_ctx *ctx;
	uint8_t buf[BANNER_MAX];
	size_t len;
	bool poked; /* "\r\n\r\n" sent */
	int status;
};

static int banner_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct banner_priv *b = priv;

	b->ctx = ctx;
	return 0;
}

static int banner_conns(const void *priv)
{
	(void)priv;
	return 1;
}

static int wait_ms(const struct banner_priv *b)
{
	return b->ctx->wait_ms > 0 ? b->ctx->wait_ms : 1;
}

static int banner_start(void *priv, void *conn, int idx,
			struct bph_probe_io *io)
{
	(void)conn;
	(void)idx;
	io->idle_ms = wait_ms(priv);
	return BPH_PROBE_MORE;
}

static int banner_read(void *priv, void *conn, int idx, const uint8_t *p,
		       size_t n, struct bph_probe_io *io)
{
	struct banner_priv *b = priv;
	size_t take = n < BANNER_MAX - b->len ? n : BANNER_MAX - b->len;

	(void)conn;
	(void)idx;
	memcpy(b->buf + b->len, p, take);
	b->len += take;
	if (b->len >= BANNER_MAX)
		return BPH_PROBE_DONE;
	io->idle_ms = BANNER_QUIET_MS;
	return BPH_PROBE_MORE;
}

static int banner_idle(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	struct banner_priv *b = priv;

	(void)conn;
	(void)idx;
	if (b->len > 0 || b->poked)
		return BPH_PROBE_DONE;
	b->poked = true;
	bph_sbuf_str(io->out, "\r\n\r\n");
	io->idle_ms = wait_ms(b);
	return io->out->err ? BPH_ERR_NOMEM : BPH_PROBE_MORE;
}

static int banner_eof(void *priv, void *conn, int idx)
{
	(void)priv;
	(void)conn;
	(void)idx;
	return BPH_PROBE_DONE;
}

static void banner_close(void *priv, void *conn, int idx, int status)
{
	struct banner_priv *b = priv;

	(void)conn;
	(void)idx;
	if (status != BPH_ERR_AGAIN)
		b->status = status;
}

static int banner_fill(struct banner_priv *b, struct bph_banner_info *info)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	info->len = b->len;
	if (!EVP_Digest(b->buf, b->len, md, &mdlen, EVP_sha256(), NULL))
		return BPH_ERR_CRYPTO;
	bph_hex(md, mdlen, info->sha256);
	free(info->text);
	info->text = bph_printable(b->buf, b->len, BANNER_TEXT_MAX);
	return info->text ? 0 : BPH_ERR_NOMEM;
}

static int banner_finish(void *priv, struct bph_service *svc)
{
	struct banner_priv *b = priv;
	struct bph_banner_info *info = svc->banner;
	int rc = 0;

	if (!info)
		info = svc->banner = bph_banner_info_new();
	if (!info)
		return BPH_ERR_NOMEM;
	if (b->len > 0)
		rc = banner_fill(b, info);
	else
		bph_probe_set_error(&info->error,
				    b->status ? b->status : BPH_ERR_TIMEOUT,
				    "no banner");
	if (rc != 0)
		bph_probe_set_error(&info->error, rc, "banner");
	return 0;
}

const struct bph_probe bph_probe_banner = {
    .name = "banner",
    .priv_size = sizeof(struct banner_priv),
    .conn_size = 0,
    .init = banner_init,
    .conns = banner_conns,
    .start = banner_start,
    .on_read = banner_read,
    .on_idle = banner_idle,
    .on_eof = banner_eof,
    .on_close = banner_close,
    .finish = banner_finish,
};
