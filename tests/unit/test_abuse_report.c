/*
 * Abuse reports (abuse/report*.c, case.c, lookup_ranges.c, xarf.c,
 * mime.c) on a clustering shaped like the lab's, looked up in the lab's
 * fixture registry, routing and list files (tests/data/abuse/): who
 * receives what and how each address was found, the headers (hostile
 * registry strings never reach one unescaped), the XARF fields, the
 * deny-list sources of a case. With BPH_REPORT_DIR set, the reports are
 * also written there for tests/integration/check_report.py (Python's
 * email package and the XARF v4 schemas).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "abuse/case.h"
#include "abuse/lookup_ranges.h"
#include "abuse/mime.h"
#include "abuse/rankfile.h"
#include "abuse/report.h"
#include "abuse/xarf.h"
#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "ranges/rdb.h"

#define T0 1796500000 /* 2026-12-05T19:46:40Z */

struct fixture {
	struct bph_rdb *db;
	struct bph_graph *g;
	struct bph_clustering *c;
	struct bph_abuse_lookup look;
};

static void load_file(struct bph_rdb *db, const char *name, int64_t id)
{
	char path[512], err[256] = "";
	const char *top = getenv("BPH_SRCDIR");
	struct bph_parse_opts o = {0};
	struct bph_parse_result res;
	struct bph_rsink sink;
	snprintf(path, sizeof(path), "%s/tests/data/abuse/%s", top ? top : ".",
		 name);
	if (bph_parse_file(path, &o, NULL, &res, err, sizeof(err)))
		fail_msg("%s: %s", path, err);
	struct bph_rsource s = {
	    res.kind, name, res.date, path, res.licence, res.licence_flags, id};
	assert_int_equal(bph_rdb_begin(db, &s, &sink), 0);
	o.kind = res.kind;
	assert_int_equal(
	    bph_parse_file(path, &o, &sink, &res, err, sizeof(err)), 0);
}

static const char *hostile_title =
    "<script>alert(\"x\")</script> \x01\x07\x1b[31m\r\nBcc: x@y.example "
    "\xff\xfe =?utf-8?b?QQ==?= \xe2\x80\xae end";

