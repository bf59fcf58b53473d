/*
 * Imports of whole files into a store (store/store_import.c,
 * store/import_lines.c, store/store_write.c): idempotence, pipes, a byte
 * order mark, garbage, nmap XML with a long prologue, entity bombs, lines
 * cut at chunk borders, the counts reported, the rows the writer keeps,
 * and a real allocation failure (an address-space limit) reported as one,
 * never as the end of the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/db_int.h"
#include "store/store.h"
#include "testlib/testlib.h"

struct fixture {
	char dir[64], db[128], in[128];
	struct bph_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	strcpy(f->dir, "/tmp/bph-ingest-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/s.db", f->dir);
	snprintf(f->in, sizeof(f->in), "%s/in", f->dir);
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &f->st, err, sizeof(err)),
	    0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[160];

	bph_store_close(f->st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int64_t count(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (sqlite3_step(q) == SQLITE_ROW)
		n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(h);
	return n;
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* An import whose last step merges chunk pairs at a time (0: default). */
static int import_chunked(struct fixture *f, const char *path, size_t chunk,
			  struct bph_import_stats *s, char **msgs)
{
	size_t len = 0;
	char err[256] = "";
	FILE *e = open_memstream(msgs, &len);
	struct bph_import_opts o = {
	    .errout = e, .threads = 2, .merge_chunk = chunk};
	int rc = bph_store_import_file(f->st, path, &o, s, err, sizeof(err));

	fprintf(e, "%s", err);
	fclose(e);
	return rc;
}

static int import(struct fixture *f, const char *path,
		  struct bph_import_stats *s, char **msgs)
{
	return import_chunked(f, path, 0, s, msgs);
}

static void test_twice_adds_nothing(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	size_t len;
	char *data = bph_test_records(3000, &len), *msgs = NULL;

	write_file(f->in, data, len);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.records, 3000);
	assert_int_equal(s.added, 3000);
	assert_int_equal(s.bad, 0);
	free(msgs);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.records, 3000);
	assert_int_equal(s.added, 0);
	free(msgs);
	assert_int_equal(count(f->db, "SELECT count(*) FROM services"), 3000);
	/* the second import left no empty scan behind */
	assert_int_equal(count(f->db, "SELECT count(*) FROM scans"), 1);
	/* 7 HASSH values over 3000 hosts; key k0 on hosts 0, 100, ... */
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"
				      " WHERE kind = 'hassh'"),
			 7);
	assert_int_equal(count(f->db, "SELECT holders FROM arts"
				      " WHERE value = 'SHA256:k0'"),
			 30);
	assert_int_equal(count(f->db, "SELECT sum(holders) FROM arts"),
			 count(f->db, "SELECT count(*) FROM art_hosts"));
	free(data);
}

/* The writer's rows on SQLite (store_write.c, write_rows): services
 * numbered in (address, hash) order within a batch, hosts only for open
 * services, one art_hosts pair per (artifact, host) counted once in
 * holders, host_arts with the first and last time over observations and
 * imports, repeats and stored observations adding nothing. */
static const char rows_a[] =
    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\",\"seen\":500,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\",\"seen\":300,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\",\"seen\":300,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.5\",\"port\":22,\"state\":\"open\",\"seen\":400,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.7\",\"port\":23,\"state\":\"closed\",\"seen\":400}\n"
    "{\"ip\":\"198.18.0.1\",\"port\":2222,\"state\":\"open\",\"seen\":450,"
    "\"ssh\":{\"hassh_server\":\"bb\"}}\n";
static const char rows_b[] =
    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\",\"seen\":900,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\",\"seen\":300,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n"
    "{\"ip\":\"198.18.0.1\",\"port\":2222,\"state\":\"open\",\"seen\":100,"
    "\"ssh\":{\"hassh_server\":\"aa\"}}\n";

