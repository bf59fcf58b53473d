#include "scanner/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <pthread.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fingerprints/err.h"
#include "probes/registry.h"

#define READ_CHUNK 16384
#define MAX_RUNS   3 /* probe runs of one host at the same time */

/*
 * ST_RACE runs detect (slot 0), tls (slot 1) and plain http (slot 2) at
 * once, each into its own scratch record; race_step() decides from what
 * has finished so far and discards the losers:
 *   detect saw "SSH-" or other server-first bytes   -> ssh / banner
 *   the TLS handshake completed                     -> tls (https + jarm)
 *   TLS failed and plain HTTP got a status line     -> http
 *   all three finished without that: a late "SSH-" (ssh), a reply that
 *   was TLS or HTTP but broke the protocol (the record keeps that probe's
 *   error; TLS still gets JARM), a failed connect (done), else a banner.
 * A service that talks first is therefore never mistaken for TLS or HTTP,
 * and a client-first one no longer waits detect_wait_ms for silence.
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
	void *cpriv;
	size_t nread;
	bool started;
	int pending_err; /* connect failed synchronously: report on deadline */
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
	int inflight;
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
};

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
	cfg->jarm = true;
}

static struct timeval ms_tv(int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	return tv;
}

static void fail(struct bph_engine *e, int err)
{
	if (!e->fatal)
		e->fatal = err;
	event_base_loopbreak(e->base);
}

/* ---- probe runs ---------------------------------------------------- */

static void host_advance(struct host *h);
static void race_step(struct host *h);

/* finish + cleanup + free: the run is over. */
static void run_finalize(struct host *h, struct run *r)
{
	int rc = r->probe->finish(r->priv, r->out);

	if (rc == BPH_ERR_NOMEM)
		fail(h->e, rc);
	if (r->probe->cleanup)
		r->probe->cleanup(r->priv);
	free(r->priv);
	r->priv = NULL;
	r->active = false;
	r->done = true;
}

static bool host_busy(const struct host *h)
{
	for (int i = 0; i < MAX_RUNS; i++)
		if (h->runs[i].active)
			return true;
	return false;
}

static void start_run(struct host *h, int slot, const struct bph_probe *p,
		      bool tls)
{
	const struct bph_engine_cfg *cfg = h->e->cfg;
	struct run *r = &h->runs[slot];

	memset(r, 0, sizeof(*r));
	r->probe = p;
	r->out = h->stage == ST_RACE ? &h->scratch[slot] : h->svc;
	r->ctx.ip = h->ip;
	r->ctx.port = h->svc->port;
	r->ctx.sni = cfg->sni ? cfg->sni : h->ip;
	r->ctx.wait_ms = cfg->detect_wait_ms;
	r->ctx.tls = tls;
	r->priv = calloc(1, p->priv_size ? p->priv_size : 1);
	if (!r->priv) {
		fail(h->e, BPH_ERR_NOMEM);
		return;
	}
	r->active = true;
	if ((p->init && p->init(r->priv, &r->ctx) != 0) ||
	    p->conns(r->priv) <= 0)
		run_finalize(h, r);
}

/* Returns true when the run is over and was finalized. */
static bool run_check(struct host *h, struct run *r)
{
	if (!r->active || r->open > 0)
		return false;
	if (!h->aborted && !r->aborted && r->opened < r->probe->conns(r->priv))
		return false;
	run_finalize(h, r);
	return true;
}

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

static void conn_close(struct conn *c, int status);

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
			conn_close(c, BPH_ERR_TIMEOUT);
	}
	run_check(h, r);
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
	h->stage = st;
	for (int i = 0; i < MAX_RUNS; i++)
		run_abort(h, &h->runs[i]);
	if (proto && set_proto(h->svc, proto) != 0)
		fail(h->e, BPH_ERR_NOMEM);
}

