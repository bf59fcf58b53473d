/*
 * export_json.c - the bphound cluster JSON (docs/output.md "Cluster
 * report") and Cytoscape.js JSON (elements with data; also readable by
 * networkx's cytoscape_graph), written element by element (bph_json_out);
 * jansson only for annotated objects and the few small values.
 */
#include "cluster/export.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

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

/* The result of a streamed document: NOMEM when a value could not be
 * built (write errors show in ferror, which bph_export_write checks). */
static int finish(const struct bph_json_out *j, char *err, size_t errlen)
{
	if (j->bad)
		return bph_export_fail(err, errlen, BPH_ERR_NOMEM,
				       "out of memory building JSON");
	return 0;
}

/* The cleaned values of host h's artifacts of kind, as an array. */
static json_t *host_values(const struct bph_clustering *c, size_t h,
			   const char *kind, int *bad)
{
	json_t *a = json_array();
	size_t pos = 0;
	long i;

	if (!a) {
		(*bad)++;
		return NULL;
	}
	while ((i = bph_export_host_next(c, h, &pos, kind)) >= 0)
		append(a, text(c->arts[i].value), bad);
	return a;
}

/* Sets o["community"] when c holds communities. */
static void host_community(json_t *o, const struct bph_clustering *c, size_t h,
			   int *bad)
{
	uint32_t id;

	if (bph_export_host_community(c, h, &id))
		set(o, "community", json_integer(id), bad);
}

/* The cleaned values of l's label kind i, as host_values() gives them. */
static json_t *label_values(const struct bph_clustering *c,
			    const struct bph_export_labels *l, int i, int *bad)
{
	json_t *a = json_array();

	if (!a) {
		(*bad)++;
		return NULL;
	}
	for (size_t k = 0; k < l->n[i]; k++)
		append(a, text(c->arts[l->art[i][k]].value), bad);
	return a;
}

/* Sets the label attributes of host h (titles, servers, cert_subjects,
 * n_artifacts). */
static void host_labels(json_t *o, const struct bph_clustering *c,
			const uint8_t *codes, size_t h, int *bad)
{
	struct bph_export_labels l;

	if (bph_export_labels_of(c, codes, h, &l)) {
		set(o, "titles", label_values(c, &l, 0, bad), bad);
		set(o, "servers", label_values(c, &l, 1, bad), bad);
		set(o, "cert_subjects", label_values(c, &l, 2, bad), bad);
	} else {
		set(o, "titles", host_values(c, h, BPH_EXPORT_TITLE, bad), bad);
		set(o, "servers", host_values(c, h, BPH_EXPORT_SERVER, bad),
		    bad);
		set(o, "cert_subjects",
		    host_values(c, h, BPH_EXPORT_SUBJECT, bad), bad);
	}
	set(o, "n_artifacts", json_integer((json_int_t)l.n_arts), bad);
}

/* Adds an's facts to o: the members of its JSON object, else its flat
 * attributes as strings (cluster/annot.h); clusters also get "remark". */
static void annot_members(json_t *o, const struct bph_annot *an, int *bad)
{
	json_t *j = an && an->json ? json_loads(an->json, 0, NULL) : NULL;

	if (!an || !o)
		return;
	if (json_is_object(j)) {
		if (json_object_update(o, j))
			(*bad)++;
	} else {
		for (size_t i = 0; i < an->n_attrs; i++)
			set(o, an->attrs[i].key, text(an->attrs[i].value), bad);
	}
	json_decref(j);
	if (an->remark)
		set(o, "remark", text(an->remark), bad);
}

/* Holders of every artifact, in host order: for artifact a,
 * host[off[a]..off[a+1]) (one pass over the incidences). */
struct holders {
	size_t *off;
	uint32_t *host;
};

