/*
 * denylist.c - the deny-list model: sources with their provenance, the
 * build (aggregation minus allowlist and special ranges, entries mapped
 * back to their sources) and the format registry. The design is in
 * abuse/denylist.h; the formats are in denylist_text.c, denylist_fw.c
 * and denylist_stix.c, the provenance file in denylist_prov.c.
 */
#include "abuse/denylist.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

const struct bph_deny_format *const bph_deny_formats[] = {
    &bph_deny_denylist,
    &bph_deny_spamhaus,
    &bph_deny_netset,
    &bph_deny_nft,
    &bph_deny_ipset,
    &bph_deny_stix,
    NULL,
};

const struct bph_deny_format *bph_deny_format_find(const char *name)
{
	for (size_t i = 0; name && bph_deny_formats[i]; i++)
		if (!strcmp(bph_deny_formats[i]->name, name))
			return bph_deny_formats[i];
	return NULL;
}

/* A copy of s with every byte outside printable ASCII replaced by '?':
 * names and licences go into comment lines of line-based formats, where a
 * newline would start an entry. NULL s gives "". */
static char *ascii_copy(const char *s)
{
	char *c = strdup(s ? s : "");
	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
	return c;
}

/* Terminates p (n bytes) and replaces what is not printable ASCII. */
static void ascii_fix(char *p, size_t n)
{
	p[n - 1] = '\0';
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

static char *tag_copy(const char *s)
{
	char *c = calloc(1, BPH_DENY_TAG_MAX + 1);
	size_t n = 0;
	for (const char *p = s ? s : ""; c && *p && n < BPH_DENY_TAG_MAX; p++) {
		char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
			c[n++] = ch;
		else if (n && c[n - 1] != '_')
			c[n++] = '_';
	}
	while (c && n && c[n - 1] == '_')
		c[--n] = '\0';
	if (c && n == 0)
		strcpy(c, "bphound");
	return c;
}

struct bph_denylist *bph_denylist_new(const char *name, const char *tag,
				      const char *generator)
{
	struct bph_denylist *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = ascii_copy(name);
	d->tag = tag_copy(tag);
	d->generator = ascii_copy(generator ? generator : "bphound");
	d->min_len4 = 24;
	d->min_len6 = 48;
	if (!d->name || !d->tag || !d->generator) {
		bph_denylist_free(d);
		return NULL;
	}
	return d;
}

static void free_source(struct bph_deny_source *s)
{
	free(s->host);
	free(s->unit);
	for (size_t i = 0; i < s->n_evidence; i++)
		free(s->evidence[i]);
	free(s->evidence);
	free(s->listings);
}

static void free_entries(struct bph_denylist *d)
{
	for (size_t i = 0; i < d->n_entries; i++)
		free(d->entries[i].src);
	free(d->entries);
	d->entries = NULL;
	d->n_entries = 0;
}

void bph_denylist_free(struct bph_denylist *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n_sources; i++)
		free_source(&d->sources[i]);
	free(d->sources);
	free_entries(d);
	free(d->name);
	free(d->tag);
	free(d->generator);
	free(d);
}

long bph_denylist_add(struct bph_denylist *d, const struct bph_cidr *cidr,
		      uint32_t cluster, const char *host, const char *unit)
{
	struct bph_deny_source *s;
	if (d->n_sources == d->cap_sources) {
		size_t cap = d->cap_sources ? d->cap_sources * 2 : 64;
		s = realloc(d->sources, cap * sizeof(*s));
		if (!s)
			return BPH_ERR_NOMEM;
		d->sources = s;
		d->cap_sources = cap;
	}
	s = &d->sources[d->n_sources];
	memset(s, 0, sizeof(*s));
	s->cidr = *cidr;
	s->cluster = cluster;
	s->host = host ? strdup(host) : NULL;
	s->unit = unit ? ascii_copy(unit) : NULL;
	if ((host && !s->host) || (unit && !s->unit)) {
		free_source(s);
		return BPH_ERR_NOMEM;
	}
	return (long)d->n_sources++;
}

int bph_denylist_add_evidence(struct bph_denylist *d, size_t i,
			      const char *kind, const char *value)
{
	struct bph_deny_source *s = &d->sources[i];
	size_t n = strlen(kind) + strlen(value) + 2;
	char **ev = realloc(s->evidence, (s->n_evidence + 1) * sizeof(*ev));
	if (!ev)
		return BPH_ERR_NOMEM;
	s->evidence = ev;
	ev[s->n_evidence] = malloc(n);
	if (!ev[s->n_evidence])
		return BPH_ERR_NOMEM;
	snprintf(ev[s->n_evidence++], n, "%s:%s", kind, value);
	return 0;
}

int bph_denylist_add_listing(struct bph_denylist *d, size_t i,
			     const struct bph_abuse_listing *l)
{
	struct bph_deny_source *s = &d->sources[i];
	struct bph_abuse_listing *p =
	    realloc(s->listings, (s->n_listings + 1) * sizeof(*p));
	if (!p)
		return BPH_ERR_NOMEM;
	s->listings = p;
	p[s->n_listings] = *l;
	p = &p[s->n_listings];
	/* into comment lines of line formats: printable ASCII only */
	ascii_fix(p->list, sizeof(p->list));
	ascii_fix(p->entry, sizeof(p->entry));
	ascii_fix(p->id, sizeof(p->id));
	ascii_fix(p->date, sizeof(p->date));
	ascii_fix(p->licence, sizeof(p->licence));
	s->n_listings++;
	return 0;
}

