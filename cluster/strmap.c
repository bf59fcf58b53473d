/*
 * strmap.c - the string-to-index map of the graph's hosts and artifacts:
 * open addressing with linear probing and a hash tag per slot, keys copied
 * into an arena. Contract in strmap.h.
 */
#include "cluster/strmap.h"

#include <stdlib.h>
#include <string.h>

#include "fingerprints/err.h"
#include "fingerprints/hugemem.h"

#define BLOCK_MIN ((size_t)1 << 20)
#define BLOCK_MAX ((size_t)64 << 20)

struct bph_strmap_block {
	struct bph_strmap_block *next;
	size_t used, cap;
	char data[];
};

/* 8 bytes per step, multiply-xorshift mixing, a final avalanche. */
uint64_t bph_strmap_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, len);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

struct bph_strmap *bph_strmap_new(void)
{
	struct bph_strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->cap = 64;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void bph_strmap_free(struct bph_strmap *m)
{
	if (!m)
		return;
	while (m->arena) {
		struct bph_strmap_block *b = m->arena;
		m->arena = b->next;
		free(b);
	}
	free(m->slots);
	free(m);
}

static uint32_t key_len(const char *stored)
{
	uint32_t len;

	memcpy(&len, stored - sizeof(len), sizeof(len));
	return len;
}

/* The slot holding key (hash h), or the empty slot where it would go. */
static struct bph_strmap_slot *find(const struct bph_strmap *m, const void *key,
				    size_t len, uint64_t h)
{
	size_t i = h & (m->cap - 1);
	uint32_t tag = (uint32_t)(h >> 32);

	for (;;) {
		struct bph_strmap_slot *s = &m->slots[i];
		if (!s->key || (s->tag == tag && key_len(s->key) == len &&
				memcmp(s->key, key, len) == 0))
			return s;
		i = (i + 1) & (m->cap - 1);
	}
}

int bph_strmap_get(const struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val)
{
	struct bph_strmap_slot *s =
	    m->slots ? find(m, key, len, bph_strmap_hash(key, len)) : NULL;

	if (!s || !s->key)
		return 0;
	*val = s->val;
	return 1;
}

/* Rehashes into cap slots (a power of two above twice the keys). */
static int rehash(struct bph_strmap *m, size_t cap)
{
	struct bph_strmap old = *m;

	m->cap = cap;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		*m = old;
		return BPH_ERR_NOMEM;
	}
	bph_advise_huge(m->slots, m->cap * sizeof(*m->slots));
	for (size_t i = 0; i < old.cap; i++) {
		const char *k = old.slots[i].key;
		if (k)
			*find(m, k, key_len(k),
			      bph_strmap_hash(k, key_len(k))) = old.slots[i];
	}
	free(old.slots);
	return 0;
}

static int grow(struct bph_strmap *m)
{
	return rehash(m, m->cap * 2);
}

int bph_strmap_reserve(struct bph_strmap *m, size_t n)
{
	size_t cap = m->cap;

	if (!m->slots)
		return BPH_ERR_USAGE;
	while ((m->n + n + 1) * 2 > cap)
		cap *= 2;
	return cap == m->cap ? 0 : rehash(m, cap);
}

/* A NUL-terminated copy of a then, when b is not NULL, a NUL and b (len
 * bytes in all) in the arena, after its length (uint32_t, unaligned), or
 * NULL. */
static char *copy_key2(struct bph_strmap *m, const void *a, size_t alen,
		       const void *b, size_t len)
{
	struct bph_strmap_block *blk = m->arena;
	uint32_t l32 = (uint32_t)len;
	size_t need = sizeof(l32) + len + 1;
	char *p;

	if (!blk || blk->cap - blk->used < need) {
		/* each block twice the last, up to BLOCK_MAX: a million
		 * artifacts' strings in a few dozen blocks of huge pages
		 * instead of hundreds of thousands of page faults */
		size_t cap = blk ? blk->cap * 2 : BLOCK_MIN;
		cap = cap > BLOCK_MAX ? BLOCK_MAX : cap;
		cap = need > cap ? need : cap;
		blk = malloc(sizeof(*blk) + cap);
		if (!blk)
			return NULL;
		bph_advise_huge(blk, sizeof(*blk) + cap);
		blk->next = m->arena;
		blk->used = 0;
		blk->cap = cap;
		m->arena = blk;
	}
	p = blk->data + blk->used;
	memcpy(p, &l32, sizeof(l32));
	p += sizeof(l32);
	memcpy(p, a, alen);
	if (b) {
		p[alen] = '\0';
		memcpy(p + alen + 1, b, len - alen - 1);
	}
	p[len] = '\0';
	blk->used += need;
	return p;
}

static const char *copy_key(struct bph_strmap *m, const void *key, size_t len)
{
	return copy_key2(m, key, len, NULL, len);
}

int bph_strmap_put(struct bph_strmap *m, const void *key, size_t len,
		   uint32_t *val, const char **stored)
{
	struct bph_strmap_slot *s;
	uint64_t h;

	if (len >= UINT32_MAX)
		return BPH_ERR_TOOBIG;
	if (!m->slots)
		return BPH_ERR_USAGE;
	if ((m->n + 1) * 2 > m->cap && grow(m))
		return BPH_ERR_NOMEM;
	h = bph_strmap_hash(key, len);
	s = find(m, key, len, h);
	if (s->key) {
		*val = s->val;
		if (stored)
			*stored = s->key;
		return 0;
	}
	if (!(s->key = copy_key(m, key, len)))
		return BPH_ERR_NOMEM;
	s->tag = (uint32_t)(h >> 32);
	s->val = *val;
	if (stored)
		*stored = s->key;
	m->n++;
	return 1;
}

const char *bph_strmap_keep(struct bph_strmap *m, const void *key, size_t len)
{
	return len < UINT32_MAX ? copy_key(m, key, len) : NULL;
}

const char *bph_strmap_keep2(struct bph_strmap *m, const char *a, size_t alen,
			     const char *b, size_t blen)
{
	size_t len = alen + 1 + blen;

	return len < UINT32_MAX ? copy_key2(m, a, alen, b, len) : NULL;
}

void bph_strmap_drop_index(struct bph_strmap *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
}
