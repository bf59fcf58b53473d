/*
 * community.c - communities inside large clusters, with libigraph.
 * The contract (objective, determinism, numbering) is in community.h;
 * docs/clustering.md "Splitting large clusters" has the figures.
 */
#include "cluster/community.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <igraph.h>

#include "fingerprints/err.h"

/* Leiden iterations at most: igraph 0.10.2's "until stable" (a negative
 * count) stops after the first iteration that changes anything (igraph
 * issue #2798), so the loop is ours. */
#define LEIDEN_MAX_ITER 10
#define LEIDEN_BETA	0.01

void bph_community_opts_default(struct bph_community_opts *o)
{
	o->method = BPH_COMMUNITY_NONE;
	o->min_size = 50;
	o->resolution = 0.1;
	o->seed = 1;
}

static const char *const method_names[BPH_COMMUNITY_METHOD_COUNT] = {
    [BPH_COMMUNITY_NONE] = "none",
    [BPH_COMMUNITY_LEIDEN] = "leiden",
    [BPH_COMMUNITY_LOUVAIN] = "louvain",
};

const char *bph_community_method_name(enum bph_community_method m)
{
	if ((unsigned)m >= BPH_COMMUNITY_METHOD_COUNT)
		return "?";
	return method_names[m];
}

int bph_community_method_parse(const char *s, enum bph_community_method *m)
{
	for (size_t i = BPH_COMMUNITY_NONE + 1; i < BPH_COMMUNITY_METHOD_COUNT;
	     i++)
		if (!strcmp(s, method_names[i])) {
			*m = (enum bph_community_method)i;
			return 0;
		}
	return BPH_ERR_USAGE;
}

/* Per-call buffers, sized for the largest cluster to split. */
struct scratch {
	uint32_t *local; /* host index -> vertex of the current cluster */
	uint32_t *remap; /* igraph label -> community id (0: none yet) */
	igraph_integer_t *edges; /* 2 per link */
	igraph_real_t *w;	 /* per link */
	igraph_real_t *strength; /* per vertex: Leiden's node weights */
};

static void scratch_free(struct scratch *s)
{
	free(s->local);
	free(s->remap);
	free(s->edges);
	free(s->w);
	free(s->strength);
}

static int scratch_alloc(struct scratch *s, const struct bph_clustering *c,
			 uint32_t min_size)
{
	size_t hosts = 1, links = 1;

	for (size_t i = 0; i < c->n_clusters; i++) {
		if (c->clusters[i].n_hosts < min_size)
			continue;
		if (c->clusters[i].n_hosts > hosts)
			hosts = c->clusters[i].n_hosts;
		if (c->clusters[i].n_links > links)
			links = c->clusters[i].n_links;
	}
	s->local = calloc(c->n_hosts + 1, sizeof(*s->local));
	s->remap = calloc(hosts, sizeof(*s->remap));
	s->edges = calloc(2 * links, sizeof(*s->edges));
	s->w = calloc(links, sizeof(*s->w));
	s->strength = calloc(hosts, sizeof(*s->strength));
	if (s->local && s->remap && s->edges && s->w && s->strength)
		return 0;
	scratch_free(s);
	return BPH_ERR_NOMEM;
}

static int from_igraph(igraph_error_t e)
{
	return e == IGRAPH_ENOMEM ? BPH_ERR_NOMEM : BPH_ERR_FORMAT;
}

/*
 * A link's edge weight: its score. A link that a rule made without
 * weight (score 0) would still leave its host an isolated vertex to both
 * methods; the rule judged it good enough, so it weighs the threshold.
 */
static double link_weight(const struct bph_clustering *c,
			  const struct bph_link *l)
{
	return l->score > 0 && isfinite(l->score) ? l->score : c->threshold;
}

