/*
 * cmd_asinfo.c - `bphound asinfo AS [--history] [--json]`: an AS's names,
 * organisation, siblings, abuse contact and list entries, its prefixes,
 * providers, customers and peers at the newest snapshots, its space
 * signals and leased prefixes; with --history the upstream and origin
 * timelines over every snapshot and the signals of ranges/asbehav.h, each
 * with the files it came from. Text and JSON are built from one struct.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/data_glue.h"
#include "fingerprints/err.h"
#include "fingerprints/text.h"
#include "ranges/asbehav.h"
#include "store/data_store.h"
#include "store/store.h"

#define MAX_NEIGH  4096
#define MAX_LEASED 256

/* One date of a timeline: the union of that date's snapshots. */
struct point {
	char date[11];
	int64_t snaps[8];
	size_t n_snaps;
	char files[1024];
	uint32_t *asns; /* providers */
	size_t n_asns, cap_asns;
	struct bph_range *nets; /* prefixes */
	size_t n_nets, cap_nets, n_moas;
};

struct timeline {
	struct point *v;
	size_t n, cap;
	const char *kind;
};

struct asinfo {
	uint32_t asn;
	const struct bph_rdb *db;
	struct bph_range *prefixes;
	size_t n_prefixes, cap_prefixes;
	struct timeline rel, pfx;
	struct bph_as_history hist;
	bool history;
};

/* ---- the timelines from the store ---- */

static struct point *point_for(struct timeline *t, const char *date)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].date, date))
			return &t->v[i];
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct point *v = realloc(t->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	struct point *p = &t->v[t->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->date, sizeof(p->date), "%s", date);
	return p;
}

static int snap_cb(void *arg, const struct bph_data_snapshot *s,
		   unsigned current)
{
	struct asinfo *ai = arg;
	struct timeline *t = !strcmp(s->kind, "asrel")	  ? &ai->rel
			     : !strcmp(s->kind, "pfx2as") ? &ai->pfx
							  : NULL;
	struct point *p;
	(void)current;

	if (!t || !s->date[0])
		return 0;
	if (!(p = point_for(t, s->date)))
		return BPH_ERR_NOMEM;
	if (p->n_snaps < 8)
		p->snaps[p->n_snaps++] = s->id;
	size_t used = strlen(p->files);
	snprintf(p->files + used, sizeof(p->files) - used, "%s%s",
		 used ? ", " : "", s->file);
	return 0;
}

static struct point *point_of_snap(struct timeline *t, int64_t snap)
{
	for (size_t i = 0; i < t->n; i++)
		for (size_t j = 0; j < t->v[i].n_snaps; j++)
			if (t->v[i].snaps[j] == snap)
				return &t->v[i];
	return NULL;
}

