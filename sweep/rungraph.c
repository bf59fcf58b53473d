/*
 * rungraph.c - the host-artifact graph of one run fed from its records
 * (contract in sweep/sweep_int.h, used by eval.c): the same graph that
 * bph_graph_add() per artifact builds, without its per-artifact lookups.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "fingerprints/text.h"
#include "sweep/sweep_int.h"

void sweep_rungraph_init(struct sweep_rungraph *r, struct bph_graph *g)
{
	memset(r, 0, sizeof(*r));
	r->g = g;
}

void sweep_rungraph_clear(struct sweep_rungraph *r)
{
	memset(r, 0, sizeof(*r));
}

/* Appends the host's gathered incidences: distinct among themselves,
 * and no earlier host is this one (records come in address order). */
static int flush(struct sweep_rungraph *r)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < r->n; i++)
		rc = bph_graph_append(r->g, r->host, r->pend[i].art,
				      r->pend[i].port, r->pend[i].first,
				      r->pend[i].last);
	r->n = 0;
	return rc;
}

/* Whether the pending incidence (art, port) of the current host took
 * seen (merged or added); false at SWEEP_PEND_MAX, when the rest of the run
 * goes through bph_graph_add. */
static bool gather(struct sweep_rungraph *r, uint32_t art, uint16_t port,
		   int64_t seen)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sweep_pend *p = &r->pend[i];
		if (p->art != art || p->port != port)
			continue;
		if (seen < p->first)
			p->first = seen;
		if (seen > p->last)
			p->last = seen;
		return true;
	}
	if (r->n == SWEEP_PEND_MAX) {
		r->direct = true;
		return false;
	}
	r->pend[r->n++] = (struct sweep_pend){art, port, seen, seen};
	return true;
}

struct art_ctx {
	struct sweep_rungraph *r;
	const char *host;
	int64_t seen;
};

static int add_art(struct art_ctx *a, const char *kind, const char *value,
		   uint16_t port)
{
	struct sweep_rungraph *r = a->r;
	uint32_t ix;
	int rc;

	if (!r->direct) {
		if ((rc = bph_graph_intern_art(r->g, kind, value, &ix)))
			return rc;
		if (gather(r, ix, port, a->seen))
			return 0;
		if ((rc = flush(r)))
			return rc;
	}
	return bph_graph_add(r->g, a->host, kind, value, port, a->seen);
}

static void on_art(void *vctx, const char *kind, const char *value,
		   uint16_t port)
{
	struct art_ctx *a = vctx;
	char *clean = NULL;

	if (a->r->rc)
		return;
	/* jansson gives valid UTF-8: cleaning would copy it unchanged */
	if (!bph_text_is_clean(value, BPH_TEXT_UTF8) &&
	    !(clean = bph_text_clean(value, BPH_TEXT_UTF8))) {
		a->r->rc = BPH_ERR_NOMEM;
		return;
	}
	a->r->rc = add_art(a, kind, clean ? clean : value, port);
	free(clean);
}

/* Makes s's host the current one (a host seen again out of address
 * order sends the rest of the run through bph_graph_add). */
static int enter_host(struct sweep_rungraph *r, uint32_t ip, const char *host)
{
	int rc;

	if (r->have_host && r->ip == ip)
		return 0;
	if (r->have_host && ip < r->ip)
		r->direct = true;
	if ((rc = flush(r)))
		return rc;
	r->ip = ip;
	r->have_host = true;
	return bph_graph_intern_host(r->g, host, &r->host);
}

int sweep_rungraph_service(struct sweep_rungraph *r,
			   const struct bph_service *s)
{
	char host[16];
	struct art_ctx a = {r, host, (int64_t)s->seen};

	if (r->rc)
		return r->rc;
	bph_ip_str(s->ip, host);
	r->rc = enter_host(r, s->ip, host);
	if (!r->rc)
		bph_service_artifacts(s, on_art, &a);
	return r->rc;
}

int sweep_rungraph_finish(struct sweep_rungraph *r)
{
	if (!r->rc)
		r->rc = flush(r);
	return r->rc;
}
