/*
 * lookup_ranges.c - the lookups of abuse/contacts.h over the routing,
 * registry and list data of ranges/rdb.h: the first mailbox in the RIPE
 * order that is a plain address (the ones before it are named in "how"),
 * the providers of every origin AS with their mailboxes and ASN-DROP
 * status, and the list entries with their licences.
 */
#include "abuse/lookup_ranges.h"

#include <stdlib.h>
#include <string.h>

#include "abuse/denylist.h"
#include "abuse/mime.h"
#include "fingerprints/err.h"
#include "ranges/rdb.h"

#define MAX_MAILBOXES 16
#define MAX_ORIGINS   16
#define MAX_UPSTREAMS 64
#define MAX_HITS      64

/* Picks the first usable mailbox of a[0..n) into c; how names the ones
 * skipped before it. Returns 0, or BPH_ERR_USAGE when none is usable. */
static int pick(const struct bph_abuse *a, size_t n,
		struct bph_abuse_contact *c)
{
	char skipped[256] = "";
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		if (!bph_mime_addr_ok(a[i].mailbox)) {
			char *t = bph_mime_text(a[i].mailbox, 60);
			if (used < sizeof(skipped))
				used += (size_t)snprintf(
				    skipped + used, sizeof(skipped) - used,
				    "%s'%s'", used ? ", " : "", t ? t : "?");
			free(t);
			continue;
		}
		snprintf(c->mailbox, sizeof(c->mailbox), "%s", a[i].mailbox);
		bph_abuse_describe(&a[i], c->how, sizeof(c->how));
		if (skipped[0]) {
			size_t k = strlen(c->how);
			snprintf(c->how + k, sizeof(c->how) - k,
				 "; skipped before it, not a plain address: %s",
				 skipped);
		}
		snprintf(c->resource, sizeof(c->resource), "%s", a[i].object);
		return 0;
	}
	if (n) /* mailboxes, none usable: say which */
		snprintf(c->how, sizeof(c->how),
			 "no usable mailbox (not plain addresses: %s)",
			 skipped);
	return BPH_ERR_USAGE;
}

static int parse(const char *ip, struct bph_addr *a)
{
	return bph_addr_parse(ip, strlen(ip), a) ? BPH_ERR_USAGE : 0;
}

static int contact(void *ctx, const char *ip, struct bph_abuse_contact *out)
{
	const struct bph_rdb *db = ctx;
	struct bph_abuse a[MAX_MAILBOXES];
	struct bph_inetnum in;
	struct bph_addr addr;
	size_t n;
	memset(out, 0, sizeof(*out));
	if (parse(ip, &addr))
		return BPH_ERR_USAGE;
	n = bph_rdb_abuse_addr(db, &addr, a, MAX_MAILBOXES);
	if (bph_rdb_inetnum(db, &addr, &in)) {
		char r[BPH_RANGE_STRLEN];
		bph_range_format(&in.net, r);
		snprintf(out->holder, sizeof(out->holder), "%s%s%s", in.netname,
			 in.org_name[0] ? ", " : "", in.org_name);
		snprintf(out->resource, sizeof(out->resource), "inetnum %s", r);
	}
	return pick(a, n < MAX_MAILBOXES ? n : MAX_MAILBOXES, out);
}

static void fill_upstream(const struct bph_rdb *db,
			  const struct bph_upstream *u, uint32_t origin,
			  struct bph_abuse_upstream *out)
{
	struct bph_abuse a[MAX_MAILBOXES];
	size_t n = bph_rdb_abuse_asn(db, u->asn, a, MAX_MAILBOXES);
	memset(out, 0, sizeof(*out));
	out->asn = u->asn;
	out->customer = origin;
	out->asndrop = u->asn_listed;
	snprintf(out->name, sizeof(out->name), "%s", u->name);
	pick(a, n < MAX_MAILBOXES ? n : MAX_MAILBOXES, &out->contact);
	snprintf(out->contact.holder, sizeof(out->contact.holder), "%s",
		 u->org_name);
}

static int upstreams(void *ctx, const char *ip, struct bph_abuse_upstream **out,
		     size_t *n_out)
{
	const struct bph_rdb *db = ctx;
	struct bph_route route;
	struct bph_addr addr;
	struct bph_upstream *u = calloc(MAX_UPSTREAMS, sizeof(*u));
	size_t n = 0;
	*out = NULL;
	*n_out = 0;
	if (!u)
		return BPH_ERR_NOMEM;
	if (parse(ip, &addr) || !bph_rdb_route(db, &addr, &route)) {
		free(u);
		return BPH_ERR_USAGE;
	}
	*out = calloc(MAX_UPSTREAMS, sizeof(**out));
	for (size_t o = 0; *out && o < route.n_origins && o < MAX_ORIGINS;
	     o++) {
		uint32_t asn = route.origins[o].asn;
		size_t k = bph_rdb_upstreams(db, asn, u, MAX_UPSTREAMS - n);
		for (size_t i = 0; i < k && n < MAX_UPSTREAMS; i++)
			fill_upstream(db, &u[i], asn, &(*out)[n++]);
	}
	free(u);
	if (!*out)
		return BPH_ERR_NOMEM;
	*n_out = n;
	return n ? 0 : BPH_ERR_USAGE;
}

