/*
 * store_data.c - routing, registry and deny-list snapshots: one table
 * descriptor per data table drives the bulk insert of an import and the
 * reads that load it back; two history queries serve asinfo. Contract in
 * store/data_store.h; the tables are the "data" module of store/schema.c.
 */
#include "store/data_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fingerprints/err.h"
#include "store/db_int.h"

struct table {
	const char *name;
	const char *cols;  /* comma-separated, in bph_data_val order */
	const char *types; /* one letter per column: T text, I integer */
	const char *order; /* ORDER BY of a load, NULL: any */
};

static const struct table tables[BPH_DT_COUNT] = {
    [BPH_DT_PREFIX] = {"data_prefix", "net, asn, grp, pos, seq", "TIIII",
		       "seq, pos"},
    [BPH_DT_ASRANGE] = {"data_asrange", "first, last, asn, cc, name", "TTITT",
			NULL},
    [BPH_DT_REL] = {"data_rel", "a, b, rel, source", "IIIT", NULL},
    [BPH_DT_ORG] = {"data_org", "org_id, changed, name, cc, source", "TTTTT",
		    NULL},
    [BPH_DT_ASORG] = {"data_asorg",
		      "asn, changed, name, org_id, opaque_id, source", "ITTTTT",
		      NULL},
    [BPH_DT_DELEG] = {"data_deleg",
		      "registry, cc, type, first, last, date, status, "
		      "opaque_id",
		      "TTTTTTTT", NULL},
    [BPH_DT_INETNUM] = {"data_inetnum",
			"first, last, netname, descr, country, org, status, "
			"abuse_c, mnt_irt, abuse_mailbox, source",
			"TTTTTTTTTTT", NULL},
    [BPH_DT_RPSL_ORG] = {"data_rpsl_org",
			 "org_id, name, country, abuse_c, abuse_mailbox, "
			 "source",
			 "TTTTTT", NULL},
    [BPH_DT_CONTACT] = {"data_contact",
			"handle, cls, name, abuse_mailbox, source", "TTTTT",
			NULL},
    [BPH_DT_AUTNUM] = {"data_autnum",
		       "asn, as_name, org, sponsoring_org, abuse_c, mnt_irt, "
		       "source",
		       "ITTTTTT", NULL},
    [BPH_DT_ENTRY] = {"data_entry", "first, last, text, ref, info, date",
		      "TTTTTT", NULL},
    [BPH_DT_ASN_ENTRY] = {"data_asn_entry", "asn, name, cc, domain, rir",
			  "ITTTT", NULL},
};

size_t bph_data_cols(enum bph_data_table t)
{
	return t < BPH_DT_COUNT ? strlen(tables[t].types) : 0;
}

struct bph_data_import {
	struct bph_store *st;
	int64_t id;
	struct bph_db_bulk *bulk; /* open for one table at a time */
	int bulk_table;
	char cols[256];
};

static int fail(struct bph_db *db, int rc, const char *what, char *err,
		size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s: %s", what,
			 bph_db_errmsg(db)[0] ? bph_db_errmsg(db)
					      : bph_strerror(rc));
	return rc;
}

static int insert_snapshot(struct bph_db *db, const struct bph_data_snapshot *s,
			   int64_t *id)
{
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare(
	    db,
	    "INSERT INTO data_snapshots(kind, name, date, date_source, file,"
	    " compression, licence, origin, imported, lines, records,"
	    " rejected, warnings, parts, licence_flags)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0) RETURNING "
	    "id",
	    &st);
	const char *text[] = {s->kind,	      s->name,	s->date,
			      s->date_source, s->file,	s->compression,
			      s->licence,     s->origin};

	for (int i = 0; !rc && i < 8; i++)
		rc = bph_db_bind_text(st, i + 1, text[i] ? text[i] : "");
	if (!rc)
		rc = bph_db_bind_int64(st, 9, (int64_t)time(NULL));
	if (!rc && (rc = bph_db_step(st)) == BPH_DB_ROW) {
		*id = bph_db_column_int64(st, 0);
		rc = 0;
	} else if (rc == BPH_DB_DONE) {
		rc = BPH_ERR_DB;
	}
	bph_db_finalize(st);
	return rc;
}