/* Fills s with cluster k's edges and weights; returns the total weight. */
static double fill_edges(const struct bph_clustering *c,
			 const struct bph_cluster *k, struct scratch *s)
{
	double m = 0;

	for (size_t i = 0; i < k->n_hosts; i++) {
		s->local[k->hosts[i]] = (uint32_t)i;
		s->strength[i] = 0;
	}
	for (size_t j = 0; j < k->n_links; j++) {
		const struct bph_link *l = &c->links[k->links[j]];
		uint32_t a = s->local[l->a], b = s->local[l->b];
		double w = link_weight(c, l);
		s->edges[2 * j] = a;
		s->edges[2 * j + 1] = b;
		s->w[j] = w;
		s->strength[a] += w;
		s->strength[b] += w;
		m += w;
	}
	return m;
}

/*
 * Leiden on modularity: node weights = strength and resolution / (2m)
 * (community.h). Each round starts from the last one's partition; stop
 * when a round no longer raises the quality.
 */
static igraph_error_t leiden(const igraph_t *g, const igraph_vector_t *w,
			     const igraph_vector_t *nw, double gamma,
			     igraph_vector_int_t *mem)
{
	igraph_integer_t nb = 0;
	igraph_real_t q = 0, best = -INFINITY;

	for (int it = 0; it < LEIDEN_MAX_ITER; it++) {
		igraph_error_t e = igraph_community_leiden(
		    g, w, nw, gamma, LEIDEN_BETA, it > 0, 1, mem, &nb, &q);
		if (e != IGRAPH_SUCCESS)
			return e;
		if (!(q > best + 1e-12))
			break;
		best = q;
	}
	return IGRAPH_SUCCESS;
}

/* Runs o's method on cluster k's graph; labels land in mem. */
static int detect(const struct bph_clustering *c, const struct bph_cluster *k,
		  const struct bph_community_opts *o, struct scratch *s,
		  igraph_vector_int_t *mem)
{
	igraph_vector_int_t ev;
	igraph_vector_t wv, nv;
	igraph_t g;
	double m = fill_edges(c, k, s);
	igraph_integer_t n = (igraph_integer_t)k->n_hosts;
	igraph_error_t e;

	igraph_vector_int_view(&ev, s->edges, 2 * (igraph_integer_t)k->n_links);
	igraph_vector_view(&wv, s->w, (igraph_integer_t)k->n_links);
	igraph_vector_view(&nv, s->strength, n);
	if ((e = igraph_create(&g, &ev, n, IGRAPH_UNDIRECTED)))
		return from_igraph(e);
	/* per cluster, so a cluster's split ignores the rest of the store */
	e = igraph_rng_seed(igraph_rng_default(), (igraph_uint_t)o->seed);
	if (!e && o->method == BPH_COMMUNITY_LOUVAIN)
		e = igraph_community_multilevel(&g, &wv, o->resolution, mem,
						NULL, NULL);
	else if (!e)
		e = leiden(&g, &wv, &nv, o->resolution / (2 * m), mem);
	igraph_destroy(&g);
	return e ? from_igraph(e) : 0;
}

/* Numbers k's communities from *next by their smallest host index. */
static int number(struct bph_clustering *c, const struct bph_cluster *k,
		  const igraph_vector_int_t *mem, struct scratch *s,
		  uint32_t *next)
{
	if (igraph_vector_int_size(mem) != (igraph_integer_t)k->n_hosts)
		return BPH_ERR_FORMAT;
	memset(s->remap, 0, k->n_hosts * sizeof(*s->remap));
	for (size_t i = 0; i < k->n_hosts; i++) {
		igraph_integer_t label = VECTOR(*mem)[i];
		if (label < 0 || label >= (igraph_integer_t)k->n_hosts)
			return BPH_ERR_FORMAT;
		if (!s->remap[label])
			s->remap[label] = (*next)++;
		c->community_of[k->hosts[i]] = s->remap[label];
	}
	return 0;
}

static int split_cluster(struct bph_clustering *c, const struct bph_cluster *k,
			 const struct bph_community_opts *o, struct scratch *s,
			 uint32_t *next)
{
	igraph_vector_int_t mem;
	igraph_error_t e = igraph_vector_int_init(&mem, 0);
	int rc;

	if (e)
		return from_igraph(e);
	rc = detect(c, k, o, s, &mem);
	if (!rc)
		rc = number(c, k, &mem, s, next);
	igraph_vector_int_destroy(&mem);
	return rc;
}

