/*
 * export_json.c - the bphound cluster JSON (docs/design.md contract) and
 * Cytoscape.js JSON (elements with data; also readable by networkx's
 * cytoscape_graph).
 */
#include "cluster/export.h"

#include <stdlib.h>

#include <jansson.h>

#include "fingerprints/err.h"

#define DUMP_FLAGS                                                             \
	(JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6))

/* A JSON string of untrusted text (cleaned), NULL on ENOMEM. */
static json_t *text(const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_UTF8);
	json_t *j = clean ? json_string(clean) : NULL;

	free(clean);
	return j;
}

/* Sets o[k] = v, stealing v; counts failures in *bad. */
static void set(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v))
		(*bad)++;
}

static void append(json_t *a, json_t *v, int *bad)
{
	if (!v || json_array_append_new(a, v))
		(*bad)++;
}

static json_t *evidence_json(const struct bph_clustering *c,
			     const struct bph_evidence *e, int *bad)
{
	const struct bph_art_stat *a = &c->arts[e->art];
	json_t *o = json_object();

	if (!o) {
		(*bad)++;
		return NULL;
	}
	set(o, "kind", json_string(a->kind), bad);
	set(o, "value", text(a->value), bad);
	set(o, "hosts_sharing", json_integer(a->df), bad);
	set(o, "weight", json_real(a->weight), bad);
	set(o, "rule", json_string(e->rule), bad);
	set(o, "port_a", json_integer(e->port_a), bad);
	set(o, "port_b", json_integer(e->port_b), bad);
	set(o, "first_seen", json_integer(e->first_seen), bad);
	set(o, "last_seen", json_integer(e->last_seen), bad);
	return o;
}

static json_t *link_json(const struct bph_clustering *c,
			 const struct bph_link *l, int *bad)
{
	json_t *o = json_object(), *ev = json_array();

	for (size_t i = 0; ev && i < l->n_ev; i++)
		append(ev, evidence_json(c, &l->ev[i], bad), bad);
	if (!o) {
		json_decref(ev);
		(*bad)++;
		return NULL;
	}
	set(o, "a", json_string(c->hosts[l->a]), bad);
	set(o, "b", json_string(c->hosts[l->b]), bad);
	set(o, "score", json_real(l->score), bad);
	set(o, "rule", json_string(l->rule), bad);
	set(o, "bridge", json_boolean(l->bridge), bad);
	set(o, "evidence", ev, bad);
	return o;
}

static json_t *cluster_json(const struct bph_clustering *c,
			    const struct bph_cluster *k, int *bad)
{
	json_t *o = json_object(), *hosts = json_array(), *links = json_array();

	for (size_t i = 0; hosts && i < k->n_hosts; i++)
		append(hosts, json_string(c->hosts[k->hosts[i]]), bad);
	for (size_t i = 0; links && i < k->n_links; i++)
		append(links, link_json(c, &c->links[k->links[i]], bad), bad);
	if (!o) {
		json_decref(hosts);
		json_decref(links);
		(*bad)++;
		return NULL;
	}
	set(o, "id", json_integer(k->id), bad);
	set(o, "hosts", hosts, bad);
	set(o, "weak_bridge", json_boolean(k->weak_bridge), bad);
	set(o, "links", links, bad);
	return o;
}

static int dump(json_t *root, int bad, FILE *out, char *err, size_t errlen)
{
	int rc = 0;

	if (!root || bad)
		rc = bph_export_fail(err, errlen, BPH_ERR_NOMEM,
				     "out of memory building JSON");
	else if (json_dumpf(root, out, DUMP_FLAGS) || fputc('\n', out) == EOF)
		rc = bph_export_fail(err, errlen, BPH_ERR_IO, "write failed");
	json_decref(root);
	return rc;
}

