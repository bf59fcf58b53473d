/*
 * http.c - HTTP and HTTPS probe: GET / and the favicon.
 *
 * Connection 0 sends "GET / HTTP/1.1" (Host: the IP, Connection: close) and
 * fills status, headers, title and body hashes (bph_http_info_fill).
 * When that worked, connection 1 fetches the favicon: the first
 * <link rel=icon> href when it is a relative reference on the same host,
 * else /favicon.ico; the favicon is recorded only for a 200 with a
 * non-empty body. Redirects are recorded, never followed. With ctx->tls
 * both requests go inside TLS (probes/tls_session.h).
 *
 * finish() hints svc->proto "ssh" when the reply began with "SSH-" and
 * "http" when it began with "HTTP/" but never parsed (the error says why).
 * A body cut at BPH_HTTP_MAX_BODY or short of its declared length keeps
 * its fingerprints (of the bytes received) and records an error too.
 */
#include "probes/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "fingerprints/err.h"
#include "fingerprints/favicon.h"
#include "fingerprints/http_parse.h"
#include "probes/tls_session.h"

#define HTTP_UA	      "bphound/0.1"
#define HTTP_RAW_MAX  (2 * BPH_HTTP_MAX_BODY)
#define HTTP_PATH_MAX 1024

static const uint8_t http_alpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

struct http_priv {
	const struct bph_probe_ctx *ctx;
	struct bph_http_info *info; /* moved into svc->http by finish */
	char *icon_path;	    /* request target of connection 1 */
	bool got_main;		    /* connection 0 parsed a response */
	int status;		    /* connection 0's close status */
	bool ssh_reply;		    /* connection 0 got "SSH-": a late banner */
	bool http_reply;	    /* connection 0's reply began "HTTP/" */
};

struct http_conn {
	struct bph_tls_session *sess;
	bool handshaken;
	struct bph_sbuf raw; /* response bytes (plaintext) */
};

static int http_init(void *priv, const struct bph_probe_ctx *ctx)
{
	struct http_priv *h = priv;

	h->ctx = ctx;
	h->info = bph_http_info_new();
	if (!h->info)
		return BPH_ERR_NOMEM;
	h->info->tls = ctx->tls;
	return 0;
}

static int http_conns(const void *priv)
{
	const struct http_priv *h = priv;

	return h->got_main ? 2 : 1;
}

/* The favicon's request target from an href, or NULL for /favicon.ico. */
static char *icon_target(const char *href)
{
	size_t len;
	char *out;

	if (!href)
		return NULL;
	while (*href == ' ' || *href == '\t' || *href == '\n' || *href == '\r')
		href++;
	len = strcspn(href, "#?");
	if (len == 0 || len > HTTP_PATH_MAX || href[0] == '#')
		return NULL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)href[i] <= 0x20 ||
		    (unsigned char)href[i] >= 0x7f || href[i] == ':')
			return NULL; /* absolute URL, data: or unsafe */
	if (href[0] == '/' && href[1] == '/')
		return NULL; /* network-path reference: another host */
	out = malloc(len + 2);
	if (!out)
		return NULL;
	snprintf(out, len + 2, "%s%.*s", href[0] == '/' ? "" : "/", (int)len,
		 href);
	return out;
}

static int build_request(const struct http_priv *h, int idx,
			 struct bph_sbuf *req)
{
	const char *path = "/";

	if (idx == 1)
		path = h->icon_path ? h->icon_path : "/favicon.ico";
	bph_sbuf_str(req, "GET ");
	bph_sbuf_str(req, path);
	bph_sbuf_str(req, " HTTP/1.1\r\nHost: ");
	bph_sbuf_str(req, h->ctx->ip);
	bph_sbuf_str(req, "\r\nUser-Agent: ");
	bph_sbuf_str(req, h->ctx->user_agent ? h->ctx->user_agent : HTTP_UA);
	bph_sbuf_str(req, "\r\nAccept: */*\r\nConnection: close\r\n\r\n");
	return req->err ? BPH_ERR_NOMEM : 0;
}

static int send_request(struct http_priv *h, struct http_conn *c, int idx,
			struct bph_probe_io *io)
{
	struct bph_sbuf req;
	int rc;

	if (!c->sess)
		return build_request(h, idx, io->out);
	bph_sbuf_init(&req);
	rc = build_request(h, idx, &req);
	if (rc == 0)
		rc = bph_tls_session_write(c->sess, req.p, req.len, io->out);
	bph_sbuf_free(&req);
	return rc;
}

static int http_start(void *priv, void *conn, int idx, struct bph_probe_io *io)
{
	struct http_priv *h = priv;
	struct http_conn *c = conn;
	int rc;

	if (!h->ctx->tls) {
		rc = send_request(h, c, idx, io);
		return rc < 0 ? rc : BPH_PROBE_MORE;
	}
	c->sess =
	    bph_tls_session_new(h->ctx->sni, http_alpn, sizeof(http_alpn));
	if (!c->sess)
		return BPH_ERR_CRYPTO;
	rc = bph_tls_session_handshake(c->sess, NULL, 0, io->out);
	return rc < 0 ? rc : BPH_PROBE_MORE;
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	out[0] = '\0';
	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) && mdlen == 32)
		bph_hex(md, mdlen, out);
}

static int favicon_url(struct http_priv *h, char **out)
{
	char url[HTTP_PATH_MAX + 64];

	snprintf(url, sizeof(url), "%s://%s:%u%s",
		 h->ctx->tls ? "https" : "http", h->ctx->ip,
		 (unsigned)h->ctx->port,
		 h->icon_path ? h->icon_path : "/favicon.ico");
	*out = strdup(url);
	return *out ? 0 : BPH_ERR_NOMEM;
}

