/*
 * store_bulk.c - the tables derived from new observations (hosts,
 * host_arts, art_hosts and arts.holders), merged from C-sorted arrays by
 * both writing paths: per batch by the row-by-row path (store_write.c),
 * and once at the end of an import by the bulk path, which appends each
 * batch's hosts and incidences as one blob to bulk_hosts and bulk_inc
 * and publishes them all in one transaction. Contract in store/db_int.h;
 * why in docs/performance.md ("Store: import").
 */
#include "store/db_int.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/buf.h"
#include "fingerprints/err.h"

#define PAIR_BYTES 22 /* ip 4, port 2, art 8, seen 8: little-endian */

/* h's slot of art: where it is, or the empty one it would take. */
static size_t holders_slot(const struct bph_holders *h, int64_t art)
{
	size_t i =
	    (size_t)((uint64_t)art * 0x9e3779b97f4a7c15ULL) & (h->cap - 1);

	while (h->n[i] && h->art[i] != art)
		i = (i + 1) & (h->cap - 1);
	return i;
}

/* h at twice its capacity, each artifact moved with its count. */
static int holders_grow(struct bph_holders *h)
{
	struct bph_holders big = {NULL, NULL, h->cap ? h->cap * 2 : 1024, 0};

	big.art = malloc(big.cap * sizeof(*big.art));
	big.n = calloc(big.cap, sizeof(*big.n));
	if (!big.art || !big.n) {
		free(big.art);
		free(big.n);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < h->cap; i++)
		if (h->n[i]) {
			size_t j = holders_slot(&big, h->art[i]);
			big.art[j] = h->art[i];
			big.n[j] = h->n[i];
			big.used++;
		}
	free(h->art);
	free(h->n);
	*h = big;
	return 0;
}

int bph_holders_add(struct bph_holders *h, int64_t art)
{
	size_t i;

	if (h->used * 2 >= h->cap && holders_grow(h))
		return BPH_ERR_NOMEM;
	i = holders_slot(h, art);
	h->used += h->n[i] == 0;
	h->art[i] = art;
	h->n[i]++;
	return 0;
}

/* art_hosts order: (art, ip). */
static int pair_cmp(const void *x, const void *y)
{
	const struct bph_wpair *a = x, *b = y;

	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	return a->ip < b->ip ? -1 : a->ip > b->ip;
}

/* host_arts order: (ip, art, port). */
static int inc_cmp(const void *x, const void *y)
{
	const struct bph_wpair *a = x, *b = y;

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	if (a->art != b->art)
		return a->art < b->art ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

/* p sorted by cmp unless it is already (a publication's merged runs). */
static void sort_unless_sorted(struct bph_wpair *p, size_t n,
			       bph_pair_order cmp)
{
	for (size_t i = 1; i < n; i++)
		if (cmp(&p[i - 1], &p[i]) > 0) {
			bph_sort_pairs(p, n, cmp);
			return;
		}
}

static int ip_cmp(const void *x, const void *y)
{
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

	return a < b ? -1 : a > b;
}

/* Steps q once and resets it; *changed (may be NULL) gets its changes. */
static int step_once(struct bph_db_stmt *q, int64_t *changed)
{
	int rc = bph_db_step(q);

	if (rc == BPH_DB_DONE && changed)
		*changed = bph_db_changes(q);
	bph_db_reset(q);
	return rc == BPH_DB_DONE ? 0 : rc < 0 ? rc : BPH_ERR_DB;
}

static void int_val(struct bph_db_value *v, int64_t i)
{
	v->type = BPH_DB_T_INT;
	v->i = i;
}

/* Rows go to SQLite a block at a time through bph_rows(?) (db_int.h): in
 * key order into a table that holds no later key, they are appended. */

int bph_merge_hosts(struct bph_db *db, uint32_t *ips, size_t n)
{
	struct bph_db_block b = {0};
	int rc =
	    bph_db_block_open(db, &b,
			      "INSERT INTO hosts(ip) SELECT c0 FROM bph_rows(?)"
			      " WHERE true ON CONFLICT DO NOTHING",
			      1, n);

	qsort(ips, n, sizeof(*ips), ip_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i && ips[i] == ips[i - 1])
			continue;
		int_val(bph_db_block_row(&b), ips[i]);
		rc = bph_db_block_next(&b);
	}
	return bph_db_block_close(&b, rc);
}

