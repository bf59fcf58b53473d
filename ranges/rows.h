/*
 * rows.h - the records the data-file parsers emit, one struct per kind of
 * fact, and the sink that receives them.
 *
 * A parser (ranges/parse.h) calls the sink's callback for each record it
 * reads; the in-memory database (ranges/rdb.h) and the store's import
 * (cli/data_glue.c, store/data_store.h) are sinks. Strings are borrowed
 * for the duration of the call and are NUL-terminated; a missing value is
 * "" (never NULL). Formats and their sources: docs/guide.md, "From a
 * cluster to its networks".
 */
#ifndef BPH_RANGES_ROWS_H
#define BPH_RANGES_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "ranges/ip.h"

/* One origin of a pfx2as prefix: MOAS origins ('_') have distinct groups,
 * the members of one AS set (',') share a group. */
struct bph_origin {
	uint32_t asn;
	uint16_t group;
};

/* pfx2as: a routed prefix and its origins, in the file's order (CAIDA
 * sorts MOAS origins by how often each was seen: the first is primary). */
struct bph_row_prefix {
	struct bph_range net;
	const struct bph_origin *origins;
	size_t n_origins;
};

/* ip2asn (iptoasn.com): an inclusive range, its AS (0: not routed). */
struct bph_row_asrange {
	struct bph_range net;
	uint32_t asn;
	const char *cc;	  /* "" or "None" as in the file */
	const char *name; /* AS description */
};

/* as-rel: rel -1 means a is the PROVIDER of b; 0 means peers. */
struct bph_row_rel {
	uint32_t a, b;
	int rel;
	const char *source; /* serial-2's 4th column ("bgp", "mlp", ...),
			       "" in serial-1 */
};

/* as2org: an organisation. */
struct bph_row_org {
	const char *org_id, *changed, *name, *cc, *source;
};

/* as2org: an AS and its organisation. */
struct bph_row_asorg {
	uint32_t asn;
	const char *changed, *name, *org_id, *opaque_id, *source;
};

/* RIR delegated-extended: an IP range (type ipv4/ipv6) or an ASN block
 * (type asn: asn_first .. asn_first + asn_count - 1). */
struct bph_row_deleg {
	const char *registry, *cc, *type, *date, *status, *opaque_id;
	struct bph_range net; /* ipv4/ipv6 only */
	uint32_t asn_first, asn_count;
};

/* RPSL inetnum / inet6num. */
struct bph_row_inetnum {
	struct bph_range net;
	const char *netname, *descr, *country, *org, *status;
	const char *abuse_c;	   /* nic-hdl of the abuse role, "" if none */
	const char *mnt_irt;	   /* first irt (APNIC), "" if none */
	const char *abuse_mailbox; /* on the object itself (old style) */
	const char *source;
};

/* RPSL organisation. */
struct bph_row_rpsl_org {
	const char *org_id, *name, *country, *abuse_c, *abuse_mailbox, *source;
};

/* RPSL role or irt: something an abuse-c or mnt-irt points at. */
struct bph_row_contact {
	const char *handle; /* role: nic-hdl; irt: the irt name */
	const char *cls;    /* "role" or "irt" */
	const char *name;   /* role: the role's name */
	const char *abuse_mailbox;
	const char *source;
};

/* RPSL aut-num. */
struct bph_row_autnum {
	uint32_t asn;
	const char *as_name, *org, *sponsoring_org, *abuse_c, *mnt_irt, *source;
};

/* A deny-list entry covering addresses (DROP, netset, plain, feodo,
 * dshield). */
struct bph_row_entry {
	struct bph_range net;
	const char *text; /* the entry as written ("192.0.2.0/24") */
	const char *ref;  /* SBL id, malware family, "" */
	const char *info; /* other columns worth citing, "" */
	const char *date; /* the entry's own date (YYYY-MM-DD), "" */
};

/* A deny-list entry naming an AS (ASN-DROP). */
struct bph_row_asn_entry {
	uint32_t asn;
	const char *name, *cc, *domain, *rir;
};

/* Receives records; any callback may be NULL (that record is dropped). A
 * non-zero return stops the parse and is returned by it. */
struct bph_rsink {
	void *ctx;
	int (*prefix)(void *ctx, const struct bph_row_prefix *r);
	int (*asrange)(void *ctx, const struct bph_row_asrange *r);
	int (*rel)(void *ctx, const struct bph_row_rel *r);
	int (*org)(void *ctx, const struct bph_row_org *r);
	int (*asorg)(void *ctx, const struct bph_row_asorg *r);
	int (*deleg)(void *ctx, const struct bph_row_deleg *r);
	int (*inetnum)(void *ctx, const struct bph_row_inetnum *r);
	int (*rpsl_org)(void *ctx, const struct bph_row_rpsl_org *r);
	int (*contact)(void *ctx, const struct bph_row_contact *r);
	int (*autnum)(void *ctx, const struct bph_row_autnum *r);
	int (*entry)(void *ctx, const struct bph_row_entry *r);
	int (*asn_entry)(void *ctx, const struct bph_row_asn_entry *r);
};

#endif
