/*
 * rdb_abuse.c - abuse mailboxes found the RIPE way (Abuse Finder order:
 * the resource's abuse-c, its organisation's abuse-c, its irt, then the
 * same on each less specific parent) and the upstreams of an AS with
 * their mailboxes and ASN-DROP status. Contracts in ranges/rdb.h; the
 * order is described in docs/guide.md ("From a cluster to its networks").
 */
#include "ranges/rdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ranges/ranges_int.h"

const char *bph_abuse_how_name(enum bph_abuse_how how)
{
	switch (how) {
	case BPH_ABUSE_VIA_ABUSE_C:
		return "abuse-c";
	case BPH_ABUSE_VIA_ORG:
		return "org abuse-c";
	case BPH_ABUSE_VIA_IRT:
		return "irt";
	case BPH_ABUSE_VIA_ATTRIBUTE:
		return "abuse-mailbox attribute";
	}
	return "?";
}

void bph_abuse_describe(const struct bph_abuse *a, char *buf, size_t len)
{
	char depth[32] = "";

	if (a->depth == 1)
		snprintf(depth, sizeof(depth), " (parent)");
	else if (a->depth > 1)
		snprintf(depth, sizeof(depth), " (parent %u up)", a->depth);
	switch (a->how) {
	case BPH_ABUSE_VIA_ABUSE_C:
		snprintf(buf, len, "abuse-c %s of %s%s", a->handle, a->object,
			 depth);
		break;
	case BPH_ABUSE_VIA_ORG:
		snprintf(buf, len,
			 "abuse-c %s of organisation %s (org of %s)%s",
			 a->handle[0] ? a->handle : "-", a->org_id, a->object,
			 depth);
		break;
	case BPH_ABUSE_VIA_IRT:
		snprintf(buf, len, "irt %s (mnt-irt of %s)%s", a->handle,
			 a->object, depth);
		break;
	default:
		snprintf(buf, len, "abuse-mailbox of %s%s", a->object, depth);
	}
}

/* Collects distinct mailboxes in order. */
struct found {
	struct bph_abuse *out;
	size_t max, n;
	const char *seen[64]; /* mailboxes kept, for de-duplication */
	size_t n_seen;
};

static void add(struct found *f, const struct bph_abuse *a)
{
	if (!a->mailbox[0])
		return;
	for (size_t i = 0; i < f->n_seen; i++)
		if (!strcasecmp(f->seen[i], a->mailbox))
			return;
	if (f->n_seen < sizeof(f->seen) / sizeof(f->seen[0]))
		f->seen[f->n_seen++] = a->mailbox;
	if (f->n < f->max)
		f->out[f->n] = *a;
	f->n++;
}

/* The role or irt with handle, or NULL. */
static const struct r_contact *contact(const struct bph_rdb *db,
				       const char *handle)
{
	long i = handle[0] ? bph_find_org(db, &db->contact, handle) : -1;
	return i >= 0 ? &VEC_AT(&db->contact, struct r_contact, i) : NULL;
}

/* abuse-c, org's abuse-c, irt, attribute: of one object. */
static void object_mailboxes(const struct bph_rdb *db, struct found *f,
			     struct bph_abuse *a, const char *abuse_c,
			     const char *org, const char *irt, const char *attr)
{
	const struct r_contact *c;
	long j;

	if ((c = contact(db, abuse_c))) {
		a->how = BPH_ABUSE_VIA_ABUSE_C;
		a->handle = abuse_c;
		a->mailbox = S(db, c->abuse_mailbox);
		add(f, a);
	}
	if (org[0] && (j = bph_find_org(db, &db->rpsl_org, org)) >= 0) {
		const struct r_rpsl_org *o =
		    &VEC_AT(&db->rpsl_org, struct r_rpsl_org, j);
		a->how = BPH_ABUSE_VIA_ORG;
		a->org_id = org;
		a->handle = S(db, o->abuse_c);
		c = contact(db, a->handle);
		a->mailbox = c ? S(db, c->abuse_mailbox) : "";
		add(f, a);
		a->mailbox = S(db, o->abuse_mailbox); /* old style */
		add(f, a);
		a->org_id = "";
	}
	if ((c = contact(db, irt))) {
		a->how = BPH_ABUSE_VIA_IRT;
		a->handle = irt;
		a->mailbox = S(db, c->abuse_mailbox);
		add(f, a);
	}
	a->how = BPH_ABUSE_VIA_ATTRIBUTE;
	a->handle = "";
	a->mailbox = attr;
	add(f, a);
}

