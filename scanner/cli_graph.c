/*
 * cli_graph.c - the subcommands that read the store: cluster, export,
 * import, show; and the clustering report that pivot ends with.
 */
#include "scanner/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/community.h"
#include "cluster/export.h"
#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "scanner/store.h"

static int write_export(const struct bph_clustering *c, const char *fmt,
			const char *path, const char *seed, bool artifact_nodes)
{
	struct bph_export_opts eo = {.seed = seed,
				     .artifact_nodes = artifact_nodes};
	char err[256] = "";
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		perror(path);
		return BPH_EXIT_FAIL;
	}
	int rc = bph_export_write_opts(c, fmt, &eo, f, err, sizeof(err));
	if (f != stdout && fclose(f) && !rc)
		rc = BPH_ERR_IO;
	if (rc) {
		fprintf(stderr, "bphound: export %s to %s: %s\n", fmt, path,
			err[0] ? err : bph_strerror(rc));
		return rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : BPH_EXIT_FAIL;
	}
	return BPH_EXIT_OK;
}

/* --threshold: a positive, finite score. */
static int opt_threshold(const char *s, struct bph_cluster_opts *co)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e9) {
		fprintf(stderr,
			"bphound: --threshold: '%s' is not a positive "
			"number\n",
			s);
		return BPH_ERR_USAGE;
	}
	co->threshold = v;
	return 0;
}

/* --max-share S,M,W: host-count caps for strong, medium, weak artifacts. */
static int opt_max_share(const char *s, struct bph_cluster_opts *co)
{
	unsigned long v[3];
	int used = 0;
	if (sscanf(s, "%lu,%lu,%lu%n", &v[0], &v[1], &v[2], &used) != 3 ||
	    s[used] || strchr(s, '-') || !v[0] || !v[1] || !v[2] ||
	    v[0] > UINT32_MAX || v[1] > UINT32_MAX || v[2] > UINT32_MAX) {
		fprintf(stderr,
			"bphound: --max-share: '%s' is not three "
			"positive host counts STRONG,MEDIUM,WEAK\n",
			s);
		return BPH_ERR_USAGE;
	}
	co->max_share[BPH_STRONG] = (uint32_t)v[0];
	co->max_share[BPH_MEDIUM] = (uint32_t)v[1];
	co->max_share[BPH_WEAK] = (uint32_t)v[2];
	return 0;
}

static int family_index(const char *name, size_t len)
{
	for (int f = 0; f < BPH_FAM_COUNT; f++) {
		const char *fn = bph_family_name((enum bph_family)f);
		if (strlen(fn) == len && !strncmp(fn, name, len))
			return f;
	}
	return -1;
}

/* --families a,b,c: only these families may link. */
static int opt_families(const char *s, struct bph_cluster_opts *co)
{
	bool on[BPH_FAM_COUNT] = {false};
	for (const char *p = s;; p++) {
		size_t len = strcspn(p, ",");
		int f = family_index(p, len);
		if (f < 0) {
			fprintf(stderr,
				"bphound: --families: '%.*s' is not a "
				"family (hostkey,x509,favicon,body,"
				"title,software,tcp,netblock)\n",
				(int)len, p);
			return BPH_ERR_USAGE;
		}
		on[f] = true;
		p += len;
		if (!*p)
			break;
	}
	memcpy(co->family_on, on, sizeof(on));
	return 0;
}

/* Applies the clustering options of the command line to co. */
static int apply_cluster_opts(const struct bph_opts *o,
			      struct bph_cluster_opts *co)
{
	char err[256] = "";
	if (o->threshold && opt_threshold(o->threshold, co))
		return BPH_ERR_USAGE;
	if (o->max_share && opt_max_share(o->max_share, co))
		return BPH_ERR_USAGE;
	if (o->families && opt_families(o->families, co))
		return BPH_ERR_USAGE;
	if (o->common_file && bph_cluster_opts_load_common(co, o->common_file,
							   err, sizeof(err))) {
		/* the user's file is bad input */
		fprintf(stderr, "bphound: %s\n", err);
		return BPH_ERR_USAGE;
	}
	return 0;
}

/* --communities leiden|louvain. */
static int opt_method(const char *s, struct bph_community_opts *cm)
{
	if (bph_community_method_parse(s, &cm->method)) {
		fprintf(stderr,
			"bphound: --communities: '%s' is not a method "
			"(leiden or louvain)\n",
			s);
		return BPH_ERR_USAGE;
	}
	return 0;
}

