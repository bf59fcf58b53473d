/*
 * db_sqlite.c - the SQLite backend of the SQL layer (store/db_int.h): WAL, a
 * busy timeout, foreign keys, BEGIN IMMEDIATE for writers, and SQLite's
 * result codes mapped to the layer's statuses. Every PRAGMA bphound issues
 * is in this file.
 */
#include "store/db_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fingerprints/err.h"

/* How long a writer waits for another one (an import commits a batch at
 * least every few seconds; a scan's results go in one transaction). */
#define BUSY_TIMEOUT_MS 60000

struct sq_db {
	struct bph_db base;
	sqlite3 *h;
	bool unjournaled; /* BPH_DB_UNJOURNALED */
};

struct sq_stmt {
	struct bph_db_stmt base;
	sqlite3_stmt *q;
	int64_t changes, insert_id;
};

static sqlite3 *handle(struct bph_db *db)
{
	return ((struct sq_db *)db)->h;
}

static enum bph_db_status classify(sqlite3 *h, int rc)
{
	int sys = h ? sqlite3_system_errno(h) : 0;

	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return BPH_DB_EBUSY;
	case SQLITE_FULL:
		return BPH_DB_EFULL;
	case SQLITE_READONLY:
		return BPH_DB_EREADONLY;
	case SQLITE_CONSTRAINT:
		return BPH_DB_ECONSTRAINT;
	case SQLITE_NOTADB:
		return BPH_DB_ENOTADB;
	case SQLITE_NOMEM:
		return BPH_DB_ENOMEM;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		if (sys == ENOSPC || sys == EDQUOT)
			return BPH_DB_EFULL;
		if (sys == EACCES || sys == EPERM || sys == EROFS)
			return BPH_DB_EREADONLY;
		break;
	}
	return BPH_DB_EOTHER;
}

/* Records SQLite's error rc on db; returns the BPH_ERR_* code. */
static int sq_fail(struct bph_db *db, int rc)
{
	sqlite3 *h = handle(db);
	enum bph_db_status s = classify(h, rc);
	int sys = h ? sqlite3_system_errno(h) : 0;

	/* without a journal a failed statement is not undone either, and
	 * SQLite may roll a transaction back by itself (a full disk) */
	if (((struct sq_db *)db)->unjournaled)
		db->torn = true;

	if (s == BPH_DB_EFULL)
		return bph_db_fail(db, s, "%s (%s)", sqlite3_errmsg(h),
				   strerror(sys ? sys : ENOSPC));
	return bph_db_fail(db, s, "%s", sqlite3_errmsg(h));
}

static void sq_close(struct bph_db *db)
{
	sqlite3_close_v2(handle(db));
	free(db);
}

static int sq_exec(struct bph_db *db, const char *sql)
{
	int rc = sqlite3_exec(handle(db), sql, NULL, NULL, NULL);

	if (rc != SQLITE_OK)
		return sq_fail(db, rc);
	bph_db_ok(db);
	return 0;
}

/* WAL, kept when the last connection closes (PERSIST_WAL): a reader who
 * may not write the folder needs the -wal and -shm files to exist, and
 * cannot create them; journal_size_limit keeps the kept file small. */
static int sq_prepare_writes(struct bph_db *db)
{
	int on = 1, rc;

	/* nothing to keep consistent for others: every page is written once,
	 * not to the WAL and again by its checkpoint (import_new.c) */
	if (((struct sq_db *)db)->unjournaled)
		return sq_exec(db, "PRAGMA locking_mode=EXCLUSIVE;"
				   " PRAGMA journal_mode=OFF;"
				   " PRAGMA synchronous=OFF");
	sqlite3_file_control(handle(db), "main", SQLITE_FCNTL_PERSIST_WAL, &on);
	/* Two writers opening a new store at once both switch it to WAL, and
	 * SQLite answers one SQLITE_BUSY at once instead of waiting (each
	 * holds the shared lock the other's exclusive one needs: 3 times in
	 * 400 pairs of imports here). No lock is held between tries, so the
	 * other finishes; tried for as long as the busy timeout waits. */
	for (int ms = 0;; ms += 10) {
		rc = sqlite3_exec(handle(db), "PRAGMA journal_mode=WAL", NULL,
				  NULL, NULL);
		if ((rc & 0xff) != SQLITE_BUSY || ms >= BUSY_TIMEOUT_MS)
			break;
		sqlite3_sleep(10);
	}
	if (rc != SQLITE_OK)
		return sq_fail(db, rc);
	return sq_exec(db, "PRAGMA journal_size_limit=67108864");
}

