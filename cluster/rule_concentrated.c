/*
 * rule_concentrated.c - the concentrated rule (docs/clustering.md "Link
 * rules" 3): an over-cap artifact whose holders are mostly in one
 * cluster is that cluster's, and a stray holder joins it on two non-weak
 * families or a strong one. Contract in cluster.h.
 */
#include <math.h>
#include <stdlib.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"

/* Candidates of one over-cap artifact (rows: its holders, by host). */
static int art_cands(struct run *r, const struct art_row *rows, size_t df,
		     const uint32_t *root, uint32_t *tmp, struct cand **v,
		     size_t *n, size_t *cap)
{
	struct bph_art_stat *s = &r->c->arts[rows[0].art];
	size_t best, rep = 0;
	uint32_t main = bph_cl_main_root(rows, df, root, tmp, &best);
	int rc = 0;

	/* the store's count: one seed's clustering may not hold them all */
	s->main_share = (float)best / (float)s->df;
	if (best < 3 || s->main_share < r->o->majority)
		return 0;
	s->concentrated = true;
	s->why_zero = NULL;
	s->weight = r->o->strength[s->info->strength] *
		    log((double)r->c->n_total / (double)s->df);
	while (root[rows[rep].host] != main)
		rep++;
	for (size_t i = 0; i < df && !rc; i++)
		if (root[rows[i].host] != main)
			rc = bph_cl_push_cand(
			    v, n, cap,
			    (struct cand){rows[i].host, main, rows[rep].host,
					  rows[i].art, rows[i].port,
					  rows[rep].port});
	return rc;
}

static bool may_concentrate(const struct run *r, const struct bph_art_stat *s)
{
	return s->info && s->info->strength != BPH_WEAK &&
	       s->why_zero == bph_cl_why_cap &&
	       s->df <= r->o->max_concentrated && r->o->majority <= 1.0;
}

/* One link for the candidates g[0..n) (same host, same cluster), when
 * they cover a strong family or two non-weak families. */
static int attach(struct run *r, const struct cand *g, size_t n)
{
	const struct bph_art_stat *arts = r->c->arts;
	unsigned fams = 0, nf = 0;
	bool strong = false;
	struct bph_link *l;

	for (size_t i = 0; i < n; i++) {
		const struct bph_kind_info *k = arts[g[i].art].info;
		nf += !(fams & 1u << k->family);
		fams |= 1u << k->family;
		strong |= k->strength == BPH_STRONG;
	}
	if (!strong && nf < 2)
		return 0;
	if (!(l = bph_cl_new_link(r, nf)))
		return BPH_ERR_NOMEM;
	l->a = g[0].host < g[0].rep ? g[0].host : g[0].rep;
	l->b = g[0].host < g[0].rep ? g[0].rep : g[0].host;
	l->rule = BPH_RULE_CONCENTRATED;
	fams = 0;
	for (size_t i = 0; i < n; i++) {
		enum bph_family f = arts[g[i].art].info->family;
		if (fams & 1u << f)
			continue;
		fams |= 1u << f;
		struct bph_evidence *e = &l->ev[l->n_ev++];
		bool swap = g[i].host > g[i].rep;
		e->art = g[i].art;
		e->port_a = swap ? g[i].port_rep : g[i].port_h;
		e->port_b = swap ? g[i].port_h : g[i].port_rep;
		e->rule = BPH_RULE_CONCENTRATED;
		bph_cl_seen_window(r->c, e->art, g[i].host, g[i].rep, e);
		l->score += arts[e->art].weight;
	}
	qsort_r(l->ev, l->n_ev, sizeof(*l->ev), bph_cl_cmp_ev_weight, r->c);
	return 0;
}

int bph_cl_concentrated_rule(struct run *r)
{
	uint32_t *root = bph_cl_link_roots(r->c);
	size_t most = r->o->max_concentrated < r->c->n_hosts
			  ? r->o->max_concentrated
			  : r->c->n_hosts; /* df <= both */
	uint32_t *tmp = malloc((most + 1) * sizeof(*tmp));
	struct cand *v = NULL;
	size_t n = 0, cap = 0;
	int rc = root && tmp ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0, j; !rc && i < r->n_by_art; i = j) {
		for (j = i;
		     j < r->n_by_art && r->by_art[j].art == r->by_art[i].art;
		     j++)
			;
		if (may_concentrate(r, &r->c->arts[r->by_art[i].art]))
			rc = art_cands(r, &r->by_art[i], j - i, root, tmp, &v,
				       &n, &cap);
	}
	if (!rc && n)
		qsort(v, n, sizeof(*v), bph_cl_cmp_cand);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		for (j = i;
		     j < n && v[j].host == v[i].host && v[j].root == v[i].root;
		     j++)
			;
		rc = attach(r, &v[i], j - i);
	}
	if (!rc)
		qsort(r->c->links, r->c->n_links, sizeof(*r->c->links),
		      bph_cl_cmp_link);
	free(root);
	free(tmp);
	free(v);
	return rc;
}
