/*
 * engine_race.c - the probe engine's detection policy: the race of detect,
 * TLS and plain HTTP that opens every host, its verdicts, and the stages
 * that follow (TLS then JARM and HTTPS, SSH, banner). The design is in
 * engine.h; the connections are engine_conn.c's.
 */
#include "scanner/engine_int.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "fingerprints/err.h"
#include "probes/probe.h"
#include "probes/registry.h"

/* ---- stages --------------------------------------------------------- */

static int set_proto(struct bph_service *svc, const char *proto)
{
	free(svc->proto);
	svc->proto = strdup(proto);
	return svc->proto ? 0 : BPH_ERR_NOMEM;
}

static bool is_proto(const struct bph_service *svc, const char *proto)
{
	return svc->proto && strcmp(svc->proto, proto) == 0;
}

/* Stops a run of ST_RACE: its connections close, its result is ignored. */
static void run_abort(struct host *h, struct run *r)
{
	struct conn *c, *next;

	if (!r->active)
		return;
	r->aborted = true;
	for (c = h->conns; c; c = next) {
		next = c->next;
		if (c->run == r)
			bph_eng_conn_close(c, BPH_ERR_TIMEOUT);
	}
	bph_eng_run_check(h, r);
}

/* Moves a sub-object of a scratch record into the service. */
#define TAKE(h, slot, member)                                                  \
	do {                                                                   \
		(h)->svc->member = (h)->scratch[slot].member;                  \
		(h)->scratch[slot].member = NULL;                              \
	} while (0)

/* Leaves ST_RACE for stage st with protocol proto (NULL: none). */
static void race_end(struct host *h, enum stage st, const char *proto)
{
	if (h->race_timer)
		evtimer_del(h->race_timer);
	h->stage = st;
	for (int i = 0; i < MAX_RUNS; i++)
		run_abort(h, &h->runs[i]);
	if (proto && set_proto(h->svc, proto) != 0)
		bph_eng_fail(h->e, BPH_ERR_NOMEM);
}

static void race_to_tls(struct host *h, bool handshake_ok)
{
	race_end(h, ST_TLS_FOLLOW, "tls");
	TAKE(h, R_TLS, tls);
	if (handshake_ok)
		bph_eng_start_run(h, 0, &bph_probe_http, true);
	if (h->e->cfg->jarm && !h->aborted)
		bph_eng_start_run(h, 1, &bph_probe_jarm, false);
	if (!bph_eng_host_busy(h))
		h->stage = ST_DONE;
}

/* All three race runs finished without an early verdict. */
static void race_settle(struct host *h)
{
	const struct bph_service *d = &h->scratch[R_DETECT];
	const struct bph_service *t = &h->scratch[R_TLS];
	const struct bph_service *w = &h->scratch[R_HTTP];

	if (!h->aborted &&
	    (is_proto(t, "ssh") || is_proto(w, "ssh"))) { /* a late banner */
		race_end(h, ST_SSH, "ssh");
		bph_eng_start_run(h, 0, &bph_probe_ssh, false);
	} else if (is_proto(t, "tls")) { /* TLS records, broken handshake */
		race_to_tls(h, false);
	} else if (is_proto(w, "http")) { /* an HTTP reply that broke */
		race_end(h, ST_DONE, "http");
		TAKE(h, R_HTTP, http);
	} else if (d->banner && d->banner->error) { /* could not connect */
		race_end(h, ST_DONE, NULL);
		TAKE(h, R_DETECT, banner);
	} else if (h->aborted) { /* the budget ran out first: say so */
		race_end(h, ST_DONE, NULL);
		h->svc->banner = bph_banner_info_new();
		if (!h->svc->banner)
			bph_eng_fail(h->e, BPH_ERR_NOMEM);
		else
			bph_probe_set_error(&h->svc->banner->error,
					    BPH_ERR_TIMEOUT, "budget");
	} else {
		race_end(h, ST_BANNER, "banner");
		bph_eng_start_run(h, 0, &bph_probe_banner, false);
	}
}

/*
 * How long detect has the port to itself once connected. A server that
 * talks first (SSH, SMTP, FTP) has said so by then (round trips up to
 * this long), and the TLS and HTTP attempts never open: a server that
 * counts its clients' connections (sshd's MaxStartups) sees one. A
 * client-first one waits this much longer.
 */
#define RACE_DELAY_MS 250

/* TLS and plain HTTP join the race (once). */
static void race_join(struct host *h)
{
	if (h->raced || h->stage != ST_RACE || h->aborted)
		return;
	h->raced = true;
	if (h->race_timer)
		evtimer_del(h->race_timer);
	bph_eng_start_run(h, R_TLS, &bph_probe_tls, false);
	bph_eng_start_run(h, R_HTTP, &bph_probe_http, false);
}

