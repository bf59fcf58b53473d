/*
 * xarf.c - the XARF v4 report of one host (abuse/xarf.h): built with
 * jansson, every string from the network or a registry cleaned to UTF-8
 * first, every bounded field (description 1000 characters, evidence
 * description 500, tags 20) kept within the schema's limits.
 */
#include "abuse/xarf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "abuse/mime.h"
#include "fingerprints/buf.h"
#include "fingerprints/text.h"

#define MAX_TAGS 20

static void iso(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "1970-01-01T00:00:00Z");
}

/* s cleaned to UTF-8 and cut to at most max bytes at a character
 * boundary (so at most max characters). */
static json_t *bounded(const char *s, size_t max)
{
	char *c = bph_text_clean(s, BPH_TEXT_UTF8);
	size_t n = c ? strlen(c) : 0;
	json_t *j;
	if (!c)
		return NULL;
	if (n > max) {
		n = max;
		while (n && ((unsigned char)c[n] & 0xc0) == 0x80)
			n--;
		c[n] = '\0';
	}
	j = json_string(c);
	free(c);
	return j;
}

static json_t *contact(const struct bph_report_opts *o)
{
	const char *at = strchr(o->contact, '@');
	const char *domain = at ? at + 1 : o->contact;
	char *org = bph_mime_text(o->org && o->org[0] ? o->org : domain, 200);
	json_t *j = json_pack("{s:s, s:s, s:s}", "org", org ? org : domain,
			      "contact", o->contact, "domain", domain);
	free(org);
	return j;
}

/* The first port of the host that carries linking evidence, else its
 * first port; 0 when none. */
static unsigned main_port(const struct bph_abuse_host *h)
{
	for (size_t i = 0; i < h->n_obs; i++)
		if (h->obs[i].shared && h->obs[i].port)
			return h->obs[i].port;
	for (size_t i = 0; i < h->n_obs; i++)
		if (h->obs[i].port)
			return h->obs[i].port;
	return 0;
}

static json_t *description(const struct bph_abuse_case *k,
			   const struct bph_abuse_host *h)
{
	struct bph_sbuf b;
	char line[256];
	json_t *j;
	bph_sbuf_init(&b);
	snprintf(line, sizeof(line),
		 "%s is one of %zu hosts of cluster %u that share server "
		 "identities",
		 h->ip, k->n_hosts, k->cluster);
	bph_sbuf_str(&b, line);
	for (size_t i = 0, n = 0; i < h->n_obs && b.len < 900; i++) {
		const struct bph_abuse_obs *o = &h->obs[i];
		if (!o->shared)
			continue;
		bph_sbuf_str(&b, n++ ? "; " : ": ");
		bph_sbuf_str(&b, o->kind);
		bph_sbuf_str(&b, " ");
		bph_sbuf_str(&b, o->value);
		snprintf(line, sizeof(line), " on port %u (%u hosts)", o->port,
			 o->df);
		bph_sbuf_str(&b, line);
	}
	bph_sbuf_str(&b, ". Found by scanning with bphound; evidence "
			 "attached.");
	bph_sbuf_u8(&b, 0);
	j = b.err ? NULL : bounded((const char *)b.p, 1000);
	bph_sbuf_free(&b);
	return j;
}

static json_t *evidence(const struct bph_abuse_case *k, size_t h)
{
	struct bph_sbuf csv;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hex[2 * EVP_MAX_MD_SIZE + 1], hash[sizeof(hex) + 8], *b64 = NULL;
	json_t *j = NULL;
	bph_sbuf_init(&csv);
	bph_report_csv(&csv, k, &h, 1);
	if (!csv.err &&
	    EVP_Digest(csv.p, csv.len, md, &mdlen, EVP_sha256(), NULL) &&
	    (b64 = bph_mime_base64(csv.p, csv.len))) {
		bph_hex(md, mdlen, hex);
		snprintf(hash, sizeof(hash), "sha256:%s", hex);
		j = json_pack("[{s:s, s:s, s:s, s:s, s:I}]", "content_type",
			      "text/csv", "description",
			      "every observation of this host: address, "
			      "port, kind, value, first and last seen (UTC), "
			      "hosts sharing the value, whether it links "
			      "hosts of the cluster",
			      "payload", b64, "hash", hash, "size",
			      (json_int_t)csv.len);
	}
	free(b64);
	bph_sbuf_free(&csv);
	return j;
}

/* "namespace:predicate" tags: tool, cluster, threat, and each kind of
 * linking evidence. */
static json_t *tags(const struct bph_abuse_case *k,
		    const struct bph_abuse_host *h,
		    const struct bph_report_opts *o)
{
	char t[160];
	json_t *a = json_array();
	snprintf(t, sizeof(t), "cluster:%u", k->cluster);
	json_array_append_new(a, json_string("tool:bphound"));
	json_array_append_new(a, json_string(t));
	snprintf(t, sizeof(t), "threat:%s", o->type->threat_type);
	json_array_append_new(a, json_string(t));
	for (size_t i = 0; i < h->n_obs && json_array_size(a) < MAX_TAGS; i++) {
		bool dup = false;
		if (!h->obs[i].shared)
			continue;
		snprintf(t, sizeof(t), "evidence:%s", h->obs[i].kind);
		for (size_t k2 = 0; k2 < json_array_size(a); k2++)
			dup |= !strcmp(json_string_value(json_array_get(a, k2)),
				       t);
		if (!dup)
			json_array_append_new(a, json_string(t));
	}
	return a;
}

json_t *bph_xarf_host(const struct bph_abuse_case *k, size_t h,
		      const struct bph_report_opts *o, const char *report_id)
{
	const struct bph_abuse_host *host = &k->hosts[h];
	char ts[32], first[32], last[32];
	unsigned port = main_port(host);
	iso(host->last_seen ? host->last_seen : o->now, ts, sizeof(ts));
	iso(host->first_seen ? host->first_seen : o->now, first, sizeof(first));
	iso(host->last_seen ? host->last_seen : o->now, last, sizeof(last));
	json_t *r = json_pack(
	    "{s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
	    "s:o, s:o, s:o}",
	    "xarf_version", BPH_XARF_VERSION, "report_id", report_id,
	    "timestamp", ts, "reporter", contact(o), "sender", contact(o),
	    "source_identifier", host->ip, "category", o->type->category,
	    "type", o->type->type, "threat_type", o->type->threat_type,
	    "evidence_source", "automated_scan", "first_seen", first,
	    "last_seen", last, "description", description(k, host), "evidence",
	    evidence(k, h), "tags", tags(k, host, o));
	if (r && port)
		json_object_set_new(r, "source_port", json_integer(port));
	return r;
}
