/*
 * sweep_int.h - state shared inside sweep/ and never included outside
 * it: the diff engine's context (diff.c, diff_events.c, identity.c; the
 * contract is sweep/diff.h), the config reader's (config.c,
 * config_notify.c; the contract is sweep/config.h), the reuse of a
 * run's stored evaluation (reuse.c, used by eval.c), a run's graph
 * (rungraph.c) and its evaluation state gathered from its records
 * (collect.c, used by eval.c).
 */
#ifndef BPH_SWEEP_SWEEP_INT_H
#define BPH_SWEEP_SWEEP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sweep/config.h"
#include "sweep/diff.h"
#include "sweep/snap.h"
#include "sweep/sweep.h"
#include "sweep/yconf.h"

/* absent_after is at most 30, so a window holds at most 31 runs. */
#define DIFF_MAX_RUNS 31

/* One host in every run of the window: its ports inside the universe
 * (sorted) and where its entries start in each snapshot. */
struct host_view {
	uint32_t ip;
	uint16_t *ports[DIFF_MAX_RUNS];
	size_t n_ports[DIFF_MAX_RUNS], cap[DIFF_MAX_RUNS];
	size_t first[DIFF_MAX_RUNS];
};

/* An identity artifact lost at (or gained by) a host. */
struct id_ref {
	uint64_t id;
	uint32_t ip;
	uint16_t port;
	uint8_t kind; /* enum bph_id_kind */
};

struct id_list {
	struct id_ref *v;
	size_t n, cap;
};

struct diff_ctx {
	const struct bph_diff_opts *o;
	const struct bph_diff_run *runs;
	size_t n; /* runs[n-1] is T, runs[n-2] is F */
	const struct bph_diff_source *src;
	struct bph_event_set *out;
	char *err;
	size_t errlen;
	size_t cur[DIFF_MAX_RUNS]; /* merge cursors into each snapshot */
	struct id_list lost, gained;
};

/* diff_events.c: events built from the records read back. run is the
 * window index of the run whose record or ports the event shows.
 * diff_fail keeps the first error's message. */
int diff_fail(struct diff_ctx *d, int rc, const char *what);
int diff_host_event(struct diff_ctx *d, const struct host_view *h,
		    enum bph_event_type type, size_t run, int64_t last_seen);
int diff_port_event(struct diff_ctx *d, uint32_t ip, uint16_t port,
		    enum bph_event_type type, size_t run);
int diff_fields(struct diff_ctx *d, uint32_t ip, uint16_t port, size_t base);
/* Reads (ip, port) of window run j into *out (caller clears). */
int diff_get(struct diff_ctx *d, size_t j, uint32_t ip, uint16_t port,
	     struct bph_service *out);

/* identity.c */
int diff_identity_collect(struct diff_ctx *d, const struct host_view *h);
int diff_identity_finish(struct diff_ctx *d);
void diff_identity_clear(struct diff_ctx *d);

/* ---- reuse.c: a run's stored evaluation (rules there) ---- */

/* Fills x->eval_key. Returns 0 or BPH_ERR_CRYPTO. */
int sweep_eval_key(struct bph_sweep_ctx *x);
/* Whether run r's stored hits and members are what x would compute. */
bool sweep_can_reuse(const struct bph_sweep_ctx *x,
		     const struct bph_sweep_run *r);
/* Links stored hits (key only) to x's entries and the values they
 * matched. Returns 0 or BPH_ERR_NOMEM. */
int sweep_relink_hits(const struct bph_sweep_ctx *x, struct bph_run_state *st);

/* ---- rungraph.c: a run's host-artifact graph from its records ---- */

struct bph_graph;
struct bph_service;

/* Distinct incidences one host may gather before the graph deduplicates
 * instead (a linear search per artifact stays cheap up to there). */
#define SWEEP_PEND_MAX 64

struct sweep_pend {
	uint32_t art;
	uint16_t port;
	int64_t first, last;
};

/* Feeds g as bph_graph_add_host() and bph_graph_add() per artifact
 * would, gathering each host's distinct incidences while records come in
 * address order and appending them at once (bph_graph_append). */
