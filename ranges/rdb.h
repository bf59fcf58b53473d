/*
 * rdb.h - routing, registry and deny-list data in memory, and the lookups
 * that annotate hosts, scope scans, rank ranges and address abuse reports.
 *
 * An rdb is filled through sinks (ranges/rows.h), one per source: a file
 * just parsed, or a snapshot loaded from the store (cli/data_glue.c loads
 * the current snapshot of each kind). bph_rdb_finish() then builds the
 * lookup structures; after it the rdb is read-only and every lookup is
 * safe from several threads. Strings returned by lookups point into the
 * rdb and live until bph_rdb_free(); a missing value is "" (never NULL).
 *
 * Semantics pinned by tests/unit/test_ranges_rdb.c:
 *  - as-rel "A|B|-1": A is B's PROVIDER; the upstreams of X are every A
 *    with A|X|-1;
 *  - pfx2as multi-origin prefixes keep every origin, in the file's order
 *    (the first is CAIDA's primary);
 *  - the abuse mailbox of an address is found the RIPE way (Abuse Finder
 *    order): the most specific inetnum's abuse-c, then the abuse-c of its
 *    organisation (org:), then its irt (mnt-irt:, APNIC), then an
 *    abuse-mailbox written on the object itself; then the same on each
 *    less specific parent, up to the top.
 *
 * docs/guide.md, "From a cluster to its networks", shows what each lookup
 * prints; docs/output.md names the fields.
 */
#ifndef BPH_RANGES_RDB_H
#define BPH_RANGES_RDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ranges/ip.h"
#include "ranges/parse.h"
#include "ranges/rows.h"

struct bph_rdb;

/* Where a set of rows came from. */
struct bph_rsource {
	enum bph_kind kind;
	const char *name;	/* the snapshot's name ("spamhaus-drop") */
	const char *date;	/* YYYY-MM-DD */
	const char *file;	/* the file it was read from */
	const char *licence;	/* licence note, "" */
	unsigned licence_flags; /* BPH_LIC_* */
	int64_t id;		/* the store's snapshot id, 0 when none */
};

/* ---- building ---- */

/* A new, empty rdb into *out. Returns 0 or BPH_ERR_NOMEM. */
int bph_rdb_new(struct bph_rdb **out);

/* Frees the rdb and everything lookups returned; NULL is a no-op. */
void bph_rdb_free(struct bph_rdb *db);

/*
 * Registers a source (strings copied) and fills *sink with callbacks that
 * add rows tagged with it; the sink stays valid until bph_rdb_finish().
 * Returns 0, BPH_ERR_NOMEM, or BPH_ERR_USAGE after finish.
 */
int bph_rdb_begin(struct bph_rdb *db, const struct bph_rsource *src,
		  struct bph_rsink *sink);

/*
 * Builds the lookup structures. Returns 0 or BPH_ERR_NOMEM; lookups
 * before it find nothing.
 */
int bph_rdb_finish(struct bph_rdb *db);

/* Number of sources and the i-th (strings owned by the rdb). */
size_t bph_rdb_n_sources(const struct bph_rdb *db);
const struct bph_rsource *bph_rdb_source(const struct bph_rdb *db, size_t i);

/* Whether any row of the kind was loaded. */
bool bph_rdb_has(const struct bph_rdb *db, enum bph_kind kind);

/* ---- routing: pfx2as, ip2asn, as2org, delegated ---- */

struct bph_route {
	struct bph_range prefix;	  /* the longest matching prefix */
	const struct bph_origin *origins; /* all origins, file order */
	size_t n_origins;
	uint32_t asn;	     /* the first (primary) origin */
	const char *as_name; /* as2org, else aut-num, else ip2asn */
	const char *org_id, *org_name;
	const char *country; /* the organisation's, else ip2asn's */
	const char *rir;     /* registry of the delegated block, else the
				as2org source */
	size_t src;	     /* index of the pfx2as (or ip2asn) source */
	bool from_ip2asn;    /* no pfx2as prefix: the ip2asn range */
};

/*
 * The route of a: longest-prefix match over the pfx2as prefixes (the
 * ip2asn ranges when no prefix covers a). Returns true when found.
 */
bool bph_rdb_route(const struct bph_rdb *db, const struct bph_addr *a,
		   struct bph_route *out);

/* Number of pfx2as prefixes loaded; ids run from 0 to it. */
size_t bph_rdb_n_prefixes(const struct bph_rdb *db);

/* The pfx2as prefix with id (bph_rdb_ids(), bph_rdb_walk_routed()) as a
 * route: prefix, origins and the primary origin's names. */
bool bph_rdb_prefix(const struct bph_rdb *db, int32_t id,
		    struct bph_route *out);

