/*
 * build.c - the first stage of a clustering: hosts copied in address
 * order, incidences remapped and sorted by host, each artifact's holder
 * count and weight (docs/clustering.md "Weights"), and the by-artifact
 * index the rules read (in a second thread, beside the statistics). The
 * pipeline is in cluster.c.
 */
#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

int bph_cl_ipcmp(const char *a, const char *b)
{
	struct in_addr x, y;

	if (inet_pton(AF_INET, a, &x) == 1 && inet_pton(AF_INET, b, &y) == 1) {
		uint32_t u = ntohl(x.s_addr), v = ntohl(y.s_addr);
		return u < v ? -1 : u > v;
	}
	return strcmp(a, b);
}

/* A host and its sort key: the IPv4 address, or 2^32 + index when any
 * host is not IPv4 (then the whole table is sorted with bph_cl_ipcmp). */
struct host_key {
	uint64_t key;
	uint32_t ix;
	const char *name;
};

static int cmp_host_key(const void *x, const void *y)
{
	const struct host_key *a = x, *b = y;

	return (a->key > b->key) - (a->key < b->key);
}

static int cmp_host_name(const void *x, const void *y)
{
	return bph_cl_ipcmp(((const struct host_key *)x)->name,
			    ((const struct host_key *)y)->name);
}

/* Sorts order[] (one entry per graph host) into address order; a
 * store's load gives them in that order already (IPv4 keys are distinct,
 * so ascending ones are the one order qsort gives). */
static void sort_hosts(const struct bph_graph *g, struct host_key *order)
{
	bool all_v4 = true, sorted = true;

	for (size_t i = 0; i < g->n_hosts; i++) {
		struct in_addr a;
		order[i].ix = (uint32_t)i;
		order[i].name = g->hosts[i];
		if (inet_pton(AF_INET, g->hosts[i], &a) == 1)
			order[i].key = ntohl(a.s_addr);
		else
			all_v4 = false;
		sorted = sorted && (i == 0 || order[i].key > order[i - 1].key);
	}
	if (!all_v4 || !sorted)
		qsort(order, g->n_hosts, sizeof(*order),
		      all_v4 ? cmp_host_key : cmp_host_name);
}

/* Size of the clustering's string block: hosts, kinds and values. */
static size_t strings_size(const struct bph_graph *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n_hosts; i++)
		n += strlen(g->hosts[i]) + 1;
	for (size_t i = 0; i < g->n_arts; i++)
		n += strlen(g->kinds[i]) + strlen(g->values[i]) + 2;
	return n + 1;
}

/* Appends s to the string block at *pos; returns the copy. */
static char *put_string(struct bph_clustering *c, size_t *pos, const char *s)
{
	size_t len = strlen(s) + 1;
	char *p = c->strings + *pos;

	memcpy(p, s, len);
	*pos += len;
	return p;
}

/* Copies the hosts in address order and builds host_map. */
static int copy_hosts(struct run *r, size_t *pos)
{
	const struct bph_graph *g = r->g;
	struct bph_clustering *c = r->c;
	struct host_key *order = calloc(g->n_hosts + 1, sizeof(*order));

	size_t n_str = r->own ? 0 : strings_size(g);

	c->hosts = calloc(g->n_hosts + 1, sizeof(char *));
	r->host_map = calloc(g->n_hosts + 1, sizeof(uint32_t));
	if (!r->own)
		c->strings = malloc(n_str);
	/* each written once, at a million hosts hundreds of MiB: faulted
	 * in 2 MiB pages, not 4 KiB ones (fingerprints/hugemem.h) */
	bph_advise_huge(order, (g->n_hosts + 1) * sizeof(*order));
	bph_advise_huge(c->hosts, (g->n_hosts + 1) * sizeof(char *));
	bph_advise_huge(r->host_map, (g->n_hosts + 1) * sizeof(uint32_t));
	bph_advise_huge(c->strings, n_str);
	if (!order || !c->hosts || !r->host_map || (!r->own && !c->strings)) {
		free(order);
		return BPH_ERR_NOMEM;
	}
	sort_hosts(g, order);
	for (size_t i = 0; i < g->n_hosts; i++) {
		r->host_map[order[i].ix] = (uint32_t)i;
		c->hosts[i] = r->own ? (char *)order[i].name
				     : put_string(c, pos, order[i].name);
		c->n_hosts++;
	}
	free(order);
	return 0;
}

