/*
 * seed.c - one seed's cluster from a store's neighbourhood of it: a walk
 * over the artifacts a rule can link on and over /24 blocks, then the
 * pipeline (cluster.c) on what the walk read, with the store's counts.
 * Contract in seed.h; why it equals the whole store's in
 * docs/clustering.md "One seed's cluster".
 */
#include "cluster/seed.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"

/* A queue of keys stored in a map that also remembers what was queued. */
struct keyq {
	struct bph_strmap *seen;
	const char **key;
	size_t head, n, cap;
};

struct walk {
	const struct bph_graph_source *src;
	const struct bph_cluster_opts *o;
	struct bph_graph *g;
	struct keyq roots, fulls, arts, blocks; /* hosts to root, expand */
	uint32_t *df; /* graph artifact -> store's holders */
	size_t cap_df;
	/* graph host -> the incidences its rooting added, [lo, hi): a
	 * host is expanded from them, not read from the store twice (on a
	 * database server every read is a round trip, and hosts are rooted
	 * several hundred per read for the same reason) */
	struct span {
		uint32_t lo, hi;
	} * span;
	size_t cap_span;
};

static int keyq_init(struct keyq *q)
{
	memset(q, 0, sizeof(*q));
	q->seen = bph_strmap_new();
	return q->seen ? 0 : BPH_ERR_NOMEM;
}

static void keyq_free(struct keyq *q)
{
	bph_strmap_free(q->seen);
	free(q->key);
}

/* Queues key (len bytes) unless it was queued before. */
static int keyq_push(struct keyq *q, const char *key, size_t len)
{
	uint32_t v = 0;
	const char *stored = NULL;
	int rc = bph_strmap_put(q->seen, key, len, &v, &stored);

	if (rc <= 0)
		return rc;
	if (q->n == q->cap) {
		size_t ncap = q->cap ? q->cap * 2 : 64;
		const char **k = realloc(q->key, ncap * sizeof(*k));
		if (!k)
			return BPH_ERR_NOMEM;
		q->key = k;
		q->cap = ncap;
	}
	q->key[q->n++] = stored;
	return 0;
}

/* Whether a rule can link on (kind, value) held by df hosts: within its
 * family's cap (the strong and score rules, build.c), or with full also
 * within max_concentrated (what rule_concentrated.c and rule_neighbour.c
 * read of over-cap artifacts). A superset of both: the common list is
 * not consulted. */
static bool may_link(const struct bph_cluster_opts *o, const char *kind,
		     uint64_t df, bool full)
{
	const struct bph_kind_info *k = bph_kind_lookup(kind);
	uint64_t cap;

	if (!k || !o->family_on[k->family] || df < 2)
		return false;
	cap = o->max_share[k->strength];
	if (full && o->max_concentrated > cap)
		cap = o->max_concentrated;
	return df <= cap;
}

/* The store's count of the row's (kind, value), noted at its graph
 * index *ix. */
static int note_df(struct walk *w, const struct bph_graph_row *row,
		   uint32_t *ix)
{
	size_t kl = strlen(row->kind), vl = strlen(row->value);
	char *key = malloc(kl + vl + 2);
	uint64_t df = row->df;
	int rc = key ? 0 : BPH_ERR_NOMEM;

	if (!rc && !df)
		rc = w->src->count_holders(w->src->ctx, row->kind, row->value,
					   &df);
	if (!rc) {
		memcpy(key, row->kind, kl + 1);
		memcpy(key + kl + 1, row->value, vl);
		if (!bph_strmap_get(w->g->art_ix, key, kl + 1 + vl, ix))
			rc = BPH_ERR_USAGE; /* just added: cannot be */
	}
	if (!rc && *ix >= w->cap_df) {
		size_t ncap = w->cap_df ? w->cap_df * 2 : 256;
		while (ncap <= *ix)
			ncap *= 2;
		uint32_t *d = realloc(w->df, ncap * sizeof(*d));
		if (!d)
			rc = BPH_ERR_NOMEM;
		else {
			memset(d + w->cap_df, 0,
			       (ncap - w->cap_df) * sizeof(*d));
			w->df = d;
			w->cap_df = ncap;
		}
	}
	if (!rc)
		w->df[*ix] = df > UINT32_MAX ? UINT32_MAX : (uint32_t)df;
	free(key);
	return rc;
}

