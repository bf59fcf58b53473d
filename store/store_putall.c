/*
 * store_putall.c - a list of records stored in one transaction
 * (bph_store_put_all, the scan pipeline's write) and, for a sweep, the
 * records it added handed back as the store will give them back
 * (bph_store_put_all_each). Contracts in store/store.h; the writer
 * itself is store_write.c.
 */
#include "store/db_int.h"

#include <stdlib.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/store.h"

#define PUT_BATCH 4096 /* records per statement batch of put_all */

/* A record of v that the put added: where it is and what was stored. */
struct added {
	uint32_t ip;
	uint16_t port;
	int64_t seen;
	size_t i; /* in v */
};

struct added_list {
	struct added *v;
	size_t n, cap;
};

/* The records of batch b (v[first] onwards) that writing it added. */
static int note_added(const struct bph_wbatch *b, const struct bph_service *v,
		      size_t first, struct added_list *l)
{
	size_t n = bph_wbatch_len(b);
	int64_t seen;

	if (l->n + n > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		while (cap < l->n + n)
			cap *= 2;
		struct added *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return BPH_ERR_NOMEM;
		l->v = nv;
		l->cap = cap;
	}
	for (size_t j = 0; j < n; j++)
		if (bph_wbatch_added(b, j, &seen))
			l->v[l->n++] =
			    (struct added){v[first + j].ip, v[first + j].port,
					   seen, first + j};
	return 0;
}

/* v's records in one transaction, PUT_BATCH at a time; with l, the
 * ones added are noted there. */
static int put_all(struct bph_store *st, int64_t scan_id,
		   const struct bph_service *v, size_t n, struct added_list *l)
{
	struct bph_wbatch *b = bph_wbatch_new();
	size_t added, first = 0;
	int rc = b ? bph_db_begin(st->db, BPH_DB_TXN_WRITE) : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++) {
		rc = bph_wbatch_add(b, &v[i]);
		if (!rc && (bph_wbatch_len(b) >= PUT_BATCH || i + 1 == n)) {
			rc = bph_store_write_batch(st, scan_id, b, &added);
			if (!rc && l)
				rc = note_added(b, v, first, l);
			bph_wbatch_clear(b);
			first = i + 1;
		}
	}
	if (!rc && b)
		rc = bph_db_commit(st->db);
	if (rc && b) {
		bph_db_rollback(st->db);
		bph_store_write_abort(st);
	}
	bph_wbatch_free(b);
	return rc;
}

int bph_store_put_all(struct bph_store *st, int64_t scan_id,
		      const struct bph_service *v, size_t n)
{
	return put_all(st, scan_id, v, n, NULL);
}

/* The order bph_store_scan_services reads a scan in: (ip, port, seen),
 * then v's order. */
static int added_cmp(const void *x, const void *y)
{
	const struct added *a = x, *b = y;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	if (a->seen != b->seen)
		return a->seen < b->seen ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Record a as the store gives it back: what decoding the JSON text the
 * store keeps gives (bph_store_scan_services decodes that text, the
 * record's JSON form), which bph_service_normalize builds without the
 * tree (the round trip was most of the gathering's CPU at 1M hosts,
 * docs/performance.md), with the row's columns winning. */
static int hand_back(const struct bph_service *v, const struct added *a,
		     bph_store_service_fn fn, void *ctx)
{
	struct bph_service s = {0};
	int rc = bph_service_normalize(&v[a->i], &s);

	if (!rc) {
		s.ip = a->ip;
		s.port = a->port;
		s.seen = (time_t)a->seen;
		rc = fn(ctx, &s);
	}
	bph_service_clear(&s);
	return rc;
}

int bph_store_put_all_each(struct bph_store *st, int64_t scan_id,
			   const struct bph_service *v, size_t n,
			   bph_store_service_fn fn, void *ctx)
{
	struct added_list l = {0};
	int rc = put_all(st, scan_id, v, n, &l);

	if (!rc && l.n)
		qsort(l.v, l.n, sizeof(*l.v), added_cmp);
	for (size_t i = 0; !rc && i < l.n; i++)
		rc = hand_back(v, &l.v[i], fn, ctx);
	free(l.v);
	return rc;
}
