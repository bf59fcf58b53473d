/*
 * hits.c - a run's watch hits and members: collected from records,
 * read back from the store, and turned into watch.hit events (contract
 * in sweep/hits.h, rules in sweep/sweep.h).
 */
#include "sweep/hits.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "sweep/cwatch.h"
#include "sweep/svcjson.h"

void bph_run_state_clear(struct bph_run_state *st)
{
	for (size_t i = 0; i < st->n_hits; i++)
		free(st->hits[i].value);
	free(st->hits);
	for (size_t i = 0; i < st->n_members; i++)
		free(st->m_evidence[i]);
	free(st->m_cluster);
	free(st->m_ip);
	free(st->m_evidence);
	memset(st, 0, sizeof(*st));
}

static struct bph_hit *new_hit(struct bph_run_state *st)
{
	if (st->n_hits == st->cap_hits) {
		size_t cap = st->cap_hits ? st->cap_hits * 2 : 64;
		struct bph_hit *v = realloc(st->hits, cap * sizeof(*v));
		if (!v)
			return NULL;
		st->hits = v;
		st->cap_hits = cap;
	}
	memset(&st->hits[st->n_hits], 0, sizeof(st->hits[0]));
	return &st->hits[st->n_hits++];
}

struct match_ctx {
	struct bph_run_state *st;
	int rc;
};

static void on_hit(void *vctx, const struct bph_watch_entry *e,
		   const struct bph_service *s, int port, const char *value)
{
	struct match_ctx *m = vctx;
	struct bph_hit *h = m->rc ? NULL : new_hit(m->st);

	if (!h || !(h->value = strdup(value))) {
		if (h)
			m->st->n_hits--;
		m->rc = BPH_ERR_NOMEM;
		return;
	}
	h->e = e;
	memcpy(h->key, e->key, sizeof(h->key));
	h->ip = s->ip;
	h->port = port;
}

int bph_hits_match(const struct bph_watchlist *w, const struct bph_service *s,
		   time_t now, struct bph_run_state *st)
{
	struct match_ctx m = {st, 0};

	bph_watch_match(w, s, now, on_hit, &m);
	return m.rc;
}

int bph_hits_match_addr(const struct bph_watchlist *w, uint32_t ip, time_t now,
			struct bph_run_state *st)
{
	struct match_ctx m = {st, 0};

	bph_watch_match_addr(w, ip, now, on_hit, &m);
	return m.rc;
}

static int cmp_hit(const void *x, const void *y)
{
	const struct bph_hit *a = x, *b = y;
	int d = strcmp(a->key, b->key);

	if (d)
		return d;
	if (a->ip != b->ip)
		return a->ip < b->ip ? -1 : 1;
	return a->port - b->port;
}

int bph_hits_finish(struct bph_run_state *st)
{
	size_t o = 0;

	if (st->n_hits > 1)
		qsort(st->hits, st->n_hits, sizeof(*st->hits), cmp_hit);
	for (size_t i = 0; i < st->n_hits; i++) {
		if (o && !cmp_hit(&st->hits[o - 1], &st->hits[i])) {
			free(st->hits[i].value);
			continue;
		}
		st->hits[o++] = st->hits[i];
	}
	st->n_hits = o;
	return 0;
}

static int load_hit(void *ctx, const struct bph_hit_row *r)
{
	struct bph_hit *h = new_hit(ctx);

	if (!h)
		return BPH_ERR_NOMEM;
	snprintf(h->key, sizeof(h->key), "%s", r->watch ? r->watch : "");
	h->ip = r->ip;
	h->port = r->port;
	return 0;
}

int bph_hits_load(struct bph_store *db, int64_t run, struct bph_run_state *st)
{
	int rc = bph_sweep_hits_each(db, run, load_hit, st);

	return rc ? rc : bph_hits_finish(st);
}

struct members_ctx {
	const struct bph_sweep_config *cfg;
	struct bph_run_state *st;
};

static int load_member(void *vctx, const char *cluster, uint32_t ip,
		       const char *evidence)
{
	struct members_ctx *m = vctx;
	int rc;

	for (size_t i = 0; cluster && i < m->cfg->n_clusters; i++)
		if (!strcmp(m->cfg->clusters[i].name, cluster)) {
			rc = bph_state_add_member(m->st,
						  m->cfg->clusters[i].name, ip);
			if (!rc && evidence &&
			    !(m->st->m_evidence[m->st->n_members - 1] =
				  strdup(evidence)))
				rc = BPH_ERR_NOMEM;
			return rc;
		}
	return 0;
}

int bph_members_load(struct bph_store *db, const struct bph_sweep_config *cfg,
		     int64_t run, struct bph_run_state *st)
{
	struct members_ctx m = {cfg, st};

	return bph_sweep_members_each(db, run, load_member, &m);
}

static bool had(const struct bph_run_state *f, const struct bph_hit *h)
{
	return f && f->n_hits &&
	       bsearch(h, f->hits, f->n_hits, sizeof(*h), cmp_hit);
}

static json_t *watch_obj(const struct bph_watch_entry *e)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:I}", "key", e->key, "source",
			      e->source, "kind", bph_watch_kind_name(e->kind),
			      "value", e->value, "line", (json_int_t)e->line);

	if (o && json_object_set_new(o, "file", bph_sj_str(e->file)))
		goto fail;
	if (o && e->desc && json_object_set_new(o, "desc", bph_sj_str(e->desc)))
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

static int hit_event(const struct bph_hit *h, struct bph_event_set *out)
{
	const struct bph_watch_entry *e = h->e;
	const char *kind = bph_watch_kind_name(e->kind);
	json_t *after = json_pack("{s:s,s:o}", "source", e->source, "value",
				  bph_sj_str(h->value));
	struct bph_event *ev = bph_event_add(out, BPH_EV_WATCH_HIT, true, h->ip,
					     h->port, kind, NULL, after, NULL);

	if (!ev)
		return BPH_ERR_NOMEM;
	ev->severity = e->severity;
	ev->watch = watch_obj(e);
	ev->evidence = json_pack("[{s:s,s:o}]", "kind", kind, "value",
				 bph_sj_str(h->value));
	return ev->watch && ev->evidence ? 0 : BPH_ERR_NOMEM;
}

int bph_hits_events(const struct bph_run_state *f,
		    const struct bph_run_state *t, struct bph_event_set *out)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < t->n_hits; i++)
		if (t->hits[i].e && !had(f, &t->hits[i]))
			rc = hit_event(&t->hits[i], out);
	return rc;
}

struct bph_hit_row *bph_hits_rows(const struct bph_run_state *t, size_t *n)
{
	struct bph_hit_row *r = malloc((t->n_hits + 1) * sizeof(*r));

	*n = r ? t->n_hits : 0;
	for (size_t i = 0; r && i < t->n_hits; i++) {
		r[i].watch = t->hits[i].key;
		r[i].ip = t->hits[i].ip;
		r[i].port = t->hits[i].port;
	}
	return r;
}
