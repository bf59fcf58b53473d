/*
 * store_write.c - how records enter the store: a batch (bph_wbatch) is
 * prepared without the database (record JSON, observation hash, cleaned
 * artifacts: the CPU work, done by the import's worker threads), then
 * written with a few set-based statements through staging tables (COPY on
 * PostgreSQL), the same on both backends. The tables are in schema.c; the
 * design (unique observations, holder counts) in docs/output.md, "The store".
 */
#include "store/db_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "fingerprints/err.h"
#include "fingerprints/record_json.h"
#include "fingerprints/text.h"
#include "store/store.h"
#include "store/wbatch.h"

#define ARENA_CHUNK (1 << 20)
#define ARTDICT_MAX (2u << 20) /* artifact ids a writer remembers */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

/* A copy of s (len bytes plus a NUL) in the batch's arena, or NULL. */
static char *arena_dup(struct bph_wbatch *b, const char *s, size_t len)
{
	struct arena_chunk *c = b->chunks;
	char *p;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = b->chunks;
		c->used = 0;
		c->cap = cap;
		b->chunks = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

struct bph_wbatch *bph_wbatch_new(void)
{
	return calloc(1, sizeof(struct bph_wbatch));
}

void bph_wbatch_clear(struct bph_wbatch *b)
{
	struct arena_chunk *c = b->chunks;

	while (c && c->next) { /* keep one chunk for the next batch */
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	if (c)
		c->used = 0;
	b->chunks = c;
	b->n_obs = b->n_arts = b->n_order = b->n_distinct = 0;
	b->err = 0;
	b->prepared = false;
}

void bph_wbatch_free(struct bph_wbatch *b)
{
	if (!b)
		return;
	bph_wbatch_clear(b);
	free(b->chunks);
	bph_sbuf_free(&b->text);
	free(b->obs);
	free(b->arts);
	free(b->order);
	free(b->distinct);
	free(b);
}

size_t bph_wbatch_len(const struct bph_wbatch *b)
{
	return b->n_obs;
}

bool bph_wbatch_added(const struct bph_wbatch *b, size_t i, int64_t *seen)
{
	/* writing leaves a record only to the observations it added */
	if (i >= b->n_obs || !b->obs[i].record)
		return false;
	*seen = b->obs[i].seen;
	return true;
}

/* FNV-1a, 64 bits: the observation's identity within its address. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint64_t prime = 0x100000001b3ULL;
	const unsigned char *c = p;
	size_t i = 0;

	for (; i + 4 <= n; i += 4) { /* a record is some 500 bytes */
		h = (h ^ c[i]) * prime;
		h = (h ^ c[i + 1]) * prime;
		h = (h ^ c[i + 2]) * prime;
		h = (h ^ c[i + 3]) * prime;
	}
	for (; i < n; i++)
		h = (h ^ c[i]) * prime;
	return h;
}

/* rlen: strlen(o->record) */
static int64_t obs_hash(const struct wobs *o, size_t rlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	int64_t seen = o->seen;
	uint16_t port = o->port;

	h = fnv(h, &port, sizeof(port));
	h = fnv(h, &seen, sizeof(seen));
	h = fnv(h, o->state, strlen(o->state) + 1);
	h = fnv(h, o->record, rlen);
	return (int64_t)h;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 256;
	void *nv = realloc(*v, ncap * size);
	if (!nv)
		return BPH_ERR_NOMEM;
	*v = nv;
	*cap = ncap;
	return 0;
}

/* bph_artifact_cb: one artifact of the record being added, cleaned to
 * valid UTF-8 so that live records and imported JSON give the same. */
static void add_art(void *ctx, const char *kind, const char *value,
		    uint16_t port)
{
	struct bph_wbatch *b = ctx;
	char *clean = NULL;

	if (b->err)
		return;
	if ((b->err = grow((void **)&b->arts, &b->cap_arts, b->n_arts,
			   sizeof(*b->arts))))
		return;
	/* nearly every value is clean already: copied without a heap copy */
	if (!bph_text_is_clean(value, BPH_TEXT_UTF8) &&
	    !(clean = bph_text_clean(value, BPH_TEXT_UTF8))) {
		b->err = BPH_ERR_NOMEM;
		return;
	}
	struct wart *a = &b->arts[b->n_arts];
	a->obs = b->n_obs;
	a->port = port;
	a->art = 0;
	a->kind = arena_dup(b, kind, strlen(kind));
	value = clean ? clean : value;
	a->value = arena_dup(b, value, strlen(value));
	free(clean);
	if (!a->kind || !a->value)
		b->err = BPH_ERR_NOMEM;
	else
		b->n_arts++;
}

