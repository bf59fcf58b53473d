#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "fingerprints/common.h"
#include "fingerprints/err.h"

static void test_shipped_list(void **state)
{
	(void)state;
	struct bph_common *c = NULL;
	char err[256] = "";
	assert_int_equal(
	    bph_common_load(bph_common_default_path(), &c, err, sizeof(err)),
	    0);
	assert_non_null(bph_common_find(c, "title", "Welcome to nginx!"));
	/* sha256sum /var/www/html/index.nginx-debian.html on Debian 12 */
	assert_non_null(bph_common_find(c, "body_sha256",
					"fb47468a2cd3953c7131431991afcc6a2703f1"
					"4640520102eea0a685a7e8d6de"));
	assert_non_null(bph_common_find(
	    c, "jarm",
	    "00000000000000000000000000000000000000000000000000000000000000"));
	assert_null(bph_common_find(c, "title", "Welcome to nginx"));
	assert_null(bph_common_find(c, "jarm", "Welcome to nginx!"));
	assert_null(bph_common_find(NULL, "title", "x"));
	bph_common_free(c);
	bph_common_free(NULL);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/bph-common-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void expect_error(const char *text, const char *where, const char *what)
{
	struct bph_common *c = NULL;
	char err[256] = "", want[300];
	char *path = write_tmp(text);
	assert_int_equal(bph_common_load(path, &c, err, sizeof(err)),
			 BPH_ERR_FORMAT);
	assert_null(c);
	snprintf(want, sizeof(want), "%s:%s: ", path, where);
	assert_memory_equal(err, want, strlen(want));
	assert_non_null(strstr(err, what));
	unlink(path);
	free(path);
}

static void test_errors_name_line_and_column(void **state)
{
	(void)state;
	expect_error("common:\n  - kind: title\n    colour: red\n", "3:13",
		     "unknown key");
	expect_error("common:\n  - kind: title\n", "2:5", "needs a kind");
	expect_error("common:\n  - [a, b]\n", "2:5", "expected a {kind");
	expect_error("commons: []\n", "1:1", "expected the key 'common'");
	expect_error("common:\n  - kind: \"unterminated\n", "3:1",
		     "unexpected end of stream");
	struct bph_common *c = NULL;
	char err[256];
	assert_int_equal(
	    bph_common_load("/nonexistent/x.yaml", &c, err, sizeof(err)),
	    BPH_ERR_IO);
}

static void test_user_list_changes_linking(void **state)
{
	(void)state;
	struct bph_graph *g = bph_graph_new();
	struct bph_cluster_opts o;
	struct bph_clustering *c = NULL;
	char err[256] = "";
	char *path = write_tmp("# mine\ncommon:\n  - kind: ssh_hostkey\n"
			       "    value: SHA256:k\n    note: lab key\n");
	bph_graph_add(g, "10.0.0.1", "ssh_hostkey", "SHA256:k", 22, 1);
	bph_graph_add(g, "10.0.0.2", "ssh_hostkey", "SHA256:k", 22, 1);
	bph_graph_add_host(g, "10.0.0.3");
	bph_cluster_opts_default(&o);
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	assert_int_equal(c->n_links, 1);
	assert_int_equal(c->n_clusters, 2);
	bph_clustering_free(c);
	assert_int_equal(
	    bph_cluster_opts_load_common(&o, path, err, sizeof(err)), 0);
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	assert_int_equal(c->n_links, 0);
	assert_int_equal(c->n_clusters, 3);
	bph_clustering_free(c);
	/* The user's entries add to the shipped list, never replace it. */
	assert_non_null(bph_common_find(o.common, "ssh_hostkey", "SHA256:k"));
	assert_non_null(
	    bph_common_find(o.common, "title", "Welcome to nginx!"));
	bph_cluster_opts_clear(&o);
	bph_graph_free(g);
	unlink(path);
	free(path);
}

/* Many artifacts of every registry kind and of kinds the clustering does
 * not know, their hashes interleaving the unknown kinds: each artifact's
 * kind entry and its common-list verdict are the ones looked up by
 * name (the clustering tells a kind from the one before by its rank). */
static void test_kinds_of_many_artifacts(void **state)
{
	(void)state;
	static const char *const kinds[] = {
	    "ssh_hostkey", "cert_sha256", "title",  "jarm",   "server",
	    "tcp_sig",	   "zz_one",	  "zz_two", "aa_odd", "netblock"};
	static const char *const values[] = {"Welcome to nginx!", "v1", "v2",
					     "v3", "SHA256:k"};
	struct bph_graph *g = bph_graph_new();
	struct bph_cluster_opts o;
	struct bph_clustering *c = NULL;
	char err[256] = "", host[32], value[64];
	char *path = write_tmp("common:\n  - kind: zz_one\n    value: v1\n"
			       "  - kind: ssh_hostkey\n    value: SHA256:k\n");
	uint64_t x = 7;
	size_t n_kinds = sizeof(kinds) / sizeof(*kinds);

	assert_non_null(g);
	for (int i = 0; i < 6000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		const char *kind = kinds[(x >> 33) % n_kinds];
		snprintf(host, sizeof(host), "10.0.%u.%u",
			 (unsigned)(x >> 20) % 4, (unsigned)(x >> 40) % 50);
		if ((x >> 50) % 3)
			snprintf(value, sizeof(value), "%s",
				 values[(x >> 45) % 5]);
		else
			snprintf(value, sizeof(value), "u%u",
				 (unsigned)(x >> 24) % 997);
		assert_int_equal(bph_graph_add(g, host, kind, value, 80, 1), 0);
	}
	bph_cluster_opts_default(&o);
	assert_int_equal(
	    bph_cluster_opts_load_common(&o, path, err, sizeof(err)), 0);
	assert_int_equal(bph_cluster_run(g, &o, &c), 0);
	assert_true(c->n_arts > 1000);
	for (size_t a = 0; a < c->n_arts; a++) {
		const struct bph_art_stat *s = &c->arts[a];
		bool common =
		    s->why_zero &&
		    !strcmp(s->why_zero, "on the common-artifacts list");
		assert_ptr_equal(s->info, bph_kind_lookup(s->kind));
		assert_int_equal(common,
				 s->info && bph_common_find(o.common, s->kind,
							    s->value) != NULL);
	}
	bph_clustering_free(c);
	bph_cluster_opts_clear(&o);
	bph_graph_free(g);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped_list),
	    cmocka_unit_test(test_errors_name_line_and_column),
	    cmocka_unit_test(test_user_list_changes_linking),
	    cmocka_unit_test(test_kinds_of_many_artifacts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
