/*
 * db.c - the backend-neutral half of the SQL layer: dispatch through a
 * connection's op table, error bookkeeping, DDL tokens and the generic bulk
 * insert (prepared INSERTs) for backends without a faster path. The
 * contract and the portable-SQL rules are in store/db_int.h.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

bool bph_db_is_uri(const char *where)
{
	return where && (!strncmp(where, "postgresql://", 13) ||
			 !strncmp(where, "postgres://", 11));
}

int bph_db_open(const char *where, unsigned flags, struct bph_db **out,
		char *err, size_t errlen)
{
	*out = NULL;
	if (bph_db_is_uri(where))
		return bph_db_pg_open(where, flags, out, err, errlen);
	return bph_db_sqlite_open(where, flags, out, err, errlen);
}

void bph_db_close(struct bph_db *db)
{
	if (db)
		db->ops->close(db);
}

enum bph_db_backend bph_db_backend(const struct bph_db *db)
{
	return db->backend;
}

const char *bph_db_errmsg(const struct bph_db *db)
{
	return db->msg;
}

enum bph_db_status bph_db_status(const struct bph_db *db)
{
	return db->status;
}

int bph_db_prepare_writes(struct bph_db *db)
{
	return db->ops->prepare_writes(db);
}

int bph_db_tune_bulk(struct bph_db *db)
{
	return db->ops->tune_bulk(db);
}

int bph_db_publishing(struct bph_db *db, bool on)
{
	return db->ops->publishing ? db->ops->publishing(db, on) : 0;
}

int bph_db_exec(struct bph_db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

/* The replacement of the DDL token at p, with its length in *toklen. */
static const char *ddl_token(const struct bph_db_ops *ops, const char *p,
			     size_t *toklen)
{
	static const char *const names[] = {"{id}", "{blob}", "{norowid}"};
	const char *reps[] = {ops->id_type, ops->blob_type, ops->norowid};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strncmp(p, names[i], strlen(names[i]))) {
			*toklen = strlen(names[i]);
			return reps[i];
		}
	*toklen = 1;
	return NULL;
}

/* sql with every DDL token replaced (new string), or NULL. */
static char *ddl_expand(const struct bph_db_ops *ops, const char *sql)
{
	size_t cap = strlen(sql) * 2 + 256, n = 0;
	char *out = malloc(cap);

	for (const char *p = sql; out && *p;) {
		size_t toklen;
		const char *rep = ddl_token(ops, p, &toklen);
		size_t len = rep ? strlen(rep) : 1;
		if (n + len + 1 > cap) {
			char *bigger = realloc(out, cap = cap * 2 + len);
			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
		}
		memcpy(out + n, rep ? rep : p, len);
		n += len;
		p += toklen;
	}
	if (out)
		out[n] = '\0';
	return out;
}

int bph_db_exec_ddl(struct bph_db *db, const char *sql)
{
	char *x = ddl_expand(db->ops, sql);
	int rc;

	if (!x)
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	rc = db->ops->exec(db, x);
	free(x);
	return rc;
}

int bph_db_clear(struct bph_db *db, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "%s %s",
		 db->backend == BPH_DB_PG ? "TRUNCATE" : "DELETE FROM", table);
	return db->ops->exec(db, sql);
}

int bph_db_prepare(struct bph_db *db, const char *sql, struct bph_db_stmt **out)
{
	*out = NULL;
	return db->ops->prepare(db, sql, false, out);
}

int bph_db_prepare_stream(struct bph_db *db, const char *sql,
			  struct bph_db_stmt **out)
{
	*out = NULL;
	return db->ops->prepare(db, sql, true, out);
}

int bph_db_bind_int64(struct bph_db_stmt *st, int i, int64_t v)
{
	struct bph_db_value x = {.type = BPH_DB_T_INT, .i = v};
	return st->db->ops->bind(st, i, &x);
}

int bph_db_bind_double(struct bph_db_stmt *st, int i, double v)
{
	struct bph_db_value x = {.type = BPH_DB_T_DOUBLE, .d = v};
	return st->db->ops->bind(st, i, &x);
}