static int holders_build(const struct bph_clustering *c, struct holders *v)
{
	size_t *fill = calloc(c->n_arts + 1, sizeof(*fill)), n = 0;

	v->off = calloc(c->n_arts + 2, sizeof(*v->off));
	for (size_t h = 0; v->off && h < c->n_hosts; h++) {
		size_t pos = 0;
		long a;
		while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0) {
			v->off[a + 1]++;
			n++;
		}
	}
	v->host = malloc((n + 1) * sizeof(*v->host));
	if (!fill || !v->off || !v->host) {
		free(fill);
		return BPH_ERR_NOMEM;
	}
	for (size_t a = 0; a < c->n_arts; a++)
		v->off[a + 1] += v->off[a];
	for (size_t h = 0; h < c->n_hosts; h++) {
		size_t pos = 0;
		long a;
		while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0)
			v->host[v->off[a] + fill[a]++] = (uint32_t)h;
	}
	free(fill);
	return 0;
}

static void holders_free(struct holders *v)
{
	free(v->off);
	free(v->host);
}

/* key: text (cleaned), for the writers below. */
static void text_member(struct bph_json_out *j, const char *key, const char *s)
{
	bph_json_key(j, key);
	bph_json_text(j, s);
}

/* Artifact a's object with the hosts carrying it. */
static void art_write(struct bph_json_out *j, const struct bph_clustering *c,
		      const struct holders *v, size_t a)
{
	bph_json_next(j);
	bph_json_begin(j, '{');
	text_member(j, "kind", c->arts[a].kind);
	text_member(j, "value", c->arts[a].value);
	bph_json_key(j, "hosts_sharing");
	bph_json_int(j, c->arts[a].df);
	bph_json_key(j, "weight");
	bph_json_real(j, c->arts[a].weight);
	bph_json_key(j, "hosts");
	bph_json_begin(j, '[');
	for (size_t i = v->off[a]; i < v->off[a + 1]; i++) {
		bph_json_next(j);
		bph_json_text(j, c->hosts[v->host[i]]);
	}
	bph_json_end(j, ']');
	bph_json_end(j, '}');
}

/* --artifact-nodes: every node-worthy artifact with its hosts. */
static void arts_json(struct bph_json_out *j, const struct bph_clustering *c)
{
	struct holders v = {NULL, NULL};

	if (holders_build(c, &v))
		j->bad++;
	bph_json_key(j, "artifacts");
	bph_json_begin(j, '[');
	for (size_t a = 0; !j->bad && a < c->n_arts; a++)
		if (bph_export_art_is_node(c, a))
			art_write(j, c, &v, a);
	bph_json_end(j, ']');
	holders_free(&v);
}

/* Whether an adds nothing to an object (annot_members would not change
 * it): then the object is written directly. */
static bool annot_empty(const struct bph_annot *an)
{
	return !an || (!an->json && !an->n_attrs && !an->remark);
}

/* One piece of evidence: the artifact, its rule, ports and times. */
static void evidence_write(struct bph_json_out *j,
			   const struct bph_clustering *c,
			   const struct bph_evidence *e)
{
	const struct bph_art_stat *a = &c->arts[e->art];

	bph_json_next(j);
	bph_json_begin(j, '{');
	text_member(j, "kind", a->kind);
	text_member(j, "value", a->value);
	bph_json_key(j, "hosts_sharing");
	bph_json_int(j, a->df);
	bph_json_key(j, "weight");
	bph_json_real(j, a->weight);
	text_member(j, "rule", bph_rule_name(e->rule));
	bph_json_key(j, "port_a");
	bph_json_int(j, e->port_a);
	bph_json_key(j, "port_b");
	bph_json_int(j, e->port_b);
	bph_json_key(j, "first_seen");
	bph_json_int(j, e->first_seen);
	bph_json_key(j, "last_seen");
	bph_json_int(j, e->last_seen);
	bph_json_end(j, '}');
}

/* Link l: its ends, score, rule, bridge flag and evidence. */
static void link_write(struct bph_json_out *j, const struct bph_clustering *c,
		       const struct bph_link *l)
{
	char label[BPH_LINK_LABEL_MAX];

	bph_json_next(j);
	bph_json_begin(j, '{');
	text_member(j, "a", c->hosts[l->a]);
	text_member(j, "b", c->hosts[l->b]);
	bph_json_key(j, "score");
	bph_json_real(j, l->score);
	text_member(j, "rule", bph_link_label(c, l, label));
	bph_json_key(j, "bridge");
	bph_json_bool(j, l->bridge);
	bph_json_key(j, "evidence");
	bph_json_begin(j, '[');
	for (size_t i = 0; i < l->n_ev; i++)
		evidence_write(j, c, &l->ev[i]);
	bph_json_end(j, ']');
	bph_json_end(j, '}');
}

