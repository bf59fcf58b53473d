/*
 * Exports of a clustering full of hostile strings: each format is parsed
 * back (jansson, libxml2) and checked here; when BPH_EXPORT_DIR is set the
 * files are also left there for tests/integration/check_exports.sh, which
 * checks them with independent parsers (networkx, graphviz, jsonschema,
 * xmllint against the GEXF XSD).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xmlwriter.h>
#include <libxml/xpathInternals.h>

#include "cluster/export.h"
#include "fingerprints/err.h"

static const char evil[] = "<script>alert(\"x\")</script>&amp;'\x01\x1b]0;"
			   "\xff\xfe\xc3\x28\n\"]; a -- b [x=\"\\";
static const char formula[] = "=cmd|' /C calc'!A0";
/* a singleton's title and server: what a person reads on its node */
static const char evil_title[] =
    "\x1b[31m<b>\"t\"</b> &lt;\xed\xa0\x80\x7f\x01 ]";
static const char evil_server[] = "nginx\r\nX-Evil: \"1\"\xc0\xaf";
/* the linked pair's certificate subject: markup, quotes, a backslash,
 * controls, invalid UTF-8 */
static const char evil_subject[] =
    "CN=<script>alert(\"s\")</script>\\,O=\x01\x1b[31m\xff\"q\" &amp; "
    "'a'\tb\nc";
#define ART_NODES 9 /* 5 shared, 2 titles, 1 server, 1 subject on one host */
#define ART_EDGES 14

static struct bph_clustering *hostile(void)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char ip[32];
	for (int i = 0; i < 10; i++) { /* unrelated background */
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		bph_graph_add(g, ip, "ssh_hostkey", ip, 22, 1);
	}
	/* strong link with a hostile key string */
	bph_graph_add(g, "192.0.2.10", "ssh_hostkey", evil, 22, 1795000000);
	bph_graph_add(g, "192.0.2.11", "ssh_hostkey", evil, 22, 1795000100);
	bph_graph_add(
	    g, "192.0.2.10", "cert_sha256",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaa",
	    443, 1795000000);
	bph_graph_add(
	    g, "192.0.2.11", "cert_sha256",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaa",
	    443, 1795000000);
	/* score link (two medium families) with hostile title: a bridge */
	bph_graph_add(g, "192.0.2.11", "title", evil, 80, 1795000000);
	bph_graph_add(g, "192.0.2.12", "title", evil, 80, 1795000000);
	bph_graph_add(g, "192.0.2.11", "favicon", formula, 80, 1795000000);
	bph_graph_add(g, "192.0.2.12", "favicon", formula, 80, 1795000000);
	/* the certificate's subject: shown on both, never linking */
	bph_graph_add(g, "192.0.2.10", "cert_subject", evil_subject, 443,
		      1795000000);
	bph_graph_add(g, "192.0.2.11", "cert_subject", evil_subject, 443,
		      1795000000);
	bph_graph_add_host(g, "192.0.2.99"); /* answered, no artifacts */
	bph_graph_add(g, "192.0.2.50", "title", evil_title, 80, 1795000000);
	bph_graph_add(g, "192.0.2.50", "server", evil_server, 80, 1795000000);
	bph_graph_add(g, "192.0.2.50", "server", evil_server, 8080, 1795000000);
	char longt[3001];
	for (int i = 0; i < 3000; i += 2)
		memcpy(longt + i, "\xc3\xa9", 2); /* 1500 x e-acute */
	longt[3000] = '\0';
	bph_graph_add(g, "192.0.2.51", "title", longt, 80, 1795000000);
	bph_graph_add(g, "192.0.2.51", "cert_subject", "CN=one.example", 443,
		      1795000000);
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	return c;
}

/* Renders fmt; with BPH_EXPORT_DIR set, also writes it to
 * BPH_EXPORT_DIR/<sub>export.<fmt> (sub "" or ending in '/'). */
static char *render_sub(const struct bph_clustering *c, const char *fmt,
			bool art, const char *sub, size_t *len)
{
	struct bph_export_opts eo = {.seed = "192.0.2.10",
				     .artifact_nodes = art};
	char *buf = NULL, err[128] = "";
	FILE *f = open_memstream(&buf, len);
	assert_int_equal(
	    bph_export_write_opts(c, fmt, &eo, f, err, sizeof(err)), 0);
	fclose(f);
	const char *dir = getenv("BPH_EXPORT_DIR");
	if (dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%sexport.%s", dir, sub, fmt);
		FILE *o = fopen(path, "w");
		assert_non_null(o);
		fwrite(buf, 1, *len, o);
		fclose(o);
	}
	return buf;
}

/* Exports with artifact nodes go to BPH_EXPORT_DIR/art/. */
static char *render_opts(const struct bph_clustering *c, const char *fmt,
			 bool art, size_t *len)
{
	return render_sub(c, fmt, art, art ? "art/" : "", len);
}

static char *render(const struct bph_clustering *c, const char *fmt,
		    size_t *len)
{
	return render_opts(c, fmt, false, len);
}

static void test_registry(void **state)
{
	(void)state;
	size_t n = 0;
	for (size_t i = 0; bph_exporters[i]; i++, n++) {
		const struct bph_exporter *e = bph_exporters[i];
		assert_non_null(e->name);
		assert_non_null(e->extension);
		assert_non_null(e->summary);
		assert_non_null(e->write);
		assert_ptr_equal(bph_exporter_find(e->name), e); /* unique */
		assert_true(bph_export_known(e->name));
	}
	assert_int_equal(n, 9);
	assert_false(bph_export_known("pdf"));
	char err[64] = "";
	assert_int_equal(
	    bph_export_write(NULL, "pdf", NULL, stdout, err, sizeof(err)),
	    BPH_ERR_USAGE);
	assert_true(err[0] != '\0');
}

static void test_json_contract(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t len;
	char *buf = render(c, "json", &len);
	json_error_t je;
	json_t *j = json_loadb(buf, len, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "seed")),
			    "192.0.2.10");
	json_t *clusters = json_object_get(j, "clusters"), *k;
	size_t i, hosts = 0;
	int evil_seen = 0;
	json_array_foreach(clusters, i, k)
	{
		assert_true(json_is_integer(json_object_get(k, "id")));
		hosts += json_array_size(json_object_get(k, "hosts"));
		json_t *l, *e;
		size_t x, y;
		json_array_foreach(json_object_get(k, "links"), x, l)
		{
			assert_non_null(json_object_get(l, "a"));
			assert_true(json_is_real(json_object_get(l, "score")));
			json_array_foreach(json_object_get(l, "evidence"), y, e)
			{
				assert_non_null(json_object_get(e, "rule"));
				assert_true(json_is_integer(
				    json_object_get(e, "hosts_sharing")));
				assert_true(
				    json_is_real(json_object_get(e, "weight")));
				const char *v = json_string_value(
				    json_object_get(e, "value"));
				evil_seen += !strncmp(v, "<script>", 8);
			}
		}
	}
	assert_int_equal(hosts, c->n_hosts); /* every host exactly once */
	assert_int_equal(hosts, 16);
	assert_int_equal(evil_seen, 2);
	json_decref(j);
	free(buf);
	bph_clustering_free(c);
}

static void test_xml_well_formed(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	const char *fmts[] = {"graphml", "gexf"};
	for (int f = 0; f < 2; f++) {
		size_t len;
		char *buf = render(c, fmts[f], &len);
		xmlDocPtr doc =
		    xmlReadMemory(buf, (int)len, "x.xml", "UTF-8",
				  XML_PARSE_NONET | XML_PARSE_NOERROR);
		assert_non_null(doc);
		assert_non_null(strstr(buf, "&lt;script&gt;"));
		assert_null(strstr(buf, "\x01"));
		xmlFreeDoc(doc);
		free(buf);
	}
	bph_clustering_free(c);
}