/* Queues graph artifact ix if a rule can link on it (full: also when
 * expanding, may_link()). */
static int queue_art(struct walk *w, uint32_t ix, bool full)
{
	const char *kind = w->g->kinds[ix], *value = w->g->values[ix];
	size_t kl = strlen(kind), vl = strlen(value);
	char *key;
	int rc;

	if (!may_link(w->o, kind, w->df[ix], full))
		return 0;
	if (!(key = malloc(kl + vl + 2)))
		return BPH_ERR_NOMEM;
	memcpy(key, kind, kl + 1);
	memcpy(key + kl + 1, value, vl + 1);
	rc = keyq_push(&w->arts, key, kl + 1 + vl);
	free(key);
	return rc;
}

/* host_rows() while rooting: the row into the graph, its artifact
 * queued if linkable within its cap. */
static int on_host_row(void *arg, const struct bph_graph_row *row)
{
	struct walk *w = arg;
	uint32_t ix = 0;
	int rc = bph_graph_add(w->g, row->host, row->kind, row->value,
			       row->port, row->first_seen);

	if (!rc && row->last_seen != row->first_seen)
		rc = bph_graph_add(w->g, row->host, row->kind, row->value,
				   row->port, row->last_seen);
	if (!rc)
		rc = note_df(w, row, &ix);
	return rc ? rc : queue_art(w, ix, false);
}

/* artifact_rows() and range_hosts(): the host queued to be rooted. */
static int on_holder(void *arg, const struct bph_graph_row *row)
{
	struct walk *w = arg;

	return keyq_push(&w->roots, row->host, strlen(row->host));
}

/* Makes room in span for every graph host. */
static int span_room(struct walk *w)
{
	size_t ncap = w->cap_span ? w->cap_span : 256;
	struct span *sp;

	while (ncap < w->g->n_hosts)
		ncap *= 2;
	if (ncap == w->cap_span)
		return 0;
	if (!(sp = realloc(w->span, ncap * sizeof(*sp))))
		return BPH_ERR_NOMEM;
	memset(sp + w->cap_span, 0, (ncap - w->cap_span) * sizeof(*sp));
	w->span = sp;
	w->cap_span = ncap;
	return 0;
}

/* Notes each host's incidences among g->inc[lo, n_inc). A host is rooted
 * once (the roots queue), so every incidence its rows add is new, and a
 * source gives one host's rows one after the other: each host's are one
 * run. */
static int note_spans(struct walk *w, size_t lo)
{
	const struct bph_incidence *in = w->g->inc;
	int rc = span_room(w);

	for (size_t i = lo; !rc && i < w->g->n_inc; i++) {
		if (i == lo || in[i].host != in[i - 1].host)
			w->span[in[i].host].lo = (uint32_t)i;
		w->span[in[i].host].hi = (uint32_t)i + 1;
	}
	return rc;
}

/* The rows of hosts[0..n) into on_host_row(), in one read where the
 * source can. */
static int read_rows(struct walk *w, const char *const *hosts, size_t n,
		     bool *answered)
{
	const struct bph_graph_source *src = w->src;
	int rc = 0;

	if (src->hosts_rows)
		return src->hosts_rows(src->ctx, hosts, n, on_host_row, w,
				       answered);
	for (size_t i = 0; !rc && i < n; i++)
		rc = src->host_rows(src->ctx, hosts[i], on_host_row, w,
				    &answered[i]);
	return rc;
}

enum { ROOT_BATCH = 512 }; /* hosts rooted, artifacts read, per read */

/* Roots the next hosts of the roots queue: their rows into the graph, the
 * holders of their artifacts within their cap queued, so that their
 * strong and score links are all there. The seed (the queue's first)
 * must answer. */
