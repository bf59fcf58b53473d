/*
 * db_pg.c - the PostgreSQL backend of the SQL layer (store/db_int.h), on
 * libpq: "?" rewritten to $n, named prepared statements, text results,
 * cursors for streamed reads, COPY for bulk loads, SQLSTATEs mapped to the
 * layer's statuses. The team-store setup is in docs/guide.md.
 */
#include "store/db_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "fingerprints/err.h"

#define FETCH_ROWS	2000  /* rows per FETCH of a streamed read */
#define COPY_BUF	65536 /* bytes buffered before PQputCopyData */
#define BYTEA_OID	17
#define SCHEMA_LOCK_KEY 0x42504844 /* pg_advisory_xact_lock key ("BPHD") */

struct pg_db {
	struct bph_db base;
	PGconn *c;
	unsigned next_id; /* names of statements and cursors */
};

struct pg_stmt {
	struct bph_db_stmt base;
	char *sql; /* with $n */
	char name[32];
	bool stream, prepared, running, cursor_open, last_batch;
	int nparams;
	char **vals;
	int *lens, *fmts;
	PGresult *res;
	int row, nrows;
	int64_t changes;
	unsigned char *blob; /* the last bytea column read (PQfreemem) */
};

struct pg_bulk {
	struct bph_db_bulk base;
	char *table, *cols, *conflict; /* conflict: via a staging table */
	char *buf;
	size_t n, cap;
	int err;
};

static PGconn *conn(struct bph_db *db)
{
	return ((struct pg_db *)db)->c;
}

static enum bph_db_status classify_state(const char *state)
{
	if (!state)
		return BPH_DB_ECONN; /* no SQLSTATE: the connection failed */
	if (!strcmp(state, "53100"))
		return BPH_DB_EFULL;
	if (!strcmp(state, "53200"))
		return BPH_DB_ENOMEM;
	if (!strcmp(state, "25006") || !strcmp(state, "42501"))
		return BPH_DB_EREADONLY;
	if (!strncmp(state, "23", 2))
		return BPH_DB_ECONSTRAINT;
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
	    !strcmp(state, "55P03"))
		return BPH_DB_EBUSY;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	    !strcmp(state, "53300"))
		return BPH_DB_ECONN;
	return BPH_DB_EOTHER;
}

/* libpq's message on one line (it ends messages with newlines). */
static int fail_msg(struct bph_db *db, enum bph_db_status s, const char *msg)
{
	char line[sizeof(db->msg)];
	size_t n = 0;

	for (const char *p = msg ? msg : "unknown error";
	     *p && n + 3 < sizeof(line); p++) {
		if (*p == '\n') {
			if (p[1])
				line[n++] = ';', line[n++] = ' ';
		} else {
			line[n++] = *p;
		}
	}
	line[n] = '\0';
	return bph_db_fail(db, s, "%s", line);
}

/* Records the error of res (NULL: of the connection); returns its code. */
static int pg_fail(struct bph_db *db, const PGresult *res)
{
	PGconn *c = conn(db);
	const char *state =
	    res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	enum bph_db_status s = PQstatus(c) == CONNECTION_BAD
				   ? BPH_DB_ECONN
				   : classify_state(state);

	if (!res && s != BPH_DB_ECONN)
		s = BPH_DB_EOTHER;
	return fail_msg(db, s,
			res && PQresultErrorMessage(res)[0]
			    ? PQresultErrorMessage(res)
			    : PQerrorMessage(c));
}

/* Runs sql without parameters; 0 when it succeeded. */
static int pg_exec(struct bph_db *db, const char *sql)
{
	PGresult *res = PQexec(conn(db), sql);
	ExecStatusType t = PQresultStatus(res);
	int rc = 0;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = pg_fail(db, res);
	else
		bph_db_ok(db);
	PQclear(res);
	return rc;
}

static void pg_close(struct bph_db *db)
{
	PQfinish(conn(db));
	free(db);
}

static int pg_nothing(struct bph_db *db)
{
	(void)db;
	return 0;
}

