/*
 * overtime.h - the clusters' "over time" from the store's sweeps, for the
 * HTML page (cli/overtime.c; fields in docs/output.md "HTML page").
 */
#ifndef BPH_CLI_OVERTIME_H
#define BPH_CLI_OVERTIME_H

#include "cluster/annot.h"
#include "cluster/cluster.h"
#include "store/store.h"

struct bph_cli_overtime;

/*
 * Annotations of c's clusters: base's (may be NULL; borrowed, it must
 * outlive *out) with, for every cluster of two hosts or more (and the
 * cluster of seed, when not NULL) that a
 * complete sweep run saw, "history" (per run of the sweep that saw most
 * of its hosts: sweep, run, time, size, added, removed) and "events"
 * (that sweep's last complete run's stored events about its hosts, at
 * most 500) added to its JSON object. Returns 0 or a negative BPH_ERR_*
 * (*out NULL then).
 */
int bph_cli_overtime(struct bph_store *st, const struct bph_clustering *c,
		     const char *seed, const struct bph_annotations *base,
		     struct bph_cli_overtime **out);

/* The merged annotations (NULL for a NULL a). */
const struct bph_annotations *
bph_cli_overtime_get(const struct bph_cli_overtime *a);

void bph_cli_overtime_free(struct bph_cli_overtime *a); /* NULL-safe */

#endif