/*
 * Walks the address space of fam in segments, each with the id of its
 * longest pfx2as prefix (-1: not routed), in address order; stops at a
 * non-zero return of fn and returns it.
 */
int bph_rdb_walk_routed(const struct bph_rdb *db, uint8_t fam,
			int (*fn)(bph_u128 first, bph_u128 last, int32_t id,
				  void *arg),
			void *arg);

/* The raw longest-prefix match of an IPv4 address (host order) over the
 * pfx2as prefixes: an opaque prefix id, or -1. The benchmark's path. */
int32_t bph_rdb_lpm4(const struct bph_rdb *db, uint32_t v);

/*
 * The ids of what covers a (each -1 when nothing does): the longest
 * pfx2as prefix, the ip2asn range, the delegated block, the most specific
 * inetnum and list entry. Two addresses with equal ids get equal routes,
 * registrations, upstreams and list hits, so callers cache per ids
 * (cli/annotate.c).
 */
struct bph_rdb_ids {
	int32_t prefix, asrange, deleg, inetnum, entry;
};
void bph_rdb_ids(const struct bph_rdb *db, const struct bph_addr *a,
		 struct bph_rdb_ids *out);

/* AS facts from as2org (else aut-num, ip2asn, ASN-DROP names). */
struct bph_asinfo {
	uint32_t asn;
	const char *name, *org_id, *org_name, *country, *source;
};
/* Fills out for asn; returns true when anything is known about it. */
bool bph_rdb_asinfo(const struct bph_rdb *db, uint32_t asn,
		    struct bph_asinfo *out);

/*
 * The ASes sharing asn's as2org organisation (asn itself excluded), sorted,
 * into out (up to max); returns how many there are (may exceed max).
 */
size_t bph_rdb_siblings(const struct bph_rdb *db, uint32_t asn, uint32_t *out,
			size_t max);

/*
 * Calls fn(prefix, arg) for each pfx2as prefix asn originates (alone or
 * among several origins), in address order; stops at a non-zero return
 * and returns it.
 */
int bph_rdb_prefixes_of(const struct bph_rdb *db, uint32_t asn,
			int (*fn)(const struct bph_range *prefix, void *arg),
			void *arg);

/* The delegated block covering a (registry, cc, status, date), if any. */
struct bph_deleg {
	struct bph_range net;
	const char *registry, *cc, *status, *date, *opaque_id;
};
bool bph_rdb_delegated(const struct bph_rdb *db, const struct bph_addr *a,
		       struct bph_deleg *out);

/*
 * How much of r lies in delegated blocks that are allocated or assigned
 * (*assigned) and how much does not (*other: available, reserved, or in
 * no block), in addresses. Both 0 when no delegated data is loaded.
 */
void bph_rdb_deleg_coverage(const struct bph_rdb *db, const struct bph_range *r,
			    double *assigned, double *other);

/* ---- AS relationships: as-rel ---- */

enum bph_rel_dir {
	BPH_REL_PROVIDERS, /* upstreams: A with A|asn|-1 */
	BPH_REL_CUSTOMERS, /* B with asn|B|-1 */
	BPH_REL_PEERS,	   /* asn|B|0 or B|asn|0 */
};

/*
 * The neighbours of asn in direction dir, sorted, into out (up to max);
 * returns how many there are (may exceed max).
 */
size_t bph_rdb_neighbours(const struct bph_rdb *db, uint32_t asn,
			  enum bph_rel_dir dir, uint32_t *out, size_t max);

/* ---- registration: RPSL inetnum, organisation, role, irt, aut-num ---- */

struct bph_inetnum {
	long id;     /* opaque; bph_rdb_inetnum_get(db, parent) walks up */
	long parent; /* the next less specific inetnum, -1 at the top */
	struct bph_range net;
	const char *netname, *descr, *country, *org, *org_name, *status;
	const char *abuse_c, *mnt_irt, *abuse_mailbox, *source;
	bool sub_allocation; /* status SUB-ALLOCATED PA, or an ASSIGNED PA
				under a less specific SUB-ALLOCATED PA:
				space a reseller got from an LIR */
	size_t src;
};

/* The most specific inetnum/inet6num covering a; true when found. */
bool bph_rdb_inetnum(const struct bph_rdb *db, const struct bph_addr *a,
		     struct bph_inetnum *out);
/* The inetnum with id (from a previous lookup's id or parent). */
bool bph_rdb_inetnum_get(const struct bph_rdb *db, long id,
			 struct bph_inetnum *out);

/* The ASes whose aut-num names org_id as org or sponsoring-org, sorted,
 * into out (up to max); returns how many there are. */
