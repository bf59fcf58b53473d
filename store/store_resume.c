#include "store/resume.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "store/store_int.h"

struct open_pair {
	uint64_t key; /* ip << 16 | port */
	struct bph_tcp_traits tcp;
};

struct pair_vec {
	struct open_pair *v;
	size_t n, cap;
};

struct bph_resume {
	sqlite3 *db; /* borrowed */
	int64_t scan_id;
	int pass;
	uint64_t pos;
	struct bph_resume_params p;
	struct pair_vec known; /* loaded, sorted by key; read-only */
	pthread_mutex_t mu;    /* guards pending */
	struct pair_vec pending;
	bph_service_cb next;
	void *next_ctx;
};

static int db_err(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "resume: %s: %s", what,
			 sqlite3_errmsg(db));
	return BPH_ERR_DB;
}

static int vec_push(struct pair_vec *v, uint64_t key,
		    const struct bph_tcp_traits *tcp)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct open_pair *nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return BPH_ERR_NOMEM;
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n].key = key;
	if (tcp)
		v->v[v->n].tcp = *tcp;
	else
		memset(&v->v[v->n].tcp, 0, sizeof(v->v[v->n].tcp));
	v->n++;
	return 0;
}

static int cmp_pair(const void *a, const void *b)
{
	uint64_t x = ((const struct open_pair *)a)->key;
	uint64_t y = ((const struct open_pair *)b)->key;
	return x < y ? -1 : x > y;
}

static struct bph_resume *resume_new(sqlite3 *db)
{
	struct bph_resume *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->db = db;
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

void bph_resume_free(struct bph_resume *r)
{
	if (!r)
		return;
	free(r->p.targets);
	free(r->p.ports);
	free(r->p.exclude);
	free(r->known.v);
	free(r->pending.v);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static int copy_params(struct bph_resume_params *d,
		       const struct bph_resume_params *s)
{
	*d = *s;
	d->targets = strdup(s->targets ? s->targets : "");
	d->ports = strdup(s->ports ? s->ports : "");
	d->exclude = s->exclude ? strdup(s->exclude) : NULL;
	return d->targets && d->ports && (d->exclude || !s->exclude)
		   ? 0
		   : BPH_ERR_NOMEM;
}

static int insert_scan(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "INSERT OR REPLACE INTO synscan_resume(scan_id, targets, ports,"
	    " exclude, allow_reserved, seed, shard_index, shard_count, rate,"
	    " retries, wait_ms, updated) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)";
	const struct bph_resume_params *p = &r->p;
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(r->db, "prepare", err, errlen);
	sqlite3_bind_int64(st, 1, r->scan_id);
	sqlite3_bind_text(st, 2, p->targets, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->ports, -1, SQLITE_STATIC);
	if (p->exclude)
		sqlite3_bind_text(st, 4, p->exclude, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, p->allow_reserved);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)p->seed);
	sqlite3_bind_int64(st, 7, p->shard_index);
	sqlite3_bind_int64(st, 8, p->shard_count);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)p->rate);
	sqlite3_bind_int(st, 10, p->retries);
	sqlite3_bind_int(st, 11, p->wait_ms);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = db_err(r->db, "insert", err, errlen);
	sqlite3_finalize(st);
	return rc;
}