/*
 * How much longer TLS and HTTP should wait: until detect's connection has
 * been up RACE_DELAY_MS (a server-first banner comes about one round trip
 * after our side of the handshake), and not while detect is still
 * connecting or waiting to retry after the server turned it away.
 */
static bool race_wait(struct host *h, struct timeval *left)
{
	struct timeval now, since, delay = bph_eng_tv(RACE_DELAY_MS);

	*left = delay;
	for (const struct conn *c = h->conns; c; c = c->next) {
		if (c->run != &h->runs[R_DETECT])
			continue;
		if (c->waiting || !c->started)
			return true;
		event_base_gettimeofday_cached(h->e->base, &now);
		timersub(&now, &c->connected_at, &since);
		if (!timercmp(&since, &delay, <))
			return false;
		timersub(&delay, &since, left);
		return true;
	}
	return false;
}

static void race_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct timeval left;

	(void)fd;
	(void)what;
	if (race_wait(h, &left))
		evtimer_add(h->race_timer, &left);
	else
		race_join(h);
	h->e->pump(h->e);
}

void bph_eng_race_begin(struct host *h)
{
	struct timeval tv = bph_eng_tv(RACE_DELAY_MS / 5); /* then as needed */

	h->race_timer = evtimer_new(h->e->base, race_timer_cb, h);
	if (!h->race_timer || evtimer_add(h->race_timer, &tv) != 0) {
		bph_eng_fail(h->e, BPH_ERR_NOMEM);
		return;
	}
	bph_eng_start_run(h, R_DETECT, &bph_probe_detect, false);
	if (!bph_eng_host_busy(h))
		bph_eng_host_advance(h);
}

static void race_step(struct host *h)
{
	const struct bph_service *d = &h->scratch[R_DETECT];
	const struct bph_service *t = &h->scratch[R_TLS];
	const struct bph_service *w = &h->scratch[R_HTTP];
	bool d_done = h->runs[R_DETECT].done, t_done = h->runs[R_TLS].done;
	bool w_done = h->runs[R_HTTP].done;

	if (h->stage != ST_RACE || h->e->fatal)
		return;
	if (d_done && !h->raced && !is_proto(d, "ssh") &&
	    !is_proto(d, "banner"))
		race_join(h); /* silence (or no connection): client-first? */
	if (d_done && !h->aborted && is_proto(d, "ssh")) {
		race_end(h, ST_SSH, "ssh");
		bph_eng_start_run(h, 0, &bph_probe_ssh, false);
	} else if (d_done && !h->aborted && is_proto(d, "banner")) {
		race_end(h, ST_BANNER, "banner");
		bph_eng_start_run(h, 0, &bph_probe_banner, false);
	} else if (t_done && t->tls && t->tls->version) {
		race_to_tls(h, true);
	} else if (t_done && w_done && w->http && w->http->status > 0) {
		race_end(h, ST_DONE, "http");
		TAKE(h, R_HTTP, http);
	} else if (d_done && t_done && w_done) {
		race_settle(h);
	} else {
		return;
	}
	if (!bph_eng_host_busy(h))
		bph_eng_host_advance(h);
}

/* Starts the next stage's runs; false when the host is finished. */
static bool next_stage(struct host *h)
{
	if (h->e->fatal)
		return false;
	if (h->aborted) {
		/* The budget ran out before TLS and HTTP joined the race
		 * (detect still retrying a reset, or waiting): the record
		 * says why, never an open port with nothing on it. */
		if (h->stage == ST_RACE)
			race_settle(h);
		return false;
	}
	if (h->stage == ST_RACE) {
		race_step(h);
		return h->stage != ST_DONE && bph_eng_host_busy(h);
	}
	h->stage = ST_DONE;
	return false;
}

static void host_end(struct host *h)
{
	struct bph_engine *e = h->e;

	if (h->budget)
		event_free(h->budget);
	h->budget = NULL;
	if (h->race_timer)
		event_free(h->race_timer);
	h->race_timer = NULL;
	if (h->prev)
		h->prev->next = h->next;
	else if (e->active == h)
		e->active = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	h->stage = ST_DONE;
	for (int i = 0; i < MAX_RUNS; i++)
		bph_service_clear(&h->scratch[i]);
}

void bph_eng_host_advance(struct host *h)
{
	if (h->stage == ST_DONE && !h->budget)
		return; /* already ended */
	while (!bph_eng_host_busy(h)) {
		if (!next_stage(h)) {
			host_end(h);
			return;
		}
	}
}

/* A run of h was finalized. */
void bph_eng_run_done(struct host *h)
{
	if (h->stage == ST_RACE)
		race_step(h);
	else if (!bph_eng_host_busy(h))
		bph_eng_host_advance(h);
}