static void add(struct bph_graph *g, const char *ip, const char *kind,
		const char *value, uint16_t port)
{
	assert_int_equal(bph_graph_add(g, ip, kind, value, port, T0), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *files[] = {
	    "lab.ripe.db",	   "routeviews-rv2-20261206-1200.pfx2as",
	    "20261201.as-rel.txt", "asndrop.json",
	    "drop_v4.json",	   "block.txt"};
	assert_int_equal(bph_rdb_new(&f->db), 0);
	for (size_t i = 0; i < 6; i++)
		load_file(f->db, files[i], (int64_t)i + 1);
	assert_int_equal(bph_rdb_finish(f->db), 0);
	bph_abuse_lookup_rdb(&f->look, f->db);
	f->g = bph_graph_new();
	const char *alpha[] = {"198.18.10.10", "198.18.10.11", "198.18.10.12",
			       "198.18.20.10"};
	for (size_t i = 0; i < 4; i++) {
		add(f->g, alpha[i], "ssh_hostkey", "SHA256:alphakey", 22);
		add(f->g, alpha[i], "cert_sha256", "aa11bb22", 443);
		add(f->g, alpha[i], "title", "Alpha Hosting :: Panel", 443);
	}
	add(f->g, "198.18.10.20", "ssh_hostkey", "SHA256:betakey", 2222);
	add(f->g, "198.18.10.21", "ssh_hostkey", "SHA256:betakey", 2222);
	add(f->g, "198.18.10.60", "ssh_hostkey", "SHA256:evilkey", 22);
	add(f->g, "198.18.10.61", "ssh_hostkey", "SHA256:evilkey", 22);
	add(f->g, "198.18.10.61", "title", hostile_title, 80);
	add(f->g, "198.18.10.30", "title", "bakery", 80);
	assert_int_equal(bph_cluster_run(f->g, NULL, &f->c), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	bph_clustering_free(f->c);
	bph_graph_free(f->g);
	bph_rdb_free(f->db);
	free(f);
	return 0;
}

static struct bph_abuse_case *case_of(struct fixture *f, const char *seed)
{
	struct bph_abuse_case *k = NULL;
	long ci = bph_abuse_case_find(f->c, seed, 0);
	assert_true(ci >= 0);
	assert_int_equal(bph_abuse_case_new(f->c, (size_t)ci, &k), 0);
	assert_int_equal(bph_abuse_case_lookup(k, &f->look), 0);
	return k;
}

static const struct bph_rcpt *find_rcpt(const struct bph_report_plan *p,
					const char *m)
{
	for (size_t i = 0; i < p->n; i++)
		if (!strcmp(p->r[i].mailbox, m))
			return &p->r[i];
	fail_msg("no recipient %s", m);
	return NULL;
}

static void test_case(void **state)
{
	struct fixture *f = *state;
	struct bph_abuse_case *k = case_of(f, "198.18.20.10");
	assert_int_equal(k->n_hosts, 4);
	assert_true(k->n_links >= 3);
	const struct bph_abuse_host *h = &k->hosts[3];
	assert_string_equal(h->ip, "198.18.20.10");
	assert_int_equal(h->first_seen, T0);
	assert_string_equal(h->contact.mailbox, "abuse@alpha-hosting.example");
	assert_non_null(strstr(h->contact.how, "organisation ORG-ALPHA1-TEST"));
	assert_string_equal(h->contact.resource, "inetnum 198.18.20.0/24");
	assert_non_null(strstr(h->contact.holder, "ALPHA-HOSTING-NET2"));
	assert_int_equal(h->n_up, 2);
	assert_int_equal(h->up[0].asn, 64510);
	assert_int_equal(h->up[0].customer, 64500);
	assert_false(h->up[0].asndrop);
	assert_string_equal(h->up[0].contact.mailbox,
			    "abuse@transit-one.example");
	assert_true(h->up[1].asndrop);
	assert_string_equal(h->up[1].contact.mailbox,
			    "noc-abuse@transit-two.example");
	assert_int_equal(h->n_listed, 1);
	assert_string_equal(h->listed[0].id, "SBL000123");
	assert_false(h->listed[0].restricted);
	assert_true(k->hosts[0].n_listed == 1 &&
		    k->hosts[0].listed[0].restricted);
	/* the deny-list sources: each host with its linking values */
	struct bph_denylist *d = bph_denylist_new("t", "t", NULL);
	assert_int_equal(bph_abuse_case_deny(k, d), 0);
	assert_int_equal(d->n_sources, 4);
	assert_int_equal(d->sources[0].cluster, k->cluster);
	assert_int_equal(d->sources[0].n_evidence, 3);
	assert_string_equal(d->sources[0].listings[0].list, "block.txt");
	bph_denylist_free(d);
	bph_abuse_case_free(k);
}

static void test_plan(void **state)
{
	struct fixture *f = *state;
	struct bph_abuse_case *k = case_of(f, "198.18.10.10");
	struct bph_report_plan p;
	assert_int_equal(bph_report_plan(k, true, true, &p), 0);
	assert_int_equal(p.n, 3);
	const struct bph_rcpt *a = &p.r[0];
	assert_string_equal(a->mailbox, "abuse@alpha-hosting.example");
	assert_int_equal(a->roles, BPH_RCPT_PROVIDER);
	assert_int_equal(a->n_hosts, 4);
	assert_int_equal(a->n_ways, 2); /* inetnum abuse-c and org abuse-c */
	const struct bph_rcpt *t2 =
	    find_rcpt(&p, "noc-abuse@transit-two.example");
	assert_int_equal(t2->roles, BPH_RCPT_UPSTREAM);
	assert_int_equal(t2->up_asn, 64511);
	assert_true(t2->up_asndrop);
	assert_int_equal(t2->n_up_hosts, 4);
	assert_int_equal(t2->n_cites, 1);
	assert_int_equal(t2->cites[0], 0);
	assert_int_equal(p.n_skipped, 0);
	char *out = NULL;
	size_t len;
	FILE *m = open_memstream(&out, &len);
	bph_report_dry_run(&p, k, m);
	fclose(m);
	assert_non_null(strstr(out,
			       "abuse@alpha-hosting.example (provider): "
			       "4 hosts\n  found: abuse-c ALPHAAB1-TEST of "
			       "inetnum 198.18.10.0/28"));
	assert_non_null(strstr(out, "upstream AS64511 of AS64500: "));
	free(out);
	bph_report_plan_free(&p);
	/* provider only */
	assert_int_equal(bph_report_plan(k, true, false, &p), 0);
	assert_int_equal(p.n, 1);
	bph_report_plan_free(&p);
	/* a provider that is also its own upstream: one recipient, each
	 * host once (the mailbox compared without case) */
	for (size_t h = 0; h < k->n_hosts; h++)
		for (size_t u = 0; u < k->hosts[h].n_up; u++)
			strcpy(k->hosts[h].up[u].contact.mailbox,
			       "ABUSE@alpha-hosting.example");
	assert_int_equal(bph_report_plan(k, true, true, &p), 0);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.r[0].roles, BPH_RCPT_PROVIDER | BPH_RCPT_UPSTREAM);
	m = open_memstream(&out, &len);
	bph_report_dry_run(&p, k, m);
	fclose(m);
	assert_non_null(strstr(out, "abuse@alpha-hosting.example (provider "
				    "and upstream): 4 hosts\n"));
	free(out);
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
	/* provider B: no abuse-c of its own, the parent block's */
	k = case_of(f, "198.18.10.21");
	assert_int_equal(bph_report_plan(k, true, false, &p), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.r[0].mailbox, "abuse@lir.example");
	assert_non_null(strstr(p.r[0].ways[0].how, "(parent)"));
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
}

static void test_hostile_contact(void **state)
{
	struct fixture *f = *state;
	struct bph_abuse_case *k = case_of(f, "198.18.10.61");
	struct bph_report_plan p;
	assert_string_equal(k->hosts[1].contact.mailbox,
			    "abuse@hostile-org.example");
	assert_non_null(strstr(k->hosts[1].contact.how,
			       "skipped before it, not a plain address: "
			       "'abuse@hostile.example, "
			       "victim@bystander.example'"));
	assert_int_equal(bph_report_plan(k, true, true, &p), 0);
	assert_int_equal(p.n, 3);
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
	/* a host the data knows nothing of: skipped, said why */
	k = case_of(f, "198.18.10.30");
	k->hosts[0].contact.mailbox[0] = '\0';
	k->hosts[0].n_up = 0;
	assert_int_equal(bph_report_plan(k, true, true, &p), 0);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.n_skipped, 2);
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
}

