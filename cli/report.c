/*
 * report.c - clustering what the store holds and reporting it to a
 * person: the pivot's and cluster's text report, --json, --explain, the
 * --export files, and the cluster evidence under `show`; with routing,
 * registry or list data in the store, every host and cluster is annotated
 * with its networks (cli/annotate.h) in each of them.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/annotate.h"
#include "cli/data_glue.h"
#include "cli/overtime.h"
#include "cluster/cluster.h"
#include "cluster/community.h"
#include "cluster/export.h"
#include "cluster/graph.h"
#include "cluster/seed.h"
#include "fingerprints/err.h"
#include "store/graph_seed.h"
#include "store/store.h"
#include "store/sweep_store.h"

/* The store's data and the clustering's annotations from it; both NULL
 * when the store holds no data snapshot. */
struct networks {
	struct bph_rdb *db;
	struct bph_cli_annot *an;
};

/* Annotates c (NULL: only loads the data) from the store's current data,
 * when there is any, with the JSON form when an output reads it; a
 * failure is reported and leaves the reports without annotations. */
static void load_networks(struct bph_store *st, const struct bph_clustering *c,
			  bool with_json, struct networks *n)
{
	char err[256] = "";
	int rc = bph_data_load(st, BPH_KINDS_ALL, &n->db, err, sizeof(err));

	n->an = NULL;
	if (rc) {
		fprintf(stderr, "bphound: no network annotations: %s\n", err);
		n->db = NULL;
		return;
	}
	if (bph_rdb_n_sources(n->db) == 0 ||
	    (c && (rc = bph_cli_annotate(n->db, c, with_json, &n->an)))) {
		if (rc)
			fprintf(stderr, "bphound: no network annotations: %s\n",
				bph_strerror(rc));
		bph_rdb_free(n->db);
		n->db = NULL;
	}
}

/* Whether an output of o (or fmt) reads annotations as JSON: --json and
 * the json and html exports. */
static bool wants_json(const struct bph_opts *o, const char *fmt)
{
	if (o->json || (fmt && (!strcmp(fmt, "json") || !strcmp(fmt, "html"))))
		return true;
	for (size_t i = 0; i < o->n_exports; i++)
		if (!strcmp(o->exports[i].format, "json") ||
		    !strcmp(o->exports[i].format, "html"))
			return true;
	return false;
}

static void free_networks(struct networks *n)
{
	bph_cli_annot_free(n->an);
	bph_rdb_free(n->db);
}

static const struct bph_annotations *annots(const struct networks *n)
{
	return n->an ? bph_cli_annot_get(n->an) : NULL;
}

/* The networks of the seed's cluster, or of every multi-host one, after
 * the text report. */
static void print_networks(const struct networks *n,
			   const struct bph_clustering *c, const char *seed)
{
	long h = seed ? bph_clustering_host(c, seed) : -1;

	if (!n->an)
		return;
	for (size_t i = 0; i < c->n_clusters; i++) {
		if (seed ? h < 0 || c->cluster_of[h] != i
			 : c->clusters[i].n_hosts < 2)
			continue;
		fputc('\n', stdout);
		bph_cli_annot_print_cluster(stdout, n->an, c, i);
	}
}

/* A hash a stored record showed, with the keys that put a host's in the
 * order its scans showed them (bph_store_hosts_each reads in the store's
 * order). */
struct hash_row {
	struct bph_host_at at;
	uint16_t port;
	unsigned seq; /* within its record */
	const char *kind;
	char value[64];
};

struct hash_rows {
	struct hash_row *v;
	size_t n, cap;
	int err;
};

static void hash_put(struct hash_rows *h, const struct bph_host_at *at,
		     uint16_t port, unsigned seq, const char *kind,
		     const char *value)
{
	if (h->err || strlen(value) >= sizeof(h->v->value))
		return;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct hash_row *v = realloc(h->v, cap * sizeof(*v));
		if (!v) {
			h->err = BPH_ERR_NOMEM;
			return;
		}
		h->v = v;
		h->cap = cap;
	}
	struct hash_row *r = &h->v[h->n++];
	*r = (struct hash_row){*at, port, seq, kind, ""};
	strcpy(r->value, value);
}

