/*
 * store_sweep.c - sweep runs and the reads a sweep's diff makes: a run's
 * services, one service back, and whether an address was seen before
 * (contract in store/sweep_store.h; tables in store/schema.c, module
 * "sweep"). The events, derived state and outbox are store_outbox.c's.
 */
#include "store/sweep_store.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "store/store.h"
#include "store/db_int.h"

static const char *const status_names[] = {"running", "complete", "interrupted",
					   "failed"};

const char *bph_run_status_name(enum bph_run_status s)
{
	return (unsigned)s < 4 ? status_names[s] : "failed";
}

static enum bph_run_status status_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (!strcmp(status_names[i], s))
			return (enum bph_run_status)i;
	return BPH_RUN_FAILED;
}

void bph_sweep_run_clear(struct bph_sweep_run *r)
{
	free(r->ranges);
	free(r->ports);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

/* Runs a prepared statement to completion; 0 or a negative BPH_ERR_*. */
static int run_stmt(struct bph_db_stmt *q, int rc)
{
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW)
		rc = 0;
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

static int interrupt_stale(struct bph_store *st, const char *sweep, int *n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"UPDATE sweep_runs SET status = 'interrupted',"
				" finished = ?, error = 'found running at the"
				" start of a later run (killed?)'"
				" WHERE status = 'running'",
				&q);

	(void)sweep; /* the lock is the store's: any running run is dead */
	if (!rc) {
		bph_db_bind_int64(q, 1, (int64_t)time(NULL));
		rc = bph_db_step(q);
		*n = rc >= 0 ? (int)bph_db_changes(q) : 0;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

static int insert_run(struct bph_store *st, const char *sweep, const char *sha,
		      int64_t pid, int64_t *run)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "INSERT INTO sweep_runs(sweep, status, started, pid,"
	    " config_sha256) VALUES (?, 'running', ?, ?, ?) RETURNING id",
	    &q);

	if (!rc) {
		bph_db_bind_text(q, 1, sweep);
		bph_db_bind_int64(q, 2, (int64_t)time(NULL));
		bph_db_bind_int64(q, 3, pid);
		bph_db_bind_text(q, 4, sha);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW) {
		*run = bph_db_column_int64(q, 0);
		rc = bph_db_step(q);
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

int bph_sweep_run_begin(struct bph_store *st, const char *sweep,
			const char *config_sha256, int64_t pid, int64_t *run,
			int *n_interrupted)
{
	int rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE);

	if (!rc)
		rc = interrupt_stale(st, sweep, n_interrupted);
	if (!rc)
		rc = insert_run(st, sweep, config_sha256, pid, run);
	if (!rc)
		rc = bph_db_commit(st->db);
	if (rc)
		bph_db_rollback(st->db);
	return rc;
}

int bph_sweep_run_set_scan(struct bph_store *st, int64_t run, int64_t scan_id,
			   const char *ranges, const char *ports,
			   int64_t observed)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"UPDATE sweep_runs SET scan_id = ?, ranges = ?,"
				" ports = ?, observed = ? WHERE id = ?",
				&q);

	if (!rc) {
		bph_db_bind_int64(q, 1, scan_id);
		bph_db_bind_text(q, 2, ranges);
		bph_db_bind_text(q, 3, ports);
		bph_db_bind_int64(q, 4, observed);
		bph_db_bind_int64(q, 5, run);
	}
	return run_stmt(q, rc);
}

int bph_sweep_run_end(struct bph_store *st, int64_t run,
		      enum bph_run_status status, const char *error)
{
	struct bph_db_stmt *q = NULL;
	int rc =
	    bph_db_prepare(st->db,
			   "UPDATE sweep_runs SET status = ?, finished = ?,"
			   " error = ? WHERE id = ?",
			   &q);

	if (!rc) {
		bph_db_bind_text(q, 1, bph_run_status_name(status));
		bph_db_bind_int64(q, 2, (int64_t)time(NULL));
		if (error)
			bph_db_bind_text(q, 3, error);
		else
			bph_db_bind_null(q, 3);
		bph_db_bind_int64(q, 4, run);
	}
	return run_stmt(q, rc);
}

#define RUN_COLS                                                               \
	"id, sweep, scan_id, status, started, finished, pid, config_sha256,"   \
	" ranges, ports, hosts, services, events, evaluated, error, observed," \
	" eval_key, eval_now"

static char *dup_col(struct bph_db_stmt *q, int i)
{
	const char *s = bph_db_column_text(q, i);
	return s ? strdup(s) : NULL;
}

