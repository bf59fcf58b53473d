/*
 * export_html_data.c - the data of the HTML page (export_html.c): the
 * clusters it shows, each member with its evidence and the link that
 * brought it in, as one JSON document. Field by field in docs/output.md
 * ("HTML page"); why values are escaped the way they are: export.h.
 */
#include "cluster/export.h"
#include "cluster/annot.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

/* Members of at most this many hosts get explain.c's --explain text
 * each (it walks the cluster's links once per member); bigger clusters
 * show the chain of links the page rebuilds from "via". */
#define EXPLAIN_MAX 300

struct page {
	const struct bph_clustering *c;
	const struct bph_annotations *annot; /* may be NULL */
	uint32_t *art_ix; /* clustering art -> page art, UINT32_MAX: none */
	uint32_t *pos_of; /* host -> position in its cluster's member list */
	json_t *arts;
	int bad;
};

/* ---- escaping ---- */

/* Whether code point cp is shown as an escape: C0 and C1 controls, DEL,
 * and the invisible direction controls that can make text read
 * differently from what it holds (Unicode TR#9). */
static bool escaped_cp(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp < 0xa0) || cp == 0x200e ||
	       cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

char *bph_export_escape_text(const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	struct bph_sbuf b;
	char esc[16];

	bph_sbuf_init(&b);
	while (n > 0) {
		unsigned cp = 0;
		size_t len = bph_utf8_decode(p, n, &cp);
		if (!len)
			snprintf(esc, sizeof(esc), "\\x%02x", *p);
		else if (cp == '\\' || (escaped_cp(cp) && cp < 0x80))
			snprintf(esc, sizeof(esc), "\\x%02x", cp);
		else if (escaped_cp(cp))
			snprintf(esc, sizeof(esc), "\\u%04x", cp);
		else
			esc[0] = 0;
		if (esc[0])
			bph_sbuf_str(&b, esc);
		else
			bph_sbuf_put(&b, p, len);
		p += len ? len : 1;
		n -= len ? len : 1;
	}
	bph_sbuf_u8(&b, 0);
	if (b.err) {
		bph_sbuf_free(&b);
		return NULL;
	}
	return (char *)b.p;
}

/* ---- small JSON helpers (failures counted in p->bad) ---- */

static void set(struct page *p, json_t *o, const char *k, json_t *v)
{
	if (!o || !v || json_object_set_new(o, k, v))
		p->bad++;
}

static void append(struct page *p, json_t *a, json_t *v)
{
	if (!a || !v || json_array_append_new(a, v))
		p->bad++;
}

/* Untrusted text as a JSON string, escaped (bph_export_escape_text). */
static json_t *text(struct page *p, const char *s)
{
	char *e = bph_export_escape_text(s);
	json_t *j = e ? json_string(e) : NULL;

	free(e);
	if (!j)
		p->bad++;
	return j;
}

/* Text bphound wrote itself (reports: values in them are already
 * escaped by bph_print_text), made valid UTF-8 for JSON. */
static json_t *report_text(struct page *p, const char *s)
{
	char *e = bph_text_clean(s, BPH_TEXT_UTF8);
	json_t *j = e ? json_string(e) : NULL;

	free(e);
	if (!j)
		p->bad++;
	return j;
}

/* ---- artifacts ---- */

/* The page index of clustering artifact a, adding it on first use:
 * [kind, value, hosts sharing, weight, why weight 0 or null, family or
 * null, derived]. */
static uint32_t page_art(struct page *p, uint32_t a)
{
	const struct bph_art_stat *s = &p->c->arts[a];
	json_t *row;

	if (p->art_ix[a] != UINT32_MAX)
		return p->art_ix[a];
	row = json_array();
	append(p, row, json_string(s->kind));
	append(p, row, text(p, s->value));
	append(p, row, json_integer(s->df));
	append(p, row, json_real(s->weight));
	append(p, row, s->why_zero ? json_string(s->why_zero) : json_null());
	append(p, row,
	       s->info ? json_string(bph_family_name(s->info->family))
		       : json_null());
	append(p, row, json_boolean(s->derived));
	p->art_ix[a] = (uint32_t)json_array_size(p->arts);
	append(p, p->arts, row);
	return p->art_ix[a];
}

/* Host h's distinct ports and artifacts into o. */
static void host_evidence(struct page *p, json_t *o, uint32_t h)
{
	const struct bph_clustering *c = p->c;
	json_t *ports = json_array(), *arts = json_array();
	size_t pos = 0;
	long a;
	uint32_t seen[64];
	size_t n_seen = 0;

	for (size_t i = c->inc_off[h]; i < c->inc_off[h + 1]; i++) {
		uint16_t port = c->inc[i].port;
		size_t j = 0;
		while (j < n_seen && seen[j] != port)
			j++;
		if (j < n_seen || n_seen == 64)
			continue; /* a host shows at most 64 ports */
		seen[n_seen++] = port;
		append(p, ports, json_integer(port));
	}
	while ((a = bph_export_host_next(c, h, &pos, NULL)) >= 0)
		append(p, arts, json_integer(page_art(p, (uint32_t)a)));
	set(p, o, "ports", ports);
	set(p, o, "arts", arts);
}

