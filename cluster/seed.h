/*
 * seed.h - the clustering of one seed from a store's neighbourhood of it:
 * what `pivot` and `cluster SEED` report, at the cost of the hosts the
 * seed's cluster can depend on instead of the whole store.
 * docs/clustering.md "One seed's cluster" says why the result is the
 * whole store's.
 */
#ifndef BPH_CLUSTER_SEED_H
#define BPH_CLUSTER_SEED_H

#include "cluster/cluster.h"
#include "cluster/graph.h"

/*
 * Clusters what the seed's cluster can depend on, read from src
 * (cluster/graph.h): hosts are rooted (their rows, and the holders of
 * their artifacts within the family's cap) and expanded (also the holders
 * of linkable artifacts within opts->max_concentrated, and the hosts of
 * their /24); the seed, its cluster's hosts and the clusters holding
 * hosts of its /24s are expanded until that adds nothing. Weights use the
 * store's counts (src->count_hosts, the rows' holders). The seed's
 * cluster, its links and their evidence are then those of clustering the
 * whole store with opts (docs/clustering.md "One seed's cluster");
 * cluster numbers (largest first) count only the clusters read. *n_read
 * (may be NULL) receives the number of hosts read. opts NULL: defaults.
 * Returns 0 with *out set (free with bph_clustering_free), BPH_ERR_USAGE
 * when seed is not an answering host of src, BPH_ERR_NOMEM, or the
 * source's error.
 */
int bph_cluster_seed(const struct bph_graph_source *src, const char *seed,
		     const struct bph_cluster_opts *opts,
		     struct bph_clustering **out, size_t *n_read);

#endif
