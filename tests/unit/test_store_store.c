#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "cluster/cluster.h"
#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/store.h"
#include "store/sweep_store.h"
#include "testlib/testlib.h"

static void ssh_record(struct bph_service *s, uint32_t ip, const char *key,
		       time_t seen)
{
	memset(s, 0, sizeof(*s));
	s->ip = ip;
	s->port = 22;
	s->state = BPH_STATE_OPEN;
	s->seen = seen;
	s->ssh = bph_ssh_info_new();
	s->ssh->banner = strdup("SSH-2.0-OpenSSH_9.2p1 \xff<x>");
	strcpy(s->ssh->hassh_server, "d43d91bc39d5aaed819ad9f6b57b7348");
	s->ssh->n_hostkeys = 1;
	s->ssh->hostkeys = calloc(1, sizeof(struct bph_ssh_hostkey));
	s->ssh->hostkeys[0].type = strdup("ssh-ed25519");
	strcpy(s->ssh->hostkeys[0].sha256, key);
	s->ssh->kexinit[0] = strdup("curve25519-sha256,ecdh-sha2-nistp256");
	s->ssh->kexinit[1] = strdup("ssh-ed25519");
}

static int64_t count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t n = -1;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static char *show(struct bph_store *st, const char *ip)
{
	char *buf = NULL;
	size_t len = 0, rows = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(bph_store_show_host(st, ip, f, &rows), 0);
	fclose(f);
	return buf;
}

static void test_round_trip_and_history(void **state)
{
	struct bph_test_dir *fx = *state;
	struct bph_store *st = NULL;
	struct bph_service s;
	int64_t scan1, scan2;
	char err[256] = "";

	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_scan_begin(st, "scan", "a b", &scan1), 0);
	ssh_record(&s, 0xc6120a0a, "SHA256:first", 1000);
	assert_int_equal(bph_store_put(st, scan1, &s), 0);
	bph_service_clear(&s);
	ssh_record(&s, 0xc6120a0b, "SHA256:first", 1001);
	assert_int_equal(bph_store_put(st, scan1, &s), 0);
	bph_service_clear(&s);
	assert_int_equal(bph_store_scan_end(st, scan1), 0);
	bph_store_close(st);

	/* reopen: the schema exists, history accumulates */
	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_scan_begin(st, "pivot", "a b", &scan2), 0);
	assert_true(scan2 > scan1);
	char kind[16];
	assert_int_equal(bph_store_scan_kind(st, scan1, kind, sizeof(kind)), 0);
	assert_string_equal(kind, "scan");
	assert_int_equal(bph_store_scan_kind(st, scan2, kind, sizeof(kind)), 0);
	assert_string_equal(kind, "pivot");
	assert_int_equal(bph_store_scan_kind(st, scan2 + 1, kind, sizeof(kind)),
			 BPH_ERR_USAGE);
	ssh_record(&s, 0xc6120a0a, "SHA256:second", 2000);
	assert_int_equal(bph_store_put(st, scan2, &s), 0);
	bph_service_clear(&s);
	assert_int_equal(bph_store_scan_end(st, scan2), 0);

	char *out = show(st, "198.18.10.10");
	assert_non_null(strstr(out, "scan 1 (scan"));
	assert_non_null(strstr(out, "scan 2 (pivot"));
	assert_non_null(strstr(out, "SHA256:first"));
	assert_non_null(strstr(out, "SHA256:second"));
	/* lists whose items hold commas, and objects, one line per element */
	assert_non_null(strstr(
	    out, "ssh.kexinit[0]: curve25519-sha256,ecdh-sha2-nistp256\n"));
	assert_non_null(strstr(out, "ssh.hostkeys[0].sha256: SHA256:second"));
	/* the cluster evidence under it is the CLI's (tests/integration/
	 * pivot_lab.sh checks it) */
	free(out);
	out = show(st, "192.0.2.99");
	assert_non_null(strstr(out, "no records"));
	free(out);
	size_t rows = 1;
	assert_int_equal(bph_store_show_host(st, "nope", stdout, &rows),
			 BPH_ERR_USAGE);
	assert_int_equal(rows, 0);

	/* the graph: both keys on .10 with their own times, window widened */
	struct bph_graph *g = bph_graph_new();
	assert_int_equal(bph_store_load_graph(st, g), 0);
	assert_int_equal(g->n_hosts, 2);
	int found = 0;
	for (size_t i = 0; i < g->n_inc; i++) {
		const struct bph_incidence *in = &g->inc[i];
		if (!strcmp(g->hosts[in->host], "198.18.10.10") &&
		    !strcmp(g->kinds[in->art], "hassh")) {
			assert_int_equal(in->first_seen, 1000);
			assert_int_equal(in->last_seen, 2000);
			found++;
		}
	}
	assert_int_equal(found, 1);
	bph_graph_free(g);
	bph_store_close(st);

	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM services"), 3);
	/* marked as bphound's, so that no other program's file is taken
	 * for a store (and no older bphound takes this one for its own) */
	assert_int_equal(count(fx->db, "PRAGMA application_id"), 0x42504844);
	assert_int_equal(count(fx->db, "PRAGMA user_version"),
			 count(fx->db, "SELECT max(version) FROM bph_schema"
				       " WHERE module = 'core'"));
	assert_true(count(fx->db, "SELECT max(version) FROM bph_schema"
				  " WHERE module = 'core'") >= 1);
	/* the incidences: (.10, first), (.11, first), (.10, second) */
	assert_int_equal(count(fx->db,
			       "SELECT COUNT(*) FROM host_arts h JOIN arts a"
			       " ON a.id = h.art WHERE a.kind = 'ssh_hostkey'"),
			 3);
	/* holders are distinct hosts: "first" on two, "second" on one */
	assert_int_equal(count(fx->db, "SELECT holders FROM arts WHERE"
				       " value = 'SHA256:first'"),
			 2);
	assert_int_equal(count(fx->db, "SELECT holders FROM arts WHERE"
				       " value = 'SHA256:second'"),
			 1);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM hosts"), 2);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM scans "
				       "WHERE finished IS NOT NULL"),
			 2);
}

