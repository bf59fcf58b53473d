/*
 * store_scans.c - reading runs back: the list of scans with their kind and
 * status, and one scan's services in (ip, port) order as parsed records
 * (what a sweep's diff compares). Contract in store/store.h.
 */
#include "store/store.h"

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/db_int.h"

int bph_store_scans(struct bph_store *st, const char *kind,
		    bph_store_scan_fn fn, void *ctx)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare_stream(
	    st->db,
	    "SELECT c.id, c.kind, c.args, c.started, c.finished,"
	    " (SELECT count(*) FROM services s WHERE s.scan_id = c.id)"
	    " FROM scans c WHERE c.kind = COALESCE(?, c.kind) ORDER BY c.id",
	    &q);

	if (!rc)
		rc = bph_db_bind_text(q, 1, kind); /* NULL: every kind */
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		struct bph_scan_info s = {
		    .id = bph_db_column_int64(q, 0),
		    .kind = bph_db_column_text(q, 1),
		    .args = bph_db_column_text(q, 2),
		    .started = bph_db_column_int64(q, 3),
		    .finished = bph_db_column_int64(q, 4),
		    .services = bph_db_column_int64(q, 5),
		};
		s.status = bph_db_column_is_null(q, 4) ? BPH_SCAN_UNFINISHED
						       : BPH_SCAN_FINISHED;
		rc = fn(ctx, &s);
	}
	bph_db_finalize(q);
	return rc;
}

/* One row into a record: the JSON, with the row's columns winning. */
static int row_service(struct bph_db_stmt *q, struct bph_service *s)
{
	const char *text = bph_db_column_text(q, 4);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	char err[128];
	int rc =
	    j ? bph_service_from_json(j, s, err, sizeof(err)) : BPH_ERR_FORMAT;

	json_decref(j);
	if (rc)
		return rc;
	s->ip = (uint32_t)bph_db_column_int64(q, 0);
	s->port = (uint16_t)bph_db_column_int64(q, 1);
	s->seen = (time_t)bph_db_column_int64(q, 3);
	return 0;
}

int bph_store_scan_services(struct bph_store *st, int64_t scan_id,
			    bph_store_service_fn fn, void *ctx)
{
	struct bph_db_stmt *q = NULL;
	char kind[32];
	int rc = bph_store_scan_kind(st, scan_id, kind, sizeof(kind));
	bool own = !rc && !bph_db_in_txn(st->db);

	if (own) /* a snapshot; on PostgreSQL rows then come lazily */
		rc = bph_db_begin(st->db, BPH_DB_TXN_READ);
	if (!rc)
		rc = bph_db_prepare_stream(
		    st->db,
		    "SELECT ip, port, state, seen, record FROM services"
		    " WHERE scan_id = ? ORDER BY ip, port, seen",
		    &q);
	if (!rc)
		rc = bph_db_bind_int64(q, 1, scan_id);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		struct bph_service s = {0};
		rc = row_service(q, &s);
		if (!rc)
			rc = fn(ctx, &s);
		bph_service_clear(&s);
	}
	bph_db_finalize(q);
	if (own && rc)
		bph_db_rollback(st->db);
	else if (own)
		rc = bph_db_commit(st->db);
	return rc;
}