/* The record as the store keeps it: compact JSON in field order, written
 * into the batch's scratch buffer and copied to its arena. */
static char *record_text(struct bph_wbatch *b, const struct bph_service *s)
{
	b->text.len = 0;
	if (bph_service_json_text(&b->text, s))
		return NULL;
	return arena_dup(b, (const char *)b->text.p, b->text.len);
}

int bph_wbatch_add(struct bph_wbatch *b, const struct bph_service *s)
{
	size_t arts0 = b->n_arts;
	struct wobs *o;

	b->prepared = false;
	if (grow((void **)&b->obs, &b->cap_obs, b->n_obs, sizeof(*b->obs)))
		return BPH_ERR_NOMEM;
	o = &b->obs[b->n_obs];
	o->ip = s->ip;
	o->port = s->port;
	o->seen = s->seen ? (int64_t)s->seen : (int64_t)time(NULL);
	o->state = bph_state_name(s->state);
	if (!(o->record = record_text(b, s)))
		return BPH_ERR_NOMEM;
	o->hash = obs_hash(o, b->text.len);
	if (s->state == BPH_STATE_OPEN)
		bph_service_artifacts(s, add_art, b);
	if (b->err) { /* no half-added record */
		b->n_arts = arts0;
		return b->err;
	}
	b->n_obs++;
	return 0;
}

/* Marks observations repeated within the batch (same address and hash)
 * with a NULL record so that staging skips them. */
