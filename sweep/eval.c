/*
 * eval.c - evaluating a run from the store (contract and rules in
 * sweep/sweep.h): loads the window of runs as snapshots, each run's watch
 * hits and tracked-cluster members, then the diff (sweep/diff.c), the
 * watch events (sweep/hits.c) and the cluster events (sweep/cwatch.c).
 */
#include "sweep/sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/cwatch.h"
#include "sweep/diff.h"
#include "sweep/hits.h"
#include "sweep/runidx.h"
#include "sweep/snap.h"
#include "sweep/sweep_int.h"

static int load_common(struct bph_sweep_ctx *x, char *err, size_t errlen)
{
	struct bph_common *extra = NULL;
	int rc =
	    bph_common_load(bph_common_default_path(), &x->common, err, errlen);

	if (!rc && x->cfg->common &&
	    !(rc = bph_common_load(x->cfg->common, &extra, err, errlen)))
		rc = bph_common_merge(x->common, extra);
	if (rc && extra)
		bph_common_free(extra);
	if (!rc && x->cfg->common)
		rc = bph_cluster_opts_load_common(&x->copts, x->cfg->common,
						  err, errlen);
	return rc;
}

int bph_sweep_ctx_init(struct bph_sweep_ctx *x, struct bph_store *st,
		       const struct bph_sweep_config *cfg, char *err,
		       size_t errlen)
{
	int rc = 0;

	memset(x, 0, sizeof(*x));
	x->st = st;
	x->cfg = cfg;
	x->now = time(NULL);
	bph_cluster_opts_default(&x->copts);
	for (size_t i = 0; !rc && i < cfg->watch_files.n; i++)
		rc = bph_watch_load_file(&x->watches, cfg->watch_files.v[i],
					 err, errlen);
	if (!rc)
		rc = bph_watch_finish(&x->watches);
	if (!rc)
		rc = load_common(x, err, errlen);
	if (!rc)
		rc = sweep_eval_key(x);
	if (!rc)
		x->cfg = cfg;
	return rc;
}

void bph_sweep_ctx_clear(struct bph_sweep_ctx *x)
{
	bph_watch_clear(&x->watches);
	bph_common_free(x->common);
	bph_cluster_opts_clear(&x->copts);
	memset(x, 0, sizeof(*x));
}

void bph_eval_clear(struct bph_eval *e)
{
	bph_event_set_clear(&e->events);
	bph_run_state_clear(&e->state);
	bph_snap_clear(&e->snap);
	free(e->snap_buf);
	bph_runidx_free(e->index);
	memset(e, 0, sizeof(*e));
}

static int snap_chunk(void *ctx, size_t i, const void **data, size_t *len,
		      size_t *n)
{
	struct bph_eval *e = ctx;
	size_t from = i * BPH_SNAP_CHUNK;

	if (from >= e->snap.n)
		return BPH_ERR_USAGE;
	*n = e->snap.n - from < BPH_SNAP_CHUNK ? e->snap.n - from
					       : BPH_SNAP_CHUNK;
	bph_snap_encode(&e->snap, from, *n, e->snap_buf);
	*data = e->snap_buf;
	*len = *n * BPH_SNAP_REC;
	return 0;
}

int bph_eval_snap_out(struct bph_eval *e, struct bph_sweep_snap_out *out)
{
	if (!e->snap_buf &&
	    !(e->snap_buf = malloc((size_t)BPH_SNAP_CHUNK * BPH_SNAP_REC)))
		return BPH_ERR_NOMEM;
	*out = (struct bph_sweep_snap_out){
	    .format = BPH_SNAP_FORMAT,
	    .n_chunks = (e->snap.n + BPH_SNAP_CHUNK - 1) / BPH_SNAP_CHUNK,
	    .chunk = snap_chunk,
	    .ctx = e};
	return 0;
}

