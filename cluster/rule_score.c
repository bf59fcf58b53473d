/*
 * rule_score.c - the strong and score rules (docs/clustering.md "Link
 * rules" 1-2): every pair of hosts sharing a weighted artifact, its best
 * weight per family, and a link when a rule fires; first, artifacts
 * explained by a device default lose their weight. Contract in cluster.h.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

/* Candidate pair: the best artifact of each family both hosts share. */
struct pair {
	uint32_t a, b;
	int32_t best[BPH_FAM_COUNT]; /* artifact index or -1 */
	uint16_t pa[BPH_FAM_COUNT], pb[BPH_FAM_COUNT];
};

static struct pair *pair_get(struct run *r, uint32_t a, uint32_t b)
{
	uint32_t key[2] = {a, b}, ix = (uint32_t)r->n_pairs;
	int rc = bph_strmap_put(r->pair_ix, key, sizeof(key), &ix, NULL);

	if (rc < 0)
		return NULL;
	if (rc == 0)
		return &r->pairs[ix];
	if (r->n_pairs == r->cap_pairs) {
		size_t cap = r->cap_pairs ? r->cap_pairs * 2 : 64;
		struct pair *p = realloc(r->pairs, cap * sizeof(*p));
		if (!p)
			return NULL;
		bph_advise_huge(p, cap * sizeof(*p));
		r->pairs = p;
		r->cap_pairs = cap;
	}
	struct pair *p = &r->pairs[r->n_pairs++];
	p->a = a;
	p->b = b;
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		p->best[f] = -1;
	return p;
}

/* Offers artifact art (ports pa on a, pb on b) to the pair's family slot. */
static int offer(struct run *r, uint32_t art, uint32_t a, uint16_t pa,
		 uint32_t b, uint16_t pb)
{
	const struct bph_art_stat *s = &r->c->arts[art];
	enum bph_family f = s->info->family;
	struct pair *p = pair_get(r, a, b);

	if (!p)
		return BPH_ERR_NOMEM;
	if (p->best[f] < 0 || r->c->arts[p->best[f]].weight < s->weight) {
		p->best[f] = (int32_t)art;
		p->pa[f] = pa;
		p->pb[f] = pb;
	}
	return 0;
}

static const char why_default[] =
    "only on hosts that all share one over-cap key or certificate "
    "(a device or image default)";

/* Whether every holder rows[0..df) also carries one over-cap strong
 * artifact (the vendor key of a device whose certificate we look at). */
static bool implied_by_default(const struct run *r, const struct art_row *rows,
			       size_t df)
{
	const struct bph_clustering *c = r->c;
	uint32_t h0 = rows[0].host;

	for (size_t i = c->inc_off[h0]; i < c->inc_off[h0 + 1]; i++) {
		const struct bph_art_stat *d = &c->arts[c->inc[i].art];
		size_t k = 1;
		if (c->inc[i].art == rows[0].art || !d->info ||
		    d->info->strength != BPH_STRONG ||
		    d->why_zero != bph_cl_why_cap)
			continue;
		while (k < df &&
		       bph_clustering_host_has(c, rows[k].host, c->inc[i].art))
			k++;
		if (k == df)
			return true;
	}
	return false;
}

/* Zeroes the weight of artifacts explained by a shared default. */
static void suppress_defaults(struct run *r)
{
	for (size_t i = 0, j; i < r->n_by_art; i = j) {
		struct bph_art_stat *s = &r->c->arts[r->by_art[i].art];
		for (j = i;
		     j < r->n_by_art && r->by_art[j].art == r->by_art[i].art;
		     j++)
			;
		if (s->weight > 0 &&
		    implied_by_default(r, &r->by_art[i], j - i)) {
			s->weight = 0;
			s->why_zero = why_default;
		}
	}
}