/* Cluster k's object without annotations: id, hosts, links. */
static void cluster_object(struct bph_json_out *j,
			   const struct bph_clustering *c,
			   const struct bph_cluster *k)
{
	bph_json_begin(j, '{');
	bph_json_key(j, "id");
	bph_json_int(j, k->id);
	bph_json_key(j, "hosts");
	bph_json_begin(j, '[');
	for (size_t i = 0; i < k->n_hosts; i++) {
		bph_json_next(j);
		bph_json_text(j, c->hosts[k->hosts[i]]);
	}
	bph_json_end(j, ']');
	bph_json_key(j, "weak_bridge");
	bph_json_bool(j, k->weak_bridge);
	bph_json_key(j, "links");
	bph_json_begin(j, '[');
	for (size_t i = 0; i < k->n_links; i++)
		link_write(j, c, &c->links[k->links[i]]);
	bph_json_end(j, ']');
	bph_json_end(j, '}');
}

/* key: host h's values of kind, as host_values() gives them. */
static void values_write(struct bph_json_out *j, const struct bph_clustering *c,
			 size_t h, const char *key, const char *kind)
{
	size_t pos = 0;
	long i;

	bph_json_key(j, key);
	bph_json_begin(j, '[');
	while ((i = bph_export_host_next(c, h, &pos, kind)) >= 0) {
		bph_json_next(j);
		bph_json_text(j, c->arts[i].value);
	}
	bph_json_end(j, ']');
}

/* key: the values of l's label kind i, as values_write() gives them. */
static void labels_write(struct bph_json_out *j, const struct bph_clustering *c,
			 const struct bph_export_labels *l, int i,
			 const char *key)
{
	bph_json_key(j, key);
	bph_json_begin(j, '[');
	for (size_t k = 0; k < l->n[i]; k++) {
		bph_json_next(j);
		bph_json_text(j, c->arts[l->art[i][k]].value);
	}
	bph_json_end(j, ']');
}

/* labels_write() of every label kind and the artifact count of host h. */
static void host_labels_write(struct bph_json_out *j,
			      const struct bph_clustering *c,
			      const uint8_t *codes, size_t h)
{
	struct bph_export_labels l;

	if (bph_export_labels_of(c, codes, h, &l)) {
		labels_write(j, c, &l, 0, "titles");
		labels_write(j, c, &l, 1, "servers");
		labels_write(j, c, &l, 2, "cert_subjects");
	} else {
		values_write(j, c, h, "titles", BPH_EXPORT_TITLE);
		values_write(j, c, h, "servers", BPH_EXPORT_SERVER);
		values_write(j, c, h, "cert_subjects", BPH_EXPORT_SUBJECT);
	}
	bph_json_key(j, "n_artifacts");
	bph_json_int(j, (int64_t)l.n_arts);
}

/* Host h's object without annotations: ip, cluster id, community, labels. */
static void host_object(struct bph_json_out *j, const struct bph_clustering *c,
			const uint8_t *codes, size_t h)
{
	uint32_t id;

	bph_json_begin(j, '{');
	bph_json_key(j, "ip");
	bph_json_text(j, c->hosts[h]);
	bph_json_key(j, "cluster");
	bph_json_int(j, c->clusters[c->cluster_of[h]].id);
	if (bph_export_host_community(c, h, &id)) {
		bph_json_key(j, "community");
		bph_json_int(j, id);
	}
	host_labels_write(j, c, codes, h);
	bph_json_end(j, '}');
}

/* Host h (host) or cluster i with its annotations an (a few objects): its
 * object written as above into memory, read back with jansson, merged with
 * an (annot_members) and dumped, so the fields have one definition. */