/* sql with every ? outside quotes and comments as $1, $2...; *n counts. */
static char *rewrite_params(const char *sql, int *n)
{
	char *out = malloc(strlen(sql) * 4 + 1), quote = 0, *o = out;

	*n = 0;
	for (const char *p = sql; out && *p; p++) {
		if (quote == '-') {
			quote = *p == '\n' ? 0 : quote;
		} else if (quote) {
			quote = *p == quote ? 0 : quote;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (p[0] == '-' && p[1] == '-') {
			quote = '-';
		} else if (*p == '?') {
			o += sprintf(o, "$%d", ++*n);
			continue;
		}
		*o++ = *p;
	}
	if (out)
		*o = '\0';
	return out;
}

static int stmt_alloc_params(struct pg_stmt *st)
{
	int n = st->nparams ? st->nparams : 1;

	st->vals = calloc((size_t)n, sizeof(*st->vals));
	st->lens = calloc((size_t)n, sizeof(*st->lens));
	st->fmts = calloc((size_t)n, sizeof(*st->fmts));
	return st->vals && st->lens && st->fmts ? 0 : BPH_ERR_NOMEM;
}

static void pg_finalize(struct bph_db_stmt *bst);

static int pg_prepare(struct bph_db *db, const char *sql, bool stream,
		      struct bph_db_stmt **out)
{
	struct pg_db *d = (struct pg_db *)db;
	struct pg_stmt *st = calloc(1, sizeof(*st));
	PGresult *res;
	int rc;

	if (!st || !(st->sql = rewrite_params(sql, &st->nparams)) ||
	    stmt_alloc_params(st)) {
		if (st)
			st->base.db = db;
		pg_finalize(st ? &st->base : NULL);
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	}
	st->base.db = db;
	st->stream = stream;
	snprintf(st->name, sizeof(st->name), "bph_%u", ++d->next_id);
	if (stream) { /* run as a cursor at the first step */
		*out = &st->base;
		return 0;
	}
	res = PQprepare(d->c, st->name, st->sql, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(db, res);
		PQclear(res);
		pg_finalize(&st->base);
		return rc;
	}
	PQclear(res);
	st->prepared = true;
	*out = &st->base;
	return 0;
}

static int pg_bind(struct bph_db_stmt *bst, int i, const struct bph_db_value *v)
{
	struct pg_stmt *st = (struct pg_stmt *)bst;
	char num[32];
	const char *src = num;
	size_t len = 0;

	if (i < 1 || i > st->nparams)
		return bph_db_fail(bst->db, BPH_DB_EOTHER,
				   "bind: no parameter %d", i);
	free(st->vals[i - 1]);
	st->vals[i - 1] = NULL;
	st->fmts[i - 1] = v->type == BPH_DB_T_BLOB;
	switch (v->type) {
	case BPH_DB_T_NULL:
		return 0;
	case BPH_DB_T_INT:
		len =
		    (size_t)snprintf(num, sizeof(num), "%lld", (long long)v->i);
		break;
	case BPH_DB_T_DOUBLE:
		len = (size_t)snprintf(num, sizeof(num), "%.17g", v->d);
		break;
	case BPH_DB_T_TEXT:
		src = v->p;
		len = strlen(src);
		break;
	case BPH_DB_T_BLOB:
		src = v->p;
		len = v->n;
		break;
	}
	st->vals[i - 1] = malloc(len + 1);
	if (!st->vals[i - 1])
		return bph_db_fail(bst->db, BPH_DB_ENOMEM, "out of memory");
	memcpy(st->vals[i - 1], src, len);
	st->vals[i - 1][len] = '\0';
	st->lens[i - 1] = (int)len;
	return 0;
}

static void drop_result(struct pg_stmt *st)
{
	PQclear(st->res);
	st->res = NULL;
	st->row = st->nrows = 0;
	PQfreemem(st->blob);
	st->blob = NULL;
}

/* Takes res as the statement's current rows, or fails. */
static int take_result(struct pg_stmt *st, PGresult *res)
{
	ExecStatusType t = PQresultStatus(res);
	int rc;

	if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
		rc = pg_fail(st->base.db, res);
		PQclear(res);
		return rc;
	}
	drop_result(st);
	st->res = res;
	st->nrows = t == PGRES_TUPLES_OK ? PQntuples(res) : 0;
	st->row = -1;
	st->changes = strtoll(PQcmdTuples(res), NULL, 10);
	return 0;
}

