/*
 * rdb_build.c - bph_rdb_finish(): longest-match maps over every ranged
 * table (with the parent of each range), and the keyed tables sorted for
 * binary search (ranges/rdb.h). Keyed tables start with their key (an ASN
 * or an interned string's offset) and end with their source index, so
 * one comparator sorts them all: by key, then newest source first.
 */
#include "ranges/rdb.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "ranges/ranges_int.h"

#define DIRECT_MIN 65536 /* prefixes: below, the index alone is enough */

static void *elem(const struct vec *x, size_t i)
{
	return (char *)x->v + i * x->size;
}

static const struct bph_range *net_of(const struct vec *x, size_t i,
				      size_t net_off)
{
	return (const struct bph_range *)((char *)elem(x, i) + net_off);
}

/* The map of one family over x's ranges; parents stored at parent_off
 * (-1: the table keeps none). */
static int build_one(struct vec *x, size_t net_off, long parent_off,
		     uint8_t fam, struct rmap *m)
{
	size_t n = 0;
	int rc = BPH_ERR_NOMEM;

	for (size_t i = 0; i < x->n; i++)
		n += net_of(x, i, net_off)->fam == fam;
	if (n == 0)
		return 0;
	bph_u128 *first = malloc(n * sizeof(*first)),
		 *last = malloc(n * sizeof(*last));
	int32_t *parent = parent_off >= 0 ? malloc(n * sizeof(*parent)) : NULL;
	m->ids = malloc(n * sizeof(*m->ids));
	if (first && last && m->ids && (parent_off < 0 || parent)) {
		size_t k = 0;
		for (size_t i = 0; i < x->n; i++) {
			const struct bph_range *r = net_of(x, i, net_off);
			if (r->fam != fam)
				continue;
			first[k] = r->first;
			last[k] = r->last;
			m->ids[k++] = (uint32_t)i;
		}
		rc = bph_ipmap_build(fam, first, last, n, parent, &m->map);
	}
	for (size_t k = 0; !rc && parent && k < n; k++)
		*(int32_t *)((char *)elem(x, m->ids[k]) + parent_off) =
		    parent[k] >= 0 ? (int32_t)m->ids[parent[k]] : -1;
	free(first);
	free(last);
	free(parent);
	return rc;
}

static int build_maps(struct vec *x, size_t net_off, long parent_off,
		      struct rmap m[2])
{
	int rc = build_one(x, net_off, parent_off, BPH_FAM_V4, &m[0]);
	return rc ? rc : build_one(x, net_off, parent_off, BPH_FAM_V6, &m[1]);
}

int32_t bph_rmap_find(const struct rmap *m, bph_u128 v)
{
	if (!m->map)
		return -1;
	int32_t k = bph_ipmap_find(m->map, v);
	return k < 0 ? -1 : (int32_t)m->ids[k];
}

/* ---- keyed tables ---- */

static int by_key_newest(const void *a, const void *b, void *arg)
{
	size_t size = *(const size_t *)arg;
	uint32_t ka, kb, sa, sb;

	memcpy(&ka, a, 4);
	memcpy(&kb, b, 4);
	if (ka != kb)
		return ka < kb ? -1 : 1;
	memcpy(&sa, (const char *)a + size - 4, 4);
	memcpy(&sb, (const char *)b + size - 4, 4);
	return sa > sb ? -1 : sa < sb;
}

static void sort_keyed(struct vec *x)
{
	if (x->n > 1)
		qsort_r(x->v, x->n, x->size, by_key_newest, &x->size);
}

long bph_find_asn(const struct vec *x, size_t off, uint32_t key)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k;
		memcpy(&k, (char *)elem(x, mid) + off, 4);
		if (k < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < x->n) {
		uint32_t k;
		memcpy(&k, (char *)elem(x, lo) + off, 4);
		if (k == key)
			return (long)lo;
	}
	return -1;
}

long bph_find_org(const struct bph_rdb *db, const struct vec *x,
		  const char *org_id)
{
	/* a string of the pool (what lookups hand out) is its own offset */
	uintptr_t p = (uintptr_t)org_id, base = (uintptr_t)db->sp.buf;
	uint32_t off = p >= base && p < base + db->sp.len
			   ? (uint32_t)(p - base)
			   : bph_sp_find(&db->sp, org_id);
	return off == UINT32_MAX || off == 0 ? -1 : bph_find_asn(x, 0, off);
}

/* ---- AS relationships, origins and siblings ---- */

static int rel_cmp(const void *a, const void *b, void *arg)
{
	const struct bph_rdb *db = ((void **)arg)[0];
	bool by_b = ((void **)arg)[1] != NULL;
	const struct r_rel *x =
	    &VEC_AT(&db->rel, struct r_rel, *(const uint32_t *)a);
	const struct r_rel *y =
	    &VEC_AT(&db->rel, struct r_rel, *(const uint32_t *)b);
	uint32_t x1 = by_b ? x->b : x->a, y1 = by_b ? y->b : y->a;
	uint32_t x2 = by_b ? x->a : x->b, y2 = by_b ? y->a : y->b;

	if (x1 != y1)
		return x1 < y1 ? -1 : 1;
	return x2 < y2 ? -1 : x2 > y2;
}

