/*
 * The clustering does not depend on the order the store returns its rows
 * (docs/clustering.md "Order and ties"), and bph_cluster_run_graph (which
 * adopts the graph) gives what bph_cluster_run gives: one synthetic
 * population (tests/unit/testlib/population.h) fed in two orders, and
 * bulk-loaded as a store loads it (bph_graph_append with the loader's own
 * artifact ids, then bph_graph_renumber_arts), every report and the JSON
 * export compared byte for byte.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/export.h"
#include "fingerprints/err.h"
#include "testlib/population.h"

struct rowv {
	char (*s)[3][72]; /* host, kind, value */
	uint16_t *port;
	int64_t *seen;
	size_t n, cap;
};

static void keep(void *arg, const char *host, const char *kind,
		 const char *value, uint16_t port, int64_t seen)
{
	struct rowv *v = arg;
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 1024;
		v->s = realloc(v->s, v->cap * sizeof(*v->s));
		v->port = realloc(v->port, v->cap * sizeof(*v->port));
		v->seen = realloc(v->seen, v->cap * sizeof(*v->seen));
		assert_true(v->s && v->port && v->seen);
	}
	snprintf(v->s[v->n][0], 72, "%s", host);
	snprintf(v->s[v->n][1], 72, "%s", kind);
	snprintf(v->s[v->n][2], 72, "%s", value);
	v->port[v->n] = port;
	v->seen[v->n++] = seen;
}

/* The rows in order, or in a seeded shuffled order. */
static struct bph_graph *graph_of(const struct rowv *v, int shuffle)
{
	struct bph_graph *g = bph_graph_new();
	size_t *ix = malloc(v->n * sizeof(*ix));
	uint64_t x = 12345;
	assert_true(g && ix);
	for (size_t i = 0; i < v->n; i++)
		ix[i] = shuffle ? v->n - 1 - i : i;
	for (size_t i = v->n; shuffle && i > 1; i--) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		size_t j = (size_t)(x >> 33) % i, t = ix[i - 1];
		ix[i - 1] = ix[j];
		ix[j] = t;
	}
	for (size_t i = 0; i < v->n; i++) {
		size_t k = ix[i];
		assert_int_equal(bph_graph_add(g, v->s[k][0], v->s[k][1],
					       v->s[k][2], v->port[k],
					       v->seen[k]),
				 0);
	}
	free(ix);
	return g;
}

/* g's content appended as a store's loader does: hosts interned, the
 * incidences appended with ids of the loader's own (g's index + 5, the
 * artifacts interned, or pushed as the store's loader pushes them, in
 * reverse order afterwards), then renumbered; one extra incidence whose
 * artifact the loader never finds is dropped. */
static struct bph_graph *bulk_of(const struct bph_graph *g, bool push)
{
	struct bph_graph *b = bph_graph_new();
	size_t n_map = g->n_arts + 6;
	uint32_t *map = malloc(n_map * sizeof(*map)), ix;
	assert_true(b && map);
	for (size_t h = 0; h < g->n_hosts; h++) {
		assert_int_equal(bph_graph_intern_host(b, g->hosts[h], &ix), 0);
		assert_int_equal(ix, h);
	}
	for (size_t i = 0; i < g->n_inc; i++) {
		const struct bph_incidence *in = &g->inc[i];
		assert_int_equal(bph_graph_append(b, in->host, in->art + 5,
						  in->port, in->first_seen,
						  in->last_seen),
				 0);
	}
	assert_int_equal(bph_graph_append(b, 0, (uint32_t)n_map - 1, 1, 1, 1),
			 0);
	for (size_t a = n_map; a-- > 0;)
		map[a] = UINT32_MAX;
	for (size_t a = g->n_arts; a-- > 0;)
		assert_int_equal(
		    push ? bph_graph_push_art(b, g->kinds[a], g->values[a],
					      &map[a + 5])
			 : bph_graph_intern_art(b, g->kinds[a], g->values[a],
						&map[a + 5]),
		    0);
	assert_int_equal(bph_graph_renumber_arts(b, map, n_map), 0);
	assert_int_equal(b->n_inc, g->n_inc);
	assert_int_equal(b->n_arts, g->n_arts);
	/* an add after appends finds the appended incidence: no duplicate;
	 * after pushes there is no lookup to find it with: refused */
	const struct bph_incidence *in0 = &g->inc[0];
	assert_int_equal(bph_graph_add(b, g->hosts[in0->host],
				       g->kinds[in0->art], g->values[in0->art],
				       in0->port, in0->first_seen),
			 push ? BPH_ERR_USAGE : 0);
	assert_int_equal(b->n_inc, g->n_inc);
	free(map);
	return b;
}

