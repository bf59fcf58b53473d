/*
 * lookup_ranges.h - the lookups of abuse/contacts.h answered from an
 * rdb (ranges/rdb.h): what `bphound report` and the deny lists use once
 * `bphound data import` has loaded registry, routing and list files.
 */
#ifndef BPH_ABUSE_LOOKUP_RANGES_H
#define BPH_ABUSE_LOOKUP_RANGES_H

#include <stddef.h>

#include "abuse/contacts.h"
#include "abuse/denylist.h"
#include "abuse/rankfile.h"

struct bph_rdb;

/*
 * Fills l with lookups over db (borrowed, finished; must outlive l):
 *  - contact: the first mailbox of bph_rdb_abuse_addr() (the RIPE order)
 *    that is a plain address (abuse/mime.h), with how it was found
 *    (bph_abuse_describe(), plus the mailboxes skipped before it), the
 *    most specific inetnum as resource and its netname and organisation
 *    as holder;
 *  - upstreams: the providers (as-rel) of every origin AS of the address's
 *    route, each with its AS name, ASN-DROP status and first usable
 *    mailbox of bph_rdb_abuse_asn();
 *  - listings: every list entry covering the address (bph_rdb_listed())
 *    with its id, date and licence; restricted when the licence is
 *    non-commercial or share-alike.
 */
void bph_abuse_lookup_rdb(struct bph_abuse_lookup *l, const struct bph_rdb *db);

/*
 * Adds the units of a ranking (abuse/rankfile.h) to d as sources tagged
 * with the unit: a prefix as itself; an AS as every pfx2as prefix it
 * originates (alone or among several origins); an organisation as every
 * prefix originated by an AS whose as2org organisation it is. db may be
 * NULL (prefixes only). *unmatched counts the units that gave no prefix.
 * Returns 0 or BPH_ERR_NOMEM.
 */
int bph_abuse_deny_units(struct bph_denylist *d, const struct bph_rank_unit *u,
			 size_t n, const struct bph_rdb *db, size_t *unmatched);

/*
 * Gives every source of d each entry of db's lists that overlaps it (its
 * list, entry, id, date, licence; restricted when non-commercial or
 * share-alike). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_abuse_deny_listings(struct bph_denylist *d, const struct bph_rdb *db);

#endif
