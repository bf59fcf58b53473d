/*
 * export_xml.c - GraphML and GEXF 1.2draft as libxml2's xmlTextWriter
 * writes them (docs/output.md "Graph exports"), written directly. Text
 * from the network is cleaned to XML 1.0 characters first (escaping alone
 * would leave forbidden control characters, or references to them, that
 * no XML parser accepts).
 */
#include "cluster/export.h"

#include <stdlib.h>

#include <string.h>

#include "fingerprints/err.h"

#define XML_DEPTH_MAX 8 /* the deepest element written is at 5 */

/*
 * The writer: the bytes libxml2's xmlTextWriter gives with indentation on
 * (one space a level, each element on its own line, text content inline),
 * written directly: its per-call work was a tenth of a 1M-host export.
 * bph_export_xml_text() escapes as it does; test_cluster_export compares
 * both on hostile text.
 */
struct xw {
	FILE *out;
	const char *open[XML_DEPTH_MAX]; /* names of the open elements */
	int depth;
	bool in_tag;	/* the last start tag still lacks its '>' */
	bool doindent;	/* indent the next end tag (after a child) */
	int bad;	/* sticky: too deep or out of memory */
	uint8_t *codes; /* bph_export_label_codes(); NULL: none */
};

static void put(struct xw *x, const char *s)
{
	fputs_unlocked(s, x->out);
}

static void indent(struct xw *x, int n)
{
	while (n-- > 0)
		putc_unlocked(' ', x->out);
}

static void start(struct xw *x, const char *el)
{
	if (x->depth == XML_DEPTH_MAX) {
		x->bad = 1;
		return;
	}
	if (x->in_tag)
		put(x, ">\n");
	indent(x, x->depth);
	putc_unlocked('<', x->out);
	put(x, el);
	x->open[x->depth++] = el;
	x->in_tag = true;
}

static void end(struct xw *x)
{
	if (x->depth == 0) {
		x->bad = 1;
		return;
	}
	x->depth--;
	if (x->in_tag) {
		put(x, "/>");
	} else {
		if (x->doindent)
			indent(x, x->depth);
		put(x, "</");
		put(x, x->open[x->depth]);
		putc_unlocked('>', x->out);
	}
	x->in_tag = false;
	x->doindent = true;
	putc_unlocked('\n', x->out);
}

/* Writes attribute name = value, cleaning value to XML characters. */
static void attr(struct xw *x, const char *name, const char *value)
{
	char *owned;
	const char *clean = bph_export_clean(value, BPH_TEXT_XML, &owned);

	if (!clean) {
		x->bad = 1;
		return;
	}
	putc_unlocked(' ', x->out);
	put(x, name);
	put(x, "=\"");
	bph_export_xml_text(x->out, clean, true);
	putc_unlocked('"', x->out);
	free(owned);
}

/* Text content of the open element, cleaned to XML characters. */
static void text(struct xw *x, const char *value)
{
	char *owned;
	const char *clean = bph_export_clean(value, BPH_TEXT_XML, &owned);

	if (!clean) {
		x->bad = 1;
		return;
	}
	if (x->in_tag)
		putc_unlocked('>', x->out);
	x->in_tag = false;
	x->doindent = false;
	bph_export_xml_text(x->out, clean, false);
	free(owned);
}

/* Writes attribute name = prefix followed by the decimal n. */
static void attr_id(struct xw *x, const char *name, const char *prefix,
		    size_t n)
{
	char num[64];

	snprintf(num, sizeof(num), "%s%zu", prefix, n);
	attr(x, name, num);
}

static void text_el(struct xw *x, const char *el, const char *key,
		    const char *value)
{
	start(x, el);
	attr(x, "key", key);
	text(x, value);
	end(x);
}

