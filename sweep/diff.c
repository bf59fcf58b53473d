/*
 * diff.c - the sweep diff engine: a merge over the window's sorted
 * snapshots, host by host (rules in sweep/diff.h). Field changes read the
 * two records back through the source; identity moves are joined from
 * the identity hashes the snapshots keep (sweep/identity.c).
 */
#include "sweep/diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/sweep_int.h"
#include "sweep/svcjson.h"

void bph_diff_opts_default(struct bph_diff_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->absent_after = 2;
	o->identity_ssh = true;
	o->identity_spki = true;
	o->identity_max_hosts = 50;
}

/* ---- one host across the window ---- */

/* The universe: pairs both F and T covered. */
static bool in_universe(const struct diff_ctx *d, uint32_t ip, uint16_t port)
{
	return bph_coverage_has(d->runs[d->n - 2].cov, ip, port) &&
	       bph_coverage_has(d->runs[d->n - 1].cov, ip, port);
}

static int host_push(struct host_view *h, size_t j, uint16_t port)
{
	if (h->n_ports[j] == h->cap[j]) {
		size_t cap = h->cap[j] ? h->cap[j] * 2 : 16;
		uint16_t *p = realloc(h->ports[j], cap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		h->ports[j] = p;
		h->cap[j] = cap;
	}
	h->ports[j][h->n_ports[j]++] = port;
	return 0;
}

/* Fills h->ports[j] with run j's ports of ip within the universe (sorted,
 * as the snapshots are). */
static int host_gather(struct diff_ctx *d, uint32_t ip, struct host_view *h)
{
	h->ip = ip;
	for (size_t j = 0; j < d->n; j++) {
		const struct bph_snap *sn = d->runs[j].snap;
		size_t i = d->cur[j];
		h->first[j] = i;
		h->n_ports[j] = 0;
		for (; i < sn->n && sn->v[i].ip == ip; i++)
			if (in_universe(d, ip, sn->v[i].port) &&
			    host_push(h, j, sn->v[i].port))
				return BPH_ERR_NOMEM;
		d->cur[j] = i;
	}
	return 0;
}

static uint32_t next_ip(const struct diff_ctx *d, bool *any)
{
	uint32_t ip = 0;

	*any = false;
	for (size_t j = 0; j < d->n; j++) {
		const struct bph_snap *sn = d->runs[j].snap;
		if (d->cur[j] < sn->n && (!*any || sn->v[d->cur[j]].ip < ip)) {
			ip = sn->v[d->cur[j]].ip;
			*any = true;
		}
	}
	return ip;
}

static int cmp_u16(const void *x, const void *y)
{
	return (int)*(const uint16_t *)x - (int)*(const uint16_t *)y;
}

static bool has_port(const struct host_view *h, size_t j, uint16_t port)
{
	return h->n_ports[j] && bsearch(&port, h->ports[j], h->n_ports[j],
					sizeof(port), cmp_u16);
}

/* The latest window run before F holding the pair (or the host when
 * port < 0), or -1. */
static long window_present(const struct diff_ctx *d, const struct host_view *h,
			   int port)
{
	for (long j = (long)d->n - 3; j >= 0; j--)
		if (port < 0 ? h->n_ports[j] > 0
			     : has_port(h, j, (uint16_t)port))
			return j;
	return -1;
}

/* Gone by the uniform rule: present in run T-N, absent from the N runs
 * after it. Returns that run's index, or -1. */
static long gone_from(const struct diff_ctx *d, const struct host_view *h,
		      int port)
{
	size_t k = d->n - 1, N = d->o->absent_after;

	if (N > k)
		return -1;
	size_t j0 = k - N;
	bool was =
	    port < 0 ? h->n_ports[j0] > 0 : has_port(h, j0, (uint16_t)port);
	for (size_t j = j0 + 1; was && j <= k; j++)
		if (port < 0 ? h->n_ports[j] > 0
			     : has_port(h, j, (uint16_t)port))
			return -1;
	return was ? (long)j0 : -1;
}

static int diff_ports(struct diff_ctx *d, const struct host_view *h);

static int host_appeared(struct diff_ctx *d, const struct host_view *h)
{
	size_t k = d->n - 1;
	int64_t last = 0;
	int rc;

	if (window_present(d, h, -1) >= 0)
		return diff_ports(d, h); /* back after a short absence */
	if ((rc =
		 d->src->seen_before(d->src->ctx, d->runs[k].id, h->ip, &last)))
		return diff_fail(d, rc, "reading earlier runs");
	rc = diff_host_event(d, h, last ? BPH_EV_HOST_BACK : BPH_EV_HOST_NEW, k,
			     last);
	for (size_t i = 0; !rc && i < h->n_ports[k]; i++)
		rc = diff_port_event(d, h->ip, h->ports[k][i], BPH_EV_PORT_OPEN,
				     k);
	return rc;
}

static int diff_host(struct diff_ctx *d, const struct host_view *h)
{
	size_t k = d->n - 1;
	bool in_t = h->n_ports[k] > 0, in_f = h->n_ports[k - 1] > 0;
	long j;

	if (in_t && !in_f)
		return host_appeared(d, h);
	if (!in_t) {
		j = gone_from(d, h, -1);
		return j >= 0 ? diff_host_event(d, h, BPH_EV_HOST_GONE,
						(size_t)j, 0)
			      : 0;
	}
	return diff_ports(d, h);
}

/* Port events and field changes of a host present in T. */
static int diff_ports(struct diff_ctx *d, const struct host_view *h)
{
	size_t k = d->n - 1;
	int rc = 0;

	for (size_t i = 0; !rc && i < h->n_ports[k]; i++) {
		uint16_t p = h->ports[k][i];
		long base = has_port(h, k - 1, p) ? (long)k - 1
						  : window_present(d, h, p);
		rc = base < 0
			 ? diff_port_event(d, h->ip, p, BPH_EV_PORT_OPEN, k)
			 : diff_fields(d, h->ip, p, (size_t)base);
	}
	/* closed: every port of run T-N, when N >= 1 runs lack it */
	size_t N = d->o->absent_after;
	if (N > k)
		return rc;
	for (size_t i = 0; !rc && i < h->n_ports[k - N]; i++) {
		uint16_t p = h->ports[k - N][i];
		if (gone_from(d, h, p) >= 0)
			rc = diff_port_event(d, h->ip, p, BPH_EV_PORT_CLOSED,
					     k - N);
	}
	return rc;
}

static int walk_hosts(struct diff_ctx *d)
{
	struct host_view *h = calloc(1, sizeof(*h));
	bool any;
	int rc = h ? 0 : BPH_ERR_NOMEM;

	for (uint32_t ip = next_ip(d, &any); !rc && any;
	     ip = next_ip(d, &any)) {
		rc = host_gather(d, ip, h);
		if (!rc)
			rc = diff_host(d, h);
		if (!rc)
			rc = diff_identity_collect(d, h);
	}
	for (size_t j = 0; h && j < DIFF_MAX_RUNS; j++)
		free(h->ports[j]);
	free(h);
	return rc;
}

int bph_diff_runs(const struct bph_diff_opts *o,
		  const struct bph_diff_run *runs, size_t n,
		  const struct bph_diff_source *src, struct bph_event_set *out,
		  char *err, size_t errlen)
{
	struct diff_ctx d = {.o = o,
			     .runs = runs,
			     .n = n,
			     .src = src,
			     .out = out,
			     .err = err,
			     .errlen = errlen};
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (n < 2 || n > DIFF_MAX_RUNS || !o->absent_after)
		return diff_fail(&d, BPH_ERR_USAGE, "diff window");
	rc = walk_hosts(&d);
	if (!rc)
		rc = diff_identity_finish(&d);
	diff_identity_clear(&d);
	return rc;
}
