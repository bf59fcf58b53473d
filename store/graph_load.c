/*
 * graph_load.c - the whole store's host-artifact graph for the clustering
 * (bph_store_load_graph, contract in store/store.h), read in one snapshot
 * by integer ids: hosts, then the incidences (host_arts) in key order, then
 * only the artifacts they use, so no row is joined, formatted or hashed.
 * On SQLite a second thread reads the artifacts on a second connection in
 * the same snapshot (bph_db_begin_pair in store/db_int.h) while this one
 * reads the hosts and incidences (docs/performance.md, issue 13).
 */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/graph.h"
#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"
#include "fingerprints/record.h"
#include "store/db_int.h"

/* Artifact ids this load maps through an array (4 bytes each): past it,
 * the store's ids are too sparse and the rows are joined instead. */
#define MAX_ART_ID (1u << 28)

/* map[] during the load: 0 an id no row of arts gave g, IX(i) one
 * interned as g's artifact i; at the end, g's index or UINT32_MAX (an
 * incidence whose artifact no row of arts has: dropped, as the join
 * dropped it). Which ids the incidences use is a bitmap beside it (used):
 * at a million hosts the ids come at random, and 4M bits stay in the
 * cache where 4M words do not. */
#define IX(i) ((i) + 1u)

static bool is_used(const uint64_t *used, size_t id)
{
	return used[id / 64] >> (id % 64) & 1u;
}

/* The graph's hosts by address, with their indices in the graph. */
struct hosts {
	uint32_t *ip, *ix; /* ip ascending */
	size_t n, cap;
	size_t last; /* the row before's host: rows come grouped by host */
};

static int grow(struct hosts *h)
{
	size_t n = h->cap ? h->cap * 2 : 1024;
	uint32_t *ip = realloc(h->ip, n * sizeof(*ip));

	if (ip)
		h->ip = ip;
	bph_advise_huge(ip, n * sizeof(*ip));
	uint32_t *ix = ip ? realloc(h->ix, n * sizeof(*ix)) : NULL;
	if (!ix)
		return BPH_ERR_NOMEM;
	h->ix = ix;
	bph_advise_huge(ix, n * sizeof(*ix));
	h->cap = n;
	return 0;
}

/* Adds the host at address a to g (pushed: the hosts table's key and
 * host_of() keep them distinct) and to h at position at. */
static int add_host(struct bph_graph *g, struct hosts *h, size_t at, uint32_t a,
		    uint32_t *ix)
{
	char ip[16];
	int rc = h->n == h->cap ? grow(h) : 0;

	bph_ip_str(a, ip);
	if (!rc)
		rc = bph_graph_push_host(g, ip, ix);
	if (rc)
		return rc;
	memmove(h->ip + at + 1, h->ip + at, (h->n - at) * sizeof(*h->ip));
	memmove(h->ix + at + 1, h->ix + at, (h->n - at) * sizeof(*h->ix));
	h->ip[at] = a;
	h->ix[at] = *ix;
	h->n++;
	return 0;
}

static int load_hosts(struct bph_store *st, struct bph_graph *g,
		      struct hosts *h)
{
	struct bph_db_stmt *q = NULL;
	uint32_t ix;
	int rc = bph_db_prepare_stream(st->db,
				       "SELECT ip FROM hosts ORDER BY ip", &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW)
		rc = add_host(g, h, h->n, (uint32_t)bph_db_column_int64(q, 0),
			      &ix);
	bph_db_finalize(q);
	return rc;
}

/* The graph's index of the host at address a: a lookup in the sorted
 * addresses (the row before's host, then the next, first), or a new
 * host for a row whose host the hosts table lacks (as the joined load added it;
 * never in a store bphound wrote), kept in the sorted addresses for its next
 * row. */
static int host_of(struct bph_graph *g, struct hosts *h, uint32_t a,
		   uint32_t *ix)
{
	size_t lo = 0, hi = h->n;

	if (h->last < h->n && h->ip[h->last] == a) {
		*ix = h->ix[h->last];
		return 0;
	}
	if (h->last + 1 < h->n && h->ip[h->last + 1] == a) { /* the next */
		*ix = h->ix[++h->last];
		return 0;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->ip[mid] < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < h->n && h->ip[lo] == a) {
		*ix = h->ix[h->last = lo];
		return 0;
	}
	return add_host(g, h, lo, a, ix);
}

/* The incidences, with the store's artifact ids (marked in used). */
static int load_incidences(struct bph_store *st, struct bph_graph *g,
			   struct hosts *h, uint64_t *used, size_t n_map)
{
	struct bph_db_stmt *q = NULL;
	uint32_t ix;
	int rc = bph_db_prepare_stream(
	    st->db,
	    "SELECT ip, art, port, first_seen, last_seen FROM host_arts", &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t art = bph_db_column_int64(q, 1);
		if (art < 0 || (uint64_t)art >= n_map) {
			rc = 0; /* no such artifact: the join gave no row */
			continue;
		}
		rc = host_of(g, h, (uint32_t)bph_db_column_int64(q, 0), &ix);
		if (!rc)
			rc = bph_graph_append(
			    g, ix, (uint32_t)art,
			    (uint16_t)bph_db_column_int64(q, 2),
			    bph_db_column_int64(q, 3),
			    bph_db_column_int64(q, 4));
		used[art / 64] |= UINT64_C(1) << (art % 64);
	}
	bph_db_finalize(q);
	return rc;
}