static int fetch_batch(struct pg_stmt *st)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "FETCH FORWARD %d FROM %s", FETCH_ROWS,
		 st->name);
	int rc = take_result(st, PQexec(conn(st->base.db), sql));
	st->last_batch = !rc && st->nrows < FETCH_ROWS;
	return rc;
}

static int open_cursor(struct pg_stmt *st)
{
	struct bph_db *db = st->base.db;
	size_t len = strlen(st->sql) + 96;
	char *sql = malloc(len);
	PGresult *res;
	int rc;

	if (!sql)
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	/* outside a transaction only a WITH HOLD cursor outlives the
	 * statement, and the server materialises its rows first */
	snprintf(sql, len, "DECLARE %s NO SCROLL CURSOR %s FOR %s", st->name,
		 db->in_txn ? "" : "WITH HOLD", st->sql);
	res =
	    PQexecParams(conn(db), sql, st->nparams, NULL,
			 (const char *const *)st->vals, st->lens, st->fmts, 0);
	free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		rc = pg_fail(db, res);
		PQclear(res);
		return rc;
	}
	PQclear(res);
	st->cursor_open = true;
	return fetch_batch(st);
}

static int start(struct pg_stmt *st)
{
	struct bph_db *db = st->base.db;

	st->running = true;
	if (st->stream)
		return open_cursor(st);
	st->last_batch = true;
	return take_result(st, PQexecPrepared(conn(db), st->name, st->nparams,
					      (const char *const *)st->vals,
					      st->lens, st->fmts, 0));
}

static int pg_step(struct bph_db_stmt *bst)
{
	struct pg_stmt *st = (struct pg_stmt *)bst;
	int rc;

	if (!st->running && (rc = start(st))) {
		st->running = false;
		return rc;
	}
	PQfreemem(st->blob);
	st->blob = NULL;
	if (++st->row < st->nrows)
		return BPH_DB_ROW;
	if (st->last_batch)
		return BPH_DB_DONE;
	if ((rc = fetch_batch(st)))
		return rc;
	return ++st->row < st->nrows ? BPH_DB_ROW : BPH_DB_DONE;
}

static void pg_column(struct bph_db_stmt *bst, int i, enum bph_db_type want,
		      struct bph_db_value *v)
{
	struct pg_stmt *st = (struct pg_stmt *)bst;
	const char *s;

	if (!st->res || st->row < 0 || st->row >= st->nrows ||
	    i >= PQnfields(st->res) || PQgetisnull(st->res, st->row, i)) {
		v->type = BPH_DB_T_NULL;
		return;
	}
	s = PQgetvalue(st->res, st->row, i);
	v->type = want;
	if (want == BPH_DB_T_INT)
		v->i = strtoll(s, NULL, 10);
	else if (want == BPH_DB_T_DOUBLE)
		v->d = strtod(s, NULL);
	else if (want == BPH_DB_T_TEXT)
		v->p = s;
	if (want != BPH_DB_T_BLOB)
		return;
	if (PQftype(st->res, i) != BYTEA_OID) {
		v->p = s;
		v->n = (size_t)PQgetlength(st->res, st->row, i);
		return;
	}
	PQfreemem(st->blob);
	st->blob = PQunescapeBytea((const unsigned char *)s, &v->n);
	v->p = st->blob;
	v->type = st->blob ? BPH_DB_T_BLOB : BPH_DB_T_NULL;
}

static int64_t pg_changes(struct bph_db_stmt *bst)
{
	return ((struct pg_stmt *)bst)->changes;
}

static int pg_reset(struct bph_db_stmt *bst)
{
	struct pg_stmt *st = (struct pg_stmt *)bst;
	char sql[48];

	drop_result(st);
	if (st->cursor_open &&
	    PQtransactionStatus(conn(bst->db)) != PQTRANS_INERROR) {
		snprintf(sql, sizeof(sql), "CLOSE %s", st->name);
		PQclear(PQexec(conn(bst->db), sql));
	}
	st->cursor_open = st->running = false;
	return 0;
}

