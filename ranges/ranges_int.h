/*
 * ranges_int.h - what the parsers of ranges/ share and nothing outside
 * the folder includes: the parse context, one line-handler table per kind
 * and the helpers every parser uses. The public contract is
 * ranges/parse.h.
 */
#ifndef BPH_RANGES_RANGES_INT_H
#define BPH_RANGES_RANGES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ranges/parse.h"

#define RPSL_MAX_ATTRS 64 /* attributes kept per object (the rest: skipped) */
#define RPSL_MAX_BYTES 65536 /* bytes kept per object */

struct rpsl_attr {
	char name[24];
	uint32_t off, len; /* value in the object's buffer */
};

/* The RPSL object being assembled, line by line. */
struct rpsl_obj {
	uint64_t first_line;
	size_t n_attrs;
	struct rpsl_attr attrs[RPSL_MAX_ATTRS];
	char buf[RPSL_MAX_BYTES];
	size_t used;
	bool overflow, bad;
	bool dropped_last; /* the last attribute did not fit */
};

struct pctx {
	const char *label;
	const struct bph_parse_opts *o;
	const struct bph_rsink *sink;
	struct bph_parse_result *res;
	uint64_t lineno;
	size_t messages;
	bool data_seen; /* a data line was read: the header is over */
	/* per-kind state */
	int section;	   /* as2org text: 1 organisations, 2 ASes */
	int col[8];	   /* feodo CSV: column of each field, -1 */
	bool have_columns; /* feodo CSV header read */
	struct rpsl_obj *obj;
};

struct kind_ops {
	enum bph_kind kind;
	const char *name;
	bool is_list;
	/* handles one line (not a comment or blank for line formats that
	 * have them: each handler decides); returns 0 or a stop code */
	int (*line)(struct pctx *p, char *s, size_t n);
	int (*finish)(struct pctx *p); /* optional */
	const char *licence;	       /* default note, "" none */
	unsigned licence_flags;
};

/* The table of kinds, indexed by enum bph_kind (parse_kinds.c). */
const struct kind_ops *bph_kind_ops(enum bph_kind k);

/*
 * Counts a malformed line (or object starting at line) and reports
 * "label:line: why" (up to max_messages). Returns BPH_ERR_FORMAT when
 * strict, else 0.
 */
int bph_reject_at(struct pctx *p, uint64_t line, const char *why);
int bph_reject(struct pctx *p, const char *why);

/* Notes what a header (comment) line says: a date, a copyright, terms. */
void bph_header_line(struct pctx *p, const char *s);

/* Splits s in place at sep into at most max fields; returns the count
 * (fields beyond max stay joined in the last one). */
size_t bph_split(char *s, char sep, char **f, size_t max);

/* s without leading and trailing blanks (in place; returns the start). */
char *bph_trim(char *s);

/* Strict decimal ASN ("AS" prefix allowed when as_prefix), 0..2^32-1. */
bool bph_parse_asn(const char *s, bool as_prefix, uint32_t *asn);

/* Parses "addr" or "addr/len"; counts host bits as a warning. */
bool bph_parse_net(struct pctx *p, const char *s, struct bph_range *r);

/* Records the parts a range adds (BPH_PART_V4 or _V6). */
void bph_note_family(struct pctx *p, const struct bph_range *r);

/* Sets the result's date from src unless a stronger source set it. */
void bph_set_date(struct pctx *p, const char date[11],
		  enum bph_date_source src);

/* Copies a licence/copyright note into the result (appends "; "). */
void bph_add_licence(struct pctx *p, const char *s);

/* The handlers of each family of formats. */
int bph_line_pfx2as(struct pctx *p, char *s, size_t n);
int bph_line_ip2asn(struct pctx *p, char *s, size_t n);
int bph_line_asrel(struct pctx *p, char *s, size_t n);
int bph_line_as2org(struct pctx *p, char *s, size_t n);
int bph_line_delegated(struct pctx *p, char *s, size_t n);
int bph_line_rpsl(struct pctx *p, char *s, size_t n);
int bph_finish_rpsl(struct pctx *p);
int bph_line_drop(struct pctx *p, char *s, size_t n);
int bph_line_asndrop(struct pctx *p, char *s, size_t n);
int bph_line_netset(struct pctx *p, char *s, size_t n);
int bph_line_feodo(struct pctx *p, char *s, size_t n);
int bph_line_dshield(struct pctx *p, char *s, size_t n);

/* Kind detection from the first lines (parse_detect.c). */
int bph_detect_lines(struct bph_lines *r, enum bph_kind *kind, char *err,
		     size_t errlen);

#define EMIT(p, cb, row)                                                       \
	((p)->sink && (p)->sink->cb                                            \
	     ? ((p)->res->records++, (p)->sink->cb((p)->sink->ctx, (row)))     \
	     : ((p)->res->records++, 0))

/* ---- the in-memory database (rdb.c, rdb_lookup.c, rdb_abuse.c) ---- */

#include "ranges/ipmap.h"
#include "ranges/rdb.h"