/* Starts the document on out (locked until close_writer()). */
static int open_writer(struct xw *x, const struct bph_clustering *c, FILE *out)
{
	memset(x, 0, sizeof(*x));
	x->out = out;
	flockfile(out);
	put(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	x->codes = bph_export_label_codes(c); /* NULL: looked up per host */
	return 0;
}

static int close_writer(struct xw *x, char *err, size_t errlen)
{
	while (!x->bad && x->depth > 0)
		end(x);
	funlockfile(x->out);
	free(x->codes);
	return x->bad ? bph_export_fail(err, errlen, BPH_ERR_NOMEM,
					"XML writer failed")
		      : 0;
}

/* A run of sibling elements written by two threads (bph_export_items):
 * each item gets a writer of its own, in the state the siblings leave. */
struct xml_items {
	const struct xw *parent; /* before the first item */
	const struct bph_clustering *c;
	const struct bph_export_opts *o;
	void (*write)(struct xw *x, const struct xml_items *t, size_t i);
};

static int xml_item(void *ctx, FILE *f, size_t i)
{
	const struct xml_items *t = ctx;
	struct xw x = *t->parent;

	x.out = f;
	x.bad = 0;
	t->write(&x, t, i);
	return x.bad;
}

/* n items of write as the next children of x's open element. */
static void xml_items(struct xw *x, const struct bph_clustering *c,
		      const struct bph_export_opts *o, size_t n,
		      void (*write)(struct xw *, const struct xml_items *,
				    size_t))
{
	struct xml_items t = {x, c, o, write};

	if (!n)
		return;
	if (x->in_tag) /* what the first child's start() writes */
		put(x, ">\n");
	x->in_tag = false;
	if (bph_export_items(x->out, n, xml_item, &t))
		x->bad = 1;
	x->doindent = true; /* as the last child's end() leaves it */
}

static bool is_seed(const struct bph_clustering *c, const char *seed, size_t h)
{
	return seed && bph_clustering_host(c, seed) == (long)h;
}

/* Text attributes of a node, cleaned to XML characters; NULL on ENOMEM.
 * community is "" when c holds no communities. */
struct node_text {
	char *titles, *servers, *subjects;
	char count[32], community[16];
};

static int node_text_get(struct node_text *t, const struct xw *x,
			 const struct bph_clustering *c, size_t h)
{
	struct bph_export_labels l;
	bool fits = bph_export_labels_of(c, x->codes, h, &l);
	uint32_t id;

	t->titles = bph_export_labels_text(c, &l, fits, h, 0, BPH_TEXT_XML);
	t->servers = bph_export_labels_text(c, &l, fits, h, 1, BPH_TEXT_XML);
	t->subjects = bph_export_labels_text(c, &l, fits, h, 2, BPH_TEXT_XML);
	snprintf(t->count, sizeof(t->count), "%zu", l.n_arts);
	t->community[0] = '\0';
	if (bph_export_host_community(c, h, &id))
		snprintf(t->community, sizeof(t->community), "%u", id);
	return t->titles && t->servers && t->subjects ? 0 : -1;
}

static void node_text_free(struct node_text *t)
{
	free(t->titles);
	free(t->servers);
	free(t->subjects);
}

/* Calls fn(x, c, h, a) for every host h and node-worthy artifact a of h. */
static void each_art_edge(struct xw *x, const struct bph_clustering *c,
			  void (*fn)(struct xw *, const struct bph_clustering *,
				     size_t, size_t))
{
	for (size_t h = 0; h < c->n_hosts; h++) {
		size_t pos = 0;
		long a;
		while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0)
			if (bph_export_art_is_node(c, (size_t)a))
				fn(x, c, h, (size_t)a);
	}
}

/* ---- GraphML ---- */

static void gml_key(struct xw *x, const char *id, const char *for_,
		    const char *type)
{
	start(x, "key");
	attr(x, "id", id);
	attr(x, "for", for_);
	attr(x, "attr.name", id);
	attr(x, "attr.type", type);
	end(x);
}

static void gml_edge(struct xw *x, const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	char num[64], label[BPH_LINK_LABEL_MAX];

	start(x, "edge");
	attr_id(x, "id", "e", i);
	attr(x, "source", c->hosts[l->a]);
	attr(x, "target", c->hosts[l->b]);
	snprintf(num, sizeof(num), "%.6g", l->score);
	text_el(x, "data", "weight", num);
	text_el(x, "data", "rule", bph_link_label(c, l, label));
	text_el(x, "data", "bridge", l->bridge ? "true" : "false");
	text_el(x, "data", "evidence", ev ? ev : "");
	x->bad |= !ev;
	end(x);
	free(ev);
}