/* Enumerates host pairs of each weighted artifact (df is capped). */
static int collect_pairs(struct run *r)
{
	struct bph_clustering *c = r->c;
	const struct art_row *v = r->by_art;
	size_t i = 0, n = r->n_by_art;
	int rc = 0;

	if (!(r->pair_ix = bph_strmap_new()))
		return BPH_ERR_NOMEM;
	suppress_defaults(r);
	while (i < n && !rc) {
		size_t j = i;
		while (j < n && v[j].art == v[i].art)
			j++;
		for (size_t x = i; x < j && !rc && c->arts[v[i].art].weight > 0;
		     x++)
			for (size_t y = x + 1; y < j && !rc; y++)
				rc = offer(r, v[i].art, v[x].host, v[x].port,
					   v[y].host, v[y].port);
		i = j;
	}
	return rc;
}

/* Sums the pair's best weight per family; *strong: first strong kind. */
static double pair_score(const struct bph_clustering *c, const struct pair *p,
			 int *fams, int *nonweak,
			 const struct bph_kind_info **strong)
{
	double score = 0;

	*fams = *nonweak = 0;
	*strong = NULL;
	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		if (p->best[f] < 0)
			continue;
		const struct bph_art_stat *s = &c->arts[p->best[f]];
		const struct bph_kind_info *k = s->info;
		score += s->weight;
		(*fams)++;
		*nonweak += k->strength != BPH_WEAK;
		if (k->strength == BPH_STRONG && !*strong)
			*strong = k;
	}
	return score;
}

/* Fills l's evidence from the pair: one entry per family, by weight. */
static void fill_evidence(const struct bph_clustering *c, const struct pair *p,
			  struct bph_link *l)
{
	bool swap = p->a > p->b;

	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		if (p->best[f] < 0)
			continue;
		struct bph_evidence *e = &l->ev[l->n_ev++];
		const struct bph_kind_info *k = c->arts[p->best[f]].info;
		e->art = (uint32_t)p->best[f];
		e->port_a = swap ? p->pb[f] : p->pa[f];
		e->port_b = swap ? p->pa[f] : p->pb[f];
		e->rule = k->strength == BPH_STRONG ? BPH_RULE_STRONG
						    : BPH_RULE_SCORE;
		bph_cl_seen_window(c, e->art, l->a, l->b, e);
	}
	qsort_r(l->ev, l->n_ev, sizeof(*l->ev), bph_cl_cmp_ev_weight,
		(void *)c);
}

/* Decides one pair; appends a link to c when a rule fires. */
static int decide(struct run *r, const struct pair *p)
{
	struct bph_clustering *c = r->c;
	const struct bph_kind_info *strong;
	struct bph_link *l;
	int fams, nonweak;
	double score = pair_score(c, p, &fams, &nonweak, &strong);

	if (!strong && (score < r->o->threshold || fams < 2 || !nonweak))
		return 0;
	l = &c->links[c->n_links];
	l->ev = calloc((size_t)fams, sizeof(*l->ev));
	if (!l->ev)
		return BPH_ERR_NOMEM;
	c->n_links++;
	l->a = p->a < p->b ? p->a : p->b;
	l->b = p->a < p->b ? p->b : p->a;
	l->score = score;
	l->rule = strong ? BPH_RULE_STRONG : BPH_RULE_SCORE;
	l->strong_kind = strong ? strong->kind : NULL;
	fill_evidence(c, p, l);
	return 0;
}

static int make_links(struct run *r)
{
	struct bph_clustering *c = r->c;
	int rc = 0;

	r->cap_links = r->n_pairs + 1;
	c->links = calloc(r->cap_links, sizeof(*c->links));
	if (!c->links)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < r->n_pairs && !rc; i++)
		rc = decide(r, &r->pairs[i]);
	qsort(c->links, c->n_links, sizeof(*c->links), bph_cl_cmp_link);
	return rc;
}

int bph_cl_score_rules(struct run *r)
{
	int rc = collect_pairs(r);

	return rc ? rc : make_links(r);
}
