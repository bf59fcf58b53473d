/*
 * notify.c - the channel registry, the per-channel event filter, digest
 * preparation, delivery ids, webhook secrets and signatures (contract in
 * sweep/notify.h). The channels themselves are notify_<type>.c.
 */
#include "sweep/notify.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

#define SECRET_MAX 4096

static const struct bph_channel *const channels[BPH_NT_COUNT] = {
    [BPH_NT_WEBHOOK] = &bph_channel_webhook,
    [BPH_NT_EMAIL] = &bph_channel_email,
    [BPH_NT_SYSLOG] = &bph_channel_syslog,
    [BPH_NT_EXEC] = &bph_channel_exec,
};

const struct bph_channel *bph_channel_of(enum bph_notify_type t)
{
	return (unsigned)t < BPH_NT_COUNT ? channels[t] : NULL;
}

int bph_notify_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK
		   ? 0
		   : BPH_ERR_NOMEM;
}

void bph_notify_global_cleanup(void)
{
	curl_global_cleanup();
}

void bph_delivery_clear(struct bph_delivery *d)
{
	free(d->channel);
	free(d->sweep);
	free(d->payload);
	memset(d, 0, sizeof(*d));
}

bool bph_notify_wants(const struct bph_sweep_config *c,
		      const struct bph_notify_cfg *ch,
		      const struct bph_event *e)
{
	return c->alert_events[e->type] && ch->events[e->type] &&
	       e->severity >= ch->min_severity;
}

void bph_delivery_id(const char *sweep, int64_t run, const char *channel,
		     char id[33])
{
	char buf[256];
	unsigned char md[32];
	int n = snprintf(buf, sizeof(buf), "%s\x1f%lld\x1f%s", sweep,
			 (long long)run, channel);

	if (n < 0 ||
	    !EVP_Digest(buf, strlen(buf), md, NULL, EVP_sha256(), NULL))
		memset(md, 0, sizeof(md));
	bph_hex(md, 16, id);
}

int bph_notify_prepare(const struct bph_sweep_config *c,
		       const struct bph_notify_cfg *ch,
		       const struct bph_event_set *s, const char *hostname,
		       struct bph_delivery *d, bool *empty)
{
	const struct bph_event **sel = calloc(s->n + 1, sizeof(*sel));
	size_t n = 0, more = 0;
	int rc = sel ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; sel && i < s->n; i++) {
		if (!bph_notify_wants(c, ch, &s->v[i]))
			continue;
		if (n < ch->max_events)
			sel[n++] = &s->v[i];
		else
			more++;
	}
	*empty = !n && !c->notify_on_empty;
	if (!rc && !*empty) {
		bph_delivery_id(s->sweep, s->run_to, ch->id, d->id);
		d->type = ch->type;
		d->run = s->run_to;
		d->n_events = n;
		d->channel = strdup(ch->id);
		d->sweep = strdup(s->sweep);
		rc = d->channel && d->sweep
			 ? bph_channel_of(ch->type)->prepare(ch, s, sel, n,
							     more, hostname, d)
			 : BPH_ERR_NOMEM;
		if (rc)
			bph_delivery_clear(d);
	}
	free(sel);
	return rc;
}

static int read_secret(const char *path, char **secret, char *err,
		       size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = f ? malloc(SECRET_MAX + 2) : NULL;
	size_t n = buf ? fread(buf, 1, SECRET_MAX + 1, f) : 0;

	if (f)
		fclose(f);
	while (buf && n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (!buf || !n || n > SECRET_MAX || memchr(buf, '\0', n)) {
		snprintf(err, errlen, "webhook secret %s: %s", path,
			 !f	? strerror(errno)
			 : !buf ? "out of memory"
				: "empty, over 4 KiB or binary");
		if (buf)
			OPENSSL_cleanse(buf, SECRET_MAX + 2);
		free(buf);
		return BPH_ERR_IO;
	}
	buf[n] = '\0';
	*secret = buf;
	return 0;
}

int bph_webhook_secret(const struct bph_notify_cfg *ch, char **secret,
		       char *err, size_t errlen)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];

	*secret = NULL;
	if (ch->secret_file)
		return read_secret(ch->secret_file, secret, err, errlen);
	if (!ch->secret_credential)
		return 0;
	if (!dir || dir[0] != '/') {
		snprintf(err, errlen,
			 "webhook secret: credential '%s' needs "
			 "$CREDENTIALS_DIRECTORY (the unit's LoadCredential=)",
			 ch->secret_credential);
		return BPH_ERR_IO;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, ch->secret_credential);
	return read_secret(path, secret, err, errlen);
}

int bph_webhook_signature(const char *secret, const char *timestamp,
			  const char *body, size_t len, char out[72])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};
	size_t outl = 0;
	int ok = ctx &&
		 EVP_MAC_init(ctx, (const unsigned char *)secret,
			      strlen(secret), params) &&
		 EVP_MAC_update(ctx, (const unsigned char *)timestamp,
				strlen(timestamp)) &&
		 EVP_MAC_update(ctx, (const unsigned char *)".", 1) &&
		 EVP_MAC_update(ctx, (const unsigned char *)body, len) &&
		 EVP_MAC_final(ctx, md, &outl, sizeof(md));

	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	mdlen = (unsigned int)outl;
	if (!ok || mdlen != 32)
		return BPH_ERR_CRYPTO;
	memcpy(out, "sha256=", 7);
	bph_hex(md, 32, out + 7);
	return 0;
}
