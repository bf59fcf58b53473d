/*
 * ipmap.h - longest-prefix (most specific range) match over nested
 * prefixes or ranges of one address family.
 *
 * The items are flattened into disjoint segments, each holding the
 * innermost item that covers it: the smallest covering range, and among
 * equal ranges the one added last. A lookup is an index on the top bits
 * and a binary search in a short run of segment starts, so it does not
 * depend on the nesting depth. Each item also gets its parent: the
 * smallest other item that contains it (equal ranges: the one added
 * before), so walking parents from the innermost item visits every item
 * covering an address when the items nest (prefixes always do).
 * docs/performance.md has the measured lookup rate.
 */
#ifndef BPH_RANGES_IPMAP_H
#define BPH_RANGES_IPMAP_H

#include <stddef.h>
#include <stdint.h>

#include "ranges/ip.h"

struct bph_ipmap;

/*
 * Builds the map of n items of family fam; item i is the range at
 * first[i]..last[i] (fam's addresses; first <= last). When parent is not
 * NULL it gets n entries: each item's parent index or -1. Returns 0 or
 * BPH_ERR_NOMEM (BPH_ERR_TOOBIG beyond 2^31 - 1 items).
 */
int bph_ipmap_build(uint8_t fam, const bph_u128 *first, const bph_u128 *last,
		    size_t n, int32_t *parent, struct bph_ipmap **out);

/*
 * Adds to an IPv4 map a direct table of its /24 blocks (64 MiB), so that
 * bph_ipmap_find4() answers most addresses with one memory read instead
 * of a binary search; blocks that hold a segment boundary still search.
 * A no-op for IPv6 maps. Returns 0 or BPH_ERR_NOMEM (the map still
 * works without it).
 */
int bph_ipmap_direct(struct bph_ipmap *m);

/* The innermost item covering v, or -1. */
int32_t bph_ipmap_find(const struct bph_ipmap *m, bph_u128 v);

/* The same for an IPv4 map, on a host-order address: the fast path. */
int32_t bph_ipmap_find4(const struct bph_ipmap *m, uint32_t v);

/* Number of segments (for measurements). */
size_t bph_ipmap_segments(const struct bph_ipmap *m);

/*
 * Calls fn(first, last, item, arg) for each segment in address order,
 * item -1 for gaps; stops at a non-zero return and returns it.
 */
int bph_ipmap_walk(const struct bph_ipmap *m,
		   int (*fn)(bph_u128 first, bph_u128 last, int32_t item,
			     void *arg),
		   void *arg);

/* The same for the segments overlapping [first, last] only, each cut to
 * that range. */
int bph_ipmap_walk_range(const struct bph_ipmap *m, bph_u128 first,
			 bph_u128 last,
			 int (*fn)(bph_u128 first, bph_u128 last, int32_t item,
				   void *arg),
			 void *arg);

/* Frees; NULL is a no-op. */
void bph_ipmap_free(struct bph_ipmap *m);

#endif
