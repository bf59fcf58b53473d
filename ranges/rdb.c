/*
 * rdb.c - building the in-memory database: sources, the sink callbacks
 * that intern each row, and bph_rdb_finish(), which maps the ranges for
 * longest match and sorts the AS and organisation tables for binary
 * search. Contracts in ranges/rdb.h; lookups in rdb_lookup.c and
 * rdb_abuse.c.
 */
#include "ranges/rdb.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "ranges/ranges_int.h"

#define VEC(type)                                                              \
	{                                                                      \
		NULL, 0, 0, sizeof(type)                                       \
	}

int bph_rdb_new(struct bph_rdb **out)
{
	struct bph_rdb *db = calloc(1, sizeof(*db));
	const struct bph_rdb init = {.srcs = VEC(struct rsrc *),
				     .pfx = VEC(struct r_pfx),
				     .asrange = VEC(struct r_asrange),
				     .deleg_ip = VEC(struct r_deleg),
				     .deleg_asn = VEC(struct r_deleg),
				     .inetnum = VEC(struct r_inetnum),
				     .entry = VEC(struct r_entry),
				     .origins = VEC(struct bph_origin),
				     .rel = VEC(struct r_rel),
				     .org = VEC(struct r_org),
				     .asorg = VEC(struct r_asorg),
				     .rpsl_org = VEC(struct r_rpsl_org),
				     .contact = VEC(struct r_contact),
				     .autnum = VEC(struct r_autnum),
				     .asn_entry = VEC(struct r_asn_entry)};

	if (!db)
		return BPH_ERR_NOMEM;
	*db = init;
	if (bph_sp_init(&db->sp)) {
		free(db);
		return BPH_ERR_NOMEM;
	}
	*out = db;
	return 0;
}

static void free_maps(struct rmap *m)
{
	for (int f = 0; f < 2; f++) {
		free(m[f].ids);
		bph_ipmap_free(m[f].map);
	}
}

void bph_rdb_free(struct bph_rdb *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->srcs.n; i++)
		free(VEC_AT(&db->srcs, struct rsrc *, i));
	struct vec *vecs[] = {&db->srcs,     &db->pfx,	     &db->asrange,
			      &db->deleg_ip, &db->deleg_asn, &db->inetnum,
			      &db->entry,    &db->origins,   &db->rel,
			      &db->org,	     &db->asorg,     &db->rpsl_org,
			      &db->contact,  &db->autnum,    &db->asn_entry};
	for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		free(vecs[i]->v);
	free_maps(db->m_pfx);
	free_maps(db->m_asrange);
	free_maps(db->m_deleg);
	free_maps(db->m_inetnum);
	free_maps(db->m_entry);
	free(db->rel_by_a);
	free(db->rel_by_b);
	free(db->pfx_by_origin);
	free(db->asorg_by_org);
	bph_sp_free(&db->sp);
	free(db);
}

/* ---- the sink ---- */

/* Interns s; on ENOMEM notes the failure in the source and returns 0. */
static uint32_t in(struct rsrc *r, const char *s)
{
	uint32_t off = bph_sp_add(&r->db->sp, s ? s : "");
	if (off == UINT32_MAX) {
		r->rc = BPH_ERR_NOMEM;
		return 0;
	}
	return off;
}

/* A new element of x for source r, or NULL (ENOMEM noted). */
static void *push(struct rsrc *r, struct vec *x)
{
	void *e = bph_vec_push(x);
	if (!e)
		r->rc = BPH_ERR_NOMEM;
	r->db->kinds |= 1u << r->pub.kind;
	return e;
}

static int s_prefix(void *ctx, const struct bph_row_prefix *row)
{
	struct rsrc *r = ctx;
	struct bph_rdb *db = r->db;
	struct r_pfx *e = push(r, &db->pfx);

	if (!e)
		return r->rc;
	*e = (struct r_pfx){row->net, (uint32_t)db->origins.n,
			    (uint32_t)row->n_origins, r->idx, -1};
	for (size_t i = 0; i < row->n_origins; i++) {
		struct bph_origin *o = push(r, &db->origins);
		if (!o)
			return r->rc;
		*o = row->origins[i];
	}
	return r->rc;
}

static int s_asrange(void *ctx, const struct bph_row_asrange *row)
{
	struct rsrc *r = ctx;
	struct r_asrange *e = push(r, &r->db->asrange);

	if (e)
		*e = (struct r_asrange){row->net, row->asn, in(r, row->cc),
					in(r, row->name), r->idx};
	return r->rc;
}

static int s_rel(void *ctx, const struct bph_row_rel *row)
{
	struct rsrc *r = ctx;
	struct r_rel *e = push(r, &r->db->rel);

	if (e)
		*e = (struct r_rel){row->a, row->b, in(r, row->source), r->idx,
				    row->rel};
	return r->rc;
}

static int s_org(void *ctx, const struct bph_row_org *row)
{
	struct rsrc *r = ctx;
	struct r_org *e = push(r, &r->db->org);

	if (e)
		*e = (struct r_org){in(r, row->org_id), in(r, row->changed),
				    in(r, row->name),	in(r, row->cc),
				    in(r, row->source), r->idx};
	return r->rc;
}

