/*
 * asn_targets.h - AS numbers as scan targets: "AS64500" wherever targets
 * are given (scan, pivot --ranges, sweep configs) becomes the prefixes
 * that AS originates in the store's newest pfx2as snapshot, before the
 * targets reach scanner/targets.c (which knows nothing of ASes);
 * `pivot SEED --scope asn` names the seed's origin AS (and, with
 * --scope-siblings, the ASes of its organisation in as2org). Reserved
 * ranges and --exclude still apply afterwards; an expansion above
 * --max-targets addresses is refused with its count before any packet.
 * IPv4 only: IPv6 prefixes are counted and left out.
 */
#ifndef BPH_CLI_ASN_TARGETS_H
#define BPH_CLI_ASN_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/scan_run.h"

struct bph_store;

/* Whether spec is "AS<n>" (any case); *asn gets n. */
bool bph_cli_asn_spec(const char *spec, uint32_t *asn);

/* What an expansion owns (the new spec strings). */
struct bph_asn_expansion {
	char **specs; /* the job's specs with every AS replaced */
	size_t n;
};

/*
 * Fills *out with job, its AS specs replaced by their prefixes (out's
 * targets point into x, freed by bph_cli_asn_expansion_free). A job
 * without AS specs is copied unchanged and nothing is loaded. Returns 0,
 * BPH_ERR_USAGE (no pfx2as data, an AS without prefixes, more than
 * job->opts->max_targets addresses) after saying why on stderr, or
 * another BPH_ERR_*.
 */
int bph_cli_asn_expand(struct bph_store *st, const struct bph_scan_job *job,
		       struct bph_scan_job *out, struct bph_asn_expansion *x);

void bph_cli_asn_expansion_free(struct bph_asn_expansion *x);

/*
 * The ASes of `pivot SEED --scope asn`: every origin of the seed's longest
 * pfx2as prefix and, with siblings, the ASes sharing their as2org
 * organisation, as "AS<n>" strings into out (up to max, 16 bytes each);
 * *n their count. Returns 0 or BPH_ERR_USAGE after saying why.
 */
int bph_cli_scope_asns(struct bph_store *st, const char *seed, bool siblings,
		       char (*out)[16], size_t max, size_t *n);

#endif