static void test_import_with_bad_lines(void **state)
{
	struct bph_test_dir *fx = *state;
	struct bph_store *st = NULL;
	char err[256] = "", jl[160], *msgs = NULL;
	size_t len = 0;

	snprintf(jl, sizeof(jl), "%s/in.jsonl", fx->dir);
	FILE *f = fopen(jl, "w");
	fputs("{\"ip\":\"198.18.0.1\",\"port\":443,\"state\":\"open\","
	      "\"tls\":{\"cert_sha256\":\"AB\"}}\n",
	      f);
	fputs("{not json\n", f);
	fputs("\n", f);
	fputs("{\"ip\":\"198.18.0.2\",\"port\":99999}\n", f);
	fputs("{\"ip\":\"198.18.0.3\",\"port\":80,\"state\":\"open\","
	      "\"http\":{\"title\":\"<script>\\u0000\"}}\n",
	      f);
	fclose(f);
	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	FILE *e = open_memstream(&msgs, &len);
	struct bph_import_opts io = {.errout = e};
	struct bph_import_stats is;
	assert_int_equal(
	    bph_store_import_file(st, jl, &io, &is, err, sizeof(err)), 0);
	fclose(e);
	assert_int_equal(is.records, 1);
	assert_int_equal(is.added, 1);
	assert_int_equal(is.bad, 3);
	char want[200];
	snprintf(want, sizeof(want), "%s:2: ", jl);
	assert_non_null(strstr(msgs, want));
	snprintf(want, sizeof(want), "%s:4: port: ", jl);
	assert_non_null(strstr(msgs, want));
	snprintf(want, sizeof(want), "%s:5: ", jl);
	assert_non_null(strstr(msgs, want)); /* NUL in a string */
	free(msgs);
	char *out = show(st, "198.18.0.1");
	assert_non_null(strstr(out, "tls.cert_sha256: ab"));
	assert_non_null(strstr(out, "(import,"));
	free(out);
	assert_int_equal(bph_store_import_file(st, "/nonexistent", &io, &is,
					       err, sizeof(err)),
			 BPH_ERR_USAGE);
	bph_store_close(st);
}

