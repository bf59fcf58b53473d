/*
 * unionfind.h - disjoint sets over dense indices 0..n-1, with path halving
 * and union by size. The clustering owns one; nothing here allocates after
 * bph_uf_new().
 */
#ifndef BPH_CLUSTER_UNIONFIND_H
#define BPH_CLUSTER_UNIONFIND_H

#include <stddef.h>
#include <stdint.h>

struct bph_uf {
	uint32_t *parent;
	uint32_t *size;
	size_t n;
};

/* Returns 0 or BPH_ERR_NOMEM; every element starts in its own set. */
int bph_uf_init(struct bph_uf *uf, size_t n);
void bph_uf_free(struct bph_uf *uf); /* NULL-safe, idempotent */
uint32_t bph_uf_find(struct bph_uf *uf, uint32_t x);
/* Returns 1 when a and b were in different sets (now merged), else 0. */
int bph_uf_union(struct bph_uf *uf, uint32_t a, uint32_t b);

#endif
