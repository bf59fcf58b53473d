#include "cluster/cluster.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "cluster/unionfind.h"
#include "fingerprints/err.h"

const struct bph_kind_info bph_kinds[] = {
    {"ssh_hostkey", BPH_FAM_HOSTKEY, BPH_STRONG},
    {"cert_sha256", BPH_FAM_X509, BPH_STRONG},
    {"spki_sha256", BPH_FAM_X509, BPH_STRONG},
    {"favicon", BPH_FAM_FAVICON, BPH_MEDIUM},
    {"body_sha256", BPH_FAM_BODY, BPH_MEDIUM},
    {"title", BPH_FAM_TITLE, BPH_MEDIUM},
    {"jarm", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"ja3s", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"hassh", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"server", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"header_hash", BPH_FAM_SOFTWARE, BPH_WEAK},
    {"tcp_sig", BPH_FAM_TCP, BPH_WEAK},
    /* derived from the address by the neighbour rule, never stored */
    {"netblock", BPH_FAM_NETBLOCK, BPH_WEAK},
    {NULL, 0, 0},
};

const struct bph_kind_info *bph_kind_lookup(const char *kind)
{
	for (const struct bph_kind_info *k = bph_kinds; k->kind; k++)
		if (!strcmp(k->kind, kind))
			return k;
	return NULL;
}

const char *bph_rule_name(enum bph_rule r)
{
	static const char *const names[BPH_RULE_COUNT] = {
	    "strong", "score", "concentrated", "neighbour"};
	return (unsigned)r < BPH_RULE_COUNT ? names[r] : "?";
}

const char *bph_link_label(const struct bph_clustering *c,
			   const struct bph_link *l,
			   char buf[BPH_LINK_LABEL_MAX])
{
	if (l->rule == BPH_RULE_STRONG)
		snprintf(buf, BPH_LINK_LABEL_MAX, "strong:%s", l->strong_kind);
	else if (l->rule == BPH_RULE_SCORE)
		snprintf(buf, BPH_LINK_LABEL_MAX, "score>=%.2f", c->threshold);
	else
		snprintf(buf, BPH_LINK_LABEL_MAX, "%s", bph_rule_name(l->rule));
	return buf;
}

const char *bph_family_name(enum bph_family f)
{
	static const char *const names[BPH_FAM_COUNT] = {
	    "hostkey", "x509",	   "favicon", "body",
	    "title",   "software", "tcp",     "netblock",
	};
	return (unsigned)f < BPH_FAM_COUNT ? names[f] : "?";
}

void bph_cluster_opts_default(struct bph_cluster_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->threshold = 3.0;
	o->max_share[BPH_WEAK] = 100;
	o->max_share[BPH_MEDIUM] = 20;
	o->max_share[BPH_STRONG] = 50;
	o->strength[BPH_WEAK] = 1.0;
	o->strength[BPH_MEDIUM] = 2.0;
	o->strength[BPH_STRONG] = 3.0;
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		o->family_on[f] = true;
	o->use_default_common = true;
	o->majority = 0.6;
	o->max_concentrated = 1000;
}

int bph_cluster_opts_load_common(struct bph_cluster_opts *o, const char *path,
				 char *err, size_t errlen)
{
	struct bph_common *c = NULL;
	int rc = bph_common_load(path, &c, err, errlen);

	if (rc)
		return rc;
	/* A user's file adds to the shipped list rather than replacing it,
	 * unless the shipped list is off (use_default_common false). */
	if (!o->common && o->use_default_common)
		rc = bph_common_load(bph_common_default_path(), &o->common, err,
				     errlen);
	if (rc == 0 && o->common)
		rc = bph_common_merge(o->common, c);
	else if (rc == 0)
		o->common = c;
	if (rc)
		bph_common_free(c);
	return rc;
}

void bph_cluster_opts_clear(struct bph_cluster_opts *o)
{
	if (!o)
		return;
	bph_common_free(o->common);
	o->common = NULL;
}

/* ---- building ---- */

static int ipcmp(const char *a, const char *b)
{
	struct in_addr x, y;

	if (inet_pton(AF_INET, a, &x) == 1 && inet_pton(AF_INET, b, &y) == 1) {
		uint32_t u = ntohl(x.s_addr), v = ntohl(y.s_addr);
		return u < v ? -1 : u > v;
	}
	return strcmp(a, b);
}