static void exec_sql(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

/* A failure in the middle of a put leaves no partial record behind. */
static void test_put_is_atomic(void **state)
{
	struct bph_test_dir *fx = *state;
	struct bph_store *st = NULL;
	struct bph_service s;
	int64_t scan;
	char err[256] = "";

	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	/* the record emits hassh, then the host key: make the second fail */
	exec_sql(fx->db, "CREATE TRIGGER boom BEFORE INSERT ON host_arts"
			 " WHEN NEW.art = (SELECT id FROM arts"
			 " WHERE kind = 'ssh_hostkey')"
			 " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	assert_int_equal(bph_store_scan_begin(st, "scan", "", &scan), 0);
	ssh_record(&s, 0xc6120a0a, "SHA256:k", 1000);
	assert_int_equal(bph_store_put(st, scan, &s), BPH_ERR_DB);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM services"), 0);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM host_arts"), 0);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM art_hosts"), 0);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM hosts"), 0);
	exec_sql(fx->db, "DROP TRIGGER boom");
	assert_int_equal(bph_store_put(st, scan, &s), 0);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM services"), 1);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM host_arts"), 2);
	/* the same observation again adds nothing */
	assert_int_equal(bph_store_put(st, scan, &s), 0);
	assert_int_equal(count(fx->db, "SELECT COUNT(*) FROM services"), 1);
	/* a scan id that does not exist is refused (foreign key) */
	s.seen++;
	assert_int_equal(bph_store_put(st, scan + 100, &s), BPH_ERR_DB);
	bph_service_clear(&s);
	bph_store_close(st);
}

struct walk {
	char buf[512];
	size_t n;
	int64_t last_row;
};

static int on_scan(void *ctx, const struct bph_scan_info *s)
{
	struct walk *w = ctx;
	w->n +=
	    (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n,
			     "%lld:%s:%s:%lld ", (long long)s->id, s->kind,
			     s->status == BPH_SCAN_FINISHED ? "done" : "open",
			     (long long)s->services);
	return 0;
}

static int on_service(void *ctx, const struct bph_service *s)
{
	struct walk *w = ctx;
	char ip[16];
	bph_ip_str(s->ip, ip);
	w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n,
				 "%s:%u:%s ", ip, s->port,
				 s->ssh ? s->ssh->hostkeys[0].sha256 : "-");
	return 0;
}

/* bph_hosts_cb: "host-index:" then on_service's text; the rows must come
 * in the store's order. */
static void on_host_service(void *ctx, const struct bph_host_at *at,
			    const struct bph_service *s)
{
	struct walk *w = ctx;

	assert_true(at->row > w->last_row);
	w->last_row = at->row;
	w->n += (size_t)snprintf(w->buf + w->n, sizeof(w->buf) - w->n,
				 "%zu@%lld:", at->host, (long long)at->scan_id);
	on_service(ctx, s);
}

/* The sweep's reading interface: scans with kind and status, and a
 * scan's services in (ip, port) order (numeric, not text, order); many
 * hosts' open services at once, in the store's order
 * (bph_store_hosts_each), an address asked twice read once and a name
 * that is no address read as none. */
