/*
 * store_outbox.c - what a sweep run leaves in the store: its events, its
 * watch hits and tracked-cluster members (the next run's baseline), and
 * the outbox of notifications, all committed in one transaction with the
 * run's status (contract in store/sweep_store.h, tables in
 * store/schema.c module "sweep").
 */
#include "store/sweep_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "store/db_int.h"

static int exec1(struct bph_db_stmt *q, int rc)
{
	if (!rc)
		rc = bph_db_step(q);
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

static int delete_run(struct bph_store *st, const char *table, int64_t run)
{
	char sql[96];
	struct bph_db_stmt *q = NULL;

	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE run_id = ?", table);
	int rc = bph_db_prepare(st->db, sql, &q);
	if (!rc)
		bph_db_bind_int64(q, 1, run);
	return exec1(q, rc);
}

static int put_hits(struct bph_store *st, int64_t run,
		    const struct bph_hit_row *h, size_t n)
{
	struct bph_db_stmt *q = NULL;
	char a[16];
	int rc =
	    bph_db_prepare(st->db,
			   "INSERT INTO sweep_watch_hits(run_id, watch, ip,"
			   " port) VALUES (?, ?, ?, ?) ON CONFLICT"
			   " (run_id, watch, ip, port) DO NOTHING",
			   &q);

	for (size_t i = 0; !rc && i < n; i++) {
		bph_ip_str(h[i].ip, a);
		bph_db_reset(q);
		bph_db_bind_int64(q, 1, run);
		bph_db_bind_text(q, 2, h[i].watch);
		bph_db_bind_text(q, 3, a);
		bph_db_bind_int64(q, 4, h[i].port);
		rc = bph_db_step(q);
		rc = rc < 0 ? rc : 0;
	}
	bph_db_finalize(q);
	return rc;
}

static int put_members(struct bph_store *st, int64_t run, const char *const *cl,
		       const uint32_t *ip, const char *const *ev, size_t n)
{
	struct bph_db_stmt *q = NULL;
	char a[16];
	int rc = bph_db_prepare(st->db,
				"INSERT INTO sweep_members(run_id, cluster, ip,"
				" evidence) VALUES (?, ?, ?, ?) ON CONFLICT"
				" (run_id, cluster, ip) DO NOTHING",
				&q);

	for (size_t i = 0; !rc && i < n; i++) {
		bph_ip_str(ip[i], a);
		bph_db_reset(q);
		bph_db_bind_int64(q, 1, run);
		bph_db_bind_text(q, 2, cl[i]);
		bph_db_bind_text(q, 3, a);
		if (ev && ev[i])
			bph_db_bind_text(q, 4, ev[i]);
		else
			bph_db_bind_null(q, 4);
		rc = bph_db_step(q);
		rc = rc < 0 ? rc : 0;
	}
	bph_db_finalize(q);
	return rc;
}

static int mark_evaluated(struct bph_store *st, int64_t run,
			  const char *eval_key, int64_t eval_now)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"UPDATE sweep_runs SET evaluated = 1,"
				" eval_key = ?, eval_now = ? WHERE id = ?",
				&q);

	if (!rc) {
		if (eval_key)
			bph_db_bind_text(q, 1, eval_key);
		else
			bph_db_bind_null(q, 1);
		bph_db_bind_int64(q, 2, eval_now);
		bph_db_bind_int64(q, 3, run);
	}
	return exec1(q, rc);
}

/* The state rows of run, replacing what was stored; no transaction. */
static int state_rows(struct bph_store *st, int64_t run,
		      const struct bph_sweep_commit *c)
{
	int rc = delete_run(st, "sweep_watch_hits", run);

	if (!rc)
		rc = delete_run(st, "sweep_members", run);
	if (!rc)
		rc = put_hits(st, run, c->hits, c->n_hits);
	if (!rc)
		rc = put_members(st, run, c->member_cluster, c->member_ip,
				 c->member_evidence, c->n_members);
	return rc ? rc : mark_evaluated(st, run, c->eval_key, c->eval_now);
}