/* A host and its sort key: the IPv4 address, or 2^32 + index when any
 * host is not IPv4 (then the whole table is sorted with ipcmp). */
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
	return ipcmp(((const struct host_key *)x)->name,
		     ((const struct host_key *)y)->name);
}

/* Sorts order[] (one entry per graph host) into address order. */
static void sort_hosts(const struct bph_graph *g, struct host_key *order)
{
	bool all_v4 = true;

	for (size_t i = 0; i < g->n_hosts; i++) {
		struct in_addr a;
		order[i].ix = (uint32_t)i;
		order[i].name = g->hosts[i];
		if (inet_pton(AF_INET, g->hosts[i], &a) == 1)
			order[i].key = ntohl(a.s_addr);
		else
			all_v4 = false;
	}
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

	c->hosts = calloc(g->n_hosts + 1, sizeof(char *));
	r->host_map = calloc(g->n_hosts + 1, sizeof(uint32_t));
	c->strings = malloc(strings_size(g));
	if (!order || !c->hosts || !r->host_map || !c->strings) {
		free(order);
		return BPH_ERR_NOMEM;
	}
	sort_hosts(g, order);
	for (size_t i = 0; i < g->n_hosts; i++) {
		r->host_map[order[i].ix] = (uint32_t)i;
		c->hosts[i] = put_string(c, pos, order[i].name);
		c->n_hosts++;
	}
	free(order);
	return 0;
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

/* Remapped incidences sorted by host (counting sort), then by art and
 * port within a host, with per-host offsets. */
static int copy_incidences(struct run *r)
{
	struct bph_clustering *c = r->c;
	size_t *cur = calloc(c->n_hosts + 1, sizeof(size_t));

	c->n_inc = r->g->n_inc;
	c->inc = malloc((c->n_inc + 1) * sizeof(*c->inc));
	c->inc_off = calloc(c->n_hosts + 1, sizeof(size_t));
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

static const char *zero_reason(const struct run *r, size_t a, uint32_t df,
			       double *w)
{
	const struct bph_kind_info *k = r->c->arts[a].info;
	size_t n = r->c->n_hosts;

	*w = 0;
	if (!k)
		return "kind not used for linking";
	if (!r->o->family_on[k->family])
		return "family disabled";
	if (bph_common_find(r->common, r->g->kinds[a], r->g->values[a]))
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

static int artifact_stats(struct run *r, size_t *pos)
{
	struct bph_clustering *c = r->c;
	const struct bph_incidence *in = c->inc;

	c->arts = calloc(r->g->n_arts + 1, sizeof(*c->arts));
	if (!c->arts)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < c->n_inc; i++) /* distinct (host, art) */
		if (i == 0 || in[i].host != in[i - 1].host ||
		    in[i].art != in[i - 1].art)
			c->arts[in[i].art].df++;
	for (size_t a = 0; a < r->g->n_arts; a++) {
		struct bph_art_stat *s = &c->arts[a];
		s->kind = put_string(c, pos, r->g->kinds[a]);
		s->value = put_string(c, pos, r->g->values[a]);
		c->n_arts++;
		s->info = bph_kind_lookup(s->kind);
		s->why_zero = zero_reason(r, a, s->df, &s->weight);
	}
	return 0;
}

static struct pair *pair_get(struct run *r, uint32_t a, uint32_t b)
{
	uint32_t key[2] = {a, b}, ix = (uint32_t)r->n_pairs;
	int rc = bph_strmap_put(r->pair_ix, key, sizeof(key), &ix, NULL);

	if (rc < 0)
		return NULL;
	if (rc == 0)
		return &r->pairs[ix];
	if (r->n_pairs == r->cap_pairs) {
		size_t cap = r->cap_pairs ? r->cap_pairs * 2 : 64;
		struct pair *p = realloc(r->pairs, cap * sizeof(*p));
		if (!p)
			return NULL;
		r->pairs = p;
		r->cap_pairs = cap;
	}
	struct pair *p = &r->pairs[r->n_pairs++];
	p->a = a;
	p->b = b;
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		p->best[f] = -1;
	return p;
}

/* Offers artifact art (ports pa on a, pb on b) to the pair's family slot. */
static int offer(struct run *r, uint32_t art, uint32_t a, uint16_t pa,
		 uint32_t b, uint16_t pb)
{
	const struct bph_art_stat *s = &r->c->arts[art];
	enum bph_family f = s->info->family;
	struct pair *p = pair_get(r, a, b);

	if (!p)
		return BPH_ERR_NOMEM;
	if (p->best[f] < 0 || r->c->arts[p->best[f]].weight < s->weight) {
		p->best[f] = (int32_t)art;
		p->pa[f] = pa;
		p->pb[f] = pb;
	}
	return 0;
}

/* r->by_art: one row per (art, host), sorted by art then host (a counting
 * sort by art over the host-sorted incidences). */
static int index_by_art(struct run *r)
{
	struct bph_clustering *c = r->c;
	size_t *off = calloc(c->n_arts + 2, sizeof(size_t)), n = 0;
	struct art_row *v;

	for (size_t k = 0; off && k < c->n_inc; k++)
		if (k == 0 || c->inc[k].host != c->inc[k - 1].host ||
		    c->inc[k].art != c->inc[k - 1].art) {
			off[c->inc[k].art + 1]++;
			n++;
		}
	v = off ? malloc((n + 1) * sizeof(*v)) : NULL;
	if (!v) {
		free(off);
		return BPH_ERR_NOMEM;
	}
	for (size_t a = 0; a < c->n_arts; a++)
		off[a + 1] += off[a];
	for (size_t k = 0; k < c->n_inc; k++)
		if (k == 0 || c->inc[k].host != c->inc[k - 1].host ||
		    c->inc[k].art != c->inc[k - 1].art)
			v[off[c->inc[k].art]++] = (struct art_row){
			    c->inc[k].art, c->inc[k].host, c->inc[k].port};
	free(off);
	r->by_art = v;
	r->n_by_art = n;
	return 0;
}

static const char why_default[] =
    "only on hosts that all share one over-cap key or certificate "
    "(a device or image default)";

bool bph_clustering_host_has(const struct bph_clustering *c, uint32_t h,
			     uint32_t art)
{
	size_t lo = c->inc_off[h], hi = c->inc_off[h + 1];

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->inc[mid].art == art)
			return true;
		if (c->inc[mid].art < art)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Whether every holder rows[0..df) also carries one over-cap strong
 * artifact (the vendor key of a device whose certificate we look at). */
static bool implied_by_default(const struct run *r, const struct art_row *rows,
			       size_t df)
{
	const struct bph_clustering *c = r->c;
	uint32_t h0 = rows[0].host;

	for (size_t i = c->inc_off[h0]; i < c->inc_off[h0 + 1]; i++) {
		const struct bph_art_stat *d = &c->arts[c->inc[i].art];
		size_t k = 1;
		if (c->inc[i].art == rows[0].art || !d->info ||
		    d->info->strength != BPH_STRONG ||
		    d->why_zero != bph_cl_why_cap)
			continue;
		while (k < df &&
		       bph_clustering_host_has(c, rows[k].host, c->inc[i].art))
			k++;
		if (k == df)
			return true;
	}
	return false;
}

/* Zeroes the weight of artifacts explained by a shared default. */
static void suppress_defaults(struct run *r)
{
	for (size_t i = 0, j; i < r->n_by_art; i = j) {
		struct bph_art_stat *s = &r->c->arts[r->by_art[i].art];
		for (j = i;
		     j < r->n_by_art && r->by_art[j].art == r->by_art[i].art;
		     j++)
			;
		if (s->weight > 0 &&
		    implied_by_default(r, &r->by_art[i], j - i)) {
			s->weight = 0;
			s->why_zero = why_default;
		}
	}
}

/* Enumerates host pairs of each weighted artifact (df is capped). */
static int collect_pairs(struct run *r)
{
	struct bph_clustering *c = r->c;
	const struct art_row *v = r->by_art;
	size_t i = 0, n = r->n_by_art;
	int rc = 0;

	if (!(r->pair_ix = bph_strmap_new()))
		return BPH_ERR_NOMEM;
	suppress_defaults(r);
	while (i < n && !rc) {
		size_t j = i;
		while (j < n && v[j].art == v[i].art)
			j++;
		for (size_t x = i; x < j && !rc && c->arts[v[i].art].weight > 0;
		     x++)
			for (size_t y = x + 1; y < j && !rc; y++)
				rc = offer(r, v[i].art, v[x].host, v[x].port,
					   v[y].host, v[y].port);
		i = j;
	}
	return rc;
}

/* Earliest first and latest last sighting of art on hosts a and b. */
void bph_cl_seen_window(const struct bph_clustering *c, uint32_t art,
			uint32_t a, uint32_t b, struct bph_evidence *e)
{
	uint32_t hs[2] = {a, b};

	e->first_seen = INT64_MAX;
	e->last_seen = INT64_MIN;
	for (int k = 0; k < 2; k++) {
		for (size_t i = c->inc_off[hs[k]]; i < c->inc_off[hs[k] + 1];
		     i++) {
			if (c->inc[i].art != art)
				continue;
			if (c->inc[i].first_seen < e->first_seen)
				e->first_seen = c->inc[i].first_seen;
			if (c->inc[i].last_seen > e->last_seen)
				e->last_seen = c->inc[i].last_seen;
		}
	}
}

int bph_cl_cmp_ev_weight(const void *x, const void *y, void *arg)
{
	const struct bph_clustering *c = arg;
	double a = c->arts[((const struct bph_evidence *)x)->art].weight;
	double b = c->arts[((const struct bph_evidence *)y)->art].weight;

	return (a < b) - (a > b);
}

/* Sums the pair's best weight per family; *strong: first strong kind. */
static double pair_score(const struct bph_clustering *c, const struct pair *p,
			 int *fams, int *nonweak,
			 const struct bph_kind_info **strong)
{
	double score = 0;

	*fams = *nonweak = 0;
	*strong = NULL;
	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		if (p->best[f] < 0)
			continue;
		const struct bph_art_stat *s = &c->arts[p->best[f]];
		const struct bph_kind_info *k = s->info;
		score += s->weight;
		(*fams)++;
		*nonweak += k->strength != BPH_WEAK;
		if (k->strength == BPH_STRONG && !*strong)
			*strong = k;
	}
	return score;
}

/* Fills l's evidence from the pair: one entry per family, by weight. */
static void fill_evidence(const struct bph_clustering *c, const struct pair *p,
			  struct bph_link *l)
{
	bool swap = p->a > p->b;

	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		if (p->best[f] < 0)
			continue;
		struct bph_evidence *e = &l->ev[l->n_ev++];
		const struct bph_kind_info *k = c->arts[p->best[f]].info;
		e->art = (uint32_t)p->best[f];
		e->port_a = swap ? p->pb[f] : p->pa[f];
		e->port_b = swap ? p->pa[f] : p->pb[f];
		e->rule = k->strength == BPH_STRONG ? BPH_RULE_STRONG
						    : BPH_RULE_SCORE;
		bph_cl_seen_window(c, e->art, l->a, l->b, e);
	}
	qsort_r(l->ev, l->n_ev, sizeof(*l->ev), bph_cl_cmp_ev_weight,
		(void *)c);
}

