/*
 * rule_neighbour.c - the neighbour rule (docs/clustering.md "The neighbour
 * rule"), and its explanation: a host the other rules left alone joins the
 * cluster that dominates its /24 when its software build or its TCP stack
 * is, in the whole store, almost only seen on that cluster.
 *
 * Why: a provider re-installs a machine (fresh SSH key, default page) and
 * it shares nothing strong with its siblings any more, but it still sits
 * in the provider's block and still runs the provider's custom build or
 * kernel tuning. An address block alone is a weak prior (blocks are
 * sub-allocated to unrelated customers), and a build alone is software,
 * not an operator; together they point at one operator only when both
 * are dominated by one cluster:
 *   - the /24: the cluster holds most of its hosts in the store, at least
 *     3; its prior odds are the cluster's hosts there against the others;
 *   - a software or tcp_sig artifact: at least 3 holders in the cluster
 *     and at most max(1, 10%) of that number outside it; its likelihood
 *     ratio is how much likelier a host of the cluster carries it than
 *     one outside. A reseller on its upstream's default image shares the
 *     build with its unrelated neighbours, so the build is not exclusive
 *     and nobody is attached.
 * The prior odds times the best build's ratio must reach 99 (NB_ODDS).
 * Only hosts alone after the other rules are attached, so weak evidence
 * never merges two clusters. Each attachment is one link (rule
 * "neighbour") from the host to a cluster member holding the build, with
 * the /24 as a derived "netblock" artifact in its evidence; it is a leaf
 * (a bridge) that does not flag its cluster.
 */
#include <arpa/inet.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "fingerprints/text.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

#define NB_EXCLUSIVE_MIN 3    /* holders in the cluster */
#define NB_OUTSIDE_SHARE 10   /* at most 1 in 10 of those outside it */
#define NB_ODDS		 99.0 /* posterior odds 99:1, a 0.99 probability */

/* A host's /24: the run of address-sorted hosts with the same first three
 * IPv4 octets, and which cluster dominates it (computed on first use). */
struct nb_runs {
	uint32_t *run_of;	 /* host -> run, UINT32_MAX: not IPv4 */
	uint32_t *lo, *hi;	 /* run -> host range [lo, hi) */
	uint32_t *main, *n_main; /* run -> dominant root and its hosts */
	int32_t *art;		 /* run -> derived netblock artifact or -1 */
	size_t n, longest;	 /* runs, hosts in the longest run */
};

static int64_t net24(const char *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return -1;
	return (int64_t)(ntohl(a.s_addr) >> 8);
}

static void runs_free(struct nb_runs *v)
{
	free(v->run_of);
	free(v->lo);
	free(v->hi);
	free(v->main);
	free(v->n_main);
	free(v->art);
}

/* Hosts are sorted by address, so one /24 is one contiguous run. */
static int runs_init(const struct bph_clustering *c, struct nb_runs *v)
{
	size_t n = c->n_hosts + 1;
	int64_t prev = -2;

	memset(v, 0, sizeof(*v));
	v->run_of = malloc(n * sizeof(uint32_t));
	v->lo = malloc(n * sizeof(uint32_t));
	v->hi = malloc(n * sizeof(uint32_t));
	v->main = malloc(n * sizeof(uint32_t));
	v->n_main = malloc(n * sizeof(uint32_t));
	v->art = malloc(n * sizeof(int32_t));
	bph_advise_huge(v->run_of, n * sizeof(uint32_t));
	bph_advise_huge(v->lo, n * sizeof(uint32_t));
	bph_advise_huge(v->hi, n * sizeof(uint32_t));
	bph_advise_huge(v->main, n * sizeof(uint32_t));
	bph_advise_huge(v->n_main, n * sizeof(uint32_t));
	bph_advise_huge(v->art, n * sizeof(int32_t));
	if (!v->run_of || !v->lo || !v->hi || !v->main || !v->n_main || !v->art)
		return BPH_ERR_NOMEM;
	for (uint32_t h = 0; h < c->n_hosts; h++) {
		int64_t k = net24(c->hosts[h]);
		if (k < 0) {
			v->run_of[h] = UINT32_MAX;
			prev = -2;
			continue;
		}
		if (k != prev) {
			v->lo[v->n] = h;
			v->main[v->n] = UINT32_MAX; /* not computed yet */
			v->art[v->n] = -1;
			v->n++;
			prev = k;
		}
		v->run_of[h] = (uint32_t)(v->n - 1);
		v->hi[v->n - 1] = h + 1;
		if (v->hi[v->n - 1] - v->lo[v->n - 1] > v->longest)
			v->longest = v->hi[v->n - 1] - v->lo[v->n - 1];
	}
	return 0;
}