static void test_addresses(void **state)
{
	(void)state;
	const char *good[] = {"abuse@example.net", "a.b+c@x-y.example.org",
			      "noc-abuse@transit-two.example"};
	const char *bad[] = {"abuse@hostile.example, victim@bystander.example",
			     "abuse@example.net\r\nBcc: x@y.example",
			     "\"q\"@example.net",
			     "<abuse@example.net>",
			     "abuse@localhost",
			     "abuse@exa_mple.net",
			     "abuse@-x.example",
			     "a..b@example.net",
			     "abuse@example.123",
			     "abuse @example.net",
			     "",
			     "@example.net"};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(bph_mime_addr_ok(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (bph_mime_addr_ok(bad[i]))
			fail_msg("accepted '%s'", bad[i]);
}

/* Every header line is printable ASCII; returns the unfolded value of
 * name (a new string) or NULL. */
static char *header(const char *eml, const char *name)
{
	const char *end = strstr(eml, "\r\n\r\n");
	char *val = NULL;
	assert_non_null(end);
	for (const char *p = eml; p < end;) {
		const char *nl = strstr(p, "\r\n");
		for (const char *q = p; q < nl; q++)
			if (*q < 0x20 || *q > 0x7e)
				fail_msg("header byte 0x%02x", *q & 0xff);
		assert_true(nl - p <= 78);
		size_t n = strlen(name);
		if (!strncmp(p, name, n) && p[n] == ':') {
			const char *v = p + n + 2, *e = nl;
			while (e[2] == ' ' || e[2] == '\t') /* folded */
				e = strstr(e + 2, "\r\n");
			val = strndup(v, (size_t)(e - v));
		}
		p = nl + 2;
	}
	return val;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 1 << 20);
	assert_non_null(f);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void write_case(struct fixture *f, const char *seed, const char *dir,
		       struct bph_report_plan *p, struct bph_abuse_case **k)
{
	struct bph_report_opts o = {
	    .contact = "cert@cert.example",
	    .org = "Example CERT \"Ops\" ü",
	    .type = &bph_report_types[0],
	    .seed = seed,
	    .generator = "bphound test",
	    .now = T0 + 3600,
	};
	char err[512] = "";
	*k = case_of(f, seed);
	assert_int_equal(bph_report_plan(*k, true, true, p), 0);
	if (bph_report_write(p, *k, &o, dir, NULL, err, sizeof(err)))
		fail_msg("%s", err);
}

/* Removes the files of dir (no subfolders), then dir. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			assert_int_equal(unlink(path), 0);
		}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

static void test_write(void **state)
{
	struct fixture *f = *state;
	const char *env = getenv("BPH_REPORT_DIR");
	char tmp[] = "/tmp/bph-report-XXXXXX", path[1024], dir[512], hdir[512];
	const char *top = env ? env : mkdtemp(tmp);
	snprintf(dir, sizeof(dir), "%s/alpha", top);
	snprintf(hdir, sizeof(hdir), "%s/hostile", top);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(mkdir(hdir, 0700), 0);
	struct bph_report_plan p, q;
	struct bph_abuse_case *k, *kh;
	write_case(f, "198.18.10.10", dir, &p, &k);
	snprintf(path, sizeof(path), "%s/%s.eml", dir, p.r[0].file);
	assert_string_equal(p.r[0].file,
			    "01-provider-abuse_at_alpha-hosting.example");
	char *eml = slurp(path), *v;
	v = header(eml, "To");
	assert_string_equal(v, "abuse@alpha-hosting.example");
	free(v);
	v = header(eml, "From");
	assert_string_equal(v, "=?UTF-8?B?RXhhbXBsZSBDRVJUICJPcHMiIMO8?= "
			       "<cert@cert.example>");
	free(v);
	assert_null(header(eml, "Bcc"));
	assert_non_null(strstr(eml, p.r[0].report_id));
	/* what was seen of each host, in the summary */
	assert_non_null(
	    strstr(eml, "page title (port 443): \"Alpha Hosting :: Panel\""));
	free(eml);
	/* the upstream report cites the provider's id */
	snprintf(path, sizeof(path), "%s/%s.eml", dir, p.r[1].file);
	eml = slurp(path);
	assert_non_null(strstr(eml, "Content-Type: multipart/mixed;"));
	free(eml);
	snprintf(path, sizeof(path), "%s/%s.json", dir, p.r[1].file);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	assert_non_null(j);
	assert_string_equal(
	    json_string_value(json_object_get(
		json_array_get(json_object_get(j, "cites"), 0), "report_id")),
	    p.r[0].report_id);
	assert_int_equal(json_array_size(json_object_get(j, "xarf")), 4);
	json_decref(j);
	/* a second run into the same folder never replaces a report */
	char err[512] = "";
	struct bph_report_opts o = {.contact = "cert@cert.example",
				    .type = &bph_report_types[0],
				    .generator = "t",
				    .now = T0};
	assert_int_equal(
	    bph_report_write(&p, k, &o, dir, NULL, err, sizeof(err)),
	    BPH_ERR_USAGE);
	assert_non_null(strstr(err, "never replaced"));
	o.contact = "cert@cert.example\r\nBcc: x@y.example";
	assert_int_equal(
	    bph_report_write(&p, k, &o, dir, NULL, err, sizeof(err)),
	    BPH_ERR_USAGE);
	/* the hostile case: registry strings in headers only encoded */
	write_case(f, "198.18.10.61", hdir, &q, &kh);
	snprintf(path, sizeof(path), "%s/%s.eml", hdir, q.r[0].file);
	eml = slurp(path);
	v = header(eml, "Subject");
	assert_non_null(strstr(v, "=?UTF-8?B?"));
	free(v);
	v = header(eml, "To");
	assert_string_equal(v, "abuse@hostile-org.example");
	free(v);
	free(eml);
	bph_report_plan_free(&q);
	bph_abuse_case_free(kh);
	bph_report_plan_free(&p);
	bph_abuse_case_free(k);
	if (!env) {
		remove_dir(dir);
		remove_dir(hdir);
		assert_int_equal(rmdir(top), 0);
	}
}

static void test_xarf(void **state)
{
	struct fixture *f = *state;
	struct bph_abuse_case *k = case_of(f, "198.18.10.61");
	struct bph_report_opts o = {.contact = "cert@cert.example",
				    .type = bph_report_type_find("c2"),
				    .generator = "t",
				    .now = T0};
	json_t *x =
	    bph_xarf_host(k, 1, &o, "6f1c2b9e-3d4a-4b7e-9a10-2c5d8e7f9a01");
	assert_non_null(x);
	assert_string_equal(json_string_value(json_object_get(x, "type")),
			    "threat_intelligence");
	assert_string_equal(
	    json_string_value(json_object_get(x, "threat_type")),
	    "command_and_control");
	assert_int_equal(json_integer_value(json_object_get(x, "source_port")),
			 22);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(x, "reporter"), "domain")),
			    "cert.example");
	const char *d = json_string_value(json_object_get(x, "description"));
	assert_true(strlen(d) <= 1000);
	json_t *ev = json_array_get(json_object_get(x, "evidence"), 0);
	assert_string_equal(
	    json_string_value(json_object_get(ev, "content_type")), "text/csv");
	assert_int_equal(strncmp(json_string_value(json_object_get(ev, "hash")),
				 "sha256:", 7),
			 0);
	json_decref(x);
	bph_abuse_case_free(k);
}

