/*
 * test_sweep_eval.c - a run's stored evaluation reused by diff
 * (sweep/reuse.c): a store with two runs evaluated and committed as
 * `sweep run` does, then run 2 evaluated again as `diff` does. The reused
 * hits and members (with the evidence stored for a new member) must give
 * the same events as recomputing them from the run's stored index
 * (sweep/runidx.h) and as from its records (the index made corrupt);
 * reuse is refused under another key or when a watch expired since the
 * run; a run whose snapshot is stored in another format takes it from
 * its records and the rest from its index. Settings only the events read
 * keep the key (test_key_event_settings). `sweep run`'s own evaluation
 * of a run, from what a collector gathered as the scan stored the run
 * (struct bph_sweep_collector), must give the same events, snapshot,
 * index, hits and members as reading the run's records back (with
 * repeats, records the store held already, updates, closed ports and
 * invalid UTF-8 among them), and must be left for the records when it
 * did not see exactly what the store holds.
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
#include "testlib/testlib.h"

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

/* How store_run spoils what its collector sees (FEED_OK: not at all). */
enum feed_case {
	FEED_OK,
	FEED_UNORDERED,	 /* a second put of a lower address */
	FEED_UNSEEN,	 /* a record put into the scan past the collector */
	FEED_OTHER_SCAN, /* the collector marked done with another scan */
};

/*
 * Stores v (n records, cleared after) as a new run, as `sweep run`
 * does: a scan whose records are put with bph_store_put_all_each
 * feeding a collector, which then becomes l->x.fed. Returns the run;
 * the collector goes to *fed (the caller frees it).
 */
static int64_t store_run(struct lab *l, struct bph_service *v, size_t n,
			 enum feed_case how, time_t seen,
			 struct bph_sweep_collector **fed)
{
	struct bph_sweep_collector *c = bph_sweep_collector_new(&l->x);
	size_t half = how == FEED_UNORDERED ? n / 2 : 0;
	int64_t run, scan;
	int n_int;

	assert_non_null(c);
	assert_int_equal(
	    bph_sweep_run_begin(l->st, "lab", l->cfg->sha256, 1, &run, &n_int),
	    0);
	assert_int_equal(bph_store_scan_begin(l->st, "sweep", "lab", &scan), 0);
	assert_int_equal(bph_store_put_all_each(l->st, scan, v + half, n - half,
						bph_sweep_collector_feed, c),
			 0);
	if (half) /* FEED_UNORDERED: v's second half, then its first */
		assert_int_equal(
		    bph_store_put_all_each(l->st, scan, v, half,
					   bph_sweep_collector_feed, c),
		    0);
	if (how == FEED_UNSEEN) {
		struct bph_service extra = {.ip = 0xC6120A63u,
					    .port = 80,
					    .state = BPH_STATE_OPEN,
					    .seen = seen};
		assert_int_equal(bph_store_put(l->st, scan, &extra), 0);
	}
	assert_int_equal(bph_store_scan_end(l->st, scan), 0);
	assert_int_equal(bph_sweep_run_set_scan(l->st, run, scan,
						"198.18.10.0-198.18.10.255",
						"80,443", seen + 60),
			 0);
	for (size_t i = 0; i < n; i++)
		bph_service_clear(&v[i]);
	bph_sweep_collector_done(c, how == FEED_OTHER_SCAN ? scan + 9 : scan);
	l->x.fed = c;
	*fed = c;
	return run;
}

/* One run: A (.5) and B (.6) share certificate 'a'; C (.7) alone; run 2
 * adds D (.8) on 'a' and retitles C. Evaluated from what its collector
 * gathered, and committed, as `sweep run` does. */
