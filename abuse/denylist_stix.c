/*
 * denylist_stix.c - a deny list as a STIX 2.1 bundle of indicators: one
 * per entry, with an ISSUBSET pattern, valid_from/valid_until (the
 * expiry), the hosts and clusters behind it and the list entries that
 * cover it as external references; a statement marking names the
 * restricted licences (docs/output.md "stix-indicators").
 *
 * Ids are version-5 UUIDs in bphound's namespace over the tag, the entry
 * and the generation time, so a list regenerated at the same time gives
 * the same ids and a later one new ids.
 */
#include "abuse/denylist.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "abuse/uuid.h"
#include "fingerprints/buf.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"

/* Longest description written (the list entries behind it are in the
 * provenance file in full). */
#define DESC_MAX 4000

static int make_id(const char *type, const char *name, char *out)
{
	char u[BPH_UUID_STRLEN];
	int rc = bph_uuid5(bph_uuid_ns_bphound, name, u);
	snprintf(out, 96, "%s--%s", type, u);
	return rc;
}

static json_t *clean_str(const char *s)
{
	char *c = bph_text_clean(s, BPH_TEXT_UTF8);
	json_t *j = c ? json_string(c) : NULL;
	free(c);
	return j;
}

/* "N hosts of cluster(s) ...: a, b, c; linked by kind:value, ..." */
static json_t *describe(const struct bph_denylist *d,
			const struct bph_deny_entry *e)
{
	struct bph_sbuf b;
	json_t *j;
	bph_sbuf_init(&b);
	bph_sbuf_str(&b, d->name);
	bph_sbuf_str(&b, ": ");
	for (size_t i = 0; i < e->n_src && b.len < DESC_MAX; i++) {
		const struct bph_deny_source *s = &d->sources[e->src[i]];
		char num[32];
		if (i)
			bph_sbuf_str(&b, "; ");
		if (s->host)
			bph_sbuf_str(&b, s->host);
		if (s->unit)
			bph_sbuf_str(&b, s->unit);
		if (s->cluster) {
			snprintf(num, sizeof(num), " (cluster %u)", s->cluster);
			bph_sbuf_str(&b, num);
		}
		for (size_t k = 0; k < s->n_evidence && b.len < DESC_MAX; k++) {
			bph_sbuf_str(&b, k ? ", " : " linked by ");
			bph_sbuf_str(&b, s->evidence[k]);
		}
	}
	if (b.len >= DESC_MAX)
		bph_sbuf_str(&b, " ... (the provenance file has the rest)");
	bph_sbuf_u8(&b, 0);
	j = b.err ? NULL : clean_str((const char *)b.p);
	bph_sbuf_free(&b);
	return j;
}

/* The list entries behind e, once each (list, id). */
static json_t *references(const struct bph_denylist *d,
			  const struct bph_deny_entry *e)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < e->n_src; i++) {
		const struct bph_deny_source *s = &d->sources[e->src[i]];
		for (size_t k = 0; k < s->n_listings; k++) {
			const struct bph_abuse_listing *l = &s->listings[k];
			char desc[1024];
			snprintf(
			    desc, sizeof(desc), "entry %s, list of %s%s%s",
			    l->entry, l->date[0] ? l->date : "unknown date",
			    l->licence[0] ? "; licence: " : "", l->licence);
			json_t *r = json_pack("{s:s, s:s}", "source_name",
					      l->list, "description", desc);
			if (r && l->id[0])
				json_object_set_new(r, "external_id",
						    json_string(l->id));
			if (!r || json_array_append_new(a, r)) {
				json_decref(a);
				return NULL;
			}
		}
	}
	if (a && json_array_size(a) > 64) /* cut: the provenance has all */
		while (json_array_size(a) > 64)
			json_array_remove(a, json_array_size(a) - 1);
	return a;
}

static json_t *hosts_and_clusters(const struct bph_denylist *d,
				  const struct bph_deny_entry *e,
				  json_t **clusters)
{
	json_t *hosts = json_array();
	*clusters = json_array();
	for (size_t i = 0; hosts && *clusters && i < e->n_src; i++) {
		const struct bph_deny_source *s = &d->sources[e->src[i]];
		if (s->host)
			json_array_append_new(hosts, json_string(s->host));
		if (!s->cluster)
			continue;
		bool seen = false;
		for (size_t k = 0; k < json_array_size(*clusters); k++)
			seen |=
			    json_integer_value(json_array_get(*clusters, k)) ==
			    (json_int_t)s->cluster;
		if (!seen)
			json_array_append_new(*clusters,
					      json_integer(s->cluster));
	}
	return hosts;
}

