/*
 * collect.c - a run's evaluation state gathered from its open records
 * (the snapshot, the watch hits, the graph, the index): fed by eval.c
 * from the records it reads, or by `sweep run` as its scan stores them
 * (contracts in sweep/sweep_int.h and sweep/sweep.h; the design in
 * docs/performance.md, "Sweeps").
 */
#include <stdlib.h>
#include <string.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "sweep/hits.h"
#include "sweep/runidx.h"
#include "sweep/sweep_int.h"

int sweep_collect_init(struct bph_sweep_collector *c,
		       const struct bph_sweep_ctx *x, bool hits,
		       struct bph_graph *g, bool index)
{
	memset(c, 0, sizeof(*c));
	c->x = x;
	c->hits = hits;
	c->g = g;
	sweep_rungraph_init(&c->rg, g);
	if (index && !(c->ix = bph_runidx_new()))
		return BPH_ERR_NOMEM;
	return 0;
}

/* Frees what c gathered, keeping its failure and counts. */
static void release(struct bph_sweep_collector *c)
{
	bph_snap_clear(&c->snap);
	bph_run_state_clear(&c->state);
	sweep_rungraph_clear(&c->rg);
	if (c->own_g)
		bph_graph_free(c->g);
	c->g = NULL;
	c->own_g = false;
	bph_runidx_free(c->ix);
	c->ix = NULL;
}

void sweep_collect_clear(struct bph_sweep_collector *c)
{
	release(c);
	memset(c, 0, sizeof(*c));
}

int sweep_collect_service(struct bph_sweep_collector *c,
			  const struct bph_service *s)
{
	const struct bph_sweep_ctx *x = c->x;
	int rc = c->rc;

	if (!rc)
		rc = bph_snap_add(&c->snap, s);
	if (!rc && c->hits)
		rc = bph_hits_match(&x->watches, s, x->now, &c->state);
	if (!rc && c->g)
		rc = sweep_rungraph_service(&c->rg, s);
	if (!rc && c->ix)
		rc = bph_runidx_service(c->ix, s);
	return c->rc = rc;
}

int sweep_collect_finish(struct bph_sweep_collector *c)
{
	if (!c->rc && c->g)
		c->rc = sweep_rungraph_finish(&c->rg);
	return c->rc;
}

/* ---- fed as the scan stores the run ---- */

struct bph_sweep_collector *
bph_sweep_collector_new(const struct bph_sweep_ctx *x)
{
	struct bph_sweep_collector *c = malloc(sizeof(*c));
	struct bph_graph *g = c && x->cfg->n_clusters ? bph_graph_new() : NULL;

	if (!c || (x->cfg->n_clusters && !g) ||
	    sweep_collect_init(c, x, true, g, x->keep_index)) {
		bph_graph_free(g);
		if (c)
			sweep_collect_clear(c);
		free(c);
		return NULL;
	}
	c->own_g = g != NULL;
	return c;
}

/* Whether s comes after the last record fed, in the order the store
 * reads a scan back: (ip, port, seen), two alike in no known order. */
static bool after_last(const struct bph_sweep_collector *c,
		       const struct bph_service *s)
{
	if (!c->rows || s->ip != c->ip)
		return !c->rows || s->ip > c->ip;
	if (s->port != c->port)
		return s->port > c->port;
	return (int64_t)s->seen > c->seen;
}

int bph_sweep_collector_feed(void *vc, const struct bph_service *s)
{
	struct bph_sweep_collector *c = vc;

	if (c->rc)
		return 0;
	if (c->scan_id || !after_last(c, s))
		c->rc = BPH_ERR_USAGE;
	c->rows++;
	c->ip = s->ip;
	c->port = s->port;
	c->seen = (int64_t)s->seen;
	if (!c->rc && s->state == BPH_STATE_OPEN)
		sweep_collect_service(c, s);
	if (c->rc)
		release(c);
	return 0;
}

void bph_sweep_collector_done(struct bph_sweep_collector *c, int64_t scan_id)
{
	if (!c->rc && sweep_collect_finish(c))
		release(c);
	c->scan_id = scan_id;
}

void bph_sweep_collector_free(struct bph_sweep_collector *c)
{
	if (!c)
		return;
	sweep_collect_clear(c);
	free(c);
}
