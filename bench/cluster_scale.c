/*
 * cluster_scale.c - how clustering scales: builds a synthetic host-artifact
 * graph in memory with bph_graph_add (N hosts, 10 artifacts each) and times
 * bph_cluster_run; or, with --db, times bph_store_load_graph on a store and
 * the clustering of what it loaded. Prints one JSON object: wall times and
 * peak RSS (getrusage ru_maxrss) after each phase.
 *
 * Usage: cluster_scale [--hosts N] [--seed S]
 *        cluster_scale --db FILE
 *
 * The population: 5% of hosts belong to providers of 20 hosts (two
 * template keys, one certificate batch, one panel title); the rest carry
 * unique keys, certificates and titles; everyone carries a TCP signature
 * and five software fingerprints drawn from small Zipf-like pools (so they
 * are shared by thousands and never link).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cluster/cluster.h"
#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "store/store.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A 64-hex-digit value derived from (tag, n). */
static void hex64(char out[65], uint64_t tag, uint64_t n)
{
	uint64_t s = tag * 0x100000001b3ULL ^ n, v[4];

	for (int i = 0; i < 4; i++)
		v[i] = splitmix(&s);
	snprintf(out, 65,
		 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64 "%016" PRIx64, v[0],
		 v[1], v[2], v[3]);
}

/* Skewed pick in [0, n): small values are much more frequent. */
static uint64_t skewed(uint64_t *rng, uint64_t n)
{
	double u = (double)(splitmix(rng) >> 11) / 9007199254740992.0;

	return (uint64_t)((double)n * u * u * u);
}

static int add_host(struct bph_graph *g, uint64_t i, uint64_t *rng)
{
	static const char *const soft[] = {"jarm", "ja3s", "hassh", "server",
					   "header_hash"};
	char ip[16], v[80];
	bool prov = i % 400 < 20; /* 5% in providers of 20 */
	uint64_t p = i / 400, u = i + 1;
	int rc;

	snprintf(ip, sizeof(ip), "%u.%u.%u.%u", (unsigned)(10 + (i >> 24)),
		 (unsigned)((i >> 16) & 255), (unsigned)((i >> 8) & 255),
		 (unsigned)(i & 255));
	snprintf(v, sizeof(v), "4:64+0:0:1460:64240,7:sig%" PRIu64,
		 skewed(rng, 40));
	if ((rc = bph_graph_add(g, ip, "tcp_sig", v, 22, 1)))
		return rc;
	for (int k = 0; k < 5; k++) {
		hex64(v, 100 + (uint64_t)k, skewed(rng, 60));
		if ((rc = bph_graph_add(g, ip, soft[k], v, 443, 1)))
			return rc;
	}
	hex64(v, 1, prov ? p * 2 + (i % 2) : u << 8); /* key: 2 per provider */
	v[43] = '\0';
	memmove(v + 7, v, 44);
	memcpy(v, "SHA256:", 7);
	if ((rc = bph_graph_add(g, ip, "ssh_hostkey", v, 22, 2)))
		return rc;
	hex64(v, 2, prov ? p : u << 8);
	if ((rc = bph_graph_add(g, ip, "cert_sha256", v, 443, 2)))
		return rc;
	hex64(v, 3, prov ? p : u << 8);
	if ((rc = bph_graph_add(g, ip, "spki_sha256", v, 443, 2)))
		return rc;
	if (prov)
		snprintf(v, sizeof(v), "Provider %" PRIu64 " client area", p);
	else
		snprintf(v, sizeof(v), "Site number %" PRIu64, u);
	return bph_graph_add(g, ip, "title", v, 80, 3);
}

static int run_cluster(const struct bph_graph *g, double t0, double t1)
{
	struct bph_clustering *c = NULL;
	double m1 = peak_mib();
	int rc = bph_cluster_run(g, NULL, &c);
	double t2 = now();
	size_t multi = 0;

	for (size_t i = 0; !rc && i < c->n_clusters; i++)
		multi += c->clusters[i].n_hosts > 1;
	printf("{\"hosts\": %zu, \"artifacts\": %zu, \"incidences\": %zu, "
	       "\"load_s\": %.3f, \"load_peak_rss_mib\": %.1f, "
	       "\"cluster_s\": %.3f, \"peak_rss_mib\": %.1f, "
	       "\"links\": %zu, \"clusters\": %zu, \"multi_host_clusters\": "
	       "%zu, \"rc\": %d}\n",
	       g->n_hosts, g->n_arts, g->n_inc, t1 - t0, m1, t2 - t1,
	       peak_mib(), c ? c->n_links : 0, c ? c->n_clusters : 0, multi,
	       rc);
	bph_clustering_free(c);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t n = 100000, rng = 1;
	const char *db = NULL;
	struct bph_graph *g = bph_graph_new();
	int rc = g ? 0 : BPH_ERR_NOMEM;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--hosts"))
			n = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--seed"))
			rng = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
	}
	double t0 = now();
	if (db) {
		struct bph_store *st = NULL;
		char err[256] = "";
		rc = bph_store_open(db, BPH_STORE_READ, &st, err, sizeof(err));
		if (!rc)
			rc = bph_store_load_graph(st, g);
		bph_store_close(st);
		if (rc)
			fprintf(stderr, "cluster_scale: %s: %s\n", db,
				err[0] ? err : bph_strerror(rc));
	}
	for (uint64_t i = 0; !db && !rc && i < n; i++)
		rc = add_host(g, i, &rng);
	if (!rc)
		rc = run_cluster(g, t0, now());
	bph_graph_free(g);
	if (rc)
		fprintf(stderr, "cluster_scale: %s\n", bph_strerror(rc));
	return rc ? 1 : 0;
}
