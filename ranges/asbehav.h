/*
 * asbehav.h - how an autonomous system behaves, from snapshots of as-rel
 * and pfx2as taken over time (bphound asinfo --history) and from the
 * current registry data: the AS-level signals of the bulletproof-hosting
 * literature that offline files support. docs/guide.md ("AS behaviour")
 * defines each signal and cites where it comes from (ASwatch's rewiring
 * and fragmentation families, Testart et al.'s origin churn, the
 * leased-prefix inference of Du et al.).
 */
#ifndef BPH_RANGES_ASBEHAV_H
#define BPH_RANGES_ASBEHAV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ranges/ip.h"
#include "ranges/rdb.h"

/* The AS's providers in one as-rel snapshot (sorted, distinct). */
struct bph_as_relsnap {
	const char *date; /* YYYY-MM-DD; snapshots sorted by date */
	const uint32_t *providers;
	size_t n;
};

/* The prefixes the AS originated in one pfx2as snapshot (sorted by
 * first address, distinct), n_moas of them with other origins too. */
struct bph_as_pfxsnap {
	const char *date;
	const struct bph_range *prefixes;
	size_t n, n_moas;
};

/* Lifetimes of links or announcements: runs of consecutive snapshots. A
 * run lasts from its first snapshot's date to the date of the first
 * snapshot without it; a run still going at the last snapshot is counted
 * up to that date and marked ongoing. */
struct bph_lifetimes {
	size_t runs, ongoing;
	double min_days, median_days, max_days;
};

struct bph_as_history {
	size_t rel_snapshots, pfx_snapshots;
	/* rewiring (as-rel) */
	size_t distinct_providers;
	size_t provider_changes;   /* snapshots whose set differs from the
				      previous one */
	size_t provider_additions; /* a provider absent the snapshot before */
	size_t new_provider_additions; /* ... and never seen before */
	double new_provider_share;     /* the second over the first; 0 */
	struct bph_lifetimes provider_links;
	/* origin churn (pfx2as) */
	size_t distinct_prefixes;
	size_t origin_drops; /* snapshots with no prefix after some */
	double uptime;	     /* share of the snapshots between the first and
				the last sighting with a prefix */
	double moas_share;   /* of prefix sightings with other origins */
	struct bph_lifetimes announcements;
};

/*
 * Computes the history signals from rel[0..n_rel) and pfx[0..n_pfx)
 * (each sorted by date; either may be empty). Returns 0 or
 * BPH_ERR_NOMEM.
 */
int bph_as_history(const struct bph_as_relsnap *rel, size_t n_rel,
		   const struct bph_as_pfxsnap *pfx, size_t n_pfx,
		   struct bph_as_history *out);

/* Space signals of a set of originated prefixes (IPv4 only; IPv6 is
 * counted apart). */
struct bph_as_space {
	size_t prefixes_v4, prefixes_v6;
	double v4_addresses;	 /* announced, nested prefixes counted once */
	size_t prefixes_24;	 /* IPv4 prefixes of length 24 or longer */
	double share_in_24s;	 /* of the announced addresses */
	double bogon_share;	 /* in IANA special-purpose ranges */
	bool unassigned_known;	 /* delegated data was loaded */
	double unassigned_share; /* available, reserved or in no block */
};

/* Fills out for prefixes[0..n) with db's delegated data. */
void bph_as_space(const struct bph_rdb *db, const struct bph_range *prefixes,
		  size_t n, struct bph_as_space *out);

/* A prefix announced by an AS unrelated to the holder of its block. */
struct bph_leased {
	struct bph_range prefix;
	long leaf; /* the sub-allocation or assignment (inetnum id) */
	long root; /* the ALLOCATED PA block above it */
	const char *holder_org; /* the root's org */
	uint32_t holder_asn;	/* one of the holder's ASes */
};

/*
 * The prefixes of asn (prefixes[0..n)) that sit in a SUB-ALLOCATED PA or
 * ASSIGNED PA inetnum whose ALLOCATED PA holder has ASes (aut-num org or
 * sponsoring-org) none of which is asn, a sibling of asn (as2org) or a
 * provider of asn (as-rel): Du et al.'s leased-prefix test, RIPE variant.
 * Fills out (up to max); returns how many there are.
 */
size_t bph_as_leased(const struct bph_rdb *db, uint32_t asn,
		     const struct bph_range *prefixes, size_t n,
		     struct bph_leased *out, size_t max);

#endif