static void test_text_formats(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t len;
	char *dot = render(c, "dot", &len);
	assert_memory_equal(dot, "graph bphound {", 15);
	assert_null(strstr(dot, "\n\"]; a -- b")); /* quote escaped */
	assert_non_null(strstr(dot, "\\\"]; a -- b [x=\\\"\\\\"));
	free(dot);
	char *csv = render(c, "csv", &len);
	assert_non_null(strstr(csv, "favicon =cmd|' /C calc'!A0"));
	assert_null(strstr(csv, "\"="));      /* no field starts a formula */
	assert_null(strstr(csv, "\n\"]; a")); /* line breaks removed */
	assert_non_null(strstr(csv, "\"192.0.2.99\",\"\""));
	size_t rows = 0;
	for (char *p = csv; (p = strstr(p, "\r\n")); p += 2)
		rows++;
	assert_int_equal(rows, 1 + c->n_links + (c->n_clusters - 1));
	free(csv);
	char *cy = render(c, "cytoscape", &len);
	json_t *j = json_loadb(cy, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(
			     json_object_get(j, "elements"), "nodes")),
			 c->n_hosts);
	json_decref(j);
	free(cy);
	bph_clustering_free(c);
}

static void test_stix_ids(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t len, i;
	char *buf = render(c, "stix", &len);
	json_t *j = json_loadb(buf, len, 0, NULL), *o;
	int ip = 0, infra = 0, cert = 0, rel = 0;
	assert_non_null(j);
	json_array_foreach(json_object_get(j, "objects"), i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o, "id"));
		assert_int_equal(id[strlen(t) + 2 + 14], '5'); /* UUIDv5 */
		if (!strcmp(t, "ipv4-addr")) {
			ip++;
			const char *v =
			    json_string_value(json_object_get(o, "value"));
			/* clustering.md 6.5 test vector */
			if (!strcmp(v, "192.0.2.10"))
				assert_string_equal(
				    id, "ipv4-addr--a2fbe2c6-009e-52e0-"
					"b452-90b71e3109c2");
		}
		infra += !strcmp(t, "infrastructure");
		cert += !strcmp(t, "x509-certificate");
		rel += !strcmp(t, "relationship");
	}
	assert_int_equal(infra, 1); /* the one multi-host cluster */
	assert_int_equal(ip, 3);
	assert_int_equal(cert, 1);
	assert_int_equal(rel, 3 + 1 + 2); /* consists-of x4, related-to x2 */
	/* deterministic: the same clustering gives the same bundle */
	size_t len2;
	char *again = render(c, "stix", &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(buf, again, len);
	free(again);
	json_decref(j);
	free(buf);
	bph_clustering_free(c);
}

/* The stix export written into path (opened with flags), read back. */
static char *stix_to_file(const struct bph_clustering *c, const char *path,
			  int flags, size_t *len)
{
	int fd = open(path, flags, 0600);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, flags & O_APPEND ? "a" : "w");
	struct bph_export_opts eo = {.seed = "192.0.2.10"};
	char err[128] = "";
	assert_int_equal(
	    bph_export_write_opts(c, "stix", &eo, f, err, sizeof(err)), 0);
	assert_int_equal(fclose(f), 0);
	FILE *r = fopen(path, "r");
	char *buf = NULL;
	FILE *m = open_memstream(&buf, len);
	int ch;
	while ((ch = getc(r)) != EOF)
		putc(ch, m);
	fclose(r);
	fclose(m);
	unlink(path);
	return buf;
}

/* Into a regular file the bundle is written in one pass and its id put
 * over a placeholder at the end; into a stream (and a file opened for
 * appending) in two passes, the first of which computes the id. Every
 * way gives the same bytes. */
static void test_stix_one_pass(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	char path[] = "/tmp/test_stix.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	size_t n_mem, n_file, n_app;
	char *mem = render(c, "stix", &n_mem);
	char *file =
	    stix_to_file(c, path, O_WRONLY | O_CREAT | O_TRUNC, &n_file);
	char *app =
	    stix_to_file(c, path, O_WRONLY | O_CREAT | O_APPEND, &n_app);
	assert_int_equal(n_mem, n_file);
	assert_memory_equal(mem, file, n_mem);
	assert_int_equal(n_mem, n_app);
	assert_memory_equal(mem, app, n_mem);
	assert_null(strstr(file, "00000000-0000-0000-0000-000000000000"));

	json_t *j = json_loadb(mem, n_mem, 0, NULL);
	assert_non_null(j);
	assert_int_equal(
	    strncmp(json_string_value(json_object_get(j, "id")), "bundle--", 8),
	    0);
	json_decref(j);
	free(mem);
	free(file);
	free(app);
	bph_clustering_free(c);
}

/* string(expr) over an XML export; prefix g: is the document's namespace. */
static char *xpath_str(const char *buf, size_t len, const char *ns,
		       const char *expr)
{
	xmlDocPtr doc = xmlReadMemory(buf, (int)len, "x.xml", "UTF-8",
				      XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(doc);
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"g", (const xmlChar *)ns);
	xmlXPathObjectPtr r =
	    xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(r);
	xmlChar *v = xmlXPathCastToString(r);
	char *out = strdup((const char *)v);
	xmlFree(v);
	xmlXPathFreeObject(r);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

#define GRAPHML_NS "http://graphml.graphdrawing.org/xmlns"
#define GEXF_NS	   "http://www.gexf.net/1.2draft"

/* A cleaned label: no control characters but TAB/LF/CR, valid UTF-8. */
static void assert_clean_label(const char *v)
{
	assert_true(bph_text_is_clean(v, BPH_TEXT_XML));
	assert_null(strchr(v, '\x1b'));
	assert_null(strchr(v, '\x01'));
}

static void test_host_labels_xml(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	char *want = bph_text_clean(evil_title, BPH_TEXT_XML);
	size_t len;
	char *gml = render(c, "graphml", &len);
	char *t = xpath_str(gml, len, GRAPHML_NS,
			    "string(//g:node[@id='192.0.2.50']"
			    "/g:data[@key='titles'])");
	assert_string_equal(t, want); /* markup kept as text, controls gone */
	assert_non_null(strstr(t, "<b>\"t\"</b> &lt;"));
	assert_clean_label(t);
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "string(//g:node[@id='192.0.2.50']"
		      "/g:data[@key='servers'])");
	assert_clean_label(t);
	assert_memory_equal(t, "nginx\r\nX-Evil: \"1\"", 18);
	assert_null(strstr(t, " | ")); /* two ports, one server value */
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "string(//g:node[@id='192.0.2.50']"
		      "/g:data[@key='n_artifacts'])");
	assert_string_equal(t, "2");
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "string(//g:node[@id='192.0.2.51']"
		      "/g:data[@key='titles'])");
	assert_true(strlen(t) <= BPH_EXPORT_LABEL_MAX); /* cut, whole chars */
	assert_string_equal(t + strlen(t) - 5, "\xc3\xa9...");
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS, "count(//g:node)");
	assert_int_equal(atoi(t), c->n_hosts); /* default: hosts only */
	free(t);
	free(gml);
	char *gexf = render(c, "gexf", &len);
	t = xpath_str(gexf, len, GEXF_NS,
		      "string(//g:node[@id='192.0.2.50']"
		      "//g:attvalue[@for='3']/@value)");
	/* attribute values normalise CR LF TAB to spaces: compare
	 * from the markup on */
	assert_non_null(strstr(t, "<b>\"t\"</b> &lt;"));
	assert_clean_label(t);
	free(t);
	free(gexf);
	free(want);
	bph_clustering_free(c);
}

/* The data object of the Cytoscape node with id, or NULL. */
static json_t *cy_find(json_t *j, const char *what, const char *id)
{
	json_t *e;
	size_t i;
	json_array_foreach(
	    json_object_get(json_object_get(j, "elements"), what), i, e)
	{
		json_t *d = json_object_get(e, "data");
		if (!strcmp(json_string_value(json_object_get(d, "id")), id))
			return d;
	}
	return NULL;
}

/* Host ip's object in the "hosts" of the cluster JSON j. */
static json_t *json_host(json_t *j, const char *ip)
{
	json_t *h;
	size_t i;
	json_array_foreach(json_object_get(j, "hosts"), i, h)
	{
		if (!strcmp(json_string_value(json_object_get(h, "ip")), ip))
			return h;
	}
	return NULL;
}

/* Whether arr holds the values of host h's artifacts of kind, in the
 * order bph_export_host_next() walks them (plain values: no cleaning). */
