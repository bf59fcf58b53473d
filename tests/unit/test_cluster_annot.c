/*
 * Annotations from outside the clustering (cluster/annot.h) in the
 * exports: host attributes and cluster remarks, with hostile values,
 * parsed back from each format.
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

#include "cluster/export.h"
#include "fingerprints/err.h"

static const char evil[] = "AS<b>\"64500\"</b>\x01\xff";

struct fixture {
	struct bph_clustering *c;
	struct bph_annot_attr attrs[2][3];
	struct bph_annot hosts[3];
	struct bph_annot clusters[3];
	struct bph_annotations a;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct bph_graph *g = bph_graph_new();

	assert_non_null(f);
	bph_graph_add(g, "192.0.2.10", "ssh_hostkey", "SHA256:k", 22, 1);
	bph_graph_add(g, "192.0.2.11", "ssh_hostkey", "SHA256:k", 22, 1);
	bph_graph_add_host(g, "192.0.2.99");
	assert_int_equal(bph_cluster_run(g, NULL, &f->c), 0);
	bph_graph_free(g);
	assert_int_equal(f->c->n_hosts, 3);
	for (int h = 0; h < 2; h++) {
		f->attrs[h][0] = (struct bph_annot_attr){"asn", "64500"};
		f->attrs[h][1] = (struct bph_annot_attr){"as_name", evil};
		f->attrs[h][2] =
		    (struct bph_annot_attr){"prefix", "192.0.2.0/24"};
		f->hosts[h] = (struct bph_annot){f->attrs[h], 3, NULL, NULL};
	}
	/* host 0 also carries the structured form */
	f->hosts[0].json = "{\"routing\":{\"asn\":64500,\"prefix\":"
			   "\"192.0.2.0/24\"},\"listed\":[]}";
	f->a = (struct bph_annotations){f->hosts, 3, f->clusters,
					f->c->n_clusters};
	f->clusters[f->c->cluster_of[0]].remark =
	    "spans 2 ASes: a reseller chain?";
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	bph_clustering_free(f->c);
	free(f);
	return 0;
}

static json_t *export_json(struct fixture *f, const char *fmt)
{
	char *buf = NULL, err[128];
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	struct bph_export_opts o = {.annot = &f->a};

	assert_int_equal(
	    bph_export_write_opts(f->c, fmt, &o, out, err, sizeof(err)), 0);
	fclose(out);
	json_t *j = json_loads(buf, 0, NULL);
	assert_non_null(j);
	/* annotated objects (merged by jansson) and plain ones (written
	 * directly) are laid out alike: the export is jansson's dump of
	 * what it reads back, with cluster/export.c's flags */
	char *want =
	    json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER |
			      JSON_REAL_PRECISION(6) | JSON_ENCODE_ANY);
	assert_non_null(want);
	assert_int_equal(n, strlen(want) + 1);
	assert_memory_equal(buf, want, n - 1);
	free(want);
	free(buf);
	return j;
}

static void test_json(void **state)
{
	struct fixture *f = *state;
	json_t *j = export_json(f, "json"),
	       *hosts = json_object_get(j, "hosts");

	assert_int_equal(json_array_size(hosts), 3);
	json_t *h0 = json_array_get(hosts, 0), *h1 = json_array_get(hosts, 1),
	       *h2 = json_array_get(hosts, 2);
	/* the structured form wins over the flat one */
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(h0, "routing"), "asn")),
			 64500);
	assert_null(json_object_get(h0, "asn"));
	/* flat attributes, cleaned: valid UTF-8 */
	assert_string_equal(json_string_value(json_object_get(h1, "asn")),
			    "64500");
	assert_string_equal(json_string_value(json_object_get(h1, "as_name")),
			    "AS<b>\"64500\"</b>\x01\xef\xbf\xbd");
	assert_null(json_object_get(h2, "asn")); /* not annotated */
	json_t *k =
	    json_array_get(json_object_get(j, "clusters"), f->c->cluster_of[0]);
	assert_string_equal(json_string_value(json_object_get(k, "remark")),
			    "spans 2 ASes: a reseller chain?");
	json_decref(j);
}

static void test_cytoscape(void **state)
{
	struct fixture *f = *state;
	json_t *j = export_json(f, "cytoscape");
	json_t *nodes =
	    json_object_get(json_object_get(j, "elements"), "nodes");
	json_t *d = json_object_get(json_array_get(nodes, 1), "data");

	assert_string_equal(json_string_value(json_object_get(d, "prefix")),
			    "192.0.2.0/24");
	json_decref(j);
}

static char *export_text(struct fixture *f, const char *fmt)
{
	char *buf = NULL, err[128];
	size_t n = 0;
	FILE *out = open_memstream(&buf, &n);
	struct bph_export_opts o = {.annot = &f->a};

	assert_int_equal(
	    bph_export_write_opts(f->c, fmt, &o, out, err, sizeof(err)), 0);
	fclose(out);
	return buf;
}

/* Flat formats: the attributes, escaped by each format; hosts without
 * annotations carry none. */
static void test_flat_formats(void **state)
{
	struct fixture *f = *state;
	char *g = export_text(f, "graphml"), *x = export_text(f, "gexf"),
	     *c = export_text(f, "csv"), *d = export_text(f, "dot"),
	     *s = export_text(f, "stix");

	assert_non_null(strstr(g, "<key id=\"net_asn\" for=\"node\" "
				  "attr.name=\"asn\" attr.type=\"string\"/>"));
	assert_non_null(
	    strstr(g, "<data key=\"net_as_name\">AS&lt;b&gt;&quot;64500"));
	assert_non_null(strstr(x, "<attribute id=\"net_prefix\" "
				  "title=\"prefix\" type=\"string\"/>"));
	assert_non_null(
	    strstr(x, "<attvalue for=\"net_asn\" value=\"64500\"/>"));
	assert_non_null(strstr(c, ",a_asn,a_as_name,a_prefix,b_asn,b_as_name,"
				  "b_prefix\r\n"));
	assert_non_null(strstr(c, ",\"64500\","));
	assert_non_null(strstr(d, "asn=\"64500\""));
	assert_non_null(strstr(s, "\"x_bphound_prefix\": \"192.0.2.0/24\""));
	assert_non_null(strstr(s, "\"x_bphound_remark\": \"spans 2 ASes"));
	free(g);
	free(x);
	free(c);
	free(d);
	free(s);
}

static void test_keys(void **state)
{
	struct fixture *f = *state;
	const char **keys;
	size_t n;

	assert_int_equal(bph_annot_host_keys(&f->a, &keys, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(keys[2], "prefix");
	free(keys);
	assert_string_equal(bph_annot_value(&f->hosts[0], "asn"), "64500");
	assert_null(bph_annot_value(&f->hosts[2], "asn"));
	assert_null(bph_annot_host(NULL, 0));
	assert_int_equal(bph_annot_host_keys(NULL, &keys, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_cytoscape),
	    cmocka_unit_test(test_flat_formats),
	    cmocka_unit_test(test_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
