/*
 * engine_feed.c - the probe engine fed while it runs: its loop on a thread
 * of its own, services handed over through a mutex-guarded inbox and an
 * eventfd, cancel and finish from any thread. Contract in engine.h.
 */
#include "scanner/engine_int.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "fingerprints/err.h"

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
		bph_eng_fail(e, BPH_ERR_IO);
	pthread_mutex_lock(&e->mu);
	in = e->inbox;
	n = e->n_inbox;
	e->inbox = NULL;
	e->n_inbox = e->cap_inbox = 0;
	e->input_closed = e->closed;
	cancel = e->cancelled;
	pthread_mutex_unlock(&e->mu);
	for (size_t i = 0; i < n; i++) {
		struct host *h = bph_eng_add_host(e, NULL);
		if (!h) {
			bph_service_clear(&in[i]);
			bph_eng_fail(e, BPH_ERR_NOMEM);
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
			bph_eng_host_abort(h, BPH_ERR_TIMEOUT);
		}
	}
	bph_eng_pump(e);
}

static void *loop_thread(void *arg)
{
	bph_eng_loop(arg);
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
	rc = bph_eng_check_cfg(cfg, err, errlen);
	if (rc != 0) {
		free(e);
		return rc;
	}
	signal(SIGPIPE, SIG_IGN);
	e->cfg_copy = *cfg;
	rc = bph_eng_init(e, &e->cfg_copy);
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
		bph_eng_set_err(rc, err, errlen);
		bph_eng_free(e);
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
	bph_eng_set_err(rc, err, errlen);
	bph_eng_free(e);
	free(e);
	return rc;
}
