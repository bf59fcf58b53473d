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

#define ARENA_CHUNK (1 << 20)
#define ARTDICT_MAX (2u << 20) /* artifact ids a writer remembers */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct wobs {
	uint32_t ip;
	uint16_t port;
	const char *state, *record;
	int64_t seen, hash;
};

struct wart {
	size_t obs; /* index into obs */
	const char *kind, *value;
	uint16_t port;
	int64_t art;	/* arts.id, once resolved */
	uint64_t khash; /* bph_artdict_hash(kind, value), once prepared */
	size_t rep;	/* the batch's first artifact of that (kind, value) */
};

struct bph_wbatch {
	struct wobs *obs;
	size_t n_obs, cap_obs;
	struct wart *arts;
	size_t n_arts, cap_arts;
	struct arena_chunk *chunks;
	struct bph_sbuf text; /* record_text()'s scratch */
	int err;	      /* first error of an artifact callback */
	/* bph_wbatch_prepare(): the observations to write in (ip, hash)
	 * order, one artifact per distinct (kind, value) in byte order */
	size_t *order, n_order, cap_order;
	size_t *distinct, n_distinct, cap_distinct;
	bool prepared;
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
	/* only the staged path gets here: SQLite writes rows (write_rows) */
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

/* The artifacts the writer's dictionary does not know: idx lists one
 * representative per distinct (kind, value), in byte order. */
struct misses {
	size_t *idx;
	size_t n;
};

/* The representatives of artifacts of new observations (an artifact of
 * an observation the store holds is neither looked up nor added) that the
 * writer's dictionary does not know; those it knows get their id. */
static int collect_misses(struct bph_store *st, struct bph_wbatch *b,
			  struct misses *m)
{
	bool *need = calloc(b->n_arts + 1, sizeof(*need));

	if (!need ||
	    !(m->idx = malloc((b->n_distinct + 1) * sizeof(*m->idx)))) {
		free(need);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < b->n_arts; i++)
		if (b->obs[b->arts[i].obs].record)
			need[b->arts[i].rep] = true;
	for (size_t k = 0; k < b->n_distinct; k++) {
		struct wart *a = &b->arts[b->distinct[k]];
		if (need[b->distinct[k]] &&
		    !(a->art = bph_artdict_get(st->arts, a->khash, a->kind,
					       a->value)))
			m->idx[m->n++] = b->distinct[k];
	}
	free(need);
	return 0;
}

static int stage_misses(struct bph_db *db, const struct bph_wbatch *b,
			const struct misses *m)
{
	struct bph_db_bulk *k = NULL;
	int rc =
	    bph_db_bulk_begin(db, "stage_newart", "seq, kind, value", NULL, &k);

	for (size_t i = 0; !rc && i < m->n; i++) {
		const struct wart *a = &b->arts[m->idx[i]];
		bph_db_bulk_int64(k, (int64_t)m->idx[i]);
		bph_db_bulk_text(k, a->kind);
		bph_db_bulk_text(k, a->value);
		rc = bph_db_bulk_row(k);
	}
	if (rc) {
		bph_db_bulk_abort(k);
		return rc;
	}
	return bph_db_bulk_end(k);
}

/* New artifacts into the dictionary; the ids of the listed misses into
 * the batch and the writer's dictionary. */
static int resolve_misses(struct bph_store *st, struct bph_wbatch *b,
			  const struct misses *m)
{
	struct bph_db_stmt *q = NULL;
	int rc = stage_misses(st->db, b, m);

	if (!rc)
		rc = run(st->db,
			 "INSERT INTO arts(kind, value) SELECT kind, value"
			 " FROM stage_newart WHERE true ORDER BY kind, value"
			 " ON CONFLICT (kind, value) DO NOTHING",
			 0, NULL);
	if (!rc)
		rc = bph_db_prepare(st->db,
				    "SELECT s.seq, a.id FROM stage_newart s"
				    " JOIN arts a ON a.kind = s.kind"
				    " AND a.value = s.value",
				    &q);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t seq = bph_db_column_int64(q, 0);
		rc = seq >= 0 && (size_t)seq < b->n_arts ? 0 : BPH_ERR_DB;
		if (!rc) {
			struct wart *a = &b->arts[seq];
			a->art = bph_db_column_int64(q, 1);
			bph_artdict_put(st->arts, a->khash, a->kind, a->value,
					a->art);
		}
	}
	bph_db_finalize(q);
	return rc;
}