static bool same_walk(const struct bph_clustering *c, json_t *arr, size_t h,
		      const char *kind)
{
	size_t pos = 0, n = 0;
	long a;

	while ((a = bph_export_host_next(c, h, &pos, kind)) >= 0)
		if (strcmp(json_string_value(json_array_get(arr, n++)),
			   c->arts[a].value))
			return false;
	return n == json_array_size(arr);
}

/* The cluster JSON and the Cytoscape node write a host's labels from one
 * pass over its incidences (more than the buffer holds: walked by kind):
 * both as the walk by kind gives them. */
static void test_many_labels(void **state)
{
	(void)state;
	static const char *const ips[] = {"192.0.2.1", "192.0.2.2"};
	static const int n_titles[] = {3, 70};
	static const char *const keys[] = {"titles", "servers", "cert_subjects",
					   "n_artifacts"};
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char v[32];
	size_t len, cylen;

	for (int h = 0; h < 2; h++) {
		for (int i = 0; i < n_titles[h]; i++) {
			snprintf(v, sizeof(v), "title %d", i);
			bph_graph_add(g, ips[h], "title", v, 80, 1);
			bph_graph_add(g, ips[h], "title", v, 8080, 1);
			snprintf(v, sizeof(v), "CN=%d", i);
			bph_graph_add(g, ips[h], "cert_subject", v, 443, 1);
		}
		bph_graph_add(g, ips[h], "server", "nginx", 80, 1);
		bph_graph_add(g, ips[h], "jarm", "j", 443, 1);
	}
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	char *js = render(c, "json", &len),
	     *cy = render(c, "cytoscape", &cylen);
	json_t *j = json_loadb(js, len, 0, NULL),
	       *y = json_loadb(cy, cylen, 0, NULL);
	assert_non_null(j);
	assert_non_null(y);
	for (int h = 0; h < 2; h++) {
		json_t *a = json_host(j, ips[h]),
		       *b = cy_find(y, "nodes", ips[h]);
		assert_non_null(a);
		assert_non_null(b);
		long hx = bph_clustering_host(c, ips[h]);
		assert_true(hx >= 0);
		for (size_t k = 0; k < 4; k++)
			assert_true(json_equal(json_object_get(a, keys[k]),
					       json_object_get(b, keys[k])));
		assert_true(same_walk(c, json_object_get(a, "titles"),
				      (size_t)hx, "title"));
		assert_true(same_walk(c, json_object_get(a, "servers"),
				      (size_t)hx, "server"));
		assert_true(same_walk(c, json_object_get(a, "cert_subjects"),
				      (size_t)hx, "cert_subject"));
		assert_int_equal(json_array_size(json_object_get(a, "titles")),
				 n_titles[h]);
		assert_int_equal(
		    json_integer_value(json_object_get(a, "n_artifacts")),
		    2 * n_titles[h] + 2);
	}
	json_decref(j);
	json_decref(y);
	free(js);
	free(cy);
	bph_clustering_free(c);
}

static void test_host_labels_text(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	char *want = bph_text_clean(evil_title, BPH_TEXT_UTF8);
	size_t len;
	char *cy = render(c, "cytoscape", &len);
	json_t *j = json_loadb(cy, len, 0, NULL), *d;
	assert_non_null(j);
	d = cy_find(j, "nodes", "192.0.2.50");
	assert_non_null(d);
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(d, "titles"), 0)),
	    want);
	assert_int_equal(json_integer_value(json_object_get(d, "n_artifacts")),
			 2);
	json_decref(j);
	free(cy);
	char *js = render(c, "json", &len);
	j = json_loadb(js, len, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "hosts")),
			 c->n_hosts);
	assert_null(json_object_get(j, "artifacts")); /* default */
	json_decref(j);
	free(js);
	char *dot = render(c, "dot", &len);
	/* quotes escaped, no raw ESC or line break inside the string */
	assert_non_null(
	    strstr(dot, "titles=\"\xef\xbf\xbd[31m<b>\\\"t\\\"</b>"));
	assert_non_null(strstr(dot, "servers=\"nginx  X-Evil: \\\"1\\\""));
	assert_null(strchr(dot, '\x1b'));
	free(dot);
	char *csv = render(c, "csv", &len);
	assert_non_null(strstr(csv, "\"\xef\xbf\xbd[31m<b>\"\"t\"\"</b>"));
	assert_non_null(strstr(csv, "\"nginx  X-Evil: \"\"1\"\""));
	assert_null(strchr(csv, '\x1b'));
	free(csv);
	free(want);
	bph_clustering_free(c);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_artifact_nodes(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t len, nodes = 0;
	for (size_t a = 0; a < c->n_arts; a++)
		nodes += bph_export_art_is_node(c, a);
	assert_int_equal(nodes, ART_NODES);
	char *gml = render_opts(c, "graphml", true, &len);
	char *t = xpath_str(gml, len, GRAPHML_NS, "count(//g:node)");
	assert_int_equal(atoi(t), c->n_hosts + ART_NODES);
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "count(//g:edge[g:data[@key='rule']='artifact'])");
	assert_int_equal(atoi(t), ART_EDGES);
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "string(//g:node[g:data[@key='kind']='server']"
		      "/g:data[@key='artifact_value'])");
	assert_clean_label(t);
	assert_memory_equal(t, "nginx\r\nX-Evil", 13);
	free(t);
	free(gml);
	char *gexf = render_opts(c, "gexf", true, &len);
	t = xpath_str(gexf, len, GEXF_NS, "count(//g:node)");
	assert_int_equal(atoi(t), c->n_hosts + ART_NODES);
	free(t);
	t = xpath_str(gexf, len, GEXF_NS, "count(//g:edge)");
	assert_int_equal(atoi(t), c->n_links + ART_EDGES);
	free(t);
	free(gexf);
	char *cy = render_opts(c, "cytoscape", true, &len);
	json_t *j = json_loadb(cy, len, 0, NULL);
	json_t *el = json_object_get(j, "elements");
	assert_int_equal(json_array_size(json_object_get(el, "nodes")),
			 c->n_hosts + ART_NODES);
	assert_int_equal(json_array_size(json_object_get(el, "edges")),
			 c->n_links + ART_EDGES);
	json_decref(j);
	free(cy);
	char *js = render_opts(c, "json", true, &len);
	j = json_loadb(js, len, 0, NULL);
	json_t *arts = json_object_get(j, "artifacts"), *a;
	size_t i, holders = 0;
	assert_int_equal(json_array_size(arts), ART_NODES);
	json_array_foreach(arts, i, a)
	{
		holders += json_array_size(json_object_get(a, "hosts"));
		assert_int_equal(
		    json_integer_value(json_object_get(a, "hosts_sharing")),
		    json_array_size(json_object_get(a, "hosts")));
	}
	assert_int_equal(holders, ART_EDGES);
	json_decref(j);
	free(js);
	char *dot = render_opts(c, "dot", true, &len);
	assert_int_equal(count(dot, "[type=artifact, shape=box"), ART_NODES);
	assert_int_equal(count(dot, "[type=artifact, style=dotted"), ART_EDGES);
	free(dot);
	char *csv = render_opts(c, "csv", true, &len);
	assert_int_equal(count(csv, ",\"artifact\","), ART_EDGES);
	assert_non_null(strstr(csv, ",artifact_kind,artifact_value,"
				    "hosts_sharing\r\n"));
	free(csv);
	bph_clustering_free(c);
}

/* The DOT quoted string bphound writes for the XML-clean s. */
static char *dot_quoted(const char *s)
{
	char *out = malloc(2 * strlen(s) + 3), *o = out;
	*o++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			*o++ = '\\';
		*o++ = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;
	}
	strcpy(o, "\"");
	return out;
}

/* The CSV field bphound writes for the XML-clean s. */
static char *csv_quoted(const char *s)
{
	char *out = malloc(2 * strlen(s) + 4), *o = out;
	*o++ = '"';
	if (*s && strchr("=+-@", *s))
		*o++ = '\'';
	for (; *s; s++) {
		if (*s == '"')
			*o++ = '"';
		*o++ = *s == '\n' || *s == '\r' ? ' ' : *s;
	}
	strcpy(o, "\"");
	return out;
}

/* The object of JSON array arr whose key is value, or NULL. */
static json_t *find_by(json_t *arr, const char *key, const char *value)
{
	json_t *o;
	size_t i;
	json_array_foreach(arr, i, o)
	{
		const char *v = json_string_value(json_object_get(o, key));
		if (v && !strcmp(v, value))
			return o;
	}
	return NULL;
}

