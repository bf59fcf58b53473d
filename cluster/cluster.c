/*
 * cluster.c - the clustering pipeline: build (build.c), the strong and
 * score rules (rule_score.c), the concentrated rule
 * (rule_concentrated.c), the neighbour rule (rule_neighbour.c), then
 * components and bridges (components.c). The contract and the rules are
 * in cluster.h and docs/clustering.md.
 */
#include "cluster/cluster.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"

void bph_clustering_free(struct bph_clustering *c)
{
	if (!c)
		return;
	free(c->strings);
	for (size_t i = 0; i < c->n_links; i++)
		free(c->links[i].ev);
	for (size_t i = 0; c->clusters && i < c->n_clusters; i++) {
		free(c->clusters[i].hosts);
		free(c->clusters[i].links);
	}
	free(c->hosts);
	free(c->arts);
	free(c->inc);
	free(c->inc_off);
	free(c->links);
	free(c->clusters);
	free(c->cluster_of);
	free(c->community_of);
	free(c->derived_strings);
	bph_graph_free(c->graph);
	free(c);
}

static int load_common(const struct bph_cluster_opts *o,
		       struct bph_common **owned)
{
	char err[256];

	if (o->common || !o->use_default_common)
		return 0;
	return bph_common_load(bph_common_default_path(), owned, err,
			       sizeof(err));
}

/* Runs the pipeline on g; with own (g itself), the result adopts it. */
static int run(const struct bph_graph *g, struct bph_graph *own,
	       const struct bph_cluster_opts *opts,
	       const struct bph_cl_stats *stats, struct bph_clustering **out)
{
	struct bph_cluster_opts defaults;
	struct bph_common *owned = NULL;
	struct run r = {0};
	int rc;

	*out = NULL;
	if (!opts) {
		bph_cluster_opts_default(&defaults);
		opts = &defaults;
	}
	r.g = g;
	r.own = own;
	r.stats = stats;
	r.o = opts;
	r.c = calloc(1, sizeof(*r.c));
	rc = r.c ? load_common(opts, &owned) : BPH_ERR_NOMEM;
	r.common = opts->common ? opts->common : owned;
	if (!rc)
		r.c->threshold = opts->threshold;
	if (!rc) {
		memcpy(r.c->max_share, opts->max_share, sizeof(r.c->max_share));
		r.c->majority = opts->majority;
	}
	if (!rc && !(rc = bph_cl_build(&r)) && !(rc = bph_cl_score_rules(&r)) &&
	    !(rc = bph_cl_concentrated_rule(&r)) &&
	    !(rc = bph_cl_neighbour_rule(&r)))
		rc = bph_cl_components(r.c);
	bph_common_free(owned);
	free(r.host_map);
	free(r.art_map);
	free(r.art_of);
	free(r.kind_rank);
	free(r.pairs);
	free(r.by_art);
	free(r.spare);
	bph_strmap_free(r.pair_ix);
	if (r.c && own)
		r.c->graph = own; /* freed with the clustering, even now */
	else if (own)
		bph_graph_free(own);
	if (rc)
		bph_clustering_free(r.c);
	else
		*out = r.c;
	return rc;
}

int bph_cluster_run(const struct bph_graph *g,
		    const struct bph_cluster_opts *opts,
		    struct bph_clustering **out)
{
	return run(g, NULL, opts, NULL, out);
}

int bph_cluster_run_graph(struct bph_graph *g,
			  const struct bph_cluster_opts *opts,
			  struct bph_clustering **out)
{
	return run(g, g, opts, NULL, out);
}

int bph_cl_run_with(const struct bph_graph *g,
		    const struct bph_cluster_opts *opts,
		    const struct bph_cl_stats *stats,
		    struct bph_clustering **out)
{
	return run(g, NULL, opts, stats, out);
}

long bph_clustering_host(const struct bph_clustering *c, const char *ip)
{
	size_t lo = 0, hi = c->n_hosts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = bph_cl_ipcmp(c->hosts[mid], ip);
		if (d == 0)
			return (long)mid;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
