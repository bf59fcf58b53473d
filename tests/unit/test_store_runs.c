/*
 * The publication's runs (store/store_runs.c): pairs put in runs of any
 * size come back from bph_runs_merge() in order, every one exactly once,
 * at most a chunk at a time; an emit error stops the merge; the runs'
 * file is in SQLite's temporary directory, unlinked, and closed by
 * bph_runs_free(); a write it cannot make is told on the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "store/db_int.h"

#define N 40000

/* art_hosts' order, as the publication's (art, ip). */
static int art_ip(const void *x, const void *y)
{
	const struct bph_wpair *a = x, *b = y;

	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	return a->ip < b->ip ? -1 : a->ip > b->ip;
}

/* Every field: two lists are the same multiset when both sort equal. */
static int total(const void *x, const void *y)
{
	const struct bph_wpair *a = x, *b = y;
	int c = art_ip(x, y);

	if (c)
		return c;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return a->seen < b->seen ? -1 : a->seen > b->seen;
}

/* What the merge handed on. */
struct got {
	struct bph_wpair *p;
	size_t n, calls, largest;
	size_t fail_at; /* the call that fails (0: none) */
};

static int collect(void *ctx, struct bph_wpair *p, size_t n)
{
	struct got *g = ctx;

	if (++g->calls == g->fail_at)
		return -42;
	g->largest = n > g->largest ? n : g->largest;
	memcpy(g->p + g->n, p, n * sizeof(*p));
	g->n += n;
	return 0;
}

/* N pairs with many repeated keys, put in runs of 1 to 9,000 pairs (past
 * a cursor's buffer of 4096). */
static struct bph_runs *filled(struct bph_wpair *in)
{
	struct bph_runs *r = bph_runs_new(NULL, art_ip);
	unsigned seed = 11;

	assert_non_null(r);
	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		in[i] = (struct bph_wpair){.art = (seed >> 16) % 97,
					   .seen = (int64_t)i,
					   .ip = (seed >> 4) % 31,
					   .port = (uint16_t)(seed % 3)};
	}
	struct bph_wpair *copy = malloc(N * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, in, N * sizeof(*copy));
	for (size_t at = 0, k; at < N; at += k) {
		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 8) % 9000;
		k = k < N - at ? k : N - at;
		assert_int_equal(bph_runs_put(r, copy + at, k), 0);
	}
	free(copy);
	return r;
}

static void test_merged_in_order(void **state)
{
	struct bph_wpair *in = malloc(N * sizeof(*in));
	struct got g = {malloc(N * sizeof(*g.p)), 0, 0, 0, 0};

	(void)state;
	assert_non_null(in);
	assert_non_null(g.p);
	struct bph_runs *r = filled(in);
	assert_true(bph_runs_count(r) > 5);
	assert_int_equal(bph_runs_merge(r, 333, collect, &g), 0);
	assert_int_equal(g.n, N);
	assert_true(g.largest <= 333);
	assert_int_equal(g.calls, (N + 332) / 333);
	for (size_t i = 1; i < N; i++)
		assert_true(art_ip(&g.p[i - 1], &g.p[i]) <= 0);
	qsort(in, N, sizeof(*in), total);
	qsort(g.p, N, sizeof(*g.p), total);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(total(&in[i], &g.p[i]), 0);
	/* a second merge of the same runs gives them all again */
	g.n = g.calls = 0;
	assert_int_equal(bph_runs_merge(r, 0, collect, &g), 0);
	assert_int_equal(g.n, N);
	assert_int_equal(g.calls, 1);
	bph_runs_free(r);
	free(in);
	free(g.p);
}

static void test_emit_error_stops(void **state)
{
	struct bph_wpair *in = malloc(N * sizeof(*in));
	struct got g = {malloc(N * sizeof(*g.p)), 0, 0, 0, 3};

	(void)state;
	assert_non_null(in);
	assert_non_null(g.p);
	struct bph_runs *r = filled(in);
	assert_int_equal(bph_runs_merge(r, 100, collect, &g), -42);
	assert_int_equal(g.calls, 3);
	assert_int_equal(g.n, 200);
	bph_runs_free(r);
	free(in);
	free(g.p);
}