static void annotated_item(struct bph_json_out *j,
			   const struct bph_clustering *c, const uint8_t *codes,
			   size_t i, bool host, const struct bph_annot *an)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	struct bph_json_out s = {.out = m, .depth = 0, .first = true, .bad = 0};
	json_t *o = NULL;

	if (m) {
		if (host)
			host_object(&s, c, codes, i);
		else
			cluster_object(&s, c, &c->clusters[i]);
		if (!fclose(m) && !s.bad)
			o = json_loadb(buf, len, 0, NULL);
	}
	free(buf);
	annot_members(o, an, &j->bad);
	bph_json_item(j, o);
}

/* An array of an export's items written by two threads
 * (bph_export_items): write() puts item i into j, an output of its own
 * that starts where the array's next element would. */
struct json_items {
	const struct bph_clustering *c;
	const struct bph_export_opts *opt;
	const uint8_t *codes; /* NULL: looked up per artifact */
	void (*write)(struct bph_json_out *j, const struct json_items *t,
		      size_t i);
	int depth;
	bool first; /* the array had nothing before */
};

static int json_item(void *ctx, FILE *f, size_t i)
{
	const struct json_items *t = ctx;
	struct bph_json_out s = {
	    .out = f, .depth = t->depth, .first = t->first && !i};

	t->write(&s, t, i);
	return s.bad;
}

/* n items of t->write as the next elements of j's open array. */
static void json_items_write(struct bph_json_out *j, struct json_items *t,
			     size_t n)
{
	t->depth = j->depth;
	t->first = j->first;
	if (bph_export_items(j->out, n, json_item, t))
		j->bad++;
	j->first = j->first && !n;
}

/* Cluster or host i of write_json: written directly, one with
 * annotations through annotated_item(). */
static void cluster_item(struct bph_json_out *j, const struct json_items *t,
			 size_t i)
{
	const struct bph_annot *an = bph_annot_cluster(t->opt->annot, i);

	if (!annot_empty(an)) {
		annotated_item(j, t->c, t->codes, i, false, an);
		return;
	}
	bph_json_next(j);
	cluster_object(j, t->c, &t->c->clusters[i]);
}

static void host_item(struct bph_json_out *j, const struct json_items *t,
		      size_t h)
{
	const struct bph_annot *an = bph_annot_host(t->opt->annot, h);

	if (!annot_empty(an)) {
		annotated_item(j, t->c, t->codes, h, true, an);
		return;
	}
	bph_json_next(j);
	host_object(j, t->c, t->codes, h);
}

static int write_json(const struct bph_clustering *c,
		      const struct bph_export_opts *opt, FILE *out, char *err,
		      size_t errlen)
{
	struct bph_json_out j;
	struct json_items t = {c, opt,	bph_export_label_codes(c), cluster_item,
			       0, false};

	bph_json_open(&j, out);
	bph_json_key(&j, "seed");
	bph_json_value(&j, opt->seed ? text(opt->seed) : json_null());
	bph_json_key(&j, "clusters");
	bph_json_begin(&j, '[');
	json_items_write(&j, &t, c->n_clusters);
	bph_json_end(&j, ']');
	bph_json_key(&j, "hosts");
	bph_json_begin(&j, '[');
	t.write = host_item;
	json_items_write(&j, &t, c->n_hosts);
	bph_json_end(&j, ']');
	free((uint8_t *)t.codes);
	if (opt->artifact_nodes)
		arts_json(&j, c);
	bph_json_close(&j);
	return finish(&j, err, errlen);
}

const struct bph_exporter bph_export_json = {
    .name = "json",
    .extension = "json",
    .summary = "bphound cluster JSON: clusters, links, evidence",
    .write = write_json,
};

/* ---- Cytoscape ---- */

static json_t *cy_node(const struct bph_clustering *c, const uint8_t *codes,
		       size_t h, const char *seed, const struct bph_annot *an,
		       int *bad)
{
	json_t *n = json_object(), *d = json_object();

	if (!n || !d) {
		json_decref(n);
		json_decref(d);
		(*bad)++;
		return NULL;
	}
	set(d, "id", text(c->hosts[h]), bad);
	set(d, "name", text(c->hosts[h]), bad);
	set(d, "value", text(c->hosts[h]), bad);
	set(d, "type", json_string("host"), bad);
	set(d, "cluster", json_integer(c->clusters[c->cluster_of[h]].id), bad);
	host_community(d, c, h, bad);
	set(d, "seed",
	    json_boolean(seed && bph_clustering_host(c, seed) == (long)h), bad);
	host_labels(d, c, codes, h, bad);
	for (size_t i = 0; an && i < an->n_attrs; i++)
		set(d, an->attrs[i].key, text(an->attrs[i].value), bad);
	set(n, "data", d, bad);
	return n;
}