static void race_to_tls(struct host *h, bool handshake_ok)
{
	race_end(h, ST_TLS_FOLLOW, "tls");
	TAKE(h, R_TLS, tls);
	if (handshake_ok)
		start_run(h, 0, &bph_probe_http, true);
	if (h->e->cfg->jarm && !h->aborted)
		start_run(h, 1, &bph_probe_jarm, false);
	if (!host_busy(h))
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
		start_run(h, 0, &bph_probe_ssh, false);
	} else if (is_proto(t, "tls")) { /* TLS records, broken handshake */
		race_to_tls(h, false);
	} else if (is_proto(w, "http")) { /* an HTTP reply that broke */
		race_end(h, ST_DONE, "http");
		TAKE(h, R_HTTP, http);
	} else if (d->banner && d->banner->error) { /* could not connect */
		race_end(h, ST_DONE, NULL);
		TAKE(h, R_DETECT, banner);
	} else if (h->aborted) {
		race_end(h, ST_DONE, NULL);
	} else {
		race_end(h, ST_BANNER, "banner");
		start_run(h, 0, &bph_probe_banner, false);
	}
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
	if (d_done && !h->aborted && is_proto(d, "ssh")) {
		race_end(h, ST_SSH, "ssh");
		start_run(h, 0, &bph_probe_ssh, false);
	} else if (d_done && !h->aborted && is_proto(d, "banner")) {
		race_end(h, ST_BANNER, "banner");
		start_run(h, 0, &bph_probe_banner, false);
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
	if (!host_busy(h))
		host_advance(h);
}

/* Starts the next stage's runs; false when the host is finished. */
static bool next_stage(struct host *h)
{
	if (h->aborted || h->e->fatal)
		return false;
	if (h->stage == ST_RACE) {
		race_step(h);
		return h->stage != ST_DONE && host_busy(h);
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

static void host_advance(struct host *h)
{
	if (h->stage == ST_DONE && !h->budget)
		return; /* already ended */
	while (!host_busy(h)) {
		if (!next_stage(h)) {
			host_end(h);
			return;
		}
	}
}

/* A run of h was finalized. */
static void run_done(struct host *h)
{
	if (h->stage == ST_RACE)
		race_step(h);
	else if (!host_busy(h))
		host_advance(h);
}

/* ---- connections ---------------------------------------------------- */

static void conn_close(struct conn *c, int status)
{
	struct host *h = c->host;
	struct run *r = c->run;

	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->deadline)
		event_free(c->deadline);
	if (c->idle)
		event_free(c->idle);
	if (c->cpriv)
		r->probe->on_close(r->priv, c->cpriv, c->idx, status);
	free(c->cpriv);
	free(c);
	h->e->inflight--;
	r->open--;
	if (run_check(h, r) && !r->aborted)
		run_done(h);
}

/*
 * Applies a callback's verdict: MORE sends io's bytes and (re)arms the idle
 * timer; DONE or an error closes the connection. Returns true if c lives.
 */
static bool apply(struct conn *c, int rc, struct bph_sbuf *out, int idle_ms)
{
	struct timeval tv;

	if (rc != BPH_PROBE_MORE || out->err) {
		bph_sbuf_free(out);
		conn_close(c, rc < 0 ? rc : (out->err ? out->err : 0));
		return false;
	}
	if (out->len > 0 && bufferevent_write(c->bev, out->p, out->len) != 0) {
		bph_sbuf_free(out);
		conn_close(c, BPH_ERR_IO);
		return false;
	}
	bph_sbuf_free(out);
	if (idle_ms > 0) {
		tv = ms_tv(idle_ms);
		evtimer_add(c->idle, &tv);
	} else {
		evtimer_del(c->idle);
	}
	return true;
}

static bool feed(struct conn *c, const uint8_t *p, size_t n)
{
	struct run *r = c->run;
	struct bph_sbuf out;
	struct bph_probe_io io = {&out, 0};
	int rc;

	bph_sbuf_init(&out);
	rc = r->probe->on_read(r->priv, c->cpriv, c->idx, p, n, &io);
	return apply(c, rc, &out, io.idle_ms);
}

static void pump(struct bph_engine *e);

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t buf[READ_CHUNK];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		c->nread += (size_t)n;
		if (c->nread > e->cfg->max_read) {
			conn_close(c, BPH_ERR_TOOBIG);
			break;
		}
		if (!feed(c, buf, (size_t)n))
			break;
	}
	pump(e);
}

static int socket_status(const struct conn *c)
{
	int err = EVUTIL_SOCKET_ERROR();

	if (err == ECONNREFUSED || err == ECONNRESET || err == EPIPE ||
	    !c->started)
		return BPH_ERR_REFUSED;
	return BPH_ERR_IO;
}

