#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "sweep/diff.h"
#include "sweep/event.h"

/* ---- an in-memory sweep: runs of records, read back through JSON ---- */

#define MAX_SVC 32
#define MAX_RUN 6

struct mrun {
	int64_t id;
	struct bph_service v[MAX_SVC];
	size_t n;
	struct bph_coverage cov;
	struct bph_snap snap;
};

struct mem {
	struct mrun r[MAX_RUN];
	size_t n;
};

static uint32_t ip4(const char *s)
{
	uint32_t ip;
	assert_int_equal(bph_ipv4_parse(s, strlen(s), &ip), 0);
	return ip;
}

static struct mrun *run_new(struct mem *m, const char *ranges,
			    const char *ports)
{
	struct mrun *r = &m->r[m->n];
	memset(r, 0, sizeof(*r));
	r->id = (int64_t)++m->n;
	assert_int_equal(bph_coverage_parse(&r->cov, ranges, ports), 0);
	return r;
}

/* A service with the fields the diff compares; NULL/"" leaves one out. */
static struct bph_service *svc(struct mrun *r, const char *ip, uint16_t port,
			       const char *proto)
{
	struct bph_service *s = &r->v[r->n++];
	memset(s, 0, sizeof(*s));
	s->ip = ip4(ip);
	s->port = port;
	s->state = BPH_STATE_OPEN;
	s->seen = 1795000000;
	s->proto = strdup(proto);
	s->tcp.present = true;
	strcpy(s->tcp.sig, "4:64+1:0:1460:mss*20,7:mss,sok,ts,nop,ws:df:0");
	return s;
}

static void tls(struct bph_service *s, char cert, char spki)
{
	s->tls = bph_tls_info_new();
	memset(s->tls->cert_sha256, cert, 64);
	memset(s->tls->spki_sha256, spki, 64);
	s->tls->subject = strdup("CN=x.example");
	memset(s->tls->jarm, 'a', 62);
}

static void ssh(struct bph_service *s, const char *key)
{
	s->ssh = bph_ssh_info_new();
	s->ssh->n_hostkeys = 1;
	s->ssh->hostkeys = calloc(1, sizeof(*s->ssh->hostkeys));
	s->ssh->hostkeys[0].type = strdup("ssh-ed25519");
	snprintf(s->ssh->hostkeys[0].sha256, 64, "SHA256:%s", key);
	strcpy(s->ssh->hassh_server, "d43d91bc39d5aaed819ad9f6b57b7348");
}

/* The body hash follows the title (a hex digit from its bytes). */
static void http(struct bph_service *s, const char *title)
{
	unsigned sum = 0;
	for (const char *p = title; *p; p++)
		sum += (unsigned char)*p;
	char body = "0123456789abcdef"[sum % 16];
	s->http = bph_http_info_new();
	s->http->status = 200;
	s->http->title = strdup(title);
	memset(s->http->body_sha256, body, 64);
	s->http->server = strdup("nginx");
}

/* The lab-like host: 22 (key), 80 (title), 443 (cert). */
static void host(struct mrun *r, const char *ip, const char *key, char cert,
		 char spki, const char *title)
{
	ssh(svc(r, ip, 22, "ssh"), key);
	http(svc(r, ip, 80, "http"), title);
	tls(svc(r, ip, 443, "tls"), cert, spki);
}

static void finish(struct mrun *r)
{
	for (size_t i = 0; i < r->n; i++)
		assert_int_equal(bph_snap_add(&r->snap, &r->v[i]), 0);
	bph_snap_finish(&r->snap);
}

static int mem_get(void *ctx, int64_t run, uint32_t ip, uint16_t port,
		   struct bph_service *out)
{
	struct mem *m = ctx;
	struct mrun *r = &m->r[run - 1];
	for (size_t i = r->n; i-- > 0;)
		if (r->v[i].ip == ip && r->v[i].port == port) {
			json_t *j = bph_service_to_json(&r->v[i]);
			char e[256] = "";
			int rc = bph_service_from_json(j, out, e, sizeof(e));
			if (rc)
				fprintf(stderr, "from_json: %s\n", e);
			json_decref(j);
			return rc;
		}
	return BPH_ERR_USAGE;
}

static int mem_seen(void *ctx, int64_t run, uint32_t ip, int64_t *last)
{
	struct mem *m = ctx;
	*last = 0;
	for (int64_t j = 1; j < run; j++)
		for (size_t i = 0; i < m->r[j - 1].n; i++)
			if (m->r[j - 1].v[i].ip == ip)
				*last = j;
	return 0;
}