size_t bph_rdb_abuse_addr(const struct bph_rdb *db, const struct bph_addr *ad,
			  struct bph_abuse *out, size_t max)
{
	struct found f = {.out = out, .max = max};
	struct bph_inetnum in;
	char range[BPH_RANGE_STRLEN];
	unsigned depth = 0;

	for (bool ok = bph_rdb_inetnum(db, ad, &in); ok;
	     ok = bph_rdb_inetnum_get(db, in.parent, &in), depth++) {
		struct bph_abuse a = {
		    .depth = depth, .src = in.src, .handle = "", .org_id = ""};
		bph_range_format(&in.net, range);
		snprintf(a.object, sizeof(a.object), "%s %s",
			 in.net.fam == BPH_FAM_V4 ? "inetnum" : "inet6num",
			 range);
		object_mailboxes(db, &f, &a, in.abuse_c, in.org, in.mnt_irt,
				 in.abuse_mailbox);
	}
	return f.n;
}

size_t bph_rdb_abuse_asn(const struct bph_rdb *db, uint32_t asn,
			 struct bph_abuse *out, size_t max)
{
	struct found f = {.out = out, .max = max};
	struct bph_abuse a = {.handle = "", .org_id = ""};
	struct bph_asinfo ai;
	long i = bph_find_asn(&db->autnum, 0, asn);

	snprintf(a.object, sizeof(a.object), "aut-num AS%u", asn);
	if (i >= 0) {
		const struct r_autnum *r =
		    &VEC_AT(&db->autnum, struct r_autnum, i);
		a.src = r->src;
		object_mailboxes(db, &f, &a, S(db, r->abuse_c),
				 S(db, r->org ? r->org : r->sponsoring_org),
				 S(db, r->mnt_irt), "");
	} else if (bph_rdb_asinfo(db, asn, &ai) && ai.org_id[0]) {
		/* no aut-num: the as2org organisation, if the dump has it */
		snprintf(a.object, sizeof(a.object), "as2org AS%u", asn);
		object_mailboxes(db, &f, &a, "", ai.org_id, "", "");
	}
	return f.n;
}

/* The serial-2 source column of the relation provider|asn|-1, "". */
static const char *rel_source(const struct bph_rdb *db, uint32_t provider,
			      uint32_t asn)
{
	/* rel_by_a is sorted by (a, b): a binary search for (provider, asn)
	 * (a provider may have thousands of customers) */
	size_t lo = bph_rel_lower(db, false, provider), hi = db->rel.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct r_rel *r =
		    &VEC_AT(&db->rel, struct r_rel, db->rel_by_a[mid]);
		if (r->a < provider || (r->a == provider && r->b < asn))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < db->rel.n; lo++) {
		const struct r_rel *r =
		    &VEC_AT(&db->rel, struct r_rel, db->rel_by_a[lo]);
		if (r->a != provider || r->b != asn)
			break;
		if (r->rel == -1)
			return S(db, r->source);
	}
	return "";
}

static void fill_upstream(const struct bph_rdb *db, uint32_t p, uint32_t asn,
			  struct bph_upstream *u)
{
	struct bph_asinfo ai;

	memset(u, 0, sizeof(*u));
	bph_rdb_asinfo(db, p, &ai);
	u->asn = p;
	u->name = ai.name;
	u->org_name = ai.org_name;
	u->rel_source = rel_source(db, p, asn);
	u->has_abuse = bph_rdb_abuse_asn(db, p, &u->abuse, 1) > 0;
	u->asn_listed = bph_rdb_asn_listed(db, p, &u->listing, 1) > 0;
}

size_t bph_rdb_upstreams(const struct bph_rdb *db, uint32_t asn,
			 struct bph_upstream *out, size_t max)
{
	size_t n = bph_rdb_neighbours(db, asn, BPH_REL_PROVIDERS, NULL, 0);
	uint32_t *p = malloc((n ? n : 1) * sizeof(*p));

	if (!p)
		return 0;
	n = bph_rdb_neighbours(db, asn, BPH_REL_PROVIDERS, p, n);
	for (size_t i = 0; i < n && i < max; i++)
		fill_upstream(db, p[i], asn, &out[i]);
	free(p);
	return n;
}
