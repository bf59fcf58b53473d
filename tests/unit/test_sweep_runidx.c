/*
 * test_sweep_runidx.c - a run's index (sweep/runidx.h) encoded into its
 * chunks and read back: the graph must come back equal (hosts, artifacts,
 * incidences and their times, in order) also when its sections span
 * several chunks; the services whose terms a watch entry shares become
 * candidates (an address watch gives its hits at once); a graph is not
 * read when it is not wanted, and an index without one is "not found"
 * when it is; a section cut short is a format error. A graph encoded
 * ahead (bph_runidx_encode_graph, then freed) gives the bytes
 * bph_runidx_set_graph's index gives at the commit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "sweep/hits.h"
#include "sweep/runidx.h"
#include "testlib/testlib.h"

#define T0    1795000000
#define HOSTS 16000 /* 10 incidences each: the incidences span chunks */

static struct bph_graph *big_graph(void)
{
	struct bph_graph *g = bph_graph_new();
	char host[16], val[32];

	assert_non_null(g);
	for (uint32_t h = 0; h < HOSTS; h++) {
		bph_ip_str(0xC6120000u + h, host);
		for (int a = 0; a < 10; a++) {
			snprintf(val, sizeof(val), "v%u",
				 (h * 7 + (uint32_t)a) % 5000);
			assert_int_equal(bph_graph_add(g, host,
						       a & 1 ? "title" : "jarm",
						       val, (uint16_t)(80 + a),
						       T0 - (int64_t)h * 3 + a),
					 0);
		}
	}
	return g;
}

/* Every chunk of ix, each passed to the reader of L. */
static int read_back(struct bph_runidx *ix, struct bph_runidx_load *L,
		     size_t *n_chunks, bool *found)
{
	struct bph_sweep_snap_out out;
	struct bph_runidx_reader *r = bph_runidx_reader_new(L);
	int rc = 0;

	assert_non_null(r);
	bph_runidx_out(ix, &out);
	*n_chunks = 0;
	*found = true;
	for (size_t i = 0; !rc; i++) {
		const void *data;
		size_t len, n;
		assert_int_equal(out.chunk(out.ctx, i, &data, &len, &n), 0);
		if (!len)
			break;
		rc = bph_runidx_chunk(r, data, len, n);
		++*n_chunks;
	}
	return bph_runidx_end(r, rc, found);
}

static void http(struct bph_service *s, uint32_t ip, const char *title)
{
	memset(s, 0, sizeof(*s));
	s->ip = ip;
	s->port = 80;
	s->state = BPH_STATE_OPEN;
	s->seen = T0;
	s->http = bph_http_info_new();
	s->http->title = strdup(title);
}

static void load_watches(struct bph_watchlist *w)
{
	static const char y[] = "version: 1\nsource: t\nentries:\n"
				"  - {kind: title, value: Panel}\n"
				"  - {kind: ip, value: 198.18.0.7}\n";
	char err[256];

	assert_int_equal(
	    bph_watch_load_mem(w, "w.yaml", y, sizeof(y) - 1, err, sizeof(err)),
	    0);
	assert_int_equal(bph_watch_finish(w), 0);
}

static void test_round_trip(void **state)
{
	struct bph_graph *g = big_graph(), *copy = big_graph();
	struct bph_runidx *ix = bph_runidx_new();
	struct bph_watchlist w = {0};
	struct bph_run_state st = {0};
	struct bph_runidx_load L = {.w = &w, .want_graph = true, .state = &st};
	struct bph_service s;
	size_t n_chunks;
	bool found;
	(void)state;

	load_watches(&w);
	assert_non_null(ix);
	for (uint32_t h = 5; h < 9; h++) { /* .6 titled Panel; .7 watched */
		http(&s, 0xC6120000u + h, h == 6 ? "Panel" : "Welcome");
		assert_int_equal(bph_runidx_service(ix, &s), 0);
		bph_service_clear(&s);
	}
	bph_runidx_set_graph(ix, g);
	assert_int_equal(read_back(ix, &L, &n_chunks, &found), 0);
	assert_true(found);
	assert_true(n_chunks > 6); /* head, kinds, arts, hosts, 2+ inc, terms */
	assert_non_null(L.g);
	bph_test_assert_same_graph(copy, L.g);
	assert_int_equal(L.n_cand, 1);
	assert_int_equal(L.cand[0].ip, 0xC6120006u);
	assert_int_equal(L.cand[0].port, 80);
	assert_int_equal(st.n_hits, 1); /* the address watch */
	assert_int_equal(st.hits[0].ip, 0xC6120007u);
	assert_int_equal(st.hits[0].port, -1);
	bph_runidx_load_clear(&L);
	bph_run_state_clear(&st);

	/* the graph not wanted: not built, the terms still read */
	L.want_graph = false;
	assert_int_equal(read_back(ix, &L, &n_chunks, &found), 0);
	assert_true(found);
	assert_null(L.g);
	assert_int_equal(L.n_cand, 1);
	bph_runidx_load_clear(&L);
	bph_run_state_clear(&st);
	bph_runidx_free(ix);
	bph_graph_free(copy);
	bph_watch_clear(&w);
}