static int drop_repeats(struct bph_wbatch *b)
{
	size_t cap = 16;
	size_t *tab;

	while (cap < b->n_obs * 2)
		cap *= 2;
	if (!(tab = calloc(cap, sizeof(*tab))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < b->n_obs; i++) {
		struct wobs *o = &b->obs[i];
		size_t h = (size_t)((uint64_t)o->hash ^ o->ip) & (cap - 1);
		while (tab[h] && !(b->obs[tab[h] - 1].ip == o->ip &&
				   b->obs[tab[h] - 1].hash == o->hash))
			h = (h + 1) & (cap - 1);
		if (tab[h])
			o->record = NULL;
		else
			tab[h] = i + 1;
	}
	free(tab);
	return 0;
}

static int obs_cmp(const void *x, const void *y, void *ctx)
{
	const struct wobs *obs = ctx;
	const struct wobs *a = &obs[*(const size_t *)x];
	const struct wobs *b = &obs[*(const size_t *)y];

	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return a->hash < b->hash ? -1 : a->hash > b->hash;
}

/* Distinct artifacts in (kind, value) order, which is the order the
 * set-based INSERT of resolve_misses() gives new ones ids in (byte-wise,
 * as SQLite compares text), so both paths number new artifacts alike. */
static int art_cmp(const void *x, const void *y, void *ctx)
{
	const struct wart *arts = ctx;
	const struct wart *a = &arts[*(const size_t *)x];
	const struct wart *b = &arts[*(const size_t *)y];
	int c = strcmp(a->kind, b->kind);

	return c ? c : strcmp(a->value, b->value);
}

static int reserve(size_t **v, size_t *cap, size_t n)
{
	size_t *nv;

	if (n <= *cap)
		return 0;
	if (!(nv = realloc(*v, n * sizeof(**v))))
		return BPH_ERR_NOMEM;
	*v = nv;
	*cap = n;
	return 0;
}

/* The observations to write (not repeated within the batch) in (ip,
 * hash) order. */
static int prep_order(struct bph_wbatch *b)
{
	if (reserve(&b->order, &b->cap_order, b->n_obs + 1))
		return BPH_ERR_NOMEM;
	b->n_order = 0;
	for (size_t i = 0; i < b->n_obs; i++)
		if (b->obs[i].record)
			b->order[b->n_order++] = i;
	qsort_r(b->order, b->n_order, sizeof(*b->order), obs_cmp, b->obs);
	return 0;
}

static bool same_art(const struct wart *a, const struct wart *b)
{
	return a->khash == b->khash && !strcmp(a->kind, b->kind) &&
	       !strcmp(a->value, b->value);
}

/* Each artifact's hash and representative (the first of its (kind,
 * value) in the batch); the representatives in byte order. */
static int prep_distinct(struct bph_wbatch *b)
{
	size_t cap = 16, *tab;

	while (cap < b->n_arts * 2)
		cap *= 2;
	if (reserve(&b->distinct, &b->cap_distinct, b->n_arts + 1) ||
	    !(tab = calloc(cap, sizeof(*tab))))
		return BPH_ERR_NOMEM;
	b->n_distinct = 0;
	for (size_t i = 0; i < b->n_arts; i++) {
		struct wart *a = &b->arts[i];
		a->khash = bph_artdict_hash(a->kind, a->value);
		size_t h = (size_t)a->khash & (cap - 1);
		while (tab[h] && !same_art(&b->arts[tab[h] - 1], a))
			h = (h + 1) & (cap - 1);
		if (!tab[h]) {
			tab[h] = i + 1;
			b->distinct[b->n_distinct++] = i;
		}
		a->rep = tab[h] - 1;
	}
	free(tab);
	qsort_r(b->distinct, b->n_distinct, sizeof(*b->distinct), art_cmp,
		b->arts);
	return 0;
}

int bph_wbatch_prepare(struct bph_wbatch *b)
{
	int rc = drop_repeats(b);

	if (!rc)
		rc = prep_order(b);
	if (!rc)
		rc = prep_distinct(b);
	b->prepared = !rc;
	return rc;
}

static int stage_obs(struct bph_db *db, const struct bph_wbatch *b)
{
	struct bph_db_bulk *k = NULL;
	int rc = bph_db_bulk_begin(db, "stage_obs",
				   "seq, ip, port, state, seen, hash, record",
				   NULL, &k);

	for (size_t i = 0; !rc && i < b->n_obs; i++) {
		const struct wobs *o = &b->obs[i];
		if (!o->record)
			continue;
		bph_db_bulk_int64(k, (int64_t)i);
		bph_db_bulk_int64(k, o->ip);
		bph_db_bulk_int64(k, o->port);
		bph_db_bulk_text(k, o->state);
		bph_db_bulk_int64(k, o->seen);
		bph_db_bulk_int64(k, o->hash);
		bph_db_bulk_text(k, o->record);
		rc = bph_db_bulk_row(k);
	}
	if (rc) {
		bph_db_bulk_abort(k);
		return rc;
	}
	return bph_db_bulk_end(k);
}

static int stage_arts(struct bph_db *db, const struct bph_wbatch *b)
{
	struct bph_db_bulk *k = NULL;
	int rc = bph_db_bulk_begin(db, "stage_art", "seq, art, port", NULL, &k);

	for (size_t i = 0; !rc && i < b->n_arts; i++) {
		const struct wart *a = &b->arts[i];
		if (!b->obs[a->obs].record)
			continue;
		bph_db_bulk_int64(k, (int64_t)a->obs);
		bph_db_bulk_int64(k, a->art);
		bph_db_bulk_int64(k, a->port);
		rc = bph_db_bulk_row(k);
	}
	if (rc) {
		bph_db_bulk_abort(k);
		return rc;
	}
	return bph_db_bulk_end(k);
}

/* Runs sql with scan_id bound to its one parameter (if any); *changes
 * (may be NULL) gets the rows it changed. */
static int run(struct bph_db *db, const char *sql, int64_t scan_id,
	       int64_t *changes)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(db, sql, &q);

	if (!rc && strchr(sql, '?'))
		rc = bph_db_bind_int64(q, 1, scan_id);
	if (!rc)
		rc = bph_db_step(q);
	if (rc >= 0 && changes)
		*changes = bph_db_changes(q);
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* The holders counted in h added to arts.holders, through staging. */
static int holders_staged(struct bph_db *db, const struct bph_holders *h)
{
	struct bph_db_bulk *k = NULL;
	int rc = bph_db_bulk_begin(db, "stage_holders", "art, n", NULL, &k);

	for (size_t i = 0; !rc && i < h->cap; i++) {
		if (!h->n[i])
			continue;
		bph_db_bulk_int64(k, h->art[i]);
		bph_db_bulk_int64(k, h->n[i]);
		rc = bph_db_bulk_row(k);
	}
	if (k)
		rc = rc ? (bph_db_bulk_abort(k), rc) : bph_db_bulk_end(k);
	if (!rc)
		rc =
		    run(db,
			"UPDATE arts SET holders = holders +"
			" (SELECT n FROM stage_holders s WHERE s.art = arts.id)"
			" WHERE id IN (SELECT art FROM stage_holders)",
			0, NULL);
	return rc;
}

/* The (artifact, host) pairs new to the store go into art_hosts; their
 * count per artifact is added to arts.holders. RETURNING names exactly the
 * rows this statement inserted, so concurrent writers never count a pair
 * twice. */
static int add_holders(struct bph_db *db)
{
	struct bph_holders h = {0};
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    db,
	    "INSERT INTO art_hosts(art, ip)"
	    " SELECT DISTINCT a.art, o.ip FROM stage_art a"
	    " JOIN stage_obs o ON o.seq = a.seq WHERE true ORDER BY 1, 2"
	    " ON CONFLICT DO NOTHING RETURNING art",
	    &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW)
		rc = bph_holders_add(&h, bph_db_column_int64(q, 0));
	bph_db_finalize(q);
	/* only the staged path gets here: SQLite writes rows (store_rows.c) */
	if (!rc && h.used)
		rc = holders_staged(db, &h);
	free(h.art);
	free(h.n);
	return rc;
}