/* --community-min N: a host count of at least 2 (one host never splits). */
static int opt_community_min(const char *s, struct bph_community_opts *cm)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || strspn(s, "0123456789") != strlen(s) || errno || v < 2 ||
	    v > UINT32_MAX) {
		fprintf(stderr,
			"bphound: --community-min: '%s' is not a host "
			"count of at least 2\n",
			s);
		return BPH_ERR_USAGE;
	}
	cm->min_size = (uint32_t)v;
	return 0;
}

/* --resolution R: a positive, finite modularity resolution. */
static int opt_resolution(const char *s, struct bph_community_opts *cm)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || *end || !(v > 0) || v > 1e6) {
		fprintf(stderr,
			"bphound: --resolution: '%s' is not a positive "
			"number (at most 1e6)\n",
			s);
		return BPH_ERR_USAGE;
	}
	cm->resolution = v;
	return 0;
}

/* The tuning options without a method would silently do nothing, so
 * they are an error. */
int bph_cli_community_opts(const struct bph_opts *o,
			   struct bph_community_opts *cm)
{
	struct bph_community_opts check;
	const char *lone = o->community_min ? "--community-min"
			   : o->resolution  ? "--resolution"
					    : NULL;

	if (!o->communities && lone) {
		fprintf(stderr,
			"bphound: %s needs --communities leiden|louvain\n",
			lone);
		return BPH_EXIT_USAGE;
	}
	if (!cm)
		cm = &check;
	bph_community_opts_default(cm);
	if ((o->communities && opt_method(o->communities, cm)) ||
	    (o->community_min && opt_community_min(o->community_min, cm)) ||
	    (o->resolution && opt_resolution(o->resolution, cm)))
		return BPH_EXIT_USAGE;
	return 0;
}

int bph_cli_check_cluster_opts(const struct bph_opts *o)
{
	struct bph_cluster_opts co;
	int rc;

	if (!o->threshold && !o->max_share && !o->families && !o->common_file)
		return 0;
	bph_cluster_opts_default(&co);
	rc = apply_cluster_opts(o, &co);
	bph_cluster_opts_clear(&co);
	return rc ? BPH_EXIT_USAGE : 0;
}

/* Loads the store's artifact graph, clusters it and, when asked, splits
 * large clusters into communities (cm: filled from the command line). */
static int build_clustering(const struct bph_opts *o, struct bph_store *st,
			    struct bph_community_opts *cm,
			    struct bph_clustering **out)
{
	struct bph_cluster_opts co;
	struct bph_graph *g = bph_graph_new();
	char err[256] = "";
	int rc = g ? 0 : BPH_ERR_NOMEM;

	bph_cluster_opts_default(&co);
	if (!rc &&
	    (apply_cluster_opts(o, &co) || bph_cli_community_opts(o, cm))) {
		bph_cluster_opts_clear(&co);
		bph_graph_free(g);
		return BPH_EXIT_USAGE;
	}
	if (!rc)
		rc = bph_store_load_graph(st, g);
	if (!rc)
		rc = bph_cluster_run(g, &co, out);
	if (!rc && (rc = bph_cluster_communities(*out, cm))) {
		bph_clustering_free(*out);
		*out = NULL;
	}
	if (rc)
		fprintf(stderr, "bphound: clustering: %s\n",
			err[0] ? err : bph_strerror(rc));
	bph_cluster_opts_clear(&co);
	bph_graph_free(g);
	return rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : rc ? BPH_EXIT_FAIL : 0;
}

