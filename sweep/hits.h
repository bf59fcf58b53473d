/*
 * hits.h - a run's watch hits and tracked-cluster members (struct
 * bph_run_state, sweep/sweep.h): collecting them from records, reading a
 * run's stored ones back, and the watch.hit events between two runs.
 */
#ifndef BPH_SWEEP_HITS_H
#define BPH_SWEEP_HITS_H

#include "store/sweep_store.h"
#include "sweep/sweep.h"

/* Adds the hits of s (borrowed) against w at time now. Returns 0 or
 * BPH_ERR_NOMEM. */
int bph_hits_match(const struct bph_watchlist *w, const struct bph_service *s,
		   time_t now, struct bph_run_state *st);

/* Adds the hits of address watches on ip alone (as bph_hits_match
 * gives them for any service of ip). Returns 0 or BPH_ERR_NOMEM. */
int bph_hits_match_addr(const struct bph_watchlist *w, uint32_t ip, time_t now,
			struct bph_run_state *st);

/* Sorts the hits by (key, ip, port) and drops repeats (an address watch
 * matches once per service of its host). Returns 0. */
int bph_hits_finish(struct bph_run_state *st);

/* Reads run's stored hits (e is NULL in them) and members (names
 * mapped to the config's cluster watches; others dropped). */
int bph_hits_load(struct bph_store *db, int64_t run, struct bph_run_state *st);
int bph_members_load(struct bph_store *db, const struct bph_sweep_config *cfg,
		     int64_t run, struct bph_run_state *st);

void bph_run_state_clear(struct bph_run_state *st);

/* Appends a watch.hit for each hit of t that f (NULL: a first run) does
 * not have. Returns 0 or BPH_ERR_NOMEM. */
int bph_hits_events(const struct bph_run_state *f,
		    const struct bph_run_state *t, struct bph_event_set *out);

/* t's hits as store rows: a new array (caller frees; strings borrowed
 * from t). NULL when there are none or on ENOMEM (*n tells). */
struct bph_hit_row *bph_hits_rows(const struct bph_run_state *t, size_t *n);

#endif
