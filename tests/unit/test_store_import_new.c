/*
 * An import that creates its store (store/import_new.c): built apart and
 * moved into place in WAL mode with the same rows as an import into an
 * existing store; not taken where it must not be (an existing store, a
 * pipe, a WAL without its store); malformed nmap XML keeping what came
 * before its fault; the builds of killed imports removed, a
 * live one's kept (its process seen, or its SQLite lock held); a write that
 * fails (a file size limit) leaves no store and no build; a rollback without a
 * journal marks the connection torn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fingerprints/err.h"
#include "store/db_int.h"
#include "store/store.h"
#include "testlib/testlib.h"

/* n records (bph_test_records) into path. */
static void write_records(const char *path, size_t n)
{
	size_t len = 0;
	char *data = bph_test_records(n, &len);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	free(data);
}

/* The one text sql gives on db (a new string), opened read-only. */
static char *query(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		out = strdup((const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(h);
	assert_non_null(out);
	return out;
}

static bool exists(const char *path)
{
	struct stat sb;

	return !lstat(path, &sb);
}

static int import_new(const char *db, const char *in, bool *done,
		      struct bph_import_stats *s, char **msgs)
{
	size_t len = 0;
	char err[256] = "";
	FILE *e = open_memstream(msgs, &len);
	struct bph_import_opts o = {.errout = e, .threads = 2};
	int rc = bph_store_import_new(db, in, &o, s, done, err, sizeof(err));

	fprintf(e, "%s", err);
	fclose(e);
	return rc;
}

/* Every row of the graph's tables and the services, as text. */
static const char *const tables[] = {
    "SELECT group_concat(x, ';') FROM (SELECT ip || ',' || port || ',' ||"
    " seen AS x FROM services ORDER BY x)",
    "SELECT group_concat(x, ';') FROM (SELECT kind || '=' || value || ','"
    " || holders AS x FROM arts ORDER BY x)",
    "SELECT group_concat(x, ';') FROM (SELECT h.ip || ',' || a.kind || '='"
    " || a.value || ',' || h.port || ',' || h.first_seen || ',' ||"
    " h.last_seen AS x FROM host_arts h JOIN arts a ON a.id = h.art"
    " ORDER BY x)",
    "SELECT group_concat(x, ';') FROM (SELECT h.ip || ',' || a.kind || '='"
    " || a.value AS x FROM art_hosts h JOIN arts a ON a.id = h.art"
    " ORDER BY x)",
    "SELECT group_concat(ip, ';') FROM hosts",
    "SELECT (SELECT count(*) FROM bulk_inc) + (SELECT count(*) FROM"
    " bulk_arts) + (SELECT count(*) FROM bulk_hosts) || ''",
};

static void test_builds_and_places(void **state)
{
	struct bph_test_dir *d = *state;
	char in[160], old[160], build[160];
	struct bph_import_stats s, t;
	struct bph_store *st = NULL;
	char *msgs = NULL, err[256] = "";
	bool done = false;

	snprintf(in, sizeof(in), "%s/in.jsonl", d->dir);
	snprintf(old, sizeof(old), "%s/old.db", d->dir);
	snprintf(build, sizeof(build), "%s.importing-%ld", d->db,
		 (long)getpid());
	write_records(in, 3000);
	assert_int_equal(import_new(d->db, in, &done, &s, &msgs), 0);
	assert_true(done);
	assert_int_equal(s.records, 3000);
	assert_int_equal(s.added, 3000);
	assert_false(exists(build));
	char *mode = query(d->db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	char *ok = query(d->db, "PRAGMA integrity_check");
	assert_string_equal(ok, "ok");
	free(ok);
	/* kept for readers who may not write the folder (store.h) */
	char side[192];
	snprintf(side, sizeof(side), "%s-shm", d->db);
	assert_true(exists(side));

	/* the same file into a store that exists: the usual import */
	assert_int_equal(
	    bph_store_open(old, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	assert_int_equal(
	    bph_store_import_file(st, in, NULL, &t, err, sizeof(err)), 0);
	bph_store_close(st);
	assert_int_equal(t.records, 3000);
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char *a = query(d->db, tables[i]), *b = query(old, tables[i]);
		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	free(msgs);
}

static void test_not_taken(void **state)
{
	struct bph_test_dir *d = *state;
	char in[160], fifo[160], wal[160], missing[192];
	struct bph_import_stats s;
	struct bph_store *st = NULL;
	char *msgs = NULL, err[256] = "";
	bool done = true;

	snprintf(in, sizeof(in), "%s/in.jsonl", d->dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", d->dir);
	snprintf(wal, sizeof(wal), "%s-wal", d->db);
	snprintf(missing, sizeof(missing), "%s/no/such/s.db", d->dir);
	write_records(in, 10);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	/* standard input and a FIFO cannot be read again after a race */
	assert_int_equal(import_new(d->db, "-", &done, &s, &msgs), 0);
	assert_false(done);
	free(msgs);
	assert_int_equal(import_new(d->db, fifo, &done, &s, &msgs), 0);
	assert_false(done);
	free(msgs);
	/* a missing folder: the usual open says what is wrong */
	assert_int_equal(import_new(missing, in, &done, &s, &msgs), 0);
	assert_false(done);
	free(msgs);
	/* a WAL whose store is gone would be replayed into a new one */
	FILE *f = fopen(wal, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(import_new(d->db, in, &done, &s, &msgs), 0);
	assert_false(done);
	assert_false(exists(d->db));
	free(msgs);
	unlink(wal);
	/* a store that exists */
	assert_int_equal(
	    bph_store_open(d->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	bph_store_close(st);
	assert_int_equal(import_new(d->db, in, &done, &s, &msgs), 0);
	assert_false(done);
	char *n = query(d->db, "SELECT count(*) || '' FROM services");
	assert_string_equal(n, "0");
	free(n);
	free(msgs);
}

/* nmap XML that turns malformed after its first host: what came before
 * the fault is kept and the store placed, as any import keeps it (exit 2
 * in the CLI), since no write failed. */
static void test_malformed_keeps_before(void **state)
{
	struct bph_test_dir *d = *state;
	const char *top = getenv("BPH_SRCDIR");
	char src[512], in[160], build[192], *text = NULL, *msgs = NULL;
	struct bph_import_stats s;
	bool done = false;
	size_t len = 0;

	snprintf(src, sizeof(src), "%s/tests/data/import/nmap_local.xml",
		 top ? top : ".");
	snprintf(in, sizeof(in), "%s/in.xml", d->dir);
	snprintf(build, sizeof(build), "%s.importing-%ld", d->db,
		 (long)getpid());
	FILE *f = fopen(src, "r");
	assert_non_null(f);
	assert_int_equal(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	char *end = strstr(text, "</host>");
	assert_non_null(end);
	f = fopen(in, "w");
	assert_non_null(f);
	fprintf(f, "%.*s</host>\n<host><broken\n", (int)(end - text), text);
	assert_int_equal(fclose(f), 0);
	free(text);

	assert_int_equal(import_new(d->db, in, &done, &s, &msgs),
			 BPH_ERR_FORMAT);
	assert_true(done);
	assert_true(s.records > 0);
	assert_false(exists(build));
	char *n = query(d->db, "SELECT count(*) || '' FROM services");
	assert_int_equal(strtoull(n, NULL, 10), s.records);
	free(n);
	free(msgs);
}

static void touch(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fclose(f);
}

/* A PID no process has (one that has just exited). */
static pid_t dead_pid(void)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (!child)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	return child;
}

static void test_stale_builds(void **state)
{
	struct bph_test_dir *d = *state;
	char in[160], dead[192], live[192], other[192], held[192];
	struct bph_import_stats s;
	char *msgs = NULL;
	bool done = false;
	pid_t child = dead_pid();
	int ready[2], hold[2];
	char c;

	/* a build by a process this PID namespace does not show (named by a
	 * PID that is gone) holds its SQLite lock: kept */
	snprintf(held, sizeof(held), "%s.importing-%ld", d->db,
		 (long)dead_pid());
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid_t holder = fork();
	assert_true(holder >= 0);
	if (!holder) {
		sqlite3 *h;
		close(hold[1]);
		if (sqlite3_open(held, &h) ||
		    sqlite3_exec(h,
				 "PRAGMA locking_mode=EXCLUSIVE;"
				 " PRAGMA journal_mode=OFF; CREATE TABLE t(x)",
				 NULL, NULL, NULL))
			_exit(1);
		if (write(ready[1], "r", 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(1);
		_exit(0); /* at the parent's close */
	}
	close(hold[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	snprintf(in, sizeof(in), "%s/in.jsonl", d->dir);
	snprintf(dead, sizeof(dead), "%s.importing-%ld", d->db, (long)child);
	snprintf(live, sizeof(live), "%s.importing-%ld", d->db,
		 (long)getppid());
	snprintf(other, sizeof(other), "%s/t.db.importing-%ld", d->dir,
		 (long)child);
	write_records(in, 10);
	touch(dead);
	touch(live);
	touch(other);
	assert_int_equal(import_new(d->db, in, &done, &s, &msgs), 0);
	assert_true(done);
	assert_int_equal(s.records, 10);
	assert_false(exists(dead)); /* its process is gone */
	assert_true(exists(live));  /* another import may be building it */
	assert_true(exists(other)); /* another store's */
	assert_true(exists(held));
	close(hold[1]);
	close(ready[0]);
	int status = -1;
	assert_int_equal(waitpid(holder, &status, 0), holder);
	assert_int_equal(status, 0);
	assert_non_null(strstr(msgs, "removed"));
	assert_non_null(strstr(msgs, dead));
	free(msgs);
}

/* In a child: the import of n records with files limited to limit bytes
 * (SIGXFSZ ignored: writes past it fail with EFBIG). Exit 0 when it failed
 * and left neither the store nor its build. */
static int import_limited(const char *db, const char *in, rlim_t limit)
{
	struct rlimit r = {limit, limit};
	struct bph_import_stats s;
	char build[192], *msgs = NULL;
	bool done = false;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &r))
		return 10;
	rc = import_new(db, in, &done, &s, &msgs);
	snprintf(build, sizeof(build), "%s.importing-%ld", db, (long)getpid());
	bool said = msgs && strstr(msgs, "(the new store was not created)");
	fprintf(stderr, "rc %d, %zu records: %s\n", rc, s.records, msgs);
	free(msgs);
	if (!done || !rc)
		return 11;
	if (s.records || s.added)
		return 12;
	if (exists(db) || exists(build))
		return 13;
	return said ? 0 : 14;
}

static void test_failed_write_leaves_nothing(void **state)
{
	struct bph_test_dir *d = *state;
	char in[160];
	int status = -1;

	snprintf(in, sizeof(in), "%s/in.jsonl", d->dir);
	write_records(in, 60000); /* a store of several megabytes */
	pid_t child = fork();
	assert_true(child >= 0);
	if (!child)
		_exit(import_limited(d->db, in, 1 << 20));
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A connection to a new file at path (opened with BPH_DB_CREATE and
 * flags) holding a table t(x). */
static struct bph_db *table_t(const char *path, unsigned flags)
{
	struct bph_db *db = NULL;
	char err[256];

	assert_int_equal(
	    bph_db_open(path, BPH_DB_CREATE | flags, &db, err, sizeof(err)), 0);
	assert_int_equal(bph_db_prepare_writes(db), 0);
	assert_int_equal(bph_db_exec(db, "CREATE TABLE t(x)"), 0);
	return db;
}

/* A row written into t, then rolled back. */
static void insert_rolled_back(struct bph_db *db)
{
	assert_int_equal(bph_db_begin(db, BPH_DB_TXN_WRITE), 0);
	assert_int_equal(bph_db_exec(db, "INSERT INTO t VALUES (2)"), 0);
	bph_db_rollback(db);
}

/* The flag behind the above: a write rolled back without a journal
 * marks the connection torn, and so does a statement that fails; a read
 * does not, nor does a journaled connection's rollback. */
static void test_torn(void **state)
{
	struct bph_test_dir *d = *state;
	struct bph_db *db;
	char other[160];

	db = table_t(d->db, BPH_DB_UNJOURNALED);
	assert_int_equal(bph_db_begin(db, BPH_DB_TXN_READ), 0);
	assert_int_equal(bph_db_exec(db, "SELECT count(*) FROM t"), 0);
	assert_int_equal(bph_db_rollback(db), 0);
	assert_false(db->torn);
	assert_int_equal(bph_db_begin(db, BPH_DB_TXN_WRITE), 0);
	assert_int_equal(bph_db_exec(db, "INSERT INTO t VALUES (1)"), 0);
	assert_int_equal(bph_db_commit(db), 0);
	assert_false(db->torn);
	insert_rolled_back(db);
	assert_true(db->torn);
	bph_db_close(db);

	/* a statement that fails half-way (its first row written) marks it
	 * too, before any rollback */
	snprintf(other, sizeof(other), "%s/u.db", d->dir);
	db = table_t(other, BPH_DB_UNJOURNALED);
	assert_int_equal(bph_db_exec(db, "CREATE TABLE u(x UNIQUE)"), 0);
	assert_int_equal(bph_db_begin(db, BPH_DB_TXN_WRITE), 0);
	assert_int_equal(bph_db_exec(db, "INSERT INTO u VALUES (1)"), 0);
	assert_false(db->torn);
	assert_true(bph_db_exec(db, "INSERT INTO u VALUES (2), (1)") < 0);
	assert_true(db->torn);
	bph_db_rollback(db);
	bph_db_close(db);

	snprintf(other, sizeof(other), "%s/j.db", d->dir);
	db = table_t(other, 0);
	insert_rolled_back(db);
	assert_false(db->torn);
	bph_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_builds_and_places,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_not_taken, bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_keeps_before,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_stale_builds, bph_test_dir_setup, bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_failed_write_leaves_nothing,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_torn, bph_test_dir_setup,
					    bph_test_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
