/*
 * annotate.c - host annotations from the rdb (contract in
 * cli/annotate.h). Hosts whose lookups meet the same prefix, ip2asn
 * range, delegated block, inetnum and list entry get the same facts, so
 * each distinct combination ("combo") is built once and shared: a store of
 * a million hosts in a few thousand networks costs a few thousand
 * lookups of upstreams and abuse contacts. Cluster summaries and their text
 * are in annotate_report.c; `show` prints one host's facts from here.
 */
#include "cli/annotate_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/text.h"

static void add(json_t *a, json_t *v, int *bad)
{
	if (!v || json_array_append_new(a, v))
		(*bad)++;
}

/* ---- one combination of lookups ---- */

static char *keep(struct combo *k, char *s)
{
	if (s && k->n_strs < COMBO_STRS)
		k->strs[k->n_strs++] = s;
	else
		free(s);
	return s;
}

static void attr(struct combo *k, const char *key, const char *value)
{
	if (value && value[0] && k->annot.n_attrs < COMBO_ATTRS)
		k->attrs[k->annot.n_attrs++] =
		    (struct bph_annot_attr){key, value};
}

static json_t *origins_json(const struct bph_route *r, int *bad)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < r->n_origins; i++)
		add(a, json_integer(r->origins[i].asn), bad);
	if (a && r->n_origins == 0)
		add(a, json_integer(r->asn), bad);
	return a;
}

static bool as_set(const struct bph_route *r)
{
	for (size_t i = 1; i < r->n_origins; i++)
		if (r->origins[i].group == r->origins[i - 1].group)
			return true;
	return false;
}

static void routing(const struct bph_rdb *db, const struct bph_route *rt,
		    struct combo *k, json_t *root, int *bad)
{
	const struct bph_route r = *rt;
	char buf[BPH_RANGE_STRLEN + 32];

	k->routed = true;
	k->asn = r.asn;
	bph_range_format(&r.prefix, k->prefix);
	size_t used = 0;
	for (size_t i = 0; i < r.n_origins || (i == 0 && !r.n_origins); i++)
		used += (size_t)snprintf(
		    buf + used, sizeof(buf) - used, "%s%u", i ? " " : "",
		    r.n_origins ? r.origins[i].asn : r.asn);
	attr(k, "asn", keep(k, strdup(buf)));
	attr(k, "prefix", k->prefix);
	attr(k, "as_name", r.as_name);
	attr(k, "as_org", r.org_name);
	attr(k, "country", r.country);
	attr(k, "rir", r.rir);
	if (!root)
		return; /* the flat attributes only */
	json_t *o = json_object();
	const struct bph_rsource *s = bph_rdb_source(db, r.src);
	bph_annot_set(o, "prefix", json_string(k->prefix), bad);
	bph_annot_set(o, "origins", origins_json(&r, bad), bad);
	bph_annot_set(o, "moas", json_boolean(r.n_origins > 1 && !as_set(&r)),
		      bad);
	bph_annot_set(o, "as_set", json_boolean(as_set(&r)), bad);
	bph_annot_set(o, "as_name", bph_annot_js(r.as_name), bad);
	bph_annot_set(o, "org_id", bph_annot_js(r.org_id), bad);
	bph_annot_set(o, "org_name", bph_annot_js(r.org_name), bad);
	bph_annot_set(o, "country", bph_annot_js(r.country), bad);
	bph_annot_set(o, "rir", bph_annot_js(r.rir), bad);
	snprintf(buf, sizeof(buf), "%s %s", s->name, s->date);
	bph_annot_set(o, "source", bph_annot_js(buf), bad);
	bph_annot_set(root, "routing", o, bad);
}

static void registration(const struct bph_rdb *db, const struct bph_addr *a,
			 struct combo *k, json_t *root, int *bad)
{
	struct bph_inetnum in;
	struct bph_abuse ab;
	char range[BPH_RANGE_STRLEN], how[BPH_RANGE_STRLEN + 200];

