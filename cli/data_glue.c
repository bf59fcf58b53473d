/*
 * data_glue.c - data files into the store, and the store's current
 * snapshots into an in-memory rdb (contract in cli/data_glue.h). Rows
 * travel as ranges/rows.h records on one side and store/data_store.h
 * values on the other; addresses are text in the store.
 */
#include "cli/data_glue.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "store/data_store.h"

/* ---- names ---- */

static void base_name(const char *path, char *buf, size_t len)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	snprintf(buf, len, "%s", b);
	char *dot = strchr(buf, '.');
	if (dot && dot != buf)
		*dot = '\0';
}

void bph_data_default_name(enum bph_kind kind, const char *path,
			   const char *origin, char *buf, size_t len)
{
	switch (kind) {
	case BPH_KIND_DROP:
		snprintf(buf, len, "spamhaus-drop");
		break;
	case BPH_KIND_ASNDROP:
		snprintf(buf, len, "spamhaus-asndrop");
		break;
	case BPH_KIND_ASREL:
		snprintf(buf, len, "as-rel");
		break;
	case BPH_KIND_DELEGATED:
		snprintf(buf, len, "delegated%s%s", origin[0] ? "-" : "",
			 origin);
		break;
	case BPH_KIND_RPSL:
		snprintf(buf, len, "%s", origin[0] ? origin : "rpsl");
		for (char *c = buf; *c; c++)
			*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
		break;
	case BPH_KIND_NETSET:
	case BPH_KIND_PLAIN:
		base_name(path, buf, len);
		break;
	default:
		snprintf(buf, len, "%s", bph_kind_name(kind));
	}
}

/* ---- import: records to store rows ---- */

struct put {
	struct bph_data_import *imp;
	int64_t seq;
};

#define V_S(x)                                                                 \
	{                                                                      \
		0, (x)                                                         \
	}
#define V_I(x)                                                                 \
	{                                                                      \
		(int64_t)(x), NULL                                             \
	}

static int put(struct put *p, enum bph_data_table t,
	       const struct bph_data_val *v)
{
	return bph_data_put(p->imp, t, v);
}

static int p_prefix(void *ctx, const struct bph_row_prefix *r)
{
	struct put *p = ctx;
	char net[BPH_RANGE_STRLEN];
	int rc = 0;

	bph_range_format(&r->net, net);
	for (size_t i = 0; !rc && i < r->n_origins; i++) {
		struct bph_data_val v[] = {V_S(net), V_I(r->origins[i].asn),
					   V_I(r->origins[i].group), V_I(i),
					   V_I(p->seq)};
		rc = put(p, BPH_DT_PREFIX, v);
	}
	p->seq++;
	return rc;
}

static int p_asrange(void *ctx, const struct bph_row_asrange *r)
{
	char a[BPH_ADDR_STRLEN], b[BPH_ADDR_STRLEN];

	bph_addr_format(r->net.fam, r->net.first, a);
	bph_addr_format(r->net.fam, r->net.last, b);
	struct bph_data_val v[] = {V_S(a), V_S(b), V_I(r->asn), V_S(r->cc),
				   V_S(r->name)};
	return put(ctx, BPH_DT_ASRANGE, v);
}

static int p_rel(void *ctx, const struct bph_row_rel *r)
{
	struct bph_data_val v[] = {V_I(r->a), V_I(r->b), V_I(r->rel),
				   V_S(r->source)};
	return put(ctx, BPH_DT_REL, v);
}

static int p_org(void *ctx, const struct bph_row_org *r)
{
	struct bph_data_val v[] = {V_S(r->org_id), V_S(r->changed),
				   V_S(r->name), V_S(r->cc), V_S(r->source)};
	return put(ctx, BPH_DT_ORG, v);
}

static int p_asorg(void *ctx, const struct bph_row_asorg *r)
{
	struct bph_data_val v[] = {V_I(r->asn),	      V_S(r->changed),
				   V_S(r->name),      V_S(r->org_id),
				   V_S(r->opaque_id), V_S(r->source)};
	return put(ctx, BPH_DT_ASORG, v);
}

