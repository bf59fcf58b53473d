/*
 * graph.c - the host-artifact graph the clustering reads: hosts and
 * artifacts interned in string maps, incidences deduplicated in an
 * open-addressing table. Contract in graph.h.
 */
#include "cluster/graph.h"

#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

struct bph_graph *bph_graph_new(void)
{
	struct bph_graph *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->host_ix = bph_strmap_new();
	g->art_ix = bph_strmap_new();
	g->inc_tab_cap = 64;
	g->inc_tab = calloc(g->inc_tab_cap, sizeof(*g->inc_tab));
	if (!g->host_ix || !g->art_ix || !g->inc_tab) {
		bph_graph_free(g);
		return NULL;
	}
	return g;
}

void bph_graph_drop_order(struct bph_graph *g)
{
	if (!g->order)
		return;
	free(g->order->art_of);
	free(g->order->art_map);
	free(g->order->kind_rank);
	free(g->order->spare);
	free(g->order);
	g->order = NULL;
}

void bph_graph_free(struct bph_graph *g)
{
	if (!g)
		return;
	free(g->hosts);
	free(g->kinds);
	free(g->values);
	free(g->inc);
	free(g->inc_tab);
	bph_strmap_free(g->host_ix);
	bph_strmap_free(g->art_ix);
	bph_graph_drop_order(g);
	free(g);
}

/* Makes room for one more element of size sz in *v (count n, capacity *cap). */
static int reserve(void **v, size_t n, size_t *cap, size_t sz)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= UINT32_MAX)
		return BPH_ERR_TOOBIG;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*v, ncap * sz);
	if (!p)
		return BPH_ERR_NOMEM;
	bph_advise_huge(p, ncap * sz); /* a million hosts' incidences */
	*v = p;
	*cap = ncap;
	return 0;
}

/* Host into the graph: interned (one probe finds or inserts it) or, with
 * push, appended without a lookup (a loader whose source keeps hosts
 * distinct; the index is dropped then, bph_strmap_keep). */
static int host_add(struct bph_graph *g, const char *host, uint32_t *ix,
		    bool push)
{
	size_t len = strlen(host);
	const char *stored;
	int rc;

	if (!len)
		return BPH_ERR_USAGE;
	/* room first, so that one probe finds or inserts */
	rc = reserve((void **)&g->hosts, g->n_hosts, &g->cap_hosts,
		     sizeof(char *));
	if (rc)
		return rc;
	*ix = (uint32_t)g->n_hosts;
	if (!push) {
		rc = bph_strmap_put(g->host_ix, host, len, ix,
				    &g->hosts[g->n_hosts]);
		if (rc < 0)
			return rc;
		g->n_hosts += rc == 1;
		return 0;
	}
	bph_strmap_drop_index(g->host_ix); /* no-op after the first */
	if (!(stored = bph_strmap_keep(g->host_ix, host, len)))
		return len >= UINT32_MAX ? BPH_ERR_TOOBIG : BPH_ERR_NOMEM;
	g->hosts[g->n_hosts++] = stored;
	return 0;
}

int bph_graph_add_host(struct bph_graph *g, const char *host)
{
	uint32_t ix;

	return host_add(g, host, &ix, false);
}

int bph_graph_intern_host(struct bph_graph *g, const char *host, uint32_t *ix)
{
	return host_add(g, host, ix, false);
}

int bph_graph_push_host(struct bph_graph *g, const char *host, uint32_t *ix)
{
	return host_add(g, host, ix, true);
}

/* Grows kinds and values together to hold one more artifact. */
static int reserve_arts(struct bph_graph *g)
{
	size_t cap = g->cap_arts;
	int rc = reserve((void **)&g->kinds, g->n_arts, &cap, sizeof(char *));
	const char **nv;

	if (rc || cap == g->cap_arts)
		return rc;
	nv = realloc(g->values, cap * sizeof(char *));
	if (!nv)
		return BPH_ERR_NOMEM; /* kinds merely got bigger: harmless */
	g->values = nv;
	g->cap_arts = cap;
	return 0;
}

/* (kind, value) appended without a lookup (a loader whose source keeps
 * them distinct; the index is dropped then, bph_strmap_keep2), copied
 * straight into the arena as "kind NUL value". */