/* The subject artifacts: weight 0, never evidence on a link. */
static void assert_subjects_never_link(const struct bph_clustering *c)
{
	size_t n = 0;

	assert_null(bph_kind_lookup(BPH_EXPORT_SUBJECT));
	for (size_t a = 0; a < c->n_arts; a++) {
		if (strcmp(c->arts[a].kind, BPH_EXPORT_SUBJECT))
			continue;
		n++;
		assert_true(c->arts[a].weight == 0);
		assert_string_equal(c->arts[a].why_zero,
				    "kind not used for linking");
	}
	assert_int_equal(n, 2);
	for (size_t i = 0; i < c->n_links; i++)
		for (size_t e = 0; e < c->links[i].n_ev; e++)
			assert_string_not_equal(
			    c->arts[c->links[i].ev[e].art].kind,
			    BPH_EXPORT_SUBJECT);
}

/* json, cytoscape and stix hold the UTF-8-clean subject. */
static void check_json_subjects(const struct bph_clustering *c,
				const char *utf8)
{
	size_t len;
	char *js = render(c, "json", &len);
	json_t *j = json_loadb(js, len, 0, NULL), *h;
	assert_non_null(j);
	h = find_by(json_object_get(j, "hosts"), "ip", "192.0.2.11");
	assert_non_null(h);
	assert_int_equal(json_array_size(json_object_get(h, "cert_subjects")),
			 1);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(h, "cert_subjects"), 0)),
			    utf8);
	h = find_by(json_object_get(j, "hosts"), "ip", "192.0.2.12");
	assert_int_equal(json_array_size(json_object_get(h, "cert_subjects")),
			 0);
	json_decref(j);
	free(js);

	char *cy = render(c, "cytoscape", &len);
	j = json_loadb(cy, len, 0, NULL);
	json_t *d = cy_find(j, "nodes", "192.0.2.10");
	assert_non_null(d);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(d, "cert_subjects"), 0)),
			    utf8);
	json_decref(j);
	free(cy);

	char *stix = render(c, "stix", &len);
	j = json_loadb(stix, len, 0, NULL);
	h = find_by(json_object_get(j, "objects"), "type", "x509-certificate");
	assert_non_null(h);
	assert_string_equal(json_string_value(json_object_get(h, "subject")),
			    utf8);
	json_decref(j);
	free(stix);
}

/* graphml, gexf, dot and csv hold the XML-clean subject, escaped. */
static void check_xml_subjects(const struct bph_clustering *c, const char *xml)
{
	size_t len;
	char *gml = render(c, "graphml", &len);
	char *t = xpath_str(gml, len, GRAPHML_NS,
			    "string(//g:node[@id='192.0.2.10']"
			    "/g:data[@key='cert_subjects'])");
	assert_string_equal(t, xml); /* markup, quotes, TAB and LF survive */
	assert_clean_label(t);
	free(t);
	free(gml);

	char *gexf = render(c, "gexf", &len);
	t = xpath_str(gexf, len, GEXF_NS,
		      "string(//g:node[@id='192.0.2.10']"
		      "//g:attvalue[@for=//g:attributes[@class='node']"
		      "/g:attribute[@title='cert_subjects']/@id]/@value)");
	assert_string_equal(t, xml);
	free(t);
	free(gexf);

	char *dot = render(c, "dot", &len), *want = dot_quoted(xml), *pat;
	assert_true(asprintf(&pat, "cert_subjects=%s", want) > 0);
	assert_non_null(strstr(dot, pat));
	assert_null(strchr(dot, '\x1b'));
	free(pat);
	free(want);
	free(dot);

	char *csv = render(c, "csv", &len);
	want = csv_quoted(xml);
	assert_non_null(strstr(csv, want));
	assert_non_null(strstr(csv, ",a_cert_subjects,a_n_artifacts,"));
	assert_null(strchr(csv, '\x1b'));
	free(want);
	free(csv);
}

/* Certificate subjects: on their hosts in every format, cleaned, and
 * never a reason to link. */
static void test_cert_subjects(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	char *utf8 = bph_text_clean(evil_subject, BPH_TEXT_UTF8);
	char *xml = bph_text_clean(evil_subject, BPH_TEXT_XML);

	assert_subjects_never_link(c);
	check_json_subjects(c, utf8);
	check_xml_subjects(c, xml);
	free(utf8);
	free(xml);
	bph_clustering_free(c);
}

static const char *const all_formats[] = {
    "json", "graphml", "gexf", "dot", "cytoscape", "stix", "csv",
};
#define N_FORMATS (sizeof(all_formats) / sizeof(all_formats[0]))

/* A community id no cluster id or count equals: 100 + host index. */
#define COMMUNITY(h) (100u + (unsigned)(h))

/* A JSON export without its "hosts" (what communities must not touch). */
static json_t *json_without_hosts(const char *buf, size_t len)
{
	json_t *j = json_loadb(buf, len, 0, NULL);
	assert_non_null(j);
	json_object_del(j, "hosts");
	return j;
}

/* A STIX bundle's objects without x_bphound_community; *removed counts
 * the objects that had it. */
static json_t *stix_objects(const char *buf, size_t len, size_t *removed)
{
	json_t *j = json_loadb(buf, len, 0, NULL), *o, *objs;
	size_t i;
	assert_non_null(j);
	objs = json_incref(json_object_get(j, "objects"));
	*removed = 0;
	json_array_foreach(objs, i, o)
	{
		*removed += json_object_del(o, "x_bphound_community") == 0;
	}
	json_decref(j);
	return objs;
}

static void check_json_communities(const struct bph_clustering *c,
				   const char *plain, size_t plen)
{
	size_t len, i;
	char *js = render_sub(c, "json", false, "comm/", &len);
	json_t *j = json_loadb(js, len, 0, NULL), *h;
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "hosts")),
			 c->n_hosts);
	json_array_foreach(json_object_get(j, "hosts"), i, h)
	{
		long x = bph_clustering_host(
		    c, json_string_value(json_object_get(h, "ip")));
		assert_int_equal(
		    json_integer_value(json_object_get(h, "community")),
		    COMMUNITY(x));
	}
	json_t *a = json_without_hosts(js, len),
	       *b = json_without_hosts(plain, plen);
	assert_true(json_equal(a, b)); /* clusters unchanged */
	json_decref(a);
	json_decref(b);
	json_decref(j);
	free(js);
}

static void check_cy_communities(const struct bph_clustering *c)
{
	size_t len;
	char *cy = render_sub(c, "cytoscape", false, "comm/", &len);
	json_t *j = json_loadb(cy, len, 0, NULL);
	for (size_t h = 0; h < c->n_hosts; h++) {
		json_t *d = cy_find(j, "nodes", c->hosts[h]);
		assert_non_null(d);
		assert_int_equal(
		    json_integer_value(json_object_get(d, "community")),
		    COMMUNITY(h));
	}
	json_decref(j);
	free(cy);
}

static void check_xml_communities(const struct bph_clustering *c)
{
	size_t len;
	long h = bph_clustering_host(c, "192.0.2.10");
	char *gml = render_sub(c, "graphml", false, "comm/", &len);
	char *t = xpath_str(gml, len, GRAPHML_NS,
			    "count(//g:key[@id='community' and @for='node' "
			    "and @attr.type='int'])");
	assert_int_equal(atoi(t), 1);
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "string(//g:node[@id='192.0.2.10']"
		      "/g:data[@key='community'])");
	assert_int_equal(atoi(t), COMMUNITY(h));
	free(t);
	t = xpath_str(gml, len, GRAPHML_NS,
		      "count(//g:data[@key='community'])");
	assert_int_equal(atoi(t), c->n_hosts);
	free(t);
	free(gml);
	char *gexf = render_sub(c, "gexf", false, "comm/", &len);
	t = xpath_str(gexf, len, GEXF_NS,
		      "string(//g:node[@id='192.0.2.10']"
		      "//g:attvalue[@for=//g:attributes[@class='node']"
		      "/g:attribute[@title='community' and @type='integer']"
		      "/@id]/@value)");
	assert_int_equal(atoi(t), COMMUNITY(h));
	free(t);
	free(gexf);
}

