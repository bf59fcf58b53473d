/*
 * One seed's cluster (cluster/seed.h) is the whole store's: on a synthetic
 * population (tests/unit/testlib/population.h) where every rule fires,
 * the seed's report and explanations from its neighbourhood equal those
 * of clustering everything, for the first host of every cluster, save
 * the cluster's number; and what it reads is less than the store, each
 * host's rows once (on a database server every read is a round trip).
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
#include "cluster/graph.h"
#include "cluster/seed.h"
#include "fingerprints/err.h"
#include "testlib/population.h"

static void add(void *arg, const char *host, const char *kind,
		const char *value, uint16_t port, int64_t seen)
{
	assert_int_equal(bph_graph_add(arg, host, kind, value, port, seen), 0);
}

/* Cuts the digits after every "cluster " and "(cluster N vs ": a
 * cluster's number counts the other clusters (largest first), which one
 * seed's clustering lacks. */
static void unnumber(char *s)
{
	char *w = s;

	for (const char *r = s; *r;) {
		size_t k = !strncmp(r, "cluster ", 8) ? 8
			   : !strncmp(r, " vs ", 4)   ? 4
						      : 0;
		if (k) {
			memmove(w, r, k);
			w += k;
			r += k;
			while (*r >= '0' && *r <= '9')
				r++;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
}

/* The seed's report and the explanation of each of hosts[0..n). */
static char *report(const struct bph_clustering *c, const char *seed,
		    const char *const *hosts, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(bph_clustering_print(c, seed, f), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bph_clustering_explain(c, seed, hosts[i], f),
				 0);
	fclose(f);
	unnumber(buf);
	return buf;
}

/* Hosts to explain: the seed's cluster's and its neighbours' in address
 * order (those of the seed's /24 are in any neighbourhood of it). */
static size_t explained(const struct bph_clustering *c, uint32_t s,
			const char **out, size_t max)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	size_t n = 0;

	for (size_t i = 0; i < k->n_hosts && n < max / 2; i++)
		out[n++] = c->hosts[k->hosts[i]];
	for (size_t h = s > 4 ? s - 4 : 0; h < c->n_hosts && n < max; h++)
		if (c->cluster_of[h] != c->cluster_of[s])
			out[n++] = c->hosts[h];
	return n;
}

/* A source that counts host_rows() reads per host around another. */
struct counting {
	struct bph_graph_source src;
	const struct bph_graph_source *in;
	struct bph_strmap *reads;
	size_t twice; /* reads of a host already read */
};

static int count_hosts(void *ctx, uint64_t *n)
{
	const struct counting *c = ctx;
	return c->in->count_hosts(c->in->ctx, n);
}

static int count_holders(void *ctx, const char *kind, const char *value,
			 uint64_t *df)
{
	const struct counting *c = ctx;
	return c->in->count_holders(c->in->ctx, kind, value, df);
}

static int host_rows(void *ctx, const char *host, bph_graph_row_fn fn,
		     void *arg, bool *answered)
{
	struct counting *c = ctx;
	uint32_t v = 0;

	if (bph_strmap_put(c->reads, host, strlen(host), &v, NULL) == 0)
		c->twice++;
	return c->in->host_rows(c->in->ctx, host, fn, arg, answered);
}

static int artifact_rows(void *ctx, const char *kind, const char *value,
			 bph_graph_row_fn fn, void *arg)
{
	const struct counting *c = ctx;
	return c->in->artifact_rows(c->in->ctx, kind, value, fn, arg);
}

static int range_hosts(void *ctx, uint32_t lo, uint32_t hi, bph_graph_row_fn fn,
		       void *arg)
{
	const struct counting *c = ctx;
	return c->in->range_hosts(c->in->ctx, lo, hi, fn, arg);
}

/* The batched read (a database server's): here host by host, the rows
 * of one host together as the contract asks. */
static int hosts_rows(void *ctx, const char *const *hosts, size_t n,
		      bph_graph_row_fn fn, void *arg, bool *answered)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = host_rows(ctx, hosts[i], fn, arg, &answered[i]);
	return rc;
}

/* The batched holders' read: here one artifact after the other. */
static int artifacts_rows(void *ctx, const char *const *kinds,
			  const char *const *values, size_t n,
			  bph_graph_row_fn fn, void *arg)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = artifact_rows(ctx, kinds[i], values[i], fn, arg);
	return rc;
}

