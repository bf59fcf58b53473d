/*
 * engine_conn.c - the probe engine's mechanism: probe runs and their
 * nonblocking connections on libevent, with connect and I/O deadlines,
 * idle timers and the read cap. Knows nothing of which probe comes next
 * (engine_race.c); the layering is in engine_int.h, the design in engine.h.
 */
#include "scanner/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "fingerprints/err.h"

#define READ_CHUNK   16384
#define RETRY_MAX_MS 2000 /* the longest wait between two attempts */

void bph_eng_fail(struct bph_engine *e, int err)
{
	if (!e->fatal)
		e->fatal = err;
	event_base_loopbreak(e->base);
}

/* ---- probe runs ---------------------------------------------------- */

/* finish + cleanup + free: the run is over. */
static void run_finalize(struct host *h, struct run *r)
{
	int rc = r->probe->finish(r->priv, r->out);

	if (rc == BPH_ERR_NOMEM)
		bph_eng_fail(h->e, rc);
	if (r->probe->cleanup)
		r->probe->cleanup(r->priv);
	free(r->priv);
	r->priv = NULL;
	r->active = false;
	r->done = true;
}

bool bph_eng_host_busy(const struct host *h)
{
	for (int i = 0; i < MAX_RUNS; i++)
		if (h->runs[i].active)
			return true;
	return false;
}

void bph_eng_start_run(struct host *h, int slot, const struct bph_probe *p,
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
	r->ctx.user_agent = cfg->user_agent;
	r->ctx.wait_ms = cfg->detect_wait_ms;
	r->ctx.tls = tls;
	r->priv = calloc(1, p->priv_size ? p->priv_size : 1);
	if (!r->priv) {
		bph_eng_fail(h->e, BPH_ERR_NOMEM);
		return;
	}
	r->active = true;
	if ((p->init && p->init(r->priv, &r->ctx) != 0) ||
	    p->conns(r->priv) <= 0)
		run_finalize(h, r);
}

/* Returns true when the run is over and was finalized. */
bool bph_eng_run_check(struct host *h, struct run *r)
{
	if (!r->active || r->open > 0)
		return false;
	if (!h->aborted && !r->aborted && r->opened < r->probe->conns(r->priv))
		return false;
	run_finalize(h, r);
	return true;
}

/* ---- connections ---------------------------------------------------- */

/* Frees c's socket (if it holds one) and takes it off the caps. */
static void conn_detach(struct conn *c)
{
	if (!c->bev)
		return;
	bufferevent_free(c->bev);
	c->bev = NULL;
	evtimer_del(c->deadline);
	evtimer_del(c->idle);
	bph_eng_count(c->host->e, c->host->svc->ip, -1);
}

/* retry_ms doubled per attempt, at most RETRY_MAX_MS. */
static int backoff_ms(const struct bph_engine_cfg *cfg, int attempt)
{
	long ms = cfg->retry_ms;

	for (int i = 0; i < attempt && ms < RETRY_MAX_MS; i++)
		ms *= 2;
	return ms < RETRY_MAX_MS ? (int)ms : RETRY_MAX_MS;
}

/* ms plus up to half as much again, at random (xorshift64). */
static int jittered(struct bph_engine *e, int ms)
{
	uint64_t x = e->jitter ? e->jitter : 0x9e3779b97f4a7c15u;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	e->jitter = x;
	return ms + (int)((x >> 11) % ((uint64_t)ms / 2 + 1));
}

/* Nothing the probe calls its banner has come on c yet. */
static bool before_banner(const struct conn *c)
{
	const struct bph_probe *p = c->run->probe;

	return c->nread == 0 ||
	       (p->before_banner && c->cpriv &&
		p->before_banner(c->run->priv, c->cpriv, c->idx));
}

/* A failure worth another attempt: the server dropped the connection
 * before its first byte, and retries and the host's budget remain. */
static bool retryable(const struct conn *c, int status, struct timeval *wait)
{
	const struct bph_engine_cfg *cfg = c->host->e->cfg;
	struct timeval now, at;

	if ((status != BPH_ERR_REFUSED && status != BPH_ERR_CLOSED &&
	     status != BPH_ERR_RESET) ||
	    !before_banner(c) || c->attempt >= cfg->retries ||
	    c->host->aborted || c->run->aborted)
		return false;
	*wait = bph_eng_tv(jittered(c->host->e, backoff_ms(cfg, c->attempt)));
	event_base_gettimeofday_cached(c->host->e->base, &now);
	timeradd(&now, wait, &at);
	return timercmp(&at, &c->host->budget_end, <);
}

/* Drops the attempt (the probe forgets it) and arms the backoff. */
static void conn_backoff(struct conn *c, int status, const struct timeval *wait)
{
	struct run *r = c->run;
	size_t csize = r->probe->conn_size ? r->probe->conn_size : 1;

	bph_eng_dropped(c->host->e, c->host->svc->ip);
	conn_detach(c);
	r->probe->on_close(r->priv, c->cpriv, c->idx, BPH_ERR_AGAIN);
	memset(c->cpriv, 0, csize);
	c->attempt++;
	c->last_err = status;
	c->waiting = true;
	c->due = false;
	if (evtimer_add(c->backoff, wait) != 0)
		c->due = true; /* no timer: retry at the next pump */
}