static void mem_free(struct mem *m)
{
	for (size_t j = 0; j < m->n; j++) {
		for (size_t i = 0; i < m->r[j].n; i++)
			bph_service_clear(&m->r[j].v[i]);
		bph_coverage_clear(&m->r[j].cov);
		bph_snap_clear(&m->r[j].snap);
	}
}

/* Diffs the last run against the ones before it (up to absent_after + 1
 * runs) into s. */
static void diff(struct mem *m, const struct bph_diff_opts *o,
		 struct bph_event_set *s)
{
	struct bph_diff_run w[MAX_RUN];
	struct bph_diff_source src = {m, mem_get, mem_seen};
	size_t n = m->n < o->absent_after + 1 ? m->n : o->absent_after + 1;
	char err[256];

	for (size_t i = 0; i < n; i++) {
		struct mrun *r = &m->r[m->n - n + i];
		w[i] = (struct bph_diff_run){r->id, &r->cov, &r->snap};
	}
	assert_int_equal(
	    bph_event_set_init(s, "lab", w[n - 2].id, w[n - 1].id, 1795000000),
	    0);
	assert_int_equal(bph_diff_runs(o, w, n, &src, s, err, sizeof(err)), 0);
	assert_int_equal(bph_event_set_finish(s), 0);
	bph_event_set_sort(s);
}

/* "type ip port field" of every event, one per line. */
static char *summary(const struct bph_event_set *s)
{
	char *buf = calloc(1, 8192), ip[16];
	size_t o = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct bph_event *e = &s->v[i];
		bph_ip_str(e->ip, ip);
		o += (size_t)snprintf(buf + o, 8192 - o, "%s %s %d %s %s\n",
				      bph_event_types[e->type].name,
				      e->has_ip ? ip : "-", e->port,
				      e->field ? e->field : "-",
				      bph_severity_name(e->severity));
	}
	return buf;
}

static void expect_summary(const struct bph_event_set *s, const char *want)
{
	char *got = summary(s);
	if (strcmp(got, want))
		fprintf(stderr, "got:\n%swant:\n%s", got, want);
	assert_string_equal(got, want);
	free(got);
}

#define NET   "198.18.10.0/24"
#define PORTS "22,80,443"

static void base_run(struct mem *m)
{
	struct mrun *r = run_new(m, NET, PORTS);
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.30", "t30", 'b', 'b', "Bakery");
	host(r, "198.18.10.31", "t31", 'c', 'c', "Jones");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	finish(r);
}

static void test_unchanged(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	o.absent_after = 1;
	base_run(&m);
	base_run(&m);
	diff(&m, &o, &s);
	assert_int_equal(s.n, 0);
	bph_event_set_clear(&s);
	mem_free(&m);
}

static void test_changes(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	o.absent_after = 1;
	base_run(&m);
	struct mrun *r = run_new(&m, NET, PORTS);
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.13", "provA", 'a', 'a', "Alpha"); /* new member */
	/* .30 gone; .31: cert re-issued on the same key, key rotated */
	host(r, "198.18.10.31", "t31new", 'e', 'c', "Jones");
	/* .32: title changed, port 80 kept, 443 closed; tcp sig changed */
	ssh(svc(r, "198.18.10.32", 22, "ssh"), "t32");
	http(svc(r, "198.18.10.32", 80, "http"), "River2");
	strcpy(r->v[r->n - 1].tcp.sig, "other");
	finish(r);
	diff(&m, &o, &s);
	expect_summary(&s, "host.new 198.18.10.13 -1 - medium\n"
			   "port.open 198.18.10.13 22 - medium\n"
			   "port.open 198.18.10.13 80 - medium\n"
			   "port.open 198.18.10.13 443 - medium\n"
			   "host.gone 198.18.10.30 -1 - low\n"
			   "ssh.hostkey_changed 198.18.10.31 22 ssh.hostkeys "
			   "medium\n"
			   "tls.cert_changed 198.18.10.31 443 tls.cert_sha256 "
			   "low\n"
			   "http.changed 198.18.10.32 80 http low\n"
			   "tcp.sig_changed 198.18.10.32 80 tcp.sig low\n"
			   "port.closed 198.18.10.32 443 - low\n");
	/* the gone host lists its ports; the cert change keeps its key */
	json_t *g = s.v[4].before;
	assert_int_equal(json_array_size(json_object_get(g, "ports")), 3);
	assert_true(json_is_true(json_object_get(s.v[6].details, "same_spki")));
	json_t *f = json_object_get(s.v[7].details, "fields");
	assert_int_equal(json_array_size(f), 2);
	assert_string_equal(json_string_value(json_array_get(f, 0)), "title");
	assert_string_equal(json_string_value(json_array_get(f, 1)),
			    "body_sha256");
	/* ids are stable: the same diff again gives the same ones */
	struct bph_event_set s2;
	diff(&m, &o, &s2);
	assert_int_equal(s2.n, s.n);
	for (size_t i = 0; i < s.n; i++)
		assert_string_equal(s.v[i].id, s2.v[i].id);
	bph_event_set_clear(&s2);
	bph_event_set_clear(&s);
	mem_free(&m);
}