static void read_run(struct bph_db_stmt *q, struct bph_sweep_run *r)
{
	const char *s;

	memset(r, 0, sizeof(*r));
	r->id = bph_db_column_int64(q, 0);
	snprintf(r->sweep, sizeof(r->sweep), "%s",
		 (s = bph_db_column_text(q, 1)) ? s : "");
	r->scan_id = bph_db_column_int64(q, 2);
	r->status = status_parse(bph_db_column_text(q, 3));
	r->started = bph_db_column_int64(q, 4);
	r->finished = bph_db_column_int64(q, 5);
	r->pid = bph_db_column_int64(q, 6);
	snprintf(r->config_sha256, sizeof(r->config_sha256), "%s",
		 (s = bph_db_column_text(q, 7)) ? s : "");
	r->ranges = dup_col(q, 8);
	r->ports = dup_col(q, 9);
	r->hosts = bph_db_column_int64(q, 10);
	r->services = bph_db_column_int64(q, 11);
	r->events = bph_db_column_int64(q, 12);
	r->evaluated = bph_db_column_int64(q, 13) != 0;
	r->error = dup_col(q, 14);
	r->observed = bph_db_column_int64(q, 15);
	snprintf(r->eval_key, sizeof(r->eval_key), "%s",
		 (s = bph_db_column_text(q, 16)) ? s : "");
	r->eval_now = bph_db_column_int64(q, 17);
}

int bph_sweep_run_get(struct bph_store *st, int64_t id,
		      struct bph_sweep_run *out)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db, "SELECT " RUN_COLS " FROM sweep_runs WHERE id = ?", &q);

	if (!rc) {
		bph_db_bind_int64(q, 1, id);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW)
		read_run(q, out);
	bph_db_finalize(q);
	return rc == BPH_DB_ROW ? 0 : rc == BPH_DB_DONE ? BPH_ERR_USAGE : rc;
}

int bph_sweep_runs_complete(struct bph_store *st, const char *sweep,
			    int64_t before, size_t max, int64_t *ids, size_t *n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"SELECT id FROM sweep_runs WHERE sweep = ? AND"
				" status = 'complete' AND (? = 0 OR id < ?)"
				" ORDER BY id DESC",
				&q);

	*n = 0;
	if (!rc) {
		bph_db_bind_text(q, 1, sweep);
		bph_db_bind_int64(q, 2, before);
		bph_db_bind_int64(q, 3, before);
	}
	while (!rc && *n < max && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		ids[(*n)++] = bph_db_column_int64(q, 0);
		rc = 0;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

int bph_sweep_runs_each(struct bph_store *st, const char *sweep,
			bph_sweep_run_cb cb, void *ctx)
{
	struct bph_db_stmt *q = NULL;
	struct bph_sweep_run r;
	int rc = bph_db_prepare(st->db,
				"SELECT " RUN_COLS " FROM sweep_runs"
				" WHERE (? IS NULL OR sweep = ?) ORDER BY id",
				&q);

	if (!rc && sweep) {
		bph_db_bind_text(q, 1, sweep);
		bph_db_bind_text(q, 2, sweep);
	} else if (!rc) {
		bph_db_bind_null(q, 1);
		bph_db_bind_null(q, 2);
	}
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		read_run(q, &r);
		rc = cb(ctx, &r);
		bph_sweep_run_clear(&r);
	}
	bph_db_finalize(q);
	return rc < 0 || rc > 0 ? rc : 0;
}

int bph_sweep_names_each(struct bph_store *st,
			 int (*cb)(void *ctx, const char *sweep,
				   int64_t last_complete),
			 void *ctx)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT sweep, max(CASE WHEN status = 'complete' THEN id ELSE 0"
	    " END) FROM sweep_runs GROUP BY sweep ORDER BY sweep",
	    &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW)
		rc = cb(ctx, bph_db_column_text(q, 0),
			bph_db_column_int64(q, 1));
	bph_db_finalize(q);
	return rc < 0 || rc > 0 ? rc : 0;
}

/* ---- services ---- */

/* The service of q's row: its record column (0) decoded, its address
 * from the ip column (1), an integer. */
static int row_service(struct bph_db_stmt *q, struct bph_service *s)
{
	const char *text = bph_db_column_text(q, 0);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	rc = j ? bph_service_from_json(j, s, NULL, 0) : BPH_ERR_FORMAT;
	json_decref(j);
	s->ip = (uint32_t)bph_db_column_int64(q, 1);
	return rc;
}