/* The misses of one resolve_misses_rows(), a run of rows after another. */
struct miss_walk {
	struct bph_wbatch *b;
	const struct misses *m;
	size_t next;
	struct bph_db_stmt *ids; /* every id of a run's rows */
};

/* The id of each row of a run, looked up (some were in the store). */
static int miss_ids(struct miss_walk *w, struct bph_db_block *k)
{
	struct bph_db *db = k->q->db;
	int rc = w->ids ? 0
			: bph_db_prepare(db,
					 "SELECT r.rowid, a.id FROM bph_rows(?)"
					 " r JOIN arts a ON a.kind = r.c0 AND"
					 " a.value = r.c1",
					 &w->ids);

	if (!rc)
		rc = bph_db_bind_rows(w->ids, 1, &k->r);
	while (!rc && (rc = bph_db_step(w->ids)) == BPH_DB_ROW) {
		int64_t i = bph_db_column_int64(w->ids, 0);
		rc = i >= 0 && (size_t)i < k->r.n ? 0 : BPH_ERR_DB;
		if (!rc)
			w->b->arts[w->m->idx[w->next + (size_t)i]].art =
			    bph_db_column_int64(w->ids, 1);
	}
	bph_db_reset(w->ids);
	return rc < 0 ? rc : 0;
}

/* After a run: when it added every row, they took the ids after the
 * last one before it, in order; otherwise the ids are looked up. */
static int miss_ran(void *ctx, struct bph_db_block *k)
{
	struct miss_walk *w = ctx;
	size_t n = k->r.n;
	int64_t last = bph_db_insert_id(k->q);
	int rc = 0;

	if ((size_t)bph_db_changes(k->q) == n && last >= (int64_t)n)
		for (size_t i = 0; i < n; i++)
			w->b->arts[w->m->idx[w->next + i]].art =
			    last - (int64_t)(n - 1 - i);
	else
		rc = miss_ids(w, k);
	w->next += n;
	return rc;
}

/* SQLite, where a statement costs no round trip: the misses inserted a
 * run of rows per statement (bph_rows) in byte order, without staging
 * them and joining back (which took a third of the writer's time on a
 * fresh store); those the store held are looked up. */
static int resolve_misses_rows(struct bph_store *st, struct bph_wbatch *b,
			       const struct misses *m)
{
	struct miss_walk w = {b, m, 0, NULL};
	struct bph_db_block k = {.after = miss_ran, .ctx = &w};
	int rc = bph_db_block_open(st->db, &k,
				   "INSERT INTO arts(kind, value) SELECT c0, c1"
				   " FROM bph_rows(?) WHERE true ON CONFLICT"
				   " (kind, value) DO NOTHING",
				   2, m->n);

	for (size_t i = 0; !rc && i < m->n; i++) { /* in byte order */
		const struct wart *a = &b->arts[m->idx[i]];
		struct bph_db_value *v = bph_db_block_row(&k);
		v[0] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = a->kind};
		v[1] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = a->value};
		rc = bph_db_block_next(&k);
	}
	rc = bph_db_block_close(&k, rc);
	bph_db_finalize(w.ids);
	for (size_t i = 0; !rc && i < m->n; i++) {
		struct wart *a = &b->arts[m->idx[i]];
		if (a->art)
			bph_artdict_put(st->arts, a->khash, a->kind, a->value,
					a->art);
		else
			rc = bph_db_fail(st->db, BPH_DB_EOTHER,
					 "artifact %s has no id", a->kind);
	}
	return rc;
}