/* An element {"data": d}, or NULL (counted in *bad) without memory. */
static json_t *element(json_t *d, int *bad)
{
	json_t *n = json_object();

	if (!n || !d) {
		json_decref(n);
		json_decref(d);
		(*bad)++;
		return NULL;
	}
	set(n, "data", d, bad);
	return n;
}

/* Artifact node a: id and value "art<a>" (networkx keys nodes by value). */
static json_t *cy_art_node(const struct bph_clustering *c, size_t a, int *bad)
{
	const struct bph_art_stat *s = &c->arts[a];
	json_t *d = json_object();
	char id[32], *label = bph_export_art_label(c, a, BPH_TEXT_UTF8);

	snprintf(id, sizeof(id), "art%zu", a);
	if (d) {
		set(d, "id", json_string(id), bad);
		set(d, "name", label ? json_string(label) : NULL, bad);
		set(d, "value", json_string(id), bad);
		set(d, "type", json_string("artifact"), bad);
		set(d, "kind", json_string(s->kind), bad);
		set(d, "artifact_value", text(s->value), bad);
		set(d, "hosts_sharing", json_integer(s->df), bad);
		set(d, "weight", json_real(s->weight), bad);
	}
	free(label);
	return element(d, bad);
}

/* Edge from host h to artifact node a. */
static json_t *cy_art_edge(const struct bph_clustering *c, size_t h, size_t a,
			   int *bad)
{
	json_t *d = json_object();
	char id[64], art[32];

	snprintf(id, sizeof(id), "h%zua%zu", h, a);
	snprintf(art, sizeof(art), "art%zu", a);
	if (d) {
		set(d, "id", json_string(id), bad);
		set(d, "source", text(c->hosts[h]), bad);
		set(d, "target", json_string(art), bad);
		set(d, "type", json_string("artifact"), bad);
		set(d, "rule", json_string("artifact"), bad);
		set(d, "kind", json_string(c->arts[a].kind), bad);
		set(d, "weight", json_real(c->arts[a].weight), bad);
	}
	return element(d, bad);
}

/* --artifact-nodes: artifact nodes (edges: cy_art_edges). */
static void cy_art_nodes(struct bph_json_out *j, const struct bph_clustering *c)
{
	for (size_t a = 0; !j->bad && a < c->n_arts; a++)
		if (bph_export_art_is_node(c, a))
			bph_json_item(j, cy_art_node(c, a, &j->bad));
}

/* --artifact-nodes: host-artifact edges. */
static void cy_art_edges(struct bph_json_out *j, const struct bph_clustering *c)
{
	for (size_t h = 0; !j->bad && h < c->n_hosts; h++) {
		size_t pos = 0;
		long a;
		while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0)
			if (bph_export_art_is_node(c, (size_t)a))
				bph_json_item(
				    j, cy_art_edge(c, h, (size_t)a, &j->bad));
	}
}

/* Host node h without annotations, as cy_node() and a dump give it. */
static void cy_node_write(struct bph_json_out *j,
			  const struct bph_clustering *c, const uint8_t *codes,
			  size_t h, const char *seed)
{
	uint32_t id;

	bph_json_next(j);
	bph_json_begin(j, '{');
	bph_json_key(j, "data");
	bph_json_begin(j, '{');
	text_member(j, "id", c->hosts[h]);
	text_member(j, "name", c->hosts[h]);
	text_member(j, "value", c->hosts[h]);
	text_member(j, "type", "host");
	bph_json_key(j, "cluster");
	bph_json_int(j, c->clusters[c->cluster_of[h]].id);
	if (bph_export_host_community(c, h, &id)) {
		bph_json_key(j, "community");
		bph_json_int(j, id);
	}
	bph_json_key(j, "seed");
	bph_json_bool(j, seed && bph_clustering_host(c, seed) == (long)h);
	host_labels_write(j, c, codes, h);
	bph_json_end(j, '}');
	bph_json_end(j, '}');
}