static void test_read_back(void **state)
{
	struct bph_test_dir *fx = *state;
	struct bph_store *st = NULL;
	struct bph_service s;
	struct walk w = {"", 0, 0};
	int64_t a, b;
	char err[256] = "", want[512];

	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	assert_int_equal(bph_store_scan_begin(st, "scan", "x", &a), 0);
	assert_int_equal(bph_store_scan_begin(st, "import", "y", &b), 0);
	ssh_record(&s, 0xc612000a, "SHA256:ten", 10); /* 198.18.0.10 */
	assert_int_equal(bph_store_put(st, a, &s), 0);
	bph_service_clear(&s);
	ssh_record(&s, 0xc6120009, "SHA256:nine", 10); /* 198.18.0.9 */
	assert_int_equal(bph_store_put(st, a, &s), 0);
	s.port = 2;
	assert_int_equal(bph_store_put(st, a, &s), 0);
	bph_service_clear(&s);
	assert_int_equal(bph_store_scan_end(st, a), 0);
	assert_int_equal(bph_store_scans(st, NULL, on_scan, &w), 0);
	assert_string_equal(w.buf, "1:scan:done:3 2:import:open:0 ");
	w.n = 0;
	assert_int_equal(bph_store_scans(st, "import", on_scan, &w), 0);
	assert_string_equal(w.buf, "2:import:open:0 ");
	w.n = 0;
	assert_int_equal(bph_store_scan_services(st, a, on_service, &w), 0);
	assert_string_equal(w.buf, "198.18.0.9:2:SHA256:nine "
				   "198.18.0.9:22:SHA256:nine "
				   "198.18.0.10:22:SHA256:ten ");
	assert_int_equal(bph_store_scan_services(st, 99, on_service, &w),
			 BPH_ERR_USAGE);
	/* a later scan's service of .9 at a lower port: rows come in the
	 * store's order, whatever the hosts' order or their services' */
	ssh_record(&s, 0xc6120009, "SHA256:nine", 10);
	s.port = 1;
	assert_int_equal(bph_store_put(st, b, &s), 0);
	bph_service_clear(&s);
	const char *hosts[] = {"198.18.0.11",  "198.18.0.9",   "198.18.0.10",
			       "198.18.0.300", "host.example", "198.18.0.9"};
	w.n = 0;
	w.buf[0] = '\0';
	assert_int_equal(
	    bph_store_hosts_each(st, hosts, 6, on_host_service, &w), 0);
	snprintf(want, sizeof(want),
		 "2@%lld:198.18.0.10:22:SHA256:ten "
		 "1@%lld:198.18.0.9:22:SHA256:nine "
		 "1@%lld:198.18.0.9:2:SHA256:nine "
		 "1@%lld:198.18.0.9:1:SHA256:nine ",
		 (long long)a, (long long)a, (long long)a, (long long)b);
	assert_string_equal(w.buf, want);
	w.n = 0;
	w.buf[0] = '\0';
	assert_int_equal(
	    bph_store_hosts_each(st, hosts, 0, on_host_service, &w), 0);
	assert_string_equal(w.buf, "");
	bph_store_close(st);
}

/* A record as JSON text with its time, onto the stream ctx. */
static int dump_record(void *ctx, const struct bph_service *s)
{
	json_t *j = bph_service_to_json(s);
	char *t = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	fprintf(ctx, "%lld %s\n", (long long)s->seen, t);
	free(t);
	json_decref(j);
	return 0;
}

/* bph_store_put_all_each hands back exactly what the scan's read gives
 * (bph_store_scan_services): the records it added, in (ip, port, seen)
 * order, as stored (the time stamped, the banner's bad byte cleaned),
 * without a repeat or a record an earlier scan holds already. */