int bph_eval_commit(struct bph_eval *e, const struct bph_sweep_ctx *x,
		    int64_t run, struct bph_eval_commit *out)
{
	size_t n_hits = 0;

	*out = (struct bph_eval_commit){0};
	if (e->state.n_hits && !(out->hits = bph_hits_rows(&e->state, &n_hits)))
		return BPH_ERR_NOMEM;
	out->c = (struct bph_sweep_commit){
	    .run = run,
	    .status = BPH_RUN_COMPLETE,
	    .hits = out->hits,
	    .n_hits = n_hits,
	    .member_cluster = e->state.m_cluster,
	    .member_ip = e->state.m_ip,
	    .member_evidence = (const char *const *)e->state.m_evidence,
	    .n_members = e->state.n_members,
	    .hosts = e->hosts,
	    .services = e->services,
	    .snap = &out->snap,
	    .eval_key = x->eval_key,
	    .eval_now = (int64_t)x->now};
	if (e->index) {
		bph_runidx_out(e->index, &out->index);
		out->c.index = &out->index;
	}
	return bph_eval_snap_out(e, &out->snap);
}

void bph_eval_commit_clear(struct bph_eval_commit *out)
{
	free(out->hits);
	out->hits = NULL;
}

/* ---- one run loaded ---- */

struct loaded {
	struct bph_sweep_run row;
	struct bph_coverage cov;
	struct bph_snap snap;
	struct bph_run_state state;
	struct bph_graph *g; /* only for a run whose members are computed */
	struct bph_clustering *c;
	struct bph_runidx *ix; /* its index, collected for the commit */
	bool indexed; /* computed from its stored index, not its records */
	bool reused;  /* its stored hits and members taken for computed ones */
	bool fed;     /* gathered as its scan stored it (x->fed) */
};

struct load_ctx {
	struct bph_sweep_ctx *x;
	struct loaded *l;
	int rc;
};

/* bph_service_cb: a record read, gathered. */
static void on_service(void *vctx, const struct bph_service *s)
{
	sweep_collect_service(vctx, s);
}

/* bph_service_cb: a record some watch term may match, matched. */
static void on_candidate(void *vctx, const struct bph_service *s)
{
	struct load_ctx *c = vctx;

	if (!c->rc)
		c->rc =
		    bph_hits_match(&c->x->watches, s, c->x->now, &c->l->state);
}

static int load_state(struct bph_sweep_ctx *x, struct loaded *l)
{
	int rc = bph_hits_load(x->st, l->row.id, &l->state);

	return rc ? rc : bph_members_load(x->st, x->cfg, l->row.id, &l->state);
}

static int add_chunk(void *ctx, const void *data, size_t len, size_t n)
{
	return bph_snap_decode(ctx, data, len, n);
}

/* Moves what c gathered into l (l->g is c's graph: the same one, or
 * replaced when c owns another). */
static void take(struct loaded *l, struct bph_sweep_collector *c)
{
	bph_snap_clear(&l->snap);
	l->snap = c->snap;
	memset(&c->snap, 0, sizeof(c->snap));
	bph_run_state_clear(&l->state);
	l->state = c->state;
	memset(&c->state, 0, sizeof(c->state));
	if (c->own_g) {
		bph_graph_free(l->g);
		l->g = c->g;
		c->own_g = false;
	}
	c->g = NULL;
	bph_runidx_free(l->ix);
	l->ix = c->ix;
	c->ix = NULL;
}

/* Run l's snapshot as its run stored it, when it did (in this build's
 * format): the diff then decodes none of its records. */
static int load_stored_snap(struct bph_sweep_ctx *x, struct loaded *l,
			    bool *found)
{
	int rc = l->row.services > 0
		     ? bph_snap_reserve(&l->snap, (size_t)l->row.services)
		     : 0;

	if (!rc)
		rc = bph_sweep_snap_each(x->st, l->row.id, BPH_SNAP_FORMAT,
					 add_chunk, &l->snap, found);

	if (rc || !*found)
		bph_snap_clear(&l->snap);
	return rc;
}

/* The records of the services l's index names as candidates, matched
 * against the watches (the index holds only hashes of their values). */
static int match_candidates(struct bph_sweep_ctx *x, struct loaded *l,
			    const struct bph_runidx_load *L)
{
	struct load_ctx c = {.x = x, .l = l};
	struct bph_scan_ports *p = NULL;
	int rc = L->n_cand ? bph_scan_ports_open(x->st, l->row.scan_id, &p) : 0;

	for (size_t i = 0; !rc && !c.rc && i < L->n_cand; i++)
		rc = bph_scan_ports_each(p, L->cand[i].ip, L->cand[i].port,
					 on_candidate, &c);
	bph_scan_ports_close(p);
	return rc ? rc : c.rc;
}

