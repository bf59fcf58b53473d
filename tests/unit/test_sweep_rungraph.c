/*
 * test_sweep_rungraph.c - a run's graph fed through sweep/rungraph.c
 * must equal the graph bph_graph_add_host() and bph_graph_add() per
 * artifact build from the same records (hosts, artifacts, incidences and
 * their times, in the same order): records in address order, a service
 * seen twice, a host past SWEEP_PEND_MAX incidences, a host out of
 * order, a title that needs cleaning, and an empty value refused alike.
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
#include "fingerprints/record.h"
#include "fingerprints/text.h"
#include "sweep/sweep_int.h"
#include "testlib/testlib.h"

#define T0 1795000000

/* 198.18.10.<h>:<port>, a TLS certificate c on 443, else HTTP titled. */
static void svc(struct bph_service *s, int h, uint16_t port, char c,
		const char *title, time_t seen)
{
	memset(s, 0, sizeof(*s));
	s->ip = 0xC6120A00u | (uint32_t)h;
	s->port = port;
	s->state = BPH_STATE_OPEN;
	s->seen = seen;
	if (port == 443) {
		s->proto = strdup("tls");
		s->tls = bph_tls_info_new();
		memset(s->tls->cert_sha256, c, 64);
		memset(s->tls->spki_sha256, c, 64);
		memset(s->tls->cert_sha1, c, 40);
		return;
	}
	s->proto = strdup("http");
	s->http = bph_http_info_new();
	s->http->status = 200;
	s->http->title = strdup(title);
	s->http->server = strdup("nginx");
}

struct ref {
	struct bph_graph *g;
	const char *host;
	int64_t seen;
	int rc;
};

static void ref_art(void *vctx, const char *kind, const char *value,
		    uint16_t port)
{
	struct ref *r = vctx;
	char *clean = bph_text_clean(value, BPH_TEXT_UTF8);

	assert_non_null(clean);
	if (!r->rc)
		r->rc =
		    bph_graph_add(r->g, r->host, kind, clean, port, r->seen);
	free(clean);
}

/* The graph as eval.c built it before rungraph.c. */
static int ref_service(struct bph_graph *g, const struct bph_service *s)
{
	char host[16];
	struct ref r = {g, host, (int64_t)s->seen, 0};

	bph_ip_str(s->ip, host);
	r.rc = bph_graph_add_host(g, host);
	if (!r.rc)
		bph_service_artifacts(s, ref_art, &r);
	return r.rc;
}

/* Feeds v[0..n) both ways; returns the first failure of each. */
static void both(const struct bph_service *v, size_t n, int *rc_ref,
		 int *rc_run)
{
	struct bph_graph *a = bph_graph_new(), *b = bph_graph_new();
	struct sweep_rungraph r;

	assert_non_null(a);
	assert_non_null(b);
	sweep_rungraph_init(&r, b);
	*rc_ref = *rc_run = 0;
	for (size_t i = 0; i < n; i++) {
		if (!*rc_ref)
			*rc_ref = ref_service(a, &v[i]);
		if (!*rc_run)
			*rc_run = sweep_rungraph_service(&r, &v[i]);
	}
	if (!*rc_run)
		*rc_run = sweep_rungraph_finish(&r);
	sweep_rungraph_clear(&r);
	if (!*rc_ref && !*rc_run)
		bph_test_assert_same_graph(a, b);
	bph_graph_free(a);
	bph_graph_free(b);
}

static void test_same_graph(void **state)
{
	(void)state;
	struct bph_service v[80], w[80]; /* w: v's services, borrowed */
	size_t n = 0;
	char title[32];
	int rc_ref, rc_run;

	for (int h = 1; h <= 4; h++) {
		svc(&v[n++], h, 80, 0, h % 2 ? "Shop" : "Bad \xff title",
		    T0 + h);
		svc(&v[n++], h, 443, (char)('a' + h % 2), NULL, T0 + h);
		svc(&v[n++], h, 443, (char)('a' + h % 2), NULL, T0 - h);
	}
	svc(&v[n++], 7, 80, 0, "Shop", T0);
	svc(&v[n++], 8, 443, 'a', NULL, T0 + 9);
	svc(&v[n++], 3, 80, 0, "Shop", T0 + 99); /* out of address order */
	svc(&v[n++], 8, 443, 'a', NULL, T0 - 9);
	svc(&v[n++], 9, 80, 0, "Shop", T0);
	for (int p = 0; p < 40; p++) { /* 80 incidences: past PEND_MAX */
		snprintf(title, sizeof(title), "Panel %d", p % 3);
		svc(&v[n++], 20, (uint16_t)(8000 + p), 0, title, T0 + p);
	}
	svc(&v[n++], 21, 80, 0, "Panel 1", T0);
	svc(&v[n++], 21, 80, 0, "Panel 1", T0 + 1);
	assert_true(n <= sizeof(v) / sizeof(v[0]));

	both(v, 12, &rc_ref, &rc_run); /* address order only */
	assert_int_equal(rc_run, 0);
	assert_int_equal(rc_ref, 0);
	both(v, 17, &rc_ref, &rc_run); /* and a host out of order */
	assert_int_equal(rc_run, 0);
	memcpy(w, v, 12 * sizeof(*v)); /* a crowded host instead */
	memcpy(w + 12, v + 17, (n - 17) * sizeof(*v));
	both(w, n - 5, &rc_ref, &rc_run);
	assert_int_equal(rc_run, 0);
	both(v, n, &rc_ref, &rc_run); /* all */
	assert_int_equal(rc_run, 0);
	assert_int_equal(rc_ref, 0);

	free(v[0].http->title); /* an empty title: refused alike */
	v[0].http->title = strdup("");
	both(v, n, &rc_ref, &rc_run);
	assert_int_equal(rc_run, rc_ref);

	for (size_t i = 0; i < n; i++)
		bph_service_clear(&v[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_same_graph),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