/* Artifact ids with their count of new holders, in id order. */
struct holder_runs {
	int64_t *v; /* art, n, art, n, ... */
	size_t n, cap;
};

/* One more holder of art, which is at or after the last one counted
 * (the pairs are in art order). */
static int holder_count(struct holder_runs *h, int64_t art)
{
	if (h->n && h->v[2 * (h->n - 1)] == art) {
		h->v[2 * (h->n - 1) + 1]++;
		return 0;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 4096;
		int64_t *nv = realloc(h->v, cap * 2 * sizeof(*nv));
		if (!nv)
			return BPH_ERR_NOMEM;
		h->v = nv;
		h->cap = cap;
	}
	h->v[2 * h->n] = art;
	h->v[2 * h->n++ + 1] = 1;
	return 0;
}

/* arts.holders += n for each counted artifact, in id order (the table's:
 * half the time of a hash table's order at the end of an import). */
static int holders_update(struct bph_db *db, const struct holder_runs *h)
{
	struct bph_db_block b = {0};
	int rc = bph_db_block_open(db, &b,
				   "UPDATE arts SET holders = holders + r.c1"
				   " FROM bph_rows(?) r WHERE arts.id = r.c0",
				   2, h->n);

	for (size_t i = 0; !rc && i < h->n; i++) {
		struct bph_db_value *v = bph_db_block_row(&b);
		int_val(&v[0], h->v[2 * i]);
		int_val(&v[1], h->v[2 * i + 1]);
		rc = bph_db_block_next(&b);
	}
	return bph_db_block_close(&b, rc);
}

/* One bph_merge_art_hosts(): the pairs it adds, and what art_hosts held
 * before it. */
struct pair_walk {
	struct holder_runs h;
	bool any;		  /* art_hosts held a pair */
	int64_t art, ip;	  /* its last pair then */
	struct bph_db_stmt *held; /* which of a run's pairs it holds */
	bool *drop;
	size_t cap;
};

/* The last pair art_hosts holds, into w (none: w->any false). */
static int last_pair(struct bph_db *db, struct pair_walk *w)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(db,
				"SELECT art, ip FROM art_hosts"
				" ORDER BY art DESC, ip DESC LIMIT 1",
				&q);

	if (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		w->any = true;
		w->art = bph_db_column_int64(q, 0);
		w->ip = bph_db_column_int64(q, 1);
		rc = 0;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* Before a run: the pairs art_hosts holds leave it, so that the run adds
 * all it has and the holders count exactly those. A run that starts
 * after the last pair art_hosts held holds none of them (the pairs are
 * in key order; this write transaction alone adds pairs): an import's
 * new artifacts, and all of an import into an empty store. */
static int pairs_held(void *ctx, struct bph_db_block *b)
{
	struct pair_walk *w = ctx;
	struct bph_db *db = b->q->db;
	int64_t art = b->r.v[0].i, ip = b->r.v[1].i;
	size_t n = b->r.n, k = 0;
	int rc = 0;

	if (!w->any || art > w->art || (art == w->art && ip > w->ip))
		return 0;
	if (!w->held)
		rc = bph_db_prepare(db,
				    "SELECT r.rowid FROM bph_rows(?) r JOIN"
				    " art_hosts a ON a.art = r.c0 AND"
				    " a.ip = r.c1",
				    &w->held);
	if (!rc && w->cap < n) {
		bool *nd = realloc(w->drop, n * sizeof(*nd));
		if (!nd)
			return BPH_ERR_NOMEM;
		w->drop = nd;
		w->cap = n;
	}
	if (!rc) {
		memset(w->drop, 0, n * sizeof(*w->drop));
		rc = bph_db_bind_rows(w->held, 1, &b->r);
	}
	while (!rc && (rc = bph_db_step(w->held)) == BPH_DB_ROW) {
		int64_t i = bph_db_column_int64(w->held, 0);
		rc = i >= 0 && (size_t)i < n ? 0 : BPH_ERR_DB;
		if (!rc)
			w->drop[i] = true;
	}
	bph_db_reset(w->held);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++)
		if (!w->drop[i]) {
			b->v[2 * k] = b->v[2 * i];
			b->v[2 * k++ + 1] = b->v[2 * i + 1];
		}
	b->r.n = k;
	return 0;
}

