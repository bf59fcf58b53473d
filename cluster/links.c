/*
 * links.c - helpers the rules share (cluster_int.h): appending links,
 * an artifact's sighting window, the clusters the links made so far, the
 * cluster holding most of an artifact's holders, and the comparators.
 * They call nothing else in cluster/ but the union-find.
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/unionfind.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

bool bph_clustering_host_has(const struct bph_clustering *c, uint32_t h,
			     uint32_t art)
{
	size_t lo = c->inc_off[h], hi = c->inc_off[h + 1];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->inc[mid].art == art)
			return true;
		if (c->inc[mid].art < art)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Earliest first and latest last sighting of art on hosts a and b. */
void bph_cl_seen_window(const struct bph_clustering *c, uint32_t art,
			uint32_t a, uint32_t b, struct bph_evidence *e)
{
	uint32_t hs[2] = {a, b};

	e->first_seen = INT64_MAX;
	e->last_seen = INT64_MIN;
	for (int k = 0; k < 2; k++) {
		for (size_t i = c->inc_off[hs[k]]; i < c->inc_off[hs[k] + 1];
		     i++) {
			if (c->inc[i].art != art)
				continue;
			if (c->inc[i].first_seen < e->first_seen)
				e->first_seen = c->inc[i].first_seen;
			if (c->inc[i].last_seen > e->last_seen)
				e->last_seen = c->inc[i].last_seen;
		}
	}
}

int bph_cl_cmp_ev_weight(const void *x, const void *y, void *arg)
{
	const struct bph_clustering *c = arg;
	double a = c->arts[((const struct bph_evidence *)x)->art].weight;
	double b = c->arts[((const struct bph_evidence *)y)->art].weight;

	return (a < b) - (a > b);
}

int bph_cl_cmp_link(const void *x, const void *y)
{
	const struct bph_link *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

int bph_cl_cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	if (a->root != b->root)
		return a->root < b->root ? -1 : 1;
	return (a->art > b->art) - (a->art < b->art);
}

int bph_cl_cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

int bph_cl_push_cand(struct cand **v, size_t *n, size_t *cap, struct cand c)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct cand *p = realloc(*v, ncap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		*v = p;
		*cap = ncap;
	}
	(*v)[(*n)++] = c;
	return 0;
}

/* The root holding most of rows[0..df) (roots in tmp), and its count. */
uint32_t bph_cl_main_root(const struct art_row *rows, size_t df,
			  const uint32_t *root, uint32_t *tmp, size_t *best)
{
	uint32_t r = UINT32_MAX;

	for (size_t i = 0; i < df; i++)
		tmp[i] = root[rows[i].host];
	qsort(tmp, df, sizeof(*tmp), bph_cl_cmp_u32);
	*best = 0;
	for (size_t i = 0, j; i < df; i = j) {
		for (j = i; j < df && tmp[j] == tmp[i]; j++)
			;
		if (j - i > *best) {
			*best = j - i;
			r = tmp[i];
		}
	}
	return r;
}

/* Roots of the clusters the links made so far, one per host. */
uint32_t *bph_cl_link_roots(const struct bph_clustering *c)
{
	struct bph_uf uf;
	uint32_t *root = malloc((c->n_hosts + 1) * sizeof(uint32_t));
	uint32_t *least = malloc((c->n_hosts + 1) * sizeof(uint32_t));

	bph_advise_huge(root, (c->n_hosts + 1) * sizeof(uint32_t));
	bph_advise_huge(least, (c->n_hosts + 1) * sizeof(uint32_t));

	if (!root || !least || bph_uf_init(&uf, c->n_hosts)) {
		free(root);
		free(least);
		return NULL;
	}
	for (size_t i = 0; i < c->n_links; i++)
		bph_uf_union(&uf, c->links[i].a, c->links[i].b);
	/* a cluster is named by its first host in address order, not by
	 * the union-find's root: ties between clusters are then broken the
	 * same way whatever other hosts a clustering holds */
	for (uint32_t h = 0; h < c->n_hosts; h++)
		least[h] = UINT32_MAX;
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		uint32_t r = bph_uf_find(&uf, h);
		if (least[r] == UINT32_MAX)
			least[r] = h;
		root[h] = least[r];
	}
	bph_uf_free(&uf);
	free(least);
	return root;
}

struct bph_link *bph_cl_new_link(struct run *r, size_t n_ev)
{
	struct bph_clustering *c = r->c;
	struct bph_link *l;

	if (c->n_links == r->cap_links) {
		size_t cap = r->cap_links * 2;
		l = realloc(c->links, cap * sizeof(*l));
		if (!l)
			return NULL;
		c->links = l;
		r->cap_links = cap;
	}
	l = &c->links[c->n_links];
	memset(l, 0, sizeof(*l));
	if (!(l->ev = calloc(n_ev, sizeof(*l->ev))))
		return NULL;
	c->n_links++;
	return l;
}