static void pg_finalize(struct bph_db_stmt *bst)
{
	struct pg_stmt *st = (struct pg_stmt *)bst;
	char sql[48];

	if (!st)
		return;
	if (st->base.db)
		pg_reset(bst);
	if (st->prepared &&
	    PQtransactionStatus(conn(bst->db)) == PQTRANS_IDLE) {
		snprintf(sql, sizeof(sql), "DEALLOCATE %s", st->name);
		PQclear(PQexec(conn(bst->db), sql));
	} /* else it lives until the connection ends: harmless */
	for (int i = 0; st->vals && i < st->nparams; i++)
		free(st->vals[i]);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->sql);
	free(st);
}

static int pg_begin(struct bph_db *db, enum bph_db_txn mode)
{
	return pg_exec(db, mode == BPH_DB_TXN_READ
			       ? "BEGIN ISOLATION LEVEL REPEATABLE READ"
			       : "BEGIN");
}

/* COMMIT of an aborted transaction "succeeds" as ROLLBACK: a failure. */
static int pg_end(struct bph_db *db, bool commit)
{
	PGresult *res = PQexec(conn(db), commit ? "COMMIT" : "ROLLBACK");
	int rc = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(db, res);
	else if (commit && !strcmp(PQcmdStatus(res), "ROLLBACK"))
		rc = bph_db_fail(db, BPH_DB_EOTHER,
				 "the transaction failed and was rolled back");
	PQclear(res);
	return rc;
}

static int pg_lock_schema(struct bph_db *db)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)",
		 SCHEMA_LOCK_KEY);
	return pg_exec(db, sql);
}

static int pg_identify(struct bph_db *db, struct bph_db_identity *id)
{
	PGresult *res =
	    PQexec(conn(db), "SELECT to_regclass('bph_schema') IS NOT NULL,"
			     " (SELECT count(*) FROM pg_catalog.pg_tables"
			     "  WHERE schemaname = current_schema())");
	long tables;
	int rc = 0;

	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		rc = pg_fail(db, res);
		PQclear(res);
		return rc;
	}
	id->ours = PQgetvalue(res, 0, 0)[0] == 't';
	tables = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	id->empty = tables == 0;
	snprintf(id->what, sizeof(id->what),
		 "a PostgreSQL schema holding %ld tables of another program",
		 tables);
	PQclear(res);
	return 0;
}

static int pg_mark(struct bph_db *db, int core_version)
{
	(void)db; /* the bph_schema table is the mark */
	(void)core_version;
	return 0;
}

/* Makes room for need bytes in the COPY buffer (sending what it holds). */
static int copy_room(struct pg_bulk *b, size_t need)
{
	if (b->n + need > b->cap) {
		if (b->n &&
		    PQputCopyData(conn(b->base.db), b->buf, (int)b->n) != 1)
			return pg_fail(b->base.db, NULL);
		b->n = 0;
	}
	if (need > b->cap) {
		char *bigger = realloc(b->buf, need);
		if (!bigger)
			return bph_db_fail(b->base.db, BPH_DB_ENOMEM,
					   "out of memory");
		b->buf = bigger;
		b->cap = need;
	}
	return 0;
}

static int copy_raw(struct pg_bulk *b, const char *s, size_t len)
{
	int rc = copy_room(b, len);

	if (!rc) {
		memcpy(b->buf + b->n, s, len);
		b->n += len;
	}
	return rc;
}

/* COPY text format: \N for NULL; backslash, tab, newline, CR escaped. */
static int copy_put(struct pg_bulk *b, const char *s, size_t len)
{
	int rc = copy_room(b, len * 2);

	if (rc)
		return rc;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		const char *esc = c == '\\'   ? "\\\\"
				  : c == '\t' ? "\\t"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
					      : NULL;
		if (esc) {
			memcpy(b->buf + b->n, esc, 2);
			b->n += 2;
		} else {
			b->buf[b->n++] = c;
		}
	}
	return 0;
}

