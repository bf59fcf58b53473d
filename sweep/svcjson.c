/*
 * svcjson.c - service fields as the JSON that sweep events carry
 * (contract in sweep/svcjson.h; fields in docs/output.md).
 */
#include "sweep/svcjson.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/text.h"
#include "sweep/snap.h"

json_t *bph_sj_str(const char *s)
{
	char *c = bph_text_clean(s, BPH_TEXT_UTF8);
	json_t *j = c ? json_string(c) : NULL;

	free(c);
	return j;
}

/* Sets key to v (stolen) unless v is NULL; returns nonzero on failure. */
static int put(json_t *o, const char *key, json_t *v)
{
	return !v || json_object_set_new(o, key, v);
}

static int put_opt_str(json_t *o, const char *key, const char *s)
{
	return s && s[0] ? put(o, key, bph_sj_str(s)) : 0;
}

json_t *bph_sj_cert(const struct bph_tls_info *t)
{
	json_t *o = json_object();

	if (!o || put_opt_str(o, "cert_sha256", t->cert_sha256) ||
	    put_opt_str(o, "spki_sha256", t->spki_sha256) ||
	    put_opt_str(o, "subject", t->subject) ||
	    put_opt_str(o, "issuer", t->issuer) ||
	    put_opt_str(o, "not_after", t->not_after)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int cmp_key(const void *x, const void *y)
{
	const struct bph_ssh_hostkey *a =
	    *(const struct bph_ssh_hostkey *const *)x;
	const struct bph_ssh_hostkey *b =
	    *(const struct bph_ssh_hostkey *const *)y;
	return strcmp(a->sha256, b->sha256);
}

json_t *bph_sj_hostkeys(const struct bph_ssh_info *s)
{
	const struct bph_ssh_hostkey *k[16];
	size_t n = 0;
	json_t *a = json_array();

	for (size_t i = 0; i < s->n_hostkeys && n < 16; i++)
		if (s->hostkeys[i].sha256[0])
			k[n++] = &s->hostkeys[i];
	if (n > 1)
		qsort(k, n, sizeof(k[0]), cmp_key);
	for (size_t i = 0; a && i < n; i++) {
		json_t *o = json_object();
		if (!o || put(o, "type", bph_sj_str(k[i]->type)) ||
		    put(o, "sha256", json_string(k[i]->sha256)) ||
		    json_array_append_new(a, o)) {
			json_decref(o);
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

json_t *bph_sj_http(const struct bph_http_info *h, const bool *ignore)
{
	json_t *o = json_object();
	int bad = !o;

	if (!bad && !ignore[BPH_SF_TITLE])
		bad = put(o, "title", bph_sj_str(h->title));
	if (!bad && !ignore[BPH_SF_BODY] && h->body_sha256[0])
		bad = put(o, "body_sha256", json_string(h->body_sha256));
	if (!bad && !ignore[BPH_SF_FAVICON])
		bad = put(o, "favicon_mmh3",
			  h->has_favicon ? json_integer(h->favicon_mmh3)
					 : json_null());
	if (!bad && !ignore[BPH_SF_SERVER])
		bad = put(o, "server", bph_sj_str(h->server));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *tls_part(const struct bph_tls_info *t)
{
	json_t *o = bph_sj_cert(t);

	if (o && put_opt_str(o, "jarm", t->jarm)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *ssh_part(const struct bph_ssh_info *s)
{
	json_t *o = json_object();

	if (!o || put_opt_str(o, "banner", s->banner) ||
	    put_opt_str(o, "hassh_server", s->hassh_server) ||
	    put(o, "hostkeys", bph_sj_hostkeys(s))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *http_part(const struct bph_http_info *h)
{
	static const bool none[BPH_SF_COUNT];
	json_t *o = bph_sj_http(h, none);

	if (o && h->status && put(o, "status", json_integer(h->status))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *bph_sj_service(const struct bph_service *s)
{
	json_t *o = json_object();
	int bad = !o || put(o, "proto",
			    s->proto ? bph_sj_str(s->proto) : json_null());

	if (!bad && s->tls && s->tls->cert_sha256[0])
		bad = put(o, "tls", tls_part(s->tls));
	if (!bad && s->ssh && s->ssh->n_hostkeys)
		bad = put(o, "ssh", ssh_part(s->ssh));
	if (!bad && s->http && (s->http->status || !s->http->error))
		bad = put(o, "http", http_part(s->http));
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *bph_sj_ports(const uint16_t *ports, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(ports[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}
