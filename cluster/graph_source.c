/*
 * graph_source.c - a struct bph_graph_source over an in-memory graph: what
 * a store answers for the clustering of one seed, from indexes by host,
 * by artifact and by address. Contract in graph.h.
 */
#include "cluster/graph.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

struct v4 {
	uint32_t addr, host;
};

struct mem_source {
	struct bph_graph_source src; /* first: what callers hold */
	const struct bph_graph *g;
	uint32_t *host_off, *host_inc; /* host -> its incidences */
	uint32_t *art_off, *art_inc;   /* artifact -> its incidences */
	uint32_t *df;		       /* artifact -> distinct hosts */
	struct v4 *v4;		       /* IPv4 hosts by address */
	size_t n_v4;
};

/* CSR of the incidences by key(i) (host or artifact), n keys. */
static int index_by(const struct bph_graph *g, size_t n, int by_art,
		    uint32_t **off, uint32_t **ix)
{
	uint32_t *fill = calloc(n + 1, sizeof(*fill));

	*off = calloc(n + 2, sizeof(**off));
	*ix = malloc((g->n_inc + 1) * sizeof(**ix));
	if (!fill || !*off || !*ix) {
		free(fill);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < g->n_inc; i++)
		(*off)[(by_art ? g->inc[i].art : g->inc[i].host) + 1]++;
	for (size_t k = 0; k < n; k++)
		(*off)[k + 1] += (*off)[k];
	for (size_t i = 0; i < g->n_inc; i++) {
		uint32_t k = by_art ? g->inc[i].art : g->inc[i].host;
		(*ix)[(*off)[k] + fill[k]++] = (uint32_t)i;
	}
	free(fill);
	return 0;
}

static int cmp_v4(const void *x, const void *y)
{
	uint32_t a = ((const struct v4 *)x)->addr,
		 b = ((const struct v4 *)y)->addr;

	return (a > b) - (a < b);
}

/* Distinct hosts per artifact, and the IPv4 hosts by address. */
static int counts(struct mem_source *m)
{
	const struct bph_graph *g = m->g;

	uint32_t *mark = malloc((g->n_arts + 1) * sizeof(*mark));

	m->df = calloc(g->n_arts + 1, sizeof(*m->df));
	m->v4 = malloc((g->n_hosts + 1) * sizeof(*m->v4));
	if (!mark || !m->df || !m->v4) {
		free(mark);
		return BPH_ERR_NOMEM;
	}
	memset(mark, 0xff, (g->n_arts + 1) * sizeof(*mark));
	for (uint32_t h = 0; h < g->n_hosts; h++) /* a host once per artifact */
		for (uint32_t i = m->host_off[h]; i < m->host_off[h + 1]; i++) {
			uint32_t a = g->inc[m->host_inc[i]].art;
			m->df[a] += mark[a] != h;
			mark[a] = h;
		}
	free(mark);
	for (size_t h = 0; h < g->n_hosts; h++) {
		struct in_addr a;
		if (inet_pton(AF_INET, g->hosts[h], &a) == 1)
			m->v4[m->n_v4++] =
			    (struct v4){ntohl(a.s_addr), (uint32_t)h};
	}
	qsort(m->v4, m->n_v4, sizeof(*m->v4), cmp_v4);
	return 0;
}

static int count_hosts(void *ctx, uint64_t *n)
{
	*n = ((struct mem_source *)ctx)->g->n_hosts;
	return 0;
}

/* The artifact index of (kind, value), or -1. */
static long art_of(const struct mem_source *m, const char *kind,
		   const char *value)
{
	size_t kl = strlen(kind), vl = strlen(value);
	char *key = malloc(kl + vl + 2);
	uint32_t ix;
	int found;

	if (!key)
		return -1;
	memcpy(key, kind, kl + 1);
	memcpy(key + kl + 1, value, vl);
	found = bph_strmap_get(m->g->art_ix, key, kl + 1 + vl, &ix);
	free(key);
	return found ? (long)ix : -1;
}

static int count_holders(void *ctx, const char *kind, const char *value,
			 uint64_t *df)
{
	struct mem_source *m = ctx;
	long a = art_of(m, kind, value);

	*df = a < 0 ? 0 : m->df[a];
	return 0;
}

static int emit(const struct mem_source *m, uint32_t i, bph_graph_row_fn fn,
		void *arg)
{
	const struct bph_incidence *in = &m->g->inc[i];
	struct bph_graph_row r = {m->g->hosts[in->host], m->g->kinds[in->art],
				  m->g->values[in->art], in->port,
				  in->first_seen,	 in->last_seen,
				  m->df[in->art]};

	return fn(arg, &r);
}

static int host_rows(void *ctx, const char *host, bph_graph_row_fn fn,
		     void *arg, bool *answered)
{
	struct mem_source *m = ctx;
	uint32_t h;
	int rc = 0;

	*answered = bph_strmap_get(m->g->host_ix, host, strlen(host), &h);
	for (uint32_t i = *answered ? m->host_off[h] : 0;
	     *answered && !rc && i < m->host_off[h + 1]; i++)
		rc = emit(m, m->host_inc[i], fn, arg);
	return rc;
}

static int artifact_rows(void *ctx, const char *kind, const char *value,
			 bph_graph_row_fn fn, void *arg)
{
	struct mem_source *m = ctx;
	long a = art_of(m, kind, value);
	int rc = 0;

	for (uint32_t i = a < 0 ? 0 : m->art_off[a];
	     a >= 0 && !rc && i < m->art_off[a + 1]; i++)
		rc = emit(m, m->art_inc[i], fn, arg);
	return rc;
}

static int range_hosts(void *ctx, uint32_t lo, uint32_t hi, bph_graph_row_fn fn,
		       void *arg)
{
	struct mem_source *m = ctx;
	size_t a = 0, b = m->n_v4;
	int rc = 0;

	while (a < b) { /* the first address >= lo */
		size_t mid = (a + b) / 2;
		if (m->v4[mid].addr < lo)
			a = mid + 1;
		else
			b = mid;
	}
	for (; !rc && a < m->n_v4 && m->v4[a].addr <= hi; a++) {
		struct bph_graph_row r = {.host = m->g->hosts[m->v4[a].host]};
		rc = fn(arg, &r);
	}
	return rc;
}

struct bph_graph_source *bph_graph_source_new(const struct bph_graph *g)
{
	struct mem_source *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->g = g;
	m->src = (struct bph_graph_source){.ctx = m,
					   .count_hosts = count_hosts,
					   .count_holders = count_holders,
					   .host_rows = host_rows,
					   .artifact_rows = artifact_rows,
					   .range_hosts = range_hosts};
	if (index_by(g, g->n_hosts, 0, &m->host_off, &m->host_inc) ||
	    index_by(g, g->n_arts, 1, &m->art_off, &m->art_inc) || counts(m)) {
		bph_graph_source_free(&m->src);
		return NULL;
	}
	return &m->src;
}

void bph_graph_source_free(struct bph_graph_source *src)
{
	struct mem_source *m = (struct mem_source *)src;

	if (!m)
		return;
	free(m->host_off);
	free(m->host_inc);
	free(m->art_off);
	free(m->art_inc);
	free(m->df);
	free(m->v4);
	free(m);
}
