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