static void test_nothing_put(void **state)
{
	struct bph_runs *r = bph_runs_new(NULL, art_ip);
	struct got g = {NULL, 0, 0, 0, 0};

	(void)state;
	assert_non_null(r);
	assert_int_equal(bph_runs_count(r), 0);
	assert_int_equal(bph_runs_merge(r, 10, collect, &g), 0);
	assert_int_equal(g.calls, 0);
	bph_runs_free(r);
}

/* How many of this process's descriptors name a file under dir. */
static int fds_under(const char *dir)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char link[300], target[512];
		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		ssize_t k = readlink(link, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = 0;
		n += !strncmp(target, dir, strlen(dir)) &&
		     strstr(target, "/bphound-runs-") &&
		     strstr(target, "(deleted)");
	}
	closedir(d);
	return n;
}

static void test_temp_file_where_sqlite_puts_its_own(void **state)
{
	char dir[] = "/tmp/bph-runs-test.XXXXXX";
	struct bph_wpair p[3] = {{.art = 3}, {.art = 1}, {.art = 2}};

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("SQLITE_TMPDIR", dir, 1);
	struct bph_runs *r = bph_runs_new(NULL, art_ip);
	assert_non_null(r);
	assert_int_equal(fds_under(dir), 0);
	assert_int_equal(bph_runs_put(r, p, 3), 0);
	assert_int_equal(fds_under(dir), 1);
	/* unlinked at once: nothing left in the directory */
	assert_int_equal(rmdir(dir), 0);
	bph_runs_free(r);
	assert_int_equal(fds_under(dir), 0);
	unsetenv("SQLITE_TMPDIR");
}

/* A write the file cannot take (here a file size limit, as a full disk
 * would) is BPH_ERR_NOSPACE, told on the store's connection with the
 * directory, so that an import says where space ran out. */
static void test_full_disk_told(void **state)
{
	char dir[] = "/tmp/bph-runs-test.XXXXXX", path[64], err[256];
	struct bph_wpair *p = calloc(N, sizeof(*p));
	struct bph_db *db = NULL;
	struct rlimit old, small;

	(void)state;
	assert_non_null(p);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/s.db", dir);
	assert_int_equal(
	    bph_db_open(path, BPH_DB_CREATE, &db, err, sizeof(err)), 0);
	setenv("SQLITE_TMPDIR", dir, 1);
	struct bph_runs *r = bph_runs_new(db, art_ip);
	assert_non_null(r);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small = old;
	small.rlim_cur = 64 * 1024;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	int rc = bph_runs_put(r, p, N); /* 960 KB */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_int_equal(rc, BPH_ERR_NOSPACE);
	assert_non_null(strstr(bph_db_errmsg(db),
			       "writing the import's sorted"
			       " pairs in /tmp/bph-runs-test."));
	assert_non_null(strstr(bph_db_errmsg(db), "File too large"));
	/* what the failed write left does not shift the runs after it */
	struct bph_wpair q[3] = {{.art = 3}, {.art = 1}, {.art = 2}};
	struct got g = {malloc(3 * sizeof(*g.p)), 0, 0, 0, 0};
	assert_non_null(g.p);
	assert_int_equal(bph_runs_put(r, q, 3), 0);
	assert_int_equal(bph_runs_merge(r, 0, collect, &g), 0);
	assert_int_equal(g.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(g.p[i].art, i + 1);
	free(g.p);
	bph_runs_free(r);
	bph_db_close(db);
	unsetenv("SQLITE_TMPDIR");
	unlink(path);
	assert_int_equal(rmdir(dir), 0);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merged_in_order),
	    cmocka_unit_test(test_emit_error_stops),
	    cmocka_unit_test(test_nothing_put),
	    cmocka_unit_test(test_temp_file_where_sqlite_puts_its_own),
	    cmocka_unit_test(test_full_disk_told),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
