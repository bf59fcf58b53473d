/*
 * engine.c - the probe engine's loop: hosts in submission order, each with
 * its time budget, the pump that fills free connection slots, and
 * bph_engine_run. The design is in engine.h; how the files of the engine
 * divide the work is in engine_int.h.
 */
#include "scanner/engine_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "fingerprints/err.h"
#include "probes/registry.h"

void bph_engine_cfg_default(struct bph_engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_connections = 512;
	cfg->connect_timeout_ms = 3000;
	cfg->io_timeout_ms = 5000;
	cfg->host_budget_ms = 30000;
	cfg->detect_wait_ms = 1000;
	cfg->max_read = 2 * 1024 * 1024;
	cfg->sni = NULL;
	cfg->user_agent = NULL;
	cfg->jarm = true;
	cfg->max_per_host = 4;
	cfg->max_per_net = 16;
	cfg->retries = 8;
	cfg->retry_ms = 250;
}

/* ---- hosts and the pump --------------------------------------------- */

/* Whether h may open one more connection now: 1, 0 (a cap is full: the
 * address and /24 are marked as having a host waiting), or < 0. */
static int room_for(struct host *h)
{
	int rc = bph_eng_room(h->e, h->svc->ip);

	if (rc == 0)
		bph_eng_mark_waiting(h->e, h->svc->ip);
	return rc;
}

/* Reconnects h's connections whose backoff is over, then opens what its
 * runs want, as far as the caps allow. */
static void open_pending(struct host *h)
{
	struct bph_engine *e = h->e;
	int rc = 0;

	for (struct conn *c = h->conns; c && !h->aborted; c = c->next) {
		if (!c->waiting || !c->due)
			continue;
		if ((rc = room_for(h)) <= 0 ||
		    (rc = bph_eng_conn_retry(c)) != 0)
			goto out;
	}
	for (int i = 0; i < MAX_RUNS && !h->aborted; i++) {
		struct run *r = &h->runs[i];
		while (r->active && r->opened < r->probe->conns(r->priv)) {
			if ((rc = room_for(h)) <= 0 ||
			    (rc = bph_eng_conn_open(h, r)) != 0)
				goto out;
		}
	}
out:
	if (rc < 0)
		bph_eng_fail(e, rc == BPH_ERR_IO ? rc : BPH_ERR_NOMEM);
}

/* Closes every connection of h with status and finishes its runs. */
void bph_eng_host_abort(struct host *h, int status)
{
	h->aborted = true;
	while (h->conns)
		bph_eng_conn_close(h->conns, status);
	for (int i = 0; i < MAX_RUNS; i++)
		bph_eng_run_check(h, &h->runs[i]);
	if (h->stage != ST_DONE && !bph_eng_host_busy(h))
		bph_eng_host_advance(h);
}

static void budget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct bph_engine *e = h->e;

	(void)fd;
	(void)what;
	bph_eng_host_abort(h, BPH_ERR_TIMEOUT);
	bph_eng_pump(e);
}

static void host_begin(struct host *h)
{
	struct bph_engine *e = h->e;
	struct timeval tv = bph_eng_tv(e->cfg->host_budget_ms);

	struct timeval now;

	bph_service_clear(h->svc);
	bph_ip_str(h->svc->ip, h->ip);
	h->started = true;
	event_base_gettimeofday_cached(e->base, &now);
	timeradd(&now, &tv, &h->budget_end);
	h->budget = evtimer_new(e->base, budget_cb, h);
	if (!h->budget || evtimer_add(h->budget, &tv) != 0) {
		bph_eng_fail(e, BPH_ERR_NOMEM);
		return;
	}
	h->next = e->active;
	if (e->active)
		e->active->prev = h;
	e->active = h;
	h->stage = ST_RACE;
	for (int i = 0; i < MAX_RUNS; i++) {
		h->scratch[i].ip = h->svc->ip;
		h->scratch[i].port = h->svc->port;
	}
	bph_eng_race_begin(h);
}

/* Ends the loop once no host can come any more and none is running. */
static void maybe_stop(struct bph_engine *e)
{
	if (e->input_closed && !e->active && e->next_host == e->n_hosts)
		event_base_loopbreak(e->base);
}

/* How far past the first host not started the pump looks for hosts whose
 * address and /24 have room, so that one full /24 does not hold up the
 * others. */
#define BEGIN_WINDOW 1024

/* Starts waiting hosts in submission order, skipping those whose address
 * or /24 is full or has a started host waiting for room. */
