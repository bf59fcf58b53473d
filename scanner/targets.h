/*
 * targets.h - IPv4 target set with exclusions, indexable in O(log n).
 *
 * Specs are "a.b.c.d", "a.b.c.d/nn" (host bits are masked off) or
 * "a.b.c.d-e.f.g.h". After bph_targets_finalize() the set is a sorted list
 * of disjoint ranges with prefix counts, so excluded addresses take no
 * index and cost nothing to skip. Addresses are host byte order.
 */
#ifndef BPH_SCANNER_TARGETS_H
#define BPH_SCANNER_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bph_targets;

/* Allocates an empty set into *out. Returns 0 or BPH_ERR_NOMEM. */
int bph_targets_new(struct bph_targets **out);

/* Frees the set; NULL is a no-op. */
void bph_targets_free(struct bph_targets *t);

/*
 * Adds one spec (see above). On a bad spec returns BPH_ERR_USAGE and writes
 * "spec: column N: message" into err (errlen may be 0). Fails with
 * BPH_ERR_USAGE once finalized.
 */
int bph_targets_add_spec(struct bph_targets *t, const char *spec, char *err,
			 size_t errlen);

/*
 * Adds every spec of a file: one per line, blank lines and '#' comments
 * ignored. Errors are "path:line:col: message" (BPH_ERR_USAGE) or an I/O
 * message (BPH_ERR_IO).
 */
int bph_targets_add_file(struct bph_targets *t, const char *path, char *err,
			 size_t errlen);

/* Same as add_spec/add_file, but the addresses are never scanned. */
int bph_targets_exclude_spec(struct bph_targets *t, const char *spec, char *err,
			     size_t errlen);
int bph_targets_exclude_file(struct bph_targets *t, const char *path, char *err,
			     size_t errlen);

/*
 * Merges the ranges, removes exclusions and, unless allow_reserved, the
 * IANA special-purpose ranges (as zmap's default blocklist). Idempotent
 * calls after the first return 0. Returns 0 or BPH_ERR_NOMEM.
 */
int bph_targets_finalize(struct bph_targets *t, bool allow_reserved);

/* Number of addresses left after finalize (0 before). */
uint64_t bph_targets_count(const struct bph_targets *t);

/* Number of disjoint ranges after finalize, and the i-th (sorted). */
size_t bph_targets_n_ranges(const struct bph_targets *t);
void bph_targets_range(const struct bph_targets *t, size_t i, uint32_t *lo,
		       uint32_t *hi);

/* The index-th address, 0 <= index < count; O(log ranges). */
uint32_t bph_targets_at(const struct bph_targets *t, uint64_t index);

/* Sets *index to ip's position and returns true if ip is in the set. */
bool bph_targets_index_of(const struct bph_targets *t, uint32_t ip,
			  uint64_t *index);

/* True if ip lies in one of the reserved / special-purpose ranges. */
bool bph_ip_is_reserved(uint32_t ip);

/*
 * Parses "22,80,8000-8100" into a sorted, de-duplicated heap array that the
 * caller frees. Port 0, reversed ranges and junk give BPH_ERR_USAGE with
 * "ports: column N: message" in err.
 */
int bph_ports_parse(const char *spec, uint16_t **ports, size_t *n, char *err,
		    size_t errlen);

#endif