/* The root holding most hosts of run k (tmp: room for the longest run;
 * 256 for distinct addresses, but the graph takes any strings). */
static void run_main(struct nb_runs *v, size_t k, const uint32_t *root,
		     uint32_t *tmp)
{
	size_t n = v->hi[k] - v->lo[k], best = 0;

	for (size_t i = 0; i < n; i++)
		tmp[i] = root[v->lo[k] + i];
	qsort(tmp, n, sizeof(*tmp), bph_cl_cmp_u32);
	for (size_t i = 0, j; i < n; i = j) {
		for (j = i; j < n && tmp[j] == tmp[i]; j++)
			;
		if (j - i > best) {
			best = j - i;
			v->main[k] = tmp[i];
		}
	}
	v->n_main[k] = (uint32_t)best;
}

/* Prior odds that a host of a /24 with all hosts, in of them the
 * cluster's, is the cluster's (the host itself among the others); 0 when
 * the cluster has fewer than 3 there. */
static double prior_odds(uint32_t in, uint32_t all)
{
	return in >= NB_EXCLUSIVE_MIN && all > in
		   ? (double)in / (double)(all - in)
		   : 0;
}

/* The prior odds of h's /24 for cluster root. */
static double block_odds(struct nb_runs *v, uint32_t h, uint32_t root,
			 const uint32_t *roots, uint32_t *tmp)
{
	uint32_t k = v->run_of[h];

	if (k == UINT32_MAX)
		return 0;
	if (v->main[k] == UINT32_MAX)
		run_main(v, k, roots, tmp);
	if (v->main[k] != root)
		return 0;
	return prior_odds(v->n_main[k], v->hi[k] - v->lo[k]);
}

/* Likelihood ratio of a build held by in_c of a cluster's size hosts and
 * df hosts in all, among n_hosts: how much likelier a host of the cluster
 * carries it than a host outside it (add-one smoothed). */
static double likelihood_ratio(uint32_t in_c, uint32_t df, uint32_t size,
			       size_t n_hosts)
{
	if (n_hosts <= size || !size)
		return 0;
	return ((double)in_c / size) /
	       ((double)(df - in_c + 1) / (double)(n_hosts - size));
}

static bool exclusive(size_t in_cluster, size_t df)
{
	size_t outside = df - in_cluster,
	       allowed = in_cluster / NB_OUTSIDE_SHARE;

	return in_cluster >= NB_EXCLUSIVE_MIN &&
	       outside <= (allowed > 1 ? allowed : 1);
}

static bool build_kind(const struct run *r, const struct bph_art_stat *s)
{
	return s->info &&
	       (s->info->family == BPH_FAM_SOFTWARE ||
		s->info->family == BPH_FAM_TCP) &&
	       r->o->family_on[s->info->family] &&
	       (!s->why_zero || s->why_zero == bph_cl_why_cap) &&
	       s->df > NB_EXCLUSIVE_MIN && s->df <= r->o->max_concentrated;
}

/* Candidates: alone hosts holding a build exclusive to one cluster;
 * held[art]: that build's holders in the cluster. */
static int collect(struct run *r, const uint32_t *root, const uint32_t *size,
		   uint32_t *held, struct cand **v, size_t *n)
{
	struct bph_clustering *c = r->c;
	uint32_t *tmp = malloc((r->o->max_concentrated + 1) * sizeof(*tmp));
	size_t cap = 0;
	int rc = tmp ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0, j; !rc && i < r->n_by_art; i = j) {
		const struct art_row *rows = &r->by_art[i];
		struct bph_art_stat *s = &c->arts[rows->art];
		size_t best, rep = 0;
		for (j = i; j < r->n_by_art && r->by_art[j].art == rows->art;
		     j++)
			;
		if (!build_kind(r, s))
			continue;
		uint32_t main = bph_cl_main_root(rows, j - i, root, tmp, &best);
		if (!exclusive(best, j - i))
			continue;
		s->main_share = (float)best / (float)(j - i); /* for display */
		held[rows->art] = (uint32_t)best;
		while (root[rows[rep].host] != main)
			rep++;
		for (size_t k = 0; k < j - i && !rc; k++)
			if (size[root[rows[k].host]] == 1)
				rc = bph_cl_push_cand(
				    v, n, &cap,
				    (struct cand){rows[k].host, main,
						  rows[rep].host, rows[k].art,
						  rows[k].port,
						  rows[rep].port});
	}
	free(tmp);
	return rc;
}