/* Interned strings: offsets into one buffer, 0 is "". */
struct strpool {
	char *buf;
	size_t len, cap;
	uint32_t *slots; /* open addressing: offset + 1, 0 empty */
	size_t n_slots, used;
};

int bph_sp_init(struct strpool *sp);
void bph_sp_free(struct strpool *sp);
/* The offset of s (added when new); UINT32_MAX on ENOMEM. */
uint32_t bph_sp_add(struct strpool *sp, const char *s);
/* The offset of s when interned, else UINT32_MAX. */
uint32_t bph_sp_find(const struct strpool *sp, const char *s);
static inline const char *bph_sp_get(const struct strpool *sp, uint32_t off)
{
	return sp->buf + off;
}

struct r_pfx {
	struct bph_range net;
	uint32_t orig, n_orig, src;
	int32_t parent;
};
struct r_asrange {
	struct bph_range net;
	uint32_t asn, cc, name, src;
};
struct r_deleg {
	struct bph_range net; /* ASN blocks: first..last ASN, fam 0 */
	uint32_t registry, cc, date, status, opaque, src;
};
struct r_inetnum {
	struct bph_range net;
	uint32_t netname, descr, country, org, status, abuse_c, mnt_irt,
	    abuse_mailbox, source, src;
	int32_t parent;
};
struct r_entry {
	struct bph_range net;
	uint32_t text, ref, info, date, src;
	int32_t parent;
};
struct r_rel {
	uint32_t a, b, source, src;
	int rel;
};
struct r_org {
	uint32_t org_id, changed, name, cc, source, src;
};
struct r_asorg {
	uint32_t asn, changed, name, org_id, opaque, source, src;
};
struct r_rpsl_org {
	uint32_t org_id, name, country, abuse_c, abuse_mailbox, source, src;
};
struct r_contact {
	uint32_t handle, cls, name, abuse_mailbox, source, src;
};
struct r_autnum {
	uint32_t asn, as_name, org, sponsoring_org, abuse_c, mnt_irt, source,
	    src;
};
struct r_asn_entry {
	uint32_t asn, name, cc, domain, rir, src;
};

/* A growable array of fixed-size elements. */
struct vec {
	void *v;
	size_t n, cap, size;
};
/* A pointer to a new zeroed element at the end, NULL on ENOMEM. */
void *bph_vec_push(struct vec *x);
#define VEC_AT(x, type, i) (((type *)(x)->v)[i])

/* Ranges of one kind in one family, mapped for longest match. */
struct rmap {
	uint32_t *ids; /* map item -> element index */
	struct bph_ipmap *map;
};

struct asn_pfx {
	uint32_t asn, pfx;
};

struct rsrc {
	struct bph_rsource pub; /* strings: set from the offsets at finish */
	uint32_t name, date, file, licence;
	uint32_t idx;
	struct bph_rdb *db; /* the sink's context */
	int rc;		    /* first failure of a sink callback */
};

struct bph_rdb {
	struct strpool sp;
	struct vec srcs; /* struct rsrc *, stable addresses */
	struct vec pfx, asrange, deleg_ip, deleg_asn, inetnum, entry;
	struct vec origins; /* struct bph_origin */
	struct vec rel, org, asorg, rpsl_org, contact, autnum, asn_entry;
	struct rmap m_pfx[2], m_asrange[2], m_deleg[2], m_inetnum[2],
	    m_entry[2];
	uint32_t *rel_by_a, *rel_by_b; /* sorted element indices */
	struct asn_pfx *pfx_by_origin; /* (origin, prefix), by ASN */
	size_t n_pfx_by_origin;
	uint32_t *asorg_by_org; /* asorg sorted by org_id */
	bool finished;
	unsigned kinds; /* bit per enum bph_kind with rows */
	/* offsets of the statuses the lookups compare (UINT32_MAX: absent) */
	uint32_t st_sub_allocated, st_allocated, st_assigned;
};

/* The rmap of fam (0 for IPv4, 1 for IPv6). */
static inline int fam_slot(uint8_t fam)
{
	return fam == BPH_FAM_V4 ? 0 : 1;
}

/* Index of the element of m covering v, or -1. */
int32_t bph_rmap_find(const struct rmap *m, bph_u128 v);

/* Binary searches (rdb_lookup.c): the first element of a vector sorted by
 * key whose key equals k, or -1. */
long bph_find_org(const struct bph_rdb *db, const struct vec *x,
		  const char *org_id);
long bph_find_asn(const struct vec *x, size_t off, uint32_t asn);
/* First position in rel_by_b (by_b) or rel_by_a whose b (or a) >= asn. */
size_t bph_rel_lower(const struct bph_rdb *db, bool by_b, uint32_t asn);

/* The source index of element src field. */
static inline const struct bph_rsource *rdb_src(const struct bph_rdb *db,
						uint32_t i)
{
	return &(VEC_AT(&db->srcs, struct rsrc *, i))->pub;
}

#define S(db, off) bph_sp_get(&(db)->sp, (off))

#endif
