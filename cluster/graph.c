#include "cluster/graph.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

struct bph_graph *bph_graph_new(void)
{
	struct bph_graph *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->host_ix = bph_strmap_new();
	g->art_ix = bph_strmap_new();
	g->inc_ix = bph_strmap_new();
	if (!g->host_ix || !g->art_ix || !g->inc_ix) {
		bph_graph_free(g);
		return NULL;
	}
	return g;
}

void bph_graph_free(struct bph_graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_hosts; i++)
		free(g->hosts[i]);
	for (size_t i = 0; i < g->n_arts; i++) {
		free(g->kinds[i]);
		free(g->values[i]);
	}
	free(g->hosts);
	free(g->kinds);
	free(g->values);
	free(g->inc);
	bph_strmap_free(g->host_ix);
	bph_strmap_free(g->art_ix);
	bph_strmap_free(g->inc_ix);
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
	*v = p;
	*cap = ncap;
	return 0;
}

static int host_index(struct bph_graph *g, const char *host, uint32_t *ix)
{
	size_t len = strlen(host);
	int rc;

	if (!len)
		return BPH_ERR_USAGE;
	if (bph_strmap_get(g->host_ix, host, len, ix))
		return 0;
	rc = reserve((void **)&g->hosts, g->n_hosts, &g->cap_hosts,
		     sizeof(char *));
	if (rc)
		return rc;
	if (!(g->hosts[g->n_hosts] = strdup(host)))
		return BPH_ERR_NOMEM;
	*ix = (uint32_t)g->n_hosts;
	rc = bph_strmap_put(g->host_ix, host, len, ix);
	if (rc < 0) {
		free(g->hosts[g->n_hosts]);
		return rc;
	}
	g->n_hosts++;
	return 0;
}

int bph_graph_add_host(struct bph_graph *g, const char *host)
{
	uint32_t ix;

	return host_index(g, host, &ix);
}

static int art_index(struct bph_graph *g, const char *kind, const char *value,
		     uint32_t *ix)
{
	size_t kl = strlen(kind), vl = strlen(value);
	char *key = malloc(kl + vl + 1);
	int rc = key ? 0 : BPH_ERR_NOMEM;

	if (rc)
		return rc;
	memcpy(key, kind, kl + 1); /* kind NUL value: unambiguous */
	memcpy(key + kl + 1, value, vl);
	if (bph_strmap_get(g->art_ix, key, kl + 1 + vl, ix))
		goto out;
	if ((rc = reserve((void **)&g->kinds, g->n_arts, &g->cap_arts,
			  sizeof(char *))))
		goto out;
	/* values grows in step with kinds */
	char **nv = realloc(g->values, g->cap_arts * sizeof(char *));
	if (!nv) {
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	g->values = nv;
	g->kinds[g->n_arts] = strdup(kind);
	g->values[g->n_arts] = strdup(value);
	*ix = (uint32_t)g->n_arts;
	if (!g->kinds[g->n_arts] || !g->values[g->n_arts] ||
	    bph_strmap_put(g->art_ix, key, kl + 1 + vl, ix) < 0) {
		free(g->kinds[g->n_arts]);
		free(g->values[g->n_arts]);
		rc = BPH_ERR_NOMEM;
		goto out;
	}
	g->n_arts++;
out:
	free(key);
	return rc;
}

int bph_graph_add(struct bph_graph *g, const char *host, const char *kind,
		  const char *value, uint16_t port, int64_t seen)
{
	uint32_t h, a, ix;
	unsigned char key[10];
	int rc;

	if (!kind || !value || !kind[0] || !value[0])
		return BPH_ERR_USAGE;
	if ((rc = host_index(g, host, &h)) ||
	    (rc = art_index(g, kind, value, &a)))
		return rc;
	memcpy(key, &h, 4);
	memcpy(key + 4, &a, 4);
	memcpy(key + 8, &port, 2);
	if (bph_strmap_get(g->inc_ix, key, sizeof(key), &ix)) {
		struct bph_incidence *in = &g->inc[ix];
		if (seen < in->first_seen)
			in->first_seen = seen;
		if (seen > in->last_seen)
			in->last_seen = seen;
		return 0;
	}
	rc = reserve((void **)&g->inc, g->n_inc, &g->cap_inc, sizeof(*g->inc));
	if (rc)
		return rc;
	ix = (uint32_t)g->n_inc;
	if (bph_strmap_put(g->inc_ix, key, sizeof(key), &ix) < 0)
		return BPH_ERR_NOMEM;
	g->inc[ix] = (struct bph_incidence){h, a, port, seen, seen};
	g->n_inc++;
	return 0;
}