	if (!bph_rdb_inetnum(db, a, &in))
		return;
	bph_range_format(&in.net, range);
	k->registrant = in.org_name[0] ? in.org_name
			: in.org[0]    ? in.org
				       : in.netname;
	bool found = bph_rdb_abuse_addr(db, a, &ab, 1) > 0;
	if (found)
		bph_abuse_describe(&ab, how, sizeof(how));
	attr(k, "inetnum", keep(k, strdup(range)));
	attr(k, "netname", in.netname);
	attr(k, "registrant", k->registrant);
	attr(k, "status", in.status);
	attr(k, "sub_allocation", in.sub_allocation ? "yes" : "no");
	if (found) {
		attr(k, "abuse_mailbox", ab.mailbox);
		attr(k, "abuse_found_by", keep(k, strdup(how)));
	}
	if (!root)
		return;
	json_t *o = json_object();
	const struct bph_rsource *s = bph_rdb_source(db, in.src);
	bph_annot_set(o, "range", bph_annot_js(range), bad);
	bph_annot_set(o, "netname", bph_annot_js(in.netname), bad);
	bph_annot_set(o, "status", bph_annot_js(in.status), bad);
	bph_annot_set(o, "org", bph_annot_js(in.org), bad);
	bph_annot_set(o, "org_name", bph_annot_js(in.org_name), bad);
	bph_annot_set(o, "country", bph_annot_js(in.country), bad);
	bph_annot_set(o, "sub_allocation", json_boolean(in.sub_allocation),
		      bad);
	bph_annot_set(o, "abuse_mailbox",
		      found ? bph_annot_js(ab.mailbox) : json_null(), bad);
	bph_annot_set(o, "abuse_found_by",
		      found ? bph_annot_js(how) : json_null(), bad);
	bph_annot_set(o, "source", bph_annot_js(s->name), bad);
	bph_annot_set(root, "registration", o, bad);
}

static void upstream_json(const struct bph_upstream *u, uint32_t origin,
			  json_t *arr, int *bad)
{
	char how[BPH_RANGE_STRLEN + 200];
	json_t *o = json_object();

	if (u->has_abuse)
		bph_abuse_describe(&u->abuse, how, sizeof(how));
	bph_annot_set(o, "asn", json_integer(u->asn), bad);
	bph_annot_set(o, "name", bph_annot_js(u->name), bad);
	bph_annot_set(o, "org_name", bph_annot_js(u->org_name), bad);
	bph_annot_set(o, "of_origin", json_integer(origin), bad);
	bph_annot_set(
	    o, "abuse_mailbox",
	    u->has_abuse ? bph_annot_js(u->abuse.mailbox) : json_null(), bad);
	bph_annot_set(o, "abuse_found_by",
		      u->has_abuse ? bph_annot_js(how) : json_null(), bad);
	bph_annot_set(o, "asn_drop", json_boolean(u->asn_listed), bad);
	bph_annot_set(
	    o, "asn_drop_list",
	    u->asn_listed ? bph_annot_js(u->listing.list) : json_null(), bad);
	add(arr, o, bad);
}

/* One origin's providers, built once per AS and shared by every combo
 * routed to it (jansson arrays are reference counted). */
struct upcache {
	uint32_t asn;
	json_t *arr;
	char *text;
	uint32_t up[COMBO_UP];
	size_t n_up;
};

static struct upcache *up_build(const struct bph_rdb *db, uint32_t origin,
				int *bad)
{
	struct bph_upstream up[COMBO_UP];
	struct upcache *c = calloc(1, sizeof(*c));
	char text[1024] = "";
	size_t n = bph_rdb_upstreams(db, origin, up, COMBO_UP), used = 0;

	if (!c || !(c->arr = json_array())) {
		free(c);
		(*bad)++;
		return NULL;
	}
	c->asn = origin;
	for (size_t i = 0; i < n && i < COMBO_UP; i++) {
		c->up[c->n_up++] = up[i].asn;
		upstream_json(&up[i], origin, c->arr, bad);
		if (used + 1 < sizeof(text))
			used += (size_t)snprintf(
			    text + used, sizeof(text) - used, "%sAS%u %s%s%s%s",
			    used ? "; " : "", up[i].asn, up[i].name,
			    up[i].has_abuse ? " " : "",
			    up[i].has_abuse ? up[i].abuse.mailbox : "",
			    up[i].asn_listed ? " [ASN-DROP]" : "");
	}
	if (!(c->text = strdup(text)))
		(*bad)++;
	return c;
}

