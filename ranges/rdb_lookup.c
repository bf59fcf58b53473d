/*
 * rdb_lookup.c - the read-only lookups of the in-memory database: routes,
 * AS facts and neighbours, delegated blocks, inetnums and deny-list hits
 * (contracts in ranges/rdb.h; abuse contacts and upstreams are in
 * rdb_abuse.c).
 */
#include "ranges/rdb.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "ranges/ranges_int.h"

/* ---- routing ---- */

int32_t bph_rdb_lpm4(const struct bph_rdb *db, uint32_t v)
{
	const struct rmap *m = &db->m_pfx[0];
	if (!m->map)
		return -1;
	int32_t k = bph_ipmap_find4(m->map, v);
	return k < 0 ? -1 : (int32_t)m->ids[k];
}

void bph_rdb_ids(const struct bph_rdb *db, const struct bph_addr *a,
		 struct bph_rdb_ids *out)
{
	int s = fam_slot(a->fam);

	out->prefix = bph_rmap_find(&db->m_pfx[s], a->v);
	out->asrange = bph_rmap_find(&db->m_asrange[s], a->v);
	out->deleg = bph_rmap_find(&db->m_deleg[s], a->v);
	out->inetnum = bph_rmap_find(&db->m_inetnum[s], a->v);
	out->entry = bph_rmap_find(&db->m_entry[s], a->v);
}

bool bph_rdb_asinfo(const struct bph_rdb *db, uint32_t asn,
		    struct bph_asinfo *out)
{
	long i = bph_find_asn(&db->asorg, 0, asn), j;

	*out = (struct bph_asinfo){asn, "", "", "", "", ""};
	if (i >= 0) {
		const struct r_asorg *a =
		    &VEC_AT(&db->asorg, struct r_asorg, i);
		out->name = S(db, a->name);
		out->org_id = S(db, a->org_id);
		out->source = S(db, a->source);
		if (a->org_id &&
		    (j = bph_find_asn(&db->org, 0, a->org_id)) >= 0) {
			const struct r_org *o =
			    &VEC_AT(&db->org, struct r_org, j);
			out->org_name = S(db, o->name);
			out->country = S(db, o->cc);
		}
		return true;
	}
	if ((i = bph_find_asn(&db->autnum, 0, asn)) >= 0) {
		const struct r_autnum *a =
		    &VEC_AT(&db->autnum, struct r_autnum, i);
		out->name = S(db, a->as_name);
		out->org_id = S(db, a->org);
		out->source = S(db, a->source);
		if (a->org &&
		    (j = bph_find_asn(&db->rpsl_org, 0, a->org)) >= 0) {
			const struct r_rpsl_org *o =
			    &VEC_AT(&db->rpsl_org, struct r_rpsl_org, j);
			out->org_name = S(db, o->name);
			out->country = S(db, o->country);
		}
		return true;
	}
	if ((i = bph_find_asn(&db->asn_entry, 0, asn)) >= 0) {
		const struct r_asn_entry *e =
		    &VEC_AT(&db->asn_entry, struct r_asn_entry, i);
		out->name = S(db, e->name);
		out->country = S(db, e->cc);
		return true;
	}
	return false;
}

static void route_names(const struct bph_rdb *db, const struct bph_addr *a,
			struct bph_route *out)
{
	struct bph_asinfo ai;
	struct bph_deleg d;
	int32_t k = bph_rmap_find(&db->m_asrange[fam_slot(a->fam)], a->v);
	const struct r_asrange *ar =
	    k >= 0 ? &VEC_AT(&db->asrange, struct r_asrange, k) : NULL;

	bph_rdb_asinfo(db, out->asn, &ai);
	out->as_name = ai.name;
	out->org_id = ai.org_id;
	out->org_name = ai.org_name;
	out->country = ai.country;
	out->rir = ai.source;
	if (ar && ar->asn == out->asn && !out->as_name[0])
		out->as_name = S(db, ar->name);
	if (ar && ar->asn == out->asn && !out->country[0])
		out->country = S(db, ar->cc);
	if (bph_rdb_delegated(db, a, &d))
		out->rir = d.registry;
}