static void test_rows(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	char *msgs = NULL;

	write_file(f->in, rows_a, sizeof(rows_a) - 1);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.records, 6);
	assert_int_equal(s.added, 5); /* one line twice */
	/* ids in address order: .1, .5, .7, then .9's two */
	assert_int_equal(count(f->db, "SELECT count(*) FROM services a"
				      " JOIN services b ON b.id = a.id + 1"
				      " WHERE b.ip < a.ip"),
			 0);
	assert_int_equal(count(f->db, "SELECT min(id) FROM services WHERE"
				      " ip = 3323068417"),
			 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM hosts"), 3);
	assert_int_equal(count(f->db, "SELECT holders FROM arts WHERE"
				      " value = 'aa'"),
			 2);
	assert_int_equal(count(f->db, "SELECT first_seen * 1000 + last_seen"
				      " FROM host_arts WHERE ip = 3323068425"),
			 300500);
	write_file(f->in, rows_b, sizeof(rows_b) - 1);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.added, 2); /* .9 at 300 is stored already */
	assert_int_equal(count(f->db, "SELECT holders FROM arts WHERE"
				      " value = 'aa'"),
			 3);
	assert_int_equal(count(f->db, "SELECT first_seen * 1000 + last_seen"
				      " FROM host_arts WHERE ip = 3323068425"),
			 300900);
	/* the invariants: holders count art_hosts, which are host_arts'
	 * distinct (artifact, host) pairs */
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts a WHERE"
				      " holders != (SELECT count(*) FROM"
				      " art_hosts h WHERE h.art = a.id)"),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM art_hosts"),
			 count(f->db, "SELECT count(*) FROM (SELECT DISTINCT"
				      " art, ip FROM host_arts)"));
	assert_int_equal(count(f->db, "SELECT count(*) FROM art_hosts"), 4);
}

/* The records of the JSON Lines in data written by the row-by-row path
 * (bph_store_put_all) as one scan of st. */
static void put_rows(struct bph_store *st, const char *data)
{
	struct bph_service v[64];
	size_t n = 0;
	int64_t scan = 0;
	char *copy = strdup(data), *save = NULL;

	assert_int_equal(bph_store_scan_begin(st, "test", NULL, &scan), 0);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(l, 0, NULL);
		assert_true(n < 64);
		memset(&v[n], 0, sizeof(v[n]));
		assert_int_equal(bph_service_from_json(j, &v[n++], NULL, 0), 0);
		json_decref(j);
	}
	assert_int_equal(bph_store_put_all(st, scan, v, n), 0);
	for (size_t i = 0; i < n; i++)
		bph_service_clear(&v[i]);
	free(copy);
}

/* Per-table checksums of the rows an import derives. */
static const char *const table_sums[] = {
    "SELECT count(*) * 1000000007 + total(id * 7 + ip % 1000 + seen + hash"
    " % 1000 + length(record)) FROM services",
    "SELECT count(*) * 1000000007 + total(ip % 100000) FROM hosts",
    "SELECT count(*) * 1000000007 + total(id * 31 + holders * 7"
    " + length(value)) FROM arts",
    "SELECT count(*) * 1000000007 + total(art * 1000 + ip % 1000)"
    " FROM art_hosts",
    "SELECT count(*) * 1000000007 + total(ip % 1000 + art * 31 + port * 7"
    " + first_seen * 3 + last_seen) FROM host_arts",
    "SELECT count(*) FROM bulk_inc",
};

/* The bulk path (an import; store/store_bulk.c) leaves the same rows as
 * the row-by-row path, over two imports where the second meets stored
 * observations, known artifacts and earlier first and last times. */
static void bulk_like_rows(struct fixture *f, size_t chunk)
{
	struct bph_import_stats s;
	struct bph_store *rows = NULL;
	char db[160], err[256], *msgs = NULL;

	snprintf(db, sizeof(db), "%s/rows.db", f->dir);
	assert_int_equal(
	    bph_store_open(db, BPH_STORE_WRITE, &rows, err, sizeof(err)), 0);
	put_rows(rows, rows_a);
	put_rows(rows, rows_b);
	bph_store_close(rows);
	write_file(f->in, rows_a, sizeof(rows_a) - 1);
	assert_int_equal(import_chunked(f, f->in, chunk, &s, &msgs), 0);
	free(msgs);
	write_file(f->in, rows_b, sizeof(rows_b) - 1);
	assert_int_equal(import_chunked(f, f->in, chunk, &s, &msgs), 0);
	free(msgs);
	for (size_t i = 0; i < sizeof(table_sums) / sizeof(*table_sums); i++)
		assert_true(count(f->db, table_sums[i]) ==
			    count(db, table_sums[i]));
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts"), 4);
}