static json_t *indicator(const struct bph_denylist *d,
			 const struct bph_deny_entry *e, const char *from,
			 const char *until, const char *marking)
{
	char cidr[BPH_CIDR_STRLEN], id[96], pattern[128], name[256];
	json_t *clusters = NULL, *refs, *hosts;
	bph_cidr_format(&e->cidr, cidr);
	snprintf(name, sizeof(name), "%s|%s|%s", d->tag, cidr, from);
	if (make_id("indicator", name, id))
		return NULL;
	snprintf(pattern, sizeof(pattern), "[%s:value ISSUBSET '%s']",
		 e->cidr.family == 4 ? "ipv4-addr" : "ipv6-addr", cidr);
	snprintf(name, sizeof(name), "bphound deny list %s: %s", d->tag, cidr);
	json_t *o = json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:[s], s:s, s:s, s:s, s:s}",
	    "type", "indicator", "spec_version", "2.1", "id", id, "created",
	    from, "modified", from, "name", name, "description", describe(d, e),
	    "indicator_types", "malicious-activity", "pattern", pattern,
	    "pattern_type", "stix", "valid_from", from, "valid_until", until);
	if (!o)
		return NULL;
	refs = references(d, e);
	if (refs && json_array_size(refs))
		json_object_set(o, "external_references", refs);
	json_decref(refs);
	hosts = hosts_and_clusters(d, e, &clusters);
	if (hosts && json_array_size(hosts))
		json_object_set(o, "x_bphound_hosts", hosts);
	if (clusters && json_array_size(clusters))
		json_object_set(o, "x_bphound_clusters", clusters);
	json_decref(hosts);
	json_decref(clusters);
	if (marking)
		json_object_set_new(o, "object_marking_refs",
				    json_pack("[s]", marking));
	return o;
}

/* A statement marking naming the restricted licences, or NULL. */
static json_t *licence_marking(const struct bph_denylist *d, const char *from,
			       char *id)
{
	char lic[2048], text[2300];
	if (!bph_denylist_restricted(d, lic, sizeof(lic)))
		return NULL;
	snprintf(text, sizeof(text),
		 "Entries come from lists under non-commercial or share-alike "
		 "terms, which this list inherits: %s",
		 lic);
	snprintf(lic, sizeof(lic), "%s|licence|%s", d->tag, from);
	if (make_id("marking-definition", lic, id))
		return NULL;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "type",
			 "marking-definition", "spec_version", "2.1", "id", id,
			 "created", from, "definition_type", "statement",
			 "definition", "statement", text);
}

/* STIX timestamps with milliseconds (created and modified must have
 * them): "YYYY-MM-DDTHH:MM:SS.000Z". */
static void stix_time(int64_t t, char *out, size_t outlen)
{
	bph_deny_utc(t, out, outlen);
	size_t n = strlen(out);
	if (n && out[n - 1] == 'Z' && n + 4 < outlen)
		memcpy(out + n - 1, ".000Z", 6);
}

static json_t *bundle(const struct bph_denylist *d)
{
	char from[32], until[32], id[96], mid[96];
	json_t *objs = json_array(), *mark;
	stix_time(d->generated, from, sizeof(from));
	stix_time(d->valid_until, until, sizeof(until));
	mark = licence_marking(d, from, mid);
	if (mark)
		json_array_append_new(objs, mark);
	for (size_t i = 0; objs && i < d->n_entries; i++) {
		json_t *o = indicator(d, &d->entries[i], from, until,
				      mark ? mid : NULL);
		if (!o || json_array_append_new(objs, o)) {
			json_decref(objs);
			return NULL;
		}
	}
	snprintf(mid, sizeof(mid), "%s|bundle|%s", d->tag, from);
	if (!objs || make_id("bundle", mid, id)) {
		json_decref(objs);
		return NULL;
	}
	return json_pack("{s:s, s:s, s:o}", "type", "bundle", "id", id,
			 "objects", objs);
}

static int write_stix(const struct bph_denylist *d, FILE *out, char *err,
		      size_t errlen)
{
	json_t *b = bundle(d);
	int rc = 0;
	if (!b) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return BPH_ERR_NOMEM;
	}
	if (json_dumpf(b, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
	    fputc('\n', out) == EOF || ferror(out)) {
		if (err && errlen)
			snprintf(err, errlen, "write failed");
		rc = BPH_ERR_IO;
	}
	json_decref(b);
	return rc;
}

const struct bph_deny_format bph_deny_stix = {
    .name = "stix-indicators",
    .extension = "json",
    .summary = "STIX 2.1 bundle: one indicator per entry, with expiry",
    .write = write_stix,
};
