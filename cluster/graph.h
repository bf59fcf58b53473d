/*
 * graph.h - the bipartite host-artifact graph the clustering reads.
 *
 * Hosts are IP strings that answered; artifacts are (kind, value) pairs
 * (kinds as in fingerprints/record.h). Each incidence (host, artifact, port)
 * keeps the first and last time it was seen, so feeding the same
 * observation from several scans widens its window instead of duplicating
 * it. The graph copies every string it is given (into the arenas of its
 * host and artifact maps: hosts[], kinds[] and values[] point there). The
 * struct is public so the clustering can read it; treat it as read-only
 * outside graph.c.
 */
#ifndef BPH_CLUSTER_GRAPH_H
#define BPH_CLUSTER_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/strmap.h"

struct bph_incidence {
	uint32_t host, art;
	uint16_t port;
	int64_t first_seen, last_seen;
};

struct bph_graph {
	const char **hosts; /* index -> IP string */
	size_t n_hosts, cap_hosts;
	const char **kinds, **values; /* artifact index -> kind, value */
	size_t n_arts, cap_arts;
	struct bph_incidence *inc;
	size_t n_inc, cap_inc;
	struct bph_strmap *host_ix, *art_ix;
	uint32_t *inc_tab;  /* open addressing: incidence index + 1, 0 empty */
	size_t inc_tab_cap; /* power of two */
};

/* Returns an empty graph, or NULL on allocation failure. */
struct bph_graph *bph_graph_new(void);
void bph_graph_free(struct bph_graph *g); /* NULL-safe */

/*
 * Records that host answered (it then appears in the clustering even
 * without artifacts). Returns 0, BPH_ERR_USAGE (empty host), BPH_ERR_NOMEM.
 */
int bph_graph_add_host(struct bph_graph *g, const char *host);

/*
 * Records that host showed artifact (kind, value) on port at time seen
 * (Unix seconds). Adds the host if new. Empty kind or value is a
 * BPH_ERR_USAGE. Returns 0 or a negative BPH_ERR_*.
 */
int bph_graph_add(struct bph_graph *g, const char *host, const char *kind,
		  const char *value, uint16_t port, int64_t seen);

#endif