static int validate(const struct bph_community_opts *o)
{
	if (o->method != BPH_COMMUNITY_LEIDEN &&
	    o->method != BPH_COMMUNITY_LOUVAIN)
		return BPH_ERR_USAGE;
	if (o->min_size < 2 || !(o->resolution > 0) || !isfinite(o->resolution))
		return BPH_ERR_USAGE;
	return 0;
}

/* Every cluster in order: split the large ones, the rest are one each. */
static int assign(struct bph_clustering *c, const struct bph_community_opts *o,
		  struct scratch *s)
{
	uint32_t next = 1;

	for (size_t i = 0; i < c->n_clusters; i++) {
		const struct bph_cluster *k = &c->clusters[i];
		if (k->n_hosts >= o->min_size && k->n_links) {
			int rc = split_cluster(c, k, o, s, &next);
			if (rc)
				return rc;
			continue;
		}
		for (size_t j = 0; j < k->n_hosts; j++)
			c->community_of[k->hosts[j]] = next;
		next++;
	}
	c->n_communities = next - 1;
	return 0;
}

/*
 * igraph's RNG and error handlers are process globals: install ours
 * (seeded RNG; errors returned, never abort()) for this call only and put
 * the caller's back, so nothing outside the call sees a change.
 */
int bph_cluster_communities(struct bph_clustering *c,
			    const struct bph_community_opts *o)
{
	struct scratch s;
	igraph_rng_t rng, prev_rng;
	igraph_error_handler_t *prev_err;
	igraph_warning_handler_t *prev_warn;
	int rc = 0;

	free(c->community_of);
	c->community_of = NULL;
	c->n_communities = 0;
	if (o->method == BPH_COMMUNITY_NONE)
		return 0;
	if ((rc = validate(o)))
		return rc;
	if ((rc = scratch_alloc(&s, c, o->min_size)))
		return rc;
	c->community_of = calloc(c->n_hosts + 1, sizeof(*c->community_of));
	prev_err = igraph_set_error_handler(igraph_error_handler_ignore);
	prev_warn = igraph_set_warning_handler(igraph_warning_handler_ignore);
	if (!c->community_of)
		rc = BPH_ERR_NOMEM;
	else if (igraph_rng_init(&rng, &igraph_rngtype_pcg32))
		rc = BPH_ERR_NOMEM;
	if (!rc) {
		/* igraph_rng_set_default() copies the struct into igraph's
		 * global, so the caller's is kept as a copy too */
		prev_rng = *igraph_rng_default();
		igraph_rng_set_default(&rng);
		rc = assign(c, o, &s);
		igraph_rng_set_default(&prev_rng);
		igraph_rng_destroy(&rng);
	}
	igraph_set_warning_handler(prev_warn);
	igraph_set_error_handler(prev_err);
	scratch_free(&s);
	if (rc) {
		free(c->community_of);
		c->community_of = NULL;
		c->n_communities = 0;
	}
	return rc;
}

/* Cluster k's hosts grouped by community, each group in host order. */
struct groups {
	uint32_t first, n; /* community ids first .. first + n - 1 */
	size_t *off;	   /* n + 1 offsets into order */
	uint32_t *order;   /* host indices */
};

static int group(const struct bph_clustering *c, const struct bph_cluster *k,
		 struct groups *g)
{
	uint32_t lo = UINT32_MAX, hi = 0;

	for (size_t i = 0; i < k->n_hosts; i++) {
		uint32_t id = c->community_of[k->hosts[i]];
		lo = id < lo ? id : lo;
		hi = id > hi ? id : hi;
	}
	if (!k->n_hosts || hi - lo >= k->n_hosts) /* ids are per cluster */
		return BPH_ERR_FORMAT;
	g->first = lo;
	g->n = hi - lo + 1;
	g->off = calloc(g->n + 1, sizeof(*g->off));
	g->order = malloc(k->n_hosts * sizeof(*g->order));
	if (!g->off || !g->order) {
		free(g->off);
		free(g->order);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < k->n_hosts; i++)
		g->off[c->community_of[k->hosts[i]] - lo + 1]++;
	for (uint32_t j = 0; j < g->n; j++)
		g->off[j + 1] += g->off[j];
	for (size_t i = 0; i < k->n_hosts; i++) {
		uint32_t j = c->community_of[k->hosts[i]] - lo;
		g->order[g->off[j]++] = k->hosts[i];
	}
	memmove(g->off + 1, g->off, g->n * sizeof(*g->off));
	g->off[0] = 0;
	return 0;
}