static int on_response(struct http_priv *h, int idx,
		       const struct bph_http_resp *r)
{
	struct bph_http_info *info = h->info;
	char *href;
	int rc;

	if (idx == 0) {
		rc = bph_http_info_fill(r, info);
		if (rc != 0)
			return rc;
		if (r->body_truncated)
			bph_probe_set_error(&info->error, BPH_ERR_TOOBIG,
					    "GET /: body cut at the cap or "
					    "short of its length");
		h->got_main = true;
		href = bph_html_icon_href(r->body, r->body_len);
		h->icon_path = icon_target(href);
		free(href);
		return 0;
	}
	if (r->status != 200 || r->body_len == 0)
		return 0;
	info->has_favicon = true;
	info->favicon_mmh3 = bph_favicon_hash(r->body, r->body_len);
	sha256_hex(r->body, r->body_len, info->favicon_sha256);
	free(info->favicon_url);
	return favicon_url(h, &info->favicon_url);
}

/* Tries to parse what arrived so far; eof says the peer is done. */
static int try_parse(struct http_priv *h, struct http_conn *c, int idx,
		     bool eof)
{
	struct bph_http_resp resp;
	int rc;

	memset(&resp, 0, sizeof(resp));
	rc = bph_http_parse_response(c->raw.p, c->raw.len, eof, &resp);
	if (rc == 0)
		rc = on_response(h, idx, &resp);
	bph_http_resp_clear(&resp);
	if (rc == BPH_ERR_TRUNCATED)
		return eof ? BPH_ERR_TRUNCATED : BPH_PROBE_MORE;
	return rc < 0 ? rc : BPH_PROBE_DONE;
}

/* TLS: handshake first, then the request; returns 1 when data may follow. */
static int tls_in(struct http_priv *h, struct http_conn *c, int idx,
		  const uint8_t *p, size_t n, struct bph_probe_io *io)
{
	int rc;

	if (!c->handshaken) {
		rc = bph_tls_session_handshake(c->sess, p, n, io->out);
		if (rc <= 0)
			return rc;
		c->handshaken = true;
		rc = send_request(h, c, idx, io);
		if (rc != 0)
			return rc;
		p = NULL;
		n = 0;
	}
	rc = bph_tls_session_read(c->sess, p, n, &c->raw, io->out);
	return rc < 0 ? rc : 1 + rc; /* 2: close_notify */
}

static int http_read(void *priv, void *conn, int idx, const uint8_t *p,
		     size_t n, struct bph_probe_io *io)
{
	struct http_priv *h = priv;
	struct http_conn *c = conn;
	int rc = 1;

	if (c->sess)
		rc = tls_in(h, c, idx, p, n, io);
	else
		bph_sbuf_put(&c->raw, p, n);
	if (rc <= 0)
		return rc < 0 ? rc : BPH_PROBE_MORE;
	if (c->raw.err)
		return BPH_ERR_NOMEM;
	if (c->raw.len > HTTP_RAW_MAX)
		return BPH_ERR_TOOBIG;
	if (idx == 0 && !c->sess &&
	    memcmp(c->raw.p, "SSH-", c->raw.len < 4 ? c->raw.len : 4) == 0) {
		if (c->raw.len < 4)
			return BPH_PROBE_MORE;
		h->ssh_reply = true; /* a late server-first SSH banner */
		return BPH_ERR_PROTO;
	}
	if (idx == 0 && c->raw.len >= 5 && memcmp(c->raw.p, "HTTP/", 5) == 0)
		h->http_reply = true;
	return try_parse(h, c, idx, rc == 2);
}

static int http_eof(void *priv, void *conn, int idx)
{
	struct http_conn *c = conn;

	if (c->sess && !c->handshaken)
		return BPH_ERR_PROTO;
	return try_parse(priv, c, idx, true);
}

static void http_close(void *priv, void *conn, int idx, int status)
{
	struct http_priv *h = priv;
	struct http_conn *c = conn;

	if (idx == 0 && status != BPH_ERR_AGAIN)
		h->status = status;
	bph_tls_session_free(c->sess);
	c->sess = NULL;
	bph_sbuf_free(&c->raw);
}

static int http_finish(void *priv, struct bph_service *svc)
{
	struct http_priv *h = priv;

	if (!h->info)
		return BPH_ERR_NOMEM;
	if (h->status != 0)
		bph_probe_set_error(&h->info->error, h->status, "GET /");
	else if (!h->got_main)
		bph_probe_set_error(&h->info->error, BPH_ERR_PROTO, "GET /");
	bph_http_info_free(svc->http);
	svc->http = h->info;
	h->info = NULL;
	if (h->ssh_reply && !h->got_main) {
		/* A server-first SSH banner that came after detect's wait. */
		free(svc->proto);
		svc->proto = strdup("ssh");
	} else if (h->http_reply && !h->got_main) {
		/* An HTTP reply that broke (too big, cut, lying framing). */
		free(svc->proto);
		svc->proto = strdup("http");
	}
	return 0;
}

static void http_cleanup(void *priv)
{
	struct http_priv *h = priv;

	bph_http_info_free(h->info);
	free(h->icon_path);
	h->info = NULL;
	h->icon_path = NULL;
}

const struct bph_probe bph_probe_http = {
    .name = "http",
    .priv_size = sizeof(struct http_priv),
    .conn_size = sizeof(struct http_conn),
    .init = http_init,
    .conns = http_conns,
    .start = http_start,
    .on_read = http_read,
    .on_eof = http_eof,
    .on_close = http_close,
    .finish = http_finish,
    .cleanup = http_cleanup,
};
