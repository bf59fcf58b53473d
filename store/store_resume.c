/*
 * store_resume.c - checkpoints of interrupted SYN scans in the store and
 * their replay on --resume. Contract and design in store/resume.h.
 */
#include "store/resume.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "store/db_int.h"

struct open_pair {
	uint64_t key; /* ip << 16 | port */
	struct bph_tcp_traits tcp;
};

struct pair_vec {
	struct open_pair *v;
	size_t n, cap;
};

struct bph_resume {
	struct bph_db *db; /* borrowed */
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

static int db_err(struct bph_db *db, int rc, const char *what, char *err,
		  size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "resume: %s: %s", what,
			 bph_db_errmsg(db));
	return rc < 0 ? rc : BPH_ERR_DB;
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

static struct bph_resume *resume_new(struct bph_db *db)
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
	free(r->p.sni);
	free(r->p.contact);
	free(r->known.v);
	free(r->pending.v);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* A copy of s or NULL; *ok turns false when the copy failed. */
static char *dup_opt(const char *s, bool *ok)
{
	char *d = s ? strdup(s) : NULL;

	if (s && !d)
		*ok = false;
	return d;
}

static int copy_params(struct bph_resume_params *d,
		       const struct bph_resume_params *s)
{
	bool ok = true;

	*d = *s;
	d->probes_saved = true; /* they are, by insert_scan */
	d->targets = dup_opt(s->targets ? s->targets : "", &ok);
	d->ports = dup_opt(s->ports ? s->ports : "", &ok);
	d->exclude = dup_opt(s->exclude, &ok);
	d->sni = dup_opt(s->sni, &ok);
	d->contact = dup_opt(s->contact, &ok);
	return ok ? 0 : BPH_ERR_NOMEM;
}

/* The probe options, bound from index i on (9 of them, as in the
 * column lists of insert_scan and load_row). */
static void bind_probes(struct bph_db_stmt *st, int i,
			const struct bph_resume_params *p)
{
	bph_db_bind_int64(st, i, p->no_probes);
	bph_db_bind_int64(st, i + 1, p->no_jarm);
	bph_db_bind_int64(st, i + 2, p->probe_retries);
	bph_db_bind_int64(st, i + 3, p->timeout_ms);
	bph_db_bind_int64(st, i + 4, p->max_connections);
	bph_db_bind_int64(st, i + 5, p->max_per_host);
	bph_db_bind_int64(st, i + 6, p->max_per_net);
	bph_db_bind_text(st, i + 7, p->sni); /* NULL binds NULL */
	bph_db_bind_text(st, i + 8, p->contact);
}

static int insert_scan(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "INSERT INTO synscan_resume(scan_id, targets, ports,"
	    " exclude, allow_reserved, seed, shard_index, shard_count, rate,"
	    " retries, wait_ms, updated, no_probes, no_jarm, probe_retries,"
	    " timeout_ms, max_connections, max_per_host, max_per_net, sni,"
	    " contact) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
	    " ON CONFLICT (scan_id) DO UPDATE SET targets = excluded.targets,"
	    " ports = excluded.ports, exclude = excluded.exclude,"
	    " allow_reserved = excluded.allow_reserved, seed = excluded.seed,"
	    " shard_index = excluded.shard_index,"
	    " shard_count = excluded.shard_count, rate = excluded.rate,"
	    " retries = excluded.retries, wait_ms = excluded.wait_ms,"
	    " updated = excluded.updated, no_probes = excluded.no_probes,"
	    " no_jarm = excluded.no_jarm,"
	    " probe_retries = excluded.probe_retries,"
	    " timeout_ms = excluded.timeout_ms,"
	    " max_connections = excluded.max_connections,"
	    " max_per_host = excluded.max_per_host,"
	    " max_per_net = excluded.max_per_net, sni = excluded.sni,"
	    " contact = excluded.contact, pass = 0, pos = 0, done = 0";
	const struct bph_resume_params *p = &r->p;
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare(r->db, sql, &st);

	if (rc)
		return db_err(r->db, rc, "prepare", err, errlen);
	bph_db_bind_int64(st, 1, r->scan_id);
	bph_db_bind_text(st, 2, p->targets);
	bph_db_bind_text(st, 3, p->ports);
	bph_db_bind_text(st, 4, p->exclude); /* NULL binds NULL */
	bph_db_bind_int64(st, 5, p->allow_reserved);
	bph_db_bind_int64(st, 6, (int64_t)p->seed);
	bph_db_bind_int64(st, 7, p->shard_index);
	bph_db_bind_int64(st, 8, p->shard_count);
	bph_db_bind_int64(st, 9, (int64_t)p->rate);
	bph_db_bind_int64(st, 10, p->retries);
	bph_db_bind_int64(st, 11, p->wait_ms);
	bph_db_bind_int64(st, 12, (int64_t)time(NULL));
	bind_probes(st, 13, p);
	if ((rc = bph_db_step(st)) < 0)
		rc = db_err(r->db, rc, "insert", err, errlen);
	bph_db_finalize(st);
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

/* The probe options from column i on (bind_probes' order); NULL in a
 * row saved before core schema step 3 leaves probes_saved false. */
static bool read_probes(struct bph_db_stmt *st, int i,
			struct bph_resume_params *p)
{
	bool ok = true;

	p->probes_saved = !bph_db_column_is_null(st, i);
	if (!p->probes_saved)
		return true;
	p->no_probes = bph_db_column_int64(st, i) != 0;
	p->no_jarm = bph_db_column_int64(st, i + 1) != 0;
	p->probe_retries = (int)bph_db_column_int64(st, i + 2);
	p->timeout_ms = (int)bph_db_column_int64(st, i + 3);
	p->max_connections = (int)bph_db_column_int64(st, i + 4);
	p->max_per_host = (int)bph_db_column_int64(st, i + 5);
	p->max_per_net = (int)bph_db_column_int64(st, i + 6);
	p->sni = dup_opt(bph_db_column_text(st, i + 7), &ok);
	p->contact = dup_opt(bph_db_column_text(st, i + 8), &ok);
	return ok;
}

/* Reads the newest unfinished row into r; BPH_ERR_USAGE when none. */
static int load_row(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] =
	    "SELECT scan_id, targets, ports, exclude, allow_reserved, seed,"
	    " shard_index, shard_count, rate, retries, wait_ms, pass, pos,"
	    " no_probes, no_jarm, probe_retries, timeout_ms, max_connections,"
	    " max_per_host, max_per_net, sni, contact FROM synscan_resume "
	    "WHERE done = 0 ORDER BY scan_id DESC LIMIT 1";
	struct bph_resume_params *p = &r->p;
	struct bph_db_stmt *st = NULL;
	bool ok = true;
	int rc = bph_db_prepare(r->db, sql, &st), step;

	if (rc)
		return db_err(r->db, rc, "prepare", err, errlen);
	step = bph_db_step(st);
	if (step == BPH_DB_ROW) {
		r->scan_id = bph_db_column_int64(st, 0);
		p->targets = dup_opt(bph_db_column_text(st, 1), &ok);
		p->ports = dup_opt(bph_db_column_text(st, 2), &ok);
		/* NULL when saved without --exclude; a failed copy is NOMEM,
		 * never a scan that silently lost its exclusions */
		p->exclude = dup_opt(bph_db_column_text(st, 3), &ok);
		p->allow_reserved = bph_db_column_int64(st, 4) != 0;
		p->seed = (uint64_t)bph_db_column_int64(st, 5);
		p->shard_index = (uint32_t)bph_db_column_int64(st, 6);
		p->shard_count = (uint32_t)bph_db_column_int64(st, 7);
		p->rate = (uint64_t)bph_db_column_int64(st, 8);
		p->retries = (int)bph_db_column_int64(st, 9);
		p->wait_ms = (int)bph_db_column_int64(st, 10);
		r->pass = (int)bph_db_column_int64(st, 11);
		r->pos = (uint64_t)bph_db_column_int64(st, 12);
		if (!read_probes(st, 13, p) || !ok || !p->targets || !p->ports)
			rc = BPH_ERR_NOMEM;
	} else if (step == BPH_DB_DONE) {
		snprintf(err, errlen, "no unfinished scan in this store");
		rc = BPH_ERR_USAGE;
	} else {
		rc = db_err(r->db, step, "select", err, errlen);
	}
	bph_db_finalize(st);
	return rc;
}

static int load_opens(struct bph_resume *r, char *err, size_t errlen)
{
	static const char sql[] = "SELECT ip, port, tcp FROM "
				  "synscan_resume_open WHERE scan_id = ?";
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare_stream(r->db, sql, &st), step = 0;

	if (rc)
		return db_err(r->db, rc, "prepare", err, errlen);
	bph_db_bind_int64(st, 1, r->scan_id);
	while (rc == 0 && (step = bph_db_step(st)) == BPH_DB_ROW) {
		uint64_t key = (uint64_t)bph_db_column_int64(st, 0) << 16 |
			       (uint64_t)(bph_db_column_int64(st, 1) & 0xffff);
		size_t n = 0;
		const void *b = bph_db_column_blob(st, 2, &n);
		bool ok = b && n == sizeof(struct bph_tcp_traits);
		rc = vec_push(&r->known, key, ok ? b : NULL);
	}
	if (rc == 0 && step < 0)
		rc = db_err(r->db, step, "select", err, errlen);
	bph_db_finalize(st);
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
		if (r->known.n && /* bsearch of a NULL array is UB */
		    bsearch(&k, r->known.v, r->known.n, sizeof(k), cmp_pair))
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
	static const char sql[] = "INSERT INTO synscan_resume_open"
				  "(scan_id, ip, port, tcp) VALUES(?,?,?,?)"
				  " ON CONFLICT DO NOTHING";
	struct bph_db_stmt *st = NULL;
	int rc = 0;

	if (v->n == 0)
		return 0;
	if ((rc = bph_db_prepare(r->db, sql, &st)))
		return rc;
	for (size_t i = 0; i < v->n && rc == 0; i++) {
		bph_db_bind_int64(st, 1, r->scan_id);
		bph_db_bind_int64(st, 2, (int64_t)(v->v[i].key >> 16));
		bph_db_bind_int64(st, 3, (int64_t)(v->v[i].key & 0xffff));
		bph_db_bind_blob(st, 4, &v->v[i].tcp, sizeof(v->v[i].tcp));
		rc = bph_db_step(st);
		bph_db_reset(st);
	}
	bph_db_finalize(st);
	return rc;
}

static int save_pos(struct bph_resume *r, int pass, uint64_t pos)
{
	static const char sql[] = "UPDATE synscan_resume SET pass = ?, pos = ?,"
				  " updated = ? WHERE scan_id = ?";
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare(r->db, sql, &st);

	if (rc)
		return rc;
	bph_db_bind_int64(st, 1, pass);
	bph_db_bind_int64(st, 2, (int64_t)pos);
	bph_db_bind_int64(st, 3, (int64_t)time(NULL));
	bph_db_bind_int64(st, 4, r->scan_id);
	rc = bph_db_step(st);
	bph_db_finalize(st);
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
	if ((rc = bph_db_begin(r->db, BPH_DB_TXN_WRITE)))
		goto out;
	rc = save_opens(r, &v);
	if (rc == 0)
		rc = save_pos(r, pass, pos);
	if (rc == 0)
		rc = bph_db_commit(r->db);
	else
		bph_db_rollback(r->db);
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
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare(r->db, sql, &st);

	if (rc)
		return rc;
	bph_db_bind_int64(st, 1, r->scan_id);
	rc = bph_db_step(st);
	bph_db_finalize(st);
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
