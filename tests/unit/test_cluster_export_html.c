/*
 * The HTML export (cluster/export_html.c, export_html_data.c): the escape
 * of hostile text, the page's data for a seed and for every cluster, and
 * the page itself: its Content-Security-Policy hashes match the inline
 * style and scripts, the data holds no '<' and parses back to the same
 * document, and page.js never builds markup from strings. The page in a
 * browser: tests/integration/exports_lab.sh.
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
#include <openssl/evp.h>

#include "cluster/annot.h"
#include "cluster/export.h"
#include "fingerprints/err.h"

static const char evil[] = "<script>alert(1)</script><!--<script>\x01\x1b"
			   "[31m\xff\xc3\x28 \\ \xe2\x80\xae";

/* 192.0.2.10-12 linked (a strong key, then a title and favicon), .20
 * alone with the hostile title, .30-.31 a second pair. */
static struct bph_clustering *sample(void)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	char ip[32];

	for (int i = 0; i < 10; i++) { /* background: weights > 0 */
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		bph_graph_add(g, ip, "ssh_hostkey", ip, 22, 1);
	}
	bph_graph_add(g, "192.0.2.10", "ssh_hostkey", "SHA256:k1", 22, 1);
	bph_graph_add(g, "192.0.2.11", "ssh_hostkey", "SHA256:k1", 2222, 1);
	bph_graph_add(g, "192.0.2.11", "title", evil, 80, 1);
	bph_graph_add(g, "192.0.2.12", "title", evil, 80, 1);
	bph_graph_add(g, "192.0.2.11", "favicon", "123", 80, 1);
	bph_graph_add(g, "192.0.2.12", "favicon", "123", 80, 1);
	bph_graph_add(g, "192.0.2.10", "cert_subject", evil, 443, 1);
	bph_graph_add(g, "192.0.2.20", "title", evil, 8080, 1);
	bph_graph_add(g, "192.0.2.30", "ssh_hostkey", "SHA256:k2", 22, 1);
	bph_graph_add(g, "192.0.2.31", "ssh_hostkey", "SHA256:k2", 22, 1);
	assert_int_equal(bph_cluster_run(g, NULL, &c), 0);
	bph_graph_free(g);
	return c;
}

static void expect_escape(const char *in, const char *want)
{
	char *got = bph_export_escape_text(in);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	(void)state;
	expect_escape(NULL, "");
	expect_escape("plain <b> & \"q\"", "plain <b> & \"q\"");
	expect_escape("a\\b", "a\\x5cb");
	expect_escape("\x01\x1b[1m\x7f\t\n", "\\x01\\x1b[1m\\x7f\\x09\\x0a");
	expect_escape("\xff\xc3\x28", "\\xff\\xc3(");
	expect_escape("\xed\xa0\x80", "\\xed\\xa0\\x80"); /* a surrogate */
	expect_escape("caf\xc3\xa9", "caf\xc3\xa9");
	expect_escape("\xc2\x85|\xe2\x80\xae|\xe2\x81\xa6|\xe2\x80\x8f",
		      "\\u0085|\\u202e|\\u2066|\\u200f");
}

/* The member object of ip in cluster cl, or NULL. */
static json_t *member(json_t *cl, const char *ip)
{
	size_t i;
	json_t *h;

	json_array_foreach(
	    json_object_get(cl, "hosts"), i,
	    h) if (!strcmp(json_string_value(json_object_get(h, "ip")),
			   ip)) return h;
	return NULL;
}

/* Number of distinct artifacts in the evidence of cluster k's links. */
static size_t linking_arts(const struct bph_clustering *c,
			   const struct bph_cluster *k)
{
	char *seen = calloc(c->n_arts + 1, 1);
	size_t n = 0;

	for (size_t i = 0; i < k->n_links; i++) {
		const struct bph_link *l = &c->links[k->links[i]];
		for (size_t e = 0; e < l->n_ev; e++)
			if (!seen[l->ev[e].art]++)
				n++;
	}
	free(seen);
	return n;
}