/*
 * A complete run computed from the index it stored when it completed
 * (*done), instead of its records: the graph comes whole from the index,
 * the watch hits from the records of the few services whose hashed
 * values a watch may match. Its snapshot is read after the clustering
 * (load_snap_after), which then need not share memory with it. A run
 * without an index (or with a corrupt one) is left to its records.
 */
static int load_indexed(struct bph_sweep_ctx *x, struct loaded *l, bool *done)
{
	struct bph_runidx_load L = {.w = &x->watches,
				    .now = x->now,
				    .want_graph = l->g != NULL,
				    .state = &l->state};
	bool found = false;
	int rc = 0;

	*done = false;
	if (l->row.status != BPH_RUN_COMPLETE || !l->row.scan_id)
		return 0;
	rc = bph_runidx_read(x->st, l->row.id, &L, &found);
	if (rc == BPH_ERR_FORMAT && found) { /* corrupt: the records decide */
		found = false;
		rc = 0;
	}
	if (!rc && found)
		rc = match_candidates(x, l, &L);
	if (!rc && found && L.g) {
		bph_graph_free(l->g);
		l->g = L.g;
		L.g = NULL;
	}
	bph_runidx_load_clear(&L);
	*done = !rc && found;
	if (!*done)
		bph_run_state_clear(&l->state);
	return rc;
}

/* The snapshot of a run computed from its index: the one it stored, or
 * (stored in another format) the one its records give. */
static int load_snap_after(struct bph_sweep_ctx *x, struct loaded *l)
{
	struct bph_sweep_collector c;
	bool found = false;
	int rc = load_stored_snap(x, l, &found);

	if (rc || found)
		return rc;
	if ((rc = sweep_collect_init(&c, x, false, NULL, false)))
		return rc;
	rc = bph_store_scan_each(x->st, l->row.scan_id, on_service, &c);
	if (!rc)
		rc = sweep_collect_finish(&c);
	if (!rc) {
		l->snap = c.snap;
		memset(&c.snap, 0, sizeof(c.snap));
	}
	sweep_collect_clear(&c);
	return rc;
}

/* Run l's snapshot, and with compute its hits and graph, from its
 * records (and its index collected when x keeps one). */
static int load_records(struct bph_sweep_ctx *x, struct loaded *l, bool compute)
{
	struct bph_sweep_collector c;
	bool stored = false;
	int rc =
	    sweep_collect_init(&c, x, compute, l->g, compute && x->keep_index);

	if (!rc && !compute && l->row.scan_id)
		rc = load_stored_snap(x, l, &stored);
	if (!rc && !stored && l->row.scan_id)
		rc = bph_store_scan_each(x->st, l->row.scan_id, on_service, &c);
	if (!rc)
		rc = sweep_collect_finish(&c);
	if (!rc && !stored)
		take(l, &c);
	sweep_collect_clear(&c);
	return rc;
}

/* Run l's snapshot, hits, graph and index as x->fed gathered them while
 * the run's scan stored its records (*done), when it holds exactly what
 * the store gives back for that scan. */
static int load_fed(struct bph_sweep_ctx *x, struct loaded *l, bool *done)
{
	struct bph_sweep_collector *c = x->fed;
	int64_t rows = 0;
	int rc = 0;

	*done = false;
	if (!c || c->x != x || c->rc || !l->row.scan_id ||
	    c->scan_id != l->row.scan_id || !c->g != !l->g ||
	    !c->ix != !x->keep_index)
		return 0;
	if ((rc = bph_store_scan_rows(x->st, l->row.scan_id, &rows)) ||
	    rows != c->rows)
		return rc;
	take(l, c);
	*done = true;
	return 0;
}

/* Clusters l's graph, which the clustering adopts (bph_cluster_run_graph:
 * its strings, and its incidences in place, not copied; freed with the
 * clustering). The run's index, when one is kept for the commit, encodes
 * the graph first. */
static int cluster(struct bph_sweep_ctx *x, struct loaded *l)
{
	struct bph_graph *g = l->g;
	int rc = l->ix ? bph_runidx_encode_graph(l->ix, g) : 0;

	if (rc)
		return rc;
	l->g = NULL;
	return bph_cluster_run_graph(g, &x->copts, &l->c);
}

/* Frees l's clustering, with its graph, once its members are taken: the
 * diff needs neither (the index encoded the graph before). */
static void release_clustering(struct loaded *l)
{
	bph_clustering_free(l->c);
	l->c = NULL;
}

