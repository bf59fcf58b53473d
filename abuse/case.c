/*
 * case.c - an abuse case from one cluster of a clustering: hosts with
 * what they showed, links with the values they share, and the lookups
 * that fill in contacts, upstreams and list entries. Contracts in
 * abuse/case.h.
 */
#include "abuse/case.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

long bph_abuse_case_find(const struct bph_clustering *c, const char *seed,
			 uint32_t id)
{
	if (seed) {
		long h = bph_clustering_host(c, seed);
		return h < 0 ? -1 : (long)c->cluster_of[h];
	}
	for (size_t i = 0; i < c->n_clusters; i++)
		if (c->clusters[i].id == id)
			return (long)i;
	return -1;
}

/* Which artifacts lie on a link of cluster cl (a new array of n_arts). */
static bool *shared_arts(const struct bph_clustering *c,
			 const struct bph_cluster *cl)
{
	bool *on = calloc(c->n_arts ? c->n_arts : 1, sizeof(*on));
	for (size_t i = 0; on && i < cl->n_links; i++) {
		const struct bph_link *l = &c->links[cl->links[i]];
		for (size_t k = 0; k < l->n_ev; k++)
			on[l->ev[k].art] = true;
	}
	return on;
}

static int fill_host(const struct bph_clustering *c, uint32_t h,
		     const bool *shared, struct bph_abuse_host *out)
{
	size_t lo = c->inc_off[h], hi = c->inc_off[h + 1];
	out->ip = c->hosts[h];
	out->obs = calloc(hi > lo ? hi - lo : 1, sizeof(*out->obs));
	if (!out->obs)
		return BPH_ERR_NOMEM;
	for (size_t i = lo; i < hi; i++) {
		const struct bph_incidence *in = &c->inc[i];
		const struct bph_art_stat *a = &c->arts[in->art];
		struct bph_abuse_obs *o = &out->obs[out->n_obs++];
		o->kind = a->kind;
		o->value = a->value;
		o->port = in->port;
		o->first_seen = in->first_seen;
		o->last_seen = in->last_seen;
		o->df = a->df;
		o->shared = shared[in->art];
		if (in->first_seen &&
		    (!out->first_seen || in->first_seen < out->first_seen))
			out->first_seen = in->first_seen;
		if (in->last_seen > out->last_seen)
			out->last_seen = in->last_seen;
	}
	return 0;
}

/* The case index of clustering host h: its place in the cluster's sorted
 * host indices. */
static size_t case_index(const struct bph_cluster *cl, uint32_t h)
{
	size_t lo = 0, hi = cl->n_hosts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cl->hosts[mid] < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int fill_link(const struct bph_clustering *c, const struct bph_link *l,
		     const struct bph_cluster *cl, struct bph_abuse_link *out)
{
	out->a = case_index(cl, l->a);
	out->b = case_index(cl, l->b);
	out->score = l->score;
	bph_link_label(c, l, out->rule);
	out->ev = calloc(l->n_ev ? l->n_ev : 1, sizeof(*out->ev));
	if (!out->ev)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < l->n_ev; i++) {
		const struct bph_art_stat *a = &c->arts[l->ev[i].art];
		struct bph_abuse_shared *e = &out->ev[out->n_ev++];
		e->kind = a->kind;
		e->value = a->value;
		e->port_a = l->ev[i].port_a;
		e->port_b = l->ev[i].port_b;
		e->df = a->df;
		e->weight = a->weight;
		e->rule = l->ev[i].rule;
	}
	return 0;
}

static int fill_case(const struct bph_clustering *c,
		     const struct bph_cluster *cl, struct bph_abuse_case *k)
{
	bool *shared = shared_arts(c, cl);
	int rc = shared ? 0 : BPH_ERR_NOMEM;
	k->hosts = calloc(cl->n_hosts ? cl->n_hosts : 1, sizeof(*k->hosts));
	k->links = calloc(cl->n_links ? cl->n_links : 1, sizeof(*k->links));
	if (!k->hosts || !k->links)
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < cl->n_hosts; i++) {
		rc = fill_host(c, cl->hosts[i], shared, &k->hosts[i]);
		k->n_hosts += !rc;
		if (k->hosts[i].last_seen > k->last_seen)
			k->last_seen = k->hosts[i].last_seen;
	}
	for (size_t i = 0; !rc && i < cl->n_links; i++) {
		rc = fill_link(c, &c->links[cl->links[i]], cl, &k->links[i]);
		k->n_links += !rc;
	}
	free(shared);
	return rc;
}