/* After a run: it added every pair it had; each is a new holder. */
static int pairs_added(void *ctx, struct bph_db_block *b)
{
	struct pair_walk *w = ctx;
	int rc = 0;

	if ((size_t)bph_db_changes(b->q) != b->r.n)
		return bph_db_fail(b->q->db, BPH_DB_EOTHER,
				   "art_hosts changed during a merge");
	for (size_t i = 0; !rc && i < b->r.n; i++)
		rc = holder_count(&w->h, b->r.v[2 * i].i);
	return rc;
}

int bph_merge_art_hosts(struct bph_db *db, struct bph_wpair *p, size_t n)
{
	struct pair_walk w = {0};
	struct bph_db_block b = {
	    .before = pairs_held, .after = pairs_added, .ctx = &w};
	int rc = last_pair(db, &w);

	if (!rc)
		rc = bph_db_block_open(db, &b,
				       "INSERT INTO art_hosts(art, ip) SELECT"
				       " c0, c1 FROM bph_rows(?) WHERE true"
				       " ON CONFLICT DO NOTHING",
				       2, n);
	sort_unless_sorted(p, n, pair_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i && p[i].art == p[i - 1].art && p[i].ip == p[i - 1].ip)
			continue;
		struct bph_db_value *v = bph_db_block_row(&b);
		int_val(&v[0], p[i].art);
		int_val(&v[1], p[i].ip);
		rc = bph_db_block_next(&b);
	}
	rc = bph_db_block_close(&b, rc);
	bph_db_finalize(w.held);
	if (!rc && w.h.n)
		rc = holders_update(db, &w.h);
	free(w.h.v);
	free(w.drop);
	return rc;
}

int bph_merge_host_arts(struct bph_db *db, struct bph_wpair *p, size_t n)
{
	struct bph_db_block b = {0};
	int rc = bph_db_block_open(
	    db, &b,
	    "INSERT INTO host_arts(ip, art, port, first_seen, last_seen)"
	    " SELECT c0, c1, c2, c3, c4 FROM bph_rows(?) WHERE true"
	    " ON CONFLICT (ip, art, port) DO UPDATE SET"
	    " first_seen = CASE WHEN excluded.first_seen < host_arts.first_seen"
	    " THEN excluded.first_seen ELSE host_arts.first_seen END,"
	    " last_seen = CASE WHEN excluded.last_seen > host_arts.last_seen"
	    " THEN excluded.last_seen ELSE host_arts.last_seen END",
	    5, n);

	sort_unless_sorted(p, n, inc_cmp);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		int64_t lo = p[i].seen, hi = p[i].seen;
		for (j = i + 1; j < n && !inc_cmp(&p[i], &p[j]); j++) {
			lo = p[j].seen < lo ? p[j].seen : lo;
			hi = p[j].seen > hi ? p[j].seen : hi;
		}
		struct bph_db_value *v = bph_db_block_row(&b);
		int_val(&v[0], p[i].ip);
		int_val(&v[1], p[i].art);
		int_val(&v[2], p[i].port);
		int_val(&v[3], lo);
		int_val(&v[4], hi);
		rc = bph_db_block_next(&b);
	}
	return bph_db_block_close(&b, rc);
}

static void put_le(unsigned char *o, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		o[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *o, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)o[i] << (8 * i);
	return v;
}