/* Annotation an's attributes as [[key, value], ...], values escaped
 * (cluster/annot.h: routing, registration, list hits), or NULL. */
static json_t *annot_json(struct page *p, const struct bph_annot *an)
{
	json_t *a;

	if (!an || !an->n_attrs)
		return NULL;
	a = json_array();
	for (size_t i = 0; i < an->n_attrs; i++) {
		json_t *row = json_array();
		append(p, row, text(p, an->attrs[i].key));
		append(p, row, text(p, an->attrs[i].value));
		append(p, a, row);
	}
	return a;
}

/* A copy of JSON value v with every string and key escaped like any
 * value from the network; nesting deeper than 8 becomes null. */
static json_t *escaped_copy(struct page *p, json_t *v, int depth)
{
	json_t *out, *m;
	const char *k;
	size_t i;

	if (depth > 8)
		return json_null();
	if (json_is_string(v))
		return text(p, json_string_value(v));
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, m)
		    append(p, out, escaped_copy(p, m, depth + 1));
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach(v, k, m)
		{
			char *ek = bph_export_escape_text(k);
			if (ek)
				set(p, out, ek, escaped_copy(p, m, depth + 1));
			else
				p->bad++;
			free(ek);
		}
		return out;
	}
	return json_copy(v); /* numbers, booleans, null */
}

/* From a cluster annotation's JSON object, the members the page draws
 * "over time": "history" (one object per sweep run) and "events" (the
 * last diff's), escaped. */
static void cluster_history(struct page *p, json_t *o, const char *text_json)
{
	static const char *const keys[] = {"history", "events"};
	json_t *j = text_json ? json_loads(text_json, 0, NULL) : NULL;

	for (size_t i = 0; json_is_object(j) && i < 2; i++) {
		json_t *v = json_object_get(j, keys[i]);
		if (json_is_array(v))
			set(p, o, keys[i], escaped_copy(p, v, 0));
	}
	json_decref(j);
}

/* ---- one cluster ---- */

/* Breadth-first from root over k's links: prev[i] is the link index
 * that reached member i (UINT32_MAX for the root and the unreached). */
static int member_bfs(struct page *p, const struct bph_cluster *k,
		      uint32_t root, uint32_t *prev)
{
	size_t n = k->n_hosts, *off = calloc(n + 2, sizeof(*off));
	uint32_t *adj = malloc((2 * k->n_links + 1) * sizeof(*adj));
	uint32_t *queue = malloc((n + 1) * sizeof(*queue));
	size_t head = 0, tail = 0;

	if (!off || !adj || !queue) {
		free(off);
		free(adj);
		free(queue);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < k->n_links; i++) {
		const struct bph_link *l = &p->c->links[k->links[i]];
		off[p->pos_of[l->a] + 2]++;
		off[p->pos_of[l->b] + 2]++;
	}
	for (size_t i = 2; i < n + 2; i++)
		off[i] += off[i - 1];
	for (size_t i = 0; i < k->n_links; i++) {
		const struct bph_link *l = &p->c->links[k->links[i]];
		adj[off[p->pos_of[l->a] + 1]++] = k->links[i];
		adj[off[p->pos_of[l->b] + 1]++] = k->links[i];
	}
	for (size_t i = 0; i < n; i++)
		prev[i] = UINT32_MAX;
	queue[tail++] = root;
	while (head < tail) {
		uint32_t u = queue[head++];
		for (size_t e = off[u]; e < off[u + 1]; e++) {
			const struct bph_link *l = &p->c->links[adj[e]];
			uint32_t w =
			    p->pos_of[l->a == k->hosts[u] ? l->b : l->a];
			if (w == root || prev[w] != UINT32_MAX)
				continue;
			prev[w] = adj[e];
			queue[tail++] = w;
		}
	}
	free(off);
	free(adj);
	free(queue);
	return 0;
}

/* The link that brought member h in: {from, score, rule, class, bridge,
 * evidence: [[art, class, port on h, port on from], ...]}. */
