/*
 * engine_int.h - what the files of the probe engine share (never included
 * outside scanner/). The public API is engine.h; the design is there and in
 * docs/architecture.md. The files, from the top down:
 *
 *   engine_feed.c  the engine fed from another thread (start, submit,
 *                  cancel, finish)
 *   engine.c       the loop: hosts, budgets, the pump, bph_engine_run
 *   engine_race.c  detection policy: which probe runs next on a host
 *   engine_conn.c  the mechanism: probe runs, their connections, timers
 *
 * Calls go down only. The mechanism reaches the layers above it through
 * the two hooks in struct bph_engine (run_done, pump), as masscan's TCP
 * stack reaches its applications through function pointers.
 */
#ifndef BPH_SCANNER_ENGINE_INT_H
#define BPH_SCANNER_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

#include "probes/probe.h"
#include "scanner/engine.h"

struct bufferevent;
struct event;
struct event_base;

#define MAX_RUNS 3 /* probe runs of one host at the same time */

/*
 * ST_RACE runs detect (slot 0), then tls (slot 1) and plain http (slot 2)
 * from RACE_DELAY_MS on (engine_race.c), each into its own scratch
 * record; race_step() decides from what has finished so far and discards
 * the losers:
 *   detect saw "SSH-" or other server-first bytes   -> ssh / banner
 *   the TLS handshake completed                     -> tls (https + jarm)
 *   TLS failed and plain HTTP got a status line     -> http
 *   all three finished without that: a late "SSH-" (ssh), a reply that
 *   was TLS or HTTP but broke the protocol (the record keeps that probe's
 *   error; TLS still gets JARM), a failed connect (done), else a banner.
 * A service that talks first is therefore never mistaken for TLS or HTTP
 * (and sees one connection), and a client-first one does not wait
 * detect_wait_ms for silence.
 */
enum stage {
	ST_RACE,
	ST_TLS_FOLLOW, /* jarm and https (or jarm alone after a broken TLS) */
	ST_SSH,
	ST_BANNER,
	ST_DONE,
};

enum { R_DETECT, R_TLS, R_HTTP };

struct bph_engine;
struct host;

/*
 * The connections held to one address or one /24 (key: the address, or
 * the /24's network address), in an open-addressing table of
 * engine_cap.c. limit is the /24's adaptive limit (unused for addresses).
 */
struct eng_slot {
	uint32_t key;
	bool used;
	int open;
	int limit;
	int good;	  /* answered connections since limit last rose */
	unsigned blocked; /* pump generation in which a host waited here */
};

struct eng_caps {
	struct eng_slot *v;
	size_t n, cap; /* cap: 0 or a power of two */
};

struct run {
	const struct bph_probe *probe;
	void *priv;
	struct bph_probe_ctx ctx;
	struct bph_service *out; /* where finish writes */
	int opened;		 /* connections opened so far (next index) */
	int open;		 /* connections open now */
	bool active;
	bool aborted; /* no new connections; finish when the last closes */
	bool done;    /* finished (in ST_RACE: its scratch record is valid) */
};

struct conn {
	struct host *host;
	struct run *run;
	int idx;
	struct bufferevent *bev;
	struct event *deadline;
	struct event *idle;
	struct event *backoff; /* a retry's wait */
	void *cpriv;
	size_t nread;
	bool started;
	int pending_err; /* connect failed synchronously: report on deadline */
	struct timeval connected_at; /* when the connection came up */
	int attempt;		     /* retries so far */
	int last_err;		     /* why the previous attempt failed */
	bool waiting; /* no socket: between a failed attempt and the next */
	bool due;     /* waiting, and its backoff is over */
	struct conn *prev, *next;
};

struct host {
	struct bph_engine *e;
	struct bph_service *svc;
	struct bph_service own;		      /* svc of a submitted service */
	struct bph_service scratch[MAX_RUNS]; /* ST_RACE results */
	char ip[16];
	struct run runs[MAX_RUNS];
	enum stage stage;
	struct event *budget;
	struct timeval budget_end; /* when budget fires */
	struct event *race_timer;  /* when TLS and HTTP join the race */
	bool raced;		   /* they have */
	struct conn *conns;
	bool aborted;
	bool started;
	struct host *prev, *next; /* active list */
};

