#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <igraph.h>

#include "cluster/cluster.h"
#include "cluster/community.h"
#include "fingerprints/err.h"

#define GROUP 30 /* hosts per dense group: 2 x 30 >= the default min 50 */

/* Background hosts so that rarity means something. */
static void background(struct bph_graph *g)
{
	char ip[32], v[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		snprintf(v, sizeof(v), "bg-key-%d", i);
		assert_int_equal(bph_graph_add(g, ip, "ssh_hostkey", v, 22, 1),
				 0);
	}
}

/* n hosts 198.18.<net>.1..n sharing one host key: a clique of links. */
static void add_group(struct bph_graph *g, int net, int n, const char *key)
{
	char ip[32];
	for (int i = 0; i < n; i++) {
		snprintf(ip, sizeof(ip), "198.18.%d.%d", net, i + 1);
		assert_int_equal(
		    bph_graph_add(g, ip, "ssh_hostkey", key, 22, 1), 0);
	}
}

/* a and b share a certificate: one strong link between their groups. */
static void add_bridge(struct bph_graph *g, const char *a, const char *b,
		       const char *cert)
{
	assert_int_equal(bph_graph_add(g, a, "cert_sha256", cert, 443, 1), 0);
	assert_int_equal(bph_graph_add(g, b, "cert_sha256", cert, 443, 1), 0);
}

static struct bph_clustering *run(struct bph_graph *g)
{
	struct bph_cluster_opts o;
	struct bph_clustering *c = NULL;
	bph_cluster_opts_default(&o);
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	bph_cluster_opts_clear(&o);
	return c;
}

/* Two groups of 30 joined by one link, a group of 5, 20 singletons. */
static struct bph_clustering *two_groups(void)
{
	struct bph_graph *g = bph_graph_new();
	assert_non_null(g);
	background(g);
	add_group(g, 1, GROUP, "SHA256:groupA");
	add_group(g, 2, GROUP, "SHA256:groupB");
	add_group(g, 3, 5, "SHA256:small");
	add_bridge(g, "198.18.1.7", "198.18.2.9", "bridge-cert");
	struct bph_clustering *c = run(g);
	bph_graph_free(g);
	assert_int_equal(c->n_clusters, 1 + 1 + 20);
	assert_int_equal(c->clusters[0].n_hosts, 2 * GROUP);
	return c;
}

static uint32_t comm(const struct bph_clustering *c, const char *ip)
{
	long h = bph_clustering_host(c, ip);
	assert_true(h >= 0);
	return c->community_of[h];
}

static struct bph_community_opts opts(enum bph_community_method m)
{
	struct bph_community_opts o;
	bph_community_opts_default(&o);
	o.method = m;
	return o;
}

/* Each group one community, numbered by smallest address; the rest one
 * community per cluster, in cluster order. */
static void check_two_groups(const struct bph_clustering *c)
{
	char ip[32];
	assert_non_null(c->community_of);
	for (int i = 0; i < GROUP; i++) {
		snprintf(ip, sizeof(ip), "198.18.1.%d", i + 1);
		assert_int_equal(comm(c, ip), 1);
		snprintf(ip, sizeof(ip), "198.18.2.%d", i + 1);
		assert_int_equal(comm(c, ip), 2);
	}
	for (int i = 0; i < 5; i++) {
		snprintf(ip, sizeof(ip), "198.18.3.%d", i + 1);
		assert_int_equal(comm(c, ip), 3);
	}
	assert_int_equal(c->n_communities, 2 + 1 + 20);
	for (size_t h = 0; h < c->n_hosts; h++) {
		uint32_t k = c->cluster_of[h];
		if (k > 0) /* untouched clusters: one community each */
			assert_int_equal(c->community_of[h], k + 2);
	}
}

static void test_two_groups_louvain(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LOUVAIN);
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	check_two_groups(c);
	bph_clustering_free(c);
}

static void test_two_groups_leiden(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LEIDEN);
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	check_two_groups(c);
	bph_clustering_free(c);
}

/* Below min_size nothing is split: community = cluster, in order. */
static void test_small_clusters_untouched(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LOUVAIN);
	o.min_size = 2 * GROUP + 1;
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	assert_int_equal(c->n_communities, c->n_clusters);
	for (size_t h = 0; h < c->n_hosts; h++)
		assert_int_equal(c->community_of[h], c->cluster_of[h] + 1);
	bph_clustering_free(c);
}