static int listings(void *ctx, const char *ip, struct bph_abuse_listing **out,
		    size_t *n_out)
{
	const struct bph_rdb *db = ctx;
	struct bph_list_hit h[MAX_HITS];
	struct bph_addr addr;
	size_t n;
	*out = NULL;
	*n_out = 0;
	if (parse(ip, &addr))
		return BPH_ERR_USAGE;
	n = bph_rdb_listed(db, &addr, h, MAX_HITS);
	n = n < MAX_HITS ? n : MAX_HITS;
	if (!n)
		return BPH_ERR_USAGE;
	*out = calloc(n, sizeof(**out));
	if (!*out)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		struct bph_abuse_listing *l = &(*out)[i];
		snprintf(l->list, sizeof(l->list), "%s", h[i].list);
		snprintf(l->entry, sizeof(l->entry), "%s", h[i].entry);
		snprintf(l->id, sizeof(l->id), "%s", h[i].ref);
		snprintf(l->date, sizeof(l->date), "%s", h[i].date);
		snprintf(l->licence, sizeof(l->licence), "%s", h[i].licence);
		l->restricted = h[i].licence_flags & (BPH_LIC_NC | BPH_LIC_SA);
	}
	*n_out = n;
	return 0;
}

void bph_abuse_lookup_rdb(struct bph_abuse_lookup *l, const struct bph_rdb *db)
{
	l->ctx = (void *)db;
	l->contact = contact;
	l->upstreams = upstreams;
	l->listings = listings;
}

/* ---- deny lists: rank units, and the list entries behind sources ---- */

struct unit_key {
	uint32_t asn;	 /* BPH_UNIT_ASN */
	const char *org; /* BPH_UNIT_ORG */
	size_t unit;	 /* index into the units */
};

static int cmp_asn(const void *a, const void *b)
{
	const struct unit_key *x = a, *y = b;
	return x->asn < y->asn ? -1 : x->asn > y->asn;
}

static int cmp_org(const void *a, const void *b)
{
	return strcmp(((const struct unit_key *)a)->org,
		      ((const struct unit_key *)b)->org);
}

struct unit_walk {
	struct bph_denylist *d;
	const struct bph_rank_unit *u;
	struct unit_key *asns, *orgs;
	size_t n_asns, n_orgs;
	bool *matched;
};

static int add_prefix(struct unit_walk *w, const struct bph_range *net,
		      size_t unit)
{
	struct bph_cidr c = {net->fam, 0, net->first};
	int len = bph_range_prefix_len(net);
	long i;
	if (len < 0)
		return 0; /* pfx2as holds prefixes only */
	c.len = (uint8_t)len;
	i = bph_denylist_add(w->d, &c, 0, NULL, w->u[unit].text);
	if (i < 0)
		return (int)i;
	w->matched[unit] = true;
	return 0;
}

/* The units an origin AS belongs to: its own AS unit, its org's. */
static int origin_units(struct unit_walk *w, const struct bph_rdb *db,
			const struct bph_range *net, uint32_t asn)
{
	struct unit_key k = {.asn = asn}, *hit;
	struct bph_asinfo info;
	int rc = 0;
	hit = w->n_asns ? bsearch(&k, w->asns, w->n_asns, sizeof(k), cmp_asn)
			: NULL;
	if (hit)
		rc = add_prefix(w, net, hit->unit);
	if (!rc && w->n_orgs && bph_rdb_asinfo(db, asn, &info) &&
	    info.org_id[0]) {
		k.org = info.org_id;
		hit = bsearch(&k, w->orgs, w->n_orgs, sizeof(k), cmp_org);
		if (hit)
			rc = add_prefix(w, net, hit->unit);
	}
	return rc;
}

static int walk_prefixes(struct unit_walk *w, const struct bph_rdb *db)
{
	size_t n = bph_rdb_n_prefixes(db);
	int rc = 0;
	for (size_t id = 0; id < n && !rc; id++) {
		struct bph_route r;
		if (!bph_rdb_prefix(db, (int32_t)id, &r))
			continue;
		for (size_t o = 0; o < r.n_origins && !rc; o++)
			rc = origin_units(w, db, &r.prefix, r.origins[o].asn);
	}
	return rc;
}