static void gml_keys(struct xw *x, bool artifact_nodes, bool communities)
{
	gml_key(x, "type", "node", "string");
	gml_key(x, "cluster", "node", "int");
	if (communities)
		gml_key(x, "community", "node", "int");
	gml_key(x, "seed", "node", "boolean");
	gml_key(x, "titles", "node", "string");
	gml_key(x, "servers", "node", "string");
	gml_key(x, "cert_subjects", "node", "string");
	gml_key(x, "n_artifacts", "node", "int");
	if (artifact_nodes) {
		gml_key(x, "kind", "all", "string");
		gml_key(x, "artifact_value", "node", "string");
		gml_key(x, "hosts_sharing", "node", "int");
		/* a node's weight: its own key id, the same name */
		start(x, "key");
		attr(x, "id", "art_weight");
		attr(x, "for", "node");
		attr(x, "attr.name", "weight");
		attr(x, "attr.type", "double");
		end(x);
	}
	gml_key(x, "weight", "edge", "double");
	gml_key(x, "rule", "edge", "string");
	gml_key(x, "bridge", "edge", "boolean");
	gml_key(x, "evidence", "edge", "string");
}

/* Annotation keys (cluster/annot.h) as node keys "net_<key>" named
 * <key>. */
static void gml_annot_keys(struct xw *x, const char **keys, size_t n)
{
	char id[96];

	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "net_%s", keys[i]);
		start(x, "key");
		attr(x, "id", id);
		attr(x, "for", "node");
		attr(x, "attr.name", keys[i]);
		attr(x, "attr.type", "string");
		end(x);
	}
}

static void gml_annot(struct xw *x, const struct bph_annot *an)
{
	char id[96];

	for (size_t i = 0; an && i < an->n_attrs; i++) {
		snprintf(id, sizeof(id), "net_%s", an->attrs[i].key);
		text_el(x, "data", id, an->attrs[i].value);
	}
}

static void gml_node(struct xw *x, const struct bph_clustering *c,
		     const char *seed, const struct bph_annot *an, size_t h)
{
	struct node_text t;
	char num[32];

	x->bad |= node_text_get(&t, x, c, h) != 0;
	start(x, "node");
	attr(x, "id", c->hosts[h]);
	text_el(x, "data", "type", "host");
	snprintf(num, sizeof(num), "%u", c->clusters[c->cluster_of[h]].id);
	text_el(x, "data", "cluster", num);
	if (t.community[0])
		text_el(x, "data", "community", t.community);
	text_el(x, "data", "seed", is_seed(c, seed, h) ? "true" : "false");
	text_el(x, "data", "titles", t.titles ? t.titles : "");
	text_el(x, "data", "servers", t.servers ? t.servers : "");
	text_el(x, "data", "cert_subjects", t.subjects ? t.subjects : "");
	text_el(x, "data", "n_artifacts", t.count);
	gml_annot(x, an);
	end(x);
	node_text_free(&t);
}

static void gml_art_node(struct xw *x, const struct bph_clustering *c, size_t a)
{
	char num[64];

	start(x, "node");
	attr_id(x, "id", "art", a);
	text_el(x, "data", "type", "artifact");
	text_el(x, "data", "kind", c->arts[a].kind);
	text_el(x, "data", "artifact_value", c->arts[a].value);
	snprintf(num, sizeof(num), "%u", c->arts[a].df);
	text_el(x, "data", "hosts_sharing", num);
	snprintf(num, sizeof(num), "%.6g", c->arts[a].weight);
	text_el(x, "data", "art_weight", num);
	end(x);
}

static void gml_art_edge(struct xw *x, const struct bph_clustering *c, size_t h,
			 size_t a)
{
	char num[64];

	start(x, "edge");
	snprintf(num, sizeof(num), "h%zua%zu", h, a);
	attr(x, "id", num);
	attr(x, "source", c->hosts[h]);
	attr_id(x, "target", "art", a);
	snprintf(num, sizeof(num), "%.6g", c->arts[a].weight);
	text_el(x, "data", "weight", num);
	text_el(x, "data", "rule", "artifact");
	text_el(x, "data", "kind", c->arts[a].kind);
	end(x);
}

static void gml_node_item(struct xw *x, const struct xml_items *t, size_t h)
{
	gml_node(x, t->c, t->o->seed, bph_annot_host(t->o->annot, h), h);
}

static void gml_edge_item(struct xw *x, const struct xml_items *t, size_t i)
{
	gml_edge(x, t->c, i);
}