/* One row of table (bulk_hosts or bulk_inc) holding the n bytes at v. */
static int append_blob(struct bph_db *db, const char *sql, const void *v,
		       size_t n)
{
	struct bph_db_stmt *q = NULL;
	int rc = n ? bph_db_prepare(db, sql, &q) : 0;

	if (!rc && n && !(rc = bph_db_bind_blob(q, 1, v, n)))
		rc = step_once(q, NULL);
	bph_db_finalize(q);
	return rc;
}

int bph_bulk_append(struct bph_db *db, const uint32_t *ips, size_t n_ips,
		    const struct bph_wpair *p, size_t n)
{
	unsigned char *buf = malloc(
	    (n_ips * 4 > n * PAIR_BYTES ? n_ips * 4 : n * PAIR_BYTES) + 1);
	int rc = buf ? 0 : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < n_ips; i++)
		put_le(buf + 4 * i, ips[i], 4);
	if (!rc)
		rc = append_blob(db, "INSERT INTO bulk_hosts(data) VALUES (?)",
				 buf, n_ips * 4);
	for (size_t i = 0; !rc && i < n; i++) {
		unsigned char *o = buf + PAIR_BYTES * i;
		put_le(o, p[i].ip, 4);
		put_le(o + 4, p[i].port, 2);
		put_le(o + 6, (uint64_t)p[i].art, 8);
		put_le(o + 14, (uint64_t)p[i].seen, 8);
	}
	if (!rc)
		rc = append_blob(db, "INSERT INTO bulk_inc(data) VALUES (?)",
				 buf, n * PAIR_BYTES);
	free(buf);
	return rc;
}

/* The one integer sql gives into *v (0 for NULL). */
static int scalar(struct bph_db *db, const char *sql, int64_t *v)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(db, sql, &q);

	if (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		*v = bph_db_column_int64(q, 0);
		rc = 0;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : rc ? BPH_ERR_DB : 0;
}

static void decode_ips(const unsigned char *raw, size_t k, void *out)
{
	uint32_t *v = out;

	for (size_t i = 0; i < k; i++)
		v[i] = (uint32_t)get_le(raw + 4 * i, 4);
}

static void decode_pairs(const unsigned char *raw, size_t k, void *out)
{
	struct bph_wpair *v = out;

	for (size_t i = 0; i < k; i++) {
		const unsigned char *o = raw + PAIR_BYTES * i;
		v[i] = (struct bph_wpair){
		    (int64_t)get_le(o + 6, 8), (int64_t)get_le(o + 14, 8),
		    (uint32_t)get_le(o, 4), (uint16_t)get_le(o + 4, 2)};
	}
}

/* The ids of the artifacts pending in bulk_arts: id[seq], 0 for none. */
struct art_map {
	int64_t *id;
	size_t n;
};

/* Where a pending table's chunks go: the pending artifacts' ids, and
 * once the pairs outgrow one chunk, their runs in host_arts' and
 * art_hosts' orders (NULL before). */
struct sink {
	const struct art_map *map;
	struct bph_runs *inc, *arts;
};

static int merge_ips(struct bph_db *db, struct sink *s, void *v, size_t n,
		     bool last)
{
	(void)s;
	(void)last;
	return bph_merge_hosts(db, v, n);
}

/* The pairs naming a pending artifact (-seq) given its id. */
static int pairs_resolved(struct bph_db *db, const struct art_map *map,
			  struct bph_wpair *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i].art > 0)
			continue;
		uint64_t seq = -(uint64_t)p[i].art;
		if (seq >= map->n || !map->id[seq])
			return bph_db_fail(
			    db, BPH_DB_EOTHER,
			    "a pending pair names artifact -%llu,"
			    " which bulk_arts lacks",
			    (unsigned long long)seq);
		p[i].art = map->id[seq];
	}
	return 0;
}

/* A chunk of pairs, resolved: merged at once when it is all of them,
 * otherwise sorted into runs that merge_runs() merges in key order (a
 * chunk at a time in input order would insert all over both tables once
 * per chunk: 23.5 minutes of a ten-million-host import). */