static void check_text_communities(const struct bph_clustering *c)
{
	size_t len;
	long h = bph_clustering_host(c, "192.0.2.99");
	unsigned k = c->clusters[c->cluster_of[h]].id;
	char *dot = render_sub(c, "dot", false, "comm/", &len), want[160];
	snprintf(want, sizeof(want),
		 "\"192.0.2.99\" [type=host, cluster=%u, community=%u, "
		 "seed=false",
		 k, COMMUNITY(h));
	assert_non_null(strstr(dot, want));
	free(dot);
	/* the row of 192.0.2.99 (no artifacts, no links): its community in
	 * a_community, b_community empty */
	char *csv = render_sub(c, "csv", false, "comm/", &len);
	assert_non_null(strstr(csv, ",a_n_artifacts,a_community,b_titles,"));
	assert_non_null(strstr(csv, ",b_n_artifacts,b_community\r\n"));
	snprintf(want, sizeof(want),
		 "\"192.0.2.99\",\"\",\"%u\",\"\",\"\",\"\",\"\",\"\",\"\","
		 "\"0\",\"%u\",\"\",\"\",\"\",\"\",\"\"\r\n",
		 k, COMMUNITY(h));
	assert_non_null(strstr(csv, want));
	free(csv);
}

static void check_stix_communities(const struct bph_clustering *c,
				   const char *plain, size_t plen)
{
	size_t len, i, n_with, n_plain, n_ip = 0;
	char *stix = render_sub(c, "stix", false, "comm/", &len);
	json_t *with = stix_objects(stix, len, &n_with), *o;
	json_t *without = stix_objects(plain, plen, &n_plain);
	assert_int_equal(n_plain, 0);
	json_array_foreach(with, i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));
		n_ip += !strcmp(t, "ipv4-addr");
	}
	assert_int_equal(n_with, n_ip); /* one per ipv4-addr */
	assert_true(n_ip > 0);
	assert_true(json_equal(with, without)); /* ids and the rest kept */
	json_decref(with);
	json_decref(without);
	json_t *j = json_loadb(stix, len, 0, NULL);
	o = find_by(json_object_get(j, "objects"), "value", "192.0.2.10");
	assert_non_null(o);
	assert_int_equal(
	    json_integer_value(json_object_get(o, "x_bphound_community")),
	    COMMUNITY(bph_clustering_host(c, "192.0.2.10")));
	json_decref(j);
	free(stix);
}

/* Communities: written only when c->community_of is set; then every host
 * node carries its own, and nothing else changes. */
static void test_communities(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	char *plain[N_FORMATS];
	size_t plen[N_FORMATS];

	for (size_t f = 0; f < N_FORMATS; f++) {
		plain[f] = render_sub(c, all_formats[f], false, "", &plen[f]);
		assert_null(strstr(plain[f], "community"));
	}
	c->community_of = calloc(c->n_hosts, sizeof(*c->community_of));
	assert_non_null(c->community_of);
	for (size_t h = 0; h < c->n_hosts; h++)
		c->community_of[h] = COMMUNITY(h);
	c->n_communities = c->n_hosts;
	check_json_communities(c, plain[0], plen[0]);
	check_xml_communities(c);
	check_text_communities(c);
	check_cy_communities(c);
	check_stix_communities(c, plain[5], plen[5]);
	for (size_t f = 0; f < N_FORMATS; f++)
		free(plain[f]);
	bph_clustering_free(c); /* frees community_of */
}

/* ---- strings past the tools' limits, formula-like fields ---- */

#define DOT_QUOTED_MAX 16000 /* cluster/export_dot.c */
#define CSV_CELL_MAX   32000 /* cluster/export_csv.c */

/* A title of 4000 '"\' pairs (8,000 bytes, 16,000 once DOT-escaped)
 * then 13,000 e-acute (26,000 bytes): over graphviz's 16,384-byte quoted
 * string, over a spreadsheet cell, cut inside the escapes for DOT and
 * inside a character for CSV unless the writers cut where they must. */
static char *long_title(void)
{
	size_t n = 4000 * 2 + 13000 * 2;
	char *t = malloc(n + 1);
	assert_non_null(t);
	for (size_t i = 0; i < 8000; i += 2)
		memcpy(t + i, "\"\\", 2);
	for (size_t i = 8000; i < n; i += 2)
		memcpy(t + i, "\xc3\xa9", 2);
	t[n] = '\0';
	return t;
}

static struct bph_clustering *long_strings(void)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char ip[32], *t = long_title();
	for (int i = 0; i < 10; i++) { /* unrelated background */
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		bph_graph_add(g, ip, "ssh_hostkey", ip, 22, 1);
	}
	/* linked by a key whose value is the long string too (evidence) */
	bph_graph_add(g, "192.0.2.10", "ssh_hostkey", t, 22, 1795000000);
	bph_graph_add(g, "192.0.2.11", "ssh_hostkey", t, 22, 1795000000);
	bph_graph_add(g, "192.0.2.10", "title", t, 80, 1795000000);
	/* formula-like values: TAB, CR, blanks before a trigger */
	bph_graph_add(g, "192.0.2.11", "title", "\t=cmd|' /C calc'!A0", 80,
		      1795000000);
	bph_graph_add(g, "192.0.2.11", "server", "\r@SUM(1+1)", 80, 1795000000);
	bph_graph_add(g, "192.0.2.11", "cert_subject", "  -2+3+cmd|' /C x'!A0",
		      443, 1795000000);
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	free(t);
	return c;
}

/* The longest DOT quoted string (bytes between the quotes, escapes
 * counted), and how many end in "..." (cut). */
static size_t dot_longest(const char *dot, size_t *cut)
{
	size_t best = 0;
	*cut = 0;
	for (const char *p = dot; (p = strchr(p, '"'));) {
		const char *q = p + 1;
		while (*q && *q != '"') {
			/* bphound escapes '"' and '\\' only: a cut that split
			 * an escape would leave '\\' before something else */
			if (*q == '\\')
				assert_true(q[1] == '"' || q[1] == '\\');
			q += *q == '\\' ? 2 : 1;
		}
		assert_int_equal(*q, '"'); /* every string closes */
		size_t n = (size_t)(q - p - 1);
		best = n > best ? n : best;
		*cut += n >= 3 && !memcmp(q - 3, "...", 3);
		p = q + 1;
	}
	return best;
}

/* Each CSV field's content (quotes undoubled) fits CSV_CELL_MAX; counts
 * fields that start with ' and those cut. */
static void csv_fields(const char *csv, size_t *quoted, size_t *cut)
{
	*quoted = *cut = 0;
	csv = strstr(csv, "\r\n"); /* past the header: unquoted names */
	assert_non_null(csv);
	for (const char *p = csv + 2; *p;) {
		assert_int_equal(*p, '"'); /* bphound quotes every field */
		size_t n = 0;
		const char *q = p + 1;
		for (; *q && !(q[0] == '"' && q[1] != '"');
		     q += q[0] == '"' ? 2 : 1)
			n++;
		assert_int_equal(*q, '"');
		assert_true(n <= CSV_CELL_MAX);
		*quoted += p[1] == '\'';
		if (p[1] != '\'') { /* then nothing a spreadsheet runs */
			const char *v = p + 1 + strspn(p + 1, " \t");
			assert_false(p[1] == '\t' || p[1] == '\r');
			assert_true(*v == '"' || !strchr("=+-@", *v));
		}
		*cut += n >= 3 && !memcmp(q - 3, "...", 3);
		p = q + 1;
		p += *p == ',' ? 1 : *p == '\r' ? 2 : 0;
	}
}

/* Regression: a title over 16 KB broke graphviz (the DOT scanner refuses
 * a quoted string over 16384 bytes); a CSV field starting with TAB or CR
 * was not neutralised like = + - @. */
