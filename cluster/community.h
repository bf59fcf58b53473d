/*
 * community.h - optional communities inside large clusters.
 *
 * Clusters are connected components, so one false link (a bridge through
 * a shared panel or a mis-weighted key) merges two operators. Community
 * detection on a component's links finds its densely linked parts
 * (docs/clustering.md "Splitting large clusters": components first, then
 * communities only on components of at least min_size hosts). Components
 * stay the primary answer; communities are a second level an investigator
 * reads when a cluster is too big to be one operator.
 *
 * Graph: one vertex per host of the cluster, one edge per link, weighted
 * by the link's score; a link scoring 0 (made by a rule without weight)
 * weighs the clustering's threshold instead: the rule judged it good
 * enough to link.
 * Methods (Debian's libigraph 0.10):
 *   louvain: igraph_community_multilevel, modularity with resolution
 *            gamma; the level of highest modularity. Communities may be
 *            internally disconnected.
 *   leiden:  igraph_community_leiden with node weights = weighted degree
 *            and resolution gamma / (2m), m = total edge weight: this
 *            turns igraph's CPM objective into modularity with resolution
 *            gamma (igraph's documentation of igraph_community_leiden), so
 *            both methods optimise one quality and one resolution means
 *            the same for both. beta 0.01; iterated (at most 10 times)
 *            until an iteration no longer improves the quality. Every
 *            community is connected.
 * Resolution: larger gives more, smaller communities. Default 0.1, not
 * plain modularity's 1.0: on bench/gen_population.py populations 1.0
 * cuts every large provider into its deployment batches (pairwise recall
 * 0.99 -> 0.29), while 0.1 keeps providers whole and still cuts
 * providers chained by single false links apart (precision 0.25-0.49 ->
 * 0.99); docs/clustering.md has the figures.
 * Determinism: igraph's default RNG is replaced for the call by a PCG32
 * generator seeded with o->seed, re-seeded before every cluster, so a
 * cluster's communities depend only on its own links (and the igraph
 * version), not on the rest of the store.
 * Numbering: by cluster order (cluster id 1..), then by each community's
 * smallest host index (hosts are sorted by address). A cluster below
 * min_size, or one where the method finds no split, is one community.
 * Cost: near-linear in the links of the split clusters (both methods);
 * clusters below min_size cost O(hosts).
 * Not thread-safe: igraph keeps its RNG and error handlers in process
 * globals (Debian's build has IGRAPH_THREAD_SAFE 0). The call installs
 * its own and restores the previous ones before returning. An igraph
 * "fatal" error (an internal bug, not bad input) still aborts: igraph
 * forbids its fatal handler from returning.
 */
#ifndef BPH_CLUSTER_COMMUNITY_H
#define BPH_CLUSTER_COMMUNITY_H

#include <stdint.h>
#include <stdio.h>

#include "cluster/cluster.h"

enum bph_community_method {
	BPH_COMMUNITY_NONE = 0,
	BPH_COMMUNITY_LEIDEN,
	BPH_COMMUNITY_LOUVAIN,
	BPH_COMMUNITY_METHOD_COUNT
};

struct bph_community_opts {
	enum bph_community_method method; /* default NONE */
	uint32_t min_size;		  /* split clusters of at least this
					     many hosts (default 50, >= 2) */
	double resolution;		  /* modularity resolution gamma
					     (default 0.1; > 0, finite) */
	uint64_t seed;			  /* RNG seed (default 1) */
};

/* Fills o with the defaults above. */
void bph_community_opts_default(struct bph_community_opts *o);

/* "none", "leiden", "louvain"; "?" for anything else. The methods a user
 * can name are NONE + 1 .. BPH_COMMUNITY_METHOD_COUNT - 1. */
const char *bph_community_method_name(enum bph_community_method m);

/* Parses "leiden" or "louvain" into *m; BPH_ERR_USAGE for anything else. */
int bph_community_method_parse(const char *s, enum bph_community_method *m);

/*
 * Fills c->community_of (host index -> community id, 1..) and
 * c->n_communities per o (borrowed), replacing any earlier result. With
 * method NONE, community_of is NULL and n_communities 0 afterwards.
 * Returns 0; BPH_ERR_USAGE for invalid options; BPH_ERR_NOMEM; or
 * BPH_ERR_FORMAT when igraph rejects the graph (then community_of is
 * NULL). Never exits.
 */
int bph_cluster_communities(struct bph_clustering *c,
			    const struct bph_community_opts *o);

/*
 * Human text about the communities of c (borrowed), produced with o:
 * with a seed, the communities of the seed's cluster, the seed's marked,
 * each with its size and hosts (or why the cluster was not split);
 * without, every cluster of at least o->min_size hosts. Prints nothing
 * when c->community_of is NULL. Returns 0, or BPH_ERR_USAGE when seed is
 * not a known host, or BPH_ERR_NOMEM.
 */
int bph_community_print(const struct bph_clustering *c,
			const struct bph_community_opts *o, const char *seed,
			FILE *out);

#endif