/* 1 GiB: an import inserts into services_obs and services_scan at
 * scattered keys, and once they outgrow the cache (800 MB at ten million
 * hosts) nearly every insert evicts a dirty page into the WAL, to be
 * read back and written again a few inserts later. The cache is filled
 * only as pages are used. */
static int sq_tune_bulk(struct bph_db *db)
{
	return sq_exec(db, "PRAGMA cache_size=-1048576");
}

/* The publication of a large import sorts its pending artifacts (37
 * million at ten million hosts): with temp_store=MEMORY SQLite's sorter
 * kept 2.6 GB of runs in small heap chunks, and every later malloc of
 * the B-tree inserts walked glibc's fragmented bins (92% of a core in
 * _int_malloc, 3 MB/s into the WAL); on file the runs are sequential
 * I/O. Only around the publication: the import's joins on bph_rows build
 * small automatic indexes, which memory serves best. Changing it drops
 * the connection's TEMP tables, which SQLite writes do not use (the
 * staging tables are PostgreSQL's path). */
static int sq_sort_on_file(struct bph_db *db, bool on_file)
{
	return sq_exec(db, on_file ? "PRAGMA temp_store=FILE"
				   : "PRAGMA temp_store=MEMORY");
}

/* A publication empties the bulk tables at its end (gigabytes at ten
 * million hosts): with secure_delete on, as Debian builds SQLite, every
 * freed page was overwritten with zeros through the publication's WAL
 * (5 GB of its 15 GB at 10M) and copied back by the checkpoint. Their
 * rows are copies of what the publication stores, nothing to hide. */
static int sq_publishing(struct bph_db *db, bool on)
{
	int rc = sq_sort_on_file(db, on);

	if (!rc)
		rc = sq_exec(db, on ? "PRAGMA secure_delete=FAST"
				 : sqlite3_compileoption_used("SECURE_DELETE")
				     ? "PRAGMA secure_delete=ON"
				     : "PRAGMA secure_delete=OFF");
	return rc;
}

static int sq_prepare(struct bph_db *db, const char *sql, bool stream,
		      struct bph_db_stmt **out)
{
	struct sq_stmt *st = calloc(1, sizeof(*st));
	int rc;

	(void)stream; /* SQLite always produces rows lazily */
	if (!st)
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	rc = sqlite3_prepare_v2(handle(db), sql, -1, &st->q, NULL);
	if (rc != SQLITE_OK) {
		free(st);
		return sq_fail(db, rc);
	}
	st->base.db = db;
	*out = &st->base;
	return 0;
}

static int sq_bind(struct bph_db_stmt *bst, int i, const struct bph_db_value *v)
{
	sqlite3_stmt *q = ((struct sq_stmt *)bst)->q;
	int rc = SQLITE_OK;

	switch (v->type) {
	case BPH_DB_T_NULL:
		rc = sqlite3_bind_null(q, i);
		break;
	case BPH_DB_T_INT:
		rc = sqlite3_bind_int64(q, i, v->i);
		break;
	case BPH_DB_T_DOUBLE:
		rc = sqlite3_bind_double(q, i, v->d);
		break;
	case BPH_DB_T_TEXT:
		rc = sqlite3_bind_text(q, i, v->p, -1, SQLITE_TRANSIENT);
		break;
	case BPH_DB_T_BLOB:
		rc = sqlite3_bind_blob64(q, i, v->p, v->n, SQLITE_TRANSIENT);
		break;
	}
	return rc == SQLITE_OK ? 0 : sq_fail(bst->db, rc);
}