static int write_graphml(const struct bph_clustering *c,
			 const struct bph_export_opts *o, FILE *out, char *err,
			 size_t errlen)
{
	struct xw x;
	const char **keys = NULL;
	size_t n_keys = 0;

	if (bph_annot_host_keys(o->annot, &keys, &n_keys) ||
	    open_writer(&x, c, out)) {
		free(keys);
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	}
	start(&x, "graphml");
	attr(&x, "xmlns", "http://graphml.graphdrawing.org/xmlns");
	gml_keys(&x, o->artifact_nodes, c->community_of != NULL);
	gml_annot_keys(&x, keys, n_keys);
	free(keys);
	start(&x, "graph");
	attr(&x, "id", "bphound");
	attr(&x, "edgedefault", "undirected");
	xml_items(&x, c, o, c->n_hosts, gml_node_item);
	for (size_t a = 0; o->artifact_nodes && a < c->n_arts; a++)
		if (bph_export_art_is_node(c, a))
			gml_art_node(&x, c, a);
	xml_items(&x, c, o, c->n_links, gml_edge_item);
	if (o->artifact_nodes)
		each_art_edge(&x, c, gml_art_edge);
	end(&x);
	end(&x);
	return close_writer(&x, err, errlen);
}

const struct bph_exporter bph_export_graphml = {
    .name = "graphml",
    .extension = "graphml",
    .summary = "GraphML (yEd, Gephi, Cytoscape, networkx, igraph)",
    .write = write_graphml,
};

/* ---- GEXF 1.2draft ---- */

static void gexf_attr_def(struct xw *x, const char *id, const char *title,
			  const char *type)
{
	start(x, "attribute");
	attr(x, "id", id);
	attr(x, "title", title);
	attr(x, "type", type);
	end(x);
}

static void attvalue(struct xw *x, const char *for_, const char *value)
{
	start(x, "attvalue");
	attr(x, "for", for_);
	attr(x, "value", value);
	end(x);
}

/* Annotation keys as node attributes with ids "net_<key>". */
static void gexf_annot_defs(struct xw *x, const char **keys, size_t n)
{
	char id[96];

	for (size_t i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "net_%s", keys[i]);
		gexf_attr_def(x, id, keys[i], "string");
	}
}

/* Node attribute ids 0-1 as before, 2-5 and 10 host labels, 6-9
 * artifacts, 11 community (ids are kept once published, so Gephi
 * projects keep their mappings); edge ids 0-2 as before, 3 kind. */
static void gexf_defs(struct xw *x, bool artifact_nodes, bool communities,
		      const char **keys, size_t n_keys)
{
	start(x, "attributes");
	attr(x, "class", "node");
	gexf_attr_def(x, "0", "cluster", "integer");
	gexf_attr_def(x, "1", "seed", "boolean");
	gexf_attr_def(x, "2", "type", "string");
	gexf_attr_def(x, "3", "titles", "string");
	gexf_attr_def(x, "4", "servers", "string");
	gexf_attr_def(x, "5", "n_artifacts", "integer");
	gexf_attr_def(x, "10", "cert_subjects", "string");
	if (communities)
		gexf_attr_def(x, "11", "community", "integer");
	if (artifact_nodes) {
		gexf_attr_def(x, "6", "kind", "string");
		gexf_attr_def(x, "7", "artifact_value", "string");
		gexf_attr_def(x, "8", "hosts_sharing", "integer");
		gexf_attr_def(x, "9", "weight", "double");
	}
	gexf_annot_defs(x, keys, n_keys);
	end(x);
	start(x, "attributes");
	attr(x, "class", "edge");
	gexf_attr_def(x, "0", "rule", "string");
	gexf_attr_def(x, "1", "bridge", "boolean");
	gexf_attr_def(x, "2", "evidence", "string");
	if (artifact_nodes)
		gexf_attr_def(x, "3", "kind", "string");
	end(x);
}

static void gexf_annot(struct xw *x, const struct bph_annot *an)
{
	char id[96];

	for (size_t i = 0; an && i < an->n_attrs; i++) {
		snprintf(id, sizeof(id), "net_%s", an->attrs[i].key);
		attvalue(x, id, an->attrs[i].value);
	}
}

static void gexf_node(struct xw *x, const struct bph_clustering *c,
		      const char *seed, const struct bph_annot *an, size_t h)
{
	struct node_text t;
	char num[32];

	x->bad |= node_text_get(&t, x, c, h) != 0;
	start(x, "node");
	attr(x, "id", c->hosts[h]);
	attr(x, "label", c->hosts[h]);
	start(x, "attvalues");
	snprintf(num, sizeof(num), "%u", c->clusters[c->cluster_of[h]].id);
	attvalue(x, "0", num);
	attvalue(x, "1", is_seed(c, seed, h) ? "true" : "false");
	attvalue(x, "2", "host");
	attvalue(x, "3", t.titles ? t.titles : "");
	attvalue(x, "4", t.servers ? t.servers : "");
	attvalue(x, "5", t.count);
	attvalue(x, "10", t.subjects ? t.subjects : "");
	if (t.community[0])
		attvalue(x, "11", t.community);
	gexf_annot(x, an);
	end(x);
	end(x);
	node_text_free(&t);
}

