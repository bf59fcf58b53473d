/*
 * sweep_store.h - the store's tables for sweeps (store/store_sweep.c;
 * schema module "sweep" in store/schema.c; columns in docs/output.md "The
 * store"): runs with their status and coverage, the events of each run,
 * each run's watch hits and tracked-cluster members (what the next run
 * compares with), and the outbox of notifications not yet delivered.
 * Written through the store's SQL layer, so they work on SQLite and
 * PostgreSQL alike.
 */
#ifndef BPH_STORE_SWEEP_STORE_H
#define BPH_STORE_SWEEP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fingerprints/record.h"

struct bph_store;

enum bph_run_status {
	BPH_RUN_RUNNING = 0,
	BPH_RUN_COMPLETE,
	BPH_RUN_INTERRUPTED, /* SIGINT/SIGTERM, or found running after a
				crash (kill -9) */
	BPH_RUN_FAILED,
};

/* "running", "complete", "interrupted", "failed". */
const char *bph_run_status_name(enum bph_run_status s);

struct bph_sweep_run {
	int64_t id;
	char sweep[72];
	int64_t scan_id; /* 0: no scan yet */
	enum bph_run_status status;
	int64_t started, finished; /* Unix seconds; finished 0: not yet */
	int64_t observed;	   /* when its scan ended (events' time) */
	int64_t pid;
	char config_sha256[65];
	char *ranges, *ports; /* coverage (sweep/coverage.h text), owned */
	int64_t hosts, services, events;
	bool evaluated;	   /* its watch hits and members are stored */
	char eval_key[65]; /* what that evaluation read ("": unknown) */
	int64_t eval_now;  /* the time it judged watch expiry at */
	char *error;	   /* why it failed, owned, may be NULL */
};

void bph_sweep_run_clear(struct bph_sweep_run *r);

/*
 * Marks every run of sweep still "running" as interrupted (the caller
 * holds the sweep lock, so none of them is alive); *n counts them.
 * Then inserts a new running run. Returns 0 or a negative BPH_ERR_*.
 */
int bph_sweep_run_begin(struct bph_store *st, const char *sweep,
			const char *config_sha256, int64_t pid, int64_t *run,
			int *n_interrupted);

/* Records the run's scan, its coverage and when the scan ended. */
int bph_sweep_run_set_scan(struct bph_store *st, int64_t run, int64_t scan_id,
			   const char *ranges, const char *ports,
			   int64_t observed);

/* Ends a run as interrupted or failed, with an optional reason. */
int bph_sweep_run_end(struct bph_store *st, int64_t run,
		      enum bph_run_status status, const char *error);

/* Reads run id into *out (cleared by the caller after). Returns 0,
 * BPH_ERR_USAGE (no such run) or another negative BPH_ERR_*. */
int bph_sweep_run_get(struct bph_store *st, int64_t id,
		      struct bph_sweep_run *out);

/*
 * Up to max ids of complete runs of sweep with id < before (0: any),
 * newest first, into ids; their number into *n.
 */
int bph_sweep_runs_complete(struct bph_store *st, const char *sweep,
			    int64_t before, size_t max, int64_t *ids,
			    size_t *n);

/* Calls cb for every run of sweep (every sweep when NULL), oldest first.
 * A nonzero return of cb stops the walk and is returned. */
typedef int (*bph_sweep_run_cb)(void *ctx, const struct bph_sweep_run *r);
int bph_sweep_runs_each(struct bph_store *st, const char *sweep,
			bph_sweep_run_cb cb, void *ctx);

/* The names of every sweep with runs, with their newest complete run;
 * cb(ctx, name, run id or 0). */
int bph_sweep_names_each(struct bph_store *st,
			 int (*cb)(void *ctx, const char *sweep,
				   int64_t last_complete),
			 void *ctx);

/* ---- a run's services ---- */

/*
 * Calls cb with every open service of scan_id (each record borrowed for
 * the call), in (ip, port) order. Returns 0, or a negative BPH_ERR_*
 * (a record that does not decode is BPH_ERR_FORMAT).
 */
int bph_store_scan_each(struct bph_store *st, int64_t scan_id,
			bph_service_cb cb, void *ctx);

