/*
 * sweep.h - evaluating a sweep's run from the store: the diff against
 * the previous complete runs (sweep/diff.h), the watch hits and the
 * tracked clusters' members, and the events all of them give
 * (sweep/event.h). `bphound sweep run` evaluates the run it made and
 * commits the result with the run (store/sweep_store.h); `bphound diff`
 * evaluates any two runs without writing.
 *
 * Watch and cluster events compare what run T found with what the
 * baseline F found: F's hits and members as stored by its own run (so a
 * watch added since then fires once), or, for a run that stored none
 * (an import), computed from F's records with the current config.
 *   watch.hit              a (watch entry, host, port) T has and F had not;
 *                          on a first run, every hit;
 *   cluster.member_added   a host in the tracked cluster in T, not in F
 *   cluster.member_removed (only hosts both runs covered);
 *   cluster.growth         the cluster grew by more than growth_pct.
 * A tracked cluster is the union of the clusters (a clustering of the
 * run's own hosts, cluster/cluster.h) that hold an anchor host or a host
 * carrying an anchor artifact.
 */
#ifndef BPH_SWEEP_SWEEP_H
#define BPH_SWEEP_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cluster/cluster.h"
#include "fingerprints/common.h"
#include "store/sweep_store.h"
#include "sweep/config.h"
#include "sweep/event.h"
#include "sweep/snap.h"
#include "sweep/watch.h"

struct bph_runidx;
struct bph_sweep_collector;

/* What evaluations share: the config and what it names, loaded once. */
struct bph_sweep_ctx {
	struct bph_store *st;		    /* borrowed */
	const struct bph_sweep_config *cfg; /* borrowed */
	struct bph_watchlist watches;
	struct bph_common *common; /* shipped list + cfg->common */
	struct bph_cluster_opts copts;
	time_t now; /* watch expiry is judged at this time */
	/* hex SHA-256 of what an evaluation's hits and members read
	 * besides the run: this build's version, the watch files, the
	 * tracked clusters' names and anchors and the common lists (not
	 * the rest of the config, which only the events read). A run
	 * evaluated under the same key (and the same live watches) gives
	 * the same hits and members: diff reuses them. */
	char eval_key[65];
	/* Set by a caller that commits the run it evaluates (sweep run):
	 * the evaluation collects the run's index (its graph and watch
	 * terms) for bph_eval_commit, so that evaluating the complete run
	 * again decodes none of its records. */
	bool keep_index;
	/* Set by a caller that fed the run's records to a collector as its
	 * scan stored them (sweep run; see below): the evaluation of the
	 * run of that scan takes what it gathered instead of reading the
	 * run's records. */
	struct bph_sweep_collector *fed;
};

/*
 * Loads what cfg names (and computes x->eval_key): the watch files (their
 * errors name file:line: column: BPH_ERR_FORMAT) and the common lists. st may
 * be NULL (checks only). Returns 0 or a negative BPH_ERR_* with the reason in
 * err.
 */
int bph_sweep_ctx_init(struct bph_sweep_ctx *x, struct bph_store *st,
		       const struct bph_sweep_config *cfg, char *err,
		       size_t errlen);
void bph_sweep_ctx_clear(struct bph_sweep_ctx *x);

/* One hit of a watch entry. */
struct bph_hit {
	const struct bph_watch_entry *e; /* in x->watches; NULL for a hit
					    read back from the store */
	char key[33];			 /* the entry's key */
	uint32_t ip;
	int port;    /* -1: an address watch */
	char *value; /* owned: what matched */
};

/* A run's derived state. */
struct bph_run_state {
	struct bph_hit *hits;
	size_t n_hits, cap_hits;
	const char **m_cluster; /* names borrowed from the config */
	uint32_t *m_ip;
	char **m_evidence; /* owned JSON text per member, or NULL */
	size_t n_members, cap_members;
};

