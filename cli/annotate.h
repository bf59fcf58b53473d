/*
 * annotate.h - the networks of every host and cluster: routing (prefix,
 * origins, AS and organisation, country, RIR), registration (the most
 * specific inetnum, whether it is a sub-allocation, its abuse mailbox and
 * how it was found), upstreams (the origin's providers with their abuse
 * mailboxes and ASN-DROP status) and deny-list hits, from an rdb
 * (ranges/rdb.h). Per cluster of two hosts or more: its ASes, prefixes,
 * registrants, upstreams and the share of its hosts on each list, with a
 * remark when it spans several ASes or registrants. The result is the
 * struct bph_annotations every exporter carries (cluster/annot.h); the
 * fields are described in docs/output.md ("Networks").
 */
#ifndef BPH_CLI_ANNOTATE_H
#define BPH_CLI_ANNOTATE_H

#include <stdbool.h>
#include <stdio.h>

#include "cluster/annot.h"
#include "cluster/cluster.h"
#include "ranges/rdb.h"

struct bph_cli_annot;

/*
 * Annotates every host and multi-host cluster of c from db (both
 * borrowed; db must outlive the result). Hosts with equal lookups share
 * one annotation. The JSON form of each annotation is built only
 * with_json (for the JSON and HTML outputs; the text report and the flat
 * exports read the attributes). Returns 0 or BPH_ERR_NOMEM.
 */
int bph_cli_annotate(const struct bph_rdb *db, const struct bph_clustering *c,
		     bool with_json, struct bph_cli_annot **out);

/*
 * The same with n_threads threads doing the lookups (0: the online cores,
 * one for a few thousand hosts or fewer; at most 8). The result is the
 * same for any number of threads. Returns 0 or BPH_ERR_NOMEM.
 */
int bph_cli_annotate_threads(const struct bph_rdb *db,
			     const struct bph_clustering *c, bool with_json,
			     size_t n_threads, struct bph_cli_annot **out);

/* The annotations to hand to exporters (owned by a). */
const struct bph_annotations *bph_cli_annot_get(const struct bph_cli_annot *a);

/* Frees; NULL-safe. */
void bph_cli_annot_free(struct bph_cli_annot *a);

/*
 * Prints the networks of the i-th cluster of c for a person: ASes,
 * prefixes, registrants, upstreams, list shares, the remark, then one
 * line per host.
 */
void bph_cli_annot_print_cluster(FILE *out, const struct bph_cli_annot *a,
				 const struct bph_clustering *c, size_t i);

/* Prints one host's networks (bphound show): routing, registration,
 * upstreams, list hits, each on its own lines. */
void bph_cli_annot_print_host(FILE *out, const struct bph_rdb *db,
			      const char *ip);

#endif