size_t bph_rdb_n_prefixes(const struct bph_rdb *db)
{
	return db->pfx.n;
}

bool bph_rdb_prefix(const struct bph_rdb *db, int32_t id, struct bph_route *out)
{
	struct bph_asinfo ai;

	memset(out, 0, sizeof(*out));
	if (id < 0 || (size_t)id >= db->pfx.n)
		return false;
	const struct r_pfx *p = &VEC_AT(&db->pfx, struct r_pfx, id);
	out->prefix = p->net;
	out->origins = &VEC_AT(&db->origins, struct bph_origin, p->orig);
	out->n_origins = p->n_orig;
	out->asn = out->origins[0].asn;
	out->src = p->src;
	bph_rdb_asinfo(db, out->asn, &ai);
	out->as_name = ai.name;
	out->org_id = ai.org_id;
	out->org_name = ai.org_name;
	out->country = ai.country;
	out->rir = ai.source;
	return true;
}

struct walk {
	const struct rmap *m;
	int (*fn)(bph_u128 first, bph_u128 last, int32_t id, void *arg);
	void *arg;
};

static int walk_segment(bph_u128 a, bph_u128 b, int32_t item, void *arg)
{
	struct walk *w = arg;
	return w->fn(a, b, item >= 0 ? (int32_t)w->m->ids[item] : -1, w->arg);
}

int bph_rdb_walk_routed(const struct bph_rdb *db, uint8_t fam,
			int (*fn)(bph_u128 first, bph_u128 last, int32_t id,
				  void *arg),
			void *arg)
{
	struct walk w = {&db->m_pfx[fam_slot(fam)], fn, arg};

	if (!w.m->map) {
		bph_u128 top = fam == BPH_FAM_V4 ? 0xffffffffu : ~(bph_u128)0;
		return fn(0, top, -1, arg);
	}
	return bph_ipmap_walk(w.m->map, walk_segment, &w);
}

bool bph_rdb_route(const struct bph_rdb *db, const struct bph_addr *a,
		   struct bph_route *out)
{
	int s = fam_slot(a->fam);
	int32_t k = bph_rmap_find(&db->m_pfx[s], a->v);

	memset(out, 0, sizeof(*out));
	if (k >= 0) {
		const struct r_pfx *p = &VEC_AT(&db->pfx, struct r_pfx, k);
		out->prefix = p->net;
		out->origins =
		    &VEC_AT(&db->origins, struct bph_origin, p->orig);
		out->n_origins = p->n_orig;
		out->asn = out->origins[0].asn;
		out->src = p->src;
	} else if ((k = bph_rmap_find(&db->m_asrange[s], a->v)) >= 0) {
		const struct r_asrange *r =
		    &VEC_AT(&db->asrange, struct r_asrange, k);
		out->prefix = r->net;
		out->asn = r->asn;
		out->src = r->src;
		out->from_ip2asn = true;
	} else {
		return false;
	}
	route_names(db, a, out);
	return true;
}

bool bph_rdb_delegated(const struct bph_rdb *db, const struct bph_addr *a,
		       struct bph_deleg *out)
{
	int32_t k = bph_rmap_find(&db->m_deleg[fam_slot(a->fam)], a->v);

	if (k < 0)
		return false;
	const struct r_deleg *d = &VEC_AT(&db->deleg_ip, struct r_deleg, k);
	*out = (struct bph_deleg){d->net,	  S(db, d->registry),
				  S(db, d->cc),	  S(db, d->status),
				  S(db, d->date), S(db, d->opaque)};
	return true;
}

struct coverage {
	const struct bph_rdb *db;
	const struct rmap *m;
	uint32_t allocated, assigned;
	double yes, no;
};