static int rel_cb(void *arg, int64_t snap, const char *date, uint32_t other,
		  int rel, int as_b)
{
	struct asinfo *ai = arg;
	struct point *p = point_of_snap(&ai->rel, snap);
	(void)date;

	if (!p || rel != -1 || !as_b)
		return 0;
	if (p->n_asns == p->cap_asns) {
		size_t cap = p->cap_asns ? p->cap_asns * 2 : 8;
		uint32_t *v = realloc(p->asns, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		p->asns = v;
		p->cap_asns = cap;
	}
	p->asns[p->n_asns++] = other;
	return 0;
}

static int pfx_cb(void *arg, int64_t snap, const char *date, const char *net,
		  int n_origins)
{
	struct asinfo *ai = arg;
	struct point *p = point_of_snap(&ai->pfx, snap);
	struct bph_range r;
	(void)date;

	if (!p || bph_prefix_parse(net, strlen(net), &r, NULL, NULL))
		return 0;
	if (p->n_nets == p->cap_nets) {
		size_t cap = p->cap_nets ? p->cap_nets * 2 : 8;
		struct bph_range *v = realloc(p->nets, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		p->nets = v;
		p->cap_nets = cap;
	}
	p->nets[p->n_nets++] = r;
	p->n_moas += n_origins > 1;
	return 0;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int range_cmp(const void *a, const void *b)
{
	const struct bph_range *x = a, *y = b;
	if (x->fam != y->fam)
		return x->fam < y->fam ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return x->last < y->last ? -1 : x->last > y->last;
}

static int point_cmp(const void *a, const void *b)
{
	return strcmp(((const struct point *)a)->date,
		      ((const struct point *)b)->date);
}

/* Sorts each point's sets (distinct) and the points by date. */
static void tidy(struct timeline *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct point *p = &t->v[i];
		size_t d = 0;
		if (p->n_asns > 1)
			qsort(p->asns, p->n_asns, sizeof(*p->asns), u32_cmp);
		for (size_t j = 0; j < p->n_asns; j++)
			if (!j || p->asns[j] != p->asns[j - 1])
				p->asns[d++] = p->asns[j];
		p->n_asns = d;
		if (p->n_nets > 1)
			qsort(p->nets, p->n_nets, sizeof(*p->nets), range_cmp);
		d = 0;
		for (size_t j = 0; j < p->n_nets; j++)
			if (!j || range_cmp(&p->nets[j], &p->nets[j - 1]))
				p->nets[d++] = p->nets[j];
		p->n_nets = d;
	}
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(*t->v), point_cmp);
}

static int gather_history(struct bph_store *st, struct asinfo *ai)
{
	int rc = bph_data_each_snapshot(st, snap_cb, ai);
	struct bph_as_relsnap *rel = NULL;
	struct bph_as_pfxsnap *pfx = NULL;

	if (!rc)
		rc = bph_data_rel_history(st, ai->asn, rel_cb, ai);
	if (!rc)
		rc = bph_data_origin_history(st, ai->asn, pfx_cb, ai);
	if (rc)
		return rc;
	tidy(&ai->rel);
	tidy(&ai->pfx);
	rel = calloc(ai->rel.n + 1, sizeof(*rel));
	pfx = calloc(ai->pfx.n + 1, sizeof(*pfx));
	if (!rel || !pfx)
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < ai->rel.n; i++)
		rel[i] = (struct bph_as_relsnap){
		    ai->rel.v[i].date, ai->rel.v[i].asns, ai->rel.v[i].n_asns};
	for (size_t i = 0; !rc && i < ai->pfx.n; i++)
		pfx[i] = (struct bph_as_pfxsnap){
		    ai->pfx.v[i].date, ai->pfx.v[i].nets, ai->pfx.v[i].n_nets,
		    ai->pfx.v[i].n_moas};
	if (!rc)
		rc = bph_as_history(rel, ai->rel.n, pfx, ai->pfx.n, &ai->hist);
	free(rel);
	free(pfx);
	return rc;
}

static void free_timeline(struct timeline *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].asns);
		free(t->v[i].nets);
	}
	free(t->v);
}

/* ---- current facts ---- */

