/* cli/annotate.c's threads: annotating hosts over the fixtures of
 * tests/data/ranges/ with 2, 3 and 8 threads gives the same attributes,
 * JSON and cluster summaries, byte for byte, as with one thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/annotate.h"
#include "fingerprints/err.h"
#include "ranges/rdb.h"
#include "testlib/ranges_fixture.h"

static const struct bph_test_rfile files[] = {
    {"routeviews-rv2-20261206-1200.pfx2as", "pfx2as"},
    {"20261201.as-rel2.txt", "asrel"},
    {"20261001.as-org2info.txt", "as2org"},
    {"delegated-ripencc-extended-20261206", "delegated"},
    {"ripe.db.sample", "ripe"},
    {"drop_v4.json", "spamhaus-drop"},
    {"drop_v6.json", "spamhaus-drop"},
    {"asndrop.json", "spamhaus-asndrop"},
    {"ipblocklist.csv", "feodo"},
    {"example_level1.netset", "firehol_level1"},
    {"block.txt", "dshield"},
};

static struct bph_rdb *load(void)
{
	return bph_test_rdb_load(files, sizeof(files) / sizeof(files[0]), NULL);
}

/* Hosts in and around the fixtures' networks, some sharing artifacts (so
 * multi-host clusters get summaries), names and IPv6 among them. */
static struct bph_clustering *hosts(struct bph_graph *g)
{
	static const char *const nets[] = {
	    "192.0.2.", "198.51.100.", "198.51.101.", "203.0.113.", "10.0.0."};
	struct bph_clustering *c = NULL;
	char h[64], v[32];

	for (int i = 0; i < 6000; i++) {
		if (i % 97 == 0)
			snprintf(h, sizeof(h), "host%d.example", i);
		else if (i % 13 == 0)
			snprintf(h, sizeof(h), "2001:db8:%x::%x", i % 5, i);
		else
			snprintf(h, sizeof(h), "%s%d", nets[i % 5],
				 (i * 7) % 256);
		snprintf(v, sizeof(v), "cert%d", i % 40);
		assert_int_equal(
		    bph_graph_add(g, h, "cert_sha256", v, 443, 1700000000), 0);
	}
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	return c;
}

static void same_annot(const struct bph_annot *x, const struct bph_annot *y)
{
	assert_int_equal(x->n_attrs, y->n_attrs);
	for (size_t i = 0; i < x->n_attrs; i++) {
		assert_string_equal(x->attrs[i].key, y->attrs[i].key);
		assert_string_equal(x->attrs[i].value, y->attrs[i].value);
	}
	assert_true(!x->json == !y->json);
	if (x->json)
		assert_string_equal(x->json, y->json);
	assert_true(!x->remark == !y->remark);
	if (x->remark)
		assert_string_equal(x->remark, y->remark);
}

static void compare(const struct bph_rdb *db, const struct bph_clustering *c,
		    bool with_json)
{
	struct bph_cli_annot *one = NULL;
	size_t annotated = 0;

	assert_int_equal(bph_cli_annotate_threads(db, c, with_json, 1, &one),
			 0);
	const struct bph_annotations *a = bph_cli_annot_get(one);
	for (size_t h = 0; h < a->n_hosts; h++)
		annotated += a->hosts[h].n_attrs > 0;
	assert_true(annotated > 1000); /* the fixtures cover most hosts */
	assert_true(a->n_clusters > 0);
	static const size_t threads[] = {2, 3, 8};
	for (size_t t = 0; t < 3; t++) {
		struct bph_cli_annot *many = NULL;
		assert_int_equal(bph_cli_annotate_threads(db, c, with_json,
							  threads[t], &many),
				 0);
		const struct bph_annotations *b = bph_cli_annot_get(many);
		assert_int_equal(a->n_hosts, b->n_hosts);
		assert_int_equal(a->n_clusters, b->n_clusters);
		for (size_t h = 0; h < a->n_hosts; h++)
			same_annot(&a->hosts[h], &b->hosts[h]);
		for (size_t i = 0; i < a->n_clusters; i++)
			same_annot(&a->clusters[i], &b->clusters[i]);
		bph_cli_annot_free(many);
	}
	bph_cli_annot_free(one);
}

static void test_threads_equal_serial(void **state)
{
	(void)state;
	struct bph_rdb *db = load();
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = hosts(g);

	compare(db, c, false);
	compare(db, c, true);
	bph_clustering_free(c);
	bph_graph_free(g);
	bph_rdb_free(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_threads_equal_serial),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