static void test_long_and_formula_strings(void **state)
{
	(void)state;
	struct bph_clustering *c = long_strings();
	size_t len, cut, quoted;
	for (int art = 0; art < 2; art++) {
		char *dot = render_sub(c, "dot", art, "long/", &len);
		size_t longest = dot_longest(dot, &cut);
		assert_true(longest <= DOT_QUOTED_MAX);
		assert_true(longest >=
			    DOT_QUOTED_MAX - 4);     /* cut, not dropped */
		assert_true(cut >= (art ? 3u : 1u)); /* evidence (+ 2 values) */
		assert_true(bph_text_is_clean(dot, BPH_TEXT_UTF8));
		free(dot);
		char *csv = render_sub(c, "csv", art, "long/", &len);
		assert_true(bph_text_is_clean(csv, BPH_TEXT_UTF8));
		assert_non_null(strstr(csv, "\"'\t=cmd"));
		assert_non_null(
		    strstr(csv, "\"' @SUM")); /* CR became a space */
		assert_non_null(strstr(csv, "\"'  -2+3"));
		csv_fields(csv, &quoted, &cut);
		/* the link row's b_titles, b_servers, b_cert_subjects; with
		 * artifact nodes also .11's 4 artifact rows (3 label columns
		 * each) and the values of its title, server and subject */
		assert_int_equal(quoted, art ? 3 + 4 * 3 + 3 : 3);
		assert_true(cut >= (art ? 3u : 1u));
		free(csv);
	}
	/* the other formats too, for check_exports.sh's parsers */
	for (size_t f = 0; f < N_FORMATS; f++) {
		free(render_sub(c, all_formats[f], true, "long/", &len));
	}
	bph_clustering_free(c);
}

/* Host names are addresses from the store, but the graph takes any
 * string: one with invalid UTF-8, markup and a control character still
 * gives every registered format, well-formed and valid UTF-8. */
static void test_hostile_host_names(void **state)
{
	(void)state;
	static const char bad[] = "198.51.100.1\xff<\"&'>\x01";
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	struct bph_export_opts eo = {.seed = bad, .artifact_nodes = true};
	bph_graph_add(g, "203.0.113.1", "ssh_hostkey", "k1", 22, 1);
	bph_graph_add(g, "203.0.113.2", "ssh_hostkey", "k2", 22, 1);
	bph_graph_add(g, bad, "ssh_hostkey", "shared", 22, 1795000000);
	bph_graph_add(g, "198.51.100.2", "ssh_hostkey", "shared", 22,
		      1795000000);
	bph_graph_add(g, bad, "title", "t", 80, 1795000000);
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	assert_int_equal(c->n_links, 1);
	for (size_t i = 0; bph_exporters[i]; i++) {
		const char *fmt = bph_exporters[i]->name;
		char *buf = NULL, err[128] = "";
		size_t len;
		FILE *f = open_memstream(&buf, &len);
		int rc =
		    bph_export_write_opts(c, fmt, &eo, f, err, sizeof(err));
		fclose(f);
		if (rc)
			print_message("%s: %s\n", fmt, err);
		assert_int_equal(rc, 0);
		assert_true(bph_text_is_clean(buf, BPH_TEXT_UTF8));
		if (!strcmp(fmt, "json") || !strcmp(fmt, "cytoscape") ||
		    !strcmp(fmt, "stix")) {
			json_t *j = json_loadb(buf, len, 0, NULL);
			assert_non_null(j);
			json_decref(j);
		}
		if (!strcmp(fmt, "graphml") || !strcmp(fmt, "gexf")) {
			xmlDocPtr doc = xmlReadMemory(buf, (int)len, "x.xml",
						      "UTF-8", XML_PARSE_NONET);
			assert_non_null(doc);
			xmlFreeDoc(doc);
		}
		free(buf);
	}
	bph_clustering_free(c);
}

/* check(s) for each of odd[0..n), every byte alone between two letters,
 * and rounds strings of 0-39 random non-NUL bytes (a generator seeded
 * with x). */
static void each_text(const char *const *odd, size_t n, uint32_t x, int rounds,
		      void (*check)(const char *))
{
	char s[64];

	for (size_t i = 0; i < n; i++)
		check(odd[i]);
	for (unsigned b = 1; b < 256; b++) {
		snprintf(s, sizeof(s), "a%cz", (char)b);
		check(s);
	}
	for (int r = 0; r < rounds; r++) {
		size_t len = (size_t)r % 40;
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			s[i] = (char)((x >> 16) % 255 + 1);
		}
		s[len] = '\0';
		check(s);
	}
}

/* s as bph_json_text writes it equals jansson's dump of bph_text_clean(s). */
static void assert_text_as_jansson(const char *s)
{
	char *buf = NULL, *clean = bph_text_clean(s, BPH_TEXT_UTF8), *want;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct bph_json_out j = {.out = f};
	json_t *v = json_string(clean);

	assert_non_null(v);
	want = json_dumps(v, JSON_ENCODE_ANY);
	bph_json_text(&j, s);
	fclose(f);
	assert_string_equal(buf, want);
	json_decref(v);
	free(want);
	free(clean);
	free(buf);
}

/* The direct writer of text and integers gives jansson's bytes: every
 * byte alone and inside text, valid and invalid UTF-8 (overlong,
 * surrogate, truncated, past U+10FFFF), and random bytes. */
static void test_json_text_as_jansson(void **state)
{
	(void)state;
	static const char *const odd[] = {"",
					  "plain",
					  "\"q\"\\",
					  "a/b",
					  "\xc3\xa9t\xc3\xa9",
					  "\xe2\x80\xa8",
					  "\xf0\x9f\x98\x80",
					  "\xc0\xaf",
					  "\xed\xa0\x80",
					  "\xe2\x82",
					  "\xf4\x90\x80\x80",
					  "x\xff\xfey",
					  "\x7f\x1f\x0b\x08\x0c"};
	each_text(odd, sizeof(odd) / sizeof(odd[0]), 12345, 3000,
		  assert_text_as_jansson);
	static const int64_t ints[] = {0, 1, -1, 42, INT64_MAX, INT64_MIN};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		char *buf = NULL, want[32];
		size_t len;
		FILE *f = open_memstream(&buf, &len);
		struct bph_json_out j = {.out = f};
		bph_json_int(&j, ints[i]);
		fclose(f);
		snprintf(want, sizeof(want), "%lld", (long long)ints[i]);
		assert_string_equal(buf, want);
		free(buf);
	}
}

/* bph_export_clean(s) gives bph_text_clean(s)'s text in both modes, and
 * s itself only when that is s unchanged: markup, quotes, every byte
 * alone (controls, DEL, lone UTF-8 bytes), invalid UTF-8 and random
 * bytes. Fails if the no-copy path skipped a byte that needs cleaning. */
static void assert_clean_as_text_clean(const char *s)
{
	for (int mode = BPH_TEXT_UTF8; mode <= BPH_TEXT_XML; mode++) {
		char *owned, *want = bph_text_clean(s, mode);
		const char *got = bph_export_clean(s, mode, &owned);
		assert_non_null(got);
		assert_string_equal(got, want);
		if (got == s)
			assert_null(owned);
		else
			assert_ptr_equal(got, owned);
		free(owned);
		free(want);
	}
}

static void test_clean_fast_path(void **state)
{
	(void)state;
	static const char *const odd[] = {"",
					  "plain",
					  "<a href=\"x\">&amp;</a>",
					  "'\"\\",
					  "tab\there\r\n",
					  "\x01\x1f\x7f",
					  "\xc3\xa9t\xc3\xa9",
					  "\xef\xbf\xbe",
					  "\xc0\xaf",
					  "\xed\xa0\x80",
					  "\xe2\x82",
					  "x\xff\xfey",
					  "\xc2\x85"};
	char *owned;

	each_text(odd, sizeof(odd) / sizeof(odd[0]), 777, 3000,
		  assert_clean_as_text_clean);
	assert_string_equal(bph_export_clean(NULL, BPH_TEXT_XML, &owned), "");
	assert_null(owned);
}

/* The flags cluster/export.c dumps with (JSON_FLAGS there). */
#define EXPORT_JSON_FLAGS                                                      \
	(JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6) |       \
	 JSON_ENCODE_ANY)

/* The json export of c (with and without artifact nodes) is, byte for
 * byte, what jansson dumps of the document it reads back: the direct
 * writer gives jansson's layout, escapes and numbers. */