/*
 * Loads run id: its row, coverage and snapshot (the stored one unless
 * the run's records are read anyway); with derive, its hits and members
 * too (computed when compute or when the run stored none, unless compute
 * is asked of a run whose stored ones are what it would give: reuse.c).
 */
static int load_run(struct bph_sweep_ctx *x, int64_t id, bool derive,
		    bool compute, struct loaded *l, char *err, size_t errlen)
{
	bool indexed = false, fed = false;
	int rc = bph_sweep_run_get(x->st, id, &l->row);

	if (rc) {
		snprintf(err, errlen, "no run %lld in the store",
			 (long long)id);
		return rc;
	}
	if (strcmp(l->row.sweep, x->cfg->name)) {
		snprintf(err, errlen, "run %lld is of sweep '%s', not '%s'",
			 (long long)id, l->row.sweep, x->cfg->name);
		return BPH_ERR_USAGE;
	}
	if ((rc = bph_coverage_parse(&l->cov, l->row.ranges, l->row.ports)))
		return rc;
	bool reuse = derive && compute && sweep_can_reuse(x, &l->row);
	compute = derive && !reuse && (compute || !l->row.evaluated);
	if (compute && x->cfg->n_clusters && !(l->g = bph_graph_new()))
		return BPH_ERR_NOMEM;
	if (compute)
		rc = load_fed(x, l, &fed);
	if (!rc && compute && !fed)
		rc = load_indexed(x, l, &indexed);
	if (!rc && !indexed && !fed)
		rc = load_records(x, l, compute);
	if (!rc && compute)
		rc = bph_hits_finish(&l->state);
	if (!rc && l->g)
		rc = cluster(x, l);
	if (!rc && l->c)
		rc = bph_cwatch_members(x->cfg, l->c, &l->state);
	release_clustering(l);
	if (!rc && indexed)
		rc = load_snap_after(x, l);
	if (!rc)
		bph_snap_finish(&l->snap);
	if (!rc && derive && !compute)
		rc = load_state(x, l);
	if (!rc && reuse)
		rc = sweep_relink_hits(x, &l->state);
	l->reused = reuse;
	l->indexed = indexed;
	l->fed = fed;
	return rc;
}

static void loaded_clear(struct loaded *l)
{
	bph_sweep_run_clear(&l->row);
	bph_coverage_clear(&l->cov);
	bph_snap_clear(&l->snap);
	bph_run_state_clear(&l->state);
	bph_clustering_free(l->c);
	bph_graph_free(l->g);
	bph_runidx_free(l->ix);
	memset(l, 0, sizeof(*l));
}

/* ---- the evaluation ---- */

struct eval_run {
	struct bph_sweep_ctx *x;
	struct loaded *runs; /* window, oldest first, then T */
	size_t n;
};

static int src_get(void *ctx, int64_t run, uint32_t ip, uint16_t port,
		   struct bph_service *out)
{
	struct eval_run *e = ctx;

	for (size_t i = 0; i < e->n; i++)
		if (e->runs[i].row.id == run)
			return bph_store_scan_get(
			    e->x->st, e->runs[i].row.scan_id, ip, port, out);
	return BPH_ERR_USAGE;
}

static int src_seen(void *ctx, int64_t run, uint32_t ip, int64_t *last)
{
	struct eval_run *e = ctx;

	return bph_sweep_seen_before(e->x->st, e->x->cfg->name, run, ip, last);
}

/* The window's run ids before T, oldest first. */
static int window_ids(struct bph_sweep_ctx *x, int64_t from, int64_t to,
		      int64_t *ids, size_t *n, char *err, size_t errlen)
{
	size_t want = x->cfg->diff.absent_after, k = 0;
	int64_t tmp[DIFF_WINDOW_MAX];
	int rc;

	if (from) {
		struct bph_sweep_run r = {0};
		rc = bph_sweep_run_get(x->st, from, &r);
		bool ok = !rc && r.status == BPH_RUN_COMPLETE;
		bph_sweep_run_clear(&r);
		if (!ok) {
			snprintf(err, errlen,
				 "run %lld is not a complete run: only those "
				 "are baselines",
				 (long long)from);
			return BPH_ERR_USAGE;
		}
		tmp[k++] = from;
		rc = bph_sweep_runs_complete(x->st, x->cfg->name, from,
					     want - 1, tmp + 1, n);
		k += *n;
	} else {
		rc = bph_sweep_runs_complete(x->st, x->cfg->name, to, want, tmp,
					     &k);
	}
	for (size_t i = 0; !rc && i < k; i++)
		ids[i] = tmp[k - 1 - i];
	*n = rc ? 0 : k;
	return rc;
}