/* A ranking's units as deny-list sources, and the list entries behind
 * each (lookup_ranges.c). */
static void test_deny_units(void **state)
{
	struct fixture *f = *state;
	const char *rank = "rank,unit\n1,AS64500\n2,203.0.113.0/24\n"
			   "3,ORG-ALPHA1-TEST\n4,AS64999\n";
	struct bph_rank_unit *u;
	size_t n, unmatched;
	char err[256], s[BPH_CIDR_STRLEN];
	assert_int_equal(bph_rankfile_parse(rank, strlen(rank), "r", &u, &n,
					    err, sizeof(err)),
			 0);
	struct bph_denylist *d = bph_denylist_new("rank", "r", NULL);
	assert_int_equal(bph_abuse_deny_units(d, u, n, f->db, &unmatched), 0);
	assert_int_equal(unmatched, 1);	   /* AS64999 routes nothing */
	assert_int_equal(d->n_sources, 5); /* 1 prefix, 2 by AS, 2 by org */
	assert_int_equal(bph_abuse_deny_listings(d, f->db), 0);
	for (size_t i = 0; i < d->n_sources; i++) {
		const struct bph_deny_source *src = &d->sources[i];
		bph_cidr_format(&src->cidr, s);
		if (!strcmp(s, "198.18.10.0/24")) {
			assert_int_equal(src->n_listings, 1);
			assert_true(src->listings[0].restricted);
		} else if (!strcmp(s, "198.18.20.0/24")) {
			assert_int_equal(src->n_listings, 1);
			assert_string_equal(src->listings[0].id, "SBL000123");
		} else {
			assert_string_equal(s, "203.0.113.0/24");
			assert_string_equal(src->unit, "203.0.113.0/24");
			assert_int_equal(src->n_listings, 0);
		}
	}
	struct bph_deny_build_opts o = {.min_len4 = 24,
					.min_len6 = 48,
					.allow_special = true,
					.generated = T0,
					.valid_days = 30,
					.max_entries = 100};
	assert_int_equal(bph_denylist_build(d, &o), 0);
	assert_int_equal(d->n_entries, 3);
	assert_true(bph_denylist_restricted(d, err, sizeof(err)) == 1);
	if (!strstr(err, "block.txt (") || !strstr(err, "NC-SA"))
		fail_msg("restricted: %s", err);
	bph_denylist_free(d);
	free(u);
}

