/*
 * test_store_graph_load.c - bph_store_load_graph (store/graph_load.c) on
 * stores bphound never writes but may be given: an incidence whose host
 * the hosts table lacks (added once, as the joined load added it), and
 * artifact ids too sparse for the loader's array (the joined load); and
 * the addresses it formats, the artifacts it keeps and drops.
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_missing_host_and_sparse_ids,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_addresses_and_used_arts,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