static json_t *via_json(struct page *p, const struct bph_link *l, uint32_t h)
{
	json_t *o = json_object(), *ev = json_array();
	bool h_is_a = l->a == h;
	char label[BPH_LINK_LABEL_MAX];

	set(p, o, "from", json_integer(p->pos_of[h_is_a ? l->b : l->a]));
	set(p, o, "score", json_real(l->score));
	set(p, o, "rule", json_string(bph_link_label(p->c, l, label)));
	set(p, o, "class", json_integer(l->rule));
	set(p, o, "bridge", json_boolean(l->bridge));
	for (size_t i = 0; i < l->n_ev; i++) {
		const struct bph_evidence *e = &l->ev[i];
		json_t *row = json_array();
		append(p, row, json_integer(page_art(p, e->art)));
		append(p, row, json_integer(e->rule));
		append(p, row, json_integer(h_is_a ? e->port_a : e->port_b));
		append(p, row, json_integer(h_is_a ? e->port_b : e->port_a));
		append(p, ev, row);
	}
	set(p, o, "evidence", ev);
	return o;
}

/* What one text printer of explain.c writes, as a new string. */
static char *explain_text(const struct bph_clustering *c, const char *root,
			  const char *host)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	if (host)
		bph_clustering_explain(c, root, host, f);
	else
		bph_clustering_print(c, root, f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static json_t *member_json(struct page *p, const struct bph_cluster *k,
			   size_t i, uint32_t root, const uint32_t *prev)
{
	const struct bph_clustering *c = p->c;
	uint32_t h = k->hosts[i], comm;
	json_t *o = json_object();

	set(p, o, "ip", text(p, c->hosts[h]));
	host_evidence(p, o, h);
	if (bph_export_host_community(c, h, &comm))
		set(p, o, "community", json_integer(comm));
	json_t *an = annot_json(p, bph_annot_host(p->annot, h));
	if (an)
		set(p, o, "annot", an);
	if (prev[i] != UINT32_MAX)
		set(p, o, "via", via_json(p, &c->links[prev[i]], h));
	if (k->n_hosts <= EXPLAIN_MAX && i != root) {
		char *t =
		    explain_text(c, c->hosts[k->hosts[root]], c->hosts[h]);
		set(p, o, "explain", t ? report_text(p, t) : NULL);
		free(t);
	}
	return o;
}

/* Host-artifact edges of k: every evidence artifact of every link, joined
 * to both hosts of the link, with the strongest rule class that used it
 * between them: [[member, art, class], ...] sorted by member, art. */
struct edge {
	uint32_t m, art;
	int cls;
};

static int cmp_edge(const void *x, const void *y)
{
	const struct edge *a = x, *b = y;

	if (a->m != b->m)
		return a->m < b->m ? -1 : 1;
	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	return (a->cls > b->cls) - (a->cls < b->cls);
}

static json_t *edges_json(struct page *p, const struct bph_cluster *k)
{
	size_t n = 0, cap = 0;
	struct edge *v = NULL;
	json_t *out = json_array();

	for (size_t i = 0; i < k->n_links; i++)
		cap += 2 * p->c->links[k->links[i]].n_ev;
	v = malloc((cap + 1) * sizeof(*v));
	for (size_t i = 0; v && i < k->n_links; i++) {
		const struct bph_link *l = &p->c->links[k->links[i]];
		for (size_t e = 0; e < l->n_ev; e++) {
			uint32_t art = page_art(p, l->ev[e].art);
			int cls = (int)l->ev[e].rule;
			v[n++] = (struct edge){p->pos_of[l->a], art, cls};
			v[n++] = (struct edge){p->pos_of[l->b], art, cls};
		}
	}
	if (v)
		qsort(v, n, sizeof(*v), cmp_edge);
	for (size_t i = 0; v && i < n; i++) {
		json_t *row;
		if (i && v[i].m == v[i - 1].m && v[i].art == v[i - 1].art)
			continue; /* sorted: the strongest class came first */
		row = json_array();
		append(p, row, json_integer(v[i].m));
		append(p, row, json_integer(v[i].art));
		append(p, row, json_integer(v[i].cls));
		append(p, out, row);
	}
	if (!v)
		p->bad++;
	free(v);
	return out;
}

/* Cluster k with member root (a position in k->hosts) as the start of
 * every "via" chain; report: with the text report of the seed. */
static json_t *cluster_json(struct page *p, const struct bph_cluster *k,
			    uint32_t root, bool report)
{
	json_t *o = json_object(), *hosts = json_array();
	uint32_t *prev = malloc((k->n_hosts + 1) * sizeof(*prev));

	for (size_t i = 0; i < k->n_hosts; i++)
		p->pos_of[k->hosts[i]] = (uint32_t)i;
	if (!prev || member_bfs(p, k, root, prev)) {
		free(prev);
		p->bad++;
		json_decref(hosts);
		return o;
	}
	for (size_t i = 0; i < k->n_hosts; i++)
		append(p, hosts, member_json(p, k, i, root, prev));
	set(p, o, "id", json_integer(k->id));
	set(p, o, "weak_bridge", json_boolean(k->weak_bridge));
	set(p, o, "n_links", json_integer((json_int_t)k->n_links));
	set(p, o, "root", json_integer(root));
	set(p, o, "hosts", hosts);
	set(p, o, "edges", edges_json(p, k));
	const struct bph_annot *ka =
	    bph_annot_cluster(p->annot, (size_t)(k - p->c->clusters));
	json_t *an = annot_json(p, ka);
	if (an)
		set(p, o, "annot", an);
	if (ka && ka->remark)
		set(p, o, "remark", text(p, ka->remark));
	if (ka)
		cluster_history(p, o, ka->json);
	if (report && k->n_hosts <= EXPLAIN_MAX) {
		char *t = explain_text(p->c, p->c->hosts[k->hosts[root]], NULL);
		set(p, o, "report", t ? report_text(p, t) : NULL);
		free(t);
	}
	free(prev);
	return o;
}

/* ---- the document ---- */

/* The rule names; a rule class in the data is an index into them. */
static json_t *rules_json(struct page *p)
{
	json_t *a = json_array();

	for (int i = 0; i < BPH_RULE_COUNT; i++)
		append(p, a, json_string(bph_rule_name((enum bph_rule)i)));
	return a;
}

static int cmp_u32(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return (a > b) - (a < b);
}

/* The position of the member of k with the most links (the first of
 * them): where the chains start when there is no seed. */
static uint32_t hub(const struct bph_clustering *c, const struct bph_cluster *k)
{
	uint32_t *deg = calloc(k->n_hosts + 1, sizeof(*deg)), best = 0;

	for (size_t i = 0; deg && i < k->n_links; i++) {
		const struct bph_link *l = &c->links[k->links[i]];
		uint32_t *pa = bsearch(&l->a, k->hosts, k->n_hosts,
				       sizeof(uint32_t), cmp_u32);
		uint32_t *pb = bsearch(&l->b, k->hosts, k->n_hosts,
				       sizeof(uint32_t), cmp_u32);
		if (pa && pb) {
			deg[pa - k->hosts]++;
			deg[pb - k->hosts]++;
		}
	}
	for (size_t i = 1; deg && i < k->n_hosts; i++)
		if (deg[i] > deg[best])
			best = (uint32_t)i;
	free(deg);
	return best;
}

/* The seed's cluster, or (no seed, or a seed that did not answer) every
 * cluster of two hosts or more, largest first. */
static void clusters_json(struct page *p, const char *seed, json_t *out)
{
	const struct bph_clustering *c = p->c;
	long s = seed ? bph_clustering_host(c, seed) : -1;

	if (s >= 0) {
		const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
		uint32_t root = 0;
		while (k->hosts[root] != (uint32_t)s)
			root++;
		append(p, out, cluster_json(p, k, root, true));
		return;
	}
	for (size_t i = 0; i < c->n_clusters; i++)
		if (c->clusters[i].n_hosts > 1)
			append(p, out,
			       cluster_json(p, &c->clusters[i],
					    hub(c, &c->clusters[i]), false));
}

json_t *bph_export_html_data(const struct bph_clustering *c,
			     const struct bph_export_opts *o)
{
	struct page p = {.c = c, .annot = o->annot, .arts = json_array()};
	json_t *root = json_object(), *clusters = json_array();
	size_t singles = 0;

	p.art_ix = malloc((c->n_arts + 1) * sizeof(*p.art_ix));
	p.pos_of = calloc(c->n_hosts + 1, sizeof(*p.pos_of));
	if (p.art_ix)
		memset(p.art_ix, 0xff, (c->n_arts + 1) * sizeof(*p.art_ix));
	if (!p.art_ix || !p.pos_of)
		p.bad++;
	else
		clusters_json(&p, o->seed, clusters);
	for (size_t i = 0; i < c->n_clusters; i++)
		singles += c->clusters[i].n_hosts == 1;
	set(&p, root, "seed", o->seed ? text(&p, o->seed) : json_null());
	set(&p, root, "seed_found",
	    json_boolean(o->seed && bph_clustering_host(c, o->seed) >= 0));
	set(&p, root, "n_hosts", json_integer((json_int_t)c->n_hosts));
	set(&p, root, "n_clusters", json_integer((json_int_t)c->n_clusters));
	set(&p, root, "n_singletons", json_integer((json_int_t)singles));
	set(&p, root, "threshold", json_real(c->threshold));
	set(&p, root, "communities", json_boolean(c->community_of != NULL));
	set(&p, root, "rules", rules_json(&p));
	set(&p, root, "arts", p.arts);
	set(&p, root, "clusters", clusters);
	free(p.art_ix);
	free(p.pos_of);
	if (p.bad) {
		json_decref(root);
		return NULL;
	}
	return root;
}