static int cover_segment(bph_u128 a, bph_u128 b, int32_t item, void *arg)
{
	struct coverage *c = arg;
	const struct r_deleg *d =
	    item >= 0
		? &VEC_AT(&c->db->deleg_ip, struct r_deleg, c->m->ids[item])
		: NULL;
	double size = (double)(b - a) + 1.0;

	if (d && (d->status == c->allocated || d->status == c->assigned))
		c->yes += size;
	else
		c->no += size;
	return 0;
}

void bph_rdb_deleg_coverage(const struct bph_rdb *db, const struct bph_range *r,
			    double *assigned, double *other)
{
	const struct rmap *m = &db->m_deleg[fam_slot(r->fam)];
	struct coverage c = {db, m, db->st_allocated, db->st_assigned, 0, 0};

	*assigned = *other = 0;
	if (!db->deleg_ip.n)
		return;
	if (!m->map) { /* blocks of the other family only */
		*other = bph_range_size_d(r);
		return;
	}
	bph_ipmap_walk_range(m->map, r->first, r->last, cover_segment, &c);
	*assigned = c.yes;
	*other = c.no;
}

size_t bph_rdb_org_asns(const struct bph_rdb *db, const char *org_id,
			uint32_t *out, size_t max)
{
	uint32_t org = bph_sp_find(&db->sp, org_id), prev = 0;
	size_t n = 0;

	if (org == UINT32_MAX || org == 0)
		return 0;
	for (size_t i = 0; i < db->autnum.n; i++) { /* sorted by ASN */
		const struct r_autnum *a =
		    &VEC_AT(&db->autnum, struct r_autnum, i);
		if (a->org != org && a->sponsoring_org != org)
			continue;
		if (n > 0 && prev == a->asn)
			continue;
		prev = a->asn;
		if (n < max)
			out[n] = a->asn;
		n++;
	}
	return n;
}

/* ---- AS neighbours, siblings and prefixes ---- */

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* Sorts and de-duplicates v[0..n), copies up to max into out; returns the
 * distinct count. */
static size_t distinct_into(uint32_t *v, size_t n, uint32_t *out, size_t max)
{
	size_t d = 0;

	qsort(v, n, sizeof(*v), u32_cmp);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || v[i] != v[i - 1]) {
			if (d < max)
				out[d] = v[i];
			d++;
		}
	return d;
}