struct sweep_rungraph {
	struct bph_graph *g; /* borrowed */
	uint32_t ip, host;   /* the current host: address, index in g */
	bool have_host;
	bool direct; /* out of address order or a crowded host: the rest
			goes through bph_graph_add, which deduplicates */
	struct sweep_pend pend[SWEEP_PEND_MAX];
	size_t n;
	int rc; /* the first failure */
};

void sweep_rungraph_init(struct sweep_rungraph *r, struct bph_graph *g);
/* Forgets r's state (g is the caller's). */
void sweep_rungraph_clear(struct sweep_rungraph *r);
/* Adds s's host and artifacts (cleaned as bph_text_clean does). Returns
 * 0 or the first failure of r (BPH_ERR_USAGE for an empty kind or
 * value, BPH_ERR_NOMEM, BPH_ERR_TOOBIG). */
int sweep_rungraph_service(struct sweep_rungraph *r,
			   const struct bph_service *s);
/* Appends what is still gathered: call it after the last record and
 * before clustering g. Returns 0 or r's first failure. */
int sweep_rungraph_finish(struct sweep_rungraph *r);

/* ---- collect.c: a run's evaluation state from its records ---- */

struct bph_runidx;

/* What the evaluation of a run gathers from its open records, fed in
 * the order the store reads them back (bph_store_scan_each): eval.c
 * feeds one from the records it reads, `sweep run` one from the
 * records its scan stores (bph_sweep_collector_feed). */
struct bph_sweep_collector {
	const struct bph_sweep_ctx *x; /* borrowed */
	bool hits;		       /* match x's watches */
	struct bph_snap snap;
	struct bph_run_state state; /* the hits */
	struct bph_graph *g;	    /* NULL: no graph (no tracked cluster) */
	bool own_g;		    /* g is the collector's to free */
	struct sweep_rungraph rg;   /* feeds g */
	struct bph_runidx *ix;	    /* NULL: no index kept */
	/* bph_sweep_collector_feed's checks */
	int64_t scan_id; /* bph_sweep_collector_done's (0: still fed) */
	int64_t rows;	 /* records fed, of every state */
	uint32_t ip;	 /* the last record's (ip, port, seen) */
	uint16_t port;
	int64_t seen;
	int rc; /* the first failure: what was gathered is released */
};

/* Sets c up to gather the snapshot, with hits the watch hits, into g
 * (borrowed, may be NULL) the graph, with index the run's index. Returns
 * 0 or BPH_ERR_NOMEM (c is then cleared). */
int sweep_collect_init(struct bph_sweep_collector *c,
		       const struct bph_sweep_ctx *x, bool hits,
		       struct bph_graph *g, bool index);
/* Gathers s, an open service. Returns 0 or c->rc (kept). */
int sweep_collect_service(struct bph_sweep_collector *c,
			  const struct bph_service *s);
/* Completes the graph after the last service. Returns 0 or c->rc. */
int sweep_collect_finish(struct bph_sweep_collector *c);
/* Frees what c holds (its graph only when it owns it). */
void sweep_collect_clear(struct bph_sweep_collector *c);

/* ---- config readers ---- */

struct cfg_reader {
	struct bph_yconf *y;
	struct bph_sweep_config *c;
	const char *dir; /* the config's directory: base of relative paths */
};

/* A path value, made absolute against r->dir, into *out (replaced). */
int cfg_path(struct cfg_reader *r, const yaml_node_t *n, const char *what,
	     char **out);
/* A list of strings (paths made absolute when paths is set). */
int cfg_str_list(struct cfg_reader *r, const yaml_node_t *n, const char *what,
		 bool paths, struct bph_strlist *out);

/* config_notify.c */
int cfg_read_alerts(struct cfg_reader *r, const yaml_node_t *n);
int cfg_read_watch(struct cfg_reader *r, const yaml_node_t *n);
int cfg_read_notify(struct cfg_reader *r, const yaml_node_t *n);

#endif