static int p_deleg(void *ctx, const struct bph_row_deleg *r)
{
	char a[BPH_ADDR_STRLEN], b[BPH_ADDR_STRLEN];

	if (!strcmp(r->type, "asn")) {
		snprintf(a, sizeof(a), "%u", r->asn_first);
		snprintf(b, sizeof(b), "%llu",
			 (unsigned long long)r->asn_first + r->asn_count - 1);
	} else {
		bph_addr_format(r->net.fam, r->net.first, a);
		bph_addr_format(r->net.fam, r->net.last, b);
	}
	struct bph_data_val v[] = {
	    V_S(r->registry), V_S(r->cc),   V_S(r->type),   V_S(a),
	    V_S(b),	      V_S(r->date), V_S(r->status), V_S(r->opaque_id)};
	return put(ctx, BPH_DT_DELEG, v);
}

static int p_inetnum(void *ctx, const struct bph_row_inetnum *r)
{
	char a[BPH_ADDR_STRLEN], b[BPH_ADDR_STRLEN];

	bph_addr_format(r->net.fam, r->net.first, a);
	bph_addr_format(r->net.fam, r->net.last, b);
	struct bph_data_val v[] = {V_S(a),	    V_S(b),
				   V_S(r->netname), V_S(r->descr),
				   V_S(r->country), V_S(r->org),
				   V_S(r->status),  V_S(r->abuse_c),
				   V_S(r->mnt_irt), V_S(r->abuse_mailbox),
				   V_S(r->source)};
	return put(ctx, BPH_DT_INETNUM, v);
}

static int p_rpsl_org(void *ctx, const struct bph_row_rpsl_org *r)
{
	struct bph_data_val v[] = {V_S(r->org_id),	  V_S(r->name),
				   V_S(r->country),	  V_S(r->abuse_c),
				   V_S(r->abuse_mailbox), V_S(r->source)};
	return put(ctx, BPH_DT_RPSL_ORG, v);
}

static int p_contact(void *ctx, const struct bph_row_contact *r)
{
	struct bph_data_val v[] = {V_S(r->handle), V_S(r->cls), V_S(r->name),
				   V_S(r->abuse_mailbox), V_S(r->source)};
	return put(ctx, BPH_DT_CONTACT, v);
}

static int p_autnum(void *ctx, const struct bph_row_autnum *r)
{
	struct bph_data_val v[] = {V_I(r->asn),	    V_S(r->as_name),
				   V_S(r->org),	    V_S(r->sponsoring_org),
				   V_S(r->abuse_c), V_S(r->mnt_irt),
				   V_S(r->source)};
	return put(ctx, BPH_DT_AUTNUM, v);
}

static int p_entry(void *ctx, const struct bph_row_entry *r)
{
	char a[BPH_ADDR_STRLEN], b[BPH_ADDR_STRLEN];

	bph_addr_format(r->net.fam, r->net.first, a);
	bph_addr_format(r->net.fam, r->net.last, b);
	struct bph_data_val v[] = {V_S(a),	V_S(b),	      V_S(r->text),
				   V_S(r->ref), V_S(r->info), V_S(r->date)};
	return put(ctx, BPH_DT_ENTRY, v);
}

static int p_asn_entry(void *ctx, const struct bph_row_asn_entry *r)
{
	struct bph_data_val v[] = {V_I(r->asn), V_S(r->name), V_S(r->cc),
				   V_S(r->domain), V_S(r->rir)};
	return put(ctx, BPH_DT_ASN_ENTRY, v);
}

static bool valid_date(const char *d)
{
	char found[11];
	return strlen(d) == 10 && bph_find_date(d, found) && !strcmp(found, d);
}

static const char *const comp_names[] = {"none", "gzip", "bzip2"};

/* The snapshot row from the parse result (name and date settled). */
static void snapshot_of(const char *path, const struct bph_data_file_opts *o,
			struct bph_parse_result *res, char *name, size_t len,
			struct bph_data_snapshot *s)
{
	if (o->date) {
		snprintf(res->date, sizeof(res->date), "%s", o->date);
		res->date_source = BPH_DATE_OPTION;
	}
	if (o->name)
		snprintf(name, len, "%s", o->name);
	else
		bph_data_default_name(res->kind, path, res->origin, name, len);
	*s = (struct bph_data_snapshot){
	    .kind = bph_kind_name(res->kind),
	    .name = name,
	    .date = res->date,
	    .date_source = bph_date_source_name(res->date_source),
	    .file = path,
	    .compression = comp_names[res->comp],
	    .licence = res->licence,
	    .origin = res->origin,
	    .lines = (int64_t)res->lines,
	    .records = (int64_t)res->records,
	    .rejected = (int64_t)res->rejected,
	    .warnings = (int64_t)res->warnings,
	    .parts = res->parts,
	    .licence_flags = res->licence_flags};
}

