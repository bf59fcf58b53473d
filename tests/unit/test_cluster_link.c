#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "fingerprints/err.h"

#define NGINX_BODY                                                             \
	"fb47468a2cd3953c7131431991afcc6a2703f14640520102eea0a685a7e8d6de"

/* Background hosts so that rarity means something (N = 20 + the rest). */
static void background(struct bph_graph *g)
{
	char ip[32], v[32];
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		snprintf(v, sizeof(v), "bg-key-%d", i);
		assert_int_equal(bph_graph_add(g, ip, "ssh_hostkey", v, 22, 1),
				 0);
		/* one kernel: every host has the same TCP signature */
		assert_int_equal(
		    bph_graph_add(g, ip, "tcp_sig", "linux", 22, 1), 0);
	}
}

/* The link's rule as printed (one buffer: use one at a time). */
static const char *label(const struct bph_clustering *c,
			 const struct bph_link *l)
{
	static char buf[BPH_LINK_LABEL_MAX];
	return bph_link_label(c, l, buf);
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

static int same_cluster(const struct bph_clustering *c, const char *a,
			const char *b)
{
	long x = bph_clustering_host(c, a), y = bph_clustering_host(c, b);
	assert_true(x >= 0 && y >= 0);
	return c->cluster_of[x] == c->cluster_of[y];
}

static void test_strong_link(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	bph_graph_add(g, "198.18.1.1", "ssh_hostkey", "SHA256:shared", 22, 100);
	bph_graph_add(g, "198.18.1.2", "ssh_hostkey", "SHA256:shared", 2222,
		      200);
	bph_graph_add(g, "198.18.1.3", "cert_sha256", "aa", 443, 100);
	struct bph_clustering *c = run(g);
	assert_true(same_cluster(c, "198.18.1.1", "198.18.1.2"));
	assert_false(same_cluster(c, "198.18.1.1", "198.18.1.3"));
	assert_int_equal(c->n_hosts, 23);
	assert_int_equal(c->n_links, 1);
	assert_string_equal(label(c, &c->links[0]), "strong:ssh_hostkey");
	assert_int_equal(c->links[0].n_ev, 1);
	const struct bph_evidence *e = &c->links[0].ev[0];
	assert_int_equal(c->arts[e->art].df, 2);
	assert_int_equal(e->port_a, 22);
	assert_int_equal(e->port_b, 2222);
	assert_int_equal(e->first_seen, 100);
	assert_int_equal(e->last_seen, 200);
	assert_true(c->arts[e->art].weight > 0);
	/* every host in exactly one cluster */
	size_t total = 0;
	for (size_t i = 0; i < c->n_clusters; i++)
		total += c->clusters[i].n_hosts;
	assert_int_equal(total, c->n_hosts);
	assert_int_equal(c->clusters[0].n_hosts, 2); /* largest first */
	bph_clustering_free(c);
	bph_graph_free(g);
}

static void test_strong_over_cap_does_not_link(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	char ip[32];
	for (int i = 0; i < 51; i++) { /* default max_strong_share is 50 */
		snprintf(ip, sizeof(ip), "10.1.0.%d", i + 1);
		bph_graph_add(g, ip, "ssh_hostkey", "SHA256:dropbear", 22, 1);
	}
	struct bph_clustering *c = run(g);
	assert_int_equal(c->n_links, 0);
	assert_int_equal(c->n_clusters, 51);
	bph_clustering_free(c);
	bph_graph_free(g);
}

static void test_common_artifact_does_not_link(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	/* the all-zero JARM and the nginx default page are on common.yaml */
	const char *hosts[] = {"198.18.2.1", "198.18.2.2"};
	for (int i = 0; i < 2; i++) {
		bph_graph_add(g, hosts[i], "title", "Welcome to nginx!", 80, 1);
		bph_graph_add(g, hosts[i], "body_sha256", NGINX_BODY, 80, 1);
		bph_graph_add(g, hosts[i], "jarm",
			      "000000000000000000000000000000000000000000000"
			      "00000000000000000",
			      443, 1);
	}
	struct bph_clustering *c = run(g);
	assert_false(same_cluster(c, hosts[0], hosts[1]));
	long h = bph_clustering_host(c, hosts[0]);
	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		assert_true(c->arts[c->inc[i].art].weight == 0);
		assert_string_equal(c->arts[c->inc[i].art].why_zero,
				    "on the common-artifacts list");
	}
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Unrelated lab tenants: default nginx page + same JARM + same HASSH. */
static void test_lab_tenants_do_not_link(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	const char *hosts[] = {"198.18.3.1", "198.18.3.2"};
	for (int i = 0; i < 2; i++) {
		bph_graph_add(g, hosts[i], "title", "Welcome to nginx!", 80, 1);
		bph_graph_add(g, hosts[i], "body_sha256", NGINX_BODY, 80, 1);
		bph_graph_add(g, hosts[i], "jarm",
			      "27d40d40d29d40d1dc42d43d00041d", 443, 1);
		bph_graph_add(g, hosts[i], "hassh",
			      "d43d91bc39d5aaed819ad9f6b57b7348", 22, 1);
		bph_graph_add(g, hosts[i], "server", "nginx/1.22.1", 80, 1);
		bph_graph_add(g, hosts[i], "tcp_sig", "linux", 80, 1);
	}
	struct bph_clustering *c = run(g);
	assert_false(same_cluster(c, hosts[0], hosts[1]));
	assert_int_equal(c->n_links, 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bph_clustering_explain(c, hosts[0], hosts[1], f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "NOT in the cluster"));
	assert_non_null(strstr(buf, "on the common-artifacts list"));
	free(buf);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/*
 * The score rule needs two families, one of them not weak: a medium family
 * with a weak one links; either alone does not, and two weak families
 * (software + tcp: both measure software builds) do not either.
 */
static void test_two_weak_families(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	/* A: title + tcp; B: software only; C: tcp only; D: software + tcp */
	bph_graph_add(g, "198.18.4.1", "title", "Panel A", 80, 1);
	bph_graph_add(g, "198.18.4.2", "title", "Panel A", 80, 1);
	bph_graph_add(g, "198.18.4.1", "tcp_sig", "sigA", 443, 1);
	bph_graph_add(g, "198.18.4.2", "tcp_sig", "sigA", 443, 1);
	bph_graph_add(g, "198.18.5.1", "jarm", "jarmB", 443, 1);
	bph_graph_add(g, "198.18.5.2", "jarm", "jarmB", 443, 1);
	bph_graph_add(g, "198.18.5.1", "hassh", "hasshB", 22, 1);
	bph_graph_add(g, "198.18.5.2", "hassh", "hasshB", 22, 1);
	bph_graph_add(g, "198.18.6.1", "tcp_sig", "sigC", 443, 1);
	bph_graph_add(g, "198.18.6.2", "tcp_sig", "sigC", 443, 1);
	bph_graph_add(g, "198.18.9.1", "jarm", "jarmD", 443, 1);
	bph_graph_add(g, "198.18.9.2", "jarm", "jarmD", 443, 1);
	bph_graph_add(g, "198.18.9.1", "tcp_sig", "sigD", 443, 1);
	bph_graph_add(g, "198.18.9.2", "tcp_sig", "sigD", 443, 1);
	struct bph_clustering *c = run(g);
	assert_true(same_cluster(c, "198.18.4.1", "198.18.4.2"));
	assert_false(same_cluster(c, "198.18.5.1", "198.18.5.2"));
	assert_false(same_cluster(c, "198.18.6.1", "198.18.6.2"));
	assert_false(same_cluster(c, "198.18.9.1", "198.18.9.2"));
	assert_int_equal(c->n_links, 1);
	assert_string_equal(label(c, &c->links[0]), "score>=3.00");
	assert_int_equal(c->links[0].n_ev, 2);
	assert_string_equal(bph_rule_name(c->links[0].ev[0].rule), "score");
	/* a score link alone holding a pair is a weak bridge */
	assert_true(c->links[0].bridge);
	assert_true(
	    c->clusters[c->cluster_of[bph_clustering_host(c, "198.18.4.1")]]
		.weak_bridge);
	bph_clustering_free(c);
	bph_graph_free(g);
}

static void test_bridge_only_when_cut(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	background(g);
	/* triangle by strong keys: no bridges */
	bph_graph_add(g, "198.18.7.1", "ssh_hostkey", "k1", 22, 1);
	bph_graph_add(g, "198.18.7.2", "ssh_hostkey", "k1", 22, 1);
	bph_graph_add(g, "198.18.7.2", "cert_sha256", "c2", 443, 1);
	bph_graph_add(g, "198.18.7.3", "cert_sha256", "c2", 443, 1);
	bph_graph_add(g, "198.18.7.3", "spki_sha256", "s3", 443, 1);
	bph_graph_add(g, "198.18.7.1", "spki_sha256", "s3", 443, 1);
	struct bph_clustering *c = run(g);
	assert_int_equal(c->n_links, 3);
	for (size_t i = 0; i < c->n_links; i++)
		assert_false(c->links[i].bridge);
	assert_false(c->clusters[0].weak_bridge);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bph_clustering_print(c, "198.18.7.3", f), 0);
	assert_int_equal(
	    bph_clustering_explain(c, "198.18.7.1", "198.18.7.3", f), 0);
	assert_int_equal(bph_clustering_print(c, "1.2.3.4", f), BPH_ERR_USAGE);
	fclose(f);
	assert_non_null(strstr(buf, "seed 198.18.7.3: cluster 1, 3 hosts"));
	/* every other member once, with the link that brought it in */
	assert_non_null(strstr(buf, "  198.18.7.1  linked to 198.18.7.3"));
	assert_non_null(strstr(buf, "  198.18.7.2  linked to 198.18.7.3"));
	assert_null(strstr(buf, "  198.18.7.3  linked to"));
	assert_non_null(strstr(buf, "198.18.7.3 is in the cluster of"));
	free(buf);
	bph_clustering_free(c);
	bph_graph_free(g);
}

static void test_family_switch(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	struct bph_cluster_opts o;
	struct bph_clustering *c = NULL;
	background(g);
	bph_graph_add(g, "198.18.8.1", "ssh_hostkey", "SHA256:k8", 22, 1);
	bph_graph_add(g, "198.18.8.2", "ssh_hostkey", "SHA256:k8", 22, 1);
	bph_cluster_opts_default(&o);
	o.family_on[BPH_FAM_HOSTKEY] = false;
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	assert_false(same_cluster(c, "198.18.8.1", "198.18.8.2"));
	bph_clustering_free(c);
	o.family_on[BPH_FAM_HOSTKEY] = true;
	o.max_share[BPH_STRONG] = 1; /* nothing shared is rare enough */
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	assert_int_equal(c->n_links, 0);
	bph_clustering_free(c);
	bph_cluster_opts_clear(&o);
	bph_graph_free(g);
}

/* Devices of one vendor: a key on 60 (over the cap) and a default
 * certificate on 10 of them; the certificate is explained by the key. */
static void test_vendor_default_does_not_link(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	char ip[32];
	background(g);
	for (int i = 0; i < 60; i++) {
		snprintf(ip, sizeof(ip), "10.2.0.%d", i + 1);
		bph_graph_add(g, ip, "ssh_hostkey", "SHA256:vendor", 22, 1);
		if (i < 10)
			bph_graph_add(g, ip, "cert_sha256", "dd", 443, 1);
	}
	bph_graph_add(g, "198.18.3.1", "cert_sha256", "ee", 443, 1);
	bph_graph_add(g, "198.18.3.2", "cert_sha256", "ee", 443, 1);
	struct bph_clustering *c = run(g);
	assert_int_equal(c->n_links, 1); /* only the 198.18.3.x pair */
	assert_true(same_cluster(c, "198.18.3.1", "198.18.3.2"));
	long h = bph_clustering_host(c, "10.2.0.1");
	int seen = 0;
	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++)
		if (!strcmp(c->arts[c->inc[i].art].kind, "cert_sha256")) {
			assert_non_null(
			    strstr(c->arts[c->inc[i].art].why_zero, "default"));
			seen++;
		}
	assert_int_equal(seen, 1);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* A panel over the medium cap, mostly on one linked cluster: holders with
 * two panel families join it; one with only the favicon does not, nor do
 * unrelated hosts sharing a popular favicon. */
static void test_concentrated_panel(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	char ip[32];
	background(g);
	for (int i = 0; i < 34; i++) {
		snprintf(ip, sizeof(ip), "198.18.30.%d", i + 1);
		if (i < 30)
			bph_graph_add(g, ip, "ssh_hostkey", "SHA256:prov", 22,
				      1);
		if (i < 25 || i >= 30) {
			bph_graph_add(g, ip, "title", "Prov panel", 80, 1);
			bph_graph_add(g, ip, "favicon", "123", 80, 1);
		}
	}
	bph_graph_add(g, "198.18.31.1", "favicon", "123", 80, 1);
	for (int i = 0; i < 30; i++) {
		snprintf(ip, sizeof(ip), "198.18.32.%d", i + 1);
		bph_graph_add(g, ip, "favicon", "999", 80, 1);
	}
	struct bph_clustering *c = run(g);
	long h = bph_clustering_host(c, "198.18.30.1");
	assert_int_equal(c->clusters[c->cluster_of[h]].n_hosts, 34);
	assert_false(same_cluster(c, "198.18.30.1", "198.18.31.1"));
	assert_false(same_cluster(c, "198.18.32.1", "198.18.32.2"));
	size_t conc = 0;
	for (size_t i = 0; i < c->n_links; i++)
		if (c->links[i].rule == BPH_RULE_CONCENTRATED) {
			assert_int_equal(c->links[i].n_ev, 2);
			conc++;
		}
	assert_int_equal(conc, 4);
	assert_false(c->clusters[c->cluster_of[h]].weak_bridge);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* Why a host outside the seed's cluster is outside: each category. */
static void test_explain_why_not(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	char ip[32];
	background(g);
	/* seed cluster: two hosts on one key */
	bph_graph_add(g, "198.18.40.1", "ssh_hostkey", "SHA256:s", 22, 1);
	bph_graph_add(g, "198.18.40.2", "ssh_hostkey", "SHA256:s", 22, 1);
	/* the outsider shares with .1 a title (medium), the nginx title
	 * (common) and a favicon on 30 unrelated hosts (over cap), and with
	 * .2 a JARM (weak): no pair reaches two families */
	const char *in[] = {"198.18.40.1", "198.18.40.9"};
	for (int i = 0; i < 2; i++) {
		bph_graph_add(g, in[i], "title", "Rare panel", 80, 1);
		bph_graph_add(g, in[i], "title", "Welcome to nginx!", 8080, 1);
		bph_graph_add(g, in[i], "favicon", "777", 80, 1);
	}
	bph_graph_add(g, "198.18.40.2", "jarm", "jarmX", 443, 1);
	bph_graph_add(g, "198.18.40.9", "jarm", "jarmX", 443, 1);
	for (int i = 0; i < 30; i++) {
		snprintf(ip, sizeof(ip), "10.3.0.%d", i + 1);
		bph_graph_add(g, ip, "favicon", "777", 80, 1);
	}
	struct bph_clustering *c = run(g);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(
	    bph_clustering_explain(c, "198.18.40.2", "198.18.40.9", f), 0);
	assert_int_equal(bph_clustering_print(c, "198.18.40.9", f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "is NOT in the cluster"));
	assert_non_null(strstr(buf, "medium family title"));
	assert_non_null(strstr(buf, "below the threshold"));
	assert_non_null(strstr(buf, "weak family only"));
	assert_non_null(strstr(buf, "on the common-artifacts list"));
	assert_non_null(strstr(buf, "over the share cap: 32 hosts > 20"));
	assert_non_null(strstr(buf, "best pair score"));
	assert_non_null(strstr(buf, "alone: what it shares"));
	free(buf);
	bph_clustering_free(c);
	bph_graph_free(g);
}

/* The old breadth-first search, as a reference: for every host reached,
 * scan every link of the cluster in order. prev[h]: the link that reached
 * h (UINT32_MAX: the root, UINT32_MAX - 1: not in the cluster). */
static void naive_bfs(const struct bph_clustering *c, uint32_t s,
		      uint32_t *prev)
{
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	uint32_t *queue = malloc((k->n_hosts + 1) * sizeof(*queue));
	size_t head = 0, tail = 0;

	for (size_t h = 0; h < c->n_hosts; h++)
		prev[h] = UINT32_MAX - 1;
	prev[s] = UINT32_MAX;
	queue[tail++] = s;
	while (head < tail) {
		uint32_t u = queue[head++];
		for (size_t i = 0; i < k->n_links; i++) {
			const struct bph_link *l = &c->links[k->links[i]];
			uint32_t w = l->a == u ? l->b : l->b == u ? l->a : u;
			if (w == u || prev[w] != UINT32_MAX - 1)
				continue;
			prev[w] = k->links[i];
			queue[tail++] = w;
		}
	}
	free(queue);
}

/* Random providers (shared keys, certificates and panels over random
 * hosts, so clusters have many links and cycles): the seed's text names,
 * for every member, the link the reference search reached it by, and
 * explain counts the same hops back to the seed. */
static void test_explain_paths_as_reference(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 20; round++) {
		struct bph_graph *g = bph_graph_new();
		char ip[32], v[32];
		background(g);
		for (int i = 0; i < 300; i++) {
			snprintf(ip, sizeof(ip), "198.18.%d.%d", rand() % 4,
				 rand() % 60 + 1);
			snprintf(v, sizeof(v), "key-%d", rand() % 12);
			assert_int_equal(
			    bph_graph_add(g, ip, "ssh_hostkey", v, 22, 1), 0);
			snprintf(v, sizeof(v), "cert-%d", rand() % 15);
			assert_int_equal(
			    bph_graph_add(g, ip, "cert_sha256", v, 443, 1), 0);
		}
		struct bph_clustering *c = run(g);
		uint32_t *prev = malloc(c->n_hosts * sizeof(*prev));
		for (size_t s = 0; s < c->n_hosts; s += 7) {
			const struct bph_cluster *k =
			    &c->clusters[c->cluster_of[s]];
			char *buf = NULL, want[128];
			size_t len = 0, hops = 0;
			FILE *f = open_memstream(&buf, &len);
			assert_int_equal(
			    bph_clustering_print(c, c->hosts[s], f), 0);
			fclose(f);
			naive_bfs(c, (uint32_t)s, prev);
			for (size_t i = 0; i < k->n_hosts; i++) {
				uint32_t h = k->hosts[i];
				if (h == s)
					continue;
				const struct bph_link *l = &c->links[prev[h]];
				snprintf(want, sizeof(want),
					 "\n  %s  linked to %s  score ",
					 c->hosts[h],
					 c->hosts[l->a == h ? l->b : l->a]);
				assert_non_null(strstr(buf, want));
			}
			free(buf);
			uint32_t h = k->hosts[k->n_hosts - 1];
			if (h == s)
				continue;
			for (uint32_t u = h; prev[u] != UINT32_MAX; hops++) {
				const struct bph_link *l = &c->links[prev[u]];
				u = l->a == u ? l->b : l->a;
			}
			f = open_memstream(&buf, &len);
			assert_int_equal(bph_clustering_explain(c, c->hosts[s],
								c->hosts[h], f),
					 0);
			fclose(f);
			snprintf(want, sizeof(want), "), %zu link%s away", hops,
				 hops == 1 ? "" : "s");
			assert_non_null(strstr(buf, want));
			free(buf);
		}
		free(prev);
		bph_clustering_free(c);
		bph_graph_free(g);
	}
}

static void test_kind_registry(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct bph_kind_info *k = bph_kinds; k->kind; k++, n++) {
		assert_ptr_equal(bph_kind_lookup(k->kind), k); /* unique */
		assert_true(k->family < BPH_FAM_COUNT);
		assert_true(k->strength < BPH_STRENGTH_COUNT);
		assert_string_not_equal(bph_family_name(k->family), "?");
	}
	assert_int_equal(n, 13);
	assert_null(bph_kind_lookup("tls_subject"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strong_link),
	    cmocka_unit_test(test_strong_over_cap_does_not_link),
	    cmocka_unit_test(test_common_artifact_does_not_link),
	    cmocka_unit_test(test_lab_tenants_do_not_link),
	    cmocka_unit_test(test_two_weak_families),
	    cmocka_unit_test(test_bridge_only_when_cut),
	    cmocka_unit_test(test_family_switch),
	    cmocka_unit_test(test_kind_registry),
	    cmocka_unit_test(test_vendor_default_does_not_link),
	    cmocka_unit_test(test_concentrated_panel),
	    cmocka_unit_test(test_explain_why_not),
	    cmocka_unit_test(test_explain_paths_as_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