int bph_cli_cluster_report(const struct bph_opts *o, struct bph_store *st,
			   const char *seed)
{
	struct bph_community_opts cm;
	struct bph_clustering *c = NULL;
	int status = build_clustering(o, st, &cm, &c);
	if (status)
		return status;
	if (seed && bph_clustering_host(c, seed) < 0 &&
	    !strcmp(o->cmd, "cluster")) {
		/* pivot just scanned a silent seed and says so below; for
		 * cluster, a seed the store never saw is a mistake */
		fprintf(stderr,
			"bphound cluster: %s is not an answering host in the "
			"store\n",
			seed);
		status = BPH_EXIT_USAGE;
	} else if (o->json) {
		status = write_export(c, "json", "-", seed, false);
	} else if (!bph_clustering_print(c, seed, stdout)) {
		int rc = bph_community_print(c, &cm, seed, stdout);
		if (rc) {
			fprintf(stderr, "bphound: communities: %s\n",
				bph_strerror(rc));
			status = BPH_EXIT_FAIL;
		}
	}
	if (!status && o->explain && seed)
		bph_clustering_explain(c, seed, o->explain, stdout);
	for (size_t i = 0; i < o->n_exports && !status; i++)
		status =
		    write_export(c, o->exports[i].format, o->exports[i].path,
				 seed, o->artifact_nodes);
	bph_clustering_free(c);
	return status;
}

/* `cluster [SEED]`: the report of a pivot on what the store holds, with no
 * scan (imported data, or a second look with other options). */
int bph_cmd_cluster(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	if (o->n_args > 1) {
		fprintf(stderr, "bphound cluster: unexpected argument '%s'\n",
			o->args[1]);
		return BPH_EXIT_USAGE;
	}
	if (o->explain && !o->n_args) {
		fprintf(stderr, "bphound cluster: --explain HOST needs a SEED "
				"(bphound cluster SEED --explain HOST)\n");
		return BPH_EXIT_USAGE;
	}
	for (size_t i = 0; i < o->n_exports; i++)
		if (!bph_export_known(o->exports[i].format)) {
			fprintf(stderr,
				"bphound cluster: --export: unknown format "
				"'%s'\n",
				o->exports[i].format);
			return BPH_EXIT_USAGE;
		}
	if (bph_cli_open_store(o, &st))
		return BPH_EXIT_FAIL;
	int status =
	    bph_cli_cluster_report(o, st, o->n_args ? o->args[0] : NULL);
	bph_store_close(st);
	return status;
}

int bph_cmd_export(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	struct bph_community_opts cm;
	struct bph_clustering *c = NULL;
	if (!o->format || !o->out_file) {
		fprintf(stderr, "bphound export: --format FMT and -o FILE are "
				"required\n");
		return BPH_EXIT_USAGE;
	}
	if (!bph_export_known(o->format)) {
		fprintf(stderr,
			"bphound export: unknown format '%s' (json "
			"graphml gexf dot cytoscape stix csv)\n",
			o->format);
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_open_store(o, &st))
		return BPH_EXIT_FAIL;
	int status = build_clustering(o, st, &cm, &c);
	if (!status)
		status = write_export(c, o->format, o->out_file, NULL,
				      o->artifact_nodes);
	bph_clustering_free(c);
	bph_store_close(st);
	return status;
}

int bph_cmd_import(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	size_t ok = 0, bad = 0;
	if (o->n_args != 1) {
		fprintf(stderr,
			"bphound import: exactly one FILE is required\n");
		return BPH_EXIT_USAGE;
	}
	if (access(o->args[0], R_OK) != 0) {
		fprintf(stderr, "bphound import: %s: %s\n", o->args[0],
			strerror(errno));
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_open_store(o, &st))
		return BPH_EXIT_FAIL;
	int rc = bph_store_import_jsonl(st, o->args[0], stderr, &ok, &bad);
	bph_store_close(st);
	if (!o->quiet)
		fprintf(stderr,
			"bphound: imported %zu records, skipped %zu bad "
			"lines\n",
			ok, bad);
	if (rc)
		fprintf(stderr, "bphound import: %s: %s\n", o->args[0],
			bph_strerror(rc));
	return rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : rc ? BPH_EXIT_FAIL : 0;
}

int bph_cmd_show(const struct bph_opts *o)
{
	struct bph_store *st = NULL;
	if (o->n_args != 1) {
		fprintf(stderr, "bphound show: exactly one HOST is required\n");
		return BPH_EXIT_USAGE;
	}
	if (bph_cli_open_store(o, &st))
		return BPH_EXIT_FAIL;
	int rc = bph_store_show_host(st, o->args[0], stdout);
	bph_store_close(st);
	if (rc == BPH_ERR_USAGE) {
		fprintf(stderr, "bphound show: '%s' is not an IPv4 address\n",
			o->args[0]);
		return BPH_EXIT_USAGE;
	}
	return rc ? BPH_EXIT_FAIL : BPH_EXIT_OK;
}
