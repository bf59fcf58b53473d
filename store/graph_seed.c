/*
 * graph_seed.c - the store's side of one seed's clustering
 * (cluster/seed.h): the queries of struct bph_graph_source over the
 * hosts, arts, art_hosts and host_arts tables (store/schema.c), each one
 * indexed lookup. Contract in graph_seed.h.
 */
#include "store/graph_seed.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/record.h"
#include "store/db_int.h"

enum {
	Q_COUNT,
	Q_HOLDERS,
	Q_HOST,
	Q_ISHOST,
	Q_ART,
	Q_RANGE,
	Q_N,
	Q_HOSTS = Q_N, /* PostgreSQL only: several hosts in one round trip */
	Q_ARE_HOSTS,
	Q_ARTS,
	Q_ALL
};

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

/* Q_HOST and Q_ISHOST for a list of addresses ("{1,2,3}"), by address;
 * Q_ART for lists of kinds and values. */
static const char *const sql_pg[] = {
    "SELECT h.ip, a.kind, a.value, h.port, h.first_seen, h.last_seen,"
    " a.holders FROM host_arts h JOIN arts a ON a.id = h.art"
    " WHERE h.ip = ANY(CAST(? AS BIGINT[])) ORDER BY h.ip",
    "SELECT ip FROM hosts WHERE ip = ANY(CAST(? AS BIGINT[])) ORDER BY ip",
    "SELECT h.ip FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[])) AS x(k, v)"
    " JOIN arts a ON a.kind = x.k AND a.value = x.v"
    " JOIN art_hosts h ON h.art = a.id",
};