/* Every artifact of the batch gets its arts.id. */
static int resolve_arts(struct bph_store *st, struct bph_wbatch *b)
{
	struct misses m = {0};
	int rc = collect_misses(st, b, &m);

	if (!rc && m.n)
		rc = bph_db_backend(st->db) == BPH_DB_SQLITE
			 ? resolve_misses_rows(st, b, &m)
			 : resolve_misses(st, b, &m);
	for (size_t i = 0; !rc && i < b->n_arts; i++) {
		struct wart *a = &b->arts[i];
		if (!b->obs[a->obs].record)
			continue;
		a->art = b->arts[a->rep].art;
		if (!a->art)
			rc = bph_db_fail(st->db, BPH_DB_EOTHER,
					 "artifact %s has no id", a->kind);
	}
	free(m.idx);
	return rc;
}

/*
 * SQLite: the batch merged row by row with prepared statements, without
 * staging tables. No statement costs a round trip there, and copying the
 * batch into temporary tables, joining them and sorting in SQL was most
 * of the writer's time (docs/performance.md, "Store: import"). The rows
 * go in in the order the set-based statements of merge() use, so new
 * services get the same ids, and the tables end the same. The derived
 * rows (hosts, art_hosts with the holders, host_arts) are merged by
 * store_bulk.c; with st->bulk (an import) they are only appended to
 * bulk_hosts and bulk_inc, and bph_store_publish() merges them all at the
 * end of the import.
 */

/* The observations of one rows_services(), a run of rows after another. */
struct svc_walk {
	struct bph_wbatch *b;
	const size_t *order;
	size_t next, *added;
	struct bph_db_stmt *old; /* which of a run's rows were there */
};

/* The rows of a run that the store held before it (those the run did
 * not add): they lose their record. */
static int svc_held(struct svc_walk *w, struct bph_db_block *k, int64_t last)
{
	struct bph_db *db = k->q->db;
	int rc = w->old
		     ? 0
		     : bph_db_prepare(db,
				      "SELECT r.rowid FROM bph_rows(?) r JOIN"
				      " services s ON s.ip = r.c1 AND"
				      " s.hash = r.c5 WHERE s.id <= ?",
				      &w->old);

	if (!rc)
		rc = bph_db_bind_rows(w->old, 1, &k->r);
	if (!rc)
		rc = bph_db_bind_int64(w->old, 2, last);
	while (!rc && (rc = bph_db_step(w->old)) == BPH_DB_ROW) {
		int64_t i = bph_db_column_int64(w->old, 0);
		rc = i >= 0 && (size_t)i < k->r.n ? 0 : BPH_ERR_DB;
		if (!rc)
			w->b->obs[w->order[w->next + (size_t)i]].record = NULL;
	}
	bph_db_reset(w->old);
	return rc < 0 ? rc : 0;
}

/* After a run: the rows it added are the run's rows less those the
 * store held, whose ids are at most the last id before the run (the
 * rows it added took the next ones). */
static int svc_ran(void *ctx, struct bph_db_block *k)
{
	struct svc_walk *w = ctx;
	size_t n = k->r.n, changed = (size_t)bph_db_changes(k->q);
	int rc = 0;

	if (changed > n)
		return BPH_ERR_DB;
	if (!changed)
		for (size_t i = 0; i < n; i++)
			w->b->obs[w->order[w->next + i]].record = NULL;
	else if (changed < n)
		rc = svc_held(w, k, bph_db_insert_id(k->q) - (int64_t)changed);
	*w->added += changed;
	w->next += n;
	return rc;
}

/* New observations into services in (ip, hash) order, a run of rows per
 * statement (bph_rows); those the store holds already lose their record
 * in the batch (as drop_stored()). */