/* Link i as {"data": {...}}: id, ends, score, rule, bridge, evidence. */
static void cy_edge_write(struct bph_json_out *j,
			  const struct bph_clustering *c, size_t i)
{
	const struct bph_link *l = &c->links[i];
	char id[32], label[BPH_LINK_LABEL_MAX],
	    *ev = bph_export_evidence_text(c, l, BPH_TEXT_UTF8);

	if (!ev) {
		j->bad++;
		return;
	}
	snprintf(id, sizeof(id), "e%zu", i);
	bph_json_next(j);
	bph_json_begin(j, '{');
	bph_json_key(j, "data");
	bph_json_begin(j, '{');
	text_member(j, "id", id);
	text_member(j, "source", c->hosts[l->a]);
	text_member(j, "target", c->hosts[l->b]);
	text_member(j, "type", "link");
	bph_json_key(j, "weight");
	bph_json_real(j, l->score);
	text_member(j, "rule", bph_link_label(c, l, label));
	bph_json_key(j, "bridge");
	bph_json_bool(j, l->bridge);
	text_member(j, "evidence", ev);
	bph_json_end(j, '}');
	bph_json_end(j, '}');
	free(ev);
}

/* Host h's node (one with annotations through a jansson tree) and link
 * i's edge, as items of write_cytoscape's arrays. */
static void cy_node_item(struct bph_json_out *j, const struct json_items *t,
			 size_t h)
{
	const struct bph_annot *an = bph_annot_host(t->opt->annot, h);

	if (an && an->n_attrs)
		bph_json_item(
		    j, cy_node(t->c, t->codes, h, t->opt->seed, an, &j->bad));
	else
		cy_node_write(j, t->c, t->codes, h, t->opt->seed);
}

static void cy_edge_item(struct bph_json_out *j, const struct json_items *t,
			 size_t i)
{
	cy_edge_write(j, t->c, i);
}

/* Written a node, then an edge, at a time (bph_json_out), by two threads
 * (json_items_write). */
static int write_cytoscape(const struct bph_clustering *c,
			   const struct bph_export_opts *opt, FILE *out,
			   char *err, size_t errlen)
{
	const char *seed = opt->seed;
	struct bph_json_out j;
	json_t *data = json_object();
	struct json_items t = {c, opt,	bph_export_label_codes(c), cy_node_item,
			       0, false};

	bph_json_open(&j, out);
	if (data) {
		set(data, "name", json_string("bphound"), &j.bad);
		set(data, "seed", seed ? text(seed) : json_null(), &j.bad);
	}
	bph_json_key(&j, "data");
	bph_json_value(&j, data);
	bph_json_key(&j, "directed");
	bph_json_value(&j, json_false());
	bph_json_key(&j, "multigraph");
	bph_json_value(&j, json_false());
	bph_json_key(&j, "elements");
	bph_json_begin(&j, '{');
	bph_json_key(&j, "nodes");
	bph_json_begin(&j, '[');
	json_items_write(&j, &t, c->n_hosts);
	free((uint8_t *)t.codes);
	if (opt->artifact_nodes)
		cy_art_nodes(&j, c);
	bph_json_end(&j, ']');
	bph_json_key(&j, "edges");
	bph_json_begin(&j, '[');
	t.write = cy_edge_item;
	json_items_write(&j, &t, c->n_links);
	if (opt->artifact_nodes)
		cy_art_edges(&j, c);
	bph_json_end(&j, ']');
	bph_json_end(&j, '}');
	bph_json_close(&j);
	return finish(&j, err, errlen);
}

const struct bph_exporter bph_export_cytoscape = {
    .name = "cytoscape",
    .extension = "cyjs",
    .summary = "Cytoscape.js elements JSON (nodes and edges with data)",
    .write = write_cytoscape,
};