/* Decides one pair; appends a link to c when a rule fires. */
static int decide(struct run *r, const struct pair *p)
{
	struct bph_clustering *c = r->c;
	const struct bph_kind_info *strong;
	struct bph_link *l;
	int fams, nonweak;
	double score = pair_score(c, p, &fams, &nonweak, &strong);

	if (!strong && (score < r->o->threshold || fams < 2 || !nonweak))
		return 0;
	l = &c->links[c->n_links];
	l->ev = calloc((size_t)fams, sizeof(*l->ev));
	if (!l->ev)
		return BPH_ERR_NOMEM;
	c->n_links++;
	l->a = p->a < p->b ? p->a : p->b;
	l->b = p->a < p->b ? p->b : p->a;
	l->score = score;
	l->rule = strong ? BPH_RULE_STRONG : BPH_RULE_SCORE;
	l->strong_kind = strong ? strong->kind : NULL;
	fill_evidence(c, p, l);
	return 0;
}

int bph_cl_cmp_link(const void *x, const void *y)
{
	const struct bph_link *a = x, *b = y;

	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return (a->b > b->b) - (a->b < b->b);
}

static int make_links(struct run *r)
{
	struct bph_clustering *c = r->c;
	int rc = 0;

	r->cap_links = r->n_pairs + 1;
	c->links = calloc(r->cap_links, sizeof(*c->links));
	if (!c->links)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < r->n_pairs && !rc; i++)
		rc = decide(r, &r->pairs[i]);
	qsort(c->links, c->n_links, sizeof(*c->links), bph_cl_cmp_link);
	return rc;
}