static void test_bulk_like_rows(void **state)
{
	bulk_like_rows(*state, 0);
}

/* The last step merged a pair at a time (its memory bound at its
 * smallest): the pairs of one host and artifact fall into different
 * chunks, and the holders count each pair once all the same. */
static void test_bulk_one_pair_at_a_time(void **state)
{
	bulk_like_rows(*state, 1);
}

/* One write transaction of st on the bulk path: the JSON Lines in data
 * as one batch, committed as an import commits it. */
static void bulk_txn(struct bph_store *st, int64_t scan, const char *data)
{
	struct bph_wbatch *b = bph_wbatch_new();
	char *copy = strdup(data), *save = NULL;
	size_t added = 0;

	assert_non_null(b);
	for (char *l = strtok_r(copy, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		struct bph_service v = {0};
		json_t *j = json_loads(l, 0, NULL);
		assert_int_equal(bph_service_from_json(j, &v, NULL, 0), 0);
		assert_int_equal(bph_wbatch_add(b, &v), 0);
		bph_service_clear(&v);
		json_decref(j);
	}
	assert_int_equal(bph_db_begin(st->db, BPH_DB_TXN_WRITE), 0);
	assert_int_equal(bph_store_write_batch(st, scan, b, &added), 0);
	assert_int_equal(bph_db_commit(st->db), 0);
	bph_store_write_committed(st);
	bph_wbatch_free(b);
	free(copy);
}

#define KEYED(ip, seen, keys)                                                  \
	"{\"ip\":\"198.18.0." ip "\",\"port\":22,\"state\":\"open\","          \
	"\"seen\":" seen                                                       \
	",\"ssh\":{\"hassh_server\":\"aa\",\"hostkeys\":[" keys "]}}\n"
#define KEY(v) "{\"type\":\"ssh-ed25519\",\"sha256\":\"SHA256:" v "\"}"

/* The bulk path's new artifacts wait in bulk_arts (store_arts.c) and get
 * their ids when published: across the import's transactions, with a
 * publication by another writer between two of them (the ids pending
 * before it are then in arts: looked up, not added again), and an
 * artifact pending in one transaction met again in the next (added to
 * bulk_arts twice, one id in the end). The rows end as the row path
 * leaves them. */
static void test_pending_arts(void **state)
{
	static const char txn1[] =
	    KEYED("1", "100", KEY("k1")) KEYED("2", "100", KEY("k1"));
	static const char txn2[] = KEYED("3", "200", KEY("kz"));
	static const char txn3[] = KEYED("4", "300", KEY("kz") "," KEY("kzz"));
	struct fixture *f = *state;
	struct bph_store *other = NULL;
	char db[160], err[256];
	int64_t scan = 0;

	assert_int_equal(bph_store_scan_begin(f->st, "import", NULL, &scan), 0);
	f->st->bulk = true;
	bulk_txn(f->st, scan, txn1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 0);
	/* a writer opening the store publishes what is pending (store.c) */
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &other, err, sizeof(err)),
	    0);
	bph_store_close(other);
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 2);
	bulk_txn(f->st, scan, txn2);
	bulk_txn(f->st, scan, txn3);
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 3);
	assert_int_equal(bph_store_publish(f->st), 0);
	f->st->bulk = false;
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_inc"), 0);
	assert_int_equal(count(f->db, "SELECT holders FROM arts WHERE"
				      " value = 'SHA256:kz'"),
			 2);

	snprintf(db, sizeof(db), "%s/rows.db", f->dir);
	assert_int_equal(
	    bph_store_open(db, BPH_STORE_WRITE, &other, err, sizeof(err)), 0);
	put_rows(other, txn1);
	put_rows(other, txn2);
	put_rows(other, txn3);
	bph_store_close(other);
	for (size_t i = 0; i < sizeof(table_sums) / sizeof(*table_sums); i++)
		assert_true(count(f->db, table_sums[i]) ==
			    count(db, table_sums[i]));
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 4);
}

/* The one integer sql gives on st's own connection. */
static int64_t own(struct bph_store *st, const char *sql)
{
	struct bph_db_stmt *q = NULL;
	int64_t v = -1;

	assert_int_equal(bph_db_prepare(st->db, sql, &q), 0);
	if (bph_db_step(q) == BPH_DB_ROW)
		v = bph_db_column_int64(q, 0);
	bph_db_finalize(q);
	return v;
}

