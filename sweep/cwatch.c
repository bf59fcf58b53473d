/*
 * cwatch.c - tracked provider clusters: a run's members of each cluster
 * watch, from a clustering of the run's own hosts, and the events when
 * membership changes between two runs (rules in sweep/sweep.h).
 */
#include "sweep/cwatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/coverage.h"

int bph_state_add_member(struct bph_run_state *s, const char *cluster,
			 uint32_t ip)
{
	if (s->n_members == s->cap_members) {
		size_t cap = s->cap_members ? s->cap_members * 2 : 64;
		const char **c = realloc(s->m_cluster, cap * sizeof(*c));
		if (c)
			s->m_cluster = c;
		uint32_t *i = c ? realloc(s->m_ip, cap * sizeof(*i)) : NULL;
		if (i)
			s->m_ip = i;
		char **e = i ? realloc(s->m_evidence, cap * sizeof(*e)) : NULL;
		if (!e)
			return BPH_ERR_NOMEM;
		s->m_evidence = e;
		s->cap_members = cap;
	}
	s->m_cluster[s->n_members] = cluster;
	s->m_evidence[s->n_members] = NULL;
	s->m_ip[s->n_members++] = ip;
	return 0;
}

/* Whether host h carries the artifact (kind, value). */
static bool carries(const struct bph_clustering *c, size_t h, const char *kind,
		    const char *value)
{
	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		const struct bph_art_stat *a = &c->arts[c->inc[i].art];
		if (!strcmp(a->kind, kind) && !strcmp(a->value, value))
			return true;
	}
	return false;
}

static bool anchors_host(const struct bph_cluster_watch_cfg *w,
			 const struct bph_clustering *c, size_t h)
{
	for (size_t i = 0; i < w->hosts.n; i++)
		if (!strcmp(w->hosts.v[i], c->hosts[h]))
			return true;
	for (size_t i = 0; i < w->art_kinds.n; i++)
		if (carries(c, h, w->art_kinds.v[i], w->art_values.v[i]))
			return true;
	return false;
}

static int parse_host(const char *s, uint32_t *ip)
{
	return bph_ipv4_parse(s, strlen(s), ip);
}

/* The members of one watch: every host of a cluster holding an anchor. */
static int members_of(const struct bph_cluster_watch_cfg *w,
		      const struct bph_clustering *c, bool *tracked,
		      struct bph_run_state *out)
{
	uint32_t ip;
	int rc = 0;

	memset(tracked, 0, c->n_clusters * sizeof(*tracked));
	for (size_t h = 0; h < c->n_hosts; h++)
		if (anchors_host(w, c, h))
			tracked[c->cluster_of[h]] = true;
	for (size_t h = 0; !rc && h < c->n_hosts; h++)
		if (tracked[c->cluster_of[h]] && !parse_host(c->hosts[h], &ip))
			rc = bph_state_add_member(out, w->name, ip);
	return rc;
}

static int evidence_of(const struct bph_clustering *c,
		       struct bph_run_state *out, size_t first);

int bph_cwatch_members(const struct bph_sweep_config *cfg,
		       const struct bph_clustering *c,
		       struct bph_run_state *out)
{
	bool *tracked = calloc(c->n_clusters + 1, sizeof(*tracked));
	int rc = tracked ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < cfg->n_clusters; i++) {
		size_t first = out->n_members;
		rc = members_of(&cfg->clusters[i], c, tracked, out);
		if (!rc)
			rc = evidence_of(c, out, first);
	}
	free(tracked);
	return rc;
}

/* ---- events ---- */

/* The members of cluster name in s, sorted. */
static uint32_t *member_set(const struct bph_run_state *s, const char *name,
			    size_t *n)
{
	uint32_t *v = malloc((s->n_members + 1) * sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < s->n_members; i++)
		if (!strcmp(s->m_cluster[i], name))
			v[(*n)++] = s->m_ip[i];
	return v;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return a < b ? -1 : a > b;
}

static bool has(const uint32_t *v, size_t n, uint32_t ip)
{
	return n && bsearch(&ip, v, n, sizeof(ip), cmp_u32);
}

/* Links of the hosts that joined, found in one pass over the links
 * (a host's pairs are adjacent after sorting by host). */
struct link_ix {
	size_t (*p)[2]; /* (host index, link index), sorted by host */
	size_t n;
};

