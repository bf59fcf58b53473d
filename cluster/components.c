/*
 * components.c - the last stage: clusters are the connected components of
 * the links (union-find), largest first, and a score-rule link whose
 * removal splits its cluster flags it as held by a weak bridge (Tarjan).
 * Contract in cluster.h.
 */
#include <stdlib.h>

#include "cluster/cluster_int.h"
#include "cluster/unionfind.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

static int cmp_cluster(const void *x, const void *y)
{
	const struct bph_cluster *a = x, *b = y;

	if (a->n_hosts != b->n_hosts)
		return a->n_hosts < b->n_hosts ? 1 : -1;
	return (a->hosts[0] > b->hosts[0]) - (a->hosts[0] < b->hosts[0]);
}

/* Fills clusters[] from the union-find roots (largest first). */
static int fill_clusters(struct bph_clustering *c, struct bph_uf *uf)
{
	uint32_t *slot = malloc((c->n_hosts + 1) * sizeof(uint32_t));

	c->clusters = calloc(c->n_hosts + 1, sizeof(*c->clusters));
	bph_advise_huge(slot, (c->n_hosts + 1) * sizeof(uint32_t));
	bph_advise_huge(c->clusters, (c->n_hosts + 1) * sizeof(*c->clusters));
	if (!slot || !c->clusters) {
		free(slot);
		return BPH_ERR_NOMEM;
	}
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		uint32_t root = bph_uf_find(uf, h);
		if (root == h) {
			struct bph_cluster *k = &c->clusters[c->n_clusters];
			slot[h] = (uint32_t)c->n_clusters++;
			k->hosts = malloc(uf->size[h] * sizeof(uint32_t));
			if (!k->hosts) {
				free(slot);
				return BPH_ERR_NOMEM;
			}
		}
	}
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		struct bph_cluster *k = &c->clusters[slot[bph_uf_find(uf, h)]];
		k->hosts[k->n_hosts++] = h;
	}
	free(slot);
	qsort(c->clusters, c->n_clusters, sizeof(*c->clusters), cmp_cluster);
	for (size_t i = 0; i < c->n_clusters; i++) {
		c->clusters[i].id = (uint32_t)i + 1;
		for (size_t j = 0; j < c->clusters[i].n_hosts; j++)
			c->cluster_of[c->clusters[i].hosts[j]] = (uint32_t)i;
	}
	return 0;
}

static int cluster_links(struct bph_clustering *c)
{
	for (size_t i = 0; i < c->n_links; i++) {
		struct bph_cluster *k =
		    &c->clusters[c->cluster_of[c->links[i].a]];
		uint32_t *v = realloc(k->links, (k->n_links + 1) * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		k->links = v;
		k->links[k->n_links++] = (uint32_t)i;
	}
	return 0;
}

static int components(struct bph_clustering *c)
{
	struct bph_uf uf;
	int rc = bph_uf_init(&uf, c->n_hosts);

	if (rc)
		return rc;
	c->cluster_of = calloc(c->n_hosts + 1, sizeof(uint32_t));
	bph_advise_huge(c->cluster_of, (c->n_hosts + 1) * sizeof(uint32_t));
	if (!c->cluster_of)
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < c->n_links; i++)
		bph_uf_union(&uf, c->links[i].a, c->links[i].b);
	if (!rc)
		rc = fill_clusters(c, &uf);
	bph_uf_free(&uf);
	return rc ? rc : cluster_links(c);
}

/* Adjacency in CSR form: for host h, adj[off[h]..off[h+1]) are link ids. */
struct adj {
	size_t *off;
	uint32_t *edge;
};

static int build_adj(const struct bph_clustering *c, struct adj *g)
{
	size_t n = c->n_hosts, *fill;

	g->off = calloc(n + 2, sizeof(size_t));
	g->edge = malloc((2 * c->n_links + 1) * sizeof(uint32_t));
	fill = calloc(n + 1, sizeof(size_t));
	bph_advise_huge(g->off, (n + 2) * sizeof(size_t));
	bph_advise_huge(g->edge, (2 * c->n_links + 1) * sizeof(uint32_t));
	bph_advise_huge(fill, (n + 1) * sizeof(size_t));
	if (!g->off || !g->edge || !fill) {
		free(fill);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < c->n_links; i++) {
		g->off[c->links[i].a + 1]++;
		g->off[c->links[i].b + 1]++;
	}
	for (size_t h = 0; h < n; h++)
		g->off[h + 1] += g->off[h];
	for (size_t i = 0; i < c->n_links; i++) {
		uint32_t ends[2] = {c->links[i].a, c->links[i].b};
		for (int k = 0; k < 2; k++)
			g->edge[g->off[ends[k]] + fill[ends[k]]++] =
			    (uint32_t)i;
	}
	free(fill);
	return 0;
}

/* Iterative Tarjan bridge search from root; disc/low/it per host. */
static void bridges_from(struct bph_clustering *c, const struct adj *g,
			 uint32_t root, uint32_t *disc, uint32_t *low,
			 size_t *it, uint32_t *stack, uint32_t *via,
			 uint32_t *time)
{
	size_t sp = 0;

	stack[sp++] = root;
	via[root] = UINT32_MAX;
	disc[root] = low[root] = ++*time;
	while (sp) {
		uint32_t u = stack[sp - 1];
		if (it[u] < g->off[u + 1]) {
			uint32_t e = g->edge[it[u]++];
			uint32_t w =
			    c->links[e].a == u ? c->links[e].b : c->links[e].a;
			if (e == via[u])
				continue;
			if (disc[w]) {
				if (disc[w] < low[u])
					low[u] = disc[w];
				continue;
			}
			disc[w] = low[w] = ++*time;
			via[w] = e;
			stack[sp++] = w;
			continue;
		}
		sp--;
		if (via[u] == UINT32_MAX)
			continue;
		uint32_t parent = stack[sp - 1];
		if (low[u] < low[parent])
			low[parent] = low[u];
		if (low[u] > disc[parent])
			c->links[via[u]].bridge = true;
	}
}

static int find_bridges(struct bph_clustering *c)
{
	size_t n = c->n_hosts + 1;
	struct adj g = {NULL, NULL};
	uint32_t *disc = calloc(n, 4), *low = calloc(n, 4);
	uint32_t *stack = calloc(n, 4), *via = calloc(n, 4), time = 0;
	size_t *it = calloc(n, sizeof(size_t));

	bph_advise_huge(disc, n * 4);
	bph_advise_huge(low, n * 4);
	bph_advise_huge(stack, n * 4);
	bph_advise_huge(via, n * 4);
	bph_advise_huge(it, n * sizeof(size_t));
	int rc = disc && low && stack && via && it ? build_adj(c, &g)
						   : BPH_ERR_NOMEM;

	for (uint32_t h = 0; !rc && h < c->n_hosts; h++)
		it[h] = g.off[h];
	for (uint32_t h = 0; !rc && h < c->n_hosts; h++)
		if (!disc[h])
			bridges_from(c, &g, h, disc, low, it, stack, via,
				     &time);
	for (size_t i = 0; !rc && i < c->n_links; i++)
		if (c->links[i].bridge && c->links[i].rule == BPH_RULE_SCORE)
			c->clusters[c->cluster_of[c->links[i].a]].weak_bridge =
			    true;
	free(disc);
	free(low);
	free(stack);
	free(via);
	free(it);
	free(g.off);
	free(g.edge);
	return rc;
}

int bph_cl_components(struct bph_clustering *c)
{
	int rc = components(c);

	return rc ? rc : find_bridges(c);
}