static int write_json(const struct bph_clustering *c, const char *seed,
		      FILE *out, char *err, size_t errlen)
{
	json_t *root = json_object(), *clusters = json_array();
	int bad = 0;

	for (size_t i = 0; clusters && i < c->n_clusters; i++)
		append(clusters, cluster_json(c, &c->clusters[i], &bad), &bad);
	if (root) {
		set(root, "seed", seed ? text(seed) : json_null(), &bad);
		set(root, "clusters", clusters, &bad);
	} else {
		json_decref(clusters);
	}
	return dump(root, bad, out, err, errlen);
}

const struct bph_exporter bph_export_json = {
    .name = "json",
    .extension = "json",
    .summary = "bphound cluster JSON: clusters, links, evidence",
    .write = write_json,
};

/* ---- Cytoscape ---- */

static json_t *cy_node(const struct bph_clustering *c, size_t h,
		       const char *seed, int *bad)
{
	json_t *n = json_object(), *d = json_object();

	if (!n || !d) {
		json_decref(n);
		json_decref(d);
		(*bad)++;
		return NULL;
	}
	set(d, "id", json_string(c->hosts[h]), bad);
	set(d, "name", json_string(c->hosts[h]), bad);
	set(d, "value", json_string(c->hosts[h]), bad);
	set(d, "cluster", json_integer(c->clusters[c->cluster_of[h]].id), bad);
	set(d, "seed",
	    json_boolean(seed && bph_clustering_host(c, seed) == (long)h), bad);
	set(n, "data", d, bad);
	return n;
}

static json_t *cy_edge(const struct bph_clustering *c, size_t i, int *bad)
{
	const struct bph_link *l = &c->links[i];
	json_t *n = json_object(), *d = json_object();
	char id[32], *ev = bph_export_evidence_text(c, l, BPH_TEXT_UTF8);

	if (!n || !d || !ev) {
		json_decref(n);
		json_decref(d);
		free(ev);
		(*bad)++;
		return NULL;
	}
	snprintf(id, sizeof(id), "e%zu", i);
	set(d, "id", json_string(id), bad);
	set(d, "source", json_string(c->hosts[l->a]), bad);
	set(d, "target", json_string(c->hosts[l->b]), bad);
	set(d, "weight", json_real(l->score), bad);
	set(d, "rule", json_string(l->rule), bad);
	set(d, "bridge", json_boolean(l->bridge), bad);
	set(d, "evidence", json_string(ev), bad);
	set(n, "data", d, bad);
	free(ev);
	return n;
}

static int write_cytoscape(const struct bph_clustering *c, const char *seed,
			   FILE *out, char *err, size_t errlen)
{
	json_t *root = json_object(), *data = json_object();
	json_t *el = json_object(), *nodes = json_array(),
	       *edges = json_array();
	int bad = !root || !data || !el || !nodes || !edges;

	for (size_t h = 0; !bad && h < c->n_hosts; h++)
		append(nodes, cy_node(c, h, seed, &bad), &bad);
	for (size_t i = 0; !bad && i < c->n_links; i++)
		append(edges, cy_edge(c, i, &bad), &bad);
	if (!bad) {
		set(data, "name", json_string("bphound"), &bad);
		set(data, "seed", seed ? text(seed) : json_null(), &bad);
		set(root, "data", json_incref(data), &bad);
		set(root, "directed", json_false(), &bad);
		set(root, "multigraph", json_false(), &bad);
		set(el, "nodes", json_incref(nodes), &bad);
		set(el, "edges", json_incref(edges), &bad);
		set(root, "elements", json_incref(el), &bad);
	}
	json_decref(data);
	json_decref(el);
	json_decref(nodes);
	json_decref(edges);
	return dump(root, bad, out, err, errlen);
}

const struct bph_exporter bph_export_cytoscape = {
    .name = "cytoscape",
    .extension = "cyjs",
    .summary = "Cytoscape.js elements JSON (nodes and edges with data)",
    .write = write_cytoscape,
};