int bph_db_bind_text(struct bph_db_stmt *st, int i, const char *v)
{
	struct bph_db_value x = {.type = v ? BPH_DB_T_TEXT : BPH_DB_T_NULL,
				 .p = v};
	return st->db->ops->bind(st, i, &x);
}

int bph_db_bind_blob(struct bph_db_stmt *st, int i, const void *v, size_t n)
{
	struct bph_db_value x = {.type = BPH_DB_T_BLOB, .p = v, .n = n};
	return st->db->ops->bind(st, i, &x);
}

int bph_db_bind_null(struct bph_db_stmt *st, int i)
{
	struct bph_db_value x = {.type = BPH_DB_T_NULL};
	return st->db->ops->bind(st, i, &x);
}

int bph_db_bind_rows(struct bph_db_stmt *st, int i, const struct bph_db_rows *r)
{
	if (!st->db->ops->bind_rows) {
		bph_db_fail(st->db, BPH_DB_EOTHER, "bph_rows needs SQLite");
		return BPH_ERR_USAGE;
	}
	return st->db->ops->bind_rows(st, i, r);
}

int bph_db_block_open(struct bph_db *db, struct bph_db_block *b,
		      const char *sql, int ncols, size_t rows)
{
	b->cap = rows && rows < BPH_DB_BLOCK_ROWS ? rows : BPH_DB_BLOCK_ROWS;
	b->r = (struct bph_db_rows){NULL, 0, ncols};
	b->q = NULL;
	b->v = malloc(b->cap * (size_t)ncols * sizeof(*b->v));
	b->r.v = b->v;
	if (!b->v)
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	return bph_db_prepare(db, sql, &b->q);
}

struct bph_db_value *bph_db_block_row(struct bph_db_block *b)
{
	return &b->v[b->r.n++ * (size_t)b->r.ncols];
}

/* The rows added since the last run, written by one run. */
static int block_flush(struct bph_db_block *b)
{
	int rc = b->before && b->r.n ? b->before(b->ctx, b) : 0;

	if (!rc && b->r.n && !(rc = bph_db_bind_rows(b->q, 1, &b->r)))
		rc = bph_db_step(b->q);
	if (rc == BPH_DB_ROW)
		rc = bph_db_fail(b->q->db, BPH_DB_EOTHER,
				 "a block's statement returned rows");
	bph_db_reset(b->q);
	if (!rc && b->after && b->r.n)
		rc = b->after(b->ctx, b);
	b->r.n = 0;
	return rc;
}

int bph_db_block_next(struct bph_db_block *b)
{
	return b->r.n == b->cap ? block_flush(b) : 0;
}

int bph_db_block_close(struct bph_db_block *b, int rc)
{
	if (!rc)
		rc = block_flush(b);
	bph_db_finalize(b->q);
	free(b->v);
	b->q = NULL;
	b->v = NULL;
	return rc;
}

int bph_db_step(struct bph_db_stmt *st)
{
	return st->db->ops->step(st);
}

int64_t bph_db_column_int64(struct bph_db_stmt *st, int i)
{
	struct bph_db_value v = {0};
	if (st->db->ops->column_int64)
		return st->db->ops->column_int64(st, i);
	st->db->ops->column(st, i, BPH_DB_T_INT, &v);
	return v.i;
}

double bph_db_column_double(struct bph_db_stmt *st, int i)
{
	struct bph_db_value v = {0};
	st->db->ops->column(st, i, BPH_DB_T_DOUBLE, &v);
	return v.d;
}

const char *bph_db_column_text(struct bph_db_stmt *st, int i)
{
	struct bph_db_value v = {0};
	st->db->ops->column(st, i, BPH_DB_T_TEXT, &v);
	return v.type == BPH_DB_T_NULL ? NULL : v.p;
}

const void *bph_db_column_blob(struct bph_db_stmt *st, int i, size_t *n)
{
	struct bph_db_value v = {0};
	st->db->ops->column(st, i, BPH_DB_T_BLOB, &v);
	*n = v.type == BPH_DB_T_NULL ? 0 : v.n;
	return v.type == BPH_DB_T_NULL ? NULL : v.p;
}