size_t bph_rdb_org_asns(const struct bph_rdb *db, const char *org_id,
			uint32_t *out, size_t max);

/* How an abuse mailbox was found (docs/output.md, "abuse"). */
enum bph_abuse_how {
	BPH_ABUSE_VIA_ABUSE_C,	 /* the object's abuse-c role */
	BPH_ABUSE_VIA_ORG,	 /* the abuse-c of the object's org */
	BPH_ABUSE_VIA_IRT,	 /* the object's mnt-irt irt object */
	BPH_ABUSE_VIA_ATTRIBUTE, /* abuse-mailbox: on the object itself */
};

struct bph_abuse {
	const char *mailbox;
	enum bph_abuse_how how;
	unsigned depth; /* 0: the most specific object; 1: its parent ... */
	char object[BPH_RANGE_STRLEN + 16]; /* "inetnum 192.0.2.0 - ..." or
					       "aut-num AS64496" */
	const char *handle; /* the role's nic-hdl or the irt's name, "" */
	const char *org_id; /* VIA_ORG: the organisation, "" */
	size_t src;
};

/* Names of enum bph_abuse_how: "abuse-c", "org abuse-c", "irt",
 * "abuse-mailbox attribute". */
const char *bph_abuse_how_name(enum bph_abuse_how how);

/*
 * "abuse-c EXAB1-RIPE of inetnum 198.51.100.0 - 198.51.100.255 (parent 1)"
 * : how a was found, one line, into buf.
 */
void bph_abuse_describe(const struct bph_abuse *a, char *buf, size_t len);

/*
 * Every abuse mailbox for address a in the RIPE order (see the top of this
 * file), distinct mailboxes only, the first being the one to write to,
 * into out (up to max); returns how many were found (may exceed max).
 */
size_t bph_rdb_abuse_addr(const struct bph_rdb *db, const struct bph_addr *a,
			  struct bph_abuse *out, size_t max);

/*
 * The same for an AS: its aut-num's abuse-c, then the abuse-c of its org,
 * then its mnt-irt; an AS without aut-num falls back to the as2org
 * organisation's RPSL abuse-c when the org ids match.
 */
size_t bph_rdb_abuse_asn(const struct bph_rdb *db, uint32_t asn,
			 struct bph_abuse *out, size_t max);

/* ---- deny lists ---- */

struct bph_list_hit {
	const char *list;  /* the list's name */
	const char *entry; /* the entry as written */
	struct bph_range net;
	const char *ref;  /* SBL id, malware family, "" */
	const char *info; /* other columns ("rir=ripencc", "port=443 ...") */
	const char *date; /* the entry's date, else the list's */
	const char *list_date;
	const char *licence;
	unsigned licence_flags; /* BPH_LIC_* */
	enum bph_kind kind;
	size_t src;
};

/*
 * Every list entry covering a, most specific first, into out (up to max);
 * returns how many there are (may exceed max).
 */
size_t bph_rdb_listed(const struct bph_rdb *db, const struct bph_addr *a,
		      struct bph_list_hit *out, size_t max);

struct bph_asn_hit {
	const char *list;
	uint32_t asn;
	const char *name, *cc, *domain, *rir;
	const char *list_date, *licence;
	unsigned licence_flags;
	size_t src;
};

/* ASN lists (ASN-DROP) naming asn, into out (up to max); returns the
 * count. */
size_t bph_rdb_asn_listed(const struct bph_rdb *db, uint32_t asn,
			  struct bph_asn_hit *out, size_t max);

/*
 * Calls fn for every entry of the lists named in names (NULL: all lists),
 * per family in address order; stops at a non-zero return.
 */
int bph_rdb_list_entries(const struct bph_rdb *db, const char *const *names,
			 size_t n_names,
			 int (*fn)(const struct bph_list_hit *hit, void *arg),
			 void *arg);

/* ---- upstreams, for reports and annotations ---- */

struct bph_upstream {
	uint32_t asn;
	const char *name, *org_name;
	const char *rel_source; /* as-rel serial-2 source ("bgp"), "" */
	struct bph_abuse abuse; /* valid when has_abuse */
	bool has_abuse;
	bool asn_listed;	    /* on an ASN list (ASN-DROP) */
	struct bph_asn_hit listing; /* valid when asn_listed */
};

/*
 * The providers of asn (as-rel A|asn|-1) with their names, abuse mailbox
 * (bph_rdb_abuse_asn's first) and ASN-DROP listing, sorted by ASN, into
 * out (up to max); returns how many there are (may exceed max).
 */
size_t bph_rdb_upstreams(const struct bph_rdb *db, uint32_t asn,
			 struct bph_upstream *out, size_t max);

#endif
