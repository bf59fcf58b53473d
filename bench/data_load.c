/*
 * data_load.c - how fast the routing and registry data answers, for
 * bench/data_load.sh: loads the store's current snapshots into an rdb
 * (cli/data_glue.c), times longest-prefix matches on one core (random
 * IPv4 addresses, and the hosts' addresses), full route lookups, and the
 * annotation of every host of a host list as one clustering of
 * singletons (cli/annotate.c, what every report and export runs). Prints
 * one JSON object of wall times, rates and peak RSS.
 *
 * Usage: data_load --db STORE --hosts FILE [--lookups N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli/annotate.h"
#include "cli/data_glue.h"
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

/* CPU time of this thread: the machine may be shared, and "per second
 * on one core" means per second of the core's time. */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The annotation runs threads (cli/annotate.c): its CPU is all of them. */
static double pcpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double peak_mib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_maxrss / 1024.0;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* Reads one address a line into a new array of host-order IPv4. */
static uint32_t *read_hosts(const char *path, char ***names, size_t *n)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 20;
	uint32_t *v = malloc(cap * sizeof(*v));
	char line[128];

	*names = malloc(cap * sizeof(**names));
	*n = 0;
	while (f && v && *names && fgets(line, sizeof(line), f)) {
		struct bph_addr a;
		line[strcspn(line, "\r\n")] = '\0';
		if (bph_addr_parse(line, strlen(line), &a) ||
		    a.fam != BPH_FAM_V4)
			continue;
		if (*n == cap) {
			cap *= 2;
			v = realloc(v, cap * sizeof(*v));
			*names = realloc(*names, cap * sizeof(**names));
			if (!v || !*names)
				break;
		}
		(*names)[*n] = strdup(line);
		v[(*n)++] = (uint32_t)a.v;
	}
	if (f)
		fclose(f);
	return v;
}

/* Lookups per CPU second over addrs (n, cycled for count lookups). */
static double lpm_rate(const struct bph_rdb *db, const uint32_t *addrs,
		       size_t n, size_t count, long *found)
{
	double t0 = cpu();
	long hit = 0;

	for (size_t i = 0, j = 0; i < count; i++, j = j + 1 == n ? 0 : j + 1)
		hit += bph_rdb_lpm4(db, addrs[j]) >= 0;
	*found = hit;
	return (double)count / (cpu() - t0);
}

static double route_rate(const struct bph_rdb *db, const uint32_t *addrs,
			 size_t n, size_t count)
{
	struct bph_route r;
	double t0 = cpu();
	volatile size_t sink = 0;

	for (size_t i = 0, j = 0; i < count; i++, j = j + 1 == n ? 0 : j + 1) {
		struct bph_addr a = {BPH_FAM_V4, addrs[j]};
		if (bph_rdb_route(db, &a, &r))
			sink += r.n_origins;
	}
	(void)sink;
	return (double)count / (cpu() - t0);
}

static int annotate(const struct bph_rdb *db, char **names, size_t n,
		    double *cluster_s, double *annot_s, double *annot_cpu,
		    double *json_cpu, size_t *annotated)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	struct bph_cli_annot *an = NULL;
	double t0 = now();
	int rc = g ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++)
		rc = bph_graph_add_host(g, names[i]);
	if (!rc)
		rc = bph_cluster_run(g, NULL, &c);
	*cluster_s = now() - t0;
	t0 = now();
	double c0 = pcpu();
	if (!rc) /* what the text report and the flat exports read */
		rc = bph_cli_annotate(db, c, false, &an);
	*annot_s = now() - t0;
	*annot_cpu = pcpu() - c0;
	bph_cli_annot_free(an);
	an = NULL;
	c0 = pcpu();
	if (!rc) /* and with the JSON of every host (--json, json, html) */
		rc = bph_cli_annotate(db, c, true, &an);
	*json_cpu = pcpu() - c0;
	*annotated = 0;
	for (size_t h = 0; !rc && h < c->n_hosts; h++)
		*annotated += bph_cli_annot_get(an)->hosts[h].n_attrs > 0;
	bph_cli_annot_free(an);
	bph_clustering_free(c);
	bph_graph_free(g);
	return rc;
}

int main(int argc, char **argv)
{
	const char *db_path = NULL, *hosts_path = NULL;
	size_t lookups = 20000000, n_hosts = 0, annotated = 0;
	struct bph_store *st = NULL;
	struct bph_rdb *db = NULL;
	char err[512] = "", **names = NULL;
	long found_rand, found_hosts;
	double cl_s, an_s, an_cpu, json_cpu;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			db_path = argv[i + 1];
		else if (!strcmp(argv[i], "--hosts"))
			hosts_path = argv[i + 1];
		else if (!strcmp(argv[i], "--lookups"))
			lookups = strtoull(argv[i + 1], NULL, 10);
	}
	if (!db_path || !hosts_path || !lookups) {
		fputs(
		    "usage: data_load --db STORE --hosts FILE [--lookups N]\n",
		    stderr);
		return 2;
	}
	double t0 = now(), c0 = cpu();
	if (bph_store_open(db_path, BPH_STORE_READ, &st, err, sizeof(err)) ||
	    bph_data_load(st, BPH_KINDS_ALL, &db, err, sizeof(err))) {
		fprintf(stderr, "data_load: %s\n", err);
		return 1;
	}
	double load_s = now() - t0, load_cpu = cpu() - c0;
	double load_mib = peak_mib();
	uint32_t *hosts = read_hosts(hosts_path, &names, &n_hosts);
	uint32_t *rnd = malloc((1 << 20) * sizeof(*rnd));
	uint64_t seed = 88172645463325252ULL;
	if (!hosts || !rnd || !n_hosts) {
		fputs("data_load: no hosts\n", stderr);
		return 1;
	}
	for (size_t i = 0; i < (1 << 20); i++)
		rnd[i] = (uint32_t)xorshift(&seed);
	double r_rand = lpm_rate(db, rnd, 1 << 20, lookups, &found_rand);
	double r_hosts = lpm_rate(db, hosts, n_hosts, lookups, &found_hosts);
	double r_route = route_rate(db, hosts, n_hosts, lookups / 10);
	if (annotate(db, names, n_hosts, &cl_s, &an_s, &an_cpu, &json_cpu,
		     &annotated)) {
		fputs("data_load: annotation failed\n", stderr);
		return 1;
	}
	printf("{\"load_s\": %.3f, \"load_cpu_s\": %.3f, \"load_peak_mib\": "
	       "%.0f, \"prefixes\": %zu, "
	       "\"lookups\": %zu, \"lpm_random_per_s\": %.0f, "
	       "\"lpm_random_found\": %ld, \"lpm_hosts_per_s\": %.0f, "
	       "\"route_hosts_per_s\": %.0f, \"hosts\": %zu, "
	       "\"cluster_s\": %.3f, \"annotate_s\": %.3f, "
	       "\"annotate_cpu_s\": %.3f, \"annotate_json_cpu_s\": %.3f, "
	       "\"hosts_annotated\": %zu, \"peak_mib\": %.0f}\n",
	       load_s, load_cpu, load_mib, bph_rdb_n_prefixes(db), lookups,
	       r_rand, found_rand, r_hosts, r_route, n_hosts, cl_s, an_s,
	       an_cpu, json_cpu, annotated, peak_mib());
	for (size_t i = 0; i < n_hosts; i++)
		free(names[i]);
	free(names);
	free(hosts);
	free(rnd);
	bph_rdb_free(db);
	bph_store_close(st);
	return 0;
}