/* ---- build ---- */

/* The first entry whose range ends at or after (family, addr). */
static size_t first_entry(const struct bph_denylist *d, uint8_t family,
			  bph_u128 addr)
{
	size_t lo = 0, hi = d->n_entries;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct bph_iprange r = bph_cidr_range(&d->entries[mid].cidr);
		if (r.family < family || (r.family == family && r.hi < addr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int entry_add_src(struct bph_deny_entry *e, size_t src)
{
	size_t *p = realloc(e->src, (e->n_src + 1) * sizeof(*p));
	if (!p)
		return BPH_ERR_NOMEM;
	e->src = p;
	e->src[e->n_src++] = src;
	return 0;
}

/* Gives each entry the sources it overlaps; marks sources left out. */
static int map_sources(struct bph_denylist *d,
		       const struct bph_deny_build_opts *o)
{
	for (size_t i = 0; i < d->n_sources; i++) {
		struct bph_deny_source *s = &d->sources[i];
		struct bph_iprange r = bph_cidr_range(&s->cidr);
		size_t k = first_entry(d, r.family, r.lo);
		bool any = false;
		for (; k < d->n_entries; k++) {
			struct bph_iprange e =
			    bph_cidr_range(&d->entries[k].cidr);
			if (e.family != r.family || e.lo > r.hi)
				break;
			if (entry_add_src(&d->entries[k], i))
				return BPH_ERR_NOMEM;
			any = true;
		}
		s->excluded = NULL;
		if (any)
			continue;
		d->n_excluded++;
		if (o->allow && bph_rangeset_contains(o->allow, r.family, r.lo))
			s->excluded = "allowlist";
		else if (!(s->excluded = bph_cidr_special_name(r.family, r.lo)))
			s->excluded = "allowlist";
	}
	return 0;
}

static int make_entries(struct bph_denylist *d,
			const struct bph_deny_build_opts *o)
{
	struct bph_rangeset set = {0}, minus = {0};
	struct bph_cidr *cidrs = NULL;
	size_t n = 0;
	int rc = 0;
	for (size_t i = 0; i < d->n_sources && !rc; i++)
		rc = bph_rangeset_add(&set, &d->sources[i].cidr);
	for (size_t i = 0; o->allow && i < o->allow->n && !rc; i++)
		rc = bph_rangeset_add_range(&minus, &o->allow->r[i]);
	if (!rc && !o->allow_special)
		rc = bph_rangeset_add_special(&minus);
	if (!rc)
		rc = bph_rangeset_subtract(&set, &minus);
	if (!rc)
		rc = bph_rangeset_cidrs(&set, o->min_len4, o->min_len6,
					o->max_entries, &cidrs, &n);
	bph_rangeset_free(&set);
	bph_rangeset_free(&minus);
	if (rc)
		return rc;
	d->entries = calloc(n ? n : 1, sizeof(*d->entries));
	if (!d->entries) {
		free(cidrs);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		d->entries[i].cidr = cidrs[i];
		d->n_addresses[cidrs[i].family == 6] +=
		    bph_cidr_size(&cidrs[i]);
	}
	d->n_entries = n;
	free(cidrs);
	return 0;
}

int bph_denylist_build(struct bph_denylist *d,
		       const struct bph_deny_build_opts *o)
{
	int rc;
	free_entries(d);
	d->n_excluded = 0;
	d->n_addresses[0] = d->n_addresses[1] = 0;
	d->min_len4 = o->min_len4;
	d->min_len6 = o->min_len6;
	d->allow_special = o->allow_special;
	d->generated = o->generated;
	d->valid_until = o->generated + (int64_t)o->valid_days * 86400;
	rc = make_entries(d, o);
	if (!rc)
		rc = map_sources(d, o);
	if (rc)
		free_entries(d);
	return rc;
}

/* ---- helpers the writers share ---- */

/* Appends "list (licence)" to b unless b holds it already. */
static bool add_restricted(struct bph_sbuf *b,
			   const struct bph_abuse_listing *l)
{
	char item[512];
	snprintf(item, sizeof(item), "%s (%s)", l->list,
		 l->licence[0] ? l->licence : "licence unknown");
	bph_sbuf_u8(b, 0); /* a terminator for strstr, not counted */
	if (b->err)
		return false;
	b->len--;
	if (strstr((const char *)b->p, item))
		return false;
	if (b->len)
		bph_sbuf_str(b, "; ");
	bph_sbuf_str(b, item);
	return true;
}

size_t bph_denylist_restricted(const struct bph_denylist *d, char *out,
			       size_t outlen)
{
	struct bph_sbuf b;
	size_t count = 0;
	bph_sbuf_init(&b);
	for (size_t i = 0; i < d->n_sources; i++) {
		const struct bph_deny_source *s = &d->sources[i];
		for (size_t j = 0; !s->excluded && j < s->n_listings; j++)
			if (s->listings[j].restricted &&
			    add_restricted(&b, &s->listings[j]))
				count++;
	}
	if (outlen)
		snprintf(out, outlen, "%.*s", (int)b.len,
			 b.p ? (const char *)b.p : "");
	bph_sbuf_free(&b);
	return count;
}

void bph_deny_utc(int64_t t, char *out, size_t outlen)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) ||
	    !strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, outlen, "?");
}
