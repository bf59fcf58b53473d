/*
 * rank.c - BGP-Ranking-style density per prefix, AS or organisation
 * (contract and definitions in ranges/rank.h). One walk over the routed
 * IPv4 segments in address order meets each list's merged entries with
 * a cursor per list, so the cost is linear in segments plus entries.
 */
#include "ranges/rank.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

struct ivl {
	uint32_t a, b;
};

struct ivls {
	struct ivl *v;
	size_t n, cap, cur;
};

/* Per prefix id: what the walk and the hosts found. */
struct per_prefix {
	size_t n, n_lists;
	double *space, *listed, *any;
	size_t *hosts, *linked;
};

static int push_ivl(struct ivls *x, uint32_t a, uint32_t b)
{
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 256;
		struct ivl *v = realloc(x->v, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n++] = (struct ivl){a, b};
	return 0;
}

static int ivl_cmp(const void *p, const void *q)
{
	const struct ivl *x = p, *y = q;
	return x->a < y->a ? -1 : x->a > y->a;
}

/* Sorts and merges overlapping or adjacent intervals. */
static void merge(struct ivls *x)
{
	size_t d = 0;

	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), ivl_cmp);
	for (size_t i = 0; i < x->n; i++) {
		if (d && (uint64_t)x->v[d - 1].b + 1 >= x->v[i].a) {
			if (x->v[i].b > x->v[d - 1].b)
				x->v[d - 1].b = x->v[i].b;
			continue;
		}
		x->v[d++] = x->v[i];
	}
	x->n = d;
}

static int collect_entry(const struct bph_list_hit *h, void *arg)
{
	if (h->net.fam != BPH_FAM_V4)
		return 0;
	return push_ivl(arg, (uint32_t)h->net.first, (uint32_t)h->net.last);
}

static bool loaded(const struct bph_rdb *db, const char *name)
{
	for (size_t i = 0; i < bph_rdb_n_sources(db); i++)
		if (bph_kind_is_list(bph_rdb_source(db, i)->kind) &&
		    !strcmp(bph_rdb_source(db, i)->name, name))
			return true;
	return false;
}

/* lists[i]'s merged entries into x[i]; x[n] is the union of all. */
static int list_intervals(const struct bph_rdb *db,
			  const struct bph_rank_list *lists, size_t n,
			  struct ivls *x)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++) {
		const char *name = lists[i].name;
		if (!loaded(db, name))
			return BPH_ERR_USAGE;
		rc = bph_rdb_list_entries(db, &name, 1, collect_entry, &x[i]);
		for (size_t k = 0; !rc && k < x[i].n; k++)
			rc = push_ivl(&x[n], x[i].v[k].a, x[i].v[k].b);
		merge(&x[i]);
	}
	if (!rc)
		merge(&x[n]);
	return rc;
}

/* Addresses of [a, b] inside x, moving x's cursor past what ends before
 * a. */
static double overlap(struct ivls *x, uint32_t a, uint32_t b)
{
	double sum = 0;

	while (x->cur < x->n && x->v[x->cur].b < a)
		x->cur++;
	for (size_t i = x->cur; i < x->n && x->v[i].a <= b; i++) {
		uint32_t lo = x->v[i].a > a ? x->v[i].a : a;
		uint32_t hi = x->v[i].b < b ? x->v[i].b : b;
		sum += (double)(hi - lo) + 1.0;
	}
	return sum;
}

struct walk_ctx {
	struct per_prefix *pp;
	struct ivls *x; /* n_lists + 1 */
};

static int segment(bph_u128 first, bph_u128 last, int32_t id, void *arg)
{
	struct walk_ctx *w = arg;
	struct per_prefix *pp = w->pp;
	uint32_t a = (uint32_t)first, b = (uint32_t)last;

	if (id < 0)
		return 0;
	pp->space[id] += (double)(b - a) + 1.0;
	for (size_t l = 0; l < pp->n_lists; l++)
		pp->listed[(size_t)id * pp->n_lists + l] +=
		    overlap(&w->x[l], a, b);
	pp->any[id] += overlap(&w->x[pp->n_lists], a, b);
	return 0;
}

static int per_prefix_new(struct per_prefix *pp, size_t n, size_t n_lists)
{
	pp->n = n;
	pp->n_lists = n_lists;
	pp->space = calloc(n + 1, sizeof(double));
	pp->listed = calloc(n * n_lists + 1, sizeof(double));
	pp->any = calloc(n + 1, sizeof(double));
	pp->hosts = calloc(n + 1, sizeof(size_t));
	pp->linked = calloc(n + 1, sizeof(size_t));
	return pp->space && pp->listed && pp->any && pp->hosts && pp->linked
		   ? 0
		   : BPH_ERR_NOMEM;
}

static void per_prefix_free(struct per_prefix *pp)
{
	free(pp->space);
	free(pp->listed);
	free(pp->any);
	free(pp->hosts);
	free(pp->linked);
}

/* ---- units ---- */

struct key_pfx {
	char key[64];
	const char *name;
	int32_t pfx;
};

static int key_cmp(const void *p, const void *q)
{
	const struct key_pfx *x = p, *y = q;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->pfx > y->pfx) - (x->pfx < y->pfx);
}