static int sort_rels(struct bph_rdb *db)
{
	size_t n = db->rel.n ? db->rel.n : 1;
	void *ctx_a[2] = {db, NULL}, *ctx_b[2] = {db, db};

	db->rel_by_a = malloc(n * sizeof(uint32_t));
	db->rel_by_b = malloc(n * sizeof(uint32_t));
	if (!db->rel_by_a || !db->rel_by_b)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < db->rel.n; i++)
		db->rel_by_a[i] = db->rel_by_b[i] = (uint32_t)i;
	qsort_r(db->rel_by_a, db->rel.n, sizeof(uint32_t), rel_cmp, ctx_a);
	qsort_r(db->rel_by_b, db->rel.n, sizeof(uint32_t), rel_cmp, ctx_b);
	return 0;
}

static int origin_cmp(const void *a, const void *b, void *arg)
{
	const struct bph_rdb *db = arg;
	const struct asn_pfx *x = a, *y = b;
	const struct r_pfx *p = &VEC_AT(&db->pfx, struct r_pfx, x->pfx);
	const struct r_pfx *q = &VEC_AT(&db->pfx, struct r_pfx, y->pfx);

	if (x->asn != y->asn)
		return x->asn < y->asn ? -1 : 1;
	if (p->net.fam != q->net.fam)
		return p->net.fam < q->net.fam ? -1 : 1;
	if (p->net.first != q->net.first)
		return p->net.first < q->net.first ? -1 : 1;
	return p->net.last < q->net.last ? -1 : p->net.last > q->net.last;
}

static int sort_origins(struct bph_rdb *db)
{
	size_t n = 0;

	db->pfx_by_origin = malloc((db->origins.n ? db->origins.n : 1) *
				   sizeof(struct asn_pfx));
	if (!db->pfx_by_origin)
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < db->pfx.n; i++) {
		const struct r_pfx *p = &VEC_AT(&db->pfx, struct r_pfx, i);
		for (uint32_t k = 0; k < p->n_orig; k++) {
			uint32_t asn =
			    VEC_AT(&db->origins, struct bph_origin, p->orig + k)
				.asn;
			db->pfx_by_origin[n++] =
			    (struct asn_pfx){asn, (uint32_t)i};
		}
	}
	qsort_r(db->pfx_by_origin, n, sizeof(struct asn_pfx), origin_cmp, db);
	db->n_pfx_by_origin = n;
	return 0;
}

static int asorg_org_cmp(const void *a, const void *b, void *arg)
{
	const struct vec *x = arg;
	const struct r_asorg *p =
	    &VEC_AT(x, struct r_asorg, *(const uint32_t *)a);
	const struct r_asorg *q =
	    &VEC_AT(x, struct r_asorg, *(const uint32_t *)b);

	if (p->org_id != q->org_id)
		return p->org_id < q->org_id ? -1 : 1;
	return p->asn < q->asn ? -1 : p->asn > q->asn;
}

static int sort_asorg(struct bph_rdb *db)
{
	size_t n = db->asorg.n;

	sort_keyed(&db->asorg);
	if (!(db->asorg_by_org = malloc((n ? n : 1) * sizeof(uint32_t))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		db->asorg_by_org[i] = (uint32_t)i;
	qsort_r(db->asorg_by_org, n, sizeof(uint32_t), asorg_org_cmp,
		&db->asorg);
	return 0;
}

static void refresh_sources(struct bph_rdb *db)
{
	for (size_t i = 0; i < db->srcs.n; i++) {
		struct rsrc *r = VEC_AT(&db->srcs, struct rsrc *, i);
		r->pub.name = S(db, r->name);
		r->pub.date = S(db, r->date);
		r->pub.file = S(db, r->file);
		r->pub.licence = S(db, r->licence);
	}
}

int bph_rdb_finish(struct bph_rdb *db)
{
	int rc = 0;

	if (db->finished)
		return 0;
	refresh_sources(db);
	db->st_sub_allocated = bph_sp_find(&db->sp, "SUB-ALLOCATED PA");
	db->st_allocated = bph_sp_find(&db->sp, "allocated");
	db->st_assigned = bph_sp_find(&db->sp, "assigned");
	rc = build_maps(&db->pfx, offsetof(struct r_pfx, net),
			offsetof(struct r_pfx, parent), db->m_pfx);
	/* the routing table is the hot path (reports, scoping, ranking):
	 * a direct table when it is large enough to be worth 64 MiB */
	if (!rc && db->m_pfx[0].map && db->pfx.n >= DIRECT_MIN)
		bph_ipmap_direct(db->m_pfx[0].map);
	if (!rc)
		rc = build_maps(&db->asrange, offsetof(struct r_asrange, net),
				-1, db->m_asrange);
	if (!rc)
		rc = build_maps(&db->deleg_ip, offsetof(struct r_deleg, net),
				-1, db->m_deleg);
	if (!rc)
		rc = build_maps(&db->inetnum, offsetof(struct r_inetnum, net),
				offsetof(struct r_inetnum, parent),
				db->m_inetnum);
	if (!rc)
		rc = build_maps(&db->entry, offsetof(struct r_entry, net),
				offsetof(struct r_entry, parent), db->m_entry);
	if (!rc)
		rc = sort_rels(db);
	if (!rc)
		rc = sort_origins(db);
	if (!rc)
		rc = sort_asorg(db);
	sort_keyed(&db->org);
	sort_keyed(&db->rpsl_org);
	sort_keyed(&db->contact);
	sort_keyed(&db->autnum);
	sort_keyed(&db->asn_entry);
	db->finished = rc == 0;
	return rc;
}