/* The cached providers of origin (built when new), or NULL on ENOMEM. */
static struct upcache *up_get(const struct bph_rdb *db, struct uptab *an,
			      uint32_t origin, int *bad)
{
	size_t mask = an->n_up_slots - 1, j;

	if ((an->n_ups + 1) * 2 > an->n_up_slots) {
		size_t n = an->n_up_slots ? an->n_up_slots * 2 : 1024;
		struct upcache **v = calloc(n, sizeof(*v));
		if (!v) {
			(*bad)++;
			return NULL;
		}
		for (size_t i = 0; i < an->n_up_slots; i++)
			if (an->ups[i]) {
				for (j = an->ups[i]->asn & (n - 1); v[j];
				     j = (j + 1) & (n - 1))
					;
				v[j] = an->ups[i];
			}
		free(an->ups);
		an->ups = v;
		an->n_up_slots = n;
		mask = n - 1;
	}
	for (j = (origin * 2654435761u) & mask; an->ups[j]; j = (j + 1) & mask)
		if (an->ups[j]->asn == origin)
			return an->ups[j];
	if ((an->ups[j] = up_build(db, origin, bad)))
		an->n_ups++;
	return an->ups[j];
}

static void up_free(struct upcache *c)
{
	if (!c)
		return;
	json_decref(c->arr);
	free(c->text);
	free(c);
}

/* The providers of every origin, distinct: one origin's from the cache,
 * several origins' merged (multi-origin prefixes are rare). */
static void upstreams(const struct bph_rdb *db, struct uptab *tab,
		      const struct bph_route *r, struct combo *k, json_t *root,
		      int *bad)
{
	size_t n_orig = r->n_origins ? r->n_origins : 1;
	json_t *arr = n_orig > 1 && root ? json_array() : NULL;
	char text[1024] = "";

	for (size_t i = 0; i < n_orig; i++) {
		uint32_t o = r->n_origins ? r->origins[i].asn : r->asn;
		struct upcache *c = up_get(db, tab, o, bad);
		if (!c)
			return;
		if (n_orig == 1) { /* shared as it is */
			memcpy(k->up, c->up, c->n_up * sizeof(*c->up));
			k->n_up = c->n_up;
			attr(k, "upstreams", c->text);
			if (root)
				bph_annot_set(root, "upstreams",
					      json_incref(c->arr), bad);
			return;
		}
		for (size_t u = 0; u < c->n_up && k->n_up < COMBO_UP; u++) {
			bool seen = false;
			for (size_t j = 0; j < k->n_up; j++)
				seen = seen || k->up[j] == c->up[u];
			if (seen)
				continue;
			k->up[k->n_up++] = c->up[u];
			if (arr)
				json_array_append(arr,
						  json_array_get(c->arr, u));
		}
		size_t used = strlen(text);
		if (c->text[0] && used + 3 < sizeof(text))
			snprintf(text + used, sizeof(text) - used, "%s%s",
				 used ? "; " : "", c->text);
	}
	attr(k, "upstreams", keep(k, strdup(text)));
	if (arr)
		bph_annot_set(root, "upstreams", arr, bad);
}

static json_t *hit_json(const struct bph_list_hit *h, int *bad)
{
	json_t *o = json_object();

	bph_annot_set(o, "list", bph_annot_js(h->list), bad);
	bph_annot_set(o, "entry", bph_annot_js(h->entry), bad);
	bph_annot_set(o, "ref", bph_annot_js(h->ref), bad);
	bph_annot_set(o, "info", bph_annot_js(h->info), bad);
	bph_annot_set(o, "date", bph_annot_js(h->date), bad);
	bph_annot_set(o, "list_date", bph_annot_js(h->list_date), bad);
	bph_annot_set(o, "non_commercial",
		      json_boolean(h->licence_flags & BPH_LIC_NC), bad);
	bph_annot_set(o, "share_alike",
		      json_boolean(h->licence_flags & BPH_LIC_SA), bad);
	return o;
}