int bph_data_import_begin(struct bph_store *st,
			  const struct bph_data_snapshot *s,
			  struct bph_data_import **out, char *err,
			  size_t errlen)
{
	struct bph_data_import *imp = calloc(1, sizeof(*imp));
	int rc;

	if (!imp)
		return BPH_ERR_NOMEM;
	imp->st = st;
	imp->bulk_table = -1;
	if (st->readonly)
		rc = BPH_ERR_PERM;
	else if (!(rc = bph_db_tune_bulk(st->db)) &&
		 !(rc = bph_db_begin(st->db, BPH_DB_TXN_WRITE)))
		rc = insert_snapshot(st->db, s, &imp->id);
	if (rc) {
		fail(st->db, rc, "data import", err, errlen);
		bph_db_rollback(st->db);
		free(imp);
		return rc;
	}
	*out = imp;
	return 0;
}

/* Ends the open bulk (if any) and opens one for table t. */
static int switch_bulk(struct bph_data_import *imp, enum bph_data_table t)
{
	int rc = 0;

	if (imp->bulk_table == (int)t)
		return 0;
	if (imp->bulk) {
		rc = bph_db_bulk_end(imp->bulk);
		imp->bulk = NULL;
		imp->bulk_table = -1;
		if (rc)
			return rc;
	}
	snprintf(imp->cols, sizeof(imp->cols), "snap, %s", tables[t].cols);
	rc = bph_db_bulk_begin(imp->st->db, tables[t].name, imp->cols, NULL,
			       &imp->bulk);
	if (!rc)
		imp->bulk_table = (int)t;
	return rc;
}

int bph_data_put(struct bph_data_import *imp, enum bph_data_table t,
		 const struct bph_data_val *v)
{
	int rc;

	if (t >= BPH_DT_COUNT)
		return BPH_ERR_USAGE;
	if ((rc = switch_bulk(imp, t)) ||
	    (rc = bph_db_bulk_int64(imp->bulk, imp->id)))
		return rc;
	for (size_t i = 0; !rc && tables[t].types[i]; i++)
		rc = tables[t].types[i] == 'T'
			 ? bph_db_bulk_text(imp->bulk, v[i].s ? v[i].s : "")
			 : bph_db_bulk_int64(imp->bulk, v[i].i);
	return rc ? rc : bph_db_bulk_row(imp->bulk);
}

static int update_counts(struct bph_db *db, int64_t id,
			 const struct bph_data_snapshot *d)
{
	struct bph_db_stmt *st = NULL;
	int rc = bph_db_prepare(
	    db,
	    "UPDATE data_snapshots SET lines = ?, records = ?, rejected = ?,"
	    " warnings = ?, parts = ?, licence_flags = ?, licence = ?,"
	    " date = ?, date_source = ?, origin = ?, name = ? WHERE id = ?",
	    &st);
	const int64_t n[] = {d->lines,	  d->records, d->rejected,
			     d->warnings, d->parts,   d->licence_flags};
	const char *t[] = {d->licence, d->date, d->date_source, d->origin,
			   d->name};

	for (int i = 0; !rc && i < 6; i++)
		rc = bph_db_bind_int64(st, i + 1, n[i]);
	for (int i = 0; !rc && i < 5; i++)
		rc = bph_db_bind_text(st, i + 7, t[i] ? t[i] : "");
	if (!rc)
		rc = bph_db_bind_int64(st, 12, id);
	if (!rc)
		rc = bph_db_step(st) == BPH_DB_DONE ? 0 : BPH_ERR_DB;
	bph_db_finalize(st);
	return rc;
}

int bph_data_import_commit(struct bph_data_import *imp,
			   const struct bph_data_snapshot *done, int64_t *id,
			   char *err, size_t errlen)
{
	struct bph_db *db = imp->st->db;
	int rc = 0;

	if (imp->bulk) {
		rc = bph_db_bulk_end(imp->bulk);
		imp->bulk = NULL;
	}
	if (!rc)
		rc = update_counts(db, imp->id, done);
	if (!rc)
		rc = bph_db_commit(db);
	if (rc) {
		fail(db, rc, "data import", err, errlen);
		bph_db_rollback(db);
	} else if (id) {
		*id = imp->id;
	}
	free(imp);
	return rc;
}

void bph_data_import_abort(struct bph_data_import *imp)
{
	if (!imp)
		return;
	bph_db_bulk_abort(imp->bulk);
	bph_db_rollback(imp->st->db);
	free(imp);
}

/* ---- reads ---- */