/* A tiny resolution favours one community: the two groups stay one. */
static void test_low_resolution_no_split(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	for (int m = BPH_COMMUNITY_LEIDEN; m <= BPH_COMMUNITY_LOUVAIN; m++) {
		struct bph_community_opts o =
		    opts((enum bph_community_method)m);
		o.resolution = 0.0001;
		assert_int_equal(bph_cluster_communities(c, &o), 0);
		assert_int_equal(comm(c, "198.18.1.1"), 1);
		assert_int_equal(comm(c, "198.18.2.30"), 1);
		assert_int_equal(c->n_communities, 1 + 1 + 20);
	}
	bph_clustering_free(c);
}

static void test_none_leaves_null(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_NONE);
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	assert_null(c->community_of);
	assert_int_equal(c->n_communities, 0);
	/* and it clears an earlier split */
	o.method = BPH_COMMUNITY_LEIDEN;
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	assert_non_null(c->community_of);
	o.method = BPH_COMMUNITY_NONE;
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	assert_null(c->community_of);
	assert_int_equal(c->n_communities, 0);
	bph_clustering_free(c);
}

static void test_invalid_opts(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LOUVAIN);
	o.resolution = 0;
	assert_int_equal(bph_cluster_communities(c, &o), BPH_ERR_USAGE);
	o.resolution = NAN;
	assert_int_equal(bph_cluster_communities(c, &o), BPH_ERR_USAGE);
	o.resolution = INFINITY;
	assert_int_equal(bph_cluster_communities(c, &o), BPH_ERR_USAGE);
	o = opts(BPH_COMMUNITY_LEIDEN);
	o.min_size = 1;
	assert_int_equal(bph_cluster_communities(c, &o), BPH_ERR_USAGE);
	bph_community_opts_default(&o); /* the documented defaults */
	assert_int_equal(o.method, BPH_COMMUNITY_NONE);
	assert_int_equal(o.min_size, 50);
	assert_true(o.resolution == 0.1);
	o = opts((enum bph_community_method)99);
	assert_int_equal(bph_cluster_communities(c, &o), BPH_ERR_USAGE);
	assert_null(c->community_of);
	enum bph_community_method m = BPH_COMMUNITY_NONE;
	assert_int_equal(bph_community_method_parse("leiden", &m), 0);
	assert_int_equal(m, BPH_COMMUNITY_LEIDEN);
	assert_int_equal(bph_community_method_parse("louvain", &m), 0);
	assert_int_equal(m, BPH_COMMUNITY_LOUVAIN);
	assert_int_equal(bph_community_method_parse("Louvain", &m),
			 BPH_ERR_USAGE);
	assert_int_equal(bph_community_method_parse("", &m), BPH_ERR_USAGE);
	assert_string_equal(bph_community_method_name(BPH_COMMUNITY_LEIDEN),
			    "leiden");
	bph_clustering_free(c);
}

/* An error handler of the caller's, which the call must put back. */
static void caller_handler(const char *reason, const char *file, int line,
			   igraph_error_t e)
{
	fail_msg("igraph error %d at %s:%d: %s", (int)e, file, line, reason);
}

/*
 * 80 hosts carrying 3 of 40 host keys each, chosen by a fixed LCG: a
 * graph without clear communities, so the partition depends on the order
 * igraph visits vertices in, which its RNG decides.
 */