static void gexf_art_node(struct xw *x, const struct bph_clustering *c,
			  size_t a)
{
	char *label = bph_export_art_label(c, a, BPH_TEXT_XML);
	char num[64];

	start(x, "node");
	attr_id(x, "id", "art", a);
	attr(x, "label", label ? label : "");
	x->bad |= !label;
	start(x, "attvalues");
	attvalue(x, "2", "artifact");
	attvalue(x, "6", c->arts[a].kind);
	attvalue(x, "7", c->arts[a].value);
	snprintf(num, sizeof(num), "%u", c->arts[a].df);
	attvalue(x, "8", num);
	snprintf(num, sizeof(num), "%.6g", c->arts[a].weight);
	attvalue(x, "9", num);
	end(x);
	end(x);
	free(label);
}

static void gexf_art_edge(struct xw *x, const struct bph_clustering *c,
			  size_t h, size_t a)
{
	char num[64];

	start(x, "edge");
	snprintf(num, sizeof(num), "h%zua%zu", h, a);
	attr(x, "id", num);
	attr(x, "source", c->hosts[h]);
	attr_id(x, "target", "art", a);
	start(x, "attvalues");
	attvalue(x, "0", "artifact");
	attvalue(x, "3", c->arts[a].kind);
	end(x);
	end(x);
}

static void gexf_edge(struct xw *x, const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	char num[64], label[BPH_LINK_LABEL_MAX];

	start(x, "edge");
	attr_id(x, "id", "", i);
	attr(x, "source", c->hosts[l->a]);
	attr(x, "target", c->hosts[l->b]);
	snprintf(num, sizeof(num), "%.6g", l->score);
	attr(x, "weight", num);
	start(x, "attvalues");
	attvalue(x, "0", bph_link_label(c, l, label));
	attvalue(x, "1", l->bridge ? "true" : "false");
	attvalue(x, "2", ev ? ev : "");
	x->bad |= !ev;
	end(x);
	end(x);
	free(ev);
}

static void gexf_node_item(struct xw *x, const struct xml_items *t, size_t h)
{
	gexf_node(x, t->c, t->o->seed, bph_annot_host(t->o->annot, h), h);
}

static void gexf_edge_item(struct xw *x, const struct xml_items *t, size_t i)
{
	gexf_edge(x, t->c, i);
}

static int write_gexf(const struct bph_clustering *c,
		      const struct bph_export_opts *o, FILE *out, char *err,
		      size_t errlen)
{
	struct xw x;
	const char **keys = NULL;
	size_t n_keys = 0;

	if (bph_annot_host_keys(o->annot, &keys, &n_keys) ||
	    open_writer(&x, c, out)) {
		free(keys);
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	}
	start(&x, "gexf");
	attr(&x, "xmlns", "http://www.gexf.net/1.2draft");
	attr(&x, "version", "1.2");
	start(&x, "meta");
	start(&x, "creator");
	text(&x, "bphound");
	end(&x);
	end(&x);
	start(&x, "graph");
	attr(&x, "mode", "static");
	attr(&x, "defaultedgetype", "undirected");
	gexf_defs(&x, o->artifact_nodes, c->community_of != NULL, keys, n_keys);
	free(keys);
	start(&x, "nodes");
	xml_items(&x, c, o, c->n_hosts, gexf_node_item);
	for (size_t a = 0; o->artifact_nodes && a < c->n_arts; a++)
		if (bph_export_art_is_node(c, a))
			gexf_art_node(&x, c, a);
	end(&x);
	start(&x, "edges");
	xml_items(&x, c, o, c->n_links, gexf_edge_item);
	if (o->artifact_nodes)
		each_art_edge(&x, c, gexf_art_edge);
	end(&x);
	end(&x);
	end(&x);
	return close_writer(&x, err, errlen);
}

const struct bph_exporter bph_export_gexf = {
    .name = "gexf",
    .extension = "gexf",
    .summary = "GEXF 1.2draft (Gephi)",
    .write = write_gexf,
};