/* The hashes of a record that Zeek matches on (bph_hosts_cb). */
static void record_hashes(void *vctx, const struct bph_host_at *at,
			  const struct bph_service *s)
{
	struct hash_rows *h = vctx;
	unsigned seq = 0;

	if (s->tls && s->tls->cert_sha1[0])
		hash_put(h, at, s->port, seq++, "cert_sha1", s->tls->cert_sha1);
	for (size_t i = 0; s->ssh && i < s->ssh->n_hostkeys; i++) {
		const char *md5 = s->ssh->hostkeys[i].md5;
		if (md5[0])
			hash_put(h, at, s->port, seq++, "ssh_hostkey_md5",
				 strncmp(md5, "MD5:", 4) ? md5 : md5 + 4);
	}
}

static int hash_cmp(const void *a, const void *b)
{
	const struct hash_row *x = a, *y = b;
	int64_t d[] = {(int64_t)x->at.host - (int64_t)y->at.host,
		       x->at.scan_id - y->at.scan_id, x->port - y->port,
		       x->at.row - y->at.row, (int64_t)x->seq - y->seq};

	for (size_t i = 0; i < sizeof(d) / sizeof(*d); i++)
		if (d[i])
			return d[i] < 0 ? -1 : 1;
	return 0;
}

/* bph_export_opts.hosts_hashes: every record the store holds of the
 * hosts, read in one pass, then handed on host by host. */
static int store_hashes(void *ctx, const char *const *hosts, size_t n,
			void (*add)(void *actx, size_t i, const char *kind,
				    const char *value),
			void *actx)
{
	struct hash_rows h = {0};
	int rc = bph_store_hosts_each(ctx, hosts, n, record_hashes, &h);

	rc = rc ? rc : h.err;
	if (!rc && h.n)
		qsort(h.v, h.n, sizeof(*h.v), hash_cmp);
	for (size_t i = 0; !rc && i < h.n; i++)
		add(actx, h.v[i].at.host, h.v[i].kind, h.v[i].value);
	free(h.v);
	return rc;
}

/* The HTML page's annotations: annot with each cluster's sweep runs and
 * last events (cli/overtime.h); annot alone when the store has no sweep
 * or reading them fails (said on stderr: the page is still useful). */
static const struct bph_annotations *
page_annots(struct bph_store *st, const struct bph_clustering *c,
	    const char *fmt, const char *seed,
	    const struct bph_annotations *annot, struct bph_cli_overtime **ot)
{
	int rc;

	*ot = NULL;
	if (!st || strcmp(fmt, "html"))
		return annot;
	if ((rc = bph_cli_overtime(st, c, seed, annot, ot))) {
		fprintf(stderr, "bphound: export html: no sweep history: %s\n",
			bph_strerror(rc));
		return annot;
	}
	return bph_cli_overtime_get(*ot);
}

static int write_export(struct bph_store *st, const struct bph_clustering *c,
			const char *fmt, const char *path, const char *seed,
			bool artifact_nodes,
			const struct bph_annotations *annot)
{
	struct bph_cli_overtime *ot;
	struct bph_export_opts eo = {
	    .seed = seed,
	    .artifact_nodes = artifact_nodes,
	    .annot = page_annots(st, c, fmt, seed, annot, &ot),
	    .hosts_hashes = st ? store_hashes : NULL,
	    .hashes_ctx = st};
	char err[256] = "";
	FILE *f = strcmp(path, "-") ? fopen(path, "w") : stdout;
	if (!f) {
		/* the path is the user's input: a missing folder, a
		 * directory, no permission */
		fprintf(stderr, "bphound: export %s: cannot write %s: %s\n",
			fmt, path, strerror(errno));
		bph_cli_overtime_free(ot);
		return BPH_EXIT_USAGE;
	}
	int rc = bph_export_write_opts(c, fmt, &eo, f, err, sizeof(err));
	bph_cli_overtime_free(ot);
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
	if (!rc) /* the clustering takes g: a store's graph is not held twice */
		rc = bph_cluster_run_graph(g, &co, out);
	else
		bph_graph_free(g);
	if (!rc && (rc = bph_cluster_communities(*out, cm))) {
		bph_clustering_free(*out);
		*out = NULL;
	}
	if (rc)
		fprintf(stderr, "bphound: clustering: %s\n",
			err[0] ? err : bph_strerror(rc));
	bph_cluster_opts_clear(&co);
	return rc == BPH_ERR_USAGE ? BPH_EXIT_USAGE : rc ? BPH_EXIT_FAIL : 0;
}