static int index_units(struct unit_walk *w, size_t n)
{
	w->asns = calloc(n + 1, sizeof(*w->asns));
	w->orgs = calloc(n + 1, sizeof(*w->orgs));
	w->matched = calloc(n + 1, sizeof(*w->matched));
	if (!w->asns || !w->orgs || !w->matched)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (w->u[i].kind == BPH_UNIT_ASN)
			w->asns[w->n_asns++] =
			    (struct unit_key){w->u[i].asn, NULL, i};
		else if (w->u[i].kind == BPH_UNIT_ORG)
			w->orgs[w->n_orgs++] =
			    (struct unit_key){0, w->u[i].text, i};
	}
	qsort(w->asns, w->n_asns, sizeof(*w->asns), cmp_asn);
	qsort(w->orgs, w->n_orgs, sizeof(*w->orgs), cmp_org);
	return 0;
}

int bph_abuse_deny_units(struct bph_denylist *d, const struct bph_rank_unit *u,
			 size_t n, const struct bph_rdb *db, size_t *unmatched)
{
	struct unit_walk w = {.d = d, .u = u};
	int rc = index_units(&w, n);
	for (size_t i = 0; !rc && i < n; i++) {
		long k;
		if (u[i].kind != BPH_UNIT_PREFIX)
			continue;
		k = bph_denylist_add(d, &u[i].cidr, 0, NULL, u[i].text);
		rc = k < 0 ? (int)k : 0;
		w.matched[i] = true;
	}
	if (!rc && db && (w.n_asns || w.n_orgs))
		rc = walk_prefixes(&w, db);
	*unmatched = 0;
	for (size_t i = 0; !rc && i < n; i++)
		*unmatched += !w.matched[i];
	free(w.asns);
	free(w.orgs);
	free(w.matched);
	return rc;
}

/* Sources sorted by start with the largest end so far, so that the ones
 * overlapping a range are found by a binary search and a walk back while
 * that largest end still reaches the range. */
struct src_index {
	struct bph_denylist *d;
	size_t *order;
	struct bph_iprange *r; /* r[i]: range of source order[i] */
	bph_u128 *max_hi;      /* over r[0..i] of the same family */
	size_t n;
};

static int cmp_src(const void *a, const void *b, void *arg)
{
	const struct bph_denylist *d = arg;
	struct bph_iprange x =
	    bph_cidr_range(&d->sources[*(const size_t *)a].cidr);
	struct bph_iprange y =
	    bph_cidr_range(&d->sources[*(const size_t *)b].cidr);
	if (x.family != y.family)
		return x.family < y.family ? -1 : 1;
	return x.lo < y.lo ? -1 : x.lo > y.lo;
}

static int index_sources(struct bph_denylist *d, struct src_index *x)
{
	x->d = d;
	x->n = d->n_sources;
	x->order = calloc(x->n + 1, sizeof(*x->order));
	x->r = calloc(x->n + 1, sizeof(*x->r));
	x->max_hi = calloc(x->n + 1, sizeof(*x->max_hi));
	if (!x->order || !x->r || !x->max_hi)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < x->n; i++)
		x->order[i] = i;
	qsort_r(x->order, x->n, sizeof(*x->order), cmp_src, d);
	for (size_t i = 0; i < x->n; i++) {
		x->r[i] = bph_cidr_range(&d->sources[x->order[i]].cidr);
		x->max_hi[i] = x->r[i].hi;
		if (i && x->r[i - 1].family == x->r[i].family &&
		    x->max_hi[i - 1] > x->max_hi[i])
			x->max_hi[i] = x->max_hi[i - 1];
	}
	return 0;
}

static void free_index(struct src_index *x)
{
	free(x->order);
	free(x->r);
	free(x->max_hi);
}

/* The first index whose source starts after (fam, v). */
static size_t after(const struct src_index *x, uint8_t fam, bph_u128 v)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (x->r[mid].family < fam ||
		    (x->r[mid].family == fam && x->r[mid].lo <= v))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_hit(const struct bph_list_hit *h, void *arg)
{
	struct src_index *x = arg;
	struct bph_abuse_listing l;
	memset(&l, 0, sizeof(l));
	snprintf(l.list, sizeof(l.list), "%s", h->list);
	snprintf(l.entry, sizeof(l.entry), "%s", h->entry);
	snprintf(l.id, sizeof(l.id), "%s", h->ref);
	snprintf(l.date, sizeof(l.date), "%s", h->date);
	snprintf(l.licence, sizeof(l.licence), "%s", h->licence);
	l.restricted = h->licence_flags & (BPH_LIC_NC | BPH_LIC_SA);
	for (size_t i = after(x, h->net.fam, h->net.last); i-- > 0;) {
		if (x->r[i].family != h->net.fam || x->max_hi[i] < h->net.first)
			break;
		if (x->r[i].hi >= h->net.first &&
		    bph_denylist_add_listing(x->d, x->order[i], &l))
			return BPH_ERR_NOMEM;
	}
	return 0;
}

int bph_abuse_deny_listings(struct bph_denylist *d, const struct bph_rdb *db)
{
	struct src_index x;
	int rc = index_sources(d, &x);
	if (!rc)
		rc = bph_rdb_list_entries(db, NULL, 0, add_hit, &x);
	free_index(&x);
	return rc;
}