/* ---- the concentrated rule ---- */

int bph_cl_cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;

	if (a->host != b->host)
		return a->host < b->host ? -1 : 1;
	if (a->root != b->root)
		return a->root < b->root ? -1 : 1;
	return (a->art > b->art) - (a->art < b->art);
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

int bph_cl_push_cand(struct cand **v, size_t *n, size_t *cap, struct cand c)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 256;
		struct cand *p = realloc(*v, ncap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		*v = p;
		*cap = ncap;
	}
	(*v)[(*n)++] = c;
	return 0;
}

/* The root holding most of rows[0..df) (roots in tmp), and its count. */
uint32_t bph_cl_main_root(const struct art_row *rows, size_t df,
			  const uint32_t *root, uint32_t *tmp, size_t *best)
{
	uint32_t r = UINT32_MAX;

	for (size_t i = 0; i < df; i++)
		tmp[i] = root[rows[i].host];
	qsort(tmp, df, sizeof(*tmp), cmp_u32);
	*best = 0;
	for (size_t i = 0, j; i < df; i = j) {
		for (j = i; j < df && tmp[j] == tmp[i]; j++)
			;
		if (j - i > *best) {
			*best = j - i;
			r = tmp[i];
		}
	}
	return r;
}

/* Candidates of one over-cap artifact (rows: its holders, by host). */
static int art_cands(struct run *r, const struct art_row *rows, size_t df,
		     const uint32_t *root, uint32_t *tmp, struct cand **v,
		     size_t *n, size_t *cap)
{
	struct bph_art_stat *s = &r->c->arts[rows[0].art];
	size_t best, rep = 0;
	uint32_t main = bph_cl_main_root(rows, df, root, tmp, &best);
	int rc = 0;

	s->main_share = (float)best / (float)df;
	if (best < 3 || s->main_share < r->o->majority)
		return 0;
	s->concentrated = true;
	s->why_zero = NULL;
	s->weight = r->o->strength[s->info->strength] *
		    log((double)r->c->n_hosts / (double)df);
	while (root[rows[rep].host] != main)
		rep++;
	for (size_t i = 0; i < df && !rc; i++)
		if (root[rows[i].host] != main)
			rc = bph_cl_push_cand(
			    v, n, cap,
			    (struct cand){rows[i].host, main, rows[rep].host,
					  rows[i].art, rows[i].port,
					  rows[rep].port});
	return rc;
}

