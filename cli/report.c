/*
 * report.c - clustering what the store holds and reporting it to a
 * person: the pivot's and cluster's text report, --json, --explain, the
 * --export files, and the cluster evidence under `show`.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/community.h"
#include "cluster/export.h"
#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "store/store.h"

static int write_export(const struct bph_clustering *c, const char *fmt,
			const char *path, const char *seed, bool artifact_nodes)
{
	struct bph_export_opts eo = {.seed = seed,
				     .artifact_nodes = artifact_nodes};
	char err[256] = "";
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		/* the path is the user's input: a missing folder, a
		 * directory, no permission */
		fprintf(stderr, "bphound: export %s: cannot write %s: %s\n",
			fmt, path, strerror(errno));
		return BPH_EXIT_USAGE;
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
	    (bph_cli_cluster_opts(o, &co) || bph_cli_community_opts(o, cm))) {
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

/* The host's cluster and its evidence, after its history in `show`
 * (default clustering options, as a pivot would see it). */
int bph_cli_show_cluster(const struct bph_opts *o, struct bph_store *st,
			 const char *ip, FILE *out)
{
	struct bph_community_opts cm;
	struct bph_clustering *c = NULL;
	int status = build_clustering(o, st, &cm, &c);

	if (!status && bph_clustering_host(c, ip) >= 0) {
		fputs("\ncluster evidence:\n", out);
		bph_clustering_print(c, ip, out);
	}
	bph_clustering_free(c);
	return status;
}

int bph_cli_clustering(const struct bph_opts *o, struct bph_store *st,
		       struct bph_clustering **c)
{
	struct bph_community_opts cm;

	*c = NULL;
	return build_clustering(o, st, &cm, c);
}

/* `export`: the whole store's clustering in one format, to path; a seed
 * (which must be an answering host) is marked, and the HTML page shows
 * its cluster. */
int bph_cli_export(const struct bph_opts *o, struct bph_store *st,
		   const char *fmt, const char *path, const char *seed)
{
	struct bph_community_opts cm;
	struct bph_clustering *c = NULL;
	int status = build_clustering(o, st, &cm, &c);

	if (!status && seed && bph_clustering_host(c, seed) < 0) {
		fprintf(stderr,
			"bphound export: %s is not an answering host in the "
			"store\n",
			seed);
		status = BPH_EXIT_USAGE;
	}
	if (!status)
		status = write_export(c, fmt, path, seed, o->artifact_nodes);
	bph_clustering_free(c);
	return status;
}
