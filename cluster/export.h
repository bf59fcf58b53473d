/*
 * export.h - writing a clustering in analyst tool formats.
 *
 * One registry (bph_exporters) lists every format; each exporter is one
 * const descriptor in its own file. Every exporter writes every host of the
 * clustering in exactly one cluster (singletons included) and every link
 * with its evidence. Strings from the network are cleaned with
 * bph_text_clean() (fingerprints/text.h) and then escaped by the format's
 * library or escaper, so every output stays well-formed whatever the
 * hosts sent.
 *
 * Nodes are hosts; each carries its cluster id, its community when a
 * split ran (c->community_of non-NULL; nothing about communities is
 * written otherwise), whether it is the seed, the values of its label
 * artifacts (kinds "title", "server" and "cert_subject": what identifies
 * the host to a person) and how many distinct artifacts it has.
 * With artifact_nodes, artifacts become nodes too (see
 * bph_export_art_is_node()), joined to each host carrying them.
 */
#ifndef BPH_CLUSTER_EXPORT_H
#define BPH_CLUSTER_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cluster/annot.h"
#include "cluster/cluster.h"
#include "fingerprints/text.h"

/* What an export shows besides hosts, links and their evidence. */
struct bph_export_opts {
	const char *seed;    /* may be NULL: the host the investigation started
				from, marked in the output */
	bool artifact_nodes; /* add artifact nodes and host-artifact edges
				(default false: hosts only) */
	const struct bph_annotations *annot; /* may be NULL: attributes of
						hosts and clusters from
						outside the clustering
						(cluster/annot.h) */
	/*
	 * zeek-intel: the hashes Zeek matches on that the clustering does
	 * not hold (a certificate's SHA-1, a host key's colon-separated
	 * MD5) of hosts[0..n), asked for at once (a store reads many hosts
	 * in one pass far faster than one by one): calls add(actx, i, kind,
	 * value) for each one host i showed, kind "cert_sha1" or
	 * "ssh_hostkey_md5" (values borrowed for the call), i ascending,
	 * each host's in the order its scans showed them. Returns 0 or a
	 * negative BPH_ERR_*. May be NULL: only addresses are written.
	 */
	int (*hosts_hashes)(void *ctx, const char *const *hosts, size_t n,
			    void (*add)(void *actx, size_t i, const char *kind,
					const char *value),
			    void *actx);
	void *hashes_ctx;
};

/*
 * Writes c (borrowed) to out with o (borrowed, never NULL). Returns 0,
 * BPH_ERR_NOMEM or BPH_ERR_IO, with a message in err (errlen may be 0).
 */
typedef int (*bph_export_fn)(const struct bph_clustering *c,
			     const struct bph_export_opts *o, FILE *out,
			     char *err, size_t errlen);

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
extern const struct bph_exporter bph_export_html;
extern const struct bph_exporter bph_export_zeek_intel;

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
/* The same with every option; o borrowed, never NULL. */
int bph_export_write_opts(const struct bph_clustering *c, const char *format,
			  const struct bph_export_opts *o, FILE *out, char *err,
			  size_t errlen);

/* ---- helpers shared by the exporters ---- */

/*
 * One line describing a link's evidence, e.g.
 * "ssh_hostkey SHA256:... (2 hosts, w=3.21, strong); jarm ... ".
 * Cleaned for mode; a new string (caller frees), NULL on ENOMEM.
 */
char *bph_export_evidence_text(const struct bph_clustering *c,
			       const struct bph_link *l,
			       enum bph_text_mode mode);

/* Label kinds: the artifacts shown as host attributes. */
#define BPH_EXPORT_TITLE   "title"
#define BPH_EXPORT_SERVER  "server"
#define BPH_EXPORT_SUBJECT "cert_subject" /* never links: label only */

/*
 * Whether c holds communities (c->community_of non-NULL); if so, stores
 * host h's community id in *id. Exporters write a community attribute
 * only when this is true, so output without communities is unchanged.
 */
bool bph_export_host_community(const struct bph_clustering *c, size_t h,
			       uint32_t *id);

