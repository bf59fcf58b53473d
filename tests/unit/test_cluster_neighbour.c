/*
 * test_cluster_neighbour.c - the neighbour rule (cluster/neighbour.c): a
 * re-installed provider host (fresh key, default page) rejoins its
 * provider through its /24 and a build exclusive to the provider, and
 * nothing else does.
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

#define PROVIDER_BLOCK "198.18.1."
#define HASSH_CUSTOM   "hassh-custom-build"

/* 300 unrelated hosts in their own /24s, on popular builds, so that a
 * build seen only on the provider is rare in the store. */
static void background(struct bph_graph *g)
{
	char ip[32], v[32];

	for (int i = 0; i < 300; i++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.1", i / 200, i % 200);
		snprintf(v, sizeof(v), "bg-key-%d", i);
		assert_int_equal(bph_graph_add(g, ip, "ssh_hostkey", v, 22, 1),
				 0);
		assert_int_equal(
		    bph_graph_add(g, ip, "hassh",
				  i % 2 ? "popular-a" : "popular-b", 22, 1),
		    0);
	}
}

/* A provider of n hosts in 198.18.1.0/24 sharing one host key and a
 * custom SSH build; host .50 was re-installed: fresh key, same build. */
static void provider_n(struct bph_graph *g, int n)
{
	char ip[32];

	for (int i = 1; i <= n; i++) {
		snprintf(ip, sizeof(ip), PROVIDER_BLOCK "%d", i);
		bph_graph_add(g, ip, "ssh_hostkey", "SHA256:provider", 22, 10);
		bph_graph_add(g, ip, "hassh", HASSH_CUSTOM, 22, 10);
	}
	bph_graph_add(g, PROVIDER_BLOCK "50", "ssh_hostkey", "SHA256:fresh", 22,
		      20);
	bph_graph_add(g, PROVIDER_BLOCK "50", "hassh", HASSH_CUSTOM, 22, 20);
}

static void provider(struct bph_graph *g)
{
	provider_n(g, 6);
}

/* Unrelated neighbours in the provider's /24 with the given build. */
static void neighbours(struct bph_graph *g, int n, const char *hassh)
{
	char ip[32], v[32];

	for (int i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), PROVIDER_BLOCK "%d", 100 + i);
		snprintf(v, sizeof(v), "nb-key-%d", i);
		bph_graph_add(g, ip, "ssh_hostkey", v, 22, 1);
		bph_graph_add(g, ip, "hassh", hassh, 22, 1);
	}
}

static struct bph_clustering *run_opts(struct bph_graph *g,
				       const char *only_families)
{
	struct bph_cluster_opts o;
	struct bph_clustering *c = NULL;

	bph_cluster_opts_default(&o);
	if (only_families) {
		for (int f = 0; f < BPH_FAM_COUNT; f++)
			o.family_on[f] =
			    strstr(only_families, bph_family_name(f)) != NULL;
	}
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	bph_cluster_opts_clear(&o);
	return c;
}

static bool together(const struct bph_clustering *c, const char *a,
		     const char *b)
{
	long x = bph_clustering_host(c, a), y = bph_clustering_host(c, b);

	assert_true(x >= 0 && y >= 0);
	return c->cluster_of[x] == c->cluster_of[y];
}

static const struct bph_link *link_of(const struct bph_clustering *c,
				      const char *ip)
{
	long h = bph_clustering_host(c, ip);

	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].a == (uint32_t)h ||
		    c->links[i].b == (uint32_t)h)
			return &c->links[i];
	return NULL;
}

/* What bph_clustering_explain() says about host for seed (a new string). */
static char *explain(const struct bph_clustering *c, const char *seed,
		     const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(bph_clustering_explain(c, seed, host, f), 0);
	fclose(f);
	return buf;
}