/* The number of service rows of scan_id (of every state; what
 * bph_store_scan_services walks) into *n. Returns 0 or a negative
 * BPH_ERR_*. */
int bph_store_scan_rows(struct bph_store *st, int64_t scan_id, int64_t *n);

/* The open service (ip, port) of scan_id into *out (zeroed by the
 * caller; clear it after). Returns 0, BPH_ERR_USAGE when there is none. */
int bph_store_scan_get(struct bph_store *st, int64_t scan_id, uint32_t ip,
		       uint16_t port, struct bph_service *out);

/* Calls cb with every open service (ip, port) of scan_id, oldest
 * first, as bph_store_scan_each gives them. Returns 0 or a negative
 * BPH_ERR_*. */
int bph_store_scan_port_each(struct bph_store *st, int64_t scan_id, uint32_t ip,
			     uint16_t port, bph_service_cb cb, void *ctx);

/* The same for many services of one scan, its statement prepared once
 * (a prepare per service was a quarter of matching a million-host run's
 * watch candidates): open (0 or a negative BPH_ERR_*; *out NULL on
 * failure), each as bph_store_scan_port_each, close (NULL-safe). */
struct bph_scan_ports;
int bph_scan_ports_open(struct bph_store *st, int64_t scan_id,
			struct bph_scan_ports **out);
int bph_scan_ports_each(struct bph_scan_ports *p, uint32_t ip, uint16_t port,
			bph_service_cb cb, void *ctx);
void bph_scan_ports_close(struct bph_scan_ports *p);

/* The newest complete run of sweep before run in which ip had an open
 * service, into *last (0: none). */
int bph_sweep_seen_before(struct bph_store *st, const char *sweep, int64_t run,
			  uint32_t ip, int64_t *last);

/*
 * Every open service ever stored (all scans) of hosts[0..n) (dotted IPv4
 * addresses; another name has none; one given twice is read for its
 * first index), for reading many hosts at once: their rows are found in
 * address order, then read in the table's order, so a store larger than
 * memory is read forward once, not at random (the Zeek export of a
 * million-host store: docs/performance.md). cb(ctx, at, s) comes in that
 * order, hosts interleaved; at says whose the service is and orders a
 * host's services (scan_id, then port, then row) as the scans gave them.
 */
struct bph_host_at {
	size_t host;	 /* index into hosts */
	int64_t scan_id; /* the scan that stored it */
	int64_t row;	 /* its row in the store: the last key */
};
typedef void (*bph_hosts_cb)(void *ctx, const struct bph_host_at *at,
			     const struct bph_service *s);
int bph_store_hosts_each(struct bph_store *st, const char *const *hosts,
			 size_t n, bph_hosts_cb cb, void *ctx);

/* ---- what a run derived: watch hits and tracked-cluster members ---- */

struct bph_hit_row {
	const char *watch; /* the watch entry's key */
	uint32_t ip;
	int port; /* -1: an address watch */
};

/*
 * Inside bph_sweep_commit's transaction (see below) or alone: stores a
 * run's hits, members and the evaluated flag.
 */
int bph_sweep_state_put(struct bph_store *st, int64_t run,
			const struct bph_hit_row *hits, size_t n_hits,
			const char *const *member_cluster,
			const uint32_t *member_ip, size_t n_members);

/* Calls cb for each stored hit of run. */
int bph_sweep_hits_each(struct bph_store *st, int64_t run,
			int (*cb)(void *ctx, const struct bph_hit_row *h),
			void *ctx);
/* Calls cb for each stored member of run, with the evidence its
 * evaluation stored (JSON text, NULL when none was). */
int bph_sweep_members_each(struct bph_store *st, int64_t run,
			   int (*cb)(void *ctx, const char *cluster,
				     uint32_t ip, const char *evidence),
			   void *ctx);

/* ---- a run's snapshot (what the diff compares, sweep/snap.h) ---- */

/* The snapshot to store, encoded by the caller in chunks. */
struct bph_sweep_snap_out {
	int format; /* the encoding's version: a reader skips other ones */
	size_t n_chunks;
	/* Chunk i (asked in order): its bytes (valid until the next call)
	 * and its number of entries; *len 0 ends the chunks before
	 * n_chunks. Returns 0 or a negative BPH_ERR_*. */
	int (*chunk)(void *ctx, size_t i, const void **data, size_t *len,
		     size_t *n);
	void *ctx;
};