static void begin_hosts(struct bph_engine *e)
{
	size_t end = e->next_host + BEGIN_WINDOW;

	for (size_t i = e->next_host; i < e->n_hosts && i < end && !e->fatal &&
				      e->inflight < e->cfg->max_connections;
	     i++) {
		struct host *h = e->hosts[i];
		int room;
		if (h->started || bph_eng_waited(e, h->svc->ip))
			continue;
		room = bph_eng_room(e, h->svc->ip);
		if (room < 0)
			bph_eng_fail(e, room);
		if (room <= 0)
			continue;
		host_begin(h);
		if (h->stage != ST_DONE)
			open_pending(h);
	}
	while (e->next_host < e->n_hosts && e->hosts[e->next_host]->started)
		e->next_host++;
}

void bph_eng_pump(struct bph_engine *e)
{
	struct host *h, *next;

	e->pump_gen++;
	for (h = e->active; h && !e->fatal; h = next) {
		next = h->next;
		if (e->inflight >= e->cfg->max_connections)
			return;
		open_pending(h);
	}
	begin_hosts(e);
	maybe_stop(e);
}

int bph_eng_check_cfg(const struct bph_engine_cfg *cfg, char *err,
		      size_t errlen)
{
	if (cfg->max_connections > 0 && cfg->connect_timeout_ms > 0 &&
	    cfg->io_timeout_ms > 0 && cfg->host_budget_ms > 0 &&
	    cfg->detect_wait_ms > 0 && cfg->max_read > 0 &&
	    cfg->max_per_host > 0 && cfg->max_per_net > 0 &&
	    cfg->retries >= 0 && cfg->retry_ms > 0)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "engine: limits and timeouts must be > 0");
	return BPH_ERR_USAGE;
}

/* Appends a host probing *svc (borrowed, or h->own when svc is NULL). */
struct host *bph_eng_add_host(struct bph_engine *e, struct bph_service *svc)
{
	struct host *h;

	if (e->n_hosts == e->cap_hosts) {
		size_t cap = e->cap_hosts ? 2 * e->cap_hosts : 64;
		struct host **nh = realloc(e->hosts, cap * sizeof(*nh));
		if (!nh)
			return NULL;
		e->hosts = nh;
		e->cap_hosts = cap;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->e = e;
	h->svc = svc ? svc : &h->own;
	e->hosts[e->n_hosts++] = h;
	return h;
}

int bph_eng_init(struct bph_engine *e, const struct bph_engine_cfg *cfg)
{
	e->cfg = cfg;
	e->wake_fd = -1;
	e->run_done = bph_eng_run_done;
	if (getrandom(&e->jitter, sizeof(e->jitter), GRND_NONBLOCK) !=
	    sizeof(e->jitter))
		e->jitter = (uint64_t)time(NULL);
	e->pump = bph_eng_pump;
	e->base = event_base_new();
	return e->base ? 0 : BPH_ERR_NOMEM;
}

/* After a fatal error: release every connection and run still held. */
static void teardown(struct bph_engine *e)
{
	for (size_t i = 0; i < e->n_hosts; i++)
		if (e->hosts[i]->started &&
		    (e->hosts[i]->stage != ST_DONE || e->hosts[i]->conns))
			bph_eng_host_abort(e->hosts[i], BPH_ERR_IO);
}

void bph_eng_loop(struct bph_engine *e)
{
	bph_eng_pump(e);
	if (!e->fatal &&
	    !(e->input_closed && !e->active && e->next_host == e->n_hosts) &&
	    event_base_dispatch(e->base) < 0)
		e->fatal = BPH_ERR_IO;
	teardown(e);
}

void bph_eng_free(struct bph_engine *e)
{
	if (e->wake)
		event_free(e->wake);
	if (e->base)
		event_base_free(e->base);
	for (size_t i = 0; i < e->n_hosts; i++) {
		for (int k = 0; k < MAX_RUNS; k++)
			bph_service_clear(&e->hosts[i]->scratch[k]);
		bph_service_clear(&e->hosts[i]->own);
		free(e->hosts[i]);
	}
	free(e->hosts);
	bph_eng_caps_free(e);
	for (size_t i = 0; i < e->n_inbox; i++)
		bph_service_clear(&e->inbox[i]);
	free(e->inbox);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
}

void bph_eng_set_err(int rc, char *err, size_t errlen)
{
	if (rc != 0 && err && errlen)
		snprintf(err, errlen, "engine: %s", bph_strerror(rc));
}

int bph_engine_run(const struct bph_engine_cfg *cfg, struct bph_service *svcs,
		   size_t n, char *err, size_t errlen)
{
	struct bph_engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	rc = bph_eng_check_cfg(cfg, err, errlen);
	if (rc != 0)
		return rc;
	/* A peer's reset must not kill the process through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	rc = bph_eng_init(&e, cfg);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (svcs[i].state == BPH_STATE_OPEN &&
		    !bph_eng_add_host(&e, &svcs[i]))
			rc = BPH_ERR_NOMEM;
	if (rc == 0) {
		e.input_closed = true;
		bph_eng_loop(&e);
		rc = e.fatal;
	}
	bph_eng_set_err(rc, err, errlen);
	bph_eng_free(&e);
	return rc;
}