static int merge_pairs(struct bph_db *db, struct sink *s, void *v, size_t n,
		       bool last)
{
	int rc = pairs_resolved(db, s->map, v, n);

	if (!rc && last && !s->inc) {
		rc = bph_merge_host_arts(db, v, n);
		return rc ? rc : bph_merge_art_hosts(db, v, n);
	}
	if (!rc && !s->inc) {
		s->inc = bph_runs_new(db, inc_cmp);
		s->arts = bph_runs_new(db, pair_cmp);
		rc = s->inc && s->arts ? 0 : BPH_ERR_NOMEM;
	}
	if (!rc)
		rc = bph_runs_put(s->inc, v, n);
	return rc ? rc : bph_runs_put(s->arts, v, n);
}

static int emit_host_arts(void *db, struct bph_wpair *p, size_t n)
{
	return bph_merge_host_arts(db, p, n);
}

static int emit_art_hosts(void *db, struct bph_wpair *p, size_t n)
{
	return bph_merge_art_hosts(db, p, n);
}

static int merge_runs(struct bph_db *db, struct sink *s, size_t chunk)
{
	int rc = s->inc ? bph_runs_merge(s->inc, chunk, emit_host_arts, db) : 0;

	return rc || !s->arts
		   ? rc
		   : bph_runs_merge(s->arts, chunk, emit_art_hosts, db);
}

/* How one pending table is read back and merged. */
struct pending {
	const char *select; /* its blobs */
	size_t width, size; /* bytes per element in a blob, in memory */
	void (*decode)(const unsigned char *raw, size_t k, void *out);
	int (*merge)(struct bph_db *db, struct sink *s, void *v, size_t n,
		     bool last);
};

static const struct pending pending_hosts = {
    "SELECT data FROM bulk_hosts ORDER BY rowid", 4, sizeof(uint32_t),
    decode_ips, merge_ips};
static const struct pending pending_inc = {
    "SELECT data FROM bulk_inc ORDER BY rowid", PAIR_BYTES,
    sizeof(struct bph_wpair), decode_pairs, merge_pairs};

/* A chunk being filled: up to cap (at most limit) decoded elements, and
 * the blob they come from, copied. */
struct chunk {
	const struct pending *t;
	struct sink *s;
	size_t limit;
	void *v;
	size_t n, cap;
	unsigned char *blob;
	size_t blob_cap;
};