/* Inside bph_sweep_commit's transaction or alone: replaces run's stored
 * snapshot with s's chunks. Returns 0 or a negative BPH_ERR_*. */
int bph_sweep_snap_put(struct bph_store *st, int64_t run,
		       const struct bph_sweep_snap_out *s);

/* Called with each stored chunk of a snapshot, in order (data borrowed
 * for the call, n its entries). A nonzero return stops and is returned. */
typedef int (*bph_sweep_snap_cb)(void *ctx, const void *data, size_t len,
				 size_t n);
/*
 * Calls cb for each chunk of run's snapshot when one is stored in the
 * given format (*found true); none, or another format: *found false and
 * cb may have been called for nothing. Returns 0 or a negative BPH_ERR_*.
 */
int bph_sweep_snap_each(struct bph_store *st, int64_t run, int format,
			bph_sweep_snap_cb cb, void *ctx, bool *found);

/* ---- a run's index (its graph and watch terms, sweep/runidx.c) ---- */

/* Inside bph_sweep_commit's transaction or alone: replaces run's stored
 * index (table sweep_index) with s's chunks. Returns 0 or a negative
 * BPH_ERR_*. */
int bph_sweep_index_put(struct bph_store *st, int64_t run,
			const struct bph_sweep_snap_out *s);
/* As bph_sweep_snap_each, for run's stored index. */
int bph_sweep_index_each(struct bph_store *st, int64_t run, int format,
			 bph_sweep_snap_cb cb, void *ctx, bool *found);

/* ---- events and the outbox ---- */

struct bph_event_row {
	const char *id, *type, *severity;
	bool has_ip;
	uint32_t ip;
	int port;	  /* -1: none */
	const char *json; /* the event object, compact */
};

struct bph_outbox_row {
	const char *delivery, *sweep, *channel, *type;
	int64_t run;
	const char *payload;
	size_t len;
	int64_t n_events;
	const char *status; /* "pending", "delivered", "rejected" */
	int64_t attempts, created, last_attempt, delivered;
	const char *last_error;
};

/*
 * One transaction: for a complete run its state (as bph_sweep_state_put)
 * and counts; its events (replacing any stored for it); new outbox rows
 * (a delivery already queued is kept as it is); and the run's status
 * (with error for an interrupted or failed one), and for a complete run
 * its snapshot when snap is set and its index when index is. Nothing of it
 * is stored when it fails, so only a complete run ever has an index.
 */
struct bph_sweep_commit {
	int64_t run;
	enum bph_run_status status;
	const char *error; /* may be NULL */
	const struct bph_hit_row *hits;
	size_t n_hits;
	const char *const *member_cluster;
	const uint32_t *member_ip;
	const char *const *member_evidence; /* per member; may be NULL */
	size_t n_members;
	const char *eval_key; /* what the evaluation read; may be NULL */
	int64_t eval_now;     /* the time it judged watch expiry at */
	const struct bph_event_row *events;
	size_t n_events;
	const struct bph_outbox_row *outbox;
	size_t n_outbox;
	int64_t hosts, services;
	const struct bph_sweep_snap_out *snap;	/* complete run; may be NULL */
	const struct bph_sweep_snap_out *index; /* complete run; may be NULL */
};
int bph_sweep_commit(struct bph_store *st, const struct bph_sweep_commit *c);

/* Calls cb for every stored event of run, in id order. */
int bph_sweep_events_each(struct bph_store *st, int64_t run,
			  int (*cb)(void *ctx, const struct bph_event_row *e),
			  void *ctx);

/* Calls cb for each pending delivery of sweep, oldest run first. */
int bph_outbox_pending_each(struct bph_store *st, const char *sweep,
			    int (*cb)(void *ctx,
				      const struct bph_outbox_row *r),
			    void *ctx);
/* Records an attempt: status ("pending", "delivered", "rejected") and
 * the error of a failed one (NULL when delivered). */
int bph_outbox_attempt(struct bph_store *st, const char *delivery,
		       const char *status, const char *error);
/* Counts a sweep's deliveries by status (NULL sweep: all). */
int bph_outbox_count(struct bph_store *st, const char *sweep,
		     const char *status, int64_t *n);

#endif
