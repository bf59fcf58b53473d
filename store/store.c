#include "store/store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fingerprints/text.h"
#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/store_int.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS scans("
    " id INTEGER PRIMARY KEY, kind TEXT NOT NULL, args TEXT,"
    " started INTEGER NOT NULL, finished INTEGER);"
    "CREATE TABLE IF NOT EXISTS services("
    " id INTEGER PRIMARY KEY,"
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " ip TEXT NOT NULL, port INTEGER NOT NULL, state TEXT NOT NULL,"
    " seen INTEGER NOT NULL, record TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS services_ip ON services(ip, scan_id);"
    "CREATE TABLE IF NOT EXISTS artifacts("
    " scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " ip TEXT NOT NULL, port INTEGER NOT NULL, kind TEXT NOT NULL,"
    " value TEXT NOT NULL, seen INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS artifacts_kv ON artifacts(kind, value);"
    "CREATE INDEX IF NOT EXISTS artifacts_ip ON artifacts(ip);"
    /* resume checkpoints of interrupted SYN scans (store_resume.c) */
    "CREATE TABLE IF NOT EXISTS synscan_resume("
    " scan_id INTEGER PRIMARY KEY, targets TEXT NOT NULL,"
    " ports TEXT NOT NULL, exclude TEXT, allow_reserved INTEGER NOT NULL,"
    " seed INTEGER NOT NULL, shard_index INTEGER NOT NULL,"
    " shard_count INTEGER NOT NULL, rate INTEGER NOT NULL,"
    " retries INTEGER NOT NULL, wait_ms INTEGER NOT NULL,"
    " pass INTEGER NOT NULL DEFAULT 0, pos INTEGER NOT NULL DEFAULT 0,"
    " done INTEGER NOT NULL DEFAULT 0, updated INTEGER);"
    "CREATE TABLE IF NOT EXISTS synscan_resume_open("
    " scan_id INTEGER NOT NULL, ip INTEGER NOT NULL, port INTEGER NOT NULL,"
    " tcp BLOB, PRIMARY KEY(scan_id, ip, port));";

static int db_fail(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what,
			 db ? sqlite3_errmsg(db) : "cannot allocate");
	return BPH_ERR_DB;
}

/* mkdir -p of the directory part of path. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path);
	int rc = dir ? 0 : BPH_ERR_NOMEM;

	for (char *p = dir ? dir + 1 : NULL; p && *p && !rc; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) && errno != EEXIST) {
			snprintf(err, errlen, "mkdir %s: %s", dir,
				 strerror(errno));
			rc = BPH_ERR_IO;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? 0 : BPH_ERR_DB;
}

static int init_schema(sqlite3 *db, char *err, size_t errlen)
{
	int v = 0;

	if (sqlite3_exec(db,
			 "PRAGMA busy_timeout=5000; PRAGMA journal_mode=WAL;"
			 "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    user_version(db, &v))
		return db_fail(db, "pragma", err, errlen);
	if (v > BPH_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %d is newer than %d", v,
			 BPH_STORE_SCHEMA_VERSION);
		return BPH_ERR_DB;
	}
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema_sql, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA user_version=1; COMMIT", NULL, NULL,
			 NULL) != SQLITE_OK) {
		int rc = db_fail(db, "schema", err, errlen);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

int bph_store_open(const char *path, struct bph_store **out, char *err,
		   size_t errlen)
{
	struct bph_store *st = calloc(1, sizeof(*st));
	int rc = st ? make_parents(path, err, errlen) : BPH_ERR_NOMEM;

	if (rc)
		goto out;
	if (sqlite3_open(path, &st->db) != SQLITE_OK) {
		rc = db_fail(st->db, path, err, errlen);
		goto out;
	}
	if ((rc = init_schema(st->db, err, errlen)))
		goto out;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO services(scan_id, ip, port, state,"
			       " seen, record) VALUES (?,?,?,?,?,?)",
			       -1, &st->ins_service, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db,
			       "INSERT INTO artifacts(scan_id, ip, port, kind,"
			       " value, seen) VALUES (?,?,?,?,?,?)",
			       -1, &st->ins_artifact, NULL) != SQLITE_OK)
		rc = db_fail(st->db, "prepare", err, errlen);
out:
	if (rc) {
		bph_store_close(st);
		st = NULL;
	}
	*out = st;
	return rc;
}

void bph_store_close(struct bph_store *st)
{
	if (!st)
		return;
	sqlite3_finalize(st->ins_service);
	sqlite3_finalize(st->ins_artifact);
	sqlite3_close(st->db);
	free(st);
}

char *bph_store_default_path(void)
{
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");
	char *path = NULL;

	if (xdg && xdg[0] == '/') {
		if (asprintf(&path, "%s/bphound/bphound.db", xdg) < 0)
			return NULL;
		return path;
	}
	if (!home || !home[0]) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home ||
	    asprintf(&path, "%s/.local/share/bphound/bphound.db", home) < 0)
		return NULL;
	return path;
}

/* Runs a one-shot statement binding (text, text, int64) as given. */
static int exec_bound(struct bph_store *st, const char *sql, const char *t1,
		      const char *t2, int64_t i1, int64_t *rowid)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(q, 1, t1, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(q, 2, t2, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(q, 3, i1);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return BPH_ERR_DB;
	if (rowid)
		*rowid = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int bph_store_scan_begin(struct bph_store *st, const char *kind,
			 const char *args, int64_t *scan_id)
{
	return exec_bound(st,
			  "INSERT INTO scans(kind, args, started) "
			  "VALUES (?1, ?2, ?3)",
			  kind, args, (int64_t)time(NULL), scan_id);
}

int bph_store_scan_end(struct bph_store *st, int64_t scan_id)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(
	    st->db, "UPDATE scans SET finished = ?1 WHERE id = ?2", -1, &q,
	    NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, (int64_t)time(NULL));
		sqlite3_bind_int64(q, 2, scan_id);
		rc = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : BPH_ERR_DB;
}

int bph_store_scan_kind(struct bph_store *st, int64_t scan_id, char *out,
			size_t outlen)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(
	    st->db, "SELECT kind FROM scans WHERE id = ?1", -1, &q, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, scan_id);
		rc = sqlite3_step(q);
	}
	if (rc == SQLITE_ROW)
		snprintf(out, outlen, "%s",
			 (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	return rc == SQLITE_ROW	   ? 0
	       : rc == SQLITE_DONE ? BPH_ERR_USAGE
				   : BPH_ERR_DB;
}

struct art_ctx {
	struct bph_store *st;
	int64_t scan_id, seen;
	const char *ip;
	int rc;
};

/* bph_artifact_cb: one artifacts row; values are cleaned to valid UTF-8 so
 * that live records and imported JSON yield identical artifacts. */
static void put_artifact(void *vctx, const char *kind, const char *value,
			 uint16_t port)
{
	struct art_ctx *c = vctx;
	sqlite3_stmt *q = c->st->ins_artifact;
	char *clean;

	if (c->rc)
		return;
	clean = bph_text_clean(value, BPH_TEXT_UTF8);
	if (!clean) {
		c->rc = BPH_ERR_NOMEM;
		return;
	}
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, c->scan_id);
	sqlite3_bind_text(q, 2, c->ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, port);
	sqlite3_bind_text(q, 4, kind, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 5, clean, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 6, c->seen);
	if (sqlite3_step(q) != SQLITE_DONE)
		c->rc = BPH_ERR_DB;
	free(clean);
}