static int art_push(struct bph_graph *g, const char *kind, const char *value,
		    uint32_t *ix)
{
	size_t kl = strlen(kind), vl = strlen(value);
	const char *stored;
	int rc = reserve_arts(g);

	if (rc)
		return rc;
	bph_strmap_drop_index(g->art_ix); /* no-op after the first */
	if (!(stored = bph_strmap_keep2(g->art_ix, kind, kl, value, vl)))
		return kl + 1 + vl >= UINT32_MAX ? BPH_ERR_TOOBIG
						 : BPH_ERR_NOMEM;
	*ix = (uint32_t)g->n_arts;
	g->kinds[g->n_arts] = stored;
	g->values[g->n_arts++] = stored + kl + 1;
	bph_graph_drop_order(g);
	return 0;
}

/* (kind, value) into the graph, keyed "kind NUL value" (unambiguous):
 * one probe finds or inserts it. */
static int art_add(struct bph_graph *g, const char *kind, const char *value,
		   uint32_t *ix)
{
	size_t kl = strlen(kind), vl = strlen(value), n = kl + 1 + vl;
	char stack[256], *key = n <= sizeof(stack) ? stack : malloc(n);
	const char *stored = NULL;
	int rc = key ? reserve_arts(g) : BPH_ERR_NOMEM; /* room first */

	if (rc)
		goto out;
	memcpy(key, kind, kl + 1);
	memcpy(key + kl + 1, value, vl);
	*ix = (uint32_t)g->n_arts;
	rc = bph_strmap_put(g->art_ix, key, n, ix, &stored);
	if (rc == 1) {
		g->kinds[g->n_arts] = stored;
		g->values[g->n_arts++] = stored + kl + 1;
		bph_graph_drop_order(g);
	}
	rc = rc < 0 ? rc : 0;
out:
	if (key != stack)
		free(key);
	return rc;
}

static size_t inc_hash(uint32_t h, uint32_t a, uint16_t port)
{
	uint64_t x = ((uint64_t)h << 32 | a) ^ ((uint64_t)port << 17);

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return (size_t)(x ^ (x >> 33));
}

/* The table slot of (h, a, port), or the empty slot where it would go. */
static uint32_t *inc_slot(const struct bph_graph *g, uint32_t h, uint32_t a,
			  uint16_t port)
{
	size_t mask = g->inc_tab_cap - 1, i = inc_hash(h, a, port) & mask;

	for (;; i = (i + 1) & mask) {
		uint32_t *s = &g->inc_tab[i];
		const struct bph_incidence *in;
		if (!*s)
			return s;
		in = &g->inc[*s - 1];
		if (in->host == h && in->art == a && in->port == port)
			return s;
	}
}

static int grow_inc_tab(struct bph_graph *g)
{
	uint32_t *old = g->inc_tab;
	size_t old_cap = g->inc_tab_cap;

	g->inc_tab = calloc(old_cap * 2, sizeof(*g->inc_tab));
	if (!g->inc_tab) {
		g->inc_tab = old;
		return BPH_ERR_NOMEM;
	}
	g->inc_tab_cap = old_cap * 2;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i]) {
			const struct bph_incidence *in = &g->inc[old[i] - 1];
			*inc_slot(g, in->host, in->art, in->port) = old[i];
		}
	free(old);
	return 0;
}

int bph_graph_intern_art(struct bph_graph *g, const char *kind,
			 const char *value, uint32_t *ix)
{
	if (!kind || !value || !kind[0] || !value[0])
		return BPH_ERR_USAGE;
	return art_add(g, kind, value, ix);
}

int bph_graph_reserve_arts(struct bph_graph *g, size_t n)
{
	size_t cap = g->n_arts + n + 1;
	const char **k, **v;

	if (cap > g->cap_arts) {
		if (!(k = realloc(g->kinds, cap * sizeof(*k))))
			return BPH_ERR_NOMEM;
		g->kinds = k;
		bph_advise_huge(k, cap * sizeof(*k));
		if (!(v = realloc(g->values, cap * sizeof(*v))))
			return BPH_ERR_NOMEM; /* kinds merely got bigger */
		g->values = v;
		bph_advise_huge(v, cap * sizeof(*v));
		g->cap_arts = cap;
	}
	return 0;
}

int bph_graph_push_art(struct bph_graph *g, const char *kind, const char *value,
		       uint32_t *ix)
{
	if (!kind || !value || !kind[0] || !value[0])
		return BPH_ERR_USAGE;
	return art_push(g, kind, value, ix);
}