bool bph_db_column_is_null(struct bph_db_stmt *st, int i)
{
	struct bph_db_value v = {0};
	st->db->ops->column(st, i, BPH_DB_T_INT, &v);
	return v.type == BPH_DB_T_NULL;
}

int64_t bph_db_changes(struct bph_db_stmt *st)
{
	return st->db->ops->changes(st);
}

int64_t bph_db_insert_id(struct bph_db_stmt *st)
{
	return st->db->ops->insert_id ? st->db->ops->insert_id(st) : 0;
}

int bph_db_reset(struct bph_db_stmt *st)
{
	return st ? st->db->ops->reset(st) : 0;
}

void bph_db_finalize(struct bph_db_stmt *st)
{
	if (st)
		st->db->ops->finalize(st);
}

int bph_db_begin(struct bph_db *db, enum bph_db_txn mode)
{
	int rc;

	if (db->in_txn)
		return bph_db_fail(db, BPH_DB_EOTHER,
				   "a transaction is already open");
	rc = db->ops->begin(db, mode);
	db->in_txn = rc == 0;
	return rc;
}

int bph_db_commit(struct bph_db *db)
{
	int rc;

	if (!db->in_txn)
		return bph_db_fail(db, BPH_DB_EOTHER, "no open transaction");
	rc = db->ops->end(db, true);
	db->in_txn = false; /* a failed COMMIT rolls back (both backends) */
	return rc;
}

int bph_db_rollback(struct bph_db *db)
{
	if (!db->in_txn)
		return 0;
	db->in_txn = false;
	return db->ops->end(db, false);
}

bool bph_db_in_txn(const struct bph_db *db)
{
	return db->in_txn;
}

/* How often bph_db_begin_pair() tries before giving up to a writer that
 * commits all the time. */
#define PAIR_TRIES 4

int bph_db_open_peer(struct bph_db *db, struct bph_db **out)
{
	*out = NULL;
	return db->ops->open_peer ? db->ops->open_peer(db, out) : BPH_ERR_USAGE;
}

int bph_db_data_version(struct bph_db *db, int64_t *v)
{
	return db->ops->data_version ? db->ops->data_version(db, v)
				     : BPH_ERR_USAGE;
}

/* One try of bph_db_begin_pair(): *same tells whether nothing was
 * committed between the peer's first read and its snapshot. */
static int pair_once(struct bph_db *db, struct bph_db *peer, bool *same)
{
	int64_t before = 0, mine = 0, after = 0;
	int rc = bph_db_data_version(peer, &before); /* the latest commit */

	if (!rc)
		rc = bph_db_begin(db, BPH_DB_TXN_READ);
	if (!rc) /* a read: db's snapshot is taken here */
		rc = bph_db_data_version(db, &mine);
	if (!rc)
		rc = bph_db_begin(peer, BPH_DB_TXN_READ);
	if (!rc) /* the peer's snapshot, and whether anyone committed */
		rc = bph_db_data_version(peer, &after);
	*same = !rc && before == after;
	return rc;
}

int bph_db_begin_pair(struct bph_db *db, struct bph_db *peer)
{
	bool same = false;
	int rc = 0;

	if (db->in_txn || peer->in_txn || !db->ops->data_version)
		return BPH_ERR_USAGE;
	for (int i = 0; !rc && i < PAIR_TRIES; i++) {
		rc = pair_once(db, peer, &same);
		if (!rc && same)
			return 0;
		bph_db_rollback(peer);
		bph_db_rollback(db);
	}
	return rc ? rc : BPH_ERR_AGAIN;
}

int bph_db_lock_schema(struct bph_db *db)
{
	return db->ops->lock_schema(db);
}

int bph_db_identify(struct bph_db *db, struct bph_db_identity *id)
{
	memset(id, 0, sizeof(*id));
	return db->ops->identify(db, id);
}

int bph_db_mark(struct bph_db *db, int core_version)
{
	return db->ops->mark(db, core_version);
}

/* The generic bulk insert: one prepared INSERT, bound field by field. */
struct ins_bulk {
	struct bph_db_bulk base;
	struct bph_db_stmt *ins;
	int err;
};