int bph_data_import_file(struct bph_store *st, const char *path,
			 const struct bph_data_file_opts *o,
			 struct bph_parse_result *res, int64_t *snap, char *err,
			 size_t errlen)
{
	struct bph_parse_opts po = {
	    .kind = o->kind, .strict = o->strict, .errout = o->errout};
	struct put p = {0};
	struct bph_rsink sink = {&p,	     p_prefix,	p_asrange, p_rel,
				 p_org,	     p_asorg,	p_deleg,   p_inetnum,
				 p_rpsl_org, p_contact, p_autnum,  p_entry,
				 p_asn_entry};
	struct bph_data_snapshot s;
	char name[128];
	int rc = 0;

	memset(res, 0, sizeof(*res));
	if (o->date && !valid_date(o->date)) {
		snprintf(err, errlen, "--date: '%s' is not YYYY-MM-DD",
			 o->date);
		return BPH_ERR_USAGE;
	}
	if (po.kind == BPH_KIND_NONE &&
	    (rc = bph_detect_file(path, &po.kind, err, errlen)))
		return rc;
	res->kind = po.kind;
	/* the snapshot keeps where the file was, whatever the cwd */
	char *abs = realpath(path, NULL);
	const char *where = abs ? abs : path;
	snapshot_of(where, o, res, name, sizeof(name), &s);
	if ((rc = bph_data_import_begin(st, &s, &p.imp, err, errlen))) {
		free(abs);
		return rc;
	}
	rc = bph_parse_file(path, &po, &sink, res, err, errlen);
	if (rc) {
		bph_data_import_abort(p.imp);
		free(abs);
		return rc;
	}
	snapshot_of(where, o, res, name, sizeof(name), &s);
	rc = bph_data_import_commit(p.imp, &s, snap, err, errlen);
	free(abs);
	return rc;
}

/* ---- which snapshots are current ---- */

struct snap {
	int64_t id;
	char kind[16], name[128], date[11], file[512], licence[320];
	char date_source[12];
	int64_t lines, records, rejected, warnings, imported;
	unsigned parts, licence_flags;
	unsigned current; /* the parts this snapshot is the newest for */
};

struct snaps {
	struct snap *v;
	size_t n, cap;
};

static int collect(void *arg, const struct bph_data_snapshot *s)
{
	struct snaps *ss = arg;

	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 32;
		struct snap *v = realloc(ss->v, cap * sizeof(*v));
		if (!v)
			return BPH_ERR_NOMEM;
		ss->v = v;
		ss->cap = cap;
	}
	struct snap *x = &ss->v[ss->n++];
	memset(x, 0, sizeof(*x));
	x->id = s->id;
	snprintf(x->kind, sizeof(x->kind), "%s", s->kind);
	snprintf(x->name, sizeof(x->name), "%s", s->name);
	snprintf(x->date, sizeof(x->date), "%s", s->date);
	snprintf(x->file, sizeof(x->file), "%s", s->file);
	snprintf(x->licence, sizeof(x->licence), "%s", s->licence);
	snprintf(x->date_source, sizeof(x->date_source), "%s", s->date_source);
	x->lines = s->lines;
	x->records = s->records;
	x->rejected = s->rejected;
	x->warnings = s->warnings;
	x->imported = s->imported;
	x->parts = (unsigned)s->parts;
	x->licence_flags = (unsigned)s->licence_flags;
	return 0;
}

static bool newer(const struct snap *a, const struct snap *b)
{
	int c = strcmp(a->date, b->date);
	return c > 0 || (c == 0 && a->id > b->id);
}

