/*
 * outbox.c - notifications through the store's outbox: a run's digests
 * are queued in the same transaction as its events, then every pending
 * delivery of the sweep (older runs first) is sent, retried within the
 * run with a doubling delay, and what still fails stays pending for the
 * next run under the same delivery id (contract in sweep/outbox.h;
 * docs/guide.md "Notifications").
 */
#include "sweep/outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"

static const char *const type_names[BPH_NT_COUNT] = {"webhook", "email",
						     "syslog", "exec"};

int bph_outbox_prepare(const struct bph_sweep_config *c,
		       const struct bph_event_set *s, const char *hostname,
		       struct bph_delivery **out, size_t *n)
{
	struct bph_delivery *v = calloc(c->n_notify + 1, sizeof(*v));
	int rc = v ? 0 : BPH_ERR_NOMEM;
	bool empty;

	*n = 0;
	for (size_t i = 0; !rc && i < c->n_notify; i++) {
		rc = bph_notify_prepare(c, &c->notify[i], s, hostname, &v[*n],
					&empty);
		if (!rc && !empty)
			(*n)++;
	}
	if (rc) {
		bph_outbox_free(v, *n);
		v = NULL;
		*n = 0;
	}
	*out = v;
	return rc;
}

void bph_outbox_free(struct bph_delivery *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bph_delivery_clear(&v[i]);
	free(v);
}

struct bph_outbox_row *bph_outbox_rows(const struct bph_delivery *v, size_t n)
{
	struct bph_outbox_row *r = calloc(n + 1, sizeof(*r));

	for (size_t i = 0; r && i < n; i++) {
		r[i].delivery = v[i].id;
		r[i].sweep = v[i].sweep;
		r[i].run = v[i].run;
		r[i].channel = v[i].channel;
		r[i].type = type_names[v[i].type];
		r[i].payload = v[i].payload ? v[i].payload : "";
		r[i].len = v[i].len;
		r[i].n_events = (int64_t)v[i].n_events;
	}
	return r;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

struct deliver_ctx {
	struct bph_store *st;
	const struct bph_sweep_config *c;
	const struct bph_confine *cf;
	FILE *log;
	size_t delivered, pending;
};

static const struct bph_notify_cfg *channel_of(const struct bph_sweep_config *c,
					       const char *id)
{
	for (size_t i = 0; i < c->n_notify; i++)
		if (!strcmp(c->notify[i].id, id))
			return &c->notify[i];
	return NULL;
}

/* Attempts d on ch until it is accepted, refused, or the retries run
 * out; every attempt is recorded. */
static int attempts(struct deliver_ctx *x, const struct bph_notify_cfg *ch,
		    const struct bph_delivery *d)
{
	const struct bph_channel *k = bph_channel_of(ch->type);
	uint64_t delay = ch->retry_delay_ms, after;
	char err[512];
	int rc = 0;

	for (unsigned i = 0; !rc && i <= ch->retries; i++) {
		err[0] = '\0';
		enum bph_send_result r =
		    k->send(ch, d, x->cf, &after, err, sizeof(err));
		const char *status = r == BPH_SEND_OK	      ? "delivered"
				     : r == BPH_SEND_REJECTED ? "rejected"
							      : "pending";
		rc = bph_outbox_attempt(x->st, d->id, status,
					r == BPH_SEND_OK ? NULL : err);
		if (r == BPH_SEND_OK) {
			x->delivered++;
			return rc;
		}
		if (x->log)
			fprintf(x->log, "bphound: notify %s (run %lld): %s\n",
				ch->id, (long long)d->run, err);
		if (r == BPH_SEND_REJECTED)
			return rc;
		if (i < ch->retries) {
			sleep_ms(after ? after : delay);
			delay *= 2;
		}
	}
	x->pending++;
	if (x->log && !rc)
		fprintf(x->log,
			"bphound: notify %s: delivery %s kept in the outbox "
			"for the next run\n",
			ch->id, d->id);
	return rc;
}

static int deliver_row(void *vctx, const struct bph_outbox_row *r)
{
	struct deliver_ctx *x = vctx;
	const struct bph_notify_cfg *ch = channel_of(x->c, r->channel);
	struct bph_delivery d = {0};

	if (!ch || strcmp(type_names[ch->type], r->type)) {
		x->pending++;
		if (x->log)
			fprintf(x->log,
				"bphound: notify: delivery %s is for channel "
				"'%s' (%s), which the config no longer has; "
				"kept in the outbox\n",
				r->delivery, r->channel, r->type);
		return 0;
	}
	snprintf(d.id, sizeof(d.id), "%s", r->delivery);
	d.type = ch->type;
	d.run = r->run;
	d.n_events = (size_t)r->n_events;
	d.channel = (char *)r->channel;
	d.sweep = (char *)r->sweep;
	d.payload = (char *)r->payload;
	d.len = r->len;
	return attempts(x, ch, &d);
}

int bph_outbox_deliver(struct bph_store *st, const struct bph_sweep_config *c,
		       const struct bph_confine *cf, FILE *log,
		       size_t *delivered, size_t *pending)
{
	struct deliver_ctx x = {st, c, cf, log, 0, 0};
	int rc = bph_outbox_pending_each(st, c->name, deliver_row, &x);

	*delivered = x.delivered;
	*pending = x.pending;
	return rc;
}