struct bph_engine {
	const struct bph_engine_cfg *cfg;
	struct bph_engine_cfg cfg_copy; /* started engines own their cfg */
	struct event_base *base;
	struct host **hosts;
	size_t n_hosts, cap_hosts;
	size_t next_host;
	int inflight; /* sockets open now (waiting retries hold none) */
	struct eng_caps addrs, nets;
	unsigned pump_gen; /* counts pumps, for eng_slot.blocked */
	uint64_t jitter;   /* xorshift state for the retries' jitter */
	struct host *active;
	int fatal;
	bool input_closed; /* seen by the loop: no more hosts will come */
	/* bph_engine_start: the loop thread and its inbox */
	pthread_t thread;
	pthread_mutex_t mu;
	struct bph_service *inbox; /* guarded by mu */
	size_t n_inbox, cap_inbox;
	bool closed;	/* guarded by mu */
	bool cancelled; /* guarded by mu */
	int wake_fd;
	struct event *wake;
	/* Set by bph_eng_init: the layers above the mechanism. */
	void (*run_done)(struct host *h);   /* a run of h finished */
	void (*pump)(struct bph_engine *e); /* after every event */
};

static inline struct timeval bph_eng_tv(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	return tv;
}

/* ---- engine_cap.c: connections per address and per /24 -------------- */

/* 1 when one more connection to ip fits every cap (all connections, the
 * address's, the /24's current limit), 0 when not, BPH_ERR_NOMEM. */
int bph_eng_room(struct bph_engine *e, uint32_t ip);
/* Counts a socket to ip opened (delta 1) or closed (-1). */
void bph_eng_count(struct bph_engine *e, uint32_t ip, int delta);
/* A connection to ip, still counted, ended before its banner: the /24's
 * limit drops to half the connections it held (at least 1). */
void bph_eng_dropped(struct bph_engine *e, uint32_t ip);
/* A connection to ip got its first byte: the /24's limit rises by one
 * after limit such answers, up to max_per_net. */
void bph_eng_answered(struct bph_engine *e, uint32_t ip);
/* Marks ip's address and /24 as having a host waiting for room in the
 * current pump; bph_eng_waited tells whether one did. */
void bph_eng_mark_waiting(struct bph_engine *e, uint32_t ip);
bool bph_eng_waited(struct bph_engine *e, uint32_t ip);
void bph_eng_caps_free(struct bph_engine *e);

/* ---- engine_conn.c: probe runs and their connections ---------------- */

/* Records the first fatal error and stops the loop. */
void bph_eng_fail(struct bph_engine *e, int err);
/* True while one of h's runs is active. */
bool bph_eng_host_busy(const struct host *h);
/* Starts probe p in run slot of h (tls: speak it inside TLS); a run that
 * wants no connection is finalized at once. */
void bph_eng_start_run(struct host *h, int slot, const struct bph_probe *p,
		       bool tls);
/* Finalizes r when it is over; returns true if it was finalized now. */
bool bph_eng_run_check(struct host *h, struct run *r);
/* Opens r's next connection. Returns 0, BPH_ERR_NOMEM or BPH_ERR_IO. */
int bph_eng_conn_open(struct host *h, struct run *r);
/* Connects c again after its backoff (c->due). 0 or BPH_ERR_*. */
int bph_eng_conn_retry(struct conn *c);
/* Closes c with status (0 or BPH_ERR_*), tells its probe, frees c; calls
 * the run_done hook when that ends the run. A refusal, reset or close
 * before the first byte instead waits for a retry while the retries and
 * the host's budget allow. */
void bph_eng_conn_close(struct conn *c, int status);

/* ---- engine_race.c: detection policy --------------------------------- */

/* Opens h's race: detect now, TLS and plain HTTP a little later. */
void bph_eng_race_begin(struct host *h);
/* Starts h's next stage until a run is active, or ends h. */
void bph_eng_host_advance(struct host *h);
/* The run_done hook: a run of h was finalized. */
void bph_eng_run_done(struct host *h);

/* ---- engine.c: the loop ---------------------------------------------- */

/* Opens what the connection limit allows, starts waiting hosts, and
 * breaks the loop once nothing is left (the pump hook). */
void bph_eng_pump(struct bph_engine *e);
/* Closes every connection of h with status and finishes its runs. */
void bph_eng_host_abort(struct host *h, int status);
int bph_eng_check_cfg(const struct bph_engine_cfg *cfg, char *err,
		      size_t errlen);
/* Appends a host probing *svc (borrowed, or h->own when svc is NULL). */
struct host *bph_eng_add_host(struct bph_engine *e, struct bph_service *svc);
int bph_eng_init(struct bph_engine *e, const struct bph_engine_cfg *cfg);
/* Runs the loop until every host is done or a fatal error. */
void bph_eng_loop(struct bph_engine *e);
/* Frees what e holds (not e itself). */
void bph_eng_free(struct bph_engine *e);
void bph_eng_set_err(int rc, char *err, size_t errlen);

#endif