int bph_abuse_case_new(const struct bph_clustering *c, size_t ci,
		       struct bph_abuse_case **out)
{
	struct bph_abuse_case *k;
	int rc;
	if (ci >= c->n_clusters)
		return BPH_ERR_USAGE;
	k = calloc(1, sizeof(*k));
	if (!k)
		return BPH_ERR_NOMEM;
	k->cluster = c->clusters[ci].id;
	k->n_clusters = c->n_clusters;
	rc = fill_case(c, &c->clusters[ci], k);
	if (rc) {
		bph_abuse_case_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void bph_abuse_case_free(struct bph_abuse_case *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_hosts; i++) {
		free(k->hosts[i].obs);
		free(k->hosts[i].up);
		free(k->hosts[i].listed);
	}
	for (size_t i = 0; i < k->n_links; i++)
		free(k->links[i].ev);
	free(k->hosts);
	free(k->links);
	free(k);
}

/* "Not found" (BPH_ERR_USAGE) leaves the host's data empty. */
static int lookup_host(struct bph_abuse_host *h,
		       const struct bph_abuse_lookup *l)
{
	int rc = 0;
	if (l->contact) {
		rc = l->contact(l->ctx, h->ip, &h->contact);
		if (rc == BPH_ERR_USAGE) {
			memset(&h->contact, 0, sizeof(h->contact));
			rc = 0;
		}
	}
	if (!rc && l->upstreams) {
		rc = l->upstreams(l->ctx, h->ip, &h->up, &h->n_up);
		rc = rc == BPH_ERR_USAGE ? 0 : rc;
	}
	if (!rc && l->listings) {
		rc = l->listings(l->ctx, h->ip, &h->listed, &h->n_listed);
		rc = rc == BPH_ERR_USAGE ? 0 : rc;
	}
	return rc;
}

int bph_abuse_case_lookup(struct bph_abuse_case *k,
			  const struct bph_abuse_lookup *l)
{
	for (size_t i = 0; i < k->n_hosts; i++) {
		int rc = lookup_host(&k->hosts[i], l);
		if (rc)
			return rc;
	}
	return 0;
}

/* Whether host h already lists kind:value among obs before index i. */
static bool seen_before(const struct bph_abuse_host *h, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (h->obs[k].shared &&
		    !strcmp(h->obs[k].kind, h->obs[i].kind) &&
		    !strcmp(h->obs[k].value, h->obs[i].value))
			return true;
	return false;
}

static int deny_host(const struct bph_abuse_case *k,
		     const struct bph_abuse_host *h, struct bph_denylist *d)
{
	struct bph_cidr c;
	long i;
	int rc = 0;
	if (bph_cidr_parse(h->ip, &c, NULL, NULL))
		return BPH_ERR_FORMAT;
	i = bph_denylist_add(d, &c, k->cluster, h->ip, NULL);
	if (i < 0)
		return (int)i;
	for (size_t o = 0; !rc && o < h->n_obs; o++)
		if (h->obs[o].shared && !seen_before(h, o))
			rc = bph_denylist_add_evidence(
			    d, (size_t)i, h->obs[o].kind, h->obs[o].value);
	for (size_t l = 0; !rc && l < h->n_listed; l++)
		rc = bph_denylist_add_listing(d, (size_t)i, &h->listed[l]);
	return rc;
}

int bph_abuse_case_deny(const struct bph_abuse_case *k, struct bph_denylist *d)
{
	for (size_t i = 0; i < k->n_hosts; i++) {
		int rc = deny_host(k, &k->hosts[i], d);
		if (rc)
			return rc;
	}
	return 0;
}