static int cmp_pair(const void *x, const void *y)
{
	const size_t *a = x, *b = y;
	return a[0] != b[0] ? (a[0] < b[0] ? -1 : 1) : (a[1] < b[1] ? -1 : 1);
}

static int index_links(const struct bph_clustering *c, const bool *want,
		       struct link_ix *ix)
{
	size_t cap = 0;

	for (size_t l = 0; c && l < c->n_links; l++)
		for (int side = 0; side < 2; side++) {
			uint32_t h = side ? c->links[l].b : c->links[l].a;
			if (!want[h])
				continue;
			if (ix->n == cap) {
				cap = cap ? cap * 2 : 64;
				void *v = realloc(ix->p, cap * sizeof(*ix->p));
				if (!v)
					return BPH_ERR_NOMEM;
				ix->p = v;
			}
			ix->p[ix->n][0] = h;
			ix->p[ix->n++][1] = l;
		}
	if (ix->n > 1)
		qsort(ix->p, ix->n, sizeof(*ix->p), cmp_pair);
	return 0;
}

/* The artifacts on host h's links to other members (at most 8). */
static json_t *evidence(const struct bph_clustering *c,
			const struct link_ix *ix, long h,
			const uint32_t *members, size_t n)
{
	json_t *ev = json_array();
	size_t lo = 0, hi = ix->n;

	while (h >= 0 && lo < hi) { /* first pair of host h */
		size_t mid = lo + (hi - lo) / 2;
		if (ix->p[mid][0] < (size_t)h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; ev && h >= 0 && lo < ix->n && ix->p[lo][0] == (size_t)h; lo++) {
		const struct bph_link *k = &c->links[ix->p[lo][1]];
		uint32_t o = k->a == (uint32_t)h ? k->b : k->a, oip;
		if (bph_ipv4_parse(c->hosts[o], strlen(c->hosts[o]), &oip) ||
		    !has(members, n, oip))
			continue;
		for (size_t e = 0; e < k->n_ev && json_array_size(ev) < 8;
		     e++) {
			const struct bph_art_stat *a = &c->arts[k->ev[e].art];
			json_array_append_new(
			    ev,
			    json_pack("{s:s,s:s,s:s,s:i}", "kind", a->kind,
				      "value", a->value, "with", c->hosts[o],
				      "hosts_sharing", (json_int_t)a->df));
		}
	}
	return ev;
}

static long host_ix(const struct bph_clustering *c, uint32_t ip);

/* The evidence of members [first, n) of out (one watch's, in c) as JSON
 * text: what a cluster.member_added event of the member shows, stored
 * with the run so a diff can show it without clustering the run again. */
static int evidence_of(const struct bph_clustering *c,
		       struct bph_run_state *out, size_t first)
{
	size_t n = out->n_members - first;
	uint32_t *ips = malloc((n + 1) * sizeof(*ips));
	bool *want = calloc(c->n_hosts + 1, sizeof(*want));
	long *hix = malloc((n + 1) * sizeof(*hix));
	struct link_ix ix = {0};
	int rc = ips && want && hix ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++) {
		ips[i] = out->m_ip[first + i];
		if ((hix[i] = host_ix(c, ips[i])) >= 0)
			want[hix[i]] = true;
	}
	if (!rc && n > 1)
		qsort(ips, n, sizeof(*ips), cmp_u32);
	if (!rc)
		rc = index_links(c, want, &ix);
	for (size_t i = 0; !rc && i < n; i++) {
		json_t *ev = evidence(c, &ix, hix[i], ips, n);
		char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
		json_decref(ev);
		out->m_evidence[first + i] = s;
		rc = s ? 0 : BPH_ERR_NOMEM;
	}
	free(ix.p);
	free(hix);
	free(want);
	free(ips);
	return rc;
}

static json_t *cluster_obj(const char *name, size_t before, size_t after)
{
	return json_pack("{s:s,s:I,s:I}", "name", name, "size_before",
			 (json_int_t)before, "size_after", (json_int_t)after);
}