static int root_batch(struct walk *w)
{
	const char *const *hosts = w->roots.key + w->roots.head;
	size_t n = w->roots.n - w->roots.head, lo = w->g->n_inc;
	bool answered[ROOT_BATCH] = {false}, seed = w->roots.head == 0;
	uint32_t ix;
	int rc;

	n = n < ROOT_BATCH ? n : ROOT_BATCH;
	rc = read_rows(w, hosts, n, answered);
	w->roots.head += n;
	if (!rc && seed && !answered[0])
		return BPH_ERR_USAGE;
	for (size_t i = 0; !rc && i < n; i++)
		if (answered[i])
			rc = bph_graph_intern_host(w->g, hosts[i], &ix);
	return rc ? rc : note_spans(w, lo);
}

/* The /24 of an IPv4 host, as a map key; false for others. */
static bool block_of(const char *host, char key[4])
{
	struct in_addr a;
	uint32_t block;

	if (inet_pton(AF_INET, host, &a) != 1)
		return false;
	block = ntohl(a.s_addr) & 0xffffff00u;
	memcpy(key, &block, sizeof(block));
	return true;
}

/* Expands one rooted host: the holders of every artifact a rule can
 * read (from the rows its rooting read, with the counts noted then),
 * and the hosts of its /24, queued to be rooted. */
static int expand_host(struct walk *w, const char *host)
{
	uint32_t ix;
	int rc = 0;
	char key[4];

	if (bph_strmap_get(w->g->host_ix, host, strlen(host), &ix) &&
	    ix < w->cap_span)
		for (uint32_t i = w->span[ix].lo; !rc && i < w->span[ix].hi;
		     i++)
			rc = queue_art(w, w->g->inc[i].art, true);
	if (!rc && block_of(host, key))
		rc = keyq_push(&w->blocks, key, sizeof(key));
	return rc;
}

/* Queues the holders of the next artifacts of the arts queue to be
 * rooted, several in one read where the source can. */
static int holders_batch(struct walk *w)
{
	const struct bph_graph_source *src = w->src;
	const char *kinds[ROOT_BATCH], *values[ROOT_BATCH];
	size_t n = w->arts.n - w->arts.head,
	       max = src->artifacts_rows ? ROOT_BATCH : 1;

	n = n < max ? n : max;
	for (size_t i = 0; i < n; i++) {
		kinds[i] = w->arts.key[w->arts.head++];
		values[i] = kinds[i] + strlen(kinds[i]) + 1;
	}
	if (src->artifacts_rows)
		return src->artifacts_rows(src->ctx, kinds, values, n,
					   on_holder, w);
	return src->artifact_rows(src->ctx, kinds[0], values[0], on_holder, w);
}

/* Until no queue has anything new: hosts to root, artifacts, hosts to
 * expand (rooted by then), blocks. */
static int walk(struct walk *w)
{
	int rc = 0;

	while (!rc &&
	       (w->roots.head < w->roots.n || w->arts.head < w->arts.n ||
		w->fulls.head < w->fulls.n || w->blocks.head < w->blocks.n)) {
		if (w->roots.head < w->roots.n) {
			rc = root_batch(w);
		} else if (w->arts.head < w->arts.n) {
			rc = holders_batch(w);
		} else if (w->fulls.head < w->fulls.n) {
			rc = expand_host(w, w->fulls.key[w->fulls.head++]);
		} else {
			uint32_t lo;
			memcpy(&lo, w->blocks.key[w->blocks.head++],
			       sizeof(lo));
			rc = w->src->range_hosts(w->src->ctx, lo, lo | 0xffu,
						 on_holder, w);
		}
	}
	return rc;
}

/* Queues host to be expanded (and rooted first, when it was not). */
static int want(struct walk *w, const char *host, bool *more)
{
	size_t n = w->fulls.n;
	int rc = keyq_push(&w->roots, host, strlen(host));

	if (!rc)
		rc = keyq_push(&w->fulls, host, strlen(host));
	*more |= w->fulls.n > n;
	return rc;
}

