/*
 * store_snap.c - a sweep run's snapshot (sweep/snap.c's encoding of the
 * hashed fields the diff compares) in chunks, table sweep_snaps, and its
 * index (sweep/runidx.c: its graph and watch terms), table sweep_index
 * (contract in store/sweep_store.h, schema in store/schema.c module
 * "sweep"). Both tables have the same columns.
 */
#include "store/sweep_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "store/db_int.h"

/* The two tables of chunks: their names are constants, never input. */
static const char *const tables[] = {"sweep_snaps", "sweep_index"};

static int drop_chunks(struct bph_store *st, const char *table, int64_t run)
{
	struct bph_db_stmt *q = NULL;
	char sql[64];
	int rc;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE run_id = ?", table);
	rc = bph_db_prepare(st->db, sql, &q);

	if (!rc) {
		bph_db_bind_int64(q, 1, run);
		rc = bph_db_step(q);
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

static int put_chunks(struct bph_store *st, const char *table, int64_t run,
		      const struct bph_sweep_snap_out *s)
{
	struct bph_db_stmt *q = NULL;
	char sql[96];
	int rc = drop_chunks(st, table, run);

	snprintf(sql, sizeof(sql),
		 "INSERT INTO %s(run_id, chunk, format, n, data)"
		 " VALUES (?, ?, ?, ?, ?)",
		 table);
	if (!rc)
		rc = bph_db_prepare(st->db, sql, &q);
	for (size_t i = 0; !rc && i < s->n_chunks; i++) {
		const void *data = NULL;
		size_t len = 0, n = 0;
		rc = s->chunk(s->ctx, i, &data, &len, &n);
		if (rc || !len)
			break;
		bph_db_reset(q);
		bph_db_bind_int64(q, 1, run);
		bph_db_bind_int64(q, 2, (int64_t)i);
		bph_db_bind_int64(q, 3, s->format);
		bph_db_bind_int64(q, 4, (int64_t)n);
		bph_db_bind_blob(q, 5, data, len);
		rc = bph_db_step(q);
		rc = rc < 0 ? rc : 0;
	}
	bph_db_finalize(q);
	return rc;
}

static int read_chunks(struct bph_db_stmt *q, int format, bph_sweep_snap_cb cb,
		       void *ctx, bool *found)
{
	int rc;

	while ((rc = bph_db_step(q)) == BPH_DB_ROW) {
		size_t len = 0;
		const void *data = bph_db_column_blob(q, 2, &len);
		if (bph_db_column_int64(q, 0) != format) {
			*found =
			    false; /* another format: as if there were none */
			return 0;
		}
		*found = true;
		if ((rc =
			 cb(ctx, data, len, (size_t)bph_db_column_int64(q, 1))))
			return rc;
	}
	return rc < 0 ? rc : 0;
}

static int each_chunk(struct bph_store *st, const char *table, int64_t run,
		      int format, bph_sweep_snap_cb cb, void *ctx, bool *found)
{
	struct bph_db_stmt *q = NULL;
	bool own = !bph_db_in_txn(st->db);
	int rc = own ? bph_db_begin(st->db, BPH_DB_TXN_READ) : 0;
	char sql[96];

	*found = false;
	snprintf(sql, sizeof(sql),
		 "SELECT format, n, data FROM %s WHERE run_id = ?"
		 " ORDER BY chunk",
		 table);
	if (!rc) /* on PostgreSQL the chunks then come one batch at a time */
		rc = bph_db_prepare_stream(st->db, sql, &q);
	if (!rc)
		rc = bph_db_bind_int64(q, 1, run);
	if (!rc)
		rc = read_chunks(q, format, cb, ctx, found);
	bph_db_finalize(q);
	if (own && rc)
		bph_db_rollback(st->db);
	else if (own)
		rc = bph_db_commit(st->db);
	return rc;
}

int bph_sweep_snap_put(struct bph_store *st, int64_t run,
		       const struct bph_sweep_snap_out *s)
{
	return put_chunks(st, tables[0], run, s);
}

int bph_sweep_snap_each(struct bph_store *st, int64_t run, int format,
			bph_sweep_snap_cb cb, void *ctx, bool *found)
{
	return each_chunk(st, tables[0], run, format, cb, ctx, found);
}

int bph_sweep_index_put(struct bph_store *st, int64_t run,
			const struct bph_sweep_snap_out *s)
{
	return put_chunks(st, tables[1], run, s);
}

int bph_sweep_index_each(struct bph_store *st, int64_t run, int format,
			 bph_sweep_snap_cb cb, void *ctx, bool *found)
{
	return each_chunk(st, tables[1], run, format, cb, ctx, found);
}
