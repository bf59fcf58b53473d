#include "scanner/engine.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fingerprints/err.h"
#include "probes/registry.h"

#define READ_CHUNK 16384
#define MAX_RUNS   2 /* probe runs of one host at the same time */

enum stage {
	ST_DETECT,
	ST_TLS,
	ST_TLS_FOLLOW, /* jarm and https */
	ST_HTTP,
	ST_SSH,
	ST_BANNER,
	ST_DONE,
};

struct engine;
struct host;

struct run {
	const struct bph_probe *probe;
	void *priv;
	struct bph_probe_ctx ctx;
	int opened; /* connections opened so far (next index) */
	int open;   /* connections open now */
	bool active;
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
	struct engine *e;
	struct bph_service *svc;
	char ip[16];
	struct run runs[MAX_RUNS];
	enum stage stage;
	struct event *budget;
	struct conn *conns;
	bool aborted;
	struct host *prev, *next; /* active list */
};

struct engine {
	const struct bph_engine_cfg *cfg;
	struct event_base *base;
	struct host *hosts;
	size_t n_hosts;
	size_t next_host;
	int inflight;
	struct host *active;
	int fatal;
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

static void fail(struct engine *e, int err)
{
	if (!e->fatal)
		e->fatal = err;
	event_base_loopbreak(e->base);
}

/* ---- probe runs ---------------------------------------------------- */

static void host_advance(struct host *h);

/* finish + cleanup + free: the run is over. */
static void run_finalize(struct host *h, struct run *r)
{
	int rc = r->probe->finish(r->priv, h->svc);

	if (rc == BPH_ERR_NOMEM)
		fail(h->e, rc);
	if (r->probe->cleanup)
		r->probe->cleanup(r->priv);
	free(r->priv);
	r->priv = NULL;
	r->active = false;
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
	if (!h->aborted && r->opened < r->probe->conns(r->priv))
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

static void after_detect(struct host *h)
{
	struct bph_service *svc = h->svc;

	if (is_proto(svc, "ssh")) {
		h->stage = ST_SSH;
		start_run(h, 0, &bph_probe_ssh, false);
	} else if (is_proto(svc, "banner")) {
		h->stage = ST_BANNER;
		start_run(h, 0, &bph_probe_banner, false);
	} else if (svc->banner && svc->banner->error) {
		h->stage = ST_DONE; /* could not even connect */
	} else {
		h->stage = ST_TLS;
		start_run(h, 0, &bph_probe_tls, false);
	}
}

/* A probe saw "SSH-" after detect's wait (a slow server-first banner). */
static bool late_ssh(struct host *h)
{
	if (!is_proto(h->svc, "ssh"))
		return false;
	h->stage = ST_SSH;
	start_run(h, 0, &bph_probe_ssh, false);
	return true;
}

static void after_tls(struct host *h)
{
	struct bph_service *svc = h->svc;

	if (svc->tls && svc->tls->version) {
		if (set_proto(svc, "tls") != 0)
			fail(h->e, BPH_ERR_NOMEM);
		h->stage = ST_TLS_FOLLOW;
		start_run(h, 0, &bph_probe_http, true);
		if (h->e->cfg->jarm)
			start_run(h, 1, &bph_probe_jarm, false);
		return;
	}
	bph_tls_info_free(svc->tls); /* not TLS: no record of the attempt */
	svc->tls = NULL;
	if (late_ssh(h))
		return;
	h->stage = ST_HTTP;
	start_run(h, 0, &bph_probe_http, false);
}

static void after_http(struct host *h)
{
	struct bph_service *svc = h->svc;

	if (svc->http && svc->http->status > 0) {
		if (set_proto(svc, "http") != 0)
			fail(h->e, BPH_ERR_NOMEM);
		h->stage = ST_DONE;
		return;
	}
	bph_http_info_free(svc->http);
	svc->http = NULL;
	if (late_ssh(h))
		return;
	if (set_proto(svc, "banner") != 0)
		fail(h->e, BPH_ERR_NOMEM);
	h->stage = ST_BANNER;
	start_run(h, 0, &bph_probe_banner, false);
}

/* Starts the next stage's runs; false when the host is finished. */
static bool next_stage(struct host *h)
{
	if (h->aborted || h->e->fatal)
		return false;
	switch (h->stage) {
	case ST_DETECT:
		after_detect(h);
		break;
	case ST_TLS:
		after_tls(h);
		break;
	case ST_HTTP:
		after_http(h);
		break;
	default:
		h->stage = ST_DONE;
		break;
	}
	return h->stage != ST_DONE;
}

static void host_end(struct host *h)
{
	struct engine *e = h->e;

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
}

static void host_advance(struct host *h)
{
	while (!host_busy(h)) {
		if (!next_stage(h)) {
			host_end(h);
			return;
		}
	}
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
	if (run_check(h, r) && !host_busy(h))
		host_advance(h);
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

static void pump(struct engine *e);

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct engine *e = c->host->e;
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
	struct engine *e = c->host->e;

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
	struct engine *e = c->host->e;
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
	struct engine *e = c->host->e;

	(void)fd;
	(void)what;
	conn_close(c, c->pending_err ? c->pending_err : BPH_ERR_TIMEOUT);
	pump(e);
}

static int conn_connect(struct conn *c)
{
	struct engine *e = c->host->e;
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
	struct engine *e = h->e;
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
	struct engine *e = h->e;

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
	struct engine *e = h->e;

	(void)fd;
	(void)what;
	host_abort(h, BPH_ERR_TIMEOUT);
	pump(e);
}

static void host_begin(struct host *h)
{
	struct engine *e = h->e;
	struct timeval tv = ms_tv(e->cfg->host_budget_ms);

	bph_service_clear(h->svc);
	bph_ip_str(h->svc->ip, h->ip);
	h->budget = evtimer_new(e->base, budget_cb, h);
	if (!h->budget || evtimer_add(h->budget, &tv) != 0) {
		fail(e, BPH_ERR_NOMEM);
		return;
	}
	h->next = e->active;
	if (e->active)
		e->active->prev = h;
	e->active = h;
	h->stage = ST_DETECT;
	start_run(h, 0, &bph_probe_detect, false);
	if (!host_busy(h))
		host_advance(h);
}

static void pump(struct engine *e)
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
		h = &e->hosts[e->next_host++];
		host_begin(h);
		if (h->stage != ST_DONE)
			open_pending(h);
	}
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

static int setup(struct engine *e, struct bph_service *svcs, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += svcs[i].state == BPH_STATE_OPEN;
	e->hosts = calloc(k ? k : 1, sizeof(*e->hosts));
	e->base = event_base_new();
	if (!e->hosts || !e->base)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (svcs[i].state != BPH_STATE_OPEN)
			continue;
		e->hosts[e->n_hosts].e = e;
		e->hosts[e->n_hosts].svc = &svcs[i];
		e->n_hosts++;
	}
	return 0;
}

/* After a fatal error: release every connection and run still held. */
static void teardown(struct engine *e)
{
	for (size_t i = 0; i < e->next_host; i++)
		if (e->hosts[i].stage != ST_DONE || e->hosts[i].conns)
			host_abort(&e->hosts[i], BPH_ERR_IO);
}

int bph_engine_run(const struct bph_engine_cfg *cfg, struct bph_service *svcs,
		   size_t n, char *err, size_t errlen)
{
	struct engine e;
	int rc;

	memset(&e, 0, sizeof(e));
	e.cfg = cfg;
	rc = check_cfg(cfg, err, errlen);
	if (rc != 0)
		return rc;
	/* A peer's reset must not kill the process through SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	rc = setup(&e, svcs, n);
	if (rc == 0) {
		pump(&e);
		if (!e.fatal && event_base_dispatch(e.base) < 0)
			e.fatal = BPH_ERR_IO;
		teardown(&e);
		rc = e.fatal;
	}
	if (rc != 0 && err && errlen)
		snprintf(err, errlen, "engine: %s", bph_strerror(rc));
	if (e.base)
		event_base_free(e.base);
	free(e.hosts);
	return rc;
}