static bool may_concentrate(const struct run *r, const struct bph_art_stat *s)
{
	return s->info && s->info->strength != BPH_WEAK &&
	       s->why_zero == bph_cl_why_cap &&
	       s->df <= r->o->max_concentrated && r->o->majority <= 1.0;
}

/* Roots of the clusters the links made so far, one per host. */
uint32_t *bph_cl_link_roots(const struct bph_clustering *c)
{
	struct bph_uf uf;
	uint32_t *root = malloc((c->n_hosts + 1) * sizeof(uint32_t));

	if (!root || bph_uf_init(&uf, c->n_hosts)) {
		free(root);
		return NULL;
	}
	for (size_t i = 0; i < c->n_links; i++)
		bph_uf_union(&uf, c->links[i].a, c->links[i].b);
	for (uint32_t h = 0; h < c->n_hosts; h++)
		root[h] = bph_uf_find(&uf, h);
	bph_uf_free(&uf);
	return root;
}

struct bph_link *bph_cl_new_link(struct run *r, size_t n_ev)
{
	struct bph_clustering *c = r->c;
	struct bph_link *l;

	if (c->n_links == r->cap_links) {
		size_t cap = r->cap_links * 2;
		l = realloc(c->links, cap * sizeof(*l));
		if (!l)
			return NULL;
		c->links = l;
		r->cap_links = cap;
	}
	l = &c->links[c->n_links];
	memset(l, 0, sizeof(*l));
	if (!(l->ev = calloc(n_ev, sizeof(*l->ev))))
		return NULL;
	c->n_links++;
	return l;
}