/* evidence.csv: RFC 4180 quoting and no formula a spreadsheet would run */
static void test_csv(void **state)
{
	(void)state;
	struct bph_abuse_obs obs[] = {
	    {"title", "=HYPERLINK(\"x\")", 80, T0, T0, 1, false},
	    {"server", "  @SUM(A1)", 80, T0, T0, 1, false},
	    {"title", "\tx\r\ny \"q\"", 80, 0, 0, 1, true},
	};
	struct bph_abuse_host h = {
	    .ip = "198.18.10.61", .obs = obs, .n_obs = 3};
	struct bph_abuse_case k = {.hosts = &h, .n_hosts = 1};
	struct bph_sbuf b;
	size_t idx = 0;
	bph_sbuf_init(&b);
	bph_report_csv(&b, &k, &idx, 1);
	bph_sbuf_u8(&b, 0);
	assert_string_equal(
	    (const char *)b.p,
	    "ip,port,kind,value,first_seen,last_seen,hosts_sharing,"
	    "linking\r\n"
	    "198.18.10.61,80,\"title\",\"'=HYPERLINK(\"\"x\"\")\","
	    "2026-12-05T19:46:40Z,2026-12-05T19:46:40Z,1,no\r\n"
	    "198.18.10.61,80,\"server\",\"'  @SUM(A1)\","
	    "2026-12-05T19:46:40Z,2026-12-05T19:46:40Z,1,no\r\n"
	    "198.18.10.61,80,\"title\",\"'\tx  y \"\"q\"\"\",,,1,yes\r\n");
	bph_sbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_addresses),
	    cmocka_unit_test(test_case),
	    cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_hostile_contact),
	    cmocka_unit_test(test_xarf),
	    cmocka_unit_test(test_write),
	    cmocka_unit_test(test_csv),
	    cmocka_unit_test(test_deny_units),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
