/*
 * population.h - a seeded synthetic host population for clustering tests,
 * a small C cousin of bench/gen_population.py: providers that share SSH
 * template keys, certificate batches (some rotated), panels and a build,
 * with re-installed hosts and unrelated neighbours in their /24s; panels
 * over the medium cap (the concentrated rule); vendor keys and CDN
 * certificates over the strong cap; small organisations on a wildcard
 * certificate; solos on popular builds and default pages. Every rule of
 * docs/clustering.md fires on it. It only emits rows; nothing is sent
 * anywhere.
 */
#ifndef BPH_TESTS_POPULATION_H
#define BPH_TESTS_POPULATION_H

#include <stdint.h>

/* One observation: host showed (kind, value) on port at time seen. The
 * strings live for the call only. */
typedef void (*bph_test_row_fn)(void *arg, const char *host, const char *kind,
				const char *value, uint16_t port, int64_t seen);

struct bph_test_pop {
	uint64_t seed;	    /* the same seed gives the same rows */
	unsigned providers; /* 3..60 hosts each */
	unsigned solos;	    /* unrelated hosts besides the neighbours */
};

/* Calls fn for every row of the population o describes, in a seeded
 * order (providers, neighbours, vendors, CDN sites, organisations,
 * solos). */
void bph_test_population(const struct bph_test_pop *o, bph_test_row_fn fn,
			 void *arg);

#endif