/* One link for the candidates g[0..n) (same host, same cluster), when
 * they cover a strong family or two non-weak families. */
static int attach(struct run *r, const struct cand *g, size_t n)
{
	const struct bph_art_stat *arts = r->c->arts;
	unsigned fams = 0, nf = 0;
	bool strong = false;
	struct bph_link *l;

	for (size_t i = 0; i < n; i++) {
		const struct bph_kind_info *k = arts[g[i].art].info;
		nf += !(fams & 1u << k->family);
		fams |= 1u << k->family;
		strong |= k->strength == BPH_STRONG;
	}
	if (!strong && nf < 2)
		return 0;
	if (!(l = bph_cl_new_link(r, nf)))
		return BPH_ERR_NOMEM;
	l->a = g[0].host < g[0].rep ? g[0].host : g[0].rep;
	l->b = g[0].host < g[0].rep ? g[0].rep : g[0].host;
	l->rule = BPH_RULE_CONCENTRATED;
	fams = 0;
	for (size_t i = 0; i < n; i++) {
		enum bph_family f = arts[g[i].art].info->family;
		if (fams & 1u << f)
			continue;
		fams |= 1u << f;
		struct bph_evidence *e = &l->ev[l->n_ev++];
		bool swap = g[i].host > g[i].rep;
		e->art = g[i].art;
		e->port_a = swap ? g[i].port_rep : g[i].port_h;
		e->port_b = swap ? g[i].port_h : g[i].port_rep;
		e->rule = BPH_RULE_CONCENTRATED;
		bph_cl_seen_window(r->c, e->art, g[i].host, g[i].rep, e);
		l->score += arts[e->art].weight;
	}
	qsort_r(l->ev, l->n_ev, sizeof(*l->ev), bph_cl_cmp_ev_weight, r->c);
	return 0;
}

/* The concentrated rule (cluster.h): attaches stray holders of over-cap
 * artifacts to the cluster that holds most of them. */
static int concentrate(struct run *r)
{
	uint32_t *root = bph_cl_link_roots(r->c);
	size_t most = r->o->max_concentrated < r->c->n_hosts
			  ? r->o->max_concentrated
			  : r->c->n_hosts; /* df <= both */
	uint32_t *tmp = malloc((most + 1) * sizeof(*tmp));
	struct cand *v = NULL;
	size_t n = 0, cap = 0;
	int rc = root && tmp ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0, j; !rc && i < r->n_by_art; i = j) {
		for (j = i;
		     j < r->n_by_art && r->by_art[j].art == r->by_art[i].art;
		     j++)
			;
		if (may_concentrate(r, &r->c->arts[r->by_art[i].art]))
			rc = art_cands(r, &r->by_art[i], j - i, root, tmp, &v,
				       &n, &cap);
	}
	if (!rc && n)
		qsort(v, n, sizeof(*v), bph_cl_cmp_cand);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		for (j = i;
		     j < n && v[j].host == v[i].host && v[j].root == v[i].root;
		     j++)
			;
		rc = attach(r, &v[i], j - i);
	}
	if (!rc)
		qsort(r->c->links, r->c->n_links, sizeof(*r->c->links),
		      bph_cl_cmp_link);
	free(root);
	free(tmp);
	free(v);
	return rc;
}

static int cmp_cluster(const void *x, const void *y)
{
	const struct bph_cluster *a = x, *b = y;

	if (a->n_hosts != b->n_hosts)
		return a->n_hosts < b->n_hosts ? 1 : -1;
	return (a->hosts[0] > b->hosts[0]) - (a->hosts[0] < b->hosts[0]);
}

