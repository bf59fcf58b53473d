/*
 * identity.c - identity.moved: SSH host keys and certificate SPKIs that
 * left one address and appeared at another between F and T (rule in
 * sweep/diff.h). The walk collects, per host, the identity hashes it lost
 * and gained; the finish joins them by hash, reads the values back, drops
 * common and widely shared ones, and emits one event per (from, to) pair.
 */
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/svcjson.h"
#include "sweep/sweep_int.h"

static int push(struct id_list *l, uint64_t id, uint32_t ip, uint16_t port,
		uint8_t kind)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct id_ref *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct id_ref){id, ip, port, kind};
	return 0;
}

static bool kind_on(const struct diff_ctx *d, uint8_t kind)
{
	return kind == BPH_ID_SPKI ? d->o->identity_spki : d->o->identity_ssh;
}

static bool universe(const struct diff_ctx *d, uint32_t ip, uint16_t port)
{
	return bph_coverage_has(d->runs[d->n - 2].cov, ip, port) &&
	       bph_coverage_has(d->runs[d->n - 1].cov, ip, port);
}

/* Whether the host's entries [from, to) of sn carry id. */
static bool host_has(const struct diff_ctx *d, const struct bph_snap *sn,
		     size_t from, size_t to, uint64_t id)
{
	for (size_t i = from; i < to; i++)
		for (size_t k = 0; k < sn->v[i].n_ids; k++)
			if (sn->v[i].ids[k] == id &&
			    universe(d, sn->v[i].ip, sn->v[i].port))
				return true;
	return false;
}

/* Pushes onto l every id of run a's entries that run b's lack. */
static int minus(struct diff_ctx *d, const struct host_view *h, size_t a,
		 size_t b, struct id_list *l)
{
	const struct bph_snap *sa = d->runs[a].snap, *sb = d->runs[b].snap;

	for (size_t i = h->first[a]; i < d->cur[a]; i++) {
		const struct bph_snap_svc *e = &sa->v[i];
		if (!universe(d, e->ip, e->port))
			continue;
		for (size_t k = 0; k < e->n_ids; k++) {
			if (!kind_on(d, e->id_kind[k]) ||
			    host_has(d, sb, h->first[b], d->cur[b], e->ids[k]))
				continue;
			if (push(l, e->ids[k], e->ip, e->port, e->id_kind[k]))
				return BPH_ERR_NOMEM;
		}
	}
	return 0;
}

int diff_identity_collect(struct diff_ctx *d, const struct host_view *h)
{
	size_t k = d->n - 1;
	int rc = minus(d, h, k - 1, k, &d->lost);

	return rc ? rc : minus(d, h, k, k - 1, &d->gained);
}

void diff_identity_clear(struct diff_ctx *d)
{
	free(d->lost.v);
	free(d->gained.v);
	memset(&d->lost, 0, sizeof(d->lost));
	memset(&d->gained, 0, sizeof(d->gained));
}

static int cmp_ref(const void *x, const void *y)
{
	const struct id_ref *a = x, *b = y;

	if (a->id != b->id)
		return a->id < b->id ? -1 : 1;
	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return (int)a->port - (int)b->port;
}

/* Sorts by (id, ip, port) and keeps one entry per (id, ip). */
static void sort_unique(struct id_list *l)
{
	size_t o = 0;

	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_ref);
	for (size_t i = 0; i < l->n; i++)
		if (!o || l->v[o - 1].id != l->v[i].id ||
		    l->v[o - 1].ip != l->v[i].ip)
			l->v[o++] = l->v[i];
	l->n = o;
}

/* A shared identity artifact: its hash, value and holders in T. */
struct moved_art {
	uint64_t id;
	uint8_t kind;
	bool keep;
	char value[72];
	uint32_t hosts, last_ip; /* distinct hosts of T holding it */
	size_t lost, n_lost, gained, n_gained; /* ranges of the lists */
};

/* A (from, to) pair through one artifact. */
struct moved_pair {
	uint32_t from, to;
	size_t art;
};

