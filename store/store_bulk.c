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

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int art_cmp(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;

	return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* SQLite, where a statement costs no round trip: each artifact's new
 * holders added by a prepared UPDATE on its id, instead of staged and
 * joined (staging and the joined UPDATE were a quarter of add_holders'
 * time on a fresh store, perf on the 100k population); in id order, the
 * table's, which at the end of an import (hundreds of thousands of
 * artifacts) took half the time of the hash table's order. */
int bph_holders_rows(struct bph_db *db, const struct bph_holders *h)
{
	struct bph_db_stmt *q = NULL;
	int64_t *v = malloc((h->used + 1) * 2 * sizeof(*v));
	size_t n = 0;
	int rc = v ? bph_db_prepare(db,
				    "UPDATE arts SET holders = holders + ?"
				    " WHERE id = ?",
				    &q)
		   : BPH_ERR_NOMEM;

	for (size_t i = 0; !rc && i < h->cap; i++)
		if (h->n[i]) {
			v[2 * n] = h->art[i];
			v[2 * n++ + 1] = h->n[i];
		}
	if (!rc)
		qsort(v, n, 2 * sizeof(*v), art_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = bph_db_bind_int64(q, 1, v[2 * i + 1]);
		if (!rc)
			rc = bph_db_bind_int64(q, 2, v[2 * i]);
		if (!rc)
			rc = bph_db_step(q);
		bph_db_reset(q);
	}
	bph_db_finalize(q);
	free(v);
	return rc < 0 ? rc : 0;
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

typedef int (*pair_order)(const void *, const void *);

static void swap_pairs(struct bph_wpair *a, struct bph_wpair *b)
{
	struct bph_wpair t = *a;

	*a = *b;
	*b = t;
}

/* Hoare partition of p[0..n) around the median of three (n >= 3): every
 * element of p[0..*mid] orders before or with every one after it. */
static size_t partition(struct bph_wpair *p, size_t n, pair_order cmp)
{
	size_t m = n / 2, i = 0, j = n - 1;

	if (cmp(&p[m], &p[0]) < 0)
		swap_pairs(&p[m], &p[0]);
	if (cmp(&p[n - 1], &p[m]) < 0)
		swap_pairs(&p[n - 1], &p[m]);
	if (cmp(&p[m], &p[0]) < 0)
		swap_pairs(&p[m], &p[0]);
	struct bph_wpair pivot = p[m];
	for (;;) {
		while (cmp(&p[i], &pivot) < 0)
			i++;
		while (cmp(&pivot, &p[j]) < 0)
			j--;
		if (i >= j)
			return j;
		swap_pairs(&p[i++], &p[j--]);
	}
}

/* In place, unlike glibc's qsort, which copies an array this large (the
 * publication's pairs: hundreds of MiB at a million hosts): quicksort on
 * the smaller side, a loop on the larger, insertion sort below 16. */
static void sort_pairs(struct bph_wpair *p, size_t n, pair_order cmp)
{
	while (n > 16) {
		size_t k = partition(p, n, cmp) + 1;
		if (k < n - k) {
			sort_pairs(p, k, cmp);
			p += k;
			n -= k;
		} else {
			sort_pairs(p + k, n - k, cmp);
			n = k;
		}
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j && cmp(&p[j], &p[j - 1]) < 0; j--)
			swap_pairs(&p[j], &p[j - 1]);
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

int bph_merge_hosts(struct bph_db *db, uint32_t *ips, size_t n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    db, "INSERT INTO hosts(ip) VALUES (?) ON CONFLICT DO NOTHING", &q);

	qsort(ips, n, sizeof(*ips), ip_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i && ips[i] == ips[i - 1])
			continue;
		rc = bph_db_bind_int64(q, 1, ips[i]);
		if (!rc)
			rc = step_once(q, NULL);
	}
	bph_db_finalize(q);
	return rc;
}

int bph_merge_art_hosts(struct bph_db *db, struct bph_wpair *p, size_t n)
{
	struct bph_holders h = {0};
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(db,
				"INSERT INTO art_hosts(art, ip) VALUES (?, ?)"
				" ON CONFLICT DO NOTHING",
				&q);

	sort_pairs(p, n, pair_cmp);
	for (size_t i = 0; !rc && i < n; i++) {
		int64_t changed = 0;
		if (i && p[i].art == p[i - 1].art && p[i].ip == p[i - 1].ip)
			continue;
		bph_db_bind_int64(q, 1, p[i].art);
		rc = bph_db_bind_int64(q, 2, p[i].ip);
		if (!rc)
			rc = step_once(q, &changed);
		if (!rc && changed)
			rc = bph_holders_add(&h, p[i].art);
	}
	bph_db_finalize(q);
	if (!rc && h.used)
		rc = bph_holders_rows(db, &h);
	free(h.art);
	free(h.n);
	return rc;
}