/* Hands q's row's service to cb if open (with cols, port and seen are
 * the row's columns 2 and 3). */
static int row_cols(struct bph_db_stmt *q, bool cols, bph_service_cb cb,
		    void *ctx)
{
	struct bph_service s;
	int rc = row_service(q, &s);

	if (cols) { /* as bph_store_scan_each gives them */
		s.port = (uint16_t)bph_db_column_int64(q, 2);
		s.seen = (time_t)bph_db_column_int64(q, 3);
	}
	if (!rc && s.state == BPH_STATE_OPEN)
		cb(ctx, &s);
	bph_service_clear(&s);
	return rc;
}

static int each_row(struct bph_db_stmt *q, bph_service_cb cb, void *ctx)
{
	return row_cols(q, false, cb, ctx);
}

struct open_only {
	bph_service_cb cb;
	void *ctx;
};

static int pass_open(void *vctx, const struct bph_service *s)
{
	const struct open_only *o = vctx;

	if (s->state == BPH_STATE_OPEN)
		o->cb(o->ctx, s);
	return 0;
}

int bph_store_scan_each(struct bph_store *st, int64_t scan_id,
			bph_service_cb cb, void *ctx)
{
	struct open_only o = {cb, ctx};

	return bph_store_scan_services(st, scan_id, pass_open, &o);
}

int bph_store_scan_rows(struct bph_store *st, int64_t scan_id, int64_t *n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db, "SELECT count(*) FROM services WHERE scan_id = ?", &q);

	*n = 0;
	if (!rc)
		rc = bph_db_bind_int64(q, 1, scan_id);
	if (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		*n = bph_db_column_int64(q, 0);
		rc = 0;
	} else if (!rc) {
		rc = BPH_ERR_DB;
	}
	bph_db_finalize(q);
	return rc;
}

struct bph_scan_ports {
	struct bph_db_stmt *q; /* prepared once: one per service was a
				  quarter of reading the candidates */
	int64_t scan_id;
};

int bph_scan_ports_open(struct bph_store *st, int64_t scan_id,
			struct bph_scan_ports **out)
{
	struct bph_scan_ports *p = calloc(1, sizeof(*p));
	int rc =
	    p ? bph_db_prepare(st->db,
			       "SELECT record, ip, port, seen FROM services"
			       " WHERE scan_id = ? AND ip = ? AND port = ?"
			       " ORDER BY seen",
			       &p->q)
	      : BPH_ERR_NOMEM;

	if (rc) {
		bph_scan_ports_close(p);
		p = NULL;
	} else {
		p->scan_id = scan_id;
	}
	*out = p;
	return rc;
}

int bph_scan_ports_each(struct bph_scan_ports *p, uint32_t ip, uint16_t port,
			bph_service_cb cb, void *ctx)
{
	int rc = bph_db_reset(p->q);

	if (!rc)
		rc = bph_db_bind_int64(p->q, 1, p->scan_id);
	if (!rc)
		rc = bph_db_bind_int64(p->q, 2, ip);
	if (!rc)
		rc = bph_db_bind_int64(p->q, 3, port);
	while (!rc && (rc = bph_db_step(p->q)) == BPH_DB_ROW)
		rc = row_cols(p->q, true, cb, ctx);
	return rc < 0 ? rc : 0;
}

void bph_scan_ports_close(struct bph_scan_ports *p)
{
	if (!p)
		return;
	bph_db_finalize(p->q);
	free(p);
}

int bph_store_scan_port_each(struct bph_store *st, int64_t scan_id, uint32_t ip,
			     uint16_t port, bph_service_cb cb, void *ctx)
{
	struct bph_scan_ports *p = NULL;
	int rc = bph_scan_ports_open(st, scan_id, &p);

	if (!rc)
		rc = bph_scan_ports_each(p, ip, port, cb, ctx);
	bph_scan_ports_close(p);
	return rc;
}

/* An address asked for (i: its index in the caller's hosts), then a row
 * of one, in the two passes of bph_store_hosts_each. */
struct host_ix {
	uint32_t ip;
	size_t i;
};

struct row_ix {
	int64_t row;
	size_t i;
};

static int cmp_host_ix(const void *a, const void *b)
{
	const struct host_ix *x = a, *y = b;

	if (x->ip != y->ip)
		return x->ip < y->ip ? -1 : 1;
	return (x->i > y->i) - (x->i < y->i);
}

static int cmp_row_ix(const void *a, const void *b)
{
	const struct row_ix *x = a, *y = b;

	return (x->row > y->row) - (x->row < y->row);
}