/* Rows of arts into g (appended: arts_kv keeps (kind, value) distinct),
 * map[id] = IX(index): those used, or all when used is NULL (the
 * artifacts' thread reads them before the incidences are known), until
 * *stop when stop is not NULL. */
static int read_arts(struct bph_db *db, struct bph_graph *g,
		     const uint64_t *used, uint32_t *map, size_t n_map,
		     atomic_bool *stop)
{
	struct bph_db_stmt *q = NULL;
	uint32_t ix;
	int rc =
	    bph_db_prepare_stream(db, "SELECT id, kind, value FROM arts", &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		int64_t id = bph_db_column_int64(q, 0);
		if (stop && atomic_load_explicit(stop, memory_order_relaxed))
			rc = BPH_ERR_AGAIN;
		else if (id < 0 || (uint64_t)id >= n_map || map[id] ||
			 (used && !is_used(used, (size_t)id)))
			rc = 0; /* not BPH_DB_ROW: the loop goes on */
		else if (!(rc = bph_graph_push_art(g, bph_db_column_text(q, 1),
						   bph_db_column_text(q, 2),
						   &ix)))
			rc = ix > UINT32_MAX - 2 ? BPH_ERR_TOOBIG
						 : (map[id] = IX(ix), 0);
	}
	bph_db_finalize(q);
	return rc;
}

/* The artifacts the incidences use, into g. */
static int load_arts(struct bph_store *st, struct bph_graph *g,
		     const uint64_t *used, uint32_t *map, size_t n_map)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < n_map; i++)
		n += is_used(used, i);
	rc = bph_graph_reserve_arts(g, n);
	return rc ? rc : read_arts(st->db, g, used, map, n_map, NULL);
}

/* The artifacts' thread: every row of arts into g (which then holds
 * more than the incidences use; keep_used() drops the rest), map[id] =
 * IX(index), then their order for the clustering (g->order). It touches
 * only g's artifacts and order, the other thread g's hosts and
 * incidences. */
struct arts_job {
	struct bph_db *db; /* the peer connection, in the shared snapshot */
	struct bph_graph *g;
	uint32_t *map;
	size_t n_map;
	atomic_bool stop; /* the other thread failed: give up */
	int rc;
};

static int push_arts(struct arts_job *j)
{
	int rc = bph_graph_reserve_arts(j->g, j->n_map);

	if (!rc)
		rc = read_arts(j->db, j->g, NULL, j->map, j->n_map, &j->stop);
	/* while the other thread still reads the incidences, the order the
	 * clustering puts the artifacts in (dropped with any unused) */
	return rc ? rc : bph_graph_order_arts(j->g);
}

static void *arts_thread(void *arg)
{
	struct arts_job *j = arg;

	j->rc = push_arts(j);
	return NULL;
}

/* After both threads: the artifacts no incidence uses dropped from g (in
 * a store bphound writes there are none: nothing moves), so g holds what
 * load_arts() would have given, in the same order. */
static int keep_used(struct bph_graph *g, const uint64_t *used, uint32_t *map,
		     size_t n_map)
{
	size_t n = 0;
	uint32_t *keep;

	for (size_t i = 0; i < n_map; i++)
		n += map[i] && is_used(used, i);
	if (n == g->n_arts)
		return 0;
	if (!(keep = calloc(g->n_arts + 1, sizeof(*keep))))
		return BPH_ERR_NOMEM;
	for (size_t i = 0; i < n_map; i++)
		if (map[i] && is_used(used, i))
			keep[map[i] - IX(0)] = 1;
	bph_graph_keep_arts(g, keep);
	for (size_t i = 0; i < n_map; i++)
		if (map[i])
			map[i] = keep[map[i] - IX(0)] == UINT32_MAX
				     ? 0
				     : IX(keep[map[i] - IX(0)]);
	free(keep);
	return 0;
}

/* map[] from IX(index) or 0 to g's index or UINT32_MAX (see IX). */
static void final_map(uint32_t *map, size_t n_map)
{
	for (size_t i = 0; i < n_map; i++)
		map[i] = map[i] >= IX(0) ? map[i] - IX(0) : UINT32_MAX;
}

static int max_art_id(struct bph_store *st, int64_t *max)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db, "SELECT max(id) FROM arts", &q);

	*max = -1;
	if (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW &&
	    !bph_db_column_is_null(q, 0))
		*max = bph_db_column_int64(q, 0);
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* Each answering host, then each incidence as its first and its last
 * sighting, the rows joined to their artifacts' strings, all looked up:
 * for a store whose ids are too sparse for an array (never one bphound
 * writes). */