static void test_put_all_each(void **state)
{
	struct bph_test_dir *fx = *state;
	struct bph_store *st = NULL;
	struct bph_service v[6];
	char err[256] = "", *fed = NULL, *read = NULL;
	size_t fed_len = 0, read_len = 0;
	int64_t a, b, rows = 0;

	assert_int_equal(
	    bph_store_open(fx->db, BPH_STORE_WRITE, &st, err, sizeof(err)), 0);
	ssh_record(&v[0], 0xc612000a, "SHA256:ten", 10);
	ssh_record(&v[1], 0xc6120009, "SHA256:nine", 0); /* stamped */
	ssh_record(&v[2], 0xc6120009, "SHA256:nine", 10);
	v[2].port = 2;
	ssh_record(&v[3], 0xc612000a, "SHA256:ten", 10); /* a repeat */
	ssh_record(&v[4], 0xc6120009, "SHA256:early", 5);
	ssh_record(&v[5], 0xc6120008, "SHA256:old", 3);
	assert_int_equal(bph_store_scan_begin(st, "scan", "x", &a), 0);
	assert_int_equal(bph_store_put(st, a, &v[5]), 0);
	assert_int_equal(bph_store_scan_begin(st, "sweep", "y", &b), 0);
	FILE *f = open_memstream(&fed, &fed_len);
	assert_int_equal(bph_store_put_all_each(st, b, v, 6, dump_record, f),
			 0);
	fclose(f);
	f = open_memstream(&read, &read_len);
	assert_int_equal(bph_store_scan_services(st, b, dump_record, f), 0);
	fclose(f);
	assert_string_equal(fed, read);
	assert_non_null(strstr(fed, "\"port\":2,"));
	assert_null(strstr(fed, "SHA256:old"));
	assert_null(strstr(fed, "\\u00ff")); /* cleaned as stored */
	assert_int_equal(bph_store_scan_rows(st, b, &rows), 0);
	assert_int_equal(rows, 4);
	/* .9:2, then .9:22 at 5 and at the stamped time, then .10:22 */
	const char *early = strstr(fed, "SHA256:early");
	assert_non_null(early);
	assert_true(strstr(fed, "SHA256:nine") < early);
	assert_non_null(strstr(strstr(early, "SHA256:nine"), "SHA256:ten"));
	for (size_t i = 0; i < 6; i++)
		bph_service_clear(&v[i]);
	free(fed);
	free(read);
	bph_store_close(st);
}

static void test_default_path(void **state)
{
	(void)state;
	char *old =
	    getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
	setenv("XDG_DATA_HOME", "/x/y", 1);
	char *p = bph_store_default_path();
	assert_string_equal(p, "/x/y/bphound/bphound.db");
	free(p);
	unsetenv("XDG_DATA_HOME");
	setenv("HOME", "/home/u", 1);
	p = bph_store_default_path();
	assert_string_equal(p, "/home/u/.local/share/bphound/bphound.db");
	free(p);
	if (old)
		setenv("XDG_DATA_HOME", old, 1);
	free(old);
}

static void test_open_fails_cleanly(void **state)
{
	(void)state;
	struct bph_store *st = (struct bph_store *)1;
	char err[256] = "";
	/* a missing folder is the user's typo, not a folder to create */
	assert_int_equal(bph_store_open("/proc/nope/x.db", BPH_STORE_WRITE, &st,
					err, sizeof(err)),
			 BPH_ERR_USAGE);
	assert_null(st);
	assert_non_null(strstr(err, "does not exist"));
	assert_int_equal(bph_store_open("/proc/nope/x.db",
					BPH_STORE_WRITE | BPH_STORE_MKDIR, &st,
					err, sizeof(err)),
			 BPH_ERR_IO);
	assert_null(st);
	/* a directory is said once, clearly */
	assert_int_equal(
	    bph_store_open("/tmp", BPH_STORE_READ, &st, err, sizeof(err)),
	    BPH_ERR_USAGE);
	assert_non_null(strstr(err, "is a directory"));
	bph_store_close(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_round_trip_and_history,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_import_with_bad_lines,
					    bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_put_is_atomic, bph_test_dir_setup, bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(test_read_back, bph_test_dir_setup,
					    bph_test_dir_teardown),
	    cmocka_unit_test_setup_teardown(
		test_put_all_each, bph_test_dir_setup, bph_test_dir_teardown),
	    cmocka_unit_test(test_default_path),
	    cmocka_unit_test(test_open_fails_cleanly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