/* PostgreSQL answers a batch of keys in one round trip where SQLite,
 * in-process, takes one key a statement: a Zeek export of a large
 * store asks for a row per record. */
#define PG_BATCH 1024

/* The keys of a batch: one bound as an integer on SQLite, a batch as
 * "{k0,k1,...}" on PostgreSQL (list grown as needed). */
struct key_batch {
	bool pg;
	size_t size; /* keys a statement */
	char *list;
	size_t cap;
};

static void batch_init(struct key_batch *b, struct bph_db *db)
{
	b->pg = bph_db_backend(db) == BPH_DB_PG;
	b->size = b->pg ? PG_BATCH : 1;
	b->list = NULL;
	b->cap = 0;
}

/* Binds keys key(v, 0..m) to q's parameter 1. */
static int bind_keys(struct bph_db_stmt *q, struct key_batch *b, size_t m,
		     int64_t (*key)(const void *v, size_t i), const void *v)
{
	size_t need = m * 21 + 3, k = 0;

	if (!b->pg)
		return bph_db_bind_int64(q, 1, key(v, 0));
	if (need > b->cap) {
		char *l = realloc(b->list, need);
		if (!l)
			return BPH_ERR_NOMEM;
		b->list = l;
		b->cap = need;
	}
	b->list[k++] = '{';
	for (size_t i = 0; i < m; i++)
		k += (size_t)sprintf(b->list + k, i ? ",%lld" : "%lld",
				     (long long)key(v, i));
	memcpy(b->list + k, "}", 2);
	return bph_db_bind_text(q, 1, b->list);
}

static int64_t host_key(const void *v, size_t i)
{
	return ((const struct host_ix *)v)[i].ip;
}

static int64_t row_key(const void *v, size_t i)
{
	return ((const struct row_ix *)v)[i].row;
}

/* The first of h[0..n) (sorted) at address ip, or NULL. */
static const struct host_ix *find_host(const struct host_ix *h, size_t n,
				       int64_t ip)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h[mid].ip < ip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && h[lo].ip == ip ? &h[lo] : NULL;
}

struct row_vec {
	struct row_ix *v;
	size_t n, cap;
};

static int row_push(struct row_vec *r, int64_t row, size_t i)
{
	if (r->n == r->cap) {
		size_t c = r->cap ? r->cap * 2 : 1024;
		struct row_ix *nv = realloc(r->v, c * sizeof(*nv));
		if (!nv)
			return BPH_ERR_NOMEM;
		r->v = nv;
		r->cap = c;
	}
	r->v[r->n++] = (struct row_ix){row, i};
	return 0;
}

/* The rows of h[0..n) (sorted; an address given twice is read once, for
 * its first index), through services_obs, into r. A batch of addresses
 * a statement on PostgreSQL, one on SQLite. */
static int rows_of(struct bph_db *db, const struct host_ix *h, size_t n,
		   struct row_vec *r)
{
	struct bph_db_stmt *q = NULL;
	struct key_batch b;
	int rc;

	batch_init(&b, db);
	rc = bph_db_prepare(db,
			    b.pg ? "SELECT id, ip FROM services"
				   " WHERE ip = ANY(CAST(? AS BIGINT[]))"
				 : "SELECT id, ip FROM services WHERE ip = ?",
			    &q);
	for (size_t j = 0; !rc && j < n; j += b.size) {
		rc = bind_keys(q, &b, n - j < b.size ? n - j : b.size, host_key,
			       h + j);
		while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
			const struct host_ix *e =
			    find_host(h, n, bph_db_column_int64(q, 1));
			rc = e ? row_push(r, bph_db_column_int64(q, 0), e->i)
			       : 0;
		}
		bph_db_reset(q);
	}
	bph_db_finalize(q);
	free(b.list);
	return rc < 0 ? rc : 0;
}

/* Pass two: the rows in the table's order, each open one to cb; a batch
 * a statement on PostgreSQL, one on SQLite. */