struct bph_eval {
	struct bph_event_set events; /* sorted, with ids */
	struct bph_run_state state;  /* run T's */
	struct bph_snap snap;	     /* run T's, finished */
	int64_t from;		     /* the baseline (0: none) */
	int64_t hosts, services;     /* of run T */
	bool reused;  /* T's hits and members were its stored evaluation's */
	bool indexed; /* T's were computed from its stored index */
	bool fed;     /* T's were gathered as its scan stored it (x->fed) */
	unsigned char *snap_buf;  /* bph_eval_snap_out's chunk */
	struct bph_runidx *index; /* T's, when x->keep_index (eval.c) */
};

/*
 * Evaluates run `to` against `from` (0: the newest complete run of the
 * sweep before `to`), reading the window of earlier complete runs that
 * absent_after needs. `to` may still be running (sweep run evaluates its
 * own run before committing it). Fills out (cleared by the caller with
 * bph_eval_clear). Writes nothing. Returns 0, BPH_ERR_USAGE (a run that
 * does not exist, is of another sweep, or is not complete where it must
 * be; why in err) or another negative BPH_ERR_*.
 */
int bph_sweep_evaluate(struct bph_sweep_ctx *x, int64_t from, int64_t to,
		       struct bph_eval *out, char *err, size_t errlen);
void bph_eval_clear(struct bph_eval *e);

/*
 * A run's evaluation state gathered as its scan stores its records, so
 * that evaluating the run decodes none of them: `sweep run` hands
 * bph_sweep_collector_feed to bph_store_put_all_each (store/store.h,
 * through the scan pipeline), marks the collector done with the scan's
 * id, and sets x->fed. It gathers from the records as the store gives
 * them back what the evaluation gathers from the records it reads (the
 * snapshot, the watch hits, the tracked clusters' graph and, with
 * x->keep_index, the index), by the same code. The evaluation takes it
 * only when it holds every record of the run's scan (their count is
 * checked against the store's) in the order the store reads them back,
 * (ip, port, seen) with no two alike; else, or after a failure, the
 * run's records are read as before.
 */
/* A collector for runs evaluated under x (borrowed while it lives);
 * NULL: no memory. */
struct bph_sweep_collector *
bph_sweep_collector_new(const struct bph_sweep_ctx *x);
/* bph_store_service_fn: gathers one record. Returns 0: a failure (no
 * memory, a record out of order, one after done) is kept in c, which
 * then releases what it gathered and is not taken. */
int bph_sweep_collector_feed(void *c, const struct bph_service *s);
/* The records of scan_id are all fed. */
void bph_sweep_collector_done(struct bph_sweep_collector *c, int64_t scan_id);
void bph_sweep_collector_free(struct bph_sweep_collector *c); /* NULL-safe */

/*
 * Fills out so that bph_sweep_commit stores run T's snapshot from e (the
 * next evaluations and diffs against T then read it instead of T's
 * records). out is valid while e is. Returns 0 or BPH_ERR_NOMEM.
 */
int bph_eval_snap_out(struct bph_eval *e, struct bph_sweep_snap_out *out);

/* What bph_sweep_commit stores of a complete run (bph_eval_commit). */
struct bph_eval_commit {
	struct bph_sweep_commit c;	 /* c.snap points at snap below */
	struct bph_sweep_snap_out snap;	 /* bph_eval_snap_out's */
	struct bph_sweep_snap_out index; /* c.index points here, if kept */
	struct bph_hit_row *hits;	 /* c.hits, bph_hits_rows's, owned */
};

/*
 * Fills out with the commit of run `run`, complete, from its evaluation e
 * under x: its watch hits, tracked members, counts, snapshot, index (when
 * x->keep_index) and x's evaluation key and time (what a later diff
 * reuses or reads instead of the records). The events and the
 * outbox are the caller's to add to out->c. out is valid while e is and
 * must not move; bph_eval_commit_clear frees what it owns. Returns 0 or
 * BPH_ERR_NOMEM.
 */
int bph_eval_commit(struct bph_eval *e, const struct bph_sweep_ctx *x,
		    int64_t run, struct bph_eval_commit *out);
void bph_eval_commit_clear(struct bph_eval_commit *out);

#endif
