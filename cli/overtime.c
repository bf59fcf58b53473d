/*
 * overtime.c - the HTML page's "over time" from the store's sweeps
 * (docs/output.md "HTML page"): for each cluster of two hosts or more
 * and the seed's,
 * how many of its hosts answered in each complete run of the sweep that
 * saw most of them, with the hosts added and removed since the run
 * before, and the stored events of that sweep's last complete run about
 * its hosts; merged into the cluster annotations the page reads.
 */
#include "cli/overtime.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "store/sweep_store.h"
#include "sweep/coverage.h"
#include "sweep/event.h"

#define MAX_EVENTS 500 /* per cluster: the page lists 200 */

struct watched {
	uint32_t ip;
	uint32_t cl; /* cluster index */
};

struct cl_hist {
	json_t *best, *cur; /* history arrays: the chosen sweep's, this one's */
	size_t best_total, cur_total;
	int64_t best_last, cur_last; /* the sweeps' last complete run */
	json_t *events;
};

struct ot {
	struct bph_store *st;
	const struct bph_clustering *c;
	struct watched *w; /* sorted by ip */
	size_t n_w;
	struct cl_hist *h; /* per cluster */
	bool *want;	   /* per cluster: two hosts or more, or the seed's */
	bool *cur, *prev;  /* per watched host: answered in the run */
	bool have_prev;
	size_t *size, *added, *removed; /* per cluster, this run */
	int64_t cur_run;		/* whose events are read */
};

struct bph_cli_overtime {
	struct bph_annot *clusters;
	char **owned; /* JSON texts made here, per cluster */
	size_t n;
	struct bph_annotations pub;
};