/* The derived netblock artifact of run k, made on first use. */
static uint32_t block_art(struct run *r, struct nb_runs *v, size_t k,
			  char **strings)
{
	struct bph_clustering *c = r->c;
	struct bph_art_stat *s;
	uint32_t df = v->hi[k] - v->lo[k];
	const char *ip = c->hosts[v->lo[k]];
	size_t dots = 0, len = 0;

	if (v->art[k] >= 0)
		return (uint32_t)v->art[k];
	while (ip[len] && dots < 3)
		dots += ip[len++] == '.';
	s = &c->arts[c->n_arts];
	memset(s, 0, sizeof(*s));
	s->kind = *strings;
	*strings += sprintf(*strings, "netblock") + 1;
	s->value = *strings;
	*strings += sprintf(*strings, "%.*s0/24", (int)len, ip) + 1;
	s->info = bph_kind_lookup("netblock");
	s->df = df;
	s->derived = true;
	s->main_share = (float)v->n_main[k] / (float)df;
	if (df < c->n_total)
		s->weight = r->o->strength[BPH_WEAK] *
			    log((double)c->n_total / (double)df);
	v->art[k] = (int32_t)c->n_arts;
	return (uint32_t)c->n_arts++;
}

/* The weight an exclusive build shows on its evidence (over-cap builds
 * had none, as with the concentrated rule). Its why_zero stays: the
 * score rule never counted it, and explanations say so whatever link
 * elsewhere in the store weighed it. */
static void weigh_build(const struct run *r, struct bph_art_stat *s)
{
	if (s->weight > 0)
		return;
	s->weight = r->o->strength[BPH_WEAK] *
		    log((double)r->c->n_total / (double)s->df);
}

/* Both hosts' whole observation window (a netblock is never "seen"). */
static void host_window(const struct bph_clustering *c, uint32_t a, uint32_t b,
			struct bph_evidence *e)
{
	uint32_t hs[2] = {a, b};

	e->first_seen = INT64_MAX;
	e->last_seen = INT64_MIN;
	for (int k = 0; k < 2; k++)
		for (size_t i = c->inc_off[hs[k]]; i < c->inc_off[hs[k] + 1];
		     i++) {
			if (c->inc[i].first_seen < e->first_seen)
				e->first_seen = c->inc[i].first_seen;
			if (c->inc[i].last_seen > e->last_seen)
				e->last_seen = c->inc[i].last_seen;
		}
	if (e->first_seen > e->last_seen)
		e->first_seen = e->last_seen = 0;
}

static void put_evidence(struct bph_link *l, const struct bph_clustering *c,
			 const struct cand *g)
{
	struct bph_evidence *e = &l->ev[l->n_ev++];
	bool swap = g->host > g->rep;

	e->art = g->art;
	e->port_a = swap ? g->port_rep : g->port_h;
	e->port_b = swap ? g->port_h : g->port_rep;
	e->rule = BPH_RULE_NEIGHBOUR;
	bph_cl_seen_window(c, e->art, g->host, g->rep, e);
}

/* One link for host g[0].host into cluster g[0].root: the block, then the
 * heaviest build of each family it shares with the cluster. */
