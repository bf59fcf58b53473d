/*
 * store_rows.c - a write batch into a SQLite store, row by row (see
 * below), or on the bulk path (an import) appended to the pending
 * tables that bph_store_publish() merges. Contract in store/wbatch.h.
 */
#include "store/db_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "store/wbatch.h"

/*
 * SQLite: the batch merged row by row with prepared statements, without
 * staging tables. No statement costs a round trip there, and copying the
 * batch into temporary tables, joining them and sorting in SQL was most
 * of the writer's time (docs/performance.md, "Store: import"). The rows
 * go in in the order the set-based statements of merge() use, so new
 * services get the same ids, and the tables end the same. The derived
 * rows (hosts, art_hosts with the holders, host_arts) are merged by
 * store_bulk.c; with st->bulk (an import) they are only appended to
 * bulk_hosts and bulk_inc, and bph_store_publish() merges them all at the
 * end of the import.
 */

/* The observations of one rows_services(), a run of rows after another. */
struct svc_walk {
	struct bph_wbatch *b;
	const size_t *order;
	size_t next, *added;
	struct bph_db_stmt *old; /* which of a run's rows were there */
};

/* The rows of a run that the store held before it (those the run did
 * not add): they lose their record. */
static int svc_held(struct svc_walk *w, struct bph_db_block *k, int64_t last)
{
	struct bph_db *db = k->q->db;
	int rc = w->old
		     ? 0
		     : bph_db_prepare(db,
				      "SELECT r.rowid FROM bph_rows(?) r JOIN"
				      " services s ON s.ip = r.c1 AND"
				      " s.hash = r.c5 WHERE s.id <= ?",
				      &w->old);

	if (!rc)
		rc = bph_db_bind_rows(w->old, 1, &k->r);
	if (!rc)
		rc = bph_db_bind_int64(w->old, 2, last);
	while (!rc && (rc = bph_db_step(w->old)) == BPH_DB_ROW) {
		int64_t i = bph_db_column_int64(w->old, 0);
		rc = i >= 0 && (size_t)i < k->r.n ? 0 : BPH_ERR_DB;
		if (!rc)
			w->b->obs[w->order[w->next + (size_t)i]].record = NULL;
	}
	bph_db_reset(w->old);
	return rc < 0 ? rc : 0;
}

/* After a run: the rows it added are the run's rows less those the
 * store held, whose ids are at most the last id before the run (the
 * rows it added took the next ones). */
static int svc_ran(void *ctx, struct bph_db_block *k)
{
	struct svc_walk *w = ctx;
	size_t n = k->r.n, changed = (size_t)bph_db_changes(k->q);
	int rc = 0;

	if (changed > n)
		return BPH_ERR_DB;
	if (!changed)
		for (size_t i = 0; i < n; i++)
			w->b->obs[w->order[w->next + i]].record = NULL;
	else if (changed < n)
		rc = svc_held(w, k, bph_db_insert_id(k->q) - (int64_t)changed);
	*w->added += changed;
	w->next += n;
	return rc;
}

/* New observations into services in (ip, hash) order, a run of rows per
 * statement (bph_rows); those the store holds already lose their record
 * in the batch (as drop_stored()). */
static int rows_services(struct bph_db *db, int64_t scan_id,
			 struct bph_wbatch *b, const size_t *order, size_t n,
			 size_t *added)
{
	struct svc_walk w = {b, order, 0, added, NULL};
	struct bph_db_block k = {.after = svc_ran, .ctx = &w};
	int rc = bph_db_block_open(
	    db, &k,
	    "INSERT INTO services(scan_id, ip, port, state, seen, hash,"
	    " record) SELECT c0, c1, c2, c3, c4, c5, c6 FROM bph_rows(?)"
	    " WHERE true ON CONFLICT (ip, hash) DO NOTHING",
	    7, n);

	for (size_t i = 0; !rc && i < n; i++) {
		const struct wobs *o = &b->obs[order[i]];
		struct bph_db_value *v = bph_db_block_row(&k);
		v[0] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = scan_id};
		v[1] = (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->ip};
		v[2] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->port};
		v[3] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = o->state};
		v[4] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->seen};
		v[5] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->hash};
		v[6] = (struct bph_db_value){.type = BPH_DB_T_TEXT,
					     .p = o->record};
		rc = bph_db_block_next(&k);
	}
	rc = bph_db_block_close(&k, rc);
	bph_db_finalize(w.old);
	return rc;
}

/* The addresses of new open observations (sorted, as order is): *n_ips
 * of them in *ips. */
static int rows_ips(const struct bph_wbatch *b, const size_t *order, size_t n,
		    uint32_t **ips, size_t *n_ips)
{
	*n_ips = 0;
	if (!(*ips = malloc((n + 1) * sizeof(**ips))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct wobs *o = &b->obs[order[i]];
		if (!o->record || strcmp(o->state, "open") ||
		    (*n_ips && (*ips)[*n_ips - 1] == o->ip))
			continue;
		(*ips)[(*n_ips)++] = o->ip;
	}
	return 0;
}

/* The artifacts of new observations as pairs: *n of them in *out. */
static int rows_pairs(const struct bph_wbatch *b, struct bph_wpair **out,
		      size_t *n)
{
	*n = 0;
	if (!(*out = malloc((b->n_arts + 1) * sizeof(**out))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < b->n_arts; i++) {
		const struct wart *a = &b->arts[i];
		const struct wobs *o = &b->obs[a->obs];
		if (o->record)
			(*out)[(*n)++] =
			    (struct bph_wpair){a->art, o->seen, o->ip, a->port};
	}
	return 0;
}

int bph_rows_write(struct bph_store *st, int64_t scan_id, struct bph_wbatch *b,
		   size_t *added)
{
	size_t n_pairs = 0, n_ips = 0;
	struct bph_wpair *pairs = NULL;
	uint32_t *ips = NULL;
	/* prepared: the observations in (ip, hash) order */
	int rc = rows_services(st->db, scan_id, b, b->order, b->n_order, added);

	if (!rc)
		rc = bph_wbatch_resolve(st, b);
	if (!rc)
		rc = rows_ips(b, b->order, b->n_order, &ips, &n_ips);
	if (!rc)
		rc = rows_pairs(b, &pairs, &n_pairs);
	if (!rc && st->bulk) /* merged by bph_store_publish() */
		rc = bph_bulk_append(st->db, ips, n_ips, pairs, n_pairs);
	if (!rc && !st->bulk)
		rc = bph_merge_hosts(st->db, ips, n_ips);
	if (!rc && !st->bulk)
		rc = bph_merge_art_hosts(st->db, pairs, n_pairs);
	if (!rc && !st->bulk)
		rc = bph_merge_host_arts(st->db, pairs, n_pairs);
	free(ips);
	free(pairs);
	return rc;
}