/* Around a publication the sorts go to files and freed pages are not
 * overwritten (the bulk tables it empties: 5 GB of zeros through the WAL
 * at 10M); after it, both are as before, and a publication leaves them
 * so. */
static void test_publishing_pragmas(void **state)
{
	struct fixture *f = *state;
	int64_t secure = sqlite3_compileoption_used("SECURE_DELETE") ? 1 : 0;

	assert_int_equal(own(f->st, "PRAGMA temp_store"), 2);
	assert_int_equal(own(f->st, "PRAGMA secure_delete"), secure);
	assert_int_equal(bph_db_publishing(f->st->db, true), 0);
	assert_int_equal(own(f->st, "PRAGMA temp_store"), 1);
	assert_int_equal(own(f->st, "PRAGMA secure_delete"), 2);
	assert_int_equal(bph_db_publishing(f->st->db, false), 0);
	assert_int_equal(own(f->st, "PRAGMA temp_store"), 2);
	assert_int_equal(own(f->st, "PRAGMA secure_delete"), secure);
	int64_t scan = 0;
	assert_int_equal(bph_store_scan_begin(f->st, "import", NULL, &scan), 0);
	f->st->bulk = true;
	bulk_txn(f->st, scan, KEYED("1", "100", KEY("kq")));
	assert_int_equal(bph_store_publish(f->st), 0);
	f->st->bulk = false;
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 0);
	assert_int_equal(own(f->st, "PRAGMA temp_store"), 2);
	assert_int_equal(own(f->st, "PRAGMA secure_delete"), secure);
}

/* A writer opening a store with nothing pending takes no write lock (it
 * asks first): it opens while another writer holds one, where it waited
 * for the lock before (60 s at most, then failed). */
static void test_open_beside_a_writer(void **state)
{
	struct fixture *f = *state;
	struct bph_store *other = NULL;
	char err[256];

	assert_int_equal(bph_db_begin(f->st->db, BPH_DB_TXN_WRITE), 0);
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &other, err, sizeof(err)),
	    0);
	bph_store_close(other);
	assert_int_equal(bph_db_commit(f->st->db), 0);
}

/* An artifact pending on the bulk path that another write adds to arts
 * before the publication (a scan between two of an import's
 * transactions) keeps that id: the pairs of both go to it. */
static void test_pending_then_stored(void **state)
{
	static const char bulk[] = KEYED("1", "100", KEY("kp"));
	static const char scan[] = KEYED("2", "200", KEY("kp"));
	struct fixture *f = *state;
	int64_t id = 0;

	assert_int_equal(bph_store_scan_begin(f->st, "import", NULL, &id), 0);
	f->st->bulk = true;
	bulk_txn(f->st, id, bulk);
	f->st->bulk = false;
	put_rows(f->st, scan);
	/* the hassh and the key wait; the scan added both to arts */
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 2);
	id = count(f->db, "SELECT id FROM arts WHERE value = 'SHA256:kp'");
	assert_true(id > 0);
	assert_int_equal(bph_store_publish(f->st), 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM bulk_arts"), 0);
	assert_int_equal(count(f->db, "SELECT id FROM arts"
				      " WHERE value = 'SHA256:kp'"),
			 id);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 2);
	assert_int_equal(count(f->db, "SELECT holders FROM arts"
				      " WHERE value = 'SHA256:kp'"),
			 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM art_hosts"
				      " JOIN arts a ON a.id = art"
				      " WHERE a.value = 'SHA256:kp'"),
			 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts"
				      " WHERE art = (SELECT id FROM arts"
				      " WHERE value = 'SHA256:kp')"),
			 2);
}

/* A new writer (its dictionary of artifact ids empty) meets an artifact
 * first on an observation the store holds, then on a new one in the same
 * batch: the artifact's id is looked up for the new one (the batch's
 * representative of that artifact is the stored observation's, whose
 * artifacts are otherwise skipped), and nothing is added twice. */