static void test_identity_moved(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	o.absent_after = 1;
	base_run(&m);
	struct mrun *r = run_new(&m, NET, PORTS);
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.30", "t30", 'b', 'b', "Bakery");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	host(r, "198.18.10.38", "t31", 'c', 'c', "Jones"); /* .31 moved */
	finish(r);
	diff(&m, &o, &s);
	expect_summary(&s, "host.gone 198.18.10.31 -1 - low\n"
			   "identity.moved 198.18.10.31 -1 identity high\n"
			   "host.new 198.18.10.38 -1 - medium\n"
			   "port.open 198.18.10.38 22 - medium\n"
			   "port.open 198.18.10.38 80 - medium\n"
			   "port.open 198.18.10.38 443 - medium\n");
	json_t *ev = s.v[1].evidence;
	assert_int_equal(json_array_size(ev), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(ev, 0), "kind")),
	    "spki_sha256");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(ev, 1), "value")),
	    "SHA256:t31");
	assert_string_equal(
	    json_string_value(json_object_get(s.v[1].after, "ip")),
	    "198.18.10.38");
	bph_event_set_clear(&s);
	mem_free(&m);
}

/* absent_after 2: gone one run later; a return after that is host.back,
 * a return after one absence gives nothing. */
static void test_absent_after(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	base_run(&m);				  /* 1 */
	struct mrun *r = run_new(&m, NET, PORTS); /* 2: .30 and .31 missing */
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	finish(r);
	diff(&m, &o, &s);
	assert_int_equal(s.n, 0);
	bph_event_set_clear(&s);
	r = run_new(&m, NET, PORTS); /* 3: .31 back after one absence */
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.31", "t31", 'c', 'c', "Jones");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	finish(r);
	diff(&m, &o, &s);
	expect_summary(&s, "host.gone 198.18.10.30 -1 - low\n");
	bph_event_set_clear(&s);
	r = run_new(&m, NET, PORTS); /* 4: .30 back */
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.30", "t30", 'b', 'b', "Bakery");
	host(r, "198.18.10.31", "t31", 'c', 'c', "Jones");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	finish(r);
	diff(&m, &o, &s);
	expect_summary(&s, "host.back 198.18.10.30 -1 - low\n"
			   "port.open 198.18.10.30 22 - medium\n"
			   "port.open 198.18.10.30 80 - medium\n"
			   "port.open 198.18.10.30 443 - medium\n");
	assert_int_equal(json_integer_value(
			     json_object_get(s.v[0].details, "last_seen_run")),
			 1);
	bph_event_set_clear(&s);
	mem_free(&m);
}

/* A port added to the sweep is new coverage, not a new port. */
static void test_coverage(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	o.absent_after = 1;
	base_run(&m);
	struct mrun *r = run_new(&m, NET ",198.18.20.0/24", PORTS ",8080");
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.30", "t30", 'b', 'b', "Bakery");
	host(r, "198.18.10.31", "t31", 'c', 'c', "Jones");
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	svc(r, "198.18.10.32", 8080, "http");
	host(r, "198.18.20.10", "x", 'f', 'f', "new range");
	finish(r);
	diff(&m, &o, &s);
	assert_int_equal(s.n, 0);
	bph_event_set_clear(&s);
	mem_free(&m);
}

/* A probe that gave no value is not a change; ignored fields never are. */
static void test_unknown_and_ignored(void **state)
{
	(void)state;
	struct mem m = {0};
	struct bph_diff_opts o;
	struct bph_event_set s;
	bph_diff_opts_default(&o);
	o.absent_after = 1;
	base_run(&m);
	struct mrun *r = run_new(&m, NET, PORTS);
	host(r, "198.18.10.10", "provA", 'a', 'a', "Alpha");
	host(r, "198.18.10.30", "t30", 'b', 'b', "Bakery2"); /* title */
	svc(r, "198.18.10.31", 22, "ssh"); /* no key this time */
	http(svc(r, "198.18.10.31", 80, "http"), "Jones");
	tls(svc(r, "198.18.10.31", 443, "tls"), 'c', 'c');
	host(r, "198.18.10.32", "t32", 'd', 'd', "River");
	finish(r);
	o.ignore[BPH_SF_TITLE] = true;
	o.ignore[BPH_SF_BODY] = true;
	diff(&m, &o, &s);
	assert_int_equal(s.n, 0);
	bph_event_set_clear(&s);
	mem_free(&m);
}