/* Fills clusters[] from the union-find roots (largest first). */
static int fill_clusters(struct bph_clustering *c, struct bph_uf *uf)
{
	uint32_t *slot = malloc((c->n_hosts + 1) * sizeof(uint32_t));

	c->clusters = calloc(c->n_hosts + 1, sizeof(*c->clusters));
	if (!slot || !c->clusters) {
		free(slot);
		return BPH_ERR_NOMEM;
	}
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		uint32_t root = bph_uf_find(uf, h);
		if (root == h) {
			struct bph_cluster *k = &c->clusters[c->n_clusters];
			slot[h] = (uint32_t)c->n_clusters++;
			k->hosts = malloc(uf->size[h] * sizeof(uint32_t));
			if (!k->hosts) {
				free(slot);
				return BPH_ERR_NOMEM;
			}
		}
	}
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		struct bph_cluster *k = &c->clusters[slot[bph_uf_find(uf, h)]];
		k->hosts[k->n_hosts++] = h;
	}
	free(slot);
	qsort(c->clusters, c->n_clusters, sizeof(*c->clusters), cmp_cluster);
	for (size_t i = 0; i < c->n_clusters; i++) {
		c->clusters[i].id = (uint32_t)i + 1;
		for (size_t j = 0; j < c->clusters[i].n_hosts; j++)
			c->cluster_of[c->clusters[i].hosts[j]] = (uint32_t)i;
	}
	return 0;
}