int bph_sweep_state_put(struct bph_store *st, int64_t run,
			const struct bph_hit_row *hits, size_t n_hits,
			const char *const *member_cluster,
			const uint32_t *member_ip, size_t n_members)
{
	struct bph_sweep_commit c = {.hits = hits,
				     .n_hits = n_hits,
				     .member_cluster = member_cluster,
				     .member_ip = member_ip,
				     .n_members = n_members};
	int rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE);

	if (!rc)
		rc = state_rows(st, run, &c);
	if (!rc)
		rc = bph_db_commit(st->db);
	if (rc)
		bph_db_rollback(st->db);
	return rc;
}

static int parse_ip(const char *s, uint32_t *ip)
{
	unsigned a, b, c, d;
	char tail;

	if (!s || sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 ||
	    a > 255 || b > 255 || c > 255 || d > 255)
		return BPH_ERR_FORMAT;
	*ip = a << 24 | b << 16 | c << 8 | d;
	return 0;
}

int bph_sweep_hits_each(struct bph_store *st, int64_t run,
			int (*cb)(void *ctx, const struct bph_hit_row *h),
			void *ctx)
{
	struct bph_db_stmt *q = NULL;
	struct bph_hit_row h;
	int rc = bph_db_prepare(st->db,
				"SELECT watch, ip, port FROM sweep_watch_hits"
				" WHERE run_id = ?",
				&q);

	if (!rc)
		bph_db_bind_int64(q, 1, run);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		h.watch = bph_db_column_text(q, 0);
		h.port = (int)bph_db_column_int64(q, 2);
		rc = parse_ip(bph_db_column_text(q, 1), &h.ip);
		if (!rc)
			rc = cb(ctx, &h);
	}
	bph_db_finalize(q);
	return rc < 0 || rc > 0 ? rc : 0;
}

int bph_sweep_members_each(struct bph_store *st, int64_t run,
			   int (*cb)(void *ctx, const char *cluster,
				     uint32_t ip, const char *evidence),
			   void *ctx)
{
	struct bph_db_stmt *q = NULL;
	uint32_t ip;
	int rc =
	    bph_db_prepare(st->db,
			   "SELECT cluster, ip, evidence FROM sweep_members"
			   " WHERE run_id = ?",
			   &q);

	if (!rc)
		bph_db_bind_int64(q, 1, run);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		rc = parse_ip(bph_db_column_text(q, 1), &ip);
		if (!rc)
			rc = cb(ctx, bph_db_column_text(q, 0), ip,
				bph_db_column_text(q, 2));
	}
	bph_db_finalize(q);
	return rc < 0 || rc > 0 ? rc : 0;
}

/* ---- events and the outbox ---- */

static int put_events(struct bph_store *st, int64_t run,
		      const struct bph_event_row *e, size_t n)
{
	struct bph_db_stmt *q = NULL;
	char a[16];
	int rc = delete_run(st, "sweep_events", run);

	if (!rc)
		rc =
		    bph_db_prepare(st->db,
				   "INSERT INTO sweep_events(run_id, id, type,"
				   " severity, ip, port, event) VALUES"
				   " (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id,"
				   " id) DO NOTHING",
				   &q);
	for (size_t i = 0; !rc && i < n; i++) {
		bph_db_reset(q);
		bph_db_bind_int64(q, 1, run);
		bph_db_bind_text(q, 2, e[i].id);
		bph_db_bind_text(q, 3, e[i].type);
		bph_db_bind_text(q, 4, e[i].severity);
		bph_ip_str(e[i].ip, a);
		if (e[i].has_ip)
			bph_db_bind_text(q, 5, a);
		else
			bph_db_bind_null(q, 5);
		if (e[i].port >= 0)
			bph_db_bind_int64(q, 6, e[i].port);
		else
			bph_db_bind_null(q, 6);
		bph_db_bind_text(q, 7, e[i].json);
		rc = bph_db_step(q);
		rc = rc < 0 ? rc : 0;
	}
	bph_db_finalize(q);
	return rc;
}

