/*
 * Resume state of interrupted scans (store/store_resume.c, store/resume.h):
 * every parameter and probe option saved by bph_resume_begin comes back
 * from bph_resume_load, and a scan saved by a bphound before core schema
 * step 3 (store/schema.c) still loads after the upgrade, with its probe
 * options marked as not saved.
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

#include "fingerprints/err.h"
#include "store/resume.h"
#include "store/store.h"
#include "testlib/testlib.h"

static void exec_sql(const char *db, const char *sql)
{
	sqlite3 *h;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
}

static struct bph_store *open_store(const char *db)
{
	struct bph_store *st = NULL;
	char err[512] = "";

	assert_int_equal(
	    bph_store_open(db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	return st;
}

/* Saves p as scan id, then loads the newest unfinished scan. */
static struct bph_resume *round_trip(const char *db, int64_t id,
				     const struct bph_resume_params *p)
{
	struct bph_store *st = open_store(db);
	struct bph_resume *r = NULL;
	char err[256] = "";

	assert_int_equal(bph_resume_begin(st, id, p, &r, err, sizeof(err)), 0);
	bph_resume_free(r);
	bph_store_close(st);
	st = open_store(db); /* a new process, as --resume is */
	r = NULL;
	assert_int_equal(bph_resume_load(st, &r, err, sizeof(err)), 0);
	bph_store_close(st); /* r keeps only what it loaded */
	return r;
}

static void assert_str(const char *want, const char *got)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(want, got);
}

static void assert_same(const struct bph_resume_params *a,
			const struct bph_resume_params *b)
{
	assert_string_equal(a->targets, b->targets);
	assert_string_equal(a->ports, b->ports);
	assert_str(a->exclude, b->exclude);
	assert_int_equal(a->allow_reserved, b->allow_reserved);
	assert_true(a->seed == b->seed);
	assert_int_equal(a->shard_index, b->shard_index);
	assert_int_equal(a->shard_count, b->shard_count);
	assert_int_equal(a->rate, b->rate);
	assert_int_equal(a->retries, b->retries);
	assert_int_equal(a->wait_ms, b->wait_ms);
	assert_true(b->probes_saved);
	assert_int_equal(a->no_probes, b->no_probes);
	assert_int_equal(a->no_jarm, b->no_jarm);
	assert_int_equal(a->probe_retries, b->probe_retries);
	assert_int_equal(a->timeout_ms, b->timeout_ms);
	assert_int_equal(a->max_connections, b->max_connections);
	assert_int_equal(a->max_per_host, b->max_per_host);
	assert_int_equal(a->max_per_net, b->max_per_net);
	assert_str(a->sni, b->sni);
	assert_str(a->contact, b->contact);
}

/* Every field away from its default, then the other way round (flags
 * off, no strings), so that no field is restored by chance. */
static void test_round_trip(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_resume_params p = {
	    .targets = "198.18.0.0/24\n/tmp/more\n",
	    .ports = "22,80,8000-8100",
	    .exclude = "/tmp/ex.txt",
	    .allow_reserved = true,
	    .seed = 0xfedcba9876543210ULL,
	    .shard_index = 2,
	    .shard_count = 5,
	    .rate = 123456,
	    .retries = 3,
	    .wait_ms = 750,
	    .no_probes = true,
	    .no_jarm = true,
	    .probe_retries = 0,
	    .timeout_ms = 1234,
	    .max_connections = 77,
	    .max_per_host = 2,
	    .max_per_net = 9,
	    .sni = "panel.example",
	    .contact = "https://scanner.example.org/",
	};
	struct bph_resume *r = round_trip(f->db, 7, &p);

	assert_int_equal(bph_resume_scan_id(r), 7);
	assert_int_equal(bph_resume_pass(r), 0);
	assert_same(&p, bph_resume_params(r));
	bph_resume_free(r);

	struct bph_resume_params q = {
	    .targets = "198.18.1.1\n",
	    .ports = "443",
	    .rate = 10,
	    .retries = 1,
	    .wait_ms = 2000,
	    .shard_count = 1,
	    .probe_retries = 30,
	    .timeout_ms = 600000,
	    .max_connections = 65536,
	    .max_per_host = 1024,
	    .max_per_net = 65536,
	};
	r = round_trip(f->db, 8, &q); /* the newer unfinished one */
	assert_int_equal(bph_resume_scan_id(r), 8);
	assert_same(&q, bph_resume_params(r));
	bph_resume_free(r);
}

/* A store as core schema version 2 left it, with an unfinished scan: the
 * upgrade keeps the scan, which loads with probes_saved false. */
static void test_saved_before_probe_options(void **state)
{
	struct bph_test_dir *f = *state;
	struct bph_store *st = open_store(f->db);
	struct bph_resume *r = NULL;
	char err[256] = "";

	bph_store_close(st);
	exec_sql(f->db,
		 "ALTER TABLE synscan_resume DROP COLUMN no_probes;"
		 "ALTER TABLE synscan_resume DROP COLUMN no_jarm;"
		 "ALTER TABLE synscan_resume DROP COLUMN probe_retries;"
		 "ALTER TABLE synscan_resume DROP COLUMN timeout_ms;"
		 "ALTER TABLE synscan_resume DROP COLUMN max_connections;"
		 "ALTER TABLE synscan_resume DROP COLUMN max_per_host;"
		 "ALTER TABLE synscan_resume DROP COLUMN max_per_net;"
		 "ALTER TABLE synscan_resume DROP COLUMN sni;"
		 "ALTER TABLE synscan_resume DROP COLUMN contact;"
		 "DELETE FROM bph_schema WHERE module = 'core' AND version > 2;"
		 "PRAGMA user_version = 2;"
		 "INSERT INTO synscan_resume(scan_id, targets, ports, exclude,"
		 " allow_reserved, seed, shard_index, shard_count, rate,"
		 " retries, wait_ms, pass, pos) VALUES (4, '198.18.2.0/24',"
		 " '80', NULL, 1, 99, 0, 1, 2000, 0, 500, 1, 4242)");
	st = open_store(f->db); /* upgrades */
	assert_int_equal(bph_resume_load(st, &r, err, sizeof(err)), 0);
	const struct bph_resume_params *p = bph_resume_params(r);
	assert_int_equal(bph_resume_scan_id(r), 4);
	assert_int_equal(bph_resume_pass(r), 1);
	assert_int_equal(bph_resume_pos(r), 4242);
	assert_string_equal(p->targets, "198.18.2.0/24");
	assert_int_equal(p->rate, 2000);
	assert_int_equal(p->wait_ms, 500);
	assert_false(p->probes_saved);
	assert_false(p->no_probes);
	assert_null(p->sni);
	assert_null(p->contact);
	bph_resume_free(r);
	bph_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip, bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_saved_before_probe_options,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