static struct bph_clustering *tangle_with(bool big)
{
	struct bph_graph *g = bph_graph_new();
	char ip[32], key[32];
	uint32_t x = 7;
	assert_non_null(g);
	background(g);
	/* 90 more hosts: with big, a larger cluster (split first); else
	 * singletons. N and the tangle's weights are the same either way. */
	for (int i = 0; i < 90; i++) {
		snprintf(ip, sizeof(ip), "198.18.%d.%d", 100 + i / 45,
			 1 + i % 45);
		snprintf(key, sizeof(key), "SHA256:%s-%d", big ? "big" : "solo",
			 big ? i / 45 : i);
		assert_int_equal(
		    bph_graph_add(g, ip, "ssh_hostkey", key, 22, 1), 0);
	}
	if (big)
		add_bridge(g, "198.18.100.1", "198.18.101.1", "big-bridge");
	for (int i = 0; i < 80; i++) {
		snprintf(ip, sizeof(ip), "198.18.%d.%d", 40 + i / 20,
			 1 + i % 20);
		for (int j = 0; j < 3; j++) {
			x = x * 1103515245u + 12345u;
			snprintf(key, sizeof(key), "SHA256:tangle-%u",
				 (x >> 16) % 40);
			assert_int_equal(
			    bph_graph_add(g, ip, "ssh_hostkey", key, 22, 1), 0);
		}
	}
	struct bph_clustering *c = run(g);
	bph_graph_free(g);
	assert_true(c->clusters[big ? 1 : 0].n_hosts >= 70);
	return c;
}

static struct bph_clustering *tangle(void)
{
	return tangle_with(false);
}

static uint32_t *run_copy(struct bph_clustering *c,
			  const struct bph_community_opts *o)
{
	assert_int_equal(bph_cluster_communities(c, o), 0);
	uint32_t *copy = malloc(c->n_hosts * sizeof(*copy));
	assert_non_null(copy);
	memcpy(copy, c->community_of, c->n_hosts * sizeof(*copy));
	return copy;
}

/* Five draws from igraph's global RNG after seeding it with 12345. */
static void draws(igraph_integer_t out[5])
{
	for (int i = 0; i < 5; i++)
		out[i] =
		    igraph_rng_get_integer(igraph_rng_default(), 0, 1000000);
}

/* Same input, same ids, whatever igraph's global RNG did in between; and
 * igraph's global RNG (its state too) and error handler are the caller's
 * again afterwards. */
static void test_deterministic(void **state)
{
	(void)state;
	igraph_integer_t want[5], got[5];
	igraph_rng_seed(igraph_rng_default(), 12345);
	draws(want);
	for (int m = BPH_COMMUNITY_LEIDEN; m <= BPH_COMMUNITY_LOUVAIN; m++) {
		struct bph_community_opts o =
		    opts((enum bph_community_method)m);
		o.resolution = 2.0;
		struct bph_clustering *c1 = tangle(), *c2 = tangle();
		igraph_set_error_handler(caller_handler);
		igraph_rng_seed(igraph_rng_default(), 12345);
		uint32_t *x = run_copy(c1, &o);
		draws(got);
		assert_memory_equal(got, want, sizeof(want));
		igraph_rng_seed(igraph_rng_default(), 999);
		uint32_t *y = run_copy(c2, &o);
		assert_memory_equal(x, y, c1->n_hosts * sizeof(*x));
		assert_true(c1->n_communities > c1->n_clusters);
		/* and the seed is what decides: another one differs */
		bool differs = false;
		for (o.seed = 2; o.seed < 6 && !differs; o.seed++) {
			assert_int_equal(bph_cluster_communities(c2, &o), 0);
			differs = memcmp(x, c2->community_of,
					 c2->n_hosts * sizeof(*x)) != 0;
		}
		assert_true(differs);
		igraph_error_handler_t *h =
		    igraph_set_error_handler(igraph_error_handler_abort);
		assert_ptr_equal(h, caller_handler);
		free(x);
		free(y);
		bph_clustering_free(c1);
		bph_clustering_free(c2);
	}
}

/* A cluster's split does not depend on the clusters split before it. */
static void test_clusters_independent(void **state)
{
	(void)state;
	for (int m = BPH_COMMUNITY_LEIDEN; m <= BPH_COMMUNITY_LOUVAIN; m++) {
		struct bph_community_opts o =
		    opts((enum bph_community_method)m);
		o.resolution = 2.0;
		struct bph_clustering *a = tangle(), *b = tangle_with(true);
		assert_int_equal(bph_cluster_communities(a, &o), 0);
		assert_int_equal(bph_cluster_communities(b, &o), 0);
		const struct bph_cluster *ka = &a->clusters[0];
		uint32_t base_a = a->community_of[ka->hosts[0]];
		uint32_t base_b =
		    comm(b, a->hosts[ka->hosts[0]]); /* same host in b */
		assert_true(base_b > 1); /* the big group came first */
		for (size_t i = 0; i < ka->n_hosts; i++) {
			const char *ip = a->hosts[ka->hosts[i]];
			assert_int_equal(comm(a, ip) - base_a,
					 comm(b, ip) - base_b);
		}
		bph_clustering_free(a);
		bph_clustering_free(b);
	}
}