static int pg_bulk_field(struct bph_db_bulk *bb, const struct bph_db_value *v)
{
	struct pg_bulk *b = (struct pg_bulk *)bb;
	char num[32];
	int rc = 0;

	if (b->err)
		return b->err;
	if (bb->col > 1)
		rc = copy_raw(b, "\t", 1);
	if (rc) {
	} else if (v->type == BPH_DB_T_NULL) {
		rc = copy_raw(b, "\\N", 2);
	} else if (v->type == BPH_DB_T_INT) {
		int len = snprintf(num, sizeof(num), "%lld", (long long)v->i);
		rc = copy_put(b, num, (size_t)len);
	} else if (v->type == BPH_DB_T_TEXT) {
		rc = copy_put(b, v->p, strlen(v->p));
	} else {
		rc = bph_db_fail(bb->db, BPH_DB_EOTHER,
				 "bulk insert: unsupported field type");
	}
	return b->err = rc;
}

static int pg_bulk_row(struct bph_db_bulk *bb)
{
	struct pg_bulk *b = (struct pg_bulk *)bb;

	if (!b->err)
		b->err = copy_raw(b, "\n", 1);
	return b->err;
}

/* Ends the COPY (with an error message: aborted); 0 when it succeeded. */
static int copy_end(struct pg_bulk *b, bool flush)
{
	PGconn *c = conn(b->base.db);
	PGresult *res;
	int rc = 0;

	if (flush && b->n && PQputCopyData(c, b->buf, (int)b->n) != 1)
		flush = false;
	if (PQputCopyEnd(c, flush ? NULL : "aborted by bphound") != 1)
		rc = pg_fail(b->base.db, NULL);
	while ((res = PQgetResult(c))) {
		if (!rc && PQresultStatus(res) != PGRES_COMMAND_OK)
			rc = pg_fail(b->base.db, res);
		PQclear(res);
	}
	return rc;
}

static int pg_bulk_end(struct bph_db_bulk *bb, bool flush)
{
	struct pg_bulk *b = (struct pg_bulk *)bb;
	int rc = copy_end(b, flush && !b->err);
	char *sql = NULL;

	if (b->err)
		rc = b->err;
	if (!rc && flush && b->conflict &&
	    asprintf(&sql,
		     "INSERT INTO %s(%s) SELECT %s FROM bph_stage_%s %s;"
		     " TRUNCATE bph_stage_%s",
		     b->table, b->cols, b->cols, b->table, b->conflict,
		     b->table) < 0)
		rc = bph_db_fail(bb->db, BPH_DB_ENOMEM, "out of memory");
	if (sql)
		rc = pg_exec(bb->db, sql);
	free(sql);
	free(b->table);
	free(b->cols);
	free(b->conflict);
	free(b->buf);
	free(b);
	return flush ? rc : 0;
}

/* The COPY target: the table, or its staging twin for a conflict clause. */
static int copy_start(struct pg_bulk *b)
{
	struct bph_db *db = b->base.db;
	char *sql = NULL;
	PGresult *res;
	int rc = 0;

	if (b->conflict &&
	    asprintf(&sql,
		     "CREATE TEMP TABLE IF NOT EXISTS bph_stage_%s AS"
		     " SELECT %s FROM %s LIMIT 0; TRUNCATE bph_stage_%s",
		     b->table, b->cols, b->table, b->table) >= 0) {
		rc = pg_exec(db, sql);
		free(sql);
		sql = NULL;
	}
	if (rc)
		return rc;
	if (asprintf(&sql, "COPY %s%s(%s) FROM STDIN",
		     b->conflict ? "bph_stage_" : "", b->table, b->cols) < 0)
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	res = PQexec(conn(db), sql);
	free(sql);
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = pg_fail(db, res);
	PQclear(res);
	return rc;
}

static int pg_bulk_begin(struct bph_db *db, const char *table, const char *cols,
			 int ncols, const char *conflict,
			 struct bph_db_bulk **out)
{
	struct pg_bulk *b = calloc(1, sizeof(*b));
	int rc;