static void test_data_seed(void **state)
{
	(void)state;
	struct bph_clustering *c = sample();
	struct bph_export_opts o = {.seed = "192.0.2.12"};
	json_t *d = bph_export_html_data(c, &o), *cl, *e;
	long s = bph_clustering_host(c, "192.0.2.12");
	const struct bph_cluster *k = &c->clusters[c->cluster_of[s]];
	size_t i, n_arts = 0;
	char *seen;

	assert_non_null(d);
	assert_true(json_is_true(json_object_get(d, "seed_found")));
	assert_int_equal(json_array_size(json_object_get(d, "clusters")), 1);
	cl = json_array_get(json_object_get(d, "clusters"), 0);
	assert_int_equal(json_array_size(json_object_get(cl, "hosts")),
			 k->n_hosts);
	assert_int_equal(k->n_hosts, 3);
	/* the seed is the root; the others came in through a link from
	 * another member, with its evidence and explain.c's text */
	json_t *root =
	    json_array_get(json_object_get(cl, "hosts"),
			   json_integer_value(json_object_get(cl, "root")));
	assert_string_equal(json_string_value(json_object_get(root, "ip")),
			    "192.0.2.12");
	assert_null(json_object_get(root, "via"));
	json_t *far = member(cl, "192.0.2.10");
	json_t *via = json_object_get(far, "via");
	assert_non_null(via);
	assert_string_equal(json_string_value(json_object_get(via, "rule")),
			    "strong:ssh_hostkey");
	assert_int_equal(json_integer_value(json_object_get(via, "class")), 0);
	assert_non_null(
	    strstr(json_string_value(json_object_get(far, "explain")),
		   "is in the cluster of 192.0.2.12"));
	assert_non_null(json_object_get(cl, "report"));
	/* ports: the host's distinct ports */
	json_t *ports = json_object_get(member(cl, "192.0.2.11"), "ports");
	assert_int_equal(json_array_size(ports), 2);
	/* edges: one per (member, linking artifact), each node once */
	seen = calloc(json_array_size(json_object_get(d, "arts")) + 1, 1);
	json_array_foreach(json_object_get(cl, "edges"), i, e)
	{
		size_t a = (size_t)json_integer_value(json_array_get(e, 1));
		n_arts += !seen[a]++;
	}
	free(seen);
	assert_int_equal(n_arts, linking_arts(c, k));
	/* hostile text arrives escaped, never raw */
	char *dump = json_dumps(d, 0);
	assert_null(strstr(dump, "\\u0001"));
	assert_null(strstr(dump, "\\u001b"));
	assert_non_null(strstr(dump, "\\\\x01\\\\x1b[31m\\\\xff\\\\xc3("));
	assert_non_null(strstr(dump, "\\\\x5c \\\\u202e"));
	free(dump);
	json_decref(d);
	bph_clustering_free(c);
}

static void test_data_all(void **state)
{
	(void)state;
	struct bph_clustering *c = sample();
	struct bph_export_opts o = {.seed = NULL};
	json_t *d = bph_export_html_data(c, &o), *cl;
	size_t i, prev = SIZE_MAX, multi = 0;

	for (i = 0; i < c->n_clusters; i++)
		multi += c->clusters[i].n_hosts > 1;
	assert_int_equal(json_array_size(json_object_get(d, "clusters")),
			 multi);
	assert_int_equal(multi, 2);
	json_array_foreach(json_object_get(d, "clusters"), i, cl)
	{
		size_t n = json_array_size(json_object_get(cl, "hosts"));
		assert_true(n > 1 && n <= prev); /* largest first */
		prev = n;
		assert_null(json_object_get(cl, "report"));
	}
	assert_true(json_is_false(json_object_get(d, "seed_found")));
	json_decref(d);
	/* a seed that did not answer: every cluster, seed_found false */
	o.seed = "192.0.2.77";
	d = bph_export_html_data(c, &o);
	assert_int_equal(json_array_size(json_object_get(d, "clusters")), 2);
	assert_true(json_is_false(json_object_get(d, "seed_found")));
	json_decref(d);
	/* a lone seed: its one-host cluster and why it is alone */
	o.seed = "192.0.2.20";
	d = bph_export_html_data(c, &o);
	cl = json_array_get(json_object_get(d, "clusters"), 0);
	assert_int_equal(json_array_size(json_object_get(cl, "hosts")), 1);
	assert_non_null(
	    strstr(json_string_value(json_object_get(cl, "report")), "alone"));
	json_decref(d);
	bph_clustering_free(c);
}

/* Annotations (cluster/annot.h) reach the members and the cluster,
 * escaped like every other string. */
static void test_data_annot(void **state)
{
	(void)state;
	struct bph_clustering *c = sample();
	long h = bph_clustering_host(c, "192.0.2.11");
	struct bph_annot *hosts = calloc(c->n_hosts, sizeof(*hosts));
	struct bph_annot *cls = calloc(c->n_clusters, sizeof(*cls));
	const struct bph_annot_attr attrs[] = {{"asn", "64500"},
					       {"registrant", evil}};
	struct bph_annotations an = {.hosts = hosts,
				     .n_hosts = c->n_hosts,
				     .clusters = cls,
				     .n_clusters = c->n_clusters};
	struct bph_export_opts o = {.seed = "192.0.2.12", .annot = &an};

	hosts[h].attrs = attrs;
	hosts[h].n_attrs = 2;
	cls[c->cluster_of[h]].remark = "upstreams: AS64501 \x1b";
	cls[c->cluster_of[h]].json =
	    "{\"history\": [{\"run\": 1, \"size\": 3, \"note\": "
	    "\"<b>\\u0001\"}], \"events\": [{\"type\": \"x\"}], "
	    "\"other\": 1}";
	json_t *d = bph_export_html_data(c, &o);
	json_t *cl = json_array_get(json_object_get(d, "clusters"), 0);
	json_t *a = json_object_get(member(cl, "192.0.2.11"), "annot");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(
	    json_string_value(json_array_get(json_array_get(a, 0), 1)),
	    "64500");
	assert_non_null(
	    strstr(json_string_value(json_array_get(json_array_get(a, 1), 1)),
		   "\\x01\\x1b[31m"));
	assert_null(json_object_get(member(cl, "192.0.2.10"), "annot"));
	assert_string_equal(json_string_value(json_object_get(cl, "remark")),
			    "upstreams: AS64501 \\x1b");
	/* sweep runs and the last diff's events, from the JSON object */
	json_t *run = json_array_get(json_object_get(cl, "history"), 0);
	assert_int_equal(json_integer_value(json_object_get(run, "size")), 3);
	assert_string_equal(json_string_value(json_object_get(run, "note")),
			    "<b>\\x01");
	assert_int_equal(json_array_size(json_object_get(cl, "events")), 1);
	assert_null(json_object_get(cl, "other"));
	json_decref(d);
	free(hosts);
	free(cls);
	bph_clustering_free(c);
}