/* Observations the store holds already (an import run twice, or re-run
 * after a crash) add nothing, artifacts included: they leave staging and
 * lose their record in the batch, so that their artifacts are neither
 * looked up nor staged. */
static int drop_stored(struct bph_db *db, struct bph_wbatch *b)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(db,
				"DELETE FROM stage_obs WHERE EXISTS (SELECT 1"
				" FROM services s WHERE s.ip = stage_obs.ip"
				" AND s.hash = stage_obs.hash) RETURNING seq",
				&q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t seq = bph_db_column_int64(q, 0);
		rc = seq >= 0 && (size_t)seq < b->n_obs ? 0 : BPH_ERR_DB;
		if (!rc)
			b->obs[seq].record = NULL;
	}
	bph_db_finalize(q);
	return rc;
}

/* After staging: what is new goes into the store's tables. */
static const char *const merge_sql[] = {
    "INSERT INTO hosts(ip) SELECT DISTINCT ip FROM stage_obs"
    " WHERE state = 'open' ORDER BY ip ON CONFLICT DO NOTHING",
    NULL, /* add_holders() */
    "INSERT INTO host_arts(ip, art, port, first_seen, last_seen)"
    " SELECT o.ip, a.art, a.port, min(o.seen), max(o.seen)"
    " FROM stage_art a JOIN stage_obs o ON o.seq = a.seq WHERE true"
    " GROUP BY o.ip, a.art, a.port ORDER BY 1, 2, 3"
    " ON CONFLICT (ip, art, port) DO UPDATE SET"
    " first_seen = CASE WHEN excluded.first_seen < host_arts.first_seen"
    " THEN excluded.first_seen ELSE host_arts.first_seen END,"
    " last_seen = CASE WHEN excluded.last_seen > host_arts.last_seen"
    " THEN excluded.last_seen ELSE host_arts.last_seen END",
};

static int clear_stage(struct bph_db *db)
{
	int rc = bph_db_clear(db, "stage_obs");

	if (!rc)
		rc = bph_db_clear(db, "stage_art");
	if (!rc)
		rc = bph_db_clear(db, "stage_newart");
	if (!rc)
		rc = bph_db_clear(db, "stage_holders");
	return rc;
}

static int merge(struct bph_db *db, int64_t scan_id, size_t *added)
{
	int64_t n = 0;
	int rc = run(db,
		     "INSERT INTO services(scan_id, ip, port, state, seen,"
		     " hash, record) SELECT ?, ip, port, state, seen, hash,"
		     " record FROM stage_obs WHERE true ORDER BY ip, hash"
		     " ON CONFLICT (ip, hash) DO NOTHING",
		     scan_id, &n);
	for (size_t i = 0; !rc && i < sizeof(merge_sql) / sizeof(*merge_sql);
	     i++)
		rc = merge_sql[i] ? run(db, merge_sql[i], 0, NULL)
				  : add_holders(db);
	if (!rc)
		*added = (size_t)n;
	return rc;
}