/*
 * bph_rows(?): the rows of a caller's array (bph_db_bind_rows) as a table,
 * so that one statement writes a block of rows: a prepared statement run
 * once per row spent more in starting and ending the statement (and
 * descending the B-tree from its root each time) than in the insertion
 * (docs/performance.md, "Store: import"). Columns c0..c7; the hidden
 * column src takes the bound array and must be given.
 */
#define ROWS_COLS 8
#define ROWS_PTR  "bph_rows"

struct rows_cur {
	sqlite3_vtab_cursor base;
	const struct bph_db_rows *r;
	size_t row;
};

static int rows_connect(sqlite3 *h, void *aux, int argc,
			const char *const *argv, sqlite3_vtab **out, char **err)
{
	int rc = sqlite3_declare_vtab(
	    h, "CREATE TABLE x(c0, c1, c2, c3, c4, c5, c6, c7, src HIDDEN)");

	(void)aux, (void)argc, (void)argv, (void)err;
	if (rc != SQLITE_OK)
		return rc;
	if (!(*out = sqlite3_malloc(sizeof(**out))))
		return SQLITE_NOMEM;
	memset(*out, 0, sizeof(**out));
	return SQLITE_OK;
}

static int rows_disconnect(sqlite3_vtab *vt)
{
	sqlite3_free(vt);
	return SQLITE_OK;
}

/* Only plans that give src are usable: it is the table's content. */
static int rows_best_index(sqlite3_vtab *vt, sqlite3_index_info *ix)
{
	(void)vt;
	for (int i = 0; i < ix->nConstraint; i++) {
		const struct sqlite3_index_constraint *c = &ix->aConstraint[i];
		if (c->iColumn != ROWS_COLS || !c->usable ||
		    c->op != SQLITE_INDEX_CONSTRAINT_EQ)
			continue;
		ix->aConstraintUsage[i].argvIndex = 1;
		ix->aConstraintUsage[i].omit = 1;
		ix->estimatedCost = 1000.0;
		ix->estimatedRows = 1000;
		return SQLITE_OK;
	}
	return SQLITE_CONSTRAINT;
}

static int rows_open(sqlite3_vtab *vt, sqlite3_vtab_cursor **out)
{
	struct rows_cur *c = sqlite3_malloc(sizeof(*c));

	(void)vt;
	if (!c)
		return SQLITE_NOMEM;
	memset(c, 0, sizeof(*c));
	*out = &c->base;
	return SQLITE_OK;
}

static int rows_close(sqlite3_vtab_cursor *cur)
{
	sqlite3_free(cur);
	return SQLITE_OK;
}

static int rows_filter(sqlite3_vtab_cursor *cur, int idx, const char *idxs,
		       int argc, sqlite3_value **argv)
{
	struct rows_cur *c = (struct rows_cur *)cur;

	(void)idx, (void)idxs;
	c->r = argc ? sqlite3_value_pointer(argv[0], ROWS_PTR) : NULL;
	c->row = 0;
	return SQLITE_OK;
}

static int rows_next(sqlite3_vtab_cursor *cur)
{
	((struct rows_cur *)cur)->row++;
	return SQLITE_OK;
}

static int rows_eof(sqlite3_vtab_cursor *cur)
{
	const struct rows_cur *c = (const struct rows_cur *)cur;

	return !c->r || c->row >= c->r->n;
}