static int add_prefix(const struct bph_range *p, void *arg)
{
	struct asinfo *ai = arg;

	if (ai->n_prefixes == ai->cap_prefixes) {
		size_t cap = ai->cap_prefixes ? ai->cap_prefixes * 2 : 64;
		struct bph_range *v = realloc(ai->prefixes, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		ai->prefixes = v;
		ai->cap_prefixes = cap;
	}
	ai->prefixes[ai->n_prefixes++] = *p;
	return 0;
}

static json_t *jtext(const char *s)
{
	char *c = bph_text_clean(s ? s : "", BPH_TEXT_UTF8);
	json_t *j = c ? json_string(c) : json_null();
	free(c);
	return j;
}

static json_t *as_list(const struct bph_rdb *db, const uint32_t *v, size_t n)
{
	json_t *a = json_array();
	struct bph_asinfo i;
	struct bph_asn_hit h;

	for (size_t k = 0; k < n; k++) {
		bph_rdb_asinfo(db, v[k], &i);
		json_array_append_new(
		    a, json_pack("{s:I,s:o,s:b}", "asn", (json_int_t)v[k],
				 "name", jtext(i.name), "asn_drop",
				 bph_rdb_asn_listed(db, v[k], &h, 1) > 0));
	}
	return a;
}

static json_t *prefixes_json(const struct asinfo *ai)
{
	json_t *a = json_array();
	char buf[BPH_RANGE_STRLEN];

	for (size_t i = 0; i < ai->n_prefixes; i++) {
		bph_range_format(&ai->prefixes[i], buf);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static json_t *neighbours_json(const struct asinfo *ai, enum bph_rel_dir dir)
{
	uint32_t *v = malloc(MAX_NEIGH * sizeof(*v));
	size_t n =
	    v ? bph_rdb_neighbours(ai->db, ai->asn, dir, v, MAX_NEIGH) : 0;
	json_t *a = as_list(ai->db, v, n < MAX_NEIGH ? n : MAX_NEIGH);
	free(v);
	return a;
}

static json_t *lifetimes_json(const struct bph_lifetimes *l)
{
	return json_pack("{s:I,s:I,s:f,s:f,s:f}", "runs", (json_int_t)l->runs,
			 "ongoing", (json_int_t)l->ongoing, "min_days",
			 l->min_days, "median_days", l->median_days, "max_days",
			 l->max_days);
}

static json_t *space_json(const struct asinfo *ai)
{
	struct bph_as_space s;

	bph_as_space(ai->db, ai->prefixes, ai->n_prefixes, &s);
	return json_pack(
	    "{s:I,s:I,s:f,s:I,s:f,s:f,s:o}", "prefixes_v4",
	    (json_int_t)s.prefixes_v4, "prefixes_v6", (json_int_t)s.prefixes_v6,
	    "v4_addresses", s.v4_addresses, "prefixes_24_or_longer",
	    (json_int_t)s.prefixes_24, "share_in_24s", s.share_in_24s,
	    "bogon_share", s.bogon_share, "unassigned_share",
	    s.unassigned_known ? json_real(s.unassigned_share) : json_null());
}

static json_t *leased_json(const struct asinfo *ai)
{
	struct bph_leased *l = calloc(MAX_LEASED, sizeof(*l));
	size_t n = l ? bph_as_leased(ai->db, ai->asn, ai->prefixes,
				     ai->n_prefixes, l, MAX_LEASED)
		     : 0;
	json_t *a = json_array();
	char p[BPH_RANGE_STRLEN], leaf[BPH_RANGE_STRLEN];

	for (size_t i = 0; i < n && i < MAX_LEASED; i++) {
		struct bph_inetnum in;
		bph_range_format(&l[i].prefix, p);
		bph_rdb_inetnum_get(ai->db, l[i].leaf, &in);
		bph_range_format(&in.net, leaf);
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:o,s:o,s:o,s:I}", "prefix", p,
				 "inetnum", leaf, "status", jtext(in.status),
				 "netname", jtext(in.netname), "holder_org",
				 jtext(l[i].holder_org), "holder_asn",
				 (json_int_t)l[i].holder_asn));
	}
	free(l);
	return a;
}

static json_t *identity_json(const struct asinfo *ai)
{
	struct bph_asinfo i;
	struct bph_asn_hit h[4];
	struct bph_abuse ab;
	uint32_t sib[256];
	char how[BPH_RANGE_STRLEN + 200] = "";
	size_t nh = bph_rdb_asn_listed(ai->db, ai->asn, h, 4), ns;
	json_t *lists = json_array();

	bph_rdb_asinfo(ai->db, ai->asn, &i);
	ns = bph_rdb_siblings(ai->db, ai->asn, sib, 256);
	for (size_t k = 0; k < nh && k < 4; k++)
		json_array_append_new(
		    lists, json_pack("{s:o,s:o,s:o}", "list", jtext(h[k].list),
				     "name", jtext(h[k].name), "list_date",
				     jtext(h[k].list_date)));
	bool abuse = bph_rdb_abuse_asn(ai->db, ai->asn, &ab, 1) > 0;
	if (abuse)
		bph_abuse_describe(&ab, how, sizeof(how));
	return json_pack(
	    "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "asn", (json_int_t)ai->asn,
	    "name", jtext(i.name), "org_id", jtext(i.org_id), "org_name",
	    jtext(i.org_name), "country", jtext(i.country), "siblings",
	    as_list(ai->db, sib, ns < 256 ? ns : 256), "listed", lists,
	    "abuse_mailbox", abuse ? jtext(ab.mailbox) : json_null(),
	    "abuse_found_by", abuse ? jtext(how) : json_null());
}