static void test_known_artifact_first_stored(void **state)
{
	static const char one[] =
	    "{\"ip\":\"198.18.0.9\",\"port\":22,\"state\":\"open\","
	    "\"seen\":300,\"ssh\":{\"hassh_server\":\"cc\"}}\n";
	static const char two[] =
	    "{\"ip\":\"198.18.0.3\",\"port\":22,\"state\":\"open\","
	    "\"seen\":700,\"ssh\":{\"hassh_server\":\"cc\"}}\n";
	struct fixture *f = *state;
	struct bph_import_stats s;
	char data[sizeof(one) + sizeof(two)], err[256], *msgs = NULL;

	write_file(f->in, one, sizeof(one) - 1);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	bph_store_close(f->st); /* a new writer: its dictionary is empty */
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &f->st, err, sizeof(err)),
	    0);
	snprintf(data, sizeof(data), "%s%s", one, two);
	write_file(f->in, data, strlen(data));
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.added, 1);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 1);
	assert_int_equal(count(f->db, "SELECT holders FROM arts"), 2);
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts"), 2);
}

/* New artifacts get their ids in byte order of (kind, value), the
 * order the batch's sort gives them (store_write.c): values that share
 * their first eight bytes or are prefixes of each other, bytes above
 * 0x7f, in an order unlike the sorted one. */
static void test_new_arts_in_byte_order(void **state)
{
	static const char *const base[] = {"abcdefgh",
					   "abcdefg",
					   "abcdefgh0",
					   "abcdefgh\xc3\xa9",
					   "abcdefgi",
					   "abcdefg\xc3\xbf",
					   "\xc3\xa9",
					   "\xc3\xa9"
					   "a",
					   "A",
					   "a",
					   "ab",
					   "~",
					   "\x7f",
					   " x",
					   "abcdefghabcdefgh",
					   "abcdefghabcdefg",
					   "CN=www.",
					   "CN=www.a"};
	const size_t nb = sizeof(base) / sizeof(base[0]);
	struct fixture *f = *state;
	struct bph_import_stats s;
	char *buf = NULL, *msgs = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	for (size_t i = 0; i < 40 * nb; i++) {
		const char *t = base[(i * 7) % nb], *v = base[(i * 5 + 3) % nb];
		size_t k = i / nb;
		fprintf(out,
			"{\"ip\":\"198.18.%zu.%zu\",\"port\":443,\"state\":"
			"\"open\",\"seen\":5,\"http\":{\"title\":\"%s%.0zu\","
			"\"server\":\"%s%.0zu\"},\"tls\":{\"subject\":"
			"\"%s%zu\"}}\n",
			i >> 8, i & 255, t, k % 3, v, k % 5, v, k);
	}
	fclose(out);
	write_file(f->in, buf, len);
	free(buf);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.records, 40 * nb);
	assert_true(count(f->db, "SELECT count(*) FROM arts") > 300);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts a JOIN arts "
				      "b ON a.id < b.id WHERE a.kind > b.kind "
				      "OR (a.kind = b.kind AND a.value > "
				      "b.value)"),
			 0);
}

/* Record i of the keyed population at time seen: a host of its own, a
 * HASSH of 7 and a host key of 200 (odd i, odd keys). */
static void keyed_record(FILE *f, size_t i, size_t seen)
{
	fprintf(f,
		"{\"ip\":\"198.18.%zu.%zu\",\"port\":22,\"state\":\"open\","
		"\"seen\":%zu,\"ssh\":{\"hassh_server\":\"%032zx\","
		"\"hostkeys\":[{\"type\":\"ssh-ed25519\",\"sha256\":"
		"\"SHA256:k%zu\"}]}}\n",
		(i >> 8) & 255, i & 255, seen, i % 7, i % 200);
}

/* The even records of n at time 1000 + i (first), or all of them and
 * the even ones again at 5000 + i. */
static char *keyed_records(size_t n, bool first, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	for (size_t i = 0; i < n; i++) {
		if (!first || i % 2 == 0)
			keyed_record(f, i, 1000 + i);
		if (!first && i % 2 == 0)
			keyed_record(f, i, 5000 + i);
	}
	fclose(f);
	return buf;
}

static int count_each(void *ctx, const struct bph_service *s)
{
	(void)s;
	(*(size_t *)ctx)++;
	return 0;
}

/* 10,000 records put by a scan (bph_store_put_all_each), every third
 * one new (time 9000 + i), the others held: only the new ones are
 * handed back. */