static int rows_services(struct bph_db *db, int64_t scan_id,
			 struct bph_wbatch *b, const size_t *order, size_t n,
			 size_t *added)
{
	struct svc_walk w = {b, order, 0, added, NULL};
	struct bph_db_block k = {.after = svc_ran, .ctx = &w};
	int rc = bph_db_block_open(
	    db, &k,
	    "INSERT INTO services(scan_id, ip, port, state, seen, hash,"
	    " record) SELECT c0, c1, c2, c3, c4, c5, c6 FROM bph_rows(?)"
	    " WHERE true ON CONFLICT (ip, hash) DO NOTHING",
	    7, n);

	for (size_t i = 0; !rc && i < n; i++) {
		const struct wobs *o = &b->obs[order[i]];
		struct bph_db_value *v = bph_db_block_row(&k);
		v[0] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = scan_id};
		v[1] = (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->ip};
		v[2] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->port};
		v[3] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = o->state};
		v[4] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->seen};
		v[5] =
		    (struct bph_db_value){.type = BPH_DB_T_INT, .i = o->hash};
		v[6] = (struct bph_db_value){.type = BPH_DB_T_TEXT,
					     .p = o->record};
		rc = bph_db_block_next(&k);
	}
	rc = bph_db_block_close(&k, rc);
	bph_db_finalize(w.old);
	return rc;
}

/* The addresses of new open observations (sorted, as order is): *n_ips
 * of them in *ips. */
static int rows_ips(const struct bph_wbatch *b, const size_t *order, size_t n,
		    uint32_t **ips, size_t *n_ips)
{
	*n_ips = 0;
	if (!(*ips = malloc((n + 1) * sizeof(**ips))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct wobs *o = &b->obs[order[i]];
		if (!o->record || strcmp(o->state, "open") ||
		    (*n_ips && (*ips)[*n_ips - 1] == o->ip))
			continue;
		(*ips)[(*n_ips)++] = o->ip;
	}
	return 0;
}

/* The artifacts of new observations as pairs: *n of them in *out. */
static int rows_pairs(const struct bph_wbatch *b, struct bph_wpair **out,
		      size_t *n)
{
	*n = 0;
	if (!(*out = malloc((b->n_arts + 1) * sizeof(**out))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < b->n_arts; i++) {
		const struct wart *a = &b->arts[i];
		const struct wobs *o = &b->obs[a->obs];
		if (o->record)
			(*out)[(*n)++] =
			    (struct bph_wpair){a->art, o->seen, o->ip, a->port};
	}
	return 0;
}

static int write_rows(struct bph_store *st, int64_t scan_id,
		      struct bph_wbatch *b, size_t *added)
{
	size_t n_pairs = 0, n_ips = 0;
	struct bph_wpair *pairs = NULL;
	uint32_t *ips = NULL;
	/* prepared: the observations in (ip, hash) order */
	int rc = rows_services(st->db, scan_id, b, b->order, b->n_order, added);

	if (!rc)
		rc = resolve_arts(st, b);
	if (!rc)
		rc = rows_ips(b, b->order, b->n_order, &ips, &n_ips);
	if (!rc)
		rc = rows_pairs(b, &pairs, &n_pairs);
	if (!rc && st->bulk) /* merged by bph_store_publish() */
		rc = bph_bulk_append(st->db, ips, n_ips, pairs, n_pairs);
	if (!rc && !st->bulk)
		rc = bph_merge_hosts(st->db, ips, n_ips);
	if (!rc && !st->bulk)
		rc = bph_merge_art_hosts(st->db, pairs, n_pairs);
	if (!rc && !st->bulk)
		rc = bph_merge_host_arts(st->db, pairs, n_pairs);
	free(ips);
	free(pairs);
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
		return write_rows(st, scan_id, b, added);
	if (!rc)
		rc = clear_stage(db);
	if (!rc)
		rc = stage_obs(db, b);
	if (!rc)
		rc = drop_stored(db, b);
	if (!rc)
		rc = resolve_arts(st, b);
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
