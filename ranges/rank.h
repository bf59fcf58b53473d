/*
 * rank.h - ranking routed prefixes, origin ASes or their organisations by
 * deny-list density in the form of CIRCL's BGP Ranking (per list, the
 * addresses the list names in the unit times the list's weight, over the
 * addresses the unit routes; summed over lists), by the share of their
 * space on any list, and by the hosts bphound linked into multi-host
 * clusters. IPv4 only: IPv6 space would swamp every ratio.
 *
 * The space of a prefix is the addresses whose longest match it is (a
 * more specific prefix takes its addresses away); an AS routes the space
 * of every prefix it originates (a multi-origin prefix counts for each
 * origin); an organisation the space of its ASes (as2org). Entries of one
 * list that overlap count once. docs/guide.md ("Ranking") has the
 * formula with an example.
 */
#ifndef BPH_RANGES_RANK_H
#define BPH_RANGES_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ranges/rdb.h"

enum bph_rank_by {
	BPH_RANK_PREFIX,
	BPH_RANK_ASN,
	BPH_RANK_ORG,
};

struct bph_rank_list {
	const char *name; /* a list's snapshot name */
	double weight;	  /* impact; 1 by default */
};

/* A host of the store: its address and whether bphound linked it. */
struct bph_rank_host {
	uint32_t v4;
	bool linked; /* in a cluster of two hosts or more */
};

struct bph_rank_row {
	char unit[64];	  /* "192.0.2.0/24", "AS64500", "ORG-X" */
	const char *name; /* the AS's or organisation's name, "" */
	double space;	  /* IPv4 addresses routed */
	double *listed;	  /* per list of the ranking, addresses */
	double listed_any;
	double score;	     /* sum of weight x listed / space */
	double listed_share; /* listed_any / space */
	size_t hosts, linked;
	double linked_density; /* linked hosts / space */
	size_t prefixes;       /* prefixes in the unit */
};

struct bph_ranking {
	struct bph_rank_row *rows; /* score, then share, then linked, desc */
	size_t n;
	size_t n_lists;
	double *listed_store; /* rows' listed arrays */
};

/*
 * Ranks by by over db's current pfx2as (and as2org for organisations)
 * with lists[0..n_lists) and hosts[0..n_hosts); a unit with no listed
 * address and no host is left out. Returns 0, BPH_ERR_USAGE when a list
 * name is not loaded, BPH_ERR_NOMEM.
 */
int bph_rank(const struct bph_rdb *db, enum bph_rank_by by,
	     const struct bph_rank_list *lists, size_t n_lists,
	     const struct bph_rank_host *hosts, size_t n_hosts,
	     struct bph_ranking **out);

void bph_ranking_free(struct bph_ranking *r); /* NULL-safe */

#endif