static int rows_column(sqlite3_vtab_cursor *cur, sqlite3_context *ctx, int i)
{
	const struct rows_cur *c = (const struct rows_cur *)cur;
	const struct bph_db_value *v;

	if (i >= c->r->ncols)	  /* src, or a column the rows do not have */
		return SQLITE_OK; /* NULL */
	v = &c->r->v[c->row * (size_t)c->r->ncols + (size_t)i];
	switch (v->type) {
	case BPH_DB_T_NULL:
		break;
	case BPH_DB_T_INT:
		sqlite3_result_int64(ctx, v->i);
		break;
	case BPH_DB_T_DOUBLE:
		sqlite3_result_double(ctx, v->d);
		break;
	case BPH_DB_T_TEXT:
		sqlite3_result_text(ctx, v->p, -1, SQLITE_STATIC);
		break;
	case BPH_DB_T_BLOB:
		sqlite3_result_blob64(ctx, v->p, v->n, SQLITE_STATIC);
		break;
	}
	return SQLITE_OK;
}

static int rows_rowid(sqlite3_vtab_cursor *cur, sqlite3_int64 *rowid)
{
	*rowid = (sqlite3_int64)((const struct rows_cur *)cur)->row;
	return SQLITE_OK;
}

static const sqlite3_module rows_module = {
    .xConnect = rows_connect,
    .xBestIndex = rows_best_index,
    .xDisconnect = rows_disconnect,
    .xOpen = rows_open,
    .xClose = rows_close,
    .xFilter = rows_filter,
    .xNext = rows_next,
    .xEof = rows_eof,
    .xColumn = rows_column,
    .xRowid = rows_rowid,
};