static void on_connected(struct conn *c)
{
	struct run *r = c->run;
	struct timeval tv = ms_tv(c->host->e->cfg->io_timeout_ms);
	struct bph_sbuf out;
	struct bph_probe_io io = {&out, 0};
	int rc;

	c->started = true;
	evtimer_add(c->deadline, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	bph_sbuf_init(&out);
	rc = r->probe->start(r->priv, c->cpriv, c->idx, &io);
	apply(c, rc, &out, io.idle_ms);
}

static void on_eof(struct conn *c)
{
	struct run *r = c->run;
	int rc = BPH_ERR_PROTO;

	if (r->probe->on_eof)
		rc = r->probe->on_eof(r->priv, c->cpriv, c->idx);
	conn_close(c, rc < 0 ? rc : 0);
}

static void event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED)
		on_connected(c);
	else if (what & BEV_EVENT_EOF)
		on_eof(c);
	else if (what & BEV_EVENT_ERROR)
		conn_close(c, socket_status(c));
	pump(e);
}

static void idle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;
	struct run *r = c->run;
	struct bph_sbuf out;
	struct bph_probe_io io = {&out, 0};
	int rc = BPH_PROBE_DONE;

	(void)fd;
	(void)what;
	bph_sbuf_init(&out);
	if (r->probe->on_idle)
		rc = r->probe->on_idle(r->priv, c->cpriv, c->idx, &io);
	apply(c, rc, &out, io.idle_ms);
	pump(e);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;

	(void)fd;
	(void)what;
	conn_close(c, c->pending_err ? c->pending_err : BPH_ERR_TIMEOUT);
	pump(e);
}

static int conn_connect(struct conn *c)
{
	struct bph_engine *e = c->host->e;
	struct sockaddr_in sa;
	struct timeval tv = ms_tv(e->cfg->connect_timeout_ms);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(c->host->svc->port);
	sa.sin_addr.s_addr = htonl(c->host->svc->ip);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sa,
				       sizeof(sa)) != 0) {
		c->pending_err =
		    errno == ECONNREFUSED ? BPH_ERR_REFUSED : BPH_ERR_IO;
		tv = ms_tv(0);
	}
	return evtimer_add(c->deadline, &tv) == 0 ? 0 : BPH_ERR_IO;
}

static int conn_open(struct host *h, struct run *r)
{
	struct bph_engine *e = h->e;
	size_t csize = r->probe->conn_size ? r->probe->conn_size : 1;
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		return BPH_ERR_NOMEM;
	c->host = h;
	c->run = r;
	c->idx = r->opened++;
	c->cpriv = calloc(1, csize);
	c->bev = bufferevent_socket_new(e->base, -1, BEV_OPT_CLOSE_ON_FREE);
	c->deadline = evtimer_new(e->base, deadline_cb, c);
	c->idle = evtimer_new(e->base, idle_cb, c);
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	e->inflight++;
	r->open++;
	if (!c->cpriv || !c->bev || !c->deadline || !c->idle)
		return BPH_ERR_NOMEM;
	return conn_connect(c);
}

/* ---- hosts and the pump --------------------------------------------- */

static void open_pending(struct host *h)
{
	struct bph_engine *e = h->e;

	for (int i = 0; i < MAX_RUNS && !h->aborted; i++) {
		struct run *r = &h->runs[i];
		while (r->active && e->inflight < e->cfg->max_connections &&
		       r->opened < r->probe->conns(r->priv)) {
			if (conn_open(h, r) != 0) {
				fail(e, BPH_ERR_NOMEM);
				return;
			}
		}
	}
}

/* Closes every connection of h with status and finishes its runs. */
static void host_abort(struct host *h, int status)
{
	h->aborted = true;
	while (h->conns)
		conn_close(h->conns, status);
	for (int i = 0; i < MAX_RUNS; i++)
		run_check(h, &h->runs[i]);
	if (h->stage != ST_DONE && !host_busy(h))
		host_advance(h);
}

static void budget_cb(evutil_socket_t fd, short what, void *arg)
{
	struct host *h = arg;
	struct bph_engine *e = h->e;

	(void)fd;
	(void)what;
	host_abort(h, BPH_ERR_TIMEOUT);
	pump(e);
}