/* The text of the element opened by open (its first occurrence at or
 * after *from), up to close; advances *from. A new string. */
static char *inner(const char *page, const char **from, const char *open,
		   const char *close)
{
	const char *a = strstr(*from, open), *b;

	assert_non_null(a);
	a += strlen(open);
	b = strstr(a, close);
	assert_non_null(b);
	*from = b;
	(void)page;
	return strndup(a, (size_t)(b - a));
}

/* Asserts that csp lists 'sha256-<base64 of s>'. */
static void expect_hash(const char *csp, const char *s)
{
	unsigned char md[EVP_MAX_MD_SIZE], b64[64];
	unsigned int n = 0;
	char want[96];

	EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
	EVP_EncodeBlock(b64, md, (int)n);
	snprintf(want, sizeof(want), "'sha256-%s'", (const char *)b64);
	assert_non_null(strstr(csp, want));
}

static void test_page(void **state)
{
	(void)state;
	struct bph_clustering *c = sample();
	struct bph_export_opts o = {.seed = "192.0.2.12"};
	char *buf = NULL, err[256] = "";
	size_t len = 0, scripts = 0;
	FILE *f = open_memstream(&buf, &len);

	FILE *d3js = fopen("/usr/share/javascript/d3/d3.min.js", "r");

	if (d3js)
		fclose(d3js);
	else {
		fclose(f);
		free(buf);
		bph_clustering_free(c);
		skip(); /* libjs-d3 not installed (tests/install-deps.sh) */
	}
	assert_int_equal(
	    bph_export_write_opts(c, "html", &o, f, err, sizeof(err)), 0);
	fclose(f);
	assert_memory_equal(buf, "<!DOCTYPE html>", 15);
	for (const char *p = buf; (p = strstr(p, "<script")); p++)
		scripts++;
	assert_int_equal(scripts, 3); /* data, d3, page.js: nothing else */
	const char *at = buf;
	char *csp =
	    inner(buf, &at, "Content-Security-Policy\" content=\"", "\">");
	assert_non_null(strstr(csp, "default-src 'none';"));
	assert_null(strstr(csp, "unsafe"));
	char *style = inner(buf, &at, "<style>", "</style>");
	char *data = inner(buf, &at,
			   "<script type=\"application/json\" "
			   "id=\"bph-data\">",
			   "</script>");
	char *d3 = inner(buf, &at, "<script>", "</script>");
	char *app = inner(buf, &at, "<script>", "</script>");
	expect_hash(csp, style);
	expect_hash(csp, d3);
	expect_hash(csp, app);
	/* the data: no '<', '>' or '&' at all; parses to the document */
	assert_null(strpbrk(data, "<>&"));
	json_t *got = json_loads(data, 0, NULL);
	json_t *doc = bph_export_html_data(c, &o);
	char *text = json_dumps(doc, JSON_REAL_PRECISION(6)); /* as written */
	json_t *want = json_loads(text, 0, NULL);
	free(text);
	json_decref(doc);
	assert_non_null(got);
	assert_true(json_equal(got, want));
	json_decref(got);
	json_decref(want);
	assert_non_null(strstr(buf, "Michael Bostock")); /* d3's licence */
	free(csp);
	free(style);
	free(data);
	free(d3);
	free(app);
	free(buf);
	bph_clustering_free(c);
}

/* page.js puts data into the page as text only. */
static void test_page_js_text_only(void **state)
{
	(void)state;
	static const char *const banned[] = {
	    "innerHTML",      "outerHTML",	"insertAdjacentHTML",
	    "document.write", "eval(",		"Function(",
	    ".html(",	      "XMLHttpRequest", "fetch(",
	    "WebSocket",      "sendBeacon",	"import("};
	const char *src = getenv("BPH_SRCDIR");
	char path[1024], *js = NULL;
	size_t len = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cluster/html/page.js",
		 src ? src : ".");
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&js, &len, '\0', f) > 0);
	fclose(f);
	for (size_t i = 0; i < sizeof(banned) / sizeof(*banned); i++)
		if (strstr(js, banned[i]))
			fail_msg("page.js uses %s", banned[i]);
	free(js);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_data_seed),
	    cmocka_unit_test(test_data_all),
	    cmocka_unit_test(test_data_annot),
	    cmocka_unit_test(test_page),
	    cmocka_unit_test(test_page_js_text_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