int bph_store_write_batch(struct bph_store *st, int64_t scan_id,
			  struct bph_wbatch *b, size_t *added)
{
	struct bph_db *db = st->db;
	int rc = b->prepared ? 0 : bph_wbatch_prepare(b);

	*added = 0;
	if (!rc && !st->arts && !(st->arts = bph_artdict_new(ARTDICT_MAX)))
		rc = BPH_ERR_NOMEM;
	if (!rc && bph_db_backend(db) == BPH_DB_SQLITE)
		return bph_rows_write(st, scan_id, b, added);
	if (!rc)
		rc = clear_stage(db);
	if (!rc)
		rc = stage_obs(db, b);
	if (!rc)
		rc = drop_stored(db, b);
	if (!rc)
		rc = bph_wbatch_resolve(st, b);
	if (!rc)
		rc = stage_arts(db, b);
	if (!rc)
		rc = merge(db, scan_id, added);
	if (!rc)
		rc = clear_stage(db);
	return rc;
}

void bph_store_write_abort(struct bph_store *st)
{
	if (st->arts) /* ids of rows rolled back may be in it */
		bph_artdict_clear(st->arts);
	if (st->pend)
		bph_artdict_clear(st->pend);
}

int bph_store_put(struct bph_store *st, int64_t scan_id,
		  const struct bph_service *s)
{
	struct bph_db *db = st->db;
	struct bph_wbatch *b = bph_wbatch_new();
	bool own = !bph_db_in_txn(db);
	size_t added = 0;
	int rc = b ? bph_wbatch_add(b, s) : BPH_ERR_NOMEM;

	if (!rc)
		rc = own ? bph_db_begin(db, BPH_DB_TXN_WRITE)
			 : bph_db_exec(db, "SAVEPOINT put");
	if (rc) {
		bph_wbatch_free(b);
		return rc;
	}
	rc = bph_store_write_batch(st, scan_id, b, &added);
	bph_wbatch_free(b);
	if (own && !rc)
		rc = bph_db_commit(db);
	else if (own)
		bph_db_rollback(db);
	if (!own && rc)
		bph_db_exec(db, "ROLLBACK TO SAVEPOINT put");
	if (!own && bph_db_exec(db, "RELEASE SAVEPOINT put") && !rc)
		rc = BPH_ERR_DB;
	if (rc)
		bph_store_write_abort(st);
	return rc;
}

/* A batch of the v1 rows of one scan into the v2 tables. */
static int flush_v1(struct bph_store *st, int64_t scan_id, struct bph_wbatch *b)
{
	size_t added;
	int rc = b->n_obs ? bph_store_write_batch(st, scan_id, b, &added) : 0;

	bph_wbatch_clear(b);
	return rc;
}

/* One services_v1 row parsed back into a record, added to b. */
static int add_v1_row(struct bph_db_stmt *q, struct bph_wbatch *b)
{
	const char *text = bph_db_column_text(q, 1);
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	struct bph_service s = {0};
	char err[128];
	int rc = 0;

	if (j && !bph_service_from_json(j, &s, err, sizeof(err))) {
		s.seen = (time_t)bph_db_column_int64(q, 2);
		rc = bph_wbatch_add(b, &s);
	} /* else a row no bphound could have written: left out */
	bph_service_clear(&s);
	json_decref(j);
	return rc;
}

int bph_store_migrate_v1(struct bph_db *db)
{
	struct bph_store st = {.db = db}; /* a writer for the migration */
	struct bph_wbatch *b = bph_wbatch_new();
	struct bph_db_stmt *q = NULL;
	int64_t scan = -1;
	int rc = b ? bph_db_prepare_stream(db,
					   "SELECT scan_id, record, seen FROM"
					   " services_v1 ORDER BY scan_id, id",
					   &q)
		   : BPH_ERR_NOMEM;

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t id = bph_db_column_int64(q, 0);
		rc = 0;
		if ((id != scan || bph_wbatch_len(b) >= 5000) &&
		    (rc = flush_v1(&st, scan, b)))
			break;
		scan = id;
		rc = add_v1_row(q, b);
	}
	bph_db_finalize(q);
	if (!rc)
		rc = flush_v1(&st, scan, b);
	bph_wbatch_free(b);
	bph_artdict_free(st.arts);
	if (!rc)
		rc = bph_db_exec(
		    db, "DROP TABLE artifacts; DROP TABLE services_v1");
	return rc;
}