static int read_rows(struct bph_db *db, const struct row_ix *v, size_t n,
		     bph_hosts_cb cb, void *ctx)
{
	struct bph_db_stmt *q = NULL;
	struct key_batch b;
	int rc;

	batch_init(&b, db);
	rc = bph_db_prepare(
	    db,
	    b.pg ? "SELECT record, ip, scan_id, id FROM services"
		   " WHERE id = ANY(CAST(? AS BIGINT[])) AND state = 'open'"
		   " ORDER BY id"
		 : "SELECT record, ip, scan_id, id FROM services"
		   " WHERE id = ? AND state = 'open'",
	    &q);
	for (size_t k = 0; !rc && k < n; k += b.size) {
		size_t m = n - k < b.size ? n - k : b.size, at_k = k;
		rc = bind_keys(q, &b, m, row_key, v + k);
		while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
			int64_t row = bph_db_column_int64(q, 3);
			while (at_k < k + m && v[at_k].row < row)
				at_k++; /* rows come in order: a merge */
			if (at_k == k + m || v[at_k].row != row) {
				rc = BPH_ERR_DB; /* a row not asked for */
				break;
			}
			struct bph_service s;
			struct bph_host_at at = {
			    v[at_k].i, bph_db_column_int64(q, 2), row};
			rc = row_service(q, &s);
			if (!rc && s.state == BPH_STATE_OPEN)
				cb(ctx, &at, &s);
			bph_service_clear(&s);
		}
		bph_db_reset(q);
	}
	bph_db_finalize(q);
	free(b.list);
	return rc < 0 ? rc : 0;
}

/* h[0..n) sorted, keeping the first entry of each address; the count. */
static size_t dedupe(struct host_ix *h, size_t n)
{
	size_t k = 0;

	for (size_t j = 0; j < n; j++)
		if (!k || h[j].ip != h[k - 1].ip)
			h[k++] = h[j];
	return k;
}

int bph_store_hosts_each(struct bph_store *st, const char *const *hosts,
			 size_t n, bph_hosts_cb cb, void *ctx)
{
	struct host_ix *h = malloc((n + 1) * sizeof(*h));
	struct row_vec rows = {0};
	size_t m = 0;
	struct in_addr a;
	int rc = h ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++)
		if (inet_pton(AF_INET, hosts[i], &a) == 1)
			h[m++] = (struct host_ix){ntohl(a.s_addr), i};
	if (!rc)
		qsort(h, m, sizeof(*h), cmp_host_ix);
	m = dedupe(h, m);
	/* one snapshot: the rows found must still be there to read */
	bool own = !rc && !bph_db_in_txn(st->db);
	if (own)
		rc = bph_db_begin(st->db, BPH_DB_TXN_READ);
	if (!rc)
		rc = rows_of(st->db, h, m, &rows);
	if (!rc && rows.n) {
		qsort(rows.v, rows.n, sizeof(*rows.v), cmp_row_ix);
		rc = read_rows(st->db, rows.v, rows.n, cb, ctx);
	}
	if (own && !rc)
		rc = bph_db_commit(st->db);
	else if (own)
		bph_db_rollback(st->db);
	free(rows.v);
	free(h);
	return rc;
}

struct one {
	struct bph_service *out;
	bool found;
	int rc;
};

/* Deep-copies the borrowed record as its JSON form gives it back
 * (bph_service_normalize: the round trip without the tree). */
static void take(void *ctx, const struct bph_service *s)
{
	struct one *o = ctx;

	o->rc = bph_service_normalize(s, o->out);
	o->out->ip = s->ip;
	o->found = true;
}

int bph_store_scan_get(struct bph_store *st, int64_t scan_id, uint32_t ip,
		       uint16_t port, struct bph_service *out)
{
	struct bph_db_stmt *q = NULL;
	struct one o = {.out = out};
	int rc = bph_db_prepare(st->db,
				"SELECT record, ip FROM services WHERE"
				" scan_id = ? AND ip = ? AND port = ? AND"
				" state = 'open' ORDER BY seen DESC",
				&q);

	if (!rc) {
		bph_db_bind_int64(q, 1, scan_id);
		bph_db_bind_int64(q, 2, ip);
		bph_db_bind_int64(q, 3, port);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW)
		rc = each_row(q, take, &o);
	bph_db_finalize(q);
	if (rc < 0)
		return rc;
	return !o.found ? BPH_ERR_USAGE : o.rc;
}

int bph_sweep_seen_before(struct bph_store *st, const char *sweep, int64_t run,
			  uint32_t ip, int64_t *last)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT max(r.id) FROM services s JOIN sweep_runs r"
	    " ON r.scan_id = s.scan_id WHERE s.ip = ? AND s.state = 'open'"
	    " AND r.sweep = ? AND r.status = 'complete' AND r.id < ?",
	    &q);

	*last = 0;
	if (!rc) {
		bph_db_bind_int64(q, 1, ip);
		bph_db_bind_text(q, 2, sweep);
		bph_db_bind_int64(q, 3, run);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW)
		*last = bph_db_column_int64(q, 0);
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}