static void put_keyed(struct bph_store *st)
{
	struct bph_service *v = calloc(10000, sizeof(*v));
	size_t len, n = 0, handed = 0;
	char *buf = NULL, *save = NULL;
	FILE *f = open_memstream(&buf, &len);
	int64_t scan = 0;

	for (size_t i = 0; i < 10000; i++)
		keyed_record(f, i, i % 3 ? 1000 + i : 9000 + i);
	fclose(f);
	for (char *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		json_t *j = json_loads(l, 0, NULL);
		assert_int_equal(bph_service_from_json(j, &v[n++], NULL, 0), 0);
		json_decref(j);
	}
	assert_int_equal(bph_store_scan_begin(st, "test", NULL, &scan), 0);
	assert_int_equal(
	    bph_store_put_all_each(st, scan, v, n, count_each, &handed), 0);
	assert_int_equal(handed, 3334);
	for (size_t i = 0; i < n; i++)
		bph_service_clear(&v[i]);
	free(v);
	free(buf);
}

/* The writer's statements run over thousands of rows at a time
 * (bph_rows, store/db_int.h). A new writer imports 10,000 records into
 * a store that holds every other one, and new observations of the held
 * hosts: each run of services rows, of new artifacts and of art_hosts
 * pairs mixes rows the store holds with new ones. Only the new ones
 * count, each artifact's id is its own (the holders of every host key
 * are its 50 hosts), held pairs are not counted again. */
static void test_runs_partly_held(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	size_t len;
	char *data = keyed_records(10000, true, &len), *msgs = NULL;
	char err[256];

	write_file(f->in, data, len);
	free(data);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.added, 5000);
	bph_store_close(f->st); /* a new writer: its dictionary is empty */
	assert_int_equal(
	    bph_store_open(f->db, BPH_STORE_WRITE, &f->st, err, sizeof(err)),
	    0);
	data = keyed_records(10000, false, &len);
	write_file(f->in, data, len);
	free(data);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	free(msgs);
	assert_int_equal(s.records, 15000);
	assert_int_equal(s.added, 10000);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts"), 207);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts WHERE"
				      " value LIKE 'SHA256:k%'"
				      " AND holders != 50"),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM arts a WHERE"
				      " holders != (SELECT count(*) FROM"
				      " art_hosts h WHERE h.art = a.id)"),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM art_hosts"), 20000);
	/* each host's key is the one its record names, its times span
	 * its observations */
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts h JOIN"
				      " arts a ON a.id = h.art WHERE"
				      " a.value LIKE 'SHA256:k%' AND"
				      " a.value != 'SHA256:k' ||"
				      " ((((h.ip >> 8) & 255) * 256 +"
				      " (h.ip & 255)) % 200)"),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts WHERE"
				      " last_seen - first_seen !="
				      " CASE WHEN ip % 2 THEN 0 ELSE 4000 END"),
			 0);
	assert_int_equal(count(f->db, "SELECT count(*) FROM host_arts"), 20000);
	put_keyed(f->st);
	assert_int_equal(count(f->db, "SELECT count(*) FROM services"), 18334);
}

struct feeder {
	const char *path, *data;
	size_t len;
};

static void *feed(void *arg)
{
	struct feeder *fd = arg;
	FILE *f = fopen(fd->path, "wb"); /* blocks until the reader opens */

	if (f) {
		/* in small pieces, as a pipe delivers them */
		for (size_t off = 0; off < fd->len; off += 1000)
			fwrite(fd->data + off, 1,
			       fd->len - off < 1000 ? fd->len - off : 1000, f);
		fclose(f);
	}
	return NULL;
}

/* A FIFO: no seek, no size; the first bytes read to tell the format must
 * not be lost (the first 4096 bytes once were). */
static void test_pipe(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	struct feeder fd = {f->in, NULL, 0};
	pthread_t t;
	char *msgs = NULL;

	fd.data = bph_test_records(1000, &fd.len);
	assert_int_equal(mkfifo(f->in, 0600), 0);
	assert_int_equal(pthread_create(&t, NULL, feed, &fd), 0);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	pthread_join(t, NULL);
	assert_int_equal(s.records, 1000);
	assert_int_equal(s.added, 1000);
	assert_int_equal(s.bytes, fd.len);
	free(msgs);
	free((char *)fd.data);
}

