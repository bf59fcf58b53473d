/*
 * cluster_int.h - what the files of the clustering pipeline share.
 * Internal to cluster/: nothing outside the folder includes it (libpcap's
 * pcap-int.h is the model).
 *
 * Calls go one way: cluster.c (the pipeline) runs the stages, build.c,
 * rule_score.c, rule_concentrated.c, rule_neighbour.c and components.c,
 * which use the helpers of links.c; explain.c and the exporters read the
 * result. docs/architecture.md says what each file owns.
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

struct pair; /* a candidate pair of the score rules (rule_score.c) */

/* The state of one bph_cluster_run(). */
struct run {
	const struct bph_graph *g;
	struct bph_graph *own; /* g, adopted (bph_cluster_run_graph) */
	const struct bph_cl_stats *stats; /* the store's counts, or NULL */
	const struct bph_cluster_opts *o;
	const struct bph_common *common;
	struct bph_clustering *c;
	uint32_t *host_map; /* graph host -> sorted index */
	uint32_t *art_map;  /* graph artifact -> index in canonical order */
	uint32_t *art_of;   /* index in canonical order -> graph artifact */
	uint8_t *kind_rank; /* index in canonical order -> its kind's rank in
			       bph_kinds[], 255 for a kind it does not list */
	struct pair *pairs;
	size_t n_pairs, cap_pairs;
	struct bph_strmap *pair_ix;
	struct art_row *by_art; /* one row per (art, host), by art, host */
	void *spare;		/* order_arts()'s sort buffer, for by_art */
	size_t spare_size;
	size_t n_by_art;
	size_t cap_links;
};

/* What the store knows and a clustering of part of it cannot count:
 * every host's and every artifact's (by graph artifact index) number. */
struct bph_cl_stats {
	size_t n_total;
	const uint32_t *df;
};

/* cluster.c: the pipeline on g with the store's counts (seed.c). */
int bph_cl_run_with(const struct bph_graph *g,
		    const struct bph_cluster_opts *opts,
		    const struct bph_cl_stats *stats,
		    struct bph_clustering **out);

/* A holder outside the cluster that holds most of an artifact. */
struct cand {
	uint32_t host, root, rep, art;
	uint16_t port_h, port_rep;
};

/* ---- the stages, in the order cluster.c runs them ---- */

/* build.c: hosts in address order, incidences by host, artifact
 * statistics and weights, r->by_art. */
int bph_cl_build(struct run *r);
/* rule_score.c: default suppression, then the strong and score rules. */
int bph_cl_score_rules(struct run *r);
/* rule_concentrated.c: the concentrated rule. */
int bph_cl_concentrated_rule(struct run *r);
/* rule_neighbour.c: the neighbour rule; frees r->by_art when done. */
int bph_cl_neighbour_rule(struct run *r);
/* components.c: clusters from the links, then bridges. */
int bph_cl_components(struct bph_clustering *c);

/* graph.c: frees g's lookup tables (bph_graph_add no longer works; the
 * strings stay), its incidences, or its host and artifact arrays. */
void bph_graph_drop_index(struct bph_graph *g);
void bph_graph_drop_incidences(struct bph_graph *g);
void bph_graph_drop_arrays(struct bph_graph *g);
/* graph.c: frees g->order (NULL-safe). */
void bph_graph_drop_order(struct bph_graph *g);

/* build.c: orders IPv4 addresses numerically, anything else by strcmp. */
int bph_cl_ipcmp(const char *a, const char *b);

/* why_zero reasons compared by address (build.c) */
extern const char bph_cl_why_cap[];
extern const char bph_cl_why_common[];

/* rule_neighbour.c: why lone host h did or did not join cluster index k
 * by the neighbour rule, computed on the final clusters (for explain.c). */
void bph_cl_neighbour_explain(const struct bph_clustering *c, uint32_t k,
			      uint32_t h, FILE *out);

/* ---- links.c: helpers the rules share ---- */

/* The clusters the links made so far: for each host, the first host of
 * its cluster in address order (new array). */
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
int bph_cl_cmp_u32(const void *x, const void *y);

#endif