/* For each part bit, the newest snapshot of each (kind, name) holds it. */
static void mark_current(struct snaps *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		struct snap *a = &ss->v[i];
		for (unsigned bit = 1; bit <= 0x20; bit <<= 1) {
			if (!(a->parts & bit))
				continue;
			bool best = true;
			for (size_t j = 0; j < ss->n && best; j++) {
				const struct snap *b = &ss->v[j];
				if (j != i && (b->parts & bit) &&
				    !strcmp(a->kind, b->kind) &&
				    !strcmp(a->name, b->name) && newer(b, a))
					best = false;
			}
			if (best)
				a->current |= bit;
		}
	}
}

static int load_snaps(struct bph_store *st, struct snaps *ss)
{
	int rc = bph_data_snapshots(st, collect, ss);
	if (!rc)
		mark_current(ss);
	return rc;
}

int bph_data_each_snapshot(struct bph_store *st,
			   int (*fn)(void *arg,
				     const struct bph_data_snapshot *s,
				     unsigned current_parts),
			   void *arg)
{
	struct snaps ss = {0};
	int rc = load_snaps(st, &ss);

	for (size_t k = 0; !rc && k < ss.n; k++) {
		const struct snap *x = &ss.v[k];
		struct bph_data_snapshot s = {.id = x->id,
					      .kind = x->kind,
					      .name = x->name,
					      .date = x->date,
					      .date_source = x->date_source,
					      .file = x->file,
					      .licence = x->licence,
					      .imported = x->imported,
					      .lines = x->lines,
					      .records = x->records,
					      .rejected = x->rejected,
					      .warnings = x->warnings,
					      .parts = x->parts,
					      .licence_flags =
						  x->licence_flags};
		rc = fn(arg, &s, x->current);
	}
	free(ss.v);
	return rc;
}

/* ---- loading store rows into an rdb ---- */

struct load {
	struct bph_rsink sink;
	unsigned parts; /* the parts to keep from this snapshot */
	/* the prefix being gathered from its origin rows */
	struct bph_origin origins[64];
	size_t n_origins;
	struct bph_range net;
	int64_t seq;
	bool pending;
	int rc;
};

static bool keep_family(const struct load *l, uint8_t fam)
{
	return l->parts & (fam == BPH_FAM_V4 ? BPH_PART_V4 : BPH_PART_V6);
}

static bool text_range(const char *a, const char *b, struct bph_range *r)
{
	struct bph_addr x, y;

	if (bph_addr_parse(a, strlen(a), &x) ||
	    bph_addr_parse(b, strlen(b), &y) || x.fam != y.fam || x.v > y.v)
		return false;
	*r = (struct bph_range){x.fam, x.v, y.v};
	return true;
}

static int flush_prefix(struct load *l)
{
	struct bph_row_prefix r = {l->net, l->origins, l->n_origins};

	if (!l->pending)
		return 0;
	l->pending = false;
	l->n_origins = 0;
	if (!keep_family(l, r.net.fam))
		return 0;
	return l->sink.prefix(l->sink.ctx, &r);
}

static int l_prefix(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	int rc = 0;

	if (l->pending && v[4].i != l->seq)
		rc = flush_prefix(l);
	if (!l->pending) {
		if (bph_prefix_parse(v[0].s, strlen(v[0].s), &l->net, NULL,
				     NULL))
			return 0; /* not written by us: skipped */
		l->pending = true;
		l->seq = v[4].i;
	}
	if (l->n_origins < 64)
		l->origins[l->n_origins++] =
		    (struct bph_origin){(uint32_t)v[1].i, (uint16_t)v[2].i};
	return rc;
}

static int l_range_rows(void *arg, const struct bph_data_val *v, int table)
{
	struct load *l = arg;
	struct bph_range r;

	if (!text_range(v[0].s, v[1].s, &r) || !keep_family(l, r.fam))
		return 0;
	if (table == BPH_DT_ASRANGE) {
		struct bph_row_asrange x = {r, (uint32_t)v[2].i, v[3].s,
					    v[4].s};
		return l->sink.asrange(l->sink.ctx, &x);
	}
	if (table == BPH_DT_ENTRY) {
		struct bph_row_entry x = {r, v[2].s, v[3].s, v[4].s, v[5].s};
		return l->sink.entry(l->sink.ctx, &x);
	}
	struct bph_row_inetnum x = {r,	    v[2].s, v[3].s, v[4].s, v[5].s,
				    v[6].s, v[7].s, v[8].s, v[9].s, v[10].s};
	return l->sink.inetnum(l->sink.ctx, &x);
}