static int64_t one_run(struct lab *l, int r)
{
	struct bph_service v[16];
	struct bph_sweep_collector *fed;
	size_t n = 0;
	struct bph_eval ev;
	char err[256] = "";
	time_t seen = T0 + r * 86400;

	host(v, &n, 5, 'a', "Panel", seen);
	host(v, &n, 6, 'a', "Panel", seen);
	host(v, &n, 7, 'c', r == 1 ? "Welcome" : "Changed", seen);
	if (r == 2)
		host(v, &n, 8, 'a', "Panel", seen);
	int64_t run = store_run(l, v, n, FEED_OK, seen, &fed);
	assert_int_equal(
	    bph_sweep_evaluate(&l->x, 0, run, &ev, err, sizeof(err)), 0);
	assert_true(ev.fed);
	commit(l, run, &ev);
	bph_eval_clear(&ev);
	l->x.fed = NULL;
	bph_sweep_collector_free(fed);
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

static void lab_open(struct lab *l)
{
	char err[256] = "";

	strcpy(l->dir, "/tmp/bph-seval.XXXXXX");
	assert_non_null(mkdtemp(l->dir));
	put_file(l, "watch.yaml",
		 "version: 1\nsource: t\nentries:\n"
		 "  - {kind: title, value: Changed, severity: high}\n"
		 "  - {kind: ip, value: 198.18.10.6, expires: 2027-01-01}\n");
	put_file(l, "lab.yaml",
		 "name: lab\ndb: lab.db\ndiff: {absent_after: 1}\n"
		 "targets: {cidrs: [198.18.10.0/24]}\nports: [80, 443]\n"
		 "watch:\n  files: [watch.yaml]\n  clusters:\n"
		 "    - name: prov\n      anchor: {hosts: [198.18.10.5]}\n");
	snprintf(l->path, sizeof(l->path), "%s/lab.yaml", l->dir);
	assert_int_equal(
	    bph_sweep_config_load(l->path, &l->cfg, err, sizeof(err)), 0);
	snprintf(l->path, sizeof(l->path), "%s/lab.db", l->dir);
	assert_int_equal(
	    bph_store_open(l->path, BPH_STORE_WRITE, &l->st, err, sizeof(err)),
	    0);
	assert_int_equal(
	    bph_sweep_ctx_init(&l->x, l->st, l->cfg, err, sizeof(err)), 0);
	l->x.now = T0 + 2 * 86400;
	l->x.keep_index = true; /* as sweep run: each run with its index */
}

static void lab_close(struct lab *l)
{
	char cmd[128];

	bph_sweep_ctx_clear(&l->x);
	bph_store_close(l->st);
	bph_sweep_config_free(l->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", l->dir);
	assert_int_equal(system(cmd), 0);
}

/* The lab opened and swept twice; returns run 2. */
static int64_t lab_two_runs(struct lab *l)
{
	lab_open(l);
	one_run(l, 1);
	return one_run(l, 2);
}

static void test_reuse_same_events(void **state)
{
	struct lab l = {0};
	bool reused = false;
	(void)state;

	int64_t run2 = lab_two_runs(&l);

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

	/* its snapshot stored in another format: the index still gives the
	 * hits and members, the records the snapshot; the same events */
	static const unsigned char bad[] = {'H', 1, 9, 9};
	struct bad_out b = {bad, sizeof(bad)};
	struct bph_sweep_snap_out so = {BPH_SNAP_FORMAT + 1, 1, bad_chunk, &b};
	assert_int_equal(bph_sweep_snap_put(l.st, run2, &so), 0);
	char *other_snap = events_text(&l, run2, &reused);
	assert_false(reused);
	assert_true(l.indexed);
	assert_string_equal(stored, other_snap);
	free(other_snap);

	/* a corrupt index: the records decide, the same events */
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
	lab_close(&l);
}

/* l's context rebuilt under the config text cfg (written as lab.yaml). */
static void lab_config(struct lab *l, const char *cfg)
{
	char err[256] = "", p[160];

	put_file(l, "lab.yaml", cfg);
	bph_sweep_ctx_clear(&l->x);
	bph_sweep_config_free(l->cfg);
	snprintf(p, sizeof(p), "%s/lab.yaml", l->dir);
	assert_int_equal(bph_sweep_config_load(p, &l->cfg, err, sizeof(err)),
			 0);
	assert_int_equal(
	    bph_sweep_ctx_init(&l->x, l->st, l->cfg, err, sizeof(err)), 0);
	l->x.now = T0 + 2 * 86400;
	l->x.keep_index = true;
}

/* Run 2 under l's config: reused as expected, and the same events as
 * computing it again (a key that differs) gives. Returns the events. */
static char *reused_as_computed(struct lab *l, int64_t run2, bool reuse)
{
	bool reused = !reuse;
	char key[65];
	char *stored = events_text(l, run2, &reused);

	assert_int_equal(reused, reuse);
	memcpy(key, l->x.eval_key, sizeof(key));
	l->x.eval_key[0] = l->x.eval_key[0] == '0' ? '1' : '0';
	char *computed = events_text(l, run2, &reused);
	assert_false(reused);
	assert_true(l->indexed);
	assert_string_equal(stored, computed);
	memcpy(l->x.eval_key, key, sizeof(key));
	free(computed);
	return stored;
}

#define LAB_HEAD                                                               \
	"name: lab\ndb: lab.db\n"                                              \
	"targets: {cidrs: [198.18.10.0/24]}\nports: [80, 443]\n"
/* lab_open's config without its diff setting */
#define LAB_PLAIN                                                              \
	LAB_HEAD "watch:\n  files: [watch.yaml]\n  clusters:\n"                \
		 "    - name: prov\n      anchor: {hosts: [198.18.10.5]}\n"

/*
 * The key holds only what the hits and members read. Settings the events
 * alone read (growth_pct, a tracked cluster's events, alerts, diff,
 * targets, the config's description) leave it as it was: run 2's stored
 * evaluation is reused, and gives the events computing it again gives
 * under that config (here a cluster.growth the stored run never showed).
 * A watch entry added, an anchor changed or a cluster renamed changes it:
 * run 2 is computed again.
 */
static void test_key_event_settings(void **state)
{
	struct lab l = {0};
	bool reused = false;
	(void)state;

	int64_t run2 = lab_two_runs(&l);
	char key[65];
	memcpy(key, l.x.eval_key, sizeof(key));
	char *base = events_text(&l, run2, &reused);
	assert_true(reused);
	assert_null(strstr(base, "cluster.growth"));

	lab_config(&l, LAB_HEAD
		   "description: other\ndiff: {absent_after: 2}\n"
		   "watch:\n  files: [watch.yaml]\n  clusters:\n"
		   "    - name: prov\n      anchor: {hosts: [198.18.10.5]}\n"
		   "      events: [member_removed]\n      growth_pct: 10\n"
		   "alerts: {min_severity: high}\n");
	assert_string_equal(l.x.eval_key, key);
	char *ev = reused_as_computed(&l, run2, true);
	assert_non_null(strstr(ev, "\"type\":\"cluster.growth\""));
	assert_null(strstr(ev, "cluster.member_added"));
	assert_string_not_equal(ev, base);
	free(ev);

	static const char *const other[] = {
	    /* a tracked cluster's anchor */
	    LAB_HEAD "watch:\n  files: [watch.yaml]\n  clusters:\n"
		     "    - name: prov\n      anchor: {hosts: [198.18.10.7]}\n",
	    /* its name */
	    LAB_HEAD
	    "watch:\n  files: [watch.yaml]\n  clusters:\n"
	    "    - name: prov2\n      anchor: {hosts: [198.18.10.5]}\n",
	    /* an anchor artifact added */
	    LAB_HEAD "watch:\n  files: [watch.yaml]\n  clusters:\n"
		     "    - name: prov\n      anchor: {hosts: [198.18.10.5], "
		     "artifacts: [{kind: title, value: Welcome}]}\n",
	    /* a watch file added, with an entry run 2 matches */
	    LAB_HEAD "watch:\n  files: [watch.yaml, more.yaml]\n"
		     "  clusters:\n"
		     "    - name: prov\n      anchor: {hosts: [198.18.10.5]}\n",
	};
	put_file(&l, "more.yaml",
		 "version: 1\nsource: m\nentries:\n"
		 "  - {kind: title, value: Panel, severity: low}\n");
	for (size_t i = 0; i < sizeof(other) / sizeof(*other); i++) {
		lab_config(&l, other[i]);
		assert_string_not_equal(l.x.eval_key, key);
		free(reused_as_computed(&l, run2, false));
	}
	char *more = events_text(&l, run2, &reused);
	assert_non_null(strstr(more, "\"value\":\"Panel\""));
	free(more);

	/* an entry added to the watch file itself */
	lab_config(&l, LAB_PLAIN);
	assert_string_equal(l.x.eval_key, key);
	put_file(&l, "watch.yaml",
		 "version: 1\nsource: t\nentries:\n"
		 "  - {kind: title, value: Changed, severity: high}\n"
		 "  - {kind: ip, value: 198.18.10.6, expires: 2027-01-01}\n"
		 "  - {kind: title, value: Panel}\n");
	lab_config(&l, LAB_PLAIN);
	assert_string_not_equal(l.x.eval_key, key);
	free(reused_as_computed(&l, run2, false));
	free(base);
	lab_close(&l);
}

/* The chunks of o as hex lines. */
static void dump_chunks(FILE *f, const struct bph_sweep_snap_out *o)
{
	fprintf(f, "format %d\n", o->format);
	bph_test_dump_chunks(f, o);
}

/* Run `to` evaluated (running still, as sweep run evaluates it): its
 * events and all that its commit would store, as text; whether it took
 * what l->x.fed gathered into *fed. */
static char *eval_dump(struct lab *l, int64_t to, bool *fed)
{
	struct bph_eval ev;
	struct bph_eval_commit c;
	char err[256] = "", *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_int_equal(
	    bph_sweep_evaluate(&l->x, 0, to, &ev, err, sizeof(err)), 0);
	*fed = ev.fed;
	for (size_t i = 0; i < ev.events.n; i++) {
		json_t *j = bph_event_to_json(&ev.events, &ev.events.v[i]);
		char *t = json_dumps(j, JSON_COMPACT);
		fprintf(f, "%s\n", t);
		free(t);
		json_decref(j);
	}
	assert_int_equal(bph_eval_commit(&ev, &l->x, to, &c), 0);
	assert_non_null(c.c.index);
	fprintf(f, "hosts %lld services %lld\n", (long long)c.c.hosts,
		(long long)c.c.services);
	for (size_t i = 0; i < c.c.n_hits; i++)
		fprintf(f, "hit %s %u %d\n", c.c.hits[i].watch, c.c.hits[i].ip,
			c.c.hits[i].port);
	for (size_t i = 0; i < c.c.n_members; i++)
		fprintf(f, "member %s %u %s\n", c.c.member_cluster[i],
			c.c.member_ip[i],
			c.c.member_evidence[i] ? c.c.member_evidence[i] : "-");
	dump_chunks(f, c.c.snap);
	dump_chunks(f, c.c.index);
	bph_eval_commit_clear(&c);
	bph_eval_clear(&ev);
	fclose(f);
	return out;
}

/* Run `to` evaluated with what l->x.fed gathered, then from its records
 * read back: the same events, hits, members, snapshot and index. Then
 * committed. Returns whether the first took what was fed. */
static bool fed_as_records(struct lab *l, int64_t to,
			   struct bph_sweep_collector *c)
{
	struct bph_eval ev;
	char err[256] = "";
	bool fed, fed2;
	char *a = eval_dump(l, to, &fed);

	l->x.fed = NULL;
	char *b = eval_dump(l, to, &fed2);
	assert_false(fed2);
	assert_string_equal(a, b);
	assert_non_null(strstr(a, "hosts "));
	free(a);
	free(b);
	assert_int_equal(
	    bph_sweep_evaluate(&l->x, 0, to, &ev, err, sizeof(err)), 0);
	commit(l, to, &ev);
	bph_eval_clear(&ev);
	bph_sweep_collector_free(c);
	return fed;
}

/* Run 2's records as a live scan may leave them: in no order, a record
 * twice, one the store holds already (run 1's, unchanged), a port seen
 * twice with another title, a closed port, and a title of markup,
 * control bytes and invalid UTF-8 (cleaned on its way into the store).
 * What `sweep run` gathers as the store writes them must be what the
 * records read back give. */
static void test_fed_same_as_records(void **state)
{
	struct lab l = {0};
	struct bph_service v[24];
	struct bph_sweep_collector *c;
	size_t n = 0;
	time_t seen = T0 + 2 * 86400;
	(void)state;

	lab_open(&l);
	one_run(&l, 1);
	host(v, &n, 9, 'c', "Changed", seen);
	host(v, &n, 8, 'a', "Panel", seen);
	host(v, &n, 7, 'c', "<b>\"x\x01\xff\xfe", seen);
	host(v, &n, 7, 'c', "Changed", seen + 30); /* seen again */
	host(v, &n, 6, 'a', "Panel", seen);
	host(v, &n, 6, 'a', "Panel", T0 + 86400); /* run 1's, as stored */
	host(v, &n, 5, 'a', "Panel", seen);
	host(v, &n, 5, 'a', "Panel", seen); /* a repeat */
	v[n] = (struct bph_service){.ip = 0xC6120A0Bu,
				    .port = 443,
				    .state = BPH_STATE_CLOSED,
				    .seen = seen};
	n++;
	int64_t run = store_run(&l, v, n, FEED_OK, seen, &c);
	assert_true(fed_as_records(&l, run, c));
	lab_close(&l);
}

/* A collector that did not see exactly the run's records, in the order
 * the store reads them back, is left for the records. */
static void test_fed_left_for_records(void **state)
{
	static const enum feed_case cases[] = {
	    FEED_OK, FEED_UNORDERED, FEED_UNSEEN, FEED_OTHER_SCAN, FEED_OK};
	struct lab l = {0};
	struct bph_sweep_collector *c;
	(void)state;

	lab_open(&l);
	for (size_t k = 0; k < sizeof(cases) / sizeof(*cases); k++) {
		struct bph_service v[8];
		size_t n = 0;
		time_t seen = T0 + (time_t)(k + 1) * 86400;
		host(v, &n, 5, 'a', "Panel", seen);
		host(v, &n, 6, 'a', "Panel", seen);
		host(v, &n, 7, 'c', k % 2 ? "Welcome" : "Changed", seen);
		int64_t run = store_run(&l, v, n, cases[k], seen, &c);
		assert_int_equal(fed_as_records(&l, run, c),
				 cases[k] == FEED_OK);
	}
	/* two records alike in (ip, port, seen): in no known order */
	struct bph_service v[4];
	size_t n = 0;
	host(v, &n, 5, 'a', "Panel", T0 + 9 * 86400);
	host(v, &n, 5, 'a', "Other", T0 + 9 * 86400);
	int64_t run = store_run(&l, v, n, FEED_OK, T0 + 9 * 86400, &c);
	assert_false(fed_as_records(&l, run, c));
	lab_close(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reuse_same_events),
	    cmocka_unit_test(test_key_event_settings),
	    cmocka_unit_test(test_fed_same_as_records),
	    cmocka_unit_test(test_fed_left_for_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