struct store_source {
	struct bph_graph_source src; /* first: what callers hold */
	struct bph_store *st;
	struct bph_db_stmt *q[Q_ALL];
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

/* An artifact row of host whose columns start at col: kind, value, port,
 * first and last seen, holders. */
static struct bph_graph_row art_row(struct bph_db_stmt *q, int col,
				    const char *host)
{
	return (struct bph_graph_row){
	    host,
	    bph_db_column_text(q, col),
	    bph_db_column_text(q, col + 1),
	    (uint16_t)bph_db_column_int64(q, col + 2),
	    bph_db_column_int64(q, col + 3),
	    bph_db_column_int64(q, col + 4),
	    (uint64_t)bph_db_column_int64(q, col + 5)};
}

static int host_row(struct store_source *s, struct bph_db_stmt *q, void *arg)
{
	struct call *c = arg;
	struct bph_graph_row r = art_row(q, 0, c->host);

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

/* hosts_rows(): the batch's addresses in order, each with its index. */
struct ipix {
	int64_t ip;
	size_t i;
};

struct batch {
	const char *const *hosts;
	bool *answered;
	const struct ipix *v;
	size_t n, cur; /* the answer comes by address: a merge */
	bph_graph_row_fn fn;
	void *arg;
};

static int cmp_ipix(const void *a, const void *b)
{
	const struct ipix *x = a, *y = b;

	return (x->ip > y->ip) - (x->ip < y->ip);
}

/* The batch's first entry of address ip (every one marked answered), or
 * NULL. */
static const struct ipix *batch_find(struct batch *b, int64_t ip)
{
	while (b->cur < b->n && b->v[b->cur].ip < ip)
		b->cur++;
	for (size_t k = b->cur; k < b->n && b->v[k].ip == ip; k++)
		b->answered[b->v[k].i] = true;
	return b->cur < b->n && b->v[b->cur].ip == ip ? &b->v[b->cur] : NULL;
}

static int batch_row(struct store_source *s, struct bph_db_stmt *q, void *arg)
{
	struct batch *b = arg;
	const struct ipix *e = batch_find(b, bph_db_column_int64(q, 0));
	struct bph_graph_row r;

	(void)s;
	if (!e)
		return 0; /* not asked for: cannot be */
	r = art_row(q, 1, b->hosts[e->i]);
	return b->fn(b->arg, &r);
}

static int batch_host(struct store_source *s, struct bph_db_stmt *q, void *arg)
{
	(void)s;
	batch_find(arg, bph_db_column_int64(q, 0));
	return 0;
}

/* "{a,b,...}" of v[0..n)'s addresses, or NULL. */
static char *array_literal(const struct ipix *v, size_t n)
{
	char *list = malloc(n * 11 + 3), *o = list;

	if (!list)
		return NULL;
	*o++ = '{';
	for (size_t k = 0; k < n; k++)
		o += sprintf(o, k ? ",%lld" : "%lld", (long long)v[k].ip);
	memcpy(o, "}", 2);
	return list;
}

/* The rows of several hosts in two round trips (PostgreSQL): the rows
 * and the answering hosts of the batch's addresses, merged by address. */
static int hosts_rows(void *ctx, const char *const *hosts, size_t n,
		      bph_graph_row_fn fn, void *arg, bool *answered)
{
	struct store_source *s = ctx;
	struct ipix *v = malloc((n + 1) * sizeof(*v));
	struct batch b = {hosts, answered, v, 0, 0, fn, arg};
	char *list = NULL;
	int rc = v ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n; i++) {
		answered[i] = false;
		if ((v[b.n].ip = addr_of(hosts[i])) >= 0)
			v[b.n++].i = i;
	}
	if (!rc && b.n) {
		qsort(v, b.n, sizeof(*v), cmp_ipix);
		rc = (list = array_literal(v, b.n)) ? 0 : BPH_ERR_NOMEM;
	}
	if (!rc && b.n) {
		bph_db_bind_text(s->q[Q_HOSTS], 1, list);
		rc = rows(s, Q_HOSTS, batch_row, &b);
	}
	if (!rc && b.n) { /* hosts without rows may answer too */
		b.cur = 0;
		bph_db_bind_text(s->q[Q_ARE_HOSTS], 1, list);
		rc = rows(s, Q_ARE_HOSTS, batch_host, &b);
	}
	free(list);
	free(v);
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

/* A PostgreSQL array literal of s[0..n): every element quoted, '"' and
 * '\\' escaped (the values are the store's own text), or NULL. */
static char *text_array(const char *const *s, size_t n)
{
	size_t len = 3;
	char *out, *o;

	for (size_t i = 0; i < n; i++)
		len += 2 * strlen(s[i]) + 3;
	if (!(out = o = malloc(len)))
		return NULL;
	*o++ = '{';
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ',';
		*o++ = '"';
		for (const char *c = s[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				*o++ = '\\';
			*o++ = *c;
		}
		*o++ = '"';
	}
	memcpy(o, "}", 2);
	return out;
}

/* The holders of several artifacts in one round trip (PostgreSQL). */
static int artifacts_rows(void *ctx, const char *const *kinds,
			  const char *const *values, size_t n,
			  bph_graph_row_fn fn, void *arg)
{
	struct store_source *s = ctx;
	struct call c = {fn, arg, NULL, 0};
	char *k = text_array(kinds, n), *v = text_array(values, n);
	int rc = k && v ? 0 : BPH_ERR_NOMEM;

	if (!rc) {
		bph_db_bind_text(s->q[Q_ARTS], 1, k);
		bph_db_bind_text(s->q[Q_ARTS], 2, v);
		rc = rows(s, Q_ARTS, host_only, &c);
	}
	free(k);
	free(v);
	return rc;
}

int bph_store_graph_source(struct bph_store *st, struct bph_graph_source **out)
{
	struct store_source *s = calloc(1, sizeof(*s));
	int rc = s ? 0 : BPH_ERR_NOMEM;

	*out = NULL;
	if (rc)
		return rc;
	s->st = st;
	s->src = (struct bph_graph_source){.ctx = s,
					   .count_hosts = count_hosts,
					   .count_holders = count_holders,
					   .host_rows = host_rows,
					   .artifact_rows = artifact_rows,
					   .range_hosts = range_hosts};
	/* SQLite reads in-process: one host at a time costs nothing more */
	if (bph_db_backend(st->db) == BPH_DB_PG) {
		s->src.hosts_rows = hosts_rows;
		s->src.artifacts_rows = artifacts_rows;
	}
	/* one snapshot: a writer's commit must not change counts mid-walk */
	s->own_txn = !bph_db_in_txn(st->db);
	rc = s->own_txn ? bph_db_begin(st->db, BPH_DB_TXN_READ) : 0;
	if (rc)
		s->own_txn = false;
	for (int k = 0; !rc && k < Q_N; k++)
		rc = bph_db_prepare(st->db, sql[k], &s->q[k]);
	for (int k = Q_N; !rc && s->src.hosts_rows && k < Q_ALL; k++)
		rc = bph_db_prepare(st->db, sql_pg[k - Q_N], &s->q[k]);
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
	for (int k = 0; k < Q_ALL; k++)
		bph_db_finalize(s->q[k]);
	if (s->own_txn)
		bph_db_commit(s->st->db);
	free(s);
}