	(void)ncols;
	if (!b || !(b->table = strdup(table)) || !(b->cols = strdup(cols)) ||
	    (conflict && !(b->conflict = strdup(conflict))) ||
	    !(b->buf = malloc(b->cap = COPY_BUF))) {
		if (b) {
			free(b->table);
			free(b->cols);
			free(b->conflict);
		}
		free(b);
		return bph_db_fail(db, BPH_DB_ENOMEM, "out of memory");
	}
	b->base.db = db;
	if ((rc = copy_start(b))) {
		free(b->table);
		free(b->cols);
		free(b->conflict);
		free(b->buf);
		free(b);
		return rc;
	}
	*out = &b->base;
	return 0;
}

static const struct bph_db_ops pg_ops = {
    .id_type = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .blob_type = "BYTEA",
    .norowid = "",
    .close = pg_close,
    .prepare_writes = pg_nothing,
    .tune_bulk = pg_nothing,
    .publishing = NULL, /* the server decides */
    .exec = pg_exec,
    .prepare = pg_prepare,
    .bind = pg_bind,
    .step = pg_step,
    .column = pg_column,
    .changes = pg_changes,
    .reset = pg_reset,
    .finalize = pg_finalize,
    .begin = pg_begin,
    .end = pg_end,
    .lock_schema = pg_lock_schema,
    .identify = pg_identify,
    .mark = pg_mark,
    .bulk_begin = pg_bulk_begin,
    .bulk_field = pg_bulk_field,
    .bulk_row = pg_bulk_row,
    .bulk_end = pg_bulk_end,
};

static void quiet_notice(void *arg, const char *msg)
{
	(void)arg; /* "relation already exists, skipping" and the like */
	(void)msg;
}

/* A password belongs in ~/.pgpass or PGPASSFILE, never in argv. */
static int check_uri(const char *uri, char *err, size_t errlen)
{
	char *perr = NULL;
	PQconninfoOption *opts = PQconninfoParse(uri, &perr);
	int rc = 0;

	if (!opts) {
		snprintf(err, errlen, "bad connection URI: %s",
			 perr ? perr : "out of memory");
		PQfreemem(perr);
		return BPH_ERR_USAGE;
	}
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && o->val[0]) {
			snprintf(err, errlen,
				 "the URI holds a password: put it in "
				 "~/.pgpass (or the file PGPASSFILE names) "
				 "instead, never on the command line");
			rc = BPH_ERR_USAGE;
		}
	PQconninfoFree(opts);
	return rc;
}

static int pg_connect(struct pg_db *d, const char *uri, unsigned flags)
{
	const char *keys[] = {"dbname", "fallback_application_name",
			      "client_encoding", NULL};
	const char *vals[] = {uri, "bphound", "UTF8", NULL};

	d->c = PQconnectdbParams(keys, vals, 1);
	if (!d->c)
		return bph_db_fail(&d->base, BPH_DB_ENOMEM, "out of memory");
	if (PQstatus(d->c) != CONNECTION_OK)
		return fail_msg(&d->base, BPH_DB_ECONN, PQerrorMessage(d->c));
	PQsetNoticeProcessor(d->c, quiet_notice, NULL);
	/* readers never write: the server refuses it for them */
	return pg_exec(&d->base, flags & BPH_DB_READONLY
				     ? "SET default_transaction_read_only = on"
				     : "SET default_transaction_read_only = "
				       "off");
}

int bph_db_pg_open(const char *uri, unsigned flags, struct bph_db **out,
		   char *err, size_t errlen)
{
	struct pg_db *d;
	int rc = check_uri(uri, err, errlen);

	if (rc)
		return rc;
	if (!(d = calloc(1, sizeof(*d)))) {
		snprintf(err, errlen, "out of memory");
		return BPH_ERR_NOMEM;
	}
	d->base.ops = &pg_ops;
	d->base.backend = BPH_DB_PG;
	if ((rc = pg_connect(d, uri, flags))) {
		snprintf(err, errlen, "%s", d->base.msg);
		pg_close(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}