void bph_graph_keep_arts(struct bph_graph *g, uint32_t *ix)
{
	size_t n = 0;

	bph_strmap_drop_index(g->art_ix); /* its indices would be wrong */
	bph_graph_drop_order(g);
	for (size_t i = 0; i < g->n_arts; i++) {
		if (!ix[i]) {
			ix[i] = UINT32_MAX;
			continue;
		}
		g->kinds[n] = g->kinds[i];
		g->values[n] = g->values[i];
		ix[i] = (uint32_t)n++;
	}
	g->n_arts = n;
}

/* The lookup table over every incidence, after appends past it. */
static int rebuild_inc_tab(struct bph_graph *g)
{
	size_t cap = 64;

	while (g->n_inc * 10 > cap * 7)
		cap *= 2;
	free(g->inc_tab);
	g->inc_tab = calloc(cap, sizeof(*g->inc_tab));
	if (!g->inc_tab) {
		g->inc_tab_cap = 0;
		return BPH_ERR_NOMEM; /* stays stale: the next add retries */
	}
	g->inc_tab_cap = cap;
	for (size_t i = 0; i < g->n_inc; i++) {
		const struct bph_incidence *in = &g->inc[i];
		*inc_slot(g, in->host, in->art, in->port) = (uint32_t)(i + 1);
	}
	g->inc_tab_stale = false;
	return 0;
}

int bph_graph_append(struct bph_graph *g, uint32_t host, uint32_t art,
		     uint16_t port, int64_t first, int64_t last)
{
	int rc =
	    reserve((void **)&g->inc, g->n_inc, &g->cap_inc, sizeof(*g->inc));

	if (rc)
		return rc;
	g->inc[g->n_inc++] =
	    (struct bph_incidence){host, art, port, first, last};
	g->inc_tab_stale = true;
	return 0;
}

int bph_graph_renumber_arts(struct bph_graph *g, const uint32_t *map,
			    size_t n_map)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_inc; i++) {
		struct bph_incidence in = g->inc[i];
		/* map[] is read at random: a cache miss each at a million
		 * hosts, asked for early so that several overlap */
		if (i + BPH_AHEAD < g->n_inc &&
		    g->inc[i + BPH_AHEAD].art < n_map)
			BPH_PREFETCH(&map[g->inc[i + BPH_AHEAD].art]);
		if (in.art >= n_map || map[in.art] == UINT32_MAX)
			continue;
		if (map[in.art] >= g->n_arts)
			return BPH_ERR_USAGE;
		in.art = map[in.art];
		g->inc[n++] = in;
	}
	g->n_inc = n;
	g->inc_tab_stale = true;
	return 0;
}

int bph_graph_add(struct bph_graph *g, const char *host, const char *kind,
		  const char *value, uint16_t port, int64_t seen)
{
	uint32_t h, a, *slot;
	int rc;

	if (!kind || !value || !kind[0] || !value[0])
		return BPH_ERR_USAGE;
	if (g->inc_tab_stale && (rc = rebuild_inc_tab(g)))
		return rc;
	if ((rc = host_add(g, host, &h, false)) ||
	    (rc = art_add(g, kind, value, &a)))
		return rc;
	slot = inc_slot(g, h, a, port);
	if (*slot) {
		struct bph_incidence *in = &g->inc[*slot - 1];
		if (seen < in->first_seen)
			in->first_seen = seen;
		if (seen > in->last_seen)
			in->last_seen = seen;
		return 0;
	}
	rc = reserve((void **)&g->inc, g->n_inc, &g->cap_inc, sizeof(*g->inc));
	if (rc)
		return rc;
	g->inc[g->n_inc] = (struct bph_incidence){h, a, port, seen, seen};
	g->n_inc++;
	*slot = (uint32_t)g->n_inc;
	if (g->n_inc * 10 > g->inc_tab_cap * 7) /* load factor 0.7 */
		return grow_inc_tab(g);
	return 0;
}

void bph_graph_drop_index(struct bph_graph *g)
{
	bph_strmap_drop_index(g->host_ix);
	bph_strmap_drop_index(g->art_ix);
	free(g->inc_tab);
	g->inc_tab = NULL;
	g->inc_tab_cap = 0;
}

void bph_graph_drop_incidences(struct bph_graph *g)
{
	free(g->inc);
	g->inc = NULL;
	g->n_inc = g->cap_inc = 0;
}

void bph_graph_drop_arrays(struct bph_graph *g)
{
	free(g->hosts);
	free(g->kinds);
	free(g->values);
	g->hosts = g->kinds = g->values = NULL;
	g->n_hosts = g->cap_hosts = g->n_arts = g->cap_arts = 0;
}