static void host_begin(struct host *h)
{
	struct bph_engine *e = h->e;
	struct timeval tv = ms_tv(e->cfg->host_budget_ms);

	bph_service_clear(h->svc);
	bph_ip_str(h->svc->ip, h->ip);
	h->started = true;
	h->budget = evtimer_new(e->base, budget_cb, h);
	if (!h->budget || evtimer_add(h->budget, &tv) != 0) {
		fail(e, BPH_ERR_NOMEM);
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
	start_run(h, R_DETECT, &bph_probe_detect, false);
	start_run(h, R_TLS, &bph_probe_tls, false);
	start_run(h, R_HTTP, &bph_probe_http, false);
	if (!host_busy(h))
		host_advance(h);
}

/* Ends the loop once no host can come any more and none is running. */
static void maybe_stop(struct bph_engine *e)
{
	if (e->input_closed && !e->active && e->next_host == e->n_hosts)
		event_base_loopbreak(e->base);
}

static void pump(struct bph_engine *e)
{
	struct host *h, *next;

	for (h = e->active; h && !e->fatal; h = next) {
		next = h->next;
		if (e->inflight >= e->cfg->max_connections)
			return;
		open_pending(h);
	}
	while (!e->fatal && e->inflight < e->cfg->max_connections &&
	       e->next_host < e->n_hosts) {
		h = e->hosts[e->next_host++];
		host_begin(h);
		if (h->stage != ST_DONE)
			open_pending(h);
	}
	maybe_stop(e);
}

static int check_cfg(const struct bph_engine_cfg *cfg, char *err, size_t errlen)
{
	if (cfg->max_connections > 0 && cfg->connect_timeout_ms > 0 &&
	    cfg->io_timeout_ms > 0 && cfg->host_budget_ms > 0 &&
	    cfg->detect_wait_ms > 0 && cfg->max_read > 0)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "engine: limits and timeouts must be > 0");
	return BPH_ERR_USAGE;
}

/* Appends a host probing *svc (borrowed, or h->own when svc is NULL). */
static struct host *add_host(struct bph_engine *e, struct bph_service *svc)
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

static int engine_init(struct bph_engine *e, const struct bph_engine_cfg *cfg)
{
	e->cfg = cfg;
	e->wake_fd = -1;
	e->base = event_base_new();
	return e->base ? 0 : BPH_ERR_NOMEM;
}

/* After a fatal error: release every connection and run still held. */
static void teardown(struct bph_engine *e)
{
	for (size_t i = 0; i < e->next_host; i++)
		if (e->hosts[i]->stage != ST_DONE || e->hosts[i]->conns)
			host_abort(e->hosts[i], BPH_ERR_IO);
}

static void engine_loop(struct bph_engine *e)
{
	pump(e);
	if (!e->fatal &&
	    !(e->input_closed && !e->active && e->next_host == e->n_hosts) &&
	    event_base_dispatch(e->base) < 0)
		e->fatal = BPH_ERR_IO;
	teardown(e);
}

static void engine_free(struct bph_engine *e)
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
	for (size_t i = 0; i < e->n_inbox; i++)
		bph_service_clear(&e->inbox[i]);
	free(e->inbox);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
}

static void set_err(int rc, char *err, size_t errlen)
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
	rc = check_cfg(cfg, err, errlen);
	if (rc != 0)
		return rc;
	/* A peer's reset must not kill the process through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	rc = engine_init(&e, cfg);
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (svcs[i].state == BPH_STATE_OPEN && !add_host(&e, &svcs[i]))
			rc = BPH_ERR_NOMEM;
	if (rc == 0) {
		e.input_closed = true;
		engine_loop(&e);
		rc = e.fatal;
	}
	set_err(rc, err, errlen);
	engine_free(&e);
	return rc;
}

/* ---- a running engine fed from another thread ----------------------- */

/* The loop thread: moves submitted services into hosts and pumps. */
static void wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct bph_engine *e = arg;
	uint64_t v;
	struct bph_service *in;
	size_t n;
	bool cancel;

	(void)what;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fail(e, BPH_ERR_IO);
	pthread_mutex_lock(&e->mu);
	in = e->inbox;
	n = e->n_inbox;
	e->inbox = NULL;
	e->n_inbox = e->cap_inbox = 0;
	e->input_closed = e->closed;
	cancel = e->cancelled;
	pthread_mutex_unlock(&e->mu);
	for (size_t i = 0; i < n; i++) {
		struct host *h = add_host(e, NULL);
		if (!h) {
			bph_service_clear(&in[i]);
			fail(e, BPH_ERR_NOMEM);
			continue;
		}
		h->own = in[i];
	}
	free(in);
	if (cancel) {
		/* Hosts not started yet stay as the SYN scan left them. */
		e->next_host = e->n_hosts;
		for (struct host *h = e->active, *next; h; h = next) {
			next = h->next;
			host_abort(h, BPH_ERR_TIMEOUT);
		}
	}
	pump(e);
}

static void *loop_thread(void *arg)
{
	engine_loop(arg);
	return NULL;
}

