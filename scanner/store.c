#include "scanner/store.h"

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

#include "cluster/cluster.h"
#include "cluster/text.h"
#include "fingerprints/err.h"
#include "scanner/import_nmap.h"
#include "scanner/import_zgrab.h"
#include "scanner/record_json.h"

struct bph_store {
	sqlite3 *db;
	sqlite3_stmt *ins_service, *ins_artifact;
};

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
    "CREATE INDEX IF NOT EXISTS artifacts_ip ON artifacts(ip);";

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

struct sqlite3 *bph_store_db(struct bph_store *st)
{
	return st->db;
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

/* ---- show ---- */

static void print_json_value(FILE *out, const json_t *v);
static void print_flat(FILE *out, const char *prefix, const json_t *obj);

/* An array reads as one line ("Server, Date") when no element holds a
 * comma or an object; otherwise one line per element, named name[i]
 * (KEXINIT name-lists, host keys). */
static bool one_line_array(const json_t *a)
{
	size_t i;
	json_t *e;

	json_array_foreach((json_t *)a, i, e)
	{
		if (!json_is_string(e) || strchr(json_string_value(e), ','))
			return false;
	}
	return true;
}

static void print_array(FILE *out, const char *name, const json_t *a)
{
	size_t i;
	json_t *e;

	json_array_foreach((json_t *)a, i, e)
	{
		char item[160];
		snprintf(item, sizeof(item), "%s[%zu]", name, i);
		if (json_is_object(e)) {
			print_flat(out, item, e);
			continue;
		}
		fprintf(out, "      %s: ", item);
		print_json_value(out, e);
		fputc('\n', out);
	}
}

/* Prints obj as "prefix.key: value" lines, recursing into objects. */
static void print_flat(FILE *out, const char *prefix, const json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)obj, key, v)
	{
		char name[128];
		snprintf(name, sizeof(name), "%s%s%s", prefix,
			 prefix[0] ? "." : "", key);
		if (json_is_object(v)) {
			print_flat(out, name, v);
			continue;
		}
		if (json_is_array(v) && !one_line_array(v)) {
			print_array(out, name, v);
			continue;
		}
		fprintf(out, "      %s: ", name);
		print_json_value(out, v);
		fputc('\n', out);
	}
}

static void print_json_value(FILE *out, const json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_string(v)) {
		bph_print_text(out, json_string_value(v));
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e)
		{
			fputs(i ? ", " : "", out);
			print_json_value(out, e);
		}
	} else {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		fputs(s ? s : "?", out);
		free(s);
	}
}

static void print_service_row(FILE *out, sqlite3_stmt *q, int64_t *last_scan)
{
	int64_t scan = sqlite3_column_int64(q, 0);
	time_t seen = (time_t)sqlite3_column_int64(q, 4);
	json_t *j =
	    json_loads((const char *)sqlite3_column_text(q, 5), 0, NULL);
	char when[32];
	struct tm tm;

	if (scan != *last_scan) {
		time_t started = (time_t)sqlite3_column_int64(q, 2);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
			 gmtime_r(&started, &tm));
		fprintf(out, "scan %lld (%s, %s)\n", (long long)scan,
			(const char *)sqlite3_column_text(q, 1), when);
		*last_scan = scan;
	}
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		 gmtime_r(&seen, &tm));
	fprintf(out, "  port %d %s, seen %s\n", sqlite3_column_int(q, 3),
		(const char *)sqlite3_column_text(q, 6), when);
	if (j) {
		json_object_del(j, "ip");
		json_object_del(j, "port");
		json_object_del(j, "state");
		json_object_del(j, "seen");
		print_flat(out, "", j);
	}
	json_decref(j);
}

static int print_history(struct bph_store *st, const char *ip, FILE *out,
			 size_t *rows)
{
	sqlite3_stmt *q = NULL;
	int64_t last_scan = -1;
	int rc = sqlite3_prepare_v2(
	    st->db,
	    "SELECT s.scan_id, c.kind, c.started, s.port, s.seen,"
	    " s.record, s.state FROM services s JOIN scans c"
	    " ON c.id = s.scan_id WHERE s.ip = ?1"
	    " ORDER BY s.scan_id, s.port",
	    -1, &q, NULL);

	if (rc != SQLITE_OK)
		return BPH_ERR_DB;
	sqlite3_bind_text(q, 1, ip, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		print_service_row(out, q, &last_scan);
		(*rows)++;
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : BPH_ERR_DB;
}

static int print_cluster(struct bph_store *st, const char *ip, FILE *out)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	int rc = g ? bph_store_load_graph(st, g) : BPH_ERR_NOMEM;

	if (!rc)
		rc = bph_cluster_run(g, NULL, &c);
	if (!rc && bph_clustering_host(c, ip) >= 0) {
		fputs("\ncluster evidence:\n", out);
		bph_clustering_print(c, ip, out);
	}
	bph_clustering_free(c);
	bph_graph_free(g);
	return rc;
}

int bph_store_show_host(struct bph_store *st, const char *ip, FILE *out)
{
	struct in_addr a;
	char norm[16];
	size_t rows = 0;
	int rc;

	if (inet_pton(AF_INET, ip, &a) != 1)
		return BPH_ERR_USAGE;
	bph_ip_str(ntohl(a.s_addr), norm);
	fprintf(out, "host %s\n", norm);
	if ((rc = print_history(st, norm, out, &rows)))
		return rc;
	if (!rows) {
		fputs("  no records in the store\n", out);
		return 0;
	}
	return print_cluster(st, norm, out);
}

/* ---- import ---- */

static void report(FILE *errout, const char *path, size_t line, const char *msg)
{
	if (errout)
		fprintf(errout, "%s:%zu: %s\n", path, line, msg);
}

