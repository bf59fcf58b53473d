/*
 * annot.h - annotations of hosts and clusters that come from outside the
 * clustering (routing, registration, upstreams, deny-list hits: the CLI
 * fills them from ranges/, cli/annotate.c), carried into every export as
 * host and cluster attributes. cluster/ only carries them: it never reads
 * a value, so it does not depend on where they come from.
 *
 * Each annotation has flat attributes (key and text value, in order: what
 * GraphML, GEXF, CSV, DOT and STIX show) and optionally the same facts as
 * one JSON object's text, whose members join the host's (or cluster's)
 * object in the JSON exports. Values are written through each format's
 * escaping like every other string (cluster/export.h).
 */
#ifndef BPH_CLUSTER_ANNOT_H
#define BPH_CLUSTER_ANNOT_H

#include <stddef.h>

struct bph_annot_attr {
	const char *key;   /* attribute name: [a-z0-9_]+ */
	const char *value; /* text, "" allowed */
};

struct bph_annot {
	const struct bph_annot_attr *attrs; /* flat attributes, in order */
	size_t n_attrs;
	const char *json;   /* NULL, or a JSON object's text */
	const char *remark; /* clusters: one line for a report, NULL */
};

/* The annotations of one clustering; every pointer is borrowed. */
struct bph_annotations {
	const struct bph_annot *hosts; /* NULL, or n_hosts: one per
					  c->hosts[h] */
	size_t n_hosts;
	const struct bph_annot *clusters; /* NULL, or one per c->clusters[i] */
	size_t n_clusters;
};

/* Host h's annotation, or NULL (a may be NULL). */
const struct bph_annot *bph_annot_host(const struct bph_annotations *a,
				       size_t h);

/* The annotation of the i-th cluster (index into c->clusters), or NULL. */
const struct bph_annot *bph_annot_cluster(const struct bph_annotations *a,
					  size_t i);

/* The value of key in an (NULL-safe), or NULL when absent. */
const char *bph_annot_value(const struct bph_annot *an, const char *key);

/*
 * The distinct attribute keys of every host annotation, in first-seen
 * order, for formats that declare their columns first: *keys is a new
 * array (caller frees; the strings are borrowed), *n its length (0 and
 * NULL when there are none). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_annot_host_keys(const struct bph_annotations *a, const char ***keys,
			size_t *n);

#endif