/* Room for n elements in c, doubling up to c->limit. */
static int reserve(struct chunk *c, size_t n)
{
	size_t cap = c->cap ? c->cap : 4096;

	if (n <= c->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	cap = cap < c->limit ? cap : c->limit;
	void *nv = realloc(c->v, cap * c->t->size);
	if (!nv)
		return BPH_ERR_NOMEM;
	c->v = nv;
	c->cap = cap;
	return 0;
}

/* The k elements at raw (a copy: merging runs statements on the
 * connection whose row holds the original) into c, merged each time c is
 * full. */
static int take(struct bph_db *db, struct chunk *c, const unsigned char *raw,
		size_t k)
{
	const struct pending *t = c->t;
	int rc = 0;

	for (size_t off = 0, m; !rc && off < k; off += m) {
		if (c->n == c->limit) {
			rc = t->merge(db, c->s, c->v, c->n, false);
			c->n = 0;
		}
		m = k - off < c->limit - c->n ? k - off : c->limit - c->n;
		if (!rc && !(rc = reserve(c, c->n + m))) {
			t->decode(raw + off * t->width, m,
				  (char *)c->v + c->n * t->size);
			c->n += m;
		}
	}
	return rc;
}

static int take_blob(struct bph_db *db, struct chunk *c,
		     const unsigned char *raw, size_t len)
{
	size_t k = raw ? len / c->t->width : 0;

	if (k * c->t->width > c->blob_cap) {
		unsigned char *nb = realloc(c->blob, k * c->t->width);
		if (!nb)
			return BPH_ERR_NOMEM;
		c->blob = nb;
		c->blob_cap = k * c->t->width;
	}
	if (k)
		memcpy(c->blob, raw, k * c->t->width);
	return take(db, c, c->blob, k);
}

/*
 * t's blobs decoded and merged limit elements at a time, so that the
 * memory is bounded by the limit (and the largest blob, a batch's), not
 * by the import: every merge is an upsert that gives the same rows in
 * any order and any grouping (holders count a pair only when it is new).
 */
static int merge_table(struct bph_db *db, const struct pending *t,
		       struct sink *s, size_t limit)
{
	struct bph_db_stmt *q = NULL;
	struct chunk c = {.t = t, .s = s, .limit = limit};
	int rc = bph_db_prepare(db, t->select, &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		size_t len = 0;
		const unsigned char *raw = bph_db_column_blob(q, 0, &len);
		rc = take_blob(db, &c, raw, len);
	}
	if (rc == BPH_DB_DONE && c.n)
		rc = t->merge(db, s, c.v, c.n, true);
	bph_db_finalize(q);
	free(c.v);
	free(c.blob);
	return rc < 0 ? rc : rc ? BPH_ERR_DB : 0;
}

/* The statements of a publication of artifacts, prepared on first use. */
struct art_put {
	struct bph_db_stmt *add, *look;
};

/* binds kind and value to *q (prepared from sql if NULL) and steps it
 * once: *id is the id of the row it gives, or of the row it inserted
 * (bph_db_insert_id()), 0 for neither. */
static int kv_id(struct bph_db *db, struct bph_db_stmt **q, const char *sql,
		 const char *kind, const char *value, int64_t *id)
{
	int rc = *q ? 0 : bph_db_prepare(db, sql, q);

	*id = 0;
	if (!rc)
		rc = bph_db_bind_text(*q, 1, kind);
	if (!rc)
		rc = bph_db_bind_text(*q, 2, value);
	if (!rc && (rc = bph_db_step(*q)) == BPH_DB_ROW) {
		*id = bph_db_column_int64(*q, 0);
		rc = 0;
	} else if (rc == BPH_DB_DONE) {
		*id = bph_db_insert_id(*q);
	}
	bph_db_reset(*q);
	return rc < 0 ? rc : 0;
}

/* The id of (kind, value) in arts, added first if arts lacks it: tried
 * as an insert, since arts lacked every pending artifact when its batch
 * was written; only another writer's publication since then adds one.
 * The id comes from bph_db_insert_id(), not a RETURNING clause, for
 * which SQLite opens an ephemeral table on every step (with it the pass
 * took 30.6 s at a million hosts, more than the two statements it
 * replaced). */
static int art_put(struct bph_db *db, struct art_put *q, const char *kind,
		   const char *value, int64_t *id)
{
	int rc = kv_id(db, &q->add,
		       "INSERT INTO arts(kind, value) VALUES (?, ?)"
		       " ON CONFLICT (kind, value) DO NOTHING",
		       kind, value, id);

	if (!rc && !*id)
		rc = kv_id(db, &q->look,
			   "SELECT id FROM arts WHERE kind = ? AND value = ?",
			   kind, value, id);
	if (!rc && !*id)
		rc = bph_db_fail(db, BPH_DB_EOTHER,
				 "a pending artifact has no id");
	return rc;
}

/* Whether prev holds kind, NUL, value, NUL. */
static bool same_kv(const struct bph_sbuf *prev, const char *kind,
		    const char *value)
{
	size_t k = strlen(kind);

	return prev->len == k + strlen(value) + 2 &&
	       !memcmp(prev->p, kind, k + 1) &&
	       !memcmp(prev->p + k + 1, value, prev->len - k - 1);
}

/* Every pending artifact added to arts in one pass of (kind, value)
 * order (SQLite's sorter, on file), so that arts_kv grows at its end and
 * the new ids follow byte order; map->id[seq] = its id, a repeated (kind,
 * value) taking the id of the one before. A second sort to read the ids
 * back after an INSERT ... SELECT cost more than these inserts (at a
 * million hosts, 10.7 s against 7.9); a LIMIT to keep a subquery's order
 * made SQLite build an ephemeral B-tree, 37M random inserts at 10M. */
static int add_arts(struct bph_db *db, struct art_map *map)
{
	struct bph_db_stmt *q = NULL;
	struct art_put put = {NULL, NULL};
	struct bph_sbuf prev = {0}; /* the last kind, NUL, value, NUL */
	int64_t id = 0;
	int rc = bph_db_prepare_stream(db,
				       "SELECT seq, kind, value FROM bulk_arts"
				       " ORDER BY kind, value",
				       &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t seq = bph_db_column_int64(q, 0);
		const char *kind = bph_db_column_text(q, 1);
		const char *value = bph_db_column_text(q, 2);
		rc = seq > 0 && (size_t)seq < map->n && kind && value
			 ? 0
			 : BPH_ERR_DB;
		if (!rc && !(id && same_kv(&prev, kind, value))) {
			prev.len = 0;
			bph_sbuf_put(&prev, kind, strlen(kind) + 1);
			bph_sbuf_put(&prev, value, strlen(value) + 1);
			rc = prev.err ? BPH_ERR_NOMEM
				      : art_put(db, &put, kind, value, &id);
		}
		if (!rc)
			map->id[seq] = id;
	}
	bph_db_finalize(put.add);
	bph_db_finalize(put.look);
	bph_db_finalize(q);
	bph_sbuf_free(&prev);
	return rc < 0 ? rc : rc ? BPH_ERR_DB : 0;
}

/* The artifacts pending in bulk_arts in arts (those arts holds, or
 * pending twice, keep one id), map->id[seq] = the id of each. */
static int publish_arts(struct bph_db *db, struct art_map *map)
{
	int64_t max = 0;
	int rc = scalar(db, "SELECT max(seq) FROM bulk_arts", &max);

	if (rc || max <= 0)
		return rc;
	map->n = (size_t)max + 1;
	if (!(map->id = calloc(map->n, sizeof(*map->id))))
		return BPH_ERR_NOMEM;
	return add_arts(db, map);
}

/* Inside the caller's transaction: what is pending merged, then gone. */
static int merge_pending(struct bph_db *db, size_t chunk)
{
	struct art_map map = {NULL, 0};
	struct sink s = {&map, NULL, NULL};
	int rc = publish_arts(db, &map);

	if (!rc)
		rc = merge_table(db, &pending_hosts, &s, chunk);
	if (!rc)
		rc = merge_table(db, &pending_inc, &s, chunk);
	if (!rc)
		rc = merge_runs(db, &s, chunk);
	bph_runs_free(s.inc);
	bph_runs_free(s.arts);
	if (!rc)
		rc = bph_db_exec(db, "DELETE FROM bulk_inc;"
				     " DELETE FROM bulk_hosts;"
				     " DELETE FROM bulk_arts");
	free(map.id);
	return rc;
}

#define PENDING_SQL                                                            \
	"SELECT EXISTS (SELECT 1 FROM bulk_inc) OR"                            \
	" EXISTS (SELECT 1 FROM bulk_hosts) OR"                                \
	" EXISTS (SELECT 1 FROM bulk_arts)"

int bph_store_publish_by(struct bph_store *st, size_t chunk)
{
	struct bph_db *db = st->db;
	int64_t pending = 0;
	/* asked first outside a transaction: every writer's open publishes,
	 * and nearly always finds nothing, for which it takes no write lock
	 * and leaves temp_store alone; asked again under the lock */
	int rc = scalar(db, PENDING_SQL, &pending);

	if (rc || !pending)
		return rc;
	/* sorts in files, freed pages not overwritten (db_sqlite.c says why) */
	rc = bph_db_publishing(db, true);
	if (!rc)
		rc = bph_db_begin(db, BPH_DB_TXN_WRITE);
	if (!rc)
		rc = scalar(db, PENDING_SQL, &pending);
	if (!rc && pending)
		rc = merge_pending(db, chunk ? chunk : 1);
	if (!rc)
		rc = bph_db_commit(db);
	if (rc)
		bph_db_rollback(db);
	int mrc = bph_db_publishing(db, false);
	return rc ? rc : mrc;
}

int bph_store_publish(struct bph_store *st)
{
	return bph_store_publish_by(st, BPH_PUBLISH_CHUNK);
}
