/*
 * test_store_graph_load.c - bph_store_load_graph (store/graph_load.c) on
 * stores bphound never writes but may be given: an incidence whose host
 * the hosts table lacks (added once, as the joined load added it), and
 * artifact ids too sparse for the loader's array (the joined load); and
 * the addresses it formats, the artifacts it keeps and drops; the load on
 * two connections in two threads giving the graph of one, also while a
 * writer commits all the time (never a torn state).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "store/store.h"
#include "testlib/testlib.h"

static void exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* The graph of the store at path, as "host kind=value port first-last"
 * lines in host then artifact order of the graph. */
static char *graph_text(const char *path, size_t *n_hosts)
{
	struct bph_store *st = NULL;
	struct bph_graph *g = bph_graph_new();
	char err[128], *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(bph_store_open(path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_load_graph(st, g), 0);
	for (size_t i = 0; i < g->n_inc; i++) {
		const struct bph_incidence *in = &g->inc[i];
		fprintf(f, "%s %s=%s %u %lld-%lld\n", g->hosts[in->host],
			g->kinds[in->art], g->values[in->art], in->port,
			(long long)in->first_seen, (long long)in->last_seen);
	}
	fclose(f);
	*n_hosts = g->n_hosts;
	bph_graph_free(g);
	bph_store_close(st);
	return buf;
}

/* An empty store of the current schema at the fixture's db; its path. */
static const char *empty_store(void **state)
{
	const struct bph_test_dir *t = *state;
	struct bph_store *st = NULL;
	char err[128];

	assert_int_equal(
	    bph_store_open(t->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	bph_store_close(st);
	return t->db;
}

static void test_missing_host_and_sparse_ids(void **state)
{
	const char *path = empty_store(state);
	size_t n;

	/* 198.18.0.1 (3323068417) answers; 198.18.0.2 has rows only */
	exec(path, "INSERT INTO hosts VALUES (3323068417);"
		   "INSERT INTO arts(id, kind, value) VALUES"
		   " (1, 'ssh_hostkey', 'k1'), (2, 'jarm', 'j1');"
		   "INSERT INTO host_arts VALUES"
		   " (3323068417, 1, 22, 10, 20), (3323068418, 1, 22, 11, 21),"
		   " (3323068418, 2, 443, 12, 22);");
	char *a = graph_text(path, &n);
	assert_int_equal(n, 2); /* the missing host once, for both rows */
	assert_string_equal(a, "198.18.0.1 ssh_hostkey=k1 22 10-20\n"
			       "198.18.0.2 ssh_hostkey=k1 22 11-21\n"
			       "198.18.0.2 jarm=j1 443 12-22\n");
	/* an id past the loader's array: the joined load, the same graph */
	exec(path, "UPDATE host_arts SET art = 400000000 WHERE art = 2;"
		   "UPDATE arts SET id = 400000000 WHERE id = 2;");
	char *b = graph_text(path, &n);
	assert_int_equal(n, 2);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

/* Every host's name as bph_ip_str() gives it (the loader formats its
 * own); an artifact no incidence uses is left out, an incidence whose
 * artifact no row of arts has is dropped, the others kept. */
static void test_addresses_and_used_arts(void **state)
{
	/* ascending: the loader reads them by address */
	static const uint32_t ips[] = {
	    0u,	  1u,	     9u,	 10u,	      99u,	   100u,
	    255u, 16777216u, 167797769u, 2147483648u, 3323068417u, 4294967295u};
	const char *path = empty_store(state);
	struct bph_store *st = NULL;
	struct bph_graph *g = bph_graph_new();
	char err[128], want[16], sql[128];
	size_t n;

	for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO hosts VALUES (%u);",
			 ips[i]);
		exec(path, sql);
	}
	/* id 2 unused; 200 (under the largest id, 300) used but absent */
	exec(path, "INSERT INTO arts(id, kind, value) VALUES"
		   " (1, 'jarm', 'j1'), (2, 'jarm', 'j2'), (300, 'title', 't');"
		   "INSERT INTO host_arts VALUES (0, 300, 80, 1, 2),"
		   " (4294967295, 1, 443, 3, 4), (4294967295, 200, 443, 3, 4),"
		   " (167797769, 300, 80, 5, 6);");
	char *a = graph_text(path, &n);
	assert_int_equal(n, sizeof(ips) / sizeof(ips[0]));
	assert_string_equal(a, "0.0.0.0 title=t 80 1-2\n"
			       "10.0.100.9 title=t 80 5-6\n"
			       "255.255.255.255 jarm=j1 443 3-4\n");
	free(a);
	assert_int_equal(bph_store_open(path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_load_graph(st, g), 0);
	assert_int_equal(g->n_arts, 2); /* j2 left out */
	assert_int_equal(g->n_hosts, sizeof(ips) / sizeof(ips[0]));
	for (size_t i = 0; i < g->n_hosts; i++) {
		bph_ip_str(ips[i], want);
		assert_string_equal(g->hosts[i], want);
	}
	bph_graph_free(g);
	bph_store_close(st);
}

static struct bph_graph *load(const char *path, unsigned flags)
{
	struct bph_store *st = NULL;
	struct bph_graph *g = bph_graph_new();
	char err[128];

	assert_int_equal(bph_store_open(path, 0, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_load_graph_opt(st, g, flags), 0);
	bph_store_close(st);
	return g;
}

/* Hosts sharing artifacts at random, some artifacts unused, some rows
 * naming an artifact or a host the tables lack: the two-thread load (the
 * default on SQLite) gives the graph of the one-connection load. */
static void test_two_readers_same_graph(void **state)
{
	const char *path = empty_store(state);
	sqlite3 *db;
	char sql[160];
	unsigned seed = 7;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (int i = 1; i <= 600; i++) {
		snprintf(sql, sizeof(sql),
			 "INSERT INTO arts(id, kind, value) VALUES"
			 " (%d, '%s', 'v%d')",
			 i * 3, i % 3 ? "jarm" : "ssh_hostkey", i);
		assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), 0);
	}
	for (int h = 0; h < 2000; h++) {
		if (h % 97) { /* a few hosts have rows only */
			snprintf(sql, sizeof(sql),
				 "INSERT INTO hosts VALUES (%lld)",
				 3323068416LL + h);
			assert_int_equal(
			    sqlite3_exec(db, sql, NULL, NULL, NULL), 0);
		}
		for (int k = 0; k < (int)(rand_r(&seed) % 6); k++) {
			/* ids up to 1500 of 1800: some unused, some absent */
			snprintf(sql, sizeof(sql),
				 "INSERT OR IGNORE INTO host_arts VALUES"
				 " (%lld, %d, %d, %d, %d)",
				 3323068416LL + h, (int)(rand_r(&seed) % 1500),
				 k % 2 ? 443 : 22, h, h + k);
			assert_int_equal(
			    sqlite3_exec(db, sql, NULL, NULL, NULL), 0);
		}
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(db);
	struct bph_graph *one = load(path, BPH_LOAD_ONE_READER);
	struct bph_graph *two = load(path, 0);
	assert_true(one->n_inc > 1000 && one->n_arts > 400 &&
		    one->n_arts < 500);
	bph_test_assert_same_graph(one, two);
	bph_graph_free(one);
	bph_graph_free(two);
}

struct writer {
	const char *path;
	atomic_bool stop;
	int commits;
};

/* Commits one host with one artifact of its own per transaction, as fast
 * as it can, until told to stop. */
static void *write_loop(void *arg)
{
	struct writer *w = arg;
	sqlite3 *db;
	char sql[256];

	if (sqlite3_open(w->path, &db) != SQLITE_OK)
		return NULL;
	sqlite3_busy_timeout(db, 10000);
	for (int k = 1; !atomic_load(&w->stop); k++) {
		snprintf(sql, sizeof(sql),
			 "BEGIN IMMEDIATE; INSERT INTO hosts VALUES (%d);"
			 " INSERT INTO arts(id, kind, value) VALUES"
			 " (%d, 'title', 't%d');"
			 " INSERT INTO host_arts VALUES (%d, %d, 80, %d, %d);"
			 " COMMIT",
			 1000 + k, k, k, 1000 + k, k, k, k);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
			break;
		w->commits = k;
	}
	sqlite3_close(db);
	return NULL;
}

/* Whether g is a state the writer of write_loop() committed: each host
 * with its one artifact, the right one. */
static bool one_state(const struct bph_graph *g)
{
	char want[32];

	if (g->n_inc != g->n_hosts || g->n_arts != g->n_hosts)
		return false;
	for (size_t j = 0; j < g->n_inc; j++) {
		const struct bph_incidence *in = &g->inc[j];
		snprintf(want, sizeof(want), "t%lld",
			 (long long)in->first_seen);
		if (strcmp(g->values[in->art], want))
			return false;
		bph_ip_str((uint32_t)(1000 + in->first_seen), want);
		if (strcmp(g->hosts[in->host], want))
			return false;
	}
	return true;
}

/* Loads while a writer commits: each load sees one state, so every host
 * comes with its one artifact (a reader of the artifacts in an older state
 * than the incidences' would drop some). Checked after the writer stops,
 * so that a failure leaves no thread behind. */
static void test_load_during_writes(void **state)
{
	struct writer w = {empty_store(state), false, 0};
	pthread_t t;
	int torn = 0;

	assert_int_equal(pthread_create(&t, NULL, write_loop, &w), 0);
	for (int i = 0; i < 30; i++) {
		struct bph_graph *g = load(w.path, 0);
		torn += !one_state(g);
		bph_graph_free(g);
	}
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	assert_int_equal(torn, 0);
	assert_true(w.commits > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_missing_host_and_sparse_ids,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_addresses_and_used_arts,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_two_readers_same_graph,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_load_during_writes,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
