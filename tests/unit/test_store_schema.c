/*
 * Opening stores (store/store.c, store/schema.c): a store of an older
 * bphound is upgraded with its data, a newer one refused, another
 * program's SQLite file refused untouched, and a reader changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "store/store.h"
#include "testlib/testlib.h"

static void exec_sql(const char *db, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static int64_t count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

/* The whole file, to compare before and after. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

/* The schema and rows a bphound before bph_schema wrote (user_version 1):
 * two hosts sharing a host key, seen in two scans. */
static const char v1_store[] =
    "CREATE TABLE scans(id INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " args TEXT, started INTEGER NOT NULL, finished INTEGER);"
    "CREATE TABLE services(id INTEGER PRIMARY KEY,"
    " scan_id INTEGER NOT NULL REFERENCES scans(id), ip TEXT NOT NULL,"
    " port INTEGER NOT NULL, state TEXT NOT NULL, seen INTEGER NOT NULL,"
    " record TEXT NOT NULL);"
    "CREATE INDEX services_ip ON services(ip, scan_id);"
    "CREATE TABLE artifacts(scan_id INTEGER NOT NULL REFERENCES scans(id),"
    " ip TEXT NOT NULL, port INTEGER NOT NULL, kind TEXT NOT NULL,"
    " value TEXT NOT NULL, seen INTEGER NOT NULL);"
    "CREATE INDEX artifacts_kv ON artifacts(kind, value);"
    "CREATE INDEX artifacts_ip ON artifacts(ip);"
    "INSERT INTO scans VALUES (1, 'scan', 'x', 100, 200),"
    " (2, 'import', 'y', 300, 400);"
    "INSERT INTO services(scan_id, ip, port, state, seen, record) VALUES"
    " (1, '198.18.0.1', 22, 'open', 150, '{\"ip\":\"198.18.0.1\",\"port\":22,"
    "\"state\":\"open\",\"seen\":150,\"ssh\":{\"hostkeys\":[{\"type\":"
    "\"ssh-ed25519\",\"sha256\":\"SHA256:shared\"}]}}'),"
    " (2, '198.18.0.1', 22, 'open', 350, '{\"ip\":\"198.18.0.1\",\"port\":22,"
    "\"state\":\"open\",\"seen\":350,\"ssh\":{\"hostkeys\":[{\"type\":"
    "\"ssh-ed25519\",\"sha256\":\"SHA256:shared\"}]}}'),"
    " (2, '198.18.0.2', 22, 'open', 360, '{\"ip\":\"198.18.0.2\",\"port\":22,"
    "\"state\":\"open\",\"seen\":360,\"ssh\":{\"hostkeys\":[{\"type\":"
    "\"ssh-ed25519\",\"sha256\":\"SHA256:shared\"}]}}');"
    "PRAGMA user_version = 1;";

static void test_upgrade_from_v1(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_store *st = NULL;
	struct bph_graph *g = bph_graph_new();
	char err[512] = "";

	exec_sql(f->db, v1_store);
	/* even a reader upgrades an older store (its one write) */
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_READ, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_load_graph(st, g), 0);
	assert_int_equal(g->n_hosts, 2);
	for (size_t i = 0; i < g->n_inc; i++)
		if (!strcmp(g->hosts[g->inc[i].host], "198.18.0.1")) {
			assert_int_equal(g->inc[i].first_seen, 150);
			assert_int_equal(g->inc[i].last_seen, 350);
		}
	bph_graph_free(g);
	bph_store_close(st);
	assert_int_equal(count(f->db, "SELECT count(*) FROM services"), 3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM services"
				      " WHERE scan_id = 2"),
			 2);
	assert_int_equal(count(f->db, "SELECT holders FROM arts"
				      " WHERE value = 'SHA256:shared'"),
			 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM sqlite_master"
				      " WHERE name IN ('artifacts',"
				      " 'services_v1')"),
			 0);
	assert_int_equal(count(f->db, "PRAGMA application_id"), 0x42504844);
}

static void test_newer_refused(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_store *st = NULL;
	char err[512] = "";

	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	bph_store_close(st);
	exec_sql(f->db, "INSERT INTO bph_schema VALUES ('core', 99, 0, 'x')");
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_READ, &st, err, sizeof(err)),
	    BPH_ERR_FORMAT);
	assert_null(st);
	assert_non_null(strstr(err, "newer bphound"));
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &st, err, sizeof(err)),
	    BPH_ERR_FORMAT);
	/* a module this build does not know is no reason to refuse */
	exec_sql(f->db, "DELETE FROM bph_schema WHERE version = 99;"
			"INSERT INTO bph_schema VALUES ('later', 3, 0, 'x')");
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_READ, &st, err, sizeof(err)), 0);
	bph_store_close(st);
}

static void test_foreign_untouched(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_store *st = NULL;
	char err[512] = "", wal[160];
	size_t n0, n1;

	exec_sql(f->db, "CREATE TABLE notes(x); INSERT INTO notes VALUES (1)");
	char *before = slurp(f->db, &n0);
	for (int write = 0; write < 2; write++) {
		assert_int_equal(
		    bph_store_open(f->db,
				   write ? BPH_STORE_WRITE : BPH_STORE_READ,
				   &st, err, sizeof(err)),
		    BPH_ERR_FORMAT);
		assert_non_null(strstr(err, "not a bphound store"));
	}
	char *after = slurp(f->db, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	assert_int_not_equal(access(wal, F_OK), 0); /* never switched to WAL */
	free(before);
	free(after);
	/* not a database at all */
	FILE *o = fopen(f->db, "wb");
	fputs("hello, this is text and no database at all.............", o);
	fclose(o);
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &st, err, sizeof(err)),
	    BPH_ERR_FORMAT);
}

static void test_reader_writes_nothing(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_store *st = NULL;
	struct bph_graph *g = bph_graph_new();
	char err[512] = "";
	size_t n0, n1;

	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	bph_store_close(st);
	char *before = slurp(f->db, &n0);
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_READ, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_load_graph(st, g), 0);
	bph_store_close(st);
	char *after = slurp(f->db, &n1);
	assert_int_equal(n0, n1);
	assert_memory_equal(before, after, n0);
	/* a reader never creates a store either */
	unlink(f->db);
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_READ, &st, err, sizeof(err)),
	    BPH_ERR_USAGE);
	assert_int_not_equal(access(f->db, F_OK), 0);
	bph_graph_free(g);
	free(before);
	free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_upgrade_from_v1,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_newer_refused, bph_test_dir_setup, bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_foreign_untouched,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_reader_writes_nothing,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