static void assert_json_as_redump(const struct bph_clustering *c)
{
	for (int art = 0; art <= 1; art++) {
		struct bph_export_opts eo = {.seed = "192.0.2.10",
					     .artifact_nodes = art};
		char *buf = NULL, *want, err[128] = "";
		size_t len;
		FILE *f = open_memstream(&buf, &len); /* not BPH_EXPORT_DIR's */
		assert_int_equal(
		    bph_export_write_opts(c, "json", &eo, f, err, sizeof(err)),
		    0);
		fclose(f);
		json_error_t je;
		json_t *j = json_loadb(buf, len, 0, &je);
		assert_non_null(j);
		want = json_dumps(j, EXPORT_JSON_FLAGS);
		assert_non_null(want);
		assert_int_equal(len, strlen(want) + 1);
		assert_memory_equal(buf, want, strlen(want));
		assert_int_equal(buf[len - 1], '\n');
		json_decref(j);
		free(want);
		free(buf);
	}
}

/* A clustering of n hosts sharing artifacts drawn at random (generator
 * seeded with x): keys, certificates, titles, servers, subjects and
 * favicons, some hostile, on random ports and times. */
static struct bph_clustering *random_clustering(uint32_t x, int n)
{
	static const char *const kinds[] = {"ssh_hostkey",  "cert_sha256",
					    "title",	    "server",
					    "cert_subject", "favicon"};
	static const char *const odd[] = {evil,	       formula,	     evil_title,
					  evil_server, evil_subject, "k\xff"};
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char ip[32], val[64];

	for (int h = 0; h < n; h++) {
		snprintf(ip, sizeof(ip), "10.%d.%d.%d", h >> 16, (h >> 8) & 255,
			 h & 255);
		x = x * 1103515245u + 12345u;
		int arts = (int)((x >> 16) % 6);
		if (!arts)
			bph_graph_add_host(g, ip);
		for (int a = 0; a < arts; a++) {
			x = x * 1103515245u + 12345u;
			uint32_t r = x >> 8;
			const char *v = val;
			if (r % 13 == 0)
				v = odd[(r >> 4) % 6];
			else
				snprintf(val, sizeof(val), "v%u",
					 (r >> 4) % 23);
			x = x * 1103515245u + 12345u;
			bph_graph_add(g, ip, kinds[r % 6], v,
				      (uint16_t)((x >> 16) % 4 ? 443 : x >> 8),
				      (int64_t)1795000000 + (x >> 12));
		}
	}
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	return c;
}

static void test_json_as_redump(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t links = 0;

	assert_json_as_redump(c);
	bph_clustering_free(c);
	c = long_strings();
	assert_json_as_redump(c);
	bph_clustering_free(c);
	for (uint32_t r = 1; r <= 24; r++) {
		c = random_clustering(r * 7919u, 20 + (int)r * 9);
		links += c->n_links;
		assert_json_as_redump(c);
		bph_clustering_free(c);
	}
	assert_true(links > 100); /* the evidence path was exercised */
}

/* The old way to a uuid5: a new SHA-1 context, the name, snprintf. */
static void ref_uuid5(const unsigned char ns[16], const char *type,
		      const char *name, char out[96])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	assert_non_null(ctx);
	assert_true(EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) &&
		    EVP_DigestUpdate(ctx, ns, 16) &&
		    EVP_DigestUpdate(ctx, name, strlen(name)) &&
		    EVP_DigestFinal_ex(ctx, md, &n));
	EVP_MD_CTX_free(ctx);
	md[6] = (unsigned char)((md[6] & 0x0f) | 0x50);
	md[8] = (unsigned char)((md[8] & 0x3f) | 0x80);
	snprintf(out, 96,
		 "%s--%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 type, md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7],
		 md[8], md[9], md[10], md[11], md[12], md[13], md[14], md[15]);
}

/* Every SCO id in c's bundle is the uuid5 of json_dumps' JCS form of its
 * id-contributing property, and every relationship's of its ends. */
static size_t assert_stix_ids_as_jansson(const struct bph_clustering *c)
{
	static const unsigned char sco_ns[16] = {
	    0x00, 0xab, 0xed, 0xb4, 0xaa, 0x42, 0x46, 0x6c,
	    0x9c, 0x01, 0xfe, 0xd2, 0x33, 0x15, 0xa9, 0xb7,
	};
	static const unsigned char bph_ns[16] = {
	    0x05, 0xa1, 0x33, 0x4e, 0xaf, 0xa6, 0x50, 0xe8,
	    0x8a, 0xf1, 0x7f, 0x73, 0xcd, 0x2b, 0x88, 0x73,
	};
	struct bph_export_opts eo = {.seed = "192.0.2.10"};
	size_t len, i, n = 0;
	char *buf = NULL, want[96], *name, err[128] = "";
	FILE *f = open_memstream(&buf, &len); /* not into BPH_EXPORT_DIR */

	assert_non_null(f);
	assert_int_equal(
	    bph_export_write_opts(c, "stix", &eo, f, err, sizeof(err)), 0);
	fclose(f);
	json_t *j = json_loadb(buf, len, 0, NULL), *o;

	assert_non_null(j);
	json_array_foreach(json_object_get(j, "objects"), i, o)
	{
		const char *t = json_string_value(json_object_get(o, "type"));
		const char *id = json_string_value(json_object_get(o, "id"));
		const char *key = !strcmp(t, "ipv4-addr")	   ? "value"
				  : !strcmp(t, "x509-certificate") ? "hashes"
								   : NULL;
		if (key) {
			json_t *p =
			    json_pack("{s:O}", key, json_object_get(o, key));
			name = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
			assert_non_null(name);
			ref_uuid5(sco_ns, t, name, want);
			assert_string_equal(id, want);
			free(name);
			json_decref(p);
			n++;
		} else if (!strcmp(t, "relationship")) {
			assert_true(asprintf(&name, "%s|%s|%s",
					     json_string_value(json_object_get(
						 o, "relationship_type")),
					     json_string_value(json_object_get(
						 o, "source_ref")),
					     json_string_value(json_object_get(
						 o, "target_ref"))) > 0);
			ref_uuid5(bph_ns, "relationship", name, want);
			assert_string_equal(id, want);
			free(name);
		}
	}
	json_decref(j);
	free(buf);
	return n;
}

/* SCO ids written without a jansson tree (bph_json_quote straight into
 * the digest) are the ids of the JCS text jansson gives, on hostile
 * strings (invalid UTF-8, quotes, controls) and random clusterings. */
static void test_stix_ids_as_jansson(void **state)
{
	(void)state;
	struct bph_clustering *c = hostile();
	size_t n = assert_stix_ids_as_jansson(c);

	bph_clustering_free(c);
	c = long_strings();
	n += assert_stix_ids_as_jansson(c);
	bph_clustering_free(c);
	for (uint32_t r = 1; r <= 24; r++) {
		c = random_clustering(r * 7919u, 20 + (int)r * 9);
		n += assert_stix_ids_as_jansson(c);
		bph_clustering_free(c);
	}
	assert_true(n > 100);

	/* hosts and 64-byte certificate hashes that need quoting or
	 * cleaning (the invalid one is no x509-certificate, as before) */
	static const char *const host[] = {"10.0.0.1", "10.0.0.2\"\\",
					   "10.0.0.3\xff\x01\n",
					   "10.0.0.4\xe2\x80\xae/"};
	char cert[3][65];
	memset(cert, 'a', sizeof(cert));
	memcpy(cert[0], "\"\\\x01\x7f", 4);
	memcpy(cert[1], "\xff", 1);
	memcpy(cert[2], "\xc3\xa9", 2);
	struct bph_graph *g = bph_graph_new();
	for (int h = 0; h < 4; h++) {
		cert[0][64] = cert[1][64] = cert[2][64] = '\0';
		assert_int_equal(bph_graph_add(g, host[h], "cert_sha256",
					       cert[h / 2], 443, 1795000000),
				 0);
		assert_int_equal(bph_graph_add(g, host[h], "cert_sha256",
					       cert[2], 8443, 1795000000),
				 0);
	}
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	assert_int_equal(assert_stix_ids_as_jansson(c), 4 + 2);
	bph_clustering_free(c);
}

/* The bundle id of c's STIX export (a uuid5 over the compact JSON of
 * every object, reals at full precision) and the output's length. */