/* One line per community: id, size, hosts; the seed's marked. */
static void print_groups(FILE *out, const struct bph_clustering *c,
			 const struct groups *g, uint32_t seed_comm)
{
	for (uint32_t j = 0; j < g->n; j++) {
		size_t n = g->off[j + 1] - g->off[j];
		fprintf(out, "  community %u: %zu host%s%s:", g->first + j, n,
			n == 1 ? "" : "s",
			g->first + j == seed_comm ? " (the seed's)" : "");
		for (size_t i = g->off[j]; i < g->off[j + 1]; i++)
			fprintf(out, " %s", c->hosts[g->order[i]]);
		fputc('\n', out);
	}
}

static int print_cluster(FILE *out, const struct bph_clustering *c,
			 const struct bph_community_opts *o,
			 const struct bph_cluster *k)
{
	struct groups g;
	int rc = group(c, k, &g);

	if (rc)
		return rc;
	if (g.n == 1)
		fprintf(out,
			"cluster %u: %zu hosts, one community (%s found "
			"no split)\n",
			k->id, k->n_hosts,
			bph_community_method_name(o->method));
	else
		fprintf(out,
			"cluster %u: %zu hosts in %u communities (%s, "
			"resolution %g)\n",
			k->id, k->n_hosts, g.n,
			bph_community_method_name(o->method), o->resolution);
	if (g.n > 1)
		print_groups(out, c, &g, 0);
	free(g.off);
	free(g.order);
	return 0;
}

static int print_seed(FILE *out, const struct bph_clustering *c,
		      const struct bph_community_opts *o, uint32_t s)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	uint32_t id = c->community_of[s];
	struct groups g;
	int rc;

	if (k->n_hosts < o->min_size) {
		fprintf(out,
			"seed %s: community %u, all of cluster %u (%zu "
			"host%s; clusters of %u hosts or more are split)\n",
			c->hosts[s], id, k->id, k->n_hosts,
			k->n_hosts == 1 ? "" : "s", o->min_size);
		return 0;
	}
	if ((rc = group(c, k, &g)))
		return rc;
	fprintf(out,
		"seed %s: community %u, %zu of the %zu hosts of cluster %u "
		"(%u communit%s; %s, resolution %g)\n",
		c->hosts[s], id, g.off[id - g.first + 1] - g.off[id - g.first],
		k->n_hosts, k->id, g.n, g.n == 1 ? "y" : "ies",
		bph_community_method_name(o->method), o->resolution);
	if (g.n > 1)
		print_groups(out, c, &g, id);
	free(g.off);
	free(g.order);
	return 0;
}

int bph_community_print(const struct bph_clustering *c,
			const struct bph_community_opts *o, const char *seed,
			FILE *out)
{
	size_t split = 0;
	int rc = 0;

	if (!c->community_of)
		return 0;
	if (seed) {
		long h = bph_clustering_host(c, seed);
		return h < 0 ? BPH_ERR_USAGE
			     : print_seed(out, c, o, (uint32_t)h);
	}
	for (size_t i = 0; i < c->n_clusters && !rc; i++) {
		if (c->clusters[i].n_hosts < o->min_size)
			continue;
		rc = print_cluster(out, c, o, &c->clusters[i]);
		split++;
	}
	if (!rc)
		fprintf(out,
			"%zu communities in all; %s ran on %zu cluster%s of "
			"%u hosts or more\n",
			c->n_communities, bph_community_method_name(o->method),
			split, split == 1 ? "" : "s", o->min_size);
	return rc;
}