static void listed(const struct bph_rdb *db, const struct bph_addr *a,
		   struct combo *k, json_t *root, int *bad)
{
	struct bph_list_hit h[COMBO_HITS];
	char text[1024] = "";
	size_t used = 0, n = bph_rdb_listed(db, a, h, COMBO_HITS);
	json_t *arr = root ? json_array() : NULL;

	for (size_t i = 0; i < n && i < COMBO_HITS; i++) {
		bool seen = false;
		for (size_t j = 0; j < k->n_lists; j++)
			seen = seen || !strcmp(k->lists[j], h[i].list);
		if (!seen)
			k->lists[k->n_lists++] = h[i].list;
		if (arr)
			add(arr, hit_json(&h[i], bad), bad);
		if (used < sizeof(text))
			used += (size_t)snprintf(
			    text + used, sizeof(text) - used,
			    "%s%s %s%s%s (%s)", i ? "; " : "", h[i].list,
			    h[i].entry, h[i].ref[0] ? " " : "", h[i].ref,
			    h[i].date);
	}
	if (n)
		attr(k, "listed", keep(k, strdup(text)));
	if (arr)
		bph_annot_set(root, "listed", arr, bad);
}

static int build_combo(const struct bph_rdb *db, bool with_json,
		       struct uptab *tab, const struct bph_addr *a,
		       struct combo *k)
{
	json_t *root = with_json ? json_object() : NULL;
	int bad = with_json && !root;
	struct bph_route r;
	bool routed = bph_rdb_route(db, a, &r);

	k->annot.attrs = k->attrs;
	k->registrant = "";
	if (!bad) {
		if (routed)
			routing(db, &r, k, root, &bad);
		registration(db, a, k, root, &bad);
		if (routed)
			upstreams(db, tab, &r, k, root, &bad);
		listed(db, a, k, root, &bad);
	}
	if (!bad && root && (k->json = json_dumps(root, JSON_COMPACT)))
		k->annot.json = k->json;
	json_decref(root);
	return bad || (root && !k->json) ? BPH_ERR_NOMEM : 0;
}

static void combo_free(struct combo *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_strs; i++)
		free(k->strs[i]);
	free(k->json);
	free(k);
}

/* ---- the cache of combos ---- */

static uint64_t ids_hash(const struct bph_rdb_ids *d)
{
	const int32_t v[5] = {d->prefix, d->asrange, d->deleg, d->inetnum,
			      d->entry};
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 5; i++)
		h = (h ^ (uint32_t)v[i]) * 1099511628211ULL;
	return h;
}

static bool ids_equal(const struct bph_rdb_ids *x, const struct bph_rdb_ids *y)
{
	return x->prefix == y->prefix && x->asrange == y->asrange &&
	       x->deleg == y->deleg && x->inetnum == y->inetnum &&
	       x->entry == y->entry;
}

static int grow(struct bph_cli_annot *an)
{
	size_t n = an->n_slots ? an->n_slots * 2 : 1024;
	uint32_t *slots = calloc(n, sizeof(*slots));
	struct combo **v = realloc(an->combos, n / 2 * sizeof(*v));

	if (!slots || !v) {
		free(slots);
		if (v)
			an->combos = v;
		return BPH_ERR_NOMEM;
	}
	an->combos = v;
	for (size_t i = 0; i < an->n_combos; i++) {
		size_t j = ids_hash(&v[i]->ids) & (n - 1);
		while (slots[j])
			j = (j + 1) & (n - 1);
		slots[j] = (uint32_t)i + 1;
	}
	free(an->slots);
	an->slots = slots;
	an->n_slots = n;
	return 0;
}

/* ---- the hosts, in parallel ----
 *
 * Lookups are read-only on the rdb, so threads split the work in three
 * steps: every host's ids (threads over ranges of hosts), the combos
 * numbered serially in host order (the same numbering a single thread
 * gives), then the new combos built (threads over ranges of combos, each
 * with its own cache of providers). The result does not depend on the
 * number of threads (tests/unit/test_cli_annotate.c). */