int bph_merge_host_arts(struct bph_db *db, struct bph_wpair *p, size_t n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    db,
	    "INSERT INTO host_arts(ip, art, port, first_seen, last_seen)"
	    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (ip, art, port) DO UPDATE SET"
	    " first_seen = CASE WHEN excluded.first_seen < host_arts.first_seen"
	    " THEN excluded.first_seen ELSE host_arts.first_seen END,"
	    " last_seen = CASE WHEN excluded.last_seen > host_arts.last_seen"
	    " THEN excluded.last_seen ELSE host_arts.last_seen END",
	    &q);

	sort_pairs(p, n, inc_cmp);
	for (size_t i = 0, j; !rc && i < n; i = j) {
		int64_t lo = p[i].seen, hi = p[i].seen;
		for (j = i + 1; j < n && !inc_cmp(&p[i], &p[j]); j++) {
			lo = p[j].seen < lo ? p[j].seen : lo;
			hi = p[j].seen > hi ? p[j].seen : hi;
		}
		bph_db_bind_int64(q, 1, p[i].ip);
		bph_db_bind_int64(q, 2, p[i].art);
		bph_db_bind_int64(q, 3, p[i].port);
		bph_db_bind_int64(q, 4, lo);
		rc = bph_db_bind_int64(q, 5, hi);
		if (!rc)
			rc = step_once(q, NULL);
	}
	bph_db_finalize(q);
	return rc;
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

static int merge_ips(struct bph_db *db, void *v, size_t n)
{
	return bph_merge_hosts(db, v, n);
}

static int merge_pairs(struct bph_db *db, void *v, size_t n)
{
	int rc = bph_merge_host_arts(db, v, n);

	return rc ? rc : bph_merge_art_hosts(db, v, n);
}

/* How one pending table is read back and merged. */
struct pending {
	const char *select; /* its blobs */
	size_t width, size; /* bytes per element in a blob, in memory */
	void (*decode)(const unsigned char *raw, size_t k, void *out);
	int (*merge)(struct bph_db *db, void *v, size_t n);
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
			rc = t->merge(db, c->v, c->n);
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
static int merge_table(struct bph_db *db, const struct pending *t, size_t limit)
{
	struct bph_db_stmt *q = NULL;
	struct chunk c = {.t = t, .limit = limit};
	int rc = bph_db_prepare(db, t->select, &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		size_t len = 0;
		const unsigned char *raw = bph_db_column_blob(q, 0, &len);
		rc = take_blob(db, &c, raw, len);
	}
	if (rc == BPH_DB_DONE && c.n)
		rc = t->merge(db, c.v, c.n);
	bph_db_finalize(q);
	free(c.v);
	free(c.blob);
	return rc < 0 ? rc : rc ? BPH_ERR_DB : 0;
}

/* Inside the caller's transaction: what is pending merged, then gone. */
static int merge_pending(struct bph_db *db, size_t chunk)
{
	int rc = merge_table(db, &pending_hosts, chunk);

	if (!rc)
		rc = merge_table(db, &pending_inc, chunk);
	if (!rc)
		rc = bph_db_exec(db, "DELETE FROM bulk_inc;"
				     " DELETE FROM bulk_hosts");
	return rc;
}

int bph_store_publish_by(struct bph_store *st, size_t chunk)
{
	struct bph_db *db = st->db;
	int64_t pending = 0;
	int rc = bph_db_begin(db, BPH_DB_TXN_WRITE);

	if (!rc)
		rc = scalar(db,
			    "SELECT EXISTS (SELECT 1 FROM bulk_inc) OR"
			    " EXISTS (SELECT 1 FROM bulk_hosts)",
			    &pending);
	if (!rc && pending)
		rc = merge_pending(db, chunk ? chunk : 1);
	if (!rc)
		rc = bph_db_commit(db);
	if (rc)
		bph_db_rollback(db);
	return rc;
}

int bph_store_publish(struct bph_store *st)
{
	return bph_store_publish_by(st, BPH_PUBLISH_CHUNK);
}