static int member_event(struct bph_event_set *out, enum bph_event_type t,
			const char *name, uint32_t ip, size_t before,
			size_t after, json_t *ev)
{
	json_t *v = json_pack("{s:s}", "cluster", name);
	bool added = t == BPH_EV_CLUSTER_MEMBER_ADDED;
	struct bph_event *e =
	    bph_event_add(out, t, true, ip, -1, name, added ? NULL : v,
			  added ? v : NULL, NULL);

	if (!e) {
		json_decref(ev);
		return BPH_ERR_NOMEM;
	}
	e->cluster = cluster_obj(name, before, after);
	e->evidence = ev;
	return e->cluster ? 0 : BPH_ERR_NOMEM;
}

struct sides {
	const uint32_t *f, *t;
	size_t nf, nt;
	const struct bph_coverage *cov_f, *cov_t;
};

static bool joined(const struct sides *s, uint32_t ip)
{
	return !has(s->f, s->nf, ip) && bph_coverage_has_ip(s->cov_f, ip);
}

/* c's host index of ip, or -1. */
static long host_ix(const struct bph_clustering *c, uint32_t ip)
{
	char a[16];

	bph_ip_str(ip, a);
	return c ? bph_clustering_host(c, a) : -1;
}

/* The evidence stored for member ip of cluster name in t, or []. */
static json_t *stored_evidence(const struct bph_run_state *t, const char *name,
			       uint32_t ip)
{
	for (size_t i = 0; i < t->n_members; i++)
		if (t->m_ip[i] == ip && t->m_evidence[i] &&
		    !strcmp(t->m_cluster[i], name))
			return json_loads(t->m_evidence[i], 0, NULL);
	return json_array();
}

static int added_events(const struct bph_cluster_watch_cfg *w,
			const struct sides *s, const struct bph_run_state *t,
			struct bph_event_set *out)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < s->nt; i++)
		if (joined(s, s->t[i]))
			rc = member_event(out, BPH_EV_CLUSTER_MEMBER_ADDED,
					  w->name, s->t[i], s->nf, s->nt,
					  stored_evidence(t, w->name, s->t[i]));
	return rc;
}

static int watch_events(const struct bph_cluster_watch_cfg *w,
			const struct sides *s, const struct bph_run_state *t,
			struct bph_event_set *out)
{
	int rc = w->on_added ? added_events(w, s, t, out) : 0;

	for (size_t i = 0; !rc && w->on_removed && i < s->nf; i++)
		if (!has(s->t, s->nt, s->f[i]) &&
		    bph_coverage_has_ip(s->cov_t, s->f[i]))
			rc = member_event(out, BPH_EV_CLUSTER_MEMBER_REMOVED,
					  w->name, s->f[i], s->nf, s->nt,
					  json_array());
	if (!rc && w->growth_pct && s->nf &&
	    (s->nt - (s->nt > s->nf ? s->nf : s->nt)) * 100 >
		(size_t)w->growth_pct * s->nf) {
		struct bph_event *e = bph_event_add(
		    out, BPH_EV_CLUSTER_GROWTH, false, 0, -1, w->name, NULL,
		    json_pack("{s:s,s:I}", "cluster", w->name, "size",
			      (json_int_t)s->nt),
		    json_pack("{s:I}", "growth_pct",
			      (json_int_t)w->growth_pct));
		rc = e && (e->cluster = cluster_obj(w->name, s->nf, s->nt))
			 ? 0
			 : BPH_ERR_NOMEM;
	}
	return rc;
}

int bph_cwatch_events(const struct bph_sweep_config *cfg,
		      const struct bph_run_state *f,
		      const struct bph_run_state *t,
		      const struct bph_coverage *cov_f,
		      const struct bph_coverage *cov_t,
		      struct bph_event_set *out)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < cfg->n_clusters; i++) {
		const struct bph_cluster_watch_cfg *w = &cfg->clusters[i];
		struct sides s = {.cov_f = cov_f, .cov_t = cov_t};
		uint32_t *vf = member_set(f, w->name, &s.nf);
		uint32_t *vt = member_set(t, w->name, &s.nt);
		if (!vf || !vt) {
			rc = BPH_ERR_NOMEM;
		} else {
			qsort(vf, s.nf, sizeof(*vf), cmp_u32);
			qsort(vt, s.nt, sizeof(*vt), cmp_u32);
			s.f = vf;
			s.t = vt;
			rc = watch_events(w, &s, t, out);
		}
		free(vf);
		free(vt);
	}
	return rc;
}
