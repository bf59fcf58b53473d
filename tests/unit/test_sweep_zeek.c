/* export --format zeek-intel (cluster/export_zeek.c) read back by the
 * watch loader (sweep/watch_load.c): what bphound writes for Zeek is a
 * valid intel file that a sweep's watch can use again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster.h"
#include "cluster/export.h"
#include "fingerprints/err.h"
#include "sweep/watch.h"

#define SHA1 "0123456789abcdef0123456789abcdef01234567"
#define MD5  "9a:2f:3c:44:5d:6e:7f:80:91:a2:b3:c4:d5:e6:f7:08"

/* The hosts' hashes as a store gives them: every host asked for at once,
 * each host's in order. */
static int hashes(void *ctx, const char *const *hosts, size_t n,
		  void (*add)(void *, size_t, const char *, const char *),
		  void *actx)
{
	(void)ctx;
	for (size_t i = 0; i < n; i++) {
		add(actx, i, "cert_sha1", SHA1); /* the same on every member:
						    once */
		add(actx, i, "ssh_hostkey_md5", MD5);
		add(actx, i, "title", "never written");
		if (!strcmp(hosts[i], "198.18.10.11"))
			add(actx, i, "cert_sha1",
			    "ffffffffffffffffffffffffffffffffffffffff");
	}
	return 0;
}

static struct bph_clustering *two_clusters(void)
{
	struct bph_graph *g = bph_graph_new();
	struct bph_clustering *c = NULL;
	const char *a[] = {"198.18.10.10", "198.18.10.11", "198.18.10.12"};
	for (int i = 0; i < 3; i++)
		assert_int_equal(bph_graph_add(g, a[i], "ssh_hostkey",
					       "SHA256:providerA", 22, 1),
				 0);
	assert_int_equal(
	    bph_graph_add(g, "198.18.20.5", "ssh_hostkey", "SHA256:B", 22, 1),
	    0);
	assert_int_equal(
	    bph_graph_add(g, "198.18.20.6", "ssh_hostkey", "SHA256:B", 22, 1),
	    0);
	assert_int_equal(bph_graph_add_host(g, "198.18.30.1"), 0);
	struct bph_cluster_opts o;
	bph_cluster_opts_default(&o);
	o.use_default_common = false;
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	bph_cluster_opts_clear(&o);
	bph_graph_free(g);
	return c;
}

static char *export(const struct bph_clustering *c, const char *seed)
{
	struct bph_export_opts eo = {.seed = seed, .hosts_hashes = hashes};
	char *buf = NULL, err[128] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(
	    bph_export_write_opts(c, "zeek-intel", &eo, f, err, sizeof(err)),
	    0);
	fclose(f);
	return buf;
}

static size_t count(const struct bph_watchlist *w, enum bph_watch_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < w->n; i++)
		n += w->v[i].kind == k;
	return n;
}