static json_t *timeline_json(const struct timeline *t, bool rel)
{
	json_t *a = json_array();
	char buf[BPH_RANGE_STRLEN];

	for (size_t i = 0; i < t->n; i++) {
		const struct point *p = &t->v[i];
		json_t *set = json_array();
		for (size_t j = 0; rel && j < p->n_asns; j++)
			json_array_append_new(set, json_integer(p->asns[j]));
		for (size_t j = 0; !rel && j < p->n_nets; j++) {
			bph_range_format(&p->nets[j], buf);
			json_array_append_new(set, json_string(buf));
		}
		json_array_append_new(
		    a, json_pack("{s:s,s:o,s:o}", "date", p->date,
				 rel ? "providers" : "prefixes", set, "files",
				 jtext(p->files)));
	}
	return a;
}

static json_t *history_json(const struct asinfo *ai)
{
	const struct bph_as_history *h = &ai->hist;
	json_t *s = json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:f,s:o,s:I,s:I,s:f,s:f,s:o}",
	    "rel_snapshots", (json_int_t)h->rel_snapshots, "pfx_snapshots",
	    (json_int_t)h->pfx_snapshots, "distinct_providers",
	    (json_int_t)h->distinct_providers, "provider_changes",
	    (json_int_t)h->provider_changes, "provider_additions",
	    (json_int_t)h->provider_additions, "new_provider_additions",
	    (json_int_t)h->new_provider_additions, "new_provider_share",
	    h->new_provider_share, "provider_link_lifetimes",
	    lifetimes_json(&h->provider_links), "distinct_prefixes",
	    (json_int_t)h->distinct_prefixes, "origin_drops",
	    (json_int_t)h->origin_drops, "uptime", h->uptime, "moas_share",
	    h->moas_share, "announcement_lifetimes",
	    lifetimes_json(&h->announcements));
	return json_pack("{s:o,s:o,s:o}", "upstream_timeline",
			 timeline_json(&ai->rel, true), "origin_timeline",
			 timeline_json(&ai->pfx, false), "signals", s);
}

static json_t *sources_json(const struct bph_rdb *db)
{
	json_t *a = json_array();

	for (size_t i = 0; i < bph_rdb_n_sources(db); i++) {
		const struct bph_rsource *s = bph_rdb_source(db, i);
		json_array_append_new(
		    a, json_pack("{s:s,s:o,s:s,s:o}", "kind",
				 bph_kind_name(s->kind), "name", jtext(s->name),
				 "date", s->date, "file", jtext(s->file)));
	}
	return a;
}

static json_t *report(const struct asinfo *ai)
{
	json_t *o = identity_json(ai);

	json_object_set_new(o, "prefixes", prefixes_json(ai));
	json_object_set_new(o, "providers",
			    neighbours_json(ai, BPH_REL_PROVIDERS));
	json_object_set_new(o, "customers",
			    neighbours_json(ai, BPH_REL_CUSTOMERS));
	json_object_set_new(o, "peers", neighbours_json(ai, BPH_REL_PEERS));
	json_object_set_new(o, "space", space_json(ai));
	json_object_set_new(o, "leased", leased_json(ai));
	if (ai->history)
		json_object_set_new(o, "history", history_json(ai));
	json_object_set_new(o, "sources", sources_json(ai->db));
	return o;
}

/* ---- text ---- */