static int put_service(struct bph_store *st, int64_t scan_id,
		       const struct bph_service *s, const char *ip,
		       int64_t seen)
{
	sqlite3_stmt *q = st->ins_service;
	json_t *j = bph_service_to_json(s);
	char *text =
	    j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	int rc = text ? 0 : BPH_ERR_NOMEM;

	json_decref(j);
	if (rc)
		return rc;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, scan_id);
	sqlite3_bind_text(q, 2, ip, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(q, 3, s->port);
	sqlite3_bind_text(q, 4, bph_state_name(s->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, seen);
	sqlite3_bind_text(q, 6, text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = BPH_ERR_DB;
	free(text);
	return rc;
}

int bph_store_put(struct bph_store *st, int64_t scan_id,
		  const struct bph_service *s)
{
	char ip[16];
	int64_t seen = s->seen ? (int64_t)s->seen : (int64_t)time(NULL);
	struct art_ctx c = {st, scan_id, seen, ip, 0};
	int rc;

	bph_ip_str(s->ip, ip);
	if (sqlite3_exec(st->db, "SAVEPOINT put", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return BPH_ERR_DB;
	rc = put_service(st, scan_id, s, ip, seen);
	if (!rc && s->state == BPH_STATE_OPEN) {
		bph_service_artifacts(s, put_artifact, &c);
		rc = c.rc;
	}
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK TO put", NULL, NULL, NULL);
	if (sqlite3_exec(st->db, "RELEASE put", NULL, NULL, NULL) !=
		SQLITE_OK &&
	    !rc)
		rc = BPH_ERR_DB;
	return rc;
}

static int load_hosts(struct bph_store *st, struct bph_graph *g)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(
	    st->db, "SELECT DISTINCT ip FROM services WHERE state = 'open'", -1,
	    &q, NULL);
	int err = rc == SQLITE_OK ? 0 : BPH_ERR_DB;

	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW)
		err = bph_graph_add_host(
		    g, (const char *)sqlite3_column_text(q, 0));
	if (!err && rc != SQLITE_DONE)
		err = BPH_ERR_DB;
	sqlite3_finalize(q);
	return err;
}

int bph_store_load_graph(struct bph_store *st, struct bph_graph *g)
{
	sqlite3_stmt *q = NULL;
	int rc, err = load_hosts(st, g);

	if (err)
		return err;
	/* A plain scan: the graph merges repeated (ip, kind, value, port)
	 * rows itself, widening the first/last window (cheaper than GROUP BY,
	 * which sorts every row in a temporary b-tree). */
	rc = sqlite3_prepare_v2(st->db,
				"SELECT ip, kind, value, port, seen"
				" FROM artifacts",
				-1, &q, NULL);
	err = rc == SQLITE_OK ? 0 : BPH_ERR_DB;
	while (!err && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *ip = (const char *)sqlite3_column_text(q, 0);
		const char *kind = (const char *)sqlite3_column_text(q, 1);
		const char *value = (const char *)sqlite3_column_text(q, 2);
		uint16_t port = (uint16_t)sqlite3_column_int(q, 3);
		err = bph_graph_add(g, ip, kind, value, port,
				    sqlite3_column_int64(q, 4));
	}
	if (!err && rc != SQLITE_DONE)
		err = BPH_ERR_DB;
	sqlite3_finalize(q);
	return err;
}