static int put_outbox(struct bph_store *st, const struct bph_outbox_row *o,
		      size_t n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "INSERT INTO sweep_outbox(delivery, sweep, run_id, channel, type,"
	    " payload, n_events, status, attempts, created) VALUES"
	    " (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?)"
	    " ON CONFLICT (delivery) DO NOTHING",
	    &q);

	for (size_t i = 0; !rc && i < n; i++) {
		bph_db_reset(q);
		bph_db_bind_text(q, 1, o[i].delivery);
		bph_db_bind_text(q, 2, o[i].sweep);
		bph_db_bind_int64(q, 3, o[i].run);
		bph_db_bind_text(q, 4, o[i].channel);
		bph_db_bind_text(q, 5, o[i].type);
		bph_db_bind_text(q, 6, o[i].payload);
		bph_db_bind_int64(q, 7, o[i].n_events);
		bph_db_bind_int64(q, 8, (int64_t)time(NULL));
		rc = bph_db_step(q);
		rc = rc < 0 ? rc : 0;
	}
	bph_db_finalize(q);
	return rc;
}

static int mark_status(struct bph_store *st, const struct bph_sweep_commit *c)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"UPDATE sweep_runs SET status = ?,"
				" finished = ?, hosts = ?, services = ?,"
				" events = ?, error = ? WHERE id = ?",
				&q);

	if (!rc) {
		bph_db_bind_text(q, 1, bph_run_status_name(c->status));
		bph_db_bind_int64(q, 2, (int64_t)time(NULL));
		bph_db_bind_int64(q, 3, c->hosts);
		bph_db_bind_int64(q, 4, c->services);
		bph_db_bind_int64(q, 5, (int64_t)c->n_events);
		if (c->error)
			bph_db_bind_text(q, 6, c->error);
		else
			bph_db_bind_null(q, 6);
		bph_db_bind_int64(q, 7, c->run);
	}
	return exec1(q, rc);
}

int bph_sweep_commit(struct bph_store *st, const struct bph_sweep_commit *c)
{
	int rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE);

	if (!rc && c->status == BPH_RUN_COMPLETE)
		rc = state_rows(st, c->run, c);
	if (!rc && c->status == BPH_RUN_COMPLETE && c->snap)
		rc = bph_sweep_snap_put(st, c->run, c->snap);
	if (!rc && c->status == BPH_RUN_COMPLETE && c->index)
		rc = bph_sweep_index_put(st, c->run, c->index);
	if (!rc)
		rc = put_events(st, c->run, c->events, c->n_events);
	if (!rc)
		rc = put_outbox(st, c->outbox, c->n_outbox);
	if (!rc)
		rc = mark_status(st, c);
	if (!rc)
		rc = bph_db_commit(st->db);
	if (rc)
		bph_db_rollback(st->db);
	return rc;
}

int bph_sweep_events_each(struct bph_store *st, int64_t run,
			  int (*cb)(void *ctx, const struct bph_event_row *e),
			  void *ctx)
{
	struct bph_db_stmt *q = NULL;
	struct bph_event_row e;
	int rc =
	    bph_db_prepare(st->db,
			   "SELECT id, type, severity, ip, port, event FROM"
			   " sweep_events WHERE run_id = ? ORDER BY id",
			   &q);

	if (!rc)
		bph_db_bind_int64(q, 1, run);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		e.id = bph_db_column_text(q, 0);
		e.type = bph_db_column_text(q, 1);
		e.severity = bph_db_column_text(q, 2);
		e.has_ip = !bph_db_column_is_null(q, 3);
		e.ip = 0;
		if (e.has_ip && parse_ip(bph_db_column_text(q, 3), &e.ip))
			e.has_ip = false;
		e.port = bph_db_column_is_null(q, 4)
			     ? -1
			     : (int)bph_db_column_int64(q, 4);
		e.json = bph_db_column_text(q, 5);
		rc = cb(ctx, &e);
	}
	bph_db_finalize(q);
	return rc < 0 || rc > 0 ? rc : 0;
}

static void read_outbox(struct bph_db_stmt *q, struct bph_outbox_row *r)
{
	r->delivery = bph_db_column_text(q, 0);
	r->sweep = bph_db_column_text(q, 1);
	r->run = bph_db_column_int64(q, 2);
	r->channel = bph_db_column_text(q, 3);
	r->type = bph_db_column_text(q, 4);
	r->payload = bph_db_column_text(q, 5);
	r->len = r->payload ? strlen(r->payload) : 0;
	r->n_events = bph_db_column_int64(q, 6);
	r->status = bph_db_column_text(q, 7);
	r->attempts = bph_db_column_int64(q, 8);
	r->created = bph_db_column_int64(q, 9);
	r->last_attempt = bph_db_column_int64(q, 10);
	r->delivered = bph_db_column_int64(q, 11);
	r->last_error = bph_db_column_text(q, 12);
}

