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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/strmap.h"

struct bph_incidence {
	uint32_t host, art;
	uint16_t port;
	int64_t first_seen, last_seen;
};

/* The order a clustering puts g's artifacts in (cluster/build.c
 * order_arts), computed ahead by bph_graph_order_arts(). */
struct bph_art_order {
	size_t n;	    /* g's artifacts when it was computed */
	uint32_t *art_of;   /* canonical index -> g's artifact */
	uint32_t *art_map;  /* g's artifact -> canonical index */
	uint8_t *kind_rank; /* canonical index -> its kind's rank in
			       bph_kinds[], 255 for one it does not list */
	void *spare;	    /* the sort's buffer, reused by the clustering */
	size_t spare_size;
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
	bool inc_tab_stale; /* incidences appended past the table (rebuilt by
			       the next bph_graph_add) */
	struct bph_art_order *order; /* or NULL; dropped when an artifact is
					added or dropped */
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

/* ---- bulk loading (a store's rows, already distinct) ---- */

/*
 * Like bph_graph_add_host(), also giving the host's index in *ix.
 * Returns 0, BPH_ERR_USAGE (empty host), BPH_ERR_NOMEM or BPH_ERR_TOOBIG.
 */
int bph_graph_intern_host(struct bph_graph *g, const char *host, uint32_t *ix);

/*
 * Appends host as index *ix without looking it up: the caller guarantees
 * g holds no host of that name (a store's primary key does). Like
 * bph_graph_push_art(), it drops g's host lookup: afterwards
 * bph_graph_add(), bph_graph_add_host() and bph_graph_intern_host() return
 * BPH_ERR_USAGE. Returns 0, BPH_ERR_USAGE (empty host), BPH_ERR_NOMEM or
 * BPH_ERR_TOOBIG.
 */
int bph_graph_push_host(struct bph_graph *g, const char *host, uint32_t *ix);

/*
 * The index of artifact (kind, value) in *ix, added when new (without an
 * incidence: the caller adds them). Returns 0, BPH_ERR_USAGE (empty kind or
 * value), BPH_ERR_NOMEM or BPH_ERR_TOOBIG.
 */
int bph_graph_intern_art(struct bph_graph *g, const char *kind,
			 const char *value, uint32_t *ix);

/*
 * Appends artifact (kind, value) as index *ix without looking it up, so a
 * load costs no hashing per artifact: the caller guarantees g holds no
 * artifact of the same kind and value (a store's unique index on them
 * does). g's artifact lookup would not know it and is dropped: afterwards
 * bph_graph_add() and bph_graph_intern_art() return BPH_ERR_USAGE and a
 * graph source over g finds no artifact (a loaded graph goes to the
 * clustering, which drops the lookup anyway). Returns 0, BPH_ERR_USAGE
 * (empty kind or value), BPH_ERR_NOMEM or BPH_ERR_TOOBIG.
 */
int bph_graph_push_art(struct bph_graph *g, const char *kind, const char *value,
		       uint32_t *ix);

/*
 * Keeps the artifacts i of g whose ix[i] (one per artifact) is nonzero, in
 * their order, and drops the others: afterwards ix[i] is the kept
 * artifact's new index, UINT32_MAX for a dropped one. For a loader that
 * pushed more artifacts than its incidences use, before they name g's
 * indices (bph_graph_renumber_arts() comes after); the dropped ones'
 * strings stay in g's arena until g is freed. Drops g's artifact lookup
 * as bph_graph_push_art() does.
 */
void bph_graph_keep_arts(struct bph_graph *g, uint32_t *ix);

/*
 * Computes now the order in which a clustering of g lists its artifacts
 * (kept in g->order), so that bph_cluster_run_graph(g) does not: for a
 * loader's thread that has pushed every artifact and has time while
 * another reads the incidences. It reads g's artifacts only. Adding or
 * dropping an artifact afterwards drops it. Returns 0 or BPH_ERR_NOMEM.
 */
int bph_graph_order_arts(struct bph_graph *g);

/* Makes room for n more artifacts in g's arrays (a loader that knows how
 * many it pushes or interns). Returns 0 or BPH_ERR_NOMEM. */
int bph_graph_reserve_arts(struct bph_graph *g, size_t n);

/*
 * Appends the incidence (host, art, port) seen from first to last without
 * looking it up: the caller guarantees that g holds no incidence with the
 * same host, art and port (a store's primary key does), so a load costs no
 * hashing per row. host must be an index of g; art is an index of g, or
 * the caller's own artifact id when it then calls bph_graph_renumber_arts()
 * before anything else reads g. Returns 0, BPH_ERR_NOMEM or BPH_ERR_TOOBIG.
 */
int bph_graph_append(struct bph_graph *g, uint32_t host, uint32_t art,
		     uint16_t port, int64_t first, int64_t last);

/*
 * Replaces the art of every incidence by map[art] (n_map entries), the
 * caller's artifact ids by g's indices; incidences whose id is at or past
 * n_map or maps to UINT32_MAX are dropped. Returns 0 or BPH_ERR_USAGE (an
 * index map[] gives is not an artifact of g).
 */
int bph_graph_renumber_arts(struct bph_graph *g, const uint32_t *map,
			    size_t n_map);

/* ---- a store as the clustering of one seed reads it ---- */

/* One stored sighting: host showed (kind, value) on port between first
 * and last seen. A store may give one row per scan: repeats are merged. */
struct bph_graph_row {
	const char *host;
	const char *kind, *value; /* NULL in range_hosts() rows */
	uint16_t port;
	int64_t first_seen, last_seen;
	uint64_t df; /* answering hosts carrying (kind, value), or 0 when the
			source did not count them (count_holders() is asked) */
};

/* Called once per row; the strings are borrowed for the call. Returns 0,
 * or a negative BPH_ERR_* that stops the source, which returns it. */
typedef int (*bph_graph_row_fn)(void *arg, const struct bph_graph_row *row);

/*
 * What the clustering of one seed (cluster/seed.h) asks of a store,
 * so that a pivot costs the seed's neighbourhood instead of the store:
 * the rows of one host, the holders of one artifact, the hosts of an
 * address range, and counts the store keeps (the number of answering
 * hosts, of hosts carrying an artifact). The store implements it; ctx is
 * the store's. "Answering" hosts are those bph_store_load_graph() would
 * add: each function sees the same store the full clustering would.
 * Every function returns 0 or a negative BPH_ERR_*.
 */
struct bph_graph_source {
	void *ctx;
	/* *n: answering hosts. */
	int (*count_hosts)(void *ctx, uint64_t *n);
	/* *df: answering hosts carrying (kind, value). */
	int (*count_holders)(void *ctx, const char *kind, const char *value,
			     uint64_t *df);
	/* fn for every artifact row of host; *answered: whether host is an
	 * answering host (one may have no artifact). */
	int (*host_rows)(void *ctx, const char *host, bph_graph_row_fn fn,
			 void *arg, bool *answered);
	/* fn for every row of (kind, value), whatever the host. */
	int (*artifact_rows)(void *ctx, const char *kind, const char *value,
			     bph_graph_row_fn fn, void *arg);
	/* fn once for every answering host whose IPv4 address is in
	 * [lo, hi] (host order), in rows whose kind and value are NULL. */
	int (*range_hosts)(void *ctx, uint32_t lo, uint32_t hi,
			   bph_graph_row_fn fn, void *arg);
	/* Optional (NULL: host_rows() host by host): fn for every artifact
	 * row of each of hosts[0..n), row->host naming it, the rows of one
	 * host one after the other; answered[i]: whether hosts[i] is an
	 * answering host. For a source where each read is a round trip. */
	int (*hosts_rows)(void *ctx, const char *const *hosts, size_t n,
			  bph_graph_row_fn fn, void *arg, bool *answered);
	/* Optional (NULL: artifact_rows() one by one): fn for every row of
	 * each (kinds[i], values[i]), i < n, in any order. */
	int (*artifacts_rows)(void *ctx, const char *const *kinds,
			      const char *const *values, size_t n,
			      bph_graph_row_fn fn, void *arg);
};

/*
 * A source over g (borrowed; it must outlive the source and not change):
 * the in-memory equivalent of a store, for tests and for graphs that are
 * not in a store. Returns a new source (free with bph_graph_source_free)
 * or NULL on allocation failure.
 */
struct bph_graph_source *bph_graph_source_new(const struct bph_graph *g);
void bph_graph_source_free(struct bph_graph_source *src); /* NULL-safe */

#endif
