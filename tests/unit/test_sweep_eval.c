/*
 * test_sweep_eval.c - a run's stored evaluation reused by diff
 * (sweep/reuse.c): a store with two runs evaluated and committed as
 * `sweep run` does, then run 2 evaluated again as `diff` does. The reused
 * hits and members (with the evidence stored for a new member) must give
 * the same events as recomputing them from the run's stored index
 * (sweep/runidx.h) and as from its records (the index made corrupt);
 * reuse is refused under another key or when a watch expired since the
 * run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprints/err.h"
#include "store/store.h"
#include "sweep/cwatch.h"
#include "sweep/hits.h"
#include "sweep/runidx.h"
#include "sweep/sweep.h"

#define T0 1795000000

struct lab {
	char dir[64], path[128];
	struct bph_store *st;
	struct bph_sweep_config *cfg;
	struct bph_sweep_ctx x;
	bool indexed; /* the last events_text computed from the index */
};

static void put_file(const struct lab *l, const char *name, const char *text)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", l->dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Host 198.18.10.<h>: 443 with certificate c (its key too), 80 titled. */
static void host(struct bph_service *v, size_t *n, int h, char c,
		 const char *title, time_t seen)
{
	struct bph_service *s = &v[(*n)++];
	memset(s, 0, sizeof(*s));
	s->ip = 0xC6120A00u | (uint32_t)h;
	s->port = 443;
	s->state = BPH_STATE_OPEN;
	s->seen = seen;
	s->proto = strdup("tls");
	s->tls = bph_tls_info_new();
	memset(s->tls->cert_sha256, c, 64);
	memset(s->tls->spki_sha256, c, 64);
	memset(s->tls->cert_sha1, c, 40);
	s = &v[(*n)++];
	memset(s, 0, sizeof(*s));
	s->ip = 0xC6120A00u | (uint32_t)h;
	s->port = 80;
	s->state = BPH_STATE_OPEN;
	s->seen = seen;
	s->proto = strdup("http");
	s->http = bph_http_info_new();
	s->http->status = 200;
	s->http->title = strdup(title);
	s->http->server = strdup("nginx");
}

static void commit(struct lab *l, int64_t run, struct bph_eval *ev)
{
	struct bph_eval_commit c;

	assert_int_equal(bph_eval_commit(ev, &l->x, run, &c), 0);
	assert_int_equal(c.c.index != NULL, l->x.keep_index);
	assert_int_equal(bph_sweep_commit(l->st, &c.c), 0);
	bph_eval_commit_clear(&c);
}

/* One run: A (.5) and B (.6) share certificate 'a'; C (.7) alone; run 2
 * adds D (.8) on 'a' and retitles C. */
static int64_t one_run(struct lab *l, int r)
{
	struct bph_service v[16];
	size_t n = 0;
	int64_t run, scan;
	int n_int;
	struct bph_eval ev;
	char err[256] = "";
	time_t seen = T0 + r * 86400;

	host(v, &n, 5, 'a', "Panel", seen);
	host(v, &n, 6, 'a', "Panel", seen);
	host(v, &n, 7, 'c', r == 1 ? "Welcome" : "Changed", seen);
	if (r == 2)
		host(v, &n, 8, 'a', "Panel", seen);
	assert_int_equal(
	    bph_sweep_run_begin(l->st, "lab", l->cfg->sha256, 1, &run, &n_int),
	    0);
	assert_int_equal(bph_store_scan_begin(l->st, "sweep", "lab", &scan), 0);
	assert_int_equal(bph_store_put_all(l->st, scan, v, n), 0);
	assert_int_equal(bph_store_scan_end(l->st, scan), 0);
	assert_int_equal(bph_sweep_run_set_scan(l->st, run, scan,
						"198.18.10.0-198.18.10.255",
						"80,443", seen + 60),
			 0);
	for (size_t i = 0; i < n; i++)
		bph_service_clear(&v[i]);
	assert_int_equal(
	    bph_sweep_evaluate(&l->x, 0, run, &ev, err, sizeof(err)), 0);
	commit(l, run, &ev);
	bph_eval_clear(&ev);
	return run;
}

/* Every event of run `to` (evaluated as diff does), as JSON lines;
 * whether its stored evaluation was reused into *reused. */