static void test_bom_and_garbage(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	size_t len;
	char *data = bph_test_records(2, &len), *msgs = NULL;
	char *bom = malloc(len + 3);

	memcpy(bom, "\xef\xbb\xbf", 3);
	memcpy(bom + 3, data, len);
	write_file(f->in, bom, len + 3);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.records, 2);
	assert_int_equal(s.bad, 0);
	free(msgs);
	/* pure garbage: refused, nothing stored, no scan left */
	write_file(f->in, "\x01\x02garbage\n", 10);
	assert_int_equal(import(f, f->in, &s, &msgs), BPH_ERR_FORMAT);
	assert_non_null(strstr(msgs, "not a format bphound imports"));
	free(msgs);
	/* JSON that holds no record: refused too */
	write_file(f->in, "{\"a\":1}\n{nope\n", 14);
	assert_int_equal(import(f, f->in, &s, &msgs), BPH_ERR_FORMAT);
	assert_int_equal(s.bad, 2);
	assert_non_null(strstr(msgs, ":1: "));
	assert_non_null(strstr(msgs, ":2: "));
	free(msgs);
	assert_int_equal(count(f->db, "SELECT count(*) FROM scans"), 1);
	free(bom);
	free(data);
}

/* Line numbers of bad lines stay right across the parser's chunks (4 MiB)
 * and its worker threads. */
static void test_bad_lines_far_apart(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	size_t len;
	char *data = bph_test_records(4000, &len), *msgs = NULL, want[160];
	FILE *o = fopen(f->in, "wb");
	size_t line = 0;

	/* 2,000 spaces before each line (JSON allows them): 9 MB, lines
	 * across three 4 MiB chunks, from few records */
	for (char *p = data, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
		fprintf(o, "%2000s", "");
		if (++line % 1000 == 0)
			fputs("{broken\n", o);
		else
			fwrite(p, 1, (size_t)(nl + 1 - p), o);
	}
	fclose(o);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.bad, 4);
	assert_int_equal(s.records, 4000 - 4);
	for (int i = 1; i <= 4; i++) {
		snprintf(want, sizeof(want), "%s:%d: ", f->in, i * 1000);
		assert_non_null(strstr(msgs, want));
	}
	free(msgs);
	free(data);
}

static const char nmap_port[] =
    "<host starttime=\"7\"><address addr=\"192.0.2.%d\" addrtype=\"ipv4\"/>"
    "<ports><port protocol=\"tcp\" portid=\"80\"><state state=\"open\"/>"
    "<script id=\"http-title\"><elem key=\"title\">t</elem></script>"
    "</port></ports></host>";

/* <nmaprun> after the first 4 KiB (a long comment before it) is nmap XML
 * all the same. */
static void test_nmap_late_root(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	char *msgs = NULL, host[512];
	FILE *o = fopen(f->in, "wb");

	fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun>\n<!-- ", o);
	for (int i = 0; i < 9000; i++)
		fputc('x', o);
	fputs(" -->\n<nmaprun scanner=\"nmap\">", o);
	for (int i = 1; i <= 3; i++) {
		snprintf(host, sizeof(host), nmap_port, i);
		fputs(host, o);
	}
	fputs("</nmaprun>\n", o);
	fclose(o);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.records, 3);
	assert_int_equal(s.added, 3);
	free(msgs);
}

/* A 3 MB file whose internal entity, referenced a million times, expands
 * to gigabytes (the importer once took 3.1 GB): refused before any
 * expansion, in little memory. */