/* The (unit, prefix) pairs of every prefix that routes addresses. */
static int unit_pairs(const struct bph_rdb *db, enum bph_rank_by by,
		      const struct per_prefix *pp, struct key_pfx **out,
		      size_t *n)
{
	struct key_pfx *v = malloc((pp->n * 4 + 1) * sizeof(*v));
	struct bph_route r;
	struct bph_asinfo ai;
	size_t k = 0;

	if (!v)
		return BPH_ERR_NOMEM;
	for (int32_t id = 0; (size_t)id < pp->n; id++) {
		if (pp->space[id] <= 0 || !bph_rdb_prefix(db, id, &r))
			continue;
		for (size_t o = 0; o < r.n_origins && o < 4; o++) {
			struct key_pfx *e = &v[k++];
			e->pfx = id;
			bph_rdb_asinfo(db, r.origins[o].asn, &ai);
			e->name = ai.name;
			if (by == BPH_RANK_PREFIX) {
				bph_range_format(&r.prefix, e->key);
				o = r.n_origins; /* one row per prefix */
			} else if (by == BPH_RANK_ASN || !ai.org_id[0]) {
				snprintf(e->key, sizeof(e->key), "AS%u",
					 r.origins[o].asn);
			} else {
				snprintf(e->key, sizeof(e->key), "%s",
					 ai.org_id);
				e->name = ai.org_name;
			}
		}
	}
	qsort(v, k, sizeof(*v), key_cmp);
	*out = v;
	*n = k;
	return 0;
}

static void add_prefix(struct bph_rank_row *row, const struct per_prefix *pp,
		       int32_t id)
{
	row->space += pp->space[id];
	row->listed_any += pp->any[id];
	row->hosts += pp->hosts[id];
	row->linked += pp->linked[id];
	row->prefixes++;
	for (size_t l = 0; l < pp->n_lists; l++)
		row->listed[l] += pp->listed[(size_t)id * pp->n_lists + l];
}

static void finish_row(struct bph_rank_row *row,
		       const struct bph_rank_list *lists, size_t n_lists)
{
	for (size_t l = 0; l < n_lists; l++)
		row->score += lists[l].weight * row->listed[l] / row->space;
	row->listed_share = row->listed_any / row->space;
	row->linked_density = (double)row->linked / row->space;
}

static int row_cmp(const void *p, const void *q)
{
	const struct bph_rank_row *x = p, *y = q;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	if (x->listed_share != y->listed_share)
		return x->listed_share > y->listed_share ? -1 : 1;
	if (x->linked != y->linked)
		return x->linked > y->linked ? -1 : 1;
	return strcmp(x->unit, y->unit);
}

static int make_rows(const struct per_prefix *pp, const struct key_pfx *v,
		     size_t n, const struct bph_rank_list *lists,
		     struct bph_ranking *r)
{
	size_t L = pp->n_lists;

	r->rows = calloc(n + 1, sizeof(*r->rows));
	r->listed_store = calloc(n * L + 1, sizeof(double));
	if (!r->rows || !r->listed_store)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(v[i].key, v[i - 1].key)) {
			if (v[i].pfx != v[i - 1].pfx)
				add_prefix(&r->rows[r->n - 1], pp, v[i].pfx);
			continue;
		}
		struct bph_rank_row *row = &r->rows[r->n];
		row->listed = &r->listed_store[r->n * L];
		r->n++;
		snprintf(row->unit, sizeof(row->unit), "%s", v[i].key);
		row->name = v[i].name;
		add_prefix(row, pp, v[i].pfx);
	}
	size_t kept = 0;
	for (size_t i = 0; i < r->n; i++) { /* units with something */
		struct bph_rank_row *row = &r->rows[i];
		if (row->listed_any <= 0 && row->hosts == 0)
			continue;
		finish_row(row, lists, L);
		r->rows[kept++] = *row;
	}
	r->n = kept;
	qsort(r->rows, r->n, sizeof(*r->rows), row_cmp);
	/* the listed arrays moved with their rows' pointers: still valid */
	return 0;
}

static void count_hosts(const struct bph_rdb *db, struct per_prefix *pp,
			const struct bph_rank_host *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int32_t id = bph_rdb_lpm4(db, hosts[i].v4);
		if (id < 0)
			continue;
		pp->hosts[id]++;
		pp->linked[id] += hosts[i].linked;
	}
}

int bph_rank(const struct bph_rdb *db, enum bph_rank_by by,
	     const struct bph_rank_list *lists, size_t n_lists,
	     const struct bph_rank_host *hosts, size_t n_hosts,
	     struct bph_ranking **out)
{
	struct bph_ranking *r = calloc(1, sizeof(*r));
	struct ivls *x = calloc(n_lists + 1, sizeof(*x));
	struct per_prefix pp = {0};
	struct key_pfx *pairs = NULL;
	size_t n_pairs = 0;
	int rc = r && x ? 0 : BPH_ERR_NOMEM;

	if (!rc)
		rc = list_intervals(db, lists, n_lists, x);
	if (!rc)
		rc = per_prefix_new(&pp, bph_rdb_n_prefixes(db), n_lists);
	if (!rc) {
		struct walk_ctx w = {&pp, x};
		rc = bph_rdb_walk_routed(db, BPH_FAM_V4, segment, &w);
	}
	if (!rc) {
		count_hosts(db, &pp, hosts, n_hosts);
		rc = unit_pairs(db, by, &pp, &pairs, &n_pairs);
	}
	if (!rc) {
		r->n_lists = n_lists;
		rc = make_rows(&pp, pairs, n_pairs, lists, r);
	}
	for (size_t i = 0; x && i <= n_lists; i++)
		free(x[i].v);
	free(x);
	free(pairs);
	per_prefix_free(&pp);
	if (rc) {
		bph_ranking_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void bph_ranking_free(struct bph_ranking *r)
{
	if (!r)
		return;
	free(r->rows);
	free(r->listed_store);
	free(r);
}