static char *events_text(struct lab *l, int64_t to, bool *reused)
{
	struct bph_eval ev;
	char err[256] = "", *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(
	    bph_sweep_evaluate(&l->x, 0, to, &ev, err, sizeof(err)), 0);
	*reused = ev.reused;
	l->indexed = ev.indexed;
	for (size_t i = 0; i < ev.events.n; i++) {
		json_t *j = bph_event_to_json(&ev.events, &ev.events.v[i]);
		char *s = json_dumps(j, JSON_COMPACT);
		fprintf(f, "%s\n", s);
		free(s);
		json_decref(j);
	}
	bph_eval_clear(&ev);
	fclose(f);
	return out;
}

struct bad_out {
	const unsigned char *p;
	size_t len;
};

static int bad_chunk(void *ctx, size_t i, const void **data, size_t *len,
		     size_t *n)
{
	const struct bad_out *b = ctx;
	(void)i;
	*data = b->p;
	*len = b->len;
	*n = 1;
	return 0;
}

static void test_reuse_same_events(void **state)
{
	struct lab l = {0};
	char err[256] = "";
	bool reused = false;
	(void)state;

	strcpy(l.dir, "/tmp/bph-seval.XXXXXX");
	assert_non_null(mkdtemp(l.dir));
	put_file(&l, "watch.yaml",
		 "version: 1\nsource: t\nentries:\n"
		 "  - {kind: title, value: Changed, severity: high}\n"
		 "  - {kind: ip, value: 198.18.10.6, expires: 2027-01-01}\n");
	put_file(&l, "lab.yaml",
		 "name: lab\ndb: lab.db\ndiff: {absent_after: 1}\n"
		 "targets: {cidrs: [198.18.10.0/24]}\nports: [80, 443]\n"
		 "watch:\n  files: [watch.yaml]\n  clusters:\n"
		 "    - name: prov\n      anchor: {hosts: [198.18.10.5]}\n");
	snprintf(l.path, sizeof(l.path), "%s/lab.yaml", l.dir);
	assert_int_equal(
	    bph_sweep_config_load(l.path, &l.cfg, err, sizeof(err)), 0);
	snprintf(l.path, sizeof(l.path), "%s/lab.db", l.dir);
	assert_int_equal(
	    bph_store_open(l.path, BPH_STORE_WRITE, &l.st, err, sizeof(err)),
	    0);
	assert_int_equal(
	    bph_sweep_ctx_init(&l.x, l.st, l.cfg, err, sizeof(err)), 0);
	l.x.now = T0 + 2 * 86400;
	l.x.keep_index = true; /* as sweep run: each run with its index */
	one_run(&l, 1);
	int64_t run2 = one_run(&l, 2);

	char *stored = events_text(&l, run2, &reused);
	assert_true(reused);
	assert_non_null(strstr(stored, "\"type\":\"watch.hit\""));
	assert_non_null(strstr(stored, "\"type\":\"cluster.member_added\""));
	assert_non_null(strstr(stored, "\"with\":\"198.18.10.5\""));
	assert_non_null(strstr(stored, "\"type\":\"http.changed\""));

	/* another key: recomputed from the records, the same events */
	char key[65];
	memcpy(key, l.x.eval_key, sizeof(key));
	l.x.eval_key[0] = l.x.eval_key[0] == '0' ? '1' : '0';
	char *computed = events_text(&l, run2, &reused);
	assert_false(reused);
	assert_true(l.indexed); /* from run 2's index, not its records */
	assert_string_equal(stored, computed);

	/* a corrupt index: the records decide, the same events */
	static const unsigned char bad[] = {'H', 1, 9, 9};
	struct bad_out b = {bad, sizeof(bad)};
	struct bph_sweep_snap_out bo = {BPH_RUNIDX_FORMAT, 1, bad_chunk, &b};
	assert_int_equal(bph_sweep_index_put(l.st, run2, &bo), 0);
	char *from_records = events_text(&l, run2, &reused);
	assert_false(reused);
	assert_false(l.indexed);
	assert_string_equal(stored, from_records);
	free(from_records);
	memcpy(l.x.eval_key, key, sizeof(key));

	/* the ip watch expired since the run: not reused */
	l.x.now = T0 + 400 * 86400;
	free(events_text(&l, run2, &reused));
	assert_false(reused);

	free(stored);
	free(computed);
	bph_sweep_ctx_clear(&l.x);
	bph_store_close(l.st);
	bph_sweep_config_free(l.cfg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", l.dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuse_same_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