static int s_asorg(void *ctx, const struct bph_row_asorg *row)
{
	struct rsrc *r = ctx;
	struct r_asorg *e = push(r, &r->db->asorg);

	if (e)
		*e = (struct r_asorg){row->asn,
				      in(r, row->changed),
				      in(r, row->name),
				      in(r, row->org_id),
				      in(r, row->opaque_id),
				      in(r, row->source),
				      r->idx};
	return r->rc;
}

static int s_deleg(void *ctx, const struct bph_row_deleg *row)
{
	struct rsrc *r = ctx;
	bool asn = !strcmp(row->type, "asn");
	struct r_deleg *e = push(r, asn ? &r->db->deleg_asn : &r->db->deleg_ip);

	if (!e)
		return r->rc;
	*e = (struct r_deleg){row->net,
			      in(r, row->registry),
			      in(r, row->cc),
			      in(r, row->date),
			      in(r, row->status),
			      in(r, row->opaque_id),
			      r->idx};
	if (asn)
		e->net = (struct bph_range){0, row->asn_first,
					    (bph_u128)row->asn_first +
						row->asn_count - 1};
	return r->rc;
}

static int s_inetnum(void *ctx, const struct bph_row_inetnum *row)
{
	struct rsrc *r = ctx;
	struct r_inetnum *e = push(r, &r->db->inetnum);

	if (e)
		*e = (struct r_inetnum){row->net,
					in(r, row->netname),
					in(r, row->descr),
					in(r, row->country),
					in(r, row->org),
					in(r, row->status),
					in(r, row->abuse_c),
					in(r, row->mnt_irt),
					in(r, row->abuse_mailbox),
					in(r, row->source),
					r->idx,
					-1};
	return r->rc;
}

static int s_rpsl_org(void *ctx, const struct bph_row_rpsl_org *row)
{
	struct rsrc *r = ctx;
	struct r_rpsl_org *e = push(r, &r->db->rpsl_org);

	if (e)
		*e = (struct r_rpsl_org){in(r, row->org_id),
					 in(r, row->name),
					 in(r, row->country),
					 in(r, row->abuse_c),
					 in(r, row->abuse_mailbox),
					 in(r, row->source),
					 r->idx};
	return r->rc;
}

static int s_contact(void *ctx, const struct bph_row_contact *row)
{
	struct rsrc *r = ctx;
	struct r_contact *e = push(r, &r->db->contact);

	if (e)
		*e = (struct r_contact){
		    in(r, row->handle), in(r, row->cls),
		    in(r, row->name),	in(r, row->abuse_mailbox),
		    in(r, row->source), r->idx};
	return r->rc;
}

static int s_autnum(void *ctx, const struct bph_row_autnum *row)
{
	struct rsrc *r = ctx;
	struct r_autnum *e = push(r, &r->db->autnum);

	if (e)
		*e = (struct r_autnum){row->asn,
				       in(r, row->as_name),
				       in(r, row->org),
				       in(r, row->sponsoring_org),
				       in(r, row->abuse_c),
				       in(r, row->mnt_irt),
				       in(r, row->source),
				       r->idx};
	return r->rc;
}

static int s_entry(void *ctx, const struct bph_row_entry *row)
{
	struct rsrc *r = ctx;
	struct r_entry *e = push(r, &r->db->entry);

	if (e)
		*e = (struct r_entry){row->net,
				      in(r, row->text),
				      in(r, row->ref),
				      in(r, row->info),
				      in(r, row->date),
				      r->idx,
				      -1};
	return r->rc;
}

static int s_asn_entry(void *ctx, const struct bph_row_asn_entry *row)
{
	struct rsrc *r = ctx;
	struct r_asn_entry *e = push(r, &r->db->asn_entry);

	if (e)
		*e = (struct r_asn_entry){row->asn,	   in(r, row->name),
					  in(r, row->cc),  in(r, row->domain),
					  in(r, row->rir), r->idx};
	return r->rc;
}

int bph_rdb_begin(struct bph_rdb *db, const struct bph_rsource *src,
		  struct bph_rsink *sink)
{
	struct rsrc *r, **slot;

	if (db->finished)
		return BPH_ERR_USAGE;
	if (!(r = calloc(1, sizeof(*r))) || !(slot = bph_vec_push(&db->srcs))) {
		free(r);
		return BPH_ERR_NOMEM;
	}
	*slot = r;
	r->db = db;
	r->idx = (uint32_t)(db->srcs.n - 1);
	r->pub = *src;
	r->name = in(r, src->name);
	r->date = in(r, src->date);
	r->file = in(r, src->file);
	r->licence = in(r, src->licence);
	*sink = (struct bph_rsink){r,	       s_prefix,  s_asrange, s_rel,
				   s_org,      s_asorg,	  s_deleg,   s_inetnum,
				   s_rpsl_org, s_contact, s_autnum,  s_entry,
				   s_asn_entry};
	return r->rc;
}

size_t bph_rdb_n_sources(const struct bph_rdb *db)
{
	return db->srcs.n;
}

const struct bph_rsource *bph_rdb_source(const struct bph_rdb *db, size_t i)
{
	return i < db->srcs.n ? rdb_src(db, (uint32_t)i) : NULL;
}

bool bph_rdb_has(const struct bph_rdb *db, enum bph_kind kind)
{
	return (db->kinds >> kind) & 1u;
}