void bph_eng_conn_close(struct conn *c, int status)
{
	struct host *h = c->host;
	struct run *r = c->run;
	struct timeval wait;

	if (retryable(c, status, &wait)) {
		conn_backoff(c, status, &wait);
		return;
	}
	if (c->waiting && c->last_err)
		status = c->last_err; /* stopped between attempts */
	if (c->prev)
		c->prev->next = c->next;
	else
		h->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	conn_detach(c);
	if (c->deadline)
		event_free(c->deadline);
	if (c->idle)
		event_free(c->idle);
	if (c->backoff)
		event_free(c->backoff);
	if (c->cpriv)
		r->probe->on_close(r->priv, c->cpriv, c->idx, status);
	free(c->cpriv);
	free(c);
	r->open--;
	if (bph_eng_run_check(h, r) && !r->aborted)
		h->e->run_done(h);
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
		bph_eng_conn_close(c, rc < 0 ? rc : (out->err ? out->err : 0));
		return false;
	}
	if (out->len > 0 && bufferevent_write(c->bev, out->p, out->len) != 0) {
		bph_sbuf_free(out);
		bph_eng_conn_close(c, BPH_ERR_IO);
		return false;
	}
	bph_sbuf_free(out);
	if (idle_ms > 0) {
		tv = bph_eng_tv(idle_ms);
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

static void read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;
	struct evbuffer *in = bufferevent_get_input(bev);
	uint8_t buf[READ_CHUNK];
	int n;

	while ((n = evbuffer_remove(in, buf, sizeof(buf))) > 0) {
		if (c->nread == 0)
			bph_eng_answered(e, c->host->svc->ip);
		c->nread += (size_t)n;
		if (c->nread > e->cfg->max_read) {
			bph_eng_conn_close(c, BPH_ERR_TOOBIG);
			break;
		}
		if (!feed(c, buf, (size_t)n))
			break;
	}
	e->pump(e);
}

/* The cause of a socket error: refused before the connection was up,
 * reset after. */
static int socket_status(const struct conn *c)
{
	int err = EVUTIL_SOCKET_ERROR();

	if (!c->started && err == ECONNRESET)
		return BPH_ERR_RESET; /* reset before we saw the connection up
				       */
	if (!c->started)
		return err == ETIMEDOUT ? BPH_ERR_TIMEOUT : BPH_ERR_REFUSED;
	if (err == ECONNRESET || err == EPIPE)
		return BPH_ERR_RESET;
	if (err == ETIMEDOUT)
		return BPH_ERR_TIMEOUT;
	return BPH_ERR_IO;
}

static void on_connected(struct conn *c)
{
	struct run *r = c->run;
	struct timeval tv = bph_eng_tv(c->host->e->cfg->io_timeout_ms);
	struct bph_sbuf out;
	struct bph_probe_io io = {&out, 0};
	int rc;

	c->started = true;
	event_base_gettimeofday_cached(c->host->e->base, &c->connected_at);
	evtimer_add(c->deadline, &tv);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	bph_sbuf_init(&out);
	rc = r->probe->start(r->priv, c->cpriv, c->idx, &io);
	apply(c, rc, &out, io.idle_ms);
}

/* The peer closed: before its banner (its first byte, or what the probe
 * calls its banner) that is "closed before banner", retried, then
 * recorded; after it, the probe decides. */
static void on_eof(struct conn *c)
{
	struct run *r = c->run;
	int rc = BPH_ERR_PROTO;

	if (before_banner(c))
		rc = BPH_ERR_CLOSED;
	else if (r->probe->on_eof)
		rc = r->probe->on_eof(r->priv, c->cpriv, c->idx);
	bph_eng_conn_close(c, rc < 0 ? rc : 0);
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
		bph_eng_conn_close(c, socket_status(c));
	e->pump(e);
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
	e->pump(e);
}

static void deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;

	(void)fd;
	(void)what;
	bph_eng_conn_close(c,
			   c->pending_err ? c->pending_err : BPH_ERR_TIMEOUT);
	e->pump(e);
}

static void backoff_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	struct bph_engine *e = c->host->e;

	(void)fd;
	(void)what;
	c->due = true;
	e->pump(e);
}

/* Opens a socket for c and starts connecting (counted against the caps). */
static int conn_attach(struct conn *c)
{
	struct bph_engine *e = c->host->e;
	struct sockaddr_in sa;
	struct timeval tv = bph_eng_tv(e->cfg->connect_timeout_ms);

	c->bev = bufferevent_socket_new(e->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!c->bev)
		return BPH_ERR_NOMEM;
	bph_eng_count(e, c->host->svc->ip, 1);
	c->started = false;
	c->nread = 0;
	c->pending_err = 0;
	c->waiting = c->due = false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(c->host->svc->port);
	sa.sin_addr.s_addr = htonl(c->host->svc->ip);
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&sa,
				       sizeof(sa)) != 0) {
		c->pending_err =
		    errno == ECONNREFUSED ? BPH_ERR_REFUSED : BPH_ERR_IO;
		tv = bph_eng_tv(0);
	}
	return evtimer_add(c->deadline, &tv) == 0 ? 0 : BPH_ERR_IO;
}

int bph_eng_conn_retry(struct conn *c)
{
	return conn_attach(c);
}

int bph_eng_conn_open(struct host *h, struct run *r)
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
	c->deadline = evtimer_new(e->base, deadline_cb, c);
	c->idle = evtimer_new(e->base, idle_cb, c);
	c->backoff = evtimer_new(e->base, backoff_cb, c);
	c->next = h->conns;
	if (h->conns)
		h->conns->prev = c;
	h->conns = c;
	r->open++;
	if (!c->cpriv || !c->deadline || !c->idle || !c->backoff)
		return BPH_ERR_NOMEM;
	return conn_attach(c);
}