static void print_ases(const char *what, json_t *a)
{
	size_t i;
	json_t *v;

	printf("  %-10s", what);
	if (!json_array_size(a))
		fputs(" -", stdout);
	json_array_foreach(a, i, v)
	{
		printf("%s AS%" JSON_INTEGER_FORMAT " ", i ? "," : "",
		       json_integer_value(json_object_get(v, "asn")));
		bph_print_text(stdout,
			       json_string_value(json_object_get(v, "name")));
		if (json_is_true(json_object_get(v, "asn_drop")))
			fputs(" [on ASN-DROP]", stdout);
	}
	fputc('\n', stdout);
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static double num(json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void print_identity(json_t *o)
{
	size_t i;
	json_t *v;

	printf("AS%" JSON_INTEGER_FORMAT " ",
	       json_integer_value(json_object_get(o, "asn")));
	bph_print_text(stdout, str(o, "name"));
	fputs("\n  org        ", stdout);
	bph_print_text(stdout, str(o, "org_name"));
	printf(" (%s, %s)\n", str(o, "org_id"), str(o, "country"));
	print_ases("siblings", json_object_get(o, "siblings"));
	if (str(o, "abuse_mailbox")[0]) {
		fputs("  abuse      ", stdout);
		bph_print_text(stdout, str(o, "abuse_mailbox"));
		fputs(" (", stdout);
		bph_print_text(stdout, str(o, "abuse_found_by"));
		fputs(")\n", stdout);
	}
	json_array_foreach(json_object_get(o, "listed"), i, v)
	{
		printf("  listed     %s (%s)\n", str(v, "list"),
		       str(v, "list_date"));
	}
}

static void print_space(json_t *s)
{
	printf("  space      %" JSON_INTEGER_FORMAT " IPv4 prefixes (%.0f "
	       "addresses), %.1f%% in /24 or longer, %.1f%% bogon",
	       json_integer_value(json_object_get(s, "prefixes_v4")),
	       num(s, "v4_addresses"), 100 * num(s, "share_in_24s"),
	       100 * num(s, "bogon_share"));
	if (json_is_null(json_object_get(s, "unassigned_share")))
		fputs(", unassigned: no delegated data\n", stdout);
	else
		printf(", %.1f%% unassigned\n",
		       100 * num(s, "unassigned_share"));
}

static void print_timeline(const char *what, json_t *t, const char *key)
{
	size_t i, j;
	json_t *p, *v;

	printf("  %s:\n", what);
	json_array_foreach(t, i, p)
	{
		printf("    %s ", str(p, "date"));
		json_array_foreach(json_object_get(p, key), j, v)
		{
			if (json_is_integer(v))
				printf(" AS%" JSON_INTEGER_FORMAT,
				       json_integer_value(v));
			else
				printf(" %s", json_string_value(v));
		}
		if (!json_array_size(json_object_get(p, key)))
			fputs(" (none)", stdout);
		fputs("   [", stdout);
		bph_print_text(stdout, str(p, "files"));
		fputs("]\n", stdout);
	}
}

static void print_lifetimes(const char *what, json_t *l)
{
	printf("    %s: %" JSON_INTEGER_FORMAT " runs (%" JSON_INTEGER_FORMAT
	       " ongoing), median %.0f days, min %.0f, max %.0f\n",
	       what, json_integer_value(json_object_get(l, "runs")),
	       json_integer_value(json_object_get(l, "ongoing")),
	       num(l, "median_days"), num(l, "min_days"), num(l, "max_days"));
}

static void print_history(json_t *h)
{
	json_t *s = json_object_get(h, "signals");

	print_timeline("upstream timeline (as-rel)",
		       json_object_get(h, "upstream_timeline"), "providers");
	print_timeline("origin timeline (pfx2as)",
		       json_object_get(h, "origin_timeline"), "prefixes");
	printf("  signals:\n    distinct providers: %.0f over %.0f as-rel "
	       "snapshots; provider-set changes: %.0f\n"
	       "    provider additions: %.0f, never seen before: %.0f "
	       "(share %.2f)\n",
	       num(s, "distinct_providers"), num(s, "rel_snapshots"),
	       num(s, "provider_changes"), num(s, "provider_additions"),
	       num(s, "new_provider_additions"), num(s, "new_provider_share"));
	print_lifetimes("provider links",
			json_object_get(s, "provider_link_lifetimes"));
	printf("    distinct prefixes: %.0f over %.0f pfx2as snapshots; "
	       "origin drops: %.0f; uptime %.2f; MOAS share %.2f\n",
	       num(s, "distinct_prefixes"), num(s, "pfx_snapshots"),
	       num(s, "origin_drops"), num(s, "uptime"), num(s, "moas_share"));
	print_lifetimes("prefix announcements",
			json_object_get(s, "announcement_lifetimes"));
}

static void print_report(json_t *o)
{
	size_t i;
	json_t *v;

	print_identity(o);
	printf("  prefixes   %zu:",
	       json_array_size(json_object_get(o, "prefixes")));
	json_array_foreach(json_object_get(o, "prefixes"), i, v)
	{
		printf(" %s", json_string_value(v));
	}
	fputc('\n', stdout);
	print_ases("providers", json_object_get(o, "providers"));
	print_ases("customers", json_object_get(o, "customers"));
	print_ases("peers", json_object_get(o, "peers"));
	print_space(json_object_get(o, "space"));
	json_array_foreach(json_object_get(o, "leased"), i, v)
	{
		printf("  leased     %s in %s %s (%s), held by %s (AS%" PRId64
		       ")\n",
		       str(v, "prefix"), str(v, "status"), str(v, "inetnum"),
		       str(v, "netname"), str(v, "holder_org"),
		       (int64_t)num(v, "holder_asn"));
	}
	if (json_object_get(o, "history"))
		print_history(json_object_get(o, "history"));
	fputs("  from:\n", stdout);
	json_array_foreach(json_object_get(o, "sources"), i, v)
	{
		printf("    %-9s %s %s  ", str(v, "kind"), str(v, "date"),
		       str(v, "name"));
		bph_print_text(stdout, str(v, "file"));
		fputc('\n', stdout);
	}
}

/* "AS64500", "as64500" or "64500". */
static bool parse_as(const char *s, uint32_t *asn)
{
	char *end;
	unsigned long long v;

	if (!strncasecmp(s, "AS", 2))
		s += 2;
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 10)
		return false;
	v = strtoull(s, &end, 10);
	*asn = (uint32_t)v;
	return v <= UINT32_MAX;
}

static int run(const struct bph_opts *o, struct bph_store *st,
	       struct asinfo *ai)
{
	char err[256] = "";
	struct bph_rdb *db = NULL;
	int rc = bph_data_load(st, BPH_KINDS_ALL, &db, err, sizeof(err));

	if (rc)
		return bph_cli_fail("asinfo", rc, err);
	ai->db = db;
	rc = bph_rdb_prefixes_of(db, ai->asn, add_prefix, ai);
	if (!rc && ai->history)
		rc = gather_history(st, ai);
	if (!rc) {
		json_t *j = report(ai);
		if (o->json)
			rc = json_dumpf(j, stdout, JSON_INDENT(2)) ? BPH_ERR_IO
								   : 0;
		else
			print_report(j);
		if (o->json)
			fputc('\n', stdout);
		json_decref(j);
	}
	bph_rdb_free(db);
	return rc ? bph_cli_fail("asinfo", rc, NULL) : 0;
}

int bph_cmd_asinfo(const struct bph_opts *o)
{
	struct asinfo ai = {.history = o->history};
	struct bph_store *st = NULL;
	int status;

	if (o->n_args != 1 || !parse_as(o->args[0], &ai.asn)) {
		fprintf(stderr,
			"bphound asinfo: one AS is required (AS64500 "
			"or 64500)%s%s\n",
			o->n_args ? ", not " : "", o->n_args ? o->args[0] : "");
		return BPH_EXIT_USAGE;
	}
	if ((status = bph_cli_open_store_ro(o, &st)))
		return status;
	status = run(o, st, &ai);
	bph_store_close(st);
	free(ai.prefixes);
	free_timeline(&ai.rel);
	free_timeline(&ai.pfx);
	return status;
}