static int attach(struct run *r, const struct cand *g, size_t n, uint32_t block)
{
	struct bph_clustering *c = r->c;
	const struct cand *best[BPH_FAM_COUNT] = {NULL};
	struct bph_link *l;
	size_t nf = 1;

	for (size_t i = 0; i < n; i++) {
		struct bph_art_stat *s = &c->arts[g[i].art];
		enum bph_family f = s->info->family;
		weigh_build(r, s);
		if (!best[f])
			nf++;
		if (!best[f] || c->arts[best[f]->art].weight < s->weight)
			best[f] = &g[i];
	}
	if (!(l = bph_cl_new_link(r, nf)))
		return BPH_ERR_NOMEM;
	l->a = g[0].host < g[0].rep ? g[0].host : g[0].rep;
	l->b = g[0].host < g[0].rep ? g[0].rep : g[0].host;
	l->rule = BPH_RULE_NEIGHBOUR;
	for (int f = 0; f < BPH_FAM_COUNT; f++)
		if (best[f])
			put_evidence(l, c, best[f]);
	struct bph_evidence *e = &l->ev[l->n_ev++];
	e->art = block;
	e->rule = BPH_RULE_NEIGHBOUR;
	host_window(c, g[0].host, g[0].rep, e);
	for (size_t i = 0; i < l->n_ev; i++)
		l->score += c->arts[l->ev[i].art].weight;
	qsort_r(l->ev, l->n_ev, sizeof(*l->ev), bph_cl_cmp_ev_weight, c);
	return 0;
}

/* Room for one derived artifact per candidate group: arts[] and the
 * strings ("netblock" + "255.255.255.0/24", NUL each: 26 bytes). */
static int reserve_derived(struct run *r, size_t groups, char **strings)
{
	struct bph_clustering *c = r->c;
	struct bph_art_stat *a =
	    realloc(c->arts, (c->n_arts + groups + 1) * sizeof(*a));

	if (!a)
		return BPH_ERR_NOMEM;
	c->arts = a;
	c->derived_strings = malloc(groups * 32 + 1);
	*strings = c->derived_strings;
	return c->derived_strings ? 0 : BPH_ERR_NOMEM;
}

static size_t count_groups(const struct cand *v, size_t n)
{
	size_t groups = 0;

	for (size_t i = 0; i < n; i++)
		groups += i == 0 || v[i].host != v[i - 1].host ||
			  v[i].root != v[i - 1].root;
	return groups;
}

/* Posterior odds that host g[0].host is cluster g[0].root's: the block's
 * prior odds times the best build's likelihood ratio (builds are not
 * independent evidence of each other, so only the best one counts). */
static double posterior_odds(const struct run *r, struct nb_runs *v,
			     const struct cand *g, size_t n,
			     const uint32_t *root, const uint32_t *size,
			     const uint32_t *held, uint32_t *tmp)
{
	double prior = block_odds(v, g[0].host, g[0].root, root, tmp), lr = 0;

	for (size_t i = 0; prior > 0 && i < n; i++) {
		double x =
		    likelihood_ratio(held[g[i].art], r->c->arts[g[i].art].df,
				     size[g[i].root], r->c->n_total);
		if (x > lr)
			lr = x;
	}
	return prior * lr;
}

static int attach_all(struct run *r, const uint32_t *root, const uint32_t *size,
		      const uint32_t *held, struct cand *v, size_t n)
{
	struct nb_runs runs;
	uint32_t *tmp = NULL;
	char *strings = NULL;
	int rc = runs_init(r->c, &runs);

	if (!rc && !(tmp = malloc((runs.longest + 1) * sizeof(*tmp))))
		rc = BPH_ERR_NOMEM;

	qsort(v, n, sizeof(*v), bph_cl_cmp_cand);
	if (!rc)
		rc = reserve_derived(r, count_groups(v, n), &strings);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		for (j = i;
		     j < n && v[j].host == v[i].host && v[j].root == v[i].root;
		     j++)
			;
		if (posterior_odds(r, &runs, &v[i], j - i, root, size, held,
				   tmp) >= NB_ODDS)
			rc = attach(r, &v[i], j - i,
				    block_art(r, &runs, runs.run_of[v[i].host],
					      &strings));
	}
	runs_free(&runs);
	free(tmp);
	return rc;
}

int bph_cl_neighbour_rule(struct run *r)
{
	struct bph_clustering *c = r->c;
	uint32_t *root = NULL, *size = NULL, *held = NULL;
	struct cand *v = NULL;
	size_t n = 0;
	int rc = 0;

	if (r->o->family_on[BPH_FAM_NETBLOCK] && r->o->majority <= 1.0) {
		root = bph_cl_link_roots(c);
		size = calloc(c->n_hosts + 1, sizeof(*size));
		held = calloc(c->n_arts + 1, sizeof(*held));
		bph_advise_huge(size, (c->n_hosts + 1) * sizeof(*size));
		bph_advise_huge(held, (c->n_arts + 1) * sizeof(*held));
		rc = root && size && held ? 0 : BPH_ERR_NOMEM;
	}
	for (uint32_t h = 0; !rc && size && h < c->n_hosts; h++)
		size[root[h]]++;
	if (!rc && size)
		rc = collect(r, root, size, held, &v, &n);
	if (!rc && n)
		rc = attach_all(r, root, size, held, v, n);
	if (!rc && n)
		qsort(c->links, c->n_links, sizeof(*c->links), bph_cl_cmp_link);
	free(root);
	free(size);
	free(held);
	free(v);
	free(r->by_art); /* not needed past the rules: free before components */
	r->by_art = NULL;
	r->n_by_art = 0;
	return rc;
}