/* An artifact and its place in the canonical order. */
struct art_key {
	uint64_t key; /* kind's registry rank, then a hash of "kind\0value" */
	uint32_t ix;  /* graph artifact */
};

/* Sorts v by key: LSD radix sort, four 16-bit digits, through tmp (room
 * for n). */
static int radix_sort(struct art_key *v, struct art_key *tmp, size_t n)
{
	struct art_key *a = v, *b = tmp;
	size_t *count = malloc((1u << 16) * sizeof(*count));

	for (int shift = 0; count && shift < 64; shift += 16) {
		size_t sum = 0;
		memset(count, 0, (1u << 16) * sizeof(*count));
		for (size_t i = 0; i < n; i++)
			count[(a[i].key >> shift) & 0xffff]++;
		for (size_t d = 0; d < (1u << 16); d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			b[count[(a[i].key >> shift) & 0xffff]++] = a[i];
		struct art_key *t = a;
		a = b;
		b = t;
	} /* four passes: the result is back in v */
	free(count);
	return count ? 0 : BPH_ERR_NOMEM;
}

/* Orders artifacts with equal hashes by kind, then value. */
static int cmp_art_name(const struct bph_graph *g, uint32_t x, uint32_t y)
{
	int d = strcmp(g->kinds[x], g->kinds[y]);

	return d ? d : strcmp(g->values[x], g->values[y]);
}

/* The rank of the kinds the clustering does not know (bph_kinds[] has
 * fewer entries). */
#define UNKNOWN_RANK 255u

/* Sort key of artifact a: the rank of its kind in bph_kinds[] (kinds the
 * clustering does not know after), then a fixed hash of kind and value. */
static uint64_t art_key(const struct bph_graph *g, size_t a)
{
	const struct bph_kind_info *k = bph_kind_lookup(g->kinds[a]);
	uint64_t rank = k ? (uint64_t)(k - bph_kinds) : UNKNOWN_RANK;
	size_t len = strlen(g->kinds[a]) + 1 + strlen(g->values[a]);

	return rank << 56 |
	       (bph_strmap_hash(g->kinds[a], len) & ((UINT64_C(1) << 56) - 1));
}

/*
 * The canonical order of the artifacts: by kind in registry order (a
 * certificate before its key, as the registry lists them), then by a
 * fixed hash of kind and value, then by the strings; not by the order the
 * store returned them. Every
 * tie a rule breaks by artifact index (the best artifact of a family
 * among equal weights) and every listing of a host's artifacts then
 * comes out the same whichever hosts a clustering holds, so the clustering
 * of a seed's neighbourhood (cluster/seed.c) matches the store's.
 */
static int compute_order(const struct bph_graph *g, struct bph_art_order *o)
{
	size_t n = g->n_arts;
	/* the keys and the sort's second buffer in one block, kept for
	 * index_by_art() (o->spare): at a million hosts a hundred MiB that
	 * is not faulted in twice */
	size_t size = 2 * (n + 1) * sizeof(struct art_key);
	struct art_key *v = malloc(size);
	int rc;

	o->n = n;
	o->art_map = malloc((n + 1) * sizeof(uint32_t));
	o->art_of = malloc((n + 1) * sizeof(uint32_t));
	o->kind_rank = malloc(n + 1);
	o->spare = v;
	o->spare_size = size;
	bph_advise_huge(v, size);
	bph_advise_huge(o->art_map, (n + 1) * sizeof(uint32_t));
	bph_advise_huge(o->art_of, (n + 1) * sizeof(uint32_t));
	bph_advise_huge(o->kind_rank, n + 1);
	if (!v || !o->art_map || !o->art_of || !o->kind_rank)
		return BPH_ERR_NOMEM;
	for (size_t a = 0; a < n; a++)
		v[a] = (struct art_key){art_key(g, a), (uint32_t)a};
	rc = radix_sort(v, v + n + 1, n);
	for (size_t i = 1; !rc && i < n; i++) /* equal hashes: rare */
		for (size_t j = i; j > 0 && v[j - 1].key == v[j].key &&
				   cmp_art_name(g, v[j - 1].ix, v[j].ix) > 0;
		     j--) {
			struct art_key t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (size_t i = 0; !rc && i < n; i++) {
		o->art_of[i] = v[i].ix;
		o->art_map[v[i].ix] = (uint32_t)i;
		o->kind_rank[i] = (uint8_t)(v[i].key >> 56);
	}
	return rc;
}

int bph_graph_order_arts(struct bph_graph *g)
{
	struct bph_art_order *o = calloc(1, sizeof(*o));
	int rc = o ? compute_order(g, o) : BPH_ERR_NOMEM;

	bph_graph_drop_order(g); /* computed again */
	g->order = o;
	if (rc)
		bph_graph_drop_order(g);
	return rc;
}

/* r's order: the one the adopted graph computed ahead
 * (bph_graph_order_arts), taken over, or computed here. */
static int order_arts(struct run *r)
{
	struct bph_art_order o = {0}, *ahead = r->own ? r->own->order : NULL;
	int rc;

	if (ahead && ahead->n == r->g->n_arts && ahead->art_of &&
	    ahead->art_map && ahead->kind_rank) {
		o = *ahead;
		free(ahead);
		r->own->order = NULL;
		rc = 0;
	} else {
		if (r->own)
			bph_graph_drop_order(r->own);
		rc = compute_order(r->g, &o);
	}
	r->art_of = o.art_of;
	r->art_map = o.art_map;
	r->kind_rank = o.kind_rank;
	r->spare = o.spare;
	r->spare_size = o.spare_size;
	return rc;
}

static int cmp_inc(const void *x, const void *y)
{
	const struct bph_incidence *a = x, *b = y;

	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	return (a->port > b->port) - (a->port < b->port);
}

/* Sorts one host's incidences by (art, port): insertion sort, as a host
 * has a few; qsort for the rare host with many. */
static void sort_segment(struct bph_incidence *v, size_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof(*v), cmp_inc);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		struct bph_incidence x = v[i];
		size_t j = i;
		while (j > 0 && cmp_inc(&v[j - 1], &x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Whether g's incidences already come by host in address order (a
 * store's load: hosts and rows by address). */
static bool by_host(const struct run *r)
{
	const struct bph_graph *g = r->g;

	for (size_t i = 1; i < g->n_inc; i++)
		if (r->host_map[g->inc[i].host] <
		    r->host_map[g->inc[i - 1].host])
			return false;
	return g->n_inc > 0;
}

/* copy_incidences() for an adopted graph whose incidences come by host:
 * the graph's array, the largest, is remapped in place and kept instead
 * of copied (at a million hosts, hundreds of MB less and no pass over
 * fresh pages). */
static int take_incidences(struct run *r)
{
	struct bph_clustering *c = r->c;
	struct bph_graph *g = r->own;

	c->inc_off = calloc(c->n_hosts + 1, sizeof(size_t));
	bph_advise_huge(c->inc_off, (c->n_hosts + 1) * sizeof(size_t));
	if (!c->inc_off)
		return BPH_ERR_NOMEM;
	c->n_inc = g->n_inc;
	c->inc = g->inc;
	g->inc = NULL;
	g->n_inc = g->cap_inc = 0;
	for (size_t i = 0; i < c->n_inc; i++) {
		struct bph_incidence *in = &c->inc[i];
		if (i + BPH_AHEAD < c->n_inc)
			BPH_PREFETCH(&r->art_map[c->inc[i + BPH_AHEAD].art]);
		in->host = r->host_map[in->host];
		in->art = r->art_map[in->art];
		if (in->last_seen > c->last_seen)
			c->last_seen = in->last_seen;
		c->inc_off[in->host + 1]++;
	}
	for (size_t h = 0; h < c->n_hosts; h++) {
		c->inc_off[h + 1] += c->inc_off[h];
		sort_segment(&c->inc[c->inc_off[h]],
			     c->inc_off[h + 1] - c->inc_off[h]);
	}
	return 0;
}

/* Remapped incidences sorted by host (counting sort), then by art and
 * port within a host, with per-host offsets. */
static int copy_incidences(struct run *r)
{
	struct bph_clustering *c = r->c;
	size_t *cur;

	if (r->own && by_host(r))
		return take_incidences(r);
	cur = calloc(c->n_hosts + 1, sizeof(size_t));

	c->n_inc = r->g->n_inc;
	c->inc = malloc((c->n_inc + 1) * sizeof(*c->inc));
	bph_advise_huge(c->inc, (c->n_inc + 1) * sizeof(*c->inc));
	c->inc_off = calloc(c->n_hosts + 1, sizeof(size_t));
	bph_advise_huge(cur, (c->n_hosts + 1) * sizeof(size_t));
	bph_advise_huge(c->inc_off, (c->n_hosts + 1) * sizeof(size_t));
	if (!cur || !c->inc || !c->inc_off) {
		free(cur);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < c->n_inc; i++)
		c->inc_off[r->host_map[r->g->inc[i].host] + 1]++;
	for (size_t h = 0; h < c->n_hosts; h++) {
		c->inc_off[h + 1] += c->inc_off[h];
		cur[h] = c->inc_off[h];
	}
	for (size_t i = 0; i < c->n_inc; i++) {
		struct bph_incidence in = r->g->inc[i];
		in.host = r->host_map[in.host];
		in.art = r->art_map[in.art];
		if (in.last_seen > c->last_seen)
			c->last_seen = in.last_seen;
		c->inc[cur[in.host]++] = in;
	}
	for (size_t h = 0; h < c->n_hosts; h++)
		sort_segment(&c->inc[c->inc_off[h]],
			     c->inc_off[h + 1] - c->inc_off[h]);
	free(cur);
	return 0;
}

const char bph_cl_why_cap[] = "shared by too many hosts";
const char bph_cl_why_common[] = "on the common-artifacts list";

/* The part of the common list whose entries have kind (empty when none
 * has): artifacts come grouped by kind, so the list is cut once per kind
 * and each artifact searched in its kind's entries only. */
static struct bph_common common_of(const struct bph_common *l, const char *kind)
{
	size_t lo = 0, hi;

	while (l && lo < l->n && strcmp(l->v[lo].kind, kind))
		lo++;
	for (hi = lo; l && hi < l->n && !strcmp(l->v[hi].kind, kind); hi++)
		;
	return (struct bph_common){l ? l->v + lo : NULL, l ? hi - lo : 0};
}

/* common: the part of the list with s's kind (common_of). */
static const char *zero_reason(const struct run *r,
			       const struct bph_art_stat *s,
			       const struct bph_common *common, double *w)
{
	const struct bph_kind_info *k = s->info;
	size_t n = r->c->n_total;
	uint32_t df = s->df;

	*w = 0;
	if (!k)
		return "kind not used for linking";
	if (!r->o->family_on[k->family])
		return "family disabled";
	if (common->n && bph_common_find(common, s->kind, s->value))
		return bph_cl_why_common;
	if (df < 2)
		return "seen on one host only";
	if (df > r->o->max_share[k->strength])
		return bph_cl_why_cap;
	if (k->strength == BPH_STRONG)
		*w = r->o->strength[k->strength] * log(1.0 + (double)n / df);
	else if (df < n)
		*w = r->o->strength[k->strength] * log((double)n / df);
	return *w > 0 ? NULL : "carried by every host";
}

/* Distinct hosts per artifact, counted in a compact array (the counts of
 * a million hosts' incidences land at random: 4 bytes each, not a whole
 * bph_art_stat). */
static uint32_t *count_df(const struct bph_clustering *c, size_t n_arts)
{
	const struct bph_incidence *in = c->inc;
	uint32_t *df = calloc(n_arts + 1, sizeof(*df));

	bph_advise_huge(df, (n_arts + 1) * sizeof(*df));
	for (size_t i = 0; df && i < c->n_inc; i++) { /* distinct (host, art) */
		if (i + BPH_AHEAD < c->n_inc)
			BPH_PREFETCH(&df[in[i + BPH_AHEAD].art]);
		if (i == 0 || in[i].host != in[i - 1].host ||
		    in[i].art != in[i - 1].art)
			df[in[i].art]++;
	}
	return df;
}

/* Asks for what artifact_stats() reads at random for the artifacts
 * after a: their strings' pointers, then the strings (the kind is
 * compared with the one before's, the value looked up in the common
 * list). */
static void ahead(const struct run *r, size_t a)
{
	const struct bph_graph *g = r->g;

	if (a + 2 * BPH_AHEAD < g->n_arts) {
		BPH_PREFETCH(&g->kinds[r->art_of[a + 2 * BPH_AHEAD]]);
		BPH_PREFETCH(&g->values[r->art_of[a + 2 * BPH_AHEAD]]);
	}
	if (a + BPH_AHEAD < g->n_arts) {
		BPH_PREFETCH(g->kinds[r->art_of[a + BPH_AHEAD]]);
		BPH_PREFETCH(g->values[r->art_of[a + BPH_AHEAD]]);
	}
}

/* Whether artifact a (canonical order) has the kind of a - 1: the same
 * registry rank, or both unknown and the same string. */
static bool same_kind(const struct run *r, size_t a)
{
	const struct bph_art_stat *s = &r->c->arts[a];

	if (r->kind_rank[a] != r->kind_rank[a - 1])
		return false;
	return r->kind_rank[a] != UNKNOWN_RANK || !strcmp(s[-1].kind, s->kind);
}

/* The statistics of artifacts [lo, hi) into c->arts (allocated), from
 * df; strings copied to the block at *pos unless the graph is adopted.
 * Each range starts its kind over, so two ranges run at once. */
static void stats_range(struct run *r, const uint32_t *df, size_t lo, size_t hi,
			size_t *pos)
{
	struct bph_clustering *c = r->c;
	struct bph_common common = {NULL, 0};

	for (size_t a = lo; a < hi; a++) {
		struct bph_art_stat *s = &c->arts[a];
		ahead(r, a);
		s->df = df[a];
		/* the store's count; never below what is here (a count that
		 * lags a concurrent write must not undersize the rules') */
		if (r->stats && r->stats->df[r->art_of[a]] > s->df)
			s->df = r->stats->df[r->art_of[a]];
		const char *kind = r->g->kinds[r->art_of[a]],
			   *value = r->g->values[r->art_of[a]];
		s->kind = r->own ? (char *)kind : put_string(c, pos, kind);
		s->value = r->own ? (char *)value : put_string(c, pos, value);
		/* artifacts come grouped by kind (order_arts): most have
		 * the kind of the one before, which their ranks tell without
		 * reading the strings (two unknown kinds are compared) */
		if (a > lo && same_kind(r, a)) {
			s->info = s[-1].info;
		} else {
			s->info = r->kind_rank[a] == UNKNOWN_RANK
				      ? NULL
				      : &bph_kinds[r->kind_rank[a]];
			common = common_of(r->common, s->kind);
		}
		s->why_zero = zero_reason(r, s, &common, &s->weight);
	}
}

/* r->by_art: one row per (art, host), sorted by art then host (a counting
 * sort by art over the host-sorted incidences) of n_arts artifacts. It
 * reads c's incidences and writes r->by_art alone, so that it runs beside
 * artifact_stats() (bph_cl_build). */
static int index_by_art(struct run *r, size_t n_arts)
{
	const struct bph_clustering *c = r->c;
	size_t *off = calloc(n_arts + 2, sizeof(size_t)), n = 0;
	struct art_row *v;

	bph_advise_huge(off, (n_arts + 2) * sizeof(size_t));
	for (size_t k = 0; off && k < c->n_inc; k++) {
		if (k + BPH_AHEAD < c->n_inc)
			BPH_PREFETCH(&off[c->inc[k + BPH_AHEAD].art + 1]);
		if (k == 0 || c->inc[k].host != c->inc[k - 1].host ||
		    c->inc[k].art != c->inc[k - 1].art) {
			off[c->inc[k].art + 1]++;
			n++;
		}
	}
	if (off && (n + 1) * sizeof(*v) <= r->spare_size) {
		v = r->spare; /* order_arts()'s sort, already faulted in */
	} else {
		free(r->spare); /* too small: not held past here */
		v = off ? malloc((n + 1) * sizeof(*v)) : NULL;
		bph_advise_huge(v, (n + 1) * sizeof(*v));
	}
	r->spare = NULL;
	r->spare_size = 0;
	if (!v) {
		free(off);
		return BPH_ERR_NOMEM;
	}
	for (size_t a = 0; a < n_arts; a++)
		off[a + 1] += off[a];
	for (size_t k = 0; k < c->n_inc; k++) {
		if (k + BPH_AHEAD < c->n_inc)
			BPH_PREFETCH(&off[c->inc[k + BPH_AHEAD].art]);
		if (k + BPH_AHEAD / 2 < c->n_inc) /* off[] asked for above */
			BPH_PREFETCH(&v[off[c->inc[k + BPH_AHEAD / 2].art]]);
		if (k == 0 || c->inc[k].host != c->inc[k - 1].host ||
		    c->inc[k].art != c->inc[k - 1].art)
			v[off[c->inc[k].art]++] = (struct art_row){
			    c->inc[k].art, c->inc[k].host, c->inc[k].port};
	}
	free(off);
	r->by_art = v;
	r->n_by_art = n;
	return 0;
}

/* The by-artifact index, then (when hi > lo) the statistics of
 * artifacts [lo, hi): a second thread's share of stats_and_index(). */
struct by_art_job {
	struct run *r;
	const uint32_t *df;
	size_t lo, hi;
	int rc;
};

static void *by_art_thread(void *arg)
{
	struct by_art_job *j = arg;

	j->rc = index_by_art(j->r, j->r->g->n_arts);
	stats_range(j->r, j->df, j->lo, j->hi, NULL);
	return NULL;
}

/* The artifact statistics and the by-artifact index, over the same
 * incidences (read only), writing different arrays: the index and, for
 * an adopted graph (no strings to copy in order), the last third of the
 * statistics in a second thread, the rest here (at a million hosts the
 * statistics take about three times the index). */
static int stats_and_index(struct run *r, size_t *pos)
{
	struct bph_clustering *c = r->c;
	size_t n = r->g->n_arts, mid = r->own ? n - n / 3 : n;
	uint32_t *df = count_df(c, n);
	struct by_art_job j = {r, df, mid, n, 0};
	pthread_t t;
	bool two;

	c->arts = df ? calloc(n + 1, sizeof(*c->arts)) : NULL;
	bph_advise_huge(c->arts, (n + 1) * sizeof(*c->arts));
	if (!c->arts) {
		free(df);
		return BPH_ERR_NOMEM;
	}
	c->n_total = r->stats ? r->stats->n_total : c->n_hosts;
	two = !pthread_create(&t, NULL, by_art_thread, &j);
	stats_range(r, df, 0, two ? mid : n, pos);
	if (two)
		pthread_join(t, NULL);
	else
		j.rc = index_by_art(r, n);
	c->n_arts = n;
	free(df);
	return j.rc;
}

int bph_cl_build(struct run *r)
{
	size_t pos = 0;
	int rc;

	if (r->own) /* not looked up again: free before the copies */
		bph_graph_drop_index(r->own);
	if (!(rc = copy_hosts(r, &pos)) && !(rc = order_arts(r)) &&
	    !(rc = copy_incidences(r)) && r->own)
		bph_graph_drop_incidences(r->own);
	if (!rc && !(rc = stats_and_index(r, &pos)) && r->own)
		bph_graph_drop_arrays(r->own);
	return rc;
}