struct hostq {
	struct bph_addr a;
	struct bph_rdb_ids ids;
	bool ok; /* an address, not a name */
};

struct job {
	struct bph_cli_annot *an;
	const struct bph_clustering *c;
	struct hostq *q;
	uint32_t *rep; /* per combo, the first host that meets it */
	size_t t, n_threads;
	int rc;
};

static void share(size_t n, const struct job *j, size_t *lo, size_t *hi)
{
	*lo = n * j->t / j->n_threads;
	*hi = n * (j->t + 1) / j->n_threads;
}

static void *ids_job(void *arg)
{
	struct job *j = arg;
	size_t lo, hi;

	share(j->c->n_hosts, j, &lo, &hi);
	for (size_t h = lo; h < hi; h++) {
		const char *s = j->c->hosts[h];
		struct hostq *q = &j->q[h];
		q->ok = !bph_addr_parse(s, strlen(s), &q->a);
		if (q->ok)
			bph_rdb_ids(j->an->db, &q->a, &q->ids);
	}
	return NULL;
}

static void *build_job(void *arg)
{
	struct job *j = arg;
	struct bph_cli_annot *an = j->an;
	size_t lo, hi;

	share(an->n_combos, j, &lo, &hi);
	for (size_t i = lo; !j->rc && i < hi; i++)
		j->rc = build_combo(an->db, an->with_json, &an->ups[j->t],
				    &j->q[j->rep[i]].a, an->combos[i]);
	return NULL;
}

/* Runs fn over n_threads jobs (the calling thread does the first share;
 * a thread that cannot start leaves its share to the caller). */
static void run_jobs(struct job *jobs, size_t n_threads, void *(*fn)(void *))
{
	pthread_t tid[ANNOT_MAX_THREADS];
	bool started[ANNOT_MAX_THREADS] = {false};

	for (size_t t = 1; t < n_threads; t++)
		started[t] = !pthread_create(&tid[t], NULL, fn, &jobs[t]);
	fn(&jobs[0]);
	for (size_t t = 1; t < n_threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(&jobs[t]);
	}
}

/* The index of the combo for q's ids, numbered when new (first host
 * h that meets it into rep). */
static int combo_index(struct bph_cli_annot *an, const struct hostq *q,
		       size_t h, uint32_t *rep, uint32_t *idx)
{
	size_t j;
	int rc;

	if ((an->n_combos + 1) * 2 > an->n_slots && (rc = grow(an)))
		return rc;
	for (j = ids_hash(&q->ids) & (an->n_slots - 1); an->slots[j];
	     j = (j + 1) & (an->n_slots - 1))
		if (ids_equal(&an->combos[an->slots[j] - 1]->ids, &q->ids)) {
			*idx = an->slots[j] - 1;
			return 0;
		}
	struct combo *k = calloc(1, sizeof(*k));
	if (!k)
		return BPH_ERR_NOMEM;
	k->ids = q->ids;
	rep[an->n_combos] = (uint32_t)h;
	an->combos[an->n_combos] = k;
	an->slots[j] = (uint32_t)++an->n_combos;
	*idx = an->slots[j] - 1;
	return 0;
}

static int number_combos(struct bph_cli_annot *an, size_t n_hosts,
			 const struct hostq *q, uint32_t *rep)
{
	for (size_t h = 0; h < n_hosts; h++) {
		an->host_combo[h] = UINT32_MAX;
		if (!q[h].ok)
			continue;
		int rc = combo_index(an, &q[h], h, rep, &an->host_combo[h]);
		if (rc)
			return rc;
	}
	return 0;
}