static int count_cols(const char *cols)
{
	int n = 1;

	for (const char *p = cols; *p; p++)
		n += *p == ',';
	return n;
}

static int ins_begin(struct bph_db *db, const char *table, const char *cols,
		     int ncols, const char *conflict, struct bph_db_bulk **out)
{
	struct ins_bulk *b = calloc(1, sizeof(*b));
	char *sql = NULL;
	size_t len = strlen(table) + strlen(cols) + (size_t)ncols * 2 + 64 +
		     (conflict ? strlen(conflict) : 0);
	int rc;

	if (!b || !(sql = malloc(len))) {
		free(b);
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	}
	size_t n = (size_t)snprintf(sql, len, "INSERT INTO %s(%s) VALUES (",
				    table, cols);
	for (int i = 0; i < ncols; i++)
		n += (size_t)snprintf(sql + n, len - n, "%s?", i ? "," : "");
	snprintf(sql + n, len - n, ") %s", conflict ? conflict : "");
	rc = bph_db_prepare(db, sql, &b->ins);
	free(sql);
	if (rc) {
		free(b);
		return rc;
	}
	*out = &b->base;
	return 0;
}

int bph_db_bulk_begin(struct bph_db *db, const char *table, const char *cols,
		      const char *conflict, struct bph_db_bulk **out)
{
	int ncols = count_cols(cols), rc;

	*out = NULL;
	if (db->ops->bulk_begin)
		rc = db->ops->bulk_begin(db, table, cols, ncols, conflict, out);
	else
		rc = ins_begin(db, table, cols, ncols, conflict, out);
	if (!rc) {
		(*out)->db = db;
		(*out)->ncols = ncols;
		(*out)->col = 0;
	}
	return rc;
}

static int bulk_field(struct bph_db_bulk *b, const struct bph_db_value *v)
{
	struct ins_bulk *ib = (struct ins_bulk *)b;

	if (b->col >= b->ncols)
		return bph_db_fail(b->db, BPH_DB_EOTHER,
				   "bulk insert: too many fields in a row");
	b->col++;
	if (b->db->ops->bulk_field)
		return b->db->ops->bulk_field(b, v);
	if (!ib->err)
		ib->err = b->db->ops->bind(ib->ins, b->col, v);
	return ib->err;
}

int bph_db_bulk_int64(struct bph_db_bulk *b, int64_t v)
{
	struct bph_db_value x = {.type = BPH_DB_T_INT, .i = v};
	return bulk_field(b, &x);
}

int bph_db_bulk_text(struct bph_db_bulk *b, const char *v)
{
	struct bph_db_value x = {.type = v ? BPH_DB_T_TEXT : BPH_DB_T_NULL,
				 .p = v};
	return bulk_field(b, &x);
}

int bph_db_bulk_null(struct bph_db_bulk *b)
{
	struct bph_db_value x = {.type = BPH_DB_T_NULL};
	return bulk_field(b, &x);
}

int bph_db_bulk_row(struct bph_db_bulk *b)
{
	struct ins_bulk *ib = (struct ins_bulk *)b;
	int rc;

	if (b->col != b->ncols)
		return bph_db_fail(b->db, BPH_DB_EOTHER,
				   "bulk insert: %d fields for %d columns",
				   b->col, b->ncols);
	b->col = 0;
	if (b->db->ops->bulk_row)
		return b->db->ops->bulk_row(b);
	if (ib->err)
		return ib->err;
	rc = bph_db_step(ib->ins);
	bph_db_reset(ib->ins);
	return rc < 0 ? (ib->err = rc) : 0;
}

static int bulk_finish(struct bph_db_bulk *b, bool flush)
{
	struct ins_bulk *ib = (struct ins_bulk *)b;
	int rc;

	if (b->db->ops->bulk_end)
		return b->db->ops->bulk_end(b, flush);
	rc = ib->err;
	bph_db_finalize(ib->ins);
	free(ib);
	return rc;
}

int bph_db_bulk_end(struct bph_db_bulk *b)
{
	return bulk_finish(b, true);
}

void bph_db_bulk_abort(struct bph_db_bulk *b)
{
	if (b)
		bulk_finish(b, false);
}