/* Leiden's communities are connected (BFS inside each community). */
static void test_leiden_connected(void **state)
{
	(void)state;
	struct bph_clustering *c = tangle();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LEIDEN);
	o.resolution = 2.0;
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	const struct bph_cluster *k = &c->clusters[0];
	uint32_t *seen = calloc(c->n_hosts, sizeof(*seen));
	uint32_t *queue = malloc(c->n_hosts * sizeof(*queue));
	assert_true(seen && queue);
	for (size_t i = 0; i < k->n_hosts; i++) {
		uint32_t s = k->hosts[i], id = c->community_of[s];
		if (seen[s])
			continue;
		/* the first host of a community in host order: flood it */
		size_t head = 0, tail = 0, members = 0;
		queue[tail++] = s;
		seen[s] = id;
		while (head < tail) {
			uint32_t u = queue[head++];
			for (size_t j = 0; j < k->n_links; j++) {
				const struct bph_link *l =
				    &c->links[k->links[j]];
				uint32_t w = l->a == u	 ? l->b
					     : l->b == u ? l->a
							 : u;
				if (w == u || seen[w] ||
				    c->community_of[w] != id)
					continue;
				seen[w] = id;
				queue[tail++] = w;
			}
		}
		for (size_t j = 0; j < k->n_hosts; j++)
			members += c->community_of[k->hosts[j]] == id;
		assert_int_equal(tail, members);
	}
	free(seen);
	free(queue);
	bph_clustering_free(c);
}

static char *print(const struct bph_clustering *c,
		   const struct bph_community_opts *o, const char *seed,
		   int want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(bph_community_print(c, o, seed, f), want);
	fclose(f);
	return buf;
}

static void test_print(void **state)
{
	(void)state;
	struct bph_clustering *c = two_groups();
	struct bph_community_opts o = opts(BPH_COMMUNITY_LOUVAIN);
	char *t = print(c, &o, NULL, 0);
	assert_string_equal(t, ""); /* no split ran: nothing to say */
	free(t);
	assert_int_equal(bph_cluster_communities(c, &o), 0);
	t = print(c, &o, NULL, 0);
	assert_non_null(strstr(t, "cluster 1: 60 hosts in 2 communities "
				  "(louvain, resolution 0.1)\n"));
	assert_non_null(strstr(t, "  community 1: 30 hosts: 198.18.1.1 "
				  "198.18.1.2 198.18.1.3 "));
	assert_non_null(strstr(t, "  community 2: 30 hosts: 198.18.2.1 "));
	assert_null(strstr(t, "198.18.3.1")); /* small cluster: not listed */
	assert_non_null(strstr(t, "23 communities in all; louvain ran on 1 "
				  "cluster of 50 hosts or more\n"));
	free(t);
	t = print(c, &o, "198.18.2.4", 0);
	assert_non_null(strstr(t, "seed 198.18.2.4: community 2, 30 of the "
				  "60 hosts of cluster 1 (2 communities"));
	assert_non_null(strstr(t, "  community 2: 30 hosts (the seed's): "));
	assert_non_null(strstr(t, "  community 1: 30 hosts: "));
	free(t);
	t = print(c, &o, "198.18.3.2", 0);
	assert_non_null(strstr(t, "seed 198.18.3.2: community 3, all of "
				  "cluster 2 (5 hosts; clusters of 50 hosts "
				  "or more are split)\n"));
	free(t);
	t = print(c, &o, "192.0.2.1", BPH_ERR_USAGE);
	free(t);
	bph_clustering_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_groups_louvain),
	    cmocka_unit_test(test_two_groups_leiden),
	    cmocka_unit_test(test_small_clusters_untouched),
	    cmocka_unit_test(test_low_resolution_no_split),
	    cmocka_unit_test(test_none_leaves_null),
	    cmocka_unit_test(test_invalid_opts),
	    cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_clusters_independent),
	    cmocka_unit_test(test_leiden_connected),
	    cmocka_unit_test(test_print),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