/* The constructors' ending: r goes to *out on success, is freed on rc. */
static int hand_over(struct bph_resume *r, int rc, struct bph_resume **out)
{
	if (rc) {
		bph_resume_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

int bph_resume_begin(struct bph_store *st, int64_t scan_id,
		     const struct bph_resume_params *p, struct bph_resume **out,
		     char *err, size_t errlen)
{
	struct bph_resume *r = resume_new(st->db);
	int rc = r ? 0 : BPH_ERR_NOMEM;

	*out = NULL;
	if (rc == 0) {
		r->scan_id = scan_id;
		rc = copy_params(&r->p, p);
	}
	if (rc == 0)
		rc = insert_scan(r, err, errlen);
	return hand_over(r, rc, out);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

/* Reads the newest unfinished row into r; BPH_ERR_USAGE when none. */
static int load_row(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT scan_id, targets, ports, exclude, allow_reserved, seed,"
	    " shard_index, shard_count, rate, retries, wait_ms, pass, pos"
	    " FROM synscan_resume WHERE done = 0 ORDER BY scan_id DESC LIMIT 1";
	struct bph_resume_params *p = &r->p;
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(r->db, "prepare", err, errlen);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		r->scan_id = sqlite3_column_int64(st, 0);
		p->targets = col_dup(st, 1);
		p->ports = col_dup(st, 2);
		p->exclude = col_dup(st, 3);
		p->allow_reserved = sqlite3_column_int(st, 4) != 0;
		p->seed = (uint64_t)sqlite3_column_int64(st, 5);
		p->shard_index = (uint32_t)sqlite3_column_int64(st, 6);
		p->shard_count = (uint32_t)sqlite3_column_int64(st, 7);
		p->rate = (uint64_t)sqlite3_column_int64(st, 8);
		p->retries = sqlite3_column_int(st, 9);
		p->wait_ms = sqlite3_column_int(st, 10);
		r->pass = sqlite3_column_int(st, 11);
		r->pos = (uint64_t)sqlite3_column_int64(st, 12);
		if (!p->targets || !p->ports)
			rc = BPH_ERR_NOMEM;
	} else if (step == SQLITE_DONE) {
		snprintf(err, errlen, "no unfinished scan in this store");
		rc = BPH_ERR_USAGE;
	} else {
		rc = db_err(r->db, "select", err, errlen);
	}
	sqlite3_finalize(st);
	return rc;
}

static int load_opens(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] = "SELECT ip, port, tcp FROM "
				  "synscan_resume_open WHERE scan_id = ?";
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_err(r->db, "prepare", err, errlen);
	sqlite3_bind_int64(st, 1, r->scan_id);
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		uint64_t key = (uint64_t)sqlite3_column_int64(st, 0) << 16 |
			       (uint64_t)(sqlite3_column_int(st, 1) & 0xffff);
		const void *b = sqlite3_column_blob(st, 2);
		bool ok = b && sqlite3_column_bytes(st, 2) ==
				   (int)sizeof(struct bph_tcp_traits);
		rc = vec_push(&r->known, key, ok ? b : NULL);
	}
	if (rc == 0 && step != SQLITE_DONE)
		rc = db_err(r->db, "select", err, errlen);
	sqlite3_finalize(st);
	if (rc == 0 && r->known.n)
		qsort(r->known.v, r->known.n, sizeof(*r->known.v), cmp_pair);
	return rc;
}

int bph_resume_load(struct bph_store *st, struct bph_resume **out, char *err,
		    size_t errlen)
{
	struct bph_resume *r = resume_new(st->db);
	int rc = r ? 0 : BPH_ERR_NOMEM;

	*out = NULL;
	if (rc == 0)
		rc = load_row(r, err, errlen);
	if (rc == 0)
		rc = load_opens(r, err, errlen);
	return hand_over(r, rc, out);
}

const struct bph_resume_params *bph_resume_params(const struct bph_resume *r)
{
	return &r->p;
}

int64_t bph_resume_scan_id(const struct bph_resume *r)
{
	return r->scan_id;
}

int bph_resume_pass(const struct bph_resume *r)
{
	return r->pass;
}

uint64_t bph_resume_pos(const struct bph_resume *r)
{
	return r->pos;
}

void bph_resume_set_next(struct bph_resume *r, bph_service_cb next,
			 void *next_ctx)
{
	r->next = next;
	r->next_ctx = next_ctx;
}