/* The seed's cluster from what it can depend on in the store
 * (cluster/seed.h), split into communities when asked; a seed the store
 * does not hold gives a clustering without hosts. */
static int seed_clustering(const struct bph_opts *o, struct bph_store *st,
			   const char *seed, struct bph_community_opts *cm,
			   struct bph_clustering **out)
{
	struct bph_cluster_opts co;
	struct bph_graph_source *src = NULL;
	int rc;

	bph_cluster_opts_default(&co);
	if (bph_cli_cluster_opts(o, &co) || bph_cli_community_opts(o, cm)) {
		bph_cluster_opts_clear(&co);
		return BPH_EXIT_USAGE;
	}
	rc = bph_store_graph_source(st, &src);
	if (!rc)
		rc = bph_cluster_seed(src, seed, &co, out, NULL);
	bph_store_graph_source_free(src);
	if (rc == BPH_ERR_USAGE) {
		struct bph_graph *g = bph_graph_new();
		rc = g ? bph_cluster_run_graph(g, &co, out) : BPH_ERR_NOMEM;
		if (rc)
			bph_graph_free(g);
	}
	if (!rc && (rc = bph_cluster_communities(*out, cm))) {
		bph_clustering_free(*out);
		*out = NULL;
	}
	if (rc)
		fprintf(stderr, "bphound: clustering: %s\n", bph_strerror(rc));
	bph_cluster_opts_clear(&co);
	return rc ? BPH_EXIT_FAIL : 0;
}

/* Whether the report of seed reads only the seed's cluster: the text
 * report; --json, --explain and exports read the whole store's. */
static bool seed_only(const struct bph_opts *o, const char *seed)
{
	return seed && !o->json && !o->explain && o->n_exports == 0;
}

int bph_cli_cluster_report(const struct bph_opts *o, struct bph_store *st,
			   const char *seed)
{
	struct bph_community_opts cm;
	struct bph_clustering *c = NULL;
	struct networks n;
	int status = seed_only(o, seed) ? seed_clustering(o, st, seed, &cm, &c)
					: build_clustering(o, st, &cm, &c);
	if (status)
		return status;
	load_networks(st, c, wants_json(o, NULL), &n);
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
		status =
		    write_export(st, c, "json", "-", seed, false, annots(&n));
	} else if (!bph_clustering_print(c, seed, stdout)) {
		int rc = bph_community_print(c, &cm, seed, stdout);
		if (rc) {
			fprintf(stderr, "bphound: communities: %s\n",
				bph_strerror(rc));
			status = BPH_EXIT_FAIL;
		}
		print_networks(&n, c, seed);
	}
	if (!status && o->explain && seed)
		bph_clustering_explain(c, seed, o->explain, stdout);
	for (size_t i = 0; i < o->n_exports && !status; i++)
		status = write_export(st, c, o->exports[i].format,
				      o->exports[i].path, seed,
				      o->artifact_nodes, annots(&n));
	free_networks(&n);
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
	int status = seed_clustering(o, st, ip, &cm, &c);

	if (!status && bph_clustering_host(c, ip) >= 0) {
		struct networks n;
		fputs("\ncluster evidence:\n", out);
		bph_clustering_print(c, ip, out);
		load_networks(st, NULL, false, &n);
		if (n.db)
			bph_cli_annot_print_host(out, n.db, ip);
		free_networks(&n);
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
	if (!status) {
		struct networks n;
		load_networks(st, c, wants_json(o, fmt), &n);
		status = write_export(st, c, fmt, path, seed, o->artifact_nodes,
				      annots(&n));
		free_networks(&n);
	}
	bph_clustering_free(c);
	return status;
}