struct moved {
	struct moved_art *a;
	size_t n_a;
	struct moved_pair *p;
	size_t n_p, cap_p;
};

static int cmp_art(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x;
	uint64_t b = ((const struct moved_art *)y)->id;
	return a < b ? -1 : a > b;
}

/* The artifacts both lost somewhere and gained somewhere, by hash. */
static int join_ids(struct diff_ctx *d, struct moved *m)
{
	size_t i = 0, j = 0;

	m->a = calloc(d->gained.n + 1, sizeof(*m->a));
	if (!m->a)
		return BPH_ERR_NOMEM;
	while (i < d->lost.n && j < d->gained.n) {
		uint64_t id = d->lost.v[i].id;
		if (id != d->gained.v[j].id) {
			id < d->gained.v[j].id ? i++ : j++;
			continue;
		}
		struct moved_art *x = &m->a[m->n_a++];
		x->id = id;
		x->kind = d->lost.v[i].kind;
		x->lost = i;
		x->gained = j;
		for (; i < d->lost.n && d->lost.v[i].id == id; i++)
			x->n_lost++;
		for (; j < d->gained.n && d->gained.v[j].id == id; j++)
			x->n_gained++;
	}
	return 0;
}

/* Counts, for each joined artifact, the distinct hosts of T holding it
 * (T's entries are sorted by ip, so a host's entries are adjacent). */
static void count_holders(struct diff_ctx *d, struct moved *m)
{
	const struct bph_snap *t = d->runs[d->n - 1].snap;

	for (size_t i = 0; m->n_a && i < t->n; i++)
		for (size_t k = 0; k < t->v[i].n_ids; k++) {
			struct moved_art *x =
			    bsearch(&t->v[i].ids[k], m->a, m->n_a,
				    sizeof(*m->a), cmp_art);
			if (x && (!x->hosts || x->last_ip != t->v[i].ip)) {
				x->hosts++;
				x->last_ip = t->v[i].ip;
			}
		}
}

static const char *kind_name(uint8_t kind)
{
	return kind == BPH_ID_SPKI ? "spki_sha256" : "ssh_hostkey";
}

/* Finds the value behind x's hash in s. */
static bool find_value(const struct bph_service *s, struct moved_art *x)
{
	if (x->kind == BPH_ID_SPKI && s->tls &&
	    bph_snap_hash("spki_sha256", s->tls->spki_sha256) == x->id) {
		snprintf(x->value, sizeof(x->value), "%s", s->tls->spki_sha256);
		return true;
	}
	for (size_t i = 0;
	     x->kind == BPH_ID_HOSTKEY && s->ssh && i < s->ssh->n_hostkeys; i++)
		if (bph_snap_hash("ssh_hostkey", s->ssh->hostkeys[i].sha256) ==
		    x->id) {
			snprintf(x->value, sizeof(x->value), "%s",
				 s->ssh->hostkeys[i].sha256);
			return true;
		}
	return false;
}

/* Reads x's value back from a holder in T; keeps it unless it is common
 * or shared by more than identity_max_hosts hosts. */
static int resolve(struct diff_ctx *d, struct moved_art *x)
{
	const struct id_ref *g = &d->gained.v[x->gained];
	struct bph_service s;
	int rc;

	if (x->hosts > d->o->identity_max_hosts)
		return 0;
	rc = diff_get(d, d->n - 1, g->ip, g->port, &s);
	if (!rc && find_value(&s, x))
		x->keep = !bph_common_find(d->o->common, kind_name(x->kind),
					   x->value);
	bph_service_clear(&s);
	return rc;
}

static int add_pair(struct moved *m, uint32_t from, uint32_t to, size_t art)
{
	if (m->n_p == m->cap_p) {
		size_t cap = m->cap_p ? m->cap_p * 2 : 64;
		struct moved_pair *p = realloc(m->p, cap * sizeof(*p));
		if (!p)
			return BPH_ERR_NOMEM;
		m->p = p;
		m->cap_p = cap;
	}
	m->p[m->n_p++] = (struct moved_pair){from, to, art};
	return 0;
}