/* ---- explanations ---- */

/* Hosts of h's /24 in the store, and how many of them are in cluster k. */
static void block_count(const struct bph_clustering *c, uint32_t h, uint32_t k,
			uint32_t *all, uint32_t *in_k)
{
	int64_t b = net24(c->hosts[h]);
	uint32_t lo = h, hi = h + 1;

	*all = *in_k = 0;
	if (b < 0)
		return;
	while (lo > 0 && net24(c->hosts[lo - 1]) == b)
		lo--;
	while (hi < c->n_hosts && net24(c->hosts[hi]) == b)
		hi++;
	*all = hi - lo;
	for (uint32_t i = lo; i < hi; i++)
		*in_k += c->cluster_of[i] == k;
}

/* Holders of art, and how many of them are in cluster k. */
static void holders(const struct bph_clustering *c, uint32_t art, uint32_t k,
		    uint32_t *in_k)
{
	const struct bph_cluster *cl = &c->clusters[k];

	*in_k = 0;
	for (size_t m = 0; m < cl->n_hosts; m++)
		*in_k += bph_clustering_host_has(c, cl->hosts[m], art);
}

static void explain_build(FILE *out, const struct bph_clustering *c,
			  uint32_t art, uint32_t k, double prior)
{
	const struct bph_art_stat *s = &c->arts[art];
	uint32_t in_k, size = (uint32_t)c->clusters[k].n_hosts;

	holders(c, art, k, &in_k);
	fprintf(out, "    %s ", s->kind);
	bph_print_text(out, s->value);
	fprintf(out,
		": on %u of the cluster's %u hosts and %u outside it (this "
		"host included)",
		in_k, size, s->df - in_k);
	if (!exclusive(in_k, s->df)) {
		fputs("; not the cluster's own (needs >= 3 in it and at most "
		      "max(1, 10%) of that outside)\n",
		      out);
		return;
	}
	double lr = likelihood_ratio(in_k, s->df, size, c->n_total);
	fprintf(out,
		"; likelihood ratio %.1f, posterior odds %.1f (needs %.0f)\n",
		lr, prior * lr, NB_ODDS);
}

void bph_cl_neighbour_explain(const struct bph_clustering *c, uint32_t k,
			      uint32_t h, FILE *out)
{
	uint32_t all, in_k;
	size_t builds = 0;

	block_count(c, h, k, &all, &in_k);
	fputs("  neighbour rule (a lone host joins the cluster that dominates "
	      "its /24 when it runs a build that is the cluster's own):\n",
	      out);
	if (c->clusters[c->cluster_of[h]].n_hosts > 1) {
		fputs("    not tried: the host is linked to other hosts "
		      "(weak evidence never merges clusters)\n",
		      out);
		return;
	}
	if (!all) {
		fputs("    not tried: not an IPv4 address\n", out);
		return;
	}
	double prior = prior_odds(in_k, all);
	fprintf(out,
		"    its /24: %u of its %u hosts in the cluster, prior odds "
		"%.2f%s\n",
		in_k, all, prior,
		in_k < NB_EXCLUSIVE_MIN ? " (needs >= 3 of them)" : "");
	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		const struct bph_art_stat *s = &c->arts[c->inc[i].art];
		if ((i > c->inc_off[h] && c->inc[i - 1].art == c->inc[i].art) ||
		    !s->info ||
		    (s->info->family != BPH_FAM_SOFTWARE &&
		     s->info->family != BPH_FAM_TCP))
			continue;
		explain_build(out, c, c->inc[i].art, k, prior);
		builds++;
	}
	if (!builds)
		fputs("    no software build or TCP signature observed\n", out);
}
