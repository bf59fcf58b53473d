/*
 * strmap.h - open-addressing hash map from byte strings to uint32_t
 * indices (the clustering's host and artifact tables). The map copies keys
 * into its own arena (large blocks, no allocation per key), each stored
 * NUL-terminated; stored keys stay at the same address until
 * bph_strmap_free(). Values are whatever the caller stores (typically
 * dense indices).
 */
#ifndef BPH_CLUSTER_STRMAP_H
#define BPH_CLUSTER_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct bph_strmap_slot {
	const char *key; /* NULL: empty slot; points into the arena, where
			    its length precedes it (uint32_t) */
	uint32_t tag;	 /* high half of the key's hash: most mismatches are
			    rejected without reading the key */
	uint32_t val;
};

struct bph_strmap_block; /* arena block (strmap.c) */

struct bph_strmap {
	struct bph_strmap_slot *slots;
	size_t cap; /* power of two */
	size_t n;
	struct bph_strmap_block *arena; /* newest block first */
};

/* The map's 64-bit hash of key: fixed (no seed), so an order by it is the
 * same in every process (the clustering orders artifacts by it). */
uint64_t bph_strmap_hash(const void *key, size_t len);

/* Returns an empty map or NULL on allocation failure. */
struct bph_strmap *bph_strmap_new(void);
void bph_strmap_free(struct bph_strmap *m); /* NULL-safe */

/* Frees the lookup table, keeping the stored keys where they are; the map
 * then only owns them (no get or put; bph_strmap_free still frees). */
void bph_strmap_drop_index(struct bph_strmap *m);

/* Makes room for n more keys without a rehash on the way (a loader that
 * knows its count). Returns 0, BPH_ERR_NOMEM, or BPH_ERR_USAGE after
 * bph_strmap_drop_index. */
int bph_strmap_reserve(struct bph_strmap *m, size_t n);

/* A NUL-terminated copy of key (len bytes) in m's arena, owned by m, without
 * adding it to the lookup table (a loader whose keys are known distinct and
 * are never looked up). Returns NULL on allocation failure or for a key of
 * 4 GiB or more. */
const char *bph_strmap_keep(struct bph_strmap *m, const void *key, size_t len);

/* bph_strmap_keep() of the key "a NUL b" (alen + 1 + blen bytes), copied
 * from its two parts without joining them first. */
const char *bph_strmap_keep2(struct bph_strmap *m, const char *a, size_t alen,
			     const char *b, size_t blen);

/* Returns 1 and sets *val when key is present, else 0 (also after
 * bph_strmap_drop_index). */
int bph_strmap_get(const struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val);

/*
 * Inserts key -> val unless key is present. Returns 1 when inserted, 0 when
 * already present (*val is then set to the stored value), BPH_ERR_NOMEM,
 * BPH_ERR_TOOBIG (key of 4 GiB or more) or BPH_ERR_USAGE (after
 * bph_strmap_drop_index). When stored is not NULL it
 * receives the map's copy of the key (NUL-terminated, owned by the map).
 */
int bph_strmap_put(struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val, const char **stored);

#endif