/* The JSON form has every field, in order, and a hostile title stays
 * valid JSON. */
static void test_event_json(void **state)
{
	(void)state;
	struct bph_event_set s;
	assert_int_equal(bph_event_set_init(&s, "lab", 1, 2, 0), 0);
	struct bph_event *e = bph_event_add(
	    &s, BPH_EV_HTTP_CHANGED, true, 0xc6120a3d, 80, "http", NULL,
	    json_pack("{s:s}", "title", "<b>\"x\"</b>\x01"), NULL);
	assert_non_null(e);
	assert_int_equal(bph_event_set_finish(&s), 0);
	assert_int_equal(strlen(e->id), 32);
	json_t *j = bph_event_to_json(&s, e);
	char *txt = json_dumps(j, JSON_COMPACT);
	assert_non_null(
	    strstr(txt, "{\"schema\":\"bphound.event/1\",\"id\":\""));
	assert_non_null(strstr(txt, "\"run_from\":1,\"run_to\":2,"
				    "\"observed_at\":\"1970-01-01T00:00:00Z\","
				    "\"ip\":\"198.18.10.61\",\"port\":80"));
	assert_non_null(strstr(txt, "\\u0001"));
	free(txt);
	json_decref(j);
	bph_event_set_clear(&s);
}

/* The stored form: entries come back as they were, chunk by chunk; a
 * chunk of the wrong length or with a bad id kind is refused. */
static void test_snap_stored(void **state)
{
	struct mem m = {0};
	struct bph_snap back = {0};
	unsigned char buf[8 * BPH_SNAP_REC];
	(void)state;

	struct mrun *r = run_new(&m, "198.18.10.0/24", "22,80,443");
	host(r, "198.18.10.5", "key-a", 'a', 'p', "Panel");
	host(r, "198.18.10.9", "key-b", 'b', 'q', "Other");
	finish(r);
	assert_int_equal(r->snap.n, 6);
	for (size_t from = 0; from < r->snap.n; from += 4) {
		size_t n = r->snap.n - from < 4 ? r->snap.n - from : 4;
		bph_snap_encode(&r->snap, from, n, buf);
		assert_int_equal(
		    bph_snap_decode(&back, buf, n * BPH_SNAP_REC, n), 0);
	}
	assert_int_equal(back.n, r->snap.n);
	for (size_t i = 0; i < back.n; i++) {
		const struct bph_snap_svc *a = &r->snap.v[i], *b = &back.v[i];
		assert_int_equal(a->ip, b->ip);
		assert_int_equal(a->port, b->port);
		assert_int_equal(a->n_ids, b->n_ids);
		assert_memory_equal(a->id_kind, b->id_kind, BPH_SNAP_IDS);
		assert_memory_equal(a->h, b->h, sizeof(a->h));
		assert_memory_equal(a->ids, b->ids, sizeof(a->ids));
	}
	assert_true(r->snap.v[0].n_ids > 0);
	bph_snap_encode(&r->snap, 0, 1, buf);
	assert_int_equal(bph_snap_decode(&back, buf, BPH_SNAP_REC - 1, 1),
			 BPH_ERR_FORMAT);
	assert_int_equal(bph_snap_decode(&back, buf, 2 * BPH_SNAP_REC, 1),
			 BPH_ERR_FORMAT);
	buf[7] = 9; /* the first id kind */
	assert_int_equal(bph_snap_decode(&back, buf, BPH_SNAP_REC, 1),
			 BPH_ERR_FORMAT);
	buf[7] = BPH_ID_SPKI;
	buf[6] = BPH_SNAP_IDS + 1; /* n_ids */
	assert_int_equal(bph_snap_decode(&back, buf, BPH_SNAP_REC, 1),
			 BPH_ERR_FORMAT);
	assert_int_equal(back.n, r->snap.n);
	bph_snap_clear(&back);
	mem_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unchanged),
	    cmocka_unit_test(test_changes),
	    cmocka_unit_test(test_identity_moved),
	    cmocka_unit_test(test_absent_after),
	    cmocka_unit_test(test_coverage),
	    cmocka_unit_test(test_unknown_and_ignored),
	    cmocka_unit_test(test_event_json),
	    cmocka_unit_test(test_snap_stored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
