/*
 * unionfind.c - disjoint sets with path halving and union by size, for the
 * clusters and the rules' roots. Contract in unionfind.h.
 */
#include "cluster/unionfind.h"

#include <stdlib.h>

#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

int bph_uf_init(struct bph_uf *uf, size_t n)
{
	uf->n = n;
	uf->parent = malloc((n ? n : 1) * sizeof(uint32_t));
	uf->size = malloc((n ? n : 1) * sizeof(uint32_t));
	bph_advise_huge(uf->parent, n * sizeof(uint32_t));
	bph_advise_huge(uf->size, n * sizeof(uint32_t));
	if (!uf->parent || !uf->size) {
		bph_uf_free(uf);
		return BPH_ERR_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uf->parent[i] = (uint32_t)i;
		uf->size[i] = 1;
	}
	return 0;
}

void bph_uf_free(struct bph_uf *uf)
{
	if (!uf)
		return;
	free(uf->parent);
	free(uf->size);
	uf->parent = NULL;
	uf->size = NULL;
	uf->n = 0;
}

uint32_t bph_uf_find(struct bph_uf *uf, uint32_t x)
{
	while (uf->parent[x] != x) {
		uf->parent[x] = uf->parent[uf->parent[x]];
		x = uf->parent[x];
	}
	return x;
}

int bph_uf_union(struct bph_uf *uf, uint32_t a, uint32_t b)
{
	a = bph_uf_find(uf, a);
	b = bph_uf_find(uf, b);
	if (a == b)
		return 0;
	if (uf->size[a] < uf->size[b]) {
		uint32_t t = a;
		a = b;
		b = t;
	}
	uf->parent[b] = a;
	uf->size[a] += uf->size[b];
	return 1;
}