/* Marks the clusters of c holding a host of a /24 in blocks. */
static void mark_block_clusters(const struct bph_clustering *c,
				const struct bph_strmap *blocks, uint8_t *mark)
{
	char key[4];
	uint32_t v;

	for (size_t h = 0; h < c->n_hosts; h++)
		if (block_of(c->hosts[h], key) &&
		    bph_strmap_get(blocks, key, sizeof(key), &v))
			mark[c->cluster_of[h]] = 1;
}

/* What the seed's cluster in c depends on: its hosts and the clusters
 * holding hosts of their /24s (the neighbour rule's prior compares
 * them), all queued to be expanded; *more: whether any was new. */
static int want_cluster(struct walk *w, const struct bph_clustering *c,
			uint32_t s, bool *more)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	uint8_t *mark = calloc(c->n_clusters + 1, 1);
	struct bph_strmap *blocks = bph_strmap_new();
	int rc = mark && blocks ? 0 : BPH_ERR_NOMEM;
	uint32_t v = 0;
	char key[4];

	for (size_t i = 0; !rc && i < k->n_hosts; i++)
		if (block_of(c->hosts[k->hosts[i]], key))
			rc = bph_strmap_put(blocks, key, sizeof(key), &v,
					    NULL) < 0
				 ? BPH_ERR_NOMEM
				 : 0;
	if (!rc) {
		mark[c->cluster_of[s]] = 1;
		mark_block_clusters(c, blocks, mark);
	}
	for (size_t i = 0; !rc && i < c->n_clusters; i++)
		for (size_t m = 0; mark[i] && !rc && m < c->clusters[i].n_hosts;
		     m++)
			rc = want(w, c->hosts[c->clusters[i].hosts[m]], more);
	bph_strmap_free(blocks);
	free(mark);
	return rc;
}

/* Roots and expands from the seed, clusters what was read with the
 * store's counts, and expands what the seed's cluster depends on until
 * it depends on nothing new. */
static int seed_run(struct walk *w, const char *seed,
		    struct bph_clustering **out)
{
	uint64_t n = 0;
	bool more = true;
	int rc = w->src->count_hosts(w->src->ctx, &n);

	if (!rc)
		rc = want(w, seed, &more);
	while (!rc && more) {
		more = false;
		bph_clustering_free(*out);
		*out = NULL;
		if (!(rc = walk(w))) {
			/* the store's count, never below what was read */
			struct bph_cl_stats st = {
			    n > w->g->n_hosts ? (size_t)n : w->g->n_hosts,
			    w->df};
			rc = bph_cl_run_with(w->g, w->o, &st, out);
		}
		long s = rc ? -1 : bph_clustering_host(*out, seed);
		if (!rc && s < 0)
			rc = BPH_ERR_USAGE;
		if (!rc)
			rc = want_cluster(w, *out, (uint32_t)s, &more);
	}
	if (rc) {
		bph_clustering_free(*out);
		*out = NULL;
	}
	return rc;
}

int bph_cluster_seed(const struct bph_graph_source *src, const char *seed,
		     const struct bph_cluster_opts *opts,
		     struct bph_clustering **out, size_t *n_read)
{
	struct bph_cluster_opts defaults;
	struct walk w = {.src = src, .o = opts};
	int rc;

	*out = NULL;
	if (!opts) {
		bph_cluster_opts_default(&defaults);
		w.o = &defaults;
	}
	w.g = bph_graph_new();
	rc = w.g ? 0 : BPH_ERR_NOMEM;
	if (!rc && !(rc = keyq_init(&w.roots)) && !(rc = keyq_init(&w.fulls)) &&
	    !(rc = keyq_init(&w.arts)) && !(rc = keyq_init(&w.blocks)))
		rc = seed_run(&w, seed, out);
	if (n_read)
		*n_read = w.g ? w.g->n_hosts : 0;
	keyq_free(&w.roots);
	keyq_free(&w.fulls);
	keyq_free(&w.arts);
	keyq_free(&w.blocks);
	free(w.df);
	free(w.span);
	bph_graph_free(w.g);
	if (!opts)
		bph_cluster_opts_clear(&defaults);
	return rc;
}