static int annotate_hosts(struct bph_cli_annot *an,
			  const struct bph_clustering *c, size_t n_threads)
{
	size_t n = c->n_hosts ? c->n_hosts : 1;
	struct hostq *q = calloc(n, sizeof(*q));
	uint32_t *rep = calloc(n, sizeof(*rep));
	struct job jobs[ANNOT_MAX_THREADS];
	int rc = 0;

	an->hosts = calloc(n, sizeof(*an->hosts));
	an->host_combo = calloc(n, sizeof(uint32_t));
	if (!q || !rep || !an->hosts || !an->host_combo)
		rc = BPH_ERR_NOMEM;
	for (size_t t = 0; t < n_threads; t++)
		jobs[t] = (struct job){an, c, q, rep, t, n_threads, 0};
	if (!rc)
		run_jobs(jobs, n_threads, ids_job);
	if (!rc)
		rc = number_combos(an, c->n_hosts, q, rep);
	if (!rc)
		run_jobs(jobs, n_threads, build_job);
	for (size_t t = 0; !rc && t < n_threads; t++)
		rc = jobs[t].rc;
	for (size_t h = 0; !rc && h < c->n_hosts; h++)
		if (an->host_combo[h] != UINT32_MAX)
			an->hosts[h] = an->combos[an->host_combo[h]]->annot;
	free(q);
	free(rep);
	return rc;
}

/* The threads for n hosts: the online cores (at most
 * ANNOT_MAX_THREADS), one for small sets. */
static size_t auto_threads(size_t n_hosts)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	if (n_hosts < 4096 || cores < 2)
		return 1;
	return cores > ANNOT_MAX_THREADS ? ANNOT_MAX_THREADS : (size_t)cores;
}

int bph_cli_annotate_threads(const struct bph_rdb *db,
			     const struct bph_clustering *c, bool with_json,
			     size_t n_threads, struct bph_cli_annot **out)
{
	struct bph_cli_annot *an = calloc(1, sizeof(*an));
	int rc = an ? 0 : BPH_ERR_NOMEM;

	if (!n_threads)
		n_threads = auto_threads(c->n_hosts);
	if (n_threads > ANNOT_MAX_THREADS)
		n_threads = ANNOT_MAX_THREADS;
	if (an) {
		an->db = db;
		an->with_json = with_json;
		rc = annotate_hosts(an, c, n_threads);
	}
	if (!rc)
		rc = bph_annot_clusters(an, c);
	if (rc) {
		bph_cli_annot_free(an);
		return rc;
	}
	an->pub = (struct bph_annotations){an->hosts, c->n_hosts, an->clusters,
					   an->n_clusters};
	*out = an;
	return 0;
}

int bph_cli_annotate(const struct bph_rdb *db, const struct bph_clustering *c,
		     bool with_json, struct bph_cli_annot **out)
{
	return bph_cli_annotate_threads(db, c, with_json, 0, out);
}

const struct bph_annotations *bph_cli_annot_get(const struct bph_cli_annot *a)
{
	return &a->pub;
}

void bph_cli_annot_free(struct bph_cli_annot *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_combos; i++)
		combo_free(a->combos[i]);
	for (size_t i = 0; i < a->n_clusters; i++) {
		free((char *)a->clusters[i].json);
		free((char *)a->clusters[i].remark);
	}
	for (size_t t = 0; t < ANNOT_MAX_THREADS; t++) {
		for (size_t i = 0; i < a->ups[t].n_up_slots; i++)
			up_free(a->ups[t].ups[i]);
		free(a->ups[t].ups);
	}
	free(a->combos);
	free(a->slots);
	free(a->hosts);
	free(a->host_combo);
	free(a->clusters);
	free(a);
}

void bph_cli_annot_print_host(FILE *out, const struct bph_rdb *db,
			      const char *ip)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	struct bph_cli_annot *a = NULL;

	/* a one-host clustering reuses the same facts as every report */
	if (g && !bph_graph_add_host(g, ip) && !bph_cluster_run(g, NULL, &c) &&
	    !bph_cli_annotate(db, c, false, &a) &&
	    a->host_combo[0] != UINT32_MAX) {
		const struct combo *k = a->combos[a->host_combo[0]];
		fputs("\nnetworks:\n", out);
		for (size_t i = 0; i < k->annot.n_attrs; i++) {
			fprintf(out, "  %-16s ", k->attrs[i].key);
			bph_print_text(out, k->attrs[i].value);
			fputc('\n', out);
		}
		if (!k->annot.n_attrs)
			fputs("  (no routing, registration or list data covers "
			      "this address)\n",
			      out);
	}
	bph_cli_annot_free(a);
	bph_clustering_free(c);
	bph_graph_free(g);
}