static void test_nmap_entity_bomb(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	struct rusage before, after;
	char *msgs = NULL;
	FILE *o = fopen(f->in, "wb");

	fputs("<?xml version=\"1.0\"?>\n<!DOCTYPE nmaprun [\n<!ENTITY b \"", o);
	for (int i = 0; i < 500; i++)
		fputs("xxxxxxxxxx", o);
	fputs("\">\n]>\n<nmaprun><host><address addr=\"192.0.2.1\" "
	      "addrtype=\"ipv4\"/><ports><port protocol=\"tcp\" "
	      "portid=\"80\"><state state=\"open\"/><script "
	      "id=\"http-title\"><elem key=\"title\">",
	      o);
	for (int i = 0; i < 1000000; i++)
		fputs("&b;", o);
	fputs("</elem></script></port></ports></host></nmaprun>\n", o);
	fclose(o);
	getrusage(RUSAGE_SELF, &before);
	assert_int_equal(import(f, f->in, &s, &msgs), BPH_ERR_FORMAT);
	getrusage(RUSAGE_SELF, &after);
	assert_non_null(strstr(msgs, "declares entities"));
	assert_int_equal(s.records, 0);
	/* far below the 50 GB the references expand to */
	assert_true(after.ru_maxrss - before.ru_maxrss < 200 * 1024);
	free(msgs);
	/* nested entities (billion laughs) are refused as well */
	write_file(f->in,
		   "<!DOCTYPE nmaprun [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
		   "\"&a;&a;&a;&a;&a;&a;&a;&a;\">]><nmaprun>&b;</nmaprun>",
		   105);
	assert_int_equal(import(f, f->in, &s, &msgs), BPH_ERR_FORMAT);
	free(msgs);
}

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifndef UNDER_ASAN
/* The child's part of test_alloc_failure: the import under an address
 * space limit; the exit status says what it returned. */
static int import_limited(struct fixture *f)
{
	struct bph_store *st = NULL;
	struct bph_import_stats s;
	struct bph_import_opts o = {.threads = 1};
	char err[256] = "", db[160];
	unsigned long pages = 0;
	FILE *m = fopen("/proc/self/statm", "r");
	int rc;

	snprintf(db, sizeof(db), "%s/limited.db", f->dir);
	if (!m || fscanf(m, "%lu", &pages) != 1 ||
	    bph_store_open(db, BPH_STORE_WRITE, &st, err, sizeof(err)))
		return 10;
	fclose(m);
	/* room for the pipeline's usual buffers (a few 4 MiB chunks, a
	 * thread's stack), not for a 64 MiB line */
	struct rlimit lim = {0};
	lim.rlim_cur = lim.rlim_max =
	    (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + (48u << 20);
	if (setrlimit(RLIMIT_AS, &lim))
		return 11;
	rc = bph_store_import_file(st, f->in, &o, &s, err, sizeof(err));
	bph_store_close(st);
	if (rc == BPH_ERR_NOMEM && s.records < 400)
		return 0;
	return rc ? 12 : 13; /* 13: taken for the end of the file */
}
#endif

/* A line that needs more memory than there is: without a limit it is one
 * bad line (longer than 64 MiB) between 400 good ones; under an address
 * space limit the import fails with BPH_ERR_NOMEM (bphound exits 1 with
 * "out of memory") instead of stopping there as if the file had ended.
 * A real failure of malloc, not a mock; ASan reserves terabytes of
 * address space, so there the limited half is skipped. */
static void test_alloc_failure(void **state)
{
	struct fixture *f = *state;
	struct bph_import_stats s;
	size_t len;
	char *data = bph_test_records(400, &len), *msgs = NULL,
	     *x = malloc(1u << 20);
	size_t cut = len / 2; /* after a whole line */
	FILE *o = fopen(f->in, "wb");

	assert_non_null(o);
	assert_non_null(x);
	while (data[cut - 1] != '\n')
		cut++;
	memset(x, 'x', 1u << 20);
	fwrite(data, 1, cut, o);
	fputc('"', o);
	for (int i = 0; i < 65; i++) /* 65 MiB: past the 64 MiB bound */
		fwrite(x, 1, 1u << 20, o);
	fputs("\"\n", o);
	fwrite(data + cut, 1, len - cut, o);
	fclose(o);
	free(x);
	free(data);
	assert_int_equal(import(f, f->in, &s, &msgs), 0);
	assert_int_equal(s.records, 400);
	assert_int_equal(s.bad, 1);
	assert_non_null(strstr(msgs, "longer than 64 MiB"));
	free(msgs);
#ifdef UNDER_ASAN
	skip();
#else
	int status = -1;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(import_limited(f));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_twice_adds_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rows, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bulk_like_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bulk_one_pair_at_a_time, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_new_arts_in_byte_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_runs_partly_held, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pending_arts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_publishing_pragmas, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_open_beside_a_writer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_pending_then_stored, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_known_artifact_first_stored,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pipe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bom_and_garbage, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_lines_far_apart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_nmap_late_root, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_nmap_entity_bomb, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_alloc_failure, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
