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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libxml/parser.h>

#include "cluster/export.h"
#include "fingerprints/err.h"

static const char evil[] = "<script>alert(\"x\")</script>&amp;'\x01\x1b]0;"
			   "\xff\xfe\xc3\x28\n\"]; a -- b [x=\"\\";
static const char formula[] = "=cmd|' /C calc'!A0";

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
	bph_graph_add_host(g, "192.0.2.99"); /* answered, no artifacts */
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	return c;
}

static char *render(const struct bph_clustering *c, const char *fmt,
		    size_t *len)
{
	char *buf = NULL, err[128] = "";
	FILE *f = open_memstream(&buf, len);
	assert_int_equal(
	    bph_export_write(c, fmt, "192.0.2.10", f, err, sizeof(err)), 0);
	fclose(f);
	const char *dir = getenv("BPH_EXPORT_DIR");
	if (dir) {
		char path[512];
		snprintf(path, sizeof(path), "%s/export.%s", dir, fmt);
		FILE *o = fopen(path, "w");
		assert_non_null(o);
		fwrite(buf, 1, *len, o);
		fclose(o);
	}
	return buf;
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
	assert_int_equal(n, 7);
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
	assert_int_equal(hosts, 14);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_json_contract),
	    cmocka_unit_test(test_xml_well_formed),
	    cmocka_unit_test(test_text_formats),
	    cmocka_unit_test(test_stix_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