static int do_diff(struct bph_sweep_ctx *x, struct eval_run *e,
		   struct bph_event_set *out, char *err, size_t errlen)
{
	struct bph_diff_run w[DIFF_WINDOW_MAX + 1];
	struct bph_diff_source src = {e, src_get, src_seen};
	struct bph_diff_opts o = x->cfg->diff;

	o.common = x->common;
	for (size_t i = 0; i < e->n; i++)
		w[i] = (struct bph_diff_run){e->runs[i].row.id, &e->runs[i].cov,
					     &e->runs[i].snap};
	return bph_diff_runs(&o, w, e->n, &src, out, err, errlen);
}

static int events(struct bph_sweep_ctx *x, struct eval_run *e,
		  struct bph_event_set *out, char *err, size_t errlen)
{
	struct loaded *t = &e->runs[e->n - 1];
	struct loaded *f = e->n > 1 ? &e->runs[e->n - 2] : NULL;
	int rc = f ? do_diff(x, e, out, err, errlen) : 0;

	if (!rc)
		rc = bph_hits_events(f ? &f->state : NULL, &t->state, out);
	if (!rc && f)
		rc = bph_cwatch_events(x->cfg, &f->state, &t->state, &f->cov,
				       &t->cov, out);
	if (!rc)
		rc = bph_event_set_finish(out);
	if (!rc)
		bph_event_set_sort(out);
	return rc;
}

static int64_t count_hosts(const struct bph_snap *sn)
{
	int64_t n = 0;

	for (size_t i = 0; i < sn->n; i++)
		n += !i || sn->v[i].ip != sn->v[i - 1].ip;
	return n;
}

static int load_all(struct bph_sweep_ctx *x, int64_t from, int64_t to,
		    struct eval_run *e, char *err, size_t errlen)
{
	int64_t ids[DIFF_WINDOW_MAX];
	size_t n = 0;
	int rc = window_ids(x, from, to, ids, &n, err, errlen);

	/* T first: its clustering is done and freed before the earlier
	 * runs' snapshots are read */
	if (!rc) {
		e->n = n + 1;
		rc = load_run(x, to, true, true, &e->runs[n], err, errlen);
	}
	for (size_t i = 0; !rc && i < n; i++)
		rc = load_run(x, ids[i], i == n - 1, false, &e->runs[i], err,
			      errlen);
	return rc;
}

/* Moves T's collected index, its graph encoded (cluster), into out. */
static int keep_index(struct loaded *t, struct bph_eval *out)
{
	if (!t->ix)
		return 0;
	out->index = t->ix;
	t->ix = NULL;
	return 0;
}

int bph_sweep_evaluate(struct bph_sweep_ctx *x, int64_t from, int64_t to,
		       struct bph_eval *out, char *err, size_t errlen)
{
	struct loaded *runs = calloc(DIFF_WINDOW_MAX + 1, sizeof(*runs));
	struct eval_run e = {x, runs, 0};
	int rc = runs ? 0 : BPH_ERR_NOMEM;

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = load_all(x, from, to, &e, err, errlen);
	struct loaded *t = rc ? NULL : &runs[e.n - 1];
	if (!rc)
		rc = bph_event_set_init(
		    &out->events, x->cfg->name,
		    e.n > 1 ? runs[e.n - 2].row.id : 0, to,
		    t->row.observed ? (time_t)t->row.observed : x->now);
	if (!rc)
		rc = events(x, &e, &out->events, err, errlen);
	if (!rc) {
		out->from = e.n > 1 ? runs[e.n - 2].row.id : 0;
		out->reused = t->reused;
		out->indexed = t->indexed;
		out->fed = t->fed;
		out->hosts = count_hosts(&t->snap);
		out->services = (int64_t)t->snap.n;
		out->state = t->state; /* moved, as is the snapshot */
		memset(&t->state, 0, sizeof(t->state));
		out->snap = t->snap;
		memset(&t->snap, 0, sizeof(t->snap));
		rc = keep_index(t, out);
	}
	for (size_t i = 0; runs && i < e.n; i++)
		loaded_clear(&runs[i]);
	free(runs);
	return rc;
}