/* What the reports and the JSON export of c say, as one string. */
static char *reports(const struct bph_clustering *c)
{
	char *buf = NULL, err[64];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(bph_clustering_print(c, NULL, f), 0);
	for (size_t k = 0; k < c->n_clusters && k < 40; k++) {
		const char *seed = c->hosts[c->clusters[k].hosts[0]];
		assert_int_equal(bph_clustering_print(c, seed, f), 0);
		assert_int_equal(bph_clustering_explain(
				     c, seed, c->hosts[k * 7 % c->n_hosts], f),
				 0);
	}
	assert_int_equal(bph_export_write(c, "json", NULL, f, err, sizeof(err)),
			 0);
	fclose(f);
	return buf;
}

static void test_row_order_and_adoption(void **state)
{
	(void)state;
	struct bph_test_pop p = {.seed = 7, .providers = 40, .solos = 1500};
	struct rowv v = {0};
	struct bph_clustering *a = NULL, *b = NULL, *d = NULL;
	size_t rules[BPH_RULE_COUNT] = {0};

	bph_test_population(&p, keep, &v);
	struct bph_graph *ga = graph_of(&v, 0), *gb = graph_of(&v, 1);
	struct bph_graph *gd = bulk_of(ga, false), *gp = bulk_of(ga, true);
	struct bph_graph *go = bulk_of(ga, true), *gx = bulk_of(ga, true);
	struct bph_clustering *e = NULL, *o = NULL, *x = NULL;
	uint32_t extra;
	/* the order computed ahead, as the store's loader does, is taken
	 * over; one computed before an artifact was added is not (the
	 * added one is unused: the clustering is the same) */
	assert_int_equal(bph_graph_order_arts(go), 0);
	assert_non_null(go->order);
	assert_int_equal(bph_graph_order_arts(gx), 0);
	assert_int_equal(bph_graph_push_art(gx, "title", "never held", &extra),
			 0);
	assert_null(gx->order);
	assert_int_equal(bph_cluster_run_graph(go, NULL, &o), 0);
	assert_null(go->order);
	assert_int_equal(bph_cluster_run_graph(gx, NULL, &x), 0);
	assert_int_equal(bph_cluster_run(ga, NULL, &a), 0);
	assert_int_equal(bph_cluster_run_graph(gb, NULL, &b), 0);
	assert_int_equal(bph_cluster_run_graph(gd, NULL, &d), 0);
	assert_int_equal(bph_cluster_run_graph(gp, NULL, &e), 0);
	bph_graph_free(ga);
	assert_non_null(b->graph); /* adopted: freed with b */
	for (size_t i = 0; i < a->n_links; i++)
		rules[a->links[i].rule]++;
	for (int r = 0; r < BPH_RULE_COUNT; r++) { /* the population is rich */
		print_message("%s links: %zu\n", bph_rule_name(r), rules[r]);
		assert_true(rules[r] > 0);
	}
	char *ra = reports(a), *rb = reports(b), *rd = reports(d),
	     *re = reports(e), *ro = reports(o), *rx = reports(x);
	assert_string_equal(ra, rb);
	assert_string_equal(ra, rd);
	assert_string_equal(ra, re);
	assert_string_equal(ra, ro);
	assert_string_equal(ra, rx);
	free(ro);
	free(rx);
	bph_clustering_free(o);
	bph_clustering_free(x);
	free(ra);
	free(rb);
	free(rd);
	free(re);
	bph_clustering_free(e);
	bph_clustering_free(a);
	bph_clustering_free(b);
	bph_clustering_free(d);
	free(v.s);
	free(v.port);
	free(v.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_row_order_and_adoption),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
