/*
 * store_arts.c - the ids of a write batch's artifacts: the writer's
 * dictionary (artdict.c), then the store, and new rows in arts for the
 * rest, or on the bulk path rows pending in bulk_arts. Contract in
 * store/wbatch.h.
 */
#include "store/db_int.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "store/wbatch.h"

#define PEND_MAX (2u << 20) /* pending ids a writer remembers */

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
		rc = bph_db_exec(st->db,
				 "INSERT INTO arts(kind, value) SELECT kind,"
				 " value FROM stage_newart WHERE true ORDER BY"
				 " kind, value ON CONFLICT (kind, value) DO"
				 " NOTHING");
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

/* The id the store has for each row of k's run (row i: the artifact
 * b->arts[idx[i]]); *ids is the query, prepared on first use. */
static int lookup_ids(struct bph_db_stmt **ids, struct bph_db_block *k,
		      struct bph_wbatch *b, const size_t *idx)
{
	int rc = *ids ? 0
		      : bph_db_prepare(k->q->db,
				       "SELECT r.rowid, a.id FROM bph_rows(?)"
				       " r JOIN arts a ON a.kind = r.c0 AND"
				       " a.value = r.c1",
				       ids);

	if (!rc)
		rc = bph_db_bind_rows(*ids, 1, &k->r);
	while (!rc && (rc = bph_db_step(*ids)) == BPH_DB_ROW) {
		int64_t i = bph_db_column_int64(*ids, 0);
		rc = i >= 0 && (size_t)i < k->r.n ? 0 : BPH_ERR_DB;
		if (!rc)
			b->arts[idx[i]].art = bph_db_column_int64(*ids, 1);
	}
	bph_db_reset(*ids);
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
		rc = lookup_ids(&w->ids, k, w->b, w->m->idx + w->next);
	w->next += n;
	return rc;
}

/* The misses' (kind, value) in byte order through k's statement, a run
 * of rows at a time (k's hooks see each run). */
static int misses_block(struct bph_db *db, struct bph_db_block *k,
			const char *sql, const struct bph_wbatch *b,
			const struct misses *m)
{
	int rc = bph_db_block_open(db, k, sql, 2, m->n);

	for (size_t i = 0; !rc && i < m->n; i++) {
		const struct wart *a = &b->arts[m->idx[i]];
		struct bph_db_value *v = bph_db_block_row(k);
		v[0] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = a->kind};
		v[1] =
		    (struct bph_db_value){.type = BPH_DB_T_TEXT, .p = a->value};
		rc = bph_db_block_next(k);
	}
	return bph_db_block_close(k, rc);
}

/* Each listed miss has an id (of d, which remembers it) or the writer
 * fails. */
static int misses_known(struct bph_db *db, struct bph_artdict *d,
			struct bph_wbatch *b, const struct misses *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct wart *a = &b->arts[m->idx[i]];
		if (!a->art)
			return bph_db_fail(db, BPH_DB_EOTHER,
					   "artifact %s has no id", a->kind);
		bph_artdict_put(d, a->khash, a->kind, a->value, a->art);
	}
	return 0;
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
	int rc = misses_block(st->db, &k,
			      "INSERT INTO arts(kind, value) SELECT c0, c1"
			      " FROM bph_rows(?) WHERE true ON CONFLICT"
			      " (kind, value) DO NOTHING",
			      b, m);

	bph_db_finalize(w.ids);
	return rc ? rc : misses_known(st->db, st->arts, b, m);
}

/*
 * THE BULK PATH (an import into SQLite): an artifact the store lacks is
 * not added to arts, whose index on (kind, value) would take one
 * scattered insert per new artifact, and every commit would write each
 * page they touched (at ten million hosts most of a 2.7 GB index, every
 * 20 s: docs/performance.md). It is appended to bulk_arts instead, and
 * its batches' pairs name it by -seq, its row there; bph_store_publish()
 * adds them all to arts in (kind, value) order, one pass over the index,
 * and gives the pairs their ids. st->pend remembers this transaction's
 * pending ids (a publication between two of the import's transactions
 * empties bulk_arts: bph_store_write_committed() forgets them).
 */