static int pairs_of(struct diff_ctx *d, struct moved *m, size_t a)
{
	const struct moved_art *x = &m->a[a];
	int rc = 0;

	for (size_t i = 0; !rc && i < x->n_lost; i++)
		for (size_t j = 0; !rc && j < x->n_gained; j++)
			rc = add_pair(m, d->lost.v[x->lost + i].ip,
				      d->gained.v[x->gained + j].ip, a);
	return rc;
}

/* qsort_r order: (from, to, kind, value). */
static int cmp_pair(const void *x, const void *y, void *ctx)
{
	const struct moved_pair *a = x, *b = y;
	const struct moved_art *arts = ctx;

	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	if (a->to != b->to)
		return a->to < b->to ? -1 : 1;
	int k =
	    strcmp(kind_name(arts[a->art].kind), kind_name(arts[b->art].kind));
	return k ? k : strcmp(arts[a->art].value, arts[b->art].value);
}

/* The universe ports of ip in window run j. */
static json_t *host_ports(const struct diff_ctx *d, size_t j, uint32_t ip)
{
	const struct bph_snap *sn = d->runs[j].snap;
	json_t *a = json_array();

	for (size_t i = bph_snap_lower(sn, ip, 0);
	     a && i < sn->n && sn->v[i].ip == ip; i++)
		if (universe(d, ip, sn->v[i].port) &&
		    json_array_append_new(a, json_integer(sn->v[i].port))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *side(const struct diff_ctx *d, size_t j, uint32_t ip)
{
	char s[16];

	bph_ip_str(ip, s);
	return json_pack("{s:s,s:o*}", "ip", s, "ports", host_ports(d, j, ip));
}

static json_t *evidence(const struct moved *m, size_t from, size_t to)
{
	json_t *ev = json_array();

	for (size_t i = from; ev && i < to; i++) {
		const struct moved_art *x = &m->a[m->p[i].art];
		if (json_array_append_new(
			ev, json_pack("{s:s,s:s,s:i}", "kind",
				      kind_name(x->kind), "value", x->value,
				      "hosts_sharing", (json_int_t)x->hosts))) {
			json_decref(ev);
			return NULL;
		}
	}
	return ev;
}

/* One identity.moved for the pairs [from, to) sharing (from, to) ips. */
static int emit(struct diff_ctx *d, const struct moved *m, size_t from,
		size_t to)
{
	const struct moved_pair *p = &m->p[from];
	size_t k = d->n - 1;
	json_t *ev = evidence(m, from, to);
	struct bph_event *e =
	    ev ? bph_event_add(d->out, BPH_EV_IDENTITY_MOVED, true, p->from, -1,
			       "identity", side(d, k - 1, p->from),
			       side(d, k, p->to), NULL)
	       : NULL;

	if (!e) {
		json_decref(ev);
		return BPH_ERR_NOMEM;
	}
	e->evidence = ev;
	return 0;
}

static int emit_all(struct diff_ctx *d, struct moved *m)
{
	int rc = 0;

	if (m->n_p > 1)
		qsort_r(m->p, m->n_p, sizeof(*m->p), cmp_pair, m->a);
	for (size_t i = 0; !rc && i < m->n_p;) {
		size_t j = i + 1;
		while (j < m->n_p && m->p[j].from == m->p[i].from &&
		       m->p[j].to == m->p[i].to)
			j++;
		rc = emit(d, m, i, j);
		i = j;
	}
	return rc;
}

int diff_identity_finish(struct diff_ctx *d)
{
	struct moved m = {0};
	int rc;

	sort_unique(&d->lost);
	sort_unique(&d->gained);
	rc = join_ids(d, &m);
	if (!rc)
		count_holders(d, &m);
	for (size_t i = 0; !rc && i < m.n_a; i++)
		rc = resolve(d, &m.a[i]);
	for (size_t i = 0; !rc && i < m.n_a; i++)
		if (m.a[i].keep)
			rc = pairs_of(d, &m, i);
	if (!rc)
		rc = emit_all(d, &m);
	free(m.a);
	free(m.p);
	return rc;
}