void bph_resume_on_verdict(void *ctx, const struct bph_service *svc)
{
	struct bph_resume *r = ctx;
	struct open_pair k = {.key = (uint64_t)svc->ip << 16 | svc->port};

	if (svc->state == BPH_STATE_OPEN) {
		if (bsearch(&k, r->known.v, r->known.n, sizeof(k), cmp_pair))
			return;
		pthread_mutex_lock(&r->mu);
		vec_push(&r->pending, k.key, &svc->tcp); /* best effort */
		pthread_mutex_unlock(&r->mu);
	}
	if (r->next)
		r->next(r->next_ctx, svc);
}

void bph_resume_replay(const struct bph_resume *r, bph_service_cb cb, void *ctx)
{
	for (size_t i = 0; i < r->known.n; i++) {
		struct bph_service svc;

		memset(&svc, 0, sizeof(svc));
		svc.ip = (uint32_t)(r->known.v[i].key >> 16);
		svc.port = (uint16_t)r->known.v[i].key;
		svc.state = BPH_STATE_OPEN;
		svc.seen = time(NULL);
		svc.tcp = r->known.v[i].tcp;
		cb(ctx, &svc);
	}
}

static int save_opens(struct bph_resume *r, const struct pair_vec *v)
{
	static const char sql[] = "INSERT OR IGNORE INTO synscan_resume_open"
				  "(scan_id, ip, port, tcp) VALUES(?,?,?,?)";
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (v->n == 0)
		return 0;
	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return BPH_ERR_DB;
	for (size_t i = 0; i < v->n && rc == 0; i++) {
		sqlite3_bind_int64(st, 1, r->scan_id);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)(v->v[i].key >> 16));
		sqlite3_bind_int(st, 3, (int)(v->v[i].key & 0xffff));
		sqlite3_bind_blob(st, 4, &v->v[i].tcp, sizeof(v->v[i].tcp),
				  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = BPH_ERR_DB;
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rc;
}

static int save_pos(struct bph_resume *r, int pass, uint64_t pos)
{
	static const char sql[] = "UPDATE synscan_resume SET pass = ?, pos = ?,"
				  " updated = ? WHERE scan_id = ?";
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return BPH_ERR_DB;
	sqlite3_bind_int(st, 1, pass);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)pos);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 4, r->scan_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = BPH_ERR_DB;
	sqlite3_finalize(st);
	return rc;
}

int bph_resume_checkpoint(void *ctx, int pass, uint64_t pos)
{
	struct bph_resume *r = ctx;
	struct pair_vec v;
	int rc;

	pthread_mutex_lock(&r->mu);
	v = r->pending;
	memset(&r->pending, 0, sizeof(r->pending));
	pthread_mutex_unlock(&r->mu);
	if (sqlite3_exec(r->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		rc = BPH_ERR_DB;
		goto out;
	}
	rc = save_opens(r, &v);
	if (rc == 0)
		rc = save_pos(r, pass, pos);
	if (sqlite3_exec(r->db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL,
			 NULL) != SQLITE_OK)
		rc = BPH_ERR_DB;
out:
	if (rc) { /* keep the pairs for the next try */
		pthread_mutex_lock(&r->mu);
		for (size_t i = 0; i < v.n; i++)
			vec_push(&r->pending, v.v[i].key, &v.v[i].tcp);
		pthread_mutex_unlock(&r->mu);
	}
	free(v.v);
	return rc;
}

int bph_resume_done(struct bph_resume *r)
{
	static const char sql[] =
	    "UPDATE synscan_resume SET done = 1 WHERE scan_id = ?";
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK)
		return BPH_ERR_DB;
	sqlite3_bind_int64(st, 1, r->scan_id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = BPH_ERR_DB;
	sqlite3_finalize(st);
	return rc;
}

char *bph_resume_join(const char *const *v, size_t n)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		memcpy(p, v[i], l);
		p[l] = '\n';
		p += l + 1;
	}
	*p = '\0';
	return s;
}