int bph_data_snapshots(struct bph_store *st,
		       int (*fn)(void *arg, const struct bph_data_snapshot *s),
		       void *arg)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT id, kind, name, date, date_source, file, compression,"
	    " licence, origin, imported, lines, records, rejected, warnings,"
	    " parts, licence_flags FROM data_snapshots"
	    " ORDER BY kind, name, date, id",
	    &q);

	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		struct bph_data_snapshot s = {
		    .id = bph_db_column_int64(q, 0),
		    .kind = bph_db_column_text(q, 1),
		    .name = bph_db_column_text(q, 2),
		    .date = bph_db_column_text(q, 3),
		    .date_source = bph_db_column_text(q, 4),
		    .file = bph_db_column_text(q, 5),
		    .compression = bph_db_column_text(q, 6),
		    .licence = bph_db_column_text(q, 7),
		    .origin = bph_db_column_text(q, 8),
		    .imported = bph_db_column_int64(q, 9),
		    .lines = bph_db_column_int64(q, 10),
		    .records = bph_db_column_int64(q, 11),
		    .rejected = bph_db_column_int64(q, 12),
		    .warnings = bph_db_column_int64(q, 13),
		    .parts = bph_db_column_int64(q, 14),
		    .licence_flags = bph_db_column_int64(q, 15)};
		rc = fn(arg, &s);
	}
	bph_db_finalize(q);
	return rc == BPH_DB_DONE ? 0 : rc;
}

int bph_data_rows(struct bph_store *st, int64_t snap, enum bph_data_table t,
		  int (*fn)(void *arg, const struct bph_data_val *v), void *arg)
{
	struct bph_data_val v[BPH_DATA_MAX_COLS];
	struct bph_db_stmt *q = NULL;
	char sql[512];
	int rc;

	if (t >= BPH_DT_COUNT)
		return BPH_ERR_USAGE;
	snprintf(sql, sizeof(sql), "SELECT %s FROM %s WHERE snap = ?%s%s",
		 tables[t].cols, tables[t].name,
		 tables[t].order ? " ORDER BY " : "",
		 tables[t].order ? tables[t].order : "");
	rc = bph_db_prepare_stream(st->db, sql, &q);
	if (!rc)
		rc = bph_db_bind_int64(q, 1, snap);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		for (int i = 0; tables[t].types[i]; i++) {
			bool text = tables[t].types[i] == 'T';
			const char *s = text ? bph_db_column_text(q, i) : NULL;
			v[i].s = text ? (s ? s : "") : NULL;
			v[i].i = text ? 0 : bph_db_column_int64(q, i);
		}
		rc = fn(arg, v);
	}
	bph_db_finalize(q);
	return rc == BPH_DB_DONE ? 0 : rc;
}

int bph_data_rel_history(struct bph_store *st, uint32_t asn,
			 int (*fn)(void *arg, int64_t snap, const char *date,
				   uint32_t other, int rel, int as_b),
			 void *arg)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT s.id, s.date, r.a, r.b, r.rel FROM data_rel r"
	    " JOIN data_snapshots s ON s.id = r.snap"
	    " WHERE r.b = ? OR r.a = ? ORDER BY s.date, s.id, r.a, r.b",
	    &q);

	if (!rc)
		rc = bph_db_bind_int64(q, 1, asn);
	if (!rc)
		rc = bph_db_bind_int64(q, 2, asn);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW) {
		uint32_t a = (uint32_t)bph_db_column_int64(q, 2),
			 b = (uint32_t)bph_db_column_int64(q, 3);
		int as_b = b == asn;
		rc =
		    fn(arg, bph_db_column_int64(q, 0), bph_db_column_text(q, 1),
		       as_b ? a : b, (int)bph_db_column_int64(q, 4), as_b);
	}
	bph_db_finalize(q);
	return rc == BPH_DB_DONE ? 0 : rc;
}

int bph_data_origin_history(struct bph_store *st, uint32_t asn,
			    int (*fn)(void *arg, int64_t snap, const char *date,
				      const char *net, int n_origins),
			    void *arg)
{
	struct bph_db_stmt *q = NULL;
	int rc = bph_db_prepare(
	    st->db,
	    "SELECT s.id, s.date, p.net, (SELECT count(*) FROM data_prefix o"
	    " WHERE o.snap = p.snap AND o.seq = p.seq)"
	    " FROM data_prefix p JOIN data_snapshots s ON s.id = p.snap"
	    " WHERE p.asn = ? ORDER BY s.date, s.id, p.seq",
	    &q);

	if (!rc)
		rc = bph_db_bind_int64(q, 1, asn);
	while (!rc && (rc = bph_db_step(q)) == BPH_DB_ROW)
		rc = fn(arg, bph_db_column_int64(q, 0),
			bph_db_column_text(q, 1), bph_db_column_text(q, 2),
			(int)bph_db_column_int64(q, 3));
	bph_db_finalize(q);
	return rc == BPH_DB_DONE ? 0 : rc;
}