static int cmp_watched(const void *a, const void *b)
{
	const struct watched *x = a, *y = b;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static long find(const struct ot *o, uint32_t ip)
{
	size_t lo = 0, hi = o->n_w;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (o->w[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < o->n_w && o->w[lo].ip == ip ? (long)lo : -1;
}

/* The hosts of every cluster of two or more and of the seed's, sorted by
 * address. */
static int collect(struct ot *o, const char *seed)
{
	const struct bph_clustering *c = o->c;
	long sh = seed ? bph_clustering_host(c, seed) : -1;

	o->want = calloc(c->n_clusters + 1, sizeof(*o->want));
	o->w = calloc(c->n_hosts + 1, sizeof(*o->w));
	o->h = calloc(c->n_clusters + 1, sizeof(*o->h));
	o->cur = calloc(c->n_hosts + 1, sizeof(*o->cur));
	o->prev = calloc(c->n_hosts + 1, sizeof(*o->prev));
	o->size = calloc(3 * (c->n_clusters + 1), sizeof(*o->size));
	if (!o->want || !o->w || !o->h || !o->cur || !o->prev || !o->size)
		return BPH_ERR_NOMEM;
	for (size_t k = 0; k < c->n_clusters; k++)
		o->want[k] = c->clusters[k].n_hosts >= 2;
	if (sh >= 0)
		o->want[c->cluster_of[sh]] = true;
	o->added = o->size + c->n_clusters + 1;
	o->removed = o->added + c->n_clusters + 1;
	for (size_t i = 0; i < c->n_hosts; i++) {
		uint32_t k = c->cluster_of[i], ip;
		const char *s = c->hosts[i];
		if (o->want[k] && !bph_ipv4_parse(s, strlen(s), &ip))
			o->w[o->n_w++] = (struct watched){ip, k};
	}
	qsort(o->w, o->n_w, sizeof(*o->w), cmp_watched);
	return 0;
}

static void on_service(void *ctx, const struct bph_service *s)
{
	struct ot *o = ctx;
	long j = s->state == BPH_STATE_OPEN ? find(o, s->ip) : -1;

	if (j >= 0)
		o->cur[j] = true;
}

/* One history entry per cluster for this run. */
static int add_entries(struct ot *o, const struct bph_sweep_run *r)
{
	char when[32];

	bph_time_rfc3339((time_t)(r->observed ? r->observed : r->finished),
			 when);
	for (size_t k = 0; k < o->c->n_clusters; k++) {
		struct cl_hist *h = &o->h[k];
		if (!o->want[k])
			continue;
		if (!h->cur && !(h->cur = json_array()))
			return BPH_ERR_NOMEM;
		json_t *e = json_pack(
		    "{s:s,s:I,s:s,s:I,s:I,s:I}", "sweep", r->sweep, "run",
		    (json_int_t)r->id, "time", when, "size",
		    (json_int_t)o->size[k], "added", (json_int_t)o->added[k],
		    "removed", (json_int_t)o->removed[k]);
		if (!e || json_array_append_new(h->cur, e))
			return BPH_ERR_NOMEM;
		h->cur_total += o->size[k];
		h->cur_last = r->id;
	}
	return 0;
}

static int on_run(void *ctx, const struct bph_sweep_run *r)
{
	struct ot *o = ctx;
	size_t nk = o->c->n_clusters;

	if (r->status != BPH_RUN_COMPLETE || !r->scan_id)
		return 0;
	memset(o->cur, 0, o->n_w * sizeof(*o->cur));
	int rc = bph_store_scan_each(o->st, r->scan_id, on_service, o);
	if (rc)
		return rc;
	memset(o->size, 0, 3 * (nk + 1) * sizeof(*o->size));
	for (size_t j = 0; j < o->n_w; j++) {
		uint32_t k = o->w[j].cl;
		o->size[k] += o->cur[j];
		o->added[k] += o->have_prev && o->cur[j] && !o->prev[j];
		o->removed[k] += o->have_prev && !o->cur[j] && o->prev[j];
	}
	bool *t = o->prev;
	o->prev = o->cur;
	o->cur = t;
	o->have_prev = true;
	return add_entries(o, r);
}

/* After a sweep: a cluster keeps the sweep in which it was seen most. */
static void keep_best(struct ot *o)
{
	for (size_t k = 0; k < o->c->n_clusters; k++) {
		struct cl_hist *h = &o->h[k];
		if (h->cur && h->cur_total > h->best_total) {
			json_decref(h->best);
			h->best = h->cur;
			h->best_total = h->cur_total;
			h->best_last = h->cur_last;
		} else {
			json_decref(h->cur);
		}
		h->cur = NULL;
		h->cur_total = 0;
	}
}

static int on_sweep(void *ctx, const char *sweep, int64_t last)
{
	struct ot *o = ctx;
	int rc;

	(void)last;
	o->have_prev = false;
	rc = bph_sweep_runs_each(o->st, sweep, on_run, o);
	keep_best(o);
	return rc;
}

static int on_event(void *ctx, const struct bph_event_row *e)
{
	struct ot *o = ctx;
	long j = e->has_ip ? find(o, e->ip) : -1;
	struct cl_hist *h = j >= 0 ? &o->h[o->w[j].cl] : NULL;

	if (!h || h->best_last != o->cur_run ||
	    (h->events && json_array_size(h->events) >= MAX_EVENTS))
		return 0;
	json_t *v = json_loads(e->json, 0, NULL);
	if (!h->events)
		h->events = json_array();
	if (v && h->events)
		json_array_append_new(h->events, v);
	else
		json_decref(v);
	return h->events ? 0 : BPH_ERR_NOMEM;
}

/* The events of each chosen sweep's last run, each run read once. */
static int read_events(struct ot *o)
{
	int rc = 0;

	for (size_t k = 0; !rc && k < o->c->n_clusters; k++) {
		int64_t run = o->h[k].best_last;
		bool done = !run;
		for (size_t i = 0; !done && i < k; i++)
			done = o->h[i].best_last == run;
		o->cur_run = run;
		if (!done)
			rc = bph_sweep_events_each(o->st, run, on_event, o);
	}
	return rc;
}

/* base's JSON object (or {}) with "history" and "events" added, as a
 * new text; NULL on ENOMEM. */
static char *merged(const struct bph_annot *base, struct cl_hist *h)
{
	json_t *j = base && base->json ? json_loads(base->json, 0, NULL)
				       : json_object();
	char *t = NULL;

	if (!json_is_object(j)) {
		json_decref(j);
		j = json_object();
	}
	if (j && !json_object_set(j, "history", h->best) &&
	    (!h->events || !json_object_set(j, "events", h->events)))
		t = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return t;
}

static int build(struct ot *o, const struct bph_annotations *base,
		 struct bph_cli_overtime *out)
{
	size_t n = o->c->n_clusters;

	out->n = n;
	out->clusters = calloc(n + 1, sizeof(*out->clusters));
	out->owned = calloc(n + 1, sizeof(*out->owned));
	if (!out->clusters || !out->owned)
		return BPH_ERR_NOMEM;
	for (size_t k = 0; k < n; k++) {
		const struct bph_annot *b = bph_annot_cluster(base, k);
		if (b)
			out->clusters[k] = *b;
		if (!o->h[k].best)
			continue;
		if (!(out->owned[k] = merged(b, &o->h[k])))
			return BPH_ERR_NOMEM;
		out->clusters[k].json = out->owned[k];
	}
	out->pub = (struct bph_annotations){.hosts = base ? base->hosts : NULL,
					    .n_hosts = base ? base->n_hosts : 0,
					    .clusters = out->clusters,
					    .n_clusters = n};
	return 0;
}

static void ot_clear(struct ot *o)
{
	for (size_t k = 0; o->h && k < o->c->n_clusters; k++) {
		json_decref(o->h[k].best);
		json_decref(o->h[k].cur);
		json_decref(o->h[k].events);
	}
	free(o->h);
	free(o->want);
	free(o->w);
	free(o->cur);
	free(o->prev);
	free(o->size);
}

int bph_cli_overtime(struct bph_store *st, const struct bph_clustering *c,
		     const char *seed, const struct bph_annotations *base,
		     struct bph_cli_overtime **out)
{
	struct ot o = {.st = st, .c = c};
	struct bph_cli_overtime *r = calloc(1, sizeof(*r));
	int rc = r ? collect(&o, seed) : BPH_ERR_NOMEM;

	if (!rc && o.n_w)
		rc = bph_sweep_names_each(st, on_sweep, &o);
	if (!rc)
		rc = read_events(&o);
	if (!rc)
		rc = build(&o, base, r);
	ot_clear(&o);
	if (rc) {
		bph_cli_overtime_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

const struct bph_annotations *
bph_cli_overtime_get(const struct bph_cli_overtime *a)
{
	return a ? &a->pub : NULL;
}

void bph_cli_overtime_free(struct bph_cli_overtime *a)
{
	if (!a)
		return;
	for (size_t k = 0; a->owned && k < a->n; k++)
		free(a->owned[k]);
	free(a->owned);
	free(a->clusters);
	free(a);
}