size_t bph_rel_lower(const struct bph_rdb *db, bool by_b, uint32_t asn)
{
	const uint32_t *idx = by_b ? db->rel_by_b : db->rel_by_a;
	size_t lo = 0, hi = db->rel.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct r_rel *r =
		    &VEC_AT(&db->rel, struct r_rel, idx[mid]);
		if ((by_b ? r->b : r->a) < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Appends the other side of asn's relations with rel from one index. */
static size_t collect_rel(const struct bph_rdb *db, bool by_b, uint32_t asn,
			  int rel, uint32_t *v, size_t n)
{
	const uint32_t *idx = by_b ? db->rel_by_b : db->rel_by_a;

	for (size_t i = bph_rel_lower(db, by_b, asn); i < db->rel.n; i++) {
		const struct r_rel *r = &VEC_AT(&db->rel, struct r_rel, idx[i]);
		if ((by_b ? r->b : r->a) != asn)
			break;
		if (r->rel == rel)
			v[n++] = by_b ? r->a : r->b;
	}
	return n;
}

static size_t rel_count(const struct bph_rdb *db, bool by_b, uint32_t asn)
{
	const uint32_t *idx = by_b ? db->rel_by_b : db->rel_by_a;
	size_t i = bph_rel_lower(db, by_b, asn), n = 0;

	while (i + n < db->rel.n &&
	       (by_b ? VEC_AT(&db->rel, struct r_rel, idx[i + n]).b
		     : VEC_AT(&db->rel, struct r_rel, idx[i + n]).a) == asn)
		n++;
	return n;
}

size_t bph_rdb_neighbours(const struct bph_rdb *db, uint32_t asn,
			  enum bph_rel_dir dir, uint32_t *out, size_t max)
{
	size_t cap = rel_count(db, false, asn) + rel_count(db, true, asn),
	       n = 0;
	uint32_t *v = malloc((cap ? cap : 1) * sizeof(*v));

	if (!v || !db->finished) {
		free(v);
		return 0;
	}
	if (dir == BPH_REL_PROVIDERS)
		n = collect_rel(db, true, asn, -1, v, n);
	else if (dir == BPH_REL_CUSTOMERS)
		n = collect_rel(db, false, asn, -1, v, n);
	else {
		n = collect_rel(db, false, asn, 0, v, n);
		n = collect_rel(db, true, asn, 0, v, n);
	}
	n = distinct_into(v, n, out, max);
	free(v);
	return n;
}

size_t bph_rdb_siblings(const struct bph_rdb *db, uint32_t asn, uint32_t *out,
			size_t max)
{
	long i = bph_find_asn(&db->asorg, 0, asn);
	size_t lo = 0, hi = db->asorg.n, n = 0;
	uint32_t prev = asn;

	if (i < 0 || !db->finished)
		return 0;
	uint32_t org = VEC_AT(&db->asorg, struct r_asorg, i).org_id;
	if (org == 0)
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (VEC_AT(&db->asorg, struct r_asorg, db->asorg_by_org[mid])
			.org_id < org)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = lo; k < db->asorg.n; k++) {
		const struct r_asorg *a =
		    &VEC_AT(&db->asorg, struct r_asorg, db->asorg_by_org[k]);
		if (a->org_id != org)
			break;
		if (a->asn == asn || a->asn == prev)
			continue;
		prev = a->asn;
		if (n < max)
			out[n] = a->asn;
		n++;
	}
	return n;
}

int bph_rdb_prefixes_of(const struct bph_rdb *db, uint32_t asn,
			int (*fn)(const struct bph_range *prefix, void *arg),
			void *arg)
{
	size_t lo = 0, hi = db->n_pfx_by_origin;
	int32_t prev = -1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (db->pfx_by_origin[mid].asn < asn)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < db->n_pfx_by_origin && db->pfx_by_origin[lo].asn == asn;
	     lo++) {
		int32_t k = (int32_t)db->pfx_by_origin[lo].pfx;
		if (k == prev)
			continue;
		prev = k;
		int rc = fn(&VEC_AT(&db->pfx, struct r_pfx, k).net, arg);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- registration ---- */

static bool sub_allocated(const struct bph_rdb *db, int32_t k)
{
	uint32_t sub = db->st_sub_allocated;

	for (; sub != UINT32_MAX && k >= 0;
	     k = VEC_AT(&db->inetnum, struct r_inetnum, k).parent)
		if (VEC_AT(&db->inetnum, struct r_inetnum, k).status == sub)
			return true;
	return false;
}

bool bph_rdb_inetnum_get(const struct bph_rdb *db, long id,
			 struct bph_inetnum *out)
{
	if (id < 0 || (size_t)id >= db->inetnum.n)
		return false;
	const struct r_inetnum *r = &VEC_AT(&db->inetnum, struct r_inetnum, id);
	long j = r->org ? bph_find_asn(&db->rpsl_org, 0, r->org) : -1;
	*out = (struct bph_inetnum){
	    .id = id,
	    .parent = r->parent,
	    .net = r->net,
	    .netname = S(db, r->netname),
	    .descr = S(db, r->descr),
	    .country = S(db, r->country),
	    .org = S(db, r->org),
	    .org_name =
		j >= 0 ? S(db, VEC_AT(&db->rpsl_org, struct r_rpsl_org, j).name)
		       : "",
	    .status = S(db, r->status),
	    .abuse_c = S(db, r->abuse_c),
	    .mnt_irt = S(db, r->mnt_irt),
	    .abuse_mailbox = S(db, r->abuse_mailbox),
	    .source = S(db, r->source),
	    .sub_allocation = sub_allocated(db, (int32_t)id),
	    .src = r->src};
	return true;
}

bool bph_rdb_inetnum(const struct bph_rdb *db, const struct bph_addr *a,
		     struct bph_inetnum *out)
{
	int32_t k = bph_rmap_find(&db->m_inetnum[fam_slot(a->fam)], a->v);
	return bph_rdb_inetnum_get(db, k, out);
}

/* ---- deny lists ---- */

static void fill_hit(const struct bph_rdb *db, const struct r_entry *e,
		     struct bph_list_hit *h)
{
	const struct bph_rsource *s = rdb_src(db, e->src);

	*h = (struct bph_list_hit){.list = s->name,
				   .entry = S(db, e->text),
				   .net = e->net,
				   .ref = S(db, e->ref),
				   .info = S(db, e->info),
				   .date = e->date ? S(db, e->date) : s->date,
				   .list_date = s->date,
				   .licence = s->licence,
				   .licence_flags = s->licence_flags,
				   .kind = s->kind,
				   .src = e->src};
}

size_t bph_rdb_listed(const struct bph_rdb *db, const struct bph_addr *a,
		      struct bph_list_hit *out, size_t max)
{
	int32_t k = bph_rmap_find(&db->m_entry[fam_slot(a->fam)], a->v);
	size_t n = 0;

	for (; k >= 0; k = VEC_AT(&db->entry, struct r_entry, k).parent, n++)
		if (n < max)
			fill_hit(db, &VEC_AT(&db->entry, struct r_entry, k),
				 &out[n]);
	return n;
}

size_t bph_rdb_asn_listed(const struct bph_rdb *db, uint32_t asn,
			  struct bph_asn_hit *out, size_t max)
{
	long i = bph_find_asn(&db->asn_entry, 0, asn);
	size_t n = 0;

	for (; i >= 0 && (size_t)i < db->asn_entry.n; i++, n++) {
		const struct r_asn_entry *e =
		    &VEC_AT(&db->asn_entry, struct r_asn_entry, i);
		if (e->asn != asn)
			break;
		const struct bph_rsource *s = rdb_src(db, e->src);
		if (n < max)
			out[n] = (struct bph_asn_hit){
			    s->name,	      asn,
			    S(db, e->name),   S(db, e->cc),
			    S(db, e->domain), S(db, e->rir),
			    s->date,	      s->licence,
			    s->licence_flags, e->src};
	}
	return n;
}

static bool name_wanted(const char *name, const char *const *names, size_t n)
{
	if (!names)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

static int entry_order(const void *a, const void *b, void *arg)
{
	const struct vec *x = arg;
	const struct r_entry *p =
	    &VEC_AT(x, struct r_entry, *(const uint32_t *)a);
	const struct r_entry *q =
	    &VEC_AT(x, struct r_entry, *(const uint32_t *)b);

	if (p->net.fam != q->net.fam)
		return p->net.fam < q->net.fam ? -1 : 1;
	if (p->net.first != q->net.first)
		return p->net.first < q->net.first ? -1 : 1;
	return p->net.last > q->net.last ? -1 : p->net.last < q->net.last;
}

int bph_rdb_list_entries(const struct bph_rdb *db, const char *const *names,
			 size_t n_names,
			 int (*fn)(const struct bph_list_hit *hit, void *arg),
			 void *arg)
{
	uint32_t *idx = malloc((db->entry.n ? db->entry.n : 1) * sizeof(*idx));
	struct bph_list_hit h;
	int rc = 0;

	if (!idx)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < db->entry.n; i++)
		idx[i] = (uint32_t)i;
	qsort_r(idx, db->entry.n, sizeof(*idx), entry_order,
		(void *)&db->entry);
	for (size_t i = 0; i < db->entry.n && !rc; i++) {
		const struct r_entry *e =
		    &VEC_AT(&db->entry, struct r_entry, idx[i]);
		if (!name_wanted(rdb_src(db, e->src)->name, names, n_names))
			continue;
		fill_hit(db, e, &h);
		rc = fn(&h, arg);
	}
	free(idx);
	return rc;
}
