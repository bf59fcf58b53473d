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

int bph_holders_add(struct bph_holders *h, int64_t art)
{
	if (h->used * 2 >= h->cap) {
		struct bph_holders big = {NULL, NULL,
					  h->cap ? h->cap * 2 : 1024, 0};
		big.art = malloc(big.cap * sizeof(*big.art));
		big.n = calloc(big.cap, sizeof(*big.n));
		if (!big.art || !big.n) {
			free(big.art);
			free(big.n);
			return BPH_ERR_NOMEM;
		}
		for (size_t i = 0; i < h->cap; i++)
			for (int64_t k = 0; k < h->n[i]; k++)
				bph_holders_add(&big, h->art[i]);
		free(h->art);
		free(h->n);
		*h = big;
	}
	size_t i =
	    (size_t)((uint64_t)art * 0x9e3779b97f4a7c15ULL) & (h->cap - 1);
	while (h->n[i] && h->art[i] != art)
		i = (i + 1) & (h->cap - 1);
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

static void decode_ips(const unsigned char *raw, size_t k, uint32_t *out)
{
	for (size_t i = 0; i < k; i++)
		out[i] = (uint32_t)get_le(raw + 4 * i, 4);
}

static void decode_pairs(const unsigned char *raw, size_t k,
			 struct bph_wpair *out)
{
	for (size_t i = 0; i < k; i++) {
		const unsigned char *o = raw + PAIR_BYTES * i;
		out[i] = (struct bph_wpair){
		    (int64_t)get_le(o + 6, 8), (int64_t)get_le(o + 14, 8),
		    (uint32_t)get_le(o, 4), (uint16_t)get_le(o + 4, 2)};
	}
}

/* The blobs of table's data column decoded, a blob at a time, into *v
 * (*n elements of size bytes, each width bytes in a blob), allocated at
 * once to their total size: at the end of a large import this array is
 * most of the memory. */
static int load(struct bph_db *db, const char *table, size_t size, size_t width,
		void **v, size_t *n)
{
	struct bph_db_stmt *q = NULL;
	char sql[80];
	int64_t total = 0;
	int rc;

	snprintf(sql, sizeof(sql), "SELECT sum(length(data)) FROM %s", table);
	if ((rc = scalar(db, sql, &total)))
		return rc;
	if (!(*v = malloc(((size_t)total / width + 1) * size)))
		return BPH_ERR_NOMEM;
	snprintf(sql, sizeof(sql), "SELECT data FROM %s", table);
	rc = bph_db_prepare(db, sql, &q);
	*n = 0;
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		size_t len = 0;
		const unsigned char *raw = bph_db_column_blob(q, 0, &len);
		size_t k = len / width;
		rc = *n + k <= (size_t)total / width ? 0 : BPH_ERR_DB;
		if (!rc && width == 4)
			decode_ips(raw, k, (uint32_t *)*v + *n);
		else if (!rc)
			decode_pairs(raw, k, (struct bph_wpair *)*v + *n);
		*n += k;
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* The pending hosts and incidences decoded into arrays. */
static int load_pending(struct bph_db *db, uint32_t **ips, size_t *n_ips,
			struct bph_wpair **p, size_t *n)
{
	int rc = load(db, "bulk_hosts", sizeof(**ips), 4, (void **)ips, n_ips);

	if (!rc)
		rc = load(db, "bulk_inc", sizeof(**p), PAIR_BYTES, (void **)p,
			  n);
	return rc;
}

/* Inside the caller's transaction: what is pending merged, then gone. */
static int merge_pending(struct bph_db *db)
{
	uint32_t *ips = NULL;
	struct bph_wpair *p = NULL;
	size_t n_ips = 0, n = 0;
	int rc = load_pending(db, &ips, &n_ips, &p, &n);

	if (!rc)
		rc = bph_merge_hosts(db, ips, n_ips);
	if (!rc)
		rc = bph_merge_host_arts(db, p, n);
	if (!rc)
		rc = bph_merge_art_hosts(db, p, n);
	if (!rc)
		rc = bph_db_exec(db, "DELETE FROM bulk_inc;"
				     " DELETE FROM bulk_hosts");
	free(ips);
	free(p);
	return rc;
}

int bph_store_publish(struct bph_store *st)
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
		rc = merge_pending(db);
	if (!rc)
		rc = bph_db_commit(db);
	if (rc)
		bph_db_rollback(db);
	return rc;
}
