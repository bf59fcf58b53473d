/*
 * data_store.h - routing, registry and deny-list snapshots in the store
 * (the "data" module of store/schema.c; what the tables hold is in
 * docs/output.md, "Data snapshots").
 *
 * Every imported file is one snapshot: a row of data_snapshots (kind,
 * name, date, counts, licence note) and its rows in the data tables
 * below, written in one transaction, so a failed import leaves nothing.
 * Snapshots are never replaced: importing a newer file adds history, and
 * the CLI loads the newest snapshot of each (kind, name, part) as the
 * current data (cli/data_glue.c). The store knows the tables and their
 * columns only; ranges/ parses the files and the CLI joins the two.
 *
 * A row is an array of values, one per column, in the order listed for
 * each table; a column is text (v.s, never NULL) or an integer (v.i), as
 * marked. Addresses are text: "a.b.c.d/len" for a prefix, and the first
 * and last addresses of a range.
 */
#ifndef BPH_STORE_DATA_STORE_H
#define BPH_STORE_DATA_STORE_H

#include <stddef.h>
#include <stdint.h>

struct bph_store;

enum bph_data_table {
	BPH_DT_PREFIX,	  /* pfx2as: net T, asn I, grp I, pos I, seq I; one
			     row per origin, rows of a prefix share seq and
			     count pos from 0 */
	BPH_DT_ASRANGE,	  /* ip2asn: first T, last T, asn I, cc T, name T */
	BPH_DT_REL,	  /* as-rel: a I, b I, rel I (-1: a provides b;
			     0: peers), source T */
	BPH_DT_ORG,	  /* as2org: org_id T, changed T, name T, cc T,
			     source T */
	BPH_DT_ASORG,	  /* as2org: asn I, changed T, name T, org_id T,
			     opaque_id T, source T */
	BPH_DT_DELEG,	  /* delegated: registry T, cc T, type T, first T,
			     last T (type asn: the ASNs), date T, status T,
			     opaque_id T */
	BPH_DT_INETNUM,	  /* rpsl: first T, last T, netname T, descr T,
			     country T, org T, status T, abuse_c T,
			     mnt_irt T, abuse_mailbox T, source T */
	BPH_DT_RPSL_ORG,  /* rpsl: org_id T, name T, country T, abuse_c T,
			     abuse_mailbox T, source T */
	BPH_DT_CONTACT,	  /* rpsl role/irt: handle T, cls T, name T,
			     abuse_mailbox T, source T */
	BPH_DT_AUTNUM,	  /* rpsl: asn I, as_name T, org T, sponsoring_org T,
			     abuse_c T, mnt_irt T, source T */
	BPH_DT_ENTRY,	  /* lists: first T, last T, text T, ref T, info T,
			     date T */
	BPH_DT_ASN_ENTRY, /* ASN lists: asn I, name T, cc T, domain T, rir T */
	BPH_DT_COUNT
};

#define BPH_DATA_MAX_COLS 11

struct bph_data_val {
	int64_t i;
	const char *s;
};

/* The number of columns of table t. */
size_t bph_data_cols(enum bph_data_table t);

/* One imported file. */
struct bph_data_snapshot {
	int64_t id;		 /* set by the store */
	const char *kind;	 /* "pfx2as", "drop", ... */
	const char *name;	 /* the user's name for it */
	const char *date;	 /* YYYY-MM-DD */
	const char *date_source; /* metadata, header, name, mtime, option */
	const char *file;	 /* the path it was read from */
	const char *compression; /* none, gzip, bzip2 */
	const char *licence;	 /* the licence note, "" */
	const char *origin;	 /* who published it, as the file says */
	int64_t imported;	 /* Unix time of the import */
	int64_t lines, records, rejected, warnings;
	int64_t parts;	       /* BPH_PART_* of ranges/parse.h */
	int64_t licence_flags; /* BPH_LIC_* */
};

struct bph_data_import;

/*
 * Starts the import of one snapshot (s's strings are copied; its counts
 * are set by the commit) in one write transaction. Returns 0,
 * BPH_ERR_PERM (a read-only store) or another BPH_ERR_* with err.
 */
int bph_data_import_begin(struct bph_store *st,
			  const struct bph_data_snapshot *s,
			  struct bph_data_import **out, char *err,
			  size_t errlen);

/* Adds one row of table t (values as listed above, borrowed). */
int bph_data_put(struct bph_data_import *imp, enum bph_data_table t,
		 const struct bph_data_val *v);

/*
 * Stores what the parse found (done's name, date, date_source, origin,
 * licence, licence_flags, lines, records, rejected, warnings, parts),
 * commits and frees imp;
 * *id gets the snapshot's id. On failure nothing of the snapshot stays.
 */
int bph_data_import_commit(struct bph_data_import *imp,
			   const struct bph_data_snapshot *done, int64_t *id,
			   char *err, size_t errlen);

/* Rolls back and frees; NULL-safe. */
void bph_data_import_abort(struct bph_data_import *imp);

/*
 * Calls fn for every snapshot, ordered by kind, name, date and id; stops
 * at a non-zero return and returns it. The strings are valid during the
 * call only.
 */
int bph_data_snapshots(struct bph_store *st,
		       int (*fn)(void *arg, const struct bph_data_snapshot *s),
		       void *arg);

/*
 * Calls fn for every row of table t in snapshot snap (prefix rows in file
 * order); stops at a non-zero return and returns it. Values are valid
 * during the call only.
 */
int bph_data_rows(struct bph_store *st, int64_t snap, enum bph_data_table t,
		  int (*fn)(void *arg, const struct bph_data_val *v),
		  void *arg);

/*
 * The relations of asn over every as-rel snapshot: fn(arg, snap, date,
 * other, rel, as_b) for each row where asn is b (as_b true: other is a)
 * or a, ordered by date and snapshot. For timelines of providers,
 * customers and peers (bphound asinfo --history).
 */
int bph_data_rel_history(struct bph_store *st, uint32_t asn,
			 int (*fn)(void *arg, int64_t snap, const char *date,
				   uint32_t other, int rel, int as_b),
			 void *arg);

/*
 * The prefixes asn originated over every pfx2as snapshot: fn(arg, snap,
 * date, net, n_origins) ordered by date and snapshot, n_origins the
 * number of origins the prefix had (MOAS when above one).
 */
int bph_data_origin_history(struct bph_store *st, uint32_t asn,
			    int (*fn)(void *arg, int64_t snap, const char *date,
				      const char *net, int n_origins),
			    void *arg);

#endif