/* Where importers of other formats put their services. */
struct put_ctx {
	struct bph_store *st;
	int64_t scan_id;
	size_t n;
};

/* bph_import_cb: one service of an nmap or ZGrab2 import into the store. */
static int put_imported(void *vctx, const struct bph_service *s)
{
	struct put_ctx *p = vctx;
	int rc = bph_store_put(p->st, p->scan_id, s);

	p->n += rc == 0;
	return rc;
}

/* One ZGrab2 line; returns 1 for a bad line, 0, or an error. */
static int import_zgrab_line(struct bph_store *st, int64_t scan_id,
			     const json_t *j, char *msg, size_t msglen)
{
	struct put_ctx p = {st, scan_id, 0};
	size_t bad = 0;
	int rc = bph_import_zgrab(j, put_imported, &p, &bad, msg, msglen);

	if (rc == BPH_ERR_FORMAT || (!rc && bad && !p.n))
		return 1;
	return rc;
}

/* Parses and stores one line (bphound JSON Lines, or a ZGrab2 record);
 * returns 1 for a bad line, 0, or an error. */
static int import_line(struct bph_store *st, int64_t scan_id, const char *text,
		       size_t len, char *msg, size_t msglen)
{
	struct bph_service s = {0};
	json_error_t jerr;
	json_t *j = json_loadb(text, len, 0, &jerr);
	int rc;

	if (!j) {
		snprintf(msg, msglen, "column %d: %s", jerr.column, jerr.text);
		return 1;
	}
	if (bph_import_is_zgrab(j)) {
		rc = import_zgrab_line(st, scan_id, j, msg, msglen);
		json_decref(j);
		return rc;
	}
	rc = bph_service_from_json(j, &s, msg, msglen);
	json_decref(j);
	if (rc == BPH_ERR_FORMAT)
		rc = 1;
	else if (!rc)
		rc = bph_store_put(st, scan_id, &s);
	bph_service_clear(&s);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

static int import_stream(struct bph_store *st, int64_t scan_id, FILE *f,
			 const char *path, FILE *errout, size_t *ok,
			 size_t *bad)
{
	char *line = NULL, msg[256];
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;

	while (!rc && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (blank(line, (size_t)n))
			continue;
		msg[0] = '\0';
		rc =
		    import_line(st, scan_id, line, (size_t)n, msg, sizeof(msg));
		if (rc == 1) {
			report(errout, path, lineno, msg);
			(*bad)++;
			rc = 0;
		} else if (!rc) {
			(*ok)++;
		}
		/* commit in batches: each commit rewrites the index pages it
		 * touched into the WAL (1000-line batches took twice as long)
		 */
		if (!rc && lineno % 10000 == 0 &&
		    sqlite3_exec(st->db, "COMMIT; BEGIN", NULL, NULL, NULL))
			rc = BPH_ERR_DB;
	}
	if (!rc && ferror(f))
		rc = BPH_ERR_IO;
	free(line);
	return rc;
}

#define MAX_XML ((size_t)1 << 30)

/* The whole of f (at most MAX_XML bytes) in a heap buffer, or NULL. */
static char *slurp(FILE *f, size_t *len)
{
	size_t cap = 1 << 20, n = 0, got;
	char *buf = malloc(cap), *p;

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n < cap)
			continue;
		if (cap >= MAX_XML || !(p = realloc(buf, cap * 2))) {
			free(buf);
			return NULL;
		}
		buf = p;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* An nmap XML file as one import: every open port one record. */
static int import_nmap_file(struct bph_store *st, int64_t scan_id, FILE *f,
			    const char *path, FILE *errout, size_t *ok,
			    size_t *bad)
{
	struct put_ctx p = {st, scan_id, 0};
	char msg[256] = "";
	size_t len = 0;
	char *buf = slurp(f, &len);
	int rc = buf ? bph_import_nmap(buf, len, put_imported, &p, bad, msg,
				       sizeof(msg))
		     : BPH_ERR_IO;

	free(buf);
	*ok = p.n;
	if (rc == BPH_ERR_FORMAT) {
		(*bad)++;
		rc = 0;
	}
	if (msg[0])
		report(errout, path, 0, msg);
	return rc;
}

/* Whether f starts like nmap XML (f is rewound). */
static bool looks_like_nmap(FILE *f)
{
	char head[4096];
	size_t n = fread(head, 1, sizeof(head), f);

	rewind(f);
	return bph_import_is_nmap(head, n);
}

int bph_store_import_jsonl(struct bph_store *st, const char *path, FILE *errout,
			   size_t *ok, size_t *bad)
{
	FILE *f = fopen(path, "r");
	int64_t scan_id = 0;
	int rc;

	*ok = *bad = 0;
	if (!f) {
		report(errout, path, 0, strerror(errno));
		return BPH_ERR_IO;
	}
	rc = bph_store_scan_begin(st, "import", path, &scan_id);
	/* a 64 MiB page cache for this connection: index inserts of a big
	 * import otherwise spill the default 2 MiB cache on every batch */
	if (!rc &&
	    sqlite3_exec(st->db, "PRAGMA cache_size=-65536", NULL, NULL, NULL))
		rc = BPH_ERR_DB;
	if (!rc && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL))
		rc = BPH_ERR_DB;
	if (!rc) {
		if (looks_like_nmap(f))
			rc = import_nmap_file(st, scan_id, f, path, errout, ok,
					      bad);
		else
			rc = import_stream(st, scan_id, f, path, errout, ok,
					   bad);
		if (sqlite3_exec(st->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL,
				 NULL) &&
		    !rc)
			rc = BPH_ERR_DB;
	}
	if (!rc)
		rc = bph_store_scan_end(st, scan_id);
	fclose(f);
	return rc;
}
