/* bph_export_items (cluster/export_items.c): an export's items, formatted
 * by two threads, come out complete and in order, whatever their sizes;
 * a bad item is reported; and the JSON export written that way parses
 * with every cluster and host in place. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cluster/cluster.h"
#include "cluster/export.h"

struct numbers {
	size_t bad_at; /* SIZE_MAX: none */
};

/* Item i: its number, then i % 7 * 500 bytes more, so chunks differ in
 * size and buffers are reused at other lengths. */
static int number(void *ctx, FILE *f, size_t i)
{
	const struct numbers *n = ctx;

	fprintf(f, "%zu", i);
	for (size_t k = 0; k < i % 7 * 500; k++)
		fputc('.', f);
	fputc('\n', f);
	return i == n->bad_at;
}

static char *items(size_t n, size_t bad_at, int *rc, size_t *len)
{
	struct numbers ctx = {bad_at};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	*rc = bph_export_items(f, n, number, &ctx);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void check_numbers(const char *buf, size_t len, size_t n)
{
	const char *p = buf;

	for (size_t i = 0; i < n; i++) {
		char *end;
		assert_true(p < buf + len);
		assert_int_equal(strtoull(p, &end, 10), i);
		assert_int_equal(strspn(end, "."), i % 7 * 500);
		p = end + i % 7 * 500;
		assert_int_equal(*p, '\n');
		p++;
	}
	assert_ptr_equal(p, buf + len);
}

static void test_order(void **state)
{
	(void)state;
	/* none, fewer than a chunk (512 items), a chunk and one, more
	 * chunks than buffers, many with a short last chunk */
	const size_t sizes[] = {0, 1, 512, 513, 2048, 2049, 50001};
	for (size_t k = 0; k < sizeof(sizes) / sizeof(*sizes); k++) {
		size_t len = 0;
		int rc;
		char *buf = items(sizes[k], SIZE_MAX, &rc, &len);
		assert_int_equal(rc, 0);
		check_numbers(buf, len, sizes[k]);
		free(buf);
	}
}

/* A bad item, whichever thread formats it, is reported; the rest is
 * still written. */
static void test_bad(void **state)
{
	(void)state;
	const size_t at[] = {5, 2048 + 5, 3 * 2048 + 1};
	for (size_t k = 0; k < sizeof(at) / sizeof(*at); k++) {
		size_t len = 0;
		int rc;
		char *buf = items(10000, at[k], &rc, &len);
		assert_int_not_equal(rc, 0);
		check_numbers(buf, len, 10000);
		free(buf);
	}
}

/* The JSON export of a clustering of many items: valid JSON, every
 * cluster and host once, in order. */
static void test_json(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char host[32], key[32];

	for (unsigned i = 0; i < 9000; i++) {
		snprintf(host, sizeof(host), "198.18.%u.%u", i / 250, i % 250);
		snprintf(key, sizeof(key), "SHA256:k%u", i / 2);
		assert_int_equal(
		    bph_graph_add(g, host, "ssh_hostkey", key, 22, 1), 0);
	}
	assert_int_equal(bph_cluster_run_graph(g, NULL, &c), 0); /* takes g */

	char *buf = NULL, err[128] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bph_export_write(c, "json", NULL, f, err, sizeof(err)),
			 0);
	fclose(f);
	json_error_t je;
	json_t *root = json_loadb(buf, len, 0, &je);
	if (!root)
		fprintf(stderr, "line %d: %s\n", je.line, je.text);
	assert_non_null(root);
	json_t *cl = json_object_get(root, "clusters");
	json_t *hosts = json_object_get(root, "hosts");
	assert_int_equal(json_array_size(cl), c->n_clusters);
	assert_int_equal(json_array_size(hosts), c->n_hosts);
	assert_int_equal(c->n_clusters, 4500);
	for (size_t i = 0; i < c->n_clusters; i++)
		assert_int_equal(json_integer_value(json_object_get(
				     json_array_get(cl, i), "id")),
				 c->clusters[i].id);
	for (size_t h = 0; h < c->n_hosts; h++)
		assert_string_equal(json_string_value(json_object_get(
					json_array_get(hosts, h), "ip")),
				    c->hosts[h]);
	json_decref(root);
	free(buf);
	bph_clustering_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_bad),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