static void test_seed(void **state)
{
	(void)state;
	struct bph_clustering *c = two_clusters();
	char *text = export(c, "198.18.10.11");
	struct bph_watchlist w = {0};
	char err[256] = "";
	int rc = bph_watch_load_mem(&w, "x.intel", text, strlen(text), err,
				    sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n%s", err, text);
	assert_int_equal(rc, 0);
	assert_int_equal(count(&w, BPH_WK_IP), 3); /* the seed's cluster */
	assert_int_equal(count(&w, BPH_WK_CERT_SHA1), 2);
	assert_int_equal(count(&w, BPH_WK_SSH_HOSTKEY_MD5), 1);
	assert_null(strstr(text, "198.18.20.5"));
	assert_null(strstr(text, "never written"));
	assert_non_null(strstr(text, "198.18.10.10\tIntel::ADDR\tbphound\t"));
	for (size_t i = 0; i < w.n; i++)
		assert_string_equal(w.v[i].source, "bphound");
	bph_watch_clear(&w);
	free(text);
	bph_clustering_free(c);
}

static void test_all(void **state)
{
	(void)state;
	struct bph_clustering *c = two_clusters();
	char *text = export(c, NULL);
	struct bph_watchlist w = {0};
	char err[256] = "";
	assert_int_equal(bph_watch_load_mem(&w, "x.intel", text, strlen(text),
					    err, sizeof(err)),
			 0);
	/* both multi-host clusters, not the singleton; hashes per cluster */
	assert_int_equal(count(&w, BPH_WK_IP), 5);
	assert_null(strstr(text, "198.18.30.1\t"));
	assert_int_equal(count(&w, BPH_WK_CERT_SHA1), 3);
	/* each value once per cluster: SHA1 is on all five members */
	size_t lines = 0;
	for (const char *p = text; (p = strstr(p, SHA1 "\tIntel::")); p++)
		lines++;
	assert_int_equal(lines, 2);
	bph_watch_clear(&w);
	free(text);
	bph_clustering_free(c);
}

/* An address's meta.desc carries its annotations (issue 12: every export);
 * a value with a TAB or a newline cannot add a field or a line. */
static void test_annotations(void **state)
{
	(void)state;
	struct bph_clustering *c = two_clusters();
	long h = bph_clustering_host(c, "198.18.10.10");
	const struct bph_annot_attr attrs[] = {
	    {"asn", "64500"}, {"as_name", "EVIL\tNET\nx"}, {"listed", ""}};
	struct bph_annot *hosts = calloc(c->n_hosts, sizeof(*hosts));
	assert_non_null(hosts);
	assert_true(h >= 0);
	hosts[h].attrs = attrs;
	hosts[h].n_attrs = 3;
	struct bph_annotations an = {.hosts = hosts, .n_hosts = c->n_hosts};
	struct bph_export_opts eo = {.hosts_hashes = hashes, .annot = &an};
	char *buf = NULL, err[128] = "";
	size_t len = 0, lines = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(
	    bph_export_write_opts(c, "zeek-intel", &eo, f, err, sizeof(err)),
	    0);
	fclose(f);
	assert_non_null(strstr(buf, "198.18.10.10\tIntel::ADDR\tbphound\t"
				    "cluster 1 (3 hosts); asn=64500; "
				    "as_name=EVIL NET x\n"));
	assert_null(strstr(buf, "listed="));
	assert_non_null(strstr(buf, "198.18.10.11\tIntel::ADDR\tbphound\t"
				    "cluster 1 (3 hosts)\n"));
	for (const char *p = buf; *p; p++)
		lines += *p == '\n';
	struct bph_watchlist w = {0};
	assert_int_equal(
	    bph_watch_load_mem(&w, "x.intel", buf, len, err, sizeof(err)), 0);
	assert_int_equal(w.n + 1, lines); /* every line but #fields */
	bph_watch_clear(&w);
	free(buf);
	free(hosts);
	bph_clustering_free(c);
}

static int unreadable(void *ctx, const char *const *hosts, size_t n,
		      void (*add)(void *, size_t, const char *, const char *),
		      void *actx)
{
	(void)ctx, (void)hosts, (void)n, (void)add, (void)actx;
	return BPH_ERR_FORMAT;
}

/* A store that cannot give the hashes fails the export with why, and
 * nothing is written: a Zeek file without them would look complete. */
static void test_hashes_fail(void **state)
{
	(void)state;
	struct bph_clustering *c = two_clusters();
	struct bph_export_opts eo = {.hosts_hashes = unreadable};
	char *buf = NULL, err[128] = "";
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(
	    bph_export_write_opts(c, "zeek-intel", &eo, f, err, sizeof(err)),
	    BPH_ERR_FORMAT);
	fclose(f);
	assert_int_equal(len, 0);
	assert_non_null(strstr(err, "reading the hosts' hashes: "));
	free(buf);
	bph_clustering_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed),
	    cmocka_unit_test(test_all),
	    cmocka_unit_test(test_annotations),
	    cmocka_unit_test(test_hashes_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