static void check_seed(const struct bph_graph_source *src,
		       const struct bph_clustering *all, uint32_t s,
		       bool batched, size_t *read)
{
	const char *hosts[12];
	size_t n = explained(all, s, hosts, 12), n_read = 0;
	struct bph_clustering *one = NULL;
	const char *seed = all->hosts[s];
	struct counting cs = {
	    {.count_hosts = count_hosts,
	     .count_holders = count_holders,
	     .host_rows = host_rows,
	     .artifact_rows = artifact_rows,
	     .range_hosts = range_hosts,
	     .hosts_rows = batched ? hosts_rows : NULL,
	     .artifacts_rows = batched ? artifacts_rows : NULL},
	    src,
	    bph_strmap_new(),
	    0};

	cs.src.ctx = &cs;
	assert_non_null(cs.reads);
	assert_int_equal(bph_cluster_seed(&cs.src, seed, NULL, &one, &n_read),
			 0);
	assert_int_equal(cs.twice, 0);
	bph_strmap_free(cs.reads);
	for (size_t i = 0; i < n; i++)
		if (bph_clustering_host(one, hosts[i]) < 0) {
			long h = bph_clustering_host(all, hosts[i]);
			assert_true(all->cluster_of[h] != all->cluster_of[s]);
			assert_true(strncmp(hosts[i], seed,
					    strrchr(seed, '.') - seed + 1));
			hosts[i--] = hosts[--n];
		}
	char *a = report(all, seed, hosts, n), *b = report(one, seed, hosts, n);
	if (strcmp(a, b) && getenv("BPH_SEED_DIFF")) {
		FILE *fa = fopen("/tmp/x/a", "w"), *fb = fopen("/tmp/x/b", "w");
		fputs(a, fa);
		fputs(b, fb);
		fclose(fa);
		fclose(fb);
	}
	assert_string_equal(a, b);
	*read += n_read;
	free(a);
	free(b);
	bph_clustering_free(one);
}

static void test_seed_equals_whole(void **state)
{
	(void)state;
	struct bph_test_pop p = {.seed = 11, .providers = 40, .solos = 1500};
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *all = NULL;
	size_t read = 0, seeds = 0, rules[BPH_RULE_COUNT] = {0};

	assert_non_null(g);
	bph_test_population(&p, add, g);
	struct bph_graph_source *src = bph_graph_source_new(g);
	assert_non_null(src);
	assert_int_equal(bph_cluster_run(g, NULL, &all), 0);
	for (size_t i = 0; i < all->n_links; i++)
		rules[all->links[i].rule]++;
	for (int r = 0; r < BPH_RULE_COUNT; r++)
		assert_true(rules[r] > 0); /* every rule is compared */
	for (size_t k = 0; k < all->n_clusters; k++) {
		/* every third cluster, and every 150th singleton: each check
		 * costs a report of the whole clustering; 42 seeds still take
		 * clusters of every size */
		if (all->clusters[k].n_hosts == 1 ? k % 150 : k % 3)
			continue;
		check_seed(src, all, all->clusters[k].hosts[0], seeds % 2,
			   &read);
		seeds++;
	}
	print_message("%zu seeds, %zu hosts, %.0f read per seed\n", seeds,
		      all->n_hosts, (double)read / (double)seeds);
	/* a small population: the holders of artifacts under the
	 * concentrated rule's cap (1000) are most of it */
	assert_true(read / seeds < all->n_hosts * 9 / 10);
	bph_clustering_free(all);
	bph_graph_source_free(src);
	bph_graph_free(g);
}

static void test_unknown_seed(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *one = NULL;

	assert_int_equal(bph_graph_add(g, "198.18.0.1", "jarm", "x", 443, 1),
			 0);
	struct bph_graph_source *src = bph_graph_source_new(g);
	assert_int_equal(bph_cluster_seed(src, "198.18.0.2", NULL, &one, NULL),
			 BPH_ERR_USAGE);
	assert_null(one);
	assert_int_equal(bph_cluster_seed(src, "198.18.0.1", NULL, &one, NULL),
			 0);
	assert_int_equal(one->n_hosts, 1);
	bph_clustering_free(one);
	bph_graph_source_free(src);
	bph_graph_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_equals_whole),
	    cmocka_unit_test(test_unknown_seed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
