/*
 * denylist_prov.c - FILE.provenance.json, the sidecar of every deny list:
 * for each entry the sources inside it (cluster, host or ranking unit,
 * evidence, the public list entries with their licences), and the
 * sources left out with why. Fields in docs/output.md
 * "FILE.provenance.json".
 */
#include "abuse/denylist.h"

#include <stdlib.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"

/* Adds key: s cleaned to valid UTF-8 (network strings may be anything). */
static void set_clean(json_t *o, const char *key, const char *s)
{
	char *c = bph_text_clean(s, BPH_TEXT_UTF8);
	if (c)
		json_object_set_new(o, key, json_string(c));
	free(c);
}

static json_t *listing_json(const struct bph_abuse_listing *l)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "list", l->list,
			 "entry", l->entry, "id", l->id, "date", l->date,
			 "licence", l->licence, "restricted", l->restricted);
}

static json_t *source_json(const struct bph_deny_source *s)
{
	char cidr[BPH_CIDR_STRLEN];
	json_t *o = json_object(), *ev = json_array(), *li = json_array();
	if (!o || !ev || !li) {
		json_decref(o);
		json_decref(ev);
		json_decref(li);
		return NULL;
	}
	bph_cidr_format(&s->cidr, cidr);
	json_object_set_new(o, "source", json_string(cidr));
	if (s->cluster)
		json_object_set_new(o, "cluster", json_integer(s->cluster));
	if (s->host)
		set_clean(o, "host", s->host);
	if (s->unit)
		set_clean(o, "unit", s->unit);
	for (size_t i = 0; i < s->n_evidence; i++) {
		char *c = bph_text_clean(s->evidence[i], BPH_TEXT_UTF8);
		if (c)
			json_array_append_new(ev, json_string(c));
		free(c);
	}
	for (size_t i = 0; i < s->n_listings; i++)
		json_array_append_new(li, listing_json(&s->listings[i]));
	json_object_set_new(o, "evidence", ev);
	json_object_set_new(o, "listed", li);
	if (s->excluded)
		json_object_set_new(o, "excluded", json_string(s->excluded));
	return o;
}

static json_t *entries_json(const struct bph_denylist *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->n_entries; i++) {
		const struct bph_deny_entry *e = &d->entries[i];
		char cidr[BPH_CIDR_STRLEN];
		json_t *srcs = json_array();
		bph_cidr_format(&e->cidr, cidr);
		for (size_t k = 0; srcs && k < e->n_src; k++)
			json_array_append_new(
			    srcs, source_json(&d->sources[e->src[k]]));
		json_array_append_new(
		    a, json_pack("{s:s, s:o*}", "cidr", cidr, "sources", srcs));
	}
	return a;
}

static json_t *excluded_json(const struct bph_denylist *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->n_sources; i++)
		if (d->sources[i].excluded)
			json_array_append_new(a, source_json(&d->sources[i]));
	return a;
}

static json_t *provenance(const struct bph_denylist *d, const char *format)
{
	char gen[32], until[32], lic[4096];
	bph_deny_utc(d->generated, gen, sizeof(gen));
	bph_deny_utc(d->valid_until, until, sizeof(until));
	bph_denylist_restricted(d, lic, sizeof(lic));
	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b, s:s, s:o*, s:o*}",
	    "format", format, "name", d->name, "tag", d->tag, "generator",
	    d->generator, "generated", gen, "valid_until", until, "min_prefix",
	    (int)d->min_len4, "min_prefix_v6", (int)d->min_len6,
	    "special_ranges_kept", d->allow_special, "restricted_licences", lic,
	    "entries", entries_json(d), "excluded", excluded_json(d));
}

int bph_denylist_write_provenance(const struct bph_denylist *d,
				  const char *format, FILE *out, char *err,
				  size_t errlen)
{
	json_t *p = provenance(d, format);
	int rc = 0;
	if (!p) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return BPH_ERR_NOMEM;
	}
	if (json_dumpf(p, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
	    fputc('\n', out) == EOF || ferror(out)) {
		if (err && errlen)
			snprintf(err, errlen, "write failed");
		rc = BPH_ERR_IO;
	}
	json_decref(p);
	return rc;
}