/* The misses of one resolve_pending(), a run of rows after another. */
struct pend_walk {
	struct bph_wbatch *b;
	const struct misses *m;
	size_t next; /* the run's first row is m->idx[next] */
	struct bph_artdict *known;
	struct bph_db_stmt *ids; /* the ids the store has for a run's rows */
	size_t left[BPH_DB_BLOCK_ROWS]; /* the run's rows the store lacks */
};

/* Before a run: its rows the store holds take their id and leave it. */
static int pend_held(void *ctx, struct bph_db_block *k)
{
	struct pend_walk *w = ctx;
	size_t n = k->r.n, kept = 0;
	int rc = lookup_ids(&w->ids, k, w->b, w->m->idx + w->next);

	for (size_t i = 0; !rc && i < n; i++) {
		struct wart *a = &w->b->arts[w->m->idx[w->next + i]];
		if (a->art) { /* held: known from now on */
			bph_artdict_put(w->known, a->khash, a->kind, a->value,
					a->art);
			continue;
		}
		k->v[2 * kept] = k->v[2 * i];
		k->v[2 * kept + 1] = k->v[2 * i + 1];
		w->left[kept++] = w->next + i;
	}
	k->r.n = kept;
	w->next += n;
	return rc;
}

/* After a run: its rows took the seqs after the last one before it. */
static int pend_added(void *ctx, struct bph_db_block *k)
{
	struct pend_walk *w = ctx;
	size_t n = k->r.n;
	int64_t last = bph_db_insert_id(k->q);

	if ((size_t)bph_db_changes(k->q) != n || last < (int64_t)n)
		return bph_db_fail(k->q->db, BPH_DB_EOTHER,
				   "bulk_arts changed during a write");
	for (size_t i = 0; i < n; i++)
		w->b->arts[w->m->idx[w->left[i]]].art =
		    -(last - (int64_t)(n - 1 - i));
	return 0;
}

static int resolve_pending(struct bph_store *st, struct bph_wbatch *b,
			   struct misses *m)
{
	struct pend_walk *w = calloc(1, sizeof(*w));
	struct bph_db_block k = {
	    .before = pend_held, .after = pend_added, .ctx = w};
	size_t n = 0;
	int rc = 0;

	if (!w || (!st->pend && !(st->pend = bph_artdict_new(PEND_MAX)))) {
		free(w);
		return BPH_ERR_NOMEM;
	}
	*w = (struct pend_walk){.b = b, .m = m, .known = st->arts};
	for (size_t i = 0; i < m->n; i++) { /* pending since this txn began */
		struct wart *a = &b->arts[m->idx[i]];
		if (!(a->art = bph_artdict_get(st->pend, a->khash, a->kind,
					       a->value)))
			m->idx[n++] = m->idx[i];
	}
	m->n = n;
	if (n)
		rc = misses_block(st->db, &k,
				  "INSERT INTO bulk_arts(kind, value)"
				  " SELECT c0, c1 FROM bph_rows(?)",
				  b, m);
	bph_db_finalize(w->ids);
	free(w);
	return rc ? rc : misses_known(st->db, st->pend, b, m);
}

void bph_store_write_committed(struct bph_store *st)
{
	if (st->pend)
		bph_artdict_clear(st->pend);
}

/* Every artifact of the batch gets its arts.id. */
int bph_wbatch_resolve(struct bph_store *st, struct bph_wbatch *b)
{
	struct misses m = {0};
	int rc = collect_misses(st, b, &m);

	if (!rc && m.n)
		rc = st->bulk ? resolve_pending(st, b, &m)
		     : bph_db_backend(st->db) == BPH_DB_SQLITE
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