/*
 * Walks the distinct artifacts of host h: start with *pos = 0; each call
 * returns the next artifact index whose kind is kind (any kind when kind
 * is NULL) and advances *pos, or -1 when there is none left.
 */
long bph_export_host_next(const struct bph_clustering *c, size_t h, size_t *pos,
			  const char *kind);

/* Number of distinct artifacts host h carries. */
size_t bph_export_host_n_artifacts(const struct bph_clustering *c, size_t h);

/*
 * The values of host h's artifacts of kind, each cleaned for mode, joined
 * by " | " (at most BPH_EXPORT_LABEL_MAX bytes, cut at a character
 * boundary, "..." appended when cut). A new string (caller frees; "" when
 * the host has none), NULL on ENOMEM.
 */
#define BPH_EXPORT_LABEL_MAX 1024
char *bph_export_host_values(const struct bph_clustering *c, size_t h,
			     const char *kind, enum bph_text_mode mode);

/*
 * A host's label artifacts by kind (0 titles, 1 servers, 2 cert subjects,
 * each in the order bph_export_host_next gives them) and its artifact
 * count, from one walk of its incidences instead of four (a million
 * hosts are written per export).
 */
#define BPH_EXPORT_LABELS_MAX 64
struct bph_export_labels {
	uint32_t art[3][BPH_EXPORT_LABELS_MAX];
	size_t n[3], n_arts;
};

/*
 * The label kind of every artifact, one byte each (kind index + 1, 0 for
 * none): read per incidence, where each artifact's own statistics would
 * be a cache miss. A new array (caller frees), NULL without memory (the
 * functions below then look the kind up per artifact).
 */
uint8_t *bph_export_label_codes(const struct bph_clustering *c);

/*
 * Fills l for host h, with codes from bph_export_label_codes() or NULL.
 * Returns whether every label fitted in l; when not, read the values with
 * bph_export_host_values() (n_arts is whole either way).
 */
bool bph_export_labels_of(const struct bph_clustering *c, const uint8_t *codes,
			  size_t h, struct bph_export_labels *l);

/*
 * What bph_export_host_values() gives for host h and label kind i (0..2)
 * from l, filled by bph_export_labels_of() (falls back to it when l did
 * not hold every label). A new string (caller frees), NULL on ENOMEM.
 */
char *bph_export_labels_text(const struct bph_clustering *c,
			     const struct bph_export_labels *l, bool fits,
			     size_t h, int i, enum bph_text_mode mode);

/* The kind names of label kinds 0..2 (BPH_EXPORT_TITLE, ...). */
extern const char *const bph_export_label_kinds[3];

/*
 * s cleaned for mode as bph_text_clean() cleans it, without a copy when
 * nothing needs it (plain ASCII: printable, TAB, LF, CR; most text):
 * returns s itself (*owned NULL), else a cleaned copy also stored in
 * *owned (caller frees); NULL on ENOMEM. NULL s gives "".
 */
const char *bph_export_clean(const char *s, enum bph_text_mode mode,
			     char **owned);

/*
 * Writes clean text s (bph_text_clean(BPH_TEXT_XML)) escaped as libxml2's
 * xmlTextWriter escapes it (export_xml.c writes its bytes): & < > " as
 * entities and CR as &#13;, in an attribute value (attr true) also TAB
 * and LF as &#9; and &#10;; every other byte as it is. out is locked by
 * the caller (flockfile).
 */
void bph_export_xml_text(FILE *out, const char *s, bool attr);

/*
 * Whether artifact a becomes a node with artifact_nodes: it is shared
 * (two hosts or more carry it) or it is a label kind (title, server,
 * cert_subject: text the host chose, worth seeing even on one host); never
 * a derived one (the netblock of neighbour-rule evidence: no host
 * carries it as an observation, so it would be a node without edges).
 */
bool bph_export_art_is_node(const struct bph_clustering *c, size_t a);

/*
 * "kind: value" for an artifact node's label, cleaned for mode. A new
 * string (caller frees), NULL on ENOMEM.
 */
char *bph_export_art_label(const struct bph_clustering *c, size_t a,
			   enum bph_text_mode mode);