static int cluster_links(struct bph_clustering *c)
{
	for (size_t i = 0; i < c->n_links; i++) {
		struct bph_cluster *k =
		    &c->clusters[c->cluster_of[c->links[i].a]];
		uint32_t *v = realloc(k->links, (k->n_links + 1) * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		k->links = v;
		k->links[k->n_links++] = (uint32_t)i;
	}
	return 0;
}

static int components(struct bph_clustering *c)
{
	struct bph_uf uf;
	int rc = bph_uf_init(&uf, c->n_hosts);

	if (rc)
		return rc;
	c->cluster_of = calloc(c->n_hosts + 1, sizeof(uint32_t));
	if (!c->cluster_of)
		rc = BPH_ERR_NOMEM;
	for (size_t i = 0; !rc && i < c->n_links; i++)
		bph_uf_union(&uf, c->links[i].a, c->links[i].b);
	if (!rc)
		rc = fill_clusters(c, &uf);
	bph_uf_free(&uf);
	return rc ? rc : cluster_links(c);
}

/* Adjacency in CSR form: for host h, adj[off[h]..off[h+1]) are link ids. */
struct adj {
	size_t *off;
	uint32_t *edge;
};

static int build_adj(const struct bph_clustering *c, struct adj *g)
{
	size_t n = c->n_hosts, *fill;

	g->off = calloc(n + 2, sizeof(size_t));
	g->edge = malloc((2 * c->n_links + 1) * sizeof(uint32_t));
	fill = calloc(n + 1, sizeof(size_t));
	if (!g->off || !g->edge || !fill) {
		free(fill);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < c->n_links; i++) {
		g->off[c->links[i].a + 1]++;
		g->off[c->links[i].b + 1]++;
	}
	for (size_t h = 0; h < n; h++)
		g->off[h + 1] += g->off[h];
	for (size_t i = 0; i < c->n_links; i++) {
		uint32_t ends[2] = {c->links[i].a, c->links[i].b};
		for (int k = 0; k < 2; k++)
			g->edge[g->off[ends[k]] + fill[ends[k]]++] =
			    (uint32_t)i;
	}
	free(fill);
	return 0;
}

/* Iterative Tarjan bridge search from root; disc/low/it per host. */
static void bridges_from(struct bph_clustering *c, const struct adj *g,
			 uint32_t root, uint32_t *disc, uint32_t *low,
			 size_t *it, uint32_t *stack, uint32_t *via,
			 uint32_t *time)
{
	size_t sp = 0;

	stack[sp++] = root;
	via[root] = UINT32_MAX;
	disc[root] = low[root] = ++*time;
	while (sp) {
		uint32_t u = stack[sp - 1];
		if (it[u] < g->off[u + 1]) {
			uint32_t e = g->edge[it[u]++];
			uint32_t w =
			    c->links[e].a == u ? c->links[e].b : c->links[e].a;
			if (e == via[u])
				continue;
			if (disc[w]) {
				if (disc[w] < low[u])
					low[u] = disc[w];
				continue;
			}
			disc[w] = low[w] = ++*time;
			via[w] = e;
			stack[sp++] = w;
			continue;
		}
		sp--;
		if (via[u] == UINT32_MAX)
			continue;
		uint32_t parent = stack[sp - 1];
		if (low[u] < low[parent])
			low[parent] = low[u];
		if (low[u] > disc[parent])
			c->links[via[u]].bridge = true;
	}
}

static int find_bridges(struct bph_clustering *c)
{
	size_t n = c->n_hosts + 1;
	struct adj g = {NULL, NULL};
	uint32_t *disc = calloc(n, 4), *low = calloc(n, 4);
	uint32_t *stack = calloc(n, 4), *via = calloc(n, 4), time = 0;
	size_t *it = calloc(n, sizeof(size_t));
	int rc = disc && low && stack && via && it ? build_adj(c, &g)
						   : BPH_ERR_NOMEM;

	for (uint32_t h = 0; !rc && h < c->n_hosts; h++)
		it[h] = g.off[h];
	for (uint32_t h = 0; !rc && h < c->n_hosts; h++)
		if (!disc[h])
			bridges_from(c, &g, h, disc, low, it, stack, via,
				     &time);
	for (size_t i = 0; !rc && i < c->n_links; i++)
		if (c->links[i].bridge && c->links[i].rule == BPH_RULE_SCORE)
			c->clusters[c->cluster_of[c->links[i].a]].weak_bridge =
			    true;
	free(disc);
	free(low);
	free(stack);
	free(via);
	free(it);
	free(g.off);
	free(g.edge);
	return rc;
}

void bph_clustering_free(struct bph_clustering *c)
{
	if (!c)
		return;
	free(c->strings);
	for (size_t i = 0; i < c->n_links; i++)
		free(c->links[i].ev);
	for (size_t i = 0; c->clusters && i < c->n_clusters; i++) {
		free(c->clusters[i].hosts);
		free(c->clusters[i].links);
	}
	free(c->hosts);
	free(c->arts);
	free(c->inc);
	free(c->inc_off);
	free(c->links);
	free(c->clusters);
	free(c->cluster_of);
	free(c->community_of);
	free(c->derived_strings);
	free(c);
}

static int load_common(const struct bph_cluster_opts *o,
		       struct bph_common **owned)
{
	char err[256];

	if (o->common || !o->use_default_common)
		return 0;
	return bph_common_load(bph_common_default_path(), owned, err,
			       sizeof(err));
}

int bph_cluster_run(const struct bph_graph *g,
		    const struct bph_cluster_opts *opts,
		    struct bph_clustering **out)
{
	struct bph_cluster_opts defaults;
	struct bph_common *owned = NULL;
	struct run r = {0};
	size_t pos = 0;
	int rc;

	*out = NULL;
	if (!opts) {
		bph_cluster_opts_default(&defaults);
		opts = &defaults;
	}
	r.g = g;
	r.o = opts;
	r.c = calloc(1, sizeof(*r.c));
	rc = r.c ? load_common(opts, &owned) : BPH_ERR_NOMEM;
	r.common = opts->common ? opts->common : owned;
	if (!rc)
		r.c->threshold = opts->threshold;
	if (!rc) {
		memcpy(r.c->max_share, opts->max_share, sizeof(r.c->max_share));
		r.c->majority = opts->majority;
	}
	if (!rc && !(rc = copy_hosts(&r, &pos)) &&
	    !(rc = copy_incidences(&r)) && !(rc = artifact_stats(&r, &pos)) &&
	    !(rc = index_by_art(&r)) && !(rc = collect_pairs(&r)) &&
	    !(rc = make_links(&r)) && !(rc = concentrate(&r)) &&
	    !(rc = bph_cl_neighbour_rule(&r)) && !(rc = components(r.c)))
		rc = find_bridges(r.c);
	bph_common_free(owned);
	free(r.host_map);
	free(r.pairs);
	free(r.by_art);
	bph_strmap_free(r.pair_ix);
	if (rc)
		bph_clustering_free(r.c);
	else
		*out = r.c;
	return rc;
}

long bph_clustering_host(const struct bph_clustering *c, const char *ip)
{
	size_t lo = 0, hi = c->n_hosts;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = ipcmp(c->hosts[mid], ip);
		if (d == 0)
			return (long)mid;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
