/*
 * report.h - abuse reports of one case (abuse/case.h): who receives one,
 * and the files bphound writes for each recipient. bphound never sends
 * mail: each report is an .eml file the user reads and sends, and a JSON
 * file beside it (docs/output.md "Abuse reports").
 *
 * Recipients (bph_report_plan):
 *  - the provider: each host's abuse mailbox (abuse/contacts.h: the most
 *    specific inetnum's abuse-c, then its organisation's, then each
 *    parent's), one recipient per distinct mailbox (compared without case)
 *    with the hosts it is responsible for;
 *  - with upstreams: each provider of the hosts' origin ASes, one per
 *    distinct mailbox, with the hosts behind it; its report cites the
 *    provider reports of the same hosts (id and date).
 * A mailbox that is not a plain address (abuse/mime.h) is never written:
 * the plan records it as skipped, with the host.
 *
 * Each .eml is multipart/mixed: a plain-text summary an abuse desk can act
 * on (abuse/report_text.c), one XARF v4 JSON per host (abuse/xarf.h), and
 * evidence.csv with every observation of the recipient's hosts.
 */
#ifndef BPH_ABUSE_REPORT_H
#define BPH_ABUSE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "abuse/case.h"
#include "fingerprints/buf.h"

/* What the reports say the hosts are: one XARF v4 category and type. */
struct bph_report_type {
	const char *name;	 /* --type */
	const char *category;	 /* XARF category */
	const char *type;	 /* XARF type */
	const char *threat_type; /* XARF threat_type */
	const char *summary;	 /* one line for --help and the text */
};

/* The registry, NULL-name terminated; the first is the default. */
extern const struct bph_report_type bph_report_types[];
/* The type named name, or NULL. */
const struct bph_report_type *bph_report_type_find(const char *name);

enum bph_rcpt_role {
	BPH_RCPT_PROVIDER = 1, /* holds the hosts' address space */
	BPH_RCPT_UPSTREAM = 2, /* transit provider of their origin AS */
};

/* How a recipient's address was found, and for which hosts. */
struct bph_rcpt_way {
	char how[600];
	size_t *hosts; /* case host indices */
	size_t n_hosts;
};

struct bph_rcpt {
	char mailbox[256];
	unsigned roles; /* BPH_RCPT_* */
	size_t *hosts;	/* provider: the hosts in its space */
	size_t n_hosts;
	size_t *up_hosts; /* upstream: the hosts behind it */
	size_t n_up_hosts;
	struct bph_rcpt_way *ways;
	size_t n_ways;
	uint32_t up_asn;     /* upstream: its ASN (the first one seen) */
	char up_name[128];   /* upstream: its AS name */
	bool up_asndrop;     /* upstream: on ASN-DROP */
	uint32_t *customers; /* upstream: the origin ASes it serves */
	size_t n_customers;
	size_t *cites; /* upstream: provider recipients cited */
	size_t n_cites;
	char report_id[40]; /* set by bph_report_write */
	char file[128];	    /* base name, without .eml or .json */
};

/* The provider's hosts, then the upstream's hosts not already among them, as
 * a new array the caller frees (NULL when out of memory; *n is then 0). */
size_t *bph_rcpt_hosts(const struct bph_rcpt *r, size_t *n);

struct bph_report_skip {
	size_t host;
	char what[600]; /* why this host has no recipient of that role */
};

struct bph_report_plan {
	struct bph_rcpt *r; /* providers first, then upstreams */
	size_t n;
	struct bph_report_skip *skipped;
	size_t n_skipped;
};

/*
 * Plans the recipients of k (borrowed, looked up): providers, and
 * upstreams when upstreams is set. out is zeroed first. Returns 0 or
 * BPH_ERR_NOMEM.
 */
int bph_report_plan(const struct bph_abuse_case *k, bool provider,
		    bool upstreams, struct bph_report_plan *out);
void bph_report_plan_free(struct bph_report_plan *p); /* zeroes it */

/* --dry-run: each recipient, its hosts and how its address was found,
 * then the hosts without a recipient; to out. */
void bph_report_dry_run(const struct bph_report_plan *p,
			const struct bph_abuse_case *k, FILE *out);

/* Who reports, and how. */
struct bph_report_opts {
	const char *contact; /* the reporter's address (addr-spec) */
	const char *org;     /* the reporter's name; NULL: the domain */
	const struct bph_report_type *type;
	const char *seed;      /* the host the case started from, or NULL */
	const char *generator; /* "bphound 0.1.0" */
	int64_t now;	       /* Unix seconds: the reports' date */
	const char *tz_name;   /* "UTC": times are written in UTC */
};

/*
 * Writes, for every recipient of p, outdir/<file>.eml and
 * outdir/<file>.json (outdir must exist), setting each recipient's
 * report_id and file. Lines "wrote PATH" go to log (may be NULL).
 * Returns 0, BPH_ERR_USAGE (o->contact is not an address), BPH_ERR_IO
 * (a file cannot be written; err names it), BPH_ERR_NOMEM,
 * BPH_ERR_CRYPTO.
 */
int bph_report_write(struct bph_report_plan *p, const struct bph_abuse_case *k,
		     const struct bph_report_opts *o, const char *outdir,
		     FILE *log, char *err, size_t errlen);

/* ---- the parts (abuse/report_text.c) ---- */

/*
 * The plain-text summary for recipient r (index ri of p): what was seen,
 * when (UTC), at which address and port, why the hosts are linked with
 * the values, how to verify each with standard tools, who reports; for
 * an upstream, the paragraph citing the provider reports. Appended to b.
 */
void bph_report_text(struct bph_sbuf *b, const struct bph_report_plan *p,
		     size_t ri, const struct bph_abuse_case *k,
		     const struct bph_report_opts *o);

/*
 * evidence.csv of hosts (case indices): ip, port, kind, value,
 * first_seen, last_seen (UTC, ISO 8601), hosts_sharing, linking (whether
 * the value ties hosts of the case together). RFC 4180 quoting; a field
 * starting with = + - @ gets a leading '. Appended to b.
 */
void bph_report_csv(struct bph_sbuf *b, const struct bph_abuse_case *k,
		    const size_t *hosts, size_t n_hosts);

/* "YYYY-MM-DD HH:MM:SS UTC" of t into out (32 bytes); "unknown" for 0. */
void bph_report_time(int64_t t, char *out, size_t outlen);

#endif