static int load_joined(struct bph_store *st, struct bph_graph *g)
{
	struct bph_db_stmt *q = NULL;
	char ip[16];
	int rc = bph_db_prepare_stream(st->db,
				       "SELECT ip FROM hosts ORDER BY ip", &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		bph_ip_str((uint32_t)bph_db_column_int64(q, 0), ip);
		rc = bph_graph_add_host(g, ip);
	}
	bph_db_finalize(q);
	q = NULL;
	if (rc)
		return rc;
	rc = bph_db_prepare_stream(
	    st->db,
	    "SELECT h.ip, a.kind, a.value, h.port, h.first_seen, h.last_seen"
	    " FROM host_arts h JOIN arts a ON a.id = h.art",
	    &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		const char *kind = bph_db_column_text(q, 1);
		const char *value = bph_db_column_text(q, 2);
		uint16_t port = (uint16_t)bph_db_column_int64(q, 3);
		int64_t first = bph_db_column_int64(q, 4);
		int64_t last = bph_db_column_int64(q, 5);
		bph_ip_str((uint32_t)bph_db_column_int64(q, 0), ip);
		rc = bph_graph_add(g, ip, kind, value, port, first);
		if (!rc && last != first)
			rc = bph_graph_add(g, ip, kind, value, port, last);
	}
	bph_db_finalize(q);
	return rc;
}

/* The hosts and incidences here, the artifacts on the peer's thread
 * when there is one (else after them, only those the incidences use). */
static int load_ids(struct bph_store *st, struct bph_graph *g,
		    struct bph_db *peer, uint32_t *map, size_t n_map)
{
	struct arts_job job = {peer, g, map, n_map, false, 0};
	struct hosts h = {0};
	pthread_t t;
	bool two = peer && !pthread_create(&t, NULL, arts_thread, &job);
	uint64_t *used = calloc(n_map / 64 + 1, sizeof(*used));
	int rc = used ? load_hosts(st, g, &h) : BPH_ERR_NOMEM;

	if (!rc)
		rc = load_incidences(st, g, &h, used, n_map);
	if (two) {
		atomic_store(&job.stop, rc != 0);
		pthread_join(t, NULL);
		if (!rc && job.rc && bph_db_status(peer) != BPH_DB_OK)
			bph_db_fail(st->db, bph_db_status(peer), "%s",
				    bph_db_errmsg(peer));
		rc = rc ? rc : job.rc;
	}
	if (!rc)
		rc = two ? keep_used(g, used, map, n_map)
			 : load_arts(st, g, used, map, n_map);
	free(used);
	free(h.ip);
	free(h.ix);
	return rc;
}

static int load_all(struct bph_store *st, struct bph_graph *g,
		    struct bph_db *peer)
{
	uint32_t *map = NULL;
	int64_t max;
	int rc = max_art_id(st, &max);

	if (!rc && max >= (int64_t)MAX_ART_ID)
		return load_joined(st, g);
	if (!rc) {
		size_t n_map = (size_t)(max + 1);
		map = calloc(n_map + 1, sizeof(*map));
		bph_advise_huge(map, (n_map + 1) * sizeof(*map));
		rc = map ? load_ids(st, g, peer, map, n_map) : BPH_ERR_NOMEM;
		if (!rc) {
			final_map(map, n_map);
			rc = bph_graph_renumber_arts(g, map, n_map);
		}
	}
	free(map);
	return rc;
}

/* Begins the load's snapshot: on SQLite on two connections (*peer, for
 * the artifacts' thread) when they can share one, else on st's alone. */
static int begin_load(struct bph_store *st, bool one, struct bph_db **peer)
{
	*peer = NULL;
	if (!one && !bph_db_open_peer(st->db, peer)) {
		if (!bph_db_begin_pair(st->db, *peer))
			return 0;
		bph_db_close(*peer); /* a writer kept committing: one reader */
		*peer = NULL;
	}
	return bph_db_begin(st->db, BPH_DB_TXN_READ);
}

int bph_store_load_graph_opt(struct bph_store *st, struct bph_graph *g,
			     unsigned flags)
{
	/* one snapshot: a writer's commit between the queries must not give
	 * artifacts of hosts the graph does not have */
	bool own = !bph_db_in_txn(st->db);
	struct bph_db *peer = NULL;
	int rc = own ? begin_load(st, flags & BPH_LOAD_ONE_READER, &peer) : 0;

	if (!rc)
		rc = load_all(st, g, peer);
	if (peer) {
		bph_db_rollback(peer);
		bph_db_close(peer);
	}
	if (own && rc)
		bph_db_rollback(st->db);
	else if (own)
		rc = bph_db_commit(st->db);
	return rc;
}

int bph_store_load_graph(struct bph_store *st, struct bph_graph *g)
{
	return bph_store_load_graph_opt(st, g, 0);
}
