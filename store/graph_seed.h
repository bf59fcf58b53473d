/*
 * graph_seed.h - a store as the clustering of one seed reads it
 * (struct bph_graph_source in cluster/graph.h): one host's rows, one
 * artifact's holders, one address range's hosts and the holder counts
 * the store keeps (arts.holders), by index instead of a whole load.
 */
#ifndef BPH_STORE_GRAPH_SEED_H
#define BPH_STORE_GRAPH_SEED_H

#include "cluster/graph.h"
#include "store/store.h"

/*
 * A source over st (which must outlive it), reading one snapshot: a read
 * transaction is held until bph_store_graph_source_free, unless the
 * caller already holds one. Returns 0 with *out set, or a negative
 * BPH_ERR_*.
 */
int bph_store_graph_source(struct bph_store *st, struct bph_graph_source **out);
void bph_store_graph_source_free(struct bph_graph_source *src); /* NULL-ok */

#endif
