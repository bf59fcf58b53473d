/*
 * denylist.h - deny lists built from a cluster or a ranking, with the
 * provenance of every entry, in the formats firewalls and list consumers
 * read.
 *
 * A deny list starts as sources: addresses or prefixes, each with where it
 * came from (the cluster and host, the evidence hashes that linked the
 * host, the public list entries that cover it and those lists' licences).
 * bph_denylist_build() aggregates the sources to the fewest prefixes (no
 * prefix shorter than the minimum length), after removing the allowlist
 * and, unless allowed, the special-purpose ranges (abuse/cidr.h), and
 * gives each entry the sources it covers. Every format writes the same
 * entries with the list's name, generation time and expiry; a list whose
 * licence is non-commercial or share-alike is named in every header
 * (docs/output.md "Deny lists" lists each format's fields).
 *
 * One registry (bph_deny_formats) lists the formats; the CLI lists them
 * beside the graph exporters of cluster/export.h.
 */
#ifndef BPH_ABUSE_DENYLIST_H
#define BPH_ABUSE_DENYLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "abuse/cidr.h"
#include "abuse/contacts.h"

/* One address or prefix to deny, with where it came from. */
struct bph_deny_source {
	struct bph_cidr cidr;
	uint32_t cluster; /* the cluster id, 0 when none (a ranking) */
	char *host;	  /* the host's address, or NULL for a prefix */
	char *unit;	 /* the ranking's unit ("AS64500", a prefix), or NULL */
	char **evidence; /* "kind:value" of what linked the host */
	size_t n_evidence;
	struct bph_abuse_listing *listings;
	size_t n_listings;
	const char *excluded; /* set by build: why it was left out, or NULL */
};

/* One output entry and the sources inside it. */
struct bph_deny_entry {
	struct bph_cidr cidr;
	size_t *src; /* indices into sources */
	size_t n_src;
};

struct bph_denylist {
	char *name;	   /* e.g. "cluster 3 of 198.18.10.10"; for headers */
	char *tag;	   /* short id: [a-z0-9_], e.g. "bph_c3"; set and table
			      names */
	char *generator;   /* e.g. "bphound 0.1.0" (default "bphound") */
	int64_t generated; /* Unix seconds */
	int64_t valid_until; /* Unix seconds */
	unsigned min_len4, min_len6;
	bool allow_special; /* special-purpose ranges were kept */
	struct bph_deny_source *sources;
	size_t n_sources, cap_sources;
	struct bph_deny_entry *entries;
	size_t n_entries;
	size_t n_excluded; /* sources wholly removed (allowlist, special) */
	bph_u128 n_addresses[2]; /* addresses covered, IPv4 and IPv6 */
};

/*
 * A new empty list named name with tag and generator (copied; tag is
 * lower-cased and reduced to [a-z0-9_], at most BPH_DENY_TAG_MAX bytes,
 * so that "TAG_v4_tmp" is a valid ipset name; generator may be NULL).
 * The name is cleaned to printable UTF-8. NULL on allocation failure.
 */
#define BPH_DENY_TAG_MAX 20
struct bph_denylist *bph_denylist_new(const char *name, const char *tag,
				      const char *generator);
void bph_denylist_free(struct bph_denylist *d); /* NULL-safe */

/*
 * Appends a source: cidr, the cluster id (0: none), host and unit (may be
 * NULL; copied). Returns its index (>= 0) or BPH_ERR_NOMEM.
 */
long bph_denylist_add(struct bph_denylist *d, const struct bph_cidr *cidr,
		      uint32_t cluster, const char *host, const char *unit);
/* Adds "kind:value" evidence to source i (copied). 0 or BPH_ERR_NOMEM. */
int bph_denylist_add_evidence(struct bph_denylist *d, size_t i,
			      const char *kind, const char *value);
/* Adds a copy of a list entry covering source i. 0 or BPH_ERR_NOMEM. */
int bph_denylist_add_listing(struct bph_denylist *d, size_t i,
			     const struct bph_abuse_listing *l);

struct bph_deny_build_opts {
	unsigned min_len4;	    /* never a prefix shorter (default 24) */
	unsigned min_len6;	    /* the same for IPv6 (default 48) */
	bool allow_special;	    /* keep special-purpose ranges */
	struct bph_rangeset *allow; /* removed; may be NULL; normalised */
	int64_t generated;	    /* Unix seconds */
	unsigned valid_days;	    /* expiry = generated + days */
	size_t max_entries;	    /* refuse more (BPH_ERR_TOOBIG) */
};

/*
 * Computes d's entries from its sources with o (borrowed): the sources'
 * union minus o->allow and, unless o->allow_special, the special-purpose
 * ranges, cut into the fewest prefixes. Sources wholly removed get
 * excluded set ("allowlist" or the special range's name). Returns 0,
 * BPH_ERR_NOMEM or BPH_ERR_TOOBIG.
 */
int bph_denylist_build(struct bph_denylist *d,
		       const struct bph_deny_build_opts *o);

/*
 * The distinct restricted licences of the listings behind d's entries,
 * as "list (licence)" strings joined by "; " into out (cut at outlen);
 * returns how many lists there are (0: out is "").
 */
size_t bph_denylist_restricted(const struct bph_denylist *d, char *out,
			       size_t outlen);

/* Writes d (built; borrowed) to out. Returns 0, BPH_ERR_IO or
 * BPH_ERR_NOMEM with a message in err. */
typedef int (*bph_deny_write_fn)(const struct bph_denylist *d, FILE *out,
				 char *err, size_t errlen);

struct bph_deny_format {
	const char *name;      /* on the command line */
	const char *extension; /* usual file extension, without the dot */
	const char *summary;   /* one line for --help */
	bph_deny_write_fn write;
};

extern const struct bph_deny_format bph_deny_denylist;
extern const struct bph_deny_format bph_deny_spamhaus;
extern const struct bph_deny_format bph_deny_netset;
extern const struct bph_deny_format bph_deny_nft;
extern const struct bph_deny_format bph_deny_ipset;
extern const struct bph_deny_format bph_deny_stix;

/* The registry, NULL-terminated. */
extern const struct bph_deny_format *const bph_deny_formats[];
/* The format named name, or NULL. */
const struct bph_deny_format *bph_deny_format_find(const char *name);

/*
 * Writes d's provenance as one JSON document (docs/output.md
 * "FILE.provenance.json"): the list's name, times and options, every
 * entry with its sources, and the excluded sources with why. format names
 * the file it describes. Returns 0, BPH_ERR_NOMEM or BPH_ERR_IO.
 */
int bph_denylist_write_provenance(const struct bph_denylist *d,
				  const char *format, FILE *out, char *err,
				  size_t errlen);

/*
 * The header every line format starts with, each line prefixed with
 * comment ("#" or ";") and a space: name, generator, generation time and
 * expiry, counts, options, and the restricted licences. Returns 0 or
 * BPH_ERR_IO.
 */
int bph_deny_write_header(const struct bph_denylist *d, FILE *out,
			  const char *comment);

/* "YYYY-MM-DDTHH:MM:SSZ" of t into out (21 bytes at least). */
void bph_deny_utc(int64_t t, char *out, size_t outlen);

#endif