static void test_reinstalled_host_rejoins(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	neighbours(g, 3, "popular-a");
	struct bph_clustering *c = run_opts(g, NULL);

	assert_true(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "100"));
	const struct bph_link *l = link_of(c, PROVIDER_BLOCK "50");
	assert_non_null(l);
	char label[BPH_LINK_LABEL_MAX];
	assert_string_equal(bph_link_label(c, l, label), "neighbour");
	assert_true(l->bridge);
	assert_false(c->clusters[c->cluster_of[l->a]].weak_bridge);
	assert_int_equal(l->n_ev, 2);
	bool block = false, build = false;
	for (size_t i = 0; i < l->n_ev; i++) {
		const struct bph_art_stat *s = &c->arts[l->ev[i].art];
		assert_string_equal(bph_rule_name(l->ev[i].rule), "neighbour");
		assert_true(s->weight > 0);
		if (!strcmp(s->kind, "netblock")) {
			block = true;
			assert_string_equal(s->value, "198.18.1.0/24");
			assert_true(s->derived);
			assert_int_equal(s->df, 10); /* 6 + .50 + 3 */
			assert_int_equal(l->ev[i].port_a, 0);
		} else {
			build = true;
			assert_string_equal(s->kind, "hassh");
			assert_string_equal(s->value, HASSH_CUSTOM);
			assert_int_equal(s->df, 7);
			assert_int_equal(l->ev[i].first_seen, 10);
			assert_int_equal(l->ev[i].last_seen, 20);
		}
	}
	assert_true(block && build);
	char *why = explain(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50");
	assert_non_null(strstr(why, "rule neighbour"));
	assert_non_null(strstr(why, "netblock 198.18.1.0/24  (10 hosts in the "
				    "block"));
	assert_non_null(strstr(why, "hassh " HASSH_CUSTOM));
	free(why);
	char *report = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&report, &len);
	assert_int_equal(bph_clustering_print(c, PROVIDER_BLOCK "1", f), 0);
	fclose(f);
	assert_non_null(strstr(report, "members brought in by: 5 strong, 0 "
				       "score, 0 concentrated, 1 neighbour "
				       "link (check"));
	free(report);
	/* the derived artifact is never carried by a host */
	long h = bph_clustering_host(c, PROVIDER_BLOCK "50");
	assert_false(bph_clustering_host_has(c, (uint32_t)h, l->ev[0].art) &&
		     bph_clustering_host_has(c, (uint32_t)h, l->ev[1].art));
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Exports carry the netblock as evidence on the link, never as a node. */
static void test_exports_carry_the_block(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	struct bph_clustering *c = run_opts(g, NULL);
	const struct bph_export_opts o = {.seed = PROVIDER_BLOCK "1",
					  .artifact_nodes = true};
	const char *formats[] = {"json",      "graphml", "gexf", "dot",
				 "cytoscape", "stix",	 "csv"};

	for (size_t i = 0; i < sizeof(formats) / sizeof(*formats); i++) {
		char *buf = NULL, err[128] = "";
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		assert_int_equal(bph_export_write_opts(c, formats[i], &o, f,
						       err, sizeof(err)),
				 0);
		fclose(f);
		assert_non_null(strstr(buf, "198.18.1.0/24"));
		assert_non_null(strstr(buf, "neighbour"));
		assert_null(strstr(buf, "netblock: 198.18.1.0/24")); /* node */
		free(buf);
	}
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* A reseller on its upstream's image: the neighbours run the provider's
 * build too, so the build is not the provider's and nobody joins. */
static void test_shared_image_attaches_nobody(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	neighbours(g, 3, HASSH_CUSTOM);
	struct bph_clustering *c = run_opts(g, NULL);

	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	char *why = explain(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50");
	assert_non_null(strstr(why, "its /24: 6 of its 10 hosts in the "
				    "cluster, prior odds 1.50"));
	assert_non_null(strstr(why,
			       "on 6 of the cluster's 6 hosts and 4 outside it "
			       "(this host included); not the cluster's own"));
	free(why);
	for (int i = 0; i < 3; i++) {
		char ip[32];
		snprintf(ip, sizeof(ip), PROVIDER_BLOCK "%d", 100 + i);
		assert_false(together(c, PROVIDER_BLOCK "1", ip));
	}
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* The block is mostly someone else's: the prior is too low. */
static void test_crowded_block_attaches_nobody(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	neighbours(g, 150, "popular-b");
	struct bph_clustering *c = run_opts(g, NULL);

	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	char *why = explain(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50");
	assert_non_null(strstr(why, "prior odds 0.04"));
	assert_non_null(strstr(why, "posterior odds 9.0 (needs 99)"));
	free(why);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* The same build outside the provider's block links nothing (20 hosts:
 * two holders outside the provider still leave the build its own). */
static void test_other_block_attaches_nobody(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider_n(g, 20);
	bph_graph_add(g, "198.18.2.7", "hassh", HASSH_CUSTOM, 22, 1);
	struct bph_clustering *c = run_opts(g, NULL);

	assert_true(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	assert_false(together(c, PROVIDER_BLOCK "1", "198.18.2.7"));
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Weak evidence never merges clusters: a host already linked to another
 * host stays where the strong evidence put it. */
static void test_never_merges_clusters(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	bph_graph_add(g, "198.18.9.9", "ssh_hostkey", "SHA256:fresh", 22, 1);
	struct bph_clustering *c = run_opts(g, NULL);

	assert_true(together(c, PROVIDER_BLOCK "50", "198.18.9.9"));
	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	char *why = explain(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50");
	assert_non_null(strstr(why, "not tried: the host is linked"));
	free(why);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* --families without netblock turns the rule off. */
static void test_family_off(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	provider(g);
	struct bph_clustering *c = run_opts(g, "hostkey,software");

	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	bph_clustering_free(c);
	c = run_opts(g, "hostkey,software,netblock");
	assert_true(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Host names that are not dotted IPv4 (imports may carry anything) sort
 * beside the provider's block and never join or break it. */
static void test_odd_host_names(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	const char *odd[] = {"198.18.1.001", "198.18.1.",   "::ffff:198.18.1.9",
			     "host.example", "198.18.1.1 ", ""};
	background(g);
	provider(g);
	for (size_t i = 0; i < sizeof(odd) / sizeof(*odd); i++)
		bph_graph_add(g, odd[i], "hassh", HASSH_CUSTOM, 22, 1);
	struct bph_clustering *c = run_opts(g, NULL);

	for (size_t i = 0; i + 1 < sizeof(odd) / sizeof(*odd); i++)
		assert_false(together(c, PROVIDER_BLOCK "1", odd[i]));
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Too little background: the build cannot be shown to be rare. */
static void test_small_store_is_cautious(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	provider(g);
	neighbours(g, 2, "popular-a");
	struct bph_clustering *c = run_opts(g, NULL);

	assert_false(together(c, PROVIDER_BLOCK "1", PROVIDER_BLOCK "50"));
	bph_clustering_free(c);
	bph_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reinstalled_host_rejoins),
	    cmocka_unit_test(test_exports_carry_the_block),
	    cmocka_unit_test(test_shared_image_attaches_nobody),
	    cmocka_unit_test(test_crowded_block_attaches_nobody),
	    cmocka_unit_test(test_other_block_attaches_nobody),
	    cmocka_unit_test(test_never_merges_clusters),
	    cmocka_unit_test(test_family_off),
	    cmocka_unit_test(test_odd_host_names),
	    cmocka_unit_test(test_small_store_is_cautious),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
