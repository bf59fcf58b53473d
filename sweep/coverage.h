/*
 * coverage.h - what one sweep run probed: its address ranges (after
 * exclusions) and its ports. A diff compares only the (ip, port) pairs
 * that both runs covered, so widening a sweep never reports "new" hosts
 * or ports that were merely never looked at (docs/guide.md "Sweeps").
 *
 * Text form (kept in the store with each run): ranges as
 * "a.b.c.d-e.f.g.h,..." (sorted, disjoint; a single address is "a.b.c.d")
 * and ports as "22,80,443".
 */
#ifndef BPH_SWEEP_COVERAGE_H
#define BPH_SWEEP_COVERAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bph_coverage {
	uint32_t (*r)[2]; /* sorted, disjoint, non-adjacent [lo, hi] */
	size_t n, cap;
	uint16_t *ports; /* sorted, unique */
	size_t n_ports;
	bool all; /* covers everything (runs of unknown coverage) */
};

/* Adds [lo, hi] (host order, lo <= hi). Returns 0 or BPH_ERR_NOMEM. */
int bph_coverage_add_range(struct bph_coverage *c, uint32_t lo, uint32_t hi);
/* Adds port. Returns 0 or BPH_ERR_NOMEM. */
int bph_coverage_add_port(struct bph_coverage *c, uint16_t port);
/* Sorts and merges ranges and ports; call after the adds. */
void bph_coverage_finish(struct bph_coverage *c);
void bph_coverage_clear(struct bph_coverage *c); /* NULL-safe */

/*
 * Parses the text form above into c (zeroed by the caller). A NULL
 * ranges string means "everything". Returns 0, BPH_ERR_FORMAT or
 * BPH_ERR_NOMEM.
 */
int bph_coverage_parse(struct bph_coverage *c, const char *ranges,
		       const char *ports);
/* The text forms as new strings (caller frees); NULL on ENOMEM. */
char *bph_coverage_ranges_str(const struct bph_coverage *c);
char *bph_coverage_ports_str(const struct bph_coverage *c);

bool bph_coverage_has_ip(const struct bph_coverage *c, uint32_t ip);
bool bph_coverage_has(const struct bph_coverage *c, uint32_t ip, uint16_t port);
/* Number of addresses covered (0 for "all"). */
uint64_t bph_coverage_addresses(const struct bph_coverage *c);

/* Parses a dotted IPv4 address (exactly four decimal parts, each 0-255,
 * no leading zeros beyond "0") into host order. 0 or BPH_ERR_FORMAT. */
int bph_ipv4_parse(const char *s, size_t len, uint32_t *ip);

/*
 * Parses one target spec: "a.b.c.d", "a.b.c.d/nn" (host bits must be 0)
 * or "a.b.c.d-e.f.g.h" (lo <= hi) into [*lo, *hi]. 0 or BPH_ERR_FORMAT
 * with the reason in *why (static string).
 */
int bph_spec_parse(const char *s, uint32_t *lo, uint32_t *hi, const char **why);

#endif