/*
 * Untrusted text as the HTML page shows it: valid UTF-8 kept; every byte
 * that does not start a well-formed sequence, every control character
 * (C0, DEL, C1), the backslash and the invisible direction controls
 * (U+200E/F, U+202A-E, U+2066-9) written as visible escapes (\xNN for a
 * byte or ASCII character, \uNNNN above), so nothing a server sent is
 * hidden or reinterpreted. A new string (caller frees; NULL s gives ""),
 * NULL on ENOMEM.
 */
char *bph_export_escape_text(const char *s);

/*
 * The HTML page's data (export_html_data.c; fields in docs/output.md):
 * with o->seed a known host, its cluster; else every cluster of two hosts
 * or more. A new JSON object (caller decrefs), NULL on ENOMEM.
 */
struct json_t;
struct json_t *bph_export_html_data(const struct bph_clustering *c,
				    const struct bph_export_opts *o);

/* Fills err with msg when err has room; returns rc. */
int bph_export_fail(char *err, size_t errlen, int rc, const char *msg);

/*
 * A JSON document written element by element in the layout jansson gives
 * a whole tree with JSON_INDENT(1) (so the bytes are the same), holding
 * one element in memory at a time: an export of a million hosts never
 * builds a million-host tree. Calls nest like the document: open, then
 * key + value or key + begin ... end, item for array elements, close.
 * Errors are sticky in bad (a value that could not be built, NULL);
 * write errors show in ferror(out).
 */
struct json_t;
/*
 * Items [0, n) of an export (clusters, hosts, nodes) written to out in
 * order, item(ctx, f, i) writing item i into f: out itself or a buffer of
 * a helper thread's, for two threads format them (export_items.c), so
 * item reads what it shares and writes only into f. Returns the items'
 * results ORed (nonzero: one went bad) or nonzero when a buffer failed.
 */
typedef int (*bph_export_item_fn)(void *ctx, FILE *f, size_t i);
int bph_export_items(FILE *out, size_t n, bph_export_item_fn item, void *ctx);

struct bph_json_out {
	FILE *out;
	int depth;  /* nesting of what comes next */
	bool first; /* nothing written yet at this depth */
	int bad;    /* a value was NULL: out of memory */
};
void bph_json_open(struct bph_json_out *j, FILE *out);	    /* "{" */
void bph_json_key(struct bph_json_out *j, const char *key); /* "key": */
void bph_json_begin(struct bph_json_out *j, char bracket);  /* '[' or '{' */
void bph_json_end(struct bph_json_out *j, char bracket);    /* ']' or '}' */
/* Writes v (stolen; NULL counts in bad) after a key or as the next array
 * element. */
void bph_json_value(struct bph_json_out *j, struct json_t *v);
void bph_json_item(struct bph_json_out *j, struct json_t *v);
void bph_json_close(struct bph_json_out *j); /* "}" and a newline */
/*
 * Elements written without building a jansson value, byte for byte as
 * jansson writes them: bph_json_next starts the next array element (then
 * a scalar, or begin ... end); the scalars follow a key or next. Text is
 * cleaned as bph_text_clean(BPH_TEXT_UTF8) cleans it, then escaped as
 * jansson escapes it. out is locked from open to close: close it on every
 * path.
 */
void bph_json_next(struct bph_json_out *j);
void bph_json_text(struct bph_json_out *j, const char *s);
void bph_json_int(struct bph_json_out *j, int64_t v);
void bph_json_bool(struct bph_json_out *j, bool v);
/* A finite v as jansson writes a real with that precision ("%.*g", ".0"
 * added to an integral value, the exponent's '+' and leading zeros
 * removed; jansson's default is 17) into buf; returns its length. */
size_t bph_json_real_str(double v, int precision, char buf[48]);
/* v as json_real() with JSON_REAL_PRECISION(6) dumps it ("%.6g", ".0"
 * added to an integral value, the exponent without '+' or leading
 * zeros); not finite: counted in bad, as json_real() refuses it. */
void bph_json_real(struct bph_json_out *j, double v);

#endif
