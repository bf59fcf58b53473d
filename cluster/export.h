/*
 * export.h - writing a clustering in analyst tool formats.
 *
 * One registry (bph_exporters) lists every format; each exporter is one
 * const descriptor in its own file. Every exporter writes every host of the
 * clustering in exactly one cluster (singletons included) and every link
 * with its evidence. Strings from the network are cleaned with
 * bph_text_clean() (cluster/text.h) and then escaped by the format's
 * library or escaper, so every output stays well-formed whatever the
 * hosts sent.
 */
#ifndef BPH_CLUSTER_EXPORT_H
#define BPH_CLUSTER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cluster/cluster.h"
#include "cluster/text.h"

/*
 * Writes c (borrowed) to out. seed (may be NULL) is the host the
 * investigation started from: it is marked in the output. Returns 0,
 * BPH_ERR_NOMEM or BPH_ERR_IO, with a message in err (errlen may be 0).
 */
typedef int (*bph_export_fn)(const struct bph_clustering *c, const char *seed,
			     FILE *out, char *err, size_t errlen);

struct bph_exporter {
	const char *name;      /* format name on the command line */
	const char *extension; /* usual file extension, without the dot */
	const char *summary;   /* one line for --help */
	bph_export_fn write;   /* required */
};

extern const struct bph_exporter bph_export_json;
extern const struct bph_exporter bph_export_graphml;
extern const struct bph_exporter bph_export_gexf;
extern const struct bph_exporter bph_export_dot;
extern const struct bph_exporter bph_export_cytoscape;
extern const struct bph_exporter bph_export_stix;
extern const struct bph_exporter bph_export_csv;

/* The registry, NULL-terminated. */
extern const struct bph_exporter *const bph_exporters[];

/* The exporter named name, or NULL. */
const struct bph_exporter *bph_exporter_find(const char *name);
bool bph_export_known(const char *format);

/*
 * Writes c in format to out. Returns 0, BPH_ERR_USAGE (unknown format),
 * or the exporter's error; a message goes into err.
 */
int bph_export_write(const struct bph_clustering *c, const char *format,
		     const char *seed, FILE *out, char *err, size_t errlen);

/* ---- helpers shared by the exporters ---- */

/*
 * One line describing a link's evidence, e.g.
 * "ssh_hostkey SHA256:... (2 hosts, w=3.21, strong); jarm ... ".
 * Cleaned for mode; a new string (caller frees), NULL on ENOMEM.
 */
char *bph_export_evidence_text(const struct bph_clustering *c,
			       const struct bph_link *l,
			       enum bph_text_mode mode);

/* Fills err with msg when err has room; returns rc. */
int bph_export_fail(char *err, size_t errlen, int rc, const char *msg);

#endif