static void test_no_graph_and_cut(void **state)
{
	struct bph_runidx *ix = bph_runidx_new();
	struct bph_watchlist w = {0};
	struct bph_run_state st = {0};
	struct bph_runidx_load L = {.w = &w, .want_graph = true, .state = &st};
	struct bph_sweep_snap_out out;
	const void *data;
	size_t len, n, n_chunks;
	bool found;
	(void)state;

	load_watches(&w);
	bph_runidx_set_graph(ix, NULL);
	assert_int_equal(read_back(ix, &L, &n_chunks, &found), 0);
	assert_false(found); /* no graph, and one is wanted */
	assert_null(L.g);

	/* a head promising one service, then nothing */
	struct bph_service s;
	http(&s, 0xC6120001u, "Welcome");
	assert_int_equal(bph_runidx_service(ix, &s), 0);
	bph_service_clear(&s);
	bph_runidx_out(ix, &out);
	assert_int_equal(out.chunk(out.ctx, 0, &data, &len, &n), 0);
	L.want_graph = false;
	struct bph_runidx_reader *r = bph_runidx_reader_new(&L);
	assert_int_equal(bph_runidx_chunk(r, data, len, n), 0);
	found = true;
	assert_int_equal(bph_runidx_end(r, 0, &found), BPH_ERR_FORMAT);
	bph_runidx_load_clear(&L);
	bph_run_state_clear(&st);
	bph_runidx_free(ix);
	bph_watch_clear(&w);
}

/* Every chunk of ix, as (entries, bytes) text. */
static char *chunks_text(struct bph_runidx *ix)
{
	struct bph_sweep_snap_out out;
	char *t = NULL;
	size_t tl = 0;
	FILE *f = open_memstream(&t, &tl);

	bph_runidx_out(ix, &out);
	bph_test_dump_chunks(f, &out);
	fclose(f);
	return t;
}

static void test_encoded_ahead(void **state)
{
	struct bph_runidx *a = bph_runidx_new(), *b = bph_runidx_new();
	struct bph_graph *ga = big_graph(), *gb = big_graph();
	struct bph_service s;
	(void)state;

	assert_non_null(a);
	assert_non_null(b);
	for (uint32_t h = 5; h < 9; h++) {
		http(&s, 0xC6120000u + h, h == 6 ? "Panel" : "Welcome");
		assert_int_equal(bph_runidx_service(a, &s), 0);
		assert_int_equal(bph_runidx_service(b, &s), 0);
		bph_service_clear(&s);
	}
	assert_int_equal(bph_runidx_encode_graph(b, gb), 0);
	bph_graph_free(gb); /* not kept by b */
	bph_runidx_set_graph(a, ga);
	char *ta = chunks_text(a), *tb = chunks_text(b);
	assert_true(strlen(ta) > 2 * 1024 * 1024); /* several chunks */
	assert_string_equal(ta, tb);
	free(tb);
	tb = chunks_text(b); /* served again, the same */
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	bph_runidx_free(a);
	bph_runidx_free(b);

	/* no graph: the head and terms alone, as before */
	a = bph_runidx_new();
	b = bph_runidx_new();
	http(&s, 0xC6120006u, "Panel");
	assert_int_equal(bph_runidx_service(a, &s), 0);
	assert_int_equal(bph_runidx_service(b, &s), 0);
	bph_service_clear(&s);
	assert_int_equal(bph_runidx_encode_graph(b, NULL), 0);
	ta = chunks_text(a);
	tb = chunks_text(b);
	assert_string_equal(ta, tb);
	free(ta);
	free(tb);
	bph_runidx_free(a);
	bph_runidx_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_no_graph_and_cut),
	    cmocka_unit_test(test_encoded_ahead),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
