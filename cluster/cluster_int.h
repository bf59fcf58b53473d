/*
 * cluster_int.h - what cluster.c shares with the rule files beside it
 * (neighbour.c). Internal to cluster/: nothing outside the folder includes
 * it.
 */
#ifndef BPH_CLUSTER_CLUSTER_INT_H
#define BPH_CLUSTER_CLUSTER_INT_H

#include "cluster/cluster.h"
#include "cluster/strmap.h"

/* One holder of an artifact (the clustering's by-artifact index). */
struct art_row {
	uint32_t art, host;
	uint16_t port;
};

/* Candidate pair: the best artifact of each family both hosts share. */
struct pair {
	uint32_t a, b;
	int32_t best[BPH_FAM_COUNT]; /* artifact index or -1 */
	uint16_t pa[BPH_FAM_COUNT], pb[BPH_FAM_COUNT];
};

struct run {
	const struct bph_graph *g;
	const struct bph_cluster_opts *o;
	const struct bph_common *common;
	struct bph_clustering *c;
	uint32_t *host_map; /* graph host -> sorted index */
	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	struct bph_strmap *pair_ix;
	struct art_row *by_art; /* one row per (art, host), by art, host */
	size_t n_by_art;
	size_t cap_links;
};

/* A holder outside the cluster that holds most of an artifact. */
struct cand {
	uint32_t host, root, rep, art;
	uint16_t port_h, port_rep;
};

/* why_zero reasons compared by address */
extern const char bph_cl_why_cap[];
extern const char bph_cl_why_common[];

/* Roots of the clusters the links made so far, one per host (new array). */
uint32_t *bph_cl_link_roots(const struct bph_clustering *c);
/* Appends a zeroed link with room for n_ev evidence entries, or NULL. */
struct bph_link *bph_cl_new_link(struct run *r, size_t n_ev);
/* The root holding most of rows[0..df) (tmp: df entries), its count. */
uint32_t bph_cl_main_root(const struct art_row *rows, size_t df,
			  const uint32_t *root, uint32_t *tmp, size_t *best);
/* Earliest first and latest last sighting of art on hosts a and b. */
void bph_cl_seen_window(const struct bph_clustering *c, uint32_t art,
			uint32_t a, uint32_t b, struct bph_evidence *e);
int bph_cl_push_cand(struct cand **v, size_t *n, size_t *cap, struct cand c);
int bph_cl_cmp_cand(const void *x, const void *y); /* host, root, art */
int bph_cl_cmp_link(const void *x, const void *y); /* a, b */
int bph_cl_cmp_ev_weight(const void *x, const void *y, void *c); /* desc */

/* The neighbour rule (neighbour.c); frees r->by_art when done. */
int bph_cl_neighbour_rule(struct run *r);
/* Why lone host h did or did not join cluster index k by that rule,
 * computed on the final clusters. */
void bph_cl_neighbour_explain(const struct bph_clustering *c, uint32_t k,
			      uint32_t h, FILE *out);

#endif
