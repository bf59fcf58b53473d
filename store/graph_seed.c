/*
 * graph_seed.c - the store's side of one seed's clustering
 * (cluster/seed.h): the queries of struct bph_graph_source over the
 * hosts, arts, art_hosts and host_arts tables (store/schema.c), each one
 * indexed lookup. Contract in graph_seed.h.
 */
#include "store/graph_seed.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "store/db_int.h"

enum { Q_COUNT, Q_HOLDERS, Q_HOST, Q_ISHOST, Q_ART, Q_RANGE, Q_N };

static const char *const sql[Q_N] = {
    "SELECT count(*) FROM hosts",
    "SELECT holders FROM arts WHERE kind = ? AND value = ?",
    "SELECT a.kind, a.value, h.port, h.first_seen, h.last_seen, a.holders"
    " FROM host_arts h JOIN arts a ON a.id = h.art WHERE h.ip = ?",
    "SELECT 1 FROM hosts WHERE ip = ?",
    "SELECT h.ip FROM art_hosts h JOIN arts a ON a.id = h.art"
    " WHERE a.kind = ? AND a.value = ?",
    "SELECT ip FROM hosts WHERE ip BETWEEN ? AND ? ORDER BY ip",
};

struct store_source {
	struct bph_graph_source src; /* first: what callers hold */
	struct bph_store *st;
	struct bph_db_stmt *q[Q_N];
	bool own_txn;
};

/* Runs query k (parameters bound by the caller) row by row into fn. */
static int rows(struct store_source *s, int k,
		int (*fn)(struct store_source *, struct bph_db_stmt *, void *),
		void *arg)
{
	struct bph_db_stmt *q = s->q[k];
	int rc;

	while ((rc = bph_db_step(q)) == BPH_DB_ROW)
		if ((rc = fn(s, q, arg)))
			break;
	bph_db_reset(q);
	return rc == BPH_DB_DONE ? 0 : rc;
}

static int count_hosts(void *ctx, uint64_t *n)
{
	struct store_source *s = ctx;
	int rc = bph_db_step(s->q[Q_COUNT]);

	*n = rc == BPH_DB_ROW ? (uint64_t)bph_db_column_int64(s->q[Q_COUNT], 0)
			      : 0;
	bph_db_reset(s->q[Q_COUNT]);
	return rc == BPH_DB_ROW ? 0 : rc < 0 ? rc : BPH_ERR_IO;
}

static int count_holders(void *ctx, const char *kind, const char *value,
			 uint64_t *df)
{
	struct store_source *s = ctx;
	struct bph_db_stmt *q = s->q[Q_HOLDERS];
	int rc;

	bph_db_bind_text(q, 1, kind);
	bph_db_bind_text(q, 2, value);
	rc = bph_db_step(q);
	*df = rc == BPH_DB_ROW ? (uint64_t)bph_db_column_int64(q, 0) : 0;
	bph_db_reset(q);
	return rc < 0 ? rc : 0;
}

/* The address of a host string, or -1 (the store keeps IPv4 only). */
static int64_t addr_of(const char *host)
{
	struct in_addr a;

	return inet_pton(AF_INET, host, &a) == 1 ? (int64_t)ntohl(a.s_addr)
						 : -1;
}

struct call {
	bph_graph_row_fn fn;
	void *arg;
	const char *host;
	size_t n;
};

static int host_row(struct store_source *s, struct bph_db_stmt *q, void *arg)
{
	struct call *c = arg;
	struct bph_graph_row r = {c->host,
				  bph_db_column_text(q, 0),
				  bph_db_column_text(q, 1),
				  (uint16_t)bph_db_column_int64(q, 2),
				  bph_db_column_int64(q, 3),
				  bph_db_column_int64(q, 4),
				  (uint64_t)bph_db_column_int64(q, 5)};

	(void)s;
	c->n++;
	return c->fn(c->arg, &r);
}

static int host_rows(void *ctx, const char *host, bph_graph_row_fn fn,
		     void *arg, bool *answered)
{
	struct store_source *s = ctx;
	struct call c = {fn, arg, host, 0};
	int64_t ip = addr_of(host);
	int rc;

	*answered = false;
	if (ip < 0)
		return 0;
	bph_db_bind_int64(s->q[Q_HOST], 1, ip);
	rc = rows(s, Q_HOST, host_row, &c);
	if (!rc && c.n)
		*answered = true;
	else if (!rc) {
		bph_db_bind_int64(s->q[Q_ISHOST], 1, ip);
		rc = bph_db_step(s->q[Q_ISHOST]);
		*answered = rc == BPH_DB_ROW;
		bph_db_reset(s->q[Q_ISHOST]);
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

/* A row naming only a host (artifact_rows' holders, range_hosts). */
static int host_only(struct store_source *s, struct bph_db_stmt *q, void *arg)
{
	struct call *c = arg;
	char ip[16];
	struct bph_graph_row r = {.host = ip};

	(void)s;
	bph_ip_str((uint32_t)bph_db_column_int64(q, 0), ip);
	return c->fn(c->arg, &r);
}

static int artifact_rows(void *ctx, const char *kind, const char *value,
			 bph_graph_row_fn fn, void *arg)
{
	struct store_source *s = ctx;
	struct call c = {fn, arg, NULL, 0};

	bph_db_bind_text(s->q[Q_ART], 1, kind);
	bph_db_bind_text(s->q[Q_ART], 2, value);
	return rows(s, Q_ART, host_only, &c);
}

static int range_hosts(void *ctx, uint32_t lo, uint32_t hi, bph_graph_row_fn fn,
		       void *arg)
{
	struct store_source *s = ctx;
	struct call c = {fn, arg, NULL, 0};

	bph_db_bind_int64(s->q[Q_RANGE], 1, lo);
	bph_db_bind_int64(s->q[Q_RANGE], 2, hi);
	return rows(s, Q_RANGE, host_only, &c);
}

int bph_store_graph_source(struct bph_store *st, struct bph_graph_source **out)
{
	struct store_source *s = calloc(1, sizeof(*s));
	int rc = s ? 0 : BPH_ERR_NOMEM;

	*out = NULL;
	if (rc)
		return rc;
	s->st = st;
	s->src =
	    (struct bph_graph_source){s,	 count_hosts,	count_holders,
				      host_rows, artifact_rows, range_hosts};
	/* one snapshot: a writer's commit must not change counts mid-walk */
	s->own_txn = !bph_db_in_txn(st->db);
	rc = s->own_txn ? bph_db_begin(st->db, BPH_DB_TXN_READ) : 0;
	if (rc)
		s->own_txn = false;
	for (int k = 0; !rc && k < Q_N; k++)
		rc = bph_db_prepare(st->db, sql[k], &s->q[k]);
	if (rc) {
		bph_store_graph_source_free(&s->src);
		return rc;
	}
	*out = &s->src;
	return 0;
}

void bph_store_graph_source_free(struct bph_graph_source *src)
{
	struct store_source *s = (struct store_source *)src;

	if (!s)
		return;
	for (int k = 0; k < Q_N; k++)
		bph_db_finalize(s->q[k]);
	if (s->own_txn)
		bph_db_commit(s->st->db);
	free(s);
}
