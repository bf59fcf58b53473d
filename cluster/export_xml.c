/*
 * export_xml.c - GraphML and GEXF 1.2draft through libxml2's
 * xmlTextWriter. Text from the network is cleaned to XML 1.0 characters
 * first (xmlTextWriter escapes markup but would write forbidden control
 * characters as references that no XML parser accepts).
 */
#include "cluster/export.h"

#include <stdlib.h>

#include <libxml/xmlwriter.h>

#include "fingerprints/err.h"

struct xw {
	xmlTextWriterPtr w;
	int bad; /* sticky: a writer call failed */
};

static const xmlChar *X(const char *s)
{
	return (const xmlChar *)s;
}

static void start(struct xw *x, const char *el)
{
	if (!x->bad && xmlTextWriterStartElement(x->w, X(el)) < 0)
		x->bad = 1;
}

static void end(struct xw *x)
{
	if (!x->bad && xmlTextWriterEndElement(x->w) < 0)
		x->bad = 1;
}

/* Writes attribute name = value, cleaning value to XML characters. */
static void attr(struct xw *x, const char *name, const char *value)
{
	char *clean = bph_text_clean(value, BPH_TEXT_XML);

	if (!clean || (!x->bad && xmlTextWriterWriteAttribute(x->w, X(name),
							      X(clean)) < 0))
		x->bad = 1;
	free(clean);
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
	char *clean = bph_text_clean(value, BPH_TEXT_XML);

	start(x, el);
	attr(x, "key", key);
	if (!clean || (!x->bad && xmlTextWriterWriteString(x->w, X(clean)) < 0))
		x->bad = 1;
	end(x);
	free(clean);
}

static int open_writer(struct xw *x, FILE *out)
{
	xmlOutputBufferPtr buf = xmlOutputBufferCreateFile(out, NULL);

	x->bad = 0;
	x->w = buf ? xmlNewTextWriter(buf) : NULL;
	if (!x->w) {
		xmlOutputBufferClose(buf);
		return BPH_ERR_NOMEM;
	}
	xmlTextWriterSetIndent(x->w, 1);
	if (xmlTextWriterStartDocument(x->w, NULL, "UTF-8", NULL) < 0)
		x->bad = 1;
	return 0;
}

static int close_writer(struct xw *x, char *err, size_t errlen)
{
	if (!x->bad && xmlTextWriterEndDocument(x->w) < 0)
		x->bad = 1;
	xmlFreeTextWriter(x->w);
	return x->bad ? bph_export_fail(err, errlen, BPH_ERR_IO,
					"XML writer failed")
		      : 0;
}

static bool is_seed(const struct bph_clustering *c, const char *seed, size_t h)
{
	return seed && bph_clustering_host(c, seed) == (long)h;
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
	char num[64];

	start(x, "edge");
	attr_id(x, "id", "e", i);
	attr(x, "source", c->hosts[l->a]);
	attr(x, "target", c->hosts[l->b]);
	snprintf(num, sizeof(num), "%.6g", l->score);
	text_el(x, "data", "weight", num);
	text_el(x, "data", "rule", l->rule);
	text_el(x, "data", "bridge", l->bridge ? "true" : "false");
	text_el(x, "data", "evidence", ev ? ev : "");
	x->bad |= !ev;
	end(x);
	free(ev);
}

static int write_graphml(const struct bph_clustering *c, const char *seed,
			 FILE *out, char *err, size_t errlen)
{
	struct xw x;
	char num[32];

	if (open_writer(&x, out))
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	start(&x, "graphml");
	attr(&x, "xmlns", "http://graphml.graphdrawing.org/xmlns");
	gml_key(&x, "cluster", "node", "int");
	gml_key(&x, "seed", "node", "boolean");
	gml_key(&x, "weight", "edge", "double");
	gml_key(&x, "rule", "edge", "string");
	gml_key(&x, "bridge", "edge", "boolean");
	gml_key(&x, "evidence", "edge", "string");
	start(&x, "graph");
	attr(&x, "id", "bphound");
	attr(&x, "edgedefault", "undirected");
	for (size_t h = 0; h < c->n_hosts; h++) {
		start(&x, "node");
		attr(&x, "id", c->hosts[h]);
		snprintf(num, sizeof(num), "%u",
			 c->clusters[c->cluster_of[h]].id);
		text_el(&x, "data", "cluster", num);
		text_el(&x, "data", "seed",
			is_seed(c, seed, h) ? "true" : "false");
		end(&x);
	}
	for (size_t i = 0; i < c->n_links; i++)
		gml_edge(&x, c, i);
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

static void gexf_defs(struct xw *x)
{
	start(x, "attributes");
	attr(x, "class", "node");
	gexf_attr_def(x, "0", "cluster", "integer");
	gexf_attr_def(x, "1", "seed", "boolean");
	end(x);
	start(x, "attributes");
	attr(x, "class", "edge");
	gexf_attr_def(x, "0", "rule", "string");
	gexf_attr_def(x, "1", "bridge", "boolean");
	gexf_attr_def(x, "2", "evidence", "string");
	end(x);
}

static void gexf_node(struct xw *x, const struct bph_clustering *c,
		      const char *seed, size_t h)
{
	char num[32];

	start(x, "node");
	attr(x, "id", c->hosts[h]);
	attr(x, "label", c->hosts[h]);
	start(x, "attvalues");
	snprintf(num, sizeof(num), "%u", c->clusters[c->cluster_of[h]].id);
	attvalue(x, "0", num);
	attvalue(x, "1", is_seed(c, seed, h) ? "true" : "false");
	end(x);
	end(x);
}

static void gexf_edge(struct xw *x, const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char *ev = bph_export_evidence_text(c, l, BPH_TEXT_XML);
	char num[64];

	start(x, "edge");
	attr_id(x, "id", "", i);
	attr(x, "source", c->hosts[l->a]);
	attr(x, "target", c->hosts[l->b]);
	snprintf(num, sizeof(num), "%.6g", l->score);
	attr(x, "weight", num);
	start(x, "attvalues");
	attvalue(x, "0", l->rule);
	attvalue(x, "1", l->bridge ? "true" : "false");
	attvalue(x, "2", ev ? ev : "");
	x->bad |= !ev;
	end(x);
	end(x);
	free(ev);
}

static int write_gexf(const struct bph_clustering *c, const char *seed,
		      FILE *out, char *err, size_t errlen)
{
	struct xw x;

	if (open_writer(&x, out))
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM, "no memory");
	start(&x, "gexf");
	attr(&x, "xmlns", "http://www.gexf.net/1.2draft");
	attr(&x, "version", "1.2");
	start(&x, "meta");
	start(&x, "creator");
	if (!x.bad && xmlTextWriterWriteString(x.w, X("bphound")) < 0)
		x.bad = 1;
	end(&x);
	end(&x);
	start(&x, "graph");
	attr(&x, "mode", "static");
	attr(&x, "defaultedgetype", "undirected");
	gexf_defs(&x);
	start(&x, "nodes");
	for (size_t h = 0; h < c->n_hosts; h++)
		gexf_node(&x, c, seed, h);
	end(&x);
	start(&x, "edges");
	for (size_t i = 0; i < c->n_links; i++)
		gexf_edge(&x, c, i);
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
