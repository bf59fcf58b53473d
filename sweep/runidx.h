/*
 * runidx.h - a complete run's index (sweep/runidx.c; table sweep_index,
 * store/sweep_store.h; layout in docs/output.md "The store"): the graph
 * its evaluation clustered and a 32-bit hash of every value each of its
 * services offers the watches (bph_watch_terms). `sweep run` stores it
 * with the run, in the transaction that makes the run complete, so only
 * a complete run has one; evaluating the run again (`diff` under another
 * config or watch file) then takes the graph from it and reads only the
 * records of the services whose hashed values a watch entry shares,
 * matching them as before: the same hits, no JSON decoded for the rest.
 */
#ifndef BPH_SWEEP_RUNIDX_H
#define BPH_SWEEP_RUNIDX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "fingerprints/record.h"
#include "store/sweep_store.h"
#include "sweep/watch.h"

/* The stored form's version: bump it whenever what it holds changes
 * (bph_service_artifacts, bph_watch_terms, the hash, the layout), so
 * that a run indexed by another build is read from its records. */
#define BPH_RUNIDX_FORMAT 1

struct bph_graph;
struct bph_run_state;
struct bph_runidx; /* a run's index being built */

struct bph_runidx *bph_runidx_new(void);     /* NULL: ENOMEM */
void bph_runidx_free(struct bph_runidx *ix); /* NULL-safe */
/* Adds the watch terms of s, an open service (in the run's order).
 * Returns 0, BPH_ERR_NOMEM or BPH_ERR_TOOBIG. */
int bph_runidx_service(struct bph_runidx *ix, const struct bph_service *s);
/* Gives ix the run's graph (owned from now on; NULL: none). A graph
 * whose hosts are not addresses is dropped: the index goes without. */
void bph_runidx_set_graph(struct bph_runidx *ix, struct bph_graph *g);
/* Encodes now, instead of at the commit, the chunks of g (borrowed, not
 * kept: the caller may free or hand it on after the call) as
 * bph_runidx_set_graph(ix, g) would have them stored; bph_runidx_out then
 * gives the same bytes. Call it after the last bph_runidx_service.
 * Returns 0 or BPH_ERR_NOMEM (ix is then to be freed, not stored). */
int bph_runidx_encode_graph(struct bph_runidx *ix, const struct bph_graph *g);
/* The chunks to store (bph_sweep_commit's index), valid while ix is. */
void bph_runidx_out(struct bph_runidx *ix, struct bph_sweep_snap_out *out);

struct bph_runidx_cand {
	uint32_t ip;
	uint16_t port;
};

/* What reading a run's index gives. */
struct bph_runidx_load {
	const struct bph_watchlist *w; /* borrowed, finished */
	time_t now;
	bool want_graph;
	struct bph_run_state *state; /* address hits are added to it */
	struct bph_graph *g;	     /* out, owned: the graph when wanted */
	/* out, owned: the services some term of which hashes like a watch
	 * entry's (their records are to be matched), in the run's order */
	struct bph_runidx_cand *cand;
	size_t n_cand, cap_cand;
};

/*
 * Reads run's stored index into L (*found false when the run has none
 * in this format, or has no graph and L->want_graph). Returns 0,
 * BPH_ERR_FORMAT (a corrupt index), BPH_ERR_NOMEM or a store error; on
 * any failure or !*found, L->g is NULL.
 */
int bph_runidx_read(struct bph_store *st, int64_t run,
		    struct bph_runidx_load *L, bool *found);

/*
 * The same over chunks the caller has (the fuzz target): call
 * bph_runidx_chunk for each in order, then bph_runidx_end, which
 * returns as bph_runidx_read with *found for "the chunks made an
 * index". Stop calling bph_runidx_chunk after a nonzero return.
 */
struct bph_runidx_reader;
struct bph_runidx_reader *bph_runidx_reader_new(struct bph_runidx_load *L);
int bph_runidx_chunk(struct bph_runidx_reader *r, const void *data, size_t len,
		     size_t n);
int bph_runidx_end(struct bph_runidx_reader *r, int rc, bool *found);

/* Frees what L's read gave (L->g, L->cand). */
void bph_runidx_load_clear(struct bph_runidx_load *L);

#endif