static void stix_bundle_id(const struct bph_clustering *c, char id[96],
			   size_t *len)
{
	struct bph_export_opts eo = {.seed = "192.0.2.10"};
	char *buf = NULL, err[128] = "";
	FILE *f = open_memstream(&buf, len);

	assert_non_null(f);
	assert_int_equal(
	    bph_export_write_opts(c, "stix", &eo, f, err, sizeof(err)), 0);
	fclose(f);
	json_t *j = json_loadb(buf, *len, 0, NULL);
	assert_non_null(j);
	snprintf(id, 96, "%s", json_string_value(json_object_get(j, "id")));
	char *want = json_dumps(j, EXPORT_JSON_FLAGS); /* as jansson writes */
	assert_non_null(want);
	assert_int_equal(*len, strlen(want) + 1);
	assert_memory_equal(buf, want, strlen(want));
	free(want);
	json_decref(j);
	free(buf);
}

/* The bundle ids the tree-building writer (before 2026-12-07 01:35 UTC)
 * gave for hostile(), long_strings() and random clusterings, without and
 * with communities: the digest covers every object's compact JSON with
 * reals at full precision, which the written output cannot show. */
static void test_stix_bundle_as_before(void **state)
{
	(void)state;
	static const char *const want[] = {
#include "stix_bundle_ids.inc"
	};
	size_t k = 0, len;
	char id[96];

	for (int r = -2; r <= 24; r++) {
		struct bph_clustering *c =
		    r == -2   ? hostile()
		    : r == -1 ? long_strings()
			      : random_clustering((uint32_t)r * 7919u + 3u,
						  20 + r * 9);
		for (int comm = 0; comm < 2; comm++) {
			if (comm) {
				c->community_of = calloc(
				    c->n_hosts, sizeof(*c->community_of));
				assert_non_null(c->community_of);
				for (size_t h = 0; h < c->n_hosts; h++)
					c->community_of[h] =
					    (uint32_t)(h * 7 % 5);
				c->n_communities = 5;
			}
			stix_bundle_id(c, id, &len);
			if (getenv("BPH_PRINT_STIX_IDS"))
				printf("\"%s\", \"%zu\",\n", id, len);
			assert_true(k + 1 < sizeof(want) / sizeof(*want));
			assert_string_equal(id, want[k]);
			char n[24];
			snprintf(n, sizeof(n), "%zu", len);
			assert_string_equal(n, want[k + 1]);
			k += 2;
		}
		bph_clustering_free(c);
	}
	assert_int_equal(k, sizeof(want) / sizeof(*want));
}

/* v as bph_json_real writes it equals jansson's dump of json_real(v) with
 * the export's flags. */
static void assert_real_as_jansson(double v)
{
	char *buf = NULL, *want;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct bph_json_out j = {.out = f};
	json_t *r = json_real(v);

	assert_non_null(r);
	bph_json_real(&j, v);
	fclose(f);
	want = json_dumps(r, EXPORT_JSON_FLAGS);
	assert_string_equal(buf, want);
	assert_int_equal(j.bad, 0);
	free(want);
	json_decref(r);
	free(buf);
}

/* bph_json_real writes what jansson dumps with JSON_REAL_PRECISION(6):
 * integral values, exponents both ways, rounding edges, negative zero,
 * the smallest and largest doubles, and thousands of random ones (random
 * bit patterns, scores in [0, 100), integers as reals, powers of ten). */
static void test_json_real_as_jansson(void **state)
{
	(void)state;
	static const double v[] = {0.0,
				   -0.0,
				   1.0,
				   3.21,
				   12.0,
				   -7.5,
				   1e6,
				   1234567.0,
				   1e-5,
				   0.000123,
				   1e21,
				   -2.5e-12,
				   1e100,
				   3.14159265,
				   100000.0,
				   0.1,
				   999999.0,
				   999999.5,
				   9999995,
				   0.0001,
				   0.00001,
				   1e-4,
				   9.999995e-5,
				   -1e-300,
				   5e-324,
				   2.2250738585072014e-308,
				   1.7976931348623157e308,
				   -1.7976931348623157e308,
				   123456.5,
				   -999999.9,
				   1e15,
				   1e16,
				   4503599627370497.0,
				   -1e5,
				   0.5,
				   2.0 / 3.0};
	uint64_t x = 88172645463325252u;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_real_as_jansson(v[i]);
	for (int i = 0; i < 20000; i++) {
		double d;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		switch (i % 4) {
		case 0: /* any finite double */
			memcpy(&d, &x, sizeof(d));
			break;
		case 1: /* a score or weight */
			d = (double)(x >> 11) / (double)(1ull << 53) * 100.0;
			break;
		case 2: /* an integer as a real, either sign */
			d = (double)(int64_t)(x >> (x % 60));
			break;
		default: /* around a power of ten */
			d = pow(10.0, (double)((int)(x % 600) - 300)) *
			    (1.0 + ((double)(x >> 40) - 8388608.0) / 1e7);
			break;
		}
		if (!isfinite(d))
			continue;
		assert_real_as_jansson(d);
		n++;
	}
	assert_true(n > 19000);
}

/* An element with s (cleaned) as attribute and content, as libxml2's
 * xmlTextWriter writes it (indentation on, as export_xml.c wrote with
 * it), against bph_export_xml_text's bytes. */
static void assert_xml_as_libxml2(const char *s)
{
	char *clean = bph_text_clean(s, BPH_TEXT_XML), *buf = NULL;
	size_t len;
	xmlBufferPtr xb = xmlBufferCreate();
	xmlTextWriterPtr w = xmlNewTextWriterMemory(xb, 0);
	FILE *f = open_memstream(&buf, &len);

	xmlTextWriterSetIndent(w, 1);
	xmlTextWriterStartDocument(w, NULL, "UTF-8", NULL);
	xmlTextWriterStartElement(w, (const xmlChar *)"a");
	xmlTextWriterWriteAttribute(w, (const xmlChar *)"v",
				    (const xmlChar *)clean);
	xmlTextWriterWriteString(w, (const xmlChar *)clean);
	xmlTextWriterEndElement(w);
	xmlTextWriterEndDocument(w);
	xmlFreeTextWriter(w);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a v=\"", f);
	bph_export_xml_text(f, clean, true);
	fputs("\">", f);
	bph_export_xml_text(f, clean, false);
	fputs("</a>\n", f);
	fclose(f);
	assert_string_equal(buf, (const char *)xmlBufferContent(xb));
	xmlBufferFree(xb);
	free(buf);
	free(clean);
}

/* The GraphML and GEXF writer escapes as libxml2 does: markup, quotes,
 * every byte alone, invalid UTF-8 and random bytes (cleaned first, as
 * the exports clean them). Fails if an escape were skipped. */
static void test_xml_text_as_libxml2(void **state)
{
	(void)state;
	static const char *const odd[] = {"",
					  "plain",
					  "<a href=\"x\">&amp;</a>",
					  "'\"\\]]>",
					  "t\tn\nr\r",
					  "\xc3\xa9t\xc3\xa9",
					  "\xf0\x9f\x98\x80",
					  "x\xff\xfey",
					  "\x01\x7f"};
	each_text(odd, sizeof(odd) / sizeof(odd[0]), 4242, 2000,
		  assert_xml_as_libxml2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_json_contract),
	    cmocka_unit_test(test_xml_well_formed),
	    cmocka_unit_test(test_text_formats),
	    cmocka_unit_test(test_stix_ids),
	    cmocka_unit_test(test_stix_one_pass),
	    cmocka_unit_test(test_host_labels_xml),
	    cmocka_unit_test(test_host_labels_text),
	    cmocka_unit_test(test_many_labels),
	    cmocka_unit_test(test_artifact_nodes),
	    cmocka_unit_test(test_cert_subjects),
	    cmocka_unit_test(test_communities),
	    cmocka_unit_test(test_long_and_formula_strings),
	    cmocka_unit_test(test_hostile_host_names),
	    cmocka_unit_test(test_json_text_as_jansson),
	    cmocka_unit_test(test_clean_fast_path),
	    cmocka_unit_test(test_json_real_as_jansson),
	    cmocka_unit_test(test_json_as_redump),
	    cmocka_unit_test(test_stix_ids_as_jansson),
	    cmocka_unit_test(test_stix_bundle_as_before),
	    cmocka_unit_test(test_xml_text_as_libxml2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