static int wake(struct bph_engine *e)
{
	uint64_t one = 1;

	return write(e->wake_fd, &one, sizeof(one)) == sizeof(one) ||
		       errno == EAGAIN
		   ? 0
		   : BPH_ERR_IO;
}

/* The loop thread blocks every signal: SIGINT/SIGTERM stay with the
 * caller's thread (the SYN scan reads them through a signalfd). */
static int spawn(struct bph_engine *e)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&e->thread, NULL, loop_thread, e);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int bph_engine_start(const struct bph_engine_cfg *cfg, struct bph_engine **out,
		     char *err, size_t errlen)
{
	struct bph_engine *e = calloc(1, sizeof(*e));
	int rc;

	*out = NULL;
	if (!e)
		return BPH_ERR_NOMEM;
	rc = check_cfg(cfg, err, errlen);
	if (rc != 0) {
		free(e);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	e->cfg_copy = *cfg;
	rc = engine_init(e, &e->cfg_copy);
	if (rc == 0) {
		e->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		e->wake = e->wake_fd >= 0
			      ? event_new(e->base, e->wake_fd,
					  EV_READ | EV_PERSIST, wake_cb, e)
			      : NULL;
		rc = e->wake && event_add(e->wake, NULL) == 0 ? 0 : BPH_ERR_IO;
	}
	if (rc == 0 && pthread_mutex_init(&e->mu, NULL) != 0)
		rc = BPH_ERR_NOMEM;
	if (rc == 0 && spawn(e) != 0) {
		pthread_mutex_destroy(&e->mu);
		rc = BPH_ERR_NOMEM;
	}
	if (rc != 0) {
		set_err(rc, err, errlen);
		engine_free(e);
		free(e);
		return rc;
	}
	*out = e;
	return 0;
}

int bph_engine_submit(struct bph_engine *eng, const struct bph_service *svc)
{
	struct bph_engine *e = eng;
	struct bph_service *dst;
	int rc = 0;

	if (svc->state != BPH_STATE_OPEN)
		return 0;
	pthread_mutex_lock(&e->mu);
	if (e->closed) {
		rc = BPH_ERR_USAGE;
	} else if (e->n_inbox == e->cap_inbox) {
		size_t cap = e->cap_inbox ? 2 * e->cap_inbox : 64;
		struct bph_service *ni = realloc(e->inbox, cap * sizeof(*ni));
		if (ni) {
			e->inbox = ni;
			e->cap_inbox = cap;
		} else {
			rc = BPH_ERR_NOMEM;
		}
	}
	if (rc == 0) {
		dst = &e->inbox[e->n_inbox++];
		*dst = *svc;
		dst->proto = NULL;
		dst->tls = NULL;
		dst->ssh = NULL;
		dst->http = NULL;
		dst->banner = NULL;
	}
	pthread_mutex_unlock(&e->mu);
	return rc == 0 ? wake(e) : rc;
}

int bph_engine_cancel(struct bph_engine *eng)
{
	struct bph_engine *e = eng;

	if (!e)
		return 0;
	pthread_mutex_lock(&e->mu);
	e->cancelled = true;
	pthread_mutex_unlock(&e->mu);
	return wake(e);
}

int bph_engine_finish(struct bph_engine *eng, struct bph_service **svcs,
		      size_t *n, char *err, size_t errlen)
{
	struct bph_engine *e = eng;
	struct bph_service *v = NULL;
	int rc;

	*svcs = NULL;
	*n = 0;
	if (!e)
		return 0;
	pthread_mutex_lock(&e->mu);
	e->closed = true;
	pthread_mutex_unlock(&e->mu);
	rc = wake(e);
	if (rc != 0) /* the loop cannot learn it is over: stop it */
		event_base_loopbreak(e->base);
	pthread_join(e->thread, NULL);
	pthread_mutex_destroy(&e->mu);
	if (rc == 0)
		rc = e->fatal;
	if (rc == 0 && e->n_hosts > 0) {
		v = calloc(e->n_hosts, sizeof(*v));
		if (!v)
			rc = BPH_ERR_NOMEM;
	}
	for (size_t i = 0; rc == 0 && i < e->n_hosts; i++) {
		v[i] = e->hosts[i]->own;
		memset(&e->hosts[i]->own, 0, sizeof(e->hosts[i]->own));
	}
	if (rc == 0) {
		*svcs = v;
		*n = e->n_hosts;
	}
	set_err(rc, err, errlen);
	engine_free(e);
	free(e);
	return rc;
}