/* A copy of r's strings, so the row outlives its statement. */
static int copy_row(struct bph_outbox_row *d, const struct bph_outbox_row *r)
{
	const char **f[] = {&d->delivery, &d->sweep,  &d->channel,   &d->type,
			    &d->payload,  &d->status, &d->last_error};
	*d = *r;
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (*f[i] && !(*f[i] = strdup(*f[i])))
			return BPH_ERR_NOMEM;
	return 0;
}

static void free_row(struct bph_outbox_row *d)
{
	free((char *)d->delivery);
	free((char *)d->sweep);
	free((char *)d->channel);
	free((char *)d->type);
	free((char *)d->payload);
	free((char *)d->status);
	free((char *)d->last_error);
}

struct rows {
	struct bph_outbox_row *v;
	size_t n;
};

static int load_pending(struct bph_store *st, const char *sweep,
			struct rows *out)
{
	struct bph_db_stmt *q = NULL;
	struct bph_outbox_row r;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT delivery, sweep, run_id, channel, type, payload, n_events,"
	    " status, attempts, created, last_attempt, delivered, last_error"
	    " FROM sweep_outbox WHERE sweep = ? AND status = 'pending'"
	    " ORDER BY run_id, channel",
	    &q);

	if (!rc)
		bph_db_bind_text(q, 1, sweep);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		void *v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
		if (!v) {
			rc = BPH_ERR_NOMEM;
			break;
		}
		out->v = v;
		read_outbox(q, &r);
		memset(&out->v[out->n], 0, sizeof(r));
		rc = copy_row(&out->v[out->n++], &r);
	}
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}

/* The pending rows are read first: the callback writes to the table,
 * which must not change under a statement that is still stepping. */
int bph_outbox_pending_each(struct bph_store *st, const char *sweep,
			    int (*cb)(void *ctx,
				      const struct bph_outbox_row *r),
			    void *ctx)
{
	struct rows rows = {0};
	int rc = load_pending(st, sweep, &rows);

	for (size_t i = 0; !rc && i < rows.n; i++)
		rc = cb(ctx, &rows.v[i]);
	for (size_t i = 0; i < rows.n; i++)
		free_row(&rows.v[i]);
	free(rows.v);
	return rc;
}

int bph_outbox_attempt(struct bph_store *st, const char *delivery,
		       const char *status, const char *error)
{
	struct bph_db_stmt *q = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc = bph_db_prepare(
	    st->db,
	    "UPDATE sweep_outbox SET status = ?, attempts = attempts + 1,"
	    " last_attempt = ?, last_error = ?,"
	    " delivered = CASE WHEN ? = 'delivered' THEN ? ELSE delivered END"
	    " WHERE delivery = ?",
	    &q);

	if (!rc) {
		bph_db_bind_text(q, 1, status);
		bph_db_bind_int64(q, 2, now);
		if (error)
			bph_db_bind_text(q, 3, error);
		else
			bph_db_bind_null(q, 3);
		bph_db_bind_text(q, 4, status);
		bph_db_bind_int64(q, 5, now);
		bph_db_bind_text(q, 6, delivery);
	}
	return exec1(q, rc);
}

int bph_outbox_count(struct bph_store *st, const char *sweep,
		     const char *status, int64_t *n)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(st->db,
				"SELECT count(*) FROM sweep_outbox WHERE"
				" (? IS NULL OR sweep = ?) AND status = ?",
				&q);

	*n = 0;
	if (!rc) {
		if (sweep) {
			bph_db_bind_text(q, 1, sweep);
			bph_db_bind_text(q, 2, sweep);
		} else {
			bph_db_bind_null(q, 1);
			bph_db_bind_null(q, 2);
		}
		bph_db_bind_text(q, 3, status);
		rc = bph_db_step(q);
	}
	if (rc == BPH_DB_ROW)
		*n = bph_db_column_int64(q, 0);
	bph_db_finalize(q);
	return rc < 0 ? rc : 0;
}
