/* Data snapshots in the store (store/data_store.h): rows in and out in
 * order, counts stored at the commit, an aborted import leaves nothing,
 * a read-only store refuses, and the history queries of asinfo. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "store/data_store.h"
#include "store/store.h"

struct fixture {
	char dir[64], path[128];
	struct bph_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	strcpy(f->dir, "/tmp/bph-sdata-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/s.db", f->dir);
	assert_int_equal(
	    bph_store_open(f->path, BPH_STORE_WRITE, &f->st, err, sizeof(err)),
	    0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	bph_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* A pfx2as snapshot of date with prefix net originated by asns. */
static int64_t import_pfx(struct bph_store *st, const char *date,
			  const char *net, const int64_t *asns, size_t n)
{
	struct bph_data_snapshot s = {.kind = "pfx2as",
				      .name = "pfx2as",
				      .date = date,
				      .date_source = "option",
				      .file = "f",
				      .compression = "none",
				      .licence = "",
				      .origin = "",
				      .records = 1,
				      .parts = 1};
	struct bph_data_import *imp;
	char err[256];
	int64_t id;

	assert_int_equal(bph_data_import_begin(st, &s, &imp, err, 256), 0);
	for (size_t i = 0; i < n; i++) {
		struct bph_data_val v[] = {{0, net},
					   {asns[i], NULL},
					   {(int64_t)i, NULL},
					   {(int64_t)i, NULL},
					   {0, NULL}};
		assert_int_equal(bph_data_put(imp, BPH_DT_PREFIX, v), 0);
	}
	assert_int_equal(bph_data_import_commit(imp, &s, &id, err, 256), 0);
	return id;
}

static int rel_row(struct bph_store *st, const char *date, int64_t a, int64_t b)
{
	struct bph_data_snapshot s = {.kind = "asrel",
				      .name = "as-rel",
				      .date = date,
				      .date_source = "option",
				      .file = "r",
				      .compression = "bzip2",
				      .licence = "",
				      .origin = "",
				      .parts = 4};
	struct bph_data_import *imp;
	struct bph_data_val v[] = {
	    {a, NULL}, {b, NULL}, {-1, NULL}, {0, "bgp"}};
	char err[256];
	int64_t id;

	assert_int_equal(bph_data_import_begin(st, &s, &imp, err, 256), 0);
	assert_int_equal(bph_data_put(imp, BPH_DT_REL, v), 0);
	return bph_data_import_commit(imp, &s, &id, err, 256);
}

struct seen {
	char text[1024];
	size_t n;
};

static int snap_cb(void *arg, const struct bph_data_snapshot *s)
{
	struct seen *x = arg;
	size_t used = strlen(x->text);
	snprintf(x->text + used, sizeof(x->text) - used, "%s %s %s %lld;",
		 s->kind, s->name, s->date, (long long)s->records);
	x->n++;
	return 0;
}

static int prefix_cb(void *arg, const struct bph_data_val *v)
{
	struct seen *x = arg;
	size_t used = strlen(x->text);
	snprintf(x->text + used, sizeof(x->text) - used, "%s/%lld/%lld;",
		 v[0].s, (long long)v[1].i, (long long)v[3].i);
	x->n++;
	return 0;
}

static void test_rows_and_snapshots(void **state)
{
	struct fixture *f = *state;
	const int64_t moas[] = {64500, 64501};
	struct seen s = {0};
	int64_t id = import_pfx(f->st, "2026-12-06", "192.0.2.0/24", moas, 2);

	assert_int_equal(bph_data_rows(f->st, id, BPH_DT_PREFIX, prefix_cb, &s),
			 0);
	assert_string_equal(s.text,
			    "192.0.2.0/24/64500/0;192.0.2.0/24/64501/1;");
	memset(&s, 0, sizeof(s));
	assert_int_equal(bph_data_snapshots(f->st, snap_cb, &s), 0);
	assert_string_equal(s.text, "pfx2as pfx2as 2026-12-06 1;");
	assert_int_equal(bph_data_cols(BPH_DT_INETNUM), 11);
}

static void test_abort_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct bph_data_snapshot s = {
	    .kind = "drop", .name = "d", .date = "2026-12-06", .file = "x"};
	struct bph_data_import *imp;
	struct bph_data_val v[] = {{0, "192.0.2.0"},
				   {0, "192.0.2.255"},
				   {0, "192.0.2.0/24"},
				   {0, "SBL1"},
				   {0, ""},
				   {0, ""}};
	struct seen seen = {0};
	char err[256];

	assert_int_equal(bph_data_import_begin(f->st, &s, &imp, err, 256), 0);
	assert_int_equal(bph_data_put(imp, BPH_DT_ENTRY, v), 0);
	bph_data_import_abort(imp);
	assert_int_equal(bph_data_snapshots(f->st, snap_cb, &seen), 0);
	assert_int_equal(seen.n, 0);
}

static void test_readonly_refuses(void **state)
{
	struct fixture *f = *state;
	struct bph_store *ro;
	struct bph_data_import *imp;
	struct bph_data_snapshot s = {
	    .kind = "drop", .name = "d", .date = "2026-12-06", .file = "x"};
	char err[256];

	import_pfx(f->st, "2026-12-06", "192.0.2.0/24",
		   (const int64_t[]){64500}, 1);
	assert_int_equal(
	    bph_store_open(f->path, BPH_STORE_READ, &ro, err, sizeof(err)), 0);
	assert_int_equal(bph_data_import_begin(ro, &s, &imp, err, 256),
			 BPH_ERR_PERM);
	bph_store_close(ro);
}

struct hist {
	char text[512];
};

static int rel_cb(void *arg, int64_t snap, const char *date, uint32_t other,
		  int rel, int as_b)
{
	struct hist *h = arg;
	size_t used = strlen(h->text);
	(void)snap;
	snprintf(h->text + used, sizeof(h->text) - used, "%s %u %d %d;", date,
		 other, rel, as_b);
	return 0;
}

static int origin_cb(void *arg, int64_t snap, const char *date, const char *net,
		     int n_origins)
{
	struct hist *h = arg;
	size_t used = strlen(h->text);
	(void)snap;
	snprintf(h->text + used, sizeof(h->text) - used, "%s %s %d;", date, net,
		 n_origins);
	return 0;
}

static void test_history(void **state)
{
	struct fixture *f = *state;
	struct hist h = {{0}};

	assert_int_equal(rel_row(f->st, "2026-12-01", 64510, 64500), 0);
	assert_int_equal(rel_row(f->st, "2026-11-01", 64512, 64500), 0);
	assert_int_equal(rel_row(f->st, "2026-11-01", 64500, 64499), 0);
	import_pfx(f->st, "2026-12-06", "192.0.2.0/24",
		   (const int64_t[]){64500, 64501}, 2);
	import_pfx(f->st, "2026-11-06", "198.51.100.0/24",
		   (const int64_t[]){64500}, 1);
	assert_int_equal(bph_data_rel_history(f->st, 64500, rel_cb, &h), 0);
	/* by date; as_b 1 where 64500 is the customer */
	assert_string_equal(h.text, "2026-11-01 64512 -1 1;2026-11-01 64499 -1 "
				    "0;2026-12-01 64510 -1 1;");
	memset(&h, 0, sizeof(h));
	assert_int_equal(bph_data_origin_history(f->st, 64500, origin_cb, &h),
			 0);
	assert_string_equal(h.text, "2026-11-06 198.51.100.0/24 1;2026-12-06 "
				    "192.0.2.0/24 2;");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rows_and_snapshots, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_abort_leaves_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_refuses, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
