/*
 * record.c - the record model's constructors and destructors, and its
 * small helpers. The model is in record.h; its fields are
 * documented for users in docs/output.md.
 */
#include "fingerprints/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bph_tls_info *bph_tls_info_new(void)
{
	return calloc(1, sizeof(struct bph_tls_info));
}

struct bph_ssh_info *bph_ssh_info_new(void)
{
	return calloc(1, sizeof(struct bph_ssh_info));
}

struct bph_http_info *bph_http_info_new(void)
{
	return calloc(1, sizeof(struct bph_http_info));
}

struct bph_banner_info *bph_banner_info_new(void)
{
	return calloc(1, sizeof(struct bph_banner_info));
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bph_tls_info_free(struct bph_tls_info *t)
{
	if (!t)
		return;
	free(t->error);
	free(t->version);
	free(t->cipher);
	free(t->alpn);
	free(t->subject);
	free(t->issuer);
	free(t->serial);
	free(t->not_before);
	free(t->not_after);
	free_strv(t->san, t->n_san);
	free(t->key_type);
	free(t->sig_alg);
	free(t->ja3s_full);
	free(t->jarm_raw);
	free(t->sh_extensions);
	free(t);
}

void bph_ssh_info_free(struct bph_ssh_info *s)
{
	if (!s)
		return;
	free(s->error);
	free(s->banner);
	free(s->hassh_server_algorithms);
	for (int i = 0; i < 10; i++)
		free(s->kexinit[i]);
	for (size_t i = 0; i < s->n_hostkeys; i++)
		free(s->hostkeys[i].type);
	free(s->hostkeys);
	free(s);
}

void bph_http_info_free(struct bph_http_info *h)
{
	if (!h)
		return;
	free(h->error);
	free(h->status_line);
	free(h->server);
	free(h->powered_by);
	free(h->location);
	free(h->title);
	free_strv(h->headers, h->n_headers);
	free(h->favicon_url);
	free(h);
}

void bph_banner_info_free(struct bph_banner_info *b)
{
	if (!b)
		return;
	free(b->error);
	free(b->text);
	free(b);
}

void bph_service_clear(struct bph_service *s)
{
	if (!s)
		return;
	free(s->proto);
	bph_tls_info_free(s->tls);
	bph_ssh_info_free(s->ssh);
	bph_http_info_free(s->http);
	bph_banner_info_free(s->banner);
	s->proto = NULL;
	s->tls = NULL;
	s->ssh = NULL;
	s->http = NULL;
	s->banner = NULL;
}

char *bph_strndup_cap(const char *s, size_t len, size_t max)
{
	if (!s)
		return NULL;
	return strndup(s, len < max ? len : max);
}

/* Digits by hand: snprintf was a tenth of loading a million hosts from
 * the store (store/graph_load.c). */
void bph_ip_str(uint32_t ip, char out[16])
{
	char *p = out;

	for (int shift = 24; shift >= 0; shift -= 8) {
		unsigned o = ip >> shift & 255u;
		if (o >= 100)
			*p++ = (char)('0' + o / 100);
		if (o >= 10)
			*p++ = (char)('0' + o / 10 % 10);
		*p++ = (char)('0' + o % 10);
		*p++ = shift ? '.' : '\0';
	}
}

static void emit(bph_artifact_cb cb, void *ctx, const char *kind, const char *v,
		 uint16_t port)
{
	if (v && v[0])
		cb(ctx, kind, v, port);
}

static void tls_artifacts(const struct bph_tls_info *t, bph_artifact_cb cb,
			  void *ctx, uint16_t port)
{
	emit(cb, ctx, "cert_sha256", t->cert_sha256, port);
	emit(cb, ctx, "spki_sha256", t->spki_sha256, port);
	emit(cb, ctx, "jarm", t->jarm, port);
	emit(cb, ctx, "ja3s", t->ja3s, port);
	/* not clustered (free text anyone can copy); carried so the exports
	 * can show who the certificate claims to be, and who issued it */
	emit(cb, ctx, "cert_subject", t->subject, port);
	emit(cb, ctx, "cert_issuer", t->issuer, port);
}

static void http_artifacts(const struct bph_http_info *h, bph_artifact_cb cb,
			   void *ctx, uint16_t port)
{
	char num[16];
	if (h->has_favicon) {
		snprintf(num, sizeof(num), "%d", (int)h->favicon_mmh3);
		emit(cb, ctx, "favicon", num, port);
	}
	if (h->body_len > 0)
		emit(cb, ctx, "body_sha256", h->body_sha256, port);
	emit(cb, ctx, "title", h->title, port);
	emit(cb, ctx, "header_hash", h->header_hash, port);
	emit(cb, ctx, "server", h->server, port);
}

void bph_service_artifacts(const struct bph_service *s, bph_artifact_cb cb,
			   void *ctx)
{
	if (s->tcp.present)
		emit(cb, ctx, "tcp_sig", s->tcp.sig, s->port);
	if (s->tls)
		tls_artifacts(s->tls, cb, ctx, s->port);
	if (s->ssh) {
		emit(cb, ctx, "hassh", s->ssh->hassh_server, s->port);
		for (size_t i = 0; i < s->ssh->n_hostkeys; i++)
			emit(cb, ctx, "ssh_hostkey", s->ssh->hostkeys[i].sha256,
			     s->port);
	}
	if (s->http)
		http_artifacts(s->http, cb, ctx, s->port);
}