static int l_asrange(void *arg, const struct bph_data_val *v)
{
	return l_range_rows(arg, v, BPH_DT_ASRANGE);
}

static int l_entry(void *arg, const struct bph_data_val *v)
{
	return l_range_rows(arg, v, BPH_DT_ENTRY);
}

static int l_inetnum(void *arg, const struct bph_data_val *v)
{
	return l_range_rows(arg, v, BPH_DT_INETNUM);
}

static int l_deleg(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_deleg d = {.registry = v[0].s,
				  .cc = v[1].s,
				  .type = v[2].s,
				  .date = v[5].s,
				  .status = v[6].s,
				  .opaque_id = v[7].s};
	uint64_t a, b;

	if (!strcmp(d.type, "asn")) {
		a = strtoull(v[3].s, NULL, 10);
		b = strtoull(v[4].s, NULL, 10);
		if (!(l->parts & BPH_PART_ASN) || b < a || b > UINT32_MAX)
			return 0;
		d.asn_first = (uint32_t)a;
		d.asn_count = (uint32_t)(b - a + 1);
	} else if (!text_range(v[3].s, v[4].s, &d.net) ||
		   !keep_family(l, d.net.fam)) {
		return 0;
	}
	return l->sink.deleg(l->sink.ctx, &d);
}

static int l_rel(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_rel r = {(uint32_t)v[0].i, (uint32_t)v[1].i, (int)v[2].i,
				v[3].s};
	return l->sink.rel(l->sink.ctx, &r);
}

static int l_org(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_org r = {v[0].s, v[1].s, v[2].s, v[3].s, v[4].s};
	return l->sink.org(l->sink.ctx, &r);
}

static int l_asorg(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_asorg r = {(uint32_t)v[0].i, v[1].s, v[2].s,
				  v[3].s,	    v[4].s, v[5].s};
	return l->sink.asorg(l->sink.ctx, &r);
}

static int l_rpsl_org(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_rpsl_org r = {v[0].s, v[1].s, v[2].s,
				     v[3].s, v[4].s, v[5].s};
	return l->sink.rpsl_org(l->sink.ctx, &r);
}

static int l_contact(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_contact r = {v[0].s, v[1].s, v[2].s, v[3].s, v[4].s};
	return l->sink.contact(l->sink.ctx, &r);
}

static int l_autnum(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_autnum r = {(uint32_t)v[0].i, v[1].s, v[2].s, v[3].s,
				   v[4].s,	     v[5].s, v[6].s};
	return l->sink.autnum(l->sink.ctx, &r);
}

static int l_asn_entry(void *arg, const struct bph_data_val *v)
{
	struct load *l = arg;
	struct bph_row_asn_entry r = {(uint32_t)v[0].i, v[1].s, v[2].s, v[3].s,
				      v[4].s};
	return l->sink.asn_entry(l->sink.ctx, &r);
}

/* Each table: its loader and the part its rows belong to (0: by the
 * row's address family). */
static const struct {
	int (*fn)(void *arg, const struct bph_data_val *v);
	unsigned part;
} loaders[BPH_DT_COUNT] = {
    [BPH_DT_PREFIX] = {l_prefix, 0},
    [BPH_DT_ASRANGE] = {l_asrange, 0},
    [BPH_DT_REL] = {l_rel, BPH_PART_ASN},
    [BPH_DT_ORG] = {l_org, BPH_PART_ORG},
    [BPH_DT_ASORG] = {l_asorg, BPH_PART_ASN},
    [BPH_DT_DELEG] = {l_deleg, 0},
    [BPH_DT_INETNUM] = {l_inetnum, 0},
    [BPH_DT_RPSL_ORG] = {l_rpsl_org, BPH_PART_ORG},
    [BPH_DT_CONTACT] = {l_contact, BPH_PART_CONTACT},
    [BPH_DT_AUTNUM] = {l_autnum, BPH_PART_AUTNUM},
    [BPH_DT_ENTRY] = {l_entry, 0},
    [BPH_DT_ASN_ENTRY] = {l_asn_entry, BPH_PART_ASN},
};