static int sq_bind_rows(struct bph_db_stmt *bst, int i,
			const struct bph_db_rows *r)
{
	sqlite3_stmt *q = ((struct sq_stmt *)bst)->q;
	int rc;

	if (r->ncols < 1 || r->ncols > ROWS_COLS)
		return bph_db_fail(bst->db, BPH_DB_EOTHER,
				   "bph_rows: %d columns", r->ncols);
	rc = sqlite3_bind_pointer(q, i, (void *)r, ROWS_PTR, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(bst->db, rc);
}

static int sq_step(struct bph_db_stmt *bst)
{
	struct sq_stmt *st = (struct sq_stmt *)bst;
	int rc = sqlite3_step(st->q);

	if (rc == SQLITE_ROW)
		return BPH_DB_ROW;
	if (rc == SQLITE_DONE) {
		st->changes = sqlite3_changes(handle(bst->db));
		/* the last rowid stays from an earlier INSERT when this one
		 * changed nothing */
		st->insert_id = st->changes > 0 && !sqlite3_stmt_readonly(st->q)
				    ? sqlite3_last_insert_rowid(handle(bst->db))
				    : 0;
		return BPH_DB_DONE;
	}
	return sq_fail(bst->db, rc);
}

static void sq_column(struct bph_db_stmt *bst, int i, enum bph_db_type want,
		      struct bph_db_value *v)
{
	sqlite3_stmt *q = ((struct sq_stmt *)bst)->q;

	v->type =
	    sqlite3_column_type(q, i) == SQLITE_NULL ? BPH_DB_T_NULL : want;
	switch (v->type) {
	case BPH_DB_T_NULL:
		break;
	case BPH_DB_T_INT:
		v->i = sqlite3_column_int64(q, i);
		break;
	case BPH_DB_T_DOUBLE:
		v->d = sqlite3_column_double(q, i);
		break;
	case BPH_DB_T_TEXT:
		v->p = sqlite3_column_text(q, i);
		break;
	case BPH_DB_T_BLOB:
		v->p = sqlite3_column_blob(q, i);
		v->n = (size_t)sqlite3_column_bytes(q, i);
		break;
	}
}

/* SQLite reads NULL as 0 already. */
static int64_t sq_column_int64(struct bph_db_stmt *bst, int i)
{
	return sqlite3_column_int64(((struct sq_stmt *)bst)->q, i);
}

static int64_t sq_changes(struct bph_db_stmt *bst)
{
	return ((struct sq_stmt *)bst)->changes;
}

static int64_t sq_insert_id(struct bph_db_stmt *bst)
{
	return ((struct sq_stmt *)bst)->insert_id;
}

static int sq_reset(struct bph_db_stmt *bst)
{
	sqlite3_reset(((struct sq_stmt *)bst)->q);
	return 0;
}

static void sq_finalize(struct bph_db_stmt *bst)
{
	sqlite3_finalize(((struct sq_stmt *)bst)->q);
	free(bst);
}

static int sq_begin(struct bph_db *db, enum bph_db_txn mode)
{
	return sq_exec(db,
		       mode == BPH_DB_TXN_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

/* COMMIT or ROLLBACK; a failed COMMIT (busy, full disk) is rolled back so
 * that no transaction stays open behind the caller's back. */
static int sq_end(struct bph_db *db, bool commit)
{
	/* with no journal SQLite cannot undo what a write has written (a
	 * failed COMMIT is marked by sq_fail) */
	bool wrote = sqlite3_txn_state(handle(db), "main") == SQLITE_TXN_WRITE;
	int rc = sq_exec(db, commit ? "COMMIT" : "ROLLBACK");

	if (rc && !sqlite3_get_autocommit(handle(db)))
		sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
	if (((struct sq_db *)db)->unjournaled && wrote && !commit)
		db->torn = true;
	return rc;
}

static int sq_lock_schema(struct bph_db *db)
{
	(void)db; /* BEGIN IMMEDIATE holds the only write lock already */
	return 0;
}

/* The first column of the first row of sql as an integer, into *v. */
static int sq_scalar(struct bph_db *db, const char *sql, int64_t *v)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(handle(db), sql, -1, &q, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		*v = sqlite3_column_int64(q, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_OK ? 0 : sq_fail(db, rc);
}

static int read_identity(struct bph_db *db, struct bph_db_identity *id)
{
	int64_t app = 0, uv = 0, tables = 0, ours = 0, v1 = 0;
	int rc = sq_scalar(db, "PRAGMA application_id", &app);

	if (!rc)
		rc = sq_scalar(db, "PRAGMA user_version", &uv);
	if (!rc)
		rc = sq_scalar(db, "SELECT count(*) FROM sqlite_master",
			       &tables);
	if (!rc)
		rc = sq_scalar(db,
			       "SELECT count(*) FROM sqlite_master WHERE "
			       "type = 'table' AND name = 'bph_schema'",
			       &ours);
	if (!rc)
		rc = sq_scalar(db,
			       "SELECT count(*) FROM sqlite_master WHERE "
			       "type = 'table' AND name IN ('scans', "
			       "'services', 'artifacts')",
			       &v1);
	if (rc)
		return rc;
	id->ours = app == BPH_DB_APP_ID && ours;
	id->legacy = app == 0 && uv == 1 && v1 == 3 && !ours;
	id->ours = id->ours || id->legacy;
	id->empty = app == 0 && uv == 0 && tables == 0;
	snprintf(id->what, sizeof(id->what),
		 "a SQLite database of another program (application_id "
		 "0x%llx, user_version %lld, %lld schema objects)",
		 (unsigned long long)app, (long long)uv, (long long)tables);
	return 0;
}

/* In one read transaction: one snapshot. Read statement by statement,
 * a second writer creating the store at the same moment was seen half
 * before and half after its commit (no application id yet, the tables
 * already there), so "another program's database" (4 in 600 pairs of
 * imports into a new store). */
static int sq_identify(struct bph_db *db, struct bph_db_identity *id)
{
	int rc = sq_exec(db, "BEGIN");

	if (rc)
		return rc;
	rc = read_identity(db, id);
	if (!rc)
		return sq_exec(db, "COMMIT");
	sqlite3_exec(handle(db), "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int sq_mark(struct bph_db *db, int core_version)
{
	char sql[96];

	snprintf(sql, sizeof(sql),
		 "PRAGMA application_id=%d; PRAGMA user_version=%d",
		 BPH_DB_APP_ID, core_version);
	return sq_exec(db, sql);
}

/* A second read-only connection to db's file (bph_db_open_peer). */
static int sq_open_peer(struct bph_db *db, struct bph_db **out)
{
	const char *path = sqlite3_db_filename(handle(db), "main");
	char err[16]; /* the caller reads on one connection instead */

	if (!path || !*path) /* in memory or temporary */
		return BPH_ERR_USAGE;
	return bph_db_sqlite_open(path, BPH_DB_READONLY, out, err, sizeof(err));
}

/* PRAGMA data_version: constant inside a read transaction, changed when
 * the connection's next read finds another's commit (WAL: the WAL index
 * header differs; rollback journal: the file's change counter). */
static int sq_data_version(struct bph_db *db, int64_t *v)
{
	return sq_scalar(db, "PRAGMA data_version", v);
}

static const struct bph_db_ops sq_ops = {
    .id_type = "INTEGER PRIMARY KEY",
    .blob_type = "BLOB",
    .norowid = "WITHOUT ROWID",
    .close = sq_close,
    .prepare_writes = sq_prepare_writes,
    .tune_bulk = sq_tune_bulk,
    .publishing = sq_publishing,
    .exec = sq_exec,
    .prepare = sq_prepare,
    .bind = sq_bind,
    .bind_rows = sq_bind_rows,
    .step = sq_step,
    .column = sq_column,
    .column_int64 = sq_column_int64,
    .changes = sq_changes,
    .insert_id = sq_insert_id,
    .reset = sq_reset,
    .finalize = sq_finalize,
    .begin = sq_begin,
    .end = sq_end,
    .lock_schema = sq_lock_schema,
    .identify = sq_identify,
    .mark = sq_mark,
    .open_peer = sq_open_peer,
    .data_version = sq_data_version,
};

/* Connection settings that change nothing in the file. */
static int sq_configure(struct sq_db *d)
{
	sqlite3_extended_result_codes(d->h, 1);
	sqlite3_busy_timeout(d->h, BUSY_TIMEOUT_MS);
	/* eponymous: bph_rows needs no CREATE VIRTUAL TABLE */
	if (sqlite3_create_module_v2(d->h, "bph_rows", &rows_module, NULL,
				     NULL) != SQLITE_OK)
		return sq_fail(&d->base, SQLITE_ERROR);
	return sq_exec(&d->base,
		       "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;"
		       " PRAGMA temp_store=MEMORY");
}

int bph_db_sqlite_open(const char *path, unsigned flags, struct bph_db **out,
		       char *err, size_t errlen)
{
	struct sq_db *d = calloc(1, sizeof(*d));
	/* NOMUTEX: a connection is used by one thread at a time (THREADS in
	 * store/db_int.h), so SQLite's locking of every call is waste: 3.6%
	 * of an import's CPU (docs/performance.md, "Store: import") */
	int oflags =
	    SQLITE_OPEN_NOMUTEX |
	    (flags & BPH_DB_READONLY
		 ? SQLITE_OPEN_READONLY
		 : SQLITE_OPEN_READWRITE |
		       (flags & BPH_DB_CREATE ? SQLITE_OPEN_CREATE : 0));
	int rc;

	if (!d) {
		snprintf(err, errlen, "out of memory");
		return BPH_ERR_NOMEM;
	}
	d->base.ops = &sq_ops;
	d->base.backend = BPH_DB_SQLITE;
	d->unjournaled = flags & BPH_DB_UNJOURNALED;
	rc = sqlite3_open_v2(path, &d->h, oflags, NULL);
	rc = rc == SQLITE_OK ? sq_configure(d) : sq_fail(&d->base, rc);
	/* SQLite opens a file it may not write read-only, silently */
	if (!rc && !(flags & BPH_DB_READONLY) &&
	    sqlite3_db_readonly(d->h, "main") == 1)
		rc = bph_db_fail(&d->base, BPH_DB_EREADONLY,
				 "the store is read-only to this user: reading "
				 "commands work, writing ones do not");
	if (rc) {
		snprintf(err, errlen, "%s", d->base.msg);
		sq_close(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}
