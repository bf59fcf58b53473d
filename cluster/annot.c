/*
 * annot.c - lookups over the annotations an export carries (contract in
 * cluster/annot.h).
 */
#include "cluster/annot.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"

const struct bph_annot *bph_annot_host(const struct bph_annotations *a,
				       size_t h)
{
	return a && a->hosts && h < a->n_hosts ? &a->hosts[h] : NULL;
}

const struct bph_annot *bph_annot_cluster(const struct bph_annotations *a,
					  size_t i)
{
	return a && a->clusters && i < a->n_clusters ? &a->clusters[i] : NULL;
}

const char *bph_annot_value(const struct bph_annot *an, const char *key)
{
	for (size_t i = 0; an && i < an->n_attrs; i++)
		if (!strcmp(an->attrs[i].key, key))
			return an->attrs[i].value;
	return NULL;
}

static bool known(const char **keys, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i], key))
			return true;
	return false;
}

int bph_annot_host_keys(const struct bph_annotations *a, const char ***keys,
			size_t *n)
{
	size_t cap = 0;
	const char **k = NULL;

	*keys = NULL;
	*n = 0;
	for (size_t h = 0; a && a->hosts && h < a->n_hosts; h++) {
		const struct bph_annot *an = &a->hosts[h];
		for (size_t i = 0; i < an->n_attrs; i++) {
			if (known(k, *n, an->attrs[i].key))
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 16;
				const char **nk = realloc(k, cap * sizeof(*k));
				if (!nk) {
					free(k);
					*n = 0;
					return BPH_ERR_NOMEM;
				}
				k = nk;
			}
			k[(*n)++] = an->attrs[i].key;
		}
	}
	*keys = k;
	return 0;
}