static const enum bph_data_table kind_tables[BPH_KIND_COUNT][4] = {
    [BPH_KIND_PFX2AS] = {BPH_DT_PREFIX, BPH_DT_COUNT},
    [BPH_KIND_IP2ASN] = {BPH_DT_ASRANGE, BPH_DT_COUNT},
    [BPH_KIND_ASREL] = {BPH_DT_REL, BPH_DT_COUNT},
    [BPH_KIND_AS2ORG] = {BPH_DT_ORG, BPH_DT_ASORG, BPH_DT_COUNT},
    [BPH_KIND_DELEGATED] = {BPH_DT_DELEG, BPH_DT_COUNT},
    [BPH_KIND_RPSL] = {BPH_DT_INETNUM, BPH_DT_RPSL_ORG, BPH_DT_CONTACT,
		       BPH_DT_AUTNUM},
    [BPH_KIND_DROP] = {BPH_DT_ENTRY, BPH_DT_COUNT},
    [BPH_KIND_ASNDROP] = {BPH_DT_ASN_ENTRY, BPH_DT_COUNT},
    [BPH_KIND_NETSET] = {BPH_DT_ENTRY, BPH_DT_COUNT},
    [BPH_KIND_PLAIN] = {BPH_DT_ENTRY, BPH_DT_COUNT},
    [BPH_KIND_FEODO] = {BPH_DT_ENTRY, BPH_DT_COUNT},
    [BPH_KIND_DSHIELD] = {BPH_DT_ENTRY, BPH_DT_COUNT},
};

static int load_snapshot(struct bph_store *st, struct bph_rdb *db,
			 const struct snap *x, enum bph_kind kind)
{
	struct bph_rsource src = {kind,	   x->name,    x->date,
				  x->file, x->licence, x->licence_flags,
				  x->id};
	struct load l = {.parts = x->current};
	int rc = bph_rdb_begin(db, &src, &l.sink);

	for (int i = 0; !rc && i < 4; i++) {
		enum bph_data_table t = kind_tables[kind][i];
		if (t == BPH_DT_COUNT && i > 0)
			break;
		if (loaders[t].part && !(l.parts & loaders[t].part))
			continue;
		rc = bph_data_rows(st, x->id, t, loaders[t].fn, &l);
		if (!rc && t == BPH_DT_PREFIX)
			rc = flush_prefix(&l);
	}
	return rc;
}

int bph_data_load(struct bph_store *st, unsigned mask, struct bph_rdb **out,
		  char *err, size_t errlen)
{
	struct snaps ss = {0};
	struct bph_rdb *db = NULL;
	int rc = bph_rdb_new(&db);

	if (!rc)
		rc = load_snaps(st, &ss);
	for (size_t i = 0; !rc && i < ss.n; i++) {
		enum bph_kind k = bph_kind_from_name(ss.v[i].kind);
		if (k != BPH_KIND_NONE && ss.v[i].current &&
		    (mask & BPH_KINDS(k)))
			rc = load_snapshot(st, db, &ss.v[i], k);
	}
	if (!rc)
		rc = bph_rdb_finish(db);
	free(ss.v);
	if (rc) {
		snprintf(err, errlen, "loading data from the store: %s",
			 bph_strerror(rc));
		bph_rdb_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

int bph_data_load_files(const char *const *paths, size_t n,
			struct bph_rdb **out, char *err, size_t errlen)
{
	struct bph_rdb *db = NULL;
	int rc = bph_rdb_new(&db);

	for (size_t i = 0; !rc && i < n; i++) {
		struct bph_parse_opts o = {0};
		struct bph_parse_result res;
		struct bph_rsink sink;
		char name[128];
		if ((rc = bph_detect_file(paths[i], &o.kind, err, errlen)))
			break;
		/* the date and licence come with the parse: a first pass */
		if ((rc =
			 bph_parse_file(paths[i], &o, NULL, &res, err, errlen)))
			break;
		bph_data_default_name(res.kind, paths[i], res.origin, name,
				      sizeof(name));
		struct bph_rsource src = {
		    res.kind,	       name, res.date, paths[i], res.licence,
		    res.licence_flags, 0};
		if (!(rc = bph_rdb_begin(db, &src, &sink)))
			rc = bph_parse_file(paths[i], &o, &sink, &res, err,
					    errlen);
	}
	if (!rc)
		rc = bph_rdb_finish(db);
	if (rc) {
		bph_rdb_free(db);
		return rc;
	}
	*out = db;
	return 0;
}
